//! What the plan routes take and give.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::domain::fordjupad::ActionCategory;
use crate::domain::plan::{
    Action, ActionStatus, Goal, GoalLevel, Participation, PlanContent, PlanKind, PlanState,
    Responsible,
};
use crate::domain::{
    CaseId, FinsamReferralId, OrganisationId, PlanActionId, PlanGoalId, PlanId, SipCallId, UserId,
};
use crate::error::{AppError, FieldError};
use crate::http::rules::{FieldRule, TextLine};
use crate::http::{not_blank, rfc3339};
use crate::store::plans::{AdoptedVersion, Plan};

/// A new plan of the case, an empty draft.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    pub kind: PlanKind,
    #[validate(nested)]
    pub title: Option<TextLine<200>>,
    /// The SIP call the plan is adopted from (a SIP plan).
    pub sip_call_id: Option<SipCallId>,
    /// The Finsam referral the team's plan is made for (a Finsamteam plan): one my
    /// organisation sent in this case. Adopting the plan moves the referral on and schedules
    /// its follow-up.
    pub finsam_referral_id: Option<FinsamReferralId>,
}

/// A goal in a draft. Without an id the server gives one; a client may send its own UUID so
/// that other parts of the same draft can point at a new goal.
#[derive(Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalBody {
    pub id: Option<PlanGoalId>,
    pub level: GoalLevel,
    #[validate(nested)]
    pub text: TextLine<500>,
    /// For a delmål: the huvudmål it serves.
    pub serves: Option<PlanGoalId>,
}

/// An action in a draft (vad, vem, när, varför). Ids as for goals.
#[derive(Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    pub id: Option<PlanActionId>,
    #[validate(nested)]
    pub what: TextLine<500>,
    pub responsible: Responsible,
    pub due_on: Option<NaiveDate>,
    pub goal_id: Option<PlanGoalId>,
    /// `planned` when left out. Statuses are reported by the responsible organisation
    /// (`PATCH .../actions/{action_id}`): an action the adopted plan already has keeps its
    /// current status, date and note whatever is sent here, and another organisation's new
    /// action starts as `planned`.
    pub status: Option<ActionStatus>,
    pub status_on: Option<NaiveDate>,
    #[validate(nested)]
    pub note: Option<TextLine<500>>,
    /// A progressionsplan's action category 1–5; the follow-up responsibility follows from it
    /// (1–2 biträdande enhetschef, 3–5 rehabansvarig). Other kinds send none.
    pub category: Option<ActionCategory>,
}

/// The whole draft; what is left out is empty.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftBody {
    /// The individual's own goal, in their words.
    #[validate(
        length(min = 1, max = 2000, message = "1–2000 tecken"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 2000, pattern = "$text")]
    pub own_goal: Option<String>,
    #[serde(default)]
    #[validate(length(max = 50, message = "högst 50 mål"), nested)]
    #[schema(max_items = 50)]
    pub goals: Vec<GoalBody>,
    #[serde(default)]
    #[validate(length(max = 100, message = "högst 100 insatser"), nested)]
    #[schema(max_items = 100)]
    pub actions: Vec<ActionBody>,
    /// Övergripande ansvar.
    pub overall: Option<Responsible>,
    /// The next joint follow-up.
    pub follow_up_on: Option<NaiveDate>,
    /// Organisations that read the plan without an action of their own.
    #[serde(default)]
    #[validate(length(max = 20, message = "högst 20 läsande organisationer"))]
    #[schema(max_items = 20)]
    pub readers: Vec<OrganisationId>,
}

/// What a new plan needs beyond its schema.
pub const NEW_PLAN_RULES: &[FieldRule] = &[
    FieldRule::new(
        "sip_call_id",
        "invalid_sip_call",
        "a SIP plan's call: one my organisation made in this case",
    ),
    FieldRule::new(
        "finsam_referral_id",
        "invalid_finsam_referral",
        "a Finsamteam plan's referral: one my organisation sent in this case",
    ),
];

/// What a draft needs beyond its schema.
pub const DRAFT_RULES: &[FieldRule] = &[
    FieldRule::new(
        "goals[i].id",
        "duplicate_id",
        "each goal id once in the draft",
    ),
    FieldRule::new(
        "actions[i].id",
        "duplicate_id",
        "each action id once in the draft",
    ),
    FieldRule::new(
        "actions[i].responsible.organisation_id",
        "unknown_organisation",
        "an organisation of the hub",
    ),
    FieldRule::new(
        "actions[i].responsible.person_id",
        "invalid_person",
        "an active user of the responsible organisation",
    ),
    FieldRule::new(
        "overall.organisation_id",
        "unknown_organisation",
        "an organisation of the hub",
    ),
    FieldRule::new(
        "overall.person_id",
        "invalid_person",
        "an active user of the overall responsible organisation",
    ),
    FieldRule::new(
        "readers[i]",
        "unknown_organisation",
        "an organisation of the hub",
    ),
    FieldRule::new(
        "actions[i].note",
        "required",
        "a note when the status is cancelled",
    ),
    FieldRule::new(
        "actions[n].category",
        "category_not_for_kind",
        "only a progressionsplan's actions carry a category (1–5)",
    ),
];

/// What adopting needs: the adoption problems of `domain::plan::adoption_problems`.
pub const ADOPT_RULES: &[FieldRule] = &[
    FieldRule::new("goals", "goal_required", "at least one huvudmål"),
    FieldRule::new(
        "goals[i]",
        "goal_out_of_place",
        "a delmål serves a huvudmål of the plan, a huvudmål serves none",
    ),
    FieldRule::new("actions", "action_required", "at least one action"),
    FieldRule::new(
        "actions[i]",
        "goal_not_in_plan",
        "an action's goal is in the plan",
    ),
    FieldRule::new(
        "overall",
        "overall_required",
        "the overall responsibility is set",
    ),
    FieldRule::new(
        "follow_up_on",
        "follow_up_required",
        "a follow-up date is set",
    ),
    FieldRule::new(
        "follow_up_on",
        "in_the_past",
        "the follow-up is today or later",
    ),
    FieldRule::new(
        "individual_present",
        "individual_must_be_present",
        "a Finsam plan is adopted with the individual present",
    ),
    FieldRule::new("organisations", "participant_required", "who took part"),
];

/// What an action update needs beyond its schema.
pub const ACTION_RULES: &[FieldRule] = &[
    FieldRule::new(
        "status",
        "invalid_status_change",
        "planned→ongoing/done/cancelled, ongoing→done/cancelled, done→ongoing, cancelled→planned",
    ),
    FieldRule::new("note", "required", "a note when cancelling"),
];

impl DraftBody {
    /// The draft's content, with server ids for new goals and actions. Field errors for ids
    /// given twice.
    pub fn into_content(self) -> Result<PlanContent, AppError> {
        let mut errors = Vec::new();
        let mut goal_ids = BTreeSet::new();
        let goals: Vec<Goal> = self
            .goals
            .into_iter()
            .enumerate()
            .map(|(n, g)| {
                let id = g.id.unwrap_or_else(PlanGoalId::new);
                if !goal_ids.insert(id) {
                    errors.push(duplicate(format!("goals[{n}].id")));
                }
                Goal {
                    id,
                    level: g.level,
                    text: g.text.trim().to_owned(),
                    serves: g.serves,
                }
            })
            .collect();
        let mut action_ids = BTreeSet::new();
        let actions: Vec<Action> = self
            .actions
            .into_iter()
            .enumerate()
            .map(|(n, a)| {
                let id = a.id.unwrap_or_else(PlanActionId::new);
                if !action_ids.insert(id) {
                    errors.push(duplicate(format!("actions[{n}].id")));
                }
                let status = a.status.unwrap_or(ActionStatus::Planned);
                if status.requires_note() && a.note.is_none() {
                    errors.push(FieldError::new(
                        format!("actions[{n}].note"),
                        "required",
                        "ange varför insatsen ställts in",
                    ));
                }
                Action {
                    id,
                    what: a.what.trim().to_owned(),
                    responsible: a.responsible,
                    due_on: a.due_on,
                    goal: a.goal_id,
                    status,
                    status_on: a.status_on,
                    note: a.note.map(|n| n.trim().to_owned()),
                    category: a.category,
                }
            })
            .collect();
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let mut readers = self.readers;
        readers.sort();
        readers.dedup();
        Ok(PlanContent {
            own_goal: self.own_goal.map(|g| g.trim().to_owned()),
            goals,
            actions,
            overall: self.overall,
            follow_up_on: self.follow_up_on,
            readers,
        })
    }
}

fn duplicate(field: String) -> FieldError {
    FieldError::new(field, "duplicate_id", "samma id förekommer två gånger")
}

/// Who took part in adopting the version, and how the individual did.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdoptBody {
    #[validate(length(max = 30, message = "högst 30 organisationer"))]
    #[schema(max_items = 30)]
    pub organisations: Vec<OrganisationId>,
    pub individual_present: bool,
    pub agreement: crate::domain::plan::IndividualAgreement,
}

impl AdoptBody {
    pub fn into_participation(self) -> Participation {
        let mut organisations = self.organisations;
        organisations.sort();
        organisations.dedup();
        Participation {
            organisations,
            individual_present: self.individual_present,
            agreement: self.agreement,
        }
    }
}

/// A status report on an action by its responsible organisation.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionUpdate {
    pub status: ActionStatus,
    /// The day it happened; today when left out.
    pub status_on: Option<NaiveDate>,
    #[validate(nested)]
    pub note: Option<TextLine<500>>,
}

/// The steps the caller may take now.
#[derive(Serialize, ToSchema)]
pub struct PlanMay {
    pub edit: bool,
    pub adopt: bool,
    pub revise: bool,
    pub discard: bool,
    pub close: bool,
}

#[derive(Serialize, ToSchema)]
pub struct AdoptedVersionResponse {
    pub version: i64,
    pub adopted_at: DateTime<Utc>,
    pub adopted_by: UserId,
    pub participation: Participation,
    pub content: PlanContent,
}

impl From<AdoptedVersion> for AdoptedVersionResponse {
    fn from(v: AdoptedVersion) -> Self {
        Self {
            version: v.version,
            adopted_at: rfc3339(v.adopted_at),
            adopted_by: v.adopted_by,
            participation: v.participation,
            content: v.content,
        }
    }
}

/// A joint plan as the caller may see it: the draft only for the owner organisation.
#[derive(Serialize, ToSchema)]
pub struct PlanResponse {
    pub id: PlanId,
    pub case_id: CaseId,
    pub kind: PlanKind,
    pub state: PlanState,
    pub owner_organisation_id: OrganisationId,
    pub title: Option<String>,
    pub sip_call_id: Option<SipCallId>,
    pub finsam_referral_id: Option<FinsamReferralId>,
    /// The latest adopted version's number; 0 when never adopted.
    pub version: i64,
    /// The open draft (draft or revising), for the owner organisation only.
    pub draft: Option<PlanContent>,
    /// The latest adopted version; its actions carry their current status.
    pub adopted: Option<AdoptedVersionResponse>,
    /// Open actions whose responsible organisation no longer has consent.
    pub needs_new_responsible: Vec<PlanActionId>,
    pub may: PlanMay,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PlanResponse {
    pub fn new(
        plan: Plan,
        owner_view: bool,
        may: PlanMay,
        needs_new_responsible: Vec<PlanActionId>,
    ) -> Self {
        Self {
            id: plan.id,
            case_id: plan.case_id,
            kind: plan.kind,
            state: plan.state,
            owner_organisation_id: plan.owner_organisation_id,
            title: plan.title,
            sip_call_id: plan.sip_call_id,
            finsam_referral_id: plan.finsam_referral_id,
            version: plan.version,
            draft: plan.draft.filter(|_| owner_view),
            adopted: plan.adopted.map(Into::into),
            needs_new_responsible,
            may,
            created_at: rfc3339(plan.created_at),
            updated_at: rfc3339(plan.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PlanList {
    pub items: Vec<PlanResponse>,
}

/// One adopted version in the history.
#[derive(Serialize, ToSchema)]
pub struct VersionSummary {
    pub version: i64,
    pub adopted_at: DateTime<Utc>,
    pub adopted_by: UserId,
}

#[derive(Serialize, ToSchema)]
pub struct VersionList {
    pub items: Vec<VersionSummary>,
}

/// One change from the previous version, for showing them side by side.
#[derive(Serialize, ToSchema)]
pub struct ChangeResponse {
    /// `own_goal`, `goal`, `action`, `overall`, `follow_up` or `reader`.
    pub part: &'static str,
    /// The goal's, action's or reader organisation's id.
    pub id: Option<String>,
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    /// The fields that differ, for a changed goal or action.
    pub fields: Vec<&'static str>,
    /// The part in the previous version.
    #[schema(value_type = Object)]
    pub before: Option<serde_json::Value>,
    /// The part in this version.
    #[schema(value_type = Object)]
    pub after: Option<serde_json::Value>,
}

/// A version exactly as adopted, and what changed since the previous one.
#[derive(Serialize, ToSchema)]
pub struct VersionResponse {
    pub version: i64,
    pub adopted_at: DateTime<Utc>,
    pub adopted_by: UserId,
    pub participation: Participation,
    pub content: PlanContent,
    /// Empty for the first version.
    pub changes: Vec<ChangeResponse>,
}

/// Whether an open action is due later, soon (within `plans.warn_days`) or overdue.
#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum DueResponse {
    Later,
    Soon,
    Overdue,
}

/// One of my organisation's open actions.
#[derive(Serialize, ToSchema)]
pub struct CommitmentResponse {
    pub plan_id: PlanId,
    pub case_id: CaseId,
    pub plan_kind: PlanKind,
    pub action: Action,
    pub due: DueResponse,
    pub taken_by: Option<UserId>,
}

#[derive(Serialize, ToSchema)]
pub struct CommitmentList {
    pub items: Vec<CommitmentResponse>,
}

#[derive(Serialize, ToSchema)]
pub struct CommitmentCounts {
    pub open: i64,
    pub soon: i64,
    pub overdue: i64,
}

/// Which commitments to list.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CommitmentQuery {
    /// `soon` (due within `plans.warn_days`) or `overdue`; all open ones when left out.
    #[param(value_type = Option<String>, pattern = "^(soon|overdue)$")]
    pub due: Option<String>,
}
