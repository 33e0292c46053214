//! The joint plan (samverkansplan): one engine for every kind of plan — SIP, progressionsplan,
//! the Finsamteam's gemensam plan and the rehabplan. The kinds differ in purpose and vocabulary,
//! not in shape (WORKFLOWS.md §1): goals, actions (vad, vem, när, varför, har det gjorts?), the
//! overall responsibility and the date of the next joint follow-up. A plan is drafted, adopted
//! (fastställd) at a meeting and later revised; every adopted version stays as it was adopted.
//! The life cycle is one table, like the inquiry's; what changed between two versions is
//! `diff`; what must hold before adoption is `adoption_problems`.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::kinds::code_enum;
use super::Purpose;

mod content;
mod diff;

pub use content::*;
pub use diff::{diff, Change, Part};

code_enum! {
    /// The kind of a joint plan; each needs consent for its own purpose.
    PlanKind {
        /// Samordnad individuell plan (SoL 2 kap. 7 §, HSL 16 kap. 4 §).
        Sip = "sip",
        /// The progressionsplan of fördjupad samverkan.
        Progressionsplan = "progressionsplan",
        /// The Finsamteam's gemensam plan.
        Finsam = "finsam",
        /// Rinkeby-Kista's rehabplan.
        Rehabplan = "rehabplan",
    }
}

impl PlanKind {
    /// The consent purpose every organisation in the plan must be covered for.
    pub fn purpose(self) -> Purpose {
        match self {
            PlanKind::Sip => Purpose::Sip,
            PlanKind::Finsam => Purpose::Finsamteam,
            PlanKind::Progressionsplan | PlanKind::Rehabplan => Purpose::FordjupadSamverkan,
        }
    }

    /// The Swedish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            PlanKind::Sip => "SIP",
            PlanKind::Progressionsplan => "Progressionsplan",
            PlanKind::Finsam => "Gemensam plan (Finsamteam)",
            PlanKind::Rehabplan => "Rehabplan",
        }
    }

    /// The follow-up the seeds fix for the kind, in months after adoption: the Finsamteam
    /// follows up after six months (Stockholmsmodellen Hst 7 ruta 9). Other kinds set the date
    /// at the meeting.
    pub fn default_follow_up_months(self) -> Option<u32> {
        match self {
            PlanKind::Finsam => Some(6),
            PlanKind::Sip | PlanKind::Progressionsplan | PlanKind::Rehabplan => None,
        }
    }

    /// Only the progressionsplan's actions carry a category 1–5 (WORKFLOWS.md §4).
    pub fn has_action_categories(self) -> bool {
        self == PlanKind::Progressionsplan
    }

    /// The Finsamteam makes its plan *with* the individual (Hst 7 rutor 5–8).
    pub fn requires_individual_present(self) -> bool {
        self == PlanKind::Finsam
    }
}

code_enum! {
    /// Where a plan is in its life; see `LIFE_CYCLE`.
    PlanState {
        /// Being written; never adopted.
        Draft = "draft",
        /// The latest version is adopted and no revision is open.
        Adopted = "adopted",
        /// An adopted version stands while the next one is drafted.
        Revising = "revising",
        /// Ended; every adopted version stays readable.
        Closed = "closed",
    }
}

/// Everything that can be done to a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanStep {
    /// Change the draft (goals, actions, responsibility, follow-up).
    Edit,
    /// Fastställ: the draft becomes the next adopted version.
    Adopt,
    /// Open a new draft from the adopted version.
    Revise,
    /// Throw away the open draft: a never-adopted plan is gone, a revision falls back to the
    /// adopted version.
    Discard,
    Close,
    /// The responsible organisation reports an action's status (works on the adopted plan too:
    /// "har det gjorts?" is answered between follow-ups, not at them).
    UpdateAction,
}

/// Where a step leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanTarget {
    Stay,
    To(PlanState),
    /// A never-adopted draft, discarded.
    Gone,
}

/// One row of the life cycle.
#[derive(Clone, Copy, Debug)]
pub struct PlanTransition {
    pub step: PlanStep,
    pub from: &'static [PlanState],
    pub to: PlanTarget,
}

use PlanState::{Adopted, Closed, Draft, Revising};

/// The whole life cycle; anything not listed is an invalid step.
pub const LIFE_CYCLE: &[PlanTransition] = &[
    PlanTransition {
        step: PlanStep::Edit,
        from: &[Draft, Revising],
        to: PlanTarget::Stay,
    },
    PlanTransition {
        step: PlanStep::Adopt,
        from: &[Draft, Revising],
        to: PlanTarget::To(Adopted),
    },
    PlanTransition {
        step: PlanStep::Revise,
        from: &[Adopted],
        to: PlanTarget::To(Revising),
    },
    PlanTransition {
        step: PlanStep::Discard,
        from: &[Draft, Revising],
        to: PlanTarget::Gone,
    },
    PlanTransition {
        step: PlanStep::Close,
        from: &[Adopted, Revising],
        to: PlanTarget::To(Closed),
    },
    PlanTransition {
        step: PlanStep::UpdateAction,
        from: &[Draft, Adopted, Revising],
        to: PlanTarget::Stay,
    },
];

impl PlanStep {
    pub fn transition(self) -> PlanTransition {
        // Every step has exactly one row (a unit test checks); Edit's row is the fallback.
        LIFE_CYCLE
            .iter()
            .copied()
            .find(|t| t.step == self)
            .unwrap_or(LIFE_CYCLE[0])
    }

    fn verb(self) -> &'static str {
        match self {
            PlanStep::Edit => "ändras",
            PlanStep::Adopt => "fastställas",
            PlanStep::Revise => "revideras",
            PlanStep::Discard => "kastas",
            PlanStep::Close => "avslutas",
            PlanStep::UpdateAction => "få insatser uppdaterade",
        }
    }

    /// The state after the step. Discarding a revision returns to `Adopted`; discarding a
    /// never-adopted draft leaves nothing (`Ok(None)`).
    pub fn apply(self, current: PlanState) -> Result<Option<PlanState>, InvalidPlanStep> {
        let transition = self.transition();
        if !transition.from.contains(&current) {
            return Err(InvalidPlanStep {
                current,
                step: self,
            });
        }
        Ok(match (transition.to, current) {
            (PlanTarget::Stay, _) => Some(current),
            (PlanTarget::To(next), _) => Some(next),
            (PlanTarget::Gone, Revising) => Some(Adopted),
            (PlanTarget::Gone, _) => None,
        })
    }
}

/// A step the plan's state does not allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidPlanStep {
    pub current: PlanState,
    pub step: PlanStep,
}

impl fmt::Display for InvalidPlanStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Planen har status {} och kan inte {}.",
            self.current,
            self.step.verb()
        )
    }
}

code_enum! {
    /// Whether an action has been done ("har det gjorts?").
    ActionStatus {
        Planned = "planned",
        Ongoing = "ongoing",
        Done = "done",
        Cancelled = "cancelled",
    }
}

impl ActionStatus {
    /// Still owed: can fall due and become overdue.
    pub fn is_open(self) -> bool {
        matches!(self, ActionStatus::Planned | ActionStatus::Ongoing)
    }

    /// The changes a responsible organisation may report. A done action can be reopened
    /// (a finished mapping is reassessed, WORKFLOWS.md §4); a cancelled one restored.
    pub fn may_become(self, next: ActionStatus) -> bool {
        use ActionStatus::*;
        matches!(
            (self, next),
            (Planned, Ongoing | Done | Cancelled)
                | (Ongoing, Done | Cancelled)
                | (Done, Ongoing)
                | (Cancelled, Planned)
        )
    }

    /// Cancelling says why, so the others are not left guessing.
    pub fn requires_note(self) -> bool {
        self == ActionStatus::Cancelled
    }
}

/// Where an open action stands against its date. Dates are calendar days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    /// Closed, undated, or not yet within the warning window.
    Later,
    /// Due within `warn_days` (today included).
    Soon,
    Overdue,
}

pub fn due(
    status: ActionStatus,
    due_on: Option<NaiveDate>,
    today: NaiveDate,
    warn_days: i64,
) -> Due {
    match due_on {
        Some(date) if status.is_open() && today > date => Due::Overdue,
        Some(date) if status.is_open() && (date - today).num_days() <= warn_days => Due::Soon,
        _ => Due::Later,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_STEPS: &[PlanStep] = &[
        PlanStep::Edit,
        PlanStep::Adopt,
        PlanStep::Revise,
        PlanStep::Discard,
        PlanStep::Close,
        PlanStep::UpdateAction,
    ];

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap_or_default()
    }

    #[test]
    fn every_step_has_exactly_one_row() {
        for step in ALL_STEPS {
            let rows = LIFE_CYCLE.iter().filter(|t| t.step == *step).count();
            assert_eq!(rows, 1, "{step:?}");
        }
        assert_eq!(LIFE_CYCLE.len(), ALL_STEPS.len());
    }

    #[test]
    fn a_plan_is_drafted_adopted_revised_readopted_and_closed() {
        let mut state = Draft;
        for step in [
            PlanStep::Edit,
            PlanStep::Adopt,
            PlanStep::UpdateAction,
            PlanStep::Revise,
            PlanStep::Edit,
            PlanStep::Adopt,
            PlanStep::Close,
        ] {
            state = step.apply(state).ok().flatten().unwrap_or(Draft);
        }
        assert_eq!(state, Closed);
    }

    #[test]
    fn an_adopted_version_is_never_edited_in_place() {
        assert!(PlanStep::Edit.apply(Adopted).is_err());
        assert!(PlanStep::Adopt.apply(Adopted).is_err());
        assert_eq!(PlanStep::Revise.apply(Adopted), Ok(Some(Revising)));
    }

    #[test]
    fn discarding_a_revision_keeps_the_adopted_version_and_a_first_draft_is_gone() {
        assert_eq!(PlanStep::Discard.apply(Revising), Ok(Some(Adopted)));
        assert_eq!(PlanStep::Discard.apply(Draft), Ok(None));
        assert!(PlanStep::Discard.apply(Adopted).is_err());
    }

    #[test]
    fn a_closed_plan_allows_nothing_and_a_draft_cannot_be_closed() {
        for step in ALL_STEPS {
            assert_eq!(
                step.apply(Closed),
                Err(InvalidPlanStep {
                    current: Closed,
                    step: *step
                })
            );
        }
        assert!(PlanStep::Close.apply(Draft).is_err());
        assert_eq!(
            PlanStep::Edit.apply(Closed).err().map(|e| e.to_string()),
            Some("Planen har status closed och kan inte ändras.".to_owned())
        );
    }

    #[test]
    fn each_kind_needs_its_own_purpose() {
        assert_eq!(PlanKind::Sip.purpose(), Purpose::Sip);
        assert_eq!(PlanKind::Finsam.purpose(), Purpose::Finsamteam);
        assert_eq!(
            PlanKind::Progressionsplan.purpose(),
            Purpose::FordjupadSamverkan
        );
        assert_eq!(PlanKind::Rehabplan.purpose(), Purpose::FordjupadSamverkan);
        assert_eq!(PlanKind::Finsam.default_follow_up_months(), Some(6));
        assert_eq!(PlanKind::Sip.default_follow_up_months(), None);
    }

    #[test]
    fn action_status_changes_follow_the_table() {
        use ActionStatus::*;
        for from in ActionStatus::ALL {
            for to in ActionStatus::ALL {
                let allowed = matches!(
                    (from, to),
                    (Planned, Ongoing | Done | Cancelled)
                        | (Ongoing, Done | Cancelled)
                        | (Done, Ongoing)
                        | (Cancelled, Planned)
                );
                assert_eq!(from.may_become(*to), allowed, "{from} -> {to}");
            }
        }
        assert!(!Planned.may_become(Planned), "a change changes something");
        assert!(Cancelled.requires_note() && !Done.requires_note());
    }

    #[test]
    fn an_open_action_falls_due_then_overdue_a_closed_one_never() {
        let on = Some(day(10));
        assert_eq!(due(ActionStatus::Planned, on, day(1), 7), Due::Later);
        assert_eq!(due(ActionStatus::Planned, on, day(3), 7), Due::Soon);
        assert_eq!(due(ActionStatus::Ongoing, on, day(10), 7), Due::Soon);
        assert_eq!(due(ActionStatus::Ongoing, on, day(11), 7), Due::Overdue);
        assert_eq!(due(ActionStatus::Done, on, day(11), 7), Due::Later);
        assert_eq!(due(ActionStatus::Cancelled, on, day(30), 7), Due::Later);
        assert_eq!(due(ActionStatus::Planned, None, day(30), 7), Due::Later);
    }
}
