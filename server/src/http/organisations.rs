//! The organisation directory (not personal data): who can be named in a consent.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ApiPath;
use crate::access::CurrentUser;
use crate::app::AppState;
use crate::domain::{OrganisationId, OrganisationKind};
use crate::error::AppResult;
use crate::store::organisations::{self, Organisation};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_organisations))
        .routes(routes!(get_organisation))
}

#[derive(Serialize, ToSchema)]
pub struct OrganisationResponse {
    pub id: OrganisationId,
    pub name: String,
    pub kind: OrganisationKind,
    /// Functional mailbox (funktionsbrevlåda), if any.
    pub functional_email: Option<String>,
}

impl From<Organisation> for OrganisationResponse {
    fn from(org: Organisation) -> Self {
        Self {
            id: org.id,
            name: org.name,
            kind: org.kind,
            functional_email: org.functional_email,
        }
    }
}

/// All organisations in the hub.
#[utoipa::path(get, path = "/api/organisations", tag = "organisations",
    responses((status = 200, body = Vec<OrganisationResponse>), crate::http::CommonErrors))]
async fn list_organisations(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> AppResult<Json<Vec<OrganisationResponse>>> {
    let mut tx = state.store.begin().await?;
    Ok(Json(
        organisations::list(&mut tx)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// One organisation.
#[utoipa::path(get, path = "/api/organisations/{id}", tag = "organisations", params(("id" = OrganisationId, Path)),
    responses((status = 200, body = OrganisationResponse), crate::http::CommonErrors))]
async fn get_organisation(
    State(state): State<AppState>,
    _user: CurrentUser,
    ApiPath(id): ApiPath<OrganisationId>,
) -> AppResult<Json<OrganisationResponse>> {
    let mut tx = state.store.begin().await?;
    Ok(Json(organisations::get(&mut tx, id).await?.into()))
}
