//! A plan's adopted versions, each exactly as adopted, and what changed from the previous.

use axum::extract::State;
use axum::Json;
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ChangeResponse, VersionList, VersionResponse, VersionSummary};
use crate::access::authorize;
use crate::access::CurrentUser;
use crate::app::AppState;
use crate::domain::plan::{diff, Change, Part, PlanContent};
use crate::domain::{AuditAction, PlanId};
use crate::error::{AppError, AppResult};
use crate::http::{rfc3339, ApiPath};
use crate::store::plans;
use crate::store::StoreError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_versions))
        .routes(routes!(get_version))
}

/// The adopted versions, oldest first.
#[utoipa::path(get, path = "/api/plans/{id}/versions", tag = "plans",
    params(("id" = PlanId, Path)),
    responses((status = 200, body = VersionList), crate::http::CommonErrors))]
async fn list_versions(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<PlanId>,
) -> AppResult<Json<VersionList>> {
    let action = AuditAction::PlanVersionRead;
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_plan(&mut tx, &actor, id, action).await?;
    let items = plans::versions(&mut tx, &access)
        .await?
        .into_iter()
        .map(|(version, at, by)| VersionSummary {
            version,
            adopted_at: rfc3339(at),
            adopted_by: by,
        })
        .collect();
    tx.audit(access.audit(&actor, action));
    tx.commit().await?;
    Ok(Json(VersionList { items }))
}

fn json<T: serde::Serialize>(value: &T) -> Option<Value> {
    serde_json::to_value(value).ok()
}

/// The part `part` as it reads in `content`, for showing it beside the other version's.
fn part_of(content: &PlanContent, part: Part) -> Option<Value> {
    match part {
        Part::OwnGoal => content.own_goal.as_ref().and_then(json),
        Part::Goal(id) => content.goals.iter().find(|g| g.id == id).and_then(json),
        Part::Action(id) => content.actions.iter().find(|a| a.id == id).and_then(json),
        Part::Overall => content.overall.as_ref().and_then(json),
        Part::FollowUp => content.follow_up_on.as_ref().and_then(json),
        Part::Reader(id) => content.readers.contains(&id).then(|| json(&id)).flatten(),
    }
}

pub(super) fn changes(before: &PlanContent, after: &PlanContent) -> Vec<ChangeResponse> {
    diff(before, after)
        .into_iter()
        .map(|(part, change)| {
            let (name, id) = match part {
                Part::OwnGoal => ("own_goal", None),
                Part::Goal(id) => ("goal", Some(id.to_string())),
                Part::Action(id) => ("action", Some(id.to_string())),
                Part::Overall => ("overall", None),
                Part::FollowUp => ("follow_up", None),
                Part::Reader(id) => ("reader", Some(id.to_string())),
            };
            let (change, fields) = match change {
                Change::Added => ("added", Vec::new()),
                Change::Removed => ("removed", Vec::new()),
                Change::Changed(fields) => ("changed", fields),
            };
            ChangeResponse {
                part: name,
                id,
                change,
                fields,
                before: part_of(before, part),
                after: part_of(after, part),
            }
        })
        .collect()
}

/// One version exactly as adopted (its actions' statuses as they were then), with the
/// changes from the version before it.
#[utoipa::path(get, path = "/api/plans/{id}/versions/{version}", tag = "plans",
    params(("id" = PlanId, Path), ("version" = i64, Path, minimum = 1)),
    responses((status = 200, body = VersionResponse), crate::http::CommonErrors))]
async fn get_version(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath((id, version)): ApiPath<(PlanId, i64)>,
) -> AppResult<Json<VersionResponse>> {
    let action = AuditAction::PlanVersionRead;
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_plan(&mut tx, &actor, id, action).await?;
    let found = match plans::version(&mut tx, &access, version).await {
        Ok(found) => found,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(err) => return Err(err.into()),
    };
    let previous = if version > 1 {
        Some(plans::version(&mut tx, &access, version - 1).await?)
    } else {
        None
    };
    let changes = previous
        .map(|p| changes(&p.content, &found.content))
        .unwrap_or_default();
    tx.audit(access.audit(&actor, action));
    tx.commit().await?;
    Ok(Json(VersionResponse {
        version: found.version,
        adopted_at: rfc3339(found.adopted_at),
        adopted_by: found.adopted_by,
        participation: found.participation,
        content: found.content,
        changes,
    }))
}
