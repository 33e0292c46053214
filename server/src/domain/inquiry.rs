//! The rehab inquiry's (rehabiliteringsförfrågan) life cycle as one table, and the values
//! its answer is made of.

use std::fmt;

use chrono::NaiveDate;

use super::InquiryState::{self, *};

/// Which side of the exchange acts: the organisation that wrote the inquiry (the case
/// owner) or the clinic it is addressed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    Sender,
    Recipient,
}

/// Everything that can be done to an inquiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Edit,
    Delete,
    Send,
    /// The recipient organisation opens it for the first time.
    Receive,
    /// To a rehab coordinator of the recipient; again to re-assign.
    Assign,
    Answer,
    Decline,
    Withdraw,
    Close,
    /// A follow-up question or answer in the thread.
    Post,
}

/// Where a step leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The state does not change (editing a draft, a thread post).
    Stay,
    To(InquiryState),
    /// The inquiry is gone (a deleted draft).
    Gone,
}

/// One row of the life cycle: who may take the step, from which states, to where.
#[derive(Clone, Copy, Debug)]
pub struct Transition {
    pub step: Step,
    pub by: &'static [Party],
    pub from: &'static [InquiryState],
    pub to: Target,
}

const SENDER: &[Party] = &[Party::Sender];
const RECIPIENT: &[Party] = &[Party::Recipient];
const EITHER: &[Party] = &[Party::Sender, Party::Recipient];

/// States in which the recipient owes an answer: these can become overdue.
pub const AWAITING_ANSWER: &[InquiryState] = &[Sent, Received, Assigned];

/// The whole life cycle. Anything not listed is an invalid transition.
pub const LIFE_CYCLE: &[Transition] = &[
    Transition {
        step: Step::Edit,
        by: SENDER,
        from: &[Draft],
        to: Target::Stay,
    },
    Transition {
        step: Step::Delete,
        by: SENDER,
        from: &[Draft],
        to: Target::Gone,
    },
    Transition {
        step: Step::Send,
        by: SENDER,
        from: &[Draft],
        to: Target::To(Sent),
    },
    Transition {
        step: Step::Receive,
        by: RECIPIENT,
        from: &[Sent],
        to: Target::To(Received),
    },
    Transition {
        step: Step::Assign,
        by: RECIPIENT,
        from: &[Received, Assigned],
        to: Target::To(Assigned),
    },
    Transition {
        step: Step::Answer,
        by: RECIPIENT,
        from: &[Assigned],
        to: Target::To(Answered),
    },
    Transition {
        step: Step::Decline,
        by: RECIPIENT,
        from: AWAITING_ANSWER,
        to: Target::To(Declined),
    },
    Transition {
        step: Step::Withdraw,
        by: SENDER,
        from: AWAITING_ANSWER,
        to: Target::To(Withdrawn),
    },
    Transition {
        step: Step::Close,
        by: SENDER,
        from: &[Answered],
        to: Target::To(Closed),
    },
    Transition {
        step: Step::Post,
        by: EITHER,
        from: &[Sent, Received, Assigned, Answered],
        to: Target::Stay,
    },
];

impl Step {
    pub fn transition(self) -> Transition {
        // Every step has exactly one row (a unit test checks); Edit's row is the fallback.
        LIFE_CYCLE
            .iter()
            .copied()
            .find(|t| t.step == self)
            .unwrap_or(LIFE_CYCLE[0])
    }

    /// May this side of the exchange take the step at all?
    pub fn allowed_for(self, party: Party) -> bool {
        self.transition().by.contains(&party)
    }

    /// The states this step may be taken from.
    pub fn from_states(self) -> &'static [InquiryState] {
        self.transition().from
    }

    /// The step's name in a Swedish sentence: "Förfrågan ... kan inte {verb}".
    fn verb(self) -> &'static str {
        match self {
            Step::Edit => "ändras",
            Step::Delete => "tas bort",
            Step::Send => "skickas",
            Step::Receive => "tas emot",
            Step::Assign => "tilldelas",
            Step::Answer => "besvaras",
            Step::Decline => "avböjas",
            Step::Withdraw => "återkallas",
            Step::Close => "avslutas",
            Step::Post => "få nya inlägg i tråden",
        }
    }

    /// The state after taking this step from `current`: `Ok(None)` when the inquiry is gone.
    pub fn apply(self, current: InquiryState) -> Result<Option<InquiryState>, InvalidTransition> {
        let transition = self.transition();
        if !transition.from.contains(&current) {
            return Err(InvalidTransition {
                current,
                step: self,
            });
        }
        Ok(match transition.to {
            Target::Stay => Some(current),
            Target::To(next) => Some(next),
            Target::Gone => None,
        })
    }
}

/// A step the current state does not allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidTransition {
    pub current: InquiryState,
    pub step: Step,
}

impl fmt::Display for InvalidTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Förfrågan har status {} och kan inte {}.",
            self.current,
            self.step.verb()
        )
    }
}

/// Past its answer date and still owed an answer. Dates are calendar days in UTC.
pub fn is_overdue(state: InquiryState, answer_by: NaiveDate, today: NaiveDate) -> bool {
    AWAITING_ANSWER.contains(&state) && today > answer_by
}

/// An ICD-10(-SE) code such as `F32.1`, `M54` or `F43.8A`: a letter, two digits, and
/// optionally a dot with a digit and one more digit or letter. Stored upper-case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Icd10(String);

impl Icd10 {
    pub fn parse(input: &str) -> Option<Self> {
        let code = input.trim().to_ascii_uppercase();
        let b = code.as_bytes();
        let head = b.len() >= 3
            && b[0].is_ascii_uppercase()
            && b[1].is_ascii_digit()
            && b[2].is_ascii_digit();
        let tail = match &b.get(3..).unwrap_or_default() {
            [] => true,
            [b'.', d] => d.is_ascii_digit(),
            [b'.', d, e] => d.is_ascii_digit() && (e.is_ascii_digit() || e.is_ascii_uppercase()),
            _ => false,
        };
        (head && tail).then_some(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How much the person can take part in activity or work: exactly one of the two measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extent {
    /// Percent of full time, 0-100 (typically 25, 50, 75 or 100).
    PercentOfFullTime(i64),
    /// Hours per week, 0-40.
    HoursPerWeek(i64),
}

impl Extent {
    pub const MAX_PERCENT: i64 = 100;
    pub const MAX_HOURS_PER_WEEK: i64 = 40;

    /// From the two optional API fields; `None` unless exactly one is given and in range.
    pub fn from_parts(percent: Option<i64>, hours: Option<i64>) -> Option<Self> {
        match (percent, hours) {
            (Some(p), None) if (0..=Self::MAX_PERCENT).contains(&p) => {
                Some(Extent::PercentOfFullTime(p))
            }
            (None, Some(h)) if (0..=Self::MAX_HOURS_PER_WEEK).contains(&h) => {
                Some(Extent::HoursPerWeek(h))
            }
            _ => None,
        }
    }

    pub fn percent(self) -> Option<i64> {
        match self {
            Extent::PercentOfFullTime(p) => Some(p),
            Extent::HoursPerWeek(_) => None,
        }
    }

    pub fn hours_per_week(self) -> Option<i64> {
        match self {
            Extent::HoursPerWeek(h) => Some(h),
            Extent::PercentOfFullTime(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_STEPS: &[Step] = &[
        Step::Edit,
        Step::Delete,
        Step::Send,
        Step::Receive,
        Step::Assign,
        Step::Answer,
        Step::Decline,
        Step::Withdraw,
        Step::Close,
        Step::Post,
    ];

    #[test]
    fn every_step_has_exactly_one_row() {
        for step in ALL_STEPS {
            assert_eq!(
                LIFE_CYCLE.iter().filter(|t| t.step == *step).count(),
                1,
                "{step:?}"
            );
        }
        assert_eq!(LIFE_CYCLE.len(), ALL_STEPS.len());
    }

    #[test]
    fn the_happy_path_runs_from_draft_to_closed() {
        let mut state = Draft;
        for step in [
            Step::Edit,
            Step::Send,
            Step::Receive,
            Step::Assign,
            Step::Assign,
            Step::Post,
            Step::Answer,
            Step::Post,
            Step::Close,
        ] {
            state = step.apply(state).ok().flatten().unwrap_or(Draft);
        }
        assert_eq!(state, Closed);
    }

    #[test]
    fn end_states_allow_nothing() {
        for end in [Closed, Declined, Withdrawn] {
            for step in ALL_STEPS {
                assert_eq!(
                    step.apply(end),
                    Err(InvalidTransition {
                        current: end,
                        step: *step
                    })
                );
            }
        }
    }

    #[test]
    fn decline_and_withdraw_are_possible_until_answered() {
        for state in InquiryState::ALL {
            let open = matches!(state, Sent | Received | Assigned);
            assert_eq!(Step::Decline.apply(*state).is_ok(), open, "{state}");
            assert_eq!(Step::Withdraw.apply(*state).is_ok(), open, "{state}");
        }
        assert_eq!(Step::Decline.apply(Sent), Ok(Some(Declined)));
        assert_eq!(Step::Withdraw.apply(Assigned), Ok(Some(Withdrawn)));
    }

    #[test]
    fn only_a_draft_is_edited_or_deleted_and_deleting_leaves_nothing() {
        assert_eq!(Step::Delete.apply(Draft), Ok(None));
        assert_eq!(Step::Edit.apply(Draft), Ok(Some(Draft)));
        assert!(Step::Edit.apply(Sent).is_err());
        assert!(Step::Send.apply(Sent).is_err());
        assert!(Step::Post.apply(Draft).is_err());
    }

    #[test]
    fn each_side_takes_only_its_own_steps() {
        assert!(Step::Send.allowed_for(Party::Sender));
        assert!(!Step::Send.allowed_for(Party::Recipient));
        assert!(Step::Answer.allowed_for(Party::Recipient));
        assert!(!Step::Close.allowed_for(Party::Recipient));
        assert!(Step::Post.allowed_for(Party::Sender) && Step::Post.allowed_for(Party::Recipient));
    }

    #[test]
    fn the_refusal_names_the_current_state() {
        let err = Step::Answer.apply(Answered).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("Förfrågan har status answered och kan inte besvaras.")
        );
    }

    #[test]
    fn overdue_only_while_an_answer_is_owed() {
        let due = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default();
        let after = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap_or_default();
        assert!(is_overdue(Assigned, due, after));
        assert!(!is_overdue(Assigned, due, due), "due today is not overdue");
        assert!(!is_overdue(Answered, due, after));
        assert!(!is_overdue(Draft, due, after));
    }

    #[test]
    fn icd10_codes_parse_and_normalise() {
        for (input, code) in [
            ("F32.1", "F32.1"),
            ("M54", "M54"),
            (" f43.8a ", "F43.8A"),
            ("Z73.0", "Z73.0"),
        ] {
            assert_eq!(Icd10::parse(input).map(|c| c.0), Some(code.to_owned()));
        }
        for bad in [
            "", "F3", "32.1", "F32.", "F32.AB", "F321", "F32.123", "FF2.1", "F32,1",
        ] {
            assert_eq!(Icd10::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn extent_is_exactly_one_measure_in_range() {
        assert_eq!(
            Extent::from_parts(Some(50), None),
            Some(Extent::PercentOfFullTime(50))
        );
        assert_eq!(
            Extent::from_parts(None, Some(40)),
            Some(Extent::HoursPerWeek(40))
        );
        assert_eq!(Extent::from_parts(Some(50), Some(10)), None);
        assert_eq!(Extent::from_parts(None, None), None);
        assert_eq!(Extent::from_parts(Some(101), None), None);
        assert_eq!(Extent::from_parts(None, Some(41)), None);
    }
}
