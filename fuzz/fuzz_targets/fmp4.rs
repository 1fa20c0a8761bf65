//! The browser preview's fMP4 muxer (`preview::fmp4`): parameters and a run of video and audio
//! frames built from the input, through `mime`, `init_segment`, `Muxer::new`, `Muxer::video` and
//! `Muxer::audio`. Checks that init segments and fragments are whole boxes, that `init_segment`
//! and `Muxer::new` agree on which parameters are usable, that the MIME type stays one quoted
//! parameter, and that fragment sequence numbers and video decode times strictly increase.
//!
//! Input: a flags byte (bit 0: codec "h264", else "h265"; bit 1: a known-good avcC, else one read
//! from the input; bit 2: audio; bit 3: audio codec "aac", else "pcmu"; bit 4: a known-good
//! AudioSpecificConfig; bit 5: clock rate 90000, else read), the avcC and codec string lengths,
//! the parameters, then up to 64 operations until the input runs out (see `op`).
#![no_main]

use std::time::Instant;

use bytes::Bytes;
use camscan::preview::fmp4::{self, Muxer};
use camscan::preview::{AudioFrame, AudioParams, VideoFrame, VideoParams};
use libfuzzer_sys::fuzz_target;

/// High profile level 3.1, one SPS and one PPS.
const AVCC: &[u8] = &[
    1, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x04, 0x67, 0x64, 0x00, 0x1f, 0x01, 0x00, 0x02, 0x68,
    0xee,
];
/// AAC LC, 48 kHz, stereo.
const ASC: &[u8] = &[0x11, 0x90];

/// Reads the input front to back; zeros once it runs out.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.0.split_at(n.min(self.0.len()));
        self.0 = tail;
        head
    }
    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut a = [0; N];
        let b = self.bytes(N);
        a[..b.len()].copy_from_slice(b);
        a
    }
    fn u8(&mut self) -> u8 {
        self.array::<1>()[0]
    }
    fn u16(&mut self) -> u16 {
        u16::from_be_bytes(self.array())
    }
    fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.array())
    }
    fn i64(&mut self) -> i64 {
        i64::from_be_bytes(self.array())
    }
}

/// The boxes of `data` fill it exactly; returns their types and offsets.
fn whole_boxes(data: &[u8]) -> Vec<([u8; 4], usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < data.len() {
        assert!(data.len() - at >= 8);
        let size = u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
        assert!(size >= 8 && size <= data.len() - at);
        out.push((data[at + 4..at + 8].try_into().unwrap(), at));
        at += size;
    }
    out
}

/// A fragment's `mfhd` sequence number and `tfdt` decode time (fixed offsets in what the muxer
/// writes: moof, mfhd, traf, tfhd, then tfdt version 1).
fn sequence_and_decode_time(fragment: &[u8]) -> (u32, u64) {
    let boxes = whole_boxes(fragment);
    assert_eq!(
        boxes.iter().map(|b| &b.0).collect::<Vec<_>>(),
        [b"moof", b"mdat"]
    );
    assert_eq!(&fragment[12..16], b"mfhd");
    assert_eq!(&fragment[52..56], b"tfdt");
    (
        u32::from_be_bytes(fragment[20..24].try_into().unwrap()),
        u64::from_be_bytes(fragment[60..68].try_into().unwrap()),
    )
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let flags = input.u8();
    let avcc_len = usize::from(input.u8());
    let codec_string_len = usize::from(input.u8() & 0x1f);
    let video = VideoParams {
        codec: if flags & 1 != 0 { "h264" } else { "h265" }.into(),
        rfc6381: String::from_utf8_lossy(input.bytes(codec_string_len)).into_owned(),
        extra_data: if flags & 2 != 0 {
            AVCC.to_vec()
        } else {
            input.bytes(avcc_len).to_vec()
        },
        width: input.u32(),
        height: input.u32(),
        clock_rate: if flags & 0x20 != 0 {
            90_000
        } else {
            input.u32()
        },
        payload_type: 96,
    };
    let audio = (flags & 4 != 0).then(|| {
        let asc_len = usize::from(input.u8() & 0x3f);
        AudioParams {
            codec: if flags & 8 != 0 { "aac" } else { "pcmu" }.into(),
            rfc6381: "mp4a.40.2\"".into(),
            extra_data: if flags & 0x10 != 0 {
                ASC.to_vec()
            } else {
                input.bytes(asc_len).to_vec()
            },
            sample_rate: input.u32(),
            channels: input.u16(),
            frame_length: input.u32(),
        }
    });

    let mime = fmp4::mime(&video, audio.as_ref());
    assert_eq!(mime.matches('"').count(), 2, "{mime}");
    let init = fmp4::init_segment(&video, audio.as_ref());
    let muxer = Muxer::new(&video, audio.as_ref());
    assert_eq!(init.as_ref().err(), muxer.as_ref().err());
    let (Ok(init), Ok(mut muxer)) = (init, muxer) else {
        return;
    };
    let boxes = whole_boxes(&init);
    assert_eq!(
        boxes.iter().map(|b| &b.0).collect::<Vec<_>>(),
        [b"ftyp", b"moov"]
    );

    let mut sequence = 0;
    let mut decode_time: Option<u64> = None;
    let (mut video_pts, mut audio_pts) = (0i64, 0i64);
    for _ in 0..64 {
        if input.0.is_empty() {
            break;
        }
        // op: bit 0 audio, else video; bit 1 keyframe; bit 2 pts a small step from the last,
        // else a whole i64; bit 3 a well-formed AVC frame of one NAL unit, else raw bytes.
        let op = input.u8();
        let pts = if op & 4 != 0 {
            let last = if op & 1 != 0 { audio_pts } else { video_pts };
            last.wrapping_add(i64::from(input.u16() as i16))
        } else {
            input.i64()
        };
        let len = usize::from(input.u16() & 0x0fff);
        let body = input.bytes(len);
        if op & 1 != 0 {
            audio_pts = pts;
            let f = AudioFrame {
                pts,
                data: Bytes::copy_from_slice(body),
            };
            if let Ok(Some(fragment)) = muxer.audio(&f) {
                let (s, _) = sequence_and_decode_time(&fragment);
                assert!(s > sequence);
                sequence = s;
            }
        } else {
            video_pts = pts;
            let frame = if op & 8 != 0 {
                let mut d = (body.len() as u32).to_be_bytes().to_vec();
                d.extend_from_slice(body);
                d
            } else {
                body.to_vec()
            };
            let f = VideoFrame {
                pts,
                keyframe: op & 2 != 0,
                data: Bytes::from(frame),
                received: Instant::now(),
            };
            if let Ok(fragment) = muxer.video(&f) {
                let (s, t) = sequence_and_decode_time(&fragment);
                assert!(s > sequence);
                assert!(
                    decode_time.is_none_or(|last| t > last),
                    "{t} after {decode_time:?}"
                );
                sequence = s;
                decode_time = Some(t);
            }
        }
    }
});
