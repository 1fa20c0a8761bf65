//! What an MPEG-4 Visual (ISO/IEC 14496-2, "MPEG-4 Part 2") configuration says: profile and level,
//! picture size and time base. Old DVRs and cameras (Y-cam, early Axis and Sony) send it as the
//! `config=` hex of an `MP4V-ES` SDP (RFC 6416 §7.1): the Visual Object Sequence header, the
//! Visual Object header and the Video Object Layer header, each after a `00 00 01` start code.
//! retina does not depacketise MP4V-ES, so this reader is the only source of these facts.
//!
//! Written from ISO/IEC 14496-2:2004 §6.2.2 (start codes, Table 6-3), §6.2.3
//! (VisualObjectSequence, VideoObjectLayer) and Annex G Table G-1 (profile_and_level_indication).

use crate::bits::BitReader;

/// Start code values after `00 00 01` (Table 6-3).
const VISUAL_OBJECT_SEQUENCE: u8 = 0xB0;
const VIDEO_OBJECT_LAYER_FIRST: u8 = 0x20;
const VIDEO_OBJECT_LAYER_LAST: u8 = 0x2F;

/// `aspect_ratio_info` value for an explicit pixel aspect ratio (Table 6-12).
const EXTENDED_PAR: u32 = 0xF;
/// `video_object_layer_shape` values (Table 6-14).
const SHAPE_RECTANGULAR: u32 = 0;
const SHAPE_GRAYSCALE: u32 = 3;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct VisualConfig {
    /// `profile_and_level_indication` of the Visual Object Sequence header.
    pub profile_and_level: Option<u8>,
    /// From the VOL header (rectangular shape only).
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// `vop_time_increment_resolution`: ticks per second of the VOP time base.
    pub time_increment_resolution: Option<u32>,
    /// `vop_time_increment_resolution / fixed_vop_time_increment` when the VOL declares a fixed
    /// rate (most encoders, FFmpeg's included, do not).
    pub fps: Option<f64>,
}

impl VisualConfig {
    /// Profile name and level for `profile_and_level_indication` (Table G-1).
    pub fn profile_level(&self) -> (Option<String>, Option<String>) {
        match self.profile_and_level {
            Some(pli) => profile_level(pli),
            None => (None, None),
        }
    }

    /// RFC 6381 §3.3: `mp4v.20.<profile_and_level_indication in decimal>` (0x20 is the
    /// objectTypeIndication of MPEG-4 Visual).
    pub fn rfc6381(&self) -> Option<String> {
        Some(format!("mp4v.20.{}", self.profile_and_level?))
    }
}

/// Profile name and level of a `profile_and_level_indication` (ISO/IEC 14496-2 Table G-1), also
/// what RFC 6416's `profile-level-id` carries in decimal.
pub fn profile_level(pli: u8) -> (Option<String>, Option<String>) {
    let (profile, level) = match pli {
        0x01..=0x03 | 0x05 | 0x06 => ("simple", (pli).to_string()),
        0x04 => ("simple", "4a".to_string()),
        0x08 => ("simple", "0".to_string()),
        0x09 => ("simple", "0b".to_string()),
        0x10..=0x12 => ("simple scalable", (pli - 0x10).to_string()),
        0x21 | 0x22 => ("core", (pli - 0x20).to_string()),
        0x32..=0x34 => ("main", (pli - 0x30).to_string()),
        0x91..=0x94 => ("advanced real time simple", (pli - 0x90).to_string()),
        0xB1..=0xB4 => ("advanced coding efficiency", (pli - 0xB0).to_string()),
        0xF0..=0xF5 => ("advanced simple", (pli - 0xF0).to_string()),
        0xF7 => ("advanced simple", "3b".to_string()),
        _ => return (None, None),
    };
    (Some(profile.to_string()), Some(level))
}

/// Read a `config=` value already decoded from hex. Never fails: what is not found stays `None`.
pub fn parse_config(bytes: &[u8]) -> VisualConfig {
    let mut out = VisualConfig::default();
    let mut at = 0;
    while let Some(i) = find_start_code(bytes, at) {
        let Some(&code) = bytes.get(i + 3) else {
            break;
        };
        let body = &bytes[i + 4..];
        match code {
            VISUAL_OBJECT_SEQUENCE => out.profile_and_level = body.first().copied(),
            VIDEO_OBJECT_LAYER_FIRST..=VIDEO_OBJECT_LAYER_LAST => {
                vol(body, &mut out);
                break;
            }
            _ => {}
        }
        at = i + 4;
    }
    out
}

fn find_start_code(b: &[u8], from: usize) -> Option<usize> {
    b.get(from..)?
        .windows(3)
        .position(|w| w == [0, 0, 1])
        .map(|p| from + p)
}

/// §6.2.3 VideoObjectLayer() up to the picture size; fills what it reaches.
fn vol(body: &[u8], out: &mut VisualConfig) -> Option<()> {
    let mut r = BitReader::new(body);
    r.skip(1 + 8)?; // random_accessible_vol, video_object_type_indication
    let mut verid = 1;
    if r.bit()? {
        // is_object_layer_identifier
        verid = r.bits(4)?;
        r.skip(3)?; // video_object_layer_priority
    }
    if r.bits(4)? == EXTENDED_PAR {
        r.skip(16)?; // par_width, par_height
    }
    if r.bit()? {
        // vol_control_parameters: chroma_format(2) low_delay(1)
        r.skip(3)?;
        if r.bit()? {
            // vbv_parameters: 15+1+15+1+15+1+3+11+1+15+1
            r.skip(79)?;
        }
    }
    let shape = r.bits(2)?;
    if shape == SHAPE_GRAYSCALE && verid != 1 {
        r.skip(4)?; // video_object_layer_shape_extension
    }
    r.skip(1)?; // marker_bit
    let resolution = r.bits(16)?;
    out.time_increment_resolution = (resolution > 0).then_some(resolution);
    r.skip(1)?; // marker_bit
    if r.bit()? {
        // fixed_vop_rate: the increment takes as many bits as resolution - 1 needs (at least 1).
        let n = (32 - resolution.saturating_sub(1).leading_zeros()).max(1);
        let increment = r.bits(n)?;
        if resolution > 0 && increment > 0 {
            let fps = (f64::from(resolution) / f64::from(increment) * 1000.0).round() / 1000.0;
            out.fps = (fps > 0.0 && fps <= 1000.0).then_some(fps);
        }
    }
    // Only a rectangular VOL carries its size here (binary-only and grayscale shapes do not).
    if shape == SHAPE_RECTANGULAR {
        r.skip(1)?;
        let width = r.bits(13)?;
        r.skip(1)?;
        let height = r.bits(13)?;
        if width > 0 && height > 0 {
            out.width = Some(width);
            out.height = Some(height);
        }
    }
    Some(())
}

/// Lowercase or uppercase hex to bytes; `None` on an odd length or a non-hex digit.
pub fn from_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) || s.len() > 8192 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Y-cam Bullet HD, quoted in gortsplib's SDP test data (pkg/sdpunmarshaler, "issue
    /// mediamtx/2708 (Y-CAM Bullet HD)"): `a=fmtp:96 profile-level-id=245; config=000001B0F5...`.
    #[test]
    fn ycam_bullet_hd_vol() {
        let c = parse_config(
            &from_hex("000001B0F5000001B509000001000000012008D48D88032514043C14440F").unwrap(),
        );
        assert_eq!(c.profile_and_level, Some(0xF5));
        assert_eq!(
            c.profile_level(),
            (Some("advanced simple".into()), Some("5".into()))
        );
        assert_eq!((c.width, c.height), (Some(640), Some(480)));
        assert_eq!(c.time_increment_resolution, Some(100));
        assert_eq!(c.fps, None, "no fixed_vop_rate");
        assert_eq!(c.rfc6381().as_deref(), Some("mp4v.20.245"));
    }

    #[test]
    fn truncated_and_junk() {
        let full =
            from_hex("000001B0F5000001B509000001000000012008D48D88032514043C14440F").unwrap();
        for cut in 0..full.len() {
            let c = parse_config(&full[..cut]);
            if cut < 20 {
                assert_eq!(c.width, None, "cut at {cut}");
            }
        }
        assert_eq!(parse_config(b""), VisualConfig::default());
        assert_eq!(parse_config(&[0, 0, 1]), VisualConfig::default());
        assert_eq!(from_hex("0g"), None);
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("é1"), None);
    }
}
