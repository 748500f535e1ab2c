//! The 24-hour customer service window: free-form messages may be sent only while the
//! contact's newest incoming message is less than 24 h old. Computed from the contact's
//! whole history (the store answers "newest incoming time"), never from a page.

use chrono::{DateTime, Duration, Utc};

/// Length of the window Meta grants after each incoming message.
pub const WINDOW: Duration = Duration::hours(24);

/// Whether free-form messages may be sent to a contact right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceWindow {
    /// Open until `expires_at`.
    Open {
        /// When the window closes unless the contact writes again.
        expires_at: DateTime<Utc>,
    },
    /// The contact wrote, but more than 24 h ago.
    Expired {
        /// When it closed.
        expired_at: DateTime<Utc>,
    },
    /// The contact never wrote.
    NeverOpened,
}

impl ServiceWindow {
    /// The window at `now` given the contact's newest incoming message time.
    pub fn at(newest_incoming: Option<DateTime<Utc>>, now: DateTime<Utc>) -> ServiceWindow {
        match newest_incoming {
            None => ServiceWindow::NeverOpened,
            Some(last) => {
                let expires_at = last + WINDOW;
                if now < expires_at {
                    ServiceWindow::Open { expires_at }
                } else {
                    ServiceWindow::Expired {
                        expired_at: expires_at,
                    }
                }
            }
        }
    }

    /// Whether free-form messages may be sent.
    pub fn is_open(&self) -> bool {
        matches!(self, ServiceWindow::Open { .. })
    }

    /// `open` or `closed`, as the API reports it.
    pub fn label(&self) -> &'static str {
        if self.is_open() { "open" } else { "closed" }
    }

    /// When the window closes (open) or closed (expired).
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        match self {
            ServiceWindow::Open { expires_at } => Some(*expires_at),
            ServiceWindow::Expired { expired_at } => Some(*expired_at),
            ServiceWindow::NeverOpened => None,
        }
    }

    /// The sentence a free-form send gets when the window is not open.
    pub fn closed_reason(&self) -> Option<&'static str> {
        match self {
            ServiceWindow::Open { .. } => None,
            ServiceWindow::Expired { .. } => Some(
                "Service window is closed (24h+ since last user message). You must send a template content to re-open it.",
            ),
            ServiceWindow::NeverOpened => Some(
                "Service window is closed (no prior incoming message). You must send a template content to open the service window.",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + s, 0)
            .single()
            .expect("valid")
    }

    #[test]
    fn open_for_24_hours_then_closed() {
        let last = t(0);
        assert!(ServiceWindow::at(Some(last), t(1)).is_open());
        assert!(ServiceWindow::at(Some(last), t(24 * 3600 - 1)).is_open());
        let w = ServiceWindow::at(Some(last), t(24 * 3600));
        assert!(!w.is_open());
        assert_eq!(w.label(), "closed");
        assert!(w.closed_reason().is_some_and(|r| r.contains("24h+")));
    }

    #[test]
    fn never_opened_has_its_own_sentence() {
        let w = ServiceWindow::at(None, t(0));
        assert_eq!(w, ServiceWindow::NeverOpened);
        assert!(
            w.closed_reason()
                .is_some_and(|r| r.contains("no prior incoming"))
        );
        assert_eq!(w.expires_at(), None);
    }

    #[test]
    fn open_window_reports_expiry() {
        let w = ServiceWindow::at(Some(t(0)), t(10));
        assert_eq!(w.expires_at(), Some(t(24 * 3600)));
        assert_eq!(w.label(), "open");
        assert_eq!(w.closed_reason(), None);
    }
}
