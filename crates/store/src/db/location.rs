//! Where the inventory is (pure): `--db` (env `CAMSCAN_DB`, config `db:`) is a file path (SQLite)
//! or a `postgres://` / `postgresql://` URL (a PostgreSQL server, the fleet's hub).
//!
//! The URL is libpq's (postgresql.org/docs/current/libpq-connect.html §34.1.1):
//! `postgres://[user[:password]@][host][:port][/dbname][?param=value&...]`, with the parameters
//! camscan understands (`sslmode`, `sslrootcert`, `passfile`, `connect_timeout`,
//! `application_name`) and libpq's environment defaults (`PGHOST`, `PGPORT`, `PGUSER`,
//! `PGDATABASE`, `PGSSLMODE`, `PGSSLROOTCERT`, `PGPASSFILE`, `PGCONNECT_TIMEOUT`). The password
//! comes, first found, from `--db-password-file`, the URL (discouraged: argv is visible to every
//! user of the machine), `PGPASSWORD`, then the password file (`passfile=`, `PGPASSFILE`,
//! `~/.pgpass`) as libpq reads it ([`crate::pgpass`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The inventory `--db` names.
#[derive(Debug, Clone)]
pub enum DbLocation {
    /// An SQLite file.
    File(PathBuf),
    /// A PostgreSQL database.
    Postgres(Box<PgTarget>),
}

impl DbLocation {
    /// Read `--db`: a `postgres://` or `postgresql://` URL, else a file path. `env` reads an
    /// environment variable (libpq's defaults).
    pub fn parse(s: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<DbLocation, String> {
        if is_postgres_url(s) {
            Ok(DbLocation::Postgres(Box::new(PgTarget::from_url(s, env)?)))
        } else {
            Ok(DbLocation::File(PathBuf::from(s)))
        }
    }

    /// As an operator would write it, never with a password.
    pub fn display(&self) -> String {
        match self {
            DbLocation::File(p) => p.display().to_string(),
            DbLocation::Postgres(t) => t.display(),
        }
    }
}

pub use model::is_postgres_url;

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain TCP.
    Disable,
    /// TLS when the server offers it, any certificate (libpq's default).
    Prefer,
    /// TLS, any certificate (encryption, no authentication of the server).
    Require,
    /// TLS, a certificate signed by `sslrootcert`'s authorities, for any name.
    VerifyCa,
    /// TLS, a certificate signed by `sslrootcert`'s authorities, for the host connected to.
    VerifyFull,
}

impl SslMode {
    fn parse(s: &str) -> Result<SslMode, String> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!(
                    "sslmode={other}: expected disable, prefer, require, verify-ca or verify-full"
                ));
            }
        })
    }

    /// Whether the server's certificate is checked against `sslrootcert`.
    pub fn verifies(self) -> bool {
        matches!(self, SslMode::VerifyCa | SslMode::VerifyFull)
    }
}

/// A PostgreSQL database and how to log in to it.
#[derive(Clone)]
pub struct PgTarget {
    pub host: String,
    pub port: u16,
    pub dbname: String,
    pub user: String,
    password: Option<String>,
    /// Where the password came from, for error messages ("PGPASSWORD", "~/.pgpass", ...).
    pub password_source: Option<String>,
    /// The URL itself carried a password (argv is visible to every user: a warning).
    pub password_in_url: bool,
    pub sslmode: SslMode,
    pub sslrootcert: Option<PathBuf>,
    pub passfile: Option<PathBuf>,
    pub connect_timeout: Duration,
    /// The TLS client, made by the caller (`net::tls`) for `sslmode`; `None` for `disable`.
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgTarget")
            .field("url", &self.display())
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("sslmode", &self.sslmode)
            .finish_non_exhaustive()
    }
}

/// How long a connection attempt may take when the URL does not say.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl PgTarget {
    /// Parse a `postgres://` URL, with libpq's environment defaults from `env`.
    pub fn from_url(s: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<PgTarget, String> {
        let url = url::Url::parse(s).map_err(|e| format!("not a PostgreSQL URL: {e}"))?;
        let decode = crate::columns::percent_decode;
        let host = match url.host_str().filter(|h| !h.is_empty()) {
            Some(h) => h.trim_start_matches('[').trim_end_matches(']').to_string(),
            None => env("PGHOST").unwrap_or_else(|| "localhost".into()),
        };
        if host.starts_with('/') {
            return Err("a Unix socket directory as host: camscan connects over TCP only".into());
        }
        let port = match url.port() {
            Some(p) => p,
            None => match env("PGPORT") {
                Some(p) => p.parse().map_err(|_| format!("PGPORT={p}: not a port"))?,
                None => 5432,
            },
        };
        let user = match url.username() {
            "" => env("PGUSER")
                .or_else(|| env("USER"))
                .ok_or("no user in the URL, PGUSER or USER")?,
            u => decode(u),
        };
        let dbname = match url.path().trim_start_matches('/') {
            "" => env("PGDATABASE").unwrap_or_else(|| user.clone()),
            d => decode(d),
        };
        let password = url.password().map(decode);
        let mut t = PgTarget {
            host,
            port,
            dbname,
            user,
            password_in_url: password.is_some(),
            password_source: password.as_ref().map(|_| "the URL".to_string()),
            password,
            sslmode: SslMode::Prefer,
            sslrootcert: None,
            passfile: None,
            connect_timeout: CONNECT_TIMEOUT,
            tls: None,
        };
        let mut sslmode = env("PGSSLMODE");
        let mut rootcert = env("PGSSLROOTCERT");
        let mut passfile = env("PGPASSFILE");
        let mut timeout = env("PGCONNECT_TIMEOUT");
        for (k, v) in url.query_pairs() {
            match &*k {
                "sslmode" => sslmode = Some(v.into_owned()),
                "sslrootcert" => rootcert = Some(v.into_owned()),
                "passfile" => passfile = Some(v.into_owned()),
                "connect_timeout" => timeout = Some(v.into_owned()),
                "application_name" => {}
                other => {
                    return Err(format!(
                        "unknown parameter {other:?} (camscan understands sslmode, sslrootcert, \
                         passfile, connect_timeout, application_name)"
                    ));
                }
            }
        }
        if let Some(m) = sslmode {
            t.sslmode = SslMode::parse(&m)?;
        }
        t.sslrootcert = rootcert.map(PathBuf::from);
        t.passfile = passfile.map(PathBuf::from);
        if let Some(s) = timeout {
            // libpq: zero, negative or unset is "wait forever"; a deadline is kept regardless.
            let secs: i64 = s
                .parse()
                .map_err(|_| format!("connect_timeout={s}: not a number of seconds"))?;
            if secs > 0 {
                t.connect_timeout = Duration::from_secs(secs.clamp(2, 300) as u64);
            }
        }
        Ok(t)
    }

    /// `postgres://user@host:port/dbname`: never the password.
    pub fn display(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!(
            "postgres://{}@{}:{}/{}",
            self.user, host, self.port, self.dbname
        )
    }

    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// Find the password as libpq does, after `--db-password-file` (`file`, highest): the URL,
    /// `PGPASSWORD`, then the password file. `home` is the user's home directory (for
    /// `~/.pgpass`). Returns a warning to log when a password file was skipped.
    pub fn resolve_password(
        &mut self,
        file: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
        home: Option<&Path>,
    ) -> Result<Option<String>, String> {
        if let Some(f) = file {
            let text = std::fs::read_to_string(f)
                .map_err(|e| format!("--db-password-file {}: {e}", f.display()))?;
            let pw = text.lines().next().unwrap_or("").to_string();
            self.password = Some(pw);
            self.password_source = Some(format!("--db-password-file {}", f.display()));
            return Ok(None);
        }
        if self.password.is_some() {
            return Ok(None);
        }
        if let Some(pw) = env("PGPASSWORD") {
            self.password = Some(pw);
            self.password_source = Some("PGPASSWORD".into());
            return Ok(None);
        }
        let path = match &self.passfile {
            Some(p) => p.clone(),
            None => match home {
                Some(h) => h.join(".pgpass"),
                None => return Ok(None),
            },
        };
        let Ok(meta) = std::fs::metadata(&path) else {
            return Ok(None);
        };
        use std::os::unix::fs::PermissionsExt;
        if !meta.is_file() {
            return Ok(None);
        }
        if !crate::pgpass::permissions_ok(meta.permissions().mode()) {
            return Ok(Some(format!(
                "password file {} has group or world access; permissions should be u=rw (0600) \
                 or less: not read",
                path.display()
            )));
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("password file {}: {e}", path.display()))?;
        let entries = crate::pgpass::parse(&text);
        if let Some(pw) =
            crate::pgpass::lookup(&entries, &self.host, self.port, &self.dbname, &self.user)
        {
            self.password = Some(pw.to_string());
            self.password_source = Some(path.display().to_string());
        }
        Ok(None)
    }
}

/// Why a site whose own inventory is at `db` cannot send to a hub (`--hub`): its URL without a
/// password and the reason, or `None` (a file). The hub reads a site's rows by id after its
/// cursor, so ids must be committed in order: one SQLite writer does that, several PostgreSQL
/// sessions do not (one can commit id 101 after another committed 102, and the cursor would skip
/// 101).
pub fn no_agent(db: &std::path::Path) -> Option<(String, &'static str)> {
    let url = db.to_str().filter(|s| is_postgres_url(s))?;
    Some((
        redact_url(url),
        "a site that sends to a hub (--hub) keeps its own inventory in a file (SQLite), whose ids \
         are committed in order: on PostgreSQL two writers can commit id 101 after 102, and the \
         hub would skip 101. Give --db a file path (the default is one)",
    ))
}

/// `s` with any password in it replaced by `***` (for messages about a URL that did not parse).
pub fn redact_url(s: &str) -> String {
    match url::Url::parse(s) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        // Unparseable: without whatever stands before an '@' of the authority.
        Err(_) => crate::columns::clean_url(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn files_and_urls() {
        assert!(matches!(
            DbLocation::parse("/var/lib/camscan/inventory.db", &no_env),
            Ok(DbLocation::File(_))
        ));
        assert!(matches!(
            DbLocation::parse("postgres.db", &no_env),
            Ok(DbLocation::File(_))
        ));
        let Ok(DbLocation::Postgres(t)) = DbLocation::parse(
            "postgresql://hub:s%40cret@db.example:6432/fleet?sslmode=verify-full&sslrootcert=/etc/ca.pem",
            &no_env,
        ) else {
            panic!("a URL");
        };
        assert_eq!(t.user, "hub");
        assert_eq!(t.password(), Some("s@cret"));
        assert!(t.password_in_url);
        assert_eq!(
            (t.host.as_str(), t.port, t.dbname.as_str()),
            ("db.example", 6432, "fleet")
        );
        assert_eq!(t.sslmode, SslMode::VerifyFull);
        assert_eq!(t.sslrootcert.as_deref(), Some(Path::new("/etc/ca.pem")));
        assert_eq!(t.display(), "postgres://hub@db.example:6432/fleet");
        assert!(!format!("{t:?}").contains("s@cret"));
    }

    #[test]
    fn libpq_defaults_from_the_environment() {
        let env = |k: &str| match k {
            "PGHOST" => Some("10.1.1.1".to_string()),
            "PGPORT" => Some("5433".to_string()),
            "PGUSER" => Some("agent".to_string()),
            "PGSSLMODE" => Some("require".to_string()),
            _ => None,
        };
        let t = PgTarget::from_url("postgres://", &env).unwrap();
        assert_eq!(t.display(), "postgres://agent@10.1.1.1:5433/agent");
        assert_eq!(t.sslmode, SslMode::Require);
        let t = PgTarget::from_url("postgres://[::1]/x?connect_timeout=3", &env).unwrap();
        assert_eq!(t.display(), "postgres://agent@[::1]:5433/x");
        assert_eq!(t.connect_timeout, Duration::from_secs(3));
    }

    #[test]
    fn mistakes_are_named() {
        for (url, says) in [
            ("postgres://u@h/d?sslmode=maybe", "sslmode=maybe"),
            (
                "postgres://u@h/d?target_session_attrs=any",
                "target_session_attrs",
            ),
            ("postgres://u@h/d?connect_timeout=soon", "connect_timeout"),
            ("postgres://u@h:99999/d", "URL"),
        ] {
            let e = PgTarget::from_url(url, &no_env).unwrap_err();
            assert!(e.contains(says), "{url}: {e}");
        }
    }

    #[test]
    fn password_sources_in_libpq_order() {
        let dir = tempfile::tempdir().unwrap();
        let pgpass = dir.path().join(".pgpass");
        std::fs::write(&pgpass, "h:5432:d:u:from-file\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
        let env_pw = |k: &str| (k == "PGPASSWORD").then(|| "from-env".to_string());

        let mut t = PgTarget::from_url("postgres://u@h/d", &no_env).unwrap();
        t.resolve_password(None, &no_env, Some(dir.path())).unwrap();
        assert_eq!(t.password(), Some("from-file"));

        let mut t = PgTarget::from_url("postgres://u@h/d", &no_env).unwrap();
        t.resolve_password(None, &env_pw, Some(dir.path())).unwrap();
        assert_eq!(t.password(), Some("from-env"));

        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, "from-option\n").unwrap();
        let mut t = PgTarget::from_url("postgres://u:in-url@h/d", &no_env).unwrap();
        t.resolve_password(Some(&pwfile), &env_pw, Some(dir.path()))
            .unwrap();
        assert_eq!(t.password(), Some("from-option"));

        // A password file others can read is skipped, with a warning.
        std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut t = PgTarget::from_url("postgres://u@h/d", &no_env).unwrap();
        let warning = t.resolve_password(None, &no_env, Some(dir.path())).unwrap();
        assert!(warning.unwrap().contains("0600"));
        assert_eq!(t.password(), None);
    }
}
