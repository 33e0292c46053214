//! `/metrics` on its own listener: the figures move with a small scenario (sign-in, a
//! case, a message, an inquiry whose e-mail waits and is then sent, a live stream, a
//! scheduler round), and no label carries an id or personal data.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::on_both_stores;
use crate::smtp::SmtpServer;
use crate::stream::StreamClient;

const WAIT: Duration = Duration::from_secs(30);

/// The text exposition from the app's metrics listener.
pub async fn scrape(app: &TestApp) -> anyhow::Result<String> {
    let addr = app
        .metrics_addr
        .ok_or_else(|| anyhow::anyhow!("no metrics listener"))?;
    let reply = app
        .raw(app.client.get(format!("http://{addr}/metrics")))
        .await?;
    anyhow::ensure!(reply.status == StatusCode::OK, "{}", reply.status);
    anyhow::ensure!(
        reply
            .content_type
            .starts_with("application/openmetrics-text; version=1.0.0")
            && reply.body.as_str().is_some_and(|t| t.ends_with("# EOF\n")),
        "{}",
        reply.content_type
    );
    Ok(reply.body.as_str().unwrap_or_default().to_owned())
}

/// The value of the first sample `name` whose labels include every one of `labels`.
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, label_text) = match series.split_once('{') {
                Some((metric, rest)) => (metric, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let all = labels.iter().all(|(key, value)| {
                label_text
                    .split(',')
                    .any(|pair| pair == format!("{key}=\"{value}\""))
            });
            (metric == name && all)
                .then(|| value.parse().ok())
                .flatten()
        })
}

/// Scrapes until `ready` holds for the text, or fails after `WAIT` showing the last scrape.
pub async fn scrape_until(
    app: &TestApp,
    what: &str,
    ready: impl Fn(&str) -> bool,
) -> anyhow::Result<String> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let text = scrape(app).await?;
        if ready(&text) {
            return Ok(text);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "{what} never showed on /metrics:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn login(app: &TestApp, username: &str, password: &str) -> anyhow::Result<StatusCode> {
    let reply = app
        .anonymous(
            reqwest::Method::POST,
            "/api/auth/login",
            Some(json!({"username": username, "password": password})),
        )
        .await?;
    Ok(reply.status)
}

on_both_stores!(the_figures_move_with_a_small_scenario_and_no_label_names_anyone);

async fn the_figures_move_with_a_small_scenario_and_no_label_names_anyone(
    backend: Backend,
) -> anyhow::Result<()> {
    let mut smtp = SmtpServer::start().await?;
    // Down at first, so the inquiry's e-mail waits in the outbox and its attempt fails.
    smtp.down().await?;
    let port = smtp.port;
    let app = spawn_app_with(backend, |s| {
        with_smtp(s, port);
        // The test stream client's Origin, which with_smtp's public URL would not allow.
        s.stream.allowed_origins = vec!["http://localhost:8080".into()];
        s.notifications.scheduler_enabled = true;
        s.notifications.scheduler_interval_seconds = 1;
    })
    .await?
    .ok_or_else(|| anyhow::anyhow!("no PostgreSQL"))?;
    let before = scrape(&app).await?;
    assert_eq!(
        sample(&before, "samverkan_stream_connections", &[]),
        Some(0.0)
    );
    assert_eq!(sample(&before, "samverkan_outbox_depth", &[]), Some(0.0));
    let public = app.client.get(app.url("/metrics")).send().await?;
    assert_eq!(
        public.status(),
        StatusCode::NOT_FOUND,
        "not on the public listener"
    );

    let w = app.world().await?;
    assert_eq!(
        login(&app, "sw", "fel-lösenord-999").await?,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(login(&app, "sw", PASSWORD).await?, StatusCode::OK);
    let personnummer = pnr("19790404123");
    let (individual, case) = app
        .case_for(&w.social_worker, &personnummer, "Signe Tallroth")
        .await?;
    app.consent(
        &w.social_worker,
        &case,
        &[&w.clinic],
        &["informationsutbyte", "rehabiliteringsforfragan"],
    )
    .await?;
    let stream = StreamClient::connect(&app, &w.coordinator, None).await?;
    let message = app
        .post(
            &w.social_worker,
            &format!("/api/cases/{case}/messages"),
            json!({"body": "Signe mår bättre efter samtalet"}),
        )
        .await?;
    assert_eq!(message.status, StatusCode::CREATED, "{}", message.body);
    app.sent_inquiry(&w.social_worker, &case, &w.clinic).await?;

    let waiting = scrape_until(&app, "a waiting e-mail and a failed attempt", |t| {
        sample(t, "samverkan_outbox_depth", &[]) >= Some(1.0)
            && sample(t, "samverkan_mails_total", &[("outcome", "retry")]) >= Some(1.0)
    })
    .await?;
    assert!(
        sample(&waiting, "samverkan_outbox_oldest_age_seconds", &[]) > Some(0.0),
        "{waiting}"
    );
    assert_eq!(
        sample(&waiting, "samverkan_stream_connections", &[]),
        Some(1.0)
    );

    smtp.up().await?;
    smtp.wait_for(1, WAIT).await?;
    let after = scrape_until(&app, "the e-mail sent and the outbox empty", |t| {
        sample(t, "samverkan_mails_total", &[("outcome", "sent")]) >= Some(1.0)
            && sample(t, "samverkan_outbox_depth", &[]) == Some(0.0)
            && sample(t, "samverkan_scheduler_last_round_timestamp_seconds", &[]) > Some(0.0)
    })
    .await?;

    // Requests by route template, method and status, and their latencies.
    let requests = |route: &str, method: &str, status: &str| {
        sample(
            &after,
            "samverkan_http_requests_total",
            &[("route", route), ("method", method), ("status", status)],
        )
    };
    assert!(
        requests("/api/cases", "POST", "201") >= Some(1.0),
        "{after}"
    );
    assert!(
        requests("/api/cases/{id}/messages", "POST", "201") >= Some(1.0),
        "{after}"
    );
    assert!(
        requests("/api/inquiries/{id}/send", "POST", "200") >= Some(1.0),
        "{after}"
    );
    assert_eq!(
        requests("/api/auth/login", "POST", "401"),
        Some(1.0),
        "{after}"
    );
    assert_eq!(
        requests("/api/auth/login", "POST", "200"),
        Some(1.0),
        "{after}"
    );
    assert_eq!(requests("/api/stream", "GET", "101"), Some(1.0), "{after}");
    assert!(
        sample(
            &after,
            "samverkan_http_request_duration_seconds_count",
            &[("route", "/api/cases/{id}/messages"), ("method", "POST")]
        ) >= Some(1.0),
        "{after}"
    );
    // Sign-ins by method and outcome (the fixtures' tokens are made without signing in).
    let sign_ins = |outcome| {
        sample(
            &after,
            "samverkan_sign_ins_total",
            &[("method", "password"), ("outcome", outcome)],
        )
    };
    assert_eq!(sign_ins("success"), Some(1.0));
    assert_eq!(sign_ins("invalid_credentials"), Some(1.0));
    // The store: every write waited for its connection, and the pools are shown.
    let waits = |text: &str| sample(text, "samverkan_store_writer_wait_seconds_count", &[]);
    assert!(waits(&after) > waits(&before), "{after}");
    let pool = if backend == Backend::Sqlite {
        "writer"
    } else {
        "shared"
    };
    assert!(
        sample(
            &after,
            "samverkan_store_connections",
            &[("pool", pool), ("state", "idle")]
        )
        .is_some(),
        "{after}"
    );
    assert_eq!(
        sample(&after, "samverkan_outbox_oldest_age_seconds", &[]),
        Some(0.0)
    );
    // SQLite's WAL as the checkpointer last found it: the scenario's writes are in it, and
    // nowhere near the size at which it is started over.
    let wal_frames = |text: &str| sample(text, "samverkan_store_wal_frames", &[]);
    if backend == Backend::Sqlite {
        let text = scrape_until(&app, "the WAL's frames", |text| {
            wal_frames(text) > Some(0.0)
        })
        .await?;
        assert_eq!(
            sample(&text, "samverkan_store_wal_restarts_total", &[]),
            Some(0.0),
            "{text}"
        );
    } else {
        assert_eq!(wal_frames(&after), None, "{after}");
    }
    assert_eq!(
        sample(&after, "samverkan_stream_queue_drops_total", &[]),
        Some(0.0)
    );
    assert!(sample(&after, "samverkan_scheduler_lag_seconds", &[]) >= Some(0.0));
    // No label is an id, a name, a personnummer or an address.
    for personal in [
        case.as_str(),
        individual.as_str(),
        personnummer.as_str(),
        &personnummer[2..],
        "Tallroth",
        "Signe",
        "example.se",
        &w.social_worker.id.to_string(),
        &w.coordinator.id.to_string(),
    ] {
        assert!(
            !after.contains(personal),
            "{personal} on /metrics:\n{after}"
        );
    }

    stream.close().await;
    scrape_until(&app, "the stream closed", |t| {
        sample(t, "samverkan_stream_connections", &[]) == Some(0.0)
    })
    .await?;
    Ok(())
}

/// `metrics.enabled = false`: no listener at all.
#[tokio::test]
async fn metrics_can_be_turned_off() -> anyhow::Result<()> {
    let app = spawn_app_with(Backend::Sqlite, |s| s.metrics.enabled = false)
        .await?
        .ok_or_else(|| anyhow::anyhow!("sqlite always runs"))?;
    assert_eq!(app.metrics_addr, None);
    Ok(())
}
