//! A table of counts with its totals, and what of it may be shown.

use super::suppress::{self, Mark};

/// The smallest count that is shown as itself; every count below it (0 included) is "<5".
pub const MIN_COUNT: u64 = 5;

/// A row or column: the stable key a client matches on and the Swedish label it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heading {
    pub key: String,
    pub label: String,
}

impl Heading {
    pub fn new(key: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            label: label.into(),
        }
    }
}

/// A figure beside each row that is not a count, e.g. the median days to an answer, with how
/// many observations it stands on (computed by the query, which returns no single one).
#[derive(Clone, Debug, PartialEq)]
pub struct Measure {
    /// The column heading, e.g. `Mediantid till svar (dagar)`.
    pub label: String,
    /// Per row, in the table's row order: the value and the number of observations.
    pub values: Vec<Option<(f64, u64)>>,
}

/// Counts by row and column. Rows and columns are given up front so that a group with no
/// count still shows (as "<5"): leaving a row out would itself say that it is zero.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    rows: Vec<Heading>,
    columns: Vec<Heading>,
    counts: Vec<Vec<u64>>,
    measure: Option<Measure>,
}

impl Table {
    pub fn new(rows: Vec<Heading>, columns: Vec<Heading>) -> Self {
        let counts = vec![vec![0; columns.len()]; rows.len()];
        Self {
            rows,
            columns,
            counts,
            measure: None,
        }
    }

    pub fn rows(&self) -> &[Heading] {
        &self.rows
    }

    pub fn columns(&self) -> &[Heading] {
        &self.columns
    }

    /// Adds `n` to the cell of the row and column with these keys; `false` (and nothing
    /// added) if either is not in the table.
    pub fn add(&mut self, row: &str, column: &str, n: u64) -> bool {
        let r = self.rows.iter().position(|h| h.key == row);
        let c = self.columns.iter().position(|h| h.key == column);
        match (r, c) {
            (Some(r), Some(c)) => {
                self.counts[r][c] += n;
                true
            }
            _ => false,
        }
    }

    /// Declares a measure column (see [`Measure`]), empty until [`Table::set_measure`].
    pub fn with_measure(mut self, label: impl Into<String>) -> Self {
        self.measure = Some(Measure {
            label: label.into(),
            values: vec![None; self.rows.len()],
        });
        self
    }

    /// Sets a row's measure (see [`Measure`]); rows without one show none.
    pub fn set_measure(&mut self, label: impl Into<String>, row: &str, value: f64, n: u64) {
        let rows = self.rows.len();
        let measure = self.measure.get_or_insert_with(|| Measure {
            label: label.into(),
            values: vec![None; rows],
        });
        if let Some(r) = self.rows.iter().position(|h| h.key == row) {
            measure.values[r] = Some((value, n));
        }
    }

    pub fn count(&self, row: usize, column: usize) -> u64 {
        self.counts[row][column]
    }

    pub fn row_total(&self, row: usize) -> u64 {
        self.counts[row].iter().sum()
    }

    pub fn column_total(&self, column: usize) -> u64 {
        self.counts.iter().map(|r| r[column]).sum()
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    /// The cells with their totals as one grid: row and column totals in the last column and
    /// row, the grand total in the corner. Each row and each column of it sums to its last.
    fn grid(&self) -> Vec<Vec<u64>> {
        let mut grid: Vec<Vec<u64>> = self
            .counts
            .iter()
            .map(|row| {
                let mut row = row.clone();
                row.push(row.iter().sum());
                row
            })
            .collect();
        let totals = (0..=self.columns.len())
            .map(|c| grid.iter().map(|r| r[c]).sum())
            .collect();
        grid.push(totals);
        grid
    }

    /// What may be shown: every count below [`MIN_COUNT`] as "<5", and as few others as it
    /// takes ("x") so that no "<5" can be worked out from a row or column and its total; a
    /// measure only over at least [`MIN_COUNT`] observations.
    pub fn suppress(&self) -> Suppressed {
        let grid = self.grid();
        let marks = suppress::suppress(&grid);
        let shown = |r: usize, c: usize| match marks[r][c] {
            Mark::Shown => Shown::Count(grid[r][c]),
            Mark::Small => Shown::Small,
            Mark::Hidden => Shown::Hidden,
        };
        let (m, n) = (self.rows.len(), self.columns.len());
        Suppressed {
            rows: self.rows.clone(),
            columns: self.columns.clone(),
            cells: (0..m)
                .map(|r| (0..n).map(|c| shown(r, c)).collect())
                .collect(),
            row_totals: (0..m).map(|r| shown(r, n)).collect(),
            column_totals: (0..n).map(|c| shown(m, c)).collect(),
            total: shown(m, n),
            measure: self.measure.as_ref().map(|measure| ShownMeasure {
                label: measure.label.clone(),
                values: measure
                    .values
                    .iter()
                    .map(|v| v.filter(|(_, n)| *n >= MIN_COUNT).map(|(v, _)| v))
                    .collect(),
            }),
        }
    }
}

/// A shown count, or why it is not shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    Count(u64),
    /// Below [`MIN_COUNT`], zero included: shown as `<5`.
    Small,
    /// Five or more, hidden so that a small count cannot be recovered from the totals
    /// (sekundärröjning): shown as `x`, the symbol Swedish official statistics use for a
    /// figure withheld for confidentiality. Not "<5", which would claim a false bound.
    Hidden,
}

impl Shown {
    /// `12`, `<5` or `x`.
    pub fn text(self) -> String {
        match self {
            Shown::Count(n) => n.to_string(),
            Shown::Small => format!("<{MIN_COUNT}"),
            Shown::Hidden => "x".to_owned(),
        }
    }

    pub fn count(self) -> Option<u64> {
        match self {
            Shown::Count(n) => Some(n),
            _ => None,
        }
    }
}

/// A measure as shown: `None` where it stands on fewer than [`MIN_COUNT`] observations.
#[derive(Clone, Debug, PartialEq)]
pub struct ShownMeasure {
    pub label: String,
    pub values: Vec<Option<f64>>,
}

/// A table as it may leave the hub.
#[derive(Clone, Debug, PartialEq)]
pub struct Suppressed {
    pub rows: Vec<Heading>,
    pub columns: Vec<Heading>,
    pub cells: Vec<Vec<Shown>>,
    pub row_totals: Vec<Shown>,
    pub column_totals: Vec<Shown>,
    pub total: Shown,
    pub measure: Option<ShownMeasure>,
}

impl Suppressed {
    /// Whether any count (cell or total) is withheld.
    pub fn any_suppressed(&self) -> bool {
        self.cells
            .iter()
            .flatten()
            .chain(&self.row_totals)
            .chain(&self.column_totals)
            .chain(std::iter::once(&self.total))
            .any(|s| s.count().is_none())
    }
}

/// The median of `values` (the mean of the middle two for an even count); `None` if empty.
/// For callers that hold the observations; the store computes it in SQL where it can.
pub fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(counts: &[&[u64]]) -> Table {
        let rows = (0..counts.len()).map(|r| Heading::new(format!("r{r}"), format!("Rad {r}")));
        let columns =
            (0..counts[0].len()).map(|c| Heading::new(format!("c{c}"), format!("Kol {c}")));
        let mut t = Table::new(rows.collect(), columns.collect());
        for (r, row) in counts.iter().enumerate() {
            for (c, n) in row.iter().enumerate() {
                assert!(t.add(&format!("r{r}"), &format!("c{c}"), *n));
            }
        }
        t
    }

    #[test]
    fn totals_add_up_and_unknown_keys_add_nothing() {
        let mut t = table(&[&[10, 20], &[30, 40]]);
        assert!(!t.add("r9", "c0", 5));
        assert!(!t.add("r0", "c9", 5));
        assert_eq!(
            (t.row_total(0), t.column_total(1), t.total()),
            (30, 60, 100)
        );
        let shown = t.suppress();
        assert!(!shown.any_suppressed());
        assert_eq!(shown.cells[1][0], Shown::Count(30));
        assert_eq!(shown.row_totals, vec![Shown::Count(30), Shown::Count(70)]);
        assert_eq!(
            shown.column_totals,
            vec![Shown::Count(40), Shown::Count(60)]
        );
        assert_eq!(shown.total, Shown::Count(100));
    }

    #[test]
    fn a_small_cell_and_a_second_in_its_row_and_column_are_withheld() {
        // The case: 3 would follow from 23 − 20 unless a second cell is hidden.
        let shown = table(&[&[3, 20, 30], &[12, 40, 50], &[15, 60, 70]]).suppress();
        assert_eq!(shown.cells[0][0], Shown::Small);
        assert_eq!(shown.cells[0][0].text(), "<5");
        // The smallest other in its row (20) and column (12) go, and then the cell that
        // closes the rectangle so that neither of those stands alone in its line.
        assert_eq!(shown.cells[0][1], Shown::Hidden);
        assert_eq!(shown.cells[1][0], Shown::Hidden);
        assert_eq!(shown.cells[1][1], Shown::Hidden);
        assert_eq!(shown.cells[1][1].text(), "x");
        assert_eq!(shown.row_totals[0], Shown::Count(53));
        assert_eq!(shown.cells[2][2], Shown::Count(70));
        assert!(shown.any_suppressed());
    }

    #[test]
    fn zero_is_below_five_too() {
        let shown = table(&[&[0, 25], &[25, 25]]).suppress();
        assert_eq!(shown.cells[0][0], Shown::Small);
        assert!(shown.cells[0][1].count().is_none());
    }

    #[test]
    fn a_small_total_is_withheld_with_its_cells() {
        let shown = table(&[&[1, 2], &[30, 40]]).suppress();
        assert_eq!(shown.row_totals[0], Shown::Small);
        assert_eq!(shown.cells[0], vec![Shown::Small, Shown::Small]);
        assert_eq!(shown.total, Shown::Count(73));
    }

    #[test]
    fn a_measure_shows_only_over_five_observations() {
        let mut t = table(&[&[10, 20], &[30, 40]]);
        t.set_measure("Median", "r0", 12.5, 5);
        t.set_measure("Median", "r1", 3.0, 4);
        let shown = t.suppress();
        assert_eq!(
            shown.measure,
            Some(ShownMeasure {
                label: "Median".into(),
                values: vec![Some(12.5), None]
            })
        );
    }

    #[test]
    fn the_median_is_the_middle_or_the_mean_of_the_middle_two() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }
}
