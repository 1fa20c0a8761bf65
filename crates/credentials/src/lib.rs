//! Credentials to try on devices that ask for them, and where each may be used.
//!
//! Sources (merged in this order, first tried first): the config file's `credentials:` list, the
//! `--credentials FILE` / `CAMSCAN_CREDENTIALS` file, then `CAMSCAN_USERNAME` + `CAMSCAN_PASSWORD`
//! (or `--username` with the password from the env or a prompt); then the scoped lines are moved
//! before the unscoped ones, the narrowest scope first ([`narrowest_first`]). A file line is `user:password`, or
//! `SCOPE user:password` where SCOPE is an address, CIDR or range that limits the line to those hosts;
//! `#` starts a comment. Passwords never reach logs, errors or output: `Debug` redacts them, and URLs
//! carry them only on `--show-credentials`, percent-encoded.

use std::fmt;

use input::setting::Repeat;
use model::addr::{TargetSpec, parse_spec};

/// `--username`: a user to try, its password from CAMSCAN_PASSWORD or a prompt (never argv); the
/// command line's only (`cmds::scan::FIND`).
pub static USERNAME: input::setting::Setting<Option<String>> = input::setting::Setting {
    key: "username",
    flag: "--username",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_USERNAME",
    value_name: "NAME",
    help: "A user name to try; the password comes from CAMSCAN_PASSWORD, or a prompt on the terminal",
    default: None,
    choices: None,
    parse: input::setting::text,
};

/// `--credentials FILE` (config `credentials_file:`, beside the file's own `credentials:`
/// entries): the credentials file.
pub static CREDENTIALS_FILE: input::setting::Setting<Option<std::path::PathBuf>> =
    input::setting::Setting {
        key: "credentials_file",
        flag: "--credentials",
        short: None,
        repeat: Repeat::Once,
        env: "CAMSCAN_CREDENTIALS",
        value_name: "FILE",
        help: "Credentials to try on devices that ask: a file of `user:password` lines, or `SCOPE user:password` to limit a line to an address, CIDR or range (tried on those hosts before the unscoped lines, the narrowest first); `#` comments",
        default: None,
        choices: None,
        parse: input::setting::path,
    };

/// The config file's `credentials:`: entries as a credentials file's lines (`user:password`,
/// `SCOPE user:password`), tried before the file's. No flag, no variable: the file's only
/// (`camscan::cmds::scan::FILE_KEYS`); an entry may hold a comma ([`Repeat::Lines`]). Each is read
/// by [`parse_entry`] where used, so an error names the entry's number, never its password.
pub static ENTRIES: input::setting::Setting<Vec<String>> = input::setting::Setting {
    key: "credentials",
    flag: "",
    short: None,
    repeat: Repeat::Lines,
    env: "",
    value_name: "ENTRY",
    help: "Credentials to try, as lines of a credentials file, before the credentials file's",
    default: Vec::new(),
    choices: None,
    parse: input::setting::lines,
};

pub use model::Credential;

/// A line of a credentials file that could not be read. Never includes the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// Parse one credential entry (`user:password` or `SCOPE user:password`).
pub fn parse_entry(entry: &str) -> Result<Credential, String> {
    let entry = entry.trim();
    let (scope, userpass) = match entry.split_once([' ', '\t']) {
        // A first word without ':' is a scope (an address, CIDR or range).
        Some((first, rest))
            if !first.contains(':') || first.parse::<std::net::Ipv6Addr>().is_ok() =>
        {
            let range = match parse_spec(first) {
                Ok(TargetSpec::Range(r)) => r,
                _ => return Err(format!("scope {first:?} is not an address, CIDR or range")),
            };
            (Some(range), rest.trim())
        }
        _ => (None, entry),
    };
    let Some((user, pass)) = userpass.split_once(':') else {
        return Err("expected user:password".into());
    };
    if user.is_empty() {
        return Err("empty user name".into());
    }
    Ok(Credential {
        username: user.to_string(),
        password: pass.to_string(),
        scope,
    })
}

/// Parse a credentials file. Errors name the line, never its content.
pub fn parse_file(text: &str) -> Result<Vec<Credential>, LineError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        out.push(parse_entry(line).map_err(|reason| LineError {
            line: i + 1,
            reason,
        })?);
    }
    Ok(out)
}

pub use model::encode_userinfo;

/// `creds` in the order a host tries them: lines scoped to fewer addresses first (one address,
/// then a /24, ...), lines with no scope last, each group in the order given. A login written for
/// one camera is tried before the site's shared lines, whatever the file's order: a camera's
/// failed-login allowance (`--auth-budget`, 3) is never spent on the shared lines first.
pub fn narrowest_first(creds: &mut [Credential]) {
    creds.sort_by_key(|c| c.scope.map_or(u128::MAX, |s| s.size()));
}

/// Put credentials into an `rtsp://host...` URL (for `--show-credentials`).
pub fn url_with_credentials(url: &str, c: &Credential) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => format!(
            "{scheme}://{}:{}@{rest}",
            encode_userinfo(&c.username),
            encode_userinfo(&c.password)
        ),
        None => url.to_string(),
    }
}

/// `url` without the `user:password@` it may carry (a stream shown with `--show-credentials`),
/// and that credential, decoded. A URL without one comes back as it was.
pub fn split_userinfo(url: &str) -> (String, Option<Credential>) {
    let Ok(mut u) = url::Url::parse(url) else {
        return (url.to_string(), None);
    };
    if u.username().is_empty() && u.password().is_none() {
        return (url.to_string(), None);
    }
    let decode = proto::wsd::percent_decode;
    let cred = Credential {
        username: decode(u.username()),
        password: decode(u.password().unwrap_or("")),
        scope: None,
    };
    // Both calls fail only on URLs that cannot have credentials (no host), ruled out above.
    let _ = u.set_username("");
    let _ = u.set_password(None);
    (u.to_string(), Some(cred))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_line_for_one_host_is_tried_before_the_shared_ones() {
        let mut c = parse_file(
            "admin:a\nadmin:b\n198.18.0.0/24 site:c\nadmin:d\n198.18.0.34 admin:right\n",
        )
        .unwrap();
        narrowest_first(&mut c);
        let order: Vec<&str> = c.iter().map(|c| c.password.as_str()).collect();
        assert_eq!(order, ["right", "c", "a", "b", "d"]);
    }

    #[test]
    fn userinfo_comes_out_of_a_url() {
        let (url, c) = split_userinfo("rtsp://admin:p%40ss%20w@10.0.0.5:554/live?a=1");
        assert_eq!(url, "rtsp://10.0.0.5:554/live?a=1");
        let c = c.unwrap();
        assert_eq!(
            (c.username.as_str(), c.password.as_str()),
            ("admin", "p@ss w")
        );
        assert_eq!(
            split_userinfo("http://10.0.0.5/a@b"),
            ("http://10.0.0.5/a@b".to_string(), None)
        );
    }

    use super::*;

    #[test]
    fn file_format() {
        let text =
            "# site creds\nadmin:12345\n\n192.168.1.0/24 admin:p@ss:w rd\n10.0.0.5-9 root:\n";
        let c = parse_file(text).unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(
            (c[0].username.as_str(), c[0].password.as_str()),
            ("admin", "12345")
        );
        assert!(c[0].applies_to("8.8.8.8".parse().unwrap()));
        assert_eq!(c[1].password, "p@ss:w rd", "passwords keep ':' and spaces");
        assert!(c[1].applies_to("192.168.1.77".parse().unwrap()));
        assert!(!c[1].applies_to("192.168.2.1".parse().unwrap()));
        assert_eq!(c[2].password, "");
        assert!(c[2].applies_to("10.0.0.7".parse().unwrap()));
    }

    #[test]
    fn errors_name_the_line_not_the_secret() {
        let e = parse_file("admin:ok\nsecretwithoutcolon\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(!e.to_string().contains("secretwithoutcolon"));
        let e = parse_file("not/a/scope admin:x\n").unwrap_err();
        assert!(e.reason.contains("scope"));
        assert!(parse_file(":nouser\n").is_err());
    }

    #[test]
    fn debug_redacts() {
        let c = Credential::new("admin", "hunter2");
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn url_encoding() {
        assert_eq!(encode_userinfo("p@ss:w/rd %"), "p%40ss%3Aw%2Frd%20%25");
        let c = Credential::new("ad min", "p@ss");
        assert_eq!(
            url_with_credentials("rtsp://10.0.0.2:554/Streaming/Channels/101", &c),
            "rtsp://ad%20min:p%40ss@10.0.0.2:554/Streaming/Channels/101"
        );
    }
}
