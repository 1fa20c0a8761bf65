//! Who a web port is and what it is asked beside its paths: the makers a focused analysis keeps
//! to ([`focus`], issue 83), the fingerprint probes that name the vendor (and a WebRTC gateway),
//! and the WHEP endpoints offered to.

use std::net::SocketAddr;

use futures::StreamExt;

use super::{HttpFindings, HttpSettings, IN_PARALLEL, fetch};
use error::AnalyzeError;
use net::http::OpenGet;

/// The makers a focused analysis keeps to (issue 83): the device's, as its clues named them
/// before the port was asked, else the maker a camera's own web UI signature names on the root
/// page alone; empty (every path, probe and guess) in a thorough walk, or when nothing names a
/// camera maker (a recorder's or a video server's page, whose WebRTC side and media folders are
/// what it is asked for).
///
/// Only a maker that documents something for the web (a device API probe or a media path): a
/// MAC block of a maker of general-purpose boxes (Synology, TP-Link, Cisco) names the box, not
/// what runs on it (go2rtc or Frigate on a NAS), and leaves the port to the whole dictionary.
pub(super) fn focus(
    root: &net::rtsp::Reply,
    s: &HttpSettings,
    page: &[u8],
) -> Vec<knowledge::VendorId> {
    use detect::fingerprint::{Observation, classify};
    if !s.focused {
        return Vec::new();
    }
    let k = knowledge::get();
    let makers = if s.makers.is_empty() {
        let verdict = classify(&[Observation::new("/", &root.head, page)]);
        match (verdict.vendor, verdict.kind) {
            (Some(v), knowledge::Kind::CameraUi) => {
                std::iter::once(v).chain(k.platform_of(v)).collect()
            }
            _ => Vec::new(),
        }
    } else {
        s.makers.clone()
    };
    if k.documents_web(&makers) {
        makers
    } else {
        Vec::new()
    }
}

/// Fingerprint probes (`detect::fingerprint::probe_paths`): distinctive, harmless GETs whose
/// answers name the vendor; among them Janus' `/janus/info`, which makes a `webrtc` service, and
/// go2rtc's `/api`. Only `makers`' own when the maker is known ([`focus`]). Returns whether the
/// port is go2rtc.
pub(super) async fn fingerprint(
    addr: SocketAddr,
    root: &net::rtsp::Reply,
    (s, makers): (&HttpSettings, &[knowledge::VendorId]),
    findings: &mut HttpFindings,
) -> bool {
    use detect::fingerprint::{self, Observation};
    let paths = if makers.is_empty() {
        fingerprint::probe_paths()
    } else {
        knowledge::get().probe_paths_of(makers)
    };
    let probe_paths: Vec<String> = paths.into_iter().map(str::to_string).collect();
    let probes: Vec<(String, Option<OpenGet>)> = futures::stream::iter(probe_paths)
        .map(|path| async move {
            let got = fetch(addr, &path, s).await.ok();
            (path, got)
        })
        .buffered(IN_PARALLEL)
        .collect()
        .await;
    if let Some((_, Some(info))) = probes.iter().find(|(p, _)| *p == "/janus/info")
        && (200..300).contains(&info.head.status)
    {
        findings.webrtc_gateway = crate::webrtc::janus_info(&info.body);
    }
    findings.title = fingerprint::title(&findings.root_page);
    let mut observations = vec![Observation::new("/", &root.head, &findings.root_page)];
    observations.extend(
        probes
            .iter()
            .filter_map(|(p, got)| got.as_ref().map(|g| Observation::new(p, &g.head, &g.body))),
    );
    let verdict = fingerprint::classify(&observations);
    let go2rtc = verdict
        .vendor
        .is_some_and(|v| v == knowledge::vendors::GO2RTC);
    if go2rtc
        && findings.webrtc_gateway.is_none()
        && let Some((_, Some(api))) = probes.iter().find(|(p, _)| *p == "/api")
        && (200..300).contains(&api.head.status)
    {
        findings.webrtc_gateway = crate::webrtc::go2rtc_info(&api.body);
    }
    if let Some(c) = &s.clues {
        let words = crate::identity::WebWords {
            server: root.head.header("server"),
            challenge: root.head.header("www-authenticate"),
            title: findings.title.as_deref(),
        };
        c.tell(addr.ip(), &verdict, words);
    }
    findings.fingerprint = Some(verdict);
    go2rtc
}

/// WHEP endpoints of the port: `.../whep` links of its root page, go2rtc's streams (from
/// `/api/streams`, when the port is go2rtc) and, when `guess`, the guessed
/// [`crate::webrtc::WHEP_PATHS`].
pub(super) async fn whep_endpoints(
    addr: SocketAddr,
    (links, guess): (Vec<String>, bool),
    go2rtc: bool,
    s: &HttpSettings,
    findings: &mut HttpFindings,
) {
    use crate::webrtc::{self, WhepCandidate, WhepTarget};
    let mut candidates: Vec<(String, WhepCandidate)> = links
        .into_iter()
        .map(|p| (p, WhepCandidate::Named { preflight: true }))
        .collect();
    if go2rtc {
        match fetch(addr, "/api/streams", s).await {
            Ok(got) if (200..300).contains(&got.head.status) => {
                // go2rtc takes a WHEP offer on `/api/webrtc?src=<name>` (its README, "WHEP").
                for name in proto::whep::go2rtc_streams(&got.body, webrtc::MAX_GO2RTC_STREAMS) {
                    candidates.push((
                        format!("/api/webrtc?src={name}"),
                        WhepCandidate::Named { preflight: false },
                    ));
                }
            }
            Ok(got) => findings.failures.push(
                AnalyzeError::Refused(format!("HTTP {}", got.head.status))
                    .within("go2rtc stream list /api/streams"),
            ),
            Err(e) => findings.failures.push(e.into()),
        }
    }
    for p in webrtc::WHEP_PATHS.iter().filter(|_| guess) {
        if !candidates.iter().any(|(c, _)| c == p) {
            candidates.push(((*p).to_string(), WhepCandidate::Guessed));
        }
    }
    let target = WhepTarget {
        addr,
        tls: s.tls,
        connect_timeout: s.connect_timeout,
        timeout: s.timeout,
    };
    let target = &target;
    let results = futures::stream::iter(candidates)
        .map(|(path, how)| async move { webrtc::whep(target, &path, how).await })
        .buffered(IN_PARALLEL)
        .collect()
        .await;
    findings.take(results);
}
