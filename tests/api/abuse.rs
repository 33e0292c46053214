//! Hard to abuse: API responses are never cached or sniffed, slow clients are dropped,
//! a declared body over the limit is refused at once, and failed logins from one address
//! do not lock the user out everywhere else.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;
use crate::on_both_stores;

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// An app whose slow-client limits are short, so the tests are.
async fn impatient_app() -> anyhow::Result<TestApp> {
    spawn_app_with(Backend::Sqlite, |s| {
        s.server.header_read_timeout_seconds = 1;
        s.server.body_read_timeout_seconds = 1;
    })
    .await?
    .ok_or_else(|| anyhow::anyhow!("sqlite always runs"))
}

/// Writes `request` on a fresh connection and reads until the server closes it or `wait`
/// passes: (what came back, whether the connection was closed, how long it took).
async fn raw_exchange(
    app: &TestApp,
    request: &[u8],
    wait: Duration,
) -> anyhow::Result<(String, bool, Duration)> {
    let mut socket = TcpStream::connect(app.addr).await?;
    socket.write_all(request).await?;
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let closed = loop {
        match tokio::time::timeout(
            wait.saturating_sub(started.elapsed()),
            socket.read(&mut buffer),
        )
        .await
        {
            Err(_) => break false,
            Ok(Ok(0)) | Ok(Err(_)) => break true,
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
        }
    };
    Ok((
        String::from_utf8_lossy(&received).into_owned(),
        closed,
        started.elapsed(),
    ))
}

#[tokio::test]
async fn a_request_whose_headers_never_finish_is_dropped_within_seconds() -> anyhow::Result<()> {
    let app = impatient_app().await?;
    let (_, closed, took) = raw_exchange(
        &app,
        b"GET /api/me HTTP/1.1\r\nHost: hub\r\nX-Slow: ",
        Duration::from_secs(8),
    )
    .await?;
    assert!(closed, "the connection is still open after {took:?}");
    assert!(took < Duration::from_secs(4), "dropped only after {took:?}");
    Ok(())
}

#[tokio::test]
async fn a_body_that_never_arrives_is_dropped_within_seconds() -> anyhow::Result<()> {
    let app = impatient_app().await?;
    let request = b"POST /api/auth/login HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{";
    let (reply, closed, took) = raw_exchange(&app, request, Duration::from_secs(8)).await?;
    assert!(
        closed,
        "the connection is still open after {took:?}: {reply}"
    );
    assert!(took < Duration::from_secs(4), "dropped only after {took:?}");
    assert!(
        reply.is_empty() || reply.starts_with("HTTP/1.1 408"),
        "{reply}"
    );
    Ok(())
}

#[tokio::test]
async fn a_declared_body_over_the_limit_is_refused_at_once_with_413() -> anyhow::Result<()> {
    let app = impatient_app().await?;
    for (method, path) in [
        ("POST", "/api/auth/login"),
        ("POST", "/api/cases"),
        ("GET", "/api/me"),
    ] {
        let request = format!("{method} {path} HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{{");
        let (reply, _, took) =
            raw_exchange(&app, request.as_bytes(), Duration::from_millis(800)).await?;
        assert!(
            reply.starts_with("HTTP/1.1 413"),
            "{method} {path}: {reply}"
        );
        assert!(
            reply.contains("application/problem+json") && reply.contains("payload_too_large"),
            "{reply}"
        );
        assert!(took < Duration::from_millis(800), "{took:?}");
    }
    Ok(())
}

on_both_stores! {
    async fn api_responses_are_neither_cached_nor_sniffed_and_pages_keep_their_headers(app) {
        let w = app.world().await?;
        let login = app.client.post(app.url("/api/auth/login")).json(&json!({"username": "sw", "password": PASSWORD})).send().await?;
        let me = app.client.get(app.url("/api/me")).bearer_auth(&w.social_worker.token).send().await?;
        let refused = app.client.get(app.url("/api/cases")).send().await?;
        let missing = app.client.get(app.url("/api/no-such-thing")).bearer_auth(&w.social_worker.token).send().await?;
        let openapi = app.client.get(app.url("/api/openapi.json")).send().await?;
        let health = app.client.get(app.url("/healthz")).send().await?;
        for (name, response) in [("login", &login), ("me", &me), ("401", &refused), ("404", &missing), ("openapi", &openapi), ("healthz", &health)] {
            assert_eq!(header(response, "cache-control"), "no-store", "{name}");
            assert_eq!(header(response, "x-content-type-options"), "nosniff", "{name}");
        }
        assert_eq!(login.status(), StatusCode::OK);
        let page = app.client.get(app.url("/")).send().await?;
        assert_eq!(page.status(), StatusCode::OK);
        assert!(header(&page, "content-security-policy").contains("default-src 'self'"));
        assert_eq!(header(&page, "x-content-type-options"), "nosniff");
        assert_eq!(header(&page, "referrer-policy"), "no-referrer");
        Ok(())
    }

    async fn failures_from_one_address_do_not_lock_the_user_out_from_another(app) {
        app.world().await?;
        let attacker = reqwest::Client::builder().local_address("127.0.0.2".parse::<IpAddr>()?).build()?;
        let login = |client: &reqwest::Client, password: &str| {
            client.post(app.url("/api/auth/login")).json(&json!({"username": "rk", "password": password})).send()
        };
        for _ in 0..5 {
            assert_eq!(login(&attacker, "fel-lösenord-999").await?.status(), StatusCode::UNAUTHORIZED);
        }
        // The attacker's address is locked out for this user, even with the right password...
        assert_eq!(login(&attacker, PASSWORD).await?.status(), StatusCode::TOO_MANY_REQUESTS);
        // ...but the user, from their own address, signs in.
        let own = login(&app.client, PASSWORD).await?;
        assert_eq!(own.status(), StatusCode::OK);
        let anonymous = app.anonymous(Method::GET, "/api/me", None).await?;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        Ok(())
    }
}
