//! Retention (gallring) run by the hub once a day and by `samverkan admin purge`.

use std::time::Duration;

use crate::config::RetentionSettings;
use crate::domain::Timestamp;
use crate::store::retention::{self, PurgeReport};
use crate::store::{Store, StoreResult};

/// Counts (`dry_run`) or purges what the retention periods let go as of `now`, in one
/// transaction.
pub async fn purge(
    store: &Store,
    settings: &RetentionSettings,
    now: Timestamp,
    dry_run: bool,
) -> StoreResult<PurgeReport> {
    let mut tx = store.begin().await?;
    let report = retention::purge(&mut tx, settings, now, dry_run).await?;
    if dry_run {
        drop(tx);
    } else {
        tx.commit().await?;
    }
    Ok(report)
}

/// The report as lines of text: classes and counts, and the new checkpoint; no personal data.
pub fn describe(report: &PurgeReport, dry_run: bool) -> String {
    let mut text = String::from(if dry_run {
        "dry run, nothing changed; would purge:\n"
    } else {
        "purged:\n"
    });
    for purged in &report.classes {
        text.push_str(&format!("  {:<14} {}\n", purged.class, purged.rows));
    }
    if let Some((seq, hash)) = &report.checkpoint {
        text.push_str(&format!("audit checkpoint: row {seq} hash {hash}\n"));
    }
    text
}

/// Runs the purge every `purge_interval_hours` (the first an hour after start) until `stop`.
pub fn spawn(
    store: Store,
    settings: RetentionSettings,
    stop: tokio_util::sync::CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = Duration::from_secs(settings.purge_interval_hours.max(1) * 3600);
        let mut next = Duration::from_secs(3600).min(every);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(next) => {}
            }
            next = every;
            match purge(&store, &settings, Timestamp::now(), false).await {
                Ok(report) => {
                    for purged in report.classes.iter().filter(|p| p.rows > 0) {
                        tracing::info!(class = purged.class, rows = purged.rows, "retention purge");
                    }
                    if let Some((seq, hash)) = report.checkpoint {
                        tracing::info!(seq, hash = %hash, "audit checkpoint after purge");
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "retention purge failed; next round retries")
                }
            }
        }
    })
}
