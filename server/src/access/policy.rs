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

use crate::access::Actor;
use crate::domain::AuditAction;
use crate::domain::{
    CaseId, ConsentId, ConsentStatus, IndividualId, OrganisationId, Purpose, Timestamp, UserId,
};
use crate::error::AppError;
use crate::store::audit::{AuditEntry, Outcome};
use crate::store::{self, Sql, Tx};

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

/// Proof that the actor may read a case for a need. Only `authorize_case` makes one.
#[derive(Clone, Debug)]
pub struct CaseAccess {
    case_id: CaseId,
    individual_id: IndividualId,
    owner: OrganisationId,
    grant: Grant,
    need: Need,
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
pub struct CaseWrite(CaseAccess);

impl CaseWrite {
    pub fn access(&self) -> &CaseAccess {
        &self.0
    }
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

/// Loads the case's facts and applies the rule; unknown and forbidden look the same.
pub async fn authorize_case(
    tx: &mut Tx,
    actor: &Actor,
    case_id: CaseId,
    need: Need,
    action: AuditAction,
) -> Result<CaseAccess, AppError> {
    authorize_case_at(tx, actor, case_id, need, action, Timestamp::now()).await
}

/// `authorize_case` at a given instant (tests drive the clock through this).
pub async fn authorize_case_at(
    tx: &mut Tx,
    actor: &Actor,
    case_id: CaseId,
    need: Need,
    action: AuditAction,
    now: Timestamp,
) -> Result<CaseAccess, AppError> {
    let facts = store::cases::facts(tx, case_id).await?;
    case_access(actor, case_id, facts, need, action, now)
}

/// The decision of `authorize_case_at` over facts the caller has already read (in the same
/// transaction as what it will do with the access).
pub(crate) fn case_access(
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

/// Like `authorize_case`, but only for members of the owning organisation.
pub async fn authorize_case_write(
    tx: &mut Tx,
    actor: &Actor,
    case_id: CaseId,
    action: AuditAction,
) -> Result<CaseWrite, AppError> {
    let access = authorize_case(tx, actor, case_id, Need::Case, action).await?;
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

pub async fn authorize_individual(
    tx: &mut Tx,
    actor: &Actor,
    individual_id: IndividualId,
    action: AuditAction,
) -> Result<IndividualAccess, AppError> {
    let deny = || denied(actor, action, |e| e.individual_id = Some(individual_id));
    if !actor.works_cases() {
        return Err(deny());
    }
    if store::individuals::registered_by(tx, individual_id, actor.organisation_id).await? {
        return Ok(IndividualAccess {
            individual_id,
            record_of: actor.organisation_id,
            via_case: None,
        });
    }
    let now = Timestamp::now();
    for facts in store::cases::facts_for_individual(tx, individual_id).await? {
        if let Some(grant) = decide_case(actor, &facts, Need::Case, now) {
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

pub async fn authorize_access_extract(
    tx: &mut Tx,
    actor: &Actor,
    individual_id: IndividualId,
) -> Result<ExtractAccess, AppError> {
    if !actor.is_admin() {
        let mut entry = actor.audit(AuditAction::IndividualAccessExtract, Outcome::Denied);
        entry.individual_id = Some(individual_id);
        return Err(AppError::Refused {
            code: "admin_required",
            detail: "Loggutdrag tas fram av organisationens administratör.",
            entry: Box::new(entry),
        });
    }
    let related = store::individuals::registered_by(tx, individual_id, actor.organisation_id)
        .await?
        || store::cases::facts_for_individual(tx, individual_id)
            .await?
            .iter()
            .any(|f| f.owner == actor.organisation_id);
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

pub async fn authorize_consent(
    tx: &mut Tx,
    actor: &Actor,
    consent_id: ConsentId,
    action: AuditAction,
) -> Result<ConsentAccess, AppError> {
    let now = Timestamp::now();
    match store::consents::facts(tx, consent_id).await? {
        Some((individual_id, facts)) if decide_consent(actor, &facts, now) => Ok(ConsentAccess {
            facts,
            individual_id,
        }),
        _ => Err(denied(actor, action, |e| e.consent_id = Some(consent_id))),
    }
}

/// The case-list filter for an actor: the same rule as `decide_case`, as SQL over
/// `cases c JOIN individual_records i` (the owner's record). `None` when the actor sees no cases at all.
#[derive(Clone, Debug)]
pub struct CaseFilter {
    organisation: OrganisationId,
    user: UserId,
    lead: bool,
    need: Need,
    now: Timestamp,
}

pub fn case_filter(actor: &Actor, need: Need, now: Timestamp) -> Option<CaseFilter> {
    actor.works_cases().then(|| CaseFilter {
        organisation: actor.organisation_id,
        user: actor.user_id,
        lead: actor.is_lead(),
        need,
        now,
    })
}

impl CaseFilter {
    pub fn need(&self) -> Need {
        self.need
    }

    /// Pushes a boolean expression: the row `c` is visible.
    pub(crate) fn push_visible(&self, sql: &mut Sql) {
        let org = self.organisation.to_string();
        sql.push("((c.owner_organisation_id = ").bind(org.as_str());
        if !self.lead {
            sql.push(" AND (i.protected_identity = 0 OR c.responsible_user_id = ")
                .bind(self.user.to_string())
                .push(")");
        }
        sql.push(") OR (c.owner_organisation_id <> ")
            .bind(org.as_str())
            .push(" AND EXISTS (");
        self.push_bridging_consents(sql, "1");
        sql.push(")))");
    }

    /// Pushes an expression naming the consent that grants access (NULL for the owner).
    pub(crate) fn push_grant(&self, sql: &mut Sql) {
        sql.push("CASE WHEN c.owner_organisation_id = ")
            .bind(self.organisation.to_string())
            .push(" THEN NULL ELSE (");
        self.push_bridging_consents(sql, "MIN(k.id)");
        sql.push(") END");
    }

    fn push_bridging_consents(&self, sql: &mut Sql, select: &str) {
        sql.push(&format!(
            "SELECT {select} FROM consents k WHERE k.individual_id = c.individual_id \
             AND k.recorded_by_organisation_id = c.owner_organisation_id"
        ));
        sql.push(" AND k.status = 'active' AND k.valid_from <= ")
            .bind(self.now.micros());
        sql.push(" AND k.valid_until > ").bind(self.now.micros());
        sql.push(" AND EXISTS (SELECT 1 FROM consent_organisations v WHERE v.consent_id = k.id AND v.organisation_id = ")
            .bind(self.organisation.to_string())
            .push(")");
        if let Some(purpose) = self.need.purpose() {
            sql.push(" AND EXISTS (SELECT 1 FROM consent_purposes p WHERE p.consent_id = k.id AND p.purpose = ")
                .bind(purpose.code())
                .push(")");
        }
    }

    /// The grant a listed row carries, from the `push_grant` column.
    pub fn grant_of(&self, via_consent: Option<ConsentId>) -> Grant {
        via_consent.map_or(Grant::Owner, Grant::Consent)
    }

    /// A listed row is itself proof of access to that case.
    pub fn access_for(
        &self,
        case_id: CaseId,
        individual_id: IndividualId,
        owner: OrganisationId,
        via: Option<ConsentId>,
    ) -> CaseAccess {
        CaseAccess {
            case_id,
            individual_id,
            owner,
            grant: self.grant_of(via),
            need: self.need,
        }
    }
}

/// The consent-list filter: the same rule as `decide_consent`, as SQL over `consents k`.
pub struct ConsentFilter {
    organisation: OrganisationId,
    now: Timestamp,
}

pub fn consent_filter(actor: &Actor, now: Timestamp) -> Option<ConsentFilter> {
    actor.works_cases().then_some(ConsentFilter {
        organisation: actor.organisation_id,
        now,
    })
}

impl ConsentFilter {
    pub(crate) fn push_visible(&self, sql: &mut Sql) {
        let org = self.organisation.to_string();
        sql.push("(k.recorded_by_organisation_id = ")
            .bind(org.as_str());
        sql.push(" OR (k.status = 'active' AND k.valid_from <= ")
            .bind(self.now.micros());
        sql.push(" AND k.valid_until > ").bind(self.now.micros());
        sql.push(" AND EXISTS (SELECT 1 FROM consent_organisations v WHERE v.consent_id = k.id AND v.organisation_id = ")
            .bind(org)
            .push(")))");
    }
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

/// Meetings: the case rule for the meeting's purpose, or organiser and participants.
mod meetings;
pub use meetings::*;

/// Legal hold: the owning organisation's leads and administrators keep a case from purging.
mod retention;
pub use retention::*;
