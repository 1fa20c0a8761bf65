//! ICMPv6 Echo (RFC 4443 §4.1 Echo Request, type 128; §4.2 Echo Reply, type 129): the all-nodes
//! ping that finds a link's IPv6 neighbours (`net::ndp`). Both messages are
//! `type(1) code(1) checksum(2) identifier(2) sequence(2) data`. The checksum covers an IPv6
//! pseudo-header the sender does not see; the kernel computes it on ICMPv6 sockets (RFC 3542 §3.1),
//! so a request is built with zero there.

/// ICMPv6 Echo Request (RFC 4443 §4.1).
pub const ECHO_REQUEST: u8 = 128;
/// ICMPv6 Echo Reply (RFC 4443 §4.2).
pub const ECHO_REPLY: u8 = 129;

/// An Echo Request with `id`, `seq` and `data` (checksum left to the kernel).
pub fn echo_request(id: u16, seq: u16, data: &[u8]) -> Vec<u8> {
    super::icmp::echo_message(ECHO_REQUEST, id, seq, data)
}

/// An Echo Reply's identifier and sequence number; `None` for any other message.
pub fn parse_echo_reply(bytes: &[u8]) -> Option<(u16, u16)> {
    super::icmp::echo_fields(bytes, ECHO_REPLY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_and_reply() {
        let r = echo_request(0x1234, 7, b"camscan");
        assert_eq!(&r[..8], &[128, 0, 0, 0, 0x12, 0x34, 0, 7]);
        assert_eq!(&r[8..], b"camscan");
        let mut reply = r.clone();
        reply[0] = ECHO_REPLY;
        assert_eq!(parse_echo_reply(&reply), Some((0x1234, 7)));
        assert_eq!(parse_echo_reply(&r), None);
        assert_eq!(parse_echo_reply(&reply[..7]), None);
        assert_eq!(parse_echo_reply(&[]), None);
        // Neighbour Advertisement (type 136) is not an echo reply.
        assert_eq!(parse_echo_reply(&[136, 0, 0, 0, 0, 0, 0, 0]), None);
    }
}
