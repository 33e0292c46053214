//! Fördjupad samverkan (WORKFLOWS.md §4): the case owner's social worker brings a case to the
//! rehabansvarig, who decides where it goes (fördjupad samverkan, förtroendeläkare, AFU,
//! case manager, none) with date and reason. The rule for who does what is
//! `policy::fordjupad`; the vocabulary and rules `domain::fordjupad`.

mod dto;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use utoipa_axum::{router::OpenApiRouter, routes};

pub use dto::*;

use super::{ApiPath, ValidJson};
use crate::access::policy::{FordjupadAccess, FordjupadStep};
use crate::access::{authorize, Actor, CurrentUser};
use crate::app::AppState;
use crate::domain::fordjupad::decision_problems;
use crate::domain::{AuditAction, CaseId, Timestamp};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::fordjupad;
use crate::store::Tx;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(bring_case, get_fordjupad))
        .routes(routes!(decide))
}

/// The case's fördjupad samverkan as the actor sees it, audited under `action`.
async fn respond(
    tx: &mut Tx,
    actor: &Actor,
    access: &FordjupadAccess,
    action: AuditAction,
) -> AppResult<FordjupadResponse> {
    let case = fordjupad::get(tx, access)
        .await?
        .ok_or(AppError::NotFound)?;
    let decisions = fordjupad::decisions(tx, access).await?;
    tx.audit(access.audit(actor, action));
    Ok(FordjupadResponse::new(case, decisions, access))
}

/// Brings the case to the rehabansvarig (the owner's social worker; once per case, 409
/// `already_brought`).
#[utoipa::path(post, path = "/api/cases/{id}/fordjupad", tag = "fordjupad",
    params(("id" = CaseId, Path)), request_body = BringBody,
    responses(
        (status = 201, body = FordjupadResponse),
        crate::http::problem::OwnerWithRole,
        crate::http::problem::AlreadyBrought,
        crate::http::CommonErrors,
    ))]
async fn bring_case(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(case_id): ApiPath<CaseId>,
    ValidJson(body): ValidJson<BringBody>,
) -> AppResult<(StatusCode, Json<FordjupadResponse>)> {
    let action = AuditAction::FordjupadBring;
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_fordjupad(&mut tx, &actor, case_id, action).await?;
    access.require(&actor, FordjupadStep::Bring, action)?;
    let now = Timestamp::now();
    let today = Utc::now().date_naive();
    if !fordjupad::bring(
        &mut tx,
        &access,
        actor.user_id,
        today,
        body.note.trim(),
        now.micros(),
    )
    .await?
    {
        return Err(AppError::Conflict {
            code: "already_brought",
            detail: "Ärendet är redan lyft till rehabansvarig.".to_owned(),
        });
    }
    let response = respond(&mut tx, &actor, &access, action).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(response)))
}

/// The case's fördjupad samverkan: how it was brought and every decision (the owner; a
/// partner under consent for `fordjupad_samverkan`). 404 when it was never brought.
#[utoipa::path(get, path = "/api/cases/{id}/fordjupad", tag = "fordjupad",
    params(("id" = CaseId, Path)),
    responses((status = 200, body = FordjupadResponse), crate::http::CommonErrors))]
async fn get_fordjupad(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(case_id): ApiPath<CaseId>,
) -> AppResult<Json<FordjupadResponse>> {
    let action = AuditAction::FordjupadRead;
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_fordjupad(&mut tx, &actor, case_id, action).await?;
    let response = respond(&mut tx, &actor, &access, action).await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// Records the rehabansvarig's decision (the owner's rehabansvarig or biträdande
/// enhetschef) with date and reason; a case manager needs every criterion and ends within
/// 12 months. The latest decision is the case's.
#[utoipa::path(post, path = "/api/cases/{id}/fordjupad/decision", tag = "fordjupad",
    extensions(("x-field-rules" = json!(dto::DECISION_RULES))),
    params(("id" = CaseId, Path)), request_body = DecisionBody,
    responses(
        (status = 200, body = FordjupadResponse),
        crate::http::problem::OwnerWithRole,
        crate::http::CommonErrors,
    ))]
async fn decide(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(case_id): ApiPath<CaseId>,
    ValidJson(body): ValidJson<DecisionBody>,
) -> AppResult<Json<FordjupadResponse>> {
    let action = AuditAction::FordjupadDecide;
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_fordjupad(&mut tx, &actor, case_id, action).await?;
    access.require(&actor, FordjupadStep::Decide, action)?;
    let brought = fordjupad::get(&mut tx, &access)
        .await?
        .ok_or(AppError::NotFound)?;
    let decision = body.into_decision();
    let problems = decision_problems(&decision, brought.brought_on, Utc::now().date_naive());
    if !problems.is_empty() {
        return Err(AppError::Validation(
            problems
                .into_iter()
                .map(|p| FieldError::new(p.field(), p.code(), p.message()))
                .collect(),
        ));
    }
    fordjupad::decide(
        &mut tx,
        &access,
        actor.user_id,
        &decision,
        Timestamp::now().micros(),
    )
    .await?;
    let response = respond(&mut tx, &actor, &access, action).await?;
    tx.commit().await?;
    Ok(Json(response))
}
