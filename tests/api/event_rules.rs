//! Events as the one record of what happened: every event a workflow writes is of a known
//! kind, is audited under an action its kind names, and the notifications its rule writes
//! are committed with it, in its transaction.

use serde_json::json;

use samverkan::domain::EventKind;

use crate::helpers::*;
use crate::inquiries::{answer_body, ok, setup};
use crate::on_both_stores;

/// (seq, kind, at) of every event, oldest first.
async fn events_with_time(app: &TestApp) -> anyhow::Result<Vec<(i64, String, i64)>> {
    use sqlx::Row as _;
    let mut tx = app.store.begin().await?;
    let rows = sqlx::query("SELECT seq, kind, at FROM events ORDER BY seq")
        .fetch_all(tx.conn())
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("seq")?, r.try_get("kind")?, r.try_get("at")?)))
        .collect()
}

on_both_stores! {
    async fn every_event_a_workflow_writes_is_audited_under_an_action_its_kind_names(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let case = s.case.as_str();
        ok(app.post(&w.social_worker, &format!("/api/cases/{case}/messages"), json!({"body": "Hej"})).await?);
        let id = app.sent_inquiry(&w.social_worker, &s.case, &w.clinic).await?;
        let path = |p: &str| format!("/api/inquiries/{id}{p}");
        ok(app.get(&w.coordinator, &path("")).await?);
        ok(app.post(&w.coordinator, &path("/assign"), json!({"assignee_user_id": w.coordinator.id})).await?);
        ok(app.post(&w.coordinator, &path("/answer"), answer_body()).await?);
        ok(app.post_empty(&w.social_worker, &path("/close")).await?);
        app.consent(&w.social_worker, case, &[&w.clinic], &["sip"]).await?;
        let meeting = app.meeting(&w.social_worker, Some(case), "sip_mote", &[&w.coordinator]).await?;
        ok(app.post(&w.coordinator, &format!("/api/meetings/{meeting}/answer"), json!({"answer": "accepted"})).await?);
        ok(app.post_empty(&w.social_worker, &format!("/api/meetings/{meeting}/cancel")).await?);
        ok(app.patch(&w.social_worker, &format!("/api/cases/{case}"), json!({"responsible_user_id": w.colleague.id})).await?);
        ok(app.end_consent(&w.colleague, &s.consent).await?);

        let events = app.events().await?;
        let audit = app.audit_rows().await?;
        let mut seen = std::collections::BTreeSet::new();
        for event in &events {
            let kind = EventKind::from_code(&event.kind)
                .unwrap_or_else(|| panic!("event {} of an unknown kind {}", event.seq, event.kind));
            seen.insert(kind);
            let actions = kind.audit_actions();
            if actions.is_empty() {
                continue;
            }
            let audited = audit.iter().any(|row| {
                actions.iter().any(|a| a.code() == row.action)
                    && (event.case_id.is_none()
                        || row.case_id == event.case_id
                        || row.individual_id == event.individual_id)
            });
            assert!(audited, "{} (seq {}) has no audit row of {actions:?}", event.kind, event.seq);
        }
        for kind in [
            EventKind::MessageCreated,
            EventKind::InquirySent,
            EventKind::InquiryReceived,
            EventKind::InquiryAssigned,
            EventKind::InquiryAnswered,
            EventKind::InquiryClosed,
            EventKind::MeetingInvited,
            EventKind::MeetingAnswered,
            EventKind::MeetingCancelled,
            EventKind::CaseHandedOver,
            EventKind::ConsentEnded,
            EventKind::NotificationCreated,
        ] {
            assert!(seen.contains(&kind), "the scenario wrote no {kind}");
        }
        Ok(())
    }

    async fn a_changes_notifications_are_committed_with_its_event_by_its_rule(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let before = events_with_time(&app).await?.len();
        let id = app.sent_inquiry(&w.social_worker, &s.case, &w.clinic).await?;
        let events = events_with_time(&app).await?;
        let sent: Vec<_> = events[before..].iter().skip_while(|e| e.1 != "inquiry.sent").collect();
        assert_eq!(sent.first().map(|e| e.1.as_str()), Some("inquiry.sent"), "{events:?}");
        // One commit numbers its events in a row and stamps them with one time: the rule
        // for `inquiry.sent` told the clinic's coordinators in the sending transaction.
        let told: Vec<_> = sent[1..].iter().take_while(|e| e.1 == "notification.created").collect();
        assert_eq!(told.len(), 1, "the clinic's coordinator: {events:?}");
        for (i, event) in told.iter().enumerate() {
            assert_eq!(event.0, sent[0].0 + 1 + i as i64);
            assert_eq!(event.2, sent[0].2, "same transaction");
        }
        assert_eq!(app.notification_kinds(&w.coordinator).await?, ["inquiry_received"]);
        // Opening it (`inquiry.received`) tells nobody, on purpose.
        ok(app.get(&w.coordinator, &format!("/api/inquiries/{id}")).await?);
        let after = events_with_time(&app).await?;
        assert_eq!(after.last().map(|e| e.1.as_str()), Some("inquiry.received"));
        assert_eq!(app.notification_kinds(&w.coordinator).await?, ["inquiry_received"]);
        Ok(())
    }

    async fn the_audit_search_takes_only_actions_that_exist(app) {
        let world = app.world().await?;
        let admin = &world.social_admin;
        let typo = app.get(admin, "/api/audit?action=case.reed").await?;
        assert_eq!(typo.status, reqwest::StatusCode::UNPROCESSABLE_ENTITY, "{}", typo.body);
        assert_eq!(typo.content_type, "application/problem+json");
        assert_eq!(typo.body["errors"][0]["field"], "action");
        assert_eq!(typo.body["errors"][0]["code"], "invalid_query");
        app.case_for(&world.social_worker, &pnr("19850312123"), "Amina").await?;
        let found = ok(app.get(admin, "/api/audit?action=case.create").await?);
        let actions: Vec<&str> = found.body.as_array().map_or(Vec::new(), |rows| {
            rows.iter().filter_map(|r| r["action"].as_str()).collect()
        });
        assert_eq!(actions, ["case.create"]);
        Ok(())
    }
}
