//! Helpers shared by camscan's fuzz targets (`fuzz_targets/`, one per parser entry point).
//!
//! Incremental parsers (the RTMP chunk reader, the MJPEG part splitter) get their bytes as a TCP
//! stream delivers them: in pieces of any size. [`pieces`] cuts an input the way one byte of the
//! input chooses, so the fuzzer explores the splits as well as the bytes (retina fuzzes its RTSP
//! parser by splitting at every offset; that costs one run per offset, this costs one run).

/// Cuts `data` into consecutive pieces whose lengths follow a xorshift sequence seeded by `seed`.
/// The low 4 bits of `seed` set the largest piece (1 to 32 768 bytes), so some seeds deliver byte
/// by byte and others nearly all at once.
pub fn pieces(data: &[u8], seed: u8) -> Vec<&[u8]> {
    let max = 1usize << (seed & 0x0F);
    let mut state = u32::from(seed).wrapping_mul(0x9E37_79B9) | 1;
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = 1 + (state as usize % max);
        let (piece, tail) = rest.split_at(n.min(rest.len()));
        out.push(piece);
        rest = tail;
    }
    out
}

/// Splits `data` at its first byte: `(data[0], &data[1..])`, or `None` for empty input.
pub fn control_byte(data: &[u8]) -> Option<(u8, &[u8])> {
    data.split_first().map(|(b, rest)| (*b, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_the_input_in_order() {
        let data: Vec<u8> = (0..=255).collect();
        for seed in 0..=255 {
            let p = pieces(&data, seed);
            assert_eq!(p.concat(), data);
            assert!(p.iter().all(|x| !x.is_empty()));
        }
        assert_eq!(pieces(&data, 0).len(), data.len(), "seed 0: byte by byte");
    }
}
