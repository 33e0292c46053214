//! The steering group's table: the organisation's clients in fördjupad samverkan on a day,
//! by phase group, target group, plan or stalled phase, by gender, age band or against the
//! year before; small counts suppressed so that none can be recovered from the totals; no
//! person-level row; leads only, each read audited.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::caseload::brought;
use super::today;
use crate::helpers::*;
use crate::on_both_stores;

fn total_of(figures: &Value, row: &str) -> String {
    figures["rows"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .find(|r| r["key"] == row)
        .map(|r| r["total"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

/// `n` shown, or withheld (`x`) because a small count could be recovered from it.
fn shown_or_withheld(value: &str, n: u64) {
    assert!(
        value == n.to_string() || value == "x",
        "{value} is neither {n} nor x"
    );
}

/// No withheld cell can be worked out from its row or column and the shown total: a row (or
/// column) with a shown total has no withheld cell or at least two.
fn assert_not_recoverable(figures: &Value) {
    let rows = figures["rows"].as_array().cloned().unwrap_or_default();
    let withheld = |v: &Value| v.as_str().is_some_and(|s| s.parse::<u64>().is_err());
    for row in &rows {
        let hidden = row["cells"]
            .as_array()
            .map_or(0, |c| c.iter().filter(|c| withheld(&c["value"])).count());
        assert!(
            withheld(&row["total"]) || hidden != 1,
            "row {} recoverable: {row}",
            row["key"]
        );
    }
    let columns = figures["columns"].as_array().map_or(0, Vec::len);
    for c in 0..columns {
        let hidden = rows
            .iter()
            .filter(|r| withheld(&r["cells"][c]["value"]))
            .count();
        assert!(
            withheld(&figures["column_totals"][c]["value"]) || hidden != 1,
            "column {c} recoverable: {figures}"
        );
    }
}

on_both_stores! {
    async fn the_table_counts_clients_by_phase_group_with_small_cells_suppressed(app) {
        let w = app.world().await?;
        // Five women and a man in fördjupad samverkan; one more decided `ingen`.
        let people = ["19850312122", "19790101124", "19900214126", "19700605128", "19880808120", "19850312123", "19660101133"];
        let mut cases = Vec::new();
        for (n, number) in people.iter().enumerate() {
            let (_, case) = app.case_for(&w.social_worker, &pnr(number), &format!("Person {n}")).await?;
            let decision = if n == 6 { "ingen" } else { "fordjupad_samverkan" };
            brought(&app, &w.social_worker, &w.rehab_lead, &case, Some(decision)).await?;
            cases.push(case);
        }
        for (n, case) in cases.iter().take(6).enumerate() {
            let body = if n < 5 {
                json!({"phase": 1, "assessed_on": today(0), "reason": "Uppföljning"})
            } else {
                json!({"phase": 4, "outcome": "sa_ae_granted", "assessed_on": today(0), "reason": "Uppföljning"})
            };
            app.post(&w.rehab_lead, &format!("/api/cases/{case}/fordjupad/phases"), body).await?
                .ensure_status(StatusCode::CREATED, "phase")?;
            if n < 5 {
                app.post(&w.rehab_lead, &format!("/api/cases/{case}/fordjupad/codings"),
                    json!({"codes": ["sjukskriven_utan_sgi"], "months_on_assistance": 14})).await?
                    .ensure_status(StatusCode::CREATED, "coding")?;
            }
        }

        let reply = app.get(&w.rehab_lead, &format!("/api/statistics/fordjupad?date={}", today(0))).await?;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let figures = &reply.body;
        let keys: Vec<String> = figures["rows"].as_array().cloned().unwrap_or_default().iter()
            .filter_map(|r| r["key"].as_str().map(str::to_owned)).collect();
        assert_eq!(keys, ["not_assessed", "planning", "collaboration", "effort", "self_sufficient", "sa_ae_granted", "all_paths_exhausted"], "groups, never people");
        let columns: Vec<String> = figures["columns"].as_array().cloned().unwrap_or_default().iter()
            .filter_map(|c| c["key"].as_str().map(str::to_owned)).collect();
        assert_eq!(columns, ["kvinna", "man"]);
        assert_eq!(figures["total"], "6", "each client once, `ingen` left out");
        shown_or_withheld(&total_of(figures, "collaboration"), 5);
        assert_eq!(total_of(figures, "sa_ae_granted"), "<5");
        assert_eq!(figures["suppressed"], true);
        assert_not_recoverable(figures);
        let text = figures.to_string();
        for case in &cases {
            assert!(!text.contains(case.as_str()), "no case id in the figures");
        }
        assert!(!text.contains("Person "), "no name");

        let target = app.get(&w.rehab_lead, "/api/statistics/fordjupad?table=target_group").await?;
        shown_or_withheld(&total_of(&target.body, "sjukskriven_utan_sgi"), 5);
        assert_not_recoverable(&target.body);
        let assistance = app.get(&w.rehab_lead, "/api/statistics/fordjupad?table=assistance&by=age_band").await?;
        shown_or_withheld(&total_of(&assistance.body, "12_or_more"), 5);
        assert_not_recoverable(&assistance.body);
        let year = app.get(&w.rehab_lead, "/api/statistics/fordjupad?by=year").await?;
        assert_eq!(year.body["columns"][0]["key"], "year_before");
        shown_or_withheld(year.body["column_totals"][1]["value"].as_str().unwrap_or_default(), 6);
        assert_not_recoverable(&year.body);
        assert_eq!(year.body["column_totals"][0]["value"], "<5", "none a year before");
        let stall = app.get(&w.rehab_lead, "/api/statistics/fordjupad?table=stall&stall_months=1").await?;
        shown_or_withheld(&total_of(&stall.body, "moving"), 6);
        assert_eq!(total_of(&stall.body, "stalled"), "<5", "all assessed within the month");
        let csv = app.get(&w.rehab_lead, "/api/statistics/fordjupad?format=csv").await?;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(csv.content_type.starts_with("text/csv"), "{}", csv.content_type);

        for bad in [format!("date={}", today(1)), format!("date={}&period=2026T1", today(0)), "stall_months=0".to_owned(), "table=people".to_owned()] {
            let reply = app.get(&w.rehab_lead, &format!("/api/statistics/fordjupad?{bad}")).await?;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", reply.body);
        }
        let refused = app.get(&w.social_worker, "/api/statistics/fordjupad").await?;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(refused.body["code"], "role_not_allowed");
        let reads = app.audit_actions(&w.rehab_lead).await?.into_iter().filter(|a| a.0 == "statistics.read").count();
        assert_eq!(reads, 6, "each read audited, the refused ones aside");
        // Another organisation counts none of it.
        let other = app.organisation("Socialtjänsten Annan", samverkan::domain::OrganisationKind::Socialtjanst).await?;
        let lead = app.user(&other, "lead2", &[samverkan::domain::Role::Rehabansvarig]).await?;
        let theirs = app.get(&lead, "/api/statistics/fordjupad").await?;
        assert_eq!(theirs.body["total"], "<5");
        assert_eq!(total_of(&theirs.body, "collaboration"), "<5");
        Ok(())
    }
}

on_both_stores! {
    async fn the_top_phase_counts_by_its_outcome_in_force_on_the_day(app) {
        let w = app.world().await?;
        // Six granted SA/AE and five with all paths exhausted, all in the top phase.
        let mut cases = Vec::new();
        for n in 0..11 {
            let (_, case) = app.case_for(&w.social_worker, &pnr(&format!("198001{:02}{:03}", n + 1, 100 + n)), &format!("Person {n}")).await?;
            brought(&app, &w.social_worker, &w.rehab_lead, &case, Some("fordjupad_samverkan")).await?;
            let outcome = if n < 6 { "sa_ae_granted" } else { "all_paths_exhausted" };
            app.post(&w.rehab_lead, &format!("/api/cases/{case}/fordjupad/phases"),
                json!({"phase": 4, "outcome": outcome, "assessed_on": today(-2), "reason": "Uppföljning"})).await?
                .ensure_status(StatusCode::CREATED, "phase")?;
            cases.push(case);
        }
        // The first goes back to an effort today; the second gets an assessment recorded now
        // but made before the top one, which stays in force.
        app.post(&w.rehab_lead, &format!("/api/cases/{}/fordjupad/phases", cases[0]),
            json!({"phase": 3, "assessed_on": today(0), "reason": "Ny insats"})).await?
            .ensure_status(StatusCode::CREATED, "back")?;
        app.post(&w.rehab_lead, &format!("/api/cases/{}/fordjupad/phases", cases[1]),
            json!({"phase": 2, "assessed_on": today(-5), "reason": "Efterregistrerad"})).await?
            .ensure_status(StatusCode::CREATED, "older")?;

        let reply = app.get(&w.rehab_lead, &format!("/api/statistics/fordjupad?date={}", today(0))).await?;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let figures = &reply.body;
        shown_or_withheld(&total_of(figures, "sa_ae_granted"), 5);
        shown_or_withheld(&total_of(figures, "all_paths_exhausted"), 5);
        assert_eq!(total_of(figures, "self_sufficient"), "<5", "each outcome its own row");
        assert_eq!(total_of(figures, "effort"), "<5");
        assert_eq!(figures["total"], "11");
        assert_not_recoverable(figures);
        Ok(())
    }
}
