use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::on_both_stores;

on_both_stores! {
    async fn opening_a_case_stores_it_with_owner_and_responsible(app) {
        let world = app.world().await?;
        let individual = app.register(&world.social_worker, &pnr("19850312123"), "Amina Test").await?;
        let reply = app.post(&world.social_worker, "/api/cases", json!({"individual_id": individual, "title": "Väg mot arbete"})).await?;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        assert_eq!(reply.body["status"], "open");
        assert_eq!(reply.body["title"], "Väg mot arbete");
        assert_eq!(reply.body["individual_name"], "Amina Test");
        assert_eq!(reply.body["owner_organisation_id"], world.social.id.to_string());
        assert_eq!(reply.body["responsible_user_id"], world.social_worker.id.to_string());
        assert_eq!(reply.body["access"]["basis"], "owner");
        let fetched = app.get(&world.colleague, &format!("/api/cases/{}", reply.id())).await?;
        assert_eq!(fetched.status, StatusCode::OK);
        assert_eq!(fetched.body["id"], reply.body["id"]);
        Ok(())
    }

    async fn a_case_needs_an_individual_my_organisation_registered(app) {
        let world = app.world().await?;
        let individual = app.register(&world.coordinator, &pnr("19850312123"), "Amina Test").await?;
        let reply = app.post(&world.social_worker, "/api/cases", json!({"individual_id": individual, "title": "X"})).await?;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reply.body["errors"][0]["field"], "individual_id");
        assert_eq!(reply.body["errors"][0]["code"], "unknown_individual");
        Ok(())
    }

    async fn the_responsible_user_must_be_a_caseworker_of_my_organisation(app) {
        let world = app.world().await?;
        let individual = app.register(&world.social_worker, &pnr("19850312123"), "Amina Test").await?;
        for user in [&world.coordinator, &world.social_admin] {
            let reply = app.post(&world.social_worker, "/api/cases",
                json!({"individual_id": individual, "title": "X", "responsible_user_id": user.id})).await?;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(reply.body["errors"][0]["code"], "invalid_user");
        }
        Ok(())
    }

    async fn a_case_is_handed_over_and_closed(app) {
        let world = app.world().await?;
        let (_, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina Test").await?;
        let reply = app.patch(&world.social_worker, &format!("/api/cases/{case}"),
            json!({"responsible_user_id": world.colleague.id, "title": "Ny rubrik"})).await?;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.body["responsible_user_id"], world.colleague.id.to_string());
        assert_eq!(reply.body["title"], "Ny rubrik");
        let closed = app.patch(&world.colleague, &format!("/api/cases/{case}"), json!({"status": "closed", "close_reason": "goal_reached"})).await?;
        assert_eq!(closed.body["status"], "closed");
        let listed = app.get(&world.colleague, &format!("/api/cases?status=closed&responsible_user_id={}", world.colleague.id)).await?;
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
        let open = app.get(&world.colleague, "/api/cases?status=open").await?;
        assert_eq!(open.body["items"].as_array().unwrap().len(), 0);
        Ok(())
    }

    async fn another_organisation_cannot_change_a_case_even_with_consent(app) {
        let world = app.world().await?;
        let (_, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina Test").await?;
        app.consent(&world.social_worker, &case, &[&world.clinic], &["informationsutbyte"]).await?;
        let reply = app.patch(&world.coordinator, &format!("/api/cases/{case}"), json!({"status": "closed"})).await?;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert_eq!(reply.body["code"], "not_case_owner");
        let row = app.audit_rows().await?.into_iter().last().unwrap();
        assert_eq!((row.action.as_str(), row.outcome.as_str()), ("case.update", "denied"), "the refused attempt is audited");
        assert_eq!(row.user_id.as_deref(), Some(world.coordinator.id.to_string().as_str()));
        let title: String = sqlx::Row::try_get(&sqlx::query("SELECT title FROM cases").fetch_one(app.store.begin().await?.conn()).await?, "title")?;
        assert_eq!(title, "Stöd mot arbete", "nothing changed");
        Ok(())
    }

    async fn the_case_list_shows_own_cases_and_consented_cases_only(app) {
        let world = app.world().await?;
        let (_, shared) = app.case_for(&world.social_worker, &pnr("19850312123"), "Delad").await?;
        let (_, private) = app.case_for(&world.social_worker, &pnr("19790704456"), "Privat").await?;
        let consent = app.consent(&world.social_worker, &shared, &[&world.clinic], &["rehabiliteringsforfragan"]).await?;
        let own = app.get(&world.colleague, "/api/cases").await?;
        assert_eq!(own.body["items"].as_array().unwrap().len(), 2);
        let clinic = app.get(&world.coordinator, "/api/cases").await?;
        let items = clinic.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{}", clinic.body);
        assert_eq!(items[0]["id"], shared);
        assert_eq!(items[0]["access"]["basis"], "consent");
        assert_eq!(items[0]["access"]["consent_id"], consent);
        let by_purpose = app.get(&world.coordinator, "/api/cases?purpose=sip").await?;
        assert_eq!(by_purpose.body["items"].as_array().unwrap().len(), 0);
        let other = app.get(&world.other_coordinator, "/api/cases").await?;
        assert_eq!(other.body["items"].as_array().unwrap().len(), 0);
        let _ = private;
        Ok(())
    }

    async fn a_protected_identity_is_seen_only_by_the_responsible_user_and_leads(app) {
        let world = app.world().await?;
        let individual = app.post(&world.social_worker, "/api/individuals",
            json!({"personnummer": pnr("19900101123"), "name": "Skyddad", "protected_identity": true})).await?.id();
        let case = app.post(&world.social_worker, "/api/cases", json!({"individual_id": individual, "title": "X"})).await?.id();
        assert_eq!(app.get(&world.social_worker, &format!("/api/cases/{case}")).await?.status, StatusCode::OK);
        assert_eq!(app.get(&world.rehab_lead, &format!("/api/cases/{case}")).await?.status, StatusCode::OK);
        assert_eq!(app.get(&world.colleague, &format!("/api/cases/{case}")).await?.status, StatusCode::NOT_FOUND);
        let listed = app.get(&world.colleague, "/api/cases").await?;
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 0);
        Ok(())
    }

    async fn listing_cases_audits_each_case_shown(app) {
        let world = app.world().await?;
        let (individual, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina").await?;
        app.get(&world.colleague, "/api/cases").await?;
        let rows = app.audit_rows().await?;
        let row = rows.iter().find(|r| r.action == "case.list").expect("a case.list row");
        assert_eq!(row.user_id.as_deref(), Some(world.colleague.id.to_string().as_str()));
        assert_eq!(row.case_id.as_deref(), Some(case.as_str()));
        assert_eq!(row.individual_id.as_deref(), Some(individual.as_str()));
        assert_eq!(row.outcome, "allowed");
        Ok(())
    }
}
