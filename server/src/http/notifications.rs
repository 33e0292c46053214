//! My notifications (notiser): listed newest first with the unread count, marked read one
//! by one or all at once, and my choice per kind of e-mail at once, a daily digest or none.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use validator::Validate;

use super::rules::FieldRule;
use super::{rfc3339, ApiPath, ApiQuery, ValidJson};
use crate::access::CurrentUser;
use crate::app::AppState;
use crate::domain::{CaseId, Timestamp};
use crate::domain::{Delivery, NotificationKind};
use crate::error::{AppError, AppResult};
use crate::store::notifications::{self as stored, Notification};

/// What changing preferences needs beyond its schema.
pub const PREFERENCE_RULES: &[FieldRule] = &[FieldRule::new(
    "preferences[i].kind",
    "duplicate_kind",
    "each kind at most once",
)];

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(read_notification))
        .routes(routes!(read_all_notifications))
        .routes(routes!(get_preferences, put_preferences))
}

/// A notification: a kind and the ids it concerns, never content.
#[derive(Serialize, ToSchema)]
pub struct NotificationResponse {
    pub id: Uuid,
    pub kind: NotificationKind,
    pub case_id: Option<CaseId>,
    /// The inquiry, message, meeting or consent it is about.
    pub subject_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

impl From<Notification> for NotificationResponse {
    fn from(n: Notification) -> Self {
        Self {
            id: n.id,
            kind: n.kind,
            case_id: n.case_id,
            subject_id: n.subject_id,
            created_at: rfc3339(n.created_at),
            read_at: n.read_at.map(rfc3339),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct NotificationPage {
    pub items: Vec<NotificationResponse>,
    /// All my unread notifications, not only this page's.
    pub unread_count: i64,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NotificationQuery {
    /// Only unread ones.
    pub unread: Option<bool>,
    /// At most this many items (1-200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Skip this many items (default 0).
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<i64>,
}

/// My notifications, newest first, with my unread count.
#[utoipa::path(get, path = "/api/notifications", tag = "notifications", params(NotificationQuery),
    responses((status = 200, body = NotificationPage), crate::http::CommonErrors))]
async fn list_notifications(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiQuery(query): ApiQuery<NotificationQuery>,
) -> AppResult<Json<NotificationPage>> {
    let paging = super::Paging {
        limit: query.limit,
        offset: query.offset,
    };
    let (limit, offset) = (paging.limit()?, paging.offset()?);
    let mut tx = state.store.audited_read().await?;
    let items = stored::list(
        &mut tx,
        actor.user_id,
        query.unread.unwrap_or(false),
        limit,
        offset,
    )
    .await?;
    let unread_count = stored::unread_count(&mut tx, actor.user_id).await?;
    tx.commit().await?;
    Ok(Json(NotificationPage {
        items: items.into_iter().map(Into::into).collect(),
        unread_count,
        limit,
        offset,
    }))
}

/// Marks one of my notifications read (again is harmless). Others' are not found.
#[utoipa::path(post, path = "/api/notifications/{id}/read", tag = "notifications", params(("id" = Uuid, Path)),
    responses((status = 200, body = NotificationResponse), crate::http::CommonErrors))]
async fn read_notification(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<NotificationResponse>> {
    let mut tx = state.store.begin().await?;
    // Both statements are scoped to my own notifications: someone else's id marks nothing
    // and is not found (and the transaction is dropped).
    stored::mark_read(&mut tx, actor.user_id, Some(id), Timestamp::now()).await?;
    let notification = stored::get(&mut tx, actor.user_id, id).await?;
    tx.commit().await?;
    Ok(Json(notification.into()))
}

#[derive(Serialize, ToSchema)]
pub struct ReadAllResponse {
    /// How many were unread and now are read.
    pub marked: u64,
}

/// Marks all my notifications read.
#[utoipa::path(post, path = "/api/notifications/read-all", tag = "notifications",
    responses((status = 200, body = ReadAllResponse), crate::http::CommonErrors))]
async fn read_all_notifications(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> AppResult<Json<ReadAllResponse>> {
    let mut tx = state.store.begin().await?;
    let marked = stored::mark_read(&mut tx, actor.user_id, None, Timestamp::now()).await?;
    tx.commit().await?;
    Ok(Json(ReadAllResponse { marked }))
}

/// How I hear of one kind by e-mail.
#[derive(Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct Preference {
    pub kind: NotificationKind,
    pub delivery: Delivery,
}

#[derive(Serialize, ToSchema)]
pub struct PreferencesResponse {
    /// Every kind, with my choice or its default.
    pub preferences: Vec<PreferenceResponse>,
}

#[derive(Serialize, ToSchema)]
pub struct PreferenceResponse {
    pub kind: NotificationKind,
    pub delivery: Delivery,
    /// True when I have not chosen and the kind's default applies.
    pub is_default: bool,
}

#[derive(Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct UpdatePreferences {
    /// The kinds to change; kinds left out keep their setting.
    #[validate(length(min = 1, max = 50, message = "ange 1–50 inställningar"))]
    #[schema(min_items = 1, max_items = 50)]
    pub preferences: Vec<Preference>,
}

async fn preferences_of(
    tx: &mut impl crate::store::Reads,
    user: crate::domain::UserId,
) -> AppResult<PreferencesResponse> {
    let chosen = stored::preferences(tx, user).await?;
    Ok(PreferencesResponse {
        preferences: NotificationKind::ALL
            .iter()
            .map(|kind| {
                let mine = chosen.iter().find(|(k, _)| k == kind).map(|(_, d)| *d);
                PreferenceResponse {
                    kind: *kind,
                    delivery: mine.unwrap_or(kind.default_delivery()),
                    is_default: mine.is_none(),
                }
            })
            .collect(),
    })
}

/// My e-mail choice per notification kind.
#[utoipa::path(get, path = "/api/me/notification-preferences", tag = "notifications",
    responses((status = 200, body = PreferencesResponse), crate::http::CommonErrors))]
async fn get_preferences(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> AppResult<Json<PreferencesResponse>> {
    let mut tx = state.store.audited_read().await?;
    let response = preferences_of(&mut tx, actor.user_id).await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// Changes my e-mail choice for the kinds given: `immediate`, `digest` or `none`.
#[utoipa::path(put, path = "/api/me/notification-preferences",
    extensions(("x-field-rules" = json!(PREFERENCE_RULES))), tag = "notifications", request_body = UpdatePreferences,
    responses((status = 200, body = PreferencesResponse), crate::http::CommonErrors))]
async fn put_preferences(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ValidJson(body): ValidJson<UpdatePreferences>,
) -> AppResult<Json<PreferencesResponse>> {
    let mut seen = Vec::new();
    for (index, preference) in body.preferences.iter().enumerate() {
        if seen.contains(&preference.kind) {
            return Err(AppError::field(
                format!("preferences[{index}].kind"),
                "duplicate_kind",
                "samma typ anges två gånger",
            ));
        }
        seen.push(preference.kind);
    }
    let mut tx = state.store.begin().await?;
    for preference in &body.preferences {
        stored::set_preference(&mut tx, actor.user_id, preference.kind, preference.delivery)
            .await?;
    }
    let response = preferences_of(&mut tx, actor.user_id).await?;
    tx.commit().await?;
    Ok(Json(response))
}
