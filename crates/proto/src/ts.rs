//! MPEG-TS (ISO/IEC 13818-1), just enough to describe an HLS segment whose playlist does not
//! (`CODECS` and `FRAME-RATE` are optional, RFC 8216 §4.3.4.2) or an HTTP-TS stream: the PAT gives
//! the PMT's PID, the PMT lists the elementary streams' `stream_type` and PID, and the payloads of
//! those PIDs (PES headers left out) hold an H.264 stream's first sequence parameter set and an AAC
//! stream's first ADTS header. Packets are 188 bytes starting with 0x47; only the first section of
//! each table (in one packet) is read, which is how muxers write them.

/// TS packet size.
pub const PACKET: usize = 188;
const SYNC: u8 = 0x47;
/// Most packets examined.
pub const MAX_PACKETS: usize = 512;

/// The payload of a packet that starts a PSI section on `pid`, after the pointer field.
fn section_start(pkt: &[u8], pid: u16) -> Option<&[u8]> {
    if pkt.len() != PACKET || pkt[0] != SYNC {
        return None;
    }
    let pusi = pkt[1] & 0x40 != 0;
    let this_pid = (u16::from(pkt[1] & 0x1f) << 8) | u16::from(pkt[2]);
    if !pusi || this_pid != pid {
        return None;
    }
    let afc = (pkt[3] >> 4) & 0x3;
    let mut i = 4;
    if afc == 2 || afc == 0 {
        return None; // no payload
    }
    if afc == 3 {
        i += 1 + usize::from(*pkt.get(4)?);
    }
    let pointer = usize::from(*pkt.get(i)?);
    pkt.get(i + 1 + pointer..)
}

/// `(section body after the 8-byte long header, up to the CRC)` of a PSI section.
fn section_body(sec: &[u8], table_id: u8) -> Option<&[u8]> {
    if *sec.first()? != table_id {
        return None;
    }
    let len = (usize::from(*sec.get(1)? & 0x0f) << 8) | usize::from(*sec.get(2)?);
    let end = (3 + len).checked_sub(4)?; // minus CRC_32
    sec.get(8..end.min(sec.len()))
}

/// Where packets start: the first sync byte that another one follows a packet later (a live stream
/// joined over HTTP may begin inside a packet), else the first sync byte.
fn sync_offset(bytes: &[u8]) -> Option<usize> {
    let first = bytes.iter().position(|b| *b == SYNC)?;
    let aligned = bytes
        .iter()
        .enumerate()
        .skip(first)
        .take(PACKET)
        .find(|&(i, b)| *b == SYNC && bytes.get(i + PACKET).is_none_or(|n| *n == SYNC))
        .map(|(i, _)| i);
    Some(aligned.unwrap_or(first))
}

/// Whether `bytes` start like a transport stream: three sync bytes a packet apart.
pub fn looks_like_ts(bytes: &[u8]) -> bool {
    (0..3).all(|k| bytes.get(k * PACKET) == Some(&SYNC))
}

/// The packets of `bytes`, from the first sync, at most [`MAX_PACKETS`].
fn packets(bytes: &[u8]) -> impl Iterator<Item = &[u8]> + Clone {
    let start = sync_offset(bytes).unwrap_or(bytes.len());
    bytes[start..].chunks_exact(PACKET).take(MAX_PACKETS)
}

/// The `stream_type` of every elementary stream the first PMT lists, in order.
pub fn stream_types(bytes: &[u8]) -> Vec<u8> {
    streams(bytes).into_iter().map(|(t, _)| t).collect()
}

/// `(stream_type, elementary PID)` of every elementary stream the first PMT lists, in order (at
/// most 32).
pub fn streams(bytes: &[u8]) -> Vec<(u8, u16)> {
    let packets = || packets(bytes);
    // PAT on PID 0: program_number (2) + PID (2) per entry; program 0 is the network PID.
    let pmt_pid = packets()
        .filter_map(|p| section_start(p, 0))
        .filter_map(|s| section_body(s, 0x00))
        .find_map(|body| {
            body.chunks_exact(4).find_map(|e| {
                let program = u16::from_be_bytes([e[0], e[1]]);
                (program != 0).then(|| (u16::from(e[2] & 0x1f) << 8) | u16::from(e[3]))
            })
        });
    let Some(pmt_pid) = pmt_pid else {
        return Vec::new();
    };
    let Some(body) = packets()
        .filter_map(|p| section_start(p, pmt_pid))
        .find_map(|s| section_body(s, 0x02))
    else {
        return Vec::new();
    };
    // PCR_PID (2), program_info_length (2), descriptors, then 5-byte entries + ES descriptors.
    let (Some(&hi), Some(&lo)) = (body.get(2), body.get(3)) else {
        return Vec::new();
    };
    let mut i = 4 + ((usize::from(hi & 0x0f) << 8) | usize::from(lo));
    let mut out = Vec::new();
    while let Some(e) = body.get(i..i + 5) {
        out.push((e[0], (u16::from(e[1] & 0x1f) << 8) | u16::from(e[2])));
        let es_info = (usize::from(e[3] & 0x0f) << 8) | usize::from(e[4]);
        i += 5 + es_info;
        if out.len() >= 32 {
            break;
        }
    }
    out
}

/// Payload bytes gathered from one PID's packets.
pub const MAX_ES_BYTES: usize = 32 * 1024;

/// The elementary stream bytes of the first stream of `stream_type`: its packets' payloads, PES
/// headers left out, at most [`MAX_ES_BYTES`].
fn elementary_stream(bytes: &[u8], stream_type: u8) -> Option<Vec<u8>> {
    let (_, pid) = streams(bytes)
        .into_iter()
        .find(|(t, _)| *t == stream_type)?;
    let mut es = Vec::new();
    for pkt in packets(bytes) {
        let this_pid = (u16::from(pkt[1] & 0x1f) << 8) | u16::from(pkt[2]);
        if this_pid != pid {
            continue;
        }
        let afc = (pkt[3] >> 4) & 0x3;
        let at = match afc {
            1 => 4,
            3 => 5 + usize::from(pkt[4]),
            _ => continue,
        };
        let mut payload = pkt.get(at..).unwrap_or_default();
        // A PES starts here: its header (start code, stream id, length, two flag bytes and
        // PES_header_data_length) is not stream data.
        if pkt[1] & 0x40 != 0 && payload.starts_with(&[0, 0, 1]) {
            let header = 9 + usize::from(*payload.get(8).unwrap_or(&0));
            payload = payload.get(header..).unwrap_or_default();
        }
        es.extend_from_slice(payload);
        if es.len() >= MAX_ES_BYTES {
            break;
        }
    }
    Some(es)
}

/// What an AAC stream's first ADTS header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Adts {
    /// MPEG-4 audio object type (2 = AAC-LC).
    pub object_type: u8,
    pub sample_rate: u32,
    /// `None` for channel configuration 0 (channels given in the stream's own config).
    pub channels: Option<u16>,
}

/// The first ADTS header (ISO/IEC 13818-7 / 14496-3 §1.A.2) of the first AAC stream
/// (`stream_type` 0x0f) the PMT lists.
pub fn adts(bytes: &[u8]) -> Option<Adts> {
    use crate::mp4::{aac_channels, aac_sample_rate};
    let es = elementary_stream(bytes, 0x0f)?;
    // syncword 0xFFF, then ID, layer (00), protection_absent
    let at = es
        .windows(4)
        .position(|w| w[0] == 0xff && w[1] & 0xf6 == 0xf0)?;
    let h = &es[at..at + 4];
    let sample_rate = aac_sample_rate(u32::from((h[2] >> 2) & 0x0f))?;
    let channels = aac_channels(u32::from(((h[2] & 0x01) << 2) | (h[3] >> 6)));
    Some(Adts {
        object_type: (h[2] >> 6) + 1,
        sample_rate,
        channels,
    })
}

/// The first H.264 sequence parameter set NAL unit (header byte included, start code and trailing
/// zeros not) in the first H.264 stream (`stream_type` 0x1b) the PMT lists.
pub fn h264_sps(bytes: &[u8]) -> Option<Vec<u8>> {
    let es = elementary_stream(bytes, 0x1b)?;
    let mut i = 0;
    while let Some(off) = find_start_code(&es[i..]) {
        let nal_start = i + off + 3;
        let header = *es.get(nal_start)?;
        let next = find_start_code(&es[nal_start..]).map_or(es.len(), |n| nal_start + n);
        if header & 0x1f == 7 {
            let mut nal = &es[nal_start..next];
            // A four-byte start code leaves its leading zero at the end of the NAL before it.
            while let [rest @ .., 0] = nal {
                nal = rest;
            }
            return Some(nal.to_vec());
        }
        i = nal_start;
    }
    None
}

/// Offset of the next `00 00 01`.
fn find_start_code(b: &[u8]) -> Option<usize> {
    b.windows(3).position(|w| w == [0, 0, 1])
}

/// Our codec name for a `stream_type` (ISO/IEC 13818-1 Table 2-34; 0x81 is ATSC A/52 AC-3).
pub fn codec(stream_type: u8) -> Option<(bool, &'static str)> {
    // (is_video, name)
    Some(match stream_type {
        0x1b => (true, "h264"),
        0x24 => (true, "h265"),
        0x10 => (true, "mpeg4"),
        0x02 => (true, "mpeg2"),
        0x0f => (false, "aac"),
        0x03 | 0x04 => (false, "mp3"),
        0x81 => (false, "ac3"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(pid: u16, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![SYNC, 0x40 | (pid >> 8) as u8, pid as u8, 0x10, 0x00];
        p.extend_from_slice(payload);
        p.resize(PACKET, 0xff);
        p
    }

    /// A PAT naming PMT PID 0x1000, and a PMT with H.264 (PID 0x100) and AAC (PID 0x101), as
    /// ffmpeg's mpegts muxer writes them (CRC bytes are not checked).
    fn segment() -> Vec<u8> {
        let pat = [
            0x00, 0xb0, 0x0d, 0x00, 0x01, 0xc1, 0x00, 0x00, 0x00, 0x01, 0xf0, 0x00, 0, 0, 0, 0,
        ];
        let pmt = [
            0x02, 0xb0, 0x17, 0x00, 0x01, 0xc1, 0x00, 0x00, 0xe1, 0x00, 0xf0, 0x00, 0x1b, 0xe1,
            0x00, 0xf0, 0x00, 0x0f, 0xe1, 0x01, 0xf0, 0x00, 0, 0, 0, 0,
        ];
        let mut s = packet(0, &pat);
        s.extend(packet(0x1000, &pmt));
        s.extend(packet(0x100, &[0; 10]));
        s
    }

    #[test]
    fn pat_then_pmt() {
        let types = stream_types(&segment());
        assert_eq!(types, [0x1b, 0x0f]);
        assert_eq!(codec(types[0]), Some((true, "h264")));
        assert_eq!(codec(types[1]), Some((false, "aac")));
        // Junk before the first sync byte is skipped.
        let mut junk = b"xx".to_vec();
        junk.extend(segment());
        assert_eq!(stream_types(&junk), [0x1b, 0x0f]);
    }

    #[test]
    fn ffmpeg_segment() {
        let bytes = crate::test_fixture("hls/segment_start.ts");
        assert_eq!(stream_types(&bytes), [0x1b, 0x0f]);
    }

    #[test]
    fn never_panics() {
        let s = segment();
        for n in 0..s.len() {
            let _ = stream_types(&s[..n]);
        }
        let mut x = 0x1234_5678u32;
        for _ in 0..2000 {
            let mut b = s.clone();
            for _ in 0..8 {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                let i = x as usize % b.len();
                b[i] = (x >> 8) as u8;
            }
            let _ = stream_types(&b);
        }
        assert!(stream_types(b"").is_empty());
    }

    /// ffmpeg 5.1's HLS muxer around libx264 (superfast, zerolatency, Main, 640x360, 15 fps) and
    /// AAC, as the media lab writes it: the first 60 packets of a segment
    /// (tests/fixtures/ts/README.md).
    #[test]
    fn x264_segment_sps() {
        let bytes = crate::test_fixture("ts/x264_main_640x360_15fps.ts");
        assert_eq!(streams(&bytes), [(0x1b, 0x100), (0x0f, 0x101)]);
        let sps = h264_sps(&bytes).expect("an SPS in the first PES");
        assert_eq!(sps[0] & 0x1f, 7);
        let facts = crate::h26x::h264_sps(&sps).unwrap();
        assert_eq!(facts.rfc6381, "avc1.4D4016");
        assert_eq!(facts.profile.as_deref(), Some("main"));
        assert_eq!(facts.level, "2.2");
        assert_eq!((facts.width, facts.height), (Some(640), Some(360)));
        assert_eq!(facts.fps, Some(15.0));
        // Cut anywhere: no panic, and no SPS from a segment that lost it.
        for cut in (0..bytes.len()).step_by(97) {
            let _ = h264_sps(&bytes[..cut]);
        }
        assert_eq!(h264_sps(&bytes[..PACKET * 2]), None);
        // Joined mid-packet (a live stream over HTTP): the same facts, and 'G' in the partial
        // packet's payload is not taken for a sync byte.
        let mut joined = b"xxGxxxxG".to_vec();
        joined.extend_from_slice(&bytes);
        assert_eq!(streams(&joined), [(0x1b, 0x100), (0x0f, 0x101)]);
        assert_eq!(h264_sps(&joined), Some(sps.clone()));
        assert!(looks_like_ts(&bytes) && !looks_like_ts(&joined));
        // The AAC stream's first ADTS header: AAC-LC, 44.1 kHz, mono.
        assert_eq!(
            adts(&bytes),
            Some(Adts {
                object_type: 2,
                sample_rate: 44100,
                channels: Some(1)
            })
        );
    }
}
