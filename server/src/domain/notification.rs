//! What a notification is about and how a user wants to hear of it: the vocabulary shared
//! by the notification rules, the e-mail templates and the store, kept below all three.

use serde::{Deserialize, Serialize};

use super::kinds::code_enum;

code_enum! {
    /// What a notification is about.
    NotificationKind {
        /// A rehab inquiry arrived in my organisation's inbox.
        InquiryReceived = "inquiry_received",
        /// A rehab inquiry was assigned to me.
        InquiryAssigned = "inquiry_assigned",
        InquiryAnswered = "inquiry_answered",
        InquiryDeclined = "inquiry_declined",
        /// Past its answer date and not answered.
        InquiryOverdue = "inquiry_overdue",
        /// A new message in a case I take part in.
        MessageReceived = "message_received",
        MeetingInvitation = "meeting_invitation",
        MeetingChanged = "meeting_changed",
        MeetingCancelled = "meeting_cancelled",
        /// A meeting starts within 24 hours.
        MeetingReminder = "meeting_reminder",
        /// A consent (samtycke) ends within 14 days.
        ConsentEnding = "consent_ending",
        /// My organisation can no longer see a case.
        AccessRevoked = "access_revoked",
        /// A consent I recorded was ended or annulled by someone else.
        ConsentChanged = "consent_changed",
        /// A case was handed over to me (I am its new responsible).
        CaseHandedOver = "case_handed_over",
        /// A SIP call arrived in my organisation's shared inbox.
        SipCallReceived = "sip_call_received",
        /// A called organisation answered a SIP call my organisation made.
        SipCallAnswered = "sip_call_answered",
        /// A SIP call to my organisation has waited for our answer (påminnelse).
        SipCallChased = "sip_call_chased",
        /// A SIP call to my organisation was cancelled.
        SipCallCancelled = "sip_call_cancelled",
        /// A plan with an action for my organisation (or my overall responsibility) adopted.
        PlanAdopted = "plan_adopted",
        /// An action I (or my organisation) hold is due soon or overdue.
        PlanActionDue = "plan_action_due",
        /// A plan's joint follow-up is coming up or has passed.
        PlanFollowUpDue = "plan_follow_up_due",
        /// An organisation in a plan I own lost consent: its actions need a new responsible.
        PlanResponsibleLost = "plan_responsible_lost",
        /// A referral to the Finsamteam arrived in my förbund's inbox (or was completed).
        FinsamReferralReceived = "finsam_referral_received",
        /// The coordinator returned, accepted or declined a referral I sent.
        FinsamReferralDecided = "finsam_referral_decided",
        /// The Finsamteam plan's follow-up of a referral I coordinate or drive is coming up
        /// or has passed.
        FinsamFollowUpDue = "finsam_follow_up_due",
        /// A Finsamteam meeting's agenda I take part in was published (never who is on it).
        FinsamAgendaPublished = "finsam_agenda_published",
    }
}

code_enum! {
    /// How a user wants to hear of a kind by e-mail.
    Delivery {
        /// One e-mail at once.
        Immediate = "immediate",
        /// Counted in one e-mail a day.
        Digest = "digest",
        /// In the hub only.
        None = "none",
    }
}

impl NotificationKind {
    /// Messages come often: by default they are counted in the daily digest.
    pub fn default_delivery(self) -> Delivery {
        match self {
            NotificationKind::MessageReceived => Delivery::Digest,
            _ => Delivery::Immediate,
        }
    }
}
