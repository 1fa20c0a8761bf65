//! Exporters render a [`Report`] into a writer they are given; one file per format, registered once
//! in [`FORMATS`] (its name, help, media type, ... and its exporter's constructor). Output is a
//! versioned contract (see [`model::SCHEMA_VERSION`]) and pinned by snapshot tests; nothing here
//! depends on the terminal except through [`ExportOptions`].
//!
//! Every format renders the same [`Report`]: JSON, YAML and NDJSON carry exactly the JSON document's
//! fields (and parse back into it), XML mirrors them element by element, CSV and the table flatten
//! them for people and spreadsheets, and M3U lists the streams that play.
//!
//! The configuration exports write what the video tools users run next read: go2rtc's `streams:`,
//! Frigate's `cameras:`, MediaMTX's `paths:`, and a paste sheet for Home Assistant's UI. They share
//! the choice of cameras, main and sub streams and credentials ([`cameras`]) and the names
//! ([`names`](mod@names)); each file cites what its tool expects.

pub mod cameras;
pub mod csv;
mod format;
pub mod frigate;
pub mod go2rtc;
pub mod ha_sheet;
pub mod interfaces;
pub mod inventory;
mod json;
mod m3u;
pub mod mediamtx;
pub mod names;
mod ndjson;
pub mod options;
pub mod schema;
pub mod table;
mod xml;
mod xsd;
mod yaml;

pub use csv::parse_csv_delimiter;
pub use format::{Format, FormatDef, formats_table, names};
pub use ndjson::write_device as write_ndjson_device;

use std::io::{self, Write};

use input::setting::Repeat;
use model::{AudioInfo, Report, VideoInfo};

/// Every output format, in the order `--help`, the API document and the web page list them: one
/// entry per format, and everything else derives from it ([`FormatDef`] says what). Adding a
/// format is its file here and its entry below; adding an option of a format is its `Setting`
/// in the format's file, its name in the format's `options` below and its line in [`OPTIONS`].
pub const FORMATS: &[FormatDef] = &[
    FormatDef {
        name: "table",
        help: "A table for people: one row per device (+N after its address: its other \
               addresses, named in a note under the table), one row per stream with every detail \
               under -v (colours per --color)",
        media_type: "text/plain; charset=utf-8",
        extension: "txt",
        button: None,
        stamped: false,
        audience: "people",
        shape: "one row per device: ports, identity (the MAC's maker, shortened, when nothing \
                named a vendor; `random MAC` for a randomised one), stream count, main stream (the \
                stream a user would open first: see *The main stream* below), its status and \
                video in short spellings (`H.264 1080p25 High`, `auth`); `-v`: one row per stream \
                with server, user, verification, codec level and RFC 6381 string, fps source, \
                what the PLAY check measured, and every error listed below the table. Fitted to \
                the terminal's width (else `$COLUMNS`, else 100; `--width`): columns left out by \
                priority and named, words never split, URLs whole or shortened with `…` in the \
                middle, reasons as numbered notes under the table ([Reading the \
                table](../guide/scanning.md#reading-the-table))",
        options: &[],
        make: |options| Box::new(table::TableExporter(options)),
    },
    FormatDef {
        name: "json",
        help: "The versioned JSON document (schema_version 2) for programs",
        media_type: "application/json",
        extension: "json",
        button: Some("JSON"),
        stamped: false,
        audience: "programs",
        shape: "the versioned document below",
        options: &[],
        make: |_| Box::new(json::JsonExporter),
    },
    FormatDef {
        name: "csv",
        help: "One row per stream, RFC 4180, spreadsheet-safe (--csv-delimiter)",
        media_type: "text/csv; charset=utf-8",
        extension: "csv",
        button: Some("CSV"),
        stamped: false,
        audience: "spreadsheets",
        shape: "one row per stream, see below",
        options: &[&csv::DELIMITER],
        make: |options| {
            Box::new(csv::CsvExporter {
                delimiter: options.formats.get(&csv::DELIMITER),
            })
        },
    },
    FormatDef {
        name: "xml",
        help: "The JSON document's fields as XML elements (docs/reference/formats.md, \"XML output\")",
        media_type: "application/xml",
        extension: "xml",
        button: Some("XML"),
        stamped: false,
        audience: "XML tooling",
        shape: "the JSON document as elements, see below",
        options: &[],
        make: |_| Box::new(xml::XmlExporter),
    },
    FormatDef {
        name: "yaml",
        help: "The JSON document as YAML, with every string a YAML 1.1 reader could misread quoted",
        media_type: "application/yaml",
        extension: "yaml",
        button: Some("YAML"),
        stamped: false,
        audience: "configuration and inventory files",
        shape: "the JSON document, see below",
        options: &[],
        make: |_| Box::new(yaml::YamlExporter),
    },
    FormatDef {
        name: "ndjson",
        help: "One JSON object per device and line, each written as soon as the device is final",
        media_type: "application/x-ndjson",
        extension: "ndjson",
        button: Some("NDJSON"),
        stamped: false,
        audience: "pipelines (`jq`, log shippers)",
        shape: "one device per line, each as soon as it is final, see below",
        options: &[],
        make: |_| Box::new(ndjson::NdjsonExporter),
    },
    FormatDef {
        name: "m3u",
        help: "An M3U playlist of the streams that opened",
        media_type: "audio/x-mpegurl",
        extension: "m3u",
        button: Some("M3U"),
        stamped: false,
        audience: "video players",
        shape: "the streams that opened, see below",
        options: &[],
        make: |_| Box::new(m3u::M3uExporter),
    },
    FormatDef {
        name: "go2rtc",
        help: "go2rtc `streams:` (passwords as ${CAMSCAN_<NAME>_PASSWORD} references)",
        media_type: "application/yaml",
        extension: "go2rtc.yaml",
        button: Some("go2rtc"),
        stamped: true,
        audience: "go2rtc",
        shape: "its `streams:` configuration, see [Exporting to go2rtc, Frigate, MediaMTX and \
                Home Assistant](../guide/integrations.md)",
        options: &[&go2rtc::BACKCHANNEL],
        make: |options| {
            Box::new(go2rtc::Go2rtcExporter {
                backchannel: options.formats.get(&go2rtc::BACKCHANNEL),
            })
        },
    },
    FormatDef {
        name: "frigate",
        help: "Frigate `cameras:` with record/detect roles (--frigate-restream: through go2rtc)",
        media_type: "application/yaml",
        extension: "frigate.yaml",
        button: Some("Frigate"),
        stamped: true,
        audience: "Frigate",
        shape: "its `cameras:` configuration (with `--frigate-restream`, a `go2rtc:` section \
                too), see [Exporting to go2rtc, Frigate, MediaMTX and Home \
                Assistant](../guide/integrations.md)",
        options: &[&frigate::RESTREAM, &go2rtc::BACKCHANNEL],
        make: |options| {
            Box::new(frigate::FrigateExporter {
                restream: options.formats.get(&frigate::RESTREAM),
                backchannel: options.formats.get(&go2rtc::BACKCHANNEL),
            })
        },
    },
    FormatDef {
        name: "mediamtx",
        help: "MediaMTX `paths:` pulling each stream on demand",
        media_type: "application/yaml",
        extension: "mediamtx.yml",
        button: Some("MediaMTX"),
        stamped: true,
        audience: "MediaMTX",
        shape: "its `paths:` configuration, see [Exporting to go2rtc, Frigate, MediaMTX and \
                Home Assistant](../guide/integrations.md)",
        options: &[],
        make: |_| Box::new(mediamtx::MediamtxExporter),
    },
    FormatDef {
        name: "ha-sheet",
        help: "A plain-text sheet to paste into Home Assistant's Generic Camera and ONVIF setup",
        media_type: "text/plain; charset=utf-8",
        extension: "ha-sheet.txt",
        button: Some("HA sheet"),
        stamped: true,
        audience: "Home Assistant",
        shape: "what to paste into its Generic Camera and ONVIF setup, see [Exporting to \
                go2rtc, Frigate, MediaMTX and Home Assistant](../guide/integrations.md)",
        options: &[],
        make: |_| Box::new(ha_sheet::HaSheetExporter),
    },
];

/// Every format option, each once: in the order of [`FORMATS`] and of each format's list, an option
/// several formats list standing where the last of them lists it (`--backchannel` after
/// `--frigate-restream`, whose help it names). The entrance makes the flags and config-file keys of
/// every command that writes a format from it ([`options`]); `every_format_option_is_listed_once`
/// holds it to the formats' lists.
pub static OPTIONS: &[&dyn input::setting::Declared] =
    &[&csv::DELIMITER, &frigate::RESTREAM, &go2rtc::BACKCHANNEL];

/// How the output will be shown, and the formats' own options: no colour, natural width and the
/// compact table by default, every format option at its default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportOptions {
    /// Use ANSI colours (table only).
    pub color: bool,
    /// Table width in columns; `None` lets the table take what it needs.
    pub width: Option<u16>,
    /// Table only: one row per stream with every detail (`-v`) instead of one row per device.
    pub detail: bool,
    /// The values of the formats' own options ([`options`]), which each exporter's `make` reads.
    pub formats: input::setting::Settings,
}

/// `-o FILE`: a command's document written there, atomically, instead of on stdout (the scan's
/// report, `convert`'s, the audit's; also the config file's `output:`, which the scan reads).
pub static OUTPUT: input::setting::Setting<Option<std::path::PathBuf>> = input::setting::Setting {
    key: "output",
    flag: "--output",
    short: Some('o'),
    repeat: Repeat::Once,
    env: "CAMSCAN_OUTPUT",
    value_name: "FILE",
    help: "Write results to FILE (atomically) instead of stdout",
    default: None,
    choices: None,
    parse: input::setting::path,
};

/// The table's width when it is not a terminal's and nothing says otherwise.
pub const DEFAULT_WIDTH: u16 = 100;

/// How wide the table may be: `given` (`--width`, 0: no limit, else `$COLUMNS` as the entrance
/// read it: shells set it without exporting it, so in the environment it was put there to be
/// read), else the width of the terminal stdout is, else [`DEFAULT_WIDTH`] (a file, a pipe).
pub fn table_width(given: Option<u16>, terminal: Option<u16>) -> Option<u16> {
    match given {
        Some(0) => None,
        Some(w) => Some(w),
        None => Some(terminal.filter(|w| *w > 0).unwrap_or(DEFAULT_WIDTH)),
    }
}

/// Renders a whole report.
pub trait Exporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> io::Result<()>;
}

/// The exporter of `format`, for output shown as `options` says.
/// `text` wrapped at spaces into lines of at most `width` columns, the first starting with `first`
/// and the others indented as deep: the table's notes' rule, for other messages on a terminal.
pub fn wrap(first: &str, text: &str, width: usize) -> Vec<String> {
    table::wrap(first, text, width)
}

pub fn exporter(format: Format, options: ExportOptions) -> Box<dyn Exporter> {
    (format.def().make)(options)
}

/// Control characters and bidi overrides: they would break a line or disguise the text.
pub fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// One line of words: hidden characters become spaces, runs of white space one space.
pub fn one_line(s: &str) -> String {
    s.split(|c: char| hidden(c) || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first comment lines of a configuration export: what wrote it, from which scan.
pub fn config_header(tool: &str, report: &Report) -> String {
    format!(
        "# {tool} from camscan {}, scan started {}.\n",
        one_line(&report.camscan_version),
        one_line(&report.started_at),
    )
}

/// `h264 1280x720 25fps main`
pub(crate) fn video_summary(v: &VideoInfo) -> String {
    let mut parts = vec![v.codec.clone()];
    if let (Some(w), Some(h)) = (v.width, v.height) {
        parts.push(format!("{w}x{h}"));
    }
    if let Some(fps) = v.fps {
        parts.push(format!("{}fps", fmt_num(fps)));
    }
    if let Some(p) = &v.profile {
        parts.push(p.clone());
    }
    parts.join(" ")
}

/// `aac 16000Hz mono`
pub(crate) fn audio_summary(a: &AudioInfo) -> String {
    let mut parts = vec![a.codec.clone()];
    if let Some(r) = a.sample_rate {
        parts.push(format!("{r}Hz"));
    }
    match a.channels {
        Some(1) => parts.push("mono".into()),
        Some(2) => parts.push("stereo".into()),
        Some(n) => parts.push(format!("{n}ch")),
        None => {}
    }
    parts.join(" ")
}

/// Words that end a company's registered name (`Co.,Ltd.`, `GmbH`, `Inc.`), compared without their
/// dots and in any case: [`short_organisation`] drops them.
const LEGAL_FORMS: &[&str] = &[
    "ab",
    "ag",
    "as",
    "a/s",
    "bhd",
    "bv",
    "co",
    "company",
    "corp",
    "corporation",
    "gmbh",
    "inc",
    "incorporated",
    "kft",
    "kg",
    "kk",
    "limited",
    "llc",
    "ltd",
    "ltda",
    "nv",
    "oy",
    "plc",
    "pte",
    "pty",
    "pvt",
    "sa",
    "sas",
    "sdn",
    "sl",
    "spa",
    "srl",
    "sro",
];

/// The longest [`short_organisation`] in characters; longer ones are cut at a word, with `…`.
const SHORT_ORGANISATION_MAX: usize = 40;

/// A MAC registry organisation as a table shows it: without its legal form and at most
/// [`SHORT_ORGANISATION_MAX`] characters (`Hangzhou Hikvision Digital Technology Co.,Ltd.` is
/// `Hangzhou Hikvision Digital Technology`, `Apple, Inc.` is `Apple`).
pub(crate) fn short_organisation(organisation: &str) -> String {
    let trim = |s: &str| s.trim_end_matches([' ', ',', '.', '(', ')']).len();
    let mut s = one_line(organisation);
    loop {
        s.truncate(trim(&s));
        let Some(cut) = s.rfind([' ', ',']) else {
            break;
        };
        let word: String = s[cut + 1..]
            .chars()
            .filter(|c| *c != '.')
            .collect::<String>()
            .to_lowercase();
        let rest = trim(&s[..cut]);
        if rest == 0 || !LEGAL_FORMS.contains(&word.as_str()) {
            break;
        }
        s.truncate(rest);
    }
    if s.chars().count() > SHORT_ORGANISATION_MAX {
        let mut end = s
            .char_indices()
            .nth(SHORT_ORGANISATION_MAX - 1)
            .map_or(s.len(), |(i, _)| i);
        if !s[end..].starts_with(' ')
            && let Some(space) = s[..end].rfind(' ').filter(|i| *i > 0)
        {
            end = space;
        }
        s.truncate(trim(&s[..end]));
        s.push('…');
    }
    s
}

/// 25 not 25.0; 29.97 as is.
pub(crate) fn fmt_num(f: f64) -> String {
    if f.fract() == 0.0 {
        format!("{f:.0}")
    } else {
        format!("{f}")
    }
}

#[cfg(test)]
mod tests {
    use super::short_organisation;

    #[test]
    fn organisations_are_shortened_to_their_name() {
        for (long, short) in [
            (
                "Hangzhou Hikvision Digital Technology Co.,Ltd.",
                "Hangzhou Hikvision Digital Technology",
            ),
            (
                "Zhejiang Dahua Technology Co., Ltd.",
                "Zhejiang Dahua Technology",
            ),
            ("TP-LINK TECHNOLOGIES CO.,LTD.", "TP-LINK TECHNOLOGIES"),
            ("Apple, Inc.", "Apple"),
            ("Raspberry Pi Trading Ltd", "Raspberry Pi Trading"),
            ("Sony Corporation", "Sony"),
            ("Axis Communications AB", "Axis Communications"),
            ("Robert Bosch GmbH", "Robert Bosch"),
            ("Bosch Security Systems BV", "Bosch Security Systems"),
            ("Ubiquiti Networks Inc.", "Ubiquiti Networks"),
            (
                "Prama Hikvision India Private Limited",
                "Prama Hikvision India Private",
            ),
            ("Samsung Electronics Co.,Ltd", "Samsung Electronics"),
            // Never to nothing, and a name that is all legal form stays.
            ("Corporation", "Corporation"),
            ("CO., LTD.", "CO"),
            ("XEROX CORPORATION", "XEROX"),
            ("", ""),
            (
                "Guangdong Oppo Mobile Telecommunications Corp.,Ltd",
                "Guangdong Oppo Mobile Telecommunications",
            ),
            // Longer names are cut at a word.
            (
                "Alpha Beta Gamma Delta Epsilon Zeta Eta Theta Iota Kappa Ltd",
                "Alpha Beta Gamma Delta Epsilon Zeta Eta…",
            ),
            (
                "Alpha Beta Gamma Delta Epsilon Zeta Etaa Theta",
                "Alpha Beta Gamma Delta Epsilon Zeta…",
            ),
        ] {
            assert_eq!(short_organisation(long), short, "{long:?}");
            assert!(short.chars().count() <= 40, "{short:?}");
        }
        let one_word = "Ä".repeat(50);
        assert_eq!(
            short_organisation(&one_word),
            format!("{}…", "Ä".repeat(39))
        );
    }
}

#[cfg(test)]
mod doc_examples;
/// The exporters' fixed report, for this crate's tests and (feature `test-support`) the main
/// crate's.
#[cfg(any(test, feature = "test-support"))]
pub mod fixtures;

/// The bytes of the workspace's `tests/fixtures/<path>`: how this crate's unit tests load the
/// files the main crate's tests share (go2rtc's schema, the documents' examples; the main crate
/// has its own `test_fixture`: a `#[cfg(test)]` item is not seen from another crate).
#[cfg(test)]
pub(crate) fn test_fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/../../tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}
