//! Running `Sql` on a unit of work, multi-row inserts and typed column access.

use std::str::FromStr;

use sqlx::any::AnyRow;
use sqlx::{Any, Row};

use super::{Reads, StoreError, StoreResult, Tx};
use crate::sql::{Arg, Sql};

/// Rows per multi-row INSERT: both databases cap the bind parameters of one statement.
const ROWS_PER_INSERT: usize = 500;

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
        sql.query().execute(&mut *conn).await?;
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
    pub(super) fn query(&self) -> sqlx::query::Query<'_, Any, sqlx::any::AnyArguments<'_>> {
        let (text, args) = self.parts();
        let mut query = sqlx::query(text);
        for arg in args {
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
        Ok(self.query().fetch_all(tx.conn()).await?)
    }

    pub async fn fetch_optional(&self, tx: &mut impl Reads) -> StoreResult<Option<AnyRow>> {
        Ok(self.query().fetch_optional(tx.conn()).await?)
    }

    pub async fn execute(&self, tx: &mut Tx) -> StoreResult<u64> {
        Ok(self.query().execute(tx.conn()).await?.rows_affected())
    }
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
