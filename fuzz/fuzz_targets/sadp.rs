//! Hikvision SADP datagrams (`proto::sadp`).
#![no_main]

use proto::sadp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sadp::parse(data);
});
