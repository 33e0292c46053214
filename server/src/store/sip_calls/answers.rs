//! Each called organisation's answer to a SIP call: we come (who), another time, or (optional
//! parties only) declined with a reason.

use super::super::{decode_code, RowExt, Sql, StoreResult, Tx};
use super::{json_error, Party, TimeSlot};
use crate::access::policy::SipCallAccess;
use crate::domain::sip::{CallAnswer, CallState, Obligation, SipDeclineReason};
use crate::domain::{OrganisationId, SipCallId, Timestamp, UserId};

/// An answer as checked by the handler.
#[derive(Clone, Debug)]
pub struct Answer {
    pub answer: CallAnswer,
    /// Users of the answering organisation who come.
    pub coming: Vec<UserId>,
    pub proposed_time: Option<TimeSlot>,
    pub decline_reason: Option<SipDeclineReason>,
    pub text: Option<String>,
}

/// The called organisations of a call with their answers, in the order of their names.
pub async fn parties(tx: &mut Tx, call: SipCallId) -> StoreResult<Vec<Party>> {
    let mut sql = Sql::new(
        "SELECT p.organisation_id, o.name AS organisation_name, p.obligation, p.answer, \
         p.answered_at, p.answered_by_user_id, p.coming, p.proposed_starts_at, p.proposed_ends_at, \
         p.decline_reason, p.answer_text, p.chased_at \
         FROM sip_call_parties p JOIN organisations o ON o.id = p.organisation_id WHERE p.call_id = ",
    );
    sql.bind(call.to_string())
        .push(" ORDER BY o.name, p.organisation_id");
    let rows = sql.fetch_all(tx).await?;
    let mut parties = Vec::with_capacity(rows.len());
    for row in &rows {
        let coming: Vec<UserId> = serde_json::from_str(&row.text("coming")?).map_err(json_error)?;
        let proposed_time = match (
            row.opt_int("proposed_starts_at")?,
            row.opt_int("proposed_ends_at")?,
        ) {
            (Some(s), Some(e)) => Some(TimeSlot {
                starts_at: Timestamp::from_micros(s),
                ends_at: Timestamp::from_micros(e),
            }),
            _ => None,
        };
        parties.push(Party {
            organisation_id: row.id("organisation_id")?,
            organisation_name: row.text("organisation_name")?,
            obligation: decode_code(&row.text("obligation")?, Obligation::from_code)?,
            answer: decode_code(&row.text("answer")?, CallAnswer::from_code)?,
            answered_at: row.opt_int("answered_at")?.map(Timestamp::from_micros),
            answered_by: row.opt_id("answered_by_user_id")?,
            coming: names(tx, &coming).await?,
            proposed_time,
            decline_reason: row
                .opt_text("decline_reason")?
                .map(|r| decode_code(&r, SipDeclineReason::from_code))
                .transpose()?,
            text: row.opt_text("answer_text")?,
            chased_at: row.opt_int("chased_at")?.map(Timestamp::from_micros),
        });
    }
    Ok(parties)
}

/// The users with their display names, in the order given.
async fn names(tx: &mut Tx, users: &[UserId]) -> StoreResult<Vec<(UserId, String)>> {
    let mut named = Vec::with_capacity(users.len());
    for user in users {
        let mut sql = Sql::new("SELECT display_name FROM users WHERE id = ");
        sql.bind(user.to_string());
        let name = match sql.fetch_optional(tx).await? {
            Some(row) => row.text("display_name")?,
            None => String::new(),
        };
        named.push((*user, name));
    }
    Ok(named)
}

/// The ids of a call's called organisations.
pub async fn party_organisations(tx: &mut Tx, call: SipCallId) -> StoreResult<Vec<OrganisationId>> {
    let mut sql = Sql::new("SELECT organisation_id FROM sip_call_parties WHERE call_id = ");
    sql.bind(call.to_string()).push(" ORDER BY organisation_id");
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|r| r.id("organisation_id"))
        .collect()
}

/// Records `organisation`'s answer (replacing an earlier one), provided the call is still
/// open. False when it is not (someone cancelled it meanwhile).
pub async fn answer(
    tx: &mut Tx,
    access: &SipCallAccess,
    organisation: OrganisationId,
    answer: &Answer,
    by: UserId,
    at: Timestamp,
) -> StoreResult<bool> {
    let coming = serde_json::to_string(&answer.coming).map_err(json_error)?;
    let mut sql = Sql::new("UPDATE sip_call_parties SET answer = ");
    sql.bind(answer.answer.code())
        .push(", answered_at = ")
        .bind(at.micros())
        .push(", answered_by_user_id = ")
        .bind(by.to_string());
    sql.push(", coming = ")
        .bind(coming)
        .push(", proposed_starts_at = ")
        .bind(answer.proposed_time.map(|t| t.starts_at.micros()))
        .push(", proposed_ends_at = ")
        .bind(answer.proposed_time.map(|t| t.ends_at.micros()));
    sql.push(", decline_reason = ")
        .bind(answer.decline_reason.map(|r| r.code()))
        .push(", answer_text = ")
        .bind(answer.text.clone());
    sql.push(" WHERE call_id = ")
        .bind(access.call_id().to_string())
        .push(" AND organisation_id = ")
        .bind(organisation.to_string())
        .push(" AND EXISTS (SELECT 1 FROM sip_calls s WHERE s.id = sip_call_parties.call_id AND s.state IN (")
        .bind(CallState::Called.code())
        .push(", ")
        .bind(CallState::Booked.code())
        .push("))");
    if sql.execute(tx).await? != 1 {
        return Ok(false);
    }
    let mut touch = Sql::new("UPDATE sip_calls SET updated_at = ");
    touch
        .bind(at.micros())
        .push(" WHERE id = ")
        .bind(access.call_id().to_string());
    touch.execute(tx).await?;
    Ok(true)
}
