//! API key and agent roles: owner > admin > member.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a key or agent may do. Ordered: `Member < Admin < Owner`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads and chats.
    Member,
    /// Manages agents, webhooks, quick replies.
    Admin,
    /// Full control, including keys.
    Owner,
}

impl Role {
    /// The lowercase wire/database name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not owner, admin or member.
#[derive(Debug, thiserror::Error)]
#[error("unknown role {0:?} (expected owner, admin or member)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "member" => Ok(Role::Member),
            "admin" => Ok(Role::Admin),
            "owner" => Ok(Role::Owner),
            _ => Err(UnknownRole(s.to_string())),
        }
    }
}
