//! ICMP Echo Replies over IPv4 (`proto::icmp`): whatever arrives on host discovery's ICMP socket,
//! raw (with the IPv4 header) or a ping socket's (without).
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::icmp;

fuzz_target!(|data: &[u8]| {
    if let Some((id, seq)) = icmp::parse_echo_reply(data, false) {
        assert_eq!(data.get(..2), Some(&[icmp::ECHO_REPLY, 0][..]));
        let _ = (id, seq);
    }
    if icmp::parse_echo_reply(data, true).is_some() {
        let ihl = usize::from(data[0] & 0x0f) * 4;
        assert!(ihl >= 20 && data.len() >= ihl + 8);
        assert_eq!(data[ihl], icmp::ECHO_REPLY);
    }
    let _ = icmp::checksum(data);
});
