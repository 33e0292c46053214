//! Every route that takes an id, tried by a user of another organisation: without consent,
//! with consent for another purpose or another organisation, and after the consent ended.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_stores;

struct Ids {
    case: String,
    individual: String,
    consent: String,
    /// A SIP call in the case, to an organisation the consent covers for `sip`.
    sip_call: String,
    /// An adopted SIP plan with an action for the clinic, adopted under a consent since ended.
    plan: String,
    action: String,
    /// A Finsam referral draft of the case to a samordningsförbund.
    referral: String,
    /// A Finsamteam meeting of another förbund and the item on its agenda.
    finsam_meeting: String,
    agenda_item: String,
    /// An escalated follow-up of the case, brought to fördjupad samverkan and left idle.
    escalation: String,
}

/// Brings the case to the rehabansvarig and lets it stand idle until it escalates (the
/// scheduler's clock moved on); returns the escalation's id.
async fn escalation(app: &TestApp, world: &World, case: &str) -> anyhow::Result<String> {
    app.post(
        &world.social_worker,
        &format!("/api/cases/{case}/fordjupad"),
        json!({"note": "Behöver samordning"}),
    )
    .await?
    .ensure_status(StatusCode::CREATED, "bring")?;
    app.scheduler_round(chrono::Utc::now() + chrono::Duration::days(60))
        .await?;
    let list = app
        .get(&world.rehab_lead, "/api/fordjupad/escalations")
        .await?;
    list.ensure_status(StatusCode::OK, "escalations")?;
    Ok(list.body["items"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

/// Drafts a Finsam referral in the case to a förbund (never the outsider).
async fn finsam_referral(app: &TestApp, world: &World, case: &str) -> anyhow::Result<String> {
    let forbund = app
        .organisation(
            "Förbund Test",
            samverkan::domain::OrganisationKind::Samordningsforbund,
        )
        .await?;
    let reply = app
        .post(
            &world.social_worker,
            &format!("/api/cases/{case}/finsam-referrals"),
            json!({"forbund_organisation_id": forbund.id, "why_coordination": "x", "own_goal": "y"}),
        )
        .await?;
    reply.ensure_status(StatusCode::CREATED, "Finsam referral")?;
    Ok(reply.id())
}

/// A Finsamteam meeting of a förbund with an accepted referral of another individual of the
/// social worker's on its agenda; returns (meeting, item). The outsider is in neither.
async fn finsam_meeting(app: &TestApp, world: &World) -> anyhow::Result<(String, String)> {
    use samverkan::domain::{OrganisationKind, Role};
    let forbund = app
        .organisation("Förbund Möte", OrganisationKind::Samordningsforbund)
        .await?;
    let coordinator = app
        .user(&forbund, "fk-koord", &[Role::Finsamkoordinator])
        .await?;
    let (_, case) = app
        .case_for(&world.social_worker, &pnr("19900101123"), "Bo Dagordning")
        .await?;
    let until = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    app.post(&world.social_worker, &format!("/api/cases/{case}/consents"),
        json!({"organisation_ids": [forbund.id], "purposes": ["finsamteam"], "forms": ["skriftligt"],
               "document_reference": "Samtycke 1", "valid_until": until}))
        .await?
        .ensure_status(StatusCode::CREATED, "consent")?;
    let referral = app
        .post(&world.social_worker, &format!("/api/cases/{case}/finsam-referrals"),
            json!({"forbund_organisation_id": forbund.id, "why_coordination": "x", "own_goal": "y"}))
        .await?;
    referral.ensure_status(StatusCode::CREATED, "referral")?;
    let referral = referral.id();
    for (who, step) in [(&world.social_worker, "send"), (&coordinator, "accept")] {
        app.post(
            who,
            &format!("/api/finsam/referrals/{referral}/{step}"),
            json!({}),
        )
        .await?
        .ensure_status(StatusCode::OK, step)?;
    }
    let mut body = TestApp::meeting_body(None, "finsamteam_mote", 24, &[]);
    if let Some(map) = body.as_object_mut() {
        map.remove("case_id");
        map.remove("kind");
    }
    let meeting = app.post(&coordinator, "/api/finsam/meetings", body).await?;
    meeting.ensure_status(StatusCode::CREATED, "Finsam meeting")?;
    let meeting = meeting.body["meeting"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let added = app
        .post(
            &coordinator,
            &format!("/api/finsam/meetings/{meeting}/agenda"),
            json!({"referral_id": referral}),
        )
        .await?;
    added.ensure_status(StatusCode::OK, "agenda")?;
    let item = added.body["agenda"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Ok((meeting, item))
}

/// Calls a SIP in the case to a psykiatrisk mottagning covered for `sip` (never the outsider).
async fn sip_call(app: &TestApp, world: &World, case: &str) -> anyhow::Result<String> {
    let psych = app
        .organisation(
            "Psykiatri Test",
            samverkan::domain::OrganisationKind::Psykiatri,
        )
        .await?;
    app.consent(&world.social_worker, case, &[&psych], &["sip"])
        .await?;
    let reply = app
        .post(
            &world.social_worker,
            &format!("/api/cases/{case}/sip-calls"),
            json!({"purpose_text": "SIP", "questions": "Vem gör vad?", "organisation_ids": [psych.id]}),
        )
        .await?;
    reply.ensure_status(StatusCode::CREATED, "SIP call")?;
    Ok(reply.id())
}

/// An adopted SIP plan of the case naming the clinic, its consent ended at once; returns the
/// plan's and the clinic action's ids.
async fn plan_naming_the_clinic(
    app: &TestApp,
    world: &World,
    case: &str,
) -> anyhow::Result<(String, String)> {
    let w = world;
    let sip = app
        .consent(&w.social_worker, case, &[&w.clinic], &["sip"])
        .await?;
    let plan = app
        .post(
            &w.social_worker,
            &format!("/api/cases/{case}/plans"),
            json!({"kind": "sip"}),
        )
        .await?;
    plan.ensure_status(StatusCode::CREATED, "plan")?;
    let plan = plan.id();
    let action = uuid::Uuid::new_v4().to_string();
    let goal = uuid::Uuid::new_v4().to_string();
    let follow_up = (chrono::Utc::now() + chrono::Duration::days(30)).date_naive();
    let draft = json!({
        "goals": [{"id": goal, "level": "huvudmal", "text": "Arbete"}],
        "actions": [{"id": action, "what": "Bedöma", "responsible": {"organisation_id": w.clinic.id}}],
        "overall": {"organisation_id": w.social.id},
        "follow_up_on": follow_up,
    });
    app.put(&w.social_worker, &format!("/api/plans/{plan}/draft"), draft)
        .await?
        .ensure_status(StatusCode::OK, "draft")?;
    app.post(&w.social_worker, &format!("/api/plans/{plan}/adopt"),
        json!({"organisations": [w.social.id, w.clinic.id], "individual_present": true, "agreement": "muntligt"})).await?
        .ensure_status(StatusCode::OK, "adopt")?;
    app.end_consent(&w.social_worker, &sip)
        .await?
        .ensure_status(StatusCode::OK, "end")?;
    Ok((plan, action))
}

/// (method, path, body) for every id-taking route that touches individual data.
fn routes(ids: &Ids, purpose: &str) -> Vec<(Method, String, Option<Value>)> {
    let reason = json!({"reason": "test"});
    let until = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    let plan = |suffix: &str| format!("/api/plans/{}{suffix}", ids.plan);
    let participation =
        json!({"organisations": [], "individual_present": true, "agreement": "muntligt"});
    let referral = |suffix: &str| format!("/api/finsam/referrals/{}{suffix}", ids.referral);
    let team = |suffix: &str| format!("/api/finsam/meetings/{}{suffix}", ids.finsam_meeting);
    let item = |suffix: &str| team(&format!("/agenda/{}{suffix}", ids.agenda_item));
    vec![
        (Method::GET, team(""), None),
        (
            Method::POST,
            team("/agenda"),
            Some(json!({"referral_id": ids.referral})),
        ),
        (
            Method::PUT,
            team("/agenda"),
            Some(json!({"item_ids": [ids.agenda_item]})),
        ),
        (Method::POST, team("/publish"), None),
        (
            Method::POST,
            item("/record"),
            Some(json!({"decision": "postponed", "next_step": "Nästa möte"})),
        ),
        (Method::DELETE, item(""), None),
        (
            Method::POST,
            format!("/api/cases/{}/finsam-referrals", ids.case),
            Some(json!({"forbund_organisation_id": uuid::Uuid::new_v4()})),
        ),
        (Method::GET, referral(""), None),
        (Method::PATCH, referral(""), Some(json!({}))),
        (Method::POST, referral("/send"), Some(json!({}))),
        (Method::POST, referral("/withdraw"), Some(json!({}))),
        (
            Method::POST,
            referral("/return"),
            Some(json!({"question": "Vad?"})),
        ),
        (
            Method::POST,
            referral("/complete"),
            Some(json!({"answer": "Detta."})),
        ),
        (Method::POST, referral("/accept"), Some(json!({}))),
        (
            Method::POST,
            referral("/follow-up"),
            Some(json!({"progress": "Framsteg"})),
        ),
        (
            Method::POST,
            referral("/close"),
            Some(json!({"outcome": "transfer_af"})),
        ),
        (Method::GET, referral("/follow-ups"), None),
        (
            Method::POST,
            referral("/decline"),
            Some(json!({"reason": "other", "text": "Nej."})),
        ),
        (
            Method::GET,
            format!("/api/cases/{}/fordjupad", ids.case),
            None,
        ),
        (
            Method::POST,
            format!("/api/cases/{}/fordjupad", ids.case),
            Some(json!({"note": "Behöver samordning"})),
        ),
        (
            Method::POST,
            format!("/api/cases/{}/fordjupad/decision", ids.case),
            Some(json!({"decision": "ingen", "decided_on": "2026-01-01", "reason": "test"})),
        ),
        (
            Method::GET,
            format!("/api/cases/{}/fordjupad/phases", ids.case),
            None,
        ),
        (
            Method::POST,
            format!("/api/cases/{}/fordjupad/phases", ids.case),
            Some(json!({"phase": 1, "assessed_on": "2026-01-01", "reason": "test"})),
        ),
        (
            Method::POST,
            format!("/api/fordjupad/escalations/{}/clear", ids.escalation),
            Some(json!({"note": "Jag tar över"})),
        ),
        (Method::GET, format!("/api/cases/{}/plans", ids.case), None),
        (
            Method::POST,
            format!("/api/cases/{}/plans", ids.case),
            Some(json!({"kind": "sip"})),
        ),
        (Method::GET, plan(""), None),
        (Method::PUT, plan("/draft"), Some(json!({}))),
        (Method::POST, plan("/adopt"), Some(participation)),
        (Method::POST, plan("/revise"), None),
        (Method::POST, plan("/discard"), None),
        (Method::POST, plan("/close"), None),
        (Method::GET, plan("/versions"), None),
        (
            Method::POST,
            plan("/follow-up-meeting"),
            Some(
                json!({"starts_at": until.clone(), "ends_at": until.clone(), "location": "Rum 1"}),
            ),
        ),
        (Method::GET, plan("/versions/1"), None),
        (
            Method::PATCH,
            plan(&format!("/actions/{}", ids.action)),
            Some(json!({"status": "done"})),
        ),
        (
            Method::POST,
            plan(&format!("/actions/{}/take", ids.action)),
            None,
        ),
        (
            Method::GET,
            plan(&format!("/actions/{}/steps", ids.action)),
            None,
        ),
        (
            Method::POST,
            plan(&format!("/actions/{}/steps", ids.action)),
            Some(json!({"step": "referral_with_consent", "done_on": "2026-01-01"})),
        ),
        (
            Method::GET,
            format!("/api/cases/{}?purpose={purpose}", ids.case),
            None,
        ),
        (
            Method::GET,
            format!("/api/cases/{}/consents?purpose={purpose}", ids.case),
            None,
        ),
        (
            Method::GET,
            format!("/api/cases/{}/responsibility?purpose={purpose}", ids.case),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/cases/{}", ids.case),
            Some(json!({"title": "kapad"})),
        ),
        (
            Method::PUT,
            format!("/api/cases/{}/legal-hold", ids.case),
            Some(json!({"reason": "kapad"})),
        ),
        (
            Method::DELETE,
            format!("/api/cases/{}/legal-hold", ids.case),
            None,
        ),
        (
            Method::POST,
            format!("/api/cases/{}/consents", ids.case),
            Some(
                json!({"organisation_ids": [], "purposes": ["sip"], "forms": ["muntligt"], "valid_until": until}),
            ),
        ),
        (
            Method::GET,
            format!("/api/individuals/{}", ids.individual),
            None,
        ),
        (Method::GET, format!("/api/consents/{}", ids.consent), None),
        (
            Method::POST,
            format!("/api/consents/{}/end", ids.consent),
            Some(reason.clone()),
        ),
        (
            Method::POST,
            format!("/api/consents/{}/annul", ids.consent),
            Some(reason),
        ),
        (
            Method::POST,
            format!("/api/consents/{}/confirm", ids.consent),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/api/cases/{}/sip-calls", ids.case),
            Some(
                json!({"purpose_text": "SIP", "questions": "Vem?", "organisation_ids": [uuid::Uuid::new_v4()]}),
            ),
        ),
        (
            Method::GET,
            format!("/api/cases/{}/sip-calls", ids.case),
            None,
        ),
        (
            Method::GET,
            format!("/api/sip-calls/{}", ids.sip_call),
            None,
        ),
        (
            Method::POST,
            format!("/api/sip-calls/{}/answer", ids.sip_call),
            Some(
                json!({"answer": "other_time", "proposed_time": {"starts_at": until, "ends_at": until}}),
            ),
        ),
        (
            Method::POST,
            format!("/api/sip-calls/{}/book", ids.sip_call),
            Some(json!({"starts_at": until, "ends_at": until, "location": "Rum 1"})),
        ),
        (
            Method::POST,
            format!("/api/sip-calls/{}/cancel", ids.sip_call),
            None,
        ),
    ]
}

async fn call(
    app: &TestApp,
    user: &TestUser,
    method: &Method,
    path: &str,
    body: &Option<Value>,
) -> anyhow::Result<Reply> {
    let mut builder = app
        .client
        .request(method.clone(), app.url(path))
        .bearer_auth(&user.token);
    if let Some(body) = body {
        builder = builder.json(body);
    }
    app.raw(builder).await
}

async fn denied_rows_for(app: &TestApp, user: &TestUser) -> anyhow::Result<usize> {
    let id = user.id.to_string();
    Ok(app
        .audit_rows()
        .await?
        .iter()
        .filter(|r| r.outcome == "denied" && r.user_id.as_deref() == Some(id.as_str()))
        .count())
}

/// Asserts 404 with the not-found problem on every route (the consent routes aside when
/// `skip_consent_routes`, for a consent the outsider is not covered by at all), each attempt audited.
async fn assert_all_not_found(
    app: &TestApp,
    user: &TestUser,
    ids: &Ids,
    purpose: &str,
) -> anyhow::Result<()> {
    for (method, path, body) in routes(ids, purpose) {
        let before = denied_rows_for(app, user).await?;
        let reply = call(app, user, &method, &path, &body).await?;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            reply.body
        );
        assert_eq!(reply.body["code"], "not_found", "{method} {path}");
        assert_eq!(
            denied_rows_for(app, user).await?,
            before + 1,
            "{method} {path} must be audited as denied"
        );
    }
    let list = app
        .get(user, &format!("/api/cases?purpose={purpose}"))
        .await?;
    assert_eq!(list.body["items"], json!([]), "the list hides it too");
    for list in ["/api/fordjupad/caseload", "/api/fordjupad/escalations"] {
        let reply = app.get(user, list).await?;
        assert_eq!(reply.status, StatusCode::OK, "{list}");
        assert_eq!(reply.body["items"], json!([]), "{list} hides it too");
    }
    Ok(())
}

on_both_stores! {
    async fn another_organisation_gets_404_without_consent_with_the_wrong_purpose_and_after_ending(app) {
        let world = app.world().await?;
        let (individual, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina").await?;
        // A consent naming Jobbtorg only: the clinic is not covered at all.
        let consent = app.consent(&world.social_worker, &case, &[&world.jobbtorg], &["rehabiliteringsforfragan"]).await?;
        let sip = sip_call(&app, &world, &case).await?;
        let (plan, action) = plan_naming_the_clinic(&app, &world, &case).await?;
        let referral = finsam_referral(&app, &world, &case).await?;
        let (finsam_meeting, agenda_item) = finsam_meeting(&app, &world).await?;
        let escalation = escalation(&app, &world, &case).await?;
        assert!(!escalation.is_empty(), "the case escalated");
        let ids = Ids { case: case.clone(), individual, consent, sip_call: sip, plan, action, referral, finsam_meeting, agenda_item, escalation };
        assert_all_not_found(&app, &world.coordinator, &ids, "rehabiliteringsforfragan").await?;

        // Consent naming the clinic, but for SIP only.
        let sip = app.consent(&world.social_worker, &case, &[&world.clinic], &["sip"]).await?;
        for path in [format!("/api/cases/{case}?purpose=rehabiliteringsforfragan"), format!("/api/cases/{case}/consents?purpose=rehabiliteringsforfragan")] {
            let reply = app.get(&world.coordinator, &path).await?;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        }
        let list = app.get(&world.coordinator, "/api/cases?purpose=rehabiliteringsforfragan").await?;
        assert_eq!(list.body["items"], json!([]));
        let ended_sip = app.end_consent(&world.social_worker, &sip).await?;
        assert_eq!(ended_sip.status, StatusCode::OK);

        // Consent for the right purpose: now the clinic sees the case, read under that consent.
        let right = app.consent(&world.social_worker, &case, &[&world.clinic], &["rehabiliteringsforfragan"]).await?;
        let seen = app.get(&world.coordinator, &format!("/api/cases/{case}?purpose=rehabiliteringsforfragan")).await?;
        assert_eq!(seen.status, StatusCode::OK);
        assert_eq!(seen.body["access"]["consent_id"], right);
        let row = app.audit_rows().await?.into_iter().rev().find(|r| r.action == "case.read").unwrap();
        assert_eq!(row.consent_id.as_deref(), Some(right.as_str()));
        assert_eq!(row.purpose.as_deref(), Some("rehabiliteringsforfragan"));
        assert_eq!(row.organisation_id.as_deref(), Some(world.clinic.id.to_string().as_str()));
        // Still not the owner: changes are refused openly, not hidden.
        let patch = app.patch(&world.coordinator, &format!("/api/cases/{case}"), json!({"title": "x"})).await?;
        assert_eq!(patch.status, StatusCode::FORBIDDEN);
        // Another clinic is still out.
        assert_eq!(app.get(&world.other_coordinator, &format!("/api/cases/{case}")).await?.status, StatusCode::NOT_FOUND);

        // Ended: 404 again everywhere, from the commit on.
        assert_eq!(app.end_consent(&world.social_worker, &right).await?.status, StatusCode::OK);
        let ids = Ids {
            case,
            individual: ids.individual,
            consent: right,
            sip_call: ids.sip_call,
            plan: ids.plan,
            action: ids.action,
            referral: ids.referral,
            finsam_meeting: ids.finsam_meeting,
            agenda_item: ids.agenda_item,
            escalation: ids.escalation,
        };
        assert_all_not_found(&app, &world.coordinator, &ids, "rehabiliteringsforfragan").await?;
        Ok(())
    }

    async fn a_consent_that_has_expired_or_not_yet_started_grants_nothing(app) {
        let world = app.world().await?;
        let (_, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina").await?;
        let from = chrono::Utc::now() + chrono::Duration::days(2);
        let until = chrono::Utc::now() + chrono::Duration::days(20);
        let reply = app.post(&world.social_worker, &format!("/api/cases/{case}/consents"), json!({
            "organisation_ids": [world.clinic.id], "purposes": ["sip"], "forms": ["muntligt"],
            "valid_from": from.to_rfc3339(), "valid_until": until.to_rfc3339()})).await?;
        assert_eq!(reply.status, StatusCode::CREATED);
        assert_eq!(reply.body["in_force"], false);
        assert_eq!(app.get(&world.coordinator, &format!("/api/cases/{case}")).await?.status, StatusCode::NOT_FOUND);
        Ok(())
    }

    async fn the_access_extract_is_only_for_admins_of_related_organisations(app) {
        let world = app.world().await?;
        let (individual, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina").await?;
        app.consent(&world.social_worker, &case, &[&world.clinic], &["sip"]).await?;
        let path = format!("/api/individuals/{individual}/access-log");
        assert_eq!(app.get(&world.clinic_admin, &path).await?.status, StatusCode::NOT_FOUND);
        let not_admin = app.get(&world.social_worker, &path).await?;
        assert_eq!(not_admin.status, StatusCode::FORBIDDEN, "admins only");
        assert_eq!(not_admin.body["code"], "admin_required");
        assert_eq!(app.get(&world.social_admin, &path).await?.status, StatusCode::OK);
        Ok(())
    }

    async fn malformed_and_unknown_ids_are_plain_404s(app) {
        let world = app.world().await?;
        for path in ["/api/cases/not-a-uuid", "/api/consents/123", &format!("/api/cases/{}", uuid::Uuid::new_v4())] {
            let reply = app.get(&world.social_worker, path).await?;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
            assert_eq!(reply.content_type, "application/problem+json");
        }
        Ok(())
    }
}
