//! What the inquiry routes take and give, and the checks that need more than one field.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::answer::AnswerResponse;
use crate::domain::inquiry::is_overdue;
use crate::domain::{
    CaseId, DeclineReason, IndividualId, InquiryId, InquiryPostId, InquiryState, OrganisationId,
    UserId,
};
use crate::error::{AppError, FieldError};
use crate::http::rules::FieldRule;
use crate::http::rules::TextLine;
use crate::http::{not_blank, rfc3339, rules, text_line};
use crate::store::inquiries::thread::Post;
use crate::store::inquiries::{Inquiry, SenderPart, Stamp};

/// Most activities one inquiry may list.
const MAX_ACTIVITIES: usize = 20;
/// Longest answer date from today, in days.
const MAX_ANSWER_DAYS: i64 = 365;

/// The sender's contact person.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    #[validate(nested)]
    #[schema(inline)]
    pub name: TextLine<200>,
    #[validate(custom(function = "rules::valid_phone"))]
    #[schema(min_length = 5, max_length = 40, pattern = "$phone")]
    pub phone: Option<String>,
    #[validate(
        email(message = "ogiltig e-postadress"),
        length(max = 254, message = "högst 254 tecken")
    )]
    #[schema(format = Email, max_length = 254, pattern = "$email")]
    pub email: Option<String>,
}

/// A new inquiry (saved as a draft): the upper part of the form.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInquiry {
    /// A vårdcentral or psykiatrisk mottagning.
    pub recipient_organisation_id: OrganisationId,
    /// Activities the person is expected to take part in, e.g. "Jobbtorg", "arbetsträning"
    /// (each 1-100 characters).
    #[serde(default)]
    #[schema(schema_with = rules::lines::<100, 20>)]
    pub activities: Vec<String>,
    /// The questions to the clinic.
    #[validate(
        length(min = 1, max = 4000, message = "1–4000 tecken"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 4000, pattern = "$text")]
    pub questions: String,
    #[validate(nested)]
    pub contact: ContactBody,
    /// The date the answer is needed by. Without it: the sending day plus the configured
    /// number of days (`inquiry.default_answer_days`).
    pub answer_by: Option<NaiveDate>,
}

/// Changes to a draft; fields left out stay as they are.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateInquiry {
    pub recipient_organisation_id: Option<OrganisationId>,
    #[schema(schema_with = rules::lines_or_null::<100, 20>)]
    pub activities: Option<Vec<String>>,
    #[validate(
        length(min = 1, max = 4000, message = "1–4000 tecken"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 4000, pattern = "$text")]
    pub questions: Option<String>,
    #[validate(nested)]
    pub contact: Option<ContactBody>,
    pub answer_by: Option<NaiveDate>,
}

pub(super) fn trimmed(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

impl ContactBody {
    fn apply(self, part: &mut SenderPart) {
        part.contact_name = self.name.trim().to_owned();
        part.contact_phone = trimmed(self.phone);
        part.contact_email = trimmed(self.email);
    }
}

impl NewInquiry {
    pub fn into_part(self) -> SenderPart {
        let mut part = SenderPart {
            recipient_organisation_id: self.recipient_organisation_id,
            activities: self.activities,
            questions: self.questions.trim().to_owned(),
            contact_name: String::new(),
            contact_phone: None,
            contact_email: None,
            answer_by: self.answer_by,
        };
        self.contact.apply(&mut part);
        part
    }
}

impl UpdateInquiry {
    pub fn apply(self, part: &mut SenderPart) {
        if let Some(recipient) = self.recipient_organisation_id {
            part.recipient_organisation_id = recipient;
        }
        if let Some(activities) = self.activities {
            part.activities = activities;
        }
        if let Some(questions) = self.questions {
            part.questions = questions.trim().to_owned();
        }
        if let Some(contact) = self.contact {
            contact.apply(part);
        }
        if self.answer_by.is_some() {
            part.answer_by = self.answer_by;
        }
    }
}

const ANSWER_BY_AHEAD: FieldRule = FieldRule::new("answer_by", "in_the_past", "today or later");
const ANSWER_BY_WITHIN_A_YEAR: FieldRule =
    FieldRule::new("answer_by", "too_far", "at most 365 days from today");

/// What a draft's sender part needs beyond its schema (create and change).
pub const SENDER_RULES: &[FieldRule] = &[
    FieldRule::new(
        "contact",
        "required",
        "a phone number or an e-mail address for the contact person",
    ),
    ANSWER_BY_AHEAD,
    ANSWER_BY_WITHIN_A_YEAR,
    FieldRule::new(
        "recipient_organisation_id",
        "invalid_recipient",
        "another organisation, a vårdcentral or psykiatrisk mottagning",
    ),
];

/// What sending needs: the answer date, given or defaulted, is still ahead.
pub const SEND_RULES: &[FieldRule] = &[ANSWER_BY_AHEAD, ANSWER_BY_WITHIN_A_YEAR];

/// What assigning needs beyond its schema.
pub const ASSIGN_RULES: &[FieldRule] = &[FieldRule::new(
    "assignee_user_id",
    "invalid_assignee",
    "an active rehabkoordinator of the receiving organisation",
)];

/// What declining needs beyond its schema.
pub const DECLINE_RULES: &[FieldRule] = &[FieldRule::new(
    "text",
    "required",
    "given (not blank) when the reason is other",
)];

/// Checks the sender's part as a whole (and tidies the activities), collecting field errors.
pub fn check_sender_part(part: &mut SenderPart, today: NaiveDate) -> Result<(), AppError> {
    let mut errors = Vec::new();
    if part.activities.len() > MAX_ACTIVITIES {
        errors.push(FieldError::new(
            "activities",
            "too_many",
            format!("högst {MAX_ACTIVITIES} aktiviteter"),
        ));
    }
    for (index, activity) in part.activities.iter_mut().enumerate() {
        *activity = activity.trim().to_owned();
        if activity.is_empty() || activity.chars().count() > 100 {
            errors.push(FieldError::new(
                format!("activities[{index}]"),
                "length",
                "1–100 tecken",
            ));
        } else if let Err(err) = text_line(activity) {
            errors.push(FieldError::new(
                format!("activities[{index}]"),
                &err.code,
                err.message.unwrap_or_default(),
            ));
        }
    }
    if part.contact_phone.is_none() && part.contact_email.is_none() {
        errors.push(FieldError::new(
            "contact",
            "required",
            "ange telefon eller e-post till kontaktpersonen",
        ));
    }
    if let Some(date) = part.answer_by {
        errors.extend(check_answer_by(date, today));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

/// The answer date is today or later, within a year.
pub fn check_answer_by(date: NaiveDate, today: NaiveDate) -> Option<FieldError> {
    if date < today {
        Some(FieldError::new(
            "answer_by",
            "in_the_past",
            "svarsdatumet har redan passerat",
        ))
    } else if (date - today).num_days() > MAX_ANSWER_DAYS {
        Some(FieldError::new(
            "answer_by",
            "too_far",
            format!("högst {MAX_ANSWER_DAYS} dagar fram"),
        ))
    } else {
        None
    }
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignInquiry {
    /// A rehab coordinator (rehabkoordinator) of the receiving organisation.
    pub assignee_user_id: UserId,
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineInquiry {
    pub reason: DeclineReason,
    /// Required when the reason is `other`.
    #[validate(
        length(max = 1000, message = "högst 1000 tecken"),
        custom(function = "rules::blank_or_text")
    )]
    #[schema(max_length = 1000, pattern = "$text_or_blank")]
    pub text: Option<String>,
}

impl DeclineInquiry {
    /// The explanation, required for `other`.
    pub fn checked_text(&self) -> Result<Option<String>, AppError> {
        let text = trimmed(self.text.clone());
        if self.reason == DeclineReason::Other && text.is_none() {
            return Err(AppError::field(
                "text",
                "required",
                "förklara varför förfrågan avböjs",
            ));
        }
        Ok(text)
    }
}

#[derive(Serialize, ToSchema)]
pub struct ContactResponse {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// Who took a step and when.
#[derive(Serialize, ToSchema)]
pub struct StepResponse {
    pub at: DateTime<Utc>,
    pub by_user_id: Option<UserId>,
}

impl From<Stamp> for StepResponse {
    fn from(s: Stamp) -> Self {
        Self {
            at: rfc3339(s.at),
            by_user_id: s.by,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeclineResponse {
    pub reason: Option<DeclineReason>,
    pub text: Option<String>,
    pub at: DateTime<Utc>,
    pub by_user_id: Option<UserId>,
}

/// A rehab inquiry as one of its two organisations sees it.
#[derive(Serialize, ToSchema)]
pub struct InquiryResponse {
    pub id: InquiryId,
    pub case_id: CaseId,
    pub individual_id: IndividualId,
    pub personnummer: String,
    pub individual_name: String,
    pub state: InquiryState,
    /// Still owed an answer and past `answer_by`.
    pub overdue: bool,
    pub sender_organisation_id: OrganisationId,
    pub sender_organisation_name: String,
    pub sender_user_id: UserId,
    pub sender_user_name: String,
    pub recipient_organisation_id: OrganisationId,
    pub recipient_organisation_name: String,
    pub activities: Vec<String>,
    pub questions: String,
    pub contact: ContactResponse,
    /// `null` in a draft without a chosen date: fixed when sent.
    pub answer_by: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// When the receiving organisation first opened it, and who did.
    pub received: Option<StepResponse>,
    pub assignee_user_id: Option<UserId>,
    pub assignee_name: Option<String>,
    pub assigned: Option<StepResponse>,
    pub declined: Option<DeclineResponse>,
    pub withdrawn: Option<StepResponse>,
    pub closed: Option<StepResponse>,
    pub answer: Option<AnswerResponse>,
}

impl InquiryResponse {
    pub fn new(q: Inquiry, today: NaiveDate) -> Self {
        let overdue = q
            .part
            .answer_by
            .is_some_and(|d| is_overdue(q.state, d, today));
        let declined = q.declined.map(|s| DeclineResponse {
            reason: q.decline_reason,
            text: q.decline_text,
            at: rfc3339(s.at),
            by_user_id: s.by,
        });
        Self {
            id: q.id,
            case_id: q.case_id,
            individual_id: q.individual_id,
            personnummer: q.personnummer,
            individual_name: q.individual_name,
            state: q.state,
            overdue,
            sender_organisation_id: q.sender_organisation_id,
            sender_organisation_name: q.sender_organisation_name,
            sender_user_id: q.sender_user_id,
            sender_user_name: q.sender_user_name,
            recipient_organisation_id: q.part.recipient_organisation_id,
            recipient_organisation_name: q.recipient_organisation_name,
            activities: q.part.activities,
            questions: q.part.questions,
            contact: ContactResponse {
                name: q.part.contact_name,
                phone: q.part.contact_phone,
                email: q.part.contact_email,
            },
            answer_by: q.part.answer_by,
            created_at: rfc3339(q.created_at),
            updated_at: rfc3339(q.updated_at),
            sent_at: q.sent_at.map(rfc3339),
            received: q.received.map(Into::into),
            assignee_user_id: q.assignee_user_id,
            assignee_name: q.assignee_name,
            assigned: q.assigned.map(Into::into),
            declined,
            withdrawn: q.withdrawn.map(Into::into),
            closed: q.closed.map(Into::into),
            answer: q.answer.map(Into::into),
        }
    }
}

/// A line in a box: no questions, no answer.
#[derive(Serialize, ToSchema)]
pub struct InquirySummary {
    pub id: InquiryId,
    pub case_id: CaseId,
    pub personnummer: String,
    pub individual_name: String,
    pub state: InquiryState,
    pub overdue: bool,
    /// Opened by the receiving organisation.
    pub opened: bool,
    pub sender_organisation_id: OrganisationId,
    pub sender_organisation_name: String,
    pub recipient_organisation_id: OrganisationId,
    pub recipient_organisation_name: String,
    pub answer_by: Option<NaiveDate>,
    pub sent_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub assignee_user_id: Option<UserId>,
    pub assignee_name: Option<String>,
}

impl InquirySummary {
    pub fn new(q: Inquiry, today: NaiveDate) -> Self {
        Self {
            overdue: q
                .part
                .answer_by
                .is_some_and(|d| is_overdue(q.state, d, today)),
            opened: q.received.is_some(),
            id: q.id,
            case_id: q.case_id,
            personnummer: q.personnummer,
            individual_name: q.individual_name,
            state: q.state,
            sender_organisation_id: q.sender_organisation_id,
            sender_organisation_name: q.sender_organisation_name,
            recipient_organisation_id: q.part.recipient_organisation_id,
            recipient_organisation_name: q.recipient_organisation_name,
            answer_by: q.part.answer_by,
            sent_at: q.sent_at.map(rfc3339),
            updated_at: rfc3339(q.updated_at),
            assignee_user_id: q.assignee_user_id,
            assignee_name: q.assignee_name,
        }
    }
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPost {
    #[validate(
        length(min = 1, max = 4000, message = "1–4000 tecken"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 4000, pattern = "$text")]
    pub body: String,
}

/// A follow-up question or answer in an inquiry's thread.
#[derive(Serialize, ToSchema)]
pub struct PostResponse {
    pub id: InquiryPostId,
    pub inquiry_id: InquiryId,
    pub author_user_id: UserId,
    pub author_name: String,
    pub author_organisation_id: OrganisationId,
    pub author_organisation_name: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

impl From<Post> for PostResponse {
    fn from(p: Post) -> Self {
        Self {
            id: p.id,
            inquiry_id: p.inquiry_id,
            author_user_id: p.author_user_id,
            author_name: p.author_name,
            author_organisation_id: p.author_organisation_id,
            author_organisation_name: p.author_organisation_name,
            body: p.body,
            created_at: rfc3339(p.created_at),
        }
    }
}
