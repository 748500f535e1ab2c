//! Per-number throughput: a token bucket refilled at the number's messages per second,
//! holding at most one second's worth.

use std::time::Instant;

/// One number's bucket.
#[derive(Debug)]
pub(crate) struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    /// A full bucket for `mps`.
    pub(crate) fn new(mps: u32) -> Self {
        Bucket {
            tokens: f64::from(mps),
            last: Instant::now(),
        }
    }

    /// Takes one token if there is one; `false` means the send is over the rate.
    pub(crate) fn take(&mut self, mps: u32, now: Instant) -> bool {
        let rate = f64::from(mps.max(1));
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate).min(rate);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn allows_a_second_of_burst_then_refills() {
        let start = Instant::now();
        let mut b = Bucket::new(10);
        b.last = start;
        assert_eq!((0..15).filter(|_| b.take(10, start)).count(), 10);
        assert!(!b.take(10, start));
        assert!(b.take(10, start + Duration::from_millis(110)));
        assert!(!b.take(10, start + Duration::from_millis(110)));
    }
}
