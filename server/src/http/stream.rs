//! The live stream over WebSocket. A signed-in user asks for a one-time ticket
//! (`POST /api/ws-ticket`) and opens `GET /api/stream?ticket=…&since=…`; no token ever goes
//! in a URL. The server first replays every event after `since` the user may see now, then
//! switches to live events with no gap and no duplicate.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::access::policy::CaseFacts;
use crate::access::{Actor, SignedIn};
use crate::app::AppState;
use crate::domain::{CaseId, SessionId, Timestamp};
use crate::error::{AppError, AppResult};
use crate::events::hub::{Delivery, End};
use crate::events::visible_to;
use crate::http::ApiQuery;
use crate::store::{self, sessions, users, StoreError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(issue_ticket))
        .routes(routes!(open_stream))
}

#[derive(Serialize, ToSchema)]
pub struct StreamTicket {
    /// Pass as `ticket` to `GET /api/stream` within `expires_at`; it works once.
    pub ticket: String,
    pub expires_at: DateTime<Utc>,
}

/// A one-time ticket for opening the live stream.
#[utoipa::path(post, path = "/api/ws-ticket", tag = "stream",
    responses((status = 201, body = StreamTicket), crate::http::CommonErrors))]
async fn issue_ticket(
    State(state): State<AppState>,
    SignedIn(actor, session, _): SignedIn,
) -> AppResult<(StatusCode, Json<StreamTicket>)> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let ticket = hex::encode(bytes);
    let expires_at = Timestamp::from_micros(
        Timestamp::now().micros() + state.settings.stream.ticket_ttl_seconds * 1_000_000,
    );
    let mut tx = state.store.begin().await?;
    store::tickets::insert(&mut tx, &ticket, actor.user_id, session.id, expires_at).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(StreamTicket {
            ticket,
            expires_at: expires_at.to_datetime(),
        }),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    /// From `POST /api/ws-ticket`.
    #[param(pattern = "^[0-9a-f]{64}$")]
    pub ticket: String,
    /// The last sequence number this client saw; events after it are replayed first.
    #[param(minimum = 0)]
    pub since: Option<i64>,
}

/// The first message on a stream.
#[derive(Serialize, ToSchema)]
pub struct Hello {
    /// Always `hello`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Replayed events end here; live events follow.
    pub seq: i64,
}

/// Opens the live event stream (WebSocket). Each message is an event
/// `{seq, type, at, case_id, subject_id}`, after a first `{type: "hello", seq}`; `type` is
/// one of the `EventKind` schema's codes.
#[utoipa::path(get, path = "/api/stream", tag = "stream", security(()),
    // The WebSocket handshake (RFC 6455): without it the answer is 400 `websocket_required`.
    params(
        StreamQuery,
        ("Connection" = String, Header, pattern = "^[Uu]pgrade$", description = "`Upgrade`"),
        ("Upgrade" = String, Header, pattern = "^websocket$", description = "`websocket`"),
        ("Sec-WebSocket-Version" = String, Header, pattern = "^13$", description = "`13`"),
        ("Sec-WebSocket-Key" = String, Header, pattern = "^[A-Za-z0-9+/]{22}==$",
            description = "16 random bytes in base64"),
    ),
    responses(
    (status = 101, description = "Växlar till WebSocket"),
    crate::http::problem::NotWebSocket,
    crate::http::problem::TicketInvalid,
    crate::http::problem::OriginRefused,
    crate::http::problem::InvalidParameters,
))]
async fn open_stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<StreamQuery>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> AppResult<Response> {
    if let Some(origin) = headers.get(axum::http::header::ORIGIN) {
        // The hub's own pages are allowed under whatever name they were loaded by (a browser
        // sets Host itself); other sites only when configured.
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok());
        let allowed = origin.to_str().is_ok_and(|o| {
            let same_origin = host.is_some_and(|host| {
                o.split_once("://")
                    .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host))
            });
            same_origin
                || state
                    .settings
                    .stream
                    .origin_allowed(o, &state.settings.server.public_url)
        });
        if !allowed {
            return Err(AppError::Forbidden {
                code: "origin_not_allowed",
                detail: "Anslutningen kommer från en otillåten webbplats.",
            });
        }
    }
    if query.since.is_some_and(|s| s < 0) {
        return Err(AppError::field(
            "since",
            "out_of_range",
            "since ska vara 0 eller större",
        ));
    }
    let upgrade = upgrade.map_err(|_| AppError::BadRequest {
        code: "websocket_required",
        detail: "Öppna strömmen som en WebSocket-anslutning.".into(),
    })?;
    let invalid = || AppError::Unauthenticated {
        code: "invalid_ticket",
        detail: "Biljetten är ogiltig, har gått ut eller är redan använd.",
    };
    let mut tx = state.store.begin().await?;
    let (user_id, session) = store::tickets::consume(&mut tx, &query.ticket)
        .await?
        .ok_or_else(invalid)?;
    let user = match users::get(&mut tx, user_id).await {
        Ok(user) if user.active => user,
        Ok(_) | Err(StoreError::NotFound) => return Err(invalid()),
        Err(err) => return Err(err.into()),
    };
    if !sessions::is_open(&mut tx, session, Timestamp::now()).await? {
        return Err(invalid());
    }
    tx.commit().await?;
    let actor = Actor::of(&user, None);
    let settings = state.settings.stream.clone();
    let hub = state.hub.clone();
    Ok(upgrade
        // Small buffers: tungstenite's 128 KiB default read buffer per connection is far too much.
        .read_buffer_size(settings.read_buffer_bytes)
        .write_buffer_size(0)
        .max_write_buffer_size(settings.max_write_buffer_bytes)
        .max_message_size(16 * 1024)
        .max_frame_size(16 * 1024)
        .on_upgrade(move |socket| {
            run(
                socket,
                hub,
                actor,
                session,
                query.since,
                Duration::from_secs(settings.heartbeat_seconds),
            )
        }))
}

async fn run(
    socket: WebSocket,
    hub: crate::events::hub::Hub,
    actor: Actor,
    session: SessionId,
    since: Option<i64>,
    heartbeat: Duration,
) {
    let mut subscription = hub.subscribe(actor.clone(), Some(session));
    // The session may have ended between the ticket and the subscription: then its event
    // went by before this stream was listening.
    if !still_open(&hub, session).await {
        subscription.queue.end(End::SessionEnded);
    }
    // One socket, not split into halves: a split shares it behind a lock of its own, an
    // allocation per connection. Sends happen in the branches' handlers, after `select!`
    // has dropped the receive.
    let mut socket = socket;
    // A send that gives up when the connection is to end (a client that stopped reading is
    // kicked by the hub). `biased`: the end is looked at only if the send must wait.
    macro_rules! send {
        ($message:expr) => {
            tokio::select! {
                biased;
                sent = socket.send($message) => if sent.is_err() { return },
                _ = subscription.queue.ended() => return,
            }
        };
    }
    let hello = serde_json::json!({"type": "hello", "seq": subscription.from}).to_string();
    send!(Message::text(hello));
    if let Some(since) = since {
        let mut after = since.min(subscription.from);
        let mut facts: HashMap<CaseId, Option<Arc<CaseFacts>>> = HashMap::new();
        while after < subscription.from {
            let Ok(batch) = replay_batch(&hub, &actor, after, subscription.from, &mut facts).await
            else {
                return;
            };
            let Some(last) = batch.last_seq else { break };
            for text in batch.messages {
                send!(Message::text(text));
            }
            after = last;
        }
    }
    let mut ticker = tokio::time::interval(heartbeat);
    ticker.tick().await;
    let mut last_heard = Instant::now();
    loop {
        // `biased`, the mailbox first: a delivery does not poll the socket and the timer.
        tokio::select! {
            biased;
            delivery = subscription.queue.recv() => match delivery {
                Delivery::Message(text) => send!(Message::Text(text)),
                Delivery::End(End::Gone) => return,
                Delivery::End(why) => {
                    let close = match why {
                        End::SessionEnded => CloseFrame { code: SESSION_ENDED_CLOSE, reason: "sessionen har avslutats".into() },
                        _ => CloseFrame { code: 4008, reason: "för långsam eller servern stängs".into() },
                    };
                    let _ = tokio::time::timeout(Duration::from_secs(1), socket.send(Message::Close(Some(close)))).await;
                    return;
                }
            },
            frame = socket.recv() => match frame {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => last_heard = Instant::now(),
            },
            _ = ticker.tick() => {
                if last_heard.elapsed() > heartbeat * 2 {
                    return;
                }
                send!(Message::Ping(Default::default()));
            }
        }
    }
}

/// The close code when the stream's sign-in session ends (signed out, or ended by an
/// administrator's change to the account).
pub const SESSION_ENDED_CLOSE: u16 = 4001;

/// Is the session the stream was opened in still open? A store error counts as open: the
/// hub still closes the stream on the session's event.
async fn still_open(hub: &crate::events::hub::Hub, session: SessionId) -> bool {
    let open = async {
        let mut tx = hub.store().read().await?;
        sessions::is_open(&mut tx, session, Timestamp::now()).await
    };
    open.await.unwrap_or(true)
}

struct Replay {
    messages: Vec<String>,
    last_seq: Option<i64>,
}

/// The next page of stored events after `after` (up to `until`) that `actor` may see now.
async fn replay_batch(
    hub: &crate::events::hub::Hub,
    actor: &Actor,
    after: i64,
    until: i64,
    facts: &mut HashMap<CaseId, Option<Arc<CaseFacts>>>,
) -> Result<Replay, StoreError> {
    let mut tx = hub.store().read().await?;
    let events = store::events::since(&mut tx, after, 500).await?;
    let now = Timestamp::now();
    let mut replay = Replay {
        messages: Vec::new(),
        last_seq: None,
    };
    for event in events.into_iter().take_while(|e| e.seq <= until) {
        replay.last_seq = Some(event.seq);
        let case_facts = match event.case_id {
            Some(case_id) => match facts.get(&case_id) {
                Some(found) => found.clone(),
                None => {
                    let loaded = store::cases::facts(&mut tx, case_id).await?.map(Arc::new);
                    facts.insert(case_id, loaded.clone());
                    loaded
                }
            },
            None => None,
        };
        if visible_to(&event, actor, case_facts.as_deref(), now) {
            replay.messages.push(event.client_json());
        }
    }
    Ok(replay)
}
