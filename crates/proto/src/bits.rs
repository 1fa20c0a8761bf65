//! A big-endian bit reader for the bit-packed headers cameras put in SDP: H.265 parameter sets
//! (with the Exp-Golomb codes of ITU-T H.265 §9.2), the MPEG-4 Visual VOL header (ISO/IEC 14496-2
//! §6.2) and the LATM `StreamMuxConfig` (ISO/IEC 14496-3 §1.7.3).
//!
//! Every read is bounds-checked and returns `None` past the end, so a truncated or hostile header
//! ends the parse instead of panicking.

/// Reads bits most significant first.
#[derive(Debug, Clone)]
pub struct BitReader<'a> {
    bytes: &'a [u8],
    /// Position in bits from the start of `bytes`.
    at: usize,
}

impl<'a> BitReader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        BitReader { bytes, at: 0 }
    }

    /// Bits not read yet.
    pub fn remaining(&self) -> usize {
        (self.bytes.len() * 8).saturating_sub(self.at)
    }

    /// Bits read so far.
    pub fn position(&self) -> usize {
        self.at
    }

    pub fn bit(&mut self) -> Option<bool> {
        let byte = *self.bytes.get(self.at / 8)?;
        let bit = (byte >> (7 - self.at % 8)) & 1;
        self.at += 1;
        Some(bit == 1)
    }

    /// `n` bits (at most 32) as an unsigned number: `u(n)` in the ITU-T syntax tables.
    pub fn bits(&mut self, n: u32) -> Option<u32> {
        if n > 32 || self.remaining() < n as usize {
            return None;
        }
        let mut v: u64 = 0;
        for _ in 0..n {
            v = (v << 1) | u64::from(self.bit()?);
        }
        u32::try_from(v).ok()
    }

    /// Skip `n` bits; `None` (and the position unchanged) when fewer are left.
    pub fn skip(&mut self, n: usize) -> Option<()> {
        if self.remaining() < n {
            return None;
        }
        self.at += n;
        Some(())
    }

    /// Unsigned Exp-Golomb `ue(v)`. `None` for codes longer than 32 bits (no syntax element in
    /// the headers read here is that large; a run of 32 zero bits is damage).
    pub fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0u32;
        while !self.bit()? {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        let rest = u64::from(self.bits(zeros)?);
        u32::try_from((1u64 << zeros) - 1 + rest).ok()
    }

    /// Signed Exp-Golomb `se(v)`: 0, 1, -1, 2, -2...
    pub fn se(&mut self) -> Option<i32> {
        let k = i64::from(self.ue()?);
        let v = if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) };
        i32::try_from(v).ok()
    }
}

/// A NAL unit's payload with the emulation prevention bytes taken out (every `00 00 03` becomes
/// `00 00`; ITU-T H.264 §7.4.1, H.265 §7.4.2).
pub fn unescape_nal(nal: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(nal.len());
    let mut zeros = 0usize;
    for &b in nal {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_width_and_exp_golomb() {
        // 1 | 010 | 011 | 00100 | 00101 | 0001000 -> bit 1, ue 1, ue 2, ue 3, se -2, ue 7
        let mut r = BitReader::new(&[0b1010_0110, 0b0100_0010, 0b1000_1000]);
        assert_eq!(r.bit(), Some(true));
        assert_eq!(r.ue(), Some(1));
        assert_eq!(r.ue(), Some(2));
        assert_eq!(r.ue(), Some(3));
        assert_eq!(r.se(), Some(-2));
        assert_eq!(r.ue(), Some(7));
        assert_eq!(r.remaining(), 0);
        assert_eq!(r.bit(), None);
        let mut r = BitReader::new(&[0x12, 0x34, 0x56, 0x78, 0x9a]);
        assert_eq!(r.bits(4), Some(1));
        assert_eq!(r.bits(32), Some(0x2345_6789));
        assert_eq!(r.bits(8), None, "only 4 bits left");
        assert_eq!(r.bits(4), Some(0xa));
    }

    #[test]
    fn hostile_codes_end_the_read() {
        assert_eq!(BitReader::new(&[0; 8]).ue(), None, "32 zero bits");
        assert_eq!(BitReader::new(&[0, 0, 0, 1]).ue(), None, "truncated");
        let mut r = BitReader::new(&[0xff]);
        assert_eq!(r.bits(33), None);
        assert_eq!(r.skip(9), None);
        assert_eq!(r.position(), 0);
    }

    #[test]
    fn emulation_prevention_bytes() {
        assert_eq!(
            unescape_nal(&[0x42, 0, 0, 3, 1, 0, 0, 3, 0, 3]),
            [0x42, 0, 0, 1, 0, 0, 0, 3]
        );
    }
}
