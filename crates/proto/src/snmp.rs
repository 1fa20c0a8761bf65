//! SNMP v2c (RFC 3416, BER per X.690) for one question: does a device answer `GetRequest
//! sysDescr.0` (1.3.6.1.2.1.1.1.0) with a default community? [`get_sys_descr`] builds the request;
//! [`parse_response`] reads the answer. Pure: any bytes give a result or `None`, never a panic.

/// sysDescr.0: what the device says it is.
const SYS_DESCR: [u8; 8] = [0x2b, 6, 1, 2, 1, 1, 1, 0];
/// SNMP v2c's version number on the wire.
const V2C: u8 = 1;
/// Characters of sysDescr kept.
pub const MAX_DESCR: usize = 200;

/// A TLV with its length encoded (short form below 128, long form above).
fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = body.len();
    if n < 0x80 {
        out.push(n as u8);
    } else if n <= 0xff {
        out.extend([0x81, n as u8]);
    } else {
        out.extend([0x82, (n >> 8) as u8, n as u8]);
    }
    out.extend_from_slice(body);
    out
}

fn integer(v: u32) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(3);
    let mut body = bytes[start..].to_vec();
    if body[0] & 0x80 != 0 {
        body.insert(0, 0);
    }
    tlv(0x02, &body)
}

/// A v2c `GetRequest` for sysDescr.0 with `community` and `request_id`.
pub fn get_sys_descr(community: &str, request_id: u32) -> Vec<u8> {
    let varbind = tlv(0x30, &[tlv(0x06, &SYS_DESCR), vec![0x05, 0x00]].concat());
    let pdu = tlv(
        0xa0,
        &[
            integer(request_id),
            integer(0),
            integer(0),
            tlv(0x30, &varbind),
        ]
        .concat(),
    );
    tlv(
        0x30,
        &[tlv(0x02, &[V2C]), tlv(0x04, community.as_bytes()), pdu].concat(),
    )
}

/// What a device answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnmpReply {
    /// The community the answer carries (it echoes the request's).
    pub community: String,
    /// RFC 3416 error-status: 0 is no error.
    pub error_status: u32,
    /// sysDescr.0, control characters dropped, at most [`MAX_DESCR`] characters.
    pub sys_descr: Option<String>,
}

/// One TLV at the start of `b`: (tag, body, rest).
fn read(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 3 {
            return None;
        }
        let mut len = 0usize;
        for &x in b.get(2..2 + n)? {
            len = (len << 8) | usize::from(x);
        }
        (len, 2 + n)
    };
    let body = b.get(header..header.checked_add(len)?)?;
    Some((tag, body, &b[header + len..]))
}

fn uint(body: &[u8]) -> Option<u32> {
    if body.is_empty() || body.len() > 5 {
        return None;
    }
    Some(body.iter().fold(0u32, |v, &x| (v << 8) | u32::from(x)))
}

/// A `GetResponse` to the request `request_id`, or `None` (another answer, or not SNMP).
pub fn parse_response(bytes: &[u8], request_id: u32) -> Option<SnmpReply> {
    let (0x30, message, _) = read(bytes)? else {
        return None;
    };
    let (0x02, _version, rest) = read(message)? else {
        return None;
    };
    let (0x04, community, rest) = read(rest)? else {
        return None;
    };
    let (0xa2, pdu, _) = read(rest)? else {
        return None;
    };
    let (0x02, id, rest) = read(pdu)? else {
        return None;
    };
    if uint(id)? != request_id {
        return None;
    }
    let (0x02, status, rest) = read(rest)? else {
        return None;
    };
    let (0x02, _index, rest) = read(rest)? else {
        return None;
    };
    let sys_descr = read(rest)
        .filter(|(tag, ..)| *tag == 0x30)
        .and_then(|(_, list, _)| read(list))
        .filter(|(tag, ..)| *tag == 0x30)
        .and_then(|(_, varbind, _)| {
            let (oid_tag, oid, value) = read(varbind)?;
            if oid_tag != 0x06 || oid != SYS_DESCR {
                return None;
            }
            let (0x04, text, _) = read(value)? else {
                return None;
            };
            Some(
                String::from_utf8_lossy(text)
                    .chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .take(MAX_DESCR)
                    .collect::<String>()
                    .trim()
                    .to_string(),
            )
        });
    Some(SnmpReply {
        community: String::from_utf8_lossy(community)
            .chars()
            .filter(|c| !c.is_control())
            .take(64)
            .collect(),
        error_status: uint(status)?,
        sys_descr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_encoded_as_x690_asks() {
        // GetRequest sysDescr.0, community public, request-id 0x1234 (X.690: short lengths,
        // minimal integers); Debian's snmpd answers it in tests/audit.rs.
        assert_eq!(
            get_sys_descr("public", 0x1234),
            [
                0x30, 0x27, 0x02, 0x01, 0x01, 0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', 0xa0,
                0x1a, 0x02, 0x02, 0x12, 0x34, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0e, 0x30,
                0x0c, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, 0x05, 0x00
            ]
        );
        // A request id with its top bit set keeps a positive INTEGER.
        assert!(
            get_sys_descr("p", 0x80)
                .windows(3)
                .any(|w| w == [0x02, 0x02, 0x00])
        );
    }

    fn response(id: u32, status: u8, descr: &[u8]) -> Vec<u8> {
        let value = tlv(0x04, descr);
        let varbind = tlv(0x30, &[tlv(0x06, &SYS_DESCR), value].concat());
        let pdu = tlv(
            0xa2,
            &[
                integer(id),
                tlv(0x02, &[status]),
                integer(0),
                tlv(0x30, &varbind),
            ]
            .concat(),
        );
        tlv(0x30, &[tlv(0x02, &[1]), tlv(0x04, b"public"), pdu].concat())
    }

    #[test]
    fn a_response_is_read_and_another_ignored() {
        let r = parse_response(&response(7, 0, b"Linux cam 5.10\r\n"), 7).unwrap();
        assert_eq!(r.community, "public");
        assert_eq!(r.error_status, 0);
        assert_eq!(r.sys_descr.as_deref(), Some("Linux cam 5.10"));
        assert_eq!(
            parse_response(&response(8, 0, b"x"), 7),
            None,
            "another request"
        );
        let long = vec![b'a'; 300];
        let r = parse_response(&response(9, 0, &long), 9).unwrap();
        assert_eq!(r.sys_descr.unwrap().len(), MAX_DESCR);
        // Cut anywhere: nothing panics.
        let bytes = response(7, 0, b"Linux cam 5.10");
        for n in 0..bytes.len() {
            let _ = parse_response(&bytes[..n], 7);
        }
        assert_eq!(
            parse_response(&get_sys_descr("public", 7), 7),
            None,
            "a request"
        );
    }
}
