//! The `-v` table: one row per stream with every detail (codec, resolution, frame rate measured
//! or announced, audio, login, state), the same fitting rules as the compact table ([`super`]).

use super::*;

/// `level 3.1, avc1.4D401F`, `fps from rtp`, `declared 512 kbit/s`: what the one-line summary leaves
/// out.
fn video_detail(s: &Stream) -> String {
    let Some(v) = &s.video else {
        return String::new();
    };
    let mut lines = vec![video_summary(v)];
    let codec: Vec<String> = [
        v.level.as_ref().map(|l| format!("level {l}")),
        v.rfc6381.clone(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !codec.is_empty() {
        lines.push(codec.join(", "));
    }
    if let Some(src) = &v.fps_source {
        lines.push(format!("fps from {src}"));
    }
    if let Some(b) = v.bitrate_kbps {
        // A no-break space: a number is never wrapped away from its unit.
        lines.push(format!("declared {b}\u{a0}kbit/s"));
    }
    lines
        .iter()
        .map(|l| terminal(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// What the PLAY check measured: `tcp 1000ms`, `152 packets 23442 B`, `187.5 kbit/s 25fps keyframe`.
fn measured(s: &Stream) -> String {
    let Some(m) = &s.measured else {
        return String::new();
    };
    let mut rate = Vec::new();
    if let Some(b) = m.bitrate_kbps {
        rate.push(format!("{}\u{a0}kbit/s", fmt_num(b)));
    }
    if let Some(f) = m.fps {
        rate.push(format!("{}fps", fmt_num(f)));
    }
    if let (Some(w), Some(h)) = (m.width, m.height) {
        rate.push(format!("{w}x{h}"));
    }
    if m.keyframe {
        rate.push("keyframe".into());
    }
    let mut lines = vec![
        format!("{} {}ms", terminal(&m.transport), m.duration_ms),
        format!("{}\u{a0}packets {}\u{a0}B", m.packets, m.bytes),
    ];
    if !rate.is_empty() {
        lines.push(rate.join(" "));
    }
    lines.join("\n")
}

/// The detailed table's columns. The stream's URL and status are always shown; the port (in the
/// URL already) is the first to go.
const DETAILED: &[Column] = &[
    Column {
        header: "Device",
        priority: 0,
        soft_min: 15,
    },
    Column {
        header: "Port",
        priority: 6,
        soft_min: 4,
    },
    Column {
        header: "Service",
        priority: 3,
        soft_min: 14,
    },
    Column {
        header: "Stream",
        priority: 0,
        soft_min: 20,
    },
    Column {
        header: "Status",
        priority: 0,
        soft_min: 8,
    },
    Column {
        header: "Auth",
        priority: 2,
        soft_min: 8,
    },
    Column {
        header: "Video",
        priority: 1,
        soft_min: 20,
    },
    Column {
        header: "Audio",
        priority: 4,
        soft_min: 10,
    },
    Column {
        header: "Measured",
        priority: 5,
        soft_min: 12,
    },
];

/// The column of the detailed table's stream URLs.
pub(super) const DETAILED_STREAM: usize = 3;

pub(super) fn detailed(report: &Report, notes: &mut Notes) -> Rows {
    let mut rows = Rows::new(DETAILED);
    for d in &report.devices {
        let service_of = |port: u16| service_cell(d, port);
        // A misaddressed device's note, referred to under its label (on every table row kind).
        let misaddressed = super::misaddressed_note(d, notes);
        // The whole label on the device's first row, its address on the others.
        let mut first = true;
        let mut label = || {
            if std::mem::take(&mut first) {
                // What the device can do, under who it is (`talk-back: yes (pcmu 8000 Hz)`).
                let mut l = device_label(d);
                for line in d.capabilities.lines() {
                    l.push('\n');
                    l.push_str(&terminal(&line));
                }
                if !misaddressed.is_empty() {
                    l.push_str(&format!("\nmisaddressed {misaddressed}"));
                }
                Text::words(l)
            } else {
                Text::words(d.ip.to_string())
            }
        };
        if d.streams.is_empty() {
            let mut row = vec![label()];
            row.extend(no_stream_cells(d, notes));
            rows.push(row, Vec::new());
        }
        for s in &d.streams {
            let mut row = vec![label()];
            row.extend(stream_cells(d, s, notes));
            rows.push(row, vec![(4, status_color(s.status))]);
        }
        // A service with a note and no stream of its own, on a device that has streams elsewhere.
        if !d.streams.is_empty() {
            for svc in d
                .services
                .iter()
                .filter(|svc| svc.note.is_some() && !d.streams.iter().any(|st| st.port == svc.port))
            {
                rows.push(
                    vec![
                        label(),
                        Text::words(svc.port.to_string()),
                        Text::words(service_of(svc.port)),
                        Text::words(reasons(d, notes, |x| x == svc).join(", ")),
                        Text::default(),
                        Text::default(),
                        Text::default(),
                        Text::default(),
                        Text::default(),
                    ],
                    Vec::new(),
                );
            }
        }
        // The cameras behind an NVR, a line per channel: its stream through the NVR, and the
        // camera as the NVR describes it (never probed: it sits on the NVR's own subnet).
        for ch in &d.nvr_channels {
            rows.push(nvr_channel_row(label(), ch), Vec::new());
        }
    }
    rows
}

/// ` realm R` on a line of its own when the service on `port` named a realm.
fn realm_line(d: &model::Device, port: u16) -> String {
    d.services
        .iter()
        .find(|s| s.port == port)
        .and_then(|s| s.realm.as_deref())
        .map(|r| format!("\nrealm {}", terminal(r)))
        .unwrap_or_default()
}

/// The cells after its label of a device with no stream: its ports and services, why no stream
/// (its notes), and the first login its services asked for.
fn no_stream_cells(d: &model::Device, notes: &mut Notes) -> Vec<Text> {
    let services = d
        .services
        .iter()
        .map(|s| service_cell(d, s.port))
        .collect::<Vec<_>>()
        .join("\n");
    let auth = d
        .services
        .iter()
        .find(|s| s.auth.as_str() != "none")
        .map(|s| format!("{}{}", s.auth.as_str(), realm_line(d, s.port)))
        .unwrap_or_default();
    vec![
        Text::words(join_ports(&d.open_ports)),
        Text::words(services),
        Text::words(no_stream(d, notes)),
        Text::default(),
        Text::words(auth),
        Text::default(),
        Text::default(),
        Text::default(),
    ]
}

/// A stream's cells after its label: port, service, URL (with its user and the stream it is the
/// same as), status (verified, its roles), login, video (and the browsers that play it), audio,
/// what the PLAY check measured.
fn stream_cells(d: &model::Device, s: &model::Stream, notes: &mut Notes) -> Vec<Text> {
    let mut url = terminal(&s.url).into_owned();
    if let Some(user) = &s.username {
        url.push_str(&format!("\nuser {}", terminal(user)));
    }
    if let Some(original) = &s.same_as {
        url.push_str(&format!("\nsame as {}", terminal(original)));
    }
    // `ok` (it played) or `unverified [n]` (it answered, no media: the note says why), then the
    // roles the exports would give it, labelled so they do not read as more of its status.
    let mut status = s.status.as_str().to_string();
    if s.verified {
        status.push_str("\nverified");
    }
    if let Some(n) = unverified_note(d, s, notes) {
        status.push(' ');
        status.push_str(&n);
    }
    let roles = d.capabilities.roles_of(&s.url);
    if !roles.is_empty() {
        status.push_str("\nroles: ");
        status.push_str(&roles.join(", "));
    }
    let mut video = video_detail(s);
    if let Some(p) = d.capabilities.playback_of(&s.url)
        && p.browsers != model::capabilities::BrowserSupport::Everywhere
    {
        video.push_str(&format!("\nbrowsers: {}", p.browsers.as_str()));
    }
    vec![
        Text::words(s.port.to_string()),
        Text::words(service_cell(d, s.port)),
        Text::whole(url),
        Text::words(status),
        Text::words(format!("{}{}", s.auth.as_str(), realm_line(d, s.port))),
        Text::words(video),
        Text::words(
            s.audio
                .as_ref()
                .map(|a| terminal(&audio_summary(a)).into_owned())
                .unwrap_or_default(),
        ),
        Text::words(measured(s)),
    ]
}

/// The service cell of `port`: its protocol, server, and which maker's paths the walk asked first.
fn service_cell(d: &model::Device, port: u16) -> String {
    d.services
        .iter()
        .find(|s| s.port == port)
        .map(|s| {
            let mut v = s.protocol.as_str().to_string();
            if let Some(server) = &s.server {
                v.push('\n');
                v.push_str(&terminal(server));
            }
            // Which maker's paths the walk asked first, and what named it.
            if let Some(w) = &s.path_walk
                && let (Some(maker), Some(by)) = (&w.maker, &w.by)
            {
                v.push_str(&format!("\npaths: {} ({by})", terminal(maker)));
            }
            v
        })
        .unwrap_or_default()
}

/// An NVR channel's row under `label`: its URL cell (its stream through the NVR, its name, the
/// camera as the NVR describes it) and status cell (online, verified).
fn nvr_channel_row(label: Text, ch: &model::NvrChannel) -> Vec<Text> {
    let mut url = ch
        .stream
        .as_deref()
        .map(terminal)
        .unwrap_or_default()
        .into_owned();
    if let Some(name) = &ch.name {
        url.push_str(&format!("\n{}", terminal(name)));
    }
    let mut status = match ch.online {
        Some(true) => "online",
        Some(false) => "offline",
        None => "online unknown",
    }
    .to_string();
    if ch.verified {
        status.push_str("\nverified");
    }
    // The camera as the NVR describes it, under the stream (shown at any width).
    let mut camera = String::from("camera");
    if let Some(a) = &ch.address {
        camera.push_str(&format!(" {}", terminal(a)));
        if let Some(p) = ch.port {
            camera.push_str(&format!(":{p}"));
        }
    }
    for v in [&ch.model, &ch.protocol].into_iter().flatten() {
        camera.push_str(&format!(" {}", terminal(v)));
    }
    // ONVIF profiles (source `onvif`) say nothing of the camera: no empty "camera" line.
    if camera.len() > "camera".len() {
        url.push('\n');
        url.push_str(&camera);
    }
    vec![
        label,
        Text::default(),
        Text::words(format!("nvr channel {}", ch.channel)),
        Text::whole(url),
        Text::words(status),
        Text::default(),
        Text::default(),
        Text::default(),
        Text::default(),
    ]
}
