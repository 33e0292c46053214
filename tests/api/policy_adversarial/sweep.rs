//! The end-of-sequence sweep: nothing another organisation's consent does not cover is
//! reachable by any route, the audit log or the live stream.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{Model, Org};
use crate::helpers::*;
use crate::stream::StreamClient;

/// The end-of-sequence sweep over everything each organisation can reach.
pub(super) async fn check_everything(
    app: &TestApp,
    o: &[Org],
    m: &Model,
    since: i64,
    stream: bool,
) -> anyhow::Result<()> {
    let case_owner: BTreeMap<String, usize> =
        m.cases.iter().map(|c| (c.id.clone(), c.owner)).collect();
    let consent_recorder: BTreeMap<String, usize> = m
        .consents
        .iter()
        .map(|k| (k.id.clone(), k.recorder))
        .collect();
    for (org, party) in o.iter().enumerate() {
        let user = &party.worker;
        let org_id = party.org.id.to_string();
        for (c, case) in m.cases.iter().enumerate() {
            let read = app.get(user, &format!("/api/cases/{}", case.id)).await?;
            assert_eq!(
                read.status == StatusCode::OK,
                m.sees(org, c, None),
                "case read"
            );
            let messages = app
                .get(user, &format!("/api/cases/{}/messages", case.id))
                .await?;
            assert_eq!(
                messages.status == StatusCode::OK,
                m.sees(org, c, Some("informationsutbyte")),
                "messages"
            );
        }
        for k in 0..m.consents.len() {
            let read = app
                .get(user, &format!("/api/consents/{}", m.consents[k].id))
                .await?;
            assert_eq!(
                read.status == StatusCode::OK,
                m.sees_consent(org, k),
                "consent read"
            );
        }
        let inbox = app.get(user, "/api/inquiries?limit=200").await?;
        for q in inbox.body["items"].as_array().into_iter().flatten() {
            let case = m
                .case_index(q["case_id"].as_str().unwrap_or_default())
                .expect("known case");
            assert!(
                m.sees(org, case, Some("rehabiliteringsforfragan")),
                "inbox shows {q}"
            );
        }
        // The org's own data: a row by someone else must be about its case or its consent.
        let mine = |r: &Value| {
            r["organisation_id"] == json!(org_id)
                || r["case_id"].as_str().and_then(|c| case_owner.get(c)) == Some(&org)
                || r["consent_id"]
                    .as_str()
                    .and_then(|k| consent_recorder.get(k))
                    == Some(&org)
        };
        for (&p, individual) in &m.person_ids {
            let extract = app
                .get(
                    &party.admin,
                    &format!("/api/individuals/{individual}/access-log"),
                )
                .await?;
            if !m.registered.contains(&(org, p)) {
                assert_eq!(
                    extract.status,
                    StatusCode::NOT_FOUND,
                    "no extract without a registration"
                );
                continue;
            }
            let entries = extract.body["entries"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for row in &entries {
                assert!(mine(row), "org {org} loggutdrag holds another's row {row}");
            }
            // Complete: every row, by anyone, on the org's cases for this person.
            for case in m.cases.iter().filter(|c| c.owner == org && c.person == p) {
                let expected = rows_on(app, &case.id).await?;
                let got = entries
                    .iter()
                    .filter(|r| r["case_id"] == json!(case.id))
                    .count();
                assert_eq!(
                    got, expected,
                    "org {org} loggutdrag: every row on its case, by anyone"
                );
            }
        }
        for case in &m.cases {
            let before = rows_on(app, &case.id).await?;
            let search = app
                .get(
                    &party.admin,
                    &format!("/api/audit?case_id={}&limit=500", case.id),
                )
                .await?;
            let found = search.body.as_array().cloned().unwrap_or_default();
            for row in &found {
                assert!(
                    mine(row),
                    "org {org} audit search holds another's row {row}"
                );
            }
            if case.owner == org {
                assert_eq!(
                    found.len(),
                    before,
                    "the owner sees every attempt on its case"
                );
            }
        }
        // The stream replays only what the org may see now (or a revocation of what it saw).
        if !stream {
            continue;
        }
        let mut client = StreamClient::connect(app, user, Some(since)).await?;
        let head = client.hello_seq;
        let events = client
            .until(Duration::from_millis(300), |e| {
                e["seq"].as_i64() >= Some(head)
            })
            .await?;
        client.close().await;
        for event in events.iter().filter(|e| e["seq"].as_i64() <= Some(head)) {
            let Some(case) = event["case_id"].as_str().and_then(|c| m.case_index(c)) else {
                continue;
            };
            if event["type"] == "access_revoked" {
                assert!(
                    m.ever.contains(&(case, org)),
                    "revocation of a case never seen: {event}"
                );
            } else {
                assert!(
                    m.sees(org, case, None),
                    "org {org} got an event of a case it cannot see: {event}"
                );
            }
        }
    }
    Ok(())
}

/// How many audit rows name the case, straight from the store.
async fn rows_on(app: &TestApp, case: &str) -> anyhow::Result<usize> {
    let mut tx = app.store.begin().await?;
    let query = samverkan::store::audit::AuditQuery {
        case_id: Some(case.to_owned()),
        limit: 100_000,
        ..Default::default()
    };
    Ok(samverkan::store::audit::search(&mut tx, &query)
        .await?
        .len())
}
