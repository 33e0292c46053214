//! The unit of work: a writing transaction or a reader's connection, and its commit.

use std::sync::Arc;

use tokio::sync::broadcast;

use super::conns::{Conn, TxConn};
use super::{
    audit, durable, events, idempotency, journal, Backend, RowExt, Sql, StoreError, StoreResult,
};
use crate::access::policy::CaseFacts;
use crate::domain::event::{Event, NewEvent};
use crate::domain::CaseId;

/// A writing transaction. Audit entries gathered during it are written, hash-chained, at
/// commit, so the chain's head is locked only for the last moment of the transaction.
pub struct Tx {
    pub(super) inner: TxConn,
    /// Whether a keyed request's commit parks this transaction (see `idempotency`).
    pub(super) keyed: bool,
    pub(super) backend: Backend,
    pub(super) audit: Vec<audit::AuditEntry>,
    pub(super) events: Vec<NewEvent>,
    /// Writes that go with the commit (`write_with_commit`); only ever filled on SQLite.
    pub(super) later: Sql,
    /// The case facts read last, while no statement has run since (SQLite; see `Reads`).
    pub(super) kept: Option<(CaseId, Option<CaseFacts>)>,
    pub(super) feed: broadcast::Sender<Arc<Vec<Event>>>,
    pub(super) wal: Option<Arc<durable::WalSync>>,
    pub(super) commit_hook: Option<Arc<dyn super::CommitHook>>,
}

/// A read-only unit of work: a reader's connection on which each statement sees the latest
/// commit (no BEGIN and ROLLBACK round trips for what is mostly a single query). It has no
/// `audit`, `event` or `commit`, so a read cannot record a change; reads of a person's data
/// that must be audited run in a `Tx`.
///
/// ```compile_fail
/// async fn read_then_commit(store: &samverkan::store::Store) {
///     let read = store.read().await.ok().unwrap();
///     let _ = read.commit().await;
/// }
/// ```
///
/// ```compile_fail
/// async fn read_then_emit(store: &samverkan::store::Store, e: samverkan::events::NewEvent) {
///     let mut read = store.read().await.ok().unwrap();
///     read.event(e);
/// }
/// ```
pub struct ReadTx {
    pub(super) conn: Conn,
}

/// A read of a person's data, audited: it reads on a reader connection like `ReadTx` (on
/// SQLite beside the single writer) and gathers audit entries like `Tx`; its `commit`
/// hands them to the audit journal's group commit and returns once they are durable, so a
/// handler answers only after its audit rows are on disk, as with `Tx`, while many reads
/// share one writing transaction and one sync (`journal`). Like `ReadTx` it has no `event`:
/// a read records no change.
///
/// ```compile_fail
/// async fn read_then_emit(store: &samverkan::store::Store, e: samverkan::events::NewEvent) {
///     let mut read = store.audited_read().await.ok().unwrap();
///     read.event(e);
/// }
/// ```
pub struct AuditedRead {
    pub(super) conn: Conn,
    pub(super) backend: Backend,
    pub(super) audit: Vec<audit::AuditEntry>,
    pub(super) journal: Arc<journal::Journal>,
}

impl AuditedRead {
    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.conn
    }

    /// Records an access of individual data; durable before `commit` returns.
    pub fn audit(&mut self, entry: audit::AuditEntry) {
        self.audit.push(entry);
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Gives the reader connection back, then appends the recorded audit rows (group
    /// commit) and returns once they are durable. Dropped without `commit`, nothing is
    /// audited, as a `Tx` dropped rolls back: the handler must not answer with the data.
    pub async fn commit(self) -> StoreResult<()> {
        let Self {
            conn,
            audit,
            journal,
            ..
        } = self;
        drop(conn);
        journal.append(audit).await
    }
}

impl Reads for AuditedRead {
    fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.conn
    }
}

/// A unit of work that records audit entries: a `Tx` or an `AuditedRead`, for helpers that
/// read and audit on behalf of both.
pub trait Audits: Reads {
    fn audit(&mut self, entry: audit::AuditEntry);
}

impl Audits for Tx {
    fn audit(&mut self, entry: audit::AuditEntry) {
        Tx::audit(self, entry);
    }
}

impl Audits for AuditedRead {
    fn audit(&mut self, entry: audit::AuditEntry) {
        AuditedRead::audit(self, entry);
    }
}

/// What a query that only reads runs on: a `Tx` (reading what it wrote), a `ReadTx` or an
/// `AuditedRead`.
pub trait Reads: Send {
    fn conn(&mut self) -> &mut sqlx::AnyConnection;

    /// The facts of `case` as this unit of work read them, when they cannot have changed
    /// since: only a SQLite `Tx` keeps them, and only until its next statement. The single
    /// writer's transaction is the only one that can change the database while it runs, so
    /// with no statement of its own in between, facts read again would be the same. A
    /// message write decides on the facts, writes with its commit, and its notification rule
    /// needs them again (`cases::facts`).
    fn kept_facts(&self, _case: CaseId) -> Option<Option<CaseFacts>> {
        None
    }

    /// Keeps the facts just read (see `kept_facts`).
    fn keep_facts(&mut self, _case: CaseId, _facts: &Option<CaseFacts>) {}
}

impl Reads for Tx {
    fn conn(&mut self) -> &mut sqlx::AnyConnection {
        Tx::conn(self)
    }

    fn kept_facts(&self, case: CaseId) -> Option<Option<CaseFacts>> {
        match &self.kept {
            Some((kept, facts)) if *kept == case => Some(facts.clone()),
            _ => None,
        }
    }

    fn keep_facts(&mut self, case: CaseId, facts: &Option<CaseFacts>) {
        if self.backend == Backend::Sqlite {
            self.kept = Some((case, facts.clone()));
        }
    }
}

impl ReadTx {
    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.conn
    }
}

impl Reads for ReadTx {
    fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.conn
    }
}

impl Tx {
    /// The transaction's connection. Whatever runs on it next may change the case facts kept
    /// (`Reads::kept_facts`), so they are let go.
    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        self.kept = None;
        self.inner.conn()
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

    /// Writes the one statement `push` builds as part of this transaction, for rows that
    /// nothing in the transaction reads again (a notification, an e-mail for the outbox). On
    /// SQLite it runs with the commit, in the same command, which saves the single writer a
    /// round trip; on PostgreSQL it runs now.
    pub async fn write_with_commit(&mut self, push: impl FnOnce(&mut Sql)) -> StoreResult<()> {
        if self.backend == Backend::Sqlite {
            push(self.later.next_statement());
            return Ok(());
        }
        let mut sql = Sql::new("");
        push(&mut sql);
        sql.execute_on(self.inner.conn()).await?;
        Ok(())
    }

    /// Runs the commit hook over the recorded events, appends events, then audit rows
    /// (always in that order, so the two head locks are taken in one order by every
    /// transaction), commits, and pushes the events live. In a keyed request the commit is
    /// parked after the appends, so the hook has run exactly once, in this transaction.
    pub async fn commit(mut self) -> StoreResult<Vec<Event>> {
        if let Some(hook) = self.commit_hook.take() {
            if !self.events.is_empty() {
                let recorded = self.events.clone();
                hook.before_commit(&mut self, &recorded).await?;
            }
        }
        let mut inner = self.inner;
        let new_events = std::mem::take(&mut self.events);
        let entries = std::mem::take(&mut self.audit);
        let later = std::mem::take(&mut self.later);
        let (events, writes) =
            append_logs(&mut inner, self.backend, later, new_events, entries).await?;
        if !self.keyed {
            return finish_commit(inner, writes, events, &self.wal, &self.feed).await;
        }
        match idempotency::park(inner, writes, events.clone(), &self.feed, &self.wal)? {
            Some((inner, writes)) => {
                finish_commit(inner, writes, events, &self.wal, &self.feed).await
            }
            None => Ok(events),
        }
    }
}

/// Runs the transaction's last `writes` and commits (on SQLite one command), makes the commit
/// durable (SQLite's group commit) and pushes the events live.
pub(super) async fn finish_commit(
    inner: TxConn,
    writes: Option<Sql>,
    events: Vec<Event>,
    wal: &Option<Arc<durable::WalSync>>,
    feed: &broadcast::Sender<Arc<Vec<Event>>>,
) -> StoreResult<Vec<Event>> {
    inner.commit_after(writes).await?;
    if let Some(wal) = wal {
        wal.after_commit().await?;
    }
    if !events.is_empty() {
        let _ = feed.send(Arc::new(events.clone()));
    }
    Ok(events)
}

/// Appends a transaction's events and audit rows as its store does it best: SQLite's with the
/// command that commits (`append_batched`), PostgreSQL's in two statements (`append_in_two`),
/// and more than `BATCHED_ROWS` of either step by step. `later` (the writes that go with the
/// commit) comes first. Returns the events and, on SQLite, the writes to send with `COMMIT`.
pub(super) async fn append_logs(
    inner: &mut TxConn,
    backend: Backend,
    later: Sql,
    new_events: Vec<NewEvent>,
    entries: Vec<audit::AuditEntry>,
) -> StoreResult<(Vec<Event>, Option<Sql>)> {
    let batched = new_events.len() <= BATCHED_ROWS && entries.len() <= BATCHED_ROWS;
    if batched && backend == Backend::Sqlite {
        return append_batched(inner, later, new_events, entries).await;
    }
    inner.heads = None;
    if !later.is_empty() {
        later.execute_on(inner.conn()).await?;
    }
    let events = if batched {
        // PostgreSQL (SQLite's returned above).
        append_in_two(inner.conn(), new_events, entries).await?
    } else {
        let events = events::append(inner.conn(), backend, new_events).await?;
        audit::append(inner.conn(), entries).await?;
        events
    };
    Ok((events, None))
}

/// Events and audit rows up to which SQLite's commit sends them as one command.
pub(super) const BATCHED_ROWS: usize = 100;

/// The heads of the event log and the audit chain as the transaction on SQLite's single writer
/// stands: known without asking when the holder before in the same group commit left them
/// (`TxConn::heads`).
#[derive(Clone, Debug)]
pub(super) struct Heads {
    pub(super) event: i64,
    pub(super) audit_seq: i64,
    pub(super) audit_hash: String,
}

/// SQLite's usual commit: the event log and the audit chain in at most one round trip to the
/// database's thread and one command returned to go with the `COMMIT`, instead of five round
/// trips, because the single writer holds the database for as long as its transaction takes.
/// The heads are read (both, event head first, as everywhere), unless the holder before this
/// one in the same open transaction left them (`TxConn::heads`: nobody else can have written
/// since, the transaction holds the database's write lock); the writes returned insert every
/// row and move both heads, and the heads they leave are kept for the next holder. SQLite runs
/// several statements of one command in order, binding `$n` across them. The writes begin
/// with `later`, the transaction's writes that go with its commit.
pub(super) async fn append_batched(
    inner: &mut TxConn,
    later: Sql,
    new_events: Vec<NewEvent>,
    entries: Vec<audit::AuditEntry>,
) -> StoreResult<(Vec<Event>, Option<Sql>)> {
    let mut writes = later;
    if new_events.is_empty() && entries.is_empty() {
        return Ok((Vec::new(), (!writes.is_empty()).then_some(writes)));
    }
    let heads = match inner.heads.take() {
        Some(heads) => heads,
        None => read_heads(inner.conn()).await?,
    };
    let last = heads.event + new_events.len() as i64;
    let events = events::numbered(new_events, last);
    let rows = audit::chain(heads.audit_seq, heads.audit_hash.clone(), entries);
    if !events.is_empty() {
        events::push_insert(writes.next_statement(), &events);
        events::push_head_set(writes.next_statement(), last);
    }
    if !rows.is_empty() {
        audit::push_insert(writes.next_statement(), &rows);
        audit::push_head_update(writes.next_statement(), &rows);
    }
    inner.heads = Some(Heads {
        event: last,
        audit_seq: rows.last().map_or(heads.audit_seq, |row| row.seq),
        audit_hash: rows.last().map_or(heads.audit_hash, |row| row.hash.clone()),
    });
    Ok((events, Some(writes)))
}

/// PostgreSQL's usual commit: both heads locked and read in one statement (the event head
/// moved past the new events as it is locked), then every row, the audit head's move and the
/// other nodes' notice in a second, so that the heads stay locked for two round trips and the
/// `COMMIT` instead of six and the `COMMIT`. Every writing transaction waits for the event head
/// (and the audit journal for the audit head) until the one holding it has committed, so this
/// time bounds the writes of all nodes together. Each head gets one new row version per
/// commit, not two: PostgreSQL finds the live one by walking the versions not yet pruned.
pub(super) async fn append_in_two(
    conn: &mut sqlx::AnyConnection,
    new_events: Vec<NewEvent>,
    entries: Vec<audit::AuditEntry>,
) -> StoreResult<Vec<Event>> {
    if new_events.is_empty() && entries.is_empty() {
        return Ok(Vec::new());
    }
    let heads = lock_heads(conn, new_events.len(), !entries.is_empty()).await?;
    let events = events::numbered(new_events, heads.event);
    let rows = audit::chain(heads.audit_seq, heads.audit_hash, entries);
    // Data-modifying `WITH` parts all run, each to its end, whatever the final `SELECT` reads.
    let mut sql = Sql::new("WITH ");
    if !events.is_empty() {
        sql.push("new_events AS (");
        events::push_insert(&mut sql, &events);
        sql.push(if rows.is_empty() { ") " } else { "), " });
    }
    if !rows.is_empty() {
        sql.push("new_audit AS (");
        audit::push_insert(&mut sql, &rows);
        sql.push("), audit_moved AS (");
        audit::push_head_update(&mut sql, &rows);
        sql.push(") ");
    }
    if events.is_empty() {
        sql.push("SELECT 1");
    } else {
        events::push_notify(&mut sql, &events);
    }
    sql.execute_on(conn).await?;
    Ok(events)
}

/// The heads a PostgreSQL commit needs, locked until commit and read in one statement: the
/// event head already moved past `events` new ones (`events::push_lock_head`, as the
/// step-by-step path moves it), the audit head as it stands. With both, the event head is
/// locked first, as everywhere: the audit head's row is locked only once the join has the
/// event head's.
async fn lock_heads(
    conn: &mut sqlx::AnyConnection,
    events: usize,
    audit: bool,
) -> StoreResult<Heads> {
    let mut sql = Sql::new("");
    if events == 0 {
        sql.push(
            "SELECT CAST(0 AS BIGINT) AS event_seq, last_seq AS audit_seq, \
             last_hash AS audit_hash FROM audit_head WHERE id = 1 FOR UPDATE",
        );
    } else {
        sql.push("WITH e AS (");
        events::push_lock_head(&mut sql, events);
        sql.push(") SELECT e.last_seq AS event_seq, ")
            .push(if audit {
                "a.last_seq AS audit_seq, a.last_hash AS audit_hash \
             FROM e, audit_head a WHERE a.id = 1 FOR UPDATE OF a"
            } else {
                "CAST(0 AS BIGINT) AS audit_seq, '' AS audit_hash FROM e"
            });
    }
    let row = sql.fetch_one_on(conn).await?;
    Ok(Heads {
        event: row.int("event_seq")?,
        audit_seq: row.int("audit_seq")?,
        audit_hash: row.text("audit_hash")?,
    })
}

/// Both heads, locked until commit (the event head first).
async fn read_heads(conn: &mut sqlx::AnyConnection) -> StoreResult<Heads> {
    let mut sql = Sql::new("");
    events::push_lock_head(&mut sql, 0);
    audit::push_lock_head(sql.next_statement());
    let mut event = None;
    let mut audit = None;
    for row in sql.fetch_all_on(conn).await? {
        match row.text("head")?.as_str() {
            "event" => event = Some(row.int("last_seq")?),
            _ => audit = Some((row.int("last_seq")?, row.text("last_hash")?)),
        }
    }
    match (event, audit) {
        (Some(event), Some((audit_seq, audit_hash))) => Ok(Heads {
            event,
            audit_seq,
            audit_hash,
        }),
        _ => Err(StoreError::Other(anyhow::anyhow!(
            "a log head row is missing"
        ))),
    }
}
