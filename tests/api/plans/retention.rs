//! Retention: a closed case's plans, with every version, party and action, are purged after
//! `retention.plans_days`, and not before.

use reqwest::StatusCode;
use samverkan::domain::Timestamp;
use serde_json::json;
use sqlx::Row as _;

use super::{adopted, setup};
use crate::helpers::*;
use crate::on_both_stores;

const DAY: i64 = 86_400_000_000;

async fn rows(app: &TestApp, plan: &str) -> anyhow::Result<Vec<i64>> {
    let mut tx = app.store.begin().await?;
    let mut counts = Vec::new();
    for (table, column) in [
        ("plans", "id"),
        ("plan_versions", "plan_id"),
        ("plan_parties", "plan_id"),
        ("plan_actions", "plan_id"),
    ] {
        let row = sqlx::query(&format!(
            "SELECT COUNT(*) FROM {table} WHERE {column} = '{plan}'"
        ))
        .fetch_one(tx.conn())
        .await?;
        counts.push(row.try_get::<i64, _>(0)?);
    }
    Ok(counts)
}

on_both_stores! {
    async fn a_closed_cases_plans_are_purged_after_their_period(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let id = adopted(&app, &s).await?;
        assert_eq!(rows(&app, &id).await?, [1, 1, 3, 3]);
        let closed = app.patch(&w.social_worker, &format!("/api/cases/{}", s.case),
            json!({"status": "closed", "close_reason": "goal_reached"})).await?;
        assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
        let mut settings = app.settings.retention.clone();
        settings.plans_days = 30;
        let report = samverkan::retention::purge(&app.store, &settings, Timestamp::now(), false).await?;
        let purged = |r: &samverkan::store::retention::PurgeReport| r.classes.iter().find(|c| c.class == "plans").map(|c| c.rows);
        assert_eq!(purged(&report), Some(0), "closed just now");
        let mut tx = app.store.begin().await?;
        let at = Timestamp::now().micros() - 31 * DAY;
        sqlx::query(&format!("UPDATE case_closures SET closed_at = {at} WHERE case_id = '{}'", s.case)).execute(tx.conn()).await?;
        tx.commit().await?;
        let report = samverkan::retention::purge(&app.store, &settings, Timestamp::now(), false).await?;
        assert_eq!(purged(&report), Some(1));
        assert_eq!(rows(&app, &id).await?, [0, 0, 0, 0]);
        Ok(())
    }
}
