//! Chasing (påminnelse): obliged parties that have not answered a call within
//! `sip.chase_after_days`. The scheduler claims each reminder once; `mark_chased` records
//! it on the party so the caller sees who was chased.

use super::super::{Reads, RowExt, Sql, StoreResult, Tx};
use crate::domain::sip::{CallAnswer, CallState, Obligation};
use crate::domain::{CaseId, OrganisationId, SipCallId, Timestamp, UserId};

/// An obliged party still silent on an open call made before the cutoff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Silent {
    pub call_id: SipCallId,
    pub organisation_id: OrganisationId,
    pub called_at: Timestamp,
}

/// Up to `limit` silent obliged parties of calls made before `called_before`, not yet
/// chased, oldest call first.
pub async fn silent_obliged(
    tx: &mut impl Reads,
    called_before: Timestamp,
    limit: i64,
) -> StoreResult<Vec<Silent>> {
    let mut sql = Sql::new(
        "SELECT s.id, p.organisation_id, s.called_at FROM sip_calls s \
         JOIN sip_call_parties p ON p.call_id = s.id WHERE s.state = ",
    );
    sql.bind(CallState::Called.code())
        .push(" AND p.obligation = ")
        .bind(Obligation::Obliged.code())
        .push(" AND p.answer = ")
        .bind(CallAnswer::Pending.code());
    sql.push(" AND p.chased_at IS NULL AND s.called_at <= ")
        .bind(called_before.micros())
        .push(" ORDER BY s.called_at, s.id, p.organisation_id LIMIT ")
        .bind(limit);
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|row| {
            Ok(Silent {
                call_id: row.id("id")?,
                organisation_id: row.id("organisation_id")?,
                called_at: Timestamp::from_micros(row.int("called_at")?),
            })
        })
        .collect()
}

/// Records that the party was chased.
pub async fn mark_chased(
    tx: &mut Tx,
    call: SipCallId,
    organisation: OrganisationId,
    at: Timestamp,
) -> StoreResult<()> {
    let mut sql = Sql::new("UPDATE sip_call_parties SET chased_at = ");
    sql.bind(at.micros())
        .push(" WHERE call_id = ")
        .bind(call.to_string())
        .push(" AND organisation_id = ")
        .bind(organisation.to_string());
    sql.execute(tx).await?;
    Ok(())
}

/// Who the notification rules tell of a call. Not for display.
#[derive(Clone, Debug)]
pub struct CallPeople {
    pub case_id: CaseId,
    pub caller_user: UserId,
    pub responsible_user: UserId,
    pub parties: Vec<OrganisationId>,
}

pub async fn people(tx: &mut Tx, call: SipCallId) -> StoreResult<Option<CallPeople>> {
    let mut sql = Sql::new(
        "SELECT s.case_id, s.caller_user_id, c.responsible_user_id FROM sip_calls s \
         JOIN cases c ON c.id = s.case_id WHERE s.id = ",
    );
    sql.bind(call.to_string());
    let Some(row) = sql.fetch_optional(tx).await? else {
        return Ok(None);
    };
    Ok(Some(CallPeople {
        case_id: row.id("case_id")?,
        caller_user: row.id("caller_user_id")?,
        responsible_user: row.id("responsible_user_id")?,
        parties: super::answers::party_organisations(tx, call).await?,
    }))
}

/// Moves a call's time back (tests make calls old enough to chase with this).
pub async fn set_called_at(tx: &mut Tx, call: SipCallId, at: Timestamp) -> StoreResult<()> {
    let mut sql = Sql::new("UPDATE sip_calls SET called_at = ");
    sql.bind(at.micros())
        .push(" WHERE id = ")
        .bind(call.to_string());
    sql.execute(tx).await?;
    Ok(())
}
