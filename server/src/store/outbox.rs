//! The e-mail outbox. Rows are written in the transaction of the change that causes them and
//! taken by workers under a lease: on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so two hub
//! processes never hold the same row; on SQLite the single writer serialises claims.
//!
//! Calendar e-mails carry an order: one attendee's e-mails about one meeting (`calendar_key`)
//! go out in SEQUENCE order whatever their retry times, because a row is claimed only when
//! no older row of its key is still unsettled; and an unclaimed row that a newer one of its
//! key has followed is marked superseded and never sent, since the newest state is all the
//! calendar needs (a CANCEL is thus never followed by an older REQUEST).

use uuid::Uuid;

use super::{Backend, Reads, RowExt, Sql, StoreResult, Tx};
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
    /// Where a calendar e-mail stands among its attendee's e-mails about its meeting
    /// (written, not read back by a claim).
    pub order: Option<CalendarOrder>,
    pub created_at: Timestamp,
    /// Attempts including the one this claim is for.
    pub attempts: i64,
}

/// One attendee's e-mails about one meeting: the meeting's UID and the address, and the
/// invitation's SEQUENCE.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarOrder {
    pub key: String,
    pub sequence: i64,
}

/// Puts `mail` in the outbox, written with the transaction's commit
/// (`Tx::write_with_commit`): it is sent only if the change it tells of is committed.
pub async fn enqueue(tx: &mut Tx, mail: &OutgoingMail) -> StoreResult<()> {
    tx.write_with_commit(|sql| push_enqueue(sql, mail)).await
}

fn push_enqueue(sql: &mut Sql, mail: &OutgoingMail) {
    sql.push(
        "INSERT INTO outbox (id, message_id, recipient, kind, subject, body_text, body_html, \
         calendar, calendar_method, calendar_key, calendar_sequence, created_at, attempts, \
         next_attempt_at) VALUES (",
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
    let (key, sequence) = match &mail.order {
        Some(order) => (Some(order.key.clone()), Some(order.sequence)),
        None => (None, None),
    };
    sql.bind(calendar)
        .push(", ")
        .bind(method)
        .push(", ")
        .bind(key)
        .push(", ")
        .bind(sequence)
        .push(", ")
        .bind(mail.created_at.micros())
        .push(", 0, ")
        .bind(mail.created_at.min(Timestamp::now()).micros())
        .push(")");
}

const CLAIMED: &str = "id, message_id, recipient, kind, subject, body_text, body_html, calendar, \
                       calendar_method, created_at, attempts";

/// Not sent, not failed, not superseded.
const UNSETTLED: &str = "sent_at IS NULL AND failed_at IS NULL AND superseded_at IS NULL";

/// SQL: row `a` comes before row `b` of the same calendar key.
fn older(a: &str, b: &str) -> String {
    format!(
        "({a}.calendar_sequence < {b}.calendar_sequence OR ({a}.calendar_sequence = {b}.calendar_sequence \
         AND ({a}.created_at < {b}.created_at OR ({a}.created_at = {b}.created_at AND {a}.id < {b}.id))))"
    )
}

/// Marks superseded every unclaimed, unsettled calendar e-mail that a newer one of its key
/// has followed. A claimed one is in flight: it settles first, and the newer waits for it.
async fn supersede(tx: &mut Tx, now: Timestamp) -> StoreResult<()> {
    let mut sql = Sql::new("UPDATE outbox SET superseded_at = ");
    sql.bind(now.micros())
        .push(
            " WHERE id IN (SELECT o.id FROM outbox o WHERE o.calendar_key IS NOT NULL \
             AND o.sent_at IS NULL AND o.failed_at IS NULL AND o.superseded_at IS NULL \
             AND (o.claimed_until IS NULL OR o.claimed_until < ",
        )
        .bind(now.micros())
        .push(&format!(
            ") AND EXISTS (SELECT 1 FROM outbox n WHERE n.calendar_key = o.calendar_key \
             AND n.failed_at IS NULL AND {})",
            older("o", "n")
        ));
    // Never wait for another hub's claim: what it holds is left for the next round.
    if tx.backend() == Backend::Postgres {
        sql.push(" FOR UPDATE SKIP LOCKED");
    }
    sql.push(")");
    sql.execute(tx).await?;
    Ok(())
}

/// Takes up to `limit` due e-mails for `worker` until `now + lease`; a calendar e-mail only
/// once every older one of its key has settled.
pub async fn claim(
    tx: &mut Tx,
    worker: &str,
    now: Timestamp,
    lease_micros: i64,
    limit: i64,
) -> StoreResult<Vec<OutgoingMail>> {
    supersede(tx, now).await?;
    let mut sql = Sql::new("UPDATE outbox SET claimed_by = ");
    sql.bind(worker)
        .push(", claimed_until = ")
        .bind(now.micros().saturating_add(lease_micros))
        .push(
            ", attempts = attempts + 1 WHERE id IN (SELECT c.id FROM outbox c WHERE \
             c.sent_at IS NULL AND c.failed_at IS NULL AND c.superseded_at IS NULL AND c.next_attempt_at <= ",
        )
        .bind(now.micros())
        .push(" AND (c.claimed_until IS NULL OR c.claimed_until < ")
        .bind(now.micros())
        .push(&format!(
            ") AND NOT (c.calendar_key IS NOT NULL AND EXISTS (SELECT 1 FROM outbox p \
             WHERE p.calendar_key = c.calendar_key AND p.sent_at IS NULL AND p.failed_at IS NULL AND p.superseded_at IS NULL AND {}))",
            older("p", "c")
        ))
        .push(" ORDER BY c.next_attempt_at, c.created_at, c.id LIMIT ")
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
                order: None,
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

/// Gives back every unsettled e-mail `worker` holds: a hub restarting under the same node
/// id takes back at once what it had claimed when it stopped (killed mid-send, say),
/// rather than waiting out the lease. One it was sending may have arrived: it goes again,
/// with its Message-ID.
pub async fn release_all(tx: &mut Tx, worker: &str) -> StoreResult<u64> {
    let mut sql =
        Sql::new("UPDATE outbox SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ");
    sql.bind(worker).push(&format!(" AND {UNSETTLED}"));
    sql.execute(tx).await
}

/// E-mails not yet sent, failed or superseded.
pub async fn pending_count(tx: &mut Tx) -> StoreResult<i64> {
    Sql::new(&format!(
        "SELECT COUNT(*) AS n FROM outbox WHERE {UNSETTLED}"
    ))
    .fetch_optional(tx)
    .await?
    .map_or(Ok(0), |r| r.int("n"))
}

/// E-mails waiting (not sent, failed or superseded) and when the oldest of them was written.
pub async fn backlog(tx: &mut impl Reads) -> StoreResult<(i64, Option<Timestamp>)> {
    let row = Sql::new(&format!(
        "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox WHERE {UNSETTLED}"
    ))
    .fetch_optional(tx)
    .await?;
    match row {
        Some(row) => Ok((
            row.int("n")?,
            row.opt_int("oldest")?.map(Timestamp::from_micros),
        )),
        None => Ok((0, None)),
    }
}
