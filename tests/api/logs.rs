//! The JSON log of a whole scenario, as operators collect it, holds no name, personnummer,
//! e-mail address or text a user wrote. The log is captured in this process (the hub
//! runs in it), with the hub's own JSON set-up (`telemetry::init_to`), at debug level
//! for the hub and its HTTP layer, so request spans are included.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use reqwest::StatusCode;
use samverkan::config::LogSettings;
use samverkan::domain::Role;
use serde_json::json;

use crate::helpers::*;
use crate::smtp::SmtpServer;
use crate::stream::StreamClient;

static CAPTURING: AtomicBool = AtomicBool::new(false);
static CAPTURED: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Appends to `CAPTURED` while `CAPTURING` (other tests of this binary log here too, before
/// and after; while capturing, their lines are kept as well and searched alike).
struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if CAPTURING.load(Ordering::Relaxed) {
            if let Ok(mut captured) = CAPTURED.lock() {
                captured.extend_from_slice(buf);
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_log_of_a_full_scenario_names_no_one() -> anyhow::Result<()> {
    samverkan::telemetry::init_to(
        &LogSettings {
            filter: "info,samverkan=debug,tower_http=debug".into(),
            format: "json".into(),
        },
        || Capture,
    );
    CAPTURING.store(true, Ordering::Relaxed);
    let smtp = SmtpServer::start().await?;
    let port = smtp.port;
    let app = spawn_app_with(Backend::Sqlite, |s| {
        with_smtp(s, port);
        s.stream.allowed_origins = vec!["http://localhost:8080".into()];
    })
    .await?
    .ok_or_else(|| anyhow::anyhow!("sqlite always runs"))?;

    // People with names and addresses of their own, so any trace of them can be found.
    let social = app
        .organisation(
            "Socialtjänsten Logg",
            samverkan::domain::OrganisationKind::Socialtjanst,
        )
        .await?;
    let clinic = app
        .organisation(
            "Vårdcentral Logg",
            samverkan::domain::OrganisationKind::Vardcentral,
        )
        .await?;
    let worker = app
        .user(&social, "karin.lindqvist", &[Role::Socialsekreterare])
        .await?;
    let coordinator = app
        .user(&clinic, "petter.vinterkvist", &[Role::Rehabkoordinator])
        .await?;
    let sign_in = |password: &'static str| {
        app.anonymous(
            reqwest::Method::POST,
            "/api/auth/login",
            Some(json!({"username": "karin.lindqvist", "password": password})),
        )
    };
    assert_eq!(
        sign_in("fel-lösenord-hemligt").await?.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(sign_in(PASSWORD).await?.status, StatusCode::OK);

    let personnummer = pnr("19620917123");
    let (_, case) = app
        .case_for(&worker, &personnummer, "Sigrid Tallroth-Ekblom")
        .await?;
    app.consent(
        &worker,
        &case,
        &[&clinic],
        &["informationsutbyte", "rehabiliteringsforfragan", "sip"],
    )
    .await?;
    let mut stream = StreamClient::connect(&app, &coordinator, None).await?;
    let message = app
        .post(
            &worker,
            &format!("/api/cases/{case}/messages"),
            json!({"body": "Sigrid berättar om ryggsmärtan och sömnproblemen"}),
        )
        .await?;
    assert_eq!(message.status, StatusCode::CREATED, "{}", message.body);
    let inquiry = app.sent_inquiry(&worker, &case, &clinic).await?;
    let opened = app
        .get(&coordinator, &format!("/api/inquiries/{inquiry}"))
        .await?;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.body);
    let mut meeting = TestApp::meeting_body(Some(&case), "sip_mote", 48, &[&coordinator]);
    meeting["external_attendees"] =
        json!([{"name": "Gunvor Ekblom", "email": "gunvor.ekblom@anhorig.example"}]);
    let booked = app.post(&worker, "/api/meetings", meeting).await?;
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.body);
    // A refused registration (bad check digit) logs too, and must not log what was sent.
    let refused = app
        .post(
            &worker,
            "/api/individuals",
            json!({"personnummer": "196209171230", "name": "Sigrid Tallroth-Ekblom"}),
        )
        .await?;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        stream.next(Duration::from_secs(5)).await?.is_some(),
        "the stream got events"
    );
    // E-mails: the inquiry's to the clinic, the meeting's to the external attendee.
    smtp.wait_for(1, Duration::from_secs(60)).await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !smtp
        .received()?
        .iter()
        .any(|m| m.to == "gunvor.ekblom@anhorig.example")
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the external attendee was never e-mailed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stream.close().await;
    drop(app);
    tokio::time::sleep(Duration::from_millis(200)).await;
    CAPTURING.store(false, Ordering::Relaxed);

    let log = String::from_utf8_lossy(&CAPTURED.lock().map_err(|_| anyhow::anyhow!("poisoned"))?)
        .into_owned();
    // The capture worked: JSON lines from the hub's requests and background tasks.
    assert!(log.lines().count() > 20, "{log}");
    assert!(
        log.lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()),
        "JSON lines"
    );
    assert!(
        log.contains("/api/cases/{id}/messages")
            || log.contains(&format!("/api/cases/{case}/messages")),
        "request spans are logged"
    );
    assert!(
        log.contains("audit_head_row"),
        "the audit head is anchored in the log"
    );
    let lowered = log.to_lowercase();
    for personal in [
        personnummer.as_str(),
        &personnummer[2..],
        "196209171230",
        "sigrid",
        "tallroth",
        "ekblom",
        "gunvor",
        "anhorig.example",
        "karin",
        "lindqvist",
        "vinterkvist",
        "ryggsmärtan",
        "sömnproblemen",
        "fel-lösenord",
        PASSWORD,
    ] {
        assert!(
            !lowered.contains(&personal.to_lowercase()),
            "{personal:?} in the log:\n{}",
            log.lines()
                .filter(|l| l.to_lowercase().contains(&personal.to_lowercase()))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    Ok(())
}
