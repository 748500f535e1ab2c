//! The storage conformance suite. Every check is an async function over `&dyn Store`;
//! `tests/conformance.rs` runs each one against a fresh SQLite file and a fresh
//! PostgreSQL database, so both backends are held to one definition of correct.
//!
//! Postgres runs when `WAKIT_TEST_POSTGRES_URL` is set; with `WAKIT_TEST_REQUIRE_POSTGRES=1`
//! a missing Postgres fails the tests instead of skipping them.
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used)]

pub mod checks;
pub mod fixture;
pub mod harness;

pub use fixture::Fixture;
pub use harness::{Backend, TestStore};
