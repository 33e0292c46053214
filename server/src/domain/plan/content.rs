//! What a version of a plan says, and what must hold before it is adopted.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{ActionStatus, PlanKind};
use crate::domain::fordjupad::ActionCategory;
use crate::domain::kinds::code_enum;
use crate::domain::{OrganisationId, PlanActionId, PlanGoalId, UserId};

code_enum! {
    /// A goal's level: the plan's main goal or a sub-goal under one.
    GoalLevel {
        Huvudmal = "huvudmal",
        Delmal = "delmal",
    }
}

code_enum! {
    /// Whether and how the individual agreed to the plan when it was adopted.
    IndividualAgreement {
        Muntligt = "muntligt",
        Skriftligt = "skriftligt",
        /// Took part but did not agree; the plan is adopted with that recorded.
        NotAgreed = "not_agreed",
    }
}

/// An organisation, and optionally one of its people, responsible for something.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Responsible {
    #[serde(rename = "organisation_id")]
    pub organisation: OrganisationId,
    #[serde(rename = "person_id")]
    pub person: Option<UserId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Goal {
    pub id: PlanGoalId,
    pub level: GoalLevel,
    pub text: String,
    /// For a delmål: the huvudmål it serves.
    pub serves: Option<PlanGoalId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Action {
    pub id: PlanActionId,
    /// Vad.
    pub what: String,
    /// Vem.
    pub responsible: Responsible,
    /// När.
    pub due_on: Option<NaiveDate>,
    /// Varför: the goal it serves.
    #[serde(rename = "goal_id")]
    pub goal: Option<PlanGoalId>,
    pub status: ActionStatus,
    pub status_on: Option<NaiveDate>,
    pub note: Option<String>,
    /// The progressionsplan's category 1–5 (WORKFLOWS.md §4); no other kind has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<ActionCategory>,
}

/// What a version of a plan says.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanContent {
    /// The individual's own goal, in their words.
    pub own_goal: Option<String>,
    pub goals: Vec<Goal>,
    pub actions: Vec<Action>,
    /// Övergripande ansvar (SIP) or uppföljningsansvar (progressionsplan).
    pub overall: Option<Responsible>,
    pub follow_up_on: Option<NaiveDate>,
    /// Organisations that read the plan without an action of their own.
    pub readers: Vec<OrganisationId>,
}

impl PlanContent {
    /// Every organisation that appears in the plan: each must be covered by consent for the
    /// kind's purpose, recorded by the case's owner.
    pub fn organisations(&self) -> BTreeSet<OrganisationId> {
        self.actions
            .iter()
            .map(|a| a.responsible.organisation)
            .chain(self.overall.map(|o| o.organisation))
            .chain(self.readers.iter().copied())
            .collect()
    }
}

/// What must hold before a version is adopted; each names the field to correct.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdoptionProblem {
    NoGoal,
    /// A delmål names no huvudmål of this plan, or a huvudmål names one.
    GoalOutOfPlace(PlanGoalId),
    NoAction,
    /// An action serves a goal that is not in the plan.
    ActionGoalMissing(PlanActionId),
    NoOverallResponsibility,
    NoFollowUp,
    FollowUpInThePast,
    /// The kind requires the individual to be present (Finsamteam).
    IndividualAbsent,
    NoParticipant,
}

impl AdoptionProblem {
    pub fn field(self) -> &'static str {
        match self {
            AdoptionProblem::NoGoal | AdoptionProblem::GoalOutOfPlace(_) => "goals",
            AdoptionProblem::NoAction | AdoptionProblem::ActionGoalMissing(_) => "actions",
            AdoptionProblem::NoOverallResponsibility => "overall",
            AdoptionProblem::NoFollowUp | AdoptionProblem::FollowUpInThePast => "follow_up_on",
            AdoptionProblem::IndividualAbsent => "individual_present",
            AdoptionProblem::NoParticipant => "organisations",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            AdoptionProblem::NoGoal => "goal_required",
            AdoptionProblem::GoalOutOfPlace(_) => "goal_out_of_place",
            AdoptionProblem::NoAction => "action_required",
            AdoptionProblem::ActionGoalMissing(_) => "goal_not_in_plan",
            AdoptionProblem::NoOverallResponsibility => "overall_required",
            AdoptionProblem::NoFollowUp => "follow_up_required",
            AdoptionProblem::FollowUpInThePast => "in_the_past",
            AdoptionProblem::IndividualAbsent => "individual_must_be_present",
            AdoptionProblem::NoParticipant => "participant_required",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            AdoptionProblem::NoGoal => "planen behöver minst ett huvudmål",
            AdoptionProblem::GoalOutOfPlace(_) => {
                "ett delmål ska höra till ett huvudmål i planen, ett huvudmål till inget"
            }
            AdoptionProblem::NoAction => "planen behöver minst en insats",
            AdoptionProblem::ActionGoalMissing(_) => {
                "insatsen hör till ett mål som inte finns i planen"
            }
            AdoptionProblem::NoOverallResponsibility => {
                "ange vem som har det övergripande ansvaret"
            }
            AdoptionProblem::NoFollowUp => "ange datum för gemensam uppföljning",
            AdoptionProblem::FollowUpInThePast => "uppföljningen kan inte ligga bakåt i tiden",
            AdoptionProblem::IndividualAbsent => "planen fastställs tillsammans med den enskilde",
            AdoptionProblem::NoParticipant => "ange vilka som deltog",
        }
    }
}

/// The positions of the actions that carry a category the kind has none of: only a
/// progressionsplan's actions are categorised (field `actions[n].category`, code
/// `category_not_for_kind`).
pub fn misplaced_categories(kind: PlanKind, content: &PlanContent) -> Vec<usize> {
    if kind.has_action_categories() {
        return vec![];
    }
    content
        .actions
        .iter()
        .enumerate()
        .filter(|(_, a)| a.category.is_some())
        .map(|(n, _)| n)
        .collect()
}

/// Who took part in adopting a version, and how the individual did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Participation {
    pub organisations: Vec<OrganisationId>,
    pub individual_present: bool,
    pub agreement: IndividualAgreement,
}

/// Everything wrong with adopting `content` today, in field order; empty when it may be.
pub fn adoption_problems(
    kind: PlanKind,
    content: &PlanContent,
    participation: &Participation,
    today: NaiveDate,
) -> Vec<AdoptionProblem> {
    let mut problems = Vec::new();
    let main_goals: BTreeSet<PlanGoalId> = content
        .goals
        .iter()
        .filter(|g| g.level == GoalLevel::Huvudmal)
        .map(|g| g.id)
        .collect();
    if main_goals.is_empty() {
        problems.push(AdoptionProblem::NoGoal);
    }
    for goal in &content.goals {
        let in_place = match goal.level {
            GoalLevel::Huvudmal => goal.serves.is_none(),
            GoalLevel::Delmal => goal.serves.is_some_and(|g| main_goals.contains(&g)),
        };
        if !in_place {
            problems.push(AdoptionProblem::GoalOutOfPlace(goal.id));
        }
    }
    if content.actions.is_empty() {
        problems.push(AdoptionProblem::NoAction);
    }
    let goal_ids: BTreeSet<PlanGoalId> = content.goals.iter().map(|g| g.id).collect();
    for action in &content.actions {
        if action.goal.is_some_and(|g| !goal_ids.contains(&g)) {
            problems.push(AdoptionProblem::ActionGoalMissing(action.id));
        }
    }
    if content.overall.is_none() {
        problems.push(AdoptionProblem::NoOverallResponsibility);
    }
    match content.follow_up_on {
        None => problems.push(AdoptionProblem::NoFollowUp),
        Some(date) if date < today => problems.push(AdoptionProblem::FollowUpInThePast),
        Some(_) => {}
    }
    if kind.requires_individual_present() && !participation.individual_present {
        problems.push(AdoptionProblem::IndividualAbsent);
    }
    if participation.organisations.is_empty() {
        problems.push(AdoptionProblem::NoParticipant);
    }
    problems
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap_or_default()
    }

    /// A plan that may be adopted on the 1st: one main goal with a sub-goal, one action for
    /// another organisation, the overall responsibility with the owner.
    pub fn adoptable(owner: OrganisationId, other: OrganisationId) -> PlanContent {
        let main = PlanGoalId::new();
        let sub = PlanGoalId::new();
        PlanContent {
            own_goal: Some("Jag vill kunna jobba halvtid".to_owned()),
            goals: vec![
                Goal {
                    id: main,
                    level: GoalLevel::Huvudmal,
                    text: "Egen försörjning".to_owned(),
                    serves: None,
                },
                Goal {
                    id: sub,
                    level: GoalLevel::Delmal,
                    text: "Arbetsträning 25 %".to_owned(),
                    serves: Some(main),
                },
            ],
            actions: vec![Action {
                id: PlanActionId::new(),
                what: "Arbetsförmågebedömning".to_owned(),
                responsible: Responsible {
                    organisation: other,
                    person: None,
                },
                due_on: Some(day(20)),
                goal: Some(sub),
                status: ActionStatus::Planned,
                status_on: None,
                note: None,
                category: None,
            }],
            overall: Some(Responsible {
                organisation: owner,
                person: Some(UserId::new()),
            }),
            follow_up_on: Some(day(28)),
            readers: vec![],
        }
    }

    fn present(orgs: &[OrganisationId]) -> Participation {
        Participation {
            organisations: orgs.to_vec(),
            individual_present: true,
            agreement: IndividualAgreement::Muntligt,
        }
    }

    #[test]
    fn every_organisation_named_anywhere_in_the_plan_must_be_covered() {
        let (owner, other, reader) = (
            OrganisationId::new(),
            OrganisationId::new(),
            OrganisationId::new(),
        );
        let mut plan = adoptable(owner, other);
        plan.readers.push(reader);
        assert_eq!(plan.organisations(), BTreeSet::from([owner, other, reader]));
    }

    #[test]
    fn a_complete_plan_may_be_adopted() {
        let (owner, other) = (OrganisationId::new(), OrganisationId::new());
        let plan = adoptable(owner, other);
        assert_eq!(
            adoption_problems(PlanKind::Sip, &plan, &present(&[owner, other]), day(1)),
            vec![]
        );
    }

    #[test]
    fn an_empty_draft_names_every_missing_part_with_its_field() {
        let problems = adoption_problems(
            PlanKind::Finsam,
            &PlanContent::default(),
            &Participation {
                organisations: vec![],
                individual_present: false,
                agreement: IndividualAgreement::NotAgreed,
            },
            day(1),
        );
        let fields: Vec<_> = problems.iter().map(|p| (p.field(), p.code())).collect();
        assert_eq!(
            fields,
            vec![
                ("goals", "goal_required"),
                ("actions", "action_required"),
                ("overall", "overall_required"),
                ("follow_up_on", "follow_up_required"),
                ("individual_present", "individual_must_be_present"),
                ("organisations", "participant_required"),
            ]
        );
    }

    #[test]
    fn only_the_finsamteam_requires_the_individual_present() {
        let (owner, other) = (OrganisationId::new(), OrganisationId::new());
        let plan = adoptable(owner, other);
        let mut absent = present(&[owner]);
        absent.individual_present = false;
        assert_eq!(
            adoption_problems(PlanKind::Finsam, &plan, &absent, day(1)),
            vec![AdoptionProblem::IndividualAbsent]
        );
        assert_eq!(
            adoption_problems(PlanKind::Sip, &plan, &absent, day(1)),
            vec![]
        );
    }

    #[test]
    fn goals_and_actions_must_hang_together() {
        let (owner, other) = (OrganisationId::new(), OrganisationId::new());
        let mut plan = adoptable(owner, other);
        let stray = PlanGoalId::new();
        plan.goals[1].serves = Some(stray);
        plan.actions[0].goal = Some(stray);
        let action = plan.actions[0].id;
        let sub = plan.goals[1].id;
        assert_eq!(
            adoption_problems(PlanKind::Sip, &plan, &present(&[owner]), day(1)),
            vec![
                AdoptionProblem::GoalOutOfPlace(sub),
                AdoptionProblem::ActionGoalMissing(action),
            ]
        );
    }

    #[test]
    fn only_a_progressionsplan_categorises_its_actions() {
        let (owner, other) = (OrganisationId::new(), OrganisationId::new());
        let mut plan = adoptable(owner, other);
        plan.actions[0].category = Some(ActionCategory::Fortroendelakare);
        assert_eq!(
            misplaced_categories(PlanKind::Progressionsplan, &plan),
            Vec::<usize>::new()
        );
        assert_eq!(misplaced_categories(PlanKind::Sip, &plan), vec![0]);
        plan.actions[0].category = None;
        assert!(misplaced_categories(PlanKind::Sip, &plan).is_empty());
    }

    #[test]
    fn the_follow_up_cannot_lie_in_the_past() {
        let (owner, other) = (OrganisationId::new(), OrganisationId::new());
        let plan = adoptable(owner, other);
        assert_eq!(
            adoption_problems(PlanKind::Sip, &plan, &present(&[owner]), day(29)),
            vec![AdoptionProblem::FollowUpInThePast]
        );
    }
}
