//! The rule for a joint plan (samverkansplan), built on the case rule.
//!
//! A plan of kind K is the case owner's: its organisation reads and edits it (as the case
//! rule lets its members see the case). Every other organisation the latest adopted version
//! names (responsible for an action, overall owner, reader) reads the whole adopted plan, and
//! only while an in-force consent for `K.purpose()` recorded by the case's owner names it;
//! it updates only the actions it is responsible for. So a party that loses consent loses the
//! plan at once, and its open actions are listed as needing a new responsible.

use super::{
    case_access, case_filter, denied, Actor, CaseAccess, CaseFacts, CaseFilter, Grant, Need,
};
use crate::domain::audit::{AuditEntry, Outcome};
use crate::domain::plan::{PlanKind, PlanState, PlanStep};
use crate::domain::AuditAction;
use crate::domain::{
    CaseId, ConsentId, IndividualId, OrganisationId, PlanActionId, PlanId, Purpose, Timestamp,
};
use crate::error::AppError;
use crate::sql::Sql;

/// The need a plan of `kind` is read under.
pub fn plan_need(kind: PlanKind) -> Need {
    Need::Purpose(kind.purpose())
}

/// How the actor's organisation stands in a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanRole {
    /// The case owner's organisation: reads and edits everything.
    Owner,
    /// Named in the adopted version and covered by consent: reads, updates its own actions.
    Party,
}

/// What the policy needs to decide on one plan. Not for display.
#[derive(Clone, Debug)]
pub struct PlanFacts {
    pub case_id: CaseId,
    pub owner: OrganisationId,
    pub kind: PlanKind,
    pub state: PlanState,
    /// The organisations the latest adopted version names.
    pub parties: Vec<OrganisationId>,
}

/// Proof that the actor may see one plan, and as whom. Only `plan_access` (or a listed row
/// through `PlanFilter::access_for`) makes one.
#[derive(Clone, Debug)]
pub struct PlanAccess {
    case: CaseAccess,
    plan_id: PlanId,
    kind: PlanKind,
    state: PlanState,
    role: PlanRole,
    organisation: OrganisationId,
}

impl PlanAccess {
    pub fn plan_id(&self) -> PlanId {
        self.plan_id
    }
    pub fn case(&self) -> &CaseAccess {
        &self.case
    }
    pub fn kind(&self) -> PlanKind {
        self.kind
    }
    /// The state when access was granted; changes are made conditional on it.
    pub fn state(&self) -> PlanState {
        self.state
    }
    pub fn role(&self) -> PlanRole {
        self.role
    }
    pub fn is_owner(&self) -> bool {
        self.role == PlanRole::Owner
    }

    pub fn audit(&self, actor: &Actor, action: AuditAction) -> AuditEntry {
        self.case.audit(actor, action)
    }

    /// Whether the actor may take `step` now: the owner organisation's steps, where the life
    /// cycle allows them. (Action updates are `require_responsible`'s.)
    pub fn may(&self, step: PlanStep) -> bool {
        self.is_owner() && step != PlanStep::UpdateAction && step.apply(self.state).is_ok()
    }

    /// Refuses (403 `not_plan_owner`, audited) a change only the owner organisation makes.
    pub fn require_owner(&self, actor: &Actor, action: AuditAction) -> Result<(), AppError> {
        if self.is_owner() {
            return Ok(());
        }
        Err(self.refused(
            actor,
            action,
            "not_plan_owner",
            "Bara den organisation som äger ärendet kan ändra planen.",
        ))
    }

    /// Refuses (403 `not_responsible`, audited) an update of an action another organisation
    /// is responsible for.
    pub fn require_responsible(
        &self,
        actor: &Actor,
        responsible: OrganisationId,
        action: AuditAction,
    ) -> Result<(), AppError> {
        if responsible == self.organisation {
            return Ok(());
        }
        Err(self.refused(
            actor,
            action,
            "not_responsible",
            "Bara den organisation som ansvarar för insatsen kan uppdatera den.",
        ))
    }

    fn refused(
        &self,
        actor: &Actor,
        action: AuditAction,
        code: &'static str,
        detail: &'static str,
    ) -> AppError {
        let mut entry = self.audit(actor, action);
        entry.outcome = Outcome::Denied;
        AppError::Refused {
            code,
            detail,
            entry: Box::new(entry),
        }
    }
}

/// May `actor` see the plan, given its facts and its case's as loaded (`None`: no such
/// plan)? Unknown and forbidden look the same.
pub fn plan_access(
    actor: &Actor,
    id: PlanId,
    facts: Option<PlanFacts>,
    case_facts: Option<CaseFacts>,
    action: AuditAction,
    now: Timestamp,
) -> Result<PlanAccess, AppError> {
    let role = facts.as_ref().and_then(|f| {
        if f.owner == actor.organisation_id {
            Some(PlanRole::Owner)
        } else if f.parties.contains(&actor.organisation_id) {
            Some(PlanRole::Party)
        } else {
            None
        }
    });
    let named = facts.as_ref().map(|f| (f.case_id, f.kind.purpose()));
    let (Some(facts), Some(role)) = (facts, role) else {
        // The case is named so that its owner sees the attempt in its audit and loggutdrag.
        return Err(denied(actor, action, |e| {
            e.case_id = named.map(|n| n.0);
            e.purpose = named.map(|n| n.1);
        }));
    };
    let need = plan_need(facts.kind);
    let case = case_access(actor, facts.case_id, case_facts, need, action, now)?;
    Ok(PlanAccess {
        case,
        plan_id: id,
        kind: facts.kind,
        state: facts.state,
        role,
        organisation: actor.organisation_id,
    })
}

/// The organisations among `organisations` that no in-force consent for the kind's purpose,
/// recorded by the case's owner, covers (the owner itself needs none). Empty when the plan
/// may name them all.
pub fn uncovered_organisations(
    facts: &CaseFacts,
    kind: PlanKind,
    organisations: impl IntoIterator<Item = OrganisationId>,
    now: Timestamp,
) -> Vec<OrganisationId> {
    let need = plan_need(kind);
    let mut uncovered: Vec<OrganisationId> = organisations
        .into_iter()
        .filter(|org| {
            *org != facts.owner
                && !facts
                    .consents
                    .iter()
                    .any(|c| c.bridges(*org, facts.owner, need, now))
        })
        .collect();
    uncovered.sort();
    uncovered.dedup();
    uncovered
}

/// The open actions whose responsible organisation is no longer covered by consent for the
/// kind's purpose: they need a new responsible. `actions` are (id, responsible organisation,
/// still open).
pub fn needs_new_responsible(
    facts: &CaseFacts,
    kind: PlanKind,
    actions: &[(PlanActionId, OrganisationId, bool)],
    now: Timestamp,
) -> Vec<PlanActionId> {
    let uncovered = uncovered_organisations(facts, kind, actions.iter().map(|a| a.1), now);
    actions
        .iter()
        .filter(|(_, org, open)| *open && uncovered.contains(org))
        .map(|(id, _, _)| *id)
        .collect()
}

/// The open actions that needed no new responsible before a consent change and need one
/// after it: their organisation lost consent for the kind's purpose in that change.
pub fn responsible_lost(
    before: &CaseFacts,
    after: &CaseFacts,
    kind: PlanKind,
    actions: &[(PlanActionId, OrganisationId, bool)],
    now: Timestamp,
) -> Vec<PlanActionId> {
    let already = needs_new_responsible(before, kind, actions, now);
    needs_new_responsible(after, kind, actions, now)
        .into_iter()
        .filter(|id| !already.contains(id))
        .collect()
}

/// The plan-list filter: the plans the actor's organisation owns or is named in, each only
/// while the actor sees its case for its kind's purpose, as SQL over
/// `plans p JOIN cases c ON c.id = p.case_id JOIN individual_records i ON i.id = c.individual_id AND i.organisation_id = c.owner_organisation_id`.
#[derive(Clone, Debug)]
pub struct PlanFilter {
    organisation: OrganisationId,
    /// One case filter per purpose, with the kinds read under it.
    by_purpose: Vec<(Vec<PlanKind>, CaseFilter)>,
}

pub fn plan_filter(actor: &Actor, now: Timestamp) -> Option<PlanFilter> {
    let mut by_purpose: Vec<(Vec<PlanKind>, CaseFilter)> = Vec::new();
    for purpose in [
        Purpose::Sip,
        Purpose::Finsamteam,
        Purpose::FordjupadSamverkan,
    ] {
        let kinds: Vec<PlanKind> = PlanKind::ALL
            .iter()
            .copied()
            .filter(|k| k.purpose() == purpose)
            .collect();
        by_purpose.push((kinds, case_filter(actor, Need::Purpose(purpose), now)?));
    }
    Some(PlanFilter {
        organisation: actor.organisation_id,
        by_purpose,
    })
}

impl PlanFilter {
    pub fn organisation(&self) -> OrganisationId {
        self.organisation
    }

    fn push_kind(sql: &mut Sql, kinds: &[PlanKind]) {
        sql.push("p.kind IN (");
        for (n, kind) in kinds.iter().enumerate() {
            sql.push(if n == 0 { "" } else { ", " }).bind(kind.code());
        }
        sql.push(")");
    }

    /// Pushes a boolean expression: the plan `p` is visible.
    pub(crate) fn push_visible(&self, sql: &mut Sql) {
        let org = self.organisation.to_string();
        sql.push("((p.owner_organisation_id = ")
            .bind(org.as_str())
            .push(" OR EXISTS (SELECT 1 FROM plan_parties pp WHERE pp.plan_id = p.id AND pp.organisation_id = ")
            .bind(org.as_str())
            .push(")) AND (");
        for (n, (kinds, cases)) in self.by_purpose.iter().enumerate() {
            sql.push(if n == 0 { "(" } else { " OR (" });
            Self::push_kind(sql, kinds);
            sql.push(" AND ");
            cases.push_visible(sql);
            sql.push(")");
        }
        sql.push("))");
    }

    /// Pushes a boolean expression: the action `a` of the visible plan `p` is the actor's
    /// organisation's ("Våra åtaganden").
    pub(crate) fn push_ours(&self, sql: &mut Sql) {
        sql.push("(a.organisation_id = ")
            .bind(self.organisation.to_string())
            .push(" AND ");
        self.push_visible(sql);
        sql.push(")");
    }

    /// Pushes an expression naming the consent that grants access (NULL for the owner).
    pub(crate) fn push_grant(&self, sql: &mut Sql) {
        sql.push("CASE");
        for (kinds, cases) in &self.by_purpose {
            sql.push(" WHEN ");
            Self::push_kind(sql, kinds);
            sql.push(" THEN (");
            cases.push_grant(sql);
            sql.push(")");
        }
        sql.push(" END");
    }

    /// A listed row is itself proof of access to that plan.
    #[allow(clippy::too_many_arguments)]
    pub fn access_for(
        &self,
        plan_id: PlanId,
        kind: PlanKind,
        state: PlanState,
        case_id: CaseId,
        individual_id: IndividualId,
        owner: OrganisationId,
        via: Option<ConsentId>,
    ) -> PlanAccess {
        let case = CaseAccess {
            case_id,
            individual_id,
            owner,
            grant: via.map_or(Grant::Owner, Grant::Consent),
            need: plan_need(kind),
        };
        PlanAccess {
            case,
            plan_id,
            kind,
            state,
            role: if owner == self.organisation {
                PlanRole::Owner
            } else {
                PlanRole::Party
            },
            organisation: self.organisation,
        }
    }
}

#[cfg(test)]
mod tests;
