//! Wire types of the REST API under `/functions/v1/api`: what the server writes and the
//! client reads. Field names follow the seed document exactly; extra fields are additions.
//! With the `client` feature, [`Client`] calls the API with these types.
#![forbid(unsafe_code)]

mod agents;
mod conversations;
mod directory;
mod send;
mod webhooks;

pub use agents::*;
pub use conversations::*;
pub use directory::*;
pub use send::*;
pub use webhooks::*;

#[cfg(feature = "client")]
mod client;
#[cfg(feature = "client")]
mod client_webhooks;
#[cfg(feature = "client")]
mod events;
#[cfg(feature = "client")]
pub use client::{Answer, Client, ClientError};
#[cfg(feature = "client")]
pub use events::{EventStream, EventsQuery, StreamEvent};

use serde::{Deserialize, Serialize};

/// The data API's read of the org's quick replies, by name.
pub const QUICK_REPLIES: &str = "/rest/v1/quick_replies?select=id,name,content&order=name.asc";

/// The path prefix of the REST API.
pub const API_PREFIX: &str = "/functions/v1/api";

/// Every error body: a human sentence and a machine code, plus details where they help.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// A sentence for people.
    pub error: String,
    /// A stable code for programs (`invalid_parameter`, `unauthorized`, ...).
    #[serde(default)]
    pub code: String,
    /// Meta's error when Meta refused a send (addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<MetaErrorBody>,
    /// The id of the message the error is about, when one was stored (addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The org's numbers, when the error is about choosing one (addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_accounts: Option<Vec<AccountRef>>,
}

/// Meta's error as Meta reported it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetaErrorBody {
    /// Meta's numeric code (e.g. 131047).
    pub code: i64,
    /// Meta's message.
    pub message: String,
}

/// `GET /ping`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PingResponse {
    /// `ok` when the server runs.
    pub status: String,
    /// Server time, RFC 3339.
    pub timestamp: String,
    /// `connected` or `error`.
    pub db: String,
    /// `sqlite` or `postgres` (addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    /// The database connection pool (addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<PoolInfo>,
    /// `GET /ready`: the background workers of this process that are down now (between
    /// a panic and their restart); absent when none is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workers_down: Option<Vec<String>>,
}

/// Database connections of one server process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PoolInfo {
    /// Open connections.
    pub size: u32,
    /// Open and idle.
    pub idle: u32,
    /// The most that may be open.
    pub max: u32,
}

/// One connected number as the API names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct AccountRef {
    /// Digits.
    pub phone: String,
    /// Verified name.
    pub name: String,
}

/// `GET /accounts`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct AccountsResponse {
    /// The org's connected numbers.
    pub accounts: Vec<AccountRef>,
}

/// A contact as the API names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ContactBrief {
    /// The address-book name, else the WhatsApp profile name; null when neither is known.
    pub name: Option<String>,
    /// Digits with country code; for a customer who shares no phone number (Meta
    /// 2026 usernames), their business-scoped user ID — either works as `contact_phone`.
    pub phone: String,
    /// The customer's business-scoped user ID (BSUID), when Meta sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The customer's WhatsApp username, when they adopted one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}
