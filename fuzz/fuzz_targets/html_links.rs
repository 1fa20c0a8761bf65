//! Media links in a web page (`proto::html`), as `analyze::http` reads the root page.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::html::{self, MAX_LINK, MAX_LINKS};

fuzz_target!(|data: &[u8]| {
    let links = html::media_links(data);
    assert!(links.len() <= MAX_LINKS);
    for (link, kind) in &links {
        assert!(link.len() <= MAX_LINK);
        assert_eq!(html::kind_of(link), Some(*kind));
    }
    let _ = html::kind_of(&String::from_utf8_lossy(data));
});
