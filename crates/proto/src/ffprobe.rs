//! ffprobe's `-show_streams -of json` output, read into our codec vocabulary. Pure: bytes in, facts out;
//! tolerant of missing fields and of output that is not JSON at all.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Output {
    #[serde(default)]
    streams: Vec<RawStream>,
}

#[derive(Debug, Deserialize)]
struct RawStream {
    codec_type: Option<String>,
    codec_name: Option<String>,
    profile: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    avg_frame_rate: Option<String>,
    r_frame_rate: Option<String>,
    sample_rate: Option<String>,
    channels: Option<u16>,
}

/// What ffprobe says about a URL's first video and first audio stream.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Probed {
    pub video_codec: Option<String>,
    pub profile: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fps: Option<f64>,
    pub audio_codec: Option<String>,
    pub sample_rate: Option<u32>,
    pub channels: Option<u16>,
}

/// `25/1` -> 25.0; `0/0` and junk -> None.
fn rate(s: &str) -> Option<f64> {
    let (n, d) = s.split_once('/')?;
    let (n, d): (f64, f64) = (n.trim().parse().ok()?, d.trim().parse().ok()?);
    (d > 0.0 && n > 0.0).then(|| ((n / d) * 1000.0).round() / 1000.0)
}

/// ffmpeg codec names to ours (`hevc` -> `h265`, `pcm_alaw` -> `pcma`, ...).
pub fn codec_name(ffmpeg: &str) -> String {
    match ffmpeg {
        "hevc" => "h265".into(),
        "mpeg4" => "mpeg4".into(),
        "pcm_alaw" => "pcma".into(),
        "pcm_mulaw" => "pcmu".into(),
        "adpcm_g722" => "g722".into(),
        "adpcm_g726" | "adpcm_g726le" => "g726".into(),
        "pcm_s16be" => "l16".into(),
        other => other.chars().take(32).collect(),
    }
}

pub fn parse(json: &[u8]) -> Option<Probed> {
    let out: Output = serde_json::from_slice(json).ok()?;
    let mut p = Probed::default();
    if let Some(v) = out
        .streams
        .iter()
        .find(|s| s.codec_type.as_deref() == Some("video"))
    {
        p.video_codec = v.codec_name.as_deref().map(codec_name);
        p.profile = v.profile.as_ref().map(|s| s.to_ascii_lowercase());
        p.width = v.width.filter(|w| *w > 0);
        p.height = v.height.filter(|h| *h > 0);
        p.fps = v
            .avg_frame_rate
            .as_deref()
            .and_then(rate)
            .or_else(|| v.r_frame_rate.as_deref().and_then(rate));
    }
    if let Some(a) = out
        .streams
        .iter()
        .find(|s| s.codec_type.as_deref() == Some("audio"))
    {
        p.audio_codec = a.codec_name.as_deref().map(codec_name);
        p.sample_rate = a.sample_rate.as_deref().and_then(|r| r.parse().ok());
        p.channels = a.channels;
    }
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gstreamer_h265_pcma_as_ffprobe_6_reports_it() {
        let json = br#"{"streams": [
            {"index": 0, "codec_name": "hevc", "profile": "Main", "codec_type": "video", "width": 1920,
             "height": 1080, "r_frame_rate": "15/1", "avg_frame_rate": "15/1", "level": 120},
            {"index": 1, "codec_name": "pcm_alaw", "codec_type": "audio", "sample_rate": "8000",
             "channels": 1, "r_frame_rate": "0/0", "avg_frame_rate": "0/0"}]}"#;
        let p = parse(json).unwrap();
        assert_eq!(p.video_codec.as_deref(), Some("h265"));
        assert_eq!(
            (p.width, p.height, p.fps),
            (Some(1920), Some(1080), Some(15.0))
        );
        assert_eq!(p.profile.as_deref(), Some("main"));
        assert_eq!(
            (p.audio_codec.as_deref(), p.sample_rate, p.channels),
            (Some("pcma"), Some(8000), Some(1))
        );
    }

    #[test]
    fn junk() {
        assert_eq!(parse(b"not json"), None);
        assert_eq!(parse(b"{}"), Some(Probed::default()));
        assert_eq!(rate("0/0"), None);
        assert_eq!(rate("30000/1001"), Some(29.97));
        assert_eq!(
            parse(br#"{"streams":[{"codec_type":"video","width":-1}]}"#),
            None
        );
    }
}
