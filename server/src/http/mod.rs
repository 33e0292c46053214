//! The HTTP API: one module per resource, each exporting `router()`, merged here with the
//! OpenAPI document generated from the same handlers.

pub mod audit;
pub mod auth;
pub mod cases;
pub mod consents;
pub mod finsam;
#[cfg(feature = "floors")]
pub mod floors;
pub mod fordjupad;
pub mod health;
pub mod idempotency;
pub mod individuals;
pub mod inquiries;
pub mod legal_hold;
pub mod limits;
pub mod meetings;
pub mod messages;
pub mod notifications;
pub mod oidc;
mod oidc_login;
mod oidc_page;
pub mod organisations;
pub mod plans;
pub mod problem;
pub mod rules;
pub mod sip_calls;
pub mod statistics;
pub mod stream;
pub mod users;

pub(crate) use rules::{not_blank, text_line};

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use validator::Validate;

use crate::app::AppState;
use crate::domain::Timestamp;
use crate::error::{AppError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Samverkan API",
        description = "Samverkan kring rehabilitering: samtycke, ärenden och åtkomstlogg. \
                       Every error is RFC 9457 problem+json with a stable `code`.",
        version = "0.1.0"
    ),
    modifiers(&BearerAuth),
    // Schemas only query parameters refer to must be listed here to be in the document, and
    // the stream's event kinds, which only WebSocket messages carry.
    components(schemas(
        Problem,
        crate::error::FieldError,
        crate::domain::InquiryBox,
        crate::domain::sip::CallBox,
        crate::domain::finsam::ReferralBox,
        crate::domain::finsam::ReferralState,
        crate::domain::EventKind
    )),
    security(("bearer" = [])),
    tags(
        (name = "auth", description = "Inloggning"),
        (name = "organisations", description = "Organisationer och användare"),
        (name = "individuals", description = "Individer"),
        (name = "cases", description = "Ärenden"),
        (name = "consents", description = "Samtycken"),
        (name = "inquiries", description = "Rehabiliteringsförfrågningar"),
        (name = "messages", description = "Meddelanden i ärenden"),
        (name = "notifications", description = "Notiser och e-postinställningar"),
        (name = "meetings", description = "Möten och kallelser"),
        (name = "sip", description = "Kallelser till SIP (samordnad individuell plan)"),
        (name = "finsam", description = "Anmälningar till Finsamteam"),
        (name = "plans", description = "Samverkansplaner och våra åtaganden"),
        (name = "fordjupad", description = "Fördjupad samverkan: lyfta ärenden och rehabansvarigs beslut"),
        (name = "audit", description = "Åtkomstlogg och loggutdrag"),
        (name = "statistics", description = "Statistik utan personuppgifter"),
        (name = "stream", description = "Händelseström (WebSocket)"),
        (name = "health", description = "Drift"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Every API route with its OpenAPI description.
pub fn api() -> OpenApiRouter<AppState> {
    let mut api = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::router())
        .merge(auth::router())
        .merge(oidc::router())
        .merge(organisations::router())
        .merge(users::router())
        .merge(individuals::router())
        .merge(cases::router())
        .merge(legal_hold::router())
        .merge(consents::router())
        .merge(inquiries::router())
        .merge(messages::router())
        .merge(notifications::router())
        .merge(meetings::router())
        .merge(sip_calls::router())
        .merge(finsam::router())
        .merge(plans::router())
        .merge(fordjupad::router())
        .merge(audit::router())
        .merge(statistics::router())
        .merge(stream::router());
    idempotency::document(api.get_openapi_mut());
    api
}

/// JSON body that is parsed (unknown fields rejected) and then validated; both failures
/// become problem+json with field errors.
pub struct ValidJson<T>(pub T);

impl<T, S> FromRequest<S> for ValidJson<T>
where
    T: DeserializeOwned + Validate,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<mime::Mime>().ok())
            .is_some_and(|m| {
                m.type_() == "application"
                    && (m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"))
            });
        if !is_json {
            return Err(AppError::UnsupportedMediaType);
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::PayloadTooLarge
                } else {
                    AppError::BadRequest {
                        code: "unreadable_body",
                        detail: e.body_text(),
                    }
                }
            })?;
        // PostgreSQL cannot store a NUL character in text; no field of ours has a use for one.
        if has_escaped_nul(&bytes) {
            return Err(AppError::field(
                "",
                "nul_character",
                "texten innehåller ett otillåtet nolltecken (\\u0000)",
            ));
        }
        let axum::Json(value) = axum::Json::<T>::from_bytes(&bytes)?;
        value.validate()?;
        Ok(Self(value))
    }
}

/// The client's address as the connection shows it (for login throttling); `None` for a
/// request that came over no socket.
pub struct Source(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Source {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Source(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0.ip()),
        ))
    }
}

/// Whether JSON text escapes a NUL (`\u0000`); the text `\\u0000` (an escaped backslash
/// before `u0000`) is no NUL and passes.
fn has_escaped_nul(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] == b'\\' {
            if json
                .get(i + 1..i + 6)
                .is_some_and(|s| s.eq_ignore_ascii_case(b"u0000"))
            {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// Path parameters; a malformed id is simply not found.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(value) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

/// Query parameters with problem+json on failure.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if parts
            .uri
            .query()
            .is_some_and(|q| q.to_ascii_lowercase().contains("%00"))
        {
            return Err(AppError::field(
                "query",
                "nul_character",
                "frågan innehåller ett otillåtet nolltecken",
            ));
        }
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

/// Paging for lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// At most this many items (1-200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Skip this many items (default 0).
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<i64>,
}

impl Paging {
    pub fn limit(&self) -> Result<i64, AppError> {
        Ok(in_range("limit", self.limit, 1..=200)?.unwrap_or(50))
    }

    pub fn offset(&self) -> Result<i64, AppError> {
        Ok(in_range("offset", self.offset, 0..=1_000_000)?.unwrap_or(0))
    }
}

/// A number from the query within `range` (as the document's minimum and maximum say), or a
/// field error `out_of_range` naming it.
pub fn in_range(
    field: &'static str,
    value: Option<i64>,
    range: std::ops::RangeInclusive<i64>,
) -> Result<Option<i64>, AppError> {
    match value {
        Some(n) if !range.contains(&n) => Err(AppError::field(
            field,
            "out_of_range",
            if *range.end() == i64::MAX {
                format!("{field} ska vara minst {}", range.start())
            } else {
                format!("{field} ska vara {}–{}", range.start(), range.end())
            },
        )),
        _ => Ok(value),
    }
}

/// A page of items.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    pub limit: i64,
    pub offset: i64,
}

pub fn rfc3339(at: Timestamp) -> DateTime<Utc> {
    at.to_datetime()
}

/// The responses every authenticated route can give, for the OpenAPI document.
#[derive(utoipa::IntoResponses)]
pub enum CommonErrors {
    /// Felaktig begäran.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(#[to_schema] Problem),
    /// Inte inloggad eller ogiltig token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(#[to_schema] Problem),
    /// Hittades inte, eller ingen behörighet (existens avslöjas inte).
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(#[to_schema] Problem),
    /// Innehållet kom inte fram inom `server.body_read_timeout_seconds`; anslutningen stängs.
    #[response(status = 408, content_type = "application/problem+json")]
    Timeout(#[to_schema] Problem),
    /// För stor begäran (en angiven Content-Length över gränsen avvisas innan något läses).
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(#[to_schema] Problem),
    /// Fel innehållstyp.
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(#[to_schema] Problem),
    /// Valideringsfel med fältfel.
    #[response(status = 422, content_type = "application/problem+json")]
    Unprocessable(#[to_schema] Problem),
    /// Tjänsten är tillfälligt otillgänglig.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(#[to_schema] Problem),
}
