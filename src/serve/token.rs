//! The serve token file: `serve.token` next to the inventory, 32 random bytes as 64 hex digits
//! and a newline, mode 0600, created atomically (a temporary file made with `O_CREAT|O_EXCL` and
//! mode 0600 before a byte is written, then hard-linked to its name, which fails rather than
//! replace a file another process made meanwhile); a file any other user may read or write is
//! refused, as ssh refuses such a private key. [`Token`] holds it as its SHA-256 digest and
//! compares in constant time. The rules of who is let in are [`super::auth`]'s.

use std::fmt::Write as _;
use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

// Where the token file lives is the inventory's business: `doctor` checks it without naming serve.
pub use crate::record::{TOKEN_FILE, token_path};

/// The token, as its SHA-256 digest (the text itself is not kept in memory longer than needed).
#[derive(Clone)]
pub struct Token {
    digest: [u8; 32],
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(..)")
    }
}

impl Token {
    pub fn new(text: &str) -> Token {
        Token {
            digest: sha256(text.as_bytes()),
        }
    }

    /// Whether `given` is the token, in time that does not depend on where they differ.
    pub fn matches(&self, given: &str) -> bool {
        sha256(given.as_bytes()).ct_eq(&self.digest).into()
    }
}

pub(super) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// `n` random bytes as lower-case hex.
pub(super) fn random_hex(n: usize) -> Result<String, String> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| format!("no random bytes from the system: {e}"))?;
    let mut s = String::with_capacity(2 * n);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    Ok(s)
}

/// Permission bits a token file may not have: any for the group or others.
const OPEN_BITS: u32 = 0o077;

/// What a token file holds: at least 32 visible ASCII characters without spaces (the generated
/// one is 64 hex digits; a token of one's own is accepted if it is not shorter than 128 bits of
/// hex).
fn check_token_text(text: &str) -> Result<&str, &'static str> {
    let t = text.trim();
    if t.len() < 32 {
        return Err("it holds fewer than 32 characters");
    }
    if !t.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("it holds spaces or characters other than visible ASCII");
    }
    Ok(t)
}

/// The token in `path`: `None` when there is no such file. A file the group or others may read
/// or write, or that does not hold a token, is an error saying how to fix it.
pub fn read_token(path: &Path) -> Result<Option<String>, String> {
    let file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(format!(
                "cannot read the token file {}: {e}",
                path.display()
            ));
        }
    };
    // The mode of the file opened (fstat), not of whatever the name points at a moment later.
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot read the token file {}: {e}", path.display()))?;
    let mode = meta.mode() & 0o7777;
    if !meta.is_file() {
        return Err(format!("the token file {} is not a file", path.display()));
    }
    if mode & OPEN_BITS != 0 {
        return Err(format!(
            "permissions {mode:04o} for the token file {p} are too open: anyone who reads it \
             can use the server; it must be readable by its owner only (`chmod 600 {p}`)",
            p = path.display()
        ));
    }
    let mut text = String::new();
    // 4 KiB is plenty for a token; a bigger file is not one.
    file.take(4096)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read the token file {}: {e}", path.display()))?;
    let token = check_token_text(&text).map_err(|why| {
        format!(
            "the token file {} is not a token: {why}; delete it and run `camscan serve \
             --print-token` for a new one",
            path.display()
        )
    })?;
    Ok(Some(token.to_string()))
}

/// Make a new token file at `path` (mode 0600) and return the token. Fails if the file exists
/// (never replaces one): see [`token`] for the read-or-create.
pub fn create_token(path: &Path) -> Result<String, String> {
    let token = random_hex(32)?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let dir = dir.unwrap_or(Path::new("."));
    let fail = |e: io::Error| format!("cannot create the token file {}: {e}", path.display());
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(fail)?;
    let temp = dir.join(format!(
        ".{TOKEN_FILE}.{}.{}",
        std::process::id(),
        random_hex(6)?
    ));
    // O_CREAT|O_EXCL with mode 0600: the file never exists with wider permissions or under
    // another owner (the umask can only take bits away).
    let written = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)?;
        f.write_all(format!("{token}\n").as_bytes())?;
        f.sync_all()?;
        // link(2) fails with EEXIST rather than replace: whoever made the file first wins.
        fs::hard_link(&temp, path)
    })();
    let _ = fs::remove_file(&temp);
    written.map_err(fail)?;
    Ok(token)
}

/// The token of the server whose token file is `path`, created (mode 0600) if there is none yet.
pub fn token(path: &Path) -> Result<String, String> {
    if let Some(t) = read_token(path)? {
        return Ok(t);
    }
    match create_token(path) {
        Ok(t) => Ok(t),
        // Another process made it between the read and the link: that one is the token.
        Err(e) if path.exists() => read_token(path)?.ok_or(e),
        Err(e) => Err(e),
    }
}
