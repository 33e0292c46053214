//! Secure messages in a case between the organisations that may see it for
//! `informationsutbyte` (the owner always, others under consent), with read receipts.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

use super::{not_blank, rfc3339, ApiPath, ApiQuery, Page, Paging, ValidJson};
use crate::access::authorize;
use crate::access::policy::{MessageAccess, MessagesAccess};
use crate::access::CurrentUser;
use crate::app::AppState;
use crate::domain::event::{Audience, Detail, NewEvent};
use crate::domain::AuditAction;
use crate::domain::EventKind;
use crate::domain::{CaseId, MessageId, OrganisationId, Purpose, Timestamp, UserId};
use crate::error::AppResult;
use crate::store::messages::{self, Message, Receipt};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_messages, create_message))
        .routes(routes!(read_message))
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    #[validate(
        length(min = 1, max = 10000, message = "1–10000 tecken"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 10000, pattern = "$text")]
    pub body: String,
}

/// Who read a message, for which organisation, when.
#[derive(Serialize, ToSchema)]
pub struct ReceiptResponse {
    pub user_id: UserId,
    pub user_name: String,
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    pub read_at: DateTime<Utc>,
}

impl From<Receipt> for ReceiptResponse {
    fn from(r: Receipt) -> Self {
        Self {
            user_id: r.user_id,
            user_name: r.user_name,
            organisation_id: r.organisation_id,
            organisation_name: r.organisation_name,
            read_at: rfc3339(r.read_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MessageResponse {
    pub id: MessageId,
    pub case_id: CaseId,
    pub author_user_id: UserId,
    pub author_name: String,
    pub author_organisation_id: OrganisationId,
    pub author_organisation_name: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    /// Read receipts, oldest first; the author's own reading is not recorded.
    pub read_by: Vec<ReceiptResponse>,
}

impl From<Message> for MessageResponse {
    fn from(m: Message) -> Self {
        Self {
            id: m.id,
            case_id: m.case_id,
            author_user_id: m.author_user_id,
            author_name: m.author_name,
            author_organisation_id: m.author_organisation_id,
            author_organisation_name: m.author_organisation_name,
            body: m.body,
            created_at: rfc3339(m.created_at),
            read_by: m.receipts.into_iter().map(Into::into).collect(),
        }
    }
}

/// A thin event for everyone who may see the case's messages; never content.
fn message_event(access: &MessagesAccess, kind: EventKind, id: MessageId) -> NewEvent {
    NewEvent {
        kind,
        case_id: Some(access.case().case_id()),
        individual_id: Some(access.case().individual_id()),
        subject_id: Some(id.to_string()),
        purpose: Some(Purpose::Informationsutbyte),
        audience: Audience::Case,
        detail: Detail::None,
    }
}

/// Writes a message in the case.
#[utoipa::path(post, path = "/api/cases/{id}/messages", tag = "messages", params(("id" = CaseId, Path)), request_body = NewMessage,
    responses((status = 201, body = MessageResponse), crate::http::CommonErrors))]
async fn create_message(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(case_id): ApiPath<CaseId>,
    ValidJson(body): ValidJson<NewMessage>,
) -> AppResult<(StatusCode, Json<MessageResponse>)> {
    let action = AuditAction::MessageCreate;
    let author =
        messages::author_before_write(&state.store, actor.user_id, actor.organisation_id).await?;
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_messages(&mut tx, &actor, case_id, action).await?;
    let author = author.in_tx(&mut tx).await?;
    let id = MessageId::new();
    // Written under `access`, and returned as written (no one has read it yet: no receipts).
    let created = messages::insert(
        &mut tx,
        &access,
        id,
        author,
        body.body.trim(),
        Timestamp::now(),
    )
    .await?;
    tx.event(
        message_event(&access, EventKind::MessageCreated, id).with(Detail::By {
            user: actor.user_id,
            organisation: actor.organisation_id,
        }),
    );
    tx.audit(access.audit(&actor, action));
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// The case's messages, oldest first, with their read receipts.
#[utoipa::path(get, path = "/api/cases/{id}/messages", tag = "messages", params(("id" = CaseId, Path), Paging),
    responses((status = 200, body = Page<MessageResponse>), crate::http::CommonErrors))]
async fn list_messages(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(case_id): ApiPath<CaseId>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> AppResult<Json<Page<MessageResponse>>> {
    let (limit, offset) = (paging.limit()?, paging.offset()?);
    let mut tx = state.store.audited_read().await?;
    let access =
        authorize::authorize_messages(&mut tx, &actor, case_id, AuditAction::MessageList).await?;
    let list = messages::list(&mut tx, &access, limit, offset).await?;
    tx.audit(access.audit(&actor, AuditAction::MessageList));
    tx.commit().await?;
    Ok(Json(Page {
        items: list.into_iter().map(Into::into).collect(),
        limit,
        offset,
    }))
}

/// Marks the message read by me (once; again is harmless) and returns it with its receipts.
#[utoipa::path(post, path = "/api/messages/{id}/read", tag = "messages", params(("id" = MessageId, Path)),
    responses((status = 200, body = MessageResponse), crate::http::CommonErrors))]
async fn read_message(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<MessageId>,
) -> AppResult<Json<MessageResponse>> {
    let action = AuditAction::MessageRead;
    let mut tx = state.store.begin().await?;
    let access: MessageAccess = authorize::authorize_message(&mut tx, &actor, id, action).await?;
    let message = messages::get(&mut tx, &access).await?;
    let is_author = message.author_user_id == actor.user_id;
    if !is_author
        && messages::mark_read(
            &mut tx,
            &access,
            actor.user_id,
            actor.organisation_id,
            Timestamp::now(),
        )
        .await?
    {
        tx.event(message_event(access.messages(), EventKind::MessageRead, id));
    }
    let message = messages::get(&mut tx, &access).await?;
    tx.audit(access.messages().audit(&actor, action));
    tx.commit().await?;
    Ok(Json(message.into()))
}
