//! libpq's password file (`store::pgpass`): a file the user writes, read for every PostgreSQL
//! inventory; whatever it holds, parsing never panics and every entry it yields with exact fields
//! is found again by a lookup with those fields (or an earlier line that also matches).
#![no_main]

use libfuzzer_sys::fuzz_target;
use store::pgpass::{self, Field};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let entries = pgpass::parse(text);
    for e in &entries {
        let exact = |f: &Field| match f {
            Field::Exact(s) => Some(s.clone()),
            Field::Any => Some("anything".to_string()),
        };
        let (Some(h), Some(d), Some(u)) = (exact(&e.host), exact(&e.database), exact(&e.user))
        else {
            continue;
        };
        let port = match &e.port {
            Field::Any => 5432,
            // Only a port as libpq prints it ("5432", not "05432") can match.
            Field::Exact(p) => match p.parse::<u16>() {
                Ok(n) if n.to_string() == *p => n,
                _ => continue,
            },
        };
        assert!(pgpass::lookup(&entries, &h, port, &d, &u).is_some());
    }
});
