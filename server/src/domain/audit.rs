//! What the audit log records as done: every action on individual data, each a stable dotted
//! code in the stored row (and so in the hash chain), searchable by admins.

use serde::{Deserialize, Serialize};

use super::kinds::code_enum;
use super::{CaseId, ConsentId, IndividualId, OrganisationId, Purpose, Timestamp, UserId};

code_enum! {
    /// An audited action (`case.read`, `consent.end` ...), allowed or denied.
    AuditAction {
        CaseCreate = "case.create",
        CaseRead = "case.read",
        CaseList = "case.list",
        CaseUpdate = "case.update",
        CaseHandover = "case.handover",
        CaseResponsibility = "case.responsibility",
        CaseLegalHoldSet = "case.legal_hold.set",
        CaseLegalHoldClear = "case.legal_hold.clear",
        IndividualRegister = "individual.register",
        IndividualRead = "individual.read",
        /// The loggutdrag.
        IndividualAccessExtract = "individual.access_extract",
        ConsentCreate = "consent.create",
        /// A party records, for its own part, a consent another organisation recorded.
        ConsentConfirm = "consent.confirm",
        ConsentRead = "consent.read",
        ConsentList = "consent.list",
        ConsentEnd = "consent.end",
        ConsentAnnul = "consent.annul",
        MessageCreate = "message.create",
        MessageList = "message.list",
        MessageRead = "message.read",
        InquiryCreate = "inquiry.create",
        InquiryRead = "inquiry.read",
        InquiryList = "inquiry.list",
        InquiryUpdate = "inquiry.update",
        InquiryDelete = "inquiry.delete",
        InquirySend = "inquiry.send",
        /// Opened by the recipient organisation for the first time.
        InquiryReceive = "inquiry.receive",
        InquiryAssign = "inquiry.assign",
        InquiryAnswer = "inquiry.answer",
        InquiryDecline = "inquiry.decline",
        InquiryWithdraw = "inquiry.withdraw",
        InquiryClose = "inquiry.close",
        InquiryThreadRead = "inquiry.thread_read",
        InquiryThreadPost = "inquiry.thread_post",
        MeetingCreate = "meeting.create",
        MeetingRead = "meeting.read",
        MeetingList = "meeting.list",
        MeetingUpdate = "meeting.update",
        MeetingInvite = "meeting.invite",
        MeetingCancel = "meeting.cancel",
        MeetingAnswer = "meeting.answer",
        /// The organiser records an external attendee's answer.
        MeetingAnswerAttendee = "meeting.answer_attendee",
        /// A SIP call (kallelse till SIP).
        SipCallCreate = "sip_call.create",
        SipCallRead = "sip_call.read",
        SipCallList = "sip_call.list",
        /// A called organisation's answer.
        SipCallAnswer = "sip_call.answer",
        /// The SIP meeting booked from the call.
        SipCallBook = "sip_call.book",
        SipCallCancel = "sip_call.cancel",
        /// The SIP plan adopted from the call's meeting (recorded by the plan's adoption).
        SipCallHold = "sip_call.hold",
        PlanCreate = "plan.create",
        PlanRead = "plan.read",
        PlanList = "plan.list",
        /// The draft rewritten.
        PlanUpdate = "plan.update",
        PlanAdopt = "plan.adopt",
        PlanRevise = "plan.revise",
        PlanDiscard = "plan.discard",
        PlanClose = "plan.close",
        PlanVersionRead = "plan.version_read",
        PlanActionUpdate = "plan.action_update",
        PlanActionTake = "plan.action_take",
        /// "Våra åtaganden": the organisation's open actions.
        PlanCommitmentList = "plan.commitment_list",
        /// The follow-up booked as a meeting.
        PlanFollowUpBook = "plan.follow_up_book",
        FinsamReferralCreate = "finsam_referral.create",
        FinsamReferralRead = "finsam_referral.read",
        FinsamReferralList = "finsam_referral.list",
        /// The draft changed.
        FinsamReferralUpdate = "finsam_referral.update",
        FinsamReferralSend = "finsam_referral.send",
        FinsamReferralWithdraw = "finsam_referral.withdraw",
        /// Returned by the coordinator for completion, with a question.
        FinsamReferralReturn = "finsam_referral.return",
        /// Answered and resent by the referrer.
        FinsamReferralComplete = "finsam_referral.complete",
        FinsamReferralAccept = "finsam_referral.accept",
        FinsamReferralDecline = "finsam_referral.decline",
        /// The team's plan adopted for the referral (recorded by the plan's adoption).
        FinsamReferralPlanAdopt = "finsam_referral.plan_adopt",
        /// The coordinator's follow-up of the team's plan.
        FinsamReferralFollowUp = "finsam_referral.follow_up",
        /// Closed with an outcome.
        FinsamReferralClose = "finsam_referral.close",
        /// The förbund's insatskatalog listed, an effort added or changed (no person data).
        FinsamEffortList = "finsam_effort.list",
        FinsamEffortCreate = "finsam_effort.create",
        FinsamEffortUpdate = "finsam_effort.update",
        /// A Finsamteam meeting booked by the förbund's coordinator.
        FinsamMeetingCreate = "finsam_meeting.create",
        /// A Finsamteam meeting with its agenda read (one row per item shown with identity).
        FinsamMeetingRead = "finsam_meeting.read",
        FinsamMeetingList = "finsam_meeting.list",
        /// A referral put on a meeting's agenda.
        FinsamAgendaAdd = "finsam_agenda.add",
        /// A referral taken off a meeting's agenda.
        FinsamAgendaRemove = "finsam_agenda.remove",
        FinsamAgendaOrder = "finsam_agenda.order",
        /// The agenda sent to the participants.
        FinsamAgendaPublish = "finsam_agenda.publish",
        /// The team's decision, parties and next step recorded for an item.
        FinsamAgendaRecord = "finsam_agenda.record",
        /// A social worker brings a case to the rehabansvarig.
        FordjupadBring = "fordjupad.bring",
        FordjupadRead = "fordjupad.read",
        /// The rehabansvarig's decision on a brought case.
        FordjupadDecide = "fordjupad.decide",
        /// The target-group coding changed.
        FordjupadCode = "fordjupad.code",
        /// A phase assessed.
        FordjupadPhase = "fordjupad.phase",
        /// The rehabansvarig's caseload listed.
        FordjupadCaseload = "fordjupad.caseload",
        /// The escalated follow-ups listed.
        FordjupadEscalationList = "fordjupad.escalation_list",
        /// An escalated follow-up taken over and cleared.
        FordjupadEscalationClear = "fordjupad.escalation_clear",
        AuditSearch = "audit.search",
        /// Figures (group statistics) read; the row names no individual or case.
        StatisticsRead = "statistics.read",
        /// The demo data loaded into an empty store (`serve --demo`).
        DemoSeed = "demo.seed",
    }
}

/// Whether the attempt was let through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Allowed,
    Denied,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
        }
    }
}

/// One access or change to record.
#[derive(Clone, Debug)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub user_id: Option<UserId>,
    pub organisation_id: Option<OrganisationId>,
    pub roles: String,
    pub action: AuditAction,
    pub outcome: Outcome,
    pub individual_id: Option<IndividualId>,
    pub case_id: Option<CaseId>,
    pub purpose: Option<Purpose>,
    pub consent_id: Option<ConsentId>,
    pub request_id: Option<String>,
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn every_audit_action_reads_back_from_its_stored_code() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::from_code(action.code()), Some(*action));
            let json = serde_json::to_string(action).expect("serialises");
            assert_eq!(json, format!("\"{}\"", action.code()));
            assert_eq!(
                serde_json::from_str::<AuditAction>(&json).expect("deserialises"),
                *action
            );
        }
        assert_eq!(AuditAction::from_code("case.reed"), None);
        assert_eq!(AuditAction::CaseLegalHoldSet.code(), "case.legal_hold.set");
    }

    #[test]
    fn codes_are_unique() {
        let mut codes: Vec<&str> = AuditAction::ALL.iter().map(|a| a.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), AuditAction::ALL.len());
    }
}
