//! Figures (group statistics): the shared response of every figures route, as JSON or, with
//! `?format=csv`, as a CSV file for Excel, and the routes themselves (`inquiries`). A figures
//! route asks `policy::require_statistics_reader` for its scope, counts through a
//! `store::statistics` query that takes it, audits `scope.audit(&actor)` and answers
//! [`respond`] with the suppressed table.

mod finsam;
mod fordjupad;
mod inquiries;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;
use crate::domain::statistics::{to_csv, Period, Suppressed};
use crate::error::AppError;

pub fn router() -> OpenApiRouter<AppState> {
    inquiries::router()
        .merge(fordjupad::router())
        .merge(finsam::router())
}

/// The pattern of `period`, as the OpenAPI document states it.
pub const PERIOD_PATTERN: &str = r"^(20[0-9]{2}|2100)(-(0[1-9]|1[0-2])|[Tt][1-3])$";

/// How figures are sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FiguresFormat {
    #[default]
    Json,
    /// `text/csv; charset=utf-8`, `;`-separated with a byte-order mark, as a download.
    Csv,
}

/// The period asked for (`2026-11`, `2026T3`), or the current tertial when none is given;
/// a field error `invalid_period` on `period` otherwise.
pub fn period_or_current(period: Option<&str>, today: NaiveDate) -> Result<Period, AppError> {
    match period {
        None => Ok(Period::tertial_of(today)),
        Some(text) => text
            .parse()
            .map_err(|e: crate::domain::statistics::PeriodError| {
                AppError::field("period", "invalid_period", e.to_string())
            }),
    }
}

/// Today (UTC), for the default period.
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// A column of the table.
#[derive(Serialize, ToSchema)]
pub struct FiguresColumn {
    /// Stable key, e.g. `answered`.
    pub key: String,
    pub label: String,
}

/// A count as shown: the number, `<5` for a count below five (zero included), or `x` for a
/// count of five or more withheld so that no `<5` can be worked out from the totals.
#[derive(Serialize, ToSchema)]
pub struct FiguresCell {
    /// The column's key.
    pub column: String,
    #[schema(pattern = r"^([0-9]+|<5|x)$", example = "12")]
    pub value: String,
}

/// A row: its cells in the columns' order, its total and its measure.
#[derive(Serialize, ToSchema)]
pub struct FiguresRow {
    /// Stable key (e.g. an organisation's id).
    pub key: String,
    pub label: String,
    pub cells: Vec<FiguresCell>,
    #[schema(pattern = r"^([0-9]+|<5|x)$", example = "<5")]
    pub total: String,
    /// The row's measure (see `measure_label`), rounded to one decimal; `null` when there
    /// is none or it stands on fewer than five observations.
    pub measure: Option<f64>,
}

/// A table of figures with small counts suppressed; never a person-level row.
#[derive(Serialize, ToSchema)]
pub struct Figures {
    /// The period counted, `2026T3` or `2026-11`.
    pub period: String,
    /// The period in Swedish, e.g. `tertial 3 2026 (sep–dec)`.
    pub period_label: String,
    /// What the rows are, e.g. `Mottagning`.
    pub row_heading: String,
    pub columns: Vec<FiguresColumn>,
    pub rows: Vec<FiguresRow>,
    /// The column totals, in the columns' order.
    pub column_totals: Vec<FiguresCell>,
    #[schema(pattern = r"^([0-9]+|<5|x)$")]
    pub total: String,
    /// What each row's `measure` is, e.g. `Mediantid till svar (dagar)`; `null`: none.
    pub measure_label: Option<String>,
    /// Whether any count is withheld (`<5` or `x`).
    pub suppressed: bool,
}

impl Figures {
    pub fn new(period: Period, row_heading: &str, table: &Suppressed) -> Self {
        let cells = |shown: &[crate::domain::statistics::Shown]| {
            table
                .columns
                .iter()
                .zip(shown)
                .map(|(c, s)| FiguresCell {
                    column: c.key.clone(),
                    value: s.text(),
                })
                .collect()
        };
        let measure = |r: usize| {
            table
                .measure
                .as_ref()
                .and_then(|m| m.values[r])
                .map(|v| (v * 10.0).round() / 10.0)
        };
        Figures {
            period: period.to_string(),
            period_label: period.label(),
            row_heading: row_heading.to_owned(),
            columns: table
                .columns
                .iter()
                .map(|c| FiguresColumn {
                    key: c.key.clone(),
                    label: c.label.clone(),
                })
                .collect(),
            rows: table
                .rows
                .iter()
                .enumerate()
                .map(|(r, h)| FiguresRow {
                    key: h.key.clone(),
                    label: h.label.clone(),
                    cells: cells(&table.cells[r]),
                    total: table.row_totals[r].text(),
                    measure: measure(r),
                })
                .collect(),
            column_totals: cells(&table.column_totals),
            total: table.total.text(),
            measure_label: table.measure.as_ref().map(|m| m.label.clone()),
            suppressed: table.any_suppressed(),
        }
    }
}

/// The figures as JSON, or as a CSV download named `{name}-{period}.csv` (`name` is the
/// route's fixed word, so the file name carries no personal data).
pub fn respond(
    format: FiguresFormat,
    name: &'static str,
    period: Period,
    row_heading: &str,
    table: &Suppressed,
) -> Response {
    match format {
        FiguresFormat::Json => Json(Figures::new(period, row_heading, table)).into_response(),
        FiguresFormat::Csv => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}-{period}.csv\""),
                ),
            ],
            to_csv(table, row_heading),
        )
            .into_response(),
    }
}
