//! ffprobe's JSON output (`proto::ffprobe`): a local tool, but it reports what the device sent.
#![no_main]

use proto::ffprobe;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ffprobe::parse(data);
    let _ = ffprobe::codec_name(&String::from_utf8_lossy(data));
});
