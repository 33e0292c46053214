//! Notifications (notiser): every event a user should act on becomes a stored notification
//! for each recipient, a thin `notification.created` event for the live stream and, as the
//! user prefers, an e-mail in the outbox or a line in the daily digest, all in the
//! transaction of the change itself. A notification holds a kind and ids, never content.
//! Who is told of what is `rules` (run at commit over the transaction's events); reminders
//! come from the `scheduler`.

mod finsam;
mod fordjupad;
mod plans;
pub mod rules;
pub mod scheduler;
mod triggers;

use uuid::Uuid;

use crate::access::policy::{decide_case, CaseFacts, Need};
use crate::access::Actor;
use crate::config::Settings;
use crate::domain::event::{Audience, Detail, NewEvent};
use crate::domain::{CaseId, EventKind, Timestamp, UserId};

use crate::mail::{calendar, templates};
use crate::store::meetings::Invitation;
use crate::store::notifications::{self as stored, EmailState, Notification, Whom};
use crate::store::outbox::{CalendarOrder, OutgoingMail};
use crate::store::{cases, outbox, StoreResult, Tx};

pub use crate::domain::{Delivery, NotificationKind};
pub use rules::NotificationRules;

/// Something to tell users about: a kind and the ids it concerns.
#[derive(Clone, Debug)]
pub struct Notice {
    pub kind: NotificationKind,
    pub case_id: Option<CaseId>,
    pub subject_id: Option<String>,
    /// Tell only users who may see the case for this now; `None`: no check (the case is
    /// gone from their sight, as with `access_revoked`).
    pub need: Option<Need>,
    /// A meeting whose invitation (or cancellation) goes with the e-mail as an iCalendar part.
    pub calendar: Option<Invitation>,
}

/// Puts the meeting's iCalendar part for `mail`'s recipient into it, with the key and
/// SEQUENCE that keep one attendee's e-mails about one meeting in order in the outbox.
fn attach_calendar(settings: &Settings, mail: &mut OutgoingMail, meeting: &Invitation) {
    let public_url = &settings.server.public_url;
    let invite =
        calendar::Invite::for_meeting(meeting, &mail.recipient, public_url, Timestamp::now());
    let part = calendar::build(&invite);
    mail.calendar = Some((part.text, invite.method.code().to_owned()));
    mail.order = Some(CalendarOrder {
        key: format!(
            "{} {}",
            calendar::uid(meeting.meeting_id, public_url),
            mail.recipient.trim().to_lowercase()
        ),
        sequence: meeting.sequence,
    });
}

/// Notifies each of `users` once (inactive users and those the policy would not show the
/// case are left out): a stored notification, a live event and, as they prefer, an e-mail.
pub async fn notify(
    tx: &mut Tx,
    settings: &Settings,
    notice: &Notice,
    users: &[UserId],
) -> StoreResult<Vec<Uuid>> {
    let facts = match (notice.case_id, notice.need) {
        (Some(case), Some(_)) => cases::facts(tx, case).await?,
        _ => None,
    };
    let whom = Whom {
        users,
        involved_in: None,
    };
    notify_under(tx, settings, notice, whom, facts.as_ref()).await
}

/// `notify` with the case's facts already loaded in this transaction (`None` when the
/// notice has no case or no need), to those `whom` names.
pub(crate) async fn notify_under(
    tx: &mut Tx,
    settings: &Settings,
    notice: &Notice,
    whom: Whom<'_>,
    facts: Option<&CaseFacts>,
) -> StoreResult<Vec<Uuid>> {
    let now = Timestamp::now();
    let found = stored::recipients(tx, whom, notice.kind).await?;
    let mut created = Vec::new();
    let mut rows = Vec::new();
    let mut mails = Vec::new();
    for (user, delivery) in found {
        if !user.active {
            continue;
        }
        let user_id = user.id;
        if let Some(need) = notice.need {
            let actor = Actor::of(&user, None);
            let sees = facts.is_some_and(|f| decide_case(&actor, f, need, now).is_some());
            if !sees {
                continue;
            }
        }
        let email = match delivery {
            Delivery::Immediate => EmailState::Immediate,
            Delivery::Digest => EmailState::DigestPending,
            Delivery::None => EmailState::None,
        };
        let notification = Notification {
            id: Uuid::now_v7(),
            user_id,
            kind: notice.kind,
            case_id: notice.case_id,
            subject_id: notice.subject_id.clone(),
            created_at: now,
            read_at: None,
        };
        if delivery == Delivery::Immediate {
            let link = templates::notification_link(settings, notification.id);
            let mut mail =
                templates::notification_mail(settings, notice.kind, &link, &user.email, now);
            if let Some(meeting) = &notice.calendar {
                attach_calendar(settings, &mut mail, meeting);
            }
            mails.push(mail);
        }
        tx.event(NewEvent {
            kind: EventKind::NotificationCreated,
            case_id: None,
            individual_id: None,
            subject_id: Some(notification.id.to_string()),
            purpose: None,
            audience: Audience::Users(vec![user_id]),
            detail: Detail::None,
        });
        created.push(notification.id);
        rows.push((notification, email));
    }
    // One statement for every notification, then the e-mails.
    stored::insert_many(tx, &rows).await?;
    for mail in &mails {
        outbox::enqueue(tx, mail).await?;
    }
    Ok(created)
}

/// An e-mail to an address that is not a user (an organisation's shared inbox, a meeting's
/// external attendee): the same neutral text, linking to `path` under the public URL, with
/// the meeting's calendar part when there is one.
pub async fn notify_address(
    tx: &mut Tx,
    settings: &Settings,
    kind: NotificationKind,
    path: &str,
    address: &str,
    meeting: Option<&Invitation>,
) -> StoreResult<()> {
    let link = templates::link(settings, path);
    let mut mail = templates::notification_mail(settings, kind, &link, address, Timestamp::now());
    if let Some(meeting) = meeting {
        attach_calendar(settings, &mut mail, meeting);
    }
    outbox::enqueue(tx, &mail).await
}
