//! The phase of an individual, assessed at each follow-up on a configured scale (000 Bilaga 7,
//! 004): Järva 0–4 by default, Rinkeby-Kista 0–5. A phase can go backwards; the history of
//! assessments is the case's timeline.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::kinds::code_enum;

code_enum! {
    /// The phase scale the hub is configured with.
    PhaseScale {
        /// Järva 0–4 (000 Bilaga 7), the default.
        Jarva = "jarva",
        /// Rinkeby-Kista 0–5 (004).
        RinkebyKista = "rinkeby_kista",
    }
}

// `code_enum!` derives no `Default`, so the variant cannot carry `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for PhaseScale {
    fn default() -> Self {
        PhaseScale::Jarva
    }
}

impl PhaseScale {
    /// The highest phase on the scale (the lowest is 0).
    pub fn max(self) -> u8 {
        match self {
            PhaseScale::Jarva => 4,
            PhaseScale::RinkebyKista => 5,
        }
    }

    /// The phase `n` on this scale, if the scale has it.
    pub fn phase(self, n: u8) -> Option<Phase> {
        (n <= self.max()).then_some(Phase(n))
    }

    /// What a phase means on this scale. Rinkeby-Kista's middle steps are not defined in the
    /// seed and are shown by number only.
    pub fn label(self, phase: Phase) -> &'static str {
        match (self, phase.0) {
            (PhaseScale::Jarva, 0) => "Regress eller ingen insats",
            (PhaseScale::Jarva, 1) => "Insatser, ingen arbetsinriktad",
            (PhaseScale::Jarva, 2) => "Kombinerade insatser med en arbetsinriktad",
            (PhaseScale::Jarva, 3) => "Parallella insatser med progression",
            (PhaseScale::Jarva, 4) => "Egen försörjning",
            (PhaseScale::RinkebyKista, 0) => "Ingen adekvat planering",
            (PhaseScale::RinkebyKista, 5) => "Egen försörjning eller alla vägar uttömda",
            _ => "",
        }
    }
}

code_enum! {
    /// Which end state an assessment in the scale's top phase records (seed 004 counts them
    /// apart): the top phase means the effort is over, for one of these reasons.
    PhaseOutcome {
        /// Egen försörjning.
        SelfSufficient = "self_sufficient",
        /// Sjukersättning or aktivitetsersättning granted.
        SaAeGranted = "sa_ae_granted",
        /// All paths exhausted.
        AllPathsExhausted = "all_paths_exhausted",
    }
}

impl PhaseOutcome {
    pub fn label(self) -> &'static str {
        match self {
            PhaseOutcome::SelfSufficient => "Egen försörjning",
            PhaseOutcome::SaAeGranted => "SA/AE beviljad",
            PhaseOutcome::AllPathsExhausted => "Alla vägar uttömda",
        }
    }
}

impl PhaseScale {
    /// What is wrong with `outcome` for phase `n`: an outcome belongs to the top phase only
    /// (`outcome_not_allowed`) and the top phase needs one (`outcome_required`).
    pub fn outcome_problem(self, n: u8, outcome: Option<PhaseOutcome>) -> Option<PhaseProblem> {
        match (n == self.max(), outcome) {
            (true, None) => Some(PhaseProblem::OutcomeRequired),
            (false, Some(_)) => Some(PhaseProblem::OutcomeNotAllowed),
            _ => None,
        }
    }

    /// What is wrong with an assessment of phase `n` with `outcome` on `assessed_on`, as
    /// field problems: a phase off the scale, the outcome rule (only for a phase on it), a
    /// day after `today`.
    pub fn assessment_problems(
        self,
        n: u8,
        outcome: Option<PhaseOutcome>,
        assessed_on: NaiveDate,
        today: NaiveDate,
    ) -> Vec<PhaseProblem> {
        let mut problems = Vec::new();
        match self.phase(n) {
            None => problems.push(PhaseProblem::OutOfScale(self.max())),
            Some(_) => problems.extend(self.outcome_problem(n, outcome)),
        }
        if assessed_on > today {
            problems.push(PhaseProblem::InTheFuture);
        }
        problems
    }
}

/// A field problem of a phase assessment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhaseProblem {
    /// Off the scale, whose top phase is this.
    OutOfScale(u8),
    OutcomeRequired,
    OutcomeNotAllowed,
    InTheFuture,
}

impl PhaseProblem {
    pub fn field(self) -> &'static str {
        match self {
            PhaseProblem::OutOfScale(_) => "phase",
            PhaseProblem::OutcomeRequired | PhaseProblem::OutcomeNotAllowed => "outcome",
            PhaseProblem::InTheFuture => "assessed_on",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            PhaseProblem::OutOfScale(_) => "out_of_scale",
            PhaseProblem::OutcomeRequired => "outcome_required",
            PhaseProblem::OutcomeNotAllowed => "outcome_not_allowed",
            PhaseProblem::InTheFuture => "in_the_future",
        }
    }

    pub fn message(self) -> String {
        match self {
            PhaseProblem::OutOfScale(max) => format!("fas 0–{max}"),
            PhaseProblem::OutcomeRequired => "välj utfall för den högsta fasen".into(),
            PhaseProblem::OutcomeNotAllowed => "utfall anges bara för den högsta fasen".into(),
            PhaseProblem::InTheFuture => "datumet kan inte ligga i framtiden".into(),
        }
    }
}

/// A phase on some scale; only made through `PhaseScale::phase`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Phase(u8);

impl Phase {
    pub fn number(self) -> u8 {
        self.0
    }
}

code_enum! {
    /// How an assessment moved the phase from the one before.
    PhaseDirection {
        /// The first assessment of the case.
        First = "first",
        Forward = "forward",
        Unchanged = "unchanged",
        Backward = "backward",
    }
}

/// How `next` moves from `previous`.
pub fn direction(previous: Option<Phase>, next: Phase) -> PhaseDirection {
    match previous {
        None => PhaseDirection::First,
        Some(p) if next > p => PhaseDirection::Forward,
        Some(p) if next < p => PhaseDirection::Backward,
        Some(_) => PhaseDirection::Unchanged,
    }
}

/// One assessment, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Assessment {
    pub phase: Phase,
    pub assessed_on: NaiveDate,
}

/// Since when the case has stood in its current phase, from its assessments in any order:
/// the first assessment of the unbroken run of the latest phase. `None` without assessments.
pub fn in_phase_since(history: &[Assessment]) -> Option<NaiveDate> {
    let mut sorted: Vec<Assessment> = history.to_vec();
    sorted.sort_by_key(|a| a.assessed_on);
    let current = sorted.last()?.phase;
    sorted
        .iter()
        .rev()
        .take_while(|a| a.phase == current)
        .last()
        .map(|a| a.assessed_on)
}

code_enum! {
    /// Where a client stands, as the steering group's table counts it (seed 004): the phases
    /// grouped. On the Järva scale 0 is planning, 1 collaboration, 2–3 an effort; on
    /// Rinkeby-Kista's 0 is planning, 1–2 collaboration, 3–4 an effort. The top phase (4 or 5)
    /// counts by its recorded outcome; a top assessment without one (recorded before outcomes
    /// were) counts as self-sufficient.
    PhaseGroup {
        /// No phase assessed yet.
        NotAssessed = "not_assessed",
        Planning = "planning",
        Collaboration = "collaboration",
        Effort = "effort",
        SelfSufficient = "self_sufficient",
        SaAeGranted = "sa_ae_granted",
        AllPathsExhausted = "all_paths_exhausted",
    }
}

impl PhaseGroup {
    pub fn label(self) -> &'static str {
        match self {
            PhaseGroup::NotAssessed => "Fas ej bedömd",
            PhaseGroup::Planning => "I planering",
            PhaseGroup::Collaboration => "I samverkansfas",
            PhaseGroup::Effort => "I insats",
            PhaseGroup::SelfSufficient => PhaseOutcome::SelfSufficient.label(),
            PhaseGroup::SaAeGranted => PhaseOutcome::SaAeGranted.label(),
            PhaseGroup::AllPathsExhausted => PhaseOutcome::AllPathsExhausted.label(),
        }
    }
}

impl PhaseScale {
    /// The group of phase `n` with its `outcome` on this scale (`None`: not assessed).
    pub fn group(self, n: Option<u8>, outcome: Option<PhaseOutcome>) -> PhaseGroup {
        let Some(n) = n else {
            return PhaseGroup::NotAssessed;
        };
        let top = self.max();
        match (self, n) {
            (_, 0) => PhaseGroup::Planning,
            (_, n) if n >= top => match outcome {
                None | Some(PhaseOutcome::SelfSufficient) => PhaseGroup::SelfSufficient,
                Some(PhaseOutcome::SaAeGranted) => PhaseGroup::SaAeGranted,
                Some(PhaseOutcome::AllPathsExhausted) => PhaseGroup::AllPathsExhausted,
            },
            (PhaseScale::Jarva, 1) | (PhaseScale::RinkebyKista, 1 | 2) => PhaseGroup::Collaboration,
            _ => PhaseGroup::Effort,
        }
    }
}
