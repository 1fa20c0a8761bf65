//! One question to a TLS server, asked without a TLS library: would it agree to a protocol older
//! than TLS 1.2? [`client_hello`] builds a ClientHello whose highest version is TLS 1.1 (RFC 4346
//! §7.4.1.2; the cipher suites and extensions an old client offers), [`answer`] reads the first
//! record back: a ServerHello with the version the server chose, or an alert. Nothing after the
//! hello is ever sent. Pure: any bytes give an answer or `None`, never a panic.

/// TLS 1.0 and 1.1 on the wire.
pub const TLS10: u16 = 0x0301;
pub const TLS11: u16 = 0x0302;

/// Suites a TLS 1.0/1.1 client offers (RFC 4492, RFC 5246 appendix A.5): ECDHE and plain RSA
/// key exchange with AES-CBC and 3DES, so any server that still speaks the old protocols finds one.
const SUITES: [u16; 9] = [
    0xc014, // TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA
    0xc013, // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
    0xc00a, // TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA
    0xc009, // TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA
    0x0039, // TLS_DHE_RSA_WITH_AES_256_CBC_SHA
    0x0033, // TLS_DHE_RSA_WITH_AES_128_CBC_SHA
    0x0035, // TLS_RSA_WITH_AES_256_CBC_SHA
    0x002f, // TLS_RSA_WITH_AES_128_CBC_SHA
    0x000a, // TLS_RSA_WITH_3DES_EDE_CBC_SHA
];

fn u16_be(v: usize) -> [u8; 2] {
    [(v >> 8) as u8, v as u8]
}

/// A ClientHello offering at most `max` (e.g. [`TLS11`]), no session, no SNI (the server is
/// asked by its address), with the EC groups P-256/P-384 and uncompressed points.
pub fn client_hello(max: u16, random: [u8; 32]) -> Vec<u8> {
    let mut suites = Vec::new();
    for s in SUITES {
        suites.extend(s.to_be_bytes());
    }
    // supported_groups (10): secp256r1, secp384r1; ec_point_formats (11): uncompressed.
    let extensions: Vec<u8> = [
        &[0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x17, 0x00, 0x18][..],
        &[0x00, 0x0b, 0x00, 0x02, 0x01, 0x00][..],
    ]
    .concat();
    let mut body = Vec::new();
    body.extend(max.to_be_bytes());
    body.extend(random);
    body.push(0); // session id
    body.extend(u16_be(suites.len()));
    body.extend(&suites);
    body.extend([1, 0]); // compression: null
    body.extend(u16_be(extensions.len()));
    body.extend(&extensions);
    let mut handshake = vec![1, 0];
    handshake.extend(u16_be(body.len()));
    handshake.extend(body);
    let mut record = vec![0x16];
    record.extend(TLS10.to_be_bytes());
    record.extend(u16_be(handshake.len()));
    record.extend(handshake);
    record
}

/// How a server answered the hello.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelloAnswer {
    /// A ServerHello: the version it chose.
    Agreed(u16),
    /// An alert: (level, description), e.g. (2, 70) protocol_version.
    Alert(u8, u8),
}

/// The server's first record, once enough of it has arrived; `None` while incomplete or when it
/// is not TLS.
pub fn answer(bytes: &[u8]) -> Option<HelloAnswer> {
    let kind = *bytes.first()?;
    let len = usize::from(u16::from_be_bytes([*bytes.get(3)?, *bytes.get(4)?]));
    let body = bytes.get(5..5 + len)?;
    match kind {
        0x15 => Some(HelloAnswer::Alert(*body.first()?, *body.get(1)?)),
        0x16 if body.first() == Some(&2) => {
            let v = u16::from_be_bytes([*body.get(4)?, *body.get(5)?]);
            (0x0300..=0x0304)
                .contains(&v)
                .then_some(HelloAnswer::Agreed(v))
        }
        _ => None,
    }
}

/// `TLS 1.0` for 0x0301, `SSL 3.0` for 0x0300.
pub fn version_name(v: u16) -> String {
    match v {
        0x0300 => "SSL 3.0".into(),
        0x0301..=0x0304 => format!("TLS 1.{}", v - 0x0301),
        v => format!("0x{v:04x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hello_is_framed_and_says_tls_1_1() {
        let h = client_hello(TLS11, [7; 32]);
        assert_eq!(&h[..3], [0x16, 0x03, 0x01]);
        assert_eq!(usize::from(u16::from_be_bytes([h[3], h[4]])), h.len() - 5);
        assert_eq!(h[5], 1, "ClientHello");
        let body_len = (usize::from(h[6]) << 16) | (usize::from(h[7]) << 8) | usize::from(h[8]);
        assert_eq!(body_len, h.len() - 9);
        assert_eq!(&h[9..11], [0x03, 0x02]);
    }

    #[test]
    fn answers_are_a_version_or_an_alert() {
        // OpenSSL's ServerHello for TLS 1.0 (record 0x0301, handshake type 2, version 0x0301).
        let mut sh = vec![
            0x16, 0x03, 0x01, 0x00, 0x2a, 0x02, 0x00, 0x00, 0x26, 0x03, 0x01,
        ];
        sh.extend([0u8; 32]);
        sh.extend([0x00, 0xc0, 0x14, 0x00]);
        assert_eq!(answer(&sh), Some(HelloAnswer::Agreed(TLS10)));
        assert_eq!(version_name(TLS10), "TLS 1.0");
        // A modern server's refusal: fatal protocol_version.
        assert_eq!(
            answer(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]),
            Some(HelloAnswer::Alert(2, 70))
        );
        for n in 0..sh.len() {
            let _ = answer(&sh[..n]);
        }
        assert_eq!(answer(b"HTTP/1.1 400 Bad Request\r\n"), None);
    }
}
