//! What arrives on an RTSP connection after `PLAY` over TCP: interleaved frames (RFC 2326 §10.12,
//! `$`, channel, 16-bit length, data) between RTSP messages (the answers to our requests, or a
//! request of the server's own), and in each frame on a data channel an RTP packet (RFC 3550 §5.1).
//! Pure: the PLAY check on the connection that found a stream (`analyze::rtsp::play`) feeds it
//! what it read.

/// Longest RTSP message head read between frames.
pub const MAX_HEAD: usize = 8 * 1024;
/// Largest body skipped with an RTSP message between frames.
pub const MAX_BODY: usize = 64 * 1024;

/// One thing at the start of the bytes read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item<'a> {
    /// An interleaved frame on `channel`.
    Frame { channel: u8, data: &'a [u8] },
    /// An RTSP message: an answer (`status`) or a request of the server's (no status), with its
    /// `CSeq` when it has one. Its body is skipped.
    Message {
        status: Option<u16>,
        cseq: Option<u32>,
    },
}

/// Why the bytes cannot be read on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("neither an interleaved frame nor an RTSP message (byte {0:#04x})")]
    Garbage(u8),
    #[error("RTSP message head over {MAX_HEAD} bytes")]
    HeadTooLong,
    #[error("RTSP message body over {MAX_BODY} bytes")]
    BodyTooLong,
}

/// The first item of `buf` and how many bytes it took; `Ok(None)` when more bytes are needed.
pub fn next(buf: &[u8]) -> Result<Option<(Item<'_>, usize)>, Error> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    if first == b'$' {
        let [_, channel, hi, lo, ..] = *buf else {
            return Ok(None);
        };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        return Ok(buf
            .get(4..4 + len)
            .map(|data| (Item::Frame { channel, data }, 4 + len)));
    }
    if !first.is_ascii_alphabetic() {
        return Err(Error::Garbage(first));
    }
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return if buf.len() > MAX_HEAD {
            Err(Error::HeadTooLong)
        } else {
            Ok(None)
        };
    };
    if end > MAX_HEAD {
        return Err(Error::HeadTooLong);
    }
    let head = String::from_utf8_lossy(&buf[..end]);
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| {
        let mut words = l.split(' ');
        let proto = words.next()?;
        if !proto.starts_with("RTSP/") {
            return None;
        }
        words.next()?.parse().ok()
    });
    let (mut cseq, mut len) = (None, 0usize);
    for line in lines {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        if k.trim().eq_ignore_ascii_case("cseq") {
            cseq = v.parse().ok();
        } else if k.trim().eq_ignore_ascii_case("content-length") {
            len = v.parse().map_err(|_| Error::BodyTooLong)?;
        }
    }
    if len > MAX_BODY {
        return Err(Error::BodyTooLong);
    }
    let total = end + 4 + len;
    Ok((buf.len() >= total).then_some((Item::Message { status, cseq }, total)))
}

/// An RTP packet's fixed header and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<'a> {
    pub payload_type: u8,
    pub marker: bool,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    /// After the CSRC list and header extension, without padding.
    pub payload: &'a [u8],
}

/// The RTP packet in `data`; `None` when it is not one (version other than 2, or lengths that do
/// not fit).
pub fn packet(data: &[u8]) -> Option<Packet<'_>> {
    let [b0, b1, s0, s1, t0, t1, t2, t3, c0, c1, c2, c3, ..] = *data else {
        return None;
    };
    if b0 >> 6 != 2 {
        return None;
    }
    let mut start = 12 + 4 * usize::from(b0 & 0x0f);
    if b0 & 0x10 != 0 {
        let words = data.get(start + 2..start + 4)?;
        start += 4 + 4 * usize::from(u16::from_be_bytes([words[0], words[1]]));
    }
    let mut end = data.len();
    if b0 & 0x20 != 0 {
        end = end.checked_sub(usize::from(*data.last()?))?;
    }
    Some(Packet {
        payload_type: b1 & 0x7f,
        marker: b1 & 0x80 != 0,
        sequence: u16::from_be_bytes([s0, s1]),
        timestamp: u32::from_be_bytes([t0, t1, t2, t3]),
        ssrc: u32::from_be_bytes([c0, c1, c2, c3]),
        payload: data.get(start..end)?,
    })
}

/// RTP timestamps of one stream made monotonic across the 32-bit wrap: each one is placed at the
/// signed 32-bit distance from the one before (B-frames go back a little, a wrap goes on).
#[derive(Debug, Default, Clone)]
pub struct Extender {
    last: Option<(u32, i64)>,
}

impl Extender {
    pub fn extend(&mut self, ts: u32) -> i64 {
        let ext = match self.last {
            None => i64::from(ts),
            Some((prev, prev_ext)) => prev_ext + i64::from(ts.wrapping_sub(prev) as i32),
        };
        self.last = Some((ts, ext));
        ext
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_messages_in_turn() {
        let mut buf = b"RTSP/1.0 200 OK\r\nCSeq: 4\r\nSession: 1\r\n\r\n".to_vec();
        buf.extend_from_slice(&[b'$', 0, 0, 3, 1, 2, 3]);
        buf.extend_from_slice(
            b"GET_PARAMETER rtsp://x/ RTSP/1.0\r\nCSeq: 9\r\ncontent-length: 2\r\n\r\nab",
        );
        buf.extend_from_slice(&[b'$', 1, 0, 2, 7]);
        let (item, n) = next(&buf).unwrap().unwrap();
        assert_eq!(
            item,
            Item::Message {
                status: Some(200),
                cseq: Some(4)
            }
        );
        let rest = &buf[n..];
        let (item, n) = next(rest).unwrap().unwrap();
        assert_eq!(
            item,
            Item::Frame {
                channel: 0,
                data: &[1, 2, 3]
            }
        );
        let rest = &rest[n..];
        let (item, n) = next(rest).unwrap().unwrap();
        assert_eq!(
            item,
            Item::Message {
                status: None,
                cseq: Some(9)
            }
        );
        let rest = &rest[n..];
        assert_eq!(next(rest), Ok(None), "a frame cut short waits for more");
        assert_eq!(next(&[0x80, 1]), Err(Error::Garbage(0x80)));
        assert_eq!(next(&vec![b'A'; MAX_HEAD + 1]), Err(Error::HeadTooLong));
    }

    #[test]
    fn rtp_header_with_csrcs_extension_and_padding() {
        let mut p = vec![
            0x80 | 0x20 | 0x10 | 1,
            0x80 | 96,
            0,
            7,
            0,
            0,
            0x0e,
            0x10,
            1,
            2,
            3,
            4,
        ];
        p.extend_from_slice(&[9, 9, 9, 9]); // one CSRC
        p.extend_from_slice(&[0xbe, 0xde, 0, 1, 5, 5, 5, 5]); // a one-word extension
        p.extend_from_slice(&[0x65, 0xaa]); // payload
        p.extend_from_slice(&[0, 0, 3]); // padding of 3
        let r = packet(&p).unwrap();
        assert_eq!(
            (r.payload_type, r.marker, r.sequence, r.timestamp, r.ssrc),
            (96, true, 7, 3600, 0x0102_0304)
        );
        assert_eq!(r.payload, &[0x65, 0xaa]);
        assert!(packet(&p[..11]).is_none());
        assert!(packet(&[0x40; 12]).is_none(), "version 1");
        let mut bad = p.clone();
        *bad.last_mut().unwrap() = 200; // padding longer than the packet
        assert!(packet(&bad).is_none());
    }

    #[test]
    fn timestamps_extend_across_the_wrap_and_go_back_for_b_frames() {
        let mut e = Extender::default();
        assert_eq!(e.extend(u32::MAX - 10), i64::from(u32::MAX - 10));
        assert_eq!(e.extend(5), i64::from(u32::MAX) + 6);
        assert_eq!(e.extend(2), i64::from(u32::MAX) + 3);
    }
}
