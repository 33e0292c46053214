//! E-mail through the outbox to a real SMTP server process (aiosmtpd on loopback): what the
//! e-mails say and how they are built, that none is lost or doubled through an outage and a
//! restart, that two workers on one database never send the same one, and that nothing about
//! the individual or the case ever leaves in one.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::helpers::*;
use crate::inquiries::{ok, setup};
use crate::on_both_stores;
use crate::smtp::{Received, SmtpServer};

mod calendar;
mod privacy;

const WAIT: Duration = Duration::from_secs(60);

/// An app whose worker sends to `smtp`.
async fn app_with_smtp(backend: Backend, smtp: &SmtpServer) -> anyhow::Result<TestApp> {
    let port = smtp.port;
    spawn_app_with(backend, |s| with_smtp(s, port))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no PostgreSQL"))
}

/// The Message-IDs the outbox gave its e-mails, without angle brackets.
async fn outbox_message_ids(app: &TestApp) -> anyhow::Result<BTreeSet<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT message_id FROM outbox")
        .fetch_all(app.store.pool())
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id,)| id.trim_matches(|c| c == '<' || c == '>').to_owned())
        .collect())
}

async fn unsent(app: &TestApp) -> anyhow::Result<i64> {
    let mut tx = app.store.begin().await?;
    Ok(samverkan::store::outbox::pending_count(&mut tx).await?)
}

async fn wait_until_sent(app: &TestApp) -> anyhow::Result<()> {
    let start = std::time::Instant::now();
    while unsent(app).await? > 0 {
        if start.elapsed() > WAIT {
            let rows: Vec<(String, i64, Option<String>, Option<i64>)> = sqlx::query_as(
                "SELECT kind, attempts, last_error, claimed_until FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL",
            )
            .fetch_all(app.store.pool())
            .await?;
            anyhow::bail!("the outbox did not empty: {rows:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

fn assert_each_once(received: &[Received], expected: &BTreeSet<String>) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in received {
        *counts.entry(r.message_id.as_str()).or_default() += 1;
    }
    let doubled: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "sent twice: {doubled:?}");
    let got: BTreeSet<String> = counts.keys().map(|k| (*k).to_owned()).collect();
    assert_eq!(&got, expected, "every e-mail exactly once");
}

async fn an_email_says_only_that_something_waits_in_swedish_text_and_html(
    backend: Backend,
) -> anyhow::Result<()> {
    let smtp = SmtpServer::start().await?;
    let app = app_with_smtp(backend, &smtp).await?;
    let s = setup(&app).await?;
    let w = &s.world;
    let id = app
        .sent_inquiry(&w.social_worker, &s.case, &w.clinic)
        .await?;
    let received = smtp.wait_for(1, WAIT).await?;
    assert_eq!(received.len(), 1);
    let mail = &received[0];
    let notification = app.notifications(&w.coordinator).await?[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(mail.to, "rk@example.se");
    assert_eq!(mail.subject, "Samverkan: Ny rehabiliteringsförfrågan");
    assert_eq!(
        &outbox_message_ids(&app).await?,
        &BTreeSet::from([mail.message_id.clone()])
    );
    assert!(
        mail.message_id.ends_with("@samverkan.test"),
        "{}",
        mail.message_id
    );
    assert_eq!(mail.root_type, "multipart/alternative");
    let types: Vec<&str> = mail.parts.iter().map(|p| p.content_type.as_str()).collect();
    assert_eq!(types, ["text/plain", "text/html"]);
    let link = format!("https://samverkan.test/notiser/{notification}");
    let text = &mail.part("text/plain").unwrap().text;
    assert!(
        text.contains("En ny rehabiliteringsförfrågan har kommit till er i Samverkan."),
        "{text}"
    );
    assert!(text.contains(&link), "{text}");
    assert!(text.contains("Av sekretesskäl"), "{text}");
    let html = &mail.part("text/html").unwrap().text;
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    assert!(html.contains("lang=\"sv\""));
    // Not the inquiry's id, nor the case's: only the notification's.
    for secret in [
        id.as_str(),
        s.case.as_str(),
        s.individual.as_str(),
        "Amina",
        "19850312",
    ] {
        assert!(!mail.all_text().contains(secret), "{secret} leaked");
    }
    assert!(app.outbox().await?[0].2, "marked sent");
    Ok(())
}

async fn no_email_is_lost_or_doubled_through_an_smtp_outage_and_a_restart(
    backend: Backend,
) -> anyhow::Result<()> {
    let mut smtp = SmtpServer::start().await?;
    let app = app_with_smtp(backend, &smtp).await?;
    let s = setup(&app).await?;
    let w = &s.world;
    // One e-mail goes through; then the server goes down.
    app.sent_inquiry(&w.social_worker, &s.case, &w.clinic)
        .await?;
    let before = smtp.wait_for(1, WAIT).await?;
    assert_eq!(before.len(), 1);
    wait_until_sent(&app).await?;
    smtp.down().await?;
    let already_sent = outbox_message_ids(&app).await?;
    app.consent(
        &w.social_worker,
        &s.case,
        &[&w.jobbtorg],
        &["informationsutbyte"],
    )
    .await?;
    let mut coaches = Vec::new();
    for n in 0..25 {
        let coach = app
            .user(
                &w.jobbtorg,
                &format!("coach{n}"),
                &[samverkan::domain::Role::Jobbcoach],
            )
            .await?;
        app.prefer(&coach, &["message_received"], "immediate")
            .await?;
        coaches.push(coach);
    }
    // 8 messages x 25 coaches = 200 notifications, each with an e-mail, while SMTP is down.
    for n in 0..8 {
        ok(app
            .post(
                &w.social_worker,
                &format!("/api/cases/{}/messages", s.case),
                json!({"body": format!("Meddelande {n}")}),
            )
            .await?);
    }
    let expected: BTreeSet<String> = outbox_message_ids(&app)
        .await?
        .difference(&already_sent)
        .cloned()
        .collect();
    assert_eq!(expected.len(), 200);
    // The worker has tried and failed.
    let start = std::time::Instant::now();
    loop {
        let (tried,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM outbox WHERE attempts > 0 AND last_error IS NOT NULL",
        )
        .fetch_one(app.store.pool())
        .await?;
        if tried > 0 {
            break;
        }
        anyhow::ensure!(start.elapsed() < WAIT, "the worker never tried");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(unsent(&app).await?, 200);
    let app = app.restart().await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        unsent(&app).await?,
        200,
        "still down: nothing sent, nothing dropped"
    );
    smtp.up().await?;
    smtp.wait_for(201, WAIT).await?;
    wait_until_sent(&app).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received: Vec<Received> = smtp
        .received()?
        .into_iter()
        .filter(|r| !already_sent.contains(&r.message_id))
        .collect();
    assert_eq!(received.len(), 200);
    assert_each_once(&received, &expected);
    let recipients: BTreeSet<String> = received.iter().map(|r| r.to.clone()).collect();
    assert_eq!(recipients.len(), 25);
    Ok(())
}

async fn two_workers_on_one_database_never_send_the_same_email(
    backend: Backend,
) -> anyhow::Result<()> {
    let smtp = SmtpServer::start().await?;
    // The app's own worker stays off; two workers with their own pools do the sending.
    let port = smtp.port;
    let app = spawn_app_with(backend, |s| {
        with_smtp(s, port);
        s.mail.enabled = false;
        s.mail.batch_size = 3;
    })
    .await?
    .ok_or_else(|| anyhow::anyhow!("no PostgreSQL"))?;
    let s = setup(&app).await?;
    let w = &s.world;
    for n in 0..12 {
        app.user(
            &w.clinic,
            &format!("vc{n}"),
            &[samverkan::domain::Role::Rehabkoordinator],
        )
        .await?;
    }
    for _ in 0..8 {
        app.sent_inquiry(&w.social_worker, &s.case, &w.clinic)
            .await?;
    }
    let expected = outbox_message_ids(&app).await?;
    assert_eq!(expected.len(), 8 * 13);
    let settings = Arc::new(app.settings.clone());
    let stop = tokio_util::sync::CancellationToken::new();
    let mut tasks = Vec::new();
    let mut stores = Vec::new();
    for node in ["node-1", "node-2"] {
        let store = samverkan::store::Store::connect(&app.settings.database).await?;
        let worker = samverkan::mail::worker::Worker::new(store.clone(), settings.clone(), node)?;
        tasks.push(worker.spawn(stop.clone()));
        stores.push(store);
    }
    let received = smtp.wait_for(expected.len(), WAIT).await?;
    wait_until_sent(&app).await?;
    stop.cancel();
    for task in tasks {
        task.await?;
    }
    let claimed_by: Vec<(String,)> =
        sqlx::query_as("SELECT DISTINCT last_error FROM outbox WHERE last_error IS NOT NULL")
            .fetch_all(app.store.pool())
            .await?;
    assert!(claimed_by.is_empty(), "no failures: {claimed_by:?}");
    assert_each_once(&smtp.received()?, &expected);
    assert!(received.len() >= expected.len());
    for store in stores {
        store.close().await;
    }
    Ok(())
}

/// The server took the message but the connection broke before its answer: the worker cannot
/// know, so it sends again, with the same Message-ID (the receiver can drop the copy).
async fn a_message_resent_after_a_broken_connection_keeps_its_message_id(
    backend: Backend,
) -> anyhow::Result<()> {
    let smtp = SmtpServer::start().await?;
    smtp.fault("drop-next")?;
    let app = app_with_smtp(backend, &smtp).await?;
    let s = setup(&app).await?;
    let w = &s.world;
    app.sent_inquiry(&w.social_worker, &s.case, &w.clinic)
        .await?;
    let received = smtp.wait_for(2, WAIT).await?;
    wait_until_sent(&app).await?;
    assert_eq!(received.len(), 2, "the dropped one and the resend");
    assert_eq!(received[0].message_id, received[1].message_id);
    assert_eq!(
        outbox_message_ids(&app).await?,
        BTreeSet::from([received[0].message_id.clone()])
    );
    let (attempts,): (i64,) = sqlx::query_as("SELECT attempts FROM outbox")
        .fetch_one(app.store.pool())
        .await?;
    assert_eq!(attempts, 2);
    assert!(app.outbox().await?[0].2, "marked sent after the resend");
    Ok(())
}

/// attempts, sent_at, failed_at, last_error of an outbox row.
type OutboxState = (i64, Option<i64>, Option<i64>, Option<String>);

/// A permanent refusal (5xx) is recorded and not retried; the next e-mail still goes out.
async fn a_permanently_refused_email_is_kept_as_failed_and_not_retried(
    backend: Backend,
) -> anyhow::Result<()> {
    let smtp = SmtpServer::start().await?;
    smtp.fault("reject-next")?;
    let app = app_with_smtp(backend, &smtp).await?;
    let s = setup(&app).await?;
    let w = &s.world;
    app.sent_inquiry(&w.social_worker, &s.case, &w.clinic)
        .await?;
    wait_until_sent(&app).await?;
    let rows: Vec<OutboxState> =
        sqlx::query_as("SELECT attempts, sent_at, failed_at, last_error FROM outbox")
            .fetch_all(app.store.pool())
            .await?;
    assert_eq!(rows.len(), 1);
    let (attempts, sent_at, failed_at, last_error) = &rows[0];
    assert_eq!(*attempts, 1, "not retried");
    assert!(sent_at.is_none() && failed_at.is_some());
    assert!(
        last_error.as_deref().unwrap_or_default().contains("554"),
        "{last_error:?}"
    );
    assert!(smtp.received()?.is_empty());
    // The worker goes on with the next one.
    app.sent_inquiry(&w.social_worker, &s.case, &w.clinic)
        .await?;
    assert_eq!(smtp.wait_for(1, WAIT).await?.len(), 1);
    Ok(())
}

on_both_stores!(
    a_message_resent_after_a_broken_connection_keeps_its_message_id,
    a_permanently_refused_email_is_kept_as_failed_and_not_retried,
    an_email_says_only_that_something_waits_in_swedish_text_and_html,
    no_email_is_lost_or_doubled_through_an_smtp_outage_and_a_restart,
    two_workers_on_one_database_never_send_the_same_email,
);
