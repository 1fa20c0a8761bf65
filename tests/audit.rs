//! `camscan audit` on real GStreamer RTSP servers (loopback, 127.0.9.1-3): a camera anyone can
//! watch, one that accepts its password over Basic without TLS, one that offers Digest only; the
//! same credential opening the last two; a technician's plan compared with what is there; the
//! table, JSON and CSV; `--fail-on` for CI; the same judgement read back from the inventory with
//! no network at all. Needs root (namespaces for the no-network run) and GStreamer: `scripts/test`.

mod common;

use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use common::{Server, run, stderr, stdout};
use serde_json::{Value, json};

const OPEN: &str = "127.0.9.1";
const BASIC: &str = "127.0.9.2";
const DIGEST: &str = "127.0.9.3";
/// Debian's busybox-static telnetd, on a box that is no camera.
const TELNET: &str = "127.0.9.4";
const PASSWORD: &str = "lab pass 9";

struct Lab {
    _rtsp: Server,
    _telnet: Server,
}

fn lab() -> &'static Lab {
    static LAB: OnceLock<Lab> = OnceLock::new();
    LAB.get_or_init(|| {
        assert!(common::is_root(), "audit needs root: run scripts/test");
        let video = |w: u32, h: u32, fps: u32| {
            json!({"codec": "h264", "width": w, "height": h, "fps": fps, "profile": "main"})
        };
        let auth = |method: &str| json!({"method": method, "user": "admin", "password": PASSWORD});
        let rtsp = common::rtsp_servers(&json!([
            {"address": OPEN, "port": 8554, "auth": null, "mounts": [
                {"path": "/live", "video": video(640, 360, 15), "audio": null}]},
            {"address": BASIC, "port": 8554, "auth": auth("basic"), "mounts": [
                {"path": "/Streaming/Channels/101", "video": video(1280, 720, 25), "audio": null}]},
            {"address": DIGEST, "port": 8554, "auth": auth("digest"), "mounts": [
                {"path": "/Streaming/Channels/101", "video": video(1920, 1080, 25), "audio": null}]}
        ]));
        // BusyBox's telnetd in the foreground (-F), on one address; a login that never succeeds.
        let telnet = common::start_silent(
            "busybox",
            &["telnetd", "-F", "-b", &format!("{TELNET}:2323"), "-l", "/bin/false"],
            (TELNET, 2323),
        );
        Lab {
            _rtsp: rtsp,
            _telnet: telnet,
        }
    })
}

fn file(text: &str) -> tempfile::NamedTempFile {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), text).unwrap();
    f
}

/// The finding ids of `doc`, as `(id, severity, address)`, in the document's order; info left
/// out (a machine whose own sshd listens on every address would add an SSH one per address).
fn findings(doc: &Value) -> Vec<(String, String, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["device"]["address"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn owned(v: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    v.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

#[test]
fn an_installation_is_judged_and_compared_with_its_plan() {
    lab();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    let creds = file(&format!("admin:{PASSWORD}\n"));
    // As a spreadsheet exports it: `;`, a column camscan does not read, one camera left out
    // (OPEN: unexpected) and one that is not there (missing).
    let plan = file(&format!(
        "Name;Address;MAC;Resolution;FPS;Codec;Room\n\
         Yard;{BASIC};;1920x1080;25;h264;outside\n\
         Hall;{DIGEST};;1920x1080;25;AVC;inside\n\
         Store;127.0.9.9;;;;;back\n"
    ));
    let audit = |extra: &[&str]| {
        let mut c = common::camscan_with_db(&db);
        c.env("CAMSCAN_SITE", "north").args([
            "audit",
            "127.0.9.1-4",
            "-p",
            "8554,2323",
            "--credentials",
            creds.path().to_str().unwrap(),
            "--expect",
            plan.path().to_str().unwrap(),
        ]);
        run(c.args(extra), Duration::from_secs(120))
    };
    let out = audit(&["-f", "json", "--fail-on", "high"]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "high findings: {}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("room"), "the unread column is said");
    let text = stdout(&out);
    assert!(!text.contains(PASSWORD), "no password in the audit");
    let doc: Value = serde_json::from_str(&text).unwrap();
    // The documented contract, typed apart from camscan's own types.
    let typed: common::schema::Audit = serde_json::from_str(&text).unwrap();
    assert_eq!(typed.audit_schema_version, 1);
    assert_eq!(typed.summary.high, 3, "{:?}", typed.summary);
    assert!(
        typed
            .findings
            .iter()
            .all(|f| !f.why.is_empty() && !f.fix.is_empty())
    );
    let plan = typed.commissioning.as_ref().expect("commissioning");
    assert_eq!((plan.planned, plan.missing), (3, 1));
    assert_eq!(doc["audit_schema_version"], 1);
    assert_eq!(doc["source"], "scan");
    assert_eq!(doc["site"], "north");
    // The open camera's stream (verified), the password accepted over Basic, and the one
    // credential that opens both protected cameras; Digest alone is no Basic finding.
    assert_eq!(
        findings(&doc),
        owned(&[
            ("stream-unauthenticated", "high", OPEN),
            ("basic-auth-cleartext", "high", BASIC),
            ("cleartext-admin-service", "high", TELNET),
            ("credential-reuse", "medium", BASIC),
            ("credential-reuse", "medium", DIGEST),
        ])
    );
    let telnet = &doc["findings"][2];
    assert_eq!(telnet["port"], 2323);
    assert!(
        telnet["evidence"]
            .as_str()
            .unwrap()
            .starts_with("Telnet on port 2323 greeted on connecting: IAC DO ECHO"),
        "{telnet}"
    );
    let open = &doc["findings"][0];
    assert_eq!(open["stream"], format!("rtsp://{OPEN}:8554/live"));
    assert_eq!(open["port"], 8554);
    assert_eq!(open["device"]["site"], "north");
    let evidence = open["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("without credentials") && evidence.contains("PLAY check received"),
        "{evidence}"
    );
    for f in doc["findings"].as_array().unwrap() {
        for key in ["title", "why", "fix", "source"] {
            assert!(!f[key].as_str().unwrap().is_empty(), "{key} of {f}");
        }
    }
    // The one credential: BASIC's stream names DIGEST's, and says what each service is.
    let reuse = doc["findings"][3]["evidence"].as_str().unwrap();
    assert!(
        reuse.contains(&format!("rtsp://{BASIC}:8554"))
            && reuse.contains(&format!("{DIGEST} at rtsp://{DIGEST}:8554"))
            && reuse.contains("(stream)"),
        "{reuse}"
    );
    let s = &doc["summary"];
    assert_eq!(
        (
            s["devices"].as_u64(),
            s["cameras"].as_u64(),
            s["verified"].as_u64()
        ),
        (Some(4), Some(3), Some(3))
    );
    assert_eq!(
        (s["high"].as_u64(), s["medium"].as_u64()),
        (Some(3), Some(2))
    );
    // The plan: Yard is smaller than ordered, Hall as ordered, Store missing, OPEN unexpected.
    let c = &doc["commissioning"];
    let states: Vec<&str> = c["cameras"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["mismatch", "ok", "missing"]);
    assert_eq!(
        c["cameras"][0]["differences"],
        json!([{"fact": "resolution", "planned": "1920x1080", "found": "1280x720"}])
    );
    assert_eq!(c["unexpected"][0]["address"], OPEN);
    assert_eq!(
        (c["ok"].as_u64(), c["missing"].as_u64()),
        (Some(1), Some(1))
    );

    // Without --fail-on, the scan's own code; the table groups by severity with the fixes.
    let out = audit(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = stdout(&out);
    for want in [
        "Audit of 4 devices (3 cameras, 3 verified) at site north: 0 critical, 3 high, 2 medium",
        "HIGH (3)",
        "MEDIUM (2)",
        "How to fix",
        "stream-unauthenticated: A stream plays without credentials",
        "Commissioning: 3 planned, 1 ok, 1 mismatch, 1 missing, 1 unexpected",
        "resolution: planned 1920x1080, found 1280x720",
    ] {
        assert!(table.contains(want), "{want:?} in\n{table}");
    }

    // The inventory, read back with no network at all (a namespace of its own, loopback down):
    // the same judgement, the credential groups from the store's keyed hashes.
    let mut c = Command::new("unshare");
    c.args(["-n", env!("CARGO_BIN_EXE_camscan")]);
    c.env("CAMSCAN_DB", &db)
        .env("CAMSCAN_SITE", "north")
        .env(
            "XDG_CONFIG_HOME",
            common::root_dir().join("target/no-user-config"),
        )
        .env_remove("CAMSCAN_NO_DB")
        .args(["audit", "--from-db", "-f", "csv", "--fail-on", "critical"]);
    let out = run(&mut c, Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let csv = stdout(&out);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "kind,id,severity,address,mac,site,name,vendor,model,port,stream,title,evidence,fix,source"
        )
    );
    let rows: Vec<(String, String, String)> = lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[1].into(), cells[2].into(), cells[3].into())
        })
        .filter(|(_, severity, _): &(String, String, String)| severity != "info")
        .collect();
    assert_eq!(rows, findings(&doc), "{csv}");
}

#[test]
fn a_bad_plan_stops_before_anything_is_sent() {
    let plan = file("name,address\nok,127.0.9.1\nbad,127.0.9.300\n");
    let out = run(
        common::camscan().args([
            "audit",
            "127.0.9.1",
            "--expect",
            plan.path().to_str().unwrap(),
        ]),
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("line 3: address `127.0.9.300` is not an IP address"),
        "{err}"
    );
    assert!(stdout(&out).is_empty());
    // The inventory is judged as it is: targets make no sense there.
    let out = run(
        common::camscan().args(["audit", "--from-db", "127.0.9.1"]),
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("drop the targets"),
        "{}",
        stderr(&out)
    );
}

/// Certificates as `openssl` makes them, served by Debian's nginx: an expired self-signed RSA 1024
/// one (made under `faketime` in 2020) on 443, a current one signed by a site CA on 8443 (no
/// finding), the same on a box that also speaks TLS 1.0 and 1.1, and a login over plain HTTP on a
/// box without HTTPS.
#[test]
fn tls_certificates_and_a_login_without_tls() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sh = |script: &str| {
        let ok = Command::new("bash")
            .args(["-ec", script])
            .current_dir(d)
            .status()
            .unwrap()
            .success();
        assert!(ok, "{script}");
    };
    // The clock frozen (`-f`), so the certificate's dates are exact on a slow machine too (a
    // ticking fake clock once made notAfter a second late).
    sh(
        "faketime -f '2020-01-01 00:00:00' openssl req -x509 -newkey rsa:1024 -nodes -keyout old.key \
        -out old.pem -days 30 -subj '/CN=ipcam.local/O=Lab Camera' 2>/dev/null",
    );
    sh(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
        -out ca.pem -days 3650 -subj '/CN=Site CA' 2>/dev/null \
        && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout cam.key \
        -out cam.csr -subj '/CN=cam1.site' 2>/dev/null \
        && openssl x509 -req -in cam.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cam.pem \
        -days 825 2>/dev/null",
    );
    sh("printf 'admin:%s\\n' \"$(openssl passwd -apr1 lab-pw)\" > htpasswd");
    // A page behind the login (nginx's `return` would answer before `auth_basic` is asked).
    sh("mkdir www && echo '<title>Camera</title>' > www/index.html");
    let p = d.display();
    let conf = format!(
        "master_process off; daemon off; error_log stderr warn; pid {p}/nginx.pid;
         events {{}}
         http {{
           access_log off;
           client_body_temp_path {p}; proxy_temp_path {p}; fastcgi_temp_path {p};
           uwsgi_temp_path {p}; scgi_temp_path {p};
           server {{ listen 127.0.9.6:443 ssl; ssl_certificate {p}/old.pem;
                    ssl_certificate_key {p}/old.key; ssl_ciphers DEFAULT:@SECLEVEL=0;
                    location / {{ return 200 'ok'; }} }}
           server {{ listen 127.0.9.7:8443 ssl; ssl_certificate {p}/cam.pem;
                    ssl_certificate_key {p}/cam.key;
                    location / {{ return 200 'ok'; }} }}
           server {{ listen 127.0.9.8:80; auth_basic 'Camera'; auth_basic_user_file {p}/htpasswd;
                    root {p}/www; }}
           server {{ listen 127.0.9.11:443 ssl; ssl_certificate {p}/cam.pem;
                    ssl_certificate_key {p}/cam.key; ssl_protocols TLSv1 TLSv1.1 TLSv1.2;
                    ssl_ciphers DEFAULT:@SECLEVEL=0; location / {{ return 200 'ok'; }} }}
         }}"
    );
    std::fs::write(d.join("nginx.conf"), conf).unwrap();
    let conf = d.join("nginx.conf");
    let _nginx = common::start_silent(
        "nginx",
        &["-p", &p.to_string(), "-c", conf.to_str().unwrap()],
        ("127.0.9.8", 80),
    );
    let out = run(
        common::camscan().args([
            "audit",
            "127.0.9.6-8,127.0.9.11",
            "-p",
            "80,443,8443",
            "-f",
            "json",
        ]),
        Duration::from_secs(60),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "no camera there: {err}");
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        findings(&doc),
        // nginx 1.22 still enables TLS 1.0 by default: with the old box's `@SECLEVEL=0` (which
        // its 1024-bit key needs) OpenSSL speaks it; the CA-signed box on 8443 keeps OpenSSL's
        // TLS 1.2 floor, and 127.0.9.11 enables TLS 1.0 and 1.1 on purpose.
        owned(&[
            ("tls-certificate-expired", "high", "127.0.9.6"),
            ("tls-weak-protocol", "medium", "127.0.9.6"),
            ("tls-weak-key", "medium", "127.0.9.6"),
            ("basic-auth-cleartext", "medium", "127.0.9.8"),
            ("tls-missing", "medium", "127.0.9.8"),
            ("tls-weak-protocol", "medium", "127.0.9.11"),
            ("tls-self-signed", "low", "127.0.9.6"),
        ]),
        "{err}"
    );
    let evidence = |id: &str| {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .unwrap()["evidence"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(
        evidence("tls-certificate-expired").starts_with(
            "port 443: the certificate O=Lab Camera,CN=ipcam.local expired 2020-01-31T00:00:00Z"
        ),
        "{}",
        evidence("tls-certificate-expired")
    );
    assert_eq!(
        evidence("tls-weak-key"),
        "port 443: the certificate's key is RSA 1024"
    );
    assert!(evidence("basic-auth-cleartext").contains("realm=\"Camera\""));
    assert_eq!(
        evidence("tls-weak-protocol"),
        "port 443: a ClientHello offering at most TLS 1.1 was answered with a ServerHello for TLS 1.1"
    );
}

/// Debian's snmpd (Net-SNMP) answering `public` on one box, and one that knows only a community
/// of its own on another: the first is a finding with its sysDescr, the second nothing. (Each
/// agent also listens on TCP, the only port the scan is given, so that the box is found.)
#[test]
fn an_snmp_agent_answering_a_default_community() {
    let dir = tempfile::tempdir().unwrap();
    let agent = |ip: &str, community: &str| {
        let state = dir.path().join(ip);
        std::fs::create_dir_all(&state).unwrap();
        let conf = state.join("snmpd.conf");
        std::fs::write(
            &conf,
            format!(
                "agentaddress udp:{ip}:161,tcp:{ip}:1161\nrocommunity {community} 127.0.0.0/8\n\
                 sysDescr Lab camera {ip}\npersistentDir {}\n",
                state.display()
            ),
        )
        .unwrap();
        common::start_silent(
            "snmpd",
            &[
                "-f",
                "-Lo",
                "-C",
                "-c",
                conf.to_str().unwrap(),
                "-p",
                state.join("pid").to_str().unwrap(),
                "-I",
                "-smux,mteTrigger,mteTriggerConf",
            ],
            (ip, 1161),
        )
    };
    let _open = agent("127.0.9.9", "public");
    let _own = agent("127.0.9.10", "n0t-a-default");
    let out = run(
        common::camscan().args(["audit", "127.0.9.9-10", "-p", "1161", "-f", "json"]),
        Duration::from_secs(60),
    );
    let err = stderr(&out);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        findings(&doc),
        owned(&[("snmp-default-community", "high", "127.0.9.9")]),
        "{err}"
    );
    assert_eq!(
        doc["findings"][0]["evidence"],
        "SNMP v2c GetRequest sysDescr.0 with community \"public\" was answered: sysDescr \"Lab camera 127.0.9.9\""
    );
    assert_eq!(doc["summary"]["devices"], 2, "{err}");
}

/// `--check-defaults` on Debian's GStreamer RTSP server (three cameras whose maker the scan
/// cannot tell, so every maker's distinct factory credential is a candidate, in the data file's
/// order): one asking for Hikvision's documented admin/12345 (a finding, critical, without the
/// password anywhere in the table, JSON, CSV or inventory), one with a password of its own (no
/// finding: each default refused once, three refusals and no more, the budget), one asking for
/// MOBOTIX's admin/meinsm, sixth in the file (out of a budget of 3; found with a budget of 6).
/// Without the flag no credential reaches any of them; and when the scan's own credentials spent
/// the budget, no default is sent at all.
#[test]
fn factory_credentials_only_when_asked_and_inside_the_budget() {
    const FACTORY: &str = "127.0.9.13";
    const OWN: &str = "127.0.9.14";
    const DEEP: &str = "127.0.9.15";
    assert!(common::is_root(), "audit needs root: run scripts/test");
    let video = json!({"codec": "h264", "width": 640, "height": 360, "fps": 10, "profile": "main"});
    let cam = |ip: &str, password: &str| {
        json!({"address": ip, "port": 8554,
               "auth": {"method": "digest", "user": "admin", "password": password},
               "mounts": [{"path": "/live", "video": video, "audio": null}]})
    };
    let rtsp = common::rtsp_servers(&json!([
        cam(FACTORY, "12345"),
        cam(OWN, "n0t-a-factory-one"),
        cam(DEEP, "meinsm")
    ]));
    let authfails = |ip: &str| {
        rtsp.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| **l == format!("AUTHFAIL {ip}:8554"))
            .count()
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    let audit = |targets: &str, extra: &[&str]| {
        let mut c = common::camscan_with_db(&db);
        c.args(["audit", targets, "-p", "8554", "--no-verify"]);
        run(c.args(extra), Duration::from_secs(120))
    };
    let defaults = |doc: &Value| -> Vec<(String, String, String)> {
        findings(doc)
            .into_iter()
            .filter(|(id, _, _)| id == "default-credential")
            .collect()
    };

    // Without the flag: no factory credential is sent (the servers see no login at all).
    let out = audit("127.0.9.13-15", &["-f", "json"]);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(defaults(&doc).is_empty(), "{}", stderr(&out));
    assert_eq!(
        [FACTORY, OWN, DEEP].map(authfails),
        [0, 0, 0],
        "no credential sent"
    );
    let streams: Vec<&str> = doc["report"]["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["streams"][0]["status"].as_str().unwrap())
        .collect();
    assert_eq!(streams, ["auth_required"; 3], "{doc}");

    // With it: Hikvision's default opens FACTORY; OWN refuses three defaults, each once.
    let out = audit("127.0.9.13-15", &["-f", "json", "--check-defaults"]);
    let text = stdout(&out);
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        defaults(&doc),
        owned(&[("default-credential", "critical", FACTORY)]),
        "{}",
        stderr(&out)
    );
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "default-credential")
        .unwrap();
    assert_eq!(
        f["evidence"],
        format!(
            "Hikvision's factory user \"admin\" with Hikvision's documented default password \
             (not shown) opened rtsp://{FACTORY}:8554/live"
        )
    );
    assert_eq!(f["port"], 8554);
    assert!(f["source"].as_str().unwrap().contains("https://"), "{f}");
    assert_eq!(
        [authfails(FACTORY), authfails(OWN), authfails(DEEP)],
        [0, 3, 3],
        "the first default opened FACTORY; the others refused 3, the budget, none twice"
    );
    for (name, secret) in [("12345", "12345"), ("meinsm", "meinsm")] {
        assert!(!text.contains(secret), "{name} in the JSON");
    }
    // The table and the CSV say it without the password either; so does the inventory.
    for format in ["table", "csv"] {
        let out = audit(FACTORY, &["-f", format, "--check-defaults"]);
        let text = stdout(&out);
        assert!(text.contains("default-credential"), "{format}: {text}");
        assert!(!text.contains("12345"), "{format}: {text}");
    }
    let stored = std::fs::read(&db).unwrap();
    for secret in ["12345", "meinsm"] {
        assert!(
            !stored.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} in the inventory"
        );
    }

    // A bigger budget reaches MOBOTIX's default, sixth in the file.
    let before = authfails(DEEP);
    let out = audit(
        DEEP,
        &["-f", "json", "--check-defaults", "--auth-budget", "6"],
    );
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        defaults(&doc),
        owned(&[("default-credential", "critical", DEEP)]),
        "{}",
        stderr(&out)
    );
    assert!(
        doc["findings"][0]["evidence"]
            .as_str()
            .unwrap()
            .starts_with("Mobotix's factory user \"admin\""),
        "{}",
        doc["findings"][0]
    );
    assert_eq!(
        authfails(DEEP) - before,
        5,
        "five refused, the sixth opened"
    );

    // The scan's own (wrong) credentials spend the budget: no default is sent.
    let creds = file("admin:wrong-1\nadmin:wrong-2\nadmin:wrong-3\n");
    let before = authfails(FACTORY);
    let out = audit(
        FACTORY,
        &[
            "-f",
            "json",
            "--check-defaults",
            "--credentials",
            creds.path().to_str().unwrap(),
        ],
    );
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(defaults(&doc).is_empty(), "{}", stderr(&out));
    assert_eq!(
        authfails(FACTORY) - before,
        3,
        "the scan's three, no default"
    );
}

/// `scripts/refresh-advisories` on a small catalogue written in the KEV feed's format
/// (tests/fixtures/kev_sample.json; the machine cannot reach CISA's): the file is valid, the one
/// Hikvision entry of the catalogue it lacks is listed, the other maker's entry is not; a file with
/// a version that does not parse is refused.
#[test]
fn the_advisories_refresh_script_lists_what_the_catalogue_has_and_the_file_lacks() {
    let root = common::root_dir();
    let script = root.join("scripts/refresh-advisories");
    let sample = root.join("tests/fixtures/kev_sample.json");
    let out = run(
        Command::new("python3").arg(&script).arg(&sample),
        Duration::from_secs(30),
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(text.contains("advisories, valid"), "{text}");
    let missing: Vec<&str> = text.lines().filter(|l| l.starts_with("missing:")).collect();
    assert_eq!(missing.len(), 1, "{text}");
    assert!(
        missing[0].starts_with("missing: CVE-2021-36260  Hikvision"),
        "{text}"
    );
    assert!(
        !text.contains("CVE-2021-22681"),
        "not a maker of the file: {text}"
    );
    assert!(
        !text.contains("flag:"),
        "the file's kev flags agree: {text}"
    );
    let bad = file(
        &std::fs::read_to_string(root.join("data/advisories.yaml"))
            .unwrap()
            .replace("before: \"5.65\"", "before: \"five\""),
    );
    let out = run(
        Command::new("python3")
            .arg(&script)
            .arg(&sample)
            .arg("--data")
            .arg(bad.path()),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout(&out).contains("CVE-2017-20049") && stdout(&out).contains("does not parse"),
        "{}",
        stdout(&out)
    );
}

/// One password on a camera's stream and on another device's web admin page (a login wall,
/// CPython's http.server behind Basic on 127.0.9.5): `credential-reuse` names both services,
/// never the password.
#[test]
fn a_password_shared_by_a_stream_and_a_web_admin_page_is_reported() {
    lab();
    let _web = common::http_server_with_login("127.0.9.5", 8080, &format!("admin:{PASSWORD}"));
    let creds = file(&format!("admin:{PASSWORD}\n"));
    let out = run(
        common::camscan()
            .args(["audit", BASIC, "127.0.9.5", "-p", "8554,8080", "-f", "json"])
            .arg("--credentials")
            .arg(creds.path()),
        Duration::from_secs(120),
    );
    let text = stdout(&out);
    assert!(!text.contains(PASSWORD), "no password in the audit");
    let doc: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    let reuse: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "credential-reuse")
        .collect();
    let evidence: Vec<&str> = reuse
        .iter()
        .map(|f| f["evidence"].as_str().unwrap_or_default())
        .collect();
    assert!(
        evidence
            .iter()
            .any(|e| e.contains(&format!("rtsp://{BASIC}:8554"))
                && e.contains("http://127.0.9.5:8080")
                && e.contains("web admin")),
        "{evidence:?}\n{}",
        stderr(&out)
    );
}
