//! The period a figure counts over: a calendar month (`2026-11`) or a tertial (`2026T3`), the
//! four-month analysis period the seeds report by (T1 January–April, T2 May–August, T3
//! September–December). Periods are calendar dates; the store compares UTC instants with
//! `start()` and `end()` at midnight UTC, which puts at most an hour or two at a period's edge
//! on the other side of the Swedish midnight: immaterial for group figures.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

/// A month or a tertial of a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    /// `month` is 1–12.
    Month { year: i32, month: u32 },
    /// `tertial` is 1–3.
    Tertial { year: i32, tertial: u32 },
}

/// Why a period did not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("ange en månad (ÅÅÅÅ-MM) eller ett tertial (ÅÅÅÅT1–ÅÅÅÅT3)")]
pub struct PeriodError;

/// Years a period may name: wide enough for any data the hub holds, narrow enough that
/// every date arithmetic below stays in range.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

impl Period {
    pub fn month(year: i32, month: u32) -> Result<Self, PeriodError> {
        (YEARS.contains(&year) && (1..=12).contains(&month))
            .then_some(Period::Month { year, month })
            .ok_or(PeriodError)
    }

    pub fn tertial(year: i32, tertial: u32) -> Result<Self, PeriodError> {
        (YEARS.contains(&year) && (1..=3).contains(&tertial))
            .then_some(Period::Tertial { year, tertial })
            .ok_or(PeriodError)
    }

    /// The month containing `date`.
    pub fn month_of(date: NaiveDate) -> Self {
        Period::Month {
            year: date.year(),
            month: date.month(),
        }
    }

    /// The tertial containing `date`.
    pub fn tertial_of(date: NaiveDate) -> Self {
        Period::Tertial {
            year: date.year(),
            tertial: (date.month() - 1) / 4 + 1,
        }
    }

    pub fn year(self) -> i32 {
        match self {
            Period::Month { year, .. } | Period::Tertial { year, .. } => year,
        }
    }

    /// The first month (1–12) and the number of months.
    fn months(self) -> (u32, u32) {
        match self {
            Period::Month { month, .. } => (month, 1),
            Period::Tertial { tertial, .. } => ((tertial - 1) * 4 + 1, 4),
        }
    }

    /// The first day of the period.
    pub fn start(self) -> NaiveDate {
        first_of(self.year(), self.months().0)
    }

    /// The first day after the period (exclusive end).
    pub fn end(self) -> NaiveDate {
        let (first, count) = self.months();
        let next = first + count;
        if next > 12 {
            first_of(self.year() + 1, next - 12)
        } else {
            first_of(self.year(), next)
        }
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        self.start() <= date && date < self.end()
    }

    /// The same period a year earlier, for "compared with the year before".
    pub fn previous_year(self) -> Self {
        match self {
            Period::Month { year, month } => Period::Month {
                year: year - 1,
                month,
            },
            Period::Tertial { year, tertial } => Period::Tertial {
                year: year - 1,
                tertial,
            },
        }
    }

    /// The period before this one of the same length (December before January).
    pub fn previous(self) -> Self {
        match self {
            Period::Month { year, month: 1 } => Period::Month {
                year: year - 1,
                month: 12,
            },
            Period::Month { year, month } => Period::Month {
                year,
                month: month - 1,
            },
            Period::Tertial { year, tertial: 1 } => Period::Tertial {
                year: year - 1,
                tertial: 3,
            },
            Period::Tertial { year, tertial } => Period::Tertial {
                year,
                tertial: tertial - 1,
            },
        }
    }

    /// A Swedish heading: `november 2026`, `tertial 3 2026 (sep–dec)`.
    pub fn label(self) -> String {
        const MONTHS: [&str; 12] = [
            "januari",
            "februari",
            "mars",
            "april",
            "maj",
            "juni",
            "juli",
            "augusti",
            "september",
            "oktober",
            "november",
            "december",
        ];
        const TERTIALS: [&str; 3] = ["jan–apr", "maj–aug", "sep–dec"];
        match self {
            Period::Month { year, month } => format!("{} {year}", MONTHS[month as usize - 1]),
            Period::Tertial { year, tertial } => {
                format!(
                    "tertial {tertial} {year} ({})",
                    TERTIALS[tertial as usize - 1]
                )
            }
        }
    }
}

fn first_of(year: i32, month: u32) -> NaiveDate {
    // Constructors keep year and month in range, so this date exists.
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default()
}

impl FromStr for Period {
    type Err = PeriodError;

    /// `2026-11` or `2026T3` (a lower-case `t` too); nothing else, no spaces.
    fn from_str(text: &str) -> Result<Self, PeriodError> {
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let number = |s: &str| s.parse::<u32>().map_err(|_| PeriodError);
        if text.len() == 7 && text.as_bytes()[4] == b'-' {
            let (year, month) = (&text[..4], &text[5..]);
            if digits(year) && digits(month) {
                return Period::month(number(year)? as i32, number(month)?);
            }
        }
        if text.len() == 6 && matches!(text.as_bytes()[4], b'T' | b't') {
            let (year, tertial) = (&text[..4], &text[5..]);
            if digits(year) && digits(tertial) {
                return Period::tertial(number(year)? as i32, number(tertial)?);
            }
        }
        Err(PeriodError)
    }
}

/// The wire form, `2026-11` or `2026T3`, which `from_str` reads back.
impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            Period::Tertial { year, tertial } => write!(f, "{year:04}T{tertial}"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn months_and_tertials_parse_and_print_the_same() {
        assert_eq!(
            "2026-11".parse(),
            Ok(Period::Month {
                year: 2026,
                month: 11
            })
        );
        assert_eq!(
            "2026T3".parse(),
            Ok(Period::Tertial {
                year: 2026,
                tertial: 3
            })
        );
        assert_eq!(
            "2026t1".parse::<Period>().map(|p| p.to_string()),
            Ok("2026T1".into())
        );
        assert_eq!(Period::month(2027, 2).unwrap().to_string(), "2027-02");
        for bad in [
            "2026-13",
            "2026-00",
            "2026T0",
            "2026T4",
            "2026-1",
            "26-11",
            "2026 T3",
            "2026-1a",
            "+026-11",
            "1999-12",
            "2026",
            "",
            "2026T3 ",
            "２026-11",
        ] {
            assert_eq!(bad.parse::<Period>(), Err(PeriodError), "{bad:?}");
        }
    }

    #[test]
    fn a_tertial_is_four_months_t3_being_september_to_december() {
        let t3 = Period::tertial(2026, 3).unwrap();
        assert_eq!((t3.start(), t3.end()), (date(2026, 9, 1), date(2027, 1, 1)));
        let t1 = Period::tertial(2026, 1).unwrap();
        assert_eq!((t1.start(), t1.end()), (date(2026, 1, 1), date(2026, 5, 1)));
        let t2 = Period::tertial(2026, 2).unwrap();
        assert_eq!((t2.start(), t2.end()), (date(2026, 5, 1), date(2026, 9, 1)));
        assert!(t2.contains(date(2026, 8, 31)) && !t2.contains(date(2026, 9, 1)));
        assert_eq!(Period::tertial_of(date(2026, 4, 30)), t1);
        assert_eq!(Period::tertial_of(date(2026, 12, 31)), t3);
    }

    #[test]
    fn a_month_ends_where_the_next_begins_december_into_january() {
        let dec = Period::month(2026, 12).unwrap();
        assert_eq!(
            (dec.start(), dec.end()),
            (date(2026, 12, 1), date(2027, 1, 1))
        );
        let feb = Period::month(2028, 2).unwrap();
        assert_eq!(feb.end(), date(2028, 3, 1));
        assert_eq!(Period::month_of(date(2028, 2, 29)), feb);
    }

    #[test]
    fn the_year_before_and_the_period_before() {
        let t3 = Period::tertial(2026, 3).unwrap();
        assert_eq!(t3.previous_year(), Period::tertial(2025, 3).unwrap());
        assert_eq!(t3.previous(), Period::tertial(2026, 2).unwrap());
        assert_eq!(
            Period::tertial(2026, 1).unwrap().previous(),
            Period::tertial(2025, 3).unwrap()
        );
        assert_eq!(
            Period::month(2026, 1).unwrap().previous(),
            Period::month(2025, 12).unwrap()
        );
        assert_eq!(
            Period::month(2026, 11).unwrap().previous_year().to_string(),
            "2025-11"
        );
        assert_eq!(t3.label(), "tertial 3 2026 (sep–dec)");
        assert_eq!(Period::month(2026, 11).unwrap().label(), "november 2026");
    }

    proptest! {
        #[test]
        fn every_period_reads_back_and_its_days_are_its_own(
            year in 2001..2100i32, month in 1..=12u32, tertial in 1..=3u32, day in 0..130u64
        ) {
            for p in [Period::month(year, month).unwrap(), Period::tertial(year, tertial).unwrap()] {
                prop_assert_eq!(p.to_string().parse::<Period>(), Ok(p));
                let d = p.start() + chrono::Days::new(day);
                prop_assert_eq!(p.contains(d), d < p.end());
                prop_assert_eq!(p.previous().end(), p.start());
                if d < p.end() {
                    let own = match p { Period::Month { .. } => Period::month_of(d), _ => Period::tertial_of(d) };
                    prop_assert_eq!(own, p);
                }
            }
        }
    }
}
