//! The audit chain's head, anchored outside the store: at start and then every
//! `metrics.audit_anchor_hours` the hub writes the head's row and hash to the log and to
//! `/metrics`, where log collectors and Prometheus keep them beyond the database's reach.
//! `samverkan admin verify-audit --expect-head ROW:HASH` later proves the chain still
//! reaches a head seen then, so a rewrite of the chain from some row on (every hash
//! recomputed, which the plain check cannot see) is caught.

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::Metrics;
use crate::store::{audit, Store, StoreResult};

/// Reads the head and publishes it; returns (row, hash).
pub async fn record(store: &Store, metrics: &Metrics) -> StoreResult<(i64, String)> {
    let mut tx = store.read().await?;
    let (row, hash) = audit::head(&mut tx).await?;
    drop(tx);
    tracing::info!(
        audit_head_row = row,
        audit_head_hash = %hash,
        "audit chain head (anchor for verify-audit --expect-head)"
    );
    metrics.audit_head(row, &hash);
    Ok((row, hash))
}

/// Records the head now and every `every` until `stop`.
pub fn spawn(
    store: Store,
    metrics: Metrics,
    every: Duration,
    stop: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let wait = match record(&store, &metrics).await {
                Ok(_) => every,
                Err(err) => {
                    tracing::warn!(error = %err, "could not read the audit chain head; trying again in a minute");
                    every.min(Duration::from_secs(60))
                }
            };
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(wait) => {}
            }
        }
    })
}
