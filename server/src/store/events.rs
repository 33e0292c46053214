//! Storage of the event log. Appending locks the head row until commit, so sequence
//! numbers are gapless and follow commit order on both stores.

use sqlx::AnyConnection;

use super::{decode_code, insert_rows, push_values, Backend, Reads, RowExt, Sql, StoreResult, Tx};
use crate::domain::event::{Audience, Event, NewEvent};
use crate::domain::{EventKind, OrganisationId, Purpose, Timestamp};

/// Work that must happen in the same transaction as every change, decided above the store:
/// the notification rules, which turn a transaction's events into notifications, e-mail and
/// reminders. The store calls it at commit and does not know what it does, so it imports
/// nothing from the layers above (they install it: `Store::with_commit_hook`).
#[async_trait::async_trait]
pub trait CommitHook: Send + Sync + std::fmt::Debug {
    /// Called once per commit, before the events are appended, with the events the
    /// transaction recorded (never with those it records itself).
    async fn before_commit(&self, tx: &mut Tx, events: &[NewEvent]) -> StoreResult<()>;
}

/// The PostgreSQL channel other hub nodes listen on; the payload is the last sequence number.
pub const CHANNEL: &str = "samverkan_events";

const COLUMNS: &str =
    "seq, at, kind, case_id, individual_id, subject_id, purpose, audience, audience_organisations, audience_users";

fn join<T: ToString>(ids: &[T]) -> String {
    ids.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn split<T: std::str::FromStr>(list: &str) -> StoreResult<Vec<T>> {
    list.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map_err(|_| super::StoreError::Other(anyhow::anyhow!("bad id in event audience")))
        })
        .collect()
}

/// (audience, audience_organisations, audience_users)
fn audience_columns(audience: &Audience) -> (&'static str, String, String) {
    match audience {
        Audience::Case => ("case", String::new(), String::new()),
        Audience::Organisations(orgs) => ("organisations", join(orgs), String::new()),
        Audience::Revoked(orgs) => ("revoked", join(orgs), String::new()),
        Audience::Users(users) => ("users", String::new(), join(users)),
    }
}

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<Event> {
    let orgs: Vec<OrganisationId> = split(&row.text("audience_organisations")?)?;
    let audience = match row.text("audience")?.as_str() {
        "case" => Audience::Case,
        "organisations" => Audience::Organisations(orgs),
        "revoked" => Audience::Revoked(orgs),
        "users" => Audience::Users(split(&row.text("audience_users")?)?),
        other => {
            return Err(super::StoreError::Other(anyhow::anyhow!(
                "unknown audience {other}"
            )))
        }
    };
    Ok(Event {
        seq: row.int("seq")?,
        at: Timestamp::from_micros(row.int("at")?),
        kind: decode_code(&row.text("kind")?, EventKind::from_code)?,
        case_id: row.opt_id("case_id")?,
        individual_id: row.opt_id("individual_id")?,
        subject_id: row.opt_text("subject_id")?,
        purpose: row
            .opt_text("purpose")?
            .map(|p| decode_code(&p, Purpose::from_code))
            .transpose()?,
        audience,
    })
}

pub(super) async fn append(
    conn: &mut AnyConnection,
    backend: Backend,
    new: Vec<NewEvent>,
) -> StoreResult<Vec<Event>> {
    if new.is_empty() {
        return Ok(Vec::new());
    }
    // Takes the head row's lock until commit and moves it past this batch in one statement.
    let mut sql = Sql::new("");
    push_lock_head(&mut sql, new.len());
    let head = sql.fetch_one_on(conn).await?;
    let events = numbered(new, head.int("last_seq")?);
    let insert = format!("INSERT INTO events ({COLUMNS}) VALUES ");
    insert_rows(conn, &insert, &events, bind_row).await?;
    if backend == Backend::Postgres {
        let mut sql = Sql::new("");
        push_notify(&mut sql, &events);
        sql.execute_on(conn).await?;
    }
    Ok(events)
}

/// PostgreSQL's `SELECT` that tells the other nodes of `events` (by the last one's number),
/// delivered to every listening node when (and only if) the transaction commits.
pub(super) fn push_notify(sql: &mut Sql, events: &[Event]) {
    sql.push("SELECT pg_notify(")
        .bind(CHANNEL)
        .push(", ")
        .bind(events.last().map_or(0, |e| e.seq).to_string())
        .push(")");
}

/// The statement that locks the head row until commit and moves it past `count` new
/// events, returning the new head as `head = 'event'`, `last_seq`.
pub(super) fn push_lock_head(sql: &mut Sql, count: usize) {
    sql.push("UPDATE event_head SET last_seq = last_seq + ")
        .bind(count as i64)
        .push(" WHERE id = 1 RETURNING 'event' AS head, last_seq, '' AS last_hash");
}

/// The statement that moves the head row to `last` (SQLite's batched commit, which numbered
/// the events itself under the transaction's write lock).
pub(super) fn push_head_set(sql: &mut Sql, last: i64) {
    sql.push("UPDATE event_head SET last_seq = ")
        .bind(last)
        .push(" WHERE id = 1");
}

/// Numbers new events so that the last one gets `last`, the head after them.
pub(super) fn numbered(new: Vec<NewEvent>, last: i64) -> Vec<Event> {
    let first = last - new.len() as i64 + 1;
    let at = Timestamp::now();
    new.into_iter()
        .zip(first..)
        .map(|(event, seq)| Event {
            seq,
            at,
            kind: event.kind,
            case_id: event.case_id,
            individual_id: event.individual_id,
            subject_id: event.subject_id,
            purpose: event.purpose,
            audience: event.audience,
        })
        .collect()
}

/// One multi-row INSERT of `events` (at most `ROWS_PER_INSERT`).
pub(super) fn push_insert(sql: &mut Sql, events: &[Event]) {
    push_values(
        sql,
        &format!("INSERT INTO events ({COLUMNS}) VALUES "),
        events,
        bind_row,
    );
}

fn bind_row(sql: &mut Sql, event: &Event) {
    let (audience, orgs, users) = audience_columns(&event.audience);
    sql.bind(event.seq)
        .push(", ")
        .bind(event.at.micros())
        .push(", ")
        .bind(event.kind.code())
        .push(", ");
    sql.bind(event.case_id.map(|c| c.to_string())).push(", ");
    sql.bind(event.individual_id.map(|i| i.to_string()))
        .push(", ");
    sql.bind(event.subject_id.clone())
        .push(", ")
        .bind(event.purpose.map(|p| p.code()))
        .push(", ");
    sql.bind(audience)
        .push(", ")
        .bind(orgs)
        .push(", ")
        .bind(users);
}

/// Events after `after`, oldest first, at most `limit`.
pub async fn since(tx: &mut impl Reads, after: i64, limit: i64) -> StoreResult<Vec<Event>> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM events WHERE seq > "));
    sql.bind(after).push(" ORDER BY seq LIMIT ").bind(limit);
    sql.fetch_all(tx).await?.iter().map(from_row).collect()
}

/// The last committed sequence number.
pub async fn head(tx: &mut impl Reads) -> StoreResult<i64> {
    let row = Sql::new("SELECT last_seq FROM event_head WHERE id = 1")
        .fetch_optional(tx)
        .await?;
    row.map_or(Ok(0), |r| r.int("last_seq"))
}
