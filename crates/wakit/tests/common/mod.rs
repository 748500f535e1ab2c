//! Shared helpers of the binary's tests.

pub mod rig;

/// The shared [`wakit_store_tests::on_both_backends`], under the name the tests use.
#[macro_export]
macro_rules! on_both_backends {
    ($($tokens:tt)*) => { wakit_store_tests::on_both_backends! { $($tokens)* } };
}
