use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::category::{afu_offer_due, CategoryStep};
use super::follow_up::{days_idle, escalation_open};
use super::phase::{direction, in_phase_since, Assessment};
use super::*;
use crate::domain::Role;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
}

fn decision(kind: IntakeDecision) -> Decision {
    Decision {
        decision: kind,
        decided_on: d(2026, 3, 10),
        reason: "Långvarigt bistånd, oklar arbetsförmåga".to_owned(),
        criteria: BTreeSet::new(),
        case_manager_until: None,
    }
}

fn case_manager() -> Decision {
    Decision {
        criteria: CaseManagerCriterion::ALL.iter().copied().collect(),
        case_manager_until: Some(d(2027, 3, 10)),
        ..decision(IntakeDecision::CaseManager)
    }
}

#[test]
fn every_decision_but_the_case_manager_needs_only_a_date_and_a_reason() {
    for kind in IntakeDecision::ALL {
        if *kind == IntakeDecision::CaseManager {
            continue;
        }
        assert_eq!(
            decision_problems(&decision(*kind), d(2026, 3, 1), d(2026, 3, 10)),
            vec![],
            "{kind}"
        );
    }
    assert!(!IntakeDecision::Ingen.enters_caseload());
    assert!(IntakeDecision::Afu.enters_caseload());
}

#[test]
fn a_decision_needs_a_reason_and_a_date_between_bringing_and_today() {
    let mut blank = decision(IntakeDecision::FordjupadSamverkan);
    blank.reason = "  ".to_owned();
    assert_eq!(
        decision_problems(&blank, d(2026, 3, 11), d(2026, 3, 9)),
        vec![
            DecisionProblem::ReasonRequired,
            DecisionProblem::InTheFuture,
            DecisionProblem::BeforeBrought,
        ]
    );
    let fields: Vec<_> = [
        DecisionProblem::ReasonRequired,
        DecisionProblem::InTheFuture,
        DecisionProblem::BeforeBrought,
    ]
    .iter()
    .map(|p| (p.field(), p.code()))
    .collect();
    assert_eq!(
        fields,
        vec![
            ("reason", "required"),
            ("decided_on", "in_the_future"),
            ("decided_on", "before_brought"),
        ]
    );
}

#[test]
fn a_case_manager_needs_every_criterion_and_at_most_twelve_months() {
    assert_eq!(
        decision_problems(&case_manager(), d(2026, 3, 1), d(2026, 3, 10)),
        vec![]
    );
    let mut missing = case_manager();
    missing
        .criteria
        .remove(&CaseManagerCriterion::ThreatRiskAnalysis);
    missing
        .criteria
        .remove(&CaseManagerCriterion::NoInterpreterNeeded);
    assert_eq!(
        decision_problems(&missing, d(2026, 3, 1), d(2026, 3, 10)),
        vec![
            DecisionProblem::CriterionMissing(CaseManagerCriterion::ThreatRiskAnalysis),
            DecisionProblem::CriterionMissing(CaseManagerCriterion::NoInterpreterNeeded),
        ]
    );
    let mut long = case_manager();
    long.case_manager_until = Some(d(2027, 3, 11));
    assert_eq!(
        decision_problems(&long, d(2026, 3, 1), d(2026, 3, 10)),
        vec![DecisionProblem::LongerThanTwelveMonths]
    );
    let mut none = case_manager();
    none.case_manager_until = None;
    assert_eq!(
        decision_problems(&none, d(2026, 3, 1), d(2026, 3, 10)),
        vec![DecisionProblem::EndRequired]
    );
    let mut backwards = case_manager();
    backwards.case_manager_until = Some(d(2026, 3, 10));
    assert_eq!(
        decision_problems(&backwards, d(2026, 3, 1), d(2026, 3, 10))[0].field(),
        "case_manager_until"
    );
}

#[test]
fn criteria_and_an_end_belong_only_to_a_case_manager() {
    let mut afu = decision(IntakeDecision::Afu);
    afu.case_manager_until = Some(d(2026, 6, 1));
    assert_eq!(
        decision_problems(&afu, d(2026, 3, 1), d(2026, 3, 10)),
        vec![DecisionProblem::NotACaseManager]
    );
}

#[test]
fn twelve_months_from_a_month_end_stays_in_the_month() {
    assert_eq!(case_manager_latest_end(d(2024, 2, 29)), d(2025, 2, 28));
}

#[test]
fn the_target_group_is_either_code_and_long_term_is_twelve_months() {
    let mut coding = Coding::default();
    assert!(!coding.in_target_group());
    coding.codes.insert(TargetGroupCode::SocialmedicinskaHinder);
    assert!(coding.in_target_group());
    coding.months_on_assistance = Some(11);
    assert!(!coding.long_term_assistance());
    coding.months_on_assistance = Some(12);
    assert!(coding.long_term_assistance());
    assert!(coding.problems().is_empty());
    coding.months_on_assistance = Some(601);
    assert_eq!(coding.problems()[0].0, "months_on_assistance");
}

#[test]
fn categories_one_and_two_are_followed_up_by_the_bitradande_enhetschef() {
    let holders: Vec<_> = ActionCategory::ALL
        .iter()
        .map(|c| (c.number(), c.follow_up_holder()))
        .collect();
    assert_eq!(
        holders,
        vec![
            (1, FollowUpHolder::BitradandeEnhetschef),
            (2, FollowUpHolder::BitradandeEnhetschef),
            (3, FollowUpHolder::Rehabansvarig),
            (4, FollowUpHolder::Rehabansvarig),
            (5, FollowUpHolder::Rehabansvarig),
        ]
    );
    assert_eq!(
        ActionCategory::EnklaAtgarder.actors(),
        &[Role::Socialsekreterare]
    );
    assert_eq!(
        ActionCategory::Afu.actors(),
        &[Role::Socialsekreterare, Role::Rehabansvarig]
    );
    assert_eq!(
        FollowUpHolder::BitradandeEnhetschef.role(),
        Role::BitradandeEnhetschef
    );
    assert!(ActionCategory::Kartlaggning.reassessed_when_done());
    assert!(!ActionCategory::EnklaAtgarder.reassessed_when_done());
}

#[test]
fn categories_travel_as_the_numbers_one_to_five() {
    assert_eq!(
        serde_json::to_value(ActionCategory::Fortroendelakare).ok(),
        Some(serde_json::json!(4))
    );
    assert_eq!(
        serde_json::from_value::<ActionCategory>(serde_json::json!(5)).ok(),
        Some(ActionCategory::Afu)
    );
    assert!(serde_json::from_value::<ActionCategory>(serde_json::json!(0)).is_err());
    assert!(serde_json::from_value::<ActionCategory>(serde_json::json!(6)).is_err());
}

#[test]
fn categories_four_and_five_carry_their_own_steps() {
    assert!(ActionCategory::SamverkanVardJobbtorg.steps().is_empty());
    assert_eq!(
        ActionCategory::Fortroendelakare.steps().last(),
        Some(&CategoryStep::RecommendationsReceived)
    );
    assert!(ActionCategory::Afu
        .steps()
        .contains(&CategoryStep::InterpreterBooked));
    assert_eq!(afu_offer_due(d(2026, 3, 10)), d(2026, 3, 24));
}

#[test]
fn the_scale_is_configured_and_jarva_is_the_default() {
    assert_eq!(PhaseScale::default(), PhaseScale::Jarva);
    assert!(PhaseScale::Jarva.phase(4).is_some());
    assert!(PhaseScale::Jarva.phase(5).is_none());
    assert_eq!(
        PhaseScale::RinkebyKista.phase(5).map(Phase::number),
        Some(5)
    );
    assert!(PhaseScale::RinkebyKista.phase(6).is_none());
    assert_eq!(
        PhaseScale::Jarva.label(PhaseScale::Jarva.phase(4).unwrap_or_else(|| unreachable!())),
        "Egen försörjning"
    );
}

#[test]
fn a_phase_can_go_backwards_and_the_run_in_the_current_phase_is_found() {
    let p = |n| PhaseScale::Jarva.phase(n).unwrap_or_else(|| unreachable!());
    assert_eq!(direction(None, p(1)), PhaseDirection::First);
    assert_eq!(direction(Some(p(1)), p(2)), PhaseDirection::Forward);
    assert_eq!(direction(Some(p(3)), p(1)), PhaseDirection::Backward);
    assert_eq!(direction(Some(p(2)), p(2)), PhaseDirection::Unchanged);
    let history = [
        Assessment {
            phase: p(2),
            assessed_on: d(2026, 1, 1),
        },
        Assessment {
            phase: p(1),
            assessed_on: d(2026, 3, 1),
        },
        Assessment {
            phase: p(2),
            assessed_on: d(2026, 2, 1),
        },
        Assessment {
            phase: p(1),
            assessed_on: d(2026, 4, 1),
        },
    ];
    assert_eq!(in_phase_since(&history), Some(d(2026, 3, 1)));
    assert_eq!(in_phase_since(&[]), None);
}

#[test]
fn recommendations_remind_before_the_month_and_flag_on_its_deadline() {
    let rules = FollowUpRules::default();
    let facts = CaseFacts {
        recommendations_on: Some(d(2026, 3, 10)),
        ..CaseFacts::default()
    };
    assert_eq!(rules.due(&facts, d(2026, 4, 1)), vec![]);
    let reminder = FollowUp {
        kind: FollowUpKind::AvstamningReminder,
        anchor: d(2026, 3, 10),
        due_on: d(2026, 4, 2),
    };
    assert_eq!(rules.due(&facts, d(2026, 4, 2)), vec![reminder]);
    assert_eq!(rules.due(&facts, d(2026, 4, 8)), vec![reminder]);
    assert_eq!(
        rules.due(&facts, d(2026, 4, 9)),
        vec![
            reminder,
            FollowUp {
                kind: FollowUpKind::AvstamningOverdue,
                anchor: d(2026, 3, 10),
                due_on: d(2026, 4, 9),
            }
        ]
    );
    assert_eq!(rules.next_follow_up(&facts), Some(d(2026, 4, 9)));
}

#[test]
fn zero_days_make_the_avstamning_due_the_day_recommendations_arrive() {
    let rules = FollowUpRules {
        avstamning_within_days: 0,
        ..FollowUpRules::default()
    };
    let facts = CaseFacts {
        recommendations_on: Some(d(2026, 3, 10)),
        ..CaseFacts::default()
    };
    let kinds: Vec<FollowUpKind> = rules
        .due(&facts, d(2026, 3, 10))
        .iter()
        .map(|f| f.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            FollowUpKind::AvstamningReminder,
            FollowUpKind::AvstamningOverdue
        ]
    );
}

#[test]
fn a_booked_avstamning_silences_the_recommendations_until_new_ones_arrive() {
    let rules = FollowUpRules::default();
    let mut facts = CaseFacts {
        recommendations_on: Some(d(2026, 3, 10)),
        avstamning_booked_on: Some(d(2026, 3, 30)),
        ..CaseFacts::default()
    };
    assert_eq!(rules.due(&facts, d(2026, 6, 1)), vec![]);
    facts.recommendations_on = Some(d(2026, 5, 1));
    let due = rules.due(&facts, d(2026, 6, 2));
    assert_eq!(due.len(), 2);
    assert!(due.iter().all(|f| f.anchor == d(2026, 5, 1)));
}

#[test]
fn sixty_idle_days_escalate_and_acting_clears_it() {
    let rules = FollowUpRules::default();
    let mut facts = CaseFacts {
        last_activity: Some(d(2026, 1, 31)),
        ..CaseFacts::default()
    };
    assert_eq!(rules.due(&facts, d(2026, 3, 31)), vec![]);
    let escalation = FollowUp {
        kind: FollowUpKind::Escalation,
        anchor: d(2026, 1, 31),
        due_on: d(2026, 4, 1),
    };
    assert_eq!(rules.due(&facts, d(2026, 4, 1)), vec![escalation]);
    assert!(escalation_open(escalation.anchor, facts.last_activity));
    facts.last_activity = Some(d(2026, 4, 2));
    assert!(!escalation_open(escalation.anchor, facts.last_activity));
    assert_eq!(rules.due(&facts, d(2026, 4, 3)), vec![]);
    assert_eq!(rules.next_follow_up(&facts), Some(d(2026, 6, 1)));
    assert_eq!(days_idle(d(2026, 4, 2), d(2026, 4, 12)), 10);
}

#[test]
fn a_case_manager_reminds_before_its_end_and_never_runs_past_twelve_months() {
    let rules = FollowUpRules::default();
    let facts = CaseFacts {
        case_manager: Some((d(2026, 1, 15), d(2026, 9, 15))),
        ..CaseFacts::default()
    };
    assert_eq!(rules.due(&facts, d(2026, 8, 15)), vec![]);
    assert_eq!(
        rules.due(&facts, d(2026, 8, 16)),
        vec![FollowUp {
            kind: FollowUpKind::CaseManagerEnding,
            anchor: d(2026, 9, 15),
            due_on: d(2026, 8, 16),
        }]
    );
    let too_long = CaseFacts {
        case_manager: Some((d(2026, 1, 15), d(2027, 6, 1))),
        ..CaseFacts::default()
    };
    assert_eq!(rules.next_follow_up(&too_long), Some(d(2027, 1, 15)));
}

#[test]
fn the_next_follow_up_is_the_earliest_owed() {
    let rules = FollowUpRules::default();
    let facts = CaseFacts {
        last_activity: Some(d(2026, 3, 1)),
        plan_follow_up_on: Some(d(2026, 4, 15)),
        ..CaseFacts::default()
    };
    assert_eq!(rules.next_follow_up(&facts), Some(d(2026, 4, 15)));
    assert_eq!(rules.next_follow_up(&CaseFacts::default()), None);
}

#[test]
fn phases_fall_in_the_steering_groups_groups_on_either_scale() {
    use super::phase::PhaseGroup as G;
    let jarva: Vec<G> = (0..=4)
        .map(|n| PhaseScale::Jarva.group(Some(n), None))
        .collect();
    assert_eq!(
        jarva,
        [
            G::Planning,
            G::Collaboration,
            G::Effort,
            G::Effort,
            G::SelfSufficient
        ]
    );
    let rk: Vec<G> = (0..=5)
        .map(|n| PhaseScale::RinkebyKista.group(Some(n), None))
        .collect();
    assert_eq!(
        rk,
        [
            G::Planning,
            G::Collaboration,
            G::Collaboration,
            G::Effort,
            G::Effort,
            G::SelfSufficient
        ]
    );
    assert_eq!(PhaseScale::Jarva.group(None, None), G::NotAssessed);
    // The top phase counts by its outcome.
    use super::phase::PhaseOutcome as O;
    assert_eq!(
        PhaseScale::Jarva.group(Some(4), Some(O::SaAeGranted)),
        G::SaAeGranted
    );
    assert_eq!(
        PhaseScale::RinkebyKista.group(Some(5), Some(O::AllPathsExhausted)),
        G::AllPathsExhausted
    );
}

#[test]
fn fordjupad_outcome_belongs_to_the_top_phase_only() {
    use super::phase::PhaseOutcome as O;
    assert_eq!(
        PhaseScale::Jarva.outcome_problem(4, None),
        Some(PhaseProblem::OutcomeRequired)
    );
    assert_eq!(
        PhaseScale::Jarva.outcome_problem(4, Some(O::SelfSufficient)),
        None
    );
    assert_eq!(
        PhaseScale::Jarva.outcome_problem(3, Some(O::SaAeGranted)),
        Some(PhaseProblem::OutcomeNotAllowed)
    );
    assert_eq!(PhaseScale::Jarva.outcome_problem(3, None), None);
    assert_eq!(PhaseScale::RinkebyKista.outcome_problem(4, None), None);
    assert_eq!(
        PhaseScale::RinkebyKista.outcome_problem(5, None),
        Some(PhaseProblem::OutcomeRequired)
    );
}

#[test]
fn fordjupad_an_assessment_names_each_field_problem() {
    use super::phase::PhaseOutcome as O;
    let today = d(2026, 12, 7);
    let tomorrow = d(2026, 12, 8);
    let problems = |scale: PhaseScale, n, outcome, on| {
        scale
            .assessment_problems(n, outcome, on, today)
            .into_iter()
            .map(|p| (p.field(), p.code(), p.message()))
            .collect::<Vec<_>>()
    };
    assert_eq!(problems(PhaseScale::Jarva, 2, None, today), []);
    assert_eq!(
        problems(PhaseScale::Jarva, 4, Some(O::SaAeGranted), today),
        []
    );
    assert_eq!(
        problems(PhaseScale::Jarva, 5, Some(O::SaAeGranted), tomorrow),
        [
            ("phase", "out_of_scale", "fas 0–4".to_owned()),
            (
                "assessed_on",
                "in_the_future",
                "datumet kan inte ligga i framtiden".to_owned()
            ),
        ],
        "off the scale: the outcome rule is not applied"
    );
    assert_eq!(
        problems(PhaseScale::RinkebyKista, 5, None, today),
        [(
            "outcome",
            "outcome_required",
            "välj utfall för den högsta fasen".to_owned()
        )]
    );
    assert_eq!(
        problems(PhaseScale::Jarva, 1, Some(O::SelfSufficient), today),
        [(
            "outcome",
            "outcome_not_allowed",
            "utfall anges bara för den högsta fasen".to_owned()
        )]
    );
}
