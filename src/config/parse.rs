//! The command line's and config file's values read from text (durations, CSV delimiters, port
//! lists) and the errors every setting reports a bad one with.

use std::time::Duration;

use super::DurationValue;
use crate::error::Error;

pub(super) fn secs(n: f64) -> Result<Duration, &'static str> {
    Duration::try_from_secs_f64(n).map_err(|_| "not a valid number of seconds")
}

/// `800ms`, `1s`, `1.5s`, `2m`, or a bare number of seconds (as nmap and curl read one).
pub fn parse_duration(s: &str) -> Result<Duration, &'static str> {
    let s = s.trim();
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else {
        (s, 1.0)
    };
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| "expected a duration such as 800ms, 1s, 1.5s or 2m")?;
    if !n.is_finite() || n < 0.0 {
        return Err("expected a positive duration");
    }
    secs(n * scale)
}

/// A CSV delimiter (the CSV exporter's option reads it).
pub use crate::export::parse_csv_delimiter;

/// `554,8554,8000-8010`: ports in the order given, duplicates dropped.
pub fn parse_ports(spec: &str) -> Result<Vec<u16>, Error> {
    let bad = |reason: String| Error::InvalidPorts {
        spec: spec.to_string(),
        reason,
    };
    let one = |p: &str| -> Result<u16, Error> {
        match p.trim().parse::<u16>() {
            Ok(0) | Err(_) => Err(bad(format!("{:?} is not a port number 1-65535", p.trim()))),
            Ok(n) => Ok(n),
        }
    };
    let mut seen = vec![false; 65536];
    let mut out = Vec::new();
    for item in spec.split(',').map(str::trim) {
        if item.is_empty() {
            continue;
        }
        let (a, b) = match item.split_once('-') {
            Some((a, b)) => (one(a)?, one(b)?),
            None => {
                let p = one(item)?;
                (p, p)
            }
        };
        if b < a {
            return Err(bad(format!("range {item:?} ends before it starts")));
        }
        for p in a..=b {
            if !std::mem::replace(&mut seen[p as usize], true) {
                out.push(p);
            }
        }
    }
    if out.is_empty() {
        return Err(bad("no ports".into()));
    }
    Ok(out)
}

pub(crate) fn invalid(field: &'static str, value: &str, reason: &str) -> Error {
    Error::InvalidValue {
        field,
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

pub(crate) fn duration_field(
    field: &'static str,
    flag: Option<&str>,
    file: Option<&DurationValue>,
) -> Result<Option<Duration>, Error> {
    let d = match (flag, file) {
        (Some(s), _) => parse_duration(s),
        (None, Some(DurationValue::Text(s))) => parse_duration(s),
        (None, Some(DurationValue::Seconds(n))) => secs(*n),
        (None, None) => return Ok(None),
    };
    let shown = flag.map(str::to_string).unwrap_or_else(|| match file {
        Some(DurationValue::Text(s)) => s.clone(),
        Some(DurationValue::Seconds(n)) => n.to_string(),
        None => String::new(),
    });
    let d = d.map_err(|reason| invalid(field, &shown, reason))?;
    if d.is_zero() || d > Duration::from_secs(3600) {
        return Err(invalid(field, &shown, "must be more than 0 and at most 1h"));
    }
    Ok(Some(d))
}
