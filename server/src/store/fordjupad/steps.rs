//! The steps of a category 4 (förtroendeläkare) or 5 (AFU) action of a progressionsplan, each
//! done on a date, recorded by the action's responsible organisation. Written recommendations
//! received are the date the avstämning rule counts from.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::required_date;
use crate::access::policy::PlanAccess;
use crate::domain::fordjupad::CategoryStep;
use crate::domain::{PlanActionId, Timestamp, UserId};
use crate::store::{decode_code, Reads, RowExt, Sql, StoreResult, Tx};

/// A step done: when, and who recorded it.
#[derive(Clone, Debug)]
pub struct DoneStep {
    pub done_on: NaiveDate,
    pub recorded_by: UserId,
}

/// Records `step` of the action as done on `done_on` (again: the date is corrected). When
/// it is written recommendations received, the case's fördjupad samverkan counts the
/// avstämning from it (the latest recommendations).
pub async fn record(
    tx: &mut Tx,
    access: &PlanAccess,
    action: PlanActionId,
    step: CategoryStep,
    done_on: NaiveDate,
    by: UserId,
    now: Timestamp,
) -> StoreResult<()> {
    let day = done_on.to_string();
    let mut sql = Sql::new(
        "INSERT INTO plan_action_steps (plan_id, action_id, step, done_on, recorded_by_user_id, \
         recorded_at) VALUES (",
    );
    sql.bind(access.plan_id().to_string())
        .push(", ")
        .bind(action.to_string())
        .push(", ")
        .bind(step.code())
        .push(", ")
        .bind(day.as_str())
        .push(", ")
        .bind(by.to_string())
        .push(", ")
        .bind(now.micros())
        .push(") ON CONFLICT (plan_id, action_id, step) DO UPDATE SET done_on = ")
        .bind(day.as_str())
        .push(", recorded_by_user_id = ")
        .bind(by.to_string())
        .push(", recorded_at = ")
        .bind(now.micros());
    sql.execute(tx).await?;
    if step == CategoryStep::RecommendationsReceived {
        let mut update = Sql::new(
            "UPDATE fordjupad_cases SET recommendations_on = CASE WHEN recommendations_on IS NULL OR recommendations_on < ",
        );
        update
            .bind(day.as_str())
            .push(" THEN ")
            .bind(day.as_str())
            .push(" ELSE recommendations_on END, updated_at = ")
            .bind(now.micros())
            .push(" WHERE case_id = ")
            .bind(access.case().case_id().to_string());
        update.execute(tx).await?;
    }
    Ok(())
}

/// The steps of the action done so far.
pub async fn done(
    tx: &mut impl Reads,
    access: &PlanAccess,
    action: PlanActionId,
) -> StoreResult<BTreeMap<CategoryStep, DoneStep>> {
    let mut sql = Sql::new(
        "SELECT step, done_on, recorded_by_user_id FROM plan_action_steps WHERE plan_id = ",
    );
    sql.bind(access.plan_id().to_string())
        .push(" AND action_id = ")
        .bind(action.to_string());
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|row| {
            Ok((
                decode_code(&row.text("step")?, CategoryStep::from_code)?,
                DoneStep {
                    done_on: required_date(row.text("done_on")?)?,
                    recorded_by: row.id("recorded_by_user_id")?,
                },
            ))
        })
        .collect()
}
