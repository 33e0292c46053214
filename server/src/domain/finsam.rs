//! The referral to a samordningsförbund's Finsamteam (anmälan till Finsam-team), from the
//! referrer's draft to the coordinator's decision and, later, the team's plan, follow-up and
//! closing with an outcome. WORKFLOWS.md §3: the referring caseworker and the individual fill in
//! the referral and a **written** consent (rutor 2–3); both go to the team's coordinator, who
//! answers whether the team takes it up (ruta 4). Decline reasons and the return for
//! completion are the hub's own (not in the seeds).
//!
//! The whole life cycle is one table, [`TRANSITIONS`]: which step, taken by which side, leads
//! from which state to which.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::kinds::code_enum;
use super::{ConsentForm, Purpose};

/// The consent purpose a referral needs.
pub const PURPOSE: Purpose = Purpose::Finsamteam;

code_enum! {
    /// Where a referral is in its life.
    ReferralState {
        /// Being written by the referrer; invisible to the förbund.
        Draft = "draft",
        /// In the förbund's inbox, waiting for the coordinator's decision.
        Sent = "sent",
        /// Returned by the coordinator with a question; waiting for the referrer.
        Returned = "returned",
        /// The team takes it up.
        Accepted = "accepted",
        /// The team does not take it up (with a reason code).
        Declined = "declined",
        /// Taken back by the referrer before a decision.
        Withdrawn = "withdrawn",
        /// Put on a Finsamteam meeting's agenda.
        OnAgenda = "on_agenda",
        /// The team's joint plan (kind `finsam`) is adopted.
        PlanAdopted = "plan_adopted",
        /// Followed up (after 6 months by default); continues with a revised plan.
        FollowedUp = "followed_up",
        /// Closed with an outcome.
        Closed = "closed",
    }
}

impl ReferralState {
    /// No step leads out of it.
    pub fn is_final(self) -> bool {
        !TRANSITIONS.iter().any(|t| t.from == self)
    }

    /// The förbund sees everything but a draft.
    pub fn visible_to_forbund(self) -> bool {
        self != ReferralState::Draft
    }

    /// Which count of the förbund's inbox it adds to, if any.
    pub fn inbox_count(self) -> Option<InboxCount> {
        match self {
            ReferralState::Sent => Some(InboxCount::New),
            ReferralState::Returned => Some(InboxCount::Waiting),
            _ => None,
        }
    }

    /// The state as a Swedish reader knows it.
    pub fn label(self) -> &'static str {
        match self {
            ReferralState::Draft => "Utkast",
            ReferralState::Sent => "Skickad",
            ReferralState::Returned => "Återsänd för komplettering",
            ReferralState::Accepted => "Antagen",
            ReferralState::Declined => "Avböjd",
            ReferralState::Withdrawn => "Återkallad",
            ReferralState::OnAgenda => "På dagordningen",
            ReferralState::PlanAdopted => "Plan fastställd",
            ReferralState::FollowedUp => "Uppföljd",
            ReferralState::Closed => "Avslutad",
        }
    }
}

code_enum! {
    /// The two counts of the förbund's inbox.
    InboxCount {
        /// Sent (or completed and resent) and not yet decided: the coordinator's to act on.
        New = "new",
        /// Returned for completion: waiting for the referrer's answer.
        Waiting = "waiting",
    }
}

code_enum! {
    /// Which of an organisation's referrals: those to its förbund, or those it sent.
    ReferralBox {
        /// Referrals to my förbund (the coordinators' shared inbox).
        Inbox = "inbox",
        /// Referrals my organisation wrote.
        Sent = "sent",
    }
}

/// Who takes a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The referring organisation's caseworker.
    Referrer,
    /// The förbund's coordinator (role `finsamkoordinator`).
    Coordinator,
}

code_enum! {
    /// A step in a referral's life.
    ReferralStep {
        /// Change the draft.
        Edit = "edit",
        Send = "send",
        /// The referrer takes it back before a decision.
        Withdraw = "withdraw",
        /// The coordinator returns it with a question.
        Return = "return",
        /// The referrer answers the question and resends.
        Complete = "complete",
        Accept = "accept",
        Decline = "decline",
        PutOnAgenda = "put_on_agenda",
        /// Taken off a meeting's agenda (before the team recorded it), or postponed there:
        /// accepted again, for a later meeting.
        TakeOffAgenda = "take_off_agenda",
        AdoptPlan = "adopt_plan",
        FollowUp = "follow_up",
        Close = "close",
    }
}

/// One row of the life cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    pub from: ReferralState,
    pub step: ReferralStep,
    pub by: Side,
    pub to: ReferralState,
}

const fn t(from: ReferralState, step: ReferralStep, by: Side, to: ReferralState) -> Transition {
    Transition { from, step, by, to }
}

use ReferralState as S;
use ReferralStep as P;

/// The referral's whole life cycle. A step not here is refused.
pub const TRANSITIONS: &[Transition] = &[
    t(S::Draft, P::Edit, Side::Referrer, S::Draft),
    t(S::Draft, P::Send, Side::Referrer, S::Sent),
    t(S::Draft, P::Withdraw, Side::Referrer, S::Withdrawn),
    t(S::Sent, P::Withdraw, Side::Referrer, S::Withdrawn),
    t(S::Returned, P::Withdraw, Side::Referrer, S::Withdrawn),
    t(S::Sent, P::Return, Side::Coordinator, S::Returned),
    t(S::Returned, P::Complete, Side::Referrer, S::Sent),
    t(S::Sent, P::Accept, Side::Coordinator, S::Accepted),
    t(S::Sent, P::Decline, Side::Coordinator, S::Declined),
    t(S::Accepted, P::PutOnAgenda, Side::Coordinator, S::OnAgenda),
    t(
        S::OnAgenda,
        P::TakeOffAgenda,
        Side::Coordinator,
        S::Accepted,
    ),
    // The plan's owner, the referring organisation, adopts it with the individual present.
    t(S::OnAgenda, P::AdoptPlan, Side::Referrer, S::PlanAdopted),
    t(
        S::PlanAdopted,
        P::FollowUp,
        Side::Coordinator,
        S::FollowedUp,
    ),
    t(S::FollowedUp, P::FollowUp, Side::Coordinator, S::FollowedUp),
    // The team may find no need of coordinated rehabilitation at any point after acceptance.
    t(S::Accepted, P::Close, Side::Coordinator, S::Closed),
    t(S::OnAgenda, P::Close, Side::Coordinator, S::Closed),
    t(S::PlanAdopted, P::Close, Side::Coordinator, S::Closed),
    t(S::FollowedUp, P::Close, Side::Coordinator, S::Closed),
];

/// Why a step is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepRefused {
    /// The step is not one this side takes.
    NotYours(ReferralStep),
    /// The step does not lead out of the current state.
    WrongState(ReferralState, ReferralStep),
}

impl StepRefused {
    /// The stable problem code.
    pub fn code(self) -> &'static str {
        match self {
            StepRefused::NotYours(_) => "forbidden",
            StepRefused::WrongState(..) => "invalid_transition",
        }
    }
}

impl fmt::Display for StepRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepRefused::NotYours(step) => write!(f, "Steget {step} tas inte av er part."),
            StepRefused::WrongState(state, step) => write!(
                f,
                "Anmälan har status {} och steget {step} går inte.",
                state.label()
            ),
        }
    }
}

/// Where does `step`, taken by `by`, lead from `from`?
pub fn next(
    from: ReferralState,
    step: ReferralStep,
    by: Side,
) -> Result<ReferralState, StepRefused> {
    let mut taken_by_other = false;
    for row in TRANSITIONS.iter().filter(|r| r.step == step) {
        if row.by != by {
            taken_by_other = true;
        } else if row.from == from {
            return Ok(row.to);
        }
    }
    if taken_by_other && !TRANSITIONS.iter().any(|r| r.step == step && r.by == by) {
        Err(StepRefused::NotYours(step))
    } else {
        Err(StepRefused::WrongState(from, step))
    }
}

/// The steps `by` may take now (what the client offers).
pub fn steps(from: ReferralState, by: Side) -> Vec<ReferralStep> {
    TRANSITIONS
        .iter()
        .filter(|r| r.from == from && r.by == by)
        .map(|r| r.step)
        .collect()
}

code_enum! {
    /// Why the team does not take a referral up.
    ReferralDeclineReason {
        /// Not in the team's target group.
        NotTargetGroup = "not_target_group",
        /// Another route fits better; which one is named.
        OtherRoute = "other_route",
        /// The person declined.
        PersonDeclined = "person_declined",
        /// The consent does not suffice (form, parties, purpose or period).
        ConsentInsufficient = "consent_insufficient",
        /// Explained in the text.
        Other = "other",
    }
}

code_enum! {
    /// The route that fits better than the Finsamteam.
    OtherRoute {
        /// A samordnad individuell plan.
        Sip = "sip",
        /// Fördjupad samverkan (trepartsmöten).
        FordjupadSamverkan = "fordjupad_samverkan",
        /// Arbetsförmedlingen's own efforts.
        Arbetsformedlingen = "arbetsformedlingen",
        /// Försäkringskassan's rehabilitation coordination.
        Forsakringskassan = "forsakringskassan",
        /// Health care (vårdcentral, psykiatri).
        HalsoOchSjukvard = "halso_och_sjukvard",
        /// Social services.
        Socialtjanst = "socialtjanst",
        /// Named in the text.
        Other = "other",
    }
}

/// Why a decline is not well-formed, with the field it concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeclineProblem {
    /// `other_route` names which route.
    RouteRequired,
    /// Only `other_route` names a route.
    RouteNotAllowed,
    /// Every decline is explained to the referrer.
    TextRequired,
}

impl DeclineProblem {
    pub fn field(self) -> &'static str {
        match self {
            DeclineProblem::RouteRequired | DeclineProblem::RouteNotAllowed => "other_route",
            DeclineProblem::TextRequired => "text",
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            DeclineProblem::RouteRequired | DeclineProblem::TextRequired => "required",
            DeclineProblem::RouteNotAllowed => "not_allowed",
        }
    }
}

impl fmt::Display for DeclineProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeclineProblem::RouteRequired => "Ange vilken väg som passar bättre.",
            DeclineProblem::RouteNotAllowed => "En annan väg anges bara med skälet annan väg.",
            DeclineProblem::TextRequired => "Förklara beslutet för den som anmälde.",
        })
    }
}

/// Is the decline well-formed? `text` is already trimmed.
pub fn check_decline(
    reason: ReferralDeclineReason,
    route: Option<OtherRoute>,
    text: &str,
) -> Vec<DeclineProblem> {
    let mut problems = Vec::new();
    match (reason, route) {
        (ReferralDeclineReason::OtherRoute, None) => problems.push(DeclineProblem::RouteRequired),
        (ReferralDeclineReason::OtherRoute, Some(_)) | (_, None) => {}
        (_, Some(_)) => problems.push(DeclineProblem::RouteNotAllowed),
    }
    if text.trim().is_empty() {
        problems.push(DeclineProblem::TextRequired);
    }
    problems
}

code_enum! {
    /// How a referral ends (for closing and the förbund's figures). WORKFLOWS.md §3.
    Outcome {
        /// A Finsam effort from the förbund's insatskatalog (which one is named).
        FinsamEffort = "finsam_effort",
        /// Transferred to Arbetsförmedlingen.
        TransferAf = "transfer_af",
        /// Återremiss to the referrer.
        Aterremiss = "aterremiss",
        SelfSufficientWork = "self_sufficient_work",
        SelfSufficientStudies = "self_sufficient_studies",
        SelfSufficientJobSeeking = "self_sufficient_job_seeking",
        SelfSufficientOtherBenefit = "self_sufficient_other_benefit",
        /// Sjukersättning granted.
        SjukersattningGranted = "sjukersattning_granted",
        /// Aktivitetsersättning granted.
        AktivitetsersattningGranted = "aktivitetsersattning_granted",
        /// No need of coordinated rehabilitation: not caused by illness.
        NoNeedNotIllness = "no_need_not_illness",
        /// No need of coordinated rehabilitation now: too ill.
        NoNeedTooIll = "no_need_too_ill",
        /// No need of coordinated rehabilitation: the person does not want to take part.
        NoNeedNotWilling = "no_need_not_willing",
    }
}

impl Outcome {
    /// The outcome names an effort of the förbund's insatskatalog.
    pub fn names_effort(self) -> bool {
        self == Outcome::FinsamEffort
    }
}

/// What is missing from an organisation's consent for a referral, for `consent_missing`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentGap {
    /// No in-force consent for the purpose Finsamteam recorded by the referrer.
    NoConsent,
    /// The consent was given orally; the team needs it in writing.
    NotWritten,
    /// The written consent names no document (the signed samtycke's reference).
    NoDocumentReference,
    /// The consent does not cover the förbund.
    ForbundNotCovered,
    /// The consent does not cover one of the team's member organisations.
    MemberNotCovered,
}

/// Is a consent's form enough for the Finsamteam: written, with its document reference?
pub fn form_gaps(forms: &[ConsentForm], document_reference: Option<&str>) -> Vec<ConsentGap> {
    let mut gaps = Vec::new();
    if !forms.contains(&ConsentForm::Skriftligt) {
        gaps.push(ConsentGap::NotWritten);
    }
    if document_reference.map(str::trim).unwrap_or("").is_empty() {
        gaps.push(ConsentGap::NoDocumentReference);
    }
    gaps
}

/// When the follow-up `months` after `from` falls (the same day of a later month, or that
/// month's last day).
pub fn follow_up_due(from: super::Timestamp, months: u32) -> super::Timestamp {
    let at = from.to_datetime();
    super::Timestamp::from_datetime(
        at.checked_add_months(chrono::Months::new(months))
            .unwrap_or(at),
    )
}

pub mod agenda;

#[cfg(test)]
mod tests;
