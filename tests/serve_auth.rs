//! `camscan serve` security end to end, against the real binary on 127.0.0.221-229 (loopback
//! only: a bind beyond loopback is checked by the pure `bind_policy` unit tests and by the
//! refusal in `tests/serve.rs`, never by binding one): `--auth` asks for the token (401 problem,
//! bearer, the login form's cookie and its attributes, 429 after failed logins), cross-site
//! POSTs are refused, the headers of every answer, `--print-token` and the token file's mode,
//! and HTTPS with `--tls-cert/--tls-key` (a self-signed certificate from `openssl`, talked to with
//! `curl --cacert`).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Serve, camscan_with_db, free_port, run, stderr, stdout};

const LIMIT: Duration = Duration::from_secs(90);

/// An empty inventory (a scan of a closed port) in `dir`.
fn inventory(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("inventory.db");
    let out = run(
        camscan_with_db(&db).args(["scan", "127.0.0.228", "-p", "9", "--discovery", "ports"]),
        LIMIT,
    );
    assert!(db.exists(), "{}", stderr(&out));
    db
}

/// `camscan serve` on a free port of `ip`, with `extra` arguments.
fn serve_on(db: &Path, ip: &str, extra: &[&str]) -> Serve {
    Serve::start(db, &format!("{ip}:{}", free_port(ip)), extra)
}

#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
}

fn exchange(addr: &str, request: &str) -> Answer {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a head");
    Answer {
        status: head.split_whitespace().nth(1).unwrap().parse().unwrap(),
        head: head.to_string(),
        body: body.to_string(),
    }
}

/// `method path` with `headers` (each `Name: value`) and `body`.
fn request(addr: &str, method: &str, path: &str, headers: &[String], body: &str) -> Answer {
    let mut r = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for h in headers {
        r.push_str(h);
        r.push_str("\r\n");
    }
    if !body.is_empty() || method == "POST" {
        r.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    r.push_str("\r\n");
    r.push_str(body);
    exchange(addr, &r)
}

fn problem_type(a: &Answer) -> String {
    let v: serde_json::Value = serde_json::from_str(&a.body).unwrap_or_default();
    v["type"].as_str().unwrap_or_default().to_string()
}

fn assert_security_headers(a: &Answer) {
    let csp = a.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("script-src 'self'"), "{}", a.head);
    assert!(csp.contains("frame-ancestors 'none'"), "{}", a.head);
    assert_eq!(
        a.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert_eq!(a.header("referrer-policy").as_deref(), Some("no-referrer"));
    assert_eq!(a.header("x-frame-options").as_deref(), Some("DENY"));
}

fn print_token(db: &Path) -> String {
    let out = run(camscan_with_db(db).args(["serve", "--print-token"]), LIMIT);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stdout(&out).trim().to_string()
}

#[test]
fn print_token_makes_a_0600_file_and_refuses_an_open_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    // No inventory needed: the token lives next to where it is.
    let token = print_token(&db);
    assert_eq!(token.len(), 64);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    let file = dir.path().join("serve.token");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(print_token(&db), token, "the same token the second time");

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(camscan_with_db(&db).args(["serve", "--print-token"]), LIMIT);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("permissions 0644"), "{err}");
    assert!(err.contains("chmod 600"), "{err}");
    assert!(stdout(&out).is_empty());

    // serve refuses it too, on loopback as well.
    let inv = inventory(dir.path());
    let out = run(
        camscan_with_db(&inv).args(["serve", "--listen", "127.0.0.229:1"]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("too open"), "{}", stderr(&out));
}

#[test]
fn auth_asks_for_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let db = inventory(dir.path());
    let token = print_token(&db);
    let serve = serve_on(&db, "127.0.0.221", &["--auth"]);
    let addr = serve.addr.clone();
    let origin = format!("Origin: http://{addr}");

    // No token: 401 problem with WWW-Authenticate; the page redirects to the form.
    let a = request(&addr, "GET", "/api/v1/devices", &[], "");
    assert_eq!(a.status, 401, "{}", a.body);
    assert_eq!(problem_type(&a), "urn:camscan:problem:unauthorized");
    assert!(a.header("www-authenticate").unwrap().starts_with("Bearer"));
    assert_security_headers(&a);
    let a = request(&addr, "GET", "/", &[], "");
    assert_eq!(a.status, 303);
    assert_eq!(a.header("location").as_deref(), Some("/login"));
    // A wrong bearer is no better.
    let a = request(
        &addr,
        "GET",
        "/api/v1/devices",
        &["Authorization: Bearer 00".into()],
        "",
    );
    assert_eq!(a.status, 401);

    // The bearer token: in.
    let bearer = format!("Authorization: Bearer {token}");
    let a = request(
        &addr,
        "GET",
        "/api/v1/devices",
        std::slice::from_ref(&bearer),
        "",
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert_security_headers(&a);
    // curl-like POST with the bearer and no Origin passes the cross-site check (405: no POST
    // route here), the same with a foreign Origin does not.
    let a = request(
        &addr,
        "POST",
        "/api/v1/devices",
        std::slice::from_ref(&bearer),
        "{}",
    );
    assert_eq!(a.status, 405, "{}", a.body);
    let a = request(
        &addr,
        "POST",
        "/api/v1/devices",
        &[bearer.clone(), "Origin: http://evil.example".into()],
        "{}",
    );
    assert_eq!(a.status, 403);
    assert_eq!(problem_type(&a), "urn:camscan:problem:cross-origin");

    // The login form: no inline script or style; its stylesheet is open.
    let form = request(&addr, "GET", "/login", &[], "");
    assert_eq!(form.status, 200);
    assert!(
        form.body
            .contains("<form method=\"post\" action=\"/login\">")
    );
    assert!(!form.body.contains("<script") && !form.body.contains("style="));
    assert_security_headers(&form);
    let css = request(&addr, "GET", "/assets/login.css", &[], "");
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));

    // The right token: 303 to / and the session cookie with its attributes (no Secure without
    // TLS), which then lets the API in.
    let form_type = "Content-Type: application/x-www-form-urlencoded".to_string();
    let a = request(
        &addr,
        "POST",
        "/login",
        &[form_type.clone(), origin.clone()],
        &format!("token={token}"),
    );
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(a.header("location").as_deref(), Some("/"));
    let cookie = a.header("set-cookie").unwrap();
    assert!(cookie.starts_with("camscan_session="), "{cookie}");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(!cookie.contains(&token), "the cookie is not the token");
    let session = cookie.split(';').next().unwrap().to_string();
    let with_cookie = format!("Cookie: {session}");
    let a = request(
        &addr,
        "GET",
        "/api/v1/devices",
        std::slice::from_ref(&with_cookie),
        "",
    );
    assert_eq!(a.status, 200, "{}", a.body);

    // CSRF: the cookie with a foreign Origin, or with no Origin at all, changes nothing.
    for extra in [
        Some("Origin: http://evil.example"),
        Some("Sec-Fetch-Site: cross-site"),
        None,
    ] {
        let mut h = vec![with_cookie.clone(), form_type.clone()];
        h.extend(extra.map(String::from));
        let a = request(&addr, "POST", "/logout", &h, "");
        assert_eq!(a.status, 403, "{extra:?}: {}", a.body);
        assert_eq!(problem_type(&a), "urn:camscan:problem:cross-origin");
    }
    // The same-origin logout ends the session.
    let a = request(
        &addr,
        "POST",
        "/logout",
        &[with_cookie.clone(), origin.clone()],
        "",
    );
    assert_eq!(a.status, 303);
    assert!(a.header("set-cookie").unwrap().contains("Max-Age=0"));
    let a = request(&addr, "GET", "/api/v1/devices", &[with_cookie], "");
    assert_eq!(a.status, 401);

    // The login body is bounded: over the cap is 413.
    let big = format!("token={}", "a".repeat(4096));
    let a = request(
        &addr,
        "POST",
        "/login",
        &[form_type.clone(), origin.clone()],
        &big,
    );
    assert_eq!(a.status, 413, "{}", a.body);
    assert_eq!(problem_type(&a), "urn:camscan:problem:body-too-large");

    // A login body that never ends is cut by its deadline (10 s), not held.
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        slow,
        "POST /login HTTP/1.1\r\nHost: {addr}\r\n{origin}\r\n{form_type}\r\nContent-Length: 100\r\n\r\ntoken=ab"
    )
    .unwrap();
    let t = Instant::now();
    let mut raw = Vec::new();
    let _ = slow.read_to_end(&mut raw);
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_secs(8) && waited < Duration::from_secs(15),
        "{waited:?}"
    );
    let raw = String::from_utf8_lossy(&raw);
    assert!(raw.starts_with("HTTP/1.1 503"), "{raw}");
    assert!(raw.contains("urn:camscan:problem:timeout"), "{raw}");

    // Wrong tokens: 401 with the form again, 5 times; then 429 even for the right one.
    for _ in 0..5 {
        let a = request(
            &addr,
            "POST",
            "/login",
            &[form_type.clone(), origin.clone()],
            "token=nope",
        );
        assert_eq!(a.status, 401);
        assert!(a.body.contains("not the token"), "{}", a.body);
        assert!(a.header("set-cookie").is_none());
    }
    let a = request(
        &addr,
        "POST",
        "/login",
        &[form_type.clone(), origin.clone()],
        &format!("token={token}"),
    );
    assert_eq!(a.status, 429);
    assert!(a.header("retry-after").is_some());
    assert!(a.header("set-cookie").is_none());
}

#[test]
fn loopback_without_auth_guards_cross_site_and_rebinding() {
    let dir = tempfile::tempdir().unwrap();
    let db = inventory(dir.path());
    let serve = serve_on(&db, "127.0.0.222", &[]);
    let addr = serve.addr.clone();
    // The first start made the token file, mode 0600.
    let file = dir.path().join("serve.token");
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let a = request(&addr, "GET", "/api/v1/devices", &[], "");
    assert_eq!(a.status, 200);
    assert_security_headers(&a);
    assert!(a.header("strict-transport-security").is_none());
    // No login routes without auth.
    assert_eq!(request(&addr, "GET", "/login", &[], "").status, 404);
    // A page on another site cannot make the browser POST here.
    let a = request(
        &addr,
        "POST",
        "/api/v1/devices",
        &["Origin: http://evil.example".into()],
        "{}",
    );
    assert_eq!(a.status, 403);
    assert_eq!(problem_type(&a), "urn:camscan:problem:cross-origin");
    // DNS rebinding: another name for 127.0.0.1 is refused.
    let a = exchange(
        &addr,
        "GET /api/v1/devices HTTP/1.1\r\nHost: rebound.example:8750\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(a.status, 403, "{}", a.body);
}

#[test]
fn tls_serves_https_and_the_cookie_is_secure() {
    let dir = tempfile::tempdir().unwrap();
    let db = inventory(dir.path());
    let token = print_token(&db);
    let ip = "127.0.0.223";
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let out = run(
        Command::new("openssl").args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=camscan test",
            "-addext",
            &format!("subjectAltName=IP:{ip}"),
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            cert.to_str().unwrap(),
        ]),
        LIMIT,
    );
    assert!(out.status.success(), "openssl: {}", stderr(&out));
    let serve = serve_on(
        &db,
        ip,
        &[
            "--auth",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    let base = format!("https://{}", serve.addr);
    let curl = |args: &[&str]| {
        let out = run(
            Command::new("curl")
                .args([
                    "-sS",
                    "-i",
                    "--max-time",
                    "20",
                    "--cacert",
                    cert.to_str().unwrap(),
                ])
                .args(args),
            LIMIT,
        );
        assert!(out.status.success(), "curl {args:?}: {}", stderr(&out));
        stdout(&out)
    };
    let out = curl(&[&format!("{base}/api/v1/devices")]);
    assert!(out.starts_with("HTTP/1.1 401"), "{out}");
    let out = curl(&[
        "-H",
        &format!("Authorization: Bearer {token}"),
        &format!("{base}/api/v1/devices"),
    ]);
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(
        out.to_ascii_lowercase()
            .contains("strict-transport-security: max-age="),
        "{out}"
    );
    let out = curl(&[
        "-H",
        &format!("Origin: {base}"),
        "--data-urlencode",
        &format!("token={token}"),
        &format!("{base}/login"),
    ]);
    assert!(out.starts_with("HTTP/1.1 303"), "{out}");
    let cookie = out
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    // Plain HTTP on the TLS port gets no answer, and a handshake never started is cut by the
    // header deadline (the server still answers others meanwhile).
    let mut idle = TcpStream::connect(&serve.addr).unwrap();
    let out = curl(&[
        "-H",
        &format!("Authorization: Bearer {token}"),
        &format!("{base}/api/v1/scans"),
    ]);
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    idle.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let t = Instant::now();
    let mut rest = Vec::new();
    let _ = idle.read_to_end(&mut rest);
    assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
}
