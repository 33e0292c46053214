//! Retention: a closed case's plans, with every version, party and action, are purged after
//! `retention.plans_days`, and not before; an open case's plans and a held case's stay; the
//! rest of the case (the case, its consent, its notifications) keeps to its own periods, and
//! the audit rows of the plan's life stay with the chain intact.

use reqwest::StatusCode;
use samverkan::admin::verify_audit;
use samverkan::config::RetentionSettings;
use samverkan::domain::Timestamp;
use samverkan::store::audit::ChainReport;
use samverkan::store::retention::PurgeReport;
use serde_json::json;
use sqlx::Row as _;

use super::{adopted, draft, ok, participation, setup, Setup};
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

async fn count(app: &TestApp, sql: &str) -> anyhow::Result<i64> {
    let mut tx = app.store.begin().await?;
    let row = sqlx::query(sql).fetch_one(tx.conn()).await?;
    Ok(row.try_get::<i64, _>(0)?)
}

/// What else of the case is stored: the case, its consents with what they cover, its
/// notifications, its audit rows.
async fn rest_of_case(app: &TestApp, case: &str) -> anyhow::Result<[i64; 5]> {
    Ok([
        count(
            app,
            &format!("SELECT COUNT(*) FROM cases WHERE id = '{case}'"),
        )
        .await?,
        count(
            app,
            &format!("SELECT COUNT(*) FROM consents WHERE case_id = '{case}'"),
        )
        .await?,
        count(
            app,
            &format!(
                "SELECT COUNT(*) FROM consent_organisations WHERE consent_id IN \
                 (SELECT id FROM consents WHERE case_id = '{case}')"
            ),
        )
        .await?,
        count(
            app,
            &format!("SELECT COUNT(*) FROM notifications WHERE case_id = '{case}'"),
        )
        .await?,
        count(
            app,
            &format!("SELECT COUNT(*) FROM audit_log WHERE case_id = '{case}'"),
        )
        .await?,
    ])
}

async fn close(app: &TestApp, user: &TestUser, case: &str) -> anyhow::Result<()> {
    let closed = app
        .patch(
            user,
            &format!("/api/cases/{case}"),
            json!({"status": "closed", "close_reason": "goal_reached"}),
        )
        .await?;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
    Ok(())
}

/// Moves the case's closing `days` back.
async fn closed_days_ago(app: &TestApp, case: &str, days: i64) -> anyhow::Result<()> {
    let mut tx = app.store.begin().await?;
    let at = Timestamp::now().micros() - days * DAY;
    sqlx::query(&format!(
        "UPDATE case_closures SET closed_at = {at} WHERE case_id = '{case}'"
    ))
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Another case of the same social worker, with a SIP consent like `setup`'s and a plan
/// adopted from `draft(s)`; returns (case, plan).
async fn other_case_with_plan(
    app: &TestApp,
    s: &Setup,
    digits: &str,
) -> anyhow::Result<(String, String)> {
    let w = &s.world;
    let (_, case) = app
        .case_for(&w.social_worker, &pnr(digits), "Bertil")
        .await?;
    app.consent(&w.social_worker, &case, &[&w.clinic, &w.jobbtorg], &["sip"])
        .await?;
    let created = ok(app
        .post(
            &w.social_worker,
            &format!("/api/cases/{case}/plans"),
            json!({"kind": "sip", "title": "SIP hösten"}),
        )
        .await?);
    let plan = created.id();
    ok(app
        .put(
            &w.social_worker,
            &format!("/api/plans/{plan}/draft"),
            draft(s),
        )
        .await?);
    ok(app
        .post(
            &w.social_worker,
            &format!("/api/plans/{plan}/adopt"),
            participation(s),
        )
        .await?);
    Ok((case, plan))
}

fn plans_after(days: i64, app: &TestApp) -> RetentionSettings {
    let mut settings = app.settings.retention.clone();
    settings.plans_days = days;
    settings
}

/// Every class's count in the report, as (class, rows).
fn counts(report: &PurgeReport) -> Vec<(&'static str, i64)> {
    report.classes.iter().map(|c| (c.class, c.rows)).collect()
}

/// The report's counts when only `plans` plans went: every other class 0.
fn only_plans(plans: i64) -> Vec<(&'static str, i64)> {
    [
        "messages",
        "inquiries",
        "sip_calls",
        "plans",
        "fordjupad",
        "meetings",
        "consents",
        "notifications",
        "sent_email",
        "audit",
    ]
    .into_iter()
    .map(|class| (class, if class == "plans" { plans } else { 0 }))
    .collect()
}

on_both_stores! {
    async fn a_closed_cases_plans_are_purged_after_their_period(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let id = adopted(&app, &s).await?;
        assert_eq!(rows(&app, &id).await?, [1, 1, 3, 3]);
        // A second version: every version goes with the plan.
        ok(app.post_empty(&w.social_worker, &format!("/api/plans/{id}/revise")).await?);
        ok(app.put(&w.social_worker, &format!("/api/plans/{id}/draft"), draft(&s)).await?);
        ok(app.post(&w.social_worker, &format!("/api/plans/{id}/adopt"), participation(&s)).await?);
        let with_versions = rows(&app, &id).await?;
        assert_eq!(with_versions[..2], [1, 2], "{with_versions:?}");
        assert!(with_versions[2..].iter().all(|n| *n >= 3), "{with_versions:?}");
        let read = ok(app.get(&w.coordinator, &format!("/api/plans/{id}")).await?);
        assert_eq!(read.body["version"], 2);
        close(&app, &w.social_worker, &s.case).await?;
        let rest = rest_of_case(&app, &s.case).await?;
        assert_eq!(rest[..3], [1, 1, 3], "the case and its consent naming three organisations");
        assert!(rest[3] > 0 && rest[4] > 0, "notifications and audit rows on the case: {rest:?}");

        let settings = plans_after(30, &app);
        let report = samverkan::retention::purge(&app.store, &settings, Timestamp::now(), false).await?;
        assert_eq!(counts(&report), only_plans(0), "closed just now");
        assert_eq!(rows(&app, &id).await?, with_versions);
        // The period is counted from the closing: a day short of it, nothing goes.
        closed_days_ago(&app, &s.case, 29).await?;
        let report = samverkan::retention::purge(&app.store, &settings, Timestamp::now(), false).await?;
        assert_eq!(counts(&report), only_plans(0), "closed 29 days ago");
        assert_eq!(rows(&app, &id).await?, with_versions);

        closed_days_ago(&app, &s.case, 31).await?;
        let now = Timestamp::now();
        let dry = samverkan::retention::purge(&app.store, &settings, now, true).await?;
        assert_eq!(counts(&dry), only_plans(1), "the dry run counts the one plan");
        assert_eq!(rows(&app, &id).await?, with_versions, "and changes nothing");
        let audit_before = app.audit_rows().await?;
        let report = samverkan::retention::purge(&app.store, &settings, now, false).await?;
        assert_eq!(report, dry, "the purge removes what the dry run counted");
        assert!(report.checkpoint.is_none(), "no audit row went");
        assert_eq!(rows(&app, &id).await?, [0, 0, 0, 0]);

        // The rest of the case keeps to its own periods; the audit rows of the plan's life
        // stay (the loggutdrag still shows who did what), the chain intact.
        assert_eq!(rest_of_case(&app, &s.case).await?, rest);
        let audit_after = app.audit_rows().await?;
        assert_eq!(
            audit_after.iter().map(|r| (r.seq, r.hash.clone())).collect::<Vec<_>>(),
            audit_before.iter().map(|r| (r.seq, r.hash.clone())).collect::<Vec<_>>(),
            "the purge neither removes nor writes an audit row",
        );
        let plan_actions: Vec<&str> = audit_after.iter()
            .filter(|r| r.case_id.as_deref() == Some(s.case.as_str()) && r.action.starts_with("plan."))
            .map(|r| r.action.as_str())
            .collect();
        for action in ["plan.create", "plan.update", "plan.adopt", "plan.revise", "plan.read"] {
            assert!(plan_actions.contains(&action), "{action} kept: {plan_actions:?}");
        }
        let rows_now = i64::try_from(audit_after.len())?;
        assert_eq!(verify_audit(&app.store).await?, ChainReport::Intact { rows: rows_now });

        // Gone from the API too.
        let gone = app.get(&w.social_worker, &format!("/api/plans/{id}")).await?;
        assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.body);
        assert_eq!(gone.body["code"], "not_found");
        let listed = ok(app.get(&w.social_worker, &format!("/api/cases/{}/plans", s.case)).await?);
        assert_eq!(listed.body["items"], json!([]));
        Ok(())
    }

    async fn an_open_or_held_cases_plans_stay_when_a_closed_cases_go(app) {
        let s = setup(&app).await?;
        let w = &s.world;
        let expired = adopted(&app, &s).await?;
        let (open_case, open_plan) = other_case_with_plan(&app, &s, "19790704456").await?;
        let (held_case, held_plan) = other_case_with_plan(&app, &s, "19920115789").await?;
        // Closed 31 days ago: past the plans' 30 days, within the notifications' 90.
        for case in [&s.case, &held_case] {
            close(&app, &w.social_worker, case).await?;
            closed_days_ago(&app, case, 31).await?;
        }
        let hold = app.put(&w.rehab_lead, &format!("/api/cases/{held_case}/legal-hold"),
            json!({"reason": "Överklagat beslut, dnr 2026-123"})).await?;
        assert_eq!(hold.status, StatusCode::OK, "{}", hold.body);
        let open_rows = rows(&app, &open_plan).await?;
        let held_rows = rows(&app, &held_plan).await?;
        assert_eq!(open_rows, [1, 1, 3, 3]);
        assert_eq!(held_rows, [1, 1, 3, 3]);
        let open_rest = rest_of_case(&app, &open_case).await?;
        let held_rest = rest_of_case(&app, &held_case).await?;

        let settings = plans_after(30, &app);
        let report = samverkan::retention::purge(&app.store, &settings, Timestamp::now(), false).await?;
        assert_eq!(counts(&report), only_plans(1), "the expired case's plan only");
        assert_eq!(rows(&app, &expired).await?, [0, 0, 0, 0]);
        assert_eq!(rows(&app, &open_plan).await?, open_rows, "an open case's plan stays");
        assert_eq!(rows(&app, &held_plan).await?, held_rows, "a held case's plan stays");
        assert_eq!(rest_of_case(&app, &open_case).await?, open_rest);
        assert_eq!(rest_of_case(&app, &held_case).await?, held_rest);
        let held = ok(app.get(&w.coordinator, &format!("/api/plans/{held_plan}")).await?);
        assert_eq!(held.body["version"], 1, "the held plan still reads whole: {}", held.body);
        assert_eq!(held.body["adopted"]["content"]["actions"].as_array().map(Vec::len), Some(3));

        // The hold cleared, the held case's plan goes on the same terms; the open one stays.
        let cleared = app.delete(&w.rehab_lead, &format!("/api/cases/{held_case}/legal-hold")).await?;
        assert_eq!(cleared.status, StatusCode::NO_CONTENT, "{}", cleared.body);
        let report = samverkan::retention::purge(&app.store, &settings, Timestamp::now(), false).await?;
        assert_eq!(counts(&report), only_plans(1));
        assert_eq!(rows(&app, &held_plan).await?, [0, 0, 0, 0]);
        assert_eq!(rows(&app, &open_plan).await?, open_rows);
        let audit_rows = i64::try_from(app.audit_rows().await?.len())?;
        assert_eq!(verify_audit(&app.store).await?, ChainReport::Intact { rows: audit_rows });
        Ok(())
    }
}
