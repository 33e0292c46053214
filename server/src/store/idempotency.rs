//! Idempotency keys (the IETF httpapi `Idempotency-Key` header). A keyed request runs inside
//! `keyed(...)`: its handler's `Tx::commit` does everything but the final COMMIT and parks
//! the transaction here; the HTTP layer then adds the key, the request's fingerprint and the
//! response, and commits them together. So a key is stored exactly when its write is, and a
//! retry either replays the stored response or finds that nothing was written.

use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

use super::conns::TxConn;
use super::tx::finish_commit;
use super::{durable, Reads, RowExt, Sql, StoreError, StoreResult, Tx};
use crate::domain::event::Event;
use crate::domain::{Timestamp, UserId};

tokio::task_local! {
    /// Where a keyed request's write waits for its response.
    static KEYED: Arc<Slot>;
}

#[derive(Default)]
struct Slot(Mutex<Option<Parked>>);

/// A write's transaction, its rows written but not yet committed.
pub struct Parked {
    inner: TxConn,
    /// The appends not yet run (SQLite's batched event and audit rows).
    writes: Option<Sql>,
    events: Vec<Event>,
    feed: broadcast::Sender<Arc<Vec<Event>>>,
    wal: Option<Arc<durable::WalSync>>,
}

/// Runs `work` (a keyed request's handler) so that the one transaction it commits is
/// parked instead; returns the handler's output and that transaction, if it wrote.
pub async fn keyed<F: Future>(work: F) -> (F::Output, Option<Parked>) {
    let slot = Arc::new(Slot::default());
    let output = KEYED.scope(slot.clone(), work).await;
    let parked = slot
        .0
        .lock()
        .map(|mut parked| parked.take())
        .unwrap_or(None);
    (output, parked)
}

/// Called by `Tx::commit` with its last appends (`writes`, run before the key is stored when
/// parked): parks the transaction when the request is keyed, else hands it back with them to
/// be committed at once.
pub(super) fn park(
    inner: TxConn,
    writes: Option<Sql>,
    events: Vec<Event>,
    feed: &broadcast::Sender<Arc<Vec<Event>>>,
    wal: &Option<Arc<durable::WalSync>>,
) -> StoreResult<Option<(TxConn, Option<Sql>)>> {
    let Ok(slot) = KEYED.try_with(Arc::clone) else {
        return Ok(Some((inner, writes)));
    };
    let mut parked = slot
        .0
        .lock()
        .map_err(|_| StoreError::Other(anyhow::anyhow!("idempotency slot poisoned")))?;
    if parked.is_some() {
        // Two writes could not be stored atomically with one key.
        return Err(StoreError::Other(anyhow::anyhow!(
            "a keyed request commits one transaction"
        )));
    }
    *parked = Some(Parked {
        inner,
        writes,
        events,
        feed: feed.clone(),
        wal: wal.clone(),
    });
    Ok(None)
}

/// A response as stored with its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: String,
}

/// A key as stored: the fingerprint it was first used with, and that request's response.
#[derive(Clone, Debug)]
pub struct StoredKey {
    pub fingerprint: String,
    pub response: StoredResponse,
}

/// What is stored with a key.
pub struct NewKey<'a> {
    pub user: UserId,
    pub key: &'a str,
    pub fingerprint: &'a str,
    pub response: &'a StoredResponse,
    /// Kept this long from the commit.
    pub lifetime_hours: i64,
}

impl Parked {
    /// Stores the key with the response and commits the write. `false` (nothing committed)
    /// when an unexpired row for the key exists: a concurrent duplicate on another
    /// connection got there first.
    pub async fn commit_with(mut self, key: NewKey<'_>) -> StoreResult<bool> {
        let now = Timestamp::now();
        let mut sql = Sql::new(
            "INSERT INTO idempotency_keys (user_id, idempotency_key, fingerprint, status, \
             content_type, body, created_at, expires_at) VALUES (",
        );
        sql.bind(key.user.to_string())
            .push(", ")
            .bind(key.key)
            .push(", ")
            .bind(key.fingerprint)
            .push(", ")
            .bind(i64::from(key.response.status))
            .push(", ")
            .bind(key.response.content_type.as_deref())
            .push(", ")
            .bind(key.response.body.as_str())
            .push(", ")
            .bind(now.micros())
            .push(", ")
            .bind(now.plus_hours(key.lifetime_hours).micros())
            .push(
                ") ON CONFLICT (user_id, idempotency_key) DO UPDATE SET \
                 fingerprint = excluded.fingerprint, status = excluded.status, \
                 content_type = excluded.content_type, body = excluded.body, \
                 created_at = excluded.created_at, expires_at = excluded.expires_at \
                 WHERE idempotency_keys.expires_at <= ",
            )
            .bind(now.micros());
        if let Some(writes) = self.writes.take() {
            writes.execute_on(self.inner.conn()).await?;
        }
        if sql.execute_on(self.inner.conn()).await? == 0 {
            return Ok(false);
        }
        finish_commit(self.inner, None, self.events, &self.wal, &self.feed).await?;
        Ok(true)
    }
}

/// The unexpired key `key` of `user`, if stored.
pub async fn find(tx: &mut impl Reads, user: UserId, key: &str) -> StoreResult<Option<StoredKey>> {
    let mut sql = Sql::new(
        "SELECT fingerprint, status, content_type, body FROM idempotency_keys \
         WHERE user_id = ",
    );
    sql.bind(user.to_string())
        .push(" AND idempotency_key = ")
        .bind(key)
        .push(" AND expires_at > ")
        .bind(Timestamp::now().micros());
    let Some(row) = sql.fetch_optional(tx).await? else {
        return Ok(None);
    };
    let status = u16::try_from(row.int("status")?)
        .map_err(|_| StoreError::Other(anyhow::anyhow!("stored status out of range")))?;
    Ok(Some(StoredKey {
        fingerprint: row.text("fingerprint")?,
        response: StoredResponse {
            status,
            content_type: row.opt_text("content_type")?,
            body: row.text("body")?,
        },
    }))
}

/// Deletes the keys expired by `now`; returns how many.
pub async fn sweep(tx: &mut Tx, now: Timestamp) -> StoreResult<u64> {
    let mut sql = Sql::new("DELETE FROM idempotency_keys WHERE expires_at <= ");
    sql.bind(now.micros());
    sql.execute(tx).await
}
