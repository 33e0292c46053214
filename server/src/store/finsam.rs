//! Finsamteam referrals (anmälan till Finsam-team) and the förbund's team members. Every read
//! takes a policy value: a `ReferralAccess` for one referral, a `ReferralFilter` for a list; a
//! new draft a `ReferralWrite`. Every change is conditional on the state access was granted
//! in, so a step that lost a race changes nothing.

use super::{cases, decode_code, Reads, RowExt, Sql, StoreError, StoreResult, Tx};
use crate::access::policy::{
    CaseFacts, ReferralAccess, ReferralFacts, ReferralFilter, ReferralWrite,
};
use crate::domain::event::{Audience, Detail, NewEvent};
use crate::domain::finsam::{
    InboxCount, OtherRoute, Outcome, ReferralDeclineReason, ReferralState,
};
use crate::domain::{
    CaseId, ConsentId, EventKind, FinsamEffortId, FinsamReferralId, IndividualId, MeetingId,
    OrganisationId, PlanId, Purpose, Timestamp, UserId,
};

pub mod agenda;
pub mod efforts;

/// What the referrer writes (never in e-mail).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReferralContent {
    /// Why coordination is needed.
    pub why_coordination: String,
    /// What has been tried.
    pub tried_so_far: String,
    /// Which parties are involved today.
    pub parties_today: String,
    /// The person's own goal and wishes.
    pub own_goal: String,
    /// Interpreter, accessibility.
    pub practical_needs: String,
}

/// The coordinator's decline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decline {
    pub reason: ReferralDeclineReason,
    pub other_route: Option<OtherRoute>,
    pub text: String,
}

/// A referral as its referrer and the förbund's coordinators see it.
#[derive(Clone, Debug)]
pub struct Referral {
    pub id: FinsamReferralId,
    pub case_id: CaseId,
    pub individual_id: IndividualId,
    pub individual_name: String,
    pub referrer_organisation_id: OrganisationId,
    pub referrer_organisation_name: String,
    pub referrer_user_id: UserId,
    pub referrer_user_name: String,
    pub forbund_organisation_id: OrganisationId,
    pub forbund_organisation_name: String,
    pub state: ReferralState,
    pub content: ReferralContent,
    pub consent_id: Option<ConsentId>,
    pub question: Option<String>,
    pub answer: Option<String>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<Timestamp>,
    pub decline: Option<Decline>,
    pub sent_at: Option<Timestamp>,
    /// The team's plan (kind finsam), once adopted.
    pub plan_id: Option<PlanId>,
    /// The next follow-up, while the plan runs.
    pub follow_up_due_at: Option<Timestamp>,
    pub outcome: Option<Outcome>,
    pub outcome_effort_id: Option<FinsamEffortId>,
    pub closed_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The consent a listed row is seen under (lists only).
    pub via_consent: Option<ConsentId>,
}

/// The förbund's team members, sorted.
pub async fn team_members(
    tx: &mut Tx,
    forbund: OrganisationId,
) -> StoreResult<Vec<OrganisationId>> {
    let mut sql = Sql::new(
        "SELECT organisation_id FROM finsam_team_members WHERE forbund_organisation_id = ",
    );
    sql.bind(forbund.to_string())
        .push(" ORDER BY organisation_id");
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|r| r.id("organisation_id"))
        .collect()
}

/// Makes `member` a member of the förbund's team (idempotent).
pub async fn add_team_member(
    tx: &mut Tx,
    forbund: OrganisationId,
    member: OrganisationId,
) -> StoreResult<()> {
    if team_members(tx, forbund).await?.contains(&member) {
        return Ok(());
    }
    let mut sql = Sql::new(
        "INSERT INTO finsam_team_members (forbund_organisation_id, organisation_id) VALUES (",
    );
    sql.bind(forbund.to_string())
        .push(", ")
        .bind(member.to_string())
        .push(")");
    sql.execute(tx).await?;
    Ok(())
}

/// A referral's facts and its case's. Not for display.
pub async fn facts_with_case(
    tx: &mut Tx,
    id: FinsamReferralId,
) -> StoreResult<Option<(ReferralFacts, Option<CaseFacts>)>> {
    let columns = "s.referrer_organisation_id, s.forbund_organisation_id, s.state";
    cases::facts_with(tx, "finsam_referrals", columns, id, |row| {
        Ok(ReferralFacts {
            case_id: row.id("case_id")?,
            referrer: row.id("referrer_organisation_id")?,
            forbund: row.id("forbund_organisation_id")?,
            state: decode_code(&row.text("state")?, ReferralState::from_code)?,
        })
    })
    .await
}

/// Writes a new draft.
pub async fn insert_draft(
    tx: &mut Tx,
    write: &ReferralWrite,
    id: FinsamReferralId,
    user: UserId,
    forbund: OrganisationId,
    content: &ReferralContent,
    now: Timestamp,
) -> StoreResult<()> {
    let case = write.case();
    let mut sql = Sql::new(
        "INSERT INTO finsam_referrals (id, case_id, individual_id, referrer_organisation_id, \
         referrer_user_id, forbund_organisation_id, state, why_coordination, tried_so_far, \
         parties_today, own_goal, practical_needs, created_at, updated_at) VALUES (",
    );
    for value in [
        id.to_string(),
        case.case_id().to_string(),
        case.individual_id().to_string(),
        case.owner().to_string(),
        user.to_string(),
        forbund.to_string(),
        ReferralState::Draft.code().to_owned(),
        content.why_coordination.clone(),
        content.tried_so_far.clone(),
        content.parties_today.clone(),
        content.own_goal.clone(),
        content.practical_needs.clone(),
    ] {
        sql.bind(value).push(", ");
    }
    sql.bind(now.micros())
        .push(", ")
        .bind(now.micros())
        .push(")");
    sql.execute(tx).await?;
    Ok(())
}

fn push_content(sql: &mut Sql, content: &ReferralContent) {
    sql.push(", why_coordination = ")
        .bind(content.why_coordination.as_str())
        .push(", tried_so_far = ")
        .bind(content.tried_so_far.as_str())
        .push(", parties_today = ")
        .bind(content.parties_today.as_str())
        .push(", own_goal = ")
        .bind(content.own_goal.as_str())
        .push(", practical_needs = ")
        .bind(content.practical_needs.as_str());
}

/// The next follow-up (none once closed), to be reminded of anew.
fn push_follow_up(sql: &mut Sql, due: Option<Timestamp>) {
    sql.push(", follow_up_due_at = ")
        .bind(due.map(|d| d.micros()))
        .push(", follow_up_reminded_at = NULL");
}

fn push_where(sql: &mut Sql, access: &ReferralAccess, at: Timestamp) {
    sql.push(", updated_at = ")
        .bind(at.micros())
        .push(" WHERE id = ")
        .bind(access.referral_id().to_string())
        .push(" AND state = ")
        .bind(access.state().code());
}

/// A change of state with what it records. False when the referral has moved on since access
/// was granted.
#[derive(Clone, Debug)]
pub enum Change<'a> {
    /// The draft rewritten (stays a draft).
    Edit(&'a ReferralContent),
    /// Sent (or, from returned, completed) under this consent, with the content as now.
    Send {
        content: &'a ReferralContent,
        consent: ConsentId,
        answer: Option<&'a str>,
    },
    Withdraw,
    Return {
        question: &'a str,
    },
    Accept {
        by: UserId,
    },
    Decline {
        by: UserId,
        decline: &'a Decline,
    },
    /// Put on this Finsamteam meeting's agenda.
    PutOnAgenda {
        meeting: MeetingId,
    },
    /// Off the agenda again (removed, or postponed there).
    TakeOffAgenda,
    /// The team's plan adopted; the follow-up scheduled.
    AdoptPlan {
        plan: PlanId,
        follow_up_due: Timestamp,
    },
    /// Followed up and continued: the next follow-up scheduled.
    FollowUp {
        next_due: Timestamp,
    },
    /// Closed with an outcome (and the effort it names).
    Close {
        outcome: Outcome,
        effort: Option<FinsamEffortId>,
    },
}

/// Applies `change`, moving the referral to `to`, provided it is still in the state access
/// was granted in.
pub async fn apply(
    tx: &mut Tx,
    access: &ReferralAccess,
    to: ReferralState,
    change: &Change<'_>,
    at: Timestamp,
) -> StoreResult<bool> {
    let mut sql = Sql::new("UPDATE finsam_referrals SET state = ");
    sql.bind(to.code());
    match change {
        Change::Edit(content) => push_content(&mut sql, content),
        Change::Withdraw => {}
        Change::Send {
            content,
            consent,
            answer,
        } => {
            push_content(&mut sql, content);
            sql.push(", consent_id = ")
                .bind(consent.to_string())
                .push(", sent_at = ")
                .bind(at.micros());
            if let Some(answer) = answer {
                sql.push(", answer = ").bind(*answer);
            }
        }
        Change::Return { question } => {
            sql.push(", question = ")
                .bind(*question)
                .push(", answer = NULL");
        }
        Change::Accept { by } => {
            sql.push(", decision_by_user_id = ")
                .bind(by.to_string())
                .push(", decided_at = ")
                .bind(at.micros());
        }
        Change::Decline { by, decline } => {
            sql.push(", decision_by_user_id = ")
                .bind(by.to_string())
                .push(", decided_at = ")
                .bind(at.micros())
                .push(", decline_reason = ")
                .bind(decline.reason.code())
                .push(", other_route = ")
                .bind(decline.other_route.map(|r| r.code()))
                .push(", decision_text = ")
                .bind(decline.text.as_str());
        }
        Change::PutOnAgenda { meeting } => {
            sql.push(", meeting_id = ").bind(meeting.to_string());
        }
        Change::TakeOffAgenda => {
            sql.push(", meeting_id = NULL");
        }
        Change::AdoptPlan {
            plan,
            follow_up_due,
        } => {
            sql.push(", plan_id = ").bind(plan.to_string());
            push_follow_up(&mut sql, Some(*follow_up_due));
        }
        Change::FollowUp { next_due } => push_follow_up(&mut sql, Some(*next_due)),
        Change::Close { outcome, effort } => {
            push_follow_up(&mut sql, None);
            sql.push(", outcome = ")
                .bind(outcome.code())
                .push(", outcome_effort = ")
                .bind(effort.map(|e| e.to_string()))
                .push(", closed_at = ")
                .bind(at.micros());
        }
    }
    push_where(&mut sql, access, at);
    Ok(sql.execute(tx).await? == 1)
}

const VIEW: &str = "SELECT r.id, r.case_id, r.individual_id, i.name AS individual_name, \
     r.referrer_organisation_id, ro.name AS referrer_organisation_name, r.referrer_user_id, \
     ru.display_name AS referrer_user_name, r.forbund_organisation_id, \
     fo.name AS forbund_organisation_name, r.state, r.why_coordination, r.tried_so_far, \
     r.parties_today, r.own_goal, r.practical_needs, r.consent_id, r.question, r.answer, \
     r.decision_by_user_id, r.decided_at, r.decline_reason, r.other_route, r.decision_text, \
     r.sent_at, r.plan_id, r.follow_up_due_at, r.outcome, r.outcome_effort, r.closed_at, \
     r.created_at, r.updated_at";
const FROM: &str = " FROM finsam_referrals r JOIN cases c ON c.id = r.case_id \
     JOIN individual_records i ON i.id = c.individual_id AND i.organisation_id = c.owner_organisation_id \
     JOIN organisations ro ON ro.id = r.referrer_organisation_id \
     JOIN organisations fo ON fo.id = r.forbund_organisation_id \
     JOIN users ru ON ru.id = r.referrer_user_id";

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<Referral> {
    let decline = match row.opt_text("decline_reason")? {
        Some(code) => Some(Decline {
            reason: decode_code(&code, ReferralDeclineReason::from_code)?,
            other_route: row
                .opt_text("other_route")?
                .map(|c| decode_code(&c, OtherRoute::from_code))
                .transpose()?,
            text: row.opt_text("decision_text")?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(Referral {
        id: row.id("id")?,
        case_id: row.id("case_id")?,
        individual_id: row.id("individual_id")?,
        individual_name: row.text("individual_name")?,
        referrer_organisation_id: row.id("referrer_organisation_id")?,
        referrer_organisation_name: row.text("referrer_organisation_name")?,
        referrer_user_id: row.id("referrer_user_id")?,
        referrer_user_name: row.text("referrer_user_name")?,
        forbund_organisation_id: row.id("forbund_organisation_id")?,
        forbund_organisation_name: row.text("forbund_organisation_name")?,
        state: decode_code(&row.text("state")?, ReferralState::from_code)?,
        content: ReferralContent {
            why_coordination: row.text("why_coordination")?,
            tried_so_far: row.text("tried_so_far")?,
            parties_today: row.text("parties_today")?,
            own_goal: row.text("own_goal")?,
            practical_needs: row.text("practical_needs")?,
        },
        consent_id: row.opt_id("consent_id")?,
        question: row.opt_text("question")?,
        answer: row.opt_text("answer")?,
        decided_by: row.opt_id("decision_by_user_id")?,
        decided_at: row.opt_int("decided_at")?.map(Timestamp::from_micros),
        decline,
        sent_at: row.opt_int("sent_at")?.map(Timestamp::from_micros),
        plan_id: row.opt_id("plan_id")?,
        follow_up_due_at: row.opt_int("follow_up_due_at")?.map(Timestamp::from_micros),
        outcome: row
            .opt_text("outcome")?
            .map(|c| decode_code(&c, Outcome::from_code))
            .transpose()?,
        outcome_effort_id: row.opt_id("outcome_effort")?,
        closed_at: row.opt_int("closed_at")?.map(Timestamp::from_micros),
        created_at: Timestamp::from_micros(row.int("created_at")?),
        updated_at: Timestamp::from_micros(row.int("updated_at")?),
        via_consent: None,
    })
}

/// One referral.
pub async fn get(tx: &mut Tx, access: &ReferralAccess) -> StoreResult<Referral> {
    let mut sql = Sql::new(VIEW);
    sql.push(FROM)
        .push(" WHERE r.id = ")
        .bind(access.referral_id().to_string());
    let row = sql.fetch_optional(tx).await?.ok_or(StoreError::NotFound)?;
    from_row(&row)
}

/// What a caller may add to a list.
#[derive(Clone, Debug, Default)]
pub struct ReferralQuery {
    pub state: Option<ReferralState>,
    pub case_id: Option<CaseId>,
    pub limit: i64,
    pub offset: i64,
}

/// The referrals the filter lets through, newest first.
pub async fn list(
    tx: &mut Tx,
    filter: &ReferralFilter,
    query: &ReferralQuery,
) -> StoreResult<Vec<Referral>> {
    let mut sql = Sql::visible_list(
        VIEW,
        FROM,
        |sql| filter.push_grant(sql),
        |sql| filter.push_visible(sql),
    );
    sql.and_if(" AND r.state = ", query.state.map(|s| s.code()));
    sql.and_if(" AND r.case_id = ", query.case_id.map(|c| c.to_string()));
    sql.page("r.updated_at DESC, r.id DESC", query.limit, query.offset);
    let rows = sql.fetch_all(tx).await?;
    let mut referrals = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut referral = from_row(row)?;
        referral.via_consent = row.opt_id("via_consent")?;
        referrals.push(referral);
    }
    Ok(referrals)
}

/// How many visible referrals add to `count`.
pub async fn count(tx: &mut Tx, filter: &ReferralFilter, count: InboxCount) -> StoreResult<i64> {
    let mut sql = Sql::new("SELECT COUNT(*) AS n");
    sql.push(FROM).push(" WHERE ");
    filter.push_visible(&mut sql);
    sql.push(" AND ");
    filter.push_count(count, &mut sql);
    sql.fetch_optional(tx).await?.map_or(Ok(0), |r| r.int("n"))
}

/// Referrals whose team plan's follow-up falls on or before `until`, earliest first (for the
/// scheduler: ids and times only).
pub async fn follow_ups_due(
    tx: &mut impl Reads,
    until: Timestamp,
    limit: i64,
) -> StoreResult<Vec<(FinsamReferralId, Timestamp)>> {
    let mut sql = Sql::new("SELECT id, follow_up_due_at FROM finsam_referrals WHERE state IN (");
    sql.bind(ReferralState::PlanAdopted.code())
        .push(", ")
        .bind(ReferralState::FollowedUp.code())
        .push(") AND follow_up_due_at IS NOT NULL AND follow_up_due_at <= ")
        .bind(until.micros())
        .push(" ORDER BY follow_up_due_at, id LIMIT ")
        .bind(limit);
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.id("id")?,
                Timestamp::from_micros(r.int("follow_up_due_at")?),
            ))
        })
        .collect()
}

/// Notes that the follow-up's people were reminded (shown to them; the claim is what keeps
/// it once across nodes).
pub async fn mark_reminded(tx: &mut Tx, id: FinsamReferralId, at: Timestamp) -> StoreResult<()> {
    let mut sql = Sql::new("UPDATE finsam_referrals SET follow_up_reminded_at = ");
    sql.bind(at.micros())
        .push(" WHERE id = ")
        .bind(id.to_string());
    sql.execute(tx).await?;
    Ok(())
}

/// The referral's current state, to name it when a step lost a race.
pub async fn current_state(tx: &mut Tx, id: FinsamReferralId) -> StoreResult<ReferralState> {
    let mut sql = Sql::new("SELECT state FROM finsam_referrals WHERE id = ");
    sql.bind(id.to_string());
    let row = sql.fetch_optional(tx).await?.ok_or(StoreError::NotFound)?;
    decode_code(&row.text("state")?, ReferralState::from_code)
}

/// The thin event of a change to a referral, for its referrer and (once sent) the förbund,
/// each re-checked against the case rule for `finsamteam` on delivery. Never content.
pub fn referral_event(kind: EventKind, access: &ReferralAccess, to: ReferralState) -> NewEvent {
    NewEvent {
        kind,
        case_id: Some(access.case().case_id()),
        individual_id: Some(access.case().individual_id()),
        subject_id: Some(access.referral_id().to_string()),
        purpose: Some(Purpose::Finsamteam),
        audience: Audience::Organisations(access.organisations(to)),
        detail: Detail::None,
    }
}
