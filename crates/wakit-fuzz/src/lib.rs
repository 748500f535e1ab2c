//! Fuzz targets that run on the stable toolchain (no libFuzzer, no unsafe): seeded
//! generators, structure-aware mutations of real Meta bodies, and the real axum app
//! driven in process. `wakit-bench fuzz` runs them by the million; this crate's tests run
//! a few thousand cases of each.
//!
//! A run is deterministic from its seed: case `i` is generated from `(seed, i)` alone,
//! so a failure is reproduced by its seed and case number, and it is reported with the
//! smallest input the runner could shrink it to.
#![forbid(unsafe_code)]

pub mod api;
mod api_requests;
pub mod corpus;
pub mod domain;
pub mod r#gen;
pub mod runner;
pub mod shrink;
pub mod webhook;

pub use runner::{Failure, Options, Report, run};

use rand::rngs::StdRng;
use std::fmt::Debug;

/// Something to fuzz: inputs from a seeded generator, and a check of one input.
pub trait Target {
    /// One case's input.
    type Input: Clone + Debug + shrink::Shrink;
    /// The name `wakit-bench fuzz --target` takes.
    fn name(&self) -> &'static str;
    /// A random input.
    fn generate(&mut self, rng: &mut StdRng) -> Self::Input;
    /// `Ok(outcome label)` when every property holds; `Err(what broke)` otherwise. A panic
    /// is caught by the runner and counts as a failure.
    fn check(&mut self, input: &Self::Input) -> Result<String, String>;
}

/// Every target's name, in the order `all` runs them.
pub const TARGETS: &[&str] = &[
    "webhook-bytes",
    "webhook-json",
    "signature",
    "phone",
    "user-id",
    "customer-ref",
    "sender",
    "template",
    "text",
    "api",
];

/// Runs the target called `name`.
pub fn run_named(name: &str, options: &Options) -> anyhow::Result<Report> {
    Ok(match name {
        "webhook-bytes" => run(&mut webhook::WebhookBytes::default(), options),
        "webhook-json" => run(&mut webhook::WebhookJson::default(), options),
        "signature" => run(&mut webhook::Signature, options),
        "phone" => run(&mut domain::PhoneTarget, options),
        "user-id" => run(&mut domain::UserIdTarget, options),
        "customer-ref" => run(&mut domain::CustomerRefTarget, options),
        "sender" => run(&mut domain::SenderTarget, options),
        "template" => run(&mut domain::TemplateTarget, options),
        "text" => run(&mut domain::TextTarget, options),
        "api" => run(&mut api::ApiTarget::new()?, options),
        other => anyhow::bail!(
            "unknown fuzz target {other:?}; one of {} or all",
            TARGETS.join(", ")
        ),
    })
}
