//! `Idempotency-Key` (IETF httpapi draft) on every POST and PATCH that creates or changes,
//! so a client may retry a write whose answer it never got. The key, the caller and a
//! fingerprint of the request are stored with the response in the write's own transaction
//! (`store::idempotency`): the same key and request again get the stored response and write
//! nothing; the same key with another request is 422; a duplicate while the first is still
//! running is 409. Sign-in, refresh, sign-out and stream tickets take no key: their answers
//! are secrets that must not be stored.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, Required, ResponseBuilder};

use crate::access::SignedIn;
use crate::app::AppState;
use crate::domain::UserId;
use crate::error::AppError;
use crate::store::idempotency::{self, NewKey, StoredResponse};

pub const HEADER: &str = "idempotency-key";
/// Longest key accepted, in characters (without the quotes of the structured-field form).
pub const MAX_KEY_CHARS: usize = 255;
/// The key as a structured-field string (`"…"`, as the draft writes it) or bare: visible
/// ASCII without `"` and `\`.
const KEY_PATTERN: &str = r#"^(?:[!#-\[\]-~]{1,255}|"[!#-\[\]-~]{1,255}")$"#;

/// Whether a request to `path` with `method` takes an `Idempotency-Key`.
pub fn is_keyed(method: &Method, path: &str) -> bool {
    (method == Method::POST || method == Method::PATCH)
        && path.starts_with("/api/")
        && !path.starts_with("/api/auth/")
        && path != "/api/ws-ticket"
}

/// The keys of requests running in this process, so a duplicate meets 409 at once (another
/// hub node's duplicate meets it at commit, on the key's primary key).
#[derive(Clone)]
pub struct Keys {
    state: AppState,
    running: Arc<Mutex<HashSet<(UserId, String)>>>,
}

impl Keys {
    pub fn new(state: AppState) -> Self {
        Self {
            state,
            running: Arc::default(),
        }
    }

    fn start(&self, user: UserId, key: &str) -> Option<Running> {
        let id = (user, key.to_owned());
        let mut running = self.running.lock().ok()?;
        running.insert(id.clone()).then(|| Running {
            running: self.running.clone(),
            id,
        })
    }
}

/// A key marked running until dropped.
struct Running {
    running: Arc<Mutex<HashSet<(UserId, String)>>>,
    id: (UserId, String),
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(mut running) = self.running.lock() {
            running.remove(&self.id);
        }
    }
}

/// The middleware: passes through requests without a key (or that take none).
pub async fn idempotent(State(keys): State<Keys>, request: Request, next: Next) -> Response {
    if !is_keyed(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    let key = match parse_key(&request) {
        Ok(Some(key)) => key,
        Ok(None) => return next.run(request).await,
        Err(err) => return err.into_response(),
    };
    keyed(keys, key, request, next)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn keyed(
    keys: Keys,
    key: String,
    request: Request,
    next: Next,
) -> Result<Response, AppError> {
    let (mut parts, body) = request.into_parts();
    let SignedIn(actor, _, _) = SignedIn::from_request_parts(&mut parts, &keys.state).await?;
    let limit = keys.state.settings.server.body_limit_bytes;
    let body = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| AppError::PayloadTooLarge)?;
    let fingerprint = fingerprint(&parts.method, &parts.uri, &body);
    let Some(_running) = keys.start(actor.user_id, &key) else {
        return Err(AppError::Conflict {
            code: "idempotency_key_in_flight",
            detail: "En begäran med samma Idempotency-Key pågår. Försök igen om en stund.".into(),
        });
    };
    let mut tx = keys.state.store.read().await?;
    let stored = idempotency::find(&mut tx, actor.user_id, &key).await?;
    drop(tx);
    if let Some(stored) = stored {
        if stored.fingerprint != fingerprint {
            return Err(reused());
        }
        return Ok(replay(stored.response));
    }
    let request = Request::from_parts(parts, Body::from(body));
    let (response, parked) = idempotency::keyed(next.run(request)).await;
    let Some(parked) = parked else {
        // Nothing was written (a refusal, a validation error): the key stays free.
        return Ok(response);
    };
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|err| AppError::Internal(anyhow::anyhow!("response body: {err}")))?;
    let stored = StoredResponse {
        status: parts.status.as_u16(),
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: String::from_utf8(body.to_vec())
            .map_err(|_| AppError::Internal(anyhow::anyhow!("a keyed response is not UTF-8")))?,
    };
    let new_key = NewKey {
        user: actor.user_id,
        key: &key,
        fingerprint: &fingerprint,
        response: &stored,
        lifetime_hours: keys.state.settings.idempotency.key_lifetime_hours,
    };
    if !parked.commit_with(new_key).await? {
        return Err(AppError::Conflict {
            code: "idempotency_key_in_flight",
            detail: "En annan begäran med samma Idempotency-Key hann före.".into(),
        });
    }
    Ok(Response::from_parts(parts, Body::from(body)))
}

fn reused() -> AppError {
    AppError::Unprocessable {
        code: "idempotency_key_reused",
        detail: "Denna Idempotency-Key har redan använts för en annan begäran. \
                 Använd en ny nyckel för en ny begäran."
            .into(),
    }
}

fn invalid_key() -> AppError {
    AppError::BadRequest {
        code: "invalid_idempotency_key",
        detail: format!(
            "Idempotency-Key ska vara 1–{MAX_KEY_CHARS} synliga ASCII-tecken utan \" och \\, \
             gärna inom citattecken."
        ),
    }
}

/// The key without its quotes; `None` without the header, 400 for a malformed one.
fn parse_key(request: &Request) -> Result<Option<String>, AppError> {
    let mut values = request.headers().get_all(HEADER).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(invalid_key());
    }
    let text = value.to_str().map_err(|_| invalid_key())?.trim();
    let key = match text.strip_prefix('"') {
        Some(rest) => rest.strip_suffix('"').ok_or_else(invalid_key)?,
        None => text,
    };
    let allowed = |b: u8| matches!(b, b'!' | b'#'..=b'[' | b']'..=b'~');
    if key.is_empty() || key.len() > MAX_KEY_CHARS || !key.bytes().all(allowed) {
        return Err(invalid_key());
    }
    Ok(Some(key.to_owned()))
}

/// SHA-256 over the method, the path with its query, and the body.
fn fingerprint(method: &Method, uri: &Uri, body: &Bytes) -> String {
    let mut hash = Sha256::new();
    hash.update(method.as_str().as_bytes());
    hash.update(b"\n");
    hash.update(uri.path_and_query().map_or("", |p| p.as_str()).as_bytes());
    hash.update(b"\n");
    hash.update(body);
    hex::encode(hash.finalize())
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, stored.body).into_response();
    let headers = response.headers_mut();
    headers.remove(header::CONTENT_TYPE);
    if let Some(value) = stored
        .content_type
        .and_then(|v| HeaderValue::from_str(&v).ok())
    {
        headers.insert(header::CONTENT_TYPE, value);
    }
    response
}

/// States the header, its rules and its 409 on every keyed operation of the document.
pub fn document(openapi: &mut OpenApi) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        for (method, operation) in [
            (Method::POST, &mut item.post),
            (Method::PATCH, &mut item.patch),
        ] {
            if let Some(operation) = operation.as_mut().filter(|_| is_keyed(&method, path)) {
                describe(operation);
            }
        }
    }
}

fn describe(operation: &mut Operation) {
    let schema = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(MAX_KEY_CHARS + 2))
        .pattern(Some(KEY_PATTERN));
    let parameter = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Makes the write safe to retry (IETF httpapi Idempotency-Key): 1–255 visible \
             ASCII characters without `\"` and `\\`, bare or as a structured-field string \
             in quotes; anything else is 400 `invalid_idempotency_key`. The key, the caller \
             and a fingerprint of the request (method, path with query, body) are stored with \
             the response in the write's own transaction and kept for \
             `idempotency.key_lifetime_hours` (default 24). The same caller sending the same \
             key and request again gets the stored response and nothing is written again; \
             the same key with another request is 422 `idempotency_key_reused`; while the \
             first is still running a duplicate is 409 `idempotency_key_in_flight`. A \
             request that wrote nothing (an error) stores no key.",
        ))
        .schema(Some(schema))
        .build();
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .push(parameter);
    let responses = &mut operation.responses.responses;
    responses.entry("409".to_owned()).or_insert_with(|| {
        ResponseBuilder::new()
            .description(
                "Konflikt, bl.a. `idempotency_key_in_flight`: en begäran med samma \
                 Idempotency-Key pågår.",
            )
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build()
            .into()
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_key(value: &str) -> Request {
        Request::builder()
            .header(HEADER, value)
            .body(Body::empty())
            .unwrap_or_default()
    }

    #[test]
    fn keys_are_taken_bare_or_quoted() {
        assert_eq!(
            parse_key(&with_key("abc-123")).ok().flatten().as_deref(),
            Some("abc-123")
        );
        assert_eq!(
            parse_key(&with_key("\"abc-123\""))
                .ok()
                .flatten()
                .as_deref(),
            Some("abc-123")
        );
        assert!(parse_key(&Request::new(Body::empty())).is_ok_and(|k| k.is_none()));
    }

    #[test]
    fn malformed_keys_are_refused() {
        for bad in [
            "",
            "\"\"",
            "\"abc",
            "a b",
            "a\\b",
            "a\"b",
            "å",
            &"k".repeat(256),
        ] {
            assert!(parse_key(&with_key(bad)).is_err(), "{bad:?} was accepted");
        }
        assert!(parse_key(&with_key(&"k".repeat(255))).is_ok());
    }

    #[test]
    fn the_pattern_matches_what_the_parser_takes() {
        // The document's rule and the parser's, checked on the edges of the character set.
        let allowed: String = (0x21u8..=0x7e)
            .filter(|b| *b != b'"' && *b != b'\\')
            .map(char::from)
            .collect();
        assert!(parse_key(&with_key(&allowed)).is_ok());
        assert!(KEY_PATTERN.contains("[!#-\\[\\]-~]"));
    }

    #[test]
    fn sign_in_and_tickets_take_no_key() {
        assert!(is_keyed(&Method::POST, "/api/cases/1/messages"));
        assert!(is_keyed(&Method::PATCH, "/api/cases/1"));
        assert!(!is_keyed(&Method::GET, "/api/cases"));
        assert!(!is_keyed(&Method::POST, "/api/auth/login"));
        assert!(!is_keyed(&Method::POST, "/api/ws-ticket"));
    }
}
