//! Meetings (möten), their participants and external attendees. Reads take a policy value:
//! a `MeetingAccess` for one meeting, a `MeetingFilter` for lists; writes a `MeetingScope`
//! or `MeetingAccess`, and invitations an `Invitees` list the policy has checked.

use std::collections::BTreeMap;

use super::{decode_code, Reads, RowExt, Sql, StoreError, StoreResult, Tx};
use crate::access::policy::{MeetingAccess, MeetingFacts, MeetingFilter, MeetingScope};
use crate::domain::{
    AttendeeId, CaseId, ConsentId, IndividualId, MeetingAnswer, MeetingId, MeetingKind,
    MeetingStatus, OrganisationId, Purpose, Timestamp, UserId,
};

mod attendance;
mod clashes;
mod invitation;

pub use attendance::{add_attendees, answer, answer_attendee, invite, Target};
pub use clashes::{clashes, Clash};
pub use invitation::{invitation, Invitation, Recipient};

/// A user taking part, with their answer.
#[derive(Clone, Debug)]
pub struct Participant {
    pub user_id: UserId,
    pub name: String,
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    pub answer: Option<MeetingAnswer>,
    pub answered_at: Option<Timestamp>,
}

/// Someone outside the hub, invited by e-mail.
#[derive(Clone, Debug)]
pub struct Attendee {
    pub id: AttendeeId,
    pub name: String,
    pub email: String,
    pub answer: Option<MeetingAnswer>,
    pub answered_at: Option<Timestamp>,
}

#[derive(Clone, Debug)]
pub struct Meeting {
    pub id: MeetingId,
    pub case_id: Option<CaseId>,
    pub individual_id: Option<IndividualId>,
    pub kind: MeetingKind,
    pub purpose: Purpose,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub place: Option<String>,
    pub video_link: Option<String>,
    pub organiser_user_id: UserId,
    pub organiser_name: String,
    pub organiser_organisation_id: OrganisationId,
    pub organiser_organisation_name: String,
    pub status: MeetingStatus,
    pub sequence: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub cancelled_at: Option<Timestamp>,
    pub participants: Vec<Participant>,
    pub attendees: Vec<Attendee>,
    /// For listed rows of a case: the owner and the consent that lets the reader see it.
    pub case_owner: Option<OrganisationId>,
    pub via_consent: Option<ConsentId>,
}

/// A new meeting's own fields; the case and purpose come from the `MeetingScope`.
#[derive(Clone, Debug)]
pub struct NewMeeting {
    pub id: MeetingId,
    pub kind: MeetingKind,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub place: Option<String>,
    pub video_link: Option<String>,
    pub organiser: UserId,
    pub organiser_organisation: OrganisationId,
}

#[derive(Clone, Debug)]
pub struct NewAttendee {
    pub name: String,
    pub email: String,
}

/// When and where; changing any of it raises the sequence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub place: Option<String>,
    pub video_link: Option<String>,
}

fn answer_of(code: Option<String>) -> StoreResult<Option<MeetingAnswer>> {
    code.map(|c| decode_code(&c, MeetingAnswer::from_code))
        .transpose()
}

/// What the policy needs to decide on one meeting. Not for display.
pub async fn facts(tx: &mut impl Reads, id: MeetingId) -> StoreResult<Option<MeetingFacts>> {
    let mut sql = Sql::new(
        "SELECT id, case_id, purpose, organiser_user_id, status FROM meetings WHERE id = ",
    );
    sql.bind(id.to_string());
    let Some(row) = sql.fetch_optional(tx).await? else {
        return Ok(None);
    };
    let mut sql = Sql::new("SELECT user_id FROM meeting_participants WHERE meeting_id = ");
    sql.bind(id.to_string()).push(" ORDER BY user_id");
    let participants = sql
        .fetch_all(tx)
        .await?
        .iter()
        .map(|r| r.id("user_id"))
        .collect::<StoreResult<Vec<UserId>>>()?;
    Ok(Some(MeetingFacts {
        id: row.id("id")?,
        case_id: row.opt_id("case_id")?,
        purpose: decode_code(&row.text("purpose")?, Purpose::from_code)?,
        organiser: row.id("organiser_user_id")?,
        status: decode_code(&row.text("status")?, MeetingStatus::from_code)?,
        participants,
    }))
}

/// Stores a new meeting with its organiser as an accepted participant.
pub async fn insert(
    tx: &mut Tx,
    scope: &MeetingScope,
    meeting: &NewMeeting,
    at: Timestamp,
) -> StoreResult<()> {
    let mut sql = Sql::new(
        "INSERT INTO meetings (id, case_id, individual_id, kind, purpose, starts_at, ends_at, place, \
         video_link, organiser_user_id, organiser_organisation_id, status, sequence, created_at, updated_at) VALUES (",
    );
    sql.bind(meeting.id.to_string()).push(", ");
    sql.bind(scope.case().map(|c| c.case_id().to_string()))
        .push(", ");
    sql.bind(scope.case().map(|c| c.individual_id().to_string()))
        .push(", ");
    sql.bind(meeting.kind.code())
        .push(", ")
        .bind(scope.purpose().code())
        .push(", ");
    sql.bind(meeting.starts_at.micros())
        .push(", ")
        .bind(meeting.ends_at.micros())
        .push(", ");
    sql.bind(meeting.place.clone())
        .push(", ")
        .bind(meeting.video_link.clone())
        .push(", ");
    sql.bind(meeting.organiser.to_string())
        .push(", ")
        .bind(meeting.organiser_organisation.to_string())
        .push(", ");
    sql.bind(MeetingStatus::Scheduled.code())
        .push(", 0, ")
        .bind(at.micros())
        .push(", ")
        .bind(at.micros())
        .push(")");
    sql.execute(tx).await?;
    let mut sql = Sql::new(
        "INSERT INTO meeting_participants (meeting_id, user_id, organisation_id, answer, answered_at, invited_at) VALUES (",
    );
    sql.bind(meeting.id.to_string())
        .push(", ")
        .bind(meeting.organiser.to_string())
        .push(", ");
    sql.bind(meeting.organiser_organisation.to_string())
        .push(", ")
        .bind(MeetingAnswer::Accepted.code())
        .push(", ");
    sql.bind(at.micros()).push(", ").bind(at.micros()).push(")");
    sql.execute(tx).await?;
    Ok(())
}

const VIEW: &str =
    "SELECT m.id, m.case_id, m.individual_id, m.kind, m.purpose, m.starts_at, m.ends_at, \
     m.place, m.video_link, m.organiser_user_id, u.display_name AS organiser_name, \
     m.organiser_organisation_id, o.name AS organiser_organisation_name, m.status, m.sequence, \
     m.created_at, m.updated_at, m.cancelled_at, c.owner_organisation_id AS case_owner";
const VIEW_JOIN: &str = " FROM meetings m JOIN users u ON u.id = m.organiser_user_id \
     JOIN organisations o ON o.id = m.organiser_organisation_id \
     LEFT JOIN cases c ON c.id = m.case_id LEFT JOIN individual_records i ON i.id = c.individual_id AND i.organisation_id = c.owner_organisation_id";

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<Meeting> {
    Ok(Meeting {
        id: row.id("id")?,
        case_id: row.opt_id("case_id")?,
        individual_id: row.opt_id("individual_id")?,
        kind: decode_code(&row.text("kind")?, MeetingKind::from_code)?,
        purpose: decode_code(&row.text("purpose")?, Purpose::from_code)?,
        starts_at: Timestamp::from_micros(row.int("starts_at")?),
        ends_at: Timestamp::from_micros(row.int("ends_at")?),
        place: row.opt_text("place")?,
        video_link: row.opt_text("video_link")?,
        organiser_user_id: row.id("organiser_user_id")?,
        organiser_name: row.text("organiser_name")?,
        organiser_organisation_id: row.id("organiser_organisation_id")?,
        organiser_organisation_name: row.text("organiser_organisation_name")?,
        status: decode_code(&row.text("status")?, MeetingStatus::from_code)?,
        sequence: row.int("sequence")?,
        created_at: Timestamp::from_micros(row.int("created_at")?),
        updated_at: Timestamp::from_micros(row.int("updated_at")?),
        cancelled_at: row.opt_int("cancelled_at")?.map(Timestamp::from_micros),
        participants: Vec::new(),
        attendees: Vec::new(),
        case_owner: row.opt_id("case_owner")?,
        via_consent: row.opt_id("via_consent")?,
    })
}

fn push_in(sql: &mut Sql, meetings: &[Meeting]) {
    sql.push(" IN (");
    for (n, meeting) in meetings.iter().enumerate() {
        sql.push(if n == 0 { "" } else { ", " })
            .bind(meeting.id.to_string());
    }
    sql.push(")");
}

/// Fills in each meeting's participants (organiser first, then by name) and attendees.
async fn with_people(tx: &mut impl Reads, mut meetings: Vec<Meeting>) -> StoreResult<Vec<Meeting>> {
    if meetings.is_empty() {
        return Ok(meetings);
    }
    let mut sql = Sql::new(
        "SELECT p.meeting_id, p.user_id, u.display_name, p.organisation_id, o.name AS organisation_name, \
         p.answer, p.answered_at FROM meeting_participants p JOIN users u ON u.id = p.user_id \
         JOIN organisations o ON o.id = p.organisation_id WHERE p.meeting_id",
    );
    push_in(&mut sql, &meetings);
    sql.push(" ORDER BY p.invited_at, u.display_name, p.user_id");
    let mut participants: BTreeMap<MeetingId, Vec<Participant>> = BTreeMap::new();
    for row in sql.fetch_all(tx).await? {
        participants
            .entry(row.id("meeting_id")?)
            .or_default()
            .push(Participant {
                user_id: row.id("user_id")?,
                name: row.text("display_name")?,
                organisation_id: row.id("organisation_id")?,
                organisation_name: row.text("organisation_name")?,
                answer: answer_of(row.opt_text("answer")?)?,
                answered_at: row.opt_int("answered_at")?.map(Timestamp::from_micros),
            });
    }
    let mut sql = Sql::new(
        "SELECT a.meeting_id, a.id, a.name, a.email, a.answer, a.answered_at FROM meeting_attendees a WHERE a.meeting_id",
    );
    push_in(&mut sql, &meetings);
    sql.push(" ORDER BY a.invited_at, a.id");
    let mut attendees: BTreeMap<MeetingId, Vec<Attendee>> = BTreeMap::new();
    for row in sql.fetch_all(tx).await? {
        attendees
            .entry(row.id("meeting_id")?)
            .or_default()
            .push(Attendee {
                id: row.id("id")?,
                name: row.text("name")?,
                email: row.text("email")?,
                answer: answer_of(row.opt_text("answer")?)?,
                answered_at: row.opt_int("answered_at")?.map(Timestamp::from_micros),
            });
    }
    for meeting in &mut meetings {
        let mut people = participants.remove(&meeting.id).unwrap_or_default();
        // The organiser first, as calendars show them.
        people.sort_by_key(|p| p.user_id != meeting.organiser_user_id);
        meeting.participants = people;
        meeting.attendees = attendees.remove(&meeting.id).unwrap_or_default();
    }
    Ok(meetings)
}

pub async fn get(tx: &mut impl Reads, access: &MeetingAccess) -> StoreResult<Meeting> {
    let mut sql = Sql::new(VIEW);
    sql.push(", NULL AS via_consent")
        .push(VIEW_JOIN)
        .push(" WHERE m.id = ")
        .bind(access.meeting_id().to_string());
    let row = sql.fetch_optional(tx).await?.ok_or(StoreError::NotFound)?;
    let mut meeting = from_row(&row)?;
    meeting.via_consent = access.case().and_then(|c| match c.grant() {
        crate::access::policy::Grant::Consent(id) => Some(id),
        crate::access::policy::Grant::Owner => None,
    });
    with_people(tx, vec![meeting])
        .await?
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound)
}

/// Which meetings a list shows besides the filter: a time window, cancelled or not.
#[derive(Clone, Debug)]
pub struct MeetingQuery {
    /// Meetings ending after this instant.
    pub from: Option<Timestamp>,
    /// Meetings starting before this instant.
    pub to: Option<Timestamp>,
    pub include_cancelled: bool,
    pub limit: i64,
    pub offset: i64,
}

/// The meetings the filter lets through, earliest first.
pub async fn list(
    tx: &mut impl Reads,
    filter: &MeetingFilter,
    query: &MeetingQuery,
) -> StoreResult<Vec<Meeting>> {
    let mut sql = Sql::visible_list(
        VIEW,
        VIEW_JOIN,
        |sql| filter.push_grant(sql),
        |sql| filter.push_visible(sql),
    );
    let scheduled = (!query.include_cancelled).then(|| MeetingStatus::Scheduled.code());
    sql.and_if(" AND m.ends_at > ", query.from.map(|t| t.micros()))
        .and_if(" AND m.starts_at < ", query.to.map(|t| t.micros()))
        .and_if(" AND m.status = ", scheduled)
        .page("m.starts_at, m.id", query.limit, query.offset);
    let meetings = sql
        .fetch_all(tx)
        .await?
        .iter()
        .map(from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    with_people(tx, meetings).await
}

/// Moves the meeting or changes its place, raising the sequence; false when it was
/// cancelled meanwhile.
pub async fn reschedule(
    tx: &mut Tx,
    access: &MeetingAccess,
    schedule: &Schedule,
    at: Timestamp,
) -> StoreResult<bool> {
    let mut sql = Sql::new("UPDATE meetings SET starts_at = ");
    sql.bind(schedule.starts_at.micros())
        .push(", ends_at = ")
        .bind(schedule.ends_at.micros());
    sql.push(", place = ")
        .bind(schedule.place.clone())
        .push(", video_link = ")
        .bind(schedule.video_link.clone());
    sql.push(", sequence = sequence + 1, updated_at = ")
        .bind(at.micros());
    push_scheduled(&mut sql, access);
    Ok(sql.execute(tx).await? == 1)
}

/// Raises the sequence (the attendee list changed); false when cancelled meanwhile.
pub async fn touch(tx: &mut Tx, access: &MeetingAccess, at: Timestamp) -> StoreResult<bool> {
    let mut sql = Sql::new("UPDATE meetings SET sequence = sequence + 1, updated_at = ");
    sql.bind(at.micros());
    push_scheduled(&mut sql, access);
    Ok(sql.execute(tx).await? == 1)
}

fn push_scheduled(sql: &mut Sql, access: &MeetingAccess) {
    sql.push(" WHERE id = ")
        .bind(access.meeting_id().to_string())
        .push(" AND status = ")
        .bind(MeetingStatus::Scheduled.code());
}

/// Cancels the meeting, raising the sequence; false when it already was.
pub async fn cancel(
    tx: &mut Tx,
    access: &MeetingAccess,
    by: UserId,
    at: Timestamp,
) -> StoreResult<bool> {
    let mut sql = Sql::new("UPDATE meetings SET status = ");
    sql.bind(MeetingStatus::Cancelled.code())
        .push(", sequence = sequence + 1, cancelled_at = ")
        .bind(at.micros());
    sql.push(", cancelled_by_user_id = ")
        .bind(by.to_string())
        .push(", updated_at = ")
        .bind(at.micros());
    push_scheduled(&mut sql, access);
    Ok(sql.execute(tx).await? == 1)
}
