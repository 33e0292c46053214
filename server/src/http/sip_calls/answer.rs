//! A called organisation's answer to a SIP call: checked against the life cycle (obliged
//! parties cannot decline) and field by field, then recorded and announced.

use axum::extract::State;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{check_slot, closed, event, respond, SipAnswerBody, SipCallResponse, MAX_COMING};
use crate::access::authorize;
use crate::access::policy::{self, SipCallAccess, SipSide};
use crate::access::{Actor, CurrentUser};
use crate::app::AppState;
use crate::domain::sip::{check_answer, AnswerRefused, CallAnswer, SipDeclineReason};
use crate::domain::AuditAction;
use crate::domain::EventKind;
use crate::domain::{SipCallId, Timestamp};
use crate::error::{AppError, AppResult, FieldError};
use crate::http::{ApiPath, ValidJson};
use crate::store::sip_calls::{self, Answer};
use crate::store::{users, StoreError, Tx};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(answer_sip_call))
}

/// Checks an answer against the life cycle and its fields; returns it tidied.
async fn check_answer_body(
    tx: &mut Tx,
    actor: &Actor,
    access: &SipCallAccess,
    body: SipAnswerBody,
) -> AppResult<Answer> {
    let call = sip_calls::get(tx, access).await?;
    let party = call
        .parties
        .iter()
        .find(|p| p.organisation_id == actor.organisation_id)
        .ok_or(AppError::NotFound)?;
    match check_answer(call.state, party.obligation, body.answer) {
        Ok(()) => {}
        Err(AnswerRefused::CallClosed(state)) => return Err(closed(state)),
        Err(refused @ AnswerRefused::ObligedCannotDecline) => {
            return Err(AppError::field(
                "answer",
                "obliged_cannot_decline",
                refused.to_string(),
            ))
        }
        Err(refused @ AnswerRefused::NotAnAnswer) => {
            return Err(AppError::field(
                "answer",
                "not_an_answer",
                refused.to_string(),
            ))
        }
    }
    let now = Timestamp::now();
    let mut errors = Vec::new();
    let text = body
        .text
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    let mut coming = Vec::new();
    if body.answer == CallAnswer::Coming && body.coming.is_empty() {
        errors.push(FieldError::new(
            "coming",
            "required",
            "ange minst en person som kommer",
        ));
    }
    if body.coming.len() > MAX_COMING {
        errors.push(FieldError::new(
            "coming",
            "too_many",
            format!("högst {MAX_COMING} personer"),
        ));
    } else if body.answer != CallAnswer::Declined {
        for (index, id) in body.coming.iter().enumerate() {
            let fits = match users::get(tx, *id).await {
                Ok(user) => {
                    policy::sees_user(actor, user.organisation_id)
                        && policy::is_active_caseworker(user.active, &user.roles)
                        && !body.coming[..index].contains(id)
                }
                Err(StoreError::NotFound) => false,
                Err(err) => return Err(err.into()),
            };
            if fits {
                coming.push(*id);
            } else {
                errors.push(FieldError::new(
                    format!("coming[{index}]"),
                    "invalid_person",
                    "välj en aktiv användare i er organisation, en gång",
                ));
            }
        }
    }
    let proposed_time = match (body.answer, body.proposed_time) {
        (CallAnswer::OtherTime, None) => {
            errors.push(FieldError::new(
                "proposed_time",
                "required",
                "föreslå en annan tid",
            ));
            None
        }
        (CallAnswer::OtherTime, Some(slot)) => {
            check_slot("proposed_time", slot.slot(), now, &mut errors);
            Some(slot.slot())
        }
        _ => None,
    };
    let decline_reason = match (body.answer, body.decline_reason) {
        (CallAnswer::Declined, None) => {
            errors.push(FieldError::new(
                "decline_reason",
                "required",
                "välj ett skäl",
            ));
            None
        }
        (CallAnswer::Declined, Some(reason)) => {
            if reason == SipDeclineReason::Other && text.is_none() {
                errors.push(FieldError::new(
                    "text",
                    "required",
                    "beskriv skälet när det är Annat skäl",
                ));
            }
            Some(reason)
        }
        _ => None,
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(Answer {
        answer: body.answer,
        coming,
        proposed_time,
        decline_reason,
        text,
    })
}

/// My organisation's answer to a call to it: `coming` (who), `other_time` (when instead),
/// or, optional parties only, `declined` with a reason (obliged parties get 422
/// `obliged_cannot_decline`). May be changed while the call is open.
#[utoipa::path(post, path = "/api/sip-calls/{id}/answer",
    extensions(("x-field-rules" = json!(super::dto::ANSWER_RULES))), tag = "sip", params(("id" = SipCallId, Path)), request_body = SipAnswerBody,
    responses(
        (status = 200, body = SipCallResponse),
        crate::http::problem::CalledOnly,
        crate::http::problem::WrongState,
        crate::http::CommonErrors,
    ))]
async fn answer_sip_call(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<SipCallId>,
    ValidJson(body): ValidJson<SipAnswerBody>,
) -> AppResult<Json<SipCallResponse>> {
    let action = AuditAction::SipCallAnswer;
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_sip_call(&mut tx, &actor, id, action).await?;
    access.require_side(&actor, SipSide::Called, action)?;
    let answer = check_answer_body(&mut tx, &actor, &access, body).await?;
    let now = Timestamp::now();
    let recorded = sip_calls::answers::answer(
        &mut tx,
        &access,
        actor.organisation_id,
        &answer,
        actor.user_id,
        now,
    )
    .await?;
    if !recorded {
        return Err(closed(sip_calls::current_state(&mut tx, id).await?));
    }
    tx.event(event(&access, EventKind::SipCallAnswered));
    let response = respond(&mut tx, &actor, &access, action).await?;
    tx.commit().await?;
    Ok(Json(response))
}
