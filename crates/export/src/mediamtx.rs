//! MediaMTX configuration: a `paths:` section, one path per stream (the main stream under the
//! camera's name, the sub stream under `<name>sub`), each pulled from the camera only while someone
//! reads it, to put in `mediamtx.yml`.
//!
//! What MediaMTX expects (bluenviron/mediamtx, read at commit
//! 3e09466c180431272a656b48aeca39c83d52d6c6 and at its release v1.20.1):
//! * `mediamtx.yml` (the `source:` comment) and `docs/3-publish/08-rtsp-cameras-and-servers.md`:
//!   a path pulls `source: rtsp://user:pass@host:port/path` (also `rtmp://`, and `http://...m3u8`
//!   for HLS); `sourceOnDemand: yes` "it will be pulled only when at least one reader is
//!   connected" (written `true` here, which every YAML reader takes for the same boolean; MediaMTX
//!   also accepts `yes`, `internal/conf/yamlwrapper/unmarshal.go`). User names and passwords with
//!   special characters must be URL-encoded (the same page).
//! * Path names: `^[0-9a-zA-Z_\-/\.]+$` (`internal/conf/path.go` `rePathName`), and not `all` or
//!   `all_others`, which match every path (`internal/conf/conf.go`); see [`super::names`](mod@super::names) for why
//!   these are lowercase letters and digits only.
//! * Passwords: MediaMTX does not expand environment variables inside `mediamtx.yml`
//!   (`internal/conf/conf.go` `loadFromFile` reads, optionally decrypts, and parses the file as it
//!   is). Instead every setting can be overridden from the environment:
//!   `MTX_PATHS_TEST_SOURCE=rtsp://myurl` sets path `test`'s source
//!   (`docs/2-features/05-configuration.md`; `internal/conf/env/env.go`). So a camera that needs a
//!   password gets its URL with the user name only in the file, and a comment gives the override
//!   line, whose `${CAMSCAN_<NAME>_PASSWORD}` a shell or Docker Compose fills in.

use std::io::{self, Write};

use serde_yaml::{Mapping, Value};

use super::cameras::{self, Camera, Tool};
use super::go2rtc::skipped_comment;
use super::names::Style;
use super::{Exporter, config_header, yaml};
use model::{Protocol, Report, Stream};

/// MediaMTX path sources: `rtsp://`, `rtmp://`, and `http://...m3u8` for HLS (the `source:`
/// comment in `mediamtx.yml`).
pub const TOOL: Tool = Tool {
    accepts: &[Protocol::Rtsp, Protocol::Rtmp, Protocol::Hls],
};

pub struct MediamtxExporter;

fn key(s: &str) -> Value {
    Value::String(s.into())
}

/// The path's settings; every key is a path setting MediaMTX knows (`internal/conf/path.go`:
/// its loader refuses unknown keys, `internal/conf/jsonwrapper/unmarshal.go`).
fn path(s: &Stream) -> Value {
    path_with(s, None)
}

/// A path's settings with `password` (URL-encoded) in its source when given: what `camscan
/// push` sends, the password known.
pub(crate) fn path_with(s: &Stream, password: Option<&str>) -> Value {
    let mut m = Mapping::new();
    // No user name without a password: MediaMTX refuses `rtsp://admin@host/` with "username and
    // password must be both provided" (`internal/conf/path.go`) and then starts no path at all.
    // A camera that needs its password gets it from the MTX_PATHS_<NAME>_SOURCE override.
    let url = match password {
        Some(p) if cameras::needs_password(s) => cameras::stream_url(s, Some(p)),
        _ if cameras::needs_password(s) => cameras::safe_url(&s.url),
        _ => cameras::stream_url(s, None),
    };
    m.insert(key("source"), Value::String(url));
    m.insert(key("sourceOnDemand"), Value::Bool(true));
    if let Some(t) = cameras::rtsp_transport(s) {
        m.insert(key("rtspTransport"), key(t));
    }
    Value::Mapping(m)
}

/// A path's settings as `camscan push` sends them: [`path_with`], with every field camscan owns
/// spelled out, its default included. MediaMTX's `PATCH /v3/config/paths/patch/{name}` merges
/// field by field: a field left out (or `null`) keeps the value the path had
/// (`internal/conf/conf.go` l.91-116 `copyStructFields` skips a nil pointer; l.1163-1171
/// `PatchPath`; `internal/conf/optional_path.go` l.12-40 makes every field a pointer with
/// `omitempty`; at commit 3e09466c), so an update that leaves `rtspTransport` out, meaning
/// MediaMTX's default, would keep the `udp` an earlier push set. `automatic` is that default
/// (`internal/conf/rtsp_transport.go` `MarshalJSON`: a nil protocol reads `automatic`).
pub fn push_path(s: &Stream, password: Option<&str>) -> Value {
    let mut v = path_with(s, password);
    if let Value::Mapping(m) = &mut v
        && !m.contains_key("rtspTransport")
    {
        m.insert(key("rtspTransport"), key("automatic"));
    }
    v
}

/// `MTX_PATHS_<NAME>_SOURCE="<url with the password reference>"` for a stream that needs a
/// password. `$` in the URL is encoded, so the shell expands nothing but the reference.
fn override_line(name: &str, s: &Stream, env_key: &str) -> String {
    let plain = Stream {
        url: s.url.replace('$', "%24"),
        ..s.clone()
    };
    let url = cameras::stream_url(&plain, Some(&format!("${{CAMSCAN_{env_key}_PASSWORD}}")));
    format!("MTX_PATHS_{}_SOURCE=\"{url}\"", name.to_ascii_uppercase())
}

/// The camera's streams with their path names: main, then sub.
fn paths<'a>(cam: &Camera<'a>) -> Vec<(String, &'a Stream)> {
    let mut out = vec![(cam.names.camera(Style::Compact), cam.main)];
    if let Some(sub) = cam.sub {
        out.push((cam.names.sub(Style::Compact), sub));
    }
    out
}

impl Exporter for MediamtxExporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let plan = cameras::plan(report, TOOL);
        let mut text = config_header("MediaMTX paths", report);
        let mut overrides = String::new();
        for cam in &plan.cameras {
            for (name, s) in paths(cam) {
                if cameras::needs_password(s) {
                    overrides.push_str(&format!(
                        "#   {}\n",
                        override_line(&name, s, &cam.names.env_key())
                    ));
                }
            }
        }
        if !overrides.is_empty() {
            text.push_str(
                "# MediaMTX reads no variables inside this file, but takes a path's source from\n\
                 # MTX_PATHS_<NAME>_SOURCE. With each CAMSCAN_<NAME>_PASSWORD set to the camera's\n\
                 # URL-encoded password, pass these to MediaMTX (docker -e, compose environment:).\n\
                 # Without them the file still loads; only those paths fail to connect.\n",
            );
            text.push_str(&overrides);
        }
        text.push_str(&skipped_comment(
            &plan.skipped,
            "no stream MediaMTX can pull",
        ));
        let mut map = Mapping::new();
        for cam in &plan.cameras {
            for (name, s) in paths(cam) {
                map.insert(Value::String(name), path(s));
            }
        }
        let mut doc = Mapping::new();
        doc.insert(key("paths"), Value::Mapping(map));
        text.push_str(&yaml::block(&Value::Mapping(doc)));
        out.write_all(text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::export_report;

    fn render(report: &Report) -> String {
        crate::fixtures::render(&MediamtxExporter, report)
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&export_report()));
    }

    #[test]
    fn paths_sources_and_override_lines() {
        let text = render(&export_report());
        let doc: Value = serde_yaml::from_str(&text).unwrap();
        let paths = doc["paths"].as_mapping().unwrap();
        let names: Vec<&str> = paths.keys().map(|k| k.as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "camera19818010",
                "on",
                "frontdoor",
                "frontdoorsub",
                "garage19818060",
                "garage19818060sub",
                "garage19818061",
                "entreecafe",
                "nvr19818080ch2",
                "nvr19818080ch2sub",
            ]
        );
        assert_eq!(
            paths["frontdoor"]["source"].as_str(),
            Some("rtsp://198.18.0.50:554/Streaming/Channels/101"),
            "no credentials: MediaMTX refuses a user name without a password"
        );
        assert_eq!(paths["frontdoor"]["sourceOnDemand"], Value::Bool(true));
        assert!(text.contains(
            "#   MTX_PATHS_FRONTDOOR_SOURCE=\"rtsp://admin:${CAMSCAN_FRONT_DOOR_PASSWORD}@198.18.0.50:554/Streaming/Channels/101\"\n"
        ), "{text}");
        assert!(text.contains("#   MTX_PATHS_FRONTDOORSUB_SOURCE="));
        // Each override names a path of this file the way MediaMTX's environment loader finds it:
        // the part up to the next `_`, lowercased.
        for line in text.lines().filter(|l| l.starts_with("#   MTX_PATHS_")) {
            let rest = line.trim_start_matches("#   MTX_PATHS_");
            let (name, field) = rest.split_once('_').unwrap();
            assert!(field.starts_with("SOURCE="), "{line}");
            assert!(
                paths.contains_key(name.to_ascii_lowercase().as_str()),
                "{line}"
            );
        }
        assert!(text.contains("# Skipped (no stream MediaMTX can pull): 198.18.0.30\n"));
    }

    #[test]
    fn shaped_like_the_docs_examples() {
        use crate::doc_examples::{conforms, example};
        let docs = [
            example("mediamtx/rtsp-source-example.yml"),
            example("mediamtx/proxy-example.yml"),
        ];
        let doc: Value = serde_yaml::from_str(&render(&export_report())).unwrap();
        // rtspTransport: documented in mediamtx.yml (internal/conf/path.go `RTSPTransport`).
        assert_eq!(
            conforms(&doc, &docs, &["paths"], &["paths/*/rtspTransport"]),
            Ok(())
        );
        for name in doc["paths"].as_mapping().unwrap().keys() {
            let name = name.as_str().unwrap();
            // internal/conf/path.go IsValidPathName, and reachable by MTX_PATHS_<NAME>_...
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
                "{name}"
            );
            assert!(!["all", "all_others"].contains(&name));
        }
    }

    #[test]
    fn a_dollar_in_a_device_url_is_not_expanded() {
        let mut s = Stream::new("rtsp://198.18.0.5/$HOME/`x`".into(), Protocol::Rtsp, 554);
        s.username = Some("admin".into());
        assert_eq!(
            override_line("cam", &s, "CAM"),
            "MTX_PATHS_CAM_SOURCE=\"rtsp://admin:${CAMSCAN_CAM_PASSWORD}@198.18.0.5/%24HOME/%60x%60\""
        );
    }
}
