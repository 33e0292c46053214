//! Layered settings: `config/default.toml` (compiled in) -> optional file -> `SAMVERKAN_*` env.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::Deserialize;

const DEFAULTS: &str = include_str!("../../config/default.toml");
/// The development secret shipped in `default.toml`; refused outside demo mode.
pub const DEV_JWT_SECRET: &str = "dev-only-secret-change-me-dev-only-secret";

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub idempotency: IdempotencySettings,
    pub consent: ConsentSettings,
    pub inquiry: InquirySettings,
    pub sip: SipSettings,
    pub plans: PlanSettings,
    pub finsam: FinsamSettings,
    pub fordjupad: FordjupadSettings,
    pub stream: StreamSettings,
    pub log: LogSettings,
    pub mail: MailSettings,
    pub notifications: NotificationSettings,
    pub metrics: MetricsSettings,
    pub retention: RetentionSettings,
    pub oidc: OidcSettings,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: SocketAddr,
    pub public_url: String,
    pub body_limit_bytes: usize,
    pub web_dir: PathBuf,
    pub socket_send_buffer_bytes: usize,
    pub header_read_timeout_seconds: u64,
    pub body_read_timeout_seconds: u64,
    pub node_id: String,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
    pub sqlite_readers: u32,
    pub acquire_timeout_seconds: u64,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub jwt_secret: String,
    pub issuer: String,
    pub audience: String,
    pub token_ttl_minutes: i64,
    pub login_max_failures: u32,
    pub login_failure_window_seconds: u64,
    pub session_idle_minutes: i64,
    pub session_max_hours: i64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentSettings {
    pub max_validity_days: i64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InquirySettings {
    /// Days from sending to the answer date when the sender names none.
    pub default_answer_days: i64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SipSettings {
    /// Days after a SIP call an obliged party that has not answered is reminded (once).
    pub chase_after_days: i64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanSettings {
    /// Days before an action's date (or a plan's follow-up) that its people are reminded.
    pub warn_days: i64,
}

/// Fördjupad samverkan: the follow-up rules (seed 000 Avsnitt 2 step 6 as defaults) in whole
/// days, 0 allowed, and the phase scale.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FordjupadSettings {
    /// An avstämning is booked within this many days of written recommendations.
    pub avstamning_within_days: u32,
    /// Days before that deadline the rehabansvarig is reminded.
    pub avstamning_remind_days: u32,
    /// Days without anything happening on a case before its follow-up escalates.
    pub idle_days: u32,
    /// Days before a case manager assignment ends that it is reminded of.
    pub case_manager_remind_days: u32,
    /// The phase scale: `jarva` (0-4) or `rinkeby_kista` (0-5).
    pub phase_scale: crate::domain::fordjupad::PhaseScale,
}

impl FordjupadSettings {
    pub fn rules(&self) -> crate::domain::fordjupad::FollowUpRules {
        crate::domain::fordjupad::FollowUpRules {
            avstamning_within_days: self.avstamning_within_days,
            avstamning_remind_days: self.avstamning_remind_days,
            idle_days: self.idle_days,
            case_manager_remind_days: self.case_manager_remind_days,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinsamSettings {
    /// Months from a Finsamteam plan's adoption (or a follow-up that continues) to its next
    /// follow-up.
    pub follow_up_months: u32,
    /// The outcomes a referral may be closed with, in the order offered.
    pub outcomes: Vec<crate::domain::finsam::Outcome>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamSettings {
    pub heartbeat_seconds: u64,
    pub queue_capacity: usize,
    pub ticket_ttl_seconds: i64,
    pub allowed_origins: Vec<String>,
    pub read_buffer_bytes: usize,
    pub max_write_buffer_bytes: usize,
}

impl StreamSettings {
    /// An Origin is allowed when listed, or, with an empty list, when it is the public URL's.
    pub fn origin_allowed(&self, origin: &str, public_url: &str) -> bool {
        if self.allowed_origins.is_empty() {
            let public_origin = public_url
                .trim_end_matches('/')
                .splitn(4, '/')
                .take(3)
                .collect::<Vec<_>>()
                .join("/");
            return origin.eq_ignore_ascii_case(&public_origin);
        }
        self.allowed_origins
            .iter()
            .any(|o| o.eq_ignore_ascii_case(origin))
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub filter: String,
    pub format: String,
}

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain SMTP (a relay on the same host or network only).
    None,
    /// Plain connection upgraded with STARTTLS, required.
    Starttls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

/// The outbox worker and its SMTP server.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub enabled: bool,
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: String,
    pub password: String,
    pub from: String,
    pub poll_interval_ms: u64,
    pub batch_size: i64,
    pub lease_seconds: i64,
    pub timeout_seconds: u64,
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
}

impl fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailSettings")
            .field("enabled", &self.enabled)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("from", &self.from)
            .field("poll_interval_ms", &self.poll_interval_ms)
            .field("batch_size", &self.batch_size)
            .field("lease_seconds", &self.lease_seconds)
            .field("timeout_seconds", &self.timeout_seconds)
            .field("retry_base_ms", &self.retry_base_ms)
            .field("retry_max_ms", &self.retry_max_ms)
            .finish()
    }
}

/// How long idempotency keys are kept, and how often expired ones are deleted.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdempotencySettings {
    pub key_lifetime_hours: i64,
    pub sweep_interval_seconds: u64,
}

/// The operators' `/metrics` listener and the audit head anchor.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    pub enabled: bool,
    pub bind: SocketAddr,
    pub audit_anchor_hours: u64,
}

/// Reminders and digests.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettings {
    pub scheduler_enabled: bool,
    pub scheduler_interval_seconds: u64,
    pub digest_hour_utc: u32,
    pub consent_ending_days: i64,
    pub meeting_reminder_hours: i64,
}

/// Retention (gallring): days after a case is closed before each class of its records is
/// purged (sent e-mail: days after sending); see config/default.toml for each default's source.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    pub purge_enabled: bool,
    pub purge_interval_hours: u64,
    pub messages_days: i64,
    pub inquiries_days: i64,
    pub plans_days: i64,
    pub meetings_days: i64,
    pub consents_days: i64,
    pub notifications_days: i64,
    pub sent_email_days: i64,
    pub audit_days: i64,
}

/// Sign-in through organisations' identity providers (OpenID Connect); see the README's
/// "Signing in through an organisation's identity provider".
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcSettings {
    /// Seconds a started sign-in (its state, nonce and PKCE verifier) stays usable.
    pub login_ttl_seconds: i64,
    /// Seconds of clock difference tolerated when checking an ID token's times.
    pub clock_skew_seconds: i64,
    pub issuers: Vec<OidcIssuer>,
    pub organisations: Vec<OidcOrganisation>,
}

/// One identity provider (issuer) and this hub's client registration there.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcIssuer {
    /// Short name used in the hub's URLs (`/auth/oidc/{name}/start`): a–z, 0–9, `-`.
    pub name: String,
    /// What the sign-in button says after "Logga in med".
    pub display_name: String,
    /// The issuer identifier; discovery reads `{issuer_url}/.well-known/openid-configuration`.
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// Scopes asked for beside `openid`.
    #[serde(default)]
    pub scopes: Vec<String>,
}

impl fmt::Debug for OidcIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcIssuer")
            .field("name", &self.name)
            .field("display_name", &self.display_name)
            .field("issuer_url", &self.issuer_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// How one organisation's users sign in through its identity provider(s).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcOrganisation {
    /// The organisation's name as stored in the hub.
    pub organisation: String,
    /// Names of the issuers (above) its users sign in through.
    pub issuers: Vec<String>,
    /// The ID token claim that identifies a user: matched against the user's `oidc_identifier`.
    pub claim: String,
    /// The assurance level (`acr`) the ID token must carry; empty: none required.
    #[serde(default)]
    pub acr: String,
    /// Refuse local passwords for this organisation's users.
    #[serde(default)]
    pub oidc_only: bool,
    /// Create a user at first sign-in when none has the identifier, with `default_roles`.
    #[serde(default)]
    pub create_users: bool,
    #[serde(default)]
    pub default_roles: Vec<crate::domain::Role>,
}

impl Settings {
    /// Defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::new().merge(Toml::string(DEFAULTS));
        if let Some(file) = file {
            if !file.exists() {
                anyhow::bail!("config file {} does not exist", file.display());
            }
            figment = figment.merge(Toml::file(file));
        }
        // Only SECTION__KEY variables are settings; others (SAMVERKAN_CONFIG, the tests'
        // SAMVERKAN_TEST_POSTGRES_URL) are not.
        figment = figment.merge(
            Env::prefixed("SAMVERKAN_")
                .filter(|key| key.as_str().contains("__"))
                .split("__"),
        );
        Ok(figment.extract()?)
    }

    /// The compiled-in defaults alone; tests start from here.
    pub fn defaults() -> anyhow::Result<Self> {
        Ok(Figment::new().merge(Toml::string(DEFAULTS)).extract()?)
    }
}

/// Redacts the credentials a database URL may carry.
impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = match (self.url.find("://"), self.url.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                format!("{}://[redacted]{}", &self.url[..scheme], &self.url[at..])
            }
            _ => self.url.clone(),
        };
        f.debug_struct("DatabaseSettings")
            .field("url", &url)
            .field("max_connections", &self.max_connections)
            .field("sqlite_readers", &self.sqlite_readers)
            .field("acquire_timeout_seconds", &self.acquire_timeout_seconds)
            .finish()
    }
}

impl fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSettings")
            .field("jwt_secret", &"[redacted]")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("token_ttl_minutes", &self.token_ttl_minutes)
            .field("login_max_failures", &self.login_max_failures)
            .field(
                "login_failure_window_seconds",
                &self.login_failure_window_seconds,
            )
            .field("session_idle_minutes", &self.session_idle_minutes)
            .field("session_max_hours", &self.session_max_hours)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_debug_redacts_secrets() -> anyhow::Result<()> {
        let mut settings = Settings::defaults()?;
        settings.database.url = "postgres://user:hunter2@db:5432/x".into();
        settings.mail.password = "smtp-hunter3".into();
        settings.oidc.issuers.push(OidcIssuer {
            name: "region".into(),
            display_name: "Region".into(),
            issuer_url: "https://idp.example".into(),
            client_id: "hub".into(),
            client_secret: "oidc-hunter4".into(),
            scopes: vec![],
        });
        let shown = format!("{settings:?}");
        assert!(!shown.contains("smtp-hunter3"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("oidc-hunter4"), "{shown}");
        assert!(!shown.contains(DEV_JWT_SECRET), "{shown}");
        assert!(shown.contains("[redacted]@db:5432/x"), "{shown}");
        Ok(())
    }
}
