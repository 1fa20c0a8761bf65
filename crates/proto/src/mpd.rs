//! MPEG-DASH manifests (ISO/IEC 23009-1 MPD, `application/dash+xml`): what each Representation is.
//!
//! A DASH source (an NVR, a media server in front of cameras, or ffmpeg's `-f dash`) publishes an MPD
//! whose `Representation`s carry the codec, size, frame rate and bandwidth. The standard lets the
//! "common attributes" (`mimeType`, `codecs`, `width`, `height`, `frameRate`, `audioSamplingRate`, and
//! `contentType`) sit on the `AdaptationSet` instead (ISO/IEC 23009-1 §5.3.7); ffmpeg, for one, writes
//! `frameRate` only on the AdaptationSet. A Representation inherits them unless it sets its own.
//!
//! The XML goes through [`super::xml::walk_with_attrs`], so depth, element count and attribute sizes
//! are bounded and entities are never expanded; at most [`MAX_REPRESENTATIONS`] are kept, across all
//! Periods.

use super::xml::{Attr, Node, attr, walk_with_attrs};

/// Most Representations kept (a camera offers 1-4, a broadcast ladder about 10 per Period).
pub const MAX_REPRESENTATIONS: usize = 64;
/// Most characters kept of any attribute we copy out.
const MAX_VALUE: usize = 256;

/// The facts an MPD gives about a presentation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Manifest {
    /// `profiles`, split on commas, e.g. `["urn:mpeg:dash:profile:isoff-live:2011"]`.
    pub profiles: Vec<String>,
    /// `type="dynamic"`: a live presentation (the default, `static`, is on-demand).
    pub dynamic: bool,
    /// `mediaPresentationDuration`, seconds.
    pub media_presentation_duration: Option<f64>,
    /// `minBufferTime`, seconds.
    pub min_buffer_time: Option<f64>,
    /// In document order, at most [`MAX_REPRESENTATIONS`].
    pub representations: Vec<Representation>,
}

/// One Representation, with what it inherited from its AdaptationSet already filled in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Representation {
    pub id: Option<String>,
    /// `mimeType`, e.g. `video/mp4`.
    pub mime_type: Option<String>,
    /// `contentType` of the AdaptationSet (or Representation), e.g. `video`.
    pub content_type: Option<String>,
    /// `codecs` (RFC 6381), e.g. `avc1.64001e`; see [`super::hls::codec_name`].
    pub codecs: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// `frameRate` (`25`, `30000/1001`), frames per second rounded to 3 decimals.
    pub frame_rate: Option<f64>,
    /// `bandwidth`, bits per second.
    pub bandwidth: Option<u64>,
    /// `audioSamplingRate`, Hz (the first number when a range `min max` is given).
    pub audio_sampling_rate: Option<u32>,
    /// Its `SegmentTemplate` (its own, else its AdaptationSet's): where its segments are.
    pub template: Option<SegmentTemplate>,
}

/// Most `S` entries of a `SegmentTimeline` read (a live window holds a few dozen).
pub const MAX_TIMELINE: usize = 1024;

/// A `SegmentTemplate` (ISO/IEC 23009-1 §5.3.9.4): URL templates with `$RepresentationID$`,
/// `$Bandwidth$`, `$Number$` and `$Time$` (each may carry a `%0Nd` width), the first number, and
/// the `SegmentTimeline` entries when there is one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SegmentTemplate {
    pub media: Option<String>,
    pub initialization: Option<String>,
    /// `startNumber`, 1 when absent.
    pub start_number: u64,
    /// `S` entries: start time (`t`, else where the previous ended), duration `d`, repeats `r`.
    pub timeline: Vec<(Option<u64>, u64, u64)>,
}

impl SegmentTemplate {
    fn from_attrs(attrs: &[Attr]) -> Self {
        SegmentTemplate {
            media: attr(attrs, "media").map(clip),
            initialization: attr(attrs, "initialization").map(clip),
            start_number: attr(attrs, "startNumber")
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(1),
            timeline: Vec::new(),
        }
    }

    /// The number and start time of the newest segment the timeline lists (the one a live server
    /// surely still has), or of the first when there is no timeline.
    fn newest(&self) -> (u64, u64) {
        let (mut number, mut time) = (self.start_number, 0u64);
        let mut next_time = 0u64;
        let mut first = true;
        for &(t, d, r) in &self.timeline {
            let start = t.unwrap_or(next_time);
            for k in 0..=r.min(100_000) {
                if !first {
                    number = number.saturating_add(1);
                }
                first = false;
                time = start.saturating_add(d.saturating_mul(k));
            }
            next_time = time.saturating_add(d);
        }
        (number, time)
    }
}

impl Representation {
    /// The path (relative to the manifest) of this representation's newest listed media segment,
    /// and of its initialization segment, from its `SegmentTemplate`.
    pub fn newest_segment(&self) -> Option<(String, Option<String>)> {
        let t = self.template.as_ref()?;
        let (number, time) = t.newest();
        let media = self.fill(t.media.as_deref()?, number, time)?;
        let init = t
            .initialization
            .as_deref()
            .and_then(|i| self.fill(i, number, time));
        Some((media, init))
    }

    /// A template with its identifiers replaced (§5.3.9.4.4); `None` for an unknown identifier.
    fn fill(&self, template: &str, number: u64, time: u64) -> Option<String> {
        let mut out = String::new();
        let mut rest = template;
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let end = after.find('$')?;
            let ident = &after[..end];
            rest = &after[end + 1..];
            let (name, format) = ident.split_once('%').unwrap_or((ident, ""));
            let width: usize = format
                .strip_prefix('0')
                .unwrap_or(format)
                .strip_suffix('d')
                .unwrap_or("")
                .parse()
                .unwrap_or(0)
                .min(20);
            let value = match name {
                "" => "$".to_string(),
                "RepresentationID" => self.id.clone()?,
                "Bandwidth" => self.bandwidth?.to_string(),
                "Number" => number.to_string(),
                "Time" => time.to_string(),
                _ => return None,
            };
            out.push_str(&format!("{value:0>width$}"));
        }
        out.push_str(rest);
        Some(out)
    }

    /// Video, by content type, MIME type, or a video codec.
    pub fn is_video(&self) -> bool {
        self.kind_is("video", super::hls::MediaKind::Video)
    }

    /// Audio, by content type, MIME type, or an audio codec.
    pub fn is_audio(&self) -> bool {
        self.kind_is("audio", super::hls::MediaKind::Audio)
    }

    fn kind_is(&self, word: &str, kind: super::hls::MediaKind) -> bool {
        let starts = |o: &Option<String>| o.as_deref().is_some_and(|s| s.starts_with(word));
        starts(&self.content_type)
            || starts(&self.mime_type)
            || self
                .codecs
                .as_deref()
                .and_then(super::hls::codec_name)
                .is_some_and(|(k, _)| k == kind)
    }
}

/// Parse an MPD. `None` when the root element is not `MPD` (whatever its namespace prefix).
pub fn parse(xml: &str) -> Option<Manifest> {
    let mut manifest = Manifest::default();
    let mut is_mpd = false;
    // The attributes of the AdaptationSet we are inside, as a template for its Representations.
    let mut set = Representation::default();
    walk_with_attrs(xml, |node, attrs| {
        let Node::Start(path) = node else { return };
        let (Some(name), depth) = (path.last(), path.len()) else {
            return;
        };
        match (depth, name.as_str()) {
            (1, "MPD") => {
                is_mpd = true;
                read_mpd(&mut manifest, attrs);
            }
            (_, "AdaptationSet") if is_mpd => {
                set = Representation::default();
                apply_common(&mut set, attrs);
            }
            (_, "SegmentTemplate") if is_mpd && depth >= 2 => {
                let t = SegmentTemplate::from_attrs(attrs);
                match path[depth - 2].as_str() {
                    "AdaptationSet" => set.template = Some(t),
                    "Representation" => {
                        if let Some(r) = manifest.representations.last_mut() {
                            r.template = Some(t);
                        }
                    }
                    _ => {}
                }
            }
            (_, "S")
                if is_mpd
                    && depth >= 4
                    && path[depth - 2] == "SegmentTimeline"
                    && path[depth - 3] == "SegmentTemplate" =>
            {
                let template = match path[depth - 4].as_str() {
                    "AdaptationSet" => set.template.as_mut(),
                    "Representation" => manifest
                        .representations
                        .last_mut()
                        .and_then(|r| r.template.as_mut()),
                    _ => None,
                };
                let number = |n: &str| attr(attrs, n).and_then(|v| v.trim().parse::<u64>().ok());
                if let (Some(tl), Some(d)) = (template, number("d"))
                    && tl.timeline.len() < MAX_TIMELINE
                {
                    // r = -1 (repeat until the next S) is read as no repeat.
                    tl.timeline.push((number("t"), d, number("r").unwrap_or(0)));
                }
            }
            (_, "Representation")
                if is_mpd
                    && depth >= 2
                    && path[depth - 2] == "AdaptationSet"
                    && manifest.representations.len() < MAX_REPRESENTATIONS =>
            {
                let mut r = set.clone();
                apply_common(&mut r, attrs);
                r.id = attr(attrs, "id").map(clip);
                r.bandwidth = attr(attrs, "bandwidth").and_then(|b| b.trim().parse().ok());
                manifest.representations.push(r);
            }
            _ => {}
        }
    });
    is_mpd.then_some(manifest)
}

fn read_mpd(m: &mut Manifest, attrs: &[Attr]) {
    m.profiles = attr(attrs, "profiles")
        .map(|p| {
            p.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .take(16)
                .map(clip)
                .collect()
        })
        .unwrap_or_default();
    m.dynamic = attr(attrs, "type").is_some_and(|t| t.trim() == "dynamic");
    m.media_presentation_duration = attr(attrs, "mediaPresentationDuration").and_then(duration);
    m.min_buffer_time = attr(attrs, "minBufferTime").and_then(duration);
}

/// Copy the common attributes present in `attrs` over `r` (absent ones keep the inherited value).
fn apply_common(r: &mut Representation, attrs: &[Attr]) {
    let text = |n: &str| {
        attr(attrs, n)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(clip)
    };
    let number = |n: &str| attr(attrs, n).and_then(|v| v.trim().parse::<u32>().ok());
    if let Some(v) = text("mimeType") {
        r.mime_type = Some(v);
    }
    if let Some(v) = text("contentType") {
        r.content_type = Some(v);
    }
    if let Some(v) = text("codecs") {
        r.codecs = Some(v);
    }
    if let Some(v) = number("width") {
        r.width = Some(v);
    }
    if let Some(v) = number("height") {
        r.height = Some(v);
    }
    if let Some(v) = attr(attrs, "frameRate").and_then(frame_rate) {
        r.frame_rate = Some(v);
    }
    if let Some(v) = attr(attrs, "audioSamplingRate")
        .and_then(|a| a.split_whitespace().next())
        .and_then(|a| a.parse().ok())
    {
        r.audio_sampling_rate = Some(v);
    }
}

/// `frameRate` is `FrameRateType`: an integer, or `num/den` (ISO/IEC 23009-1 §5.3.12.2). A decimal is
/// accepted too. Rounded to 3 decimals like the rest of camscan's frame rates (`30000/1001` -> 29.97).
pub fn frame_rate(s: &str) -> Option<f64> {
    let s = s.trim();
    let f = match s.split_once('/') {
        Some((n, d)) => {
            let (n, d): (f64, f64) = (n.trim().parse().ok()?, d.trim().parse().ok()?);
            if d == 0.0 {
                return None;
            }
            n / d
        }
        None => s.parse().ok()?,
    };
    (f.is_finite() && f > 0.0).then(|| (f * 1000.0).round() / 1000.0)
}

/// An `xs:duration` (ISO 8601 `PnDTnHnMnS`) in seconds, e.g. `PT4.0S`, `PT1H2M3.5S`, `P1DT2H`. Years
/// and months have no fixed length and are refused (`None`), as are negative durations; DASH
/// manifests in practice use only the time part.
pub fn duration(s: &str) -> Option<f64> {
    let rest = s.trim().strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut total = 0.0;
    let mut any = false;
    for (part, units) in [
        (date, &[('D', 86_400.0)][..]),
        (
            time.unwrap_or_default(),
            &[('H', 3_600.0), ('M', 60.0), ('S', 1.0)][..],
        ),
    ] {
        let mut rest = part;
        for &(unit, scale) in units {
            if let Some((n, tail)) = rest.split_once(unit) {
                let n: f64 = n
                    .parse()
                    .ok()
                    .filter(|n: &f64| n.is_finite() && *n >= 0.0)?;
                total += n * scale;
                any = true;
                rest = tail;
            }
        }
        if !rest.is_empty() {
            return None;
        }
    }
    if time == Some("") {
        return None;
    }
    (any && total.is_finite()).then_some(total)
}

fn clip(s: &str) -> String {
    s.chars().take(MAX_VALUE).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ffmpeg 5.1 `-f dash` (tests/fixtures/dash/README.md): frameRate on the AdaptationSet only.
    #[test]
    fn ffmpeg_dash_manifest() {
        let m = parse(&crate::test_fixture_str("dash/manifest.mpd")).unwrap();
        assert_eq!(m.profiles, ["urn:mpeg:dash:profile:isoff-live:2011"]);
        assert!(!m.dynamic);
        assert_eq!(m.media_presentation_duration, Some(4.0));
        assert_eq!(m.min_buffer_time, Some(2.0));
        assert_eq!(m.representations.len(), 3);
        let v = &m.representations[0];
        assert_eq!(v.id.as_deref(), Some("0"));
        assert_eq!(v.mime_type.as_deref(), Some("video/mp4"));
        assert_eq!(v.content_type.as_deref(), Some("video"));
        assert_eq!(v.codecs.as_deref(), Some("avc1.64001e"));
        assert_eq!((v.width, v.height), (Some(640), Some(360)));
        assert_eq!(
            v.frame_rate,
            Some(29.97),
            "inherited from the AdaptationSet"
        );
        assert_eq!(v.bandwidth, Some(800_000));
        assert!(v.is_video() && !v.is_audio());
        let small = &m.representations[1];
        assert_eq!((small.width, small.height), (Some(320), Some(180)));
        assert_eq!(small.frame_rate, Some(29.97));
        let a = &m.representations[2];
        assert_eq!(a.codecs.as_deref(), Some("mp4a.40.2"));
        assert_eq!(a.audio_sampling_rate, Some(48_000));
        assert_eq!(
            a.frame_rate, None,
            "not leaked from the video AdaptationSet"
        );
        assert_eq!((a.width, a.bandwidth), (None, Some(64_000)));
        assert!(a.is_audio());
    }

    #[test]
    fn newest_segment_from_the_template_and_timeline() {
        let m = parse(&crate::test_fixture_str("dash/manifest.mpd")).unwrap();
        // ffmpeg: `<S t="0" d="30030" r="3" />` lists segments 1-4; the newest is 4.
        assert_eq!(
            m.representations[0].newest_segment(),
            Some((
                "chunk-stream0-00004.m4s".to_string(),
                Some("init-stream0.m4s".to_string())
            ))
        );
        // An AdaptationSet-level template with $Time$ and $Bandwidth$, a live window that slid.
        let xml = r#"<MPD type="dynamic"><Period><AdaptationSet contentType="video">
            <SegmentTemplate media="v/$Bandwidth$/$Time$.m4s" initialization="v/$$init.mp4" startNumber="40">
              <SegmentTimeline><S t="900" d="100" r="2"/><S d="50"/></SegmentTimeline>
            </SegmentTemplate>
            <Representation id="hd" bandwidth="2000"/></AdaptationSet></Period></MPD>"#;
        let r = &parse(xml).unwrap().representations[0];
        assert_eq!(
            r.newest_segment(),
            Some((
                "v/2000/1200.m4s".to_string(),
                Some("v/$init.mp4".to_string())
            ))
        );
        // No template, an unknown identifier, an unclosed one: no segment.
        let none = r#"<MPD><Period><AdaptationSet><SegmentTemplate media="a/$Foo$.m4s"/>
            <Representation id="x"/></AdaptationSet><AdaptationSet><SegmentTemplate media="b/$Number"/>
            <Representation id="y"/></AdaptationSet><AdaptationSet><Representation id="z"/></AdaptationSet></Period></MPD>"#;
        for r in parse(none).unwrap().representations {
            assert_eq!(r.newest_segment(), None, "{:?}", r.id);
        }
    }

    #[test]
    fn inheritance_and_override() {
        let xml = r#"<?xml version="1.0"?>
<dash:MPD xmlns:dash="urn:mpeg:dash:schema:mpd:2011" type="dynamic" profiles="urn:a, urn:b" minBufferTime="PT1.500S">
 <Period>
  <AdaptationSet mimeType="video/mp4" codecs="hvc1.1.6.L120.90" width="1920" height="1080" frameRate="25">
   <Representation id="main" bandwidth="4000000"/>
   <Representation id="sub" width="640" height="360" frameRate="12.5" bandwidth="500000" codecs="avc1.4d401e"/>
  </AdaptationSet>
  <AdaptationSet contentType="audio" audioSamplingRate="8000 16000">
   <Representation id="g711" mimeType="audio/mp4" codecs="ac-3" bandwidth="x"/>
  </AdaptationSet>
 </Period>
</dash:MPD>"#;
        let m = parse(xml).unwrap();
        assert!(m.dynamic);
        assert_eq!(m.profiles, ["urn:a", "urn:b"]);
        assert_eq!(m.media_presentation_duration, None);
        assert_eq!(m.min_buffer_time, Some(1.5));
        let [main, sub, audio] = &m.representations[..] else {
            panic!("{:?}", m.representations)
        };
        assert_eq!(main.codecs.as_deref(), Some("hvc1.1.6.L120.90"));
        assert_eq!((main.width, main.frame_rate), (Some(1920), Some(25.0)));
        assert_eq!(sub.codecs.as_deref(), Some("avc1.4d401e"));
        assert_eq!(
            (sub.width, sub.height, sub.frame_rate),
            (Some(640), Some(360), Some(12.5))
        );
        assert_eq!(audio.audio_sampling_rate, Some(8000));
        assert_eq!(audio.bandwidth, None);
        assert!(audio.is_audio());
    }

    #[test]
    fn frame_rates_and_durations() {
        assert_eq!(frame_rate("25"), Some(25.0));
        assert_eq!(frame_rate("30000/1001"), Some(29.97));
        assert_eq!(frame_rate("60000/1001"), Some(59.94));
        assert_eq!(frame_rate("1/0"), None);
        assert_eq!(frame_rate("0"), None);
        assert_eq!(frame_rate("-5"), None);
        assert_eq!(frame_rate("a/b"), None);
        assert_eq!(duration("PT4.0S"), Some(4.0));
        assert_eq!(duration("PT1H2M3.5S"), Some(3723.5));
        assert_eq!(duration("P1DT2H"), Some(93_600.0));
        assert_eq!(duration("PT0S"), Some(0.0));
        assert_eq!(duration("P1D"), Some(86_400.0));
        for bad in [
            "", "P", "PT", "4S", "P1Y", "P2M", "PT1X", "PT-1S", "-PT1S", "PT1S2", "PTS",
        ] {
            assert_eq!(duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn not_an_mpd_and_hostile_input() {
        assert_eq!(parse(""), None);
        assert_eq!(parse("<html><MPD/></html>"), None);
        assert_eq!(parse("not xml at all"), None);
        // A Representation outside an AdaptationSet is not one of ours.
        let m = parse("<MPD><Period><Representation id='x'/></Period></MPD>").unwrap();
        assert!(m.representations.is_empty());
        // Many representations are capped.
        let reps = "<Representation bandwidth='1'/>".repeat(10_000);
        let xml = format!("<MPD><Period><AdaptationSet>{reps}</AdaptationSet></Period></MPD>");
        assert_eq!(
            parse(&xml).unwrap().representations.len(),
            MAX_REPRESENTATIONS
        );
        // Truncated mid-way: what was read stays.
        let cut = "<MPD><Period><AdaptationSet width='320'><Representation id='a'/><Represent";
        assert_eq!(parse(cut).unwrap().representations[0].width, Some(320));
        // Huge attribute values are clipped.
        let big = format!(
            "<MPD><Period><AdaptationSet><Representation codecs='{}'/></AdaptationSet></Period></MPD>",
            "a".repeat(100_000)
        );
        assert_eq!(
            parse(&big).unwrap().representations[0]
                .codecs
                .as_ref()
                .unwrap()
                .len(),
            MAX_VALUE
        );
    }

    #[test]
    fn every_prefix_of_the_fixture() {
        let xml = &crate::test_fixture_str("dash/manifest.mpd");
        let mut seen = 0;
        for (i, _) in xml.char_indices() {
            if let Some(m) = parse(&xml[..i]) {
                assert!(m.representations.len() <= 3);
                seen = seen.max(m.representations.len());
            }
        }
        assert_eq!(seen, 3);
    }
}
