//! Finsamteam meetings and their agenda. The meeting itself is stored by `store::meetings`;
//! here its förbund, its publication, and the referrals on its agenda with what the team
//! recorded. Items are read without identity (`items`); a person and content only for an item
//! the policy let the reader see (`item_person`, taking its `AgendaItemView`).

use super::super::{cases, decode_code, meetings, Reads, RowExt, Sql, StoreResult, Tx};
use crate::access::policy::{
    AgendaItemView, CaseFacts, FinsamMeetingAccess, FinsamMeetingBook, FinsamMeetingFacts,
    FinsamMeetingFilter,
};
use crate::domain::finsam::agenda::AgendaDecision;
use crate::domain::finsam::ReferralState;
use crate::domain::{
    CaseId, ConsentId, FinsamAgendaItemId, FinsamReferralId, MeetingId, OrganisationId, Timestamp,
    UserId,
};

/// Records a booked meeting as the förbund's Finsamteam meeting.
pub async fn insert_meeting(
    tx: &mut Tx,
    book: &FinsamMeetingBook,
    meeting: MeetingId,
    now: Timestamp,
) -> StoreResult<()> {
    let mut sql = Sql::new(
        "INSERT INTO finsam_meetings (meeting_id, forbund_organisation_id, created_at) VALUES (",
    );
    sql.bind(meeting.to_string())
        .push(", ")
        .bind(book.forbund().to_string())
        .push(", ")
        .bind(now.micros())
        .push(")");
    sql.execute(tx).await?;
    Ok(())
}

/// What the policy reads about a Finsamteam meeting. Not for display.
pub async fn meeting_facts(
    tx: &mut impl Reads,
    id: MeetingId,
) -> StoreResult<Option<FinsamMeetingFacts>> {
    let mut sql = Sql::new(
        "SELECT forbund_organisation_id, published_at FROM finsam_meetings WHERE meeting_id = ",
    );
    sql.bind(id.to_string());
    let Some(row) = sql.fetch_optional(tx).await? else {
        return Ok(None);
    };
    let Some(meeting) = meetings::facts(tx, id).await? else {
        return Ok(None);
    };
    Ok(Some(FinsamMeetingFacts {
        meeting,
        forbund: row.id("forbund_organisation_id")?,
        published_at: row.opt_int("published_at")?.map(Timestamp::from_micros),
    }))
}

/// Marks the agenda sent to the participants (again, if it was).
pub async fn publish(tx: &mut Tx, access: &FinsamMeetingAccess, at: Timestamp) -> StoreResult<()> {
    let mut sql = Sql::new("UPDATE finsam_meetings SET published_at = ");
    sql.bind(at.micros())
        .push(" WHERE meeting_id = ")
        .bind(access.meeting_id().to_string());
    sql.execute(tx).await?;
    Ok(())
}

/// One agenda item without identity: what every participant may learn of it.
#[derive(Clone, Debug)]
pub struct AgendaRow {
    pub id: FinsamAgendaItemId,
    pub referral_id: FinsamReferralId,
    pub position: i64,
    pub decision: Option<AgendaDecision>,
    pub next_step: Option<String>,
    pub parties: Vec<OrganisationId>,
    pub recorded_by: Option<UserId>,
    pub recorded_at: Option<Timestamp>,
    pub referral_state: ReferralState,
    /// For the policy: the referral's case and the consent it was sent under.
    pub case_id: CaseId,
    pub consent_id: Option<ConsentId>,
}

/// The meeting's agenda in order, each item with its case's facts for the policy.
pub async fn items(
    tx: &mut impl Reads,
    meeting: MeetingId,
) -> StoreResult<Vec<(AgendaRow, Option<CaseFacts>)>> {
    let mut sql = Sql::new(
        "SELECT a.id, a.referral_id, a.position, a.decision, a.next_step, a.recorded_by_user_id, \
         a.recorded_at, r.state, r.case_id, r.consent_id FROM finsam_agenda_items a \
         JOIN finsam_referrals r ON r.id = a.referral_id WHERE a.meeting_id = ",
    );
    sql.bind(meeting.to_string())
        .push(" ORDER BY a.position, a.id");
    let rows = sql.fetch_all(tx).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: FinsamAgendaItemId = row.id("id")?;
        let mut parties =
            Sql::new("SELECT organisation_id FROM finsam_agenda_parties WHERE item_id = ");
        parties
            .bind(id.to_string())
            .push(" ORDER BY organisation_id");
        let parties = parties
            .fetch_all(tx)
            .await?
            .iter()
            .map(|r| r.id("organisation_id"))
            .collect::<StoreResult<Vec<OrganisationId>>>()?;
        let item = AgendaRow {
            id,
            referral_id: row.id("referral_id")?,
            position: row.int("position")?,
            decision: row
                .opt_text("decision")?
                .map(|c| decode_code(&c, AgendaDecision::from_code))
                .transpose()?,
            next_step: row.opt_text("next_step")?,
            parties,
            recorded_by: row.opt_id("recorded_by_user_id")?,
            recorded_at: row.opt_int("recorded_at")?.map(Timestamp::from_micros),
            referral_state: decode_code(&row.text("state")?, ReferralState::from_code)?,
            case_id: row.id("case_id")?,
            consent_id: row.opt_id("consent_id")?,
        };
        let facts = cases::facts(tx, item.case_id).await?;
        items.push((item, facts));
    }
    Ok(items)
}

/// Who an item is about and what the referral says, for a reader the policy let see it.
#[derive(Clone, Debug)]
pub struct ItemPerson {
    pub individual_name: String,
    pub referrer_organisation_id: OrganisationId,
    pub referrer_organisation_name: String,
    pub why_coordination: String,
    pub own_goal: String,
    pub practical_needs: String,
}

/// The person and content of the item's referral (the view is the proof).
pub async fn item_person(
    tx: &mut impl Reads,
    view: &AgendaItemView,
    referral: FinsamReferralId,
) -> StoreResult<Option<ItemPerson>> {
    let mut sql = Sql::new(
        "SELECT i.name, r.referrer_organisation_id, o.name AS referrer_name, \
         r.why_coordination, r.own_goal, r.practical_needs FROM finsam_referrals r \
         JOIN cases c ON c.id = r.case_id \
         JOIN individual_records i ON i.id = c.individual_id AND i.organisation_id = c.owner_organisation_id \
         JOIN organisations o ON o.id = r.referrer_organisation_id WHERE r.id = ",
    );
    sql.bind(referral.to_string())
        .push(" AND r.case_id = ")
        .bind(view.case_id().to_string());
    let Some(row) = sql.fetch_optional(tx).await? else {
        return Ok(None);
    };
    Ok(Some(ItemPerson {
        individual_name: row.text("name")?,
        referrer_organisation_id: row.id("referrer_organisation_id")?,
        referrer_organisation_name: row.text("referrer_name")?,
        why_coordination: row.text("why_coordination")?,
        own_goal: row.text("own_goal")?,
        practical_needs: row.text("practical_needs")?,
    }))
}

/// The item of `referral` on the meeting's agenda, if any.
pub async fn item_of(
    tx: &mut impl Reads,
    meeting: MeetingId,
    item: FinsamAgendaItemId,
) -> StoreResult<Option<(FinsamReferralId, bool)>> {
    let mut sql =
        Sql::new("SELECT referral_id, recorded_at FROM finsam_agenda_items WHERE meeting_id = ");
    sql.bind(meeting.to_string())
        .push(" AND id = ")
        .bind(item.to_string());
    match sql.fetch_optional(tx).await? {
        Some(row) => Ok(Some((
            row.id("referral_id")?,
            row.opt_int("recorded_at")?.is_some(),
        ))),
        None => Ok(None),
    }
}

/// Puts the referral last on the agenda.
pub async fn add_item(
    tx: &mut Tx,
    access: &FinsamMeetingAccess,
    id: FinsamAgendaItemId,
    referral: FinsamReferralId,
    now: Timestamp,
) -> StoreResult<()> {
    let meeting = access.meeting_id().to_string();
    let mut sql = Sql::new(
        "INSERT INTO finsam_agenda_items (id, meeting_id, referral_id, position, created_at) \
         SELECT ",
    );
    sql.bind(id.to_string())
        .push(", ")
        .bind(meeting.clone())
        .push(", ")
        .bind(referral.to_string())
        .push(", COALESCE(MAX(position), 0) + 1, ")
        .bind(now.micros())
        .push(" FROM finsam_agenda_items WHERE meeting_id = ")
        .bind(meeting);
    sql.execute(tx).await?;
    Ok(())
}

/// Takes an item not yet recorded off the agenda; false if it was recorded meanwhile.
pub async fn remove_item(
    tx: &mut Tx,
    access: &FinsamMeetingAccess,
    item: FinsamAgendaItemId,
) -> StoreResult<bool> {
    let mut sql = Sql::new("DELETE FROM finsam_agenda_items WHERE id = ");
    sql.bind(item.to_string())
        .push(" AND meeting_id = ")
        .bind(access.meeting_id().to_string())
        .push(" AND recorded_at IS NULL");
    Ok(sql.execute(tx).await? == 1)
}

/// Puts the items in `order` (the caller checked it holds each item once).
pub async fn reorder(
    tx: &mut Tx,
    access: &FinsamMeetingAccess,
    order: &[FinsamAgendaItemId],
) -> StoreResult<()> {
    for (index, item) in order.iter().enumerate() {
        let mut sql = Sql::new("UPDATE finsam_agenda_items SET position = ");
        sql.bind(index as i64 + 1)
            .push(" WHERE id = ")
            .bind(item.to_string())
            .push(" AND meeting_id = ")
            .bind(access.meeting_id().to_string());
        sql.execute(tx).await?;
    }
    Ok(())
}

/// What the team recorded for an item.
#[derive(Clone, Debug)]
pub struct Record<'a> {
    pub decision: AgendaDecision,
    pub parties: &'a [OrganisationId],
    pub next_step: &'a str,
    pub by: UserId,
}

/// Records the team's decision for an item not yet recorded; false if it was.
pub async fn record(
    tx: &mut Tx,
    access: &FinsamMeetingAccess,
    item: FinsamAgendaItemId,
    record: &Record<'_>,
    at: Timestamp,
) -> StoreResult<bool> {
    let mut sql = Sql::new("UPDATE finsam_agenda_items SET decision = ");
    sql.bind(record.decision.code())
        .push(", next_step = ")
        .bind(record.next_step)
        .push(", recorded_by_user_id = ")
        .bind(record.by.to_string())
        .push(", recorded_at = ")
        .bind(at.micros())
        .push(" WHERE id = ")
        .bind(item.to_string())
        .push(" AND meeting_id = ")
        .bind(access.meeting_id().to_string())
        .push(" AND recorded_at IS NULL");
    if sql.execute(tx).await? != 1 {
        return Ok(false);
    }
    for party in record.parties {
        let mut sql =
            Sql::new("INSERT INTO finsam_agenda_parties (item_id, organisation_id) VALUES (");
        sql.bind(item.to_string())
            .push(", ")
            .bind(party.to_string())
            .push(")");
        sql.execute(tx).await?;
    }
    Ok(true)
}

/// A Finsamteam meeting as listed: no agenda, so nothing about anyone on it.
#[derive(Clone, Debug)]
pub struct MeetingRow {
    pub meeting_id: MeetingId,
    pub forbund_organisation_id: OrganisationId,
    pub published_at: Option<Timestamp>,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub status: String,
    pub items: i64,
}

/// The meetings the filter lets through, earliest first.
pub async fn list_meetings(
    tx: &mut impl Reads,
    filter: &FinsamMeetingFilter,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<MeetingRow>> {
    let mut sql = Sql::new(
        "SELECT fm.meeting_id, fm.forbund_organisation_id, fm.published_at, m.starts_at, \
         m.ends_at, m.status, (SELECT COUNT(*) FROM finsam_agenda_items a \
         WHERE a.meeting_id = fm.meeting_id) AS items \
         FROM finsam_meetings fm JOIN meetings m ON m.id = fm.meeting_id WHERE ",
    );
    filter.push_visible(&mut sql);
    sql.page("m.starts_at, fm.meeting_id", limit, offset);
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|row| {
            Ok(MeetingRow {
                meeting_id: row.id("meeting_id")?,
                forbund_organisation_id: row.id("forbund_organisation_id")?,
                published_at: row.opt_int("published_at")?.map(Timestamp::from_micros),
                starts_at: Timestamp::from_micros(row.int("starts_at")?),
                ends_at: Timestamp::from_micros(row.int("ends_at")?),
                status: row.text("status")?,
                items: row.int("items")?,
            })
        })
        .collect()
}
