//! Typed ids. Every row id is a UUID (v7, so ids sort roughly by creation time and
//! index inserts stay local); the newtypes keep an org id from being passed as a message id.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }
    };
}

id_type!(
    /// An organization (the tenant).
    OrgId
);
id_type!(
    /// A connected WhatsApp number (`organizations_addresses` row).
    AccountId
);
id_type!(
    /// An address-book entry (`contacts` row).
    ContactId
);
id_type!(
    /// A conversation between an org number and a contact address.
    ConversationId
);
id_type!(
    /// A message row.
    MessageId
);
id_type!(
    /// An API key row (never the key itself).
    ApiKeyId
);
id_type!(
    /// A background job.
    JobId
);
id_type!(
    /// A human or AI agent.
    AgentId
);
id_type!(
    /// A stored media file (`media` row).
    MediaId
);
