//! ARP for IPv4 over Ethernet (RFC 826) as an `AF_PACKET`/`SOCK_DGRAM` socket sees it: the 28-byte
//! payload, the kernel adds and strips the Ethernet header. Requests are built here; anything read
//! from the wire is checked field by field and returned only when it is an IPv4-over-Ethernet ARP
//! message whose sender is a real address (ARP probes from hosts checking for conflicts carry
//! 0.0.0.0 and say nothing about who owns an address).

use std::net::Ipv4Addr;

/// Bytes of an IPv4-over-Ethernet ARP message.
pub const LEN: usize = 28;
/// Ethertype of ARP (the `AF_PACKET` protocol to bind).
pub const ETHERTYPE: u16 = 0x0806;

const HTYPE_ETHERNET: u16 = 1;
const PTYPE_IPV4: u16 = 0x0800;
const OP_REQUEST: u16 = 1;
const OP_REPLY: u16 = 2;

/// A request "who has `target`? tell `sender_ip`" from our interface.
pub fn request(sender_mac: [u8; 6], sender_ip: Ipv4Addr, target: Ipv4Addr) -> [u8; LEN] {
    let mut p = [0u8; LEN];
    p[0..2].copy_from_slice(&HTYPE_ETHERNET.to_be_bytes());
    p[2..4].copy_from_slice(&PTYPE_IPV4.to_be_bytes());
    p[4] = 6;
    p[5] = 4;
    p[6..8].copy_from_slice(&OP_REQUEST.to_be_bytes());
    p[8..14].copy_from_slice(&sender_mac);
    p[14..18].copy_from_slice(&sender_ip.octets());
    // Target hardware address stays zero: that is what we ask for.
    p[24..28].copy_from_slice(&target.octets());
    p
}

/// What an ARP message says about its sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sender {
    pub ip: Ipv4Addr,
    pub mac: [u8; 6],
    /// A reply (opcode 2); otherwise a request, which proves the sender alive just as well.
    pub reply: bool,
    /// The address asked about (a request's "who has"; a reply's is the asker's). A request whose
    /// sender is outside the scanner's subnets and whose target is in the sender's own subnet is
    /// a device asking for its gateway (`discovery::arp`, misaddressed cameras); a gratuitous
    /// announcement has target = sender (RFC 5227 §3).
    pub target: Ipv4Addr,
}

/// Parse an ARP message; `None` for anything that is not IPv4-over-Ethernet with a usable sender.
pub fn parse(bytes: &[u8]) -> Option<Sender> {
    let p = bytes.get(..LEN)?;
    let be16 = |i: usize| u16::from_be_bytes([p[i], p[i + 1]]);
    if be16(0) != HTYPE_ETHERNET || be16(2) != PTYPE_IPV4 || p[4] != 6 || p[5] != 4 {
        return None;
    }
    let reply = match be16(6) {
        OP_REPLY => true,
        OP_REQUEST => false,
        _ => return None,
    };
    let mac: [u8; 6] = p[8..14].try_into().ok()?;
    let ip = Ipv4Addr::new(p[14], p[15], p[16], p[17]);
    let unusable_mac = mac == [0; 6] || mac == [0xff; 6] || mac[0] & 1 == 1;
    if ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() || unusable_mac {
        return None;
    }
    let target = Ipv4Addr::new(p[24], p[25], p[26], p[27]);
    Some(Sender {
        ip,
        mac,
        reply,
        target,
    })
}

/// `aa:bb:cc:dd:ee:ff`, lowercase.
pub fn format_mac(mac: [u8; 6]) -> String {
    let [a, b, c, d, e, f] = mac;
    format!("{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{f:02x}")
}

/// Read `aa:bb:cc:dd:ee:ff` (or with `-`), any case.
pub fn parse_mac(text: &str) -> Option<[u8; 6]> {
    let mut mac = [0u8; 6];
    let mut parts = text.trim().split([':', '-']);
    for byte in &mut mac {
        let part = parts.next()?;
        if part.len() != 2 {
            return None;
        }
        *byte = u8::from_str_radix(part, 16).ok()?;
    }
    parts.next().is_none().then_some(mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];

    #[test]
    fn request_layout() {
        let r = request(
            OURS,
            Ipv4Addr::new(198, 18, 0, 1),
            Ipv4Addr::new(198, 18, 0, 11),
        );
        assert_eq!(&r[..8], &[0, 1, 8, 0, 6, 4, 0, 1]);
        assert_eq!(&r[8..14], &OURS);
        assert_eq!(&r[14..18], &[198, 18, 0, 1]);
        assert_eq!(&r[18..24], &[0; 6]);
        assert_eq!(&r[24..], &[198, 18, 0, 11]);
        // Our own request parses as a request from us.
        let s = parse(&r).unwrap();
        assert!(!s.reply);
        assert_eq!(s.ip, Ipv4Addr::new(198, 18, 0, 1));
        assert_eq!(s.target, Ipv4Addr::new(198, 18, 0, 11));
    }

    #[test]
    fn reply_from_camera() {
        let mut r = request(
            [0x44, 0x19, 0xb6, 0, 0, 0x11],
            Ipv4Addr::new(198, 18, 0, 11),
            Ipv4Addr::new(198, 18, 0, 1),
        );
        r[7] = 2;
        let mut padded = r.to_vec();
        padded.extend_from_slice(&[0; 18]); // Ethernet minimum-size padding
        let s = parse(&padded).unwrap();
        assert!(s.reply);
        assert_eq!(s.ip, Ipv4Addr::new(198, 18, 0, 11));
        assert_eq!(format_mac(s.mac), "44:19:b6:00:00:11");
    }

    #[test]
    fn rejects_what_says_nothing() {
        let good = request(
            OURS,
            Ipv4Addr::new(198, 18, 0, 1),
            Ipv4Addr::new(198, 18, 0, 2),
        );
        assert!(parse(&good[..27]).is_none());
        assert!(parse(&[]).is_none());
        let mut probe = good;
        probe[14..18].copy_from_slice(&[0, 0, 0, 0]); // RFC 5227 probe
        assert!(parse(&probe).is_none());
        let mut op = good;
        op[7] = 3; // RARP
        assert!(parse(&op).is_none());
        let mut v6 = good;
        v6[2..4].copy_from_slice(&[0x86, 0xdd]);
        assert!(parse(&v6).is_none());
        let mut multicast_mac = good;
        multicast_mac[8] = 0x01;
        assert!(parse(&multicast_mac).is_none());
    }

    #[test]
    fn mac_text() {
        assert_eq!(
            parse_mac("44:19:B6:00:00:11"),
            Some([0x44, 0x19, 0xb6, 0, 0, 0x11])
        );
        assert_eq!(
            parse_mac("44-19-b6-00-00-11\n"),
            Some([0x44, 0x19, 0xb6, 0, 0, 0x11])
        );
        assert_eq!(parse_mac("44:19:b6:00:00"), None);
        assert_eq!(parse_mac("44:19:b6:00:00:11:22"), None);
        assert_eq!(parse_mac("4:19:b6:00:00:11"), None);
        assert_eq!(parse_mac("zz:19:b6:00:00:11"), None);
    }
}
