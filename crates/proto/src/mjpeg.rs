//! MJPEG over HTTP: the `multipart/x-mixed-replace` boundary, an incremental splitter of the stream
//! into parts, and the size of a JPEG from its SOF header.
//!
//! Cameras serve MJPEG as one endless `multipart/x-mixed-replace` body (`docs/design/protocols.md`,
//! "HTTP stream types"), and few follow RFC 2046 §5.1.1 to the letter. Seen in the wild and
//! tolerated here:
//! - the boundary parameter quoted or not, and with the delimiter's `--` already in it
//!   (`boundary=--myboundary`), so the body then shows `----myboundary` or just `--myboundary`;
//! - delimiter lines with no `--` at all, `\n` instead of `\r\n`, and no line break between the end
//!   of the JPEG and the next `--boundary`;
//! - parts with no `Content-Length` (the next delimiter ends the part), with a `Content-Length` that
//!   is too long (a delimiter inside the claimed length ends the part early) or too short (bytes
//!   between the claimed end and the next delimiter are skipped), and parts with no headers at all;
//! - junk before the JPEG's SOI (go2rtc#747, "MJPEG with trash on start").
//!
//! Everything is bounded: a part may hold at most [`MAX_PART`] bytes (or the limit given to
//! [`PartSplitter::with_max_part`]), a header block [`MAX_PART_HEADERS`] bytes. Exceeding a limit is
//! reported once as an error, after which the splitter skips to the next delimiter, so a caller may
//! keep going or give up.

use std::ops::Range;

/// Largest part kept by default: 8 MiB holds a 4K JPEG at top quality with room to spare.
pub const MAX_PART: usize = 8 * 1024 * 1024;
/// Largest header block of one part (cameras send 2-5 short headers).
pub const MAX_PART_HEADERS: usize = 16 * 1024;
/// Most headers kept per part.
pub const MAX_HEADERS: usize = 32;
/// Longest boundary accepted; RFC 2046 allows 70 characters, some firmware uses more.
pub const MAX_BOUNDARY: usize = 200;
/// Whitespace tolerated after a delimiter before its line end (RFC 2046 "transport padding").
const MAX_PADDING: usize = 16;
/// How far into a body we look for a JPEG SOI preceded by junk (go2rtc#747 searches 4 KiB).
const SOI_SEARCH: usize = 4096;

/// The boundary of a `multipart/*` content type, without leading dashes (so `--myboundary` and
/// `myboundary` give the same answer). `None` when the type is not multipart, or has no usable
/// boundary.
pub fn boundary(content_type: &str) -> Option<String> {
    let (media, params) = content_type.split_once(';')?;
    if !media.trim().to_ascii_lowercase().starts_with("multipart/") {
        return None;
    }
    // Find `boundary=` case-insensitively; ASCII lower-casing keeps byte offsets.
    let at = params.to_ascii_lowercase().find("boundary")?;
    let rest = params[at + "boundary".len()..].trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let value = match rest.strip_prefix('"') {
        Some(q) => q.split('"').next().unwrap_or_default(),
        None => rest.split([';', ',', ' ', '\t']).next().unwrap_or_default(),
    };
    normalize(value.trim())
}

/// The boundary a body announces on its first non-blank line (`--boundary`), for cameras that leave
/// it out of the `Content-Type`.
pub fn boundary_from_body(first_bytes: &[u8]) -> Option<String> {
    let start = first_bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    let line = &first_bytes[start..];
    let end = line
        .iter()
        .take(MAX_BOUNDARY + 2 + MAX_PADDING)
        .position(|&b| b == b'\n')?;
    let line = std::str::from_utf8(&line[..end]).ok()?.trim_end();
    let line = line.strip_prefix("--")?;
    normalize(line)
}

fn normalize(b: &str) -> Option<String> {
    let b = b.trim_start_matches('-');
    (!b.is_empty() && b.len() <= MAX_BOUNDARY && b.is_ascii() && !b.contains(['\r', '\n']))
        .then(|| b.to_string())
}

/// Most bytes a multipart stream may send before its boundary is known (from its `Content-Type`
/// or its first delimiter line).
pub const MAX_BOUNDARY_SEARCH: usize = 64 * 1024;

/// A multipart stream as it arrives: its boundary from the `Content-Type`, else from the body's
/// first delimiter line, then its parts ([`PartSplitter`]). What MJPEG watching and the
/// handover report's first frame both read.
#[derive(Debug, Clone)]
pub struct Parts {
    /// The body so far, while its boundary is not known.
    pending: Vec<u8>,
    splitter: Option<PartSplitter>,
}

impl Parts {
    pub fn new(content_type: &str) -> Self {
        Parts {
            pending: Vec::new(),
            splitter: boundary(content_type).map(|b| PartSplitter::new(&b)),
        }
    }

    /// Bytes that arrived; [`MjpegError::NoBoundary`] once [`MAX_BOUNDARY_SEARCH`] bytes came and
    /// none named a boundary.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), MjpegError> {
        if let Some(sp) = self.splitter.as_mut() {
            sp.feed(bytes);
            return Ok(());
        }
        self.pending.extend_from_slice(bytes);
        if let Some(b) = boundary_from_body(&self.pending) {
            let mut sp = PartSplitter::new(&b);
            sp.feed(&std::mem::take(&mut self.pending));
            self.splitter = Some(sp);
        } else if self.pending.len() > MAX_BOUNDARY_SEARCH {
            return Err(MjpegError::NoBoundary {
                skipped: self.pending.len(),
            });
        }
        Ok(())
    }

    /// The next complete part ([`PartSplitter::next_part`]); `Ok(None)` while the boundary is
    /// not known.
    pub fn next_part(&mut self) -> Result<Option<Part>, MjpegError> {
        match self.splitter.as_mut() {
            Some(sp) => sp.next_part(),
            None => Ok(None),
        }
    }
}

/// One part of the stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Part {
    /// Header names and values as sent (trimmed), at most [`MAX_HEADERS`].
    pub headers: Vec<(String, String)>,
    /// The part's content: normally one JPEG.
    pub body: Vec<u8>,
}

impl Part {
    /// First value of a header, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }

    /// `Content-Length` as sent (the body may differ when the camera got it wrong).
    pub fn content_length(&self) -> Option<usize> {
        self.header("content-length")?.trim().parse().ok()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MjpegError {
    #[error("multipart part larger than {limit} bytes; skipping to the next boundary")]
    PartTooLarge { limit: usize },
    #[error(
        "multipart part headers longer than {MAX_PART_HEADERS} bytes; skipping to the next boundary"
    )]
    HeadersTooLarge,
    #[error("no multipart boundary in {skipped} bytes")]
    NoBoundary { skipped: usize },
}

type Headers = Vec<(String, String)>;

#[derive(Debug, Clone)]
enum State {
    /// Looking for a delimiter; bytes before it are skipped (preamble, junk, an oversized part).
    Seek { skipped: usize },
    /// Right after a delimiter line: reading the part's headers.
    Headers,
    /// Reading the body.
    Body {
        headers: Headers,
        content_length: Option<usize>,
    },
    /// The closing delimiter `--boundary--` was seen.
    Done,
}

/// Splits a multipart byte stream into parts. Feed it bytes as they arrive, then call
/// [`next_part`](Self::next_part) until it returns `Ok(None)`.
#[derive(Debug, Clone)]
pub struct PartSplitter {
    boundary: Vec<u8>,
    max_part: usize,
    buf: Vec<u8>,
    /// Bytes of `buf` already consumed.
    start: usize,
    /// Where the next delimiter search starts in the unconsumed data (earlier bytes were searched).
    scan: usize,
    state: State,
}

impl PartSplitter {
    /// A splitter for `boundary` (with or without leading dashes), parts capped at [`MAX_PART`].
    pub fn new(boundary: &str) -> Self {
        Self::with_max_part(boundary, MAX_PART)
    }

    pub fn with_max_part(boundary: &str, max_part: usize) -> Self {
        let b = boundary.trim().trim_start_matches('-');
        let b = if b.is_empty() { boundary.trim() } else { b };
        PartSplitter {
            boundary: b.as_bytes()[..b.len().min(MAX_BOUNDARY)].to_vec(),
            max_part,
            buf: Vec::new(),
            start: 0,
            scan: 0,
            state: State::Seek { skipped: 0 },
        }
    }

    /// Append bytes from the stream.
    pub fn feed(&mut self, bytes: &[u8]) {
        if !matches!(self.state, State::Done) {
            // Drop what was consumed before growing, so the buffer holds at most one partial part.
            self.buf.drain(..self.start);
            self.start = 0;
            self.buf.extend_from_slice(bytes);
        }
    }

    /// The closing delimiter has been seen; nothing more will come out.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// The next complete part, `Ok(None)` when more bytes are needed, or an error when a limit was
    /// exceeded (the splitter then skips to the next delimiter; calling again continues).
    pub fn next_part(&mut self) -> Result<Option<Part>, MjpegError> {
        loop {
            match std::mem::replace(&mut self.state, State::Done) {
                State::Done => return Ok(None),
                State::Seek { skipped } => match self.find_delimiter() {
                    Some(Found::Complete { line, closing, .. }) => {
                        self.consume(line.end);
                        self.state = if closing { State::Done } else { State::Headers };
                    }
                    found => {
                        // Keep only a tail that may hold the start of a delimiter.
                        let keep_from = match found {
                            Some(Found::Partial { at }) => at,
                            _ => self.data().len().saturating_sub(self.tail_len()),
                        };
                        let skipped = skipped + keep_from;
                        self.consume(keep_from);
                        if skipped > self.max_part {
                            self.state = State::Seek { skipped: 0 };
                            return Err(MjpegError::NoBoundary { skipped });
                        }
                        self.state = State::Seek { skipped };
                        return Ok(None);
                    }
                },
                State::Headers => match self.read_headers() {
                    Ok(Some((headers, consumed))) => {
                        self.consume(consumed);
                        let content_length = headers
                            .iter()
                            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                            .and_then(|(_, v)| v.trim().parse::<usize>().ok());
                        if content_length.is_some_and(|n| n > self.max_part) {
                            self.state = State::Seek { skipped: 0 };
                            return Err(MjpegError::PartTooLarge {
                                limit: self.max_part,
                            });
                        }
                        self.state = State::Body {
                            headers,
                            content_length,
                        };
                    }
                    Ok(None) => {
                        self.state = State::Headers;
                        return Ok(None);
                    }
                    Err(e) => {
                        self.state = State::Seek { skipped: 0 };
                        return Err(e);
                    }
                },
                State::Body {
                    headers,
                    content_length,
                } => {
                    let found = self.find_delimiter();
                    // A delimiter ends the part, even inside a Content-Length that is too long.
                    if let Some(Found::Complete {
                        body_end,
                        line,
                        closing,
                    }) = found
                        && content_length.is_none_or(|n| body_end < n)
                    {
                        let body =
                            (body_end <= self.max_part).then(|| self.data()[..body_end].to_vec());
                        self.consume(line.end);
                        self.state = if closing { State::Done } else { State::Headers };
                        return match body {
                            Some(body) => Ok(Some(Part { headers, body })),
                            // The whole oversized part arrived at once: drop it, keep the next one.
                            None => Err(MjpegError::PartTooLarge {
                                limit: self.max_part,
                            }),
                        };
                    }
                    if let Some(n) = content_length
                        && self.data().len() >= n
                    {
                        let body = self.data()[..n].to_vec();
                        self.consume(n);
                        self.state = State::Seek { skipped: 0 };
                        return Ok(Some(Part { headers, body }));
                    }
                    if self.data().len() > self.max_part {
                        let keep_from = self.data().len().saturating_sub(self.tail_len());
                        self.consume(keep_from);
                        self.state = State::Seek { skipped: 0 };
                        return Err(MjpegError::PartTooLarge {
                            limit: self.max_part,
                        });
                    }
                    self.state = State::Body {
                        headers,
                        content_length,
                    };
                    return Ok(None);
                }
            }
        }
    }

    /// The bytes not consumed yet.
    fn data(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Mark `n` bytes at the front of the data consumed (they are dropped at the next feed).
    fn consume(&mut self, n: usize) {
        let n = n.min(self.data().len());
        self.start += n;
        self.scan = self.scan.saturating_sub(n);
    }

    /// Bytes at the end of the buffer that might be the start of a delimiter line.
    fn tail_len(&self) -> usize {
        self.boundary.len() + 4 + MAX_PADDING + 2
    }

    /// Parse the header block at the start of the buffer. `Ok(None)` until it is complete.
    fn read_headers(&self) -> Result<Option<(Headers, usize)>, MjpegError> {
        let buf = self.data();
        // No headers: straight into the JPEG, or a blank line right away.
        if buf.starts_with(&[0xFF, 0xD8]) {
            return Ok(Some((Vec::new(), 0)));
        }
        if buf.starts_with(b"\r\n") {
            return Ok(Some((Vec::new(), 2)));
        }
        if buf.starts_with(b"\n") {
            return Ok(Some((Vec::new(), 1)));
        }
        let Some(end) = super::response::find_head_end(&buf[..buf.len().min(MAX_PART_HEADERS)])
        else {
            if buf.len() >= MAX_PART_HEADERS {
                return Err(MjpegError::HeadersTooLarge);
            }
            // A short partial buffer with no blank line yet: wait (unless a JPEG already began,
            // i.e. headers with no blank line at all; then stop the headers at the SOI).
            if let Some(soi) = find(buf, &[b'\n', 0xFF, 0xD8]) {
                return Ok(Some((parse_header_lines(&buf[..soi]), soi + 1)));
            }
            return Ok(None);
        };
        Ok(Some((parse_header_lines(&buf[..end]), end)))
    }

    /// Look for a delimiter at or after `self.scan`. Updates `scan` so bytes are not searched twice.
    fn find_delimiter(&mut self) -> Option<Found> {
        let b = &self.boundary;
        let buf = &self.buf[self.start..];
        let mut from = self.scan;
        while let Some(rel) = find(&buf[from.min(buf.len())..], b) {
            let i = from + rel;
            from = i + 1;
            // Dashes before the boundary, and whether they start a line.
            let mut j = i;
            while j > 0 && buf[j - 1] == b'-' {
                j -= 1;
            }
            let dashes = i - j;
            let line_start = j == 0 || buf[j - 1] == b'\n';
            if dashes < 2 && !line_start {
                continue;
            }
            // After it: optional `--` (closing), optional padding, then the line end.
            let mut k = i + b.len();
            let closing = buf[k.min(buf.len())..].starts_with(b"--");
            if closing {
                k += 2;
            }
            let pad_start = k;
            while k < buf.len() && k - pad_start <= MAX_PADDING && matches!(buf[k], b' ' | b'\t') {
                k += 1;
            }
            let line_end = match buf.get(k) {
                None => {
                    // Cannot tell yet; look here again when more bytes arrive.
                    self.scan = j;
                    return Some(Found::Partial { at: j });
                }
                Some(b'\n') => k + 1,
                Some(b'\r') => match buf.get(k + 1) {
                    None => {
                        self.scan = j;
                        return Some(Found::Partial { at: j });
                    }
                    Some(b'\n') => k + 2,
                    Some(_) => continue,
                },
                // The closing delimiter may be the last bytes of a finished stream without a line end.
                Some(_) => continue,
            };
            // The line break before the delimiter belongs to it (RFC 2046 §5.1.1).
            let mut body_end = j;
            if body_end > 0 && buf[body_end - 1] == b'\n' {
                body_end -= 1;
                if body_end > 0 && buf[body_end - 1] == b'\r' {
                    body_end -= 1;
                }
            }
            self.scan = 0;
            return Some(Found::Complete {
                body_end,
                line: j..line_end,
                closing,
            });
        }
        self.scan = buf.len().saturating_sub(self.tail_len());
        None
    }
}

enum Found {
    /// A whole delimiter line; the part before it ends at `body_end`.
    Complete {
        body_end: usize,
        line: Range<usize>,
        closing: bool,
    },
    /// The boundary was seen at `at` but its line has not ended yet.
    Partial { at: usize },
}

fn parse_header_lines(block: &[u8]) -> Headers {
    String::from_utf8_lossy(block)
        .split('\n')
        .filter_map(|l| {
            let (n, v) = l.split_once(':')?;
            let n = n.trim();
            (!n.is_empty()).then(|| {
                (
                    n.chars().take(64).collect(),
                    v.trim().chars().take(256).collect(),
                )
            })
        })
        .take(MAX_HEADERS)
        .collect()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// (width, height) of a JPEG, from its first SOFn segment (ITU-T T.81 §B.2.2: SOF0 baseline, SOF1
/// extended, SOF2 progressive, and the rarer lossless/arithmetic ones share the layout). Junk before
/// the SOI is skipped if the SOI is within the first 4 KiB. `None` for anything else, including a
/// height of 0 (size given later by a DNL segment).
pub fn jpeg_dimensions(bytes: &[u8]) -> Option<(u16, u16)> {
    let soi = bytes
        .windows(3)
        .take(SOI_SEARCH)
        .position(|w| w == [0xFF, 0xD8, 0xFF])?;
    let mut i = soi + 2;
    loop {
        if *bytes.get(i)? != 0xFF {
            return None;
        }
        // Any number of 0xFF fill bytes may precede a marker (T.81 §B.1.1.2).
        while bytes.get(i) == Some(&0xFF) {
            i += 1;
        }
        let marker = *bytes.get(i)?;
        i += 1;
        match marker {
            // Markers without a length: TEM, RSTn, SOI.
            0x01 | 0xD0..=0xD8 => continue,
            // Scan data or the end before any frame header.
            0xD9 | 0xDA | 0x00 => return None,
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([*bytes.get(i)?, *bytes.get(i + 1)?]));
        if len < 2 {
            return None;
        }
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            // Length, precision (1), height (2), width (2), components...
            let seg = bytes.get(i + 2..i + len)?;
            let h = u16::from_be_bytes([*seg.get(1)?, *seg.get(2)?]);
            let w = u16::from_be_bytes([*seg.get(3)?, *seg.get(4)?]);
            return (w > 0 && h > 0).then_some((w, h));
        }
        i += len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The boundary from the `Content-Type`, or from the first delimiter of a body that arrives
    /// in pieces; a body that names none within [`MAX_BOUNDARY_SEARCH`] is refused.
    #[test]
    fn parts_find_their_boundary_in_the_header_or_the_body() {
        let body =
            b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: 3\r\n\r\nabc\r\n--frame\r\n";
        let mut header = Parts::new("multipart/x-mixed-replace; boundary=frame");
        header.feed(body).unwrap();
        assert_eq!(header.next_part().unwrap().unwrap().body, b"abc");
        let mut late = Parts::new("multipart/x-mixed-replace");
        late.feed(&body[..4]).unwrap();
        assert_eq!(late.next_part(), Ok(None), "no boundary yet");
        late.feed(&body[4..]).unwrap();
        assert_eq!(late.next_part().unwrap().unwrap().body, b"abc");
        let mut none = Parts::new("image/jpeg");
        assert!(none.feed(&[b'x'; MAX_BOUNDARY_SEARCH]).is_ok());
        assert!(matches!(
            none.feed(b"x"),
            Err(MjpegError::NoBoundary { .. })
        ));
    }

    fn fixture(name: &str) -> Vec<u8> {
        crate::test_fixture(&format!("mjpeg/{name}"))
    }

    fn split_all(s: &mut PartSplitter, bytes: &[u8], step: usize) -> Vec<Part> {
        let mut parts = Vec::new();
        for chunk in bytes.chunks(step.max(1)) {
            s.feed(chunk);
            while let Some(p) = s.next_part().unwrap() {
                parts.push(p);
            }
        }
        parts
    }

    #[test]
    fn boundary_parameter_forms() {
        for (ct, want) in [
            ("multipart/x-mixed-replace; boundary=ffmpeg", Some("ffmpeg")),
            (
                "multipart/x-mixed-replace;boundary=--myboundary",
                Some("myboundary"),
            ),
            (
                "Multipart/X-Mixed-Replace; BOUNDARY=\"a;b c\"",
                Some("a;b c"),
            ),
            (
                "multipart/x-mixed-replace; charset=x; boundary = frame ; q=1",
                Some("frame"),
            ),
            ("multipart/x-mixed-replace", None),
            ("multipart/x-mixed-replace; boundary=", None),
            ("multipart/x-mixed-replace; boundary=\"--\"", None),
            ("image/jpeg; boundary=x", None),
            ("", None),
        ] {
            assert_eq!(boundary(ct).as_deref(), want, "{ct}");
        }
        let long = format!(
            "multipart/x-mixed-replace; boundary={}",
            "b".repeat(MAX_BOUNDARY + 1)
        );
        assert_eq!(boundary(&long), None);
        assert_eq!(
            boundary_from_body(b"\r\n--ffmpeg\r\nContent-type: image/jpeg").as_deref(),
            Some("ffmpeg")
        );
        assert_eq!(
            boundary_from_body(b"----BoundaryString  \n").as_deref(),
            Some("BoundaryString")
        );
        assert_eq!(boundary_from_body(b"\xff\xd8\xff"), None);
        assert_eq!(boundary_from_body(b"--no-line-end-yet"), None);
    }

    /// ffmpeg's `mpjpeg` muxer (tests/fixtures/mjpeg/README.md): three parts with Content-length.
    #[test]
    fn ffmpeg_mpjpeg_stream() {
        let stream = fixture("stream.mjpeg");
        for step in [1, 7, 100, 4096, usize::MAX] {
            let mut s = PartSplitter::new("ffmpeg");
            let parts = split_all(&mut s, &stream, step);
            assert_eq!(parts.len(), 3, "step {step}");
            for p in &parts {
                assert_eq!(p.content_type(), Some("image/jpeg"));
                assert_eq!(Some(p.body.len()), p.content_length());
                assert!(p.body.starts_with(&[0xFF, 0xD8]) && p.body.ends_with(&[0xFF, 0xD9]));
                assert_eq!(jpeg_dimensions(&p.body), Some((96, 64)));
            }
            assert_eq!(parts[0].body.len(), 1324);
            assert!(!s.is_done(), "ffmpeg writes no closing delimiter");
        }
    }

    #[test]
    fn ffmpeg_jpeg_frame() {
        let jpeg = fixture("frame_160x120.jpg");
        assert_eq!(jpeg_dimensions(&jpeg), Some((160, 120)));
        // Trash before the SOI (go2rtc#747).
        let mut trashed = b"\r\n\r\nHTTP junk".to_vec();
        trashed.extend_from_slice(&jpeg);
        assert_eq!(jpeg_dimensions(&trashed), Some((160, 120)));
        // Every truncation is handled; the SOF0 of this file sits after the quantisation tables.
        for n in 0..jpeg.len() {
            let _ = jpeg_dimensions(&jpeg[..n]);
        }
        assert_eq!(jpeg_dimensions(&jpeg[..20]), None);
    }

    #[test]
    fn progressive_and_hostile_jpegs() {
        // SOI, APP0 (short), fill bytes, SOF2 1920x1080.
        let sof2 = [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x4A, 0x46, 0xFF, 0xFF, 0xC2, 0x00, 0x11, 0x08,
            0x04, 0x38, 0x07, 0x80, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01,
        ];
        assert_eq!(jpeg_dimensions(&sof2), Some((1920, 1080)));
        // DHT (0xC4) is not a frame header.
        let dht_then_sof1 = [
            0xFF, 0xD8, 0xFF, 0xC4, 0x00, 0x07, 0, 0, 0, 0, 0, 0xFF, 0xC1, 0x00, 0x08, 0x08, 0x00,
            0x10, 0x00, 0x20, 0x01,
        ];
        assert_eq!(jpeg_dimensions(&dht_then_sof1), Some((32, 16)));
        for bad in [
            &b""[..],
            &[0xFF, 0xD8],
            &[0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02],
            &[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01],
            &[0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xFF],
            &[
                0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00, 0x00, 0x07, 0x80,
            ],
            &[0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x05, 0x08, 0x04, 0x38],
            &[0xFF, 0xD8, 0xFF, 0xD9],
            &[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0x12],
        ] {
            assert_eq!(jpeg_dimensions(bad), None, "{bad:x?}");
        }
        // Many tiny segments: linear, bounded by the input.
        let mut many = vec![0xFF, 0xD8];
        for _ in 0..100_000 {
            many.extend_from_slice(&[0xFF, 0xFE, 0x00, 0x02]);
        }
        assert_eq!(jpeg_dimensions(&many), None);
    }

    #[test]
    fn camera_quirks_lf_no_dashes_no_length_closing() {
        let jpeg = fixture("frame_160x120.jpg");
        // LF-only, boundary with no leading dashes on one delimiter, no Content-Length, no headers on
        // one part, no line break before a delimiter, then a closing delimiter and an epilogue.
        let mut body = b"preamble junk\n--myboundary\nContent-Type: image/jpeg\n\n".to_vec();
        body.extend_from_slice(&jpeg);
        body.extend_from_slice(b"\nmyboundary\n\n");
        body.extend_from_slice(&jpeg);
        body.extend_from_slice(b"--myboundary\r\ncontent-type: image/jpeg\r\n\r\n");
        body.extend_from_slice(&jpeg);
        body.extend_from_slice(b"\r\n--myboundary--\r\nepilogue --myboundary\r\n\r\nxx");
        for step in [1, 3, 64, usize::MAX] {
            // The header gave the boundary with its dashes.
            let mut s = PartSplitter::new("--myboundary");
            let parts = split_all(&mut s, &body, step);
            assert_eq!(parts.len(), 3, "step {step}");
            for p in &parts {
                assert_eq!(p.body, jpeg, "step {step}");
            }
            assert!(parts[1].headers.is_empty());
            assert_eq!(parts[2].content_type(), Some("image/jpeg"));
            assert!(s.is_done());
        }
    }

    #[test]
    fn wrong_content_lengths() {
        let jpeg = fixture("frame_160x120.jpg");
        let n = jpeg.len();
        // Too long: the delimiter inside the claimed length wins. Too short: the rest is skipped.
        let mut body = format!("--b\r\nContent-Length: {}\r\n\r\n", n + 500).into_bytes();
        body.extend_from_slice(&jpeg);
        body.extend_from_slice(format!("\r\n--b\r\nContent-Length: {}\r\n\r\n", n - 10).as_bytes());
        body.extend_from_slice(&jpeg);
        body.extend_from_slice(b"\r\n--b\r\nContent-Length: 3\r\n\r\nabc\r\n--b\r\n");
        let mut s = PartSplitter::new("b");
        let parts = split_all(&mut s, &body, 5);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].body, jpeg);
        assert_eq!(parts[1].body, &jpeg[..n - 10]);
        assert_eq!(parts[2].body, b"abc");
    }

    #[test]
    fn limits_are_reported_then_skipped() {
        // A part with no end, bigger than the cap: one error, then the next part is found.
        let mut s = PartSplitter::with_max_part("b", 1000);
        s.feed(b"--b\r\n\r\n");
        s.feed(&[0x55; 5000]);
        assert_eq!(s.next_part(), Err(MjpegError::PartTooLarge { limit: 1000 }));
        s.feed(b"\r\n--b\r\n\r\nsmall\r\n--b\r\n");
        let p = s.next_part().unwrap().unwrap();
        assert_eq!(p.body, b"small");
        // An oversized part that arrives whole, in one feed.
        let mut s = PartSplitter::with_max_part("b", 1000);
        s.feed(b"--b\r\n\r\n");
        s.feed(&[0x55; 3000]);
        s.feed(b"\r\n--b\r\n\r\nnext\r\n--b--\r\n");
        assert_eq!(s.next_part(), Err(MjpegError::PartTooLarge { limit: 1000 }));
        assert_eq!(s.next_part().unwrap().unwrap().body, b"next");
        assert!(s.is_done());
        // A Content-Length over the cap is refused at once.
        let mut s = PartSplitter::with_max_part("b", 1000);
        s.feed(b"--b\r\nContent-Length: 999999999999\r\n\r\n");
        assert_eq!(s.next_part(), Err(MjpegError::PartTooLarge { limit: 1000 }));
        assert_eq!(s.next_part(), Ok(None));
        // Endless header lines.
        let mut s = PartSplitter::new("b");
        s.feed(b"--b\r\n");
        s.feed(&b"X-Junk: aaaaaaaaaaaaaaaa\r\n".repeat(2000));
        assert_eq!(s.next_part(), Err(MjpegError::HeadersTooLarge));
        // No boundary at all: reported once the skipped bytes exceed the cap; memory stays small.
        let mut s = PartSplitter::with_max_part("b", 1000);
        let mut errors = 0;
        for _ in 0..100 {
            s.feed(&[b'-'; 100]);
            s.feed(&[b'x'; 100]);
            if s.next_part().is_err() {
                errors += 1;
            }
        }
        assert!(errors >= 10);
        assert!(s.data().len() < 1000);
        // A boundary inside a word is not a delimiter.
        let mut s = PartSplitter::new("frame");
        let parts = split_all(
            &mut s,
            b"--frame\r\n\r\nkeyframes--frameX\r\n--frame\r\n",
            1,
        );
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].body, b"keyframes--frameX");
    }

    #[test]
    fn corrupted_streams_never_panic() {
        let stream = fixture("stream.mjpeg");
        let mut seed = 0x2545_F491u32;
        for round in 0..300 {
            let mut bytes = stream.clone();
            for _ in 0..20 {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                let at = seed as usize % bytes.len();
                bytes[at] =
                    [b'-', b'\r', b'\n', b'f', 0xFF, 0xD8, b':', b'9'][(seed >> 24) as usize % 8];
            }
            let mut s = PartSplitter::with_max_part("ffmpeg", 2000);
            for chunk in bytes.chunks(1 + round % 97) {
                s.feed(chunk);
                while let Ok(Some(p)) = s.next_part() {
                    assert!(p.body.len() <= 2000);
                    let _ = jpeg_dimensions(&p.body);
                }
            }
        }
    }
}
