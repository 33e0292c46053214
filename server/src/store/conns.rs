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

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyTransactionManager};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, TransactionManager};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::StoreResult;
use crate::sql::Sql;

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

/// Where an own connection's transaction stands. An idle connection is `No` or `Ready`; one
/// held by a `TxConn` is `Unsure` until its `COMMIT` returns, so that a holder dropped or
/// failed anywhere in between has its transaction rolled back before anyone else gets the
/// connection (`Drop for OwnConn`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Begun {
    /// No transaction open.
    No,
    /// An empty transaction open: the `BEGIN` sent with the last `COMMIT`. It is deferred, so
    /// it holds no lock and no snapshot until its first statement.
    Ready,
    /// Perhaps inside a transaction with changes: rolled back before it is used again.
    Unsure,
}

/// A writing transaction's connection: BEGIN sent; COMMIT by `commit`, else rolled back when
/// dropped (as sqlx's `Transaction` is).
pub(super) struct TxConn {
    conn: Conn,
}

impl OwnPool {
    /// A pool of up to `max` connections, opened as they are first needed.
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
        })
    }

    async fn acquire(self: &Arc<Self>) -> Result<OwnConn, sqlx::Error> {
        let permit =
            match tokio::time::timeout(self.acquire_timeout, self.permits.clone().acquire_owned())
                .await
            {
                Err(_) => return Err(sqlx::Error::PoolTimedOut),
                Ok(Err(_)) => return Err(sqlx::Error::PoolClosed),
                Ok(Ok(permit)) => permit,
            };
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let (conn, begun) = match idle {
            Some(idle) => idle,
            None => (self.connect().await?, Begun::No),
        };
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
            return;
        }
        match self.idle.lock() {
            Ok(mut idle) => idle.push((conn, begun)),
            Err(_) => {
                self.open.fetch_sub(1, Ordering::Relaxed);
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
    }
}

impl Conns {
    /// A connection outside any transaction.
    pub(super) async fn acquire(&self) -> StoreResult<Conn> {
        Ok(match self {
            Self::Sqlx(pool) => Conn::Sqlx(pool.acquire().await?),
            Self::Own(pool) => {
                let mut own = pool.acquire().await?;
                if own.begun == Begun::Ready {
                    own.begun = Begun::Unsure;
                    own.conn_mut().execute("ROLLBACK").await?;
                    own.begun = Begun::No;
                }
                Conn::Own(own)
            }
        })
    }

    /// A connection with a transaction begun on it: on an own connection usually begun
    /// already, by the last holder's `COMMIT`.
    pub(super) async fn begin(&self) -> StoreResult<TxConn> {
        match self {
            Self::Sqlx(pool) => {
                let mut conn = Conn::Sqlx(pool.acquire().await?);
                AnyTransactionManager::begin(&mut conn, None).await?;
                Ok(TxConn { conn })
            }
            Self::Own(pool) => {
                let mut own = pool.acquire().await?;
                let ready = own.begun == Begun::Ready;
                own.begun = Begun::Unsure;
                if !ready {
                    own.conn_mut().execute("BEGIN").await?;
                }
                Ok(TxConn {
                    conn: Conn::Own(own),
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

impl OwnConn {
    fn conn_mut(&mut self) -> &mut AnyConnection {
        // Taken only in `drop`.
        self.conn.as_mut().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for OwnConn {
    /// Gives the connection back; one that may hold an unfinished transaction is first rolled
    /// back on a task that keeps the connection's permit, so the next holder waits for that.
    /// Outside a runtime it is closed instead, which rolls back as well.
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        if self.begun != Begun::Unsure {
            self.home.give_back(conn, self.begun);
            return;
        }
        let home = self.home.clone();
        let permit = self.permit.take();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    // Fails only when no transaction was open (a COMMIT went through and its
                    // BEGIN did not): then there is nothing to undo either.
                    let _ = conn.execute("ROLLBACK").await;
                    home.give_back(conn, Begun::No);
                    drop(permit);
                });
            }
            Err(_) => {
                home.open.fetch_sub(1, Ordering::Relaxed);
                drop(conn);
            }
        }
    }
}

impl Drop for Conn {
    /// A transaction its holder left open (a `TxConn` dropped uncommitted, or a holder
    /// cancelled between `BEGIN` and the transaction) never reaches the next holder: its
    /// rollback is queued before the connection goes back, and runs before the next holder's
    /// first statement (SQLite's thread runs commands in order; PostgreSQL's rollback is sent
    /// with the connection's next message, sqlx's pool's own check on return).
    fn drop(&mut self) {
        if AnyTransactionManager::get_transaction_depth(self) > 0 {
            AnyTransactionManager::start_rollback(self);
        }
    }
}

impl Deref for Conn {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match self {
            Self::Sqlx(conn) => conn,
            // Taken only in `drop`.
            Self::Own(own) => own.conn.as_ref().unwrap_or_else(|| unreachable!()),
        }
    }
}

impl DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            Self::Sqlx(conn) => conn,
            Self::Own(own) => own.conn.as_mut().unwrap_or_else(|| unreachable!()),
        }
    }
}

impl TxConn {
    pub(super) fn conn(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }

    /// Runs `writes` (the transaction's last statements), then commits. On an own connection
    /// that is one command, which also begins the next holder's transaction.
    pub(super) async fn commit_after(mut self, writes: Option<Sql>) -> StoreResult<()> {
        match &mut self.conn {
            Conn::Sqlx(_) => {
                if let Some(writes) = writes {
                    writes.execute_on(&mut self.conn).await?;
                }
                AnyTransactionManager::commit(&mut self.conn).await?;
            }
            Conn::Own(own) => {
                let mut sql = match writes {
                    Some(mut writes) => {
                        writes.push("; ");
                        writes
                    }
                    None => Sql::new(""),
                };
                sql.push("COMMIT; BEGIN");
                sql.execute_on(own.conn_mut()).await?;
                own.begun = Begun::Ready;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::str::FromStr;

    use sqlx::any::{AnyConnectOptions, AnyTransactionManager};
    use sqlx::{AnyConnection, Row, TransactionManager};

    use super::{Conns, OwnPool};

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
        let readers = Conns::Own(OwnPool::new(
            writer_options(&dir),
            1,
            "",
            std::time::Duration::from_millis(200),
        ));
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
        let other = Conns::Own(OwnPool::new(
            writer_options(&dir),
            1,
            "PRAGMA busy_timeout = 0;",
            std::time::Duration::from_millis(200),
        ));
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
