//! `WWW-Authenticate` values (`proto::auth`), the login schemes named from them (the capability
//! sheet's) and the scheme and realm the detectors take from them (`detect::head`).
#![no_main]

use camscan::detect::head;
use camscan::proto::auth;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let value = String::from_utf8_lossy(data);
    let challenges = auth::parse_challenges(&value);
    assert!(challenges.len() <= 8);
    let _ = head::best_scheme(&challenges);
    let _ = head::realm(&challenges);
    for c in &challenges {
        let name = auth::login_scheme(c);
        assert!(name.len() <= 40 && name.is_ascii());
    }
    // The input as one header value and as one per line.
    let offered = auth::offered_logins(value.lines().chain([value.as_ref()]));
    assert!(offered.len() <= 64);
});
