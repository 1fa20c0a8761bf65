//! STUN (RFC 5389) Binding: the 20-byte request we send and a strict reader of the response.
//!
//! A STUN server on a LAN host (coturn, a WebRTC gateway such as go2rtc or Janus, some NVRs) answers a
//! Binding Request on UDP 3478 with the address it saw us from and, often, a `SOFTWARE` name that
//! identifies it. The header is checked strictly (class bits, magic cookie 0x2112A442, a length that is
//! a multiple of 4 and fits the datagram, our transaction ID) because anything on UDP can send us
//! bytes; attributes are read within the declared length, 4-byte aligned (§15), at most
//! [`MAX_ATTRIBUTES`] of them, and unknown ones are skipped.
//!
//! Classic-STUN (RFC 3489) servers have no magic cookie and are refused as [`StunError::BadCookie`]:
//! their answers cannot be told apart from stray UDP with confidence. `MESSAGE-INTEGRITY` and
//! `FINGERPRINT` are not verified (we hold no credentials; the transaction ID already ties the answer
//! to our request).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// RFC 5389 §6.
pub const MAGIC_COOKIE: u32 = 0x2112_A442;
/// Header length, RFC 5389 §6.
pub const HEADER_LEN: usize = 20;
/// Most attributes read from one message (a Binding response carries 2-6).
pub const MAX_ATTRIBUTES: usize = 32;
/// Most characters kept of `SOFTWARE` (RFC 5389 §15.10: fewer than 128 characters) and of an error
/// reason phrase (§15.6: fewer than 128 characters).
pub const MAX_TEXT: usize = 128;

const BINDING: u16 = 0x0001;
const ATTR_MAPPED_ADDRESS: u16 = 0x0001;
const ATTR_ERROR_CODE: u16 = 0x0009;
const ATTR_XOR_MAPPED_ADDRESS: u16 = 0x0020;
const ATTR_SOFTWARE: u16 = 0x8022;

/// A Binding Request with no attributes (RFC 5389 §6, §7.1).
pub fn binding_request(transaction_id: [u8; 12]) -> [u8; 20] {
    let mut m = [0u8; 20];
    m[0..2].copy_from_slice(&BINDING.to_be_bytes());
    // Length 0: m[2..4] stays zero.
    m[4..8].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
    m[8..20].copy_from_slice(&transaction_id);
    m
}

/// Success or error response (RFC 5389 §6, the C1/C0 class bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Success,
    Error,
}

/// What a Binding response says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StunResponse {
    pub class: Class,
    /// `XOR-MAPPED-ADDRESS` (RFC 5389 §15.2), decoded.
    pub xor_mapped: Option<SocketAddr>,
    /// `MAPPED-ADDRESS` (§15.1), sent by older servers and alongside XOR-MAPPED-ADDRESS by some.
    pub mapped: Option<SocketAddr>,
    /// `SOFTWARE` (§15.10), clipped to [`MAX_TEXT`] characters, invalid UTF-8 replaced.
    pub software: Option<String>,
    /// `ERROR-CODE` (§15.6): code (class * 100 + number) and reason phrase.
    pub error_code: Option<(u16, String)>,
}

impl StunResponse {
    /// The address the server saw: XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS.
    pub fn reflexive(&self) -> Option<SocketAddr> {
        self.xor_mapped.or(self.mapped)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StunError {
    #[error("STUN message truncated: {len} bytes, header needs {HEADER_LEN}")]
    Truncated { len: usize },
    #[error("not a STUN message: first two bits of the type are not zero (type 0x{0:04x})")]
    NotStun(u16),
    #[error("bad magic cookie 0x{0:08x} (classic RFC 3489 STUN or not STUN)")]
    BadCookie(u32),
    #[error(
        "STUN length {declared} is not a multiple of 4 or exceeds the {available} bytes after the header"
    )]
    BadLength { declared: usize, available: usize },
    #[error("STUN transaction ID does not match our request")]
    TransactionMismatch,
    #[error("not a Binding response: method 0x{method:03x}, class {class}")]
    NotBindingResponse { method: u16, class: u8 },
    #[error("STUN attribute 0x{attr_type:04x} at offset {offset} runs past the message end")]
    AttributeOverrun { attr_type: u16, offset: usize },
}

/// Read a Binding response to the request sent with `expected_tid`. Bytes after the declared length
/// (UDP padding by a middlebox) are ignored.
pub fn parse_response(bytes: &[u8], expected_tid: &[u8; 12]) -> Result<StunResponse, StunError> {
    let header: &[u8; HEADER_LEN] = bytes
        .get(..HEADER_LEN)
        .and_then(|h| h.try_into().ok())
        .ok_or(StunError::Truncated { len: bytes.len() })?;
    let msg_type = u16::from_be_bytes([header[0], header[1]]);
    if msg_type & 0xC000 != 0 {
        return Err(StunError::NotStun(msg_type));
    }
    let cookie = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
    if cookie != MAGIC_COOKIE {
        return Err(StunError::BadCookie(cookie));
    }
    let declared = usize::from(u16::from_be_bytes([header[2], header[3]]));
    let available = bytes.len() - HEADER_LEN;
    if declared % 4 != 0 || declared > available {
        return Err(StunError::BadLength {
            declared,
            available,
        });
    }
    if header[8..20] != expected_tid[..] {
        return Err(StunError::TransactionMismatch);
    }
    // Type bits: M11..M7 C1 M6..M4 C0 M3..M0 (RFC 5389 §6, figure 3).
    let class = (((msg_type >> 7) & 0b10) | ((msg_type >> 4) & 0b01)) as u8;
    let method = (msg_type & 0x000F) | ((msg_type >> 1) & 0x0070) | ((msg_type >> 2) & 0x0F80);
    let class = match (method, class) {
        (BINDING, 0b10) => Class::Success,
        (BINDING, 0b11) => Class::Error,
        _ => return Err(StunError::NotBindingResponse { method, class }),
    };

    let mut r = StunResponse {
        class,
        xor_mapped: None,
        mapped: None,
        software: None,
        error_code: None,
    };
    let body = &bytes[HEADER_LEN..HEADER_LEN + declared];
    let mut at = 0usize;
    for _ in 0..MAX_ATTRIBUTES {
        let Some(tl) = body.get(at..at + 4) else {
            break;
        };
        let attr_type = u16::from_be_bytes([tl[0], tl[1]]);
        let len = usize::from(u16::from_be_bytes([tl[2], tl[3]]));
        let value = body
            .get(at + 4..at + 4 + len)
            .ok_or(StunError::AttributeOverrun {
                attr_type,
                offset: HEADER_LEN + at,
            })?;
        match attr_type {
            ATTR_XOR_MAPPED_ADDRESS if r.xor_mapped.is_none() => {
                r.xor_mapped = address(value, Some(&header[4..20]));
            }
            ATTR_MAPPED_ADDRESS if r.mapped.is_none() => r.mapped = address(value, None),
            ATTR_SOFTWARE if r.software.is_none() => r.software = Some(text(value)),
            ATTR_ERROR_CODE if r.error_code.is_none() && value.len() >= 4 => {
                // 21 reserved bits, 3-bit class (hundreds), 8-bit number (RFC 5389 §15.6).
                let code = u16::from(value[2] & 0x07) * 100 + u16::from(value[3]);
                r.error_code = Some((code, text(&value[4..])));
            }
            _ => {}
        }
        // Values are padded to a multiple of 4 (§15).
        at += 4 + len.div_ceil(4) * 4;
    }
    Ok(r)
}

/// MAPPED-ADDRESS / XOR-MAPPED-ADDRESS value: reserved byte, family, port, address. With `xor` (the
/// cookie and transaction ID, 16 bytes) the port is XORed with the cookie's top half and the address
/// with the cookie (IPv4) or cookie + transaction ID (IPv6), per §15.2.
fn address(v: &[u8], xor: Option<&[u8]>) -> Option<SocketAddr> {
    let family = *v.get(1)?;
    let mut port = u16::from_be_bytes([*v.get(2)?, *v.get(3)?]);
    let mut key = [0u8; 16];
    if let Some(x) = xor {
        key.copy_from_slice(x.get(..16)?);
        port ^= u16::from_be_bytes([key[0], key[1]]);
    }
    let ip = match family {
        0x01 => {
            let a: [u8; 4] = v.get(4..8)?.try_into().ok()?;
            let a: [u8; 4] = std::array::from_fn(|i| a[i] ^ key[i]);
            IpAddr::V4(Ipv4Addr::from(a))
        }
        0x02 => {
            let a: [u8; 16] = v.get(4..20)?.try_into().ok()?;
            let a: [u8; 16] = std::array::from_fn(|i| a[i] ^ key[i]);
            IpAddr::V6(Ipv6Addr::from(a))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

fn text(v: &[u8]) -> String {
    String::from_utf8_lossy(v)
        .trim_end_matches(['\0', ' '])
        .chars()
        .take(MAX_TEXT)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 5769 §2.2 and §2.3 (the IETF's STUN test vectors; their FINGERPRINT CRC-32 was checked when
    /// the bytes were transcribed).
    const RFC5769_TID: [u8; 12] = [
        0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
    ];
    const RFC5769_IPV4_RESPONSE: &[u8] = &[
        0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6,
        0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76,
        0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1,
        0x12, 0xa6, 0x43, 0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3,
        0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00,
        0x04, 0xc0, 0x7d, 0x4c, 0x96,
    ];
    const RFC5769_IPV6_RESPONSE: &[u8] = &[
        0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6,
        0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76,
        0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01,
        0x13, 0xa9, 0xfa, 0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
        0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9,
        0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb,
        0x0b, 0x4c,
    ];

    #[test]
    fn request_layout() {
        let r = binding_request(RFC5769_TID);
        assert_eq!(&r[..8], &[0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]);
        assert_eq!(&r[8..], &RFC5769_TID);
    }

    #[test]
    fn rfc5769_ipv4_response() {
        let r = parse_response(RFC5769_IPV4_RESPONSE, &RFC5769_TID).unwrap();
        assert_eq!(r.class, Class::Success);
        assert_eq!(r.xor_mapped, Some("192.0.2.1:32853".parse().unwrap()));
        assert_eq!(r.mapped, None);
        assert_eq!(r.reflexive(), r.xor_mapped);
        // "test vector " is 11 bytes plus one byte of padding that the RFC sets to a space.
        assert_eq!(r.software.as_deref(), Some("test vector"));
        assert_eq!(r.error_code, None);
    }

    #[test]
    fn rfc5769_ipv6_response() {
        let r = parse_response(RFC5769_IPV6_RESPONSE, &RFC5769_TID).unwrap();
        assert_eq!(
            r.xor_mapped,
            Some(
                "[2001:db8:1234:5678:11:2233:4455:6677]:32853"
                    .parse()
                    .unwrap()
            )
        );
    }

    /// Build a Binding response with the given class bits and raw attributes.
    fn message(msg_type: u16, tid: [u8; 12], attrs: &[(u16, &[u8])]) -> Vec<u8> {
        let mut body = Vec::new();
        for (t, v) in attrs {
            body.extend_from_slice(&t.to_be_bytes());
            body.extend_from_slice(&(v.len() as u16).to_be_bytes());
            body.extend_from_slice(v);
            body.resize(body.len().div_ceil(4) * 4, 0);
        }
        let mut m = binding_request(tid).to_vec();
        m[0..2].copy_from_slice(&msg_type.to_be_bytes());
        m[2..4].copy_from_slice(&(body.len() as u16).to_be_bytes());
        m.extend_from_slice(&body);
        m
    }

    #[test]
    fn error_response_and_plain_mapped_address() {
        let tid = [7; 12];
        let m = message(
            0x0111,
            tid,
            &[
                (ATTR_ERROR_CODE, b"\0\0\x04\x14Unknown Attribute"),
                (ATTR_MAPPED_ADDRESS, &[0, 1, 0x0d, 0x96, 10, 0, 0, 9]),
                (ATTR_SOFTWARE, b"Coturn-4.6.1 'Gorst'"),
                (0x8028, &[0; 4]),
            ],
        );
        let r = parse_response(&m, &tid).unwrap();
        assert_eq!(r.class, Class::Error);
        assert_eq!(r.error_code, Some((420, "Unknown Attribute".into())));
        assert_eq!(r.mapped, Some("10.0.0.9:3478".parse().unwrap()));
        assert_eq!(r.reflexive(), r.mapped);
        assert_eq!(r.software.as_deref(), Some("Coturn-4.6.1 'Gorst'"));
    }

    #[test]
    fn truncated_and_wrong_headers() {
        let tid = RFC5769_TID;
        let ok = RFC5769_IPV4_RESPONSE;
        for n in 0..HEADER_LEN {
            assert_eq!(
                parse_response(&ok[..n], &tid),
                Err(StunError::Truncated { len: n })
            );
        }
        // Cut inside the attributes: the declared length no longer fits.
        assert!(matches!(
            parse_response(&ok[..50], &tid),
            Err(StunError::BadLength {
                declared: 60,
                available: 30
            })
        ));
        let mut bad = ok.to_vec();
        bad[4] = 0;
        assert_eq!(
            parse_response(&bad, &tid),
            Err(StunError::BadCookie(0x0012_a442))
        );
        let mut bad = ok.to_vec();
        bad[0] = 0x41;
        assert!(matches!(
            parse_response(&bad, &tid),
            Err(StunError::NotStun(_))
        ));
        let mut bad = ok.to_vec();
        bad[3] = 0x3d;
        assert!(matches!(
            parse_response(&bad, &tid),
            Err(StunError::BadLength { .. })
        ));
        assert_eq!(
            parse_response(ok, &[0; 12]),
            Err(StunError::TransactionMismatch)
        );
        // Our own request echoed back (a reflector) is not a response.
        assert_eq!(
            parse_response(&binding_request(tid), &tid),
            Err(StunError::NotBindingResponse {
                method: 1,
                class: 0
            })
        );
        // An Allocate success (TURN, method 0x003) is not a Binding response.
        let m = message(0x0103, tid, &[]);
        assert!(matches!(
            parse_response(&m, &tid),
            Err(StunError::NotBindingResponse {
                method: 3,
                class: 2
            })
        ));
        // Trailing bytes after the declared length are ignored.
        let mut long = ok.to_vec();
        long.extend_from_slice(&[0xff; 9]);
        assert!(parse_response(&long, &tid).is_ok());
    }

    #[test]
    fn attribute_bounds() {
        let tid = [1; 12];
        // An attribute that claims more bytes than the message holds.
        let mut m = message(0x0101, tid, &[(ATTR_SOFTWARE, b"abcd")]);
        m[22..24].copy_from_slice(&100u16.to_be_bytes());
        assert_eq!(
            parse_response(&m, &tid),
            Err(StunError::AttributeOverrun {
                attr_type: ATTR_SOFTWARE,
                offset: 20
            })
        );
        // A 3-byte value is followed by one byte of padding before the next attribute.
        let m = message(
            0x0101,
            tid,
            &[
                (ATTR_SOFTWARE, b"abc"),
                (ATTR_MAPPED_ADDRESS, &[0, 1, 0, 80, 192, 168, 1, 2]),
            ],
        );
        let r = parse_response(&m, &tid).unwrap();
        assert_eq!(r.software.as_deref(), Some("abc"));
        assert_eq!(r.mapped, Some("192.168.1.2:80".parse().unwrap()));
        // Unknown family and short address values are ignored, not fatal.
        let m = message(
            0x0101,
            tid,
            &[
                (ATTR_XOR_MAPPED_ADDRESS, &[0, 9, 0, 0, 1, 2, 3, 4]),
                (ATTR_MAPPED_ADDRESS, &[0, 2, 0, 0, 1, 2]),
                (ATTR_ERROR_CODE, &[0, 0]),
            ],
        );
        let r = parse_response(&m, &tid).unwrap();
        assert_eq!((r.xor_mapped, r.mapped, r.error_code), (None, None, None));
        // Thousands of attributes: only MAX_ATTRIBUTES are read, the first XOR-MAPPED-ADDRESS wins.
        let xma: &[u8] = &[0, 1, 0x21, 0x12, 0x21 ^ 10, 0x12, 0xa4 ^ 1, 0x42 ^ 2];
        let mut attrs = vec![(ATTR_XOR_MAPPED_ADDRESS, xma)];
        attrs.extend(std::iter::repeat_n((0x8000, &b""[..]), 10_000));
        attrs.push((ATTR_SOFTWARE, b"late"));
        let m = message(0x0101, tid, &attrs);
        let r = parse_response(&m, &tid).unwrap();
        assert_eq!(r.xor_mapped, Some("10.0.1.2:0".parse().unwrap()));
        assert_eq!(r.software, None);
    }

    #[test]
    fn mutations_never_panic() {
        for v in [RFC5769_IPV4_RESPONSE, RFC5769_IPV6_RESPONSE] {
            for n in 0..=v.len() {
                let _ = parse_response(&v[..n], &RFC5769_TID);
            }
            for i in HEADER_LEN..v.len() {
                for x in [0x00, 0x01, 0x7f, 0x80, 0xff] {
                    let mut m = v.to_vec();
                    m[i] = x;
                    let _ = parse_response(&m, &RFC5769_TID);
                }
            }
        }
    }
}
