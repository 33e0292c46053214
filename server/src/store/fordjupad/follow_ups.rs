//! The follow-up rules' side of the store: each follow-up fired once, claimed by its primary
//! key (case, kind, anchor) in the transaction that tells of it; activity on a case (an
//! action changed, a meeting booked, a phase assessed, a decision) clears the escalations
//! standing on it; an explicit clearing with a note.

use chrono::NaiveDate;

use super::caseload::ESCALATING;
use crate::domain::event::{Detail, NewEvent};
use crate::domain::fordjupad::{FollowUp, FollowUpKind};
use crate::domain::{CaseId, EventKind, Timestamp, UserId};
use crate::store::{decode_code, RowExt, Sql, StoreResult, Tx};

/// Claims `follow_up` of the case: its new id when this transaction fired it first (it then
/// goes out in it); `None` when it was fired before, here or on another node.
pub async fn claim(
    tx: &mut Tx,
    case: CaseId,
    follow_up: &FollowUp,
    now: Timestamp,
) -> StoreResult<Option<String>> {
    let id = uuid::Uuid::now_v7().to_string();
    let mut sql = Sql::new(
        "INSERT INTO fordjupad_follow_ups (case_id, kind, anchor, due_on, fired_at, id) VALUES (",
    );
    sql.bind(case.to_string())
        .push(", ")
        .bind(follow_up.kind.code())
        .push(", ")
        .bind(follow_up.anchor.to_string())
        .push(", ")
        .bind(follow_up.due_on.to_string())
        .push(", ")
        .bind(now.micros())
        .push(", ")
        .bind(id.as_str())
        .push(") ON CONFLICT (case_id, kind, anchor) DO NOTHING");
    Ok((sql.execute(tx).await? == 1).then_some(id))
}

/// Clears the escalations standing on the case: someone acted on it (`by`, when known), or
/// took one over explicitly with `note` (then only `only`). The number cleared.
pub async fn clear(
    tx: &mut Tx,
    case: CaseId,
    by: Option<UserId>,
    only: Option<(&str, &str)>,
    now: Timestamp,
) -> StoreResult<u64> {
    let mut sql = Sql::new("UPDATE fordjupad_follow_ups SET cleared_at = ");
    sql.bind(now.micros())
        .push(", cleared_by_user_id = ")
        .bind(by.map(|u| u.to_string()))
        .push(", cleared_note = ")
        .bind(only.map(|(_, note)| note.to_owned()))
        .push(" WHERE case_id = ")
        .bind(case.to_string())
        .push(" AND cleared_at IS NULL AND kind IN (")
        .bind(ESCALATING[0].code())
        .push(", ")
        .bind(ESCALATING[1].code())
        .push(")");
    if let Some((id, _)) = only {
        sql.push(" AND id = ").bind(id);
    }
    sql.execute(tx).await
}

/// Something happened on the case on `day`: it is its latest activity if later than the
/// recorded one, and the escalations standing on it are cleared (`by` acted). A meeting
/// booked is also the avstämning the recommendations wait for.
pub async fn note_activity(
    tx: &mut Tx,
    case: CaseId,
    day: NaiveDate,
    meeting_booked: bool,
    by: Option<UserId>,
    now: Timestamp,
) -> StoreResult<()> {
    let day = day.to_string();
    let mut sql =
        Sql::new("UPDATE fordjupad_cases SET last_activity_on = CASE WHEN last_activity_on < ");
    sql.bind(day.as_str())
        .push(" THEN ")
        .bind(day.as_str())
        .push(" ELSE last_activity_on END");
    if meeting_booked {
        sql.push(", avstamning_booked_on = ").bind(day.as_str());
    }
    sql.push(", updated_at = ")
        .bind(now.micros())
        .push(" WHERE case_id = ")
        .bind(case.to_string());
    if sql.execute(tx).await? > 0 {
        clear(tx, case, by, None, now).await?;
    }
    Ok(())
}

/// What of an event is activity on a fördjupad case: an action changed or a plan changed,
/// adopted or closed; a meeting booked or moved (`true`: booked, the avstämning); a phase
/// assessed, a decision, a coding or a step of an action recorded.
pub fn activity_of(kind: EventKind) -> Option<bool> {
    match kind {
        EventKind::MeetingInvited => Some(true),
        EventKind::MeetingUpdated
        | EventKind::PlanCreated
        | EventKind::PlanChanged
        | EventKind::PlanAdopted
        | EventKind::PlanClosed
        | EventKind::PlanActionUpdated => Some(false),
        _ => None,
    }
}

/// Notes the activity of a commit's events on the fördjupad cases they concern (run at
/// commit, in its transaction, before the notification rules).
pub async fn note_events(tx: &mut Tx, events: &[NewEvent]) -> StoreResult<()> {
    let now = Timestamp::now();
    let today = now.to_datetime().date_naive();
    for event in events {
        let (Some(case), Some(booked)) = (event.case_id, activity_of(event.kind)) else {
            continue;
        };
        let by = match event.detail {
            Detail::By { user, .. } => Some(user),
            _ => None,
        };
        note_activity(tx, case, today, booked, by, now).await?;
    }
    Ok(())
}

/// The follow-ups fired on a case and whether each is cleared, oldest first (for tests and
/// the case's page).
pub async fn fired(tx: &mut Tx, case: CaseId) -> StoreResult<Vec<(FollowUp, bool)>> {
    let mut sql = Sql::new(
        "SELECT kind, anchor, due_on, cleared_at FROM fordjupad_follow_ups WHERE case_id = ",
    );
    sql.bind(case.to_string()).push(" ORDER BY fired_at, kind");
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|row| {
            Ok((
                FollowUp {
                    kind: decode_code(&row.text("kind")?, FollowUpKind::from_code)?,
                    anchor: super::required_date(row.text("anchor")?)?,
                    due_on: super::required_date(row.text("due_on")?)?,
                },
                row.opt_int("cleared_at")?.is_some(),
            ))
        })
        .collect()
}
