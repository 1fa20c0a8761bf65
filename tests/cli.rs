//! The command line as an operator meets it: bad input, precedence of flags, env and config file,
//! exit codes, output files, signals and closed pipes, the user's knowledge files. Servers here are CPython's http.server and
//! small loopback listeners of our own; no privileges needed.

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::schema::Report;
use common::{camscan, free_port, run, stderr, stdout};

const LIMIT: Duration = Duration::from_secs(30);

/// One line on stderr naming the problem, exit code 2, nothing on stdout.
fn assert_usage_error(args: &[&str], expect: &str) {
    let out = run(camscan().args(args), LIMIT);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(stdout(&out).is_empty(), "{args:?} printed results");
    assert!(
        err.contains(expect),
        "{args:?}: expected {expect:?} in {err:?}"
    );
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{args:?}: not one line: {err:?}"
    );
}

#[test]
fn bad_input_gets_one_clear_line_and_exit_2() {
    assert_usage_error(
        &["scan", "192.168.1.0/33"],
        "invalid target \"192.168.1.0/33\"",
    );
    assert_usage_error(
        &["scan", "10.0.0.9-10.0.0.1"],
        "range end is before its start",
    );
    assert_usage_error(
        &["scan", "-p", "80,70000", "127.0.0.1"],
        "invalid value \"80,70000\" for ports",
    );
    assert_usage_error(
        &["scan", "-p", "90-80", "127.0.0.1"],
        "ends before it starts",
    );
    assert_usage_error(&["scan", "--timeout", "soon", "127.0.0.1"], "for timeout");
    assert_usage_error(
        &["scan", "--targets-file", "/nonexistent/targets.txt"],
        "cannot read /nonexistent/targets.txt",
    );
    assert_usage_error(
        &["scan", "--config", "/nonexistent/c.yaml", "127.0.0.1"],
        "cannot read /nonexistent/c.yaml",
    );
    assert_usage_error(&["scan"], "no targets");
    assert_usage_error(&["scan", "10.0.0.0/15"], "--allow-large");
    assert_usage_error(&["scan", "8.8.8.0/30"], "--allow-public");
    assert_usage_error(
        &["scan", "--csv-delimiter", ";;", "127.0.0.1"],
        "invalid value \";;\" for csv_delimiter",
    );
    assert_usage_error(
        &["scan", "--csv-delimiter", "\"", "127.0.0.1"],
        "for csv_delimiter: a quote character",
    );
    assert_usage_error(
        &["scan", "--csv-delimiter", "\n", "127.0.0.1"],
        "for csv_delimiter",
    );
    assert_usage_error(
        &["scan", "-o", "/nonexistent/dir/out.json", "127.0.0.1"],
        "/nonexistent/dir/out.json",
    );

    let dir = tempfile::tempdir().unwrap();
    let bad_yaml = dir.path().join("bad.yaml");
    std::fs::write(&bad_yaml, "ports: [554\n").unwrap();
    assert_usage_error(
        &["scan", "--config", bad_yaml.to_str().unwrap(), "127.0.0.1"],
        "invalid config file",
    );
    // A bad credentials file is called what it is, with its line.
    let creds = dir.path().join("creds.txt");
    std::fs::write(&creds, "admin:good\nno colon here\n").unwrap();
    assert_usage_error(
        &[
            "scan",
            "--credentials",
            creds.to_str().unwrap(),
            "127.0.0.1",
        ],
        "invalid credentials file",
    );
    let typo = dir.path().join("typo.yaml");
    std::fs::write(&typo, "prots: [554]\n").unwrap();
    assert_usage_error(
        &["scan", "--config", typo.to_str().unwrap(), "127.0.0.1"],
        "unknown key `prots` (did you mean `ports`?) at line 1",
    );
}

/// Issue 82: a misspelt key or value of the config file, from `scan` or `watch`, is said as
/// `camscan doctor` says it (the key it probably meant), with the file and the line; never
/// serde's "unknown field `per_hosts`, expected `watch`".
#[test]
fn a_misspelt_config_key_or_value_is_said_as_doctor_says_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let key = file("key.yaml", "timeout: 2s\nper_hosts: 2\n");
    let section = file("section.yaml", "timeout: 2s\nwatch:\n  evry: 1h\n");
    let value = file("value.yaml", "timeout: 2s\nformat: jsn\n");
    let range = file("range.yaml", "per_host: 0\n");
    for command in ["scan", "watch"] {
        let run_with = |cfg: &str, expect: &[&str]| {
            let args = [command, "--config", cfg, "127.0.0.1", "--no-db"];
            let out = run(camscan().args(args), LIMIT);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(!err.contains("unknown field"), "serde's words: {err}");
            for e in expect {
                assert!(err.contains(e), "{args:?}: expected {e:?} in {err:?}");
            }
        };
        run_with(
            &key,
            &[
                &key,
                "unknown key `per_hosts` (did you mean `per_host`?) at line 2",
            ],
        );
        run_with(
            &section,
            &[
                &section,
                "unknown key `watch.evry` (did you mean `watch.every`?) at line 3",
            ],
        );
        run_with(
            &value,
            &[&value, "`format: jsn` at line 2", "did you mean `json`?"],
        );
        run_with(&range, &[&range, "`per_host: 0` at line 1", "at least 1"]);
    }
}

#[test]
fn version_and_help() {
    let out = run(camscan().arg("--version"), LIMIT);
    assert_eq!(
        stdout(&out).trim(),
        format!("camscan {}", env!("CARGO_PKG_VERSION"))
    );
    let out = run(camscan().args(["scan", "--help"]), LIMIT);
    let help = stdout(&out);
    for flag in [
        "--targets-file",
        "--exclude",
        "--ports",
        "--connect-timeout",
        "--timeout",
        "--concurrency",
        "--format",
        "--output",
        "--config",
        "--color",
        "--allow-large",
        "--allow-public",
        "--csv-delimiter",
        "CAMSCAN_CSV_DELIMITER",
        "CAMSCAN_PORTS",
        "xml",
        "yaml",
        "ndjson",
        "m3u",
    ] {
        assert!(help.contains(flag), "help lacks {flag}");
    }
    assert!(help.contains("[default: 1s]"), "help states defaults");
}

/// Issue 82: every help that names the push tools names all four (written out from the push tool
/// registry, not a hand list): `scan --push`, `watch --push`, `serve --push` as `TOOL=URL`, and
/// `push`'s summary (in `camscan --help` and `camscan push --help`) by their titles.
#[test]
fn every_push_help_names_every_tool() {
    let help = |args: &[&str]| stdout(&run(camscan().args(args), LIMIT));
    for command in ["scan", "watch", "serve"] {
        let text = help(&[command, "--help"]);
        for spec in [
            "frigate=URL",
            "go2rtc=URL",
            "mediamtx=URL",
            "homeassistant=URL",
        ] {
            assert!(text.contains(spec), "{command} --help lacks {spec}: {text}");
        }
    }
    for args in [&["--help"][..], &["push", "--help"]] {
        let text = help(args).replace('\n', " ");
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            text.contains("into a running Frigate, go2rtc, MediaMTX or Home Assistant"),
            "{args:?}: {text}"
        );
    }
}

#[test]
fn nothing_found_exits_1_with_an_empty_inventory() {
    let port = free_port("127.0.0.1");
    let out = run(
        camscan().args([
            "scan",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "--format",
            "json",
        ]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Report = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(report.devices.is_empty());
    assert!(report.complete);
}

#[test]
fn host_names_are_resolved_and_kept() {
    // localhost resolves from /etc/hosts: no packet leaves the machine.
    let port = free_port("127.0.0.1");
    let _web = common::http_server("127.0.0.1", port);
    let out = run(
        camscan().args([
            "scan",
            "localhost",
            "-p",
            &port.to_string(),
            "--format",
            "json",
        ]),
        LIMIT,
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "a web site is not a camera: {}",
        stderr(&out)
    );
    let report: Report = serde_json::from_str(&stdout(&out)).unwrap();
    let d = report.device("127.0.0.1");
    assert_eq!(d.hostname.as_deref(), Some("localhost"));
    assert_eq!(d.services[0].protocol, "http");
    assert!(!d.is_camera);
}

/// flags > env > config file > defaults, shown on which port gets scanned.
#[test]
fn precedence_flag_env_file() {
    let a = free_port("127.0.0.1");
    let b = free_port("127.0.0.1");
    let c = free_port("127.0.0.1");
    let _wa = common::http_server("127.0.0.1", a);
    let _wb = common::http_server("127.0.0.1", b);
    let _wc = common::http_server("127.0.0.1", c);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.yaml");
    std::fs::write(
        &cfg,
        format!("targets: [127.0.0.1]\nports: [{a}]\nformat: json\n"),
    )
    .unwrap();
    let ports = |out: &std::process::Output| -> Vec<u16> {
        let r: Report =
            serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("{e}: {}", stderr(out)));
        r.devices
            .iter()
            .flat_map(|d| d.open_ports.clone())
            .collect()
    };
    let cfg_s = cfg.to_str().unwrap();
    let out = run(camscan().args(["scan", "--config", cfg_s]), LIMIT);
    assert_eq!(ports(&out), [a], "file over defaults");
    let out = run(
        camscan()
            .args(["scan", "--config", cfg_s])
            .env("CAMSCAN_PORTS", b.to_string()),
        LIMIT,
    );
    assert_eq!(ports(&out), [b], "env over file");
    let out = run(
        camscan()
            .args(["scan", "--config", cfg_s, "-p", &c.to_string()])
            .env("CAMSCAN_PORTS", b.to_string()),
        LIMIT,
    );
    assert_eq!(ports(&out), [c], "flag over env");
    let out = run(camscan().args(["scan"]).env("CAMSCAN_CONFIG", cfg_s), LIMIT);
    assert_eq!(ports(&out), [a], "CAMSCAN_CONFIG names the file");
}

#[test]
fn output_file_and_csv_format() {
    let port = free_port("127.0.0.1");
    let _web = common::http_server("127.0.0.1", port);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.csv");
    let out = run(
        camscan().args([
            "scan",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-f",
            "csv",
            "-o",
            path.to_str().unwrap(),
        ]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).is_empty(),
        "results go to the file, not stdout"
    );
    let text = common::read(&path);
    assert!(text.starts_with("ip,mac,hostname,"), "{text}");
    assert!(
        text.contains(&format!("127.0.0.1,,,,,false,{port},{port}/http")),
        "{text}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp file left"
    );
}

#[test]
fn csv_delimiter_from_flag_env_and_file() {
    let port = free_port("127.0.0.1");
    let _web = common::http_server("127.0.0.1", port);
    let p = port.to_string();
    let row = |out: &std::process::Output| {
        assert_eq!(out.status.code(), Some(1), "{}", stderr(out));
        stdout(out).lines().nth(1).unwrap_or_default().to_string()
    };
    let out = run(
        camscan().args([
            "scan",
            "127.0.0.1",
            "-p",
            &p,
            "-f",
            "csv",
            "--csv-delimiter",
            ";",
        ]),
        LIMIT,
    );
    assert!(
        stdout(&out).starts_with("ip;mac;hostname;"),
        "{}",
        stdout(&out)
    );
    assert!(
        row(&out).starts_with(&format!("127.0.0.1;;;;;false;{p};{p}/http;")),
        "{}",
        row(&out)
    );
    let out = run(
        camscan()
            .args(["scan", "127.0.0.1", "-p", &p, "-f", "csv"])
            .env("CAMSCAN_CSV_DELIMITER", "tab"),
        LIMIT,
    );
    assert!(row(&out).starts_with("127.0.0.1\t\t"), "{}", row(&out));
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.yaml");
    std::fs::write(&cfg, "format: csv\ncsv_delimiter: \"|\"\n").unwrap();
    let out = run(
        camscan().args([
            "scan",
            "127.0.0.1",
            "-p",
            &p,
            "--config",
            cfg.to_str().unwrap(),
        ]),
        LIMIT,
    );
    assert!(row(&out).starts_with("127.0.0.1|||"), "{}", row(&out));
}

/// XML, YAML, NDJSON and M3U of one scan say the same thing as its JSON.
#[test]
fn every_format_renders_the_same_scan() {
    let port = free_port("127.0.0.1");
    let _web = common::http_server("127.0.0.1", port);
    let p = port.to_string();
    let scan = |format: &str| {
        let out = run(
            camscan().args(["scan", "127.0.0.1", "-p", &p, "-f", format]),
            LIMIT,
        );
        assert_eq!(out.status.code(), Some(1), "{format}: {}", stderr(&out));
        stdout(&out)
    };
    let json: Report = serde_json::from_str(&scan("json")).unwrap();
    let server = json.device("127.0.0.1").services[0].server.clone().unwrap();

    let yaml: Report = serde_yaml::from_str(&scan("yaml")).unwrap();
    assert_eq!(
        yaml.device("127.0.0.1").services[0].server.as_ref(),
        Some(&server)
    );
    assert_eq!(yaml.device("127.0.0.1").open_ports, [port]);

    let ndjson = scan("ndjson");
    let lines: Vec<&str> = ndjson.lines().collect();
    assert_eq!(lines.len(), 1, "{ndjson}");
    let d: common::schema::Device = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(
        (d.ip.as_str(), d.open_ports.as_slice()),
        ("127.0.0.1", [port].as_slice())
    );

    let xml = scan("xml");
    assert!(
        xml.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<camscan schema_version=\"2\""
        ),
        "{xml}"
    );
    assert!(xml.contains("<device ip=\"127.0.0.1\">"), "{xml}");
    assert!(
        xml.contains(&format!("<open_port>{port}</open_port>")),
        "{xml}"
    );
    assert!(xml.contains(&format!("<server>{server}</server>")), "{xml}");

    assert_eq!(
        scan("m3u"),
        "#EXTM3U\n",
        "a web server has no stream to play"
    );
}

#[test]
fn ndjson_to_a_file_is_written_atomically() {
    let port = free_port("127.0.0.1");
    let _web = common::http_server("127.0.0.1", port);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.ndjson");
    let out = run(
        camscan()
            .args([
                "scan",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-f",
                "ndjson",
                "-o",
            ])
            .arg(&path),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    let text = common::read(&path);
    let d: common::schema::Device = serde_json::from_str(text.trim_end()).unwrap();
    assert_eq!(d.ip, "127.0.0.1");
    assert_eq!(text.lines().count(), 1);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp file left"
    );
}

/// NDJSON streams: a device is written as soon as it is final, while another is still being
/// analysed; Ctrl-C then writes the rest and exits 130.
#[test]
fn ndjson_streams_each_device_when_final_and_ctrl_c_writes_the_rest() {
    use std::io::BufRead;
    let port = free_port("127.0.0.1");
    let _web = common::http_server("127.0.0.1", port);
    let (_l, slow) = tarpit_on("127.0.0.2");
    let mut child = camscan()
        .args([
            "scan",
            "127.0.0.1",
            "127.0.0.2",
            "-p",
            &format!("{port},{slow}"),
            "--timeout",
            "30s",
            "-f",
            "ndjson",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout_pipe = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout_pipe).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let first = rx
        .recv_timeout(Duration::from_secs(15))
        .expect("the web server's line arrives while the tarpit is still being analysed");
    assert!(
        child.try_wait().unwrap().is_none(),
        "camscan still runs: the line was streamed, not written at the end"
    );
    let d: common::schema::Device = serde_json::from_str(&first).unwrap();
    assert_eq!(d.ip, "127.0.0.1");
    assert_eq!(d.services[0].protocol, "http");
    assert!(
        rx.recv_timeout(Duration::from_millis(500)).is_err(),
        "the tarpit's device is not final yet"
    );
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "camscan ignored SIGINT"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(code, Some(130));
    let rest: Vec<String> = rx.iter().collect();
    assert_eq!(rest.len(), 1, "{rest:?}");
    let d: common::schema::Device = serde_json::from_str(&rest[0]).unwrap();
    assert_eq!(
        (d.ip.as_str(), d.open_ports.as_slice()),
        ("127.0.0.2", [slow].as_slice())
    );
}

/// A peer that accepts connections and never says anything.
fn tarpit() -> (TcpListener, u16) {
    tarpit_on("127.0.0.1")
}

fn tarpit_on(ip: &str) -> (TcpListener, u16) {
    let l = TcpListener::bind((ip, 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    let l2 = l.try_clone().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l2.incoming().take(64) {
            held.push(s);
        }
    });
    (l, port)
}

fn interrupt_mid_scan(signal: &str, expect_code: i32) {
    let (_l, port) = tarpit();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("partial.json");
    let mut child = camscan()
        .args([
            "scan",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "--timeout",
            "30s",
            "-f",
            "json",
            "-o",
        ])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The probe finds the port at once; detection then waits on the silent peer.
    std::thread::sleep(Duration::from_millis(1500));
    let status = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    let out = loop {
        if let Some(_s) = child.try_wait().unwrap() {
            break child.wait_with_output().unwrap();
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "camscan ignored {signal}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(out.status.code(), Some(expect_code), "{}", stderr(&out));
    let report: Report = serde_json::from_str(&common::read(&path)).unwrap();
    assert!(!report.complete, "an interrupted scan says so");
    assert_eq!(
        report.device("127.0.0.1").open_ports,
        [port],
        "what was found is kept"
    );
}

#[test]
fn ctrl_c_writes_partial_results_and_exits_130() {
    interrupt_mid_scan("-INT", 130);
}

#[test]
fn sigterm_writes_partial_results_and_exits_143() {
    interrupt_mid_scan("-TERM", 143);
}

#[test]
fn closed_stdout_pipe_exits_quietly() {
    let port = free_port("127.0.0.1");
    let _web = common::http_server("127.0.0.1", port);
    // csv is written at the end; ndjson while scanning (and stops the scan when nobody reads).
    for format in ["csv", "ndjson"] {
        let mut child = camscan()
            .args(["scan", "127.0.0.1", "-p", &port.to_string(), "-f", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader is gone, as with `| head -0`
        let out = child.wait_with_output().unwrap();
        let err = stderr(&out);
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{format}: {err}"
        );
        assert_eq!(out.status.code(), Some(1), "{format}");
    }
}

#[test]
fn targets_file_with_comments_and_excludes() {
    let port = free_port("127.0.0.1");
    let _web = common::http_server("127.0.0.1", port);
    let _web2 = common::http_server("127.0.0.2", port);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("targets.txt");
    let mut f = std::fs::File::create(&file).unwrap();
    writeln!(f, "# lab\n127.0.0.1-3   # three hosts\n\n").unwrap();
    let out = run(
        camscan().args([
            "scan",
            "--targets-file",
            file.to_str().unwrap(),
            "--exclude",
            "127.0.0.2",
            "-p",
            &port.to_string(),
            "-f",
            "json",
        ]),
        LIMIT,
    );
    let report: Report = serde_json::from_str(&stdout(&out)).unwrap();
    let ips: Vec<&str> = report.devices.iter().map(|d| d.ip.as_str()).collect();
    assert_eq!(
        ips,
        ["127.0.0.1"],
        "127.0.0.2 excluded, 127.0.0.3 has nothing"
    );
}

/// Under a tiny open-file limit an oversized --concurrency is cut down to what the limit allows,
/// with a warning, and the scan still finds what is there instead of failing with EMFILE.
#[test]
fn tiny_fd_limit_bounds_the_pool() {
    // A /24 of its own: other tests' servers, on 127.0.0.x at any port, run beside it.
    let port = free_port("127.0.70.5");
    let _web = common::http_server("127.0.70.5", port);
    let out = run(
        std::process::Command::new("prlimit")
            .args(["--nofile=200:200", "--"])
            .arg(env!("CARGO_BIN_EXE_camscan"))
            .env("CAMSCAN_NO_DB", "true")
            .args([
                "scan",
                "127.0.70.0/24",
                "-p",
                &port.to_string(),
                "--concurrency",
                "5000",
                "-f",
                "json",
            ])
            .stdin(Stdio::null()),
        LIMIT,
    );
    let err = stderr(&out);
    assert!(err.contains("open-file limit (200)"), "{err}");
    let report: Report = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report.device("127.0.70.5").services[0].protocol, "http");
    assert_eq!(report.devices.len(), 1);
}

/// A peer that accepts and never answers costs one step timeout and is recorded on its device.
#[test]
fn tarpit_costs_one_timeout_and_is_recorded() {
    let (_l, port) = tarpit();
    let start = Instant::now();
    let out = run(
        camscan().args([
            "scan",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "--timeout",
            "1s",
            "-f",
            "json",
        ]),
        LIMIT,
    );
    let took = start.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let report: Report = serde_json::from_str(&stdout(&out)).unwrap();
    let d = report.device("127.0.0.1");
    assert!(report.complete);
    assert_eq!(d.errors.len(), 1, "{:?}", d.errors);
    assert_eq!(d.errors[0].stage, "detect");
    assert_eq!(d.errors[0].port, Some(port));
    assert!(
        d.errors[0].message.contains("within 1s"),
        "{}",
        d.errors[0].message
    );
}

#[test]
fn no_detect_reports_open_ports_only() {
    let port = free_port("127.0.0.1");
    let web = common::http_server("127.0.0.1", port);
    let out = run(
        camscan().args([
            "scan",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-f",
            "json",
            "--no-detect",
        ]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: common::schema::Report = serde_json::from_str(&stdout(&out)).unwrap();
    let d = report.device("127.0.0.1");
    assert_eq!(d.open_ports, [port]);
    assert!(d.services.is_empty(), "nothing was asked: {:?}", d.services);
    drop(web);
}

/// `camscan completions SHELL` and `camscan man` come from the clap definitions: every subcommand
/// and every long flag of every subcommand appears in each shell's script and in the manual page.
#[test]
fn completions_and_man_page_cover_every_subcommand_and_flag() {
    use clap::CommandFactory;
    let cmd = camscan::cmds::Cli::command();
    let mut flags: Vec<String> = cmd
        .get_arguments()
        .filter_map(|a| a.get_long().map(str::to_string))
        .collect();
    let mut subcommands = Vec::new();
    for sub in cmd.get_subcommands() {
        subcommands.push(sub.get_name().to_string());
        flags.extend(
            sub.get_arguments()
                .filter_map(|a| a.get_long().map(str::to_string)),
        );
    }
    assert!(
        subcommands.contains(&"completions".to_string())
            && subcommands.contains(&"man".to_string())
    );
    assert!(
        flags.len() > 30 && flags.contains(&"sessions-per-device".to_string()),
        "the walk found the scan flags: {flags:?}"
    );
    let output = |args: &[&str]| {
        let out = run(camscan().args(args), Duration::from_secs(20));
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let script = output(&["completions", shell]);
        for s in &subcommands {
            assert!(script.contains(s.as_str()), "{shell}: subcommand {s}");
        }
        for f in &flags {
            let written = if shell == "fish" {
                format!("-l {f}")
            } else {
                format!("--{f}")
            };
            assert!(script.contains(&written), "{shell}: flag --{f}");
        }
    }
    let man = output(&["man"]);
    assert!(
        man.starts_with(".ie") || man.contains(".TH camscan 1"),
        "roff"
    );
    for s in &subcommands {
        assert!(
            man.contains(&format!(".TH camscan-{s} ")),
            "man page of {s}"
        );
    }
    for f in &flags {
        // roff escapes every '-'.
        let written = format!("\\-\\-{}", f.replace('-', "\\-"));
        assert!(man.contains(&written), "man: flag --{f}");
    }
    // Every page camscan.1 refers to (`camscan\-scan(1)`) is written by `man --dir`, as the
    // package installs them: none is referred to that is not there.
    let dir = tempfile::tempdir().unwrap();
    let out = run(camscan().args(["man", "--dir"]).arg(dir.path()), LIMIT);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let main = std::fs::read_to_string(dir.path().join("camscan.1")).unwrap();
    let referred: Vec<String> = main
        .lines()
        .filter_map(|l| l.strip_suffix("(1)"))
        .map(|l| l.replace("\\-", "-"))
        .collect();
    assert!(
        referred.len() > subcommands.len(),
        "every command and help: {referred:?}"
    );
    for page in referred {
        assert!(
            dir.path().join(format!("{page}.1")).exists(),
            "{page}(1) is referred to and not written"
        );
    }
    // An unknown shell is a usage error, exit 2.
    let out = run(
        camscan().args(["completions", "tcsh"]),
        Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(2));
}

/// A file of the knowledge directory under `xdg` (`$XDG_CONFIG_HOME/camscan/knowledge.d/NAME`).
fn knowledge_file(xdg: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let dir = xdg.join("camscan/knowledge.d");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// An RTSP path entry naming a vendor nobody defined: entry 1, line 5.
const UNKNOWN_VENDOR: &str = "rtsp_paths:\n  - vendor: hikvision\n    paths: [/Streaming/Channels/103]\n    source: our NVR\n  - vendor: acme\n    paths: [/acme/live]\n    source: our DVR\n";

/// A bad knowledge file, from the knowledge directory, `--signatures`, `CAMSCAN_SIGNATURES` or the
/// config file's `signatures:`, stops the scan before it sends anything: one line naming the file,
/// the entry and the line, exit code 2, never a panic.
#[test]
fn a_bad_knowledge_file_stops_the_scan_before_it_starts() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let xdg = tempfile::tempdir().unwrap();
    let bad = knowledge_file(xdg.path(), "acme.yaml", UNKNOWN_VENDOR);
    let out = run(
        camscan()
            .env("XDG_CONFIG_HOME", xdg.path())
            .args(["scan", "127.0.0.1", "-p", &port]),
        LIMIT,
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(stdout(&out).is_empty());
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    for part in [
        format!("invalid knowledge file {}: ", bad.display()),
        "rtsp_paths[1]: acme: unknown vendor \"acme\"".to_string(),
        "at line 5".to_string(),
    ] {
        assert!(err.contains(&part), "{part:?} in {err}");
    }
    assert!(
        listener
            .accept()
            .is_err_and(|e| e.kind() == std::io::ErrorKind::WouldBlock),
        "nothing was sent to the target"
    );
    // The same file given any other way; `camscan signatures` refuses it too.
    let file = bad.to_str().unwrap();
    let expect = "rtsp_paths[1]: acme: unknown vendor";
    assert_usage_error(
        &["scan", "--signatures", file, "127.0.0.1", "-p", &port],
        expect,
    );
    assert_usage_error(&["signatures", "--signatures", file], expect);
    let config = xdg.path().join("config.yaml");
    std::fs::write(&config, format!("signatures: [{file}]\n")).unwrap();
    assert_usage_error(
        &[
            "scan",
            "--config",
            config.to_str().unwrap(),
            "127.0.0.1",
            "-p",
            &port,
        ],
        expect,
    );
    let out = run(
        camscan()
            .env("CAMSCAN_SIGNATURES", file)
            .args(["scan", "127.0.0.1", "-p", &port]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(expect), "{}", stderr(&out));
    // Broken YAML, an unknown key, a missing file: one line each, no panic.
    for (text, expect) in [
        ("rtsp_paths: [\n", "invalid knowledge file"),
        ("rtsp_path: []\n", "unknown field `rtsp_path`"),
        (
            "ouis:\n  - prefix: 44:19\n    vendor: hikvision\n    source: s\n",
            "ouis[0]",
        ),
    ] {
        let f = xdg.path().join("other.yaml");
        std::fs::write(&f, text).unwrap();
        assert_usage_error(
            &[
                "scan",
                "--signatures",
                f.to_str().unwrap(),
                "127.0.0.1",
                "-p",
                &port,
            ],
            expect,
        );
    }
    assert_usage_error(
        &[
            "scan",
            "--signatures",
            "/nonexistent/k.yaml",
            "127.0.0.1",
            "-p",
            &port,
        ],
        "cannot read /nonexistent/k.yaml",
    );
    assert!(listener.accept().is_err(), "still nothing sent");
}

/// `camscan signatures` lists each kind's entries and where each came from: the built-in data, a
/// `--signatures` file (or `CAMSCAN_SIGNATURES`), the knowledge directory; user entries first.
#[test]
fn signatures_lists_what_is_loaded_and_from_where() {
    let xdg = tempfile::tempdir().unwrap();
    let in_dir = knowledge_file(
        xdg.path(),
        "acme.yaml",
        "vendors:\n  - id: acme\n    name: ACME\n    source: our lab\nrtsp_paths:\n  - vendor: acme\n    paths: [/acme/live]\n    source: ACME manual p.3\n",
    );
    // Not knowledge: a config file beside the directory is never read as one.
    std::fs::write(xdg.path().join("camscan/config.yaml"), "ports: [554]\n").unwrap();
    let flag = xdg.path().join("relay.yaml");
    std::fs::write(
        &flag,
        "rtmp_apps:\n  - name: relay\n    source: our relay\n",
    )
    .unwrap();
    let list = |args: &[&str]| {
        let out = run(
            camscan()
                .env("XDG_CONFIG_HOME", xdg.path())
                .arg("signatures")
                .args(args),
            LIMIT,
        );
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    let table = list(&["--signatures", flag.to_str().unwrap()]);
    for part in [
        format!("1 from {}", in_dir.display()),
        format!("1 from {}", flag.display()),
        "77 from data/signatures.yaml (built in)".to_string(),
        "\nouis (15)".to_string(),
        "IEEE MAC registry of 2022-08-27 (data/oui/registry.bin, built in, from Debian ieee-data"
            .to_string(),
        "/acme/live".to_string(),
    ] {
        assert!(table.contains(&part), "{part:?} in\n{table}");
    }
    let flag_list = format!("{},{}", flag.display(), flag.display());
    let json = list(&["--format", "json", "--signatures", &flag_list]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["rtsp_paths"][0]["vendor"], "acme");
    assert_eq!(doc["rtsp_paths"][0]["from"], in_dir.to_str().unwrap());
    assert_eq!(doc["rtsp_paths"][1]["vendor"], "hikvision");
    assert_eq!(doc["rtsp_paths"][1]["from"], "data/rtsp_paths.yaml");
    assert_eq!(doc["rtmp_apps"][0]["name"], "relay");
    assert_eq!(doc["rtmp_apps"][0]["from"], flag.to_str().unwrap());
    assert!(
        doc["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["source"].as_str().is_some_and(|s| !s.is_empty()))
    );
    let files: Vec<&str> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 9 + 3, "{files:?}");
    assert_eq!(
        files[9..],
        [
            flag.to_str().unwrap(),
            flag.to_str().unwrap(),
            in_dir.to_str().unwrap()
        ]
    );
    // One kind only.
    let json = list(&["--kind", "ouis", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["ouis"].as_array().unwrap().len(), 15);
    assert!(doc.get("signatures").is_none());
    assert_eq!(doc["ouis"][0]["vendor"], "hikvision");
}

/// A loopback listener that records whether anyone connected: the target of scans that must stop
/// before sending anything.
fn silent_target() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    (listener, port)
}

fn nothing_sent(listener: &TcpListener) -> bool {
    listener
        .accept()
        .is_err_and(|e| e.kind() == std::io::ErrorKind::WouldBlock)
}

/// A real inventory: one scan of CPython's http.server recorded in `db`.
fn recorded_inventory(db: &std::path::Path) {
    let port = free_port("127.0.0.1");
    let _web = common::http_server("127.0.0.1", port);
    let out = run(
        common::camscan_with_db(db).args([
            "scan",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-f",
            "json",
        ]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(db.exists(), "the scan was recorded");
}

/// `camscan scan` with an inventory it cannot use: one line on stderr naming the file and `what`,
/// exit 2, nothing on stdout, nothing sent to the target, no panic, the file left as it was.
fn assert_bad_inventory(cmd: &mut std::process::Command, db: &std::path::Path, what: &str) {
    assert_bad_inventory_with(cmd, &[], db, what)
}

fn assert_bad_inventory_with(
    cmd: &mut std::process::Command,
    extra: &[&std::ffi::OsStr],
    db: &std::path::Path,
    what: &str,
) {
    let before = std::fs::read(db).ok();
    let (listener, port) = silent_target();
    let out = run(
        cmd.args(["scan", "127.0.0.1", "-p", &port, "-f", "json"])
            .args(extra),
        LIMIT,
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{what}: {err}");
    assert!(stdout(&out).is_empty(), "{what}: printed results");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{what}: not one line: {err}"
    );
    assert!(!err.contains("panicked"), "{what}: {err}");
    assert!(
        err.contains(&db.display().to_string()),
        "{what}: names the file: {err}"
    );
    assert!(err.to_lowercase().contains(what), "{what}: {err}");
    assert!(nothing_sent(&listener), "{what}: the scan did not start");
    assert_eq!(
        std::fs::read(db).ok(),
        before,
        "{what}: the file is untouched"
    );
}

/// Inventories camscan cannot use stop the scan before it starts: a text file, a truncated
/// database, one written by a newer camscan, one in a directory it may not write, one locked by
/// another process.
#[test]
fn a_bad_inventory_stops_the_scan_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "this is not a database\n".repeat(100)).unwrap();
    assert_bad_inventory(
        &mut common::camscan_with_db(&text),
        &text,
        "not an sqlite database",
    );
    // The same through the flag and through the config file's `db:`.
    let mut cmd = common::camscan();
    cmd.env_remove("CAMSCAN_NO_DB");
    let flag = [std::ffi::OsStr::new("--db"), text.as_os_str()];
    assert_bad_inventory_with(&mut cmd, &flag, &text, "not an sqlite database");
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, format!("db: {}\n", text.display())).unwrap();
    let mut cmd = common::camscan();
    cmd.env_remove("CAMSCAN_NO_DB");
    let flag = [std::ffi::OsStr::new("--config"), config.as_os_str()];
    assert_bad_inventory_with(&mut cmd, &flag, &text, "not an sqlite database");

    let good = dir.path().join("good.db");
    recorded_inventory(&good);
    let newer = dir.path().join("newer.db");
    std::fs::copy(&good, &newer).unwrap();
    let status = std::process::Command::new("sqlite3")
        .arg(&newer)
        .arg("PRAGMA user_version = 999;")
        .status()
        .unwrap();
    assert!(status.success());
    assert_bad_inventory(
        &mut common::camscan_with_db(&newer),
        &newer,
        "newer camscan",
    );

    let truncated = dir.path().join("truncated.db");
    let bytes = std::fs::read(&good).unwrap();
    assert!(bytes.len() > 8192, "a real inventory has several pages");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert_bad_inventory(
        &mut common::camscan_with_db(&truncated),
        &truncated,
        "damaged",
    );

    // Another process holds the write lock (as a second camscan recording its scan would).
    let locked = dir.path().join("locked.db");
    std::fs::copy(&good, &locked).unwrap();
    let holder = common::start(
        "/usr/bin/python3",
        &[
            "-c",
            // Once the scan is recorded as begun (its schema and first row written: under load
            // that comes a while after the file appears), the write lock is taken.
            "import sqlite3,sys,time\nc=sqlite3.connect(sys.argv[1],isolation_level=None,timeout=10)\nend=time.time()+10\nwhile time.time()<end:\n  try:\n    if c.execute('SELECT COUNT(*) FROM scans').fetchone()[0]>0: break\n  except sqlite3.Error: pass\n  time.sleep(0.02)\nc.execute('BEGIN EXCLUSIVE')\nprint('READY',flush=True)\nsys.stdin.read()",
            locked.to_str().unwrap(),
        ],
        Duration::from_secs(10),
    );
    assert_bad_inventory(&mut common::camscan_with_db(&locked), &locked, "locked");
    drop(holder);

    // A directory camscan may not write in. Root writes anywhere, so as root the scan runs as
    // nobody.
    let ro = tempfile::tempdir().unwrap();
    let mut perms = std::fs::metadata(ro.path()).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
    std::fs::set_permissions(ro.path(), perms).unwrap();
    let in_ro = ro.path().join("inventory.db");
    let mut cmd = if common::is_root() {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_camscan"))
            .env("XDG_CONFIG_HOME", "/nonexistent")
            .env_remove("CAMSCAN_NO_DB")
            .env("CAMSCAN_DB", &in_ro)
            .stdin(Stdio::null());
        c
    } else {
        common::camscan_with_db(&in_ro)
    };
    assert_bad_inventory(&mut cmd, &in_ro, "permission denied");
    assert!(!in_ro.exists());
}

/// The default inventory is `$XDG_STATE_HOME/camscan/inventory.db`, created 0600 (it is a map of
/// a network); `--no-db` (or `CAMSCAN_NO_DB`) leaves no file at all.
#[test]
fn the_default_inventory_and_a_scan_that_leaves_no_trace() {
    let port = free_port("127.0.0.1");
    let _web = common::http_server("127.0.0.1", port);
    let port = port.to_string();
    let state = tempfile::tempdir().unwrap();
    let mut cmd = common::camscan();
    cmd.env_remove("CAMSCAN_NO_DB")
        .env("XDG_STATE_HOME", state.path())
        .args(["scan", "127.0.0.1", "-p", &port, "-f", "json", "--no-db"]);
    let out = run(&mut cmd, LIMIT);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_dir(state.path()).unwrap().count(),
        0,
        "--no-db leaves no trace"
    );
    let mut cmd = common::camscan();
    cmd.env_remove("CAMSCAN_NO_DB")
        .env("XDG_STATE_HOME", state.path())
        .args(["scan", "127.0.0.1", "-p", &port, "-f", "json"]);
    let out = run(&mut cmd, LIMIT);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let db = state.path().join("camscan/inventory.db");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&db).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    // The inventory commands find it there too, and a query never creates one elsewhere.
    let mut cmd = common::camscan();
    cmd.env("XDG_STATE_HOME", state.path())
        .args(["scans", "-f", "json"]);
    let out = run(&mut cmd, LIMIT);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let scans: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(scans.as_array().unwrap().len(), 1, "{scans}");
    let empty = tempfile::tempdir().unwrap();
    let missing = empty.path().join("none.db");
    for args in [
        vec!["devices"],
        vec!["show", "1"],
        vec!["history"],
        vec!["diff"],
        vec!["scans"],
        vec!["forget", "1"],
        vec!["prune", "--older-than", "90d"],
    ] {
        let out = run(common::camscan_with_db(&missing).args(&args), LIMIT);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("no inventory at") && err.contains("none.db"),
            "{args:?}: {err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(!missing.exists(), "{args:?} created the file");
    }
}

/// When the inventory cannot be written at the end (another process took the write lock during
/// the scan), the results still reach stdout, the error follows on stderr, and the exit code is 2.
#[test]
fn results_are_written_before_a_failed_recording() {
    let (_l, port) = tarpit();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    let child = common::camscan_with_db(&db)
        .args(["scan", "127.0.0.1", "-p", &port.to_string(), "-f", "json"])
        .args(["--timeout", "3s", "--detect-timeout", "3s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The scan opened (created) the inventory and began its scan row first (the running scan's
    // lock file beside it says so); now someone else holds its write lock.
    let began = dir.path().join("inventory.db.scan-1");
    let start = Instant::now();
    while !began.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the inventory is opened and the scan begun first"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let holder = common::start(
        "/usr/bin/python3",
        &[
            "-c",
            "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1],isolation_level=None)\nc.execute('BEGIN EXCLUSIVE')\nprint('READY',flush=True)\nsys.stdin.read()",
            db.to_str().unwrap(),
        ],
        Duration::from_secs(10),
    );
    let out = child.wait_with_output().unwrap();
    drop(holder);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let report: Report = serde_json::from_str(&stdout(&out)).expect("the results were written");
    assert_eq!(report.device("127.0.0.1").open_ports, [port]);
    let last = err.trim_end().lines().last().unwrap_or("");
    assert!(
        last.starts_with("camscan: error: the scan's results were written but not recorded: ")
            && last.contains("locked"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}
