//! ICMP Echo over IPv4 (RFC 792, Echo type 8, Echo Reply type 0): host discovery of routed ranges
//! (`net::ping`). Both messages are `type(1) code(1) checksum(2) identifier(2)
//! sequence(2) data`; the checksum is the ones' complement of the ones' complement sum of the
//! message (RFC 792, "Echo or Echo Reply Message"), which the sender computes on a raw socket (a
//! ping socket's kernel fills it in and the identifier too, but a right one does no harm).
//!
//! What arrives depends on the socket: a raw ICMP socket hands every ICMP packet with its IPv4
//! header (RFC 791 §3.1: the header's length is its IHL field, in 32-bit words), a ping socket
//! (`SOCK_DGRAM`) only its own replies, without the header. [`parse_echo_reply`] takes both.

/// ICMP Echo (RFC 792).
pub const ECHO_REQUEST: u8 = 8;
/// ICMP Echo Reply (RFC 792).
pub const ECHO_REPLY: u8 = 0;

/// An Echo with `id`, `seq` and `data`, its checksum computed.
pub fn echo_request(id: u16, seq: u16, data: &[u8]) -> Vec<u8> {
    let mut out = echo_message(ECHO_REQUEST, id, seq, data);
    let sum = checksum(&out);
    out[2..4].copy_from_slice(&sum.to_be_bytes());
    out
}

/// An Echo message of type `kind` (ICMP's or ICMPv6's: RFC 4443 §4 keeps RFC 792's layout) with
/// its checksum left zero.
pub fn echo_message(kind: u8, id: u16, seq: u16, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + data.len());
    out.extend_from_slice(&[kind, 0, 0, 0]);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(data);
    out
}

/// The identifier and sequence number of an Echo message of type `kind`, code 0; `None` for any
/// other message or a short one.
pub(crate) fn echo_fields(message: &[u8], kind: u8) -> Option<(u16, u16)> {
    match message {
        [k, 0, _, _, i0, i1, s0, s1, ..] if *k == kind => Some((
            u16::from_be_bytes([*i0, *i1]),
            u16::from_be_bytes([*s0, *s1]),
        )),
        _ => None,
    }
}

/// The Internet checksum (RFC 1071): ones' complement of the ones' complement sum of 16-bit words.
pub fn checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for pair in bytes.chunks(2) {
        let word = match pair {
            [a, b] => u16::from_be_bytes([*a, *b]),
            [a] => u16::from_be_bytes([*a, 0]),
            _ => 0,
        };
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An Echo Reply's identifier and sequence number, from a packet with its IPv4 header (`with_ip`,
/// a raw socket's) or without (a ping socket's); `None` for any other message or a short one.
pub fn parse_echo_reply(bytes: &[u8], with_ip: bool) -> Option<(u16, u16)> {
    let icmp = if with_ip {
        let first = *bytes.first()?;
        if first >> 4 != 4 {
            return None;
        }
        let ihl = usize::from(first & 0x0f) * 4;
        if ihl < 20 {
            return None;
        }
        bytes.get(ihl..)?
    } else {
        bytes
    };
    echo_fields(icmp, ECHO_REPLY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_checksum_and_reply() {
        let r = echo_request(0x1234, 7, b"camscan");
        assert_eq!(&r[..2], &[ECHO_REQUEST, 0]);
        assert_eq!(&r[4..8], &[0x12, 0x34, 0, 7]);
        // A message with its checksum in place sums to zero.
        assert_eq!(checksum(&r), 0);
        let mut reply = r.clone();
        reply[0] = ECHO_REPLY;
        assert_eq!(parse_echo_reply(&reply, false), Some((0x1234, 7)));
        assert_eq!(parse_echo_reply(&r, false), None, "a request");
        // The same behind a 20-byte IPv4 header, and behind one with options (IHL 6).
        let mut ip = vec![
            0x45, 0, 0, 0, 0, 0, 0, 0, 64, 1, 0, 0, 198, 19, 0, 4, 198, 18, 0, 2,
        ];
        ip.extend_from_slice(&reply);
        assert_eq!(parse_echo_reply(&ip, true), Some((0x1234, 7)));
        let mut opts = vec![0x46; 1];
        opts.extend_from_slice(&[0u8; 23]);
        opts.extend_from_slice(&reply);
        assert_eq!(parse_echo_reply(&opts, true), Some((0x1234, 7)));
        // A header that claims less than 20 bytes, or runs past the packet, or is not IPv4.
        assert_eq!(parse_echo_reply(&[0x44, 0, 0, 0], true), None);
        assert_eq!(parse_echo_reply(&[0x4f; 30], true), None);
        assert_eq!(parse_echo_reply(&[0x60; 40], true), None);
        assert_eq!(parse_echo_reply(&[], true), None);
        assert_eq!(parse_echo_reply(&reply[..7], false), None);
        // Destination unreachable (type 3) is no reply.
        assert_eq!(parse_echo_reply(&[3, 1, 0, 0, 0, 0, 0, 0], false), None);
    }

    /// RFC 1071 §3's worked example: the words 0001 f203 f4f5 f6f7 sum to ddf2 (its ones'
    /// complement 220d).
    #[test]
    fn checksum_of_rfc_1071() {
        assert_eq!(
            checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            !0xddf2
        );
        // An odd length pads with a zero byte.
        assert_eq!(checksum(&[0xff]), !0xff00);
    }
}
