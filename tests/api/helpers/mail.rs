//! Mail and notifications: a test SMTP server as the outbox's destination, preferences,
//! the notification list and one scheduler round.

use reqwest::StatusCode;
use samverkan::config::Settings;
use serde_json::{json, Value};

use super::{TestApp, TestUser};

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
        reply.ensure_status(StatusCode::OK, "prefer")?;
        Ok(())
    }

    /// `user`'s notifications, newest first, as the API lists them.
    pub async fn notifications(&self, user: &TestUser) -> anyhow::Result<Vec<Value>> {
        let reply = self.get(user, "/api/notifications?limit=200").await?;
        reply.ensure_status(StatusCode::OK, "notifications")?;
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
}
