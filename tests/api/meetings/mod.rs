//! Meetings: booked in a case with participants the consent covers (or for a partnership),
//! answered, moved, cancelled; double bookings warned about; lists by person and by case.

use chrono::{DateTime, Duration, DurationRound, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_stores;

mod visibility;

/// A whole hour two days from now, plus `hours`: times the tests can line up exactly.
fn at(hours: f64) -> DateTime<Utc> {
    let base = (Utc::now() + Duration::days(2))
        .duration_trunc(Duration::hours(1))
        .unwrap_or_else(|_| Utc::now());
    base + Duration::minutes((hours * 60.0) as i64)
}

fn rfc(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A meeting body from `start` to `end` (hours from the base).
fn body(case: Option<&str>, kind: &str, start: f64, end: f64, users: &[&TestUser]) -> Value {
    json!({
        "case_id": case,
        "kind": kind,
        "starts_at": rfc(at(start)),
        "ends_at": rfc(at(end)),
        "place": "Stadsdelsförvaltningen, rum 3",
        "participant_user_ids": users.iter().map(|u| u.id.to_string()).collect::<Vec<_>>(),
    })
}

/// A case of social services whose consent covers the clinic for `purposes`.
async fn case_with_consent(
    app: &TestApp,
    purposes: &[&str],
) -> anyhow::Result<(World, String, String)> {
    let world = app.world().await?;
    let (_, case) = app
        .case_for(&world.social_worker, &pnr("19850312123"), "Amina Testsson")
        .await?;
    let consent = app
        .consent(&world.social_worker, &case, &[&world.clinic], purposes)
        .await?;
    Ok((world, case, consent))
}

async fn book(app: &TestApp, user: &TestUser, body: Value) -> anyhow::Result<Reply> {
    app.post(user, "/api/meetings", body).await
}

fn ids(users: &[&TestUser]) -> Vec<String> {
    let mut ids: Vec<String> = users.iter().map(|u| u.id.to_string()).collect();
    ids.sort();
    ids
}

async fn meeting_count(app: &TestApp) -> anyhow::Result<i64> {
    app.row_count("meetings").await
}

on_both_stores! {
    async fn a_sip_meeting_is_booked_with_participants_from_covered_organisations(app) {
        let (w, case, consent) = case_with_consent(&app, &["sip"]).await?;
        let mut request = body(Some(&case), "sip_mote", 0.0, 1.5, &[&w.coordinator, &w.colleague, &w.coordinator]);
        request["external_attendees"] = json!([{"name": "Amina Testsson", "email": "amina@example.org"}]);
        let reply = book(&app, &w.social_worker, request).await?;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        let m = &reply.body;
        assert_eq!(m["case_id"], case);
        assert_eq!(m["kind"], "sip_mote");
        assert_eq!(m["kind_label"], "SIP-möte");
        assert_eq!(m["purpose"], "sip", "the purpose defaults from the kind");
        assert_eq!(m["starts_at"], rfc(at(0.0)));
        assert_eq!(m["ends_at"], rfc(at(1.5)));
        assert_eq!(m["status"], "scheduled");
        assert_eq!(m["sequence"], 0);
        assert_eq!(m["place"], "Stadsdelsförvaltningen, rum 3");
        assert_eq!(m["organiser_user_id"], w.social_worker.id.to_string());
        assert_eq!(m["organiser_organisation_name"], "Socialtjänsten Test");
        assert_eq!(m["warnings"], json!([]));
        let participants = m["participants"].as_array().unwrap();
        assert_eq!(participants.len(), 3, "the organiser and two invited, each once");
        assert_eq!(participants[0]["user_id"], w.social_worker.id.to_string());
        assert_eq!(participants[0]["organiser"], true);
        assert_eq!(participants[0]["answer"], "accepted");
        assert!(participants[1..].iter().all(|p| p["answer"].is_null() && p["organiser"] == false));
        assert!(participants.iter().any(|p| p["organisation_name"] == "Vårdcentral Alfa"));
        assert_eq!(m["external_attendees"][0]["name"], "Amina Testsson");
        assert_eq!(m["external_attendees"][0]["email"], "amina@example.org");
        assert!(m["external_attendees"][0]["answer"].is_null());
        assert_eq!(m["answers"], json!({"accepted": 1, "declined": 0, "tentative": 0, "unanswered": 3}));
        let id = reply.id();

        // The clinic's coordinator sees it, in the meeting and in their own list.
        let seen = app.get(&w.coordinator, &format!("/api/meetings/{id}")).await?;
        assert_eq!(seen.status, StatusCode::OK, "{}", seen.body);
        let mine = app.get(&w.coordinator, "/api/meetings").await?;
        assert_eq!(mine.body["items"][0]["id"], id);

        let events = app.event_users(&id).await?;
        assert_eq!(events, [("meeting.invited".to_owned(), ids(&[&w.social_worker, &w.coordinator, &w.colleague]))]);
        let event = app.events_about(&id).await?.remove(0);
        assert_eq!(event.audience, "users");
        assert_eq!(event.case_id.as_deref(), Some(case.as_str()));
        assert_eq!(event.purpose.as_deref(), Some("sip"));

        let audit = app.audit_rows().await?;
        let created = audit.iter().find(|r| r.action == "meeting.create").unwrap();
        assert_eq!(created.outcome, "allowed");
        assert_eq!(created.case_id.as_deref(), Some(case.as_str()));
        assert_eq!(created.purpose.as_deref(), Some("sip"));
        let read = audit.iter().find(|r| r.action == "meeting.read").unwrap();
        assert_eq!(read.user_id, Some(w.coordinator.id.to_string()));
        assert_eq!(read.consent_id.as_deref(), Some(consent.as_str()), "the clinic reads under the consent");
        Ok(())
    }

    async fn participants_without_consent_for_the_purpose_are_refused(app) {
        let (w, case, _) = case_with_consent(&app, &["informationsutbyte"]).await?;
        let sip = book(&app, &w.social_worker, body(Some(&case), "sip_mote", 0.0, 1.0, &[&w.coordinator])).await?;
        assert_eq!(sip.status, StatusCode::CONFLICT, "{}", sip.body);
        assert_eq!(sip.body["code"], "consent_missing");
        let detail = sip.body["detail"].as_str().unwrap();
        assert!(detail.contains("Vårdcentral Alfa") && detail.contains("ändamålet SIP (sip)"), "the purpose by its name and code: {detail}");
        let other = book(&app, &w.social_worker, body(Some(&case), "trepartsmote", 0.0, 1.0, &[&w.other_coordinator])).await?;
        assert_eq!(other.body["code"], "consent_missing");
        assert!(other.body["detail"].as_str().unwrap().contains("Vårdcentral Beta"));
        let mut overridden = body(Some(&case), "other", 0.0, 1.0, &[&w.coordinator]);
        overridden["purpose"] = json!("sip");
        let overridden = book(&app, &w.social_worker, overridden).await?;
        assert_eq!(overridden.body["code"], "consent_missing", "an overridden purpose is checked too");
        assert_eq!(meeting_count(&app).await?, 0, "nothing was stored");
        assert!(app.events().await?.iter().all(|e| !e.kind.starts_with("meeting.")));

        let covered = book(&app, &w.social_worker, body(Some(&case), "trepartsmote", 0.0, 1.0, &[&w.coordinator])).await?;
        assert_eq!(covered.status, StatusCode::CREATED, "{}", covered.body);
        assert_eq!(covered.body["purpose"], "informationsutbyte");
        // Adding an uncovered participant later is refused the same way.
        let path = format!("/api/meetings/{}/participants", covered.id());
        let later = app.post(&w.social_worker, &path, json!({"user_ids": [w.other_coordinator.id]})).await?;
        assert_eq!(later.status, StatusCode::CONFLICT);
        assert_eq!(later.body["code"], "consent_missing");
        Ok(())
    }

    async fn participants_answer_and_the_organiser_sees_who_has(app) {
        let (w, case, _) = case_with_consent(&app, &["sip"]).await?;
        let mut request = body(Some(&case), "sip_mote", 0.0, 1.0, &[&w.coordinator, &w.colleague]);
        request["external_attendees"] = json!([{"name": "Närstående Testsson", "email": "anhorig@example.org"}]);
        let created = book(&app, &w.social_worker, request).await?;
        let id = created.id();
        let attendee = created.body["external_attendees"][0]["id"].as_str().unwrap().to_owned();
        let answer = format!("/api/meetings/{id}/answer");

        let tentative = app.post(&w.coordinator, &answer, json!({"answer": "tentative"})).await?;
        assert_eq!(tentative.status, StatusCode::OK, "{}", tentative.body);
        let accepted = app.post(&w.coordinator, &answer, json!({"answer": "accepted"})).await?;
        assert_eq!(accepted.status, StatusCode::OK);
        let declined = app.post(&w.colleague, &answer, json!({"answer": "declined"})).await?;
        assert_eq!(declined.status, StatusCode::OK);
        let external = format!("/api/meetings/{id}/attendees/{attendee}/answer");
        let recorded = app.post(&w.social_worker, &external, json!({"answer": "tentative"})).await?;
        assert_eq!(recorded.status, StatusCode::OK, "{}", recorded.body);

        // Only the organiser records external answers; only the invited answer for themselves.
        let not_organiser = app.post(&w.coordinator, &external, json!({"answer": "accepted"})).await?;
        assert_eq!(not_organiser.status, StatusCode::FORBIDDEN);
        assert_eq!(not_organiser.body["code"], "not_organiser");
        assert_eq!(app.audit_actions(&w.coordinator).await?.last().unwrap(), &("meeting.answer_attendee".to_owned(), "denied".to_owned()));
        let not_invited = app.post(&w.rehab_lead, &answer, json!({"answer": "accepted"})).await?;
        assert_eq!(not_invited.status, StatusCode::FORBIDDEN);
        assert_eq!(not_invited.body["code"], "not_participant");
        let unknown = format!("/api/meetings/{id}/attendees/{}/answer", uuid::Uuid::new_v4());
        assert_eq!(app.post(&w.social_worker, &unknown, json!({"answer": "accepted"})).await?.status, StatusCode::NOT_FOUND);
        let bad = app.post(&w.coordinator, &answer, json!({"answer": "maybe"})).await?;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.field_codes()[0].0, "answer");

        let view = app.get(&w.social_worker, &format!("/api/meetings/{id}")).await?;
        let answers: Vec<(String, Value)> = view.body["participants"].as_array().unwrap().iter()
            .map(|p| (p["user_id"].as_str().unwrap().to_owned(), p["answer"].clone())).collect();
        assert!(answers.contains(&(w.coordinator.id.to_string(), json!("accepted"))));
        assert!(answers.contains(&(w.colleague.id.to_string(), json!("declined"))));
        assert_eq!(view.body["external_attendees"][0]["answer"], "tentative");
        assert!(view.body["external_attendees"][0]["answered_at"].is_string());
        assert_eq!(view.body["answers"], json!({"accepted": 2, "declined": 1, "tentative": 1, "unanswered": 0}));
        assert_eq!(view.body["sequence"], 0, "answers change no invitation");

        let kinds: Vec<String> = app.event_users(&id).await?.into_iter().map(|e| e.0).collect();
        assert_eq!(kinds, ["meeting.invited", "meeting.answered", "meeting.answered", "meeting.answered", "meeting.answered"]);
        Ok(())
    }

    async fn moving_raises_the_sequence_and_cancelling_ends_the_meeting(app) {
        let (w, case, _) = case_with_consent(&app, &["informationsutbyte"]).await?;
        let created = book(&app, &w.social_worker, body(Some(&case), "avstamningsmote", 0.0, 1.0, &[&w.coordinator])).await?;
        let id = created.id();
        let path = format!("/api/meetings/{id}");
        let moved = app.patch(&w.social_worker, &path, json!({"starts_at": rfc(at(24.0)), "ends_at": rfc(at(25.0))})).await?;
        assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
        assert_eq!(moved.body["sequence"], 1);
        assert_eq!(moved.body["starts_at"], rfc(at(24.0)));
        let placed = app.patch(&w.social_worker, &path, json!({"place": "", "video_link": "https://video.example.se/mote/123"})).await?;
        assert_eq!(placed.body["sequence"], 2);
        assert!(placed.body["place"].is_null());
        assert_eq!(placed.body["video_link"], "https://video.example.se/mote/123");
        let same = app.patch(&w.social_worker, &path, json!({"starts_at": rfc(at(24.0))})).await?;
        assert_eq!(same.body["sequence"], 2, "no change, no new sequence");
        let nowhere = app.patch(&w.social_worker, &path, json!({"video_link": ""})).await?;
        assert_eq!(nowhere.field_codes(), [("place".to_owned(), "location_required".to_owned())]);
        let not_organiser = app.patch(&w.coordinator, &path, json!({"place": "Annat rum"})).await?;
        assert_eq!(not_organiser.status, StatusCode::FORBIDDEN);
        assert_eq!(not_organiser.body["code"], "not_organiser");

        // The invitation the outbox will build follows the stored sequence.
        let invitation = {
            let mut tx = app.store.begin().await?;
            samverkan::store::meetings::invitation(&mut tx, id.parse()?).await?.unwrap()
        };
        assert_eq!(invitation.sequence, 2);
        assert_eq!(invitation.recipients.len(), 1, "the organiser gets no invitation");
        let public_url = app.settings.server.public_url.clone();
        let invite = samverkan::mail::calendar::Invite::for_meeting(&invitation, "rk@example.se", &public_url, invitation.updated_at);
        let ics = samverkan::mail::calendar::build(&invite);
        assert!(ics.text.contains("METHOD:REQUEST\r\n") && ics.text.contains("SEQUENCE:2\r\n"));
        assert!(ics.text.contains(&format!("UID:{id}@localhost\r\n")));
        assert!(!ics.text.contains("Amina") && !ics.text.contains("Stöd mot arbete"));

        let cancelled = app.post_empty(&w.social_worker, &format!("{path}/cancel")).await?;
        assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
        assert_eq!(cancelled.body["status"], "cancelled");
        assert_eq!(cancelled.body["sequence"], 3);
        assert!(cancelled.body["cancelled_at"].is_string());
        let again = app.post_empty(&w.social_worker, &format!("{path}/cancel")).await?;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert_eq!(again.body["code"], "meeting_cancelled");
        let late_move = app.patch(&w.social_worker, &path, json!({"place": "Rum 5"})).await?;
        assert_eq!(late_move.body["code"], "meeting_cancelled");
        let late_answer = app.post(&w.coordinator, &format!("{path}/answer"), json!({"answer": "accepted"})).await?;
        assert_eq!(late_answer.body["code"], "meeting_cancelled");

        let invitation = {
            let mut tx = app.store.begin().await?;
            samverkan::store::meetings::invitation(&mut tx, id.parse()?).await?.unwrap()
        };
        let invite = samverkan::mail::calendar::Invite::for_meeting(&invitation, "rk@example.se", &public_url, invitation.updated_at);
        let ics = samverkan::mail::calendar::build(&invite);
        assert_eq!(ics.content_type, "text/calendar; method=CANCEL; charset=UTF-8");
        assert!(ics.text.contains("METHOD:CANCEL\r\n") && ics.text.contains("STATUS:CANCELLED\r\n") && ics.text.contains("SEQUENCE:3\r\n"));

        let everyone = ids(&[&w.social_worker, &w.coordinator]);
        assert_eq!(app.event_users(&id).await?, [
            ("meeting.invited".to_owned(), everyone.clone()),
            ("meeting.updated".to_owned(), everyone.clone()),
            ("meeting.updated".to_owned(), everyone.clone()),
            ("meeting.cancelled".to_owned(), everyone),
        ]);
        let mine = app.get(&w.coordinator, "/api/meetings").await?;
        assert_eq!(mine.body["items"], json!([]), "cancelled meetings are left out by default");
        let all = app.get(&w.coordinator, "/api/meetings?include_cancelled=true").await?;
        assert_eq!(all.body["items"][0]["id"], id);
        Ok(())
    }

    async fn a_participant_booked_elsewhere_is_a_warning_not_a_refusal(app) {
        let (w, case, _) = case_with_consent(&app, &["informationsutbyte", "sip"]).await?;
        let first = book(&app, &w.social_worker, body(Some(&case), "trepartsmote", 0.0, 1.0, &[&w.coordinator])).await?;
        let first_id = first.id();
        // The rehab lead does not take part in the first meeting: told who, not which.
        let clash = book(&app, &w.rehab_lead, body(Some(&case), "sip_mote", 0.5, 1.5, &[&w.coordinator])).await?;
        assert_eq!(clash.status, StatusCode::CREATED, "{}", clash.body);
        assert_eq!(clash.body["warnings"], json!([{
            "code": "double_booked",
            "user_id": w.coordinator.id.to_string(),
            "message": "Deltagaren är redan bokad på ett annat möte den tiden.",
        }]));
        // The social worker takes part in the first meeting, so it is named to them.
        let own = book(&app, &w.social_worker, body(None, "other", 0.25, 0.75, &[])).await?;
        let warnings = own.body["warnings"].as_array().unwrap();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0]["user_id"], w.social_worker.id.to_string());
        assert_eq!(warnings[0]["meeting_id"], first_id);
        // Back to back is no clash; a declined or cancelled meeting books nobody.
        let after = book(&app, &w.social_worker, body(Some(&case), "trepartsmote", 1.5, 2.0, &[&w.coordinator])).await?;
        assert_eq!(after.body["warnings"], json!([]));
        app.post(&w.coordinator, &format!("/api/meetings/{}/answer", clash.id()), json!({"answer": "declined"})).await?;
        app.post_empty(&w.social_worker, &format!("/api/meetings/{}/cancel", own.id())).await?;
        let moved = app.patch(&w.social_worker, &format!("/api/meetings/{first_id}"), json!({"starts_at": rfc(at(0.5)), "ends_at": rfc(at(1.25))})).await?;
        assert_eq!(moved.body["warnings"], json!([]), "{}", moved.body);
        // Moving into a slot where someone is booked warns.
        let moved = app.patch(&w.social_worker, &format!("/api/meetings/{first_id}"), json!({"starts_at": rfc(at(1.0)), "ends_at": rfc(at(1.75))})).await?;
        let warned: Vec<&str> = moved.body["warnings"].as_array().unwrap().iter().map(|w| w["user_id"].as_str().unwrap()).collect();
        let mut expected = vec![w.social_worker.id.to_string(), w.coordinator.id.to_string()];
        expected.sort();
        let mut warned: Vec<String> = warned.into_iter().map(str::to_owned).collect();
        warned.sort();
        assert_eq!(warned, expected);
        // Someone who declined this meeting is not booked by it.
        app.post(&w.coordinator, &format!("/api/meetings/{first_id}/answer"), json!({"answer": "declined"})).await?;
        let moved = app.patch(&w.social_worker, &format!("/api/meetings/{first_id}"), json!({"ends_at": rfc(at(1.9))})).await?;
        let warned: Vec<&str> = moved.body["warnings"].as_array().unwrap().iter().map(|w| w["user_id"].as_str().unwrap()).collect();
        assert_eq!(warned, [w.social_worker.id.to_string()]);
        Ok(())
    }

    async fn bad_input_gets_field_errors(app) {
        let (w, case, _) = case_with_consent(&app, &["informationsutbyte"]).await?;
        let sw = &w.social_worker;
        let backwards = book(&app, sw, body(Some(&case), "trepartsmote", 2.0, 1.0, &[])).await?;
        assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(backwards.field_codes(), [("ends_at".to_owned(), "end_before_start".to_owned())]);
        let long = book(&app, sw, body(Some(&case), "trepartsmote", 0.0, 11.0, &[])).await?;
        assert_eq!(long.field_codes(), [("ends_at".to_owned(), "too_long".to_owned())]);
        let past = book(&app, sw, body(Some(&case), "trepartsmote", -60.0, -59.0, &[])).await?;
        assert_eq!(past.field_codes(), [("starts_at".to_owned(), "in_the_past".to_owned())]);
        let mut bad_email = body(Some(&case), "trepartsmote", 0.0, 1.0, &[]);
        bad_email["external_attendees"] = json!([{"name": "Anhörig", "email": "inte-en-adress"}]);
        let bad_email = book(&app, sw, bad_email).await?;
        assert_eq!(bad_email.field_codes(), [("external_attendees[0].email".to_owned(), "email".to_owned())]);
        let mut unknown_kind = body(Some(&case), "trepartsmote", 0.0, 1.0, &[]);
        unknown_kind["kind"] = json!("kafferep");
        let unknown_kind = book(&app, sw, unknown_kind).await?;
        assert_eq!(unknown_kind.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(unknown_kind.field_codes()[0].0, "kind");
        let mut nowhere = body(Some(&case), "trepartsmote", 0.0, 1.0, &[]);
        nowhere["place"] = json!("  ");
        let nowhere = book(&app, sw, nowhere).await?;
        assert_eq!(nowhere.field_codes(), [("place".to_owned(), "location_required".to_owned())]);
        let mut plain_http = body(Some(&case), "trepartsmote", 0.0, 1.0, &[]);
        plain_http["video_link"] = json!("http://video.example.se/x");
        let plain_http = book(&app, sw, plain_http).await?;
        assert_eq!(plain_http.field_codes(), [("video_link".to_owned(), "invalid_video_link".to_owned())]);
        let mut control = body(Some(&case), "trepartsmote", 0.0, 1.0, &[]);
        control["place"] = json!("Rum\u{1b}3");
        assert_eq!(book(&app, sw, control).await?.field_codes(), [("place".to_owned(), "control_character".to_owned())]);
        let mut stranger = body(Some(&case), "trepartsmote", 0.0, 1.0, &[]);
        stranger["participant_user_ids"] = json!([uuid::Uuid::new_v4()]);
        assert_eq!(book(&app, sw, stranger).await?.field_codes(), [("participant_user_ids[0]".to_owned(), "invalid_participant".to_owned())]);
        let mut extra = body(Some(&case), "trepartsmote", 0.0, 1.0, &[]);
        extra["title"] = json!("Amina");
        assert_eq!(book(&app, sw, extra).await?.field_codes()[0], ("title".to_owned(), "unknown_field".to_owned()));
        let mut too_many = body(Some(&case), "trepartsmote", 0.0, 1.0, &[]);
        too_many["external_attendees"] = json!((0..21).map(|n| json!({"name": format!("P {n}"), "email": format!("p{n}@example.org")})).collect::<Vec<_>>());
        assert_eq!(book(&app, sw, too_many).await?.field_codes()[0].0, "external_attendees");
        let no_case = book(&app, sw, body(Some(&uuid::Uuid::new_v4().to_string()), "trepartsmote", 0.0, 1.0, &[])).await?;
        assert_eq!(no_case.status, StatusCode::NOT_FOUND);
        assert_eq!(meeting_count(&app).await?, 0);
        Ok(())
    }
}
