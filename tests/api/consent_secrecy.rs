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
    reply.body["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default()
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
        // Probes of an inquiry in the case are the owner's to see too.
        app.consent(&world.social_worker, &case, &[&world.clinic], &["rehabiliteringsforfragan"]).await?;
        let inquiry = app.sent_inquiry(&world.social_worker, &case, &world.clinic).await?;
        for _ in 0..3 {
            let probe = app.get(&world.other_coordinator, &format!("/api/inquiries/{inquiry}")).await?;
            assert_eq!(probe.status, StatusCode::NOT_FOUND);
        }
        let other = world.other_coordinator.id.to_string();
        let search = app.get(&world.social_admin, &format!("/api/audit?case_id={case}")).await?;
        let rows = search.body.as_array().cloned().unwrap_or_default();
        assert_eq!(rows.iter().filter(|r| r["outcome"] == "denied" && r["user_id"] == json!(other) && r["action"] == "inquiry.read").count(), 3);
        // The prober's own admin sees its own staff's attempts, but nothing else of the case.
        let own = app.get(&world.clinic_admin, &format!("/api/audit?case_id={case}")).await?;
        let own = own.body.as_array().cloned().unwrap_or_default();
        assert_eq!(denied_by_clinic(&own), 12);
        assert!(own.iter().all(|r| r["organisation_id"] == json!(world.clinic.id.to_string())));
        Ok(())
    }
}

on_both_stores! {
    async fn a_named_party_confirms_a_consent_for_its_own_part_and_only_then_shares_its_case(app) {
        let world = app.world().await?;
        let number = pnr("19850312123");
        let (_, social_case) = app.case_for(&world.social_worker, &number, "Amina Hassan").await?;
        let until = chrono::Utc::now() + chrono::Duration::days(60);
        let original = app.post(&world.social_worker, &format!("/api/cases/{social_case}/consents"), json!({
            "organisation_ids": [world.clinic.id], "purposes": ["informationsutbyte", "sip"],
            "forms": ["skriftligt"], "document_reference": "Finsam-blankett 12", "valid_until": until.to_rfc3339()})).await?;
        assert_eq!(original.status, StatusCode::CREATED);
        let original_id = original.id();
        let (_, clinic_case) = app.case_for(&world.coordinator, &number, "A H").await?;
        // The clinic sees social services' case; social services does not see the clinic's.
        assert_eq!(app.get(&world.coordinator, &format!("/api/cases/{social_case}")).await?.status, StatusCode::OK);
        assert_eq!(app.get(&world.social_worker, &format!("/api/cases/{clinic_case}")).await?.status, StatusCode::NOT_FOUND);

        let own = app.post(&world.social_worker, &format!("/api/consents/{original_id}/confirm"), json!({})).await?;
        assert_eq!(own.status, StatusCode::FORBIDDEN);
        assert_eq!(own.body["code"], "consent_recorded_by_you");
        let outsider = app.post(&world.other_coordinator, &format!("/api/consents/{original_id}/confirm"), json!({})).await?;
        assert_eq!(outsider.status, StatusCode::NOT_FOUND);

        let confirmed = app.post(&world.coordinator, &format!("/api/consents/{original_id}/confirm"), json!({})).await?;
        assert_eq!(confirmed.status, StatusCode::CREATED, "{}", confirmed.body);
        let body = &confirmed.body;
        assert_ne!(confirmed.id(), original_id);
        assert_eq!(body["confirms_consent_id"], original_id);
        assert_eq!(body["recorded_by_organisation_id"], world.clinic.id.to_string());
        assert_eq!(body["case_id"], clinic_case);
        assert_eq!(body["document_reference"], "Finsam-blankett 12");
        assert_eq!(body["purposes"], original.body["purposes"]);
        assert_eq!(body["organisation_ids"], original.body["organisation_ids"]);
        assert_eq!(body["valid_until"], original.body["valid_until"]);
        let row = app.audit_rows().await?.into_iter().rev().find(|r| r.action == "consent.confirm").unwrap();
        assert_eq!(row.consent_id.as_deref(), Some(confirmed.id().as_str()));
        assert_eq!(row.case_id.as_deref(), Some(clinic_case.as_str()));

        // Now social services sees the clinic's case, under the clinic's own record.
        let seen = app.get(&world.social_worker, &format!("/api/cases/{clinic_case}?purpose=informationsutbyte")).await?;
        assert_eq!(seen.status, StatusCode::OK, "{}", seen.body);
        assert_eq!(seen.body["access"]["consent_id"], confirmed.id());
        assert_eq!(seen.body["individual_name"], "A H");
        let again = app.post(&world.coordinator, &format!("/api/consents/{original_id}/confirm"), json!({})).await?;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert_eq!(again.body["code"], "consent_already_confirmed");

        // The clinic ending its confirmation closes its own case again, not social services'.
        assert_eq!(app.end_consent(&world.coordinator, &confirmed.id()).await?.status, StatusCode::OK);
        assert_eq!(app.get(&world.social_worker, &format!("/api/cases/{clinic_case}")).await?.status, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&world.coordinator, &format!("/api/cases/{social_case}")).await?.status, StatusCode::OK);
        Ok(())
    }

    async fn confirming_needs_a_case_of_ones_own(app) {
        let world = app.world().await?;
        let (_, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina Hassan").await?;
        let consent = app.consent(&world.social_worker, &case, &[&world.clinic], &["sip"]).await?;
        let reply = app.post(&world.coordinator, &format!("/api/consents/{consent}/confirm"), json!({})).await?;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reply.body["errors"][0]["field"], "case_id");
        assert_eq!(reply.body["errors"][0]["code"], "no_own_case");
        // Naming someone else's case is no way round it.
        let reply = app.post(&world.coordinator, &format!("/api/consents/{consent}/confirm"), json!({"case_id": case})).await?;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
        assert_eq!(reply.body["code"], "not_case_owner");
        Ok(())
    }

    async fn any_named_organisation_may_end_a_consent_only_the_recorder_annuls_and_the_recorder_is_told(app) {
        let world = app.world().await?;
        let (_, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina Hassan").await?;
        let consent = app.consent(&world.social_worker, &case, &[&world.clinic], &["sip"]).await?;
        let annul = app.post(&world.coordinator, &format!("/api/consents/{consent}/annul"), json!({"reason": "fel"})).await?;
        assert_eq!(annul.status, StatusCode::FORBIDDEN);
        assert_eq!(annul.body["code"], "not_consent_recorder");
        let kinds = |v: Vec<Value>| v.iter().map(|n| n["kind"].as_str().unwrap_or_default().to_owned()).collect::<Vec<_>>();
        assert!(!kinds(app.notifications(&world.social_worker).await?).contains(&"consent_changed".to_owned()));
        let ended = app.end_consent(&world.coordinator, &consent).await?;
        assert_eq!(ended.status, StatusCode::OK, "{}", ended.body);
        assert_eq!(ended.body["status"], "ended");
        assert_eq!(ended.body["status_change"]["by_user_id"], world.coordinator.id.to_string());
        assert_eq!(app.get(&world.coordinator, &format!("/api/cases/{case}")).await?.status, StatusCode::NOT_FOUND, "at commit");
        let told = app.notifications(&world.social_worker).await?;
        let changed: Vec<_> = told.iter().filter(|n| n["kind"] == "consent_changed").collect();
        assert_eq!(changed.len(), 1, "{told:?}");
        assert_eq!(changed[0]["subject_id"], consent);
        // The recorder's own action tells nobody.
        let second = app.consent(&world.social_worker, &case, &[&world.clinic], &["sip"]).await?;
        assert_eq!(app.end_consent(&world.social_worker, &second).await?.status, StatusCode::OK);
        assert_eq!(kinds(app.notifications(&world.social_worker).await?).iter().filter(|k| *k == "consent_changed").count(), 1);
        Ok(())
    }
}
