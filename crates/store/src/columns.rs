//! How values are written to and read from the store's columns: times (milliseconds and RFC
//! 3339), credential-free URLs and the stream keys that survive an address change, keyed hashes of
//! working credentials, port lists, states, PLAY measurements and a scan's snapshot of a device
//! (`scan_devices.seen`) as short text. Shared by every
//! file of the store that writes or reads rows.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{DeviceState, StreamState};
use model::{AuthScheme, DiscoveryMethod, Measured, StreamStatus};

/// Query parameters that carry a secret on some cameras (`?usr=admin&pwd=...` on Foscam and
/// Dahua CGI URLs): dropped with the userinfo before a URL is stored.
const SECRET_PARAMS: &[&str] = &["password", "passwd", "pwd", "pass", "psw"];

/// Unix milliseconds of an RFC 3339 time; `now` when it does not parse.
pub(crate) fn millis(rfc3339: &str) -> i64 {
    rfc3339
        .parse::<jiff::Timestamp>()
        .unwrap_or_else(|_| jiff::Timestamp::now())
        .as_millisecond()
}

/// RFC 3339 of Unix milliseconds.
pub(crate) fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

pub(crate) fn method_name(m: DiscoveryMethod) -> &'static str {
    m.name()
}

/// `url` without its userinfo and secret query parameters.
pub(crate) fn clean_url(url: &str) -> String {
    let Ok(mut u) = url::Url::parse(url) else {
        // Not a URL the url crate takes apart: drop what stands before an '@' in the authority.
        return model::without_userinfo(url);
    };
    let _ = u.set_username("");
    let _ = u.set_password(None);
    if u.query().is_some() {
        let kept: Vec<(String, String)> = u
            .query_pairs()
            .filter(|(k, _)| !SECRET_PARAMS.contains(&k.to_ascii_lowercase().as_str()))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let had = u.query_pairs().count();
        if kept.len() != had {
            if kept.is_empty() {
                u.set_query(None);
            } else {
                u.query_pairs_mut().clear().extend_pairs(kept);
            }
        }
    }
    u.to_string()
}

/// The port of `u`: given, else its scheme's (the `url` crate knows only the special schemes).
fn port_of(u: &url::Url) -> Option<u16> {
    u.port_or_known_default().or(match u.scheme() {
        "rtsp" => Some(554),
        "rtsps" => Some(322),
        "rtmp" => Some(1935),
        "rtmps" => Some(443),
        _ => None,
    })
}

/// What names a stream on its device whatever the device's address: scheme, port, path and
/// query (`rtsp:554/Streaming/Channels/101`).
pub(crate) fn stream_key(clean: &str, port: u16) -> String {
    match url::Url::parse(clean) {
        Ok(u) => {
            let port = port_of(&u).unwrap_or(port);
            let mut k = format!("{}:{port}{}", u.scheme(), u.path());
            if let Some(q) = u.query() {
                k.push('?');
                k.push_str(q);
            }
            k
        }
        Err(_) => clean.to_string(),
    }
}

/// The path and query of a stream URL, as the analysers take them (`/Streaming/Channels/101`).
pub(crate) fn url_path(url: &str) -> Option<(String, u16, String)> {
    let u = url::Url::parse(url).ok()?;
    let port = port_of(&u)?;
    let mut path = u.path().to_string();
    if let Some(q) = u.query() {
        path.push('?');
        path.push_str(q);
    }
    Some((u.scheme().to_string(), port, path))
}

pub(crate) use model::percent_decode;

/// Bytes kept of a credential's HMAC-SHA256: 128 bits, the truncation RFC 2104 §5 allows (at
/// least half the output); it only has to tell the entries of one credentials file apart.
pub(crate) const CRED_HASH_LEN: usize = 16;

/// HMAC-SHA256 of `user:password` under the database's key, truncated: what the store keeps of a
/// working credential.
pub(crate) fn cred_hash(key: &[u8], user: &str, password: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(user.as_bytes());
    mac.update(b":");
    mac.update(password.as_bytes());
    mac.finalize().into_bytes()[..CRED_HASH_LEN].to_vec()
}

pub(crate) fn join_ports(ports: &[u16]) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

pub(crate) fn split_ports(s: &str) -> Vec<u16> {
    s.split(',').filter_map(|p| p.parse().ok()).collect()
}

pub(crate) fn parse_state(s: &str) -> DeviceState {
    match s {
        "online" => DeviceState::Online,
        "offline" => DeviceState::Offline,
        _ => DeviceState::Unknown,
    }
}

pub(crate) fn device_state_str(s: DeviceState) -> &'static str {
    match s {
        DeviceState::Online => "online",
        DeviceState::Offline => "offline",
        DeviceState::Unknown => "unknown",
    }
}

pub(crate) fn stream_state_str(s: StreamState) -> &'static str {
    match s {
        StreamState::Up => "up",
        StreamState::Unverified => "unverified",
        StreamState::Refused => "refused",
        StreamState::Down => "down",
    }
}

/// A stored stream state; anything unknown (a newer camscan's) reads as `unverified`: answering,
/// not known to play.
pub(crate) fn parse_stream_state(s: &str) -> StreamState {
    match s {
        "up" => StreamState::Up,
        "refused" => StreamState::Refused,
        "down" => StreamState::Down,
        _ => StreamState::Unverified,
    }
}

/// The inventory's `status` column of a stream: how opening it went, `ok` for a stream that
/// answered whether or not it played (the report's `ok` and `unverified`). Whether media came
/// is the row's `state` (`up`, `unverified`) and `last_verified`, so the column keeps the words
/// (and the queries on them) of the rows written before report schema version 2.
pub(crate) fn status_column(s: StreamStatus) -> &'static str {
    match s {
        StreamStatus::Unverified => StreamStatus::Ok.as_str(),
        other => other.as_str(),
    }
}

/// A stream's status from the inventory's `status` column ([`status_column`]): `ok` as it is,
/// for the caller to settle by whether it played.
pub(crate) fn parse_status(s: &str) -> StreamStatus {
    serde_json::from_value(serde_json::Value::String(s.to_string())).unwrap_or(StreamStatus::Error)
}

pub(crate) fn parse_auth(s: &str) -> AuthScheme {
    serde_json::from_value(serde_json::Value::String(s.to_string())).unwrap_or_default()
}

/// `value` without its nulls (serde reads an absent `Option` field as `None`): smaller rows.
pub(crate) fn compact_json(mut value: serde_json::Value) -> String {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                map.retain(|_, x| !x.is_null());
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut value);
    value.to_string()
}

/// A PLAY check as one short line: `transport packets bytes fps kbps keyframe ms width height`.
pub(crate) fn measured_text(m: &Measured) -> String {
    let opt = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    format!(
        "{} {} {} {} {} {} {} {} {}",
        m.transport.replace(' ', "_"),
        m.packets,
        m.bytes,
        opt(m.fps.map(|f| f.to_string())),
        opt(m.bitrate_kbps.map(|f| f.to_string())),
        u8::from(m.keyframe),
        m.duration_ms,
        opt(m.width.map(|w| w.to_string())),
        opt(m.height.map(|h| h.to_string())),
    )
}

pub(crate) fn parse_measured(text: &str) -> Option<Measured> {
    let f: Vec<&str> = text.split(' ').collect();
    if f.len() != 9 {
        return None;
    }
    fn opt(s: &str) -> Option<&str> {
        (s != "-").then_some(s)
    }
    Some(Measured {
        transport: f[0].to_string(),
        packets: f[1].parse().ok()?,
        bytes: f[2].parse().ok()?,
        fps: opt(f[3]).and_then(|v| v.parse().ok()),
        bitrate_kbps: opt(f[4]).and_then(|v| v.parse().ok()),
        keyframe: f[5] == "1",
        duration_ms: f[6].parse().ok()?,
        width: opt(f[7]).and_then(|v| v.parse().ok()),
        height: opt(f[8]).and_then(|v| v.parse().ok()),
    })
}

/// A snapshot's `seen` text (store/record.rs writes it): the address, the open ports, and each
/// stream as (stream id, status, facts text id if it reads as one); an entry without the three is
/// left out (as `diff` leaves it out). `None` when the text has not its three parts.
#[derive(Debug, PartialEq)]
pub(crate) struct Seen<'a> {
    pub ip: &'a str,
    pub ports: &'a str,
    pub streams: Vec<(i64, &'a str, Option<i64>)>,
}

pub(crate) fn parse_seen(seen: &str) -> Option<Seen<'_>> {
    let mut parts = seen.splitn(3, '|');
    let (ip, ports, streams) = (parts.next()?, parts.next()?, parts.next()?);
    let streams = streams
        .split(';')
        .filter_map(|e| {
            let mut f = e.split(' ');
            let (id, status, facts) = (f.next()?, f.next()?, f.next()?);
            Some((id.parse().ok()?, status, facts.parse().ok()))
        })
        .collect();
    Some(Seen { ip, ports, streams })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What store/record.rs writes reads back; damaged text is left out, never a panic.
    #[test]
    fn a_snapshots_seen_text_reads_back() {
        assert_eq!(
            parse_seen("10.0.0.5|80,554|3 ok 17;4 unauthorized 18"),
            Some(Seen {
                ip: "10.0.0.5",
                ports: "80,554",
                streams: vec![(3, "ok", Some(17)), (4, "unauthorized", Some(18))],
            })
        );
        assert_eq!(
            parse_seen("fe80::1||"),
            Some(Seen {
                ip: "fe80::1",
                ports: "",
                streams: vec![],
            })
        );
        // A facts id that does not read is kept as none; an entry without its three parts, or
        // whose stream id does not read, is left out.
        assert_eq!(
            parse_seen("ip|1|x ok 1;3 ok;5 ok -;").unwrap().streams,
            [(5, "ok", None)]
        );
        assert_eq!(parse_seen("10.0.0.5|554"), None);
        for cut in 0.."1.2.3.4|80|3 ok 17;4 x 9".len() {
            let _ = parse_seen(&"1.2.3.4|80|3 ok 17;4 x 9"[..cut]);
        }
    }
}
