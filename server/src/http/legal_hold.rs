//! Legal hold (bevarande) on a case: keeps every record of the case from retention's purge
//! until cleared. Set and cleared by the owning organisation's leads and administrators.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

use super::{rfc3339, ApiPath, ValidJson};
use crate::access::authorize;
use crate::access::CurrentUser;
use crate::app::AppState;
use crate::domain::AuditAction;
use crate::domain::{CaseId, Timestamp, UserId};
use crate::error::AppResult;
use crate::http::rules::TextLine;
use crate::store::retention::{self, LegalHold};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(set_legal_hold, clear_legal_hold))
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetLegalHold {
    /// Why the case's records must be kept (e.g. a court case or a complaint's reference),
    /// without personal data.
    #[validate(nested)]
    #[schema(inline)]
    pub reason: TextLine<500>,
}

#[derive(Serialize, ToSchema)]
pub struct LegalHoldResponse {
    pub case_id: CaseId,
    pub reason: String,
    pub set_by_user_id: UserId,
    pub set_at: DateTime<Utc>,
}

/// Sets (or replaces) the case's legal hold.
#[utoipa::path(put, path = "/api/cases/{id}/legal-hold", tag = "cases",
    params(("id" = CaseId, Path)), request_body = SetLegalHold,
    responses(
        (status = 200, body = LegalHoldResponse),
        crate::http::problem::OwnerManagersOnly,
        crate::http::CommonErrors,
    ))]
async fn set_legal_hold(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<CaseId>,
    ValidJson(body): ValidJson<SetLegalHold>,
) -> AppResult<Json<LegalHoldResponse>> {
    let mut tx = state.store.begin().await?;
    let access =
        authorize::authorize_legal_hold(&mut tx, &actor, id, AuditAction::CaseLegalHoldSet).await?;
    let hold = LegalHold {
        reason: body.reason.trim().to_owned(),
        set_by: actor.user_id,
        set_at: Timestamp::now(),
    };
    retention::set_hold(&mut tx, &access, &hold).await?;
    tx.audit(access.audit(&actor, AuditAction::CaseLegalHoldSet));
    tx.commit().await?;
    Ok(Json(LegalHoldResponse {
        case_id: id,
        reason: hold.reason,
        set_by_user_id: hold.set_by,
        set_at: rfc3339(hold.set_at),
    }))
}

/// Clears the case's legal hold (nothing changes when it has none); its records are then
/// purged on retention's usual terms.
#[utoipa::path(delete, path = "/api/cases/{id}/legal-hold", tag = "cases",
    params(("id" = CaseId, Path)),
    responses(
        (status = 204, description = "Bevarandet är hävt"),
        crate::http::problem::OwnerManagersOnly,
        crate::http::CommonErrors,
    ))]
async fn clear_legal_hold(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<CaseId>,
) -> AppResult<StatusCode> {
    let mut tx = state.store.begin().await?;
    let access =
        authorize::authorize_legal_hold(&mut tx, &actor, id, AuditAction::CaseLegalHoldClear)
            .await?;
    retention::clear_hold(&mut tx, &access).await?;
    tx.audit(access.audit(&actor, AuditAction::CaseLegalHoldClear));
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
