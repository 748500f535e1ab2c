//! Runs after the binary's other test programs (cargo runs them in name order): no
//! `wakit` process a test started may outlive that test's program.

mod procs;

use std::time::{Duration, Instant};

#[test]
fn no_test_process_outlives_its_test() {
    // An orphan notices its parent is gone within a second or so; give it a margin.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut left = procs::leftovers();
    while !left.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        left = procs::leftovers();
    }
    for (pid, _) in &left {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    assert!(
        left.is_empty(),
        "processes started by tests still running after their test program ended (now killed): {left:?}"
    );
}
