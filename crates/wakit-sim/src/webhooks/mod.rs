//! Webhooks the sandbox sends: Meta's bodies and their delivery.

pub(crate) mod delivery;
pub(crate) mod payload;
