//! SNMP responses (`proto::snmp`), as `camscan audit` reads an agent's answer, checked against
//! their own request id (bytes 15..17 when the framing is short) and a fixed one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::snmp::{self, MAX_DESCR};

fuzz_target!(|data: &[u8]| {
    let own = data
        .get(15..17)
        .map(|b| u32::from(b[0]) << 8 | u32::from(b[1]))
        .unwrap_or(0);
    for id in [own, 7] {
        if let Some(r) = snmp::parse_response(data, id) {
            if let Some(d) = &r.sys_descr {
                assert!(d.chars().count() <= MAX_DESCR);
            }
        }
    }
});
