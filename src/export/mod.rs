//! Exporters render a [`Report`] into a writer they are given; one file per format. Output is a
//! versioned contract (see [`crate::model::SCHEMA_VERSION`]) and pinned by snapshot tests; nothing here
//! depends on the terminal except through [`ExportOptions`].
//!
//! Every format renders the same [`Report`]: JSON, YAML and NDJSON carry exactly the JSON document's
//! fields (and parse back into it), XML mirrors them element by element, CSV and the table flatten
//! them for people and spreadsheets, and M3U lists the streams that play.
//!
//! The configuration exports write what the video tools users run next read: go2rtc's `streams:`,
//! Frigate's `cameras:`, MediaMTX's `paths:`, and a paste sheet for Home Assistant's UI. They share
//! the choice of cameras, main and sub streams and credentials ([`cameras`]) and the names
//! ([`names`]); each file cites what its tool expects.

mod cameras;
mod csv;
mod frigate;
mod go2rtc;
mod ha_sheet;
mod json;
mod m3u;
mod mediamtx;
mod names;
mod ndjson;
mod table;
mod xml;
mod yaml;

pub use ndjson::write_device as write_ndjson_device;

use std::io::{self, Write};

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use crate::model::{AudioInfo, Report, VideoInfo};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// A table for people: one row per device, one row per stream with every detail under -v
    /// (colours per --color).
    #[default]
    Table,
    /// The versioned JSON document (schema_version 1) for programs.
    Json,
    /// One row per stream, RFC 4180, spreadsheet-safe (--csv-delimiter).
    Csv,
    /// The JSON document's fields as XML elements (docs/reference/formats.md, "XML output").
    Xml,
    /// The JSON document as YAML, with every string a YAML 1.1 reader could misread quoted.
    Yaml,
    /// One JSON object per device and line, each written as soon as the device is final.
    Ndjson,
    /// An M3U playlist of the streams that opened.
    M3u,
    /// go2rtc `streams:` (passwords as ${CAMSCAN_<NAME>_PASSWORD} references).
    #[value(name = "go2rtc")]
    Go2rtc,
    /// Frigate `cameras:` with record/detect roles (--frigate-restream: through go2rtc).
    Frigate,
    /// MediaMTX `paths:` pulling each stream on demand.
    Mediamtx,
    /// A plain-text sheet to paste into Home Assistant's Generic Camera and ONVIF setup.
    #[value(name = "ha-sheet")]
    #[serde(rename = "ha-sheet")]
    HaSheet,
}

/// How the output will be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportOptions {
    /// Use ANSI colours (table only).
    pub color: bool,
    /// Table width in columns; `None` lets the table take what it needs.
    pub width: Option<u16>,
    /// Table only: one row per stream with every detail (`-v`) instead of one row per device.
    pub detail: bool,
    /// CSV only: the field delimiter, one ASCII character (`,` by default).
    pub csv_delimiter: u8,
    /// Frigate only: a `go2rtc:` section too, and camera inputs from go2rtc's restream.
    pub frigate_restream: bool,
}

impl Default for ExportOptions {
    /// No colour, natural width, the compact table, comma-separated CSV, Frigate inputs straight
    /// from the cameras.
    fn default() -> Self {
        ExportOptions {
            color: false,
            width: None,
            detail: false,
            csv_delimiter: b',',
            frigate_restream: false,
        }
    }
}

/// Renders a whole report.
pub trait Exporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> io::Result<()>;
}

pub fn exporter(format: Format, options: ExportOptions) -> Box<dyn Exporter> {
    match format {
        Format::Table => Box::new(table::TableExporter(options)),
        Format::Json => Box::new(json::JsonExporter),
        Format::Csv => Box::new(csv::CsvExporter {
            delimiter: options.csv_delimiter,
        }),
        Format::Xml => Box::new(xml::XmlExporter),
        Format::Yaml => Box::new(yaml::YamlExporter),
        Format::Ndjson => Box::new(ndjson::NdjsonExporter),
        Format::M3u => Box::new(m3u::M3uExporter),
        Format::Go2rtc => Box::new(go2rtc::Go2rtcExporter),
        Format::Frigate => Box::new(frigate::FrigateExporter {
            restream: options.frigate_restream,
        }),
        Format::Mediamtx => Box::new(mediamtx::MediamtxExporter),
        Format::HaSheet => Box::new(ha_sheet::HaSheetExporter),
    }
}

/// Control characters and bidi overrides: they would break a line or disguise the text.
pub(crate) fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// One line of words: hidden characters become spaces, runs of white space one space.
pub(crate) fn one_line(s: &str) -> String {
    s.split(|c: char| hidden(c) || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first comment lines of a configuration export: what wrote it, from which scan.
pub(crate) fn config_header(tool: &str, report: &Report) -> String {
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
#[cfg(test)]
pub(crate) mod fixtures;
