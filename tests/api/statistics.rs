//! Figures: `GET /api/statistics/inquiries` counts only the caller's organisation's
//! inquiries, suppresses small counts (and what would recover them), sends CSV for Excel,
//! refuses roles that read no figures, and audits each read as `statistics.read`.

use reqwest::StatusCode;
use samverkan::domain::Role;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::inquiries::{self, ok};
use crate::on_both_stores;

/// The current tertial, as the route's default period.
fn this_tertial() -> String {
    let today = chrono::Utc::now().date_naive();
    samverkan::domain::statistics::Period::tertial_of(today).to_string()
}

/// Moves an inquiry's sending `days` back, so that its answer took that long.
async fn sent_days_before_answer(app: &TestApp, id: &str, days: i64) -> anyhow::Result<()> {
    let mut tx = app.store.begin().await?;
    sqlx::query("UPDATE inquiries SET sent_at = sent_at - $1 WHERE id = $2")
        .bind(days * 86_400_000_000)
        .bind(id)
        .execute(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The cell values of a row of the figures, by column key.
fn cells(row: &Value) -> Vec<(String, String)> {
    row["cells"]
        .as_array()
        .map(|cells| {
            cells
                .iter()
                .map(|c| {
                    (
                        c["column"].as_str().unwrap_or_default().to_owned(),
                        c["value"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn pairs(values: &[(&str, &str)]) -> Vec<(String, String)> {
    values
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

on_both_stores! {
    async fn inquiry_figures_count_by_clinic_with_small_counts_suppressed_and_the_read_audited(app) {
        let s = inquiries::setup(&app).await?;
        let w = &s.world;
        let beta = app.org_named("Vårdcentral Beta").await?;
        app.consent(&w.social_worker, &s.case, &[&beta], &["rehabiliteringsforfragan"]).await?;
        // Alfa: six answered after 2, 4, … 12 days (median 7), two declined. Beta: six unanswered.
        for days in [2, 4, 6, 8, 10, 12] {
            let id = inquiries::inquiry_in(&app, &s, "answered").await?;
            sent_days_before_answer(&app, &id, days).await?;
        }
        for _ in 0..2 {
            inquiries::inquiry_in(&app, &s, "declined").await?;
        }
        for _ in 0..6 {
            app.sent_inquiry(&w.social_worker, &s.case, &beta).await?;
        }
        inquiries::inquiry_in(&app, &s, "draft").await?;

        let reply = app.get(&w.rehab_lead, "/api/statistics/inquiries").await?;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let b = &reply.body;
        assert_eq!(b["period"], this_tertial(), "the current tertial by default");
        assert_eq!(b["row_heading"], "Mottagning");
        assert_eq!(b["measure_label"], "Mediantid till svar (dagar)");
        let keys: Vec<_> = b["columns"].as_array().unwrap().iter().map(|c| c["key"].clone()).collect();
        assert_eq!(keys, [json!("answered"), json!("declined"), json!("withdrawn"), json!("open")]);
        let rows = b["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 2, "{b}");
        assert_eq!(rows[0]["label"], "Vårdcentral Alfa");
        assert_eq!(rows[0]["key"], w.clinic.id.to_string());
        assert_eq!(rows[1]["label"], "Vårdcentral Beta");
        // Alfa [6, 2, 0, 0 | 8], Beta [0, 0, 0, 6 | 6], totals [6, 2, 0, 6 | 14]: every 0 and
        // the 2 are "<5"; in each column the one count that would give them away is "x".
        assert_eq!(cells(&rows[0]), pairs(&[("answered", "x"), ("declined", "<5"), ("withdrawn", "<5"), ("open", "<5")]));
        assert_eq!(cells(&rows[1]), pairs(&[("answered", "<5"), ("declined", "<5"), ("withdrawn", "<5"), ("open", "x")]));
        assert_eq!(b["suppressed"], true);
        assert_eq!(rows[0]["measure"], 7.0, "median of 2…12 days");
        assert_eq!(rows[1]["measure"], Value::Null, "no answers, no median");
        assert_eq!(b["total"], "14", "the draft is not counted");
        for row in rows {
            for (_, value) in cells(row) {
                assert!(value == "<5" || value == "x" || value.parse::<u64>().is_ok_and(|n| n >= 5), "{value}");
            }
        }
        let audit = app.audit_actions(&w.rehab_lead).await?;
        assert_eq!(audit, [("statistics.read".into(), "allowed".into())]);
        let row = app.audit_rows().await?.into_iter().find(|r| r.action == "statistics.read").unwrap();
        assert_eq!((row.individual_id, row.case_id), (None, None), "a figure names no one");
        Ok(())
    }

    async fn figures_come_as_csv_for_swedish_excel(app) {
        let s = inquiries::setup(&app).await?;
        let w = &s.world;
        for _ in 0..5 {
            inquiries::inquiry_in(&app, &s, "declined").await?;
        }
        inquiries::inquiry_in(&app, &s, "withdrawn").await?;
        let period = this_tertial();
        let response = app.client
            .get(app.url(&format!("/api/statistics/inquiries?period={period}&format=csv")))
            .bearer_auth(&w.rehab_lead.token)
            .send()
            .await?;
        assert_eq!(response.status(), StatusCode::OK);
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert_eq!(header("content-type"), "text/csv; charset=utf-8");
        assert_eq!(header("content-disposition"), format!("attachment; filename=\"forfragningar-{period}.csv\""));
        let body = response.text().await?;
        assert_eq!(
            body,
            "\u{feff}Mottagning;Besvarade;Avböjda;Återkallade;Ej besvarade ännu;Totalt;Mediantid till svar (dagar)\r\n\
             Vårdcentral Alfa;<5;5;<5;<5;6;\r\n\
             Totalt;<5;5;<5;<5;6;\r\n"
        );
        assert_eq!(app.audit_actions(&w.rehab_lead).await?, [("statistics.read".into(), "allowed".into())]);
        Ok(())
    }

    async fn each_organisation_counts_only_its_own_inquiries(app) {
        let s = inquiries::setup(&app).await?;
        let w = &s.world;
        let other = app.org_named("Vårdcentral Beta").await?;
        app.consent(&w.social_worker, &s.case, &[&other], &["rehabiliteringsforfragan"]).await?;
        for _ in 0..5 {
            ok(app.get(&w.coordinator, &format!("/api/inquiries/{}", app.sent_inquiry(&w.social_worker, &s.case, &w.clinic).await?)).await?);
            app.sent_inquiry(&w.social_worker, &s.case, &other).await?;
        }
        let labels = |reply: &Reply| -> Vec<Value> {
            reply.body["rows"].as_array().map(|rows| rows.iter().map(|r| r["label"].clone()).collect()).unwrap_or_default()
        };
        let sender = app.get(&w.rehab_lead, "/api/statistics/inquiries").await?;
        assert_eq!(labels(&sender), [json!("Vårdcentral Alfa"), json!("Vårdcentral Beta")], "{}", sender.body);
        let clinic_reader = app.user(&w.clinic, "vc-statistik", &[Role::Statistik]).await?;
        let clinic = app.get(&clinic_reader, "/api/statistics/inquiries").await?;
        assert_eq!(clinic.status, StatusCode::OK, "{}", clinic.body);
        assert_eq!(labels(&clinic), [json!("Vårdcentral Alfa")], "only what the clinic received: {}", clinic.body);
        let beta_reader = app.user(&other, "beta-statistik", &[Role::Statistik]).await?;
        let beta = app.get(&beta_reader, "/api/statistics/inquiries").await?;
        assert_eq!(labels(&beta), [json!("Vårdcentral Beta")], "{}", beta.body);
        let outsider = app.user(&w.jobbtorg, "jt-statistik", &[Role::Statistik]).await?;
        let none = app.get(&outsider, "/api/statistics/inquiries").await?;
        assert_eq!(none.status, StatusCode::OK);
        assert_eq!(none.body["rows"], json!([]), "Jobbtorg took part in none: {}", none.body);
        assert_eq!(none.body["total"], "<5");
        // Last year's tertial holds none of them.
        let last_year = samverkan::domain::statistics::Period::tertial_of(chrono::Utc::now().date_naive()).previous_year();
        let earlier = app.get(&w.rehab_lead, &format!("/api/statistics/inquiries?period={last_year}")).await?;
        assert_eq!(earlier.body["rows"], json!([]), "{}", earlier.body);
        Ok(())
    }

    async fn caseworkers_and_admins_read_no_figures_and_the_attempt_is_audited(app) {
        let w = app.world().await?;
        for who in [&w.social_worker, &w.coordinator, &w.social_admin] {
            let reply = app.get(who, "/api/statistics/inquiries").await?;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
            assert_eq!(reply.body["code"], "role_not_allowed");
            assert_eq!(app.audit_actions(who).await?, [("statistics.read".into(), "denied".into())]);
        }
        let csv = app.get(&w.social_worker, "/api/statistics/inquiries?format=csv").await?;
        assert_eq!(csv.status, StatusCode::FORBIDDEN, "no file for a refused reader either");
        Ok(())
    }

    async fn a_period_that_is_neither_month_nor_tertial_is_a_field_error(app) {
        let w = app.world().await?;
        for bad in ["2026T4", "2026-13", "2026", "T3", "1999-12"] {
            let reply = app.get(&w.rehab_lead, &format!("/api/statistics/inquiries?period={bad}")).await?;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", reply.body);
            assert_eq!(reply.body["errors"][0]["field"], "period");
            assert_eq!(reply.body["errors"][0]["code"], "invalid_period");
        }
        for good in ["2026-11", "2026T3", "2025t1"] {
            let reply = app.get(&w.rehab_lead, &format!("/api/statistics/inquiries?period={good}")).await?;
            assert_eq!(reply.status, StatusCode::OK, "{good}: {}", reply.body);
        }
        let reply = app.get(&w.rehab_lead, "/api/statistics/inquiries?format=xml").await?;
        assert!(reply.status.is_client_error(), "{}", reply.status);
        Ok(())
    }
}

on_both_stores! {
    async fn gender_and_age_band_computed_in_the_query_agree_with_the_personnummer_rules(app) {
        use samverkan::domain::statistics::{AgeBand, Gender};
        use samverkan::domain::Personnummer;
        use samverkan::store::statistics::{push_age_band, push_gender};
        use samverkan::store::{RowExt, Sql};
        use rand::Rng;
        let on = chrono::NaiveDate::from_ymd_opt(2026, 9, 15).unwrap();
        // Birthdays on, just before and just after the reference day at each band's edge, a
        // leap-day birth, samordningsnummer (day + 60), and random ones.
        let mut numbers = Vec::new();
        for years in [15, 16, 29, 30, 39, 40, 49, 50, 59, 60, 66, 67, 90] {
            for (month, day) in [(9, 14), (9, 15), (9, 16)] {
                for coordination in [false, true] {
                    let d = if coordination { day + 60 } else { day };
                    numbers.push(format!("{}{month:02}{d:02}{:03}", 2026 - years, numbers.len() % 1000));
                }
            }
        }
        numbers.push("20000229123".into());
        let mut rng = rand::thread_rng();
        for _ in 0..60 {
            numbers.push(format!("{}{:02}{:02}{:03}", rng.gen_range(1920..2026), rng.gen_range(1..=12), rng.gen_range(1..=28), rng.gen_range(0..1000)));
        }
        let mut tx = app.store.begin().await?;
        let mut expected = std::collections::HashMap::new();
        for (i, eleven) in numbers.iter().enumerate() {
            let Ok(p) = Personnummer::complete(eleven) else { continue };
            if expected.contains_key(p.as_str()) { continue; }
            expected.insert(p.as_str().to_owned(), (Gender::of(&p).code(), AgeBand::of(&p, on).code()));
            sqlx::query("INSERT INTO individuals (id, personnummer, created_at) VALUES ($1, $2, $3)")
                .bind(uuid::Uuid::new_v4().to_string()).bind(p.as_str()).bind(i as i64)
                .execute(tx.conn()).await?;
        }
        let mut sql = Sql::new("SELECT personnummer, ");
        push_gender(&mut sql, "personnummer");
        sql.push(" AS gender, ");
        push_age_band(&mut sql, "personnummer", on);
        sql.push(" AS band FROM individuals");
        let rows = sql.fetch_all(&mut tx).await?;
        assert_eq!(rows.len(), expected.len());
        assert!(expected.len() > 80, "{}", expected.len());
        for row in rows {
            let pnr = row.text("personnummer")?;
            let got = (row.text("gender")?, row.text("band")?);
            let want = expected[&pnr];
            assert_eq!((got.0.as_str(), got.1.as_str()), want, "{pnr}");
        }
        Ok(())
    }
}

on_both_stores! {
    async fn decline_reasons_per_clinic_are_a_second_breakdown(app) {
        let s = inquiries::setup(&app).await?;
        let w = &s.world;
        for reason in ["wrong_unit"; 6].into_iter().chain(["consent_insufficient"; 5]) {
            let id = app.sent_inquiry(&w.social_worker, &s.case, &w.clinic).await?;
            ok(app.post(&w.coordinator, &format!("/api/inquiries/{id}/decline"), json!({"reason": reason})).await?);
        }
        inquiries::inquiry_in(&app, &s, "answered").await?;
        let reply = app.get(&w.rehab_lead, "/api/statistics/inquiries?by=decline_reason").await?;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let keys: Vec<_> = reply.body["columns"].as_array().unwrap().iter().map(|c| c["key"].clone()).collect();
        assert_eq!(keys, [json!("person_not_listed_here"), json!("consent_insufficient"), json!("wrong_unit"), json!("other")]);
        assert_eq!(reply.body["rows"][0]["label"], "Vårdcentral Alfa");
        assert_eq!(reply.body["total"], "11", "the declined ones only");
        assert_eq!(reply.body["measure_label"], Value::Null);
        let csv = app.client
            .get(app.url("/api/statistics/inquiries?by=decline_reason&format=csv"))
            .bearer_auth(&w.rehab_lead.token)
            .send()
            .await?;
        let disposition = csv.headers().get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert_eq!(disposition, format!("attachment; filename=\"avbojda-forfragningar-{}.csv\"", this_tertial()));
        assert!(csv.text().await?.starts_with("\u{feff}Mottagning;Inte listad på mottagningen;Samtycket räcker inte;Fel mottagning;Annat skäl;Totalt\r\n"));
        Ok(())
    }
}
