//! The text and format rules request fields share, each stated once: the validator the server
//! runs and the JSON Schema the OpenAPI document shows are defined side by side, so a client
//! generated from the document sends nothing the server refuses for its form. Rules a JSON
//! Schema cannot state (one field before another, a check digit, a reference to a row) are
//! listed per operation in its `x-field-rules` extension (see [`FieldRule`]).

use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{Array, ArrayBuilder, ObjectBuilder, SchemaType, Type};
use utoipa::openapi::OpenApi;
use validator::ValidationError;

/// No control character (Unicode Cc: U+0000–U+001F, U+007F–U+009F), at least one that is not
/// white space: what [`text_line`] accepts.
pub const LINE: &str = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$";
/// As [`LINE`], but may be empty or blank (an optional field where blank means none).
pub const LINE_OR_BLANK: &str = r"^[^\x00-\x1F\x7F-\x9F]*$";
/// No control character but line feed, carriage return and tab, at least one character that
/// is not white space: what [`not_blank`] accepts.
pub const TEXT: &str = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$";
/// As [`TEXT`], but may be empty or blank.
pub const TEXT_OR_BLANK: &str = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$";
/// Any text without NUL, which PostgreSQL cannot store (passwords, search terms).
pub const NO_NUL: &str = r"^[^\x00]*$";
/// 5–20 digits, with spaces, `+`, `-` and parentheses between them: [`valid_phone`].
pub const PHONE: &str = r"^[ +()-]*(?:[0-9][ +()-]*){5,20}$";
/// An https address without white space or control characters, or empty (none).
pub const VIDEO_LINK: &str = r"^(?:https://[^\s\x00-\x1F\x7F-\x9F]+)?$";
/// An address `validator`'s e-mail check accepts: HTML5's local part at a host name.
pub const EMAIL: &str = r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$";

/// A field error with its code and Swedish message, for `validator` custom checks.
fn text_error(code: &'static str, message: &'static str) -> ValidationError {
    let mut err = ValidationError::new(code);
    err.message = Some(message.into());
    err
}

fn has_control(value: &str, allowed: &[char]) -> bool {
    value
        .chars()
        .any(|c| c.is_control() && !allowed.contains(&c))
}

fn checked(value: &str, allowed: &[char]) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        return Err(text_error("required", "får inte vara tomt"));
    }
    if has_control(value, allowed) {
        return Err(text_error(
            "control_character",
            "innehåller otillåtna styrtecken",
        ));
    }
    Ok(())
}

const LINE_BREAKS: &[char] = &['\n', '\r', '\t'];

/// Free text ([`TEXT`]): not only white space, no control characters but line breaks and tabs.
pub fn not_blank(value: &str) -> Result<(), ValidationError> {
    checked(value, LINE_BREAKS)
}

/// One-line text such as names and titles ([`LINE`]): not blank, no control characters.
pub fn text_line(value: &str) -> Result<(), ValidationError> {
    checked(value, &[])
}

/// Optional free text ([`TEXT_OR_BLANK`]): blank means none.
pub fn blank_or_text(value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        return Ok(());
    }
    not_blank(value)
}

/// Optional one-line text ([`LINE_OR_BLANK`]): blank means none.
pub fn blank_or_line(value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        return Ok(());
    }
    text_line(value)
}

/// A telephone number ([`PHONE`]).
pub fn valid_phone(value: &str) -> Result<(), ValidationError> {
    let digits = value.bytes().filter(u8::is_ascii_digit).count();
    let allowed = value
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b' ' | b'+' | b'-' | b'(' | b')'));
    if allowed && (5..=20).contains(&digits) && value.len() <= 40 {
        return Ok(());
    }
    Err(text_error(
        "invalid_phone",
        "ange ett telefonnummer (siffror, mellanslag, +, -)",
    ))
}

/// A video link ([`VIDEO_LINK`]): an https address without spaces or control characters.
pub fn valid_video_link(value: &str) -> Result<(), ValidationError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(());
    }
    let ok = value.len() > "https://".len()
        && value
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
        && !value.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(text_error(
            "invalid_video_link",
            "ange en länk som börjar med https://",
        ))
    }
}

/// The patterns request fields name as `pattern = "$name"` in their `#[schema]` attribute;
/// [`state_patterns`] writes the regular expression itself into the document. The name keeps
/// a field's doc comment, its length limits and its nullability, which `schema_with` would drop.
const PATTERNS: &[(&str, &str)] = &[
    ("$line", LINE),
    ("$line_or_blank", LINE_OR_BLANK),
    ("$text", TEXT),
    ("$text_or_blank", TEXT_OR_BLANK),
    ("$no_nul", NO_NUL),
    ("$phone", PHONE),
    ("$video_link", VIDEO_LINK),
    ("$email", EMAIL),
];

/// Replaces every `"$name"` pattern in the document with the expression it names.
pub fn state_patterns(openapi: &mut OpenApi) {
    fn walk(value: &mut serde_json::Value) {
        if let Some(line) = text_line_field(value) {
            *value = line;
        }
        match value {
            serde_json::Value::Object(map) => {
                for (key, item) in map.iter_mut() {
                    if key == "pattern" {
                        if let Some(named) = item.as_str().and_then(pattern_named) {
                            *item = named.into();
                        }
                    } else {
                        walk(item);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let Ok(mut value) = serde_json::to_value(&*openapi) else {
        return;
    };
    walk(&mut value);
    match serde_json::from_value(value) {
        Ok(stated) => *openapi = stated,
        Err(err) => tracing::error!(%err, "the OpenAPI document's patterns could not be stated"),
    }
}

/// A [`TextLine`] field as utoipa writes an inlined type: `oneOf` its schema (and `null` when
/// optional), beside the field's description. Written as a plain string field, exactly as a
/// `String` field with the same limits reads, nullable by its `type`.
fn text_line_field(value: &serde_json::Value) -> Option<serde_json::Value> {
    use serde_json::{json, Value};
    let map = value.as_object()?;
    let items = map.get("oneOf")?.as_array()?;
    let null = json!({ "type": "null" });
    let nullable = items.contains(&null);
    let mut schemas = items.iter().filter(|item| **item != null);
    let line = schemas.next()?;
    if schemas.next().is_some() || line.get("pattern") != Some(&Value::from("$line")) {
        return None;
    }
    let mut field = line.as_object()?.clone();
    if nullable {
        field.insert("type".into(), json!(["string", "null"]));
    }
    for (key, item) in map.iter().filter(|(key, _)| *key != "oneOf") {
        field.insert(key.clone(), item.clone());
    }
    Some(Value::Object(field))
}

fn pattern_named(name: &str) -> Option<&'static str> {
    PATTERNS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, pattern)| *pattern)
}

/// Up to `ITEMS` one-line texts of 1–`MAX` characters each (an array's items take no
/// `#[schema]` attribute of their own).
pub fn lines<const MAX: usize, const ITEMS: usize>() -> Array {
    lines_of::<MAX, ITEMS>(Type::Array.into())
}

/// As [`lines`], or null.
pub fn lines_or_null<const MAX: usize, const ITEMS: usize>() -> Array {
    lines_of::<MAX, ITEMS>(SchemaType::from_iter([Type::Array, Type::Null]))
}

fn lines_of<const MAX: usize, const ITEMS: usize>(schema_type: SchemaType) -> Array {
    let line = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(LINE))
        .min_length(Some(1))
        .max_length(Some(MAX));
    ArrayBuilder::new()
        .schema_type(schema_type)
        .items(line)
        .max_items(Some(ITEMS))
        .build()
}

/// An optional whole number, written `89` or `89.0` (JSON Schema counts both as the integer
/// 89, so a client generated from the document may send either); a fraction is refused.
pub fn whole_number<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let Some(number) = Option::<serde_json::Number>::deserialize(deserializer)? else {
        return Ok(None);
    };
    if let Some(n) = number.as_i64() {
        return Ok(Some(n));
    }
    match number.as_f64() {
        // Within ±2^53 every whole f64 converts exactly.
        Some(f) if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 => Ok(Some(f as i64)),
        _ => Err(serde::de::Error::custom(format!(
            "invalid value: {number}, expected a whole number"
        ))),
    }
}

/// A required whole number within `T`'s range, written `1` or `1.0` (as `whole_number`).
pub fn whole<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64>,
{
    match whole_number(deserializer)? {
        Some(n) => T::try_from(n)
            .map_err(|_| serde::de::Error::custom(format!("invalid value: {n}, out of range"))),
        None => Err(serde::de::Error::custom(
            "invalid type: null, expected a whole number",
        )),
    }
}

/// An optional whole number within `T`'s range, written `1` or `1.0` (as `whole_number`).
pub fn whole_within<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64>,
{
    whole_number(deserializer)?
        .map(|n| {
            T::try_from(n)
                .map_err(|_| serde::de::Error::custom(format!("invalid value: {n}, out of range")))
        })
        .transpose()
}

/// A rule a field must meet that JSON Schema cannot state: it depends on another field, on
/// the time of the request or on stored data. Listed in the operation's `x-field-rules`, with
/// the field error `code` a request breaking it gets (422).
#[derive(Serialize)]
pub struct FieldRule {
    pub field: &'static str,
    pub code: &'static str,
    pub rule: &'static str,
}

impl FieldRule {
    pub const fn new(field: &'static str, code: &'static str, rule: &'static str) -> Self {
        Self { field, code, rule }
    }
}

/// The API's one-line text field (a title, a name, a reason): 1–`MAX` characters, not blank,
/// no control characters. Stated once: the checks the server runs (as a nested `Validate`,
/// its errors reported at the field's own path) and the schema the document shows (the
/// `$line` pattern with its length limits; nullable where the field is an `Option`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TextLine<const MAX: usize>(String);

/// The key a nested check reports its own errors under: the field's path itself.
pub const AT_FIELD: &str = "";

impl<const MAX: usize> TextLine<MAX> {
    /// A value read back from the store, which checked it when it came in.
    pub fn stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl<const MAX: usize> From<TextLine<MAX>> for String {
    fn from(line: TextLine<MAX>) -> Self {
        line.0
    }
}

impl<const MAX: usize> std::ops::Deref for TextLine<MAX> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> validator::Validate for TextLine<MAX> {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        let mut errors = validator::ValidationErrors::new();
        if !(1..=MAX).contains(&self.0.chars().count()) {
            let mut err = ValidationError::new("length");
            err.message = Some(format!("1–{MAX} tecken").into());
            errors.add(AT_FIELD, err);
        }
        if let Err(err) = text_line(&self.0) {
            errors.add(AT_FIELD, err);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

impl<const MAX: usize> utoipa::PartialSchema for TextLine<MAX> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::String))
            .min_length(Some(1))
            .max_length(Some(MAX))
            .pattern(Some("$line"))
            .into()
    }
}

/// Named by its limit (`TextLine200`, `TextLine500`, …): one name for every `MAX` would give
/// the document one schema, with one limit, for all of them.
impl<const MAX: usize> utoipa::ToSchema for TextLine<MAX> {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Owned(format!("TextLine{MAX}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_validators_accept_what_the_patterns_describe() {
        assert!(text_line("Ärende 1").is_ok());
        assert!(text_line("a\u{85}b").is_err());
        assert!(not_blank("rad 1\nrad 2\t").is_ok());
        assert!(not_blank(" \n ").is_err());
        assert!(valid_phone("+46 (0)8-123 45").is_ok());
        assert!(valid_phone("1234").is_err());
        assert!(valid_video_link("https://möte.example/x").is_ok());
        assert!(valid_video_link("http://x").is_err());
    }

    #[test]
    #[allow(clippy::panic)]
    fn a_text_line_reports_at_its_field_with_the_codes_of_a_string_field() {
        use validator::Validate;

        #[derive(serde::Deserialize, Validate)]
        struct Body {
            #[validate(nested)]
            title: TextLine<5>,
            #[validate(nested)]
            note: Option<TextLine<5>>,
        }
        let body: Body = serde_json::from_value(serde_json::json!({
            "title": "",
            "note": "a\u{1}bcdef"
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let errors = body.validate().err().map(crate::error::AppError::from);
        let Some(crate::error::AppError::Validation(fields)) = errors else {
            panic!("expected field errors");
        };
        let got: Vec<_> = fields
            .iter()
            .map(|f| (f.field.as_str(), f.code.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("note", "length"),
                ("note", "control_character"),
                ("title", "length"),
                ("title", "required"),
            ]
        );
        let ok: Body =
            serde_json::from_value(serde_json::json!({ "title": "Ärend", "note": null }))
                .unwrap_or_else(|e| panic!("{e}"));
        assert!(ok.validate().is_ok());
        assert_eq!(ok.title.as_str(), "Ärend");
    }
}
