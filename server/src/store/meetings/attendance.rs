//! Who takes part: users the policy has checked, people outside the hub by e-mail, and
//! their answers.

use super::NewAttendee;
use crate::access::policy::{Invitees, MeetingAccess, MeetingScope};
use crate::domain::{AttendeeId, MeetingAnswer, MeetingId, Timestamp, UserId};
use crate::store::{Sql, StoreResult, Tx};

async fn add_participants(
    tx: &mut Tx,
    meeting: MeetingId,
    invitees: &Invitees,
    at: Timestamp,
) -> StoreResult<Vec<UserId>> {
    let mut added = Vec::new();
    for invitee in invitees.users() {
        let mut sql = Sql::new(
            "INSERT INTO meeting_participants (meeting_id, user_id, organisation_id, invited_at) VALUES (",
        );
        sql.bind(meeting.to_string())
            .push(", ")
            .bind(invitee.user_id.to_string())
            .push(", ");
        sql.bind(invitee.organisation_id.to_string())
            .push(", ")
            .bind(at.micros())
            .push(") ON CONFLICT (meeting_id, user_id) DO NOTHING");
        if sql.execute(tx).await? == 1 {
            added.push(invitee.user_id);
        }
    }
    Ok(added)
}

/// The meeting a new participant list belongs to: one just inserted under `scope`, or one
/// the actor may see.
pub enum Target<'a> {
    New(&'a MeetingScope, MeetingId),
    Existing(&'a MeetingAccess),
}

impl Target<'_> {
    fn id(&self) -> MeetingId {
        match self {
            Target::New(_, id) => *id,
            Target::Existing(access) => access.meeting_id(),
        }
    }
}

/// Invites checked users to a meeting; returns those who were not already taking part.
pub async fn invite(
    tx: &mut Tx,
    target: &Target<'_>,
    invitees: &Invitees,
    at: Timestamp,
) -> StoreResult<Vec<UserId>> {
    add_participants(tx, target.id(), invitees, at).await
}

/// Invites people outside the hub by e-mail; returns their new ids.
pub async fn add_attendees(
    tx: &mut Tx,
    target: &Target<'_>,
    attendees: &[NewAttendee],
    at: Timestamp,
) -> StoreResult<Vec<AttendeeId>> {
    let mut ids = Vec::new();
    for attendee in attendees {
        let id = AttendeeId::new();
        let mut sql = Sql::new(
            "INSERT INTO meeting_attendees (id, meeting_id, name, email, invited_at) VALUES (",
        );
        sql.bind(id.to_string())
            .push(", ")
            .bind(target.id().to_string())
            .push(", ");
        sql.bind(attendee.name.as_str())
            .push(", ")
            .bind(attendee.email.as_str())
            .push(", ");
        sql.bind(at.micros()).push(")");
        sql.execute(tx).await?;
        ids.push(id);
    }
    Ok(ids)
}

/// Records a participant's own answer; false when they are not invited.
pub async fn answer(
    tx: &mut Tx,
    access: &MeetingAccess,
    user: UserId,
    answer: MeetingAnswer,
    at: Timestamp,
) -> StoreResult<bool> {
    let mut sql = Sql::new("UPDATE meeting_participants SET answer = ");
    sql.bind(answer.code())
        .push(", answered_at = ")
        .bind(at.micros());
    sql.push(" WHERE meeting_id = ")
        .bind(access.meeting_id().to_string())
        .push(" AND user_id = ")
        .bind(user.to_string());
    Ok(sql.execute(tx).await? == 1)
}

/// Records an external attendee's answer (given to the organiser); false for an unknown one.
pub async fn answer_attendee(
    tx: &mut Tx,
    access: &MeetingAccess,
    attendee: AttendeeId,
    answer: MeetingAnswer,
    by: UserId,
    at: Timestamp,
) -> StoreResult<bool> {
    let mut sql = Sql::new("UPDATE meeting_attendees SET answer = ");
    sql.bind(answer.code())
        .push(", answered_at = ")
        .bind(at.micros());
    sql.push(", answer_recorded_by_user_id = ")
        .bind(by.to_string())
        .push(" WHERE meeting_id = ")
        .bind(access.meeting_id().to_string());
    sql.push(" AND id = ").bind(attendee.to_string());
    Ok(sql.execute(tx).await? == 1)
}
