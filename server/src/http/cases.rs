//! Cases (ärenden): open, list, read, change (hand over with a note, close with a reason).

mod handover;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

use super::rules::FieldRule;
use super::{rfc3339, ApiPath, ApiQuery, Page, Paging, ValidJson};
use crate::access::authorize;
use crate::access::policy::{self, Need};
use crate::access::{Actor, CurrentUser};
use crate::app::AppState;
use crate::domain::event::{Audience, Detail, NewEvent};
use crate::domain::AuditAction;
use crate::domain::EventKind;
use crate::domain::{
    CaseId, CaseStatus, CloseReason, ConsentId, IndividualId, OrganisationId, Purpose, Timestamp,
    UserId,
};
use crate::error::{AppError, AppResult};
use crate::http::rules::TextLine;
use crate::store::cases::{self, CaseChange, CaseQuery, CaseView, NewCase};
use crate::store::{individuals, users, StoreError, Tx};

/// What opening a case needs beyond its schema.
pub const OPEN_CASE_RULES: &[FieldRule] = &[
    FieldRule::new(
        "individual_id",
        "unknown_individual",
        "an individual my organisation has registered",
    ),
    FieldRule::new(
        "responsible_user_id",
        "invalid_user",
        "an active user of my organisation who works with cases",
    ),
    FieldRule::new(
        "responsible_user_id",
        "protected_identity",
        "for a person with protected identity the creator is responsible",
    ),
];

/// What changing a case needs beyond its schema.
pub const UPDATE_CASE_RULES: &[FieldRule] = &[
    FieldRule::new(
        "responsible_user_id",
        "invalid_user",
        "an active user of my organisation who works with cases",
    ),
    FieldRule::new(
        "handover_note",
        "not_a_handover",
        "only with a responsible_user_id other than the present responsible",
    ),
    FieldRule::new(
        "close_reason",
        "required",
        "required when status changes to closed",
    ),
    FieldRule::new("close_reason", "not_closing", "only with status closed"),
    FieldRule::new("close_text", "not_closing", "only with status closed"),
    FieldRule::new(
        "close_text",
        "required",
        "required when close_reason is other",
    ),
];

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_cases, open_case))
        .routes(routes!(get_case, update_case))
        .routes(routes!(handover::responsibility_history))
}

/// Why the caller sees the case.
#[derive(Serialize, ToSchema)]
pub struct CaseAccessInfo {
    /// `owner` (my organisation's case) or `consent`.
    pub basis: &'static str,
    /// The consent that lets my organisation see the case, when basis is `consent`.
    pub consent_id: Option<ConsentId>,
}

#[derive(Serialize, ToSchema)]
pub struct CaseResponse {
    pub id: CaseId,
    pub title: String,
    pub status: CaseStatus,
    pub individual_id: IndividualId,
    pub personnummer: String,
    pub individual_name: String,
    pub protected_identity: bool,
    pub owner_organisation_id: OrganisationId,
    pub owner_organisation_name: String,
    pub responsible_user_id: UserId,
    pub responsible_user_name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub access: CaseAccessInfo,
    /// Why the case was closed, while it is closed.
    pub close_reason: Option<CloseReason>,
    pub close_text: Option<String>,
}

impl From<CaseView> for CaseResponse {
    fn from(c: CaseView) -> Self {
        Self {
            id: c.id,
            title: c.title,
            status: c.status,
            individual_id: c.individual_id,
            personnummer: c.personnummer,
            individual_name: c.individual_name,
            protected_identity: c.protected_identity,
            owner_organisation_id: c.owner_organisation_id,
            owner_organisation_name: c.owner_organisation_name,
            responsible_user_id: c.responsible_user_id,
            responsible_user_name: c.responsible_user_name,
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
            access: CaseAccessInfo {
                basis: if c.via_consent.is_some() {
                    "consent"
                } else {
                    "owner"
                },
                consent_id: c.via_consent,
            },
            close_reason: c.close_reason,
            close_text: c.close_text,
        }
    }
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenCase {
    /// An individual my organisation has registered.
    pub individual_id: IndividualId,
    #[validate(nested)]
    #[schema(inline)]
    pub title: TextLine<200>,
    /// Defaults to me.
    pub responsible_user_id: Option<UserId>,
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCase {
    #[validate(nested)]
    #[schema(inline)]
    pub title: Option<TextLine<200>>,
    /// Closing (`closed`) needs a `close_reason`; reopening clears it.
    pub status: Option<CaseStatus>,
    /// Hand the case over to another user of the owning organisation.
    pub responsible_user_id: Option<UserId>,
    /// A note for the new responsible (överlämningsanteckning), kept in the case's history
    /// of responsibility.
    #[validate(
        length(max = 4000, message = "högst 4000 tecken"),
        custom(function = "super::rules::blank_or_text")
    )]
    #[schema(max_length = 4000, pattern = "$text_or_blank")]
    pub handover_note: Option<String>,
    /// Why the case is closed (with `status: closed`).
    pub close_reason: Option<CloseReason>,
    /// More about why, in words; required with `close_reason: other`.
    #[validate(
        length(max = 1000, message = "högst 1000 tecken"),
        custom(function = "super::rules::blank_or_text")
    )]
    #[schema(max_length = 1000, pattern = "$text_or_blank")]
    pub close_text: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CaseListQuery {
    pub status: Option<CaseStatus>,
    pub responsible_user_id: Option<UserId>,
    pub individual_id: Option<IndividualId>,
    /// Only cases shared for this purpose (others' cases); my organisation's own cases always show.
    pub purpose: Option<Purpose>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<i64>,
}

/// The purpose (ändamål) a read is made for. Another organisation's case then needs a
/// consent covering that purpose; the purpose is recorded in the audit log.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PurposeQuery {
    pub purpose: Option<Purpose>,
}

impl PurposeQuery {
    pub fn need(&self) -> Need {
        self.purpose.map_or(Need::Case, Need::Purpose)
    }
}

/// A user of `actor`'s organisation who works with cases, or a field error.
async fn caseworker_of_my_organisation(tx: &mut Tx, actor: &Actor, id: UserId) -> AppResult<()> {
    let invalid = || {
        AppError::field(
            "responsible_user_id",
            "invalid_user",
            "ska vara en aktiv handläggare i din organisation",
        )
    };
    match users::get(tx, id).await {
        Ok(u)
            if policy::may_be_made_responsible(
                actor.organisation_id,
                u.organisation_id,
                u.active,
                &u.roles,
            ) =>
        {
            Ok(())
        }
        Ok(_) | Err(StoreError::NotFound) => Err(invalid()),
        Err(err) => Err(err.into()),
    }
}

/// Cases I may see: my organisation's, and others' shared with us by an active consent.
#[utoipa::path(get, path = "/api/cases", tag = "cases", params(CaseListQuery),
    responses((status = 200, body = Page<CaseResponse>), crate::http::CommonErrors))]
async fn list_cases(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiQuery(query): ApiQuery<CaseListQuery>,
) -> AppResult<Json<Page<CaseResponse>>> {
    let paging = Paging {
        limit: query.limit,
        offset: query.offset,
    };
    let (limit, offset) = (paging.limit()?, paging.offset()?);
    let need = query.purpose.map_or(Need::Case, Need::Purpose);
    let Some(filter) = policy::case_filter(&actor, need, Timestamp::now()) else {
        return Ok(Json(Page {
            items: Vec::new(),
            limit,
            offset,
        }));
    };
    let mut tx = state.store.audited_read().await?;
    let rows = cases::list(
        &mut tx,
        &filter,
        &CaseQuery {
            status: query.status,
            responsible_user_id: query.responsible_user_id,
            individual_id: query.individual_id,
            case_id: None,
            limit,
            offset,
        },
    )
    .await?;
    for row in &rows {
        let access = filter.access_for(
            row.id,
            row.individual_id,
            row.owner_organisation_id,
            row.via_consent,
        );
        tx.audit(access.audit(&actor, AuditAction::CaseList));
    }
    tx.commit().await?;
    Ok(Json(Page {
        items: rows.into_iter().map(Into::into).collect(),
        limit,
        offset,
    }))
}

/// Opens a case for an individual my organisation has registered.
#[utoipa::path(post, path = "/api/cases",
    extensions(("x-field-rules" = json!(OPEN_CASE_RULES))), tag = "cases", request_body = OpenCase, responses(
    (status = 201, body = CaseResponse),
    crate::http::problem::NotCaseWork,
    crate::http::CommonErrors,
))]
async fn open_case(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ValidJson(body): ValidJson<OpenCase>,
) -> AppResult<(StatusCode, Json<CaseResponse>)> {
    policy::require_works_cases(&actor, "Din roll arbetar inte med ärenden.")?;
    let mut tx = state.store.begin().await?;
    if !individuals::registered_by(&mut tx, body.individual_id, actor.organisation_id).await? {
        return Err(AppError::field(
            "individual_id",
            "unknown_individual",
            "registrera individen i din organisation först",
        ));
    }
    let responsible = body.responsible_user_id.unwrap_or(actor.user_id);
    caseworker_of_my_organisation(&mut tx, &actor, responsible).await?;
    let id = CaseId::new();
    cases::insert(
        &mut tx,
        &NewCase {
            id,
            individual_id: body.individual_id,
            owner_organisation_id: actor.organisation_id,
            responsible_user_id: responsible,
            title: body.title.trim().to_owned(),
        },
    )
    .await?;
    // A protected identity may hide the new case even from its creator; say so clearly.
    let access =
        authorize::authorize_case(&mut tx, &actor, id, Need::Case, AuditAction::CaseCreate)
            .await
            .map_err(|_| {
                AppError::field(
                    "responsible_user_id",
                    "protected_identity",
                    "för en person med skyddade personuppgifter ska du själv vara ansvarig",
                )
            })?;
    let view = cases::get(&mut tx, &access).await?;
    tx.event(case_event(EventKind::CaseOpened, &access));
    tx.audit(access.audit(&actor, AuditAction::CaseCreate));
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// One case I may see.
#[utoipa::path(get, path = "/api/cases/{id}", tag = "cases", params(("id" = CaseId, Path), PurposeQuery),
    responses((status = 200, body = CaseResponse), crate::http::CommonErrors))]
async fn get_case(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<CaseId>,
    ApiQuery(query): ApiQuery<PurposeQuery>,
) -> AppResult<Json<CaseResponse>> {
    let mut tx = state.store.audited_read().await?;
    let (access, view) =
        authorize::read_case(&mut tx, &actor, id, query.need(), AuditAction::CaseRead).await?;
    tx.audit(access.audit(&actor, AuditAction::CaseRead));
    tx.commit().await?;
    Ok(Json(view.into()))
}

/// Changes title, status or responsible user (the owning organisation only).
#[utoipa::path(patch, path = "/api/cases/{id}",
    extensions(("x-field-rules" = json!(UPDATE_CASE_RULES))), tag = "cases", params(("id" = CaseId, Path)), request_body = UpdateCase,
    responses(
        (status = 200, body = CaseResponse),
        crate::http::problem::OwnerOnly,
        crate::http::CommonErrors,
    ))]
async fn update_case(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<CaseId>,
    ValidJson(body): ValidJson<UpdateCase>,
) -> AppResult<Json<CaseResponse>> {
    let mut tx = state.store.begin().await?;
    let write =
        authorize::authorize_case_write(&mut tx, &actor, id, AuditAction::CaseUpdate).await?;
    let status = handover::closing(&body)?;
    let before = cases::get(&mut tx, write.access()).await?;
    let handover_to = body
        .responsible_user_id
        .filter(|user| *user != before.responsible_user_id);
    if let Some(user) = body.responsible_user_id {
        caseworker_of_my_organisation(&mut tx, &actor, user).await?;
    }
    let note = handover::note(&body, handover_to.is_some())?;
    let change = CaseChange {
        title: body.title.as_deref().map(str::trim),
        status,
        responsible: handover_to,
    };
    cases::update(&mut tx, &write, &change).await?;
    if let Some(user) = handover_to {
        handover::record(&mut tx, &actor, &write, user, note).await?;
    }
    // Answered under the access held when the change began, even if a handover just ended it.
    let view = cases::get(&mut tx, write.access()).await?;
    tx.event(case_event(EventKind::CaseUpdated, write.access()));
    tx.audit(write.access().audit(&actor, AuditAction::CaseUpdate));
    tx.commit().await?;
    Ok(Json(view.into()))
}

fn case_event(kind: EventKind, access: &policy::CaseAccess) -> NewEvent {
    NewEvent {
        kind,
        case_id: Some(access.case_id()),
        individual_id: Some(access.individual_id()),
        subject_id: Some(access.case_id().to_string()),
        purpose: None,
        audience: Audience::Case,
        detail: Detail::None,
    }
}
