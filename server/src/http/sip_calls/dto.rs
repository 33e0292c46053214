//! What the SIP call routes take and give, and the checks that need more than one field.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::domain::meeting::check_time;
use crate::domain::sip::{
    days_from_request, AttendeeRole, CallAnswer, CallBox, CallState, Obligation, SipDeclineReason,
};
use crate::domain::{CaseId, MeetingId, OrganisationId, PlanId, SipCallId, Timestamp, UserId};
use crate::error::FieldError;
use crate::http::meetings::instant;
use crate::http::rules::{self, FieldRule, TextLine};
use crate::http::{not_blank, rfc3339};
use crate::store::sip_calls::{NamedAttendee, Party, SipCall, TimeSlot};

/// Most organisations one call may name, proposed times and named attendees it may carry.
pub const MAX_PARTIES: usize = 10;
pub const MAX_TIMES: usize = 5;
pub const MAX_ATTENDEES: usize = 10;
/// Most people one organisation may say come.
pub const MAX_COMING: usize = 10;

/// A time span: when the meeting could be.
#[derive(Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeSlotBody {
    pub starts_at: DateTime<Utc>,
    /// After `starts_at`, at most 10 hours later.
    pub ends_at: DateTime<Utc>,
}

impl TimeSlotBody {
    pub fn slot(self) -> TimeSlot {
        TimeSlot {
            starts_at: instant(self.starts_at),
            ends_at: instant(self.ends_at),
        }
    }

    fn of(slot: TimeSlot) -> Self {
        Self {
            starts_at: rfc3339(slot.starts_at),
            ends_at: rfc3339(slot.ends_at),
        }
    }
}

/// Field errors of a time span at `field` (`proposed_times[0]`, `proposed_time`).
pub fn check_slot(field: &str, slot: TimeSlot, now: Timestamp, errors: &mut Vec<FieldError>) {
    for problem in check_time(slot.starts_at, slot.ends_at, now) {
        errors.push(FieldError::new(
            format!("{field}.{}", problem.field()),
            problem.code(),
            problem.message(),
        ));
    }
}

/// Someone without an account who is to come: the individual or a relative. Never sent in
/// e-mail or calendar invitations.
#[derive(Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SipAttendeeBody {
    #[validate(nested)]
    #[schema(inline)]
    pub name: TextLine<200>,
    pub role: AttendeeRole,
}

/// A new SIP call in the case. I call for my organisation, the case's owner.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSipCallBody {
    /// Why the SIP is called (syftet).
    #[validate(
        length(min = 1, max = 2000, message = "1–2000 tecken"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 2000, pattern = "$text")]
    pub purpose_text: String,
    /// The questions the meeting is to answer.
    #[validate(
        length(min = 1, max = 4000, message = "1–4000 tecken"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 4000, pattern = "$text")]
    pub questions: String,
    /// Times proposed for the meeting (at most 5).
    #[serde(default)]
    #[schema(max_items = 5)]
    pub proposed_times: Vec<TimeSlotBody>,
    /// The organisations called (1-10, not my own). Obliged or optional follows from each
    /// one's kind: the municipality's and the region's units are obliged.
    #[schema(min_items = 1, max_items = 10)]
    pub organisation_ids: Vec<OrganisationId>,
    /// People without an account who are to come (at most 10).
    #[serde(default)]
    #[validate(nested)]
    #[schema(max_items = 10)]
    pub attendees: Vec<SipAttendeeBody>,
    /// The day the individual asked for a SIP, when they did (today or earlier).
    pub requested_by_individual_on: Option<NaiveDate>,
}

impl NewSipCallBody {
    pub fn named_attendees(&self) -> Vec<NamedAttendee> {
        self.attendees
            .iter()
            .map(|a| NamedAttendee {
                name: a.name.trim().to_owned(),
                role: a.role,
            })
            .collect()
    }
}

/// What a call needs beyond its schema.
pub const NEW_CALL_RULES: &[FieldRule] = &[
    FieldRule::new("organisation_ids", "required", "at least one organisation"),
    FieldRule::new("organisation_ids", "too_many", "at most 10 organisations"),
    FieldRule::new(
        "organisation_ids[i]",
        "unknown_organisation",
        "an organisation in the hub",
    ),
    FieldRule::new(
        "organisation_ids[i]",
        "own_organisation",
        "another organisation than mine (the caller)",
    ),
    FieldRule::new("organisation_ids[i]", "duplicate", "named once"),
    FieldRule::new(
        "organisation_ids",
        "needs_both_principals",
        "the caller and the called include social services and a vårdcentral or psykiatri (SoL 2 kap. 7 §)",
    ),
    FieldRule::new("proposed_times", "too_many", "at most 5 times"),
    FieldRule::new(
        "proposed_times[i].ends_at",
        "end_before_start",
        "after starts_at",
    ),
    FieldRule::new(
        "proposed_times[i].ends_at",
        "too_long",
        "at most 10 hours after starts_at",
    ),
    FieldRule::new("proposed_times[i].starts_at", "in_the_past", "not in the past"),
    FieldRule::new(
        "proposed_times[i].starts_at",
        "too_far_ahead",
        "at most two years ahead",
    ),
    FieldRule::new("attendees", "too_many", "at most 10 attendees"),
    FieldRule::new(
        "requested_by_individual_on",
        "in_the_future",
        "today or earlier",
    ),
    FieldRule::new(
        "organisation_ids",
        "consent_missing",
        "409: each called organisation covered by an in-force consent for sip recorded by the case's owner",
    ),
];

/// A called organisation's answer. `coming`: who comes (users of my organisation).
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SipAnswerBody {
    /// `coming`, `other_time` or (optional parties only) `declined`.
    pub answer: CallAnswer,
    /// Who comes: active users of my organisation (1-10 with `coming`).
    #[serde(default)]
    #[schema(max_items = 10)]
    pub coming: Vec<UserId>,
    /// The time we propose instead (required with `other_time`).
    pub proposed_time: Option<TimeSlotBody>,
    /// Why we decline (required with `declined`).
    pub decline_reason: Option<SipDeclineReason>,
    /// A short note; required when the reason is `other`.
    #[validate(
        length(max = 2000, message = "högst 2000 tecken"),
        custom(function = "rules::blank_or_text")
    )]
    #[schema(max_length = 2000, pattern = "$text_or_blank")]
    pub text: Option<String>,
}

/// What an answer needs beyond its schema.
pub const ANSWER_RULES: &[FieldRule] = &[
    FieldRule::new("answer", "not_an_answer", "coming, other_time or declined"),
    FieldRule::new(
        "answer",
        "obliged_cannot_decline",
        "declined only by an optional party (FK, AF, Jobbtorg, samordningsförbund)",
    ),
    FieldRule::new("coming", "required", "at least one person with coming"),
    FieldRule::new("coming", "too_many", "at most 10 people"),
    FieldRule::new(
        "coming[i]",
        "invalid_person",
        "an active user of my organisation who works with cases, named once",
    ),
    FieldRule::new("proposed_time", "required", "given with other_time"),
    FieldRule::new(
        "proposed_time.ends_at",
        "end_before_start",
        "after starts_at",
    ),
    FieldRule::new("proposed_time.starts_at", "in_the_past", "not in the past"),
    FieldRule::new("decline_reason", "required", "given with declined"),
    FieldRule::new(
        "text",
        "required",
        "given (not blank) when the reason is other",
    ),
];

/// Booking the SIP meeting from the call.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookBody {
    pub starts_at: DateTime<Utc>,
    /// After `starts_at`, at most 10 hours later.
    pub ends_at: DateTime<Utc>,
    /// Where; shown in the calendar invitations, so name nothing about the person.
    #[validate(
        length(max = 200, message = "högst 200 tecken"),
        custom(function = "rules::blank_or_line")
    )]
    #[schema(max_length = 200, pattern = "$line_or_blank")]
    pub location: Option<String>,
}

/// What booking needs beyond its schema.
pub const BOOK_RULES: &[FieldRule] = &[
    FieldRule::new("location", "location_required", "a place for the meeting"),
    FieldRule::new("ends_at", "end_before_start", "after starts_at"),
    FieldRule::new("ends_at", "too_long", "at most 10 hours after starts_at"),
    FieldRule::new("starts_at", "in_the_past", "not in the past"),
    FieldRule::new("starts_at", "too_far_ahead", "at most two years ahead"),
];

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SipCallListQuery {
    /// `inbox` (calls to my organisation, the default) or `sent` (calls it made).
    #[serde(rename = "box")]
    #[param(rename = "box")]
    pub mailbox: Option<CallBox>,
    pub state: Option<CallState>,
    /// At most this many items (1-200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Skip this many items (default 0).
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<i64>,
}

/// A person who comes for a called organisation.
#[derive(Serialize, ToSchema)]
pub struct SipPersonResponse {
    pub user_id: UserId,
    pub name: String,
}

/// A called organisation and its answer.
#[derive(Serialize, ToSchema)]
pub struct PartyResponse {
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    /// From the organisation's kind: the municipality's and the region's units are obliged.
    pub obligation: Obligation,
    pub answer: CallAnswer,
    pub answered_at: Option<DateTime<Utc>>,
    /// The user ids of who comes.
    pub coming: Vec<String>,
    /// Who comes, with their names.
    pub coming_people: Vec<SipPersonResponse>,
    pub proposed_time: Option<TimeSlotBody>,
    pub decline_reason: Option<SipDeclineReason>,
    pub text: Option<String>,
    /// When the hub reminded this (obliged, silent) party.
    pub chased_at: Option<DateTime<Utc>>,
}

impl From<Party> for PartyResponse {
    fn from(p: Party) -> Self {
        Self {
            organisation_id: p.organisation_id,
            organisation_name: p.organisation_name,
            obligation: p.obligation,
            answer: p.answer,
            answered_at: p.answered_at.map(rfc3339),
            coming: p.coming.iter().map(|(id, _)| id.to_string()).collect(),
            coming_people: p
                .coming
                .into_iter()
                .map(|(user_id, name)| SipPersonResponse { user_id, name })
                .collect(),
            proposed_time: p.proposed_time.map(TimeSlotBody::of),
            decline_reason: p.decline_reason,
            text: p.text,
            chased_at: p.chased_at.map(rfc3339),
        }
    }
}

/// Someone without an account who is to come.
#[derive(Serialize, ToSchema)]
pub struct SipAttendeeResponse {
    pub name: String,
    pub role: AttendeeRole,
}

/// What I may do with the call now.
#[derive(Serialize, ToSchema)]
pub struct SipCallMay {
    pub answer: bool,
    pub book: bool,
    pub cancel: bool,
}

/// A SIP call as its caller and called organisations see it.
#[derive(Serialize, ToSchema)]
pub struct SipCallResponse {
    pub id: SipCallId,
    pub case_id: CaseId,
    /// The individual's name as the case owner recorded it.
    pub individual_name: String,
    pub caller_organisation_id: OrganisationId,
    pub caller_organisation_name: String,
    pub caller_user_id: UserId,
    pub caller_user_name: String,
    pub state: CallState,
    pub purpose_text: String,
    pub questions: String,
    pub proposed_times: Vec<TimeSlotBody>,
    pub parties: Vec<PartyResponse>,
    /// The called organisations that have not answered.
    pub not_answered: Vec<OrganisationId>,
    pub attendees: Vec<SipAttendeeResponse>,
    pub requested_by_individual_on: Option<NaiveDate>,
    pub meeting_id: Option<MeetingId>,
    /// Days from the individual's request to the booked meeting.
    pub days_from_request: Option<i64>,
    pub plan_id: Option<PlanId>,
    pub called_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub may: SipCallMay,
}

impl SipCallResponse {
    /// The call as `my_organisation` sees it.
    pub fn new(call: SipCall, my_organisation: OrganisationId) -> Self {
        let open = matches!(call.state, CallState::Called | CallState::Booked);
        let caller = call.caller_organisation_id == my_organisation;
        let called = call
            .parties
            .iter()
            .any(|p| p.organisation_id == my_organisation);
        let days = match (call.requested_by_individual_on, call.meeting_on) {
            (Some(requested), Some(meeting)) => Some(days_from_request(requested, meeting)),
            _ => None,
        };
        Self {
            id: call.id,
            case_id: call.case_id,
            individual_name: call.individual_name,
            caller_organisation_id: call.caller_organisation_id,
            caller_organisation_name: call.caller_organisation_name,
            caller_user_id: call.caller_user_id,
            caller_user_name: call.caller_user_name,
            state: call.state,
            purpose_text: call.purpose_text,
            questions: call.questions,
            proposed_times: call
                .proposed_times
                .into_iter()
                .map(TimeSlotBody::of)
                .collect(),
            not_answered: call
                .parties
                .iter()
                .filter(|p| p.answer == CallAnswer::Pending)
                .map(|p| p.organisation_id)
                .collect(),
            parties: call.parties.into_iter().map(Into::into).collect(),
            attendees: call
                .attendees
                .into_iter()
                .map(|a| SipAttendeeResponse {
                    name: a.name,
                    role: a.role,
                })
                .collect(),
            requested_by_individual_on: call.requested_by_individual_on,
            meeting_id: call.meeting_id,
            days_from_request: days,
            plan_id: call.plan_id,
            called_at: rfc3339(call.called_at),
            updated_at: rfc3339(call.updated_at),
            may: SipCallMay {
                answer: called && open,
                book: caller && call.state == CallState::Called,
                cancel: caller && open,
            },
        }
    }
}

/// The number behind the menu's badge.
#[derive(Serialize, ToSchema)]
pub struct SipCallCounts {
    /// Open calls to my organisation that it has not answered.
    pub unanswered: i64,
}
