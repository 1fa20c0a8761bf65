//! HLS playlists (RFC 8216): the master playlist's variants and a media playlist's segments, plus the
//! RFC 6381 codec strings both HLS and DASH use, in our codec vocabulary.
//!
//! A camera or NVR that serves `application/vnd.apple.mpegurl` (or a `.m3u8` path) answers with a text
//! playlist that must start with `#EXTM3U` (RFC 8216 §4.3.1.1; go2rtc checks the same prefix,
//! `docs/design/protocols.md`, "HTTP stream types"). What we need from it: which variants exist
//! (resolution, bandwidth, codecs, frame rate) or, for a media playlist, that segments exist and
//! whether it is live.
//!
//! Quirks handled: a UTF-8 BOM and blank lines before `#EXTM3U`; CRLF, LF or CR-only line ends;
//! attribute values with quoted commas (`CODECS="avc1.64001f,mp4a.40.2"`); lower-case `x` or `X` in
//! `RESOLUTION`; a decimal `#EXT-X-TARGETDURATION` (the RFC says integer; some servers write `2.000`);
//! a URI line with no `#EXTINF` before it (kept, duration unknown). Lines longer than [`MAX_LINE`] are
//! skipped, with the tag that announced them, so a hostile playlist cannot make us keep huge strings.

use url::Url;

/// Longest playlist line read; longer lines are skipped (real URIs with tokens stay under 2 KiB).
pub const MAX_LINE: usize = 8 * 1024;
/// Most variants kept from a master playlist (cameras offer 1-3; ffmpeg ladders rarely exceed 10).
pub const MAX_VARIANTS: usize = 64;
/// Most segments kept from a media playlist; a sliding live window holds 3-10, a long VOD thousands.
pub const MAX_SEGMENTS: usize = 256;
/// Most attributes read from one `#EXT-X-STREAM-INF` (RFC 8216 §4.3.4.2 defines 10).
pub const MAX_ATTRIBUTES: usize = 32;
/// Most codec strings kept per variant.
pub const MAX_CODECS: usize = 8;

/// A parsed playlist: master (a list of variants) or media (a list of segments).
#[derive(Debug, Clone, PartialEq)]
pub enum Playlist {
    Master {
        /// In playlist order, at most [`MAX_VARIANTS`].
        variants: Vec<Variant>,
    },
    Media {
        /// `#EXT-X-TARGETDURATION`, seconds (rounded up when a server writes a decimal).
        target_duration: Option<u32>,
        /// At most [`MAX_SEGMENTS`], in playlist order.
        segments: Vec<Segment>,
        /// Segments in the playlist, including those beyond [`MAX_SEGMENTS`] that were not kept.
        segment_count: usize,
        /// `#EXT-X-MEDIA-SEQUENCE` (0 when absent, RFC 8216 §4.3.3.2).
        media_sequence: u64,
        /// `#EXT-X-ENDLIST` seen: the playlist will not grow (VOD or a finished event). Live camera
        /// streams leave it out.
        ended: bool,
        /// The URI of the first `#EXT-X-MAP` (RFC 8216 §4.3.2.5): the fMP4 init segment that names the
        /// codecs; `None` for MPEG-TS segments.
        map: Option<String>,
    },
}

/// One `#EXT-X-STREAM-INF` and the URI line after it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Variant {
    /// As written; see [`resolve`] to make it absolute.
    pub uri: String,
    /// `BANDWIDTH`, peak bits per second.
    pub bandwidth: Option<u64>,
    /// `RESOLUTION`, (width, height) in pixels.
    pub resolution: Option<(u32, u32)>,
    /// `CODECS`, split on commas and trimmed, e.g. `["avc1.640016", "mp4a.40.2"]`.
    pub codecs: Vec<String>,
    /// `FRAME-RATE`, frames per second.
    pub frame_rate: Option<f64>,
}

/// One media segment: its URI and `#EXTINF` duration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Segment {
    pub uri: String,
    /// Seconds; `None` when no `#EXTINF` preceded the URI or its number did not parse.
    pub duration: Option<f64>,
}

/// Why a body is not a playlist at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HlsError {
    #[error("not an HLS playlist: the body does not start with #EXTM3U")]
    MissingHeader,
}

/// Parse a playlist. Fails only when the body does not start with `#EXTM3U` (after an optional BOM and
/// whitespace); everything after that is read leniently. A playlist with any `#EXT-X-STREAM-INF` is a
/// master playlist (RFC 8216 §4.3.4 forbids mixing the two kinds; we let the master tags win).
pub fn parse(text: &str) -> Result<Playlist, HlsError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text).trim_start();
    // `#EXTM3U` then a line end (or end of input); `#EXTM3UX` is some other format.
    let rest = text
        .strip_prefix("#EXTM3U")
        .ok_or(HlsError::MissingHeader)?;
    if !(rest.is_empty() || rest.starts_with(['\r', '\n'])) {
        return Err(HlsError::MissingHeader);
    }

    let mut variants = Vec::new();
    let mut is_master = false;
    let mut pending_variant: Option<Variant> = None;

    let mut segments = Vec::new();
    let mut segment_count = 0usize;
    let mut pending_duration: Option<Option<f64>> = None;
    let mut target_duration = None;
    let mut media_sequence = 0u64;
    let mut ended = false;
    let mut map = None;

    for raw in rest.split(['\r', '\n']) {
        if raw.len() > MAX_LINE {
            // Drop the oversized line and whatever tag announced it.
            pending_variant = None;
            pending_duration = None;
            continue;
        }
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(tag) = line.strip_prefix('#') {
            let (name, value) = tag.split_once(':').unwrap_or((tag, ""));
            match name {
                "EXT-X-STREAM-INF" => {
                    is_master = true;
                    pending_variant = Some(parse_stream_inf(value));
                }
                "EXTINF" => {
                    let number = value.split(',').next().unwrap_or_default().trim();
                    pending_duration = Some(
                        number
                            .parse::<f64>()
                            .ok()
                            .filter(|d| d.is_finite() && *d >= 0.0),
                    );
                }
                "EXT-X-TARGETDURATION" => {
                    target_duration = value
                        .trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|d| d.is_finite() && *d >= 0.0)
                        .map(|d| d.ceil().min(f64::from(u32::MAX)) as u32);
                }
                "EXT-X-MEDIA-SEQUENCE" => {
                    if let Ok(n) = value.trim().parse() {
                        media_sequence = n;
                    }
                }
                "EXT-X-ENDLIST" => ended = true,
                "EXT-X-MAP" if map.is_none() => {
                    map = attribute_list(value)
                        .into_iter()
                        .find(|(k, _)| *k == "URI")
                        .map(|(_, v)| v.trim().to_string())
                        .filter(|v| !v.is_empty());
                }
                // Comments and every other tag (EXT-X-MEDIA, EXT-X-KEY...) are skipped.
                _ => {}
            }
            continue;
        }
        // A URI line.
        if let Some(mut v) = pending_variant.take() {
            if variants.len() < MAX_VARIANTS {
                v.uri = line.to_string();
                variants.push(v);
            }
        } else if !is_master {
            segment_count += 1;
            let duration = pending_duration.take().flatten();
            if segments.len() < MAX_SEGMENTS {
                segments.push(Segment {
                    uri: line.to_string(),
                    duration,
                });
            }
        }
        pending_duration = None;
    }

    Ok(if is_master {
        Playlist::Master { variants }
    } else {
        Playlist::Media {
            target_duration,
            segments,
            segment_count,
            media_sequence,
            ended,
            map,
        }
    })
}

fn parse_stream_inf(attrs: &str) -> Variant {
    let mut v = Variant::default();
    for (key, value) in attribute_list(attrs) {
        match key {
            "BANDWIDTH" => v.bandwidth = value.trim().parse().ok(),
            "RESOLUTION" => {
                v.resolution = value
                    .split_once(['x', 'X'])
                    .and_then(|(w, h)| Some((w.trim().parse().ok()?, h.trim().parse().ok()?)))
            }
            "CODECS" => {
                v.codecs = value
                    .split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .take(MAX_CODECS)
                    .map(|c| c.chars().take(64).collect())
                    .collect()
            }
            "FRAME-RATE" => {
                v.frame_rate = value
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite() && *f > 0.0)
            }
            _ => {}
        }
    }
    v
}

/// Split an attribute list (RFC 8216 §4.2): `KEY=value,KEY="quoted, value"`. Quotes are removed; an
/// unterminated quote runs to the end of the line. At most [`MAX_ATTRIBUTES`] pairs.
pub fn attribute_list(s: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = s;
    while !rest.is_empty() && out.len() < MAX_ATTRIBUTES {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key.trim().trim_start_matches(',').trim();
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            match quoted.split_once('"') {
                Some((v, tail)) => (v, tail.split_once(',').map_or("", |(_, t)| t)),
                None => (quoted, ""),
            }
        } else {
            after.split_once(',').unwrap_or((after, ""))
        };
        out.push((key, value));
        rest = next;
    }
    out
}

/// Make a playlist URI absolute against the URL the playlist came from (RFC 3986 §5.2, which RFC 8216
/// §4.1 requires for relative URIs). `None` when the base is not an absolute URL or the join fails.
pub fn resolve(base_url: &str, uri: &str) -> Option<String> {
    let base = Url::parse(base_url).ok()?;
    base.join(uri.trim()).ok().map(String::from)
}

/// Whether a codec is video or audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Video,
    Audio,
}

/// Our codec name (the lower-case vocabulary of `model::VideoInfo`/`AudioInfo`) for an RFC 6381 codec
/// string from HLS `CODECS` or DASH `codecs`. Only registered sample-entry names are mapped:
/// `avc1`/`avc3` (ISO/IEC 14496-15) -> `h264`; `hvc1`/`hev1` (14496-15) -> `h265`; `av01` (AV1 ISOBMFF
/// binding) -> `av1`; `vp09` (VP codec ISOBMFF binding) -> `vp9`; `mp4a.40.2` (AAC-LC), `mp4a.40.5`
/// (HE-AAC, SBR) and `mp4a.40.29` (HE-AACv2, PS) -> `aac` (ISO/IEC 14496-3 audio object types, RFC 6381
/// §3.3); `ac-3` -> `ac3` and `ec-3` -> `eac3` (ETSI TS 102 366 Annex F); `opus` (Opus in ISOBMFF) ->
/// `opus`. Anything else is `None`.
pub fn codec_name(rfc6381: &str) -> Option<(MediaKind, &'static str)> {
    let c = rfc6381.trim();
    let (fourcc, rest) = c.split_once('.').unwrap_or((c, ""));
    Some(match fourcc.to_ascii_lowercase().as_str() {
        "avc1" | "avc3" => (MediaKind::Video, "h264"),
        "hvc1" | "hev1" => (MediaKind::Video, "h265"),
        "av01" => (MediaKind::Video, "av1"),
        "vp09" => (MediaKind::Video, "vp9"),
        "mp4a" => match rest.to_ascii_lowercase().as_str() {
            "40.2" | "40.5" | "40.29" => (MediaKind::Audio, "aac"),
            _ => return None,
        },
        "ac-3" => (MediaKind::Audio, "ac3"),
        "ec-3" => (MediaKind::Audio, "eac3"),
        "opus" => (MediaKind::Audio, "opus"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        crate::test_fixture_str(&format!("hls/{name}"))
    }

    /// ffmpeg 5.1 `-f hls -master_pl_name -var_stream_map` (tests/fixtures/hls/README.md).
    #[test]
    fn ffmpeg_master_two_variants() {
        let Playlist::Master { variants } = parse(&fixture("master.m3u8")).unwrap() else {
            panic!("master expected");
        };
        assert_eq!(variants.len(), 2);
        let v = &variants[0];
        assert_eq!(v.uri, "stream_0.m3u8");
        assert_eq!(v.bandwidth, Some(950_400));
        assert_eq!(v.resolution, Some((640, 360)));
        assert_eq!(v.codecs, ["avc1.640016", "mp4a.40.2"]);
        assert_eq!(v.frame_rate, None, "ffmpeg 5.1 writes no FRAME-RATE");
        assert_eq!(variants[1].resolution, Some((320, 180)));
        assert_eq!(variants[1].codecs[0], "avc1.64000c");
        assert_eq!(
            resolve("http://198.18.0.5:8080/live/master.m3u8", &variants[1].uri).as_deref(),
            Some("http://198.18.0.5:8080/live/stream_1.m3u8")
        );
        assert_eq!(codec_name(&v.codecs[0]), Some((MediaKind::Video, "h264")));
        assert_eq!(codec_name(&v.codecs[1]), Some((MediaKind::Audio, "aac")));
    }

    #[test]
    fn ffmpeg_vod_media_playlist() {
        let p = parse(&fixture("stream_0.m3u8")).unwrap();
        let Playlist::Media {
            target_duration,
            segments,
            segment_count,
            media_sequence,
            ended,
            map,
        } = p
        else {
            panic!("media expected");
        };
        assert_eq!(target_duration, Some(1));
        assert_eq!((segments.len(), segment_count), (4, 4));
        assert_eq!(segments[0].uri, "stream_0_000.ts");
        assert_eq!(segments[3].duration, Some(1.0));
        assert_eq!(media_sequence, 0);
        assert!(ended);
        assert_eq!(map, None, "MPEG-TS segments need no init segment");
    }

    /// A sliding live window (`-hls_list_size 3 -hls_flags omit_endlist`, fMP4 HEVC): no ENDLIST,
    /// media sequence 2, an `#EXT-X-MAP` that is not a segment.
    #[test]
    fn ffmpeg_live_fmp4_window() {
        let Playlist::Media {
            segments,
            media_sequence,
            ended,
            map,
            ..
        } = parse(&fixture("live.m3u8")).unwrap()
        else {
            panic!("media expected");
        };
        assert!(!ended);
        assert_eq!(media_sequence, 2);
        let uris: Vec<_> = segments.iter().map(|s| s.uri.as_str()).collect();
        assert_eq!(uris, ["live2.m4s", "live3.m4s", "live4.m4s"]);
        assert_eq!(segments[2].duration, Some(1.133333));
        assert_eq!(map.as_deref(), Some("init.mp4"));
        // ffmpeg 5.1 writes no CODECS for HEVC in the master playlist.
        let Playlist::Master { variants } = parse(&fixture("master_hevc.m3u8")).unwrap() else {
            panic!("master expected");
        };
        assert_eq!(variants[0].resolution, Some((640, 360)));
        assert!(variants[0].codecs.is_empty());
    }

    #[test]
    fn quoted_commas_and_attribute_quirks() {
        let text = "#EXTM3U\r\n#EXT-X-STREAM-INF:CODECS=\"hvc1.1.6.L93.B0, mp4a.40.5\",RESOLUTION=1920X1080,FRAME-RATE=29.970,BANDWIDTH=4000000,NAME=\"a=b,c\"\r\nhttp://cdn/main.m3u8\r\n#EXT-X-STREAM-INF:BANDWIDTH=x,RESOLUTION=wide\r\n/sub.m3u8\r\n";
        let Playlist::Master { variants } = parse(text).unwrap() else {
            panic!()
        };
        assert_eq!(variants[0].codecs, ["hvc1.1.6.L93.B0", "mp4a.40.5"]);
        assert_eq!(variants[0].resolution, Some((1920, 1080)));
        assert_eq!(variants[0].frame_rate, Some(29.97));
        assert_eq!(variants[0].bandwidth, Some(4_000_000));
        assert_eq!(variants[1].bandwidth, None);
        assert_eq!(variants[1].resolution, None);
        assert_eq!(
            resolve("http://u:p@cam/hls/index.m3u8?token=1", &variants[1].uri).as_deref(),
            Some("http://u:p@cam/sub.m3u8")
        );
        assert_eq!(
            attribute_list("A=1,B=\"x,y\",C=\"unterminated"),
            [("A", "1"), ("B", "x,y"), ("C", "unterminated")]
        );
    }

    #[test]
    fn missing_header_and_lookalikes() {
        assert_eq!(parse(""), Err(HlsError::MissingHeader));
        assert_eq!(parse("#EXTINF:1,\nseg.ts\n"), Err(HlsError::MissingHeader));
        assert_eq!(parse("<html>#EXTM3U"), Err(HlsError::MissingHeader));
        assert_eq!(parse("#EXTM3UX\n"), Err(HlsError::MissingHeader));
        // BOM, leading blank lines and CR-only line ends are fine.
        let p = parse("\u{feff}\n\r#EXTM3U\r#EXT-X-TARGETDURATION:2.000\r#EXTINF:2.0,\rseg.ts\r")
            .unwrap();
        let Playlist::Media {
            target_duration,
            segments,
            ended,
            ..
        } = p
        else {
            panic!()
        };
        assert_eq!(target_duration, Some(2));
        assert_eq!(segments[0].uri, "seg.ts");
        assert!(!ended);
        // An empty playlist is a media playlist with nothing in it.
        assert!(matches!(
            parse("#EXTM3U"),
            Ok(Playlist::Media {
                segment_count: 0,
                ..
            })
        ));
    }

    #[test]
    fn huge_lines_and_many_segments_are_bounded() {
        let huge = "a".repeat(MAX_LINE + 1);
        let text = format!(
            "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n{huge}\n#EXT-X-STREAM-INF:BANDWIDTH=2,CODECS=\"{huge}\"\nb.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=3\nc.m3u8\n"
        );
        let Playlist::Master { variants } = parse(&text).unwrap() else {
            panic!()
        };
        // The oversized URI drops its variant; the oversized tag line drops the tag, so b.m3u8 is an
        // orphan URI line in a master playlist and is ignored.
        assert_eq!(variants.len(), 1);
        assert_eq!(
            (variants[0].uri.as_str(), variants[0].bandwidth),
            ("c.m3u8", Some(3))
        );

        let mut media = String::from("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:18446744073709551615\n");
        for i in 0..10_000 {
            media.push_str(&format!("#EXTINF:2,\ns{i}.ts\n"));
        }
        media.push_str("s-no-extinf.ts\n#EXT-X-ENDLIST\n");
        let Playlist::Media {
            segments,
            segment_count,
            media_sequence,
            ended,
            ..
        } = parse(&media).unwrap()
        else {
            panic!()
        };
        assert_eq!(segments.len(), MAX_SEGMENTS);
        assert_eq!(segment_count, 10_001);
        assert_eq!(media_sequence, u64::MAX);
        assert!(ended);

        let mut master = String::from("#EXTM3U\n");
        for i in 0..1000 {
            master.push_str(&format!("#EXT-X-STREAM-INF:BANDWIDTH={i}\nv{i}.m3u8\n"));
        }
        let Playlist::Master { variants } = parse(&master).unwrap() else {
            panic!()
        };
        assert_eq!(variants.len(), MAX_VARIANTS);
        let many_attrs = format!("#EXTM3U\n#EXT-X-STREAM-INF:{}\nx\n", "A=1,".repeat(5000));
        assert!(parse(&many_attrs).is_ok());
    }

    #[test]
    fn codec_names() {
        for (s, want) in [
            ("avc1.64001f", Some((MediaKind::Video, "h264"))),
            ("avc3.42E01E", Some((MediaKind::Video, "h264"))),
            ("hvc1.1.6.L93.B0", Some((MediaKind::Video, "h265"))),
            ("hev1.2.4.L120.B0", Some((MediaKind::Video, "h265"))),
            ("mp4a.40.2", Some((MediaKind::Audio, "aac"))),
            ("mp4a.40.5", Some((MediaKind::Audio, "aac"))),
            ("ac-3", Some((MediaKind::Audio, "ac3"))),
            ("ec-3", Some((MediaKind::Audio, "eac3"))),
            ("opus", Some((MediaKind::Audio, "opus"))),
            ("Opus", Some((MediaKind::Audio, "opus"))),
            ("av01.0.04M.08", Some((MediaKind::Video, "av1"))),
            ("vp09.00.10.08", Some((MediaKind::Video, "vp9"))),
            ("mp4a.40.34", None),
            ("mp4a.6B", None),
            ("", None),
            ("wvtt", None),
        ] {
            assert_eq!(codec_name(s), want, "{s}");
        }
    }

    #[test]
    fn resolve_cases() {
        assert_eq!(
            resolve("http://h/a/b/index.m3u8", "../c/seg.ts").as_deref(),
            Some("http://h/a/c/seg.ts")
        );
        assert_eq!(
            resolve("http://h/a/index.m3u8", "https://other/x.ts").as_deref(),
            Some("https://other/x.ts")
        );
        assert_eq!(
            resolve("http://h/a/index.m3u8", "//cdn/x.ts").as_deref(),
            Some("http://cdn/x.ts")
        );
        assert_eq!(resolve("index.m3u8", "x.ts"), None);
        assert_eq!(resolve("mailto:a@b", "x.ts"), None);
    }

    #[test]
    fn token_soup_never_panics() {
        const TOKENS: &[&str] = &[
            "#EXTM3U\n",
            "#EXT-X-STREAM-INF:",
            "BANDWIDTH=",
            "RESOLUTION=",
            "CODECS=",
            "\"",
            ",",
            "=",
            "\n",
            "\r",
            "#EXTINF:",
            "x",
            "1.5",
            "-1",
            "NaN",
            "#EXT-X-ENDLIST",
            "é",
            "#EXT-X-TARGETDURATION:",
            "#EXT-X-MEDIA-SEQUENCE:",
            "99999999999999999999999",
            "/a.ts",
        ];
        let mut seed = 0x9E37_79B9u32;
        for _ in 0..3000 {
            let mut text = String::from("#EXTM3U\n");
            for _ in 0..40 {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                text.push_str(TOKENS[seed as usize % TOKENS.len()]);
            }
            let _ = parse(&text);
        }
        let master = fixture("master.m3u8");
        for (i, _) in master.char_indices() {
            let _ = parse(&master[..i]);
        }
    }
}
