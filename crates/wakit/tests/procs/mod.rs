//! Processes the tests start: every `wakit` child is marked with the test process's pid
//! (`WAKIT_TEST_CHILD`), stops by itself if the test process dies without stopping it
//! (`WAKIT_EXIT_WITH_PARENT`), and long-running ones are killed when their [`Proc`] is
//! dropped — also when the test panics. `zz_leftovers.rs` fails the suite if any marked
//! process outlives the test that started it.
#![allow(dead_code)]

use std::process::{Child, Command};

/// The environment variable that marks a test's child with the test process's pid.
pub const MARKER: &str = "WAKIT_TEST_CHILD";

/// `wakit` (the binary under test), marked and tied to this process.
pub fn wakit() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wakit"));
    cmd.env(MARKER, std::process::id().to_string())
        .env("WAKIT_EXIT_WITH_PARENT", "1");
    cmd
}

/// A running child that is killed (and reaped) when dropped.
pub struct Proc(pub Child);

impl Proc {
    /// Starts `cmd`.
    pub fn spawn(cmd: &mut Command) -> Proc {
        Proc(cmd.spawn().expect("spawn child process"))
    }
}

impl std::ops::Deref for Proc {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Proc {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// A process's state letter from `/proc/PID/stat` (`None` once it is gone).
pub fn state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) S ...": the state follows the last ')'.
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// Whether `pid` is running (present and not a zombie).
pub fn alive(pid: u32) -> bool {
    state(pid).is_some_and(|s| s != 'Z' && s != 'X')
}

/// Marked processes whose test process is gone: `(pid, command line)`.
pub fn leftovers() -> Vec<(u32, String)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let prefix = format!("{MARKER}=");
    let mut found = Vec::new();
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let owner = environ
            .split(|b| *b == 0)
            .filter_map(|v| std::str::from_utf8(v).ok())
            .find_map(|v| v.strip_prefix(&prefix))
            .and_then(|v| v.parse::<u32>().ok());
        if let Some(owner) = owner
            && alive(pid)
            && !alive(owner)
        {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            found.push((pid, cmdline.trim().to_string()));
        }
    }
    found
}
