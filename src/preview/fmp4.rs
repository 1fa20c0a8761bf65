//! Fragmented MP4 for Media Source Extensions (pure: no I/O, never panics on any input).
//!
//! The browser preview plays the camera's own H.264 (and AAC) without transcoding: the relay hands
//! each viewer access units in decode order, and this module wraps them in the boxes Chromium's MSE
//! parser wants: an init segment (`ftyp` + `moov` with one `trak` per track and `mvex`, ISO/IEC
//! 14496-12 §8), then one `moof` + `mdat` per video frame (latency: a frame is sent as soon as it
//! is whole) and per audio frame.
//!
//! RTP carries only presentation times. MP4 wants a decode time per sample too, increasing in
//! decode order, with the presentation time given as a composition offset from it. [`Muxer`]
//! derives the decode times from the presentation times it has seen (see [`Muxer::video`]) and
//! writes signed composition offsets (`trun` version 1, §8.8.8), so streams with B-frames (x264's
//! defaults) play. Times start at zero at the first keyframe a muxer sees; audio is placed on the
//! same time line through the shared RTP-derived clock (each stream's pts converted to seconds).
//!
//! Every length and time is checked: hostile or broken parameters and frames give a [`MuxError`],
//! never a panic (fuzzed by `fuzz/fuzz_targets/fmp4.rs`).

use std::collections::VecDeque;

use super::{AudioFrame, AudioParams, VideoFrame, VideoParams};

/// Track id of the video track (the contract with the WebSocket handler and the page).
pub const VIDEO_TRACK: u32 = 1;
/// Track id of the audio track.
pub const AUDIO_TRACK: u32 = 2;

/// Largest frame accepted, in bytes. A 4K IDR at camera bitrates is well under 4 MiB; 32 MiB
/// keeps every box size far from `u32::MAX` while never refusing a real frame.
pub const MAX_FRAME: usize = 32 * 1024 * 1024;

/// Largest codec configuration (avcC or AudioSpecificConfig) accepted. Real avcC records are
/// tens of bytes (a few hundred with many PPS); 64 KiB is the most 14496-15's 16-bit
/// parameter-set lengths could describe for one SPS and one PPS.
pub const MAX_CONFIG: usize = 64 * 1024;

/// Frame period assumed until two frames give a better one: 1/25 s (the most common camera rate).
const DEFAULT_FPS: u32 = 25;

/// How many recent presentation times the frame-period estimate looks at: a GOP's worth of
/// reordering (x264 allows at most 16 B-frames) with room to spare.
const PERIOD_WINDOW: usize = 32;

/// A presentation-time jump larger than this (in seconds) is a break in the stream (a camera that
/// reset its clock), not lost frames: decode times jump with it instead of catching up gradually.
const MAX_CATCH_UP_SECS: i64 = 10;

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
fn write_box(
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
fn write_full_box(
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

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}
fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}
fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// The identity transformation matrix of `mvhd` and `tkhd` (§8.2.2.3).
const MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

fn put_matrix(out: &mut Vec<u8>) {
    for v in MATRIX {
        put_u32(out, v);
    }
}

// ---------------------------------------------------------------------------------------------
// Codec configuration

/// What the init segment needs from a checked AVCDecoderConfigurationRecord.
struct AvcConfig<'a> {
    record: &'a [u8],
    /// profile_idc, profile compatibility, level_idc: the three bytes of `avc1.PPCCLL`.
    profile: [u8; 3],
}

/// Checks an AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1.2) far enough that the
/// browser gets a record it can parse: version 1, 4-byte NAL lengths (what the frames carry), at
/// least one SPS and one PPS, every parameter set inside the record.
fn avc_config(record: &[u8]) -> Result<AvcConfig<'_>, MuxError> {
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
fn skip_parameter_sets(mut rest: &[u8], n: usize) -> Result<&[u8], MuxError> {
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
fn audio_object_type(asc: &[u8]) -> Result<u8, MuxError> {
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

fn check_video(video: &VideoParams) -> Result<AvcConfig<'_>, MuxError> {
    if !video.codec.eq_ignore_ascii_case("h264") {
        return Err(MuxError::UnsupportedVideo(video.codec.clone()));
    }
    if video.clock_rate == 0 {
        return Err(MuxError::ZeroClockRate { what: "video" });
    }
    avc_config(&video.extra_data)
}

fn check_audio(audio: &AudioParams) -> Result<u8, MuxError> {
    if !audio.codec.eq_ignore_ascii_case("aac") {
        return Err(MuxError::UnsupportedAudio(audio.codec.clone()));
    }
    if audio.sample_rate == 0 {
        return Err(MuxError::ZeroClockRate { what: "audio" });
    }
    audio_object_type(&audio.extra_data)
}

/// The MSE type of the stream [`init_segment`] describes, e.g.
/// `video/mp4; codecs="avc1.4D401F, mp4a.40.2"` (RFC 6381 §3.3).
///
/// The codec strings are taken from the configuration records the init segment carries, so the
/// two always agree; where a record is unusable the parameters' own string is used, reduced to
/// the characters a codec string may hold.
pub fn mime(video: &VideoParams, audio: Option<&AudioParams>) -> String {
    let video_codec = match avc_config(&video.extra_data) {
        Ok(c) => format!(
            "avc1.{:02X}{:02X}{:02X}",
            c.profile[0], c.profile[1], c.profile[2]
        ),
        Err(_) => codec_chars(&video.rfc6381),
    };
    let mut codecs = video_codec;
    if let Some(a) = audio {
        let audio_codec = match audio_object_type(&a.extra_data) {
            Ok(aot) => format!("mp4a.40.{aot}"),
            Err(_) => codec_chars(&a.rfc6381),
        };
        codecs.push_str(", ");
        codecs.push_str(&audio_codec);
    }
    format!("video/mp4; codecs=\"{codecs}\"")
}

/// Keeps the characters an RFC 6381 codec string is made of (no quotes to break out of).
fn codec_chars(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .take(64)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Init segment

/// Builds the init segment: `ftyp` + `moov` with the video track ([`VIDEO_TRACK`], timescale the
/// RTP clock rate, `avc1` + `avcC` from `video.extra_data`) and, when given, the audio track
/// ([`AUDIO_TRACK`], timescale the sample rate, `mp4a` + `esds` from the AudioSpecificConfig),
/// and `mvex` saying the samples come in fragments.
pub fn init_segment(video: &VideoParams, audio: Option<&AudioParams>) -> Result<Vec<u8>, MuxError> {
    let avc = check_video(video)?;
    audio.map(check_audio).transpose()?;
    let mut out = Vec::with_capacity(1024 + avc.record.len());
    write_box(&mut out, b"ftyp", |out| {
        out.extend_from_slice(b"iso6"); // major brand: trun version 1 and tfdt are ISO 6 tools
        put_u32(out, 0);
        for brand in [b"iso6", b"isom", b"iso5", b"avc1", b"mp41"] {
            out.extend_from_slice(brand);
        }
        Ok(())
    })?;
    write_box(&mut out, b"moov", |out| {
        write_full_box(out, b"mvhd", 0, 0, |out| {
            put_u32(out, 0); // creation_time
            put_u32(out, 0); // modification_time
            put_u32(out, 1000); // timescale (of the empty duration)
            put_u32(out, 0); // duration: unknown, fragments follow
            put_u32(out, 0x0001_0000); // rate 1.0
            put_u16(out, 0x0100); // volume 1.0
            out.extend_from_slice(&[0; 10]); // reserved
            put_matrix(out);
            out.extend_from_slice(&[0; 24]); // pre_defined
            put_u32(out, if audio.is_some() { 3 } else { 2 }); // next_track_ID
            Ok(())
        })?;
        write_video_trak(out, video, &avc)?;
        if let Some(a) = audio {
            write_audio_trak(out, a)?;
        }
        write_box(out, b"mvex", |out| {
            write_trex(out, VIDEO_TRACK)?;
            if audio.is_some() {
                write_trex(out, AUDIO_TRACK)?;
            }
            Ok(())
        })
    })?;
    Ok(out)
}

fn write_trex(out: &mut Vec<u8>, track: u32) -> Result<(), MuxError> {
    write_full_box(out, b"trex", 0, 0, |out| {
        put_u32(out, track);
        put_u32(out, 1); // default_sample_description_index
        put_u32(out, 0); // default_sample_duration (every trun gives its own)
        put_u32(out, 0); // default_sample_size
        put_u32(out, 0); // default_sample_flags
        Ok(())
    })
}

/// `tkhd` (§8.3.2): enabled, in the movie; width and height as 16.16 fixed point.
fn write_tkhd(
    out: &mut Vec<u8>,
    track: u32,
    volume: u16,
    width: u16,
    height: u16,
) -> Result<(), MuxError> {
    write_full_box(out, b"tkhd", 0, 0x3, |out| {
        put_u32(out, 0); // creation_time
        put_u32(out, 0); // modification_time
        put_u32(out, track);
        put_u32(out, 0); // reserved
        put_u32(out, 0); // duration
        out.extend_from_slice(&[0; 8]); // reserved
        put_u16(out, 0); // layer
        put_u16(out, 0); // alternate_group
        put_u16(out, volume);
        put_u16(out, 0); // reserved
        put_matrix(out);
        put_u32(out, u32::from(width) << 16);
        put_u32(out, u32::from(height) << 16);
        Ok(())
    })
}

/// `mdhd` + `hdlr`, the first two boxes of a `mdia`.
fn write_mdhd_hdlr(
    out: &mut Vec<u8>,
    timescale: u32,
    handler: &[u8; 4],
    name: &str,
) -> Result<(), MuxError> {
    write_full_box(out, b"mdhd", 0, 0, |out| {
        put_u32(out, 0); // creation_time
        put_u32(out, 0); // modification_time
        put_u32(out, timescale);
        put_u32(out, 0); // duration
        put_u16(out, 0x55c4); // language "und" (ISO 639-2/T, 5 bits a letter)
        put_u16(out, 0); // pre_defined
        Ok(())
    })?;
    write_full_box(out, b"hdlr", 0, 0, |out| {
        put_u32(out, 0); // pre_defined
        out.extend_from_slice(handler);
        out.extend_from_slice(&[0; 12]); // reserved
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        Ok(())
    })
}

/// `dinf` (data in this file) and the empty sample tables of a fragmented track around `stsd`.
fn write_dinf_stbl(
    out: &mut Vec<u8>,
    sample_entry: impl FnOnce(&mut Vec<u8>) -> Result<(), MuxError>,
) -> Result<(), MuxError> {
    write_box(out, b"dinf", |out| {
        write_full_box(out, b"dref", 0, 0, |out| {
            put_u32(out, 1); // entry_count
            write_full_box(out, b"url ", 0, 1, |_| Ok(())) // flag 1: media in this file
        })
    })?;
    write_box(out, b"stbl", |out| {
        write_full_box(out, b"stsd", 0, 0, |out| {
            put_u32(out, 1); // entry_count
            sample_entry(out)
        })?;
        for empty in [b"stts", b"stsc", b"stco"] {
            write_full_box(out, empty, 0, 0, |out| {
                put_u32(out, 0); // entry_count
                Ok(())
            })?;
        }
        write_full_box(out, b"stsz", 0, 0, |out| {
            put_u32(out, 0); // sample_size
            put_u32(out, 0); // sample_count
            Ok(())
        })
    })
}

fn write_video_trak(
    out: &mut Vec<u8>,
    video: &VideoParams,
    avc: &AvcConfig<'_>,
) -> Result<(), MuxError> {
    let width = u16::try_from(video.width).unwrap_or(u16::MAX);
    let height = u16::try_from(video.height).unwrap_or(u16::MAX);
    write_box(out, b"trak", |out| {
        write_tkhd(out, VIDEO_TRACK, 0, width, height)?;
        write_box(out, b"mdia", |out| {
            write_mdhd_hdlr(out, video.clock_rate, b"vide", "VideoHandler")?;
            write_box(out, b"minf", |out| {
                write_full_box(out, b"vmhd", 0, 1, |out| {
                    out.extend_from_slice(&[0; 8]); // graphicsmode, opcolor
                    Ok(())
                })?;
                write_dinf_stbl(out, |out| {
                    // VisualSampleEntry (§12.1.3) + AVCConfigurationBox (14496-15 §5.4.2).
                    write_box(out, b"avc1", |out| {
                        out.extend_from_slice(&[0; 6]); // reserved
                        put_u16(out, 1); // data_reference_index
                        out.extend_from_slice(&[0; 16]); // pre_defined, reserved
                        put_u16(out, width);
                        put_u16(out, height);
                        put_u32(out, 0x0048_0000); // horizresolution 72 dpi
                        put_u32(out, 0x0048_0000); // vertresolution
                        put_u32(out, 0); // reserved
                        put_u16(out, 1); // frame_count
                        out.extend_from_slice(&[0; 32]); // compressorname
                        put_u16(out, 0x0018); // depth
                        put_u16(out, 0xffff); // pre_defined = -1
                        write_box(out, b"avcC", |out| {
                            out.extend_from_slice(avc.record);
                            Ok(())
                        })
                    })
                })
            })
        })
    })
}

fn write_audio_trak(out: &mut Vec<u8>, audio: &AudioParams) -> Result<(), MuxError> {
    write_box(out, b"trak", |out| {
        write_tkhd(out, AUDIO_TRACK, 0x0100, 0, 0)?;
        write_box(out, b"mdia", |out| {
            write_mdhd_hdlr(out, audio.sample_rate, b"soun", "SoundHandler")?;
            write_box(out, b"minf", |out| {
                write_full_box(out, b"smhd", 0, 0, |out| {
                    put_u32(out, 0); // balance, reserved
                    Ok(())
                })?;
                write_dinf_stbl(out, |out| {
                    // AudioSampleEntry (§12.2.3) + ESDBox (14496-14 §5.6).
                    write_box(out, b"mp4a", |out| {
                        out.extend_from_slice(&[0; 6]); // reserved
                        put_u16(out, 1); // data_reference_index
                        out.extend_from_slice(&[0; 8]); // reserved
                        put_u16(out, audio.channels.clamp(1, 8)); // the decoder reads the ASC's
                        put_u16(out, 16); // samplesize
                        put_u32(out, 0); // pre_defined, reserved
                        // samplerate is 16.16 fixed point; rates above 65535 Hz do not fit (the
                        // AudioSpecificConfig carries the real one).
                        put_u32(
                            out,
                            u32::try_from(audio.sample_rate)
                                .ok()
                                .filter(|r| *r <= 0xffff)
                                .unwrap_or(0)
                                << 16,
                        );
                        write_esds(out, &audio.extra_data)
                    })
                })
            })
        })
    })
}

/// `esds` (ISO/IEC 14496-14 §5.6, descriptors of 14496-1 §7.2.6): an ES_Descriptor holding the
/// DecoderConfigDescriptor (MPEG-4 audio) with the AudioSpecificConfig, and the SLConfig MP4
/// requires.
fn write_esds(out: &mut Vec<u8>, asc: &[u8]) -> Result<(), MuxError> {
    write_full_box(out, b"esds", 0, 0, |out| {
        let mut dsi = Vec::with_capacity(asc.len() + 5);
        put_descriptor(&mut dsi, 0x05, asc)?; // DecoderSpecificInfo
        let mut dcd = Vec::with_capacity(dsi.len() + 13);
        dcd.push(0x40); // objectTypeIndication: Audio ISO/IEC 14496-3
        dcd.push((0x05 << 2) | 1); // streamType audio, upStream 0, reserved 1
        dcd.extend_from_slice(&[0; 3]); // bufferSizeDB
        dcd.extend_from_slice(&[0; 8]); // maxBitrate, avgBitrate: unknown
        dcd.extend_from_slice(&dsi);
        let mut es = Vec::with_capacity(dcd.len() + 16);
        put_u16(&mut es, AUDIO_TRACK as u16); // ES_ID
        es.push(0); // no dependsOn, URL, OCR stream; priority 0
        put_descriptor(&mut es, 0x04, &dcd)?; // DecoderConfigDescriptor
        put_descriptor(&mut es, 0x06, &[0x02])?; // SLConfigDescriptor: predefined MP4
        put_descriptor(out, 0x03, &es) // ES_Descriptor
    })
}

/// One descriptor: tag, size in 7-bit groups (14496-1 §8.3.3, at most 4 bytes), body.
fn put_descriptor(out: &mut Vec<u8>, tag: u8, body: &[u8]) -> Result<(), MuxError> {
    let len = body.len();
    if len >= 1 << 28 {
        return Err(MuxError::BadAudioConfig("too long for a descriptor"));
    }
    out.push(tag);
    let mut groups = 1;
    while groups < 4 && len >> (7 * groups) != 0 {
        groups += 1;
    }
    for i in (0..groups).rev() {
        let bits = ((len >> (7 * i)) & 0x7f) as u8;
        out.push(if i == 0 { bits } else { bits | 0x80 });
    }
    out.extend_from_slice(body);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Fragments

/// `trun` sample flags (§8.8.3.1) of a sync sample: depends on no other sample.
const SYNC_SAMPLE: u32 = 0x0200_0000;
/// `trun` sample flags of any other video sample: depends on others, is a non-sync sample.
const NON_SYNC_SAMPLE: u32 = 0x0101_0000;

/// One viewer's muxer: frames in (decode order), `moof` + `mdat` fragments out.
///
/// A new viewer, or new parameters, gets a new `Muxer` and a new [`init_segment`].
#[derive(Debug)]
pub struct Muxer {
    clock_rate: u32,
    audio: Option<AudioTrack>,
    /// `mfhd` sequence number of the next fragment (starts at 1, increases by one).
    sequence: u32,
    video: Option<VideoState>,
}

#[derive(Debug)]
struct AudioTrack {
    sample_rate: u32,
    frame_length: u32,
    /// Decode time (sample-rate units) past the last frame sent, so audio never goes backwards.
    next: Option<i64>,
}

/// The video time line, from the first keyframe on.
#[derive(Debug)]
struct VideoState {
    /// The first keyframe's pts: time zero of both tracks.
    base: i64,
    /// Decode time of the last frame (clock-rate units, from `base`).
    dts: i64,
    /// Largest presentation time seen (from `base`).
    max_pts: i64,
    /// How far behind `max_pts` a later frame's presentation time has been seen (B-frames).
    reorder: i64,
    /// Recent presentation times, for the frame-period estimate.
    recent: VecDeque<i64>,
}

impl Muxer {
    /// A muxer for the tracks [`init_segment`] describes with the same parameters. Invalid
    /// parameters give the same error `init_segment` would.
    pub fn new(video: &VideoParams, audio: Option<&AudioParams>) -> Result<Muxer, MuxError> {
        check_video(video)?;
        let audio = match audio {
            Some(a) => {
                check_audio(a)?;
                Some(AudioTrack {
                    sample_rate: a.sample_rate,
                    frame_length: if a.frame_length == 0 {
                        1024
                    } else {
                        a.frame_length
                    },
                    next: None,
                })
            }
            None => None,
        };
        Ok(Muxer {
            clock_rate: video.clock_rate,
            audio,
            sequence: 1,
            video: None,
        })
    }

    /// Whether the muxer has had its first keyframe (and so places audio too).
    pub fn started(&self) -> bool {
        self.video.is_some()
    }

    /// Muxes one video access unit (AVC format, decode order) into one fragment.
    ///
    /// Until the first keyframe every frame is refused with [`MuxError::NoKeyframeYet`] (skip
    /// it). The decode time is the previous one plus the frame period (the smallest gap between
    /// recent presentation times, 1/25 s until there are two), kept between the presentation
    /// times seen so it neither drifts from them nor jumps by more than two periods at once
    /// (Chromium treats a decode-time jump over twice the last duration as a discontinuity and
    /// drops frames to the next keyframe), except across a presentation-time jump of more than
    /// ten seconds, which it follows. The composition offset (pts - dts) is signed.
    pub fn video(&mut self, f: &VideoFrame) -> Result<Vec<u8>, MuxError> {
        check_avc_frame(&f.data)?;
        let fallback_period = i64::from((self.clock_rate / DEFAULT_FPS).max(1));
        let out_of_range = MuxError::Timestamp {
            what: "video",
            pts: f.pts,
        };
        let max_catch_up = i64::from(self.clock_rate).saturating_mul(MAX_CATCH_UP_SECS);
        if self.video.is_none() && !f.keyframe {
            return Err(MuxError::NoKeyframeYet);
        }
        let base = self.video.as_ref().map_or(f.pts, |s| s.base);
        let pts = f.pts.checked_sub(base).ok_or(out_of_range.clone())?;
        let (dts, period, reorder) = match &self.video {
            None => (0, fallback_period, 0),
            Some(state) => {
                let period = estimate_period(&state.recent, pts).unwrap_or(fallback_period);
                let reorder = if pts < state.max_pts {
                    state.reorder.max(state.max_pts - pts)
                } else {
                    state.reorder
                };
                let max_pts = state.max_pts.max(pts);
                let prev = state.dts;
                // The previous decode time plus a period, never ahead of every presentation time
                // seen ...
                let mut dts = prev.saturating_add(period).min(max_pts);
                // ... nor further behind than the reordering seen (plus slack) allows.
                let lowest = max_pts
                    .saturating_sub(reorder)
                    .saturating_sub(period.saturating_mul(2));
                if lowest.saturating_sub(dts) > max_catch_up {
                    dts = lowest;
                } else if dts < lowest {
                    dts = lowest.min(prev.saturating_add(period.saturating_mul(2)));
                }
                (dts.max(prev.saturating_add(1)), period, reorder)
            }
        };
        let offset = i32::try_from(pts.saturating_sub(dts)).map_err(|_| out_of_range.clone())?;
        let decode_time = u64::try_from(dts).map_err(|_| out_of_range.clone())?;
        let duration = u32::try_from(period).map_err(|_| out_of_range.clone())?;
        let fragment = fragment(
            self.sequence,
            VIDEO_TRACK,
            decode_time,
            &[Sample {
                duration,
                size: f.data.len(),
                flags: Some(if f.keyframe {
                    SYNC_SAMPLE
                } else {
                    NON_SYNC_SAMPLE
                }),
                offset: Some(offset),
            }],
            &[&f.data],
        )?;

        // The fragment is certain: commit the time line.
        let state = self.video.get_or_insert_with(|| VideoState {
            base,
            dts: 0,
            max_pts: pts,
            reorder: 0,
            recent: VecDeque::with_capacity(PERIOD_WINDOW),
        });
        state.dts = dts;
        state.max_pts = state.max_pts.max(pts);
        state.reorder = reorder;
        if state.recent.len() >= PERIOD_WINDOW {
            state.recent.pop_front();
        }
        state.recent.push_back(pts);
        self.sequence = self.sequence.wrapping_add(1).max(1);
        Ok(fragment)
    }

    /// Muxes one AAC frame (raw, no ADTS) into a fragment.
    ///
    /// `Ok(None)` while there is no video time line yet (before the first keyframe), for a frame
    /// that would play before it, and for one that would go back in time; the caller drops those.
    pub fn audio(&mut self, f: &AudioFrame) -> Result<Option<Vec<u8>>, MuxError> {
        let Some(track) = &mut self.audio else {
            return Err(MuxError::NoAudioTrack);
        };
        if f.data.is_empty() {
            return Err(MuxError::EmptyFrame { what: "audio" });
        }
        if f.data.len() > MAX_FRAME {
            return Err(MuxError::FrameTooLarge {
                what: "audio",
                len: f.data.len(),
                max: MAX_FRAME,
            });
        }
        let Some(video) = &self.video else {
            return Ok(None);
        };
        // The video base in audio units: base * sample_rate / clock_rate, in i128 so no product
        // overflows.
        let base = i128::from(video.base) * i128::from(track.sample_rate)
            / i128::from(self.clock_rate.max(1));
        let time = i128::from(f.pts) - base;
        let Ok(time) = i64::try_from(time) else {
            return Err(MuxError::Timestamp {
                what: "audio",
                pts: f.pts,
            });
        };
        if time < 0 || track.next.is_some_and(|next| time < next) {
            return Ok(None);
        }
        let decode_time = u64::try_from(time).map_err(|_| MuxError::Timestamp {
            what: "audio",
            pts: f.pts,
        })?;
        let fragment = fragment(
            self.sequence,
            AUDIO_TRACK,
            decode_time,
            &[Sample {
                duration: track.frame_length,
                size: f.data.len(),
                flags: None,
                offset: None,
            }],
            &[&f.data],
        )?;
        track.next = Some(time.saturating_add(i64::from(track.frame_length)));
        self.sequence = self.sequence.wrapping_add(1).max(1);
        Ok(Some(fragment))
    }
}

/// The frame period: the smallest positive gap between `pts` and the recent presentation times
/// (sorted), i.e. between neighbours in presentation order whatever the decode order.
fn estimate_period(recent: &VecDeque<i64>, pts: i64) -> Option<i64> {
    let mut times: Vec<i64> = recent.iter().copied().chain([pts]).collect();
    times.sort_unstable();
    times
        .windows(2)
        .filter_map(|w| w[1].checked_sub(w[0]))
        .filter(|gap| *gap > 0)
        .min()
}

/// Checks that a video frame is AVC: 4-byte lengths whose NAL units exactly fill it.
fn check_avc_frame(data: &[u8]) -> Result<(), MuxError> {
    if data.is_empty() {
        return Err(MuxError::EmptyFrame { what: "video" });
    }
    if data.len() > MAX_FRAME {
        return Err(MuxError::FrameTooLarge {
            what: "video",
            len: data.len(),
            max: MAX_FRAME,
        });
    }
    let mut rest = data;
    while !rest.is_empty() {
        let [a, b, c, d, tail @ ..] = rest else {
            return Err(MuxError::BadVideoFrame("ends inside a NAL unit length"));
        };
        let len = u32::from_be_bytes([*a, *b, *c, *d]) as usize;
        if len == 0 {
            return Err(MuxError::BadVideoFrame("empty NAL unit"));
        }
        rest = tail
            .get(len..)
            .ok_or(MuxError::BadVideoFrame("NAL unit runs past the frame"))?;
    }
    Ok(())
}

/// One `trun` entry.
struct Sample {
    duration: u32,
    size: usize,
    /// Per-sample flags (video); `None`: the `trex` default (audio: every sample is a sync one).
    flags: Option<u32>,
    /// Composition offset (video); `None` for audio, where presentation is decode time.
    offset: Option<i32>,
}

/// `moof` (`mfhd`, `traf` with `tfhd`, `tfdt`, `trun`) + `mdat` holding `data`.
fn fragment(
    sequence: u32,
    track: u32,
    decode_time: u64,
    samples: &[Sample],
    data: &[&[u8]],
) -> Result<Vec<u8>, MuxError> {
    let data_len: usize = data.iter().map(|d| d.len()).sum();
    let too_large = MuxError::FrameTooLarge {
        what: "fragment",
        len: data_len,
        max: MAX_FRAME,
    };
    if data_len > MAX_FRAME {
        return Err(too_large);
    }
    let with_flags = samples.iter().any(|s| s.flags.is_some());
    let with_offsets = samples.iter().any(|s| s.offset.is_some());
    let mut out = Vec::with_capacity(128 + data_len);
    let mut data_offset_at = 0;
    write_box(&mut out, b"moof", |out| {
        write_full_box(out, b"mfhd", 0, 0, |out| {
            put_u32(out, sequence);
            Ok(())
        })?;
        write_box(out, b"traf", |out| {
            // default-base-is-moof: data offsets count from this moof (§8.8.7.1).
            write_full_box(out, b"tfhd", 0, 0x02_0000, |out| {
                put_u32(out, track);
                Ok(())
            })?;
            write_full_box(out, b"tfdt", 1, 0, |out| {
                put_u64(out, decode_time);
                Ok(())
            })?;
            // data-offset, sample-duration, sample-size, [sample-flags], [composition offsets].
            let mut flags = 0x000001 | 0x000100 | 0x000200;
            if with_flags {
                flags |= 0x000400;
            }
            if with_offsets {
                flags |= 0x000800;
            }
            let version = u8::from(with_offsets); // version 1: signed composition offsets
            write_full_box(out, b"trun", version, flags, |out| {
                let count = u32::try_from(samples.len()).map_err(|_| too_large.clone())?;
                put_u32(out, count);
                data_offset_at = out.len();
                put_u32(out, 0); // data_offset, patched below
                for s in samples {
                    put_u32(out, s.duration);
                    put_u32(out, u32::try_from(s.size).map_err(|_| too_large.clone())?);
                    if with_flags {
                        put_u32(out, s.flags.unwrap_or(SYNC_SAMPLE));
                    }
                    if with_offsets {
                        out.extend_from_slice(&s.offset.unwrap_or(0).to_be_bytes());
                    }
                }
                Ok(())
            })
        })
    })?;
    // The samples start right after the moof and the mdat's 8-byte header.
    let data_offset = u32::try_from(out.len() + 8).map_err(|_| too_large.clone())?;
    out[data_offset_at..data_offset_at + 4].copy_from_slice(&data_offset.to_be_bytes());
    write_box(&mut out, b"mdat", |out| {
        for d in data {
            out.extend_from_slice(d);
        }
        Ok(())
    })?;
    Ok(out)
}
