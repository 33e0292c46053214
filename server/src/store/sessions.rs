//! Sign-in sessions: when each started, was last used and must end, and whether the user
//! signed out. Access tokens carry the session id, so ending the row ends every token of it.
//! Ending sessions also appends a `session.ended` event, on which every hub node closes the
//! live streams opened in them.

use super::users::{self, User};
use super::{decode_code, Reads, RowExt, Sql, StoreResult, Tx};
use crate::domain::event::{Audience, Detail, NewEvent};
use crate::domain::EventKind;
use crate::domain::{Role, SessionId, Timestamp, UserId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub started_at: Timestamp,
    pub last_active_at: Timestamp,
    /// The hard end (`auth.session_max_hours` after the start).
    pub expires_at: Timestamp,
    pub ended_at: Option<Timestamp>,
}

/// A new session for `user` that ends at the latest `lifetime_micros` from now.
pub async fn start(tx: &mut Tx, user: UserId, lifetime_micros: i64) -> StoreResult<Session> {
    let now = Timestamp::now();
    // Sessions past their hard end by a day are gone for good (idle or signed-out ones end
    // before their hard end too); until then a stale token still gets its clear 401 code.
    let mut sweep = Sql::new("DELETE FROM sessions WHERE expires_at < ");
    sweep.bind(now.plus_days(-1).micros());
    sweep.execute(tx).await?;
    let expires_at = Timestamp::from_micros(now.micros().saturating_add(lifetime_micros));
    let session = Session {
        id: SessionId::new(),
        user_id: user,
        started_at: now,
        last_active_at: now,
        expires_at,
        ended_at: None,
    };
    let mut sql = Sql::new(
        "INSERT INTO sessions (id, user_id, started_at, last_active_at, expires_at) VALUES (",
    );
    sql.bind(session.id.to_string())
        .push(", ")
        .bind(user.to_string())
        .push(", ")
        .bind(now.micros())
        .push(", ")
        .bind(now.micros())
        .push(", ")
        .bind(expires_at.micros())
        .push(")");
    sql.execute(tx).await?;
    // A new session is a sign-in, however it was made: the admin sees when it last happened.
    let mut seen = Sql::new("UPDATE users SET last_sign_in_at = ");
    seen.bind(now.micros())
        .push(" WHERE id = ")
        .bind(user.to_string());
    seen.execute(tx).await?;
    Ok(session)
}

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<Session> {
    Ok(Session {
        id: row.id("id")?,
        user_id: row.id("user_id")?,
        started_at: Timestamp::from_micros(row.int("started_at")?),
        last_active_at: Timestamp::from_micros(row.int("last_active_at")?),
        expires_at: Timestamp::from_micros(row.int("expires_at")?),
        ended_at: row.opt_int("ended_at")?.map(Timestamp::from_micros),
    })
}

/// A session with its user (and the user's roles), in one round trip: what every signed-in
/// request checks.
pub async fn get_with_user(
    tx: &mut impl Reads,
    id: SessionId,
) -> StoreResult<Option<(Session, User)>> {
    let mut sql = Sql::new(
        "SELECT s.id, s.user_id, s.started_at, s.last_active_at, s.expires_at, s.ended_at, \
         u.organisation_id, u.username, u.display_name, u.email, u.active, r.role \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         LEFT JOIN user_roles r ON r.user_id = u.id WHERE s.id = ",
    );
    sql.bind(id.to_string()).push(" ORDER BY r.role");
    let rows = sql.fetch_all(tx).await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let session = from_row(row)?;
    let roles = rows
        .iter()
        .filter_map(|r| r.opt_text("role").transpose())
        .map(|code| decode_code(&code?, Role::from_code))
        .collect::<StoreResult<Vec<_>>>()?;
    let user = users::from_row(row, session.user_id, roles)?;
    Ok(Some((session, user)))
}

/// Marks the session as used now (a request the user made, not a background refresh).
pub async fn touch(tx: &mut Tx, id: SessionId, at: Timestamp) -> StoreResult<()> {
    let mut sql = Sql::new("UPDATE sessions SET last_active_at = ");
    sql.bind(at.micros())
        .push(" WHERE id = ")
        .bind(id.to_string())
        .push(" AND last_active_at < ")
        .bind(at.micros());
    sql.execute(tx).await?;
    Ok(())
}

/// Signs the session out; its tokens stop working at once and its streams close.
pub async fn end(tx: &mut Tx, session: &Session, at: Timestamp) -> StoreResult<()> {
    let mut sql = Sql::new("UPDATE sessions SET ended_at = ");
    sql.bind(at.micros())
        .push(" WHERE id = ")
        .bind(session.id.to_string())
        .push(" AND ended_at IS NULL");
    sql.execute(tx).await?;
    tx.event(ended_event(session.user_id, Some(session.id)));
    Ok(())
}

/// Ends every open session of `user` but `keep` (the one making the change, when the user
/// changes their own account): after a password reset, a deactivation or a role change.
pub async fn end_all(
    tx: &mut Tx,
    user: UserId,
    keep: Option<SessionId>,
    at: Timestamp,
) -> StoreResult<()> {
    let mut sql = Sql::new("UPDATE sessions SET ended_at = ");
    sql.bind(at.micros())
        .push(" WHERE user_id = ")
        .bind(user.to_string())
        .push(" AND ended_at IS NULL");
    if let Some(keep) = keep {
        sql.push(" AND id <> ").bind(keep.to_string());
    }
    sql.push(" RETURNING id");
    for row in sql.fetch_all(tx).await? {
        tx.event(ended_event(user, Some(row.id("id")?)));
    }
    Ok(())
}

/// Is the session still admitting requests (not signed out, not past its hard end)?
pub async fn is_open(tx: &mut impl Reads, id: SessionId, now: Timestamp) -> StoreResult<bool> {
    let mut sql = Sql::new("SELECT id FROM sessions WHERE id = ");
    sql.bind(id.to_string())
        .push(" AND ended_at IS NULL AND expires_at > ")
        .bind(now.micros());
    Ok(sql.fetch_optional(tx).await?.is_some())
}

fn ended_event(user: UserId, session: Option<SessionId>) -> NewEvent {
    NewEvent {
        kind: EventKind::SessionEnded,
        case_id: None,
        individual_id: None,
        subject_id: session.map(|s| s.to_string()),
        purpose: None,
        audience: Audience::Users(vec![user]),
        detail: Detail::None,
    }
}
