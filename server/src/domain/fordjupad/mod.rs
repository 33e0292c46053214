//! Fördjupad samverkan (WORKFLOWS.md §4): a social worker brings a case to the rehabansvarig,
//! who alone decides where it goes (fördjupad samverkan, a förtroendeläkare, an AFU, a case
//! manager, or none); the caseload's target-group coding; the progressionsplan's action
//! categories and who follows each up (`category`); the phase of each individual on a
//! configured scale (`phase`); and the follow-up rules that remind and escalate (`follow_up`).
//! Pure data and rules; the store keeps the history and the scheduler runs the rules.

use std::collections::BTreeSet;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::kinds::code_enum;

pub mod category;
pub mod follow_up;
pub mod phase;

pub use category::{ActionCategory, CategoryStep, FollowUpHolder};
pub use follow_up::{CaseFacts, FollowUp, FollowUpKind, FollowUpRules};
pub use phase::{Phase, PhaseDirection, PhaseOutcome, PhaseProblem, PhaseScale};

code_enum! {
    /// The rehabansvarig's decision on a case brought to them.
    IntakeDecision {
        /// The case enters fördjupad samverkan (a progressionsplan follows).
        FordjupadSamverkan = "fordjupad_samverkan",
        /// Referred to a förtroendeläkare, who gives written recommendations.
        Fortroendelakare = "fortroendelakare",
        /// An aktivitetsförmågeutredning is ordered.
        Afu = "afu",
        /// A case manager, voluntary, for at most 12 months.
        CaseManager = "case_manager",
        /// None of these.
        Ingen = "ingen",
    }
}

impl IntakeDecision {
    /// Whether the case is in the rehabansvarig's caseload after the decision.
    pub fn enters_caseload(self) -> bool {
        self != IntakeDecision::Ingen
    }
}

code_enum! {
    /// The seed's criteria for a case manager (000 Avsnitt 1), a checklist that must be met
    /// in full.
    CaseManagerCriterion {
        /// A clear goal for the effort.
        ClearGoal = "clear_goal",
        /// Consent given orally and in writing.
        OralAndWrittenConsent = "oral_and_written_consent",
        /// No ongoing abuse.
        NoOngoingAbuse = "no_ongoing_abuse",
        /// A threat risk analysis is made.
        ThreatRiskAnalysis = "threat_risk_analysis",
        /// No interpreter is needed.
        NoInterpreterNeeded = "no_interpreter_needed",
    }
}

/// A case manager assignment lasts at most this long.
pub const CASE_MANAGER_MAX_MONTHS: u32 = 12;

/// The last day a case manager assignment starting on `start` may run.
pub fn case_manager_latest_end(start: NaiveDate) -> NaiveDate {
    start
        .checked_add_months(Months::new(CASE_MANAGER_MAX_MONTHS))
        .unwrap_or(NaiveDate::MAX)
}

/// What the rehabansvarig decides, as sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub decision: IntakeDecision,
    pub decided_on: NaiveDate,
    /// Why; required for every decision.
    pub reason: String,
    /// The criteria checked (only for a case manager).
    pub criteria: BTreeSet<CaseManagerCriterion>,
    /// When the case manager assignment ends (only for a case manager).
    pub case_manager_until: Option<NaiveDate>,
}

/// What is wrong with a decision; each names the field to correct.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecisionProblem {
    ReasonRequired,
    InTheFuture,
    BeforeBrought,
    CriterionMissing(CaseManagerCriterion),
    /// Criteria or an end date given for a decision that is not a case manager.
    NotACaseManager,
    EndRequired,
    EndBeforeStart,
    LongerThanTwelveMonths,
}

impl DecisionProblem {
    pub fn field(self) -> &'static str {
        match self {
            DecisionProblem::ReasonRequired => "reason",
            DecisionProblem::InTheFuture | DecisionProblem::BeforeBrought => "decided_on",
            DecisionProblem::CriterionMissing(_) => "criteria",
            DecisionProblem::NotACaseManager => "decision",
            DecisionProblem::EndRequired
            | DecisionProblem::EndBeforeStart
            | DecisionProblem::LongerThanTwelveMonths => "case_manager_until",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            DecisionProblem::ReasonRequired => "required",
            DecisionProblem::InTheFuture => "in_the_future",
            DecisionProblem::BeforeBrought => "before_brought",
            DecisionProblem::CriterionMissing(_) => "criterion_missing",
            DecisionProblem::NotACaseManager => "only_for_case_manager",
            DecisionProblem::EndRequired => "required",
            DecisionProblem::EndBeforeStart => "before_start",
            DecisionProblem::LongerThanTwelveMonths => "at_most_12_months",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            DecisionProblem::ReasonRequired => "ange skälet till beslutet",
            DecisionProblem::InTheFuture => "beslutsdatum kan inte ligga framåt i tiden",
            DecisionProblem::BeforeBrought => "beslutet kan inte gå före att ärendet lyftes",
            DecisionProblem::CriterionMissing(_) => {
                "alla kriterier för case manager ska vara uppfyllda"
            }
            DecisionProblem::NotACaseManager => "kriterier och slutdatum gäller bara case manager",
            DecisionProblem::EndRequired => "ange när case manager-insatsen slutar",
            DecisionProblem::EndBeforeStart => "slutdatum ska ligga efter beslutsdatum",
            DecisionProblem::LongerThanTwelveMonths => "case manager pågår högst 12 månader",
        }
    }
}

/// Everything wrong with `decision` on a case brought on `brought_on`, decided `today`;
/// empty when it may be recorded.
pub fn decision_problems(
    decision: &Decision,
    brought_on: NaiveDate,
    today: NaiveDate,
) -> Vec<DecisionProblem> {
    let mut problems = Vec::new();
    if decision.reason.trim().is_empty() {
        problems.push(DecisionProblem::ReasonRequired);
    }
    if decision.decided_on > today {
        problems.push(DecisionProblem::InTheFuture);
    }
    if decision.decided_on < brought_on {
        problems.push(DecisionProblem::BeforeBrought);
    }
    if decision.decision == IntakeDecision::CaseManager {
        for criterion in CaseManagerCriterion::ALL {
            if !decision.criteria.contains(criterion) {
                problems.push(DecisionProblem::CriterionMissing(*criterion));
            }
        }
        match decision.case_manager_until {
            None => problems.push(DecisionProblem::EndRequired),
            Some(end) if end <= decision.decided_on => {
                problems.push(DecisionProblem::EndBeforeStart)
            }
            Some(end) if end > case_manager_latest_end(decision.decided_on) => {
                problems.push(DecisionProblem::LongerThanTwelveMonths)
            }
            Some(_) => {}
        }
    } else if !decision.criteria.is_empty() || decision.case_manager_until.is_some() {
        problems.push(DecisionProblem::NotACaseManager);
    }
    problems
}

code_enum! {
    /// The caseload's target-group codes, as seed 004 counts them.
    TargetGroupCode {
        /// Sjukskriven utan sjukpenninggrundande inkomst.
        SjukskrivenUtanSgi = "sjukskriven_utan_sgi",
        /// Socialmedicinska hinder.
        SocialmedicinskaHinder = "socialmedicinska_hinder",
    }
}

/// A case's coding in the caseload; changed with history (each change a new row).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Coding {
    pub codes: BTreeSet<TargetGroupCode>,
    /// Months on ekonomiskt bistånd, as counted at the coding.
    pub months_on_assistance: Option<u16>,
}

/// More months than this cannot be right (50 years).
pub const MAX_MONTHS_ON_ASSISTANCE: u16 = 600;

impl Coding {
    /// The target group (004): sick leave without SGI or social-medical obstacles.
    pub fn in_target_group(&self) -> bool {
        !self.codes.is_empty()
    }

    /// 12 months or more on assistance (004's row).
    pub fn long_term_assistance(&self) -> bool {
        self.months_on_assistance.is_some_and(|m| m >= 12)
    }

    /// The field errors of a coding: (field, code, message).
    pub fn problems(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        match self.months_on_assistance {
            Some(m) if m > MAX_MONTHS_ON_ASSISTANCE => {
                vec![("months_on_assistance", "out_of_range", "högst 600 månader")]
            }
            _ => vec![],
        }
    }
}

#[cfg(test)]
mod tests;
