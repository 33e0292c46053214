//! The rehabansvarig's caseload and the biträdande enhetschef's escalation list (WORKFLOWS.md
//! §4, issue 15 items 4 and 5). Both list through the policy's case filter for
//! `fordjupad_samverkan`; every row listed is audited.

use axum::extract::State;
use axum::Json;
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use validator::Validate;

use super::event;
use crate::access::policy::{self, FordjupadStep};
use crate::access::{authorize, CurrentUser};
use crate::app::AppState;
use crate::domain::fordjupad::follow_up::days_idle;
use crate::domain::fordjupad::{ActionCategory, FollowUpKind, IntakeDecision};
use crate::domain::{
    AuditAction, CaseId, EventKind, IndividualId, OrganisationId, Timestamp, UserId,
};
use crate::error::{AppError, AppResult};
use crate::http::rules::TextLine;
use crate::http::{in_range, ApiPath, ApiQuery, Page, Paging, ValidJson};
use crate::store::fordjupad::caseload::{self, CaseloadQuery, CaseloadRow, OpenFollowUp};
use crate::store::fordjupad::follow_ups;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_caseload))
        .routes(routes!(list_escalations))
        .routes(routes!(clear_escalation))
}

/// The caseload's filters and page.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CaseloadParams {
    /// Only the cases shared with this partner organisation (a clinic, Jobbtorg) by a consent
    /// for `fordjupad_samverkan` the case's owner recorded and that is in force: the cases
    /// of the recurring follow-up meeting with that partner.
    pub clinic_id: Option<OrganisationId>,
    /// Only the cases this social worker brought.
    pub social_worker_id: Option<UserId>,
    /// Only the cases now in this phase (0-5).
    #[param(minimum = 0, maximum = 5)]
    pub phase: Option<i64>,
    /// At most this many cases (1-200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Skip this many cases (default 0).
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<i64>,
}

/// An escalated follow-up standing on a case.
#[derive(Serialize, ToSchema)]
pub struct FordjupadEscalationRef {
    pub id: Uuid,
    /// `escalation` (nothing happened for the configured days) or `avstamning_overdue`
    /// (written recommendations and no avstämning booked in time).
    pub kind: FollowUpKind,
    /// The date the follow-up hangs on: the last activity, or the day recommendations came.
    pub anchor: NaiveDate,
    pub due_on: NaiveDate,
    #[schema(value_type = String, format = DateTime)]
    pub escalated_at: chrono::DateTime<Utc>,
}

impl From<OpenFollowUp> for FordjupadEscalationRef {
    fn from(f: OpenFollowUp) -> Self {
        FordjupadEscalationRef {
            id: f.id.parse().unwrap_or_default(),
            kind: f.kind,
            anchor: f.anchor,
            due_on: f.due_on,
            escalated_at: crate::http::rfc3339(f.fired_at),
        }
    }
}

/// A case in the caseload.
#[derive(Serialize, ToSchema)]
pub struct FordjupadCaseloadItem {
    pub case_id: CaseId,
    pub individual_id: IndividualId,
    pub individual_name: String,
    pub title: String,
    pub owner_organisation_id: OrganisationId,
    /// The social worker who brought the case.
    pub social_worker_id: UserId,
    pub social_worker_name: String,
    /// The rehabansvarig's current decision; null while it waits for one.
    pub decision: Option<IntakeDecision>,
    pub decided_on: Option<NaiveDate>,
    /// The latest assessed phase; null before the first assessment.
    pub phase: Option<u8>,
    pub phase_label: Option<&'static str>,
    /// Categories (1-5) of the open actions of the case's live progressionsplans.
    pub categories: Vec<ActionCategory>,
    /// The latest day anything happened: an action changed, a meeting booked or held, a
    /// phase assessed, a decision.
    pub last_activity_on: NaiveDate,
    /// Whole days since then.
    pub days_idle: i64,
    /// The next date someone must act: the avstämning deadline, the plan's follow-up, the
    /// day it would escalate, the case manager's end.
    pub next_follow_up_on: Option<NaiveDate>,
    /// Escalated follow-ups standing on the case.
    pub escalations: Vec<FordjupadEscalationRef>,
    /// Seen through a consent (another organisation's case).
    pub shared: bool,
}

fn item(row: CaseloadRow, state: &AppState) -> FordjupadCaseloadItem {
    let scale = state.settings.fordjupad.phase_scale;
    let rules = state.settings.fordjupad.rules();
    let today = Utc::now().date_naive();
    let last = row.case.facts.last_activity.unwrap_or(row.case.brought_on);
    FordjupadCaseloadItem {
        case_id: row.case.case_id,
        individual_id: row.case.individual_id,
        individual_name: row.individual_name,
        title: row.title,
        owner_organisation_id: row.case.owner,
        social_worker_id: row.case.social_worker,
        social_worker_name: row.social_worker_name,
        decision: row.case.decision,
        decided_on: row.case.decided_on,
        phase: row.case.phase,
        phase_label: row
            .case
            .phase
            .and_then(|p| scale.phase(p))
            .map(|p| scale.label(p)),
        categories: row.categories.into_iter().collect(),
        last_activity_on: last,
        days_idle: days_idle(last, today),
        next_follow_up_on: rules.next_follow_up(&row.case.facts),
        escalations: row.open.into_iter().map(Into::into).collect(),
        shared: row.via_consent.is_some(),
    }
}

/// The cases in fördjupad samverkan the caller may see (brought and not decided `ingen`),
/// least recently active first: the owner's social workers, rehabansvarig and biträdande
/// enhetschef see their organisation's; a partner sees only the cases shared with it by a
/// consent for `fordjupad_samverkan` the owner recorded. Each row listed is audited.
#[utoipa::path(get, path = "/api/fordjupad/caseload", tag = "fordjupad",
    params(CaseloadParams),
    responses((status = 200, body = FordjupadCaseloadPage), crate::http::CommonErrors))]
async fn list_caseload(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiQuery(params): ApiQuery<CaseloadParams>,
) -> AppResult<Json<FordjupadCaseloadPage>> {
    let paging = Paging {
        limit: params.limit,
        offset: params.offset,
    };
    let (limit, offset) = (paging.limit()?, paging.offset()?);
    let phase = in_range("phase", params.phase, 0..=5)?.and_then(|p| u8::try_from(p).ok());
    let now = Timestamp::now();
    let Some(filter) = policy::caseload_filter(&actor, now) else {
        return Ok(Json(FordjupadCaseloadPage {
            items: Vec::new(),
            limit,
            offset,
            phase_scale: state.settings.fordjupad.phase_scale.into(),
        }));
    };
    let query = CaseloadQuery {
        shared_with: params.clinic_id,
        social_worker: params.social_worker_id,
        phase,
        limit,
        offset,
    };
    let mut tx = state.store.audited_read().await?;
    let rows = caseload::list(&mut tx, &filter, &query, now).await?;
    for row in &rows {
        let access = filter.access_for(
            row.case.case_id,
            row.case.individual_id,
            row.case.owner,
            row.via_consent,
        );
        tx.audit(access.audit(&actor, AuditAction::FordjupadCaseload));
    }
    tx.commit().await?;
    Ok(Json(FordjupadCaseloadPage {
        items: rows.into_iter().map(|r| item(r, &state)).collect(),
        limit,
        offset,
        phase_scale: state.settings.fordjupad.phase_scale.into(),
    }))
}

/// A page of the caseload, with the hub's phase scale (for the phase filter).
#[derive(Serialize, ToSchema)]
pub struct FordjupadCaseloadPage {
    pub items: Vec<FordjupadCaseloadItem>,
    pub limit: i64,
    pub offset: i64,
    pub phase_scale: super::PhaseScaleResponse,
}

/// An escalated follow-up in the list.
#[derive(Serialize, ToSchema)]
pub struct FordjupadEscalationItem {
    pub id: Uuid,
    /// `escalation` or `avstamning_overdue`.
    pub kind: FollowUpKind,
    pub anchor: NaiveDate,
    pub due_on: NaiveDate,
    #[schema(value_type = String, format = DateTime)]
    pub escalated_at: chrono::DateTime<Utc>,
    pub case_id: CaseId,
    pub individual_id: IndividualId,
    pub individual_name: String,
    pub title: String,
    pub social_worker_id: UserId,
}

/// The escalated follow-ups standing on the caller's organisation's cases (its biträdande
/// enhetschef and rehabansvarig; empty for anyone else), oldest first: each stands until
/// someone acts on the case (books a meeting, assesses a phase, changes an action, decides)
/// or takes it over with a note. Each row listed is audited.
#[utoipa::path(get, path = "/api/fordjupad/escalations", tag = "fordjupad",
    params(Paging),
    responses((status = 200, body = Page<FordjupadEscalationItem>), crate::http::CommonErrors))]
async fn list_escalations(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiQuery(paging): ApiQuery<Paging>,
) -> AppResult<Json<Page<FordjupadEscalationItem>>> {
    let (limit, offset) = (paging.limit()?, paging.offset()?);
    let now = Timestamp::now();
    let (Some(owner), Some(filter)) = (
        policy::escalation_scope(&actor),
        policy::caseload_filter(&actor, now),
    ) else {
        return Ok(Json(Page {
            items: Vec::new(),
            limit,
            offset,
        }));
    };
    let mut tx = state.store.audited_read().await?;
    let rows = caseload::escalations(&mut tx, &filter, owner, limit, offset).await?;
    for row in &rows {
        let access = filter.access_for(row.follow_up.case_id, row.individual_id, owner, None);
        tx.audit(access.audit(&actor, AuditAction::FordjupadEscalationList));
    }
    tx.commit().await?;
    Ok(Json(Page {
        items: rows
            .into_iter()
            .map(|r| FordjupadEscalationItem {
                id: r.follow_up.id.parse().unwrap_or_default(),
                kind: r.follow_up.kind,
                anchor: r.follow_up.anchor,
                due_on: r.follow_up.due_on,
                escalated_at: crate::http::rfc3339(r.follow_up.fired_at),
                case_id: r.follow_up.case_id,
                individual_id: r.individual_id,
                individual_name: r.individual_name,
                title: r.title,
                social_worker_id: r.social_worker,
            })
            .collect(),
        limit,
        offset,
    }))
}

/// Taking over an escalated follow-up.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClearEscalationBody {
    /// What the taker does about it.
    #[validate(nested)]
    pub note: TextLine<1000>,
}

/// Takes over an escalated follow-up with a note (the owner's biträdande enhetschef or
/// rehabansvarig): it leaves the list, and the case counts as acted on today (so it
/// escalates again only after the configured idle days). 409 `already_cleared` when it no
/// longer stands.
#[utoipa::path(post, path = "/api/fordjupad/escalations/{id}/clear", tag = "fordjupad",
    params(("id" = Uuid, Path)), request_body = ClearEscalationBody,
    responses(
        (status = 204, description = "Uppföljningen är övertagen"),
        crate::http::problem::OwnerWithRole,
        crate::http::problem::AlreadyCleared,
        crate::http::CommonErrors,
    ))]
async fn clear_escalation(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ValidJson(body): ValidJson<ClearEscalationBody>,
) -> AppResult<axum::http::StatusCode> {
    let action = AuditAction::FordjupadEscalationClear;
    let id = id.to_string();
    let mut tx = state.store.begin().await?;
    let found = caseload::follow_up(&mut tx, &id)
        .await?
        .filter(|f| caseload::ESCALATING.contains(&f.kind))
        .ok_or(AppError::NotFound)?;
    let access = authorize::authorize_fordjupad(&mut tx, &actor, found.case_id, action).await?;
    access.require(&actor, FordjupadStep::ClearEscalation, action)?;
    let now = Timestamp::now();
    let note = body.note.trim().to_owned();
    let cleared = follow_ups::clear(
        &mut tx,
        found.case_id,
        Some(actor.user_id),
        Some((&id, &note)),
        now,
    )
    .await?;
    if cleared == 0 {
        return Err(AppError::Conflict {
            code: "already_cleared",
            detail: "Uppföljningen är redan övertagen.".to_owned(),
        });
    }
    let today = now.to_datetime().date_naive();
    follow_ups::note_activity(
        &mut tx,
        found.case_id,
        today,
        false,
        Some(actor.user_id),
        now,
    )
    .await?;
    let mut change = event(&access, EventKind::FordjupadEscalationCleared);
    change.subject_id = Some(id);
    tx.event(change);
    tx.audit(access.audit(&actor, action));
    tx.commit().await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
