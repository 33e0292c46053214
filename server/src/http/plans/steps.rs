//! The steps of a progressionsplan's category 4 (förtroendeläkare) and 5 (AFU) actions
//! (WORKFLOWS.md §4, issue 15 item 2): each done on a date, recorded by the action's
//! responsible organisation, with who follows the action up by its category. Written
//! recommendations received start the avstämning rule of fördjupad samverkan.

use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

use super::actions::{authorize_action, finish};
use super::today;
use crate::access::{authorize, CurrentUser};
use crate::app::AppState;
use crate::domain::fordjupad::category::afu_offer_due;
use crate::domain::fordjupad::{ActionCategory, CategoryStep, FollowUpHolder};
use crate::domain::{AuditAction, PlanActionId, PlanId, Timestamp, UserId};
use crate::error::{AppError, AppResult, FieldError};
use crate::http::rules::FieldRule;
use crate::http::{ApiPath, ValidJson};
use crate::store::fordjupad::steps;
use crate::store::plans::actions;
use crate::store::StoreError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(record_step, list_steps))
}

/// A step of the action done.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionStepBody {
    pub step: CategoryStep,
    /// The day it was done (today or earlier).
    pub done_on: NaiveDate,
}

/// What a step needs beyond its schema.
pub const STEP_RULES: &[FieldRule] = &[
    FieldRule::new(
        "step",
        "not_for_category",
        "category 4: referral_with_consent, recommendations_received; category 5: \
         order_with_consent, times_offered, interpreter_booked, recommendations_received; \
         other actions have no steps",
    ),
    FieldRule::new("done_on", "in_the_future", "today or earlier"),
];

/// One step of the action, done or not.
#[derive(Serialize, ToSchema)]
pub struct ActionStepItem {
    pub step: CategoryStep,
    /// Null while not done.
    pub done_on: Option<NaiveDate>,
    pub recorded_by: Option<UserId>,
}

/// The action's steps and who follows it up.
#[derive(Serialize, ToSchema)]
pub struct ActionStepsResponse {
    pub action_id: PlanActionId,
    /// Null for an action without a category.
    pub category: Option<ActionCategory>,
    /// Categories 1-2: the biträdande enhetschef; 3-5: the rehabansvarig.
    pub follow_up_holder: Option<FollowUpHolder>,
    /// The category's steps in order (empty for categories 1-3).
    pub steps: Vec<ActionStepItem>,
    /// AFU: the supplier offers times by this day (2 weeks after the order).
    pub times_offered_due: Option<NaiveDate>,
    /// AFU: the times were not offered by then (or are still not, past the day).
    pub times_offered_late: bool,
}

fn response(
    action_id: PlanActionId,
    category: Option<ActionCategory>,
    done: std::collections::BTreeMap<CategoryStep, steps::DoneStep>,
) -> ActionStepsResponse {
    let order = done.get(&CategoryStep::OrderWithConsent).map(|d| d.done_on);
    let offered = done.get(&CategoryStep::TimesOffered).map(|d| d.done_on);
    let times_offered_due = match category {
        Some(ActionCategory::Afu) => order.map(afu_offer_due),
        _ => None,
    };
    let times_offered_late =
        times_offered_due.is_some_and(|due| offered.map_or(today() > due, |offered| offered > due));
    ActionStepsResponse {
        action_id,
        category,
        follow_up_holder: category.map(ActionCategory::follow_up_holder),
        steps: category
            .map(ActionCategory::steps)
            .unwrap_or_default()
            .iter()
            .map(|step| ActionStepItem {
                step: *step,
                done_on: done.get(step).map(|d| d.done_on),
                recorded_by: done.get(step).map(|d| d.recorded_by),
            })
            .collect(),
        times_offered_due,
        times_offered_late,
    }
}

/// Records a step of a category 4 or 5 action as done on a date (again: corrects the date):
/// the action's responsible organisation only, while the plan is adopted. Written
/// recommendations received start the avstämning rule (an avstämning booked within the
/// configured days).
#[utoipa::path(post, path = "/api/plans/{id}/actions/{action_id}/steps", tag = "plans",
    extensions(("x-field-rules" = json!(STEP_RULES))),
    params(("id" = PlanId, Path), ("action_id" = PlanActionId, Path)),
    request_body = ActionStepBody,
    responses(
        (status = 200, body = ActionStepsResponse),
        (status = 403, description = "Bara den ansvariga organisationen (not_responsible)"),
        crate::http::problem::WrongState,
        crate::http::CommonErrors,
    ))]
async fn record_step(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath((id, action_id)): ApiPath<(PlanId, PlanActionId)>,
    ValidJson(body): ValidJson<ActionStepBody>,
) -> AppResult<Json<ActionStepsResponse>> {
    let action = AuditAction::PlanActionUpdate;
    let mut tx = state.store.begin().await?;
    let (access, current) = authorize_action(&mut tx, &actor, id, action_id, action).await?;
    let category = current.action.category;
    let mut errors = Vec::new();
    if !category.is_some_and(|c| c.steps().contains(&body.step)) {
        errors.push(FieldError::new(
            "step",
            "not_for_category",
            "insatsens kategori har inte det steget",
        ));
    }
    if body.done_on > today() {
        errors.push(FieldError::new(
            "done_on",
            "in_the_future",
            "datumet kan inte ligga i framtiden",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let now = Timestamp::now();
    steps::record(
        &mut tx,
        &access,
        action_id,
        body.step,
        body.done_on,
        actor.user_id,
        now,
    )
    .await?;
    finish(&mut tx, &actor, &access, action_id, action).await?;
    let done = steps::done(&mut tx, &access, action_id).await?;
    tx.commit().await?;
    Ok(Json(response(action_id, category, done)))
}

/// The action's steps with their dates and who follows it up (whoever sees the plan).
#[utoipa::path(get, path = "/api/plans/{id}/actions/{action_id}/steps", tag = "plans",
    params(("id" = PlanId, Path), ("action_id" = PlanActionId, Path)),
    responses((status = 200, body = ActionStepsResponse), crate::http::CommonErrors))]
async fn list_steps(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath((id, action_id)): ApiPath<(PlanId, PlanActionId)>,
) -> AppResult<Json<ActionStepsResponse>> {
    let action = AuditAction::PlanRead;
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_plan(&mut tx, &actor, id, action).await?;
    let current = match actions::get(&mut tx, &access, action_id).await {
        Ok(current) => current,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(err) => return Err(err.into()),
    };
    let done = steps::done(&mut tx, &access, action_id).await?;
    tx.audit(access.audit(&actor, action));
    tx.commit().await?;
    Ok(Json(response(action_id, current.action.category, done)))
}
