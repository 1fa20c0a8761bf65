//! What names a maker in a device's own words: an RTSP or HTTP `Server` header, an auth realm, a
//! web page's title, a TLS certificate's subject.
//!
//! Two passes, so that what named a maker before still does:
//! 1. every vendor's `aliases` (whole words, any case) and, in a realm, its `realm_prefixes`, in
//!    the registry's order: the first vendor that matches any of the texts wins (`Dahua Rtsp
//!    Server` names Dahua; a realm `IP Camera(C1234)` names Hikvision);
//! 2. else the `id` or `name` of a maker whose RTSP paths camscan knows (its own or its
//!    platform's), as whole words (`Server: ABUS`, `Canon VB-H45`): the run of most words wins,
//!    then the earlier text, then the registry's order. Makers without paths
//!    are left out: a name is asked for to order a path walk, and words such as `Motion` or
//!    `Genie` are too common in page titles to name a project or a maker no path is known of.
//!
//! Whole words only: `Avigilon` does not name TP-Link through its alias `vigi`, and `Hikvisionary`
//! names nobody. Words are runs of ASCII letters and digits ([`super::words`]).

use super::{Knowledge, VendorId};

/// A text a device sent, and where it was read.
#[derive(Debug, Clone, Copy)]
pub struct Said<'a> {
    /// Where, as a sentence names it (`RTSP Server header`, `web page title`).
    pub what: &'static str,
    pub text: &'a str,
    /// An auth realm: realm prefixes apply to it.
    pub realm: bool,
}

/// A maker named in a device's words ([`Knowledge::named_in`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub vendor: VendorId,
    /// Which of the texts named it.
    pub index: usize,
    /// The words that named it, as the text spells them (`Dahua`), or the realm prefix.
    pub words: String,
    /// `words` is a realm prefix the realm starts with, not whole words.
    pub prefix: bool,
}

/// Longest device text quoted in [`Named::describe`].
const QUOTED_CHARS: usize = 100;

impl Named {
    /// Which words named the maker, where (`"Dahua" in the RTSP Server header "Dahua Rtsp
    /// Server"`); device text, clipped, not sanitised (exporters do).
    pub fn describe(&self, texts: &[Said<'_>]) -> String {
        let Some(said) = texts.get(self.index) else {
            return format!("{:?}", self.words);
        };
        let text: String = said.text.chars().take(QUOTED_CHARS).collect();
        if self.prefix {
            format!("the {} {text:?}, which starts {:?}", said.what, self.words)
        } else {
            format!("{:?} in the {} {text:?}", self.words, said.what)
        }
    }
}

/// The words of `text` with where each starts and ends: runs of ASCII letters and digits.
fn spans(text: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (c.is_ascii_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((text[s..i].to_ascii_lowercase(), s, i));
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// `needle`'s words as a run of whole words of `text`: the run as `text` spells it.
fn find_run(text: &str, needle: &str) -> Option<String> {
    let needle = super::words(needle);
    if needle.is_empty() {
        return None;
    }
    let hay = spans(text);
    hay.windows(needle.len())
        .find(|w| w.iter().zip(&needle).all(|(h, n)| h.0 == *n))
        .map(|w| text[w[0].1..w[w.len() - 1].2].to_string())
}

impl Knowledge {
    /// The maker `texts` name (the module docs' two passes), with the words that did.
    pub fn named_in(&'static self, texts: &[Said<'_>]) -> Option<Named> {
        for v in &self.vendors {
            for (index, t) in texts.iter().enumerate() {
                let by_alias = v.aliases.iter().find_map(|a| find_run(t.text, a));
                let by_prefix = || {
                    v.realm_prefixes.iter().find_map(|p| {
                        let starts = t.text.get(..p.len())?.eq_ignore_ascii_case(p);
                        (t.realm && starts).then(|| t.text[..p.len()].to_string())
                    })
                };
                let (words, prefix) = match by_alias {
                    Some(w) => (w, false),
                    None => match by_prefix() {
                        Some(p) => (p, true),
                        None => continue,
                    },
                };
                return Some(Named {
                    vendor: self.vendor(&v.id)?,
                    index,
                    words,
                    prefix,
                });
            }
        }
        // (words in the run, text index, registry index) of the best so far: most words first.
        let mut best: Option<((usize, std::cmp::Reverse<usize>), Named)> = None;
        for v in &self.vendors {
            let Some(id) = self.vendor(&v.id) else {
                continue;
            };
            if !self.has_rtsp_paths(id) {
                continue;
            }
            for (index, t) in texts.iter().enumerate() {
                for name in [&v.id, &v.name] {
                    let Some(words) = find_run(t.text, name) else {
                        continue;
                    };
                    let rank = (super::words(&words).len(), std::cmp::Reverse(index));
                    if best.as_ref().is_none_or(|(r, _)| rank > *r) {
                        let named = Named {
                            vendor: id,
                            index,
                            words,
                            prefix: false,
                        };
                        best = Some((rank, named));
                    }
                }
            }
        }
        best.map(|(_, n)| n)
    }

    /// `vendor` has RTSP paths of its own or through its platform.
    pub fn has_rtsp_paths(&'static self, vendor: VendorId) -> bool {
        let of = |id: &str| self.rtsp_paths.iter().any(|e| e.vendor == id);
        of(vendor.as_str()) || self.platform_of(vendor).is_some_and(|p| of(p.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(texts: &[(&'static str, &str, bool)]) -> Option<(&'static str, String)> {
        let said: Vec<Said> = texts
            .iter()
            .map(|(what, text, realm)| Said {
                what,
                text,
                realm: *realm,
            })
            .collect();
        let k = super::super::get();
        k.named_in(&said)
            .map(|n| (n.vendor.as_str(), n.describe(&said)))
    }

    fn server(text: &str) -> Option<&'static str> {
        named(&[("RTSP Server header", text, false)]).map(|(v, _)| v)
    }

    #[test]
    fn a_makers_name_in_plain_words_names_it() {
        assert_eq!(server("ABUS"), Some("abus"));
        assert_eq!(server("Canon VB-H45 RTSP"), Some("canon"));
        assert_eq!(server("EverFocus/1.0"), Some("everfocus"));
        // Its id (`d-link`, `i-pro`), its name in any case, as whole words.
        assert_eq!(server("D-Link DCS-8000"), Some("d-link"));
        assert_eq!(server("i-PRO camera"), Some("i-pro"));
        assert_eq!(server("jvc"), Some("jvc"));
        // A name of two words, in a longer text.
        assert_eq!(server("Digital Watchdog RTSP"), Some("digital-watchdog"));
        // Of two makers' names, the one of more words wins; among equals, the registry's order.
        assert_eq!(
            server("Sunell / Digital Watchdog"),
            Some("digital-watchdog")
        );
        assert_eq!(server("Sunell / ABUS"), Some("abus"));
        // An alias still names its vendor first (Samsung is Hanwha's).
        assert_eq!(server("Samsung Techwin"), Some("hanwha"));
        let (v, by) = named(&[("RTSP Server header", "Dahua Rtsp Server", false)]).unwrap();
        assert_eq!(v, "dahua");
        assert_eq!(
            by,
            r#""Dahua" in the RTSP Server header "Dahua Rtsp Server""#
        );
    }

    /// Whole words: a name inside a longer word names nobody, and TP-Link's alias `vigi` is not
    /// in `Avigilon` (which names Avigilon).
    #[test]
    fn only_whole_words_name_a_maker() {
        assert_eq!(server("Avigilon"), Some("avigilon"));
        assert_eq!(server("Avigilon RTSP server"), Some("avigilon"));
        assert_eq!(server("VIGI C340"), Some("tp-link"));
        assert_eq!(server("Abusive/1.0"), None);
        assert_eq!(server("Canonical"), None);
        assert_eq!(server("Hikvisionary"), None);
        assert_eq!(server("GStreamer RTSP server"), None);
        assert_eq!(server(""), None);
        // A maker camscan knows no path of is not named by its name (Genie).
        assert_eq!(server("Genie"), None);
    }

    #[test]
    fn every_text_is_read_and_the_describe_says_which() {
        let (v, by) = named(&[
            ("HTTP Server header", "lighttpd/1.4", false),
            ("web page title", "ABUS IP camera", false),
            ("TLS certificate subject", "CN=192.0.2.7", false),
        ])
        .unwrap();
        assert_eq!(v, "abus");
        assert_eq!(by, r#""ABUS" in the web page title "ABUS IP camera""#);
        // A realm prefix applies to a realm only.
        let (v, by) = named(&[("RTSP realm", "IP Camera(C1234)", true)]).unwrap();
        assert_eq!(v, "hikvision");
        assert_eq!(
            by,
            r#"the RTSP realm "IP Camera(C1234)", which starts "IP Camera(""#
        );
        assert_eq!(
            named(&[("web page title", "IP Camera(C1234)", false)]),
            None
        );
        // A long text is clipped in the description, never split inside a character.
        let long = format!("ABUS {}", "é".repeat(300));
        let (_, by) = named(&[("web page title", &long, false)]).unwrap();
        assert!(by.chars().count() < 150, "{by}");
    }
}
