//! Booking the SIP meeting from a call through the meeting machinery (kind `sip_mote`,
//! purpose `sip`; invitations with the Outlook calendar part to the people the called
//! organisations said come), and cancelling the call (and its meeting).

use axum::extract::State;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{closed, event, respond, BookBody, SipCallResponse};
use crate::access::authorize;
use crate::access::policy::{MeetingAccess, SipSide};
use crate::access::CurrentUser;
use crate::app::AppState;
use crate::domain::event::{Audience, Detail, MeetingChange, NewEvent};
use crate::domain::sip::{CallAnswer, CallState};
use crate::domain::AuditAction;
use crate::domain::EventKind;
use crate::domain::{MeetingId, MeetingKind, MeetingStatus, Purpose, SipCallId, Timestamp, UserId};
use crate::error::{AppError, AppResult, FieldError};
use crate::http::meetings::instant;
use crate::http::ApiPath;
use crate::http::ValidJson;
use crate::store::meetings::{self, NewMeeting, Target};
use crate::store::sip_calls;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(book_sip_call))
        .routes(routes!(cancel_sip_call))
}

/// A thin event of the meeting for its participants (as the meeting routes record them).
fn meeting_event(access: &MeetingAccess, kind: EventKind) -> NewEvent {
    NewEvent {
        kind,
        case_id: access.case().map(|c| c.case_id()),
        individual_id: access.case().map(|c| c.individual_id()),
        subject_id: Some(access.meeting_id().to_string()),
        purpose: Some(access.purpose()),
        audience: Audience::Users(access.participants().to_vec()),
        detail: Detail::None,
    }
}

/// Books the SIP meeting from the call (the caller): a `sip_mote` in the case, with the
/// people the called organisations said come invited (e-mail with the calendar part, as
/// any meeting). Named attendees without accounts are not sent anything.
#[utoipa::path(post, path = "/api/sip-calls/{id}/book",
    extensions(("x-field-rules" = json!(super::dto::BOOK_RULES))), tag = "sip", params(("id" = SipCallId, Path)), request_body = BookBody,
    responses(
        (status = 200, body = SipCallResponse),
        crate::http::problem::CallerOnly,
        crate::http::problem::WrongStateOrConsentMissing,
        crate::http::CommonErrors,
    ))]
async fn book_sip_call(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<SipCallId>,
    ValidJson(body): ValidJson<BookBody>,
) -> AppResult<Json<SipCallResponse>> {
    let action = AuditAction::SipCallBook;
    let now = Timestamp::now();
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_sip_call(&mut tx, &actor, id, action).await?;
    access.require_side(&actor, SipSide::Caller, action)?;
    if access.state() != CallState::Called {
        return Err(closed(access.state()));
    }
    let (starts_at, ends_at) = (instant(body.starts_at), instant(body.ends_at));
    let place = body
        .location
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty());
    let mut errors = Vec::new();
    for problem in crate::domain::meeting::check_time(starts_at, ends_at, now) {
        errors.push(FieldError::new(
            problem.field(),
            problem.code(),
            problem.message(),
        ));
    }
    if place.is_none() {
        errors.push(FieldError::new(
            "location",
            "location_required",
            "ange var mötet hålls",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let call = sip_calls::get(&mut tx, &access).await?;
    let mut coming: Vec<UserId> = call
        .parties
        .iter()
        .filter(|p| p.answer == CallAnswer::Coming)
        .flat_map(|p| p.coming.iter().map(|(user, _)| *user))
        .collect();
    coming.sort();
    coming.dedup();
    let scope = authorize::authorize_meeting_scope(
        &mut tx,
        &actor,
        Some(access.case().case_id()),
        Purpose::Sip,
        AuditAction::MeetingCreate,
    )
    .await?;
    let invitees =
        authorize::check_invitees(&mut tx, &scope, &coming, actor.user_id, "coming", now).await?;
    let meeting_id = MeetingId::new();
    let new = NewMeeting {
        id: meeting_id,
        kind: MeetingKind::SipMote,
        starts_at,
        ends_at,
        place,
        video_link: None,
        organiser: actor.user_id,
        organiser_organisation: actor.organisation_id,
    };
    meetings::insert(&mut tx, &scope, &new, now).await?;
    let invited =
        meetings::invite(&mut tx, &Target::New(&scope, meeting_id), &invitees, now).await?;
    let meeting =
        authorize::authorize_meeting(&mut tx, &actor, meeting_id, AuditAction::MeetingCreate)
            .await?;
    tx.event(
        meeting_event(&meeting, EventKind::MeetingInvited).with(Detail::Meeting(
            MeetingChange::Invited {
                users: invited,
                attendees: Vec::new(),
            },
        )),
    );
    tx.audit(meeting.audit(&actor, AuditAction::MeetingCreate));
    let meeting_on = body.starts_at.date_naive();
    if !sip_calls::book(&mut tx, &access, meeting_id, meeting_on, now).await? {
        return Err(closed(sip_calls::current_state(&mut tx, id).await?));
    }
    tx.event(event(&access, EventKind::SipCallBooked));
    let response = respond(&mut tx, &actor, &access, action).await?;
    tx.commit().await?;
    tracing::info!(sip_call_id = %id, meeting_id = %meeting_id, "SIP meeting booked");
    Ok(Json(response))
}

/// Cancels the call (the caller); a booked SIP meeting is cancelled with it, and the called
/// organisations are told.
#[utoipa::path(post, path = "/api/sip-calls/{id}/cancel", tag = "sip", params(("id" = SipCallId, Path)),
    responses(
        (status = 200, body = SipCallResponse),
        crate::http::problem::CallerOnly,
        crate::http::problem::WrongState,
        crate::http::CommonErrors,
    ))]
async fn cancel_sip_call(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<SipCallId>,
) -> AppResult<Json<SipCallResponse>> {
    let action = AuditAction::SipCallCancel;
    let now = Timestamp::now();
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_sip_call(&mut tx, &actor, id, action).await?;
    access.require_side(&actor, SipSide::Caller, action)?;
    let call = sip_calls::get(&mut tx, &access).await?;
    if !sip_calls::cancel(&mut tx, &access, now).await? {
        return Err(closed(sip_calls::current_state(&mut tx, id).await?));
    }
    if let Some(meeting_id) = call.meeting_id {
        let meeting =
            authorize::authorize_meeting(&mut tx, &actor, meeting_id, AuditAction::MeetingCancel)
                .await?;
        if meeting.status() == MeetingStatus::Scheduled
            && meetings::cancel(&mut tx, &meeting, actor.user_id, now).await?
        {
            tx.event(
                meeting_event(&meeting, EventKind::MeetingCancelled)
                    .with(Detail::Meeting(MeetingChange::Cancelled)),
            );
            tx.audit(meeting.audit(&actor, AuditAction::MeetingCancel));
        }
    }
    tx.event(event(&access, EventKind::SipCallCancelled));
    let response = respond(&mut tx, &actor, &access, action).await?;
    tx.commit().await?;
    Ok(Json(response))
}
