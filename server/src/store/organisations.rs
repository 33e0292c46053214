//! Organisations: a directory, not personal data.

use super::{decode_code, Reads, RowExt, Sql, StoreResult, Tx};
use crate::domain::{OrganisationId, OrganisationKind, Timestamp};

#[derive(Clone, Debug)]
pub struct Organisation {
    pub id: OrganisationId,
    pub name: String,
    pub kind: OrganisationKind,
    pub functional_email: Option<String>,
}

const COLUMNS: &str = "id, name, kind, functional_email";

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<Organisation> {
    Ok(Organisation {
        id: row.id("id")?,
        name: row.text("name")?,
        kind: decode_code(&row.text("kind")?, OrganisationKind::from_code)?,
        functional_email: row.opt_text("functional_email")?,
    })
}

pub async fn insert(tx: &mut Tx, org: &Organisation) -> StoreResult<()> {
    let mut sql = Sql::new(&format!(
        "INSERT INTO organisations ({COLUMNS}, created_at) VALUES ("
    ));
    sql.bind(org.id.to_string())
        .push(", ")
        .bind(org.name.as_str())
        .push(", ");
    sql.bind(org.kind.code())
        .push(", ")
        .bind(org.functional_email.clone())
        .push(", ");
    sql.bind(Timestamp::now().micros()).push(")");
    sql.execute(tx).await?;
    Ok(())
}

pub async fn list(tx: &mut impl Reads) -> StoreResult<Vec<Organisation>> {
    let sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM organisations ORDER BY name"
    ));
    sql.fetch_all(tx).await?.iter().map(from_row).collect()
}

pub async fn get(tx: &mut impl Reads, id: OrganisationId) -> StoreResult<Organisation> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM organisations WHERE id = "));
    sql.bind(id.to_string());
    from_row(
        &sql.fetch_optional(tx)
            .await?
            .ok_or(super::StoreError::NotFound)?,
    )
}

pub async fn find_by_name(tx: &mut impl Reads, name: &str) -> StoreResult<Option<Organisation>> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM organisations WHERE name = "
    ));
    sql.bind(name);
    sql.fetch_optional(tx)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}
