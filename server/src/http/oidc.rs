//! Sign-in through an organisation's identity provider (OpenID Connect, authorization code
//! with PKCE). The browser goes to `/auth/oidc/{issuer}/start`, on to the provider, and back
//! to `/auth/oidc/callback`; the state, nonce and PKCE verifier wait in the store, bound to
//! the browser by a cookie. A good sign-in ends with a one-time code in the URL fragment
//! (never a token, never in a query string), which the web app exchanges with POST
//! `/api/auth/oidc/session` for the same session a password sign-in gives.

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

use super::auth::{token_reply, LoginResponse};
use super::oidc_page;
use super::ValidJson;
use crate::access::SignedIn;
use crate::app::AppState;
use crate::domain::{OrganisationId, Timestamp};
use crate::error::{AppError, AppResult};
use crate::store::{oidc, organisations, sessions};

const COOKIE: &str = "samverkan_oidc";
/// How long the web app has to take a finished sign-in's session.
const HANDOFF_MICROS: i64 = 60_000_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(providers))
        .routes(routes!(start))
        .routes(routes!(callback))
        .routes(routes!(take_session))
        .routes(routes!(logout))
}

/// One "Logga in med …" button: an organisation and an issuer it signs in through.
#[derive(Serialize, ToSchema)]
pub struct ProviderButton {
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    /// The issuer's short name.
    pub issuer: String,
    /// What the button says after "Logga in med".
    pub label: String,
    /// Where the button leads (a GET that redirects to the provider).
    pub start_url: String,
}

/// The identity providers the sign-in page offers, per organisation.
#[utoipa::path(get, path = "/api/auth/providers", tag = "auth", security(()), responses(
    (status = 200, body = Vec<ProviderButton>),
    crate::http::CommonErrors,
))]
async fn providers(State(state): State<AppState>) -> AppResult<Json<Vec<ProviderButton>>> {
    let mut tx = state.store.read().await?;
    let mut buttons = Vec::new();
    for bound in state.oidc.organisations() {
        let Some(org) = organisations::find_by_name(&mut tx, &bound.organisation).await? else {
            continue;
        };
        for name in &bound.issuers {
            if let Some(issuer) = state.oidc.issuer(name) {
                buttons.push(ProviderButton {
                    organisation_id: org.id,
                    organisation_name: org.name.clone(),
                    issuer: issuer.name.clone(),
                    label: issuer.display_name.clone(),
                    start_url: format!("/auth/oidc/{}/start?organisation={}", issuer.name, org.id),
                });
            }
        }
    }
    Ok(Json(buttons))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StartQuery {
    /// The organisation signing in (recommended when several share an issuer).
    pub organisation: Option<OrganisationId>,
}

fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

fn random_hex() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

/// Starts a sign-in at `issuer`: 303 to the provider's authorization endpoint.
#[utoipa::path(get, path = "/auth/oidc/{issuer}/start", tag = "auth", security(()),
    params(("issuer" = String, Path, description = "The issuer's short name"), StartQuery),
    responses(
        (status = 303, description = "Vidare till identitetsleverantören"),
        (status = 502, description = "Identitetsleverantören svarar inte (svensk sida)", content_type = "text/html", body = String),
        crate::http::CommonErrors,
    ))]
async fn start(
    State(state): State<AppState>,
    Path(issuer): Path<String>,
    super::ApiQuery(query): super::ApiQuery<StartQuery>,
) -> AppResult<Response> {
    let Some(issuer) = state.oidc.issuer(&issuer).cloned() else {
        return Err(AppError::NotFound);
    };
    let bound: Vec<_> = state
        .oidc
        .organisations()
        .iter()
        .filter(|o| o.issuers.contains(&issuer.name))
        .collect();
    let mut tx = state.store.read().await?;
    let mut acrs = Vec::new();
    let mut organisation = None;
    for settings in &bound {
        let Some(org) = organisations::find_by_name(&mut tx, &settings.organisation).await? else {
            continue;
        };
        if query.organisation.is_none_or(|o| o == org.id) {
            if query.organisation.is_some() {
                organisation = Some(org.id);
            }
            if !settings.acr.is_empty() && !acrs.contains(&settings.acr) {
                acrs.push(settings.acr.clone());
            }
        }
    }
    drop(tx);
    if query.organisation.is_some() && organisation.is_none() {
        return Err(AppError::NotFound);
    }
    let acr = (acrs.len() == 1).then(|| acrs[0].as_str());
    let authorization = match state.oidc.authorize(&issuer, acr).await {
        Ok(a) => a,
        Err(failure) => {
            state.metrics.sign_in("oidc", failure.code());
            return Ok(oidc_page::render(failure));
        }
    };
    let browser = random_hex();
    let ttl = state.settings.oidc.login_ttl_seconds.max(1);
    let mut tx = state.store.begin().await?;
    oidc::start_login(
        &mut tx,
        &oidc::PendingLogin {
            state: authorization.state,
            issuer: issuer.name.clone(),
            organisation_id: organisation,
            nonce: authorization.nonce,
            pkce_verifier: authorization.pkce_verifier,
            browser_hash: sha256_hex(&browser),
            expires_at: Timestamp::from_micros(
                Timestamp::now().micros().saturating_add(ttl * 1_000_000),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    let secure = if state.settings.server.public_url.starts_with("https:") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE}={browser}; Path=/auth/oidc; Max-Age={ttl}; HttpOnly; SameSite=Lax{secure}"
    );
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::LOCATION,
        HeaderValue::from_str(&authorization.url).map_err(|e| AppError::Internal(e.into()))?,
    );
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| AppError::Internal(e.into()))?,
    );
    Ok(response)
}

fn browser_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// What the provider sends back (read leniently by the handler; this states it for the
/// document).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct CallbackParams {
    /// The state this hub sent with the sign-in; it must be one it issued, unused and recent.
    #[param(min_length = 1, max_length = 500)]
    state: String,
    /// The authorization code.
    code: Option<String>,
    /// The provider's error code (e.g. `access_denied`).
    error: Option<String>,
}

/// The provider sends the browser back here. A good sign-in: 303 to the web app with a
/// one-time code in the fragment. Anything else: a Swedish page saying what to do.
#[utoipa::path(get, path = "/auth/oidc/callback", tag = "auth", security(()),
    params(CallbackParams),
    responses(
        (status = 303, description = "Inloggad: vidare till webbappen med en engångskod i fragmentet"),
        (status = 401, description = "ID-token utgången eller ogiltig (svensk sida)", content_type = "text/html", body = String),
        (status = 403, description = "Okänd, använd, gammal eller annan webbläsares inloggning (state); nekad, fel tillitsnivå, okänd eller avstängd användare (svensk sida)", content_type = "text/html", body = String),
        (status = 502, description = "Identitetsleverantören svarade inte som väntat (svensk sida)", content_type = "text/html", body = String),
        crate::http::CommonErrors,
    ))]
async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let params: std::collections::HashMap<String, String> =
        openidconnect::url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let outcome = super::oidc_login::finish(&state, &params, browser_cookie(&headers)).await?;
    let clear = format!("{COOKIE}=; Path=/auth/oidc; Max-Age=0; HttpOnly; SameSite=Lax");
    let mut response = match outcome {
        Ok((user, issuer)) => {
            let code = random_hex();
            let mut tx = state.store.begin().await?;
            let until = Timestamp::from_micros(Timestamp::now().micros() + HANDOFF_MICROS);
            oidc::put_handoff(&mut tx, &sha256_hex(&code), user, &issuer, until).await?;
            tx.commit().await?;
            state.metrics.sign_in("oidc", "success");
            tracing::info!(user_id = %user, issuer = %issuer, "signed in through identity provider");
            let mut response = StatusCode::SEE_OTHER.into_response();
            response.headers_mut().insert(
                header::LOCATION,
                HeaderValue::from_str(&format!("/#/inloggning/{code}"))
                    .map_err(|e| AppError::Internal(e.into()))?,
            );
            response
        }
        Err(failure) => {
            state.metrics.sign_in("oidc", failure.code());
            tracing::info!(
                outcome = failure.code(),
                "identity provider sign-in refused"
            );
            oidc_page::render(failure)
        }
    };
    if let Ok(value) = HeaderValue::from_str(&clear) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TakeSession {
    /// The one-time code from the fragment of the URL the sign-in ended on.
    #[validate(length(min = 1, max = 200, message = "ange koden"))]
    #[schema(min_length = 1, max_length = 200, pattern = "$no_nul")]
    pub code: String,
}

/// Takes the session of a finished identity-provider sign-in, once, within a minute: the
/// same answer, token and session limits as a password sign-in.
#[utoipa::path(post, path = "/api/auth/oidc/session", tag = "auth", security(()), request_body = TakeSession, responses(
    (status = 200, body = LoginResponse),
    crate::http::problem::SignInCodeInvalid,
    crate::http::CommonErrors,
))]
async fn take_session(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<TakeSession>,
) -> AppResult<Json<LoginResponse>> {
    let now = Timestamp::now();
    let mut tx = state.store.begin().await?;
    let Some((user_id, issuer)) = oidc::take_handoff(&mut tx, &sha256_hex(&body.code), now).await?
    else {
        tx.commit().await?;
        return Err(AppError::Unauthenticated {
            code: "oidc_code_invalid",
            detail: "Inloggningskoden är okänd, redan använd eller för gammal. Logga in igen.",
        });
    };
    let user = crate::store::users::get(&mut tx, user_id).await?;
    if !user.active {
        tx.commit().await?;
        return Err(AppError::Unauthenticated {
            code: "account_inactive",
            detail: "Ditt konto är inte aktivt. Kontakta din administratör.",
        });
    }
    let lifetime = state
        .settings
        .auth
        .session_max_hours
        .saturating_mul(3_600_000_000);
    let session = sessions::start(&mut tx, user.id, lifetime).await?;
    oidc::bind_session(&mut tx, session.id, &issuer).await?;
    tx.commit().await?;
    token_reply(&state, user, &session).await
}

/// Where to sign out at the provider too.
#[derive(Serialize, ToSchema)]
pub struct SignedOut {
    /// The provider's end-session URL (RP-initiated logout) when the session was signed in
    /// through one; `null` after a password sign-in.
    pub end_session_url: Option<String>,
}

/// Signs out like `/api/auth/logout` and offers the provider's end-session URL.
#[utoipa::path(post, path = "/api/auth/oidc/logout", tag = "auth", responses(
    (status = 200, body = SignedOut),
    crate::http::CommonErrors,
))]
async fn logout(
    State(state): State<AppState>,
    SignedIn(_actor, session, _user): SignedIn,
) -> AppResult<Json<SignedOut>> {
    let mut tx = state.store.begin().await?;
    let issuer = oidc::session_issuer(&mut tx, session.id).await?;
    sessions::end(&mut tx, &session, Timestamp::now()).await?;
    tx.commit().await?;
    let end_session_url = match issuer.as_deref().and_then(|i| state.oidc.issuer(i)) {
        Some(issuer) => state.oidc.end_session_url(issuer).await,
        None => None,
    };
    Ok(Json(SignedOut { end_session_url }))
}

/// `response` with the user's OIDC identifier from `identifiers` (the users API).
pub(super) fn identified(
    mut response: super::users::UserResponse,
    identifiers: &std::collections::HashMap<crate::domain::UserId, String>,
) -> super::users::UserResponse {
    response.oidc_identifier = identifiers.get(&response.id).cloned();
    response
}

/// Sets `user`'s OIDC identifier (blank: removes it); 409 `oidc_identifier_taken` when
/// another user of the organisation has it. Returns what is now set.
pub(super) async fn set_identifier(
    tx: &mut crate::store::Tx,
    user: &crate::store::users::User,
    identifier: Option<&str>,
) -> AppResult<Option<String>> {
    let identifier = identifier.map(str::trim).filter(|i| !i.is_empty());
    match oidc::set_identifier(tx, user.organisation_id, user.id, identifier).await {
        Ok(()) => Ok(identifier.map(str::to_owned)),
        Err(crate::store::StoreError::Conflict(_)) => Err(AppError::Conflict {
            code: "oidc_identifier_taken",
            detail: "En annan användare i organisationen har redan den identiteten.".into(),
        }),
        Err(err) => Err(err.into()),
    }
}

/// Refuses a (correct) password sign-in for an organisation set to OIDC only: 403
/// `oidc_required`, after the password check so it tells a guesser nothing.
pub(super) async fn check_password_allowed(
    state: &AppState,
    user: &crate::store::users::User,
) -> AppResult<()> {
    if state.oidc.organisations().iter().all(|o| !o.oidc_only) {
        return Ok(());
    }
    let mut tx = state.store.read().await?;
    let organisation = organisations::get(&mut tx, user.organisation_id).await?;
    drop(tx);
    match state.oidc.organisation(&organisation.name) {
        Some(settings) if settings.oidc_only => {
            state.metrics.sign_in("password", "oidc_required");
            Err(AppError::Forbidden {
                code: "oidc_required",
                detail: "Din organisation loggar in via sin identitetsleverantör. Välj \
                         ”Logga in med …” på inloggningssidan.",
            })
        }
        _ => Ok(()),
    }
}
