//! The boxes: what my organisation received (the shared inbox) and sent, and their counts.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{today, InquirySummary};
use crate::access::policy;
use crate::access::{Actor, CurrentUser};
use crate::app::AppState;
use crate::domain::AuditAction;
use crate::domain::{CaseId, InquiryBox, InquiryState, Timestamp, UserId};
use crate::error::{AppError, AppResult};
use crate::http::{ApiQuery, Page, Paging};
use crate::store::inquiries::{self, BoxCounts, InquiryQuery};
use crate::store::Reads;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_inquiries))
        .routes(routes!(count_inquiries))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InquiryListQuery {
    /// `inbox` (received by my organisation, the default) or `outbox` (sent by it).
    #[serde(rename = "box")]
    #[param(rename = "box")]
    pub mailbox: Option<InquiryBox>,
    pub state: Option<InquiryState>,
    /// `true`: only overdue ones; `false`: only those that are not.
    pub overdue: Option<bool>,
    /// `me` or a user id.
    #[param(
        pattern = r"^(me|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub assignee: Option<String>,
    pub case_id: Option<CaseId>,
    /// At most this many items (1-200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Skip this many items (default 0).
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<i64>,
}

/// The inquiries in one of my organisation's boxes, newest first. The inbox shows only
/// inquiries whose consent is still in force.
#[utoipa::path(get, path = "/api/inquiries", tag = "inquiries", params(InquiryListQuery),
    responses((status = 200, body = Page<InquirySummary>), crate::http::CommonErrors))]
async fn list_inquiries(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiQuery(query): ApiQuery<InquiryListQuery>,
) -> AppResult<Json<Page<InquirySummary>>> {
    let paging = Paging {
        limit: query.limit,
        offset: query.offset,
    };
    let (limit, offset) = (paging.limit()?, paging.offset()?);
    let assignee = match query.assignee.as_deref() {
        None => None,
        Some("me") => Some(actor.user_id),
        Some(other) => Some(other.parse::<UserId>().map_err(|_| {
            AppError::field("assignee", "invalid_value", "ange me eller ett användar-id")
        })?),
    };
    let mailbox = query.mailbox.unwrap_or(InquiryBox::Inbox);
    let Some(filter) = policy::inquiry_filter(&actor, mailbox, Timestamp::now()) else {
        return Ok(Json(Page {
            items: Vec::new(),
            limit,
            offset,
        }));
    };
    let today = today();
    let mut tx = state.store.audited_read().await?;
    let rows = inquiries::list(
        &mut tx,
        &filter,
        &InquiryQuery {
            state: query.state,
            overdue: query.overdue,
            assignee,
            case_id: query.case_id,
            today: Some(today),
            limit,
            offset,
        },
    )
    .await?;
    for row in &rows {
        let access = filter.access_for(
            row.case_id,
            row.individual_id,
            row.owner_organisation_id,
            row.via_consent,
        );
        tx.audit(access.audit(&actor, AuditAction::InquiryList));
    }
    tx.commit().await?;
    Ok(Json(Page {
        items: rows
            .into_iter()
            .map(|q| InquirySummary::new(q, today))
            .collect(),
        limit,
        offset,
    }))
}

/// The numbers for one box's badge.
#[derive(Serialize, ToSchema)]
pub struct BoxCountsResponse {
    /// Inbox: inquiries sent to my organisation that nobody here has opened yet. Always 0
    /// for the outbox.
    pub unread: i64,
    /// Thread posts from the other organisation since my organisation last read the thread.
    pub unread_thread_posts: i64,
    /// Still owed an answer and past the answer date.
    pub overdue: i64,
    /// Every state the box can hold, with its count.
    pub by_state: BTreeMap<String, i64>,
}

#[derive(Serialize, ToSchema)]
pub struct InquiryCounts {
    pub inbox: BoxCountsResponse,
    pub outbox: BoxCountsResponse,
}

fn box_response(mailbox: InquiryBox, counts: BoxCounts) -> BoxCountsResponse {
    let mut by_state: BTreeMap<String, i64> = InquiryState::ALL
        .iter()
        .filter(|s| mailbox == InquiryBox::Outbox || **s != InquiryState::Draft)
        .map(|s| (s.code().to_owned(), 0))
        .collect();
    for (state, n) in counts.by_state {
        by_state.insert(state.code().to_owned(), n);
    }
    BoxCountsResponse {
        unread: if mailbox == InquiryBox::Inbox {
            counts.unopened
        } else {
            0
        },
        unread_thread_posts: counts.unread_posts,
        overdue: counts.overdue,
        by_state,
    }
}

async fn count_box(
    tx: &mut impl Reads,
    actor: &Actor,
    mailbox: InquiryBox,
    now: Timestamp,
) -> AppResult<BoxCountsResponse> {
    let counts = match policy::inquiry_filter(actor, mailbox, now) {
        Some(filter) => inquiries::counts(tx, &filter, today()).await?,
        None => BoxCounts::default(),
    };
    Ok(box_response(mailbox, counts))
}

/// Counts for my organisation's inbox and outbox: unread, overdue, per state. Reveals no
/// individual, so it is not audited.
#[utoipa::path(get, path = "/api/inquiries/counts", tag = "inquiries",
    responses((status = 200, body = InquiryCounts), crate::http::CommonErrors))]
async fn count_inquiries(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> AppResult<Json<InquiryCounts>> {
    let now = Timestamp::now();
    let mut tx = state.store.audited_read().await?;
    let inbox = count_box(&mut tx, &actor, InquiryBox::Inbox, now).await?;
    let outbox = count_box(&mut tx, &actor, InquiryBox::Outbox, now).await?;
    tx.commit().await?;
    Ok(Json(InquiryCounts { inbox, outbox }))
}
