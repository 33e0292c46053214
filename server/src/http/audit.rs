//! The audit log for organisation admins, and the individual's access extract (loggutdrag).

use std::collections::HashMap;

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{in_range, rfc3339, ApiPath, ApiQuery};
use crate::access::authorize;
use crate::access::{policy, CurrentUser};
use crate::app::AppState;
use crate::domain::AuditAction;
use crate::domain::{CaseId, IndividualId, OrganisationId, Timestamp, UserId};
use crate::error::AppResult;
use crate::store::audit::{self, AuditQuery, AuditRow, Outcome};
use crate::store::{organisations, users, Reads, StoreError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search_audit))
        .routes(routes!(access_extract))
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntryResponse {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    pub organisation_id: Option<String>,
    pub organisation_name: Option<String>,
    /// The user's roles at the time, comma separated.
    pub roles: String,
    /// What was done, e.g. `case.read`, `consent.end`.
    #[schema(value_type = AuditAction)]
    pub action: String,
    /// `allowed` or `denied`.
    pub outcome: String,
    pub individual_id: Option<String>,
    pub case_id: Option<String>,
    pub purpose: Option<String>,
    /// The consent that allowed the access, when it was not the owning organisation's own.
    pub consent_id: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditSearch {
    pub user_id: Option<UserId>,
    pub individual_id: Option<IndividualId>,
    pub case_id: Option<CaseId>,
    /// Exact action code, e.g. `case.read`.
    pub action: Option<AuditAction>,
    /// From this instant (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Up to this instant (exclusive).
    pub to: Option<DateTime<Utc>>,
    /// For the next page: entries older than this sequence number.
    #[param(minimum = 1)]
    pub before_seq: Option<i64>,
    /// 1-500, default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct AccessExtract {
    pub individual_id: IndividualId,
    pub generated_at: DateTime<Utc>,
    /// Every recorded access to the individual's data, newest first.
    pub entries: Vec<AuditEntryResponse>,
}

/// Resolves user and organisation names for display, once per id.
async fn with_names(
    tx: &mut impl Reads,
    rows: Vec<AuditRow>,
) -> AppResult<Vec<AuditEntryResponse>> {
    let mut user_names: HashMap<String, Option<String>> = HashMap::new();
    let mut org_names: HashMap<String, Option<String>> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut user_name = None;
        if let Some(id) = row.user_id.as_deref() {
            if !user_names.contains_key(id) {
                let name = match id.parse() {
                    Ok(uid) => match users::get(tx, uid).await {
                        Ok(u) => Some(u.display_name),
                        Err(StoreError::NotFound) => None,
                        Err(err) => return Err(err.into()),
                    },
                    Err(_) => None,
                };
                user_names.insert(id.to_owned(), name);
            }
            user_name = user_names.get(id).cloned().flatten();
        }
        let mut organisation_name = None;
        if let Some(id) = row.organisation_id.as_deref() {
            if !org_names.contains_key(id) {
                let name = match id.parse::<OrganisationId>() {
                    Ok(oid) => match organisations::get(tx, oid).await {
                        Ok(o) => Some(o.name),
                        Err(StoreError::NotFound) => None,
                        Err(err) => return Err(err.into()),
                    },
                    Err(_) => None,
                };
                org_names.insert(id.to_owned(), name);
            }
            organisation_name = org_names.get(id).cloned().flatten();
        }
        out.push(AuditEntryResponse {
            seq: row.seq,
            at: rfc3339(Timestamp::from_micros(row.at)),
            user_id: row.user_id,
            user_name,
            organisation_id: row.organisation_id,
            organisation_name,
            roles: row.roles,
            action: row.action,
            outcome: row.outcome,
            individual_id: row.individual_id,
            case_id: row.case_id,
            purpose: row.purpose,
            consent_id: row.consent_id,
            request_id: row.request_id,
        });
    }
    Ok(out)
}

/// Searches my organisation's audit rows (organisation admin), newest first: what its staff
/// did, and every attempt, allowed or denied, by anyone on its cases and consents.
#[utoipa::path(get, path = "/api/audit", tag = "audit", params(AuditSearch), responses(
    (status = 200, body = Vec<AuditEntryResponse>),
    crate::http::problem::AdminOnly,
    crate::http::CommonErrors,
))]
async fn search_audit(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiQuery(search): ApiQuery<AuditSearch>,
) -> AppResult<Json<Vec<AuditEntryResponse>>> {
    policy::require_administrator(&actor)?;
    let limit = in_range("limit", search.limit, 1..=500)?.unwrap_or(100);
    let before_seq = in_range("before_seq", search.before_seq, 1..=i64::MAX)?;
    let query = AuditQuery {
        scope: Some(policy::audit_search_scope(&actor)),
        individual_id: search.individual_id.map(|id| id.to_string()),
        user_id: search.user_id.map(|id| id.to_string()),
        case_id: search.case_id.map(|id| id.to_string()),
        action: search.action,
        from: search.from.map(|t| Timestamp::from_datetime(t).micros()),
        to: search.to.map(|t| Timestamp::from_datetime(t).micros()),
        before_seq,
        limit,
    };
    let mut tx = state.store.audited_read().await?;
    let rows = audit::search(&mut tx, &query).await?;
    let entries = with_names(&mut tx, rows).await?;
    let mut entry = actor.audit(AuditAction::AuditSearch, Outcome::Allowed);
    entry.individual_id = search.individual_id;
    entry.case_id = search.case_id;
    tx.audit(entry);
    tx.commit().await?;
    Ok(Json(entries))
}

/// The individual's access extract (loggutdrag) from my organisation: who read or changed
/// the data my organisation is responsible for (its cases and consents, what its staff
/// registered, the inquiries and messages it received or sent), when, under which consent,
/// allowed or denied, by any organisation; never accesses to other organisations' data. For
/// an admin of an organisation that registered the individual or owns one of their cases.
#[utoipa::path(get, path = "/api/individuals/{id}/access-log", tag = "audit", params(("id" = IndividualId, Path)),
    responses(
        (status = 200, body = AccessExtract),
        crate::http::problem::AdminOnly,
        crate::http::CommonErrors,
    ))]
async fn access_extract(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<IndividualId>,
) -> AppResult<Json<AccessExtract>> {
    let mut tx = state.store.audited_read().await?;
    let access = authorize::authorize_access_extract(&mut tx, &actor, id).await?;
    let query = AuditQuery {
        scope: Some(access.scope()),
        limit: 10_000,
        ..AuditQuery::default()
    };
    let rows = audit::search(&mut tx, &query).await?;
    let entries = with_names(&mut tx, rows).await?;
    let mut entry = actor.audit(AuditAction::IndividualAccessExtract, Outcome::Allowed);
    entry.individual_id = Some(id);
    tx.audit(entry);
    tx.commit().await?;
    Ok(Json(AccessExtract {
        individual_id: id,
        generated_at: rfc3339(Timestamp::now()),
        entries,
    }))
}
