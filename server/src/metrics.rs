//! Operator metrics in the Prometheus text format, served on a listener of their own
//! (`metrics.bind`) so they never share the public address. One registry per hub process
//! (held in `AppState`, not a global), so tests running several hubs in one process see
//! their own figures. Labels are route templates, methods, status codes, pool names and
//! outcomes: never an id, a name, an address or anything a user typed.

pub mod anchor;

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

use crate::domain::Timestamp;
use crate::events::hub::Hub;
use crate::store::{outbox, Store};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SignInLabels {
    method: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HeadLabels {
    hash: String,
}

type Seconds = Gauge<f64, AtomicU64>;

/// The hub's instruments. Cheap to clone; every clone feeds the same registry.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    sign_ins: Family<SignInLabels, Counter>,
    mails: Family<OutcomeLabels, Counter>,
    store_connections: Family<PoolLabels, Gauge>,
    outbox_depth: Gauge,
    outbox_oldest_age: Seconds,
    stream_connections: Gauge,
    scheduler_lag: Seconds,
    scheduler_last_round: Gauge,
    audit_head_row: Gauge,
    audit_head: Family<HeadLabels, Gauge>,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// The method as a label: the standard ones by name, anything a client made up as `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

impl Metrics {
    /// Instruments registered in a fresh registry, with those the store and the live hub
    /// keep themselves (the writer wait, the queue drops).
    pub fn new(store: &Store, hub: &Hub) -> Self {
        let mut registry = Registry::with_prefix("samverkan");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer an HTTP request (to the response head), by route template",
            Unit::Seconds,
            latency.clone(),
        );
        let sign_ins = Family::<SignInLabels, Counter>::default();
        registry.register(
            "sign_ins",
            "Sign-in attempts by method (password, oidc) and outcome",
            sign_ins.clone(),
        );
        let mails = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "mails",
            "E-mails the outbox worker tried to send, by outcome (sent, retry, failed)",
            mails.clone(),
        );
        let store_connections = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "store_connections",
            "Store connections by pool and state (busy, idle)",
            store_connections.clone(),
        );
        registry.register_with_unit(
            "store_writer_wait",
            "Time a writing transaction waited for its connection",
            Unit::Seconds,
            store.writer_wait(),
        );
        if let Some(wal) = store.wal_figures() {
            registry.register(
                "store_wal_frames",
                "SQLite: frames in the write-ahead log at the checkpointer's last round",
                wal.frames,
            );
            registry.register(
                "store_wal_restarts",
                "SQLite: times the checkpointer started the write-ahead log over",
                wal.restarts,
            );
        }
        let outbox_depth = Gauge::default();
        registry.register(
            "outbox_depth",
            "E-mails waiting in the outbox (not sent, failed or superseded)",
            outbox_depth.clone(),
        );
        let outbox_oldest_age = Seconds::default();
        registry.register_with_unit(
            "outbox_oldest_age",
            "Age of the oldest e-mail waiting in the outbox (0 when none waits)",
            Unit::Seconds,
            outbox_oldest_age.clone(),
        );
        let stream_connections = Gauge::default();
        registry.register(
            "stream_connections",
            "Live stream (WebSocket) connections open in this process",
            stream_connections.clone(),
        );
        registry.register(
            "stream_queue_drops",
            "Live stream connections closed because their queue was full",
            hub.drops(),
        );
        let scheduler_lag = Seconds::default();
        registry.register_with_unit(
            "scheduler_lag",
            "How late the reminder scheduler's last round started after it was due",
            Unit::Seconds,
            scheduler_lag.clone(),
        );
        let scheduler_last_round = Gauge::default();
        registry.register(
            "scheduler_last_round_timestamp_seconds",
            "When the reminder scheduler last finished a round (Unix time, 0: never)",
            scheduler_last_round.clone(),
        );
        let audit_head_row = Gauge::default();
        registry.register(
            "audit_head_row",
            "The audit chain's head row as last anchored (at start and daily)",
            audit_head_row.clone(),
        );
        let audit_head = Family::<HeadLabels, Gauge>::default();
        registry.register(
            "audit_head",
            "The audit chain's anchored head: its hash as a label, its row as the value",
            audit_head.clone(),
        );
        Self {
            inner: Arc::new(Inner {
                registry,
                requests,
                latency,
                sign_ins,
                mails,
                store_connections,
                outbox_depth,
                outbox_oldest_age,
                stream_connections,
                scheduler_lag,
                scheduler_last_round,
                audit_head_row,
                audit_head,
            }),
        }
    }

    /// A sign-in attempt: `method` is `password` or `oidc`, `outcome` a stable code.
    pub fn sign_in(&self, method: &'static str, outcome: &'static str) {
        self.inner
            .sign_ins
            .get_or_create(&SignInLabels { method, outcome })
            .inc();
    }

    /// An e-mail the worker tried: `sent`, `retry` or `failed`.
    pub fn mail(&self, outcome: &'static str) {
        self.inner
            .mails
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    /// A scheduler round that started `lag_seconds` after it was due and has finished.
    pub fn scheduler_round(&self, lag_seconds: f64) {
        self.inner.scheduler_lag.set(lag_seconds.max(0.0));
        self.inner
            .scheduler_last_round
            .set(Timestamp::now().micros() / 1_000_000);
    }

    /// The anchored audit head.
    pub fn audit_head(&self, row: i64, hash: &str) {
        self.inner.audit_head_row.set(row);
        self.inner.audit_head.clear();
        self.inner
            .audit_head
            .get_or_create(&HeadLabels {
                hash: hash.to_owned(),
            })
            .set(row);
    }

    /// The text exposition, after reading what is measured at scrape time (pools, outbox,
    /// open streams).
    pub async fn render(&self, store: &Store, hub: &Hub) -> String {
        let inner = &self.inner;
        for (pool, open, idle) in store.pool_stats() {
            let idle = i64::try_from(idle).unwrap_or(i64::MAX);
            let open = i64::from(open);
            inner
                .store_connections
                .get_or_create(&PoolLabels {
                    pool,
                    state: "idle",
                })
                .set(idle);
            inner
                .store_connections
                .get_or_create(&PoolLabels {
                    pool,
                    state: "busy",
                })
                .set(open.saturating_sub(idle).max(0));
        }
        inner
            .stream_connections
            .set(i64::try_from(hub.connections()).unwrap_or(i64::MAX));
        let backlog = async {
            let mut tx = store.read().await?;
            outbox::backlog(&mut tx).await
        };
        match backlog.await {
            Ok((depth, oldest)) => {
                inner.outbox_depth.set(depth);
                let age = oldest.map_or(0.0, |at| {
                    (Timestamp::now().micros() - at.micros()).max(0) as f64 / 1e6
                });
                inner.outbox_oldest_age.set(age);
            }
            Err(err) => tracing::warn!(error = %err, "metrics: could not read the outbox"),
        }
        let mut text = String::new();
        if let Err(err) = prometheus_client::encoding::text::encode(&mut text, &inner.registry) {
            tracing::warn!(error = %err, "metrics: encoding failed");
        }
        text
    }
}

/// Counts every request by its route template (`/api/cases/{id}`, never the path itself)
/// and times it. Requests no route matched (the web files, unknown paths) are `other`.
pub async fn track(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_owned(), |path| path.as_str().to_owned());
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let inner = &metrics.inner;
    inner
        .latency
        .get_or_create(&RouteLabels {
            method,
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    inner
        .requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// The router of the metrics listener: `GET /metrics` and nothing else.
pub fn router(metrics: Metrics, store: Store, hub: Hub) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let (metrics, store, hub) = (metrics.clone(), store.clone(), hub.clone());
            async move {
                let text = metrics.render(&store, &hub).await;
                // prometheus-client writes OpenMetrics (`# EOF` at the end); say so, and
                // Prometheus parses it as such.
                (
                    [(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static(
                            "application/openmetrics-text; version=1.0.0; charset=utf-8",
                        ),
                    )],
                    text,
                )
                    .into_response()
            }
        }),
    )
}
