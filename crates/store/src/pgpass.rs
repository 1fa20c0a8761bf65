//! libpq's password file (`~/.pgpass`, `PGPASSFILE`, `passfile=`), read as libpq reads it
//! (pure). PostgreSQL's documentation, "The Password File" (libpq §34.16), and the code that
//! defines it, `passwordFromFile` and `pwdfMatchesString` in `src/interfaces/libpq/fe-connect.c`:
//!
//! * one entry per line, `hostname:port:database:username:password`; a line starting with `#` is
//!   a comment; trailing `\r` and `\n` are not part of it;
//! * a backslash escapes the next character in every field (`\:` a colon, `\\` a backslash);
//! * a field that is exactly `*` matches anything (an escaped `\*` only a `*`);
//! * the password is the rest of the line, unescaped, up to the first unescaped `:`;
//! * a line with fewer than four unescaped colons matches nothing;
//! * the first matching line wins;
//! * libpq ignores a file that its group or others may read or write ([`permissions_ok`]).

/// One field of the first four: anything (`*`) or exactly this text (unescaped).
#[derive(Clone, PartialEq, Eq)]
pub enum Field {
    Any,
    Exact(String),
}

impl Field {
    fn matches(&self, value: &str) -> bool {
        match self {
            Field::Any => true,
            Field::Exact(s) => s == value,
        }
    }
}

impl std::fmt::Debug for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Field::Any => f.write_str("*"),
            Field::Exact(s) => write!(f, "{s:?}"),
        }
    }
}

/// One line of the file.
#[derive(Clone, PartialEq, Eq)]
pub struct Entry {
    pub host: Field,
    pub port: Field,
    pub database: Field,
    pub user: Field,
    pub password: String,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Every entry of the file's text, in order; lines that match nothing are left out.
pub fn parse(text: &str) -> Vec<Entry> {
    text.split('\n').filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<Entry> {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let mut rest = line;
    let mut fields = Vec::with_capacity(4);
    for _ in 0..4 {
        let (field, after) = field(rest)?;
        fields.push(field);
        rest = after;
    }
    let mut password = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            ':' => break,
            // libpq: a backslash followed by a character escapes it; a lone one at the end stays.
            '\\' => match chars.clone().next() {
                Some(next) => {
                    chars.next();
                    password.push(next);
                }
                None => password.push('\\'),
            },
            c => password.push(c),
        }
    }
    let mut fields = fields.into_iter();
    Some(Entry {
        host: fields.next()?,
        port: fields.next()?,
        database: fields.next()?,
        user: fields.next()?,
        password,
    })
}

/// One of the first four fields and the text after its closing colon; `None` when no unescaped
/// colon ends it.
fn field(s: &str) -> Option<(Field, &str)> {
    if let Some(after) = s.strip_prefix("*:") {
        return Some((Field::Any, after));
    }
    let mut out = String::new();
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            out.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ':' {
            return Some((Field::Exact(out), s.get(i + 1..).unwrap_or("")));
        } else {
            out.push(c);
        }
    }
    None
}

/// The password of the first entry for this connection, as libpq chooses it.
pub fn lookup<'a>(
    entries: &'a [Entry],
    host: &str,
    port: u16,
    database: &str,
    user: &str,
) -> Option<&'a str> {
    let port = port.to_string();
    entries
        .iter()
        .find(|e| {
            e.host.matches(host)
                && e.port.matches(&port)
                && e.database.matches(database)
                && e.user.matches(user)
        })
        .map(|e| e.password.as_str())
}

/// Whether libpq would read a password file of this mode: not when its group or others have any
/// access (`S_IRWXG | S_IRWXO`).
pub fn permissions_ok(mode: u32) -> bool {
    mode & 0o077 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_and_first_match() {
        let e = parse(
            "# hub\n\
             hub.example:5432:fleet:agent:first\n\
             *:*:fleet:agent:second\n\
             *:*:*:*:any\n",
        );
        assert_eq!(e.len(), 3);
        assert_eq!(
            lookup(&e, "hub.example", 5432, "fleet", "agent"),
            Some("first")
        );
        assert_eq!(
            lookup(&e, "10.0.0.1", 6432, "fleet", "agent"),
            Some("second")
        );
        assert_eq!(lookup(&e, "10.0.0.1", 6432, "other", "agent"), Some("any"));
        assert_eq!(lookup(&parse("h:5432:d:u:p"), "h", 5433, "d", "u"), None);
    }

    #[test]
    fn escapes_in_every_field() {
        let e = parse("db\\:host:5432:my\\\\db:u\\*:pa\\:ss\\\\word:ignored\r\n");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].host, Field::Exact("db:host".into()));
        assert_eq!(e[0].database, Field::Exact("my\\db".into()));
        // An escaped star is a star, not a wildcard.
        assert_eq!(e[0].user, Field::Exact("u*".into()));
        assert_eq!(
            lookup(&e, "db:host", 5432, "my\\db", "u*"),
            Some("pa:ss\\word")
        );
        assert_eq!(lookup(&e, "db:host", 5432, "my\\db", "anyone"), None);
    }

    #[test]
    fn short_lines_comments_and_crlf() {
        let e = parse("#h:5432:d:u:no\r\nh:5432:d:u\r\nh:5432:d\n\nh:5432:d:u:\r\n");
        assert_eq!(e.len(), 1);
        assert_eq!(lookup(&e, "h", 5432, "d", "u"), Some(""));
        assert!(parse("").is_empty());
        assert!(parse("\\").is_empty());
        assert_eq!(parse("*:*:*:*:trailing\\")[0].password, "trailing\\");
    }

    #[test]
    fn the_password_never_prints() {
        let e = parse("h:1:d:u:s3cret");
        assert!(!format!("{e:?}").contains("s3cret"));
    }

    #[test]
    fn group_or_world_access_is_refused() {
        assert!(permissions_ok(0o100600));
        assert!(permissions_ok(0o100400));
        assert!(!permissions_ok(0o100640));
        assert!(!permissions_ok(0o100604));
    }
}
