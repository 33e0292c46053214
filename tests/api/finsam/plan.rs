//! After the team meeting: the team's plan (kind finsam) made for the referral and adopted by
//! its driver, the follow-up it schedules, the coordinator's follow-up, the insatskatalog,
//! and closing with each outcome.

use reqwest::StatusCode;
use samverkan::domain::Role;
use serde_json::{json, Value};

use super::agenda::{accepted_referral, book};
use super::*;

/// A referral on a meeting's agenda with the team's decision to start a plan; returns
/// (referral, case).
async fn referral_with_decision(app: &TestApp, f: &Finsam) -> anyhow::Result<(String, String)> {
    let w = &f.world;
    let (id, case, _) = accepted_referral(
        app,
        f,
        "Dana Dagsson",
        "19850312157",
        &[&f.forbund, &f.af, &w.clinic],
    )
    .await?;
    let booked = book(app, f, &[]).await?;
    booked.ensure_status(StatusCode::CREATED, "book")?;
    let meeting = booked.body["meeting"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let added = app
        .post(
            &f.coordinator,
            &format!("/api/finsam/meetings/{meeting}/agenda"),
            json!({"referral_id": id}),
        )
        .await?;
    added.ensure_status(StatusCode::OK, "agenda")?;
    let item = added.body["agenda"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    app.post(&f.coordinator, &format!("/api/finsam/meetings/{meeting}/agenda/{item}/record"),
        json!({"decision": "start_plan", "party_organisation_ids": [f.af.id], "next_step": "Gemensam plan"}))
        .await?
        .ensure_status(StatusCode::OK, "record")?;
    Ok((id, case))
}

/// How many follow-up reminders `user` has had.
async fn reminded(app: &TestApp, user: &TestUser) -> anyhow::Result<usize> {
    let kinds = app.notification_kinds(user).await?;
    Ok(kinds
        .iter()
        .filter(|k| *k == "finsam_follow_up_due")
        .count())
}

/// Months from `a` to `b` (RFC 3339 instants), counted by calendar month.
fn months_between(a: &Value, b: &Value) -> i32 {
    use chrono::Datelike;
    let parse =
        |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or_default()).ok();
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => (b.year() - a.year()) * 12 + b.month() as i32 - a.month() as i32,
        _ => -1,
    }
}

on_both_stores! {
    async fn the_teams_plan_moves_the_referral_and_the_follow_up_continues_or_closes_it(app) {
        let f = finsam_setup(&app).await?;
        let w = &f.world;
        let (referral, case) = referral_with_decision(&app, &f).await?;
        let plans = format!("/api/cases/{case}/plans");
        // Checked like a SIP plan's call: the right kind, this case, my organisation's referral.
        let wrong_kind = app.post(&w.social_worker, &plans, json!({"kind": "sip", "finsam_referral_id": referral})).await?;
        assert_eq!(wrong_kind.field_codes(), [("finsam_referral_id".to_owned(), "invalid_finsam_referral".to_owned())]);
        let (_, other_case) = app.case_for(&w.social_worker, &pnr("19850312165"), "Erik Annansson").await?;
        let elsewhere = app.post(&w.social_worker, &format!("/api/cases/{other_case}/plans"), json!({"kind": "finsam", "finsam_referral_id": referral})).await?;
        assert_eq!(elsewhere.field_codes(), [("finsam_referral_id".to_owned(), "invalid_finsam_referral".to_owned())]);
        let plan = app.post(&w.social_worker, &plans, json!({"kind": "finsam", "finsam_referral_id": referral})).await?;
        plan.ensure_status(StatusCode::CREATED, "plan")?;
        assert_eq!(plan.body["finsam_referral_id"], referral);
        let plan = plan.id();
        let goal = uuid::Uuid::new_v4().to_string();
        let follow_up = (chrono::Utc::now() + chrono::Duration::days(180)).date_naive();
        app.put(&w.social_worker, &format!("/api/plans/{plan}/draft"), json!({
            "goals": [{"id": goal, "level": "huvudmal", "text": "Studier till hösten"}],
            "actions": [{"what": "Studie- och yrkesvägledning", "responsible": {"organisation_id": f.af.id}}],
            "overall": {"organisation_id": w.social.id, "person_id": w.social_worker.id},
            "follow_up_on": follow_up,
        })).await?.ensure_status(StatusCode::OK, "draft")?;
        let adopted = app.post(&w.social_worker, &format!("/api/plans/{plan}/adopt"),
            json!({"organisations": [w.social.id, f.af.id], "individual_present": true, "agreement": "muntligt"})).await?;
        adopted.ensure_status(StatusCode::OK, "adopt")?;
        let path = format!("/api/finsam/referrals/{referral}");
        let now = app.get(&f.coordinator, &path).await?;
        assert_eq!(now.body["state"], "plan_adopted", "{}", now.body);
        assert_eq!(now.body["plan_id"], plan);
        assert_eq!(months_between(&now.body["updated_at"], &now.body["follow_up_due_at"]), 6, "{}", now.body);
        assert_eq!(now.body["steps"], json!(["follow_up", "close"]));

        // Reminded before the follow-up: the coordinators and the driver, once each across
        // rounds (and again once it has passed).
        let due = chrono::DateTime::parse_from_rfc3339(now.body["follow_up_due_at"].as_str().unwrap_or_default())?.with_timezone(&chrono::Utc);
        app.scheduler_round(due - chrono::Duration::days(30)).await?;
        assert_eq!(reminded(&app, &f.coordinator).await?, 0, "not yet");
        app.scheduler_round(due - chrono::Duration::days(1)).await?;
        app.scheduler_round(due - chrono::Duration::hours(12)).await?;
        assert_eq!(reminded(&app, &f.coordinator).await?, 1);
        assert_eq!(reminded(&app, &w.social_worker).await?, 1, "the driver");
        app.scheduler_round(due + chrono::Duration::days(2)).await?;
        assert_eq!(reminded(&app, &f.coordinator).await?, 2, "once more when passed");
        let mails = app.outbox().await?;
        assert!(mails.iter().any(|(_, kind, _)| kind == "finsam_follow_up_due"));

        // The follow-up is the coordinator's; it continues and schedules the next.
        let mine = app.post(&w.social_worker, &format!("{path}/follow-up"), json!({"progress": "Går bra"})).await?;
        assert_eq!(mine.body["code"], "wrong_party");
        let blank = app.post(&f.coordinator, &format!("{path}/follow-up"), json!({"progress": "  "})).await?;
        assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
        let followed = app.post(&f.coordinator, &format!("{path}/follow-up"), json!({"progress": "Studievägledning klar"})).await?;
        followed.ensure_status(StatusCode::OK, "follow-up")?;
        assert_eq!(followed.body["state"], "followed_up");
        assert_eq!(months_between(&followed.body["updated_at"], &followed.body["follow_up_due_at"]), 6);

        // The insatskatalog: the förbund's admin maintains it, its users read it.
        let admin = app.user(&f.forbund, "fadmin", &[Role::OrgAdmin]).await?;
        let by_coordinator = app.post(&f.coordinator, "/api/finsam/efforts", json!({"name": "Steg till arbete"})).await?;
        assert_eq!(by_coordinator.status, StatusCode::FORBIDDEN);
        let effort = app.post(&admin, "/api/finsam/efforts", json!({"name": "Steg till arbete", "description": "Arbetsträning med coach"})).await?;
        effort.ensure_status(StatusCode::CREATED, "effort")?;
        let effort = effort.id();
        let old = app.post(&admin, "/api/finsam/efforts", json!({"name": "Gammal insats"})).await?.id();
        let off = app.patch(&admin, &format!("/api/finsam/efforts/{old}"), json!({"active": false})).await?;
        assert_eq!(off.body["active"], false, "{}", off.body);
        let catalogue = app.get(&f.coordinator, "/api/finsam/efforts").await?;
        assert_eq!(catalogue.body.as_array().map(Vec::len), Some(2), "{}", catalogue.body);
        assert_eq!(app.get(&w.social_worker, "/api/finsam/efforts").await?.status, StatusCode::FORBIDDEN);

        // Closing names an active effort of the catalogue with finsam_effort, none otherwise.
        let close_path = format!("{path}/close");
        let close = |body: Value| app.post(&f.coordinator, &close_path, body);
        let none = close(json!({"outcome": "finsam_effort"})).await?;
        assert_eq!(none.field_codes(), [("effort_id".to_owned(), "required".to_owned())]);
        let inactive = close(json!({"outcome": "finsam_effort", "effort_id": old})).await?;
        assert_eq!(inactive.field_codes(), [("effort_id".to_owned(), "unknown_effort".to_owned())]);
        let extra = close(json!({"outcome": "transfer_af", "effort_id": effort})).await?;
        assert_eq!(extra.field_codes(), [("effort_id".to_owned(), "not_allowed".to_owned())]);
        let before = app.notification_kinds(&w.social_worker).await?.len();
        let closed = close(json!({"outcome": "finsam_effort", "effort_id": effort, "progress": "Klar med insatsen"})).await?;
        closed.ensure_status(StatusCode::OK, "close")?;
        assert_eq!(closed.body["state"], "closed");
        assert_eq!(closed.body["outcome"], "finsam_effort");
        assert_eq!(closed.body["outcome_effort_id"], effort);
        assert_eq!(closed.body["follow_up_due_at"], Value::Null);
        assert_eq!(app.notification_kinds(&w.social_worker).await?.len(), before + 1, "the referrer is told");
        let follow_ups = app.get(&w.social_worker, &format!("{path}/follow-ups")).await?;
        let continues: Vec<Value> = follow_ups.body.as_array().map(|a| a.iter().map(|f| f["continues"].clone()).collect()).unwrap_or_default();
        assert_eq!(continues, [json!(true), json!(false)], "{}", follow_ups.body);
        let kinds: Vec<String> = app.events_about(&referral).await?.into_iter().map(|e| e.kind).collect();
        assert!(kinds.ends_with(&["finsam_referral.plan_adopted".to_owned(), "finsam_referral.followed_up".to_owned(), "finsam_referral.closed".to_owned()]), "{kinds:?}");
        let actions = app.audit_actions(&f.coordinator).await?;
        for action in ["finsam_referral.follow_up", "finsam_referral.close"] {
            assert!(actions.contains(&(action.to_owned(), "allowed".to_owned())), "{action}");
        }
        Ok(())
    }

    async fn each_outcome_closes_an_accepted_referral(app) {
        let f = finsam_setup(&app).await?;
        let w = &f.world;
        let offered = app.get(&f.coordinator, "/api/finsam/outcomes").await?;
        let outcomes: Vec<String> = offered.body["outcomes"].as_array().map(|a| a.iter().filter_map(|o| o.as_str().map(str::to_owned)).collect()).unwrap_or_default();
        assert_eq!(outcomes.len(), 12, "{}", offered.body);
        for (n, outcome) in outcomes.iter().filter(|o| *o != "finsam_effort").enumerate() {
            let (id, _, _) = accepted_referral(&app, &f, &format!("Person{n} Utfallsson"), &format!("198504{:02}123", n + 1), &[&f.forbund, &f.af, &w.clinic]).await?;
            let closed = app.post(&f.coordinator, &format!("/api/finsam/referrals/{id}/close"), json!({"outcome": outcome})).await?;
            closed.ensure_status(StatusCode::OK, outcome)?;
            assert_eq!(closed.body["outcome"], *outcome);
            assert_eq!(closed.body["state"], "closed");
            let again = app.post(&f.coordinator, &format!("/api/finsam/referrals/{id}/close"), json!({"outcome": outcome})).await?;
            assert_eq!(again.status, StatusCode::CONFLICT);
        }
        let unknown = app.post(&f.coordinator, "/api/finsam/referrals/00000000-0000-0000-0000-000000000000/close", json!({"outcome": "nonsense"})).await?;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
        Ok(())
    }
}
