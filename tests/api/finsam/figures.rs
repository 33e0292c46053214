//! The förbund's figures, `GET /api/statistics/finsam`: referrals by referring party and how
//! they stand (or why declined, or by gender), counted only for the förbund, with small counts
//! suppressed as the statistics foundation does and none recoverable from the totals; the
//! key figures beside the table; CSV; no person in the body or the file; the read audited;
//! caseworkers refused.

use reqwest::StatusCode;
use samverkan::domain::statistics::{Heading, Table};
use samverkan::domain::Role;
use serde_json::{json, Value};

use super::*;

/// The values of a line of the figures (a row's cells, or the column totals), then its total.
fn line(cells: &Value, total: &Value) -> Vec<String> {
    let mut values: Vec<String> = cells
        .as_array()
        .map(|cells| {
            cells
                .iter()
                .map(|c| c["value"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default();
    values.push(total.as_str().unwrap_or_default().to_owned());
    values
}

/// The table the foundation shows for these counts (rows: key and counts by column).
fn expected(columns: &[&str], rows: &[(&str, &[u64])]) -> Vec<Vec<String>> {
    let heading = |k: &str| Heading::new(k, k);
    let mut table = Table::new(
        rows.iter().map(|(k, _)| heading(k)).collect(),
        columns.iter().map(|k| heading(k)).collect(),
    );
    for (row, counts) in rows {
        for (column, n) in columns.iter().zip(counts.iter()) {
            table.add(row, column, *n);
        }
    }
    let shown = table.suppress();
    let mut lines: Vec<Vec<String>> = (0..rows.len())
        .map(|r| {
            let mut l: Vec<String> = shown.cells[r].iter().map(|s| s.text()).collect();
            l.push(shown.row_totals[r].text());
            l
        })
        .collect();
    let mut totals: Vec<String> = shown.column_totals.iter().map(|s| s.text()).collect();
    totals.push(shown.total.text());
    lines.push(totals);
    lines
}

/// The shown lines of a figures body: each row, then the column totals.
fn shown(body: &Value) -> Vec<Vec<String>> {
    let mut lines: Vec<Vec<String>> = body["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| line(&r["cells"], &r["total"]))
                .collect()
        })
        .unwrap_or_default();
    lines.push(line(&body["column_totals"], &body["total"]));
    lines
}

/// No withheld count can be worked out from its line: a line whose total is shown never
/// withholds exactly one of its values; and every shown count is five or more.
fn assert_unrecoverable(lines: &[Vec<String>]) {
    let columns = lines[0].len();
    let transposed: Vec<Vec<String>> = (0..columns)
        .map(|c| lines.iter().map(|l| l[c].clone()).collect())
        .collect();
    for l in lines.iter().chain(&transposed) {
        let (values, total) = l.split_at(l.len() - 1);
        let withheld = values.iter().filter(|v| v.parse::<u64>().is_err()).count();
        if total[0].parse::<u64>().is_ok() {
            assert_ne!(
                withheld, 1,
                "one withheld value in {l:?} would follow from the total"
            );
        }
        for v in l {
            assert!(
                v == "<5" || v == "x" || v.parse::<u64>().is_ok_and(|n| n >= 5),
                "{v} in {l:?}"
            );
        }
    }
}

/// Sends a referral in `case` from `user` (whose organisation recorded the consent), and
/// takes it to `how`: `sent`, `accepted`, `withdrawn` or a decline reason.
async fn referral(
    app: &TestApp,
    f: &Finsam,
    user: &TestUser,
    case: &str,
    how: &str,
) -> anyhow::Result<String> {
    let id = draft_in(app, f, user, case).await?;
    step(app, user, &id, "send", json!({}))
        .await?
        .ensure_status(StatusCode::OK, "send")?;
    let (who, name, body) = match how {
        "sent" => return Ok(id),
        "accepted" => (&f.coordinator, "accept", json!({})),
        "withdrawn" => (user, "withdraw", json!({})),
        reason => (
            &f.coordinator,
            "decline",
            json!({"reason": reason, "text": "Förklaring."}),
        ),
    };
    step(app, who, &id, name, body)
        .await?
        .ensure_status(StatusCode::OK, how)?;
    Ok(id)
}

/// Moves a referral's decision `days` after its sending.
async fn decided_after(app: &TestApp, id: &str, days: i64) -> anyhow::Result<()> {
    let mut tx = app.store.begin().await?;
    sqlx::query("UPDATE finsam_referrals SET decided_at = sent_at + $1 WHERE id = $2")
        .bind(days * 86_400_000_000)
        .bind(id)
        .execute(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(())
}

on_both_stores! {
    async fn the_forbunds_figures_count_by_party_and_decision_suppress_small_cells_and_name_no_one(app) {
        let f = finsam_setup(&app).await?;
        let w = &f.world;
        written_consent(&app, &f, &[&f.forbund, &f.af, &w.clinic]).await?;
        // Social services: 6 accepted (decided after 2, 4, … 12 days), 5 declined as not in the
        // target group and 1 because the person declined (both on the day), 1 withdrawn.
        let mut ids = Vec::new();
        for days in [2, 4, 6, 8, 10, 12] {
            let id = referral(&app, &f, &w.social_worker, &f.case, "accepted").await?;
            decided_after(&app, &id, days).await?;
            ids.push(id);
        }
        for reason in ["not_target_group"; 5].into_iter().chain(["person_declined"]) {
            let id = referral(&app, &f, &w.social_worker, &f.case, reason).await?;
            decided_after(&app, &id, 0).await?;
            ids.push(id);
        }
        ids.push(referral(&app, &f, &w.social_worker, &f.case, "withdrawn").await?);
        // The clinic: 5 waiting for a decision; and a draft, which is never counted.
        let (clinic_person, clinic_case) = app.case_for(&w.coordinator, &pnr("19700101142"), "Bertil Blomgren").await?;
        written_consent_on(&app, &w.coordinator, &clinic_case, &[&f.forbund, &f.af, &w.social]).await?;
        for _ in 0..5 {
            ids.push(referral(&app, &f, &w.coordinator, &clinic_case, "sent").await?);
        }
        draft_in(&app, &f, &w.coordinator, &clinic_case).await?;

        let reply = app.get(&f.coordinator, "/api/statistics/finsam").await?;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let b = &reply.body;
        assert_eq!(b["row_heading"], "Anmälande part");
        let keys: Vec<Value> = b["columns"].as_array().unwrap().iter().map(|c| c["key"].clone()).collect();
        assert_eq!(keys, [json!("waiting"), json!("accepted"), json!("declined"), json!("withdrawn")]);
        let rows = b["rows"].as_array().unwrap();
        let parties: Vec<(Value, Value)> = rows.iter().map(|r| (r["key"].clone(), r["label"].clone())).collect();
        assert_eq!(parties, [
            (json!(w.social.id.to_string()), json!("Socialtjänsten Test")),
            (json!(w.clinic.id.to_string()), json!("Vårdcentral Alfa")),
        ], "{b}");
        // Social [0, 6, 6, 1 | 13], clinic [5, 0, 0, 0 | 5], totals [5, 6, 6, 1 | 18]: what
        // the foundation shows of exactly these counts, none recoverable from the totals.
        let expect = expected(&["waiting", "accepted", "declined", "withdrawn"], &[
            ("social", &[0, 6, 6, 1]),
            ("clinic", &[5, 0, 0, 0]),
        ]);
        assert_eq!(shown(b), expect, "{b}");
        assert_eq!(b["total"], "18", "the draft is not counted");
        assert_eq!(rows[0]["cells"][3]["value"], "<5", "the one withdrawn");
        assert_eq!(b["suppressed"], true);
        assert_unrecoverable(&shown(b));
        assert_eq!(b["measure_label"], "Mediantid till beslut (dagar)");
        // Twelve decisions: six on the day, six after 2 … 12 days: the median is 1 day.
        assert_eq!(rows[0]["measure"], 1.0, "{b}");
        assert_eq!(rows[1]["measure"], Value::Null, "none decided");
        let facts: Vec<(Value, Value)> = b["facts"].as_array().unwrap().iter().map(|f| (f["key"].clone(), f["value"].clone())).collect();
        assert_eq!(facts, [
            (json!("days_to_decision"), json!("1")),
            (json!("days_to_first_meeting"), json!("visas inte (färre än 5)")),
            (json!("active_plans"), json!("<5")),
            (json!("follow_ups"), json!("<5")),
            (json!("follow_ups_on_time"), json!("<5")),
        ]);

        // Why declined: social [5, 0, 1, 0, 0 | 6].
        let declines = app.get(&f.coordinator, "/api/statistics/finsam?by=decline_reason").await?;
        let reasons = ["not_target_group", "other_route", "person_declined", "consent_insufficient", "other"];
        assert_eq!(shown(&declines.body), expected(&reasons, &[("social", &[5, 0, 1, 0, 0])]), "{}", declines.body);
        assert_unrecoverable(&shown(&declines.body));
        // By gender: the social services' person is a man (serial 123), the clinic's a woman (142).
        let gender = app.get(&f.coordinator, "/api/statistics/finsam?by=gender").await?;
        assert_eq!(shown(&gender.body), expected(&["kvinna", "man"], &[("social", &[0, 13]), ("clinic", &[5, 0])]), "{}", gender.body);
        let ages = app.get(&f.coordinator, "/api/statistics/finsam?by=age_band").await?;
        assert_eq!(ages.status, StatusCode::OK, "{}", ages.body);
        assert_eq!(ages.body["columns"].as_array().map(Vec::len), Some(7));
        let outcomes = app.get(&f.coordinator, "/api/statistics/finsam?by=outcome").await?;
        assert_eq!(outcomes.body["rows"], json!([]), "none closed: {}", outcomes.body);

        // CSV: the same table, for Excel.
        let response = app.client
            .get(app.url("/api/statistics/finsam?format=csv"))
            .bearer_auth(&f.coordinator.token)
            .send()
            .await?;
        assert_eq!(response.status(), StatusCode::OK);
        let disposition = response.headers().get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert!(disposition.starts_with("attachment; filename=\"finsam-anmalningar-"), "{disposition}");
        let csv = response.text().await?;
        assert!(csv.starts_with("\u{feff}Anmälande part;Väntar på beslut;Antagna;Avböjda;Återkallade;Totalt;Mediantid till beslut (dagar)\r\n"), "{csv}");
        assert!(csv.ends_with(&format!("Totalt;{};\r\n", expect[2].join(";"))), "{csv}");

        // No person-level row: no personnummer, name or id of a person, case or referral.
        let fields = [pnr("19850312123"), pnr("19700101142"), "Amina".into(), "Bertil".into(), f.case.clone(), clinic_case.clone(), clinic_person.clone()];
        for text in [b.to_string(), declines.body.to_string(), gender.body.to_string(), csv.clone()] {
            for field in fields.iter().chain(&ids) {
                assert!(!text.contains(field.as_str()), "{field} in {text}");
            }
        }

        // Each read audited as statistics.read, naming no one.
        let reads: Vec<_> = app.audit_rows().await?.into_iter().filter(|r| r.action == "statistics.read").collect();
        assert_eq!(reads.len(), 6, "four tables, two of them by decision (JSON and CSV)");
        for row in &reads {
            assert_eq!((row.outcome.as_str(), row.user_id.clone()), ("allowed", Some(f.coordinator.id.to_string())));
            assert_eq!((&row.individual_id, &row.case_id), (&None, &None), "a figure names no one");
        }
        Ok(())
    }

    async fn only_the_forbund_counts_its_referrals_and_caseworkers_are_refused(app) {
        let f = finsam_setup(&app).await?;
        let w = &f.world;
        written_consent(&app, &f, &[&f.forbund, &f.af, &w.clinic]).await?;
        for _ in 0..5 {
            referral(&app, &f, &w.social_worker, &f.case, "sent").await?;
        }
        let this = samverkan::domain::statistics::Period::tertial_of(chrono::Utc::now().date_naive());
        let now = app.get(&f.coordinator, &format!("/api/statistics/finsam?period={this}")).await?;
        let labels: Vec<Value> = now.body["rows"].as_array().map(|rows| rows.iter().map(|r| r["label"].clone()).collect()).unwrap_or_default();
        assert_eq!(labels, [json!("Socialtjänsten Test")], "{}", now.body);
        // Five waiting and nothing else: the five would say the other columns are empty.
        assert_eq!(now.body["rows"][0]["cells"][0]["value"], "x", "{}", now.body);
        let earlier = app.get(&f.coordinator, &format!("/api/statistics/finsam?period={}", this.previous_year())).await?;
        assert_eq!(earlier.body["rows"], json!([]), "{}", earlier.body);
        let month = samverkan::domain::statistics::Period::month_of(chrono::Utc::now().date_naive());
        let by_month = app.get(&f.coordinator, &format!("/api/statistics/finsam?period={month}")).await?;
        assert_eq!(by_month.body["period"], month.to_string());
        assert_eq!(by_month.body["rows"][0]["label"], "Socialtjänsten Test", "{}", by_month.body);
        // The referring organisation's own statistics reader counts none of the förbund's figures.
        let social_reader = app.user(&w.social, "soc-statistik", &[Role::Statistik]).await?;
        let referrer = app.get(&social_reader, "/api/statistics/finsam").await?;
        assert_eq!(referrer.status, StatusCode::OK, "{}", referrer.body);
        assert_eq!(referrer.body["rows"], json!([]), "{}", referrer.body);
        assert_eq!(referrer.body["total"], "<5");
        // Caseworkers and admins read no figures; the attempt is audited.
        for who in [&w.social_worker, &w.social_admin] {
            let refused = app.get(who, "/api/statistics/finsam").await?;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
            assert_eq!(refused.body["code"], "role_not_allowed");
            let csv = app.get(who, "/api/statistics/finsam?format=csv").await?;
            assert_eq!(csv.status, StatusCode::FORBIDDEN);
            let audit = app.audit_actions(who).await?;
            assert!(audit.iter().filter(|a| a.0 == "statistics.read").all(|a| a.1 == "denied"), "{audit:?}");
            assert!(audit.iter().any(|a| *a == ("statistics.read".into(), "denied".into())), "{audit:?}");
        }
        for (bad, field) in [("period=2026T4", "period"), ("by=state", "by"), ("format=xml", "format")] {
            let reply = app.get(&f.coordinator, &format!("/api/statistics/finsam?{bad}")).await?;
            assert!(reply.status.is_client_error(), "{bad}: {}", reply.body);
            if field == "period" {
                assert_eq!(reply.body["errors"][0]["code"], "invalid_period");
            }
        }
        Ok(())
    }
}
