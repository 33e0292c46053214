//! One-time stream tickets: stored as a SHA-256 hash, consumed by a single DELETE … RETURNING,
//! so a ticket opens at most one connection on any hub node.

use sha2::{Digest, Sha256};

use super::{RowExt, Sql, StoreResult, Tx};
use crate::domain::{SessionId, Timestamp, UserId};

fn hash(ticket: &str) -> String {
    hex::encode(Sha256::digest(ticket.as_bytes()))
}

pub async fn insert(
    tx: &mut Tx,
    ticket: &str,
    user: UserId,
    session: SessionId,
    expires_at: Timestamp,
) -> StoreResult<()> {
    let mut sweep = Sql::new("DELETE FROM stream_tickets WHERE expires_at < ");
    sweep.bind(Timestamp::now().micros());
    sweep.execute(tx).await?;
    let mut sql = Sql::new(
        "INSERT INTO stream_tickets (ticket_hash, user_id, session_id, expires_at) VALUES (",
    );
    sql.bind(hash(ticket))
        .push(", ")
        .bind(user.to_string())
        .push(", ")
        .bind(session.to_string())
        .push(", ")
        .bind(expires_at.micros())
        .push(")");
    sql.execute(tx).await?;
    Ok(())
}

/// The user the ticket was issued to and the session it was issued in, if it exists and has
/// not expired; it is gone after.
pub async fn consume(tx: &mut Tx, ticket: &str) -> StoreResult<Option<(UserId, SessionId)>> {
    let mut sql = Sql::new("DELETE FROM stream_tickets WHERE ticket_hash = ");
    sql.bind(hash(ticket))
        .push(" RETURNING user_id, session_id, expires_at");
    let Some(row) = sql.fetch_optional(tx).await? else {
        return Ok(None);
    };
    if row.int("expires_at")? < Timestamp::now().micros() {
        return Ok(None);
    }
    // Tickets from before sessions were recorded with them are refused (they live 30 s).
    let Some(session) = row.opt_text("session_id")? else {
        return Ok(None);
    };
    let session = session
        .parse()
        .map_err(|_| super::StoreError::Other(anyhow::anyhow!("bad session id in a ticket")))?;
    Ok(Some((row.id("user_id")?, session)))
}
