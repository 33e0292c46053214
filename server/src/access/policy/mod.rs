//! The one place that decides who sees what. Deny by default.
//!
//! Secrecy belongs to the organisation that holds the data, and **a consent recorded by an
//! organisation lifts that organisation's secrecy only**: it lets the recorder's cases for the
//! individual (and what the recorder shares in them) be seen by the organisations the consent
//! names, for its purposes and period. It never opens another organisation's case to the
//! recorder. So a user of organisation R sees a case owned by O only while an active,
//! in-period consent for the individual that **O recorded** (or confirmed for its own part,
//! referencing the same document) names R and, for content, covers the purpose.
//!
//! A user of the owning organisation sees its case when they work with cases (a protected
//! identity, which each organisation records for itself, narrows this to the responsible user
//! and the unit's leads). Administrators see no case content; their audit search and
//! loggutdrag hold their own organisation's data only (`AuditScope`).
//!
//! A consent record is itself its recorder's data: seen by the recorder always and by the
//! organisations it names while it is in force. Any organisation it names may record that the
//! person ended it (ending only narrows access); only the recorder may annul it.
//!
//! The rule exists twice, deliberately: as `decide_*` functions over loaded facts (single
//! objects) and as SQL predicates (`CaseFilter`, `ConsentFilter`) so that lists filter inside
//! the query. Both are checked against one reference model by property tests. Only this module
//! can construct the capabilities (`CaseAccess`, `CaseFilter`, ...) the store demands.

use crate::domain::audit::{AuditEntry, Outcome};
use crate::domain::AuditAction;
use crate::domain::{
    CaseId, ConsentId, ConsentStatus, IndividualId, OrganisationId, Purpose, Timestamp, UserId,
};
use crate::error::AppError;

/// What part of a case the caller wants: the case itself, or content shared for a purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    Case,
    Purpose(Purpose),
}

impl Need {
    fn purpose(self) -> Option<Purpose> {
        match self {
            Need::Case => None,
            Need::Purpose(p) => Some(p),
        }
    }
}

/// Why access was granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grant {
    Owner,
    Consent(ConsentId),
}

/// The consent facts the rule reads.
#[derive(Clone, Debug)]
pub struct ConsentFacts {
    pub id: ConsentId,
    pub recorded_by_organisation: OrganisationId,
    pub status: ConsentStatus,
    pub valid_from: Timestamp,
    pub valid_until: Timestamp,
    pub organisations: Vec<OrganisationId>,
    pub purposes: Vec<Purpose>,
}

impl ConsentFacts {
    /// In force now: active and inside its validity window.
    pub fn in_force(&self, now: Timestamp) -> bool {
        self.status == ConsentStatus::Active && self.valid_from <= now && now < self.valid_until
    }

    /// Does this consent let `viewer` see what `owner` holds, for `need`? Only if `owner`
    /// recorded it: a consent lifts its recorder's secrecy and no one else's.
    pub(crate) fn bridges(
        &self,
        viewer: OrganisationId,
        owner: OrganisationId,
        need: Need,
        now: Timestamp,
    ) -> bool {
        self.recorded_by_organisation == owner
            && self.in_force(now)
            && self.organisations.contains(&viewer)
            && need.purpose().is_none_or(|p| self.purposes.contains(&p))
    }
}

/// The case facts the rule reads.
#[derive(Clone, Debug)]
pub struct CaseFacts {
    pub case_id: CaseId,
    pub individual_id: IndividualId,
    pub owner: OrganisationId,
    pub responsible: UserId,
    pub protected_identity: bool,
    /// Every consent recorded for the individual.
    pub consents: Vec<ConsentFacts>,
}

/// May `actor` see `facts`' case for `need` at `now`? The consent with the smallest id wins
/// when several allow it, so every path names the same one.
pub fn decide_case(actor: &Actor, facts: &CaseFacts, need: Need, now: Timestamp) -> Option<Grant> {
    if !actor.works_cases() {
        return None;
    }
    if facts.owner == actor.organisation_id {
        let sees =
            !facts.protected_identity || facts.responsible == actor.user_id || actor.is_lead();
        return sees.then_some(Grant::Owner);
    }
    facts
        .consents
        .iter()
        .filter(|c| c.bridges(actor.organisation_id, facts.owner, need, now))
        .map(|c| c.id)
        .min()
        .map(Grant::Consent)
}

/// May `actor` see this consent record? Its recording organisation always (it is their
/// record); another organisation it names only while it is in force.
pub fn decide_consent(actor: &Actor, consent: &ConsentFacts, now: Timestamp) -> bool {
    actor.works_cases()
        && (consent.recorded_by_organisation == actor.organisation_id
            || (consent.in_force(now) && consent.organisations.contains(&actor.organisation_id)))
}

/// A denial: 404 to the caller, and an audit row written by the `record_denials` layer.
/// Only roles that work with cases (every role but `org_admin`) may register individuals,
/// open cases, organise meetings or look up whom to invite; others get 403
/// `role_not_allowed` with `detail`.
pub fn require_works_cases(actor: &Actor, detail: &'static str) -> Result<(), AppError> {
    if actor.works_cases() {
        Ok(())
    } else {
        Err(AppError::Forbidden {
            code: "role_not_allowed",
            detail,
        })
    }
}

fn denied(actor: &Actor, action: AuditAction, fill: impl FnOnce(&mut AuditEntry)) -> AppError {
    let mut entry = actor.audit(action, Outcome::Denied);
    fill(&mut entry);
    AppError::Denied(Box::new(entry))
}

/// Organisations that could see a case before a change and can see it for no purpose after
/// it, per case. `before` and `after` are the individual's cases' facts around the change.
pub fn organisations_losing_access(
    before: &[CaseFacts],
    after: &[CaseFacts],
    now: Timestamp,
) -> Vec<(CaseId, Vec<OrganisationId>)> {
    let reach = |facts: &CaseFacts| -> Vec<OrganisationId> {
        let mut orgs: Vec<_> = facts
            .consents
            .iter()
            .filter(|c| c.in_force(now) && c.recorded_by_organisation == facts.owner)
            .flat_map(|c| c.organisations.iter().copied())
            .filter(|org| *org != facts.owner)
            .collect();
        orgs.sort();
        orgs.dedup();
        orgs
    };
    before
        .iter()
        .filter_map(|b| {
            let still = after
                .iter()
                .find(|a| a.case_id == b.case_id)
                .map(reach)
                .unwrap_or_default();
            let lost: Vec<_> = reach(b)
                .into_iter()
                .filter(|org| !still.contains(org))
                .collect();
            (!lost.is_empty()).then_some((b.case_id, lost))
        })
        .collect()
}

/// Inquiries and case messages: the same rule, narrowed to the exchanging organisations.
mod exchange;
pub use exchange::*;

/// Audit rows: an organisation's own, for its admin's search and loggutdrag.
mod audit;
pub use audit::*;

/// SIP calls: the case owner calls, each called organisation sees the call while covered.
mod sip_calls;
pub use sip_calls::*;

mod finsam;
pub use finsam::*;

/// Meetings: the case rule for the meeting's purpose, or organiser and participants.
mod meetings;
pub use meetings::*;

/// Joint plans: the case owner's, read by the organisations named in them under consent.
mod plans;
pub use plans::*;

/// Fördjupad samverkan: the owner's social worker brings, its rehabansvarig and biträdande
/// enhetschef decide; partner clinics read under consent for `fordjupad_samverkan`.
mod fordjupad;
pub use fordjupad::*;

/// Legal hold: the owning organisation's leads and administrators keep a case from purging.
mod retention;
pub use retention::*;

/// Who acts.
mod actor;
pub use actor::Actor;

/// Capabilities over a case, its individual and the loggutdrag.
mod cases;
pub use cases::*;

/// Capabilities over a consent record.
mod consents;
pub use consents::*;

/// Figures: who reads them, over which data.
mod statistics;
pub use statistics::*;

/// Role rules, named after what they allow.
mod roles;
pub use roles::*;

/// The case and consent rules as SQL for lists.
mod filters;
pub use filters::*;
