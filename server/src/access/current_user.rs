//! The `CurrentUser` extractor: a bearer token, verified, resolved to an active user in a
//! live sign-in session.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use chrono::Duration;

use super::token::{TokenError, TokenVerifier};
use super::Actor;
use crate::config::Settings;
use crate::domain::Timestamp;
use crate::error::AppError;
use crate::store::sessions::{self, Session};
use crate::store::users::User;
use crate::store::Store;

/// The signed-in user; every `/api` handler but login takes one.
pub struct CurrentUser(pub Actor);

/// The signed-in user as every request checks them: who acts, in which session, and the
/// user row as just read (so handlers that need it need not read it again).
pub struct SignedIn(pub Actor, pub Session, pub User);

/// How often a session's `last_active_at` is moved at most: requests within this time of the
/// last move leave it.
pub const TOUCH_EVERY_MICROS: i64 = 60_000_000;

/// A request the client marks as made on its own (a refresh after a live event), not by the
/// user; it does not keep the session from going idle.
pub const BACKGROUND_HEADER: &str = "x-samverkan-background";

fn unauthenticated(code: &'static str, detail: &'static str) -> AppError {
    AppError::Unauthenticated { code, detail }
}

impl<S> FromRequestParts<S> for CurrentUser
where
    S: Send + Sync,
    Store: FromRef<S>,
    Arc<dyn TokenVerifier>: FromRef<S>,
    Arc<Settings>: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let SignedIn(actor, _, _) = SignedIn::from_request_parts(parts, state).await?;
        Ok(CurrentUser(actor))
    }
}

/// Why a session no longer admits requests, if it does not.
pub fn session_end(session: &Session, now: Timestamp, idle: Duration) -> Option<AppError> {
    if session.ended_at.is_some() {
        return Some(unauthenticated(
            "session_ended",
            "Du är utloggad. Logga in igen.",
        ));
    }
    if now >= session.expires_at {
        return Some(unauthenticated(
            "session_expired",
            "Du har varit inloggad den längsta tillåtna tiden. Logga in igen.",
        ));
    }
    let idle_micros = idle.num_microseconds().unwrap_or(i64::MAX);
    if now.micros().saturating_sub(session.last_active_at.micros()) >= idle_micros {
        return Some(unauthenticated(
            "session_idle",
            "Du har loggats ut efter en tid utan aktivitet. Logga in igen.",
        ));
    }
    None
}

/// Generic over the application's state: it needs only the store, the token verifier and
/// the settings, each taken from the state with `FromRef`.
impl<S> FromRequestParts<S> for SignedIn
where
    S: Send + Sync,
    Store: FromRef<S>,
    Arc<dyn TokenVerifier>: FromRef<S>,
    Arc<Settings>: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let store = Store::from_ref(state);
        let verifier = Arc::<dyn TokenVerifier>::from_ref(state);
        let settings = Arc::<Settings>::from_ref(state);
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
            })
            .ok_or_else(|| {
                unauthenticated("missing_token", "Logga in och skicka din token som Bearer.")
            })?;
        let identity = verifier.verify(token.trim()).map_err(|err| match err {
            TokenError::Expired => unauthenticated(
                "token_expired",
                "Din inloggning har gått ut. Logga in igen.",
            ),
            TokenError::Invalid => {
                unauthenticated("invalid_token", "Token är ogiltig. Logga in igen.")
            }
        })?;
        let background = parts.headers.contains_key(BACKGROUND_HEADER);
        let now = Timestamp::now();
        let mut tx = store.read().await?;
        let (session, user) = match sessions::get_with_user(&mut tx, identity.session_id).await? {
            Some((session, user)) if session.user_id == identity.user_id => (session, user),
            _ => {
                return Err(unauthenticated(
                    "invalid_token",
                    "Token är ogiltig. Logga in igen.",
                ))
            }
        };
        let idle = Duration::minutes(settings.auth.session_idle_minutes);
        if let Some(ended) = session_end(&session, now, idle) {
            return Err(ended);
        }
        if !user.active {
            return Err(unauthenticated(
                "account_inactive",
                "Kontot är inte aktivt.",
            ));
        }
        // A minute matters little against a limit in minutes (the idle end may come up to a
        // minute early); touching a session at most once a minute keeps reads off the writer.
        let recently_touched = now.micros() - session.last_active_at.micros() < TOUCH_EVERY_MICROS;
        drop(tx);
        if !(background || recently_touched) {
            let mut tx = store.begin_beside().await?;
            sessions::touch(&mut tx, session.id, now).await?;
            tx.commit().await?;
        }
        let request_id = parts
            .headers
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        Ok(SignedIn(Actor::of(&user, request_id), session, user))
    }
}
