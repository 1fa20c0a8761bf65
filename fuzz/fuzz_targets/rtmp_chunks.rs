//! The RTMP chunk stream (`proto::rtmp::chunk::ChunkReader`) fed in pieces as a socket delivers it,
//! and each message read as `analyze::rtmp` does (commands, status, onMetaData).
//!
//! Input: one byte choosing the piece sizes, then the stream. Checked: the messages (and the error
//! that ends them, if any) are the same whether the stream arrives at once or in pieces.
#![no_main]

use camscan_fuzz::{control_byte, pieces};
use libfuzzer_sys::fuzz_target;
use proto::rtmp::chunk::{ChunkReader, MAX_MESSAGE, Message};
use proto::rtmp::{self, RtmpError};

/// Feed `parts` one by one, draining after each; stop at the first error as the caller does.
fn read(parts: &[&[u8]]) -> (Vec<Message>, Option<RtmpError>) {
    let mut r = ChunkReader::new();
    let mut out = Vec::new();
    for p in parts {
        r.feed(p);
        loop {
            match r.next_message() {
                Ok(Some(m)) => {
                    assert!(m.payload.len() <= MAX_MESSAGE);
                    assert!(r.chunk_size() >= 1 && r.chunk_size() <= MAX_MESSAGE);
                    out.push(m);
                }
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    (out, None)
}

fuzz_target!(|data: &[u8]| {
    let Some((seed, stream)) = control_byte(data) else {
        return;
    };
    let whole = read(&[stream]);
    let split = read(&pieces(stream, seed));
    assert_eq!(whole, split, "the result depends on how the bytes arrive");
    for m in &whole.0 {
        if let Ok(cmd) = rtmp::parse_command(m) {
            let _ = rtmp::created_stream_id(&cmd);
            if let Some(st) = rtmp::Status::from_command(&cmd) {
                let _ = st.is(rtmp::PLAY_START);
            }
        }
        if let Some(meta) = rtmp::parse_metadata(m) {
            let _ = meta.video_codec();
            let _ = meta.audio_codec();
        }
    }
});
