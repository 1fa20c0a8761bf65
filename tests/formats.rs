//! Any string a device can send keeps every document format valid: reports drawn at random from the
//! shipped JSON Schema (docs/reference/camscan.schema.json: every field, hostile strings in every
//! string the model carries, boundary numbers), each read back into camscan's own types, rendered
//! in every document format by camscan's exporters, and read by parsers of other languages against
//! the shipped schemas (`scripts/check-formats`: Python's json and jsonschema, libxml2's `xmllint
//! --schema` with docs/reference/camscan.xsd, expat, ruamel.yaml's YAML 1.2 loader, Python's csv).
//!
//! No network. `CAMSCAN_FORMATS_SEED` and `CAMSCAN_FORMATS_CASES` repeat or widen a run.

mod common;

use std::path::Path;
use std::process::Command;

use serde_json::{Map, Value, json};

/// A small deterministic generator (xorshift64*): a failure names its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// What devices have sent, or could: markup of every format camscan writes, YAML 1.1 look-alikes,
/// spreadsheet formulas, playlist lines, every kind of control and odd Unicode character.
const HOSTILE: &[&str] = &[
    "",
    " ",
    "on",
    "yes",
    "~",
    "null",
    "0012",
    "1e3",
    "12:30",
    "2026-01-01",
    "- x",
    "? y",
    "key: value",
    "#comment",
    "'quoted'",
    "\"double\"",
    "=1+2",
    "+1",
    "-1",
    "@SUM(A1)",
    "a,b;c|d",
    "line\nbreak",
    "cr\rlf\r\n",
    "\ttab",
    "nul\u{0}",
    "\u{1b}[31mred\u{1b}[0m",
    "\u{7f}",
    "\u{85}next line",
    "\u{2028}line separator",
    "\u{202E}right-to-left",
    "\u{FEFF}bom",
    "\u{FFFE}",
    "\u{FFFF}",
    "\u{10FFFF}",
    "\u{1F4F7} camera",
    "]]>",
    "<!--",
    "<tag attr='x'>&amp;</tag>",
    "&#0;",
    "404",
    "\\",
    "\\u{1b}",
    "%00",
    "#EXTINF:-1,fake\nrtsp://evil/",
    "{\"json\": 1}",
    "!!python/object",
    "*alias",
    "&anchor",
    "|",
    ">",
    "%YAML 1.2",
    "---",
    "...",
    "Hikvision",
    "rtsp://198.18.0.10:554/Streaming/Channels/101",
];

fn string(rng: &mut Rng) -> String {
    let mut s = String::new();
    for _ in 0..=rng.below(3) {
        match rng.below(10) {
            0 => s.push_str(&"x".repeat(1 + rng.below(3000))),
            1 => {
                // Any scalar value at all.
                let c = loop {
                    if let Some(c) = char::from_u32((rng.next() % 0x11_0000) as u32) {
                        break c;
                    }
                };
                s.push(c);
            }
            _ => s.push_str(HOSTILE[rng.below(HOSTILE.len())]),
        }
    }
    s
}

fn ip(rng: &mut Rng, format: &str) -> String {
    if format == "ipv4" || (format == "ip" && rng.chance(70)) {
        format!("198.18.{}.{}", rng.below(256), rng.below(256))
    } else {
        format!("fd00::{:x}", rng.next() as u16)
    }
}

fn integer(rng: &mut Rng, s: &Value) -> Value {
    let max = match s.get("format").and_then(Value::as_str) {
        Some("uint8") => u8::MAX as u64,
        Some("uint16") => u16::MAX as u64,
        Some("uint32") => u32::MAX as u64,
        Some("uint64" | "uint") => u64::MAX,
        Some("int32") => i32::MAX as u64,
        _ => i64::MAX as u64,
    };
    let max = s.get("maximum").and_then(Value::as_u64).unwrap_or(max);
    let min = s.get("minimum").and_then(Value::as_u64).unwrap_or(0);
    let v = match rng.below(4) {
        0 => min,
        1 => max,
        _ => min + rng.next() % (max - min).saturating_add(1).max(1),
    };
    json!(v.min(max))
}

fn number(rng: &mut Rng) -> Value {
    const ODD: &[f64] = &[
        0.0,
        0.1,
        25.0,
        29.97,
        1e-7,
        1.5e300,
        123_456_789.125,
        5e-324,
    ];
    json!(match rng.below(3) {
        0 => ODD[rng.below(ODD.len())],
        _ => (rng.next() % 1_000_000) as f64 / 1000.0,
    })
}

/// The strings an enumeration allows, if the schema is one.
fn enumeration(s: &Value) -> Option<Vec<Value>> {
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        return Some(e.clone());
    }
    if let Some(c) = s.get("const") {
        return Some(vec![c.clone()]);
    }
    let mut all = Vec::new();
    for p in s.get("oneOf")?.as_array()? {
        all.extend(enumeration(p)?);
    }
    Some(all)
}

/// A value valid against `s` (a schema of the report's), with every field present most of the time.
fn draw(rng: &mut Rng, s: &Value, defs: &Map<String, Value>, depth: u32) -> Value {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let def = &defs[r.trim_start_matches("#/$defs/")];
        return draw(rng, def, defs, depth);
    }
    if let Some(any) = s.get("anyOf").and_then(Value::as_array) {
        let choices: Vec<&Value> = any.iter().collect();
        let non_null: Vec<&Value> = choices
            .iter()
            .copied()
            .filter(|c| c.get("type").and_then(Value::as_str) != Some("null"))
            .collect();
        if non_null.len() < choices.len() && rng.chance(15) {
            return Value::Null;
        }
        let pick = rng.below(non_null.len());
        return draw(rng, non_null[pick], defs, depth);
    }
    if let Some(values) = enumeration(s) {
        return values[rng.below(values.len())].clone();
    }
    let ty = match s.get("type") {
        Some(Value::Array(types)) => {
            let non_null: Vec<&Value> = types.iter().filter(|t| *t != "null").collect();
            if non_null.len() < types.len() && rng.chance(15) {
                return Value::Null;
            }
            non_null[0].as_str().unwrap_or("").to_string()
        }
        Some(Value::String(t)) => t.clone(),
        _ => panic!("no rule to draw {s}"),
    };
    match ty.as_str() {
        "string" => match s.get("format").and_then(Value::as_str) {
            Some(f @ ("ip" | "ipv4" | "ipv6")) => json!(ip(rng, f)),
            _ => json!(string(rng)),
        },
        "boolean" => json!(rng.chance(50)),
        "integer" => integer(rng, s),
        "number" => number(rng),
        "array" => {
            let n = if depth > 4 { 0 } else { rng.below(4) };
            Value::Array(
                (0..n)
                    .map(|_| draw(rng, &s["items"], defs, depth + 1))
                    .collect(),
            )
        }
        "object" => {
            let mut out = Map::new();
            if let Some(props) = s.get("properties").and_then(Value::as_object) {
                let required: Vec<&str> = s
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                for (k, p) in props {
                    if required.contains(&k.as_str()) || rng.chance(85) {
                        let v = if k == "url" {
                            // camscan builds a stream's URL (the url crate): a scheme and an
                            // address, then a path a device chose.
                            json!(format!(
                                "rtsp://198.18.0.{}:554/{}",
                                rng.below(256),
                                string(rng)
                            ))
                        } else {
                            draw(rng, p, defs, depth + 1)
                        };
                        out.insert(k.clone(), v);
                    }
                }
            } else if let Some(values) = s.get("additionalProperties") {
                for _ in 0..rng.below(4) {
                    let key = if rng.chance(50) {
                        format!("{}", 100 + rng.below(500))
                    } else {
                        string(rng)
                    };
                    out.insert(key, draw(rng, values, defs, depth + 1));
                }
            }
            Value::Object(out)
        }
        other => panic!("no rule to draw type {other}"),
    }
}

fn render(name: &str, report: &model::Report) -> Vec<u8> {
    let def = export::FORMATS
        .iter()
        .find(|f| f.name == name)
        .expect("a registered format");
    let mut out = Vec::new();
    (def.make)(export::ExportOptions::default())
        .write(report, &mut out)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    out
}

#[test]
fn any_string_a_device_sends_keeps_every_format_valid() {
    let schema = export::schema::json_schema();
    let defs = schema["$defs"].as_object().unwrap().clone();
    let seed: u64 = std::env::var("CAMSCAN_FORMATS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_cafe);
    let cases: usize = std::env::var("CAMSCAN_FORMATS_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let validator = jsonschema::validator_for(&schema).expect("the shipped schema compiles");
    let dir = tempfile::Builder::new()
        .prefix("camscan-formats")
        .disable_cleanup(std::env::var_os("CAMSCAN_FORMATS_KEEP").is_some())
        .tempdir()
        .unwrap();
    let mut rng = Rng(seed | 1);
    for case in 0..cases {
        let doc = draw(&mut rng, &schema, &defs, 0);
        // The schema describes camscan's own types: everything drawn from it reads back into them.
        let report: model::Report = serde_json::from_value(doc.clone()).unwrap_or_else(|e| {
            panic!("seed {seed} case {case}: the drawn report does not read back: {e}")
        });
        let json = render("json", &report);
        let written: Value = serde_json::from_slice(&json).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&written)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "seed {seed} case {case}: camscan's JSON fails its own schema: {errors:?}"
        );
        let stem = dir.path().join(format!("case-{case:03}"));
        std::fs::write(stem.with_extension("json"), &json).unwrap();
        for name in common::reports::RENDERED {
            let ext = export::FORMATS
                .iter()
                .find(|f| f.name == *name)
                .unwrap()
                .extension;
            std::fs::write(stem.with_extension(ext), render(name, &report)).unwrap();
        }
    }
    check_formats(dir.path(), &format!("seed {seed}"));
}

/// `scripts/check-formats` over `dir`, which must pass.
fn check_formats(dir: &Path, what: &str) {
    let out = Command::new(common::lab_python())
        .arg(common::root_dir().join("scripts/check-formats"))
        .arg(dir)
        .output()
        .expect("scripts/check-formats runs (scripts/test installs its Python packages)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{what}:\n{text}");
    // Every format was read, not skipped.
    for kind in ["json", "xmllint", "expat", "ruamel", "csv", "ndjson", "m3u"] {
        assert!(
            text.contains(kind),
            "{what}: nothing read as {kind}:\n{text}"
        );
    }
}

/// The checker refuses what it must: a report that breaks each format's rules fails, naming why.
#[test]
fn the_format_checker_rejects_broken_reports() {
    let dir = tempfile::tempdir().unwrap();
    let good = serde_json::to_vec(&json!({
        "schema_version": 1, "camscan_version": "0", "started_at": "a", "finished_at": "b",
        "complete": true, "targets": [], "devices": [{"ip": "198.18.0.1", "is_camera": false,
        "discovered_by": [], "open_ports": [], "services": [], "streams": [], "errors": []}]
    }))
    .unwrap();
    let cases: &[(&str, &str, &[u8], &str)] = &[
        ("nan", "json", b"{\"schema_version\": NaN}", "not JSON"),
        ("wrongtype", "json", br#"{"schema_version": "1"}"#, "JSON Schema"),
        (
            "element",
            "xml",
            b"<?xml version=\"1.0\"?>\n<camscan schema_version=\"1\" camscan_version=\"0\" complete=\"true\"><started_at>a</started_at><finished_at>b</finished_at><answers><404>1</404></answers></camscan>\n",
            "xmllint",
        ),
        ("yaml11", "yaml", b"schema_version: 1\ncomplete: yes\n", "differs"),
        ("ragged", "csv", b"ip,mac\n1,2,3\n", "cells"),
        ("m3u", "m3u", b"#EXTINF:-1,x\nrtsp://a/\n", "#EXTM3U"),
    ];
    for (stem, ext, bytes, _) in cases {
        if *ext != "json" {
            std::fs::write(dir.path().join(format!("{stem}.json")), &good).unwrap();
        }
        std::fs::write(dir.path().join(format!("{stem}.{ext}")), bytes).unwrap();
    }
    let out = Command::new(common::lab_python())
        .arg(common::root_dir().join("scripts/check-formats"))
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    for (stem, ext, _, why) in cases {
        let line = text
            .lines()
            .find(|l| l.contains(&format!("{stem}.{ext}:")))
            .unwrap_or_else(|| panic!("{stem}.{ext} not refused:\n{text}"));
        assert!(line.contains(why), "{stem}.{ext}: {line}");
    }
}
