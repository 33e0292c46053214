//! Group commit for the audit rows of reads. A read of a person's data runs on a reader
//! connection (`AuditedRead`) and hands its audit rows here at its commit; one task appends
//! the rows of every read waiting at that moment to the chain in one writing transaction,
//! and each read's commit returns once that transaction is durable: on SQLite after the
//! WAL sync that covers it (`WalSync`, shared with the writes), on PostgreSQL after its
//! COMMIT. So no answer that shows a person's data leaves before its audit row is on disk,
//! yet many reads share one transaction and one sync instead of holding the single writer
//! one after the other. The task writes the next batch only once this one is durable, so the
//! reads that arrive while a batch is written and synced form the next one: under load the
//! batches grow, and each read's share of the commit and of the sync shrinks (see the README's
//! "Benchmark: REST throughput" for the measurement).

use std::sync::Arc;

use prometheus_client::metrics::histogram::Histogram;
use tokio::sync::{mpsc, oneshot};

use super::audit::AuditEntry;
use super::conns::Conns;
use super::{durable, tx, Backend, Sql, StoreError, StoreResult};

/// Rows after which a batch is closed even if more reads are waiting (the next batch takes
/// them at once).
const MAX_BATCH_ROWS: usize = 1_000;

type Done = oneshot::Sender<Result<(), String>>;

struct Pending {
    entries: Vec<AuditEntry>,
    done: Done,
}

/// The queue of audit rows waiting for the next group commit.
#[derive(Debug)]
pub(super) struct Journal {
    queue: mpsc::UnboundedSender<Pending>,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("entries", &self.entries.len())
            .finish()
    }
}

impl Journal {
    /// Starts the task that writes the batches on `writer`. It ends when the last
    /// `Journal` handle is gone.
    pub(super) fn start(
        writer: Conns,
        backend: Backend,
        wal: Option<Arc<durable::WalSync>>,
        writer_wait: Histogram,
    ) -> Self {
        let (queue, receiver) = mpsc::unbounded_channel();
        tokio::spawn(run(writer, backend, wal, writer_wait, receiver));
        Self { queue }
    }

    /// Appends `entries` to the audit chain; returns once they are durable.
    pub(super) async fn append(&self, entries: Vec<AuditEntry>) -> StoreResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let stopped = || StoreError::Unavailable("the audit journal has stopped".into());
        let (done, written) = oneshot::channel();
        self.queue
            .send(Pending { entries, done })
            .map_err(|_| stopped())?;
        written
            .await
            .map_err(|_| stopped())?
            .map_err(StoreError::Unavailable)
    }
}

async fn run(
    writer: Conns,
    backend: Backend,
    wal: Option<Arc<durable::WalSync>>,
    writer_wait: Histogram,
    mut receiver: mpsc::UnboundedReceiver<Pending>,
) {
    while let Some(first) = receiver.recv().await {
        let mut rows = first.entries.len();
        let mut batch = vec![first];
        while rows < MAX_BATCH_ROWS {
            match receiver.try_recv() {
                Ok(next) => {
                    rows += next.entries.len();
                    batch.push(next);
                }
                Err(_) => break,
            }
        }
        let mut entries = Vec::with_capacity(rows);
        let mut waiting = Vec::with_capacity(batch.len());
        for pending in batch {
            entries.extend(pending.entries);
            waiting.push(pending.done);
        }
        match write(&writer, backend, &writer_wait, entries).await {
            Err(err) => {
                tracing::error!(error = %err, "could not append the audit rows of reads");
                tell(waiting, Err(err.to_string()));
            }
            // `WalSync` numbers this commit when it starts, after the COMMIT above returned;
            // the reads queued meanwhile wait for the next batch.
            Ok(()) => match &wal {
                Some(wal) => {
                    let synced = wal.after_commit().await.map_err(|e| e.to_string());
                    tell(waiting, synced);
                }
                None => tell(waiting, Ok(())),
            },
        }
    }
}

fn tell(waiting: Vec<Done>, result: Result<(), String>) {
    for done in waiting {
        // A reader that gave up (its client went away) is not waiting any more.
        let _ = done.send(result.clone());
    }
}

/// One writing transaction with every row of the batch, chained in the order the reads
/// committed.
async fn write(
    writer: &Conns,
    backend: Backend,
    writer_wait: &Histogram,
    entries: Vec<AuditEntry>,
) -> StoreResult<()> {
    let started = std::time::Instant::now();
    let mut inner = writer.begin().await?;
    writer_wait.observe(started.elapsed().as_secs_f64());
    let (_, writes) =
        tx::append_logs(&mut inner, backend, Sql::new(""), Vec::new(), entries).await?;
    inner.commit_after(writes).await
}
