//! The hub in-process on port 0 over a fresh SQLite file with the demo data, for the test
//! binaries that drive it from outside (the browser tests, the OpenAPI conformance run).

use std::net::SocketAddr;

use samverkan::app::Application;
use samverkan::config::Settings;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct DemoHub {
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    server: JoinHandle<anyhow::Result<()>>,
    _dir: tempfile::TempDir,
}

impl DemoHub {
    #[allow(dead_code)] // the browser tests start it with identity providers
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(|_| {}).await
    }

    /// `start` with settings changed first (the browser tests' identity providers).
    pub async fn start_with(configure: impl FnOnce(&mut Settings)) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let mut settings = Settings::defaults()?;
        settings.server.bind = "127.0.0.1:0".parse()?;
        settings.metrics.bind = "127.0.0.1:0".parse()?;
        settings.server.web_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../web").into();
        settings.database.url = format!("sqlite://{}", dir.path().join("demo.db").display());
        settings.auth.jwt_secret = "demo-hub-test-secret-demo-hub-test-secret".into();
        configure(&mut settings);
        let app = Application::build(settings).await?;
        let addr = app.local_addr()?;
        samverkan::demo::seed_if_empty(&app.state().store).await?;
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        Ok(Self {
            addr,
            stop,
            server,
            _dir: dir,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.server.await?
    }
}
