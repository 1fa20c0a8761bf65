//! The table a person reads, as a terminal shows it: one lab of real servers on 127.0.11.1-14,
//! scanned through a pseudo-terminal (`common::pty`) and its JSON report rendered again with
//! `camscan convert` at 60, 80, 120 and 200 columns, compact and `-v`.
//!
//! The lab: GStreamer's RTSP server (`tests/servers/rtsp_server.py`) on .1 (Hikvision paths, main
//! 1080p High with AAC and B-frames, sub 360p baseline, shared media, and a web admin page behind
//! a login on :80, CPython's http.server), .2 (Digest, no credentials given), .3 (a Dahua-style
//! path, H.265 and G.711) and .4 (Axis' path, beside `tests/servers/axis_web.py` on :80); the media
//! lab (`tests/servers/media_lab.py`): nginx-rtmp on .5, nginx's HLS on .6, VLC's MJPEG on .7,
//! coturn on .8, a plain nginx site on .9, nginx-rtmp with a stream key nobody can guess on .10,
//! VLC's HTTP-FLV on .11, an aiortc WHEP endpoint on .12 and nginx-rtmp's statistics page on .14;
//! and http.server asking for a login on every path on .13, ports 80 and 8080.
//!
//! Each rendering is replayed on a screen of that width and must hold: no line wider than the
//! terminal (nothing wraps), every cell the same words as the unlimited rendering's (so no word,
//! address or URL is split, and nothing is lost), a URL shortened only when the table takes the
//! whole width (and, under -v, given whole in a note), each note printed once and referred to,
//! the columns left out named. The scan itself, in a terminal with its progress bar, leaves no
//! trace of the bar on the screen, also with -v's logs written while it is drawn.
//! Needs root (ports 80, 554 and 1935; the media lab): `scripts/test`.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use common::drawn::parse;
use common::pty;
use common::schema::Report;
use common::{Server, run, stderr, stdout};
use serde_json::json;
use unicode_width::UnicodeWidthStr;

const TARGETS: &str = "127.0.11.1-14";

struct Lab {
    _servers: Vec<Server>,
    _dir: tempfile::TempDir,
    /// The lab's JSON report, scanned once.
    json: PathBuf,
}

fn lab() -> &'static Lab {
    static LAB: OnceLock<Lab> = OnceLock::new();
    LAB.get_or_init(|| {
        assert!(common::is_root(), "the table lab needs root: run scripts/test");
        let video = |codec: &str, w: u32, h: u32, fps: u32, profile: &str| {
            json!({"codec": codec, "width": w, "height": h, "fps": fps, "profile": profile})
        };
        let mut main = video("h264", 1920, 1080, 25, "high");
        main["bframes"] = json!(2);
        let rtsp = common::rtsp_servers(&json!([
            {"address": "127.0.11.1", "port": 554, "auth": null, "shared": true, "mounts": [
                {"path": "/Streaming/Channels/101", "video": main,
                 "audio": {"codec": "aac", "rate": 16000, "channels": 1}},
                {"path": "/Streaming/Channels/102", "video": video("h264", 640, 360, 15, "baseline"),
                 "audio": null}]},
            {"address": "127.0.11.2", "port": 554,
             "auth": {"method": "digest", "user": "admin", "password": "Secret-41"}, "mounts": [
                {"path": "/Streaming/Channels/101", "video": video("h264", 1280, 720, 25, "main"),
                 "audio": null}]},
            {"address": "127.0.11.3", "port": 8554, "auth": null, "mounts": [
                {"path": "/cam/realmonitor?channel=1&subtype=0",
                 "video": video("h265", 1280, 720, 20, "main"),
                 "audio": {"codec": "pcmu", "rate": 8000, "channels": 1}}]},
            {"address": "127.0.11.4", "port": 554, "auth": null, "mounts": [
                {"path": "/axis-media/media.amp", "video": video("h264", 1280, 720, 30, "main"),
                 "audio": null}]}
        ]));
        let axis = common::start(
            "/usr/bin/python3",
            &[
                common::root_dir()
                    .join("tests/servers/axis_web.py")
                    .to_str()
                    .unwrap(),
                "127.0.11.4",
                "80",
            ],
            Duration::from_secs(30),
        );
        let media = common::media_lab(
            &[
                "--only",
                "rtmp,hls,mjpeg,turn,web,keyless,flv,whep",
                "--bind",
                "rtmp=127.0.11.5",
                "--bind",
                "hls=127.0.11.6",
                "--bind",
                "mjpeg=127.0.11.7",
                "--bind",
                "turn=127.0.11.8",
                "--bind",
                "web=127.0.11.9",
                "--bind",
                "keyless=127.0.11.10",
                "--bind",
                "flv=127.0.11.11",
                "--bind",
                "whep=127.0.11.12",
                "--bind",
                "control=127.0.11.14",
                "--timeout",
                "80",
            ],
            Duration::from_secs(90),
        );
        let servers = vec![
            rtsp,
            axis,
            media,
            common::http_server_with_login("127.0.11.1", 80, "admin:Web-41"),
            common::http_server_with_login("127.0.11.13", 80, "admin:Web-41"),
            common::http_server_with_login("127.0.11.13", 8080, "admin:Web-41"),
        ];
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("lab.json");
        let out = run(
            common::camscan().args(["scan", TARGETS, "-f", "json", "-o"]).arg(&json),
            Duration::from_secs(120),
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        Lab {
            _servers: servers,
            _dir: dir,
            json,
        }
    })
}

/// Held by each test while it scans the lab again: one scan at a time, as the lab's own was
/// (two at once share the servers, the one x264 encoder of .1's shared media first, and a scan
/// slowed by the other is not the lab's table).
static SCANNING: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn scanning() -> std::sync::MutexGuard<'static, ()> {
    SCANNING.lock().unwrap_or_else(|e| e.into_inner())
}

fn report() -> Report {
    serde_json::from_str(&common::read(&lab().json)).unwrap()
}

/// `camscan convert` of the lab's report with `args`, on a pty `cols` wide (`None`: piped); the
/// screen's lines (or stdout's) and how many times a line ran past the edge.
fn convert(cols: Option<u16>, args: &[&str]) -> (Vec<String>, usize, Vec<u8>) {
    let mut cmd = common::camscan();
    cmd.arg("convert").arg(&lab().json).args(args);
    match cols {
        Some(cols) => {
            let r = pty::run(&mut cmd, cols, 200, Duration::from_secs(30));
            assert_eq!(r.code, Some(0), "{}", String::from_utf8_lossy(&r.raw));
            let (lines, wraps) = pty::screen(&r.raw, usize::from(cols));
            (lines, wraps, r.raw)
        }
        None => {
            let out = run(&mut cmd, Duration::from_secs(30));
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            let text = stdout(&out);
            (text.lines().map(str::to_string).collect(), 0, out.stdout)
        }
    }
}

/// The same words: white space collapsed, none after a comma (a list may break after one).
fn words(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(", ", ",")
}

/// The notes under a table: number and text (continuation lines joined: indented under the
/// number, or a word too wide for that, alone on its line from the left edge).
fn notes(after: &[String]) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut open = false;
    for l in after {
        let numbered = l
            .strip_prefix('[')
            .and_then(|rest| rest.split_once(']'))
            .and_then(|(n, text)| Some((n.parse::<usize>().ok()?, text)))
            .filter(|(_, text)| text.is_empty() || text.starts_with(' '));
        if let Some((n, text)) = numbered {
            out.push((n, text.trim().to_string()));
            open = true;
        } else if open && (l.starts_with("    ") || !l.trim().contains(' ')) {
            let last = out.last_mut().unwrap();
            if !last.1.is_empty() {
                last.1.push(' ');
            }
            last.1.push_str(l.trim());
        } else {
            open = false;
        }
    }
    out
}

/// The `[n]` a text refers to.
fn refs(s: &str) -> BTreeSet<usize> {
    s.split('[')
        .skip(1)
        .filter_map(|p| p.split_once(']'))
        .filter_map(|(n, _)| n.parse().ok())
        .collect()
}

/// Everything the issue asks of one rendering at `cols`, against the unlimited one.
fn check(cols: u16, detail: bool) {
    let v: &[&str] = if detail { &["-v"] } else { &[] };
    let (lines, wraps, raw) = convert(Some(cols), v);
    let screen = lines.join("\n");
    let cols = usize::from(cols);
    assert_eq!(wraps, 0, "a line wider than {cols} columns:\n{screen}");
    for l in &lines {
        assert!(l.width() <= cols, "{} > {cols}: {l}\n{screen}", l.width());
    }
    assert!(
        raw.windows(2).any(|w| w == b"\x1b["),
        "colours on a terminal"
    );
    let narrow = parse(&lines);
    let (full_lines, _, _) = convert(None, &[v, &["--width", "0"]].concat());
    let full = parse(&full_lines);
    let report = report();

    // Rows: every device, in order, its address whole at the start of its row.
    assert_eq!(narrow.rows.len(), full.rows.len(), "{screen}");
    let addresses: Vec<String> = report.devices.iter().map(|d| d.ip.clone()).collect();
    let starts: Vec<String> = narrow
        .rows
        .iter()
        .map(|r| r[0].split(' ').next().unwrap().to_string())
        .collect();
    let mut unique = starts.clone();
    unique.dedup();
    assert_eq!(unique, addresses, "{screen}");

    // Columns: those left out are the least important, and named under the table.
    let shown: Vec<&String> = narrow.headers.iter().collect();
    let dropped: Vec<&String> = full.headers.iter().filter(|h| !shown.contains(h)).collect();
    let after = narrow.after.join(" ");
    if dropped.is_empty() {
        assert!(!after.contains("Not shown"), "{screen}");
    } else {
        let names = dropped
            .iter()
            .map(|h| h.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        assert!(
            after.contains(&format!("Not shown at {cols} columns: {names} (see")),
            "{names}:\n{screen}"
        );
        // Sent to -v for the video: -v at this width shows it.
        if !detail && names.contains("Video") && after.contains("(see -v") {
            let (v_lines, _, _) = convert(Some(u16::try_from(cols).unwrap()), &["-v"]);
            let headers = parse(&v_lines).headers;
            assert!(
                headers.iter().any(|h| h == "Video"),
                "the footer sends to -v, whose table at {cols} columns has no Video: {headers:?}"
            );
        }
    }

    // Cells: the same words as at full width, or a URL shortened in the middle when there was
    // no room (the table as wide as the terminal), then given whole in a note under -v.
    let narrow_notes = notes(&narrow.after);
    let mut shortened = 0;
    for (r, (nrow, frow)) in narrow.rows.iter().zip(&full.rows).enumerate() {
        for (c, header) in narrow.headers.iter().enumerate() {
            let f = full.headers.iter().position(|h| h == header).unwrap();
            let (got, want) = (&nrow[c], &frow[f]);
            if got.contains('…') {
                shortened += 1;
                assert_eq!(
                    narrow.width, cols,
                    "shortened with room to spare:\n{screen}"
                );
                let (head, tail) = got.split_once('…').unwrap();
                assert!(want.starts_with(head.trim()), "{got} / {want}");
                let tail = tail.split(" [").next().unwrap();
                assert!(want.contains(tail), "{got} / {want}");
                if detail {
                    let n = *refs(got)
                        .iter()
                        .next_back()
                        .expect("a note for the whole URL");
                    let (_, whole) = narrow_notes.iter().find(|(m, _)| *m == n).unwrap();
                    assert!(want.starts_with(whole.as_str()), "[{n}] {whole} / {want}");
                    assert!(lines.iter().any(|l| l.contains(whole.as_str())), "{whole}");
                }
                continue;
            }
            assert_eq!(words(got), words(want), "row {r}, {header}:\n{screen}");
        }
    }
    if cols >= 200 {
        assert_eq!(shortened, 0, "{screen}");
    }
    // Every URL not shortened is on one line of the screen, whole.
    let urls: Vec<&str> = if detail {
        report
            .devices
            .iter()
            .flat_map(|d| d.streams.iter().map(|s| s.url.as_str()))
            .collect()
    } else {
        full.rows
            .iter()
            .filter_map(|r| r.iter().find(|c| c.contains("://")))
            .map(|c| c.split(' ').next().unwrap())
            .collect()
    };
    for url in urls {
        let cut = narrow
            .rows
            .iter()
            .flatten()
            .any(|c| c.contains('…') && url.starts_with(c.split('…').next().unwrap().trim()));
        assert!(
            cut || lines.iter().any(|l| l.contains(url)),
            "{url} split:\n{screen}"
        );
    }

    // Notes: numbered from 1, each text once, each referred to from the table and each reference
    // to one that exists. The login wall two devices share (three ports) is one note.
    let numbers: Vec<usize> = narrow_notes.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, (1..=numbers.len()).collect::<Vec<_>>(), "{screen}");
    let texts: BTreeSet<&String> = narrow_notes.iter().map(|(_, t)| t).collect();
    assert_eq!(texts.len(), narrow_notes.len(), "a note twice:\n{screen}");
    let table_refs: BTreeSet<usize> = narrow.rows.iter().flatten().flat_map(|c| refs(c)).collect();
    assert_eq!(
        table_refs,
        numbers.iter().copied().collect(),
        "notes and references:\n{screen}"
    );
    assert_eq!(
        screen.matches("asks for a login on every path").count(),
        1,
        "{screen}"
    );
    for want in ["stream key unknown [", "login needed ["] {
        assert!(screen.contains(want), "{want}:\n{screen}");
    }
}

#[test]
fn the_table_fits_60_80_120_and_200_columns() {
    for cols in [60, 80, 120, 200] {
        check(cols, false);
    }
}

#[test]
fn the_detailed_table_fits_60_80_120_and_200_columns() {
    for cols in [60, 80, 120, 200] {
        check(cols, true);
    }
}

/// What the compact table says of the lab, in its short spellings, at 200 columns: nothing left
/// out, nothing shortened.
#[test]
fn the_compact_table_speaks_briefly_and_the_json_keeps_the_long_forms() {
    let (lines, _, _) = convert(Some(200), &[]);
    let table = parse(&lines);
    assert_eq!(
        table.headers,
        [
            "Device",
            "Ports",
            "Identity",
            "Streams",
            "Main stream",
            "Status",
            "Video"
        ]
    );
    let row = |ip: &str| {
        table
            .rows
            .iter()
            .find(|r| r[0] == ip)
            .unwrap_or_else(|| panic!("{ip}: {lines:?}"))
    };
    let main = row("127.0.11.1");
    assert_eq!(main[4], "rtsp://127.0.11.1:554/Streaming/Channels/101");
    assert!(
        main[5].starts_with("ok ["),
        "the login-walled web admin's note: {main:?}"
    );
    assert_eq!(main[6], "H.264 1080p25 High");
    assert_eq!(row("127.0.11.2")[5], "auth");
    assert_eq!(row("127.0.11.3")[6], "H.265 720p20 Main");
    assert_eq!(row("127.0.11.4")[2], "AXIS M3045-V Network Camera");
    assert_eq!(row("127.0.11.12")[6], "H.264 CBP");
    assert!(row("127.0.11.10")[4].starts_with("stream key unknown ["));
    assert!(row("127.0.11.13")[4].starts_with("login needed ["));
    assert_eq!(row("127.0.11.13")[1], "80,8080");
    // The footer says what the scan asked and heard: 14 loopback addresses x 21 ports, none lost.
    let report = report();
    let cov = report
        .coverage
        .as_ref()
        .expect("the scan's coverage record");
    let open: usize = report.devices.iter().map(|d| d.open_ports.len()).sum();
    assert_eq!(cov.probes.connects, 14 * 21);
    assert_eq!(cov.probes.open as usize, open);
    let footer = format!(
        "Coverage: 294 connects ({open} open, {} closed, 0 timed out, 0 retried, 0 lost).",
        294 - open
    );
    assert!(lines.iter().any(|l| l == &footer), "{footer} in {lines:?}");
    // The JSON report is what the scan wrote, byte for byte, read back and written again.
    let (_, _, json) = convert(None, &["-f", "json"]);
    assert_eq!(String::from_utf8(json).unwrap(), common::read(&lab().json));
    let d = report.device("127.0.11.2");
    assert_eq!(d.streams[0].status, common::schema::Status::AuthRequired);
    let doc: serde_json::Value = serde_json::from_str(&common::read(&lab().json)).unwrap();
    assert!(
        doc["devices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["streams"][0]["status"] == "auth_required"),
        "the long form in JSON"
    );
}

/// Not a terminal: 100 columns, or what COLUMNS or --width say (0: as wide as it needs); colours
/// on a terminal unless NO_COLOR.
#[test]
fn the_width_comes_from_the_flag_the_environment_or_100() {
    let width = |lines: &[String]| parse(lines).width;
    // As wide as the width allows: what is left is narrower than the next column to show.
    let fits = |lines: &[String], cols: usize| {
        let t = parse(lines);
        assert!(t.width <= cols, "{}", lines.join("\n"));
        assert!(
            lines.iter().all(|l| l.width() <= cols),
            "{}",
            lines.join("\n")
        );
        assert!(
            t.after
                .join(" ")
                .contains(&format!("Not shown at {cols} columns")),
            "{}",
            lines.join("\n")
        );
    };
    let (piped, _, raw) = convert(None, &[]);
    fits(&piped, 100);
    assert!(!raw.contains(&0x1b), "no colour in a pipe");
    let mut cmd = common::camscan();
    cmd.env("COLUMNS", "70").arg("convert").arg(&lab().json);
    let out = run(&mut cmd, Duration::from_secs(30));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    fits(&lines, 70);
    let (lines, _, _) = convert(None, &["--width", "90"]);
    fits(&lines, 90);
    let (lines, _, _) = convert(None, &["--width", "0"]);
    assert!(
        width(&lines) > 120,
        "as wide as it needs: {}",
        width(&lines)
    );
    assert!(!lines.join(" ").contains("Not shown"));
    let mut cmd = common::camscan();
    cmd.env("NO_COLOR", "1").arg("convert").arg(&lab().json);
    let r = pty::run(&mut cmd, 120, 100, Duration::from_secs(30));
    assert!(!r.raw.contains(&0x1b), "NO_COLOR");
    let (lines, _) = pty::screen(&r.raw, 120);
    fits(&lines, 120);
}

/// The scan in a terminal: its progress bar is drawn on stderr while it runs and gone from the
/// screen before the table, also with -v's logs written while the bar is up.
#[test]
fn the_progress_bar_never_lands_in_the_table_or_the_logs() {
    lab();
    for (cols, verbose) in [(80u16, false), (120, true)] {
        let _one = scanning();
        let mut cmd = common::camscan();
        cmd.args(["scan", TARGETS]);
        if verbose {
            cmd.args(["-v", "--log", "info"]);
        }
        let r = pty::run(&mut cmd, cols, 50, Duration::from_secs(120));
        let (lines, wraps) = pty::screen(&r.raw, usize::from(cols));
        let screen = lines.join("\n");
        assert_eq!(r.code, Some(0), "{screen}");
        assert!(
            ["discovering hosts,", "probing [", "analysing,"]
                .iter()
                .any(|stage| String::from_utf8_lossy(&r.raw).contains(stage)),
            "the bar was drawn"
        );
        assert!(
            !["discovering hosts,", "probing [", "analysing,"]
                .iter()
                .any(|stage| screen.contains(stage)),
            "a bar left on screen:\n{screen}"
        );
        let table = parse(&lines);
        if verbose {
            // Log lines may be wider than the terminal; the table's never are.
            let top = lines.iter().position(|l| l.starts_with('┌')).unwrap();
            let bottom = lines.iter().position(|l| l.starts_with('└')).unwrap();
            for l in &lines[top..=bottom] {
                assert!(
                    l.width() <= usize::from(cols) && l.ends_with(['┐', '│', '┤', '╡', '┘']),
                    "{l}\n{screen}"
                );
            }
        } else {
            assert_eq!(wraps, 0, "{screen}");
        }
        let mut devices: Vec<&str> = table
            .rows
            .iter()
            .map(|r| r[0].split(' ').next().unwrap())
            .collect();
        devices.dedup();
        assert_eq!(devices.len(), 14, "{screen}");
        if verbose {
            assert!(screen.contains(" INFO "), "-v logs: {screen}");
        }
    }
}

/// The samples of the table in README.md (80 columns) and docs/guide/scanning.md (80 and 120) are
/// this lab's scan as camscan prints it at that width (`--width`, so no terminal is needed; no
/// colour in a pipe): `CAMSCAN_BLESS=1 cargo test --test table` writes them again.
#[test]
fn the_docs_samples_are_this_labs_scan_at_80_and_120_columns() {
    lab();
    let both: &[&str] = &["README.md", "docs/guide/scanning.md"];
    for (cols, block, docs) in [("80", "scan-80", both), ("120", "scan-120", &both[1..])] {
        let out = {
            let _one = scanning();
            // The RTSP analysis's log on stderr (the sample is stdout): a failed scan's own
            // account of its error, which the table only counts.
            run(
                common::camscan()
                    .args(["scan", TARGETS, "--width", cols])
                    .env("CAMSCAN_LOG", "warn,analyze::rtsp=debug,registry=debug"),
                Duration::from_secs(120),
            )
        };
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let printed = stdout(&out);
        assert!(!printed.contains('\x1b'), "no colour in a pipe: {printed}");
        // A scan that failed on a device is no sample of the lab (nor blessed as one). The table
        // only counts the errors: a second scan's JSON says what they were like (CI showed one
        // such count, on a loaded machine, that nothing else explained).
        if !printed.contains(" 0 error(s)") {
            let again = {
                let _one = scanning();
                run(
                    common::camscan().args(["scan", TARGETS, "-f", "json"]),
                    Duration::from_secs(120),
                )
            };
            let errors: Vec<serde_json::Value> =
                serde_json::from_str::<serde_json::Value>(&stdout(&again))
                    .ok()
                    .and_then(|r| r["devices"].as_array().cloned())
                    .unwrap_or_default()
                    .iter()
                    .filter(|d| d["errors"].as_array().is_some_and(|e| !e.is_empty()))
                    .map(|d| json!({"ip": d["ip"], "errors": d["errors"]}))
                    .collect();
            // The failures first: CI keeps only the head and the tail of a long message.
            let log = stderr(&out);
            let failures: Vec<&str> = log.lines().filter(|l| l.contains(" failure ")).collect();
            panic!(
                "an error in the lab's scan: its failures {failures:#?}\n\
                 the errors of a second scan: {errors:#?}\n{printed}{log}"
            );
        }
        for doc in docs {
            common::samples::console_sample(
                doc,
                block,
                "tests/table.rs, a scan of its lab",
                &format!("camscan scan {TARGETS} --width {cols}"),
                &printed,
                &[common::samples::Varies::MEASURED_FPS],
            );
        }
    }
}

/// The terminal screen of the tests replays what a terminal would show.
#[test]
fn the_test_screen_replays_a_terminal() {
    let raw = "⠁ probing [=>  ] 1/2\r\x1b[2K⠉ probing [==>] 2/2\r\x1b[2Kdone\r\nnext \x1b[32mok\x1b[39m\r\n";
    let (lines, wraps) = pty::screen(raw.as_bytes(), 80);
    assert_eq!(lines, ["done", "next ok", ""]);
    assert_eq!(wraps, 0);
    let (lines, wraps) = pty::screen(b"abcdef\r\n", 4);
    assert_eq!(
        (lines[0].as_str(), lines[1].as_str(), wraps),
        ("abcd", "ef", 1)
    );
}
