//! The cameras behind an ONVIF NVR or video encoder, from its media profiles: one channel per
//! video source.
//!
//! An ONVIF device has one video source per physical input (`tt:VideoSource`; ONVIF Media Service
//! Specification §5.3 "Video source"), and each media profile's video source configuration names
//! the input it streams (`SourceToken`, "reference to the physical input"; Media §5.4, Media2
//! Service Specification §5.2.2). A camera has one input; an NVR or encoder has one per channel, so
//! profiles naming more than one distinct source token are the channels of a recorder
//! (`docs/design/protocols.md`, "Cameras behind an NVR", ONVIF).

use model::NvrChannel;
use proto::soap::Profile;

/// What [`NvrChannel::source`] says for channels read from ONVIF profiles.
pub const SOURCE: &str = NvrChannel::ONVIF;

/// The channels of a device whose profiles name more than one distinct video source, else none.
///
/// One channel per source token, numbered 1..n in the order the device first lists them (ONVIF
/// gives no channel number). Its name is the source's video source configuration `Name` (of the
/// first profile that has one), unless another source has the same name (a device naming every
/// configuration `VideoSourceConfig` says nothing): then the source token. Its main stream is the
/// stream URI of the source's first profile that has one (`stream_uris`: `(profile token, URI)`,
/// from GetStreamUri), its sub stream the next one. Whether the main stream played is marked when
/// the report is built (the registry compares it with the streams that played).
///
/// ONVIF profiles do not say what is behind a source: the camera's address, port, protocol,
/// model, serial, firmware and whether it is online stay `None`.
pub fn from_profiles(profiles: &[Profile], stream_uris: &[(String, String)]) -> Vec<NvrChannel> {
    // Sources in the order first listed, with their profiles in order.
    let mut sources: Vec<(&str, Vec<&Profile>)> = Vec::new();
    for p in profiles {
        let Some(token) = p.source_token.as_deref() else {
            continue;
        };
        match sources.iter_mut().find(|(t, _)| *t == token) {
            Some((_, list)) => list.push(p),
            None => sources.push((token, vec![p])),
        }
    }
    if sources.len() < 2 {
        return Vec::new();
    }
    let name_of = |list: &[&Profile]| {
        list.iter()
            .find_map(|p| p.source_name.as_deref())
            .map(str::to_string)
    };
    let names: Vec<Option<String>> = sources.iter().map(|(_, l)| name_of(l)).collect();
    sources
        .iter()
        .zip(&names)
        .zip(1u32..)
        .map(|(((token, list), name), channel)| {
            let shared = name
                .as_ref()
                .is_some_and(|n| names.iter().filter(|m| m.as_ref() == Some(n)).count() > 1);
            let mut uris = list.iter().filter_map(|p| {
                stream_uris
                    .iter()
                    .find(|(t, _)| *t == p.token)
                    .map(|(_, u)| u.clone())
            });
            NvrChannel {
                channel,
                name: match name {
                    Some(n) if !shared => Some(n.clone()),
                    _ => Some((*token).to_string()),
                },
                stream: uris.next(),
                substream: uris.next(),
                source: SOURCE.into(),
                ..Default::default()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(token: &str, source: Option<&str>, name: Option<&str>) -> Profile {
        Profile {
            token: token.into(),
            source_token: source.map(str::to_string),
            source_name: name.map(str::to_string),
            ..Default::default()
        }
    }

    fn uris(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(t, u)| (t.to_string(), u.to_string()))
            .collect()
    }

    #[test]
    fn one_channel_per_video_source_in_listed_order() {
        let profiles = [
            profile("P201", Some("VS_2"), Some("Yard")),
            profile("P101", Some("VS_1"), Some("Gate")),
            profile("P202", Some("VS_2"), None),
            profile("P102", Some("VS_1"), Some("Gate")),
            profile("P999", None, None),
        ];
        let got = from_profiles(
            &profiles,
            &uris(&[
                ("P101", "rtsp://n/1m"),
                ("P102", "rtsp://n/1s"),
                ("P201", "rtsp://n/2m"),
            ]),
        );
        let rows: Vec<_> = got
            .iter()
            .map(|c| {
                (
                    c.channel,
                    c.name.as_deref(),
                    c.stream.as_deref(),
                    c.substream.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (1, Some("Yard"), Some("rtsp://n/2m"), None),
                (2, Some("Gate"), Some("rtsp://n/1m"), Some("rtsp://n/1s")),
            ]
        );
        assert!(got.iter().all(|c| c.source == "onvif"
            && c.address.is_none()
            && c.model.is_none()
            && c.online.is_none()
            && !c.verified));
    }

    #[test]
    fn a_camera_with_one_source_is_no_nvr() {
        let profiles = [
            profile(
                "Profile_1",
                Some("VideoSource_1"),
                Some("VideoSourceConfig"),
            ),
            profile(
                "Profile_2",
                Some("VideoSource_1"),
                Some("VideoSourceConfig"),
            ),
        ];
        assert!(from_profiles(&profiles, &[]).is_empty());
        assert!(from_profiles(&[profile("P", None, None)], &[]).is_empty());
        assert!(from_profiles(&[], &[]).is_empty());
    }

    #[test]
    fn names_every_source_shares_fall_back_to_the_token() {
        let profiles = [
            profile("A", Some("VS_1"), Some("VideoSourceConfig")),
            profile("B", Some("VS_2"), Some("VideoSourceConfig")),
            profile("C", Some("VS_3"), None),
            profile("D", Some("VS_4"), Some("Porch")),
        ];
        let names: Vec<_> = from_profiles(&profiles, &[])
            .into_iter()
            .map(|c| c.name.unwrap_or_default())
            .collect();
        assert_eq!(names, ["VS_1", "VS_2", "VS_3", "Porch"]);
    }
}
