//! RTSP and HTTP response heads (`proto::response`) as the RTSP/HTTP clients read them, and the
//! service facts and auth challenges the detectors take from them (`detect::head`).
#![no_main]

use detect::head;
use libfuzzer_sys::fuzz_target;
use model::Protocol;
use proto::response::{self, HeadProtocol, MAX_HEAD_BYTES, MAX_HEADERS};

fuzz_target!(|data: &[u8]| {
    let _ = response::find_head_end(data);
    let Ok(Some((h, len))) = response::parse_head(data) else {
        return;
    };
    assert!(len <= data.len() && len <= MAX_HEAD_BYTES);
    assert!(h.headers.len() <= MAX_HEADERS);
    // The head does not depend on the body after it, and a client that reads it in pieces is told
    // to wait for more until the blank line arrives.
    assert_eq!(
        response::parse_head(&data[..len]),
        Ok(Some((h.clone(), len)))
    );
    assert_eq!(response::parse_head(&data[..len - 1]), Ok(None));
    assert_eq!(response::parse_head(&data[..len / 2]), Ok(None));

    let _ = h.content_length();
    let _ = h.headers_named("www-authenticate").count();
    let protocol = match h.protocol {
        HeadProtocol::Rtsp => Protocol::Rtsp,
        HeadProtocol::Http => Protocol::Http,
    };
    let service = head::service(554, protocol, &h);
    assert!(service.methods.len() <= 32);
    let challenges = head::challenges(&h);
    let _ = head::best_scheme(&challenges);
    let _ = head::realm(&challenges);
});
