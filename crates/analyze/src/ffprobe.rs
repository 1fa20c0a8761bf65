//! Optional enrichment by ffprobe (`--ffprobe [PATH]`): never required, run only when asked, under a
//! deadline, killed if it overruns. It fills what our own analysis left empty, and is the fallback
//! when our analysis got nothing from a stream.
//!
//! ffmpeg takes credentials only inside the URL; with credentials the URL goes to ffprobe in a concat
//! script on its stdin ([`super::ffconcat`]), never on its command line, where every local user
//! reads it (`ps`, `/proc/PID/cmdline`).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use super::ffconcat;
use credentials::Credential;
use error::AnalyzeError;
use error::fmt_duration;
use input::setting::Repeat;
use model::{AudioInfo, Stream, VideoInfo};
use proto::ffprobe::{Probed, parse};

/// `--ffprobe [PATH]` (config `ffprobe:`): the ffprobe asked, none by default; the flag alone
/// is `ffprobe`, found on PATH (`cmds::scan::Scan`'s `BARE`).
pub static FFPROBE: input::setting::Setting<Option<std::path::PathBuf>> = input::setting::Setting {
    key: "ffprobe",
    flag: "--ffprobe",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_FFPROBE",
    value_name: "PATH",
    help: "Also ask ffprobe (from PATH, or the given path) about each verified stream, to fill facts our own analysis left empty. Off by default",
    default: None,
    choices: None,
    parse: input::setting::path,
};

/// Run ffprobe on `url` and parse what it says.
pub async fn probe(
    ffprobe: &Path,
    url: &str,
    cred: Option<&Credential>,
    timeout: Duration,
) -> Result<Probed, AnalyzeError> {
    let input = ffconcat::input(
        url,
        cred,
        &[
            ("rtsp_transport", "tcp".into()),
            // ffmpeg's socket timeout, in microseconds, so ffprobe gives up on its own too.
            ("timeout", timeout.as_micros().to_string()),
        ],
    );
    let mut child = tokio::process::Command::new(ffprobe)
        .args(["-v", "error", "-show_streams", "-of", "json"])
        .args(&input.args)
        .stdin(if input.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| AnalyzeError::Tool(format!("cannot run {}: {e}", ffprobe.display())))?;
    if let (Some(script), Some(mut stdin)) = (input.stdin, child.stdin.take()) {
        // A few hundred bytes: the pipe takes them at once; dropping stdin ends the script.
        tokio::spawn(async move {
            let _ = stdin.write_all(&script).await;
        });
    }
    let out = tokio::time::timeout(timeout * 3, child.wait_with_output())
        .await
        .map_err(|_| {
            AnalyzeError::Tool(format!(
                "ffprobe {url}: no result within {}",
                fmt_duration(timeout * 3)
            ))
        })?
        .map_err(|e| AnalyzeError::Tool(format!("ffprobe {url}: {e}")))?;
    if !out.status.success() {
        return Err(AnalyzeError::Tool(format!(
            "ffprobe {url}: exited with {}",
            out.status
        )));
    }
    parse(&out.stdout).ok_or_else(|| {
        AnalyzeError::Tool(format!("ffprobe {url}: output is not the JSON expected"))
    })
}

/// Fill the stream's empty facts from ffprobe's. Returns whether anything was added.
pub fn enrich(stream: &mut Stream, p: &Probed) -> bool {
    let mut added = false;
    if let Some(codec) = &p.video_codec {
        let v = stream.video.get_or_insert_with(|| {
            added = true;
            VideoInfo::new(codec.clone())
        });
        if v.width.is_none() && p.width.is_some() {
            (v.width, v.height, added) = (p.width, p.height, true);
        }
        if v.fps.is_none() && p.fps.is_some() {
            (v.fps, v.fps_source, added) = (p.fps, Some("ffprobe".into()), true);
        }
        if v.profile.is_none() && p.profile.is_some() {
            (v.profile, added) = (p.profile.clone(), true);
        }
    }
    if let Some(codec) = &p.audio_codec {
        let a = stream.audio.get_or_insert_with(|| {
            added = true;
            AudioInfo {
                codec: codec.clone(),
                sample_rate: None,
                channels: None,
            }
        });
        if a.sample_rate.is_none() && p.sample_rate.is_some() {
            (a.sample_rate, added) = (p.sample_rate, true);
        }
        if a.channels.is_none() && p.channels.is_some() {
            (a.channels, added) = (p.channels, true);
        }
    }
    added
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::Protocol;

    #[test]
    fn fills_only_what_is_missing() {
        let mut s = Stream::new("rtsp://x/".into(), Protocol::Rtsp, 554);
        s.verified = true;
        s.video = Some(VideoInfo {
            fps: Some(10.0),
            fps_source: Some("rtp".into()),
            ..VideoInfo::new("mjpeg".into())
        });
        let p = Probed {
            video_codec: Some("mjpeg".into()),
            width: Some(640),
            height: Some(480),
            fps: Some(25.0), // ffprobe's MJPEG default: must not replace a measured rate
            audio_codec: Some("pcmu".into()),
            sample_rate: Some(8000),
            channels: Some(1),
            ..Default::default()
        };
        assert!(enrich(&mut s, &p));
        let v = s.video.as_ref().unwrap();
        assert_eq!(
            (v.width, v.height, v.fps),
            (Some(640), Some(480), Some(10.0))
        );
        assert_eq!(s.audio.as_ref().unwrap().codec, "pcmu");
        assert!(!enrich(&mut s, &p), "nothing left to add");
    }
}
