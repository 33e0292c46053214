//! A Finsamteam meeting's agenda: the accepted referrals the coordinator puts on it, and
//! what the team records for each at the meeting (WORKFLOWS.md §3, ruta 4 onwards): the
//! decision, the parties that take part, and the next step.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::kinds::code_enum;

code_enum! {
    /// What the team decided about one individual on the agenda.
    AgendaDecision {
        /// The team starts a coordinated effort: a joint plan (kind `finsam`) with the parties.
        StartPlan = "start_plan",
        /// The team needs more information from the referrer; taken up at a later meeting.
        MoreInformation = "more_information",
        /// Not reached or put off; taken up at a later meeting.
        Postponed = "postponed",
        /// No coordinated effort; the coordinator closes the referral with an outcome.
        NoCoordination = "no_coordination",
    }
}

impl AgendaDecision {
    /// The referral goes back to accepted, for a later meeting's agenda.
    pub fn back_to_accepted(self) -> bool {
        matches!(
            self,
            AgendaDecision::MoreInformation | AgendaDecision::Postponed
        )
    }

    /// A coordinated effort names the parties that take part.
    pub fn needs_parties(self) -> bool {
        self == AgendaDecision::StartPlan
    }
}

/// Why a record is not well-formed, with the field it concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordProblem {
    /// `start_plan` names at least one party.
    PartiesRequired,
    /// Every decision says what happens next.
    NextStepRequired,
}

impl RecordProblem {
    pub fn field(self) -> &'static str {
        match self {
            RecordProblem::PartiesRequired => "party_organisation_ids",
            RecordProblem::NextStepRequired => "next_step",
        }
    }
    pub fn code(self) -> &'static str {
        "required"
    }
}

impl fmt::Display for RecordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecordProblem::PartiesRequired => "Ange vilka parter som deltar.",
            RecordProblem::NextStepRequired => "Ange nästa steg.",
        })
    }
}

/// Is the record well-formed? `next_step` is already trimmed.
pub fn check_record(
    decision: AgendaDecision,
    parties: usize,
    next_step: &str,
) -> Vec<RecordProblem> {
    let mut problems = Vec::new();
    if decision.needs_parties() && parties == 0 {
        problems.push(RecordProblem::PartiesRequired);
    }
    if next_step.is_empty() {
        problems.push(RecordProblem::NextStepRequired);
    }
    problems
}

/// Is `order` the same items as `current`, each once?
pub fn is_reordering<T: Ord + Copy>(current: &[T], order: &[T]) -> bool {
    let mut a = current.to_vec();
    let mut b = order.to_vec();
    a.sort();
    b.sort();
    a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_names_its_parties_and_every_decision_a_next_step() {
        assert_eq!(
            check_record(AgendaDecision::StartPlan, 0, ""),
            [
                RecordProblem::PartiesRequired,
                RecordProblem::NextStepRequired
            ]
        );
        assert!(check_record(AgendaDecision::StartPlan, 2, "Plan i maj").is_empty());
        assert!(check_record(AgendaDecision::Postponed, 0, "Nästa möte").is_empty());
    }

    #[test]
    fn only_a_postponement_or_a_question_puts_the_referral_back() {
        let back: Vec<_> = AgendaDecision::ALL
            .iter()
            .filter(|d| d.back_to_accepted())
            .collect();
        assert_eq!(
            back,
            [&AgendaDecision::MoreInformation, &AgendaDecision::Postponed]
        );
    }

    #[test]
    fn a_reordering_holds_each_item_once() {
        assert!(is_reordering(&[1, 2, 3], &[3, 1, 2]));
        assert!(!is_reordering(&[1, 2, 3], &[1, 2]));
        assert!(!is_reordering(&[1, 2, 3], &[1, 1, 2, 3]));
        assert!(!is_reordering(&[1, 2], &[1, 4]));
    }
}
