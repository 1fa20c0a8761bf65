//! Where the clues come from: a maker named by a MAC's registry organisation, a maker text (ONVIF,
//! UPnP, a vendor protocol), an RTSP `Server` header or realm, a web server's own words or its
//! fingerprint, each ranked by its [`ClueSource`].

use std::sync::{Arc, Mutex};

use super::{Clue, ClueSource, Expected, Identities};
use knowledge::Knowledge;

/// The scan's board of makers, and the promise of this port's fingerprint on it.
#[derive(Debug, Clone)]
pub struct FingerprintClue {
    pub board: Identities,
    pub expected: Arc<Mutex<Option<Expected>>>,
    /// The subject of the TLS certificate the port showed, if any: its words may name the maker.
    pub certificate: Option<String>,
}

/// What a web server said of itself on its root page, whose words may name its maker.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebWords<'a> {
    /// The `Server` header.
    pub server: Option<&'a str>,
    /// The `WWW-Authenticate` header (its realm is read).
    pub challenge: Option<&'a str>,
    /// The page's `<title>`.
    pub title: Option<&'a str>,
}

impl FingerprintClue {
    /// The fingerprint's maker (if it names one a clue can be made of) on the board, else the
    /// maker the web server's own words name (its `Server` header, realm, page title, and the
    /// certificate's subject), and the promise kept.
    pub fn tell(
        &self,
        ip: std::net::IpAddr,
        fp: &detect::fingerprint::Fingerprint,
        words: WebWords<'_>,
    ) {
        use detect::fingerprint::CLAIM_CONFIDENCE;
        if fp.confidence >= CLAIM_CONFIDENCE
            && let Some(maker) = fp.vendor
        {
            self.board.learn(
                ip,
                Clue {
                    source: ClueSource::HttpFingerprint,
                    maker,
                    model: fp.product.clone(),
                    said: format!("web fingerprint {}", fp.evidence.join("; ")),
                    named_by: None,
                },
            );
        } else {
            let realm = proto::auth::parse_challenges(words.challenge.unwrap_or_default())
                .into_iter()
                .find_map(|ch| ch.realm);
            let texts: Vec<knowledge::Said> = [
                ("HTTP Server header", words.server, false),
                ("HTTP realm", realm.as_deref(), true),
                ("web page title", words.title, false),
                (
                    "TLS certificate subject",
                    self.certificate.as_deref(),
                    false,
                ),
            ]
            .into_iter()
            .filter_map(|(what, text, realm)| {
                Some(knowledge::Said {
                    what,
                    text: text?,
                    realm,
                })
            })
            .collect();
            if let Some(c) = clue_from_words(knowledge::get(), &texts) {
                self.board.learn(ip, c);
            }
        }
        if let Some(e) = self
            .expected
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            e.done();
        }
    }
}

/// The clue a web server's own words name ([`knowledge::Knowledge::named_in`]), ranked as
/// a web fingerprint.
pub fn clue_from_words(k: &'static Knowledge, texts: &[knowledge::Said<'_>]) -> Option<Clue> {
    let named = k.named_in(texts)?;
    let by = named.describe(texts);
    Some(Clue {
        source: ClueSource::HttpFingerprint,
        maker: named.vendor,
        model: None,
        said: format!("web server's words: {by}"),
        named_by: Some(by),
    })
}

/// The clue a maker text names (an ONVIF `Manufacturer`, a UPnP `<manufacturer>`, a fingerprint's
/// vendor name, a vendor protocol's name), if it names a maker camscan knows.
pub fn clue_from_text(
    k: &'static Knowledge,
    source: ClueSource,
    maker: Option<&str>,
    model: Option<&str>,
) -> Option<Clue> {
    let text = maker?.trim();
    let vendor = k.vendor_for_text(text)?;
    Some(Clue {
        source,
        maker: vendor,
        model: model
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_string),
        said: format!("{} {text:?}", source.label()),
        named_by: Some(format!("the {} {text:?}", source.label())),
    })
}

/// The clue a MAC names: its registry organisation, when that is a camera maker's.
pub fn clue_from_mac(k: &'static Knowledge, mac: &str) -> Option<Clue> {
    let m = k.mac_maker(mac);
    let vendor = m.vendor?;
    let named_by = match m.organisation {
        Some(o) if k.organisation_vendor(o) == Some(vendor) => {
            format!("IEEE registry organisation {o:?}")
        }
        _ => format!("a MAC prefix listed as {}'s", vendor.display_name()),
    };
    Some(Clue {
        source: ClueSource::Mac,
        maker: vendor,
        model: None,
        said: format!(
            "MAC {mac} ({})",
            m.organisation.unwrap_or(vendor.display_name())
        ),
        named_by: Some(named_by),
    })
}

/// The clue an RTSP `Server` header or realm names ([`knowledge::Knowledge::named_in`]).
pub fn clue_from_rtsp(
    k: &'static Knowledge,
    server: Option<&str>,
    realm: Option<&str>,
) -> Option<Clue> {
    let texts = knowledge::rtsp_texts(server, realm);
    let named = k.named_in(&texts)?;
    let said = if texts[named.index].realm {
        format!("realm {:?}", texts[named.index].text)
    } else {
        format!("Server: {}", texts[named.index].text)
    };
    Some(Clue {
        source: ClueSource::RtspServer,
        maker: named.vendor,
        model: None,
        said,
        named_by: Some(named.describe(&texts)),
    })
}
