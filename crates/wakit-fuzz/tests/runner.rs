//! The runner itself: it catches panics, reports property violations, shrinks the input
//! and replays the same cases from the same seed.

use rand::Rng;
use rand::rngs::StdRng;
use wakit_fuzz::{Options, Target, run};

/// Fails (by panic or by `Err`) on any text containing `7`.
struct Sevens {
    panic: bool,
}

impl Target for Sevens {
    type Input = String;
    fn name(&self) -> &'static str {
        "sevens"
    }
    fn generate(&mut self, rng: &mut StdRng) -> String {
        (0..rng.gen_range(0..40))
            .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
            .collect()
    }
    fn check(&mut self, input: &String) -> Result<String, String> {
        if !input.contains('7') {
            return Ok(format!("len {}", input.len().min(3)));
        }
        if self.panic {
            panic!("a seven");
        }
        Err("a seven".into())
    }
}

fn options(cases: u64) -> Options {
    Options {
        cases,
        seed: 5,
        seconds: None,
    }
}

#[test]
fn a_panic_is_caught_and_shrunk_to_the_smallest_input() {
    let report = run(&mut Sevens { panic: true }, &options(1_000));
    let failure = report.failure.expect("a failure");
    assert_eq!(failure.input, "\"7\"");
    assert!(failure.message.contains("panic") && failure.message.contains("a seven"));
    assert_eq!(report.cases, failure.case + 1);
}

#[test]
fn a_violated_property_is_shrunk_too() {
    let report = run(&mut Sevens { panic: false }, &options(1_000));
    let failure = report.failure.expect("a failure");
    assert_eq!(
        (failure.input.as_str(), failure.message.as_str()),
        ("\"7\"", "a seven")
    );
}

#[test]
fn the_same_seed_runs_the_same_cases() {
    // Inputs without a 7 only: compare the outcome counts of two runs.
    struct NoSevens(Sevens);
    impl Target for NoSevens {
        type Input = String;
        fn name(&self) -> &'static str {
            "no-sevens"
        }
        fn generate(&mut self, rng: &mut StdRng) -> String {
            self.0.generate(rng).replace('7', "")
        }
        fn check(&mut self, input: &String) -> Result<String, String> {
            self.0.check(input)
        }
    }
    let a = run(&mut NoSevens(Sevens { panic: false }), &options(500));
    let b = run(&mut NoSevens(Sevens { panic: false }), &options(500));
    assert!(a.failure.is_none());
    assert_eq!(a.outcomes, b.outcomes);
    assert_eq!(a.cases, 500);
}
