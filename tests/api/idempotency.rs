//! `Idempotency-Key`: a retried write is answered from the store and writes nothing again;
//! another request under the same key is 422; a duplicate while the first runs is 409; keys
//! expire and are per user.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_stores;

/// A case the clinic may exchange messages in; the coordinator wants an e-mail at once.
async fn case_with_exchange(app: &TestApp) -> anyhow::Result<(World, String)> {
    let world = app.world().await?;
    let (_, case) = app
        .case_for(&world.social_worker, &pnr("19850312123"), "Amina")
        .await?;
    app.consent(
        &world.social_worker,
        &case,
        &[&world.clinic],
        &["informationsutbyte"],
    )
    .await?;
    app.prefer(&world.coordinator, &["message_received"], "immediate")
        .await?;
    Ok((world, case))
}

/// What a write leaves behind: rows in each table a message touches.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
struct Written {
    messages: i64,
    audit_rows: i64,
    events: i64,
    notifications: i64,
    outbox: i64,
}

async fn written(app: &TestApp) -> anyhow::Result<Written> {
    let mut tx = app.store.read().await?;
    let mut n = Vec::new();
    for table in [
        "case_messages",
        "audit_log",
        "events",
        "notifications",
        "outbox",
    ] {
        let row: (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(tx.conn())
            .await?;
        n.push(row.0);
    }
    Ok(Written {
        messages: n[0],
        audit_rows: n[1],
        events: n[2],
        notifications: n[3],
        outbox: n[4],
    })
}

async fn keyed_post(
    app: &TestApp,
    user: &TestUser,
    path: &str,
    key: &str,
    body: Value,
) -> anyhow::Result<Reply> {
    app.raw(
        app.client
            .post(app.url(path))
            .bearer_auth(&user.token)
            .header("Idempotency-Key", key)
            .json(&body),
    )
    .await
}

on_both_stores! {
    async fn a_retry_with_the_same_key_gets_the_stored_answer_and_writes_nothing(app) {
        let (world, case) = case_with_exchange(&app).await?;
        let path = format!("/api/cases/{case}/messages");
        let before = written(&app).await?;
        let first = keyed_post(&app, &world.social_worker, &path, "\"meddelande-1\"", json!({"body": "Hej"})).await?;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
        let after_first = written(&app).await?;
        assert_eq!(after_first.messages, before.messages + 1);
        assert!(after_first.audit_rows > before.audit_rows);
        assert!(after_first.events > before.events);
        assert!(after_first.notifications > before.notifications);
        assert!(after_first.outbox > before.outbox, "the coordinator is e-mailed at once");

        for _ in 0..3 {
            let again = keyed_post(&app, &world.social_worker, &path, "\"meddelande-1\"", json!({"body": "Hej"})).await?;
            assert_eq!(again.status, StatusCode::CREATED);
            assert_eq!(again.body, first.body, "the identical stored answer");
            assert_eq!(again.content_type, first.content_type);
        }
        // The bare form of the same key is the same key.
        let bare = keyed_post(&app, &world.social_worker, &path, "meddelande-1", json!({"body": "Hej"})).await?;
        assert_eq!(bare.body, first.body);
        assert_eq!(written(&app).await?, after_first, "no row, audit row, event, notification or e-mail");
        let listed = app.get(&world.social_worker, &path).await?;
        assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
        Ok(())
    }

    async fn the_same_key_with_another_request_is_422_and_writes_nothing(app) {
        let (world, case) = case_with_exchange(&app).await?;
        let path = format!("/api/cases/{case}/messages");
        let first = keyed_post(&app, &world.social_worker, &path, "k-2", json!({"body": "Hej"})).await?;
        assert_eq!(first.status, StatusCode::CREATED);
        let after_first = written(&app).await?;
        let other_body = keyed_post(&app, &world.social_worker, &path, "k-2", json!({"body": "Hej igen"})).await?;
        assert_eq!(other_body.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(other_body.body["code"], "idempotency_key_reused");
        assert_eq!(other_body.content_type, "application/problem+json");
        // Another operation under the key is another request too.
        let other_path = app.raw(
            app.client
                .patch(app.url(&format!("/api/cases/{case}")))
                .bearer_auth(&world.social_worker.token)
                .header("Idempotency-Key", "k-2")
                .json(&json!({"title": "Ny titel"})),
        ).await?;
        assert_eq!(other_path.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", other_path.body);
        assert_eq!(other_path.body["code"], "idempotency_key_reused");
        assert_eq!(written(&app).await?, after_first);
        Ok(())
    }

    async fn a_duplicate_while_the_first_is_running_is_409(app) {
        let (world, case) = case_with_exchange(&app).await?;
        let path = format!("/api/cases/{case}/messages");
        let before = written(&app).await?;
        // Hold the event log's head: the write under the key cannot finish meanwhile (on
        // SQLite the one writer is held, on PostgreSQL the head row is locked).
        let mut hold = app.store.begin().await?;
        sqlx::query("UPDATE event_head SET last_seq = last_seq WHERE id = 1")
            .execute(hold.conn())
            .await?;
        let send = || {
            let request = app
                .client
                .post(app.url(&path))
                .bearer_auth(&world.social_worker.token)
                // Not noting activity keeps the request off the writer before the key is taken.
                .header("X-Samverkan-Background", "1")
                .header("Idempotency-Key", "k-3")
                .json(&json!({"body": "Hej"}));
            tokio::spawn(async move {
                let response = request.send().await?;
                let status = response.status();
                anyhow::Ok((status, response.json::<Value>().await?))
            })
        };
        let (a, b) = (send(), send());
        let started = Instant::now();
        while !(a.is_finished() || b.is_finished()) {
            anyhow::ensure!(started.elapsed() < Duration::from_secs(4), "neither duplicate was refused");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        drop(hold);
        let (a, b) = (a.await??, b.await??);
        let (refused, done) = if a.0 == StatusCode::CONFLICT { (a, b) } else { (b, a) };
        assert_eq!(refused.0, StatusCode::CONFLICT, "{}", refused.1);
        assert_eq!(refused.1["code"], "idempotency_key_in_flight");
        assert_eq!(done.0, StatusCode::CREATED, "{}", done.1);
        let retried = keyed_post(&app, &world.social_worker, &path, "k-3", json!({"body": "Hej"})).await?;
        assert_eq!(retried.body, done.1, "the retry after a 409 gets the first one's answer");
        assert_eq!(written(&app).await?.messages, before.messages + 1);
        Ok(())
    }

    async fn an_expired_key_is_free_again_and_swept(app) {
        let (world, case) = case_with_exchange(&app).await?;
        let path = format!("/api/cases/{case}/messages");
        let first = keyed_post(&app, &world.social_worker, &path, "k-4", json!({"body": "Hej"})).await?;
        assert_eq!(first.status, StatusCode::CREATED);
        let mut tx = app.store.read().await?;
        let (created, expires): (i64, i64) = sqlx::query_as(
            "SELECT created_at, expires_at FROM idempotency_keys WHERE idempotency_key = 'k-4'",
        )
        .fetch_one(tx.conn())
        .await?;
        drop(tx);
        assert_eq!(expires - created, 24 * 3_600_000_000, "kept idempotency.key_lifetime_hours");
        let mut tx = app.store.begin().await?;
        sqlx::query("UPDATE idempotency_keys SET expires_at = created_at")
            .execute(tx.conn())
            .await?;
        tx.commit().await?;

        let again = keyed_post(&app, &world.social_worker, &path, "k-4", json!({"body": "Hej"})).await?;
        assert_eq!(again.status, StatusCode::CREATED);
        assert_ne!(again.id(), first.id(), "an expired key names nothing");
        assert_eq!(written(&app).await?.messages, 2);

        let mut tx = app.store.begin().await?;
        sqlx::query("UPDATE idempotency_keys SET expires_at = created_at")
            .execute(tx.conn())
            .await?;
        let swept = samverkan::store::idempotency::sweep(&mut tx, samverkan::domain::Timestamp::now()).await?;
        tx.commit().await?;
        assert_eq!(swept, 1);
        Ok(())
    }

    async fn keys_are_per_user(app) {
        let (world, case) = case_with_exchange(&app).await?;
        let path = format!("/api/cases/{case}/messages");
        let mine = keyed_post(&app, &world.social_worker, &path, "delad", json!({"body": "Hej"})).await?;
        let theirs = keyed_post(&app, &world.colleague, &path, "delad", json!({"body": "Hej"})).await?;
        assert_eq!((mine.status, theirs.status), (StatusCode::CREATED, StatusCode::CREATED));
        assert_ne!(mine.id(), theirs.id());
        assert_eq!(theirs.body["author_user_id"], json!(world.colleague.id));
        // Another user's body under the same key is no reuse of mine.
        let other = keyed_post(&app, &world.coordinator, &path, "delad", json!({"body": "Annat"})).await?;
        assert_eq!(other.status, StatusCode::CREATED, "{}", other.body);
        assert_eq!(written(&app).await?.messages, 3);
        Ok(())
    }

    async fn a_malformed_key_is_400_and_a_failed_write_keeps_its_key_free(app) {
        let (world, case) = case_with_exchange(&app).await?;
        let path = format!("/api/cases/{case}/messages");
        let before = written(&app).await?;
        for bad in ["a b", "\"oavslutad", "å", &"k".repeat(256)] {
            let reply = keyed_post(&app, &world.social_worker, &path, bad, json!({"body": "Hej"})).await?;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad:?}");
            assert_eq!(reply.body["code"], "invalid_idempotency_key");
        }
        assert_eq!(written(&app).await?.messages, before.messages);
        let invalid = keyed_post(&app, &world.social_worker, &path, "k-6", json!({"body": "  "})).await?;
        assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(invalid.body["code"], "validation_failed");
        let denied = keyed_post(&app, &world.other_coordinator, &path, "k-6", json!({"body": "Hej"})).await?;
        assert_eq!(denied.status, StatusCode::NOT_FOUND);
        let valid = keyed_post(&app, &world.social_worker, &path, "k-6", json!({"body": "Hej"})).await?;
        assert_eq!(valid.status, StatusCode::CREATED, "nothing was stored under the key before");
        Ok(())
    }
}

#[tokio::test]
async fn the_document_states_the_header_on_every_write_but_sign_in() -> anyhow::Result<()> {
    let app = spawn_app(Backend::Sqlite)
        .await?
        .expect("sqlite always runs");
    let doc = app.openapi().await?;
    let header = |path: &str, method: &str| {
        doc["paths"][path][method]["parameters"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == "Idempotency-Key").cloned())
    };
    let paths = doc["paths"].as_object().expect("paths");
    let mut keyed = 0;
    for (path, item) in paths {
        for method in ["post", "patch"] {
            if item.get(method).is_none() {
                continue;
            }
            let takes_none = path.starts_with("/api/auth/") || path == "/api/ws-ticket";
            assert_eq!(
                header(path, method).is_some(),
                !takes_none,
                "{method} {path}"
            );
            if !takes_none {
                keyed += 1;
                assert!(
                    item[method]["responses"]["409"].is_object(),
                    "{method} {path}"
                );
            }
        }
    }
    assert!(keyed >= 20, "only {keyed} keyed operations");
    let parameter = header("/api/cases/{id}/messages", "post").expect("documented");
    assert_eq!(parameter["in"], "header");
    assert_eq!(parameter["required"], false);
    assert_eq!(parameter["schema"]["maxLength"], 257);
    let description = parameter["description"].as_str().unwrap_or_default();
    for rule in [
        "idempotency_key_reused",
        "idempotency_key_in_flight",
        "invalid_idempotency_key",
    ] {
        assert!(description.contains(rule), "{rule}");
    }
    Ok(())
}
