//! Who is told of what happened. A handler records its change's event and nothing more; at
//! commit, inside the same transaction, the store hands the transaction's events to
//! `NotificationRules` (installed as the store's `CommitHook`), and `rule` — the one table of
//! who is told of each event kind, and how — turns them into notifications, e-mail and
//! calendar parts. A new event kind does not compile until it has its line in `rule`.
//!
//! Reminders (an inquiry overdue, a consent ending, a meeting tomorrow, the digest) are not
//! events: nothing changed that a client should see, so they would only add rows to the
//! event log and the live stream. The `scheduler` claims each once and calls the same
//! recipient functions directly.

use std::sync::Arc;

use crate::config::Settings;
use crate::domain::event::{Audience, Detail, NewEvent};
use crate::domain::inquiry::Step;
use crate::domain::{EventKind, NotificationKind};
use crate::store::{CommitHook, StoreError, StoreResult, Tx};

use super::triggers;

/// Who is told of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Nobody, on purpose (why is written beside the kind in `rule`).
    Nobody,
    /// These people, with a notification of this kind (and e-mail as each prefers).
    Tell(NotificationKind, To),
    /// A meeting's invitation, change or cancellation as the event's `MeetingChange` says:
    /// the newly invited, or everyone invited, each with the iCalendar part; external
    /// attendees by e-mail. An event of the meeting without a change tells nobody.
    Meeting,
}

/// The people a `Rule::Tell` reaches. Each is told only while the policy lets them see the
/// case for the event's purpose, unless said otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum To {
    /// The case's new responsible user.
    NewResponsible,
    /// Those of the other organisations in the case who may read its messages: in the owning
    /// organisation the responsible, in a partner organisation those who took part in the
    /// case (or, when nobody has yet, its case workers). Never the author's organisation.
    MessageReaders,
    /// The receiving clinic's rehab coordinators, and its shared inbox address by e-mail.
    Clinic,
    /// The rehab coordinator the inquiry was assigned to.
    Assignee,
    /// Who sent the inquiry and the case's responsible.
    SenderAndResponsible,
    /// Those of the organisations that lost sight of the case who had taken part in it. No
    /// case check: that they can no longer see it is the news.
    LostAccess,
    /// Who recorded the consent, when someone else ended or annulled it. No case check.
    Recorder,
    /// Each called organisation of a SIP call: its case workers, and its shared inbox
    /// address by e-mail.
    CalledOrganisations,
    /// Who made the SIP call and the case's responsible.
    SipCaller,
    /// Those holding the plan's actions in other organisations (the person, or else the
    /// organisation's case workers) and the overall responsible.
    PlanHolders,
    /// The plan's owner: the case's responsible and the overall responsible.
    PlanOwner,
    /// The Finsam coordinators of the förbund a referral is sent to.
    FinsamCoordinators,
    /// The caseworker who wrote a Finsam referral.
    FinsamReferrer,
    /// Those invited to a Finsamteam meeting (the event's users). No case check: the
    /// notice names no case and no individual.
    FinsamMeetingParticipants,
}

/// The one table: who is told of each kind of event, and how.
pub const fn rule(kind: EventKind) -> Rule {
    use NotificationKind as N;
    match kind {
        // The one who opens or edits a case knows; partners learn of it through its consent.
        EventKind::CaseOpened | EventKind::CaseUpdated => Rule::Nobody,
        EventKind::CaseHandedOver => Rule::Tell(N::CaseHandedOver, To::NewResponsible),
        // Recording a consent changes what partners see, not what they must act on.
        EventKind::ConsentRecorded => Rule::Nobody,
        EventKind::ConsentEnded | EventKind::ConsentAnnulled => {
            Rule::Tell(N::ConsentChanged, To::Recorder)
        }
        EventKind::AccessRevoked => Rule::Tell(N::AccessRevoked, To::LostAccess),
        EventKind::MessageCreated => Rule::Tell(N::MessageReceived, To::MessageReaders),
        // A read receipt is shown on the message, live; nobody acts on it.
        EventKind::MessageRead => Rule::Nobody,
        EventKind::InquirySent => Rule::Tell(N::InquiryReceived, To::Clinic),
        EventKind::InquiryAssigned => Rule::Tell(N::InquiryAssigned, To::Assignee),
        EventKind::InquiryAnswered => Rule::Tell(N::InquiryAnswered, To::SenderAndResponsible),
        EventKind::InquiryDeclined => Rule::Tell(N::InquiryDeclined, To::SenderAndResponsible),
        // The sender sees these in the inquiry, live; none asks anything of anybody.
        EventKind::InquiryReceived
        | EventKind::InquiryWithdrawn
        | EventKind::InquiryClosed
        | EventKind::InquiryThreadPost => Rule::Nobody,
        EventKind::MeetingInvited | EventKind::MeetingUpdated | EventKind::MeetingCancelled => {
            Rule::Meeting
        }
        // An answer shows in the meeting, live; the organiser is not sent e-mail for each.
        EventKind::MeetingAnswered => Rule::Nobody,
        EventKind::SipCallCreated => Rule::Tell(N::SipCallReceived, To::CalledOrganisations),
        EventKind::SipCallAnswered => Rule::Tell(N::SipCallAnswered, To::SipCaller),
        EventKind::SipCallCancelled => Rule::Tell(N::SipCallCancelled, To::CalledOrganisations),
        // Booking tells through the meeting's own invitations; the plan adopted from the
        // meeting is the news of a held call.
        EventKind::SipCallBooked | EventKind::SipCallHeld => Rule::Nobody,
        EventKind::PlanAdopted => Rule::Tell(N::PlanAdopted, To::PlanHolders),
        EventKind::PlanResponsibleLost => Rule::Tell(N::PlanResponsibleLost, To::PlanOwner),
        // Drafts are the owner's own work; closing and status reports show in the plan and
        // in "Våra åtaganden", live.
        EventKind::PlanCreated
        | EventKind::PlanChanged
        | EventKind::PlanClosed
        | EventKind::PlanActionUpdated => Rule::Nobody,
        EventKind::FinsamReferralSent => {
            Rule::Tell(N::FinsamReferralReceived, To::FinsamCoordinators)
        }
        EventKind::FinsamReferralReturned
        | EventKind::FinsamReferralAccepted
        | EventKind::FinsamReferralDeclined => {
            Rule::Tell(N::FinsamReferralDecided, To::FinsamReferrer)
        }
        // A withdrawn referral leaves the coordinators' inbox, live; nothing to act on.
        EventKind::FinsamReferralWithdrawn => Rule::Nobody,
        // The plan's adoption tells its holders (plan.adopted); a follow-up shows in the
        // referral, live. Closing is the referrer's news.
        EventKind::FinsamReferralPlanAdopted | EventKind::FinsamReferralFollowedUp => Rule::Nobody,
        EventKind::FinsamReferralClosed => Rule::Tell(N::FinsamReferralDecided, To::FinsamReferrer),
        EventKind::FinsamAgendaPublished => {
            Rule::Tell(N::FinsamAgendaPublished, To::FinsamMeetingParticipants)
        }
        // The coordinator's own work on the agenda shows on the meeting page, live; the
        // participants are told once it is published.
        EventKind::FinsamAgendaChanged => Rule::Nobody,
        // What the rules themselves write, and sign-outs: telling of them would loop or leak.
        EventKind::NotificationCreated | EventKind::SessionEnded => Rule::Nobody,
    }
}

/// Runs `rule` over each commit's events, in its transaction (the store's `CommitHook`).
#[derive(Debug)]
pub struct NotificationRules {
    settings: Arc<Settings>,
}

impl NotificationRules {
    pub fn new(settings: Arc<Settings>) -> Self {
        Self { settings }
    }
}

#[async_trait::async_trait]
impl CommitHook for NotificationRules {
    async fn before_commit(&self, tx: &mut Tx, events: &[NewEvent]) -> StoreResult<()> {
        for event in events {
            apply(tx, &self.settings, event).await?;
        }
        Ok(())
    }
}

/// An event that lacks what its rule needs: a handler recorded it incompletely.
fn incomplete(event: &NewEvent, what: &str) -> StoreError {
    StoreError::Other(anyhow::anyhow!(
        "a {} event without {what} cannot be told",
        event.kind
    ))
}

/// The event's subject id, parsed.
fn subject<T: std::str::FromStr>(event: &NewEvent) -> StoreResult<T> {
    event
        .subject_id
        .as_deref()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| incomplete(event, "its subject"))
}

/// Tells whom `rule` says of `event`.
pub async fn apply(tx: &mut Tx, settings: &Settings, event: &NewEvent) -> StoreResult<()> {
    let to = match rule(event.kind) {
        Rule::Nobody => return Ok(()),
        Rule::Meeting => {
            return match &event.detail {
                Detail::Meeting(change) => {
                    triggers::meeting(tx, settings, subject(event)?, change).await
                }
                _ => Ok(()),
            };
        }
        Rule::Tell(_, to) => to,
    };
    let case_id = event.case_id.ok_or_else(|| incomplete(event, "a case"));
    match to {
        To::NewResponsible => {
            let Detail::HandedOver { to } = event.detail else {
                return Err(incomplete(event, "its new responsible"));
            };
            triggers::case_handed_over(tx, settings, case_id?, to).await
        }
        To::MessageReaders => {
            let Detail::By { organisation, .. } = event.detail else {
                return Err(incomplete(event, "its author"));
            };
            triggers::message_created(tx, settings, case_id?, subject(event)?, organisation).await
        }
        To::Clinic => triggers::inquiry_step(tx, settings, subject(event)?, Step::Send).await,
        To::Assignee => triggers::inquiry_step(tx, settings, subject(event)?, Step::Assign).await,
        To::SenderAndResponsible => {
            let step = match event.kind {
                EventKind::InquiryDeclined => Step::Decline,
                _ => Step::Answer,
            };
            triggers::inquiry_step(tx, settings, subject(event)?, step).await
        }
        To::LostAccess => {
            let Audience::Revoked(organisations) = &event.audience else {
                return Err(incomplete(event, "the organisations that lost access"));
            };
            let consent = subject(event)?;
            triggers::access_revoked(tx, settings, case_id?, organisations, consent).await
        }
        To::CalledOrganisations => {
            let kind = match event.kind {
                EventKind::SipCallCancelled => NotificationKind::SipCallCancelled,
                _ => NotificationKind::SipCallReceived,
            };
            triggers::sip_call_parties(tx, settings, subject(event)?, kind, None).await
        }
        To::SipCaller => triggers::sip_call_answered(tx, settings, subject(event)?).await,
        To::Recorder => {
            let Detail::By { user, .. } = event.detail else {
                return Err(incomplete(event, "who changed it"));
            };
            triggers::consent_changed(tx, settings, subject(event)?, event.case_id, user).await
        }
        To::PlanHolders => super::plans::adopted(tx, settings, subject(event)?).await,
        To::PlanOwner => super::plans::responsible_lost(tx, settings, subject(event)?).await,
        To::FinsamCoordinators => super::finsam::coordinators(tx, settings, subject(event)?).await,
        To::FinsamReferrer => super::finsam::referrer(tx, settings, subject(event)?).await,
        To::FinsamMeetingParticipants => {
            let Audience::Users(users) = &event.audience else {
                return Err(incomplete(event, "the meeting's participants"));
            };
            super::finsam::agenda_published(tx, settings, subject(event)?, users).await
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Told by the scheduler, not by an event.
    const REMINDERS: [NotificationKind; 7] = [
        NotificationKind::FinsamFollowUpDue,
        NotificationKind::PlanActionDue,
        NotificationKind::PlanFollowUpDue,
        NotificationKind::InquiryOverdue,
        NotificationKind::ConsentEnding,
        NotificationKind::MeetingReminder,
        NotificationKind::SipCallChased,
    ];

    #[test]
    fn every_event_kind_has_a_rule_and_every_notification_kind_a_cause() {
        let mut told = BTreeSet::new();
        for kind in EventKind::ALL {
            match rule(*kind) {
                Rule::Tell(notification, _) => {
                    told.insert(notification);
                }
                Rule::Meeting => {
                    told.extend([
                        NotificationKind::MeetingInvitation,
                        NotificationKind::MeetingChanged,
                        NotificationKind::MeetingCancelled,
                    ]);
                }
                Rule::Nobody => {}
            }
        }
        told.extend(REMINDERS);
        let all: BTreeSet<_> = NotificationKind::ALL.iter().copied().collect();
        assert_eq!(told, all, "a notification kind that nothing causes");
    }

    #[test]
    fn nobody_is_told_only_of_the_kinds_chosen_so() {
        let nobody: Vec<&str> = EventKind::ALL
            .iter()
            .filter(|k| rule(**k) == Rule::Nobody)
            .map(|k| k.code())
            .collect();
        assert_eq!(
            nobody,
            [
                "case.opened",
                "case.updated",
                "consent.recorded",
                "message.read",
                "inquiry.received",
                "inquiry.withdrawn",
                "inquiry.closed",
                "inquiry.thread_post",
                "meeting.answered",
                "sip_call.booked",
                "sip_call.held",
                "plan.created",
                "plan.changed",
                "plan.closed",
                "plan.action_updated",
                "finsam_referral.withdrawn",
                "finsam_referral.plan_adopted",
                "finsam_referral.followed_up",
                "finsam_meeting.agenda_changed",
                "notification.created",
                "session.ended",
            ]
        );
    }

    #[test]
    fn the_rules_never_tell_of_what_they_write_themselves() {
        // The rules record `notification.created` events; were they told of, a commit
        // would never end.
        assert_eq!(rule(EventKind::NotificationCreated), Rule::Nobody);
    }

    #[test]
    fn every_event_kind_a_person_causes_names_the_audit_actions_recorded_with_it() {
        for kind in EventKind::ALL {
            let actions = kind.audit_actions();
            match kind {
                EventKind::NotificationCreated | EventKind::SessionEnded => {
                    assert!(actions.is_empty(), "{kind}")
                }
                _ => assert!(!actions.is_empty(), "{kind} has no audit action"),
            }
        }
    }
}
