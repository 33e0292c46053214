//! The follow-up rules run by the scheduler: an idle case escalates once to the biträdande
//! enhetschef (across rounds and restarts, time moved by the rounds' clock), who sees it in
//! the escalation list until someone acts or takes it over with a note; a case manager
//! assignment reminds before its end. Content-free e-mail to each told.

use chrono::Duration;
use reqwest::StatusCode;
use samverkan::domain::Role;
use serde_json::json;
use sqlx::Row as _;

use super::caseload::brought;
use super::today;
use crate::helpers::*;
use crate::on_both_stores;

fn count(kinds: &[String], kind: &str) -> usize {
    kinds.iter().filter(|k| *k == kind).count()
}

fn escalation_ids(reply: &Reply) -> Vec<String> {
    reply.body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|i| i["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

on_both_stores! {
    async fn an_idle_case_escalates_once_and_stands_until_someone_acts(app) {
        let w = app.world().await?;
        let chief = app.user(&w.social, "bitr", &[Role::BitradandeEnhetschef]).await?;
        let (_, case) = app.case_for(&w.social_worker, &pnr("19850312123"), "Amina").await?;
        brought(&app, &w.social_worker, &w.rehab_lead, &case, Some("fordjupad_samverkan")).await?;
        assert_eq!(count(&app.notification_kinds(&w.rehab_lead).await?, "fordjupad_brought"), 1);
        assert_eq!(count(&app.notification_kinds(&w.social_worker).await?, "fordjupad_decided"), 1);

        let now = chrono::Utc::now();
        assert_eq!(app.scheduler_round(now).await?.fordjupad_follow_ups, 0);
        assert_eq!(app.scheduler_round(now + Duration::days(59)).await?.fordjupad_follow_ups, 0);
        assert_eq!(app.scheduler_round(now + Duration::days(60)).await?.fordjupad_follow_ups, 1, "60 idle days");
        assert_eq!(app.scheduler_round(now + Duration::days(60)).await?.fordjupad_follow_ups, 0, "once");
        let app = app.restart().await?;
        assert_eq!(app.scheduler_round(now + Duration::days(61)).await?.fordjupad_follow_ups, 0, "once across restarts");
        assert_eq!(count(&app.notification_kinds(&chief).await?, "fordjupad_escalated"), 1);
        assert_eq!(count(&app.notification_kinds(&w.rehab_lead).await?, "fordjupad_escalated"), 0);
        let mails: Vec<_> = app.outbox().await?.into_iter().filter(|m| m.1 == "fordjupad_escalated").collect();
        assert_eq!(mails.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(), ["bitr@example.se"]);

        let list = app.get(&chief, "/api/fordjupad/escalations").await?;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        assert_eq!(list.body["items"].as_array().map(Vec::len), Some(1));
        let escalated = &list.body["items"][0];
        assert_eq!(escalated["case_id"], case);
        assert_eq!(escalated["kind"], "escalation");
        assert_eq!(escalated["anchor"], today(0));
        assert_eq!(escalated["due_on"], today(60));
        assert_eq!(escalated["individual_name"], "Amina");
        assert_eq!(escalation_ids(&app.get(&w.rehab_lead, "/api/fordjupad/escalations").await?).len(), 1);
        assert_eq!(escalation_ids(&app.get(&w.social_worker, "/api/fordjupad/escalations").await?), Vec::<String>::new());
        assert_eq!(escalation_ids(&app.get(&w.coordinator, "/api/fordjupad/escalations").await?), Vec::<String>::new());
        let caseload = app.get(&w.rehab_lead, "/api/fordjupad/caseload").await?;
        assert_eq!(caseload.body["items"][0]["escalations"][0]["kind"], "escalation");

        // The biträdande enhetschef acts: a phase assessed.
        app.post(&chief, &format!("/api/cases/{case}/fordjupad/phases"),
            json!({"phase": 1, "assessed_on": today(0), "reason": "Uppföljning"})).await?
            .ensure_status(StatusCode::CREATED, "phase")?;
        assert_eq!(escalation_ids(&app.get(&chief, "/api/fordjupad/escalations").await?), Vec::<String>::new());
        let caseload = app.get(&w.rehab_lead, "/api/fordjupad/caseload").await?;
        assert_eq!(caseload.body["items"][0]["escalations"], json!([]));
        assert_eq!(app.scheduler_round(now + Duration::days(62)).await?.fordjupad_follow_ups, 0);
        let mut tx = app.store.begin().await?;
        let row = sqlx::query(&format!(
            "SELECT cleared_at, cleared_by_user_id FROM fordjupad_follow_ups WHERE case_id = '{case}'"))
            .fetch_one(tx.conn()).await?;
        assert!(row.try_get::<Option<i64>, _>(0)?.is_some());
        assert_eq!(row.try_get::<Option<String>, _>(1)?, Some(chief.id.to_string()));
        drop(tx);
        let audit = app.audit_actions(&chief).await?;
        assert_eq!(audit.iter().filter(|a| a.0 == "fordjupad.escalation_list").count(), 1, "one row listed, audited");
        Ok(())
    }

    async fn an_escalation_is_taken_over_with_a_note(app) {
        let w = app.world().await?;
        let chief = app.user(&w.social, "bitr", &[Role::BitradandeEnhetschef]).await?;
        let (_, case) = app.case_for(&w.social_worker, &pnr("19850312123"), "Amina").await?;
        brought(&app, &w.social_worker, &w.rehab_lead, &case, Some("fordjupad_samverkan")).await?;
        app.consent(&w.social_worker, &case, &[&w.clinic], &["fordjupad_samverkan"]).await?;
        let now = chrono::Utc::now();
        assert_eq!(app.scheduler_round(now + Duration::days(60)).await?.fordjupad_follow_ups, 1);
        let id = escalation_ids(&app.get(&chief, "/api/fordjupad/escalations").await?).remove(0);
        let clear = format!("/api/fordjupad/escalations/{id}/clear");
        let note = json!({"note": "Jag bokar uppföljning med handläggaren"});
        let refused = app.post(&w.social_worker, &clear, note.clone()).await?;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        assert_eq!(app.post(&w.coordinator, &clear, note.clone()).await?.status, StatusCode::FORBIDDEN, "a partner only reads");
        assert_eq!(app.post(&w.other_coordinator, &clear, note.clone()).await?.status, StatusCode::NOT_FOUND);
        let empty = app.post(&chief, &clear, json!({"note": ""})).await?;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", empty.body);
        let unknown = format!("/api/fordjupad/escalations/{}/clear", uuid::Uuid::new_v4());
        assert_eq!(app.post(&chief, &unknown, note.clone()).await?.status, StatusCode::NOT_FOUND);

        let cleared = app.post(&chief, &clear, note.clone()).await?;
        assert_eq!(cleared.status, StatusCode::NO_CONTENT, "{}", cleared.body);
        assert_eq!(escalation_ids(&app.get(&chief, "/api/fordjupad/escalations").await?), Vec::<String>::new());
        let again = app.post(&chief, &clear, note).await?;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert_eq!(again.body["code"], "already_cleared");
        let mut tx = app.store.begin().await?;
        let row = sqlx::query(&format!("SELECT cleared_note FROM fordjupad_follow_ups WHERE id = '{id}'"))
            .fetch_one(tx.conn()).await?;
        assert_eq!(row.try_get::<Option<String>, _>(0)?.as_deref(), Some("Jag bokar uppföljning med handläggaren"));
        drop(tx);
        assert_eq!(app.events_about(&id).await?.len(), 1, "fordjupad.escalation_cleared");
        let audit = app.audit_actions(&chief).await?;
        assert!(audit.contains(&("fordjupad.escalation_clear".to_owned(), "allowed".to_owned())), "{audit:?}");
        let worker = app.audit_actions(&w.social_worker).await?;
        assert!(worker.contains(&("fordjupad.escalation_clear".to_owned(), "denied".to_owned())));
        // Taking over counts as acting today: no new escalation until 60 idle days from today.
        assert_eq!(app.scheduler_round(now + Duration::days(61)).await?.fordjupad_follow_ups, 0);
        Ok(())
    }

    async fn a_case_manager_assignment_reminds_before_it_ends(app) {
        let w = app.world().await?;
        let (_, case) = app.case_for(&w.social_worker, &pnr("19850312123"), "Amina").await?;
        brought(&app, &w.social_worker, &w.rehab_lead, &case, None).await?;
        app.post(&w.rehab_lead, &format!("/api/cases/{case}/fordjupad/decision"),
            json!({"decision": "case_manager", "decided_on": today(0), "reason": "Tydligt mål",
                   "criteria": ["clear_goal", "oral_and_written_consent", "no_ongoing_abuse",
                                "threat_risk_analysis", "no_interpreter_needed"],
                   "case_manager_until": today(100)})).await?
            .ensure_status(StatusCode::OK, "decide")?;
        let caseload = app.get(&w.rehab_lead, "/api/fordjupad/caseload").await?;
        assert_eq!(caseload.body["items"][0]["next_follow_up_on"], today(60));
        let now = chrono::Utc::now();
        // The escalation (60 idle days) first; the case manager's end reminded 30 days before.
        assert_eq!(app.scheduler_round(now + Duration::days(69)).await?.fordjupad_follow_ups, 1);
        assert_eq!(app.scheduler_round(now + Duration::days(70)).await?.fordjupad_follow_ups, 1);
        assert_eq!(app.scheduler_round(now + Duration::days(71)).await?.fordjupad_follow_ups, 0);
        assert_eq!(count(&app.notification_kinds(&w.rehab_lead).await?, "fordjupad_case_manager_ending"), 1);
        assert_eq!(count(&app.notification_kinds(&w.social_worker).await?, "fordjupad_case_manager_ending"), 1);
        Ok(())
    }
}
