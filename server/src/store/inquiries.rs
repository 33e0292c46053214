//! Rehab inquiries (rehabiliteringsförfrågan): the sender's part and the life-cycle columns.
//! Every read takes a policy value: an `InquiryAccess` for one inquiry, an `InquiryFilter`
//! for a box. The clinic's answer is in `answer`, the follow-up thread in `thread`.

pub mod answer;
pub mod thread;

use chrono::NaiveDate;

use super::{cases, decode_code, Reads, RowExt, Sql, StoreError, StoreResult, Tx};
use crate::access::policy::{CaseFacts, CaseWrite, InquiryAccess, InquiryFacts, InquiryFilter};
use crate::domain::inquiry::{Step, AWAITING_ANSWER};
use crate::domain::{
    CaseId, ConsentId, DeclineReason, IndividualId, InquiryId, InquiryState, OrganisationId,
    Timestamp, UserId,
};

/// An inquiry's facts and its case's, in one round trip. Not for display.
pub async fn facts_with_case(
    tx: &mut impl Reads,
    id: InquiryId,
) -> StoreResult<Option<(InquiryFacts, Option<CaseFacts>)>> {
    let columns = "s.sender_organisation_id, s.recipient_organisation_id, s.state";
    cases::facts_with(tx, "inquiries", columns, id, |row| {
        Ok(InquiryFacts {
            case_id: row.id("case_id")?,
            sender: row.id("sender_organisation_id")?,
            recipient: row.id("recipient_organisation_id")?,
            state: decode_code(&row.text("state")?, InquiryState::from_code)?,
        })
    })
    .await
}

/// The sender's part (the upper half of the form).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SenderPart {
    pub recipient_organisation_id: OrganisationId,
    /// Activities the person is expected to take part in (Jobbtorg, arbetsträning, praktik ...).
    pub activities: Vec<String>,
    pub questions: String,
    pub contact_name: String,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    /// `None` in a draft: set when sent (sending day + `inquiry.default_answer_days`).
    pub answer_by: Option<NaiveDate>,
}

/// Who took a step and when.
#[derive(Clone, Debug)]
pub struct Stamp {
    pub at: Timestamp,
    pub by: Option<UserId>,
}

/// An inquiry as shown to one of its two organisations.
#[derive(Clone, Debug)]
pub struct Inquiry {
    pub id: InquiryId,
    pub case_id: CaseId,
    pub individual_id: IndividualId,
    pub personnummer: String,
    pub individual_name: String,
    pub owner_organisation_id: OrganisationId,
    pub sender_organisation_id: OrganisationId,
    pub sender_organisation_name: String,
    pub sender_user_id: UserId,
    pub sender_user_name: String,
    pub recipient_organisation_name: String,
    pub state: InquiryState,
    pub part: SenderPart,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    pub received: Option<Stamp>,
    pub assignee_user_id: Option<UserId>,
    pub assignee_name: Option<String>,
    pub assigned: Option<Stamp>,
    pub declined: Option<Stamp>,
    pub decline_reason: Option<DeclineReason>,
    pub decline_text: Option<String>,
    pub withdrawn: Option<Stamp>,
    pub closed: Option<Stamp>,
    pub answer: Option<answer::Answer>,
    /// The consent a listed row is seen under (lists only).
    pub via_consent: Option<ConsentId>,
}

const VIEW: &str =
    "SELECT q.id, q.case_id, q.individual_id, i.personnummer, i.name AS individual_name, \
     c.owner_organisation_id, q.sender_organisation_id, so.name AS sender_organisation_name, \
     q.sender_user_id, su.display_name AS sender_user_name, q.recipient_organisation_id, \
     ro.name AS recipient_organisation_name, q.state, q.activities, q.questions, q.contact_name, \
     q.contact_phone, q.contact_email, q.answer_by, q.created_at, q.updated_at, q.sent_at, \
     q.received_at, q.received_by_user_id, q.assignee_user_id, au.display_name AS assignee_name, \
     q.assigned_at, q.assigned_by_user_id, q.declined_at, q.declined_by_user_id, q.decline_reason, \
     q.decline_text, q.withdrawn_at, q.withdrawn_by_user_id, q.closed_at, q.closed_by_user_id";
const FROM: &str = " FROM inquiries q JOIN cases c ON c.id = q.case_id \
     JOIN individual_records i ON i.id = c.individual_id AND i.organisation_id = c.owner_organisation_id \
     JOIN organisations so ON so.id = q.sender_organisation_id JOIN users su ON su.id = q.sender_user_id \
     JOIN organisations ro ON ro.id = q.recipient_organisation_id \
     LEFT JOIN users au ON au.id = q.assignee_user_id";

pub(super) fn json_error(err: serde_json::Error) -> StoreError {
    StoreError::Other(err.into())
}

fn parse_date(text: &str) -> StoreResult<NaiveDate> {
    text.parse()
        .map_err(|_| StoreError::Other(anyhow::anyhow!("stored answer_by is not a date")))
}

fn stamp(row: &sqlx::any::AnyRow, at: &str, by: &str) -> StoreResult<Option<Stamp>> {
    Ok(match row.opt_int(at)? {
        Some(micros) => Some(Stamp {
            at: Timestamp::from_micros(micros),
            by: row.opt_id(by)?,
        }),
        None => None,
    })
}

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<Inquiry> {
    let activities: Vec<String> =
        serde_json::from_str(&row.text("activities")?).map_err(json_error)?;
    Ok(Inquiry {
        id: row.id("id")?,
        case_id: row.id("case_id")?,
        individual_id: row.id("individual_id")?,
        personnummer: row.text("personnummer")?,
        individual_name: row.text("individual_name")?,
        owner_organisation_id: row.id("owner_organisation_id")?,
        sender_organisation_id: row.id("sender_organisation_id")?,
        sender_organisation_name: row.text("sender_organisation_name")?,
        sender_user_id: row.id("sender_user_id")?,
        sender_user_name: row.text("sender_user_name")?,
        recipient_organisation_name: row.text("recipient_organisation_name")?,
        state: decode_code(&row.text("state")?, InquiryState::from_code)?,
        part: SenderPart {
            recipient_organisation_id: row.id("recipient_organisation_id")?,
            activities,
            questions: row.text("questions")?,
            contact_name: row.text("contact_name")?,
            contact_phone: row.opt_text("contact_phone")?,
            contact_email: row.opt_text("contact_email")?,
            answer_by: row
                .opt_text("answer_by")?
                .map(|d| parse_date(&d))
                .transpose()?,
        },
        created_at: Timestamp::from_micros(row.int("created_at")?),
        updated_at: Timestamp::from_micros(row.int("updated_at")?),
        sent_at: row.opt_int("sent_at")?.map(Timestamp::from_micros),
        received: stamp(row, "received_at", "received_by_user_id")?,
        assignee_user_id: row.opt_id("assignee_user_id")?,
        assignee_name: row.opt_text("assignee_name")?,
        assigned: stamp(row, "assigned_at", "assigned_by_user_id")?,
        declined: stamp(row, "declined_at", "declined_by_user_id")?,
        decline_reason: row
            .opt_text("decline_reason")?
            .map(|r| decode_code(&r, DeclineReason::from_code))
            .transpose()?,
        decline_text: row.opt_text("decline_text")?,
        withdrawn: stamp(row, "withdrawn_at", "withdrawn_by_user_id")?,
        closed: stamp(row, "closed_at", "closed_by_user_id")?,
        answer: None,
        via_consent: None,
    })
}

/// A new draft in the case the sender may change.
pub async fn insert(
    tx: &mut Tx,
    write: &CaseWrite,
    id: InquiryId,
    sender: UserId,
    part: &SenderPart,
) -> StoreResult<()> {
    let access = write.access();
    let now = Timestamp::now().micros();
    let mut sql = Sql::new(
        "INSERT INTO inquiries (id, case_id, individual_id, sender_organisation_id, sender_user_id, \
         recipient_organisation_id, state, activities, questions, contact_name, contact_phone, \
         contact_email, answer_by, created_at, updated_at) VALUES (",
    );
    sql.bind(id.to_string())
        .push(", ")
        .bind(access.case_id().to_string())
        .push(", ");
    sql.bind(access.individual_id().to_string())
        .push(", ")
        .bind(access.owner().to_string())
        .push(", ");
    sql.bind(sender.to_string())
        .push(", ")
        .bind(part.recipient_organisation_id.to_string())
        .push(", ");
    sql.bind(InquiryState::Draft.code())
        .push(", ")
        .bind(serde_json::to_string(&part.activities).map_err(json_error)?)
        .push(", ");
    sql.bind(part.questions.as_str())
        .push(", ")
        .bind(part.contact_name.as_str())
        .push(", ");
    sql.bind(part.contact_phone.clone())
        .push(", ")
        .bind(part.contact_email.clone())
        .push(", ");
    sql.bind(part.answer_by.map(|d| d.to_string()))
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(")");
    sql.execute(tx).await?;
    Ok(())
}

/// Rewrites a draft's sender part. False when it is no longer a draft.
pub async fn update_draft(
    tx: &mut Tx,
    access: &InquiryAccess,
    part: &SenderPart,
) -> StoreResult<bool> {
    let mut sql = Sql::new("UPDATE inquiries SET recipient_organisation_id = ");
    sql.bind(part.recipient_organisation_id.to_string())
        .push(", activities = ")
        .bind(serde_json::to_string(&part.activities).map_err(json_error)?);
    sql.push(", questions = ")
        .bind(part.questions.as_str())
        .push(", contact_name = ")
        .bind(part.contact_name.as_str());
    sql.push(", contact_phone = ")
        .bind(part.contact_phone.clone())
        .push(", contact_email = ")
        .bind(part.contact_email.clone());
    sql.push(", answer_by = ")
        .bind(part.answer_by.map(|d| d.to_string()))
        .push(", updated_at = ")
        .bind(Timestamp::now().micros());
    push_where_state(&mut sql, access, &[InquiryState::Draft]);
    Ok(sql.execute(tx).await? == 1)
}

/// Deletes a draft. False when it is no longer a draft.
pub async fn delete_draft(tx: &mut Tx, access: &InquiryAccess) -> StoreResult<bool> {
    let mut sql = Sql::new("DELETE FROM inquiries");
    push_where_state(&mut sql, access, &[InquiryState::Draft]);
    Ok(sql.execute(tx).await? == 1)
}

fn push_where_state(sql: &mut Sql, access: &InquiryAccess, states: &[InquiryState]) {
    sql.push(" WHERE id = ")
        .bind(access.inquiry_id().to_string())
        .push(" AND state IN (");
    for (n, state) in states.iter().enumerate() {
        sql.push(if n == 0 { "" } else { ", " }).bind(state.code());
    }
    sql.push(")");
}

/// What a step records besides who and when.
#[derive(Clone, Copy, Debug)]
pub enum StepDetail<'a> {
    None,
    /// Sending fixes the answer date.
    AnswerBy(NaiveDate),
    Assignee(UserId),
    Decline {
        reason: DeclineReason,
        text: Option<&'a str>,
    },
}

/// Moves the inquiry by `step` to `to`, stamping who and when, provided it is still in the
/// state its access was granted in. False when someone changed it meanwhile, so two
/// concurrent steps cannot both win.
pub async fn advance(
    tx: &mut Tx,
    access: &InquiryAccess,
    step: Step,
    to: InquiryState,
    by: UserId,
    at: Timestamp,
    detail: StepDetail<'_>,
) -> StoreResult<bool> {
    let mut sql = Sql::new("UPDATE inquiries SET state = ");
    sql.bind(to.code())
        .push(", updated_at = ")
        .bind(at.micros());
    let stamp_columns = match step {
        Step::Send => Some(("sent_at", None)),
        Step::Receive => Some(("received_at", Some("received_by_user_id"))),
        Step::Assign => Some(("assigned_at", Some("assigned_by_user_id"))),
        Step::Decline => Some(("declined_at", Some("declined_by_user_id"))),
        Step::Withdraw => Some(("withdrawn_at", Some("withdrawn_by_user_id"))),
        Step::Close => Some(("closed_at", Some("closed_by_user_id"))),
        // The answer's own row says who and when; the others change no state.
        Step::Answer | Step::Edit | Step::Delete | Step::Post => None,
    };
    if let Some((at_column, by_column)) = stamp_columns {
        sql.push(&format!(", {at_column} = ")).bind(at.micros());
        if let Some(column) = by_column {
            sql.push(&format!(", {column} = ")).bind(by.to_string());
        }
    }
    match detail {
        StepDetail::None => {}
        StepDetail::AnswerBy(date) => {
            sql.push(", answer_by = ").bind(date.to_string());
        }
        StepDetail::Assignee(user) => {
            sql.push(", assignee_user_id = ").bind(user.to_string());
        }
        StepDetail::Decline { reason, text } => {
            sql.push(", decline_reason = ")
                .bind(reason.code())
                .push(", decline_text = ")
                .bind(text);
        }
    }
    push_where_state(&mut sql, access, &[access.state()]);
    Ok(sql.execute(tx).await? == 1)
}

/// The inquiry's current state, to name it when a step lost a race.
pub async fn current_state(
    tx: &mut impl Reads,
    access: &InquiryAccess,
) -> StoreResult<InquiryState> {
    let mut sql = Sql::new("SELECT state FROM inquiries WHERE id = ");
    sql.bind(access.inquiry_id().to_string());
    let row = sql.fetch_optional(tx).await?.ok_or(StoreError::NotFound)?;
    decode_code(&row.text("state")?, InquiryState::from_code)
}

/// One inquiry with its answer.
pub async fn get(tx: &mut impl Reads, access: &InquiryAccess) -> StoreResult<Inquiry> {
    let mut sql = Sql::new(VIEW);
    sql.push(FROM)
        .push(" WHERE q.id = ")
        .bind(access.inquiry_id().to_string());
    let row = sql.fetch_optional(tx).await?.ok_or(StoreError::NotFound)?;
    let mut inquiry = from_row(&row)?;
    inquiry.answer = answer::of(tx, inquiry.id).await?;
    Ok(inquiry)
}

/// Filters a caller may add to a box.
#[derive(Clone, Debug, Default)]
pub struct InquiryQuery {
    pub state: Option<InquiryState>,
    /// Only overdue ones (`Some(true)`) or only those that are not (`Some(false)`).
    pub overdue: Option<bool>,
    pub assignee: Option<UserId>,
    pub case_id: Option<CaseId>,
    pub today: Option<NaiveDate>,
    pub limit: i64,
    pub offset: i64,
}

/// Pushes `q` is owed an answer and past its date.
fn push_overdue(sql: &mut Sql, today: NaiveDate) {
    sql.push("(q.state IN (");
    for (n, state) in AWAITING_ANSWER.iter().enumerate() {
        sql.push(if n == 0 { "" } else { ", " }).bind(state.code());
    }
    sql.push(") AND q.answer_by < ")
        .bind(today.to_string())
        .push(")");
}

/// One box, newest first (by when sent; drafts by when written), without answers.
pub async fn list(
    tx: &mut impl Reads,
    filter: &InquiryFilter,
    query: &InquiryQuery,
) -> StoreResult<Vec<Inquiry>> {
    let mut sql = Sql::visible_list(
        VIEW,
        FROM,
        |sql| filter.push_grant(sql),
        |sql| filter.push_visible(sql),
    );
    sql.and_if(" AND q.state = ", query.state.map(|s| s.code()))
        .and_if(
            " AND q.assignee_user_id = ",
            query.assignee.map(|u| u.to_string()),
        )
        .and_if(" AND q.case_id = ", query.case_id.map(|c| c.to_string()));
    if let (Some(overdue), Some(today)) = (query.overdue, query.today) {
        sql.push(if overdue { " AND " } else { " AND NOT " });
        push_overdue(&mut sql, today);
    }
    sql.page(
        "COALESCE(q.sent_at, q.created_at) DESC, q.id DESC",
        query.limit,
        query.offset,
    );
    let rows = sql.fetch_all(tx).await?;
    rows.iter()
        .map(|row| {
            let mut inquiry = from_row(row)?;
            inquiry.via_consent = row.opt_id("via_consent")?;
            Ok(inquiry)
        })
        .collect()
}

/// The numbers behind a box's badge.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BoxCounts {
    pub by_state: Vec<(InquiryState, i64)>,
    pub overdue: i64,
    /// Inbox: sent to my organisation and never opened there.
    pub unopened: i64,
    /// Thread posts by the other organisation since mine last read the thread.
    pub unread_posts: i64,
}

pub async fn counts(
    tx: &mut impl Reads,
    filter: &InquiryFilter,
    today: NaiveDate,
) -> StoreResult<BoxCounts> {
    let mut counts = BoxCounts::default();
    let mut sql = Sql::new("SELECT q.state, COUNT(*) AS n");
    sql.push(FROM).push(" WHERE ");
    filter.push_visible(&mut sql);
    sql.push(" GROUP BY q.state ORDER BY q.state");
    for row in sql.fetch_all(tx).await? {
        let state = decode_code(&row.text("state")?, InquiryState::from_code)?;
        counts.by_state.push((state, row.int("n")?));
    }
    counts.unopened = counts
        .by_state
        .iter()
        .find(|(s, _)| *s == InquiryState::Sent)
        .map_or(0, |(_, n)| *n);
    let mut sql = Sql::new("SELECT COUNT(*) AS n");
    sql.push(FROM).push(" WHERE ");
    filter.push_visible(&mut sql);
    sql.push(" AND ");
    push_overdue(&mut sql, today);
    counts.overdue = sql
        .fetch_optional(tx)
        .await?
        .map_or(Ok(0), |r| r.int("n"))?;
    counts.unread_posts = thread::unread_count(tx, filter).await?;
    Ok(counts)
}

/// Sets an inquiry's answer date (tests back-date inquiries with this to make them overdue).
pub async fn set_answer_by(tx: &mut Tx, id: InquiryId, answer_by: NaiveDate) -> StoreResult<()> {
    let mut sql = Sql::new("UPDATE inquiries SET answer_by = ");
    sql.bind(answer_by.to_string())
        .push(" WHERE id = ")
        .bind(id.to_string());
    match sql.execute(tx).await? {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}
