//! The rule for fördjupad samverkan, built on the case rule (WORKFLOWS.md §4).
//!
//! The case's owning organisation works the case: its social worker brings it to the
//! rehabansvarig; its rehabansvarig and biträdande enhetschef decide, code it and assess its
//! phase (the social worker assesses too, at the follow-ups they hold); the biträdande
//! enhetschef sees the escalated follow-ups and takes them over. A partner organisation (a
//! clinic, Jobbtorg) reads a case's fördjupad samverkan only while an in-force consent for
//! `fordjupad_samverkan` recorded by the owner names it, and changes nothing.

use super::{case_access, case_filter, Actor, CaseAccess, CaseFacts, CaseFilter, Need};
use crate::domain::audit::{AuditEntry, Outcome};
use crate::domain::{AuditAction, CaseId, OrganisationId, Purpose, Role, Timestamp};
use crate::error::AppError;

/// Consent for this purpose lets a partner read.
pub const FORDJUPAD_NEED: Need = Need::Purpose(Purpose::FordjupadSamverkan);

/// Everything that can be done in a case's fördjupad samverkan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FordjupadStep {
    Read,
    /// Bring the case to the rehabansvarig.
    Bring,
    /// The rehabansvarig's decision.
    Decide,
    /// Change the target-group coding.
    Code,
    /// Assess the phase.
    AssessPhase,
    /// Take over an escalated follow-up.
    ClearEscalation,
}

impl FordjupadStep {
    /// The roles of the owning organisation that take the step (partners only read).
    pub fn roles(self) -> &'static [Role] {
        match self {
            FordjupadStep::Read => &[
                Role::Socialsekreterare,
                Role::Rehabansvarig,
                Role::BitradandeEnhetschef,
            ],
            FordjupadStep::Bring => &[Role::Socialsekreterare],
            FordjupadStep::Decide | FordjupadStep::Code => {
                &[Role::Rehabansvarig, Role::BitradandeEnhetschef]
            }
            FordjupadStep::AssessPhase => &[
                Role::Socialsekreterare,
                Role::Rehabansvarig,
                Role::BitradandeEnhetschef,
            ],
            FordjupadStep::ClearEscalation => &[Role::BitradandeEnhetschef, Role::Rehabansvarig],
        }
    }

    fn refusal(self) -> &'static str {
        match self {
            FordjupadStep::Read => "Du kan inte se ärendets fördjupade samverkan.",
            FordjupadStep::Bring => "Ärendet lyfts till rehabansvarig av handläggaren.",
            FordjupadStep::Decide | FordjupadStep::Code => {
                "Det här beslutar rehabansvarig eller biträdande enhetschef."
            }
            FordjupadStep::AssessPhase => "Fasen bedöms av ärendets organisation.",
            FordjupadStep::ClearEscalation => {
                "Eskalerade uppföljningar tas över av biträdande enhetschef."
            }
        }
    }
}

/// Whether roles `roles` of the owning organisation (`owner`) or of a partner take `step`:
/// a partner only reads, and only with consent (checked by the case rule).
pub fn fordjupad_may(roles: &[Role], owner: bool, step: FordjupadStep) -> bool {
    if !owner {
        return step == FordjupadStep::Read && roles.iter().any(|r| r.works_cases());
    }
    roles.iter().any(|r| step.roles().contains(r))
}

/// Proof that the actor may see one case's fördjupad samverkan. Only `fordjupad_access`
/// makes one.
#[derive(Clone, Debug)]
pub struct FordjupadAccess {
    case: CaseAccess,
    roles: Vec<Role>,
}

impl FordjupadAccess {
    pub fn case(&self) -> &CaseAccess {
        &self.case
    }

    pub fn case_id(&self) -> CaseId {
        self.case.case_id()
    }

    pub fn owner(&self) -> OrganisationId {
        self.case.owner()
    }

    pub fn audit(&self, actor: &Actor, action: AuditAction) -> AuditEntry {
        self.case.audit(actor, action)
    }

    /// Whether the actor may take `step` (for the `may` block of a response).
    pub fn may(&self, step: FordjupadStep) -> bool {
        fordjupad_may(&self.roles, self.case.is_owner(), step)
    }

    /// Refuses (403 `not_allowed`, audited) a step the actor's roles or side do not take.
    pub fn require(
        &self,
        actor: &Actor,
        step: FordjupadStep,
        action: AuditAction,
    ) -> Result<(), AppError> {
        if self.may(step) {
            return Ok(());
        }
        let mut entry = self.audit(actor, action);
        entry.outcome = Outcome::Denied;
        Err(AppError::Refused {
            code: "not_allowed",
            detail: step.refusal(),
            entry: Box::new(entry),
        })
    }
}

/// May `actor` see the case's fördjupad samverkan, given its case's facts as loaded (`None`:
/// no such case)? The owner as for the case; a partner only under consent for
/// `fordjupad_samverkan` recorded by the owner. Unknown and forbidden look the same.
pub fn fordjupad_access(
    actor: &Actor,
    case_id: CaseId,
    case_facts: Option<CaseFacts>,
    action: AuditAction,
    now: Timestamp,
) -> Result<FordjupadAccess, AppError> {
    let case = case_access(actor, case_id, case_facts, FORDJUPAD_NEED, action, now)?;
    Ok(FordjupadAccess {
        case,
        roles: actor.roles.clone(),
    })
}

/// The caseload's SQL filter: the cases the actor sees for `fordjupad_samverkan` (the
/// owner's, and a partner's shared under consent). `None` for who works no cases.
pub fn caseload_filter(actor: &Actor, now: Timestamp) -> Option<CaseFilter> {
    case_filter(actor, FORDJUPAD_NEED, now)
}

/// Whose escalations the actor lists and takes over: their own organisation's, for a
/// biträdande enhetschef or rehabansvarig; `None` for anyone else.
pub fn escalation_scope(actor: &Actor) -> Option<OrganisationId> {
    fordjupad_may(&actor.roles, true, FordjupadStep::ClearEscalation)
        .then_some(actor.organisation_id)
}

#[cfg(test)]
mod tests;
