//! Fördjupad samverkan: a case brought to the rehabansvarig and every decision on it, with
//! who and why. Reads and writes take the policy's capability; the caller audits.

use chrono::NaiveDate;

pub mod caseload;
pub mod follow_ups;
pub mod steps;

use super::{decode_code, RowExt, Sql, StoreError, StoreResult, Tx};
use crate::access::policy::FordjupadAccess;
use crate::domain::fordjupad::{CaseManagerCriterion, Decision, IntakeDecision};
use crate::domain::{CaseId, OrganisationId, UserId};

/// A brought case as it stands now.
#[derive(Clone, Debug)]
pub struct FordjupadCase {
    pub case_id: CaseId,
    pub owner: OrganisationId,
    pub social_worker: UserId,
    pub brought_on: NaiveDate,
    pub note: String,
    pub decision: Option<IntakeDecision>,
    pub decided_on: Option<NaiveDate>,
    pub case_manager_until: Option<NaiveDate>,
    pub last_activity_on: NaiveDate,
}

/// One decision, as recorded.
#[derive(Clone, Debug)]
pub struct RecordedDecision {
    pub decision: Decision,
    pub decided_by: UserId,
}

fn other(what: &str) -> StoreError {
    StoreError::Other(anyhow::anyhow!("stored {what} is not valid"))
}

fn date(text: Option<String>) -> StoreResult<Option<NaiveDate>> {
    text.map(|d| d.parse().map_err(|_| other("date")))
        .transpose()
}

fn required_date(text: String) -> StoreResult<NaiveDate> {
    text.parse().map_err(|_| other("date"))
}

/// Brings the case (the access's) to the rehabansvarig. False when it was brought before.
pub async fn bring(
    tx: &mut Tx,
    access: &FordjupadAccess,
    social_worker: UserId,
    brought_on: NaiveDate,
    note: &str,
    now: i64,
) -> StoreResult<bool> {
    let case = access.case_id().to_string();
    let mut exists = Sql::new("SELECT case_id FROM fordjupad_cases WHERE case_id = ");
    exists.bind(case.as_str());
    if exists.fetch_optional(tx).await?.is_some() {
        return Ok(false);
    }
    let mut sql = Sql::new(
        "INSERT INTO fordjupad_cases (case_id, owner_organisation_id, social_worker_user_id, \
         brought_on, note, last_activity_on, created_at, updated_at) VALUES (",
    );
    sql.bind(case.as_str())
        .push(", ")
        .bind(access.owner().to_string())
        .push(", ")
        .bind(social_worker.to_string())
        .push(", ")
        .bind(brought_on.to_string())
        .push(", ")
        .bind(note)
        .push(", ");
    sql.bind(brought_on.to_string())
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(")");
    sql.execute(tx).await?;
    Ok(true)
}

/// The brought case, if it was brought.
pub async fn get(tx: &mut Tx, access: &FordjupadAccess) -> StoreResult<Option<FordjupadCase>> {
    let mut sql = Sql::new(
        "SELECT case_id, owner_organisation_id, social_worker_user_id, brought_on, note, \
         decision, decided_on, case_manager_until, last_activity_on \
         FROM fordjupad_cases WHERE case_id = ",
    );
    sql.bind(access.case_id().to_string());
    let Some(row) = sql.fetch_optional(tx).await? else {
        return Ok(None);
    };
    Ok(Some(FordjupadCase {
        case_id: row.id("case_id")?,
        owner: row.id("owner_organisation_id")?,
        social_worker: row.id("social_worker_user_id")?,
        brought_on: required_date(row.text("brought_on")?)?,
        note: row.text("note")?,
        decision: row
            .opt_text("decision")?
            .map(|d| decode_code(&d, IntakeDecision::from_code))
            .transpose()?,
        decided_on: date(row.opt_text("decided_on")?)?,
        case_manager_until: date(row.opt_text("case_manager_until")?)?,
        last_activity_on: required_date(row.text("last_activity_on")?)?,
    }))
}

/// Records a decision and makes it the case's current one; the decision day is activity.
pub async fn decide(
    tx: &mut Tx,
    access: &FordjupadAccess,
    decided_by: UserId,
    decision: &Decision,
    now: i64,
) -> StoreResult<()> {
    let case = access.case_id().to_string();
    let criteria: Vec<&str> = decision.criteria.iter().map(|c| c.code()).collect();
    let criteria = serde_json::to_string(&criteria).map_err(|e| StoreError::Other(e.into()))?;
    let until = decision.case_manager_until.map(|d| d.to_string());
    let mut sql = Sql::new(
        "INSERT INTO fordjupad_decisions (id, case_id, decision, decided_on, reason, criteria, \
         case_manager_until, decided_by_user_id, recorded_at) VALUES (",
    );
    sql.bind(uuid::Uuid::new_v4().to_string())
        .push(", ")
        .bind(case.as_str())
        .push(", ")
        .bind(decision.decision.code())
        .push(", ")
        .bind(decision.decided_on.to_string())
        .push(", ");
    sql.bind(decision.reason.as_str())
        .push(", ")
        .bind(criteria)
        .push(", ")
        .bind(until.clone())
        .push(", ")
        .bind(decided_by.to_string())
        .push(", ")
        .bind(now)
        .push(")");
    sql.execute(tx).await?;
    let mut update = Sql::new("UPDATE fordjupad_cases SET decision = ");
    update
        .bind(decision.decision.code())
        .push(", decided_on = ")
        .bind(decision.decided_on.to_string())
        .push(", case_manager_until = ")
        .bind(until)
        .push(", last_activity_on = CASE WHEN last_activity_on < ")
        .bind(decision.decided_on.to_string())
        .push(" THEN ")
        .bind(decision.decided_on.to_string())
        .push(" ELSE last_activity_on END, updated_at = ")
        .bind(now)
        .push(" WHERE case_id = ")
        .bind(case.as_str());
    update.execute(tx).await?;
    let at = crate::domain::Timestamp::from_micros(now);
    follow_ups::clear(tx, access.case_id(), Some(decided_by), None, at).await?;
    Ok(())
}

/// Every decision on the case, oldest first.
pub async fn decisions(
    tx: &mut Tx,
    access: &FordjupadAccess,
) -> StoreResult<Vec<RecordedDecision>> {
    let mut sql = Sql::new(
        "SELECT decision, decided_on, reason, criteria, case_manager_until, decided_by_user_id \
         FROM fordjupad_decisions WHERE case_id = ",
    );
    sql.bind(access.case_id().to_string())
        .push(" ORDER BY recorded_at, id");
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|row| {
            let codes: Vec<String> =
                serde_json::from_str(&row.text("criteria")?).map_err(|_| other("criteria"))?;
            let criteria = codes
                .iter()
                .map(|c| decode_code(c, CaseManagerCriterion::from_code))
                .collect::<StoreResult<_>>()?;
            Ok(RecordedDecision {
                decision: Decision {
                    decision: decode_code(&row.text("decision")?, IntakeDecision::from_code)?,
                    decided_on: required_date(row.text("decided_on")?)?,
                    reason: row.text("reason")?,
                    criteria,
                    case_manager_until: date(row.opt_text("case_manager_until")?)?,
                },
                decided_by: row.id("decided_by_user_id")?,
            })
        })
        .collect()
}

/// One phase assessment, as recorded.
#[derive(Clone, Debug)]
pub struct RecordedPhase {
    pub scale: crate::domain::fordjupad::PhaseScale,
    pub phase: u8,
    /// The end state reached, for the scale's top phase only.
    pub outcome: Option<crate::domain::fordjupad::PhaseOutcome>,
    pub assessed_on: NaiveDate,
    pub reason: String,
    pub assessed_by: UserId,
}

/// Records a phase assessment (of a brought case); the latest assessed is the case's phase,
/// the day is activity.
pub async fn assess_phase(
    tx: &mut Tx,
    access: &FordjupadAccess,
    phase: &RecordedPhase,
    now: i64,
) -> StoreResult<()> {
    let case = access.case_id().to_string();
    let day = phase.assessed_on.to_string();
    let mut sql = Sql::new(
        "INSERT INTO fordjupad_phases (id, case_id, scale, phase, outcome, assessed_on, reason, \
         assessed_by_user_id, recorded_at) VALUES (",
    );
    sql.bind(uuid::Uuid::new_v4().to_string())
        .push(", ")
        .bind(case.as_str())
        .push(", ")
        .bind(phase.scale.code())
        .push(", ")
        .bind(i64::from(phase.phase))
        .push(", ")
        .bind(phase.outcome.map(|o| o.code()))
        .push(", ")
        .bind(day.as_str())
        .push(", ");
    sql.bind(phase.reason.as_str())
        .push(", ")
        .bind(phase.assessed_by.to_string())
        .push(", ")
        .bind(now)
        .push(")");
    sql.execute(tx).await?;
    let mut update = Sql::new("UPDATE fordjupad_cases SET phase = (SELECT p.phase FROM fordjupad_phases p WHERE p.case_id = ");
    update
        .bind(case.as_str())
        .push(" ORDER BY p.assessed_on DESC, p.recorded_at DESC LIMIT 1), last_activity_on = CASE WHEN last_activity_on < ")
        .bind(day.as_str())
        .push(" THEN ")
        .bind(day.as_str())
        .push(" ELSE last_activity_on END, updated_at = ")
        .bind(now)
        .push(" WHERE case_id = ")
        .bind(case.as_str());
    update.execute(tx).await?;
    let at = crate::domain::Timestamp::from_micros(now);
    follow_ups::clear(tx, access.case_id(), Some(phase.assessed_by), None, at).await?;
    Ok(())
}

/// The case's phase timeline, oldest first.
pub async fn phases(tx: &mut Tx, access: &FordjupadAccess) -> StoreResult<Vec<RecordedPhase>> {
    let mut sql = Sql::new(
        "SELECT scale, phase, outcome, assessed_on, reason, assessed_by_user_id FROM fordjupad_phases \
         WHERE case_id = ",
    );
    sql.bind(access.case_id().to_string())
        .push(" ORDER BY assessed_on, recorded_at");
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|row| {
            Ok(RecordedPhase {
                scale: decode_code(
                    &row.text("scale")?,
                    crate::domain::fordjupad::PhaseScale::from_code,
                )?,
                phase: u8::try_from(row.int("phase")?).map_err(|_| other("phase"))?,
                outcome: row
                    .opt_text("outcome")?
                    .map(|c| decode_code(&c, crate::domain::fordjupad::PhaseOutcome::from_code))
                    .transpose()?,
                assessed_on: required_date(row.text("assessed_on")?)?,
                reason: row.text("reason")?,
                assessed_by: row.id("assessed_by_user_id")?,
            })
        })
        .collect()
}

/// One target-group coding, as recorded.
#[derive(Clone, Debug)]
pub struct RecordedCoding {
    pub coding: crate::domain::fordjupad::Coding,
    pub coded_by: UserId,
    pub recorded_at: i64,
}

/// Records a new coding of the case (the latest is the caseload's). A coding describes the
/// person and does not move the case on, so it is not activity for the idle rule.
pub async fn code(
    tx: &mut Tx,
    access: &FordjupadAccess,
    coding: &RecordedCoding,
) -> StoreResult<()> {
    let case = access.case_id().to_string();
    let codes: Vec<&str> = coding.coding.codes.iter().map(|c| c.code()).collect();
    let codes = serde_json::to_string(&codes).map_err(|e| StoreError::Other(e.into()))?;
    let mut sql = Sql::new(
        "INSERT INTO fordjupad_codings (id, case_id, codes, months_on_assistance, \
         coded_by_user_id, recorded_at) VALUES (",
    );
    sql.bind(uuid::Uuid::new_v4().to_string())
        .push(", ")
        .bind(case.as_str())
        .push(", ")
        .bind(codes)
        .push(", ")
        .bind(coding.coding.months_on_assistance.map(i64::from))
        .push(", ")
        .bind(coding.coded_by.to_string())
        .push(", ")
        .bind(coding.recorded_at)
        .push(")");
    sql.execute(tx).await?;
    Ok(())
}

/// Every coding of the case, oldest first.
pub async fn codings(tx: &mut Tx, access: &FordjupadAccess) -> StoreResult<Vec<RecordedCoding>> {
    let mut sql = Sql::new(
        "SELECT codes, months_on_assistance, coded_by_user_id, recorded_at FROM \
         fordjupad_codings WHERE case_id = ",
    );
    sql.bind(access.case_id().to_string())
        .push(" ORDER BY recorded_at, id");
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|row| {
            let stored: Vec<String> =
                serde_json::from_str(&row.text("codes")?).map_err(|_| other("codes"))?;
            let codes = stored
                .iter()
                .map(|c| decode_code(c, crate::domain::fordjupad::TargetGroupCode::from_code))
                .collect::<StoreResult<_>>()?;
            let months = row
                .opt_int("months_on_assistance")?
                .map(|m| u16::try_from(m).map_err(|_| other("months")))
                .transpose()?;
            Ok(RecordedCoding {
                coding: crate::domain::fordjupad::Coding {
                    codes,
                    months_on_assistance: months,
                },
                coded_by: row.id("coded_by_user_id")?,
                recorded_at: row.int("recorded_at")?,
            })
        })
        .collect()
}
