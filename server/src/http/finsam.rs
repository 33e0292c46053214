//! Finsamteam referrals (anmälan till Finsam-team): the case owner's caseworker drafts a
//! referral to a samordningsförbund's team and sends it under a **written** consent for
//! `finsamteam` covering the förbund and its team's members (409 `consent_missing` names what
//! is missing). It lands in the förbund's shared inbox, where a coordinator returns it for
//! completion with a question, accepts or declines it with a reason code. The rule for who
//! sees a referral is `policy::finsam`; its life cycle `domain::finsam::TRANSITIONS`.

mod dto;
mod efforts;
mod meetings;
mod plan;
mod steps;

pub(crate) use plan::{check_plan_referral, plan_adopted};

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

pub use dto::*;

use super::{ApiPath, ApiQuery, Page, Paging, ValidJson};
use crate::access::authorize;
use crate::access::policy::{self, ReferralAccess};
use crate::access::{Actor, CurrentUser};
use crate::app::AppState;
use crate::domain::finsam::{InboxCount, ReferralBox, ReferralState, ReferralStep};
use crate::domain::{AuditAction, CaseId, FinsamReferralId, OrganisationKind, Timestamp};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::finsam::{self, Change, ReferralQuery};
use crate::store::{organisations, StoreError, Tx};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_referral))
        .routes(routes!(list_referrals))
        .routes(routes!(count_referrals))
        .routes(routes!(get_referral, update_referral))
        .merge(steps::router())
        .merge(meetings::router())
        .merge(plan::router())
        .merge(efforts::router())
}

/// The referral as the actor sees it now, audited under `action`.
async fn respond(
    tx: &mut Tx,
    actor: &Actor,
    id: FinsamReferralId,
    action: AuditAction,
) -> AppResult<ReferralResponse> {
    let access = authorize::authorize_finsam_referral(tx, actor, id, action).await?;
    let referral = finsam::get(tx, &access).await?;
    tx.audit(access.audit(actor, action));
    Ok(ReferralResponse::new(referral, Some(&access)))
}

/// A step that lost a race, or one the state does not allow.
async fn lost(tx: &mut Tx, access: &ReferralAccess, step: ReferralStep) -> AppError {
    match finsam::current_state(tx, access.referral_id()).await {
        Ok(now) => AppError::Conflict {
            code: "invalid_transition",
            detail: crate::domain::finsam::StepRefused::WrongState(now, step).to_string(),
        },
        Err(err) => err.into(),
    }
}

/// Drafts a referral in the case to the förbund's Finsamteam. Only the case's owner refers.
#[utoipa::path(post, path = "/api/cases/{id}/finsam-referrals",
    extensions(("x-field-rules" = json!(dto::NEW_RULES))), tag = "finsam", params(("id" = CaseId, Path)), request_body = NewReferralBody,
    responses(
        (status = 201, body = ReferralResponse),
        crate::http::problem::OwnerOnly,
        crate::http::CommonErrors,
    ))]
async fn create_referral(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(case_id): ApiPath<CaseId>,
    ValidJson(body): ValidJson<NewReferralBody>,
) -> AppResult<(StatusCode, Json<ReferralResponse>)> {
    let action = AuditAction::FinsamReferralCreate;
    let now = Timestamp::now();
    let mut tx = state.store.begin().await?;
    let write =
        authorize::authorize_finsam_referral_write(&mut tx, &actor, case_id, action).await?;
    let forbund = body.forbund_organisation_id;
    match organisations::get(&mut tx, forbund).await {
        Ok(org) if org.kind == OrganisationKind::Samordningsforbund => {}
        Ok(_) | Err(StoreError::NotFound) => {
            return Err(AppError::Validation(vec![FieldError::new(
                "forbund_organisation_id",
                "not_a_forbund",
                "välj ett samordningsförbund",
            )]))
        }
        Err(err) => return Err(err.into()),
    }
    let id = FinsamReferralId::new();
    let content = body.content();
    finsam::insert_draft(&mut tx, &write, id, actor.user_id, forbund, &content, now).await?;
    let response = respond(&mut tx, &actor, id, action).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(response)))
}

/// Rewrites the draft (the referrer only, while a draft).
#[utoipa::path(patch, path = "/api/finsam/referrals/{id}", tag = "finsam",
    params(("id" = FinsamReferralId, Path)), request_body = ReferralContentBody,
    responses(
        (status = 200, body = ReferralResponse),
        crate::http::problem::OwnerOnly,
        crate::http::problem::NotDraft,
        crate::http::CommonErrors,
    ))]
async fn update_referral(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<FinsamReferralId>,
    ValidJson(body): ValidJson<ReferralContentBody>,
) -> AppResult<Json<ReferralResponse>> {
    let action = AuditAction::FinsamReferralUpdate;
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_finsam_referral(&mut tx, &actor, id, action).await?;
    let to = access.step(&actor, ReferralStep::Edit, action)?;
    let content = body.content();
    if !finsam::apply(
        &mut tx,
        &access,
        to,
        &Change::Edit(&content),
        Timestamp::now(),
    )
    .await?
    {
        return Err(lost(&mut tx, &access, ReferralStep::Edit).await);
    }
    let response = respond(&mut tx, &actor, id, action).await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// My organisation's referrals: `inbox` (to my förbund, for its coordinators; never
/// drafts) or `sent` (written by my organisation), newest first. A referral to the förbund
/// shows while a consent for `finsamteam` the referrer recorded covers it.
#[utoipa::path(get, path = "/api/finsam/referrals", tag = "finsam", params(ReferralListQuery),
    responses((status = 200, body = Page<ReferralResponse>), crate::http::CommonErrors))]
async fn list_referrals(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiQuery(query): ApiQuery<ReferralListQuery>,
) -> AppResult<Json<Page<ReferralResponse>>> {
    let paging = Paging {
        limit: query.limit,
        offset: query.offset,
    };
    let (limit, offset) = (paging.limit()?, paging.offset()?);
    let mailbox = query.mailbox.unwrap_or(ReferralBox::Sent);
    let Some(filter) = policy::referral_filter(&actor, mailbox, Timestamp::now()) else {
        return Ok(Json(Page {
            items: Vec::new(),
            limit,
            offset,
        }));
    };
    let mut tx = state.store.begin().await?;
    let list = ReferralQuery {
        state: query.state,
        case_id: query.case_id,
        limit,
        offset,
    };
    let rows = finsam::list(&mut tx, &filter, &list).await?;
    for row in &rows {
        let access = filter.access_for(
            row.case_id,
            row.individual_id,
            row.referrer_organisation_id,
            row.via_consent,
        );
        tx.audit(access.audit(&actor, AuditAction::FinsamReferralList));
    }
    tx.commit().await?;
    Ok(Json(Page {
        items: rows
            .into_iter()
            .map(|r| ReferralResponse::new(r, None))
            .collect(),
        limit,
        offset,
    }))
}

/// The förbund inbox's counts (zero for those without an inbox): new (waiting for the
/// coordinator's decision) and waiting (returned, waiting for the referrer).
#[utoipa::path(get, path = "/api/finsam/referrals/counts", tag = "finsam",
    responses((status = 200, body = ReferralCounts), crate::http::CommonErrors))]
async fn count_referrals(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
) -> AppResult<Json<ReferralCounts>> {
    let Some(filter) = policy::referral_filter(&actor, ReferralBox::Inbox, Timestamp::now()) else {
        return Ok(Json(ReferralCounts { new: 0, waiting: 0 }));
    };
    let mut tx = state.store.begin().await?;
    let new = finsam::count(&mut tx, &filter, InboxCount::New).await?;
    let waiting = finsam::count(&mut tx, &filter, InboxCount::Waiting).await?;
    tx.commit().await?;
    Ok(Json(ReferralCounts { new, waiting }))
}

/// One referral, with the steps I may take now.
#[utoipa::path(get, path = "/api/finsam/referrals/{id}", tag = "finsam", params(("id" = FinsamReferralId, Path)),
    responses((status = 200, body = ReferralResponse), crate::http::CommonErrors))]
async fn get_referral(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<FinsamReferralId>,
) -> AppResult<Json<ReferralResponse>> {
    let mut tx = state.store.begin().await?;
    let response = respond(&mut tx, &actor, id, AuditAction::FinsamReferralRead).await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// Kept for the steps: a state's event kind.
fn event_kind(to: ReferralState) -> Option<crate::domain::EventKind> {
    use crate::domain::EventKind as K;
    match to {
        ReferralState::Sent => Some(K::FinsamReferralSent),
        ReferralState::Withdrawn => Some(K::FinsamReferralWithdrawn),
        ReferralState::Returned => Some(K::FinsamReferralReturned),
        ReferralState::Accepted => Some(K::FinsamReferralAccepted),
        ReferralState::Declined => Some(K::FinsamReferralDeclined),
        ReferralState::PlanAdopted => Some(K::FinsamReferralPlanAdopted),
        ReferralState::FollowedUp => Some(K::FinsamReferralFollowedUp),
        ReferralState::Closed => Some(K::FinsamReferralClosed),
        _ => None,
    }
}
