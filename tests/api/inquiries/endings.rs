//! How an inquiry ends: answered (the answer checked, the DFA chain whole), declined with a
//! reason, or withdrawn by the sender.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{answer_body, inquiry_in, ok, setup};
use crate::helpers::*;
use crate::on_both_stores;

on_both_stores! {
    async fn a_decline_records_each_reason_and_other_needs_a_text(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let id = inquiry_in(&app, &s, "received").await?;
        let decline = format!("/api/inquiries/{id}/decline");
        let bare = app.post(&w.coordinator, &decline, json!({"reason": "other", "text": "  "})).await?;
        assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bare.body["errors"][0]["field"], "text");
        let unknown = app.post(&w.coordinator, &decline, json!({"reason": "no_time"})).await?;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(app.inquiry_snapshot(&id).await?.split(' ').next(), Some("state=received"));

        for (from, reason, text) in [
            ("sent", "person_not_listed_here", None),
            ("received", "consent_insufficient", Some("Samtycket omfattar inte journaluppgifter")),
            ("assigned", "wrong_unit", None),
            ("assigned", "other", Some("Personen har bytt till en annan vårdcentral")),
        ] {
            let id = inquiry_in(&app, &s, from).await?;
            let reply = ok(app.post(&w.coordinator, &format!("/api/inquiries/{id}/decline"), json!({"reason": reason, "text": text})).await?);
            assert_eq!(reply.body["state"], "declined");
            assert_eq!(reply.body["declined"]["reason"], reason);
            assert_eq!(reply.body["declined"]["text"], json!(text));
            assert_eq!(reply.body["declined"]["by_user_id"], w.coordinator.id.to_string());
            let seen = app.get(&w.social_worker, &format!("/api/inquiries/{id}")).await?;
            assert_eq!(seen.body["declined"]["reason"], reason, "the sender sees why");
            assert_eq!(app.events_about(&id).await?.last().unwrap().kind, "inquiry.declined");
        }
        Ok(())
    }

    async fn the_sender_withdraws_until_the_inquiry_is_answered(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        for from in ["sent", "received", "assigned"] {
            let id = inquiry_in(&app, &s, from).await?;
            let reply = ok(app.post_empty(&w.colleague, &format!("/api/inquiries/{id}/withdraw")).await?);
            assert_eq!(reply.body["state"], "withdrawn");
            assert_eq!(reply.body["withdrawn"]["by_user_id"], w.colleague.id.to_string());
            let event = app.events_about(&id).await?.last().cloned().unwrap();
            assert_eq!(event.kind, "inquiry.withdrawn");
            assert_eq!(event.organisations(), sorted_orgs(&w.social, &w.clinic));
            let clinic = app.get(&w.coordinator, &format!("/api/inquiries/{id}")).await?;
            assert_eq!(clinic.body["state"], "withdrawn", "the clinic sees it was withdrawn");
        }
        Ok(())
    }

    async fn the_answer_is_checked_and_the_dfa_chain_must_hang_together(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let id = inquiry_in(&app, &s, "assigned").await?;
        let path = format!("/api/inquiries/{id}/answer");
        let with = |patch: Value| {
            let mut body = answer_body();
            for (k, v) in patch.as_object().unwrap() {
                body[k] = v.clone();
            }
            body
        };
        let missing_fa = app.post(&w.coordinator, &path, with(json!({"funktionsnedsattning": null, "aktivitetsbegransning": " "}))).await?;
        assert_eq!(missing_fa.status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<_> = missing_fa.body["errors"].as_array().unwrap().iter().map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap())).collect();
        assert_eq!(fields, [("funktionsnedsattning", "required_with_diagnosis"), ("aktivitetsbegransning", "required_with_diagnosis")]);
        let cases = [
            (json!({"diagnoses": [{"text": "Depression", "icd10": "F32,1"}]}), "diagnoses[0].icd10", "invalid_icd10"),
            (json!({"diagnoses": [{"text": " "}]}), "diagnoses[0].text", "required"),
            (json!({"extent": {"percent": 50, "hours_per_week": 20}}), "extent", "exactly_one"),
            (json!({"extent": {}}), "extent", "exactly_one"),
            (json!({"extent": {"percent": 120}}), "extent.percent", "range"),
            (json!({"extent": {"hours_per_week": 41}}), "extent.hours_per_week", "range"),
            (json!({"prognosis": "x".repeat(4001)}), "prognosis", "length"),
            (json!({"treating_doctor_name": "x".repeat(201)}), "treating_doctor_name", "length"),
            (json!({"has_rehab_plan": "ja"}), "has_rehab_plan", "invalid_value"),
        ];
        for (patch, field, code) in cases {
            let reply = app.post(&w.coordinator, &path, with(patch.clone())).await?;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{patch}");
            assert_eq!(reply.body["errors"][0]["field"], field, "{patch}: {}", reply.body);
            assert_eq!(reply.body["errors"][0]["code"], code, "{patch}: {}", reply.body);
        }
        assert_eq!(app.inquiry_snapshot(&id).await?.split(' ').next(), Some("state=assigned"));
        // Without diagnoses, F and A may be left out; hours per week instead of percent.
        let minimal = json!({"has_rehab_plan": false, "extent": {"hours_per_week": 20}});
        let reply = ok(app.post(&w.coordinator, &path, minimal).await?);
        assert_eq!(reply.body["answer"]["extent"], json!({"percent": null, "hours_per_week": 20}));
        assert_eq!(reply.body["answer"]["diagnoses"], json!([]));
        Ok(())
    }
}
