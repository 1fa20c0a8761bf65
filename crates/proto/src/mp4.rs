//! ISO base media file format (ISO/IEC 14496-12) as fragmented-MP4 HLS (`#EXT-X-MAP`) and DASH serve
//! it: the tracks of an init segment, and the sample timing of a media segment's first fragment.
//!
//! Boxes read: `moov/trak/{tkhd, mdia/{mdhd, hdlr, minf/stbl/stsd}}`, `moov/mvex/trex` and
//! `moof/traf/{tfhd, trun}`. Sample entries: `avc1`/`avc3` (`avcC`), `hvc1`/`hev1` (`hvcC`), `av01`
//! (`av1C`), `vp08`/`vp09` (`vpcC`), `mp4v`, `mp4a` (`esds`, ISO/IEC 14496-1 descriptors), `Opus`,
//! `ac-3`, `ec-3`, `fLaC`, `ulaw`, `alaw`. RFC 6381 strings are built as the ISOBMFF bindings define
//! them (14496-15 Annex E for `hvc1`, the AV1 and VP codec ISOBMFF bindings).
//!
//! Every read is bounds-checked. A box that claims more bytes than there are is read as far as the
//! bytes go, so a truncated init segment still gives the tracks it holds; at most [`MAX_TRACKS`]
//! tracks and [`MAX_RUN_SAMPLES`] samples per `trun` are looked at.

use std::fmt::Write as _;

/// Tracks kept from one `moov`.
pub const MAX_TRACKS: usize = 16;
/// Per-sample durations summed from one `trun` (a 1 s fragment at 60 fps has 60).
pub const MAX_RUN_SAMPLES: u32 = 4096;

/// Video, audio or anything else (`hdlr` handler type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrackKind {
    Video,
    Audio,
    #[default]
    Other,
}

/// One track of an init segment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Track {
    /// `tkhd` track_ID (0 when the box is missing).
    pub id: u32,
    pub kind: TrackKind,
    /// Our codec name (`h264`, `h265`, `av1`, `vp9`, `aac`, `opus`...), or the sample entry's
    /// four-character code, lower-cased, when we have no name for it; `None` without an `stsd` entry.
    pub codec: Option<String>,
    /// RFC 6381 codec string, e.g. `avc1.4D401E`, `hvc1.1.6.L93.B0`, `mp4a.40.2`.
    pub rfc6381: Option<String>,
    /// Visual sample entry size, pixels.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Audio sample entry rate, Hz.
    pub sample_rate: Option<u32>,
    pub channels: Option<u16>,
    /// `mdhd` timescale, units per second.
    pub timescale: Option<u32>,
    /// `trex` default_sample_duration, in timescale units.
    pub default_sample_duration: Option<u32>,
}

/// What an init segment says.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Init {
    pub tracks: Vec<Track>,
}

impl Init {
    /// The first video track.
    pub fn video(&self) -> Option<&Track> {
        self.tracks.iter().find(|t| t.kind == TrackKind::Video)
    }

    /// The first audio track.
    pub fn audio(&self) -> Option<&Track> {
        self.tracks.iter().find(|t| t.kind == TrackKind::Audio)
    }
}

/// Why bytes are not an init segment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mp4Error {
    #[error("not an MP4 init segment: no moov box")]
    NoMovie,
}

/// Top-level boxes of `bytes`: (type, payload).
fn boxes(bytes: &[u8]) -> Boxes<'_> {
    Boxes { rest: bytes }
}

struct Boxes<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Boxes<'a> {
    type Item = ([u8; 4], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let b = self.rest;
        let size32 = u64::from(be32(b, 0)?);
        let kind: [u8; 4] = b.get(4..8)?.try_into().ok()?;
        let (header, size) = match size32 {
            // A 64-bit size follows the type.
            1 => (16usize, be64(b, 8)?),
            // To the end of the enclosing box.
            0 => (8, b.len() as u64),
            n => (8, n),
        };
        if size < header as u64 || b.len() < header {
            self.rest = &[];
            return None;
        }
        let end = usize::try_from(size).unwrap_or(usize::MAX).min(b.len());
        self.rest = &b[end..];
        Some((kind, &b[header..end]))
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn be64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

/// The payload of the first child box of `kind`.
fn child<'a>(b: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    boxes(b).find(|(k, _)| k == kind).map(|(_, p)| p)
}

/// Does `bytes` start a media segment: a movie fragment (`moof`, after an optional `styp`/`sidx`/
/// `prft`) whose `mdat` follows? (ISO/IEC 23009-1 §6.3.4.2 media segments; an init segment has
/// no `moof`.) The `mdat` may be cut short by a partial read.
pub fn is_media_segment(bytes: &[u8]) -> bool {
    let mut moof = false;
    for (kind, _) in boxes(bytes).take(16) {
        match &kind {
            b"moof" => moof = true,
            b"mdat" => return moof,
            b"styp" | b"sidx" | b"prft" | b"emsg" | b"free" => {}
            _ => return false,
        }
    }
    false
}

/// Parse an init segment (`ftyp` + `moov`; a whole non-fragmented file's head works too).
pub fn parse_init(bytes: &[u8]) -> Result<Init, Mp4Error> {
    let moov = child(bytes, b"moov").ok_or(Mp4Error::NoMovie)?;
    let mut init = Init::default();
    let mut trex = Vec::new();
    for (kind, payload) in boxes(moov) {
        match &kind {
            b"trak" if init.tracks.len() < MAX_TRACKS => init.tracks.push(track(payload)),
            b"mvex" => {
                for (k, p) in boxes(payload) {
                    // version/flags, track_ID, default_sample_description_index,
                    // default_sample_duration
                    if &k == b"trex"
                        && let (Some(id), Some(duration)) = (be32(p, 4), be32(p, 12))
                        && trex.len() < MAX_TRACKS
                    {
                        trex.push((id, duration));
                    }
                }
            }
            _ => {}
        }
    }
    for t in &mut init.tracks {
        t.default_sample_duration = trex
            .iter()
            .find(|(id, _)| *id == t.id)
            .map(|(_, d)| *d)
            .filter(|d| *d > 0);
    }
    Ok(init)
}

fn track(trak: &[u8]) -> Track {
    let mut t = Track::default();
    if let Some(tkhd) = child(trak, b"tkhd") {
        // version 1 has 64-bit creation and modification times before track_ID.
        let at = if tkhd.first() == Some(&1) { 20 } else { 12 };
        t.id = be32(tkhd, at).unwrap_or(0);
    }
    let Some(mdia) = child(trak, b"mdia") else {
        return t;
    };
    if let Some(mdhd) = child(mdia, b"mdhd") {
        let at = if mdhd.first() == Some(&1) { 20 } else { 12 };
        t.timescale = be32(mdhd, at).filter(|s| *s > 0);
    }
    if let Some(hdlr) = child(mdia, b"hdlr") {
        t.kind = match hdlr.get(8..12) {
            Some(b"vide") => TrackKind::Video,
            Some(b"soun") => TrackKind::Audio,
            _ => TrackKind::Other,
        };
    }
    let entry = child(mdia, b"minf")
        .and_then(|m| child(m, b"stbl"))
        .and_then(|s| child(s, b"stsd"))
        // version/flags, entry_count, then the entries as boxes: the first describes the track.
        .and_then(|stsd| boxes(stsd.get(8..)?).next());
    if let Some((fourcc, body)) = entry {
        sample_entry(&mut t, &fourcc, body);
    }
    t
}

/// Visual sample entries: the codec's configuration boxes start after 78 bytes.
const VISUAL_HEADER: usize = 78;
/// Audio sample entries (version 0): children after 28 bytes.
const AUDIO_HEADER: usize = 28;

fn sample_entry(t: &mut Track, fourcc: &[u8; 4], body: &[u8]) {
    let name = String::from_utf8_lossy(fourcc).to_string();
    let visual = |t: &mut Track| {
        // SampleEntry (8), pre_defined/reserved (16), then width and height.
        t.width = be16(body, 24).map(u32::from).filter(|w| *w > 0);
        t.height = be16(body, 26).map(u32::from).filter(|h| *h > 0);
        body.get(VISUAL_HEADER..).unwrap_or_default()
    };
    let audio = |t: &mut Track| {
        // QuickTime sound description version 1 adds 16 bytes; version 2 is a different layout.
        let children = match be16(body, 8) {
            Some(1) => AUDIO_HEADER + 16,
            Some(2) => return &[][..],
            _ => AUDIO_HEADER,
        };
        t.channels = be16(body, 16).filter(|c| *c > 0);
        // 16.16 fixed point
        t.sample_rate = be32(body, 24).map(|r| r >> 16).filter(|r| *r > 0);
        body.get(children..).unwrap_or_default()
    };
    let (codec, rfc6381): (&str, Option<String>) = match fourcc {
        b"avc1" | b"avc3" => {
            let cfg = child(visual(t), b"avcC");
            let s = cfg.and_then(|c| {
                let (p, compat, l) = (c.get(1)?, c.get(2)?, c.get(3)?);
                Some(format!("{name}.{p:02X}{compat:02X}{l:02X}"))
            });
            ("h264", s)
        }
        b"hvc1" | b"hev1" => {
            let cfg = child(visual(t), b"hvcC");
            ("h265", cfg.and_then(|c| hvc_string(&name, c)))
        }
        b"av01" => {
            let cfg = child(visual(t), b"av1C");
            ("av1", cfg.and_then(av1_string))
        }
        b"vp09" | b"vp08" => {
            let cfg = child(visual(t), b"vpcC");
            let s = cfg.and_then(|c| {
                // FullBox version/flags, then profile, level, bitDepth (4 bits)...
                let (p, l, depth) = (c.get(4)?, c.get(5)?, c.get(6)? >> 4);
                Some(format!("{name}.{p:02}.{l:02}.{depth:02}"))
            });
            (if fourcc == b"vp09" { "vp9" } else { "vp8" }, s)
        }
        b"mp4v" => {
            visual(t);
            ("mpeg4", None)
        }
        b"mp4a" => {
            let esds = child(audio(t), b"esds");
            match esds.and_then(|e| es_audio(e.get(4..)?)) {
                Some((0x40 | 0x66 | 0x67 | 0x68, asc)) => {
                    // The sample entry's channel count is a template field muxers fill with 2; the
                    // AudioSpecificConfig has the real one (and the rate, for HE-AAC the core's).
                    if let Some(asc) = asc {
                        t.channels = asc.channels.or(t.channels);
                        t.sample_rate = asc.sample_rate.or(t.sample_rate);
                    }
                    let aot = asc.map_or(2, |a| a.object_type);
                    ("aac", Some(format!("mp4a.40.{aot}")))
                }
                Some((oti @ (0x69 | 0x6b), _)) => ("mp3", Some(format!("mp4a.{oti:02X}"))),
                Some((0xa5, _)) => ("ac3", None),
                Some((0xa6, _)) => ("eac3", None),
                Some((0xad, _)) => ("opus", None),
                _ => ("aac", None),
            }
        }
        b"Opus" => {
            // dOps: version, OutputChannelCount, ...
            if let Some(n) = child(audio(t), b"dOps").and_then(|d| d.get(1)) {
                t.channels = Some(u16::from(*n)).filter(|n| *n > 0);
            }
            // The sample entry's rate is always 48000 for Opus (its decoders run at 48 kHz).
            ("opus", Some("opus".into()))
        }
        b"ac-3" => {
            audio(t);
            ("ac3", Some("ac-3".into()))
        }
        b"ec-3" => {
            audio(t);
            ("eac3", Some("ec-3".into()))
        }
        b"fLaC" => {
            audio(t);
            ("flac", Some("fLaC".into()))
        }
        b"ulaw" => {
            audio(t);
            ("pcmu", None)
        }
        b"alaw" => {
            audio(t);
            ("pcma", None)
        }
        _ => {
            t.codec = Some(
                name.trim()
                    .to_ascii_lowercase()
                    .chars()
                    .filter(|c| c.is_ascii_graphic())
                    .collect(),
            )
            .filter(|s: &String| !s.is_empty());
            return;
        }
    };
    t.codec = Some(codec.to_string());
    t.rfc6381 = rfc6381;
}

/// `hvc1.<space><profile>.<compat, bit-reversed hex>.<L|H><level>.<constraint bytes>`
/// (ISO/IEC 14496-15 Annex E.3), from an `hvcC` payload.
fn hvc_string(fourcc: &str, c: &[u8]) -> Option<String> {
    let b1 = *c.get(1)?;
    let space = match b1 >> 6 {
        0 => "",
        1 => "A",
        2 => "B",
        _ => "C",
    };
    let tier = if b1 & 0x20 != 0 { 'H' } else { 'L' };
    let profile = b1 & 0x1f;
    let compat = be32(c, 2)?.reverse_bits();
    let constraints = c.get(6..12)?;
    let level = *c.get(12)?;
    let mut s = format!("{fourcc}.{space}{profile}.{compat:X}.{tier}{level}");
    let kept = constraints
        .iter()
        .rposition(|b| *b != 0)
        .map_or(0, |i| i + 1);
    for b in &constraints[..kept] {
        let _ = write!(s, ".{b:02X}");
    }
    Some(s)
}

/// `av01.<profile>.<level><tier>.<bit depth>` from an `av1C` payload.
fn av1_string(c: &[u8]) -> Option<String> {
    let (b1, b2) = (*c.get(1)?, *c.get(2)?);
    let profile = b1 >> 5;
    let level = b1 & 0x1f;
    let tier = if b2 & 0x80 != 0 { 'H' } else { 'M' };
    let depth = match (b2 & 0x40 != 0, b2 & 0x20 != 0) {
        (true, true) => 12,
        (true, false) => 10,
        _ => 8,
    };
    Some(format!("av01.{profile}.{level:02}{tier}.{depth:02}"))
}

/// A descriptor (ISO/IEC 14496-1 §8.3.3): tag, then a size of up to four 7-bit groups.
fn descriptor(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let mut len = 0usize;
    let mut at = 1;
    loop {
        let byte = *b.get(at)?;
        at += 1;
        len = (len << 7) | usize::from(byte & 0x7f);
        if byte & 0x80 == 0 || at == 5 {
            break;
        }
    }
    let end = at.checked_add(len)?.min(b.len());
    Some((tag, &b[at..end], &b[end..]))
}

/// What an AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1) starts with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AudioConfig {
    /// audioObjectType: 2 is AAC LC, 5 SBR (HE-AAC), 29 PS (HE-AAC v2).
    pub object_type: u8,
    /// Hz; for HE-AAC the core's rate, as the config states it.
    pub sample_rate: Option<u32>,
    pub channels: Option<u16>,
}

/// Sampling frequency of an AAC `samplingFrequencyIndex` (ISO/IEC 14496-3 Table 1.18), for the
/// AudioSpecificConfig here and ADTS headers in `proto::ts`.
pub fn aac_sample_rate(index: u32) -> Option<u32> {
    const RATES: [u32; 13] = [
        96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
    ];
    RATES.get(usize::try_from(index).ok()?).copied()
}

/// Channels of an AAC `channelConfiguration` (14496-3 Table 1.19): 1-6 is that many, 7 is 7.1 (8);
/// 0 means "in the program config element" and 8.. are reserved (`None`).
pub fn aac_channels(config: u32) -> Option<u16> {
    match config {
        1..=6 => u16::try_from(config).ok(),
        7 => Some(8),
        _ => None,
    }
}

/// Read an AudioSpecificConfig: in an MP4 `esds`, and in SDP as the `config=` hex of
/// `mpeg4-generic` (RFC 3640) or inside the `StreamMuxConfig` of `MP4A-LATM` (RFC 6416).
pub fn audio_config(asc: &[u8]) -> Option<AudioConfig> {
    let mut bits = Bits { b: asc, at: 0 };
    let mut object_type = bits.take(5)? as u8;
    if object_type == 31 {
        object_type = 32 + bits.take(6)? as u8;
    }
    if object_type == 0 {
        return None;
    }
    let index = bits.take(4)?;
    let sample_rate = if index == 15 {
        Some(bits.take(24)?)
    } else {
        aac_sample_rate(index)
    };
    let channels = aac_channels(bits.take(4)?);
    Some(AudioConfig {
        object_type,
        sample_rate: sample_rate.filter(|r| *r > 0),
        channels,
    })
}

/// Big-endian bit reader.
struct Bits<'a> {
    b: &'a [u8],
    at: usize,
}

impl Bits<'_> {
    fn take(&mut self, n: usize) -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            let byte = *self.b.get(self.at / 8)?;
            v = (v << 1) | u32::from((byte >> (7 - self.at % 8)) & 1);
            self.at += 1;
        }
        Some(v)
    }
}

/// (objectTypeIndication, AudioSpecificConfig) from an `esds` payload after version/flags.
fn es_audio(b: &[u8]) -> Option<(u8, Option<AudioConfig>)> {
    let (tag, es, _) = descriptor(b)?;
    if tag != 0x03 {
        return None;
    }
    let flags = *es.get(2)?;
    let mut at = 3;
    if flags & 0x80 != 0 {
        at += 2;
    }
    if flags & 0x40 != 0 {
        at += 1 + usize::from(*es.get(at)?);
    }
    if flags & 0x20 != 0 {
        at += 2;
    }
    let (tag, dc, _) = descriptor(es.get(at..)?)?;
    if tag != 0x04 {
        return None;
    }
    let oti = *dc.first()?;
    // objectTypeIndication, streamType, bufferSizeDB (3), maxBitrate, avgBitrate: 13 bytes.
    let asc = dc
        .get(13..)
        .and_then(descriptor)
        .filter(|(tag, ..)| *tag == 0x05)
        .and_then(|(_, asc, _)| audio_config(asc));
    Some((oti, asc))
}

/// Frame rate of `track` from the first `moof` of a media segment: its timescale over the mean sample
/// duration of the track's first run (per-sample durations, else `tfhd`'s default, else `trex`'s).
/// `None` when the segment has no fragment for the track or the numbers make no rate.
pub fn fragment_rate(segment: &[u8], track: &Track) -> Option<f64> {
    let timescale = f64::from(track.timescale?);
    let moof = child(segment, b"moof")?;
    for (kind, traf) in boxes(moof) {
        if &kind != b"traf" {
            continue;
        }
        let Some(tfhd) = child(traf, b"tfhd") else {
            continue;
        };
        if be32(tfhd, 4) != Some(track.id) {
            continue;
        }
        let flags = be32(tfhd, 0)? & 0x00ff_ffff;
        let mut at = 8;
        if flags & 0x01 != 0 {
            at += 8; // base_data_offset
        }
        if flags & 0x02 != 0 {
            at += 4; // sample_description_index
        }
        let default_duration = if flags & 0x08 != 0 {
            be32(tfhd, at)
        } else {
            track.default_sample_duration
        };
        let trun = child(traf, b"trun")?;
        let flags = be32(trun, 0)? & 0x00ff_ffff;
        let count = be32(trun, 4)?;
        let mut at = 8;
        if flags & 0x01 != 0 {
            at += 4; // data_offset
        }
        if flags & 0x04 != 0 {
            at += 4; // first_sample_flags
        }
        let mean = if flags & 0x100 != 0 {
            let per_sample = 4
                * ((flags & 0x100 != 0) as usize
                    + (flags & 0x200 != 0) as usize
                    + (flags & 0x400 != 0) as usize
                    + (flags & 0x800 != 0) as usize);
            let mut sum = 0u64;
            let mut n = 0u32;
            for i in 0..count.min(MAX_RUN_SAMPLES) as usize {
                let Some(d) = be32(trun, at + i * per_sample) else {
                    break;
                };
                sum += u64::from(d);
                n += 1;
            }
            (n > 0).then(|| sum as f64 / f64::from(n))?
        } else {
            f64::from(default_duration?)
        };
        if mean <= 0.0 {
            return None;
        }
        let fps = (timescale / mean * 1000.0).round() / 1000.0;
        return (fps.is_finite() && fps > 0.0 && fps <= 1000.0).then_some(fps);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_segments_are_told_from_init_segments() {
        let bx = |kind: &[u8; 4], payload: &[u8]| {
            let mut b = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
            b.extend_from_slice(kind);
            b.extend_from_slice(payload);
            b
        };
        let seg = [
            bx(b"styp", b"msdh"),
            bx(b"moof", &[0; 16]),
            bx(b"mdat", &[1; 32]),
        ]
        .concat();
        assert!(is_media_segment(&seg));
        // Cut inside the mdat: still a media segment.
        assert!(is_media_segment(&seg[..seg.len() - 10]));
        assert!(!is_media_segment(
            &[bx(b"ftyp", b"iso6"), bx(b"moov", &[0; 8])].concat()
        ));
        assert!(
            !is_media_segment(&bx(b"mdat", &[0; 8])),
            "no fragment header"
        );
        assert!(!is_media_segment(b"<html>not a segment</html>"));
        assert!(!is_media_segment(&[]));
    }

    fn fixture(name: &str) -> Vec<u8> {
        crate::test_fixture(&format!("mp4/{name}"))
    }

    #[test]
    fn ffmpeg_h264_aac_init_and_fragment() {
        let init = parse_init(&fixture("h264_aac_init.mp4")).unwrap();
        let v = init.video().unwrap();
        assert_eq!(v.codec.as_deref(), Some("h264"));
        assert_eq!(v.rfc6381.as_deref(), Some("avc1.42C016"));
        assert_eq!((v.width, v.height), (Some(640), Some(360)));
        assert_eq!(v.timescale, Some(15360));
        let a = init.audio().unwrap();
        assert_eq!(a.codec.as_deref(), Some("aac"));
        assert_eq!(a.rfc6381.as_deref(), Some("mp4a.40.2"));
        assert_eq!((a.sample_rate, a.channels), (Some(44100), Some(1)));
        let seg = fixture("h264_aac_seg0.m4s");
        assert_eq!(fragment_rate(&seg, v), Some(15.0));
    }

    #[test]
    fn ffmpeg_hevc_opus_init_and_fragment() {
        let init = parse_init(&fixture("hevc_opus_init.mp4")).unwrap();
        let v = init.video().unwrap();
        assert_eq!(v.codec.as_deref(), Some("h265"));
        assert_eq!(v.rfc6381.as_deref(), Some("hvc1.1.6.L60.90"));
        assert_eq!((v.width, v.height), (Some(320), Some(240)));
        let a = init.audio().unwrap();
        assert_eq!(a.codec.as_deref(), Some("opus"));
        assert_eq!((a.sample_rate, a.channels), (Some(48000), Some(2)));
        let seg = fixture("hevc_opus_seg0.m4s");
        assert_eq!(fragment_rate(&seg, v), Some(10.0));
        // The audio track has its own fragment: 20 ms Opus packets.
        assert_eq!(fragment_rate(&seg, a), Some(50.0));
    }

    #[test]
    fn truncated_init_keeps_what_it_holds() {
        let whole = fixture("h264_aac_init.mp4");
        for cut in 0..whole.len() {
            let _ = parse_init(&whole[..cut]);
        }
        assert_eq!(parse_init(b"not mp4 at all"), Err(Mp4Error::NoMovie));
    }

    /// A box that claims a 64-bit size past the end, size 0 (to the end), and a size smaller than its
    /// header: none panics or loops.
    #[test]
    fn hostile_sizes() {
        let mut b = Vec::new();
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(b"moov");
        b.extend_from_slice(&u64::MAX.to_be_bytes());
        b.extend_from_slice(&0u32.to_be_bytes());
        b.extend_from_slice(b"trak");
        assert_eq!(parse_init(&b).unwrap().tracks.len(), 1);
        let tiny = [0, 0, 0, 4, b'm', b'o', b'o', b'v'];
        assert_eq!(parse_init(&tiny), Err(Mp4Error::NoMovie));
    }

    #[test]
    fn hvc_string_examples() {
        // 14496-15 Annex E examples: hvc1.1.6.L93.B0 and hev1.A4.41.H120.B0.23.
        let mut c = vec![1, 0x01, 0x60, 0, 0, 0, 0xb0, 0, 0, 0, 0, 0, 93];
        assert_eq!(hvc_string("hvc1", &c).as_deref(), Some("hvc1.1.6.L93.B0"));
        c[1] = 0x40 | 0x20 | 4;
        c[2..6].copy_from_slice(&0x41u32.reverse_bits().to_be_bytes());
        c[6..12].copy_from_slice(&[0xb0, 0x23, 0, 0, 0, 0]);
        c[12] = 120;
        assert_eq!(
            hvc_string("hev1", &c).as_deref(),
            Some("hev1.A4.41.H120.B0.23")
        );
    }

    #[test]
    fn audio_specific_config() {
        // AAC-LC 44.1 kHz mono; HE-AAC (escape-free) 24 kHz stereo; an explicit 24-bit rate.
        let lc = audio_config(&[0x12, 0x08]).unwrap();
        assert_eq!(
            (lc.object_type, lc.sample_rate, lc.channels),
            (2, Some(44100), Some(1))
        );
        let he = audio_config(&[0x2b, 0x10]).unwrap();
        assert_eq!(
            (he.object_type, he.sample_rate, he.channels),
            (5, Some(24000), Some(2))
        );
        let explicit = audio_config(&[0x17, 0x80, 0x0f, 0xa0, 0x10]).unwrap();
        assert_eq!(explicit.sample_rate, Some(8000));
        assert_eq!(explicit.channels, Some(2));
        assert_eq!(audio_config(&[0x00, 0x00]), None);
        assert_eq!(audio_config(&[0x12]), None);
    }

    #[test]
    fn av1_string_example() {
        // main profile, level 8 (4.0), main tier, 10-bit
        assert_eq!(
            av1_string(&[0x81, 0x08, 0x4c, 0]).as_deref(),
            Some("av01.0.08M.10")
        );
    }
}
