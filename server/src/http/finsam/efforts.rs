//! The samordningsförbund's insatskatalog: the Finsam efforts a closing with outcome
//! `finsam_effort` names. Data of the förbund (no personal data): its users read it, its org
//! admins add and change efforts; an effort is made inactive rather than deleted, so that
//! the outcomes naming it keep their meaning.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

use crate::access::policy::{self, EffortCatalogue};
use crate::access::{Actor, CurrentUser};
use crate::app::AppState;
use crate::domain::{AuditAction, FinsamEffortId, Timestamp};
use crate::error::{AppError, AppResult};
use crate::http::rules::TextLine;
use crate::http::{ApiPath, ValidJson};
use crate::store::finsam::efforts::{self, Effort};
use crate::store::{organisations, Reads};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_efforts, create_effort))
        .routes(routes!(update_effort))
}

/// A new effort of the catalogue.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFinsamEffortBody {
    #[validate(nested)]
    pub name: TextLine<200>,
    #[serde(default)]
    #[validate(length(max = 2000, message = "högst 2000 tecken"))]
    #[schema(max_length = 2000, pattern = "$text")]
    pub description: String,
}

/// A change of an effort; fields left out stay as they are.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFinsamEffortBody {
    #[validate(nested)]
    pub name: Option<TextLine<200>>,
    #[validate(length(max = 2000, message = "högst 2000 tecken"))]
    #[schema(max_length = 2000, pattern = "$text")]
    pub description: Option<String>,
    /// False: no longer offered when closing (kept for the outcomes that name it).
    pub active: Option<bool>,
}

/// An effort of the förbund's insatskatalog.
#[derive(Serialize, ToSchema)]
pub struct FinsamEffortResponse {
    pub id: FinsamEffortId,
    pub name: String,
    pub description: String,
    pub active: bool,
}

impl From<Effort> for FinsamEffortResponse {
    fn from(e: Effort) -> Self {
        Self {
            id: e.id,
            name: e.name,
            description: e.description,
            active: e.active,
        }
    }
}

async fn catalogue(
    tx: &mut impl Reads,
    actor: &Actor,
    maintain: bool,
    action: AuditAction,
) -> AppResult<EffortCatalogue> {
    let org = organisations::get(tx, actor.organisation_id).await?;
    policy::effort_catalogue(actor, org.kind, maintain, action)
}

/// My förbund's insatskatalog by name, inactive efforts too (users of a samordningsförbund).
#[utoipa::path(get, path = "/api/finsam/efforts", tag = "finsam",
    responses(
        (status = 200, body = Vec<FinsamEffortResponse>),
        crate::http::problem::OwnerWithRole,
        crate::http::CommonErrors,
    ))]
async fn list_efforts(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> AppResult<Json<Vec<FinsamEffortResponse>>> {
    let action = AuditAction::FinsamEffortList;
    let mut tx = state.store.audited_read().await?;
    let catalogue = catalogue(&mut tx, &actor, false, action).await?;
    let rows = efforts::list(&mut tx, &catalogue).await?;
    tx.audit(catalogue.audit(&actor, action));
    tx.commit().await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// Adds an effort to my förbund's insatskatalog (its org admin).
#[utoipa::path(post, path = "/api/finsam/efforts", tag = "finsam", request_body = NewFinsamEffortBody,
    responses(
        (status = 201, body = FinsamEffortResponse),
        crate::http::problem::OwnerWithRole,
        crate::http::CommonErrors,
    ))]
async fn create_effort(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ValidJson(body): ValidJson<NewFinsamEffortBody>,
) -> AppResult<(StatusCode, Json<FinsamEffortResponse>)> {
    let action = AuditAction::FinsamEffortCreate;
    let mut tx = state.store.begin().await?;
    let catalogue = catalogue(&mut tx, &actor, true, action).await?;
    let effort = Effort {
        id: FinsamEffortId::new(),
        name: body.name.as_str().trim().to_owned(),
        description: body.description.trim().to_owned(),
        active: true,
    };
    efforts::save(&mut tx, &catalogue, &effort, Timestamp::now()).await?;
    tx.audit(catalogue.audit(&actor, action));
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(effort.into())))
}

/// Changes an effort of my förbund's insatskatalog, or makes it (in)active (its org admin).
#[utoipa::path(patch, path = "/api/finsam/efforts/{id}", tag = "finsam",
    params(("id" = FinsamEffortId, Path)), request_body = UpdateFinsamEffortBody,
    responses(
        (status = 200, body = FinsamEffortResponse),
        crate::http::problem::OwnerWithRole,
        crate::http::CommonErrors,
    ))]
async fn update_effort(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<FinsamEffortId>,
    ValidJson(body): ValidJson<UpdateFinsamEffortBody>,
) -> AppResult<Json<FinsamEffortResponse>> {
    let action = AuditAction::FinsamEffortUpdate;
    let mut tx = state.store.begin().await?;
    let catalogue = catalogue(&mut tx, &actor, true, action).await?;
    let Some(mut effort) = efforts::get(&mut tx, catalogue.forbund(), id).await? else {
        return Err(AppError::NotFound);
    };
    if let Some(name) = &body.name {
        effort.name = name.as_str().trim().to_owned();
    }
    if let Some(description) = &body.description {
        effort.description = description.trim().to_owned();
    }
    if let Some(active) = body.active {
        effort.active = active;
    }
    efforts::save(&mut tx, &catalogue, &effort, Timestamp::now()).await?;
    tx.audit(catalogue.audit(&actor, action));
    tx.commit().await?;
    Ok(Json(effort.into()))
}
