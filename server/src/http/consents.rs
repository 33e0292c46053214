//! Consent (samtycke): record, list, read, end (återkalla) and annul (makulera).

mod dto;

pub use dto::*;

use std::collections::BTreeSet;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::cases::PurposeQuery;
use super::{ApiPath, ApiQuery, ValidJson};
use crate::access::authorize;
use crate::access::policy;
use crate::access::{Actor, CurrentUser};
use crate::app::AppState;
use crate::domain::event::{Audience, Detail, NewEvent};
use crate::domain::AuditAction;
use crate::domain::EventKind;
use crate::domain::{CaseId, ConsentForm, ConsentId, ConsentStatus, OrganisationId, Timestamp};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::consents::{self, Consent};
use crate::store::{cases, organisations, StoreError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_consents, record_consent))
        .routes(routes!(get_consent))
        .routes(routes!(end_consent))
        .routes(routes!(annul_consent))
        .routes(routes!(confirm_consent))
}

/// Checks everything about a new consent that needs no store, collecting every field error.
fn check_new_consent(
    body: &RecordConsent,
    now: Timestamp,
    max_days: i64,
) -> Result<(Timestamp, Timestamp), AppError> {
    let mut errors = Vec::new();
    if body.organisation_ids.is_empty() {
        errors.push(FieldError::new(
            "organisation_ids",
            "required",
            "ange minst en organisation",
        ));
    }
    if body.purposes.is_empty() {
        errors.push(FieldError::new(
            "purposes",
            "required",
            "ange minst ett ändamål",
        ));
    }
    if body.forms.is_empty() {
        errors.push(FieldError::new(
            "forms",
            "required",
            "ange muntligt och/eller skriftligt",
        ));
    }
    let has_reference = body
        .document_reference
        .as_deref()
        .is_some_and(|r| !r.trim().is_empty());
    if body.forms.contains(&ConsentForm::Skriftligt) && !has_reference {
        errors.push(FieldError::new(
            "document_reference",
            "required",
            "ett skriftligt samtycke behöver en referens till dokumentet",
        ));
    }
    let from = body.valid_from.map_or(now, Timestamp::from_datetime);
    let until = Timestamp::from_datetime(body.valid_until);
    if until <= from {
        errors.push(FieldError::new(
            "valid_until",
            "before_valid_from",
            "ska vara efter giltig från",
        ));
    } else if until > from.plus_days(max_days) {
        errors.push(FieldError::new(
            "valid_until",
            "too_long",
            format!("ett samtycke får gälla högst {max_days} dagar"),
        ));
    } else if until <= now {
        errors.push(FieldError::new(
            "valid_until",
            "in_the_past",
            "ska ligga i framtiden",
        ));
    }
    if errors.is_empty() {
        Ok((from, until))
    } else {
        Err(AppError::Validation(errors))
    }
}

/// Records a consent for the case's individual (the owning organisation only).
#[utoipa::path(post, path = "/api/cases/{id}/consents",
    extensions(("x-field-rules" = json!(RECORD_RULES))), tag = "consents", params(("id" = CaseId, Path)), request_body = RecordConsent,
    responses(
        (status = 201, body = ConsentResponse),
        crate::http::problem::OwnerOnly,
        crate::http::CommonErrors,
    ))]
async fn record_consent(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(case_id): ApiPath<CaseId>,
    ValidJson(body): ValidJson<RecordConsent>,
) -> AppResult<(StatusCode, Json<ConsentResponse>)> {
    let now = Timestamp::now();
    let mut tx = state.store.begin().await?;
    let write =
        authorize::authorize_case_write(&mut tx, &actor, case_id, AuditAction::ConsentCreate)
            .await?;
    let (valid_from, valid_until) =
        check_new_consent(&body, now, state.settings.consent.max_validity_days)?;
    let mut unknown = Vec::new();
    for (index, org) in body.organisation_ids.iter().enumerate() {
        match organisations::get(&mut tx, *org).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => unknown.push(FieldError::new(
                format!("organisation_ids[{index}]"),
                "unknown_organisation",
                "okänd organisation",
            )),
            Err(err) => return Err(err.into()),
        }
    }
    if !unknown.is_empty() {
        return Err(AppError::Validation(unknown));
    }
    let mut organisations: BTreeSet<OrganisationId> =
        body.organisation_ids.iter().copied().collect();
    organisations.insert(actor.organisation_id);
    if organisations.len() < 2 {
        return Err(AppError::field(
            "organisation_ids",
            "no_other_organisation",
            "ange minst en annan organisation än din egen",
        ));
    }
    let consent = Consent {
        id: ConsentId::new(),
        individual_id: write.access().individual_id(),
        case_id: Some(case_id),
        recorded_by_user_id: actor.user_id,
        recorded_by_organisation_id: actor.organisation_id,
        forms: body
            .forms
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        document_reference: body
            .document_reference
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty()),
        valid_from,
        valid_until,
        status: ConsentStatus::Active,
        status_changed_at: None,
        status_changed_by: None,
        status_reason: None,
        created_at: now,
        organisations: organisations.into_iter().collect(),
        purposes: body
            .purposes
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        confirms_consent_id: None,
    };
    insert_recorded(
        &mut tx,
        &actor,
        &write,
        &consent,
        AuditAction::ConsentCreate,
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(consent.into())))
}

/// Stores a consent recorded in `write`'s case, with its `consent.recorded` event and audit row.
async fn insert_recorded(
    tx: &mut crate::store::Tx,
    actor: &Actor,
    write: &policy::CaseWrite,
    consent: &Consent,
    action: AuditAction,
) -> AppResult<()> {
    consents::insert(tx, consent).await?;
    tx.event(NewEvent {
        kind: EventKind::ConsentRecorded,
        case_id: consent.case_id,
        individual_id: Some(consent.individual_id),
        subject_id: Some(consent.id.to_string()),
        purpose: None,
        audience: Audience::Case,
        detail: Detail::None,
    });
    let mut entry = write.access().audit(actor, action);
    entry.consent_id = Some(consent.id);
    tx.audit(entry);
    Ok(())
}

/// Records, for my organisation's own part, a consent another organisation recorded naming
/// mine ("registrera samma samtycke för vår del"): the same organisations, purposes, forms,
/// document and period, linked to the original, in my organisation's case for the individual.
/// From its commit the consent lifts my organisation's secrecy too. Never done automatically.
#[utoipa::path(post, path = "/api/consents/{id}/confirm", tag = "consents", params(("id" = ConsentId, Path)), request_body = ConfirmConsent,
    responses(
        (status = 201, body = ConsentResponse),
        crate::http::problem::NotConfirmable,
        crate::http::problem::AlreadyConfirmed,
        crate::http::CommonErrors,
    ))]
async fn confirm_consent(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<ConsentId>,
    ValidJson(body): ValidJson<ConfirmConsent>,
) -> AppResult<(StatusCode, Json<ConsentResponse>)> {
    const ACTION: AuditAction = AuditAction::ConsentConfirm;
    let now = Timestamp::now();
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_consent(&mut tx, &actor, id, ACTION).await?;
    access.require_confirmable(&actor, ACTION, now)?;
    let individual = access.individual_id();
    let case_id = match body.case_id {
        Some(case_id) => Some(case_id),
        None => cases::facts_for_individual(&mut tx, individual)
            .await?
            .iter()
            .filter(|f| f.owner == actor.organisation_id)
            .map(|f| f.case_id)
            .min(),
    };
    let write = match case_id {
        Some(case_id) => {
            Some(authorize::authorize_case_write(&mut tx, &actor, case_id, ACTION).await?)
        }
        None => None,
    };
    let Some(write) = write.filter(|w| w.access().individual_id() == individual) else {
        return Err(AppError::field(
            "case_id",
            "no_own_case",
            "öppna först ett eget ärende för personen",
        ));
    };
    if consents::confirmed_by(&mut tx, id, actor.organisation_id).await? {
        return Err(AppError::Conflict {
            code: "consent_already_confirmed",
            detail: "Samtycket är redan registrerat för er del.".into(),
        });
    }
    let original = consents::get(&mut tx, &access).await?;
    let consent = Consent {
        id: ConsentId::new(),
        case_id: Some(write.access().case_id()),
        recorded_by_user_id: actor.user_id,
        recorded_by_organisation_id: actor.organisation_id,
        status_changed_at: None,
        status_changed_by: None,
        status_reason: None,
        created_at: now,
        confirms_consent_id: Some(id),
        ..original
    };
    tx.audit(access.audit(&actor, AuditAction::ConsentRead));
    insert_recorded(&mut tx, &actor, &write, &consent, ACTION).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(consent.into())))
}

/// The consents for the case's individual that I may see: all my organisation recorded,
/// and those naming my organisation while they are in force.
#[utoipa::path(get, path = "/api/cases/{id}/consents", tag = "consents", params(("id" = CaseId, Path), PurposeQuery),
    responses((status = 200, body = Vec<ConsentResponse>), crate::http::CommonErrors))]
async fn list_consents(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(case_id): ApiPath<CaseId>,
    ApiQuery(query): ApiQuery<PurposeQuery>,
) -> AppResult<Json<Vec<ConsentResponse>>> {
    let mut tx = state.store.audited_read().await?;
    let access = authorize::authorize_case(
        &mut tx,
        &actor,
        case_id,
        query.need(),
        AuditAction::ConsentList,
    )
    .await?;
    let list = match policy::consent_filter(&actor, Timestamp::now()) {
        Some(filter) => consents::list_for_case(&mut tx, &access, &filter).await?,
        None => Vec::new(),
    };
    tx.audit(access.audit(&actor, AuditAction::ConsentList));
    tx.commit().await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// One consent record.
#[utoipa::path(get, path = "/api/consents/{id}", tag = "consents", params(("id" = ConsentId, Path)),
    responses((status = 200, body = ConsentResponse), crate::http::CommonErrors))]
async fn get_consent(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<ConsentId>,
) -> AppResult<Json<ConsentResponse>> {
    let mut tx = state.store.audited_read().await?;
    let access =
        authorize::authorize_consent(&mut tx, &actor, id, AuditAction::ConsentRead).await?;
    let consent = consents::get(&mut tx, &access).await?;
    tx.audit(access.audit(&actor, AuditAction::ConsentRead));
    tx.commit().await?;
    Ok(Json(consent.into()))
}

fn state_conflict(code: &'static str, current: ConsentStatus) -> AppError {
    AppError::Conflict {
        code,
        detail: format!("Samtycket har status {current}."),
    }
}

/// Ends (återkallar) an active consent. Takes effect when this request commits; any
/// organisation the consent names may record that the individual withdrew it.
#[utoipa::path(post, path = "/api/consents/{id}/end", tag = "consents", params(("id" = ConsentId, Path)), request_body = ChangeConsent,
    responses(
        (status = 200, body = ConsentResponse),
        crate::http::problem::ConsentNotActive,
        crate::http::CommonErrors,
    ))]
async fn end_consent(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<ConsentId>,
    ValidJson(body): ValidJson<ChangeConsent>,
) -> AppResult<Json<ConsentResponse>> {
    let change = Transition {
        action: AuditAction::ConsentEnd,
        event: EventKind::ConsentEnded,
        from: &[ConsentStatus::Active],
        to: ConsentStatus::Ended,
        conflict: "consent_not_active",
    };
    change_status(&state, &actor, id, body.reason.trim(), change).await
}

/// Annuls (makulerar) a consent entered in error: only the recording organisation.
#[utoipa::path(post, path = "/api/consents/{id}/annul", tag = "consents", params(("id" = ConsentId, Path)), request_body = ChangeConsent,
    responses(
        (status = 200, body = ConsentResponse),
        crate::http::problem::RecorderOnly,
        crate::http::problem::AlreadyAnnulled,
        crate::http::CommonErrors,
    ))]
async fn annul_consent(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<ConsentId>,
    ValidJson(body): ValidJson<ChangeConsent>,
) -> AppResult<Json<ConsentResponse>> {
    let change = Transition {
        action: AuditAction::ConsentAnnul,
        event: EventKind::ConsentAnnulled,
        from: &[ConsentStatus::Active, ConsentStatus::Ended],
        to: ConsentStatus::Annulled,
        conflict: "consent_already_annulled",
    };
    change_status(&state, &actor, id, body.reason.trim(), change).await
}

struct Transition {
    action: AuditAction,
    event: EventKind,
    from: &'static [ConsentStatus],
    to: ConsentStatus,
    conflict: &'static str,
}

/// Ends or annuls a consent: the status change, its audit row, a `consent.*` event and an
/// `access_revoked` event for every organisation that thereby loses sight of a case, all in
/// one transaction, so nothing is sent to them from its commit on.
async fn change_status(
    state: &AppState,
    actor: &Actor,
    id: ConsentId,
    reason: &str,
    change: Transition,
) -> AppResult<Json<ConsentResponse>> {
    let now = Timestamp::now();
    let mut tx = state.store.begin().await?;
    let access = authorize::authorize_consent(&mut tx, actor, id, change.action).await?;
    if change.to == ConsentStatus::Annulled {
        access.require_recorder(actor, change.action)?;
    }
    let before = cases::facts_for_individual(&mut tx, access.individual_id()).await?;
    if !consents::change_status(
        &mut tx,
        &access,
        change.from,
        change.to,
        actor.user_id,
        reason,
        now,
    )
    .await?
    {
        return Err(state_conflict(change.conflict, access.facts().status));
    }
    let after = cases::facts_for_individual(&mut tx, access.individual_id()).await?;
    let consent = consents::get(&mut tx, &access).await?;
    // Its rule tells the consent's recorder when someone else made the change.
    tx.event(NewEvent {
        kind: change.event,
        case_id: consent.case_id,
        individual_id: Some(consent.individual_id),
        subject_id: Some(id.to_string()),
        purpose: None,
        audience: Audience::Case,
        detail: Detail::By {
            user: actor.user_id,
            organisation: actor.organisation_id,
        },
    });
    for (case_id, organisations) in policy::organisations_losing_access(&before, &after, now) {
        tx.event(NewEvent {
            kind: EventKind::AccessRevoked,
            case_id: Some(case_id),
            individual_id: Some(consent.individual_id),
            subject_id: Some(id.to_string()),
            purpose: None,
            audience: Audience::Revoked(organisations),
            detail: Detail::None,
        });
    }
    crate::http::plans::tell_responsible_lost(&mut tx, &before, &after, now).await?;
    tx.audit(access.audit(actor, change.action));
    tx.commit().await?;
    tracing::info!(consent_id = %id, action = change.action.code(), "consent status changed");
    Ok(Json(consent.into()))
}
