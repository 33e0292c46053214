//! SIP calls (kallelse till SIP): the case owner's social worker calls organisations, each
//! covered by a consent for `sip`; the call lands in each one's shared inbox of calls,
//! where someone answers (we come, another time, or, optional parties only, we decline).
//! The caller books the SIP meeting from the call (`book`) or cancels it. Obliged parties
//! silent for `sip.chase_after_days` are reminded by the scheduler. The rule for who sees a
//! call is `policy::sip_calls`; the vocabulary and obligations `domain::sip`.

mod answer;
mod book;
mod dto;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use utoipa_axum::{router::OpenApiRouter, routes};

pub use dto::*;

use super::{ApiPath, ApiQuery, Page, Paging, ValidJson};
use crate::access::authorize;
use crate::access::policy::{self, SipCallAccess};
use crate::access::{Actor, CurrentUser};
use crate::app::AppState;
use crate::domain::sip::{covers_both_principals, CallState};
use crate::domain::sip::{obligation, AnswerRefused, CallBox};
use crate::domain::AuditAction;
use crate::domain::EventKind;
use crate::domain::{CaseId, OrganisationId, SipCallId, Timestamp};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::sip_calls::{self, call_event, NewSipCall, SipCallQuery};
use crate::store::{organisations, StoreError, Tx};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_sip_call, list_case_sip_calls))
        .routes(routes!(list_sip_calls))
        .routes(routes!(count_sip_calls))
        .routes(routes!(get_sip_call))
        .merge(answer::router())
        .merge(book::router())
}

/// The thin event of a change to the call, for its caller and called organisations.
fn event(access: &SipCallAccess, kind: EventKind) -> crate::domain::event::NewEvent {
    call_event(
        kind,
        access.call_id(),
        access.case().case_id(),
        access.case().individual_id(),
        access.organisations(),
    )
}

fn closed(state: CallState) -> AppError {
    AppError::Conflict {
        code: "invalid_transition",
        detail: AnswerRefused::CallClosed(state).to_string(),
    }
}

/// The call as the actor sees it, audited under `action`.
async fn respond(
    tx: &mut Tx,
    actor: &Actor,
    access: &SipCallAccess,
    action: AuditAction,
) -> AppResult<SipCallResponse> {
    let call = sip_calls::get(tx, access).await?;
    tx.audit(access.audit(actor, action));
    Ok(SipCallResponse::new(call, actor.organisation_id))
}

/// The called organisations, checked: known, not mine, each once, and together with mine
/// both social services and care. Returns each with its obligation.
async fn check_parties(
    tx: &mut Tx,
    actor: &Actor,
    body: &NewSipCallBody,
    errors: &mut Vec<FieldError>,
) -> AppResult<Vec<(OrganisationId, crate::domain::sip::Obligation)>> {
    let ids = &body.organisation_ids;
    if ids.is_empty() {
        errors.push(FieldError::new(
            "organisation_ids",
            "required",
            "kalla minst en organisation",
        ));
    } else if ids.len() > MAX_PARTIES {
        errors.push(FieldError::new(
            "organisation_ids",
            "too_many",
            format!("högst {MAX_PARTIES} organisationer"),
        ));
        return Ok(Vec::new());
    }
    let mut kinds = vec![organisations::get(tx, actor.organisation_id).await?.kind];
    let mut parties = Vec::new();
    for (index, id) in ids.iter().enumerate() {
        let field = format!("organisation_ids[{index}]");
        if *id == actor.organisation_id {
            errors.push(FieldError::new(
                field,
                "own_organisation",
                "er egen organisation kallar och kallas inte",
            ));
            continue;
        }
        if ids[..index].contains(id) {
            errors.push(FieldError::new(
                field,
                "duplicate",
                "organisationen är redan kallad",
            ));
            continue;
        }
        match organisations::get(tx, *id).await {
            Ok(org) => {
                kinds.push(org.kind);
                parties.push((*id, obligation(org.kind)));
            }
            Err(StoreError::NotFound) => errors.push(FieldError::new(
                field,
                "unknown_organisation",
                "okänd organisation",
            )),
            Err(err) => return Err(err.into()),
        }
    }
    if !ids.is_empty() && errors.is_empty() && !covers_both_principals(&kinds) {
        errors.push(FieldError::new(
            "organisation_ids",
            "needs_both_principals",
            "en SIP behöver både socialtjänsten och hälso- och sjukvården (vårdcentral eller psykiatri)",
        ));
    }
    Ok(parties)
}

/// Calls a SIP in the case: to each organisation's shared inbox of calls. Each called
/// organisation must be covered by an in-force consent for `sip` recorded by the case's
/// owner (409 `consent_missing` naming those that are not).
#[utoipa::path(post, path = "/api/cases/{id}/sip-calls",
    extensions(("x-field-rules" = json!(dto::NEW_CALL_RULES))), tag = "sip", params(("id" = CaseId, Path)), request_body = NewSipCallBody,
    responses(
        (status = 201, body = SipCallResponse),
        crate::http::problem::OwnerOnly,
        crate::http::problem::CalledConsentMissing,
        crate::http::CommonErrors,
    ))]
async fn create_sip_call(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(case_id): ApiPath<CaseId>,
    ValidJson(body): ValidJson<NewSipCallBody>,
) -> AppResult<(StatusCode, Json<SipCallResponse>)> {
    let action = AuditAction::SipCallCreate;
    let now = Timestamp::now();
    let mut tx = state.store.begin().await?;
    // Whether I may call in this case at all, before anything about the body is said.
    authorize::authorize_sip_call_write(&mut tx, &actor, case_id, &[], action).await?;
    let mut errors = Vec::new();
    let parties = check_parties(&mut tx, &actor, &body, &mut errors).await?;
    if body.proposed_times.len() > MAX_TIMES {
        errors.push(FieldError::new(
            "proposed_times",
            "too_many",
            format!("högst {MAX_TIMES} tider"),
        ));
    }
    for (index, slot) in body.proposed_times.iter().enumerate() {
        check_slot(
            &format!("proposed_times[{index}]"),
            slot.slot(),
            now,
            &mut errors,
        );
    }
    if body.attendees.len() > MAX_ATTENDEES {
        errors.push(FieldError::new(
            "attendees",
            "too_many",
            format!("högst {MAX_ATTENDEES} personer"),
        ));
    }
    if body
        .requested_by_individual_on
        .is_some_and(|d| d > Utc::now().date_naive())
    {
        errors.push(FieldError::new(
            "requested_by_individual_on",
            "in_the_future",
            "datumet kan inte ligga i framtiden",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let called: Vec<OrganisationId> = parties.iter().map(|(org, _)| *org).collect();
    let write =
        authorize::authorize_sip_call_write(&mut tx, &actor, case_id, &called, action).await?;
    let id = SipCallId::new();
    let new = NewSipCall {
        id,
        caller_user: actor.user_id,
        purpose_text: body.purpose_text.trim().to_owned(),
        questions: body.questions.trim().to_owned(),
        proposed_times: body.proposed_times.iter().map(|s| s.slot()).collect(),
        attendees: body.named_attendees(),
        requested_by_individual_on: body.requested_by_individual_on,
        parties,
    };
    sip_calls::insert(&mut tx, &write, &new, now).await?;
    let access = authorize::authorize_sip_call(&mut tx, &actor, id, action).await?;
    tx.event(event(&access, EventKind::SipCallCreated));
    let response = respond(&mut tx, &actor, &access, action).await?;
    tx.commit().await?;
    tracing::info!(sip_call_id = %id, "SIP called");
    Ok((StatusCode::CREATED, Json(response)))
}

/// The case's SIP calls that my organisation made or was called to (while a consent for
/// `sip` covers it); empty for others who see the case.
#[utoipa::path(get, path = "/api/cases/{id}/sip-calls", tag = "sip", params(("id" = CaseId, Path), Paging),
    responses((status = 200, body = Page<SipCallResponse>), crate::http::CommonErrors))]
async fn list_case_sip_calls(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(case_id): ApiPath<CaseId>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> AppResult<Json<Page<SipCallResponse>>> {
    let action = AuditAction::SipCallList;
    let (limit, offset) = (paging.limit()?, paging.offset()?);
    let mut tx = state.store.begin().await?;
    // Whoever sees the case may ask; the filter shows only calls they see for `sip`.
    let case =
        authorize::authorize_case(&mut tx, &actor, case_id, policy::Need::Case, action).await?;
    let query = SipCallQuery {
        case_id: Some(case_id),
        state: None,
        limit,
        offset,
    };
    let items = list_with(&mut tx, &actor, None, &query).await?;
    tx.audit(case.audit(&actor, action));
    tx.commit().await?;
    Ok(Json(Page {
        items,
        limit,
        offset,
    }))
}

/// Lists through the policy's filter, auditing each listed call's case.
async fn list_with(
    tx: &mut Tx,
    actor: &Actor,
    mailbox: Option<CallBox>,
    query: &SipCallQuery,
) -> AppResult<Vec<SipCallResponse>> {
    let Some(filter) = policy::sip_call_filter(actor, mailbox, Timestamp::now()) else {
        return Ok(Vec::new());
    };
    let rows = sip_calls::list(tx, &filter, query).await?;
    for row in &rows {
        let access = filter.access_for(
            row.case_id,
            row.individual_id,
            row.owner_organisation_id,
            row.via_consent,
        );
        tx.audit(access.audit(actor, AuditAction::SipCallList));
    }
    Ok(rows
        .into_iter()
        .map(|call| SipCallResponse::new(call, actor.organisation_id))
        .collect())
}

/// My organisation's calls: `inbox` (calls to it, its shared inbox of calls) or `sent`
/// (calls it made), newest first. A call to us shows while a consent for `sip` covers us.
#[utoipa::path(get, path = "/api/sip-calls", tag = "sip", params(SipCallListQuery),
    responses((status = 200, body = Page<SipCallResponse>), crate::http::CommonErrors))]
async fn list_sip_calls(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiQuery(query): ApiQuery<SipCallListQuery>,
) -> AppResult<Json<Page<SipCallResponse>>> {
    let paging = Paging {
        limit: query.limit,
        offset: query.offset,
    };
    let (limit, offset) = (paging.limit()?, paging.offset()?);
    let mailbox = query.mailbox.unwrap_or(CallBox::Inbox);
    let mut tx = state.store.begin().await?;
    let list = SipCallQuery {
        case_id: None,
        state: query.state,
        limit,
        offset,
    };
    let items = list_with(&mut tx, &actor, Some(mailbox), &list).await?;
    tx.commit().await?;
    Ok(Json(Page {
        items,
        limit,
        offset,
    }))
}

/// The number behind the menu's badge: open calls to my organisation it has not answered.
#[utoipa::path(get, path = "/api/sip-calls/counts", tag = "sip",
    responses((status = 200, body = SipCallCounts), crate::http::CommonErrors))]
async fn count_sip_calls(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> AppResult<Json<SipCallCounts>> {
    let Some(filter) = policy::sip_call_filter(&actor, Some(CallBox::Inbox), Timestamp::now())
    else {
        return Ok(Json(SipCallCounts { unanswered: 0 }));
    };
    let mut tx = state.store.begin().await?;
    let unanswered = sip_calls::count_awaiting_answer(&mut tx, &filter).await?;
    tx.commit().await?;
    Ok(Json(SipCallCounts { unanswered }))
}

/// One call, with who has answered what and who has not.
#[utoipa::path(get, path = "/api/sip-calls/{id}", tag = "sip", params(("id" = SipCallId, Path)),
    responses((status = 200, body = SipCallResponse), crate::http::CommonErrors))]
async fn get_sip_call(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<SipCallId>,
) -> AppResult<Json<SipCallResponse>> {
    let action = AuditAction::SipCallRead;
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_sip_call(&mut tx, &actor, id, action).await?;
    let response = respond(&mut tx, &actor, &access, action).await?;
    tx.commit().await?;
    Ok(Json(response))
}
