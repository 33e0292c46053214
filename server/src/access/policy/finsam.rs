//! The rule for Finsamteam referrals (anmälan till Finsam-team), built on the case rule.
//!
//! The case's owning organisation refers (its caseworkers). Sending needs a **written** consent
//! for `finsamteam`, with its document reference, recorded by the referrer and covering the
//! förbund and every member organisation of its team; otherwise 409 `consent_missing` names
//! what is missing. The förbund's coordinators (role `finsamkoordinator`) see a referral once
//! sent, and only while a consent for `finsamteam` the referrer recorded covers the förbund:
//! when it ends, the referral is gone for them. Each side takes only its own steps of the
//! life cycle in `domain::finsam::TRANSITIONS`.

use super::{
    case_access, case_filter, denied, Actor, CaseAccess, CaseFacts, CaseFilter, ConsentFacts, Need,
};
use crate::domain::audit::{AuditEntry, Outcome};
use crate::domain::finsam::{
    self, form_gaps, ConsentGap, InboxCount, ReferralBox, ReferralState, ReferralStep, Side,
    StepRefused,
};
use crate::domain::{
    AuditAction, CaseId, ConsentForm, ConsentId, FinsamReferralId, OrganisationId, Purpose, Role,
    Timestamp,
};
use crate::error::AppError;
use crate::sql::Sql;

const FINSAM_NEED: Need = Need::Purpose(Purpose::Finsamteam);

/// What the rule reads about one referral. Not for display.
#[derive(Clone, Debug)]
pub struct ReferralFacts {
    pub case_id: CaseId,
    pub referrer: OrganisationId,
    pub forbund: OrganisationId,
    pub state: ReferralState,
}

/// Proof that the actor may see one referral, and from which side. Only `referral_access`
/// makes one.
#[derive(Clone, Debug)]
pub struct ReferralAccess {
    case: CaseAccess,
    referral_id: FinsamReferralId,
    side: Side,
    state: ReferralState,
    referrer: OrganisationId,
    forbund: OrganisationId,
}

impl ReferralAccess {
    pub fn referral_id(&self) -> FinsamReferralId {
        self.referral_id
    }
    pub fn case(&self) -> &CaseAccess {
        &self.case
    }
    pub fn side(&self) -> Side {
        self.side
    }
    /// The state when access was granted; changes are made conditional on it.
    pub fn state(&self) -> ReferralState {
        self.state
    }
    pub fn referrer(&self) -> OrganisationId {
        self.referrer
    }
    pub fn forbund(&self) -> OrganisationId {
        self.forbund
    }
    /// Who a referral's events are for: the referrer and, once sent, the förbund.
    pub fn organisations(&self, state: ReferralState) -> Vec<OrganisationId> {
        let mut all = vec![self.referrer];
        if state.visible_to_forbund() {
            all.push(self.forbund);
        }
        all
    }
    /// The steps this side may take now.
    pub fn steps(&self) -> Vec<ReferralStep> {
        finsam::steps(self.state, self.side)
    }

    pub fn audit(&self, actor: &Actor, action: AuditAction) -> AuditEntry {
        self.case.audit(actor, action)
    }

    /// Where `step` leads, or 403 `wrong_party` (audited) for the other side's step, or 409
    /// `invalid_transition` for a step that does not leave the current state.
    pub fn step(
        &self,
        actor: &Actor,
        step: ReferralStep,
        action: AuditAction,
    ) -> Result<ReferralState, AppError> {
        match finsam::next(self.state, step, self.side) {
            Ok(to) => Ok(to),
            Err(StepRefused::NotYours(_)) => {
                let mut entry = self.audit(actor, action);
                entry.outcome = Outcome::Denied;
                Err(AppError::Refused {
                    code: "wrong_party",
                    detail: match self.side {
                        Side::Referrer => "Det här görs av förbundets Finsam-koordinator.",
                        Side::Coordinator => "Det här görs av den organisation som anmälde.",
                    },
                    entry: Box::new(entry),
                })
            }
            Err(refused @ StepRefused::WrongState(..)) => Err(AppError::Conflict {
                code: refused.code(),
                detail: refused.to_string(),
            }),
        }
    }
}

/// From which side `actor` sees a referral with these facts, if any: the referrer's
/// organisation, or a coordinator of the förbund once it is sent.
pub fn referral_side(actor: &Actor, facts: &ReferralFacts) -> Option<Side> {
    if facts.referrer == actor.organisation_id {
        Some(Side::Referrer)
    } else if facts.forbund == actor.organisation_id
        && actor.roles.contains(&Role::Finsamkoordinator)
        && facts.state.visible_to_forbund()
    {
        Some(Side::Coordinator)
    } else {
        None
    }
}

/// May `actor` see the referral, given its facts and its case's as loaded (`None`: no such
/// referral)? Unknown and forbidden look the same.
pub fn referral_access(
    actor: &Actor,
    id: FinsamReferralId,
    facts: Option<ReferralFacts>,
    case_facts: Option<CaseFacts>,
    action: AuditAction,
    now: Timestamp,
) -> Result<ReferralAccess, AppError> {
    let side = facts.as_ref().and_then(|f| referral_side(actor, f));
    let case_id = facts.as_ref().map(|f| f.case_id);
    let (Some(facts), Some(side)) = (facts, side) else {
        return Err(denied(actor, action, |e| {
            e.purpose = FINSAM_NEED.purpose();
            e.case_id = case_id;
        }));
    };
    let case = case_access(actor, facts.case_id, case_facts, FINSAM_NEED, action, now)?;
    Ok(ReferralAccess {
        case,
        referral_id: id,
        side,
        state: facts.state,
        referrer: facts.referrer,
        forbund: facts.forbund,
    })
}

/// Proof that the actor may write a referral in the case: a caseworker of its owner.
#[derive(Clone, Debug)]
pub struct ReferralWrite(CaseAccess);

impl ReferralWrite {
    pub fn case(&self) -> &CaseAccess {
        &self.0
    }
    pub fn audit(&self, actor: &Actor, action: AuditAction) -> AuditEntry {
        self.0.audit(actor, action)
    }
}

/// May `actor` draft a referral in the case? Only its owning organisation refers.
pub fn referral_write(
    actor: &Actor,
    case_id: CaseId,
    facts: Option<CaseFacts>,
    action: AuditAction,
    now: Timestamp,
) -> Result<ReferralWrite, AppError> {
    let access = case_access(actor, case_id, facts, FINSAM_NEED, action, now)?;
    if access.is_owner() {
        return Ok(ReferralWrite(access));
    }
    let mut entry = access.audit(actor, action);
    entry.outcome = Outcome::Denied;
    Err(AppError::Refused {
        code: "not_case_owner",
        detail: "Bara den organisation som äger ärendet kan anmäla det till Finsamteam.",
        entry: Box::new(entry),
    })
}

/// A consent of the individual as the Finsam gate reads it: the rule's facts and its form.
#[derive(Clone, Debug)]
pub struct ReferralConsent {
    pub facts: ConsentFacts,
    pub forms: Vec<ConsentForm>,
    pub document_reference: Option<String>,
}

/// What the best consent lacks (for 409 `consent_missing`): the gaps, and which of the förbund
/// and the team's members it does not cover.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentMissing {
    pub gaps: Vec<ConsentGap>,
    pub uncovered: Vec<OrganisationId>,
}

/// Which consent the referral is sent under: in force, for `finsamteam`, recorded by the
/// referrer, written with its document reference, covering the förbund and every member of
/// its team but the referrer itself. The smallest id wins among several. Otherwise what the
/// nearest one lacks.
pub fn referral_consent(
    referrer: OrganisationId,
    forbund: OrganisationId,
    members: &[OrganisationId],
    consents: &[ReferralConsent],
    now: Timestamp,
) -> Result<ConsentId, ConsentMissing> {
    let needed: Vec<OrganisationId> = std::iter::once(forbund)
        .chain(
            members
                .iter()
                .copied()
                .filter(|m| *m != referrer && *m != forbund),
        )
        .collect();
    let mut candidates: Vec<&ReferralConsent> = consents
        .iter()
        .filter(|c| {
            c.facts.recorded_by_organisation == referrer
                && c.facts.in_force(now)
                && c.facts.purposes.contains(&finsam::PURPOSE)
        })
        .collect();
    candidates.sort_by_key(|c| c.facts.id);
    let mut nearest: Option<ConsentMissing> = None;
    for consent in candidates {
        let mut gaps = form_gaps(&consent.forms, consent.document_reference.as_deref());
        let uncovered: Vec<OrganisationId> = needed
            .iter()
            .copied()
            .filter(|org| !consent.facts.organisations.contains(org))
            .collect();
        if uncovered.contains(&forbund) {
            gaps.push(ConsentGap::ForbundNotCovered);
        }
        if uncovered.iter().any(|org| *org != forbund) {
            gaps.push(ConsentGap::MemberNotCovered);
        }
        if gaps.is_empty() {
            return Ok(consent.facts.id);
        }
        let size = gaps.len() + uncovered.len();
        if nearest
            .as_ref()
            .is_none_or(|n| size < n.gaps.len() + n.uncovered.len())
        {
            nearest = Some(ConsentMissing { gaps, uncovered });
        }
    }
    Err(nearest.unwrap_or(ConsentMissing {
        gaps: vec![ConsentGap::NoConsent],
        uncovered: needed,
    }))
}

/// The referral-list filter: the förbund's inbox (for its coordinators) or the organisation's
/// sent referrals, and within them only referrals whose case the actor sees for
/// `finsamteam`, as SQL over `finsam_referrals r JOIN cases c ON c.id = r.case_id JOIN
/// individual_records i ON i.id = c.individual_id AND i.organisation_id =
/// c.owner_organisation_id`.
#[derive(Clone, Debug)]
pub struct ReferralFilter {
    cases: CaseFilter,
    organisation: OrganisationId,
    mailbox: ReferralBox,
}

/// `None`: the actor sees no referral in that box (only coordinators have an inbox).
pub fn referral_filter(
    actor: &Actor,
    mailbox: ReferralBox,
    now: Timestamp,
) -> Option<ReferralFilter> {
    if mailbox == ReferralBox::Inbox && !actor.roles.contains(&Role::Finsamkoordinator) {
        return None;
    }
    case_filter(actor, FINSAM_NEED, now).map(|cases| ReferralFilter {
        cases,
        organisation: actor.organisation_id,
        mailbox,
    })
}

impl ReferralFilter {
    pub fn organisation(&self) -> OrganisationId {
        self.organisation
    }
    pub fn mailbox(&self) -> ReferralBox {
        self.mailbox
    }

    /// A listed row is itself proof of access to that case.
    pub fn access_for(
        &self,
        case_id: CaseId,
        individual_id: crate::domain::IndividualId,
        owner: OrganisationId,
        via: Option<ConsentId>,
    ) -> CaseAccess {
        self.cases.access_for(case_id, individual_id, owner, via)
    }

    /// Pushes the consent a listed row is seen under (NULL for the referrer's own).
    pub(crate) fn push_grant(&self, sql: &mut Sql) {
        self.cases.push_grant(sql);
    }

    /// Pushes a boolean expression: the row `r` is in the box and visible.
    pub(crate) fn push_visible(&self, sql: &mut Sql) {
        let org = self.organisation.to_string();
        match self.mailbox {
            ReferralBox::Inbox => {
                sql.push("((r.forbund_organisation_id = ")
                    .bind(org)
                    .push(" AND r.state <> ")
                    .bind(ReferralState::Draft.code());
            }
            ReferralBox::Sent => {
                sql.push("((r.referrer_organisation_id = ").bind(org);
            }
        }
        sql.push(") AND ");
        self.cases.push_visible(sql);
        sql.push(")");
    }

    /// Pushes: the row `r` adds to `count` of the inbox.
    pub(crate) fn push_count(&self, count: InboxCount, sql: &mut Sql) {
        let states: Vec<ReferralState> = ReferralState::ALL
            .iter()
            .copied()
            .filter(|s| s.inbox_count() == Some(count))
            .collect();
        sql.push("r.state IN (");
        for (i, state) in states.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(state.code());
        }
        sql.push(")");
    }
}

mod agenda;
pub use agenda::*;
mod efforts;
pub use efforts::*;

#[cfg(test)]
mod tests;
