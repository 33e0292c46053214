//! Joint plans (samverkansplaner) of every kind: drafted by the case owner's organisation,
//! adopted (fastställd) with who took part, revised, closed. Every organisation the plan
//! names must be covered by consent for the kind's purpose (409 `consent_missing`). The life
//! cycle is `domain::plan`; versions and their changes are in `versions`, the actions'
//! status reports and "Våra åtaganden" in `actions`, the follow-up
//! meeting in `follow_up`.

mod actions;
mod checks;
mod dto;
mod follow_up;
mod steps;
mod versions;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{NaiveDate, Utc};
use utoipa_axum::{router::OpenApiRouter, routes};

pub use checks::tell_responsible_lost;
use checks::{check_content, check_sip_call, problem_field, settle_statuses};
pub use dto::*;

use super::{ApiPath, ValidJson};
use crate::access::authorize;
use crate::access::policy::{plan_filter, PlanAccess};
use crate::access::{Actor, CurrentUser};
use crate::app::AppState;
use crate::domain::event::{Audience, Detail, NewEvent};
use crate::domain::plan::{adoption_problems, InvalidPlanStep};
use crate::domain::plan::{PlanState, PlanStep};
use crate::domain::{AuditAction, CaseId, EventKind, PlanId, Timestamp};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::plans::{self, Plan};
use crate::store::sip_calls;
use crate::store::{StoreError, Tx};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_plan, list_plans))
        .routes(routes!(get_plan))
        .routes(routes!(save_draft))
        .routes(routes!(adopt_plan))
        .routes(routes!(revise_plan))
        .routes(routes!(discard_plan))
        .routes(routes!(close_plan))
        .merge(versions::router())
        .merge(actions::router())
        .merge(follow_up::router())
        .merge(steps::router())
}

impl From<InvalidPlanStep> for AppError {
    fn from(err: InvalidPlanStep) -> Self {
        AppError::Conflict {
            code: "invalid_transition",
            detail: err.to_string(),
        }
    }
}

/// Today's date (UTC): plan dates are calendar days.
fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// A thin event for the plan's owner and the organisations it names.
async fn plan_event(tx: &mut Tx, access: &PlanAccess, kind: EventKind) -> AppResult<NewEvent> {
    let mut organisations = plans::parties(tx, access.plan_id()).await?;
    organisations.push(access.case().owner());
    organisations.sort();
    organisations.dedup();
    Ok(NewEvent {
        kind,
        case_id: Some(access.case().case_id()),
        individual_id: Some(access.case().individual_id()),
        subject_id: Some(access.plan_id().to_string()),
        purpose: Some(access.kind().purpose()),
        audience: Audience::Organisations(organisations),
        detail: Detail::None,
    })
}

/// The plan as the caller may see it.
async fn view(tx: &mut Tx, access: &PlanAccess, plan: Plan) -> AppResult<PlanResponse> {
    let needs = match (&plan.adopted, access.is_owner()) {
        (Some(adopted), true) => {
            let held: Vec<_> = adopted
                .content
                .actions
                .iter()
                .map(|a| (a.id, a.responsible.organisation, a.status.is_open()))
                .collect();
            authorize::plan_needs_new_responsible(
                tx,
                access.case(),
                access.kind(),
                &held,
                Timestamp::now(),
            )
            .await?
        }
        _ => Vec::new(),
    };
    let may = PlanMay {
        edit: access.may(PlanStep::Edit),
        adopt: access.may(PlanStep::Adopt),
        revise: access.may(PlanStep::Revise),
        discard: access.may(PlanStep::Discard),
        close: access.may(PlanStep::Close),
    };
    Ok(PlanResponse::new(plan, access.is_owner(), may, needs))
}

async fn respond(
    tx: &mut Tx,
    actor: &Actor,
    access: &PlanAccess,
    action: AuditAction,
) -> AppResult<PlanResponse> {
    let plan = plans::get(tx, access).await?;
    tx.audit(access.audit(actor, action));
    view(tx, access, plan).await
}

/// Authorizes an owner's step: the caller sees the plan, is of the owner organisation
/// (403 `not_plan_owner`) and the state allows it (409 `invalid_transition`).
async fn authorize_step(
    tx: &mut Tx,
    actor: &Actor,
    id: PlanId,
    step: PlanStep,
    action: AuditAction,
) -> AppResult<PlanAccess> {
    let access = authorize::authorize_plan(tx, actor, id, action).await?;
    access.require_owner(actor, action)?;
    step.apply(access.state())?;
    Ok(access)
}

/// The step lost a race: name the state it found.
async fn lost_race(tx: &mut Tx, access: &PlanAccess, step: PlanStep) -> AppError {
    match plans::current_state(tx, access).await {
        Ok(current) => InvalidPlanStep { current, step }.into(),
        Err(StoreError::NotFound) => AppError::NotFound,
        Err(err) => err.into(),
    }
}

/// Starts a plan of the case as an empty draft (the case owner organisation's case workers).
#[utoipa::path(post, path = "/api/cases/{id}/plans", tag = "plans",
    extensions(("x-field-rules" = json!(dto::NEW_PLAN_RULES))),
    params(("id" = CaseId, Path)), request_body = NewPlan,
    responses(
        (status = 201, body = PlanResponse),
        crate::http::problem::OwnerOnly,
        crate::http::CommonErrors,
    ))]
async fn create_plan(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(case_id): ApiPath<CaseId>,
    ValidJson(body): ValidJson<NewPlan>,
) -> AppResult<(StatusCode, Json<PlanResponse>)> {
    let action = AuditAction::PlanCreate;
    let mut tx = state.store.begin().await?;
    let write = authorize::authorize_case_write(&mut tx, &actor, case_id, action).await?;
    if let Some(call) = body.sip_call_id {
        check_sip_call(&mut tx, &actor, body.kind, call, case_id).await?;
    }
    if let Some(referral) = body.finsam_referral_id {
        crate::http::finsam::check_plan_referral(&mut tx, &actor, body.kind, referral, case_id)
            .await?;
    }
    let id = PlanId::new();
    let title = body.title.as_ref().map(|t| t.trim().to_owned());
    plans::insert(
        &mut tx,
        &write,
        id,
        body.kind,
        title.as_deref(),
        plans::PlanLinks {
            sip_call_id: body.sip_call_id,
            finsam_referral_id: body.finsam_referral_id,
        },
        actor.user_id,
    )
    .await?;
    let access = authorize::authorize_plan(&mut tx, &actor, id, action).await?;
    let response = respond(&mut tx, &actor, &access, action).await?;
    let event = plan_event(&mut tx, &access, EventKind::PlanCreated).await?;
    tx.event(event);
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(response)))
}

/// The case's plans the caller may see: all of them for the owner organisation, those that
/// name my organisation while a consent for the kind's purpose covers it.
#[utoipa::path(get, path = "/api/cases/{id}/plans", tag = "plans",
    params(("id" = CaseId, Path)),
    responses((status = 200, body = PlanList), crate::http::CommonErrors))]
async fn list_plans(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(case_id): ApiPath<CaseId>,
) -> AppResult<Json<PlanList>> {
    let action = AuditAction::PlanList;
    let now = Timestamp::now();
    let mut tx = state.store.begin().await?;
    authorize::authorize_case_at(
        &mut tx,
        &actor,
        case_id,
        crate::access::policy::Need::Case,
        action,
        now,
    )
    .await?;
    let mut items = Vec::new();
    if let Some(filter) = plan_filter(&actor, now) {
        for (plan, access) in plans::list_for_case(&mut tx, &filter, case_id).await? {
            tx.audit(access.audit(&actor, action));
            items.push(view(&mut tx, &access, plan).await?);
        }
    }
    tx.commit().await?;
    Ok(Json(PlanList { items }))
}

/// One plan.
#[utoipa::path(get, path = "/api/plans/{id}", tag = "plans", params(("id" = PlanId, Path)),
    responses((status = 200, body = PlanResponse), crate::http::CommonErrors))]
async fn get_plan(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<PlanId>,
) -> AppResult<Json<PlanResponse>> {
    let action = AuditAction::PlanRead;
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_plan(&mut tx, &actor, id, action).await?;
    let response = respond(&mut tx, &actor, &access, action).await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// Saves the whole draft (draft or revising; the owner organisation). Every organisation it
/// names must be covered by consent for the kind's purpose (409 `consent_missing`).
#[utoipa::path(put, path = "/api/plans/{id}/draft",
    extensions(("x-field-rules" = json!(dto::DRAFT_RULES))), tag = "plans",
    params(("id" = PlanId, Path)), request_body = DraftBody,
    responses(
        (status = 200, body = PlanResponse),
        crate::http::problem::OwnerOnly,
        crate::http::problem::WrongStateOrConsentMissing,
        crate::http::CommonErrors,
    ))]
async fn save_draft(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<PlanId>,
    ValidJson(body): ValidJson<DraftBody>,
) -> AppResult<Json<PlanResponse>> {
    let action = AuditAction::PlanUpdate;
    let mut tx = state.store.begin().await?;
    let access = authorize_step(&mut tx, &actor, id, PlanStep::Edit, action).await?;
    let mut content = body.into_content()?;
    check_content(&mut tx, access.kind(), &content).await?;
    settle_statuses(&mut tx, &access, &mut content).await?;
    let now = Timestamp::now();
    authorize::check_plan_consent(
        &mut tx,
        access.case(),
        access.kind(),
        content.organisations(),
        now,
    )
    .await?;
    if !plans::save_draft(&mut tx, &access, &content).await? {
        return Err(lost_race(&mut tx, &access, PlanStep::Edit).await);
    }
    let access = authorize::authorize_plan(&mut tx, &actor, id, action).await?;
    let response = respond(&mut tx, &actor, &access, action).await?;
    let event = plan_event(&mut tx, &access, EventKind::PlanChanged).await?;
    tx.event(event);
    tx.commit().await?;
    Ok(Json(response))
}

/// Adopts (fastställer) the draft as the next version, recording who took part and how the
/// individual did. 422 names each adoption problem at its field.
#[utoipa::path(post, path = "/api/plans/{id}/adopt",
    extensions(("x-field-rules" = json!(dto::ADOPT_RULES))), tag = "plans",
    params(("id" = PlanId, Path)), request_body = AdoptBody,
    responses(
        (status = 200, body = PlanResponse),
        crate::http::problem::OwnerOnly,
        crate::http::problem::WrongStateOrConsentMissing,
        crate::http::CommonErrors,
    ))]
async fn adopt_plan(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<PlanId>,
    ValidJson(body): ValidJson<AdoptBody>,
) -> AppResult<Json<PlanResponse>> {
    let action = AuditAction::PlanAdopt;
    let mut tx = state.store.begin().await?;
    let access = authorize_step(&mut tx, &actor, id, PlanStep::Adopt, action).await?;
    let participation = body.into_participation();
    let mut draft = plans::get(&mut tx, &access)
        .await?
        .draft
        .unwrap_or_default();
    settle_statuses(&mut tx, &access, &mut draft).await?;
    let problems = adoption_problems(access.kind(), &draft, &participation, today());
    if !problems.is_empty() {
        return Err(AppError::Validation(
            problems
                .into_iter()
                .map(|p| FieldError::new(problem_field(p, &draft), p.code(), p.message()))
                .collect(),
        ));
    }
    let now = Timestamp::now();
    authorize::check_plan_consent(
        &mut tx,
        access.case(),
        access.kind(),
        draft.organisations(),
        now,
    )
    .await?;
    if plans::adopt(&mut tx, &access, &draft, &participation, actor.user_id)
        .await?
        .is_none()
    {
        return Err(lost_race(&mut tx, &access, PlanStep::Adopt).await);
    }
    let access = authorize::authorize_plan(&mut tx, &actor, id, action).await?;
    let response = respond(&mut tx, &actor, &access, action).await?;
    // A SIP plan adopted from its call's meeting: the call is held.
    if let Some(call) = response.sip_call_id {
        if sip_calls::mark_held(&mut tx, call, id).await? {
            tx.audit(access.audit(&actor, AuditAction::SipCallHold));
        }
    }
    // The Finsamteam's plan adopted by its driver: the referral moves on, its follow-up set.
    if let Some(referral) = response.finsam_referral_id {
        crate::http::finsam::plan_adopted(&mut tx, &state.settings, &actor, referral, id).await?;
    }
    let event = plan_event(&mut tx, &access, EventKind::PlanAdopted).await?;
    tx.event(event);
    tx.commit().await?;
    Ok(Json(response))
}

/// Opens a revision: the draft starts as the adopted version with its actions' current
/// status; the adopted version stands until the next is adopted.
#[utoipa::path(post, path = "/api/plans/{id}/revise", tag = "plans",
    params(("id" = PlanId, Path)),
    responses(
        (status = 200, body = PlanResponse),
        crate::http::problem::OwnerOnly,
        crate::http::problem::WrongState,
        crate::http::CommonErrors,
    ))]
async fn revise_plan(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<PlanId>,
) -> AppResult<Json<PlanResponse>> {
    let action = AuditAction::PlanRevise;
    let mut tx = state.store.begin().await?;
    let access = authorize_step(&mut tx, &actor, id, PlanStep::Revise, action).await?;
    let adopted = plans::get(&mut tx, &access)
        .await?
        .adopted
        .map(|a| a.content)
        .unwrap_or_default();
    if !plans::set_state(&mut tx, &access, PlanState::Revising, Some(&adopted)).await? {
        return Err(lost_race(&mut tx, &access, PlanStep::Revise).await);
    }
    let access = authorize::authorize_plan(&mut tx, &actor, id, action).await?;
    let response = respond(&mut tx, &actor, &access, action).await?;
    let event = plan_event(&mut tx, &access, EventKind::PlanChanged).await?;
    tx.event(event);
    tx.commit().await?;
    Ok(Json(response))
}

/// Throws the open draft away: a revision falls back to the adopted version (200), a
/// never-adopted plan is gone (204).
#[utoipa::path(post, path = "/api/plans/{id}/discard", tag = "plans",
    params(("id" = PlanId, Path)),
    responses(
        (status = 200, body = PlanResponse),
        (status = 204, description = "Utkastet är borttaget"),
        crate::http::problem::OwnerOnly,
        crate::http::problem::WrongState,
        crate::http::CommonErrors,
    ))]
async fn discard_plan(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<PlanId>,
) -> AppResult<Response> {
    let action = AuditAction::PlanDiscard;
    let mut tx = state.store.begin().await?;
    let access = authorize_step(&mut tx, &actor, id, PlanStep::Discard, action).await?;
    let event = plan_event(&mut tx, &access, EventKind::PlanChanged).await?;
    match PlanStep::Discard.apply(access.state())? {
        None => {
            if !plans::delete_draft(&mut tx, &access).await? {
                return Err(lost_race(&mut tx, &access, PlanStep::Discard).await);
            }
            tx.audit(access.audit(&actor, action));
            tx.event(event);
            tx.commit().await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Some(next) => {
            if !plans::set_state(&mut tx, &access, next, None).await? {
                return Err(lost_race(&mut tx, &access, PlanStep::Discard).await);
            }
            let access = authorize::authorize_plan(&mut tx, &actor, id, action).await?;
            let response = respond(&mut tx, &actor, &access, action).await?;
            tx.event(event);
            tx.commit().await?;
            Ok(Json(response).into_response())
        }
    }
}

/// Closes the plan; every adopted version stays readable.
#[utoipa::path(post, path = "/api/plans/{id}/close", tag = "plans",
    params(("id" = PlanId, Path)),
    responses(
        (status = 200, body = PlanResponse),
        crate::http::problem::OwnerOnly,
        crate::http::problem::WrongState,
        crate::http::CommonErrors,
    ))]
async fn close_plan(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<PlanId>,
) -> AppResult<Json<PlanResponse>> {
    let action = AuditAction::PlanClose;
    let mut tx = state.store.begin().await?;
    let access = authorize_step(&mut tx, &actor, id, PlanStep::Close, action).await?;
    if !plans::set_state(&mut tx, &access, PlanState::Closed, None).await? {
        return Err(lost_race(&mut tx, &access, PlanStep::Close).await);
    }
    let access = authorize::authorize_plan(&mut tx, &actor, id, action).await?;
    let response = respond(&mut tx, &actor, &access, action).await?;
    let event = plan_event(&mut tx, &access, EventKind::PlanClosed).await?;
    tx.event(event);
    tx.commit().await?;
    Ok(Json(response))
}
