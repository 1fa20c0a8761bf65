//! Pure classification of RTSP and HTTP reply heads (they share header syntax): service facts from a
//! reply (`Server`, `Public`), and the auth scheme and realm from its challenges.

use model::{AuthScheme, Protocol, Service, Transport};
use proto::auth::{Challenge, parse_challenges};
use proto::response::ResponseHead;

/// Every challenge in every `WWW-Authenticate` header of a reply.
pub fn challenges(head: &ResponseHead) -> Vec<Challenge> {
    head.headers_named("www-authenticate")
        .flat_map(parse_challenges)
        .collect()
}

/// The scheme we would answer with: Digest when offered (it does not send the password), else Basic.
pub fn best_scheme(challenges: &[Challenge]) -> AuthScheme {
    if challenges.iter().any(|c| c.scheme == "digest") {
        AuthScheme::Digest
    } else if challenges.iter().any(|c| c.scheme == "basic") {
        AuthScheme::Basic
    } else {
        AuthScheme::Unknown
    }
}

/// Every scheme the challenges offer, Digest before Basic (others are not told apart).
pub fn offered(challenges: &[Challenge]) -> Vec<AuthScheme> {
    [AuthScheme::Digest, AuthScheme::Basic]
        .into_iter()
        .filter(|s| challenges.iter().any(|c| c.scheme == s.as_str()))
        .collect()
}

/// The realm of the preferred challenge (a vendor fingerprint, e.g. Hikvision's `IP Camera(C1234)`).
pub fn realm(challenges: &[Challenge]) -> Option<String> {
    let scheme = best_scheme(challenges);
    challenges
        .iter()
        .find(|c| c.scheme == scheme.as_str())
        .or(challenges.first())
        .and_then(|c| c.realm.clone())
}

/// Service facts from a reply to `OPTIONS` (or any reply of this server).
pub fn service(port: u16, protocol: Protocol, head: &ResponseHead) -> Service {
    let ch = challenges(head);
    let auth = if head.status == 401 || !ch.is_empty() {
        best_scheme(&ch)
    } else {
        AuthScheme::None
    };
    let methods = head
        .header("public")
        .map(|p| {
            p.split(',')
                .map(|m| m.trim().to_ascii_uppercase())
                .filter(|m| !m.is_empty() && m.len() <= 32)
                .take(32)
                .collect()
        })
        .unwrap_or_default();
    Service {
        port,
        transport: Transport::Tcp,
        protocol,
        server: head.header("server").map(|s| s.chars().take(256).collect()),
        auth,
        realm: realm(&ch),
        methods,
        title: None,
        product: None,
        tls: None,
        note: None,
        offered: offered(&ch),
        certificate: None,
        tls_legacy: None,
        path_walk: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::response::parse_head;

    fn head(raw: &[u8]) -> ResponseHead {
        parse_head(raw).unwrap().unwrap().0
    }

    #[test]
    fn gstreamer_options() {
        let h = head(b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE, PLAY, SETUP, TEARDOWN\r\nServer: GStreamer RTSP server\r\n\r\n");
        let s = service(554, Protocol::Rtsp, &h);
        assert_eq!(s.server.as_deref(), Some("GStreamer RTSP server"));
        assert_eq!(s.auth, AuthScheme::None);
        assert_eq!(
            s.methods,
            ["OPTIONS", "DESCRIBE", "PLAY", "SETUP", "TEARDOWN"]
        );
    }

    #[test]
    fn hikvision_style_digest_and_basic() {
        // Hikvision firmware offers both schemes in two headers; Digest is preferred.
        let h = head(b"RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nWWW-Authenticate: Basic realm=\"IP Camera(C1234)\"\r\nWWW-Authenticate: Digest realm=\"IP Camera(C1234)\", nonce=\"x\"\r\n\r\n");
        let s = service(554, Protocol::Rtsp, &h);
        assert_eq!(s.auth, AuthScheme::Digest);
        assert_eq!(s.realm.as_deref(), Some("IP Camera(C1234)"));
    }

    #[test]
    fn ok_with_challenge_still_counts_as_auth() {
        // cameradar#347: some servers send `200 OK` together with WWW-Authenticate.
        let h = head(b"RTSP/1.0 200 OK\r\nWWW-Authenticate: Basic realm=\"x\"\r\n\r\n");
        assert_eq!(service(554, Protocol::Rtsp, &h).auth, AuthScheme::Basic);
        let h = head(b"RTSP/1.0 401 Unauthorized\r\nWWW-Authenticate: NTLM\r\n\r\n");
        assert_eq!(service(554, Protocol::Rtsp, &h).auth, AuthScheme::Unknown);
    }
}
