//! `GET /api/statistics/finsam`: the förbund's Finsam figures: the referrals sent to its team
//! by referring party and how they stand (or why declined, or by gender or age band), those
//! closed by outcome, and key figures beside the table.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Duration;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{period_or_current, respond, today, Figures, FiguresFormat};
use crate::access::{policy, CurrentUser};
use crate::app::AppState;
use crate::domain::statistics::{decimal, Shown, MIN_COUNT};
use crate::error::AppResult;
use crate::http::ApiQuery;
use crate::store::statistics::finsam::{key_figures, referrals_by_party, FinsamColumns};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(finsam_figures))
}

/// What the referral table's columns are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FinsamBreakdown {
    /// How each referral sent in the period stands now: waiting, accepted, declined,
    /// withdrawn (default), with the median days to the decision per party.
    #[default]
    Decision,
    /// The declined ones, by decline reason.
    DeclineReason,
    /// The referrals closed in the period, by outcome.
    Outcome,
    /// By the person's gender (from the personnummer).
    Gender,
    /// By the person's age band on the period's last day (or today, while it runs).
    AgeBand,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FinsamFiguresQuery {
    /// A month `2026-11` or a tertial `2026T3` (T1 jan–apr, T2 maj–aug, T3 sep–dec), years
    /// 2000–2100; default the current tertial.
    #[param(pattern = r"^(20[0-9]{2}|2100)(-(0[1-9]|1[0-2])|[Tt][1-3])$")]
    pub period: Option<String>,
    /// The table's columns (rows are always the referring parties).
    #[param(inline)]
    pub by: Option<FinsamBreakdown>,
    /// `json` (default) or `csv`.
    #[param(inline)]
    pub format: Option<FiguresFormat>,
}

/// A key figure beside the table, as shown.
#[derive(Serialize, ToSchema)]
pub struct FinsamFact {
    /// Stable key: `days_to_decision`, `days_to_first_meeting`, `active_plans`,
    /// `follow_ups`, `follow_ups_on_time`.
    pub key: &'static str,
    pub label: &'static str,
    /// A count (`<5` below five, `x` withheld), or days with a decimal comma; a median over
    /// fewer than five referrals is not shown.
    pub value: String,
}

/// The förbund's figures: the table and the key figures.
#[derive(Serialize, ToSchema)]
pub struct FinsamFigures {
    #[serde(flatten)]
    pub table: Figures,
    pub facts: Vec<FinsamFact>,
}

/// A median as shown: days with a decimal comma, or why not.
fn days(median: Option<(f64, u64)>) -> String {
    match median {
        Some((value, n)) if n >= MIN_COUNT => decimal(value),
        _ => format!("visas inte (färre än {MIN_COUNT})"),
    }
}

/// The förbund's Finsam referrals sent in the period (`period`, default the current
/// tertial), by referring party (rows) and, as `by` says, how each stands now, why declined,
/// gender or age band; with `by=outcome` those closed in the period by outcome. Beside the
/// table (`facts`, JSON only): median days from referral to decision and to the first team
/// meeting, active plans now, follow-ups done in the period and how many on time. Counts
/// below 5 show as `<5`, and as many others as `x` as it takes that none can be worked out
/// from the totals; a median over fewer than five is not shown; no person-level row leaves
/// the query. Counts only referrals sent to the caller's own organisation (a förbund). For
/// leads, Finsam coordinators and the `statistik` role; every read is audited as
/// `statistics.read`.
#[utoipa::path(get, path = "/api/statistics/finsam", tag = "statistics",
    params(FinsamFiguresQuery),
    responses(
        (status = 200, description = "Tabellen och nyckeltalen, som JSON, eller (`format=csv`) tabellen som CSV-fil",
            content((FinsamFigures = "application/json"), (String = "text/csv"))),
        crate::http::problem::StatisticsReadersOnly,
        crate::http::CommonErrors,
    ))]
async fn finsam_figures(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    ApiQuery(query): ApiQuery<FinsamFiguresQuery>,
) -> AppResult<Response> {
    let scope = policy::require_statistics_reader(&actor)?;
    let today = today();
    let period = period_or_current(query.period.as_deref(), today)?;
    let on = (period.end() - Duration::days(1)).min(today);
    let by = query.by.unwrap_or_default();
    let columns = match by {
        FinsamBreakdown::Decision => FinsamColumns::Decision,
        FinsamBreakdown::DeclineReason => FinsamColumns::DeclineReason,
        FinsamBreakdown::Outcome => FinsamColumns::Outcome,
        FinsamBreakdown::Gender => FinsamColumns::Gender,
        FinsamBreakdown::AgeBand => FinsamColumns::AgeBand,
    };
    let format = query.format.unwrap_or_default();
    let mut tx = state.store.begin().await?;
    let table = referrals_by_party(&mut tx, &scope, period, columns, on)
        .await?
        .suppress();
    let keys = match format {
        FiguresFormat::Json => Some(key_figures(&mut tx, &scope, period).await?),
        FiguresFormat::Csv => None,
    };
    tx.audit(scope.audit(&actor));
    tx.commit().await?;
    const HEADING: &str = "Anmälande part";
    let Some(keys) = keys else {
        let name = match by {
            FinsamBreakdown::Decision => "finsam-anmalningar",
            FinsamBreakdown::DeclineReason => "finsam-avbojda",
            FinsamBreakdown::Outcome => "finsam-utfall",
            FinsamBreakdown::Gender => "finsam-kon",
            FinsamBreakdown::AgeBand => "finsam-aldersgrupp",
        };
        return Ok(respond(format, name, period, HEADING, &table));
    };
    let follow_ups = keys.follow_ups.suppress();
    let active = keys.active_plans.suppress();
    let facts = vec![
        FinsamFact {
            key: "days_to_decision",
            label: "Mediantid från anmälan till beslut (dagar)",
            value: days(keys.days_to_decision),
        },
        FinsamFact {
            key: "days_to_first_meeting",
            label: "Mediantid från anmälan till första teammöte (dagar)",
            value: days(keys.days_to_first_meeting),
        },
        FinsamFact {
            key: "active_plans",
            label: "Aktiva planer i dag",
            value: active.total.text(),
        },
        FinsamFact {
            key: "follow_ups",
            label: "Uppföljningar gjorda under perioden",
            value: follow_ups.total.text(),
        },
        FinsamFact {
            key: "follow_ups_on_time",
            label: "varav i tid",
            value: follow_ups.cells[0]
                .first()
                .copied()
                .unwrap_or(Shown::Small)
                .text(),
        },
    ];
    Ok(Json(FinsamFigures {
        table: Figures::new(period, HEADING, &table),
        facts,
    })
    .into_response())
}
