//! Where the tools get their answers: the REST API's own code in this process
//! ([`InProcess`], for `/functions/v1/mcp`), or a wakit server's REST API over HTTP (the
//! CLI's `wakit mcp`). Both answer in the REST API's shapes; an error is its sentence.

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;
use wakit_api::{
    AccountsResponse, ContactsQuery, ContactsResponse, ConversationQuery, ConversationResponse,
    ConversationsQuery, ConversationsResponse, QUICK_REPLIES, QuickRepliesResponse, ReadRequest,
    ReadResponse, SendRequest, SendResponse, TemplateDetail, TemplatesAnswer, TemplatesQuery,
    TemplatesResponse,
};
use wakit_store::AuthContext;

use crate::AppState;
use crate::error::ApiError;
use crate::routes::params::Params;
use crate::routes::{accounts, contacts, conversations, read, rest, send, templates};

/// A tool's failure: the sentence the assistant reads.
pub type Outcome<T> = Result<T, String>;

/// The REST API's operations the tools are built on.
#[async_trait]
pub trait Backend: Send + Sync {
    /// `GET /accounts`.
    async fn accounts(&self) -> Outcome<AccountsResponse>;
    /// `GET /conversations`.
    async fn conversations(&self, q: ConversationsQuery) -> Outcome<ConversationsResponse>;
    /// `GET /conversation`.
    async fn conversation(&self, q: ConversationQuery) -> Outcome<ConversationResponse>;
    /// `GET /contacts`.
    async fn contacts(&self, q: ContactsQuery) -> Outcome<ContactsResponse>;
    /// `GET /templates`.
    async fn templates(&self, account_phone: Option<String>) -> Outcome<TemplatesResponse>;
    /// `GET /templates?template_id=`.
    async fn template(&self, q: TemplatesQuery) -> Outcome<TemplateDetail>;
    /// `POST /messages` (with its `Idempotency-Key`, when given).
    async fn send(&self, req: SendRequest, key: Option<String>) -> Outcome<SendResponse>;
    /// `POST /conversation/read`.
    async fn mark_read(&self, req: ReadRequest) -> Outcome<ReadResponse>;
    /// The org's quick replies (the data API's `GET /rest/v1/quick_replies`).
    async fn quick_replies(&self) -> Outcome<QuickRepliesResponse>;
}

/// The REST routes' code, for one API key's org, in this process.
pub struct InProcess {
    /// The server.
    pub state: AppState,
    /// The caller's key.
    pub auth: AuthContext,
}

/// A REST query as the routes' parameters (numbers as their digits).
fn params<Q: Serialize>(query: &Q) -> Params {
    let Ok(Value::Object(map)) = serde_json::to_value(query) else {
        return Params::default();
    };
    let pairs = map.into_iter().filter_map(|(k, v)| match v {
        Value::String(s) => Some((k, s)),
        Value::Number(n) => Some((k, n.to_string())),
        _ => None,
    });
    Params(pairs.collect())
}

fn sentence(e: ApiError) -> String {
    e.message().to_string()
}

/// A cached REST body read back into its type.
fn decoded<T: serde::de::DeserializeOwned>(body: axum::body::Bytes) -> Outcome<T> {
    serde_json::from_slice(&body).map_err(|e| sentence(ApiError::internal(e)))
}

#[async_trait]
impl Backend for InProcess {
    async fn accounts(&self) -> Outcome<AccountsResponse> {
        accounts::connected(&self.state, self.auth.org_id)
            .await
            .map_err(sentence)
    }

    async fn conversations(&self, q: ConversationsQuery) -> Outcome<ConversationsResponse> {
        let body = conversations::list_json(&self.state, self.auth.org_id, &params(&q)).await;
        decoded(body.map_err(sentence)?)
    }

    async fn conversation(&self, q: ConversationQuery) -> Outcome<ConversationResponse> {
        let body =
            conversations::conversation_json(&self.state, self.auth.org_id, &params(&q)).await;
        decoded(body.map_err(sentence)?)
    }

    async fn contacts(&self, q: ContactsQuery) -> Outcome<ContactsResponse> {
        contacts::search_contacts(&self.state, self.auth.org_id, &params(&q))
            .await
            .map_err(sentence)
    }

    async fn templates(&self, account_phone: Option<String>) -> Outcome<TemplatesResponse> {
        let q = TemplatesQuery {
            account_phone,
            template_id: None,
        };
        match templates::templates_answer(&self.state, self.auth.org_id, &params(&q)).await {
            Ok(TemplatesAnswer::List(list)) => Ok(list),
            Ok(TemplatesAnswer::Detail(_)) => Err("Expected a list of templates".into()),
            Err(e) => Err(sentence(e)),
        }
    }

    async fn template(&self, q: TemplatesQuery) -> Outcome<TemplateDetail> {
        match templates::templates_answer(&self.state, self.auth.org_id, &params(&q)).await {
            Ok(TemplatesAnswer::Detail(detail)) => Ok(detail),
            Ok(TemplatesAnswer::List(_)) => Err("template_id is required".into()),
            Err(e) => Err(sentence(e)),
        }
    }

    async fn send(&self, req: SendRequest, key: Option<String>) -> Outcome<SendResponse> {
        let Ok(Value::Object(body)) = serde_json::to_value(&req) else {
            return Err("The message could not be read".into());
        };
        send::send_message(&self.state, self.auth.org_id, body, key.as_deref())
            .await
            .map_err(sentence)
    }

    async fn quick_replies(&self) -> Outcome<QuickRepliesResponse> {
        let (table, query) = QUICK_REPLIES
            .trim_start_matches("/rest/v1/")
            .split_once('?')
            .unwrap_or_default();
        let body = rest::read_as_key(&self.state, &self.auth, table, query).await;
        let rows = body.map_err(sentence)?;
        let quick_replies =
            serde_json::from_str(&rows).map_err(|e| sentence(ApiError::internal(e)))?;
        Ok(QuickRepliesResponse { quick_replies })
    }

    async fn mark_read(&self, req: ReadRequest) -> Outcome<ReadResponse> {
        read::queue_receipt(&self.state, self.auth.org_id, &req)
            .await
            .map_err(sentence)
    }
}
