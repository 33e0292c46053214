//! Versions: each adopted version stays exactly as adopted, through action updates and
//! revisions, and shows what changed since the one before.

use reqwest::StatusCode;
use serde_json::json;

use super::{adopted, day, ok, participation, setup, CLINIC_ACTION, JOBBTORG_ACTION, OWN_ACTION};
use crate::on_both_stores;

on_both_stores! {
    async fn versions_stay_as_adopted_and_show_their_changes(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let id = adopted(&app, &s).await?;
        let v1 = ok(app.get(&w.social_worker, &format!("/api/plans/{id}/versions/1")).await?);
        assert_eq!(v1.body["changes"], json!([]), "the first version has nothing to compare with");
        assert_eq!(v1.body["participation"]["individual_present"], true);

        // The clinic reports its action done: the plan shows it, version 1 does not.
        ok(app.patch(&w.coordinator, &format!("/api/plans/{id}/actions/{CLINIC_ACTION}"), json!({"status": "done"})).await?);
        let plan = ok(app.get(&w.social_worker, &format!("/api/plans/{id}")).await?);
        assert_eq!(plan.body["adopted"]["content"]["actions"][1]["status"], "done");
        assert_eq!(plan.body["adopted"]["content"]["actions"][1]["status_on"], day(0));
        let again = ok(app.get(&w.coordinator, &format!("/api/plans/{id}/versions/1")).await?);
        assert_eq!(again.body["content"]["actions"][1]["status"], "planned", "as adopted");
        assert_eq!(again.body, v1.body);

        // A revision starts from the adopted plan with current statuses; the next version
        // changes one action, drops another, adds one, moves the follow-up and adds a reader.
        let revising = ok(app.post_empty(&w.social_worker, &format!("/api/plans/{id}/revise")).await?);
        assert_eq!(revising.body["draft"]["actions"][1]["status"], "done");
        let mut next = revising.body["draft"].clone();
        next["actions"][0]["what"] = json!("Ekonomiskt bistånd, förlängt");
        next["actions"][0]["due_on"] = json!(day(40));
        let dropped = next["actions"].as_array_mut().unwrap().remove(2);
        assert_eq!(dropped["id"], JOBBTORG_ACTION);
        next["actions"].as_array_mut().unwrap().push(json!({"what": "Samtal om studier",
            "responsible": {"organisation_id": w.social.id}}));
        next["follow_up_on"] = json!(day(60));
        next["readers"] = json!([w.jobbtorg.id]);
        ok(app.put(&w.social_worker, &format!("/api/plans/{id}/draft"), next).await?);
        ok(app.post(&w.social_worker, &format!("/api/plans/{id}/adopt"), participation(&s)).await?);

        let list = ok(app.get(&w.coordinator, &format!("/api/plans/{id}/versions")).await?);
        let numbers: Vec<i64> = list.body["items"].as_array().unwrap().iter().map(|v| v["version"].as_i64().unwrap()).collect();
        assert_eq!(numbers, [1, 2]);
        assert_eq!(ok(app.get(&w.social_worker, &format!("/api/plans/{id}/versions/1")).await?).body, v1.body, "still as adopted");

        let v2 = ok(app.get(&w.social_worker, &format!("/api/plans/{id}/versions/2")).await?);
        let changes = v2.body["changes"].as_array().unwrap();
        let find = |part: &str, id: Option<&str>| changes.iter().find(|c| c["part"] == part && (id.is_none() || c["id"] == json!(id))).cloned();
        let own = find("action", Some(OWN_ACTION)).expect("the changed action");
        assert_eq!(own["change"], "changed");
        assert_eq!(own["fields"], json!(["what", "due_on"]));
        assert_eq!(own["before"]["what"], "Ekonomiskt bistånd under arbetsträningen");
        assert_eq!(own["after"]["what"], "Ekonomiskt bistånd, förlängt");
        let clinic = find("action", Some(CLINIC_ACTION)).expect("the clinic's action");
        assert_eq!(clinic["fields"], json!(["status"]), "done since version 1");
        let removed = find("action", Some(JOBBTORG_ACTION)).expect("the dropped action");
        assert_eq!(removed["change"], "removed");
        assert!(removed["after"].is_null());
        assert_eq!(removed["before"]["what"], "Ordna arbetsträningsplats");
        assert_eq!(changes.iter().filter(|c| c["part"] == "action" && c["change"] == "added").count(), 1);
        let follow_up = find("follow_up", None).expect("the follow-up");
        assert_eq!((follow_up["before"].clone(), follow_up["after"].clone()), (json!(day(30)), json!(day(60))));
        let reader = find("reader", Some(&w.jobbtorg.id.to_string())).expect("the reader");
        assert_eq!(reader["change"], "added");
        assert_eq!(changes.len(), 6, "{changes:?}");

        for missing in ["0", "3", "x"] {
            assert_eq!(app.get(&w.social_worker, &format!("/api/plans/{id}/versions/{missing}")).await?.status, StatusCode::NOT_FOUND);
        }
        let reads = app.audit_rows().await?.into_iter().filter(|r| r.action == "plan.version_read").count();
        assert_eq!(reads, 5, "every version read audited");
        Ok(())
    }
}
