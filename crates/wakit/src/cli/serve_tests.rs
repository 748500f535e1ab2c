//! Parsing of `wakit serve`'s options.

#![allow(clippy::unwrap_used)]

use super::{ApiArgs, RetentionArgs};
use clap::Parser;

#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    retention: RetentionArgs,
}

/// The defaults are the documented ones; 0 or a negative number stops the start
/// with a message naming the setting.
#[test]
fn retention_settings_default_and_must_be_positive() {
    let config = Cli::try_parse_from(["wakit"]).unwrap().retention.config();
    assert_eq!(
        config,
        wakit_server::workers::retention::RetentionConfig::default()
    );
    for (flag, value, name) in [
        ("--job-retention-days", "0", "WAKIT_JOB_RETENTION_DAYS"),
        (
            "--event-retention-hours",
            "-5",
            "WAKIT_EVENT_RETENTION_HOURS",
        ),
        (
            "--retention-interval-seconds",
            "0",
            "WAKIT_RETENTION_INTERVAL_SECONDS",
        ),
    ] {
        let arg = format!("{flag}={value}");
        let err = Cli::try_parse_from(["wakit", arg.as_str()]).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains(&format!("{name} must be at least 1")),
            "{message}"
        );
    }
    let ok = Cli::try_parse_from(["wakit", "--dead-retention-days=90"]).unwrap();
    assert_eq!(
        ok.retention.config().policy.failed_inbox,
        chrono::Duration::days(90)
    );
}

#[derive(Debug, Parser)]
struct Api {
    #[command(flatten)]
    api: ApiArgs,
}

/// An on/off switch takes its value on the command line as it does from the
/// environment (`--auth-signup on` was refused as an unexpected argument).
#[test]
fn switches_take_on_and_off_on_the_command_line() {
    let parse = |args: &[&str]| Api::try_parse_from(args).map(|c| c.api.auth_signup);
    assert!(!parse(&["wakit"]).unwrap());
    assert!(parse(&["wakit", "--auth-signup", "on"]).unwrap());
    assert!(!parse(&["wakit", "--auth-signup", "off"]).unwrap());
    assert!(parse(&["wakit", "--auth-signup=yes"]).unwrap());
    assert!(parse(&["wakit", "--auth-signup", "maybe"]).is_err());
}
