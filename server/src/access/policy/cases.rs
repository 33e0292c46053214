//! Capabilities over one case and its individual: read, write, the record, the loggutdrag.

use super::Actor;
use super::{decide_case, denied, may_administer, AuditScope, CaseFacts, Grant, Need};
use crate::domain::audit::{AuditEntry, Outcome};
use crate::domain::AuditAction;
use crate::domain::{CaseId, IndividualId, OrganisationId, Timestamp};
use crate::error::AppError;

/// Proof that the actor may read a case for a need. Only `authorize_case` makes one.
#[derive(Clone, Debug)]
pub struct CaseAccess {
    pub(super) case_id: CaseId,
    pub(super) individual_id: IndividualId,
    pub(super) owner: OrganisationId,
    pub(super) grant: Grant,
    pub(super) need: Need,
}

impl CaseAccess {
    pub fn case_id(&self) -> CaseId {
        self.case_id
    }
    pub fn individual_id(&self) -> IndividualId {
        self.individual_id
    }
    pub fn owner(&self) -> OrganisationId {
        self.owner
    }
    pub fn grant(&self) -> Grant {
        self.grant
    }
    pub fn is_owner(&self) -> bool {
        self.grant == Grant::Owner
    }
    /// Handover notes are the owning organisation's internal working notes: an organisation
    /// that sees the case under a consent sees who was responsible, not what they wrote.
    pub fn sees_handover_notes(&self) -> bool {
        self.is_owner()
    }

    /// An allowed-access audit entry naming the case, individual, purpose and consent.
    pub fn audit(&self, actor: &Actor, action: AuditAction) -> AuditEntry {
        let mut entry = actor.audit(action, Outcome::Allowed);
        entry.case_id = Some(self.case_id);
        entry.individual_id = Some(self.individual_id);
        entry.purpose = self.need.purpose();
        entry.consent_id = match self.grant {
            Grant::Consent(id) => Some(id),
            Grant::Owner => None,
        };
        entry
    }
}

/// Proof that the actor may change a case: they see it as a member of the owning organisation.
#[derive(Clone, Debug)]
pub struct CaseWrite(pub(super) CaseAccess);

impl CaseWrite {
    pub fn access(&self) -> &CaseAccess {
        &self.0
    }
}

/// May `actor` see the case for `need` at `now`, given its facts as loaded (`None`: no such
/// case)? Unknown and forbidden look the same: a denial naming the case.
pub fn case_access(
    actor: &Actor,
    case_id: CaseId,
    facts: Option<CaseFacts>,
    need: Need,
    action: AuditAction,
    now: Timestamp,
) -> Result<CaseAccess, AppError> {
    let grant = facts
        .as_ref()
        .and_then(|f| decide_case(actor, f, need, now));
    match (facts, grant) {
        (Some(facts), Some(grant)) => Ok(CaseAccess {
            case_id,
            individual_id: facts.individual_id,
            owner: facts.owner,
            grant,
            need,
        }),
        _ => Err(denied(actor, action, |e| {
            e.case_id = Some(case_id);
            e.purpose = need.purpose();
        })),
    }
}

/// Like `case_access`, but only for members of the owning organisation.
pub fn case_write(
    actor: &Actor,
    case_id: CaseId,
    facts: Option<CaseFacts>,
    action: AuditAction,
    now: Timestamp,
) -> Result<CaseWrite, AppError> {
    let access = case_access(actor, case_id, facts, Need::Case, action, now)?;
    if access.is_owner() {
        Ok(CaseWrite(access))
    } else {
        let mut entry = access.audit(actor, action);
        entry.outcome = Outcome::Denied;
        Err(AppError::Refused {
            code: "not_case_owner",
            detail: "Bara den organisation som äger ärendet kan ändra det.",
            entry: Box::new(entry),
        })
    }
}

/// Proof that the actor may read an individual: their organisation registered them (and
/// reads its own record), or they see one of the individual's cases (and read the case
/// owner's record).
#[derive(Clone, Debug)]
pub struct IndividualAccess {
    individual_id: IndividualId,
    record_of: OrganisationId,
    via_case: Option<CaseAccess>,
}

impl IndividualAccess {
    pub fn individual_id(&self) -> IndividualId {
        self.individual_id
    }
    /// Whose record of the individual the caller may read.
    pub fn record_of(&self) -> OrganisationId {
        self.record_of
    }

    pub fn audit(&self, actor: &Actor, action: AuditAction) -> AuditEntry {
        match &self.via_case {
            Some(access) => access.audit(actor, action),
            None => {
                let mut entry = actor.audit(action, Outcome::Allowed);
                entry.individual_id = Some(self.individual_id);
                entry
            }
        }
    }
}

/// May `actor` read the individual? `registered_here`: the actor's organisation registered
/// them; `cases`: the individual's cases' facts (needed only when it did not).
pub fn individual_access(
    actor: &Actor,
    individual_id: IndividualId,
    registered_here: bool,
    cases: &[CaseFacts],
    action: AuditAction,
    now: Timestamp,
) -> Result<IndividualAccess, AppError> {
    let deny = || denied(actor, action, |e| e.individual_id = Some(individual_id));
    if !actor.works_cases() {
        return Err(deny());
    }
    if registered_here {
        return Ok(IndividualAccess {
            individual_id,
            record_of: actor.organisation_id,
            via_case: None,
        });
    }
    for facts in cases {
        if let Some(grant) = decide_case(actor, facts, Need::Case, now) {
            let via = CaseAccess {
                case_id: facts.case_id,
                individual_id,
                owner: facts.owner,
                grant,
                need: Need::Case,
            };
            return Ok(IndividualAccess {
                individual_id,
                record_of: facts.owner,
                via_case: Some(via),
            });
        }
    }
    Err(deny())
}

/// Proof that an organisation administrator may produce the individual's access extract
/// (loggutdrag): their organisation registered the individual or owns a case for them. The
/// extract is that organisation's own (see `AuditScope::Extract`).
pub struct ExtractAccess {
    individual_id: IndividualId,
    organisation: OrganisationId,
}

impl ExtractAccess {
    pub fn individual_id(&self) -> IndividualId {
        self.individual_id
    }
    /// The audit rows this extract may hold.
    pub fn scope(&self) -> AuditScope {
        AuditScope::Extract {
            organisation: self.organisation,
            individual: self.individual_id,
        }
    }
}

/// May `actor` (an administrator) produce the individual's loggutdrag? `registered_here` and
/// `cases` as for `individual_access`.
pub fn extract_access(
    actor: &Actor,
    individual_id: IndividualId,
    registered_here: bool,
    cases: &[CaseFacts],
) -> Result<ExtractAccess, AppError> {
    if !may_administer(actor) {
        let mut entry = actor.audit(AuditAction::IndividualAccessExtract, Outcome::Denied);
        entry.individual_id = Some(individual_id);
        return Err(AppError::Refused {
            code: "admin_required",
            detail: "Loggutdrag tas fram av organisationens administratör.",
            entry: Box::new(entry),
        });
    }
    let related = registered_here || cases.iter().any(|f| f.owner == actor.organisation_id);
    if related {
        Ok(ExtractAccess {
            individual_id,
            organisation: actor.organisation_id,
        })
    } else {
        Err(denied(actor, AuditAction::IndividualAccessExtract, |e| {
            e.individual_id = Some(individual_id)
        }))
    }
}
