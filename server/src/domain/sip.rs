//! Calling a SIP (kallelse till samordnad individuell plan): who must come, who may be
//! invited, how each called organisation answers and when a silent obliged party is chased.
//! WORKFLOWS.md §2: the municipality's and the region's units are obliged to take part when
//! called (SoL 2 kap. 7 §, HSL 16 kap. 4 §); FK and AF may be invited, only when they have an
//! open matter of the person, and are not obliged; the call goes to organisations, which answer
//! and name who comes.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::kinds::code_enum;
use super::OrganisationKind;

code_enum! {
    /// Whether a called organisation must take part.
    Obligation {
        /// The municipality's or the region's unit: obliged to come when called.
        Obliged = "obliged",
        /// Invited (FK, AF, Jobbtorg, the samordningsförbund): may decline.
        Optional = "optional",
    }
}

/// The obligation follows from what kind of organisation is called. Jobbtorg is a municipal
/// unit but not one the SIP provisions bind (they name social services and health care), so
/// it is invited like FK and AF.
pub fn obligation(kind: OrganisationKind) -> Obligation {
    match kind {
        OrganisationKind::Socialtjanst
        | OrganisationKind::Vardcentral
        | OrganisationKind::Psykiatri => Obligation::Obliged,
        OrganisationKind::Jobbtorg
        | OrganisationKind::Forsakringskassan
        | OrganisationKind::Arbetsformedlingen
        | OrganisationKind::Samordningsforbund => Obligation::Optional,
    }
}

/// A SIP needs efforts from both social services and health care (SoL 2 kap. 7 §): among
/// the caller and the called, both sides must be obliged parties.
pub fn covers_both_principals(kinds: &[OrganisationKind]) -> bool {
    let social = kinds.contains(&OrganisationKind::Socialtjanst);
    let care = kinds.iter().any(|k| {
        matches!(
            k,
            OrganisationKind::Vardcentral | OrganisationKind::Psykiatri
        )
    });
    social && care
}

code_enum! {
    /// Where a call is in its life.
    CallState {
        /// Sent to the called organisations' shared inboxes; answers come in.
        Called = "called",
        /// The SIP meeting is booked from the call.
        Booked = "booked",
        /// The meeting was held and the SIP plan adopted from it.
        Held = "held",
        Cancelled = "cancelled",
    }
}

code_enum! {
    /// Which of an organisation's SIP calls: those to it, or those it made.
    CallBox {
        /// Calls to my organisation (its shared inbox of calls).
        Inbox = "inbox",
        /// Calls my organisation made.
        Sent = "sent",
    }
}

code_enum! {
    /// Who a named attendee without an account is.
    AttendeeRole {
        /// The person the SIP is about.
        Individual = "individual",
        /// A relative (närstående), who comes if the person wishes.
        Relative = "relative",
        Other = "other",
    }
}

code_enum! {
    /// A called organisation's answer.
    CallAnswer {
        /// Not answered yet.
        Pending = "pending",
        /// We come; the answer names who.
        Coming = "coming",
        /// We propose another time.
        OtherTime = "other_time",
        /// Optional parties only, with a reason.
        Declined = "declined",
    }
}

code_enum! {
    /// Why an optional party declines a SIP.
    SipDeclineReason {
        /// FK and AF come only when they have an open matter of the person.
        NoOpenMatter = "no_open_matter",
        /// The questions are not ours to answer.
        NotOurQuestions = "not_our_questions",
        /// Explained in the text, which is then required.
        Other = "other",
    }
}

/// Why an answer cannot be given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerRefused {
    /// Obliged parties cannot decline (they may propose another time).
    ObligedCannotDecline,
    /// Only a call that is still open (called or booked) takes answers.
    CallClosed(CallState),
    /// An answer is coming, another time or declined; `pending` is only where it starts.
    NotAnAnswer,
}

impl fmt::Display for AnswerRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnswerRefused::ObligedCannotDecline => f.write_str(
                "Er organisation är skyldig att delta i SIP och kan inte avböja; föreslå en annan tid.",
            ),
            AnswerRefused::CallClosed(state) => {
                write!(f, "Kallelsen har status {state} och tar inte emot svar.")
            }
            AnswerRefused::NotAnAnswer => f.write_str("Svara att ni kommer, föreslå en annan tid eller avböj."),
        }
    }
}

/// May this answer be given? An organisation may change its answer while the call is open.
pub fn check_answer(
    state: CallState,
    obligation: Obligation,
    answer: CallAnswer,
) -> Result<(), AnswerRefused> {
    if !matches!(state, CallState::Called | CallState::Booked) {
        return Err(AnswerRefused::CallClosed(state));
    }
    match (answer, obligation) {
        (CallAnswer::Pending, _) => Err(AnswerRefused::NotAnAnswer),
        (CallAnswer::Declined, Obligation::Obliged) => Err(AnswerRefused::ObligedCannotDecline),
        _ => Ok(()),
    }
}

/// An obliged party that has not answered within `chase_after_days` of the call is chased
/// (påminnelse); optional parties are never chased.
pub fn should_chase(
    state: CallState,
    obligation: Obligation,
    answer: CallAnswer,
    called_on: NaiveDate,
    today: NaiveDate,
    chase_after_days: i64,
) -> bool {
    state == CallState::Called
        && obligation == Obligation::Obliged
        && answer == CallAnswer::Pending
        && (today - called_on).num_days() >= chase_after_days
}

/// Days from the individual's own request for a SIP to the meeting (kept for follow-up of
/// how quickly requests are met; the individual must be offered one, WORKFLOWS.md §2).
pub fn days_from_request(requested_on: NaiveDate, meeting_on: NaiveDate) -> i64 {
    (meeting_on - requested_on).num_days().max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap_or_default()
    }

    #[test]
    fn the_municipality_and_the_region_are_obliged_the_others_invited() {
        for kind in OrganisationKind::ALL {
            let expected = matches!(
                kind,
                OrganisationKind::Socialtjanst
                    | OrganisationKind::Vardcentral
                    | OrganisationKind::Psykiatri
            );
            assert_eq!(obligation(*kind) == Obligation::Obliged, expected, "{kind}");
        }
    }

    #[test]
    fn a_sip_needs_social_services_and_care() {
        use OrganisationKind::*;
        assert!(covers_both_principals(&[Socialtjanst, Vardcentral]));
        assert!(covers_both_principals(&[
            Psykiatri,
            Forsakringskassan,
            Socialtjanst
        ]));
        assert!(!covers_both_principals(&[Socialtjanst, Arbetsformedlingen]));
        assert!(!covers_both_principals(&[Vardcentral, Psykiatri]));
    }

    #[test]
    fn only_optional_parties_decline_and_only_while_the_call_is_open() {
        assert_eq!(
            check_answer(CallState::Called, Obligation::Obliged, CallAnswer::Declined),
            Err(AnswerRefused::ObligedCannotDecline)
        );
        assert_eq!(
            check_answer(
                CallState::Called,
                Obligation::Optional,
                CallAnswer::Declined
            ),
            Ok(())
        );
        assert_eq!(
            check_answer(
                CallState::Booked,
                Obligation::Obliged,
                CallAnswer::OtherTime
            ),
            Ok(())
        );
        for closed in [CallState::Held, CallState::Cancelled] {
            assert_eq!(
                check_answer(closed, Obligation::Optional, CallAnswer::Coming),
                Err(AnswerRefused::CallClosed(closed))
            );
        }
        assert_eq!(
            check_answer(CallState::Called, Obligation::Optional, CallAnswer::Pending),
            Err(AnswerRefused::NotAnAnswer)
        );
    }

    #[test]
    fn a_silent_obliged_party_is_chased_after_the_configured_days() {
        let chase = |obligation, answer, today| {
            should_chase(CallState::Called, obligation, answer, day(1), today, 3)
        };
        assert!(!chase(Obligation::Obliged, CallAnswer::Pending, day(3)));
        assert!(chase(Obligation::Obliged, CallAnswer::Pending, day(4)));
        assert!(!chase(Obligation::Optional, CallAnswer::Pending, day(20)));
        assert!(!chase(Obligation::Obliged, CallAnswer::Coming, day(20)));
        assert!(!should_chase(
            CallState::Booked,
            Obligation::Obliged,
            CallAnswer::Pending,
            day(1),
            day(20),
            3
        ));
    }

    #[test]
    fn the_refusal_says_what_to_do_instead() {
        assert!(AnswerRefused::ObligedCannotDecline
            .to_string()
            .contains("föreslå en annan tid"));
        assert_eq!(
            AnswerRefused::CallClosed(CallState::Held).to_string(),
            "Kallelsen har status held och tar inte emot svar."
        );
    }

    #[test]
    fn the_time_from_request_to_meeting_counts_days() {
        assert_eq!(days_from_request(day(1), day(15)), 14);
        assert_eq!(days_from_request(day(15), day(1)), 0);
    }
}
