//! The phase timeline: assessed on the Järva scale (0–4), going backwards too, each with its
//! direction; outside the scale or in the future refused; audited.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::today;
use crate::helpers::*;
use crate::on_both_stores;

on_both_stores! {
    async fn phases_form_a_timeline_that_can_go_backwards(app) {
        let w = app.world().await?;
        let (_, case) = app.case_for(&w.social_worker, &pnr("19850312123"), "Amina").await?;
        let path = format!("/api/cases/{case}/fordjupad");
        let phases = format!("{path}/phases");
        assert_eq!(app.post(&w.rehab_lead, &phases, json!({"phase": 1, "assessed_on": today(0), "reason": "x"})).await?.status,
            StatusCode::NOT_FOUND, "not brought");
        app.post(&w.social_worker, &path, json!({"note": "Behöver samordning"})).await?
            .ensure_status(StatusCode::CREATED, "bring")?;
        for (phase, day, who) in [(1, -30, &w.social_worker), (3, -20, &w.rehab_lead), (2, -10, &w.rehab_lead)] {
            let reply = app.post(who, &phases, json!({"phase": phase, "assessed_on": today(day), "reason": format!("Fas {phase}")})).await?;
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        }
        let timeline = app.get(&w.social_worker, &phases).await?;
        assert_eq!(timeline.status, StatusCode::OK);
        let got: Vec<(i64, String)> = timeline.body.as_array().cloned().unwrap_or_default().iter()
            .map(|p| (p["phase"].as_i64().unwrap_or(-1), p["direction"].as_str().unwrap_or_default().to_owned()))
            .collect();
        assert_eq!(got, [(1, "first".to_owned()), (3, "forward".to_owned()), (2, "backward".to_owned())]);
        assert_eq!(timeline.body[0]["scale"], "jarva");
        assert_eq!(timeline.body[2]["assessed_by"], w.rehab_lead.id.to_string());
        assert_eq!(app.get(&w.social_worker, &path).await?.body["last_activity_on"], today(0), "bringing today is the latest");

        let reply = app.post(&w.rehab_lead, &phases, json!({"phase": 5, "assessed_on": today(1), "reason": "x"})).await?;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
        assert_eq!(reply.field_codes(), [("phase".to_owned(), "out_of_scale".to_owned()),
            ("assessed_on".to_owned(), "in_the_future".to_owned())]);
        assert_eq!(app.get(&w.social_worker, &phases).await?.body.as_array().map(Vec::len), Some(3), "nothing stored");

        app.consent(&w.social_worker, &case, &[&w.clinic], &["fordjupad_samverkan"]).await?;
        assert_eq!(app.get(&w.coordinator, &phases).await?.status, StatusCode::OK);
        let by_partner = app.post(&w.coordinator, &phases, json!({"phase": 2, "assessed_on": today(0), "reason": "x"})).await?;
        assert_eq!(by_partner.status, StatusCode::FORBIDDEN);
        let actions = app.audit_actions(&w.rehab_lead).await?;
        assert_eq!(actions.iter().filter(|a| a.0 == "fordjupad.phase" && a.1 == "allowed").count(), 2);
        Ok(())
    }
}

on_both_stores! {
    async fn the_top_phase_records_its_outcome_and_the_scale_is_offered_before_any(app) {
        let w = app.world().await?;
        let (_, case) = app.case_for(&w.social_worker, &pnr("19850312123"), "Amina").await?;
        let path = format!("/api/cases/{case}/fordjupad");
        let phases = format!("{path}/phases");
        let brought = app.post(&w.social_worker, &path, json!({"note": "Behöver samordning"})).await?;
        assert_eq!(brought.status, StatusCode::CREATED);
        let scale = &brought.body["phase_scale"];
        assert_eq!(scale["code"], "jarva");
        assert_eq!(scale["phases"].as_array().map(Vec::len), Some(5));
        assert_eq!(scale["phases"][4], json!({"phase": 4, "label": "Egen försörjning"}));
        assert_eq!(scale["outcomes"][1]["code"], "sa_ae_granted");
        assert_eq!(app.get(&w.social_worker, &path).await?.body["phase_scale"], *scale);

        for (body, code) in [
            (json!({"phase": 4, "assessed_on": today(0), "reason": "x"}), "outcome_required"),
            (json!({"phase": 3, "outcome": "self_sufficient", "assessed_on": today(0), "reason": "x"}), "outcome_not_allowed"),
        ] {
            let reply = app.post(&w.rehab_lead, &phases, body).await?;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
            assert_eq!(reply.field_codes(), [("outcome".to_owned(), code.to_owned())]);
        }
        let reply = app.post(&w.rehab_lead, &phases, json!({"phase": 4, "outcome": "nope", "assessed_on": today(0), "reason": "x"})).await?;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "unknown outcome: {}", reply.body);
        assert_eq!(app.get(&w.social_worker, &phases).await?.body.as_array().map(Vec::len), Some(0), "nothing stored");

        app.post(&w.rehab_lead, &phases, json!({"phase": 3, "assessed_on": today(-1), "reason": "Insats"})).await?
            .ensure_status(StatusCode::CREATED, "effort")?;
        let reply = app.post(&w.rehab_lead, &phases, json!({"phase": 4.0, "outcome": "all_paths_exhausted", "assessed_on": today(0), "reason": "Utrett"})).await?;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        let timeline = app.get(&w.social_worker, &phases).await?.body;
        assert_eq!(timeline[0]["outcome"], Value::Null);
        assert_eq!(timeline[1]["outcome"], "all_paths_exhausted");
        assert_eq!(timeline[1]["outcome_label"], "Alla vägar uttömda");
        assert_eq!(timeline[1]["direction"], "forward");
        Ok(())
    }
}
