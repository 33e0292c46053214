//! `spawn_app()`: the real server on port 0 over a fresh store, with typed client helpers
//! and fixtures. Every storage-touching test runs on SQLite and, when
//! `SAMVERKAN_TEST_POSTGRES_URL` is set, on PostgreSQL in a database of its own.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::{Once, OnceLock};

use reqwest::StatusCode;
use samverkan::app::{AppState, Application};
use samverkan::config::Settings;
use samverkan::domain::{OrganisationId, OrganisationKind, Role, UserId};
use samverkan::store::users::User;
use samverkan::store::{organisations, sessions, users, Store};
use serde_json::{json, Value};
use tokio::sync::{oneshot, OnceCell};

pub const PASSWORD: &str = "rätt-lösenord-123";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each test body once per store: `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_stores {
    ($(async fn $name:ident($app:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: $crate::helpers::TestApp) -> anyhow::Result<()> $body
            #[tokio::test]
            async fn sqlite() -> anyhow::Result<()> {
                run($crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await?.expect("sqlite always runs")).await
            }
            #[tokio::test]
            async fn postgres() -> anyhow::Result<()> {
                match $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await? {
                    Some(app) => run(app).await,
                    None => Ok(()),
                }
            }
        }
    )*};
}

pub fn postgres_url() -> Option<String> {
    std::env::var("SAMVERKAN_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Said once per run, straight to the terminal (past the test harness's capture).
fn warn_postgres_skipped() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "\n########################################################################\n\
             ## SAMVERKAN_TEST_POSTGRES_URL is not set: every *::postgres test is   ##\n\
             ## SKIPPED and passes without running. Set it, e.g.                     ##\n\
             ## postgres://postgres@127.0.0.1:5432/test, to prove PostgreSQL too.    ##\n\
             ########################################################################\n"
        );
    });
}

/// A fresh, empty database on the test PostgreSQL server; leftovers of earlier runs (whose
/// process is gone) are dropped on first use.
pub async fn fresh_postgres_database() -> anyhow::Result<Option<String>> {
    let Some(base) = postgres_url() else {
        warn_postgres_skipped();
        return Ok(None);
    };
    sqlx::any::install_default_drivers();
    static CLEANED: OnceCell<()> = OnceCell::const_new();
    let admin = sqlx::AnyPool::connect(&base).await?;
    CLEANED
        .get_or_try_init(|| async {
            let rows: Vec<(String,)> = sqlx::query_as(
                "SELECT datname::text FROM pg_database WHERE datname LIKE 'samverkan_t_%'",
            )
            .fetch_all(&admin)
            .await?;
            // Each name carries its test process's id: a database of a process still running
            // (another suite beside this one on the same server) is not a leftover.
            for (name,) in rows.into_iter().filter(|(name,)| leftover(name)) {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&admin)
                    .await;
            }
            anyhow::Ok(())
        })
        .await?;
    let name = format!(
        "samverkan_t_{}_{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    );
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&admin)
        .await?;
    admin.close().await;
    let (prefix, _) = base
        .rsplit_once('/')
        .ok_or_else(|| anyhow::anyhow!("postgres url needs a database"))?;
    Ok(Some(format!("{prefix}/{name}")))
}

/// Whether a test database was left by a process that is gone (or predates the pid in names).
fn leftover(name: &str) -> bool {
    let pid = name
        .strip_prefix("samverkan_t_")
        .and_then(|rest| rest.split_once('_'))
        .and_then(|(pid, _)| pid.parse::<u32>().ok());
    pid.is_none_or(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists())
}

/// Settings for a test server: port 0, the given store, the web folder of the repo.
pub fn test_settings(database_url: String) -> anyhow::Result<Settings> {
    let mut settings = Settings::defaults()?;
    settings.server.bind = "127.0.0.1:0".parse()?;
    settings.server.web_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../web").into();
    settings.database.url = database_url;
    settings.metrics.bind = "127.0.0.1:0".parse()?;
    settings.auth.jwt_secret = "test-secret-test-secret-test-secret-123".into();
    // Mail tests start their own SMTP server and worker; rounds of reminders are driven by hand.
    settings.mail.enabled = false;
    settings.notifications.scheduler_enabled = false;
    Ok(settings)
}

pub struct TestApp {
    pub addr: SocketAddr,
    /// Where `/metrics` is served.
    pub metrics_addr: Option<SocketAddr>,
    pub settings: Settings,
    pub client: reqwest::Client,
    pub state: AppState,
    pub store: Store,
    _dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// Starts the server; `None` for PostgreSQL when no server is configured.
pub async fn spawn_app(backend: Backend) -> anyhow::Result<Option<TestApp>> {
    spawn_app_with(backend, |_| {}).await
}

/// `spawn_app` with settings changed first (small queues, short heartbeats ...).
pub async fn spawn_app_with(
    backend: Backend,
    configure: impl FnOnce(&mut Settings),
) -> anyhow::Result<Option<TestApp>> {
    let dir = tempfile::tempdir()?;
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.path().join("samverkan.db").display()),
        Backend::Postgres => match fresh_postgres_database().await? {
            Some(url) => url,
            None => return Ok(None),
        },
    };
    let mut settings = test_settings(url)?;
    configure(&mut settings);
    spawn_with_settings(settings, dir).await.map(Some)
}

pub async fn spawn_with_settings(
    settings: Settings,
    dir: tempfile::TempDir,
) -> anyhow::Result<TestApp> {
    let app = Application::build(settings.clone()).await?;
    let addr = app.local_addr()?;
    let metrics_addr = app.metrics_addr();
    let state = app.state().clone();
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = rx.await;
    }));
    Ok(TestApp {
        addr,
        metrics_addr,
        client: reqwest::Client::new(),
        store: state.store.clone(),
        state,
        _dir: dir,
        shutdown: Some(tx),
        server: Some(server),
        settings,
    })
}

/// One password hash for every fixture user: argon2 is slow on purpose.
fn fixture_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| samverkan::access::password::hash(PASSWORD).expect("hashing works"))
}

#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: UserId,
    pub token: String,
}

#[derive(Clone, Debug)]
pub struct TestOrg {
    pub id: OrganisationId,
}

/// A typical set-up: social services with a caseworker, a colleague, a rehab lead and an
/// admin; a clinic with a rehab coordinator and an admin; another clinic's coordinator; Jobbtorg.
pub struct World {
    pub social: TestOrg,
    pub clinic: TestOrg,
    pub jobbtorg: TestOrg,
    pub social_worker: TestUser,
    pub colleague: TestUser,
    pub rehab_lead: TestUser,
    pub social_admin: TestUser,
    pub coordinator: TestUser,
    pub clinic_admin: TestUser,
    pub other_coordinator: TestUser,
}

/// Response status and JSON body (Null when there is none).
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub content_type: String,
}

impl Reply {
    pub fn id(&self) -> String {
        self.body["id"].as_str().unwrap_or_default().to_owned()
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn organisation(
        &self,
        name: &str,
        kind: OrganisationKind,
    ) -> anyhow::Result<TestOrg> {
        let id = OrganisationId::new();
        let mut tx = self.store.begin().await?;
        let org = organisations::Organisation {
            id,
            name: name.into(),
            kind,
            functional_email: None,
        };
        organisations::insert(&mut tx, &org).await?;
        tx.commit().await?;
        Ok(TestOrg { id })
    }

    pub async fn user(
        &self,
        org: &TestOrg,
        username: &str,
        roles: &[Role],
    ) -> anyhow::Result<TestUser> {
        let user = User {
            id: UserId::new(),
            organisation_id: org.id,
            username: username.into(),
            display_name: format!("Test {username}"),
            email: format!("{username}@example.se"),
            active: true,
            roles: roles.to_vec(),
        };
        let mut tx = self.store.begin().await?;
        users::insert(&mut tx, &user, fixture_hash()).await?;
        tx.commit().await?;
        self.signed_in(user.id).await
    }

    /// A day-long sign-in session for a user already stored.
    pub async fn signed_in(&self, id: UserId) -> anyhow::Result<TestUser> {
        let mut tx = self.store.begin().await?;
        let session = sessions::start(&mut tx, id, 86_400_000_000).await?;
        tx.commit().await?;
        let (token, _) = self
            .state
            .tokens
            .issue(id, session.id, session.expires_at)?;
        Ok(TestUser { id, token })
    }

    pub async fn world(&self) -> anyhow::Result<World> {
        let social = self
            .organisation("Socialtjänsten Test", OrganisationKind::Socialtjanst)
            .await?;
        let clinic = self
            .organisation("Vårdcentral Alfa", OrganisationKind::Vardcentral)
            .await?;
        let other_clinic = self
            .organisation("Vårdcentral Beta", OrganisationKind::Vardcentral)
            .await?;
        let jobbtorg = self
            .organisation("Jobbtorg Test", OrganisationKind::Jobbtorg)
            .await?;
        Ok(World {
            social_worker: self.user(&social, "sw", &[Role::Socialsekreterare]).await?,
            colleague: self
                .user(&social, "colleague", &[Role::Socialsekreterare])
                .await?,
            rehab_lead: self.user(&social, "lead", &[Role::Rehabansvarig]).await?,
            social_admin: self.user(&social, "socadmin", &[Role::OrgAdmin]).await?,
            coordinator: self.user(&clinic, "rk", &[Role::Rehabkoordinator]).await?,
            clinic_admin: self.user(&clinic, "vcadmin", &[Role::OrgAdmin]).await?,
            other_coordinator: self
                .user(&other_clinic, "rk2", &[Role::Rehabkoordinator])
                .await?,
            social,
            clinic,
            jobbtorg,
        })
    }

    async fn send(&self, builder: reqwest::RequestBuilder) -> anyhow::Result<Reply> {
        let response = builder.send().await?;
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = response.text().await?;
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok(Reply {
            status,
            body,
            content_type,
        })
    }

    pub async fn get(&self, user: &TestUser, path: &str) -> anyhow::Result<Reply> {
        self.send(self.client.get(self.url(path)).bearer_auth(&user.token))
            .await
    }

    pub async fn post(&self, user: &TestUser, path: &str, body: Value) -> anyhow::Result<Reply> {
        self.send(
            self.client
                .post(self.url(path))
                .bearer_auth(&user.token)
                .json(&body),
        )
        .await
    }

    pub async fn patch(&self, user: &TestUser, path: &str, body: Value) -> anyhow::Result<Reply> {
        self.send(
            self.client
                .patch(self.url(path))
                .bearer_auth(&user.token)
                .json(&body),
        )
        .await
    }

    pub async fn anonymous(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Reply> {
        let mut builder = self.client.request(method, self.url(path));
        if let Some(body) = body {
            builder = builder.json(&body);
        }
        self.send(builder).await
    }

    /// The OpenAPI document as served.
    pub async fn openapi(&self) -> anyhow::Result<Value> {
        Ok(self
            .client
            .get(self.url("/api/openapi.json"))
            .send()
            .await?
            .json()
            .await?)
    }

    pub async fn raw(&self, builder: reqwest::RequestBuilder) -> anyhow::Result<Reply> {
        self.send(builder).await
    }

    /// Registers an individual and returns its id.
    pub async fn register(
        &self,
        user: &TestUser,
        personnummer: &str,
        name: &str,
    ) -> anyhow::Result<String> {
        let reply = self
            .post(
                user,
                "/api/individuals",
                json!({"personnummer": personnummer, "name": name}),
            )
            .await?;
        anyhow::ensure!(
            reply.status == StatusCode::CREATED,
            "register: {} {}",
            reply.status,
            reply.body
        );
        Ok(reply.id())
    }

    /// Registers an individual, opens a case for them; returns (individual id, case id).
    pub async fn case_for(
        &self,
        user: &TestUser,
        personnummer: &str,
        name: &str,
    ) -> anyhow::Result<(String, String)> {
        let individual = self.register(user, personnummer, name).await?;
        let reply = self
            .post(
                user,
                "/api/cases",
                json!({"individual_id": individual, "title": "Stöd mot arbete"}),
            )
            .await?;
        anyhow::ensure!(
            reply.status == StatusCode::CREATED,
            "open case: {} {}",
            reply.status,
            reply.body
        );
        Ok((individual, reply.id()))
    }

    /// Records a consent on the case naming `orgs` for `purposes`, valid 90 days; returns its id.
    pub async fn consent(
        &self,
        user: &TestUser,
        case_id: &str,
        orgs: &[&TestOrg],
        purposes: &[&str],
    ) -> anyhow::Result<String> {
        let until = chrono::Utc::now() + chrono::Duration::days(90);
        let body = json!({
            "organisation_ids": orgs.iter().map(|o| o.id.to_string()).collect::<Vec<_>>(),
            "purposes": purposes,
            "forms": ["muntligt"],
            "valid_until": until.to_rfc3339(),
        });
        let reply = self
            .post(user, &format!("/api/cases/{case_id}/consents"), body)
            .await?;
        anyhow::ensure!(
            reply.status == StatusCode::CREATED,
            "consent: {} {}",
            reply.status,
            reply.body
        );
        Ok(reply.id())
    }

    pub async fn end_consent(&self, user: &TestUser, consent_id: &str) -> anyhow::Result<Reply> {
        self.post(
            user,
            &format!("/api/consents/{consent_id}/end"),
            json!({"reason": "Personen återkallade muntligt"}),
        )
        .await
    }

    /// Audit rows, oldest first, read straight from the store.
    pub async fn audit_rows(&self) -> anyhow::Result<Vec<samverkan::store::audit::AuditRow>> {
        let mut tx = self.store.begin().await?;
        let query = samverkan::store::audit::AuditQuery {
            limit: 100_000,
            ..Default::default()
        };
        let mut rows = samverkan::store::audit::search(&mut tx, &query).await?;
        rows.reverse();
        Ok(rows)
    }
}

impl TestApp {
    /// Stops the server (graceful shutdown, store closed) and starts a new one on the same
    /// store: a server restart as clients see it.
    pub async fn restart(mut self) -> anyhow::Result<TestApp> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await??;
        }
        let dir = std::mem::replace(&mut self._dir, tempfile::tempdir()?);
        spawn_with_settings(self.settings.clone(), dir).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A valid personnummer from eleven digits, for fixtures.
pub fn pnr(first_eleven: &str) -> String {
    samverkan::domain::Personnummer::complete(first_eleven)
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default()
}

/// A row of the event log, read straight from the `events` table.
#[derive(Clone, Debug)]
pub struct EventRow {
    pub seq: i64,
    pub kind: String,
    pub case_id: Option<String>,
    pub individual_id: Option<String>,
    pub subject_id: Option<String>,
    pub purpose: Option<String>,
    pub audience: String,
    pub audience_organisations: String,
}

impl EventRow {
    /// The audience organisations, sorted.
    pub fn organisations(&self) -> Vec<String> {
        let mut orgs: Vec<String> = self
            .audience_organisations
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        orgs.sort();
        orgs
    }
}

/// Two organisation ids, sorted, as `EventRow::organisations` gives them.
pub fn sorted_orgs(a: &TestOrg, b: &TestOrg) -> Vec<String> {
    let mut orgs = vec![a.id.to_string(), b.id.to_string()];
    orgs.sort();
    orgs
}

impl TestApp {
    pub async fn delete(&self, user: &TestUser, path: &str) -> anyhow::Result<Reply> {
        self.send(self.client.delete(self.url(path)).bearer_auth(&user.token))
            .await
    }

    /// POST without a body.
    pub async fn post_empty(&self, user: &TestUser, path: &str) -> anyhow::Result<Reply> {
        self.send(self.client.post(self.url(path)).bearer_auth(&user.token))
            .await
    }

    /// An organisation created by `world()`, found by name.
    pub async fn org_named(&self, name: &str) -> anyhow::Result<TestOrg> {
        let mut tx = self.store.begin().await?;
        let org = organisations::find_by_name(&mut tx, name)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no organisation {name}"))?;
        Ok(TestOrg { id: org.id })
    }

    /// Every event, oldest first, read straight from the `events` table.
    pub async fn events(&self) -> anyhow::Result<Vec<EventRow>> {
        use sqlx::Row as _;
        let mut tx = self.store.begin().await?;
        let rows = sqlx::query(
            "SELECT seq, kind, case_id, individual_id, subject_id, purpose, audience, audience_organisations FROM events ORDER BY seq",
        )
        .fetch_all(tx.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(EventRow {
                    seq: r.try_get("seq")?,
                    kind: r.try_get("kind")?,
                    case_id: r.try_get("case_id")?,
                    individual_id: r.try_get("individual_id")?,
                    subject_id: r.try_get("subject_id")?,
                    purpose: r.try_get("purpose")?,
                    audience: r.try_get("audience")?,
                    audience_organisations: r.try_get("audience_organisations")?,
                })
            })
            .collect()
    }

    /// Events about one subject (inquiry or message id), oldest first.
    pub async fn events_about(&self, subject: &str) -> anyhow::Result<Vec<EventRow>> {
        Ok(self
            .events()
            .await?
            .into_iter()
            .filter(|e| e.subject_id.as_deref() == Some(subject))
            .collect())
    }

    /// The audit actions written for `user`, oldest first.
    pub async fn audit_actions(&self, user: &TestUser) -> anyhow::Result<Vec<(String, String)>> {
        let id = user.id.to_string();
        Ok(self
            .audit_rows()
            .await?
            .into_iter()
            .filter(|r| r.user_id.as_deref() == Some(id.as_str()))
            .map(|r| (r.action, r.outcome))
            .collect())
    }

    /// A valid sender part for an inquiry to `recipient`.
    pub fn inquiry_body(recipient: &TestOrg) -> Value {
        json!({
            "recipient_organisation_id": recipient.id,
            "activities": ["Jobbtorg", "arbetsträning"],
            "questions": "Kan personen delta i arbetsträning 50 %? Vad behöver anpassas?",
            "contact": {"name": "Sara Lind", "phone": "08-123 456 78", "email": "sara.lind@example.se"},
        })
    }

    /// Writes a draft inquiry on the case; returns its id.
    pub async fn inquiry_draft(
        &self,
        user: &TestUser,
        case_id: &str,
        recipient: &TestOrg,
    ) -> anyhow::Result<String> {
        let reply = self
            .post(
                user,
                &format!("/api/cases/{case_id}/inquiries"),
                Self::inquiry_body(recipient),
            )
            .await?;
        anyhow::ensure!(
            reply.status == StatusCode::CREATED,
            "draft: {} {}",
            reply.status,
            reply.body
        );
        Ok(reply.id())
    }

    /// Writes and sends an inquiry (a consent covering `recipient` must exist); returns its id.
    pub async fn sent_inquiry(
        &self,
        user: &TestUser,
        case_id: &str,
        recipient: &TestOrg,
    ) -> anyhow::Result<String> {
        let id = self.inquiry_draft(user, case_id, recipient).await?;
        let reply = self
            .post_empty(user, &format!("/api/inquiries/{id}/send"))
            .await?;
        anyhow::ensure!(
            reply.status == StatusCode::OK,
            "send: {} {}",
            reply.status,
            reply.body
        );
        Ok(id)
    }

    /// The stored inquiry row's life-cycle columns, to show that a refused step changed nothing.
    pub async fn inquiry_snapshot(&self, id: &str) -> anyhow::Result<String> {
        use sqlx::Row as _;
        let mut tx = self.store.begin().await?;
        let row = sqlx::query(&format!(
            "SELECT state, updated_at, COALESCE(sent_at, -1) AS sent_at, COALESCE(received_at, -1) AS received_at, \
             COALESCE(assignee_user_id, '') AS assignee, COALESCE(assigned_at, -1) AS assigned_at, \
             COALESCE(declined_at, -1) AS declined_at, COALESCE(decline_reason, '') AS decline_reason, \
             COALESCE(withdrawn_at, -1) AS withdrawn_at, COALESCE(closed_at, -1) AS closed_at, questions, \
             (SELECT COUNT(*) FROM inquiry_answers a WHERE a.inquiry_id = q.id) AS answers, \
             (SELECT COUNT(*) FROM inquiry_posts p WHERE p.inquiry_id = q.id) AS posts \
             FROM inquiries q WHERE q.id = '{id}'"
        ))
        .fetch_one(tx.conn())
        .await?;
        let ints = [
            "updated_at",
            "sent_at",
            "received_at",
            "assigned_at",
            "declined_at",
            "withdrawn_at",
            "closed_at",
            "answers",
            "posts",
        ]
        .iter()
        .map(|c| row.try_get::<i64, _>(*c).map(|v| format!("{c}={v}")))
        .collect::<Result<Vec<_>, _>>()?;
        let texts = ["state", "assignee", "decline_reason", "questions"]
            .iter()
            .map(|c| row.try_get::<String, _>(*c).map(|v| format!("{c}={v}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(format!("{} {}", texts.join(" "), ints.join(" ")))
    }

    /// Moves an inquiry's answer date (back-dating makes it overdue).
    pub async fn set_answer_by(&self, id: &str, date: chrono::NaiveDate) -> anyhow::Result<()> {
        let mut tx = self.store.begin().await?;
        samverkan::store::inquiries::set_answer_by(&mut tx, id.parse()?, date).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl TestApp {
    /// The users an event about `subject` was addressed to (audience `users`), oldest first.
    pub async fn event_users(&self, subject: &str) -> anyhow::Result<Vec<(String, Vec<String>)>> {
        use sqlx::Row as _;
        let mut tx = self.store.begin().await?;
        let rows = sqlx::query(
            "SELECT kind, audience_users FROM events WHERE subject_id = $1 ORDER BY seq",
        )
        .bind(subject)
        .fetch_all(tx.conn())
        .await?;
        rows.iter()
            .map(|r| {
                let users: String = r.try_get("audience_users")?;
                let mut users: Vec<String> = users
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                users.sort();
                Ok((r.try_get("kind")?, users))
            })
            .collect()
    }

    /// A valid meeting body: `kind`, `hours_ahead` from now for an hour, at a neutral place.
    pub fn meeting_body(
        case_id: Option<&str>,
        kind: &str,
        hours_ahead: i64,
        participants: &[&TestUser],
    ) -> Value {
        let start =
            (chrono::Utc::now() + chrono::Duration::hours(hours_ahead)).with_nanosecond_zeroed();
        json!({
            "case_id": case_id,
            "kind": kind,
            "starts_at": start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "ends_at": (start + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "place": "Stadsdelsförvaltningen, rum 3",
            "participant_user_ids": participants.iter().map(|u| u.id.to_string()).collect::<Vec<_>>(),
        })
    }

    /// A case of the social worker's with a consent covering the clinic for SIP meetings.
    pub async fn sip_case(
        &self,
        w: &World,
        pnr_eleven: &str,
        name: &str,
    ) -> anyhow::Result<String> {
        let (_, case) = self
            .case_for(&w.social_worker, &pnr(pnr_eleven), name)
            .await?;
        self.consent(&w.social_worker, &case, &[&w.clinic], &["sip"])
            .await?;
        Ok(case)
    }

    /// Books a meeting (the consent must cover the participants); returns its id.
    pub async fn meeting(
        &self,
        organiser: &TestUser,
        case_id: Option<&str>,
        kind: &str,
        participants: &[&TestUser],
    ) -> anyhow::Result<String> {
        let body = Self::meeting_body(case_id, kind, 48, participants);
        let reply = self.post(organiser, "/api/meetings", body).await?;
        anyhow::ensure!(
            reply.status == StatusCode::CREATED,
            "meeting: {} {}",
            reply.status,
            reply.body
        );
        Ok(reply.id())
    }
}

/// Whole seconds, as meeting times are stored.
pub trait WholeSeconds {
    fn with_nanosecond_zeroed(self) -> Self;
}

impl WholeSeconds for chrono::DateTime<chrono::Utc> {
    fn with_nanosecond_zeroed(self) -> Self {
        use chrono::Timelike as _;
        self.with_nanosecond(0).unwrap_or(self)
    }
}

/// Runs `async fn name(backend: Backend)` once per store, as `name::sqlite` and
/// `name::postgres` (skipped without `SAMVERKAN_TEST_POSTGRES_URL`); for tests that start
/// their app themselves (an SMTP server first, several hub processes).
#[macro_export]
macro_rules! per_backend {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() -> anyhow::Result<()> {
                super::$name($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() -> anyhow::Result<()> {
                if $crate::helpers::postgres_url().is_none() {
                    return Ok(());
                }
                super::$name($crate::helpers::Backend::Postgres).await
            }
        }
    )*};
}

/// Sends the outbox to the test SMTP server on `port`, retrying quickly.
pub fn with_smtp(settings: &mut Settings, port: u16) {
    settings.mail.enabled = true;
    settings.mail.host = "127.0.0.1".into();
    settings.mail.port = port;
    settings.mail.tls = samverkan::config::TlsMode::None;
    settings.mail.from = "Samverkan <noreply@samverkan.test>".into();
    settings.mail.poll_interval_ms = 100;
    settings.mail.retry_base_ms = 100;
    settings.mail.retry_max_ms = 800;
    settings.mail.timeout_seconds = 5;
    settings.mail.lease_seconds = 30;
    settings.server.public_url = "https://samverkan.test".into();
}

impl TestApp {
    pub async fn put(&self, user: &TestUser, path: &str, body: Value) -> anyhow::Result<Reply> {
        self.send(
            self.client
                .put(self.url(path))
                .bearer_auth(&user.token)
                .json(&body),
        )
        .await
    }

    /// Sets `user`'s e-mail delivery for the kinds given.
    pub async fn prefer(
        &self,
        user: &TestUser,
        kinds: &[&str],
        delivery: &str,
    ) -> anyhow::Result<()> {
        let preferences: Vec<Value> = kinds
            .iter()
            .map(|k| json!({"kind": k, "delivery": delivery}))
            .collect();
        let reply = self
            .put(
                user,
                "/api/me/notification-preferences",
                json!({"preferences": preferences}),
            )
            .await?;
        anyhow::ensure!(
            reply.status == StatusCode::OK,
            "prefer: {} {}",
            reply.status,
            reply.body
        );
        Ok(())
    }

    /// `user`'s notifications, newest first, as the API lists them.
    pub async fn notifications(&self, user: &TestUser) -> anyhow::Result<Vec<Value>> {
        let reply = self.get(user, "/api/notifications?limit=200").await?;
        anyhow::ensure!(
            reply.status == StatusCode::OK,
            "notifications: {} {}",
            reply.status,
            reply.body
        );
        Ok(reply.body["items"].as_array().cloned().unwrap_or_default())
    }

    /// The kinds of `user`'s notifications, oldest first.
    pub async fn notification_kinds(&self, user: &TestUser) -> anyhow::Result<Vec<String>> {
        let mut kinds: Vec<String> = self
            .notifications(user)
            .await?
            .iter()
            .map(|n| n["kind"].as_str().unwrap_or_default().to_owned())
            .collect();
        kinds.reverse();
        Ok(kinds)
    }

    /// One scheduler round at `now`.
    pub async fn scheduler_round(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<samverkan::notifications::scheduler::Round> {
        Ok(samverkan::notifications::scheduler::run_once(
            &self.store,
            &self.settings,
            samverkan::domain::Timestamp::from_datetime(now),
        )
        .await?)
    }

    /// (recipient, kind, sent) of every outbox row, oldest first.
    pub async fn outbox(&self) -> anyhow::Result<Vec<(String, String, bool)>> {
        use sqlx::Row as _;
        let mut tx = self.store.begin().await?;
        let rows = sqlx::query(
            "SELECT recipient, kind, CASE WHEN sent_at IS NULL THEN 'no' ELSE 'yes' END AS sent FROM outbox ORDER BY created_at, id",
        )
        .fetch_all(tx.conn())
        .await?;
        rows.iter()
            .map(|r| {
                let sent: String = r.try_get("sent")?;
                Ok((r.try_get("recipient")?, r.try_get("kind")?, sent == "yes"))
            })
            .collect()
    }
}
