//! Handing a case over to another caseworker with a note, the history of who has been
//! responsible, and closing with a reason: continuity across caseworkers.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{PurposeQuery, UpdateCase};
use crate::access::authorize;
use crate::access::policy::CaseWrite;
use crate::access::{Actor, CurrentUser};
use crate::app::AppState;
use crate::domain::event::{Audience, Detail, NewEvent};
use crate::domain::{AuditAction, EventKind};
use crate::domain::{CaseId, CaseStatus, CloseReason, UserId};
use crate::error::{AppError, AppResult};
use crate::http::{rfc3339, ApiPath, ApiQuery};
use crate::store::cases::CloseWhy;
use crate::store::responsibility::{self, Period};
use crate::store::Tx;

/// One period in which a user was responsible for the case.
#[derive(Serialize, ToSchema)]
pub struct ResponsibilityPeriod {
    pub user_id: UserId,
    pub user_name: String,
    pub from: DateTime<Utc>,
    /// `null` for the present responsible.
    pub to: Option<DateTime<Utc>>,
    /// The handover note given when the case passed to this user.
    pub note: Option<String>,
    pub handed_over_by_user_id: Option<UserId>,
    pub handed_over_by_name: Option<String>,
}

impl From<Period> for ResponsibilityPeriod {
    fn from(p: Period) -> Self {
        Self {
            user_id: p.user_id,
            user_name: p.user_name,
            from: rfc3339(p.from),
            to: p.to.map(rfc3339),
            note: p.note,
            handed_over_by_user_id: p.handed_over_by,
            handed_over_by_name: p.handed_over_by_name,
        }
    }
}

fn blank_to_none(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

/// The status change a body asks for, with its close reason; field errors when the reason
/// is missing, comes without closing, or is `other` without a text.
pub(super) fn closing(body: &UpdateCase) -> AppResult<Option<(CaseStatus, CloseWhy<'_>)>> {
    let text = blank_to_none(body.close_text.as_deref());
    match body.status {
        Some(CaseStatus::Closed) => {
            let Some(reason) = body.close_reason else {
                return Err(AppError::field(
                    "close_reason",
                    "required",
                    "välj varför ärendet avslutas",
                ));
            };
            if reason == CloseReason::Other && text.is_none() {
                return Err(AppError::field(
                    "close_text",
                    "required",
                    "beskriv varför ärendet avslutas",
                ));
            }
            Ok(Some((CaseStatus::Closed, Some((reason, text)))))
        }
        status => {
            let not_closing = "anges bara när ärendet avslutas";
            if body.close_reason.is_some() {
                return Err(AppError::field("close_reason", "not_closing", not_closing));
            }
            if text.is_some() {
                return Err(AppError::field("close_text", "not_closing", not_closing));
            }
            Ok(status.map(|s| (s, None)))
        }
    }
}

/// The handover note, which only goes with a handover.
pub(super) fn note(body: &UpdateCase, handing_over: bool) -> AppResult<Option<&str>> {
    let note = blank_to_none(body.handover_note.as_deref());
    if note.is_some() && !handing_over {
        return Err(AppError::field(
            "handover_note",
            "not_a_handover",
            "en överlämningsanteckning kräver en ny ansvarig",
        ));
    }
    Ok(note)
}

/// Records the handover in the history and audits it; its event tells the new responsible.
pub(super) async fn record(
    tx: &mut Tx,
    actor: &Actor,
    write: &CaseWrite,
    to: UserId,
    note: Option<&str>,
) -> AppResult<()> {
    responsibility::hand_over(tx, write, to, actor.user_id, note).await?;
    let access = write.access();
    tx.event(NewEvent {
        kind: EventKind::CaseHandedOver,
        case_id: Some(access.case_id()),
        individual_id: Some(access.individual_id()),
        subject_id: Some(access.case_id().to_string()),
        purpose: None,
        audience: Audience::Case,
        detail: Detail::HandedOver { to },
    });
    tx.audit(access.audit(actor, AuditAction::CaseHandover));
    Ok(())
}

/// Who has been responsible for the case, from when to when, with each handover note (the
/// notes for the owning organisation only; others see `null`).
#[utoipa::path(get, path = "/api/cases/{id}/responsibility", tag = "cases", params(("id" = CaseId, Path), PurposeQuery),
    responses((status = 200, body = Vec<ResponsibilityPeriod>), crate::http::CommonErrors))]
pub(super) async fn responsibility_history(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<CaseId>,
    ApiQuery(query): ApiQuery<PurposeQuery>,
) -> AppResult<Json<Vec<ResponsibilityPeriod>>> {
    let mut tx = state.store.audited_read().await?;
    let access = authorize::authorize_case(
        &mut tx,
        &actor,
        id,
        query.need(),
        AuditAction::CaseResponsibility,
    )
    .await?;
    let mut periods = responsibility::history(&mut tx, &access).await?;
    if !access.sees_handover_notes() {
        periods.iter_mut().for_each(|p| p.note = None);
    }
    tx.audit(access.audit(&actor, AuditAction::CaseResponsibility));
    tx.commit().await?;
    Ok(Json(periods.into_iter().map(Into::into).collect()))
}
