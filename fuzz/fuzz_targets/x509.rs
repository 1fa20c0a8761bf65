//! TLS certificates (`proto::x509`), as a TLS port shows them to `camscan audit`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::x509::{self, MAX_NAME};

fuzz_target!(|data: &[u8]| {
    if let Some(c) = x509::facts(data) {
        assert!(c.subject.chars().count() <= MAX_NAME);
        assert!(c.issuer.chars().count() <= MAX_NAME);
    }
});
