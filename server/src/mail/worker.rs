//! The outbox worker: takes due e-mails under a lease, sends them with lettre over SMTP and
//! records the outcome. A passing failure (server down, 4xx) is retried with exponential
//! backoff and jitter; a permanent refusal (5xx) is kept as failed. An e-mail is marked sent
//! only after the server accepted it, so a crash in between sends it again, with the
//! Message-ID it was given when enqueued.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use lettre::message::header::ContentType;
use lettre::message::{MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rand::Rng;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::{MailSettings, Settings, TlsMode};
use crate::domain::{EventKind, Timestamp};
use crate::metrics::Metrics;
use crate::store::outbox::{self, OutgoingMail};
use crate::store::{Store, StoreResult};

/// What to record for a claimed e-mail.
enum Settle {
    Sent(Timestamp),
    Retry(Timestamp, String),
    Failed(Timestamp, String),
    /// Not attempted: give it back.
    Release,
}

/// Why an e-mail was not sent.
#[derive(Debug)]
enum SendError {
    /// Try again later (connection, timeout, 4xx).
    Transient(String),
    /// Never (5xx, or an e-mail that cannot be built).
    Permanent(String),
}

pub struct Worker {
    store: Store,
    settings: Arc<Settings>,
    /// Names this worker's claims: the node id, the same across restarts.
    id: String,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// Counts what became of each attempt (`/metrics`), once `counted_in` names it.
    metrics: Option<Metrics>,
}

/// The SMTP transport the settings describe.
pub fn transport(mail: &MailSettings) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let builder = match mail.tls {
        TlsMode::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&mail.host),
        TlsMode::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&mail.host)?,
        TlsMode::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&mail.host)?,
    };
    let mut builder = builder
        .port(mail.port)
        .timeout(Some(Duration::from_secs(mail.timeout_seconds)));
    if !mail.username.is_empty() {
        builder = builder.credentials(Credentials::new(
            mail.username.clone(),
            mail.password.clone(),
        ));
    }
    Ok(builder.build())
}

/// Delay before attempt `attempts + 1`: base * 2^(attempts-1), capped, with jitter so that
/// many e-mails (and hub processes) do not retry in step.
pub fn backoff(mail: &MailSettings, attempts: i64) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let full = mail
        .retry_base_ms
        .saturating_mul(1u64 << exponent)
        .min(mail.retry_max_ms);
    let jittered = (full as f64 * rand::thread_rng().gen_range(0.5..=1.0)) as u64;
    Duration::from_millis(jittered.max(1))
}

/// Builds the MIME message: multipart/alternative of text, HTML and, for meetings, the
/// iCalendar part with its METHOD also in the content type.
pub fn build_message(from: &str, mail: &OutgoingMail) -> anyhow::Result<Message> {
    let date = UNIX_EPOCH
        + Duration::from_micros(u64::try_from(mail.created_at.micros()).unwrap_or_default());
    let builder = Message::builder()
        .from(from.parse()?)
        .to(mail.recipient.parse()?)
        .subject(mail.subject.clone())
        .message_id(Some(mail.message_id.clone()))
        .date(date);
    let mut parts = MultiPart::alternative()
        .singlepart(SinglePart::plain(mail.body_text.clone()))
        .singlepart(SinglePart::html(mail.body_html.clone()));
    if let Some((ics, method)) = &mail.calendar {
        let content_type =
            ContentType::parse(&format!("text/calendar; method={method}; charset=utf-8"))?;
        parts = parts.singlepart(SinglePart::builder().header(content_type).body(ics.clone()));
    }
    Ok(builder.multipart(parts)?)
}

impl Worker {
    /// A worker claiming under `node_id` (see `server.node_id`).
    pub fn new(store: Store, settings: Arc<Settings>, node_id: &str) -> anyhow::Result<Self> {
        let transport = transport(&settings.mail)?;
        Ok(Self {
            store,
            settings,
            id: node_id.to_owned(),
            transport,
            metrics: None,
        })
    }

    /// Counts sent, retried and failed e-mails in `metrics`.
    pub fn counted_in(mut self, metrics: Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    fn count(&self, outcome: &'static str) {
        if let Some(metrics) = &self.metrics {
            metrics.mail(outcome);
        }
    }

    /// Takes back what this node held when it last stopped; nothing else of this node runs yet.
    async fn reclaim(&self) -> StoreResult<u64> {
        let mut tx = self.store.begin().await?;
        let released = outbox::release_all(&mut tx, &self.id).await?;
        tx.commit().await?;
        Ok(released)
    }

    /// Runs until `stop`; the e-mail being sent is finished, the rest of the batch released.
    pub fn spawn(self, stop: CancellationToken) -> JoinHandle<()> {
        tokio::spawn(async move { self.run(stop).await })
    }

    async fn run(self, stop: CancellationToken) {
        let mut feed = Some(self.store.subscribe());
        let poll = Duration::from_millis(self.settings.mail.poll_interval_ms.max(10));
        match self.reclaim().await {
            Ok(0) => {}
            Ok(released) => tracing::info!(released, "took back e-mails claimed before a restart"),
            Err(err) => {
                tracing::warn!(error = %err, "could not take back earlier claims; their lease runs out")
            }
        }
        tracing::info!("mail worker started");
        loop {
            if let Err(err) = self.drain(&stop).await {
                tracing::warn!(error = %err, "outbox round failed; trying again later");
            }
            // Woken by changes committed in this process, or by the clock (other processes).
            let woken = async {
                loop {
                    match feed.as_mut() {
                        Some(rx) => match rx.recv().await {
                            Ok(events) if events.iter().any(|e| may_have_mail(e.kind)) => break,
                            Ok(_) => {}
                            Err(RecvError::Lagged(_)) => break,
                            Err(RecvError::Closed) => feed = None,
                        },
                        None => std::future::pending::<()>().await,
                    }
                }
            };
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(poll) => {}
                _ = woken => {}
            }
        }
        tracing::info!("mail worker stopped");
    }

    /// Sends everything due now, batch by batch; stops early on an outage.
    pub async fn drain(&self, stop: &CancellationToken) -> StoreResult<usize> {
        let mail = &self.settings.mail;
        let lease = mail.lease_seconds.saturating_mul(1_000_000);
        let mut sent = 0;
        loop {
            let batch = {
                let mut tx = self.store.begin().await?;
                let batch = outbox::claim(
                    &mut tx,
                    &self.id,
                    Timestamp::now(),
                    lease,
                    mail.batch_size.max(1),
                )
                .await?;
                tx.commit().await?;
                batch
            };
            if batch.is_empty() {
                return Ok(sent);
            }
            let mut outage = false;
            for item in batch {
                if stop.is_cancelled() {
                    self.settle(item.id, Settle::Release).await?;
                    continue;
                }
                let result = if outage {
                    Err(SendError::Transient("not tried: server unavailable".into()))
                } else {
                    self.send(&item).await
                };
                let now = Timestamp::now();
                let settle = match result {
                    Ok(()) => {
                        sent += 1;
                        self.count("sent");
                        Settle::Sent(now)
                    }
                    Err(SendError::Transient(error)) => {
                        outage = true;
                        self.count("retry");
                        let delay = backoff(mail, item.attempts);
                        let delay_micros = i64::try_from(delay.as_micros()).unwrap_or(i64::MAX);
                        tracing::warn!(outbox_id = %item.id, attempt = item.attempts,
                            retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                            "e-mail not sent; will retry");
                        Settle::Retry(
                            Timestamp::from_micros(now.micros().saturating_add(delay_micros)),
                            error,
                        )
                    }
                    Err(SendError::Permanent(error)) => {
                        self.count("failed");
                        tracing::error!(outbox_id = %item.id, attempt = item.attempts,
                            "e-mail refused for good; kept as failed");
                        Settle::Failed(now, error)
                    }
                };
                self.settle(item.id, settle).await?;
            }
            if outage || stop.is_cancelled() {
                return Ok(sent);
            }
        }
    }

    /// Records what became of one claimed e-mail, in its own transaction.
    async fn settle(&self, id: uuid::Uuid, settle: Settle) -> StoreResult<()> {
        let mut tx = self.store.begin().await?;
        match settle {
            Settle::Sent(at) => outbox::mark_sent(&mut tx, id, &self.id, at).await?,
            Settle::Retry(next, error) => {
                outbox::retry_at(&mut tx, id, &self.id, next, &error).await?
            }
            Settle::Failed(at, error) => {
                outbox::mark_failed(&mut tx, id, &self.id, at, &error).await?
            }
            Settle::Release => outbox::release(&mut tx, id, &self.id).await?,
        }
        tx.commit().await?;
        Ok(())
    }

    async fn send(&self, item: &OutgoingMail) -> Result<(), SendError> {
        let message = build_message(&self.settings.mail.from, item)
            .map_err(|e| SendError::Permanent(format!("cannot build the e-mail: {e}")))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(err) if err.is_permanent() => Err(SendError::Permanent(truncate(&err.to_string()))),
            Err(err) => Err(SendError::Transient(truncate(&err.to_string()))),
        }
    }
}

/// Changes whose transaction may have written e-mail: a notification, an inquiry sent to a
/// shared inbox (or a SIP call), a meeting's invitations to people outside the hub.
fn may_have_mail(kind: EventKind) -> bool {
    match kind {
        EventKind::NotificationCreated
        | EventKind::InquirySent
        | EventKind::SipCallCreated
        | EventKind::FinsamReferralSent
        | EventKind::FinsamReferralReturned
        | EventKind::FinsamReferralAccepted
        | EventKind::FinsamReferralDeclined
        | EventKind::FinsamAgendaPublished
        | EventKind::FinsamReferralClosed
        | EventKind::FordjupadBrought
        | EventKind::FordjupadDecided
        | EventKind::MeetingInvited
        | EventKind::MeetingUpdated
        | EventKind::MeetingCancelled
        | EventKind::MeetingAnswered => true,
        EventKind::CaseOpened
        | EventKind::CaseUpdated
        | EventKind::CaseHandedOver
        | EventKind::ConsentRecorded
        | EventKind::ConsentEnded
        | EventKind::ConsentAnnulled
        | EventKind::AccessRevoked
        | EventKind::MessageCreated
        | EventKind::MessageRead
        | EventKind::InquiryReceived
        | EventKind::InquiryAssigned
        | EventKind::InquiryAnswered
        | EventKind::InquiryDeclined
        | EventKind::InquiryWithdrawn
        | EventKind::InquiryClosed
        | EventKind::InquiryThreadPost
        | EventKind::SipCallAnswered
        | EventKind::SipCallBooked
        | EventKind::SipCallCancelled
        | EventKind::SipCallHeld
        | EventKind::PlanCreated
        | EventKind::PlanChanged
        | EventKind::PlanAdopted
        | EventKind::PlanClosed
        | EventKind::PlanActionUpdated
        | EventKind::PlanResponsibleLost
        | EventKind::FinsamReferralWithdrawn
        | EventKind::FinsamAgendaChanged
        | EventKind::FinsamReferralPlanAdopted
        | EventKind::FinsamReferralFollowedUp
        | EventKind::FordjupadPhaseAssessed
        | EventKind::FordjupadEscalationCleared
        | EventKind::SessionEnded => false,
    }
}

/// Kept in the outbox row (not logged): the server's words may name the address.
fn truncate(text: &str) -> String {
    text.chars().take(500).collect()
}
