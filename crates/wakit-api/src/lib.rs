//! Wire types of the REST API under `/functions/v1/api`: what the server writes and the
//! client reads. Field names follow the seed document exactly; extra fields are additions.
#![forbid(unsafe_code)]

use serde::{Deserialize, Serialize};

/// The path prefix of the REST API.
pub const API_PREFIX: &str = "/functions/v1/api";

/// Every error body: a human sentence and a machine code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A sentence for people.
    pub error: String,
    /// A stable code for programs (`invalid_parameter`, `unauthorized`, ...).
    #[serde(default)]
    pub code: String,
}

/// `GET /ping`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// One connected number as `/accounts` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRef {
    /// Digits.
    pub phone: String,
    /// Verified name.
    pub name: String,
}

/// `GET /accounts`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountsResponse {
    /// The org's connected numbers.
    pub accounts: Vec<AccountRef>,
}
