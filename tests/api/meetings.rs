//! Meetings: booked in a case with participants the consent covers (or for a partnership),
//! answered, moved, cancelled; double bookings warned about; lists by person and by case.

use chrono::{DateTime, Duration, DurationRound, Utc};
use reqwest::{Method, StatusCode};
use samverkan::domain::Role;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_stores;

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
    use sqlx::Row as _;
    let mut tx = app.store.begin().await?;
    let row = sqlx::query("SELECT COUNT(*) AS n FROM meetings")
        .fetch_one(tx.conn())
        .await?;
    Ok(row.try_get("n")?)
}

fn field_errors(reply: &Reply) -> Vec<(String, String)> {
    reply.body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or_default().to_owned(),
                        e["code"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
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
        assert_eq!(field_errors(&bad)[0].0, "answer");

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
        assert_eq!(field_errors(&nowhere), [("place".to_owned(), "location_required".to_owned())]);
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

    async fn my_meetings_are_listed_within_a_window(app) {
        let (w, case, consent) = case_with_consent(&app, &["informationsutbyte"]).await?;
        let mut booked = Vec::new();
        for start in [2.0, 50.0, 200.0] {
            let reply = book(&app, &w.social_worker, body(Some(&case), "trepartsmote", start, start + 1.0, &[&w.coordinator])).await?;
            booked.push(reply.id());
        }
        let general = book(&app, &w.coordinator, body(None, "other", 5.0, 6.0, &[])).await?.id();
        let all = app.get(&w.coordinator, "/api/meetings").await?;
        let listed: Vec<&str> = all.body["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(listed, [booked[0].as_str(), general.as_str(), booked[1].as_str(), booked[2].as_str()], "earliest first");
        let window = format!("/api/meetings?from={}&to={}", rfc(at(24.0)), rfc(at(100.0)));
        let some = app.get(&w.coordinator, &window).await?;
        assert_eq!(some.status, StatusCode::OK, "{}", some.body);
        let listed: Vec<&str> = some.body["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(listed, [booked[1].as_str()]);
        let paged = app.get(&w.coordinator, "/api/meetings?limit=1&offset=1").await?;
        assert_eq!(paged.body["items"][0]["id"], general);
        let past = app.get(&w.coordinator, &format!("/api/meetings?from={}&to={}", rfc(Utc::now() - Duration::days(3)), rfc(Utc::now() - Duration::days(1)))).await?;
        assert_eq!(past.status, StatusCode::OK, "{}", past.body);
        assert_eq!(past.body["items"], json!([]));
        let backwards = app.get(&w.coordinator, &format!("/api/meetings?from={}&to={}", rfc(at(10.0)), rfc(at(5.0)))).await?;
        assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(field_errors(&backwards), [("to".to_owned(), "before_from".to_owned())]);
        let colleague = app.get(&w.colleague, "/api/meetings").await?;
        assert_eq!(colleague.body["items"], json!([]), "only meetings I take part in");
        // One row per case meeting shown: three in the full list, one in the window, none on
        // the page (the general meeting) or in the past; each naming the case and the consent.
        let listed_audit: Vec<_> = app.audit_rows().await?.into_iter()
            .filter(|r| r.action == "meeting.list" && r.user_id == Some(w.coordinator.id.to_string())).collect();
        assert_eq!(listed_audit.len(), 4, "each listed case meeting is audited");
        for row in &listed_audit {
            assert_eq!((row.case_id.as_deref(), row.consent_id.as_deref(), row.outcome.as_str()), (Some(case.as_str()), Some(consent.as_str()), "allowed"));
        }
        Ok(())
    }

    async fn a_cases_meetings_show_while_the_consent_holds(app) {
        let (w, case, consent) = case_with_consent(&app, &["informationsutbyte"]).await?;
        let shared = app.meeting(&w.social_worker, Some(&case), "trepartsmote", &[&w.coordinator]).await?;
        let internal = app.meeting(&w.social_worker, Some(&case), "sip_mote", &[&w.colleague]).await?;
        let path = format!("/api/cases/{case}/meetings");
        let owner = app.get(&w.rehab_lead, &path).await?;
        assert_eq!(owner.status, StatusCode::OK, "{}", owner.body);
        let listed: Vec<&str> = owner.body["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(listed.len(), 2, "the owner sees every meeting of the case");
        let clinic = app.get(&w.coordinator, &path).await?;
        let listed: Vec<&str> = clinic.body["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(listed, [shared.as_str()], "not the SIP meeting: no consent for sip");
        assert_eq!(app.get(&w.coordinator, &format!("/api/meetings/{internal}")).await?.status, StatusCode::NOT_FOUND);

        let ended = app.end_consent(&w.social_worker, &consent).await?;
        assert_eq!(ended.status, StatusCode::OK, "{}", ended.body);
        let gone = app.get(&w.coordinator, &format!("/api/meetings/{shared}")).await?;
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
        let mine = app.get(&w.coordinator, "/api/meetings").await?;
        assert_eq!(mine.body["items"], json!([]), "the meeting leaves my list with the consent");
        assert_eq!(app.get(&w.coordinator, &path).await?.status, StatusCode::NOT_FOUND);
        let answer = app.post(&w.coordinator, &format!("/api/meetings/{shared}/answer"), json!({"answer": "accepted"})).await?;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        Ok(())
    }

    async fn outsiders_get_404_and_are_audited(app) {
        let (w, case, _) = case_with_consent(&app, &["informationsutbyte"]).await?;
        let id = app.meeting(&w.social_worker, Some(&case), "trepartsmote", &[&w.coordinator]).await?;
        let routes: Vec<(Method, String, Option<Value>)> = vec![
            (Method::GET, format!("/api/meetings/{id}"), None),
            (Method::PATCH, format!("/api/meetings/{id}"), Some(json!({"place": "Rum 9"}))),
            (Method::POST, format!("/api/meetings/{id}/cancel"), None),
            (Method::POST, format!("/api/meetings/{id}/answer"), Some(json!({"answer": "accepted"}))),
            (Method::POST, format!("/api/meetings/{id}/participants"), Some(json!({"user_ids": []}))),
            (Method::GET, format!("/api/cases/{case}/meetings"), None),
        ];
        for user in [&w.other_coordinator, &w.clinic_admin, &w.social_admin] {
            for (method, path, payload) in &routes {
                let before = app.audit_actions(user).await?.len();
                let mut request = app.client.request(method.clone(), app.url(path)).bearer_auth(&user.token);
                if let Some(payload) = payload {
                    request = request.json(payload);
                }
                let reply = app.raw(request).await?;
                assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {path}: {}", reply.body);
                let after = app.audit_actions(user).await?;
                assert_eq!(after.len(), before + 1, "{method} {path} audited");
                assert_eq!(after.last().unwrap().1, "denied");
            }
        }
        let unknown = app.get(&w.social_worker, &format!("/api/meetings/{}", uuid::Uuid::new_v4())).await?;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        let listed = app.get(&w.other_coordinator, "/api/meetings").await?;
        assert_eq!(listed.body["items"], json!([]));
        Ok(())
    }

    async fn a_partnership_meeting_needs_no_case_and_shows_to_its_people_only(app) {
        let w = app.world().await?;
        let jobbcoach = app.user(&w.jobbtorg, "jc", &[Role::Jobbcoach]).await?;
        let created = book(&app, &w.rehab_lead, body(None, "uppfoljning_fordjupad_samverkan", 3.0, 4.0, &[&w.coordinator, &jobbcoach])).await?;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        assert!(created.body["case_id"].is_null());
        assert_eq!(created.body["purpose"], "fordjupad_samverkan");
        let id = created.id();
        assert_eq!(app.get(&jobbcoach, &format!("/api/meetings/{id}")).await?.status, StatusCode::OK);
        assert_eq!(app.get(&w.coordinator, "/api/meetings").await?.body["items"][0]["id"], id);
        assert_eq!(app.get(&w.other_coordinator, &format!("/api/meetings/{id}")).await?.status, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&w.social_worker, &format!("/api/meetings/{id}")).await?.status, StatusCode::NOT_FOUND, "a colleague who is not invited");
        let added = app.post(&w.rehab_lead, &format!("/api/meetings/{id}/participants"), json!({
            "user_ids": [w.social_worker.id, w.coordinator.id],
            "external_attendees": [{"name": "Extern Konsult", "email": "konsult@example.org"}],
        })).await?;
        assert_eq!(added.status, StatusCode::OK, "{}", added.body);
        assert_eq!(added.body["sequence"], 1);
        assert_eq!(added.body["participants"].as_array().unwrap().len(), 4);
        assert_eq!(app.get(&w.social_worker, &format!("/api/meetings/{id}")).await?.status, StatusCode::OK);
        assert_eq!(app.event_users(&id).await?, [
            ("meeting.invited".to_owned(), ids(&[&w.rehab_lead, &w.coordinator, &jobbcoach])),
            ("meeting.invited".to_owned(), ids(&[&w.social_worker])),
            ("meeting.updated".to_owned(), ids(&[&w.rehab_lead, &w.coordinator, &jobbcoach])),
        ]);
        let event = app.events_about(&id).await?.remove(0);
        assert_eq!(event.case_id, None);
        let admin = book(&app, &w.rehab_lead, body(None, "other", 3.0, 4.0, &[&w.clinic_admin])).await?;
        assert_eq!(field_errors(&admin), [("participant_user_ids[0]".to_owned(), "invalid_participant".to_owned())]);
        // The organiser and a repeat are skipped, but an error names the position as sent.
        let skipped = book(&app, &w.rehab_lead, body(None, "other", 3.0, 4.0, &[&w.rehab_lead, &w.coordinator, &w.coordinator, &w.clinic_admin])).await?;
        assert_eq!(field_errors(&skipped), [("participant_user_ids[3]".to_owned(), "invalid_participant".to_owned())]);
        let admin_books = book(&app, &w.social_admin, body(None, "other", 3.0, 4.0, &[])).await?;
        assert_eq!(admin_books.status, StatusCode::FORBIDDEN);
        Ok(())
    }

    async fn meeting_events_reach_the_invited_and_no_one_else_live(app) {
        let (w, case, _) = case_with_consent(&app, &["informationsutbyte"]).await?;
        let mut invited = crate::stream::StreamClient::connect(&app, &w.coordinator, None).await?;
        let mut colleague = crate::stream::StreamClient::connect(&app, &w.colleague, None).await?;
        let mut other = crate::stream::StreamClient::connect(&app, &w.other_coordinator, None).await?;
        let id = app.meeting(&w.social_worker, Some(&case), "trepartsmote", &[&w.coordinator]).await?;
        app.post(&w.coordinator, &format!("/api/meetings/{id}/answer"), json!({"answer": "accepted"})).await?;
        app.post_empty(&w.social_worker, &format!("/api/meetings/{id}/cancel")).await?;
        let wait = std::time::Duration::from_secs(5);
        let events = invited.until(wait, |e| e["type"] == "meeting.cancelled").await?;
        // Under load the case's own earlier events may still be on their way; skip them.
        let events: Vec<Value> = events.into_iter().filter(|e| e["type"].as_str().is_some_and(|t| t.starts_with("meeting."))).collect();
        let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap_or_default()).collect();
        assert_eq!(kinds, ["meeting.invited", "meeting.answered", "meeting.cancelled"]);
        assert!(events.iter().all(|e| e["subject_id"] == id && e["case_id"] == case));
        let keys: Vec<_> = events[0].as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["at", "case_id", "seq", "subject_id", "type"], "thin events only");
        // A colleague who sees the case but is not invited, and another clinic: nothing.
        let quiet = std::time::Duration::from_millis(300);
        for client in [&mut colleague, &mut other] {
            let seen = client.until(quiet, |_| false).await?;
            assert!(seen.iter().all(|e| !e["type"].as_str().unwrap_or_default().starts_with("meeting.")), "{seen:?}");
        }
        Ok(())
    }

    async fn the_lists_and_the_single_meeting_apply_the_same_rule(app) {
        let (w, case, clinic_consent) = case_with_consent(&app, &["informationsutbyte", "sip"]).await?;
        let coach = app.user(&w.jobbtorg, "jc", &[Role::Jobbcoach]).await?;
        app.consent(&w.social_worker, &case, &[&w.jobbtorg], &["finsamteam"]).await?;
        let kinds = ["sip_mote", "finsamteam_mote", "trepartsmote", "avstamningsmote", "gemensam_kartlaggning", "uppfoljning_fordjupad_samverkan", "other"];
        let mut meetings = Vec::new();
        for (n, kind) in kinds.iter().enumerate() {
            let purpose = match *kind { "sip_mote" => "sip", "finsamteam_mote" => "finsamteam", "uppfoljning_fordjupad_samverkan" => "fordjupad_samverkan", _ => "informationsutbyte" };
            let invited: Vec<&TestUser> = match purpose {
                "sip" | "informationsutbyte" => vec![&w.coordinator],
                "finsamteam" => vec![&coach],
                _ => vec![&w.colleague],
            };
            let start = n as f64 * 2.0;
            let reply = book(&app, &w.social_worker, body(Some(&case), kind, start, start + 1.0, &invited)).await?;
            assert_eq!(reply.status, StatusCode::CREATED, "{kind}: {}", reply.body);
            assert_eq!(reply.body["purpose"], purpose, "{kind}");
            meetings.push(reply.id());
        }
        meetings.push(book(&app, &w.coordinator, body(None, "other", 20.0, 21.0, &[&coach])).await?.id());
        let users = [&w.social_worker, &w.colleague, &w.rehab_lead, &w.coordinator, &coach, &w.other_coordinator, &w.clinic_admin];
        for round in ["consents in force", "the clinic's consent ended"] {
            for user in users {
                let mut readable = Vec::new();
                for id in &meetings {
                    let reply = app.get(user, &format!("/api/meetings/{id}")).await?;
                    if reply.status == StatusCode::OK {
                        let takes_part = reply.body["participants"].as_array().unwrap().iter().any(|p| p["user_id"] == user.id.to_string());
                        readable.push((id.clone(), takes_part, !reply.body["case_id"].is_null()));
                    } else {
                        assert_eq!(reply.status, StatusCode::NOT_FOUND);
                    }
                }
                let listed = |reply: Reply| -> Vec<String> {
                    reply.body["items"].as_array().map(|items| items.iter().map(|m| m["id"].as_str().unwrap_or_default().to_owned()).collect()).unwrap_or_default()
                };
                let mine = listed(app.get(user, "/api/meetings?limit=200").await?);
                let expected: Vec<String> = readable.iter().filter(|r| r.1).map(|r| r.0.clone()).collect();
                assert_eq!(mine, expected, "{round}: my meetings for {}", user.id);
                let of_case = listed(app.get(user, &format!("/api/cases/{case}/meetings?limit=200")).await?);
                let expected: Vec<String> = readable.iter().filter(|r| r.2).map(|r| r.0.clone()).collect();
                assert_eq!(of_case, expected, "{round}: the case's meetings for {}", user.id);
            }
            app.end_consent(&w.social_worker, &clinic_consent).await?;
        }
        Ok(())
    }

    async fn bad_input_gets_field_errors(app) {
        let (w, case, _) = case_with_consent(&app, &["informationsutbyte"]).await?;
        let sw = &w.social_worker;
        let backwards = book(&app, sw, body(Some(&case), "trepartsmote", 2.0, 1.0, &[])).await?;
        assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(field_errors(&backwards), [("ends_at".to_owned(), "end_before_start".to_owned())]);
        let long = book(&app, sw, body(Some(&case), "trepartsmote", 0.0, 11.0, &[])).await?;
        assert_eq!(field_errors(&long), [("ends_at".to_owned(), "too_long".to_owned())]);
        let past = book(&app, sw, body(Some(&case), "trepartsmote", -60.0, -59.0, &[])).await?;
        assert_eq!(field_errors(&past), [("starts_at".to_owned(), "in_the_past".to_owned())]);
        let mut bad_email = body(Some(&case), "trepartsmote", 0.0, 1.0, &[]);
        bad_email["external_attendees"] = json!([{"name": "Anhörig", "email": "inte-en-adress"}]);
        let bad_email = book(&app, sw, bad_email).await?;
        assert_eq!(field_errors(&bad_email), [("external_attendees[0].email".to_owned(), "email".to_owned())]);
        let mut unknown_kind = body(Some(&case), "trepartsmote", 0.0, 1.0, &[]);
        unknown_kind["kind"] = json!("kafferep");
        let unknown_kind = book(&app, sw, unknown_kind).await?;
        assert_eq!(unknown_kind.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(field_errors(&unknown_kind)[0].0, "kind");
        let mut nowhere = body(Some(&case), "trepartsmote", 0.0, 1.0, &[]);
        nowhere["place"] = json!("  ");
        let nowhere = book(&app, sw, nowhere).await?;
        assert_eq!(field_errors(&nowhere), [("place".to_owned(), "location_required".to_owned())]);
        let mut plain_http = body(Some(&case), "trepartsmote", 0.0, 1.0, &[]);
        plain_http["video_link"] = json!("http://video.example.se/x");
        let plain_http = book(&app, sw, plain_http).await?;
        assert_eq!(field_errors(&plain_http), [("video_link".to_owned(), "invalid_video_link".to_owned())]);
        let mut control = body(Some(&case), "trepartsmote", 0.0, 1.0, &[]);
        control["place"] = json!("Rum\u{1b}3");
        assert_eq!(field_errors(&book(&app, sw, control).await?), [("place".to_owned(), "control_character".to_owned())]);
        let mut stranger = body(Some(&case), "trepartsmote", 0.0, 1.0, &[]);
        stranger["participant_user_ids"] = json!([uuid::Uuid::new_v4()]);
        assert_eq!(field_errors(&book(&app, sw, stranger).await?), [("participant_user_ids[0]".to_owned(), "invalid_participant".to_owned())]);
        let mut extra = body(Some(&case), "trepartsmote", 0.0, 1.0, &[]);
        extra["title"] = json!("Amina");
        assert_eq!(field_errors(&book(&app, sw, extra).await?)[0], ("title".to_owned(), "unknown_field".to_owned()));
        let mut too_many = body(Some(&case), "trepartsmote", 0.0, 1.0, &[]);
        too_many["external_attendees"] = json!((0..21).map(|n| json!({"name": format!("P {n}"), "email": format!("p{n}@example.org")})).collect::<Vec<_>>());
        assert_eq!(field_errors(&book(&app, sw, too_many).await?)[0].0, "external_attendees");
        let no_case = book(&app, sw, body(Some(&uuid::Uuid::new_v4().to_string()), "trepartsmote", 0.0, 1.0, &[])).await?;
        assert_eq!(no_case.status, StatusCode::NOT_FOUND);
        assert_eq!(meeting_count(&app).await?, 0);
        Ok(())
    }

    async fn the_people_who_can_be_invited_are_listed_per_organisation_without_e_mail(app) {
        let w = app.world().await?;
        let extra = app.user(&w.clinic, "rk-slutat", &[Role::Rehabkoordinator]).await?;
        let off = app.patch(&w.clinic_admin, &format!("/api/users/{}", extra.id), json!({"active": false})).await?;
        assert_eq!(off.status, StatusCode::OK, "{}", off.body);
        let people = app.get(&w.social_worker, &format!("/api/organisations/{}/people", w.clinic.id)).await?;
        assert_eq!(people.status, StatusCode::OK, "{}", people.body);
        let listed = people.body.as_array().unwrap();
        // The coordinator only: not the admin (works with no cases), not the inactive user.
        assert_eq!(listed.len(), 1, "{}", people.body);
        assert_eq!(listed[0]["id"], w.coordinator.id.to_string());
        assert_eq!(listed[0]["display_name"], "Test rk");
        assert_eq!(listed[0]["roles"], json!(["rehabkoordinator"]));
        assert!(listed[0].get("email").is_none(), "no e-mail addresses across agencies");
        assert!(listed[0].get("username").is_none());
        let admin = app.get(&w.social_admin, &format!("/api/organisations/{}/people", w.clinic.id)).await?;
        assert_eq!(admin.status, StatusCode::FORBIDDEN);
        assert_eq!(admin.body["code"], "role_not_allowed");
        let nowhere = app.get(&w.social_worker, &format!("/api/organisations/{}/people", uuid::Uuid::new_v4())).await?;
        assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
        Ok(())
    }
}
