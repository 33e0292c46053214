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
    pub consent: ConsentSettings,
    pub inquiry: InquirySettings,
    pub stream: StreamSettings,
    pub log: LogSettings,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: SocketAddr,
    pub public_url: String,
    pub body_limit_bytes: usize,
    pub web_dir: PathBuf,
    pub socket_send_buffer_bytes: usize,
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
        let shown = format!("{settings:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains(DEV_JWT_SECRET), "{shown}");
        assert!(shown.contains("[redacted]@db:5432/x"), "{shown}");
        Ok(())
    }
}
