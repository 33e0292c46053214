//! Consent records (samtycke), with the organisations and purposes they cover.

use std::collections::BTreeMap;

use super::{decode_code, Reads, RowExt, Sql, StoreError, StoreResult, Tx};
use crate::access::policy::{
    CaseAccess, ConsentAccess, ConsentFacts, ConsentFilter, ReferralConsent,
};
use crate::domain::{
    CaseId, ConsentForm, ConsentId, ConsentStatus, IndividualId, OrganisationId, Purpose,
    Timestamp, UserId,
};

/// A stored consent record.
#[derive(Clone, Debug)]
pub struct Consent {
    pub id: ConsentId,
    pub individual_id: IndividualId,
    pub case_id: Option<CaseId>,
    pub recorded_by_user_id: UserId,
    pub recorded_by_organisation_id: OrganisationId,
    pub forms: Vec<ConsentForm>,
    pub document_reference: Option<String>,
    pub valid_from: Timestamp,
    pub valid_until: Timestamp,
    pub status: ConsentStatus,
    pub status_changed_at: Option<Timestamp>,
    pub status_changed_by: Option<UserId>,
    pub status_reason: Option<String>,
    pub created_at: Timestamp,
    pub organisations: Vec<OrganisationId>,
    pub purposes: Vec<Purpose>,
    /// The consent another organisation recorded that this one confirms for the recorder's
    /// own part (the same paper, the same person's word).
    pub confirms_consent_id: Option<ConsentId>,
}

impl Consent {
    pub fn facts(&self) -> ConsentFacts {
        ConsentFacts {
            id: self.id,
            recorded_by_organisation: self.recorded_by_organisation_id,
            status: self.status,
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            organisations: self.organisations.clone(),
            purposes: self.purposes.clone(),
        }
    }
}

const COLUMNS: &str =
    "k.id, k.individual_id, k.case_id, k.recorded_by_user_id, k.recorded_by_organisation_id, \
     k.form_oral, k.form_written, k.document_reference, k.valid_from, k.valid_until, k.status, \
     k.status_changed_at, k.status_changed_by, k.status_reason, k.created_at, k.confirms_consent_id";

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<Consent> {
    let mut forms = Vec::new();
    if row.int("form_oral")? != 0 {
        forms.push(ConsentForm::Muntligt);
    }
    if row.int("form_written")? != 0 {
        forms.push(ConsentForm::Skriftligt);
    }
    Ok(Consent {
        id: row.id("id")?,
        individual_id: row.id("individual_id")?,
        case_id: row.opt_id("case_id")?,
        recorded_by_user_id: row.id("recorded_by_user_id")?,
        recorded_by_organisation_id: row.id("recorded_by_organisation_id")?,
        forms,
        document_reference: row.opt_text("document_reference")?,
        valid_from: Timestamp::from_micros(row.int("valid_from")?),
        valid_until: Timestamp::from_micros(row.int("valid_until")?),
        status: decode_code(&row.text("status")?, ConsentStatus::from_code)?,
        status_changed_at: row
            .opt_int("status_changed_at")?
            .map(Timestamp::from_micros),
        status_changed_by: row.opt_id("status_changed_by")?,
        status_reason: row.opt_text("status_reason")?,
        created_at: Timestamp::from_micros(row.int("created_at")?),
        organisations: Vec::new(),
        purposes: Vec::new(),
        confirms_consent_id: row.opt_id("confirms_consent_id")?,
    })
}

/// Loads consents matching `where_sql` (over `consents k`) with their organisations and purposes.
async fn load(tx: &mut impl Reads, mut sql: Sql) -> StoreResult<Vec<Consent>> {
    let mut by_id: BTreeMap<ConsentId, Consent> = BTreeMap::new();
    let mut order = Vec::new();
    for row in sql.fetch_all(tx).await? {
        let consent = from_row(&row)?;
        order.push(consent.id);
        by_id.insert(consent.id, consent);
    }
    if order.is_empty() {
        return Ok(Vec::new());
    }
    let ids = |sql: &mut Sql| {
        for (n, id) in order.iter().enumerate() {
            sql.push(if n == 0 { "" } else { ", " })
                .bind(id.to_string());
        }
        sql.push(")");
    };
    // Covered organisations and purposes in one round trip.
    sql = Sql::new(
        "SELECT consent_id, 'organisation' AS part, organisation_id AS value \
         FROM consent_organisations WHERE consent_id IN (",
    );
    ids(&mut sql);
    sql.push(
        " UNION ALL SELECT consent_id, 'purpose' AS part, purpose AS value \
         FROM consent_purposes WHERE consent_id IN (",
    );
    ids(&mut sql);
    for row in sql.fetch_all(tx).await? {
        if let Some(consent) = by_id.get_mut(&row.id("consent_id")?) {
            if row.text("part")? == "organisation" {
                consent.organisations.push(row.id("value")?);
            } else {
                consent
                    .purposes
                    .push(decode_code(&row.text("value")?, Purpose::from_code)?);
            }
        }
    }
    Ok(order
        .into_iter()
        .filter_map(|id| by_id.remove(&id))
        .map(|mut c| {
            c.organisations.sort();
            c.purposes.sort();
            c
        })
        .collect())
}

/// All consents for an individual, for the policy's facts. Not for display.
pub async fn facts_for_individual(
    tx: &mut impl Reads,
    individual: IndividualId,
) -> StoreResult<Vec<ConsentFacts>> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM consents k WHERE k.individual_id = "
    ));
    sql.bind(individual.to_string());
    Ok(load(tx, sql).await?.iter().map(Consent::facts).collect())
}

/// All consents for an individual with their form, for the Finsam referral's written-consent
/// gate. Not for display.
pub async fn referral_consents_for_individual(
    tx: &mut Tx,
    individual: IndividualId,
) -> StoreResult<Vec<ReferralConsent>> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM consents k WHERE k.individual_id = "
    ));
    sql.bind(individual.to_string());
    Ok(load(tx, sql)
        .await?
        .iter()
        .map(|c| ReferralConsent {
            facts: c.facts(),
            forms: c.forms.clone(),
            document_reference: c.document_reference.clone(),
        })
        .collect())
}

/// One consent's facts and whose it is, for the policy. Not for display.
pub async fn facts(
    tx: &mut impl Reads,
    id: ConsentId,
) -> StoreResult<Option<(IndividualId, ConsentFacts)>> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM consents k WHERE k.id = "));
    sql.bind(id.to_string());
    Ok(load(tx, sql)
        .await?
        .first()
        .map(|c| (c.individual_id, c.facts())))
}

pub async fn get(tx: &mut impl Reads, access: &ConsentAccess) -> StoreResult<Consent> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM consents k WHERE k.id = "));
    sql.bind(access.consent_id().to_string());
    load(tx, sql)
        .await?
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound)
}

/// The consents for the case's individual that the caller may see, newest first.
pub async fn list_for_case(
    tx: &mut impl Reads,
    case: &CaseAccess,
    filter: &ConsentFilter,
) -> StoreResult<Vec<Consent>> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM consents k WHERE k.individual_id = "
    ));
    sql.bind(case.individual_id().to_string()).push(" AND ");
    filter.push_visible(&mut sql);
    sql.push(" ORDER BY k.created_at DESC, k.id DESC");
    load(tx, sql).await
}

pub async fn insert(tx: &mut Tx, consent: &Consent) -> StoreResult<()> {
    let mut sql = Sql::new(&format!(
        "INSERT INTO consents ({}) VALUES (",
        COLUMNS.replace("k.", "")
    ));
    sql.bind(consent.id.to_string())
        .push(", ")
        .bind(consent.individual_id.to_string())
        .push(", ");
    sql.bind(consent.case_id.map(|c| c.to_string())).push(", ");
    sql.bind(consent.recorded_by_user_id.to_string()).push(", ");
    sql.bind(consent.recorded_by_organisation_id.to_string())
        .push(", ");
    sql.bind(i64::from(consent.forms.contains(&ConsentForm::Muntligt)))
        .push(", ");
    sql.bind(i64::from(consent.forms.contains(&ConsentForm::Skriftligt)))
        .push(", ");
    sql.bind(consent.document_reference.clone()).push(", ");
    sql.bind(consent.valid_from.micros())
        .push(", ")
        .bind(consent.valid_until.micros())
        .push(", ");
    sql.bind(consent.status.code())
        .push(", ")
        .bind(consent.status_changed_at.map(Timestamp::micros))
        .push(", ");
    sql.bind(consent.status_changed_by.map(|u| u.to_string()))
        .push(", ");
    sql.bind(consent.status_reason.clone())
        .push(", ")
        .bind(consent.created_at.micros())
        .push(", ")
        .bind(consent.confirms_consent_id.map(|c| c.to_string()))
        .push(")");
    sql.execute(tx).await?;
    for org in &consent.organisations {
        let mut sql =
            Sql::new("INSERT INTO consent_organisations (consent_id, organisation_id) VALUES (");
        sql.bind(consent.id.to_string())
            .push(", ")
            .bind(org.to_string())
            .push(")");
        sql.execute(tx).await?;
    }
    for purpose in &consent.purposes {
        let mut sql = Sql::new("INSERT INTO consent_purposes (consent_id, purpose) VALUES (");
        sql.bind(consent.id.to_string())
            .push(", ")
            .bind(purpose.code())
            .push(")");
        sql.execute(tx).await?;
    }
    Ok(())
}

/// Moves an active consent to `to` (ended or annulled). Returns false if it was no longer
/// in a state that allows it, so two concurrent changes cannot both win.
pub async fn change_status(
    tx: &mut Tx,
    access: &ConsentAccess,
    from: &[ConsentStatus],
    to: ConsentStatus,
    by: UserId,
    reason: &str,
    at: Timestamp,
) -> StoreResult<bool> {
    let mut sql = Sql::new("UPDATE consents SET status = ");
    sql.bind(to.code())
        .push(", status_changed_at = ")
        .bind(at.micros());
    sql.push(", status_changed_by = ")
        .bind(by.to_string())
        .push(", status_reason = ")
        .bind(reason);
    sql.push(" WHERE id = ")
        .bind(access.consent_id().to_string())
        .push(" AND status IN (");
    for (n, status) in from.iter().enumerate() {
        sql.push(if n == 0 { "" } else { ", " }).bind(status.code());
    }
    sql.push(")");
    Ok(sql.execute(tx).await? == 1)
}

/// Whether `organisation` already holds an active confirmation of consent `original`.
pub async fn confirmed_by(
    tx: &mut impl Reads,
    original: ConsentId,
    organisation: OrganisationId,
) -> StoreResult<bool> {
    let mut sql = Sql::new("SELECT 1 AS one FROM consents WHERE confirms_consent_id = ");
    sql.bind(original.to_string())
        .push(" AND recorded_by_organisation_id = ")
        .bind(organisation.to_string())
        .push(" AND status = ")
        .bind(ConsentStatus::Active.code());
    Ok(sql.fetch_optional(tx).await?.is_some())
}
