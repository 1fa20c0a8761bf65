//! Firmware versions and model names as makers write them, compared without guessing: what
//! `firmware-advisory` needs to say "this model runs a firmware before the fixed one".
//!
//! A device reports its firmware as free text (ONVIF `FirmwareVersion`, a UPnP description, a
//! web page). The makers' formats seen in their advisories and devices:
//! - Hikvision: `V5.5.0 build 170725` (the build is the date, YYMMDD), `V5.7.3`,
//!   `IPC_G5_EN_STD_5.5.800_210628`;
//! - Dahua: `V2.800.0000000.16.R`, `2.800.0000000.16.R, Build Date 2021-07-20`, file names
//!   ending `.R.210720`;
//! - Axis (AXIS OS): `10.12.114`, `6.50.1.2`;
//! - Hanwha, Reolink, Vivotek: dotted numbers, sometimes with a `v`, a build date or a suffix.
//!
//! [`parse`] keeps the dotted numbers and, where the text has one, the build date; [`compare`]
//! orders two versions by their numbers (and by build date when the numbers are equal and both
//! have one), and says [`Order::Unknown`] when they cannot be compared: no numbers, or numbers of
//! different schemes (a Dahua `2.800...` against an Axis `10.12`). A version is never guessed.
//! Pure functions; any text (device bytes) is accepted and never panics.

use std::cmp::Ordering;

/// A parsed firmware version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// The dotted numbers, in order (`V5.5.0` -> `[5, 5, 0]`; leading zeros dropped).
    pub numbers: Vec<u64>,
    /// The build date as YYYYMMDD, where the text gives one (`build 170725` -> 20170725,
    /// `Build Date 2021-07-20` -> 20210720, a trailing `_210628` or `.210720` -> 2021...).
    pub build: Option<u32>,
}

/// How one version stands to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Less,
    Equal,
    Greater,
    /// They cannot be compared (unparseable, or of different numbering schemes).
    Unknown,
}

impl From<Ordering> for Order {
    fn from(o: Ordering) -> Order {
        match o {
            Ordering::Less => Order::Less,
            Ordering::Equal => Order::Equal,
            Ordering::Greater => Order::Greater,
        }
    }
}

/// Longest text looked at: firmware strings are short; a hostile device's megabyte is not read.
const MAX_LEN: usize = 200;

/// The version in `text`, or `None` when it holds no dotted number (`unknown`, `build 170725`
/// alone, empty).
pub fn parse(text: &str) -> Option<Version> {
    let text: String = text.chars().take(MAX_LEN).collect();
    let build = build_date(&text);
    // The first run of digits and dots that has at least one dot (`5.5.0`), or failing that a
    // lone number right after a `v` (`v7`). A run that is the build date itself is skipped.
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut lone: Option<Vec<u64>> = None;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let run = text[start..i].trim_end_matches('.');
        let numbers: Option<Vec<u64>> = run
            .split('.')
            .map(|p| p.parse::<u64>().ok().filter(|_| p.len() <= 12))
            .collect();
        let Some(numbers) = numbers else { continue };
        if run.contains('.') {
            return Some(Version { numbers, build });
        }
        let after_v = start > 0 && bytes[start - 1].eq_ignore_ascii_case(&b'v');
        if after_v && lone.is_none() {
            lone = Some(numbers);
        }
    }
    lone.map(|numbers| Version { numbers, build })
}

/// The build date in `text`: after the word `build` (`build 170725`, `Build Date: 2021-07-20`,
/// `build20160530`), or a trailing six- or eight-digit date after `_` or `.`
/// (`..._5.5.800_210628`, `...16.R.210720`). Dates that are not real (month 13) are no date.
fn build_date(text: &str) -> Option<u32> {
    let lower = text.to_ascii_lowercase();
    if let Some(at) = lower.find("build") {
        let rest = &lower[at + 5..];
        let rest = rest.trim_start_matches(|c: char| !c.is_ascii_digit());
        let digits: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '-' || *c == '/')
            .filter(char::is_ascii_digit)
            .collect();
        if let Some(d) = date_of(&digits) {
            return Some(d);
        }
    }
    let tail = lower
        .trim_end()
        .rsplit(['_', '.', ' '])
        .next()
        .unwrap_or_default();
    if tail.len() == 6 || tail.len() == 8 {
        return date_of(tail);
    }
    None
}

/// YYMMDD (20YY) or YYYYMMDD as YYYYMMDD, when it is a plausible date.
fn date_of(digits: &str) -> Option<u32> {
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let full = match digits.len() {
        6 => 20_000_000 + digits.parse::<u32>().ok()?,
        8 => digits.parse::<u32>().ok()?,
        _ => return None,
    };
    let (y, m, d) = (full / 10_000, full / 100 % 100, full % 100);
    ((2000..=2099).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d)).then_some(full)
}

/// How `a` stands to `b`. The numbers are compared place by place (a missing place is 0:
/// `5.4` = `5.4.0`); equal numbers are then ordered by build date when both have one. Two
/// versions whose first numbers differ by scheme (one has more than twice the places of the
/// other, e.g. Dahua's `2.800.0000000.16` against `10.12`) are [`Order::Unknown`].
pub fn compare(a: &Version, b: &Version) -> Order {
    if a.numbers.is_empty() || b.numbers.is_empty() {
        return Order::Unknown;
    }
    let (la, lb) = (a.numbers.len(), b.numbers.len());
    if la > 2 * lb || lb > 2 * la {
        return Order::Unknown;
    }
    for i in 0..la.max(lb) {
        let x = a.numbers.get(i).copied().unwrap_or(0);
        let y = b.numbers.get(i).copied().unwrap_or(0);
        if x != y {
            return x.cmp(&y).into();
        }
    }
    match (a.build, b.build) {
        (Some(x), Some(y)) => x.cmp(&y).into(),
        _ => Order::Equal,
    }
}

/// [`compare`] of two texts; `Unknown` when either does not parse.
pub fn compare_text(a: &str, b: &str) -> Order {
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => compare(&a, &b),
        _ => Order::Unknown,
    }
}

/// Whether `model` (as a device reports it) is one `pattern` of an advisory names. A pattern is
/// the maker's model name with wildcards for the series it documents, compared in any ASCII
/// case: `#` one digit, `?` one letter or digit, `@` one or more letters, `*` anything (also
/// nothing). Everything else is literal: `DS-2CD2##2F-I*` is Hikvision's "DS-2CD2xx2F-I
/// Series" (with its -IW, -IS variants), `IPC-H@3###*` Dahua's "IPC-HX3XXX".
pub fn model_matches(pattern: &str, model: &str) -> bool {
    let p: Vec<u8> = pattern
        .trim()
        .bytes()
        .map(|b| b.to_ascii_uppercase())
        .collect();
    let m: Vec<u8> = model
        .trim()
        .bytes()
        .take(MAX_LEN)
        .map(|b| b.to_ascii_uppercase())
        .collect();
    !p.is_empty() && glob(&p, &m)
}

/// `p` matches all of `m`: a table of "p[i..] matches m[j..]" filled from the ends, so any
/// pattern costs |p| x |m| steps (a backtracking match of `*@*@*` would not end on a long name).
fn glob(p: &[u8], m: &[u8]) -> bool {
    let (np, nm) = (p.len(), m.len());
    let at = |i: usize, j: usize| i * (nm + 1) + j;
    let mut dp = vec![false; (np + 1) * (nm + 1)];
    dp[at(np, nm)] = true;
    for i in (0..np).rev() {
        for j in (0..=nm).rev() {
            let x = m.get(j).copied();
            dp[at(i, j)] = match p[i] {
                b'*' => dp[at(i + 1, j)] || (x.is_some() && dp[at(i, j + 1)]),
                b'@' => {
                    x.is_some_and(|x| x.is_ascii_alphabetic())
                        && (dp[at(i + 1, j + 1)] || dp[at(i, j + 1)])
                }
                c => {
                    let ok = x.is_some_and(|x| match c {
                        b'#' => x.is_ascii_digit(),
                        b'?' => x.is_ascii_alphanumeric(),
                        _ => c == x,
                    });
                    ok && dp[at(i + 1, j + 1)]
                }
            };
        }
    }
    dp[at(0, 0)]
}

/// Whether a pattern is well formed (for the data file's checks): not empty, printable ASCII,
/// and not only wildcards (a pattern must name something of the maker's).
pub fn pattern_ok(pattern: &str) -> Result<(), String> {
    let p = pattern.trim();
    if p.is_empty() || !p.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
        return Err(format!(
            "model pattern {pattern:?} is empty or not printable ASCII"
        ));
    }
    if p.bytes()
        .filter(|b| b.is_ascii_alphanumeric() || *b == b'-')
        .count()
        < 2
    {
        return Err(format!(
            "model pattern {pattern:?} names no model (only wildcards)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(numbers: &[u64], build: Option<u32>) -> Version {
        Version {
            numbers: numbers.to_vec(),
            build,
        }
    }

    /// The makers' own spellings, as their advisories and devices write them.
    #[test]
    fn the_makers_formats_parse() {
        assert_eq!(
            parse("V5.5.0 build 170725"),
            Some(v(&[5, 5, 0], Some(20170725)))
        );
        assert_eq!(
            parse("V5.4.0 Build 160401"),
            Some(v(&[5, 4, 0], Some(20160401)))
        );
        assert_eq!(parse("V5.7.3"), Some(v(&[5, 7, 3], None)));
        assert_eq!(
            parse("IPC_G5_EN_STD_5.5.800_210628"),
            Some(v(&[5, 5, 800], Some(20210628)))
        );
        assert_eq!(
            parse("V2.800.0000000.16.R"),
            Some(v(&[2, 800, 0, 16], None))
        );
        assert_eq!(
            parse("2.800.0000000.16.R, Build Date 2021-07-20"),
            Some(v(&[2, 800, 0, 16], Some(20210720)))
        );
        assert_eq!(
            parse("V2.800.0000000.16.R.210720"),
            Some(v(&[2, 800, 0, 16], Some(20210720)))
        );
        assert_eq!(parse("10.12.114"), Some(v(&[10, 12, 114], None)));
        assert_eq!(parse("6.50.1.2"), Some(v(&[6, 50, 1, 2], None)));
        assert_eq!(parse("firmware v7"), Some(v(&[7], None)));
    }

    #[test]
    fn text_without_a_version_is_none() {
        for t in [
            "",
            "unknown",
            "build 170725",
            "N/A",
            "7",
            "...",
            "V.",
            "1.99999999999999999999",
        ] {
            assert_eq!(parse(t), None, "{t:?}");
        }
    }

    #[test]
    fn versions_order_by_numbers_then_build() {
        use Order::*;
        let c = compare_text;
        assert_eq!(c("V5.4.0 build 160530", "V5.4.0 build 160530"), Equal);
        assert_eq!(c("V5.3.0 build 151016", "V5.4.0 build 160530"), Less);
        assert_eq!(c("V5.4.0 build 160601", "V5.4.0 build 160530"), Greater);
        assert_eq!(c("V5.4.41", "V5.4.5"), Greater, "numbers, not text");
        assert_eq!(c("5.4", "5.4.0"), Equal);
        assert_eq!(c("10.12.114", "10.12.220"), Less);
        assert_eq!(c("11.11.140", "11.8.0"), Greater);
        assert_eq!(
            c("V5.4.0", "V5.4.0 build 160530"),
            Equal,
            "no build: by numbers"
        );
        assert_eq!(c("V2.800.0000000.16.R", "V2.800.0000000.16.R"), Equal);
        // Different schemes, or nothing to compare: unknown, never a guess.
        assert_eq!(c("V2.800.0000000.16.R", "10"), Unknown);
        assert_eq!(c("unknown", "5.4.0"), Unknown);
        assert_eq!(compare(&v(&[], None), &v(&[1], None)), Unknown);
    }

    #[test]
    fn model_patterns() {
        assert!(model_matches("DS-2CD2##2F-I*", "DS-2CD2142F-I"));
        assert!(model_matches("DS-2CD2##2F-I*", "ds-2cd2432f-iw"));
        assert!(
            !model_matches("DS-2CD2##2F-I*", "DS-2CD2143G2-I"),
            "G2 is another series"
        );
        assert!(model_matches("IPC-H@3###*", "IPC-HDW3849H-AS-PV"));
        assert!(model_matches("IPC-H@3###*", "IPC-HFW3241E-SA"));
        assert!(!model_matches("IPC-H@3###*", "IPC-HFW2431T-ZS"));
        assert!(model_matches("AXIS M3005*", "AXIS M3005-V"));
        assert!(!model_matches("AXIS M3005*", "AXIS M3045-V"));
        assert!(model_matches("SD22*", "SD22204DB-GNY"));
        assert!(!model_matches("", "anything"));
        assert!(
            !model_matches("DS-2CD2##2F-I", "DS-2CD2142F-IW"),
            "no * no suffix"
        );
        assert!(pattern_ok("DS-2CD2##2F-I*").is_ok());
        assert!(pattern_ok("*").is_err() && pattern_ok("#*").is_err() && pattern_ok("").is_err());
    }

    /// Device bytes: anything goes in, nothing panics.
    #[test]
    fn hostile_text_never_panics() {
        let long = "9.".repeat(10_000);
        let _ = parse(&long);
        let _ = parse("\u{0}\u{ff}é.ü.1");
        let _ = parse("build 99999999 1.2");
        let _ = model_matches("*@*@*@*@*@*", &"A".repeat(5_000));
        assert_eq!(parse("build 991399 1.2").unwrap().build, None, "not a date");
    }
}
