//! RTSP and HTTP/1.x response heads, parsed leniently.
//!
//! Cameras send LF-only line ends, missing reason phrases, `Server :` with a space, junk lines and
//! Latin-1 values; none of that should make us lose the answer. We accept any `RTSP/x.y` or `HTTP/x.y`
//! status line (RTSP/1.1 and RTSP/2.0 are seen in the wild, and Axis M1054 answers RTSP with `HTTP/1.0 501`,
//! per nmap's service probes) and tell the two apart for the detector.

use thiserror::Error;

/// Longest response head we keep reading for (Cameradar caps whole replies at 64 KiB).
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Most header lines we keep; the rest are dropped, not an error.
pub const MAX_HEADERS: usize = 64;

/// Which protocol the status line names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadProtocol {
    Rtsp,
    Http,
}

/// A parsed status line and headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    pub protocol: HeadProtocol,
    /// The version after the slash, e.g. `1.0`.
    pub version: String,
    pub status: u16,
    pub reason: String,
    /// Header names as sent (trimmed), values trimmed; order kept, duplicates kept.
    pub headers: Vec<(String, String)>,
}

impl ResponseHead {
    /// First value of a header, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header (e.g. several `WWW-Authenticate` challenges).
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `Content-Length`, if present and a number.
    pub fn content_length(&self) -> Option<usize> {
        self.header("content-length")
            .and_then(|v| v.trim().parse::<usize>().ok())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ResponseError {
    #[error("response head longer than {MAX_HEAD_BYTES} bytes")]
    TooLong,
    #[error("not an RTSP or HTTP status line: {0:?}")]
    NotAResponse(String),
    #[error("malformed status code in {0:?}")]
    BadStatus(String),
}

/// Where the head ends: the index just past the blank line, accepting `\r\n\r\n`, `\n\n` and `\n\r\n`.
pub fn find_head_end(buf: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < buf.len() {
        if buf[i] == b'\n' {
            match buf.get(i + 1) {
                Some(b'\n') => return Some(i + 2),
                Some(b'\r') if buf.get(i + 2) == Some(&b'\n') => return Some(i + 3),
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// Parse a response head from the start of `buf`.
///
/// Returns `Ok(None)` when more bytes are needed, `Ok(Some((head, len)))` with the head length (body
/// starts at `len`), or an error when the bytes cannot be a response (or the head is too long).
pub fn parse_head(buf: &[u8]) -> Result<Option<(ResponseHead, usize)>, ResponseError> {
    // Decide early if the first bytes cannot be a status line, so we do not wait for a blank line from a
    // peer that speaks something else.
    let probe_len = buf.len().min(5);
    let prefix = &buf[..probe_len];
    if !(b"RTSP/".starts_with(prefix) || b"HTTP/".starts_with(prefix)) {
        let line = first_line(buf);
        return Err(ResponseError::NotAResponse(line));
    }
    let Some(end) = find_head_end(buf) else {
        if buf.len() > MAX_HEAD_BYTES {
            return Err(ResponseError::TooLong);
        }
        return Ok(None);
    };
    if end > MAX_HEAD_BYTES {
        return Err(ResponseError::TooLong);
    }
    let text = String::from_utf8_lossy(&buf[..end]);
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let status_line = lines.next().unwrap_or_default();
    let (protocol, rest) = if let Some(rest) = status_line.strip_prefix("RTSP/") {
        (HeadProtocol::Rtsp, rest)
    } else if let Some(rest) = status_line.strip_prefix("HTTP/") {
        (HeadProtocol::Http, rest)
    } else {
        return Err(ResponseError::NotAResponse(truncate(status_line)));
    };
    let mut parts = rest.splitn(3, [' ', '\t']);
    let version = parts.next().unwrap_or_default().to_string();
    let code = parts.next().unwrap_or_default().trim();
    let status = code
        .parse::<u16>()
        .map_err(|_| ResponseError::BadStatus(truncate(status_line)))?;
    let reason = parts.next().unwrap_or_default().trim().to_string();
    let headers = parse_header_lines(lines);
    Ok(Some((
        ResponseHead {
            protocol,
            version: truncate(&version),
            status,
            reason: truncate(&reason),
            headers,
        },
        end,
    )))
}

/// Header lines (after the start line, line ends already stripped) up to the first empty line: names and
/// values trimmed, obs-fold continuations joined, junk lines skipped, at most [`MAX_HEADERS`] kept.
/// Shared with the SSDP `NOTIFY` request reader ([`super::ssdp::parse_notify`]).
pub fn parse_header_lines<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        // obs-fold: a continuation line extends the previous value.
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = headers.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue; // junk line: skip it, keep the rest
        };
        if headers.len() < MAX_HEADERS {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    headers
}

fn first_line(buf: &[u8]) -> String {
    let cut = buf.iter().position(|&b| b == b'\n').unwrap_or(buf.len());
    truncate(&String::from_utf8_lossy(&buf[..cut.min(80)]))
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gstreamer_options_reply() {
        let raw = b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE, ANNOUNCE, GET_PARAMETER, PAUSE, PLAY, RECORD, SETUP, SET_PARAMETER, TEARDOWN\r\nServer: GStreamer RTSP server\r\nDate: Sun, 22 Nov 2026 05:00:00 GMT\r\n\r\n";
        let (head, len) = parse_head(raw).unwrap().unwrap();
        assert_eq!(len, raw.len());
        assert_eq!(head.protocol, HeadProtocol::Rtsp);
        assert_eq!(head.status, 200);
        assert_eq!(head.header("server"), Some("GStreamer RTSP server"));
        assert!(head.header("PUBLIC").unwrap().contains("DESCRIBE"));
    }

    #[test]
    fn lf_only_no_reason_space_before_colon() {
        let raw = b"RTSP/1.0 401\nCSeq: 2\nServer : Hipcam RealServer/V1.0\nWWW-Authenticate: Basic realm=\"x\"\n\nbody";
        let (head, len) = parse_head(raw).unwrap().unwrap();
        assert_eq!(&raw[len..], b"body");
        assert_eq!(head.status, 401);
        assert_eq!(head.reason, "");
        assert_eq!(head.header("server"), Some("Hipcam RealServer/V1.0"));
    }

    #[test]
    fn axis_answers_rtsp_with_http_status_line() {
        // Axis M1054 answers an RTSP request on its HTTP port with an HTTP status line (nmap probes).
        let raw = b"HTTP/1.0 501 Not Implemented\r\n\r\n";
        let (head, _) = parse_head(raw).unwrap().unwrap();
        assert_eq!(head.protocol, HeadProtocol::Http);
        assert_eq!(head.status, 501);
    }

    #[test]
    fn incomplete_then_complete() {
        let raw = b"RTSP/1.0 200 OK\r\nCSeq: 1\r\n";
        assert_eq!(parse_head(raw).unwrap(), None);
        assert_eq!(parse_head(b"RT").unwrap(), None);
    }

    #[test]
    fn other_protocols_are_rejected_at_once() {
        assert!(matches!(
            parse_head(b"SSH-2.0-OpenSSH_9.2\r\n"),
            Err(ResponseError::NotAResponse(_))
        ));
        assert!(matches!(
            parse_head(b"\x03\x00\x00\x00"),
            Err(ResponseError::NotAResponse(_))
        ));
    }

    #[test]
    fn endless_headers_are_bounded() {
        let mut raw = b"RTSP/1.0 200 OK\r\n".to_vec();
        while raw.len() <= MAX_HEAD_BYTES {
            raw.extend_from_slice(b"X-Junk: aaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        }
        assert_eq!(parse_head(&raw), Err(ResponseError::TooLong));
    }

    #[test]
    fn latin1_and_folded_values_survive() {
        let raw = b"RTSP/1.0 200 OK\r\nServer: Cam\xe9ra\r\nX-Long: a\r\n b\r\n\r\n";
        let (head, _) = parse_head(raw).unwrap().unwrap();
        assert_eq!(head.header("server"), Some("Cam\u{fffd}ra"));
        assert_eq!(head.header("x-long"), Some("a b"));
    }

    #[test]
    fn bad_status_code() {
        assert!(matches!(
            parse_head(b"RTSP/1.0 OK\r\n\r\n"),
            Err(ResponseError::BadStatus(_))
        ));
    }

    #[test]
    fn never_panics_on_any_prefix() {
        let raw = b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: 5\r\n\r\nhello";
        for i in 0..raw.len() {
            let _ = parse_head(&raw[..i]);
        }
    }
}
