//! Actions: only the responsible organisation reports status or takes one; "Våra
//! åtaganden" lists each organisation's open actions with what is due and overdue.

use reqwest::StatusCode;
use serde_json::json;

use super::{
    adopted, day, drafted, ok, participation, setup, CLINIC_ACTION, JOBBTORG_ACTION, OWN_ACTION,
};
use crate::on_both_stores;

on_both_stores! {
    async fn only_the_responsible_organisation_updates_its_action(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let id = adopted(&app, &s).await?;
        let path = format!("/api/plans/{id}/actions/{CLINIC_ACTION}");
        for user in [&w.social_worker, &s.jobbcoach] {
            let before = app.audit_actions(user).await?.len();
            let reply = app.patch(user, &path, json!({"status": "done"})).await?;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
            assert_eq!(reply.body["code"], "not_responsible");
            let after = app.audit_actions(user).await?;
            assert_eq!((after.len(), after.last().unwrap().0.as_str(), after.last().unwrap().1.as_str()),
                (before + 1, "plan.action_update", "denied"));
        }
        assert_eq!(app.patch(&w.other_coordinator, &path, json!({"status": "done"})).await?.status, StatusCode::NOT_FOUND);
        assert_eq!(app.post_empty(&w.other_coordinator, &format!("{path}/take")).await?.status, StatusCode::NOT_FOUND);

        let bad = app.patch(&w.coordinator, &path, json!({"status": "planned"})).await?;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.body["errors"][0]["field"], "status");
        assert_eq!(bad.body["errors"][0]["code"], "invalid_status_change");
        let no_note = app.patch(&w.coordinator, &path, json!({"status": "cancelled"})).await?;
        assert_eq!(no_note.body["errors"][0]["field"], "note");
        assert_eq!(no_note.body["errors"][0]["code"], "required");

        let ongoing = ok(app.patch(&w.coordinator, &path, json!({"status": "ongoing", "status_on": day(-1), "note": "Bokad tid hos arbetsterapeut"})).await?);
        assert_eq!(ongoing.body["status"], "ongoing");
        assert_eq!(ongoing.body["status_on"], day(-1));
        assert_eq!(ongoing.body["note"], "Bokad tid hos arbetsterapeut");
        let seen = ok(app.get(&w.social_worker, &format!("/api/plans/{id}")).await?);
        assert_eq!(seen.body["adopted"]["content"]["actions"][1]["status"], "ongoing", "the owner sees every status");
        let events = app.events_about(&id).await?;
        let updated = events.iter().find(|e| e.kind == "plan.action_updated").unwrap();
        assert!(updated.organisations().contains(&w.social.id.to_string()));

        let unknown = format!("/api/plans/{id}/actions/{}", uuid::Uuid::new_v4());
        assert_eq!(app.patch(&w.coordinator, &unknown, json!({"status": "done"})).await?.status, StatusCode::NOT_FOUND);
        ok(app.post_empty(&w.social_worker, &format!("/api/plans/{id}/close")).await?);
        let closed = app.patch(&w.coordinator, &path, json!({"status": "done"})).await?;
        assert_eq!(closed.status, StatusCode::CONFLICT);
        assert_eq!(closed.body["code"], "invalid_transition");
        Ok(())
    }

    async fn a_person_of_the_responsible_organisation_takes_its_action(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let id = adopted(&app, &s).await?;
        let take = format!("/api/plans/{id}/actions/{CLINIC_ACTION}/take");
        let refused = app.post_empty(&w.social_worker, &take).await?;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(refused.body["code"], "not_responsible");
        let taken = ok(app.post_empty(&w.coordinator, &take).await?);
        assert_eq!(taken.body["responsible"], json!({"organisation_id": w.clinic.id, "person_id": w.coordinator.id}));
        let mine = ok(app.get(&w.coordinator, "/api/commitments").await?);
        assert_eq!(mine.body["items"][0]["taken_by"], w.coordinator.id.to_string());
        assert!(app.audit_actions(&w.coordinator).await?.contains(&("plan.action_take".to_owned(), "allowed".to_owned())));
        Ok(())
    }

    async fn commitments_list_each_organisations_open_actions_with_due_and_overdue(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let id = adopted(&app, &s).await?;
        let counts = |user| app.get(user, "/api/commitments/counts");
        assert_eq!(ok(counts(&w.coordinator).await?).body, json!({"open": 1, "soon": 1, "overdue": 0}));
        assert_eq!(ok(counts(&s.jobbcoach).await?).body, json!({"open": 1, "soon": 0, "overdue": 1}));
        assert_eq!(ok(counts(&w.social_worker).await?).body, json!({"open": 1, "soon": 0, "overdue": 0}));
        assert_eq!(ok(counts(&w.other_coordinator).await?).body, json!({"open": 0, "soon": 0, "overdue": 0}));

        let clinic = ok(app.get(&w.coordinator, "/api/commitments").await?);
        let items = clinic.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["action"]["id"], CLINIC_ACTION);
        assert_eq!(items[0]["due"], "soon");
        assert_eq!(items[0]["plan_id"], id);
        assert_eq!(items[0]["case_id"], s.case);
        assert_eq!(items[0]["plan_kind"], "sip");
        assert!(items[0]["taken_by"].is_null());
        let overdue = ok(app.get(&s.jobbcoach, "/api/commitments?due=overdue").await?);
        assert_eq!(overdue.body["items"][0]["action"]["id"], JOBBTORG_ACTION);
        assert_eq!(overdue.body["items"][0]["due"], "overdue");
        assert_eq!(ok(app.get(&s.jobbcoach, "/api/commitments?due=soon").await?).body["items"], json!([]));
        let own = ok(app.get(&w.social_worker, "/api/commitments").await?);
        assert_eq!(own.body["items"][0]["action"]["id"], OWN_ACTION);
        assert_eq!(own.body["items"][0]["due"], "later");
        let bad = app.get(&w.coordinator, "/api/commitments?due=someday").await?;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let listed = app.audit_rows().await?.into_iter().rev()
            .find(|r| r.action == "plan.commitment_list" && r.user_id.as_deref() == Some(w.coordinator.id.to_string().as_str()))
            .unwrap();
        assert_eq!(listed.case_id.as_deref(), Some(s.case.as_str()));
        assert_eq!(listed.consent_id.as_deref(), Some(s.consent.as_str()));

        // Done is no longer owed; a never-adopted plan's actions are nobody's commitment yet.
        ok(app.patch(&w.coordinator, &format!("/api/plans/{id}/actions/{CLINIC_ACTION}"), json!({"status": "done"})).await?);
        assert_eq!(ok(counts(&w.coordinator).await?).body, json!({"open": 0, "soon": 0, "overdue": 0}));
        drafted(&app, &s, "sip").await?;
        assert_eq!(ok(counts(&s.jobbcoach).await?).body["open"], 1);
        // Closed plans owe nothing.
        ok(app.post_empty(&w.social_worker, &format!("/api/plans/{id}/close")).await?);
        assert_eq!(ok(app.get(&s.jobbcoach, "/api/commitments").await?).body["items"], json!([]));
        Ok(())
    }

    async fn the_owners_draft_never_reports_another_organisations_status(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let id = adopted(&app, &s).await?;
        let revising = ok(app.post_empty(&w.social_worker, &format!("/api/plans/{id}/revise")).await?);
        let mut next = revising.body["draft"].clone();
        next["actions"][1]["status"] = json!("cancelled");
        next["actions"][1]["note"] = json!("Behövs inte");
        next["actions"].as_array_mut().unwrap().push(json!({"what": "Ny insats", "status": "done",
            "responsible": {"organisation_id": w.clinic.id}}));
        let saved = ok(app.put(&w.social_worker, &format!("/api/plans/{id}/draft"), next).await?);
        assert_eq!(saved.body["draft"]["actions"][1]["status"], "planned", "kept as reported");
        assert!(saved.body["draft"]["actions"][1]["note"].is_null());
        assert_eq!(saved.body["draft"]["actions"][3]["status"], "planned", "a new action of the clinic");
        // The clinic reports while the revision is open; adopting keeps its report.
        ok(app.patch(&w.coordinator, &format!("/api/plans/{id}/actions/{CLINIC_ACTION}"), json!({"status": "ongoing"})).await?);
        let readopted = ok(app.post(&w.social_worker, &format!("/api/plans/{id}/adopt"), participation(&s)).await?);
        assert_eq!(readopted.body["adopted"]["content"]["actions"][1]["status"], "ongoing");
        let v2 = ok(app.get(&w.social_worker, &format!("/api/plans/{id}/versions/2")).await?);
        assert_eq!(v2.body["content"]["actions"][1]["status"], "ongoing", "adopted with the current status");
        Ok(())
    }
}
