//! What a running tool answers a push (`push::tools::items_of`, every tool: Frigate's `GET /api/config`,
//! go2rtc's `GET /api/streams`, MediaMTX's path list) and what the plan does with it: the
//! projection onto what camscan wrote, the masking of passwords, the hash, the hosts of URLs, and
//! a refusal's message.
//!
//! Checked: masking is idempotent and leaves no `user:password@` in any URL; the hash of a
//! read-back is stable; nothing panics on any document or byte string.
#![no_main]

use camscan::push::client::Answer;
use camscan::push::plan::{self, Entry};
use camscan::push::tools::items_of;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

fn no_userinfo(v: &Value) -> bool {
    match v {
        Value::String(s) => s.match_indices("://").all(|(at, _)| {
            let rest = &s[at + 3..];
            let end = rest.find(['/', '?', '#', ' ']).unwrap_or(rest.len());
            !rest[..end].contains('@')
        }),
        Value::Array(a) => a.iter().all(no_userinfo),
        Value::Object(m) => m.values().all(no_userinfo),
        _ => true,
    }
}

fuzz_target!(|data: &[u8]| {
    let answer = Answer {
        status: 400,
        body: String::from_utf8_lossy(data).into_owned(),
        cookies: Vec::new(),
    };
    let _ = answer.message();
    let Ok(doc) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let written = json!({
        "cameras.front": {"ffmpeg": {"inputs": [{"path": "rtsp://h/x", "roles": ["detect"]}]},
                          "detect": {"width": 640, "height": 360}},
        "front": ["rtsp://h/x"],
        "frontsub": {"source": "rtsp://h/y", "sourceOnDemand": true}
    });
    for &tool in camscan::push::tools::TOOLS {
        let running = items_of(tool, &doc);
        let h1 = plan::readback_hash(&running, &written);
        assert_eq!(h1, plan::readback_hash(&running, &written));
        let entry: Entry = running.clone().into_iter().take(8).collect();
        let masked = plan::mask_entry(&entry);
        assert_eq!(plan::mask(&masked), masked, "masking is idempotent");
        assert!(no_userinfo(&masked), "a password left: {masked}");
        let _ = plan::first_difference(&running, &entry);
        for v in running.values().take(64) {
            let _ = plan::project(v, &written["cameras.front"]);
        }
    }
    let _ = plan::url_host(&String::from_utf8_lossy(data));
});
