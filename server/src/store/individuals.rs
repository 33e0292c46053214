//! Individuals (klient, patient, deltagare): one row per personnummer, shared by agencies,
//! and one record per registering organisation with the name and protected-identity flag
//! that organisation holds. A case shows its owner's record; nothing shows another's.

use super::{Reads, RowExt, Sql, StoreError, StoreResult, Tx};
use crate::access::policy::IndividualAccess;
use crate::domain::{IndividualId, OrganisationId, Personnummer, Timestamp, UserId};

#[derive(Clone, Debug)]
pub struct Individual {
    pub id: IndividualId,
    pub personnummer: String,
    pub name: String,
    pub protected_identity: bool,
}

/// Columns of the `individual_records` view: one organisation's record of an individual.
const COLUMNS: &str = "id, personnummer, name, protected_identity";

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<Individual> {
    Ok(Individual {
        id: row.id("id")?,
        personnummer: row.text("personnummer")?,
        name: row.text("name")?,
        protected_identity: row.int("protected_identity")? != 0,
    })
}

async fn record(
    tx: &mut impl Reads,
    id: IndividualId,
    organisation: OrganisationId,
) -> StoreResult<Individual> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM individual_records WHERE id = "
    ));
    sql.bind(id.to_string())
        .push(" AND organisation_id = ")
        .bind(organisation.to_string());
    from_row(&sql.fetch_optional(tx).await?.ok_or(StoreError::NotFound)?)
}

/// Registers the individual for `organisation`, creating the shared row if this personnummer
/// is new, and returns `organisation`'s own record: the name it first gave, and its
/// protected-identity flag, which once raised stays raised.
pub async fn register(
    tx: &mut Tx,
    personnummer: &Personnummer,
    name: &str,
    protected_identity: bool,
    organisation: OrganisationId,
    user: UserId,
) -> StoreResult<Individual> {
    let now = Timestamp::now().micros();
    // Insert-or-keep, so two agencies registering the same person at once both succeed.
    let mut insert = Sql::new("INSERT INTO individuals (id, personnummer, created_at) VALUES (");
    insert
        .bind(IndividualId::new().to_string())
        .push(", ")
        .bind(personnummer.as_str())
        .push(", ")
        .bind(now);
    insert.push(") ON CONFLICT (personnummer) DO NOTHING");
    insert.execute(tx).await?;
    let mut find = Sql::new("SELECT id FROM individuals WHERE personnummer = ");
    find.bind(personnummer.as_str());
    let id: IndividualId = find
        .fetch_optional(tx)
        .await?
        .ok_or(StoreError::NotFound)?
        .id("id")?;
    let mut sql = Sql::new(
        "INSERT INTO individual_registrations (individual_id, organisation_id, registered_by, registered_at, name, protected_identity) VALUES (",
    );
    sql.bind(id.to_string())
        .push(", ")
        .bind(organisation.to_string())
        .push(", ");
    sql.bind(user.to_string())
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(name)
        .push(", ")
        .bind(i64::from(protected_identity));
    sql.push(") ON CONFLICT (individual_id, organisation_id) DO NOTHING");
    sql.execute(tx).await?;
    if protected_identity {
        let mut raise = Sql::new(
            "UPDATE individual_registrations SET protected_identity = 1 WHERE individual_id = ",
        );
        raise
            .bind(id.to_string())
            .push(" AND organisation_id = ")
            .bind(organisation.to_string());
        raise.execute(tx).await?;
    }
    record(tx, id, organisation).await
}

pub async fn registered_by(
    tx: &mut impl Reads,
    individual: IndividualId,
    organisation: OrganisationId,
) -> StoreResult<bool> {
    let mut sql = Sql::new("SELECT 1 AS one FROM individual_registrations WHERE individual_id = ");
    sql.bind(individual.to_string())
        .push(" AND organisation_id = ")
        .bind(organisation.to_string());
    Ok(sql.fetch_optional(tx).await?.is_some())
}

/// The record the access was granted through: the caller's own, or the case owner's.
pub async fn get(tx: &mut impl Reads, access: &IndividualAccess) -> StoreResult<Individual> {
    record(tx, access.individual_id(), access.record_of()).await
}
