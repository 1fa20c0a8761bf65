//! The cameras behind an NVR, as the NVR lists them ([`NvrChannel`]).

use serde::{Deserialize, Serialize};

/// One channel of an NVR: the camera behind it as the NVR describes it, and its stream through
/// the NVR. Sources: Hikvision ISAPI `ContentMgmt/InputProxy/channels` and `.../channels/status`
/// (`proto::isapi_channels`), Dahua CGIs (`proto::dahua_remote`) and ONVIF media
/// profiles per video source (`analyze::onvif::channels`); `docs/design/protocols.md`,
/// "Cameras behind an NVR".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NvrChannel {
    /// The NVR's channel number (`1` is Hikvision's stream `101`).
    pub channel: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The camera's address as the NVR knows it (on the NVR's private subnet, usually unreachable
    /// from the scanner); an IP address or a host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The port the NVR manages the camera on (`managePortNo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// How the NVR talks to the camera (`HIKVISION`, `ONVIF`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware: Option<String>,
    /// The user the NVR logs in to the camera with (the NVR's stored password is never kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Whether the NVR says the camera is connected; `None` when it did not say.
    #[serde(default)]
    pub online: Option<bool>,
    /// The channel's main stream through the NVR (no credentials in it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<String>,
    /// The channel's sub stream through the NVR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub substream: Option<String>,
    /// The main stream was played through the NVR in this scan (a stream of the device with that
    /// URL answered PLAY).
    #[serde(default)]
    pub verified: bool,
    /// Where the list came from: `hikvision-isapi` (ISAPI InputProxy), `dahua-cgi` (Dahua
    /// `RemoteDevice` and `LogicDeviceManager`), `onvif` ([`NvrChannel::ONVIF`]: the device's
    /// ONVIF profiles name one video source per channel; such a channel has a name and streams
    /// only, the camera's address, model and online state being unknown).
    pub source: String,
}

impl NvrChannel {
    /// [`NvrChannel::source`] of a channel read from ONVIF media profiles (one per video source:
    /// `analyze::onvif::channels`).
    pub const ONVIF: &str = "onvif";
}
