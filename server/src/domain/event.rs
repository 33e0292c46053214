//! The thin events every state change records (type, ids, sequence, time; never health
//! content): what is appended to the event log, pushed on the live stream and, at commit,
//! read by the notification rules. Here, below the store, so the store and everything above
//! it speak of events without importing each other.

use serde::{Deserialize, Serialize};

use super::kinds::code_enum;
use super::{
    AttendeeId, AuditAction, CaseId, IndividualId, OrganisationId, Purpose, Timestamp, UserId,
};

code_enum! {
    /// What happened: an event's type, stored in the log and sent on the stream as its
    /// dotted code. Who is told of each is `notifications::rules::rule`.
    EventKind {
        CaseOpened = "case.opened",
        CaseUpdated = "case.updated",
        /// A new responsible user (`case_id` is also the subject).
        CaseHandedOver = "case.handed_over",
        ConsentRecorded = "consent.recorded",
        ConsentEnded = "consent.ended",
        ConsentAnnulled = "consent.annulled",
        /// Organisations lost sight of a case when a consent ended (subject: the consent).
        AccessRevoked = "access_revoked",
        MessageCreated = "message.created",
        MessageRead = "message.read",
        InquirySent = "inquiry.sent",
        InquiryReceived = "inquiry.received",
        InquiryAssigned = "inquiry.assigned",
        InquiryAnswered = "inquiry.answered",
        InquiryDeclined = "inquiry.declined",
        InquiryWithdrawn = "inquiry.withdrawn",
        InquiryClosed = "inquiry.closed",
        InquiryThreadPost = "inquiry.thread_post",
        MeetingInvited = "meeting.invited",
        MeetingUpdated = "meeting.updated",
        MeetingCancelled = "meeting.cancelled",
        MeetingAnswered = "meeting.answered",
        /// A SIP call went to the called organisations' shared inboxes (subject: the call).
        SipCallCreated = "sip_call.created",
        /// A called organisation answered (we come, another time, or declined).
        SipCallAnswered = "sip_call.answered",
        /// The SIP meeting was booked from the call.
        SipCallBooked = "sip_call.booked",
        SipCallCancelled = "sip_call.cancelled",
        /// The SIP plan was adopted from the call's meeting.
        SipCallHeld = "sip_call.held",
        /// A joint plan was started (subject: the plan).
        PlanCreated = "plan.created",
        /// A plan's draft was edited, a revision opened or a draft discarded.
        PlanChanged = "plan.changed",
        PlanAdopted = "plan.adopted",
        PlanClosed = "plan.closed",
        /// The responsible organisation reported an action's status or took it.
        PlanActionUpdated = "plan.action_updated",
        /// A responsible organisation lost consent: its actions need a new responsible.
        PlanResponsibleLost = "plan.responsible_lost",
        /// A Finsam referral was sent, or completed and resent, to the förbund (subject: the
        /// referral).
        FinsamReferralSent = "finsam_referral.sent",
        FinsamReferralWithdrawn = "finsam_referral.withdrawn",
        /// The coordinator returned the referral for completion with a question.
        FinsamReferralReturned = "finsam_referral.returned",
        FinsamReferralAccepted = "finsam_referral.accepted",
        FinsamReferralDeclined = "finsam_referral.declined",
        /// The team's plan for the referral was adopted; its follow-up is scheduled.
        FinsamReferralPlanAdopted = "finsam_referral.plan_adopted",
        /// The coordinator followed the referral's plan up and it continues.
        FinsamReferralFollowedUp = "finsam_referral.followed_up",
        /// The referral was closed with an outcome.
        FinsamReferralClosed = "finsam_referral.closed",
        /// A Finsamteam meeting's agenda changed: an item added, removed, reordered or
        /// recorded (subject: the meeting; never who is on it).
        FinsamAgendaChanged = "finsam_meeting.agenda_changed",
        /// A Finsamteam meeting's agenda was sent to its participants (subject: the meeting).
        FinsamAgendaPublished = "finsam_meeting.agenda_published",
        /// A case brought to the rehabansvarig (subject: the case).
        FordjupadBrought = "fordjupad.brought",
        /// The rehabansvarig decided on a brought case (subject: the case).
        FordjupadDecided = "fordjupad.decided",
        /// A case's phase assessed (subject: the case).
        FordjupadPhaseAssessed = "fordjupad.phase_assessed",
        /// An escalated follow-up taken over explicitly (subject: the follow-up).
        FordjupadEscalationCleared = "fordjupad.escalation_cleared",
        /// A notification for the audience's one user (subject: the notification).
        NotificationCreated = "notification.created",
        /// A sign-in session ended (subject: the session). Never sent to a client: the hub
        /// closes the streams opened in that session instead.
        SessionEnded = "session.ended",
    }
}

impl EventKind {
    /// Whether an event of this kind may change who sees a case (its consents, owner or
    /// responsible), so cached facts of the case must be read again.
    pub fn touches_access_rule(self) -> bool {
        match self {
            EventKind::CaseOpened
            | EventKind::CaseUpdated
            | EventKind::CaseHandedOver
            | EventKind::ConsentRecorded
            | EventKind::ConsentEnded
            | EventKind::ConsentAnnulled => true,
            EventKind::AccessRevoked
            | EventKind::MessageCreated
            | EventKind::MessageRead
            | EventKind::InquirySent
            | EventKind::InquiryReceived
            | EventKind::InquiryAssigned
            | EventKind::InquiryAnswered
            | EventKind::InquiryDeclined
            | EventKind::InquiryWithdrawn
            | EventKind::InquiryClosed
            | EventKind::InquiryThreadPost
            | EventKind::MeetingInvited
            | EventKind::MeetingUpdated
            | EventKind::MeetingCancelled
            | EventKind::MeetingAnswered
            | EventKind::SipCallCreated
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
            | EventKind::FinsamReferralSent
            | EventKind::FinsamReferralWithdrawn
            | EventKind::FinsamReferralReturned
            | EventKind::FinsamReferralAccepted
            | EventKind::FinsamReferralDeclined
            | EventKind::FinsamReferralPlanAdopted
            | EventKind::FinsamReferralFollowedUp
            | EventKind::FinsamReferralClosed
            | EventKind::FinsamAgendaChanged
            | EventKind::FinsamAgendaPublished
            | EventKind::FordjupadBrought
            | EventKind::FordjupadDecided
            | EventKind::FordjupadPhaseAssessed
            | EventKind::FordjupadEscalationCleared
            | EventKind::NotificationCreated
            | EventKind::SessionEnded => false,
        }
    }
}

impl EventKind {
    /// The audit actions a change of this kind is recorded under, in its transaction.
    /// Empty for what no person's data access causes: a notification is written under the
    /// action of the change it tells of, and a session's end touches no individual's data.
    pub fn audit_actions(self) -> &'static [AuditAction] {
        use AuditAction as A;
        match self {
            EventKind::CaseOpened => &[A::CaseCreate],
            EventKind::CaseUpdated => &[A::CaseUpdate],
            EventKind::CaseHandedOver => &[A::CaseHandover],
            EventKind::ConsentRecorded => &[A::ConsentCreate, A::ConsentConfirm],
            EventKind::ConsentEnded => &[A::ConsentEnd],
            EventKind::ConsentAnnulled => &[A::ConsentAnnul],
            EventKind::AccessRevoked => &[A::ConsentEnd, A::ConsentAnnul],
            EventKind::MessageCreated => &[A::MessageCreate],
            EventKind::MessageRead => &[A::MessageRead],
            EventKind::InquirySent => &[A::InquirySend],
            EventKind::InquiryReceived => &[A::InquiryReceive],
            EventKind::InquiryAssigned => &[A::InquiryAssign],
            EventKind::InquiryAnswered => &[A::InquiryAnswer],
            EventKind::InquiryDeclined => &[A::InquiryDecline],
            EventKind::InquiryWithdrawn => &[A::InquiryWithdraw],
            EventKind::InquiryClosed => &[A::InquiryClose],
            EventKind::InquiryThreadPost => &[A::InquiryThreadPost],
            EventKind::MeetingInvited => &[A::MeetingCreate, A::MeetingInvite],
            EventKind::MeetingUpdated => &[A::MeetingUpdate, A::MeetingInvite],
            EventKind::MeetingCancelled => &[A::MeetingCancel],
            EventKind::MeetingAnswered => &[A::MeetingAnswer, A::MeetingAnswerAttendee],
            EventKind::SipCallCreated => &[A::SipCallCreate],
            EventKind::SipCallAnswered => &[A::SipCallAnswer],
            EventKind::SipCallBooked => &[A::SipCallBook],
            EventKind::SipCallCancelled => &[A::SipCallCancel],
            EventKind::SipCallHeld => &[A::SipCallHold],
            EventKind::PlanCreated => &[A::PlanCreate],
            EventKind::PlanChanged => &[A::PlanUpdate, A::PlanRevise, A::PlanDiscard],
            EventKind::PlanAdopted => &[A::PlanAdopt],
            EventKind::PlanClosed => &[A::PlanClose],
            EventKind::PlanActionUpdated => &[A::PlanActionUpdate, A::PlanActionTake],
            EventKind::PlanResponsibleLost => &[A::ConsentEnd, A::ConsentAnnul],
            EventKind::FinsamReferralSent => &[A::FinsamReferralSend, A::FinsamReferralComplete],
            EventKind::FinsamReferralWithdrawn => &[A::FinsamReferralWithdraw],
            EventKind::FinsamReferralReturned => &[A::FinsamReferralReturn],
            EventKind::FinsamReferralAccepted => &[A::FinsamReferralAccept],
            EventKind::FinsamReferralDeclined => &[A::FinsamReferralDecline],
            EventKind::FinsamReferralPlanAdopted => &[A::FinsamReferralPlanAdopt],
            EventKind::FinsamReferralFollowedUp => &[A::FinsamReferralFollowUp],
            EventKind::FinsamReferralClosed => &[A::FinsamReferralClose],
            EventKind::FinsamAgendaChanged => &[
                A::FinsamAgendaAdd,
                A::FinsamAgendaRemove,
                A::FinsamAgendaOrder,
                A::FinsamAgendaRecord,
            ],
            EventKind::FinsamAgendaPublished => &[A::FinsamAgendaPublish],
            EventKind::FordjupadBrought => &[A::FordjupadBring],
            EventKind::FordjupadDecided => &[A::FordjupadDecide],
            EventKind::FordjupadPhaseAssessed => &[A::FordjupadPhase],
            EventKind::FordjupadEscalationCleared => &[A::FordjupadEscalationClear],
            EventKind::NotificationCreated | EventKind::SessionEnded => &[],
        }
    }
}

/// Who an event is for. Delivery always re-checks the policy at delivery time, except for
/// `Revoked`, which tells an organisation that it has just lost sight of a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Everyone who may see the case for the event's purpose.
    Case,
    /// Those of these organisations who may see the case for the event's purpose.
    Organisations(Vec<OrganisationId>),
    /// These organisations, without a case check (`access_revoked`).
    Revoked(Vec<OrganisationId>),
    /// These users (a notification, an invitation); if the event has a case, only while they
    /// may see it for the event's purpose.
    Users(Vec<UserId>),
}

/// What the notification rules need to know of a change beyond the thin event. Kept in
/// memory until the commit; never stored, never sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Detail {
    #[default]
    None,
    /// Who made the change (a message's author; who ended or annulled a consent).
    By {
        user: UserId,
        organisation: OrganisationId,
    },
    /// The case's new responsible user.
    HandedOver { to: UserId },
    /// What happened to a meeting, for its invitations.
    Meeting(MeetingChange),
}

/// What happened to a meeting, for its invitations. One event of each meeting change
/// carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MeetingChange {
    /// These users and external attendees were newly invited.
    Invited {
        users: Vec<UserId>,
        attendees: Vec<AttendeeId>,
    },
    /// Moved or its place changed: everyone invited gets the new invitation.
    Changed,
    /// Everyone invited gets the cancellation.
    Cancelled,
}

/// An event to append; the store gives it its sequence number at commit.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub kind: EventKind,
    pub case_id: Option<CaseId>,
    pub individual_id: Option<IndividualId>,
    /// The id of the thing that changed (inquiry, message, consent ...).
    pub subject_id: Option<String>,
    /// The purpose the content is shared for; `None` for the case itself.
    pub purpose: Option<Purpose>,
    pub audience: Audience,
    /// For the notification rules only.
    pub detail: Detail,
}

impl NewEvent {
    /// The same event with `detail` for the notification rules.
    pub fn with(mut self, detail: Detail) -> Self {
        self.detail = detail;
        self
    }
}

/// A committed event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub seq: i64,
    pub at: Timestamp,
    pub kind: EventKind,
    pub case_id: Option<CaseId>,
    pub individual_id: Option<IndividualId>,
    pub subject_id: Option<String>,
    pub purpose: Option<Purpose>,
    pub audience: Audience,
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn every_event_kind_reads_back_from_its_wire_code() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::from_code(kind.code()), Some(*kind));
            let json = serde_json::to_string(kind).expect("serialises");
            assert_eq!(json, format!("\"{}\"", kind.code()));
            assert_eq!(
                serde_json::from_str::<EventKind>(&json).expect("deserialises"),
                *kind
            );
        }
        assert_eq!(EventKind::from_code("meeting."), None);
    }

    #[test]
    fn wire_codes_are_the_ones_stored_and_streamed() {
        let codes: Vec<&str> = EventKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(
            codes,
            [
                "case.opened",
                "case.updated",
                "case.handed_over",
                "consent.recorded",
                "consent.ended",
                "consent.annulled",
                "access_revoked",
                "message.created",
                "message.read",
                "inquiry.sent",
                "inquiry.received",
                "inquiry.assigned",
                "inquiry.answered",
                "inquiry.declined",
                "inquiry.withdrawn",
                "inquiry.closed",
                "inquiry.thread_post",
                "meeting.invited",
                "meeting.updated",
                "meeting.cancelled",
                "meeting.answered",
                "sip_call.created",
                "sip_call.answered",
                "sip_call.booked",
                "sip_call.cancelled",
                "sip_call.held",
                "plan.created",
                "plan.changed",
                "plan.adopted",
                "plan.closed",
                "plan.action_updated",
                "plan.responsible_lost",
                "finsam_referral.sent",
                "finsam_referral.withdrawn",
                "finsam_referral.returned",
                "finsam_referral.accepted",
                "finsam_referral.declined",
                "finsam_referral.plan_adopted",
                "finsam_referral.followed_up",
                "finsam_referral.closed",
                "finsam_meeting.agenda_changed",
                "finsam_meeting.agenda_published",
                "fordjupad.brought",
                "fordjupad.decided",
                "fordjupad.phase_assessed",
                "fordjupad.escalation_cleared",
                "notification.created",
                "session.ended",
            ]
        );
    }

    #[test]
    fn the_facts_cache_forgets_on_case_and_consent_events_as_before() {
        // The rule before the enum: a prefix of `case.`, `consent.` or `individual.`.
        for kind in EventKind::ALL {
            let code = kind.code();
            let by_prefix = code.starts_with("case.")
                || code.starts_with("consent.")
                || code.starts_with("individual.");
            assert_eq!(kind.touches_access_rule(), by_prefix, "{code}");
        }
    }
}
