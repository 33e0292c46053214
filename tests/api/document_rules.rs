//! The OpenAPI document states each rule the server enforces, one test per class of rule:
//! control characters, rules across fields, formats, integers. Each reads the rule from
//! `/api/openapi.json` and shows the server enforcing exactly that, with a field-level
//! problem+json code. (The schemathesis run in `tests/conformance.rs` checks the whole document.)

use regex::Regex;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_stores;

async fn document(app: &TestApp) -> anyhow::Result<Value> {
    Ok(app
        .anonymous(Method::GET, "/api/openapi.json", None)
        .await?
        .body)
}

fn property<'a>(doc: &'a Value, schema: &str, name: &str) -> &'a Value {
    &doc["components"]["schemas"][schema]["properties"][name]
}

fn pattern(property: &Value) -> Regex {
    Regex::new(property["pattern"].as_str().expect("a pattern")).expect("a valid expression")
}

/// The operation's rules beyond its schema, as (field, code).
fn field_rules(doc: &Value, method: &str, path: &str) -> Vec<(String, String)> {
    doc["paths"][path][method]["x-field-rules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["field"].as_str().unwrap_or_default().to_owned(),
                r["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn rule(field: &str, code: &str) -> (String, String) {
    (field.to_owned(), code.to_owned())
}

/// The reply is a 422 naming exactly this field and code.
fn refused(reply: &Reply, field: &str, code: &str) {
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{field}: {}",
        reply.body
    );
    assert_eq!(reply.content_type, "application/problem+json");
    assert_eq!(
        reply.body["errors"],
        json!([{"field": field, "code": code, "message": reply.body["errors"][0]["message"]}]),
        "{}",
        reply.body
    );
}

on_both_stores! {
    async fn control_characters_are_stated_by_pattern_and_refused_as_the_pattern_says(app) {
        let doc = document(&app).await?;
        let world = app.world().await?;
        let (_, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina").await?;
        // One-line text: no control character at all, C1 (U+0080–U+009F) and NUL included.
        let title = pattern(property(&doc, "UpdateCase", "title"));
        for (sample, allowed) in [
            ("Ärende om arbetsträning", true),
            ("Rad\u{85}bryt", false),
            ("Tab\there", false),
            ("Bell\u{7}", false),
            ("NUL\u{0}", false),
            ("   ", false),
        ] {
            assert_eq!(title.is_match(sample), allowed, "the document's pattern on {sample:?}");
            let reply = app.patch(&world.social_worker, &format!("/api/cases/{case}"), json!({"title": sample})).await?;
            if allowed {
                assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
                assert_eq!(reply.body["title"], sample);
            } else {
                let code = match sample {
                    "   " => "required",
                    s if s.contains('\u{0}') => "nul_character",
                    _ => "control_character",
                };
                let field = if code == "nul_character" { "" } else { "title" };
                refused(&reply, field, code);
            }
        }
        // Free text: line breaks and tabs, but no other control character.
        let body = pattern(property(&doc, "NewMessage", "body"));
        let path = format!("/api/cases/{case}/messages");
        // A backslash before `u0000` is text, not a NUL.
        for (sample, allowed) in [("Hej!\r\n\tRad två", true), (r"C:\u0000\fil", true), ("Hej\u{9b}", false), ("\u{1b}[31m", false)] {
            assert_eq!(body.is_match(sample), allowed, "the document's pattern on {sample:?}");
            let reply = app.post(&world.social_worker, &path, json!({"body": sample})).await?;
            if allowed {
                assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
                assert_eq!(reply.body["body"], sample);
            } else {
                refused(&reply, "body", "control_character");
            }
        }
        let messages = app.get(&world.social_worker, &path).await?;
        assert_eq!(messages.body["items"].as_array().map(Vec::len), Some(2), "only the allowed ones were stored");
        Ok(())
    }

    async fn rules_across_fields_are_described_and_refused_with_their_codes(app) {
        let doc = document(&app).await?;
        let booking = field_rules(&doc, "post", "/api/meetings");
        for expected in [rule("ends_at", "end_before_start"), rule("ends_at", "too_long"), rule("starts_at", "in_the_past")] {
            assert!(booking.contains(&expected), "POST /api/meetings states {expected:?}: {booking:?}");
        }
        assert!(field_rules(&doc, "get", "/api/meetings").contains(&rule("to", "before_from")));
        assert!(field_rules(&doc, "post", "/api/cases/{id}/consents").contains(&rule("valid_until", "before_valid_from")));

        let world = app.world().await?;
        let mut body = TestApp::meeting_body(None, "other", 48, &[]);
        let starts_at = body["starts_at"].clone();
        body["ends_at"] = body["starts_at"].clone();
        refused(&app.post(&world.social_worker, "/api/meetings", body.clone()).await?, "ends_at", "end_before_start");
        let past = TestApp::meeting_body(None, "other", -48, &[]);
        refused(&app.post(&world.social_worker, "/api/meetings", past).await?, "starts_at", "in_the_past");
        let from = starts_at.as_str().unwrap_or_default();
        let window = format!("/api/meetings?from={}&to=2020-01-01T00:00:00Z", from.replace('+', "%2B"));
        refused(&app.get(&world.social_worker, &window).await?, "to", "before_from");
        let mine = app.get(&world.social_worker, "/api/meetings").await?;
        assert_eq!(mine.body["items"], json!([]), "nothing was booked");
        Ok(())
    }

    async fn formats_are_stated_and_the_server_accepts_exactly_them(app) {
        let doc = document(&app).await?;
        let world = app.world().await?;
        let (_, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina").await?;
        let draft = app.inquiry_draft(&world.social_worker, &case, &world.clinic).await?;
        let path = format!("/api/inquiries/{draft}");
        let phone = pattern(property(&doc, "ContactBody", "phone"));
        for (sample, allowed) in [("08-123 456 78", true), ("+46 (0)70 123 45 67", true), ("1234", false), ("08/123456", false)] {
            assert_eq!(phone.is_match(sample), allowed, "the document's phone pattern on {sample:?}");
            let contact = json!({"contact": {"name": "Sara Lind", "phone": sample}});
            let reply = app.patch(&world.social_worker, &path, contact).await?;
            if allowed {
                assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            } else {
                refused(&reply, "contact.phone", "invalid_phone");
            }
        }
        let email = property(&doc, "ContactBody", "email");
        assert_eq!(email["format"], "email");
        let refused_email = app.patch(&world.social_worker, &path, json!({"contact": {"name": "S", "email": "sara@"}})).await?;
        assert!(!pattern(email).is_match("sara@"));
        refused(&refused_email, "contact.email", "email");

        let meeting = app.meeting(&world.social_worker, None, "other", &[]).await?;
        let link = pattern(property(&doc, "UpdateMeetingBody", "video_link"));
        for (sample, allowed) in [("https://mote.example.se/abc", true), ("", true), ("http://mote.example.se", false), ("https://a b", false)] {
            assert_eq!(link.is_match(sample), allowed, "the document's video link pattern on {sample:?}");
            let reply = app.patch(&world.social_worker, &format!("/api/meetings/{meeting}"), json!({"video_link": sample})).await?;
            if allowed {
                assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            } else {
                refused(&reply, "video_link", "invalid_video_link");
            }
        }

        // A personnummer's form is a pattern; its date and check digit a stated rule.
        assert!(pattern(property(&doc, "RegisterIndividual", "personnummer")).is_match("198503121230"));
        assert!(field_rules(&doc, "post", "/api/individuals").contains(&rule("personnummer", "invalid_personnummer")));
        let good = pnr("19850312123");
        let wrong_digit = format!("{}{}", &good[..11], (good.as_bytes()[11] - b'0' + 1) % 10);
        let reply = app.post(&world.social_worker, "/api/individuals", json!({"personnummer": wrong_digit, "name": "A"})).await?;
        refused(&reply, "personnummer", "invalid_personnummer");
        Ok(())
    }

    async fn integers_are_whole_numbers_however_written_and_minimums_hold(app) {
        let doc = document(&app).await?;
        let percent = property(&doc, "ExtentBody", "percent");
        assert!(percent["type"].as_array().is_some_and(|t| t.contains(&json!("integer"))), "{percent}");
        let setup = crate::inquiries::setup(&app).await?;
        let w = &setup.world;
        let id = crate::inquiries::inquiry_in(&app, &setup, "assigned").await?;
        let path = format!("/api/inquiries/{id}/answer");
        let mut answer = crate::inquiries::answer_body();
        answer["extent"] = json!({"percent": 50.5});
        let fraction = app.post(&w.coordinator, &path, answer.clone()).await?;
        assert_eq!(fraction.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", fraction.body);
        assert_eq!(fraction.body["errors"][0]["code"], "invalid_value");
        // 89.0 is the integer 89 to JSON Schema, so a client may send it.
        answer["extent"] = json!({"percent": 89.0});
        let whole = app.post(&w.coordinator, &path, answer).await?;
        assert_eq!(whole.status, StatusCode::OK, "{}", whole.body);
        assert_eq!(whole.body["answer"]["extent"], json!({"percent": 89, "hours_per_week": null}));

        let before_seq = doc["paths"]["/api/audit"]["get"]["parameters"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == "before_seq"))
            .map(|p| p["schema"]["minimum"].clone());
        assert_eq!(before_seq, Some(json!(1)));
        refused(&app.get(&w.social_admin, "/api/audit?before_seq=0").await?, "before_seq", "out_of_range");
        let first = app.get(&w.social_admin, "/api/audit?before_seq=1").await?;
        assert_eq!(first.body, json!([]), "nothing is older than the first row");
        Ok(())
    }
}
