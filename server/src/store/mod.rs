//! The storage port: one `Store` over SQLite (default) or PostgreSQL, chosen by URL.
//! Queries are written once in the SQL both dialects share; migrations are per backend
//! with matching versions. Every query returning individual data takes a policy value.

pub mod audit;
pub mod cases;
mod checkpoint;
mod conns;
pub mod consents;
mod durable;
pub mod events;
pub mod finsam;
pub mod fordjupad;
pub mod idempotency;
pub mod individuals;
pub mod inquiries;
mod journal;
pub mod meetings;
pub mod messages;
pub mod notifications;
pub mod oidc;
pub mod organisations;
pub mod outbox;
pub mod plans;
pub mod responsibility;
pub mod retention;
pub mod sessions;
pub mod sip_calls;
mod sql;
pub mod statistics;
pub mod tickets;
mod tx;
pub mod users;

pub use crate::sql::{Arg, Sql};
pub use sql::{decode_code, RowExt};
pub(crate) use sql::{insert_rows, push_values};
pub use tx::{AuditedRead, Audits, ReadTx, Reads, Tx};

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};

use prometheus_client::metrics::histogram::Histogram;
use tokio::sync::broadcast;

use crate::config::DatabaseSettings;
use crate::domain::event::Event;
use crate::error::AppError;

pub use checkpoint::Figures as WalFigures;
pub use events::CommitHook;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The error at the storage boundary. Constraint violations carry the constraint's name.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict on {0}")]
    Conflict(String),
    /// The database refused a value (e.g. a character it cannot store).
    #[error("invalid input")]
    InvalidInput,
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Other(anyhow::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) => match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation
                | sqlx::error::ErrorKind::ForeignKeyViolation
                | sqlx::error::ErrorKind::CheckViolation
                | sqlx::error::ErrorKind::NotNullViolation => {
                    StoreError::Conflict(db.constraint().unwrap_or("constraint").to_owned())
                }
                // SQLITE_BUSY / LOCKED (5, 6) and Postgres serialization/connection classes.
                _ if matches!(
                    db.code().as_deref(),
                    Some("5" | "6" | "517" | "40001" | "40P01")
                ) || db
                    .code()
                    .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")) =>
                {
                    StoreError::Unavailable(db.message().to_owned())
                }
                // PostgreSQL class 22: data exception (bad encoding, value out of range ...).
                _ if db.code().is_some_and(|c| c.starts_with("22")) => StoreError::InvalidInput,
                _ => StoreError::Other(err.into()),
            },
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreError::Unavailable(err.to_string())
            }
            _ => StoreError::Other(err.into()),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(constraint) => AppError::Conflict {
                code: "conflict",
                detail: format!("Uppgiften krockar med befintliga uppgifter ({constraint})."),
            },
            StoreError::Unavailable(_) => AppError::Unavailable,
            StoreError::InvalidInput => {
                AppError::field("", "invalid_input", "ett värde kunde inte lagras")
            }
            StoreError::Other(err) => AppError::Internal(err),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Store {
    /// Where writing transactions begin. SQLite: the one writer connection (the store's own
    /// pool, `conns`). PostgreSQL: sqlx's pool.
    writer: conns::Conns,
    /// SQLite: read-only connections beside the one writer (WAL lets them read while it
    /// writes). PostgreSQL: the same pool.
    readers: conns::Conns,
    /// A sqlx pool on the same database for tests and tools (`pool`): on SQLite a connection
    /// of its own beside the store's, opened when first used.
    sqlx_pool: AnyPool,
    backend: Backend,
    /// Committed events, in-process, for the live hub (which also reads the table).
    feed: broadcast::Sender<Arc<Vec<Event>>>,
    /// SQLite: makes commits durable in groups.
    wal: Option<Arc<durable::WalSync>>,
    /// SQLite: stops the background checkpointer when the last clone goes.
    _checkpointer: Option<Arc<tokio_util::sync::DropGuard>>,
    /// SQLite: the checkpointer's figures (`/metrics`).
    wal_figures: Option<checkpoint::Figures>,
    /// Seconds each writing transaction waited for its connection (`/metrics`).
    writer_wait: Histogram,
    /// Runs in each commit over the transaction's events (the notification rules).
    commit_hook: Option<Arc<dyn CommitHook>>,
    /// The group commit of reads' audit rows (none in a read-only store).
    journal: Option<Arc<journal::Journal>>,
}

/// The single SQLite writer's settings: made durable in groups (`durable`) and checkpointed
/// beside it (`checkpoint`; `journal_size_limit` cuts the WAL file back to 64 MiB when it
/// starts over). `temp_store = MEMORY` keeps a group's savepoint journal in memory instead of
/// a temporary file made and deleted for each group once it passes 64 KiB.
const SQLITE_WRITER: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA wal_autocheckpoint = 0; \
     PRAGMA temp_store = MEMORY; PRAGMA journal_size_limit = 67108864;";

/// Buckets for waits on the store, 0.1 ms to about 6.5 s.
fn wait_histogram() -> Histogram {
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.0001, 4.0, 9,
    ))
}

impl Store {
    /// Connects, creating the SQLite file and its folder if needed, and applies migrations.
    pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = backend_of(&settings.url)?;
        let mut url = settings.url.clone();
        let mut checkpointer = None;
        let mut wal_figures = None;
        let mut wal_sync = None;
        let (writer, readers, sqlx_pool) = match backend {
            Backend::Sqlite => {
                let path = sqlite_path(settings.url.as_str());
                wal_sync = Some(Arc::new(durable::WalSync::new(path)));
                if let Some(parent) = Path::new(path).parent() {
                    if !parent.as_os_str().is_empty() {
                        std::fs::create_dir_all(parent)?;
                    }
                }
                if !url.contains('?') {
                    url.push_str("?mode=rwc");
                }
                // One writer connection: SQLite has one writer, and every request that
                // touches a person's data writes its audit row. Checkpoints run beside the
                // writer (`checkpoint`), not inside whichever commit crosses the WAL's
                // size limit.
                let options = AnyConnectOptions::from_str(&url)?;
                let acquire_timeout = Duration::from_secs(settings.acquire_timeout_seconds);
                let writer =
                    conns::OwnPool::new(options.clone(), 1, SQLITE_WRITER, acquire_timeout);
                let writer = conns::Conns::Own(writer);
                // Opened now, so that a bad file or URL fails the start and the WAL is set up
                // before the readers open.
                drop(writer.acquire().await?);
                // Readers for what writes nothing: token holders, the hub's facts and replay.
                let readers = conns::Conns::Own(conns::OwnPool::new(
                    options.clone(),
                    settings.sqlite_readers.max(1),
                    "PRAGMA query_only = ON; PRAGMA busy_timeout = 5000;",
                    acquire_timeout,
                ));
                let beside = AnyPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(acquire_timeout)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;")
                                .await?;
                            Ok(())
                        })
                    })
                    .connect_lazy_with(options);
                let checkpoints = AnyPoolOptions::new()
                    .max_connections(1)
                    .test_before_acquire(false)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            let wait = checkpoint::READERS_WAIT.as_millis();
                            conn.execute(format!("PRAGMA busy_timeout = {wait};").as_str())
                                .await?;
                            Ok(())
                        })
                    })
                    .connect_lazy_with(AnyConnectOptions::from_str(&url)?);
                let stop = tokio_util::sync::CancellationToken::new();
                let figures = checkpoint::Figures::default();
                wal_figures = Some(figures.clone());
                tokio::spawn(checkpoint::run(
                    checkpoints,
                    writer.clone(),
                    figures,
                    stop.clone(),
                ));
                checkpointer = Some(Arc::new(stop.drop_guard()));
                (writer, readers, beside)
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(settings.max_connections)
                    .acquire_timeout(Duration::from_secs(settings.acquire_timeout_seconds))
                    .connect(&url)
                    .await?;
                let conns = conns::Conns::Sqlx(pool.clone());
                (conns.clone(), conns, pool)
            }
        };
        let (feed, _) = broadcast::channel(1024);
        let writer_wait = wait_histogram();
        let journal = journal::Journal::start(
            writer.clone(),
            backend,
            wal_sync.clone(),
            writer_wait.clone(),
        );
        let store = Self {
            writer,
            readers,
            sqlx_pool,
            backend,
            feed,
            wal: wal_sync,
            _checkpointer: checkpointer,
            wal_figures,
            writer_wait,
            commit_hook: None,
            journal: Some(Arc::new(journal)),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Opens an existing store to read only (`admin verify-audit`): never creates a file,
    /// never migrates, never writes. Fails, saying so, on a missing SQLite file and on a
    /// database without the hub's tables (a mistyped path or database name).
    pub async fn open_read_only(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = backend_of(&settings.url)?;
        let options = AnyPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(settings.acquire_timeout_seconds));
        let (pool, place) = match backend {
            Backend::Sqlite => {
                let path = sqlite_path(&settings.url);
                if !Path::new(path).is_file() {
                    anyhow::bail!(
                        "no store at {path}: the SQLite file does not exist (check database.url)"
                    );
                }
                let url = format!("sqlite://{path}?mode=ro");
                (options.connect(&url).await?, path.to_owned())
            }
            Backend::Postgres => {
                let pool = options
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute("SET default_transaction_read_only = on")
                                .await?;
                            Ok(())
                        })
                    })
                    .connect(&settings.url)
                    .await?;
                (pool, "the PostgreSQL database in database.url".to_owned())
            }
        };
        let has_tables = sqlx::query("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(&pool)
            .await
            .is_ok()
            && sqlx::query("SELECT last_seq FROM audit_head WHERE id = 1")
                .fetch_optional(&pool)
                .await
                .is_ok_and(|head| head.is_some());
        if !has_tables {
            pool.close().await;
            anyhow::bail!("{place} is empty: it holds no Samverkan store (check database.url)");
        }
        let (feed, _) = broadcast::channel(1);
        let conns = conns::Conns::Sqlx(pool.clone());
        Ok(Self {
            readers: conns.clone(),
            writer: conns,
            sqlx_pool: pool,
            backend,
            feed,
            wal: None,
            _checkpointer: None,
            wal_figures: None,
            writer_wait: wait_histogram(),
            commit_hook: None,
            journal: None,
        })
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        let mut conn = self.writer.acquire().await?;
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&mut *conn).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&mut *conn).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// This store, with `hook` run in the commit of every transaction begun from it.
    pub fn with_commit_hook(mut self, hook: Arc<dyn CommitHook>) -> Self {
        self.commit_hook = Some(hook);
        self
    }

    /// A writing transaction. In a request with an `Idempotency-Key` it is the request's
    /// write: its commit waits for the key and the response (`idempotency`).
    pub async fn begin(&self) -> StoreResult<Tx> {
        Ok(self.tx(self.begin_timed().await?, true))
    }

    /// A writing transaction beside the request's own write (bookkeeping such as noting a
    /// session's activity), committed at once even in a keyed request.
    pub async fn begin_beside(&self) -> StoreResult<Tx> {
        Ok(self.tx(self.begin_timed().await?, false))
    }

    /// Begins on the writing pool, noting how long the connection took to come.
    async fn begin_timed(&self) -> StoreResult<conns::TxConn> {
        let started = std::time::Instant::now();
        let tx = self.writer.begin().await;
        self.writer_wait.observe(started.elapsed().as_secs_f64());
        tx
    }

    /// SQLite: the WAL's frames at the checkpointer's last round, and how often it started
    /// the WAL over (`/metrics`). `None` on PostgreSQL.
    pub fn wal_figures(&self) -> Option<WalFigures> {
        self.wal_figures.clone()
    }

    /// The histogram of waits for a writing connection, for `/metrics`.
    pub fn writer_wait(&self) -> Histogram {
        self.writer_wait.clone()
    }

    /// Per pool: its name, connections open and connections idle. SQLite has the writer and
    /// the readers; PostgreSQL one pool for both.
    pub fn pool_stats(&self) -> Vec<(&'static str, u32, usize)> {
        match self.backend {
            Backend::Sqlite => {
                let (writer, writer_idle) = self.writer.stats();
                let (readers, readers_idle) = self.readers.stats();
                vec![
                    ("writer", writer, writer_idle),
                    ("readers", readers, readers_idle),
                ]
            }
            Backend::Postgres => {
                let (open, idle) = self.writer.stats();
                vec![("shared", open, idle)]
            }
        }
    }

    /// A connection for reading only, outside any transaction: each statement sees the
    /// latest commit. On SQLite it runs beside the writer. Its type has no audit, event or
    /// commit: what must be audited is read in a `begin` transaction.
    pub async fn read(&self) -> StoreResult<ReadTx> {
        Ok(ReadTx {
            conn: self.readers.acquire().await?,
        })
    }

    /// A read of a person's data that is audited: a reader connection (as `read`) whose
    /// `commit` appends the audit rows recorded on it through the journal's group commit and
    /// returns once they are durable. What the handler answers with is sent only after that.
    pub async fn audited_read(&self) -> StoreResult<AuditedRead> {
        let journal = self
            .journal
            .clone()
            .ok_or_else(|| StoreError::Unavailable("this store is open to read only".into()))?;
        Ok(AuditedRead {
            conn: self.readers.acquire().await?,
            backend: self.backend,
            audit: Vec::new(),
            journal,
        })
    }

    /// Appends audit entries through the journal's group commit, outside any request
    /// transaction (a denied access); returns once they are durable.
    pub async fn append_audit(&self, entries: Vec<audit::AuditEntry>) -> StoreResult<()> {
        self.journal
            .as_ref()
            .ok_or_else(|| StoreError::Unavailable("this store is open to read only".into()))?
            .append(entries)
            .await
    }

    fn tx(&self, inner: conns::TxConn, keyed: bool) -> Tx {
        Tx {
            inner,
            keyed,
            backend: self.backend,
            audit: Vec::new(),
            events: Vec::new(),
            later: Sql::new(""),
            kept: None,
            feed: self.feed.clone(),
            wal: self.wal.clone(),
            commit_hook: self.commit_hook.clone(),
        }
    }

    /// Committed events as they happen in this process. A lagging receiver reads the
    /// table instead; nothing is lost, only not pushed.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Vec<Event>>> {
        self.feed.subscribe()
    }

    /// SQLite: (commits acknowledged, WAL syncs that made them durable) since the start.
    pub fn group_commits(&self) -> Option<(u64, u64)> {
        self.wal.as_ref().map(|w| (w.commits(), w.syncs()))
    }

    /// A sqlx pool on the store's database, for tests and tools that run SQL of their own. On
    /// SQLite it is a connection beside the store's writer: what it writes waits for the
    /// writer's lock like any second writer.
    pub fn pool(&self) -> &AnyPool {
        &self.sqlx_pool
    }

    /// `/readyz`: can we reach the store right now?
    pub async fn ping(&self) -> StoreResult<()> {
        let mut conn = self.writer.acquire().await?;
        sqlx::query("SELECT 1").execute(&mut *conn).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.readers.close().await;
        self.writer.close().await;
        self.sqlx_pool.close().await;
    }
}

/// Which store a `database.url` names.
pub(crate) fn backend_of(url: &str) -> anyhow::Result<Backend> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Backend::Postgres)
    } else {
        anyhow::bail!("database.url must start with sqlite: or postgres:")
    }
}

/// The file a `sqlite:` URL names, without its options.
pub(crate) fn sqlite_path(url: &str) -> &str {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    path.split('?').next().unwrap_or(path)
}
