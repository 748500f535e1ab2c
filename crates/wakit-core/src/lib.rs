//! wakit's domain model. Pure types and rules: no IO, no clocks read implicitly
//! (every time-dependent rule takes `now` as an argument).
#![forbid(unsafe_code)]

pub mod agent;
pub mod content;
pub mod ids;
pub mod phone;
pub mod role;
pub mod sender;
pub mod status;
pub mod template;
pub mod text;
pub mod window;

pub use agent::{AgentConfig, AgentConfigError, AgentMode, HIDDEN_HEADER, KeyChange, Protocol};
pub use content::{MessageContent, PartType};
pub use ids::*;
pub use phone::{Phone, PhoneError};
pub use role::Role;
pub use sender::{CustomerRef, CustomerRefError, Sender, UserId, UserIdError};
pub use status::{Direction, MessageStatus, StatusHistory};
pub use window::ServiceWindow;
