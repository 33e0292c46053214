use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::on_both_stores;

on_both_stores! {
    async fn recording_a_consent_stores_every_part_of_it(app) {
        let world = app.world().await?;
        let (individual, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina").await?;
        let from = Utc::now() - Duration::days(1);
        let until = Utc::now() + Duration::days(180);
        let body = json!({
            "organisation_ids": [world.clinic.id, world.jobbtorg.id],
            "purposes": ["rehabiliteringsforfragan", "informationsutbyte", "informationsutbyte"],
            "forms": ["skriftligt", "muntligt"],
            "document_reference": "Blankett 2026-17",
            "valid_from": from.to_rfc3339(),
            "valid_until": until.to_rfc3339(),
        });
        let reply = app.post(&world.social_worker, &format!("/api/cases/{case}/consents"), body).await?;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        let b = &reply.body;
        assert_eq!(b["individual_id"], individual);
        assert_eq!(b["case_id"], case);
        assert_eq!(b["status"], "active");
        assert_eq!(b["in_force"], true);
        assert_eq!(b["recorded_by_organisation_id"], world.social.id.to_string());
        assert_eq!(b["recorded_by_user_id"], world.social_worker.id.to_string());
        assert_eq!(b["purposes"], json!(["informationsutbyte", "rehabiliteringsforfragan"]));
        assert_eq!(b["forms"], json!(["muntligt", "skriftligt"]));
        assert_eq!(b["document_reference"], "Blankett 2026-17");
        let mut orgs: Vec<String> = vec![world.social.id.to_string(), world.clinic.id.to_string(), world.jobbtorg.id.to_string()];
        orgs.sort();
        assert_eq!(b["organisation_ids"], json!(orgs), "my own organisation is always covered");
        assert_eq!(b["valid_until"].as_str().unwrap()[..19], until.to_rfc3339()[..19]);
        assert!(b["valid_until"].as_str().unwrap().ends_with('Z'), "UTC in the API");
        let mut tx = app.store.begin().await?;
        let n: i64 = sqlx::Row::try_get(&sqlx::query("SELECT COUNT(*) AS n FROM consent_organisations").fetch_one(tx.conn()).await?, "n")?;
        assert_eq!(n, 3);
        Ok(())
    }

    async fn consent_input_is_checked_with_field_errors(app) {
        let world = app.world().await?;
        let (_, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina").await?;
        let path = format!("/api/cases/{case}/consents");
        let soon = (Utc::now() + Duration::days(30)).to_rfc3339();
        let empty = app.post(&world.social_worker, &path, json!({"organisation_ids": [], "purposes": [], "forms": [], "valid_until": soon})).await?;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<_> = empty.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["organisation_ids", "purposes", "forms"]);

        let written = app.post(&world.social_worker, &path, json!({"organisation_ids": [world.clinic.id], "purposes": ["sip"], "forms": ["skriftligt"], "valid_until": soon})).await?;
        assert_eq!(written.body["errors"][0]["field"], "document_reference");

        let too_long = (Utc::now() + Duration::days(400)).to_rfc3339();
        let long = app.post(&world.social_worker, &path, json!({"organisation_ids": [world.clinic.id], "purposes": ["sip"], "forms": ["muntligt"], "valid_until": too_long})).await?;
        assert_eq!(long.body["errors"][0]["code"], "too_long");

        let past = (Utc::now() - Duration::days(1)).to_rfc3339();
        let backwards = app.post(&world.social_worker, &path, json!({"organisation_ids": [world.clinic.id], "purposes": ["sip"], "forms": ["muntligt"], "valid_until": past})).await?;
        assert_eq!(backwards.body["errors"][0]["code"], "before_valid_from");

        let unknown = app.post(&world.social_worker, &path, json!({"organisation_ids": [world.clinic.id, uuid::Uuid::new_v4()], "purposes": ["sip"], "forms": ["muntligt"], "valid_until": soon})).await?;
        assert_eq!(unknown.body["errors"][0]["field"], "organisation_ids[1]");
        assert_eq!(unknown.body["errors"][0]["code"], "unknown_organisation");

        let only_me = app.post(&world.social_worker, &path, json!({"organisation_ids": [world.social.id], "purposes": ["sip"], "forms": ["muntligt"], "valid_until": soon})).await?;
        assert_eq!(only_me.body["errors"][0]["code"], "no_other_organisation");

        let bad_purpose = app.post(&world.social_worker, &path, json!({"organisation_ids": [world.clinic.id], "purposes": ["allt"], "forms": ["muntligt"], "valid_until": soon})).await?;
        assert_eq!(bad_purpose.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad_purpose.body["errors"][0]["field"], "purposes[0]");

        let mut tx = app.store.begin().await?;
        let n: i64 = sqlx::Row::try_get(&sqlx::query("SELECT COUNT(*) AS n FROM consents").fetch_one(tx.conn()).await?, "n")?;
        assert_eq!(n, 0, "nothing stored from rejected input");
        Ok(())
    }

    async fn ending_a_consent_records_who_when_and_why_and_stops_sharing_at_once(app) {
        let world = app.world().await?;
        let (_, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina").await?;
        let consent = app.consent(&world.social_worker, &case, &[&world.clinic], &["rehabiliteringsforfragan"]).await?;
        assert_eq!(app.get(&world.coordinator, &format!("/api/cases/{case}")).await?.status, StatusCode::OK);
        let ended = app.end_consent(&world.coordinator, &consent).await?;
        assert_eq!(ended.status, StatusCode::OK, "a covered organisation may record the withdrawal: {}", ended.body);
        assert_eq!(ended.body["status"], "ended");
        assert_eq!(ended.body["in_force"], false);
        assert_eq!(ended.body["status_change"]["by_user_id"], world.coordinator.id.to_string());
        assert_eq!(ended.body["status_change"]["reason"], "Personen återkallade muntligt");
        assert_eq!(app.get(&world.coordinator, &format!("/api/cases/{case}")).await?.status, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&world.coordinator, "/api/cases").await?.body["items"].as_array().unwrap().len(), 0);
        let history = app.get(&world.social_worker, &format!("/api/cases/{case}/consents")).await?;
        assert_eq!(history.body[0]["status"], "ended", "kept as history for the recorder");
        let again = app.end_consent(&world.social_worker, &consent).await?;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert_eq!(again.body["code"], "consent_not_active");
        assert!(again.body["detail"].as_str().unwrap().contains("ended"));
        Ok(())
    }

    async fn only_the_recording_organisation_annuls_and_only_once(app) {
        let world = app.world().await?;
        let (_, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina").await?;
        let consent = app.consent(&world.social_worker, &case, &[&world.clinic], &["sip"]).await?;
        let path = format!("/api/consents/{consent}/annul");
        let clinic = app.post(&world.coordinator, &path, json!({"reason": "fel"})).await?;
        assert_eq!(clinic.status, StatusCode::FORBIDDEN);
        assert_eq!(clinic.body["code"], "not_consent_recorder");
        let blank = app.post(&world.social_worker, &path, json!({"reason": "  "})).await?;
        assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(blank.body["errors"][0]["field"], "reason");
        let annulled = app.post(&world.social_worker, &path, json!({"reason": "Registrerat på fel person"})).await?;
        assert_eq!(annulled.status, StatusCode::OK);
        assert_eq!(annulled.body["status"], "annulled");
        let again = app.post(&world.social_worker, &path, json!({"reason": "igen"})).await?;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert_eq!(again.body["code"], "consent_already_annulled");
        assert_eq!(app.get(&world.coordinator, &format!("/api/consents/{consent}")).await?.status, StatusCode::NOT_FOUND);
        Ok(())
    }

    async fn a_covered_organisation_sees_consents_naming_it_while_they_are_in_force(app) {
        let world = app.world().await?;
        let (_, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina").await?;
        let to_clinic = app.consent(&world.social_worker, &case, &[&world.clinic], &["sip"]).await?;
        let to_jobbtorg = app.consent(&world.social_worker, &case, &[&world.jobbtorg], &["sip"]).await?;
        let seen = app.get(&world.coordinator, &format!("/api/cases/{case}/consents")).await?;
        let ids: Vec<_> = seen.body.as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(ids, std::slice::from_ref(&to_clinic), "not the consent that only names Jobbtorg");
        assert_eq!(app.get(&world.coordinator, &format!("/api/consents/{to_jobbtorg}")).await?.status, StatusCode::NOT_FOUND);
        let own = app.get(&world.colleague, &format!("/api/cases/{case}/consents")).await?;
        assert_eq!(own.body.as_array().unwrap().len(), 2);
        Ok(())
    }
}
