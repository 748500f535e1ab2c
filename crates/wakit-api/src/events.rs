//! The event stream (`GET /events`, Server-Sent Events) for clients: opened with a
//! start, read event by event; the caller reconnects from [`EventStream::last_id`].

use serde_json::Value;
use std::time::Duration;

use crate::client::{Client, ClientError, finish};

/// One event: its seq, type (`messages.insert`, ...) and body (`{seq, type, entity,
/// action, data, timestamp}`).
#[derive(Clone, Debug)]
pub struct StreamEvent {
    /// The event's seq (`id:`).
    pub seq: i64,
    /// `entity.action`.
    pub kind: String,
    /// The JSON body.
    pub body: Value,
}

/// An open stream.
#[derive(Debug)]
pub struct EventStream {
    resp: reqwest::Response,
    url: String,
    buf: Vec<u8>,
    last: Option<i64>,
}

/// Where a stream starts and what it carries.
#[derive(Clone, Debug, Default)]
pub struct EventsQuery {
    /// Resume after this seq (`Last-Event-ID`); none: from now on.
    pub after: Option<i64>,
    /// Comma-separated types.
    pub types: Option<String>,
    /// Only this number's events.
    pub account_phone: Option<String>,
}

impl Client {
    /// Opens `GET /events` (no overall timeout: the stream lasts until it ends).
    pub async fn events(&self, query: &EventsQuery) -> Result<EventStream, ClientError> {
        let url = self.url("/events");
        let mut params: Vec<(&str, &str)> = Vec::new();
        if let Some(t) = &query.types {
            params.push(("types", t));
        }
        if let Some(a) = &query.account_phone {
            params.push(("account_phone", a));
        }
        let mut req = self
            .http
            .get(&url)
            .bearer_auth(&self.key)
            .query(&params)
            .timeout(Duration::from_secs(100 * 365 * 24 * 3600));
        if let Some(after) = query.after {
            req = req.header("Last-Event-ID", after.to_string());
        }
        let resp = req.send().await.map_err(|e| transport(&url, &e))?;
        if !resp.status().is_success() {
            return Err(match finish::<Value>(url.clone(), Ok(resp)).await {
                Err(e) => e,
                Ok(_) => ClientError::Transport {
                    url,
                    detail: "unexpected answer".into(),
                },
            });
        }
        Ok(EventStream {
            resp,
            url,
            buf: Vec::new(),
            last: query.after,
        })
    }
}

fn transport(url: &str, e: &reqwest::Error) -> ClientError {
    ClientError::Transport {
        url: url.to_string(),
        detail: e.to_string(),
    }
}

impl EventStream {
    /// The next event; `None` when the server ended the stream.
    pub async fn next(&mut self) -> Result<Option<StreamEvent>, ClientError> {
        loop {
            while let Some(end) = self.buf.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = self.buf.drain(..end + 2).collect();
                match parse(&String::from_utf8_lossy(&block)) {
                    Block::Event(e) => {
                        self.last = Some(e.seq);
                        return Ok(Some(e));
                    }
                    // Where the stream starts (sent first, without data).
                    Block::Id(seq) => self.last = Some(seq),
                    Block::Nothing => {}
                }
            }
            match self
                .resp
                .chunk()
                .await
                .map_err(|e| transport(&self.url, &e))?
            {
                Some(chunk) => self.buf.extend_from_slice(&chunk),
                None => return Ok(None),
            }
        }
    }

    /// The seq of the last event read (or where the stream started): where to resume.
    pub fn last_id(&self) -> Option<i64> {
        self.last
    }
}

/// What an SSE block carries.
enum Block {
    Event(StreamEvent),
    /// An id without data.
    Id(i64),
    /// A comment (keep-alive) or something unreadable.
    Nothing,
}

fn parse(block: &str) -> Block {
    let (mut seq, mut kind, mut data) = (None, String::new(), String::new());
    for line in block.lines() {
        if let Some(v) = line.strip_prefix("id:") {
            seq = v.trim().parse().ok();
        } else if let Some(v) = line.strip_prefix("event:") {
            kind = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.trim_start());
        }
    }
    match (seq, data.is_empty()) {
        (Some(seq), true) => Block::Id(seq),
        (Some(seq), false) => match serde_json::from_str(&data) {
            Ok(body) => Block::Event(StreamEvent { seq, kind, body }),
            Err(_) => Block::Nothing,
        },
        (None, _) => Block::Nothing,
    }
}
