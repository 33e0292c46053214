//! A suppressed table as CSV for Excel as Swedish users have it: fields separated by `;`
//! (Swedish Excel's list separator, since `,` is the decimal comma), lines ended by CRLF and
//! fields quoted as RFC 4180 says, the whole preceded by a UTF-8 byte-order mark, without
//! which Excel reads the file as Windows-1252 and garbles å, ä and ö.

use super::table::Suppressed;

/// The UTF-8 byte-order mark Excel looks for.
const BOM: &str = "\u{feff}";
const SEPARATOR: char = ';';

/// The table with a heading row, one line per row and a last `Totalt` line; the first column
/// holds the row labels under `row_heading`. A measure, if any, is the last column.
pub fn to_csv(table: &Suppressed, row_heading: &str) -> String {
    let mut out = String::from(BOM);
    let mut header: Vec<String> = vec![row_heading.to_owned()];
    header.extend(table.columns.iter().map(|c| c.label.clone()));
    header.push("Totalt".to_owned());
    if let Some(measure) = &table.measure {
        header.push(measure.label.clone());
    }
    line(&mut out, &header);
    for (r, heading) in table.rows.iter().enumerate() {
        let mut fields = vec![heading.label.clone()];
        fields.extend(table.cells[r].iter().map(|s| s.text()));
        fields.push(table.row_totals[r].text());
        if let Some(measure) = &table.measure {
            fields.push(measure.values[r].map(decimal).unwrap_or_default());
        }
        line(&mut out, &fields);
    }
    let mut totals = vec!["Totalt".to_owned()];
    totals.extend(table.column_totals.iter().map(|s| s.text()));
    totals.push(table.total.text());
    if table.measure.is_some() {
        totals.push(String::new());
    }
    line(&mut out, &totals);
    out
}

/// A number with a decimal comma and at most one decimal, as Swedish Excel reads it.
pub fn decimal(value: f64) -> String {
    let text = format!("{:.1}", value);
    text.strip_suffix(".0").unwrap_or(&text).replace('.', ",")
}

fn line(out: &mut String, fields: &[String]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(SEPARATOR);
        }
        out.push_str(&quoted(field));
    }
    out.push_str("\r\n");
}

/// Quotes a field that holds a separator, quote or line break (doubling its quotes), and
/// puts an apostrophe before one Excel would take for a formula (`=`, `+`, `-`, `@`): labels
/// are organisations' own names, and a name must not run as a formula on the reader's computer.
fn quoted(field: &str) -> String {
    let field = if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    if field.contains([SEPARATOR, '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::statistics::{Heading, Table};

    #[test]
    fn a_table_is_written_with_bom_semicolons_crlf_and_its_suppression() {
        let mut t = Table::new(
            vec![
                Heading::new("a", "Vårdcentralen Åby"),
                Heading::new("b", "Psykiatri \"Syd\"; mottagning"),
            ],
            vec![
                Heading::new("answered", "Besvarade"),
                Heading::new("declined", "Avböjda"),
            ],
        );
        t.add("a", "answered", 30);
        t.add("a", "declined", 2);
        t.add("b", "answered", 20);
        t.add("b", "declined", 9);
        t.set_measure("Mediantid (dagar)", "a", 12.5, 30);
        let csv = to_csv(&t.suppress(), "Mottagning");
        assert_eq!(
            csv,
            "\u{feff}Mottagning;Besvarade;Avböjda;Totalt;Mediantid (dagar)\r\n\
             Vårdcentralen Åby;x;<5;32;12,5\r\n\
             \"Psykiatri \"\"Syd\"\"; mottagning\";x;x;29;\r\n\
             Totalt;50;11;61;\r\n"
        );
    }

    #[test]
    fn a_label_excel_would_run_as_a_formula_is_defused() {
        assert_eq!(quoted("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(quoted("-1"), "'-1");
        assert_eq!(quoted("<5"), "<5");
        assert_eq!(decimal(3.0), "3");
        assert_eq!(decimal(2.24), "2,2");
    }
}
