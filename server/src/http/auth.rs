//! Login with a local account, and who am I.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

use super::users::UserResponse;
use super::users::{check_current_password, hash_password};
use super::{rfc3339, Source, ValidJson};
use crate::access::{password, SignedIn};
use crate::app::AppState;
use crate::domain::Timestamp;
use crate::error::{AppError, AppResult};
use crate::store::sessions::{self, Session};
use crate::store::{organisations, users};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(change_own_password))
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[validate(length(min = 1, max = 100, message = "ange användarnamn"))]
    #[schema(min_length = 1, max_length = 100, pattern = "$no_nul")]
    pub username: String,
    #[validate(length(min = 1, max = 200, message = "ange lösenord"))]
    #[schema(min_length = 1, max_length = 200, pattern = "$no_nul")]
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    pub expires_at: DateTime<Utc>,
    pub user: UserResponse,
    pub session: SessionResponse,
}

/// The sign-in session's limits, so a client can warn before it ends.
#[derive(Serialize, ToSchema)]
pub struct SessionResponse {
    pub started_at: DateTime<Utc>,
    /// The session ends at this instant whatever happens (12 hours after sign-in by default).
    pub expires_at: DateTime<Utc>,
    /// The session ends after this many minutes without a request the user made.
    pub idle_minutes: i64,
}

/// A fresh access token for `session`, with the user and the session's limits.
pub(super) async fn token_reply(
    state: &AppState,
    user: users::User,
    session: &Session,
) -> AppResult<Json<LoginResponse>> {
    let (access_token, expires_at) = state
        .tokens
        .issue(user.id, session.id, session.expires_at)?;
    let mut tx = state.store.read().await?;
    let organisation = organisations::get(&mut tx, user.organisation_id).await?;
    Ok(Json(LoginResponse {
        access_token,
        token_type: "Bearer",
        expires_at: rfc3339(expires_at),
        user: UserResponse::new(user, &organisation),
        session: SessionResponse {
            started_at: rfc3339(session.started_at),
            expires_at: rfc3339(session.expires_at),
            idle_minutes: state.settings.auth.session_idle_minutes,
        },
    }))
}

/// Signs in with username and password and returns a short-lived access token.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", security(()), request_body = LoginRequest, responses(
    (status = 200, body = LoginResponse),
    crate::http::problem::WrongCredentials,
    crate::http::problem::OidcRequired,
    crate::http::problem::TooManyAttempts,
    crate::http::CommonErrors,
))]
async fn login(
    State(state): State<AppState>,
    Source(source): Source,
    ValidJson(body): ValidJson<LoginRequest>,
) -> AppResult<Json<LoginResponse>> {
    if let Err(retry_after_seconds) = state.throttle.check(&body.username, source) {
        state.metrics.sign_in("password", "throttled");
        return Err(AppError::TooManyRequests {
            retry_after_seconds,
        });
    }
    let mut tx = state.store.begin().await?;
    let credentials = users::credentials(&mut tx, body.username.trim()).await?;
    drop(tx);
    let stored_hash = credentials
        .as_ref()
        .map_or(password::dummy_hash().to_owned(), |c| {
            c.password_hash.clone()
        });
    let password = body.password.clone();
    // Hashing is CPU-bound; keep it off the async workers.
    let matches = tokio::task::spawn_blocking(move || password::verify(&password, &stored_hash))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let user = match credentials {
        Some(c) if matches && c.user.active => c.user,
        _ => {
            state.throttle.record_failure(&body.username, source);
            state.metrics.sign_in("password", "invalid_credentials");
            tracing::info!("failed login");
            return Err(AppError::Unauthenticated {
                code: "invalid_credentials",
                detail: "Fel användarnamn eller lösenord.",
            });
        }
    };
    state.throttle.record_success(&body.username, source);
    super::oidc::check_password_allowed(&state, &user).await?;
    let lifetime = state
        .settings
        .auth
        .session_max_hours
        .saturating_mul(3_600_000_000);
    let mut tx = state.store.begin().await?;
    let session = sessions::start(&mut tx, user.id, lifetime).await?;
    tx.commit().await?;
    state.metrics.sign_in("password", "success");
    token_reply(&state, user, &session).await
}

/// Gives a new access token in the same session and counts as activity. The session's
/// idle and maximum limits still apply: past them this answers 401 like any request.
#[utoipa::path(post, path = "/api/auth/refresh", tag = "auth", responses(
    (status = 200, body = LoginResponse),
    crate::http::CommonErrors,
))]
async fn refresh(
    State(state): State<AppState>,
    SignedIn(_actor, session, user): SignedIn,
) -> AppResult<Json<LoginResponse>> {
    token_reply(&state, user, &session).await
}

/// Signs out: the session ends and every token issued in it stops working at once.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", responses(
    (status = 204, description = "Utloggad"),
    crate::http::CommonErrors,
))]
async fn logout(
    State(state): State<AppState>,
    SignedIn(_actor, session, _user): SignedIn,
) -> AppResult<axum::http::StatusCode> {
    let mut tx = state.store.begin().await?;
    sessions::end(&mut tx, &session, Timestamp::now()).await?;
    tx.commit().await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// The signed-in user, their organisation and roles.
#[utoipa::path(get, path = "/api/me", tag = "auth", responses((status = 200, body = UserResponse), crate::http::CommonErrors))]
async fn me(
    State(state): State<AppState>,
    SignedIn(_actor, _session, user): SignedIn,
) -> AppResult<Json<UserResponse>> {
    let mut tx = state.store.read().await?;
    let organisation = organisations::get(&mut tx, user.organisation_id).await?;
    Ok(Json(UserResponse::new(user, &organisation)))
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeOwnPassword {
    /// The present password; a missing or wrong one is a field error on this field.
    #[validate(length(max = 200, message = "högst 200 tecken"))]
    #[schema(max_length = 200, pattern = "$no_nul")]
    pub current_password: Option<String>,
    #[validate(length(min = 12, max = 200, message = "lösenordet ska ha 12–200 tecken"))]
    #[schema(min_length = 12, max_length = 200, pattern = "$no_nul")]
    pub new_password: String,
}

/// Changes my own password, given the present one. Every other session of mine ends (and
/// its live streams close); this one goes on.
#[utoipa::path(post, path = "/api/me/password", tag = "auth",
    extensions(("x-field-rules" = json!(super::users::OWN_PASSWORD_RULES))), request_body = ChangeOwnPassword, responses(
    (status = 204, description = "Lösenordet är bytt"),
    crate::http::problem::TooManyAttempts,
    crate::http::CommonErrors,
))]
async fn change_own_password(
    State(state): State<AppState>,
    Source(source): Source,
    SignedIn(_actor, session, user): SignedIn,
    ValidJson(body): ValidJson<ChangeOwnPassword>,
) -> AppResult<axum::http::StatusCode> {
    check_current_password(&state, &user, source, body.current_password).await?;
    let hash = hash_password(body.new_password).await?;
    let mut tx = state.store.begin().await?;
    users::set_password_hash(&mut tx, user.id, &hash).await?;
    sessions::end_all(&mut tx, user.id, Some(session.id), Timestamp::now()).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, "own password changed");
    Ok(axum::http::StatusCode::NO_CONTENT)
}
