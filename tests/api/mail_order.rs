//! Invitations in order: through an SMTP outage each attendee gets a meeting's calendar
//! e-mails in SEQUENCE order, never an older REQUEST after a CANCEL, and an e-mail that a
//! newer one superseded while unsent is not sent at all.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use crate::helpers::*;
use crate::on_both_stores;
use crate::smtp::{Received, SmtpServer};

const WAIT: Duration = Duration::from_secs(90);

/// (METHOD, UID, SEQUENCE) of a meeting e-mail's calendar part.
fn calendar_of(mail: &Received) -> Option<(String, String, i64)> {
    let part = mail.part("text/calendar")?;
    let value = |name: &str| {
        part.text.replace("\r\n ", "").lines().find_map(|l| {
            l.strip_prefix(&format!("{name}:"))
                .map(|v| v.trim().to_owned())
        })
    };
    Some((
        value("METHOD")?,
        value("UID")?,
        value("SEQUENCE")?.parse().ok()?,
    ))
}

fn rfc3339(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Rows not yet settled: neither sent, failed nor superseded.
async fn open_rows(app: &TestApp) -> anyhow::Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND superseded_at IS NULL",
    )
    .fetch_one(app.store.pool())
    .await?;
    Ok(n)
}

async fn invitations_reach_each_attendee_in_sequence_order_through_an_smtp_outage(
    backend: Backend,
) -> anyhow::Result<()> {
    let mut smtp = SmtpServer::start().await?;
    let port = smtp.port;
    let app = spawn_app_with(backend, |s| with_smtp(s, port))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no PostgreSQL"))?;
    let w = app.world().await?;
    let case = app.sip_case(&w, "19850312123", "Amina").await?;

    smtp.down().await?;
    let mut meetings = Vec::new();
    for i in 0..10 {
        let mut body = TestApp::meeting_body(Some(&case), "sip_mote", 48 + i, &[&w.coordinator]);
        body["external_attendees"] =
            json!([{"name": "Extern", "email": format!("extern{i}@example.org")}]);
        let reply = app.post(&w.social_worker, "/api/meetings", body).await?;
        anyhow::ensure!(
            reply.status == reqwest::StatusCode::CREATED,
            "{}",
            reply.body
        );
        meetings.push(reply.id());
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    for (i, id) in meetings.iter().enumerate() {
        let later =
            (chrono::Utc::now() + chrono::Duration::hours(100 + i as i64)).with_nanosecond_zeroed();
        let moved = app.patch(&w.social_worker, &format!("/api/meetings/{id}"), json!({
            "starts_at": rfc3339(later), "ends_at": rfc3339(later + chrono::Duration::hours(1)),
        })).await?;
        anyhow::ensure!(moved.status == reqwest::StatusCode::OK, "{}", moved.body);
        if i == 4 {
            // The server comes back for a moment, then goes again mid-way.
            smtp.up().await?;
            tokio::time::sleep(Duration::from_millis(400)).await;
            smtp.down().await?;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (i, id) in meetings.iter().enumerate() {
        let cancelled = app
            .post_empty(&w.social_worker, &format!("/api/meetings/{id}/cancel"))
            .await?;
        anyhow::ensure!(
            cancelled.status == reqwest::StatusCode::OK,
            "{}",
            cancelled.body
        );
        if i == 6 {
            smtp.up().await?;
            tokio::time::sleep(Duration::from_millis(300)).await;
            smtp.down().await?;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    smtp.up().await?;
    let start = std::time::Instant::now();
    while open_rows(&app).await? > 0 {
        anyhow::ensure!(start.elapsed() < WAIT, "the outbox did not settle");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Per attendee and meeting, in the order the server received them.
    let mut pairs: BTreeMap<(String, String), Vec<(String, i64)>> = BTreeMap::new();
    for mail in smtp.received()? {
        if let Some((method, uid, sequence)) = calendar_of(&mail) {
            pairs
                .entry((mail.to.clone(), uid))
                .or_default()
                .push((method, sequence));
        }
    }
    assert_eq!(
        pairs.len(),
        20,
        "10 meetings × (the coordinator, an external attendee)"
    );
    for ((to, uid), mails) in &pairs {
        let sequences: Vec<i64> = mails.iter().map(|(_, s)| *s).collect();
        assert!(
            sequences.windows(2).all(|p| p[0] < p[1]),
            "{to} {uid}: out of order {mails:?}"
        );
        assert_eq!(
            mails.last().map(|(m, _)| m.as_str()),
            Some("CANCEL"),
            "{to} {uid}: the newest state last {mails:?}"
        );
        assert_eq!(
            mails.iter().filter(|(m, _)| m == "CANCEL").count(),
            1,
            "{to} {uid}: {mails:?}"
        );
    }
    // Every row was sent once or superseded unsent; what was superseded never left.
    let (sent, superseded, superseded_sent): (i64, i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN superseded_at IS NOT NULL THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN superseded_at IS NOT NULL AND sent_at IS NOT NULL THEN 1 ELSE 0 END), 0) \
         FROM outbox WHERE calendar IS NOT NULL",
    )
    .fetch_one(app.store.pool())
    .await?;
    assert_eq!(
        sent + superseded,
        60,
        "book, move and cancel of 10 meetings to 2 attendees"
    );
    assert_eq!(superseded_sent, 0);
    let calendar_mails = smtp
        .received()?
        .iter()
        .filter(|m| calendar_of(m).is_some())
        .count();
    assert_eq!(calendar_mails as i64, sent, "each sent row arrived once");
    Ok(())
}

/// A hub killed while it held claimed e-mails: restarted under the same node id it sends them
/// at once, not after the lease; what another node holds stays that node's.
async fn a_restarted_hub_takes_back_its_own_claims_at_once(backend: Backend) -> anyhow::Result<()> {
    let smtp = SmtpServer::start().await?;
    let port = smtp.port;
    let mut app = spawn_app_with(backend, |s| {
        with_smtp(s, port);
        s.mail.enabled = false;
        s.mail.lease_seconds = 120;
        s.server.node_id = "hub-a".into();
    })
    .await?
    .ok_or_else(|| anyhow::anyhow!("no PostgreSQL"))?;
    let w = app.world().await?;
    let case = app.sip_case(&w, "19850312123", "Amina").await?;
    let mut body = TestApp::meeting_body(Some(&case), "sip_mote", 48, &[&w.coordinator]);
    body["external_attendees"] =
        json!([{"name": "A", "email": "a@example.org"}, {"name": "B", "email": "b@example.org"}]);
    anyhow::ensure!(
        app.post(&w.social_worker, "/api/meetings", body)
            .await?
            .status
            == reqwest::StatusCode::CREATED
    );
    // What hub-a held when it was killed: all three, leased for two minutes.
    let lease = 120_000_000;
    let mut tx = app.store.begin().await?;
    let held = samverkan::store::outbox::claim(
        &mut tx,
        "hub-a",
        samverkan::domain::Timestamp::now(),
        lease,
        100,
    )
    .await?;
    tx.commit().await?;
    assert_eq!(held.len(), 3);
    // And one that hub-b, still running elsewhere, holds.
    let mut body = TestApp::meeting_body(None, "other", 72, &[]);
    body["external_attendees"] = json!([{"name": "C", "email": "c@example.org"}]);
    let other = app.post(&w.social_worker, "/api/meetings", body).await?;
    anyhow::ensure!(
        other.status == reqwest::StatusCode::CREATED,
        "{}",
        other.body
    );
    let mut tx = app.store.begin().await?;
    let theirs = samverkan::store::outbox::claim(
        &mut tx,
        "hub-b",
        samverkan::domain::Timestamp::now(),
        lease,
        100,
    )
    .await?;
    tx.commit().await?;
    assert_eq!(theirs.len(), 1);

    app.settings.mail.enabled = true;
    let started = std::time::Instant::now();
    let app = app.restart().await?;
    let received = smtp.wait_for(3, Duration::from_secs(20)).await?;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "long before the 120 s lease"
    );
    let mut to: Vec<String> = received.iter().map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(to, ["a@example.org", "b@example.org", "rk@example.se"]);
    let (claimed_by, sent): (Option<String>, Option<i64>) =
        sqlx::query_as("SELECT claimed_by, sent_at FROM outbox WHERE recipient = 'c@example.org'")
            .fetch_one(app.store.pool())
            .await?;
    assert_eq!(
        claimed_by.as_deref(),
        Some("hub-b"),
        "another node's claim is left alone"
    );
    assert_eq!(sent, None);
    Ok(())
}

on_both_stores!(
    invitations_reach_each_attendee_in_sequence_order_through_an_smtp_outage,
    a_restarted_hub_takes_back_its_own_claims_at_once,
);
