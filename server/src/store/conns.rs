//! Where the store's connections come from. PostgreSQL's come from sqlx's `Pool`. SQLite's
//! single writer and its readers come from a pool of the store's own (`Own`): sqlx's pool
//! pings every connection when it is given back and gives it back from a spawned task, each a
//! round trip to the embedded connection's thread on the path of every request, and for the
//! single writer on the path of every write queued behind it. An embedded connection cannot
//! go stale, and its thread runs commands in the order they are sent (a rollback queued by a
//! dropped transaction runs before the next holder's first statement), so here a connection
//! goes back to the pool the moment its holder drops it.
//!
//! On SQLite's own connections a writing transaction is begun and committed by this module's
//! own `BEGIN` and `COMMIT`, not sqlx's, so that they can ride with other statements: the
//! transaction's last writes, its `COMMIT` and the next holder's `BEGIN` go to the
//! connection's thread as one command, and a holder finds its transaction already begun (see
//! `Begun`). Each round trip saved is one the single writer no longer waits for.
//!
//! **Group commit of writes.** When a holder of the single writer finishes while others wait
//! for it, it does not commit: its work is released into the open transaction, a savepoint
//! is opened for the next holder, and it waits for the group's `COMMIT` (`Group`). The next
//! holder works inside that savepoint, so a failure or a drop undoes its own work only. The
//! last holder of a group (nobody waiting, or the group full or old) commits everyone's work
//! in one `COMMIT`, and each member answers only after it; one COMMIT writes the pages that
//! many writes share (the events table's last leaf, its indexes, the heads) once instead of
//! once per write. Nothing is acknowledged before the group's commit is durable, exactly as
//! before; a failed COMMIT fails every member.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::any::{AnyConnectOptions, AnyTransactionManager};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, TransactionManager};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

use super::tx::Heads;
use super::{StoreError, StoreResult};
use crate::sql::Sql;

/// Members after which a group commits even if more holders wait.
const GROUP_MEMBERS: usize = 16;
/// Age after which a group commits even if more holders wait.
const GROUP_AGE: Duration = Duration::from_millis(5);
/// How long a member waits for its group's commit before it commits the group itself (only
/// when the holder it was passed to gave up before taking the writer).
const GROUP_FLUSH: Duration = Duration::from_millis(20);

/// A source of connections.
#[derive(Clone, Debug)]
pub(super) enum Conns {
    Sqlx(AnyPool),
    Own(Arc<OwnPool>),
}

/// SQLite's connections, pooled without sqlx's ping.
#[derive(Debug)]
pub(super) struct OwnPool {
    idle: Mutex<Vec<(AnyConnection, Begun)>>,
    /// One permit per connection that may be open; closed when the store closes.
    permits: Arc<Semaphore>,
    open: AtomicU32,
    options: AnyConnectOptions,
    /// Run on each new connection (its PRAGMAs).
    setup: &'static str,
    acquire_timeout: Duration,
    /// Whether writes are group-committed: a pool of one connection (the single writer).
    groups: bool,
    /// Holders waiting for a connection.
    waiting: AtomicUsize,
    /// The writes waiting in the open transaction for its COMMIT.
    group: Mutex<Option<Group>>,
    /// The heads the last member of the open group left (`tx::append_batched`).
    heads: Mutex<Option<Heads>>,
    /// COMMITs of the store's own transactions (for the tests of the group commit).
    #[cfg_attr(not(test), allow(dead_code))]
    commits: AtomicU64,
}

/// The holders whose work the open transaction holds, waiting for its COMMIT.
#[derive(Debug)]
struct Group {
    members: usize,
    started: Instant,
    done: watch::Sender<Option<Result<(), String>>>,
}

/// A connection held: given back to its pool when dropped, with any transaction its holder
/// left open rolled back first (see `Drop for Conn`).
pub enum Conn {
    Sqlx(PoolConnection<Any>),
    Own(OwnConn),
}

pub struct OwnConn {
    conn: Option<AnyConnection>,
    home: Arc<OwnPool>,
    /// Given back after the connection (a rollback on the way back holds it).
    permit: Option<OwnedSemaphorePermit>,
    begun: Begun,
}

/// Where an own connection's transaction stands. An idle connection is `No`, `Ready` or
/// `Grouped`; one held by a `TxConn` is `Unsure` until its last command returns, so that a
/// holder dropped or failed anywhere in between has its work rolled back before anyone else
/// gets the connection (`Drop for OwnConn`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Begun {
    /// No transaction open.
    No,
    /// An empty transaction open: the `BEGIN` sent with the last `COMMIT`. It is deferred, so
    /// it holds no lock and no snapshot until its first statement.
    Ready,
    /// A transaction open with a group's work in it, and an empty savepoint `held` in which
    /// the next holder works.
    Grouped,
    /// Held, perhaps with changes of the holder's own: inside the savepoint `held` when
    /// `saved` (a group's work is in the transaction), else the transaction is the holder's.
    Unsure { saved: bool },
}

/// A writing transaction's connection: BEGIN sent; COMMIT by `commit_after`, else rolled back
/// when dropped (as sqlx's `Transaction` is).
pub(super) struct TxConn {
    conn: Conn,
    /// The log heads as this transaction stands, when known without asking: left by the
    /// group's member before, then as this holder's appends leave them (`tx::append_batched`).
    /// Whoever changes the heads otherwise sets `None`.
    pub(super) heads: Option<Heads>,
}

/// Holds the count of a pool's waiting holders up while one waits.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl OwnPool {
    /// A pool of up to `max` connections, opened as they are first needed. A pool of one
    /// connection group-commits its writes.
    pub(super) fn new(
        options: AnyConnectOptions,
        max: u32,
        setup: &'static str,
        acquire_timeout: Duration,
    ) -> Arc<Self> {
        Arc::new(Self {
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(max.max(1) as usize)),
            open: AtomicU32::new(0),
            options,
            setup,
            acquire_timeout,
            groups: max <= 1,
            waiting: AtomicUsize::new(0),
            group: Mutex::new(None),
            heads: Mutex::new(None),
            commits: AtomicU64::new(0),
        })
    }

    async fn acquire(self: &Arc<Self>) -> Result<OwnConn, sqlx::Error> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let waiting = Waiting(&self.waiting);
        let permit =
            match tokio::time::timeout(self.acquire_timeout, self.permits.clone().acquire_owned())
                .await
            {
                Err(_) => return Err(sqlx::Error::PoolTimedOut),
                Ok(Err(_)) => return Err(sqlx::Error::PoolClosed),
                Ok(Ok(permit)) => permit,
            };
        drop(waiting);
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let (conn, begun) = match idle {
            Some(idle) => idle,
            None => (self.connect().await?, Begun::No),
        };
        if begun != Begun::Grouped {
            // A group lives in its connection's open transaction: with the permit held and
            // no transaction of a group here, that transaction is gone (its connection was
            // lost), and so is the group's work.
            self.lose_group();
        }
        Ok(OwnConn {
            conn: Some(conn),
            home: self.clone(),
            permit: Some(permit),
            begun,
        })
    }

    async fn connect(&self) -> Result<AnyConnection, sqlx::Error> {
        let mut conn = AnyConnection::connect_with(&self.options).await?;
        if !self.setup.is_empty() {
            conn.execute(self.setup).await?;
        }
        self.open.fetch_add(1, Ordering::Relaxed);
        Ok(conn)
    }

    fn give_back(&self, conn: AnyConnection, begun: Begun) {
        if self.permits.is_closed() {
            self.open.fetch_sub(1, Ordering::Relaxed);
            self.end_group(Err("the store closed".into()));
            return;
        }
        match self.idle.lock() {
            Ok(mut idle) => idle.push((conn, begun)),
            Err(_) => {
                self.open.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    /// Whether a holder finishing now should leave its work to the group's COMMIT: others
    /// wait for the writer and the group is neither full nor old.
    fn group_goes_on(&self) -> bool {
        if !self.groups || self.waiting.load(Ordering::SeqCst) == 0 {
            return false;
        }
        match self.group.lock() {
            Ok(group) => group
                .as_ref()
                .is_none_or(|g| g.members < GROUP_MEMBERS && g.started.elapsed() < GROUP_AGE),
            Err(_) => false,
        }
    }

    /// Joins the open group (starting it), to be told of its COMMIT.
    fn join_group(&self) -> StoreResult<watch::Receiver<Option<Result<(), String>>>> {
        let mut group = self
            .group
            .lock()
            .map_err(|_| StoreError::Other(anyhow::anyhow!("the writer's group is poisoned")))?;
        let group = group.get_or_insert_with(|| Group {
            members: 0,
            started: Instant::now(),
            done: watch::channel(None).0,
        });
        group.members += 1;
        Ok(group.done.subscribe())
    }

    /// Tells the group's members how its COMMIT went (`Ok`: it went through); the next write
    /// starts a new group.
    fn end_group(&self, outcome: Result<(), String>) {
        self.leave_heads(None);
        if outcome.is_ok() {
            self.commits.fetch_add(1, Ordering::Relaxed);
        }
        let group = self.group.lock().ok().and_then(|mut group| group.take());
        if let Some(group) = group {
            group.done.send_replace(Some(outcome));
        }
    }

    /// Tells a group whose transaction is gone that its COMMIT failed.
    fn lose_group(&self) {
        let lost = self.group.lock().ok().is_some_and(|group| group.is_some());
        if lost {
            self.end_group(Err("the transaction of the group was lost".into()));
        }
    }

    fn leave_heads(&self, heads: Option<Heads>) {
        if let Ok(mut left) = self.heads.lock() {
            *left = heads;
        }
    }

    fn take_heads(&self) -> Option<Heads> {
        self.heads.lock().ok().and_then(|mut left| left.take())
    }

    /// Waits for the COMMIT of the group joined; if the holder the writer was left for never
    /// takes it, commits the group itself (an `acquire` does).
    async fn wait_for_group(
        self: &Arc<Self>,
        mut done: watch::Receiver<Option<Result<(), String>>>,
    ) -> StoreResult<()> {
        loop {
            let waited = tokio::time::timeout(GROUP_FLUSH, done.wait_for(Option::is_some))
                .await
                .map(|outcome| outcome.map(|outcome| outcome.clone()));
            match waited {
                Ok(Ok(Some(Err(err)))) => {
                    return Err(StoreError::Unavailable(format!(
                        "the group commit failed: {err}"
                    )))
                }
                Ok(Ok(_)) => return Ok(()),
                Ok(Err(_)) => {
                    return Err(StoreError::Unavailable("the group commit was lost".into()))
                }
                Err(_) => drop(Conns::Own(self.clone()).acquire().await?),
            }
        }
    }

    /// Refuses new holders and closes the idle connections; those held close when given back.
    async fn close(&self) {
        self.permits.close();
        let idle = self
            .idle
            .lock()
            .map(|mut idle| std::mem::take(&mut *idle))
            .unwrap_or_default();
        for (conn, _) in idle {
            self.open.fetch_sub(1, Ordering::Relaxed);
            let _ = conn.close().await;
        }
        self.end_group(Err("the store closed".into()));
    }
}

impl Conns {
    /// A connection outside any transaction; a group waiting in the open transaction is
    /// committed first.
    pub(super) async fn acquire(&self) -> StoreResult<Conn> {
        Ok(match self {
            Self::Sqlx(pool) => Conn::Sqlx(pool.acquire().await?),
            Self::Own(pool) => {
                let mut own = pool.acquire().await?;
                match own.begun {
                    Begun::Ready => {
                        own.begun = Begun::Unsure { saved: false };
                        own.conn_mut().execute("ROLLBACK").await?;
                        own.begun = Begun::No;
                    }
                    Begun::Grouped => {
                        own.begun = Begun::Unsure { saved: true };
                        own.conn_mut().execute("RELEASE held; COMMIT").await?;
                        own.begun = Begun::No;
                        pool.end_group(Ok(()));
                    }
                    Begun::No | Begun::Unsure { .. } => {}
                }
                Conn::Own(own)
            }
        })
    }

    /// A connection with a transaction begun on it: on an own connection usually begun
    /// already, by the last holder's `COMMIT`, or a savepoint in a group's transaction.
    pub(super) async fn begin(&self) -> StoreResult<TxConn> {
        match self {
            Self::Sqlx(pool) => {
                let mut conn = Conn::Sqlx(pool.acquire().await?);
                AnyTransactionManager::begin(&mut conn, None).await?;
                Ok(TxConn { conn, heads: None })
            }
            Self::Own(pool) => {
                let mut own = pool.acquire().await?;
                let begun = own.begun;
                own.begun = Begun::Unsure {
                    saved: begun == Begun::Grouped,
                };
                if begun == Begun::No {
                    own.conn_mut().execute("BEGIN").await?;
                }
                let heads = match begun {
                    Begun::Grouped => pool.take_heads(),
                    _ => None,
                };
                Ok(TxConn {
                    conn: Conn::Own(own),
                    heads,
                })
            }
        }
    }
    /// Connections open and idle.
    pub(super) fn stats(&self) -> (u32, usize) {
        match self {
            Self::Sqlx(pool) => (pool.size(), pool.num_idle()),
            Self::Own(pool) => (
                pool.open.load(Ordering::Relaxed),
                pool.idle.lock().map(|idle| idle.len()).unwrap_or(0),
            ),
        }
    }

    pub(super) async fn close(&self) {
        match self {
            Self::Sqlx(pool) => pool.close().await,
            Self::Own(pool) => pool.close().await,
        }
    }
}

impl OwnPool {
    /// Undoes the unfinished work of a holder gone or failed: inside a group only its own,
    /// back to the savepoint (the group goes on, or is committed when nobody waits), else its
    /// transaction. Returns where the connection then stands.
    async fn undo(&self, conn: &mut AnyConnection, saved: bool) -> Begun {
        if saved {
            let goes_on = self.group_goes_on();
            let sql = if goes_on {
                "ROLLBACK TO held"
            } else {
                "ROLLBACK TO held; RELEASE held; COMMIT; BEGIN"
            };
            match conn.execute(sql).await {
                Ok(_) if goes_on => return Begun::Grouped,
                Ok(_) => {
                    self.end_group(Ok(()));
                    return Begun::Ready;
                }
                // The savepoint or the transaction is gone: so is the group's work.
                Err(err) => self.end_group(Err(err.to_string())),
            }
        }
        // Fails only when no transaction is open: then there is nothing to undo either.
        let _ = conn.execute("ROLLBACK").await;
        Begun::No
    }

    /// A holder's last command (its last writes and its part of the group commit), run to
    /// the end on a task of its own so that a holder dropped meanwhile cannot stop a COMMIT
    /// halfway. `Some` the group to wait for when the work was left to the group's COMMIT.
    async fn finish(
        self: Arc<Self>,
        mut conn: AnyConnection,
        permit: Option<OwnedSemaphorePermit>,
        saved: bool,
        writes: Option<Sql>,
        heads: Option<Heads>,
    ) -> StoreResult<Option<watch::Receiver<Option<Result<(), String>>>>> {
        let goes_on = self.group_goes_on();
        let mut sql = writes.unwrap_or_default();
        if saved {
            sql.next_statement().push("RELEASE held");
        }
        sql.next_statement().push(if goes_on {
            "SAVEPOINT held"
        } else {
            "COMMIT; BEGIN"
        });
        // The group is told, and joined, before the permit goes: no holder can come between.
        let (begun, outcome) = match sql.execute_on(&mut conn).await {
            Ok(_) if goes_on => match self.join_group() {
                Ok(done) => {
                    self.leave_heads(heads);
                    (Begun::Grouped, Ok(Some(done)))
                }
                Err(err) => (self.undo(&mut conn, true).await, Err(err)),
            },
            Ok(_) => {
                self.end_group(Ok(()));
                (Begun::Ready, Ok(None))
            }
            Err(err) => (self.undo(&mut conn, saved).await, Err(err)),
        };
        self.give_back(conn, begun);
        drop(permit);
        outcome
    }
}

impl OwnConn {
    fn conn_mut(&mut self) -> &mut AnyConnection {
        // Taken only in `drop` and by `TxConn::commit_after`, which consume it.
        self.conn.as_mut().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for OwnConn {
    /// Gives the connection back; one that may hold a holder's unfinished work is first
    /// undone (`OwnPool::undo`) on a task that keeps the connection's permit, so the next
    /// holder waits for that. Outside a runtime it is closed instead, which rolls back too.
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        let Begun::Unsure { saved } = self.begun else {
            self.home.give_back(conn, self.begun);
            return;
        };
        let home = self.home.clone();
        let permit = self.permit.take();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    let begun = home.undo(&mut conn, saved).await;
                    home.give_back(conn, begun);
                    drop(permit);
                });
            }
            Err(_) => {
                home.open.fetch_sub(1, Ordering::Relaxed);
                home.end_group(Err("the writer's connection was closed".into()));
                drop(conn);
            }
        }
    }
}

impl Drop for Conn {
    /// A transaction begun through sqlx that its holder left open never reaches the next
    /// holder: its rollback is queued before the connection goes back, and runs before the
    /// next holder's first statement (SQLite's thread runs commands in order; PostgreSQL's
    /// rollback is sent with the connection's next message, sqlx's pool's own check on
    /// return). The store's own transactions on SQLite are undone by `Drop for OwnConn`.
    fn drop(&mut self) {
        let conn = match self {
            Self::Sqlx(conn) => &mut **conn,
            Self::Own(own) => match own.conn.as_mut() {
                Some(conn) => conn,
                None => return,
            },
        };
        if AnyTransactionManager::get_transaction_depth(conn) > 0 {
            AnyTransactionManager::start_rollback(conn);
        }
    }
}

impl Deref for Conn {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match self {
            Self::Sqlx(conn) => conn,
            // Taken only in `drop` and by `TxConn::commit_after`.
            Self::Own(own) => own.conn.as_ref().unwrap_or_else(|| unreachable!()),
        }
    }
}

impl DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            Self::Sqlx(conn) => conn,
            Self::Own(own) => own.conn_mut(),
        }
    }
}

impl TxConn {
    pub(super) fn conn(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }

    /// Runs `writes` (the transaction's last statements), then commits. On an own connection
    /// that is one command, which also begins the next holder's transaction, or, while others
    /// wait for the writer, leaves the work to the group's COMMIT and returns once that is
    /// done (see the module's documentation).
    pub(super) async fn commit_after(mut self, writes: Option<Sql>) -> StoreResult<()> {
        match &mut self.conn {
            Conn::Sqlx(_) => {
                if let Some(writes) = writes {
                    writes.execute_on(&mut self.conn).await?;
                }
                AnyTransactionManager::commit(&mut self.conn).await?;
                Ok(())
            }
            Conn::Own(own) => {
                let saved = own.begun == Begun::Unsure { saved: true };
                let home = own.home.clone();
                let permit = own.permit.take();
                let Some(conn) = own.conn.take() else {
                    return Err(StoreError::Other(anyhow::anyhow!(
                        "a connection given back"
                    )));
                };
                let heads = self.heads.take();
                let finish = tokio::spawn(home.clone().finish(conn, permit, saved, writes, heads));
                let joined = finish.await.map_err(|err| {
                    StoreError::Other(anyhow::anyhow!("the commit's task: {err}"))
                })??;
                match joined {
                    Some(done) => home.wait_for_group(done).await,
                    None => Ok(()),
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::str::FromStr;

    use sqlx::any::{AnyConnectOptions, AnyTransactionManager};
    use sqlx::{AnyConnection, Row, TransactionManager};

    use std::sync::atomic::Ordering;

    use super::{Conns, OwnPool, Sql};

    /// The store's own pool behind `conns` (every pool these tests make is one).
    fn own(conns: &Conns) -> &std::sync::Arc<OwnPool> {
        match conns {
            Conns::Own(pool) => pool,
            Conns::Sqlx(_) => unreachable!(),
        }
    }

    fn writer_options(dir: &tempfile::TempDir) -> AnyConnectOptions {
        sqlx::any::install_default_drivers();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("db.sqlite").display()
        );
        AnyConnectOptions::from_str(&url).unwrap()
    }

    fn pool(dir: &tempfile::TempDir, max: u32) -> Conns {
        Conns::Own(OwnPool::new(
            writer_options(dir),
            max,
            "PRAGMA journal_mode = WAL;",
            std::time::Duration::from_millis(200),
        ))
    }

    /// A connection of its own on the same database, beside the writer's pool.
    fn beside(dir: &tempfile::TempDir, setup: &'static str) -> Conns {
        Conns::Own(OwnPool::new(
            writer_options(dir),
            1,
            setup,
            std::time::Duration::from_millis(200),
        ))
    }

    async fn run(conn: &mut AnyConnection, sql: &str) {
        sqlx::query(sql).execute(conn).await.unwrap();
    }

    /// A writer pool of one connection over a new database with a table `t`.
    async fn writer_with_table(dir: &tempfile::TempDir) -> Conns {
        let writer = pool(dir, 1);
        run(
            &mut writer.acquire().await.unwrap(),
            "CREATE TABLE t (x INTEGER)",
        )
        .await;
        writer
    }

    async fn count(conns: &Conns) -> i64 {
        count_on(&mut conns.acquire().await.unwrap()).await
    }

    async fn count_on(conn: &mut AnyConnection) -> i64 {
        sqlx::query("SELECT COUNT(*) AS n FROM t")
            .fetch_one(conn)
            .await
            .unwrap()
            .try_get("n")
            .unwrap()
    }

    #[tokio::test]
    async fn a_transaction_dropped_uncommitted_is_rolled_back_before_the_next_holder_writes() {
        let dir = tempfile::tempdir().unwrap();
        let writer = writer_with_table(&dir).await;
        {
            let mut tx = writer.begin().await.unwrap();
            run(tx.conn(), "INSERT INTO t VALUES (1)").await;
            // Dropped: no COMMIT.
        }
        let mut tx = writer.begin().await.unwrap();
        run(tx.conn(), "INSERT INTO t VALUES (2)").await;
        tx.commit_after(None).await.unwrap();
        assert_eq!(count(&writer).await, 1);
        // One connection, reused: nothing else was opened.
        assert_eq!(writer.stats(), (1, 1));
    }

    #[tokio::test]
    async fn a_connection_given_back_inside_a_transaction_is_rolled_back_not_nested() {
        let dir = tempfile::tempdir().unwrap();
        let writer = writer_with_table(&dir).await;
        {
            let mut conn = writer.acquire().await.unwrap();
            // Begun outside a `TxConn` (as when a holder is cancelled between the two).
            AnyTransactionManager::begin(&mut conn, None).await.unwrap();
            run(&mut conn, "INSERT INTO t VALUES (1)").await;
        }
        let mut tx = writer.begin().await.unwrap();
        run(tx.conn(), "INSERT INTO t VALUES (2)").await;
        tx.commit_after(None).await.unwrap();
        // Committed for every connection, not a savepoint in a transaction left open.
        let readers = beside(&dir, "");
        assert_eq!(count(&readers).await, 1);
    }

    #[tokio::test]
    async fn a_commit_begins_the_next_transaction_which_locks_nothing_until_used() {
        let dir = tempfile::tempdir().unwrap();
        let writer = writer_with_table(&dir).await;
        let mut tx = writer.begin().await.unwrap();
        run(tx.conn(), "INSERT INTO t VALUES (1)").await;
        tx.commit_after(None).await.unwrap();
        // Given back inside the next, empty transaction, which takes no lock: another
        // connection writes at once, without waiting.
        let other = beside(&dir, "PRAGMA busy_timeout = 0;");
        run(
            &mut other.acquire().await.unwrap(),
            "INSERT INTO t VALUES (2)",
        )
        .await;
        // The next holder's transaction is that one: what it writes is rolled back with it.
        {
            let mut tx = writer.begin().await.unwrap();
            run(tx.conn(), "INSERT INTO t VALUES (3)").await;
        }
        let mut tx = writer.begin().await.unwrap();
        assert_eq!(count_on(tx.conn()).await, 2);
        tx.commit_after(None).await.unwrap();
        // A holder outside a transaction gets the connection outside one: sqlx's own BEGIN
        // would fail inside the open one.
        let mut conn = writer.acquire().await.unwrap();
        AnyTransactionManager::begin(&mut conn, None).await.unwrap();
        AnyTransactionManager::commit(&mut conn).await.unwrap();
        assert_eq!(writer.stats(), (1, 0));
    }

    /// Lets `n` holders queue for the writer.
    async fn until_waiting(writer: &Conns, n: usize) {
        let pool = own(writer);
        while pool.waiting.load(Ordering::SeqCst) < n {
            tokio::task::yield_now().await;
        }
    }

    fn commits(writer: &Conns) -> u64 {
        let pool = own(writer);
        pool.commits.load(Ordering::Relaxed)
    }

    #[tokio::test]
    async fn writers_queued_together_share_one_commit_and_a_failed_one_undoes_only_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let writer = pool(&dir, 1);
        run(
            &mut writer.acquire().await.unwrap(),
            "CREATE TABLE t (x INTEGER UNIQUE)",
        )
        .await;
        let before = commits(&writer);
        let mut first = writer.begin().await.unwrap();
        let mut queued = Vec::new();
        for x in 1..=7_i64 {
            let writer = writer.clone();
            queued.push(tokio::spawn(async move {
                let mut tx = writer.begin().await?;
                run(tx.conn(), &format!("INSERT INTO t VALUES ({x})")).await;
                match x {
                    // Gone before its commit: its row must go with it, and only its row.
                    3 => Ok(()),
                    // Its last writes fail (x = 0 is taken): the others' rows stay.
                    5 => {
                        tx.commit_after(Some(Sql::new("INSERT INTO t VALUES (0)")))
                            .await
                    }
                    _ => tx.commit_after(None).await,
                }
            }));
        }
        until_waiting(&writer, 7).await;
        run(first.conn(), "INSERT INTO t VALUES (0)").await;
        first.commit_after(None).await.unwrap();
        let mut outcomes = Vec::new();
        for task in queued {
            outcomes.push(task.await.unwrap().is_ok());
        }
        assert_eq!(outcomes, [true, true, true, true, false, true, true]);
        let readers = beside(&dir, "");
        let mut conn = readers.acquire().await.unwrap();
        let rows: Vec<i64> = sqlx::query("SELECT x FROM t ORDER BY x")
            .fetch_all(&mut *conn)
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get("x").unwrap())
            .collect();
        assert_eq!(rows, [0, 1, 2, 4, 6, 7]);
        // Eight writes, one COMMIT: each answered only once it went through.
        assert_eq!(commits(&writer) - before, 1);
    }

    /// A writer that wrote a row and left it to a group's COMMIT, because a holder seemed to
    /// wait (`waiting` is raised by one): the writer pool and the member's commit, running.
    async fn member_of_a_group(
        dir: &tempfile::TempDir,
    ) -> (Conns, tokio::task::JoinHandle<super::StoreResult<()>>) {
        let writer = writer_with_table(dir).await;
        let pool = own(&writer);
        let mut tx = writer.begin().await.unwrap();
        run(tx.conn(), "INSERT INTO t VALUES (1)").await;
        pool.waiting.fetch_add(1, Ordering::SeqCst);
        let member = tokio::spawn(tx.commit_after(None));
        while pool.group.lock().unwrap().is_none() {
            tokio::task::yield_now().await;
        }
        (writer, member)
    }

    #[tokio::test]
    async fn a_group_left_by_a_holder_that_gave_up_is_committed_by_its_member() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, member) = member_of_a_group(&dir).await;
        let pool = own(&writer);
        // The holder it was left for gives up before taking the writer.
        pool.waiting.fetch_sub(1, Ordering::SeqCst);
        tokio::time::timeout(std::time::Duration::from_secs(2), member)
            .await
            .expect("the member commits its group itself")
            .unwrap()
            .unwrap();
        assert_eq!(count(&beside(&dir, "")).await, 1);
    }

    #[tokio::test]
    async fn a_group_whose_connection_was_lost_fails_its_members_instead_of_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, member) = member_of_a_group(&dir).await;
        let pool = own(&writer);
        // The group's connection is lost (its transaction with it), and nobody takes over.
        let (lost, _) = pool.idle.lock().unwrap().pop().unwrap();
        drop(lost);
        pool.waiting.fetch_sub(1, Ordering::SeqCst);
        let outcome = tokio::time::timeout(std::time::Duration::from_secs(2), member)
            .await
            .expect("the member is told")
            .unwrap();
        assert!(outcome.is_err(), "told that a lost group committed");
        assert_eq!(count(&beside(&dir, "")).await, 0);
    }

    #[tokio::test]
    async fn a_holder_waits_for_the_connection_and_a_closed_pool_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let writer = pool(&dir, 1);
        let held = writer.acquire().await.unwrap();
        // The only connection is held: the next one times out, as sqlx's pool would.
        assert!(matches!(
            writer.acquire().await,
            Err(super::super::StoreError::Unavailable(_))
        ));
        drop(held);
        let again = writer.acquire().await.unwrap();
        drop(again);
        writer.close().await;
        assert_eq!(writer.stats(), (0, 0));
        assert!(matches!(
            writer.acquire().await,
            Err(super::super::StoreError::Unavailable(_))
        ));
    }
}
