//! The target-group coding: set by the rehabansvarig, changed with history, derived flags.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::on_both_stores;

on_both_stores! {
    async fn the_coding_changes_with_its_history_kept(app) {
        let w = app.world().await?;
        let (_, case) = app.case_for(&w.social_worker, &pnr("19850312123"), "Amina").await?;
        let path = format!("/api/cases/{case}/fordjupad");
        let codings = format!("{path}/codings");
        app.post(&w.social_worker, &path, json!({"note": "Behöver samordning"})).await?
            .ensure_status(StatusCode::CREATED, "bring")?;
        let by_worker = app.post(&w.social_worker, &codings, json!({"codes": ["sjukskriven_utan_sgi"]})).await?;
        assert_eq!(by_worker.status, StatusCode::FORBIDDEN);
        let first = app.post(&w.rehab_lead, &codings,
            json!({"codes": ["sjukskriven_utan_sgi"], "months_on_assistance": 8})).await?;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
        let second = app.post(&w.rehab_lead, &codings,
            json!({"codes": ["socialmedicinska_hinder", "sjukskriven_utan_sgi"], "months_on_assistance": 14})).await?;
        let history = second.body.as_array().cloned().unwrap_or_default();
        assert_eq!(history.len(), 2);
        assert_eq!(history[0]["codes"], json!(["sjukskriven_utan_sgi"]));
        assert_eq!(history[0]["long_term_assistance"], false);
        assert_eq!(history[1]["codes"], json!(["sjukskriven_utan_sgi", "socialmedicinska_hinder"]));
        assert_eq!(history[1]["long_term_assistance"], true);
        assert_eq!(history[1]["in_target_group"], true);
        let bad = app.post(&w.rehab_lead, &codings, json!({"codes": ["okand"]})).await?;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let bad = app.post(&w.rehab_lead, &codings, json!({"months_on_assistance": 601})).await?;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(app.get(&w.social_worker, &codings).await?.body.as_array().map(Vec::len), Some(2));
        assert_eq!(app.get(&w.coordinator, &codings).await?.status, StatusCode::NOT_FOUND, "no consent");
        let actions = app.audit_actions(&w.rehab_lead).await?;
        assert_eq!(actions.iter().filter(|a| a.0 == "fordjupad.code" && a.1 == "allowed").count(), 2);
        Ok(())
    }
}
