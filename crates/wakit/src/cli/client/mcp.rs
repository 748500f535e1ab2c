//! `wakit mcp`: the MCP server's tools over stdio for a desktop assistant, answered by a
//! wakit server's REST API with the key and default number saved by `wakit init`. The
//! tools, their inputs, answers and allowed lists are the HTTP endpoint's own
//! ([`wakit_server::mcp::WakitMcp`]).

use async_trait::async_trait;
use rmcp::ServiceExt;
use rmcp::model::Extensions;
use std::sync::Arc;
use wakit_api::{
    AccountsResponse, Answer, Client, ClientError, ContactsQuery, ContactsResponse,
    ConversationQuery, ConversationResponse, ConversationsQuery, ConversationsResponse,
    QuickRepliesResponse, ReadRequest, ReadResponse, SendRequest, SendResponse, TemplateDetail,
    TemplatesQuery, TemplatesResponse,
};
use wakit_server::mcp::{Allowed, Backend, Caller, Connect, Outcome, WakitMcp};

use super::{Ctx, McpArgs};

/// The REST API of the configured server, with the configured default number.
struct Remote {
    client: Client,
    default_account: Option<String>,
}

/// An answer's value, or the server's sentence.
fn value<T>(answer: Result<Answer<T>, ClientError>) -> Outcome<T> {
    match answer {
        Ok(a) => Ok(a.value),
        Err(ClientError::Api { body, .. }) => Err(body.error),
        Err(other) => Err(other.to_string()),
    }
}

impl Remote {
    /// The number to use: the one asked for, else the configured default.
    fn account(&self, asked: Option<String>) -> Option<String> {
        asked.or_else(|| self.default_account.clone())
    }
}

#[async_trait]
impl Backend for Remote {
    async fn accounts(&self) -> Outcome<AccountsResponse> {
        value(self.client.accounts().await)
    }

    async fn conversations(&self, mut q: ConversationsQuery) -> Outcome<ConversationsResponse> {
        q.account_phone = self.account(q.account_phone);
        value(self.client.conversations(&q).await)
    }

    async fn conversation(&self, mut q: ConversationQuery) -> Outcome<ConversationResponse> {
        q.account_phone = self.account(q.account_phone);
        value(self.client.conversation(&q).await)
    }

    async fn contacts(&self, q: ContactsQuery) -> Outcome<ContactsResponse> {
        value(self.client.contacts(&q).await)
    }

    async fn templates(&self, account_phone: Option<String>) -> Outcome<TemplatesResponse> {
        let account = self.account(account_phone);
        value(self.client.templates(account.as_deref()).await)
    }

    async fn template(&self, q: TemplatesQuery) -> Outcome<TemplateDetail> {
        let id = q.template_id.unwrap_or_default();
        let account = self.account(q.account_phone);
        value(self.client.template(&id, account.as_deref()).await)
    }

    async fn send(&self, mut req: SendRequest, key: Option<String>) -> Outcome<SendResponse> {
        req.account_phone = self.account(req.account_phone);
        value(self.client.send(&req, key.as_deref()).await)
    }

    async fn quick_replies(&self) -> Outcome<QuickRepliesResponse> {
        let quick_replies = value(self.client.quick_replies().await)?;
        Ok(QuickRepliesResponse { quick_replies })
    }

    async fn mark_read(&self, mut req: ReadRequest) -> Outcome<ReadResponse> {
        req.account_phone = self.account(req.account_phone);
        value(self.client.mark_read(&req).await)
    }
}

/// Every call comes from the one local user, limited by the command's allowed lists.
struct Local {
    backend: Arc<Remote>,
    allowed: Allowed,
}

impl Connect for Local {
    fn caller(&self, _: &Extensions) -> Outcome<Caller> {
        Ok(Caller {
            backend: self.backend.clone(),
            allowed: self.allowed.clone(),
        })
    }
}

/// Serves the tools on stdin/stdout until the assistant closes them.
pub async fn mcp(args: McpArgs) -> anyhow::Result<()> {
    let ctx = Ctx::load()?;
    let backend = Arc::new(Remote {
        default_account: ctx.account(None),
        client: ctx.client,
    });
    let allowed = Allowed::parse(
        args.allowed_contacts.as_deref(),
        args.allowed_accounts.as_deref(),
    );
    let server = WakitMcp::new(Arc::new(Local { backend, allowed }));
    let running = server.serve(rmcp::transport::stdio()).await?;
    running.waiting().await?;
    Ok(())
}
