//! Small-cell suppression (röjning) over a table and its totals.
//!
//! The table comes as one grid whose last column holds the row totals and whose last row the
//! column totals (the grand total in the corner), so every row and every column of the grid
//! is a *line*: its entries add up to its last. Every count below [`MIN_COUNT`] (zero too, as
//! the issues say "any count below 5": a shown 0 would tell that nobody in the group has the
//! trait) is primary-suppressed and shown as "<5", which tells a reader it is 0–4. Anything
//! else hidden is 5 or more and shown as "x".
//!
//! A reader who knows this can still subtract: in a line with one hidden entry that entry is
//! the total minus the rest; with two "<5" that the rest leaves 0 for, both are 0. So an entry
//! is *exposed* when the line's equation and the bounds of the other hidden entries in it pin
//! it to one value. While some line exposes an entry, the smallest entry still shown in that
//! line is hidden too (complementary suppression, preferring a cell to a total), and the
//! check runs again until no line exposes anything. The check is made line by line, as the
//! issues ask; it does not solve the whole table as a linear program, so a reader combining
//! several rows and columns at once may narrow a "<5" further (never below what the lines
//! allow, and in the tables the hub shows — a few rows of organisations, reasons or bands —
//! that is the accepted practice of Swedish official statistics).

use super::table::MIN_COUNT;

/// How an entry of the grid is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mark {
    Shown,
    /// Below [`MIN_COUNT`]: "<5", so 0–4.
    Small,
    /// [`MIN_COUNT`] or more, hidden to protect a small one: "x".
    Hidden,
}

/// A line of the grid: a row (the last one being the column totals) or a column (the last
/// one being the row totals).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line {
    Row(usize),
    Column(usize),
}

/// An entry a reader could work out, and the line that gives it away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exposure {
    pub line: Line,
    /// Row and column in the grid.
    pub entry: (usize, usize),
}

/// Stands for "no bound" in the interval arithmetic: far beyond any count, far from overflow.
const UNBOUNDED: i128 = i128::MAX / 8;

/// What a reader knows of an entry from its mark alone.
fn bounds(mark: Mark, value: u64) -> (i128, i128) {
    match mark {
        Mark::Shown => (i128::from(value), i128::from(value)),
        Mark::Small => (0, i128::from(MIN_COUNT) - 1),
        Mark::Hidden => (i128::from(MIN_COUNT), UNBOUNDED),
    }
}

fn line_entries(line: Line, rows: usize, columns: usize) -> Vec<(usize, usize)> {
    match line {
        Line::Row(r) => (0..columns).map(|c| (r, c)).collect(),
        Line::Column(c) => (0..rows).map(|r| (r, c)).collect(),
    }
}

fn lines(rows: usize, columns: usize) -> impl Iterator<Item = Line> {
    (0..rows)
        .map(Line::Row)
        .chain((0..columns).map(Line::Column))
}

/// The first hidden entry of `line` that the line pins to one value, given the marks.
fn exposed_in(grid: &[Vec<u64>], marks: &[Vec<Mark>], line: Line) -> Option<(usize, usize)> {
    let entries = line_entries(line, grid.len(), grid.first().map_or(0, Vec::len));
    let (parts, total) = entries.split_at(entries.len().checked_sub(1)?);
    let total = total[0];
    // Σ parts − total = 0, each entry within its bounds; +1 for a part, −1 for the total.
    let signed: Vec<((usize, usize), i128)> = parts
        .iter()
        .map(|&e| (e, 1))
        .chain(std::iter::once((total, -1)))
        .collect();
    let range = |e: (usize, usize)| bounds(marks[e.0][e.1], grid[e.0][e.1]);
    for &(x, sign) in &signed {
        if marks[x.0][x.1] == Mark::Shown {
            continue;
        }
        // sign·x = −Σ others' sign·value: the others' range bounds x's.
        let (mut lo, mut hi) = (0i128, 0i128);
        for &(e, s) in signed.iter().filter(|(e, _)| *e != x) {
            let (a, b) = range(e);
            let (a, b) = if s > 0 { (-b, -a) } else { (a, b) };
            lo = (lo + a).max(-UNBOUNDED);
            hi = (hi + b).min(UNBOUNDED);
        }
        let (lo, hi) = if sign > 0 { (lo, hi) } else { (-hi, -lo) };
        let (own_lo, own_hi) = range(x);
        if lo.max(own_lo) >= hi.min(own_hi) {
            return Some(x);
        }
    }
    None
}

/// The first exposed entry of the grid, if any.
pub fn exposure(grid: &[Vec<u64>], marks: &[Vec<Mark>]) -> Option<Exposure> {
    let columns = grid.first().map_or(0, Vec::len);
    lines(grid.len(), columns)
        .find_map(|line| exposed_in(grid, marks, line).map(|entry| Exposure { line, entry }))
}

/// Marks every entry of `grid` (cells with their totals, see the module doc).
pub(crate) fn suppress(grid: &[Vec<u64>]) -> Vec<Vec<Mark>> {
    let mut marks: Vec<Vec<Mark>> = grid
        .iter()
        .map(|row| {
            row.iter()
                .map(|&n| {
                    if n < MIN_COUNT {
                        Mark::Small
                    } else {
                        Mark::Shown
                    }
                })
                .collect()
        })
        .collect();
    let (rows, columns) = (grid.len(), grid.first().map_or(0, Vec::len));
    // Each pass hides one more entry, so this ends within rows × columns passes.
    while let Some(Exposure { line, .. }) = exposure(grid, &marks) {
        let entries = line_entries(line, rows, columns);
        let last = entries.len() - 1;
        let complement = entries
            .iter()
            .enumerate()
            .filter(|(_, (r, c))| marks[*r][*c] == Mark::Shown)
            .min_by_key(|(i, (r, c))| (grid[*r][*c], *i == last, *i))
            .map(|(_, e)| *e);
        match complement {
            Some((r, c)) => marks[r][c] = Mark::Hidden,
            // Nothing left to hide in that line: hide everything rather than show too much.
            None => {
                for mark in marks.iter_mut().flatten() {
                    if *mark == Mark::Shown {
                        *mark = Mark::Hidden;
                    }
                }
                break;
            }
        }
    }
    marks
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::domain::statistics::{Heading, Shown, Table};
    use proptest::prelude::*;

    fn table(counts: &[Vec<u64>]) -> Table {
        let rows = (0..counts.len()).map(|r| Heading::new(r.to_string(), r.to_string()));
        let columns = (0..counts[0].len()).map(|c| Heading::new(c.to_string(), c.to_string()));
        let mut t = Table::new(rows.collect(), columns.collect());
        for (r, row) in counts.iter().enumerate() {
            for (c, n) in row.iter().enumerate() {
                t.add(&r.to_string(), &c.to_string(), *n);
            }
        }
        t
    }

    /// The reader's side, written apart from `exposed_in`: the values each entry of a line
    /// can take given what is shown; true if some hidden entry has only one.
    fn reader_recovers_a_value(shown: &[Shown], truth: &[u64]) -> bool {
        let (parts, total) = shown.split_at(shown.len() - 1);
        let known: i128 = parts.iter().filter_map(|s| s.count()).map(i128::from).sum();
        // The total less what is shown, if the total is shown.
        let rest = total[0].count().map(|t| i128::from(t) - known);
        let range = |s: Shown| match s {
            Shown::Count(n) => (i128::from(n), i128::from(n)),
            Shown::Small => (0, 4),
            Shown::Hidden => (5, 1_000_000),
        };
        (0..shown.len())
            .filter(|&i| shown[i].count().is_none())
            .any(|i| {
                let (own_lo, own_hi) = range(shown[i]);
                // What the line allows is an interval around the truth, so it is one value only if
                // neither neighbour of the truth that the mark allows lets the line add up.
                let t = i128::from(truth[i]);
                let alternatives = [t - 1, t + 1]
                    .into_iter()
                    .filter(|v| (own_lo..=own_hi).contains(v));
                let hidden_parts: Vec<usize> = (0..parts.len())
                    .filter(|&j| j != i && parts[j].count().is_none())
                    .collect();
                let plausible = |v: i128| {
                    let (mut lo, mut hi) = (0i128, 0i128);
                    for &j in &hidden_parts {
                        let (a, b) = range(parts[j]);
                        lo += a;
                        hi += b;
                    }
                    let total_hidden = total[0].count().is_none();
                    match (i == parts.len(), rest) {
                        // x is the total: the hidden parts must sum to x − known.
                        (true, _) => lo <= v - known && v - known <= hi,
                        (false, Some(rest)) => lo <= rest - v && rest - v <= hi,
                        (false, None) => {
                            debug_assert!(total_hidden);
                            let (t_lo, t_hi) = range(total[0]);
                            // total = known + v + others, within the total's bounds.
                            known + v + lo <= t_hi && known + v + hi >= t_lo
                        }
                    }
                };
                !alternatives.into_iter().any(plausible)
            })
    }

    fn small_counts() -> impl Strategy<Value = Vec<Vec<u64>>> {
        (1..6usize, 1..6usize).prop_flat_map(|(rows, columns)| {
            proptest::collection::vec(
                proptest::collection::vec(prop_oneof![0..5u64, 0..40u64], columns),
                rows,
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn no_suppressed_count_can_be_worked_out_from_a_line(counts in small_counts()) {
            let t = table(&counts);
            let s = t.suppress();
            let (m, n) = (counts.len(), counts[0].len());
            let shown_row = |r: usize| -> (Vec<Shown>, Vec<u64>) {
                if r < m {
                    let mut v = s.cells[r].clone();
                    v.push(s.row_totals[r]);
                    let mut truth = counts[r].clone();
                    truth.push(t.row_total(r));
                    (v, truth)
                } else {
                    let mut v = s.column_totals.clone();
                    v.push(s.total);
                    let mut truth: Vec<u64> = (0..n).map(|c| t.column_total(c)).collect();
                    truth.push(t.total());
                    (v, truth)
                }
            };
            let shown_column = |c: usize| -> (Vec<Shown>, Vec<u64>) {
                if c < n {
                    let mut v: Vec<Shown> = (0..m).map(|r| s.cells[r][c]).collect();
                    v.push(s.column_totals[c]);
                    let mut truth: Vec<u64> = (0..m).map(|r| counts[r][c]).collect();
                    truth.push(t.column_total(c));
                    (v, truth)
                } else {
                    let mut v = s.row_totals.clone();
                    v.push(s.total);
                    let mut truth: Vec<u64> = (0..m).map(|r| t.row_total(r)).collect();
                    truth.push(t.total());
                    (v, truth)
                }
            };
            let lines = (0..=m).map(shown_row).chain((0..=n).map(shown_column));
            for (line, truth) in lines {
                // The rule in its plainest form: never exactly one withheld in a line.
                prop_assert_ne!(line.iter().filter(|x| x.count().is_none()).count(), 1, "{:?}", line);
                prop_assert!(!reader_recovers_a_value(&line, &truth), "{:?} {:?}", line, truth);
                for (shown, value) in line.iter().zip(&truth) {
                    match shown {
                        Shown::Count(c) => {
                            prop_assert_eq!(c, value);
                            prop_assert!(*c >= MIN_COUNT);
                        }
                        Shown::Small => prop_assert!(*value < MIN_COUNT),
                        Shown::Hidden => prop_assert!(*value >= MIN_COUNT),
                    }
                }
            }
        }
    }

    #[test]
    fn two_small_cells_that_the_total_leaves_nothing_for_are_protected_by_a_third() {
        // 0 + 0 + 20 = 20: without more, both "<5" would be known to be 0.
        let grid = vec![
            vec![0, 0, 20, 20],
            vec![30, 30, 30, 90],
            vec![30, 30, 50, 110],
        ];
        let marks = suppress(&grid);
        assert_eq!(marks[0][0], Mark::Small);
        assert_eq!(marks[0][1], Mark::Small);
        assert_ne!(marks[0][2], Mark::Shown);
        assert_eq!(exposure(&grid, &marks), None);
    }

    #[test]
    fn a_table_without_small_counts_is_shown_whole() {
        let grid = vec![vec![5, 6, 11], vec![7, 8, 15], vec![12, 14, 26]];
        let marks = suppress(&grid);
        assert!(marks.iter().flatten().all(|m| *m == Mark::Shown));
    }

    #[test]
    fn a_line_with_one_small_cell_is_an_exposure_until_repaired() {
        let grid = vec![vec![3, 20, 23], vec![10, 10, 20], vec![13, 30, 43]];
        let marks: Vec<Vec<Mark>> = grid
            .iter()
            .map(|r| {
                r.iter()
                    .map(|&v| if v < 5 { Mark::Small } else { Mark::Shown })
                    .collect()
            })
            .collect();
        assert_eq!(
            exposure(&grid, &marks),
            Some(Exposure {
                line: Line::Row(0),
                entry: (0, 0)
            })
        );
        assert_eq!(exposure(&grid, &suppress(&grid)), None);
    }
}
