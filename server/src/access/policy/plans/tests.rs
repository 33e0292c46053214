//! One test per rule of the plan policy.

use super::*;
use crate::access::policy::ConsentFacts;
use crate::domain::{ConsentStatus, Role, UserId};

fn actor(organisation: OrganisationId) -> Actor {
    Actor {
        user_id: UserId::new(),
        organisation_id: organisation,
        roles: vec![Role::Socialsekreterare],
        request_id: None,
    }
}

/// A case owned by `owner` whose owner recorded consents for `covered` and `purposes`.
fn case(owner: OrganisationId, covered: &[OrganisationId], purposes: &[Purpose]) -> CaseFacts {
    let now = Timestamp::now();
    CaseFacts {
        case_id: CaseId::new(),
        individual_id: IndividualId::new(),
        owner,
        responsible: UserId::new(),
        protected_identity: false,
        consents: vec![ConsentFacts {
            id: ConsentId::new(),
            recorded_by_organisation: owner,
            status: ConsentStatus::Active,
            valid_from: now.plus_days(-1),
            valid_until: now.plus_days(30),
            organisations: covered.to_vec(),
            purposes: purposes.to_vec(),
        }],
    }
}

fn plan(case: &CaseFacts, kind: PlanKind, parties: &[OrganisationId]) -> PlanFacts {
    PlanFacts {
        case_id: case.case_id,
        owner: case.owner,
        kind,
        state: PlanState::Adopted,
        parties: parties.to_vec(),
    }
}

fn access(who: &Actor, case: &CaseFacts, facts: PlanFacts) -> Result<PlanAccess, AppError> {
    plan_access(
        who,
        PlanId::new(),
        Some(facts),
        Some(case.clone()),
        AuditAction::PlanRead,
        Timestamp::now(),
    )
}

#[test]
fn the_owner_organisation_reads_and_edits_its_plan() {
    let owner = OrganisationId::new();
    let case = case(owner, &[], &[]);
    let got = access(&actor(owner), &case, plan(&case, PlanKind::Sip, &[]));
    let got = got.ok();
    assert_eq!(got.as_ref().map(|a| a.role()), Some(PlanRole::Owner));
    assert!(got.as_ref().is_some_and(|a| a.may(PlanStep::Revise)));
    assert!(
        got.is_some_and(|a| !a.may(PlanStep::Edit)),
        "adopted: no edit"
    );
}

#[test]
fn a_party_reads_only_while_covered_for_the_kinds_purpose() {
    let (owner, clinic) = (OrganisationId::new(), OrganisationId::new());
    let covered = case(owner, &[clinic], &[Purpose::Sip]);
    let sip = plan(&covered, PlanKind::Sip, &[clinic]);
    let got = access(&actor(clinic), &covered, sip.clone()).ok();
    assert_eq!(got.as_ref().map(|a| a.role()), Some(PlanRole::Party));
    assert!(
        got.is_some_and(|a| !a.may(PlanStep::Revise)),
        "a party edits nothing"
    );
    // The same consent does not cover a Finsam plan.
    let finsam = plan(&covered, PlanKind::Finsam, &[clinic]);
    assert!(matches!(
        access(&actor(clinic), &covered, finsam),
        Err(AppError::Denied(_))
    ));
    // Without consent, the party named in the plan sees nothing.
    let uncovered = case(owner, &[], &[]);
    assert!(matches!(
        access(
            &actor(clinic),
            &uncovered,
            plan(&uncovered, PlanKind::Sip, &[clinic])
        ),
        Err(AppError::Denied(_))
    ));
}

#[test]
fn an_organisation_not_named_in_the_plan_sees_nothing_even_with_consent() {
    let (owner, other) = (OrganisationId::new(), OrganisationId::new());
    let case = case(owner, &[other], &[Purpose::Sip]);
    assert!(matches!(
        access(&actor(other), &case, plan(&case, PlanKind::Sip, &[])),
        Err(AppError::Denied(_))
    ));
}

#[test]
fn only_the_owner_changes_and_only_the_responsible_updates_an_action() {
    let (owner, clinic) = (OrganisationId::new(), OrganisationId::new());
    let case = case(owner, &[clinic], &[Purpose::Sip]);
    let clinic_user = actor(clinic);
    let party = access(&clinic_user, &case, plan(&case, PlanKind::Sip, &[clinic])).ok();
    let code = |r: Result<(), AppError>| match r {
        Err(AppError::Refused { code, .. }) => Some(code),
        _ => None,
    };
    let party = party.as_ref();
    assert_eq!(
        party.map(|p| code(p.require_owner(&clinic_user, AuditAction::PlanAdopt))),
        Some(Some("not_plan_owner"))
    );
    assert_eq!(
        party.map(|p| code(p.require_responsible(
            &clinic_user,
            owner,
            AuditAction::PlanActionUpdate
        ))),
        Some(Some("not_responsible"))
    );
    assert!(party.is_some_and(|p| p
        .require_responsible(&clinic_user, clinic, AuditAction::PlanActionUpdate)
        .is_ok()));
}

#[test]
fn the_consent_gate_names_each_uncovered_organisation_but_never_the_owner() {
    let (owner, clinic, af) = (
        OrganisationId::new(),
        OrganisationId::new(),
        OrganisationId::new(),
    );
    let case = case(owner, &[clinic], &[Purpose::Sip]);
    let now = Timestamp::now();
    assert_eq!(
        uncovered_organisations(&case, PlanKind::Sip, [owner, clinic, af, af], now),
        vec![af]
    );
    let mut expected = vec![clinic, af];
    expected.sort();
    assert_eq!(
        uncovered_organisations(&case, PlanKind::Rehabplan, [owner, clinic, af], now),
        expected
    );
}

#[test]
fn open_actions_of_an_uncovered_organisation_need_a_new_responsible() {
    let (owner, clinic, af) = (
        OrganisationId::new(),
        OrganisationId::new(),
        OrganisationId::new(),
    );
    let case = case(owner, &[clinic], &[Purpose::Sip]);
    let (a, b, c, d) = (
        PlanActionId::new(),
        PlanActionId::new(),
        PlanActionId::new(),
        PlanActionId::new(),
    );
    let actions = [
        (a, clinic, true),
        (b, af, true),
        (c, af, false),
        (d, owner, true),
    ];
    assert_eq!(
        needs_new_responsible(&case, PlanKind::Sip, &actions, Timestamp::now()),
        vec![b]
    );
}

#[test]
fn the_list_filter_reads_the_parties_and_each_kinds_purpose() {
    let org = OrganisationId::new();
    let filter = plan_filter(&actor(org), Timestamp::now());
    let mut sql = Sql::new("SELECT 1 FROM plans p WHERE ");
    if let Some(filter) = &filter {
        filter.push_visible(&mut sql);
    }
    let (text, args) = sql.parts();
    assert!(text.contains("plan_parties pp"), "{text}");
    assert!(text.contains("p.kind IN"), "{text}");
    assert!(args.len() > 6);
    let mut admin = actor(org);
    admin.roles = vec![Role::OrgAdmin];
    assert!(
        plan_filter(&admin, Timestamp::now()).is_none(),
        "no case work, no plans"
    );
}

#[test]
fn a_consent_change_names_only_the_actions_it_left_without_a_responsible() {
    let (owner, clinic, af) = (
        OrganisationId::new(),
        OrganisationId::new(),
        OrganisationId::new(),
    );
    let before = case(owner, &[clinic], &[Purpose::Sip]);
    let mut after = before.clone();
    after.consents[0].status = ConsentStatus::Ended;
    let (a, b) = (PlanActionId::new(), PlanActionId::new());
    // The AF action lacked consent already; only the clinic's is newly lost.
    let actions = [(a, clinic, true), (b, af, true)];
    let now = Timestamp::now();
    assert_eq!(
        responsible_lost(&before, &after, PlanKind::Sip, &actions, now),
        vec![a]
    );
    assert!(responsible_lost(&before, &before, PlanKind::Sip, &actions, now).is_empty());
}
