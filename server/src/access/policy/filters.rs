//! The list filters: the case and consent rules as SQL predicates.

use super::Actor;
use super::{CaseAccess, Grant, Need};
use crate::domain::{CaseId, ConsentId, IndividualId, OrganisationId, Timestamp, UserId};
use crate::sql::Sql;

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
        self.push_bridging_consents(sql, "1", self.organisation);
        sql.push(")))");
    }

    /// Pushes a boolean expression: the row `c` is shared with `partner` by a consent for the
    /// filter's need that its owner recorded and that is in force now (what `partner` itself
    /// would see of it). Narrows a list to the cases of one partner's follow-up meeting.
    pub(crate) fn push_shared_with(&self, sql: &mut Sql, partner: OrganisationId) {
        sql.push("(c.owner_organisation_id <> ")
            .bind(partner.to_string())
            .push(" AND EXISTS (");
        self.push_bridging_consents(sql, "1", partner);
        sql.push("))");
    }

    /// Pushes an expression naming the consent that grants access (NULL for the owner).
    pub(crate) fn push_grant(&self, sql: &mut Sql) {
        sql.push("CASE WHEN c.owner_organisation_id = ")
            .bind(self.organisation.to_string())
            .push(" THEN NULL ELSE (");
        self.push_bridging_consents(sql, "MIN(k.id)", self.organisation);
        sql.push(") END");
    }

    fn push_bridging_consents(&self, sql: &mut Sql, select: &str, to: OrganisationId) {
        sql.push(&format!(
            "SELECT {select} FROM consents k WHERE k.individual_id = c.individual_id \
             AND k.recorded_by_organisation_id = c.owner_organisation_id"
        ));
        sql.push(" AND k.status = 'active' AND k.valid_from <= ")
            .bind(self.now.micros());
        sql.push(" AND k.valid_until > ").bind(self.now.micros());
        sql.push(" AND EXISTS (SELECT 1 FROM consent_organisations v WHERE v.consent_id = k.id AND v.organisation_id = ")
            .bind(to.to_string())
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
