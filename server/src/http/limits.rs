//! Request bodies within bounds: a body declared larger than `server.body_limit_bytes` is
//! refused with 413 before a byte of it is read, and a body must arrive whole within
//! `server.body_read_timeout_seconds` (else 408 and the connection is closed), so a client
//! that declares 100 MB and sends one byte holds nothing for long.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::error::AppError;

/// An answer after which the connection is closed: what is left of the body is not read.
fn closing(error: AppError) -> Response {
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Reads the whole body in time (it is small: JSON under the limit), then hands the
/// request on with it.
pub async fn bounded_body(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limit = state.settings.server.body_limit_bytes;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return closing(AppError::PayloadTooLarge);
    }
    let has_body = declared.is_some_and(|length| length > 0)
        || request.headers().contains_key(header::TRANSFER_ENCODING);
    if !has_body {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let deadline = Duration::from_secs(state.settings.server.body_read_timeout_seconds.max(1));
    match tokio::time::timeout(deadline, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Err(err)) => {
            let too_large = err
                .into_inner()
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            if too_large {
                closing(AppError::PayloadTooLarge)
            } else {
                closing(AppError::BadRequest {
                    code: "body_unreadable",
                    detail: "Innehållet kunde inte läsas.".into(),
                })
            }
        }
        Err(_) => closing(AppError::RequestTimeout),
    }
}

/// API answers carry personal data and tokens: never stored by a browser or proxy, never
/// sniffed into another type.
pub async fn no_store(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
