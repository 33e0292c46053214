//! Fördjupad samverkan (WORKFLOWS.md §4): the case owner's social worker brings a case to the
//! rehabansvarig, who decides where it goes (fördjupad samverkan, förtroendeläkare, AFU,
//! case manager, none) with date and reason. The rule for who does what is
//! `policy::fordjupad`; the vocabulary and rules `domain::fordjupad`.

mod caseload;
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
use crate::domain::event::{Audience, Detail, NewEvent};
use crate::domain::fordjupad::decision_problems;
use crate::domain::{AuditAction, CaseId, EventKind, Purpose, Timestamp};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::fordjupad;
use crate::store::Tx;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(bring_case, get_fordjupad))
        .routes(routes!(decide))
        .routes(routes!(assess_phase, list_phases))
        .routes(routes!(code_case, list_codings))
        .merge(caseload::router())
}

/// The thin event of a change to the case's fördjupad samverkan, for its owner.
fn event(access: &FordjupadAccess, kind: EventKind) -> NewEvent {
    NewEvent {
        kind,
        case_id: Some(access.case_id()),
        individual_id: Some(access.case().individual_id()),
        subject_id: Some(access.case_id().to_string()),
        purpose: Some(Purpose::FordjupadSamverkan),
        audience: Audience::Organisations(vec![access.owner()]),
        detail: Detail::None,
    }
}

/// The case's fördjupad samverkan as the actor sees it, audited under `action`.
async fn respond(
    state: &AppState,
    tx: &mut Tx,
    actor: &Actor,
    access: &FordjupadAccess,
    action: AuditAction,
) -> AppResult<FordjupadResponse> {
    let case = authorize::brought(tx, access).await?;
    let decisions = fordjupad::decisions(tx, access).await?;
    tx.audit(access.audit(actor, action));
    Ok(FordjupadResponse::new(
        case,
        decisions,
        access,
        state.settings.fordjupad.phase_scale,
    ))
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
    tx.event(event(&access, EventKind::FordjupadBrought));
    let response = respond(&state, &mut tx, &actor, &access, action).await?;
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
    let response = respond(&state, &mut tx, &actor, &access, action).await?;
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
    let brought = authorize::brought(&mut tx, &access).await?;
    let decision = body.into_decision();
    let problems = decision_problems(&decision, brought.brought_on, Utc::now().date_naive());
    AppError::unless_none(
        problems
            .into_iter()
            .map(|p| FieldError::new(p.field(), p.code(), p.message())),
    )?;
    fordjupad::decide(
        &mut tx,
        &access,
        actor.user_id,
        &decision,
        Timestamp::now().micros(),
    )
    .await?;
    tx.event(event(&access, EventKind::FordjupadDecided));
    let response = respond(&state, &mut tx, &actor, &access, action).await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// Assesses the case's phase on the configured scale (the owner's social worker,
/// rehabansvarig or biträdande enhetschef); a phase may go backwards. Returns the timeline.
#[utoipa::path(post, path = "/api/cases/{id}/fordjupad/phases", tag = "fordjupad",
    extensions(("x-field-rules" = json!(dto::PHASE_RULES))),
    params(("id" = CaseId, Path)), request_body = PhaseBody,
    responses(
        (status = 201, body = Vec<PhaseResponse>),
        crate::http::problem::OwnerWithRole,
        crate::http::CommonErrors,
    ))]
async fn assess_phase(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(case_id): ApiPath<CaseId>,
    ValidJson(body): ValidJson<PhaseBody>,
) -> AppResult<(StatusCode, Json<Vec<PhaseResponse>>)> {
    let action = AuditAction::FordjupadPhase;
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_fordjupad(&mut tx, &actor, case_id, action).await?;
    access.require(&actor, FordjupadStep::AssessPhase, action)?;
    authorize::brought(&mut tx, &access).await?;
    let scale = state.settings.fordjupad.phase_scale;
    let problems = scale.assessment_problems(
        body.phase,
        body.outcome,
        body.assessed_on,
        Utc::now().date_naive(),
    );
    AppError::unless_none(
        problems
            .into_iter()
            .map(|p| FieldError::new(p.field(), p.code(), p.message())),
    )?;
    let recorded = fordjupad::RecordedPhase {
        scale,
        phase: body.phase,
        outcome: body.outcome,
        assessed_on: body.assessed_on,
        reason: body.reason.trim().to_owned(),
        assessed_by: actor.user_id,
    };
    fordjupad::assess_phase(&mut tx, &access, &recorded, Timestamp::now().micros()).await?;
    tx.event(event(&access, EventKind::FordjupadPhaseAssessed));
    let all = fordjupad::phases(&mut tx, &access).await?;
    tx.audit(access.audit(&actor, action));
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(timeline(all))))
}

/// The case's phase timeline, oldest first (as the case's fördjupad samverkan is seen).
#[utoipa::path(get, path = "/api/cases/{id}/fordjupad/phases", tag = "fordjupad",
    params(("id" = CaseId, Path)),
    responses((status = 200, body = Vec<PhaseResponse>), crate::http::CommonErrors))]
async fn list_phases(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(case_id): ApiPath<CaseId>,
) -> AppResult<Json<Vec<PhaseResponse>>> {
    let action = AuditAction::FordjupadRead;
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_fordjupad(&mut tx, &actor, case_id, action).await?;
    authorize::brought(&mut tx, &access).await?;
    let all = fordjupad::phases(&mut tx, &access).await?;
    tx.audit(access.audit(&actor, action));
    tx.commit().await?;
    Ok(Json(timeline(all)))
}

/// Codes the case for the target group (the owner's rehabansvarig or biträdande
/// enhetschef); each coding is kept. Returns the history, oldest first.
#[utoipa::path(post, path = "/api/cases/{id}/fordjupad/codings", tag = "fordjupad",
    params(("id" = CaseId, Path)), request_body = CodingBody,
    responses(
        (status = 201, body = Vec<CodingResponse>),
        crate::http::problem::OwnerWithRole,
        crate::http::CommonErrors,
    ))]
async fn code_case(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(case_id): ApiPath<CaseId>,
    ValidJson(body): ValidJson<CodingBody>,
) -> AppResult<(StatusCode, Json<Vec<CodingResponse>>)> {
    let action = AuditAction::FordjupadCode;
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_fordjupad(&mut tx, &actor, case_id, action).await?;
    access.require(&actor, FordjupadStep::Code, action)?;
    authorize::brought(&mut tx, &access).await?;
    let recorded = fordjupad::RecordedCoding {
        coding: crate::domain::fordjupad::Coding {
            codes: body.codes,
            months_on_assistance: body.months_on_assistance,
        },
        coded_by: actor.user_id,
        recorded_at: Timestamp::now().micros(),
    };
    fordjupad::code(&mut tx, &access, &recorded).await?;
    let all = fordjupad::codings(&mut tx, &access).await?;
    tx.audit(access.audit(&actor, action));
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(all.into_iter().map(Into::into).collect()),
    ))
}

/// The case's target-group codings, oldest first; the last is the current one.
#[utoipa::path(get, path = "/api/cases/{id}/fordjupad/codings", tag = "fordjupad",
    params(("id" = CaseId, Path)),
    responses((status = 200, body = Vec<CodingResponse>), crate::http::CommonErrors))]
async fn list_codings(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(case_id): ApiPath<CaseId>,
) -> AppResult<Json<Vec<CodingResponse>>> {
    let action = AuditAction::FordjupadRead;
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_fordjupad(&mut tx, &actor, case_id, action).await?;
    authorize::brought(&mut tx, &access).await?;
    let all = fordjupad::codings(&mut tx, &access).await?;
    tx.audit(access.audit(&actor, action));
    tx.commit().await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}
