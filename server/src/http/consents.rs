//! Consent (samtycke): record, list, read, end (återkalla) and annul (makulera).

use std::collections::BTreeSet;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

use super::cases::PurposeQuery;
use super::rules::{self, FieldRule};
use super::{not_blank, rfc3339, ApiPath, ApiQuery, ValidJson};
use crate::access::authorize;
use crate::access::policy;
use crate::access::{Actor, CurrentUser};
use crate::app::AppState;
use crate::domain::event::{Audience, Detail, NewEvent};
use crate::domain::AuditAction;
use crate::domain::EventKind;
use crate::domain::{
    CaseId, ConsentForm, ConsentId, ConsentStatus, IndividualId, OrganisationId, Purpose,
    Timestamp, UserId,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::consents::{self, Consent};
use crate::store::{cases, organisations, StoreError};

/// What recording a consent needs beyond its schema.
pub const RECORD_RULES: &[FieldRule] = &[
    FieldRule::new(
        "document_reference",
        "required",
        "given (not blank) when forms include skriftligt",
    ),
    FieldRule::new(
        "valid_until",
        "before_valid_from",
        "after valid_from (which defaults to now)",
    ),
    FieldRule::new(
        "valid_until",
        "too_long",
        "at most consent.max_validity_days (365 by default) after valid_from",
    ),
    FieldRule::new("valid_until", "in_the_past", "in the future"),
    FieldRule::new(
        "organisation_ids[i]",
        "unknown_organisation",
        "an existing organisation",
    ),
    FieldRule::new(
        "organisation_ids",
        "no_other_organisation",
        "names at least one organisation besides mine",
    ),
];

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_consents, record_consent))
        .routes(routes!(get_consent))
        .routes(routes!(end_consent))
        .routes(routes!(annul_consent))
        .routes(routes!(confirm_consent))
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordConsent {
    /// The organisations the individual allows to share with each other. My organisation is
    /// always included.
    #[schema(min_items = 1)]
    pub organisation_ids: Vec<OrganisationId>,
    #[schema(min_items = 1)]
    pub purposes: Vec<Purpose>,
    /// `muntligt` and/or `skriftligt`.
    #[schema(min_items = 1)]
    pub forms: Vec<ConsentForm>,
    /// Reference to the signed document; required for a written consent.
    #[validate(
        length(max = 200, message = "högst 200 tecken"),
        custom(function = "rules::blank_or_line")
    )]
    #[schema(max_length = 200, pattern = "$line_or_blank")]
    pub document_reference: Option<String>,
    /// Defaults to now.
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: DateTime<Utc>,
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeConsent {
    /// Why the consent is ended or annulled.
    #[validate(
        length(min = 1, max = 1000, message = "ange en orsak (högst 1000 tecken)"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 1000, pattern = "$text")]
    pub reason: String,
}

#[derive(Deserialize, Validate, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ConfirmConsent {
    /// My organisation's case for the same individual to record the confirmation in;
    /// defaults to my organisation's oldest case for them.
    pub case_id: Option<CaseId>,
}

/// Who ended or annulled a consent, when and why.
#[derive(Serialize, ToSchema)]
pub struct StatusChange {
    pub at: DateTime<Utc>,
    pub by_user_id: Option<UserId>,
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ConsentResponse {
    pub id: ConsentId,
    pub individual_id: IndividualId,
    pub case_id: Option<CaseId>,
    pub recorded_by_user_id: UserId,
    pub recorded_by_organisation_id: OrganisationId,
    pub organisation_ids: Vec<OrganisationId>,
    pub purposes: Vec<Purpose>,
    pub forms: Vec<ConsentForm>,
    pub document_reference: Option<String>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub status: ConsentStatus,
    /// Active and inside its validity period right now.
    pub in_force: bool,
    /// Set when ended or annulled.
    pub status_change: Option<StatusChange>,
    pub created_at: DateTime<Utc>,
    /// The consent another organisation recorded that this one confirms for the recorder's
    /// own part (`POST /api/consents/{id}/confirm`).
    pub confirms_consent_id: Option<ConsentId>,
}

impl From<Consent> for ConsentResponse {
    fn from(c: Consent) -> Self {
        let in_force = c.facts().in_force(Timestamp::now());
        Self {
            id: c.id,
            individual_id: c.individual_id,
            case_id: c.case_id,
            recorded_by_user_id: c.recorded_by_user_id,
            recorded_by_organisation_id: c.recorded_by_organisation_id,
            organisation_ids: c.organisations,
            purposes: c.purposes,
            forms: c.forms,
            document_reference: c.document_reference,
            valid_from: rfc3339(c.valid_from),
            valid_until: rfc3339(c.valid_until),
            status: c.status,
            in_force,
            status_change: c.status_changed_at.map(|at| StatusChange {
                at: rfc3339(at),
                by_user_id: c.status_changed_by,
                reason: c.status_reason,
            }),
            created_at: rfc3339(c.created_at),
            confirms_consent_id: c.confirms_consent_id,
        }
    }
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
    let mut tx = state.store.begin().await?;
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
    let mut tx = state.store.begin().await?;
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
    tx.audit(access.audit(actor, change.action));
    tx.commit().await?;
    tracing::info!(consent_id = %id, action = change.action.code(), "consent status changed");
    Ok(Json(consent.into()))
}
