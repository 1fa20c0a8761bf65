//! The process environment, as camscan reads it: taken once at the entrance
//! (`cli::environment`, the one place that asks the operating system) and handed down, so that
//! every rule that reads a variable (the XDG base directories, `NO_COLOR`, `COLUMNS`, `PG*`) is
//! applied once, here, and a test gives any environment it likes. The colour choice
//! ([`ColorChoice`], `--color`) is here too, beside the rule that reads `NO_COLOR`.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

/// The variables of one process, as they were when it started. Its `Debug` names the
/// variables and never shows a value: the environment holds secrets (`CAMSCAN_PASSWORD`,
/// `PGPASSWORD`), and the settings that carry it are logged and shown in test failures.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Environment {
    vars: BTreeMap<OsString, OsString>,
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set()
            .entries(self.vars.keys().map(|k| k.to_string_lossy()))
            .finish()
    }
}

impl Environment {
    /// An environment of these variables (the entrance passes `std::env::vars_os()`).
    pub fn from_vars<K: Into<OsString>, V: Into<OsString>>(
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Environment {
        Environment {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// `name`'s value as it is (`std::env::var_os`).
    pub fn var_os(&self, name: &str) -> Option<&OsStr> {
        self.vars.get(OsStr::new(name)).map(OsString::as_os_str)
    }

    /// `name`'s value when it is UTF-8 (`std::env::var`).
    pub fn var(&self, name: &str) -> Option<&str> {
        self.var_os(name).and_then(OsStr::to_str)
    }

    /// `name`'s value when it is set and not empty.
    fn path(&self, name: &str) -> Option<PathBuf> {
        self.var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    }

    /// Every variable whose name and value are UTF-8, by name.
    pub fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars
            .iter()
            .filter_map(|(k, v)| Some((k.to_str()?, v.to_str()?)))
    }

    /// `$HOME`, when set.
    pub fn home(&self) -> Option<PathBuf> {
        self.path("HOME")
    }

    /// The XDG base directory `var` names when it is absolute (the specification: a relative
    /// value is invalid and ignored), else `$HOME/<under_home>`.
    fn xdg(&self, var: &str, under_home: &[&str]) -> Option<PathBuf> {
        self.path(var).filter(|p| p.is_absolute()).or_else(|| {
            self.home()
                .map(|h| under_home.iter().fold(h, |p, part| p.join(part)))
        })
    }

    /// camscan's state directory: `$XDG_STATE_HOME/camscan`, else `~/.local/state/camscan` (state
    /// that persists between runs: the inventory, serve's token). `None` without either variable.
    pub fn state_dir(&self) -> Option<PathBuf> {
        self.xdg("XDG_STATE_HOME", &[".local", "state"])
            .map(|b| b.join("camscan"))
    }

    /// camscan's configuration directory: `$XDG_CONFIG_HOME/camscan`, else `~/.config/camscan`
    /// (the user's knowledge files, a PostgreSQL inventory's credential key). `None` without
    /// either variable.
    pub fn config_dir(&self) -> Option<PathBuf> {
        self.xdg("XDG_CONFIG_HOME", &[".config"])
            .map(|b| b.join("camscan"))
    }

    /// `$COLUMNS` as a width, when it is a positive number.
    pub fn columns(&self) -> Option<u16> {
        self.var("COLUMNS")
            .and_then(|c| c.trim().parse::<u16>().ok())
            .filter(|c| *c > 0)
    }

    /// Whether colour on a terminal is allowed: not when `NO_COLOR` is set and not empty
    /// (no-color.org), nor when `TERM` is `dumb`.
    pub fn colour_allowed(&self) -> bool {
        self.var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && self.var_os("TERM").is_none_or(|t| t != "dumb")
    }

    /// `program` as a path (it has a `/`), else the first match in this environment's PATH.
    pub fn find_program(&self, program: &str) -> Option<PathBuf> {
        if program.contains('/') {
            let p = PathBuf::from(program);
            return p.is_file().then_some(p);
        }
        let path = self.var_os("PATH")?;
        std::env::split_paths(path)
            .map(|d| d.join(program))
            .find(|p| p.is_file())
    }
}

/// `--color` and the file's `color:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl crate::choice::Choice for ColorChoice {
    fn choices() -> &'static [Self] {
        &[ColorChoice::Auto, ColorChoice::Always, ColorChoice::Never]
    }

    fn choice(self) -> &'static str {
        match self {
            ColorChoice::Auto => "auto",
            ColorChoice::Always => "always",
            ColorChoice::Never => "never",
        }
    }
}

impl ColorChoice {
    /// The choice the environment leaves: `auto` is `never` where NO_COLOR (non-empty) or
    /// TERM=dumb forbid colour. The entrance resolves `--color` so, once.
    pub fn in_env(self, env: &Environment) -> ColorChoice {
        match self {
            ColorChoice::Auto if !env.colour_allowed() => ColorChoice::Never,
            c => c,
        }
    }

    /// Whether to colour output going to a stream that is (or is not) a terminal (a choice
    /// resolved by [`ColorChoice::in_env`]).
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Environment {
        Environment::from_vars(vars.iter().copied())
    }

    #[test]
    fn xdg_directories_follow_the_specification() {
        let e = env(&[("HOME", "/home/u"), ("XDG_STATE_HOME", "relative")]);
        assert_eq!(
            e.state_dir(),
            Some(PathBuf::from("/home/u/.local/state/camscan"))
        );
        assert_eq!(
            e.config_dir(),
            Some(PathBuf::from("/home/u/.config/camscan"))
        );
        let e = env(&[("XDG_STATE_HOME", "/s"), ("XDG_CONFIG_HOME", "/c")]);
        assert_eq!(e.state_dir(), Some(PathBuf::from("/s/camscan")));
        assert_eq!(e.config_dir(), Some(PathBuf::from("/c/camscan")));
        assert_eq!(env(&[("HOME", "")]).state_dir(), None);
        assert_eq!(Environment::default().config_dir(), None);
    }

    #[test]
    fn debug_names_the_variables_and_shows_no_value() {
        let e = env(&[("PGPASSWORD", "hunter2"), ("HOME", "/home/u")]);
        let shown = format!("{e:?}");
        assert!(
            shown.contains("PGPASSWORD") && shown.contains("HOME"),
            "{shown}"
        );
        assert!(
            !shown.contains("hunter2") && !shown.contains("/home/u"),
            "{shown}"
        );
    }

    #[test]
    fn columns_and_colour() {
        assert_eq!(env(&[("COLUMNS", " 120 ")]).columns(), Some(120));
        assert_eq!(env(&[("COLUMNS", "0")]).columns(), None);
        assert_eq!(env(&[("COLUMNS", "wide")]).columns(), None);
        assert!(Environment::default().colour_allowed());
        assert!(env(&[("NO_COLOR", "")]).colour_allowed());
        assert!(!env(&[("NO_COLOR", "1")]).colour_allowed());
        assert!(!env(&[("TERM", "dumb")]).colour_allowed());
    }
}
