//! Human time labels in the org's timezone, as the seed shows them: `HH:MM` today,
//! `yesterday`, the weekday name within the last 7 days, else `YYYY-MM-DD`.

use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use chrono_tz::Tz;

/// The org's timezone (UTC when the stored name is not a known zone).
pub fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

/// The label of `at` seen at `now` in `tz`.
pub fn label(at: DateTime<Utc>, now: DateTime<Utc>, tz: Tz) -> String {
    let local = at.with_timezone(&tz);
    let today = now.with_timezone(&tz).date_naive();
    let day = local.date_naive();
    let days_ago = (today - day).num_days();
    match days_ago {
        0 => local.format("%H:%M").to_string(),
        1 => "yesterday".to_string(),
        2..=6 => weekday(local.weekday()).to_string(),
        _ => day.format("%Y-%m-%d").to_string(),
    }
}

fn weekday(d: chrono::Weekday) -> &'static str {
    use chrono::Weekday::*;
    match d {
        Mon => "Monday",
        Tue => "Tuesday",
        Wed => "Wednesday",
        Thu => "Thursday",
        Fri => "Friday",
        Sat => "Saturday",
        Sun => "Sunday",
    }
}

/// RFC 3339 in UTC with milliseconds (`at` fields).
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("valid time")
    }

    #[test]
    fn today_yesterday_weekday_and_date() {
        let now = utc(2026, 11, 24, 15, 0); // a Tuesday
        assert_eq!(label(utc(2026, 11, 24, 10, 30), now, Tz::UTC), "10:30");
        assert_eq!(label(utc(2026, 11, 23, 23, 59), now, Tz::UTC), "yesterday");
        assert_eq!(label(utc(2026, 11, 20, 8, 0), now, Tz::UTC), "Friday");
        assert_eq!(label(utc(2026, 11, 18, 8, 0), now, Tz::UTC), "Wednesday");
        assert_eq!(label(utc(2026, 11, 17, 8, 0), now, Tz::UTC), "2026-11-17");
        // A scheduled message later today or in the future.
        assert_eq!(label(utc(2026, 11, 24, 18, 5), now, Tz::UTC), "18:05");
        assert_eq!(label(utc(2026, 12, 1, 9, 0), now, Tz::UTC), "2026-12-01");
    }

    #[test]
    fn the_org_timezone_decides_the_day() {
        // 03:30 UTC on the 24th is still the 23rd, 21:30, in Mexico City.
        let mx: Tz = "America/Mexico_City".parse().expect("zone");
        let now = utc(2026, 11, 24, 4, 0);
        assert_eq!(label(utc(2026, 11, 24, 3, 30), now, mx), "21:30");
        assert_eq!(label(utc(2026, 11, 23, 12, 0), now, mx), "06:00");
        let later = utc(2026, 11, 24, 20, 0);
        assert_eq!(label(utc(2026, 11, 24, 3, 30), later, mx), "yesterday");
        assert_eq!(zone("Not/AZone"), Tz::UTC);
    }
}
