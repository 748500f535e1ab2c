//! Helpers for REST API tests: error expectations and polling through the API.

use std::time::{Duration, Instant};
use wakit_api::{Answer, Client, ClientError, ConversationQuery, ConversationResponse, ErrorBody};

use super::sandbox::STORE_WAIT;

/// Asserts the call failed with `status` and machine `code`; returns the body.
#[track_caller]
pub fn expect_error<T: std::fmt::Debug>(
    r: Result<Answer<T>, ClientError>,
    status: u16,
    code: &str,
) -> ErrorBody {
    match r {
        Err(ClientError::Api {
            status: s, body, ..
        }) => {
            assert_eq!(
                (s, body.code.as_str()),
                (status, code),
                "error {}",
                body.error
            );
            assert!(!body.error.is_empty(), "errors carry a sentence");
            *body
        }
        other => panic!("expected HTTP {status} {code}, got {other:?}"),
    }
}

/// The conversation with `contact`, once `done` holds for it (bounded wait).
pub async fn conversation_until(
    client: &Client,
    contact: &str,
    done: impl Fn(&ConversationResponse) -> bool,
) -> ConversationResponse {
    let q = ConversationQuery {
        contact_phone: Some(contact.into()),
        ..Default::default()
    };
    let start = Instant::now();
    loop {
        let conv = client.conversation(&q).await.expect("conversation").value;
        if done(&conv) || start.elapsed() > STORE_WAIT {
            return conv;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Whether `label` looks like the API's human time label.
pub fn is_time_label(label: &str) -> bool {
    let hhmm = label.len() == 5 && label.as_bytes()[2] == b':';
    let date = label.len() == 10 && label.as_bytes()[4] == b'-';
    hhmm || date || label == "yesterday" || label.ends_with("day")
}
