//! A TLS server's first record (`proto::tls_hello`), as `camscan audit` reads the answer to its
//! TLS 1.1 ClientHello.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::tls_hello::{self, HelloAnswer};

fuzz_target!(|data: &[u8]| {
    if let Some(HelloAnswer::Agreed(v)) = tls_hello::answer(data) {
        assert!((0x0300..=0x0304).contains(&v));
        let _ = tls_hello::version_name(v);
    }
});
