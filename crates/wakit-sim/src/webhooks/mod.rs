//! Webhooks the sandbox sends: Meta's bodies and their delivery.

pub(crate) mod delivery;
pub mod kinds;
pub(crate) mod payload;
