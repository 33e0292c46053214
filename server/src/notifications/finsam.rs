//! Who is told of what happens to a Finsam referral. Called by `rules` at commit; never by a
//! handler. Each is told only while they may see the case for `finsamteam`.

use crate::access::policy::Need;
use crate::config::Settings;
use crate::domain::{FinsamReferralId, Purpose, Role};
use crate::store::notifications as stored;
use crate::store::{RowExt, Sql, StoreResult, Tx};

use super::{notify, Notice, NotificationKind};

const NEED: Need = Need::Purpose(Purpose::Finsamteam);

/// Who of a referral's people are told.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Whom {
    Coordinators,
    Referrer,
    Both,
}

async fn tell(
    tx: &mut Tx,
    settings: &Settings,
    kind: NotificationKind,
    referral: FinsamReferralId,
    whom: Whom,
) -> StoreResult<()> {
    let mut sql = Sql::new(
        "SELECT case_id, forbund_organisation_id, referrer_user_id FROM finsam_referrals WHERE id = ",
    );
    sql.bind(referral.to_string());
    let Some(row) = sql.fetch_optional(tx).await? else {
        return Ok(());
    };
    let mut users = Vec::new();
    if whom != Whom::Referrer {
        let forbund = row.id("forbund_organisation_id")?;
        users = stored::users_with_role(tx, forbund, Role::Finsamkoordinator).await?;
    }
    if whom != Whom::Coordinators {
        users.push(row.id("referrer_user_id")?);
    }
    let notice = Notice {
        kind,
        case_id: Some(row.id("case_id")?),
        subject_id: Some(referral.to_string()),
        need: Some(NEED),
        calendar: None,
    };
    notify(tx, settings, &notice, &users).await?;
    Ok(())
}

/// A referral sent (or completed): the förbund's coordinators.
pub(super) async fn coordinators(
    tx: &mut Tx,
    settings: &Settings,
    referral: FinsamReferralId,
) -> StoreResult<()> {
    let kind = NotificationKind::FinsamReferralReceived;
    tell(tx, settings, kind, referral, Whom::Coordinators).await
}

/// A referral returned, accepted or declined: the caseworker who wrote it.
pub(super) async fn referrer(
    tx: &mut Tx,
    settings: &Settings,
    referral: FinsamReferralId,
) -> StoreResult<()> {
    let kind = NotificationKind::FinsamReferralDecided;
    tell(tx, settings, kind, referral, Whom::Referrer).await
}

/// The team plan's follow-up is coming up or has passed (the scheduler, once per phase):
/// the förbund's coordinators and the plan's driver, the referring caseworker.
pub(super) async fn follow_up_due(
    tx: &mut Tx,
    settings: &Settings,
    referral: FinsamReferralId,
) -> StoreResult<()> {
    let kind = NotificationKind::FinsamFollowUpDue;
    tell(tx, settings, kind, referral, Whom::Both).await
}

/// A Finsamteam meeting's agenda published: everyone invited to it. The notice names the
/// meeting only, never a case or an individual on its agenda (so no case check).
pub(super) async fn agenda_published(
    tx: &mut Tx,
    settings: &Settings,
    meeting: crate::domain::MeetingId,
    users: &[crate::domain::UserId],
) -> StoreResult<()> {
    let notice = Notice {
        kind: NotificationKind::FinsamAgendaPublished,
        case_id: None,
        subject_id: Some(meeting.to_string()),
        need: None,
        calendar: None,
    };
    notify(tx, settings, &notice, users).await?;
    Ok(())
}
