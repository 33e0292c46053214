//! Which audit rows an organisation's admin sees: the organisation's own.
//!
//! An access belongs to the organisation whose data it touched: the owner of the case it
//! names, the recorder of the consent it names. An admin's search holds those rows, by anyone
//! and allowed or denied (so the owner sees every probe of its cases), and the rows of the
//! organisation's own staff. A loggutdrag holds, for one individual, every access to the
//! organisation's data and what its own staff did with the individual outside other
//! organisations' cases, plus the inquiries and messages it received or sent in them; never
//! another organisation's reads of that organisation's own data.

use super::Actor;
use crate::domain::{IndividualId, OrganisationId};
use crate::sql::Sql;

/// The audit rows a reader may see, as SQL over `audit_log` (columns unqualified).
#[derive(Clone, Copy, Debug)]
pub enum AuditScope {
    /// An admin's search: rows by the organisation's staff, and every row on its data.
    Organisation(OrganisationId),
    /// A loggutdrag: the organisation's own rows about one individual.
    Extract {
        organisation: OrganisationId,
        individual: IndividualId,
    },
}

/// The scope of `actor`'s audit search; only administrators search (checked by the caller).
pub fn audit_search_scope(actor: &Actor) -> AuditScope {
    AuditScope::Organisation(actor.organisation_id)
}

impl AuditScope {
    /// Pushes a boolean expression: the row is visible in this scope.
    pub fn push_visible(&self, sql: &mut Sql) {
        match *self {
            AuditScope::Organisation(org) => {
                let org = org.to_string();
                sql.push("(organisation_id = ").bind(org.as_str());
                sql.push(
                    " OR case_id IN (SELECT c.id FROM cases c WHERE c.owner_organisation_id = ",
                )
                .bind(org.as_str());
                sql.push(") OR consent_id IN (SELECT k.id FROM consents k WHERE k.recorded_by_organisation_id = ")
                    .bind(org)
                    .push("))");
            }
            AuditScope::Extract {
                organisation,
                individual,
            } => {
                let org = organisation.to_string();
                let person = individual.to_string();
                let own_consents = |sql: &mut Sql| {
                    sql.push("consent_id IN (SELECT k.id FROM consents k WHERE k.individual_id = ")
                        .bind(person.as_str())
                        .push(" AND k.recorded_by_organisation_id = ")
                        .bind(org.as_str())
                        .push(")");
                };
                sql.push("(case_id IN (SELECT c.id FROM cases c WHERE c.individual_id = ")
                    .bind(person.as_str())
                    .push(" AND c.owner_organisation_id = ")
                    .bind(org.as_str())
                    .push(") OR ");
                own_consents(sql);
                sql.push(" OR (organisation_id = ")
                    .bind(org.as_str())
                    .push(" AND individual_id = ")
                    .bind(person.as_str());
                sql.push(" AND ((case_id IS NULL AND (consent_id IS NULL OR ");
                own_consents(sql);
                sql.push(")) OR action LIKE 'inquiry.%' OR action LIKE 'message.%')))");
            }
        }
    }
}
