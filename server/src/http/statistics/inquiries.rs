//! `GET /api/statistics/inquiries`: the rehab inquiries an organisation sent or received, by
//! receiving clinic and how they stand, with the median answer time per clinic.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{period_or_current, respond, today, FiguresFormat};
use crate::access::{policy, CurrentUser};
use crate::app::AppState;
use crate::error::AppResult;
use crate::http::ApiQuery;
use crate::store::statistics;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(inquiry_figures))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FiguresQuery {
    /// A month `2026-11` or a tertial `2026T3` (T1 jan–apr, T2 maj–aug, T3 sep–dec), years
    /// 2000–2100; default the current tertial.
    #[param(pattern = r"^(20[0-9]{2}|2100)(-(0[1-9]|1[0-2])|[Tt][1-3])$")]
    pub period: Option<String>,
    /// `json` (default) or `csv`.
    #[param(inline)]
    pub format: Option<FiguresFormat>,
    /// The columns: how the inquiries stand (`decision`, default) or, over the declined
    /// ones, why they were declined (`decline_reason`).
    #[param(inline)]
    pub by: Option<InquiryBreakdown>,
}

/// What an inquiry table's columns are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InquiryBreakdown {
    #[default]
    Decision,
    DeclineReason,
}

/// Rehab inquiries my organisation sent or received that were sent in the period, by
/// receiving clinic (rows) and how each stands now (answered, declined, withdrawn, not yet
/// answered), with the median days to an answer per clinic. Counts below 5 show as `<5`, and
/// as many others as `x` as it takes that none can be worked out from the totals; a median
/// over fewer than five answers is `null`. With `by=decline_reason` the columns are the
/// decline reasons of the declined ones, without a measure. For leads, Finsam coordinators and the
/// `statistik` role; every read is audited as `statistics.read`.
#[utoipa::path(get, path = "/api/statistics/inquiries", tag = "statistics", params(FiguresQuery),
    responses(
        (status = 200, description = "Tabellen, som JSON eller (`format=csv`) som CSV-fil",
            content((super::Figures = "application/json"), (String = "text/csv"))),
        crate::http::problem::StatisticsReadersOnly,
        crate::http::CommonErrors,
    ))]
async fn inquiry_figures(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiQuery(query): ApiQuery<FiguresQuery>,
) -> AppResult<Response> {
    let scope = policy::require_statistics_reader(&actor)?;
    let period = period_or_current(query.period.as_deref(), today())?;
    let mut tx = state.store.begin().await?;
    let by = query.by.unwrap_or_default();
    let table = match by {
        InquiryBreakdown::Decision => {
            statistics::inquiries_by_clinic(&mut tx, &scope, period).await?
        }
        InquiryBreakdown::DeclineReason => {
            statistics::declines_by_clinic(&mut tx, &scope, period).await?
        }
    };
    tx.audit(scope.audit(&actor));
    tx.commit().await?;
    Ok(respond(
        query.format.unwrap_or_default(),
        match by {
            InquiryBreakdown::Decision => "forfragningar",
            InquiryBreakdown::DeclineReason => "avbojda-forfragningar",
        },
        period,
        "Mottagning",
        &table.suppress(),
    ))
}
