//! A 100 MB upload to `POST /media` streams to the storage: the server's resident memory
//! grows by a few megabytes, not by the file (the built binary, `wakit demo`, local disk).

mod cli_support;
mod procs;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use cli_support::Demo;

const FILE: usize = 100 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;
/// Growth the test allows: the storage holds a part or two of 256 KiB; the rest is the
/// allocator's and the runtime's slack. Buffering the file would be 100 MB.
const MAX_GROWTH_KB: u64 = 24 * 1024;

/// The process's resident set in KiB.
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmRSS")
}

/// POSTs a PDF of `size` bytes as `multipart/form-data`, written in chunks as it goes;
/// returns the status line and body.
fn upload(demo: &Demo, size: usize) -> (String, String) {
    let addr = demo.base.strip_prefix("http://").expect("http base");
    let mut conn = TcpStream::connect(addr).expect("connect");
    conn.set_read_timeout(Some(Duration::from_secs(120)))
        .expect("timeout");
    let boundary = "wakit-memory-test-boundary";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let length = head.len() + size + tail.len();
    write!(
        conn,
        "POST /functions/v1/api/media HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {length}\r\n\
         Connection: close\r\n\r\n{head}",
        demo.key
    )
    .expect("request head");
    // Bytes that differ chunk to chunk, so nothing can be deduplicated or compressed away.
    let mut chunk = vec![0u8; CHUNK];
    let mut sent = 0;
    let mut n: u64 = 0;
    while sent < size {
        for b in chunk.iter_mut() {
            n = n
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *b = (n >> 56) as u8;
        }
        let take = CHUNK.min(size - sent);
        conn.write_all(&chunk[..take]).expect("body");
        sent += take;
    }
    conn.write_all(tail.as_bytes()).expect("tail");
    let mut reader = BufReader::new(conn);
    let mut status = String::new();
    reader.read_line(&mut status).expect("status line");
    let mut rest = String::new();
    let _ = reader.read_to_string(&mut rest);
    (status.trim().to_string(), rest)
}

#[test]
fn a_100_mb_upload_keeps_memory_flat() {
    let demo = Demo::start();
    demo.wait_for_seed();
    let pid = demo.pid();
    // A first upload warms the paths up (pools, buffers) before the baseline.
    let (status, body) = upload(&demo, 2 * 1024 * 1024);
    assert!(status.contains(" 201 "), "{status}\n{body}");
    std::thread::sleep(Duration::from_millis(300));
    let before = rss_kb(pid);

    let peak = Arc::new(AtomicU64::new(before));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            // Bounded: at most ten minutes of samples.
            for _ in 0..60_000 {
                if done.load(Ordering::SeqCst) {
                    break;
                }
                peak.fetch_max(rss_kb(pid), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let (status, body) = upload(&demo, FILE);
    done.store(true, Ordering::SeqCst);
    sampler.join().expect("sampler");
    assert!(status.contains(" 201 "), "{status}\n{body}");
    assert!(body.contains(&format!("\"size\":{FILE}")), "{body}");
    let growth = peak.load(Ordering::SeqCst).saturating_sub(before);
    println!("RSS before {before} KiB, peak growth {growth} KiB during a {FILE}-byte upload");
    assert!(
        growth <= MAX_GROWTH_KB,
        "resident memory grew {growth} KiB during a {} MiB upload",
        FILE / 1024 / 1024
    );
}
