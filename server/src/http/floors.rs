//! The REST benchmark's floors, built only with `--features floors` (`samverkan-load --rest
//! --rest-kind me,read-floor,case,write-floor,decided-floor,message`, see "The floors" in the
//! README); never in the product, never in the OpenAPI document.
//!
//! - `GET /api/floor/read` is `GET /api/me` plus one audit row made durable through the
//!   audit journal before the answer, as every read of a person's data must: the guarantee
//!   alone, without a case to find or a policy to ask. What it costs over `/api/me` is the
//!   least an audited read can cost over it with this store and this design of the audit.
//! - `POST /api/floor/write` is a durable change with nothing to decide: the signed-in
//!   user's session, then a transaction on the writer with one event and one audit row,
//!   committed in the writers' group commit. A message write does this and more (the policy's
//!   facts, the message, the notification rule's recipients and their notifications).
//! - `POST /api/floor/cases/{id}/write` is that change decided as a message write is: the
//!   policy's facts of the case read in the transaction and the write allowed by them
//!   (`authorize_messages`) before the event and the audit row. What a message write costs
//!   over it is the message and the notification rule.
//!
//! The audit rows name an individual made from the user's id, one per client as the case
//! reads' are, so that the rows spread over the audit index's leaves as theirs do.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::access::{authorize, CurrentUser, SignedIn};
use crate::app::AppState;
use crate::domain::audit::Outcome;
use crate::domain::event::{Audience, Detail, NewEvent};
use crate::domain::{AuditAction, CaseId, EventKind, IndividualId};
use crate::error::AppResult;
use crate::http::users::UserResponse;
use crate::http::ApiPath;
use crate::store::organisations;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/floor/read", get(read))
        .route("/api/floor/write", post(write))
        .route("/api/floor/cases/{id}/write", post(decided_write))
}

async fn read(
    State(state): State<AppState>,
    SignedIn(actor, _session, user): SignedIn,
) -> AppResult<Json<UserResponse>> {
    let mut tx = state.store.audited_read().await?;
    let organisation = organisations::get(&mut tx, user.organisation_id).await?;
    let mut entry = actor.audit(AuditAction::CaseRead, Outcome::Allowed);
    entry.individual_id = Some(IndividualId(user.id.0));
    tx.audit(entry);
    tx.commit().await?;
    Ok(Json(UserResponse::new(user, &organisation)))
}

async fn write(
    State(state): State<AppState>,
    SignedIn(actor, _session, user): SignedIn,
) -> AppResult<StatusCode> {
    let mut tx = state.store.begin().await?;
    tx.event(NewEvent {
        kind: EventKind::CaseUpdated,
        case_id: None,
        individual_id: None,
        subject_id: None,
        purpose: None,
        audience: Audience::Users(vec![user.id]),
        detail: Detail::None,
    });
    let mut entry = actor.audit(AuditAction::CaseUpdate, Outcome::Allowed);
    entry.individual_id = Some(IndividualId(user.id.0));
    tx.audit(entry);
    tx.commit().await?;
    Ok(StatusCode::CREATED)
}

async fn decided_write(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(case_id): ApiPath<CaseId>,
) -> AppResult<StatusCode> {
    let action = AuditAction::MessageCreate;
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_messages(&mut tx, &actor, case_id, action).await?;
    tx.event(NewEvent {
        kind: EventKind::CaseUpdated,
        case_id: Some(case_id),
        individual_id: Some(access.case().individual_id()),
        subject_id: None,
        purpose: None,
        audience: Audience::Case,
        detail: Detail::None,
    });
    tx.audit(access.audit(&actor, action));
    tx.commit().await?;
    Ok(StatusCode::CREATED)
}
