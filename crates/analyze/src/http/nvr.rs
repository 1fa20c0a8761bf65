//! The cameras behind a Hikvision or Dahua NVR: its channel list and their online state, asked
//! over the NVR's own web API with the login the port's analysis has: the credential that opened
//! its login wall, or the one [`super::login::for_path`] took on the API's own path when the web
//! page opened without one (both within the host's failed-login budget). No login is tried here:
//! a `401` ends the asking.
//!
//! * `GET /ISAPI/ContentMgmt/InputProxy/channels`: the channels, with the camera's address on the
//!   NVR's subnet, port, protocol, model, serial and firmware ([`proto::isapi_channels`]).
//! * `GET /ISAPI/ContentMgmt/InputProxy/channels/status`: `online` per channel (older firmware
//!   has none: online is then unknown).
//!
//! Each channel's stream goes through the NVR: `rtsp://NVR:554/Streaming/Channels/{ch}01` (main)
//! and `{ch}02` (sub): Hikvision's RTSP URL rule, channel number times 100 plus the stream number
//! (Hikvision, *ISAPI Developer Guide*, "`Streaming/channels/<ID>`": "ID = channel number × 100 +
//! stream type", 1 main, 2 sub; the same numbers in Hikvision's "RTSP URL" support note). The
//! camera itself is never asked: it sits on the NVR's private (PoE) subnet.
//!
//! A Dahua NVR ([`ask_dahua`]) is asked over its CGI API ([`proto::dahua_remote`]):
//!
//! * [`REMOTE_DEVICE`]: the remote devices it records (address, ports, model, serial...).
//! * [`CAMERA_STATE`]: each logic channel's connection state (`Connected` is online).
//!
//! Its streams go through the NVR too: `rtsp://NVR:554/cam/realmonitor?channel={ch}&subtype=0`
//! (main), `subtype=1` (sub): Dahua's RTSP URL (Dahua HTTP API, "Get real-time stream":
//! `channel` counts from 1, `subtype` 0 main, 1 extra stream 1).

use std::net::SocketAddr;

use super::{HttpSettings, fetch};
use model::NvrChannel;
use proto::{dahua_remote, isapi_channels};

/// The channel list's path (ISAPI Developer Guide, "ContentMgmt/InputProxy/channels").
pub const CHANNELS: &str = "/ISAPI/ContentMgmt/InputProxy/channels";
/// Its online state per channel.
pub const STATUS: &str = "/ISAPI/ContentMgmt/InputProxy/channels/status";
/// The NVR's RTSP port: Hikvision's default (`Network > Advanced > Port` on its web page) and
/// Dahua's (Dahua HTTP API, "Get real-time stream": `rtsp://<server>:[port]`, 554 by default).
pub const RTSP_PORT: u16 = 554;

/// A Dahua NVR's remote-device table (Dahua HTTP API, "RemoteDevice" config).
pub const REMOTE_DEVICE: &str = "/cgi-bin/configManager.cgi?action=getConfig&name=RemoteDevice";
/// Every logic channel's connection state (Dahua HTTP API, "LogicDeviceManager",
/// `getCameraState`; `-1` asks all channels).
pub const CAMERA_STATE: &str =
    "/cgi-bin/LogicDeviceManager.cgi?action=getCameraState&uniqueChannels[0]=-1";

/// The channels of a port whose fingerprint names `vendor` (Hikvision or Dahua; any other: none),
/// with the login the port already has; a port whose pages opened without one (an NVR's web page
/// is public, its API is not) logs in on the API's own path first ([`super::login::for_path`],
/// within the host's budget).
pub async fn of_port(
    addr: SocketAddr,
    s: &HttpSettings,
    vendor: Option<knowledge::VendorId>,
) -> Vec<NvrChannel> {
    use knowledge::vendors::{DAHUA, HIKVISION};
    // Which maker's API, and its first path (the one a login is tried on).
    let (hikvision, path) = match vendor {
        Some(v) if v == HIKVISION => (true, CHANNELS),
        Some(v) if v == DAHUA => (false, REMOTE_DEVICE),
        _ => return Vec::new(),
    };
    let logged_in = match s.login {
        Some(_) => None,
        None => super::login::for_path(addr, path, s).await,
    };
    let s = logged_in.as_ref().unwrap_or(s);
    if hikvision {
        ask(addr, s).await
    } else {
        ask_dahua(addr, s).await
    }
}

/// The body of a `2xx` answer to `path`, or `None` (refused, missing, failed: said at debug).
async fn body_of(addr: SocketAddr, path: &str, s: &HttpSettings) -> Option<String> {
    match fetch(addr, path, s).await {
        Ok(got) if (200..300).contains(&got.head.status) => {
            Some(String::from_utf8_lossy(&got.body).into_owned())
        }
        Ok(got) => {
            tracing::debug!(%addr, status = got.head.status, "NVR channels: {path} refused");
            None
        }
        Err(e) => {
            tracing::debug!(%addr, error = %e, "NVR channels: {path} failed");
            None
        }
    }
}

/// A Dahua NVR's channels, or an empty list when the port is no NVR, refuses or lists none.
/// Each request runs under the step timeout ([`fetch`]); a `401` ends the asking (no login is
/// tried here).
pub async fn ask_dahua(addr: SocketAddr, s: &HttpSettings) -> Vec<NvrChannel> {
    let Some(table) = body_of(addr, REMOTE_DEVICE, s).await else {
        return Vec::new();
    };
    let parsed = dahua_remote::parse_remote_devices(&table);
    if parsed.is_empty() {
        return Vec::new();
    }
    let state = body_of(addr, CAMERA_STATE, s)
        .await
        .map(|b| dahua_remote::parse_camera_state(&b))
        .unwrap_or_default();
    tracing::info!(%addr, channels = parsed.len(), "a Dahua NVR listed the cameras behind it");
    dahua_channels(addr, parsed, &state)
}

/// What the Dahua NVR said, with each channel's streams through it.
pub fn dahua_channels(
    addr: SocketAddr,
    parsed: Vec<dahua_remote::RemoteDevice>,
    state: &[(u32, bool)],
) -> Vec<NvrChannel> {
    let rtsp = net::zone::authority(SocketAddr::new(addr.ip(), RTSP_PORT));
    let url =
        |ch: u32, sub: u8| format!("rtsp://{rtsp}/cam/realmonitor?channel={ch}&subtype={sub}");
    parsed
        .into_iter()
        .map(|d| NvrChannel {
            channel: d.channel,
            online: state.iter().find(|(c, _)| *c == d.channel).map(|(_, o)| *o),
            stream: Some(url(d.channel, 0)),
            substream: Some(url(d.channel, 1)),
            name: d.name,
            address: d.address,
            port: d.port,
            protocol: d.protocol,
            model: d.model,
            serial: d.serial,
            firmware: d.firmware,
            user: d.user,
            verified: false,
            source: "dahua-cgi".into(),
        })
        .collect()
}

/// The NVR's channels, or an empty list when the port is no NVR, refuses (`401`, `403`, `404`) or
/// lists none. Each request runs under the step timeout ([`fetch`]).
pub async fn ask(addr: SocketAddr, s: &HttpSettings) -> Vec<NvrChannel> {
    let list = match fetch(addr, CHANNELS, s).await {
        Ok(got) if (200..300).contains(&got.head.status) => got.body,
        Ok(got) => {
            tracing::debug!(%addr, status = got.head.status, "no NVR channel list");
            return Vec::new();
        }
        Err(e) => {
            tracing::debug!(%addr, error = %e, "NVR channel list: {CHANNELS} failed");
            return Vec::new();
        }
    };
    let parsed = isapi_channels::parse_channels(&String::from_utf8_lossy(&list));
    if parsed.is_empty() {
        return Vec::new();
    }
    let status = match fetch(addr, STATUS, s).await {
        Ok(got) if (200..300).contains(&got.head.status) => {
            isapi_channels::parse_status(&String::from_utf8_lossy(&got.body))
        }
        Ok(_) => Vec::new(),
        Err(e) => {
            tracing::debug!(%addr, error = %e, "NVR channel status: {STATUS} failed");
            Vec::new()
        }
    };
    tracing::info!(%addr, channels = parsed.len(), "an NVR listed the cameras behind it");
    channels(addr, parsed, &status)
}

/// What the NVR said, with each channel's streams through it.
pub fn channels(
    addr: SocketAddr,
    parsed: Vec<isapi_channels::ProxyChannel>,
    status: &[(u32, bool)],
) -> Vec<NvrChannel> {
    let rtsp = net::zone::authority(SocketAddr::new(addr.ip(), RTSP_PORT));
    parsed
        .into_iter()
        .map(|c| NvrChannel {
            channel: c.id,
            online: status.iter().find(|(id, _)| *id == c.id).map(|(_, o)| *o),
            stream: Some(format!("rtsp://{rtsp}/Streaming/Channels/{}01", c.id)),
            substream: Some(format!("rtsp://{rtsp}/Streaming/Channels/{}02", c.id)),
            name: c.name,
            address: c.address,
            port: c.port,
            protocol: c.protocol,
            model: c.model,
            serial: c.serial,
            firmware: c.firmware,
            user: c.user,
            verified: false,
            source: "hikvision-isapi".into(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_go_through_the_nvr() {
        let parsed = vec![
            isapi_channels::ProxyChannel {
                id: 1,
                address: Some("192.168.254.2".into()),
                ..Default::default()
            },
            isapi_channels::ProxyChannel {
                id: 12,
                ..Default::default()
            },
        ];
        let addr: SocketAddr = "198.18.0.11:80".parse().unwrap_or_else(|_| unreachable!());
        let got = channels(addr, parsed, &[(1, true)]);
        assert_eq!(
            got[0].stream.as_deref(),
            Some("rtsp://198.18.0.11:554/Streaming/Channels/101")
        );
        assert_eq!(
            got[1].substream.as_deref(),
            Some("rtsp://198.18.0.11:554/Streaming/Channels/1202")
        );
        assert_eq!(got[0].online, Some(true));
        assert_eq!(got[1].online, None);
        assert_eq!(got[0].address.as_deref(), Some("192.168.254.2"));
    }

    #[test]
    fn dahua_streams_go_through_the_nvr() {
        let parsed = vec![dahua_remote::RemoteDevice {
            channel: 3,
            address: Some("192.168.1.110".into()),
            ..Default::default()
        }];
        let addr: SocketAddr = "198.18.0.11:80".parse().unwrap_or_else(|_| unreachable!());
        let got = dahua_channels(addr, parsed, &[(1, true), (3, false)]);
        assert_eq!(
            got[0].stream.as_deref(),
            Some("rtsp://198.18.0.11:554/cam/realmonitor?channel=3&subtype=0")
        );
        assert_eq!(
            got[0].substream.as_deref(),
            Some("rtsp://198.18.0.11:554/cam/realmonitor?channel=3&subtype=1")
        );
        assert_eq!(got[0].online, Some(false));
        assert_eq!(got[0].source, "dahua-cgi");
    }
}
