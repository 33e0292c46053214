//! The `CurrentUser` extractor: a bearer token, verified, resolved to an active user.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::token::TokenError;
use super::Actor;
use crate::app::AppState;
use crate::error::AppError;
use crate::store::{users, StoreError};

/// The signed-in user; every `/api` handler but login takes one.
pub struct CurrentUser(pub Actor);

fn unauthenticated(code: &'static str, detail: &'static str) -> AppError {
    AppError::Unauthenticated { code, detail }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
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
        let identity = state
            .verifier
            .verify(token.trim())
            .map_err(|err| match err {
                TokenError::Expired => unauthenticated(
                    "token_expired",
                    "Din inloggning har gått ut. Logga in igen.",
                ),
                TokenError::Invalid => {
                    unauthenticated("invalid_token", "Token är ogiltig. Logga in igen.")
                }
            })?;
        let mut tx = state.store.read().await?;
        let user = match users::get(&mut tx, identity.user_id).await {
            Ok(user) if user.active => user,
            Ok(_) | Err(StoreError::NotFound) => {
                return Err(unauthenticated(
                    "account_inactive",
                    "Kontot är inte aktivt.",
                ));
            }
            Err(err) => return Err(err.into()),
        };
        drop(tx);
        let request_id = parts
            .headers
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        Ok(CurrentUser(Actor {
            user_id: user.id,
            organisation_id: user.organisation_id,
            roles: user.roles,
            request_id,
        }))
    }
}
