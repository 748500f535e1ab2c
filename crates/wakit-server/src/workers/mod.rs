//! Background workers. Each exposes `tick()` (do at most one batch of work, report how
//! much) and `run(cancel)`; tests drive `tick()` instead of sleeping.

pub mod agents;
pub mod dispatch;
pub mod meta_events;
pub mod pacing;
pub mod retention;
pub mod supervisor;
pub mod webhooks;
