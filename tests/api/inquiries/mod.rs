//! Rehab inquiries (rehabiliteringsförfrågan): the life cycle, the consent gate, the answer,
//! declines, withdrawal, events and audit. Boxes, counts, overdue and the thread are in
//! `inquiry_inbox`.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_stores;

mod consent_gate;
mod endings;

pub struct Setup {
    pub world: World,
    pub individual: String,
    pub case: String,
    pub consent: String,
}

/// A case at social services with a consent covering the clinic for rehab inquiries.
pub async fn setup(app: &TestApp) -> anyhow::Result<Setup> {
    let world = app.world().await?;
    let (individual, case) = app
        .case_for(&world.social_worker, &pnr("19850312123"), "Amina")
        .await?;
    let consent = app
        .consent(
            &world.social_worker,
            &case,
            &[&world.clinic],
            &["rehabiliteringsforfragan"],
        )
        .await?;
    Ok(Setup {
        world,
        individual,
        case,
        consent,
    })
}

pub fn answer_body() -> Value {
    json!({
        "has_rehab_plan": true,
        "ongoing_or_planned_investigation_treatment": "Samtalsbehandling varannan vecka.",
        "diagnoses": [{"text": "Medelsvår depression", "icd10": "f32.1"}, {"text": "Ryggsmärta", "icd10": "M54"}],
        "funktionsnedsattning": "Nedsatt koncentration och uthållighet.",
        "aktivitetsbegransning": "Klarar inte uppgifter längre än en timme i taget.",
        "what_works": "Praktiska uppgifter i lugn miljö.",
        "adaptations": "Korta pass med pauser.",
        "extent": {"percent": 50},
        "avoid": "Armarna över axelhöjd.",
        "prognosis": "God på sikt.",
        "recommendation": "Arbetsträning 50 % via Jobbtorg.",
        "treating_doctor_name": "Dr. Karin Ek",
    })
}

pub fn ok(reply: Reply) -> Reply {
    assert!(reply.status.is_success(), "{} {}", reply.status, reply.body);
    reply
}

/// Drives a new inquiry into `state` the ordinary way; returns its id.
pub async fn inquiry_in(app: &TestApp, s: &Setup, state: &str) -> anyhow::Result<String> {
    let w = &s.world;
    if state == "draft" {
        return app
            .inquiry_draft(&w.social_worker, &s.case, &w.clinic)
            .await;
    }
    let id = app
        .sent_inquiry(&w.social_worker, &s.case, &w.clinic)
        .await?;
    let path = |p: &str| format!("/api/inquiries/{id}{p}");
    let assign = json!({"assignee_user_id": w.coordinator.id});
    match state {
        "sent" => {}
        "withdrawn" => {
            ok(app.post_empty(&w.social_worker, &path("/withdraw")).await?);
        }
        "declined" => {
            ok(app
                .post(
                    &w.coordinator,
                    &path("/decline"),
                    json!({"reason": "wrong_unit"}),
                )
                .await?);
        }
        _ => {
            ok(app.get(&w.coordinator, &path("")).await?);
            if state != "received" {
                ok(app.post(&w.coordinator, &path("/assign"), assign).await?);
            }
            if matches!(state, "answered" | "closed") {
                ok(app
                    .post(&w.coordinator, &path("/answer"), answer_body())
                    .await?);
            }
            if state == "closed" {
                ok(app.post_empty(&w.social_worker, &path("/close")).await?);
            }
        }
    }
    let now = app.get(&w.social_worker, &path("")).await?;
    assert_eq!(now.body["state"], state);
    Ok(id)
}

/// A step as the party who owns it would try it: (who is the clinic, method, path suffix, body).
fn attempt(w: &World, step: &str) -> (bool, Method, &'static str, Option<Value>) {
    match step {
        "send" => (false, Method::POST, "/send", None),
        "edit" => (
            false,
            Method::PATCH,
            "",
            Some(json!({"questions": "Ny fråga?"})),
        ),
        "delete" => (false, Method::DELETE, "", None),
        "withdraw" => (false, Method::POST, "/withdraw", None),
        "close" => (false, Method::POST, "/close", None),
        "post" => (
            false,
            Method::POST,
            "/thread",
            Some(json!({"body": "En följdfråga"})),
        ),
        "assign" => (
            true,
            Method::POST,
            "/assign",
            Some(json!({"assignee_user_id": w.coordinator.id})),
        ),
        "answer" => (true, Method::POST, "/answer", Some(answer_body())),
        "decline" => (
            true,
            Method::POST,
            "/decline",
            Some(json!({"reason": "wrong_unit"})),
        ),
        other => panic!("unknown step {other}"),
    }
}

on_both_stores! {
    async fn a_draft_is_written_changed_and_deleted_by_the_sender_and_never_seen_by_the_clinic(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let created = app.post(&w.social_worker, &format!("/api/cases/{}/inquiries", s.case), TestApp::inquiry_body(&w.clinic)).await?;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let b = &created.body;
        assert_eq!(b["state"], "draft");
        assert_eq!(b["case_id"], s.case);
        assert_eq!(b["individual_id"], s.individual);
        assert_eq!(b["individual_name"], "Amina");
        assert_eq!(b["sender_organisation_id"], w.social.id.to_string());
        assert_eq!(b["sender_user_id"], w.social_worker.id.to_string());
        assert_eq!(b["recipient_organisation_id"], w.clinic.id.to_string());
        assert_eq!(b["recipient_organisation_name"], "Vårdcentral Alfa");
        assert_eq!(b["activities"], json!(["Jobbtorg", "arbetsträning"]));
        assert_eq!(b["contact"], json!({"name": "Sara Lind", "phone": "08-123 456 78", "email": "sara.lind@example.se"}));
        assert_eq!(b["answer_by"], Value::Null, "fixed when sent");
        assert_eq!(b["overdue"], false);
        assert_eq!(b["answer"], Value::Null);
        let id = created.id();
        let path = format!("/api/inquiries/{id}");

        assert_eq!(app.get(&w.coordinator, &path).await?.status, StatusCode::NOT_FOUND, "a draft is the sender's alone");
        assert_eq!(app.get(&w.coordinator, "/api/inquiries").await?.body["items"], json!([]));

        let next_week = (chrono::Utc::now().date_naive() + chrono::Days::new(7)).to_string();
        let changed = app.patch(&w.colleague, &path, json!({"activities": [" praktik "], "questions": "Vad klarar personen?", "answer_by": next_week})).await?;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
        assert_eq!(changed.body["activities"], json!(["praktik"]));
        assert_eq!(changed.body["questions"], "Vad klarar personen?");
        assert_eq!(changed.body["answer_by"], next_week);
        assert_eq!(changed.body["contact"]["name"], "Sara Lind", "untouched fields stay");

        let deleted = app.delete(&w.social_worker, &path).await?;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        assert_eq!(app.get(&w.social_worker, &path).await?.status, StatusCode::NOT_FOUND);
        assert!(app.events().await?.iter().all(|e| !e.kind.starts_with("inquiry.")), "drafts announce nothing");
        let actions: Vec<_> = app.audit_actions(&w.social_worker).await?.into_iter().filter(|(a, _)| a.starts_with("inquiry.")).collect();
        assert_eq!(actions, [("inquiry.create".into(), "allowed".into()), ("inquiry.delete".into(), "allowed".into()), ("inquiry.read".into(), "denied".into())]);
        assert!(app.audit_actions(&w.colleague).await?.contains(&("inquiry.update".into(), "allowed".into())));
        Ok(())
    }

    async fn the_sender_part_is_checked_with_field_errors(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let path = format!("/api/cases/{}/inquiries", s.case);
        let with = |patch: Value| {
            let mut body = TestApp::inquiry_body(&w.clinic);
            for (k, v) in patch.as_object().unwrap() {
                body[k] = v.clone();
            }
            body
        };
        let cases = [
            (json!({"questions": "   "}), "questions", "required"),
            (json!({"questions": "x".repeat(4001)}), "questions", "length"),
            (json!({"contact": {"name": "Sara", "email": "inte-en-adress"}}), "contact.email", "email"),
            (json!({"contact": {"name": "Sara", "phone": "ring mig"}}), "contact.phone", "invalid_phone"),
            (json!({"contact": {"name": "Sara"}}), "contact", "required"),
            (json!({"activities": ["Jobbtorg", "x".repeat(101)]}), "activities[1]", "length"),
            (json!({"answer_by": "2020-01-01"}), "answer_by", "in_the_past"),
            (json!({"recipient_organisation_id": w.jobbtorg.id}), "recipient_organisation_id", "invalid_recipient"),
            (json!({"recipient_organisation_id": w.social.id}), "recipient_organisation_id", "invalid_recipient"),
            (json!({"recipient_organisation_id": uuid::Uuid::new_v4()}), "recipient_organisation_id", "invalid_recipient"),
            (json!({"shoe_size": 44}), "shoe_size", "unknown_field"),
        ];
        for (patch, field, code) in cases {
            let reply = app.post(&w.social_worker, &path, with(patch.clone())).await?;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{patch}: {}", reply.body);
            assert_eq!(reply.body["errors"][0]["field"], field, "{patch}: {}", reply.body);
            assert_eq!(reply.body["errors"][0]["code"], code, "{patch}: {}", reply.body);
        }
        // A caseworker role that does not write inquiries is refused openly, and audited.
        let coach = app.user(&w.social, "coach", &[samverkan::domain::Role::Jobbcoach]).await?;
        let refused = app.post(&coach, &path, TestApp::inquiry_body(&w.clinic)).await?;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(refused.body["code"], "role_not_allowed");
        assert_eq!(app.audit_actions(&coach).await?, [("inquiry.create".into(), "denied".into())]);
        // The clinic may see the case under consent but does not own it.
        let clinic = app.post(&w.coordinator, &path, TestApp::inquiry_body(&w.clinic)).await?;
        assert_eq!(clinic.status, StatusCode::FORBIDDEN);
        assert_eq!(clinic.body["code"], "not_case_owner");
        let mut tx = app.store.begin().await?;
        let n: i64 = sqlx::Row::try_get(&sqlx::query("SELECT COUNT(*) AS n FROM inquiries").fetch_one(tx.conn()).await?, "n")?;
        assert_eq!(n, 0, "nothing stored from rejected input");
        Ok(())
    }

    async fn the_whole_life_cycle_runs_from_sending_to_closing_with_thin_events(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let second = app.user(&w.clinic, "rk.two", &[samverkan::domain::Role::Rehabkoordinator]).await?;
        let id = app.inquiry_draft(&w.social_worker, &s.case, &w.clinic).await?;
        let path = |p: &str| format!("/api/inquiries/{id}{p}");

        let sent = ok(app.post_empty(&w.social_worker, &path("/send")).await?);
        let default_due = chrono::Utc::now().date_naive() + chrono::Days::new(14);
        assert_eq!(sent.body["state"], "sent");
        assert_eq!(sent.body["answer_by"], default_due.to_string(), "inquiry.default_answer_days = 14");
        assert!(sent.body["sent_at"].is_string());
        assert_eq!(sent.body["received"], Value::Null);

        let opened = ok(app.get(&w.coordinator, &path("")).await?);
        assert_eq!(opened.body["state"], "received");
        assert_eq!(opened.body["received"]["by_user_id"], w.coordinator.id.to_string());
        assert_eq!(opened.body["personnummer"], pnr("19850312123"), "the clinic needs to find its patient");
        let again = ok(app.get(&second, &path("")).await?);
        assert_eq!(again.body["received"]["by_user_id"], w.coordinator.id.to_string(), "received once");

        let assigned = ok(app.post(&w.coordinator, &path("/assign"), json!({"assignee_user_id": w.coordinator.id})).await?);
        assert_eq!(assigned.body["state"], "assigned");
        assert_eq!(assigned.body["assignee_user_id"], w.coordinator.id.to_string());
        let reassigned = ok(app.post(&w.coordinator, &path("/assign"), json!({"assignee_user_id": second.id})).await?);
        assert_eq!(reassigned.body["state"], "assigned");
        assert_eq!(reassigned.body["assignee_user_id"], second.id.to_string());
        assert_eq!(reassigned.body["assigned"]["by_user_id"], w.coordinator.id.to_string());

        let answered = ok(app.post(&second, &path("/answer"), answer_body()).await?);
        assert_eq!(answered.body["state"], "answered");
        let a = &answered.body["answer"];
        assert_eq!(a["has_rehab_plan"], true);
        assert_eq!(a["diagnoses"], json!([{"text": "Medelsvår depression", "icd10": "F32.1"}, {"text": "Ryggsmärta", "icd10": "M54"}]));
        assert_eq!(a["extent"], json!({"percent": 50, "hours_per_week": null}));
        assert_eq!(a["avoid"], "Armarna över axelhöjd.");
        assert_eq!(a["answered_by_user_id"], second.id.to_string());
        assert_eq!(a["treating_doctor_name"], "Dr. Karin Ek");

        let seen_by_sender = ok(app.get(&w.social_worker, &path("")).await?);
        assert_eq!(seen_by_sender.body["answer"], answered.body["answer"]);
        let closed = ok(app.post_empty(&w.rehab_lead, &path("/close")).await?);
        assert_eq!(closed.body["state"], "closed");
        assert_eq!(closed.body["closed"]["by_user_id"], w.rehab_lead.id.to_string());

        let events = app.events_about(&id).await?;
        let kinds: Vec<_> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["inquiry.sent", "inquiry.received", "inquiry.assigned", "inquiry.assigned", "inquiry.answered", "inquiry.closed"]);
        assert!(events.windows(2).all(|p| p[0].seq < p[1].seq));
        for e in &events {
            assert_eq!(e.audience, "organisations");
            assert_eq!(e.organisations(), sorted_orgs(&w.social, &w.clinic));
            assert_eq!(e.purpose.as_deref(), Some("rehabiliteringsforfragan"));
            assert_eq!(e.case_id.as_deref(), Some(s.case.as_str()));
            assert_eq!(e.individual_id.as_deref(), Some(s.individual.as_str()));
            let all = format!("{e:?}");
            for content in ["Amina", "arbetsträning", "depression", "F32", &pnr("19850312123")] {
                assert!(!all.contains(content), "no content in events: {all}");
            }
        }
        // Every read and write is audited; the clinic's under the consent and the purpose.
        let rows = app.audit_rows().await?;
        let clinic_read = rows.iter().find(|r| r.action == "inquiry.read" && r.user_id.as_deref() == Some(w.coordinator.id.to_string().as_str())).unwrap();
        assert_eq!(clinic_read.consent_id.as_deref(), Some(s.consent.as_str()));
        assert_eq!(clinic_read.purpose.as_deref(), Some("rehabiliteringsforfragan"));
        assert_eq!(clinic_read.case_id.as_deref(), Some(s.case.as_str()));
        let send = rows.iter().find(|r| r.action == "inquiry.send").unwrap();
        assert_eq!(send.consent_id.as_deref(), Some(s.consent.as_str()), "the consent it was disclosed under");
        for action in ["inquiry.create", "inquiry.send", "inquiry.receive", "inquiry.read", "inquiry.assign", "inquiry.answer", "inquiry.close"] {
            assert!(rows.iter().any(|r| r.action == action && r.outcome == "allowed"), "{action} audited");
        }
        Ok(())
    }

    async fn illegal_transitions_are_409_naming_the_current_state_and_change_nothing(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let table: &[(&str, &[&str])] = &[
            ("draft", &["withdraw", "close", "post"]),
            ("sent", &["send", "edit", "delete", "close", "assign", "answer"]),
            ("received", &["send", "edit", "delete", "close", "answer"]),
            ("assigned", &["send", "edit", "delete", "close"]),
            ("answered", &["send", "edit", "delete", "withdraw", "assign", "answer", "decline"]),
            ("closed", &["send", "edit", "delete", "withdraw", "close", "assign", "answer", "decline", "post"]),
            ("declined", &["send", "edit", "delete", "withdraw", "close", "assign", "answer", "decline", "post"]),
            ("withdrawn", &["send", "edit", "delete", "withdraw", "close", "assign", "answer", "decline", "post"]),
        ];
        for (state, steps) in table {
            let id = inquiry_in(&app, &s, state).await?;
            let before = app.inquiry_snapshot(&id).await?;
            let events = app.events().await?.len();
            for step in *steps {
                let (clinic, method, suffix, body) = attempt(w, step);
                let user = if clinic { &w.coordinator } else { &w.social_worker };
                let reply = call(&app, user, method, &format!("/api/inquiries/{id}{suffix}"), body).await?;
                assert_eq!(reply.status, StatusCode::CONFLICT, "{step} from {state}: {}", reply.body);
                assert_eq!(reply.body["code"], "invalid_transition", "{step} from {state}");
                let detail = reply.body["detail"].as_str().unwrap();
                assert!(detail.contains(&format!("Förfrågan har status {state}")), "{step} from {state}: {detail}");
                assert_eq!(app.inquiry_snapshot(&id).await?, before, "{step} from {state} changed nothing");
            }
            assert_eq!(app.events().await?.len(), events, "no events from refused steps in {state}");
        }
        // The clinic cannot even see a draft, so its steps on one are plain 404s.
        let draft = inquiry_in(&app, &s, "draft").await?;
        for step in ["assign", "answer", "decline"] {
            let (_, method, suffix, body) = attempt(w, step);
            let reply = call(&app, &w.coordinator, method, &format!("/api/inquiries/{draft}{suffix}"), body).await?;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{step} on a draft");
        }
        Ok(())
    }

    async fn each_side_takes_only_its_own_steps_and_answers_need_a_rehab_coordinator(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let id = inquiry_in(&app, &s, "received").await?;
        let before = app.inquiry_snapshot(&id).await?;
        for step in ["send", "edit", "delete", "withdraw", "close"] {
            let (_, method, suffix, body) = attempt(w, step);
            let reply = call(&app, &w.coordinator, method, &format!("/api/inquiries/{id}{suffix}"), body).await?;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "clinic {step}: {}", reply.body);
            assert_eq!(reply.body["code"], "wrong_party");
        }
        for step in ["assign", "answer", "decline"] {
            let (_, method, suffix, body) = attempt(w, step);
            let reply = call(&app, &w.social_worker, method, &format!("/api/inquiries/{id}{suffix}"), body).await?;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "sender {step}: {}", reply.body);
            assert_eq!(reply.body["code"], "wrong_party");
        }
        assert_eq!(app.inquiry_snapshot(&id).await?, before);
        let denied = app.audit_actions(&w.coordinator).await?.iter().filter(|(_, o)| o == "denied").count();
        assert_eq!(denied, 5, "refusals are audited");

        // Assignees are active rehab coordinators of the receiving clinic.
        let nurse = app.user(&w.clinic, "nurse", &[samverkan::domain::Role::Handlaggare]).await?;
        for assignee in [nurse.id.to_string(), w.other_coordinator.id.to_string(), w.social_worker.id.to_string()] {
            let reply = app.post(&w.coordinator, &format!("/api/inquiries/{id}/assign"), json!({"assignee_user_id": assignee})).await?;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(reply.body["errors"][0]["field"], "assignee_user_id");
            assert_eq!(reply.body["errors"][0]["code"], "invalid_assignee");
        }
        // Anyone at the clinic may assign from the shared inbox; only a rehab coordinator answers.
        ok(app.post(&nurse, &format!("/api/inquiries/{id}/assign"), json!({"assignee_user_id": w.coordinator.id})).await?);
        let by_nurse = app.post(&nurse, &format!("/api/inquiries/{id}/answer"), answer_body()).await?;
        assert_eq!(by_nurse.status, StatusCode::FORBIDDEN);
        assert_eq!(by_nurse.body["code"], "role_not_allowed");
        Ok(())
    }
}
