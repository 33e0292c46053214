//! The figures' queries: each counts inside the database (GROUP BY, a median by window
//! functions) so that no person-level row leaves the query, and each takes the policy's
//! [`StatisticsScope`], which keeps the count to what the caller's organisation may count.

use chrono::NaiveDate;

pub mod finsam;
pub mod fordjupad;

use super::{RowExt, Sql, StoreResult, Tx};
use crate::access::policy::StatisticsScope;
use crate::domain::statistics::{AgeBand, Heading, Period, Table};
use crate::domain::{DeclineReason, InquiryState};

/// Pushes a text expression: the [`crate::domain::statistics::Gender`] code (`kvinna`, `man`)
/// of the twelve-digit personnummer in `column`, computed in the query so that counts by
/// gender need no person's number to leave it. Agrees with `Gender::of` (tested on both stores).
pub fn push_gender(sql: &mut Sql, column: &'static str) {
    sql.push(&format!(
        "(CASE WHEN CAST(SUBSTR({column}, 11, 1) AS INTEGER) % 2 = 1 THEN 'man' ELSE 'kvinna' END)"
    ));
}

/// Pushes a text expression: the [`AgeBand`] code of the personnummer in `column` on `on`.
/// Whole years are `(on − born) / 10000` over the dates as `YYYYMMDD` numbers (a
/// samordningsnummer's day less 60), which counts a birthday as `AgeBand::of` does.
pub fn push_age_band(sql: &mut Sql, column: &'static str, on: NaiveDate) {
    let today = on.format("%Y%m%d").to_string();
    let age = format!(
        "(({today} - (CAST(SUBSTR({column}, 1, 8) AS INTEGER) - CASE WHEN \
         CAST(SUBSTR({column}, 7, 2) AS INTEGER) > 60 THEN 60 ELSE 0 END)) / 10000)"
    );
    sql.push("(CASE");
    for (from, band) in [
        (67, AgeBand::From67),
        (60, AgeBand::From60To66),
        (50, AgeBand::From50To59),
        (40, AgeBand::From40To49),
        (30, AgeBand::From30To39),
        (16, AgeBand::From16To29),
    ] {
        sql.push(&format!(" WHEN {age} >= {from} THEN '{}'", band.code()));
    }
    sql.push(&format!(" ELSE '{}' END)", AgeBand::Under16.code()));
}

/// Midnight UTC of a date, in the stores' microseconds.
fn micros(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp_micros())
}

/// How an inquiry sent in the period stands now: the table's columns, in order.
pub const INQUIRY_DECISIONS: [(&str, &str); 4] = [
    ("answered", "Besvarade"),
    ("declined", "Avböjda"),
    ("withdrawn", "Återkallade"),
    ("open", "Ej besvarade ännu"),
];

/// The label of the measure column of [`inquiries_by_clinic`].
pub const ANSWER_DAYS: &str = "Mediantid till svar (dagar)";

/// Inquiries the organisation sent or received that were sent in `period`, by receiving
/// clinic (rows, by name) and how each stands now (columns, [`INQUIRY_DECISIONS`]), with the
/// median days from sending to answer per clinic over those answered. A clinic is a row
/// when some inquiry in the period went to it.
pub async fn inquiries_by_clinic(
    tx: &mut Tx,
    scope: &StatisticsScope,
    period: Period,
) -> StoreResult<Table> {
    let (from, to) = (micros(period.start()), micros(period.end()));
    let mut sql = Sql::new(
        "SELECT recipient, name, decision, COUNT(*) AS n FROM (\
         SELECT q.recipient_organisation_id AS recipient, o.name AS name, CASE \
         WHEN EXISTS (SELECT 1 FROM inquiry_answers a WHERE a.inquiry_id = q.id) THEN 'answered' \
         WHEN q.state = ",
    );
    sql.bind(InquiryState::Declined.code())
        .push(" THEN 'declined' WHEN q.state = ")
        .bind(InquiryState::Withdrawn.code())
        .push(
            " THEN 'withdrawn' ELSE 'open' END AS decision \
               FROM inquiries q JOIN organisations o ON o.id = q.recipient_organisation_id WHERE ",
        );
    scope.push_own_inquiries(&mut sql);
    sql.push(" AND q.sent_at >= ")
        .bind(from)
        .push(" AND q.sent_at < ")
        .bind(to)
        .push(") s GROUP BY recipient, name, decision ORDER BY name, recipient");
    let counts = sql.fetch_all(tx).await?;
    let mut rows: Vec<Heading> = Vec::new();
    for row in &counts {
        let key = row.text("recipient")?;
        if !rows.iter().any(|h| h.key == key) {
            rows.push(Heading::new(key, row.text("name")?));
        }
    }
    let columns = INQUIRY_DECISIONS
        .iter()
        .map(|(key, label)| Heading::new(*key, *label))
        .collect();
    let mut table = Table::new(rows, columns).with_measure(ANSWER_DAYS);
    for row in &counts {
        let n = u64::try_from(row.int("n")?).unwrap_or(0);
        table.add(&row.text("recipient")?, &row.text("decision")?, n);
    }
    // The median: the middle one or two answer times per clinic, picked inside the query.
    let mut sql = Sql::new(
        "SELECT recipient, MIN(d) AS lo, MAX(d) AS hi, MAX(n) AS n FROM (\
         SELECT q.recipient_organisation_id AS recipient, a.answered_at - q.sent_at AS d, \
         ROW_NUMBER() OVER (PARTITION BY q.recipient_organisation_id \
         ORDER BY a.answered_at - q.sent_at) AS rn, \
         COUNT(*) OVER (PARTITION BY q.recipient_organisation_id) AS n \
         FROM inquiries q JOIN inquiry_answers a ON a.inquiry_id = q.id WHERE ",
    );
    scope.push_own_inquiries(&mut sql);
    sql.push(" AND q.sent_at >= ")
        .bind(from)
        .push(" AND q.sent_at < ")
        .bind(to)
        .push(") m WHERE rn = (n + 1) / 2 OR rn = (n + 2) / 2 GROUP BY recipient");
    const DAY: f64 = 86_400_000_000.0;
    for row in sql.fetch_all(tx).await? {
        let (lo, hi) = (row.int("lo")? as f64, row.int("hi")? as f64);
        let n = u64::try_from(row.int("n")?).unwrap_or(0);
        table.set_measure(
            ANSWER_DAYS,
            &row.text("recipient")?,
            (lo + hi) / 2.0 / DAY,
            n,
        );
    }
    Ok(table)
}

/// The Swedish column heading of a decline reason.
fn decline_label(reason: DeclineReason) -> &'static str {
    match reason {
        DeclineReason::PersonNotListedHere => "Inte listad på mottagningen",
        DeclineReason::ConsentInsufficient => "Samtycket räcker inte",
        DeclineReason::WrongUnit => "Fel mottagning",
        DeclineReason::Other => "Annat skäl",
    }
}

/// The declined ones among the inquiries [`inquiries_by_clinic`] counts, by receiving clinic
/// and decline reason (columns in `DeclineReason::ALL` order).
pub async fn declines_by_clinic(
    tx: &mut Tx,
    scope: &StatisticsScope,
    period: Period,
) -> StoreResult<Table> {
    let mut sql = Sql::new(
        "SELECT q.recipient_organisation_id AS recipient, o.name AS name, q.decline_reason AS reason, \
         COUNT(*) AS n FROM inquiries q JOIN organisations o ON o.id = q.recipient_organisation_id \
         WHERE q.state = ",
    );
    sql.bind(InquiryState::Declined.code()).push(" AND ");
    scope.push_own_inquiries(&mut sql);
    sql.push(" AND q.sent_at >= ")
        .bind(micros(period.start()))
        .push(" AND q.sent_at < ")
        .bind(micros(period.end()))
        .push(" GROUP BY q.recipient_organisation_id, o.name, q.decline_reason ORDER BY o.name, q.recipient_organisation_id");
    let counts = sql.fetch_all(tx).await?;
    let mut rows: Vec<Heading> = Vec::new();
    for row in &counts {
        let key = row.text("recipient")?;
        if !rows.iter().any(|h| h.key == key) {
            rows.push(Heading::new(key, row.text("name")?));
        }
    }
    let columns = DeclineReason::ALL
        .iter()
        .map(|r| Heading::new(r.code(), decline_label(*r)))
        .collect();
    let mut table = Table::new(rows, columns);
    for row in &counts {
        let n = u64::try_from(row.int("n")?).unwrap_or(0);
        let reason = row.opt_text("reason")?.unwrap_or_default();
        table.add(&row.text("recipient")?, &reason, n);
    }
    Ok(table)
}
