//! One error type for the HTTP edge: every failure becomes RFC 9457 problem+json with a
//! stable snake_case `code`. Internal details are logged, never sent.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::audit::AuditEntry;
use crate::domain::Purpose;

/// Carried from a denied request to the `record_denials` layer, which audits it.
#[derive(Clone, Debug)]
pub struct DeniedAccess(pub Box<AuditEntry>);

/// A problem with one input field.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// JSON pointer-like path of the field, e.g. `valid_until` or `organisation_ids[2]`.
    pub field: String,
    /// Stable code, e.g. `required`, `invalid_personnummer`, `too_long`.
    pub code: String,
    /// Swedish explanation for people.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// RFC 9457 problem details as sent by this API.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:samverkan:problem:<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short Swedish title.
    pub title: String,
    pub status: u16,
    /// Swedish explanation of this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stable snake_case code clients can branch on.
    pub code: String,
    /// Field-level problems, for validation failures.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("bad request: {code}")]
    BadRequest { code: &'static str, detail: String },
    #[error("unauthenticated")]
    Unauthenticated {
        code: &'static str,
        detail: &'static str,
    },
    #[error("forbidden")]
    Forbidden {
        code: &'static str,
        detail: &'static str,
    },
    /// A refusal of someone who may see the object but not do this: 403, and audited.
    #[error("refused")]
    Refused {
        code: &'static str,
        detail: &'static str,
        entry: Box<AuditEntry>,
    },
    /// Also what a caller without access gets: existence is not revealed.
    #[error("not found")]
    NotFound,
    /// Access denied by the policy: answered as 404, recorded in the audit log.
    #[error("denied")]
    Denied(Box<AuditEntry>),
    #[error("conflict: {code}")]
    Conflict { code: &'static str, detail: String },
    /// A well-formed request the server will not carry out (422 with a code of its own).
    #[error("unprocessable: {code}")]
    Unprocessable { code: &'static str, detail: String },
    #[error("payload too large")]
    PayloadTooLarge,
    /// The body did not arrive within `server.body_read_timeout_seconds`.
    #[error("request timeout")]
    RequestTimeout,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("too many requests")]
    TooManyRequests { retry_after_seconds: u64 },
    #[error("store unavailable")]
    Unavailable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// 409 `consent_missing`: no consent in force covers `organisations` (their names) for
    /// `purpose`, so the step waits until one is recorded.
    pub fn consent_missing(organisations: &[String], purpose: Purpose) -> Self {
        AppError::Conflict {
            code: "consent_missing",
            detail: format!(
                "Det finns inget gällande samtycke som omfattar {} och ändamålet {} ({}). \
                 Registrera samtycket i ärendet först.",
                organisations.join(", "),
                purpose.label(),
                purpose.code()
            ),
        }
    }

    pub fn field(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, code, message)])
    }

    /// 422 with these field errors (a domain check's problems, mapped), or `Ok` when there
    /// are none.
    pub fn unless_none(errors: impl IntoIterator<Item = FieldError>) -> Result<(), Self> {
        let errors: Vec<FieldError> = errors.into_iter().collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Self::Validation(errors))
        }
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str, Option<String>) {
        use AppError::*;
        match self {
            Validation(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "Uppgifterna behöver rättas",
                Some("En eller flera uppgifter är felaktiga, se errors.".into()),
            ),
            BadRequest { code, detail } => (
                StatusCode::BAD_REQUEST,
                code,
                "Felaktig begäran",
                Some(detail.clone()),
            ),
            Unauthenticated { code, detail } => (
                StatusCode::UNAUTHORIZED,
                code,
                "Inloggning krävs",
                Some((*detail).into()),
            ),
            Forbidden { code, detail } | Refused { code, detail, .. } => (
                StatusCode::FORBIDDEN,
                code,
                "Behörighet saknas",
                Some((*detail).into()),
            ),
            NotFound | Denied(_) => (
                StatusCode::NOT_FOUND,
                "not_found",
                "Hittades inte",
                Some("Det finns inget här som du har behörighet att se.".into()),
            ),
            Conflict { code, detail } => {
                (StatusCode::CONFLICT, code, "Konflikt", Some(detail.clone()))
            }
            Unprocessable { code, detail } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                "Begäran kan inte utföras",
                Some(detail.clone()),
            ),
            PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "För stor begäran",
                Some("Innehållet är större än vad tjänsten tar emot.".into()),
            ),
            RequestTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "Begäran tog för lång tid",
                Some("Innehållet kom inte fram i tid. Försök igen.".into()),
            ),
            UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Fel innehållstyp",
                Some("Skicka innehållet som application/json.".into()),
            ),
            MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "Metoden stöds inte",
                None,
            ),
            TooManyRequests {
                retry_after_seconds,
            } => (
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "För många försök",
                Some(format!(
                    "Vänta {retry_after_seconds} sekunder och försök igen."
                )),
            ),
            Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "Tjänsten är tillfälligt otillgänglig",
                Some("Försök igen om en stund.".into()),
            ),
            Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "Något gick fel",
                Some("Ett oväntat fel inträffade. Det har loggats.".into()),
            ),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, title, detail) = self.parts();
        match &self {
            AppError::Internal(err) => tracing::error!(error = %err, "internal error"),
            AppError::Unavailable => tracing::warn!("store unavailable"),
            _ => {}
        }
        let retry_after = match &self {
            AppError::TooManyRequests {
                retry_after_seconds,
            } => Some(*retry_after_seconds),
            _ => None,
        };
        let (errors, denial) = match self {
            AppError::Validation(errors) => (errors, None),
            AppError::Denied(entry) | AppError::Refused { entry, .. } => {
                (Vec::new(), Some(DeniedAccess(entry)))
            }
            _ => (Vec::new(), None),
        };
        let problem = Problem {
            problem_type: format!("urn:samverkan:problem:{code}"),
            title: title.into(),
            status: status.as_u16(),
            detail,
            code: code.into(),
            errors,
        };
        let mut response = (status, axum::Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = retry_after {
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                headers.insert(header::RETRY_AFTER, value);
            }
        }
        if let Some(denial) = denial {
            response.extensions_mut().insert(denial);
        }
        response
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => AppError::UnsupportedMediaType,
            JsonRejection::BytesRejection(ref bytes)
                if bytes.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                AppError::PayloadTooLarge
            }
            JsonRejection::JsonDataError(err) => {
                // serde's message names the field and what was wrong with it.
                let message = std::error::Error::source(&err)
                    .map(ToString::to_string)
                    .unwrap_or_else(|| err.body_text());
                let code = if message.contains("unknown field") {
                    "unknown_field"
                } else if message.contains("missing field") {
                    "required"
                } else {
                    "invalid_value"
                };
                AppError::Validation(vec![FieldError::new(
                    field_from_serde_message(&message),
                    code,
                    message,
                )])
            }
            other => AppError::BadRequest {
                code: "malformed_json",
                detail: other.body_text(),
            },
        }
    }
}

/// serde_path_to_error style messages start with the path; fall back to the body root.
fn field_from_serde_message(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        return rest.split('`').next().unwrap_or("").to_owned();
    }
    if let Some(start) = message.find("missing field `") {
        return message[start + 15..]
            .split('`')
            .next()
            .unwrap_or("")
            .to_owned();
    }
    match message.split_once(": ") {
        Some((path, _)) if !path.contains(' ') => path.to_owned(),
        _ => String::new(),
    }
}

impl From<PathRejection> for AppError {
    fn from(_: PathRejection) -> Self {
        // A malformed id names nothing that exists.
        AppError::NotFound
    }
}

impl From<QueryRejection> for AppError {
    /// At the parameter the message names (`case_id: UUID parsing failed …`), else at
    /// `query`.
    fn from(rejection: QueryRejection) -> Self {
        let message = rejection.body_text();
        let detail = message
            .strip_prefix("Failed to deserialize query string: ")
            .unwrap_or(&message);
        let field = match field_from_serde_message(detail) {
            field if field.is_empty() => "query".to_owned(),
            field => field,
        };
        AppError::Validation(vec![FieldError::new(field, "invalid_query", message)])
    }
}

impl From<validator::ValidationErrors> for AppError {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut out = Vec::new();
        collect_validation_errors(&errors, "", &mut out);
        AppError::Validation(out)
    }
}

fn collect_validation_errors(
    errors: &validator::ValidationErrors,
    prefix: &str,
    out: &mut Vec<FieldError>,
) {
    use validator::ValidationErrorsKind;
    for (field, kind) in errors.errors() {
        // A nested check of one value (`rules::TextLine`) reports at the field's own path.
        let path = if prefix.is_empty() {
            field.to_string()
        } else if field.is_empty() {
            prefix.to_owned()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => out.extend(list.iter().map(|e| {
                let message = e
                    .message
                    .as_deref()
                    .map(str::to_owned)
                    .unwrap_or_else(|| "ogiltigt värde".into());
                FieldError::new(path.clone(), &e.code, message)
            })),
            ValidationErrorsKind::Struct(inner) => collect_validation_errors(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect_validation_errors(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
    out.sort_by(|a, b| a.field.cmp(&b.field));
}

pub type AppResult<T> = Result<T, AppError>;
