//! HTTP/1.x bodies: `Transfer-Encoding: chunked` decoding, bounded.

/// Decode a chunked body; stops at the last chunk, at `max` bytes, or at the first malformed size
/// line (what was decoded so far is returned: cameras truncate).
pub fn dechunk(mut raw: &[u8], max: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < max {
        let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") else {
            break;
        };
        let size_text = String::from_utf8_lossy(&raw[..eol]);
        let size_hex = size_text.split(';').next().unwrap_or_default().trim();
        let Ok(size) = usize::from_str_radix(size_hex, 16) else {
            break;
        };
        if size == 0 {
            break;
        }
        raw = &raw[eol + 2..];
        let take = size.min(raw.len()).min(max - out.len());
        out.extend_from_slice(&raw[..take]);
        // `size` is the peer's number, up to usize::MAX: compare without adding to it.
        if raw.len() < 2 || raw.len() - 2 < size {
            break;
        }
        raw = &raw[size + 2..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks() {
        assert_eq!(
            dechunk(b"4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\n\r\n", 100),
            b"Wikipedia"
        );
        assert_eq!(dechunk(b"4\r\nWiki\r\nzz\r\n", 100), b"Wiki");
        assert_eq!(dechunk(b"ffffffff\r\nab", 100), b"ab");
        assert_eq!(dechunk(b"4\r\nWiki\r\n", 2), b"Wi");
        assert!(dechunk(b"", 10).is_empty());
    }

    /// Found by the `http_dechunk` fuzz target: a chunk size near usize::MAX overflowed `size + 2`
    /// (a panic with overflow checks, a wrong slice without). Here the size line is also wrapped in
    /// U+0085 (NEL), which `trim` removes.
    #[test]
    fn chunk_size_near_usize_max() {
        assert!(dechunk(b"\xc2\x85\xc2\x85ffffffffffffffff\xc2\x85\r\n", 0x2485).is_empty());
        assert_eq!(dechunk(b"ffffffffffffffff\r\nab", 100), b"ab");
        assert_eq!(dechunk(b"fffffffffffffffe\r\nab", 100), b"ab");
    }
}
