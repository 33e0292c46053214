//! What the fördjupad samverkan routes take and give.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::access::policy::{FordjupadAccess, FordjupadStep};
use crate::domain::fordjupad::{CaseManagerCriterion, Decision, IntakeDecision};
use crate::domain::{CaseId, OrganisationId, UserId};
use crate::http::rules::{FieldRule, TextLine};
use crate::store::fordjupad::{FordjupadCase, RecordedDecision};

/// Bringing the case to the rehabansvarig.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BringBody {
    /// Why the case is brought (no more of the person than the case needs).
    #[validate(nested)]
    pub note: TextLine<2000>,
}

/// The rehabansvarig's decision.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    pub decision: IntakeDecision,
    pub decided_on: NaiveDate,
    #[validate(nested)]
    pub reason: TextLine<2000>,
    /// The case manager criteria met (every one, for `case_manager`; none otherwise).
    #[serde(default)]
    #[schema(max_items = 5)]
    pub criteria: BTreeSet<CaseManagerCriterion>,
    /// When the case manager assignment ends (only for `case_manager`).
    pub case_manager_until: Option<NaiveDate>,
}

impl DecisionBody {
    pub fn into_decision(self) -> Decision {
        Decision {
            decision: self.decision,
            decided_on: self.decided_on,
            reason: self.reason.trim().to_owned(),
            criteria: self.criteria,
            case_manager_until: self.case_manager_until,
        }
    }
}

/// What a decision needs beyond its schema.
pub const DECISION_RULES: &[FieldRule] = &[
    FieldRule::new("decided_on", "in_the_future", "today or earlier"),
    FieldRule::new(
        "decided_on",
        "before_brought",
        "on or after the day the case was brought",
    ),
    FieldRule::new(
        "criteria",
        "criterion_missing",
        "a case manager needs every criterion: clear_goal, oral_and_written_consent, \
         no_ongoing_abuse, threat_risk_analysis, no_interpreter_needed",
    ),
    FieldRule::new(
        "decision",
        "only_for_case_manager",
        "criteria and case_manager_until only with decision case_manager",
    ),
    FieldRule::new(
        "case_manager_until",
        "required",
        "a case manager's end date",
    ),
    FieldRule::new("case_manager_until", "before_start", "after decided_on"),
    FieldRule::new(
        "case_manager_until",
        "at_most_12_months",
        "at most 12 months after decided_on",
    ),
];

/// One recorded decision.
#[derive(Serialize, ToSchema)]
pub struct DecisionResponse {
    pub decision: IntakeDecision,
    pub decided_on: NaiveDate,
    pub reason: String,
    pub criteria: Vec<CaseManagerCriterion>,
    pub case_manager_until: Option<NaiveDate>,
    pub decided_by: UserId,
}

impl From<RecordedDecision> for DecisionResponse {
    fn from(r: RecordedDecision) -> Self {
        DecisionResponse {
            decision: r.decision.decision,
            decided_on: r.decision.decided_on,
            reason: r.decision.reason,
            criteria: r.decision.criteria.into_iter().collect(),
            case_manager_until: r.decision.case_manager_until,
            decided_by: r.decided_by,
        }
    }
}

/// What the actor may do next.
#[derive(Serialize, ToSchema)]
pub struct FordjupadMay {
    pub decide: bool,
}

/// The case's fördjupad samverkan: how it was brought and every decision on it.
#[derive(Serialize, ToSchema)]
pub struct FordjupadResponse {
    pub case_id: CaseId,
    pub owner_organisation_id: OrganisationId,
    pub social_worker_id: UserId,
    pub brought_on: NaiveDate,
    pub note: String,
    /// The current decision; null until decided.
    pub decision: Option<IntakeDecision>,
    pub decided_on: Option<NaiveDate>,
    pub case_manager_until: Option<NaiveDate>,
    pub last_activity_on: NaiveDate,
    /// Oldest first.
    pub decisions: Vec<DecisionResponse>,
    /// The hub's configured phase scale, also before the first assessment.
    pub phase_scale: PhaseScaleResponse,
    pub may: FordjupadMay,
}

/// A phase scale: its phases with what they mean, and the outcomes its top phase takes.
#[derive(Serialize, ToSchema)]
pub struct PhaseScaleResponse {
    pub code: crate::domain::fordjupad::PhaseScale,
    /// Lowest first; the last is the top phase, which needs an outcome.
    pub phases: Vec<PhaseStepResponse>,
    pub outcomes: Vec<PhaseOutcomeResponse>,
}

/// One phase of a scale (`label` is empty where the seed does not define the phase).
#[derive(Serialize, ToSchema)]
pub struct PhaseStepResponse {
    pub phase: u8,
    pub label: &'static str,
}

/// One outcome of the top phase.
#[derive(Serialize, ToSchema)]
pub struct PhaseOutcomeResponse {
    pub code: crate::domain::fordjupad::PhaseOutcome,
    pub label: &'static str,
}

impl From<crate::domain::fordjupad::PhaseScale> for PhaseScaleResponse {
    fn from(scale: crate::domain::fordjupad::PhaseScale) -> Self {
        use crate::domain::fordjupad::PhaseOutcome;
        PhaseScaleResponse {
            code: scale,
            phases: (0..=scale.max())
                .filter_map(|n| scale.phase(n))
                .map(|p| PhaseStepResponse {
                    phase: p.number(),
                    label: scale.label(p),
                })
                .collect(),
            outcomes: PhaseOutcome::ALL
                .iter()
                .map(|&o| PhaseOutcomeResponse {
                    code: o,
                    label: o.label(),
                })
                .collect(),
        }
    }
}

impl FordjupadResponse {
    pub fn new(
        case: FordjupadCase,
        decisions: Vec<RecordedDecision>,
        access: &FordjupadAccess,
        scale: crate::domain::fordjupad::PhaseScale,
    ) -> Self {
        FordjupadResponse {
            case_id: case.case_id,
            owner_organisation_id: case.owner,
            social_worker_id: case.social_worker,
            brought_on: case.brought_on,
            note: case.note,
            decision: case.decision,
            decided_on: case.decided_on,
            case_manager_until: case.case_manager_until,
            last_activity_on: case.last_activity_on,
            decisions: decisions.into_iter().map(Into::into).collect(),
            phase_scale: scale.into(),
            may: FordjupadMay {
                decide: access.may(FordjupadStep::Decide),
            },
        }
    }
}

/// A phase assessment, on the hub's configured scale (Järva 0–4 by default).
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhaseBody {
    #[schema(minimum = 0, maximum = 5)]
    #[serde(deserialize_with = "crate::http::rules::whole")]
    pub phase: u8,
    /// The end state reached: required with the scale's top phase (4 on Järva, 5 on
    /// Rinkeby-Kista), not allowed with any other.
    pub outcome: Option<crate::domain::fordjupad::PhaseOutcome>,
    pub assessed_on: NaiveDate,
    #[validate(nested)]
    pub reason: TextLine<500>,
}

/// What a phase assessment needs beyond its schema.
pub const PHASE_RULES: &[FieldRule] = &[
    FieldRule::new(
        "phase",
        "out_of_scale",
        "0–4 on the Järva scale, 0–5 on Rinkeby-Kista's",
    ),
    FieldRule::new(
        "outcome",
        "outcome_required",
        "required with the scale's top phase (4 on Järva, 5 on Rinkeby-Kista)",
    ),
    FieldRule::new(
        "outcome",
        "outcome_not_allowed",
        "only with the scale's top phase",
    ),
    FieldRule::new("assessed_on", "in_the_future", "today or earlier"),
];

/// One assessment in the case's phase timeline, with how it moved the phase.
#[derive(Serialize, ToSchema)]
pub struct PhaseResponse {
    pub scale: crate::domain::fordjupad::PhaseScale,
    pub phase: u8,
    pub label: &'static str,
    /// The end state reached (top phase only).
    pub outcome: Option<crate::domain::fordjupad::PhaseOutcome>,
    pub outcome_label: Option<&'static str>,
    pub assessed_on: NaiveDate,
    pub reason: String,
    pub assessed_by: UserId,
    pub direction: crate::domain::fordjupad::phase::PhaseDirection,
}

/// The timeline, oldest first, each with its direction from the one before.
pub fn timeline(recorded: Vec<crate::store::fordjupad::RecordedPhase>) -> Vec<PhaseResponse> {
    let mut previous = None;
    recorded
        .into_iter()
        .filter_map(|r| {
            let phase = r.scale.phase(r.phase)?;
            let direction = crate::domain::fordjupad::phase::direction(previous, phase);
            previous = Some(phase);
            Some(PhaseResponse {
                scale: r.scale,
                phase: r.phase,
                label: r.scale.label(phase),
                outcome: r.outcome,
                outcome_label: r.outcome.map(|o| o.label()),
                assessed_on: r.assessed_on,
                reason: r.reason,
                assessed_by: r.assessed_by,
                direction,
            })
        })
        .collect()
}

/// A new target-group coding of the case (replaces the current one; the old stays in the
/// history).
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodingBody {
    #[serde(default)]
    #[schema(max_items = 2)]
    pub codes: BTreeSet<crate::domain::fordjupad::TargetGroupCode>,
    #[validate(range(max = 600, message = "högst 600 månader"))]
    #[schema(minimum = 0, maximum = 600)]
    #[serde(default, deserialize_with = "crate::http::rules::whole_within")]
    pub months_on_assistance: Option<u16>,
}

/// One coding in the case's history.
#[derive(Serialize, ToSchema)]
pub struct CodingResponse {
    pub codes: Vec<crate::domain::fordjupad::TargetGroupCode>,
    pub months_on_assistance: Option<u16>,
    /// Sick leave without SGI or social-medical obstacles.
    pub in_target_group: bool,
    /// 12 months or more on assistance.
    pub long_term_assistance: bool,
    pub coded_by: UserId,
    #[schema(value_type = String, format = DateTime)]
    pub coded_at: chrono::DateTime<chrono::Utc>,
}

impl From<crate::store::fordjupad::RecordedCoding> for CodingResponse {
    fn from(r: crate::store::fordjupad::RecordedCoding) -> Self {
        CodingResponse {
            in_target_group: r.coding.in_target_group(),
            long_term_assistance: r.coding.long_term_assistance(),
            codes: r.coding.codes.into_iter().collect(),
            months_on_assistance: r.coding.months_on_assistance,
            coded_by: r.coded_by,
            coded_at: crate::http::rfc3339(crate::domain::Timestamp::from_micros(r.recorded_at)),
        }
    }
}
