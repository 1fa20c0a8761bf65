//! Dahua DHIP datagrams (`proto::dhip`): 32-byte header and JSON body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::dhip;

fuzz_target!(|data: &[u8]| {
    let _ = dhip::parse(data);
});
