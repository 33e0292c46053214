//! One test per rule of the fördjupad samverkan policy.

use super::*;
use crate::access::policy::ConsentFacts;
use crate::domain::{ConsentId, ConsentStatus, IndividualId, UserId};

fn actor(organisation: OrganisationId, role: Role) -> Actor {
    Actor {
        user_id: UserId::new(),
        organisation_id: organisation,
        roles: vec![role],
        request_id: None,
    }
}

/// A case owned by `owner` whose owner recorded a consent for `covered` and `purposes`.
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

fn access(who: &Actor, case: &CaseFacts) -> Result<FordjupadAccess, AppError> {
    fordjupad_access(
        who,
        case.case_id,
        Some(case.clone()),
        AuditAction::FordjupadRead,
        Timestamp::now(),
    )
}

#[test]
fn the_social_worker_brings_and_the_leads_decide() {
    let owner = OrganisationId::new();
    let case = case(owner, &[], &[]);
    let worker = access(&actor(owner, Role::Socialsekreterare), &case).ok();
    assert!(worker.as_ref().is_some_and(|a| a.may(FordjupadStep::Bring)));
    assert!(worker
        .as_ref()
        .is_some_and(|a| a.may(FordjupadStep::AssessPhase)));
    assert!(worker
        .as_ref()
        .is_some_and(|a| !a.may(FordjupadStep::Decide)));
    for lead in [Role::Rehabansvarig, Role::BitradandeEnhetschef] {
        let got = access(&actor(owner, lead), &case).ok();
        assert!(
            got.as_ref().is_some_and(|a| a.may(FordjupadStep::Decide)),
            "{lead}"
        );
        assert!(
            got.as_ref().is_some_and(|a| a.may(FordjupadStep::Code)),
            "{lead}"
        );
        assert!(got.is_some_and(|a| !a.may(FordjupadStep::Bring)), "{lead}");
    }
}

#[test]
fn a_refused_step_is_403_not_allowed_and_audited_as_denied() {
    let owner = OrganisationId::new();
    let case = case(owner, &[], &[]);
    let who = actor(owner, Role::Socialsekreterare);
    let got = access(&who, &case)
        .map(|a| a.require(&who, FordjupadStep::Decide, AuditAction::FordjupadDecide));
    let Ok(Err(AppError::Refused { code, entry, .. })) = got else {
        unreachable!("a social worker does not decide: {got:?}");
    };
    assert_eq!(code, "not_allowed");
    assert_eq!(entry.outcome, Outcome::Denied);
    assert_eq!(entry.action, AuditAction::FordjupadDecide);
    assert_eq!(entry.case_id, Some(case.case_id));
}

#[test]
fn a_partner_reads_only_under_consent_for_fordjupad_samverkan_and_changes_nothing() {
    let (owner, clinic) = (OrganisationId::new(), OrganisationId::new());
    let coordinator = actor(clinic, Role::Rehabkoordinator);
    let covered = case(owner, &[clinic], &[Purpose::FordjupadSamverkan]);
    let got = access(&coordinator, &covered).ok();
    assert!(got.as_ref().is_some_and(|a| a.may(FordjupadStep::Read)));
    for step in [
        FordjupadStep::Bring,
        FordjupadStep::Decide,
        FordjupadStep::Code,
        FordjupadStep::AssessPhase,
        FordjupadStep::ClearEscalation,
    ] {
        assert!(got.as_ref().is_some_and(|a| !a.may(step)), "{step:?}");
    }
    let other_purpose = case(owner, &[clinic], &[Purpose::Sip]);
    assert!(matches!(
        access(&coordinator, &other_purpose),
        Err(AppError::Denied(_))
    ));
    let mut recorded_elsewhere = covered.clone();
    recorded_elsewhere.consents[0].recorded_by_organisation = clinic;
    assert!(access(&coordinator, &recorded_elsewhere).is_err());
}

#[test]
fn an_org_admin_sees_no_case() {
    let owner = OrganisationId::new();
    let case = case(owner, &[], &[]);
    assert!(access(&actor(owner, Role::OrgAdmin), &case).is_err());
    assert!(caseload_filter(&actor(owner, Role::OrgAdmin), Timestamp::now()).is_none());
    assert!(caseload_filter(&actor(owner, Role::Rehabansvarig), Timestamp::now()).is_some());
}

#[test]
fn only_the_leads_list_and_take_over_escalations_of_their_own_organisation() {
    let owner = OrganisationId::new();
    assert_eq!(
        escalation_scope(&actor(owner, Role::BitradandeEnhetschef)),
        Some(owner)
    );
    assert_eq!(
        escalation_scope(&actor(owner, Role::Rehabansvarig)),
        Some(owner)
    );
    assert_eq!(
        escalation_scope(&actor(owner, Role::Socialsekreterare)),
        None
    );
    assert_eq!(
        escalation_scope(&actor(owner, Role::Rehabkoordinator)),
        None
    );
}

#[test]
fn the_follow_up_meeting_with_a_partner_lists_only_what_the_owner_shared_with_it_for_fordjupad() {
    use crate::sql::{Arg, Sql};
    let owner = OrganisationId::new();
    let clinic = OrganisationId::new();
    let filter = caseload_filter(&actor(owner, Role::Rehabansvarig), Timestamp::now());
    let mut sql = Sql::new("");
    if let Some(filter) = &filter {
        filter.push_shared_with(&mut sql, clinic);
    }
    let (text, args) = sql.parts();
    assert!(
        text.contains("k.recorded_by_organisation_id = c.owner_organisation_id"),
        "{text}"
    );
    assert!(text.contains("v.organisation_id = "), "{text}");
    let texts: Vec<&str> = args
        .iter()
        .filter_map(|a| match a {
            Arg::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    let clinic = clinic.to_string();
    assert!(
        texts.contains(&clinic.as_str()),
        "names the partner: {texts:?}"
    );
    assert!(
        texts.contains(&"fordjupad_samverkan"),
        "for this purpose only: {texts:?}"
    );
    assert!(
        !texts.contains(&owner.to_string().as_str()),
        "not the caller's own consents: {texts:?}"
    );
}
