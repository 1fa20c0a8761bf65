//! What an output format is to the rest of camscan: its registration ([`FormatDef`], one entry of
//! [`super::FORMATS`]) and the handle that names one ([`Format`]).
//!
//! Everything that lists or tells formats apart reads the registration, so a format is one file
//! and one entry: `-f`'s values and their `--help` lines (its [`Choice`], as `--discovery`'s),
//! the config file's `format:` and `watch --write`'s FORMAT (serde and [`Choice::from_choice`] by
//! name), the API's media type and file name, the web page's download
//! buttons (filled in when the page is served), which exports `watch --write` compares without
//! their dated header, and the table of docs/reference/formats.md ([`formats_table`], held to the
//! file by `tests/docs.rs`).

use serde::de::{self, Deserializer, EnumAccess, Unexpected, VariantAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::{ExportOptions, Exporter, FORMATS};
use input::choice::Choice;

/// One output format: everything camscan needs to offer it, in one place.
pub struct FormatDef {
    /// Its name: `-f`'s value, the API's `{format}`, the config file's `format:` and
    /// `watch --write`'s FORMAT.
    pub name: &'static str,
    /// Its line in `--help` (clap style: no final period).
    pub help: &'static str,
    /// The media type `GET /api/v1/export/{format}` answers with.
    pub media_type: &'static str,
    /// The download's file name ends with this (`camscan-inventory.<extension>`).
    pub extension: &'static str,
    /// The label of its download button on the web page; `None`: not offered there (the table,
    /// which is for a terminal).
    pub button: Option<&'static str>,
    /// A configuration export, whose first line names the scan and its date
    /// ([`super::config_header`]): `watch --write` compares what follows, or every round would
    /// rewrite the file.
    pub stamped: bool,
    /// Whom it is for, in docs/reference/formats.md's table.
    pub audience: &'static str,
    /// What it holds, in docs/reference/formats.md's table (Markdown; links relative to that file).
    pub shape: &'static str,
    /// Its own options ([`super::options`]): their flags, config keys and variables, which
    /// `make` reads from [`ExportOptions::formats`]. An option several formats take
    /// (`--backchannel`) is declared in one exporter's file and listed by each.
    pub options: &'static [&'static dyn input::setting::Declared],
    /// Its exporter, for output shown as `options` says.
    pub make: fn(ExportOptions) -> Box<dyn Exporter>,
}

/// An output format: a handle on its registration in [`FORMATS`] (`format.def()`), compared and
/// copied like the enum it was. Only [`Format::named`] makes one, so every `Format` is registered.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Format(usize);

/// The formats other code names, spelled as the variants of the enum `Format` was, so that code
/// reads the same (`Format::Ndjson`). A new format needs a constant only when code names it; a
/// constant naming no registration fails to compile where it is used ([`Format::named`]), and
/// `the_command_line_and_serde_take_every_name` uses each of these.
#[allow(non_upper_case_globals)]
impl Format {
    /// `-f table`.
    pub const Table: Format = Format::named("table");
    /// `-f json`.
    pub const Json: Format = Format::named("json");
    /// `-f csv`.
    pub const Csv: Format = Format::named("csv");
    /// `-f xml`.
    pub const Xml: Format = Format::named("xml");
    /// `-f yaml`.
    pub const Yaml: Format = Format::named("yaml");
    /// `-f ndjson`.
    pub const Ndjson: Format = Format::named("ndjson");
    /// `-f m3u`.
    pub const M3u: Format = Format::named("m3u");
    /// `-f go2rtc`.
    pub const Go2rtc: Format = Format::named("go2rtc");
    /// `-f frigate`.
    pub const Frigate: Format = Format::named("frigate");
    /// `-f mediamtx`.
    pub const Mediamtx: Format = Format::named("mediamtx");
    /// `-f ha-sheet`.
    pub const HaSheet: Format = Format::named("ha-sheet");
}

impl Format {
    /// The format registered as `name`; evaluated in a constant, an unknown name is a compile
    /// error.
    pub const fn named(name: &str) -> Format {
        let mut i = 0;
        while i < FORMATS.len() {
            if same(FORMATS[i].name.as_bytes(), name.as_bytes()) {
                return Format(i);
            }
            i += 1;
        }
        panic!("no output format of that name in export::FORMATS");
    }

    /// Its registration.
    pub fn def(self) -> &'static FormatDef {
        &FORMATS[self.0]
    }

    /// Its name, as `-f` spells it.
    pub fn name(self) -> &'static str {
        self.def().name
    }
}

/// `a == b`, in a `const fn`.
const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Every format, in [`FORMATS`]' order (`--help`'s, the API's, the page's).
static ALL: [Format; FORMATS.len()] = {
    let mut all = [Format(0); FORMATS.len()];
    let mut i = 0;
    while i < all.len() {
        all[i] = Format(i);
        i += 1;
    }
    all
};

/// Every format's name, in [`FORMATS`]' order (serde's list of variants).
static NAMES: [&str; FORMATS.len()] = {
    let mut names = [""; FORMATS.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = FORMATS[i].name;
        i += 1;
    }
    names
};

/// Every format's name, as `-f` spells it, in `--help`'s order.
pub fn names() -> &'static [&'static str] {
    &NAMES
}

impl Default for Format {
    /// The table, for people.
    fn default() -> Self {
        Format::Table
    }
}

impl std::fmt::Debug for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Format({})", self.name())
    }
}

/// `-f`'s values, each with its `--help` line.
impl Choice for Format {
    fn choices() -> &'static [Self] {
        &ALL
    }

    fn choice(self) -> &'static str {
        self.name()
    }

    fn choice_help(self) -> Option<&'static str> {
        Some(self.def().help)
    }
}

/// By name, as the derived enum serialised.
impl Serialize for Format {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // At most a few dozen formats: the index fits.
        serializer.serialize_unit_variant("Format", self.0 as u32, self.name())
    }
}

/// By name, as the derived enum read itself, with its errors (`unknown variant `x`, expected one
/// of `table`, ...`).
impl<'de> Deserialize<'de> for Format {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_enum("Format", &NAMES, FormatVisitor)
    }
}

/// The name of a format, as an enum's variant identifier.
struct Name(Format);

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_identifier(NameVisitor)
    }
}

struct NameVisitor;

impl Visitor<'_> for NameVisitor {
    type Value = Name;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("variant identifier")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Name, E> {
        match usize::try_from(v).ok().filter(|i| *i < ALL.len()) {
            Some(i) => Ok(Name(ALL[i])),
            None => Err(E::invalid_value(
                Unexpected::Unsigned(v),
                &format!("variant index 0 <= i < {}", ALL.len()).as_str(),
            )),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Name, E> {
        match NAMES.iter().position(|n| *n == v) {
            Some(i) => Ok(Name(ALL[i])),
            None => Err(E::unknown_variant(v, &NAMES)),
        }
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Name, E> {
        match std::str::from_utf8(v) {
            Ok(s) => self.visit_str(s),
            Err(_) => Err(E::unknown_variant(&String::from_utf8_lossy(v), &NAMES)),
        }
    }
}

struct FormatVisitor;

impl<'de> Visitor<'de> for FormatVisitor {
    type Value = Format;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("enum Format")
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Format, A::Error> {
        let (Name(format), variant) = data.variant()?;
        variant.unit_variant()?;
        Ok(format)
    }
}

/// docs/reference/formats.md's table of formats, one row per registration (`tests/docs.rs`
/// compares the file with it and rewrites it with `CAMSCAN_BLESS=1`).
pub fn formats_table() -> String {
    let mut out = String::from("| Format | For | Shape |\n|---|---|---|\n");
    for f in FORMATS {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            f.name, f.audience, f.shape
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names are unique and spelled as `-f` takes them; every text is filled in; the media type
    /// is a type and the extension a file name's end.
    #[test]
    fn every_registration_is_complete() {
        assert!(!FORMATS.is_empty());
        for (i, f) in FORMATS.iter().enumerate() {
            assert!(
                !f.name.is_empty()
                    && f.name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{:?}",
                f.name
            );
            assert_eq!(
                FORMATS.iter().position(|g| g.name == f.name),
                Some(i),
                "{} twice",
                f.name
            );
            assert!(!f.help.is_empty() && !f.help.ends_with('.'), "{}", f.name);
            assert!(f.media_type.contains('/'), "{}", f.name);
            assert!(
                !f.extension.is_empty() && !f.extension.starts_with('.'),
                "{}",
                f.name
            );
            assert!(!f.audience.is_empty() && !f.shape.is_empty(), "{}", f.name);
            assert!(
                !f.shape.contains('|') && !f.shape.contains('\n'),
                "{}",
                f.name
            );
            assert_eq!(Format::named(f.name).def().name, f.name);
        }
        assert_eq!(names(), FORMATS.iter().map(|f| f.name).collect::<Vec<_>>());
    }

    /// `-f` takes every name with its help line, and the names other code uses are the formats
    /// it means.
    #[test]
    fn the_command_line_and_serde_take_every_name() {
        for (f, def) in Format::choices().iter().zip(FORMATS) {
            assert_eq!(f.choice(), def.name);
            assert_eq!(f.choice_help(), Some(def.help));
            assert_eq!(Format::from_choice(def.name, false), Some(*f));
            assert_eq!(
                Format::from_choice(&def.name.to_uppercase(), true),
                Some(*f),
                "ignoring case"
            );
            let yaml = serde_yaml::to_string(f).unwrap();
            assert_eq!(yaml.trim(), def.name);
            assert_eq!(serde_yaml::from_str::<Format>(&yaml).unwrap(), *f);
            assert_eq!(
                serde_json::from_str::<Format>(&format!("{:?}", def.name)).unwrap(),
                *f
            );
        }
        for (f, name) in [
            (Format::Table, "table"),
            (Format::Json, "json"),
            (Format::Csv, "csv"),
            (Format::Xml, "xml"),
            (Format::Yaml, "yaml"),
            (Format::Ndjson, "ndjson"),
            (Format::M3u, "m3u"),
            (Format::Go2rtc, "go2rtc"),
            (Format::Frigate, "frigate"),
            (Format::Mediamtx, "mediamtx"),
            (Format::HaSheet, "ha-sheet"),
        ] {
            assert_eq!(f.name(), name);
        }
        assert_eq!(Format::default(), Format::Table);
        let e = serde_yaml::from_str::<Format>("nope")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("unknown variant `nope`, expected one of `table`, `json`, "),
            "{e}"
        );
        assert!(Format::from_choice("nope", true).is_none());
    }

    /// The table of formats has a row per registration, in order.
    #[test]
    fn the_docs_table_has_a_row_per_format() {
        let table = formats_table();
        let rows: Vec<&str> = table.lines().skip(2).collect();
        assert_eq!(rows.len(), FORMATS.len());
        for (row, f) in rows.iter().zip(FORMATS) {
            assert!(row.starts_with(&format!("| `{}` | ", f.name)), "{row}");
        }
    }
}
