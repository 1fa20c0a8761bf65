//! A Hikvision NVR's list of the IP cameras it records (its "digital channels"), from ISAPI:
//!
//! * `GET /ISAPI/ContentMgmt/InputProxy/channels` answers an `InputProxyChannelList`: one
//!   `InputProxyChannel` per channel, with `id` (the channel number), `name`, and a
//!   `sourceInputPortDescriptor` saying how the NVR reaches the camera: `proxyProtocol`
//!   (`HIKVISION`, `ONVIF`...), `addressingFormatType` (`ipaddress` / `hostname`), `ipAddress` (or
//!   `hostName`), `managePortNo`, `srcInputPort`, `userName`, `password` (sent by some firmware;
//!   **never kept**), `streamType`, and on newer firmware `model`, `serialNumber`,
//!   `firmwareVersion`, `deviceID`.
//! * `GET /ISAPI/ContentMgmt/InputProxy/channels/status` answers an
//!   `InputProxyChannelStatusList`: one `InputProxyChannelStatus` per channel with `id` and
//!   `online` (`true`/`false`), and sometimes `chanDetectResult` (`connect`, `netUnreachable`...).
//!
//! Source: Hikvision, *Intelligent Security API (ISAPI) Developer Guide*, "ContentMgmt/InputProxy"
//! (`XML_InputProxyChannelList`, `XML_InputProxyChannel`, `XML_InputProxyChannelStatusList`); the
//! element names are also those of open-source ISAPI clients' NVR dumps
//! (`maciej-or/hikvision_next`, `tests/fixtures/devices/DS-7608NXI-I2.json`, a Home Assistant
//! integration's diagnostics of a real DS-7608NXI-I2). See `docs/design/protocols.md`, "Cameras
//! behind an NVR".
//!
//! Pure: no I/O. The XML walk is bounded ([`crate::xml`]); at most [`MAX_CHANNELS`]
//! channels are kept and every text is clipped to [`MAX_FIELD`] characters with control
//! characters dropped. The `size` attribute of the list is not trusted (real NVRs send one that
//! disagrees with the elements): channels are counted from the elements.

use crate::xml::{self, Node};

/// Most channels kept from one list (the largest Hikvision NVRs record 256 IP cameras).
pub const MAX_CHANNELS: usize = 512;
/// Most characters kept of one field.
pub const MAX_FIELD: usize = 128;

/// One channel of an `InputProxyChannelList`, as the NVR describes its camera.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyChannel {
    /// `id`: the channel number (`1` for the stream ids `101`/`102`).
    pub id: u32,
    pub name: Option<String>,
    /// `proxyProtocol` (`HIKVISION`, `ONVIF`, ...).
    pub protocol: Option<String>,
    /// `ipAddress`, or `hostName` when the addressing format is a host name.
    pub address: Option<String>,
    /// `managePortNo`: the port the NVR manages the camera on (8000 for Hikvision's SDK, 80 for ONVIF).
    pub port: Option<u16>,
    /// `srcInputPort`: the camera's own channel the NVR takes.
    pub source_channel: Option<u32>,
    /// `userName` the NVR logs in to the camera with (the password is never read).
    pub user: Option<String>,
    pub stream_type: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub firmware: Option<String>,
}

/// `InputProxyChannelList` -> its channels, in document order; an element without a numeric `id`
/// is skipped. Not a list (another document, an error page): empty.
pub fn parse_channels(body: &str) -> Vec<ProxyChannel> {
    let mut out: Vec<ProxyChannel> = Vec::new();
    let mut cur: Option<(Option<u32>, ProxyChannel)> = None;
    let _ = xml::walk(body, |node| match node {
        Node::Start(path) => {
            if path.last().is_some_and(|n| n == "InputProxyChannel") && out.len() < MAX_CHANNELS {
                cur = Some((None, ProxyChannel::default()));
            }
        }
        Node::End(path, text) => {
            let Some(name) = path.last() else { return };
            if name == "InputProxyChannel" {
                if let Some((Some(id), mut ch)) = cur.take()
                    && out.len() < MAX_CHANNELS
                {
                    ch.id = id;
                    out.push(ch);
                }
                return;
            }
            let Some((id, ch)) = cur.as_mut() else { return };
            let Some(pos) = path.iter().rposition(|n| n == "InputProxyChannel") else {
                return;
            };
            let rel = &path[pos + 1..];
            match rel {
                [n] if n == "id" => *id = text.trim().parse().ok(),
                [n] if n == "name" => ch.name = clean(text),
                [d, n] if d == "sourceInputPortDescriptor" => match n.as_str() {
                    "proxyProtocol" | "adminProtocol" => ch.protocol = clean(text),
                    "ipAddress" | "hostName" if ch.address.is_none() => ch.address = clean(text),
                    "managePortNo" => ch.port = text.trim().parse().ok(),
                    "srcInputPort" => ch.source_channel = text.trim().parse().ok(),
                    "userName" => ch.user = clean(text),
                    "streamType" => ch.stream_type = clean(text),
                    "model" => ch.model = clean(text),
                    "serialNumber" => ch.serial = clean(text),
                    "firmwareVersion" => ch.firmware = clean(text),
                    // `password` and everything else: not kept.
                    _ => {}
                },
                _ => {}
            }
        }
    });
    out
}

/// `InputProxyChannelStatusList` -> `(channel id, online)` pairs, in document order; an entry
/// without a numeric `id` or without a `true`/`false` `online` is skipped.
pub fn parse_status(body: &str) -> Vec<(u32, bool)> {
    let mut out = Vec::new();
    let mut cur: Option<(Option<u32>, Option<bool>)> = None;
    let _ = xml::walk(body, |node| match node {
        Node::Start(path) => {
            if path.last().is_some_and(|n| n == "InputProxyChannelStatus") {
                cur = Some((None, None));
            }
        }
        Node::End(path, text) => {
            let Some(name) = path.last() else { return };
            if name == "InputProxyChannelStatus" {
                if let Some((Some(id), Some(online))) = cur.take()
                    && out.len() < MAX_CHANNELS
                {
                    out.push((id, online));
                }
                return;
            }
            let Some((id, online)) = cur.as_mut() else {
                return;
            };
            let parent = path.len().checked_sub(2).and_then(|i| path.get(i));
            if parent.is_none_or(|p| p != "InputProxyChannelStatus") {
                return;
            }
            match name.as_str() {
                "id" => *id = text.trim().parse().ok(),
                "online" => {
                    *online = match text.trim() {
                        t if t.eq_ignore_ascii_case("true") => Some(true),
                        t if t.eq_ignore_ascii_case("false") => Some(false),
                        _ => None,
                    }
                }
                _ => {}
            }
        }
    });
    out
}

/// A field's text as kept ([`super::device_text`], at most [`MAX_FIELD`] characters).
fn clean(text: &str) -> Option<String> {
    super::device_text(text, MAX_FIELD)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of `XML_InputProxyChannelList` (ISAPI Developer Guide), written for this test
    /// (not a capture): two channels, one with the model fields of newer firmware and a password.
    const LIST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<InputProxyChannelList version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema" size="9">
<InputProxyChannel version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
<id>1</id>
<name>Gate</name>
<sourceInputPortDescriptor>
<proxyProtocol>HIKVISION</proxyProtocol>
<addressingFormatType>ipaddress</addressingFormatType>
<ipAddress>192.168.254.2</ipAddress>
<managePortNo>8000</managePortNo>
<srcInputPort>1</srcInputPort>
<userName>admin</userName>
<password>do-not-keep</password>
<streamType>auto</streamType>
<model>DS-2CD2386G2-IU</model>
<serialNumber>DS-2CD2386G2-IU0001</serialNumber>
<firmwareVersion>V5.7.15 build 240201</firmwareVersion>
<deviceID></deviceID>
</sourceInputPortDescriptor>
<enableAnr>false</enableAnr>
</InputProxyChannel>
<InputProxyChannel><id>3</id><name>Yard</name>
<sourceInputPortDescriptor><proxyProtocol>ONVIF</proxyProtocol>
<addressingFormatType>hostname</addressingFormatType><hostName>cam3.local</hostName>
<managePortNo>80</managePortNo></sourceInputPortDescriptor></InputProxyChannel>
<InputProxyChannel><id>x</id><name>bad</name></InputProxyChannel>
</InputProxyChannelList>"#;

    #[test]
    fn channels_with_what_the_nvr_knows_and_no_password() {
        let got = parse_channels(LIST);
        assert_eq!(got.len(), 2, "{got:#?}");
        assert_eq!(got[0].id, 1);
        assert_eq!(got[0].name.as_deref(), Some("Gate"));
        assert_eq!(got[0].protocol.as_deref(), Some("HIKVISION"));
        assert_eq!(got[0].address.as_deref(), Some("192.168.254.2"));
        assert_eq!(got[0].port, Some(8000));
        assert_eq!(got[0].source_channel, Some(1));
        assert_eq!(got[0].user.as_deref(), Some("admin"));
        assert_eq!(got[0].model.as_deref(), Some("DS-2CD2386G2-IU"));
        assert_eq!(got[0].firmware.as_deref(), Some("V5.7.15 build 240201"));
        assert!(!format!("{got:?}").contains("do-not-keep"));
        assert_eq!(got[1].id, 3);
        assert_eq!(got[1].address.as_deref(), Some("cam3.local"));
        assert_eq!(got[1].protocol.as_deref(), Some("ONVIF"));
        assert_eq!(got[1].model, None);
    }

    #[test]
    fn status_online_per_channel() {
        let body = r#"<InputProxyChannelStatusList version="2.0">
<InputProxyChannelStatus><id>1</id><online>true</online><chanDetectResult>connect</chanDetectResult></InputProxyChannelStatus>
<InputProxyChannelStatus><id>2</id><online>false</online></InputProxyChannelStatus>
<InputProxyChannelStatus><id>3</id></InputProxyChannelStatus>
</InputProxyChannelStatusList>"#;
        assert_eq!(parse_status(body), vec![(1, true), (2, false)]);
    }

    #[test]
    fn other_documents_and_garbage_give_nothing() {
        assert!(
            parse_channels("<ResponseStatus><statusCode>4</statusCode></ResponseStatus>")
                .is_empty()
        );
        assert!(parse_channels("<html>login</html>").is_empty());
        assert!(parse_status("\u{0}\u{ff}<<<").is_empty());
        // Truncated mid-channel: the complete ones stay.
        let cut = &LIST[..LIST.find("<InputProxyChannel><id>3").unwrap_or(0) + 30];
        assert_eq!(parse_channels(cut).len(), 1);
    }

    #[test]
    fn channel_count_is_bounded() {
        let mut big = String::from("<InputProxyChannelList>");
        for i in 0..(MAX_CHANNELS + 50) {
            big.push_str(&format!(
                "<InputProxyChannel><id>{i}</id></InputProxyChannel>"
            ));
        }
        big.push_str("</InputProxyChannelList>");
        assert_eq!(parse_channels(&big).len(), MAX_CHANNELS);
    }
}
