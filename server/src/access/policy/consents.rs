//! The capability over one consent record.

use super::Actor;
use super::{decide_consent, denied, ConsentFacts};
use crate::domain::audit::{AuditEntry, Outcome};
use crate::domain::AuditAction;
use crate::domain::{ConsentId, IndividualId, Timestamp};
use crate::error::AppError;

/// Proof that the actor may read a consent record.
pub struct ConsentAccess {
    facts: ConsentFacts,
    individual_id: IndividualId,
}

impl ConsentAccess {
    pub fn consent_id(&self) -> ConsentId {
        self.facts.id
    }
    pub fn facts(&self) -> &ConsentFacts {
        &self.facts
    }
    pub fn individual_id(&self) -> IndividualId {
        self.individual_id
    }
    /// Only the recording organisation may annul (makulera) a consent.
    pub fn require_recorder(&self, actor: &Actor, action: AuditAction) -> Result<(), AppError> {
        if self.facts.recorded_by_organisation == actor.organisation_id {
            return Ok(());
        }
        let mut entry = self.audit(actor, action);
        entry.outcome = Outcome::Denied;
        Err(AppError::Refused {
            code: "not_consent_recorder",
            detail: "Bara organisationen som registrerade samtycket kan makulera det.",
            entry: Box::new(entry),
        })
    }
    /// A party the consent names, other than its recorder, may record the same consent for
    /// its own part while it is in force (the recorder's own record needs no confirming).
    pub fn require_confirmable(
        &self,
        actor: &Actor,
        action: AuditAction,
        now: Timestamp,
    ) -> Result<(), AppError> {
        let refuse = |code, detail| {
            let mut entry = self.audit(actor, action);
            entry.outcome = Outcome::Denied;
            Err(AppError::Refused {
                code,
                detail,
                entry: Box::new(entry),
            })
        };
        if self.facts.recorded_by_organisation == actor.organisation_id {
            return refuse(
                "consent_recorded_by_you",
                "Samtycket är redan registrerat av er organisation.",
            );
        }
        if !self.facts.in_force(now) || !self.facts.organisations.contains(&actor.organisation_id) {
            return refuse(
                "consent_not_confirmable",
                "Bara ett gällande samtycke som omfattar er organisation kan registreras för er del.",
            );
        }
        Ok(())
    }
    pub fn audit(&self, actor: &Actor, action: AuditAction) -> AuditEntry {
        let mut entry = actor.audit(action, Outcome::Allowed);
        entry.individual_id = Some(self.individual_id);
        entry.consent_id = Some(self.facts.id);
        entry
    }
}

/// May `actor` see the consent record, given its facts as loaded (`None`: no such record)?
pub fn consent_access(
    actor: &Actor,
    consent_id: ConsentId,
    facts: Option<(IndividualId, ConsentFacts)>,
    action: AuditAction,
    now: Timestamp,
) -> Result<ConsentAccess, AppError> {
    match facts {
        Some((individual_id, facts)) if decide_consent(actor, &facts, now) => Ok(ConsentAccess {
            facts,
            individual_id,
        }),
        _ => Err(denied(actor, action, |e| e.consent_id = Some(consent_id))),
    }
}
