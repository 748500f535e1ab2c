//! A typed client of the REST API (the CLI and the tests use it). Every call returns the
//! raw JSON too, so `--json` output is exactly what the server said.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;

use crate::*;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error body.
    #[error("{}", .body.error)]
    Api {
        /// HTTP status.
        status: u16,
        /// The error body (`error`, `code`, ...).
        body: Box<ErrorBody>,
        /// `Retry-After` in seconds, when the server sent one.
        retry_after: Option<u64>,
    },
    /// The server could not be reached or the connection broke.
    #[error("cannot reach {url}: {detail}")]
    Transport {
        /// The URL called.
        url: String,
        /// What went wrong.
        detail: String,
    },
    /// The server answered something that is not the API's JSON.
    #[error("unexpected answer from {url} (HTTP {status}): {detail}")]
    Decode {
        /// The URL called.
        url: String,
        /// HTTP status.
        status: u16,
        /// What could not be read.
        detail: String,
    },
}

impl ClientError {
    /// The machine code of an API error.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { body, .. } => Some(&body.code),
            _ => None,
        }
    }
    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A typed answer with the JSON it came from.
#[derive(Clone, Debug)]
pub struct Answer<T> {
    /// HTTP status (200, 202).
    pub status: u16,
    /// The decoded body.
    pub value: T,
    /// The body as JSON.
    pub raw: Value,
}

/// A client bound to one wakit server and API key.
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) http: reqwest::Client,
    base: String,
    pub(crate) key: String,
}

impl Client {
    /// `base_url` is the server's root (`https://api.example.com`), without the API prefix.
    pub fn new(base_url: &str, api_key: &str) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("wakit-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Transport {
                url: base_url.to_string(),
                detail: e.to_string(),
            })?;
        Ok(Client {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            key: api_key.to_string(),
        })
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}{}", self.base, API_PREFIX, path)
    }

    /// `GET {path}` with a query, decoded.
    pub async fn get<Q: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        query: &Q,
    ) -> Result<Answer<T>, ClientError> {
        let url = self.url(path);
        let req = self.http.get(&url).bearer_auth(&self.key).query(query);
        finish(url, req.send().await).await
    }

    /// `POST {path}` with a JSON body and an optional idempotency key, decoded.
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        idempotency_key: Option<&str>,
    ) -> Result<Answer<T>, ClientError> {
        let url = self.url(path);
        let mut req = self.http.post(&url).bearer_auth(&self.key).json(body);
        if let Some(k) = idempotency_key {
            req = req.header(IDEMPOTENCY_HEADER, k);
        }
        finish(url, req.send().await).await
    }

    /// `PATCH {path}` with a JSON body, decoded.
    pub async fn patch<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<Answer<T>, ClientError> {
        let url = self.url(path);
        let req = self.http.patch(&url).bearer_auth(&self.key).json(body);
        finish(url, req.send().await).await
    }

    /// `DELETE {path}`, decoded (`()` for a 204).
    pub async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<Answer<T>, ClientError> {
        let url = self.url(path);
        let req = self.http.delete(&url).bearer_auth(&self.key);
        finish(url, req.send().await).await
    }

    /// `GET /media/{id}`: the file's response, whose body the caller reads in chunks
    /// (`Response::chunk`); an error answer is the API's error.
    pub async fn media(&self, id: &str) -> Result<reqwest::Response, ClientError> {
        let url = self.url(&format!("/media/{id}"));
        let sent = self.http.get(&url).bearer_auth(&self.key).send().await;
        match sent {
            Ok(resp) if resp.status().is_success() => Ok(resp),
            other => match finish::<Value>(url.clone(), other).await {
                Err(e) => Err(e),
                Ok(a) => Err(ClientError::Decode {
                    url,
                    status: a.status,
                    detail: "not a file".into(),
                }),
            },
        }
    }

    /// `POST /media`: uploads `bytes` as the file `name` of type `mime` (multipart); the
    /// answer's `{id, mime_type, size, sha256, filename}`.
    pub async fn upload_media(
        &self,
        name: &str,
        mime: &str,
        bytes: Vec<u8>,
    ) -> Result<Answer<Value>, ClientError> {
        let boundary = format!("wakit-cli-{}", bytes.len());
        let name: String = name
            .chars()
            .map(|c| if c == '"' || c.is_control() { '_' } else { c })
            .collect();
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: {mime}\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(&bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let url = self.url("/media");
        let req = self
            .http
            .post(&url)
            .bearer_auth(&self.key)
            .header(
                reqwest::header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .timeout(Duration::from_secs(600))
            .body(body);
        finish(url, req.send().await).await
    }

    /// `GET /ping` (no key needed).
    pub async fn ping(&self) -> Result<Answer<PingResponse>, ClientError> {
        self.get("/ping", &()).await
    }
    /// `GET /accounts`.
    pub async fn accounts(&self) -> Result<Answer<AccountsResponse>, ClientError> {
        self.get("/accounts", &()).await
    }
    /// `GET /conversations`.
    pub async fn conversations(
        &self,
        q: &ConversationsQuery,
    ) -> Result<Answer<ConversationsResponse>, ClientError> {
        self.get("/conversations", q).await
    }
    /// `GET /conversation`.
    pub async fn conversation(
        &self,
        q: &ConversationQuery,
    ) -> Result<Answer<ConversationResponse>, ClientError> {
        self.get("/conversation", q).await
    }
    /// `POST /messages`.
    pub async fn send(
        &self,
        req: &SendRequest,
        idempotency_key: Option<&str>,
    ) -> Result<Answer<SendResponse>, ClientError> {
        self.post("/messages", req, idempotency_key).await
    }
    /// `POST /conversation/read`.
    pub async fn mark_read(&self, req: &ReadRequest) -> Result<Answer<ReadResponse>, ClientError> {
        self.post("/conversation/read", req, None).await
    }
    /// The org's quick replies, by name, from the data API (`GET /rest/v1/quick_replies`).
    pub async fn quick_replies(&self) -> Result<Answer<Vec<QuickReply>>, ClientError> {
        let url = format!("{}{QUICK_REPLIES}", self.base);
        let req = self.http.get(&url).bearer_auth(&self.key);
        finish(url, req.send().await).await
    }
    /// `GET /contacts`.
    pub async fn contacts(
        &self,
        q: &ContactsQuery,
    ) -> Result<Answer<ContactsResponse>, ClientError> {
        self.get("/contacts", q).await
    }
    /// `GET /templates`.
    pub async fn templates(
        &self,
        account_phone: Option<&str>,
    ) -> Result<Answer<TemplatesResponse>, ClientError> {
        self.get("/templates", &[("account_phone", account_phone)])
            .await
    }
    /// `GET /templates?template_id=`.
    pub async fn template(
        &self,
        template_id: &str,
        account_phone: Option<&str>,
    ) -> Result<Answer<TemplateDetail>, ClientError> {
        let q = [
            ("template_id", Some(template_id)),
            ("account_phone", account_phone),
        ];
        self.get("/templates", &q).await
    }
    /// `GET /agents` (admin key).
    pub async fn agents(&self) -> Result<Answer<crate::AgentsResponse>, ClientError> {
        self.get("/agents", &()).await
    }
    /// `POST /agents` (admin key).
    pub async fn create_agent(
        &self,
        body: &crate::NewAgentBody,
    ) -> Result<Answer<crate::AgentView>, ClientError> {
        self.post("/agents", body, None).await
    }
    /// `PATCH /agents/{id}` (admin key).
    pub async fn update_agent(
        &self,
        id: &str,
        body: &crate::AgentPatchBody,
    ) -> Result<Answer<crate::AgentView>, ClientError> {
        self.patch(&format!("/agents/{id}"), body).await
    }
    /// `POST /conversations/{id}/agent` (admin key).
    pub async fn set_conversation_agent(
        &self,
        conversation_id: &str,
        body: &crate::ConversationAgentBody,
    ) -> Result<Answer<crate::ConversationAgentView>, ClientError> {
        let path = format!("/conversations/{conversation_id}/agent");
        self.post(&path, body, None).await
    }
    /// `GET /health`.
    pub async fn health(&self) -> Result<Answer<HealthResponse>, ClientError> {
        self.get("/health", &()).await
    }
}

pub(crate) async fn finish<T: DeserializeOwned>(
    url: String,
    sent: reqwest::Result<reqwest::Response>,
) -> Result<Answer<T>, ClientError> {
    let transport = |e: reqwest::Error| ClientError::Transport {
        url: url.clone(),
        detail: e.to_string(),
    };
    let resp = sent.map_err(transport)?;
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let bytes = resp.bytes().await.map_err(transport)?;
    let decode = |detail: String| ClientError::Decode {
        url: url.clone(),
        status,
        detail,
    };
    // A 204 (a deletion) has no body: it decodes as null (`()`).
    let raw: Value = if bytes.is_empty() && status == 204 {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).map_err(|e| {
            let start = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned();
            decode(format!("{e}: {start}"))
        })?
    };
    if status >= 400 {
        let body: ErrorBody =
            serde_json::from_value(raw).map_err(|e| decode(format!("error body: {e}")))?;
        return Err(ClientError::Api {
            status,
            body: Box::new(body),
            retry_after,
        });
    }
    let value = serde_json::from_value(raw.clone()).map_err(|e| decode(e.to_string()))?;
    Ok(Answer { status, value, raw })
}
