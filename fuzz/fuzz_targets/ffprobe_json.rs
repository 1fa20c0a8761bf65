//! ffprobe's JSON output (`proto::ffprobe`): a local tool, but it reports what the device sent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::ffprobe;

fuzz_target!(|data: &[u8]| {
    let _ = ffprobe::parse(data);
    let _ = ffprobe::codec_name(&String::from_utf8_lossy(data));
});
