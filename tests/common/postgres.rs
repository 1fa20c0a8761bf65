//! A real PostgreSQL for the tests: Debian's `postgresql` package (scripts/test installs it),
//! `initdb` in a temporary directory and the server run in the foreground as a child of the test
//! process, as the `postgres` user (PostgreSQL refuses to run as root), listening on a loopback
//! address (or a test namespace's) and a free port, with trust authentication for the `camscan`
//! role unless a test sets a password. `pg()` is one server per test binary; `Pg::start_on` a
//! server of a test's own that it may stop, restart and kill.
//!
//! Nothing outlives the test process: the server is started with a parent-death signal (SIGINT,
//! PostgreSQL's fast shutdown) through `setpriv --pdeathsig`, and `Drop` stops it. This file is
//! also compiled into the library's unit tests (`crates/store/src/testing.rs`), so it uses only std and
//! `tempfile`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A PostgreSQL server of the tests.
pub struct Pg {
    pub addr: String,
    pub port: u16,
    /// The data directory (and the server's Unix socket, its log).
    pub dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    child: Option<Child>,
    /// Run the server inside this network namespace (`ip netns exec NS`).
    netns: Option<String>,
    /// PostgreSQL's default, `fsync=on` (every commit waits for the disk); the tests run with it
    /// off (a test's data need not survive a power cut), `Pg::durable` turns it on.
    pub fsync: bool,
}

/// The directory of Debian's PostgreSQL binaries (`/usr/lib/postgresql/<major>/bin`), newest major.
pub fn bin_dir() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let major = e.file_name().to_str()?.parse::<u32>().ok()?;
                    let bin = e.path().join("bin");
                    bin.join("initdb").exists().then_some((major, bin))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found.pop().map(|(_, p)| p).unwrap_or_else(|| {
        panic!(
            "no PostgreSQL server under /usr/lib/postgresql: install Debian's postgresql package \
             (scripts/test does)"
        )
    })
}

fn is_root() -> bool {
    // SAFETY-free: read the effective uid from /proc rather than calling libc.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// `cmd` as the `postgres` user when running as root (PostgreSQL refuses root).
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=postgres",
            "--regid=postgres",
            "--init-groups",
            "--pdeathsig=INT",
        ]);
        c.arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// Spawn `cmd` from a thread that lives as long as the process: a parent-death signal
/// (`setpriv --pdeathsig`) fires when the *thread* that forked the child exits, and a test's
/// thread ends with the test while the server must serve the whole binary.
fn spawn_kept(mut cmd: Command) -> Child {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(cmd.spawn());
        loop {
            std::thread::park();
        }
    });
    rx.recv()
        .expect("the spawning thread answers")
        .expect("postgres starts")
}

fn free_port(addr: &str) -> u16 {
    TcpListener::bind((addr, 0))
        .or_else(|_| TcpListener::bind(("127.0.0.1", 0)))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The one server of this test binary, on 127.0.0.1.
pub fn pg() -> &'static Pg {
    static PG: OnceLock<Pg> = OnceLock::new();
    PG.get_or_init(|| Pg::start_on("127.0.0.1"))
}

impl Pg {
    /// A new server of its own on `addr` (a free port), `camscan` its superuser.
    pub fn start_on(addr: &str) -> Pg {
        Pg::start_in(addr, None)
    }

    /// A new server inside the network namespace `netns`, listening on `addr` there.
    pub fn start_in(addr: &str, netns: Option<&str>) -> Pg {
        let tmp = tempfile::Builder::new()
            .prefix("camscan-pg")
            .tempdir()
            .expect("a temporary directory");
        let dir = tmp.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(tmp.path())
                .status()
                .unwrap();
            assert!(status.success(), "chown of the data directory");
        }
        let out = as_postgres(&bin_dir().join("initdb"))
            .args([
                "-A",
                "trust",
                "-U",
                "camscan",
                "--locale=C",
                "-E",
                "UTF8",
                "-N",
                "-D",
            ])
            .arg(&dir)
            .output()
            .expect("initdb runs");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Any client address (a namespace's peers) may connect, with trust unless a test turns
        // password authentication on (`require_password`).
        let mut hba = std::fs::read_to_string(dir.join("pg_hba.conf")).unwrap_or_default();
        hba.push_str("\nhost all all 0.0.0.0/0 trust\n");
        std::fs::write(dir.join("pg_hba.conf"), hba).unwrap();
        let mut pg = Pg {
            addr: addr.to_string(),
            port: free_port(if netns.is_some() { "127.0.0.1" } else { addr }),
            dir,
            _tmp: Some(tmp),
            child: None,
            netns: netns.map(str::to_string),
            fsync: false,
        };
        pg.start();
        pg
    }

    /// Restart with PostgreSQL's default durability (`fsync=on`, `synchronous_commit=on`).
    pub fn durable(&mut self) {
        self.stop();
        self.fsync = true;
        self.start();
    }

    /// Start the server (again) on the same address, port and data.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "already running");
        let log = std::fs::File::create(self.dir.join("server.log")).unwrap();
        let postgres = bin_dir().join("postgres");
        let mut cmd = match &self.netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns]);
                c.arg("setpriv");
                c.args([
                    "--reuid=postgres",
                    "--regid=postgres",
                    "--init-groups",
                    "--pdeathsig=INT",
                ]);
                c.arg(&postgres);
                c
            }
            None => as_postgres(&postgres),
        };
        cmd.arg("-D")
            .arg(&self.dir)
            .args(["-c", &format!("listen_addresses={}", self.addr)])
            .args(["-p", &self.port.to_string()])
            .arg("-k")
            .arg(&self.dir)
            .args(["-c", if self.fsync { "fsync=on" } else { "fsync=off" }])
            .args(["-c", "max_connections=200"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        self.child = Some(spawn_kept(cmd));
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.try_psql("postgres", "SELECT 1").is_ok() {
                return;
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("postgres exited ({status}): {}", self.log());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "postgres did not accept connections in 30 s: {}",
            self.log()
        );
    }

    /// Fast shutdown (SIGINT): clients are disconnected, the data is kept.
    pub fn stop(&mut self) {
        self.signal("INT");
    }

    /// Kill the server outright (SIGKILL of the postmaster; the data directory survives as after a
    /// power cut, and the next start recovers it).
    pub fn kill(&mut self) {
        self.signal("KILL");
        // The backends notice the postmaster's death and exit; wait for the port to be free.
        let pid_file = self.dir.join("postmaster.pid");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && self.try_psql("postgres", "SELECT 1").is_ok() {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = std::fs::remove_file(pid_file);
    }

    fn signal(&mut self, sig: &str) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // The child is setpriv/ip exec'd into postgres: its pid is the postmaster's.
        let _ = Command::new("kill")
            .args([&format!("-{sig}"), &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Stop and start again (same port and data).
    pub fn restart(&mut self) {
        self.stop();
        self.start();
    }

    /// `postgres://camscan@ADDR:PORT/DB?sslmode=disable`.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://camscan@{}:{}/{db}?sslmode=disable",
            self.addr, self.port
        )
    }

    /// Create database `name` (owned by `camscan`) and return its URL.
    pub fn create_db(&self, name: &str) -> String {
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
        self.url(name)
    }

    /// Run `sql` with psql over the Unix socket in the data directory; its output (`-At`).
    pub fn psql(&self, db: &str, sql: &str) -> String {
        self.try_psql(db, sql)
            .unwrap_or_else(|e| panic!("psql {sql:?}: {e}"))
    }

    pub fn try_psql(&self, db: &str, sql: &str) -> Result<String, String> {
        let mut cmd = self.psql_command();
        let out = cmd
            .args(["-X", "-At", "-v", "ON_ERROR_STOP=1", "-U", "camscan", "-h"])
            .arg(&self.dir)
            .args(["-p", &self.port.to_string(), "-d", db, "-c", sql])
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    }

    /// psql, inside the server's namespace when it has one.
    fn psql_command(&self) -> Command {
        match &self.netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns]);
                c.arg(bin_dir().join("psql"));
                c
            }
            None => Command::new(bin_dir().join("psql")),
        }
    }

    /// Turn password authentication (SCRAM) on for TCP clients, with `password` for `camscan`.
    pub fn require_password(&self, password: &str) {
        self.psql(
            "postgres",
            &format!(
                "ALTER ROLE camscan PASSWORD '{}'",
                password.replace('\'', "''")
            ),
        );
        let hba = "local all all trust\nhost all all 0.0.0.0/0 scram-sha-256\n\
                   host all all ::/0 scram-sha-256\n";
        std::fs::write(self.dir.join("pg_hba.conf"), hba).unwrap();
        self.psql("postgres", "SELECT pg_reload_conf()");
    }

    /// A psql session as `camscan` that runs `sql` (say, a transaction that takes a lock) and
    /// holds it open until [`Held::release`].
    pub fn hold(&self, sql: &str) -> Held {
        use std::io::{BufRead, Write};
        let mut cmd = self.psql_command();
        let mut child = cmd
            .args(["-X", "-At", "-v", "ON_ERROR_STOP=1", "-U", "camscan", "-h"])
            .arg(&self.dir)
            .args(["-p", &self.port.to_string(), "-d", "hub"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("psql runs");
        let mut stdin = child.stdin.take().expect("psql's stdin");
        writeln!(stdin, "{sql}\nSELECT 'held';").expect("psql reads");
        let mut out = std::io::BufReader::new(child.stdout.take().expect("psql's stdout"));
        let mut line = String::new();
        while out.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
            if line.trim() == "held" {
                return Held { child, stdin };
            }
            line.clear();
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("psql did not run {sql:?}: {}", self.log());
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A psql session holding what [`Pg::hold`] ran.
pub struct Held {
    child: Child,
    stdin: std::process::ChildStdin,
}

impl Held {
    /// Run `sql` (say, `COMMIT;`) and end the session.
    pub fn release(mut self, sql: &str) {
        use std::io::Write;
        let _ = writeln!(self.stdin, "{sql}");
        drop(self.stdin);
        let _ = self.child.wait();
    }
}
