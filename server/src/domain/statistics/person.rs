//! Gender and age band, derived from the personnummer: the breakdowns every figure offers.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::kinds::code_enum;
use crate::domain::Personnummer;

code_enum! {
    /// Legal gender (juridiskt kön) as the personnummer states it: the second-to-last digit is
    /// odd for men and even for women. Statistics know no other source, so there is no third
    /// value; a samordningsnummer follows the same rule.
    Gender {
        Kvinna = "kvinna",
        Man = "man",
    }
}

impl Gender {
    pub fn of(personnummer: &Personnummer) -> Self {
        if personnummer.sex_digit() % 2 == 1 {
            Gender::Man
        } else {
            Gender::Kvinna
        }
    }

    /// The Swedish heading for a table.
    pub fn label(self) -> &'static str {
        match self {
            Gender::Kvinna => "Kvinnor",
            Gender::Man => "Män",
        }
    }
}

code_enum! {
    /// An age band on a reference date. The bands follow the groups the work is organised
    /// around, not round decades alone: 16 is where Finsam's target group starts (young people
    /// outside work and studies) and 29 where aktivitetsersättning ends, so 16–29 is the
    /// "unga vuxna" group the förbund reports; then ten-year bands; 60–66 are the last years
    /// before the riktålder for pension (67 from 2026), when sjukersättning ends and the
    /// question is pension rather than work; 67+ is past it. Under 16 exists so that every
    /// personnummer has a band (a child in a family's case), not because it is expected.
    AgeBand {
        Under16 = "0-15",
        From16To29 = "16-29",
        From30To39 = "30-39",
        From40To49 = "40-49",
        From50To59 = "50-59",
        From60To66 = "60-66",
        From67 = "67-",
    }
}

impl AgeBand {
    /// The band of someone of `age` whole years.
    pub fn of_age(age: u32) -> Self {
        match age {
            0..=15 => AgeBand::Under16,
            16..=29 => AgeBand::From16To29,
            30..=39 => AgeBand::From30To39,
            40..=49 => AgeBand::From40To49,
            50..=59 => AgeBand::From50To59,
            60..=66 => AgeBand::From60To66,
            _ => AgeBand::From67,
        }
    }

    /// The band of the person on `on` (their age in whole years that day).
    pub fn of(personnummer: &Personnummer, on: NaiveDate) -> Self {
        Self::of_age(age_on(personnummer.birth_date(), on))
    }

    /// The heading for a table: `16–29 år`, `67+ år`.
    pub fn label(self) -> &'static str {
        match self {
            AgeBand::Under16 => "0–15 år",
            AgeBand::From16To29 => "16–29 år",
            AgeBand::From30To39 => "30–39 år",
            AgeBand::From40To49 => "40–49 år",
            AgeBand::From50To59 => "50–59 år",
            AgeBand::From60To66 => "60–66 år",
            AgeBand::From67 => "67+ år",
        }
    }
}

/// Whole years from `born` to `on` (0 before birth). Someone born on 29 February turns a
/// year older on 1 March in a common year.
fn age_on(born: NaiveDate, on: NaiveDate) -> u32 {
    let mut years = on.year() - born.year();
    if (on.month(), on.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn gender_follows_the_second_to_last_digit() {
        // 19811218-9876: 7 is odd.
        let man = Personnummer::parse("198112189876").unwrap();
        assert_eq!(Gender::of(&man), Gender::Man);
        let woman = Personnummer::complete("19900101242").unwrap();
        assert_eq!(Gender::of(&woman), Gender::Kvinna);
        // A samordningsnummer (19701063-2391: 9 is odd).
        let coordination = Personnummer::parse("197010632391").unwrap();
        assert_eq!(Gender::of(&coordination), Gender::Man);
    }

    #[test]
    fn age_counts_whole_years_and_the_birthday_itself() {
        let born = date(1990, 6, 15);
        assert_eq!(age_on(born, date(2026, 6, 14)), 35);
        assert_eq!(age_on(born, date(2026, 6, 15)), 36);
        assert_eq!(age_on(date(2000, 2, 29), date(2027, 2, 28)), 26);
        assert_eq!(age_on(date(2000, 2, 29), date(2027, 3, 1)), 27);
        assert_eq!(age_on(born, date(1980, 1, 1)), 0);
    }

    #[test]
    fn each_band_starts_and_ends_where_its_doc_says() {
        let edges = [
            (15, AgeBand::Under16),
            (16, AgeBand::From16To29),
            (29, AgeBand::From16To29),
            (30, AgeBand::From30To39),
            (49, AgeBand::From40To49),
            (59, AgeBand::From50To59),
            (60, AgeBand::From60To66),
            (66, AgeBand::From60To66),
            (67, AgeBand::From67),
            (104, AgeBand::From67),
        ];
        for (age, band) in edges {
            assert_eq!(AgeBand::of_age(age), band, "{age}");
        }
    }

    #[test]
    fn the_band_is_taken_on_the_reference_date_from_the_personnummer() {
        let p = Personnummer::parse("198112189876").unwrap();
        assert_eq!(AgeBand::of(&p, date(2026, 12, 17)), AgeBand::From40To49);
        let young = Personnummer::complete("20101231123").unwrap();
        assert_eq!(AgeBand::of(&young, date(2026, 12, 30)), AgeBand::Under16);
        assert_eq!(AgeBand::of(&young, date(2026, 12, 31)), AgeBand::From16To29);
        // A samordningsnummer's day is the birth day plus 60.
        let coordination = Personnummer::parse("197010632391").unwrap();
        assert_eq!(coordination.birth_date(), date(1970, 10, 3));
        assert_eq!(
            AgeBand::of(&coordination, date(2026, 1, 1)),
            AgeBand::From50To59
        );
    }
}
