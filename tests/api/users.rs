use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::on_both_stores;

on_both_stores! {
    async fn an_admin_creates_a_user_who_can_then_log_in(app) {
        let world = app.world().await?;
        let body = json!({"username": "ny.handlaggare", "display_name": "Ny Handläggare", "email": "ny@example.se",
                          "password": "ett-långt-lösenord", "roles": ["socialsekreterare"]});
        let reply = app.post(&world.social_admin, "/api/users", body).await?;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        assert_eq!(reply.body["organisation_id"], world.social.id.to_string());
        let login = app.anonymous(Method::POST, "/api/auth/login",
            Some(json!({"username": "ny.handlaggare", "password": "ett-långt-lösenord"}))).await?;
        assert_eq!(login.status, StatusCode::OK);
        let listed = app.get(&world.social_worker, "/api/users").await?;
        let names: Vec<_> = listed.body.as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_owned()).collect();
        assert!(names.contains(&"ny.handlaggare".to_owned()), "{names:?}");
        assert!(!names.contains(&"rk".to_owned()), "only my organisation's users: {names:?}");
        Ok(())
    }

    async fn a_user_made_with_only_an_identity_has_no_password_to_sign_in_with(app) {
        let world = app.world().await?;
        // Neither a password nor an identity: the field error names the password.
        let neither = json!({"username": "utan.losen", "display_name": "Utan Lösen", "email": "utan@example.se",
                             "roles": ["socialsekreterare"], "oidc_identifier": "  "});
        let refused = app.post(&world.social_admin, "/api/users", neither).await?;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
        assert_eq!(refused.body["errors"][0]["field"], "password");
        assert_eq!(refused.body["errors"][0]["code"], "password_or_identity");
        let none: i64 = {
            use sqlx::Row as _;
            let mut tx = app.store.begin().await?;
            sqlx::query("SELECT COUNT(*) AS n FROM users WHERE username = 'utan.losen'").fetch_one(tx.conn()).await?.try_get("n")?
        };
        assert_eq!(none, 0, "nothing stored");
        // With an identity only: made, bound to it, and no password signs in.
        let body = json!({"username": "utan.losen", "display_name": "Utan Lösen", "email": "utan@example.se",
                          "roles": ["socialsekreterare"], "oidc_identifier": "70042"});
        let made = app.post(&world.social_admin, "/api/users", body).await?;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
        assert_eq!(made.body["oidc_identifier"], "70042");
        for guess in ["ett-långt-lösenord", "utan.losen", "0123456789abcdef"] {
            let login = app.anonymous(Method::POST, "/api/auth/login",
                Some(json!({"username": "utan.losen", "password": guess}))).await?;
            assert_eq!(login.status, StatusCode::UNAUTHORIZED, "{guess}: {}", login.body);
        }
        Ok(())
    }

    async fn an_admin_grants_the_statistik_role_which_reads_figures_and_no_cases(app) {
        let world = app.world().await?;
        let body = json!({"username": "analytiker", "display_name": "Ana Lytiker", "email": "ana@example.se",
                          "password": "ett-långt-lösenord", "roles": ["socialsekreterare"]});
        let created = app.post(&world.social_admin, "/api/users", body).await?;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let path = format!("/api/users/{}", created.id());
        let changed = app.patch(&world.social_admin, &path, json!({"roles": ["statistik"]})).await?;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
        assert_eq!(changed.body["roles"], json!(["statistik"]));
        let login = app.anonymous(Method::POST, "/api/auth/login",
            Some(json!({"username": "analytiker", "password": "ett-långt-lösenord"}))).await?;
        assert_eq!(login.status, StatusCode::OK, "{}", login.body);
        let token = login.body["access_token"].as_str().unwrap_or_default().to_owned();
        let analyst = crate::helpers::TestUser { id: created.id().parse()?, token };
        let figures = app.get(&analyst, "/api/statistics/inquiries?period=2026T3").await?;
        assert_eq!(figures.status, StatusCode::OK, "{}", figures.body);
        assert_eq!(figures.body["period"], "2026T3");
        let cases = app.get(&analyst, "/api/cases").await?;
        assert!(cases.status == StatusCode::FORBIDDEN || cases.body["items"] == json!([]),
            "a statistics reader sees no case: {} {}", cases.status, cases.body);
        let open = app.post(&analyst, "/api/individuals", json!({"personnummer": crate::helpers::pnr("19850312123"), "name": "X"})).await?;
        assert_eq!(open.status, StatusCode::FORBIDDEN, "{}", open.body);
        assert_eq!(open.body["code"], "role_not_allowed");
        Ok(())
    }

    async fn only_admins_create_users_and_names_are_unique(app) {
        let world = app.world().await?;
        let body = json!({"username": "x.user", "display_name": "X", "email": "x@example.se", "password": "ett-långt-lösenord", "roles": ["jobbcoach"]});
        let denied = app.post(&world.social_worker, "/api/users", body.clone()).await?;
        assert_eq!(denied.status, StatusCode::FORBIDDEN);
        assert_eq!(denied.body["code"], "admin_required");
        let taken = app.post(&world.social_admin, "/api/users", json!({"username": "colleague", "display_name": "X", "email": "x@example.se", "password": "ett-långt-lösenord", "roles": ["jobbcoach"]})).await?;
        assert_eq!(taken.status, StatusCode::CONFLICT);
        assert_eq!(taken.body["code"], "username_taken");
        Ok(())
    }

    async fn user_input_is_validated_field_by_field(app) {
        let world = app.world().await?;
        let body = json!({"username": "A B", "display_name": " ", "email": "inte-en-adress", "password": "kort", "roles": []});
        let reply = app.post(&world.social_admin, "/api/users", body).await?;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<_> = reply.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
        assert_eq!(fields, ["display_name", "email", "password", "roles", "username"]);
        Ok(())
    }

    async fn users_of_other_organisations_are_not_found(app) {
        let world = app.world().await?;
        let reply = app.get(&world.social_admin, &format!("/api/users/{}", world.coordinator.id)).await?;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        let patch = app.patch(&world.social_admin, &format!("/api/users/{}", world.coordinator.id), json!({"active": false})).await?;
        assert_eq!(patch.status, StatusCode::NOT_FOUND);
        // The answer tells nothing of the account, and the account is as it was: still active.
        assert!(reply.body.get("display_name").is_none() && patch.body.get("display_name").is_none());
        let me = app.get(&world.coordinator, "/api/me").await?;
        assert_eq!(me.status, StatusCode::OK, "{}", me.body);
        assert_eq!(me.body["active"], json!(true), "{}", me.body);
        Ok(())
    }

    async fn an_admin_cannot_remove_their_own_admin_role(app) {
        let world = app.world().await?;
        let reply = app.patch(&world.social_admin, &format!("/api/users/{}", world.social_admin.id), json!({"roles": ["socialsekreterare"]})).await?;
        assert_eq!(reply.status, StatusCode::CONFLICT);
        assert_eq!(reply.body["code"], "last_admin_lockout");
        Ok(())
    }
}
