//! The organisation directory (not personal data): who can be named in a consent, and the
//! people of each who work with cases: who can be invited to a meeting.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ApiPath;
use crate::access::policy;
use crate::access::CurrentUser;
use crate::app::AppState;
use crate::domain::{OrganisationId, OrganisationKind, Role, UserId};
use crate::error::AppResult;
use crate::store::organisations::{self, Organisation};
use crate::store::users;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_organisations))
        .routes(routes!(get_organisation))
        .routes(routes!(list_people))
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
    let mut tx = state.store.read().await?;
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
    let mut tx = state.store.read().await?;
    Ok(Json(organisations::get(&mut tx, id).await?.into()))
}

/// Someone who works with cases, as colleagues in other agencies see them: no e-mail.
#[derive(Serialize, ToSchema)]
pub struct PersonResponse {
    pub id: UserId,
    pub display_name: String,
    pub roles: Vec<Role>,
}

/// The organisation's active users who work with cases: whom a meeting can invite (whether
/// a consent covers them is decided when inviting). Only for those who work with cases.
#[utoipa::path(get, path = "/api/organisations/{id}/people", tag = "organisations", params(("id" = OrganisationId, Path)),
    responses(
        (status = 200, body = Vec<PersonResponse>),
        crate::http::problem::NotCaseWork,
        crate::http::CommonErrors,
    ))]
async fn list_people(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<OrganisationId>,
) -> AppResult<Json<Vec<PersonResponse>>> {
    policy::require_works_cases(&actor, "Din roll arbetar inte med ärenden.")?;
    let mut tx = state.store.read().await?;
    organisations::get(&mut tx, id).await?;
    let people = users::list_by_organisation(&mut tx, id).await?;
    Ok(Json(
        people
            .into_iter()
            .filter(|u| policy::is_active_caseworker(u.active, &u.roles))
            .map(|u| PersonResponse {
                id: u.id,
                display_name: u.display_name,
                roles: u.roles,
            })
            .collect(),
    ))
}
