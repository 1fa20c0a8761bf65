//! YAML: the JSON document (same fields, same order), for people who keep inventories in YAML.
//!
//! The document is the report's serde form taken through yaml_serde (`serde_yaml` here), and written
//! out by a small block-style emitter of ours, because yaml_serde writes strings plain whenever YAML
//! 1.2 reads them back as strings: a camera named `on`, firmware `12:30` or a timestamp come out
//! bare, and YAML 1.1 readers (PyYAML, many Ruby and Go tools) read them as `True`, `750` and a
//! datetime (see the `yaml_serde_alone_leaves_them_plain` test). Here a string is plain only when it
//! starts with a letter or `/`, holds nothing but letters, digits and URL punctuation, and is not one
//! of YAML 1.1's boolean or null words; every other string is double-quoted, with escapes for
//! control characters, so any string round-trips exactly.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde_yaml::{Mapping, Value};

use super::Exporter;
use model::Report;

pub struct YamlExporter;

impl Exporter for YamlExporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let tree = serde_yaml::to_value(report).map_err(io::Error::other)?;
        out.write_all(block(&tree).as_bytes())
    }
}

/// `tree` as this module writes YAML: block style, every string a YAML 1.1 reader could misread
/// quoted. The configuration exports write their documents with it too.
pub(super) fn block(tree: &Value) -> String {
    let mut text = String::new();
    match tree {
        Value::Mapping(m) if !m.is_empty() => mapping(&mut text, m, 0),
        other => {
            scalar(&mut text, other);
            text.push('\n');
        }
    }
    text
}

/// Words YAML 1.1 resolves to booleans or null (`y`/`n` per the 1.1 type repository), and the
/// special floats, compared case-insensitively.
const SPECIAL_WORDS: [&str; 14] = [
    "y", "yes", "n", "no", "true", "false", "on", "off", "null", "nan", "inf", "infinity", "~", "",
];

/// Whether `s` can be written as a plain scalar that every YAML reader, 1.1 or 1.2, reads back as
/// this very string.
fn plain_is_safe(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    // A letter or `/` first: no number, date, sexagesimal, indicator (`-`, `?`, `:`, `&`, `*`, `!`,
    // `|`, `>`, `%`, `@`, quote) or special float (`.inf`) starts that way.
    (first.is_ascii_alphabetic() || first == '/')
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    ' ' | '.'
                        | '_'
                        | '-'
                        | '/'
                        | '+'
                        | '('
                        | ')'
                        | ':'
                        | '@'
                        | ','
                        | '='
                        | '%'
                        | '?'
                        | '&'
                )
        })
        && !s.ends_with([' ', ':'])
        && !s.contains(": ")
        && !SPECIAL_WORDS.iter().any(|w| s.eq_ignore_ascii_case(w))
}

fn string(out: &mut String, s: &str) {
    if plain_is_safe(s) {
        out.push_str(s);
        return;
    }
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            // Controls (C0, DEL, C1: YAML's non-printables), the line separators YAML 1.1 breaks
            // lines at, BOM and non-characters, and bidi overrides, which could disguise the text.
            c if c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') =>
            {
                let n = c as u32;
                let _ = if n <= 0xFF {
                    write!(out, "\\x{n:02X}")
                } else {
                    write!(out, "\\u{n:04X}")
                };
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A float YAML 1.1 also reads as one: always with a `.` (1.1 floats need it), never an exponent.
/// NaN and infinities are `null`, as in the JSON document.
fn float(out: &mut String, f: f64) {
    if !f.is_finite() {
        out.push_str("null");
    } else {
        let start = out.len();
        let _ = write!(out, "{f}");
        if !out[start..].contains('.') {
            out.push_str(".0");
        }
    }
}

/// A value on the line it belongs to: scalars and empty collections.
fn scalar(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.is_f64(), n.as_f64()) {
            (true, Some(f)) => float(out, f),
            _ => {
                let _ = write!(out, "{n}");
            }
        },
        Value::String(s) => string(out, s),
        Value::Sequence(_) => out.push_str("[]"),
        Value::Mapping(_) => out.push_str("{}"),
        // The model has no tagged enums; write the value itself.
        Value::Tagged(t) => scalar(out, &t.value),
    }
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// The longest key written as `key: value`; YAML 1.2 allows 1024 characters with the `:` and the
/// separation space after it.
const IMPLICIT_KEY_MAX: usize = 1000;

/// `key: value` lines at `indent`; nested mappings two spaces deeper, sequences at the key's own
/// indentation (as libyaml, and so yaml_serde, writes them).
fn mapping(out: &mut String, m: &Mapping, indent: usize) {
    for (k, v) in m {
        pad(out, indent);
        let mut key = String::new();
        scalar(&mut key, k);
        // YAML 1.2 (section 7.4.2) limits an implicit key to 1024 characters: a longer one (only
        // a map keyed by device data could have one) is written as an explicit `? key`.
        if key.chars().count() > IMPLICIT_KEY_MAX {
            out.push_str("? ");
            out.push_str(&key);
            out.push('\n');
            pad(out, indent);
        } else {
            out.push_str(&key);
        }
        out.push(':');
        match v {
            Value::Sequence(items) if !items.is_empty() => {
                out.push('\n');
                sequence(out, items, indent);
            }
            Value::Mapping(m) if !m.is_empty() => {
                out.push('\n');
                mapping(out, m, indent + 2);
            }
            Value::Tagged(t) => {
                out.push(' ');
                scalar(out, &t.value);
                out.push('\n');
            }
            other => {
                out.push(' ');
                scalar(out, other);
                out.push('\n');
            }
        }
    }
}

/// `- item` lines at `indent`; a collection item starts on the dash's line.
fn sequence(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        pad(out, indent);
        out.push_str("- ");
        let mut nested = String::new();
        match item {
            Value::Mapping(m) if !m.is_empty() => mapping(&mut nested, m, indent + 2),
            Value::Sequence(inner) if !inner.is_empty() => sequence(&mut nested, inner, indent + 2),
            other => {
                scalar(out, other);
                out.push('\n');
                continue;
            }
        }
        // Its first line goes on the dash's line: drop that line's indentation.
        out.push_str(&nested[indent + 2..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::report;

    fn render(report: &Report) -> String {
        crate::fixtures::render(&YamlExporter, report)
    }

    /// Roughly what a YAML 1.1 reader's implicit resolvers (PyYAML's) take for something other than a
    /// string: booleans, nulls, and anything shaped like a number, sexagesimal or date. Errs towards
    /// "not a string".
    fn yaml11_not_a_string(s: &str) -> bool {
        const WORDS: [&str; 10] = [
            "y", "yes", "n", "no", "true", "false", "on", "off", "null", "~",
        ];
        if s.is_empty() || s == "<<" || s == "=" || WORDS.iter().any(|w| s.eq_ignore_ascii_case(w))
        {
            return true;
        }
        let body = s.strip_prefix(['-', '+']).unwrap_or(s);
        let lower = body.to_ascii_lowercase();
        if matches!(lower.as_str(), ".inf" | ".nan") {
            return true;
        }
        let starts_numeric = body.starts_with(|c: char| c.is_ascii_digit())
            || (body.starts_with('.') && body[1..].starts_with(|c: char| c.is_ascii_digit()));
        starts_numeric
            && body
                .chars()
                .all(|c| c.is_ascii_hexdigit() || "xXoObB_:.+-tTzZ ".contains(c))
    }

    /// Every plain (unquoted) scalar of our block output.
    fn plain_scalars(text: &str) -> Vec<&str> {
        let mut found = Vec::new();
        for line in text.lines() {
            let mut rest = line.trim_start();
            while let Some(r) = rest.strip_prefix("- ") {
                rest = r;
            }
            let value = match rest.split_once(": ") {
                Some((_key, value)) => value,
                None if rest.ends_with(':') => continue,
                None => rest,
            };
            if !(value.starts_with('"') || value == "[]" || value == "{}") {
                found.push(value);
            }
        }
        found
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&report()));
    }

    #[test]
    fn parses_back_into_the_same_report() {
        let report = report();
        let back: Report = serde_yaml::from_str(&render(&report)).unwrap();
        assert_eq!(back, report);
        // And carries exactly the JSON document.
        let as_json: serde_json::Value = serde_yaml::from_str(&render(&report)).unwrap();
        assert_eq!(as_json, serde_json::to_value(&report).unwrap());
    }

    #[test]
    fn strings_a_yaml_1_1_reader_would_misread_are_quoted() {
        let text = render(&report());
        for line in [
            "name: \"on\"",
            "vendor: \"yes\"",
            "model: \"1e3\"",
            "firmware: \"12:30\"",
            "serial: \"0012\"",
            "hostname: \"~\"",
            "started_at: \"2026-01-01T00:00:00Z\"",
            "- \"198.18.0.0/24\"",
            "ip: \"198.18.0.10\"",
            "level: \"3.1\"",
            "token: \"0777\"",
        ] {
            assert!(
                text.lines()
                    .any(|l| l.trim_start().trim_start_matches("- ") == line
                        || l.trim_start() == line),
                "{line} not found quoted in\n{text}"
            );
        }
        // Whatever YAML 1.1 would read as a non-string is meant to be one (a number, bool or null).
        for plain in plain_scalars(&text) {
            if yaml11_not_a_string(plain) {
                let v: Value = serde_yaml::from_str(plain).unwrap();
                assert!(
                    !matches!(v, Value::String(_)),
                    "{plain:?} is a string that YAML 1.1 reads as something else"
                );
            }
        }
    }

    #[test]
    fn yaml_serde_alone_leaves_them_plain() {
        // Why this module has its own emitter: yaml_serde quotes only what YAML 1.2 would misread.
        for s in ["on", "yes", "12:30", "2026-01-01"] {
            assert_eq!(serde_yaml::to_string(s).unwrap(), format!("{s}\n"));
        }
    }

    #[test]
    fn any_string_round_trips() {
        let mut strings: Vec<String> = (0u32..0x100)
            .filter_map(char::from_u32)
            .map(|c| format!("{c}"))
            .collect();
        strings.extend(
            [
                "on",
                "Off",
                "Y",
                "n",
                "NULL",
                "~",
                "",
                " ",
                "0x1F",
                "0o17",
                "0b101",
                "0777",
                "+1",
                "-1.5",
                ".5",
                "1_000",
                "1e3",
                "1E-3",
                ".inf",
                "-.INF",
                ".NaN",
                "190:20:30",
                "12:30",
                "2001-12-14t21:59:43.10-05:00",
                "2026-01-01",
                "<<",
                "=",
                "- x",
                "? x",
                "a: b",
                "a #b",
                "a:",
                "#x",
                "&a",
                "*a",
                "!t",
                "|",
                ">",
                "%x",
                "@x",
                "`x",
                "'x'",
                "\"x\"",
                "[x]",
                "{x}",
                "x\u{2028}y",
                "\u{feff}x",
                "a\u{202e}b",
                "\u{10FFFF}",
                "café",
                "rtsp://u:p@h:554/a?b=1&c=2",
                "line\nbreak\r\n",
                "\ttab",
                "trailing ",
            ]
            .map(String::from),
        );
        let mut report = report();
        for s in strings {
            report.devices[0].name = Some(s.clone());
            report.devices[0].services[0].methods = vec![s.clone()];
            let text = render(&report);
            let back: Report =
                serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{s:?}: {e}\n{text}"));
            assert_eq!(back.devices[0].name.as_deref(), Some(s.as_str()), "{text}");
            assert_eq!(
                back.devices[0].services[0].methods,
                std::slice::from_ref(&s)
            );
            for plain in plain_scalars(&text) {
                assert!(!plain.contains(|c: char| c.is_control()), "{plain:?}");
            }
        }
    }

    #[test]
    fn floats_keep_a_point() {
        let mut s = String::new();
        for f in [25.0, 187.5, 1e20, 1e-7, -0.0, f64::NAN, f64::NEG_INFINITY] {
            float(&mut s, f);
            s.push(' ');
        }
        assert_eq!(
            s,
            "25.0 187.5 100000000000000000000.0 0.0000001 -0.0 null null "
        );
    }
}
