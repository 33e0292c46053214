//! Role rules, each named after what it allows. Handlers ask these; none reads roles itself.

use super::{Actor, CaseAccess, InquiryAccess};
use crate::domain::audit::Outcome;
use crate::domain::inquiry::{Party, Step};
use crate::domain::AuditAction;
use crate::domain::{OrganisationId, Role};
use crate::error::AppError;

/// Roles that write and send rehab inquiries for social services.
const SENDER_ROLES: &[Role] = &[
    Role::Socialsekreterare,
    Role::Rehabansvarig,
    Role::BitradandeEnhetschef,
];
/// Roles that answer inquiries at a clinic.
const ANSWER_ROLES: &[Role] = &[Role::Rehabkoordinator];

const SENDER_ROLE_DETAIL: &str =
    "Förfrågningar skrivs av socialsekreterare, rehabansvariga och biträdande enhetschefer.";
const ANSWER_ROLE_DETAIL: &str = "Förfrågningar besvaras av en rehabkoordinator.";

/// May the actor administer their organisation (users, audit search, loggutdrag)?
pub fn may_administer(actor: &Actor) -> bool {
    actor.roles.contains(&Role::OrgAdmin)
}

/// Refuses (403 `admin_required`) anyone but an organisation administrator.
pub fn require_administrator(actor: &Actor) -> Result<(), AppError> {
    if may_administer(actor) {
        Ok(())
    } else {
        Err(AppError::Forbidden {
            code: "admin_required",
            detail: "Kräver rollen organisationsadministratör.",
        })
    }
}

/// Does the actor see a user account of `user_organisation` at all? Accounts are seen and
/// managed only within their own organisation; to anyone else an account does not exist (a
/// 404, so that another organisation's user ids tell nothing).
pub fn sees_user(actor: &Actor, user_organisation: OrganisationId) -> bool {
    user_organisation == actor.organisation_id
}

/// Would a user with these roles still administer their organisation? An administrator may
/// not take this from themself.
pub fn keeps_administration(active: bool, roles: &[Role]) -> bool {
    active && roles.contains(&Role::OrgAdmin)
}

/// May a user be made responsible for a case, invited to a meeting or listed among whom to
/// invite: active, in a role that works with cases.
pub fn is_active_caseworker(active: bool, roles: &[Role]) -> bool {
    active && roles.iter().any(|r| r.works_cases())
}

/// May a user be made responsible for a case `owner` holds: an active caseworker of `owner`.
pub fn may_be_made_responsible(
    owner: OrganisationId,
    user_organisation: OrganisationId,
    active: bool,
    roles: &[Role],
) -> bool {
    user_organisation == owner && is_active_caseworker(active, roles)
}

/// May the actor write and send rehab inquiries (for the case owner)?
pub fn may_send_inquiry(actor: &Actor) -> bool {
    actor.roles.iter().any(|r| SENDER_ROLES.contains(r))
}

/// May the actor answer rehab inquiries (for the recipient clinic)?
pub fn may_answer_inquiry(actor: &Actor) -> bool {
    actor.roles.iter().any(|r| ANSWER_ROLES.contains(r))
}

/// May a user be assigned an inquiry `recipient` received: an active rehabkoordinator of
/// the recipient.
pub fn may_be_assigned_inquiry(
    recipient: OrganisationId,
    user_organisation: OrganisationId,
    active: bool,
    roles: &[Role],
) -> bool {
    user_organisation == recipient && active && roles.iter().any(|r| ANSWER_ROLES.contains(r))
}

/// Refuses (403 `role_not_allowed`, audited) a writer of an inquiry who may not send one.
pub fn require_may_send_inquiry(
    actor: &Actor,
    case: &CaseAccess,
    action: AuditAction,
) -> Result<(), AppError> {
    if may_send_inquiry(actor) {
        return Ok(());
    }
    Err(role_refused(actor, case, action, SENDER_ROLE_DETAIL))
}

/// Refuses (403 `role_not_allowed`, audited) a step on an inquiry that the caller's role does
/// not take: the sender's steps are the senders' roles', answering is a rehabkoordinator's;
/// the clinic's other steps (open, assign, decline) are any of its case workers'.
pub fn require_inquiry_step_role(
    actor: &Actor,
    access: &InquiryAccess,
    step: Step,
    action: AuditAction,
) -> Result<(), AppError> {
    let allowed = match access.party() {
        Party::Sender => may_send_inquiry(actor),
        Party::Recipient if step == Step::Answer => may_answer_inquiry(actor),
        Party::Recipient => true,
    };
    if allowed {
        return Ok(());
    }
    let detail = match access.party() {
        Party::Sender => SENDER_ROLE_DETAIL,
        Party::Recipient => ANSWER_ROLE_DETAIL,
    };
    Err(role_refused(actor, access.case(), action, detail))
}

fn role_refused(
    actor: &Actor,
    case: &CaseAccess,
    action: AuditAction,
    detail: &'static str,
) -> AppError {
    let mut entry = case.audit(actor, action);
    entry.outcome = Outcome::Denied;
    AppError::Refused {
        code: "role_not_allowed",
        detail,
        entry: Box::new(entry),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::policy::{
        case_access, inquiry_access, CaseFacts, ConsentFacts, InquiryFacts, Need,
    };
    use crate::domain::{
        CaseId, ConsentId, ConsentStatus, IndividualId, InquiryId, InquiryState, OrganisationId,
        Purpose, Timestamp, UserId,
    };

    fn actor(organisation: OrganisationId, roles: &[Role]) -> Actor {
        Actor {
            user_id: UserId::new(),
            organisation_id: organisation,
            roles: roles.to_vec(),
            request_id: None,
        }
    }

    fn refused_code(result: Result<(), AppError>) -> Option<(&'static str, Outcome)> {
        match result {
            Err(AppError::Refused { code, entry, .. }) => Some((code, entry.outcome)),
            Err(AppError::Forbidden { code, .. }) => Some((code, Outcome::Denied)),
            _ => None,
        }
    }

    #[test]
    fn a_user_account_is_seen_only_in_its_own_organisation_whatever_the_role() {
        let own = OrganisationId::new();
        let other = OrganisationId::new();
        for roles in [&[Role::OrgAdmin][..], &[Role::Socialsekreterare], &[]] {
            let actor = actor(own, roles);
            assert!(sees_user(&actor, own));
            assert!(!sees_user(&actor, other));
        }
    }

    /// A case owned by `owner` with no consents, seen by its owner's `actor`.
    fn own_case(actor: &Actor) -> (CaseId, CaseFacts) {
        let case_id = CaseId::new();
        let facts = CaseFacts {
            case_id,
            individual_id: IndividualId::new(),
            owner: actor.organisation_id,
            responsible: actor.user_id,
            protected_identity: false,
            consents: Vec::new(),
        };
        (case_id, facts)
    }

    #[test]
    fn only_an_organisation_admin_may_administer() {
        let org = OrganisationId::new();
        assert!(may_administer(&actor(org, &[Role::OrgAdmin])));
        assert!(!may_administer(&actor(org, &[Role::Rehabansvarig])));
        assert!(require_administrator(&actor(org, &[Role::OrgAdmin])).is_ok());
        assert_eq!(
            refused_code(require_administrator(&actor(
                org,
                &[Role::Socialsekreterare]
            ))),
            Some(("admin_required", Outcome::Denied))
        );
    }

    #[test]
    fn an_admin_keeps_administration_only_while_active_with_the_role() {
        assert!(keeps_administration(true, &[Role::OrgAdmin]));
        assert!(!keeps_administration(false, &[Role::OrgAdmin]));
        assert!(!keeps_administration(true, &[Role::Socialsekreterare]));
    }

    #[test]
    fn an_active_caseworker_is_active_in_a_role_that_works_with_cases() {
        assert!(is_active_caseworker(true, &[Role::Rehabkoordinator]));
        assert!(is_active_caseworker(
            true,
            &[Role::OrgAdmin, Role::Jobbcoach]
        ));
        assert!(!is_active_caseworker(false, &[Role::Rehabkoordinator]));
        assert!(!is_active_caseworker(true, &[Role::OrgAdmin]));
        assert!(!is_active_caseworker(true, &[]));
    }

    #[test]
    fn social_services_roles_send_inquiries_and_rehab_coordinators_answer_them() {
        let org = OrganisationId::new();
        for role in [
            Role::Socialsekreterare,
            Role::Rehabansvarig,
            Role::BitradandeEnhetschef,
        ] {
            assert!(may_send_inquiry(&actor(org, &[role])), "{role:?}");
            assert!(!may_answer_inquiry(&actor(org, &[role])), "{role:?}");
        }
        for role in [Role::Rehabkoordinator, Role::Jobbcoach, Role::OrgAdmin] {
            assert!(!may_send_inquiry(&actor(org, &[role])), "{role:?}");
        }
        assert!(may_answer_inquiry(&actor(org, &[Role::Rehabkoordinator])));
        assert!(!may_answer_inquiry(&actor(org, &[Role::OrgAdmin])));
    }

    #[test]
    fn only_an_active_rehab_coordinator_of_the_recipient_is_assigned_an_inquiry() {
        let (clinic, other) = (OrganisationId::new(), OrganisationId::new());
        let coordinator = &[Role::Rehabkoordinator];
        assert!(may_be_assigned_inquiry(clinic, clinic, true, coordinator));
        assert!(!may_be_assigned_inquiry(clinic, other, true, coordinator));
        assert!(!may_be_assigned_inquiry(clinic, clinic, false, coordinator));
        assert!(!may_be_assigned_inquiry(
            clinic,
            clinic,
            true,
            &[Role::Socialsekreterare]
        ));
    }

    #[test]
    fn only_an_active_caseworker_of_the_owner_is_made_responsible() {
        let (owner, other) = (OrganisationId::new(), OrganisationId::new());
        let worker = &[Role::Socialsekreterare];
        assert!(may_be_made_responsible(owner, owner, true, worker));
        assert!(!may_be_made_responsible(owner, other, true, worker));
        assert!(!may_be_made_responsible(owner, owner, false, worker));
        assert!(!may_be_made_responsible(
            owner,
            owner,
            true,
            &[Role::OrgAdmin]
        ));
    }

    #[test]
    fn writing_an_inquiry_needs_a_senders_role_and_a_refusal_is_audited() -> Result<(), AppError> {
        let owner = OrganisationId::new();
        let writer = actor(owner, &[Role::Socialsekreterare]);
        let (case_id, facts) = own_case(&writer);
        let case = case_access(
            &writer,
            case_id,
            Some(facts),
            Need::Case,
            AuditAction::InquiryRead,
            Timestamp::now(),
        )?;
        assert!(require_may_send_inquiry(&writer, &case, AuditAction::InquiryRead).is_ok());
        let jobbcoach = actor(owner, &[Role::Jobbcoach]);
        assert_eq!(
            refused_code(require_may_send_inquiry(
                &jobbcoach,
                &case,
                AuditAction::InquiryRead
            )),
            Some(("role_not_allowed", Outcome::Denied))
        );
        Ok(())
    }

    #[test]
    fn each_side_of_an_inquiry_takes_its_steps_in_its_own_roles() -> Result<(), AppError> {
        let (owner, clinic) = (OrganisationId::new(), OrganisationId::new());
        let access = |who: &Actor| {
            let now = Timestamp::now();
            let consent = ConsentFacts {
                id: ConsentId::new(),
                recorded_by_organisation: owner,
                status: ConsentStatus::Active,
                valid_from: Timestamp::from_micros(now.micros() - 1_000_000),
                valid_until: Timestamp::from_micros(now.micros() + 3_600_000_000),
                organisations: vec![owner, clinic],
                purposes: vec![Purpose::Rehabiliteringsforfragan],
            };
            let facts = CaseFacts {
                case_id: CaseId::new(),
                individual_id: IndividualId::new(),
                owner,
                responsible: UserId::new(),
                protected_identity: false,
                consents: vec![consent],
            };
            let inquiry = InquiryFacts {
                case_id: facts.case_id,
                sender: owner,
                recipient: clinic,
                state: InquiryState::Sent,
            };
            inquiry_access(
                who,
                InquiryId::new(),
                Some(inquiry),
                Some(facts),
                AuditAction::InquiryRead,
                Timestamp::now(),
            )
        };
        let sender = actor(owner, &[Role::Rehabansvarig]);
        let sender_access = access(&sender)?;
        assert!(require_inquiry_step_role(
            &sender,
            &sender_access,
            Step::Close,
            AuditAction::InquiryRead
        )
        .is_ok());
        let jobbcoach = actor(owner, &[Role::Jobbcoach]);
        assert_eq!(
            refused_code(require_inquiry_step_role(
                &jobbcoach,
                &sender_access,
                Step::Withdraw,
                AuditAction::InquiryRead
            )),
            Some(("role_not_allowed", Outcome::Denied))
        );
        let coordinator = actor(clinic, &[Role::Rehabkoordinator]);
        let clinic_access = access(&coordinator)?;
        assert!(require_inquiry_step_role(
            &coordinator,
            &clinic_access,
            Step::Answer,
            AuditAction::InquiryRead
        )
        .is_ok());
        let nurse = actor(clinic, &[Role::Rehabansvarig]);
        let nurse_access = access(&nurse)?;
        assert!(require_inquiry_step_role(
            &nurse,
            &nurse_access,
            Step::Decline,
            AuditAction::InquiryRead
        )
        .is_ok());
        assert_eq!(
            refused_code(require_inquiry_step_role(
                &nurse,
                &nurse_access,
                Step::Answer,
                AuditAction::InquiryRead
            )),
            Some(("role_not_allowed", Outcome::Denied))
        );
        Ok(())
    }
}
