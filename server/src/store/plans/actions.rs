//! The latest adopted version's actions with their current status: what the responsible
//! organisation reports and takes, and its shared list "Våra åtaganden".

use chrono::NaiveDate;

use super::super::{decode_code, RowExt, Sql, StoreError, StoreResult, Tx};
use crate::access::policy::{PlanAccess, PlanFilter};
use crate::domain::fordjupad::ActionCategory;
use crate::domain::plan::{Action, ActionStatus, PlanContent, PlanKind, PlanState, Responsible};
use crate::domain::{CaseId, PlanActionId, PlanId, Timestamp, UserId};

/// An action as it stands now.
#[derive(Clone, Debug)]
pub struct CurrentAction {
    pub action: Action,
    pub taken_by: Option<UserId>,
}

const COLUMNS: &str = "a.id, a.organisation_id, a.person_id, a.what, a.due_on, a.goal_id, \
     a.status, a.status_on, a.note, a.taken_by_user_id, a.category";

fn date(text: Option<String>) -> StoreResult<Option<NaiveDate>> {
    text.map(|d| {
        d.parse()
            .map_err(|_| StoreError::Other(anyhow::anyhow!("stored date is not a date")))
    })
    .transpose()
}

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<CurrentAction> {
    Ok(CurrentAction {
        action: Action {
            id: row.id("id")?,
            what: row.text("what")?,
            responsible: Responsible {
                organisation: row.id("organisation_id")?,
                person: row.opt_id("person_id")?,
            },
            due_on: date(row.opt_text("due_on")?)?,
            goal: row.opt_id("goal_id")?,
            status: decode_code(&row.text("status")?, ActionStatus::from_code)?,
            status_on: date(row.opt_text("status_on")?)?,
            note: row.opt_text("note")?,
            category: row
                .opt_int("category")?
                .map(|n| {
                    u8::try_from(n)
                        .ok()
                        .and_then(ActionCategory::from_number)
                        .ok_or_else(|| {
                            StoreError::Other(anyhow::anyhow!("stored category is not 1–5"))
                        })
                })
                .transpose()?,
        },
        taken_by: row.opt_id("taken_by_user_id")?,
    })
}

/// Replaces the plan's actions with those of the version just adopted.
pub(super) async fn replace(
    tx: &mut Tx,
    plan_id: PlanId,
    content: &PlanContent,
    now: i64,
) -> StoreResult<()> {
    let id = plan_id.to_string();
    let mut sql = Sql::new("DELETE FROM plan_actions WHERE plan_id = ");
    sql.bind(id.as_str());
    sql.execute(tx).await?;
    for (position, action) in content.actions.iter().enumerate() {
        let mut sql = Sql::new(
            "INSERT INTO plan_actions (plan_id, id, position, organisation_id, person_id, what, \
             due_on, goal_id, status, status_on, note, taken_by_user_id, updated_at, category) \
             VALUES (",
        );
        let person = action.responsible.person.map(|p| p.to_string());
        sql.bind(id.as_str())
            .push(", ")
            .bind(action.id.to_string())
            .push(", ")
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .push(", ");
        sql.bind(action.responsible.organisation.to_string())
            .push(", ")
            .bind(person.clone())
            .push(", ")
            .bind(action.what.as_str())
            .push(", ");
        sql.bind(action.due_on.map(|d| d.to_string()))
            .push(", ")
            .bind(action.goal.map(|g| g.to_string()))
            .push(", ")
            .bind(action.status.code())
            .push(", ");
        sql.bind(action.status_on.map(|d| d.to_string()))
            .push(", ")
            .bind(action.note.clone())
            .push(", ")
            .bind(person)
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(action.category.map(|c| i64::from(c.number())))
            .push(")");
        sql.execute(tx).await?;
    }
    Ok(())
}

/// The plan's actions as they stand, in the plan's order. Not for display without access.
pub(crate) async fn current(tx: &mut Tx, plan_id: PlanId) -> StoreResult<Vec<CurrentAction>> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM plan_actions a WHERE a.plan_id = "
    ));
    sql.bind(plan_id.to_string()).push(" ORDER BY a.position");
    sql.fetch_all(tx).await?.iter().map(from_row).collect()
}

/// One action of a plan the caller may see (`NotFound` when the adopted plan has none such).
pub async fn get(tx: &mut Tx, access: &PlanAccess, id: PlanActionId) -> StoreResult<CurrentAction> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM plan_actions a WHERE a.plan_id = "
    ));
    sql.bind(access.plan_id().to_string())
        .push(" AND a.id = ")
        .bind(id.to_string());
    let row = sql.fetch_optional(tx).await?.ok_or(StoreError::NotFound)?;
    from_row(&row)
}

/// Reports a new status, provided the action still has `from`. False when someone changed
/// it meanwhile.
pub async fn update_status(
    tx: &mut Tx,
    access: &PlanAccess,
    id: PlanActionId,
    from: ActionStatus,
    to: ActionStatus,
    status_on: NaiveDate,
    note: Option<&str>,
) -> StoreResult<bool> {
    let mut sql = Sql::new("UPDATE plan_actions SET status = ");
    sql.bind(to.code())
        .push(", status_on = ")
        .bind(status_on.to_string())
        .push(", note = ")
        .bind(note)
        .push(", updated_at = ")
        .bind(Timestamp::now().micros());
    sql.push(" WHERE plan_id = ")
        .bind(access.plan_id().to_string())
        .push(" AND id = ")
        .bind(id.to_string())
        .push(" AND status = ")
        .bind(from.code());
    Ok(sql.execute(tx).await? == 1)
}

/// Makes `user` the action's responsible person.
pub async fn take(
    tx: &mut Tx,
    access: &PlanAccess,
    id: PlanActionId,
    user: UserId,
) -> StoreResult<bool> {
    let mut sql = Sql::new("UPDATE plan_actions SET person_id = ");
    sql.bind(user.to_string())
        .push(", taken_by_user_id = ")
        .bind(user.to_string())
        .push(", updated_at = ")
        .bind(Timestamp::now().micros());
    sql.push(" WHERE plan_id = ")
        .bind(access.plan_id().to_string())
        .push(" AND id = ")
        .bind(id.to_string());
    Ok(sql.execute(tx).await? == 1)
}

/// One open action of my organisation in an adopted plan.
#[derive(Clone, Debug)]
pub struct Commitment {
    pub plan_id: PlanId,
    pub case_id: CaseId,
    pub plan_kind: PlanKind,
    pub current: CurrentAction,
    pub access: PlanAccess,
}

/// Which commitments: all open ones, those due within the window, or those overdue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DueFilter {
    All,
    /// Due from today up to and including `until`.
    Soon {
        today: NaiveDate,
        until: NaiveDate,
    },
    Overdue {
        today: NaiveDate,
    },
}

const FROM: &str = " FROM plan_actions a JOIN plans p ON p.id = a.plan_id \
     JOIN cases c ON c.id = p.case_id \
     JOIN individual_records i ON i.id = c.individual_id AND i.organisation_id = c.owner_organisation_id";

fn push_ours(sql: &mut Sql, filter: &PlanFilter, due: DueFilter) {
    sql.push(" WHERE ");
    filter.push_ours(sql);
    sql.push(" AND p.state IN (")
        .bind(PlanState::Adopted.code())
        .push(", ")
        .bind(PlanState::Revising.code())
        .push(") AND a.status IN (")
        .bind(ActionStatus::Planned.code())
        .push(", ")
        .bind(ActionStatus::Ongoing.code())
        .push(")");
    match due {
        DueFilter::All => {}
        DueFilter::Soon { today, until } => {
            sql.push(" AND a.due_on >= ")
                .bind(today.to_string())
                .push(" AND a.due_on <= ")
                .bind(until.to_string());
        }
        DueFilter::Overdue { today } => {
            sql.push(" AND a.due_on < ").bind(today.to_string());
        }
    }
}

/// "Våra åtaganden": my organisation's open actions in adopted plans it may see, the
/// earliest due first (undated last).
pub async fn commitments(
    tx: &mut Tx,
    filter: &PlanFilter,
    due: DueFilter,
    limit: i64,
) -> StoreResult<Vec<Commitment>> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS}, p.id AS plan_id, p.case_id, p.kind, p.state, p.owner_organisation_id, \
         c.individual_id, "
    ));
    filter.push_grant(&mut sql);
    sql.push(" AS via_consent");
    sql.push(FROM);
    push_ours(&mut sql, filter, due);
    sql.push(
        " ORDER BY CASE WHEN a.due_on IS NULL THEN 1 ELSE 0 END, a.due_on, p.id, a.position LIMIT ",
    )
    .bind(limit);
    let rows = sql.fetch_all(tx).await?;
    rows.iter()
        .map(|row| {
            let plan_id: PlanId = row.id("plan_id")?;
            let case_id: CaseId = row.id("case_id")?;
            let plan_kind = decode_code(&row.text("kind")?, PlanKind::from_code)?;
            let state = decode_code(&row.text("state")?, PlanState::from_code)?;
            let access = filter.access_for(
                plan_id,
                plan_kind,
                state,
                case_id,
                row.id("individual_id")?,
                row.id("owner_organisation_id")?,
                row.opt_id("via_consent")?,
            );
            Ok(Commitment {
                plan_id,
                case_id,
                plan_kind,
                current: from_row(row)?,
                access,
            })
        })
        .collect()
}

/// How many of my organisation's open actions there are, for the badge.
pub async fn count(tx: &mut Tx, filter: &PlanFilter, due: DueFilter) -> StoreResult<i64> {
    let mut sql = Sql::new("SELECT COUNT(*) AS n");
    sql.push(FROM);
    push_ours(&mut sql, filter, due);
    sql.fetch_optional(tx).await?.map_or(Ok(0), |r| r.int("n"))
}
