use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::on_both_stores;

on_both_stores! {
    async fn registering_stores_the_individual_once_per_personnummer(app) {
        let world = app.world().await?;
        let number = pnr("19850312123");
        let first = app.post(&world.social_worker, "/api/individuals", json!({"personnummer": number, "name": "Amina Test"})).await?;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
        assert_eq!(first.body["personnummer"], number);
        assert_eq!(first.body["samordningsnummer"], false);
        let hyphenated = format!("{}-{}", &number[..8], &number[8..]);
        let second = app.post(&world.coordinator, "/api/individuals", json!({"personnummer": hyphenated, "name": "A. Test"})).await?;
        assert_eq!(second.status, StatusCode::CREATED);
        assert_eq!(second.id(), first.id(), "the same person is one individual");
        let mut tx = app.store.begin().await?;
        let rows = sqlx::query("SELECT COUNT(*) AS n FROM individuals").fetch_one(tx.conn()).await?;
        assert_eq!(sqlx::Row::try_get::<i64, _>(&rows, "n")?, 1);
        Ok(())
    }

    async fn agencies_registering_the_same_person_at_once_get_one_individual(app) {
        let world = app.world().await?;
        let number = pnr("19850312123");
        let mut tasks = Vec::new();
        for n in 0..12 {
            let user = if n % 2 == 0 { world.social_worker.clone() } else { world.coordinator.clone() };
            let (client, url, number) = (app.client.clone(), app.url("/api/individuals"), number.clone());
            tasks.push(tokio::spawn(async move {
                let reply = client.post(url).bearer_auth(&user.token).json(&json!({"personnummer": number, "name": "Samtidig"})).send().await?;
                anyhow::Ok((reply.status(), reply.json::<serde_json::Value>().await?))
            }));
        }
        let mut ids = std::collections::BTreeSet::new();
        for task in tasks {
            let (status, body) = task.await??;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            ids.insert(body["id"].as_str().unwrap().to_owned());
        }
        assert_eq!(ids.len(), 1, "{ids:?}");
        Ok(())
    }

    async fn invalid_personnummer_gets_a_field_error(app) {
        let world = app.world().await?;
        for (input, expect) in [("198503121234", "kontrollsiffran"), ("19851332", "tolv siffror"), ("198502301230", "datum")] {
            let reply = app.post(&world.social_worker, "/api/individuals", json!({"personnummer": input, "name": "X"})).await?;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{input}");
            assert_eq!(reply.body["errors"][0]["field"], "personnummer");
            assert_eq!(reply.body["errors"][0]["code"], "invalid_personnummer");
            assert!(reply.body["errors"][0]["message"].as_str().unwrap().contains(expect), "{}", reply.body);
        }
        Ok(())
    }

    async fn a_samordningsnummer_is_accepted_and_flagged(app) {
        let world = app.world().await?;
        let reply = app.post(&world.social_worker, "/api/individuals", json!({"personnummer": "197010632391", "name": "Samordnad"})).await?;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        assert_eq!(reply.body["samordningsnummer"], true);
        Ok(())
    }

    async fn protected_identity_once_raised_stays_raised_for_that_organisation(app) {
        let world = app.world().await?;
        let number = pnr("19900101123");
        app.post(&world.social_worker, "/api/individuals", json!({"personnummer": number, "name": "P", "protected_identity": true})).await?;
        let again = app.post(&world.colleague, "/api/individuals", json!({"personnummer": number, "name": "P", "protected_identity": false})).await?;
        assert_eq!(again.body["protected_identity"], true);
        // Another organisation's record is its own: the flag is neither shown nor applied there.
        let clinic = app.post(&world.coordinator, "/api/individuals", json!({"personnummer": number, "name": "P", "protected_identity": false})).await?;
        assert_eq!(clinic.body["protected_identity"], false);
        Ok(())
    }

    async fn an_individual_is_read_by_registering_organisations_and_not_by_others(app) {
        let world = app.world().await?;
        let id = app.register(&world.social_worker, &pnr("19850312123"), "Amina Test").await?;
        let own = app.get(&world.colleague, &format!("/api/individuals/{id}")).await?;
        assert_eq!(own.status, StatusCode::OK);
        assert_eq!(own.body["name"], "Amina Test");
        let other = app.get(&world.coordinator, &format!("/api/individuals/{id}")).await?;
        assert_eq!(other.status, StatusCode::NOT_FOUND);
        let admin = app.get(&world.social_admin, &format!("/api/individuals/{id}")).await?;
        assert_eq!(admin.status, StatusCode::NOT_FOUND, "administrators see no individual data");
        Ok(())
    }
}
