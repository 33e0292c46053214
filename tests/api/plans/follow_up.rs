//! The follow-up booked as a meeting in one step, through the meeting machinery.

use reqwest::StatusCode;
use serde_json::json;

use super::{adopted, day, drafted, ok, setup, CLINIC_ACTION};
use crate::on_both_stores;

fn at(days: i64, hour: u32) -> String {
    let day = chrono::Utc::now().date_naive() + chrono::Duration::days(days);
    day.and_hms_opt(hour, 0, 0).unwrap().and_utc().to_rfc3339()
}

on_both_stores! {
    async fn the_owner_books_the_follow_up_with_the_plans_people_invited(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let id = adopted(&app, &s).await?;
        ok(app.post_empty(&w.coordinator, &format!("/api/plans/{id}/actions/{CLINIC_ACTION}/take")).await?);
        let path = format!("/api/plans/{id}/follow-up-meeting");
        let body = json!({"starts_at": at(30, 9), "ends_at": at(30, 10), "location": "Stadshuset, rum 3"});

        let refused = app.post(&w.coordinator, &path, body.clone()).await?;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(refused.body["code"], "not_plan_owner");
        let nowhere = app.post(&w.social_worker, &path, json!({"starts_at": at(30, 9), "ends_at": at(30, 10)})).await?;
        assert_eq!(nowhere.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", nowhere.body);
        assert_eq!(nowhere.body["errors"][0]["field"], "location");

        let booked = app.post(&w.social_worker, &path, body).await?;
        assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.body);
        assert_eq!(booked.body["kind"], "sip_mote");
        assert_eq!(booked.body["purpose"], "sip");
        assert_eq!(booked.body["case_id"], s.case);
        assert_eq!(booked.body["place"], "Stadshuset, rum 3");
        let people: Vec<String> = booked.body["participants"].as_array().unwrap().iter()
            .map(|p| p["user_id"].as_str().unwrap_or_default().to_owned()).collect();
        assert_eq!(people, [w.social_worker.id.to_string(), w.coordinator.id.to_string()], "organiser first, then who holds an action");
        assert!(app.notification_kinds(&w.coordinator).await?.contains(&"meeting_invitation".to_owned()));
        let actions: Vec<(String, String)> = app.audit_actions(&w.social_worker).await?;
        assert!(actions.contains(&("plan.follow_up_book".to_owned(), "allowed".to_owned())));
        assert!(actions.contains(&("meeting.create".to_owned(), "allowed".to_owned())));

        let draft_plan = drafted(&app, &s, "sip").await?;
        let early = app.post(&w.social_worker, &format!("/api/plans/{draft_plan}/follow-up-meeting"),
            json!({"starts_at": at(30, 9), "ends_at": at(30, 10), "location": "Rum 3"})).await?;
        assert_eq!(early.status, StatusCode::CONFLICT);
        assert_eq!(early.body["code"], "invalid_transition");
        Ok(())
    }

    async fn the_calendar_shows_the_follow_ups_of_the_plans_i_may_see(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let id = adopted(&app, &s).await?;
        drafted(&app, &s, "sip").await?;
        let window = format!("/api/plan-follow-ups?from={}&to={}", day(0), day(40));
        let expected = json!([{"plan_id": id, "case_id": s.case, "plan_kind": "sip", "follow_up_on": day(30)}]);
        assert_eq!(ok(app.get(&w.social_worker, &window).await?).body["items"], expected);
        assert_eq!(ok(app.get(&w.coordinator, &window).await?).body["items"], expected, "a party under consent");
        assert_eq!(ok(app.get(&w.other_coordinator, &window).await?).body["items"], json!([]));
        let before = format!("/api/plan-follow-ups?from={}&to={}", day(0), day(29));
        assert_eq!(ok(app.get(&w.social_worker, &before).await?).body["items"], json!([]));
        let listed = app.audit_actions(&w.coordinator).await?;
        assert!(listed.contains(&("plan.list".to_owned(), "allowed".to_owned())));
        let reversed = app.get(&w.social_worker, &format!("/api/plan-follow-ups?from={}&to={}", day(5), day(0))).await?;
        assert_eq!(reversed.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reversed.body["errors"][0]["field"], "to");
        ok(app.end_consent(&w.social_worker, &s.consent).await?);
        assert_eq!(ok(app.get(&w.coordinator, &window).await?).body["items"], json!([]), "gone with the consent");
        Ok(())
    }
}
