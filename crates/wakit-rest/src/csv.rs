//! `Accept: text/csv`: a JSON array of row objects as PostgREST writes it in CSV — a
//! header of the first row's columns in their selected order, then one line per row;
//! `null` is an empty field, strings are bare unless they hold a comma, a quote or a
//! line break (then quoted, quotes doubled), embedded objects and arrays are their JSON
//! text. No rows is an empty body.

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// One row, its columns in the order the database wrote them.
struct Row(Vec<(String, Value)>);

impl<'de> serde::Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Columns;
        impl<'de> Visitor<'de> for Columns {
            type Value = Row;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a row object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Row, A::Error> {
                let mut columns = Vec::new();
                while let Some(pair) = map.next_entry()? {
                    columns.push(pair);
                }
                Ok(Row(columns))
            }
        }
        d.deserialize_map(Columns)
    }
}

/// The CSV text of `json`, an array of objects (anything else gives an empty body).
pub fn to_csv(json: &str) -> String {
    let rows: Vec<Row> = serde_json::from_str(json).unwrap_or_default();
    let Some(first) = rows.first() else {
        return String::new();
    };
    let mut out = String::new();
    let header: Vec<&str> = first.0.iter().map(|(k, _)| k.as_str()).collect();
    line(&mut out, header.iter().map(|k| field(k)));
    for row in &rows {
        line(
            &mut out,
            row.0.iter().map(|(_, v)| match v {
                Value::Null => String::new(),
                Value::String(s) => field(s),
                other => field(&other.to_string()),
            }),
        );
    }
    out
}

fn line(out: &mut String, fields: impl Iterator<Item = String>) {
    let fields: Vec<String> = fields.collect();
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&fields.join(","));
}

fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_lines_in_column_order() {
        let json = r#"[{"name":"Ana, la de \"Pan\"","id":1,"extra":{"a":[1]},"gone":null},
                       {"name":"Juan","id":2,"extra":{},"gone":true}]"#;
        assert_eq!(
            to_csv(json),
            "name,id,extra,gone\n\"Ana, la de \"\"Pan\"\"\",1,\"{\"\"a\"\":[1]}\",\nJuan,2,{},true"
        );
    }

    #[test]
    fn no_rows_is_an_empty_body() {
        assert_eq!(to_csv("[]"), "");
    }
}
