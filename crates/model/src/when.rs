//! Times and ages as the user writes them: `--every 12h`, `--older-than 30d`, `--since 7d`,
//! `?since=2026-11-01`. Pure: `now` is given.

use std::time::Duration;

/// A point in time as the user gives it (`--since`, `?since=`): an age back from `now` (`7d`), a
/// date (`2026-11-01`, midnight UTC) or a time (`2026-11-01T08:00:00Z`).
pub fn parse_since(s: &str, now: jiff::Timestamp) -> Result<jiff::Timestamp, &'static str> {
    if let Ok(age) = parse_age(s) {
        let age = jiff::SignedDuration::try_from(age).map_err(|_| "too long ago")?;
        return now.checked_sub(age).map_err(|_| "too long ago");
    }
    if let Ok(t) = s.trim().parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    if let Ok(d) = s.trim().parse::<jiff::civil::Date>() {
        return d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|_| "not a date camscan can place");
    }
    Err(
        "expected an age such as 12h, 7d or 2w, a date such as 2026-11-01, or a time such as 2026-11-01T08:00:00Z",
    )
}

/// An age: a whole number and a unit, `s`, `m` (minutes), `h`, `d` or `w` (`90s`, `30m`, `12h`,
/// `7d`, `2w`). Days and weeks are 24 h and 7 x 24 h: the inventory keeps UTC times.
pub fn parse_age(s: &str) -> Result<Duration, &'static str> {
    const EXPECTED: &str = "expected an age such as 90s, 30m, 12h, 7d or 2w";
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or(EXPECTED)?;
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().map_err(|_| EXPECTED)?;
    let scale = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(EXPECTED),
    };
    n.checked_mul(scale)
        .filter(|&secs| secs <= 100 * 365 * 86_400)
        .map(Duration::from_secs)
        .ok_or("at most 100 years")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        assert_eq!(parse_age("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_age("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_age("12h"), Ok(Duration::from_secs(12 * 3600)));
        assert_eq!(parse_age("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_age(" 2w "), Ok(Duration::from_secs(14 * 86_400)));
        assert_eq!(parse_age("0d"), Ok(Duration::ZERO));
        for bad in [
            "",
            "7",
            "d",
            "7x",
            "-7d",
            "1.5d",
            "7 days",
            "99999999999999999999d",
            "40000d",
        ] {
            assert!(parse_age(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn since_is_an_age_a_date_or_a_time() {
        let now: jiff::Timestamp = "2026-11-23T12:00:00Z".parse().unwrap();
        let at = |s: &str| parse_since(s, now).map(|t| t.to_string());
        assert_eq!(at("12h").as_deref(), Ok("2026-11-23T00:00:00Z"));
        assert_eq!(at("7d").as_deref(), Ok("2026-11-16T12:00:00Z"));
        assert_eq!(at("2026-11-01").as_deref(), Ok("2026-11-01T00:00:00Z"));
        assert_eq!(
            at("2026-11-01T08:30:00Z").as_deref(),
            Ok("2026-11-01T08:30:00Z")
        );
        assert!(at("yesterday").is_err());
        assert!(at("2026-13-01").is_err());
    }
}
