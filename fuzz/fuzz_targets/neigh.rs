//! The kernel's neighbour table text (`proto::neigh`): `/proc/net/arp` and `ip -6 neigh show`. `discovery::arp` reads `/proc/net/arp`
//! with `read_to_string`, so input that is not UTF-8 never reaches the parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::neigh;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for n in neigh::parse_proc_net_arp(text) {
        assert_eq!(n.mac.len(), 17);
    }
    for n in neigh::parse_ip_neigh(text) {
        assert_eq!(n.mac.len(), 17);
    }
    let _ = neigh::parse_neigh_stat(text);
});
