//! Instants: UTC, microsecond precision, stored as integer microseconds since the epoch so
//! both stores compare them the same way; RFC 3339 in the API.

use chrono::{DateTime, TimeZone, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn now() -> Self {
        Self::from_datetime(Utc::now())
    }

    pub fn from_micros(micros: i64) -> Self {
        Self(micros)
    }

    pub fn micros(self) -> i64 {
        self.0
    }

    pub fn from_datetime(at: DateTime<Utc>) -> Self {
        Self(at.timestamp_micros())
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        Utc.timestamp_micros(self.0).single().unwrap_or_default()
    }

    pub fn plus_days(self, days: i64) -> Self {
        self.plus_hours(days.saturating_mul(24))
    }

    pub fn plus_hours(self, hours: i64) -> Self {
        Self(self.0.saturating_add(hours.saturating_mul(3_600_000_000)))
    }
}
