//! Individuals (klient, patient, deltagare): one row per personnummer, shared by agencies.

use super::{RowExt, Sql, StoreError, StoreResult, Tx};
use crate::access::policy::IndividualAccess;
use crate::domain::{IndividualId, OrganisationId, Personnummer, Timestamp, UserId};

#[derive(Clone, Debug)]
pub struct Individual {
    pub id: IndividualId,
    pub personnummer: String,
    pub name: String,
    pub protected_identity: bool,
}

const COLUMNS: &str = "id, personnummer, name, protected_identity";

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<Individual> {
    Ok(Individual {
        id: row.id("id")?,
        personnummer: row.text("personnummer")?,
        name: row.text("name")?,
        protected_identity: row.int("protected_identity")? != 0,
    })
}

/// Registers the individual for `organisation`, creating them if this personnummer is new.
/// A protected-identity flag once raised stays raised. Returns the stored individual.
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
    let mut insert = Sql::new(&format!(
        "INSERT INTO individuals ({COLUMNS}, created_at) VALUES ("
    ));
    insert
        .bind(IndividualId::new().to_string())
        .push(", ")
        .bind(personnummer.as_str())
        .push(", ");
    insert
        .bind(name)
        .push(", ")
        .bind(i64::from(protected_identity))
        .push(", ")
        .bind(now);
    insert.push(") ON CONFLICT (personnummer) DO NOTHING");
    insert.execute(tx).await?;
    if protected_identity {
        let mut raise =
            Sql::new("UPDATE individuals SET protected_identity = 1 WHERE personnummer = ");
        raise.bind(personnummer.as_str());
        raise.execute(tx).await?;
    }
    let mut find = Sql::new(&format!(
        "SELECT {COLUMNS} FROM individuals WHERE personnummer = "
    ));
    find.bind(personnummer.as_str());
    let individual = from_row(&find.fetch_optional(tx).await?.ok_or(StoreError::NotFound)?)?;
    let mut sql = Sql::new(
        "INSERT INTO individual_registrations (individual_id, organisation_id, registered_by, registered_at) VALUES (",
    );
    sql.bind(individual.id.to_string())
        .push(", ")
        .bind(organisation.to_string())
        .push(", ");
    sql.bind(user.to_string())
        .push(", ")
        .bind(now)
        .push(") ON CONFLICT (individual_id, organisation_id) DO NOTHING");
    sql.execute(tx).await?;
    Ok(individual)
}

pub async fn registered_by(
    tx: &mut Tx,
    individual: IndividualId,
    organisation: OrganisationId,
) -> StoreResult<bool> {
    let mut sql = Sql::new("SELECT 1 AS one FROM individual_registrations WHERE individual_id = ");
    sql.bind(individual.to_string())
        .push(" AND organisation_id = ")
        .bind(organisation.to_string());
    Ok(sql.fetch_optional(tx).await?.is_some())
}

pub async fn get(tx: &mut Tx, access: &IndividualAccess) -> StoreResult<Individual> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM individuals WHERE id = "));
    sql.bind(access.individual_id().to_string());
    from_row(&sql.fetch_optional(tx).await?.ok_or(StoreError::NotFound)?)
}
