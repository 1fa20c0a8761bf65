//! The IEEE registry of MAC address blocks, embedded: who a MAC's prefix was assigned to, for every
//! device, camera or not.
//!
//! The IEEE Registration Authority assigns blocks of MAC addresses of three sizes: MA-L (a 24-bit
//! prefix, the classic OUI), MA-M (28 bits) and MA-S (36 bits; the older IAB blocks are 36 bits
//! too). A MAC belongs to the longest prefix that holds it, so MA-S is looked up first, then MA-M,
//! then MA-L. `scripts/refresh-oui` builds `data/oui/registry.bin` from Debian's `ieee-data` package
//! or the IEEE's CSV files and records the registry's date and source in its header (and in
//! `data/oui/registry.txt` beside it); the layout is described in that script.
//!
//! The table is fixed-width records sorted by key plus the organisation names, each once: about
//! 46,000 assignments and 30,000 names in under 1 MB, searched in place by binary search with no
//! allocation. It is checked once, on first use (every offset inside the names, every key in
//! order), so a lookup never panics whatever the MAC; a table that fails the check (a bad refresh)
//! answers nothing and says so in the log. Compression was left out: no compression crate is in the
//! dependency tree, and deflate would save about 520 KB of the binary at the price of a new
//! dependency and a megabyte of memory once decompressed.
//!
//! A MAC with the locally administered bit set (bit 1 of the first byte: randomised by the phone or
//! laptop, or set by software) was not assigned by the IEEE: it names no maker.

use std::sync::OnceLock;

/// The registry, as `scripts/refresh-oui` wrote it.
static REGISTRY: &[u8] = include_bytes!("../../../data/oui/registry.bin");

/// `registry.bin`'s first bytes: format version 1.
const MAGIC: &[u8; 8] = b"CSOUI\x00\x00\x01";
/// Bytes of a name's offset in the names blob.
const OFFSET: usize = 3;

/// Parse a MAC as tools print it: `aa:bb:cc:dd:ee:ff`, `AA-BB-CC-DD-EE-FF`, `aabb.ccdd.eeff`
/// (Cisco), `aabbccddeeff`, one-digit groups (`0:1b:2c:3:4:5`, BSD `arp`), either case, spaces
/// around it ignored. Anything else is `None`.
pub fn parse_mac(text: &str) -> Option<[u8; 6]> {
    let text = text.trim();
    let mut mac = [0u8; 6];
    let hex = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u64::from_str_radix(s, 16).ok()
    };
    let sep = text.bytes().find(|b| matches!(b, b':' | b'-' | b'.'));
    let groups = |sep: char| text.split(sep);
    match sep {
        None if text.len() == 12 => {
            let v = hex(text)?;
            mac.copy_from_slice(&v.to_be_bytes()[2..]);
        }
        Some(b'.') => {
            let mut n = 0;
            for (i, g) in groups('.').enumerate() {
                if i >= 3 || g.len() != 4 {
                    return None;
                }
                let v = hex(g)? as u16;
                mac[i * 2..i * 2 + 2].copy_from_slice(&v.to_be_bytes());
                n += 1;
            }
            if n != 3 {
                return None;
            }
        }
        Some(s @ (b':' | b'-')) => {
            let mut n = 0;
            for (i, g) in groups(s as char).enumerate() {
                if i >= 6 || g.len() > 2 {
                    return None;
                }
                mac[i] = hex(g)? as u8;
                n += 1;
            }
            if n != 6 {
                return None;
            }
        }
        _ => return None,
    }
    Some(mac)
}

/// The locally administered bit: a MAC the IEEE did not assign (randomised, or set by software).
pub fn is_locally_administered(mac: [u8; 6]) -> bool {
    mac[0] & 0x02 != 0
}

/// The registry's organisation for `mac`'s longest assigned prefix (`Hangzhou Hikvision Digital
/// Technology Co.,Ltd.`), as the IEEE spells it. `None` for a locally administered MAC, a block
/// not assigned (or not yet, in this copy), and blocks whose owner is listed as `Private`.
pub fn organisation(mac: [u8; 6]) -> Option<&'static str> {
    if is_locally_administered(mac) {
        return None;
    }
    table()?.organisation(mac)
}

/// The registry's date (`2022-08-27`), as its header records it.
pub fn registry_date() -> Option<&'static str> {
    table().map(|t| t.date)
}

/// Where the registry was read from (`Debian ieee-data 20220827.1 (...)`).
pub fn registry_source() -> Option<&'static str> {
    table().map(|t| t.source)
}

/// How many assignments of each size the registry holds: (MA-L, MA-M, MA-S and IAB).
pub fn registry_counts() -> Option<(usize, usize, usize)> {
    table().map(|t| (t.l.len() / 6, t.m.len() / 7, t.s.len() / 8))
}

/// Every organisation the registry names, each once, sorted.
pub fn organisations() -> impl Iterator<Item = &'static str> {
    table()
        .and_then(|t| std::str::from_utf8(t.names).ok())
        .unwrap_or_default()
        .lines()
}

/// One MAC in each block the registry assigns to `organisation` (compared whole, in any case,
/// runs of spaces as one), MA-L blocks first, then MA-M, then MA-S and IAB: an address a device of
/// that organisation may carry, for tests and the maker zoo (`examples/maker_zoo.rs`). Empty for a
/// name the registry does not hold. Reads the whole table: not for a scan's hot path.
pub fn macs_of(organisation: &str) -> Vec<[u8; 6]> {
    let Some(t) = table() else {
        return Vec::new();
    };
    let mut offsets = Vec::new();
    let mut at = 0;
    for name in t.names.split_inclusive(|b| *b == b'\n') {
        let text = std::str::from_utf8(name).unwrap_or_default().trim_end();
        if super::same_words(text, organisation) {
            offsets.push(at);
        }
        at += name.len();
    }
    let mut macs = Vec::new();
    for (records, key) in [(t.l, 3), (t.m, 4), (t.s, 5)] {
        for record in records.chunks_exact(key + OFFSET) {
            if !offsets.contains(&offset_of(record)) {
                continue;
            }
            // The block's prefix, then host bits of our choosing (the low nibble of the key's last
            // byte is free in MA-M and MA-S keys).
            let mut mac = [0u8, 0, 0, 0x10, 0x20, 0x31];
            mac[..key].copy_from_slice(&record[..key]);
            if key > 3 {
                mac[key - 1] |= 0x01;
            }
            if organisation_of(t, mac).is_some_and(|o| super::same_words(o, organisation)) {
                macs.push(mac);
            }
        }
    }
    macs
}

/// [`organisation`] in `t`.
fn organisation_of(t: &Table, mac: [u8; 6]) -> Option<&'static str> {
    (!is_locally_administered(mac))
        .then(|| t.organisation(mac))
        .flatten()
}

static TABLE: OnceLock<Option<Table>> = OnceLock::new();

fn table() -> Option<&'static Table> {
    TABLE
        .get_or_init(|| match Table::parse(REGISTRY) {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::error!("built-in data/oui/registry.bin is invalid: {e}");
                None
            }
        })
        .as_ref()
}

/// `registry.bin`, checked, as slices of the embedded bytes.
#[derive(Debug)]
struct Table {
    date: &'static str,
    source: &'static str,
    /// MA-L records: 3-byte prefix, name offset.
    l: &'static [u8],
    /// MA-M records: 4-byte key (28-bit prefix << 4), name offset.
    m: &'static [u8],
    /// MA-S and IAB records: 5-byte key (36-bit prefix << 4), name offset.
    s: &'static [u8],
    /// Names, each ended by `\n`.
    names: &'static [u8],
}

/// A little-endian reader over the file that never reads past its end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err(format!("ends {} bytes early", n - self.0.len()));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u16(&mut self) -> Result<usize, String> {
        let b = self.take(2)?;
        Ok(usize::from(u16::from_le_bytes([b[0], b[1]])))
    }

    fn u32(&mut self) -> Result<usize, String> {
        let b = self.take(4)?;
        usize::try_from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])).map_err(|e| e.to_string())
    }
}

/// A record's name offset (little-endian, after the key).
fn offset_of(record: &[u8]) -> usize {
    record
        .iter()
        .rev()
        .take(OFFSET)
        .fold(0, |acc, b| (acc << 8) | usize::from(*b))
}

impl Table {
    fn parse(bytes: &'static [u8]) -> Result<Table, String> {
        let mut r = Reader(bytes);
        if r.take(MAGIC.len())? != MAGIC {
            return Err("not a camscan OUI registry of format 1".into());
        }
        let header_len = r.u16()?;
        let header = std::str::from_utf8(r.take(header_len)?).map_err(|e| e.to_string())?;
        let field = |key: &str| {
            header
                .lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(": "))
                .ok_or(format!("the header has no {key}"))
        };
        let date = field("date")?;
        let source = field("source")?;
        let (nl, nm, ns, nb) = (r.u32()?, r.u32()?, r.u32()?, r.u32()?);
        let mut records = |n: usize, width: usize| {
            let len = n.checked_mul(width).ok_or("record count overflows")?;
            r.take(len)
        };
        let l = records(nl, 3 + OFFSET)?;
        let m = records(nm, 4 + OFFSET)?;
        let s = records(ns, 5 + OFFSET)?;
        let names = r.take(nb)?;
        if !r.0.is_empty() {
            return Err(format!("{} bytes after the names", r.0.len()));
        }
        std::str::from_utf8(names).map_err(|e| format!("names: {e}"))?;
        if !names.is_empty() && names.last() != Some(&b'\n') {
            return Err("the last name is not ended".into());
        }
        for (table, width) in [(l, 3 + OFFSET), (m, 4 + OFFSET), (s, 5 + OFFSET)] {
            let key = width - OFFSET;
            let mut previous: Option<&[u8]> = None;
            for record in table.chunks_exact(width) {
                if previous.is_some_and(|p| p >= &record[..key]) {
                    return Err(format!("keys out of order at {:02x?}", &record[..key]));
                }
                previous = Some(&record[..key]);
                let at = offset_of(record);
                let starts_a_name = at == 0 || names.get(at - 1) == Some(&b'\n');
                if at >= names.len() || !starts_a_name || names[at] == b'\n' {
                    return Err(format!(
                        "record {:02x?}: bad name offset {at}",
                        &record[..key]
                    ));
                }
            }
        }
        Ok(Table {
            date,
            source,
            l,
            m,
            s,
            names,
        })
    }

    fn organisation(&self, mac: [u8; 6]) -> Option<&'static str> {
        let s_key = [mac[0], mac[1], mac[2], mac[3], mac[4] & 0xf0];
        let m_key = [mac[0], mac[1], mac[2], mac[3] & 0xf0];
        let at = find(self.s, &s_key)
            .or_else(|| find(self.m, &m_key))
            .or_else(|| find(self.l, &mac[..3]))?;
        let rest = self.names.get(at..)?;
        let end = rest.iter().position(|b| *b == b'\n')?;
        std::str::from_utf8(&rest[..end]).ok()
    }
}

/// Binary search of `table` (records of `key.len()` key bytes and a name offset) for `key`: the
/// record's name offset.
fn find(table: &[u8], key: &[u8]) -> Option<usize> {
    let width = key.len() + OFFSET;
    let (mut lo, mut hi) = (0, table.len() / width);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let record = table.get(mid * width..(mid + 1) * width)?;
        match record[..key.len()].cmp(key) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return Some(offset_of(record)),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(mac: &str) -> Option<&'static str> {
        organisation(parse_mac(mac)?)
    }

    #[test]
    fn the_embedded_registry_parses_and_records_its_date() {
        let t = Table::parse(REGISTRY).unwrap();
        let date = t.date;
        assert_eq!(date.len(), 10, "{date}");
        assert!(date.parse::<jiff::civil::Date>().is_ok(), "{date}");
        assert_eq!(registry_date(), Some(date));
        assert!(
            registry_source().unwrap().to_lowercase().contains("ieee"),
            "{t:?}"
        );
        // The whole registry: tens of thousands of MA-L blocks, thousands of MA-M and MA-S.
        let (l, m, s) = registry_counts().unwrap();
        assert!(l > 30_000 && m > 4_000 && s > 9_000, "{l} {m} {s}");
        // And the date in registry.txt beside it is the same.
        let meta = include_str!("../../../data/oui/registry.txt");
        assert!(meta.contains(&format!("\ndate: {date}\n")), "{meta}");
    }

    #[test]
    fn longest_prefix_wins() {
        // 70:B3:D5 is the IEEE's own MA-L, split into MA-S blocks: each 36-bit block its owner.
        assert_eq!(org("70:b3:d5:f2:f0:01"), Some("TELEPLATFORMS"));
        assert_eq!(org("70:b3:d5:71:90:01"), Some("2M Technology"));
        // MA-M: 74:1A:E0:9 is private, 20:85:93:B is IOG Products.
        assert_eq!(org("20:85:93:b0:00:01"), Some("IOG Products LLC"));
        assert_eq!(org("74:1a:e0:90:00:01"), None);
        // Neither the parent MA-L of MA-M and MA-S blocks nor a private block names a maker:
        // neither is in the table, so no lookup can answer with it.
        let names = std::str::from_utf8(Table::parse(REGISTRY).unwrap().names).unwrap();
        for no_maker in ["IEEE Registration Authority", "Private"] {
            assert!(!names.lines().any(|n| n.eq_ignore_ascii_case(no_maker)));
        }
        // IAB: 00:50:C2:7D:5 is DEUTA-WERKE.
        assert_eq!(org("00:50:c2:7d:50:00"), Some("DEUTA-WERKE GmbH"));
        // MA-L.
        assert_eq!(
            org("44:19:b6:00:00:11"),
            Some("Hangzhou Hikvision Digital Technology Co.,Ltd.")
        );
        assert_eq!(org("00:40:8c:12:34:56"), Some("AXIS COMMUNICATIONS AB"));
    }

    #[test]
    fn an_organisations_blocks_give_macs_it_owns() {
        // One MA-L block, in any case and spacing.
        let macs = macs_of("mobotix  ag");
        assert_eq!(macs, [[0x00, 0x03, 0xc5, 0x10, 0x20, 0x31]]);
        // MA-M and MA-S blocks: a MAC inside each, which the lookup gives back to the owner.
        for (name, key) in [("IOG Products LLC", 4), ("2M Technology", 5)] {
            let macs = macs_of(name);
            assert!(!macs.is_empty(), "{name}");
            for mac in macs {
                assert_eq!(organisation(mac), Some(name), "{mac:02x?}");
                assert_eq!(mac[key - 1] & 0x0f, 0x01, "{mac:02x?}");
            }
        }
        assert!(macs_of("Nobody At All Ltd").is_empty());
        assert!(macs_of("").is_empty());
    }

    #[test]
    fn mac_spellings() {
        let want = Some([0x44, 0x19, 0xb6, 0x00, 0x00, 0x11]);
        for text in [
            "44:19:b6:00:00:11",
            "44:19:B6:00:00:11",
            "44-19-B6-00-00-11",
            "4419.b600.0011",
            "4419B6000011",
            " 44:19:b6:0:0:11 ",
        ] {
            assert_eq!(parse_mac(text), want, "{text:?}");
        }
        for garbage in [
            "",
            "44:1",
            "44:19:b6",
            "44:19:b6:00:00:11:22",
            "44:19-b6:00:00:11",
            "44:19:b6:00:00:111",
            "4419.b600.0011.2233",
            "4419.b60.0011",
            "44:19:b6:00:00:",
            "44::b6:00:00:11",
            "g4:19:b6:00:00:11",
            "+4:19:b6:00:00:11",
            "4419b600001",
            "4419b60000111",
            "é4:19:b6:00:00:11",
            "44:19:b6:00:00:1é",
            "::::::",
            "...",
        ] {
            assert_eq!(parse_mac(garbage), None, "{garbage:?}");
        }
    }

    #[test]
    fn a_locally_administered_mac_has_no_maker() {
        let mac = parse_mac("02:00:00:00:00:01").unwrap();
        assert!(is_locally_administered(mac));
        assert_eq!(organisation(mac), None);
        // The same prefix as Hikvision's with the bit set.
        let mac = parse_mac("46:19:b6:00:00:11").unwrap();
        assert!(is_locally_administered(mac));
        assert_eq!(organisation(mac), None);
        assert!(!is_locally_administered(
            parse_mac("44:19:b6:00:00:11").unwrap()
        ));
    }

    #[test]
    fn every_mac_is_answered_without_a_panic() {
        // The edges of every table, and a sweep through the first byte.
        for first in 0..=255u8 {
            for rest in [0x00, 0x7f, 0xff] {
                let _ = organisation([first, rest, rest, rest, rest, rest]);
            }
        }
        assert_eq!(organisation([0; 6]), Some("XEROX CORPORATION"));
        assert_eq!(organisation([0xff; 6]), None);
    }

    #[test]
    fn a_damaged_table_is_refused() {
        let good = REGISTRY;
        let check = |bytes: Vec<u8>| Table::parse(Box::leak(bytes.into_boxed_slice())).is_err();
        // Cut anywhere: refused, never a panic.
        for cut in [0, 4, 8, 9, 10, 100, good.len() / 2, good.len() - 1] {
            assert!(check(good[..cut].to_vec()), "cut at {cut}");
        }
        let mut extra = good.to_vec();
        extra.push(0);
        assert!(check(extra));
        let mut magic = good.to_vec();
        magic[7] = 2;
        assert!(check(magic));
        // Two MA-L keys swapped.
        let header = 8 + 2 + usize::from(u16::from_le_bytes([good[8], good[9]])) + 16;
        let mut swapped = good.to_vec();
        swapped[header..header + 12].rotate_left(6);
        assert!(check(swapped));
        // A name offset into the middle of a name.
        let mut offset = good.to_vec();
        offset[header + 3] = offset[header + 3].wrapping_add(1);
        assert!(check(offset));
        // And random bytes.
        let mut x: u32 = 0x1234_5678;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        assert!(check(noise));
    }
}
