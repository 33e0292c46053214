//! Rehab inquiries (rehabiliteringsförfrågan): written by social services as a draft, sent to
//! a clinic's shared inbox under consent, assigned there to a rehab coordinator, answered or
//! declined, and closed by the sender. The life cycle is `domain::inquiry`; boxes and
//! counts are in `inbox`, the follow-up thread in `thread`.

mod answer;
mod dto;
mod inbox;
mod thread;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{NaiveDate, Utc};
use utoipa_axum::{router::OpenApiRouter, routes};

pub use answer::*;
pub use dto::*;

use super::{ApiPath, ValidJson};
use crate::access::authorize;
use crate::access::policy::{self, InquiryAccess};
use crate::access::{Actor, CurrentUser};
use crate::app::AppState;
use crate::domain::event::{Audience, Detail, NewEvent};
use crate::domain::inquiry::{InvalidTransition, Party, Step};
use crate::domain::AuditAction;
use crate::domain::EventKind;
use crate::domain::{
    CaseId, InquiryId, InquiryState, OrganisationId, OrganisationKind, Purpose, Timestamp,
};
use crate::error::{AppError, AppResult};
use crate::store::inquiries::{self, SenderPart, StepDetail};
use crate::store::{organisations, users, StoreError, Tx};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_inquiry))
        .routes(routes!(get_inquiry, update_inquiry, delete_inquiry))
        .routes(routes!(send_inquiry))
        .routes(routes!(assign_inquiry))
        .routes(routes!(answer_inquiry))
        .routes(routes!(decline_inquiry))
        .routes(routes!(withdraw_inquiry))
        .routes(routes!(close_inquiry))
        .merge(inbox::router())
        .merge(thread::router())
}

impl From<InvalidTransition> for AppError {
    fn from(err: InvalidTransition) -> Self {
        AppError::Conflict {
            code: "invalid_transition",
            detail: err.to_string(),
        }
    }
}

/// Today's date (UTC): answer dates are calendar days.
fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// The recipient must be another organisation, a vårdcentral or psykiatrisk mottagning.
async fn check_recipient(tx: &mut Tx, actor: &Actor, id: OrganisationId) -> AppResult<()> {
    let invalid = || {
        AppError::field(
            "recipient_organisation_id",
            "invalid_recipient",
            "ange en vårdcentral eller psykiatrisk mottagning",
        )
    };
    match organisations::get(tx, id).await {
        Ok(org)
            if org.id != actor.organisation_id
                && matches!(
                    org.kind,
                    OrganisationKind::Vardcentral | OrganisationKind::Psykiatri
                ) =>
        {
            Ok(())
        }
        Ok(_) | Err(StoreError::NotFound) => Err(invalid()),
        Err(err) => Err(err.into()),
    }
}

/// A thin event for both organisations of the inquiry; never content.
fn inquiry_event(access: &InquiryAccess, kind: EventKind) -> NewEvent {
    NewEvent {
        kind,
        case_id: Some(access.case().case_id()),
        individual_id: Some(access.case().individual_id()),
        subject_id: Some(access.inquiry_id().to_string()),
        purpose: Some(Purpose::Rehabiliteringsforfragan),
        audience: Audience::Organisations(vec![access.sender(), access.recipient()]),
        detail: Detail::None,
    }
}

fn event_kind(step: Step) -> Option<EventKind> {
    Some(match step {
        Step::Send => EventKind::InquirySent,
        Step::Receive => EventKind::InquiryReceived,
        Step::Assign => EventKind::InquiryAssigned,
        Step::Answer => EventKind::InquiryAnswered,
        Step::Decline => EventKind::InquiryDeclined,
        Step::Withdraw => EventKind::InquiryWithdrawn,
        Step::Close => EventKind::InquiryClosed,
        Step::Post => EventKind::InquiryThreadPost,
        Step::Edit | Step::Delete => return None,
    })
}

/// Takes a state-changing step: checked against the life cycle, applied only if nobody
/// changed the inquiry meanwhile, announced by a thin event in the same transaction.
async fn take_step(
    tx: &mut Tx,
    actor: &Actor,
    access: &InquiryAccess,
    step: Step,
    detail: StepDetail<'_>,
) -> AppResult<InquiryState> {
    let next = step.apply(access.state())?.ok_or(AppError::NotFound)?;
    let advanced = inquiries::advance(
        tx,
        access,
        step,
        next,
        actor.user_id,
        Timestamp::now(),
        detail,
    )
    .await?;
    if !advanced {
        let current = inquiries::current_state(tx, access).await?;
        return Err(InvalidTransition { current, step }.into());
    }
    if let Some(kind) = event_kind(step) {
        tx.event(inquiry_event(access, kind));
    }
    Ok(next)
}

/// Authorizes the caller for `step` on the inquiry: they see it, it is their side's step
/// and the state allows it (409 naming the current state otherwise).
async fn authorize_step(
    tx: &mut Tx,
    actor: &Actor,
    id: InquiryId,
    step: Step,
    action: AuditAction,
) -> AppResult<InquiryAccess> {
    let access = authorize::authorize_inquiry(tx, actor, id, action).await?;
    access.require_party(actor, step, action)?;
    policy::require_inquiry_step_role(actor, &access, step, action)?;
    step.apply(access.state())?;
    Ok(access)
}

async fn respond(
    tx: &mut Tx,
    actor: &Actor,
    access: &InquiryAccess,
    action: AuditAction,
) -> AppResult<InquiryResponse> {
    let inquiry = inquiries::get(tx, access).await?;
    tx.audit(access.audit(actor, action));
    Ok(InquiryResponse::new(inquiry, today()))
}

/// Writes a rehab inquiry about the case's individual, saved as a draft (the owning
/// organisation's socialsekreterare, rehabansvarig or biträdande enhetschef).
#[utoipa::path(post, path = "/api/cases/{id}/inquiries",
    extensions(("x-field-rules" = json!(dto::SENDER_RULES))), tag = "inquiries", params(("id" = CaseId, Path)), request_body = NewInquiry,
    responses(
        (status = 201, body = InquiryResponse),
        crate::http::problem::OwnerWithRole,
        crate::http::CommonErrors,
    ))]
async fn create_inquiry(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(case_id): ApiPath<CaseId>,
    ValidJson(body): ValidJson<NewInquiry>,
) -> AppResult<(StatusCode, Json<InquiryResponse>)> {
    let action = AuditAction::InquiryCreate;
    let mut tx = state.store.begin().await?;
    let write = authorize::authorize_case_write(&mut tx, &actor, case_id, action).await?;
    policy::require_may_send_inquiry(&actor, write.access(), action)?;
    let mut part = body.into_part();
    check_sender_part(&mut part, today())?;
    check_recipient(&mut tx, &actor, part.recipient_organisation_id).await?;
    let id = InquiryId::new();
    inquiries::insert(&mut tx, &write, id, actor.user_id, &part).await?;
    let access = authorize::authorize_inquiry(&mut tx, &actor, id, action).await?;
    let response = respond(&mut tx, &actor, &access, action).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(response)))
}

/// One inquiry. The receiving organisation's first look marks it received.
#[utoipa::path(get, path = "/api/inquiries/{id}", tag = "inquiries", params(("id" = InquiryId, Path)),
    responses((status = 200, body = InquiryResponse), crate::http::CommonErrors))]
async fn get_inquiry(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<InquiryId>,
) -> AppResult<Json<InquiryResponse>> {
    let mut tx = state.store.begin().await?;
    let access =
        authorize::authorize_inquiry(&mut tx, &actor, id, AuditAction::InquiryRead).await?;
    if access.party() == Party::Recipient && access.state() == InquiryState::Sent {
        // Two people opening it at once: one receives it, the other just reads.
        match take_step(&mut tx, &actor, &access, Step::Receive, StepDetail::None).await {
            Ok(_) => tx.audit(access.audit(&actor, AuditAction::InquiryReceive)),
            Err(AppError::Conflict { .. }) => {}
            Err(err) => return Err(err),
        }
    }
    let response = respond(&mut tx, &actor, &access, AuditAction::InquiryRead).await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// Changes a draft (the sender only).
#[utoipa::path(patch, path = "/api/inquiries/{id}",
    extensions(("x-field-rules" = json!(dto::SENDER_RULES))), tag = "inquiries", params(("id" = InquiryId, Path)), request_body = UpdateInquiry,
    responses(
        (status = 200, body = InquiryResponse),
        crate::http::problem::SenderOnly,
        crate::http::problem::NotDraft,
        crate::http::CommonErrors,
    ))]
async fn update_inquiry(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<InquiryId>,
    ValidJson(body): ValidJson<UpdateInquiry>,
) -> AppResult<Json<InquiryResponse>> {
    let action = AuditAction::InquiryUpdate;
    let mut tx = state.store.begin().await?;
    let access = authorize_step(&mut tx, &actor, id, Step::Edit, action).await?;
    let mut part: SenderPart = inquiries::get(&mut tx, &access).await?.part;
    body.apply(&mut part);
    check_sender_part(&mut part, today())?;
    check_recipient(&mut tx, &actor, part.recipient_organisation_id).await?;
    if !inquiries::update_draft(&mut tx, &access, &part).await? {
        let current = inquiries::current_state(&mut tx, &access).await?;
        return Err(InvalidTransition {
            current,
            step: Step::Edit,
        }
        .into());
    }
    let response = respond(&mut tx, &actor, &access, action).await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// Deletes a draft (the sender only).
#[utoipa::path(delete, path = "/api/inquiries/{id}", tag = "inquiries", params(("id" = InquiryId, Path)),
    responses(
        (status = 204, description = "Utkastet är borttaget"),
        crate::http::problem::SenderOnly,
        crate::http::problem::NotDraft,
        crate::http::CommonErrors,
    ))]
async fn delete_inquiry(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<InquiryId>,
) -> AppResult<StatusCode> {
    let action = AuditAction::InquiryDelete;
    let mut tx = state.store.begin().await?;
    let access = authorize_step(&mut tx, &actor, id, Step::Delete, action).await?;
    if !inquiries::delete_draft(&mut tx, &access).await? {
        let current = inquiries::current_state(&mut tx, &access).await?;
        return Err(InvalidTransition {
            current,
            step: Step::Delete,
        }
        .into());
    }
    tx.audit(access.audit(&actor, action));
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends a draft to the clinic's shared inbox. Needs a consent in force that covers my
/// organisation and the clinic for `rehabiliteringsforfragan` (409 `consent_missing`).
#[utoipa::path(post, path = "/api/inquiries/{id}/send",
    extensions(("x-field-rules" = json!(dto::SEND_RULES))), tag = "inquiries", params(("id" = InquiryId, Path)),
    responses(
        (status = 200, body = InquiryResponse),
        crate::http::problem::SenderOnly,
        crate::http::problem::WrongStateOrConsentMissing,
        crate::http::CommonErrors,
    ))]
async fn send_inquiry(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<InquiryId>,
) -> AppResult<Json<InquiryResponse>> {
    let action = AuditAction::InquirySend;
    let now = Timestamp::now();
    let mut tx = state.store.begin().await?;
    let access = authorize_step(&mut tx, &actor, id, Step::Send, action).await?;
    let part = inquiries::get(&mut tx, &access).await?.part;
    let answer_by = part.answer_by.unwrap_or_else(|| {
        today() + chrono::Days::new(state.settings.inquiry.default_answer_days.unsigned_abs())
    });
    if let Some(error) = check_answer_by(answer_by, today()) {
        return Err(AppError::Validation(vec![error]));
    }
    let Some(consent) =
        authorize::bridging_consent(&mut tx, access.case(), access.recipient(), now).await?
    else {
        let clinic = organisations::get(&mut tx, access.recipient()).await?;
        return Err(AppError::consent_missing(
            &[clinic.name],
            Purpose::Rehabiliteringsforfragan,
        ));
    };
    take_step(
        &mut tx,
        &actor,
        &access,
        Step::Send,
        StepDetail::AnswerBy(answer_by),
    )
    .await?;
    let inquiry = inquiries::get(&mut tx, &access).await?;
    // The consent under which the content is disclosed to the clinic.
    let mut entry = access.audit(&actor, action);
    entry.consent_id = Some(consent);
    tx.audit(entry);
    tx.commit().await?;
    tracing::info!(inquiry_id = %id, "inquiry sent");
    Ok(Json(InquiryResponse::new(inquiry, today())))
}

/// Assigns (or re-assigns) the inquiry to a rehab coordinator of the receiving organisation.
#[utoipa::path(post, path = "/api/inquiries/{id}/assign",
    extensions(("x-field-rules" = json!(dto::ASSIGN_RULES))), tag = "inquiries", params(("id" = InquiryId, Path)), request_body = AssignInquiry,
    responses(
        (status = 200, body = InquiryResponse),
        crate::http::problem::RecipientOnly,
        crate::http::problem::WrongState,
        crate::http::CommonErrors,
    ))]
async fn assign_inquiry(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<InquiryId>,
    ValidJson(body): ValidJson<AssignInquiry>,
) -> AppResult<Json<InquiryResponse>> {
    let action = AuditAction::InquiryAssign;
    let mut tx = state.store.begin().await?;
    let access = authorize_step(&mut tx, &actor, id, Step::Assign, action).await?;
    let assignee = body.assignee_user_id;
    match users::get(&mut tx, assignee).await {
        Ok(u)
            if policy::may_be_assigned_inquiry(
                access.recipient(),
                u.organisation_id,
                u.active,
                &u.roles,
            ) => {}
        Ok(_) | Err(StoreError::NotFound) => {
            return Err(AppError::field(
                "assignee_user_id",
                "invalid_assignee",
                "ska vara en aktiv rehabkoordinator i din organisation",
            ))
        }
        Err(err) => return Err(err.into()),
    }
    take_step(
        &mut tx,
        &actor,
        &access,
        Step::Assign,
        StepDetail::Assignee(assignee),
    )
    .await?;
    let response = respond(&mut tx, &actor, &access, action).await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// Answers the inquiry (a rehab coordinator of the receiving organisation, with the
/// treating doctor).
#[utoipa::path(post, path = "/api/inquiries/{id}/answer",
    extensions(("x-field-rules" = json!(answer::ANSWER_RULES))), tag = "inquiries", params(("id" = InquiryId, Path)), request_body = AnswerInquiry,
    responses(
        (status = 200, body = InquiryResponse),
        crate::http::problem::RecipientCoordinatorOnly,
        crate::http::problem::WrongState,
        crate::http::CommonErrors,
    ))]
async fn answer_inquiry(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<InquiryId>,
    ValidJson(body): ValidJson<AnswerInquiry>,
) -> AppResult<Json<InquiryResponse>> {
    let action = AuditAction::InquiryAnswer;
    let now = Timestamp::now();
    let mut tx = state.store.begin().await?;
    let access = authorize_step(&mut tx, &actor, id, Step::Answer, action).await?;
    let answer = body.into_answer(actor.user_id, now)?;
    take_step(&mut tx, &actor, &access, Step::Answer, StepDetail::None).await?;
    inquiries::answer::insert(&mut tx, &access, &answer).await?;
    let response = respond(&mut tx, &actor, &access, action).await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// Declines the inquiry (the receiving organisation), with a reason.
#[utoipa::path(post, path = "/api/inquiries/{id}/decline",
    extensions(("x-field-rules" = json!(dto::DECLINE_RULES))), tag = "inquiries", params(("id" = InquiryId, Path)), request_body = DeclineInquiry,
    responses(
        (status = 200, body = InquiryResponse),
        crate::http::problem::RecipientOnly,
        crate::http::problem::WrongState,
        crate::http::CommonErrors,
    ))]
async fn decline_inquiry(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<InquiryId>,
    ValidJson(body): ValidJson<DeclineInquiry>,
) -> AppResult<Json<InquiryResponse>> {
    let action = AuditAction::InquiryDecline;
    let mut tx = state.store.begin().await?;
    let access = authorize_step(&mut tx, &actor, id, Step::Decline, action).await?;
    let text = body.checked_text()?;
    let detail = StepDetail::Decline {
        reason: body.reason,
        text: text.as_deref(),
    };
    take_step(&mut tx, &actor, &access, Step::Decline, detail).await?;
    let response = respond(&mut tx, &actor, &access, action).await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// A step the sender takes without a body: withdraw or close.
async fn sender_step(
    state: AppState,
    actor: Actor,
    id: InquiryId,
    step: Step,
    action: AuditAction,
) -> AppResult<Json<InquiryResponse>> {
    let mut tx = state.store.begin().await?;
    let access = authorize_step(&mut tx, &actor, id, step, action).await?;
    take_step(&mut tx, &actor, &access, step, StepDetail::None).await?;
    let response = respond(&mut tx, &actor, &access, action).await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// Withdraws a sent inquiry that is not yet answered (the sender).
#[utoipa::path(post, path = "/api/inquiries/{id}/withdraw", tag = "inquiries", params(("id" = InquiryId, Path)),
    responses(
        (status = 200, body = InquiryResponse),
        crate::http::problem::SenderOnly,
        crate::http::problem::WrongState,
        crate::http::CommonErrors,
    ))]
async fn withdraw_inquiry(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<InquiryId>,
) -> AppResult<Json<InquiryResponse>> {
    sender_step(
        state,
        actor,
        id,
        Step::Withdraw,
        AuditAction::InquiryWithdraw,
    )
    .await
}

/// Closes an answered inquiry (the sender, once the answer is taken in).
#[utoipa::path(post, path = "/api/inquiries/{id}/close", tag = "inquiries", params(("id" = InquiryId, Path)),
    responses(
        (status = 200, body = InquiryResponse),
        crate::http::problem::SenderOnly,
        crate::http::problem::WrongState,
        crate::http::CommonErrors,
    ))]
async fn close_inquiry(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<InquiryId>,
) -> AppResult<Json<InquiryResponse>> {
    sender_step(state, actor, id, Step::Close, AuditAction::InquiryClose).await
}
