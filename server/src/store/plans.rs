//! Joint plans (samverkansplaner): the plan row with its life-cycle state and open draft, the
//! adopted versions (kept exactly as adopted), and the latest adopted version's parties and
//! actions. Every read takes a policy value: a `PlanAccess` for one plan, a `PlanFilter`
//! for a list. Actions and "Våra åtaganden" are in `actions`, the reminders' queries in
//! `reminders`.

pub mod actions;
pub mod reminders;

use super::{cases, decode_code, RowExt, Sql, StoreError, StoreResult, Tx};
use crate::access::policy::{CaseFacts, CaseWrite, PlanAccess, PlanFacts, PlanFilter};
use crate::domain::plan::{Participation, PlanContent, PlanKind, PlanState};
use crate::domain::{
    CaseId, FinsamReferralId, OrganisationId, PlanActionId, PlanId, SipCallId, Timestamp, UserId,
};

pub(super) fn json_error(err: serde_json::Error) -> StoreError {
    StoreError::Other(err.into())
}

fn to_json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(json_error)
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(json_error)
}

/// A plan's facts and its case's, in two round trips. Not for display.
pub async fn facts_with_case(
    tx: &mut Tx,
    id: PlanId,
) -> StoreResult<Option<(PlanFacts, Option<CaseFacts>)>> {
    let columns = "s.kind, s.state, s.owner_organisation_id";
    let found = cases::facts_with(tx, "plans", columns, id, |row| {
        Ok(PlanFacts {
            case_id: row.id("case_id")?,
            owner: row.id("owner_organisation_id")?,
            kind: decode_code(&row.text("kind")?, PlanKind::from_code)?,
            state: decode_code(&row.text("state")?, PlanState::from_code)?,
            parties: Vec::new(),
        })
    })
    .await?;
    let Some((mut facts, case)) = found else {
        return Ok(None);
    };
    facts.parties = parties(tx, id).await?;
    Ok(Some((facts, case)))
}

/// The organisations the latest adopted version names.
pub async fn parties(tx: &mut Tx, id: PlanId) -> StoreResult<Vec<OrganisationId>> {
    let mut sql = Sql::new("SELECT organisation_id FROM plan_parties WHERE plan_id = ");
    sql.bind(id.to_string()).push(" ORDER BY organisation_id");
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|r| r.id("organisation_id"))
        .collect()
}

/// One adopted version, exactly as adopted.
#[derive(Clone, Debug)]
pub struct AdoptedVersion {
    pub version: i64,
    pub adopted_at: Timestamp,
    pub adopted_by: UserId,
    pub participation: Participation,
    pub content: PlanContent,
}

/// A plan as stored.
#[derive(Clone, Debug)]
pub struct Plan {
    pub id: PlanId,
    pub case_id: CaseId,
    pub kind: PlanKind,
    pub state: PlanState,
    pub owner_organisation_id: OrganisationId,
    pub title: Option<String>,
    pub sip_call_id: Option<SipCallId>,
    /// The Finsam referral a Finsamteam plan was made for.
    pub finsam_referral_id: Option<FinsamReferralId>,
    pub version: i64,
    pub draft: Option<PlanContent>,
    /// The latest adopted version, its actions with their current status.
    pub adopted: Option<AdoptedVersion>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

const VIEW: &str = "SELECT p.id, p.case_id, p.kind, p.state, p.owner_organisation_id, p.title, \
     p.sip_call_id, p.finsam_referral_id, p.version, p.draft, p.created_at, p.updated_at";
const FROM: &str = " FROM plans p JOIN cases c ON c.id = p.case_id \
     JOIN individual_records i ON i.id = c.individual_id AND i.organisation_id = c.owner_organisation_id";

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<Plan> {
    Ok(Plan {
        id: row.id("id")?,
        case_id: row.id("case_id")?,
        kind: decode_code(&row.text("kind")?, PlanKind::from_code)?,
        state: decode_code(&row.text("state")?, PlanState::from_code)?,
        owner_organisation_id: row.id("owner_organisation_id")?,
        title: row.opt_text("title")?,
        sip_call_id: row.opt_id("sip_call_id")?,
        finsam_referral_id: row.opt_id("finsam_referral_id")?,
        version: row.int("version")?,
        draft: row.opt_text("draft")?.map(|d| from_json(&d)).transpose()?,
        adopted: None,
        created_at: Timestamp::from_micros(row.int("created_at")?),
        updated_at: Timestamp::from_micros(row.int("updated_at")?),
    })
}

/// What a new plan was made from: a SIP call, a Finsam referral (each checked by the caller).
#[derive(Clone, Copy, Debug, Default)]
pub struct PlanLinks {
    pub sip_call_id: Option<SipCallId>,
    pub finsam_referral_id: Option<FinsamReferralId>,
}

/// A new, empty draft in the case the writer may change.
pub async fn insert(
    tx: &mut Tx,
    write: &CaseWrite,
    id: PlanId,
    kind: PlanKind,
    title: Option<&str>,
    links: PlanLinks,
    by: UserId,
) -> StoreResult<()> {
    let access = write.access();
    let now = Timestamp::now().micros();
    let mut sql = Sql::new(
        "INSERT INTO plans (id, case_id, owner_organisation_id, kind, state, title, sip_call_id, \
         finsam_referral_id, version, draft, created_by_user_id, created_at, updated_at) VALUES (",
    );
    sql.bind(id.to_string())
        .push(", ")
        .bind(access.case_id().to_string())
        .push(", ")
        .bind(access.owner().to_string())
        .push(", ");
    sql.bind(kind.code())
        .push(", ")
        .bind(PlanState::Draft.code())
        .push(", ")
        .bind(title)
        .push(", ");
    sql.bind(links.sip_call_id.map(|s| s.to_string()))
        .push(", ")
        .bind(links.finsam_referral_id.map(|s| s.to_string()))
        .push(", 0, ")
        .bind(to_json(&PlanContent::default())?)
        .push(", ")
        .bind(by.to_string())
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(")");
    sql.execute(tx).await?;
    Ok(())
}

/// One plan with its latest adopted version (current action statuses).
pub async fn get(tx: &mut Tx, access: &PlanAccess) -> StoreResult<Plan> {
    let mut sql = Sql::new(VIEW);
    sql.push(FROM)
        .push(" WHERE p.id = ")
        .bind(access.plan_id().to_string());
    let row = sql.fetch_optional(tx).await?.ok_or(StoreError::NotFound)?;
    let mut plan = from_row(&row)?;
    complete(tx, &mut plan).await?;
    Ok(plan)
}

/// Fills in the latest adopted version with the actions' current status.
async fn complete(tx: &mut Tx, plan: &mut Plan) -> StoreResult<()> {
    if plan.version == 0 {
        return Ok(());
    }
    let mut adopted = version_of(tx, plan.id, plan.version).await?;
    let now = actions::current(tx, plan.id).await?;
    for action in &mut adopted.content.actions {
        if let Some(current) = now.iter().find(|a| a.action.id == action.id) {
            *action = current.action.clone();
        }
    }
    plan.adopted = Some(adopted);
    Ok(())
}

/// The plans of one case the filter lets the caller see, oldest first.
pub async fn list_for_case(
    tx: &mut Tx,
    filter: &PlanFilter,
    case_id: CaseId,
) -> StoreResult<Vec<(Plan, PlanAccess)>> {
    let mut sql = Sql::new(VIEW);
    sql.push(", c.individual_id, ");
    filter.push_grant(&mut sql);
    sql.push(" AS via_consent");
    sql.push(FROM)
        .push(" WHERE p.case_id = ")
        .bind(case_id.to_string());
    sql.push(" AND ");
    filter.push_visible(&mut sql);
    sql.push(" ORDER BY p.created_at, p.id");
    let rows = sql.fetch_all(tx).await?;
    let mut plans = Vec::with_capacity(rows.len());
    for row in rows {
        let mut plan = from_row(&row)?;
        let access = filter.access_for(
            plan.id,
            plan.kind,
            plan.state,
            plan.case_id,
            row.id("individual_id")?,
            plan.owner_organisation_id,
            row.opt_id("via_consent")?,
        );
        complete(tx, &mut plan).await?;
        plans.push((plan, access));
    }
    Ok(plans)
}

fn push_where_state(sql: &mut Sql, access: &PlanAccess) {
    sql.push(" WHERE id = ")
        .bind(access.plan_id().to_string())
        .push(" AND state = ")
        .bind(access.state().code());
}

/// Rewrites the open draft. False when the plan changed state meanwhile.
pub async fn save_draft(
    tx: &mut Tx,
    access: &PlanAccess,
    content: &PlanContent,
) -> StoreResult<bool> {
    let mut sql = Sql::new("UPDATE plans SET draft = ");
    sql.bind(to_json(content)?)
        .push(", updated_at = ")
        .bind(Timestamp::now().micros());
    push_where_state(&mut sql, access);
    Ok(sql.execute(tx).await? == 1)
}

/// Moves the plan to `to`, setting or clearing the draft. False when it changed meanwhile.
pub async fn set_state(
    tx: &mut Tx,
    access: &PlanAccess,
    to: PlanState,
    draft: Option<&PlanContent>,
) -> StoreResult<bool> {
    let mut sql = Sql::new("UPDATE plans SET state = ");
    sql.bind(to.code())
        .push(", draft = ")
        .bind(draft.map(to_json).transpose()?)
        .push(", updated_at = ")
        .bind(Timestamp::now().micros());
    push_where_state(&mut sql, access);
    Ok(sql.execute(tx).await? == 1)
}

/// Deletes a never-adopted draft. False when it changed meanwhile.
pub async fn delete_draft(tx: &mut Tx, access: &PlanAccess) -> StoreResult<bool> {
    let mut sql = Sql::new("DELETE FROM plans");
    push_where_state(&mut sql, access);
    sql.push(" AND version = 0");
    Ok(sql.execute(tx).await? == 1)
}

/// Adopts `content` as the next version: the version row (never changed again), the plan's
/// state and number, and the parties and actions the version names. False when the plan
/// changed meanwhile.
pub async fn adopt(
    tx: &mut Tx,
    access: &PlanAccess,
    content: &PlanContent,
    participation: &Participation,
    by: UserId,
) -> StoreResult<Option<i64>> {
    let now = Timestamp::now().micros();
    let id = access.plan_id().to_string();
    let mut sql = Sql::new("UPDATE plans SET state = ");
    sql.bind(PlanState::Adopted.code())
        .push(", draft = NULL, version = version + 1, follow_up_on = ")
        .bind(content.follow_up_on.map(|d| d.to_string()))
        .push(", updated_at = ")
        .bind(now);
    push_where_state(&mut sql, access);
    if sql.execute(tx).await? != 1 {
        return Ok(None);
    }
    let mut sql = Sql::new("SELECT version FROM plans WHERE id = ");
    sql.bind(id.as_str());
    let version = sql
        .fetch_optional(tx)
        .await?
        .ok_or(StoreError::NotFound)?
        .int("version")?;
    let mut sql = Sql::new(
        "INSERT INTO plan_versions (plan_id, version, adopted_at, adopted_by_user_id, \
         participation, content) VALUES (",
    );
    sql.bind(id.as_str())
        .push(", ")
        .bind(version)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(by.to_string())
        .push(", ");
    sql.bind(to_json(participation)?)
        .push(", ")
        .bind(to_json(content)?)
        .push(")");
    sql.execute(tx).await?;
    let mut sql = Sql::new("DELETE FROM plan_parties WHERE plan_id = ");
    sql.bind(id.as_str());
    sql.execute(tx).await?;
    for org in content.organisations() {
        let mut sql = Sql::new("INSERT INTO plan_parties (plan_id, organisation_id) VALUES (");
        sql.bind(id.as_str())
            .push(", ")
            .bind(org.to_string())
            .push(")");
        sql.execute(tx).await?;
    }
    actions::replace(tx, access.plan_id(), content, now).await?;
    Ok(Some(version))
}

/// The plan's current state, to name it when a step lost a race.
pub async fn current_state(tx: &mut Tx, access: &PlanAccess) -> StoreResult<PlanState> {
    let mut sql = Sql::new("SELECT state FROM plans WHERE id = ");
    sql.bind(access.plan_id().to_string());
    let row = sql.fetch_optional(tx).await?.ok_or(StoreError::NotFound)?;
    decode_code(&row.text("state")?, PlanState::from_code)
}

/// Who adopted which version and when, oldest first.
pub async fn versions(
    tx: &mut Tx,
    access: &PlanAccess,
) -> StoreResult<Vec<(i64, Timestamp, UserId)>> {
    let mut sql = Sql::new(
        "SELECT version, adopted_at, adopted_by_user_id FROM plan_versions WHERE plan_id = ",
    );
    sql.bind(access.plan_id().to_string())
        .push(" ORDER BY version");
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.int("version")?,
                Timestamp::from_micros(r.int("adopted_at")?),
                r.id("adopted_by_user_id")?,
            ))
        })
        .collect()
}

/// One version exactly as adopted (`NotFound` when there is no such version).
pub async fn version(
    tx: &mut Tx,
    access: &PlanAccess,
    version: i64,
) -> StoreResult<AdoptedVersion> {
    version_of(tx, access.plan_id(), version).await
}

async fn version_of(tx: &mut Tx, id: PlanId, version: i64) -> StoreResult<AdoptedVersion> {
    let mut sql = Sql::new(
        "SELECT version, adopted_at, adopted_by_user_id, participation, content \
         FROM plan_versions WHERE plan_id = ",
    );
    sql.bind(id.to_string())
        .push(" AND version = ")
        .bind(version);
    let row = sql.fetch_optional(tx).await?.ok_or(StoreError::NotFound)?;
    Ok(AdoptedVersion {
        version: row.int("version")?,
        adopted_at: Timestamp::from_micros(row.int("adopted_at")?),
        adopted_by: row.id("adopted_by_user_id")?,
        participation: from_json(&row.text("participation")?)?,
        content: from_json(&row.text("content")?)?,
    })
}

/// The adopted plans of `case_ids` with each one's actions (id, responsible organisation,
/// open), for finding who lost consent. Not for display.
pub async fn adopted_in_cases(
    tx: &mut Tx,
    case_ids: &[CaseId],
) -> StoreResult<
    Vec<(
        PlanId,
        CaseId,
        PlanKind,
        Vec<(PlanActionId, OrganisationId, bool)>,
    )>,
> {
    let mut found = Vec::new();
    for case_id in case_ids {
        let mut sql = Sql::new("SELECT id, kind FROM plans WHERE case_id = ");
        sql.bind(case_id.to_string())
            .push(" AND version > 0 AND state <> ")
            .bind(PlanState::Closed.code())
            .push(" ORDER BY id");
        for row in sql.fetch_all(tx).await? {
            let id: PlanId = row.id("id")?;
            let kind = decode_code(&row.text("kind")?, PlanKind::from_code)?;
            let held = actions::current(tx, id)
                .await?
                .into_iter()
                .map(|a| {
                    (
                        a.action.id,
                        a.action.responsible.organisation,
                        a.action.status.is_open(),
                    )
                })
                .collect();
            found.push((id, *case_id, kind, held));
        }
    }
    Ok(found)
}
