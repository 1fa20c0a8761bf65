//! `Transfer-Encoding: chunked` bodies (`proto::http::dechunk`) with the byte limits the HTTP
//! client passes.
//!
//! Input: two bytes (big-endian) giving the limit, then the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::http;

fuzz_target!(|data: &[u8]| {
    let [a, b, raw @ ..] = data else {
        return;
    };
    let max = usize::from(u16::from_be_bytes([*a, *b]));
    let out = http::dechunk(raw, max);
    assert!(out.len() <= max);
    assert!(out.len() <= raw.len());
    let _ = http::dechunk(raw, usize::MAX);
});
