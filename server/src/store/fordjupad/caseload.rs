//! The rehabansvarig's caseload: every case in fördjupad samverkan (brought and not decided
//! `ingen`) with what the follow-up rules read of it, its open progressionsplan actions'
//! categories and its open escalations. The list filters through the policy's case filter;
//! the scheduler reads the same facts of every case.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use sqlx::any::AnyRow;

use super::{date, required_date};
use crate::access::policy::CaseFilter;
use crate::domain::fordjupad::{ActionCategory, CaseFacts, FollowUpKind, IntakeDecision};
use crate::domain::plan::{ActionStatus, PlanKind, PlanState};
use crate::domain::{
    CaseId, ConsentId, IndividualId, MeetingStatus, OrganisationId, Timestamp, UserId,
};
use crate::store::{decode_code, Reads, RowExt, Sql, StoreError, StoreResult};

/// A case in the caseload, as the rules and the list read it.
#[derive(Clone, Debug)]
pub struct CaseloadCase {
    pub case_id: CaseId,
    pub individual_id: IndividualId,
    pub owner: OrganisationId,
    pub social_worker: UserId,
    pub brought_on: NaiveDate,
    /// `None` while the rehabansvarig has not decided.
    pub decision: Option<IntakeDecision>,
    pub decided_on: Option<NaiveDate>,
    pub phase: Option<u8>,
    /// What the follow-up rules read; `last_activity` includes meetings held.
    pub facts: CaseFacts,
}

/// A caseload row of the list: the case, who it is about and who works it, and the grant
/// that let it through.
#[derive(Clone, Debug)]
pub struct CaseloadRow {
    pub case: CaseloadCase,
    pub title: String,
    pub individual_name: String,
    pub social_worker_name: String,
    pub via_consent: Option<ConsentId>,
    /// Categories of the open actions of the case's live progressionsplans.
    pub categories: BTreeSet<ActionCategory>,
    /// Escalated follow-ups not yet taken over.
    pub open: Vec<OpenFollowUp>,
}

/// An escalated follow-up that stands (an idle case, or an avstämning not booked in time).
#[derive(Clone, Debug)]
pub struct OpenFollowUp {
    pub id: String,
    pub case_id: CaseId,
    pub kind: FollowUpKind,
    pub anchor: NaiveDate,
    pub due_on: NaiveDate,
    pub fired_at: Timestamp,
}

/// The kinds that stand until someone acts (the escalation list).
pub const ESCALATING: [FollowUpKind; 2] =
    [FollowUpKind::Escalation, FollowUpKind::AvstamningOverdue];

/// Filters the caller adds to the caseload.
#[derive(Clone, Debug, Default)]
pub struct CaseloadQuery {
    /// Only cases shared with this partner (the follow-up meeting with a clinic).
    pub shared_with: Option<OrganisationId>,
    pub social_worker: Option<UserId>,
    pub phase: Option<u8>,
    pub limit: i64,
    pub offset: i64,
}

/// The columns every caseload read selects; `now` bounds the meetings held.
fn push_columns(sql: &mut Sql, now: Timestamp) {
    sql.push(
        "f.case_id, f.owner_organisation_id, f.social_worker_user_id, f.brought_on, f.decision, \
         f.decided_on, f.case_manager_until, f.phase, f.last_activity_on, f.recommendations_on, \
         f.avstamning_booked_on, c.individual_id, \
         (SELECT MAX(m.starts_at) FROM meetings m WHERE m.case_id = f.case_id AND m.status <> ",
    )
    .bind(MeetingStatus::Cancelled.code())
    .push(" AND m.starts_at <= ")
    .bind(now.micros())
    .push(") AS last_meeting_at, (SELECT MIN(p.follow_up_on) FROM plans p WHERE p.case_id = f.case_id AND p.kind = ")
    .bind(PlanKind::Progressionsplan.code())
    .push(" AND p.state IN (")
    .bind(PlanState::Adopted.code())
    .push(", ")
    .bind(PlanState::Revising.code())
    .push(")) AS plan_follow_up_on");
}

/// In the caseload: brought, and not decided `ingen`.
fn push_in_caseload(sql: &mut Sql) {
    sql.push(" (f.decision IS NULL OR f.decision <> ")
        .bind(IntakeDecision::Ingen.code())
        .push(")");
}

fn case_from_row(row: &AnyRow) -> StoreResult<CaseloadCase> {
    let decision = row
        .opt_text("decision")?
        .map(|d| decode_code(&d, IntakeDecision::from_code))
        .transpose()?;
    let decided_on = date(row.opt_text("decided_on")?)?;
    let recorded = required_date(row.text("last_activity_on")?)?;
    let met = row
        .opt_int("last_meeting_at")?
        .map(|at| Timestamp::from_micros(at).to_datetime().date_naive());
    let case_manager = match (
        decision,
        decided_on,
        date(row.opt_text("case_manager_until")?)?,
    ) {
        (Some(IntakeDecision::CaseManager), Some(start), Some(end)) => Some((start, end)),
        _ => None,
    };
    let phase = row
        .opt_int("phase")?
        .map(|p| u8::try_from(p).map_err(|_| StoreError::Other(anyhow::anyhow!("stored phase"))))
        .transpose()?;
    Ok(CaseloadCase {
        case_id: row.id("case_id")?,
        individual_id: row.id("individual_id")?,
        owner: row.id("owner_organisation_id")?,
        social_worker: row.id("social_worker_user_id")?,
        brought_on: required_date(row.text("brought_on")?)?,
        decision,
        decided_on,
        phase,
        facts: CaseFacts {
            last_activity: Some(met.map_or(recorded, |m| m.max(recorded))),
            recommendations_on: date(row.opt_text("recommendations_on")?)?,
            avstamning_booked_on: date(row.opt_text("avstamning_booked_on")?)?,
            case_manager,
            plan_follow_up_on: date(row.opt_text("plan_follow_up_on")?)?,
        },
    })
}

/// The caseload the filter lets through, least recently active first.
pub async fn list(
    tx: &mut impl Reads,
    filter: &CaseFilter,
    query: &CaseloadQuery,
    now: Timestamp,
) -> StoreResult<Vec<CaseloadRow>> {
    let mut sql = Sql::new("SELECT ");
    push_columns(&mut sql, now);
    sql.push(", c.title, i.name AS individual_name, u.display_name AS social_worker_name, ");
    filter.push_grant(&mut sql);
    sql.push(
        " AS via_consent FROM fordjupad_cases f JOIN cases c ON c.id = f.case_id \
         JOIN individual_records i ON i.id = c.individual_id AND i.organisation_id = c.owner_organisation_id \
         JOIN users u ON u.id = f.social_worker_user_id WHERE ",
    );
    filter.push_visible(&mut sql);
    sql.push(" AND");
    push_in_caseload(&mut sql);
    if let Some(partner) = query.shared_with {
        sql.push(" AND ");
        filter.push_shared_with(&mut sql, partner);
    }
    sql.and_if(
        " AND f.social_worker_user_id = ",
        query.social_worker.map(|u| u.to_string()),
    )
    .and_if(" AND f.phase = ", query.phase.map(i64::from))
    .page("f.last_activity_on, f.case_id", query.limit, query.offset);
    let rows = sql.fetch_all(tx).await?;
    let mut cases = Vec::with_capacity(rows.len());
    for row in &rows {
        cases.push(CaseloadRow {
            case: case_from_row(row)?,
            title: row.text("title")?,
            individual_name: row.text("individual_name")?,
            social_worker_name: row.text("social_worker_name")?,
            via_consent: row.opt_id("via_consent")?,
            categories: BTreeSet::new(),
            open: Vec::new(),
        });
    }
    let ids: Vec<CaseId> = cases.iter().map(|c| c.case.case_id).collect();
    let mut categories = open_categories(tx, &ids).await?;
    let mut open = open_follow_ups(tx, &ids).await?;
    for row in &mut cases {
        row.categories = categories.remove(&row.case.case_id).unwrap_or_default();
        row.open = open.remove(&row.case.case_id).unwrap_or_default();
    }
    Ok(cases)
}

/// Pushes `(<id>, <id> ...)`.
fn push_ids(sql: &mut Sql, ids: &[CaseId]) {
    sql.push("(");
    for (n, id) in ids.iter().enumerate() {
        if n > 0 {
            sql.push(", ");
        }
        sql.bind(id.to_string());
    }
    sql.push(")");
}

/// The categories of the open actions of each case's live progressionsplans.
async fn open_categories(
    tx: &mut impl Reads,
    ids: &[CaseId],
) -> StoreResult<BTreeMap<CaseId, BTreeSet<ActionCategory>>> {
    let mut found: BTreeMap<CaseId, BTreeSet<ActionCategory>> = BTreeMap::new();
    if ids.is_empty() {
        return Ok(found);
    }
    let mut sql = Sql::new(
        "SELECT DISTINCT p.case_id, a.category FROM plan_actions a JOIN plans p ON p.id = a.plan_id \
         WHERE a.category IS NOT NULL AND p.kind = ",
    );
    sql.bind(PlanKind::Progressionsplan.code())
        .push(" AND p.state IN (")
        .bind(PlanState::Adopted.code())
        .push(", ")
        .bind(PlanState::Revising.code())
        .push(") AND a.status IN (")
        .bind(ActionStatus::Planned.code())
        .push(", ")
        .bind(ActionStatus::Ongoing.code())
        .push(") AND p.case_id IN ");
    push_ids(&mut sql, ids);
    for row in sql.fetch_all(tx).await? {
        let number = u8::try_from(row.int("category")?).ok();
        if let Some(category) = number.and_then(ActionCategory::from_number) {
            found
                .entry(row.id("case_id")?)
                .or_default()
                .insert(category);
        }
    }
    Ok(found)
}

const FOLLOW_UP_COLUMNS: &str =
    "SELECT id, case_id, kind, anchor, due_on, fired_at FROM fordjupad_follow_ups";

fn follow_up_from_row(row: &AnyRow) -> StoreResult<OpenFollowUp> {
    Ok(OpenFollowUp {
        id: row.text("id")?,
        case_id: row.id("case_id")?,
        kind: decode_code(&row.text("kind")?, FollowUpKind::from_code)?,
        anchor: required_date(row.text("anchor")?)?,
        due_on: required_date(row.text("due_on")?)?,
        fired_at: Timestamp::from_micros(row.int("fired_at")?),
    })
}

/// Pushes ` AND cleared_at IS NULL AND kind IN (<escalating>)`.
fn push_standing(sql: &mut Sql) {
    sql.push(" AND cleared_at IS NULL AND kind IN (")
        .bind(ESCALATING[0].code())
        .push(", ")
        .bind(ESCALATING[1].code())
        .push(")");
}

/// The escalated follow-ups standing on each case.
async fn open_follow_ups(
    tx: &mut impl Reads,
    ids: &[CaseId],
) -> StoreResult<BTreeMap<CaseId, Vec<OpenFollowUp>>> {
    let mut found: BTreeMap<CaseId, Vec<OpenFollowUp>> = BTreeMap::new();
    if ids.is_empty() {
        return Ok(found);
    }
    let mut sql = Sql::new(FOLLOW_UP_COLUMNS);
    sql.push(" WHERE case_id IN ");
    push_ids(&mut sql, ids);
    push_standing(&mut sql);
    sql.push(" ORDER BY fired_at, id");
    for row in sql.fetch_all(tx).await? {
        let open = follow_up_from_row(&row)?;
        found.entry(open.case_id).or_default().push(open);
    }
    Ok(found)
}

/// An escalated follow-up in the list, with the case it stands on.
#[derive(Clone, Debug)]
pub struct EscalationRow {
    pub follow_up: OpenFollowUp,
    pub individual_id: IndividualId,
    pub individual_name: String,
    pub title: String,
    pub social_worker: UserId,
}

/// The escalated follow-ups standing on `owner`'s cases that the filter lets through,
/// oldest first.
pub async fn escalations(
    tx: &mut impl Reads,
    filter: &CaseFilter,
    owner: OrganisationId,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<EscalationRow>> {
    let mut sql = Sql::new(
        "SELECT e.id, e.case_id, e.kind, e.anchor, e.due_on, e.fired_at, c.individual_id, \
         c.title, i.name AS individual_name, f.social_worker_user_id FROM fordjupad_follow_ups e \
         JOIN fordjupad_cases f ON f.case_id = e.case_id JOIN cases c ON c.id = e.case_id \
         JOIN individual_records i ON i.id = c.individual_id AND i.organisation_id = c.owner_organisation_id \
         WHERE c.owner_organisation_id = ",
    );
    sql.bind(owner.to_string()).push(" AND ");
    filter.push_visible(&mut sql);
    sql.push(" AND e.cleared_at IS NULL AND e.kind IN (")
        .bind(ESCALATING[0].code())
        .push(", ")
        .bind(ESCALATING[1].code())
        .push(")");
    sql.page("e.fired_at, e.id", limit, offset);
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|row| {
            Ok(EscalationRow {
                follow_up: follow_up_from_row(row)?,
                individual_id: row.id("individual_id")?,
                individual_name: row.text("individual_name")?,
                title: row.text("title")?,
                social_worker: row.id("social_worker_user_id")?,
            })
        })
        .collect()
}

/// One stored follow-up by its id, standing or not.
pub async fn follow_up(tx: &mut impl Reads, id: &str) -> StoreResult<Option<OpenFollowUp>> {
    let mut sql = Sql::new(FOLLOW_UP_COLUMNS);
    sql.push(" WHERE id = ").bind(id);
    sql.fetch_optional(tx)
        .await?
        .as_ref()
        .map(follow_up_from_row)
        .transpose()
}

/// A page of every case in the caseload after `after` (by id), for the scheduler.
pub async fn all_after(
    tx: &mut impl Reads,
    after: Option<CaseId>,
    now: Timestamp,
    limit: i64,
) -> StoreResult<Vec<CaseloadCase>> {
    let mut sql = Sql::new("SELECT ");
    push_columns(&mut sql, now);
    sql.push(" FROM fordjupad_cases f JOIN cases c ON c.id = f.case_id WHERE");
    push_in_caseload(&mut sql);
    sql.and_if(" AND f.case_id > ", after.map(|a| a.to_string()))
        .push(" ORDER BY f.case_id LIMIT ")
        .bind(limit);
    sql.fetch_all(tx).await?.iter().map(case_from_row).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_bound_each() {
        let mut sql = Sql::new("x IN ");
        push_ids(&mut sql, &[CaseId::new(), CaseId::new()]);
        assert_eq!(sql.parts().0, "x IN ($1, $2)");
    }
}
