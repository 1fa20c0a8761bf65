//! What an H.265 VPS and SPS say: profile, tier and level, the cropped picture size and the
//! encoder's frame rate. Read from the `sprop-vps` / `sprop-sps` of an SDP (RFC 7798 §7.1) when
//! retina could not (a description its strict SDP parser rejected), so a camera with a broken
//! `o=` line still reports its size and rate.
//!
//! Written from ITU-T H.265 (v8, 08/2021): §7.3.1.2 NAL header, §7.3.2.1 VPS, §7.3.2.2 SPS,
//! §7.3.3 profile_tier_level, §7.3.4 scaling_list_data, §7.3.7 st_ref_pic_set, Annex E.2.1 VUI.
//! Every count read from the stream is checked against the limit the standard sets before it
//! drives a loop, so a hostile SPS costs at most a few thousand bit reads.

use crate::bits::{BitReader, unescape_nal};

/// NAL unit types (Table 7-1).
const VPS_NUT: u8 = 32;
const SPS_NUT: u8 = 33;

/// Limits from the semantics (§7.4.3.2.1, §7.4.8): at most 64 short-term RPS in an SPS, 16
/// pictures in one, 32 long-term reference pictures.
const MAX_SHORT_TERM_RPS: u32 = 64;
const MAX_DPB_PICS: u32 = 16;
const MAX_LONG_TERM_PICS: u32 = 32;

/// `profile_tier_level()` general fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileTierLevel {
    pub profile_space: u8,
    pub high_tier: bool,
    pub profile_idc: u8,
    /// `general_profile_compatibility_flag[0..32]`, flag 0 the most significant bit.
    pub compatibility: u32,
    /// The 48 bits from `general_progressive_source_flag` on.
    pub constraints: [u8; 6],
    pub level_idc: u8,
}

impl ProfileTierLevel {
    /// ISO/IEC 14496-15 Annex E.3 codec string: `hvc1.1.6.L120.90` (profile space and idc,
    /// compatibility flags bit-reversed in hex, tier and level, constraint bytes without the
    /// trailing zero ones).
    pub fn rfc6381(&self) -> String {
        let space = ["", "A", "B", "C"][usize::from(self.profile_space & 3)];
        let tier = if self.high_tier { 'H' } else { 'L' };
        let mut s = format!(
            "hvc1.{space}{}.{:X}.{tier}{}",
            self.profile_idc,
            self.compatibility.reverse_bits(),
            self.level_idc
        );
        let keep = self
            .constraints
            .iter()
            .rposition(|b| *b != 0)
            .map_or(1, |i| i + 1);
        for b in &self.constraints[..keep] {
            s.push_str(&format!(".{b:02X}"));
        }
        s
    }
}

/// What an SPS (or failing that, a VPS) gives.
#[derive(Debug, Clone, PartialEq)]
pub struct H265Facts {
    pub ptl: ProfileTierLevel,
    /// Picture size after the conformance window crop, pixels (SPS only).
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// `time_scale / num_units_in_tick` from the VUI (SPS) or `vps_timing_info` (VPS).
    pub fps: Option<f64>,
}

/// Decode an SPS NAL unit (2-byte header first, emulation prevention bytes still in). `None` when
/// it is not an SPS or is cut before the picture size.
pub fn sps(nal: &[u8]) -> Option<H265Facts> {
    let rbsp = unescape_nal(nal);
    let mut r = BitReader::new(&rbsp);
    if nal_type(&mut r)? != SPS_NUT {
        return None;
    }
    r.skip(4)?; // sps_video_parameter_set_id
    let max_sub_layers_minus1 = r.bits(3)?;
    r.skip(1)?; // sps_temporal_id_nesting_flag
    let ptl = profile_tier_level(&mut r, max_sub_layers_minus1)?;
    r.ue()?; // sps_seq_parameter_set_id
    let chroma_format_idc = r.ue()?;
    if chroma_format_idc > 3 {
        return None;
    }
    if chroma_format_idc == 3 {
        r.skip(1)?; // separate_colour_plane_flag
    }
    let coded_width = r.ue()?;
    let coded_height = r.ue()?;
    // Conformance window offsets are in chroma samples (Table 6-1: SubWidthC, SubHeightC).
    let (sub_w, sub_h) = match chroma_format_idc {
        1 => (2, 2),
        2 => (2, 1),
        _ => (1, 1),
    };
    let (mut width, mut height) = (Some(coded_width), Some(coded_height));
    if r.bit()? {
        let (left, right, top, bottom) = (r.ue()?, r.ue()?, r.ue()?, r.ue()?);
        let crop = |size: u32, a: u32, b: u32, sub: u64| {
            let cut = (u64::from(a) + u64::from(b)) * sub;
            u32::try_from(u64::from(size).checked_sub(cut)?).ok()
        };
        width = crop(coded_width, left, right, sub_w);
        height = crop(coded_height, top, bottom, sub_h);
    }
    // A size beyond the largest level (8K is 8192 luma samples wide) is damage, not a picture.
    let sane = |v: Option<u32>| v.filter(|v| (1..=16_888).contains(v));
    let (width, height) = (sane(width), sane(height));
    let fps = sps_vui_fps(&mut r, max_sub_layers_minus1);
    Some(H265Facts {
        ptl,
        width,
        height,
        fps,
    })
}

/// Decode a VPS NAL unit: profile, tier and level, and `vps_timing_info` when present.
pub fn vps(nal: &[u8]) -> Option<H265Facts> {
    let rbsp = unescape_nal(nal);
    let mut r = BitReader::new(&rbsp);
    if nal_type(&mut r)? != VPS_NUT {
        return None;
    }
    // vps_video_parameter_set_id(4) base_layer_internal(1) base_layer_available(1)
    // max_layers_minus1(6)
    r.skip(12)?;
    let max_sub_layers_minus1 = r.bits(3)?;
    r.skip(1 + 16)?; // temporal_id_nesting_flag, vps_reserved_0xffff_16bits
    let ptl = profile_tier_level(&mut r, max_sub_layers_minus1)?;
    let fps = (|| {
        sub_layer_ordering(&mut r, max_sub_layers_minus1)?;
        let max_layer_id = r.bits(6)?;
        let num_layer_sets_minus1 = r.ue()?;
        if num_layer_sets_minus1 > 1023 {
            return None;
        }
        let flags = num_layer_sets_minus1 as usize * (max_layer_id as usize + 1);
        r.skip(flags)?; // layer_id_included_flag[i][j]
        timing(&mut r)
    })();
    Some(H265Facts {
        ptl,
        width: None,
        height: None,
        fps,
    })
}

/// The 2-byte NAL header (§7.3.1.2): forbidden bit zero, then the type.
fn nal_type(r: &mut BitReader) -> Option<u8> {
    if r.bit()? {
        return None;
    }
    let t = r.bits(6)? as u8;
    r.skip(9)?; // nuh_layer_id, nuh_temporal_id_plus1
    Some(t)
}

/// §7.3.3 with profilePresentFlag = 1.
fn profile_tier_level(r: &mut BitReader, max_sub_layers_minus1: u32) -> Option<ProfileTierLevel> {
    let profile_space = r.bits(2)? as u8;
    let high_tier = r.bit()?;
    let profile_idc = r.bits(5)? as u8;
    let compatibility = r.bits(32)?;
    let mut constraints = [0u8; 6];
    for c in &mut constraints {
        *c = r.bits(8)? as u8;
    }
    let level_idc = r.bits(8)? as u8;
    let mut sub_present = Vec::new();
    for _ in 0..max_sub_layers_minus1 {
        let profile = r.bit()?;
        let level = r.bit()?;
        sub_present.push((profile, level));
    }
    if max_sub_layers_minus1 > 0 {
        r.skip(2 * (8 - max_sub_layers_minus1 as usize))?; // reserved_zero_2bits
    }
    for (profile, level) in sub_present {
        if profile {
            r.skip(88)?;
        }
        if level {
            r.skip(8)?;
        }
    }
    Some(ProfileTierLevel {
        profile_space,
        high_tier,
        profile_idc,
        compatibility,
        constraints,
        level_idc,
    })
}

/// `*_sub_layer_ordering_info_present_flag` and its loop: three `ue(v)` per sub-layer.
fn sub_layer_ordering(r: &mut BitReader, max_sub_layers_minus1: u32) -> Option<()> {
    let all = r.bit()?;
    let first = if all { 0 } else { max_sub_layers_minus1 };
    for _ in first..=max_sub_layers_minus1 {
        r.ue()?;
        r.ue()?;
        r.ue()?;
    }
    Some(())
}

/// `num_units_in_tick`, `time_scale` as a rate (E.2.1: one picture per tick for progressive
/// video), to 3 decimals; `None` unless it is a plausible rate.
fn timing(r: &mut BitReader) -> Option<f64> {
    if !r.bit()? {
        return None;
    }
    let num_units_in_tick = r.bits(32)?;
    let time_scale = r.bits(32)?;
    if num_units_in_tick == 0 {
        return None;
    }
    let fps = (f64::from(time_scale) / f64::from(num_units_in_tick) * 1000.0).round() / 1000.0;
    (fps > 0.0 && fps <= 1000.0).then_some(fps)
}

/// The rest of the SPS up to the VUI's timing info. `None` when the SPS has no timing (or is cut
/// short somewhere on the way).
fn sps_vui_fps(r: &mut BitReader, max_sub_layers_minus1: u32) -> Option<f64> {
    r.ue()?; // bit_depth_luma_minus8
    r.ue()?; // bit_depth_chroma_minus8
    let log2_max_poc_lsb = r.ue()?.checked_add(4).filter(|v| *v <= 16)?;
    sub_layer_ordering(r, max_sub_layers_minus1)?;
    for _ in 0..6 {
        // log2_min_luma_coding_block_size_minus3 .. max_transform_hierarchy_depth_intra
        r.ue()?;
    }
    if r.bit()? && r.bit()? {
        // scaling_list_enabled_flag && sps_scaling_list_data_present_flag
        scaling_list_data(r)?;
    }
    r.skip(2)?; // amp_enabled_flag, sample_adaptive_offset_enabled_flag
    if r.bit()? {
        // pcm_enabled_flag: sample bit depths u(4) u(4), two ue(v), pcm_loop_filter_disabled_flag
        r.skip(8)?;
        r.ue()?;
        r.ue()?;
        r.skip(1)?;
    }
    let num_short_term_ref_pic_sets = r.ue()?;
    if num_short_term_ref_pic_sets > MAX_SHORT_TERM_RPS {
        return None;
    }
    let mut sets: Vec<RefPicSet> = Vec::new();
    for idx in 0..num_short_term_ref_pic_sets {
        let set = st_ref_pic_set(r, idx, &sets)?;
        sets.push(set);
    }
    if r.bit()? {
        // long_term_ref_pics_present_flag
        let n = r.ue()?;
        if n > MAX_LONG_TERM_PICS {
            return None;
        }
        for _ in 0..n {
            r.skip(log2_max_poc_lsb as usize + 1)?; // lt_ref_pic_poc_lsb_sps, used_by_curr_pic_lt
        }
    }
    r.skip(2)?; // sps_temporal_mvp_enabled_flag, strong_intra_smoothing_enabled_flag
    if !r.bit()? {
        return None; // no VUI
    }
    // Annex E.2.1 vui_parameters() up to vui_timing_info_present_flag.
    if r.bit()? && r.bits(8)? == 255 {
        r.skip(32)?; // aspect_ratio_idc == EXTENDED_SAR: sar_width, sar_height
    }
    if r.bit()? {
        r.skip(1)?; // overscan_appropriate_flag
    }
    if r.bit()? {
        // video_signal_type_present_flag: video_format(3) full_range(1), then colour description
        r.skip(4)?;
        if r.bit()? {
            r.skip(24)?;
        }
    }
    if r.bit()? {
        r.ue()?; // chroma_sample_loc_type_top_field
        r.ue()?; // chroma_sample_loc_type_bottom_field
    }
    r.skip(3)?; // neutral_chroma_indication, field_seq, frame_field_info_present
    if r.bit()? {
        // default_display_window_flag
        for _ in 0..4 {
            r.ue()?;
        }
    }
    timing(r)
}

/// §7.3.4: only walked over.
fn scaling_list_data(r: &mut BitReader) -> Option<()> {
    for size_id in 0..4u32 {
        let step = if size_id == 3 { 3 } else { 1 };
        for _ in (0..6).step_by(step) {
            if !r.bit()? {
                r.ue()?; // scaling_list_pred_matrix_id_delta
            } else {
                let coefs = 64.min(1 << (4 + (size_id << 1)));
                if size_id > 1 {
                    r.se()?; // scaling_list_dc_coef_minus8
                }
                for _ in 0..coefs {
                    r.se()?; // scaling_list_delta_coef
                }
            }
        }
    }
    Some(())
}

/// The delta POCs of one short-term reference picture set; only their signs and count matter for
/// reading on, but an inter-predicted set is derived from the values of the one before (7-61, 7-62).
#[derive(Debug, Default, Clone)]
struct RefPicSet {
    negative: Vec<i64>,
    positive: Vec<i64>,
}

/// §7.3.7 `st_ref_pic_set(stRpsIdx)` as it appears in an SPS (`stRpsIdx` below
/// `num_short_term_ref_pic_sets`, so `delta_idx_minus1` is absent and RefRpsIdx is the set before).
fn st_ref_pic_set(r: &mut BitReader, idx: u32, sets: &[RefPicSet]) -> Option<RefPicSet> {
    let inter = idx != 0 && r.bit()?;
    if !inter {
        let negatives = r.ue()?;
        let positives = r.ue()?;
        if negatives > MAX_DPB_PICS || positives > MAX_DPB_PICS {
            return None;
        }
        let mut set = RefPicSet::default();
        let mut poc = 0i64;
        for _ in 0..negatives {
            poc -= i64::from(r.ue()?) + 1;
            r.skip(1)?; // used_by_curr_pic_s0_flag
            set.negative.push(poc);
        }
        poc = 0;
        for _ in 0..positives {
            poc += i64::from(r.ue()?) + 1;
            r.skip(1)?; // used_by_curr_pic_s1_flag
            set.positive.push(poc);
        }
        return Some(set);
    }
    let reference = sets.last()?;
    let sign = r.bit()?;
    let abs = i64::from(r.ue()?) + 1;
    let delta_rps = if sign { -abs } else { abs };
    let n_ref = reference.negative.len() + reference.positive.len();
    // use_delta_flag[j] for j in 0..=NumDeltaPocs[RefRpsIdx]; inferred 1 when used_by_curr_pic_flag.
    let mut use_delta = Vec::with_capacity(n_ref + 1);
    for _ in 0..=n_ref {
        let used_by_curr = r.bit()?;
        use_delta.push(used_by_curr || r.bit()?);
    }
    // Entries j: the reference's negatives (0..n_neg), then its positives, then deltaRps itself.
    let n_neg = reference.negative.len();
    let mut set = RefPicSet::default();
    let candidates = reference
        .negative
        .iter()
        .enumerate()
        .map(|(j, d)| (j, d + delta_rps))
        .chain(
            reference
                .positive
                .iter()
                .enumerate()
                .map(|(j, d)| (n_neg + j, d + delta_rps)),
        )
        .chain(std::iter::once((n_ref, delta_rps)));
    for (j, poc) in candidates {
        if !use_delta[j] {
            continue;
        }
        if poc < 0 {
            set.negative.push(poc);
        } else if poc > 0 {
            set.positive.push(poc);
        }
    }
    if set.negative.len() as u32 > MAX_DPB_PICS || set.positive.len() as u32 > MAX_DPB_PICS {
        return None;
    }
    // Order matters for the next set's derivation only through the values, which are kept; sort
    // as 7-61/7-62 leave them (closest first).
    set.negative.sort_unstable_by(|a, b| b.cmp(a));
    set.positive.sort_unstable();
    Some(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn b64(s: &str) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD.decode(s).unwrap()
    }

    /// x265 (GStreamer x265enc, I420, speed-preset ultrafast) 1920x1080 at 20 fps:
    /// tests/fixtures/sdp/gstreamer_h265_main_1080p.sdp.
    #[test]
    fn x265_1080p_main() {
        let sps = sps(&b64(
            "QgEBAWAAAAMAkAAAAwAAAwB4oAPAgBEHy5bpKTC//AAEAAWoCAgIIAAAAwAgAAADAoE=",
        ))
        .unwrap();
        assert_eq!((sps.width, sps.height), (Some(1920), Some(1080)));
        assert_eq!(sps.fps, Some(20.0));
        assert_eq!(sps.ptl.profile_idc, 1);
        assert_eq!(sps.ptl.rfc6381(), "hvc1.1.6.L120.90");
        let vps = vps(&b64("QAEMAf//AWAAAAMAkAAAAwAAAwB4ugJA")).unwrap();
        assert_eq!(vps.ptl, sps.ptl);
    }

    /// gortsplib's test data (pkg/sdpunmarshaler, "no timing"): a main-profile SPS coded at
    /// 1344x752 with a conformance window of 5 chroma samples right and 1 below (checked by hand:
    /// 10 luma columns and 2 rows cropped).
    #[test]
    fn gortsplib_sps_without_timing() {
        let facts = sps(&b64(
            "QgEBAWAAAAMAsAAAAwAAAwB4oAKggC8c1YgXuRZFL/y5/E/qbgQEBAE=",
        ))
        .unwrap();
        assert_eq!(facts.ptl.rfc6381(), "hvc1.1.6.L120.B0");
        assert_eq!((facts.width, facts.height), (Some(1334), Some(750)));
        assert_eq!(facts.fps, None);
    }

    #[test]
    fn not_an_sps_or_truncated() {
        let nal = b64("QgEBAWAAAAMAkAAAAwAAAwB4oAPAgBEHy5bpKTC//AAEAAWoCAgIIAAAAwAgAAADAoE=");
        assert_eq!(vps(&nal), None, "an SPS is not a VPS");
        for cut in 0..nal.len() {
            let _ = sps(&nal[..cut]);
        }
        assert_eq!(sps(&nal[..12]), None);
        assert_eq!(sps(&[]), None);
        // Forbidden bit set.
        assert_eq!(sps(&[0xC2, 0x01]), None);
    }
}
