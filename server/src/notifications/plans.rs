//! Who is told of what happens in a joint plan, and of its reminders. Called by `rules` at
//! commit and by the `scheduler`; never by a handler.

use crate::access::policy::plan_need;
use crate::config::Settings;
use crate::domain::plan::Responsible;
use crate::domain::{PlanActionId, PlanId, UserId};
use crate::store::notifications as stored;
use crate::store::plans::{self, actions};
use crate::store::{StoreResult, Tx};

use super::{notify, Notice, NotificationKind};

/// The people of a responsibility: the named person, or else the organisation's case
/// workers.
async fn holders(tx: &mut Tx, responsible: Responsible) -> StoreResult<Vec<UserId>> {
    Ok(match responsible.person {
        Some(person) => vec![person],
        None => stored::case_workers(tx, responsible.organisation).await?,
    })
}

async fn tell(
    tx: &mut Tx,
    settings: &Settings,
    kind: NotificationKind,
    plan: PlanId,
    people: &plans::reminders::PlanPeople,
    users: &[UserId],
) -> StoreResult<()> {
    let notice = Notice {
        kind,
        case_id: Some(people.case_id),
        subject_id: Some(plan.to_string()),
        need: Some(plan_need(people.kind)),
        calendar: None,
    };
    notify(tx, settings, &notice, users).await?;
    Ok(())
}

/// A plan adopted: whoever holds one of its actions (the person, or the organisation's case
/// workers) and the overall responsible, except in the adopting organisation, which knows.
pub(super) async fn adopted(tx: &mut Tx, settings: &Settings, plan: PlanId) -> StoreResult<()> {
    let Some(people) = plans::reminders::people(tx, plan, None).await? else {
        return Ok(());
    };
    let mut users = Vec::new();
    let mut held: Vec<Responsible> = actions::current(tx, plan)
        .await?
        .into_iter()
        .map(|a| a.action.responsible)
        .chain(people.overall)
        .filter(|r| r.organisation != people.owner)
        .collect();
    held.dedup();
    for responsible in held {
        users.extend(holders(tx, responsible).await?);
    }
    tell(
        tx,
        settings,
        NotificationKind::PlanAdopted,
        plan,
        &people,
        &users,
    )
    .await
}

/// Organisations in the plan lost consent: the case's responsible and the overall
/// responsible are told that actions need a new responsible.
pub(super) async fn responsible_lost(
    tx: &mut Tx,
    settings: &Settings,
    plan: PlanId,
) -> StoreResult<()> {
    let Some(people) = plans::reminders::people(tx, plan, None).await? else {
        return Ok(());
    };
    let mut users: Vec<UserId> = people.case_facts.iter().map(|f| f.responsible).collect();
    users.extend(people.overall.and_then(|o| o.person));
    let kind = NotificationKind::PlanResponsibleLost;
    tell(tx, settings, kind, plan, &people, &users).await
}

/// An action due soon or overdue: who holds it and the overall responsible.
pub(super) async fn action_due(
    tx: &mut Tx,
    settings: &Settings,
    plan: PlanId,
    action: PlanActionId,
) -> StoreResult<()> {
    let Some(people) = plans::reminders::people(tx, plan, Some(action)).await? else {
        return Ok(());
    };
    let mut users = Vec::new();
    for responsible in people.action.into_iter().chain(people.overall) {
        users.extend(holders(tx, responsible).await?);
    }
    tell(
        tx,
        settings,
        NotificationKind::PlanActionDue,
        plan,
        &people,
        &users,
    )
    .await
}

/// A follow-up coming up or passed: the overall responsible and the plan's owner (the
/// case's responsible).
pub(super) async fn follow_up_due(
    tx: &mut Tx,
    settings: &Settings,
    plan: PlanId,
) -> StoreResult<()> {
    let Some(people) = plans::reminders::people(tx, plan, None).await? else {
        return Ok(());
    };
    let mut users: Vec<UserId> = people.case_facts.iter().map(|f| f.responsible).collect();
    if let Some(overall) = people.overall {
        users.extend(holders(tx, overall).await?);
    }
    let kind = NotificationKind::PlanFollowUpDue;
    tell(tx, settings, kind, plan, &people, &users).await
}
