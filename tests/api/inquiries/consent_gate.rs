//! The consent gate: sending needs a consent covering the clinic, its end closes every route,
//! and organisations outside the exchange get 404 on every route.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{attempt, inquiry_in, ok, setup};
use crate::helpers::*;
use crate::on_both_stores;

on_both_stores! {
    async fn sending_needs_a_consent_covering_the_clinic_for_rehab_inquiries(app) {
        let world = app.world().await?;
        let w = &world;
        let beta = app.org_named("Vårdcentral Beta").await?;
        let (_, case) = app.case_for(&w.social_worker, &pnr("19850312123"), "Amina").await?;
        let id = app.inquiry_draft(&w.social_worker, &case, &w.clinic).await?;
        let send = format!("/api/inquiries/{id}/send");
        let assert_missing = |reply: Reply, why: &str| {
            assert_eq!(reply.status, StatusCode::CONFLICT, "{why}: {}", reply.body);
            assert_eq!(reply.body["code"], "consent_missing", "{why}");
            let detail = reply.body["detail"].as_str().unwrap().to_owned();
            assert!(detail.contains("Vårdcentral Alfa"), "names the clinic: {detail}");
            assert!(detail.contains("rehabiliteringsförfrågan"), "names the purpose: {detail}");
        };
        assert_missing(app.post_empty(&w.social_worker, &send).await?, "no consent");
        app.consent(&w.social_worker, &case, &[&w.clinic], &["informationsutbyte", "sip"]).await?;
        assert_missing(app.post_empty(&w.social_worker, &send).await?, "another purpose");
        app.consent(&w.social_worker, &case, &[&beta], &["rehabiliteringsforfragan"]).await?;
        assert_missing(app.post_empty(&w.social_worker, &send).await?, "another clinic");
        let ended = app.consent(&w.social_worker, &case, &[&w.clinic], &["rehabiliteringsforfragan"]).await?;
        ok(app.end_consent(&w.social_worker, &ended).await?);
        assert_missing(app.post_empty(&w.social_worker, &send).await?, "an ended consent");

        assert_eq!(app.get(&w.social_worker, &format!("/api/inquiries/{id}")).await?.body["state"], "draft");
        assert_eq!(app.get(&w.coordinator, "/api/inquiries").await?.body["items"], json!([]));
        assert!(app.events_about(&id).await?.is_empty());

        app.consent(&w.social_worker, &case, &[&w.clinic], &["rehabiliteringsforfragan"]).await?;
        let sent = ok(app.post_empty(&w.social_worker, &send).await?);
        assert_eq!(sent.body["state"], "sent");
        Ok(())
    }

    async fn when_the_consent_ends_the_clinic_loses_every_inquiry_route_and_its_inbox(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let id = inquiry_in(&app, &s, "assigned").await?;
        ok(app.post(&w.coordinator, &format!("/api/inquiries/{id}/thread"), json!({"body": "Vi återkommer"})).await?);
        assert_eq!(app.get(&w.coordinator, "/api/inquiries").await?.body["items"].as_array().unwrap().len(), 1);
        ok(app.end_consent(&w.social_worker, &s.consent).await?);

        for (method, suffix, body) in clinic_routes(w) {
            let before = app.audit_actions(&w.coordinator).await?.len();
            let reply = call(&app, &w.coordinator, method.clone(), &format!("/api/inquiries/{id}{suffix}"), body).await?;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {suffix}: {}", reply.body);
            assert_eq!(reply.body["code"], "not_found");
            let after = app.audit_actions(&w.coordinator).await?;
            assert_eq!(after.len(), before + 1);
            assert_eq!(after.last().unwrap().1, "denied", "{method} {suffix} audited as denied");
        }
        assert_eq!(app.get(&w.coordinator, "/api/inquiries").await?.body["items"], json!([]));
        let counts = app.get(&w.coordinator, "/api/inquiries/counts").await?.body;
        assert_eq!(counts["inbox"]["by_state"]["assigned"], 0);
        assert_eq!(counts["inbox"]["unread_thread_posts"], 0);
        // The sender keeps its own record.
        assert_eq!(app.get(&w.social_worker, &format!("/api/inquiries/{id}")).await?.body["state"], "assigned");
        Ok(())
    }

    async fn every_inquiry_route_is_404_for_organisations_outside_the_exchange(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let coach = app.user(&w.jobbtorg, "coach", &[samverkan::domain::Role::Jobbcoach]).await?;
        // Jobbtorg sees the case for the purpose, but is not a party to the inquiry.
        app.consent(&w.social_worker, &s.case, &[&w.jobbtorg], &["rehabiliteringsforfragan", "informationsutbyte"]).await?;
        let id = inquiry_in(&app, &s, "assigned").await?;
        for user in [&w.other_coordinator, &coach, &w.clinic_admin, &w.social_admin] {
            let mut routes = clinic_routes(w);
            routes.extend(["send", "edit", "delete", "withdraw", "close"].iter().map(|step| {
                let (_, method, suffix, body) = attempt(w, step);
                (method, suffix, body)
            }));
            for (method, suffix, body) in routes {
                let before = app.audit_actions(user).await?.len();
                let reply = call(&app, user, method.clone(), &format!("/api/inquiries/{id}{suffix}"), body).await?;
                assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {suffix}: {}", reply.body);
                assert_eq!(reply.body["code"], "not_found");
                let after = app.audit_actions(user).await?;
                assert_eq!((after.len(), after.last().unwrap().1.as_str()), (before + 1, "denied"), "{method} {suffix}");
            }
            for mailbox in ["inbox", "outbox"] {
                assert_eq!(app.get(user, &format!("/api/inquiries?box={mailbox}")).await?.body["items"], json!([]));
            }
        }
        let other = app.post(&w.other_coordinator, &format!("/api/cases/{}/inquiries", s.case), TestApp::inquiry_body(&w.clinic)).await?;
        assert_eq!(other.status, StatusCode::NOT_FOUND);
        let unknown = app.get(&w.social_worker, &format!("/api/inquiries/{}", uuid::Uuid::new_v4())).await?;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert_eq!(app.inquiry_snapshot(&id).await?.split(' ').next(), Some("state=assigned"));
        Ok(())
    }
}

/// Every route of one inquiry the clinic uses: (method, path suffix, body).
pub fn clinic_routes(w: &World) -> Vec<(Method, &'static str, Option<Value>)> {
    let mut routes = vec![
        (Method::GET, "", None),
        (Method::GET, "/thread", None),
        (Method::POST, "/thread", Some(json!({"body": "Fråga"}))),
    ];
    routes.extend(["assign", "answer", "decline"].iter().map(|step| {
        let (_, method, suffix, body) = attempt(w, step);
        (method, suffix, body)
    }));
    routes
}
