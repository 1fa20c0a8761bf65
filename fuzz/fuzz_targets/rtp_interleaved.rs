//! What a playing RTSP connection carries: `proto::rtp::next` over interleaved frames and RTSP
//! messages, each frame's data through `proto::rtp::packet`, the timestamps through the
//! extender: no panic, every item consumes bytes, a payload stays inside its frame.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::rtp::{Extender, Item, next, packet};

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    let mut ext = Extender::default();
    while let Ok(Some((item, n))) = next(rest) {
        assert!(n > 0 && n <= rest.len());
        if let Item::Frame { data, .. } = item
            && let Some(p) = packet(data)
        {
            assert!(p.payload.len() <= data.len());
            let _ = ext.extend(p.timestamp);
        }
        rest = &rest[n..];
    }
});
