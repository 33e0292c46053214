//! Starting the server: settings for a test, a fresh PostgreSQL database, start, restart and
//! stop.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Once;

use samverkan::app::{AppState, Application};
use samverkan::config::Settings;
use samverkan::store::Store;
use tokio::sync::{oneshot, OnceCell};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn postgres_url() -> Option<String> {
    std::env::var("SAMVERKAN_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Whether the PostgreSQL runs run; when not, says so once.
pub fn postgres_configured() -> bool {
    let configured = postgres_url().is_some();
    if !configured {
        warn_postgres_skipped();
    }
    configured
}

/// Said once per run, straight to the terminal (past the test harness's capture).
fn warn_postgres_skipped() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "\n########################################################################\n\
             ## SAMVERKAN_TEST_POSTGRES_URL is not set: every *::postgres test is   ##\n\
             ## SKIPPED and passes without running. Set it, e.g.                     ##\n\
             ## postgres://postgres@127.0.0.1:5432/test, to prove PostgreSQL too.    ##\n\
             ########################################################################\n"
        );
    });
}

/// A fresh, empty database on the test PostgreSQL server; leftovers of earlier runs (whose
/// process is gone) are dropped on first use.
pub async fn fresh_postgres_database() -> anyhow::Result<Option<String>> {
    let Some(base) = postgres_url() else {
        warn_postgres_skipped();
        return Ok(None);
    };
    sqlx::any::install_default_drivers();
    static CLEANED: OnceCell<()> = OnceCell::const_new();
    let admin = sqlx::AnyPool::connect(&base).await?;
    CLEANED
        .get_or_try_init(|| async {
            let rows: Vec<(String,)> = sqlx::query_as(
                "SELECT datname::text FROM pg_database WHERE datname LIKE 'samverkan_t_%'",
            )
            .fetch_all(&admin)
            .await?;
            // Each name carries its test process's id: a database of a process still running
            // (another suite beside this one on the same server) is not a leftover.
            for (name,) in rows.into_iter().filter(|(name,)| leftover(name)) {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&admin)
                    .await;
            }
            anyhow::Ok(())
        })
        .await?;
    let name = format!(
        "samverkan_t_{}_{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    );
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&admin)
        .await?;
    admin.close().await;
    let (prefix, _) = base
        .rsplit_once('/')
        .ok_or_else(|| anyhow::anyhow!("postgres url needs a database"))?;
    Ok(Some(format!("{prefix}/{name}")))
}

/// Whether a test database was left by a process that is gone (or predates the pid in names).
fn leftover(name: &str) -> bool {
    let pid = name
        .strip_prefix("samverkan_t_")
        .and_then(|rest| rest.split_once('_'))
        .and_then(|(pid, _)| pid.parse::<u32>().ok());
    pid.is_none_or(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists())
}

/// Settings for a test server: port 0, the given store, the web folder of the repo.
pub fn test_settings(database_url: String) -> anyhow::Result<Settings> {
    let mut settings = Settings::defaults()?;
    settings.server.bind = "127.0.0.1:0".parse()?;
    settings.server.web_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../web").into();
    settings.database.url = database_url;
    settings.metrics.bind = "127.0.0.1:0".parse()?;
    settings.auth.jwt_secret = "test-secret-test-secret-test-secret-123".into();
    // Mail tests start their own SMTP server and worker; rounds of reminders are driven by hand.
    settings.mail.enabled = false;
    settings.notifications.scheduler_enabled = false;
    Ok(settings)
}

pub struct TestApp {
    pub addr: SocketAddr,
    /// Where `/metrics` is served.
    pub metrics_addr: Option<SocketAddr>,
    pub settings: Settings,
    pub client: reqwest::Client,
    pub state: AppState,
    pub store: Store,
    _dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// Starts the server; `None` for PostgreSQL when no server is configured.
pub async fn spawn_app(backend: Backend) -> anyhow::Result<Option<TestApp>> {
    spawn_app_with(backend, |_| {}).await
}

/// `spawn_app` with settings changed first (small queues, short heartbeats ...).
pub async fn spawn_app_with(
    backend: Backend,
    configure: impl FnOnce(&mut Settings),
) -> anyhow::Result<Option<TestApp>> {
    let dir = tempfile::tempdir()?;
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.path().join("samverkan.db").display()),
        Backend::Postgres => match fresh_postgres_database().await? {
            Some(url) => url,
            None => return Ok(None),
        },
    };
    let mut settings = test_settings(url)?;
    configure(&mut settings);
    spawn_with_settings(settings, dir).await.map(Some)
}

pub async fn spawn_with_settings(
    settings: Settings,
    dir: tempfile::TempDir,
) -> anyhow::Result<TestApp> {
    let app = Application::build(settings.clone()).await?;
    let addr = app.local_addr()?;
    let metrics_addr = app.metrics_addr();
    let state = app.state().clone();
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = rx.await;
    }));
    Ok(TestApp {
        addr,
        metrics_addr,
        client: reqwest::Client::new(),
        store: state.store.clone(),
        state,
        _dir: dir,
        shutdown: Some(tx),
        server: Some(server),
        settings,
    })
}

impl TestApp {
    /// Stops the server (graceful shutdown, store closed) and starts a new one on the same
    /// store: a server restart as clients see it.
    pub async fn restart(mut self) -> anyhow::Result<TestApp> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await??;
        }
        let dir = std::mem::replace(&mut self._dir, tempfile::tempdir()?);
        spawn_with_settings(self.settings.clone(), dir).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
