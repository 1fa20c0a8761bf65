//! Dahua DHIP datagrams (`proto::dhip`): 32-byte header and JSON body.
#![no_main]

use proto::dhip;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = dhip::parse(data);
});
