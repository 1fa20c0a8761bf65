//! `WWW-Authenticate` challenges (RFC 7235 §4.1, RFC 2617), parsed leniently.
//!
//! We only need the scheme and a few parameters (realm, algorithm). The scheme is the first token of a
//! challenge, never a substring search: a realm may well contain the word "digest" (Cameradar's rule).
//! One header may carry several challenges separated by commas; cameras also send one header per scheme.

/// One authentication challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Scheme token lowercased: `basic`, `digest`, ...
    pub scheme: String,
    pub realm: Option<String>,
    /// Digest `algorithm=` (MD5 when absent, per RFC 2617).
    pub algorithm: Option<String>,
}

/// Most challenges kept from one header value.
const MAX_CHALLENGES: usize = 8;

/// Parse one `WWW-Authenticate` header value into its challenges.
pub fn parse_challenges(value: &str) -> Vec<Challenge> {
    let mut out: Vec<Challenge> = Vec::new();
    let mut rest = value.trim();
    while !rest.is_empty() && out.len() < MAX_CHALLENGES {
        rest = rest.trim_start_matches([',', ' ', '\t']);
        // A token followed by whitespace or end, not by '=', starts a new challenge.
        let tok_end = rest.find([' ', '\t', ',', '=']).unwrap_or(rest.len());
        let (tok, after) = rest.split_at(tok_end);
        if tok.is_empty() {
            break;
        }
        if let Some(param) = after.strip_prefix('=') {
            // auth-param of the current challenge.
            let (val, next) = take_value(param);
            if let Some(ch) = out.last_mut() {
                match tok.to_ascii_lowercase().as_str() {
                    "realm" => ch.realm = Some(val),
                    "algorithm" => ch.algorithm = Some(val),
                    _ => {}
                }
            }
            rest = next;
        } else {
            out.push(Challenge {
                scheme: tok.to_ascii_lowercase(),
                realm: None,
                algorithm: None,
            });
            rest = after;
        }
    }
    out
}

/// Take a token or quoted string; return it and the remainder after the following comma (if any).
fn take_value(s: &str) -> (String, &str) {
    let s = s.trim_start();
    if let Some(inner) = s.strip_prefix('"') {
        let mut val = String::new();
        let mut chars = inner.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, n)) = chars.next() {
                        val.push(n);
                    }
                }
                '"' => return (val, &inner[i + 1..]),
                _ => val.push(c),
            }
        }
        (val, "") // unterminated quote: keep what we have
    } else {
        let end = s.find([',', ' ', '\t']).unwrap_or(s.len());
        (s[..end].to_string(), &s[end..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gstreamer_digest() {
        let c = parse_challenges(r#"Digest realm="GStreamer RTSP Server", nonce="abc123""#);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "digest");
        assert_eq!(c[0].realm.as_deref(), Some("GStreamer RTSP Server"));
    }

    #[test]
    fn hikvision_realm_fingerprint() {
        // Hikvision realms look like `IP Camera(C1234)`.
        let c = parse_challenges(
            r#"Digest realm="IP Camera(C1234)", nonce="4e5468694", stale="FALSE", algorithm=MD5"#,
        );
        assert_eq!(c[0].realm.as_deref(), Some("IP Camera(C1234)"));
        assert_eq!(c[0].algorithm.as_deref(), Some("MD5"));
    }

    #[test]
    fn realm_containing_digest_is_still_basic() {
        let c = parse_challenges(r#"Basic realm="digest cam""#);
        assert_eq!(c[0].scheme, "basic");
    }

    #[test]
    fn two_challenges_in_one_header() {
        let c = parse_challenges(r#"Digest realm="a", nonce="n", Basic realm="b""#);
        let schemes: Vec<_> = c.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(schemes, ["digest", "basic"]);
        assert_eq!(c[1].realm.as_deref(), Some("b"));
    }

    #[test]
    fn hostile_values() {
        assert!(parse_challenges("").is_empty());
        assert!(parse_challenges(",,, ,").is_empty());
        let c = parse_challenges(r#"Basic realm="unterminated"#);
        assert_eq!(c[0].realm.as_deref(), Some("unterminated"));
        let c = parse_challenges(r#"Basic realm="a\"b""#);
        assert_eq!(c[0].realm.as_deref(), Some("a\"b"));
        let _ = parse_challenges("=====");
        let _ = parse_challenges("realm=x");
    }
}
