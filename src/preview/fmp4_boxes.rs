//! The building blocks under [`fmp4`](super::fmp4): its error, ISO BMFF box writing (ISO/IEC
//! 14496-12 §4.2) and the checks of the codec configuration records an init segment carries (the
//! AVCDecoderConfigurationRecord and the AudioSpecificConfig).
//!
//! Pure like `fmp4` (no I/O, never panics on any input). Kept apart so `fmp4.rs` reads as the
//! init segment and the fragmenter; `fmp4` re-exports [`MuxError`] and [`MAX_CONFIG`], so their
//! paths (`preview::fmp4::MuxError`) stay as they were.

use super::{AudioParams, VideoParams};

/// Track id of the video track (the contract with the WebSocket handler and the page).
pub const VIDEO_TRACK: u32 = 1;
/// Track id of the audio track.
pub const AUDIO_TRACK: u32 = 2;

/// Largest codec configuration (avcC or AudioSpecificConfig) accepted. Real avcC records are
/// tens of bytes (a few hundred with many PPS); 64 KiB is the most 14496-15's 16-bit
/// parameter-set lengths could describe for one SPS and one PPS.
pub const MAX_CONFIG: usize = 64 * 1024;

/// Why an init segment or fragment could not be built.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum MuxError {
    #[error("video codec {0:?} cannot be muxed to fMP4 for the browser (only h264)")]
    UnsupportedVideo(String),
    #[error("audio codec {0:?} cannot be muxed to fMP4 for the browser (only aac)")]
    UnsupportedAudio(String),
    #[error("invalid AVCDecoderConfigurationRecord: {0}")]
    BadAvcConfig(&'static str),
    #[error("invalid AudioSpecificConfig: {0}")]
    BadAudioConfig(&'static str),
    #[error("clock rate of {what} is zero")]
    ZeroClockRate { what: &'static str },
    #[error("{what} frame is empty")]
    EmptyFrame { what: &'static str },
    #[error("{what} frame of {len} bytes is larger than the {max}-byte limit")]
    FrameTooLarge {
        what: &'static str,
        len: usize,
        max: usize,
    },
    #[error("video frame is not AVC (4-byte NAL unit lengths): {0}")]
    BadVideoFrame(&'static str),
    #[error("no keyframe yet: a fragmented MP4 stream must start at a keyframe")]
    NoKeyframeYet,
    #[error(
        "{what} timestamp {pts} is out of range for this muxer's time line; start a new muxer \
         (and init segment)"
    )]
    Timestamp { what: &'static str, pts: i64 },
    #[error("the muxer was built without audio")]
    NoAudioTrack,
}

// ---------------------------------------------------------------------------------------------
// Box writing

/// Writes one box: a size placeholder, the type, the body `f` writes, then the size patched in.
pub(super) fn write_box(
    out: &mut Vec<u8>,
    fourcc: &[u8; 4],
    f: impl FnOnce(&mut Vec<u8>) -> Result<(), MuxError>,
) -> Result<(), MuxError> {
    let start = out.len();
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(fourcc);
    f(out)?;
    let size = u32::try_from(out.len() - start).map_err(|_| MuxError::FrameTooLarge {
        what: "box",
        len: out.len() - start,
        max: u32::MAX as usize,
    })?;
    out[start..start + 4].copy_from_slice(&size.to_be_bytes());
    Ok(())
}

/// A full box (§4.2): version and 24-bit flags before the body.
pub(super) fn write_full_box(
    out: &mut Vec<u8>,
    fourcc: &[u8; 4],
    version: u8,
    flags: u32,
    f: impl FnOnce(&mut Vec<u8>) -> Result<(), MuxError>,
) -> Result<(), MuxError> {
    write_box(out, fourcc, |out| {
        out.push(version);
        out.extend_from_slice(&flags.to_be_bytes()[1..]);
        f(out)
    })
}

pub(super) fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}
pub(super) fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}
pub(super) fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// The identity transformation matrix of `mvhd` and `tkhd` (§8.2.2.3).
pub(super) const MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

pub(super) fn put_matrix(out: &mut Vec<u8>) {
    for v in MATRIX {
        put_u32(out, v);
    }
}

// ---------------------------------------------------------------------------------------------
// Codec configuration

/// What the init segment needs from a checked AVCDecoderConfigurationRecord.
pub(super) struct AvcConfig<'a> {
    pub(super) record: &'a [u8],
    /// profile_idc, profile compatibility, level_idc: the three bytes of `avc1.PPCCLL`.
    pub(super) profile: [u8; 3],
}

/// Checks an AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1.2) far enough that the
/// browser gets a record it can parse: version 1, 4-byte NAL lengths (what the frames carry), at
/// least one SPS and one PPS, every parameter set inside the record.
pub(super) fn avc_config(record: &[u8]) -> Result<AvcConfig<'_>, MuxError> {
    if record.len() > MAX_CONFIG {
        return Err(MuxError::BadAvcConfig("longer than 64 KiB"));
    }
    let [version, p, c, l, length_size, num_sps, rest @ ..] = record else {
        return Err(MuxError::BadAvcConfig("shorter than its 6-byte header"));
    };
    if *version != 1 {
        return Err(MuxError::BadAvcConfig("configurationVersion is not 1"));
    }
    if length_size & 0b11 != 3 {
        return Err(MuxError::BadAvcConfig(
            "NAL unit length size is not 4 bytes, as the frames' are",
        ));
    }
    let num_sps = usize::from(num_sps & 0x1f);
    if num_sps == 0 {
        return Err(MuxError::BadAvcConfig("no sequence parameter set"));
    }
    let rest = skip_parameter_sets(rest, num_sps)?;
    let [num_pps, rest @ ..] = rest else {
        return Err(MuxError::BadAvcConfig("ends before its PPS count"));
    };
    if *num_pps == 0 {
        return Err(MuxError::BadAvcConfig("no picture parameter set"));
    }
    // Anything after the PPS (the High profiles' chroma and bit-depth fields) is passed on as is.
    skip_parameter_sets(rest, usize::from(*num_pps))?;
    Ok(AvcConfig {
        record,
        profile: [*p, *c, *l],
    })
}

/// Skips `n` 16-bit-length-prefixed, non-empty parameter sets.
pub(super) fn skip_parameter_sets(mut rest: &[u8], n: usize) -> Result<&[u8], MuxError> {
    for _ in 0..n {
        let [hi, lo, tail @ ..] = rest else {
            return Err(MuxError::BadAvcConfig(
                "ends inside a parameter set's length",
            ));
        };
        let len = usize::from(u16::from_be_bytes([*hi, *lo]));
        if len == 0 {
            return Err(MuxError::BadAvcConfig("empty parameter set"));
        }
        rest = tail
            .get(len..)
            .ok_or(MuxError::BadAvcConfig("parameter set runs past the record"))?;
    }
    Ok(rest)
}

/// Checks an AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1) and returns its audio object type.
pub(super) fn audio_object_type(asc: &[u8]) -> Result<u8, MuxError> {
    if asc.len() > MAX_CONFIG {
        return Err(MuxError::BadAudioConfig("longer than 64 KiB"));
    }
    let [a, b, ..] = asc else {
        return Err(MuxError::BadAudioConfig("shorter than 2 bytes"));
    };
    let aot = a >> 3;
    let aot = if aot == 31 {
        // audioObjectTypeExt: 6 more bits, 32 + value.
        32 + (((a & 0b111) << 3) | (b >> 5))
    } else {
        aot
    };
    if aot == 0 {
        return Err(MuxError::BadAudioConfig("audio object type 0"));
    }
    Ok(aot)
}

pub(super) fn check_video(video: &VideoParams) -> Result<AvcConfig<'_>, MuxError> {
    if !video.codec.eq_ignore_ascii_case("h264") {
        return Err(MuxError::UnsupportedVideo(video.codec.clone()));
    }
    if video.clock_rate == 0 {
        return Err(MuxError::ZeroClockRate { what: "video" });
    }
    avc_config(&video.extra_data)
}

pub(super) fn check_audio(audio: &AudioParams) -> Result<u8, MuxError> {
    if !audio.codec.eq_ignore_ascii_case("aac") {
        return Err(MuxError::UnsupportedAudio(audio.codec.clone()));
    }
    if audio.sample_rate == 0 {
        return Err(MuxError::ZeroClockRate { what: "audio" });
    }
    audio_object_type(&audio.extra_data)
}
