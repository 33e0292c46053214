//! Running `Sql` on a unit of work, multi-row inserts and typed column access.

use std::borrow::Cow;
use std::str::FromStr;

use sqlx::any::AnyRow;
use sqlx::{Any, Row};

use super::{Reads, StoreError, StoreResult, Tx};
use crate::sql::{Arg, Sql};

/// Rows per multi-row INSERT: both databases cap the bind parameters of one statement.
pub(crate) const ROWS_PER_INSERT: usize = 500;

/// Inserts `rows` in multi-row statements of at most `ROWS_PER_INSERT` rows. `insert` ends in
/// `VALUES `; `values` binds one row's values, comma-separated, without the parentheses.
pub(crate) async fn insert_rows<T>(
    conn: &mut sqlx::AnyConnection,
    insert: &str,
    rows: &[T],
    values: impl Fn(&mut Sql, &T),
) -> StoreResult<()> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut sql = Sql::new("");
        push_values(&mut sql, insert, chunk, &values);
        sql.execute_on(conn).await?;
    }
    Ok(())
}

/// Appends one multi-row INSERT: `insert` (ending in `VALUES `), then a parenthesised row
/// of `values` per row.
pub(crate) fn push_values<T>(
    sql: &mut Sql,
    insert: &str,
    rows: &[T],
    values: impl Fn(&mut Sql, &T),
) {
    sql.push(insert);
    for (i, row) in rows.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        values(sql, row);
        sql.push(")");
    }
}

impl Sql {
    /// The statement's text as `conn`'s database should get it: on SQLite with anonymous `?`
    /// placeholders where that is the same statement (see `anonymous_placeholders`).
    pub(super) fn text_for(&self, conn: &sqlx::AnyConnection) -> Cow<'_, str> {
        let (text, args) = self.parts();
        if conn.backend_name() == "SQLite" {
            if let Some(text) = anonymous_placeholders(text, args.len()) {
                return Cow::Owned(text);
            }
        }
        Cow::Borrowed(text)
    }

    /// `text` (this statement's, from `text_for`) with this statement's values bound.
    pub(super) fn query_with<'a>(
        &'a self,
        text: &'a str,
    ) -> sqlx::query::Query<'a, Any, sqlx::any::AnyArguments<'a>> {
        let mut query = sqlx::query(text);
        for arg in self.parts().1 {
            query = match arg {
                Arg::Text(text) => query.bind(text.as_str()),
                Arg::Int(int) => query.bind(*int),
                Arg::NullText => query.bind(Option::<String>::None),
                Arg::NullInt => query.bind(Option::<i64>::None),
            };
        }
        query
    }

    pub async fn fetch_all(&self, tx: &mut impl Reads) -> StoreResult<Vec<AnyRow>> {
        let conn = tx.conn();
        let text = self.text_for(conn);
        Ok(self.query_with(&text).fetch_all(conn).await?)
    }

    pub async fn fetch_optional(&self, tx: &mut impl Reads) -> StoreResult<Option<AnyRow>> {
        let conn = tx.conn();
        let text = self.text_for(conn);
        Ok(self.query_with(&text).fetch_optional(conn).await?)
    }

    pub async fn execute(&self, tx: &mut Tx) -> StoreResult<u64> {
        let conn = tx.conn();
        let text = self.text_for(conn);
        Ok(self.query_with(&text).execute(conn).await?.rows_affected())
    }

    /// Runs the statement on `conn`.
    pub(super) async fn execute_on(&self, conn: &mut sqlx::AnyConnection) -> StoreResult<u64> {
        let text = self.text_for(conn);
        Ok(self.query_with(&text).execute(conn).await?.rows_affected())
    }

    /// Runs the statement on `conn` and returns its one row.
    pub(super) async fn fetch_one_on(&self, conn: &mut sqlx::AnyConnection) -> StoreResult<AnyRow> {
        let text = self.text_for(conn);
        Ok(self.query_with(&text).fetch_one(conn).await?)
    }

    /// Runs the statement on `conn` and returns its rows.
    pub(super) async fn fetch_all_on(
        &self,
        conn: &mut sqlx::AnyConnection,
    ) -> StoreResult<Vec<AnyRow>> {
        let text = self.text_for(conn);
        Ok(self.query_with(&text).fetch_all(conn).await?)
    }
}

/// `text` with SQLite's anonymous `?` in place of its numbered placeholders, when these are
/// `$1`, `$2`, … `$args` in order, each once, outside quotes (as `Sql::bind` writes them): the
/// same statement, since SQLite numbers each `?` one after the one before. SQLite looks a
/// named `$n` up in a list while it parses and again for every value bound, which makes a
/// statement with thousands of values (a batch's multi-row INSERT of audit rows) cost time
/// quadratic in their number; an anonymous one costs nothing to look up. `None` (run the text
/// as written) for anything else: other placeholders, a comment, or nothing to replace.
pub(super) fn anonymous_placeholders(text: &str, args: usize) -> Option<String> {
    if args == 0 {
        return None;
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut i, mut copied, mut next) = (0, 0, 1);
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"') => {
                // A doubled quote inside ends one quoted run and starts the next: the same.
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += 1;
                }
                if i == bytes.len() {
                    return None;
                }
                i += 1;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => return None,
            b'/' if bytes.get(i + 1) == Some(&b'*') => return None,
            b'?' | b':' | b'@' => return None,
            b'$' => {
                let start = i;
                i += 1;
                let digits = i;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                if text[digits..i].parse::<usize>().ok()? != next {
                    return None;
                }
                next += 1;
                out.push_str(&text[copied..start]);
                out.push('?');
                copied = i;
            }
            _ => i += 1,
        }
    }
    if next - 1 != args {
        return None;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// Typed column access that turns decode failures into `StoreError::Other`.
pub trait RowExt {
    fn text(&self, column: &str) -> StoreResult<String>;
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>>;
    fn int(&self, column: &str) -> StoreResult<i64>;
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>>;
    fn id<T: FromStr>(&self, column: &str) -> StoreResult<T>;
    fn opt_id<T: FromStr>(&self, column: &str) -> StoreResult<Option<T>>;
}

impl RowExt for AnyRow {
    fn text(&self, column: &str) -> StoreResult<String> {
        self.try_get(column)
            .map_err(|e| StoreError::Other(e.into()))
    }
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>> {
        self.try_get(column)
            .map_err(|e| StoreError::Other(e.into()))
    }
    fn int(&self, column: &str) -> StoreResult<i64> {
        self.try_get(column)
            .map_err(|e| StoreError::Other(e.into()))
    }
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>> {
        self.try_get(column)
            .map_err(|e| StoreError::Other(e.into()))
    }
    fn id<T: FromStr>(&self, column: &str) -> StoreResult<T> {
        let text = self.text(column)?;
        text.parse()
            .map_err(|_| StoreError::Other(anyhow::anyhow!("column {column} holds no valid id")))
    }
    fn opt_id<T: FromStr>(&self, column: &str) -> StoreResult<Option<T>> {
        match self.opt_text(column)? {
            None => Ok(None),
            Some(text) => text.parse().map(Some).map_err(|_| {
                StoreError::Other(anyhow::anyhow!("column {column} holds no valid id"))
            }),
        }
    }
}

/// Parses a stored code into its enum, or reports the corrupt row.
pub fn decode_code<T>(code: &str, parse: fn(&str) -> Option<T>) -> StoreResult<T> {
    parse(code).ok_or_else(|| StoreError::Other(anyhow::anyhow!("unknown stored code {code:?}")))
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::anonymous_placeholders as anon;

    #[test]
    fn numbered_placeholders_in_order_become_anonymous() {
        assert_eq!(
            anon("INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)", 4).as_deref(),
            Some("INSERT INTO t (a, b) VALUES (?, ?), (?, ?)")
        );
        assert_eq!(
            anon(
                "UPDATE h SET n = n WHERE id = 1; UPDATE t SET a = $1 WHERE b = $2",
                2
            )
            .as_deref(),
            Some("UPDATE h SET n = n WHERE id = 1; UPDATE t SET a = ? WHERE b = ?")
        );
        assert_eq!(
            anon(
                "SELECT 'it''s $9', \"$8\" FROM t WHERE a = $1 AND b = $2",
                2
            )
            .as_deref(),
            Some("SELECT 'it''s $9', \"$8\" FROM t WHERE a = ? AND b = ?"),
            "quoted text is left as it is"
        );
        let many: Vec<String> = (1..=3000).map(|n| format!("(${n})")).collect();
        let text = format!("INSERT INTO t (a) VALUES {}", many.join(", "));
        let anonymous = anon(&text, 3000).expect("rewritten");
        assert_eq!(anonymous.matches('?').count(), 3000);
        assert!(!anonymous.contains('$'));
    }

    #[test]
    fn anything_else_runs_as_written() {
        assert_eq!(anon("SELECT 1", 0), None, "nothing to replace");
        assert_eq!(anon("SELECT $1, $1", 2), None, "a placeholder used twice");
        assert_eq!(anon("SELECT $2, $1", 2), None, "out of order");
        assert_eq!(anon("SELECT $1", 2), None, "fewer placeholders than values");
        assert_eq!(
            anon("SELECT $1, $2", 1),
            None,
            "more placeholders than values"
        );
        assert_eq!(anon("SELECT $1, ?", 1), None, "mixed with anonymous ones");
        assert_eq!(anon("SELECT $1 -- $2", 1), None, "a comment");
        assert_eq!(anon("SELECT $1, 'open", 1), None, "an unclosed quote");
        assert_eq!(anon("SELECT $x", 1), None, "a named placeholder");
    }
}
