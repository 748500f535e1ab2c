//! The test harness itself: a server that fails or panics fails the test that started
//! it, whether the test stops it or only drops it.

mod common;

use common::Running;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A `Running` over `task` in place of the real server.
fn running(task: tokio::task::JoinHandle<std::io::Result<()>>) -> Running {
    let addr = "127.0.0.1:9".parse().expect("addr");
    Running::new(addr, CancellationToken::new(), task)
}

#[tokio::test]
#[should_panic(expected = "the server failed: listener gone")]
async fn stop_reports_the_servers_error() {
    let srv = running(tokio::spawn(async {
        Err(std::io::Error::other("listener gone"))
    }));
    srv.stop().await;
}

#[tokio::test]
#[should_panic(expected = "worker exploded")]
async fn stop_reports_the_servers_panic() {
    let srv = running(tokio::spawn(async { panic!("worker exploded") }));
    srv.stop().await;
}

#[tokio::test]
#[should_panic(expected = "the server failed: listener gone")]
async fn a_test_that_never_stops_its_server_still_sees_it_fail() {
    let srv = running(tokio::spawn(async {
        Err(std::io::Error::other("listener gone"))
    }));
    while !srv.is_finished() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(srv);
}
