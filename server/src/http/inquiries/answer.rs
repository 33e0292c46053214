//! The clinic's answer: the lower part of the form, with the DFA chain (diagnos,
//! funktionsnedsättning, aktivitetsbegränsning) that must hang together.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::dto::trimmed;
use crate::domain::inquiry::{Extent, Icd10};
use crate::domain::{Timestamp, UserId};
use crate::error::{AppError, FieldError};
use crate::http::rfc3339;
use crate::http::rules::TextLine;
use crate::http::rules::{self, FieldRule};
use crate::store::inquiries::answer::{Answer, Diagnosis};

/// One diagnosis (Diagnos) of the DFA chain.
#[derive(Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiagnosisBody {
    #[validate(nested)]
    #[schema(inline)]
    pub text: TextLine<200>,
    /// ICD-10-SE code, e.g. `F32.1` or `M54`.
    #[validate(custom(function = "valid_icd10"))]
    #[schema(pattern = r"^[A-Za-z][0-9]{2}(\.[0-9][0-9A-Za-z]?)?$")]
    pub icd10: Option<String>,
}

fn valid_icd10(value: &str) -> Result<(), validator::ValidationError> {
    if Icd10::parse(value).is_some() {
        return Ok(());
    }
    let mut err = validator::ValidationError::new("invalid_icd10");
    err.message = Some("ange en ICD-10-kod, t.ex. F32.1 eller M54".into());
    Err(err)
}

/// To what extent the person can take part in activity or work: exactly one of the two.
#[derive(Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtentBody {
    /// Percent of full time, 0-100 (typically 25, 50, 75 or 100).
    #[validate(range(min = 0, max = 100, message = "0–100 procent"))]
    #[schema(minimum = 0, maximum = 100)]
    #[serde(default, deserialize_with = "rules::whole_number")]
    pub percent: Option<i64>,
    /// Hours per week, 0-40.
    #[validate(range(min = 0, max = 40, message = "0–40 timmar per vecka"))]
    #[schema(minimum = 0, maximum = 40)]
    #[serde(default, deserialize_with = "rules::whole_number")]
    pub hours_per_week: Option<i64>,
}

const LONG: u64 = 4000;

/// The clinic's answer: the lower part of the form.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInquiry {
    /// Is there a rehabilitation plan?
    pub has_rehab_plan: bool,
    /// Ongoing or planned medical investigation or treatment.
    #[validate(
        length(max = LONG, message = "högst 4000 tecken"),
        custom(function = "rules::blank_or_text")
    )]
    #[schema(max_length = 4000, pattern = "$text_or_blank")]
    pub ongoing_or_planned_investigation_treatment: Option<String>,
    /// Diagnos. When given, funktionsnedsättning and aktivitetsbegränsning are required too.
    #[serde(default)]
    #[validate(length(max = 10, message = "högst 10 diagnoser"), nested)]
    #[schema(max_items = 10)]
    pub diagnoses: Vec<DiagnosisBody>,
    /// Funktionsnedsättning (impairment).
    #[validate(
        length(max = LONG, message = "högst 4000 tecken"),
        custom(function = "rules::blank_or_text")
    )]
    #[schema(max_length = 4000, pattern = "$text_or_blank")]
    pub funktionsnedsattning: Option<String>,
    /// Aktivitetsbegränsning (activity limitation).
    #[validate(
        length(max = LONG, message = "högst 4000 tecken"),
        custom(function = "rules::blank_or_text")
    )]
    #[schema(max_length = 4000, pattern = "$text_or_blank")]
    pub aktivitetsbegransning: Option<String>,
    /// What works despite the impairment.
    #[validate(
        length(max = LONG, message = "högst 4000 tecken"),
        custom(function = "rules::blank_or_text")
    )]
    #[schema(max_length = 4000, pattern = "$text_or_blank")]
    pub what_works: Option<String>,
    /// Adaptations needed.
    #[validate(
        length(max = LONG, message = "högst 4000 tecken"),
        custom(function = "rules::blank_or_text")
    )]
    #[schema(max_length = 4000, pattern = "$text_or_blank")]
    pub adaptations: Option<String>,
    #[validate(nested)]
    pub extent: ExtentBody,
    /// What to avoid, e.g. arms above shoulder height.
    #[validate(
        length(max = LONG, message = "högst 4000 tecken"),
        custom(function = "rules::blank_or_text")
    )]
    #[schema(max_length = 4000, pattern = "$text_or_blank")]
    pub avoid: Option<String>,
    #[validate(
        length(max = LONG, message = "högst 4000 tecken"),
        custom(function = "rules::blank_or_text")
    )]
    #[schema(max_length = 4000, pattern = "$text_or_blank")]
    pub prognosis: Option<String>,
    #[validate(
        length(max = LONG, message = "högst 4000 tecken"),
        custom(function = "rules::blank_or_text")
    )]
    #[schema(max_length = 4000, pattern = "$text_or_blank")]
    pub recommendation: Option<String>,
    /// The treating doctor the answer was made with.
    #[validate(
        length(max = 200, message = "högst 200 tecken"),
        custom(function = "rules::blank_or_text")
    )]
    #[schema(max_length = 200, pattern = "$text_or_blank")]
    pub treating_doctor_name: Option<String>,
}

/// What an answer needs beyond its schema: the DFA chain hangs together, one measure of extent.
pub const ANSWER_RULES: &[FieldRule] = &[
    FieldRule::new(
        "funktionsnedsattning",
        "required_with_diagnosis",
        "given (not blank) when diagnoses are given",
    ),
    FieldRule::new(
        "aktivitetsbegransning",
        "required_with_diagnosis",
        "given (not blank) when diagnoses are given",
    ),
    FieldRule::new(
        "extent",
        "exactly_one",
        "exactly one of percent and hours_per_week",
    ),
];

impl AnswerInquiry {
    /// Checks that the DFA chain hangs together and the extent is one measure.
    pub fn into_answer(self, by: UserId, at: Timestamp) -> Result<Answer, AppError> {
        let mut errors = Vec::new();
        let funktionsnedsattning = trimmed(self.funktionsnedsattning);
        let aktivitetsbegransning = trimmed(self.aktivitetsbegransning);
        if !self.diagnoses.is_empty() {
            if funktionsnedsattning.is_none() {
                errors.push(FieldError::new(
                    "funktionsnedsattning",
                    "required_with_diagnosis",
                    "beskriv funktionsnedsättningen som följer av diagnosen",
                ));
            }
            if aktivitetsbegransning.is_none() {
                errors.push(FieldError::new(
                    "aktivitetsbegransning",
                    "required_with_diagnosis",
                    "beskriv aktivitetsbegränsningen som följer av funktionsnedsättningen",
                ));
            }
        }
        let extent = Extent::from_parts(self.extent.percent, self.extent.hours_per_week);
        if extent.is_none() {
            errors.push(FieldError::new(
                "extent",
                "exactly_one",
                "ange antingen procent av heltid eller timmar per vecka",
            ));
        }
        match (extent, errors.is_empty()) {
            (Some(extent), true) => Ok(Answer {
                has_rehab_plan: self.has_rehab_plan,
                investigation_treatment: trimmed(self.ongoing_or_planned_investigation_treatment),
                diagnoses: self
                    .diagnoses
                    .into_iter()
                    .map(|d| Diagnosis {
                        text: d.text.trim().to_owned(),
                        icd10: d.icd10.as_deref().and_then(Icd10::parse),
                    })
                    .collect(),
                funktionsnedsattning,
                aktivitetsbegransning,
                what_works: trimmed(self.what_works),
                adaptations: trimmed(self.adaptations),
                extent,
                avoid: trimmed(self.avoid),
                prognosis: trimmed(self.prognosis),
                recommendation: trimmed(self.recommendation),
                answered_by: by,
                answered_by_name: String::new(),
                treating_doctor_name: trimmed(self.treating_doctor_name),
                answered_at: at,
            }),
            _ => Err(AppError::Validation(errors)),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AnswerResponse {
    pub has_rehab_plan: bool,
    pub ongoing_or_planned_investigation_treatment: Option<String>,
    pub diagnoses: Vec<DiagnosisBody>,
    pub funktionsnedsattning: Option<String>,
    pub aktivitetsbegransning: Option<String>,
    pub what_works: Option<String>,
    pub adaptations: Option<String>,
    pub extent: ExtentBody,
    pub avoid: Option<String>,
    pub prognosis: Option<String>,
    pub recommendation: Option<String>,
    pub answered_by_user_id: UserId,
    pub answered_by_name: String,
    pub treating_doctor_name: Option<String>,
    pub answered_at: DateTime<Utc>,
}

impl From<Answer> for AnswerResponse {
    fn from(a: Answer) -> Self {
        Self {
            has_rehab_plan: a.has_rehab_plan,
            ongoing_or_planned_investigation_treatment: a.investigation_treatment,
            diagnoses: a
                .diagnoses
                .into_iter()
                .map(|d| DiagnosisBody {
                    text: TextLine::stored(d.text),
                    icd10: d.icd10.map(|c| c.as_str().to_owned()),
                })
                .collect(),
            funktionsnedsattning: a.funktionsnedsattning,
            aktivitetsbegransning: a.aktivitetsbegransning,
            what_works: a.what_works,
            adaptations: a.adaptations,
            extent: ExtentBody {
                percent: a.extent.percent(),
                hours_per_week: a.extent.hours_per_week(),
            },
            avoid: a.avoid,
            prognosis: a.prognosis,
            recommendation: a.recommendation,
            answered_by_user_id: a.answered_by,
            answered_by_name: a.answered_by_name,
            treating_doctor_name: a.treating_doctor_name,
            answered_at: rfc3339(a.answered_at),
        }
    }
}
