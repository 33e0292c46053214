//! Fördjupad samverkan: a social worker brings a case, the rehabansvarig decides with date
//! and reason; who may do which; a case manager's checklist and 12 months; partners read only
//! under consent for `fordjupad_samverkan`; audit rows.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_stores;

mod caseload;
mod codings;
mod figures;
mod follow_ups;
mod phases;
mod steps;

pub(super) fn today(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

fn case_manager() -> Value {
    json!({"decision": "case_manager", "decided_on": today(0), "reason": "Tydligt mål, vill ha stöd",
           "criteria": ["clear_goal", "oral_and_written_consent", "no_ongoing_abuse",
                        "threat_risk_analysis", "no_interpreter_needed"],
           "case_manager_until": today(300)})
}

on_both_stores! {
    async fn a_case_never_brought_is_not_found_on_every_route_after_the_role_check(app) {
        let w = app.world().await?;
        let (_, case) = app.case_for(&w.social_worker, &pnr("19850312123"), "Amina").await?;
        let path = format!("/api/cases/{case}/fordjupad");
        let decision = json!({"decision": "afu", "decided_on": today(0), "reason": "AFU behövs"});
        let phase = json!({"phase": 1, "assessed_on": today(0), "reason": "Fas 1"});
        let coding = json!({"codes": ["sjukskriven_utan_sgi"]});
        // A step the actor's roles do not take is refused before anyone looks for the case.
        for (route, body) in [("decision", &decision), ("codings", &coding)] {
            let refused = app.post(&w.social_worker, &format!("{path}/{route}"), body.clone()).await?;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{route}: {}", refused.body);
            assert_eq!(refused.body["code"], "not_allowed", "{route}");
        }
        for (route, body) in [("decision", &decision), ("phases", &phase), ("codings", &coding)] {
            let missing = app.post(&w.rehab_lead, &format!("{path}/{route}"), body.clone()).await?;
            assert_eq!(missing.status, StatusCode::NOT_FOUND, "{route}: {}", missing.body);
        }
        for route in ["", "/phases", "/codings"] {
            let missing = app.get(&w.rehab_lead, &format!("{path}{route}")).await?;
            assert_eq!(missing.status, StatusCode::NOT_FOUND, "{route}: {}", missing.body);
        }
        for table in ["fordjupad_cases", "fordjupad_decisions", "fordjupad_phases", "fordjupad_codings"] {
            assert_eq!(app.row_count(table).await?, 0, "nothing stored in {table}");
        }
        let worker = app.audit_actions(&w.social_worker).await?;
        assert!(worker.contains(&("fordjupad.decide".to_owned(), "denied".to_owned())), "{worker:?}");
        assert!(worker.contains(&("fordjupad.code".to_owned(), "denied".to_owned())), "{worker:?}");
        let lead = app.audit_actions(&w.rehab_lead).await?;
        assert!(!lead.iter().any(|(action, _)| action.starts_with("fordjupad.")), "nothing read: {lead:?}");
        Ok(())
    }

    async fn a_social_worker_brings_and_the_rehabansvarig_decides_each_way(app) {
        let w = app.world().await?;
        let (_, case) = app.case_for(&w.social_worker, &pnr("19850312123"), "Amina").await?;
        let path = format!("/api/cases/{case}/fordjupad");
        assert_eq!(app.get(&w.social_worker, &path).await?.status, StatusCode::NOT_FOUND, "not brought yet");
        let refused = app.post(&w.rehab_lead, &path, json!({"note": "Lång tid på bistånd"})).await?;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        assert_eq!(refused.body["code"], "not_allowed");
        let brought = app.post(&w.social_worker, &path, json!({"note": "Lång tid på bistånd"})).await?;
        assert_eq!(brought.status, StatusCode::CREATED, "{}", brought.body);
        assert_eq!(brought.body["social_worker_id"], w.social_worker.id.to_string());
        assert_eq!(brought.body["brought_on"], today(0));
        assert!(brought.body["decision"].is_null());
        assert_eq!(brought.body["may"]["decide"], false);
        let again = app.post(&w.social_worker, &path, json!({"note": "igen"})).await?;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert_eq!(again.body["code"], "already_brought");

        let decision = format!("{path}/decision");
        let by_worker = app.post(&w.social_worker, &decision,
            json!({"decision": "afu", "decided_on": today(0), "reason": "AFU behövs"})).await?;
        assert_eq!(by_worker.status, StatusCode::FORBIDDEN);
        for kind in ["fordjupad_samverkan", "fortroendelakare", "afu", "ingen"] {
            let decided = app.post(&w.rehab_lead, &decision,
                json!({"decision": kind, "decided_on": today(0), "reason": format!("Skäl för {kind}")})).await?;
            assert_eq!(decided.status, StatusCode::OK, "{kind}: {}", decided.body);
            assert_eq!(decided.body["decision"], kind);
            assert!(decided.body["decisions"].as_array().is_some_and(|d| !d.is_empty()));
        }
        let decided = app.post(&w.rehab_lead, &decision, case_manager()).await?;
        assert_eq!(decided.status, StatusCode::OK, "{}", decided.body);
        assert_eq!(decided.body["case_manager_until"], today(300));
        let history = decided.body["decisions"].as_array().cloned().unwrap_or_default();
        let kinds: Vec<&str> = history.iter().filter_map(|d| d["decision"].as_str()).collect();
        assert_eq!(kinds, ["fordjupad_samverkan", "fortroendelakare", "afu", "ingen", "case_manager"]);
        assert!(history.iter().all(|d| d["decided_by"] == w.rehab_lead.id.to_string()));
        assert_eq!(history[0]["reason"], "Skäl för fordjupad_samverkan");
        assert_eq!(history[4]["criteria"].as_array().map(Vec::len), Some(5));

        let actions = app.audit_actions(&w.rehab_lead).await?;
        assert!(actions.contains(&("fordjupad.bring".to_owned(), "denied".to_owned())), "{actions:?}");
        assert_eq!(actions.iter().filter(|a| a.0 == "fordjupad.decide" && a.1 == "allowed").count(), 5);
        let worker = app.audit_actions(&w.social_worker).await?;
        assert!(worker.contains(&("fordjupad.bring".to_owned(), "allowed".to_owned())));
        assert!(worker.contains(&("fordjupad.decide".to_owned(), "denied".to_owned())));
        Ok(())
    }

    async fn a_case_manager_needs_the_checklist_and_at_most_twelve_months(app) {
        let w = app.world().await?;
        let (_, case) = app.case_for(&w.social_worker, &pnr("19850312123"), "Amina").await?;
        let path = format!("/api/cases/{case}/fordjupad");
        app.post(&w.social_worker, &path, json!({"note": "Behöver samordning"})).await?
            .ensure_status(StatusCode::CREATED, "bring")?;
        let decision = format!("{path}/decision");
        let mut body = case_manager();
        body["criteria"] = json!(["clear_goal", "oral_and_written_consent", "no_ongoing_abuse"]);
        body["case_manager_until"] = json!(today(400));
        let reply = app.post(&w.rehab_lead, &decision, body).await?;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
        assert_eq!(reply.field_codes(), [
            ("criteria".to_owned(), "criterion_missing".to_owned()),
            ("criteria".to_owned(), "criterion_missing".to_owned()),
            ("case_manager_until".to_owned(), "at_most_12_months".to_owned()),
        ]);
        let reply = app.post(&w.rehab_lead, &decision,
            json!({"decision": "afu", "decided_on": today(1), "reason": " ", "case_manager_until": today(30)})).await?;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
        let fields: Vec<String> = reply.field_codes().into_iter().map(|c| c.0).collect();
        assert!(fields.contains(&"reason".to_owned()), "{fields:?}");
        let reply = app.post(&w.rehab_lead, &decision,
            json!({"decision": "afu", "decided_on": today(1), "reason": "AFU", "case_manager_until": today(30)})).await?;
        assert_eq!(reply.field_codes(), [
            ("decided_on".to_owned(), "in_the_future".to_owned()),
            ("decision".to_owned(), "only_for_case_manager".to_owned()),
        ]);
        let stored = app.get(&w.social_worker, &path).await?;
        assert!(stored.body["decision"].is_null(), "nothing recorded: {}", stored.body);
        assert_eq!(stored.body["decisions"], json!([]));
        Ok(())
    }

    async fn a_partner_reads_only_under_consent_for_fordjupad_samverkan(app) {
        let w = app.world().await?;
        let (_, case) = app.case_for(&w.social_worker, &pnr("19850312123"), "Amina").await?;
        let path = format!("/api/cases/{case}/fordjupad");
        app.post(&w.social_worker, &path, json!({"note": "Behöver samordning"})).await?
            .ensure_status(StatusCode::CREATED, "bring")?;
        app.consent(&w.social_worker, &case, &[&w.clinic], &["sip"]).await?;
        assert_eq!(app.get(&w.coordinator, &path).await?.status, StatusCode::NOT_FOUND, "sip does not cover it");
        app.consent(&w.social_worker, &case, &[&w.clinic], &["fordjupad_samverkan"]).await?;
        let seen = app.get(&w.coordinator, &path).await?;
        assert_eq!(seen.status, StatusCode::OK, "{}", seen.body);
        assert_eq!(seen.body["may"]["decide"], false);
        let decided = app.post(&w.coordinator, &format!("{path}/decision"),
            json!({"decision": "afu", "decided_on": today(0), "reason": "AFU"})).await?;
        assert_eq!(decided.status, StatusCode::FORBIDDEN);
        assert_eq!(app.get(&w.other_coordinator, &path).await?.status, StatusCode::NOT_FOUND);
        Ok(())
    }
}
