//! rmcp's Streamable HTTP client transport over the workspace's reqwest 0.12 (rmcp's own
//! reqwest client is 0.13, a second HTTP stack): POST a JSON-RPC message, read the
//! answer, JSON or a server-sent-events body, within [`MAX_BODY`] bytes. Only what a
//! request/response exchange needs: no standalone event stream (a server offering one
//! still answers each POST), no resumption.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use futures::stream::BoxStream;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue};
use rmcp::model::{ClientJsonRpcMessage, JsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_client::{
    SseError, StreamableHttpClient, StreamableHttpError, StreamableHttpPostResponse,
};

/// Most bytes read of one answer.
pub const MAX_BODY: usize = 1024 * 1024;

const SESSION_HEADER: &str = "mcp-session-id";

type Error = StreamableHttpError<reqwest::Error>;

/// A reqwest 0.12 client speaking rmcp's client side of Streamable HTTP.
#[derive(Clone)]
pub struct McpHttp(pub reqwest::Client);

fn unexpected(what: impl Into<Cow<'static, str>>) -> Error {
    StreamableHttpError::UnexpectedServerResponse(what.into())
}

fn request(
    http: &reqwest::Client,
    method: reqwest::Method,
    uri: &str,
    session: Option<&str>,
    auth: Option<String>,
    headers: HashMap<HeaderName, HeaderValue>,
) -> reqwest::RequestBuilder {
    let mut req = http
        .request(method, uri)
        .header(ACCEPT, "application/json, text/event-stream");
    if let Some(token) = auth {
        req = req.bearer_auth(token);
    }
    if let Some(id) = session {
        req = req.header(SESSION_HEADER, id);
    }
    for (name, value) in headers {
        req = req.header(name, value);
    }
    req
}

/// The body, or an error past [`MAX_BODY`] bytes.
async fn bounded_body(mut resp: reqwest::Response) -> Result<Vec<u8>, Error> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(StreamableHttpError::Client)? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(StreamableHttpError::ResponseBodyTooLarge { max_size: MAX_BODY });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The last JSON-RPC response or error in a server-sent-events body (notifications
/// before it, such as progress, are dropped).
fn last_message_of_events(body: &str) -> Option<ServerJsonRpcMessage> {
    let mut last = None;
    for event in body.replace("\r\n", "\n").split("\n\n") {
        let data: Vec<&str> = event
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(|d| d.strip_prefix(' ').unwrap_or(d))
            .collect();
        if data.is_empty() {
            continue;
        }
        if let Ok(msg) = serde_json::from_str::<ServerJsonRpcMessage>(&data.join("\n"))
            && matches!(msg, JsonRpcMessage::Response(_) | JsonRpcMessage::Error(_))
        {
            last = Some(msg);
        }
    }
    last
}

impl StreamableHttpClient for McpHttp {
    type Error = reqwest::Error;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<StreamableHttpPostResponse, Error> {
        let req = request(
            &self.0,
            reqwest::Method::POST,
            &uri,
            session_id.as_deref(),
            auth_header,
            custom_headers,
        );
        let resp = req
            .json(&message)
            .send()
            .await
            .map_err(StreamableHttpError::Client)?;
        let status = resp.status();
        if matches!(status.as_u16(), 202 | 204) {
            return Ok(StreamableHttpPostResponse::Accepted);
        }
        let session = resp
            .headers()
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let kind = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let body = bounded_body(resp).await?;
        if body.is_empty() && status.is_success() {
            return Ok(StreamableHttpPostResponse::Accepted);
        }
        let text = String::from_utf8_lossy(&body);
        let parsed = if kind.starts_with("text/event-stream") {
            last_message_of_events(&text)
        } else {
            serde_json::from_str::<ServerJsonRpcMessage>(&text).ok()
        };
        match parsed {
            // A JSON-RPC error rides on a non-2xx status too: give it to the caller.
            Some(msg) if status.is_success() || matches!(msg, JsonRpcMessage::Error(_)) => {
                Ok(StreamableHttpPostResponse::Json(msg, session))
            }
            _ if !status.is_success() => Err(unexpected(format!("HTTP {status}"))),
            _ => Err(unexpected("the answer is not a JSON-RPC message")),
        }
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), Error> {
        let req = request(
            &self.0,
            reqwest::Method::DELETE,
            &uri,
            Some(&session_id),
            auth_header,
            custom_headers,
        );
        // Best effort: the session ends with the server's own timeout otherwise.
        let _ = req.send().await;
        Ok(())
    }

    async fn get_stream(
        &self,
        _uri: Arc<str>,
        _session_id: Option<Arc<str>>,
        _last_event_id: Option<String>,
        _auth_header: Option<String>,
        _custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<BoxStream<'static, Result<sse_stream::Sse, SseError>>, Error> {
        Err(StreamableHttpError::ServerDoesNotSupportSse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_response_of_an_event_body_is_taken() {
        let body = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":1,\"progress\":1}}\n\n\
                    id: 2\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n";
        let msg = last_message_of_events(body).expect("a response");
        assert!(matches!(msg, JsonRpcMessage::Response(_)));
        assert!(last_message_of_events("data: nope\n\n").is_none());
    }
}
