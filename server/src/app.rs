//! Application state, the router, and the one start-up path shared by `main` and the tests.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRef, Path, Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use tokio::net::TcpListener;
use tower::{ServiceBuilder, ServiceExt};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::access::throttle::LoginThrottle;
use crate::access::token::{LocalTokens, TokenVerifier};
use crate::config::Settings;
use crate::error::{AppError, DeniedAccess};
use crate::events::hub::Hub;
use crate::metrics::Metrics;
use crate::notifications::NotificationRules;
use crate::store::{Backend, Store};

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub tokens: Arc<LocalTokens>,
    /// Verifies bearer tokens; today the local issuer, later also federated ones.
    pub verifier: Arc<dyn TokenVerifier>,
    pub throttle: Arc<LoginThrottle>,
    /// The live fan-out hub behind `/api/stream`.
    pub hub: Hub,
    /// The operators' figures, served on `metrics.bind`.
    pub metrics: Metrics,
    /// The organisations' identity providers (OpenID Connect).
    pub oidc: Arc<crate::access::oidc::Providers>,
}

// What the extractors in `access` take from the state, so that they need not know `AppState`.
impl FromRef<AppState> for Store {
    fn from_ref(state: &AppState) -> Self {
        state.store.clone()
    }
}

impl FromRef<AppState> for Arc<dyn TokenVerifier> {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}

impl FromRef<AppState> for Arc<Settings> {
    fn from_ref(state: &AppState) -> Self {
        state.settings.clone()
    }
}

impl AppState {
    pub fn new(store: Store, settings: Settings, hub: Hub) -> Self {
        let settings = Arc::new(settings);
        // Every change's commit runs the notification rules over its events.
        let store = store.with_commit_hook(Arc::new(NotificationRules::new(settings.clone())));
        let tokens = Arc::new(LocalTokens::new(&settings.auth));
        let throttle = Arc::new(LoginThrottle::new(
            settings.auth.login_max_failures,
            Duration::from_secs(settings.auth.login_failure_window_seconds),
        ));
        let metrics = Metrics::new(&store, &hub);
        Self {
            oidc: Arc::new(crate::access::oidc::Providers::new(&settings)),
            metrics,
            store,
            verifier: tokens.clone(),
            tokens,
            throttle,
            hub,
            settings,
        }
    }
}

/// The web interface loads only its own files and talks only to its own origin (the API
/// and the live stream); nothing inline, nothing from elsewhere, never framed.
const WEB_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let (api, mut openapi) = crate::http::api().split_for_parts();
    // The REST benchmark's floors (`--features floors`), outside the OpenAPI document.
    #[cfg(feature = "floors")]
    let api = api.merge(crate::http::floors::router());
    crate::http::rules::state_patterns(&mut openapi);
    let openapi = Arc::new(openapi);
    let request_id = HeaderName::from_static("x-request-id");
    let web_dir = web_dir(&state.settings.server.web_dir);
    let state_metrics = state.metrics.clone();
    let web = mail_links(web_dir.join("404.html"))
        .fallback_service(
            ServeDir::new(&web_dir).not_found_service(ServeFile::new(web_dir.join("404.html"))),
        )
        .layer(
            ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(WEB_CSP),
                ))
                .layer(SetResponseHeaderLayer::overriding(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(SetResponseHeaderLayer::overriding(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                )),
        );
    api.route("/api/openapi.json", get(move || async move { Json(openapi.as_ref().clone()) }))
        .route("/api/{*rest}", any(|| async { AppError::NotFound }))
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        // Inside `record_denials`: a denied keyed request stores no key, and its audit row
        // is written by that layer's own transaction.
        .layer(middleware::from_fn_with_state(
            crate::http::idempotency::Keys::new(state.clone()),
            crate::http::idempotency::idempotent,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), record_denials))
        .layer(axum::extract::DefaultBodyLimit::max(state.settings.server.body_limit_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), crate::http::limits::bounded_body))
        .layer(middleware::from_fn(crate::http::limits::no_store))
        .with_state(state)
        .fallback_service(web)
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            // The path can carry ids but never personal data; the query string is left out.
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path(),
                request_id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or(""))
        }))
        .layer(middleware::from_fn_with_state(
            state_metrics,
            crate::metrics::track,
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// E-mails link to path URLs (`/moten/{id}`, `/notiser/{id}`, `/notiser`, `/sip/{id}`; see `mail/`), but
/// the web interface routes by fragment: these answer 303 with the fragment route. Only a
/// UUID passes as an id (written back in its canonical form); anything else is the 404 page.
fn mail_links(not_found: PathBuf) -> Router {
    let not_found = Arc::new(not_found);
    let to = move |section: &'static str| {
        let not_found = not_found.clone();
        get(move |Path(id): Path<String>| {
            let not_found = not_found.clone();
            async move {
                match uuid::Uuid::try_parse(&id) {
                    Ok(id) => {
                        Redirect::to(&format!("/#/{section}/{}", id.hyphenated())).into_response()
                    }
                    Err(_) => not_found_page(&not_found).await,
                }
            }
        })
    };
    Router::new()
        .route("/notiser", get(|| async { Redirect::to("/#/notiser") }))
        .route("/moten/{id}", to("moten"))
        .route("/notiser/{id}", to("notiser"))
        .route("/sip/{id}", to("sip"))
}

/// The web folder's 404 page, with status 404.
async fn not_found_page(page: &std::path::Path) -> Response {
    match ServeFile::new(page)
        .oneshot(Request::new(Body::empty()))
        .await
    {
        Ok(response) => {
            let mut response = response.map(Body::new);
            *response.status_mut() = StatusCode::NOT_FOUND;
            response
        }
        Err(err) => match err {},
    }
}

/// The configured web folder, or the one beside the server crate when run from elsewhere.
fn web_dir(configured: &std::path::Path) -> PathBuf {
    if configured.is_relative() && !configured.exists() {
        let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(configured);
        if beside.exists() {
            return beside;
        }
    }
    configured.to_path_buf()
}

/// Writes the audit row for a request the policy denied, after the handler's own
/// transaction is gone; if that fails the caller gets 503, never an unaudited answer.
async fn record_denials(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if let Some(DeniedAccess(entry)) = response.extensions_mut().remove::<DeniedAccess>() {
        // Through the audit journal's group commit, as the audited reads.
        let written = state.store.append_audit(vec![*entry]);
        if let Err(err) = written.await {
            tracing::error!(error = %err, "could not audit a denied access");
            return AppError::Unavailable.into_response();
        }
    }
    if response.status() == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!("responded 500");
    }
    response
}

/// Deletes expired idempotency keys now and then (a lookup ignores them already).
async fn sweep_idempotency_keys(
    store: Store,
    interval_seconds: u64,
    stop: tokio_util::sync::CancellationToken,
) {
    let every = Duration::from_secs(interval_seconds.max(1));
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(every) => {}
        }
        let swept = async {
            let mut tx = store.begin_beside().await?;
            let n =
                crate::store::idempotency::sweep(&mut tx, crate::domain::Timestamp::now()).await?;
            tx.commit().await?;
            crate::store::StoreResult::Ok(n)
        };
        match swept.await {
            Ok(0) => {}
            Ok(n) => tracing::info!(swept = n, "expired idempotency keys deleted"),
            Err(err) => tracing::warn!(error = %err, "idempotency key sweep failed; retrying"),
        }
    }
}

/// The metrics listener, unless disabled. A hub whose metrics address is taken (another
/// hub on the same host) still serves: the error is logged, not fatal.
async fn bind_metrics(settings: &Settings) -> Option<TcpListener> {
    if !settings.metrics.enabled {
        return None;
    }
    match TcpListener::bind(settings.metrics.bind).await {
        Ok(listener) => Some(listener),
        Err(err) => {
            tracing::error!(address = %settings.metrics.bind, error = %err,
                "cannot listen for /metrics; serving without metrics");
            None
        }
    }
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    /// `server.node_id`, or the host name and the port listened on.
    node_id: String,
    /// `metrics.bind`, when enabled and bound.
    metrics_listener: Option<TcpListener>,
}

impl Application {
    /// Connects the store (migrating it) and binds the listener; port 0 picks a free port.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let store = Store::connect(&settings.database).await?;
        Self::build_with_store(settings, store).await
    }

    pub async fn build_with_store(settings: Settings, store: Store) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.server.bind).await?;
        let postgres_url =
            (store.backend() == Backend::Postgres).then(|| settings.database.url.clone());
        let hub = Hub::start(store.clone(), postgres_url, settings.stream.queue_capacity).await?;
        let node_id = match settings.server.node_id.trim() {
            "" => format!(
                "{}:{}",
                hostname::get()
                    .map(|h| h.to_string_lossy().into_owned())
                    .unwrap_or_else(|_| "localhost".into()),
                listener.local_addr()?.port()
            ),
            configured => configured.to_owned(),
        };
        let metrics_listener = bind_metrics(&settings).await;
        let mut settings = settings;
        // A public URL with port 0 (the tests) means the port just bound.
        if let Some(base) = settings.server.public_url.strip_suffix(":0") {
            settings.server.public_url = format!("{base}:{}", listener.local_addr()?.port());
        }
        let state = AppState::new(store, settings, hub);
        Ok(Self {
            metrics_listener,
            listener,
            router: router(state.clone()),
            state,
            node_id,
        })
    }

    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Where `/metrics` is served, if it is.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let hub = self.state.hub.clone();
        let stop_metrics = tokio_util::sync::CancellationToken::new();
        let metrics_served = self.metrics_listener.map(|listener| {
            let router = crate::metrics::router(
                self.state.metrics.clone(),
                self.state.store.clone(),
                hub.clone(),
            );
            let settings = self.state.settings.clone();
            let stop = stop_metrics.clone().cancelled_owned();
            tokio::spawn(async move {
                crate::serve::serve(listener, router, &settings.server, stop).await
            })
        });
        // Live streams never finish by themselves: close them when shutdown begins.
        let shutdown = async move {
            shutdown.await;
            hub.shutdown();
            stop_metrics.cancel();
        };
        let background = Background::start(&self.state, &self.node_id)?;
        let served = crate::serve::serve(
            self.listener,
            self.router,
            &self.state.settings.server,
            shutdown,
        )
        .await;
        background.stop().await;
        if let Some(task) = metrics_served {
            let _ = task.await;
        }
        self.state.store.close().await;
        Ok(served?)
    }
}

/// The outbox worker and the reminder scheduler, run beside the server and stopped (the
/// e-mail in flight finished) before the store closes.
struct Background {
    stop: tokio_util::sync::CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Background {
    fn start(state: &AppState, node_id: &str) -> anyhow::Result<Self> {
        let stop = tokio_util::sync::CancellationToken::new();
        let mut tasks = Vec::new();
        if state.settings.mail.enabled {
            let worker = crate::mail::worker::Worker::new(
                state.store.clone(),
                state.settings.clone(),
                node_id,
            )?
            .counted_in(state.metrics.clone());
            tasks.push(worker.spawn(stop.clone()));
        } else {
            tracing::warn!("mail.enabled = false: e-mails stay in the outbox until a hub with mail enabled runs");
        }
        tasks.push(tokio::spawn(sweep_idempotency_keys(
            state.store.clone(),
            state.settings.idempotency.sweep_interval_seconds,
            stop.clone(),
        )));
        if state.settings.retention.purge_enabled {
            tasks.push(crate::retention::spawn(
                state.store.clone(),
                state.settings.retention.clone(),
                stop.clone(),
            ));
        }
        if state.settings.notifications.scheduler_enabled {
            tasks.push(crate::notifications::scheduler::spawn(
                state.store.clone(),
                state.settings.clone(),
                state.metrics.clone(),
                stop.clone(),
            ));
        }
        tasks.push(crate::metrics::anchor::spawn(
            state.store.clone(),
            state.metrics.clone(),
            Duration::from_secs(state.settings.metrics.audit_anchor_hours.max(1) * 3600),
            stop.clone(),
        ));
        Ok(Self { stop, tasks })
    }

    async fn stop(self) {
        self.stop.cancel();
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
