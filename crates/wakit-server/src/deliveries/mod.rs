//! Outbound webhooks (issue 13, part 3) — the building blocks so far, not yet wired to a
//! worker or routes: Standard Webhooks signing with per-endpoint `whsec_` secrets
//! ([`signature`]) and the guard that refuses internal addresses after DNS resolution
//! ([`ssrf`]). The event log and its stream are `routes::events`.

pub mod signature;
pub mod ssrf;
