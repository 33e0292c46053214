//! Sign-in through identity providers: users' OIDC identifiers, sign-ins under way (state,
//! nonce, PKCE verifier: kept here, used once, short-lived), the one-time hand-over of a
//! finished sign-in to the web app, and which provider each hub session came from.

use std::collections::HashMap;

use super::{Reads, RowExt, Sql, StoreError, StoreResult, Tx};
use crate::domain::{OrganisationId, SessionId, Timestamp, UserId};

/// A sign-in started at a provider, as stored until the user comes back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingLogin {
    pub state: String,
    pub issuer: String,
    pub organisation_id: Option<OrganisationId>,
    pub nonce: String,
    pub pkce_verifier: String,
    pub browser_hash: String,
    pub expires_at: Timestamp,
}

pub async fn start_login(tx: &mut Tx, login: &PendingLogin) -> StoreResult<()> {
    let now = Timestamp::now();
    let mut sweep = Sql::new("DELETE FROM oidc_logins WHERE expires_at < ");
    sweep.bind(now.micros());
    sweep.execute(tx).await?;
    let mut sweep = Sql::new("DELETE FROM oidc_handoffs WHERE expires_at < ");
    sweep.bind(now.micros());
    sweep.execute(tx).await?;
    let mut sql = Sql::new(
        "INSERT INTO oidc_logins (state, issuer, organisation_id, nonce, pkce_verifier, browser_hash, expires_at) VALUES (",
    );
    sql.bind(login.state.as_str())
        .push(", ")
        .bind(login.issuer.as_str())
        .push(", ")
        .bind(login.organisation_id.map(|o| o.to_string()))
        .push(", ");
    sql.bind(login.nonce.as_str())
        .push(", ")
        .bind(login.pkce_verifier.as_str())
        .push(", ")
        .bind(login.browser_hash.as_str())
        .push(", ")
        .bind(login.expires_at.micros())
        .push(")");
    sql.execute(tx).await?;
    Ok(())
}

/// Takes the sign-in with `state` out of the store: a second use finds nothing. Expired ones
/// are taken too, and the caller refuses them.
pub async fn take_login(tx: &mut Tx, state: &str) -> StoreResult<Option<PendingLogin>> {
    let mut sql = Sql::new("DELETE FROM oidc_logins WHERE state = ");
    sql.bind(state).push(
        " RETURNING state, issuer, organisation_id, nonce, pkce_verifier, browser_hash, expires_at",
    );
    let Some(row) = sql.fetch_optional(tx).await? else {
        return Ok(None);
    };
    Ok(Some(PendingLogin {
        state: row.text("state")?,
        issuer: row.text("issuer")?,
        organisation_id: row
            .opt_text("organisation_id")?
            .map(|o| {
                o.parse()
                    .map_err(|_| StoreError::Other(anyhow::anyhow!("bad organisation id")))
            })
            .transpose()?,
        nonce: row.text("nonce")?,
        pkce_verifier: row.text("pkce_verifier")?,
        browser_hash: row.text("browser_hash")?,
        expires_at: Timestamp::from_micros(row.int("expires_at")?),
    }))
}

/// Stores a finished sign-in under the SHA-256 of its one-time code.
pub async fn put_handoff(
    tx: &mut Tx,
    code_hash: &str,
    user: UserId,
    issuer: &str,
    expires_at: Timestamp,
) -> StoreResult<()> {
    let mut sql =
        Sql::new("INSERT INTO oidc_handoffs (code_hash, user_id, issuer, expires_at) VALUES (");
    sql.bind(code_hash)
        .push(", ")
        .bind(user.to_string())
        .push(", ")
        .bind(issuer)
        .push(", ")
        .bind(expires_at.micros())
        .push(")");
    sql.execute(tx).await?;
    Ok(())
}

/// Takes a finished sign-in by its code's hash, once, if not expired: its user and issuer.
pub async fn take_handoff(
    tx: &mut Tx,
    code_hash: &str,
    now: Timestamp,
) -> StoreResult<Option<(UserId, String)>> {
    let mut sql = Sql::new("DELETE FROM oidc_handoffs WHERE code_hash = ");
    sql.bind(code_hash)
        .push(" RETURNING user_id, issuer, expires_at");
    let Some(row) = sql.fetch_optional(tx).await? else {
        return Ok(None);
    };
    if row.int("expires_at")? <= now.micros() {
        return Ok(None);
    }
    Ok(Some((row.id("user_id")?, row.text("issuer")?)))
}

/// Notes that `session` was signed in through `issuer`.
pub async fn bind_session(tx: &mut Tx, session: SessionId, issuer: &str) -> StoreResult<()> {
    let mut sql = Sql::new("INSERT INTO oidc_sessions (session_id, issuer) VALUES (");
    sql.bind(session.to_string())
        .push(", ")
        .bind(issuer)
        .push(")");
    sql.execute(tx).await?;
    Ok(())
}

/// The issuer a session was signed in through; `None` for a password sign-in.
pub async fn session_issuer(
    tx: &mut impl Reads,
    session: SessionId,
) -> StoreResult<Option<String>> {
    let mut sql = Sql::new("SELECT issuer FROM oidc_sessions WHERE session_id = ");
    sql.bind(session.to_string());
    sql.fetch_optional(tx)
        .await?
        .map(|row| row.text("issuer"))
        .transpose()
}

/// The user of `organisation` with `identifier` (active or not).
pub async fn find_user(
    tx: &mut impl Reads,
    organisation: OrganisationId,
    identifier: &str,
) -> StoreResult<Option<UserId>> {
    let mut sql = Sql::new("SELECT id FROM users WHERE organisation_id = ");
    sql.bind(organisation.to_string())
        .push(" AND oidc_identifier = ")
        .bind(identifier);
    sql.fetch_optional(tx)
        .await?
        .map(|row| row.id("id"))
        .transpose()
}

/// Sets (or with `None` clears) a user's identifier; `Conflict("users_oidc_identifier_key")`
/// when another user of the organisation has it.
pub async fn set_identifier(
    tx: &mut Tx,
    organisation: OrganisationId,
    user: UserId,
    identifier: Option<&str>,
) -> StoreResult<()> {
    if let Some(identifier) = identifier {
        match find_user(tx, organisation, identifier).await? {
            Some(other) if other != user => {
                return Err(StoreError::Conflict("users_oidc_identifier_key".into()))
            }
            _ => {}
        }
    }
    let mut sql = Sql::new("UPDATE users SET oidc_identifier = ");
    sql.bind(identifier.map(str::to_owned))
        .push(" WHERE id = ")
        .bind(user.to_string());
    match sql.execute(tx).await {
        Ok(_) => Ok(()),
        Err(StoreError::Conflict(_)) => {
            Err(StoreError::Conflict("users_oidc_identifier_key".into()))
        }
        Err(err) => Err(err),
    }
}

/// The identifiers of the users of `organisation` that have one.
pub async fn identifiers(
    tx: &mut impl Reads,
    organisation: OrganisationId,
) -> StoreResult<HashMap<UserId, String>> {
    let mut sql = Sql::new(
        "SELECT id, oidc_identifier FROM users WHERE oidc_identifier IS NOT NULL AND organisation_id = ",
    );
    sql.bind(organisation.to_string());
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|row| Ok((row.id("id")?, row.text("oidc_identifier")?)))
        .collect()
}
