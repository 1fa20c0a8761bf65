//! JPEG sizes from the SOF header (`proto::mjpeg::jpeg_dimensions`), as read from snapshots and
//! MJPEG parts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::mjpeg;

fuzz_target!(|data: &[u8]| {
    if let Some((w, h)) = mjpeg::jpeg_dimensions(data) {
        assert!(w > 0 && h > 0);
    }
});
