//! Shared helpers of the binary's tests.

pub mod rig;

/// Generates `sqlite` and `postgres` test modules running `$check(Backend)` for each name.
#[macro_export]
macro_rules! on_both_backends {
    ($($check:ident),* $(,)?) => {
        mod sqlite { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() { super::$check(wakit_store_tests::Backend::Sqlite).await; }
        )* }
        mod postgres { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() { super::$check(wakit_store_tests::Backend::Postgres).await; }
        )* }
    };
}
