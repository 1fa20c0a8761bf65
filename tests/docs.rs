//! The documentation holds together: every relative link in the README, CONTRIBUTING.md,
//! CHANGELOG.md and `docs/` resolves (the file exists; an `#anchor` names a heading of that
//! file, by GitHub's rules), and `docs/reference/cli.md` is what the binary's argument
//! definitions render (`CAMSCAN_BLESS=1 cargo test --test docs` rewrites it). No network:
//! absolute `http(s)` links are not fetched.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use common::samples::generated_block;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// GitHub's heading anchor: lowercased; letters, digits, `-`, `_` and spaces kept (spaces become
/// `-`), everything else dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The lines of a Markdown text outside fenced code blocks (` ``` ` or `~~~`).
fn prose(text: &str) -> Vec<&str> {
    let mut fence: Option<&str> = None;
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        let marker = ["```", "~~~"].into_iter().find(|m| t.starts_with(m));
        match (fence, marker) {
            (None, Some(m)) => fence = Some(m),
            (Some(f), Some(m)) if f == m => fence = None,
            (None, None) => out.push(line),
            _ => {}
        }
    }
    out
}

/// A line without its inline code spans (`` `[a](b)` `` is no link).
fn without_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for c in line.chars() {
        if c == '`' {
            in_code = !in_code;
        } else if !in_code {
            out.push(c);
        }
    }
    out
}

/// The anchors of a Markdown text's headings, with GitHub's `-1`, `-2` for repeats.
fn anchors(text: &str) -> HashSet<String> {
    let mut seen = HashSet::new();
    for line in prose(text) {
        let t = line.trim_start();
        let hashes = t.chars().take_while(|&c| c == '#').count();
        if (1..=6).contains(&hashes) && t[hashes..].starts_with(' ') {
            let base = slug(&t[hashes..].replace('`', ""));
            let mut a = base.clone();
            let mut n = 0;
            while seen.contains(&a) {
                n += 1;
                a = format!("{base}-{n}");
            }
            seen.insert(a);
        }
    }
    seen
}

/// The targets of the inline links and images of a Markdown text: `[text](target)`, with an
/// optional title after a space.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in prose(text) {
        let line = without_code_spans(line);
        let mut rest = line.as_str();
        while let Some(i) = rest.find("](") {
            rest = &rest[i + 2..];
            let Some(end) = rest.find(')') else { break };
            let target = rest[..end].split_whitespace().next().unwrap_or("");
            out.push(target.trim_matches(|c| c == '<' || c == '>').to_string());
            rest = &rest[end..];
        }
    }
    out
}

/// Why a relative link of `from` does not resolve, or `None` when it does.
fn broken(from: &Path, target: &str) -> Option<String> {
    if target.contains("://") || target.starts_with("mailto:") || target.is_empty() {
        return None;
    }
    let (path, anchor) = match target.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (target, None),
    };
    let file: PathBuf = if path.is_empty() {
        from.to_path_buf()
    } else {
        from.parent().unwrap_or(Path::new(ROOT)).join(path)
    };
    if !file.exists() {
        return Some(format!("{target}: no {}", file.display()));
    }
    let anchor = anchor?;
    if file.extension().is_none_or(|e| e != "md") {
        return None;
    }
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    if anchors(&text).contains(anchor) {
        None
    } else {
        Some(format!(
            "{target}: no heading #{anchor} in {}",
            file.display()
        ))
    }
}

/// README.md, CONTRIBUTING.md, CHANGELOG.md and every Markdown file under docs/.
fn documents() -> Vec<PathBuf> {
    let root = Path::new(ROOT);
    let mut out: Vec<PathBuf> = ["README.md", "CONTRIBUTING.md", "CHANGELOG.md"]
        .iter()
        .map(|f| root.join(f))
        .collect();
    let mut dirs = vec![root.join("docs")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "md") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_relative_link_resolves() {
    let mut bad = Vec::new();
    let mut checked = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).expect("readable");
        for target in links(&text) {
            checked += 1;
            if let Some(why) = broken(&doc, &target) {
                let rel = doc.strip_prefix(ROOT).unwrap_or(&doc).display().to_string();
                bad.push(format!("{rel}: {why}"));
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} links found: is the scan broken?"
    );
    assert!(bad.is_empty(), "broken links:\n{}", bad.join("\n"));
}

#[test]
fn the_cli_reference_is_what_the_binary_defines() {
    let path = Path::new(ROOT).join("docs/reference/cli.md");
    let want = camscan::cmds::reference::markdown();
    if std::env::var_os("CAMSCAN_BLESS").is_some() {
        std::fs::write(&path, &want).expect("write docs/reference/cli.md");
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    if have != want {
        let first = have
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(have.lines().count().min(want.lines().count()));
        panic!(
            "docs/reference/cli.md differs from the argument definitions from line {}:\n  file:   {:?}\n  binary: {:?}\nrun `CAMSCAN_BLESS=1 cargo test --test docs` and commit the file",
            first + 1,
            have.lines().nth(first).unwrap_or(""),
            want.lines().nth(first).unwrap_or("")
        );
    }
    // Every subcommand has its section.
    for sub in ["scan", "watch", "serve", "devices", "doctor", "man"] {
        assert!(want.contains(&format!("\n## camscan {sub}\n")), "{sub}");
    }
}

/// The table of output formats in `docs/reference/formats.md` is what the formats'
/// registrations render (`export::FORMATS`).
#[test]
fn the_formats_table_is_what_the_exporters_register() {
    generated_block(
        "docs/reference/formats.md",
        "formats",
        "crates/export/src/lib.rs FORMATS",
        &format!("\n{}\n", export::formats_table()),
    );
}

/// The table of the scan settings in `docs/reference/configuration.md` is what their
/// declarations say (`camscan::scan::settings::SCAN`).
#[test]
fn the_settings_table_is_what_the_declarations_say() {
    generated_block(
        "docs/reference/configuration.md",
        "settings",
        "src/scan/settings.rs SCAN",
        &format!("\n{}\n", camscan::scan::settings::table()),
    );
}

#[test]
fn slugs_follow_github() {
    assert_eq!(slug("The inventory (store)"), "the-inventory-store");
    assert_eq!(
        slug("`--paths` syntax".replace('`', "").as_str()),
        "--paths-syntax"
    );
    assert_eq!(
        slug("Rescans: what worked last time first"),
        "rescans-what-worked-last-time-first"
    );
    assert_eq!(slug("The MAC's maker"), "the-macs-maker");
    assert_eq!(
        slug("camscan watch: schedules, stream health, notifications"),
        "camscan-watch-schedules-stream-health-notifications"
    );
    let a = anchors("# A\n## B\n```\n# not a heading\n```\n## B\n");
    assert!(a.contains("a") && a.contains("b") && a.contains("b-1"));
    assert!(!a.contains("not-a-heading"));
}

#[test]
fn links_outside_code_only() {
    let text = "see [x](a.md#b) and `[y](c.md)`\n```\n[z](d.md)\n```\n![i](p.png \"t\")\n";
    assert_eq!(links(text), vec!["a.md#b", "p.png"]);
    let here = Path::new(ROOT).join("README.md");
    assert!(broken(&here, "no-such-file.md").is_some());
    assert!(broken(&here, "CONTRIBUTING.md#no-such-heading").is_some());
    assert!(broken(&here, "CONTRIBUTING.md").is_none());
    assert!(broken(&here, "https://example.com/x").is_none());
}

/// `scripts/house-report` measures every function, including one whose signature holds an array
/// type (`[u8; 6]` once read as a declaration without a body, so a 141-line function went
/// unreported), and still skips a trait's bodiless declaration.
#[test]
fn the_house_report_measures_every_function() {
    let tree = tempfile::tempdir().unwrap();
    std::fs::create_dir(tree.path().join("src")).unwrap();
    std::fs::write(tree.path().join("README.md"), "# x\n").unwrap();
    let body = "    let _ = 1;\n".repeat(130);
    let source = format!(
        "pub trait T {{\n    fn declared(&self, mac: [u8; 6]);\n}}\n\n\
         pub async fn with_array(\n    on_found: &mut dyn FnMut([u8; 6]),\n) -> [u8; 6] {{\n\
         {body}    [0; 6]\n}}\n\nfn short(x: [u8; 2]) -> u8 {{\n    x[0]\n}}\n"
    );
    std::fs::write(tree.path().join("src/lib.rs"), source).unwrap();
    let out = std::process::Command::new("python3")
        .arg(Path::new(ROOT).join("scripts/house-report"))
        .arg("--root")
        .arg(tree.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("functions over 120 lines: 1"), "{text}");
    assert!(text.contains("135  src/lib.rs:5 with_array"), "{text}");
    assert!(
        !text.contains("declared") && !text.contains("short"),
        "{text}"
    );
}

/// The report's schemas shipped in docs/reference (the JSON Schema and the XSD) are what the
/// model's types draw (`export::schema`); `CAMSCAN_BLESS=1` rewrites them.
#[test]
fn the_shipped_schemas_are_the_models() {
    for (file, want) in [
        (
            "docs/reference/camscan.schema.json",
            export::schema::json_schema_text(),
        ),
        ("docs/reference/camscan.xsd", export::schema::xsd_text()),
    ] {
        let path = Path::new(ROOT).join(file);
        if std::env::var_os("CAMSCAN_BLESS").is_some() {
            std::fs::write(&path, &want).unwrap_or_else(|e| panic!("write {file}: {e}"));
            continue;
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "{file} differs from the model's types: run `CAMSCAN_BLESS=1 cargo test --test docs` \
             and commit the file"
        );
    }
}

/// The marker that says why a ` ```console ` block is not a real run's: on the line before it,
/// with the reason after the colon.
const ILLUSTRATIVE: &str = "<!-- sample: illustrative, not generated: ";

/// Every ` ```console ` block of the README and `docs/` is either what a test's real run printed,
/// between the markers of `common::samples` naming a test file that exists and makes that block,
/// or says on the line before it why it is not (`<!-- sample: illustrative, not generated:
/// REASON -->`, which other samples, of a format's document, carry too). `scripts/bless-docs`
/// runs every test a marker names with `CAMSCAN_BLESS=1`.
#[test]
fn every_console_sample_is_a_real_run_or_says_why_not() {
    let mut wrong = Vec::new();
    let mut generated = 0;
    for doc in documents() {
        if ["CONTRIBUTING.md", "CHANGELOG.md"]
            .iter()
            .any(|f| doc.ends_with(f))
        {
            continue;
        }
        let text = std::fs::read_to_string(&doc).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let name = doc.strip_prefix(ROOT).unwrap().display().to_string();
        for (i, line) in lines.iter().enumerate() {
            if line.trim_start().starts_with(ILLUSTRATIVE)
                && !lines
                    .get(i + 1)
                    .is_some_and(|l| l.trim_start().starts_with("```"))
            {
                wrong.push(format!(
                    "{name}:{}: a sample marker with no block after it",
                    i + 1
                ));
            }
            if line.trim_start() != "```console" {
                continue;
            }
            let before = if i == 0 { "" } else { lines[i - 1].trim() };
            if let Some(reason) = before.strip_prefix(ILLUSTRATIVE) {
                if reason.trim_end_matches("-->").trim().is_empty() {
                    wrong.push(format!(
                        "{name}:{}: an illustrative sample with no reason",
                        i + 1
                    ));
                }
                continue;
            }
            match sample_marker(before) {
                Some((block, test)) => {
                    let file = Path::new(ROOT).join(format!("tests/{test}.rs"));
                    let source = std::fs::read_to_string(&file).unwrap_or_default();
                    if !source.contains(&format!("\"{block}\"")) {
                        wrong.push(format!(
                            "{name}:{}: tests/{test}.rs makes no {block}",
                            i + 1
                        ));
                    }
                    let end = format!("```\n<!-- end of {block} -->");
                    if !text.contains(&end) {
                        wrong.push(format!("{name}:{}: no {end:?} after the block", i + 1));
                    }
                    generated += 1;
                }
                None => wrong.push(format!(
                    "{name}:{}: a console sample neither generated by a test nor marked \
                     `{ILLUSTRATIVE}REASON -->`",
                    i + 1
                )),
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(generated >= 5, "{generated} generated samples");
}

/// The block's name and the test binary of a generated block's begin marker
/// (`<!-- NAME: generated from SOURCE (CAMSCAN_BLESS=1 cargo test --test TEST) -->`).
fn sample_marker(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("<!-- ")?.strip_suffix(") -->")?;
    let (block, rest) = rest.split_once(": generated from ")?;
    let (_, test) = rest.rsplit_once(" (CAMSCAN_BLESS=1 cargo test --test ")?;
    Some((block, test))
}

#[test]
fn sample_markers_are_read_as_written() {
    assert_eq!(
        sample_marker(
            "<!-- scan-80: generated from tests/table.rs's scan (CAMSCAN_BLESS=1 cargo test --test \
             table) -->"
        ),
        Some(("scan-80", "table"))
    );
    assert_eq!(sample_marker("<!-- scan-80 -->"), None);
}

#[test]
fn what_varies_is_found_narrowly() {
    use common::samples::{Varies, masked};
    let both = [Varies::TIMESTAMP, Varies::DEVICE_ID];
    assert_eq!(
        masked(
            "{\"at\":\"2026-11-27T21:40:01.002Z\",\"id\":2026} (2026-11-27 21:40:01Z) (device 12, ip:1)",
            &both
        ),
        "{\"at\":\"<timestamp>\",\"id\":2026} (<timestamp>) (device <device id>, ip:1)"
    );
    // Only those forms: a date alone, a version, a number elsewhere are compared as they are.
    let plain = "2026-11-27 v1.2 device 3 (device x) 2026-11-27T21:40:01";
    assert_eq!(masked(plain, &both), plain);
}

/// CONTRIBUTING's recipes name files, programs and tests a newcomer will look for: each path it
/// names in code (`src/...`, `crates/...`, `tests/...`, `scripts/...`, `docs/...`; an example by its name, a
/// `<placeholder>` or a folder made at run time aside) exists, and each test it names (a code
/// span of four words or more in snake case) is a function of the code (issue 85: it named a
/// file that had become a folder and a test that did not exist).
#[test]
fn contributing_names_only_what_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("CONTRIBUTING.md")).unwrap();
    let mut fns = HashSet::new();
    let mut stack = vec![
        root.join("src"),
        root.join("crates"),
        root.join("tests"),
        root.join("examples"),
        root.join("fuzz"),
    ];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() && !p.ends_with("target") {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let code = std::fs::read_to_string(&p).unwrap_or_default();
                for piece in code.split("fn ").skip(1) {
                    let name: String = piece
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    fns.insert(name);
                }
            }
        }
    }
    // Prose only: fenced blocks hold commands and samples, and their ``` would shift the spans.
    let mut fenced = false;
    let prose: Vec<&str> = text
        .lines()
        .filter(|l| {
            if l.trim_start().starts_with("```") {
                fenced = !fenced;
                return false;
            }
            !fenced
        })
        .collect();
    let prose = prose.join("\n");
    let mut missing = Vec::new();
    for span in code_spans(&prose) {
        for word in span.split(|c: char| c.is_whitespace() || matches!(c, ',' | '(' | ')' | '\'')) {
            let word = word.trim_end_matches(['.', ':', ';']);
            let top = [
                "src/",
                "crates/",
                "tests/",
                "scripts/",
                "docs/",
                "examples/",
                "fuzz/",
            ];
            if top.iter().any(|t| word.starts_with(t)) {
                if word.contains('<') || word.contains('*') || word == "fuzz/corpus/" {
                    continue;
                }
                let path = word.split("::").next().unwrap_or(word);
                let path = path.split(':').next().unwrap_or(path);
                let as_example = format!("{path}.rs");
                if !root.join(path).exists() && !root.join(&as_example).exists() {
                    missing.push(format!("path {word}"));
                }
            }
        }
        let test_like = span.split('_').count() >= 4
            && span
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if test_like && !fns.contains(span) {
            missing.push(format!("test {span}"));
        }
    }
    assert!(
        missing.is_empty(),
        "CONTRIBUTING.md names what does not exist: {missing:?}"
    );
}

/// Markdown's code spans of `text`: a run of backticks opens one, the next run of as many closes
/// it (`` ` ```console ` `` is one span).
fn code_spans(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let run = |i: usize| b[i..].iter().take_while(|&&c| c == b'`').count();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'`' {
            i += 1;
            continue;
        }
        let n = run(i);
        let start = i + n;
        let mut j = start;
        let mut closed = None;
        while j < b.len() {
            if b[j] == b'`' {
                let m = run(j);
                if m == n {
                    closed = Some(j);
                    break;
                }
                j += m;
            } else {
                j += 1;
            }
        }
        match closed {
            Some(end) => {
                out.push(text[start..end].trim());
                i = end + n;
            }
            None => i = start,
        }
    }
    out
}
