use reqwest::StatusCode;
use samverkan::admin::verify_audit;
use samverkan::store::audit::ChainReport;
use serde_json::json;

use crate::helpers::*;
use crate::on_both_stores;

async fn exec(app: &TestApp, sql: &str) -> anyhow::Result<()> {
    let mut tx = app.store.begin().await?;
    sqlx::query(sql).execute(tx.conn()).await?;
    tx.commit().await?;
    Ok(())
}

/// Some traffic that writes audit rows; returns how many rows there are.
async fn traffic(app: &TestApp) -> anyhow::Result<i64> {
    let world = app.world().await?;
    let (_, case) = app
        .case_for(&world.social_worker, &pnr("19850312123"), "Amina")
        .await?;
    app.consent(&world.social_worker, &case, &[&world.clinic], &["sip"])
        .await?;
    app.get(&world.coordinator, &format!("/api/cases/{case}"))
        .await?;
    app.get(&world.other_coordinator, &format!("/api/cases/{case}"))
        .await?;
    Ok(app.audit_rows().await?.len() as i64)
}

on_both_stores! {
    async fn an_untouched_chain_verifies(app) {
        let rows = traffic(&app).await?;
        assert!(rows >= 5, "{rows}");
        assert_eq!(verify_audit(&app.store).await?, ChainReport::Intact { rows });
        Ok(())
    }

    async fn a_changed_row_is_reported(app) {
        traffic(&app).await?;
        exec(&app, "UPDATE audit_log SET organisation_id = NULL WHERE seq = 3").await?;
        assert_eq!(verify_audit(&app.store).await?, ChainReport::Changed { seq: 3 });
        Ok(())
    }

    async fn a_row_rewritten_with_a_fresh_hash_breaks_the_next_link(app) {
        traffic(&app).await?;
        let rows = app.audit_rows().await?;
        let mut forged = rows[1].clone();
        forged.action = "case.innocent".into();
        let hash = forged.compute_hash();
        exec(&app, &format!("UPDATE audit_log SET action = 'case.innocent', hash = '{hash}' WHERE seq = 2")).await?;
        assert_eq!(verify_audit(&app.store).await?, ChainReport::Changed { seq: 3 });
        Ok(())
    }

    async fn a_deleted_row_is_reported_in_the_middle_and_at_the_end(app) {
        let rows = traffic(&app).await?;
        exec(&app, &format!("DELETE FROM audit_log WHERE seq = {rows}")).await?;
        assert_eq!(verify_audit(&app.store).await?, ChainReport::Missing { seq: rows });
        exec(&app, "DELETE FROM audit_log WHERE seq = 2").await?;
        assert_eq!(verify_audit(&app.store).await?, ChainReport::Missing { seq: 2 });
        Ok(())
    }

    async fn every_row_records_who_what_and_under_which_consent(app) {
        let world = app.world().await?;
        let (individual, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina").await?;
        let consent = app.consent(&world.social_worker, &case, &[&world.clinic], &["sip"]).await?;
        let reply = app.raw(app.client.get(app.url(&format!("/api/cases/{case}?purpose=sip")))
            .bearer_auth(&world.coordinator.token).header("x-request-id", "req-abc-123")).await?;
        assert_eq!(reply.status, StatusCode::OK);
        let row = app.audit_rows().await?.into_iter().last().unwrap();
        assert_eq!(row.action, "case.read");
        assert_eq!(row.outcome, "allowed");
        assert_eq!(row.user_id.as_deref(), Some(world.coordinator.id.to_string().as_str()));
        assert_eq!(row.organisation_id.as_deref(), Some(world.clinic.id.to_string().as_str()));
        assert_eq!(row.roles, "rehabkoordinator");
        assert_eq!(row.individual_id.as_deref(), Some(individual.as_str()));
        assert_eq!(row.case_id.as_deref(), Some(case.as_str()));
        assert_eq!(row.purpose.as_deref(), Some("sip"));
        assert_eq!(row.consent_id.as_deref(), Some(consent.as_str()));
        assert_eq!(row.request_id.as_deref(), Some("req-abc-123"));
        Ok(())
    }

    async fn an_admin_searches_only_their_own_organisations_rows(app) {
        let world = app.world().await?;
        let (_, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina").await?;
        app.consent(&world.social_worker, &case, &[&world.clinic], &["sip"]).await?;
        app.get(&world.coordinator, &format!("/api/cases/{case}")).await?;
        let social = app.get(&world.social_admin, "/api/audit").await?;
        assert_eq!(social.status, StatusCode::OK);
        let entries = social.body.as_array().unwrap();
        // Its own staff's rows, and every access to its own case by anyone (the clinic's read).
        assert!(entries.iter().all(|e| e["organisation_id"] == world.social.id.to_string() || e["case_id"] == case), "{}", social.body);
        assert!(entries.iter().any(|e| e["action"] == "case.read" && e["organisation_id"] == world.clinic.id.to_string()));
        assert!(entries.iter().any(|e| e["action"] == "consent.create" && e["user_name"] == "Test sw"));
        let filtered = app.get(&world.social_admin, &format!("/api/audit?action=case.create&user_id={}", world.social_worker.id)).await?;
        assert_eq!(filtered.body.as_array().unwrap().len(), 1);
        let clinic = app.get(&world.clinic_admin, &format!("/api/audit?case_id={case}")).await?;
        let clinic_entries = clinic.body.as_array().unwrap();
        assert_eq!(clinic_entries.len(), 1, "{}", clinic.body);
        assert_eq!(clinic_entries[0]["action"], "case.read");
        let forbidden = app.get(&world.social_worker, "/api/audit").await?;
        assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
        let bad = app.get(&world.social_admin, "/api/audit?limit=100000").await?;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        Ok(())
    }

    async fn the_access_extract_lists_every_organisation_that_read_the_individual(app) {
        let world = app.world().await?;
        let (individual, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina").await?;
        let consent = app.consent(&world.social_worker, &case, &[&world.clinic], &["sip"]).await?;
        app.get(&world.coordinator, &format!("/api/cases/{case}?purpose=sip")).await?;
        let reply = app.get(&world.social_admin, &format!("/api/individuals/{individual}/access-log")).await?;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.body["individual_id"], individual);
        let entries = reply.body["entries"].as_array().unwrap();
        let clinic_read = entries.iter().find(|e| e["organisation_id"] == world.clinic.id.to_string()).expect("the clinic's read");
        assert_eq!(clinic_read["organisation_name"], "Vårdcentral Alfa");
        assert_eq!(clinic_read["user_name"], "Test rk");
        assert_eq!(clinic_read["consent_id"], consent);
        assert_eq!(clinic_read["purpose"], "sip");
        assert!(entries.iter().any(|e| e["action"] == "individual.register"));
        let last = app.audit_rows().await?.into_iter().last().unwrap();
        assert_eq!(last.action, "individual.access_extract", "producing the extract is itself logged");
        let _ = json!(null);
        Ok(())
    }
}
