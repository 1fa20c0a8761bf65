//! The handover report's pictures: one small JPEG per camera, taken the cheapest way the camera
//! allows, and when there is none, why.
//!
//! In order ([`sources`], pure): the camera's snapshot URL ([`net::snapshot`], its own
//! address only), else one frame of its MJPEG stream (the first whole JPEG part, read here), else
//! a keyframe of a video stream (RTSP, RTMP, HLS, DASH, HTTP-FLV/TS) decoded by ffmpeg, when
//! ffmpeg is installed (the same way `--ffprobe` uses ffprobe: run only when asked for a report,
//! under a deadline, killed if it overruns). ffmpeg decodes every codec cameras send (H.264,
//! H.265, MJPEG, MPEG-4); a built-in H.264 decoder (openh264) would cover only the first, so
//! H.265 cameras would go without a picture (docs/guide/audit.md has the measurements). With
//! ffmpeg the pictures are also scaled down to [`WIDTH`] pixels, so a report of a hundred
//! cameras stays a few megabytes.
//!
//! No password is ever on ffmpeg's command line, where every local user reads it (`ps`,
//! `/proc/PID/cmdline`): a stream that needs a credential is either fetched by camscan's own
//! RTSP client (H.264, H.265 and JPEG over RTSP: [`analyze::rtsp::keyframe`]), its first
//! keyframe piped to ffmpeg's stdin, or named to ffmpeg in a concat script on its stdin (other
//! codecs, RTMP, HLS, DASH, HTTP-FLV/TS: [`analyze::ffconcat`]). Only a stream that needs
//! none is given to ffmpeg as a URL argument. Nothing else is sent but what a viewer sends, and
//! every step has a deadline ([`DEADLINE`] for a camera in all).

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use analyze::ffconcat;
use analyze::rtsp::keyframe::{self as rtsp_keyframe, KeyframeError};
use model::{Credential, Device, Protocol, Stream};
use net::{http, snapshot};
use proto::mjpeg;

/// All tries for one camera, first byte to last picture. 12 s: a video keyframe comes within one
/// GOP (cameras send one every 1-4 s) after the session is set up.
pub const DEADLINE: Duration = Duration::from_secs(12);
/// Cameras asked at once: each costs the camera one viewer and this machine one ffmpeg.
pub const PARALLEL: usize = 4;
/// The pictures' width when ffmpeg scales them, pixels (the report shows them at 320).
pub const WIDTH: u32 = 480;
/// An MJPEG stream read for its first frame stops after this many bytes.
const MJPEG_CAP: usize = 4 * 1024 * 1024;
/// The largest picture ffmpeg may write.
const MAX_PICTURE: usize = 8 * 1024 * 1024;

/// How a picture was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// The camera's snapshot URL.
    Snapshot,
    /// The first frame of its MJPEG stream.
    MjpegFrame,
    /// A keyframe of a video stream, decoded by ffmpeg.
    Keyframe,
}

impl How {
    pub fn as_str(self) -> &'static str {
        match self {
            How::Snapshot => "snapshot",
            How::MjpegFrame => "MJPEG frame",
            How::Keyframe => "video keyframe",
        }
    }
}

/// One camera's picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    /// `image/jpeg` or `image/png`, by the bytes.
    pub media_type: &'static str,
    pub bytes: Vec<u8>,
    pub how: How,
    /// The URL it came from (never with credentials).
    pub from: String,
    /// The video codec decoded (keyframes only).
    pub codec: Option<String>,
    /// How long it took, all tries of the camera included.
    pub took: Duration,
}

/// Each camera's picture, or why it has none, by address.
pub type Pictures = BTreeMap<IpAddr, Result<Thumbnail, String>>;

/// One way to get a camera's picture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Source<'a> {
    Snapshot,
    Mjpeg(&'a Stream),
    Video(&'a Stream),
}

/// The ways to try for `d`, cheapest first: its snapshot URL, its MJPEG streams, then its video
/// streams that opened (verified ones first, then the smallest picture: a sub-stream decodes
/// fastest and is as good for a thumbnail). A stream that is another's alias is left out.
pub fn sources(d: &Device) -> Vec<Source<'_>> {
    let mut out = Vec::new();
    if snapshot::target(d).is_ok() {
        out.push(Source::Snapshot);
    }
    let open = |s: &&Stream| s.status.answers() && s.same_as.is_none();
    out.extend(
        d.streams
            .iter()
            .filter(open)
            .filter(|s| s.protocol == Protocol::Mjpeg)
            .map(Source::Mjpeg),
    );
    let mut video: Vec<&Stream> = d
        .streams
        .iter()
        .filter(open)
        .filter(|s| {
            matches!(
                s.protocol,
                Protocol::Rtsp
                    | Protocol::Rtmp
                    | Protocol::Hls
                    | Protocol::Dash
                    | Protocol::Flv
                    | Protocol::Ts
            )
        })
        .filter(|s| s.video.is_some() || s.verified)
        .collect();
    let pixels = |s: &Stream| {
        s.video
            .as_ref()
            .and_then(|v| Some(u64::from(v.width?) * u64::from(v.height?)))
            .unwrap_or(u64::MAX)
    };
    video.sort_by_key(|s| (!s.verified, pixels(s)));
    out.extend(video.into_iter().map(Source::Video));
    out
}

/// Take a picture of every camera of `devices` (those [`super::is_camera`] counts), at most
/// [`PARALLEL`] at once. `credentials` are the scan's; `ffmpeg` decodes video and scales (none:
/// snapshots and MJPEG frames only, unscaled).
pub async fn gather(
    devices: &[Device],
    credentials: &[Credential],
    ffmpeg: Option<&Path>,
) -> Pictures {
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(PARALLEL));
    let mut tasks = tokio::task::JoinSet::new();
    for d in devices.iter().filter(|d| super::is_camera(d)) {
        let (d, creds) = (d.clone(), credentials.to_vec());
        let ffmpeg = ffmpeg.map(Path::to_path_buf);
        let gate = gate.clone();
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await;
            let started = Instant::now();
            let got = tokio::time::timeout(DEADLINE, take(&d, &creds, ffmpeg.as_deref())).await;
            let got = match got {
                Ok(r) => r,
                Err(_) => Err(format!(
                    "no picture within {}",
                    error::fmt_duration(DEADLINE)
                )),
            };
            let got = got.map(|mut t| {
                t.took = started.elapsed();
                t
            });
            (d.ip, got)
        });
    }
    let mut out = Pictures::new();
    while let Some(done) = tasks.join_next().await {
        if let Ok((ip, got)) = done {
            out.insert(ip, got);
        }
    }
    out
}

/// One camera: each source in turn until one gives a picture; else every reason, in order.
async fn take(
    d: &Device,
    creds: &[Credential],
    ffmpeg: Option<&Path>,
) -> Result<Thumbnail, String> {
    let mut why: Vec<String> = Vec::new();
    for source in sources(d) {
        let got = match source {
            Source::Snapshot => snapshot::fetch(d, creds.to_vec())
                .await
                .map(|i| (i.media_type, i.bytes, How::Snapshot, None))
                .map_err(|e| match e {
                    snapshot::SnapshotError::NoUrl(s) | snapshot::SnapshotError::Camera(s) => {
                        format!("snapshot: {s}")
                    }
                }),
            Source::Mjpeg(s) => mjpeg_frame(d, s, creds)
                .await
                .map(|b| ("image/jpeg", b, How::MjpegFrame, None))
                .map_err(|e| format!("MJPEG {}: {e}", s.url)),
            Source::Video(s) => match ffmpeg {
                None => Err(format!(
                    "{} {}: ffmpeg is not installed (Debian package ffmpeg; or --ffmpeg PATH) to \
                     decode its video",
                    s.protocol.as_str().to_uppercase(),
                    s.url
                )),
                Some(ffmpeg) => keyframe(ffmpeg, d, s, creds)
                    .await
                    .map(|b| {
                        let codec = s.video.as_ref().map(|v| v.codec.clone());
                        ("image/jpeg", b, How::Keyframe, codec)
                    })
                    .map_err(|e| format!("{} {}: {e}", s.protocol.as_str().to_uppercase(), s.url)),
            },
        };
        match got {
            Ok((media_type, bytes, how, codec)) => {
                let from = match source {
                    Source::Snapshot => snapshot::target(d)
                        .map(|(u, _, _)| u.to_string())
                        .unwrap_or_default(),
                    Source::Mjpeg(s) | Source::Video(s) => s.url.clone(),
                };
                let (media_type, bytes) = match (ffmpeg, how) {
                    // A keyframe is already scaled; a camera's own JPEG may be full size.
                    (Some(ffmpeg), How::Snapshot | How::MjpegFrame) => {
                        match scale(ffmpeg, &bytes).await {
                            Ok(small) if small.len() < bytes.len() => ("image/jpeg", small),
                            _ => (media_type, bytes),
                        }
                    }
                    _ => (media_type, bytes),
                };
                return Ok(Thumbnail {
                    media_type,
                    bytes,
                    how,
                    from,
                    codec,
                    took: Duration::ZERO,
                });
            }
            Err(e) => why.push(e),
        }
    }
    if why.is_empty() {
        let streams = d.streams.len();
        return Err(if streams == 0 {
            "no snapshot URL and no stream camscan could open".into()
        } else {
            "no snapshot URL, and none of its streams opened (they ask for credentials \
             camscan was not given, or were not found)"
                .into()
        });
    }
    Err(why.join("; "))
}

/// The address and path of `url`, when it is one of `d`'s own addresses (a device never makes
/// camscan fetch from elsewhere).
fn own_address(d: &Device, url: &str) -> Result<(SocketAddr, String, bool), String> {
    let u = url::Url::parse(url).map_err(|e| format!("its URL does not parse: {e}"))?;
    let ip: IpAddr = match u.host() {
        Some(url::Host::Ipv4(a)) => IpAddr::V4(a),
        Some(url::Host::Ipv6(a)) => IpAddr::V6(a),
        _ => return Err("its URL names a host, not one of the camera's addresses".into()),
    };
    if ip != d.ip && !d.addresses.contains(&ip) {
        return Err(format!("its URL points at {ip}, not at the camera"));
    }
    let tls = u.scheme() == "https";
    let port = u.port_or_known_default().unwrap_or(80);
    let mut path = u.path().to_string();
    if let Some(q) = u.query() {
        path.push('?');
        path.push_str(q);
    }
    Ok((SocketAddr::new(ip, port), path, tls))
}

/// The first whole JPEG of the MJPEG stream `s`, logging in as the scan did.
async fn mjpeg_frame(d: &Device, s: &Stream, creds: &[Credential]) -> Result<Vec<u8>, String> {
    let (addr, path, tls) = own_address(d, &s.url)?;
    let step = Duration::from_secs(4);
    let mut got = http::open_get(addr, &path, tls, step, step)
        .await
        .map_err(|e| e.to_string())?;
    if got.head.status == 401 {
        let Some((user, password)) = store::working_credential(s, d.ip, creds) else {
            return Err("it asks for credentials and none opened it in the scan".into());
        };
        let challenges: Vec<&str> = got.head.headers_named("www-authenticate").collect();
        let Some(authorization) = http::answer_challenges(&challenges, &user, &password, &path)
        else {
            return Err("its 401 has no challenge camscan can answer".into());
        };
        got = http::open_get_as(addr, &path, tls, Some(&authorization), step, step)
            .await
            .map_err(|e| e.to_string())?;
    }
    if got.head.status != 200 {
        return Err(format!("it answered {}", got.head.status));
    }
    let ctype = got.head.header("content-type").unwrap_or("").to_string();
    let deadline = tokio::time::Instant::now() + step;
    let mut parts = mjpeg::Parts::new(&ctype);
    let mut read = 0usize;
    loop {
        parts
            .feed(&got.body)
            .map_err(|_| "a multipart stream with no boundary".to_string())?;
        read += got.body.len();
        got.body.clear();
        while let Some(part) = parts.next_part().map_err(|e| e.to_string())? {
            if snapshot::image_type(&part.body) == Some("image/jpeg") {
                return Ok(part.body);
            }
        }
        if read > MJPEG_CAP {
            return Err(format!("no whole JPEG in its first {MJPEG_CAP} bytes"));
        }
        match got.read_more(deadline).await {
            Ok(0) => return Err("the stream ended before a whole JPEG".into()),
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// One keyframe of `s`, decoded and scaled by ffmpeg, as a JPEG. A stream that needs a
/// credential never has it on ffmpeg's command line: an RTSP stream camscan depacketizes (H.264,
/// H.265, JPEG) is fetched by camscan's own client and its keyframe piped to ffmpeg; any other is
/// named to ffmpeg in a concat script on its stdin ([`analyze::ffconcat`]).
async fn keyframe(
    ffmpeg: &Path,
    d: &Device,
    s: &Stream,
    creds: &[Credential],
) -> Result<Vec<u8>, String> {
    let (url, in_url) = credentials::split_userinfo(&s.url);
    let cred = in_url.or_else(|| {
        store::working_credential(s, d.ip, creds).map(|(username, password)| Credential {
            username,
            password,
            scope: None,
        })
    });
    let socket = DEADLINE / 2;
    let mut args: Vec<String> = ["-hide_banner", "-nostdin", "-v", "error"]
        .map(String::from)
        .to_vec();
    if let (Some(c), Protocol::Rtsp) = (&cred, s.protocol) {
        let step = Duration::from_secs(4);
        match rtsp_keyframe::first(&url, Some(c), step, socket).await {
            Ok(k) => {
                args.extend(["-f", k.format, "-i", "pipe:0"].map(String::from));
                args.extend(output_args());
                return run_ffmpeg(ffmpeg, &args, Some(k.bytes)).await;
            }
            Err(KeyframeError::Failed(why)) => return Err(why),
            // Not depacketized here: ffmpeg opens it, the credential on its stdin.
            Err(KeyframeError::Codec(_)) => {}
        }
    }
    let socket = socket.as_micros().to_string();
    let mut options: Vec<(&str, String)> = Vec::new();
    if s.protocol == Protocol::Rtsp {
        options.extend([("rtsp_transport", "tcp".into()), ("timeout", socket)]);
    } else {
        options.push(("rw_timeout", socket));
    }
    // Decode keyframes only: the first picture is whole, never the grey smear of a frame whose
    // reference was missed. ffmpeg's stream probe would then wait its whole 5 s default (it
    // sees no decoded frame): 1 s is plenty, the picture's size comes with the keyframe
    // (measured on GStreamer's H.264 server: 5.4 s by default, 1.5 s so).
    options.push(("analyzeduration", "1000000".into()));
    let input = ffconcat::input(&url, cred.as_ref(), &options);
    if input.stdin.is_some() {
        // The concat demuxer probes what the URL's demuxer hands on: as briefly.
        args.extend(["-analyzeduration", "1000000"].map(String::from));
    }
    args.extend(["-skip_frame", "nokey"].map(String::from));
    args.extend(input.args);
    args.extend(output_args());
    run_ffmpeg(ffmpeg, &args, input.stdin).await
}

/// ffmpeg's output options: one frame, at most [`WIDTH`] wide, as a JPEG on stdout.
fn output_args() -> Vec<String> {
    [
        "-an",
        "-frames:v",
        "1",
        "-vf",
        &format!("scale='min({WIDTH},iw)':-2"),
        "-q:v",
        "5",
        "-f",
        "image2pipe",
        "-c:v",
        "mjpeg",
        "pipe:1",
    ]
    .map(String::from)
    .to_vec()
}

/// A camera's own picture made smaller.
async fn scale(ffmpeg: &Path, image: &[u8]) -> Result<Vec<u8>, String> {
    let mut args: Vec<String> = ["-hide_banner", "-nostdin", "-v", "error", "-i", "pipe:0"]
        .map(String::from)
        .to_vec();
    args.extend(output_args());
    run_ffmpeg(ffmpeg, &args, Some(image.to_vec())).await
}

/// Run ffmpeg with `args` (feeding `input` on stdin), under [`DEADLINE`]; its stdout must be a
/// JPEG.
async fn run_ffmpeg(
    ffmpeg: &Path,
    args: &[String],
    input: Option<Vec<u8>>,
) -> Result<Vec<u8>, String> {
    let mut child = tokio::process::Command::new(ffmpeg)
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", ffmpeg.display()))?;
    if let (Some(bytes), Some(mut stdin)) = (input, child.stdin.take()) {
        tokio::spawn(async move {
            let _ = stdin.write_all(&bytes).await;
        });
    }
    let (Some(mut stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err("ffmpeg's output is not readable".into());
    };
    let work = async {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let mut stdout = (&mut stdout).take(MAX_PICTURE as u64);
        let mut stderr = (&mut stderr).take(64 * 1024);
        let (r1, r2) = tokio::join!(stdout.read_to_end(&mut out), stderr.read_to_end(&mut err));
        r1.map_err(|e| e.to_string())?;
        let _ = r2;
        let status = child.wait().await.map_err(|e| e.to_string())?;
        Ok::<_, String>((status, out, err))
    };
    let (status, out, err) = tokio::time::timeout(DEADLINE, work).await.map_err(|_| {
        format!(
            "ffmpeg gave no picture within {}",
            error::fmt_duration(DEADLINE)
        )
    })??;
    if snapshot::image_type(&out) == Some("image/jpeg") {
        return Ok(out);
    }
    let said = String::from_utf8_lossy(&err);
    let said = said
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    Err(format!(
        "ffmpeg gave no picture ({status}{}{})",
        if said.is_empty() { "" } else { ": " },
        sanitize::terminal(&redact(said))
    ))
}

/// ffmpeg's words with any `user:password@` taken out of URLs in them.
fn redact(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find("://") {
        out.push_str(&rest[..i + 3]);
        rest = &rest[i + 3..];
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '/' || c == '\'' || c == '"')
            .unwrap_or(rest.len());
        if let Some(at) = rest[..end].rfind('@') {
            out.push_str("***@");
            rest = &rest[at + 1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::StreamStatus;
    use model::{OnvifInfo, OnvifProfile, VideoInfo};

    fn stream(url: &str, protocol: Protocol, verified: bool, size: Option<(u32, u32)>) -> Stream {
        let mut s = Stream::new(url.into(), protocol, 554);
        s.verified = verified;
        s.video = size.map(|(w, h)| {
            let mut v = VideoInfo::new("h264".into());
            (v.width, v.height) = (Some(w), Some(h));
            v
        });
        s
    }

    #[test]
    fn snapshot_first_then_mjpeg_then_the_smallest_verified_video() {
        let mut d = Device::new("10.0.0.5".parse().unwrap());
        d.streams = vec![
            stream(
                "rtsp://10.0.0.5/main",
                Protocol::Rtsp,
                true,
                Some((1920, 1080)),
            ),
            stream(
                "rtsp://10.0.0.5/sub",
                Protocol::Rtsp,
                true,
                Some((640, 360)),
            ),
            stream(
                "rtsp://10.0.0.5/unverified",
                Protocol::Rtsp,
                false,
                Some((320, 180)),
            ),
            stream("http://10.0.0.5/video.mjpg", Protocol::Mjpeg, true, None),
        ];
        let mut locked = stream("rtsp://10.0.0.5/locked", Protocol::Rtsp, false, None);
        locked.status = StreamStatus::AuthRequired;
        d.streams.push(locked);
        let mut alias = stream("rtsp://10.0.0.5/alias", Protocol::Rtsp, true, Some((1, 1)));
        alias.same_as = Some("rtsp://10.0.0.5/sub".into());
        d.streams.push(alias);
        d.onvif = Some(OnvifInfo {
            profiles: vec![OnvifProfile {
                snapshot_uri: Some("http://10.0.0.5/snap.jpg".into()),
                ..OnvifProfile::default()
            }],
            ..OnvifInfo::default()
        });
        let urls: Vec<String> = sources(&d)
            .iter()
            .map(|s| match s {
                Source::Snapshot => "snapshot".to_string(),
                Source::Mjpeg(s) | Source::Video(s) => s.url.clone(),
            })
            .collect();
        assert_eq!(
            urls,
            [
                "snapshot",
                "http://10.0.0.5/video.mjpg",
                "rtsp://10.0.0.5/sub",
                "rtsp://10.0.0.5/main",
                "rtsp://10.0.0.5/unverified"
            ]
        );
    }

    #[test]
    fn a_snapshot_elsewhere_is_no_source() {
        let mut d = Device::new("10.0.0.5".parse().unwrap());
        d.onvif = Some(OnvifInfo {
            profiles: vec![OnvifProfile {
                snapshot_uri: Some("http://203.0.113.9/snap.jpg".into()),
                ..OnvifProfile::default()
            }],
            ..OnvifInfo::default()
        });
        assert!(sources(&d).is_empty());
        assert!(own_address(&d, "http://203.0.113.9/x.mjpg").is_err());
        assert_eq!(
            own_address(&d, "https://10.0.0.5:8443/x.mjpg?a=1").unwrap(),
            (
                "10.0.0.5:8443".parse().unwrap(),
                "/x.mjpg?a=1".to_string(),
                true
            )
        );
    }

    #[test]
    fn ffmpeg_words_lose_their_passwords() {
        assert_eq!(
            redact("rtsp://admin:s3cr%40t@10.0.0.5:554/x: 401 Unauthorized"),
            "rtsp://***@10.0.0.5:554/x: 401 Unauthorized"
        );
        assert_eq!(redact("Connection refused"), "Connection refused");
        assert_eq!(redact("http://10.0.0.5/a@b"), "http://10.0.0.5/a@b");
    }
}
