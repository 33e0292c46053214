//! E-mail through the outbox to a real SMTP server process (aiosmtpd on loopback): what the
//! e-mails say and how they are built, that none is lost or doubled through an outage and a
//! restart, that two workers on one database never send the same one, and that nothing about
//! the individual or the case ever leaves in one.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::helpers::*;
use crate::inquiries::{answer_body, ok, setup};
use crate::per_backend;
use crate::smtp::{Received, SmtpServer};

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

/// Canaries: everything about an individual and their case that must never be in an e-mail.
struct Canaries(Vec<String>);

impl Canaries {
    fn check(&self, mail: &Received) {
        let all = mail.all_text().to_lowercase();
        for canary in &self.0 {
            assert!(
                !all.contains(&canary.to_lowercase()),
                "canary {canary:?} leaked into {}:\n{}",
                mail.subject,
                mail.raw
            );
        }
    }
}

async fn no_name_personnummer_diagnosis_or_case_detail_leaves_by_mail(
    backend: Backend,
) -> anyhow::Result<()> {
    let smtp = SmtpServer::start().await?;
    let app = app_with_smtp(backend, &smtp).await?;
    let w = app.world().await?;
    sqlx::query(&format!(
        "UPDATE organisations SET functional_email = 'rehab@vc-alfa.example.se' WHERE id = '{}'",
        w.clinic.id
    ))
    .execute(app.store.pool())
    .await?;
    let coach = app
        .user(&w.jobbtorg, "coach", &[samverkan::domain::Role::Jobbcoach])
        .await?;
    let everyone = [
        &w.social_worker,
        &w.colleague,
        &w.rehab_lead,
        &w.coordinator,
        &w.other_coordinator,
        &coach,
    ];
    let kinds = [
        "inquiry_received",
        "inquiry_assigned",
        "inquiry_answered",
        "inquiry_declined",
        "inquiry_overdue",
        "message_received",
        "consent_ending",
        "access_revoked",
        "meeting_invitation",
        "meeting_changed",
        "meeting_cancelled",
        "meeting_reminder",
    ];
    for user in everyone {
        app.prefer(user, &kinds, "immediate").await?;
    }
    // The coach hears of messages in the daily digest, so the digest is checked too.
    app.prefer(&coach, &["message_received"], "digest").await?;
    let mut canaries = vec![
        "Socialtjänsten Test".to_owned(),
        "Vårdcentral Alfa".to_owned(),
        "Jobbtorg Test".to_owned(),
    ];
    let mut seen_kinds = BTreeSet::new();
    for n in 0..6 {
        let name = format!("Kanariefågel{n} Hemligsdotter");
        let personnummer = pnr(&format!("1985031{n}12{n}"));
        let protected = n % 2 == 1;
        let individual = ok(app.post(&w.social_worker, "/api/individuals", json!({"personnummer": personnummer, "name": name, "protected_identity": protected})).await?).id();
        let title = format!("Kanarieärende{n} skuld och missbruk");
        let case = ok(app
            .post(
                &w.social_worker,
                "/api/cases",
                json!({"individual_id": individual, "title": title}),
            )
            .await?)
        .id();
        let diagnosis = format!("Kanariediagnos{n} svår depression");
        let message = format!("Kanariemeddelande{n} om bostad på Hemliga gatan {n}");
        canaries.extend([
            name.clone(),
            name.split(' ').next().unwrap().to_owned(),
            personnummer.clone(),
            personnummer.replace('-', ""),
            // The birth date and the last four digits together (alone, four digits turn up
            // in random ids).
            personnummer[..8].to_owned(),
            title,
            diagnosis.clone(),
            message.clone(),
            "Hemliga gatan".to_owned(),
            individual.clone(),
            case.clone(),
        ]);
        let short = (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339();
        let consent = ok(app.post(&w.social_worker, &format!("/api/cases/{case}/consents"), json!({
            "organisation_ids": [w.clinic.id, w.jobbtorg.id], "purposes": ["rehabiliteringsforfragan", "informationsutbyte", "sip"],
            "forms": ["skriftligt"], "document_reference": format!("Kanariedokument{n}"), "valid_until": short,
        })).await?).id();
        canaries.push(format!("Kanariedokument{n}"));
        // Answered, declined and overdue inquiries.
        let mut body = TestApp::inquiry_body(&w.clinic);
        body["questions"] = json!(format!("Kanariefråga{n}: klarar {name} arbete?"));
        canaries.push(format!("Kanariefråga{n}"));
        let inquiries: Vec<String> = {
            let mut ids = Vec::new();
            for _ in 0..3 {
                let id = ok(app
                    .post(
                        &w.social_worker,
                        &format!("/api/cases/{case}/inquiries"),
                        body.clone(),
                    )
                    .await?)
                .id();
                ok(app
                    .post_empty(&w.social_worker, &format!("/api/inquiries/{id}/send"))
                    .await?);
                ids.push(id);
            }
            ids
        };
        ok(app
            .get(&w.coordinator, &format!("/api/inquiries/{}", inquiries[0]))
            .await?);
        ok(app
            .post(
                &w.coordinator,
                &format!("/api/inquiries/{}/assign", inquiries[0]),
                json!({"assignee_user_id": w.coordinator.id}),
            )
            .await?);
        let mut answer = answer_body();
        answer["diagnoses"] = json!([{"text": diagnosis, "icd10": "F32.2"}]);
        answer["avoid"] = json!(format!("Kanarieundvik{n}"));
        canaries.push(format!("Kanarieundvik{n}"));
        ok(app
            .post(
                &w.coordinator,
                &format!("/api/inquiries/{}/answer", inquiries[0]),
                answer,
            )
            .await?);
        ok(app
            .post(
                &w.coordinator,
                &format!("/api/inquiries/{}/decline", inquiries[1]),
                json!({"reason": "other", "text": format!("Kanarieskäl{n}")}),
            )
            .await?);
        canaries.push(format!("Kanarieskäl{n}"));
        app.set_answer_by(
            &inquiries[2],
            chrono::Utc::now().date_naive() - chrono::Days::new(1),
        )
        .await?;
        ok(app
            .post(
                &coach,
                &format!("/api/cases/{case}/messages"),
                json!({"body": message}),
            )
            .await?);
        ok(app
            .post(
                &w.social_worker,
                &format!("/api/cases/{case}/messages"),
                json!({"body": message}),
            )
            .await?);
        // Meetings with the individual invited by e-mail: invited, moved, cancelled; one stays.
        for cancel in [false, true] {
            let mut meeting =
                TestApp::meeting_body(Some(&case), "sip_mote", 30, &[&w.coordinator, &coach]);
            meeting["external_attendees"] =
                json!([{"name": name, "email": format!("person{n}@example.org")}]);
            let id = ok(app.post(&w.social_worker, "/api/meetings", meeting).await?).id();
            let later = (chrono::Utc::now() + chrono::Duration::hours(40)).with_nanosecond_zeroed();
            let rfc = |t: chrono::DateTime<chrono::Utc>| {
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            };
            let moved = json!({"starts_at": rfc(later), "ends_at": rfc(later + chrono::Duration::hours(1))});
            ok(app
                .patch(&w.social_worker, &format!("/api/meetings/{id}"), moved)
                .await?);
            if cancel {
                ok(app
                    .post_empty(&w.social_worker, &format!("/api/meetings/{id}/cancel"))
                    .await?);
            }
        }
        // Reminders (overdue, consent ending), then the consent ends: access revoked.
        app.scheduler_round(chrono::Utc::now()).await?;
        ok(app.end_consent(&w.social_worker, &consent).await?);
    }
    let tomorrow = chrono::Utc::now().date_naive() + chrono::Days::new(1);
    let digest_at = tomorrow
        .and_hms_opt(app.settings.notifications.digest_hour_utc, 0, 0)
        .unwrap()
        .and_utc();
    let digest_round = app.scheduler_round(digest_at).await?;
    assert_eq!(digest_round.digests, 1);
    // The meetings left standing: reminded a day before, in one of the two rounds.
    let reminders = app
        .scheduler_round(chrono::Utc::now() + chrono::Duration::hours(20))
        .await?;
    assert_eq!(
        digest_round.meeting_reminders + reminders.meeting_reminders,
        6
    );
    for row in app.outbox().await? {
        seen_kinds.insert(row.1);
    }
    let expected_kinds: BTreeSet<String> = kinds
        .iter()
        .map(|k| (*k).to_owned())
        .chain(["digest".to_owned()])
        .collect();
    assert_eq!(
        seen_kinds, expected_kinds,
        "every kind went through the outbox"
    );
    wait_until_sent(&app).await?;
    // A meeting e-mail that a newer one superseded while unsent is never sent.
    let total = app.outbox().await?.iter().filter(|row| row.2).count();
    let received = smtp.wait_for(total, WAIT).await?;
    assert_eq!(received.len(), total);
    let canaries = Canaries(canaries);
    for mail in &received {
        canaries.check(mail);
        assert!(mail.subject.starts_with("Samverkan: "), "{}", mail.subject);
    }
    Ok(())
}

/// The iCalendar part's properties (unfolded; parameters dropped), in order.
fn ics_properties(ics: &str) -> Vec<(String, String)> {
    let unfolded = ics.replace("\r\n ", "").replace("\r\n\t", "");
    unfolded
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.split(';').next().unwrap_or(k).to_owned(), v.to_owned()))
        .collect()
}

fn ics_value(props: &[(String, String)], name: &str) -> String {
    props
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// Checks a meeting e-mail's structure and returns its calendar properties.
fn meeting_mail(mail: &Received, method: &str) -> Vec<(String, String)> {
    assert_eq!(mail.root_type, "multipart/alternative");
    let types: Vec<&str> = mail.parts.iter().map(|p| p.content_type.as_str()).collect();
    assert_eq!(types, ["text/plain", "text/html", "text/calendar"]);
    let calendar = mail.part("text/calendar").unwrap();
    assert_eq!(
        calendar.param("method"),
        Some(method),
        "content type names the method"
    );
    let props = ics_properties(&calendar.text);
    assert_eq!(
        ics_value(&props, "METHOD"),
        method,
        "the VCALENDAR has the same method"
    );
    assert_eq!(ics_value(&props, "SUMMARY"), "Samverkansmöte");
    props
}

async fn meeting_emails_carry_an_ics_with_a_stable_uid_and_a_rising_sequence(
    backend: Backend,
) -> anyhow::Result<()> {
    let smtp = SmtpServer::start().await?;
    let app = app_with_smtp(backend, &smtp).await?;
    let w = app.world().await?;
    let case = app.sip_case(&w, "19850312123", "Amina Kanariesson").await?;
    let mut body = TestApp::meeting_body(Some(&case), "sip_mote", 48, &[&w.coordinator]);
    body["external_attendees"] =
        json!([{"name": "Amina Kanariesson", "email": "amina@example.org"}]);
    let id = ok(app.post(&w.social_worker, "/api/meetings", body).await?).id();
    let invitations = smtp.wait_for(2, WAIT).await?;
    assert_eq!(
        invitations.len(),
        2,
        "the coordinator and the external attendee; not the organiser"
    );
    let by_to = |list: &[Received], to: &str| list.iter().find(|m| m.to == to).cloned().unwrap();
    let staff = by_to(&invitations, "rk@example.se");
    let external = by_to(&invitations, "amina@example.org");
    assert_eq!(staff.subject, "Samverkan: Inbjudan till samverkansmöte");
    let first = meeting_mail(&staff, "REQUEST");
    let first_external = meeting_mail(&external, "REQUEST");
    let uid = ics_value(&first, "UID");
    assert!(uid.starts_with(&id), "{uid}");
    assert_eq!(ics_value(&first_external, "UID"), uid);
    assert!(
        ics_value(&first, "ATTENDEE").ends_with("mailto:rk@example.se"),
        "{first:?}"
    );
    assert!(ics_value(&first_external, "ATTENDEE").ends_with("mailto:amina@example.org"));
    assert!(ics_value(&first, "DTSTART").ends_with('Z'), "UTC");
    let seq0: i64 = ics_value(&first, "SEQUENCE").parse()?;
    // The external attendee's e-mail links to the meeting, and names nobody.
    let text = &external.part("text/plain").unwrap().text;
    assert!(
        text.contains(&format!("https://samverkan.test/moten/{id}")),
        "{text}"
    );
    for mail in [&staff, &external] {
        let all = mail.all_text();
        assert!(
            !all.contains("Kanariesson") && !all.contains("19850312") && !all.contains(&case),
            "{all}"
        );
    }

    // Moved: a new REQUEST, same UID, higher SEQUENCE, to both.
    let later = (chrono::Utc::now() + chrono::Duration::hours(72)).with_nanosecond_zeroed();
    ok(app.patch(&w.social_worker, &format!("/api/meetings/{id}"), json!({
        "starts_at": later.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "ends_at": (later + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })).await?);
    let all = smtp.wait_for(4, WAIT).await?;
    let changed: Vec<Received> = all
        .iter()
        .filter(|m| m.subject.contains("Ändrat"))
        .cloned()
        .collect();
    assert_eq!(changed.len(), 2);
    let moved = meeting_mail(&by_to(&changed, "rk@example.se"), "REQUEST");
    assert_eq!(ics_value(&moved, "UID"), uid);
    let seq1: i64 = ics_value(&moved, "SEQUENCE").parse()?;
    assert!(seq1 > seq0, "{seq1} > {seq0}");
    assert_eq!(
        ics_value(&moved, "DTSTART"),
        later.format("%Y%m%dT%H%M%SZ").to_string()
    );
    assert_eq!(
        ics_value(
            &meeting_mail(&by_to(&changed, "amina@example.org"), "REQUEST"),
            "SEQUENCE"
        ),
        seq1.to_string()
    );

    // Cancelled: CANCEL in both places, STATUS:CANCELLED, same UID, higher SEQUENCE again.
    ok(app
        .post_empty(&w.social_worker, &format!("/api/meetings/{id}/cancel"))
        .await?);
    let all = smtp.wait_for(6, WAIT).await?;
    let cancelled: Vec<Received> = all
        .iter()
        .filter(|m| m.subject.contains("Inställt"))
        .cloned()
        .collect();
    assert_eq!(cancelled.len(), 2);
    for mail in &cancelled {
        let props = meeting_mail(mail, "CANCEL");
        assert_eq!(ics_value(&props, "UID"), uid);
        assert_eq!(ics_value(&props, "STATUS"), "CANCELLED");
        let seq2: i64 = ics_value(&props, "SEQUENCE").parse()?;
        assert!(seq2 > seq1, "{seq2} > {seq1}");
    }
    // In the hub: the coordinator was notified of all three; the organiser of none.
    assert_eq!(
        app.notification_kinds(&w.coordinator).await?,
        ["meeting_invitation", "meeting_changed", "meeting_cancelled"]
    );
    assert!(app.notification_kinds(&w.social_worker).await?.is_empty());
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

per_backend!(
    a_message_resent_after_a_broken_connection_keeps_its_message_id,
    a_permanently_refused_email_is_kept_as_failed_and_not_retried,
    an_email_says_only_that_something_waits_in_swedish_text_and_html,
    no_email_is_lost_or_doubled_through_an_smtp_outage_and_a_restart,
    two_workers_on_one_database_never_send_the_same_email,
    no_name_personnummer_diagnosis_or_case_detail_leaves_by_mail,
    meeting_emails_carry_an_ics_with_a_stable_uid_and_a_rising_sequence,
);
