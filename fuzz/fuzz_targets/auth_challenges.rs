//! `WWW-Authenticate` values (`proto::auth`), the login schemes named from them (the capability
//! sheet's), the scheme and realm the detectors take from them (`detect::head`), and the client
//! that answers the strongest (`net::http::strongest_client`, algorithms respelled).
#![no_main]

use detect::head;
use libfuzzer_sys::fuzz_target;
use proto::auth;

fuzz_target!(|data: &[u8]| {
    let value = String::from_utf8_lossy(data);
    let challenges = auth::parse_challenges(&value);
    assert!(challenges.len() <= 8);
    let _ = head::best_scheme(&challenges);
    let _ = head::realm(&challenges);
    for c in &challenges {
        let name = auth::login_scheme(c);
        assert!(name.len() <= 40 && name.is_ascii());
        // A registered algorithm in any case is given its registered spelling, nothing else.
        if let Some(a) = &c.algorithm
            && let Some(r) = auth::registered_algorithm(a)
        {
            assert!(r.eq_ignore_ascii_case(a.trim()));
        }
    }
    // The client answering the strongest challenge (algorithms in any case respelled first).
    let values: Vec<&str> = value.lines().collect();
    let _ = net::http::strongest_client(&values);
    // The input as one header value and as one per line.
    let offered = auth::offered_logins(value.lines().chain([value.as_ref()]));
    assert!(offered.len() <= 64);
});
