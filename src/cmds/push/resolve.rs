//! A push's settings, resolved once: the target, the tool's login (a file or the
//! `CAMSCAN_PUSH_*` variables, never argv), TLS, the camera logins and the format options
//! (`--frigate-restream`, `--backchannel`) as every export reads them.

use std::path::Path;

use super::PushOptionArgs;
use crate::cli::file::FileValues;
use error::Error;

use crate::push::{Login, Settings, Target, Tls};
use input::environment::Environment;
use model::Credential;

fn setup(what: &str, path: &Path, e: impl std::fmt::Display) -> Error {
    Error::InvalidValue {
        field: "push",
        value: path.display().to_string(),
        reason: format!("{what}: {e}"),
    }
}

/// The settings of a push to `target`, with the camera logins `credentials` and the formats'
/// resolved options `formats`.
pub fn push(
    target: Target,
    args: &PushOptionArgs,
    credentials: Vec<Credential>,
    formats: &input::setting::Settings,
    dry_run: bool,
    env: &Environment,
) -> Result<Settings, Error> {
    use crate::push::settings as set;
    let given = args.values()?;
    let token = target.tool.login_way() == crate::push::tools::LoginWay::Token;
    let login = match &given.get(&set::LOGIN_FILE) {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| setup("the push login file", path, e))?;
            let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
            if token {
                // Home Assistant: a long-lived access token, the line itself.
                if line.trim().is_empty() {
                    return Err(setup(
                        "the push login file",
                        path,
                        "its first line is empty: put the tool's access token there",
                    ));
                }
                Some(Login {
                    user: String::new(),
                    password: line.trim().to_string(),
                })
            } else {
                let (user, password) = line.split_once(':').ok_or_else(|| {
                    setup(
                        "the push login file",
                        path,
                        "its first line is not user:password",
                    )
                })?;
                Some(Login {
                    user: user.to_string(),
                    password: password.to_string(),
                })
            }
        }
        None if token => env
            .var("CAMSCAN_PUSH_TOKEN")
            .filter(|t| !t.trim().is_empty())
            .map(|t| Login {
                user: String::new(),
                password: t.trim().to_string(),
            }),
        None => match (
            env.var("CAMSCAN_PUSH_USER"),
            env.var("CAMSCAN_PUSH_PASSWORD"),
        ) {
            (Some(user), Some(password)) if !user.is_empty() => Some(Login {
                user: user.to_string(),
                password: password.to_string(),
            }),
            _ => None,
        },
    };
    let ca_pem = match &given.get(&set::CA_FILE) {
        Some(path) => Some(std::fs::read(path).map_err(|e| setup("the CA file", path, e))?),
        None => None,
    };
    let password_refs = given.get(&set::PASSWORD_REFS);
    if password_refs && !target.tool.expands_references() {
        return Err(Error::InvalidValue {
            field: "password-refs",
            value: target.tool.name().into(),
            reason: format!(
                "{} expands no variable in its configuration: push the passwords (give \
                 --credentials)",
                target.tool.title()
            ),
        });
    }
    Ok(Settings {
        target,
        dry_run,
        prune: given.get(&set::PRUNE),
        unverified: given.get(&set::UNVERIFIED),
        password_refs,
        options: crate::push::tools::options_of(formats),
        credentials,
        env_passwords: env_passwords(env),
        login,
        tls: Tls {
            ca_pem,
            insecure: given.get(&set::INSECURE),
        },
        timeout: given.get(&set::TIMEOUT),
        only: None,
        hand_back: Vec::new(),
    })
}

/// `CAMSCAN_<KEY>_PASSWORD` of camscan's own environment (never its argv), by KEY; empty ones
/// left out.
fn env_passwords(env: &Environment) -> crate::push::EnvPasswords {
    let by_key = env
        .vars()
        .filter_map(|(name, value)| {
            let key = name.strip_prefix("CAMSCAN_")?.strip_suffix("_PASSWORD")?;
            (!key.is_empty() && !value.is_empty()).then(|| (key.to_string(), value.to_string()))
        })
        .collect();
    crate::push::EnvPasswords(by_key)
}

/// The camera logins of `push`: `--credentials` (else the config file's `credentials_file:`),
/// then the config file's `credentials:` entries.
pub fn camera_logins(given: Option<&Path>, file: &FileValues) -> Result<Vec<Credential>, Error> {
    let mut creds = Vec::new();
    let in_file = credentials::CREDENTIALS_FILE.in_file(&file.settings);
    if let Some(path) = given.or(in_file.as_deref()) {
        let text = std::fs::read_to_string(path).map_err(|source| Error::ReadFile {
            path: path.to_path_buf(),
            source,
        })?;
        creds.extend(
            credentials::parse_file(&text).map_err(|e| Error::CredentialsFile {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?,
        );
    }
    for (i, entry) in file.get(&credentials::ENTRIES)?.iter().enumerate() {
        creds.push(
            credentials::parse_entry(entry).map_err(|reason| Error::InvalidValue {
                field: "credentials",
                value: format!("entry {}", i + 1),
                reason,
            })?,
        );
    }
    Ok(creds)
}
