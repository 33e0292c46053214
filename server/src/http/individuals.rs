//! Individuals: registration (one person, however many agencies register them) and reading.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

use super::rules::FieldRule;
use super::{ApiPath, ValidJson};
use crate::access::authorize;
use crate::access::policy;
use crate::access::CurrentUser;
use crate::app::AppState;
use crate::domain::AuditAction;
use crate::domain::{IndividualId, Personnummer};
use crate::error::{AppError, AppResult};
use crate::http::rules::TextLine;
use crate::store::audit::Outcome;
use crate::store::individuals::{self, Individual};

/// What registering an individual needs beyond its schema.
pub const REGISTER_RULES: &[FieldRule] = &[
    FieldRule::new("personnummer", "invalid_personnummer", "the first eight digits are a real date (the day plus 60 for a samordningsnummer) and the last is the Luhn check digit of the ten digits from the third on"),
];

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register_individual))
        .routes(routes!(get_individual))
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterIndividual {
    /// Personnummer or samordningsnummer, twelve digits (`ÅÅÅÅMMDDNNNK`, hyphen allowed).
    #[schema(example = "198112189876")]
    #[schema(pattern = r"^[0-9]{8}[-+]?[0-9]{4}$")]
    pub personnummer: String,
    #[validate(nested)]
    #[schema(inline)]
    pub name: TextLine<200>,
    /// Skyddade personuppgifter, as my organisation records it. Once set it stays set for my
    /// organisation; other organisations keep their own record.
    #[serde(default)]
    pub protected_identity: bool,
}

#[derive(Serialize, ToSchema)]
pub struct IndividualResponse {
    pub id: IndividualId,
    pub personnummer: String,
    pub name: String,
    pub protected_identity: bool,
    /// True when the number is a samordningsnummer.
    pub samordningsnummer: bool,
}

impl From<Individual> for IndividualResponse {
    fn from(i: Individual) -> Self {
        let samordningsnummer =
            Personnummer::parse(&i.personnummer).is_ok_and(|p| p.is_samordningsnummer());
        Self {
            id: i.id,
            personnummer: i.personnummer,
            name: i.name,
            protected_identity: i.protected_identity,
            samordningsnummer,
        }
    }
}

/// Registers an individual for my organisation. The same personnummer is always the same
/// individual, but each organisation keeps its own record: the answer is my organisation's
/// (the id and what we sent; registering again changes nothing but raising our protected
/// flag), never a name or flag another organisation stored.
#[utoipa::path(post, path = "/api/individuals",
    extensions(("x-field-rules" = json!(REGISTER_RULES))), tag = "individuals", request_body = RegisterIndividual, responses(
    (status = 201, body = IndividualResponse),
    crate::http::problem::NotCaseWork,
    crate::http::CommonErrors,
))]
async fn register_individual(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ValidJson(body): ValidJson<RegisterIndividual>,
) -> AppResult<(StatusCode, Json<IndividualResponse>)> {
    policy::require_works_cases(&actor, "Din roll arbetar inte med ärenden.")?;
    let personnummer = Personnummer::parse(&body.personnummer)
        .map_err(|e| AppError::field("personnummer", "invalid_personnummer", e.to_string()))?;
    let mut tx = state.store.begin().await?;
    let individual = individuals::register(
        &mut tx,
        &personnummer,
        body.name.trim(),
        body.protected_identity,
        actor.organisation_id,
        actor.user_id,
    )
    .await?;
    let mut entry = actor.audit(AuditAction::IndividualRegister, Outcome::Allowed);
    entry.individual_id = Some(individual.id);
    tx.audit(entry);
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(individual.into())))
}

/// An individual my organisation registered (our own record) or whose case I may see (the
/// case owner's record).
#[utoipa::path(get, path = "/api/individuals/{id}", tag = "individuals", params(("id" = IndividualId, Path)),
    responses((status = 200, body = IndividualResponse), crate::http::CommonErrors))]
async fn get_individual(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiPath(id): ApiPath<IndividualId>,
) -> AppResult<Json<IndividualResponse>> {
    let mut tx = state.store.audited_read().await?;
    let access =
        authorize::authorize_individual(&mut tx, &actor, id, AuditAction::IndividualRead).await?;
    let individual = individuals::get(&mut tx, &access).await?;
    tx.audit(access.audit(&actor, AuditAction::IndividualRead));
    tx.commit().await?;
    Ok(Json(individual.into()))
}
