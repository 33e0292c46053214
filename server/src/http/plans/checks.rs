//! The draft's checks that need the store, where an adoption problem is shown, and who is
//! told when a consent change leaves actions without a responsible.

use crate::access::policy::{self, CaseFacts, PlanAccess};
use crate::access::{authorize, Actor};
use crate::domain::event::{Audience, Detail, NewEvent};
use crate::domain::plan::{
    misplaced_categories, ActionStatus, AdoptionProblem, PlanContent, PlanKind, Responsible,
};
use crate::domain::{AuditAction, CaseId, EventKind, SipCallId, Timestamp};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::plans::{self, actions};
use crate::store::{organisations, users, StoreError, Tx};

/// Field errors for a responsibility: the organisation exists, and the person, when named,
/// is an active user of it.
async fn check_responsible(
    tx: &mut Tx,
    path: &str,
    responsible: Responsible,
    errors: &mut Vec<FieldError>,
) -> AppResult<()> {
    match organisations::get(tx, responsible.organisation).await {
        Ok(_) => {}
        Err(StoreError::NotFound) => {
            errors.push(FieldError::new(
                format!("{path}.organisation_id"),
                "unknown_organisation",
                "okänd organisation",
            ));
            return Ok(());
        }
        Err(err) => return Err(err.into()),
    }
    if let Some(person) = responsible.person {
        let fits = match users::get(tx, person).await {
            Ok(user) => user.active && user.organisation_id == responsible.organisation,
            Err(StoreError::NotFound) => false,
            Err(err) => return Err(err.into()),
        };
        if !fits {
            errors.push(FieldError::new(
                format!("{path}.person_id"),
                "invalid_person",
                "ange en aktiv användare i den ansvariga organisationen",
            ));
        }
    }
    Ok(())
}

/// Every organisation the draft names exists, and every named person is an active user of
/// the organisation they are named for; only a progressionsplan's actions carry a category.
pub(super) async fn check_content(
    tx: &mut Tx,
    kind: PlanKind,
    content: &PlanContent,
) -> AppResult<()> {
    let mut errors: Vec<FieldError> = misplaced_categories(kind, content)
        .into_iter()
        .map(|n| {
            FieldError::new(
                format!("actions[{n}].category"),
                "category_not_for_kind",
                "bara progressionsplanens insatser har kategori",
            )
        })
        .collect();
    for (n, action) in content.actions.iter().enumerate() {
        let path = format!("actions[{n}].responsible");
        check_responsible(tx, &path, action.responsible, &mut errors).await?;
    }
    if let Some(overall) = content.overall {
        check_responsible(tx, "overall", overall, &mut errors).await?;
    }
    for (n, reader) in content.readers.iter().enumerate() {
        match organisations::get(tx, *reader).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => errors.push(FieldError::new(
                format!("readers[{n}]"),
                "unknown_organisation",
                "okänd organisation",
            )),
            Err(err) => return Err(err.into()),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

/// The field an adoption problem is shown at: the goal or action itself where it names one.
pub(super) fn problem_field(problem: AdoptionProblem, content: &PlanContent) -> String {
    let at = match problem {
        AdoptionProblem::GoalOutOfPlace(id) => content
            .goals
            .iter()
            .position(|g| g.id == id)
            .map(|n| format!("goals[{n}]")),
        AdoptionProblem::ActionGoalMissing(id) => content
            .actions
            .iter()
            .position(|a| a.id == id)
            .map(|n| format!("actions[{n}].goal_id")),
        _ => None,
    };
    at.unwrap_or_else(|| problem.field().to_owned())
}

/// After a consent change (`before` and `after` are the individual's cases' facts around
/// it): each live plan whose actions it left without a covered responsible gets a
/// `plan.responsible_lost` event for its owner, whose rule tells the owner's people. The
/// actions themselves show in the plan's `needs_new_responsible` from the commit on.
pub async fn tell_responsible_lost(
    tx: &mut Tx,
    before: &[CaseFacts],
    after: &[CaseFacts],
    now: Timestamp,
) -> AppResult<()> {
    let case_ids: Vec<CaseId> = after.iter().map(|f| f.case_id).collect();
    for (plan, case_id, kind, held) in plans::adopted_in_cases(tx, &case_ids).await? {
        let (Some(b), Some(a)) = (
            before.iter().find(|f| f.case_id == case_id),
            after.iter().find(|f| f.case_id == case_id),
        ) else {
            continue;
        };
        if policy::responsible_lost(b, a, kind, &held, now).is_empty() {
            continue;
        }
        tx.event(NewEvent {
            kind: EventKind::PlanResponsibleLost,
            case_id: Some(case_id),
            individual_id: Some(a.individual_id),
            subject_id: Some(plan.to_string()),
            purpose: Some(kind.purpose()),
            audience: Audience::Organisations(vec![a.owner]),
            detail: Detail::None,
        });
    }
    Ok(())
}

/// Statuses are reported by each action's responsible organisation through its own route,
/// never through the owner's draft: an action the adopted plan has keeps its current
/// status, date and note (also when the draft was copied before a later report); a new
/// action of another organisation starts as planned.
pub(super) async fn settle_statuses(
    tx: &mut Tx,
    access: &PlanAccess,
    content: &mut PlanContent,
) -> AppResult<()> {
    let current = actions::current(tx, access.plan_id()).await?;
    for action in &mut content.actions {
        if let Some(now) = current.iter().find(|c| c.action.id == action.id) {
            action.status = now.action.status;
            action.status_on = now.action.status_on;
            action.note = now.action.note.clone();
        } else if action.responsible.organisation != access.case().owner() {
            action.status = ActionStatus::Planned;
            action.status_on = None;
            action.note = None;
        }
    }
    Ok(())
}

/// A SIP plan's call must be one my organisation made in this case (422 `invalid_sip_call`;
/// unknown and unseen alike).
pub(super) async fn check_sip_call(
    tx: &mut Tx,
    actor: &Actor,
    kind: PlanKind,
    call: SipCallId,
    case_id: CaseId,
) -> AppResult<()> {
    let invalid = || {
        AppError::field(
            "sip_call_id",
            "invalid_sip_call",
            "ange en kallelse till SIP som er organisation gjort i ärendet",
        )
    };
    if kind != PlanKind::Sip {
        return Err(invalid());
    }
    match authorize::authorize_sip_call(tx, actor, call, AuditAction::SipCallRead).await {
        Ok(access)
            if access.case().case_id() == case_id && access.caller() == actor.organisation_id =>
        {
            Ok(())
        }
        Ok(_) | Err(AppError::Denied(_)) => Err(invalid()),
        Err(err) => Err(err),
    }
}
