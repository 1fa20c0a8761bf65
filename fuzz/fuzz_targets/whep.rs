//! WHEP answers (`proto::whep`): a whole HTTP reply to a POSTed SDP offer (head, then the body the
//! client keeps), the OPTIONS preflight read from the same head, and a go2rtc `/api/streams` list
//! read from the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::response;
use proto::whep::{self, PostReply};

fuzz_target!(|data: &[u8]| {
    let names = whep::go2rtc_streams(data, 8);
    assert!(names.len() <= 8);
    for name in names {
        assert!(!name.is_empty() && name.len() <= 128);
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
        );
    }
    let Ok(Some((head, len))) = response::parse_head(data) else {
        return;
    };
    let _ = whep::accepts_offers(&head);
    match whep::read_post_reply(&head, &data[len..]) {
        PostReply::Session { answer, location } => {
            assert!(matches!(head.status, 200 | 201));
            assert!(answer.media.iter().any(|m| m.port != Some(0)));
            assert!(location.is_none_or(|l| l.chars().count() <= 1024));
        }
        PostReply::Refused { reason, .. } => assert!(reason.chars().count() <= 128),
        PostReply::NotWhep => {}
    }
});
