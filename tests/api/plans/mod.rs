//! Joint plans (samverkansplaner): the life cycle, adoption problems, who may change what,
//! events and audit. The consent gate, versions, actions and commitments, revocation and
//! reminders are in their own modules.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_stores;

mod actions;
mod categories;
mod consent_gate;
mod follow_up;
mod reminders;
mod retention;
mod revocation;
mod sip_link;
mod versions;

pub struct Setup {
    pub world: World,
    pub case: String,
    /// Consent for `sip` naming the clinic and Jobbtorg, recorded by social services.
    pub consent: String,
    /// A jobbcoach at Jobbtorg.
    pub jobbcoach: TestUser,
}

/// A case at social services with a SIP consent covering the clinic and Jobbtorg.
pub async fn setup(app: &TestApp) -> anyhow::Result<Setup> {
    let world = app.world().await?;
    let (_, case) = app
        .case_for(&world.social_worker, &pnr("19850312123"), "Amina")
        .await?;
    let consent = app
        .consent(
            &world.social_worker,
            &case,
            &[&world.clinic, &world.jobbtorg],
            &["sip"],
        )
        .await?;
    let jobbcoach = app
        .user(&world.jobbtorg, "jc", &[samverkan::domain::Role::Jobbcoach])
        .await?;
    Ok(Setup {
        world,
        case,
        consent,
        jobbcoach,
    })
}

pub fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

/// Fixed ids, so that tests can name the parts.
pub const MAIN_GOAL: &str = "00000000-0000-4000-8000-000000000001";
pub const SUB_GOAL: &str = "00000000-0000-4000-8000-000000000002";
pub const OWN_ACTION: &str = "00000000-0000-4000-8000-00000000000a";
pub const CLINIC_ACTION: &str = "00000000-0000-4000-8000-00000000000b";
pub const JOBBTORG_ACTION: &str = "00000000-0000-4000-8000-00000000000c";

/// A draft that may be adopted: a main goal with a sub-goal, an action for each of social
/// services (with its social worker), the clinic (due in two days) and Jobbtorg (overdue
/// since yesterday), the overall responsibility with the social worker, a follow-up in 30 days.
pub fn draft(s: &Setup) -> Value {
    let w = &s.world;
    json!({
        "own_goal": "Jag vill kunna jobba halvtid",
        "goals": [
            {"id": MAIN_GOAL, "level": "huvudmal", "text": "Egen försörjning"},
            {"id": SUB_GOAL, "level": "delmal", "text": "Arbetsträning 25 %", "serves": MAIN_GOAL},
        ],
        "actions": [
            {"id": OWN_ACTION, "what": "Ekonomiskt bistånd under arbetsträningen",
             "responsible": {"organisation_id": w.social.id, "person_id": w.social_worker.id},
             "due_on": day(20), "goal_id": MAIN_GOAL},
            {"id": CLINIC_ACTION, "what": "Bedöma arbetsförmågan",
             "responsible": {"organisation_id": w.clinic.id, "person_id": null},
             "due_on": day(2), "goal_id": SUB_GOAL},
            {"id": JOBBTORG_ACTION, "what": "Ordna arbetsträningsplats",
             "responsible": {"organisation_id": w.jobbtorg.id},
             "due_on": day(-1), "goal_id": SUB_GOAL},
        ],
        "overall": {"organisation_id": w.social.id, "person_id": w.social_worker.id},
        "follow_up_on": day(30),
        "readers": [],
    })
}

pub fn participation(s: &Setup) -> Value {
    let w = &s.world;
    json!({"organisations": [w.social.id, w.clinic.id, w.jobbtorg.id],
           "individual_present": true, "agreement": "muntligt"})
}

pub fn ok(reply: Reply) -> Reply {
    assert!(
        reply.status.is_success(),
        "{}: {}",
        reply.status,
        reply.body
    );
    reply
}

/// A new plan of `kind` with `draft(s)` saved; returns its id.
pub async fn drafted(app: &TestApp, s: &Setup, kind: &str) -> anyhow::Result<String> {
    let created = ok(app
        .post(
            &s.world.social_worker,
            &format!("/api/cases/{}/plans", s.case),
            json!({"kind": kind, "title": "SIP våren"}),
        )
        .await?);
    let id = created.id();
    ok(app
        .put(
            &s.world.social_worker,
            &format!("/api/plans/{id}/draft"),
            draft(s),
        )
        .await?);
    Ok(id)
}

/// A SIP plan adopted from `draft(s)`; returns its id.
pub async fn adopted(app: &TestApp, s: &Setup) -> anyhow::Result<String> {
    let id = drafted(app, s, "sip").await?;
    ok(app
        .post(
            &s.world.social_worker,
            &format!("/api/plans/{id}/adopt"),
            participation(s),
        )
        .await?);
    Ok(id)
}

on_both_stores! {
    async fn a_plan_is_drafted_adopted_revised_and_closed_with_its_events_and_audit(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let created = app.post(&w.social_worker, &format!("/api/cases/{}/plans", s.case), json!({"kind": "sip"})).await?;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let id = created.id();
        assert_eq!(created.body["state"], "draft");
        assert_eq!(created.body["version"], 0);
        assert_eq!(created.body["owner_organisation_id"], w.social.id.to_string());
        assert_eq!(created.body["draft"], json!({"own_goal": null, "goals": [], "actions": [], "overall": null, "follow_up_on": null, "readers": []}));
        assert_eq!(created.body["may"], json!({"edit": true, "adopt": true, "revise": false, "discard": true, "close": false}));

        let saved = ok(app.put(&w.social_worker, &format!("/api/plans/{id}/draft"), draft(&s)).await?);
        assert_eq!(saved.body["draft"]["actions"][1]["id"], CLINIC_ACTION);
        assert_eq!(saved.body["draft"]["actions"][1]["status"], "planned");
        assert_eq!(saved.body["draft"]["goals"][1]["serves"], MAIN_GOAL);
        assert!(saved.body["adopted"].is_null());
        // The clinic is not named by an adopted version yet: the draft is the owner's alone.
        assert_eq!(app.get(&w.coordinator, &format!("/api/plans/{id}")).await?.status, StatusCode::NOT_FOUND);

        let adopted = ok(app.post(&w.social_worker, &format!("/api/plans/{id}/adopt"), participation(&s)).await?);
        assert_eq!(adopted.body["state"], "adopted");
        assert_eq!(adopted.body["version"], 1);
        assert!(adopted.body["draft"].is_null());
        assert_eq!(adopted.body["adopted"]["content"], saved.body["draft"]);
        assert_eq!(adopted.body["adopted"]["participation"]["agreement"], "muntligt");
        assert_eq!(adopted.body["adopted"]["adopted_by"], w.social_worker.id.to_string());
        assert_eq!(adopted.body["may"], json!({"edit": false, "adopt": false, "revise": true, "discard": false, "close": true}));

        let seen = ok(app.get(&w.coordinator, &format!("/api/plans/{id}")).await?);
        assert_eq!(seen.body["adopted"]["content"]["actions"].as_array().unwrap().len(), 3, "the whole plan, read-only");
        assert_eq!(seen.body["may"], json!({"edit": false, "adopt": false, "revise": false, "discard": false, "close": false}));

        let revising = ok(app.post_empty(&w.social_worker, &format!("/api/plans/{id}/revise")).await?);
        assert_eq!(revising.body["state"], "revising");
        assert_eq!(revising.body["draft"], adopted.body["adopted"]["content"]);
        assert!(app.get(&w.coordinator, &format!("/api/plans/{id}")).await?.body["draft"].is_null(), "a party never sees the draft");
        let back = ok(app.post_empty(&w.social_worker, &format!("/api/plans/{id}/discard")).await?);
        assert_eq!(back.body["state"], "adopted");
        assert_eq!(back.body["version"], 1);
        ok(app.post_empty(&w.social_worker, &format!("/api/plans/{id}/revise")).await?);
        ok(app.put(&w.social_worker, &format!("/api/plans/{id}/draft"), draft(&s)).await?);
        let second = ok(app.post(&w.social_worker, &format!("/api/plans/{id}/adopt"), participation(&s)).await?);
        assert_eq!(second.body["version"], 2);
        let closed = ok(app.post_empty(&w.social_worker, &format!("/api/plans/{id}/close")).await?);
        assert_eq!(closed.body["state"], "closed");
        assert_eq!(closed.body["may"], json!({"edit": false, "adopt": false, "revise": false, "discard": false, "close": false}));

        let kinds: Vec<String> = app.events_about(&id).await?.iter().map(|e| e.kind.clone()).collect();
        assert_eq!(kinds, ["plan.created", "plan.changed", "plan.adopted", "plan.changed", "plan.changed", "plan.changed", "plan.changed", "plan.adopted", "plan.closed"]);
        let adopted_event = app.events_about(&id).await?.into_iter().find(|e| e.kind == "plan.adopted").unwrap();
        let mut orgs = vec![w.social.id.to_string(), w.clinic.id.to_string(), w.jobbtorg.id.to_string()];
        orgs.sort();
        assert_eq!(adopted_event.organisations(), orgs, "streamed to the plan's organisations");
        assert_eq!(adopted_event.purpose.as_deref(), Some("sip"));
        let actions: Vec<String> = app.audit_actions(&w.social_worker).await?.into_iter()
            .filter(|(a, _)| a.starts_with("plan.")).map(|(a, o)| format!("{a} {o}")).collect();
        assert_eq!(actions, ["plan.create allowed", "plan.update allowed", "plan.adopt allowed", "plan.revise allowed",
            "plan.discard allowed", "plan.revise allowed", "plan.update allowed", "plan.adopt allowed", "plan.close allowed"]);
        let read = app.audit_rows().await?.into_iter().rev()
            .find(|r| r.action == "plan.read" && r.user_id.as_deref() == Some(w.coordinator.id.to_string().as_str())).unwrap();
        assert_eq!(read.consent_id.as_deref(), Some(s.consent.as_str()), "the clinic reads under the consent");
        assert_eq!(read.purpose.as_deref(), Some("sip"));
        // A party that adopted plan names is told; the adopting organisation is not.
        assert!(app.notification_kinds(&w.coordinator).await?.contains(&"plan_adopted".to_owned()));
        assert!(!app.notification_kinds(&w.social_worker).await?.contains(&"plan_adopted".to_owned()));
        Ok(())
    }

    async fn steps_the_state_does_not_allow_are_409_and_change_nothing(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let id = drafted(&app, &s, "sip").await?;
        let step = |name: &str| format!("/api/plans/{id}/{name}");
        let conflict = |reply: Reply, what: &str| {
            assert_eq!(reply.status, StatusCode::CONFLICT, "{what}: {}", reply.body);
            assert_eq!(reply.body["code"], "invalid_transition", "{what}");
        };
        conflict(app.post_empty(&w.social_worker, &step("revise")).await?, "revise a draft");
        conflict(app.post_empty(&w.social_worker, &step("close")).await?, "close a draft");
        ok(app.post(&w.social_worker, &step("adopt"), participation(&s)).await?);
        conflict(app.put(&w.social_worker, &step("draft"), draft(&s)).await?, "edit adopted");
        conflict(app.post(&w.social_worker, &step("adopt"), participation(&s)).await?, "adopt adopted");
        conflict(app.post_empty(&w.social_worker, &step("discard")).await?, "discard adopted");
        ok(app.post_empty(&w.social_worker, &step("close")).await?);
        for name in ["revise", "close", "discard"] {
            conflict(app.post_empty(&w.social_worker, &step(name)).await?, name);
        }
        let detail = app.post_empty(&w.social_worker, &step("revise")).await?.body["detail"].clone();
        assert_eq!(detail, "Planen har status closed och kan inte revideras.");
        assert_eq!(app.get(&w.social_worker, &format!("/api/plans/{id}")).await?.body["state"], "closed");
        Ok(())
    }

    async fn a_never_adopted_draft_discarded_is_gone(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let id = drafted(&app, &s, "sip").await?;
        let gone = app.post_empty(&w.social_worker, &format!("/api/plans/{id}/discard")).await?;
        assert_eq!(gone.status, StatusCode::NO_CONTENT);
        assert_eq!(app.get(&w.social_worker, &format!("/api/plans/{id}")).await?.status, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&w.social_worker, &format!("/api/cases/{}/plans", s.case)).await?.body["items"], json!([]));
        Ok(())
    }

    async fn adoption_problems_are_named_at_their_fields(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        app.consent(&w.social_worker, &s.case, &[&w.clinic, &w.jobbtorg], &["finsamteam"]).await?;
        let created = ok(app.post(&w.social_worker, &format!("/api/cases/{}/plans", s.case), json!({"kind": "finsam"})).await?);
        let id = created.id();
        let adopt = format!("/api/plans/{id}/adopt");
        let empty = app.post(&w.social_worker, &adopt, json!({"organisations": [], "individual_present": false, "agreement": "not_agreed"})).await?;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", empty.body);
        let mut got = empty.field_codes();
        got.sort();
        let mut expected: Vec<(String, String)> = [("actions", "action_required"), ("follow_up_on", "follow_up_required"),
            ("goals", "goal_required"), ("individual_present", "individual_must_be_present"),
            ("organisations", "participant_required"), ("overall", "overall_required")]
            .iter().map(|(f, c)| (f.to_string(), c.to_string())).collect();
        expected.sort();
        assert_eq!(got, expected);

        let mut body = draft(&s);
        body["goals"][1]["serves"] = json!(null);
        body["actions"][0]["goal_id"] = json!("00000000-0000-4000-8000-0000000000ff");
        body["follow_up_on"] = json!(day(-1));
        ok(app.put(&w.social_worker, &format!("/api/plans/{id}/draft"), body).await?);
        let wrong = app.post(&w.social_worker, &adopt, participation(&s)).await?;
        let mut got = wrong.field_codes();
        got.sort();
        assert_eq!(got, [("actions[0].goal_id".to_owned(), "goal_not_in_plan".to_owned()),
            ("follow_up_on".to_owned(), "in_the_past".to_owned()), ("goals[1]".to_owned(), "goal_out_of_place".to_owned())]);
        assert_eq!(app.get(&w.social_worker, &format!("/api/plans/{id}")).await?.body["state"], "draft");
        Ok(())
    }

    async fn a_draft_with_wrong_parts_gets_field_errors(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let id = drafted(&app, &s, "sip").await?;
        let mut body = draft(&s);
        body["actions"][1]["responsible"]["organisation_id"] = json!(uuid::Uuid::new_v4());
        body["actions"][2]["responsible"]["person_id"] = json!(w.coordinator.id);
        body["actions"][2]["id"] = json!(CLINIC_ACTION);
        body["goals"][0]["text"] = json!("   ");
        let reply = app.put(&w.social_worker, &format!("/api/plans/{id}/draft"), body.clone()).await?;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
        assert_eq!(reply.field_codes().first().map(|c| c.0.as_str()), Some("goals[0].text"));
        body["goals"][0]["text"] = json!("Egen försörjning");
        let reply = app.put(&w.social_worker, &format!("/api/plans/{id}/draft"), body.clone()).await?;
        assert_eq!(reply.field_codes(), [("actions[2].id".to_owned(), "duplicate_id".to_owned())]);
        body["actions"][2]["id"] = json!(JOBBTORG_ACTION);
        let reply = app.put(&w.social_worker, &format!("/api/plans/{id}/draft"), body).await?;
        let mut got = reply.field_codes();
        got.sort();
        assert_eq!(got, [("actions[1].responsible.organisation_id".to_owned(), "unknown_organisation".to_owned()),
            ("actions[2].responsible.person_id".to_owned(), "invalid_person".to_owned())]);
        Ok(())
    }

    async fn only_the_owner_organisation_creates_and_changes_a_plan(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let create = app.post(&w.coordinator, &format!("/api/cases/{}/plans", s.case), json!({"kind": "sip"})).await?;
        assert_eq!(create.status, StatusCode::FORBIDDEN, "{}", create.body);
        let id = adopted(&app, &s).await?;
        for (user, path) in [(&w.coordinator, "revise"), (&s.jobbcoach, "close")] {
            let before = app.audit_actions(user).await?.len();
            let reply = app.post_empty(user, &format!("/api/plans/{id}/{path}")).await?;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}: {}", reply.body);
            assert_eq!(reply.body["code"], "not_plan_owner");
            let after = app.audit_actions(user).await?;
            assert_eq!(after.len(), before + 1);
            assert_eq!(after.last().unwrap().1, "denied");
        }
        // Outside the plan: nothing to see, on any route.
        for path in ["", "/versions", "/versions/1"] {
            assert_eq!(app.get(&w.other_coordinator, &format!("/api/plans/{id}{path}")).await?.status, StatusCode::NOT_FOUND);
        }
        assert_eq!(app.post_empty(&w.other_coordinator, &format!("/api/plans/{id}/revise")).await?.status, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&w.social_worker, &format!("/api/plans/{id}")).await?.body["state"], "adopted");
        Ok(())
    }
}
