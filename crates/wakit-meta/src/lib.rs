//! wakit's Meta side: the WhatsApp Cloud API as wakit sees it.
//!
//! * [`signature`]: `X-Hub-Signature-256` verification and signing.
//! * [`webhook`] / [`inbound`]: webhook POST bodies → [`WebhookEvent`]s, one bad item never
//!   dropping the others; the GET verification handshake.
//! * [`client`] / [`send`] / [`errors`]: the Graph API client, Meta send bodies built from
//!   [`wakit_core::MessageContent`], and Meta's errors classified for retry decisions.
//!
//! Depends on `wakit-core` only.
#![forbid(unsafe_code)]
// `MetaError` carries Meta's whole error (codes, trace id, details, Retry-After); it only
// travels on the network-error path, where its size does not matter.
#![allow(clippy::result_large_err)]

pub mod client;
pub mod errors;
pub mod event;
pub mod inbound;
pub mod media;
pub mod send;
pub mod signature;
pub mod types;
pub mod webhook;

pub use client::{DEFAULT_GRAPH_URL, GraphClient, NumberInfo, SendOk, Template};
pub use errors::{ErrorClass, MetaError, classify};
pub use media::{MediaInfo, UPLOADED_ID_DAYS, media_limit, mime_from_name, sniff_mime};
pub use send::{UnsupportedContent, send_payload};
pub use webhook::{WebhookEvent, parse_webhook, parse_webhook_value, verify_challenge};
