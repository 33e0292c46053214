use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::on_both_stores;

on_both_stores! {
    async fn login_returns_a_token_that_opens_the_api(app) {
        let world = app.world().await?;
        let reply = app.anonymous(Method::POST, "/api/auth/login", Some(json!({"username": "sw", "password": PASSWORD}))).await?;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.body["token_type"], "Bearer");
        assert_eq!(reply.body["user"]["id"], world.social_worker.id.to_string());
        assert_eq!(reply.body["user"]["roles"], json!(["socialsekreterare"]));
        let token = reply.body["access_token"].as_str().unwrap().to_owned();
        let me = app.raw(app.client.get(app.url("/api/me")).bearer_auth(&token)).await?;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.body["username"], "sw");
        assert_eq!(me.body["organisation_name"], "Socialtjänsten Test");
        Ok(())
    }

    async fn wrong_password_and_unknown_user_get_the_same_401(app) {
        app.world().await?;
        let wrong = app.anonymous(Method::POST, "/api/auth/login", Some(json!({"username": "sw", "password": "fel-lösenord-999"}))).await?;
        let unknown = app.anonymous(Method::POST, "/api/auth/login", Some(json!({"username": "nobody", "password": PASSWORD}))).await?;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert_eq!(wrong.content_type, "application/problem+json");
        assert_eq!(wrong.body["code"], "invalid_credentials");
        assert_eq!(wrong.body, unknown.body);
        Ok(())
    }

    async fn repeated_failures_are_rate_limited_even_for_the_right_password(app) {
        app.world().await?;
        for _ in 0..5 {
            let reply = app.anonymous(Method::POST, "/api/auth/login", Some(json!({"username": "rk", "password": "fel-lösenord-999"}))).await?;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        }
        let locked = app.anonymous(Method::POST, "/api/auth/login", Some(json!({"username": "rk", "password": PASSWORD}))).await?;
        assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "{}", locked.body);
        assert_eq!(locked.body["code"], "too_many_requests");
        let other = app.anonymous(Method::POST, "/api/auth/login", Some(json!({"username": "sw", "password": PASSWORD}))).await?;
        assert_eq!(other.status, StatusCode::OK, "another user is not locked out");
        Ok(())
    }

    async fn api_routes_require_a_valid_token(app) {
        let world = app.world().await?;
        let none = app.anonymous(Method::GET, "/api/cases", None).await?;
        assert_eq!(none.status, StatusCode::UNAUTHORIZED);
        assert_eq!(none.body["code"], "missing_token");
        let forged = app.raw(app.client.get(app.url("/api/cases")).bearer_auth(format!("{}x", world.social_worker.token))).await?;
        assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
        assert_eq!(forged.body["code"], "invalid_token");
        Ok(())
    }

    async fn a_deactivated_account_is_locked_out_at_once(app) {
        let world = app.world().await?;
        let reply = app.patch(&world.social_admin, &format!("/api/users/{}", world.colleague.id), json!({"active": false})).await?;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.body["active"], false);
        let after = app.get(&world.colleague, "/api/cases").await?;
        assert_eq!(after.status, StatusCode::UNAUTHORIZED);
        // Deactivation ends the user's sessions.
        assert_eq!(after.body["code"], "session_ended");
        Ok(())
    }
}

async fn sign_in(app: &TestApp, username: &str) -> anyhow::Result<(String, serde_json::Value)> {
    let reply = app
        .anonymous(
            Method::POST,
            "/api/auth/login",
            Some(json!({"username": username, "password": PASSWORD})),
        )
        .await?;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    Ok((
        reply.body["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        reply.body,
    ))
}

pub async fn with_token(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
) -> anyhow::Result<Reply> {
    app.raw(app.client.request(method, app.url(path)).bearer_auth(token))
        .await
}

/// Moves the user's sessions back in time: `idle` seconds since last use, started `age` seconds earlier.
async fn age_sessions(app: &TestApp, user: &TestUser, idle: i64, age: i64) -> anyhow::Result<()> {
    sqlx::query("UPDATE sessions SET last_active_at = last_active_at - $1, started_at = started_at - $2, expires_at = expires_at - $3 WHERE user_id = $4")
        .bind(idle * 1_000_000)
        .bind(age * 1_000_000)
        .bind(age * 1_000_000)
        .bind(user.id.to_string())
        .execute(app.store.pool())
        .await?;
    Ok(())
}

async fn last_active(app: &TestApp, user: &TestUser) -> anyhow::Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT last_active_at FROM sessions WHERE user_id = $1 ORDER BY started_at",
    )
    .bind(user.id.to_string())
    .fetch_all(app.store.pool())
    .await?;
    Ok(rows.into_iter().map(|(at,)| at).collect())
}

on_both_stores! {
    async fn login_starts_a_session_with_its_limits_stated(app) {
        let world = app.world().await?;
        let (_, body) = sign_in(&app, "sw").await?;
        assert_eq!(body["session"]["idle_minutes"], 15);
        let started = chrono::DateTime::parse_from_rfc3339(body["session"]["started_at"].as_str().unwrap_or_default())?;
        let ends = chrono::DateTime::parse_from_rfc3339(body["session"]["expires_at"].as_str().unwrap_or_default())?;
        assert_eq!((ends - started).num_seconds(), 12 * 3600);
        let token_expires = chrono::DateTime::parse_from_rfc3339(body["expires_at"].as_str().unwrap_or_default())?;
        assert!((899..=900).contains(&(token_expires - started).num_seconds()), "a token lives 15 minutes");
        let rows: Vec<(String, Option<i64>)> = sqlx::query_as("SELECT user_id, ended_at FROM sessions WHERE user_id = $1")
            .bind(world.social_worker.id.to_string()).fetch_all(app.store.pool()).await?;
        assert_eq!(rows.len(), 2, "the fixture's session and the new one");
        assert!(rows.iter().all(|(_, ended)| ended.is_none()));
        Ok(())
    }

    async fn logout_ends_the_session_and_every_token_of_it(app) {
        let world = app.world().await?;
        let (token, _) = sign_in(&app, "sw").await?;
        let refreshed = with_token(&app, Method::POST, "/api/auth/refresh", &token).await?;
        assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
        let second = refreshed.body["access_token"].as_str().unwrap_or_default().to_owned();
        assert_ne!(second, token);
        let out = with_token(&app, Method::POST, "/api/auth/logout", &second).await?;
        assert_eq!(out.status, StatusCode::NO_CONTENT);
        for t in [&token, &second] {
            let after = with_token(&app, Method::GET, "/api/me", t).await?;
            assert_eq!(after.status, StatusCode::UNAUTHORIZED);
            assert_eq!(after.body["code"], "session_ended");
        }
        let again = with_token(&app, Method::POST, "/api/auth/refresh", &token).await?;
        assert_eq!(again.body["code"], "session_ended");
        // Other sessions of the same user (another browser) go on.
        assert_eq!(app.get(&world.social_worker, "/api/me").await?.status, StatusCode::OK);
        Ok(())
    }

    async fn a_session_idle_for_fifteen_minutes_is_over(app) {
        let world = app.world().await?;
        age_sessions(&app, &world.social_worker, 14 * 60, 14 * 60).await?;
        let before = last_active(&app, &world.social_worker).await?;
        assert_eq!(app.get(&world.social_worker, "/api/me").await?.status, StatusCode::OK);
        let after = last_active(&app, &world.social_worker).await?;
        assert!(after[0] > before[0] + 13 * 60 * 1_000_000, "a request the user makes counts as activity");
        age_sessions(&app, &world.social_worker, 15 * 60, 15 * 60).await?;
        let idle = app.get(&world.social_worker, "/api/me").await?;
        assert_eq!(idle.status, StatusCode::UNAUTHORIZED);
        assert_eq!(idle.body["code"], "session_idle");
        assert_eq!(idle.content_type, "application/problem+json");
        let refresh = app.post(&world.social_worker, "/api/auth/refresh", json!({})).await?;
        assert_eq!(refresh.body["code"], "session_idle", "an idle session cannot be refreshed back to life");
        Ok(())
    }

    async fn background_requests_do_not_keep_a_session_alive(app) {
        let world = app.world().await?;
        age_sessions(&app, &world.social_worker, 10 * 60, 10 * 60).await?;
        let before = last_active(&app, &world.social_worker).await?;
        let reply = app.raw(app.client.get(app.url("/api/me")).bearer_auth(&world.social_worker.token)
            .header("x-samverkan-background", "1")).await?;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(last_active(&app, &world.social_worker).await?, before);
        Ok(())
    }

    async fn a_session_ends_after_twelve_hours_however_active(app) {
        let world = app.world().await?;
        let (token, _) = sign_in(&app, "rk").await?;
        age_sessions(&app, &world.coordinator, 0, 11 * 3600 + 59 * 60).await?;
        let refreshed = with_token(&app, Method::POST, "/api/auth/refresh", &token).await?;
        assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
        let token_expires = chrono::DateTime::parse_from_rfc3339(refreshed.body["expires_at"].as_str().unwrap_or_default())?;
        let session_ends = chrono::DateTime::parse_from_rfc3339(refreshed.body["session"]["expires_at"].as_str().unwrap_or_default())?;
        assert!(token_expires <= session_ends, "a refreshed token never outlives its session");
        assert!((session_ends.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes() <= 1);
        age_sessions(&app, &world.coordinator, 0, 60).await?;
        let over = with_token(&app, Method::GET, "/api/cases", &token).await?;
        assert_eq!(over.status, StatusCode::UNAUTHORIZED);
        assert_eq!(over.body["code"], "session_expired");
        Ok(())
    }
}

on_both_stores! {
    async fn sessions_long_past_their_end_are_swept_at_the_next_login(app) {
        let world = app.world().await?;
        age_sessions(&app, &world.social_worker, 0, 60 * 3600).await?;
        sign_in(&app, "rk").await?;
        let left: Vec<(String,)> = sqlx::query_as("SELECT id FROM sessions WHERE user_id = $1")
            .bind(world.social_worker.id.to_string()).fetch_all(app.store.pool()).await?;
        assert!(left.is_empty(), "the stale session is gone");
        let expired = app.get(&world.social_worker, "/api/me").await?;
        assert_eq!(expired.body["code"], "invalid_token");
        Ok(())
    }
}
