//! The e-mail outbox. Rows are written in the transaction of the change that causes them and
//! taken by workers under a lease: on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so two hub
//! processes never hold the same row; on SQLite the single writer serialises claims.

use uuid::Uuid;

use super::{Backend, RowExt, Sql, StoreResult, Tx};
use crate::domain::Timestamp;

/// An e-mail to send, fully rendered when enqueued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingMail {
    pub id: Uuid,
    /// Fixed at enqueue time, with angle brackets: `<uuid@domain>`.
    pub message_id: String,
    pub recipient: String,
    /// The notification kind (or `digest`), for logs and tests; never content.
    pub kind: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    /// An iCalendar object and its METHOD (REQUEST or CANCEL), for meetings.
    pub calendar: Option<(String, String)>,
    pub created_at: Timestamp,
    /// Attempts including the one this claim is for.
    pub attempts: i64,
}

pub async fn enqueue(tx: &mut Tx, mail: &OutgoingMail) -> StoreResult<()> {
    let mut sql = Sql::new(
        "INSERT INTO outbox (id, message_id, recipient, kind, subject, body_text, body_html, \
         calendar, calendar_method, created_at, attempts, next_attempt_at) VALUES (",
    );
    sql.bind(mail.id.to_string())
        .push(", ")
        .bind(mail.message_id.as_str())
        .push(", ")
        .bind(mail.recipient.as_str())
        .push(", ");
    sql.bind(mail.kind.as_str())
        .push(", ")
        .bind(mail.subject.as_str())
        .push(", ")
        .bind(mail.body_text.as_str())
        .push(", ")
        .bind(mail.body_html.as_str())
        .push(", ");
    let (calendar, method) = match &mail.calendar {
        Some((ics, method)) => (Some(ics.clone()), Some(method.clone())),
        None => (None, None),
    };
    sql.bind(calendar)
        .push(", ")
        .bind(method)
        .push(", ")
        .bind(mail.created_at.micros())
        .push(", 0, ")
        .bind(mail.created_at.min(Timestamp::now()).micros())
        .push(")");
    sql.execute(tx).await?;
    Ok(())
}

const CLAIMED: &str = "id, message_id, recipient, kind, subject, body_text, body_html, calendar, \
                       calendar_method, created_at, attempts";

/// Takes up to `limit` due e-mails for `worker` until `now + lease`.
pub async fn claim(
    tx: &mut Tx,
    worker: &str,
    now: Timestamp,
    lease_micros: i64,
    limit: i64,
) -> StoreResult<Vec<OutgoingMail>> {
    let mut sql = Sql::new("UPDATE outbox SET claimed_by = ");
    sql.bind(worker)
        .push(", claimed_until = ")
        .bind(now.micros().saturating_add(lease_micros))
        .push(", attempts = attempts + 1 WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ")
        .bind(now.micros())
        .push(" AND (claimed_until IS NULL OR claimed_until < ")
        .bind(now.micros())
        .push(") ORDER BY next_attempt_at, created_at, id LIMIT ")
        .bind(limit);
    if tx.backend() == Backend::Postgres {
        sql.push(" FOR UPDATE SKIP LOCKED");
    }
    sql.push(&format!(") RETURNING {CLAIMED}"));
    let mut claimed = sql
        .fetch_all(tx)
        .await?
        .iter()
        .map(|row| {
            let calendar = match (row.opt_text("calendar")?, row.opt_text("calendar_method")?) {
                (Some(ics), Some(method)) => Some((ics, method)),
                _ => None,
            };
            Ok(OutgoingMail {
                id: row.id("id")?,
                message_id: row.text("message_id")?,
                recipient: row.text("recipient")?,
                kind: row.text("kind")?,
                subject: row.text("subject")?,
                body_text: row.text("body_text")?,
                body_html: row.text("body_html")?,
                calendar,
                created_at: Timestamp::from_micros(row.int("created_at")?),
                attempts: row.int("attempts")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    claimed.sort_by_key(|m| (m.created_at, m.id));
    Ok(claimed)
}

fn push_mine(sql: &mut Sql, id: Uuid, worker: &str) {
    sql.push(" WHERE id = ")
        .bind(id.to_string())
        .push(" AND claimed_by = ")
        .bind(worker);
}

/// The SMTP server accepted it.
pub async fn mark_sent(tx: &mut Tx, id: Uuid, worker: &str, at: Timestamp) -> StoreResult<()> {
    let mut sql = Sql::new("UPDATE outbox SET sent_at = ");
    sql.bind(at.micros())
        .push(", claimed_by = NULL, claimed_until = NULL, last_error = NULL");
    push_mine(&mut sql, id, worker);
    sql.execute(tx).await?;
    Ok(())
}

/// A passing failure: try again at `next`.
pub async fn retry_at(
    tx: &mut Tx,
    id: Uuid,
    worker: &str,
    next: Timestamp,
    error: &str,
) -> StoreResult<()> {
    let mut sql = Sql::new("UPDATE outbox SET next_attempt_at = ");
    sql.bind(next.micros())
        .push(", claimed_by = NULL, claimed_until = NULL, last_error = ")
        .bind(error);
    push_mine(&mut sql, id, worker);
    sql.execute(tx).await?;
    Ok(())
}

/// The server refused it for good (or it cannot be built): kept, never retried.
pub async fn mark_failed(
    tx: &mut Tx,
    id: Uuid,
    worker: &str,
    at: Timestamp,
    error: &str,
) -> StoreResult<()> {
    let mut sql = Sql::new("UPDATE outbox SET failed_at = ");
    sql.bind(at.micros())
        .push(", claimed_by = NULL, claimed_until = NULL, last_error = ")
        .bind(error);
    push_mine(&mut sql, id, worker);
    sql.execute(tx).await?;
    Ok(())
}

/// Gives back a claimed e-mail that was not attempted (shutting down).
pub async fn release(tx: &mut Tx, id: Uuid, worker: &str) -> StoreResult<()> {
    let mut sql = Sql::new(
        "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL, attempts = attempts - 1",
    );
    push_mine(&mut sql, id, worker);
    sql.execute(tx).await?;
    Ok(())
}

/// E-mails not yet sent nor failed.
pub async fn pending_count(tx: &mut Tx) -> StoreResult<i64> {
    Sql::new("SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL")
        .fetch_optional(tx)
        .await?
        .map_or(Ok(0), |r| r.int("n"))
}
