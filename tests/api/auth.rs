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
        assert_eq!(after.body["code"], "account_inactive");
        Ok(())
    }
}
