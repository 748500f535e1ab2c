//! Running a target: seeded cases, panics caught, outcomes counted, a failure shrunk to a
//! small reproducing input.

use rand::SeedableRng;
use rand::rngs::StdRng;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;
use std::time::{Duration, Instant};

use crate::Target;
use crate::shrink::Shrink;

/// How long a run goes and from which seed.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Cases to run.
    pub cases: u64,
    /// Seed of the whole run; case `i` is generated from `(seed, i)` alone.
    pub seed: u64,
    /// Stop after this long even if fewer cases ran.
    pub seconds: Option<f64>,
}

/// A property violated (or a panic) with the smallest input found that still fails.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The case that failed first.
    pub case: u64,
    /// What went wrong on the shrunk input.
    pub message: String,
    /// The shrunk input (`Debug`, cut at 4,000 characters).
    pub input: String,
    /// Successful shrink steps.
    pub shrink_steps: u32,
}

/// What one run of one target did.
#[derive(Clone, Debug)]
pub struct Report {
    /// The target's name.
    pub target: &'static str,
    /// Cases run (the failing one included).
    pub cases: u64,
    /// Wall time of the run (shrinking excluded).
    pub elapsed: Duration,
    /// Outcome label → cases.
    pub outcomes: BTreeMap<String, u64>,
    /// The first failure, if any (the run stops there).
    pub failure: Option<Failure>,
}

impl Report {
    /// Cases per second.
    pub fn rate(&self) -> f64 {
        self.cases as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Most checks a shrink may spend.
const SHRINK_BUDGET: u32 = 4_000;
/// Longest input text a failure carries.
const MAX_SHOWN: usize = 4_000;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Panics on a thread running cases are recorded (with their location) instead of
/// printed; other threads keep the default hook.
fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) {
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(info.to_string()));
            } else {
                default(info);
            }
        }));
    });
}

/// The generator of case `case` of a run seeded `seed` (splitmix64 of both).
pub fn case_rng(seed: u64, case: u64) -> StdRng {
    let mut z = seed ^ case.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    StdRng::seed_from_u64(z ^ (z >> 31))
}

fn check<T: Target>(target: &mut T, input: &T::Input) -> Result<String, String> {
    QUIET.with(|q| q.set(true));
    let result = catch_unwind(AssertUnwindSafe(|| target.check(input)));
    QUIET.with(|q| q.set(false));
    result.unwrap_or_else(|_| {
        let message = LAST_PANIC.with(|p| p.borrow_mut().take());
        Err(format!(
            "panic: {}",
            message.unwrap_or_else(|| "(no message)".into())
        ))
    })
}

/// Greedy shrinking: take the first smaller candidate that still fails, until none does
/// or the budget is spent.
fn shrink<T: Target>(target: &mut T, mut input: T::Input, mut message: String) -> Failure {
    let (mut spent, mut steps) = (0u32, 0u32);
    'outer: while spent < SHRINK_BUDGET {
        for candidate in input.candidates() {
            spent += 1;
            if let Err(m) = check(target, &candidate) {
                input = candidate;
                message = m;
                steps += 1;
                continue 'outer;
            }
            if spent >= SHRINK_BUDGET {
                break 'outer;
            }
        }
        break;
    }
    let mut shown = format!("{input:?}");
    if let Some((cut, _)) = shown.char_indices().nth(MAX_SHOWN) {
        shown.truncate(cut);
        shown.push('…');
    }
    Failure {
        case: 0,
        message,
        input: shown,
        shrink_steps: steps,
    }
}

/// Runs `target` for `options.cases` cases (or `options.seconds`), stopping at the first
/// failure, which is shrunk.
pub fn run<T: Target>(target: &mut T, options: &Options) -> Report {
    install_hook();
    let start = Instant::now();
    let mut outcomes = BTreeMap::new();
    let mut failure = None;
    let mut cases = 0;
    while cases < options.cases {
        if let Some(limit) = options.seconds
            && cases % 64 == 0
            && start.elapsed().as_secs_f64() >= limit
        {
            break;
        }
        let case = cases;
        cases += 1;
        let input = target.generate(&mut case_rng(options.seed, case));
        match check(target, &input) {
            Ok(outcome) => *outcomes.entry(outcome).or_insert(0) += 1,
            Err(message) => {
                failure = Some(Failure {
                    case,
                    ..shrink(target, input, message)
                });
                break;
            }
        }
    }
    Report {
        target: target.name(),
        cases,
        elapsed: start.elapsed(),
        outcomes,
        failure,
    }
}
