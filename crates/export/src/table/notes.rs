//! The table's notes: why a device shows no stream, what is stale or to one side of it (a login
//! that failed, a misaddressed camera), numbered once under the table and referred to from the
//! rows (`[1]`).

use super::*;

/// Numbered notes under the table: each text once, numbered in the order first referred to.
#[derive(Default)]
pub(super) struct Notes(pub(super) Vec<String>);

impl Notes {
    /// `[n]` for `text`, added when new.
    pub(super) fn refer(&mut self, text: String) -> String {
        let n = match self.0.iter().position(|t| *t == text) {
            Some(i) => i + 1,
            None => {
                self.0.push(text);
                self.0.len()
            }
        };
        format!("[{n}]")
    }
}

/// A few words for why a service gave no stream, its note under the table: `login needed`,
/// `stream key unknown`, `no path found`.
pub(super) fn reason(s: &Service) -> &'static str {
    let note = s.note.as_deref().unwrap_or_default();
    if note.contains("stream key unknown") {
        "stream key unknown"
    } else if matches!(s.auth, AuthScheme::Basic | AuthScheme::Digest) {
        "login needed"
    } else {
        match s.protocol {
            Protocol::Rtsp => "no path found",
            Protocol::Rtmp => "no stream name",
            _ => "no stream guessed",
        }
    }
}

/// The note of a service (`rtmp: application live accepted connect, …`).
pub(super) fn note_text(s: &Service) -> Option<String> {
    s.note
        .as_ref()
        .map(|n| format!("{}: {}", s.protocol.as_str(), terminal(n)))
}

/// The reasons of the services `which` picks, each with its note's number (`login needed [1]`);
/// the same reason and note once however many ports gave it.
pub(super) fn reasons(
    d: &Device,
    notes: &mut Notes,
    which: impl Fn(&Service) -> bool,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in d.services.iter().filter(|s| which(s)) {
        if let Some(text) = note_text(s) {
            let r = format!("{} {}", reason(s), notes.refer(text));
            if !out.contains(&r) {
                out.push(r);
            }
        }
    }
    out
}

/// What to say in the stream column of a device without streams: why its services gave none
/// (each with its note), else whether it is a camera.
pub(super) fn no_stream(d: &Device, notes: &mut Notes) -> String {
    if let Some(m) = &d.misaddressed
        && !m.reached
    {
        return format!("misaddressed, unreachable {}", misaddressed_note(d, notes));
    }
    let mut why = reasons(d, notes, |_| true);
    let stale = stale_notes(d, notes);
    if why.is_empty() && !d.is_camera {
        why.extend(undetected(d, notes));
    }
    if why.is_empty() {
        why.push(if d.is_camera {
            "camera, no stream found".into()
        } else {
            "not a camera".into()
        });
    }
    let mut text = why.join(", ");
    for r in stale {
        text.push(' ');
        text.push_str(&r);
    }
    text
}

/// `unknown [n]` for a device with an open port whose detection failed (refused, cut or timed
/// out: a server that takes one connection at a time, used up by the port probe; bytes of no
/// protocol camscan knows), its note the reason: what it speaks is unknown, not "not a camera".
fn undetected(d: &Device, notes: &mut Notes) -> Option<String> {
    let failures: Vec<String> = d
        .errors
        .iter()
        .filter(|f| f.stage == Stage::Detect)
        .filter_map(|f| {
            let port = f.port?;
            (!d.services.iter().any(|s| s.port == port)).then(|| {
                format!(
                    "port {port}: detection failed, what it speaks is unknown: {}",
                    terminal(&f.message)
                )
            })
        })
        .collect();
    if failures.is_empty() {
        return None;
    }
    let refs: Vec<String> = failures.into_iter().map(|t| notes.refer(t)).collect();
    Some(format!("unknown {}", refs.join("")))
}

/// The notes of the XAddrs a device announces that no longer answer (`stale XAddr: 198.18.0.11
/// announces http://198.18.0.64/onvif/device_service, which does not answer (...)`): `[n]` each.
pub(super) fn stale_notes(d: &Device, notes: &mut Notes) -> Vec<String> {
    d.onvif
        .iter()
        .flat_map(|o| &o.stale_xaddrs)
        .map(|s| notes.refer(format!("stale XAddr: {}", terminal(&s.describe()))))
        .collect()
}

/// The notes of a device's services that gave no stream of their own beside its streams (a web
/// admin behind a login on a camera that streams RTSP): `[2]`.
pub(super) fn side_notes(d: &Device, notes: &mut Notes) -> Vec<String> {
    let mut refs: Vec<String> = Vec::new();
    if d.misaddressed.is_some() {
        refs.push(misaddressed_note(d, notes));
    }
    for r in stale_notes(d, notes) {
        if !refs.contains(&r) {
            refs.push(r);
        }
    }
    for s in d
        .services
        .iter()
        .filter(|s| !d.streams.iter().any(|st| st.port == s.port))
    {
        if let Some(text) = note_text(s) {
            let r = notes.refer(text);
            if !refs.contains(&r) {
                refs.push(r);
            }
        }
    }
    refs
}

/// The note of a misaddressed device (`misaddressed: 198.19.1.64/24 (gateway 198.19.1.1), heard
/// by sadp on eth0: reach it with `ip addr add 198.19.1.253/24 dev eth0``): `[n]`, or nothing.
pub(super) fn misaddressed_note(d: &Device, notes: &mut Notes) -> String {
    d.misaddressed
        .as_ref()
        .map(|m| notes.refer(format!("misaddressed: {}", terminal(&m.line()))))
        .unwrap_or_default()
}

/// `+1 [n]` after a device's address when it has more (an IPv6 link-local address beside its
/// IPv4 one, a second interface), its note saying which: `+1: 1 more address of this device:
/// fe80::…; all in -v and -f json`. `None` for a device with one address.
pub(super) fn more_addresses_note(d: &Device, notes: &mut Notes) -> Option<String> {
    let more: Vec<String> = d
        .addresses
        .iter()
        .filter(|a| **a != d.ip)
        .map(ToString::to_string)
        .collect();
    let n = more.len();
    (n > 0).then(|| {
        let what = if n == 1 { "address" } else { "addresses" };
        let text = format!(
            "+{n}: {n} more {what} of this device: {}; all in -v and -f json",
            more.join(", ")
        );
        format!("+{n} {}", notes.refer(text))
    })
}

/// `[n]` after an `unverified` stream's status, its note saying why it is not known to play
/// (`unverified: RTSP PLAY rtsp://…: no media packet within 5s`); `None` for any other status.
pub(super) fn unverified_note(d: &Device, s: &Stream, notes: &mut Notes) -> Option<String> {
    let why = s.unverified_reason(&d.errors)?;
    Some(notes.refer(format!("unverified: {}", terminal(&why))))
}
