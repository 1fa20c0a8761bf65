//! The command line's and config file's values read from text (CSV delimiters, port lists; the
//! declared settings' parsers are theirs, [`crate::model::setting`]) and the errors every setting
//! reports a bad one with.

use crate::error::Error;

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
