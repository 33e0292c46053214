//! Booking the SIP meeting from the call (a `sip_mote` with invitations and the calendar
//! part to the people who come, nothing about the person), and cancelling the call.

use reqwest::StatusCode;
use serde_json::json;

use super::{at, call_sip, party, sip_setup};
use crate::helpers::*;
use crate::inquiries::ok;
use crate::on_both_stores;
use crate::smtp::SmtpServer;

const WAIT: std::time::Duration = std::time::Duration::from_secs(60);

async fn booking_from_the_call_invites_who_comes_with_an_ics_and_no_personal_data(
    backend: Backend,
) -> anyhow::Result<()> {
    let smtp = SmtpServer::start().await?;
    let port = smtp.port;
    let app = spawn_app_with(backend, |s| with_smtp(s, port))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no PostgreSQL"))?;
    let s = sip_setup(&app).await?;
    let w = &s.world;
    // Only the meeting's e-mail is wanted here.
    for user in [&w.coordinator, &w.social_worker, &s.af_user] {
        app.prefer(user, &["sip_call_received", "sip_call_answered"], "none")
            .await?;
    }
    let id = call_sip(&app, &s).await?;
    let path = format!("/api/sip-calls/{id}");
    ok(app
        .post(
            &w.coordinator,
            &format!("{path}/answer"),
            json!({"answer": "coming", "coming": [w.coordinator.id]}),
        )
        .await?);
    ok(app
        .post(
            &s.af_user,
            &format!("{path}/answer"),
            json!({"answer": "declined", "decline_reason": "not_our_questions"}),
        )
        .await?);

    let clinic_books = app
        .post(
            &w.coordinator,
            &format!("{path}/book"),
            json!({"starts_at": at(48), "ends_at": at(49), "location": "Rum 3"}),
        )
        .await?;
    assert_eq!(clinic_books.status, StatusCode::FORBIDDEN);
    assert_eq!(clinic_books.body["code"], "wrong_party");
    let nowhere = app
        .post(
            &w.social_worker,
            &format!("{path}/book"),
            json!({"starts_at": at(48), "ends_at": at(47)}),
        )
        .await?;
    assert_eq!(nowhere.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = nowhere.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["ends_at", "location"]);

    let booked = ok(app.post(&w.social_worker, &format!("{path}/book"), json!({"starts_at": at(48), "ends_at": at(49), "location": "Stadsdelsförvaltningen, rum 3"})).await?);
    assert_eq!(booked.body["state"], "booked");
    let meeting_id = booked.body["meeting_id"].as_str().unwrap().to_owned();
    let expected_days = (chrono::Utc::now() + chrono::Duration::hours(48)).date_naive()
        - (chrono::Utc::now() - chrono::Duration::days(3)).date_naive();
    assert_eq!(booked.body["days_from_request"], expected_days.num_days());
    assert_eq!(
        booked.body["may"],
        json!({"answer": false, "book": false, "cancel": true})
    );
    let again = app
        .post(
            &w.social_worker,
            &format!("{path}/book"),
            json!({"starts_at": at(50), "ends_at": at(51), "location": "Rum 3"}),
        )
        .await?;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["code"], "invalid_transition");

    let meeting = ok(app
        .get(&w.coordinator, &format!("/api/meetings/{meeting_id}"))
        .await?)
    .body;
    assert_eq!(meeting["kind"], "sip_mote");
    assert_eq!(meeting["purpose"], "sip");
    let invited: Vec<&str> = meeting["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["user_id"].as_str().unwrap())
        .collect();
    assert!(invited.contains(&w.coordinator.id.to_string().as_str()));
    assert!(
        !invited.contains(&s.af_user.id.to_string().as_str()),
        "AF declined"
    );
    assert_eq!(
        meeting["external_attendees"],
        json!([]),
        "the named attendees get nothing"
    );
    let af_meeting = app
        .get(&s.af_user, &format!("/api/meetings/{meeting_id}"))
        .await?;
    assert_eq!(
        af_meeting.status,
        StatusCode::OK,
        "AF is covered for sip and sees the case's SIP meeting"
    );

    let mails = smtp.wait_for(1, WAIT).await?;
    assert_eq!(
        mails.len(),
        1,
        "{:?}",
        mails.iter().map(|m| &m.to).collect::<Vec<_>>()
    );
    let mail = &mails[0];
    assert_eq!(mail.to, "rk@example.se");
    assert_eq!(mail.subject, "Samverkan: Inbjudan till samverkansmöte");
    let calendar = mail.part("text/calendar").expect("an ICS part");
    assert_eq!(calendar.param("method"), Some("REQUEST"));
    assert!(calendar.text.contains(&meeting_id), "the meeting's UID");
    let all = mail.all_text();
    for secret in [
        "Kanariesson",
        "Amina",
        "19850312",
        s.case.as_str(),
        "Samordna insatser",
        "Vem gör vad",
    ] {
        assert!(!all.contains(secret), "{secret} in {all}");
    }
    let kinds: Vec<String> = app
        .events_about(&id)
        .await?
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds.last().map(String::as_str), Some("sip_call.booked"));
    // Moved a day later, the days from the request follow the meeting.
    ok(app
        .patch(
            &w.social_worker,
            &format!("/api/meetings/{meeting_id}"),
            json!({"starts_at": at(72), "ends_at": at(73)}),
        )
        .await?);
    let moved = ok(app.get(&w.social_worker, &path).await?).body;
    assert_eq!(moved["days_from_request"], expected_days.num_days() + 1);
    let rows = app.audit_rows().await?;
    assert!(rows
        .iter()
        .any(|r| r.action == "sip_call.book" && r.outcome == "allowed"));
    assert!(rows.iter().any(|r| r.action == "meeting.create"
        && r.outcome == "allowed"
        && r.case_id.as_deref() == Some(s.case.as_str())));
    Ok(())
}

on_both_stores!(booking_from_the_call_invites_who_comes_with_an_ics_and_no_personal_data);

on_both_stores! {
    async fn cancelling_a_booked_call_cancels_its_meeting_and_tells_the_called(app) {
        let s = sip_setup(&app).await?;
        let w = &s.world;
        let id = call_sip(&app, &s).await?;
        let path = format!("/api/sip-calls/{id}");
        ok(app.post(&w.coordinator, &format!("{path}/answer"), json!({"answer": "coming", "coming": [w.coordinator.id]})).await?);
        let booked = ok(app.post(&w.social_worker, &format!("{path}/book"), json!({"starts_at": at(48), "ends_at": at(49), "location": "Rum 3"})).await?);
        let meeting_id = booked.body["meeting_id"].as_str().unwrap().to_owned();
        let clinic = app.post_empty(&w.coordinator, &format!("{path}/cancel")).await?;
        assert_eq!(clinic.status, StatusCode::FORBIDDEN);
        let cancelled = ok(app.post_empty(&w.social_worker, &format!("{path}/cancel")).await?);
        assert_eq!(cancelled.body["state"], "cancelled");
        assert_eq!(cancelled.body["may"], json!({"answer": false, "book": false, "cancel": false}));
        let meeting = ok(app.get(&w.social_worker, &format!("/api/meetings/{meeting_id}")).await?).body;
        assert_eq!(meeting["status"], "cancelled");
        let kinds = app.notification_kinds(&w.coordinator).await?;
        assert!(kinds.contains(&"sip_call_cancelled".to_owned()) && kinds.contains(&"meeting_cancelled".to_owned()), "{kinds:?}");
        assert!(app.notification_kinds(&s.af_user).await?.contains(&"sip_call_cancelled".to_owned()));
        let again = app.post_empty(&w.social_worker, &format!("{path}/cancel")).await?;
        assert_eq!(again.status, StatusCode::CONFLICT);
        let late = app.post(&w.coordinator, &format!("{path}/answer"), json!({"answer": "other_time", "proposed_time": {"starts_at": at(60), "ends_at": at(61)}})).await?;
        assert_eq!(late.status, StatusCode::CONFLICT);
        assert_eq!(late.body["code"], "invalid_transition");
        assert_eq!(party(&cancelled.body, &w.clinic)["answer"], "coming", "answers stay as given");
        let kinds: Vec<String> = app.events_about(&id).await?.into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds, ["sip_call.created", "sip_call.answered", "sip_call.booked", "sip_call.cancelled"]);
        assert!(app.events_about(&meeting_id).await?.iter().any(|e| e.kind == "meeting.cancelled"));
        let rows = app.audit_rows().await?;
        assert!(rows.iter().any(|r| r.action == "sip_call.cancel" && r.outcome == "allowed"));
        assert!(rows.iter().any(|r| r.action == "sip_call.cancel" && r.outcome == "denied"), "the clinic's attempt");
        Ok(())
    }
}
