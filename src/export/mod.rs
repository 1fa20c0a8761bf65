//! Exporters render a [`Report`] into a writer they are given; one file per format. Output is a
//! versioned contract (see [`crate::model::SCHEMA_VERSION`]) and pinned by snapshot tests; nothing here
//! depends on the terminal except through [`ExportOptions`].
//!
//! Every format renders the same [`Report`]: JSON, YAML and NDJSON carry exactly the JSON document's
//! fields (and parse back into it), XML mirrors them element by element, CSV and the table flatten
//! them for people and spreadsheets, and M3U lists the streams that play.

mod csv;
mod json;
mod m3u;
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
    /// The JSON document's fields as XML elements (README "XML output").
    Xml,
    /// The JSON document as YAML, with every string a YAML 1.1 reader could misread quoted.
    Yaml,
    /// One JSON object per device and line, each written as soon as the device is final.
    Ndjson,
    /// An M3U playlist of the streams that opened.
    M3u,
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
}

impl Default for ExportOptions {
    /// No colour, natural width, the compact table, comma-separated CSV.
    fn default() -> Self {
        ExportOptions {
            color: false,
            width: None,
            detail: false,
            csv_delimiter: b',',
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
    }
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

/// 25 not 25.0; 29.97 as is.
pub(crate) fn fmt_num(f: f64) -> String {
    if f.fract() == 0.0 {
        format!("{f:.0}")
    } else {
        format!("{f}")
    }
}

#[cfg(test)]
pub(crate) mod fixtures;
