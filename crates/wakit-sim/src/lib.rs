//! wakit's Meta WhatsApp Cloud API sandbox: a faithful local stand-in for Meta.
//!
//! * Graph endpoints with Meta's shapes and error envelope: sends and mark-as-read
//!   (`POST /{v}/{phone-number-id}/messages`), templates, phone numbers, health, media.
//! * Status webhooks (`sent` → `delivered` → `read`, or `failed` with 131047 outside the
//!   24 h window) with Meta's quirks: duplicates, reordering, skipped `delivered`, and
//!   statuses racing the send response. Bodies are ASCII-escaped JSON signed with
//!   `X-Hub-Signature-256`, retried with backoff until acknowledged with 200.
//! * Throughput (130429) per number, expired tokens (190), template checks
//!   (132000/132001).
//! * An OpenAI-compatible sandbox model (`POST /v1/chat/completions`) with scripted,
//!   deterministic replies and tool calls, latency and failure injection.
//! * A control API under `/_sim/...` and the same operations in-process on
//!   [`SimHandle`]: numbers, templates, customers writing in, quality and limits.
//!
//! ```no_run
//! # async fn demo() -> Result<(), wakit_sim::SimError> {
//! use wakit_sim::{Inbound, NumberSpec, Sim, SimConfig};
//! let sim = Sim::start(SimConfig::default()).await?;
//! sim.set_webhook_url("http://127.0.0.1:8080/functions/v1/whatsapp-webhook");
//! let number = sim.add_number(NumberSpec::new("15550001111").token("tok"))?;
//! sim.customer_writes(&number.phone_number_id, "15551234567", Some("Ana"), Inbound::text("Hola"))?;
//! println!("WAKIT_GRAPH_URL={}", sim.base_url());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod config;
mod control;
mod core;
mod customer;
mod customers;
mod error;
mod graph;
mod identity;
mod ids;
mod json;
mod lifecycle;
mod model;
mod number;
mod records;
mod sim;
mod state;
mod template;
mod throttle;
mod webhooks;

pub use config::{Chatty, Quirks, RetryPolicy, SimConfig, StatusDelays};
pub use core::BatchItem;
pub use customer::{CustomerMessage, Inbound};
pub use error::SimError;
pub use identity::{
    CustomerIdentity, Sender, bsuid_for_phone, bsuid_for_username, country_of_phone, is_bsuid,
    parent_bsuid,
};
pub use json::to_meta_json;
pub use model::{A2A_MODEL, ANY_MODEL, ModelRequest, ModelSettings, ModelStatus, ModelStep};
pub use number::{
    CanSend, DEFAULT_MPS, MAX_MPS, MessagingLimit, Number, NumberSpec, Quality, format_phone,
    normalize_phone,
};
pub use records::{ReadReceipt, SentMessage, SimStats, WebhookRecord, WebhookStats};
pub use sim::{GRAPH_VERSION, Sim, SimHandle, SimMedia, StormReport};
pub use template::{STATUSES as TEMPLATE_STATUSES, Template, TemplateSpec, placeholders};
pub use webhooks::kinds::{
    INBOUND_KINDS, QUALITY_EVENTS, STATUS_KINDS, TEMPLATE_QUALITIES, webhook_kind, webhook_kinds,
};
