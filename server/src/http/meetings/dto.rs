//! What the meeting routes take and give, and the checks that need more than one field.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::domain::meeting::check_time;
use crate::domain::{
    AttendeeId, CaseId, MeetingAnswer, MeetingId, MeetingKind, MeetingStatus, OrganisationId,
    Purpose, Timestamp, UserId,
};
use crate::error::{AppError, FieldError};
use crate::http::rfc3339;
use crate::http::rules::TextLine;
use crate::http::rules::{self, FieldRule};
use crate::store::meetings::{Attendee, Meeting, NewAttendee, Participant, Schedule};

pub(crate) const END_AFTER_START: FieldRule =
    FieldRule::new("ends_at", "end_before_start", "after starts_at");
pub(crate) const AT_MOST_TEN_HOURS: FieldRule =
    FieldRule::new("ends_at", "too_long", "at most 10 hours after starts_at");
pub(crate) const NOT_IN_THE_PAST: FieldRule = FieldRule::new(
    "starts_at",
    "in_the_past",
    "not in the past (checked when the time is set or moved)",
);
pub(crate) const WITHIN_TWO_YEARS: FieldRule =
    FieldRule::new("starts_at", "too_far_ahead", "at most two years ahead");
pub(crate) const SOMEWHERE: FieldRule = FieldRule::new(
    "place",
    "location_required",
    "a place or a video link (after the change)",
);

pub(crate) const INVALID_PARTICIPANT: FieldRule = FieldRule::new(
    "participant_user_ids[i]",
    "invalid_participant",
    "an active user who works with cases",
);

/// The rules every booking body (`booking_body!`) meets beyond its schema, then `extra`:
/// those of its time, place and participants.
macro_rules! booking_rules {
    ($($extra:expr),* $(,)?) => {
        &[
            $crate::http::meetings::END_AFTER_START,
            $crate::http::meetings::AT_MOST_TEN_HOURS,
            $crate::http::meetings::NOT_IN_THE_PAST,
            $crate::http::meetings::WITHIN_TWO_YEARS,
            $crate::http::meetings::SOMEWHERE,
            $crate::http::meetings::INVALID_PARTICIPANT,
            $($extra),*
        ]
    };
}
pub(crate) use booking_rules;

/// What booking needs beyond its schema.
pub const NEW_MEETING_RULES: &[FieldRule] = booking_rules![FieldRule::new(
    "participant_user_ids[i]",
    "no_access_to_case",
    "a user of the case's owning organisation who may see the case (protected identity)",
)];

/// What moving or changing a meeting needs beyond its schema.
pub const UPDATE_MEETING_RULES: &[FieldRule] = &[
    END_AFTER_START,
    AT_MOST_TEN_HOURS,
    NOT_IN_THE_PAST,
    WITHIN_TWO_YEARS,
    SOMEWHERE,
];

/// What inviting needs beyond its schema.
pub const INVITE_RULES: &[FieldRule] = &[
    FieldRule::new(
        "user_ids[i]",
        "invalid_participant",
        "an active user who works with cases",
    ),
    FieldRule::new(
        "user_ids[i]",
        "no_access_to_case",
        "a user of the case's owning organisation who may see the case (protected identity)",
    ),
];

/// What a list of meetings needs beyond its parameters.
pub const LIST_RULES: &[FieldRule] = &[FieldRule::new(
    "to",
    "before_from",
    "after from (for my meetings from defaults to now)",
)];

/// Someone outside the hub, invited by e-mail (the individual, a relative).
#[derive(Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendeeBody {
    #[validate(nested)]
    #[schema(inline)]
    pub name: TextLine<200>,
    #[validate(
        email(message = "ogiltig e-postadress"),
        length(max = 254, message = "högst 254 tecken")
    )]
    #[schema(format = Email, max_length = 254, pattern = "$email")]
    pub email: String,
}

impl AttendeeBody {
    fn into_new(self) -> NewAttendee {
        NewAttendee {
            name: self.name.trim().to_owned(),
            email: self.email.trim().to_owned(),
        }
    }
}

/// A body that books a meeting: the fields before, then the time, place, video link and
/// participants every booking takes, with their checks and schema, then the fields after
/// `then` (written out, not flattened, so that the document states one closed object for
/// each booking and unknown fields stay refused). The place, the video link and the
/// participants carry the doc comments the booking gives them; its rules are `booking_rules!`.
macro_rules! booking_body {
    (
        $(#[$meta:meta])*
        $name:ident { $($before:tt)* }
        $(#[$place:meta])* place,
        $(#[$video_link:meta])* video_link,
        $(#[$participants:meta])* participant_user_ids,
        $(then { $($after:tt)* })?
    ) => {
        $(#[$meta])*
        #[derive(::serde::Deserialize, ::validator::Validate, ::utoipa::ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($before)*
            pub starts_at: ::chrono::DateTime<::chrono::Utc>,
            /// After `starts_at`, at most 10 hours later.
            pub ends_at: ::chrono::DateTime<::chrono::Utc>,
            $(#[$place])*
            #[validate(
                length(max = 200, message = "högst 200 tecken"),
                custom(function = "crate::http::rules::blank_or_line")
            )]
            #[schema(max_length = 200, pattern = "$line_or_blank")]
            pub place: Option<String>,
            $(#[$video_link])*
            #[validate(
                length(max = 500, message = "högst 500 tecken"),
                custom(function = "crate::http::rules::valid_video_link")
            )]
            #[schema(max_length = 500, pattern = "$video_link")]
            pub video_link: Option<String>,
            $(#[$participants])*
            #[serde(default)]
            #[validate(length(max = 50, message = "högst 50 deltagare"))]
            #[schema(max_items = 50)]
            pub participant_user_ids: Vec<$crate::domain::UserId>,
            $($($after)*)?
        }
    };
}
pub(crate) use booking_body;

booking_body! {
    /// A new meeting. The organiser is me; I take part, accepted.
    NewMeetingBody {
        /// The case the meeting is about; none for a partnership's general meeting.
        pub case_id: Option<CaseId>,
        pub kind: MeetingKind,
        /// The consent purpose participants must be covered for. Defaults from the kind: SIP-möte
        /// `sip`, Finsamteam-möte `finsamteam`, uppföljning fördjupad samverkan
        /// `fordjupad_samverkan`, others `informationsutbyte`.
        pub purpose: Option<Purpose>,
    }
    /// Where (a place or a video link is required). Shown in calendar invitations: name
    /// nothing about the person.
    place,
    /// An https link to the video meeting.
    video_link,
    /// Users to invite: in a case, from organisations a consent in force covers for the
    /// purpose (409 `consent_missing` otherwise).
    participant_user_ids,
    then {
        #[serde(default)]
        #[validate(length(max = 20, message = "högst 20 externa deltagare"), nested)]
        #[schema(max_items = 20)]
        pub external_attendees: Vec<AttendeeBody>,
    }
}

/// Moves a meeting or changes its place; fields left out stay as they are. An empty
/// `place` or `video_link` removes it.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeetingBody {
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    #[validate(
        length(max = 200, message = "högst 200 tecken"),
        custom(function = "rules::blank_or_line")
    )]
    #[schema(max_length = 200, pattern = "$line_or_blank")]
    pub place: Option<String>,
    #[validate(
        length(max = 500, message = "högst 500 tecken"),
        custom(function = "rules::valid_video_link")
    )]
    #[schema(max_length = 500, pattern = "$video_link")]
    pub video_link: Option<String>,
}

/// More people to invite to a meeting.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteBody {
    #[serde(default)]
    #[validate(length(max = 50, message = "högst 50 deltagare"))]
    #[schema(max_items = 50)]
    pub user_ids: Vec<UserId>,
    #[serde(default)]
    #[validate(length(max = 20, message = "högst 20 externa deltagare"), nested)]
    #[schema(max_items = 20)]
    pub external_attendees: Vec<AttendeeBody>,
}

/// An answer to an invitation.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    pub answer: MeetingAnswer,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MeetingListQuery {
    /// Meetings ending after this instant (RFC 3339). My meetings default to now.
    pub from: Option<DateTime<Utc>>,
    /// Meetings starting before this instant (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Include cancelled meetings (default false).
    pub include_cancelled: Option<bool>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<i64>,
}

/// Whole seconds: calendars know no finer time.
pub fn instant(at: DateTime<Utc>) -> Timestamp {
    Timestamp::from_micros(at.timestamp().saturating_mul(1_000_000))
}

fn trimmed(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Checks a schedule as a whole, collecting field errors; the time only when `check_times`.
pub fn check_schedule(
    schedule: &Schedule,
    check_times: bool,
    now: Timestamp,
) -> Result<(), AppError> {
    let mut errors = Vec::new();
    if check_times {
        for problem in check_time(schedule.starts_at, schedule.ends_at, now) {
            errors.push(FieldError::new(
                problem.field(),
                problem.code(),
                problem.message(),
            ));
        }
    }
    if schedule.place.is_none() && schedule.video_link.is_none() {
        errors.push(FieldError::new(
            "place",
            "location_required",
            "ange en plats eller en videolänk",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

impl NewMeetingBody {
    pub fn schedule(&self) -> Schedule {
        Schedule {
            starts_at: instant(self.starts_at),
            ends_at: instant(self.ends_at),
            place: trimmed(self.place.clone()),
            video_link: trimmed(self.video_link.clone()),
        }
    }

    pub fn attendees(self) -> Vec<NewAttendee> {
        self.external_attendees
            .into_iter()
            .map(AttendeeBody::into_new)
            .collect()
    }
}

impl UpdateMeetingBody {
    /// The schedule after the change, and whether the time moved.
    pub fn apply(self, current: &Schedule) -> (Schedule, bool) {
        let mut next = current.clone();
        if let Some(at) = self.starts_at {
            next.starts_at = instant(at);
        }
        if let Some(at) = self.ends_at {
            next.ends_at = instant(at);
        }
        if self.place.is_some() {
            next.place = trimmed(self.place);
        }
        if self.video_link.is_some() {
            next.video_link = trimmed(self.video_link);
        }
        let moved = next.starts_at != current.starts_at || next.ends_at != current.ends_at;
        (next, moved)
    }
}

impl InviteBody {
    pub fn attendees(self) -> Vec<NewAttendee> {
        self.external_attendees
            .into_iter()
            .map(AttendeeBody::into_new)
            .collect()
    }
}

/// A user taking part and their answer (none yet: `null`).
#[derive(Serialize, ToSchema)]
pub struct ParticipantResponse {
    pub user_id: UserId,
    pub name: String,
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    pub organiser: bool,
    pub answer: Option<MeetingAnswer>,
    pub answered_at: Option<DateTime<Utc>>,
}

/// Someone invited by e-mail; their answer is recorded by the organiser.
#[derive(Serialize, ToSchema)]
pub struct AttendeeResponse {
    pub id: AttendeeId,
    pub name: String,
    pub email: String,
    pub answer: Option<MeetingAnswer>,
    pub answered_at: Option<DateTime<Utc>>,
}

/// How many have answered what, for the organiser's overview.
#[derive(Serialize, ToSchema, Default)]
pub struct AnswerCounts {
    pub accepted: u32,
    pub declined: u32,
    pub tentative: u32,
    pub unanswered: u32,
}

impl AnswerCounts {
    fn count(&mut self, answer: Option<MeetingAnswer>) {
        match answer {
            Some(MeetingAnswer::Accepted) => self.accepted += 1,
            Some(MeetingAnswer::Declined) => self.declined += 1,
            Some(MeetingAnswer::Tentative) => self.tentative += 1,
            None => self.unanswered += 1,
        }
    }
}

/// Something the organiser should know, which did not stop the change.
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// `double_booked`: the user already takes part in another meeting at that time.
    pub code: &'static str,
    pub user_id: UserId,
    /// The other meeting, only when I take part in it too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meeting_id: Option<MeetingId>,
    pub message: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct MeetingResponse {
    pub id: MeetingId,
    /// None for a partnership's general meeting.
    pub case_id: Option<CaseId>,
    pub kind: MeetingKind,
    /// The kind's Swedish name.
    pub kind_label: &'static str,
    pub purpose: Purpose,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: Option<String>,
    pub video_link: Option<String>,
    pub organiser_user_id: UserId,
    pub organiser_name: String,
    pub organiser_organisation_id: OrganisationId,
    pub organiser_organisation_name: String,
    pub status: MeetingStatus,
    /// Raised on every change an invitation announces (the iCalendar SEQUENCE).
    pub sequence: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// The organiser first.
    pub participants: Vec<ParticipantResponse>,
    pub external_attendees: Vec<AttendeeResponse>,
    /// Answers of participants and external attendees together.
    pub answers: AnswerCounts,
    /// Warnings about this change (e.g. `double_booked`); empty on reads.
    pub warnings: Vec<Warning>,
}

impl From<Meeting> for MeetingResponse {
    fn from(m: Meeting) -> Self {
        let mut answers = AnswerCounts::default();
        m.participants.iter().for_each(|p| answers.count(p.answer));
        m.attendees.iter().for_each(|a| answers.count(a.answer));
        let organiser = m.organiser_user_id;
        Self {
            id: m.id,
            case_id: m.case_id,
            kind: m.kind,
            kind_label: m.kind.label(),
            purpose: m.purpose,
            starts_at: rfc3339(m.starts_at),
            ends_at: rfc3339(m.ends_at),
            place: m.place,
            video_link: m.video_link,
            organiser_user_id: organiser,
            organiser_name: m.organiser_name,
            organiser_organisation_id: m.organiser_organisation_id,
            organiser_organisation_name: m.organiser_organisation_name,
            status: m.status,
            sequence: m.sequence,
            created_at: rfc3339(m.created_at),
            updated_at: rfc3339(m.updated_at),
            cancelled_at: m.cancelled_at.map(rfc3339),
            participants: m
                .participants
                .into_iter()
                .map(|p: Participant| ParticipantResponse {
                    organiser: p.user_id == organiser,
                    user_id: p.user_id,
                    name: p.name,
                    organisation_id: p.organisation_id,
                    organisation_name: p.organisation_name,
                    answer: p.answer,
                    answered_at: p.answered_at.map(rfc3339),
                })
                .collect(),
            external_attendees: m
                .attendees
                .into_iter()
                .map(|a: Attendee| AttendeeResponse {
                    id: a.id,
                    name: a.name,
                    email: a.email,
                    answer: a.answer,
                    answered_at: a.answered_at.map(rfc3339),
                })
                .collect(),
            answers,
            warnings: Vec::new(),
        }
    }
}
