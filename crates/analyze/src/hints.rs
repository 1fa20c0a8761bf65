//! The user's stream-name hints (`--paths FILE`, config `paths:` / `paths_file:`), parsed once into
//! a typed list and projected onto each protocol: stream names of streaming servers and stream keys
//! of RTMP servers cannot be guessed, so the user's own names are tried first on every port.
//!
//! Line syntax (one hint a line; `#` starts a comment; blank lines are skipped):
//!
//! * `/path` (leading slash): a path, tried on RTSP ports and on HTTP ports as it is
//!   (`/Streaming/Channels/101`, `/hls/cam13.m3u8`, `/mjpg/video.mjpg`).
//! * `app/stream` (no leading slash, at least one `/`): an RTMP application and stream name,
//!   tried on RTMP ports as application `app`, stream `stream`; on HTTP ports as the places
//!   streaming servers publish that stream ([`http_paths_of_pair`]); on RTSP ports as `/app/stream`.
//!   `rtmp://host[:port]/app/stream` is the same hint (the host is ignored: only scanned hosts are
//!   asked).
//! * `name` (no slash): a stream name (stream key), tried in every RTMP application that accepts
//!   `connect`, on HTTP ports as [`http_paths_of_name`], on RTSP ports as `/name`.
//!
//! Pure: no I/O.

use input::setting::Repeat;

/// `--paths FILE` (config `paths_file:`, beside the file's own `paths:` list): the hints file.
pub static PATHS_FILE: input::setting::Setting<Option<std::path::PathBuf>> =
    input::setting::Setting {
        key: "paths_file",
        flag: "--paths",
        short: None,
        repeat: Repeat::Once,
        env: "CAMSCAN_PATHS",
        value_name: "FILE",
        help: "Stream-name hints tried first on every protocol, one per line (`#` comments): `/path` (RTSP and HTTP), `app/stream` (RTMP application and stream, and where servers publish it over HTTP), or a bare stream name (key)",
        default: None,
        choices: None,
        parse: input::setting::path,
    };

/// The config file's `paths:`: stream-name hints as the hints file's lines, before its. No
/// flag, no variable: the file's only (`camscan::cmds::scan::FILE_KEYS`); a hint may hold a comma
/// ([`Repeat::Lines`]).
pub static ENTRIES: input::setting::Setting<Vec<String>> = input::setting::Setting {
    key: "paths",
    flag: "",
    short: None,
    repeat: Repeat::Lines,
    env: "",
    value_name: "HINT",
    help: "Stream-name hints, as lines of a paths file, before the paths file's",
    default: Vec::new(),
    choices: None,
    parse: input::setting::lines,
};

/// One line of the hints file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hint {
    /// `/path`: the same path on RTSP and HTTP ports.
    Path(String),
    /// `app/stream`: an RTMP application and stream name.
    Pair { app: String, stream: String },
    /// `name`: a stream name in any application.
    Name(String),
}

/// The user's hints, in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hints {
    pub entries: Vec<Hint>,
}

/// Most characters in one hint line (a path, app/stream pair or URL).
pub const MAX_HINT_CHARS: usize = 1024;

impl Hint {
    /// One line, comment and surrounding blanks removed; `None` for an empty line.
    pub fn parse(line: &str) -> Result<Option<Hint>, String> {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            return Ok(None);
        }
        if line.chars().count() > MAX_HINT_CHARS {
            return Err(format!("longer than {MAX_HINT_CHARS} characters"));
        }
        if line.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("{line:?}: blanks or control characters inside"));
        }
        if line.starts_with('/') {
            return Ok(Some(Hint::Path(line.to_string())));
        }
        let rest = match line.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("rtmp") => {
                // rtmp://host[:port]/app/stream: the host is not ours to choose.
                match rest.split_once('/') {
                    Some((_, path)) => path,
                    None => return Err(format!("{line:?}: no application/stream after the host")),
                }
            }
            Some((scheme, _)) => {
                return Err(format!(
                    "{line:?}: {scheme}:// URLs are not hints; give the path (/...) or app/stream"
                ));
            }
            None => line,
        };
        match rest.split_once('/') {
            Some((app, stream)) if !app.is_empty() && !stream.is_empty() => Ok(Some(Hint::Pair {
                app: app.to_string(),
                stream: stream.to_string(),
            })),
            Some(_) => Err(format!("{line:?}: expected app/stream")),
            None => Ok(Some(Hint::Name(rest.to_string()))),
        }
    }
}

fn push_new(out: &mut Vec<String>, p: String) {
    if !out.contains(&p) {
        out.push(p);
    }
}

/// HTTP paths where streaming servers publish RTMP stream `app/stream`:
/// `/app/stream` itself; SRS' remuxes `/app/stream.flv|.m3u8|.ts|.mpd` (ossrs/srs wiki
/// "Delivery HTTP FLV", "Delivery HLS", issue #299 for DASH); MediaMTX's HLS `/app/stream/index.m3u8`
/// (its README, "Read with HLS": `http://host:8888/<path>/index.m3u8`); nginx-rtmp's `hls_path` and
/// `dash_path` served under `/hls` and `/dash` as its README's example does
/// (`/hls/stream.m3u8`, with `hls_nested on` `/hls/stream/index.m3u8`; the same for DASH's `.mpd`).
pub fn http_paths_of_pair(app: &str, stream: &str) -> Vec<String> {
    let mut out = Vec::new();
    for p in [
        format!("/{app}/{stream}"),
        format!("/{app}/{stream}.m3u8"),
        format!("/{app}/{stream}/index.m3u8"),
        format!("/{app}/{stream}.flv"),
        format!("/{app}/{stream}.ts"),
        format!("/{app}/{stream}.mpd"),
    ] {
        push_new(&mut out, p);
    }
    for p in http_paths_of_name(stream) {
        push_new(&mut out, p);
    }
    out
}

/// HTTP paths of a bare stream name: nginx-rtmp's HLS/DASH folders (flat and nested) and
/// MediaMTX's `/name/index.m3u8` (see [`http_paths_of_pair`]).
pub fn http_paths_of_name(name: &str) -> Vec<String> {
    vec![
        format!("/{name}"),
        format!("/hls/{name}.m3u8"),
        format!("/hls/{name}/index.m3u8"),
        format!("/{name}/index.m3u8"),
        format!("/dash/{name}.mpd"),
        format!("/dash/{name}/index.mpd"),
    ]
}

impl Hints {
    /// Parse the lines of a hints file or config list; the error names the line (1-based).
    pub fn parse<'a>(lines: impl IntoIterator<Item = &'a str>) -> Result<Hints, String> {
        let mut entries = Vec::new();
        for (i, line) in lines.into_iter().enumerate() {
            match Hint::parse(line) {
                Ok(Some(h)) if !entries.contains(&h) => entries.push(h),
                Ok(_) => {}
                Err(e) => return Err(format!("line {}: {e}", i + 1)),
            }
        }
        Ok(Hints { entries })
    }

    /// Add `more` after these, dropping repeats.
    pub fn extend(&mut self, more: Hints) {
        for h in more.entries {
            if !self.entries.contains(&h) {
                self.entries.push(h);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Paths for RTSP ports, in the user's order (each starting with `/`).
    pub fn rtsp_paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        for h in &self.entries {
            let p = match h {
                Hint::Path(p) => p.clone(),
                Hint::Pair { app, stream } => format!("/{app}/{stream}"),
                Hint::Name(n) => format!("/{n}"),
            };
            push_new(&mut out, p);
        }
        out
    }

    /// Paths for HTTP ports, in the user's order: each path as given, then the places servers
    /// publish each pair or name.
    pub fn http_paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        for h in &self.entries {
            let paths = match h {
                Hint::Path(p) => vec![p.clone()],
                Hint::Pair { app, stream } => http_paths_of_pair(app, stream),
                Hint::Name(n) => http_paths_of_name(n),
            };
            for p in paths {
                push_new(&mut out, p);
            }
        }
        out
    }

    /// RTMP `(application, stream)` pairs given whole.
    pub fn rtmp_pairs(&self) -> Vec<(String, String)> {
        self.entries
            .iter()
            .filter_map(|h| match h {
                Hint::Pair { app, stream } => Some((app.clone(), stream.clone())),
                _ => None,
            })
            .collect()
    }

    /// RTMP stream names to try in every accepted application.
    pub fn rtmp_names(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter_map(|h| match h {
                Hint::Name(n) => Some(n.clone()),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_syntax() {
        let h = Hints::parse([
            "# cameras",
            "/Streaming/Channels/101",
            "  live/cam13   # nginx-rtmp",
            "",
            "rtmp://10.0.0.5:1935/app/key?token=1",
            "secretkey",
            "/Streaming/Channels/101",
        ])
        .unwrap();
        assert_eq!(
            h.entries,
            vec![
                Hint::Path("/Streaming/Channels/101".into()),
                Hint::Pair {
                    app: "live".into(),
                    stream: "cam13".into()
                },
                Hint::Pair {
                    app: "app".into(),
                    stream: "key?token=1".into()
                },
                Hint::Name("secretkey".into()),
            ]
        );
        assert_eq!(
            h.rtsp_paths(),
            [
                "/Streaming/Channels/101",
                "/live/cam13",
                "/app/key?token=1",
                "/secretkey"
            ]
        );
        assert_eq!(
            h.rtmp_pairs(),
            [
                ("live".to_string(), "cam13".to_string()),
                ("app".to_string(), "key?token=1".to_string())
            ]
        );
        assert_eq!(h.rtmp_names(), ["secretkey"]);
        let http = h.http_paths();
        assert_eq!(http[0], "/Streaming/Channels/101", "the user's order");
        for p in [
            "/live/cam13",
            "/hls/cam13.m3u8",
            "/live/cam13/index.m3u8",
            "/live/cam13.flv",
            "/dash/cam13.mpd",
            "/hls/secretkey.m3u8",
        ] {
            assert!(http.iter().any(|x| x == p), "{p} in {http:?}");
        }
        let unique: std::collections::HashSet<_> = http.iter().collect();
        assert_eq!(unique.len(), http.len(), "no duplicates");
    }

    #[test]
    fn bad_lines_are_named() {
        let e = Hints::parse(["/ok", "live/"]).unwrap_err();
        assert!(e.starts_with("line 2: "), "{e}");
        let e = Hints::parse(["http://x/live.m3u8"]).unwrap_err();
        assert!(e.contains("http:// URLs are not hints"), "{e}");
        assert!(Hints::parse(["a b"]).is_err());
        assert!(Hints::parse(["rtmp://host"]).is_err());
        assert!(
            Hints::parse(["# only a comment", "   "])
                .unwrap()
                .is_empty()
        );
    }
}
