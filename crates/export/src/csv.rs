//! CSV: one row per stream (a device without streams gets one row), a header row, RFC 4180 quoting by
//! the `csv` crate, and every cell made safe for spreadsheets (see [`sanitize::spreadsheet`]).
//! The delimiter is `,` unless `--csv-delimiter` picks another (`;` for spreadsheets in locales where
//! the comma is the decimal mark, tab, `|`); a cell holding the delimiter is quoted.

use std::io::{self, Write};

use super::{Exporter, fmt_num};
use input::setting::{Repeat, Setting};
use model::{Device, Report, Stream};
use sanitize::spreadsheet;

pub struct CsvExporter {
    /// One ASCII character, validated by the configuration.
    pub delimiter: u8,
}

/// `--csv-delimiter` (config `csv_delimiter:`).
pub static DELIMITER: Setting<u8> = Setting {
    key: "csv_delimiter",
    flag: "--csv-delimiter",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_CSV_DELIMITER",
    value_name: "CHAR",
    help: "CSV field delimiter: one character such as `,` `;` `|`, or `tab` (also `\\t`) [default: ,]",
    default: b',',
    choices: None,
    parse: |s| parse_csv_delimiter(s).map_err(str::to_string),
};

/// A CSV delimiter: one ASCII punctuation character (`,` `;` `|` `:` ...), or a tab given as itself,
/// `\t` or `tab`. Quotes would clash with RFC 4180 quoting, line breaks with records, and letters
/// or digits with the data.
pub fn parse_csv_delimiter(s: &str) -> Result<u8, &'static str> {
    let c = if s.eq_ignore_ascii_case("tab") || s == "\\t" {
        '\t'
    } else {
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => c,
            _ => return Err("expected one character such as , ; | or tab"),
        }
    };
    match c {
        '"' | '\'' => Err("a quote character cannot be the delimiter"),
        '\t' => Ok(b'\t'),
        c if c.is_ascii_punctuation() => Ok(c as u8),
        _ => Err("expected one punctuation character such as , ; | or tab"),
    }
}

/// The columns, in order. The contract only grows: new columns go at the end.
const HEADER: [&str; 37] = [
    "ip",
    "mac",
    "hostname",
    "vendor",
    "model",
    "is_camera",
    "open_ports",
    "services",
    "url",
    "protocol",
    "port",
    "status",
    "auth",
    "verified",
    "video_codec",
    "width",
    "height",
    "fps",
    "profile",
    "audio_codec",
    "sample_rate",
    "channels",
    "server",
    "errors",
    "same_as",
    "mac_vendor",
    "mac_randomized",
    "roles",
    "browsers",
    "talkback",
    "ptz",
    "autotracking",
    "events",
    "login_schemes",
    "misaddressed",
    "reach",
    "nvr_channels",
];

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn row(d: &Device, s: Option<&Stream>) -> Vec<String> {
    let join = |v: Vec<String>| v.join(";");
    let services = join(
        d.services
            .iter()
            .map(|s| format!("{}/{}", s.port, s.protocol.as_str()))
            .collect(),
    );
    let server = s
        .and_then(|s| d.services.iter().find(|svc| svc.port == s.port))
        .or(d.services.first())
        .and_then(|svc| svc.server.clone());
    let video = s.and_then(|s| s.video.as_ref());
    let audio = s.and_then(|s| s.audio.as_ref());
    let c = &d.capabilities;
    vec![
        d.ip.to_string(),
        opt(d.mac.as_ref()),
        opt(d.hostname.as_ref()),
        opt(d.vendor.as_ref()),
        opt(d.model.as_ref()),
        d.is_camera.to_string(),
        join(d.open_ports.iter().map(u16::to_string).collect()),
        services,
        opt(s.map(|s| &s.url)),
        opt(s.map(|s| s.protocol.as_str())),
        opt(s.map(|s| s.port)),
        opt(s.map(|s| s.status.as_str())),
        // A device without streams: what its services ask for (a login wall's `basic`).
        match s {
            Some(s) => s.auth.as_str().to_string(),
            None => d
                .services
                .iter()
                .map(|svc| svc.auth)
                .find(|a| *a != model::AuthScheme::None)
                .map(|a| a.as_str().to_string())
                .unwrap_or_default(),
        },
        opt(s.map(|s| s.verified)),
        opt(video.map(|v| &v.codec)),
        opt(video.and_then(|v| v.width)),
        opt(video.and_then(|v| v.height)),
        opt(video.and_then(|v| v.fps).map(fmt_num)),
        opt(video.and_then(|v| v.profile.as_ref())),
        opt(audio.map(|a| &a.codec)),
        opt(audio.and_then(|a| a.sample_rate)),
        opt(audio.and_then(|a| a.channels)),
        opt(server),
        join(d.errors.iter().map(|e| e.message.clone()).collect()),
        opt(s.and_then(|s| s.same_as.as_ref())),
        opt(d.mac_vendor.as_ref()),
        d.mac_randomized.to_string(),
        // What the device can do (docs/reference/json-schema.md, `capabilities`): the stream's
        // roles and browser playback on its row, the device's facts on each of its rows.
        s.map(|s| c.roles_of(&s.url).join(";")).unwrap_or_default(),
        opt(s
            .and_then(|s| c.playback_of(&s.url))
            .map(|p| p.browsers.as_str())),
        opt(c.talkback.as_ref().map(|t| t.summary())),
        opt(c.ptz.as_ref().map(|p| p.summary())),
        opt(c.ptz.as_ref().map(|p| {
            if p.autotracking.ready {
                "ready".to_string()
            } else {
                format!("no: {}", p.autotracking.reason)
            }
        })),
        opt(c.events.as_ref().map(|e| e.summary())),
        join(c.logins.iter().map(|l| l.summary()).collect()),
        // A camera in another subnet (docs/reference/json-schema.md, `misaddressed`): its own
        // address and gateway, and the command that reaches it.
        opt(d.misaddressed.as_ref().map(|m| match m.gateway {
            Some(g) => format!("{}/{} gateway {g}", m.address, m.prefix),
            None => format!("{}/{}", m.address, m.prefix),
        })),
        opt(d.misaddressed.as_ref().map(|m| m.reach.ip_addr_add.clone())),
        // The cameras behind an NVR, as it lists them: `1 Gate 192.168.254.2:8000
        // DS-2CD2386G2-IU online`, one per channel.
        join(d.nvr_channels.iter().map(nvr_channel).collect()),
    ]
}

/// One NVR channel in a cell: its number, name, the camera's address and model, online or not.
fn nvr_channel(c: &model::NvrChannel) -> String {
    let address = match (&c.address, c.port) {
        (Some(a), Some(p)) => Some(format!("{a}:{p}")),
        (a, _) => a.clone(),
    };
    let online = match c.online {
        Some(true) => Some("online"),
        Some(false) => Some("offline"),
        None => None,
    };
    std::iter::once(c.channel.to_string())
        .chain(c.name.clone())
        .chain(address)
        .chain(c.model.clone())
        .chain(online.map(str::to_string))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Exporter for CsvExporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let mut w = csv::WriterBuilder::new()
            .delimiter(self.delimiter)
            .from_writer(out);
        w.write_record(HEADER)?;
        for d in &report.devices {
            let rows: Vec<Vec<String>> = if d.streams.is_empty() {
                vec![row(d, None)]
            } else {
                d.streams.iter().map(|s| row(d, Some(s))).collect()
            };
            for r in rows {
                w.write_record(r.iter().map(|c| spreadsheet(c).into_owned()))?;
            }
        }
        w.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::report;

    fn render(delimiter: u8) -> Vec<u8> {
        let mut out = Vec::new();
        CsvExporter { delimiter }
            .write(&report(), &mut out)
            .unwrap();
        out
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(String::from_utf8(render(b',')).unwrap());
    }

    #[test]
    fn misaddressed_columns() {
        let mut r = report();
        let d = r.devices.last_mut().unwrap();
        d.misaddressed = model::misaddressed::judge(
            "198.19.1.64".parse().unwrap(),
            Some("255.255.255.0".parse().unwrap()),
            Some("198.19.1.1".parse().unwrap()),
            "eth0",
            &[("198.18.0.0".parse().unwrap(), 24)],
            "sadp",
        );
        let mut out = Vec::new();
        CsvExporter { delimiter: b',' }.write(&r, &mut out).unwrap();
        let mut rd = csv::Reader::from_reader(out.as_slice());
        let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
        let col = |name: &str| HEADER.iter().position(|h| *h == name).unwrap();
        let last = rows.last().unwrap();
        assert_eq!(
            &last[col("misaddressed")],
            "198.19.1.64/24 gateway 198.19.1.1"
        );
        assert_eq!(&last[col("reach")], "ip addr add 198.19.1.253/24 dev eth0");
        assert_eq!(&rows[0][col("misaddressed")], "", "a device in its subnet");
    }

    #[test]
    fn snapshot_semicolon() {
        insta::assert_snapshot!(String::from_utf8(render(b';')).unwrap());
    }

    #[test]
    fn rows_parse_back_and_formulas_are_defused() {
        for delimiter in [b',', b';', b'\t', b'|'] {
            rows_parse_back(delimiter);
        }
    }

    fn rows_parse_back(delimiter: u8) {
        let out = render(delimiter);
        let mut r = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .from_reader(out.as_slice());
        assert_eq!(r.headers().unwrap().len(), HEADER.len());
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        // Fixture: 4 streams on the camera (one an alias, one unverified), 1 row for the web
        // server, 1 for the hostile device, 1 stream on the odd device.
        let col = |name: &str| HEADER.iter().position(|h| *h == name).unwrap();
        assert_eq!(rows.len(), 7);
        assert_eq!(&rows[3][col("status")], "unverified");
        assert_eq!(
            &rows[2][col("same_as")],
            "rtsp://198.18.0.10:554/Streaming/Channels/101",
            "same_as"
        );
        // The MAC's maker, then the capabilities, at the end (the columns before keep their
        // places).
        assert_eq!(
            HEADER[25..],
            [
                "mac_vendor",
                "mac_randomized",
                "roles",
                "browsers",
                "talkback",
                "ptz",
                "autotracking",
                "events",
                "login_schemes",
                "misaddressed",
                "reach",
                "nvr_channels"
            ]
        );
        let web = rows.iter().find(|r| r[0] == *"198.18.0.20").unwrap();
        assert_eq!(&web[col("mac_vendor")], "Raspberry Pi Trading Ltd");
        assert_eq!(&web[col("mac_randomized")], "false");
        assert_eq!(&rows[0][6], "80;554", "lists inside a cell");
        assert_eq!(&rows[0][8], "rtsp://198.18.0.10:554/Streaming/Channels/101");
        assert_eq!(&rows[0][14], "h264");
        let hostile = rows.iter().find(|r| r[0] == *"198.18.0.30").unwrap();
        assert!(hostile[22].starts_with("'=cmd"), "{}", &hostile[22]);
        assert!(!hostile[22].contains('\x1b'));
        assert_eq!(&hostile[col("mac_vendor")], "");
        assert_eq!(&hostile[col("mac_randomized")], "true");
    }
}
