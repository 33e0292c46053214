//! After the team meeting: the team's joint plan (kind `finsam`, made with the referral's
//! `finsam_referral_id` as a SIP plan names its call) adopted by the referring caseworker,
//! its driver, which moves the referral on and schedules the follow-up (`[finsam]
//! follow_up_months` after); the coordinator's follow-ups, each continuing with a revised plan
//! and the next follow-up, and the closing with an outcome from the configured list (a Finsam
//! effort names one of the förbund's insatskatalog). The catalogue itself: `efforts`.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

use super::{event_kind, lost, respond, ReferralResponse};
use crate::access::policy::ReferralAccess;
use crate::access::{authorize, Actor, CurrentUser};
use crate::app::AppState;
use crate::config::Settings;
use crate::domain::finsam::{follow_up_due, Outcome, ReferralState, ReferralStep, Side};
use crate::domain::plan::PlanKind;
use crate::domain::{AuditAction, CaseId, FinsamEffortId, FinsamReferralId, PlanId, Timestamp};
use crate::error::{AppError, AppResult};
use crate::http::rules::FieldRule;
use crate::http::{rfc3339, ApiPath, ValidJson};
use crate::store::finsam::efforts;
use crate::store::finsam::{self, Change};
use crate::store::Tx;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(follow_up_referral))
        .routes(routes!(close_referral))
        .routes(routes!(list_follow_ups))
        .routes(routes!(list_outcomes))
}

/// A Finsamteam plan's referral must be one my organisation sent in this case (422
/// `invalid_finsam_referral`; unknown and unseen alike), and only a Finsamteam plan names one.
pub(crate) async fn check_plan_referral(
    tx: &mut Tx,
    actor: &Actor,
    kind: PlanKind,
    referral: FinsamReferralId,
    case_id: CaseId,
) -> AppResult<()> {
    let invalid = || {
        AppError::field(
            "finsam_referral_id",
            "invalid_finsam_referral",
            "ange en anmälan till Finsamteam som er organisation skickat i ärendet",
        )
    };
    if kind != PlanKind::Finsam {
        return Err(invalid());
    }
    let action = AuditAction::FinsamReferralRead;
    match authorize::authorize_finsam_referral(tx, actor, referral, action).await {
        Ok(access) if access.case().case_id() == case_id && access.side() == Side::Referrer => {
            Ok(())
        }
        Ok(_) | Err(AppError::Denied(_)) => Err(invalid()),
        Err(err) => Err(err),
    }
}

/// Applies `step` with `change` to the referral, with its event and audit row.
async fn take(
    tx: &mut Tx,
    actor: &Actor,
    access: &ReferralAccess,
    step: ReferralStep,
    change: Change<'_>,
    action: AuditAction,
) -> AppResult<()> {
    let to = access.step(actor, step, action)?;
    if !finsam::apply(tx, access, to, &change, Timestamp::now()).await? {
        return Err(lost(tx, access, step).await);
    }
    if let Some(kind) = event_kind(to) {
        tx.event(finsam::referral_event(kind, access, to));
    }
    tx.audit(access.audit(actor, action));
    Ok(())
}

/// The team's plan was adopted (by its driver, the referrer): the referral on the agenda
/// moves to `plan_adopted` with its follow-up scheduled. A revised plan adopted later
/// changes nothing here (the follow-up schedules the next).
pub(crate) async fn plan_adopted(
    tx: &mut Tx,
    settings: &Settings,
    actor: &Actor,
    referral: FinsamReferralId,
    plan: PlanId,
) -> AppResult<()> {
    let action = AuditAction::FinsamReferralPlanAdopt;
    let access = authorize::authorize_finsam_referral(tx, actor, referral, action).await?;
    if access.state() != ReferralState::OnAgenda {
        return Ok(());
    }
    let due = follow_up_due(Timestamp::now(), settings.finsam.follow_up_months);
    let change = Change::AdoptPlan {
        plan,
        follow_up_due: due,
    };
    take(tx, actor, &access, ReferralStep::AdoptPlan, change, action).await
}

/// The coordinator's follow-up: what progress the plan made. It continues with a revised
/// plan and the next follow-up; to end it, close the referral instead.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinsamFollowUpBody {
    #[validate(
        length(min = 1, max = 4000, message = "1–4000 tecken"),
        custom(function = "crate::http::not_blank")
    )]
    #[schema(min_length = 1, max_length = 4000, pattern = "$text")]
    pub progress: String,
}

/// Closing with an outcome from the configured list.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinsamCloseBody {
    pub outcome: Outcome,
    /// The effort of the förbund's insatskatalog: required with `finsam_effort`, not allowed
    /// otherwise.
    pub effort_id: Option<FinsamEffortId>,
    /// The follow-up's progress, when closing at a follow-up of the plan.
    #[validate(length(max = 4000, message = "högst 4000 tecken"))]
    #[schema(max_length = 4000, pattern = "$text")]
    pub progress: Option<String>,
}

pub const CLOSE_RULES: &[FieldRule] = &[
    FieldRule::new(
        "outcome",
        "outcome_not_offered",
        "one of the configured outcomes (GET /api/finsam/outcomes)",
    ),
    FieldRule::new("effort_id", "required", "with outcome finsam_effort"),
    FieldRule::new(
        "effort_id",
        "not_allowed",
        "only with outcome finsam_effort",
    ),
    FieldRule::new(
        "effort_id",
        "unknown_effort",
        "an active effort of the förbund's insatskatalog",
    ),
];

/// A follow-up as recorded.
#[derive(Serialize, ToSchema)]
pub struct FinsamFollowUpResponse {
    pub due_at: DateTime<Utc>,
    pub done_at: DateTime<Utc>,
    pub progress: String,
    /// False: the referral was closed at it.
    pub continues: bool,
}

/// The outcomes a referral may be closed with now, in the order offered.
#[derive(Serialize, ToSchema)]
pub struct FinsamOutcomes {
    pub outcomes: Vec<Outcome>,
}

/// Records a follow-up of the team's plan (a coordinator); the plan continues (the driver
/// revises it) and the next follow-up is scheduled `[finsam] follow_up_months` ahead.
#[utoipa::path(post, path = "/api/finsam/referrals/{id}/follow-up", tag = "finsam",
    params(("id" = FinsamReferralId, Path)), request_body = FinsamFollowUpBody,
    responses(
        (status = 200, body = ReferralResponse),
        crate::http::problem::CoordinatorStep,
        crate::http::problem::WrongState,
        crate::http::CommonErrors,
    ))]
async fn follow_up_referral(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<FinsamReferralId>,
    ValidJson(body): ValidJson<FinsamFollowUpBody>,
) -> AppResult<Json<ReferralResponse>> {
    let action = AuditAction::FinsamReferralFollowUp;
    let now = Timestamp::now();
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_finsam_referral(&mut tx, &actor, id, action).await?;
    access.step(&actor, ReferralStep::FollowUp, action)?;
    let due = finsam::get(&mut tx, &access)
        .await?
        .follow_up_due_at
        .unwrap_or(now);
    let progress = body.progress.trim();
    efforts::insert_follow_up(&mut tx, &access, due, progress, true, actor.user_id, now).await?;
    let next_due = follow_up_due(now, state.settings.finsam.follow_up_months);
    let change = Change::FollowUp { next_due };
    take(
        &mut tx,
        &actor,
        &access,
        ReferralStep::FollowUp,
        change,
        action,
    )
    .await?;
    let response = respond(&mut tx, &actor, id, action).await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// Closes the referral with an outcome (a coordinator), at a follow-up or whenever the team
/// finds no need. The referrer is told.
#[utoipa::path(post, path = "/api/finsam/referrals/{id}/close", tag = "finsam",
    extensions(("x-field-rules" = json!(CLOSE_RULES))),
    params(("id" = FinsamReferralId, Path)), request_body = FinsamCloseBody,
    responses(
        (status = 200, body = ReferralResponse),
        crate::http::problem::CoordinatorStep,
        crate::http::problem::WrongState,
        crate::http::CommonErrors,
    ))]
async fn close_referral(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<FinsamReferralId>,
    ValidJson(body): ValidJson<FinsamCloseBody>,
) -> AppResult<Json<ReferralResponse>> {
    let action = AuditAction::FinsamReferralClose;
    let now = Timestamp::now();
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_finsam_referral(&mut tx, &actor, id, action).await?;
    access.step(&actor, ReferralStep::Close, action)?;
    if !state.settings.finsam.outcomes.contains(&body.outcome) {
        return Err(AppError::field(
            "outcome",
            "outcome_not_offered",
            "utfallet erbjuds inte",
        ));
    }
    match (body.outcome.names_effort(), body.effort_id) {
        (true, None) => {
            return Err(AppError::field(
                "effort_id",
                "required",
                "ange insatsen ur förbundets insatskatalog",
            ))
        }
        (false, Some(_)) => {
            return Err(AppError::field(
                "effort_id",
                "not_allowed",
                "en insats anges bara med utfallet finsam_effort",
            ))
        }
        (true, Some(effort)) => {
            let known = efforts::get(&mut tx, access.forbund(), effort).await?;
            if !known.is_some_and(|e| e.active) {
                return Err(AppError::field(
                    "effort_id",
                    "unknown_effort",
                    "ange en aktiv insats ur förbundets insatskatalog",
                ));
            }
        }
        (false, None) => {}
    }
    let current = finsam::get(&mut tx, &access).await?;
    if let Some(due) = current.follow_up_due_at {
        let progress = body.progress.as_deref().map(str::trim).unwrap_or_default();
        efforts::insert_follow_up(&mut tx, &access, due, progress, false, actor.user_id, now)
            .await?;
    }
    let change = Change::Close {
        outcome: body.outcome,
        effort: body.effort_id,
    };
    take(
        &mut tx,
        &actor,
        &access,
        ReferralStep::Close,
        change,
        action,
    )
    .await?;
    let response = respond(&mut tx, &actor, id, action).await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// The referral's follow-ups, oldest first (its referrer and the förbund's coordinators).
#[utoipa::path(get, path = "/api/finsam/referrals/{id}/follow-ups", tag = "finsam",
    params(("id" = FinsamReferralId, Path)),
    responses((status = 200, body = Vec<FinsamFollowUpResponse>), crate::http::CommonErrors))]
async fn list_follow_ups(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<FinsamReferralId>,
) -> AppResult<Json<Vec<FinsamFollowUpResponse>>> {
    let action = AuditAction::FinsamReferralRead;
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_finsam_referral(&mut tx, &actor, id, action).await?;
    let rows = efforts::follow_ups(&mut tx, &access).await?;
    tx.audit(access.audit(&actor, action));
    tx.commit().await?;
    Ok(Json(
        rows.into_iter()
            .map(|f| FinsamFollowUpResponse {
                due_at: rfc3339(f.due_at),
                done_at: rfc3339(f.done_at),
                progress: f.progress,
                continues: f.continues,
            })
            .collect(),
    ))
}

/// The outcomes a referral may be closed with (configuration, `[finsam] outcomes`).
#[utoipa::path(get, path = "/api/finsam/outcomes", tag = "finsam",
    responses((status = 200, body = FinsamOutcomes), crate::http::CommonErrors))]
async fn list_outcomes(
    State(state): State<AppState>,
    CurrentUser(_actor): CurrentUser,
) -> AppResult<Json<FinsamOutcomes>> {
    Ok(Json(FinsamOutcomes {
        outcomes: state.settings.finsam.outcomes.clone(),
    }))
}
