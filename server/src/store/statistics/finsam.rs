//! The förbund's Finsam figures (issue 14, item 5): the referrals sent to its team in a
//! period by referring party and how they stand, why declined, by gender and age band; those
//! closed in the period by outcome; and the key figures beside the table (median days to the
//! decision and to the first team meeting, active plans, follow-ups done on time). Each query
//! counts inside the database through the scope's `push_own_finsam`, so that no
//! person-level row leaves it.

use chrono::NaiveDate;

use super::{micros, push_age_band, push_gender};
use crate::access::policy::StatisticsScope;
use crate::domain::finsam::{Outcome, ReferralDeclineReason, ReferralState};
use crate::domain::statistics::{AgeBand, Gender, Heading, Period, Table};
use crate::store::{RowExt, Sql, StoreResult, Tx};

/// What the columns of the referral table are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinsamColumns {
    /// How each referral sent in the period stands now ([`FINSAM_DECISIONS`]), with the
    /// median days to the decision per party.
    Decision,
    /// The declined ones, by decline reason.
    DeclineReason,
    /// The referrals closed in the period, by outcome.
    Outcome,
    /// The person's gender.
    Gender,
    /// The person's age band on the period's last day (or today, while it runs).
    AgeBand,
}

/// How a referral sent in the period stands now: the decision table's columns, in order.
pub const FINSAM_DECISIONS: [(&str, &str); 4] = [
    ("waiting", "Väntar på beslut"),
    ("accepted", "Antagna"),
    ("declined", "Avböjda"),
    ("withdrawn", "Återkallade"),
];

/// The label of the decision table's measure column.
pub const DECISION_DAYS: &str = "Mediantid till beslut (dagar)";

const DAY: f64 = 86_400_000_000.0;

/// The decision column a state counts in.
fn decision_of(state: ReferralState) -> Option<&'static str> {
    match state {
        ReferralState::Draft => None,
        ReferralState::Sent | ReferralState::Returned => Some("waiting"),
        ReferralState::Declined => Some("declined"),
        ReferralState::Withdrawn => Some("withdrawn"),
        ReferralState::Accepted
        | ReferralState::OnAgenda
        | ReferralState::PlanAdopted
        | ReferralState::FollowedUp
        | ReferralState::Closed => Some("accepted"),
    }
}

fn decline_label(reason: ReferralDeclineReason) -> &'static str {
    match reason {
        ReferralDeclineReason::NotTargetGroup => "Ej i målgruppen",
        ReferralDeclineReason::OtherRoute => "Annan väg passar bättre",
        ReferralDeclineReason::PersonDeclined => "Personen tackade nej",
        ReferralDeclineReason::ConsentInsufficient => "Samtycket räcker inte",
        ReferralDeclineReason::Other => "Annat skäl",
    }
}

fn outcome_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::FinsamEffort => "Finsam-insats",
        Outcome::TransferAf => "Till Arbetsförmedlingen",
        Outcome::Aterremiss => "Återremiss",
        Outcome::SelfSufficientWork => "Egen försörjning: arbete",
        Outcome::SelfSufficientStudies => "Egen försörjning: studier",
        Outcome::SelfSufficientJobSeeking => "Egen försörjning: arbetssökande",
        Outcome::SelfSufficientOtherBenefit => "Egen försörjning: annan ersättning",
        Outcome::SjukersattningGranted => "Sjukersättning",
        Outcome::AktivitetsersattningGranted => "Aktivitetsersättning",
        Outcome::NoNeedNotIllness => "Inget behov: ej sjukdom",
        Outcome::NoNeedTooIll => "Inget behov nu: för sjuk",
        Outcome::NoNeedNotWilling => "Inget behov: vill inte delta",
    }
}

/// The columns of a table, in order.
fn columns(by: FinsamColumns) -> Vec<Heading> {
    match by {
        FinsamColumns::Decision => FINSAM_DECISIONS
            .iter()
            .map(|(key, label)| Heading::new(*key, *label))
            .collect(),
        FinsamColumns::DeclineReason => ReferralDeclineReason::ALL
            .iter()
            .map(|r| Heading::new(r.code(), decline_label(*r)))
            .collect(),
        FinsamColumns::Outcome => Outcome::ALL
            .iter()
            .map(|o| Heading::new(o.code(), outcome_label(*o)))
            .collect(),
        FinsamColumns::Gender => Gender::ALL
            .iter()
            .map(|g| Heading::new(g.code(), g.label()))
            .collect(),
        FinsamColumns::AgeBand => AgeBand::ALL
            .iter()
            .map(|a| Heading::new(a.code(), a.label()))
            .collect(),
    }
}

/// Pushes the period's bounds over the instant `column`.
fn push_within(sql: &mut Sql, column: &str, period: Period) {
    sql.push(&format!(" AND {column} >= "))
        .bind(micros(period.start()))
        .push(&format!(" AND {column} < "))
        .bind(micros(period.end()));
}

/// The förbund's referrals counted by referring party (rows, by name) and the columns `by`
/// names: sent in `period`, or for [`FinsamColumns::Outcome`] closed in it; the age band is
/// the one on `on`. A party is a row when some referral of it is counted.
pub async fn referrals_by_party(
    tx: &mut Tx,
    scope: &StatisticsScope,
    period: Period,
    by: FinsamColumns,
    on: NaiveDate,
) -> StoreResult<Table> {
    let mut sql = Sql::new("SELECT r.referrer_organisation_id AS party, o.name AS name, ");
    match by {
        FinsamColumns::Decision => sql.push("r.state"),
        FinsamColumns::DeclineReason => sql.push("r.decline_reason"),
        FinsamColumns::Outcome => sql.push("r.outcome"),
        FinsamColumns::Gender => {
            push_gender(&mut sql, "i.personnummer");
            &mut sql
        }
        FinsamColumns::AgeBand => {
            push_age_band(&mut sql, "i.personnummer", on);
            &mut sql
        }
    };
    sql.push(
        " AS col, COUNT(*) AS n FROM finsam_referrals r \
         JOIN organisations o ON o.id = r.referrer_organisation_id \
         JOIN individuals i ON i.id = r.individual_id WHERE ",
    );
    scope.push_own_finsam(&mut sql);
    match by {
        FinsamColumns::Outcome => push_within(&mut sql, "r.closed_at", period),
        _ => push_within(&mut sql, "r.sent_at", period),
    }
    if by == FinsamColumns::DeclineReason {
        sql.push(" AND r.state = ")
            .bind(ReferralState::Declined.code());
    }
    sql.push(" GROUP BY party, name, col ORDER BY name, party");
    let counts = sql.fetch_all(tx).await?;
    let mut rows: Vec<Heading> = Vec::new();
    for row in &counts {
        let key = row.text("party")?;
        if !rows.iter().any(|h| h.key == key) {
            rows.push(Heading::new(key, row.text("name")?));
        }
    }
    let mut table = Table::new(rows, columns(by));
    if by == FinsamColumns::Decision {
        table = table.with_measure(DECISION_DAYS);
    }
    for row in &counts {
        let n = u64::try_from(row.int("n")?).unwrap_or(0);
        let value = row.opt_text("col")?.unwrap_or_default();
        let column = match by {
            FinsamColumns::Decision => ReferralState::from_code(&value)
                .and_then(decision_of)
                .unwrap_or_default(),
            _ => value.as_str(),
        };
        table.add(&row.text("party")?, column, n);
    }
    if by == FinsamColumns::Decision {
        let medians = medians(tx, |sql| {
            sql.push(
                "SELECT r.referrer_organisation_id AS grp, r.decided_at - r.sent_at AS d \
                 FROM finsam_referrals r WHERE r.decided_at IS NOT NULL AND ",
            );
            scope.push_own_finsam(sql);
            push_within(sql, "r.sent_at", period);
        })
        .await?;
        for (party, days, n) in medians {
            table.set_measure(DECISION_DAYS, &party, days, n);
        }
    }
    Ok(table)
}

/// The median in days of `d` per `grp` over the rows the query `inner` pushes, with the
/// number of observations: the middle one or two picked inside the database, as the inquiry
/// figures do, so that no single observation leaves it.
async fn medians(
    tx: &mut Tx,
    inner: impl FnOnce(&mut Sql),
) -> StoreResult<Vec<(String, f64, u64)>> {
    let mut sql = Sql::new(
        "SELECT grp, MIN(d) AS lo, MAX(d) AS hi, MAX(n) AS n FROM (\
         SELECT grp, d, ROW_NUMBER() OVER (PARTITION BY grp ORDER BY d) AS rn, \
         COUNT(*) OVER (PARTITION BY grp) AS n FROM (",
    );
    inner(&mut sql);
    sql.push(") x) m WHERE rn = (n + 1) / 2 OR rn = (n + 2) / 2 GROUP BY grp");
    let mut out = Vec::new();
    for row in sql.fetch_all(tx).await? {
        let (lo, hi) = (row.int("lo")? as f64, row.int("hi")? as f64);
        let n = u64::try_from(row.int("n")?).unwrap_or(0);
        out.push((row.text("grp")?, (lo + hi) / 2.0 / DAY, n));
    }
    Ok(out)
}

/// The figures beside the table, each as the foundation would show it.
#[derive(Clone, Debug, PartialEq)]
pub struct FinsamKeyFigures {
    /// Median days from sending to the decision, and over how many referrals.
    pub days_to_decision: Option<(f64, u64)>,
    /// Median days from sending to the first (not cancelled) team meeting it was on.
    pub days_to_first_meeting: Option<(f64, u64)>,
    /// Follow-ups done in the period: one row, columns `on_time` and `late`, for the
    /// foundation's suppression (so that "late" cannot be worked out from the total either).
    pub follow_ups: Table,
    /// Referrals with an adopted plan now (adopted or followed up and continuing): a 1×1
    /// table, so that a small count shows as "<5".
    pub active_plans: Table,
}

/// The key figures of the förbund's referrals sent in `period` (follow-ups: done in it).
pub async fn key_figures(
    tx: &mut Tx,
    scope: &StatisticsScope,
    period: Period,
) -> StoreResult<FinsamKeyFigures> {
    let overall = |rows: Vec<(String, f64, u64)>| rows.into_iter().next().map(|(_, d, n)| (d, n));
    let days_to_decision = overall(
        medians(tx, |sql| {
            sql.push(
                "SELECT 'alla' AS grp, r.decided_at - r.sent_at AS d FROM finsam_referrals r \
                 WHERE r.decided_at IS NOT NULL AND ",
            );
            scope.push_own_finsam(sql);
            push_within(sql, "r.sent_at", period);
        })
        .await?,
    );
    let days_to_first_meeting = overall(
        medians(tx, |sql| {
            sql.push(
                "SELECT 'alla' AS grp, MIN(m.starts_at) - r.sent_at AS d FROM finsam_referrals r \
                 JOIN finsam_agenda_items ai ON ai.referral_id = r.id \
                 JOIN meetings m ON m.id = ai.meeting_id WHERE m.cancelled_at IS NULL AND ",
            );
            scope.push_own_finsam(sql);
            push_within(sql, "r.sent_at", period);
            sql.push(" GROUP BY r.id, r.sent_at");
        })
        .await?,
    );
    let mut sql = Sql::new(
        "SELECT CASE WHEN f.done_at <= f.due_at THEN 'on_time' ELSE 'late' END AS col, \
         COUNT(*) AS n FROM finsam_follow_ups f JOIN finsam_referrals r ON r.id = f.referral_id \
         WHERE ",
    );
    scope.push_own_finsam(&mut sql);
    push_within(&mut sql, "f.done_at", period);
    sql.push(" GROUP BY col");
    let mut follow_ups = Table::new(
        vec![Heading::new("follow_ups", "Uppföljningar")],
        vec![
            Heading::new("on_time", "I tid"),
            Heading::new("late", "Försenade"),
        ],
    );
    for row in sql.fetch_all(tx).await? {
        let n = u64::try_from(row.int("n")?).unwrap_or(0);
        follow_ups.add("follow_ups", &row.text("col")?, n);
    }
    let mut sql = Sql::new("SELECT COUNT(*) AS n FROM finsam_referrals r WHERE ");
    scope.push_own_finsam(&mut sql);
    sql.push(" AND r.state IN (")
        .bind(ReferralState::PlanAdopted.code())
        .push(", ")
        .bind(ReferralState::FollowedUp.code())
        .push(")");
    let mut active_plans = Table::new(
        vec![Heading::new("plans", "Planer")],
        vec![Heading::new("active", "Aktiva")],
    );
    for row in sql.fetch_all(tx).await? {
        let n = u64::try_from(row.int("n")?).unwrap_or(0);
        active_plans.add("plans", "active", n);
    }
    Ok(FinsamKeyFigures {
        days_to_decision,
        days_to_first_meeting,
        follow_ups,
        active_plans,
    })
}
