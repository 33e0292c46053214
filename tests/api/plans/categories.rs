//! A progressionsplan's actions carry their category 1–5 (WORKFLOWS.md §4): saved in the draft,
//! adopted with the version, stored on the current action; no other kind takes one, and a
//! category outside 1–5 is a field error.

use reqwest::StatusCode;
use serde_json::json;
use sqlx::Row as _;

use super::{draft, ok, participation, setup, CLINIC_ACTION, OWN_ACTION};
use crate::on_both_stores;

on_both_stores! {
    async fn a_progressionsplans_actions_carry_their_category_through_adoption(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        app.consent(&w.social_worker, &s.case, &[&w.clinic, &w.jobbtorg], &["fordjupad_samverkan"]).await?;
        let id = ok(app.post(&w.social_worker, &format!("/api/cases/{}/plans", s.case),
            json!({"kind": "progressionsplan"})).await?).id();
        let mut body = draft(&s);
        body["actions"][0]["category"] = json!(1);
        body["actions"][1]["category"] = json!(4);
        let saved = ok(app.put(&w.social_worker, &format!("/api/plans/{id}/draft"), body.clone()).await?);
        assert_eq!(saved.body["draft"]["actions"][0]["category"], 1);
        assert_eq!(saved.body["draft"]["actions"][1]["category"], 4);
        assert!(saved.body["draft"]["actions"][2].get("category").is_none(), "optional: left out stays out");

        let adopted = ok(app.post(&w.social_worker, &format!("/api/plans/{id}/adopt"), participation(&s)).await?);
        assert_eq!(adopted.body["adopted"]["content"]["actions"][1]["category"], 4);
        let mut tx = app.store.begin().await?;
        let mut stored = Vec::new();
        for action in [OWN_ACTION, CLINIC_ACTION] {
            let row = sqlx::query(&format!(
                "SELECT category FROM plan_actions WHERE plan_id = '{id}' AND id = '{action}'"
            ))
            .fetch_one(tx.conn())
            .await?;
            stored.push(row.try_get::<Option<i64>, _>(0)?);
        }
        drop(tx);
        assert_eq!(stored, [Some(1), Some(4)]);

        for bad in [json!(0), json!(6), json!("4")] {
            body["actions"][1]["category"] = bad.clone();
            ok(app.post_empty(&w.social_worker, &format!("/api/plans/{id}/revise")).await?);
            let reply = app.put(&w.social_worker, &format!("/api/plans/{id}/draft"), body.clone()).await?;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", reply.body);
            ok(app.post_empty(&w.social_worker, &format!("/api/plans/{id}/discard")).await?);
        }
        Ok(())
    }

    async fn no_other_kind_takes_a_category(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let id = ok(app.post(&w.social_worker, &format!("/api/cases/{}/plans", s.case),
            json!({"kind": "sip"})).await?).id();
        let mut body = draft(&s);
        body["actions"][2]["category"] = json!(3);
        let reply = app.put(&w.social_worker, &format!("/api/plans/{id}/draft"), body).await?;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
        assert_eq!(reply.field_codes(), [("actions[2].category".to_owned(), "category_not_for_kind".to_owned())]);
        let plan = ok(app.get(&w.social_worker, &format!("/api/plans/{id}")).await?);
        assert_eq!(plan.body["draft"]["actions"], json!([]), "nothing saved");
        Ok(())
    }
}
