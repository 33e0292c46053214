//! Group commit for SQLite. The writer runs with `synchronous = NORMAL`, so its COMMIT only
//! writes the WAL and the single writer connection is free again at once; before the
//! transaction is acknowledged, `WalSync` makes the WAL durable with one `fdatasync` shared
//! by every commit that finished before that sync began. An acknowledged write is therefore
//! on disk exactly as with `synchronous = FULL`, but many commits share one sync and none
//! holds the writer while it waits for the disk.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Mutex;

use super::{StoreError, StoreResult};

#[derive(Debug)]
pub struct WalSync {
    wal: PathBuf,
    /// Commits numbered so far (numbered after their COMMIT returned).
    commits: AtomicU64,
    /// Every commit up to this number is durable. Held while a sync runs, so commits
    /// arriving meanwhile queue and are usually covered by the next one.
    synced: Mutex<u64>,
    /// Syncs done (for tests and the benchmark's curiosity).
    syncs: AtomicU64,
}

impl WalSync {
    /// For the database file at `database`.
    pub fn new(database: &str) -> Self {
        Self {
            wal: PathBuf::from(format!("{database}-wal")),
            commits: AtomicU64::new(0),
            synced: Mutex::new(0),
            syncs: AtomicU64::new(0),
        }
    }

    /// Returns once everything this connection's COMMIT wrote is on disk.
    pub async fn after_commit(&self) -> StoreResult<()> {
        let mine = self.commits.fetch_add(1, Ordering::SeqCst) + 1;
        let mut synced = self.synced.lock().await;
        if *synced >= mine {
            return Ok(());
        }
        // Every commit numbered up to here has finished writing the WAL.
        let upto = self.commits.load(Ordering::SeqCst);
        let wal = self.wal.clone();
        tokio::task::spawn_blocking(move || sync_file(&wal))
            .await
            .map_err(|e| StoreError::Other(e.into()))?
            .map_err(|e| StoreError::Unavailable(format!("syncing the WAL: {e}")))?;
        self.syncs.fetch_add(1, Ordering::Relaxed);
        *synced = upto;
        Ok(())
    }

    pub fn syncs(&self) -> u64 {
        self.syncs.load(Ordering::Relaxed)
    }

    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::SeqCst)
    }
}

fn sync_file(path: &std::path::Path) -> std::io::Result<()> {
    match std::fs::File::open(path) {
        Ok(file) => file.sync_data(),
        // No WAL (yet): nothing was written that could be lost.
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use anyhow::Context;

    use super::WalSync;

    fn wal_beside(dir: &tempfile::TempDir) -> anyhow::Result<WalSync> {
        let db = dir.path().join("db.sqlite");
        std::fs::write(format!("{}-wal", db.display()), b"frames")?;
        Ok(WalSync::new(db.to_str().context("utf-8 path")?))
    }

    #[tokio::test]
    async fn a_commit_after_a_sync_gets_a_sync_of_its_own() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let wal = wal_beside(&dir)?;
        for n in 1..=3 {
            wal.after_commit().await?;
            assert_eq!((wal.commits(), wal.syncs()), (n, n));
        }
        Ok(())
    }

    #[tokio::test]
    async fn commits_waiting_for_a_running_sync_share_the_next_one() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let wal = Arc::new(wal_beside(&dir)?);
        // A sync in progress: the lock is held.
        let running = wal.synced.lock().await;
        let waiting: Vec<_> = (0..10)
            .map(|_| {
                let wal = wal.clone();
                tokio::spawn(async move { wal.after_commit().await })
            })
            .collect();
        while wal.commits() < 10 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        drop(running);
        for task in waiting {
            task.await??;
        }
        assert_eq!((wal.commits(), wal.syncs()), (10, 1));
        Ok(())
    }

    #[tokio::test]
    async fn a_missing_wal_has_nothing_to_sync() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let wal = WalSync::new(dir.path().join("none.sqlite").to_str().context("utf-8")?);
        wal.after_commit().await?;
        assert_eq!(wal.syncs(), 1);
        Ok(())
    }
}
