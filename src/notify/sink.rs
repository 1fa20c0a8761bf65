//! What a notification sink is to the rest of camscan: its registration ([`SinkDef`], one entry
//! of [`super::SINKS`]), a `--notify` value naming one ([`SinkSpec`]) and the running sink
//! ([`Sink`]).
//!
//! Everything that lists or tells sinks apart reads the registration, so a sink is one file and
//! one entry: the parser and its errors, the help of `watch --notify` and `doctor --notify`,
//! `camscan doctor`'s check and fix, how logs and metrics show a sink whose value may hold a
//! secret, the sink's own options (their flags and config keys) and the sink's construction.

use futures::future::BoxFuture;

use super::{SINKS, SinkError, SinkOptions, or_list, sink_syntax};
use store::Notice;

/// One kind of notification sink: everything camscan needs to offer it, in one place.
pub struct SinkDef {
    /// Its `--notify` form: the name alone (`stdout`), or `name=VALUE` (`webhook=URL`); the name
    /// ([`SinkDef::name`]) is what comes before the `=`.
    pub syntax: &'static str,
    /// What it does, for `watch --notify`'s help (a few words, no final period).
    pub help: &'static str,
    /// Whether `VALUE` is one (`Err` with why, naming the value); only for a form with a value.
    pub parse: fn(value: &str) -> Result<(), String>,
    /// Its own options (`--ha-discovery`), each a setting declared beside the sink and listed in
    /// [`super::SETTINGS`] (`watch`'s flags and the config file's `watch:` keys); `make` reads
    /// their values from [`SinkOptions::values`].
    pub options: &'static [&'static dyn input::setting::Declared],
    /// The running sink for `VALUE` (empty for a form without one), each attempt with the sink's
    /// own deadline; connecting happens on first delivery.
    pub make: fn(value: &str, options: &SinkOptions) -> Result<Sink, String>,
    /// What `camscan doctor` checks of it.
    pub doctor: DoctorCheck,
    /// Where its value may hold a secret, so logs and metrics show it without.
    pub secret: Secret,
}

impl SinkDef {
    /// Its name: what a `--notify` value starts with (`webhook`), and the name metrics and logs
    /// give it.
    pub fn name(&self) -> &'static str {
        let syntax: &'static str = self.syntax;
        syntax.split_once('=').map_or(syntax, |(name, _)| name)
    }

    /// Whether its form carries a value (`webhook=URL`), or is its name alone (`stdout`).
    pub fn takes_value(&self) -> bool {
        self.syntax.contains('=')
    }
}

/// What `camscan doctor` checks of a configured sink (`doctor::checks`' `sink()` runs it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoctorCheck {
    /// Nothing to reach: doctor passes it, saying what it does.
    Nothing(&'static str),
    /// A TCP connect to the value's URL: its host, and its port, else `default_port`, else its
    /// scheme's.
    Connect {
        /// The port when the URL gives none, before the scheme's own (`mqtt`: 1883).
        default_port: Option<u16>,
    },
    /// The value is a command: its program (the first word, split as a shell quotes) is found
    /// and executable.
    Program,
}

/// Where a sink's value may hold a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    /// Nowhere: logs and metrics show the value as given (`stdout`, `exec=COMMAND`).
    None,
    /// In its URL's userinfo, query or fragment: metrics labels drop them; logs show the value
    /// as given (`mqtt=`, whose sink refuses such a URL when it starts).
    UrlParts,
    /// Anywhere in its URL, the path included (many services put a hook's token there): logs
    /// show its origin only, metrics labels drop userinfo, query and fragment (`webhook=`).
    Url,
}

/// The registration of a `kind=VALUE` form named `kind` (`webhook`; not `stdout`, which takes no
/// value).
pub fn sink_named(kind: &str) -> Option<&'static SinkDef> {
    SINKS.iter().find(|d| d.takes_value() && d.name() == kind)
}

/// One `--notify` value: a registered sink and its value.
#[derive(Clone)]
pub struct SinkSpec {
    def: &'static SinkDef,
    value: String,
}

impl SinkSpec {
    /// Its registration.
    pub fn def(&self) -> &'static SinkDef {
        self.def
    }

    /// Its value (`http://...` of `webhook=http://...`); empty for a sink without one.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The name of its cursor in the store: the specification as given (trimmed).
    pub fn name(&self) -> String {
        if self.def.takes_value() {
            format!("{}={}", self.def.name(), self.value)
        } else {
            self.def.name().to_string()
        }
    }
}

impl Default for SinkSpec {
    /// The first registration, `stdout`: where events go when no sink is given.
    fn default() -> Self {
        SinkSpec {
            def: &SINKS[0],
            value: String::new(),
        }
    }
}

impl PartialEq for SinkSpec {
    fn eq(&self, other: &Self) -> bool {
        self.def.name() == other.def.name() && self.value == other.value
    }
}

impl Eq for SinkSpec {}

impl std::fmt::Debug for SinkSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SinkSpec").field(&self.name()).finish()
    }
}

impl std::str::FromStr for SinkSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Some(def) = SINKS.iter().find(|d| !d.takes_value() && d.name() == s) {
            return Ok(SinkSpec {
                def,
                value: String::new(),
            });
        }
        let (kind, value) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}`: expected {}", sink_syntax()))?;
        let value = value.trim();
        if value.is_empty() {
            return Err(format!("`{s}`: nothing after `=`"));
        }
        let kind = kind.trim();
        let Some(def) = sink_named(kind) else {
            let names: Vec<&str> = SINKS.iter().map(|d| d.name()).collect();
            return Err(format!("`{kind}`: unknown sink ({})", or_list(&names)));
        };
        (def.parse)(value)?;
        Ok(SinkSpec {
            def,
            value: value.to_string(),
        })
    }
}

/// What a running sink does: hand over one notice, `Ok` once the destination has it, within the
/// sink's own deadline. Each sink's file implements it (a boxed future, so [`Sink`] can hold any
/// of them).
pub trait Deliver: Send {
    /// Deliver `notice`.
    fn deliver<'a>(&'a mut self, notice: &'a Notice) -> BoxFuture<'a, Result<(), SinkError>>;
}

/// A destination of notices.
pub struct Sink(Box<dyn Deliver>);

impl Sink {
    /// Make the sink a specification names, with each sink's default deadline (connecting
    /// happens on first delivery).
    pub fn new(spec: &SinkSpec, options: &SinkOptions) -> Result<Sink, String> {
        (spec.def.make)(&spec.value, options)
    }

    /// A running sink of any kind (a registration's `make`).
    pub fn of(sink: impl Deliver + 'static) -> Sink {
        Sink(Box::new(sink))
    }

    /// Hand over one notice; `Ok` once the destination has it. Has its own deadline.
    pub async fn deliver(&mut self, notice: &Notice) -> Result<(), SinkError> {
        self.0.deliver(notice).await
    }
}
