//! Handing a case over with a note, its history of responsibility, closing with a reason,
//! and what the admin sees of users (reactivation, last sign-in).

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::on_both_stores;

on_both_stores! {
    async fn a_handover_keeps_the_note_and_the_history_of_responsibility(app) {
        let world = app.world().await?;
        let (_, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina Test").await?;
        let reply = app.patch(&world.social_worker, &format!("/api/cases/{case}"),
            json!({"responsible_user_id": world.colleague.id, "handover_note": "Möte med FK bokat 3/12.\nRing Amina först."})).await?;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.body["responsible_user_id"], world.colleague.id.to_string());

        let history = app.get(&world.colleague, &format!("/api/cases/{case}/responsibility")).await?;
        assert_eq!(history.status, StatusCode::OK, "{}", history.body);
        let periods = history.body.as_array().unwrap();
        assert_eq!(periods.len(), 2, "{}", history.body);
        assert_eq!(periods[0]["user_id"], world.social_worker.id.to_string());
        assert!(periods[0]["note"].is_null());
        assert_eq!(periods[0]["to"], periods[1]["from"], "one period ends where the next begins");
        assert_eq!(periods[1]["user_id"], world.colleague.id.to_string());
        assert_eq!(periods[1]["note"], "Möte med FK bokat 3/12.\nRing Amina först.");
        assert_eq!(periods[1]["handed_over_by_user_id"], world.social_worker.id.to_string());
        assert!(periods[1]["to"].is_null(), "the present responsible's period is open");

        let rows = app.audit_rows().await?;
        let handover = rows.iter().find(|r| r.action == "case.handover").expect("the handover is audited");
        assert_eq!(handover.user_id.as_deref(), Some(world.social_worker.id.to_string().as_str()));
        assert_eq!(handover.case_id.as_deref(), Some(case.as_str()));
        assert!(rows.iter().any(|r| r.action == "case.responsibility" && r.user_id.as_deref() == Some(world.colleague.id.to_string().as_str())),
            "reading the history is audited");
        assert!(app.events().await?.iter().any(|e| e.kind == "case.handed_over" && e.subject_id.as_deref() == Some(case.as_str())));

        let told = app.notifications(&world.colleague).await?;
        let handed: Vec<_> = told.iter().filter(|n| n["kind"] == "case_handed_over").collect();
        assert_eq!(handed.len(), 1, "{told:?}");
        assert_eq!(handed[0]["case_id"], case.as_str());
        assert!(!app.notification_kinds(&world.social_worker).await?.contains(&"case_handed_over".to_owned()),
            "the one handing over is not told");

        // A partner under consent sees who has been responsible, not the internal notes.
        app.consent(&world.social_worker, &case, &[&world.clinic], &["informationsutbyte"]).await?;
        let partner = app.get(&world.coordinator, &format!("/api/cases/{case}/responsibility?purpose=informationsutbyte")).await?;
        assert_eq!(partner.status, StatusCode::OK, "{}", partner.body);
        assert_eq!(partner.body[1]["user_id"], world.colleague.id.to_string());
        assert!(partner.body[1]["note"].is_null(), "{}", partner.body);
        Ok(())
    }

    async fn a_handover_note_needs_a_new_responsible_and_others_cannot_read_the_history(app) {
        let world = app.world().await?;
        let (_, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina Test").await?;
        let same = app.patch(&world.social_worker, &format!("/api/cases/{case}"),
            json!({"responsible_user_id": world.social_worker.id, "handover_note": "Ingen ny"})).await?;
        assert_eq!(same.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", same.body);
        assert_eq!((same.body["errors"][0]["field"].as_str(), same.body["errors"][0]["code"].as_str()), (Some("handover_note"), Some("not_a_handover")));
        let history = app.get(&world.social_worker, &format!("/api/cases/{case}/responsibility")).await?;
        assert_eq!(history.body.as_array().unwrap().len(), 1, "nothing was handed over: {}", history.body);
        let stranger = app.get(&world.coordinator, &format!("/api/cases/{case}/responsibility")).await?;
        assert_eq!(stranger.status, StatusCode::NOT_FOUND);
        Ok(())
    }

    async fn closing_a_case_needs_a_reason_which_is_shown_and_cleared_on_reopening(app) {
        let world = app.world().await?;
        let (_, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina Test").await?;
        let path = format!("/api/cases/{case}");
        let bare = app.patch(&world.social_worker, &path, json!({"status": "closed"})).await?;
        assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!((bare.body["errors"][0]["field"].as_str(), bare.body["errors"][0]["code"].as_str()), (Some("close_reason"), Some("required")));
        let other = app.patch(&world.social_worker, &path, json!({"status": "closed", "close_reason": "other"})).await?;
        assert_eq!((other.body["errors"][0]["field"].as_str(), other.body["errors"][0]["code"].as_str()), (Some("close_text"), Some("required")));
        let stray = app.patch(&world.social_worker, &path, json!({"title": "X", "close_reason": "moved"})).await?;
        assert_eq!(stray.body["errors"][0]["code"], "not_closing");
        assert_eq!(app.get(&world.social_worker, &path).await?.body["status"], "open", "no refused change was stored");

        let closed = app.patch(&world.social_worker, &path,
            json!({"status": "closed", "close_reason": "other", "close_text": "Personen har fått plats på folkhögskola."})).await?;
        assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
        let read = app.get(&world.colleague, &path).await?;
        assert_eq!((read.body["status"].as_str(), read.body["close_reason"].as_str()), (Some("closed"), Some("other")));
        assert_eq!(read.body["close_text"], "Personen har fått plats på folkhögskola.");

        let reopened = app.patch(&world.social_worker, &path, json!({"status": "open"})).await?;
        assert_eq!(reopened.body["status"], "open");
        assert!(reopened.body["close_reason"].is_null() && reopened.body["close_text"].is_null(), "{}", reopened.body);
        Ok(())
    }

    async fn an_admin_sees_when_a_user_last_signed_in_and_can_reactivate_them(app) {
        let world = app.world().await?;
        let body = json!({"username": "ny.handlaggare", "display_name": "Ny Handläggare", "email": "ny@example.se",
                          "password": "ett-långt-lösenord", "roles": ["socialsekreterare"]});
        let created = app.post(&world.social_admin, "/api/users", body).await?;
        let path = format!("/api/users/{}", created.id());
        assert!(app.get(&world.social_admin, &path).await?.body["last_sign_in_at"].is_null(), "never signed in");

        let before = chrono::Utc::now();
        let login = json!({"username": "ny.handlaggare", "password": "ett-långt-lösenord"});
        assert_eq!(app.anonymous(Method::POST, "/api/auth/login", Some(login.clone())).await?.status, StatusCode::OK);
        let listed = app.get(&world.social_admin, "/api/users").await?;
        let row = listed.body.as_array().unwrap().iter().find(|u| u["id"] == created.body["id"]).unwrap().clone();
        let at: chrono::DateTime<chrono::Utc> = row["last_sign_in_at"].as_str().unwrap().parse()?;
        assert!(at >= before - chrono::Duration::seconds(1) && at <= chrono::Utc::now(), "{at}");

        let off = app.patch(&world.social_admin, &path, json!({"active": false})).await?;
        assert_eq!(off.body["active"], false);
        assert_eq!(app.anonymous(Method::POST, "/api/auth/login", Some(login.clone())).await?.status, StatusCode::UNAUTHORIZED);
        let on = app.patch(&world.social_admin, &path, json!({"active": true})).await?;
        assert_eq!(on.body["active"], true);
        assert_eq!(on.body["last_sign_in_at"], row["last_sign_in_at"], "a refused sign-in is no sign-in");
        assert_eq!(app.anonymous(Method::POST, "/api/auth/login", Some(login)).await?.status, StatusCode::OK, "reactivated");
        Ok(())
    }
}
