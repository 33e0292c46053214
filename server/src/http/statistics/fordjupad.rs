//! `GET /api/statistics/fordjupad`: the steering group's table of fördjupad samverkan (seed
//! 004) for a day or the end of a period: the organisation's clients by phase group, target
//! group, months on assistance, progressionsplan or stalled phase, or its escalations; by
//! gender, age band, or the day against the same day a year before.

use axum::extract::State;
use axum::response::Response;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{period_or_current, respond, today, FiguresFormat};
use crate::access::{policy, CurrentUser};
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::http::{in_range, ApiQuery};
use crate::store::statistics::fordjupad::{caseload_figures, FigureColumns, FigureRows};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(fordjupad_figures))
}

/// What the table's rows are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FordjupadFigureRows {
    /// Phase groups: not assessed, planning, collaboration, an effort, self-supporting or all
    /// paths exhausted.
    #[default]
    Phase,
    /// Sick leave without SGI, social-medical obstacles, both, neither (by coding).
    TargetGroup,
    /// 12 months or more on assistance, fewer, not coded.
    Assistance,
    /// With a progressionsplan adopted, without.
    Plan,
    /// Phase unchanged for `stall_months`, changed within them, not assessed.
    Stall,
    /// Follow-ups escalated in the twelve months up to the day, by kind.
    Escalations,
}

/// What the table's columns are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FordjupadFigureColumns {
    #[default]
    Gender,
    AgeBand,
    /// The same day a year before, and the day.
    Year,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FordjupadFiguresQuery {
    /// The day counted (today or earlier); instead of `period`.
    pub date: Option<NaiveDate>,
    /// A month `2026-11` or a tertial `2026T3`: counted on its last day (or today, while it
    /// runs); default the current tertial.
    #[param(pattern = r"^(20[0-9]{2}|2100)(-(0[1-9]|1[0-2])|[Tt][1-3])$")]
    pub period: Option<String>,
    #[param(inline)]
    pub table: Option<FordjupadFigureRows>,
    #[param(inline)]
    pub by: Option<FordjupadFigureColumns>,
    /// Months a phase must stand unchanged to count as stalled (1-24, default 6).
    #[param(minimum = 1, maximum = 24)]
    pub stall_months: Option<i64>,
    /// `json` (default) or `csv`.
    #[param(inline)]
    pub format: Option<FiguresFormat>,
}

/// The organisation's fördjupad samverkan on a day (`date`, or the last day of `period` up to
/// today): its clients (brought and, by the decision standing then, in fördjupad
/// samverkan) counted by the rows `table` names and the columns `by` names, each client once,
/// from the stored history of decisions, phases (grouped on the configured scale), codings
/// and plans. Counts below 5 show as `<5`, and as many others as `x` as it takes that none
/// can be worked out from the totals; no person-level row leaves the query. For leads,
/// Finsam coordinators and the `statistik` role; every read is audited as `statistics.read`.
#[utoipa::path(get, path = "/api/statistics/fordjupad", tag = "statistics",
    params(FordjupadFiguresQuery),
    extensions(("x-field-rules" = json!([
        {"field": "date", "code": "in_the_future", "rule": "today or earlier"},
        {"field": "date", "code": "date_or_period", "rule": "date and period are not given together"},
    ]))),
    responses(
        (status = 200, description = "Tabellen, som JSON eller (`format=csv`) som CSV-fil",
            content((super::Figures = "application/json"), (String = "text/csv"))),
        crate::http::problem::StatisticsReadersOnly,
        crate::http::CommonErrors,
    ))]
async fn fordjupad_figures(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiQuery(query): ApiQuery<FordjupadFiguresQuery>,
) -> AppResult<Response> {
    let scope = policy::require_statistics_reader(&actor)?;
    let today = today();
    let stall_months = in_range("stall_months", query.stall_months, 1..=24)?.unwrap_or(6);
    let (period, on) = match (query.date, query.period.as_deref()) {
        (Some(_), Some(_)) => {
            return Err(AppError::field(
                "date",
                "date_or_period",
                "ange antingen datum eller period",
            ))
        }
        (Some(date), None) if date > today => {
            return Err(AppError::field(
                "date",
                "in_the_future",
                "datumet kan inte ligga i framtiden",
            ))
        }
        (Some(date), None) => (crate::domain::statistics::Period::tertial_of(date), date),
        (None, text) => {
            let period = period_or_current(text, today)?;
            (period, (period.end() - Duration::days(1)).min(today))
        }
    };
    let rows = match query.table.unwrap_or_default() {
        FordjupadFigureRows::Phase => FigureRows::Phase,
        FordjupadFigureRows::TargetGroup => FigureRows::TargetGroup,
        FordjupadFigureRows::Assistance => FigureRows::Assistance,
        FordjupadFigureRows::Plan => FigureRows::Plan,
        FordjupadFigureRows::Stall => FigureRows::Stall,
        FordjupadFigureRows::Escalations => FigureRows::Escalations,
    };
    let columns = match query.by.unwrap_or_default() {
        FordjupadFigureColumns::Gender => FigureColumns::Gender,
        FordjupadFigureColumns::AgeBand => FigureColumns::AgeBand,
        FordjupadFigureColumns::Year => FigureColumns::Year,
    };
    let mut tx = state.store.begin().await?;
    let table = caseload_figures(
        &mut tx,
        &scope,
        on,
        rows,
        columns,
        state.settings.fordjupad.phase_scale,
        u32::try_from(stall_months).unwrap_or(6),
    )
    .await?;
    tx.audit(scope.audit(&actor));
    tx.commit().await?;
    let heading = match rows {
        FigureRows::Escalations => "Eskalerade uppföljningar",
        _ => "Klienter i fördjupad samverkan",
    };
    Ok(respond(
        query.format.unwrap_or_default(),
        "fordjupad-samverkan",
        period,
        heading,
        &table.suppress(),
    ))
}
