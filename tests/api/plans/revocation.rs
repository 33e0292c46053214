//! Revocation: a party whose consent ends loses the plan and its actions at commit, and the
//! owner sees and is told which actions need a new responsible.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{adopted, ok, setup, CLINIC_ACTION, JOBBTORG_ACTION};
use crate::on_both_stores;
use crate::stream::StreamClient;

fn plan_kinds(events: &[Value], plan: &str) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["subject_id"] == plan || e["type"] == "access_revoked")
        .map(|e| e["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

on_both_stores! {
    async fn a_party_losing_consent_loses_the_plan_and_its_actions_need_a_new_responsible(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let id = adopted(&app, &s).await?;
        ok(app.get(&w.coordinator, &format!("/api/plans/{id}")).await?);
        assert_eq!(ok(app.get(&w.coordinator, "/api/commitments/counts").await?).body["open"], 1);

        ok(app.end_consent(&w.social_worker, &s.consent).await?);

        // From the commit on: 404 on every plan route, no commitments.
        for path in [format!("/api/plans/{id}"), format!("/api/plans/{id}/versions"), format!("/api/cases/{}/plans", s.case)] {
            let reply = app.get(&w.coordinator, &path).await?;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        }
        let update = app.patch(&w.coordinator, &format!("/api/plans/{id}/actions/{CLINIC_ACTION}"), json!({"status": "done"})).await?;
        assert_eq!(update.status, StatusCode::NOT_FOUND);
        assert_eq!(ok(app.get(&w.coordinator, "/api/commitments").await?).body["items"], json!([]));
        assert_eq!(ok(app.get(&s.jobbcoach, "/api/commitments/counts").await?).body, json!({"open": 0, "soon": 0, "overdue": 0}));

        // The owner sees which actions need a new responsible, and is told.
        let plan = ok(app.get(&w.social_worker, &format!("/api/plans/{id}")).await?);
        assert_eq!(plan.body["needs_new_responsible"], json!([CLINIC_ACTION, JOBBTORG_ACTION]));
        assert!(app.notification_kinds(&w.social_worker).await?.contains(&"plan_responsible_lost".to_owned()));
        let lost = app.events_about(&id).await?.into_iter().find(|e| e.kind == "plan.responsible_lost").unwrap();
        assert_eq!(lost.organisations(), [w.social.id.to_string()]);
        // The clinic lost the whole case with it: it is told on the stream.
        let revoked = app.events().await?.into_iter().find(|e| e.kind == "access_revoked").unwrap();
        assert!(revoked.organisations().contains(&w.clinic.id.to_string()));

        // The owner revises and gives the actions to itself: nothing is flagged any more.
        let revising = ok(app.post_empty(&w.social_worker, &format!("/api/plans/{id}/revise")).await?);
        let mut next = revising.body["draft"].clone();
        for n in [1, 2] {
            next["actions"][n]["responsible"] = json!({"organisation_id": w.social.id});
        }
        ok(app.put(&w.social_worker, &format!("/api/plans/{id}/draft"), next).await?);
        ok(app.post(&w.social_worker, &format!("/api/plans/{id}/adopt"), json!({"organisations": [w.social.id], "individual_present": false, "agreement": "not_agreed"})).await?);
        assert_eq!(ok(app.get(&w.social_worker, &format!("/api/plans/{id}")).await?).body["needs_new_responsible"], json!([]));
        Ok(())
    }

    async fn the_stream_carries_plan_events_to_its_parties_until_the_consent_ends(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let mut clinic = StreamClient::connect(&app, &w.coordinator, None).await?;
        let mut owner = StreamClient::connect(&app, &w.colleague, None).await?;
        let mut outsider = StreamClient::connect(&app, &w.other_coordinator, None).await?;
        let id = adopted(&app, &s).await?;
        ok(app.patch(&w.coordinator, &format!("/api/plans/{id}/actions/{CLINIC_ACTION}"), json!({"status": "ongoing"})).await?);
        ok(app.end_consent(&w.social_worker, &s.consent).await?);
        ok(app.post_empty(&w.social_worker, &format!("/api/plans/{id}/revise")).await?);

        let wait = Duration::from_secs(2);
        let seen = owner.until(Duration::from_secs(3), |_| false).await?;
        assert_eq!(plan_kinds(&seen, &id), ["plan.created", "plan.changed", "plan.adopted", "plan.action_updated", "plan.responsible_lost", "plan.changed"]);
        let seen = clinic.until(wait, |_| false).await?;
        assert_eq!(plan_kinds(&seen, &id), ["plan.adopted", "plan.action_updated", "access_revoked"], "nothing of the draft, nothing after the end");
        assert_eq!(plan_kinds(&outsider.until(wait, |_| false).await?, &id), Vec::<String>::new());
        Ok(())
    }
}
