//! A consent lifts only the secrecy of the organisation that recorded it (issue 10): the four
//! holes an outsider found, each tried as the outsider would.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_stores;

/// The clinic, which no consent of social services covers, registers the person, opens a case
/// of its own and records a consent there naming social services.
async fn clinic_records_its_own_consent(
    app: &TestApp,
    world: &World,
    personnummer: &str,
) -> anyhow::Result<(String, String)> {
    let (individual, clinic_case) = app
        .case_for(&world.coordinator, personnummer, "Okänd")
        .await?;
    let consent = app
        .consent(
            &world.coordinator,
            &clinic_case,
            &[&world.social],
            &["informationsutbyte", "rehabiliteringsforfragan"],
        )
        .await?;
    Ok((individual, consent))
}

fn entries(reply: &Reply) -> Vec<Value> {
    reply.body["entries"].as_array().cloned().unwrap_or_default()
}

on_both_stores! {
    async fn a_consent_another_organisation_recorded_does_not_open_the_owners_case(app) {
        let world = app.world().await?;
        let number = pnr("19850312123");
        let (_, case) = app.case_for(&world.social_worker, &number, "Amina Hassan").await?;
        let message = app.post(&world.social_worker, &format!("/api/cases/{case}/messages"),
            json!({"body": "Amina har ekonomiskt bistånd sedan mars."})).await?;
        assert_eq!(message.status, StatusCode::CREATED, "{}", message.body);
        clinic_records_its_own_consent(&app, &world, &number).await?;

        for path in [
            format!("/api/cases/{case}"),
            format!("/api/cases/{case}?purpose=informationsutbyte"),
            format!("/api/cases/{case}/messages"),
            format!("/api/cases/{case}/consents"),
        ] {
            let reply = app.get(&world.coordinator, &path).await?;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}: {}", reply.body);
        }
        for purpose in ["", "?purpose=informationsutbyte", "?purpose=rehabiliteringsforfragan"] {
            let list = app.get(&world.coordinator, &format!("/api/cases{purpose}")).await?;
            let ids: Vec<_> = list.body["items"].as_array().unwrap().iter().map(|c| c["id"].clone()).collect();
            assert!(!ids.contains(&json!(case)), "the list hides social services' case ({purpose})");
        }
        // Nor may the clinic send an inquiry into it or post there.
        let post = app.post(&world.coordinator, &format!("/api/cases/{case}/messages"), json!({"body": "hej"})).await?;
        assert_eq!(post.status, StatusCode::NOT_FOUND);
        Ok(())
    }

    async fn the_loggutdrag_after_a_registration_holds_only_the_registering_organisations_data(app) {
        let world = app.world().await?;
        let number = pnr("19850312123");
        let (_, case) = app.case_for(&world.social_worker, &number, "Amina Hassan").await?;
        app.consent(&world.social_worker, &case, &[&world.jobbtorg], &["rehabiliteringsforfragan"]).await?;
        app.get(&world.social_worker, &format!("/api/cases/{case}")).await?;
        let individual = app.register(&world.coordinator, &number, "A H").await?;

        let extract = app.get(&world.clinic_admin, &format!("/api/individuals/{individual}/access-log")).await?;
        assert_eq!(extract.status, StatusCode::OK, "{}", extract.body);
        let rows = entries(&extract);
        let social = world.social.id.to_string();
        assert!(!rows.is_empty(), "the clinic's own registration is its data");
        for row in &rows {
            assert_ne!(row["organisation_id"], json!(social), "no access by social services: {row}");
            assert_ne!(row["case_id"], json!(case), "nothing about social services' case: {row}");
            assert!(row["consent_id"].is_null(), "no consent of social services: {row}");
        }
        assert!(rows.iter().any(|r| r["action"] == "individual.register"));
        // Social services' own extract still has everything about its case.
        let theirs = app.get(&world.social_admin, &format!("/api/individuals/{individual}/access-log")).await?;
        let theirs = entries(&theirs);
        assert!(theirs.iter().any(|r| r["action"] == "case.read" && r["case_id"] == json!(case)));
        assert!(!theirs.iter().any(|r| r["action"] == "individual.register" && r["organisation_id"] == json!(world.clinic.id.to_string())),
            "nor does social services learn of the clinic's registration");
        Ok(())
    }

    async fn registering_a_known_number_answers_with_only_what_the_caller_sent(app) {
        let world = app.world().await?;
        let number = pnr("19850312123");
        let first = app.post(&world.social_worker, "/api/individuals",
            json!({"personnummer": number, "name": "Amina Hassan", "protected_identity": true})).await?;
        assert_eq!(first.status, StatusCode::CREATED);
        let again = app.post(&world.coordinator, "/api/individuals",
            json!({"personnummer": number, "name": "A. Hassan"})).await?;
        assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
        assert_eq!(again.id(), first.id(), "one individual per number");
        assert_eq!(again.body["name"], "A. Hassan", "never the other organisation's name");
        assert_eq!(again.body["protected_identity"], false, "never the other organisation's flag");
        let read = app.get(&world.coordinator, &format!("/api/individuals/{}", again.id())).await?;
        assert_eq!(read.body["name"], "A. Hassan");
        assert_eq!(read.body["protected_identity"], false);
        assert!(!read.body.to_string().contains("Amina"));
        // Social services keeps its own record.
        let theirs = app.get(&world.social_worker, &format!("/api/individuals/{}", first.id())).await?;
        assert_eq!(theirs.body["name"], "Amina Hassan");
        assert_eq!(theirs.body["protected_identity"], true);
        Ok(())
    }

    async fn the_owner_sees_every_denied_attempt_on_its_case(app) {
        let world = app.world().await?;
        let (individual, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina Hassan").await?;
        for _ in 0..12 {
            let probe = app.get(&world.coordinator, &format!("/api/cases/{case}")).await?;
            assert_eq!(probe.status, StatusCode::NOT_FOUND);
        }
        let clinic_user = world.coordinator.id.to_string();
        let denied_by_clinic = |rows: &[Value]| rows.iter()
            .filter(|r| r["outcome"] == "denied" && r["user_id"] == json!(clinic_user) && r["case_id"] == json!(case))
            .count();
        let search = app.get(&world.social_admin, &format!("/api/audit?case_id={case}")).await?;
        assert_eq!(search.status, StatusCode::OK);
        let rows = search.body.as_array().cloned().unwrap_or_default();
        assert_eq!(denied_by_clinic(&rows), 12, "{rows:?}");
        assert!(rows.iter().all(|r| r["organisation_name"].is_string()));
        let extract = app.get(&world.social_admin, &format!("/api/individuals/{individual}/access-log")).await?;
        assert_eq!(denied_by_clinic(&entries(&extract)), 12);
        // The prober's own admin sees its own staff's attempts, but nothing else of the case.
        let own = app.get(&world.clinic_admin, &format!("/api/audit?case_id={case}")).await?;
        let own = own.body.as_array().cloned().unwrap_or_default();
        assert_eq!(denied_by_clinic(&own), 12);
        assert!(own.iter().all(|r| r["organisation_id"] == json!(world.clinic.id.to_string())));
        Ok(())
    }
}
