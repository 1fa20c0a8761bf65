//! A Dahua NVR's list of the IP cameras it records, from its HTTP API (CGI, `key=value` lines):
//!
//! * `GET /cgi-bin/configManager.cgi?action=getConfig&name=RemoteDevice` answers the `RemoteDevice`
//!   configuration table, one line per field of each remote device:
//!   `table.RemoteDevice.<key>.<Field>=<value>`, the key being `uuid:System_CONFIG_NETCAMERA_INFO_<n>`
//!   on NVR firmware (some firmware writes `table.RemoteDevice[<n>].<Field>`). Fields: `Address`,
//!   `Port` (the camera's management port, 37777 for Dahua's own protocol), `HttpPort`,
//!   `RtspPort`, `DeviceType` (the model), `Name`, `SerialNo`, `Vendor`, `ProtocolType`
//!   (`Private`, `Dahua2`, `Onvif`...), `Version` (its firmware), `Enable` (`true`/`false`),
//!   `UserName`, `Password` (**never kept**), `VideoInputs[<i>].Name`...
//! * `GET /cgi-bin/LogicDeviceManager.cgi?action=getCameraState&uniqueChannels[0]=-1` (`-1`: all
//!   channels) answers `states[<i>].channel=<logic channel, from 0>` and
//!   `states[<i>].connectionState=<Connected | Connecting | Unconnect>`.
//!
//! Sources: Dahua, *Dahua HTTP API* (the "all CGIs" edition, V2.0 and later): "Config Manager"
//! (`configManager.cgi?action=getConfig&name=<ConfigName>`, answers `table.<ConfigName>...=value`
//! lines), "RemoteDevice" config, and "LogicDeviceManager" (`getCameraAll`, `getCameraState`:
//! `uniqueChannels` are the NVR's logic channels counted from 0, `-1` asks all); only the
//! manual's catalogue was read, not those chapters' text. The field names are those open-source
//! Dahua clients read from real recorders (`rroller/dahua`,
//! `custom_components/dahua/dahua_utils.py`, `remote_device_model`: a DHI-NVR5464-16P-EI's and a
//! Lorex N843A8's `uuid:System_CONFIG_NETCAMERA_INFO_<n>.DeviceType`). See
//! `docs/design/protocols.md`, "Cameras behind an NVR".
//!
//! **Channel numbers**: the `RemoteDevice` table does not say which NVR channel a device feeds,
//! and Dahua's documentation of the table gives no rule for it. Devices are numbered here in the
//! table's order, from 1 (the first key seen is channel 1): NVRs list one entry per channel
//! slot, `..._INFO_0` first, so this is the order the NVR shows them in. Disabled entries
//! (`Enable=false`, the unused slots) keep their number but are not listed.
//!
//! Pure: no I/O. At most [`MAX_LINES`] lines are read, [`MAX_DEVICES`] devices kept, every text
//! clipped to [`MAX_FIELD`] characters with control characters dropped.

/// Most remote devices kept from one table (the largest Dahua NVRs record 256 IP cameras).
pub const MAX_DEVICES: usize = 512;
/// Most lines read of one answer.
pub const MAX_LINES: usize = 100_000;
/// Most characters kept of one field.
pub const MAX_FIELD: usize = 128;

/// One remote device of the `RemoteDevice` table, as the NVR describes its camera.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteDevice {
    /// The NVR channel: the device's place in the table, from 1 (see the module doc).
    pub channel: u32,
    /// `Enable`; `None` when the table does not say.
    pub enabled: Option<bool>,
    /// `VideoInputs[0].Name` (the channel's name), else `Name`.
    pub name: Option<String>,
    pub address: Option<String>,
    /// `Port`: the port the NVR manages the camera on.
    pub port: Option<u16>,
    pub http_port: Option<u16>,
    pub rtsp_port: Option<u16>,
    /// `ProtocolType`, else `Vendor`.
    pub protocol: Option<String>,
    /// `DeviceType`.
    pub model: Option<String>,
    /// `SerialNo`.
    pub serial: Option<String>,
    /// `Version`.
    pub firmware: Option<String>,
    /// `UserName` (the password is never read).
    pub user: Option<String>,
}

/// The parts of one device's lines before they are settled.
#[derive(Default)]
struct Raw {
    dev: RemoteDevice,
    device_name: Option<String>,
    input_name: Option<String>,
    vendor: Option<String>,
}

/// `RemoteDevice` table -> its enabled devices with an address, in table order. Not a table (an
/// error page, another config): empty.
pub fn parse_remote_devices(body: &str) -> Vec<RemoteDevice> {
    let mut keys: Vec<String> = Vec::new();
    let mut raws: Vec<Raw> = Vec::new();
    for line in body.lines().take(MAX_LINES) {
        let Some((key, field, value)) = split_line(line) else {
            continue;
        };
        let at = match keys.iter().position(|k| k == key) {
            Some(at) => at,
            None if keys.len() < MAX_DEVICES => {
                keys.push(key.to_string());
                raws.push(Raw::default());
                keys.len() - 1
            }
            None => continue,
        };
        let Some(raw) = raws.get_mut(at) else {
            continue;
        };
        let d = &mut raw.dev;
        match field {
            "Address" => d.address = clean(value),
            "Port" => d.port = value.trim().parse().ok(),
            "HttpPort" => d.http_port = value.trim().parse().ok(),
            "RtspPort" => d.rtsp_port = value.trim().parse().ok(),
            "DeviceType" => d.model = clean(value),
            "SerialNo" => d.serial = clean(value),
            "Version" => d.firmware = clean(value),
            "ProtocolType" => d.protocol = clean(value),
            "UserName" => d.user = clean(value),
            "Enable" => d.enabled = boolean(value),
            "Name" => raw.device_name = clean(value),
            "Vendor" => raw.vendor = clean(value),
            "VideoInputs[0].Name" => raw.input_name = clean(value),
            // `Password` and everything else: not kept.
            _ => {}
        }
    }
    raws.into_iter()
        .zip(1u32..)
        .filter_map(|(raw, channel)| {
            let mut d = raw.dev;
            if d.enabled == Some(false) || d.address.is_none() {
                return None;
            }
            d.channel = channel;
            d.name = raw.input_name.or(raw.device_name);
            if d.protocol.is_none() {
                d.protocol = raw.vendor;
            }
            Some(d)
        })
        .collect()
}

/// `getCameraState` answer -> `(NVR channel from 1, connected)` pairs, in answer order. An entry
/// without a numeric `channel` or without a `connectionState` is skipped; `Connected` is online,
/// any other state (`Connecting`, `Unconnect`) is not.
pub fn parse_camera_state(body: &str) -> Vec<(u32, bool)> {
    let mut idx: Vec<u32> = Vec::new();
    let mut cur: Vec<(Option<u32>, Option<bool>)> = Vec::new();
    for line in body.lines().take(MAX_LINES) {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let Some(rest) = key.trim().strip_prefix("states[") else {
            continue;
        };
        let Some((n, field)) = rest.split_once("].") else {
            continue;
        };
        let Ok(n) = n.parse::<u32>() else { continue };
        let at = match idx.iter().position(|i| *i == n) {
            Some(at) => at,
            None if idx.len() < MAX_DEVICES => {
                idx.push(n);
                cur.push((None, None));
                idx.len() - 1
            }
            None => continue,
        };
        let Some(entry) = cur.get_mut(at) else {
            continue;
        };
        match field {
            "channel" => {
                entry.0 = value
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .and_then(|c| c.checked_add(1))
            }
            "connectionState" => {
                let v = value.trim();
                entry.1 = (!v.is_empty()).then(|| v.eq_ignore_ascii_case("Connected"));
            }
            _ => {}
        }
    }
    cur.into_iter()
        .filter_map(|(c, s)| Some((c?, s?)))
        .collect()
}

/// `table.RemoteDevice.<key>.<Field>=<value>` or `table.RemoteDevice[<n>].<Field>=<value>` ->
/// `(key, Field, value)`.
fn split_line(line: &str) -> Option<(&str, &str, &str)> {
    let (left, value) = line.split_once('=')?;
    let rest = left.trim().strip_prefix("table.RemoteDevice")?;
    let (key, field) = if let Some(r) = rest.strip_prefix('[') {
        let (n, f) = r.split_once("].")?;
        (n, f)
    } else {
        rest.strip_prefix('.')?.split_once('.')?
    };
    (!key.is_empty() && !field.is_empty()).then_some((key, field, value))
}

fn boolean(v: &str) -> Option<bool> {
    match v.trim() {
        t if t.eq_ignore_ascii_case("true") => Some(true),
        t if t.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// A field's text as kept ([`super::device_text`], at most [`MAX_FIELD`] characters).
fn clean(text: &str) -> Option<String> {
    super::device_text(text, MAX_FIELD)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of the `RemoteDevice` table (Dahua HTTP API, "RemoteDevice"), written for this
    /// test (not a capture): three slots, the second disabled, with passwords.
    const TABLE: &str =
        "table.RemoteDevice.uuid:System_CONFIG_NETCAMERA_INFO_0.Address=192.168.1.108\r
table.RemoteDevice.uuid:System_CONFIG_NETCAMERA_INFO_0.DeviceType=IPC-HDW2431T-AS\r
table.RemoteDevice.uuid:System_CONFIG_NETCAMERA_INFO_0.Enable=true\r
table.RemoteDevice.uuid:System_CONFIG_NETCAMERA_INFO_0.HttpPort=80\r
table.RemoteDevice.uuid:System_CONFIG_NETCAMERA_INFO_0.Name=cam-entry\r
table.RemoteDevice.uuid:System_CONFIG_NETCAMERA_INFO_0.Password=do-not-keep\r
table.RemoteDevice.uuid:System_CONFIG_NETCAMERA_INFO_0.Port=37777\r
table.RemoteDevice.uuid:System_CONFIG_NETCAMERA_INFO_0.ProtocolType=Dahua2\r
table.RemoteDevice.uuid:System_CONFIG_NETCAMERA_INFO_0.RtspPort=554\r
table.RemoteDevice.uuid:System_CONFIG_NETCAMERA_INFO_0.SerialNo=7H07AB1RAZ00001\r
table.RemoteDevice.uuid:System_CONFIG_NETCAMERA_INFO_0.UserName=admin\r
table.RemoteDevice.uuid:System_CONFIG_NETCAMERA_INFO_0.Vendor=Private\r
table.RemoteDevice.uuid:System_CONFIG_NETCAMERA_INFO_0.Version=2.800.0000000.3.R\r
table.RemoteDevice.uuid:System_CONFIG_NETCAMERA_INFO_0.VideoInputs[0].Name=Entry\r
table.RemoteDevice.uuid:System_CONFIG_NETCAMERA_INFO_1.Address=192.168.0.0\r
table.RemoteDevice.uuid:System_CONFIG_NETCAMERA_INFO_1.Enable=false\r
table.RemoteDevice.uuid:System_CONFIG_NETCAMERA_INFO_1.Password=also-secret\r
table.RemoteDevice.uuid:System_CONFIG_NETCAMERA_INFO_2.Address=192.168.1.110\r
table.RemoteDevice.uuid:System_CONFIG_NETCAMERA_INFO_2.Enable=true\r
table.RemoteDevice.uuid:System_CONFIG_NETCAMERA_INFO_2.Port=80\r
table.RemoteDevice.uuid:System_CONFIG_NETCAMERA_INFO_2.Vendor=Onvif\r
";

    #[test]
    fn devices_in_table_order_without_password() {
        let got = parse_remote_devices(TABLE);
        assert_eq!(got.len(), 2, "{got:#?}");
        assert_eq!(got[0].channel, 1);
        assert_eq!(got[0].name.as_deref(), Some("Entry"));
        assert_eq!(got[0].address.as_deref(), Some("192.168.1.108"));
        assert_eq!(got[0].port, Some(37777));
        assert_eq!(got[0].http_port, Some(80));
        assert_eq!(got[0].rtsp_port, Some(554));
        assert_eq!(got[0].protocol.as_deref(), Some("Dahua2"));
        assert_eq!(got[0].model.as_deref(), Some("IPC-HDW2431T-AS"));
        assert_eq!(got[0].serial.as_deref(), Some("7H07AB1RAZ00001"));
        assert_eq!(got[0].firmware.as_deref(), Some("2.800.0000000.3.R"));
        assert_eq!(got[0].user.as_deref(), Some("admin"));
        // The disabled slot keeps its number: the third entry is channel 3.
        assert_eq!(got[1].channel, 3);
        assert_eq!(
            got[1].protocol.as_deref(),
            Some("Onvif"),
            "Vendor when no ProtocolType"
        );
        assert_eq!(got[1].name, None);
        let all = format!("{got:?}");
        assert!(!all.contains("do-not-keep") && !all.contains("also-secret"));
    }

    #[test]
    fn bracket_keys_and_name_fallback() {
        let body = "table.RemoteDevice[0].Address=10.1.1.2\ntable.RemoteDevice[0].Name=Gate\n\
                    table.RemoteDevice[1].Address=10.1.1.3\n";
        let got = parse_remote_devices(body);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].name.as_deref(), Some("Gate"));
        assert_eq!(got[0].enabled, None);
        assert_eq!(got[1].channel, 2);
    }

    #[test]
    fn camera_state_per_channel() {
        let body = "states[0].channel=0\r\nstates[0].connectionState=Connected\r\n\
                    states[1].channel=1\r\nstates[1].connectionState=Unconnect\r\n\
                    states[2].channel=4\r\nstates[2].connectionState=Connecting\r\n\
                    states[3].channel=x\r\nstates[3].connectionState=Connected\r\n\
                    states[4].channel=5\r\n";
        assert_eq!(
            parse_camera_state(body),
            vec![(1, true), (2, false), (5, false)]
        );
    }

    #[test]
    fn other_answers_and_garbage_give_nothing() {
        assert!(parse_remote_devices("Error\r\nBad Request!\r\n").is_empty());
        assert!(parse_remote_devices("<html>login</html>").is_empty());
        assert!(parse_remote_devices("table.Encode[0].MainFormat[0].Video.Width=1920").is_empty());
        assert!(parse_remote_devices("table.RemoteDevice.=x\ntable.RemoteDevice[=y\n").is_empty());
        assert!(parse_camera_state("\u{0}\u{ff}states[=]=.").is_empty());
        assert!(parse_camera_state("states[99999999999999].channel=1").is_empty());
    }

    #[test]
    fn device_count_is_bounded() {
        let mut big = String::new();
        for i in 0..(MAX_DEVICES + 50) {
            big.push_str(&format!(
                "table.RemoteDevice.uuid:System_CONFIG_NETCAMERA_INFO_{i}.Address=10.0.0.1\n"
            ));
        }
        assert_eq!(parse_remote_devices(&big).len(), MAX_DEVICES);
        let long = format!("table.RemoteDevice[0].Address={}", "a".repeat(10_000));
        let got = parse_remote_devices(&long);
        assert_eq!(got[0].address.as_ref().map(String::len), Some(MAX_FIELD));
    }
}
