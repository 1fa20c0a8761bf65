//! MPEG-TS (ISO/IEC 13818-1), just enough to name the codecs of an HLS segment whose playlist does
//! not say (`CODECS` is optional, RFC 8216 §4.3.4.2): the PAT gives the PMT's PID, the PMT lists the
//! elementary streams' `stream_type`. Packets are 188 bytes starting with 0x47; only the first
//! section of each table (in one packet) is read, which is how muxers write them.

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

/// The `stream_type` of every elementary stream the first PMT lists, in order.
pub fn stream_types(bytes: &[u8]) -> Vec<u8> {
    let start = match bytes.iter().position(|b| *b == SYNC) {
        Some(i) => i,
        None => return Vec::new(),
    };
    let packets = || bytes[start..].chunks_exact(PACKET).take(MAX_PACKETS);
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
        out.push(e[0]);
        let es_info = (usize::from(e[3] & 0x0f) << 8) | usize::from(e[4]);
        i += 5 + es_info;
        if out.len() >= 32 {
            break;
        }
    }
    out
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
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/hls/segment_start.ts"
        ))
        .unwrap();
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
}
