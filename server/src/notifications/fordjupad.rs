//! Who is told of what happens in fördjupad samverkan, and of its follow-up rules. Called by
//! `rules` at commit and by the `scheduler`; never by a handler. Each is told only while
//! they may see the case for `fordjupad_samverkan`.

use crate::access::policy::FORDJUPAD_NEED;
use crate::config::Settings;
use crate::domain::fordjupad::FollowUpKind;
use crate::domain::{CaseId, OrganisationId, Role, UserId};
use crate::store::fordjupad::caseload::CaseloadCase;
use crate::store::notifications as stored;
use crate::store::{RowExt, Sql, StoreResult, Tx};

use super::{notify, Notice, NotificationKind};

async fn tell(
    tx: &mut Tx,
    settings: &Settings,
    kind: NotificationKind,
    case: CaseId,
    subject: String,
    users: &[UserId],
) -> StoreResult<()> {
    let notice = Notice {
        kind,
        case_id: Some(case),
        subject_id: Some(subject),
        need: Some(FORDJUPAD_NEED),
        calendar: None,
    };
    notify(tx, settings, &notice, users).await?;
    Ok(())
}

/// The owner's users holding any of `roles`.
async fn with_roles(
    tx: &mut Tx,
    owner: OrganisationId,
    roles: &[Role],
) -> StoreResult<Vec<UserId>> {
    let mut users = Vec::new();
    for role in roles {
        users.extend(stored::users_with_role(tx, owner, *role).await?);
    }
    Ok(users)
}

/// A follow-up rule fired on the case (`subject`: the fired follow-up's id). An avstämning
/// coming due: the rehabansvarig. An idle case: the biträdande enhetschef takes over. An
/// avstämning not booked in time: the biträdande enhetschef and the rehabansvarig. A case
/// manager assignment ending: the rehabansvarig and the social worker who brought the case.
pub(super) async fn follow_up(
    tx: &mut Tx,
    settings: &Settings,
    case: &CaseloadCase,
    kind: FollowUpKind,
    subject: String,
) -> StoreResult<()> {
    use Role::{BitradandeEnhetschef, Rehabansvarig};
    let (notification, roles): (_, &[Role]) = match kind {
        FollowUpKind::AvstamningReminder => {
            (NotificationKind::FordjupadAvstamningDue, &[Rehabansvarig])
        }
        FollowUpKind::Escalation => (
            NotificationKind::FordjupadEscalated,
            &[BitradandeEnhetschef],
        ),
        FollowUpKind::AvstamningOverdue => (
            NotificationKind::FordjupadEscalated,
            &[BitradandeEnhetschef, Rehabansvarig],
        ),
        FollowUpKind::CaseManagerEnding => (
            NotificationKind::FordjupadCaseManagerEnding,
            &[Rehabansvarig],
        ),
    };
    let mut users = with_roles(tx, case.owner, roles).await?;
    if kind == FollowUpKind::CaseManagerEnding {
        users.push(case.social_worker);
    }
    tell(tx, settings, notification, case.case_id, subject, &users).await
}

/// The owner of the case and who brought it.
async fn brought(tx: &mut Tx, case: CaseId) -> StoreResult<Option<(OrganisationId, UserId)>> {
    let mut sql = Sql::new(
        "SELECT owner_organisation_id, social_worker_user_id FROM fordjupad_cases WHERE case_id = ",
    );
    sql.bind(case.to_string());
    sql.fetch_optional(tx)
        .await?
        .map(|row| {
            Ok((
                row.id("owner_organisation_id")?,
                row.id("social_worker_user_id")?,
            ))
        })
        .transpose()
}

/// A case brought: the owner's rehabansvariga.
pub(super) async fn rehab_leads(tx: &mut Tx, settings: &Settings, case: CaseId) -> StoreResult<()> {
    let Some((owner, _)) = brought(tx, case).await? else {
        return Ok(());
    };
    let users = with_roles(tx, owner, &[Role::Rehabansvarig]).await?;
    let kind = NotificationKind::FordjupadBrought;
    tell(tx, settings, kind, case, case.to_string(), &users).await
}

/// A decision: the social worker who brought the case.
pub(super) async fn social_worker(
    tx: &mut Tx,
    settings: &Settings,
    case: CaseId,
) -> StoreResult<()> {
    let Some((_, worker)) = brought(tx, case).await? else {
        return Ok(());
    };
    let kind = NotificationKind::FordjupadDecided;
    tell(tx, settings, kind, case, case.to_string(), &[worker]).await
}
