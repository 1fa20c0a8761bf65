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
        rest = rest.trim_start_matches([',', ' ', '\t', '\r', '\n']);
        // A token followed by whitespace or end, not by '=', starts a new challenge. (Line
        // breaks count as whitespace: a folded header, RFC 7230 §3.2.4, as RFCs print them.)
        let tok_end = rest
            .find([' ', '\t', '\r', '\n', ',', '='])
            .unwrap_or(rest.len());
        let (tok, after) = rest.split_at(tok_end);
        if tok.is_empty() {
            break;
        }
        // `name = value`: optional whitespace around the `=` (RFC 7235 §2.1, BWS).
        if let Some(param) = after.trim_start_matches([' ', '\t']).strip_prefix('=') {
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

/// Longest scheme name kept from a device's challenge (a longer one is cut).
const MAX_SCHEME_NAME: usize = 40;

/// The login scheme one challenge offers, as the capability sheet names it
/// ([`model::capabilities::LoginSchemes`]): Digest by its algorithm (RFC 7616 §3.3: no
/// `algorithm=` means MD5; the registered values are `MD5`, `SHA-256`, `SHA-512-256` and their
/// `-sess` variants, §6.1), so `digest-md5`, `digest-sha-256`, `digest-sha-512-256-sess`...; any
/// other scheme by its name lowercased (`basic`, `bearer`, `negotiate`). Only `[a-z0-9._-]`
/// are kept from what the device sent.
pub fn login_scheme(c: &Challenge) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| c.to_ascii_lowercase())
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
            .take(MAX_SCHEME_NAME)
            .collect()
    };
    if c.scheme != "digest" {
        return clean(&c.scheme);
    }
    match c.algorithm.as_deref().map(str::trim) {
        None | Some("") => "digest-md5".into(),
        Some(a) => clean(&format!("digest-{a}")),
    }
}

/// The registered spelling of a Digest `algorithm` value (RFC 7616 §6.1: `MD5`, `MD5-sess`,
/// `SHA-256`, `SHA-256-sess`, `SHA-512-256`, `SHA-512-256-sess`), matched without regard to case:
/// the grammar writes them as quoted literals (RFC 7616 §3.3, RFC 2617 §3.2.1), and a literal of
/// ABNF is case-insensitive (RFC 5234 §2.3, RFC 2616 §2.1). Motion 4.5's stream and web ports
/// (libmicrohttpd) send `algorithm=md5`; curl answers it, the http-auth crate matches `"MD5"`
/// exactly, so its callers give it this spelling. `None` for an algorithm not registered.
pub fn registered_algorithm(value: &str) -> Option<&'static str> {
    const REGISTERED: [&str; 6] = [
        "MD5",
        "MD5-sess",
        "SHA-256",
        "SHA-256-sess",
        "SHA-512-256",
        "SHA-512-256-sess",
    ];
    let value = value.trim();
    REGISTERED
        .into_iter()
        .find(|r| r.eq_ignore_ascii_case(value))
}

/// Every login scheme the `WWW-Authenticate` values offer (their first 8 values, 8 challenges
/// each), strongest first ([`model::capabilities::login_rank`]), each once.
pub fn offered_logins<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values.into_iter().take(MAX_CHALLENGES) {
        for c in parse_challenges(v) {
            let name = login_scheme(&c);
            if !name.is_empty() && !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out.sort_by_key(|s| model::capabilities::login_rank(s));
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
        let end = s.find([',', ' ', '\t', '\r', '\n']).unwrap_or(s.len());
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

    /// RFC 7616 §3.9.1: the server offers SHA-256 and MD5, one header each, SHA-256 first.
    const RFC7616_SHA256: &str = r#"Digest
        realm="http-auth@example.org",
        qop="auth, auth-int",
        algorithm=SHA-256,
        nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
        opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;
    const RFC7616_MD5: &str = r#"Digest
        realm="http-auth@example.org",
        qop="auth, auth-int",
        algorithm=MD5,
        nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
        opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;

    #[test]
    fn rfc7616_example_challenges() {
        let c = parse_challenges(RFC7616_SHA256);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].realm.as_deref(), Some("http-auth@example.org"));
        assert_eq!(login_scheme(&c[0]), "digest-sha-256");
        let c = parse_challenges(RFC7616_MD5);
        assert_eq!(login_scheme(&c[0]), "digest-md5");
        // Both headers, in either order: strongest first.
        assert_eq!(
            offered_logins([RFC7616_MD5, RFC7616_SHA256]),
            ["digest-sha-256", "digest-md5"]
        );
        // The two challenges in one header value (RFC 7235 §4.1: a list of challenges).
        let one = format!("{RFC7616_MD5}, {RFC7616_SHA256}");
        assert_eq!(
            offered_logins([one.as_str()]),
            ["digest-sha-256", "digest-md5"]
        );
    }

    #[test]
    fn scheme_names() {
        let name = |v: &str| offered_logins([v]);
        assert_eq!(name(r#"Digest realm="a", nonce="n""#), ["digest-md5"]);
        assert_eq!(
            name("Digest realm=a, algorithm=MD5-sess"),
            ["digest-md5-sess"]
        );
        assert_eq!(
            name("Digest algorithm=sha-256-sess"),
            ["digest-sha-256-sess"]
        );
        assert_eq!(
            name("Digest algorithm=SHA-512-256, Digest algorithm=\"SHA-512-256-sess\""),
            ["digest-sha-512-256", "digest-sha-512-256-sess"]
        );
        assert_eq!(
            name(r#"Bearer realm="x", Basic realm="y", Negotiate, Digest nonce="n""#),
            ["digest-md5", "basic", "bearer", "negotiate"]
        );
        assert_eq!(name("Bearer abc=="), ["bearer"]);
        // What a device sends is cut and cleaned.
        assert_eq!(
            name("Digest algorithm=\"SHA 1\u{7f}<x>\""),
            ["digest-sha1x"]
        );
        assert_eq!(name(&"X".repeat(100))[0].len(), MAX_SCHEME_NAME);
        assert!(name("").is_empty());
    }

    /// Motion 4.5 (Debian 12's `motion`, libmicrohttpd) on its stream port: `algorithm=md5`.
    #[test]
    fn motion_lower_case_md5_is_md5() {
        let c = parse_challenges(
            r#"Digest realm="Motion",qop="auth",nonce="b0f0f5a40ffabfcabbf6f979b61fdd0400000006",opaque="01e5435f0189aa24",algorithm=md5"#,
        );
        assert_eq!(c[0].algorithm.as_deref(), Some("md5"));
        assert_eq!(login_scheme(&c[0]), "digest-md5");
        assert_eq!(registered_algorithm("md5"), Some("MD5"));
        assert_eq!(registered_algorithm(" Sha-256-SESS "), Some("SHA-256-sess"));
        assert_eq!(registered_algorithm("sha-512-256"), Some("SHA-512-256"));
        assert_eq!(registered_algorithm("SHA-1"), None);
        assert_eq!(registered_algorithm(""), None);
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
        let c = parse_challenges("Digest realm = \"r\" , algorithm = SHA-256");
        assert_eq!(c.len(), 1);
        assert_eq!(login_scheme(&c[0]), "digest-sha-256");
        let _ = parse_challenges("realm=x");
    }
}
