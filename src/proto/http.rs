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
        if raw.len() < size + 2 {
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
}
