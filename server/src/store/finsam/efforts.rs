//! A samordningsförbund's insatskatalog (Finsam efforts) and the referral's follow-ups.

use super::super::{Reads, RowExt, Sql, StoreResult, Tx};
use crate::access::policy::{EffortCatalogue, ReferralAccess};
use crate::domain::{FinsamEffortId, OrganisationId, Timestamp, UserId};

/// One effort of the catalogue.
#[derive(Clone, Debug)]
pub struct Effort {
    pub id: FinsamEffortId,
    pub name: String,
    pub description: String,
    pub active: bool,
}

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<Effort> {
    Ok(Effort {
        id: row.id("id")?,
        name: row.text("name")?,
        description: row.text("description")?,
        active: row.int("active")? != 0,
    })
}

/// The förbund's efforts by name (inactive ones too).
pub async fn list(tx: &mut impl Reads, catalogue: &EffortCatalogue) -> StoreResult<Vec<Effort>> {
    let mut sql = Sql::new(
        "SELECT id, name, description, active FROM finsam_efforts WHERE forbund_organisation_id = ",
    );
    sql.bind(catalogue.forbund().to_string())
        .push(" ORDER BY name, id");
    sql.fetch_all(tx).await?.iter().map(from_row).collect()
}

/// One effort of the förbund's catalogue, if it is one.
pub async fn get(
    tx: &mut impl Reads,
    forbund: OrganisationId,
    id: FinsamEffortId,
) -> StoreResult<Option<Effort>> {
    let mut sql = Sql::new(
        "SELECT id, name, description, active FROM finsam_efforts WHERE forbund_organisation_id = ",
    );
    sql.bind(forbund.to_string())
        .push(" AND id = ")
        .bind(id.to_string());
    sql.fetch_optional(tx)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Adds an effort to the catalogue (or, with the id of one of it, rewrites it).
pub async fn save(
    tx: &mut Tx,
    catalogue: &EffortCatalogue,
    effort: &Effort,
    now: Timestamp,
) -> StoreResult<()> {
    let active = i64::from(effort.active);
    let mut sql = Sql::new("UPDATE finsam_efforts SET name = ");
    sql.bind(effort.name.as_str())
        .push(", description = ")
        .bind(effort.description.as_str())
        .push(", active = ")
        .bind(active)
        .push(", updated_at = ")
        .bind(now.micros())
        .push(" WHERE id = ")
        .bind(effort.id.to_string())
        .push(" AND forbund_organisation_id = ")
        .bind(catalogue.forbund().to_string());
    if sql.execute(tx).await? == 1 {
        return Ok(());
    }
    let mut sql = Sql::new(
        "INSERT INTO finsam_efforts (id, forbund_organisation_id, name, description, active, \
         created_at, updated_at) VALUES (",
    );
    sql.bind(effort.id.to_string())
        .push(", ")
        .bind(catalogue.forbund().to_string())
        .push(", ")
        .bind(effort.name.as_str())
        .push(", ")
        .bind(effort.description.as_str())
        .push(", ")
        .bind(active)
        .push(", ")
        .bind(now.micros())
        .push(", ")
        .bind(now.micros())
        .push(")");
    sql.execute(tx).await?;
    Ok(())
}

/// Records a follow-up of the referral's plan.
pub async fn insert_follow_up(
    tx: &mut Tx,
    access: &ReferralAccess,
    due_at: Timestamp,
    progress: &str,
    continues: bool,
    by: UserId,
    now: Timestamp,
) -> StoreResult<()> {
    let mut sql = Sql::new(
        "INSERT INTO finsam_follow_ups (id, referral_id, due_at, done_at, progress, continues, \
         recorded_by_user_id) VALUES (",
    );
    sql.bind(uuid::Uuid::new_v4().to_string())
        .push(", ")
        .bind(access.referral_id().to_string())
        .push(", ")
        .bind(due_at.micros())
        .push(", ")
        .bind(now.micros())
        .push(", ")
        .bind(progress)
        .push(", ")
        .bind(i64::from(continues))
        .push(", ")
        .bind(by.to_string())
        .push(")");
    sql.execute(tx).await?;
    Ok(())
}

/// A follow-up as recorded.
#[derive(Clone, Debug)]
pub struct FollowUp {
    pub due_at: Timestamp,
    pub done_at: Timestamp,
    pub progress: String,
    pub continues: bool,
}

/// The referral's follow-ups, oldest first.
pub async fn follow_ups(
    tx: &mut impl Reads,
    access: &ReferralAccess,
) -> StoreResult<Vec<FollowUp>> {
    let mut sql = Sql::new(
        "SELECT due_at, done_at, progress, continues FROM finsam_follow_ups WHERE referral_id = ",
    );
    sql.bind(access.referral_id().to_string())
        .push(" ORDER BY done_at, id");
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|row| {
            Ok(FollowUp {
                due_at: Timestamp::from_micros(row.int("due_at")?),
                done_at: Timestamp::from_micros(row.int("done_at")?),
                progress: row.text("progress")?,
                continues: row.int("continues")? != 0,
            })
        })
        .collect()
}
