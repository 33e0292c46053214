//! SQL text with numbered `$n` placeholders, as a value: the store writes its queries in it
//! and the policy its list predicates, which the store then runs. It knows no database.

/// A query under construction with numbered `$n` placeholders, which both SQLite and
/// PostgreSQL accept.
#[derive(Default)]
pub struct Sql {
    text: String,
    args: Vec<Arg>,
}

#[derive(Clone, Debug)]
pub enum Arg {
    Text(String),
    Int(i64),
    /// A NULL must carry its type: PostgreSQL will not put a text NULL in a bigint column.
    NullText,
    NullInt,
}

impl From<&str> for Arg {
    fn from(value: &str) -> Self {
        Arg::Text(value.to_owned())
    }
}
impl From<String> for Arg {
    fn from(value: String) -> Self {
        Arg::Text(value)
    }
}
impl From<i64> for Arg {
    fn from(value: i64) -> Self {
        Arg::Int(value)
    }
}
impl From<Option<String>> for Arg {
    fn from(value: Option<String>) -> Self {
        value.map_or(Arg::NullText, Arg::Text)
    }
}
impl From<Option<&str>> for Arg {
    fn from(value: Option<&str>) -> Self {
        value.map_or(Arg::NullText, Into::into)
    }
}
impl From<Option<i64>> for Arg {
    fn from(value: Option<i64>) -> Self {
        value.map_or(Arg::NullInt, Arg::Int)
    }
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            args: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Whether nothing is written yet.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Ends the statement written so far, if any, so that another follows in the same
    /// command (SQLite runs them in order).
    pub fn next_statement(&mut self) -> &mut Self {
        if !self.text.is_empty() {
            self.text.push_str("; ");
        }
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind(&mut self, value: impl Into<Arg>) -> &mut Self {
        self.args.push(value.into());
        self.text.push_str(&format!("${}", self.args.len()));
        self
    }

    /// The same query with `prefix` before its text (`EXPLAIN QUERY PLAN `, say).
    pub fn prefixed(mut self, prefix: &str) -> Self {
        self.text.insert_str(0, prefix);
        self
    }

    /// The text and the values bound to its placeholders, in order.
    pub fn parts(&self) -> (&str, &[Arg]) {
        (&self.text, &self.args)
    }
}
