//! The consent gate: every organisation a plan names (as responsible for an action, as
//! overall owner, as reader) must be covered by consent for the kind's purpose recorded by
//! the case's owner; parties read the plan only while covered.

use reqwest::StatusCode;
use serde_json::json;

use super::{adopted, day, drafted, ok, participation, setup, CLINIC_ACTION};
use crate::helpers::*;
use crate::on_both_stores;

fn assert_missing(reply: &Reply, org: &str, purpose: &str, why: &str) {
    assert_eq!(reply.status, StatusCode::CONFLICT, "{why}: {}", reply.body);
    assert_eq!(reply.body["code"], "consent_missing", "{why}");
    let detail = reply.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(org), "{why}: names {org}: {detail}");
    assert!(detail.contains(purpose), "{why}: names {purpose}: {detail}");
}

on_both_stores! {
    async fn each_role_in_the_plan_needs_consent_naming_who_and_for_what(app) {
        let world = app.world().await?;
        let w = &world;
        let (_, case) = app.case_for(&w.social_worker, &pnr("19850312123"), "Amina").await?;
        // The clinic is covered for SIP; Jobbtorg only for information exchange.
        app.consent(&w.social_worker, &case, &[&w.clinic], &["sip"]).await?;
        app.consent(&w.social_worker, &case, &[&w.jobbtorg], &["informationsutbyte"]).await?;
        let beta = app.org_named("Vårdcentral Beta").await?;
        let id = ok(app.post(&w.social_worker, &format!("/api/cases/{case}/plans"), json!({"kind": "sip"})).await?).id();
        let path = format!("/api/plans/{id}/draft");
        let action = |org: &TestOrg| json!({"what": "Något", "responsible": {"organisation_id": org.id}, "due_on": day(5)});

        let reply = app.put(&w.social_worker, &path, json!({"actions": [action(&w.clinic), action(&w.jobbtorg)]})).await?;
        assert_missing(&reply, "Jobbtorg Test", "SIP", "action responsible");
        assert!(!reply.body["detail"].as_str().unwrap_or_default().contains("Alfa"), "the covered clinic is not named");
        let reply = app.put(&w.social_worker, &path, json!({"overall": {"organisation_id": w.jobbtorg.id}})).await?;
        assert_missing(&reply, "Jobbtorg Test", "SIP", "overall responsible");
        let reply = app.put(&w.social_worker, &path, json!({"readers": [beta.id]})).await?;
        assert_missing(&reply, "Vårdcentral Beta", "SIP", "reader");
        // The owner itself needs no consent, the covered clinic passes.
        let fine = app.put(&w.social_worker, &path, json!({"actions": [action(&w.social), action(&w.clinic)],
            "overall": {"organisation_id": w.social.id}})).await?;
        assert_eq!(fine.status, StatusCode::OK, "{}", fine.body);

        // Each kind reads its own purpose: the SIP consent does not cover a Finsam plan.
        let finsam = ok(app.post(&w.social_worker, &format!("/api/cases/{case}/plans"), json!({"kind": "finsam"})).await?).id();
        let reply = app.put(&w.social_worker, &format!("/api/plans/{finsam}/draft"), json!({"actions": [action(&w.clinic)]})).await?;
        assert_missing(&reply, "Vårdcentral Alfa", "Finsamteam", "finsam");
        let rehab = ok(app.post(&w.social_worker, &format!("/api/cases/{case}/plans"), json!({"kind": "rehabplan"})).await?).id();
        let reply = app.put(&w.social_worker, &format!("/api/plans/{rehab}/draft"), json!({"readers": [w.clinic.id]})).await?;
        assert_missing(&reply, "Vårdcentral Alfa", "fördjupad samverkan", "rehabplan");
        assert!(app.get(&w.social_worker, &format!("/api/plans/{rehab}")).await?.body["draft"]["readers"] == json!([]), "nothing saved");
        Ok(())
    }

    async fn adopting_checks_the_consent_again(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let id = drafted(&app, &s, "sip").await?;
        ok(app.end_consent(&w.social_worker, &s.consent).await?);
        let reply = app.post(&w.social_worker, &format!("/api/plans/{id}/adopt"), participation(&s)).await?;
        assert_missing(&reply, "Jobbtorg Test", "SIP", "at adoption");
        assert!(reply.body["detail"].as_str().unwrap_or_default().contains("Vårdcentral Alfa"));
        assert_eq!(app.get(&w.social_worker, &format!("/api/plans/{id}")).await?.body["state"], "draft");
        Ok(())
    }

    async fn a_party_sees_the_adopted_plan_only_while_covered_and_lists_show_only_what_it_may_see(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let id = adopted(&app, &s).await?;
        // A second plan, still a draft: the owner's alone.
        let other = drafted(&app, &s, "sip").await?;
        let path = format!("/api/cases/{}/plans", s.case);
        let list = |user| app.get(user, &path);
        let owner_list = ok(list(&w.social_worker).await?);
        let ids: Vec<&str> = owner_list.body["items"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [id.as_str(), other.as_str()]);
        let clinic_list = ok(list(&w.coordinator).await?);
        assert_eq!(clinic_list.body["items"].as_array().unwrap().len(), 1);
        assert_eq!(clinic_list.body["items"][0]["id"], id);
        assert!(clinic_list.body["items"][0]["draft"].is_null());
        let listed = app.audit_rows().await?.into_iter()
            .filter(|r| r.action == "plan.list" && r.user_id.as_deref() == Some(w.coordinator.id.to_string().as_str()))
            .count();
        assert_eq!(listed, 1, "each listed plan audited");
        assert_eq!(list(&w.other_coordinator).await?.status, StatusCode::NOT_FOUND, "outside the case");
        assert_eq!(app.get(&w.coordinator, &format!("/api/plans/{other}")).await?.status, StatusCode::NOT_FOUND);
        // Its own action is in the adopted plan it reads.
        let seen = ok(app.get(&w.coordinator, &format!("/api/plans/{id}")).await?);
        assert_eq!(seen.body["adopted"]["content"]["actions"][1]["id"], CLINIC_ACTION);
        assert_eq!(seen.body["needs_new_responsible"], json!([]));
        Ok(())
    }
}
