//! ICMPv6 Echo Replies (`proto::icmpv6`): whatever arrives on the all-nodes ping's socket.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::icmpv6;

fuzz_target!(|data: &[u8]| {
    if let Some((id, seq)) = icmpv6::parse_echo_reply(data) {
        assert_eq!(data.get(..2), Some(&[icmpv6::ECHO_REPLY, 0][..]));
        let _ = (id, seq);
    }
});
