//! Personnummer and samordningsnummer: twelve digits, a real date (day + 60 for a
//! samordningsnummer) and a Luhn check digit computed over the ten digits as written.

use std::fmt;

use chrono::NaiveDate;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Personnummer(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PersonnummerError {
    #[error("ange tolv siffror, ÅÅÅÅMMDDNNNK (bindestreck tillåtet)")]
    Format,
    #[error("datumdelen är inte ett giltigt datum")]
    Date,
    #[error("kontrollsiffran stämmer inte")]
    CheckDigit,
}

impl Personnummer {
    /// Accepts `YYYYMMDDNNNC` or `YYYYMMDD-NNNC`; stores the twelve digits.
    pub fn parse(input: &str) -> Result<Self, PersonnummerError> {
        let trimmed = input.trim();
        let digits: String = match trimmed.len() {
            12 => trimmed.to_owned(),
            13 if matches!(trimmed.as_bytes()[8], b'-' | b'+') => {
                format!("{}{}", &trimmed[..8], &trimmed[9..])
            }
            _ => return Err(PersonnummerError::Format),
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PersonnummerError::Format);
        }
        let number = |range: std::ops::Range<usize>| digits[range].parse::<u32>().unwrap_or(0);
        let (year, month, mut day) = (number(0..4), number(4..6), number(6..8));
        if day > 60 {
            day -= 60;
        }
        let year = i32::try_from(year).map_err(|_| PersonnummerError::Date)?;
        NaiveDate::from_ymd_opt(year, month, day).ok_or(PersonnummerError::Date)?;
        if luhn_check_digit(&digits[2..11]) != digits.as_bytes()[11] - b'0' {
            return Err(PersonnummerError::CheckDigit);
        }
        Ok(Self(digits))
    }

    /// Completes eleven digits (`YYYYMMDDNNN`) with their check digit: for test and demo data.
    pub fn complete(first_eleven: &str) -> Result<Self, PersonnummerError> {
        if first_eleven.len() != 11 || !first_eleven.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PersonnummerError::Format);
        }
        Self::parse(&format!(
            "{first_eleven}{}",
            luhn_check_digit(&first_eleven[2..])
        ))
    }

    /// The twelve digits, `YYYYMMDDNNNC`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The date of birth the number states (a samordningsnummer's day less 60).
    pub fn birth_date(&self) -> NaiveDate {
        let number = |range: std::ops::Range<usize>| self.0[range].parse::<u32>().unwrap_or(0);
        let day = number(6..8);
        let day = if day > 60 { day - 60 } else { day };
        // `parse` checked that this is a real date.
        i32::try_from(number(0..4))
            .ok()
            .and_then(|year| NaiveDate::from_ymd_opt(year, number(4..6), day))
            .unwrap_or_default()
    }

    /// The second-to-last digit (födelsenummer's last): odd for men, even for women.
    pub fn sex_digit(&self) -> u8 {
        self.0.as_bytes()[10] - b'0'
    }

    pub fn is_samordningsnummer(&self) -> bool {
        self.0[6..8].parse::<u32>().unwrap_or(0) > 60
    }
}

fn luhn_check_digit(nine_digits: &str) -> u8 {
    let sum: u32 = nine_digits
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let v = u32::from(b - b'0') * if i % 2 == 0 { 2 } else { 1 };
            if v > 9 {
                v - 9
            } else {
                v
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// Never prints the number: a personnummer must not reach a log line by accident.
impl fmt::Debug for Personnummer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Personnummer([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_personnummer_with_or_without_hyphen() {
        assert_eq!(
            Personnummer::parse("198112189876").map(|p| p.0),
            Ok("198112189876".into())
        );
        assert_eq!(
            Personnummer::parse("19811218-9876").map(|p| p.0),
            Ok("198112189876".into())
        );
    }

    #[test]
    fn accepts_skatteverkets_samordningsnummer_example() {
        let p = Personnummer::parse("19701063-2391");
        assert!(
            p.as_ref().is_ok_and(Personnummer::is_samordningsnummer),
            "{p:?}"
        );
    }

    #[test]
    fn rejects_wrong_check_digit_date_and_format() {
        assert_eq!(
            Personnummer::parse("198112189877"),
            Err(PersonnummerError::CheckDigit)
        );
        assert_eq!(
            Personnummer::parse("198113189876"),
            Err(PersonnummerError::Date)
        );
        assert_eq!(
            Personnummer::parse("8112189876"),
            Err(PersonnummerError::Format)
        );
        assert_eq!(
            Personnummer::parse("19811218x876"),
            Err(PersonnummerError::Format)
        );
        assert_eq!(
            Personnummer::parse("197010632391"[..11].as_ref()),
            Err(PersonnummerError::Format)
        );
        assert_eq!(
            Personnummer::parse("190002300008"),
            Err(PersonnummerError::Date)
        );
    }

    #[test]
    fn debug_output_hides_the_number() {
        let shown = format!("{:?}", Personnummer::parse("198112189876"));
        assert!(!shown.contains("8112"), "{shown}");
    }
}
