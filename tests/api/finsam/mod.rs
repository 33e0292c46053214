//! Finsamteam referrals: the written-consent gate, every state, each decline reason, the
//! return-for-completion round trip, the boxes and counts, who is told, audit rows and
//! events, and the referral lost at commit when the consent ends.

use reqwest::StatusCode;
use samverkan::domain::{OrganisationKind, Role};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_stores;

mod agenda;
mod figures;
mod plan;

pub struct Finsam {
    pub world: World,
    pub forbund: TestOrg,
    pub coordinator: TestUser,
    pub af: TestOrg,
    pub case: String,
}

/// A case at social services, a förbund with a coordinator whose team is AF and the clinic.
pub async fn finsam_setup(app: &TestApp) -> anyhow::Result<Finsam> {
    let world = app.world().await?;
    let forbund = app
        .organisation(
            "Samordningsförbundet Test",
            OrganisationKind::Samordningsforbund,
        )
        .await?;
    let coordinator = app
        .user(&forbund, "finsam", &[Role::Finsamkoordinator])
        .await?;
    let af = app
        .organisation(
            "Arbetsförmedlingen Test",
            OrganisationKind::Arbetsformedlingen,
        )
        .await?;
    let mut tx = app.store.begin().await?;
    for member in [&af, &world.clinic, &world.social] {
        samverkan::store::finsam::add_team_member(&mut tx, forbund.id, member.id).await?;
    }
    tx.commit().await?;
    let (_, case) = app
        .case_for(
            &world.social_worker,
            &pnr("19850312123"),
            "Amina Kanariesson",
        )
        .await?;
    Ok(Finsam {
        world,
        forbund,
        coordinator,
        af,
        case,
    })
}

/// A written consent for `finsamteam` covering `orgs`, with its document reference.
pub async fn written_consent(
    app: &TestApp,
    f: &Finsam,
    orgs: &[&TestOrg],
) -> anyhow::Result<String> {
    written_consent_on(app, &f.world.social_worker, &f.case, orgs).await
}

/// `written_consent` on any case, recorded by `user`.
pub async fn written_consent_on(
    app: &TestApp,
    user: &TestUser,
    case: &str,
    orgs: &[&TestOrg],
) -> anyhow::Result<String> {
    let body = json!({
        "organisation_ids": orgs.iter().map(|o| o.id.to_string()).collect::<Vec<_>>(),
        "purposes": ["finsamteam"],
        "forms": ["skriftligt"],
        "document_reference": "Samtycke Finsam 2026-12-01",
        "valid_until": (chrono::Utc::now() + chrono::Duration::days(90)).to_rfc3339(),
    });
    let reply = app
        .post(user, &format!("/api/cases/{case}/consents"), body)
        .await?;
    reply.ensure_status(StatusCode::CREATED, "consent")?;
    Ok(reply.id())
}

pub fn draft_body(f: &Finsam) -> Value {
    json!({
        "forbund_organisation_id": f.forbund.id.to_string(),
        "why_coordination": "Flera parter, ingen helhet.",
        "tried_so_far": "Praktik via Jobbtorg.",
        "parties_today": "Socialtjänsten, vårdcentralen.",
        "own_goal": "Att börja studera.",
        "practical_needs": "Tolk på arabiska.",
    })
}

pub async fn draft(app: &TestApp, f: &Finsam) -> anyhow::Result<String> {
    draft_in(app, f, &f.world.social_worker, &f.case).await
}

/// A draft in any case, by `user` of its owner.
pub async fn draft_in(
    app: &TestApp,
    f: &Finsam,
    user: &TestUser,
    case: &str,
) -> anyhow::Result<String> {
    let reply = app
        .post(
            user,
            &format!("/api/cases/{case}/finsam-referrals"),
            draft_body(f),
        )
        .await?;
    reply.ensure_status(StatusCode::CREATED, "draft")?;
    Ok(reply.id())
}

pub async fn step(
    app: &TestApp,
    who: &TestUser,
    id: &str,
    step: &str,
    body: Value,
) -> anyhow::Result<Reply> {
    app.post(who, &format!("/api/finsam/referrals/{id}/{step}"), body)
        .await
}

async fn inbox(app: &TestApp, who: &TestUser, mailbox: &str) -> anyhow::Result<Vec<String>> {
    let reply = app
        .get(who, &format!("/api/finsam/referrals?box={mailbox}"))
        .await?;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    Ok(reply.body["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| i["id"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default())
}

on_both_stores! {
    async fn the_case_page_lists_its_own_referrals_and_reads_no_other(app) {
        let f = finsam_setup(&app).await?;
        let w = &f.world;
        let (_, other_case) = app.case_for(&w.social_worker, &pnr("19790101123"), "Berit Annansson").await?;
        let mine = draft(&app, &f).await?;
        let other = draft_in(&app, &f, &w.social_worker, &other_case).await?;
        let mut both = inbox(&app, &w.social_worker, "sent").await?;
        both.sort();
        let mut expected = vec![mine.clone(), other.clone()];
        expected.sort();
        assert_eq!(both, expected, "the box without a case has both");
        let before = app.audit_rows().await?.len();
        let reply = app
            .get(&w.social_worker, &format!("/api/finsam/referrals?box=sent&case_id={}", f.case))
            .await?;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let items = reply.body["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), 1, "{}", reply.body);
        assert_eq!(items[0]["id"], json!(mine));
        assert_eq!(items[0]["case_id"], json!(f.case));
        // Only the listed referral's read is audited: the other person's was never read.
        let listed: Vec<_> = app.audit_rows().await?[before..]
            .iter()
            .filter(|r| r.action == "finsam_referral.list")
            .map(|r| r.case_id.clone())
            .collect();
        assert_eq!(listed, vec![Some(f.case.clone())]);
        // A case id that is not one is the query's field error, not an empty list.
        let bad = app.get(&w.social_worker, "/api/finsam/referrals?case_id=inte-ett-id").await?;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        assert_eq!(bad.body["errors"][0]["code"], json!("invalid_query"), "{}", bad.body);
        assert_eq!(bad.body["errors"][0]["field"], json!("case_id"), "{}", bad.body);
        Ok(())
    }

    async fn sending_needs_a_written_consent_covering_the_forbund_and_its_team(app) {
        let f = finsam_setup(&app).await?;
        let w = &f.world;
        let id = draft(&app, &f).await?;
        // No consent at all.
        let none = step(&app, &w.social_worker, &id, "send", json!({})).await?;
        assert_eq!(none.status, StatusCode::CONFLICT, "{}", none.body);
        assert_eq!(none.body["code"], "consent_missing");
        assert!(none.body["detail"].as_str().unwrap().contains("no_consent"), "{}", none.body);
        // An oral consent covering everyone is refused.
        let oral_id = app.consent(&w.social_worker, &f.case, &[&f.forbund, &f.af, &w.clinic], &["finsamteam"]).await?;
        let oral = step(&app, &w.social_worker, &id, "send", json!({})).await?;
        assert_eq!(oral.body["code"], "consent_missing");
        assert!(oral.body["detail"].as_str().unwrap().contains("not_written"), "{}", oral.body);
        app.end_consent(&w.social_worker, &oral_id).await?.ensure_status(StatusCode::OK, "end")?;
        // A written one without the förbund is refused, naming it.
        written_consent(&app, &f, &[&f.af, &w.clinic]).await?;
        let narrow = step(&app, &w.social_worker, &id, "send", json!({})).await?;
        assert_eq!(narrow.status, StatusCode::CONFLICT);
        let detail = narrow.body["detail"].as_str().unwrap().to_owned();
        assert!(detail.contains("forbund_not_covered") && detail.contains("Samordningsförbundet Test"), "{detail}");
        // Nothing left the draft; the coordinator sees nothing.
        assert!(inbox(&app, &f.coordinator, "inbox").await?.is_empty());
        let consent = written_consent(&app, &f, &[&f.forbund, &f.af, &w.clinic]).await?;
        let sent = step(&app, &w.social_worker, &id, "send", json!({})).await?;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
        assert_eq!(sent.body["state"], "sent");
        assert_eq!(sent.body["consent_id"], consent);
        assert_eq!(sent.body["steps"], json!(["withdraw"]));
        let events = app.events_about(&id).await?;
        assert_eq!(events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), ["finsam_referral.sent"]);
        assert_eq!(events[0].purpose.as_deref(), Some("finsamteam"));
        let mut orgs = vec![w.social.id.to_string(), f.forbund.id.to_string()];
        orgs.sort();
        assert_eq!(events[0].organisations(), orgs);
        let actions = app.audit_actions(&w.social_worker).await?;
        for action in ["finsam_referral.create", "finsam_referral.send"] {
            assert!(actions.contains(&(action.to_owned(), "allowed".to_owned())), "{action} {actions:?}");
        }
        assert_eq!(app.notification_kinds(&f.coordinator).await?, ["finsam_referral_received"]);
        assert_eq!(inbox(&app, &f.coordinator, "inbox").await?, std::slice::from_ref(&id));
        let got = app.get(&f.coordinator, &format!("/api/finsam/referrals/{id}")).await?;
        assert_eq!(got.body["steps"], json!(["return", "accept", "decline"]));
        assert_eq!(got.body["own_goal"], "Att börja studera.");
        Ok(())
    }

    async fn the_return_for_completion_round_trip_and_acceptance(app) {
        let f = finsam_setup(&app).await?;
        let w = &f.world;
        written_consent(&app, &f, &[&f.forbund, &f.af, &w.clinic]).await?;
        let id = draft(&app, &f).await?;
        let other = draft(&app, &f).await?;
        // A draft is the referrer's only.
        assert!(inbox(&app, &f.coordinator, "inbox").await?.is_empty());
        let hidden = app.get(&f.coordinator, &format!("/api/finsam/referrals/{id}")).await?;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
        let edited = app.patch(&w.social_worker, &format!("/api/finsam/referrals/{id}"), json!({"why_coordination": "Ny text", "own_goal": "Arbete"})).await?;
        assert_eq!(edited.body["why_coordination"], "Ny text", "{}", edited.body);
        step(&app, &w.social_worker, &id, "send", json!({})).await?.ensure_status(StatusCode::OK, "send")?;
        step(&app, &w.social_worker, &other, "send", json!({})).await?.ensure_status(StatusCode::OK, "send")?;
        let counts = app.get(&f.coordinator, "/api/finsam/referrals/counts").await?;
        assert_eq!(counts.body, json!({"new": 2, "waiting": 0}));
        // The referrer cannot decide.
        let mine = step(&app, &w.social_worker, &id, "accept", json!({})).await?;
        assert_eq!(mine.status, StatusCode::FORBIDDEN);
        assert_eq!(mine.body["code"], "wrong_party");
        let returned = step(&app, &f.coordinator, &id, "return", json!({"question": "Vilka insatser har provats?"})).await?;
        assert_eq!(returned.body["state"], "returned", "{}", returned.body);
        assert_eq!(app.notification_kinds(&w.social_worker).await?, ["finsam_referral_decided"]);
        let counts = app.get(&f.coordinator, "/api/finsam/referrals/counts").await?;
        assert_eq!(counts.body, json!({"new": 1, "waiting": 1}));
        // Not decided while the question is out.
        let early = step(&app, &f.coordinator, &id, "accept", json!({})).await?;
        assert_eq!(early.status, StatusCode::CONFLICT);
        assert_eq!(early.body["code"], "invalid_transition");
        let completed = step(&app, &w.social_worker, &id, "complete", json!({"answer": "Praktik och KBT."})).await?;
        assert_eq!(completed.body["state"], "sent", "{}", completed.body);
        assert_eq!(completed.body["question"], "Vilka insatser har provats?");
        assert_eq!(completed.body["answer"], "Praktik och KBT.");
        let accepted = step(&app, &f.coordinator, &id, "accept", json!({})).await?;
        assert_eq!(accepted.body["state"], "accepted", "{}", accepted.body);
        assert!(accepted.body["decided_at"].is_string());
        let kinds: Vec<String> = app.events_about(&id).await?.into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds, ["finsam_referral.sent", "finsam_referral.returned", "finsam_referral.sent", "finsam_referral.accepted"]);
        let actions = app.audit_actions(&f.coordinator).await?;
        for action in ["finsam_referral.return", "finsam_referral.accept"] {
            assert!(actions.contains(&(action.to_owned(), "allowed".to_owned())), "{action} {actions:?}");
        }
        // Lists: the referrer's sent box; another förbund's coordinator sees nothing.
        let mut sent = inbox(&app, &w.social_worker, "sent").await?;
        sent.sort();
        let mut both = vec![id.clone(), other.clone()];
        both.sort();
        assert_eq!(sent, both);
        let listed = app.audit_actions(&w.social_worker).await?;
        assert_eq!(listed.iter().filter(|a| a.0 == "finsam_referral.list").count(), 2, "one row per listed referral");
        assert!(inbox(&app, &w.social_worker, "inbox").await?.is_empty(), "no inbox without the role");
        let elsewhere = app.organisation("Annat förbund", OrganisationKind::Samordningsforbund).await?;
        let stranger = app.user(&elsewhere, "annan", &[Role::Finsamkoordinator]).await?;
        assert!(inbox(&app, &stranger, "inbox").await?.is_empty());
        let denied = app.get(&stranger, &format!("/api/finsam/referrals/{id}")).await?;
        assert_eq!(denied.status, StatusCode::NOT_FOUND);
        Ok(())
    }

    async fn each_decline_reason_and_withdrawal(app) {
        let f = finsam_setup(&app).await?;
        let w = &f.world;
        written_consent(&app, &f, &[&f.forbund, &f.af, &w.clinic]).await?;
        for reason in ["not_target_group", "other_route", "person_declined", "consent_insufficient", "other"] {
            let id = draft(&app, &f).await?;
            step(&app, &w.social_worker, &id, "send", json!({})).await?.ensure_status(StatusCode::OK, "send")?;
            let route = (reason == "other_route").then_some("sip");
            if reason == "other_route" {
                let missing = step(&app, &f.coordinator, &id, "decline", json!({"reason": reason, "text": "SIP passar bättre."})).await?;
                assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
                assert_eq!(missing.body["errors"][0]["field"], "other_route");
                assert_eq!(missing.body["errors"][0]["code"], "required");
            } else {
                let extra = step(&app, &f.coordinator, &id, "decline", json!({"reason": reason, "other_route": "sip", "text": "x"})).await?;
                assert_eq!(extra.body["errors"][0]["code"], "not_allowed", "{}", extra.body);
            }
            let declined = step(&app, &f.coordinator, &id, "decline", json!({"reason": reason, "other_route": route, "text": "Förklaring."})).await?;
            assert_eq!(declined.status, StatusCode::OK, "{reason}: {}", declined.body);
            assert_eq!(declined.body["state"], "declined");
            assert_eq!(declined.body["decline"], json!({"reason": reason, "other_route": route, "text": "Förklaring."}));
            let again = step(&app, &w.social_worker, &id, "withdraw", json!({})).await?;
            assert_eq!(again.status, StatusCode::CONFLICT, "final");
        }
        let id = draft(&app, &f).await?;
        step(&app, &w.social_worker, &id, "send", json!({})).await?.ensure_status(StatusCode::OK, "send")?;
        let withdrawn = step(&app, &w.social_worker, &id, "withdraw", json!({})).await?;
        assert_eq!(withdrawn.body["state"], "withdrawn", "{}", withdrawn.body);
        let late = step(&app, &f.coordinator, &id, "accept", json!({})).await?;
        assert_eq!(late.status, StatusCode::CONFLICT);
        let kinds: Vec<String> = app.events_about(&id).await?.into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds, ["finsam_referral.sent", "finsam_referral.withdrawn"]);
        Ok(())
    }

    async fn the_forbund_loses_the_referral_when_the_consent_ends(app) {
        let f = finsam_setup(&app).await?;
        let w = &f.world;
        let consent = written_consent(&app, &f, &[&f.forbund, &f.af, &w.clinic]).await?;
        let id = draft(&app, &f).await?;
        step(&app, &w.social_worker, &id, "send", json!({})).await?.ensure_status(StatusCode::OK, "send")?;
        assert_eq!(inbox(&app, &f.coordinator, "inbox").await?, std::slice::from_ref(&id));
        app.end_consent(&w.social_worker, &consent).await?.ensure_status(StatusCode::OK, "end")?;
        assert!(inbox(&app, &f.coordinator, "inbox").await?.is_empty());
        let counts = app.get(&f.coordinator, "/api/finsam/referrals/counts").await?;
        assert_eq!(counts.body, json!({"new": 0, "waiting": 0}));
        let gone = app.get(&f.coordinator, &format!("/api/finsam/referrals/{id}")).await?;
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
        let decide = step(&app, &f.coordinator, &id, "accept", json!({})).await?;
        assert_eq!(decide.status, StatusCode::NOT_FOUND);
        // The referrer still has it.
        assert_eq!(inbox(&app, &w.social_worker, "sent").await?, [id]);
        Ok(())
    }
}
