//! What an invitation e-mail may carry about a meeting, for the mail outbox.

use crate::domain::{AttendeeId, CaseId, MeetingId, MeetingStatus, Purpose, Timestamp, UserId};
use crate::store::{decode_code, Reads, RowExt, Sql, StoreResult};

/// Someone an invitation is sent to.
#[derive(Clone, Debug)]
pub struct Recipient {
    /// A participating user, or `None` for an external attendee.
    pub user_id: Option<UserId>,
    pub attendee_id: Option<AttendeeId>,
    pub email: String,
}

/// What an invitation e-mail may carry about a meeting, for the mail outbox: time, place,
/// sequence, status, the organiser and the recipients' addresses. Nothing about the case.
#[derive(Clone, Debug)]
pub struct Invitation {
    pub meeting_id: MeetingId,
    pub case_id: Option<CaseId>,
    pub purpose: Purpose,
    pub status: MeetingStatus,
    pub sequence: i64,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    /// The place or, without one, the video link.
    pub location: Option<String>,
    pub organiser_user_id: UserId,
    pub organiser_email: String,
    pub organiser_name: String,
    pub updated_at: Timestamp,
    /// Participants (the organiser left out) and external attendees.
    pub recipients: Vec<Recipient>,
}

/// The invitation facts of a meeting, for the mail outbox (which re-checks the case rule
/// for each user before sending). Not for display.
pub async fn invitation(tx: &mut impl Reads, id: MeetingId) -> StoreResult<Option<Invitation>> {
    let mut sql = Sql::new(
        "SELECT m.id, m.case_id, m.purpose, m.status, m.sequence, m.starts_at, m.ends_at, m.place, m.video_link, \
         m.organiser_user_id, u.email, u.display_name, m.updated_at FROM meetings m \
         JOIN users u ON u.id = m.organiser_user_id WHERE m.id = ",
    );
    sql.bind(id.to_string());
    let Some(row) = sql.fetch_optional(tx).await? else {
        return Ok(None);
    };
    let organiser: UserId = row.id("organiser_user_id")?;
    let mut recipients = Vec::new();
    let mut sql = Sql::new(
        "SELECT p.user_id, u.email FROM meeting_participants p JOIN users u ON u.id = p.user_id WHERE p.meeting_id = ",
    );
    sql.bind(id.to_string())
        .push(" ORDER BY p.invited_at, p.user_id");
    for r in sql.fetch_all(tx).await? {
        let user: UserId = r.id("user_id")?;
        if user != organiser {
            recipients.push(Recipient {
                user_id: Some(user),
                attendee_id: None,
                email: r.text("email")?,
            });
        }
    }
    let mut sql = Sql::new("SELECT id, email FROM meeting_attendees WHERE meeting_id = ");
    sql.bind(id.to_string()).push(" ORDER BY invited_at, id");
    for r in sql.fetch_all(tx).await? {
        recipients.push(Recipient {
            user_id: None,
            attendee_id: Some(r.id("id")?),
            email: r.text("email")?,
        });
    }
    Ok(Some(Invitation {
        meeting_id: row.id("id")?,
        case_id: row.opt_id("case_id")?,
        purpose: decode_code(&row.text("purpose")?, Purpose::from_code)?,
        status: decode_code(&row.text("status")?, MeetingStatus::from_code)?,
        sequence: row.int("sequence")?,
        starts_at: Timestamp::from_micros(row.int("starts_at")?),
        ends_at: Timestamp::from_micros(row.int("ends_at")?),
        location: row.opt_text("place")?.or(row.opt_text("video_link")?),
        organiser_user_id: organiser,
        organiser_email: row.text("email")?,
        organiser_name: row.text("display_name")?,
        updated_at: Timestamp::from_micros(row.int("updated_at")?),
        recipients,
    }))
}
