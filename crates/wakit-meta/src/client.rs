//! The Graph API client: sends, read receipts, templates and phone-number health.
//! Every call goes through the caller's base URL so the sandbox or a test double can
//! stand in for Meta.

use chrono::Utc;
use reqwest::header::RETRY_AFTER;
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};
use std::time::Duration;

use crate::errors::{MetaError, parse_retry_after};
pub use crate::types::{NumberInfo, SendOk, Template};

/// Meta's Graph API base URL with the pinned version.
pub const DEFAULT_GRAPH_URL: &str = "https://graph.facebook.com/v24.0";

/// Connect timeout for every Graph call.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Whole-request timeout for every Graph call.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Most template pages [`GraphClient::list_templates`] follows.
pub const MAX_TEMPLATE_PAGES: usize = 100;

/// Fields asked of `GET /{phone-number-id}`.
const NUMBER_FIELDS: &str = "id,verified_name,display_phone_number,quality_rating,\
whatsapp_business_manager_messaging_limit,messaging_limit_tier,throughput,status,health_status";
/// The same without the deprecated tier, in case Meta refuses it.
const NUMBER_FIELDS_CURRENT: &str = "id,verified_name,display_phone_number,quality_rating,\
whatsapp_business_manager_messaging_limit,throughput,status,health_status";

/// A Graph API client bound to one base URL. Cheap to clone.
#[derive(Clone, Debug)]
pub struct GraphClient {
    http: reqwest::Client,
    base: String,
}

impl GraphClient {
    /// A client for `base_url` (e.g. [`DEFAULT_GRAPH_URL`] or the sandbox's URL) with
    /// rustls, a 5 s connect timeout and a 15 s request timeout. Fails only if the TLS
    /// backend cannot be initialised.
    pub fn new(base_url: String) -> Result<Self, MetaError> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("wakit/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| MetaError::network(format!("building HTTP client: {e}")))?;
        Ok(Self::with_http(base_url, http))
    }

    /// A client using a caller-built `reqwest::Client`.
    pub fn with_http(base_url: String, http: reqwest::Client) -> Self {
        let base = base_url.trim_end_matches('/').to_string();
        GraphClient { http, base }
    }

    /// The base URL (without a trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }

    pub(crate) fn request(&self, method: Method, url: &str, token: &str) -> RequestBuilder {
        self.http.request(method, url).bearer_auth(token)
    }

    /// Sends the request; a non-2xx answer becomes a classified [`MetaError`].
    pub(crate) async fn call(&self, req: RequestBuilder) -> Result<Value, MetaError> {
        let resp = req.send().await.map_err(|e| MetaError {
            unreached: e.is_connect(),
            ..MetaError::network(transport(e))
        })?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| parse_retry_after(h, Utc::now()));
        let body = resp
            .bytes()
            .await
            .map_err(|e| MetaError::network(transport(e)))?;
        if !(200..300).contains(&status) {
            return Err(MetaError::from_response(status, retry_after, &body));
        }
        serde_json::from_slice(&body)
            .map_err(|e| MetaError::unexpected(status, format!("response is not JSON: {e}")))
    }

    /// `POST {base}/{phone_number_id}/messages` with `payload` (see
    /// [`crate::send_payload`]). `Ok` means Meta accepted it, not that it was delivered.
    pub async fn send(
        &self,
        phone_number_id: &str,
        token: &str,
        payload: &Value,
    ) -> Result<SendOk, MetaError> {
        let url = self.url(&format!("{phone_number_id}/messages"));
        let v = self
            .call(self.request(Method::POST, &url, token).json(payload))
            .await?;
        let msg = v.pointer("/messages/0");
        let wamid = msg
            .and_then(|m| m.get("id"))
            .and_then(Value::as_str)
            .ok_or_else(|| MetaError::unexpected(200, "send response without messages[0].id"))?;
        Ok(SendOk {
            wamid: wamid.to_string(),
            message_status: msg
                .and_then(|m| m.get("message_status"))
                .and_then(Value::as_str)
                .map(str::to_string),
        })
    }

    /// Marks the inbound message `wamid` read; with `typing`, also shows the typing
    /// indicator (reference §1.4).
    pub async fn mark_read(
        &self,
        phone_number_id: &str,
        token: &str,
        wamid: &str,
        typing: bool,
    ) -> Result<(), MetaError> {
        let mut body =
            json!({"messaging_product": "whatsapp", "status": "read", "message_id": wamid});
        if typing {
            body["typing_indicator"] = json!({"type": "text"});
        }
        let url = self.url(&format!("{phone_number_id}/messages"));
        self.call(self.request(Method::POST, &url, token).json(&body))
            .await?;
        Ok(())
    }

    /// Every template of the WABA, following pagination until `paging.next` is absent
    /// (at most [`MAX_TEMPLATE_PAGES`] pages). Later pages are asked of the base URL with
    /// the `after` cursor, so the token never goes to another host.
    pub async fn list_templates(
        &self,
        waba_id: &str,
        token: &str,
    ) -> Result<Vec<Template>, MetaError> {
        let url = self.url(&format!("{waba_id}/message_templates"));
        let mut templates = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_TEMPLATE_PAGES {
            let mut query = vec![("limit", "100".to_string())];
            if let Some(cursor) = &after {
                query.push(("after", cursor.clone()));
            }
            let page = self
                .call(self.request(Method::GET, &url, token).query(&query))
                .await?;
            let items = page.get("data").and_then(Value::as_array);
            templates.extend(
                items
                    .into_iter()
                    .flatten()
                    .filter_map(|t| serde_json::from_value::<Template>(t.clone()).ok()),
            );
            if page.pointer("/paging/next").is_none_or(Value::is_null) {
                return Ok(templates);
            }
            match page
                .pointer("/paging/cursors/after")
                .and_then(Value::as_str)
            {
                Some(next) if after.as_deref() != Some(next) => after = Some(next.to_string()),
                _ => {
                    return Err(MetaError::unexpected(
                        200,
                        "template page has paging.next without a new cursors.after",
                    ));
                }
            }
        }
        Err(MetaError::unexpected(
            200,
            format!("more than {MAX_TEMPLATE_PAGES} template pages"),
        ))
    }

    /// The number's profile, limits and health. If Meta refuses the deprecated
    /// `messaging_limit_tier` field (code 100), asks again without it.
    pub async fn phone_number(
        &self,
        phone_number_id: &str,
        token: &str,
    ) -> Result<NumberInfo, MetaError> {
        let url = self.url(phone_number_id);
        let get = |fields: &'static str| {
            self.call(
                self.request(Method::GET, &url, token)
                    .query(&[("fields", fields)]),
            )
        };
        let v = match get(NUMBER_FIELDS).await {
            Err(e) if e.code == Some(100) && e.subcode.is_none() => {
                get(NUMBER_FIELDS_CURRENT).await?
            }
            other => other?,
        };
        Ok(NumberInfo::from_json(&v))
    }
}

/// A transport error described without leaking the URL's query (tokens may sit there).
pub(crate) fn transport(e: reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "transport error"
    };
    let e = e.without_url();
    let mut msg = format!("{what}: {e}");
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}
