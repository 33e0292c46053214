//! The rehabansvarig's caseload: every case in fördjupad samverkan the caller may see, with
//! phase, open categories, days idle, next follow-up and escalations; filters by clinic,
//! social worker and phase; a partner sees only what is shared with it for
//! `fordjupad_samverkan`; each row audited.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::today;
use crate::helpers::*;
use crate::on_both_stores;
use crate::plans::{ok, participation, setup};

/// Brings the case (by `worker`) and has the rehabansvarig decide `decision`.
pub(super) async fn brought(
    app: &TestApp,
    worker: &TestUser,
    lead: &TestUser,
    case: &str,
    decision: Option<&str>,
) -> anyhow::Result<()> {
    let path = format!("/api/cases/{case}/fordjupad");
    app.post(worker, &path, json!({"note": "Lång tid på bistånd"}))
        .await?
        .ensure_status(StatusCode::CREATED, "bring")?;
    if let Some(decision) = decision {
        app.post(
            lead,
            &format!("{path}/decision"),
            json!({"decision": decision, "decided_on": today(0), "reason": "Skäl"}),
        )
        .await?
        .ensure_status(StatusCode::OK, "decide")?;
    }
    Ok(())
}

fn cases(reply: &Reply) -> Vec<String> {
    let mut ids: Vec<String> = reply.body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|i| i["case_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<&String>) -> Vec<String> {
    ids.sort();
    ids.into_iter().cloned().collect()
}

fn item<'a>(reply: &'a Reply, case: &str) -> &'a Value {
    reply.body["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["case_id"] == case))
        .unwrap_or(&Value::Null)
}

on_both_stores! {
    async fn the_caseload_lists_what_the_caller_may_see_with_its_filters(app) {
        let w = app.world().await?;
        let (_, a) = app.case_for(&w.social_worker, &pnr("19850312123"), "Amina").await?;
        let (_, b) = app.case_for(&w.social_worker, &pnr("19790101123"), "Bertil").await?;
        let (_, c) = app.case_for(&w.social_worker, &pnr("19900214123"), "Cecilia").await?;
        let (_, d) = app.case_for(&w.colleague, &pnr("19700605123"), "David").await?;
        app.case_for(&w.social_worker, &pnr("19880808123"), "Erik").await?;
        brought(&app, &w.social_worker, &w.rehab_lead, &a, Some("fordjupad_samverkan")).await?;
        brought(&app, &w.social_worker, &w.rehab_lead, &b, None).await?;
        brought(&app, &w.social_worker, &w.rehab_lead, &c, Some("ingen")).await?;
        brought(&app, &w.colleague, &w.rehab_lead, &d, Some("afu")).await?;
        app.post(&w.rehab_lead, &format!("/api/cases/{a}/fordjupad/phases"),
            json!({"phase": 2, "assessed_on": today(0), "reason": "Arbetsträning"})).await?
            .ensure_status(StatusCode::CREATED, "phase")?;
        app.consent(&w.social_worker, &a, &[&w.clinic], &["fordjupad_samverkan"]).await?;
        app.consent(&w.colleague, &d, &[&w.clinic], &["sip"]).await?;

        let all = app.get(&w.rehab_lead, "/api/fordjupad/caseload").await?;
        assert_eq!(all.status, StatusCode::OK, "{}", all.body);
        assert_eq!(cases(&all), sorted(vec![&a, &b, &d]), "decided ingen and never brought stay out");
        assert_eq!(all.body["phase_scale"]["code"], "jarva", "the filter's scale");
        assert_eq!(all.body["phase_scale"]["phases"][2]["label"], "Kombinerade insatser med en arbetsinriktad");
        let first = item(&all, &a);
        assert_eq!(first["decision"], "fordjupad_samverkan");
        assert_eq!(first["phase"], 2);
        assert_eq!(first["phase_label"], "Kombinerade insatser med en arbetsinriktad");
        assert_eq!(first["individual_name"], "Amina");
        assert_eq!(first["social_worker_id"], w.social_worker.id.to_string());
        assert_eq!(first["last_activity_on"], today(0));
        assert_eq!(first["days_idle"], 0);
        assert_eq!(first["next_follow_up_on"], today(60), "it would escalate after 60 idle days");
        assert_eq!(first["escalations"], json!([]));
        assert_eq!(first["categories"], json!([]));
        assert_eq!(first["shared"], false);
        assert!(item(&all, &b)["decision"].is_null(), "waiting for a decision");

        let by_phase = app.get(&w.rehab_lead, "/api/fordjupad/caseload?phase=2").await?;
        assert_eq!(cases(&by_phase), vec![a.clone()]);
        let by_worker = app.get(&w.rehab_lead,
            &format!("/api/fordjupad/caseload?social_worker_id={}", w.colleague.id)).await?;
        assert_eq!(cases(&by_worker), vec![d.clone()]);
        let by_clinic = app.get(&w.rehab_lead,
            &format!("/api/fordjupad/caseload?clinic_id={}", w.clinic.id)).await?;
        assert_eq!(cases(&by_clinic), vec![a.clone()], "only a consent for fördjupad samverkan covers the clinic");
        let paged = app.get(&w.rehab_lead, "/api/fordjupad/caseload?limit=2&offset=2").await?;
        assert_eq!(paged.body["items"].as_array().map(Vec::len), Some(1));

        let clinic = app.get(&w.coordinator, "/api/fordjupad/caseload").await?;
        assert_eq!(cases(&clinic), vec![a.clone()], "the clinic sees what is shared with it");
        assert_eq!(item(&clinic, &a)["shared"], true);
        let own_meeting = app.get(&w.coordinator,
            &format!("/api/fordjupad/caseload?clinic_id={}", w.clinic.id)).await?;
        assert_eq!(cases(&own_meeting), vec![a.clone()]);
        assert_eq!(cases(&app.get(&w.other_coordinator, "/api/fordjupad/caseload").await?), Vec::<String>::new());
        assert_eq!(cases(&app.get(&w.social_admin, "/api/fordjupad/caseload").await?), Vec::<String>::new());

        for bad in ["phase=6", "limit=0", "offset=-1"] {
            let reply = app.get(&w.rehab_lead, &format!("/api/fordjupad/caseload?{bad}")).await?;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", reply.body);
        }
        let lead = app.audit_actions(&w.rehab_lead).await?;
        assert_eq!(lead.iter().filter(|x| x.0 == "fordjupad.caseload").count(), 3 + 1 + 1 + 1 + 1, "one row per case listed");
        let coordinator = app.audit_actions(&w.coordinator).await?;
        assert_eq!(coordinator.iter().filter(|x| x.0 == "fordjupad.caseload").count(), 2);
        Ok(())
    }

    async fn the_caseload_shows_the_categories_of_the_open_progressionsplan_actions(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        brought(&app, &w.social_worker, &w.rehab_lead, &s.case, Some("fordjupad_samverkan")).await?;
        app.consent(&w.social_worker, &s.case, &[&w.clinic, &w.jobbtorg], &["fordjupad_samverkan"]).await?;
        let id = ok(app.post(&w.social_worker, &format!("/api/cases/{}/plans", s.case),
            json!({"kind": "progressionsplan"})).await?).id();
        let mut body = crate::plans::draft(&s);
        body["actions"][0]["category"] = json!(2);
        body["actions"][1]["category"] = json!(4);
        ok(app.put(&w.social_worker, &format!("/api/plans/{id}/draft"), body).await?);
        ok(app.post(&w.social_worker, &format!("/api/plans/{id}/adopt"), participation(&s)).await?);
        let all = app.get(&w.rehab_lead, "/api/fordjupad/caseload").await?;
        let row = item(&all, &s.case);
        assert_eq!(row["categories"], json!([2, 4]), "{}", all.body);
        assert_eq!(row["next_follow_up_on"], today(30), "the plan's follow-up comes first");
        Ok(())
    }
}
