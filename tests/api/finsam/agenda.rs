//! The Finsamteam meeting with an agenda of several individuals: booking with the team's
//! members, adding, ordering and removing accepted referrals, publishing (content-free
//! notice and e-mail), per-participant visibility (a participant whose organisation the
//! person's consent does not cover sees the item withheld, in the API, the events and the
//! e-mail), recording per item, and the item withheld at once when the consent ends.

use reqwest::StatusCode;
use samverkan::domain::{OrganisationKind, Role};
use serde_json::{json, Value};

use super::*;

/// An accepted referral of a new individual of the social worker's, under a written consent
/// covering `orgs`; returns (referral, case, consent).
pub async fn accepted_referral(
    app: &TestApp,
    f: &Finsam,
    name: &str,
    pnr_first: &str,
    orgs: &[&TestOrg],
) -> anyhow::Result<(String, String, String)> {
    let w = &f.world;
    let (_, case) = app
        .case_for(&w.social_worker, &pnr(pnr_first), name)
        .await?;
    let consent = written_consent_on(app, &w.social_worker, &case, orgs).await?;
    let id = draft_in(app, f, &w.social_worker, &case).await?;
    step(app, &w.social_worker, &id, "send", json!({}))
        .await?
        .ensure_status(StatusCode::OK, "send")?;
    step(app, &f.coordinator, &id, "accept", json!({}))
        .await?
        .ensure_status(StatusCode::OK, "accept")?;
    Ok((id, case, consent))
}

/// A Finsamteam meeting tomorrow, booked by the coordinator with `participants`.
pub async fn book(app: &TestApp, f: &Finsam, participants: &[&TestUser]) -> anyhow::Result<Reply> {
    let mut body = TestApp::meeting_body(None, "finsamteam_mote", 24, participants);
    if let Some(map) = body.as_object_mut() {
        map.remove("case_id");
        map.remove("kind");
    }
    app.post(&f.coordinator, "/api/finsam/meetings", body).await
}

fn agenda_ids(reply: &Reply) -> Vec<String> {
    reply.body["agenda"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| i["id"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The referral id of each agenda item as `who` sees it (`None`: withheld).
fn seen(reply: &Reply) -> Vec<Option<String>> {
    reply.body["agenda"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| i["referral"]["referral_id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn mail_texts(app: &TestApp, kind: &str) -> anyhow::Result<Vec<String>> {
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT subject, body_text, body_html FROM outbox WHERE kind = $1")
            .bind(kind)
            .fetch_all(app.store.pool())
            .await?;
    Ok(rows
        .into_iter()
        .map(|(a, b, c)| format!("{a}\n{b}\n{c}"))
        .collect())
}

on_both_stores! {
    async fn the_team_meeting_body_is_checked_field_by_field_like_every_booking(app) {
        let f = finsam_setup(&app).await?;
        let af_user = app.user(&f.af, "af", &[Role::Arbetsformedlare]).await?;
        let with = |field: &str, value: Value| {
            let mut body = TestApp::meeting_body(None, "finsamteam_mote", 24, &[&af_user]);
            if let Some(map) = body.as_object_mut() {
                map.remove("case_id");
                map.remove("kind");
                map.insert(field.to_owned(), value);
            }
            body
        };
        let refused = [
            (with("place", json!("Rum\u{1b}3")), "place", "control_character"),
            (with("place", json!("x".repeat(201))), "place", "length"),
            (with("video_link", json!("http://video.example.se/x")), "video_link", "invalid_video_link"),
            (with("place", json!("  ")), "place", "location_required"),
            (with("participant_user_ids", json!((0..51).map(|_| uuid::Uuid::new_v4()).collect::<Vec<_>>())), "participant_user_ids", "length"),
            (with("participant_user_ids", json!([uuid::Uuid::new_v4()])), "participant_user_ids[0]", "invalid_participant"),
            (with("ends_at", json!("2020-01-01T10:00:00Z")), "ends_at", "end_before_start"),
            // What a meeting of the case takes, the team's meeting does not.
            (with("kind", json!("finsamteam_mote")), "kind", "unknown_field"),
            (with("external_attendees", json!([])), "external_attendees", "unknown_field"),
        ];
        for (body, field, code) in refused {
            let reply = app.post(&f.coordinator, "/api/finsam/meetings", body).await?;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{field} {code}: {}", reply.body);
            assert!(reply.field_codes().contains(&(field.to_owned(), code.to_owned())), "{field} {code}: {}", reply.body);
        }
        assert_eq!(app.row_count("meetings").await?, 0);
        let booked = app.post(&f.coordinator, "/api/finsam/meetings", with("video_link", json!("https://video.example.se/team"))).await?;
        booked.ensure_status(StatusCode::CREATED, "book")?;
        assert_eq!(booked.body["meeting"]["place"], "Stadsdelsförvaltningen, rum 3");
        assert_eq!(booked.body["meeting"]["video_link"], "https://video.example.se/team");
        assert_eq!(booked.body["meeting"]["participants"].as_array().map(Vec::len), Some(2), "{}", booked.body);
        assert_eq!(app.row_count("meetings").await?, 1);
        Ok(())
    }

    async fn the_team_meeting_agenda_shows_each_person_only_where_the_consent_reaches(app) {
        let f = finsam_setup(&app).await?;
        let w = &f.world;
        // A: sent while the team was AF, the clinic and social services.
        let (a, _, _) = accepted_referral(&app, &f, "Alva Agendasson", "19850312124", &[&f.forbund, &f.af, &w.clinic]).await?;
        // FK joins the team; B and C are sent under consents that cover it too.
        let fk = app.organisation("Försäkringskassan Test", OrganisationKind::Forsakringskassan).await?;
        let mut tx = app.store.begin().await?;
        samverkan::store::finsam::add_team_member(&mut tx, f.forbund.id, fk.id).await?;
        tx.commit().await?;
        let (b, _, b_consent) = accepted_referral(&app, &f, "Bertil Bortamsson", "19850312132", &[&f.forbund, &f.af, &w.clinic, &fk]).await?;
        let (c, _, _) = accepted_referral(&app, &f, "Cilla Cedersson", "19850312140", &[&f.forbund, &f.af, &w.clinic, &fk]).await?;
        let af_user = app.user(&f.af, "af", &[Role::Arbetsformedlare]).await?;
        let fk_user = app.user(&fk, "fk", &[Role::Handlaggare]).await?;
        let coach = app.user(&w.jobbtorg, "coach", &[Role::Jobbcoach]).await?;

        // Only the coordinator books; participants come from the team.
        let refused = app.post(&w.social_worker, "/api/finsam/meetings", json!({"starts_at": "2030-01-01T10:00:00Z", "ends_at": "2030-01-01T11:00:00Z", "place": "Rum 1"})).await?;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        assert_eq!(refused.body["code"], "not_coordinator");
        let outsider = book(&app, &f, &[&af_user, &coach]).await?;
        assert_eq!(outsider.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", outsider.body);
        assert_eq!(outsider.field_codes(), [("participant_user_ids[1]".to_owned(), "not_team_member".to_owned())]);
        let booked = book(&app, &f, &[&af_user, &fk_user, &w.coordinator]).await?;
        booked.ensure_status(StatusCode::CREATED, "book")?;
        let meeting = booked.body["meeting"]["id"].as_str().unwrap_or_default().to_owned();
        assert_eq!(booked.body["meeting"]["kind"], "finsamteam_mote");
        assert_eq!(booked.body["meeting"]["case_id"], Value::Null);
        assert_eq!(booked.body["coordinator"], true);
        assert_eq!(booked.body["agenda"], json!([]));
        // Calendar invitations through the meeting machinery.
        let invited: Vec<String> = app.event_users(&meeting).await?.into_iter().filter(|(k, _)| k == "meeting.invited").flat_map(|(_, u)| u).collect();
        assert_eq!(invited.len(), 4, "{invited:?}");
        let path = format!("/api/finsam/meetings/{meeting}");

        // Only accepted referrals go on; each once.
        let draft_only = draft(&app, &f).await?;
        let early = app.post(&f.coordinator, &format!("{path}/agenda"), json!({"referral_id": draft_only})).await?;
        assert_eq!(early.status, StatusCode::NOT_FOUND, "a draft is not the förbund's: {}", early.body);
        for id in [&a, &b, &c] {
            let added = app.post(&f.coordinator, &format!("{path}/agenda"), json!({"referral_id": id})).await?;
            added.ensure_status(StatusCode::OK, "add")?;
        }
        let twice = app.post(&f.coordinator, &format!("{path}/agenda"), json!({"referral_id": a})).await?;
        assert_eq!(twice.status, StatusCode::CONFLICT);
        assert_eq!(twice.body["code"], "invalid_transition");
        let by_participant = app.post(&fk_user, &format!("{path}/agenda"), json!({"referral_id": a})).await?;
        assert_eq!(by_participant.status, StatusCode::FORBIDDEN);
        assert_eq!(by_participant.body["code"], "not_coordinator");
        let a_now = app.get(&w.social_worker, &format!("/api/finsam/referrals/{a}")).await?;
        assert_eq!(a_now.body["state"], "on_agenda");

        // Not shown to participants before it is published.
        let before = app.get(&fk_user, &path).await?;
        assert_eq!(before.status, StatusCode::OK, "{}", before.body);
        assert_eq!(before.body["agenda"], json!([]));
        assert_eq!(before.body["coordinator"], false);

        // Ordering: every item once.
        let items = agenda_ids(&app.get(&f.coordinator, &path).await?);
        assert_eq!(items.len(), 3);
        let partial = app.put(&f.coordinator, &format!("{path}/agenda"), json!({"item_ids": [items[0]]})).await?;
        assert_eq!(partial.field_codes(), [("item_ids".to_owned(), "not_a_reordering".to_owned())]);
        let order = [items[2].clone(), items[0].clone(), items[1].clone()];
        let ordered = app.put(&f.coordinator, &format!("{path}/agenda"), json!({"item_ids": order})).await?;
        ordered.ensure_status(StatusCode::OK, "order")?;
        assert_eq!(agenda_ids(&ordered), order);
        assert_eq!(seen(&ordered), [Some(c.clone()), Some(a.clone()), Some(b.clone())]);

        // Published: everyone invited is told that it is there, never who is on it.
        let published = app.post(&f.coordinator, &format!("{path}/publish"), json!({})).await?;
        published.ensure_status(StatusCode::OK, "publish")?;
        assert!(published.body["published_at"].is_string());
        for user in [&af_user, &fk_user, &w.coordinator] {
            assert!(app.notification_kinds(user).await?.contains(&"finsam_agenda_published".to_owned()));
        }
        let mails = mail_texts(&app, "finsam_agenda_published").await?;
        assert_eq!(mails.len(), 3, "one e-mail per participant but the coordinator");
        for mail in &mails {
            for canary in ["Alva", "Bertil", "Cilla", "Agendasson", "19850312", "Socialtjänsten"] {
                assert!(!mail.contains(canary), "{canary} in {mail}");
            }
        }

        // FK: A's consent does not reach FK, so A is withheld: no identity anywhere in it.
        let fk_view = app.get(&fk_user, &path).await?;
        assert_eq!(seen(&fk_view), [Some(c.clone()), None, Some(b.clone())]);
        let withheld = &fk_view.body["agenda"][1];
        assert_eq!(withheld["withheld"], true);
        assert!(withheld.get("referral").is_none(), "{withheld}");
        let text = fk_view.body.to_string();
        assert!(!text.contains("Alva") && !text.contains(&a), "{text}");
        assert!(text.contains("Bertil Bortamsson") && text.contains("Cilla Cedersson"));
        // AF is covered by all three.
        let af_view = app.get(&af_user, &path).await?;
        assert_eq!(seen(&af_view), [Some(c.clone()), Some(a.clone()), Some(b.clone())]);
        assert_eq!(af_view.body["agenda"][1]["referral"]["individual_name"], "Alva Agendasson");
        // One audit row per person shown, each naming its case; none for the withheld one.
        let fk_reads: Vec<_> = app.audit_rows().await?.into_iter()
            .filter(|r| r.user_id == Some(fk_user.id.to_string()) && r.action == "finsam_meeting.read")
            .collect();
        assert_eq!(fk_reads.iter().filter(|r| r.case_id.is_some()).count(), 2, "the two items shown (before publishing: none)");
        assert_eq!(fk_reads.len(), 2 + 2, "and one row per read of the meeting");
        // Events name the meeting only.
        let events = app.events_about(&meeting).await?;
        let agenda_events: Vec<_> = events.iter().filter(|e| e.kind.starts_with("finsam_meeting.")).collect();
        assert_eq!(agenda_events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
            ["finsam_meeting.agenda_changed", "finsam_meeting.agenda_changed", "finsam_meeting.agenda_changed", "finsam_meeting.agenda_changed", "finsam_meeting.agenda_published"]);
        assert!(agenda_events.iter().all(|e| e.case_id.is_none() && e.individual_id.is_none()));

        // At the meeting: a plan for B with AF and FK; C postponed; a party outside the team refused.
        let item = |i: usize| format!("{path}/agenda/{}/record", order[i]);
        let outside = app.post(&f.coordinator, &item(2), json!({"decision": "start_plan", "party_organisation_ids": [f.af.id, w.jobbtorg.id], "next_step": "Plan"})).await?;
        assert_eq!(outside.field_codes(), [("party_organisation_ids[1]".to_owned(), "not_team_member".to_owned())]);
        let empty = app.post(&f.coordinator, &item(2), json!({"decision": "start_plan", "next_step": " "})).await?;
        let mut codes = empty.field_codes();
        codes.sort();
        assert_eq!(codes, [("next_step".to_owned(), "required".to_owned()), ("party_organisation_ids".to_owned(), "required".to_owned())]);
        let recorded = app.post(&f.coordinator, &item(2), json!({"decision": "start_plan", "party_organisation_ids": [f.af.id, fk.id], "next_step": "Gemensam plan med FK och AF"})).await?;
        recorded.ensure_status(StatusCode::OK, "record")?;
        let b_item = &recorded.body["agenda"][2];
        assert_eq!(b_item["recorded"], true);
        assert_eq!(b_item["referral"]["decision"], "start_plan");
        let mut parties = vec![f.af.id.to_string(), fk.id.to_string()];
        parties.sort();
        assert_eq!(b_item["referral"]["party_organisation_ids"], json!(parties));
        assert_eq!(b_item["referral"]["next_step"], "Gemensam plan med FK och AF");
        let again = app.post(&f.coordinator, &item(2), json!({"decision": "postponed", "next_step": "x"})).await?;
        assert_eq!(again.body["code"], "already_recorded");
        let removed_recorded = app.delete(&f.coordinator, &format!("{path}/agenda/{}", order[2])).await?;
        assert_eq!(removed_recorded.body["code"], "already_recorded");
        app.post(&f.coordinator, &item(0), json!({"decision": "postponed", "next_step": "Nästa möte"})).await?.ensure_status(StatusCode::OK, "postpone")?;
        let c_now = app.get(&w.social_worker, &format!("/api/finsam/referrals/{c}")).await?;
        assert_eq!(c_now.body["state"], "accepted", "postponed: back for a later meeting");
        // A taken off the agenda: accepted again, the item gone.
        let removed = app.delete(&f.coordinator, &format!("{path}/agenda/{}", order[1])).await?;
        removed.ensure_status(StatusCode::OK, "remove")?;
        assert_eq!(agenda_ids(&removed), [order[0].clone(), order[2].clone()]);
        let a_now = app.get(&w.social_worker, &format!("/api/finsam/referrals/{a}")).await?;
        assert_eq!(a_now.body["state"], "accepted");
        let b_now = app.get(&w.social_worker, &format!("/api/finsam/referrals/{b}")).await?;
        assert_eq!(b_now.body["state"], "on_agenda");

        // B's consent ends: FK loses B's item at that commit (access_revoked on the stream).
        app.end_consent(&w.social_worker, &b_consent).await?.ensure_status(StatusCode::OK, "end")?;
        let after = app.get(&fk_user, &path).await?;
        assert_eq!(seen(&after), [Some(c.clone()), None]);
        assert!(!after.body.to_string().contains("Bertil"));
        let revoked = app.events_about(&b_consent).await?;
        let lost = revoked.iter().find(|e| e.kind == "access_revoked").map(|e| e.organisations()).unwrap_or_default();
        assert!(lost.contains(&fk.id.to_string()), "{lost:?}");

        // The lists: the förbund's coordinator and the invited see it; others not.
        for (who, count) in [(&f.coordinator, 1), (&fk_user, 1), (&coach, 0), (&w.social_worker, 0)] {
            let list = app.get(who, "/api/finsam/meetings").await?;
            assert_eq!(list.body["items"].as_array().map(Vec::len), Some(count), "{}", list.body);
        }
        let listed = app.get(&f.coordinator, "/api/finsam/meetings").await?;
        assert_eq!(listed.body["items"][0]["items"], 2);
        assert!(!listed.body.to_string().contains("Cilla"));
        let stranger = app.get(&coach, &path).await?;
        assert_eq!(stranger.status, StatusCode::NOT_FOUND);
        Ok(())
    }
}
