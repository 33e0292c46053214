//! A SIP plan adopted from its call: the call is held and names the plan; a plan can only
//! name a call my organisation made in the same case.

use reqwest::StatusCode;
use serde_json::json;

use super::{draft, ok, participation, setup};
use crate::on_both_stores;

on_both_stores! {
    async fn adopting_a_sip_plan_marks_its_call_held(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let call = ok(app.post(&w.social_worker, &format!("/api/cases/{}/sip-calls", s.case),
            json!({"purpose_text": "SIP", "questions": "Vem gör vad?", "organisation_ids": [w.clinic.id]})).await?).id();
        let plans = format!("/api/cases/{}/plans", s.case);
        let wrong_kind = app.post(&w.social_worker, &plans, json!({"kind": "finsam", "sip_call_id": call})).await?;
        assert_eq!(wrong_kind.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(wrong_kind.body["errors"][0]["code"], "not_a_sip_plan");
        let unknown = app.post(&w.social_worker, &plans, json!({"kind": "sip", "sip_call_id": uuid::Uuid::new_v4()})).await?;
        assert_eq!(unknown.body["errors"][0]["field"], "sip_call_id");
        // Another case of the same organisation: not this plan's call.
        let (_, other_case) = app.case_for(&w.social_worker, &crate::helpers::pnr("19860415234"), "Bo").await?;
        let elsewhere = app.post(&w.social_worker, &format!("/api/cases/{other_case}/plans"), json!({"kind": "sip", "sip_call_id": call})).await?;
        assert_eq!(elsewhere.body["errors"][0]["code"], "unknown_sip_call");

        let plan = ok(app.post(&w.social_worker, &plans, json!({"kind": "sip", "sip_call_id": call})).await?);
        assert_eq!(plan.body["sip_call_id"], call);
        let id = plan.id();
        ok(app.put(&w.social_worker, &format!("/api/plans/{id}/draft"), draft(&s)).await?);
        ok(app.post(&w.social_worker, &format!("/api/plans/{id}/adopt"), participation(&s)).await?);
        let held = ok(app.get(&w.social_worker, &format!("/api/sip-calls/{call}")).await?);
        assert_eq!(held.body["state"], "held");
        assert_eq!(held.body["plan_id"], id);
        assert!(app.events_about(&call).await?.iter().any(|e| e.kind == "sip_call.held"));
        assert!(app.audit_actions(&w.social_worker).await?.contains(&("sip_call.hold".to_owned(), "allowed".to_owned())));
        Ok(())
    }
}
