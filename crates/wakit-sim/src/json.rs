//! Meta's JSON byte form: ASCII only (non-ASCII as lower-case `\uXXXX`, surrogate pairs
//! beyond the BMP) and `/` as `\/`. Webhook signatures are computed over exactly these
//! bytes (reference §3.2), and Graph responses use the same form.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// Serialises `value` the way Meta does.
pub fn to_meta_json(value: &Value) -> String {
    // serde_json's compact output has non-ASCII characters and `/` only inside strings,
    // so escaping them character by character keeps the JSON valid and equal in value.
    let plain = value.to_string();
    let mut out = String::with_capacity(plain.len() + 16);
    for c in plain.chars() {
        match c {
            '/' => out.push_str("\\/"),
            c if c.is_ascii() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out
}

/// A Graph API JSON response in Meta's byte form.
pub struct MetaJson(pub StatusCode, pub Value);

impl IntoResponse for MetaJson {
    fn into_response(self) -> Response {
        let mut resp = (self.0, to_meta_json(&self.1)).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=UTF-8"),
        );
        resp
    }
}

/// 200 with `value` in Meta's byte form.
pub fn ok(value: Value) -> Response {
    MetaJson(StatusCode::OK, value).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_like_meta() {
        let v = json!({"t": "äöå 😮 a/b \"q\"\n"});
        let s = to_meta_json(&v);
        assert_eq!(s, r#"{"t":"\u00e4\u00f6\u00e5 \ud83d\ude2e a\/b \"q\"\n"}"#);
        assert!(s.is_ascii());
        let back: Value = serde_json::from_str(&s).expect("valid json");
        assert_eq!(back, v);
    }
}
