//! One declaration per setting: a [`Setting`] says everything camscan needs to take a value from
//! a user (its config-file key, flag and `CAMSCAN_*` variable, its `--help` line, its default and
//! its one parser), and stands beside the code that uses it (`discovery::arp::ARP_RATE`). A
//! list of them (`scan::settings::SCAN`) is what the entrance makes clap's arguments and the
//! config file's keys from, and what `camscan doctor` knows; the values resolved from a command
//! line and a file travel as one [`Settings`], read where they are used with
//! `settings.get(&ARP_RATE)`.
//!
//! So adding a setting is its declaration, its line in the list and the code that reads it.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// One setting whose values are `T`.
pub struct Setting<T: 'static> {
    /// Its key in the config file (`arp_rate`), and the name its values go by.
    pub key: &'static str,
    /// Its flag, as typed (`--arp-rate`).
    pub flag: &'static str,
    /// Its one-letter flag, if it has one (`-n`, `--no-dns`).
    pub short: Option<char>,
    /// Whether its flag may be given more than once (`--exclude A --exclude B`), and how the
    /// values are joined for its parser ([`Repeat`]).
    pub repeat: Repeat,
    /// The environment variable that sets it (`CAMSCAN_ARP_RATE`).
    pub env: &'static str,
    /// The flag's value in `--help` (`N`); [`SWITCH`] for a switch, whose flag takes no value
    /// and turns it on (a variable or the file gives `true` or `false`), [`SWITCH_OFF`] for one
    /// whose flag turns it off.
    pub value_name: &'static str,
    /// Its `--help` text (clap style: no final period; it says the default).
    pub help: &'static str,
    /// Its value when none is given.
    pub default: T,
    /// The names it takes when they are a closed set (`--format`'s formats: a
    /// [`crate::choice::Choice`] type's, `Some(choice::named::<Format>)`), which `--help`
    /// lists and the command line refuses any other of; `None`: any text its parser reads.
    pub choices: Option<fn() -> Vec<Named>>,
    /// The value a text spells (a flag's, a variable's, a config-file scalar's), or why it is
    /// refused; pure.
    pub parse: fn(&str) -> Result<T, String>,
}

/// How often a setting's flag may be given, and how its values reach its one parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// Once: a later one replaces an earlier.
    Once,
    /// A list (`--exclude A --exclude B`): joined with commas, as its variable and a config-file
    /// list are.
    Commas,
    /// A list whose items may hold commas (`--notify webhook=https://h/a,b`): joined with line
    /// breaks, as a config-file list is; its parser is [`lines`].
    Lines,
}

impl Repeat {
    /// What joins its values: `None` for a setting given once.
    pub fn joiner(self) -> Option<&'static str> {
        match self {
            Repeat::Once => None,
            Repeat::Commas => Some(","),
            Repeat::Lines => Some("\n"),
        }
    }
}

/// One name of a closed set, and its `--help` line (`None`: the name says it).
pub type Named = (&'static str, Option<&'static str>);

/// A resolved value, of the type its setting declares.
type Value = Arc<dyn Any + Send + Sync>;

impl<T: Clone> Setting<T> {
    /// The value the config file's settings (`file`, by key) give it, else its default (a value
    /// its parser refuses too: resolution reports that one).
    pub fn in_file(&self, file: &BTreeMap<String, String>) -> T {
        file.get(self.key)
            .and_then(|t| (self.parse)(t).ok())
            .unwrap_or_else(|| self.default.clone())
    }
}

/// What the lists and the entrance need of a setting, whatever its type.
pub trait Declared: Sync + 'static {
    fn key(&self) -> &'static str;
    fn flag(&self) -> &'static str;
    fn short(&self) -> Option<char>;
    fn repeat(&self) -> Repeat;
    fn env(&self) -> &'static str;
    fn value_name(&self) -> &'static str;
    fn help(&self) -> &'static str;
    /// The names it takes, when they are a closed set ([`Setting::choices`]); empty: any text.
    fn choices(&self) -> Vec<Named>;
    /// The value `text` spells ([`Setting::parse`]).
    fn read(&self, text: &str) -> Result<Given, String>;
    /// Its default value.
    fn default_value(&self) -> Given;
    /// Whether two values of it are the same.
    fn same(&self, a: &Given, b: &Given) -> bool;
    /// A value of it, for logs and test failures.
    fn show(&self, v: &Given, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

/// A value of one setting, as a flag, a variable or the config file gave it (or its default).
#[derive(Clone)]
pub struct Given(Value);

impl fmt::Debug for Given {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Given(..)")
    }
}

impl<T: Clone + PartialEq + fmt::Debug + Send + Sync + 'static> Declared for Setting<T> {
    fn key(&self) -> &'static str {
        self.key
    }

    fn flag(&self) -> &'static str {
        self.flag
    }

    fn short(&self) -> Option<char> {
        self.short
    }
    fn repeat(&self) -> Repeat {
        self.repeat
    }

    fn env(&self) -> &'static str {
        self.env
    }

    fn value_name(&self) -> &'static str {
        self.value_name
    }

    fn help(&self) -> &'static str {
        self.help
    }

    fn choices(&self) -> Vec<Named> {
        self.choices.map(|named| named()).unwrap_or_default()
    }

    fn read(&self, text: &str) -> Result<Given, String> {
        (self.parse)(text).map(|v| Given(Arc::new(v)))
    }

    fn default_value(&self) -> Given {
        Given(Arc::new(self.default.clone()))
    }

    fn same(&self, a: &Given, b: &Given) -> bool {
        a.0.downcast_ref::<T>() == b.0.downcast_ref::<T>()
    }

    fn show(&self, v: &Given, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match v.0.downcast_ref::<T>() {
            Some(v) => write!(f, "{v:?}"),
            None => f.write_str("?"),
        }
    }
}

/// Values of declared settings, by key: what was given (a command line's, a config file's), or
/// resolved ([`Settings::resolve`]: every setting of a list, its default where none was given).
#[derive(Clone, Default)]
pub struct Settings(BTreeMap<&'static str, (&'static dyn Declared, Given)>);

impl Settings {
    /// `setting`'s value: the one given or resolved, else its default.
    pub fn get<T: Clone + Send + Sync + 'static>(&self, setting: &'static Setting<T>) -> T {
        self.0
            .get(setting.key)
            .and_then(|(_, v)| v.0.downcast_ref::<T>())
            .cloned()
            .unwrap_or_else(|| setting.default.clone())
    }

    /// `setting` given as `value`.
    pub fn set<T: Clone + PartialEq + fmt::Debug + Send + Sync + 'static>(
        &mut self,
        setting: &'static Setting<T>,
        value: T,
    ) {
        self.0
            .insert(setting.key, (setting, Given(Arc::new(value))));
    }

    /// `setting` given as `value`, whatever its type (the entrance, which reads text).
    pub fn put(&mut self, setting: &'static dyn Declared, value: Given) {
        self.0.insert(setting.key(), (setting, value));
    }

    /// Whether a value was given for the setting keyed `key`.
    pub fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// Every setting of `list`: the value `given` spells (a flag's or its variable's, by key),
    /// else the one `file` spells (the config file's), else its default. Both are read by the
    /// setting's one parser; a value it refuses is the error: `(key, value, why)`.
    pub fn resolve(
        list: &[&'static dyn Declared],
        given: &BTreeMap<String, String>,
        file: &BTreeMap<String, String>,
    ) -> Result<Settings, (&'static str, String, String)> {
        let mut out = Settings::default();
        for d in list {
            let v = match given.get(d.key()).or_else(|| file.get(d.key())) {
                Some(text) => d.read(text).map_err(|why| (d.key(), text.clone(), why))?,
                None => d.default_value(),
            };
            out.put(*d, v);
        }
        Ok(out)
    }
}

impl PartialEq for Settings {
    fn eq(&self, other: &Settings) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(&other.0)
                .all(|((ka, (d, a)), (kb, (_, b)))| ka == kb && d.same(a, b))
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Shown<'a>(&'static dyn Declared, &'a Given);
        impl fmt::Debug for Shown<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.show(self.1, f)
            }
        }
        f.debug_map()
            .entries(self.0.iter().map(|(k, (d, v))| (k, Shown(*d, v))))
            .finish()
    }
}

/// The value name of a switch: its flag takes no value and turns it on
/// ([`Setting::value_name`]).
pub const SWITCH: &str = "";

/// The value name of a count: its flag takes no value and counts how often it is given (`-vv`:
/// 2); its variable or the file gives the number.
pub const COUNT: &str = "+";

/// The value name of a switch whose flag turns it off: `--no-verify` for the key `verify`, on by
/// default, as the config file says `verify: false`.
pub const SWITCH_OFF: &str = "off";

/// `true` or `false`: the parser of every switch (the config file's YAML booleans, a variable's
/// text, `true` from the flag itself, `false` from a [`SWITCH_OFF`]'s).
pub fn switch(text: &str) -> Result<bool, String> {
    match text.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        t => Err(format!("{t:?} is neither true nor false")),
    }
}

/// A whole number from `min` up (`--arp-rate 0`: no limit is the setting's to say): the parser
/// of most counts and rates.
pub fn count<T: std::str::FromStr + PartialOrd + fmt::Display>(
    text: &str,
    min: T,
) -> Result<T, String> {
    let n: T = text
        .trim()
        .parse()
        .map_err(|_| format!("{:?} is not a whole number", text.trim()))?;
    if n < min {
        return Err(format!("must be at least {min}"));
    }
    Ok(n)
}

/// A file's path: the parser of a setting whose value is a file, none by default
/// (`Setting<Option<PathBuf>>`, `--tls-cert FILE`); an empty one is refused, as clap refuses one.
pub fn path(text: &str) -> Result<Option<std::path::PathBuf>, String> {
    if text.is_empty() {
        return Err("is empty: give a file".into());
    }
    Ok(Some(text.into()))
}

/// Some text, as given: the parser of an optional value whose user reads it later (`--cron
/// EXPR`), none by default (`Setting<Option<String>>`).
pub fn text(text: &str) -> Result<Option<String>, String> {
    Ok(Some(text.to_string()))
}

/// A comma-separated list, each item as given (`a,b`: as clap's value delimiter splits one);
/// the parser of a repeatable flag ([`Setting::repeat`]), whose values the entrance joins with
/// commas. Empty: none.
pub fn list(text: &str) -> Result<Vec<String>, String> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    Ok(text.split(',').map(str::to_string).collect())
}

/// A list whose items may hold commas ([`Repeat::Lines`]): one item a line, blank lines left
/// out.
pub fn lines(text: &str) -> Result<Vec<String>, String> {
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect())
}

/// `NAME=VALUE` items of a repeatable flag (`--write go2rtc=/etc/go2rtc.yaml`), which the
/// entrance joined with commas, split again: a piece without `=` belongs to the item before it
/// (`site=/etc/a,b.creds`), as a file's name may hold a comma. Each item's own form is checked
/// where it is read.
pub fn pairs(text: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for piece in text.split(',') {
        match out.last_mut() {
            Some(last) if !piece.contains('=') => {
                last.push(',');
                last.push_str(piece);
            }
            _ => out.push(piece.to_string()),
        }
    }
    out.retain(|s| !s.is_empty());
    Ok(out)
}

/// `554,8554,8000-8010`: TCP ports in the order given, duplicates dropped; at least one.
pub fn ports(spec: &str) -> Result<Vec<u16>, String> {
    let one = |p: &str| match p.trim().parse::<u16>() {
        Ok(0) | Err(_) => Err(format!("{:?} is not a port number 1-65535", p.trim())),
        Ok(n) => Ok(n),
    };
    let mut seen = vec![false; 65536];
    let mut out = Vec::new();
    for item in spec.split(',').map(str::trim) {
        if item.is_empty() {
            continue;
        }
        let (a, b) = match item.split_once('-') {
            Some((a, b)) => (one(a)?, one(b)?),
            None => {
                let p = one(item)?;
                (p, p)
            }
        };
        if b < a {
            return Err(format!("range {item:?} ends before it starts"));
        }
        for p in a..=b {
            if !std::mem::replace(&mut seen[p as usize], true) {
                out.push(p);
            }
        }
    }
    if out.is_empty() {
        return Err("no ports".into());
    }
    Ok(out)
}

/// `800ms`, `1s`, `1.5s`, `2m`, or a bare number of seconds (as nmap and curl read one).
pub fn parse_duration(s: &str) -> Result<std::time::Duration, &'static str> {
    let s = s.trim();
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else {
        (s, 1.0)
    };
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| "expected a duration such as 800ms, 1s, 1.5s or 2m")?;
    if !n.is_finite() || n < 0.0 {
        return Err("expected a positive duration");
    }
    std::time::Duration::try_from_secs_f64(n * scale).map_err(|_| "not a valid number of seconds")
}

/// A deadline or a wait ([`parse_duration`]): more than 0 and at most an hour, the parser of
/// every duration setting.
pub fn duration(text: &str) -> Result<std::time::Duration, String> {
    let d = parse_duration(text)?;
    if d.is_zero() || d > std::time::Duration::from_secs(3600) {
        return Err("must be more than 0 and at most 1h".into());
    }
    Ok(d)
}

/// For the lists' tests: each setting's flag is its key with dashes (`--no-` before it for a
/// [`SWITCH_OFF`]), its variable
/// `CAMSCAN_<KEY>` or one of `also` (`""`: none), and its help clap style (no final period).
/// Every crate that declares settings asserts its lists with it, in its tests: so it is under the
/// `test-support` feature, which only the crates' dev-dependencies turn on.
#[cfg(any(test, feature = "test-support"))]
pub fn assert_spelled_from_keys<'a>(
    list: impl IntoIterator<Item = &'a &'static dyn Declared>,
    also: &[&str],
) {
    for d in list {
        let no = if d.value_name() == SWITCH_OFF {
            "no-"
        } else {
            ""
        };
        assert_eq!(d.flag(), format!("--{no}{}", d.key().replace('_', "-")));
        let env = format!("CAMSCAN_{}", d.key().to_uppercase());
        assert!(
            d.env() == env || also.contains(&d.env()),
            "{}: {}",
            d.key(),
            d.env()
        );
        assert!(!d.help().ends_with('.'), "{}: clap style", d.key());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static RATE: Setting<u32> = Setting {
        key: "rate",
        flag: "--rate",
        short: None,
        repeat: Repeat::Once,
        env: "CAMSCAN_RATE",
        value_name: "N",
        help: "A rate [default: 7]",
        default: 7,
        choices: None,
        parse: |t| count(t, 1),
    };

    static NAME: Setting<Option<String>> = Setting {
        key: "name",
        flag: "--name",
        short: None,
        repeat: Repeat::Once,
        env: "CAMSCAN_NAME",
        value_name: "NAME",
        help: "A name",
        default: None,
        choices: None,
        parse: |t| Ok(Some(t.to_string())),
    };

    #[test]
    fn a_value_is_the_flags_else_the_files_else_the_default() {
        let list: [&'static dyn Declared; 2] = [&RATE, &NAME];
        let flags: BTreeMap<String, String> = [("rate".into(), "5".into())].into();
        let file: BTreeMap<String, String> =
            [("rate".into(), "3".into()), ("name".into(), "site".into())].into();
        let s = Settings::resolve(&list, &flags, &file).unwrap();
        assert_eq!(s.get(&RATE), 5);
        assert_eq!(s.get(&NAME), Some("site".to_string()));
        let none = BTreeMap::new();
        let s = Settings::resolve(&list, &none, &none).unwrap();
        assert_eq!((s.get(&RATE), s.get(&NAME)), (7, None));
        let bad: BTreeMap<String, String> = [("rate".into(), "0".into())].into();
        let (key, value, why) = Settings::resolve(&list, &none, &bad).unwrap_err();
        assert_eq!((key, value.as_str()), ("rate", "0"));
        assert!(why.contains("at least 1"), "{why}");
        assert!(s.has("rate"), "resolved: every setting of the list");
        assert_eq!(Settings::default().get(&RATE), 7, "unresolved: the default");
    }

    #[test]
    fn durations_and_switches() {
        use std::time::Duration;
        assert_eq!(parse_duration("800ms"), Ok(Duration::from_millis(800)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("-1s").is_err());
        assert_eq!(duration("0.5"), Ok(Duration::from_millis(500)));
        for bad in ["0", "0s", "61m", "fast"] {
            assert!(duration(bad).is_err(), "{bad}");
        }
        assert_eq!((switch("true"), switch(" false")), (Ok(true), Ok(false)));
        assert!(switch("yes").is_err());
    }

    #[test]
    fn values_compare_and_show_by_their_type() {
        let mut a = Settings::default();
        a.set(&RATE, 3);
        let mut b = Settings::default();
        b.put(&RATE, RATE.read(" 3 ").unwrap());
        assert_eq!(a, b);
        b.set(&RATE, 4);
        assert_ne!(a, b);
        assert_eq!(format!("{b:?}"), "{\"rate\": 4}");
    }

    #[test]
    fn pairs_keep_a_comma_in_a_value() {
        assert_eq!(
            pairs("site=/etc/a,b.creds,lab=/x"),
            Ok(vec![
                "site=/etc/a,b.creds".to_string(),
                "lab=/x".to_string()
            ])
        );
        assert_eq!(
            pairs("bad"),
            Ok(vec!["bad".to_string()]),
            "refused where read"
        );
        assert_eq!(pairs(""), Ok(vec![]));
    }

    #[test]
    fn port_lists() {
        assert_eq!(
            ports("554, 8554,8000-8002,554"),
            Ok(vec![554, 8554, 8000, 8001, 8002])
        );
        assert_eq!(ports("1-65535").map(|p| p.len()), Ok(65535));
        for bad in ["", "0", "65536", "80-", "x", "90-80", "1:2"] {
            assert!(ports(bad).is_err(), "{bad}");
        }
        assert!(
            ports("90-80")
                .unwrap_err()
                .contains("ends before it starts")
        );
    }

    #[test]
    fn counts_refuse_what_is_not_one() {
        assert_eq!(count::<u32>("12", 0), Ok(12));
        assert!(count::<u32>("0", 1).unwrap_err().contains("at least 1"));
        assert!(count::<u32>("-3", 0).is_err());
        assert!(
            count::<usize>("many", 0)
                .unwrap_err()
                .contains("not a whole number")
        );
    }
}
