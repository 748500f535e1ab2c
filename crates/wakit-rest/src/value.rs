//! Filter values typed by their column: a value of the wrong type is 22P02 on both
//! engines (PostgreSQL would say so; SQLite would silently match nothing).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use uuid::Uuid;

use crate::error::{ErrorCode, RestError};
use crate::registry::ColType;

/// A typed value, bound (never interpolated) into the SQL.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// Text.
    Text(String),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A uuid.
    Uuid(Uuid),
    /// A time.
    Time(DateTime<Utc>),
    /// A JSON document.
    Json(serde_json::Value),
}

fn invalid(type_name: &str, raw: &str) -> RestError {
    RestError::new(
        ErrorCode::InvalidValue,
        format!("invalid input syntax for type {type_name}: \"{raw}\""),
    )
}

/// Parses `raw` as a value of `ty`.
pub fn typed(ty: ColType, raw: &str) -> Result<Value, RestError> {
    Ok(match ty {
        ColType::Text => Value::Text(raw.to_string()),
        ColType::Uuid => {
            Value::Uuid(Uuid::parse_str(raw.trim()).map_err(|_| invalid("uuid", raw))?)
        }
        ColType::Int => Value::Int(raw.trim().parse().map_err(|_| invalid("integer", raw))?),
        ColType::Bool => Value::Bool(parse_bool(raw).ok_or_else(|| invalid("boolean", raw))?),
        ColType::Time => {
            Value::Time(parse_time(raw).ok_or_else(|| invalid("timestamp with time zone", raw))?)
        }
        ColType::Json => Value::Json(parse_json(raw).ok_or_else(|| invalid("json", raw))?),
    })
}

fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "t" | "true" | "y" | "yes" | "on" | "1" => Some(true),
        "f" | "false" | "n" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// RFC 3339, `YYYY-MM-DD HH:MM:SS[.f][+zz[:zz]]`, or a date (midnight UTC).
pub fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let spaced = s.replacen(' ', "T", 1);
    if let Ok(t) = DateTime::parse_from_rfc3339(&spaced) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%#z",
        "%Y-%m-%dT%H:%M:%S%#z",
        "%Y-%m-%dT%H:%M%#z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(&spaced, fmt) {
            return Some(t.with_timezone(&Utc));
        }
    }
    let naive = spaced.trim_end_matches('Z');
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(naive, fmt) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// JSON text; a PostgreSQL array literal `{a,b}` (what postgrest-js sends for
/// `.contains(col, [..])`) reads as an array of strings.
pub fn parse_json(raw: &str) -> Option<serde_json::Value> {
    if let Ok(v) = serde_json::from_str(raw) {
        return Some(v);
    }
    let inner = raw.trim().strip_prefix('{')?.strip_suffix('}')?;
    let items = crate::parse::text::split_top(inner, ',', "value").ok()?;
    Some(serde_json::Value::Array(
        items
            .iter()
            .filter(|i| !i.is_empty())
            .map(|i| serde_json::Value::String(crate::parse::text::unquote(i)))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn values_take_their_column_type() {
        assert_eq!(typed(ColType::Int, "42").unwrap(), Value::Int(42));
        assert_eq!(typed(ColType::Bool, "TRUE").unwrap(), Value::Bool(true));
        let e = typed(ColType::Uuid, "abc").unwrap_err();
        assert_eq!(
            (e.code.code(), e.message.as_str()),
            ("22P02", "invalid input syntax for type uuid: \"abc\"")
        );
        assert!(typed(ColType::Int, "1.5").is_err());
    }

    #[test]
    fn times_in_the_forms_clients_send() {
        let t = |s| parse_time(s).map(|t| t.timestamp_micros());
        let base = t("2026-01-02T03:04:05Z").unwrap();
        assert_eq!(t("2026-01-02T03:04:05+00:00"), Some(base));
        assert_eq!(t("2026-01-02 03:04:05"), Some(base));
        assert_eq!(t("2026-01-02T05:04:05+02"), Some(base));
        assert_eq!(t("2026-01-02T03:04:05.5Z"), Some(base + 500_000));
        assert_eq!(
            t("2026-01-02"),
            Some(base - 3 * 3_600_000_000 - 4 * 60_000_000 - 5_000_000)
        );
        assert_eq!(t("yesterday"), None);
    }

    #[test]
    fn json_or_a_postgres_array_literal() {
        assert_eq!(
            parse_json("{\"a\":1}").unwrap(),
            serde_json::json!({"a": 1})
        );
        assert_eq!(
            parse_json("{insert,\"up,date\"}").unwrap(),
            serde_json::json!(["insert", "up,date"])
        );
        assert_eq!(parse_json("{}").unwrap(), serde_json::json!({}));
        assert!(parse_json("nope").is_none());
    }
}
