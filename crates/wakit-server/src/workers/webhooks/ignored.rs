//! Webhook items wakit does not handle (yet): an unknown field, or an error without a
//! phone-number id to route it by. Nothing Meta sent is dropped silently: the body's
//! inbox row ends `ignored` with what was not applied (`failed` when something else
//! went wrong too), each item is counted per field and logged at info the first time a
//! process sees its field, and `wakit admin inbox retry --ignored` replays the rows once
//! a release handles them.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};
use wakit_store::InboxOutcome;

/// The metric label for an error without a phone-number id.
const ERRORS: &str = "errors";

/// Fields logged so far by this process; bounded so a stream of odd field names cannot
/// grow it (later ones are still counted and kept, only not logged).
const MAX_LOGGED: usize = 256;

/// Records an unhandled item of webhook field `field`; returns the note its row keeps.
pub(super) fn field(field: &str) -> String {
    seen(field);
    format!("ignored: field {field}")
}

/// Records an error Meta sent without a phone-number id; returns the note its row keeps.
pub(super) fn unrouted_errors() -> String {
    seen(ERRORS);
    "ignored: error without a phone-number id".to_string()
}

/// Counts the item and logs its field once per process.
fn seen(field: &str) {
    crate::metrics::webhook_ignored(field);
    static LOGGED: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let first = {
        let mut logged = LOGGED
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        logged.len() < MAX_LOGGED && logged.insert(field.to_string())
    };
    if first {
        tracing::info!(
            field,
            "webhook items wakit does not handle are kept in the inbox as ignored \
             (logged once per field; `wakit admin inbox retry --ignored` replays them)"
        );
    }
}

/// A body's outcome: failed if anything could not be applied (its notes list the
/// ignored items too, so a retry of the failure sees everything), ignored if it held
/// only unhandled items besides what was applied, else done.
pub(super) fn outcome(problems: Vec<String>, ignored: Vec<String>) -> InboxOutcome {
    match (problems.is_empty(), ignored.is_empty()) {
        (true, true) => InboxOutcome::Done,
        (true, false) => InboxOutcome::Ignored(ignored.join("; ")),
        (false, _) => InboxOutcome::Failed(
            problems
                .into_iter()
                .chain(ignored)
                .collect::<Vec<_>>()
                .join("; "),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_win_and_keep_the_ignored_items() {
        assert_eq!(outcome(vec![], vec![]), InboxOutcome::Done);
        assert_eq!(
            outcome(
                vec![],
                vec!["ignored: field a".into(), "ignored: field b".into()]
            ),
            InboxOutcome::Ignored("ignored: field a; ignored: field b".into())
        );
        assert_eq!(
            outcome(vec!["bad".into()], vec!["ignored: field a".into()]),
            InboxOutcome::Failed("bad; ignored: field a".into())
        );
    }
}
