//! Firmware and model text as devices report it (ONVIF GetDeviceInformation, UPnP, web pages),
//! read by `knowledge::firmware` for `firmware-advisory`: the version parser, the comparison and
//! the model patterns, and every embedded advisory's range.
//!
//! Checked: nothing panics; a version compares equal to itself; the comparison is antisymmetric;
//! the first half of the input as a pattern never makes the matcher slow (it is a table, not a
//! backtracking search).
#![no_main]

use knowledge::{self, firmware};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mid = (0..=text.len() / 2)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let (a, b) = text.split_at(mid);
    if let Some(v) = firmware::parse(&text) {
        assert_eq!(firmware::compare(&v, &v), firmware::Order::Equal);
    }
    let (x, y) = (firmware::compare_text(a, b), firmware::compare_text(b, a));
    let flipped = match x {
        firmware::Order::Less => firmware::Order::Greater,
        firmware::Order::Greater => firmware::Order::Less,
        o => o,
    };
    assert_eq!(flipped, y);
    let _ = firmware::model_matches(a, b);
    for adv in &knowledge::embedded().advisories {
        for line in &adv.affected {
            let _ = line.contains(&text);
            for p in &line.models {
                let _ = firmware::model_matches(p, &text);
            }
        }
    }
});
