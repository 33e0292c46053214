//! The live stream: tickets, Origin, receipt by policy, resume across restarts, revocation
//! under load, slow and silent clients.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::helpers::*;
use crate::on_both_stores;

pub struct StreamClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub hello_seq: i64,
}

pub async fn ticket(app: &TestApp, user: &TestUser) -> anyhow::Result<String> {
    let reply = app.post(user, "/api/ws-ticket", json!({})).await?;
    anyhow::ensure!(
        reply.status == StatusCode::CREATED,
        "ticket: {} {}",
        reply.status,
        reply.body
    );
    Ok(reply.body["ticket"].as_str().unwrap_or_default().to_owned())
}

fn stream_url(app: &TestApp, ticket: &str, since: Option<i64>) -> String {
    let since = since.map(|s| format!("&since={s}")).unwrap_or_default();
    format!("ws://{}/api/stream?ticket={ticket}{since}", app.addr)
}

impl StreamClient {
    pub async fn connect(
        app: &TestApp,
        user: &TestUser,
        since: Option<i64>,
    ) -> anyhow::Result<Self> {
        let ticket = ticket(app, user).await?;
        let mut request = stream_url(app, &ticket, since).into_client_request()?;
        request
            .headers_mut()
            .insert("origin", "http://localhost:8080".parse()?);
        let (ws, _) = tokio_tungstenite::connect_async(request).await?;
        let mut client = Self { ws, hello_seq: -1 };
        let hello = client
            .next(Duration::from_secs(5))
            .await?
            .ok_or_else(|| anyhow::anyhow!("no hello"))?;
        anyhow::ensure!(hello["type"] == "hello", "first message {hello}");
        client.hello_seq = hello["seq"].as_i64().unwrap_or(-1);
        Ok(client)
    }

    /// The next JSON message, or `None` when nothing came within `wait` or the stream ended.
    pub async fn next(&mut self, wait: Duration) -> anyhow::Result<Option<Value>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return Ok(None),
                Ok(None) => return Ok(None),
                Ok(Some(frame)) => frame?,
            };
            match frame {
                Message::Text(text) => return Ok(Some(serde_json::from_str(&text)?)),
                Message::Close(_) => return Ok(None),
                _ => continue,
            }
        }
    }

    /// Messages until one satisfies `done` (included) or `wait` passes.
    pub async fn until(
        &mut self,
        wait: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> anyhow::Result<Vec<Value>> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut seen = Vec::new();
        while let Some(message) = self
            .next(deadline.saturating_duration_since(tokio::time::Instant::now()))
            .await?
        {
            let stop = done(&message);
            seen.push(message);
            if stop {
                break;
            }
        }
        Ok(seen)
    }

    /// The close code once the server ends the stream within `wait` (1006 when the
    /// connection ended without a close frame), or `None` while it stays open; events that
    /// come meanwhile are skipped.
    pub async fn closed_within(&mut self, wait: Duration) -> anyhow::Result<Option<u16>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return Ok(None),
                Ok(None) | Ok(Some(Err(_))) => return Ok(Some(1006)),
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return Ok(Some(frame.map_or(1005, |f| u16::from(f.code))))
                }
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

fn kinds(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn seqs(events: &[Value]) -> Vec<i64> {
    events.iter().filter_map(|e| e["seq"].as_i64()).collect()
}

const WAIT: Duration = Duration::from_secs(5);

on_both_stores! {
    async fn each_user_receives_exactly_the_events_they_may_see(app) {
        let world = app.world().await?;
        let (_, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina").await?;
        let mut social = StreamClient::connect(&app, &world.colleague, None).await?;
        let mut clinic = StreamClient::connect(&app, &world.coordinator, None).await?;
        let mut other = StreamClient::connect(&app, &world.other_coordinator, None).await?;
        let consent = app.consent(&world.social_worker, &case, &[&world.clinic], &["sip"]).await?;
        app.patch(&world.social_worker, &format!("/api/cases/{case}"), json!({"title": "Ny rubrik"})).await?;
        for client in [&mut social, &mut clinic] {
            let mut events = client.until(WAIT, |e| e["type"] == "case.updated").await?;
            // Committed before the client connected; it comes live if the hub had not yet
            // fanned it out (the hello's seq says where the client stands).
            events.retain(|e| e["type"] != "case.opened");
            assert_eq!(kinds(&events), ["consent.recorded", "case.updated"]);
            assert_eq!(events[0]["subject_id"], consent);
            assert_eq!(events[1]["case_id"], case);
            let keys: Vec<_> = events[1].as_object().unwrap().keys().cloned().collect();
            assert_eq!(keys, ["at", "case_id", "seq", "subject_id", "type"], "thin events only");
        }
        // The other clinic has nothing; its first event is about its own case.
        let (_, own) = app.case_for(&world.other_coordinator, &pnr("19790704456"), "Egen").await?;
        let first = other.next(WAIT).await?.expect("its own case event");
        assert_eq!(first["type"], "case.opened");
        assert_eq!(first["case_id"], own);
        Ok(())
    }

    async fn inquiry_and_message_events_reach_the_parties_and_no_one_else(app) {
        let s = crate::inquiries::setup(&app).await?;
        let w = &s.world;
        let coach = app.user(&w.jobbtorg, "coach", &[samverkan::domain::Role::Jobbcoach]).await?;
        // Jobbtorg sees the case for rehab inquiries and messages, but is no party to the inquiry;
        // the clinic's consent does not cover messages.
        app.consent(&w.social_worker, &s.case, &[&w.jobbtorg], &["rehabiliteringsforfragan", "informationsutbyte"]).await?;
        let mut social = StreamClient::connect(&app, &w.colleague, None).await?;
        let mut clinic = StreamClient::connect(&app, &w.coordinator, None).await?;
        let mut jobbtorg = StreamClient::connect(&app, &coach, None).await?;
        let mut other = StreamClient::connect(&app, &w.other_coordinator, None).await?;
        let id = crate::inquiries::inquiry_in(&app, &s, "assigned").await?;
        let message = app.post(&w.social_worker, &format!("/api/cases/{}/messages", s.case), json!({"body": "Hej"})).await?;
        assert_eq!(message.status, StatusCode::CREATED, "{}", message.body);
        app.patch(&w.social_worker, &format!("/api/cases/{}", s.case), json!({"title": "Markör"})).await?;
        let is_marker = |e: &Value| e["type"] == "case.updated";
        let inquiry = ["inquiry.sent", "inquiry.received", "inquiry.assigned"];
        let social_events = social.until(WAIT, is_marker).await?;
        assert_eq!(kinds(&social_events), [&inquiry[..], &["message.created", "case.updated"]].concat());
        assert!(social_events[..3].iter().all(|e| e["subject_id"] == id && e["case_id"] == s.case));
        assert_eq!(social_events[3]["subject_id"], message.id());
        let clinic_events = clinic.until(WAIT, is_marker).await?;
        // The coordinator is also notified: of the inquiry received and of it assigned to them.
        assert_eq!(
            kinds(&clinic_events),
            ["inquiry.sent", "notification.created", "inquiry.received", "inquiry.assigned", "notification.created", "case.updated"],
            "no message event without informationsutbyte"
        );
        let jobbtorg_events = jobbtorg.until(WAIT, is_marker).await?;
        assert_eq!(kinds(&jobbtorg_events), ["message.created", "notification.created", "case.updated"], "not a party to the inquiry");
        assert_eq!(other.next(Duration::from_millis(300)).await?, None, "the other clinic sees nothing");
        Ok(())
    }

    async fn a_ticket_opens_one_connection_once(app) {
        let world = app.world().await?;
        let ticket = ticket(&app, &world.social_worker).await?;
        let url = stream_url(&app, &ticket, None);
        let (ws, _) = tokio_tungstenite::connect_async(&url).await?;
        drop(ws);
        match tokio_tungstenite::connect_async(&url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
                let body: Value = serde_json::from_slice(response.body().as_deref().unwrap_or_default())?;
                assert_eq!(body["code"], "invalid_ticket");
            }
            other => panic!("a used ticket must be refused, got {other:?}"),
        }
        let forged = stream_url(&app, "0000", None);
        assert!(tokio_tungstenite::connect_async(&forged).await.is_err());
        Ok(())
    }

    async fn a_foreign_origin_is_refused(app) {
        let world = app.world().await?;
        let ticket = ticket(&app, &world.social_worker).await?;
        let mut request = stream_url(&app, &ticket, None).into_client_request()?;
        request.headers_mut().insert("origin", "https://evil.example".parse()?);
        match tokio_tungstenite::connect_async(request).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), StatusCode::FORBIDDEN);
                let body: Value = serde_json::from_slice(response.body().as_deref().unwrap_or_default())?;
                assert_eq!(body["code"], "origin_not_allowed");
            }
            other => panic!("expected 403, got {other:?}"),
        }
        // The refused attempt did not spend the ticket's holder anything: a good origin works.
        StreamClient::connect(&app, &world.social_worker, None).await?.close().await;
        Ok(())
    }

    async fn the_hubs_own_pages_may_connect_under_the_name_they_were_loaded_by(app) {
        let world = app.world().await?;
        let first = ticket(&app, &world.social_worker).await?;
        let mut request = stream_url(&app, &first, None).into_client_request()?;
        request.headers_mut().insert("origin", format!("http://{}", app.addr).parse()?);
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
        socket.close(None).await?;
        let second = ticket(&app, &world.social_worker).await?;
        let mut request = stream_url(&app, &second, None).into_client_request()?;
        request.headers_mut().insert("origin", format!("http://evil.example:{}", app.addr.port()).parse()?);
        match tokio_tungstenite::connect_async(request).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), StatusCode::FORBIDDEN, "another host is refused");
                let body: Value = serde_json::from_slice(response.body().as_deref().unwrap_or_default())?;
                assert_eq!(body["code"], "origin_not_allowed");
            }
            other => panic!("expected 403 origin_not_allowed, got {other:?}"),
        }
        // It was the origin that was refused: the same ticket still opens the stream.
        let mut request = stream_url(&app, &second, None).into_client_request()?;
        request.headers_mut().insert("origin", format!("http://{}", app.addr).parse()?);
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
        socket.close(None).await?;
        Ok(())
    }

    async fn a_client_resumes_across_a_restart_with_no_gap_and_no_duplicate(app) {
        let world = app.world().await?;
        let (_, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina").await?;
        let (_, private) = app.case_for(&world.social_worker, &pnr("19790704456"), "Privat").await?;
        app.consent(&world.social_worker, &case, &[&world.clinic], &["sip"]).await?;
        let mut clinic = StreamClient::connect(&app, &world.coordinator, None).await?;
        app.patch(&world.social_worker, &format!("/api/cases/{case}"), json!({"title": "1"})).await?;
        let seen = clinic.until(WAIT, |e| e["type"] == "case.updated").await?;
        let last_seen = *seqs(&seen).last().unwrap();
        clinic.close().await;

        // While the clinic is away: two visible changes, one invisible, and a restart between.
        app.patch(&world.social_worker, &format!("/api/cases/{case}"), json!({"title": "2"})).await?;
        app.patch(&world.social_worker, &format!("/api/cases/{private}"), json!({"title": "hemligt"})).await?;
        let app = app.restart().await?;
        app.patch(&world.social_worker, &format!("/api/cases/{case}"), json!({"title": "3"})).await?;

        let mut clinic = StreamClient::connect(&app, &world.coordinator, Some(last_seen)).await?;
        app.patch(&world.social_worker, &format!("/api/cases/{case}"), json!({"title": "4 live"})).await?;
        let events = clinic.until(WAIT, |_| false).await?;
        let updates: Vec<_> = events.iter().filter(|e| e["case_id"] == case).collect();
        assert_eq!(updates.len(), 3, "two missed and one live: {events:?}");
        assert!(events.iter().all(|e| e["case_id"] != private), "never the case it may not see");
        let s = seqs(&events);
        assert!(s.windows(2).all(|w| w[0] < w[1]), "in order, none twice: {s:?}");
        assert!(s[0] > last_seen);
        Ok(())
    }

    async fn after_a_consent_ends_the_clinic_gets_access_revoked_and_nothing_more_even_under_load(app) {
        let world = app.world().await?;
        let (_, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina").await?;
        let consent = app.consent(&world.social_worker, &case, &[&world.clinic], &["sip"]).await?;
        let mut clinic = StreamClient::connect(&app, &world.coordinator, None).await?;
        let mut owner = StreamClient::connect(&app, &world.colleague, None).await?;
        // Changes keep coming from two writers while the consent is ended.
        let writers: Vec<_> = [world.social_worker.clone(), world.rehab_lead.clone()].into_iter().map(|user| {
            let (client, url) = (app.client.clone(), app.url(&format!("/api/cases/{case}")));
            tokio::spawn(async move {
                for n in 0..40 {
                    let _ = client.patch(&url).bearer_auth(&user.token).json(&json!({"title": format!("t{n}")})).send().await;
                }
            })
        }).collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let ended = app.end_consent(&world.social_worker, &consent).await?;
        assert_eq!(ended.status, StatusCode::OK);
        for writer in writers {
            writer.await?;
        }
        app.patch(&world.social_worker, &format!("/api/cases/{case}"), json!({"title": "slut"})).await?;
        let owner_events = owner.until(WAIT, |e| e["type"] == "case.updated" && e["seq"].as_i64().is_some()).await?;
        assert!(!owner_events.is_empty());
        let clinic_events = clinic.until(Duration::from_secs(2), |_| false).await?;
        let revoked = clinic_events.iter().find(|e| e["type"] == "access_revoked").expect("access_revoked");
        assert_eq!(revoked["case_id"], case);
        let revoked_seq = revoked["seq"].as_i64().unwrap();
        let mut tx = app.store.begin().await?;
        let ended_seq: i64 = sqlx::Row::try_get(&sqlx::query("SELECT seq FROM events WHERE kind = 'consent.ended'").fetch_one(tx.conn()).await?, "seq")?;
        for event in &clinic_events {
            let seq = event["seq"].as_i64().unwrap();
            assert!(seq < ended_seq || seq == revoked_seq, "event {event} after the consent ended at {ended_seq}");
        }
        let after: i64 = sqlx::Row::try_get(&sqlx::query(&format!("SELECT COUNT(*) AS n FROM events WHERE seq > {ended_seq} AND case_id = '{case}'")).fetch_one(tx.conn()).await?, "n")?;
        assert!(after > 1, "the owner went on changing the case ({after} events after the end)");
        Ok(())
    }

    async fn a_client_that_stops_reading_is_disconnected_and_others_get_everything(app) {
        let world = app.world().await?;
        let (individual, case) = app.case_for(&world.social_worker, &pnr("19850312123"), "Amina").await?;
        let mut fast = StreamClient::connect(&app, &world.colleague, None).await?;
        // A client with a tiny receive window that never reads.
        let ticket = ticket(&app, &world.social_worker).await?;
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.set_recv_buffer_size(4096)?;
        let stream = socket.connect(app.addr).await?;
        let (_slow, _) = tokio_tungstenite::client_async(stream_url(&app, &ticket, None), MaybeTlsStream::Plain(stream)).await?;
        assert_eq!(app.state.hub.connections(), 2);
        // Many events at once, straight through the store.
        let count = 3_000;
        let mut tx = app.store.begin().await?;
        for _ in 0..count {
            tx.event(samverkan::events::NewEvent {
                kind: samverkan::domain::EventKind::CaseUpdated,
                case_id: Some(case.parse()?),
                individual_id: Some(individual.parse()?),
                subject_id: None,
                purpose: None,
                audience: samverkan::events::Audience::Case,
                detail: samverkan::events::Detail::None,
            });
        }
        tx.commit().await?;
        let mut got = 0;
        while got < count {
            match fast.next(Duration::from_secs(10)).await? {
                Some(event) if event["type"] == "case.updated" => got += 1,
                Some(_) => {}
                None => break,
            }
        }
        assert_eq!(got, count, "the fast client gets every event");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while app.state.hub.connections() > 1 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(app.state.hub.connections(), 1, "the slow client was disconnected");
        let scraped = crate::metrics::scrape(&app).await?;
        assert_eq!(crate::metrics::sample(&scraped, "samverkan_stream_queue_drops_total", &[]), Some(1.0), "{scraped}");
        assert_eq!(crate::metrics::sample(&scraped, "samverkan_stream_connections", &[]), Some(1.0), "{scraped}");
        Ok(())
    }
}

/// Two hub processes on one PostgreSQL: each delivers every event, whichever node committed
/// it, in one gapless order.
#[tokio::test]
async fn two_hub_nodes_on_one_postgres_deliver_each_others_events_in_one_order(
) -> anyhow::Result<()> {
    let Some(a) = spawn_app(Backend::Postgres).await? else {
        return Ok(());
    };
    let b = spawn_with_settings(a.settings.clone(), tempfile::tempdir()?).await?;
    let world = a.world().await?;
    let (_, case) = a
        .case_for(&world.social_worker, &pnr("19850312123"), "Amina")
        .await?;
    a.consent(&world.social_worker, &case, &[&world.clinic], &["sip"])
        .await?;
    let mut on_a = StreamClient::connect(&a, &world.coordinator, None).await?;
    let mut on_b = StreamClient::connect(&b, &world.coordinator, None).await?;
    let path = format!("/api/cases/{case}");
    let mut writes = Vec::new();
    for n in 0..20 {
        let node = if n % 2 == 0 { &a } else { &b };
        let (client, url, user) = (
            node.client.clone(),
            node.url(&path),
            world.social_worker.clone(),
        );
        writes.push(tokio::spawn(async move {
            let reply = client
                .patch(url)
                .bearer_auth(&user.token)
                .json(&json!({"title": format!("Rubrik {n}")}))
                .send()
                .await?;
            anyhow::ensure!(reply.status() == StatusCode::OK, "patch {}", reply.status());
            anyhow::Ok(())
        }));
    }
    for write in writes {
        write.await??;
    }
    let mut orders = Vec::new();
    for client in [&mut on_a, &mut on_b] {
        let mut updates = Vec::new();
        while updates.len() < 20 {
            let Some(event) = client.next(WAIT).await? else {
                break;
            };
            if event["type"] == "case.updated" {
                updates.push(event);
            }
        }
        assert_eq!(
            updates.len(),
            20,
            "every node's commits reach every node's clients"
        );
        let seqs = seqs(&updates);
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order: {seqs:?}");
        orders.push(seqs);
    }
    assert_eq!(orders[0], orders[1], "both nodes deliver one order");
    Ok(())
}

#[tokio::test]
async fn heartbeats_close_a_silent_connection() -> anyhow::Result<()> {
    let app = spawn_app_with(Backend::Sqlite, |s| s.stream.heartbeat_seconds = 1)
        .await?
        .unwrap();
    let world = app.world().await?;
    let ticket = ticket(&app, &world.social_worker).await?;
    // Connected but never reading, so never answering a ping.
    let (_silent, _) = tokio_tungstenite::connect_async(stream_url(&app, &ticket, None)).await?;
    let mut alive = StreamClient::connect(&app, &world.colleague, None).await?;
    assert_eq!(app.state.hub.connections(), 2);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(6);
    while tokio::time::Instant::now() < deadline && app.state.hub.connections() > 1 {
        // The live client reads (and so answers pings) all along.
        let _ = alive.next(Duration::from_millis(200)).await?;
    }
    assert_eq!(
        app.state.hub.connections(),
        1,
        "the silent one is gone, the reading one stays"
    );
    Ok(())
}

#[tokio::test]
async fn the_stream_refuses_plain_http_with_a_problem() -> anyhow::Result<()> {
    let app = spawn_app(Backend::Sqlite).await?.unwrap();
    let world = app.world().await?;
    let ticket = ticket(&app, &world.social_worker).await?;
    let reply = app
        .raw(
            app.client
                .get(app.url(&format!("/api/stream?ticket={ticket}"))),
        )
        .await?;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["code"], "websocket_required");
    Ok(())
}
