//! Secure case messages between the organisations that may see the case for
//! `informationsutbyte`, with read receipts.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_stores;

async fn case_with_exchange(app: &TestApp) -> anyhow::Result<(World, String, String, String)> {
    let world = app.world().await?;
    let (individual, case) = app
        .case_for(&world.social_worker, &pnr("19850312123"), "Amina")
        .await?;
    let consent = app
        .consent(
            &world.social_worker,
            &case,
            &[&world.clinic],
            &["informationsutbyte"],
        )
        .await?;
    Ok((world, individual, case, consent))
}

/// Every message route: (method, path, body).
fn routes(case: &str, message: &str) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, format!("/api/cases/{case}/messages"), None),
        (
            Method::POST,
            format!("/api/cases/{case}/messages"),
            Some(json!({"body": "Hej"})),
        ),
        (Method::POST, format!("/api/messages/{message}/read"), None),
    ]
}

async fn assert_all_not_found(
    app: &TestApp,
    user: &TestUser,
    case: &str,
    message: &str,
) -> anyhow::Result<()> {
    for (method, path, body) in routes(case, message) {
        let before = app.audit_actions(user).await?.len();
        let reply = call(app, user, method.clone(), &path, body).await?;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            reply.body
        );
        assert_eq!(reply.body["code"], "not_found");
        let after = app.audit_actions(user).await?;
        assert_eq!(after.len(), before + 1, "{method} {path} audited");
        assert_eq!(after.last().map(|a| a.1.as_str()), Some("denied"));
    }
    Ok(())
}

on_both_stores! {
    async fn the_organisations_of_a_case_exchange_messages_with_read_receipts(app) {
        let (w, individual, case, consent) = case_with_exchange(&app).await?;
        let path = format!("/api/cases/{case}/messages");
        let sent = app.post(&w.social_worker, &path, json!({"body": "  Amina börjar arbetsträning på måndag.  "})).await?;
        assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.body);
        assert_eq!(sent.body["body"], "Amina börjar arbetsträning på måndag.");
        assert_eq!(sent.body["case_id"], case);
        assert_eq!(sent.body["author_user_id"], w.social_worker.id.to_string());
        assert_eq!(sent.body["author_organisation_name"], "Socialtjänsten Test");
        assert_eq!(sent.body["read_by"], json!([]));
        let message = sent.id();

        let listed = app.get(&w.coordinator, &path).await?;
        assert_eq!(listed.status, StatusCode::OK);
        assert_eq!(listed.body["items"][0]["id"], message);
        // The write answers with the message as stored, names and time included.
        assert!(sent.body["author_name"].as_str().is_some_and(|name| !name.is_empty()));
        assert_eq!(sent.body, listed.body["items"][0]);
        let reply = app.post(&w.coordinator, &path, json!({"body": "Tack, vi noterar."})).await?;
        assert_eq!(reply.status, StatusCode::CREATED);
        assert_eq!(reply.body["author_organisation_id"], w.clinic.id.to_string());

        let read = app.post_empty(&w.coordinator, &format!("/api/messages/{message}/read")).await?;
        assert_eq!(read.status, StatusCode::OK, "{}", read.body);
        let receipts = read.body["read_by"].as_array().unwrap();
        assert_eq!(receipts.len(), 1);
        assert_eq!(receipts[0]["user_id"], w.coordinator.id.to_string());
        assert_eq!(receipts[0]["user_name"], "Test rk");
        assert_eq!(receipts[0]["organisation_id"], w.clinic.id.to_string());
        assert_eq!(receipts[0]["organisation_name"], "Vårdcentral Alfa");
        let at = chrono::DateTime::parse_from_rfc3339(receipts[0]["read_at"].as_str().unwrap())?;
        assert!((chrono::Utc::now() - at.with_timezone(&chrono::Utc)).num_seconds() < 60);
        let again = app.post_empty(&w.coordinator, &format!("/api/messages/{message}/read")).await?;
        assert_eq!(again.body["read_by"], read.body["read_by"], "read once, receipt unchanged");
        let own = app.post_empty(&w.social_worker, &format!("/api/messages/{message}/read")).await?;
        assert_eq!(own.body["read_by"].as_array().unwrap().len(), 1, "the author's own reading is no receipt");
        ok_list_shows_receipt(&app, &w.colleague, &path, &message).await?;

        let events = app.events().await?;
        let kinds: Vec<_> = events.iter().filter(|e| e.kind.starts_with("message.")).map(|e| (e.kind.as_str(), e.subject_id.clone().unwrap())).collect();
        assert_eq!(kinds, [("message.created", message.clone()), ("message.created", reply.id()), ("message.read", message.clone())]);
        for e in events.iter().filter(|e| e.kind.starts_with("message.")) {
            assert_eq!(e.audience, "case");
            assert_eq!(e.purpose.as_deref(), Some("informationsutbyte"));
            assert_eq!(e.case_id.as_deref(), Some(case.as_str()));
            assert_eq!(e.individual_id.as_deref(), Some(individual.as_str()));
            assert!(!format!("{e:?}").contains("arbetsträning"), "no content in events");
        }
        let rows = app.audit_rows().await?;
        let clinic = w.clinic.id.to_string();
        for action in ["message.create", "message.list", "message.read"] {
            let row = rows.iter().find(|r| r.action == action && r.organisation_id.as_deref() == Some(clinic.as_str())).unwrap();
            assert_eq!(row.consent_id.as_deref(), Some(consent.as_str()), "{action} under the consent");
            assert_eq!(row.purpose.as_deref(), Some("informationsutbyte"));
            assert_eq!(row.outcome, "allowed");
        }
        Ok(())
    }

    async fn messages_need_a_consent_for_information_exchange_and_stop_when_it_ends(app) {
        let world = app.world().await?;
        let w = &world;
        let (_, case) = app.case_for(&w.social_worker, &pnr("19850312123"), "Amina").await?;
        let rehab_only = app.consent(&w.social_worker, &case, &[&w.clinic], &["rehabiliteringsforfragan"]).await?;
        let message = app.post(&w.social_worker, &format!("/api/cases/{case}/messages"), json!({"body": "Hej"})).await?.id();
        assert_all_not_found(&app, &w.coordinator, &case, &message).await?;
        ok_end(&app, &w.social_worker, &rehab_only).await?;

        let exchange = app.consent(&w.social_worker, &case, &[&w.clinic], &["informationsutbyte"]).await?;
        assert_eq!(app.get(&w.coordinator, &format!("/api/cases/{case}/messages")).await?.status, StatusCode::OK);
        ok_end(&app, &w.social_worker, &exchange).await?;
        assert_all_not_found(&app, &w.coordinator, &case, &message).await?;
        for outsider in [&w.other_coordinator, &w.clinic_admin, &w.social_admin] {
            assert_all_not_found(&app, outsider, &case, &message).await?;
        }
        let unknown = app.post_empty(&w.social_worker, &format!("/api/messages/{}/read", uuid::Uuid::new_v4())).await?;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        let mut tx = app.store.begin().await?;
        let n: i64 = sqlx::Row::try_get(&sqlx::query("SELECT COUNT(*) AS n FROM message_reads").fetch_one(tx.conn()).await?, "n")?;
        assert_eq!(n, 0, "no receipt from a refused read");
        Ok(())
    }

    async fn message_input_is_checked(app) {
        let (w, _, case, _) = case_with_exchange(&app).await?;
        let path = format!("/api/cases/{case}/messages");
        for (body, field, code) in [
            (json!({"body": "   "}), "body", "required"),
            (json!({"body": "x".repeat(10_001)}), "body", "length"),
            (json!({"body": "Hej", "to": "alla"}), "to", "unknown_field"),
            (json!({}), "body", "required"),
        ] {
            let reply = app.post(&w.social_worker, &path, body.clone()).await?;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(reply.body["errors"][0]["field"], field, "{body}");
            assert_eq!(reply.body["errors"][0]["code"], code, "{body}");
        }
        assert_eq!(app.get(&w.social_worker, &path).await?.body["items"], json!([]));
        Ok(())
    }
}

async fn ok_end(app: &TestApp, user: &TestUser, consent: &str) -> anyhow::Result<()> {
    let reply = app.end_consent(user, consent).await?;
    anyhow::ensure!(reply.status == StatusCode::OK, "end: {}", reply.body);
    Ok(())
}

/// A colleague of the author sees the receipt in the list.
async fn ok_list_shows_receipt(
    app: &TestApp,
    user: &TestUser,
    path: &str,
    message: &str,
) -> anyhow::Result<()> {
    let list = app.get(user, path).await?;
    let item = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == message)
        .cloned()
        .unwrap();
    assert_eq!(item["read_by"][0]["organisation_name"], "Vårdcentral Alfa");
    Ok(())
}
