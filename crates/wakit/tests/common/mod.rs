//! Shared helpers of the binary's tests.

pub mod rig;

/// Generates `sqlite` and `postgres` test modules running `$check(Backend)` for each name;
/// after `; postgres_only:`, checks whose behaviour only exists on PostgreSQL (several
/// processes on one database): their SQLite test is declared, ignored with the reason
/// (`test sqlite::<check> ... ignored, postgres only`), so every run shows and counts it.
#[macro_export]
macro_rules! on_both_backends {
    ($($check:ident),* $(,)? $(; postgres_only: $($pg:ident),+ $(,)?)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() { super::$check(wakit_store_tests::Backend::Sqlite).await; }
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
                async fn $check() { super::$check(wakit_store_tests::Backend::Postgres).await; }
            )*
            $($(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $pg() { super::$pg(wakit_store_tests::Backend::Postgres).await; }
            )+)?
        }
    };
}
