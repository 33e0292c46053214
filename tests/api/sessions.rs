//! Sessions that really end: an admin's password reset, deactivation and a role change end
//! every session of the user (and close their live streams); changing one's own password
//! needs the current one; a token not yet valid (`nbf`) is refused.

use std::time::Duration;

use base64::Engine as _;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::auth::with_token;
use crate::helpers::*;
use crate::on_both_stores;
use crate::stream::StreamClient;

const NEW_PASSWORD: &str = "ett-nytt-långt-lösenord";

async fn sign_in(app: &TestApp, username: &str, password: &str) -> anyhow::Result<Reply> {
    app.anonymous(
        Method::POST,
        "/api/auth/login",
        Some(json!({"username": username, "password": password})),
    )
    .await
}

async fn token_for(app: &TestApp, username: &str) -> anyhow::Result<String> {
    let reply = sign_in(app, username, PASSWORD).await?;
    anyhow::ensure!(reply.status == StatusCode::OK, "login: {}", reply.body);
    Ok(reply.body["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

/// The old token is refused everywhere, refresh included, as an ended session.
async fn assert_ended(app: &TestApp, token: &str) -> anyhow::Result<()> {
    let me = with_token(app, Method::GET, "/api/me", token).await?;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED, "{}", me.body);
    assert_eq!(me.body["code"], "session_ended", "{}", me.body);
    let refresh = with_token(app, Method::POST, "/api/auth/refresh", token).await?;
    assert_eq!(refresh.status, StatusCode::UNAUTHORIZED, "{}", refresh.body);
    Ok(())
}

async fn patch_user(
    app: &TestApp,
    admin: &TestUser,
    user: &TestUser,
    body: Value,
) -> anyhow::Result<()> {
    let reply = app
        .patch(admin, &format!("/api/users/{}", user.id), body)
        .await?;
    anyhow::ensure!(
        reply.status == StatusCode::OK,
        "patch: {} {}",
        reply.status,
        reply.body
    );
    Ok(())
}

/// The payload of a token, decoded (not verified).
fn claims(token: &str) -> anyhow::Result<Value> {
    let payload = token.split('.').nth(1).unwrap_or_default();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload)?;
    Ok(serde_json::from_slice(&bytes)?)
}

on_both_stores! {
    async fn an_admin_password_reset_ends_every_session_of_the_user(app) {
        let w = app.world().await?;
        let second = token_for(&app, "sw").await?;
        patch_user(&app, &w.social_admin, &w.social_worker, json!({"password": NEW_PASSWORD})).await?;
        assert_ended(&app, &w.social_worker.token).await?;
        assert_ended(&app, &second).await?;
        assert_eq!(sign_in(&app, "sw", PASSWORD).await?.status, StatusCode::UNAUTHORIZED);
        let fresh = sign_in(&app, "sw", NEW_PASSWORD).await?;
        assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.body);
        // Other users' sessions are untouched.
        assert_eq!(app.get(&w.colleague, "/api/me").await?.status, StatusCode::OK);
        Ok(())
    }

    async fn deactivation_ends_sessions_and_reactivation_does_not_revive_them(app) {
        let w = app.world().await?;
        patch_user(&app, &w.social_admin, &w.colleague, json!({"active": false})).await?;
        patch_user(&app, &w.social_admin, &w.colleague, json!({"active": true})).await?;
        assert_ended(&app, &w.colleague.token).await?;
        assert_eq!(sign_in(&app, "colleague", PASSWORD).await?.status, StatusCode::OK);
        Ok(())
    }

    async fn a_role_change_ends_the_users_sessions(app) {
        let w = app.world().await?;
        patch_user(&app, &w.social_admin, &w.colleague, json!({"roles": ["rehabansvarig"]})).await?;
        assert_ended(&app, &w.colleague.token).await?;
        // A change that leaves the roles as they were ends nothing.
        patch_user(&app, &w.social_admin, &w.social_worker, json!({"roles": ["socialsekreterare"], "display_name": "Sara"})).await?;
        assert_eq!(app.get(&w.social_worker, "/api/me").await?.status, StatusCode::OK);
        Ok(())
    }

    async fn changing_ones_own_password_needs_the_current_one(app) {
        let w = app.world().await?;
        let other_session = token_for(&app, "socadmin").await?;
        let own = format!("/api/users/{}", w.social_admin.id);
        let missing = app.patch(&w.social_admin, &own, json!({"password": NEW_PASSWORD})).await?;
        assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", missing.body);
        assert_eq!(missing.body["errors"][0]["field"], "current_password", "{}", missing.body);
        assert_eq!(missing.body["errors"][0]["code"], "required");
        let wrong = app.patch(&w.social_admin, &own, json!({"password": NEW_PASSWORD, "current_password": "fel-lösenord-999"})).await?;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong.body);
        assert_eq!(wrong.body["errors"][0]["field"], "current_password");
        assert_eq!(wrong.body["errors"][0]["code"], "wrong_password");
        assert_eq!(sign_in(&app, "socadmin", NEW_PASSWORD).await?.status, StatusCode::UNAUTHORIZED, "unchanged");
        let right = app.patch(&w.social_admin, &own, json!({"password": NEW_PASSWORD, "current_password": PASSWORD})).await?;
        assert_eq!(right.status, StatusCode::OK, "{}", right.body);
        assert_eq!(sign_in(&app, "socadmin", NEW_PASSWORD).await?.status, StatusCode::OK);
        // The session that changed it goes on; every other one has ended.
        assert_eq!(app.get(&w.social_admin, "/api/me").await?.status, StatusCode::OK);
        assert_ended(&app, &other_session).await?;

        // Any user, through their own page: the same rule.
        let mine = "/api/me/password";
        let missing = app.post(&w.social_worker, mine, json!({"new_password": NEW_PASSWORD})).await?;
        assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", missing.body);
        assert_eq!(missing.body["errors"][0]["field"], "current_password", "{}", missing.body);
        let wrong = app.post(&w.social_worker, mine, json!({"current_password": "fel-lösenord-999", "new_password": NEW_PASSWORD})).await?;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong.body);
        assert_eq!(wrong.body["errors"][0]["code"], "wrong_password");
        let right = app.post(&w.social_worker, mine, json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})).await?;
        assert_eq!(right.status, StatusCode::NO_CONTENT, "{}", right.body);
        assert_eq!(sign_in(&app, "sw", NEW_PASSWORD).await?.status, StatusCode::OK);
        Ok(())
    }

    async fn a_token_that_is_not_yet_valid_is_refused(app) {
        app.world().await?;
        let token = token_for(&app, "sw").await?;
        let mut claims = claims(&token)?;
        let now = chrono::Utc::now().timestamp();
        claims["nbf"] = json!(now + 3600);
        claims["iat"] = json!(now + 3600);
        let key = jsonwebtoken::EncodingKey::from_secret(app.settings.auth.jwt_secret.as_bytes());
        let future = jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256), &claims, &key)?;
        let reply = with_token(&app, Method::GET, "/api/me", &future).await?;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
        assert_eq!(reply.body["code"], "invalid_token");
        // The same claims valid from now are accepted: only nbf made the difference.
        claims["nbf"] = json!(now - 5);
        claims["iat"] = json!(now - 5);
        let valid = jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256), &claims, &key)?;
        assert_eq!(with_token(&app, Method::GET, "/api/me", &valid).await?.status, StatusCode::OK);
        Ok(())
    }

    async fn ending_sessions_closes_the_users_live_streams(app) {
        let w = app.world().await?;
        let mut reset = StreamClient::connect(&app, &w.social_worker, None).await?;
        let mut unrelated = StreamClient::connect(&app, &w.colleague, None).await?;
        patch_user(&app, &w.social_admin, &w.social_worker, json!({"password": NEW_PASSWORD})).await?;
        assert_eq!(reset.closed_within(Duration::from_secs(5)).await?, Some(4001));
        assert_eq!(unrelated.closed_within(Duration::from_millis(500)).await?, None, "another user's stream stays open");

        // Signing out closes the stream of that session.
        let mut signed_out = StreamClient::connect(&app, &w.colleague, None).await?;
        let logout = app.post_empty(&w.colleague, "/api/auth/logout").await?;
        assert_eq!(logout.status, StatusCode::NO_CONTENT);
        assert_eq!(signed_out.closed_within(Duration::from_secs(5)).await?, Some(4001));
        Ok(())
    }
}
