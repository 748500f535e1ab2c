//! Reading the event stream (`GET /functions/v1/api/events`) in tests: open it with a
//! key or a token, collect events until one matches (bounded), check each event's shape.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use serde_json::Value;
use std::time::{Duration, Instant};

use super::Running;
use super::sandbox::World;

/// How long a test waits for an event.
pub const STREAM_WAIT: Duration = Duration::from_secs(30);

/// One received event: seq, type, body.
pub type Received = (i64, String, Value);

/// An open event stream.
pub struct Stream {
    resp: reqwest::Response,
    buf: String,
    /// The id the stream announced first (where it starts).
    pub start: Option<i64>,
}

impl Stream {
    /// Opens `GET /events?{query}` with `key`, resuming after `last` when given.
    pub async fn open(w: &World, key: &str, last: Option<i64>, query: &str) -> Stream {
        Stream::open_at(&w.server, key, last, query).await
    }

    /// [`Stream::open`] on the server `at`.
    pub async fn open_at(at: &Running, key: &str, last: Option<i64>, query: &str) -> Stream {
        let mut req = reqwest::Client::new()
            .get(format!("{}/events?{query}", at.base))
            .bearer_auth(key);
        if let Some(last) = last {
            req = req.header("Last-Event-ID", last.to_string());
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let kind = resp.headers()["content-type"].to_str().unwrap().to_string();
        assert!(kind.starts_with("text/event-stream"), "{kind}");
        Stream {
            resp,
            buf: String::new(),
            start: None,
        }
    }

    /// Events until one satisfies `last` (included); panics after [`STREAM_WAIT`].
    pub async fn until(&mut self, last: impl Fn(&Received) -> bool) -> Vec<Received> {
        let start = Instant::now();
        let mut got = Vec::new();
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                if !block.contains("data:") {
                    let id = block.lines().find_map(|l| l.strip_prefix("id:"));
                    self.start = self.start.or(id.and_then(|i| i.trim().parse().ok()));
                }
                if let Some(e) = parse(&block) {
                    let done = last(&e);
                    got.push(e);
                    if done {
                        return got;
                    }
                }
            }
            let left = STREAM_WAIT.saturating_sub(start.elapsed());
            let chunk = tokio::time::timeout(left, self.resp.chunk())
                .await
                .unwrap_or_else(|_| panic!("no matching event within {STREAM_WAIT:?}; got {got:?}"))
                .unwrap()
                .expect("the stream ended");
            self.buf.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }
}

/// An SSE block with data (comments and keep-alives are none).
pub fn parse(block: &str) -> Option<Received> {
    let (mut id, mut kind, mut data) = (None, None, None);
    for line in block.lines() {
        if let Some(v) = line.strip_prefix("id:") {
            id = Some(v.trim().parse::<i64>().unwrap());
        } else if let Some(v) = line.strip_prefix("event:") {
            kind = Some(v.trim().to_string());
        } else if let Some(v) = line.strip_prefix("data:") {
            data = Some(serde_json::from_str::<Value>(v.trim()).unwrap());
        }
    }
    let (id, kind, data) = (id?, kind?, data?);
    assert_eq!(data["seq"], id, "id is the seq");
    assert_eq!(data["type"], kind.as_str());
    assert_eq!(
        format!("{}.{}", data["entity"].as_str()?, data["action"].as_str()?),
        kind
    );
    Some((id, kind, data))
}

/// Whether `e` is the insert of the inbound message `wamid`.
pub fn inserted(e: &Received, wamid: &str) -> bool {
    e.1 == "messages.insert" && e.2["data"]["external_id"] == wamid
}
