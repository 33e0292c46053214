//! Meetings (möten): the Swedish names of the kinds, the consent purpose each kind needs by
//! default, and the rules for a meeting's time.

use super::{MeetingKind, Purpose, Timestamp};

/// The longest meeting: a working day. Longer is taken to be a mistake.
pub const MAX_DURATION_MICROS: i64 = 10 * 3_600_000_000;
/// How far ahead a meeting may be booked.
pub const MAX_DAYS_AHEAD: i64 = 2 * 366;
/// How far back a start may lie (a meeting booked while it goes on).
pub const PAST_TOLERANCE_MICROS: i64 = 3_600_000_000;

impl MeetingKind {
    /// The Swedish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            MeetingKind::SipMote => "SIP-möte",
            MeetingKind::FinsamteamMote => "Finsamteam-möte",
            MeetingKind::Trepartsmote => "Trepartsmöte",
            MeetingKind::Avstamningsmote => "Avstämningsmöte",
            MeetingKind::GemensamKartlaggning => "Gemensam kartläggning",
            MeetingKind::UppfoljningFordjupadSamverkan => "Uppföljning fördjupad samverkan",
            MeetingKind::Other => "Annat möte",
        }
    }

    /// The consent purpose the participants must be covered for, unless the organiser names
    /// another.
    pub fn default_purpose(self) -> Purpose {
        match self {
            MeetingKind::SipMote => Purpose::Sip,
            MeetingKind::FinsamteamMote => Purpose::Finsamteam,
            MeetingKind::UppfoljningFordjupadSamverkan => Purpose::FordjupadSamverkan,
            MeetingKind::Trepartsmote
            | MeetingKind::Avstamningsmote
            | MeetingKind::GemensamKartlaggning
            | MeetingKind::Other => Purpose::Informationsutbyte,
        }
    }
}

/// What is wrong with a meeting's time; each names the field to correct.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeProblem {
    /// `ends_at` is not after `starts_at`.
    EndNotAfterStart,
    /// Longer than `MAX_DURATION_MICROS`.
    TooLong,
    /// Starts more than `PAST_TOLERANCE_MICROS` ago.
    InThePast,
    /// Starts more than `MAX_DAYS_AHEAD` from now.
    TooFarAhead,
}

impl TimeProblem {
    pub fn field(self) -> &'static str {
        match self {
            TimeProblem::EndNotAfterStart | TimeProblem::TooLong => "ends_at",
            TimeProblem::InThePast | TimeProblem::TooFarAhead => "starts_at",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            TimeProblem::EndNotAfterStart => "end_before_start",
            TimeProblem::TooLong => "too_long",
            TimeProblem::InThePast => "in_the_past",
            TimeProblem::TooFarAhead => "too_far_ahead",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            TimeProblem::EndNotAfterStart => "mötet måste sluta efter att det börjar",
            TimeProblem::TooLong => "ett möte kan vara högst 10 timmar",
            TimeProblem::InThePast => "mötet kan inte börja i det förflutna",
            TimeProblem::TooFarAhead => "mötet kan bokas högst två år fram",
        }
    }
}

/// Checks a (new or moved) meeting time against `now`.
pub fn check_time(starts_at: Timestamp, ends_at: Timestamp, now: Timestamp) -> Vec<TimeProblem> {
    let mut problems = Vec::new();
    if ends_at <= starts_at {
        problems.push(TimeProblem::EndNotAfterStart);
    } else if ends_at.micros().saturating_sub(starts_at.micros()) > MAX_DURATION_MICROS {
        problems.push(TimeProblem::TooLong);
    }
    if starts_at.micros() < now.micros().saturating_sub(PAST_TOLERANCE_MICROS) {
        problems.push(TimeProblem::InThePast);
    } else if starts_at > now.plus_days(MAX_DAYS_AHEAD) {
        problems.push(TimeProblem::TooFarAhead);
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000_000;

    fn at(hours: i64) -> Timestamp {
        Timestamp::from_micros(1_800_000_000_000_000 + hours * HOUR)
    }

    #[test]
    fn every_kind_has_its_swedish_label_and_consent_purpose() {
        use MeetingKind as K;
        use Purpose as P;
        let expected = [
            (K::SipMote, "SIP-möte", P::Sip),
            (K::FinsamteamMote, "Finsamteam-möte", P::Finsamteam),
            (K::Trepartsmote, "Trepartsmöte", P::Informationsutbyte),
            (K::Avstamningsmote, "Avstämningsmöte", P::Informationsutbyte),
            (
                K::GemensamKartlaggning,
                "Gemensam kartläggning",
                P::Informationsutbyte,
            ),
            (
                K::UppfoljningFordjupadSamverkan,
                "Uppföljning fördjupad samverkan",
                P::FordjupadSamverkan,
            ),
            (K::Other, "Annat möte", P::Informationsutbyte),
        ];
        let actual: Vec<_> = MeetingKind::ALL
            .iter()
            .map(|k| (*k, k.label(), k.default_purpose()))
            .collect();
        assert_eq!(actual, expected);
    }

    #[test]
    fn times_are_checked() {
        let now = at(0);
        assert!(check_time(at(1), at(2), now).is_empty());
        assert_eq!(
            check_time(at(2), at(2), now),
            [TimeProblem::EndNotAfterStart]
        );
        assert_eq!(check_time(at(1), at(12), now), [TimeProblem::TooLong]);
        assert_eq!(check_time(at(-3), at(-2), now), [TimeProblem::InThePast]);
        assert_eq!(
            check_time(at(24 * 800), at(24 * 800 + 1), now),
            [TimeProblem::TooFarAhead]
        );
    }
}
