//! The documents' generated blocks: text that a registration renders (the formats and settings
//! tables) or that a real run of camscan printed in a test (the sample outputs of README.md and
//! `docs/`), kept in the document between two markers and checked against it on every run.
//!
//! A block in a document:
//!
//! ```text
//! <!-- NAME: generated from SOURCE (CAMSCAN_BLESS=1 cargo test --test TEST) -->
//! ...the block...
//! <!-- end of NAME -->
//! ```
//!
//! TEST is the test binary that makes it (the one running, read from its executable's name), so
//! the marker tells a reader which command writes the block again; `scripts/bless-docs` runs
//! every test a marker names. Without `CAMSCAN_BLESS` a block that differs from what the run
//! printed fails the test; with it the block is rewritten (commit the document).
//!
//! What the test controls is pinned (fixed addresses and ports, `--width`, no colour in a pipe, a
//! fresh inventory). Only what truly varies from run to run is left out of the comparison, each
//! by a named [`Varies`] that finds a narrow form (a timestamp; a device id given in the order
//! analyses end): the document shows the blessing run's text, and any other run's text in that
//! place is taken as equal. Nothing else is normalised.

use std::ops::Range;
use std::path::Path;
use std::sync::Mutex;

/// Tests of one binary run side by side and may write one document (the README holds blocks of
/// two tests of `tests/table.rs`): a block is read, compared and written under this lock.
static DOCS: Mutex<()> = Mutex::new(());

/// The command that rewrites the blocks this test binary makes.
pub fn bless_command() -> String {
    format!("CAMSCAN_BLESS=1 cargo test --test {}", test_name())
}

/// The running test binary's name: cargo names it `<file stem>-<hash>`.
fn test_name() -> String {
    let exe = std::env::current_exe().expect("the test's executable");
    let stem = exe.file_stem().unwrap().to_string_lossy().into_owned();
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => name.to_string(),
        _ => stem,
    }
}

/// The begin marker of block `name` made from `source` by this test binary.
pub fn begin_marker(name: &str, source: &str) -> String {
    format!(
        "<!-- {name}: generated from {source} ({}) -->\n",
        bless_command()
    )
}

/// The block of `doc` (a path from the root) between the markers of `name` is `want`, what
/// `source` made; `CAMSCAN_BLESS=1` rewrites it. `want` is the block's whole text, its last line
/// ending with a newline.
pub fn generated_block(doc: &str, name: &str, source: &str, want: &str) {
    compare(doc, name, source, want, &[]);
}

/// [`generated_block`], where what `varies` finds may differ.
fn compare(doc: &str, name: &str, source: &str, want: &str, varies: &[Varies]) {
    assert!(want.ends_with('\n'), "{name}: a block ends with a newline");
    let _held = DOCS.lock().unwrap_or_else(|e| e.into_inner());
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(doc);
    let have = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {doc}: {e}"));
    let begin = begin_marker(name, source);
    let end_marker = format!("<!-- end of {name} -->");
    let start = have
        .find(&begin)
        .unwrap_or_else(|| panic!("{doc} has no marker {begin:?}"))
        + begin.len();
    let end = start
        + have[start..]
            .find(&end_marker)
            .unwrap_or_else(|| panic!("{doc} has no marker {end_marker:?}"));
    let block = &have[start..end];
    let same = masked(block, varies) == masked(want, varies);
    if std::env::var_os("CAMSCAN_BLESS").is_some() {
        if same {
            // Only what varies differs: the document keeps its text (no churn).
            return;
        }
        let text = format!("{}{want}{}", &have[..start], &have[end..]);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {doc}: {e}"));
        return;
    }
    if !same {
        let (block, want) = (masked(block, varies), masked(want, varies));
        let line = block
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(block.lines().count().min(want.lines().count()));
        panic!(
            "{doc}'s {name} is not what the run made ({source}), from its line {}:\n  doc: {:?}\n  run: \
             {:?}\nthe whole run:\n{want}\nrun `{}` and commit the file",
            line + 1,
            block.lines().nth(line).unwrap_or(""),
            want.lines().nth(line).unwrap_or(""),
            bless_command()
        );
    }
}

/// What varies from one run to the next in a block (a timestamp, an id given in the order
/// analyses end): the comparison takes any text it finds as equal to any other it finds at the
/// same place, and the document keeps the text of the run that blessed it. Everything else must
/// be equal, byte for byte.
pub struct Varies {
    /// What it is, shown in its place in a failure's message.
    pub what: &'static str,
    /// Where it is in a text: byte ranges, in order, not overlapping.
    pub find: fn(&str) -> Vec<Range<usize>>,
}

impl Varies {
    /// A time camscan wrote: `2026-11-23T04:33:20.151Z` (RFC 3339, UTC) or `2026-11-16 09:12:03Z`.
    pub const TIMESTAMP: Varies = Varies {
        what: "timestamp",
        find: timestamps,
    };
    /// A device's id in the inventory, `(device 12, ...)`: given in the order devices become
    /// final, which is the order their analyses end.
    pub const DEVICE_ID: Varies = Varies {
        what: "device id",
        find: device_ids,
    };
    /// A frame rate measured from the frames received (`4.8fps` where the server sends 5: the
    /// MJPEG reader counts what arrived in its window), with the cell's padding after it.
    pub const MEASURED_FPS: Varies = Varies {
        what: "measured fps",
        find: measured_fps,
    };
}

fn measured_fps(text: &str) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    for (at, _) in text.match_indices("fps") {
        let mut start = at;
        while start > 0 && (b[start - 1].is_ascii_digit() || b[start - 1] == b'.') {
            start -= 1;
        }
        let number = start < at && start > 0 && b[start - 1] == b' ';
        if !number {
            continue;
        }
        let mut end = at + 3;
        while b.get(end) == Some(&b' ') {
            end += 1;
        }
        out.push(start..end);
    }
    out
}

fn timestamps(text: &str) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let digits =
        |at: usize, n: usize| b.len() >= at + n && b[at..at + n].iter().all(u8::is_ascii_digit);
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let date = digits(i, 4)
            && b.get(i + 4) == Some(&b'-')
            && digits(i + 5, 2)
            && b.get(i + 7) == Some(&b'-')
            && digits(i + 8, 2);
        let time = date
            && matches!(b.get(i + 10), Some(b'T' | b' '))
            && digits(i + 11, 2)
            && b.get(i + 13) == Some(&b':')
            && digits(i + 14, 2)
            && b.get(i + 16) == Some(&b':')
            && digits(i + 17, 2);
        if time {
            let mut end = i + 19;
            if b.get(end) == Some(&b'.') {
                end += 1;
                while b.get(end).is_some_and(u8::is_ascii_digit) {
                    end += 1;
                }
            }
            if b.get(end) == Some(&b'Z') {
                out.push(i..end + 1);
                i = end + 1;
                continue;
            }
        }
        i += 1;
    }
    out
}

fn device_ids(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("(device ") {
        let start = at + "(device ".len();
        let len = text[start..].bytes().take_while(u8::is_ascii_digit).count();
        if len > 0 {
            out.push(start..start + len);
        }
    }
    out
}

/// `text` with what `varies` finds in it replaced by its name in angle brackets.
pub fn masked(text: &str, varies: &[Varies]) -> String {
    let mut ranges: Vec<(Range<usize>, &str)> = varies
        .iter()
        .flat_map(|v| (v.find)(text).into_iter().map(move |r| (r, v.what)))
        .collect();
    ranges.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (r, what) in ranges {
        if r.start < at {
            continue;
        }
        out.push_str(&text[at..r.start]);
        out.push_str(&format!("<{what}>"));
        at = r.end;
    }
    out.push_str(&text[at..]);
    out
}

/// A sample of a terminal session in `doc`: `$ COMMAND` and what the run printed, in a
/// ` ```console ` fence, between the markers of `name`; `source` names the test and its run, and
/// `varies` what may differ from the document's text in this run.
pub fn console_sample(
    doc: &str,
    name: &str,
    source: &str,
    command: &str,
    printed: &str,
    varies: &[Varies],
) {
    assert!(!printed.is_empty(), "{name}: the run printed nothing");
    let newline = if printed.ends_with('\n') { "" } else { "\n" };
    let want = format!("```console\n$ {command}\n{printed}{newline}```\n");
    compare(doc, name, source, &want, varies);
}
