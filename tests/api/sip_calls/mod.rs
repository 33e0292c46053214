//! SIP calls (kallelse till SIP): the consent gate per called organisation, obliged and
//! optional parties, answers and who is told, the boxes and counts, chasing, revocation at
//! commit, audit rows and events. Booking and cancelling are in `booking`.

use reqwest::StatusCode;
use samverkan::domain::{OrganisationKind, Role};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::inquiries::ok;
use crate::on_both_stores;

mod booking;

pub struct Sip {
    pub world: World,
    pub af: TestOrg,
    pub af_user: TestUser,
    pub case: String,
    /// The consent covering the clinic (and AF) for `sip`.
    pub consent: String,
}

/// A case at social services, AF with a handläggare, and a consent covering the clinic and AF
/// for SIP.
pub async fn sip_setup(app: &TestApp) -> anyhow::Result<Sip> {
    let world = app.world().await?;
    let af = app
        .organisation(
            "Arbetsförmedlingen Test",
            OrganisationKind::Arbetsformedlingen,
        )
        .await?;
    let af_user = app.user(&af, "af", &[Role::Arbetsformedlare]).await?;
    let (_, case) = app
        .case_for(
            &world.social_worker,
            &pnr("19850312123"),
            "Amina Kanariesson",
        )
        .await?;
    let consent = app
        .consent(&world.social_worker, &case, &[&world.clinic, &af], &["sip"])
        .await?;
    Ok(Sip {
        world,
        af,
        af_user,
        case,
        consent,
    })
}

pub fn at(hours: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(hours))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn call_body(orgs: &[&TestOrg]) -> Value {
    json!({
        "purpose_text": "Samordna insatser kring arbete och hälsa.",
        "questions": "Vem gör vad under hösten?",
        "proposed_times": [{"starts_at": at(72), "ends_at": at(73)}],
        "organisation_ids": orgs.iter().map(|o| o.id.to_string()).collect::<Vec<_>>(),
        "attendees": [{"name": "Amina Kanariesson", "role": "individual"}, {"name": "Bror Kanariesson", "role": "relative"}],
        "requested_by_individual_on": (chrono::Utc::now() - chrono::Duration::days(3)).date_naive().to_string(),
    })
}

/// Calls the clinic and AF in the case; returns the call's id.
pub async fn call_sip(app: &TestApp, s: &Sip) -> anyhow::Result<String> {
    let reply = app
        .post(
            &s.world.social_worker,
            &format!("/api/cases/{}/sip-calls", s.case),
            call_body(&[&s.world.clinic, &s.af]),
        )
        .await?;
    reply.ensure_status(StatusCode::CREATED, "SIP call")?;
    Ok(reply.id())
}

fn party<'a>(call: &'a Value, org: &TestOrg) -> &'a Value {
    call["parties"]
        .as_array()
        .and_then(|p| {
            p.iter()
                .find(|p| p["organisation_id"] == org.id.to_string())
        })
        .expect("the organisation is a party")
}

async fn count_rows(app: &TestApp, table: &str) -> anyhow::Result<i64> {
    let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(app.store.pool())
        .await?;
    Ok(n)
}

on_both_stores! {
    async fn each_called_organisation_must_be_covered_by_a_sip_consent_of_the_case_owner(app) {
        let world = app.world().await?;
        let w = &world;
        let af = app.organisation("Arbetsförmedlingen Test", OrganisationKind::Arbetsformedlingen).await?;
        let (_, case) = app.case_for(&w.social_worker, &pnr("19850312123"), "Amina").await?;
        let path = format!("/api/cases/{case}/sip-calls");
        app.consent(&w.social_worker, &case, &[&w.clinic], &["sip"]).await?;
        // AF is covered, but for another purpose.
        app.consent(&w.social_worker, &case, &[&af], &["informationsutbyte"]).await?;
        let refused = app.post(&w.social_worker, &path, call_body(&[&w.clinic, &af])).await?;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
        assert_eq!(refused.body["code"], "consent_missing");
        let detail = refused.body["detail"].as_str().unwrap();
        assert!(detail.contains("Arbetsförmedlingen Test") && !detail.contains("Vårdcentral Alfa"), "{detail}");
        assert!(detail.contains("SIP"), "names the purpose: {detail}");
        assert_eq!(count_rows(&app, "sip_calls").await?, 0, "nothing stored");

        app.consent(&w.social_worker, &case, &[&af], &["sip"]).await?;
        let created = app.post(&w.social_worker, &path, call_body(&[&w.clinic, &af])).await?;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let call = &created.body;
        assert_eq!(call["state"], "called");
        assert_eq!(call["caller_organisation_id"], w.social.id.to_string());
        assert_eq!(party(call, &w.clinic)["obligation"], "obliged");
        assert_eq!(party(call, &af)["obligation"], "optional");
        assert_eq!(party(call, &af)["answer"], "pending");
        assert_eq!(call["not_answered"].as_array().unwrap().len(), 2);
        assert_eq!(call["attendees"][0], json!({"name": "Amina Kanariesson", "role": "individual"}));
        assert_eq!(call["attendees"][1]["role"], "relative");
        assert_eq!(call["days_from_request"], Value::Null, "no meeting yet");
        assert_eq!(call["may"], json!({"answer": false, "book": true, "cancel": true}));
        let id = created.id();
        let events = app.events_about(&id).await?;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].kind, "sip_call.created");
        assert_eq!(events[0].purpose.as_deref(), Some("sip"));
        let mut orgs = vec![w.social.id.to_string(), w.clinic.id.to_string(), af.id.to_string()];
        orgs.sort();
        assert_eq!(events[0].organisations(), orgs);
        let actions = app.audit_actions(&w.social_worker).await?;
        assert!(actions.contains(&("sip_call.create".to_owned(), "allowed".to_owned())), "{actions:?}");
        // The clinic's case workers are told; the call is in their shared inbox.
        assert_eq!(app.notification_kinds(&w.coordinator).await?, ["sip_call_received"]);
        assert_eq!(app.notification_kinds(&w.other_coordinator).await?, Vec::<String>::new());
        Ok(())
    }

    async fn the_call_is_checked_field_by_field_and_only_the_case_owner_calls(app) {
        let s = sip_setup(&app).await?;
        let w = &s.world;
        let path = format!("/api/cases/{}/sip-calls", s.case);
        let mut body = call_body(&[&w.social, &s.af, &s.af]);
        body["proposed_times"] = json!([{"starts_at": at(-30), "ends_at": at(-31)}]);
        body["requested_by_individual_on"] = json!((chrono::Utc::now() + chrono::Duration::days(3)).date_naive().to_string());
        let bad = app.post(&w.social_worker, &path, body).await?;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        let codes = bad.field_codes();
        for expected in [
            ("organisation_ids[0]", "own_organisation"),
            ("organisation_ids[2]", "duplicate"),
            ("proposed_times[0].ends_at", "end_before_start"),
            ("proposed_times[0].starts_at", "in_the_past"),
            ("requested_by_individual_on", "in_the_future"),
        ] {
            assert!(codes.contains(&(expected.0.to_owned(), expected.1.to_owned())), "{expected:?} in {codes:?}");
        }
        let only_af = app.post(&w.social_worker, &path, call_body(&[&s.af])).await?;
        assert_eq!(only_af.field_codes(), [("organisation_ids".to_owned(), "needs_both_principals".to_owned())]);
        let mut unknown = call_body(&[&w.clinic]);
        unknown["organisation_ids"] = json!([w.clinic.id, uuid::Uuid::new_v4()]);
        let unknown = app.post(&w.social_worker, &path, unknown).await?;
        assert_eq!(unknown.field_codes(), [("organisation_ids[1]".to_owned(), "unknown_organisation".to_owned())]);
        // The clinic sees the case under the consent but does not own it.
        let clinic = app.post(&w.coordinator, &path, call_body(&[&w.social])).await?;
        assert_eq!(clinic.status, StatusCode::FORBIDDEN);
        assert_eq!(clinic.body["code"], "not_case_owner");
        let outsider = app.post(&w.other_coordinator, &path, call_body(&[&w.clinic])).await?;
        assert_eq!(outsider.status, StatusCode::NOT_FOUND);
        assert_eq!(count_rows(&app, "sip_calls").await?, 0);
        Ok(())
    }

    async fn obliged_parties_cannot_decline_and_optional_ones_decline_with_a_reason(app) {
        let s = sip_setup(&app).await?;
        let w = &s.world;
        let id = call_sip(&app, &s).await?;
        let answer = format!("/api/sip-calls/{id}/answer");
        let declined = app.post(&w.coordinator, &answer, json!({"answer": "declined", "decline_reason": "no_open_matter"})).await?;
        assert_eq!(declined.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(declined.field_codes(), [("answer".to_owned(), "obliged_cannot_decline".to_owned())]);
        let no_one = app.post(&w.coordinator, &answer, json!({"answer": "coming"})).await?;
        assert_eq!(no_one.field_codes(), [("coming".to_owned(), "required".to_owned())]);
        let stranger = app.post(&w.coordinator, &answer, json!({"answer": "coming", "coming": [w.social_worker.id]})).await?;
        assert_eq!(stranger.field_codes(), [("coming[0]".to_owned(), "invalid_person".to_owned())]);
        let no_time = app.post(&w.coordinator, &answer, json!({"answer": "other_time"})).await?;
        assert_eq!(no_time.field_codes(), [("proposed_time".to_owned(), "required".to_owned())]);
        let pending = app.post(&w.coordinator, &answer, json!({"answer": "pending"})).await?;
        assert_eq!(pending.field_codes(), [("answer".to_owned(), "not_an_answer".to_owned())]);
        let caller = app.post(&w.social_worker, &answer, json!({"answer": "coming", "coming": [w.social_worker.id]})).await?;
        assert_eq!(caller.status, StatusCode::FORBIDDEN);
        assert_eq!(caller.body["code"], "wrong_party");
        assert_eq!(app.notification_kinds(&w.social_worker).await?, Vec::<String>::new(), "nothing answered yet");

        let coming = ok(app.post(&w.coordinator, &answer, json!({"answer": "coming", "coming": [w.coordinator.id]})).await?);
        let clinic = party(&coming.body, &w.clinic);
        assert_eq!(clinic["answer"], "coming");
        assert_eq!(clinic["coming"], json!([w.coordinator.id.to_string()]));
        assert_eq!(clinic["coming_people"][0]["name"], "Test rk");
        assert!(clinic["answered_at"].is_string());
        assert_eq!(coming.body["not_answered"], json!([s.af.id.to_string()]));

        let no_text = app.post(&s.af_user, &answer, json!({"answer": "declined", "decline_reason": "other"})).await?;
        assert_eq!(no_text.field_codes(), [("text".to_owned(), "required".to_owned())]);
        let af = ok(app.post(&s.af_user, &answer, json!({"answer": "declined", "decline_reason": "no_open_matter", "text": "Inget pågående ärende."})).await?);
        let af_party = party(&af.body, &s.af);
        assert_eq!(af_party["answer"], "declined");
        assert_eq!(af_party["decline_reason"], "no_open_matter");
        assert_eq!(af_party["text"], "Inget pågående ärende.");
        assert_eq!(af.body["not_answered"], json!([]));

        // Each answer tells the caller (who is also the case's responsible: once each).
        assert_eq!(app.notification_kinds(&w.social_worker).await?, ["sip_call_answered", "sip_call_answered"]);
        let kinds: Vec<String> = app.events_about(&id).await?.into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds, ["sip_call.created", "sip_call.answered", "sip_call.answered"]);
        let rows = app.audit_rows().await?;
        for (user, action) in [(&w.coordinator, "sip_call.answer"), (&s.af_user, "sip_call.answer")] {
            let id = user.id.to_string();
            assert!(rows.iter().any(|r| r.action == action && r.outcome == "allowed" && r.user_id.as_deref() == Some(id.as_str()) && r.purpose.as_deref() == Some("sip") && r.consent_id.as_deref() == Some(s.consent.as_str())), "{action} by {id}");
        }
        Ok(())
    }

    async fn the_inbox_and_sent_lists_and_the_count_show_each_organisation_its_own(app) {
        let s = sip_setup(&app).await?;
        let w = &s.world;
        let id = call_sip(&app, &s).await?;
        let items = |reply: &Reply| reply.body["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
        assert_eq!(items(&app.get(&w.coordinator, "/api/sip-calls?box=inbox").await?), vec![id.clone()]);
        assert_eq!(items(&app.get(&w.coordinator, "/api/sip-calls").await?), vec![id.clone()], "inbox by default");
        assert!(items(&app.get(&w.coordinator, "/api/sip-calls?box=sent").await?).is_empty());
        assert_eq!(items(&app.get(&w.social_worker, "/api/sip-calls?box=sent").await?), vec![id.clone()]);
        assert!(items(&app.get(&w.social_worker, "/api/sip-calls?box=inbox").await?).is_empty());
        assert!(items(&app.get(&w.other_coordinator, "/api/sip-calls").await?).is_empty());
        assert!(items(&app.get(&w.clinic_admin, "/api/sip-calls").await?).is_empty(), "admins see no case work");
        assert_eq!(items(&app.get(&w.social_worker, &format!("/api/cases/{}/sip-calls", s.case)).await?), vec![id.clone()]);
        assert_eq!(items(&app.get(&s.af_user, &format!("/api/cases/{}/sip-calls", s.case)).await?), vec![id.clone()]);
        // Jobbtorg sees the case for another purpose, not for SIP: no calls, not even the list's 404.
        app.consent(&w.social_worker, &s.case, &[&w.jobbtorg], &["informationsutbyte"]).await?;
        let coach = app.user(&w.jobbtorg, "coach", &[Role::Jobbcoach]).await?;
        let theirs = ok(app.get(&coach, &format!("/api/cases/{}/sip-calls", s.case)).await?);
        assert_eq!(theirs.body["items"], json!([]));
        assert_eq!(app.get(&w.other_coordinator, &format!("/api/cases/{}/sip-calls", s.case)).await?.status, StatusCode::NOT_FOUND);
        let bad = app.get(&w.coordinator, "/api/sip-calls?box=outbox").await?;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let list_rows = app.audit_rows().await?.into_iter().filter(|r| r.action == "sip_call.list" && r.user_id.as_deref() == Some(w.coordinator.id.to_string().as_str())).count();
        assert_eq!(list_rows, 2, "each listed call audited");

        assert_eq!(app.get(&w.coordinator, "/api/sip-calls/counts").await?.body, json!({"unanswered": 1}));
        assert_eq!(app.get(&w.social_worker, "/api/sip-calls/counts").await?.body, json!({"unanswered": 0}));
        ok(app.post(&w.coordinator, &format!("/api/sip-calls/{id}/answer"), json!({"answer": "other_time", "coming": [w.coordinator.id], "proposed_time": {"starts_at": at(96), "ends_at": at(97)}})).await?);
        assert_eq!(app.get(&w.coordinator, "/api/sip-calls/counts").await?.body, json!({"unanswered": 0}));
        assert_eq!(app.get(&s.af_user, "/api/sip-calls/counts").await?.body, json!({"unanswered": 1}));
        let read = ok(app.get(&w.coordinator, &format!("/api/sip-calls/{id}")).await?);
        assert_eq!(party(&read.body, &w.clinic)["proposed_time"]["starts_at"].as_str().map(|t| t.len()), Some(20));
        let actions = app.audit_actions(&w.coordinator).await?;
        assert_eq!(actions.last().unwrap(), &("sip_call.read".to_owned(), "allowed".to_owned()));
        Ok(())
    }

    async fn a_silent_obliged_party_is_chased_once_and_the_caller_sees_it(app) {
        let s = sip_setup(&app).await?;
        let w = &s.world;
        let id = call_sip(&app, &s).await?;
        let now = chrono::Utc::now();
        let round = app.scheduler_round(now).await?;
        assert_eq!(round.sip_chases, 0, "too early");
        // Five days later (sip.chase_after_days = 5): the clinic (obliged) is chased, AF is not.
        let later = now + chrono::Duration::days(5) + chrono::Duration::minutes(1);
        assert_eq!(app.scheduler_round(later).await?.sip_chases, 1);
        assert_eq!(app.scheduler_round(later).await?.sip_chases, 0, "once");
        let restarted = app.restart().await?;
        assert_eq!(restarted.scheduler_round(later + chrono::Duration::days(1)).await?.sip_chases, 0, "once across restarts");
        let app = restarted;
        assert_eq!(app.notification_kinds(&w.coordinator).await?, ["sip_call_received", "sip_call_chased"]);
        assert!(!app.notification_kinds(&s.af_user).await?.contains(&"sip_call_chased".to_owned()));
        let call = ok(app.get(&w.social_worker, &format!("/api/sip-calls/{id}")).await?).body;
        assert!(party(&call, &w.clinic)["chased_at"].is_string());
        assert_eq!(party(&call, &s.af)["chased_at"], Value::Null);
        assert_eq!(call["not_answered"].as_array().unwrap().len(), 2, "the caller sees who has not answered");
        Ok(())
    }

    async fn a_called_organisation_whose_consent_ends_loses_the_call_at_commit(app) {
        let s = sip_setup(&app).await?;
        let w = &s.world;
        let id = call_sip(&app, &s).await?;
        let path = format!("/api/sip-calls/{id}");
        ok(app.get(&w.coordinator, &path).await?);
        ok(app.post(&w.coordinator, &format!("{path}/answer"), json!({"answer": "coming", "coming": [w.coordinator.id]})).await?);
        ok(app.end_consent(&w.social_worker, &s.consent).await?);
        for (method, suffix, body) in [
            (reqwest::Method::GET, "", None),
            (reqwest::Method::POST, "/answer", Some(json!({"answer": "coming", "coming": [w.coordinator.id]}))),
        ] {
            let before = app.audit_actions(&w.coordinator).await?.len();
            let reply = call(&app, &w.coordinator, method, &format!("{path}{suffix}"), body).await?;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{suffix}: {}", reply.body);
            let after = app.audit_actions(&w.coordinator).await?;
            assert_eq!(after.len(), before + 1);
            assert_eq!(after.last().unwrap().1, "denied");
        }
        assert_eq!(app.get(&w.coordinator, "/api/sip-calls").await?.body["items"], json!([]));
        assert_eq!(app.get(&w.coordinator, "/api/sip-calls/counts").await?.body, json!({"unanswered": 0}));
        // The caller keeps its call; the clinic that answered hears that its access ended.
        assert_eq!(ok(app.get(&w.social_worker, &path).await?).body["state"], "called");
        assert!(app.notification_kinds(&w.coordinator).await?.contains(&"access_revoked".to_owned()));
        Ok(())
    }

    async fn the_sip_plan_adopted_from_the_call_holds_it(app) {
        let s = sip_setup(&app).await?;
        let w = &s.world;
        let id = call_sip(&app, &s).await?;
        let plans = format!("/api/cases/{}/plans", s.case);
        // Only a SIP comes from a call, and only from a call of this case.
        let wrong_kind = app.post(&w.social_worker, &plans, json!({"kind": "progressionsplan", "sip_call_id": id})).await?;
        assert_eq!(wrong_kind.field_codes(), vec![("sip_call_id".to_owned(), "invalid_sip_call".to_owned())]);
        let (_, other_case) = app.case_for(&w.social_worker, &pnr("19900101123"), "Annan Person").await?;
        let elsewhere = app.post(&w.social_worker, &format!("/api/cases/{other_case}/plans"), json!({"kind": "sip", "sip_call_id": id})).await?;
        assert_eq!(elsewhere.field_codes(), vec![("sip_call_id".to_owned(), "invalid_sip_call".to_owned())]);
        let created = app.post(&w.social_worker, &plans, json!({"kind": "sip", "sip_call_id": id})).await?;
        created.ensure_status(StatusCode::CREATED, "plan from the call")?;
        assert_eq!(created.body["sip_call_id"], id);
        let plan = created.id();
        let goal = uuid::Uuid::new_v4().to_string();
        let follow_up = (chrono::Utc::now() + chrono::Duration::days(60)).date_naive();
        let draft = json!({
            "goals": [{"id": goal, "level": "huvudmal", "text": "Arbete"}],
            "actions": [
                {"what": "Bedöma arbetsförmågan", "responsible": {"organisation_id": w.clinic.id}, "goal_id": goal},
                {"what": "Kartlägga", "responsible": {"organisation_id": s.af.id}, "goal_id": goal},
            ],
            "overall": {"organisation_id": w.social.id},
            "follow_up_on": follow_up,
        });
        ok(app.put(&w.social_worker, &format!("/api/plans/{plan}/draft"), draft).await?);
        let call = ok(app.get(&w.social_worker, &format!("/api/sip-calls/{id}")).await?).body;
        assert_eq!(call["state"], "called", "a draft does not hold the call");
        ok(app.post(&w.social_worker, &format!("/api/plans/{plan}/adopt"),
            json!({"organisations": [w.social.id, w.clinic.id, s.af.id], "individual_present": true, "agreement": "muntligt"})).await?);
        let call = ok(app.get(&w.social_worker, &format!("/api/sip-calls/{id}")).await?).body;
        assert_eq!(call["state"], "held");
        assert_eq!(call["plan_id"], plan);
        assert_eq!(call["may"], json!({"answer": false, "book": false, "cancel": false}));
        assert_eq!(app.events_about(&id).await?.last().unwrap().kind, "sip_call.held");
        let holds = app
            .audit_rows()
            .await?
            .into_iter()
            .filter(|row| row.action == "sip_call.hold")
            .count();
        assert_eq!(holds, 1, "the hold is audited once");
        // A held call takes no more answers; a revision adopted later does not hold it again.
        let answer = app.post(&s.af_user, &format!("/api/sip-calls/{id}/answer"), json!({"answer": "declined", "decline_reason": "no_open_matter"})).await?;
        assert_eq!(answer.status, StatusCode::CONFLICT);
        assert_eq!(answer.body["code"], "invalid_transition");
        let mut tx = app.store.begin().await?;
        assert!(!samverkan::store::sip_calls::mark_held(&mut tx, id.parse()?, plan.parse()?).await?, "once");
        tx.commit().await?;
        Ok(())
    }
}

on_both_stores! {
    async fn the_openapi_document_describes_the_sip_bodies_as_the_server_takes_them(app) {
        let doc = app.openapi().await?;
        let body_of = |path: &str| {
            let reference = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                .as_str()
                .unwrap_or_default()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            doc["components"]["schemas"][reference.as_str()].clone()
        };
        // Schemas are named globally: a same-named meeting schema must not stand in for these.
        let answer = body_of("/api/sip-calls/{id}/answer");
        assert!(answer["properties"]["coming"].is_object(), "{answer}");
        assert!(answer["properties"]["decline_reason"].is_object(), "{answer}");
        let call = body_of("/api/cases/{id}/sip-calls");
        let attendee = call["properties"]["attendees"]["items"]["$ref"].as_str().unwrap_or_default().rsplit('/').next().unwrap_or_default().to_owned();
        let attendee = &doc["components"]["schemas"][attendee.as_str()];
        assert!(attendee["properties"]["role"].is_object() && attendee["properties"]["email"].is_null(), "{attendee}");
        let rules = doc["paths"]["/api/sip-calls/{id}/answer"]["post"]["x-field-rules"].to_string();
        assert!(rules.contains("obliged_cannot_decline"), "{rules}");
        Ok(())
    }
}
