//! The tools: the hosted product's seven with their names, inputs, defaults and the REST
//! API's answers, each also as `structuredContent` with an `outputSchema`. A failure is an
//! `isError` result holding one sentence. `Allowed-Contacts` / `Allowed-Accounts` are
//! enforced here, over whichever [`Backend`] answers.

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{Extensions, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{Json, ServerHandler, tool, tool_handler, tool_router};
use std::sync::Arc;
use wakit_api::{
    AccountRef, AccountsResponse, ContactsQuery, ContactsResponse, ConversationQuery,
    ConversationResponse, ConversationsQuery, ConversationsResponse, QuickRepliesResponse,
    ReadRequest, ReadResponse, SendResponse, TemplateDetail, TemplatesQuery, TemplatesResponse,
};

use super::allowed::Allowed;
use super::backend::{Backend, Outcome};
use super::inputs::{
    FetchConversation, FetchTemplate, ListAccounts, ListConversations, ListQuickReplies,
    ListTemplates, MarkRead, SearchContacts, SendMessage,
};
use super::wait::{WaitForMessage, Waited, next_incoming, timeout};

/// Most rows read to filter by `Allowed-Contacts` (the REST API's largest page).
const FILTER_WINDOW: u32 = 200;

/// Who calls a tool: where the answers come from and what they are limited to.
pub struct Caller {
    /// The answers.
    pub backend: Arc<dyn Backend>,
    /// The caller's allowed lists.
    pub allowed: Allowed,
}

/// Finds the caller of a tool call from its request (the HTTP request's authenticated
/// key and headers, or the stdio process's configuration).
pub trait Connect: Send + Sync {
    /// The caller, or why there is none.
    fn caller(&self, extensions: &Extensions) -> Outcome<Caller>;
}

/// The MCP server: the tools over one way of finding callers.
#[derive(Clone)]
pub struct WakitMcp {
    connect: Arc<dyn Connect>,
    tool_router: ToolRouter<Self>,
}

fn listing(accounts: &[AccountRef]) -> String {
    if accounts.is_empty() {
        return "none".into();
    }
    let names: Vec<_> = accounts
        .iter()
        .map(|a| format!("{} ({})", a.name, a.phone))
        .collect();
    names.join(", ")
}

impl WakitMcp {
    /// The server over `connect`.
    pub fn new(connect: Arc<dyn Connect>) -> Self {
        WakitMcp {
            connect,
            tool_router: Self::tool_router(),
        }
    }

    /// The number a call uses. Without an `Allowed-Accounts` list it is the caller's
    /// `account_phone` as given (the REST API resolves it); with one, only listed numbers
    /// can be named, and without `account_phone` the only allowed number is used.
    async fn account(&self, caller: &Caller, requested: Option<String>) -> Outcome<Option<String>> {
        if !caller.allowed.limits_accounts() {
            return Ok(requested);
        }
        let mut accounts = caller.backend.accounts().await?.accounts;
        accounts.retain(|a| caller.allowed.account(&a.phone));
        match requested {
            Some(phone) if caller.allowed.account(&phone) => Ok(Some(phone)),
            Some(phone) => Err(format!(
                "Account phone {phone} is not allowed for this connection. Available accounts: {}",
                listing(&accounts)
            )),
            None => match accounts.as_slice() {
                [] => Err("No allowed WhatsApp accounts found for this organization.".into()),
                [only] => Ok(Some(only.phone.clone())),
                several => Err(format!(
                    "Multiple accounts found. Please specify account_phone. Available accounts: {}",
                    listing(several)
                )),
            },
        }
    }

    /// Refuses a contact outside `Allowed-Contacts`.
    fn contact_allowed(caller: &Caller, phone: &str) -> Outcome<()> {
        if caller.allowed.contact(phone) {
            return Ok(());
        }
        Err(format!(
            "Contact {phone} is not allowed for this connection."
        ))
    }

    /// How many rows to ask for: `limit`, or the filter window when contacts are limited.
    fn window(caller: &Caller, limit: u32) -> u32 {
        match caller.allowed.limits_contacts() {
            true => FILTER_WINDOW.max(limit),
            false => limit,
        }
    }
}

#[tool_router]
impl WakitMcp {
    #[tool(
        description = "List the most recent WhatsApp conversations of one of the organization's numbers, newest first, each with its contact, unread count and last message."
    )]
    async fn list_conversations(
        &self,
        Parameters(p): Parameters<ListConversations>,
        extensions: Extensions,
    ) -> Result<Json<ConversationsResponse>, String> {
        let caller = self.connect.caller(&extensions)?;
        let q = ConversationsQuery {
            limit: Some(Self::window(&caller, p.limit)),
            account_phone: self.account(&caller, p.account_phone).await?,
        };
        let mut answer = caller.backend.conversations(q).await?;
        answer
            .conversations
            .retain(|c| caller.allowed.contact(&c.contact.phone));
        answer.conversations.truncate(p.limit as usize);
        Ok(Json(answer))
    }

    #[tool(
        description = "Fetch the most recent messages with a contact (oldest first) and whether the 24-hour service window is open (free-form text needs it open; otherwise send a template)."
    )]
    async fn fetch_conversation(
        &self,
        Parameters(p): Parameters<FetchConversation>,
        extensions: Extensions,
    ) -> Result<Json<ConversationResponse>, String> {
        let caller = self.connect.caller(&extensions)?;
        Self::contact_allowed(&caller, &p.contact_phone)?;
        let q = ConversationQuery {
            contact_phone: Some(p.contact_phone),
            group_id: None,
            limit: Some(p.limit),
            account_phone: self.account(&caller, p.account_phone).await?,
        };
        Ok(Json(caller.backend.conversation(q).await?))
    }

    #[tool(
        description = "Search the organization's contacts by part of the name, part of the number, both or neither."
    )]
    async fn search_contacts(
        &self,
        Parameters(p): Parameters<SearchContacts>,
        extensions: Extensions,
    ) -> Result<Json<ContactsResponse>, String> {
        let caller = self.connect.caller(&extensions)?;
        let q = ContactsQuery {
            name: p.name,
            number: p.number,
            limit: Some(Self::window(&caller, p.limit)),
        };
        let mut answer = caller.backend.contacts(q).await?;
        answer.contacts.retain(|c| caller.allowed.contact(&c.phone));
        answer.contacts.truncate(p.limit as usize);
        Ok(Json(answer))
    }

    #[tool(description = "List the organization's connected WhatsApp numbers.")]
    async fn list_accounts(
        &self,
        Parameters(_): Parameters<ListAccounts>,
        extensions: Extensions,
    ) -> Result<Json<AccountsResponse>, String> {
        let caller = self.connect.caller(&extensions)?;
        let mut answer = caller.backend.accounts().await?;
        answer.accounts.retain(|a| caller.allowed.account(&a.phone));
        Ok(Json(answer))
    }

    #[tool(
        description = "List the message templates of one of the organization's numbers (id, name, status, category, language)."
    )]
    async fn list_templates(
        &self,
        Parameters(p): Parameters<ListTemplates>,
        extensions: Extensions,
    ) -> Result<Json<TemplatesResponse>, String> {
        let caller = self.connect.caller(&extensions)?;
        let account = self.account(&caller, p.account_phone).await?;
        Ok(Json(caller.backend.templates(account).await?))
    }

    #[tool(
        description = "Fetch one message template with its components (header, body with its {{1}} parameters, footer, buttons)."
    )]
    async fn fetch_template(
        &self,
        Parameters(p): Parameters<FetchTemplate>,
        extensions: Extensions,
    ) -> Result<Json<TemplateDetail>, String> {
        let caller = self.connect.caller(&extensions)?;
        let q = TemplatesQuery {
            account_phone: self.account(&caller, p.account_phone).await?,
            template_id: Some(p.template_id),
        };
        Ok(Json(caller.backend.template(q).await?))
    }

    #[tool(
        description = "Send a WhatsApp message to a contact: a text or a document (needs the contact's 24-hour window open) or an approved template. Answers the message id, and the WhatsApp message id (wamid) once Meta accepted it (status sent) or status pending while it is still being sent."
    )]
    async fn send_message(
        &self,
        Parameters(p): Parameters<SendMessage>,
        extensions: Extensions,
    ) -> Result<Json<SendResponse>, String> {
        let caller = self.connect.caller(&extensions)?;
        Self::contact_allowed(&caller, &p.contact_phone)?;
        let account = self.account(&caller, p.account_phone.clone()).await?;
        let key = p.idempotency_key.clone();
        let request = p.request(account)?;
        Ok(Json(caller.backend.send(request, key).await?))
    }

    #[tool(
        description = "List the organization's quick replies (saved answers: name and content) to reuse in messages."
    )]
    async fn list_quick_replies(
        &self,
        Parameters(_): Parameters<ListQuickReplies>,
        extensions: Extensions,
    ) -> Result<Json<QuickRepliesResponse>, String> {
        let caller = self.connect.caller(&extensions)?;
        Ok(Json(caller.backend.quick_replies().await?))
    }

    #[tool(
        description = "Mark the contact's newest incoming message read (the customer sees blue ticks). Answers the wamid whose read receipt was queued for WhatsApp."
    )]
    async fn mark_read(
        &self,
        Parameters(p): Parameters<MarkRead>,
        extensions: Extensions,
    ) -> Result<Json<ReadResponse>, String> {
        let caller = self.connect.caller(&extensions)?;
        Self::contact_allowed(&caller, &p.contact_phone)?;
        let request = ReadRequest {
            account_phone: self.account(&caller, p.account_phone).await?,
            contact_phone: p.contact_phone,
        };
        Ok(Json(caller.backend.mark_read(request).await?))
    }

    #[tool(
        description = "Wait for the next incoming message from a contact (at most timeout_s seconds, default 25, at most 50) and return it; timed_out when none arrived. For assistants that hold a conversation."
    )]
    async fn wait_for_message(
        &self,
        Parameters(p): Parameters<WaitForMessage>,
        extensions: Extensions,
    ) -> Result<Json<Waited>, String> {
        let caller = self.connect.caller(&extensions)?;
        Self::contact_allowed(&caller, &p.contact_phone)?;
        let wait = timeout(p.timeout_s)?;
        let account = self.account(&caller, p.account_phone).await?;
        let waited = next_incoming(&*caller.backend, p.contact_phone, account, wait).await?;
        Ok(Json(waited))
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for WakitMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("wakit", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "WhatsApp Business through wakit: list conversations, read one, search \
                 contacts, list numbers and templates, and send messages. Free-form text \
                 needs the contact's 24-hour service window open (fetch_conversation tells); \
                 otherwise send an approved template.",
            )
    }
}
