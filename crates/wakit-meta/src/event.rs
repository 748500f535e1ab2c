//! The events a Meta webhook delivery carries, as wakit sees them.

use chrono::{DateTime, Utc};
use serde_json::Value;
use wakit_core::{MessageContent, MessageStatus};

/// One thing a webhook delivery told us.
// Events live only while one body is processed; boxing the message fields would cost an
// allocation per message for no memory that matters.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum WebhookEvent {
    /// An inbound user message.
    Message {
        /// The business number's Graph id (`metadata.phone_number_id`).
        phone_number_id: String,
        /// The business number's digits (`metadata.display_phone_number`).
        display_phone_number: String,
        /// The sender's phone digits (`from`); Meta omits it for a customer who adopted
        /// a username and shares no number.
        from: Option<String>,
        /// The sender's business-scoped user ID (`from_user_id`, else its contact's
        /// `user_id`).
        user_id: Option<String>,
        /// The sender's parent BSUID (`from_parent_user_id`, else its contact's
        /// `parent_user_id`).
        parent_user_id: Option<String>,
        /// The sender's WhatsApp username (`value.contacts[].profile.username`).
        username: Option<String>,
        /// The sender's WhatsApp profile name from `value.contacts[]`.
        profile_name: Option<String>,
        /// Meta's message id (`wamid.…`).
        wamid: String,
        /// When the user sent it.
        timestamp: DateTime<Utc>,
        /// The normalized content.
        content: MessageContent,
    },
    /// A status update for an outgoing message.
    Status {
        /// The business number's Graph id.
        phone_number_id: String,
        /// The outgoing message's wamid.
        wamid: String,
        /// `sent`/`delivered`/`read`/`failed` (`played` maps to read).
        status: MessageStatus,
        /// When Meta reports the status happened.
        timestamp: DateTime<Utc>,
        /// The recipient's phone digits (absent for BSUID sends).
        recipient_id: Option<String>,
        /// The recipient's BSUID (`recipient_user_id`, 2026).
        recipient_user_id: Option<String>,
        /// Meta's `errors[]` array (on `failed`).
        errors: Option<Value>,
        /// What wakit put in `biz_opaque_callback_data` when sending.
        biz_opaque_callback_data: Option<String>,
    },
    /// Out-of-band errors (`value.errors[]`), e.g. 130429 or 131000.
    Errors {
        /// The business number's Graph id, when the payload has metadata.
        phone_number_id: Option<String>,
        /// Meta's `errors[]` array.
        errors: Value,
    },
    /// `message_template_status_update`.
    TemplateStatus {
        /// The WABA id (`entry[].id`).
        waba_id: String,
        /// `message_template_id` (as a string).
        template_id: String,
        /// `message_template_name`.
        name: String,
        /// `message_template_language`.
        language: String,
        /// `event`: APPROVED, REJECTED, PAUSED, ...
        event: String,
    },
    /// `phone_number_quality_update`, `phone_number_name_update` or `account_update`.
    NumberUpdate {
        /// The WABA id (`entry[].id`).
        waba_id: String,
        /// `value.display_phone_number`, when present.
        display_phone_number: Option<String>,
        /// The webhook field name.
        field: String,
        /// Meta's whole `value`.
        value: Value,
    },
    /// A field wakit does not interpret, kept whole.
    Unknown {
        /// The webhook field name.
        field: String,
        /// Meta's whole `value`.
        value: Value,
    },
    /// An item that could not be understood, kept whole with the reason.
    Invalid {
        /// The offending JSON (the item, change or body).
        raw: Value,
        /// Why it was refused.
        reason: String,
    },
}
