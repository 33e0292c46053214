//! An action's status, reported by its responsible organisation only, taking an action,
//! and "Våra åtaganden": my organisation's open actions with what is due and overdue.

use axum::extract::State;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    plan_event, today, ActionUpdate, CommitmentCounts, CommitmentList, CommitmentQuery,
    CommitmentResponse, DueResponse,
};
use crate::access::authorize;
use crate::access::policy::{plan_filter, PlanAccess};
use crate::access::{Actor, CurrentUser};
use crate::app::AppState;
use crate::domain::plan::{due, Action, Due, PlanStep};
use crate::domain::{AuditAction, EventKind, PlanActionId, PlanId, Timestamp};
use crate::error::{AppError, AppResult};
use crate::http::{ApiPath, ApiQuery, ValidJson};
use crate::store::plans::actions::{self, CurrentAction, DueFilter};
use crate::store::{StoreError, Tx};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(update_action))
        .routes(routes!(take_action))
        .routes(routes!(list_commitments))
        .routes(routes!(count_commitments))
}

/// Most commitments one list shows.
const MAX_COMMITMENTS: i64 = 500;

/// The action, for its responsible organisation only: the plan must be seen (404), the
/// state must allow updates (409), the action must be the caller's organisation's (403).
pub(super) async fn authorize_action(
    tx: &mut Tx,
    actor: &Actor,
    id: PlanId,
    action_id: PlanActionId,
    action: AuditAction,
) -> AppResult<(PlanAccess, CurrentAction)> {
    let access = authorize::authorize_plan(tx, actor, id, action).await?;
    PlanStep::UpdateAction.apply(access.state())?;
    let current = match actions::get(tx, &access, action_id).await {
        Ok(current) => current,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(err) => return Err(err.into()),
    };
    access.require_responsible(actor, current.action.responsible.organisation, action)?;
    Ok((access, current))
}

pub(super) async fn finish(
    tx: &mut Tx,
    actor: &Actor,
    access: &PlanAccess,
    action_id: PlanActionId,
    action: AuditAction,
) -> AppResult<Action> {
    let current = actions::get(tx, access, action_id).await?;
    tx.audit(access.audit(actor, action));
    let event = plan_event(tx, access, EventKind::PlanActionUpdated).await?;
    tx.event(event);
    Ok(current.action)
}

/// Reports an action's status (har det gjorts?): the responsible organisation only.
#[utoipa::path(patch, path = "/api/plans/{id}/actions/{action_id}",
    extensions(("x-field-rules" = json!(super::ACTION_RULES))), tag = "plans",
    params(("id" = PlanId, Path), ("action_id" = PlanActionId, Path)),
    request_body = ActionUpdate,
    responses(
        (status = 200, body = Action),
        (status = 403, description = "Bara den ansvariga organisationen (not_responsible)"),
        crate::http::problem::WrongState,
        crate::http::CommonErrors,
    ))]
async fn update_action(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath((id, action_id)): ApiPath<(PlanId, PlanActionId)>,
    ValidJson(body): ValidJson<ActionUpdate>,
) -> AppResult<Json<Action>> {
    let action = AuditAction::PlanActionUpdate;
    let mut tx = state.store.begin().await?;
    let (access, current) = authorize_action(&mut tx, &actor, id, action_id, action).await?;
    let from = current.action.status;
    if !from.may_become(body.status) {
        return Err(AppError::field(
            "status",
            "invalid_status_change",
            format!("insatsen kan inte gå från {from} till {}", body.status),
        ));
    }
    if body.status.requires_note() && body.note.is_none() {
        return Err(AppError::field(
            "note",
            "required",
            "ange varför insatsen ställs in",
        ));
    }
    let note = body.note.as_ref().map(|n| n.trim().to_owned());
    let on = body.status_on.unwrap_or_else(today);
    if !actions::update_status(
        &mut tx,
        &access,
        action_id,
        from,
        body.status,
        on,
        note.as_deref(),
    )
    .await?
    {
        return Err(AppError::Conflict {
            code: "invalid_transition",
            detail: "Insatsen ändrades samtidigt av någon annan. Läs in den igen.".to_owned(),
        });
    }
    let updated = finish(&mut tx, &actor, &access, action_id, action).await?;
    tx.commit().await?;
    Ok(Json(updated))
}

/// Takes the action: I become its responsible person (my organisation must hold it).
#[utoipa::path(post, path = "/api/plans/{id}/actions/{action_id}/take", tag = "plans",
    params(("id" = PlanId, Path), ("action_id" = PlanActionId, Path)),
    responses(
        (status = 200, body = Action),
        (status = 403, description = "Bara den ansvariga organisationen (not_responsible)"),
        crate::http::problem::WrongState,
        crate::http::CommonErrors,
    ))]
async fn take_action(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath((id, action_id)): ApiPath<(PlanId, PlanActionId)>,
) -> AppResult<Json<Action>> {
    let action = AuditAction::PlanActionTake;
    let mut tx = state.store.begin().await?;
    let (access, _) = authorize_action(&mut tx, &actor, id, action_id, action).await?;
    if !actions::take(&mut tx, &access, action_id, actor.user_id).await? {
        return Err(AppError::NotFound);
    }
    let updated = finish(&mut tx, &actor, &access, action_id, action).await?;
    tx.commit().await?;
    Ok(Json(updated))
}

fn due_filter(state: &AppState, due: Option<&str>) -> AppResult<DueFilter> {
    let today = today();
    let warn = state.settings.plans.warn_days.max(0).unsigned_abs();
    Ok(match due {
        None => DueFilter::All,
        Some("soon") => DueFilter::Soon {
            today,
            until: today + chrono::Days::new(warn),
        },
        Some("overdue") => DueFilter::Overdue { today },
        Some(_) => {
            return Err(AppError::field(
                "due",
                "invalid_value",
                "ange soon eller overdue",
            ))
        }
    })
}

/// "Våra åtaganden": my organisation's open actions in adopted plans it may see, the
/// earliest due first.
#[utoipa::path(get, path = "/api/commitments", tag = "plans", params(CommitmentQuery),
    responses((status = 200, body = CommitmentList), crate::http::CommonErrors))]
async fn list_commitments(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiQuery(query): ApiQuery<CommitmentQuery>,
) -> AppResult<Json<CommitmentList>> {
    let filter_due = due_filter(&state, query.due.as_deref())?;
    let mut items = Vec::new();
    let Some(filter) = plan_filter(&actor, Timestamp::now()) else {
        return Ok(Json(CommitmentList { items }));
    };
    let today = today();
    let warn = state.settings.plans.warn_days;
    let mut tx = state.store.begin().await?;
    for c in actions::commitments(&mut tx, &filter, filter_due, MAX_COMMITMENTS).await? {
        tx.audit(c.access.audit(&actor, AuditAction::PlanCommitmentList));
        let action = c.current.action;
        items.push(CommitmentResponse {
            plan_id: c.plan_id,
            case_id: c.case_id,
            plan_kind: c.plan_kind,
            due: match due(action.status, action.due_on, today, warn) {
                Due::Later => DueResponse::Later,
                Due::Soon => DueResponse::Soon,
                Due::Overdue => DueResponse::Overdue,
            },
            taken_by: c.current.taken_by,
            action,
        });
    }
    tx.commit().await?;
    Ok(Json(CommitmentList { items }))
}

/// The numbers behind "Våra åtaganden"'s badge. Reveals no individual, so it is not audited.
#[utoipa::path(get, path = "/api/commitments/counts", tag = "plans",
    responses((status = 200, body = CommitmentCounts), crate::http::CommonErrors))]
async fn count_commitments(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> AppResult<Json<CommitmentCounts>> {
    let Some(filter) = plan_filter(&actor, Timestamp::now()) else {
        return Ok(Json(CommitmentCounts {
            open: 0,
            soon: 0,
            overdue: 0,
        }));
    };
    let mut tx = state.store.begin().await?;
    let open = actions::count(&mut tx, &filter, DueFilter::All).await?;
    let soon = actions::count(&mut tx, &filter, due_filter(&state, Some("soon"))?).await?;
    let overdue = actions::count(&mut tx, &filter, due_filter(&state, Some("overdue"))?).await?;
    tx.commit().await?;
    Ok(Json(CommitmentCounts {
        open,
        soon,
        overdue,
    }))
}
