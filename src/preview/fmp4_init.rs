//! The init segment of [`fmp4`](super::fmp4) (`ftyp` and `moov`: ISO/IEC 14496-12 §8.2-8.8,
//! the video track's `avc1`/`avcC`, the audio track's `mp4a`/`esds`), written from the stream's
//! parameters; pure, like `fmp4`, and re-exported there (`preview::fmp4::init_segment`).

use super::fmp4_boxes::{
    AUDIO_TRACK, AvcConfig, MuxError, VIDEO_TRACK, check_audio, check_video, put_matrix, put_u16,
    put_u32, write_box, write_full_box,
};
use super::{AudioParams, VideoParams};

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
                        let rate = if audio.sample_rate <= 0xffff {
                            audio.sample_rate
                        } else {
                            0
                        };
                        put_u32(out, rate << 16);
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
pub(super) fn put_descriptor(out: &mut Vec<u8>, tag: u8, body: &[u8]) -> Result<(), MuxError> {
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
