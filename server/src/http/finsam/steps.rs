//! The referral's steps: send (under the written consent), withdraw, return for completion,
//! complete and resend, accept, decline. Each is checked against the life cycle in
//! `domain::finsam`, applied only if the referral is still where it was, evented and
//! audited in its transaction.

use axum::extract::State;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::dto::*;
use super::{event_kind, lost, respond};
use crate::access::authorize;
use crate::access::policy::{self, ConsentMissing, ReferralAccess};
use crate::access::{Actor, CurrentUser};
use crate::app::AppState;
use crate::domain::finsam::{check_decline, ConsentGap, ReferralStep};
use crate::domain::{AuditAction, FinsamReferralId, Timestamp};
use crate::error::{AppError, AppResult, FieldError};
use crate::http::{ApiPath, ValidJson};
use crate::store::finsam::{self, Change, Decline, ReferralContent};
use crate::store::{consents, organisations, Tx};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_referral))
        .routes(routes!(withdraw_referral))
        .routes(routes!(return_referral))
        .routes(routes!(complete_referral))
        .routes(routes!(accept_referral))
        .routes(routes!(decline_referral))
}

/// Applies `change` as `step`, with its event, and answers with the referral as it is now.
async fn take(
    tx: &mut Tx,
    actor: &Actor,
    access: &ReferralAccess,
    step: ReferralStep,
    change: Change<'_>,
    action: AuditAction,
) -> AppResult<ReferralResponse> {
    let to = access.step(actor, step, action)?;
    if !finsam::apply(tx, access, to, &change, Timestamp::now()).await? {
        return Err(lost(tx, access, step).await);
    }
    if let Some(kind) = event_kind(to) {
        tx.event(finsam::referral_event(kind, access, to));
    }
    respond(tx, actor, access.referral_id(), action).await
}

fn gap_text(gap: ConsentGap) -> &'static str {
    match gap {
        ConsentGap::NoConsent => "inget gällande samtycke för Finsamteam registrerat av er",
        ConsentGap::NotWritten => "samtycket är inte skriftligt",
        ConsentGap::NoDocumentReference => "samtycket saknar dokumentreferens",
        ConsentGap::ForbundNotCovered => "samtycket omfattar inte förbundet",
        ConsentGap::MemberNotCovered => "samtycket omfattar inte alla teamets organisationer",
    }
}

/// 409 `consent_missing`, naming what is missing and whom it does not cover.
async fn consent_missing(tx: &mut Tx, missing: ConsentMissing) -> AppError {
    let mut names = Vec::new();
    for org in &missing.uncovered {
        match organisations::get(tx, *org).await {
            Ok(o) => names.push(o.name),
            Err(err) => return err.into(),
        }
    }
    let gaps: Vec<&str> = missing.gaps.iter().map(|g| gap_text(*g)).collect();
    let codes: Vec<String> = missing
        .gaps
        .iter()
        .map(|g| {
            serde_json::to_value(g)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        })
        .collect();
    AppError::Conflict {
        code: "consent_missing",
        detail: format!(
            "Anmälan kräver ett skriftligt samtycke för Finsamteam (finsamteam): {} [{}]. Saknas för: {}.",
            gaps.join("; "),
            codes.join(", "),
            if names.is_empty() { "–".to_owned() } else { names.join(", ") }
        ),
    }
}

/// The content to send must say why and the person's own goal.
fn check_sendable(content: &ReferralContent) -> AppResult<()> {
    let mut errors = Vec::new();
    if content.why_coordination.is_empty() {
        errors.push(FieldError::new(
            "why_coordination",
            "required",
            "beskriv varför samordning behövs",
        ));
    }
    if content.own_goal.is_empty() {
        errors.push(FieldError::new(
            "own_goal",
            "required",
            "beskriv personens eget mål",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

/// Sends `content` under the written consent, or refuses naming what is missing.
async fn send_with(
    tx: &mut Tx,
    actor: &Actor,
    access: &ReferralAccess,
    step: ReferralStep,
    content: &ReferralContent,
    answer: Option<&str>,
    action: AuditAction,
) -> AppResult<ReferralResponse> {
    access.step(actor, step, action)?;
    check_sendable(content)?;
    let members = finsam::team_members(tx, access.forbund()).await?;
    let consents =
        consents::referral_consents_for_individual(tx, access.case().individual_id()).await?;
    let consent = match policy::referral_consent(
        access.referrer(),
        access.forbund(),
        &members,
        &consents,
        Timestamp::now(),
    ) {
        Ok(id) => id,
        Err(missing) => return Err(consent_missing(tx, missing).await),
    };
    let change = Change::Send {
        content,
        consent,
        answer,
    };
    take(tx, actor, access, step, change, action).await
}

/// Sends the draft to the förbund's inbox. Needs a written consent for `finsamteam`, with its
/// document reference, recorded by my organisation and covering the förbund and each of its
/// team's member organisations (409 `consent_missing` names what is missing), and the
/// content's `why_coordination` and `own_goal`.
#[utoipa::path(post, path = "/api/finsam/referrals/{id}/send", tag = "finsam",
    extensions(("x-field-rules" = json!(SEND_RULES))), params(("id" = FinsamReferralId, Path)),
    responses(
        (status = 200, body = ReferralResponse),
        crate::http::problem::OwnerOnly,
        crate::http::problem::WrongStateOrConsentMissing,
        crate::http::CommonErrors,
    ))]
async fn send_referral(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<FinsamReferralId>,
) -> AppResult<Json<ReferralResponse>> {
    let action = AuditAction::FinsamReferralSend;
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_finsam_referral(&mut tx, &actor, id, action).await?;
    let content = finsam::get(&mut tx, &access).await?.content;
    let response = send_with(
        &mut tx,
        &actor,
        &access,
        ReferralStep::Send,
        &content,
        None,
        action,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// Answers the coordinator's question (and completes the content) and resends, under the
/// same written-consent rule as sending.
#[utoipa::path(post, path = "/api/finsam/referrals/{id}/complete", tag = "finsam",
    extensions(("x-field-rules" = json!(SEND_RULES))), params(("id" = FinsamReferralId, Path)), request_body = CompleteBody,
    responses(
        (status = 200, body = ReferralResponse),
        crate::http::problem::OwnerOnly,
        crate::http::problem::WrongStateOrConsentMissing,
        crate::http::CommonErrors,
    ))]
async fn complete_referral(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<FinsamReferralId>,
    ValidJson(body): ValidJson<CompleteBody>,
) -> AppResult<Json<ReferralResponse>> {
    let action = AuditAction::FinsamReferralComplete;
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_finsam_referral(&mut tx, &actor, id, action).await?;
    let content = match &body.content {
        Some(content) => content.content(),
        None => finsam::get(&mut tx, &access).await?.content,
    };
    let answer = body.answer.trim();
    let step = ReferralStep::Complete;
    let response = send_with(
        &mut tx,
        &actor,
        &access,
        step,
        &content,
        Some(answer),
        action,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(response))
}

async fn simple(
    state: AppState,
    actor: Actor,
    id: FinsamReferralId,
    step: ReferralStep,
    action: AuditAction,
    change: Change<'_>,
) -> AppResult<Json<ReferralResponse>> {
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_finsam_referral(&mut tx, &actor, id, action).await?;
    let response = take(&mut tx, &actor, &access, step, change, action).await?;
    tx.commit().await?;
    Ok(Json(response))
}

/// Takes the referral back (the referrer, before a decision).
#[utoipa::path(post, path = "/api/finsam/referrals/{id}/withdraw", tag = "finsam", params(("id" = FinsamReferralId, Path)),
    responses(
        (status = 200, body = ReferralResponse),
        crate::http::problem::OwnerOnly,
        crate::http::problem::WrongState,
        crate::http::CommonErrors,
    ))]
async fn withdraw_referral(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<FinsamReferralId>,
) -> AppResult<Json<ReferralResponse>> {
    let action = AuditAction::FinsamReferralWithdraw;
    simple(
        state,
        actor,
        id,
        ReferralStep::Withdraw,
        action,
        Change::Withdraw,
    )
    .await
}

/// Returns the referral to the referrer for completion, with a question (a coordinator).
#[utoipa::path(post, path = "/api/finsam/referrals/{id}/return", tag = "finsam", params(("id" = FinsamReferralId, Path)), request_body = ReturnBody,
    responses(
        (status = 200, body = ReferralResponse),
        crate::http::problem::CoordinatorStep,
        crate::http::problem::WrongState,
        crate::http::CommonErrors,
    ))]
async fn return_referral(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<FinsamReferralId>,
    ValidJson(body): ValidJson<ReturnBody>,
) -> AppResult<Json<ReferralResponse>> {
    let action = AuditAction::FinsamReferralReturn;
    let question = body.question.trim();
    simple(
        state,
        actor,
        id,
        ReferralStep::Return,
        action,
        Change::Return { question },
    )
    .await
}

/// The team takes the referral up (a coordinator).
#[utoipa::path(post, path = "/api/finsam/referrals/{id}/accept", tag = "finsam", params(("id" = FinsamReferralId, Path)),
    responses(
        (status = 200, body = ReferralResponse),
        crate::http::problem::CoordinatorStep,
        crate::http::problem::WrongState,
        crate::http::CommonErrors,
    ))]
async fn accept_referral(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<FinsamReferralId>,
) -> AppResult<Json<ReferralResponse>> {
    let action = AuditAction::FinsamReferralAccept;
    let by = actor.user_id;
    simple(
        state,
        actor,
        id,
        ReferralStep::Accept,
        action,
        Change::Accept { by },
    )
    .await
}

/// The team does not take the referral up (a coordinator): a reason code, the route that
/// fits better with `other_route`, and an explanation.
#[utoipa::path(post, path = "/api/finsam/referrals/{id}/decline", tag = "finsam",
    extensions(("x-field-rules" = json!(DECLINE_RULES))), params(("id" = FinsamReferralId, Path)), request_body = DeclineBody,
    responses(
        (status = 200, body = ReferralResponse),
        crate::http::problem::CoordinatorStep,
        crate::http::problem::WrongState,
        crate::http::CommonErrors,
    ))]
async fn decline_referral(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<FinsamReferralId>,
    ValidJson(body): ValidJson<DeclineBody>,
) -> AppResult<Json<ReferralResponse>> {
    let action = AuditAction::FinsamReferralDecline;
    let mut tx = state.store.begin().await?;
    // Whether I may see it at all, before anything about the body is said.
    let access = authorize::authorize_finsam_referral(&mut tx, &actor, id, action).await?;
    let text = body.text.trim();
    let problems = check_decline(body.reason, body.other_route, text);
    AppError::unless_none(
        problems
            .iter()
            .map(|p| FieldError::new(p.field(), p.code(), p.to_string())),
    )?;
    let decline = Decline {
        reason: body.reason,
        other_route: body.other_route,
        text: text.to_owned(),
    };
    let by = actor.user_id;
    let change = Change::Decline {
        by,
        decline: &decline,
    };
    let response = take(
        &mut tx,
        &actor,
        &access,
        ReferralStep::Decline,
        change,
        action,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(response))
}
