//! The reminder scheduler: overdue inquiries, consents ending soon, meeting reminders, SIP
//! calls an obliged party has not answered, plan actions and follow-ups falling due, and the
//! daily digest. Each reminder is claimed in `reminders_sent` (unique kind, subject,
//! due) in the transaction that notifies, so it goes out exactly once however many hub
//! processes run and however often they restart.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Timelike};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::domain::inquiry::AWAITING_ANSWER;
use crate::domain::{InquiryId, Timestamp};
use crate::mail::templates;
use crate::metrics::Metrics;
use crate::store::notifications as stored;
use crate::store::sip_calls::chase;
use crate::store::{finsam, outbox, plans, users, Store, StoreError, StoreResult, Tx};

use super::{triggers, NotificationKind};

/// Candidates looked at per kind and round.
const BATCH: i64 = 200;

/// What one round did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub inquiries_overdue: usize,
    pub consents_ending: usize,
    pub meeting_reminders: usize,
    pub sip_chases: usize,
    /// Plan actions due soon or overdue, and follow-ups coming up or passed.
    pub plan_reminders: usize,
    pub digests: usize,
}

/// Runs rounds every `scheduler_interval_seconds` until `stop`.
/// Each finished round reports how late it started to `metrics`.
pub fn spawn(
    store: Store,
    settings: Arc<Settings>,
    metrics: Metrics,
    stop: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let interval =
            Duration::from_secs(settings.notifications.scheduler_interval_seconds.max(1));
        tracing::info!("reminder scheduler started");
        let mut due = Instant::now();
        loop {
            let lag = due.elapsed().as_secs_f64();
            match run_once(&store, &settings, Timestamp::now()).await {
                Ok(_) => metrics.scheduler_round(lag),
                Err(err) => {
                    tracing::warn!(error = %err, "scheduler round failed; trying again next round")
                }
            }
            due = Instant::now() + interval;
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(interval) => {}
            }
        }
        tracing::info!("reminder scheduler stopped");
    })
}

/// One round at `now`. Public so tests can drive the clock.
pub async fn run_once(store: &Store, settings: &Settings, now: Timestamp) -> StoreResult<Round> {
    Ok(Round {
        inquiries_overdue: overdue_inquiries(store, settings, now).await?,
        consents_ending: ending_consents(store, settings, now).await?,
        meeting_reminders: meeting_reminders(store, settings, now).await?,
        sip_chases: sip_chases(store, settings, now).await?,
        plan_reminders: plan_reminders(store, settings, now).await?,
        digests: digests(store, settings, now).await?,
    })
}

fn date_of(at: Timestamp) -> NaiveDate {
    at.to_datetime().date_naive()
}

/// A transaction holding the claim on one reminder (written in it, so the reminder goes out
/// once across restarts and processes), or `None` when it has been claimed already.
async fn claim(
    store: &Store,
    kind: NotificationKind,
    subject: &str,
    due: &str,
) -> StoreResult<Option<Tx>> {
    let mut tx = store.begin().await?;
    Ok(stored::claim_reminder(&mut tx, kind.code(), subject, due)
        .await?
        .then_some(tx))
}

async fn overdue_inquiries(
    store: &Store,
    settings: &Settings,
    now: Timestamp,
) -> StoreResult<usize> {
    let candidates: Vec<(InquiryId, String)> = {
        let mut read = store.read().await?;
        stored::overdue_inquiries(&mut read, date_of(now), AWAITING_ANSWER, BATCH).await?
    };
    let mut done = 0;
    for (id, due) in candidates {
        let kind = NotificationKind::InquiryOverdue;
        if let Some(mut tx) = claim(store, kind, &id.to_string(), &due).await? {
            triggers::inquiry_overdue(&mut tx, settings, id).await?;
            tx.commit().await?;
            done += 1;
        }
    }
    Ok(done)
}

async fn ending_consents(store: &Store, settings: &Settings, now: Timestamp) -> StoreResult<usize> {
    let until = now.plus_days(settings.notifications.consent_ending_days);
    let candidates = {
        let mut read = store.read().await?;
        stored::ending_consents(&mut read, now, until, BATCH).await?
    };
    let mut done = 0;
    for consent in candidates {
        let due = consent.valid_until.micros().to_string();
        let kind = NotificationKind::ConsentEnding;
        if let Some(mut tx) = claim(store, kind, &consent.id.to_string(), &due).await? {
            triggers::consent_ending(&mut tx, settings, &consent).await?;
            tx.commit().await?;
            done += 1;
        }
    }
    Ok(done)
}

async fn meeting_reminders(
    store: &Store,
    settings: &Settings,
    now: Timestamp,
) -> StoreResult<usize> {
    let hours = settings.notifications.meeting_reminder_hours;
    let until = Timestamp::from_micros(
        now.micros()
            .saturating_add(hours.saturating_mul(3_600_000_000)),
    );
    let candidates = {
        let mut read = store.read().await?;
        stored::meetings_starting(&mut read, now, until, BATCH).await?
    };
    let mut done = 0;
    for (id, due) in candidates {
        let kind = NotificationKind::MeetingReminder;
        if let Some(mut tx) = claim(store, kind, &id.to_string(), &due).await? {
            triggers::meeting_reminder(&mut tx, settings, id).await?;
            tx.commit().await?;
            done += 1;
        }
    }
    Ok(done)
}

/// Obliged parties silent on a call for `sip.chase_after_days`: each is chased once (the
/// claim's subject is the call and the organisation), and the party shows when it was.
async fn sip_chases(store: &Store, settings: &Settings, now: Timestamp) -> StoreResult<usize> {
    let called_before = now.plus_days(-settings.sip.chase_after_days.max(0));
    let candidates = {
        let mut read = store.read().await?;
        chase::silent_obliged(&mut read, called_before, BATCH).await?
    };
    let mut done = 0;
    for silent in candidates {
        let kind = NotificationKind::SipCallChased;
        let subject = format!("{} {}", silent.call_id, silent.organisation_id);
        let due = silent.called_at.micros().to_string();
        if let Some(mut tx) = claim(store, kind, &subject, &due).await? {
            chase::mark_chased(&mut tx, silent.call_id, silent.organisation_id, now).await?;
            triggers::sip_call_parties(
                &mut tx,
                settings,
                silent.call_id,
                kind,
                Some(silent.organisation_id),
            )
            .await?;
            tx.commit().await?;
            done += 1;
        }
    }
    Ok(done)
}

/// Plan actions due within `plans.warn_days` or overdue, and follow-ups coming up or passed:
/// each once before its date ("soon") and once after it ("passed"), per date, so a moved
/// date is reminded of again.
async fn plan_reminders(store: &Store, settings: &Settings, now: Timestamp) -> StoreResult<usize> {
    let today = date_of(now);
    let until = today + chrono::Days::new(settings.plans.warn_days.max(0).unsigned_abs());
    let (actions, follow_ups) = {
        let mut read = store.read().await?;
        (
            plans::reminders::due_actions(&mut read, until, BATCH).await?,
            plans::reminders::follow_ups(&mut read, until, BATCH).await?,
        )
    };
    let phase = |date: NaiveDate| if date < today { "passed" } else { "soon" };
    let mut done = 0;
    for (plan, action, due_on) in actions {
        let due = format!("{}:{due_on}", phase(due_on));
        let kind = NotificationKind::PlanActionDue;
        if let Some(mut tx) = claim(store, kind, &action.to_string(), &due).await? {
            super::plans::action_due(&mut tx, settings, plan, action).await?;
            tx.commit().await?;
            done += 1;
        }
    }
    // The Finsamteam plans' follow-ups (on the referral): the coordinators and the driver.
    let until_at = now.plus_days(settings.plans.warn_days.max(0));
    let finsam_follow_ups = {
        let mut read = store.read().await?;
        finsam::follow_ups_due(&mut read, until_at, BATCH).await?
    };
    for (referral, due_at) in finsam_follow_ups {
        let due_on = date_of(due_at);
        let due = format!("{}:{due_on}", phase(due_on));
        let kind = NotificationKind::FinsamFollowUpDue;
        if let Some(mut tx) = claim(store, kind, &referral.to_string(), &due).await? {
            finsam::mark_reminded(&mut tx, referral, now).await?;
            super::finsam::follow_up_due(&mut tx, settings, referral).await?;
            tx.commit().await?;
            done += 1;
        }
    }
    for (plan, follow_up_on) in follow_ups {
        let due = format!("{}:{follow_up_on}", phase(follow_up_on));
        let kind = NotificationKind::PlanFollowUpDue;
        if let Some(mut tx) = claim(store, kind, &plan.to_string(), &due).await? {
            super::plans::follow_up_due(&mut tx, settings, plan).await?;
            tx.commit().await?;
            done += 1;
        }
    }
    Ok(done)
}

/// From the digest hour on, one e-mail per user and day counting what waits per kind.
async fn digests(store: &Store, settings: &Settings, now: Timestamp) -> StoreResult<usize> {
    let at = now.to_datetime();
    if at.hour() < settings.notifications.digest_hour_utc {
        return Ok(0);
    }
    let day = at.date_naive().to_string();
    let candidates = {
        let mut tx = store.begin().await?;
        let list = stored::users_with_pending_digest(&mut tx, BATCH).await?;
        tx.commit().await?;
        list
    };
    let mut done = 0;
    for user_id in candidates {
        let mut tx = store.begin().await?;
        if !stored::claim_reminder(&mut tx, "digest", &user_id.to_string(), &day).await? {
            continue;
        }
        let counts = stored::take_digest(&mut tx, user_id).await?;
        let user = match users::get(&mut tx, user_id).await {
            Ok(user) => Some(user),
            Err(StoreError::NotFound) => None,
            Err(err) => return Err(err),
        };
        if let Some(user) = user.filter(|u| u.active && !counts.is_empty()) {
            let mail = templates::digest_mail(settings, &counts, &user.email, Timestamp::now());
            outbox::enqueue(&mut tx, &mail).await?;
            done += 1;
        }
        tx.commit().await?;
    }
    Ok(done)
}
