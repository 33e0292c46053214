//! The target-group coding: set by the owner's rehabansvarig, each change kept as a new row
//! with who and when, the derived flags in the reply; refusals as problems naming their code
//! and field, storing nothing; partners read only under consent for `fordjupad_samverkan`;
//! audited, and no event (coding is not one of fördjupad's event kinds).

use reqwest::StatusCode;
use samverkan::store::audit::AuditRow;
use serde_json::{json, Value};
use sqlx::Row as _;

use crate::helpers::*;
use crate::on_both_stores;

/// A case of social services brought to the rehabansvarig; returns (individual, case).
async fn brought(app: &TestApp, w: &World) -> anyhow::Result<(String, String)> {
    let (individual, case) = app
        .case_for(&w.social_worker, &pnr("19850312123"), "Amina")
        .await?;
    app.post(
        &w.social_worker,
        &format!("/api/cases/{case}/fordjupad"),
        json!({"note": "Behöver samordning"}),
    )
    .await?
    .ensure_status(StatusCode::CREATED, "bring")?;
    Ok((individual, case))
}

fn codings_path(case: &str) -> String {
    format!("/api/cases/{case}/fordjupad/codings")
}

/// The case's stored codings, oldest first: (codes as stored, months, coded by).
async fn stored(app: &TestApp, case: &str) -> anyhow::Result<Vec<(String, Option<i64>, String)>> {
    let mut tx = app.store.begin().await?;
    let rows = sqlx::query(&format!(
        "SELECT codes, months_on_assistance, coded_by_user_id FROM fordjupad_codings \
         WHERE case_id = '{case}' ORDER BY recorded_at, id"
    ))
    .fetch_all(tx.conn())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("codes")?,
                r.try_get("months_on_assistance")?,
                r.try_get("coded_by_user_id")?,
            ))
        })
        .collect()
}

/// The audit rows of `action` written for `user`, oldest first.
async fn audited(app: &TestApp, user: &TestUser, action: &str) -> anyhow::Result<Vec<AuditRow>> {
    let id = user.id.to_string();
    Ok(app
        .audit_rows()
        .await?
        .into_iter()
        .filter(|r| r.user_id.as_deref() == Some(id.as_str()) && r.action == action)
        .collect())
}

/// The kinds of the events on the case, oldest first.
async fn event_kinds(app: &TestApp, case: &str) -> anyhow::Result<Vec<String>> {
    Ok(app
        .events()
        .await?
        .into_iter()
        .filter(|e| e.case_id.as_deref() == Some(case))
        .map(|e| e.kind)
        .collect())
}

/// A refusal as problem+json: the status, its code, and its field errors as (field, code).
fn assert_problem(reply: &Reply, status: StatusCode, code: &str, fields: &[(&str, &str)]) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(
        reply.content_type, "application/problem+json",
        "{}",
        reply.body
    );
    assert_eq!(reply.body["code"], code, "{}", reply.body);
    assert_eq!(reply.body["status"], status.as_u16(), "{}", reply.body);
    assert_eq!(reply.body["type"], format!("urn:samverkan:problem:{code}"));
    let expected: Vec<(String, String)> = fields
        .iter()
        .map(|(f, c)| ((*f).to_owned(), (*c).to_owned()))
        .collect();
    assert_eq!(reply.field_codes(), expected, "{}", reply.body);
}

/// A reply's `coded_at`, which must be an RFC 3339 time within the last minute.
fn assert_coded_just_now(coding: &Value) {
    let at = coding["coded_at"].as_str().unwrap_or_default();
    let at =
        chrono::DateTime::parse_from_rfc3339(at).unwrap_or_else(|e| panic!("coded_at {at:?}: {e}"));
    let age = chrono::Utc::now().signed_duration_since(at);
    assert!(
        age >= chrono::Duration::zero() && age < chrono::Duration::minutes(1),
        "{coding}"
    );
}

on_both_stores! {
    async fn the_coding_changes_with_its_history_kept(app) {
        let w = app.world().await?;
        let (individual, case) = brought(&app, &w).await?;
        let codings = codings_path(&case);
        let lead = w.rehab_lead.id.to_string();
        let events_before = event_kinds(&app, &case).await?;
        assert_eq!(events_before.iter().filter(|k| k.starts_with("fordjupad.")).collect::<Vec<_>>(),
            ["fordjupad.brought"]);
        let none = app.get(&w.social_worker, &codings).await?;
        assert_eq!(none.status, StatusCode::OK, "{}", none.body);
        assert_eq!(none.body, json!([]), "brought but never coded");

        let first = app.post(&w.rehab_lead, &codings,
            json!({"codes": ["sjukskriven_utan_sgi"], "months_on_assistance": 8})).await?;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
        let history = first.body.as_array().cloned().unwrap_or_default();
        assert_eq!(history.len(), 1, "{}", first.body);
        assert_eq!(history[0]["codes"], json!(["sjukskriven_utan_sgi"]));
        assert_eq!(history[0]["months_on_assistance"], 8);
        assert_eq!(history[0]["in_target_group"], true);
        assert_eq!(history[0]["long_term_assistance"], false, "8 months is under 12");
        assert_eq!(history[0]["coded_by"], lead);
        assert_coded_just_now(&history[0]);

        // Given in any order, the codes come back in the vocabulary's order.
        let second = app.post(&w.rehab_lead, &codings,
            json!({"codes": ["socialmedicinska_hinder", "sjukskriven_utan_sgi"], "months_on_assistance": 12})).await?;
        assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);
        let history = second.body.as_array().cloned().unwrap_or_default();
        assert_eq!(history.len(), 2, "{}", second.body);
        assert_eq!(history[0], first.body[0], "the first coding is kept as it was");
        assert_eq!(history[1]["codes"], json!(["sjukskriven_utan_sgi", "socialmedicinska_hinder"]));
        assert_eq!(history[1]["months_on_assistance"], 12);
        assert_eq!(history[1]["long_term_assistance"], true, "12 months counts as long-term");
        assert_eq!(history[1]["in_target_group"], true);
        assert_eq!(history[1]["coded_by"], lead);
        assert_coded_just_now(&history[1]);

        // A coding out of the target group, months not counted: the flags follow.
        let third = app.post(&w.rehab_lead, &codings, json!({"codes": []})).await?;
        assert_eq!(third.status, StatusCode::CREATED, "{}", third.body);
        assert_eq!(third.body.as_array().map(Vec::len), Some(3));
        assert_eq!((&third.body[0], &third.body[1]), (&second.body[0], &second.body[1]));
        assert_eq!(third.body[2]["codes"], json!([]));
        assert_eq!(third.body[2]["months_on_assistance"], Value::Null);
        assert_eq!(third.body[2]["in_target_group"], false);
        assert_eq!(third.body[2]["long_term_assistance"], false);

        // The history read back is what the last change answered; the last is the current.
        let read = app.get(&w.social_worker, &codings).await?;
        assert_eq!(read.status, StatusCode::OK, "{}", read.body);
        assert_eq!(read.body, third.body);

        assert_eq!(stored(&app, &case).await?, [
            (r#"["sjukskriven_utan_sgi"]"#.to_owned(), Some(8), lead.clone()),
            (r#"["sjukskriven_utan_sgi","socialmedicinska_hinder"]"#.to_owned(), Some(12), lead.clone()),
            ("[]".to_owned(), None, lead.clone()),
        ]);
        assert_eq!(event_kinds(&app, &case).await?, events_before, "a coding emits no event");

        // Each coding audited once, allowed, on the case and the individual, as the owner.
        let rows = audited(&app, &w.rehab_lead, "fordjupad.code").await?;
        assert_eq!(rows.len(), 3);
        for row in &rows {
            assert_eq!(row.outcome, "allowed");
            assert_eq!(row.case_id.as_deref(), Some(case.as_str()));
            assert_eq!(row.individual_id.as_deref(), Some(individual.as_str()));
            assert_eq!(row.organisation_id, Some(w.social.id.to_string()));
            assert_eq!(row.purpose.as_deref(), Some("fordjupad_samverkan"));
            assert_eq!(row.consent_id, None, "the owner reads without consent");
        }
        let reads = audited(&app, &w.social_worker, "fordjupad.read").await?;
        assert_eq!(reads.iter().map(|r| r.outcome.as_str()).collect::<Vec<_>>(), ["allowed", "allowed"]);
        assert!(reads.iter().all(|r| r.case_id.as_deref() == Some(case.as_str())));
        Ok(())
    }

    async fn a_refused_coding_names_its_code_and_field_and_stores_nothing(app) {
        let w = app.world().await?;
        let (_, case) = app.case_for(&w.social_worker, &pnr("19850312123"), "Amina").await?;
        let codings = codings_path(&case);
        let valid = json!({"codes": ["sjukskriven_utan_sgi"], "months_on_assistance": 8});

        // Not brought to the rehabansvarig: nothing to code or read.
        let not_brought = app.post(&w.rehab_lead, &codings, valid.clone()).await?;
        assert_problem(&not_brought, StatusCode::NOT_FOUND, "not_found", &[]);
        assert_problem(&app.get(&w.rehab_lead, &codings).await?, StatusCode::NOT_FOUND, "not_found", &[]);
        app.post(&w.social_worker, &format!("/api/cases/{case}/fordjupad"), json!({"note": "Behöver samordning"})).await?
            .ensure_status(StatusCode::CREATED, "bring")?;

        // The social worker brings the case but does not code it: refused and audited.
        let by_worker = app.post(&w.social_worker, &codings, valid.clone()).await?;
        assert_problem(&by_worker, StatusCode::FORBIDDEN, "not_allowed", &[]);
        assert_eq!(by_worker.body["detail"], "Det här beslutar rehabansvarig eller biträdande enhetschef.");
        let denied = audited(&app, &w.social_worker, "fordjupad.code").await?;
        assert_eq!(denied.len(), 1);
        assert_eq!(denied[0].outcome, "denied");
        assert_eq!(denied[0].case_id.as_deref(), Some(case.as_str()));

        // Bodies the rules refuse, each naming its field.
        for (body, field, code) in [
            (json!({"codes": ["okand"]}), "codes[0]", "invalid_value"),
            (json!({"codes": ["sjukskriven_utan_sgi", "okand"]}), "codes[1]", "invalid_value"),
            (json!({"codes": "sjukskriven_utan_sgi"}), "codes", "invalid_value"),
            (json!({"months_on_assistance": 601}), "months_on_assistance", "range"),
            (json!({"months_on_assistance": -1}), "months_on_assistance", "invalid_value"),
            (json!({"months_on_assistance": 2.5}), "months_on_assistance", "invalid_value"),
            (json!({"codes": [], "target_group": true}), "target_group", "unknown_field"),
        ] {
            let reply = app.post(&w.rehab_lead, &codings, body.clone()).await?;
            assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", &[(field, code)]);
            assert!(reply.body["errors"][0]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}: {}", reply.body);
        }

        assert!(stored(&app, &case).await?.is_empty(), "no refusal stored a coding");
        assert_eq!(app.get(&w.rehab_lead, &codings).await?.body, json!([]));
        let lead_codes = audited(&app, &w.rehab_lead, "fordjupad.code").await?;
        assert!(lead_codes.is_empty(), "nothing coded, nothing audited as coded: {lead_codes:?}");
        assert!(!event_kinds(&app, &case).await?.iter().any(|k| k.starts_with("fordjupad.") && k != "fordjupad.brought"));
        Ok(())
    }

    async fn another_organisation_sees_the_codings_only_under_consent_for_fordjupad_samverkan(app) {
        let w = app.world().await?;
        let (_, case) = brought(&app, &w).await?;
        let codings = codings_path(&case);
        let coded = app.post(&w.rehab_lead, &codings,
            json!({"codes": ["socialmedicinska_hinder"], "months_on_assistance": 20})).await?;
        assert_eq!(coded.status, StatusCode::CREATED, "{}", coded.body);

        // Without consent the clinic gets what an unknown case gets, and no data.
        let unseen = |reply: &Reply| {
            assert_problem(reply, StatusCode::NOT_FOUND, "not_found", &[]);
            assert!(!reply.body.to_string().contains("socialmedicinska_hinder"), "{}", reply.body);
        };
        unseen(&app.get(&w.coordinator, &codings).await?);
        unseen(&app.get(&w.coordinator, &codings_path(&unknown_case())).await?);
        unseen(&app.post(&w.coordinator, &codings, json!({"codes": []})).await?);
        app.consent(&w.social_worker, &case, &[&w.clinic], &["sip"]).await?;
        unseen(&app.get(&w.coordinator, &codings).await?);

        // Consent for fördjupad samverkan lets the clinic read the history, not change it.
        let consent = app.consent(&w.social_worker, &case, &[&w.clinic], &["fordjupad_samverkan"]).await?;
        let seen = app.get(&w.coordinator, &codings).await?;
        assert_eq!(seen.status, StatusCode::OK, "{}", seen.body);
        assert_eq!(seen.body, coded.body);
        let by_partner = app.post(&w.coordinator, &codings, json!({"codes": []})).await?;
        assert_problem(&by_partner, StatusCode::FORBIDDEN, "not_allowed", &[]);
        // The consent names one clinic; the other sees nothing.
        unseen(&app.get(&w.other_coordinator, &codings).await?);
        assert_eq!(stored(&app, &case).await?.len(), 1, "the partner changed nothing");

        // Ended, the consent lets nothing through any more.
        app.end_consent(&w.social_worker, &consent).await?.ensure_status(StatusCode::OK, "end consent")?;
        unseen(&app.get(&w.coordinator, &codings).await?);

        // The clinic's reads audited: denied without consent, allowed under it (naming it).
        let reads = audited(&app, &w.coordinator, "fordjupad.read").await?;
        let outcomes: Vec<(&str, Option<&str>)> = reads.iter()
            .map(|r| (r.outcome.as_str(), r.consent_id.as_deref())).collect();
        assert_eq!(outcomes, [
            ("denied", None), ("denied", None), ("denied", None),
            ("allowed", Some(consent.as_str())), ("denied", None),
        ]);
        let codes = audited(&app, &w.coordinator, "fordjupad.code").await?;
        assert_eq!(codes.iter().map(|r| r.outcome.as_str()).collect::<Vec<_>>(), ["denied", "denied"]);
        let other = audited(&app, &w.other_coordinator, "fordjupad.read").await?;
        assert_eq!(other.iter().map(|r| r.outcome.as_str()).collect::<Vec<_>>(), ["denied"]);
        Ok(())
    }
}

/// A case id no case has.
fn unknown_case() -> String {
    samverkan::domain::CaseId::new().to_string()
}
