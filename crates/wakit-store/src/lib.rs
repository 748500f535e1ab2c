//! The storage boundary: use-case methods over two databases (SQLite and PostgreSQL).
//!
//! Methods are use cases, not tables. Every tenant-scoped method takes the
//! organization id first; a backend must never return or touch another org's rows.
//! Transactions stay inside the backend.
#![forbid(unsafe_code)]

pub mod agent_turn;
pub mod agents;
pub mod data_api;
pub mod dispatch;
pub mod error;
pub mod idempotency;
pub mod identity;
pub mod inbox;
pub mod ingest_plan;
pub mod job;
pub mod media;
pub mod model;
pub mod people;
pub mod people_store;
pub mod retention;
pub mod search;
pub mod secrets;
pub mod status_merge;
pub mod traits;
pub mod webhooks;

pub use agent_turn::{AGENT_TURN, AgentTurn, agent_turn_jobs, starts_turn, turn_orgs};
pub use agents::*;
pub use data_api::{
    DataApiStore, Decide, ReadSummary, Refusal, RowEvent, SqlDialect, SqlParam, Statement,
};
pub use dispatch::{DispatchMark, dispatch_starts};
pub use error::{ConflictKey, Failure, FailureKind, StoreError, StoreResult};
pub use idempotency::*;
pub use identity::{AddressFields, Merge, plan_keys};
pub use inbox::*;
pub use ingest_plan::{InboundRow, IngestWriter, Known, ingest_planned};
pub use job::*;
pub use media::{DOWNLOAD_MEDIA, DownloadMedia, ExpiredMedia, MediaRecord, MediaStore, NewMedia};
pub use model::*;
pub use people::*;
pub use people_store::PeopleStore;
pub use retention::{PruneReport, RetentionPolicy, RetentionStore, RetentionTarget};
pub use search::*;
pub use status_merge::{MessageState, ParkedStatus, StatusPlan, plan_statuses};
pub use traits::*;
pub use webhooks::{
    AttemptOutcome, Delivery, DeliveryAttempt, FanOut, NewDelivery, NewWebhook, NextStep,
    WebhookChange, WebhookEndpoint, WebhookStore,
};
