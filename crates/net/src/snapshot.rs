//! A camera's still image, fetched from the camera: its ONVIF profile's snapshot URI, else a
//! JPEG snapshot URL the scan found, from the device's own addresses only (a device that names
//! another host in its snapshot URI would make camscan fetch from anywhere it is told), over HTTP
//! or HTTPS, under [`DEADLINE`]; the answer counts only as a whole JPEG or PNG image of at most
//! [`crate::http::MAX_BODY`] bytes. A 401 is answered with the given credentials (HTTP
//! Digest or Basic, as the camera asks), at most [`MAX_TRIES`] of them, those whose user opened
//! one of the device's streams first. `camscan serve`'s snapshot route uses it (and the audit's
//! handover report will).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::http;
use model::{Credential, Device, Protocol};

/// The whole fetch, connection to last byte. 5 s: a camera answers a snapshot in well under a
/// second; a page shows "no snapshot" rather than wait.
pub const DEADLINE: Duration = Duration::from_secs(5);
/// Credentials tried after a 401.
pub const MAX_TRIES: usize = 4;

/// A still image as the camera sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// `image/jpeg` or `image/png`, by the bytes.
    pub media_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Why there is no image: the device has no snapshot URL camscan may fetch, or the camera did
/// not give one (each with what happened, for the user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotError {
    /// No snapshot URL, or one that is not the camera's own HTTP(S) address.
    NoUrl(String),
    /// The camera did not answer, refused every credential, or sent no whole image.
    Camera(String),
}

/// Fetch the still image of `device`, answering a 401 with `credentials` (out of scope ones
/// left out, those whose user opened one of its streams first, at most [`MAX_TRIES`]).
pub async fn fetch(
    device: &Device,
    mut credentials: Vec<Credential>,
) -> Result<Image, SnapshotError> {
    let (url, addr, path) = target(device).map_err(SnapshotError::NoUrl)?;
    let host = url.host_str().unwrap_or_default().to_string();
    let host = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    };
    let tls = url.scheme() == "https";
    let users: Vec<&str> = device
        .streams
        .iter()
        .filter_map(|s| s.username.as_deref())
        .collect();
    credentials.sort_by_key(|c| !users.contains(&c.username.as_str()));
    credentials.retain(|c| c.scope.is_none_or(|r| r.contains_ip(addr.ip())));
    credentials.truncate(MAX_TRIES);

    let get = |authorization: Option<String>| {
        let (host, path) = (host.clone(), path.clone());
        async move {
            let req = http::Request {
                method: "GET",
                host: &host,
                path: &path,
                content_type: "",
                body: "",
                authorization: authorization.as_deref(),
            };
            http::send_over(addr, &req, tls, DEADLINE, DEADLINE).await
        }
    };
    let camera = SnapshotError::Camera;
    let mut reply = get(None)
        .await
        .map_err(|e| camera(format!("the camera did not answer: {e}")))?;
    let mut tries = credentials.iter();
    while reply.head.status == 401 {
        let Some(c) = tries.next() else {
            return Err(camera(
                "the camera asks for credentials and none of the server's configured ones \
                 (--config credentials, --scan-credentials) opened it"
                    .into(),
            ));
        };
        let Some(authorization) = answer_challenge(&reply.head, c, &path) else {
            return Err(camera(
                "the camera's 401 has no challenge this server can answer".into(),
            ));
        };
        reply = get(Some(authorization))
            .await
            .map_err(|e| camera(format!("the camera did not answer: {e}")))?;
    }
    if reply.head.status != 200 {
        return Err(camera(format!(
            "the camera answered {} to its snapshot URL",
            reply.head.status
        )));
    }
    let complete = reply
        .head
        .content_length()
        .is_none_or(|n| n == reply.body.len())
        && reply.body.len() < http::MAX_BODY;
    if !complete {
        return Err(camera(format!(
            "the snapshot is cut short or larger than {} bytes",
            http::MAX_BODY
        )));
    }
    let Some(media_type) = image_type(&reply.body) else {
        return Err(camera(
            "the camera's answer is not a JPEG or PNG image".into(),
        ));
    };
    Ok(Image {
        media_type,
        bytes: reply.body,
    })
}

/// Where to fetch the snapshot of `d` from, and whether it is allowed: the URL, the socket
/// address (the device's own) and the path with its query.
pub fn target(d: &Device) -> Result<(url::Url, SocketAddr, String), String> {
    let from_onvif = d
        .onvif
        .iter()
        .flat_map(|o| &o.profiles)
        .filter_map(|p| p.snapshot_uri.as_deref());
    let from_streams = d
        .streams
        .iter()
        .filter(|s| s.protocol == Protocol::Jpeg)
        .map(|s| s.url.as_str());
    let Some(raw) = from_onvif.chain(from_streams).next() else {
        return Err(
            "the camera has no snapshot URL (no ONVIF snapshot URI, no JPEG stream)".into(),
        );
    };
    let url = url::Url::parse(raw).map_err(|e| format!("its snapshot URL does not parse: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("its snapshot URL is {}, not HTTP", url.scheme()));
    }
    let host: IpAddr = match url.host() {
        Some(url::Host::Ipv4(a)) => IpAddr::V4(a),
        Some(url::Host::Ipv6(a)) => IpAddr::V6(a),
        _ => {
            return Err("its snapshot URL names a host, not one of the camera's addresses".into());
        }
    };
    if host != d.ip && !d.addresses.contains(&host) {
        return Err(format!(
            "its snapshot URL points at {host}, which is not the camera's address: not fetched"
        ));
    }
    let port = url.port_or_known_default().unwrap_or(80);
    let mut path = url.path().to_string();
    if let Some(q) = url.query() {
        path.push('?');
        path.push_str(q);
    }
    Ok((url, SocketAddr::new(host, port), path))
}

/// The image type of `body`, by its first bytes (the Content-Type of cheap cameras is often
/// wrong; the bytes are what the browser will decode).
pub fn image_type(body: &[u8]) -> Option<&'static str> {
    if body.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if body.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

/// The `Authorization` answering a camera's 401 (`head`, its first 8 challenges; Digest or Basic,
/// as it asks) to `GET path` with credential `c`; `None` when it has no challenge we can answer.
pub fn answer_challenge(
    head: &proto::response::ResponseHead,
    c: &Credential,
    path: &str,
) -> Option<String> {
    let challenges: Vec<&str> = head.headers_named("www-authenticate").collect();
    http::answer_challenges(&challenges, &c.username, &c.password, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{OnvifInfo, OnvifProfile, Stream};

    fn device(snapshot: Option<&str>, jpeg: Option<&str>) -> Device {
        let mut d = Device::new("10.0.0.5".parse().unwrap());
        d.addresses = vec!["10.0.0.6".parse().unwrap()];
        if let Some(s) = snapshot {
            d.onvif = Some(OnvifInfo {
                profiles: vec![OnvifProfile {
                    snapshot_uri: Some(s.into()),
                    ..OnvifProfile::default()
                }],
                ..OnvifInfo::default()
            });
        }
        if let Some(j) = jpeg {
            d.streams = vec![Stream::new(j.into(), Protocol::Jpeg, 80)];
        }
        d
    }

    #[test]
    fn only_the_cameras_own_addresses_are_fetched() {
        let (_, addr, path) = target(&device(
            Some("http://10.0.0.5/onvif-http/snapshot?Profile_1"),
            None,
        ))
        .unwrap();
        assert_eq!(addr, "10.0.0.5:80".parse().unwrap());
        assert_eq!(path, "/onvif-http/snapshot?Profile_1");
        let (_, addr, _) = target(&device(None, Some("https://10.0.0.6:8443/snap.jpg"))).unwrap();
        assert_eq!(addr, "10.0.0.6:8443".parse().unwrap());
        for bad in [
            "http://10.0.0.7/snap.jpg",
            "http://169.254.169.254/latest/meta-data",
            "http://internal.example/snap.jpg",
            "ftp://10.0.0.5/snap.jpg",
            "not a url",
        ] {
            assert!(target(&device(Some(bad), None)).is_err(), "{bad}");
        }
        assert!(target(&device(None, None)).is_err());
    }

    #[test]
    fn images_are_known_by_their_bytes() {
        assert_eq!(image_type(&[0xFF, 0xD8, 0xFF, 0xE0, 0]), Some("image/jpeg"));
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(image_type(b"<html>"), None);
        assert_eq!(image_type(b""), None);
    }
}
