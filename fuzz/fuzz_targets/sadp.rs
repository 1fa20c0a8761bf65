//! Hikvision SADP datagrams (`proto::sadp`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::sadp;

fuzz_target!(|data: &[u8]| {
    let _ = sadp::parse(data);
});
