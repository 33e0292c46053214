//! An inquiry's follow-up thread: questions and answers between the two organisations,
//! open from sending until the inquiry is closed, withdrawn or declined.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{event_kind, inquiry_event, NewPost, PostResponse};
use crate::access::authorize;
use crate::access::CurrentUser;
use crate::app::AppState;
use crate::domain::inquiry::{InvalidTransition, Step};
use crate::domain::AuditAction;
use crate::domain::{InquiryId, InquiryPostId, Timestamp};
use crate::error::AppResult;
use crate::http::{ApiPath, ValidJson};
use crate::store::inquiries::{self, thread};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_posts, add_post))
}

/// The thread, oldest first; marks it read for my organisation.
#[utoipa::path(get, path = "/api/inquiries/{id}/thread", tag = "inquiries", params(("id" = InquiryId, Path)),
    responses((status = 200, body = Vec<PostResponse>), crate::http::CommonErrors))]
async fn list_posts(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<InquiryId>,
) -> AppResult<Json<Vec<PostResponse>>> {
    let action = AuditAction::InquiryThreadRead;
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_inquiry(&mut tx, &actor, id, action).await?;
    let posts = thread::list(&mut tx, &access).await?;
    thread::mark_seen(&mut tx, &access, actor.organisation_id, Timestamp::now()).await?;
    tx.audit(access.audit(&actor, action));
    tx.commit().await?;
    Ok(Json(posts.into_iter().map(Into::into).collect()))
}

/// Adds a follow-up question or answer (either organisation, once sent and until closed,
/// withdrawn or declined).
#[utoipa::path(post, path = "/api/inquiries/{id}/thread", tag = "inquiries", params(("id" = InquiryId, Path)), request_body = NewPost,
    responses(
        (status = 201, body = PostResponse),
        crate::http::problem::ThreadClosed,
        crate::http::CommonErrors,
    ))]
async fn add_post(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<InquiryId>,
    ValidJson(body): ValidJson<NewPost>,
) -> AppResult<(StatusCode, Json<PostResponse>)> {
    let action = AuditAction::InquiryThreadPost;
    let now = Timestamp::now();
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_inquiry(&mut tx, &actor, id, action).await?;
    access.require_party(&actor, Step::Post, action)?;
    Step::Post.apply(access.state())?;
    let post_id = InquiryPostId::new();
    let added = thread::insert(
        &mut tx,
        &access,
        Step::Post.from_states(),
        &thread::NewPost {
            id: post_id,
            author: actor.user_id,
            organisation: actor.organisation_id,
            body: body.body.trim(),
            at: now,
        },
    )
    .await?;
    if !added {
        let current = inquiries::current_state(&mut tx, &access).await?;
        return Err(InvalidTransition {
            current,
            step: Step::Post,
        }
        .into());
    }
    if let Some(kind) = event_kind(Step::Post) {
        tx.event(inquiry_event(&access, kind));
    }
    tx.audit(access.audit(&actor, action));
    tx.commit().await?;
    // The committed post as everyone will see it, read beside the single writer rather than
    // holding it for one more round trip.
    let mut read = state.store.read().await?;
    let post = thread::get(&mut read, &access, post_id).await?;
    Ok((StatusCode::CREATED, Json(post.into())))
}
