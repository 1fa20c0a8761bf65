//! MJPEG `multipart/x-mixed-replace` streams (`proto::mjpeg`) as `analyze::http` reads them: the
//! boundary from the Content-Type or else from the body, then the part splitter fed in pieces as
//! the socket delivers them, and the JPEG size of each part.
//!
//! Input: a byte choosing the piece sizes, a byte choosing the part size limit (the default
//! [`mjpeg::MAX_PART`] or a small one, to reach the oversized-part paths), the Content-Type up to
//! the first `\n`, then the body.
#![no_main]

use camscan_fuzz::{control_byte, pieces};
use libfuzzer_sys::fuzz_target;
use proto::mjpeg::{self, MAX_HEADERS, PartSplitter};

fuzz_target!(|data: &[u8]| {
    let Some((seed, data)) = control_byte(data) else {
        return;
    };
    let Some((limit, data)) = control_byte(data) else {
        return;
    };
    let (content_type, body) = match data.iter().position(|&b| b == b'\n') {
        Some(n) => (&data[..n], &data[n + 1..]),
        None => (&data[..0], data),
    };
    let content_type = String::from_utf8_lossy(content_type);
    let Some(boundary) = mjpeg::boundary(&content_type).or_else(|| mjpeg::boundary_from_body(body))
    else {
        return;
    };
    assert!(!boundary.is_empty() && boundary.len() <= mjpeg::MAX_BOUNDARY);
    let max_part = if limit & 1 == 0 {
        mjpeg::MAX_PART
    } else {
        usize::from(limit) * 16
    };
    let mut splitter = PartSplitter::with_max_part(&boundary, max_part);
    let mut fed = 0usize;
    let mut errors = 0usize;
    for piece in pieces(body, seed) {
        if splitter.is_done() {
            break;
        }
        splitter.feed(piece);
        fed += piece.len();
        loop {
            match splitter.next_part() {
                Ok(Some(part)) => {
                    assert!(part.body.len() <= max_part);
                    assert!(part.headers.len() <= MAX_HEADERS);
                    let _ = (part.content_type(), part.content_length());
                    let _ = mjpeg::jpeg_dimensions(&part.body);
                }
                Ok(None) => break,
                // The caller may go on after an error: the splitter skips to the next boundary.
                // Every error must consume something, or a caller that goes on would spin.
                Err(_) => {
                    errors += 1;
                    assert!(errors <= fed + 2, "splitter errors without progress");
                }
            }
        }
    }
});
