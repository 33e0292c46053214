//! `samverkan admin backup FILE` and `admin restore FILE` for the SQLite store.
//!
//! A backup is SQLite's `VACUUM INTO` on a read-only connection of its own: it copies one
//! read transaction's snapshot, so it is consistent, and in WAL mode the hub's writer goes on
//! committing beside it. A restore replaces the store's file only when no process has the
//! store open (it must get SQLite's exclusive lock first) and only with a copy whose audit
//! chain checks. PostgreSQL has its own tools for both (`pg_dump`, `pg_restore`; README).

use std::path::{Path, PathBuf};

use sqlx::{Connection, Executor};

use crate::config::DatabaseSettings;
use crate::store::audit::{self, ChainReport};
use crate::store::{sqlite_path, Backend, Store};

const POSTGRES_HINT: &str =
    "database.url names PostgreSQL: back up with `pg_dump --format=custom` \
     and restore with `pg_restore` (see the README, \"Backup and restore\")";

/// Writes a consistent copy of the running store to `file` (which must not exist) and checks
/// the copy's audit chain. Returns the number of audit rows in the copy.
pub async fn backup(settings: &DatabaseSettings, file: &Path) -> anyhow::Result<i64> {
    let path = sqlite_store_path(settings)?;
    if !Path::new(&path).is_file() {
        anyhow::bail!("no store at {path}: the SQLite file does not exist (check database.url)");
    }
    if file.exists() {
        anyhow::bail!("{} exists already; give a new file name", file.display());
    }
    let target = file
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("the backup file name must be UTF-8"))?;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&format!("sqlite://{path}?mode=ro")).await?;
    conn.execute("PRAGMA busy_timeout = 5000;").await?;
    // The file name as a quoted literal: one simple (unprepared) statement.
    let vacuum = format!("VACUUM INTO '{}'", target.replace('\'', "''"));
    conn.execute(vacuum.as_str()).await?;
    conn.close().await?;
    match check_chain(settings, file).await? {
        ChainReport::Intact { rows } => Ok(rows),
        report => anyhow::bail!("the backup's audit chain does not check: {report:?}"),
    }
}

/// Replaces the store's file with `file` after checking `file`'s audit chain; refuses while
/// any process (a hub, another admin command) has the store open. Returns the number of audit
/// rows restored.
pub async fn restore(settings: &DatabaseSettings, file: &Path) -> anyhow::Result<i64> {
    let path = PathBuf::from(sqlite_store_path(settings)?);
    if !file.is_file() {
        anyhow::bail!("no backup at {}", file.display());
    }
    let rows = match check_chain(settings, file).await? {
        ChainReport::Intact { rows } => rows,
        report => anyhow::bail!(
            "{} was not restored: its audit chain does not check ({report:?})",
            file.display()
        ),
    };
    if path.is_file() {
        ensure_not_in_use(&path).await?;
    } else if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    // Copy beside the store and rename over it, so the store is never half written; the old
    // store's WAL and shared-memory files would otherwise be replayed into the new one.
    let staging = with_suffix(&path, ".restoring");
    std::fs::copy(file, &staging)?;
    std::fs::File::open(&staging)?.sync_all()?;
    for stale in [with_suffix(&path, "-wal"), with_suffix(&path, "-shm")] {
        match std::fs::remove_file(&stale) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    std::fs::rename(&staging, &path)?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::File::open(parent)?.sync_all()?;
    }
    Ok(rows)
}

/// Fails unless this process can take SQLite's exclusive lock on the store: any open
/// connection in WAL mode (a serving hub) holds a shared lock on the file.
async fn ensure_not_in_use(path: &Path) -> anyhow::Result<()> {
    let url = format!("sqlite://{}?mode=rw", path.display());
    let mut conn = sqlx::AnyConnection::connect(&url).await?;
    conn.execute("PRAGMA busy_timeout = 0;").await?;
    conn.execute("PRAGMA locking_mode = EXCLUSIVE;").await?;
    let locked = conn.execute("BEGIN EXCLUSIVE;").await;
    if locked.is_ok() {
        conn.execute("COMMIT;").await?;
    }
    conn.close().await?;
    if locked.is_err() {
        anyhow::bail!(
            "the store at {} is in use (a hub or another samverkan command has it open): \
             stop the hub first; nothing was changed",
            path.display()
        );
    }
    Ok(())
}

async fn check_chain(settings: &DatabaseSettings, file: &Path) -> anyhow::Result<ChainReport> {
    let copy = DatabaseSettings {
        url: format!("sqlite://{}", file.display()),
        ..settings.clone()
    };
    let store = Store::open_read_only(&copy).await?;
    let mut tx = store.begin().await?;
    let report = audit::verify(&mut tx).await;
    drop(tx);
    store.close().await;
    Ok(report?)
}

fn sqlite_store_path(settings: &DatabaseSettings) -> anyhow::Result<String> {
    match crate::store::backend_of(&settings.url)? {
        Backend::Sqlite => Ok(sqlite_path(&settings.url).to_owned()),
        Backend::Postgres => anyhow::bail!(POSTGRES_HINT),
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
