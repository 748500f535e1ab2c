//! The short version of every fuzz target: a few thousand seeded cases each (the
//! million-case runs are `wakit-bench fuzz`).

use wakit_fuzz::{Options, Report, run_named};

/// Runs `target` for `cases` cases from a fixed seed; fails with the shrunk input.
fn short(target: &str, cases: u64) -> Report {
    let options = Options {
        cases,
        seed: 17,
        seconds: None,
    };
    let report = run_named(target, &options).expect("target");
    if let Some(f) = &report.failure {
        panic!(
            "{target}: case {} (seed 17) failed: {}\nminimal input: {}",
            f.case, f.message, f.input
        );
    }
    assert_eq!(report.cases, cases);
    report
}

/// Whether some outcome label contains `part`.
fn saw(report: &Report, part: &str) -> bool {
    report.outcomes.keys().any(|k| k.contains(part))
}

#[test]
fn webhook_bytes() {
    let r = short("webhook-bytes", 3_000);
    assert!(
        saw(&r, "not-json") && saw(&r, "Message"),
        "{:?}",
        r.outcomes
    );
}

#[test]
fn webhook_json() {
    let r = short("webhook-json", 3_000);
    for kind in [
        "Message",
        "Status",
        "Invalid",
        "Unknown",
        "TemplateStatus",
        "Errors",
    ] {
        assert!(saw(&r, kind), "no {kind} in {:?}", r.outcomes);
    }
}

#[test]
fn signature() {
    let r = short("signature", 3_000);
    assert!(saw(&r, "valid") && saw(&r, "refused"), "{:?}", r.outcomes);
}

#[test]
fn phone() {
    let r = short("phone", 5_000);
    assert!(
        saw(&r, "ok") && saw(&r, "InvalidLength"),
        "{:?}",
        r.outcomes
    );
}

#[test]
fn user_id() {
    let r = short("user-id", 5_000);
    assert!(saw(&r, "ok") && saw(&r, "refused"), "{:?}", r.outcomes);
}

#[test]
fn customer_ref() {
    let r = short("customer-ref", 5_000);
    assert!(saw(&r, "phone") && saw(&r, "user-id"), "{:?}", r.outcomes);
}

#[test]
fn sender() {
    let r = short("sender", 5_000);
    assert!(
        saw(&r, "user=true") && saw(&r, "refused"),
        "{:?}",
        r.outcomes
    );
}

#[test]
fn template() {
    let r = short("template", 5_000);
    assert!(
        saw(&r, "fitting-ok") && saw(&r, "Count"),
        "{:?}",
        r.outcomes
    );
}

#[test]
fn text() {
    let r = short("text", 5_000);
    assert!(
        saw(&r, "pattern") && saw(&r, "no-digits"),
        "{:?}",
        r.outcomes
    );
}

#[test]
fn api() {
    let r = short("api", 1_500);
    for seen in [
        "POST /messages 202",
        "POST /messages 400",
        "POST /functions/v1/whatsapp-webhook 200",
        "401",
        "GET /contacts 200",
    ] {
        assert!(saw(&r, seen), "no {seen:?} in {:?}", r.outcomes);
    }
}
