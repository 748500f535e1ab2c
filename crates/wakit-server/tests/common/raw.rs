//! Plain TCP clients for attack tests: partial requests, stalled uploads, and waiting
//! (bounded) for the server's answer or for it to close the connection.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// `127.0.0.1:PORT` of a server URL (`http://127.0.0.1:PORT/...`).
pub fn host_of(url: &str) -> String {
    let rest = url.strip_prefix("http://").expect("http URL");
    rest.split('/').next().expect("host").to_string()
}

/// A connection to `url`'s host that has sent `bytes`.
pub async fn send_raw(url: &str, bytes: &[u8]) -> TcpStream {
    let mut conn = TcpStream::connect(host_of(url)).await.expect("connect");
    conn.write_all(bytes).await.expect("write");
    conn
}

/// What the server did with a connection within `within`.
#[derive(Debug, PartialEq, Eq)]
pub enum Seen {
    /// It answered (the start of the answer).
    Answered(String),
    /// It closed (or reset) the connection without a byte.
    Closed,
    /// Nothing yet: the connection is still open.
    Open,
}

/// Reads until the server answers or closes, or `within` passes.
pub async fn seen(conn: &mut TcpStream, within: Duration) -> Seen {
    let mut buf = vec![0u8; 4096];
    match tokio::time::timeout(within, conn.read(&mut buf)).await {
        Err(_) => Seen::Open,
        Ok(Ok(0)) | Ok(Err(_)) => Seen::Closed,
        Ok(Ok(n)) => Seen::Answered(String::from_utf8_lossy(&buf[..n]).into_owned()),
    }
}

/// The head of a request to `url` (path taken from it) with extra header lines.
pub fn head(method: &str, url: &str, extra: &[&str]) -> String {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut head = format!("{method} /{path} HTTP/1.1\r\nHost: {host}\r\n");
    for line in extra {
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    head
}
