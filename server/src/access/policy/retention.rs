//! Legal hold (bevarande): who may keep a case's records from retention's purge.
//!
//! A case's owner decides over its records, so only the owning organisation's leads
//! (rehabansvarig, biträdande enhetschef) and its administrators set or clear a hold.
//! Others who see the case get 403; those who do not see it get 404, as everywhere.

use super::Actor;
use super::{decide_case, denied, may_administer, CaseFacts, Need};
use crate::domain::audit::{AuditAction, AuditEntry, Outcome};
use crate::domain::{CaseId, IndividualId, Timestamp};
use crate::error::AppError;

/// Proof that the actor may set or clear the legal hold of a case.
#[derive(Clone, Debug)]
pub struct LegalHoldAccess {
    case_id: CaseId,
    individual_id: IndividualId,
}

impl LegalHoldAccess {
    pub fn case_id(&self) -> CaseId {
        self.case_id
    }

    pub fn audit(&self, actor: &Actor, action: AuditAction) -> AuditEntry {
        let mut entry = actor.audit(action, Outcome::Allowed);
        entry.case_id = Some(self.case_id);
        entry.individual_id = Some(self.individual_id);
        entry
    }
}

/// May `actor` set or clear `case_id`'s legal hold, given the case's facts as loaded?
pub fn legal_hold_access(
    actor: &Actor,
    case_id: CaseId,
    facts: Option<CaseFacts>,
    action: AuditAction,
    now: Timestamp,
) -> Result<LegalHoldAccess, AppError> {
    let Some(facts) = facts else {
        return Err(denied(actor, action, |e| e.case_id = Some(case_id)));
    };
    let access = LegalHoldAccess {
        case_id,
        individual_id: facts.individual_id,
    };
    if facts.owner == actor.organisation_id && (actor.is_lead() || may_administer(actor)) {
        return Ok(access);
    }
    if decide_case(actor, &facts, Need::Case, now).is_some() {
        let mut entry = access.audit(actor, action);
        entry.outcome = Outcome::Denied;
        return Err(AppError::Refused {
            code: "legal_hold_not_allowed",
            detail: "Bara ägande organisations ansvariga chefer och administratörer kan sätta eller häva bevarande.",
            entry: Box::new(entry),
        });
    }
    Err(denied(actor, action, |e| e.case_id = Some(case_id)))
}
