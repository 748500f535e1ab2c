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

/// For tests of whole flows (server, binary): generates `sqlite` and `postgres` test
/// modules running `$check(Backend)` for each name;
/// after `; postgres_only:`, checks whose behaviour only exists on PostgreSQL (several
/// processes on one database): their SQLite test is declared, ignored with the reason
/// (`test sqlite::<check> ... ignored, postgres only`), so every run shows and counts it.
#[macro_export]
macro_rules! on_both_backends {
    ($($check:ident),* $(,)? $(; postgres_only: $($pg:ident),+ $(,)?)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    super::$check($crate::Backend::Sqlite).await;
                }
            )*
            $($(
                #[test]
                #[ignore = "postgres only"]
                fn $pg() {}
            )+)?
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    super::$check($crate::Backend::Postgres).await;
                }
            )*
            $($(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $pg() {
                    super::$pg($crate::Backend::Postgres).await;
                }
            )+)?
        }
    };
}
