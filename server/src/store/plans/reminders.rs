//! What the reminder scheduler looks for in plans: open actions due soon or overdue, and
//! follow-up dates coming up or passed (only ids and dates; who is told is the triggers').
//! And the follow-ups the calendar shows.

use chrono::NaiveDate;

use super::super::{RowExt, Sql, StoreError, StoreResult, Tx};
use super::{actions, version_of};
use crate::access::policy::{CaseFacts, PlanAccess, PlanFilter};
use crate::domain::plan::{ActionStatus, PlanKind, PlanState, Responsible};
use crate::domain::{CaseId, OrganisationId, PlanActionId, PlanId};
use crate::store::{cases, decode_code, Reads};

fn date(text: &str) -> StoreResult<NaiveDate> {
    text.parse()
        .map_err(|_| StoreError::Other(anyhow::anyhow!("stored date is not a date")))
}

fn push_live(sql: &mut Sql) {
    sql.push(" p.state IN (")
        .bind(PlanState::Adopted.code())
        .push(", ")
        .bind(PlanState::Revising.code())
        .push(")");
}

/// Open actions of live plans due on or before `until`, earliest first.
pub async fn due_actions(
    tx: &mut impl Reads,
    until: NaiveDate,
    limit: i64,
) -> StoreResult<Vec<(PlanId, PlanActionId, NaiveDate)>> {
    let mut sql = Sql::new(
        "SELECT a.plan_id, a.id, a.due_on FROM plan_actions a JOIN plans p ON p.id = a.plan_id WHERE",
    );
    push_live(&mut sql);
    sql.push(" AND a.status IN (")
        .bind(ActionStatus::Planned.code())
        .push(", ")
        .bind(ActionStatus::Ongoing.code())
        .push(") AND a.due_on IS NOT NULL AND a.due_on <= ")
        .bind(until.to_string())
        .push(" ORDER BY a.due_on, a.plan_id, a.id LIMIT ")
        .bind(limit);
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|r| Ok((r.id("plan_id")?, r.id("id")?, date(&r.text("due_on")?)?)))
        .collect()
}

/// Live plans whose follow-up falls on or before `until`, earliest first.
pub async fn follow_ups(
    tx: &mut impl Reads,
    until: NaiveDate,
    limit: i64,
) -> StoreResult<Vec<(PlanId, NaiveDate)>> {
    let mut sql = Sql::new("SELECT p.id, p.follow_up_on FROM plans p WHERE");
    push_live(&mut sql);
    sql.push(" AND p.follow_up_on IS NOT NULL AND p.follow_up_on <= ")
        .bind(until.to_string())
        .push(" ORDER BY p.follow_up_on, p.id LIMIT ")
        .bind(limit);
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|r| Ok((r.id("id")?, date(&r.text("follow_up_on")?)?)))
        .collect()
}

/// Who a plan's reminders go to: its case, owner, kind, the overall responsibility of the
/// latest adopted version and, for an action, who holds it now.
#[derive(Clone, Debug)]
pub struct PlanPeople {
    pub case_id: CaseId,
    pub owner: OrganisationId,
    pub kind: PlanKind,
    pub case_facts: Option<CaseFacts>,
    pub overall: Option<Responsible>,
    pub action: Option<Responsible>,
}

pub async fn people(
    tx: &mut Tx,
    plan: PlanId,
    action: Option<PlanActionId>,
) -> StoreResult<Option<PlanPeople>> {
    let mut sql =
        Sql::new("SELECT case_id, owner_organisation_id, kind, version FROM plans WHERE id = ");
    sql.bind(plan.to_string());
    let Some(row) = sql.fetch_optional(tx).await? else {
        return Ok(None);
    };
    let version = row.int("version")?;
    let overall = if version > 0 {
        version_of(tx, plan, version).await?.content.overall
    } else {
        None
    };
    let held = match action {
        Some(id) => actions::current(tx, plan)
            .await?
            .into_iter()
            .find(|a| a.action.id == id)
            .map(|a| a.action.responsible),
        None => None,
    };
    let case_id: CaseId = row.id("case_id")?;
    Ok(Some(PlanPeople {
        case_id,
        owner: row.id("owner_organisation_id")?,
        kind: decode_code(&row.text("kind")?, PlanKind::from_code)?,
        case_facts: cases::facts(tx, case_id).await?,
        overall,
        action: held,
    }))
}

/// A live plan's follow-up, for the calendar.
#[derive(Clone, Debug)]
pub struct FollowUp {
    pub plan_id: PlanId,
    pub case_id: CaseId,
    pub kind: PlanKind,
    pub follow_up_on: NaiveDate,
    pub access: PlanAccess,
}

/// The follow-ups from `from` to `to` (both included) of the live plans the filter lets
/// the caller see, earliest first.
pub async fn follow_ups_between(
    tx: &mut Tx,
    filter: &PlanFilter,
    from: NaiveDate,
    to: NaiveDate,
    limit: i64,
) -> StoreResult<Vec<FollowUp>> {
    let mut sql = Sql::new(
        "SELECT p.id, p.case_id, p.kind, p.state, p.owner_organisation_id, p.follow_up_on, \
         c.individual_id, ",
    );
    filter.push_grant(&mut sql);
    sql.push(" AS via_consent FROM plans p JOIN cases c ON c.id = p.case_id \
         JOIN individual_records i ON i.id = c.individual_id AND i.organisation_id = c.owner_organisation_id WHERE");
    push_live(&mut sql);
    sql.push(" AND p.follow_up_on >= ")
        .bind(from.to_string())
        .push(" AND p.follow_up_on <= ")
        .bind(to.to_string())
        .push(" AND ");
    filter.push_visible(&mut sql);
    sql.push(" ORDER BY p.follow_up_on, p.id LIMIT ")
        .bind(limit);
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|r| {
            let plan_id: PlanId = r.id("id")?;
            let case_id: CaseId = r.id("case_id")?;
            let kind = decode_code(&r.text("kind")?, PlanKind::from_code)?;
            let state = decode_code(&r.text("state")?, PlanState::from_code)?;
            Ok(FollowUp {
                plan_id,
                case_id,
                kind,
                follow_up_on: date(&r.text("follow_up_on")?)?,
                access: filter.access_for(
                    plan_id,
                    kind,
                    state,
                    case_id,
                    r.id("individual_id")?,
                    r.id("owner_organisation_id")?,
                    r.opt_id("via_consent")?,
                ),
            })
        })
        .collect()
}
