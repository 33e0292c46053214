//! A progressionsplan's category 4 and 5 actions carry their steps with dates, recorded by the
//! action's responsible; who follows each action up follows its category. Written
//! recommendations start the avstämning rule: reminded before, escalated on the deadline,
//! ended by a meeting booked.

use chrono::Duration;
use reqwest::StatusCode;
use samverkan::domain::Role;
use serde_json::{json, Value};

use super::caseload::brought;
use super::today;
use crate::helpers::*;
use crate::on_both_stores;
use crate::plans::{draft, ok, participation, setup, CLINIC_ACTION, OWN_ACTION};

fn count(kinds: &[String], kind: &str) -> usize {
    kinds.iter().filter(|k| *k == kind).count()
}

fn done_on(reply: &Reply) -> Vec<(String, Value)> {
    reply.body["steps"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap_or_default().to_owned(),
                s["done_on"].clone(),
            )
        })
        .collect()
}

on_both_stores! {
    async fn category_four_steps_start_the_avstamning_rule_until_a_meeting_is_booked(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let chief = app.user(&w.social, "bitr", &[Role::BitradandeEnhetschef]).await?;
        brought(&app, &w.social_worker, &w.rehab_lead, &s.case, Some("fortroendelakare")).await?;
        app.consent(&w.social_worker, &s.case, &[&w.clinic, &w.jobbtorg], &["fordjupad_samverkan"]).await?;
        let plan = ok(app.post(&w.social_worker, &format!("/api/cases/{}/plans", s.case),
            json!({"kind": "progressionsplan"})).await?).id();
        let mut body = draft(&s);
        body["actions"][0]["category"] = json!(4);
        body["actions"][1]["category"] = json!(2);
        ok(app.put(&w.social_worker, &format!("/api/plans/{plan}/draft"), body).await?);
        ok(app.post(&w.social_worker, &format!("/api/plans/{plan}/adopt"), participation(&s)).await?);
        let own = format!("/api/plans/{plan}/actions/{OWN_ACTION}/steps");
        let clinic = format!("/api/plans/{plan}/actions/{CLINIC_ACTION}/steps");

        let steps = ok(app.get(&w.rehab_lead, &own).await?);
        assert_eq!(steps.body["category"], 4);
        assert_eq!(steps.body["follow_up_holder"], "rehabansvarig");
        assert_eq!(done_on(&steps), [("referral_with_consent".to_owned(), Value::Null),
            ("recommendations_received".to_owned(), Value::Null)]);
        let simple = ok(app.get(&w.coordinator, &clinic).await?);
        assert_eq!(simple.body["follow_up_holder"], "bitradande_enhetschef");
        assert_eq!(simple.body["steps"], json!([]));

        let not_responsible = app.post(&w.coordinator, &own,
            json!({"step": "referral_with_consent", "done_on": today(0)})).await?;
        assert_eq!(not_responsible.status, StatusCode::FORBIDDEN, "{}", not_responsible.body);
        let no_steps = app.post(&w.coordinator, &clinic,
            json!({"step": "referral_with_consent", "done_on": today(0)})).await?;
        assert_eq!(no_steps.field_codes(), [("step".to_owned(), "not_for_category".to_owned())]);
        let wrong = app.post(&w.social_worker, &own, json!({"step": "times_offered", "done_on": today(1)})).await?;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong.body);
        assert_eq!(wrong.field_codes(), [("step".to_owned(), "not_for_category".to_owned()),
            ("done_on".to_owned(), "in_the_future".to_owned())]);

        ok(app.post(&w.social_worker, &own, json!({"step": "referral_with_consent", "done_on": today(-30)})).await?);
        let received = ok(app.post(&w.rehab_lead, &own,
            json!({"step": "recommendations_received", "done_on": today(-25)})).await?);
        assert_eq!(done_on(&received), [("referral_with_consent".to_owned(), json!(today(-30))),
            ("recommendations_received".to_owned(), json!(today(-25)))]);
        assert_eq!(received.body["steps"][1]["recorded_by"], w.rehab_lead.id.to_string());
        let caseload = app.get(&w.rehab_lead, "/api/fordjupad/caseload").await?;
        assert_eq!(caseload.body["items"][0]["next_follow_up_on"], today(5), "30 days after the recommendations");

        // Seven days before the deadline the rehabansvarig is reminded; on it, it escalates.
        let now = chrono::Utc::now();
        assert_eq!(app.scheduler_round(now).await?.fordjupad_follow_ups, 1);
        assert_eq!(count(&app.notification_kinds(&w.rehab_lead).await?, "fordjupad_avstamning_due"), 1);
        assert_eq!(app.scheduler_round(now + Duration::days(4)).await?.fordjupad_follow_ups, 0);
        assert_eq!(app.scheduler_round(now + Duration::days(5)).await?.fordjupad_follow_ups, 1);
        let app = app.restart().await?;
        assert_eq!(app.scheduler_round(now + Duration::days(5)).await?.fordjupad_follow_ups, 0, "once across restarts");
        assert_eq!(count(&app.notification_kinds(&chief).await?, "fordjupad_escalated"), 1);
        assert_eq!(count(&app.notification_kinds(&w.rehab_lead).await?, "fordjupad_escalated"), 1);
        let list = app.get(&chief, "/api/fordjupad/escalations").await?;
        assert_eq!(list.body["items"][0]["kind"], "avstamning_overdue", "{}", list.body);
        assert_eq!(list.body["items"][0]["anchor"], today(-25));

        // The biträdande enhetschef books the avstämning: the escalation ends, nothing more fires.
        app.meeting(&chief, Some(&s.case), "uppfoljning_fordjupad_samverkan", &[]).await?;
        let list = app.get(&chief, "/api/fordjupad/escalations").await?;
        assert_eq!(list.body["items"], json!([]), "{}", list.body);
        assert_eq!(app.scheduler_round(now + Duration::days(6)).await?.fordjupad_follow_ups, 0);
        let caseload = app.get(&w.rehab_lead, "/api/fordjupad/caseload").await?;
        assert_eq!(caseload.body["items"][0]["next_follow_up_on"], today(30), "the plan's follow-up next");
        Ok(())
    }

    async fn an_afu_order_is_offered_times_within_two_weeks(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        brought(&app, &w.social_worker, &w.rehab_lead, &s.case, Some("afu")).await?;
        app.consent(&w.social_worker, &s.case, &[&w.clinic, &w.jobbtorg], &["fordjupad_samverkan"]).await?;
        let plan = ok(app.post(&w.social_worker, &format!("/api/cases/{}/plans", s.case),
            json!({"kind": "progressionsplan"})).await?).id();
        let mut body = draft(&s);
        body["actions"][0]["category"] = json!(5);
        ok(app.put(&w.social_worker, &format!("/api/plans/{plan}/draft"), body).await?);
        ok(app.post(&w.social_worker, &format!("/api/plans/{plan}/adopt"), participation(&s)).await?);
        let own = format!("/api/plans/{plan}/actions/{OWN_ACTION}/steps");
        let ordered = ok(app.post(&w.social_worker, &own, json!({"step": "order_with_consent", "done_on": today(-20)})).await?);
        assert_eq!(ordered.body["follow_up_holder"], "rehabansvarig");
        assert_eq!(ordered.body["times_offered_due"], today(-6));
        assert_eq!(ordered.body["times_offered_late"], true, "no times offered within two weeks");
        let offered = ok(app.post(&w.social_worker, &own, json!({"step": "times_offered", "done_on": today(-10)})).await?);
        assert_eq!(offered.body["times_offered_late"], false);
        let steps: Vec<String> = offered.body["steps"].as_array().cloned().unwrap_or_default().iter()
            .map(|s| s["step"].as_str().unwrap_or_default().to_owned()).collect();
        assert_eq!(steps, ["order_with_consent", "times_offered", "interpreter_booked", "recommendations_received"]);
        let audit = app.audit_actions(&w.social_worker).await?;
        assert_eq!(audit.iter().filter(|a| a.0 == "plan.action_update" && a.1 == "allowed").count(), 2, "{audit:?}");
        Ok(())
    }
}
