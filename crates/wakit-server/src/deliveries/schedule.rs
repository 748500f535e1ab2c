//! When a failed delivery is tried again: Svix's schedule (immediately, then 5 s, 5 min,
//! 30 min, 2 h, 5 h, 10 h, 10 h after each failure), ±10 % jitter so endpoints that
//! failed together are not retried together, never sooner than the receiver's
//! `Retry-After`. After the eighth attempt the delivery is given up.

use rand::Rng;
use std::time::Duration;

/// Delay before attempt n+1 (index n = attempts made so far), seconds.
const SCHEDULE: [u64; 8] = [0, 5, 300, 1800, 7200, 18_000, 36_000, 36_000];

/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i32 = SCHEDULE.len() as i32;

/// The longest `Retry-After` honoured (the schedule's longest step).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(36_000);

/// How long after its `attempts`-th failed attempt a delivery is tried again (`None`:
/// give up), with the schedule multiplied by `scale` and `retry_after` honoured.
pub fn next_delay(attempts: i32, scale: f64, retry_after: Option<Duration>) -> Option<Duration> {
    let step = *SCHEDULE.get(usize::try_from(attempts).ok()?)?;
    let jitter = rand::thread_rng().gen_range(0.9..=1.1);
    let delay = Duration::from_secs_f64(step as f64 * scale * jitter);
    Some(delay.max(retry_after.map_or(Duration::ZERO, |r| r.min(MAX_RETRY_AFTER))))
}

/// A `Retry-After` header's value: seconds, or an HTTP date.
pub fn retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .to_std()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_svix_with_jitter_and_gives_up_after_eight() {
        for (n, secs) in SCHEDULE.iter().enumerate().skip(1) {
            let d = next_delay(n as i32, 1.0, None).expect("retried");
            let s = *secs as f64;
            assert!(
                d.as_secs_f64() >= s * 0.9 && d.as_secs_f64() <= s * 1.1,
                "{n}: {d:?}"
            );
        }
        assert_eq!(next_delay(MAX_ATTEMPTS, 1.0, None), None);
        let compressed = next_delay(1, 0.01, None).expect("retried");
        assert!(compressed <= Duration::from_millis(55), "{compressed:?}");
    }

    #[test]
    fn retry_after_is_a_floor() {
        let d = next_delay(1, 1.0, Some(Duration::from_secs(60))).expect("retried");
        assert_eq!(d, Duration::from_secs(60));
        let capped = next_delay(1, 1.0, Some(Duration::from_secs(10_000_000))).expect("retried");
        assert_eq!(capped, MAX_RETRY_AFTER);
        assert_eq!(retry_after(" 120 "), Some(Duration::from_secs(120)));
        assert_eq!(retry_after("soon"), None);
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None, "past");
    }
}
