//! Every vendor discovery protocol's parser (`discovery::protocols::PROTOCOLS`: DVRIP, Ubiquiti,
//! Hanwha, Vivotek, Sony, Bosch, Foscam, and SADP and DHIP again), each fed the same datagram. A protocol added to
//! the table is fuzzed here without a new target.
#![no_main]

use camscan::discovery::protocols::PROTOCOLS;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for p in &PROTOCOLS {
        let _ = (p.parse)(data, "00000000-0000-4000-8000-000000000000");
    }
});
