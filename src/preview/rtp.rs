//! H.264 access units to RTP packets (RFC 6184), for WebRTC viewers.
//!
//! The relay gets whole access units from retina (the camera's packets reassembled, parameter
//! sets before each keyframe) and packetizes them again for WebRTC: a camera's own packets may be
//! larger than a browser's path allows (over RTSP-interleaved TCP some send 8 KiB and more), and
//! one outgoing sequence per relay makes a reconnect to the camera invisible to the browser. Single
//! NAL unit packets where a NAL unit fits in [`MTU`], fragmentation units (FU-A, RFC 6184 §5.8)
//! where it does not; non-interleaved mode (`packetization-mode=1`). Pure: no I/O.

use bytes::Bytes;

use super::RtpPacket;

/// Largest RTP payload sent: 1200 bytes, what libwebrtc and str0m assume fits any path once
/// SRTP, UDP, IP and TURN overheads are added.
pub const MTU: usize = 1200;

/// FU-A's NAL unit type (RFC 6184 §5.8).
const FU_A: u8 = 28;

/// Packetizes one stream's access units, numbering the packets in sequence.
#[derive(Debug)]
pub struct Packetizer {
    payload_type: u8,
    sequence: u16,
}

impl Packetizer {
    pub fn new(payload_type: u8) -> Self {
        Packetizer {
            payload_type,
            sequence: 0,
        }
    }

    /// The packets of one access unit in AVC format (4-byte big-endian lengths). A length running
    /// past the end ends the unit there; an empty unit gives no packets. The last packet carries
    /// the marker bit; with `keyframe` the first is flagged as a decoder's starting point.
    pub fn packetize(&mut self, timestamp: u32, keyframe: bool, avc: &[u8]) -> Vec<RtpPacket> {
        let mut out = Vec::new();
        for nal in nal_units(avc) {
            if nal.len() <= MTU {
                out.push(Bytes::copy_from_slice(nal));
                continue;
            }
            let (head, body) = (nal[0], &nal[1..]);
            let indicator = (head & 0xE0) | FU_A;
            let kind = head & 0x1F;
            let chunks = body.chunks(MTU - 2);
            let last = chunks.len().saturating_sub(1);
            for (i, chunk) in chunks.enumerate() {
                let mut header = kind;
                if i == 0 {
                    header |= 0x80;
                }
                if i == last {
                    header |= 0x40;
                }
                let mut p = Vec::with_capacity(chunk.len() + 2);
                p.extend_from_slice(&[indicator, header]);
                p.extend_from_slice(chunk);
                out.push(Bytes::from(p));
            }
        }
        let n = out.len();
        out.into_iter()
            .enumerate()
            .map(|(i, payload)| {
                let sequence = self.sequence;
                self.sequence = self.sequence.wrapping_add(1);
                RtpPacket {
                    sequence,
                    timestamp,
                    marker: i + 1 == n,
                    payload_type: self.payload_type,
                    payload,
                    keyframe_start: keyframe && i == 0,
                }
            })
            .collect()
    }
}

/// The NAL units of an AVC-format access unit (empty ones skipped).
pub fn nal_units(mut avc: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        loop {
            if avc.len() < 4 {
                return None;
            }
            let len = u32::from_be_bytes([avc[0], avc[1], avc[2], avc[3]]) as usize;
            let rest = &avc[4..];
            if len > rest.len() {
                avc = &[];
                return None;
            }
            let (nal, tail) = rest.split_at(len);
            avc = tail;
            if !nal.is_empty() {
                return Some(nal);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn avc(nals: &[&[u8]]) -> Vec<u8> {
        let mut v = Vec::new();
        for n in nals {
            v.extend_from_slice(&(n.len() as u32).to_be_bytes());
            v.extend_from_slice(n);
        }
        v
    }

    #[test]
    fn small_nal_units_go_whole_and_the_last_packet_is_marked() {
        let sps = [0x67, 0x4d, 0x40, 0x1f];
        let pps = [0x68, 0xee, 0x3c, 0x80];
        let idr = [0x65, 1, 2, 3];
        let mut p = Packetizer::new(96);
        let out = p.packetize(9000, true, &avc(&[&sps, &pps, &idr]));
        assert_eq!(out.len(), 3);
        assert_eq!(&out[0].payload[..], &sps);
        assert_eq!(&out[2].payload[..], &idr);
        assert!(out[0].keyframe_start && !out[1].keyframe_start);
        assert_eq!(
            out.iter().map(|p| p.marker).collect::<Vec<_>>(),
            [false, false, true]
        );
        assert_eq!(
            out.iter().map(|p| p.sequence).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        let next = p.packetize(12600, false, &avc(&[&[0x41, 9]]));
        assert_eq!(next[0].sequence, 3);
        assert!(!next[0].keyframe_start && next[0].marker);
    }

    #[test]
    fn a_large_nal_unit_is_split_into_fu_a_and_reassembles() {
        let mut idr = vec![0x65];
        idr.extend((0..3000u32).map(|i| i as u8));
        let out = Packetizer::new(96).packetize(0, true, &avc(&[&idr]));
        assert_eq!(out.len(), 3);
        assert!(out.iter().all(|p| p.payload.len() <= MTU));
        assert_eq!(out[0].payload[0], 0x60 | FU_A);
        assert_eq!(out[0].payload[1], 0x80 | 5);
        assert_eq!(out[1].payload[1], 5);
        assert_eq!(out[2].payload[1], 0x40 | 5);
        let mut back = vec![(out[0].payload[0] & 0xE0) | (out[0].payload[1] & 0x1F)];
        for p in &out {
            back.extend_from_slice(&p.payload[2..]);
        }
        assert_eq!(back, idr);
    }

    #[test]
    fn broken_lengths_end_the_unit_without_a_panic() {
        let mut p = Packetizer::new(96);
        assert!(p.packetize(0, false, &[0, 0, 0, 9, 1, 2]).is_empty());
        assert!(p.packetize(0, false, &[0xff, 0xff]).is_empty());
        let mut v = avc(&[&[0x41, 1]]);
        v.extend_from_slice(&[0, 0, 0, 0, 0, 0, 1, 0]);
        assert_eq!(p.packetize(0, false, &v).len(), 1);
    }
}
