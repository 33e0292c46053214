//! SIP calls (kallelse till SIP): the call in a case and each called organisation's answer.
//! Every read takes a policy value: a `SipCallAccess` for one call, a `SipCallFilter` for a
//! list; a new call a `SipCallWrite`. Answers are in `answers`, chasing in `chase`.

pub mod answers;
pub mod chase;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{cases, decode_code, RowExt, Sql, StoreError, StoreResult, Tx};
use crate::access::policy::{CaseFacts, SipCallAccess, SipCallFacts, SipCallFilter, SipCallWrite};
use crate::domain::event::{Audience, Detail, NewEvent};
use crate::domain::sip::{AttendeeRole, CallAnswer, CallState, Obligation, SipDeclineReason};
use crate::domain::{
    CaseId, ConsentId, EventKind, IndividualId, MeetingId, OrganisationId, PlanId, Purpose,
    SipCallId, Timestamp, UserId,
};

pub use answers::Answer;

/// A time span (a proposed time of the meeting).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeSlot {
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
}

/// A `TimeSlot` as stored in JSON: microseconds.
#[derive(Serialize, Deserialize)]
struct StoredSlot {
    starts_at: i64,
    ends_at: i64,
}

fn slots_json(slots: &[TimeSlot]) -> StoreResult<String> {
    let stored: Vec<StoredSlot> = slots
        .iter()
        .map(|s| StoredSlot {
            starts_at: s.starts_at.micros(),
            ends_at: s.ends_at.micros(),
        })
        .collect();
    serde_json::to_string(&stored).map_err(json_error)
}

fn slots_of(json: &str) -> StoreResult<Vec<TimeSlot>> {
    let stored: Vec<StoredSlot> = serde_json::from_str(json).map_err(json_error)?;
    Ok(stored
        .into_iter()
        .map(|s| TimeSlot {
            starts_at: Timestamp::from_micros(s.starts_at),
            ends_at: Timestamp::from_micros(s.ends_at),
        })
        .collect())
}

/// Someone without an account who is to come: the individual, a relative.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedAttendee {
    pub name: String,
    pub role: AttendeeRole,
}

/// A called organisation and its answer.
#[derive(Clone, Debug)]
pub struct Party {
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    pub obligation: Obligation,
    pub answer: CallAnswer,
    pub answered_at: Option<Timestamp>,
    pub answered_by: Option<UserId>,
    /// Who comes, with their names.
    pub coming: Vec<(UserId, String)>,
    pub proposed_time: Option<TimeSlot>,
    pub decline_reason: Option<SipDeclineReason>,
    pub text: Option<String>,
    pub chased_at: Option<Timestamp>,
}

/// A call as its caller and called organisations see it.
#[derive(Clone, Debug)]
pub struct SipCall {
    pub id: SipCallId,
    pub case_id: CaseId,
    pub individual_id: IndividualId,
    /// As the case owner recorded it (seen by whoever sees the call).
    pub individual_name: String,
    pub owner_organisation_id: OrganisationId,
    pub caller_organisation_id: OrganisationId,
    pub caller_organisation_name: String,
    pub caller_user_id: UserId,
    pub caller_user_name: String,
    pub state: CallState,
    pub purpose_text: String,
    pub questions: String,
    pub proposed_times: Vec<TimeSlot>,
    pub attendees: Vec<NamedAttendee>,
    pub requested_by_individual_on: Option<NaiveDate>,
    pub meeting_id: Option<MeetingId>,
    pub meeting_on: Option<NaiveDate>,
    pub plan_id: Option<PlanId>,
    pub called_at: Timestamp,
    pub updated_at: Timestamp,
    pub parties: Vec<Party>,
    /// The consent a listed row is seen under (lists only).
    pub via_consent: Option<ConsentId>,
}

/// A new call, as checked by the handler.
#[derive(Clone, Debug)]
pub struct NewSipCall {
    pub id: SipCallId,
    pub caller_user: UserId,
    pub purpose_text: String,
    pub questions: String,
    pub proposed_times: Vec<TimeSlot>,
    pub attendees: Vec<NamedAttendee>,
    pub requested_by_individual_on: Option<NaiveDate>,
    pub parties: Vec<(OrganisationId, Obligation)>,
}

pub(super) fn json_error(err: serde_json::Error) -> StoreError {
    StoreError::Other(err.into())
}

fn parse_date(text: &str) -> StoreResult<NaiveDate> {
    text.parse()
        .map_err(|_| StoreError::Other(anyhow::anyhow!("a stored SIP date is not a date")))
}

/// A call's facts and its case's, in two round trips. Not for display.
pub async fn facts_with_case(
    tx: &mut Tx,
    id: SipCallId,
) -> StoreResult<Option<(SipCallFacts, Option<CaseFacts>)>> {
    let found = cases::facts_with(
        tx,
        "sip_calls",
        "s.caller_organisation_id, s.state",
        id,
        |row| {
            Ok(SipCallFacts {
                case_id: row.id("case_id")?,
                caller: row.id("caller_organisation_id")?,
                parties: Vec::new(),
                state: decode_code(&row.text("state")?, CallState::from_code)?,
            })
        },
    )
    .await?;
    let Some((mut facts, case)) = found else {
        return Ok(None);
    };
    let mut parties = Sql::new("SELECT organisation_id FROM sip_call_parties WHERE call_id = ");
    parties
        .bind(id.to_string())
        .push(" ORDER BY organisation_id");
    facts.parties = parties
        .fetch_all(tx)
        .await?
        .iter()
        .map(|r| r.id("organisation_id"))
        .collect::<StoreResult<Vec<OrganisationId>>>()?;
    Ok(Some((facts, case)))
}

/// Writes the call and a pending answer row for each called organisation.
pub async fn insert(
    tx: &mut Tx,
    write: &SipCallWrite,
    new: &NewSipCall,
    now: Timestamp,
) -> StoreResult<()> {
    let case = write.case();
    let mut sql = Sql::new(
        "INSERT INTO sip_calls (id, case_id, individual_id, caller_organisation_id, caller_user_id, \
         state, purpose_text, questions, proposed_times, attendees, requested_by_individual_on, \
         called_at, updated_at) VALUES (",
    );
    sql.bind(new.id.to_string())
        .push(", ")
        .bind(case.case_id().to_string())
        .push(", ")
        .bind(case.individual_id().to_string())
        .push(", ");
    sql.bind(case.owner().to_string())
        .push(", ")
        .bind(new.caller_user.to_string())
        .push(", ")
        .bind(CallState::Called.code())
        .push(", ");
    sql.bind(new.purpose_text.as_str())
        .push(", ")
        .bind(new.questions.as_str())
        .push(", ")
        .bind(slots_json(&new.proposed_times)?)
        .push(", ");
    sql.bind(serde_json::to_string(&new.attendees).map_err(json_error)?)
        .push(", ")
        .bind(new.requested_by_individual_on.map(|d| d.to_string()))
        .push(", ")
        .bind(now.micros())
        .push(", ")
        .bind(now.micros())
        .push(")");
    sql.execute(tx).await?;
    for (org, obligation) in &new.parties {
        let mut sql = Sql::new(
            "INSERT INTO sip_call_parties (call_id, organisation_id, obligation, answer, coming) VALUES (",
        );
        sql.bind(new.id.to_string())
            .push(", ")
            .bind(org.to_string())
            .push(", ")
            .bind(obligation.code())
            .push(", ")
            .bind(CallAnswer::Pending.code())
            .push(", '[]')");
        sql.execute(tx).await?;
    }
    Ok(())
}

const VIEW: &str =
    "SELECT s.id, s.case_id, s.individual_id, i.name AS individual_name, c.owner_organisation_id, \
     s.caller_organisation_id, co.name AS caller_organisation_name, s.caller_user_id, \
     cu.display_name AS caller_user_name, s.state, s.purpose_text, s.questions, s.proposed_times, \
     s.attendees, s.requested_by_individual_on, s.meeting_id, s.meeting_on, s.plan_id, \
     s.called_at, s.updated_at, m.starts_at AS meeting_starts_at";
const FROM: &str = " FROM sip_calls s JOIN cases c ON c.id = s.case_id \
     JOIN individual_records i ON i.id = c.individual_id AND i.organisation_id = c.owner_organisation_id \
     JOIN organisations co ON co.id = s.caller_organisation_id JOIN users cu ON cu.id = s.caller_user_id \
     LEFT JOIN meetings m ON m.id = s.meeting_id";

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<SipCall> {
    Ok(SipCall {
        id: row.id("id")?,
        case_id: row.id("case_id")?,
        individual_id: row.id("individual_id")?,
        individual_name: row.text("individual_name")?,
        owner_organisation_id: row.id("owner_organisation_id")?,
        caller_organisation_id: row.id("caller_organisation_id")?,
        caller_organisation_name: row.text("caller_organisation_name")?,
        caller_user_id: row.id("caller_user_id")?,
        caller_user_name: row.text("caller_user_name")?,
        state: decode_code(&row.text("state")?, CallState::from_code)?,
        purpose_text: row.text("purpose_text")?,
        questions: row.text("questions")?,
        proposed_times: slots_of(&row.text("proposed_times")?)?,
        attendees: serde_json::from_str(&row.text("attendees")?).map_err(json_error)?,
        requested_by_individual_on: row
            .opt_text("requested_by_individual_on")?
            .map(|d| parse_date(&d))
            .transpose()?,
        meeting_id: row.opt_id("meeting_id")?,
        // The meeting's day as it is now (it may have been moved since booking).
        meeting_on: match row.opt_int("meeting_starts_at")? {
            Some(micros) => Some(Timestamp::from_micros(micros).to_datetime().date_naive()),
            None => row
                .opt_text("meeting_on")?
                .map(|d| parse_date(&d))
                .transpose()?,
        },
        plan_id: row.opt_id("plan_id")?,
        called_at: Timestamp::from_micros(row.int("called_at")?),
        updated_at: Timestamp::from_micros(row.int("updated_at")?),
        parties: Vec::new(),
        via_consent: None,
    })
}

/// One call with its parties' answers.
pub async fn get(tx: &mut Tx, access: &SipCallAccess) -> StoreResult<SipCall> {
    let mut sql = Sql::new(VIEW);
    sql.push(FROM)
        .push(" WHERE s.id = ")
        .bind(access.call_id().to_string());
    let row = sql.fetch_optional(tx).await?.ok_or(StoreError::NotFound)?;
    let mut call = from_row(&row)?;
    call.parties = answers::parties(tx, call.id).await?;
    Ok(call)
}

/// What a caller may add to a list.
#[derive(Clone, Debug, Default)]
pub struct SipCallQuery {
    pub case_id: Option<CaseId>,
    pub state: Option<CallState>,
    pub limit: i64,
    pub offset: i64,
}

/// The calls the filter lets through, newest first, with their parties.
pub async fn list(
    tx: &mut Tx,
    filter: &SipCallFilter,
    query: &SipCallQuery,
) -> StoreResult<Vec<SipCall>> {
    let mut sql = Sql::visible_list(
        VIEW,
        FROM,
        |sql| filter.push_grant(sql),
        |sql| filter.push_visible(sql),
    );
    sql.and_if(" AND s.case_id = ", query.case_id.map(|c| c.to_string()))
        .and_if(" AND s.state = ", query.state.map(|s| s.code()));
    sql.page("s.called_at DESC, s.id DESC", query.limit, query.offset);
    let rows = sql.fetch_all(tx).await?;
    let mut calls = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut call = from_row(row)?;
        call.via_consent = row.opt_id("via_consent")?;
        call.parties = answers::parties(tx, call.id).await?;
        calls.push(call);
    }
    Ok(calls)
}

/// Open calls to the filter's organisation that it has not answered.
pub async fn count_awaiting_answer(tx: &mut Tx, filter: &SipCallFilter) -> StoreResult<i64> {
    let mut sql = Sql::new("SELECT COUNT(*) AS n");
    sql.push(FROM).push(" WHERE ");
    filter.push_visible(&mut sql);
    sql.push(" AND ");
    filter.push_awaiting_my_answer(&mut sql);
    sql.fetch_optional(tx).await?.map_or(Ok(0), |r| r.int("n"))
}

fn push_where_state(sql: &mut Sql, id: SipCallId, states: &[CallState]) {
    sql.push(" WHERE id = ")
        .bind(id.to_string())
        .push(" AND state IN (");
    for (n, state) in states.iter().enumerate() {
        sql.push(if n == 0 { "" } else { ", " }).bind(state.code());
    }
    sql.push(")");
}

/// Records the booked meeting and moves the call to booked, provided it is still called.
pub async fn book(
    tx: &mut Tx,
    access: &SipCallAccess,
    meeting: MeetingId,
    meeting_on: NaiveDate,
    at: Timestamp,
) -> StoreResult<bool> {
    let mut sql = Sql::new("UPDATE sip_calls SET state = ");
    sql.bind(CallState::Booked.code())
        .push(", meeting_id = ")
        .bind(meeting.to_string())
        .push(", meeting_on = ")
        .bind(meeting_on.to_string())
        .push(", updated_at = ")
        .bind(at.micros());
    push_where_state(&mut sql, access.call_id(), &[CallState::Called]);
    Ok(sql.execute(tx).await? == 1)
}

/// Cancels the call, provided it is still open (called or booked).
pub async fn cancel(tx: &mut Tx, access: &SipCallAccess, at: Timestamp) -> StoreResult<bool> {
    let mut sql = Sql::new("UPDATE sip_calls SET state = ");
    sql.bind(CallState::Cancelled.code())
        .push(", updated_at = ")
        .bind(at.micros());
    push_where_state(
        &mut sql,
        access.call_id(),
        &[CallState::Called, CallState::Booked],
    );
    Ok(sql.execute(tx).await? == 1)
}

/// The call's current state, to name it when a step lost a race.
pub async fn current_state(tx: &mut Tx, id: SipCallId) -> StoreResult<CallState> {
    let mut sql = Sql::new("SELECT state FROM sip_calls WHERE id = ");
    sql.bind(id.to_string());
    let row = sql.fetch_optional(tx).await?.ok_or(StoreError::NotFound)?;
    decode_code(&row.text("state")?, CallState::from_code)
}

/// The thin event of a change to a call, for its caller and called organisations (each
/// re-checked against the case rule for `sip` on delivery). Never content.
pub fn call_event(
    kind: EventKind,
    id: SipCallId,
    case_id: CaseId,
    individual_id: IndividualId,
    organisations: Vec<OrganisationId>,
) -> NewEvent {
    NewEvent {
        kind,
        case_id: Some(case_id),
        individual_id: Some(individual_id),
        subject_id: Some(id.to_string()),
        purpose: Some(Purpose::Sip),
        audience: Audience::Organisations(organisations),
        detail: Detail::None,
    }
}

/// For the plan's adoption (the integrator calls it in the adopting transaction): the SIP
/// plan `plan_id` was adopted from this call's meeting, so the call is held. Records the
/// `sip_call.held` event; the caller audits the change under `AuditAction::SipCallHold`.
/// False when the call is not booked (or called) any more, or does not exist.
pub async fn mark_held(tx: &mut Tx, call_id: SipCallId, plan_id: PlanId) -> StoreResult<bool> {
    let mut sql = Sql::new("UPDATE sip_calls SET state = ");
    sql.bind(CallState::Held.code())
        .push(", plan_id = ")
        .bind(plan_id.to_string())
        .push(", updated_at = ")
        .bind(Timestamp::now().micros());
    push_where_state(&mut sql, call_id, &[CallState::Called, CallState::Booked]);
    if sql.execute(tx).await? != 1 {
        return Ok(false);
    }
    let mut sql = Sql::new(
        "SELECT s.case_id, s.individual_id, s.caller_organisation_id FROM sip_calls s WHERE s.id = ",
    );
    sql.bind(call_id.to_string());
    let row = sql.fetch_optional(tx).await?.ok_or(StoreError::NotFound)?;
    let mut organisations = vec![row.id("caller_organisation_id")?];
    organisations.extend(answers::party_organisations(tx, call_id).await?);
    tx.event(call_event(
        EventKind::SipCallHeld,
        call_id,
        row.id("case_id")?,
        row.id("individual_id")?,
        organisations,
    ));
    Ok(true)
}
