//! HTTP fingerprints (`detect::fingerprint`): the title of a root page, and `classify` over the
//! observations of one port, built as `analyze::http` builds them.
//!
//! Input: up to 8 HTTP responses (head and body) separated by NUL bytes; the first is the answer
//! to `GET /`, the others to the probe paths in order. Responses whose head does not parse are left
//! out, as a failed fetch is.
#![no_main]

use detect::fingerprint::{self, MAX_CONFIDENCE, MAX_TITLE_CHARS, Observation};
use libfuzzer_sys::fuzz_target;
use proto::response::{ResponseHead, parse_head};

fuzz_target!(|data: &[u8]| {
    if let Some(t) = fingerprint::title(data) {
        assert!(t.chars().count() <= MAX_TITLE_CHARS);
    }
    let probes = fingerprint::probe_paths();
    let mut answers: Vec<(&str, ResponseHead, &[u8])> = Vec::new();
    for (i, raw) in data.split(|&b| b == 0).take(8).enumerate() {
        let path = match i {
            0 => "/",
            n => probes[(n - 1) % probes.len()],
        };
        if let Ok(Some((head, len))) = parse_head(raw) {
            answers.push((path, head, &raw[len..]));
        }
    }
    let observations: Vec<Observation> = answers
        .iter()
        .map(|(path, head, body)| Observation::new(path, head, body))
        .collect();
    let verdict = fingerprint::classify(&observations);
    assert!(verdict.confidence <= MAX_CONFIDENCE);
    let _ = (verdict.kind.as_str(), verdict.kind.is_video());
});
