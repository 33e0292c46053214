//! The storage port: one `Store` over SQLite (default) or PostgreSQL, chosen by URL.
//! Queries are written once in the SQL both dialects share; migrations are per backend
//! with matching versions. Every query returning individual data takes a policy value.

pub mod audit;
pub mod cases;
pub mod consents;
mod durable;
pub mod events;
pub mod idempotency;
pub mod individuals;
pub mod inquiries;
pub mod meetings;
pub mod messages;
pub mod notifications;
pub mod organisations;
pub mod outbox;
pub mod responsibility;
pub mod retention;
pub mod sessions;
pub mod tickets;
pub mod users;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Executor, Row};

use prometheus_client::metrics::histogram::Histogram;
use tokio::sync::broadcast;

use crate::config::DatabaseSettings;
use crate::domain::event::{Event, NewEvent};

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

#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    /// SQLite: read-only connections beside the one writer (WAL lets them read while it
    /// writes). PostgreSQL: the same pool.
    readers: AnyPool,
    backend: Backend,
    /// Committed events, in-process, for the live hub (which also reads the table).
    feed: broadcast::Sender<Arc<Vec<Event>>>,
    /// SQLite: makes commits durable in groups.
    wal: Option<Arc<durable::WalSync>>,
    /// SQLite: stops the background checkpointer when the last clone goes.
    _checkpointer: Option<Arc<tokio_util::sync::DropGuard>>,
    /// Seconds each writing transaction waited for its connection (`/metrics`).
    writer_wait: Histogram,
    /// Runs in each commit over the transaction's events (the notification rules).
    commit_hook: Option<Arc<dyn CommitHook>>,
}

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
        let mut wal_sync = None;
        let (pool, readers) = match backend {
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
                // touches a person's data writes its audit row.
                // An embedded connection cannot go stale: no ping before each use.
                let writer = AnyPoolOptions::new()
                    .max_connections(1)
                    .test_before_acquire(false)
                    .acquire_timeout(Duration::from_secs(settings.acquire_timeout_seconds))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // Checkpoints run beside the writer (`checkpoint_wal`), not
                            // inside whichever commit crosses the WAL's size limit.
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                                 PRAGMA wal_autocheckpoint = 0;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(AnyConnectOptions::from_str(&url)?)
                    .await?;
                // Readers for what writes nothing: token holders, the hub's facts and replay.
                let readers = AnyPoolOptions::new()
                    .max_connections(settings.sqlite_readers.max(1))
                    .test_before_acquire(false)
                    .acquire_timeout(Duration::from_secs(settings.acquire_timeout_seconds))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute("PRAGMA query_only = ON; PRAGMA busy_timeout = 5000;")
                                .await?;
                            Ok(())
                        })
                    })
                    .connect_lazy_with(AnyConnectOptions::from_str(&url)?);
                let checkpoints = AnyPoolOptions::new()
                    .max_connections(1)
                    .test_before_acquire(false)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute("PRAGMA busy_timeout = 5000;").await?;
                            Ok(())
                        })
                    })
                    .connect_lazy_with(AnyConnectOptions::from_str(&url)?);
                let stop = tokio_util::sync::CancellationToken::new();
                tokio::spawn(checkpoint_wal(checkpoints, stop.clone()));
                checkpointer = Some(Arc::new(stop.drop_guard()));
                (writer, readers)
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(settings.max_connections)
                    .acquire_timeout(Duration::from_secs(settings.acquire_timeout_seconds))
                    .connect(&url)
                    .await?;
                (pool.clone(), pool)
            }
        };
        let (feed, _) = broadcast::channel(1024);
        let store = Self {
            pool,
            readers,
            backend,
            feed,
            wal: wal_sync,
            _checkpointer: checkpointer,
            writer_wait: wait_histogram(),
            commit_hook: None,
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
        Ok(Self {
            readers: pool.clone(),
            pool,
            backend,
            feed,
            wal: None,
            _checkpointer: None,
            writer_wait: wait_histogram(),
            commit_hook: None,
        })
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
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
        Ok(self.tx(Conn::Transaction(self.begin_timed().await?), true))
    }

    /// A writing transaction beside the request's own write (bookkeeping such as noting a
    /// session's activity), committed at once even in a keyed request.
    pub async fn begin_beside(&self) -> StoreResult<Tx> {
        Ok(self.tx(Conn::Transaction(self.begin_timed().await?), false))
    }

    /// Begins on the writing pool, noting how long the connection took to come.
    async fn begin_timed(&self) -> StoreResult<sqlx::Transaction<'static, Any>> {
        let started = std::time::Instant::now();
        let tx = self.pool.begin().await;
        self.writer_wait.observe(started.elapsed().as_secs_f64());
        Ok(tx?)
    }

    /// The histogram of waits for a writing connection, for `/metrics`.
    pub fn writer_wait(&self) -> Histogram {
        self.writer_wait.clone()
    }

    /// Per pool: its name, connections open and connections idle. SQLite has the writer and
    /// the readers; PostgreSQL one pool for both.
    pub fn pool_stats(&self) -> Vec<(&'static str, u32, usize)> {
        let stats = |pool: &AnyPool| (pool.size(), pool.num_idle());
        match self.backend {
            Backend::Sqlite => {
                let (writer, writer_idle) = stats(&self.pool);
                let (readers, readers_idle) = stats(&self.readers);
                vec![
                    ("writer", writer, writer_idle),
                    ("readers", readers, readers_idle),
                ]
            }
            Backend::Postgres => {
                let (open, idle) = stats(&self.pool);
                vec![("shared", open, idle)]
            }
        }
    }

    /// A connection for reading only, outside any transaction: each statement sees the
    /// latest commit. On SQLite it runs beside the writer. It cannot commit, so it must not
    /// carry audit entries or events.
    pub async fn read(&self) -> StoreResult<Tx> {
        Ok(self.tx(Conn::Reader(self.readers.acquire().await?), false))
    }

    fn tx(&self, inner: Conn, keyed: bool) -> Tx {
        Tx {
            inner,
            keyed,
            backend: self.backend,
            audit: Vec::new(),
            events: Vec::new(),
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

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// `/readyz`: can we reach the store right now?
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.readers.close().await;
        self.pool.close().await;
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

/// A transaction. Audit entries gathered during it are written, hash-chained, at commit,
/// so the chain's head is locked only for the last moment of the transaction.
pub struct Tx {
    inner: Conn,
    /// Whether a keyed request's commit parks this transaction (see `idempotency`).
    keyed: bool,
    backend: Backend,
    audit: Vec<audit::AuditEntry>,
    events: Vec<NewEvent>,
    feed: broadcast::Sender<Arc<Vec<Event>>>,
    wal: Option<Arc<durable::WalSync>>,
    commit_hook: Option<Arc<dyn CommitHook>>,
}

/// A writing transaction, or a reader's connection on which each statement sees the latest
/// commit (no BEGIN and ROLLBACK round trips for what is mostly a single query).
enum Conn {
    Transaction(sqlx::Transaction<'static, Any>),
    Reader(sqlx::pool::PoolConnection<Any>),
}

impl Tx {
    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        match &mut self.inner {
            Conn::Transaction(tx) => tx,
            Conn::Reader(conn) => conn,
        }
    }

    /// Records an access or change of individual data; written in this transaction.
    pub fn audit(&mut self, entry: audit::AuditEntry) {
        self.audit.push(entry);
    }

    /// Records a change for the event log; appended, numbered, in this transaction. At
    /// commit the notification rules read it (`CommitHook`): who is told follows from it.
    pub fn event(&mut self, event: NewEvent) {
        self.events.push(event);
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs the commit hook over the recorded events, appends events, then audit rows
    /// (always in that order, so the two head locks are taken in one order by every
    /// transaction), commits, and pushes the events live. In a keyed request the commit is
    /// parked after the appends, so the hook has run exactly once, in this transaction.
    pub async fn commit(mut self) -> StoreResult<Vec<Event>> {
        let nothing = || {
            StoreError::Other(anyhow::anyhow!(
                "a reader's connection has nothing to commit"
            ))
        };
        if matches!(self.inner, Conn::Reader(_)) {
            return Err(nothing());
        }
        if let Some(hook) = self.commit_hook.take() {
            if !self.events.is_empty() {
                let recorded = self.events.clone();
                hook.before_commit(&mut self, &recorded).await?;
            }
        }
        let Conn::Transaction(mut inner) = self.inner else {
            return Err(nothing());
        };
        let new_events = std::mem::take(&mut self.events);
        let entries = std::mem::take(&mut self.audit);
        let events = if self.backend == Backend::Sqlite
            && new_events.len() <= BATCHED_ROWS
            && entries.len() <= BATCHED_ROWS
        {
            append_batched(&mut inner, new_events, entries).await?
        } else {
            let events = events::append(&mut inner, self.backend, new_events).await?;
            audit::append(&mut inner, entries).await?;
            events
        };
        if !self.keyed {
            return finish_commit(inner, events, &self.wal, &self.feed).await;
        }
        match idempotency::park(inner, events.clone(), &self.feed, &self.wal)? {
            Some(inner) => finish_commit(inner, events, &self.wal, &self.feed).await,
            None => Ok(events),
        }
    }
}

/// Commits, makes the commit durable (SQLite's group commit) and pushes the events live.
async fn finish_commit(
    inner: sqlx::Transaction<'static, Any>,
    events: Vec<Event>,
    wal: &Option<Arc<durable::WalSync>>,
    feed: &broadcast::Sender<Arc<Vec<Event>>>,
) -> StoreResult<Vec<Event>> {
    inner.commit().await?;
    if let Some(wal) = wal {
        wal.after_commit().await?;
    }
    if !events.is_empty() {
        let _ = feed.send(Arc::new(events.clone()));
    }
    Ok(events)
}

/// How often the WAL is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Copies SQLite's write-ahead log into the database file in the background (PASSIVE:
/// never waits for the writer or readers), so no request's commit pays for a checkpoint.
async fn checkpoint_wal(pool: AnyPool, stop: tokio_util::sync::CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(CHECKPOINT_EVERY) => {}
        }
        if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::warn!(error = %err, "WAL checkpoint failed; retrying");
        }
    }
    pool.close().await;
}

/// Events and audit rows up to which SQLite's commit sends them as one command.
const BATCHED_ROWS: usize = 100;

/// SQLite's usual commit: the event log and the audit chain in two round trips to the
/// database's thread instead of five, because the single writer holds the database for as
/// long as its transaction takes. First both heads are locked and read (the event head
/// before the audit head, as everywhere), then every row and the audit head are written.
/// SQLite runs several statements of one command in order, binding `$n` across them.
async fn append_batched(
    conn: &mut sqlx::AnyConnection,
    new_events: Vec<NewEvent>,
    entries: Vec<audit::AuditEntry>,
) -> StoreResult<Vec<Event>> {
    if new_events.is_empty() && entries.is_empty() {
        return Ok(Vec::new());
    }
    let mut heads = Sql::new("");
    if !new_events.is_empty() {
        events::push_lock_head(&mut heads, new_events.len());
    }
    if !entries.is_empty() {
        if !new_events.is_empty() {
            heads.push("; ");
        }
        audit::push_lock_head(&mut heads);
    }
    let mut event_head = None;
    let mut audit_head = None;
    for row in heads.query().fetch_all(&mut *conn).await? {
        match row.text("head")?.as_str() {
            "event" => event_head = Some(row.int("last_seq")?),
            _ => audit_head = Some((row.int("last_seq")?, row.text("last_hash")?)),
        }
    }
    let missing = || StoreError::Other(anyhow::anyhow!("a log head row is missing"));
    let events = match event_head {
        Some(last) => events::numbered(new_events, last),
        None if new_events.is_empty() => Vec::new(),
        None => return Err(missing()),
    };
    let rows = match audit_head {
        Some((seq, hash)) => audit::chain(seq, hash, entries),
        None if entries.is_empty() => Vec::new(),
        None => return Err(missing()),
    };
    let mut writes = Sql::new("");
    if !events.is_empty() {
        events::push_insert(&mut writes, &events);
    }
    if !rows.is_empty() {
        if !events.is_empty() {
            writes.push("; ");
        }
        audit::push_insert(&mut writes, &rows);
        writes.push("; ");
        audit::push_head_update(&mut writes, &rows);
    }
    writes.query().execute(&mut *conn).await?;
    Ok(events)
}

/// Rows per multi-row INSERT: both databases cap the bind parameters of one statement.
const ROWS_PER_INSERT: usize = 500;

/// Inserts `rows` in multi-row statements of at most `ROWS_PER_INSERT` rows. `insert` ends in
/// `VALUES `; `values` binds one row's values, comma-separated, without the parentheses.
pub(crate) async fn insert_rows<T>(
    conn: &mut sqlx::AnyConnection,
    insert: &str,
    rows: &[T],
    values: impl Fn(&mut Sql, &T),
) -> StoreResult<()> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut sql = Sql::new("");
        push_values(&mut sql, insert, chunk, &values);
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Appends one multi-row INSERT: `insert` (ending in `VALUES `), then a parenthesised row
/// of `values` per row.
pub(crate) fn push_values<T>(
    sql: &mut Sql,
    insert: &str,
    rows: &[T],
    values: impl Fn(&mut Sql, &T),
) {
    sql.push(insert);
    for (i, row) in rows.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        values(sql, row);
        sql.push(")");
    }
}

/// A query under construction with numbered `$n` placeholders, which both SQLite and
/// PostgreSQL accept.
#[derive(Default)]
pub struct Sql {
    text: String,
    args: Vec<Arg>,
}

#[derive(Clone, Debug)]
pub enum Arg {
    Text(String),
    Int(i64),
    /// A NULL must carry its type: PostgreSQL will not put a text NULL in a bigint column.
    NullText,
    NullInt,
}

impl From<&str> for Arg {
    fn from(value: &str) -> Self {
        Arg::Text(value.to_owned())
    }
}
impl From<String> for Arg {
    fn from(value: String) -> Self {
        Arg::Text(value)
    }
}
impl From<i64> for Arg {
    fn from(value: i64) -> Self {
        Arg::Int(value)
    }
}
impl From<Option<String>> for Arg {
    fn from(value: Option<String>) -> Self {
        value.map_or(Arg::NullText, Arg::Text)
    }
}
impl From<Option<&str>> for Arg {
    fn from(value: Option<&str>) -> Self {
        value.map_or(Arg::NullText, Into::into)
    }
}
impl From<Option<i64>> for Arg {
    fn from(value: Option<i64>) -> Self {
        value.map_or(Arg::NullInt, Arg::Int)
    }
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            args: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind(&mut self, value: impl Into<Arg>) -> &mut Self {
        self.args.push(value.into());
        self.text.push_str(&format!("${}", self.args.len()));
        self
    }

    fn query(&self) -> sqlx::query::Query<'_, Any, sqlx::any::AnyArguments<'_>> {
        let mut query = sqlx::query(&self.text);
        for arg in &self.args {
            query = match arg {
                Arg::Text(text) => query.bind(text.as_str()),
                Arg::Int(int) => query.bind(*int),
                Arg::NullText => query.bind(Option::<String>::None),
                Arg::NullInt => query.bind(Option::<i64>::None),
            };
        }
        query
    }

    pub async fn fetch_all(&self, tx: &mut Tx) -> StoreResult<Vec<AnyRow>> {
        Ok(self.query().fetch_all(tx.conn()).await?)
    }

    pub async fn fetch_optional(&self, tx: &mut Tx) -> StoreResult<Option<AnyRow>> {
        Ok(self.query().fetch_optional(tx.conn()).await?)
    }

    pub async fn execute(&self, tx: &mut Tx) -> StoreResult<u64> {
        Ok(self.query().execute(tx.conn()).await?.rows_affected())
    }
}

/// Typed column access that turns decode failures into `StoreError::Other`.
pub trait RowExt {
    fn text(&self, column: &str) -> StoreResult<String>;
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>>;
    fn int(&self, column: &str) -> StoreResult<i64>;
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>>;
    fn id<T: FromStr>(&self, column: &str) -> StoreResult<T>;
    fn opt_id<T: FromStr>(&self, column: &str) -> StoreResult<Option<T>>;
}

impl RowExt for AnyRow {
    fn text(&self, column: &str) -> StoreResult<String> {
        self.try_get(column)
            .map_err(|e| StoreError::Other(e.into()))
    }
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>> {
        self.try_get(column)
            .map_err(|e| StoreError::Other(e.into()))
    }
    fn int(&self, column: &str) -> StoreResult<i64> {
        self.try_get(column)
            .map_err(|e| StoreError::Other(e.into()))
    }
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>> {
        self.try_get(column)
            .map_err(|e| StoreError::Other(e.into()))
    }
    fn id<T: FromStr>(&self, column: &str) -> StoreResult<T> {
        let text = self.text(column)?;
        text.parse()
            .map_err(|_| StoreError::Other(anyhow::anyhow!("column {column} holds no valid id")))
    }
    fn opt_id<T: FromStr>(&self, column: &str) -> StoreResult<Option<T>> {
        match self.opt_text(column)? {
            None => Ok(None),
            Some(text) => text.parse().map(Some).map_err(|_| {
                StoreError::Other(anyhow::anyhow!("column {column} holds no valid id"))
            }),
        }
    }
}

/// Parses a stored code into its enum, or reports the corrupt row.
pub fn decode_code<T>(code: &str, parse: fn(&str) -> Option<T>) -> StoreResult<T> {
    parse(code).ok_or_else(|| StoreError::Other(anyhow::anyhow!("unknown stored code {code:?}")))
}
