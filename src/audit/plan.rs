//! Commissioning: the installation against the plan a technician wrote in a spreadsheet.
//!
//! The plan is a CSV with a header naming some of `name,address,mac,resolution,fps,codec` (in
//! any order, any case; `address` or `mac` on every row; Excel's byte-order mark and `;` or tab
//! separators accepted, as spreadsheets export them). Each planned camera is found by its MAC,
//! else by its address, and is `ok`, `missing`, or `mismatch` with each differing fact
//! (resolution, fps within 5%, codec, and the address when the MAC found it elsewhere); every
//! camera found that the plan does not name is `unexpected`. Parsing and comparing are pure.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::DeviceRef;
use model::Device;

/// The columns a plan may have.
pub const COLUMNS: [&str; 6] = ["name", "address", "mac", "resolution", "fps", "codec"];

/// How far a measured frame rate may be from the plan's and still match.
pub const FPS_TOLERANCE: f64 = 0.05;

/// One planned camera.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Planned {
    /// The plan's line number (the header is line 1).
    pub line: usize,
    pub name: Option<String>,
    pub address: Option<IpAddr>,
    /// Lower case, colon separated.
    pub mac: Option<String>,
    pub resolution: Option<(u32, u32)>,
    pub fps: Option<f64>,
    /// Normalised: `H264`, `H265`, `MJPEG`, or as written, upper case.
    pub codec: Option<String>,
}

/// A parsed plan, and the columns it had that camscan does not read (said as a warning).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub cameras: Vec<Planned>,
    pub ignored_columns: Vec<String>,
}

/// Why a plan cannot be read: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct PlanError {
    pub line: usize,
    pub reason: String,
}

fn err(line: usize, reason: impl Into<String>) -> PlanError {
    PlanError {
        line,
        reason: reason.into(),
    }
}

/// Parse a plan. Blank rows are skipped; a bad value is an error naming its line and column.
pub fn parse(text: &str) -> Result<Plan, PlanError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let header_line = text.lines().next().unwrap_or_default();
    let delimiter = if header_line.contains('\t') {
        b'\t'
    } else if header_line.contains(';') && !header_line.contains(',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| err(1, format!("not CSV: {e}")))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    if col("address").is_none() && col("mac").is_none() {
        return Err(err(
            1,
            format!(
                "the header needs an `address` or a `mac` column (found: {}; expected some of {})",
                headers.join(","),
                COLUMNS.join(",")
            ),
        ));
    }
    let ignored_columns = headers
        .iter()
        .filter(|h| !h.is_empty() && !COLUMNS.contains(&h.as_str()))
        .cloned()
        .collect();
    let mut cameras = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| err(line, format!("not CSV: {e}")))?;
        let get = |name: &str| {
            col(name)
                .and_then(|c| record.get(c))
                .filter(|v| !v.is_empty())
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let address = get("address")
            .map(|a| {
                a.parse::<IpAddr>()
                    .map_err(|_| err(line, format!("address `{a}` is not an IP address")))
            })
            .transpose()?;
        let mac = get("mac")
            .map(|m| normalise_mac(m).ok_or_else(|| err(line, format!("mac `{m}` is not a MAC"))))
            .transpose()?;
        if address.is_none() && mac.is_none() {
            return Err(err(line, "an address or a MAC is needed"));
        }
        let resolution = get("resolution")
            .map(|r| {
                parse_resolution(r).ok_or_else(|| {
                    err(
                        line,
                        format!("resolution `{r}` is not WIDTHxHEIGHT (1920x1080)"),
                    )
                })
            })
            .transpose()?;
        let fps = get("fps")
            .map(|f| {
                f.replace(',', ".")
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite() && *f > 0.0 && *f <= 1000.0)
                    .ok_or_else(|| err(line, format!("fps `{f}` is not a frame rate")))
            })
            .transpose()?;
        cameras.push(Planned {
            line,
            name: get("name").map(str::to_string),
            address,
            mac,
            resolution,
            fps,
            codec: get("codec").map(normalise_codec),
        });
    }
    Ok(Plan {
        cameras,
        ignored_columns,
    })
}

/// `AA-BB-CC-DD-EE-FF`, `aabb.ccdd.eeff`, `AABBCCDDEEFF` and `aa:bb:...` as `aa:bb:cc:dd:ee:ff`.
pub fn normalise_mac(m: &str) -> Option<String> {
    let hex: String = m
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.' | ' '))
        .collect();
    if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let hex = hex.to_ascii_lowercase();
    Some(
        (0..6)
            .map(|i| &hex[i * 2..i * 2 + 2])
            .collect::<Vec<_>>()
            .join(":"),
    )
}

/// `1920x1080`, `1920 X 1080`, `1920×1080`, `1920*1080`.
pub fn parse_resolution(r: &str) -> Option<(u32, u32)> {
    let r = r.to_ascii_lowercase().replace(['×', '*'], "x");
    let (w, h) = r.split_once('x')?;
    let (w, h) = (w.trim().parse().ok()?, h.trim().parse().ok()?);
    (w > 0 && h > 0).then_some((w, h))
}

/// Codec names as spreadsheets and cameras spell them, told apart by what they are.
pub fn normalise_codec(c: &str) -> String {
    let k: String = c
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase();
    match k.as_str() {
        "H264" | "AVC" | "X264" | "MPEG4AVC" => "H264".into(),
        "H265" | "HEVC" | "X265" => "H265".into(),
        "MJPEG" | "JPEG" | "MJPG" => "MJPEG".into(),
        _ => k,
    }
}

/// A planned camera's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlanState {
    Ok,
    Missing,
    Mismatch,
}

impl PlanState {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanState::Ok => "ok",
            PlanState::Missing => "missing",
            PlanState::Mismatch => "mismatch",
        }
    }
}

/// One fact that differs from the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    /// `resolution`, `fps`, `codec`, `address` or `mac`.
    pub fact: String,
    pub planned: String,
    pub found: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanResult {
    pub planned: Planned,
    pub state: PlanState,
    /// The device that answered for it.
    pub found: Option<DeviceRef>,
    pub differences: Vec<Difference>,
}

/// The installation against the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Commissioning {
    pub planned: usize,
    pub ok: usize,
    pub missing: usize,
    pub mismatch: usize,
    pub cameras: Vec<PlanResult>,
    /// Cameras found that the plan does not name.
    pub unexpected: Vec<DeviceRef>,
}

/// Compare `devices` with `plan`. A device answers for at most one planned camera (the first
/// row that names it); MACs are matched before addresses, so a camera that moved is found.
pub fn compare(plan: &Plan, devices: &[Device], site: Option<&str>) -> Commissioning {
    let mut taken = vec![false; devices.len()];
    let mac_of = |d: &Device| d.mac.as_deref().and_then(normalise_mac);
    // First pass by MAC, then by address, so a MAC row is not robbed by an address row above it.
    let mut matched: Vec<Option<usize>> = vec![None; plan.cameras.len()];
    for (i, p) in plan.cameras.iter().enumerate() {
        let Some(mac) = &p.mac else { continue };
        if let Some(j) =
            (0..devices.len()).find(|&j| !taken[j] && mac_of(&devices[j]).as_ref() == Some(mac))
        {
            taken[j] = true;
            matched[i] = Some(j);
        }
    }
    for (i, p) in plan.cameras.iter().enumerate() {
        if matched[i].is_some() {
            continue;
        }
        let Some(addr) = p.address else { continue };
        if let Some(j) = (0..devices.len())
            .find(|&j| !taken[j] && (devices[j].ip == addr || devices[j].addresses.contains(&addr)))
        {
            taken[j] = true;
            matched[i] = Some(j);
        }
    }
    let cameras: Vec<PlanResult> = plan
        .cameras
        .iter()
        .zip(&matched)
        .map(|(p, m)| match m {
            None => PlanResult {
                planned: p.clone(),
                state: PlanState::Missing,
                found: None,
                differences: Vec::new(),
            },
            Some(j) => {
                let d = &devices[*j];
                let differences = differences(p, d);
                PlanResult {
                    planned: p.clone(),
                    state: if differences.is_empty() {
                        PlanState::Ok
                    } else {
                        PlanState::Mismatch
                    },
                    found: Some(DeviceRef::of(d, site)),
                    differences,
                }
            }
        })
        .collect();
    let count = |s: PlanState| cameras.iter().filter(|c| c.state == s).count();
    Commissioning {
        planned: cameras.len(),
        ok: count(PlanState::Ok),
        missing: count(PlanState::Missing),
        mismatch: count(PlanState::Mismatch),
        unexpected: devices
            .iter()
            .zip(&taken)
            .filter(|(d, t)| !**t && super::is_camera(d))
            .map(|(d, _)| DeviceRef::of(d, site))
            .collect(),
        cameras,
    }
}

/// The facts of `d` that differ from `p`: its address (when found by MAC elsewhere), its MAC
/// (when found by address: another box), and its
/// main stream's resolution, frame rate (within [`FPS_TOLERANCE`]) and codec.
fn differences(p: &Planned, d: &Device) -> Vec<Difference> {
    let mut out = Vec::new();
    let diff = |fact: &str, planned: String, found: String| Difference {
        fact: fact.into(),
        planned,
        found,
    };
    if let Some(a) = p.address
        && d.ip != a
        && !d.addresses.contains(&a)
    {
        out.push(diff("address", a.to_string(), d.ip.to_string()));
    }
    // Found by its address, another MAC: the camera was replaced.
    if let Some(m) = &p.mac {
        let found = d.mac.as_deref().and_then(normalise_mac);
        if found.as_ref() != Some(m) {
            out.push(diff(
                "mac",
                m.clone(),
                found.unwrap_or_else(|| "unknown".into()),
            ));
        }
    }
    let main = d.main_stream();
    let video = main.and_then(|s| s.video.as_ref());
    let none = || "no stream".to_string();
    if let Some((w, h)) = p.resolution {
        let found = main.and_then(|s| {
            let v = s.video.as_ref();
            let m = s.measured.as_ref();
            Some((
                v.and_then(|v| v.width).or(m.and_then(|m| m.width))?,
                v.and_then(|v| v.height).or(m.and_then(|m| m.height))?,
            ))
        });
        if found != Some((w, h)) {
            out.push(diff(
                "resolution",
                format!("{w}x{h}"),
                found.map_or_else(none, |(w, h)| format!("{w}x{h}")),
            ));
        }
    }
    if let Some(fps) = p.fps {
        let found = main.and_then(|s| {
            s.measured
                .as_ref()
                .and_then(|m| m.fps)
                .or(s.video.as_ref().and_then(|v| v.fps))
        });
        if !found.is_some_and(|f| (f - fps).abs() <= fps * FPS_TOLERANCE) {
            out.push(diff(
                "fps",
                format!("{fps}"),
                found.map_or_else(none, |f| format!("{f:.2}")),
            ));
        }
    }
    if let Some(codec) = &p.codec {
        let found = video.map(|v| normalise_codec(&v.codec));
        if found.as_ref() != Some(codec) {
            out.push(diff("codec", codec.clone(), found.unwrap_or_else(none)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{Protocol, Stream, VideoInfo};

    fn camera(ip: &str, mac: &str, size: (u32, u32), fps: f64, codec: &str) -> Device {
        let mut d = Device::new(ip.parse().unwrap());
        d.mac = Some(mac.into());
        d.is_camera = true;
        let mut s = Stream::new(format!("rtsp://{ip}:554/main"), Protocol::Rtsp, 554);
        let mut v = VideoInfo::new(codec.into());
        v.width = Some(size.0);
        v.height = Some(size.1);
        v.fps = Some(fps);
        s.video = Some(v);
        d.streams.push(s);
        d
    }

    #[test]
    fn a_spreadsheet_plan_is_read_as_written() {
        let text = "\u{feff}Name;Address;MAC;Resolution;FPS;Codec;Notes\n\
                    Gate;198.18.0.2;AA-BB-CC-00-00-01;1920 x 1080;25,0;AVC;by the door\n\
                    ;;;;;;\n\
                    Yard;;aabb.cc00.0002;;;hevc;\n";
        let p = parse(text).unwrap();
        assert_eq!(p.ignored_columns, ["notes"]);
        assert_eq!(p.cameras.len(), 2);
        let gate = &p.cameras[0];
        assert_eq!(gate.line, 2);
        assert_eq!(gate.mac.as_deref(), Some("aa:bb:cc:00:00:01"));
        assert_eq!(gate.resolution, Some((1920, 1080)));
        assert_eq!(gate.fps, Some(25.0));
        assert_eq!(gate.codec.as_deref(), Some("H264"));
        assert_eq!(p.cameras[1].line, 4);
        assert_eq!(p.cameras[1].codec.as_deref(), Some("H265"));
    }

    #[test]
    fn a_bad_plan_says_which_line_and_why() {
        let e = parse("name,model\ncam,x\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.reason.contains("`address` or a `mac`"), "{e}");
        let e = parse("name,address\nok,198.18.0.2\nbad,198.18.0.300\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 3: address `198.18.0.300` is not an IP address"
        );
        let e = parse("name,address,mac\nnone,,\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse("address,resolution\n198.18.0.2,1080p\n").unwrap_err();
        assert!(e.reason.contains("WIDTHxHEIGHT"));
        let e = parse("address,fps\n198.18.0.2,fast\n").unwrap_err();
        assert!(e.reason.contains("fps"));
    }

    #[test]
    fn ok_missing_mismatch_and_unexpected() {
        let plan = parse(
            "name,address,mac,resolution,fps,codec\n\
             gate,198.18.0.2,aa:bb:cc:00:00:01,1920x1080,25,h264\n\
             yard,198.18.0.3,,1920x1080,25,h264\n\
             moved,198.18.0.9,aa:bb:cc:00:00:04,,,\n\
             gone,198.18.0.5,,,,\n\
             swapped,198.18.0.6,aa:bb:cc:00:00:06,,,\n",
        )
        .unwrap();
        let devices = vec![
            // gate: fps 24.2 is within 5% of 25.
            camera(
                "198.18.0.2",
                "aa:bb:cc:00:00:01",
                (1920, 1080),
                24.2,
                "H264",
            ),
            // yard: smaller and H.265 at 12 fps.
            camera("198.18.0.3", "aa:bb:cc:00:00:02", (1280, 720), 12.0, "H265"),
            // moved: its MAC at another address.
            camera("198.18.0.4", "aa:bb:cc:00:00:04", (640, 480), 10.0, "H264"),
            // not in the plan.
            camera("198.18.0.7", "aa:bb:cc:00:00:07", (640, 480), 10.0, "H264"),
            // another box at swapped's address.
            camera("198.18.0.6", "aa:bb:cc:00:00:66", (640, 480), 10.0, "H264"),
        ];
        let c = compare(&plan, &devices, Some("north"));
        let states: Vec<_> = c.cameras.iter().map(|r| r.state).collect();
        assert_eq!(
            states,
            [
                PlanState::Ok,
                PlanState::Mismatch,
                PlanState::Mismatch,
                PlanState::Missing,
                PlanState::Mismatch
            ]
        );
        let facts = |i: usize| -> Vec<(String, String, String)> {
            c.cameras[i]
                .differences
                .iter()
                .map(|d| (d.fact.clone(), d.planned.clone(), d.found.clone()))
                .collect()
        };
        assert_eq!(
            facts(1),
            [
                ("resolution".into(), "1920x1080".into(), "1280x720".into()),
                ("fps".into(), "25".into(), "12.00".into()),
                ("codec".into(), "H264".into(), "H265".into()),
            ]
        );
        assert_eq!(
            facts(2),
            [("address".into(), "198.18.0.9".into(), "198.18.0.4".into())]
        );
        assert_eq!(
            facts(4),
            [(
                "mac".into(),
                "aa:bb:cc:00:00:06".into(),
                "aa:bb:cc:00:00:66".into()
            )]
        );
        assert_eq!((c.ok, c.mismatch, c.missing, c.planned), (1, 3, 1, 5));
        assert_eq!(c.unexpected.len(), 1);
        assert_eq!(c.unexpected[0].address.to_string(), "198.18.0.7");
        assert_eq!(c.unexpected[0].site.as_deref(), Some("north"));
    }

    #[test]
    fn a_camera_without_a_stream_mismatches_what_the_plan_asks_of_its_stream() {
        let plan = parse("address,codec\n198.18.0.2,h264\n").unwrap();
        let mut d = Device::new("198.18.0.2".parse().unwrap());
        d.is_camera = true;
        let c = compare(&plan, &[d], None);
        assert_eq!(c.cameras[0].state, PlanState::Mismatch);
        assert_eq!(c.cameras[0].differences[0].found, "no stream");
    }
}
