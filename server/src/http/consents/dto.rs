//! What the consent routes take and give, and the rules recording one checks beyond its schema.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::domain::{
    CaseId, ConsentForm, ConsentId, ConsentStatus, IndividualId, OrganisationId, Purpose,
    Timestamp, UserId,
};
use crate::http::rules::FieldRule;
use crate::http::{not_blank, rfc3339};
use crate::store::consents::Consent;

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
        custom(function = "crate::http::rules::blank_or_line")
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
