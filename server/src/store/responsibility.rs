//! Who has been responsible for a case (ansvarig handläggare), period by period, with the
//! handover note each new responsible was given. Reads take the policy's `CaseAccess`.

use super::{Reads, RowExt, Sql, StoreResult, Tx};
use crate::access::policy::{CaseAccess, CaseWrite};
use crate::domain::{CaseId, Timestamp, UserId};

/// One period of responsibility; `to` is `None` for the present one.
#[derive(Clone, Debug)]
pub struct Period {
    pub user_id: UserId,
    pub user_name: String,
    pub from: Timestamp,
    pub to: Option<Timestamp>,
    /// The handover note given when the case passed to this user.
    pub note: Option<String>,
    pub handed_over_by: Option<UserId>,
    pub handed_over_by_name: Option<String>,
}

/// The first period, when a case is opened.
pub async fn start(tx: &mut Tx, case: CaseId, user: UserId, at: Timestamp) -> StoreResult<()> {
    insert(tx, case, user, at, None, None).await
}

/// Ends the present period and starts the next one, with the note and who handed over.
pub async fn hand_over(
    tx: &mut Tx,
    write: &CaseWrite,
    to: UserId,
    by: UserId,
    note: Option<&str>,
) -> StoreResult<()> {
    let case = write.access().case_id();
    let now = Timestamp::now();
    let mut end = Sql::new("UPDATE case_responsibility SET to_at = ");
    end.bind(now.micros())
        .push(" WHERE to_at IS NULL AND case_id = ")
        .bind(case.to_string());
    end.execute(tx).await?;
    insert(tx, case, to, now, note, Some(by)).await
}

async fn insert(
    tx: &mut Tx,
    case: CaseId,
    user: UserId,
    at: Timestamp,
    note: Option<&str>,
    by: Option<UserId>,
) -> StoreResult<()> {
    let mut sql = Sql::new(
        "INSERT INTO case_responsibility (id, case_id, user_id, from_at, note, handed_over_by) VALUES (",
    );
    sql.bind(uuid::Uuid::new_v4().to_string())
        .push(", ")
        .bind(case.to_string())
        .push(", ")
        .bind(user.to_string())
        .push(", ")
        .bind(at.micros())
        .push(", ")
        .bind(note)
        .push(", ")
        .bind(by.map(|u| u.to_string()))
        .push(")");
    sql.execute(tx).await?;
    Ok(())
}

/// The case's periods, oldest first.
pub async fn history(tx: &mut impl Reads, access: &CaseAccess) -> StoreResult<Vec<Period>> {
    let mut sql = Sql::new(
        "SELECT r.user_id, u.display_name AS user_name, r.from_at, r.to_at, r.note, \
         r.handed_over_by, b.display_name AS handed_over_by_name \
         FROM case_responsibility r JOIN users u ON u.id = r.user_id \
         LEFT JOIN users b ON b.id = r.handed_over_by WHERE r.case_id = ",
    );
    sql.bind(access.case_id().to_string())
        .push(" ORDER BY r.from_at, r.id");
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|row| {
            Ok(Period {
                user_id: row.id("user_id")?,
                user_name: row.text("user_name")?,
                from: Timestamp::from_micros(row.int("from_at")?),
                to: row.opt_int("to_at")?.map(Timestamp::from_micros),
                note: row.opt_text("note")?,
                handed_over_by: row.opt_id("handed_over_by")?,
                handed_over_by_name: row.opt_text("handed_over_by_name")?,
            })
        })
        .collect()
}
