//! The clinic's answer to an inquiry, written once when it is answered.

use serde::{Deserialize, Serialize};

use super::json_error;
use crate::access::policy::InquiryAccess;
use crate::domain::inquiry::{Extent, Icd10};
use crate::domain::{InquiryId, Timestamp, UserId};
use crate::store::{Reads, RowExt, Sql, StoreError, StoreResult, Tx};

/// One diagnosis of the DFA chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnosis {
    pub text: String,
    pub icd10: Option<Icd10>,
}

#[derive(Serialize, Deserialize)]
struct StoredDiagnosis {
    text: String,
    icd10: Option<String>,
}

/// The clinic's part (the lower half of the form).
#[derive(Clone, Debug)]
pub struct Answer {
    pub has_rehab_plan: bool,
    pub investigation_treatment: Option<String>,
    pub diagnoses: Vec<Diagnosis>,
    pub funktionsnedsattning: Option<String>,
    pub aktivitetsbegransning: Option<String>,
    pub what_works: Option<String>,
    pub adaptations: Option<String>,
    pub extent: Extent,
    pub avoid: Option<String>,
    pub prognosis: Option<String>,
    pub recommendation: Option<String>,
    pub answered_by: UserId,
    /// Filled in when read back.
    pub answered_by_name: String,
    pub treating_doctor_name: Option<String>,
    pub answered_at: Timestamp,
}

pub async fn insert(tx: &mut Tx, access: &InquiryAccess, answer: &Answer) -> StoreResult<()> {
    let diagnoses: Vec<StoredDiagnosis> = answer
        .diagnoses
        .iter()
        .map(|d| StoredDiagnosis {
            text: d.text.clone(),
            icd10: d.icd10.as_ref().map(|c| c.as_str().to_owned()),
        })
        .collect();
    let mut sql = Sql::new(
        "INSERT INTO inquiry_answers (inquiry_id, has_rehab_plan, investigation_treatment, diagnoses, \
         funktionsnedsattning, aktivitetsbegransning, what_works, adaptations, extent_percent, \
         extent_hours_per_week, avoid, prognosis, recommendation, answered_by_user_id, \
         treating_doctor_name, answered_at) VALUES (",
    );
    sql.bind(access.inquiry_id().to_string())
        .push(", ")
        .bind(i64::from(answer.has_rehab_plan))
        .push(", ");
    sql.bind(answer.investigation_treatment.clone())
        .push(", ")
        .bind(serde_json::to_string(&diagnoses).map_err(json_error)?)
        .push(", ");
    sql.bind(answer.funktionsnedsattning.clone())
        .push(", ")
        .bind(answer.aktivitetsbegransning.clone())
        .push(", ");
    sql.bind(answer.what_works.clone())
        .push(", ")
        .bind(answer.adaptations.clone())
        .push(", ");
    sql.bind(answer.extent.percent())
        .push(", ")
        .bind(answer.extent.hours_per_week())
        .push(", ");
    sql.bind(answer.avoid.clone())
        .push(", ")
        .bind(answer.prognosis.clone())
        .push(", ")
        .bind(answer.recommendation.clone())
        .push(", ");
    sql.bind(answer.answered_by.to_string())
        .push(", ")
        .bind(answer.treating_doctor_name.clone())
        .push(", ")
        .bind(answer.answered_at.micros())
        .push(")");
    sql.execute(tx).await?;
    Ok(())
}

pub(super) async fn of(tx: &mut impl Reads, id: InquiryId) -> StoreResult<Option<Answer>> {
    let mut sql = Sql::new(
        "SELECT a.*, u.display_name AS answered_by_name FROM inquiry_answers a \
         JOIN users u ON u.id = a.answered_by_user_id WHERE a.inquiry_id = ",
    );
    sql.bind(id.to_string());
    let Some(row) = sql.fetch_optional(tx).await? else {
        return Ok(None);
    };
    let stored: Vec<StoredDiagnosis> =
        serde_json::from_str(&row.text("diagnoses")?).map_err(json_error)?;
    let extent = Extent::from_parts(
        row.opt_int("extent_percent")?,
        row.opt_int("extent_hours_per_week")?,
    )
    .ok_or_else(|| StoreError::Other(anyhow::anyhow!("stored extent is not exactly one")))?;
    Ok(Some(Answer {
        has_rehab_plan: row.int("has_rehab_plan")? != 0,
        investigation_treatment: row.opt_text("investigation_treatment")?,
        diagnoses: stored
            .into_iter()
            .map(|d| Diagnosis {
                text: d.text,
                icd10: d.icd10.as_deref().and_then(Icd10::parse),
            })
            .collect(),
        funktionsnedsattning: row.opt_text("funktionsnedsattning")?,
        aktivitetsbegransning: row.opt_text("aktivitetsbegransning")?,
        what_works: row.opt_text("what_works")?,
        adaptations: row.opt_text("adaptations")?,
        extent,
        avoid: row.opt_text("avoid")?,
        prognosis: row.opt_text("prognosis")?,
        recommendation: row.opt_text("recommendation")?,
        answered_by: row.id("answered_by_user_id")?,
        answered_by_name: row.text("answered_by_name")?,
        treating_doctor_name: row.opt_text("treating_doctor_name")?,
        answered_at: Timestamp::from_micros(row.int("answered_at")?),
    }))
}
