//! Fördjupad samverkan's figures (the steering group's table, seed 004): the organisation's
//! caseload as it stood on a day, counted inside the database. Each client is classified by
//! what the stored history says on that day (the latest decision, phase and coding on or
//! before it; a progressionsplan adopted by then; the phase unchanged for N months) and the
//! query returns only counts per combination of those classes and the column, never a row
//! per person.

use chrono::{Months, NaiveDate};

use super::{micros, push_age_band, push_gender};
use crate::access::policy::StatisticsScope;
use crate::domain::fordjupad::{
    FollowUpKind, IntakeDecision, PhaseOutcome, PhaseScale, TargetGroupCode,
};
use crate::domain::plan::PlanKind;
use crate::domain::statistics::{AgeBand, Gender, Heading, Table};
use crate::store::{RowExt, Sql, StoreResult, Tx};

/// Which table: what its rows are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FigureRows {
    /// The phase groups (see `PhaseGroup`).
    Phase,
    /// The target group by coding: sick leave without SGI, social-medical obstacles, both,
    /// neither.
    TargetGroup,
    /// 12 months or more on assistance, fewer, not coded.
    Assistance,
    /// With a progressionsplan adopted, without.
    Plan,
    /// The phase unchanged for the stall months, changed within them, not assessed.
    Stall,
    /// Follow-ups escalated in the twelve months up to the day, by kind.
    Escalations,
}

/// What the columns are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FigureColumns {
    Gender,
    AgeBand,
    /// The same day a year before, and the day.
    Year,
}

/// One class of clients on a day, and how many of them fall in a column.
struct Class {
    phase: Option<u8>,
    /// The outcome recorded with the phase (top phase only).
    outcome: Option<PhaseOutcome>,
    sgi: bool,
    smh: bool,
    /// 12 months or more on assistance; `None`: not coded.
    long_term: Option<bool>,
    plan: bool,
    stalled: bool,
    column: String,
    n: u64,
}

fn push_column(sql: &mut Sql, columns: FigureColumns, on: NaiveDate, year_key: &'static str) {
    match columns {
        FigureColumns::Gender => push_gender(sql, "i.personnummer"),
        FigureColumns::AgeBand => push_age_band(sql, "i.personnummer", on),
        FigureColumns::Year => {
            sql.bind(year_key);
        }
    }
}

const FROM_CASES: &str = " FROM fordjupad_cases f JOIN cases c ON c.id = f.case_id \
     JOIN individual_records i ON i.id = c.individual_id AND i.organisation_id = c.owner_organisation_id WHERE ";

/// The classes of the organisation's clients on `on`: brought on or before it and, by the
/// decision standing then, in fördjupad samverkan.
async fn classes(
    tx: &mut Tx,
    scope: &StatisticsScope,
    on: NaiveDate,
    stall_months: u32,
    columns: FigureColumns,
    year_key: &'static str,
) -> StoreResult<Vec<Class>> {
    let day = on.to_string();
    let end = micros(on + chrono::Duration::days(1));
    let stall_from = on
        .checked_sub_months(Months::new(stall_months))
        .unwrap_or(NaiveDate::MIN)
        .to_string();
    let mut sql = Sql::new(
        "SELECT phase, outcome, sgi, smh, long_term, has_plan, stalled, col, COUNT(*) AS n FROM (\
         SELECT phase, outcome, sgi, smh, CASE WHEN months IS NULL THEN NULL WHEN months >= 12 THEN 1 ELSE 0 END AS long_term, \
         has_plan, CASE WHEN phase IS NOT NULL AND phase_then = phase AND phases_since <= 1 THEN 1 ELSE 0 END AS stalled, \
         col FROM (SELECT ",
    );
    sql.push("(SELECT d.decision FROM fordjupad_decisions d WHERE d.case_id = f.case_id AND d.decided_on <= ")
        .bind(day.as_str())
        .push(" ORDER BY d.decided_on DESC, d.recorded_at DESC LIMIT 1) AS decision, ")
        .push("(SELECT p.phase FROM fordjupad_phases p WHERE p.case_id = f.case_id AND p.assessed_on <= ")
        .bind(day.as_str())
        .push(" ORDER BY p.assessed_on DESC, p.recorded_at DESC LIMIT 1) AS phase, ")
        .push("(SELECT p.outcome FROM fordjupad_phases p WHERE p.case_id = f.case_id AND p.assessed_on <= ")
        .bind(day.as_str())
        .push(" ORDER BY p.assessed_on DESC, p.recorded_at DESC LIMIT 1) AS outcome, ")
        .push("(SELECT p.phase FROM fordjupad_phases p WHERE p.case_id = f.case_id AND p.assessed_on <= ")
        .bind(stall_from.as_str())
        .push(" ORDER BY p.assessed_on DESC, p.recorded_at DESC LIMIT 1) AS phase_then, ")
        .push("(SELECT COUNT(DISTINCT p.phase) FROM fordjupad_phases p WHERE p.case_id = f.case_id AND p.assessed_on > ")
        .bind(stall_from.as_str())
        .push(" AND p.assessed_on <= ")
        .bind(day.as_str())
        .push(") AS phases_since, ");
    for (name, code) in [
        ("sgi", TargetGroupCode::SjukskrivenUtanSgi),
        ("smh", TargetGroupCode::SocialmedicinskaHinder),
    ] {
        sql.push("(SELECT CASE WHEN k.codes LIKE ")
            .bind(format!("%\"{}\"%", code.code()))
            .push(" THEN 1 ELSE 0 END FROM fordjupad_codings k WHERE k.case_id = f.case_id AND k.recorded_at < ")
            .bind(end)
            .push(&format!(" ORDER BY k.recorded_at DESC LIMIT 1) AS {name}, "));
    }
    sql.push("(SELECT k.months_on_assistance FROM fordjupad_codings k WHERE k.case_id = f.case_id AND k.recorded_at < ")
        .bind(end)
        .push(" ORDER BY k.recorded_at DESC LIMIT 1) AS months, ")
        .push("CASE WHEN EXISTS (SELECT 1 FROM plans pl WHERE pl.case_id = f.case_id AND pl.kind = ")
        .bind(PlanKind::Progressionsplan.code())
        .push(" AND pl.version > 0 AND pl.created_at < ")
        .bind(end)
        .push(") THEN 1 ELSE 0 END AS has_plan, ");
    push_column(&mut sql, columns, on, year_key);
    sql.push(" AS col").push(FROM_CASES);
    scope.push_own_fordjupad(&mut sql);
    sql.push(" AND f.brought_on <= ")
        .bind(day.as_str())
        .push(") s0 WHERE decision IS NOT NULL AND decision <> ")
        .bind(IntakeDecision::Ingen.code())
        .push(") s1 GROUP BY phase, outcome, sgi, smh, long_term, has_plan, stalled, col");
    let flag = |row: &sqlx::any::AnyRow, name: &str| -> StoreResult<Option<bool>> {
        Ok(row.opt_int(name)?.map(|v| v != 0))
    };
    sql.fetch_all(tx)
        .await?
        .iter()
        .map(|row| {
            Ok(Class {
                phase: row.opt_int("phase")?.and_then(|p| u8::try_from(p).ok()),
                outcome: row
                    .opt_text("outcome")?
                    .and_then(|c| PhaseOutcome::from_code(&c)),
                sgi: flag(row, "sgi")?.unwrap_or(false),
                smh: flag(row, "smh")?.unwrap_or(false),
                long_term: flag(row, "long_term")?,
                plan: flag(row, "has_plan")?.unwrap_or(false),
                stalled: flag(row, "stalled")?.unwrap_or(false),
                column: row.text("col")?,
                n: u64::try_from(row.int("n")?).unwrap_or(0),
            })
        })
        .collect()
}

/// The rows of a table, in order.
fn row_headings(rows: FigureRows, stall_months: u32) -> Vec<Heading> {
    use crate::domain::fordjupad::phase::PhaseGroup;
    let pairs: Vec<(String, String)> = match rows {
        FigureRows::Phase => PhaseGroup::ALL
            .iter()
            .map(|g| (g.code().to_owned(), g.label().to_owned()))
            .collect(),
        FigureRows::TargetGroup => vec![
            ("sjukskriven_utan_sgi".into(), "Sjukskriven utan SGI".into()),
            (
                "socialmedicinska_hinder".into(),
                "Socialmedicinska hinder".into(),
            ),
            ("both".into(), "Båda".into()),
            ("outside".into(), "Utanför målgruppen eller ej kodad".into()),
        ],
        FigureRows::Assistance => vec![
            ("12_or_more".into(), "Bistånd 12 månader eller mer".into()),
            ("under_12".into(), "Bistånd under 12 månader".into()),
            ("not_coded".into(), "Ej kodad".into()),
        ],
        FigureRows::Plan => vec![
            ("with_plan".into(), "Med progressionsplan".into()),
            ("without_plan".into(), "Utan progressionsplan".into()),
        ],
        FigureRows::Stall => vec![
            (
                "stalled".into(),
                format!("Samma fas i minst {stall_months} månader"),
            ),
            (
                "moving".into(),
                format!("Ny fas inom {stall_months} månader"),
            ),
            ("not_assessed".into(), "Fas ej bedömd".into()),
        ],
        FigureRows::Escalations => vec![
            (
                FollowUpKind::Escalation.code().into(),
                "Inget hänt på 2 månader".into(),
            ),
            (
                FollowUpKind::AvstamningOverdue.code().into(),
                "Avstämning inte bokad i tid".into(),
            ),
        ],
    };
    pairs.into_iter().map(|(k, l)| Heading::new(k, l)).collect()
}

/// The row a class of clients counts in.
fn row_of(rows: FigureRows, scale: PhaseScale, class: &Class) -> &'static str {
    match rows {
        FigureRows::Phase => scale.group(class.phase, class.outcome).code(),
        FigureRows::TargetGroup => match (class.sgi, class.smh) {
            (true, false) => "sjukskriven_utan_sgi",
            (false, true) => "socialmedicinska_hinder",
            (true, true) => "both",
            (false, false) => "outside",
        },
        FigureRows::Assistance => match class.long_term {
            Some(true) => "12_or_more",
            Some(false) => "under_12",
            None => "not_coded",
        },
        FigureRows::Plan if class.plan => "with_plan",
        FigureRows::Plan => "without_plan",
        FigureRows::Stall if class.phase.is_none() => "not_assessed",
        FigureRows::Stall if class.stalled => "stalled",
        FigureRows::Stall => "moving",
        FigureRows::Escalations => "",
    }
}

fn column_headings(columns: FigureColumns, on: NaiveDate) -> Vec<Heading> {
    match columns {
        FigureColumns::Gender => Gender::ALL
            .iter()
            .map(|g| Heading::new(g.code(), g.label()))
            .collect(),
        FigureColumns::AgeBand => AgeBand::ALL
            .iter()
            .map(|b| Heading::new(b.code(), b.label()))
            .collect(),
        FigureColumns::Year => vec![
            Heading::new("year_before", format!("{}", year_before(on))),
            Heading::new("now", format!("{on}")),
        ],
    }
}

fn year_before(on: NaiveDate) -> NaiveDate {
    on.checked_sub_months(Months::new(12))
        .unwrap_or(NaiveDate::MIN)
}

/// Escalated follow-ups of the organisation's cases due in the twelve months up to `on`, by
/// kind and column (for `Year`, the twelve months before each day).
async fn escalations(
    tx: &mut Tx,
    scope: &StatisticsScope,
    on: NaiveDate,
    columns: FigureColumns,
    year_key: &'static str,
    table: &mut Table,
) -> StoreResult<()> {
    let mut sql = Sql::new("SELECT e.kind AS kind, ");
    push_column(&mut sql, columns, on, year_key);
    sql.push(" AS col, COUNT(*) AS n FROM fordjupad_follow_ups e JOIN fordjupad_cases f ON f.case_id = e.case_id \
         JOIN cases c ON c.id = f.case_id JOIN individual_records i ON i.id = c.individual_id \
         AND i.organisation_id = c.owner_organisation_id WHERE ");
    scope.push_own_fordjupad(&mut sql);
    sql.push(" AND e.kind IN (")
        .bind(FollowUpKind::Escalation.code())
        .push(", ")
        .bind(FollowUpKind::AvstamningOverdue.code())
        .push(") AND e.due_on > ")
        .bind(year_before(on).to_string())
        .push(" AND e.due_on <= ")
        .bind(on.to_string())
        .push(" GROUP BY e.kind, col");
    for row in sql.fetch_all(tx).await? {
        let n = u64::try_from(row.int("n")?).unwrap_or(0);
        table.add(&row.text("kind")?, &row.text("col")?, n);
    }
    Ok(())
}

/// The table of the organisation's caseload on `on`: `rows` by `columns`, phases grouped on
/// `scale`, a phase stalled when unchanged for `stall_months`.
pub async fn caseload_figures(
    tx: &mut Tx,
    scope: &StatisticsScope,
    on: NaiveDate,
    rows: FigureRows,
    columns: FigureColumns,
    scale: PhaseScale,
    stall_months: u32,
) -> StoreResult<Table> {
    let mut table = Table::new(
        row_headings(rows, stall_months),
        column_headings(columns, on),
    );
    let days: Vec<(NaiveDate, &'static str)> = match columns {
        FigureColumns::Year => vec![(year_before(on), "year_before"), (on, "now")],
        _ => vec![(on, "")],
    };
    for (day, key) in days {
        if rows == FigureRows::Escalations {
            escalations(tx, scope, day, columns, key, &mut table).await?;
            continue;
        }
        for class in classes(tx, scope, day, stall_months, columns, key).await? {
            table.add(row_of(rows, scale, &class), &class.column, class.n);
        }
    }
    Ok(table)
}
