//! Capturing a test program's log (install one subscriber per test program).

use std::io::Write;
use std::sync::{Arc, Mutex};

/// The captured log; a `MakeWriter` for `tracing_subscriber::fmt().with_writer(...)`.
#[derive(Clone, Default)]
pub struct Captured(pub Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }

    /// How many lines contain `text`.
    pub fn lines_with(&self, text: &str) -> usize {
        self.text().lines().filter(|l| l.contains(text)).count()
    }
}
