//! Server greetings (`proto::greeting`): SSH identification, FTP 220, Telnet negotiation, as
//! detection reads them from ports that speak first.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::greeting::{self, MAX_TEXT};

fuzz_target!(|data: &[u8]| {
    if let Some(g) = greeting::classify(data) {
        assert!(g.text.chars().count() <= MAX_TEXT * 2);
        assert!(!g.text.chars().any(char::is_control));
    }
});
