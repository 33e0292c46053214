//! SQLite's write-ahead log, copied back into the database file and started over.
//!
//! A task beside the writer copies the WAL into the database file every half second
//! (PASSIVE: it waits for no reader and no writer), so no request's commit pays for a
//! checkpoint. But SQLite starts the WAL over from its beginning only when a writer begins
//! while every frame has been copied, and under a steady flow of writes a copy made beside
//! the writer never catches up with it: new frames arrive while it copies. Without more the
//! WAL grows for as long as the writes go on (300 MB in half a minute of audited reads on
//! this machine), and every frame is appended to new blocks of the file.
//!
//! So once the WAL holds more than `RESTART_AT` frames, the task takes the single writer
//! for a moment, like any holder: with no write possible it copies what the last round left
//! and waits a little for the readers still in the log (RESTART), so that the next write
//! starts the log again from its beginning, over blocks the file already has. The writer is
//! held for that last copy and its two syncs only; holding it as a holder, rather than
//! letting the restart take SQLite's lock beside it, spares the writes queued meanwhile a
//! sleep in SQLite's busy handler. A reader that stays longer than `READERS_WAIT` just
//! leaves the restart to the next round. The writer's `journal_size_limit` cuts the file
//! back to 64 MiB when it starts over, if a burst grew it past that.

use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use sqlx::{AnyPool, Row};
use tokio_util::sync::CancellationToken;

use super::conns::Conns;
use super::StoreResult;

/// How often the WAL is copied back into the database file.
const EVERY: Duration = Duration::from_millis(500);
/// Frames (pages of about 4 KiB) after which the writer is held to start the log over.
pub(super) const RESTART_AT: i64 = 8_192;
/// How long a restart waits for readers still in the log (the checkpoint connection's
/// busy timeout; a PASSIVE checkpoint never waits).
pub(super) const READERS_WAIT: Duration = Duration::from_millis(100);

/// What one round found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Round {
    /// Frames in the WAL after the copy beside the writer.
    pub log: i64,
    /// Whether the writer was held and the log left to start over with the next write.
    pub restarted: bool,
}

/// What the rounds show on `/metrics`: the WAL's frames at the last round, and the restarts.
#[derive(Clone, Debug, Default)]
pub struct Figures {
    pub frames: Gauge,
    pub restarts: Counter,
}

/// Runs rounds until `stop`.
pub(super) async fn run(pool: AnyPool, writer: Conns, figures: Figures, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(EVERY) => {}
        }
        match round(&pool, &writer, RESTART_AT).await {
            Ok(done) => {
                figures.frames.set(done.log);
                if done.restarted {
                    figures.restarts.inc();
                }
            }
            Err(err) => tracing::warn!(error = %err, "WAL checkpoint failed; retrying"),
        }
    }
    pool.close().await;
}

/// One round: a copy beside the writer, then, when the log holds `restart_at` frames or
/// more, a restart with the writer held.
pub(super) async fn round(pool: &AnyPool, writer: &Conns, restart_at: i64) -> StoreResult<Round> {
    let (_, log) = checkpoint(pool, "PASSIVE").await?;
    let mut done = Round {
        log,
        restarted: false,
    };
    if log >= restart_at {
        // Held like any write: queued behind those before it, an open group committed.
        let held = writer.acquire().await?;
        let (busy, _) = checkpoint(pool, "RESTART").await?;
        drop(held);
        done.restarted = busy == 0;
    }
    Ok(done)
}

/// `PRAGMA wal_checkpoint(mode)`: whether it was kept from finishing, and the WAL's frames.
async fn checkpoint(pool: &AnyPool, mode: &str) -> StoreResult<(i64, i64)> {
    let row = sqlx::query(&format!("PRAGMA wal_checkpoint({mode})"))
        .fetch_one(pool)
        .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::str::FromStr;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
    use sqlx::{AnyConnection, AnyPool, Connection, Executor, Row};

    use super::super::conns::{Conns, OwnPool};
    use super::{checkpoint, round, READERS_WAIT};

    /// The writer's `journal_size_limit`.
    const KEEP_BYTES: i64 = 64 * 1024 * 1024;

    /// Frames after which these tests restart the log.
    const LIMIT: i64 = 200;

    struct Db {
        _dir: tempfile::TempDir,
        options: AnyConnectOptions,
        writer: Conns,
        checkpoints: AnyPool,
    }

    /// A database with the store's writer settings, a table `t` and a checkpoint connection
    /// set up as the store's.
    async fn db() -> Db {
        sqlx::any::install_default_drivers();
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("db.sqlite").display()
        );
        let options = AnyConnectOptions::from_str(&url).unwrap();
        let writer = Conns::Own(OwnPool::new(
            options.clone(),
            1,
            super::super::SQLITE_WRITER,
            Duration::from_secs(5),
        ));
        writer
            .acquire()
            .await
            .unwrap()
            .execute("CREATE TABLE t (x BLOB)")
            .await
            .unwrap();
        let wait = READERS_WAIT.as_millis();
        let checkpoints = AnyPoolOptions::new()
            .max_connections(1)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    conn.execute(format!("PRAGMA busy_timeout = {wait};").as_str())
                        .await?;
                    Ok(())
                })
            })
            .connect_with(options.clone())
            .await
            .unwrap();
        Db {
            _dir: dir,
            options,
            writer,
            checkpoints,
        }
    }

    /// Writes one row of 3 KB after the other, each in a transaction of its own, until the
    /// flag returned is set; counts them in the counter returned.
    fn keep_writing(writer: Conns) -> (Arc<AtomicBool>, Arc<AtomicU64>) {
        let stop = Arc::new(AtomicBool::new(false));
        let written = Arc::new(AtomicU64::new(0));
        let (stopped, counted) = (stop.clone(), written.clone());
        tokio::spawn(async move {
            while !stopped.load(Ordering::SeqCst) {
                let mut tx = writer.begin().await.unwrap();
                tx.conn()
                    .execute("INSERT INTO t VALUES (randomblob(3000))")
                    .await
                    .unwrap();
                tx.commit_after(None).await.unwrap();
                counted.fetch_add(1, Ordering::SeqCst);
            }
        });
        (stop, written)
    }

    /// Rounds that never restart, while the writes go on, until the log holds `LIMIT` frames.
    async fn copy_beside_until_past_the_limit(db: &Db, written: &AtomicU64) {
        loop {
            let copied = round(&db.checkpoints, &db.writer, i64::MAX).await.unwrap();
            assert!(!copied.restarted, "{copied:?}");
            if copied.log >= LIMIT {
                return;
            }
            until_written(written, 20).await;
        }
    }

    async fn until_written(written: &AtomicU64, more: u64) {
        let goal = written.load(Ordering::SeqCst) + more;
        while written.load(Ordering::SeqCst) < goal {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_writer_keeps_its_savepoint_journal_in_memory_and_limits_the_log_file() {
        let db = db().await;
        let mut conn = db.writer.acquire().await.unwrap();
        let pragma = |name: &'static str| sqlx::query_scalar::<_, i64>(name);
        let limit = pragma("PRAGMA journal_size_limit")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let temp_store = pragma("PRAGMA temp_store")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!((limit, temp_store), (KEEP_BYTES, 2));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn under_steady_writes_and_reads_the_log_starts_over_once_past_its_limit() {
        let db = db().await;
        let (stop, written) = keep_writing(db.writer.clone());
        // Short read transactions beside, as the hub's readers make.
        let mut reader = AnyConnection::connect_with(&db.options).await.unwrap();
        let reading = tokio::spawn({
            let stop = stop.clone();
            async move {
                let mut reads = 0_u64;
                while !stop.load(Ordering::SeqCst) {
                    let row = reader.fetch_one("SELECT COUNT(*) FROM t").await.unwrap();
                    let _: i64 = row.try_get(0).unwrap();
                    reads += 1;
                }
                reads
            }
        });
        copy_beside_until_past_the_limit(&db, &written).await;
        let restart = round(&db.checkpoints, &db.writer, LIMIT).await.unwrap();
        assert!(restart.log >= LIMIT, "{restart:?}");
        assert!(restart.restarted, "{restart:?}");
        // The writes after it start the log from its beginning.
        until_written(&written, 5).await;
        let (_, log) = checkpoint(&db.checkpoints, "PASSIVE").await.unwrap();
        assert!(log < restart.log, "{log} frames after {restart:?}");
        stop.store(true, Ordering::SeqCst);
        assert!(reading.await.unwrap() > 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_reader_that_stays_in_the_log_holds_the_writer_no_longer_than_the_wait() {
        let db = db().await;
        let (stop, written) = keep_writing(db.writer.clone());
        // A reader whose transaction has seen the log since the first writes.
        until_written(&written, 10).await;
        let mut reader = AnyConnection::connect_with(&db.options).await.unwrap();
        reader.execute("BEGIN").await.unwrap();
        reader.fetch_one("SELECT COUNT(*) FROM t").await.unwrap();
        copy_beside_until_past_the_limit(&db, &written).await;
        let started = Instant::now();
        let restart = round(&db.checkpoints, &db.writer, LIMIT).await.unwrap();
        let held = started.elapsed();
        assert!(!restart.restarted, "{restart:?}");
        assert!(held < READERS_WAIT * 10, "the round took {held:?}");
        // The writes go on; once the reader is done, the next round restarts the log.
        until_written(&written, 5).await;
        reader.execute("COMMIT").await.unwrap();
        let restart = round(&db.checkpoints, &db.writer, LIMIT).await.unwrap();
        assert!(restart.restarted, "{restart:?}");
        stop.store(true, Ordering::SeqCst);
    }
}
