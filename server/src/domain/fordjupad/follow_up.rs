//! The follow-up rules (000 Avsnitt 2 step 6, issue 15 item 4), as pure functions over dates.
//! The seed's values are the defaults: when written recommendations arrive an avstämning is
//! booked within 1 month, 30 days (reminded before, flagged on the deadline); when nothing has
//! happened on a case for 2 months, 60 days, the follow-up passes to the biträdande enhetschef until someone acts; a case
//! manager assignment reminds before it ends (at the latest at 12 months).
//!
//! Each follow-up that falls due carries an `anchor`, the date it hangs on; the scheduler
//! records (case, kind, anchor) once, so a rule fires exactly once per anchor across restarts
//! and nodes, and fires again only when the facts give it a new anchor.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::kinds::code_enum;

/// The configured rules in whole days (0 allowed: due at once); `Default` is the seed's
/// (a month is 30 days).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FollowUpRules {
    /// An avstämning is booked within this many days of written recommendations.
    pub avstamning_within_days: u32,
    /// Days before the avstämning deadline the rehabansvarig is reminded.
    pub avstamning_remind_days: u32,
    /// Days without anything happening before the follow-up escalates.
    pub idle_days: u32,
    /// Days before a case manager assignment ends its holder is reminded.
    pub case_manager_remind_days: u32,
}

impl Default for FollowUpRules {
    fn default() -> Self {
        FollowUpRules {
            avstamning_within_days: 30,
            avstamning_remind_days: 7,
            idle_days: 60,
            case_manager_remind_days: 30,
        }
    }
}

code_enum! {
    /// What a follow-up rule asks for.
    FollowUpKind {
        /// Recommendations arrived and no avstämning is booked; the deadline approaches.
        AvstamningReminder = "avstamning_reminder",
        /// Recommendations arrived and no avstämning was booked within the month.
        AvstamningOverdue = "avstamning_overdue",
        /// Nothing happened for the idle months: the biträdande enhetschef takes over.
        Escalation = "escalation",
        /// A case manager assignment is about to end.
        CaseManagerEnding = "case_manager_ending",
    }
}

/// What the rules read of a case.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CaseFacts {
    /// The latest day anything happened: brought, decided, an action changed, a meeting held,
    /// a phase assessed, a coding changed.
    pub last_activity: Option<NaiveDate>,
    /// The latest day written recommendations arrived.
    pub recommendations_on: Option<NaiveDate>,
    /// The day of the latest avstämning booked (the day it was booked for).
    pub avstamning_booked_on: Option<NaiveDate>,
    /// The running case manager assignment: (start, end).
    pub case_manager: Option<(NaiveDate, NaiveDate)>,
    /// The progressionsplan's next joint follow-up.
    pub plan_follow_up_on: Option<NaiveDate>,
}

/// A follow-up that falls due on `due_on`; `anchor` makes it unique per case and kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FollowUp {
    pub kind: FollowUpKind,
    pub anchor: NaiveDate,
    pub due_on: NaiveDate,
}

fn days(n: u32) -> Duration {
    Duration::days(i64::from(n))
}

impl FollowUpRules {
    /// The avstämning deadline for recommendations received on `received`.
    pub fn avstamning_due(&self, received: NaiveDate) -> NaiveDate {
        received + days(self.avstamning_within_days)
    }

    /// The day the follow-up escalates when nothing has happened since `last_activity`.
    pub fn escalates_on(&self, last_activity: NaiveDate) -> NaiveDate {
        last_activity + days(self.idle_days)
    }

    /// Recommendations wait for an avstämning: none is booked on or after their arrival.
    fn awaits_avstamning(&self, facts: &CaseFacts) -> Option<NaiveDate> {
        let received = facts.recommendations_on?;
        match facts.avstamning_booked_on {
            Some(booked) if booked >= received => None,
            _ => Some(received),
        }
    }

    /// Every follow-up the facts give, due or not, in date order.
    pub fn follow_ups(&self, facts: &CaseFacts) -> Vec<FollowUp> {
        let mut all = Vec::new();
        if let Some(received) = self.awaits_avstamning(facts) {
            let due = self.avstamning_due(received);
            all.push(FollowUp {
                kind: FollowUpKind::AvstamningReminder,
                anchor: received,
                due_on: (due - days(self.avstamning_remind_days)).max(received),
            });
            // Flagged on the deadline itself when nothing is booked by then.
            all.push(FollowUp {
                kind: FollowUpKind::AvstamningOverdue,
                anchor: received,
                due_on: due,
            });
        }
        if let Some(last) = facts.last_activity {
            all.push(FollowUp {
                kind: FollowUpKind::Escalation,
                anchor: last,
                due_on: self.escalates_on(last),
            });
        }
        if let Some((start, end)) = facts.case_manager {
            let end = end.min(super::case_manager_latest_end(start));
            all.push(FollowUp {
                kind: FollowUpKind::CaseManagerEnding,
                anchor: end,
                due_on: (end - days(self.case_manager_remind_days)).max(start),
            });
        }
        all.sort_by_key(|f| (f.due_on, f.kind));
        all
    }

    /// The follow-ups due on or before `today`: what the scheduler fires (once per anchor).
    pub fn due(&self, facts: &CaseFacts, today: NaiveDate) -> Vec<FollowUp> {
        self.follow_ups(facts)
            .into_iter()
            .filter(|f| f.due_on <= today)
            .collect()
    }

    /// The next date someone must act on the case, for the caseload: the avstämning deadline,
    /// the plan's follow-up, the day it would escalate, the case manager's end.
    pub fn next_follow_up(&self, facts: &CaseFacts) -> Option<NaiveDate> {
        let avstamning = self
            .awaits_avstamning(facts)
            .map(|r| self.avstamning_due(r));
        let escalation = facts.last_activity.map(|l| self.escalates_on(l));
        let case_manager = facts
            .case_manager
            .map(|(start, end)| end.min(super::case_manager_latest_end(start)));
        [
            avstamning,
            escalation,
            case_manager,
            facts.plan_follow_up_on,
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

/// An escalation anchored on `anchor` (the last activity before it) stands until someone acts
/// on the case after it.
pub fn escalation_open(anchor: NaiveDate, last_activity: Option<NaiveDate>) -> bool {
    last_activity.is_none_or(|last| last <= anchor)
}

/// Whole days since the last activity, for the caseload.
pub fn days_idle(last_activity: NaiveDate, today: NaiveDate) -> i64 {
    (today - last_activity).num_days().max(0)
}
