//! Names for H.264/H.265 profiles and levels from RFC 6381 codec strings and SDP `profile-level-id`.
//!
//! retina already decodes the SPS into an RFC 6381 string (`avc1.4D401F`, `hvc1.1.6.L120.90`); this turns
//! those into the words operators use. Tables: ITU-T H.264 Annex A (profile_idc), H.265 Annex A
//! (general_profile_idc); H.265 level = general_level_idc / 30.

/// Profile and level, e.g. `("main", "3.1")`.
pub type ProfileLevel = (Option<String>, Option<String>);

/// H.264 profile name from `profile_idc` (and constraint flags, for constrained baseline).
pub fn h264_profile_name(profile_idc: u8, constraints: u8) -> Option<&'static str> {
    Some(match profile_idc {
        66 if constraints & 0x40 != 0 => "constrained baseline",
        66 => "baseline",
        77 => "main",
        88 => "extended",
        100 => "high",
        110 => "high 10",
        122 => "high 4:2:2",
        244 => "high 4:4:4",
        44 => "cavlc 4:4:4",
        83 | 86 => "scalable",
        118 | 128 => "multiview",
        _ => return None,
    })
}

/// H.264 level from `level_idc` (level 1b is signalled as 11 with a constraint flag, or as 9).
pub fn h264_level(level_idc: u8) -> String {
    match level_idc {
        9 => "1b".to_string(),
        n => format!("{}.{}", n / 10, n % 10)
            .trim_end_matches(".0")
            .to_string(),
    }
}

/// From the 6 hex digits of `profile-level-id` (RFC 6184) or `avc1.PPCCLL`.
pub fn h264_from_hex(hex: &str) -> ProfileLevel {
    let hex = hex.trim();
    if hex.len() != 6 || !hex.is_ascii() {
        return (None, None);
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    let (Some(p), Some(c), Some(l)) = (byte(0), byte(2), byte(4)) else {
        return (None, None);
    };
    (
        h264_profile_name(p, c).map(str::to_string),
        Some(h264_level(l)),
    )
}

/// H.265 profile name from `general_profile_idc`.
pub fn h265_profile_name(idc: u8) -> Option<&'static str> {
    Some(match idc {
        1 => "main",
        2 => "main 10",
        3 => "main still picture",
        4 => "range extensions",
        5 => "high throughput",
        9 => "screen content",
        _ => return None,
    })
}

/// H.265 level from `general_level_idc` (30 times the level number: 120 is level 4, 93 is 3.1).
pub fn h265_level(level_idc: u8) -> String {
    let (whole, tenth) = (level_idc / 30, (level_idc % 30) / 3);
    if tenth == 0 {
        format!("{whole}")
    } else {
        format!("{whole}.{tenth}")
    }
}

/// Parse an RFC 6381 codec string for H.264 (`avc1.`/`avc3.`) or H.265 (`hvc1.`/`hev1.`).
pub fn from_rfc6381(codec: &str) -> ProfileLevel {
    let mut parts = codec.split('.');
    match parts.next() {
        Some("avc1" | "avc3") => parts.next().map(h264_from_hex).unwrap_or((None, None)),
        Some("hvc1" | "hev1") => {
            // hvc1.<space><profile_idc>.<compat flags>.<tier L|H><level_idc>.<constraints>
            let profile = parts
                .next()
                .map(|p| p.trim_start_matches(['A', 'B', 'C']))
                .and_then(|p| p.parse::<u8>().ok())
                .and_then(h265_profile_name)
                .map(str::to_string);
            let _compat = parts.next();
            let level = parts
                .next()
                .and_then(|tl| tl.get(1..)?.parse::<u8>().ok())
                .map(h265_level);
            (profile, level)
        }
        _ => (None, None),
    }
}

/// What an H.264 sequence parameter set says, for streams no SDP or playlist describes (HLS MPEG-TS
/// segments).
#[derive(Debug, Clone, PartialEq)]
pub struct SpsFacts {
    /// `avc1.PPCCLL`
    pub rfc6381: String,
    pub profile: Option<String>,
    pub level: String,
    /// Cropped picture size, pixels.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// VUI timing: `time_scale / (2 * num_units_in_tick)`, when the encoder wrote it.
    pub fps: Option<f64>,
}

/// Decode an H.264 SPS NAL unit (its header byte first, emulation prevention bytes still in) with
/// h264-reader, the parser retina uses. `None` when it is not an SPS or does not parse.
pub fn h264_sps(nal: &[u8]) -> Option<SpsFacts> {
    use h264_reader::nal::sps::SeqParameterSet;
    use h264_reader::rbsp::{BitReader, decode_nal};
    if nal.first()? & 0x1f != 7 {
        return None;
    }
    let rbsp = decode_nal(nal).ok()?;
    let sps = SeqParameterSet::from_bits(BitReader::new(&rbsp[..])).ok()?;
    let (profile_idc, constraints) = (sps.profile_idc.into(), sps.constraint_flags.into());
    // h264-reader adds 1 to these without a check: sizes beyond any level are no picture anyway.
    let sane =
        sps.pic_width_in_mbs_minus1 < 1 << 16 && sps.pic_height_in_map_units_minus1 < 1 << 16;
    let (width, height) = match sps.pixel_dimensions() {
        Ok((w, h)) if sane && w > 0 && h > 0 => (Some(w), Some(h)),
        _ => (None, None),
    };
    // Rounded first: a rate that rounds to 0 (time_scale 1, num_units_in_tick huge) is no rate.
    let fps = sps
        .fps()
        .map(|f| (f * 1000.0).round() / 1000.0)
        .filter(|f| f.is_finite() && *f > 0.0 && *f <= 1000.0);
    Some(SpsFacts {
        rfc6381: format!(
            "avc1.{profile_idc:02X}{constraints:02X}{:02X}",
            sps.level_idc
        ),
        profile: h264_profile_name(profile_idc, constraints).map(str::to_string),
        level: h264_level(sps.level_idc),
        width,
        height,
        fps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gstreamer_x264_main() {
        assert_eq!(
            from_rfc6381("avc1.4D401F"),
            (Some("main".into()), Some("3.1".into()))
        );
    }

    #[test]
    fn constrained_baseline_and_high() {
        assert_eq!(
            from_rfc6381("avc1.42C016").0.as_deref(),
            Some("constrained baseline")
        );
        assert_eq!(
            h264_from_hex("640029"),
            (Some("high".into()), Some("4.1".into()))
        );
        assert_eq!(h264_from_hex("42001e").1.as_deref(), Some("3"));
    }

    #[test]
    fn x265_main_level_4() {
        assert_eq!(
            from_rfc6381("hvc1.1.6.L120.90"),
            (Some("main".into()), Some("4".into()))
        );
        assert_eq!(from_rfc6381("hvc1.2.4.L93.B0").1.as_deref(), Some("3.1"));
    }

    #[test]
    fn junk() {
        for s in [
            "",
            "avc1",
            "avc1.zz",
            "avc1.4D40",
            "hvc1.x.y.z",
            "hvc1.1.6.L",
            "mp4a.40.2",
            "avc1.é1234",
        ] {
            let _ = from_rfc6381(s);
        }
        assert_eq!(from_rfc6381("mp4a.40.2"), (None, None));
    }

    /// Found by fuzz target `ts`: an SPS whose VUI timing gives a rate far below 0.001 fps came out
    /// as `Some(0.0)`.
    #[test]
    fn sps_rate_that_rounds_to_zero_is_none() {
        let bytes = crate::test_fixture("ts/fuzz_sps_fps_rounds_to_zero.bin");
        let nal = crate::ts::h264_sps(&bytes).expect("the input's SPS");
        let facts = h264_sps(&nal).expect("it parses");
        assert_eq!(facts.fps, None);
    }
}
