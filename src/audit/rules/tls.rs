//! The TLS rules: what each TLS port's certificate and handshake showed (expiry, self-signed,
//! key size, the protocol versions offered, a login port without TLS).

use super::*;

/// A certificate is expiring when it ends within this (RFC 5280 validity; 30 days is what
/// certificate monitors such as Let's Encrypt's expiry mail warn at).
const EXPIRING_S: i64 = 30 * 86_400;

/// The smallest keys not flagged: RSA 2048 and EC 224 bits (NIST SP 800-131A Rev. 2).
const MIN_RSA_BITS: u32 = 2048;
const MIN_EC_BITS: u32 = 224;

/// `tls-certificate-expired` (high), `tls-certificate-expiring` (medium), `tls-self-signed` (low)
/// and `tls-weak-key` (medium), from each TLS port's certificate (also when the handshake then
/// failed: the certificate was shown first).
pub fn tls_certificates(d: &Device, ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in &d.services {
        let Some(c) = &s.certificate else { continue };
        // One certificate per port, even when two services (HTTP and WebRTC) share it.
        if out.iter().any(|f: &Finding| f.port == Some(s.port)) {
            continue;
        }
        let at = |f: Finding| Finding {
            port: Some(s.port),
            ..f
        };
        let secs = |t: &str| t.parse::<jiff::Timestamp>().ok().map(|t| t.as_second());
        let subject = if c.subject.is_empty() {
            "(no subject)".to_string()
        } else {
            c.subject.clone()
        };
        match secs(&c.not_after) {
            Some(end) if end < ctx.now => out.push(at(Finding {
                evidence: format!(
                    "port {}: the certificate {subject} expired {} ({} ago)",
                    s.port,
                    c.not_after,
                    human_seconds(ctx.now - end)
                ),
                ..finding(d, ctx, FindingId::TlsCertificateExpired, Severity::High)
            })),
            Some(end) if end - ctx.now <= EXPIRING_S => out.push(at(Finding {
                evidence: format!(
                    "port {}: the certificate {subject} expires {} (in {})",
                    s.port,
                    c.not_after,
                    human_seconds(end - ctx.now)
                ),
                ..finding(d, ctx, FindingId::TlsCertificateExpiring, Severity::Medium)
            })),
            _ => {}
        }
        if c.self_signed {
            out.push(at(Finding {
                evidence: format!(
                    "port {}: the certificate {subject} is its own issuer",
                    s.port
                ),
                ..finding(d, ctx, FindingId::TlsSelfSigned, Severity::Low)
            }));
        }
        let weak = match (c.key_algorithm.as_str(), c.key_bits) {
            ("RSA", Some(b)) => b < MIN_RSA_BITS,
            ("EC", Some(b)) => b < MIN_EC_BITS,
            ("DSA", _) => true,
            _ => false,
        };
        if weak {
            let key = match (c.key_bits, &c.curve) {
                (_, Some(curve)) => format!("{} {curve}", c.key_algorithm),
                (Some(b), None) => format!("{} {b}", c.key_algorithm),
                (None, None) => c.key_algorithm.clone(),
            };
            out.push(at(Finding {
                evidence: format!("port {}: the certificate's key is {key}", s.port),
                ..finding(d, ctx, FindingId::TlsWeakKey, Severity::Medium)
            }));
        }
    }
    out
}

/// `tls-missing`: a web port without TLS asks for a login, and the device has no TLS port at
/// all (a device that also serves HTTPS offers the safe way; that its HTTP port remains is not
/// flagged here).
pub fn tls_missing(d: &Device, ctx: &Context) -> Option<Finding> {
    if d.services.iter().any(|s| s.tls.is_some()) {
        return None;
    }
    let login = d.services.iter().find(|s| {
        s.protocol == Protocol::Http
            && (matches!(s.auth, AuthScheme::Basic | AuthScheme::Digest) || !s.offered.is_empty())
    })?;
    let how = match login.auth {
        AuthScheme::Basic => "Basic",
        _ => "Digest",
    };
    Some(Finding {
        port: Some(login.port),
        evidence: format!(
            "HTTP on port {} asks for a login ({how}) and the device has no HTTPS port",
            login.port
        ),
        ..finding(d, ctx, FindingId::TlsMissing, Severity::Medium)
    })
}

/// `tls-weak-protocol`: a TLS port agreed to TLS 1.1 or 1.0 (medium) or SSL 3.0 (high) when a
/// ClientHello offered at most TLS 1.1.
pub fn tls_weak_protocol(d: &Device, ctx: &Context) -> Vec<Finding> {
    d.services
        .iter()
        .filter_map(|s| {
            let v = s.tls_legacy.as_deref()?;
            let severity = if v.starts_with("SSL") {
                Severity::High
            } else {
                Severity::Medium
            };
            Some(Finding {
                port: Some(s.port),
                evidence: format!(
                    "port {}: a ClientHello offering at most TLS 1.1 was answered with a \
                     ServerHello for {v}",
                    s.port
                ),
                ..finding(d, ctx, FindingId::TlsWeakProtocol, severity)
            })
        })
        .collect()
}
