//! Uploads through `POST /media`, as a client sends them.

use serde_json::Value;

/// A multipart body with one `file` field: its Content-Type header and bytes.
pub fn form(name: &str, mime: Option<&str>, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "wakit-test-boundary-7d3f";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
    )
    .into_bytes();
    if let Some(m) = mime {
        body.extend_from_slice(format!("Content-Type: {m}\r\n").as_bytes());
    }
    body.extend_from_slice(b"\r\n");
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Uploads `bytes` as `name` (of type `mime`) with `key` to the server at `root`; the
/// answer's status and JSON body.
pub async fn upload(
    root: &str,
    key: &str,
    name: &str,
    mime: Option<&str>,
    bytes: &[u8],
) -> (u16, Value) {
    let (ctype, body) = form(name, mime, bytes);
    let resp = reqwest::Client::new()
        .post(format!("{root}/functions/v1/api/media"))
        .bearer_auth(key)
        .header("content-type", ctype)
        .body(body)
        .send()
        .await
        .expect("upload");
    (
        resp.status().as_u16(),
        resp.json().await.unwrap_or(Value::Null),
    )
}
