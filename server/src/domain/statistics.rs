//! Group statistics without personal data (WORKFLOWS.md §6): the breakdowns a figure is
//! counted by (gender and age band from the personnummer, the month or tertial), a table of
//! counts with its totals, small-cell suppression so that no count below 5 is shown or can be
//! recovered from the totals, and the table as CSV for Excel. Pure: the store counts, this
//! decides what may be shown. Issue 14's and issue 15's figures both build on it.
//!
//! The shape of a figure: count into a [`Table`] (`Table::new(rows, columns)` then
//! `add(row, column, n)`), call [`Table::suppress`] and hand the [`Suppressed`] table to the
//! HTTP layer (`http::statistics`), which sends it as JSON or, with `?format=csv`, as [`csv`].

mod csv;
mod period;
mod person;
mod suppress;
mod table;

pub use csv::{decimal, to_csv};
pub use period::{Period, PeriodError};
pub use person::{AgeBand, Gender};
pub use suppress::{Exposure, Line};
pub use table::{median, Heading, Measure, Shown, ShownMeasure, Suppressed, Table, MIN_COUNT};
