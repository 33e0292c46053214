//! Answers to a meeting's invitation: a participant's own, and an external attendee's as the
//! organiser records it.

use axum::extract::State;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{meeting_event, require_scheduled, respond, AnswerBody, MeetingResponse};
use crate::access::policy::MeetingAccess;
use crate::access::{authorize, Actor, CurrentUser};
use crate::app::AppState;
use crate::domain::{AttendeeId, AuditAction, EventKind, MeetingId, Timestamp};
use crate::error::{AppError, AppResult};
use crate::http::{ApiPath, ValidJson};
use crate::store::meetings;
use crate::store::Tx;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(answer_meeting))
        .routes(routes!(answer_for_attendee))
}

/// Records an answer and announces it to the meeting's users.
async fn answered(
    tx: &mut Tx,
    actor: &Actor,
    access: &MeetingAccess,
    action: AuditAction,
) -> AppResult<MeetingResponse> {
    tx.event(meeting_event(
        access,
        EventKind::MeetingAnswered,
        access.participants().to_vec(),
    ));
    respond(tx, actor, access, action, Vec::new()).await
}

/// My answer to the invitation: accepted, declined or tentative (again to change it).
#[utoipa::path(post, path = "/api/meetings/{id}/answer", tag = "meetings", params(("id" = MeetingId, Path)), request_body = AnswerBody,
    responses(
        (status = 200, body = MeetingResponse),
        crate::http::problem::InviteesOnly,
        crate::http::problem::MeetingCancelled,
        crate::http::CommonErrors,
    ))]
async fn answer_meeting(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<MeetingId>,
    ValidJson(body): ValidJson<AnswerBody>,
) -> AppResult<Json<MeetingResponse>> {
    let action = AuditAction::MeetingAnswer;
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_meeting(&mut tx, &actor, id, action).await?;
    access.require_participant(&actor, action)?;
    require_scheduled(&access)?;
    if !meetings::answer(
        &mut tx,
        &access,
        actor.user_id,
        body.answer,
        Timestamp::now(),
    )
    .await?
    {
        return Err(AppError::NotFound);
    }
    let response = answered(&mut tx, &actor, &access, action).await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// Records the answer an external attendee gave the organiser (the organiser).
#[utoipa::path(post, path = "/api/meetings/{id}/attendees/{attendee_id}/answer", tag = "meetings",
    params(("id" = MeetingId, Path), ("attendee_id" = AttendeeId, Path)), request_body = AnswerBody,
    responses(
        (status = 200, body = MeetingResponse),
        crate::http::problem::OrganiserOnly,
        crate::http::problem::MeetingCancelled,
        crate::http::CommonErrors,
    ))]
async fn answer_for_attendee(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath((id, attendee)): ApiPath<(MeetingId, AttendeeId)>,
    ValidJson(body): ValidJson<AnswerBody>,
) -> AppResult<Json<MeetingResponse>> {
    let action = AuditAction::MeetingAnswerAttendee;
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_meeting(&mut tx, &actor, id, action).await?;
    access.require_organiser(&actor, action)?;
    require_scheduled(&access)?;
    let now = Timestamp::now();
    if !meetings::answer_attendee(&mut tx, &access, attendee, body.answer, actor.user_id, now)
        .await?
    {
        return Err(AppError::NotFound);
    }
    let response = answered(&mut tx, &actor, &access, action).await?;
    tx.commit().await?;
    Ok(Json(response))
}
