//! The HTTP contract: problem+json everywhere, body limits, health, the OpenAPI document.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::on_both_stores;

on_both_stores! {
    async fn health_and_readiness_answer(app) {
        let health = app.anonymous(Method::GET, "/healthz", None).await?;
        assert_eq!(health.body, json!({"status": "ok"}));
        let ready = app.anonymous(Method::GET, "/readyz", None).await?;
        assert_eq!(ready.status, StatusCode::OK);
        Ok(())
    }

    async fn bad_bodies_get_problem_json_and_never_a_500(app) {
        let world = app.world().await?;
        let url = app.url("/api/individuals");
        let malformed = app.raw(app.client.post(&url).bearer_auth(&world.social_worker.token)
            .header("content-type", "application/json").body("{\"personnummer\": ")).await?;
        assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
        assert_eq!(malformed.body["code"], "malformed_json");
        assert_eq!(malformed.content_type, "application/problem+json");
        let wrong_type = app.raw(app.client.post(&url).bearer_auth(&world.social_worker.token).body("x")).await?;
        assert_eq!(wrong_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(wrong_type.body["code"], "unsupported_media_type");
        let unknown = app.post(&world.social_worker, "/api/individuals", json!({"personnummer": pnr("19850312123"), "name": "A", "shoe_size": 44})).await?;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(unknown.body["errors"][0]["field"], "shoe_size");
        assert_eq!(unknown.body["errors"][0]["code"], "unknown_field");
        let missing = app.post(&world.social_worker, "/api/individuals", json!({"name": "A"})).await?;
        assert_eq!(missing.body["errors"][0]["field"], "personnummer");
        assert_eq!(missing.body["errors"][0]["code"], "required");
        let huge = "x".repeat(300_000);
        let too_large = app.post(&world.social_worker, "/api/individuals", json!({"personnummer": huge, "name": "A"})).await?;
        assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(too_large.body["code"], "payload_too_large");
        let bad_query = app.get(&world.social_worker, "/api/cases?status=nonsense").await?;
        assert_eq!(bad_query.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad_query.body["code"], "validation_failed");
        let bad_limit = app.get(&world.social_worker, "/api/cases?limit=0").await?;
        assert_eq!(bad_limit.body["errors"][0]["field"], "limit");
        let nul = app.post(&world.social_worker, "/api/individuals", json!({"personnummer": pnr("19850312123"), "name": "A\u{0}B"})).await?;
        assert_eq!(nul.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", nul.body);
        assert_eq!(nul.body["errors"][0]["code"], "nul_character");
        let nul_query = app.get(&world.social_admin, "/api/audit?action=case%00read").await?;
        assert_eq!(nul_query.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", nul_query.body);
        let control = app.post(&world.social_worker, "/api/individuals", json!({"personnummer": pnr("19850312123"), "name": "\u{1c}"})).await?;
        assert_eq!(control.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(control.body["errors"][0]["code"], "control_character");
        let wrong_types = app.post(&world.social_worker, "/api/individuals", json!({"personnummer": 198503121231_i64, "name": ["A"]})).await?;
        assert_eq!(wrong_types.status, StatusCode::UNPROCESSABLE_ENTITY);
        Ok(())
    }

    async fn unknown_routes_and_methods_are_problems_too(app) {
        let world = app.world().await?;
        let unknown = app.get(&world.social_worker, "/api/nothing-here").await?;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert_eq!(unknown.body["code"], "not_found");
        let method = app.raw(app.client.delete(app.url("/api/cases")).bearer_auth(&world.social_worker.token)).await?;
        assert_eq!(method.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(method.body["code"], "method_not_allowed");
        Ok(())
    }
}

#[tokio::test]
async fn the_start_page_is_swedish_and_served_at_root() -> anyhow::Result<()> {
    let app = spawn_app(Backend::Sqlite).await?.unwrap();
    let page = app.client.get(app.url("/")).send().await?;
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let script = app.client.get(app.url("/app/main.js")).send().await?;
    assert_eq!(script.status(), StatusCode::OK);
    assert!(script.headers()["content-type"]
        .to_str()?
        .contains("javascript"));
    let html = page.text().await?;
    assert!(html.contains("<html lang=\"sv\">"));
    assert!(html.contains("Samverkan kring rehabilitering"));
    Ok(())
}

/// The OpenAPI document `app` serves.
async fn openapi_document(app: &TestApp) -> anyhow::Result<serde_json::Value> {
    Ok(app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await?
        .json()
        .await?)
}

#[tokio::test]
async fn the_openapi_document_covers_every_route_with_its_errors() -> anyhow::Result<()> {
    let app = spawn_app(Backend::Sqlite).await?.unwrap();
    let doc = openapi_document(&app).await?;
    assert_eq!(doc["openapi"], "3.1.0");
    let expected = [
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/api/auth/login", "post"),
        ("/api/auth/refresh", "post"),
        ("/api/auth/logout", "post"),
        ("/api/me", "get"),
        ("/api/auth/providers", "get"),
        ("/auth/oidc/{issuer}/start", "get"),
        ("/auth/oidc/callback", "get"),
        ("/api/auth/oidc/session", "post"),
        ("/api/auth/oidc/logout", "post"),
        ("/api/organisations", "get"),
        ("/api/organisations/{id}", "get"),
        ("/api/organisations/{id}/people", "get"),
        ("/api/users", "get"),
        ("/api/users", "post"),
        ("/api/users/{id}", "get"),
        ("/api/users/{id}", "patch"),
        ("/api/individuals", "post"),
        ("/api/individuals/{id}", "get"),
        ("/api/individuals/{id}/access-log", "get"),
        ("/api/cases", "get"),
        ("/api/cases", "post"),
        ("/api/cases/{id}", "get"),
        ("/api/cases/{id}", "patch"),
        ("/api/cases/{id}/responsibility", "get"),
        ("/api/cases/{id}/consents", "get"),
        ("/api/cases/{id}/consents", "post"),
        ("/api/consents/{id}", "get"),
        ("/api/consents/{id}/end", "post"),
        ("/api/consents/{id}/annul", "post"),
        ("/api/audit", "get"),
        ("/api/cases/{id}/inquiries", "post"),
        ("/api/inquiries", "get"),
        ("/api/inquiries/counts", "get"),
        ("/api/inquiries/{id}", "get"),
        ("/api/inquiries/{id}", "patch"),
        ("/api/inquiries/{id}", "delete"),
        ("/api/inquiries/{id}/send", "post"),
        ("/api/inquiries/{id}/assign", "post"),
        ("/api/inquiries/{id}/answer", "post"),
        ("/api/inquiries/{id}/decline", "post"),
        ("/api/inquiries/{id}/withdraw", "post"),
        ("/api/inquiries/{id}/close", "post"),
        ("/api/inquiries/{id}/thread", "get"),
        ("/api/inquiries/{id}/thread", "post"),
        ("/api/cases/{id}/messages", "get"),
        ("/api/cases/{id}/messages", "post"),
        ("/api/messages/{id}/read", "post"),
        ("/api/notifications", "get"),
        ("/api/notifications/{id}/read", "post"),
        ("/api/notifications/read-all", "post"),
        ("/api/me/notification-preferences", "get"),
        ("/api/me/notification-preferences", "put"),
        ("/api/me/password", "post"),
        ("/api/meetings", "get"),
        ("/api/meetings", "post"),
        ("/api/meetings/{id}", "get"),
        ("/api/meetings/{id}", "patch"),
        ("/api/meetings/{id}/participants", "post"),
        ("/api/meetings/{id}/cancel", "post"),
        ("/api/meetings/{id}/answer", "post"),
        ("/api/meetings/{id}/attendees/{attendee_id}/answer", "post"),
        ("/api/cases/{id}/meetings", "get"),
        ("/api/cases/{id}/plans", "get"),
        ("/api/cases/{id}/plans", "post"),
        ("/api/plans/{id}", "get"),
        ("/api/plans/{id}/draft", "put"),
        ("/api/plans/{id}/adopt", "post"),
        ("/api/plans/{id}/revise", "post"),
        ("/api/plans/{id}/discard", "post"),
        ("/api/plans/{id}/close", "post"),
        ("/api/plans/{id}/versions", "get"),
        ("/api/plans/{id}/versions/{version}", "get"),
        ("/api/plans/{id}/actions/{action_id}", "patch"),
        ("/api/plans/{id}/actions/{action_id}/take", "post"),
        ("/api/plans/{id}/follow-up-meeting", "post"),
        ("/api/plan-follow-ups", "get"),
        ("/api/commitments", "get"),
        ("/api/commitments/counts", "get"),
        ("/api/cases/{id}/legal-hold", "put"),
        ("/api/cases/{id}/legal-hold", "delete"),
        ("/api/consents/{id}/confirm", "post"),
        ("/api/ws-ticket", "post"),
        ("/api/stream", "get"),
        ("/api/cases/{id}/sip-calls", "get"),
        ("/api/cases/{id}/sip-calls", "post"),
        ("/api/sip-calls", "get"),
        ("/api/sip-calls/counts", "get"),
        ("/api/sip-calls/{id}", "get"),
        ("/api/sip-calls/{id}/answer", "post"),
        ("/api/sip-calls/{id}/book", "post"),
        ("/api/sip-calls/{id}/cancel", "post"),
        ("/api/statistics/inquiries", "get"),
        ("/api/cases/{id}/finsam-referrals", "post"),
        ("/api/finsam/referrals", "get"),
        ("/api/finsam/referrals/counts", "get"),
        ("/api/finsam/referrals/{id}", "get"),
        ("/api/finsam/referrals/{id}", "patch"),
        ("/api/finsam/referrals/{id}/send", "post"),
        ("/api/finsam/referrals/{id}/withdraw", "post"),
        ("/api/finsam/referrals/{id}/return", "post"),
        ("/api/finsam/referrals/{id}/complete", "post"),
        ("/api/finsam/referrals/{id}/accept", "post"),
        ("/api/finsam/referrals/{id}/decline", "post"),
        ("/api/cases/{id}/fordjupad", "get"),
        ("/api/cases/{id}/fordjupad", "post"),
        ("/api/cases/{id}/fordjupad/decision", "post"),
        ("/api/cases/{id}/fordjupad/phases", "get"),
        ("/api/cases/{id}/fordjupad/phases", "post"),
        ("/api/cases/{id}/fordjupad/codings", "get"),
        ("/api/cases/{id}/fordjupad/codings", "post"),
        ("/api/finsam/efforts", "get"),
        ("/api/finsam/efforts", "post"),
        ("/api/finsam/efforts/{id}", "patch"),
        ("/api/finsam/meetings", "get"),
        ("/api/finsam/meetings", "post"),
        ("/api/finsam/meetings/{id}", "get"),
        ("/api/finsam/meetings/{id}/agenda", "post"),
        ("/api/finsam/meetings/{id}/agenda", "put"),
        ("/api/finsam/meetings/{id}/agenda/{item}", "delete"),
        ("/api/finsam/meetings/{id}/agenda/{item}/record", "post"),
        ("/api/finsam/meetings/{id}/publish", "post"),
        ("/api/finsam/outcomes", "get"),
        ("/api/finsam/referrals/{id}/close", "post"),
        ("/api/finsam/referrals/{id}/follow-up", "post"),
        ("/api/finsam/referrals/{id}/follow-ups", "get"),
        ("/api/fordjupad/caseload", "get"),
        ("/api/fordjupad/escalations", "get"),
        ("/api/fordjupad/escalations/{id}/clear", "post"),
        ("/api/plans/{id}/actions/{action_id}/steps", "get"),
        ("/api/plans/{id}/actions/{action_id}/steps", "post"),
        ("/api/statistics/finsam", "get"),
        ("/api/statistics/fordjupad", "get"),
    ];
    let paths = doc["paths"].as_object().unwrap();
    let mut documented = 0;
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            assert!(
                expected.contains(&(path.as_str(), method.as_str())),
                "undocumented in this test: {method} {path}"
            );
            documented += 1;
        }
    }
    assert_eq!(documented, expected.len());
    for (path, method) in expected {
        let op = &doc["paths"][path][method];
        assert!(
            op["responses"]
                .as_object()
                .unwrap()
                .keys()
                // The browser's sign-in routes succeed with a redirect.
                .any(|s| s.starts_with('2')
                    || s == "101"
                    || (path.starts_with("/auth/") && s == "303")),
            "{method} {path} has a success response"
        );
        if path.starts_with("/api/") && path != "/api/auth/login" {
            assert!(
                op["responses"]["401"].is_object(),
                "{method} {path} documents 401"
            );
            assert!(
                op["responses"]["422"].is_object(),
                "{method} {path} documents 422"
            );
        }
        // Every documented route answers something other than 404-for-unknown-route.
        let concrete = path.replace("{id}", &uuid::Uuid::new_v4().to_string());
        let reply = app
            .client
            .request(method.to_uppercase().parse()?, app.url(&concrete))
            .send()
            .await?;
        assert_ne!(
            reply.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path} is routed"
        );
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    // Every reference resolves (a fuzzer skips what it cannot resolve).
    let text = doc.to_string();
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap_or_default();
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "unresolvable reference to {name}"
        );
    }
    // Enumerations are documented with the codes the API really sends and accepts.
    assert!(doc["components"]["schemas"]["Role"]["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("org_admin")));
    assert!(doc["components"]["schemas"]["Purpose"]["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("rehabiliteringsforfragan")));
    assert_eq!(
        doc["components"]["schemas"]["CaseStatus"]["enum"],
        json!(["open", "closed"])
    );
    // Input limits are in the schema, so clients (and fuzzers) know them.
    assert_eq!(
        doc["components"]["schemas"]["OpenCase"]["properties"]["title"]["maxLength"],
        200
    );
    assert_eq!(
        doc["components"]["schemas"]["RecordConsent"]["properties"]["purposes"]["minItems"],
        1
    );
    Ok(())
}

/// The length limit the document gives `schema`, following a `$ref` and a nullable's
/// `oneOf`/`anyOf` to the string schema.
fn max_length(doc: &serde_json::Value, schema: &serde_json::Value) -> Option<u64> {
    if let Some(max) = schema["maxLength"].as_u64() {
        return Some(max);
    }
    if let Some(name) = schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        return max_length(doc, &doc["components"]["schemas"][name]);
    }
    ["oneOf", "anyOf", "allOf"]
        .iter()
        .filter_map(|key| schema[*key].as_array())
        .flatten()
        .find_map(|part| max_length(doc, part))
}

/// Each one-line text field states its own limit: a title 200 characters, a note 1,000 or
/// 2,000. (All of them once shared one schema, and the document said 200 for every one.)
#[tokio::test]
async fn every_text_field_states_its_own_length_limit() -> anyhow::Result<()> {
    let app = spawn_app(Backend::Sqlite).await?.unwrap();
    let doc = openapi_document(&app).await?;
    let field = |schema: &str, property: &str| {
        max_length(
            &doc,
            &doc["components"]["schemas"][schema]["properties"][property],
        )
    };
    assert_eq!(field("OpenCase", "title"), Some(200));
    assert_eq!(field("SetLegalHold", "reason"), Some(500));
    assert_eq!(field("ClearEscalationBody", "note"), Some(1000));
    assert_eq!(field("BringBody", "note"), Some(2000));
    assert_eq!(field("DecisionBody", "reason"), Some(2000));
    // A shared text schema is named by its limit and says that limit.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let lines: Vec<_> = schemas
        .keys()
        .filter(|k| k.starts_with("TextLine"))
        .collect();
    assert!(
        !lines.is_empty(),
        "the text fields that are not inlined refer to a TextLine schema"
    );
    for name in lines {
        let limit: u64 = name["TextLine".len()..].parse()?;
        assert_eq!(schemas[name]["maxLength"].as_u64(), Some(limit), "{name}");
    }
    Ok(())
}
