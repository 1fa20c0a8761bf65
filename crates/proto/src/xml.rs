//! A bounded walk over device XML (WS-Discovery, SOAP, UPnP descriptions) by *local* names.
//!
//! Devices use any namespace prefix they like (`d:`, `wsdd:`, none) and some send documents that are
//! not quite XML; what we need is "the text of every element, with the path of local names that leads
//! to it". quick-xml never expands custom entities (no billion-laughs), and this walk also caps depth,
//! element count and text size, so a hostile document costs bounded time and memory. A document type
//! that declares entities (the shape of an entity-expansion bomb) is not read at all. Malformed input
//! ends the walk; what was read before stays useful, and the walk says why it ended ([`Cut`]).

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

/// Deepest nesting followed; deeper elements are skipped.
pub const MAX_DEPTH: usize = 32;
/// Most elements read from one document.
pub const MAX_ELEMENTS: usize = 20_000;
/// Most text kept per element, in characters (so at most four times as many bytes).
pub const MAX_TEXT: usize = 8 * 1024;

/// Why a walk ended before the end of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cut {
    /// Elements nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// More than [`MAX_ELEMENTS`] elements.
    TooManyElements,
    /// A document type declaring entities, as an entity-expansion ("billion laughs") bomb does. No
    /// device document needs one (SOAP 1.2 Part 1 §5: a SOAP message must not contain a document type
    /// declaration at all), so nothing after it is read.
    EntityDeclarations,
    /// Not well-formed XML: the parser's reason (clipped).
    Malformed(String),
}

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cut::TooDeep => write!(
                f,
                "elements nested deeper than {MAX_DEPTH}; not read further"
            ),
            Cut::TooManyElements => {
                write!(f, "more than {MAX_ELEMENTS} elements; not read further")
            }
            Cut::EntityDeclarations => {
                write!(f, "the document declares entities (an XML bomb?); not read")
            }
            Cut::Malformed(e) => write!(f, "malformed XML: {e}"),
        }
    }
}

/// What the walk reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node<'a> {
    /// An element opened; the path ends with its local name.
    Start(&'a [String]),
    /// An element closed, with its text content (text of child elements not included).
    End(&'a [String], &'a str),
}

/// Most attributes kept per element (MPD `Representation`s carry about 10).
pub const MAX_ATTRS: usize = 32;
/// Most characters kept per attribute value.
pub const MAX_ATTR_VALUE: usize = 2048;

/// One attribute of an element start: local name (prefix dropped) and unescaped value, both clipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    pub name: String,
    pub value: String,
}

/// The value of the attribute whose local name is `name` (exact, as XML names are case-sensitive).
pub fn attr<'a>(attrs: &'a [Attr], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.value.as_str())
}

/// Walk `xml`, calling `on` for every element start and end. Stops at the first error or limit and
/// returns why (`None`: the whole document was read).
pub fn walk(xml: &str, mut on: impl FnMut(Node<'_>)) -> Option<Cut> {
    walk_inner(xml, false, |n, _| on(n))
}

/// Like [`walk`], and also hands over the attributes of each element start (at most [`MAX_ATTRS`],
/// values clipped to [`MAX_ATTR_VALUE`]); ends get an empty slice. A malformed attribute ends that
/// element's attribute list, not the walk.
pub fn walk_with_attrs(xml: &str, on: impl FnMut(Node<'_>, &[Attr])) -> Option<Cut> {
    walk_inner(xml, true, on)
}

fn walk_inner(xml: &str, want_attrs: bool, mut on: impl FnMut(Node<'_>, &[Attr])) -> Option<Cut> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut path: Vec<String> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let mut attrs: Vec<Attr> = Vec::new();
    let mut elements = 0usize;
    loop {
        let ev = match reader.read_event() {
            Ok(ev) => ev,
            Err(e) => return Some(Cut::Malformed(e.to_string().chars().take(120).collect())),
        };
        match ev {
            Event::Start(_) | Event::Empty(_) if path.len() >= MAX_DEPTH => {
                return Some(Cut::TooDeep);
            }
            Event::Start(_) | Event::Empty(_) if elements >= MAX_ELEMENTS => {
                return Some(Cut::TooManyElements);
            }
            Event::DocType(d) if d.contains("<!ENTITY") => {
                return Some(Cut::EntityDeclarations);
            }
            Event::Start(e) => {
                elements += 1;
                path.push(local(e.local_name().as_ref()));
                texts.push(String::new());
                read_attrs(want_attrs, &e, &mut attrs);
                on(Node::Start(&path), &attrs);
            }
            Event::Empty(e) => {
                elements += 1;
                path.push(local(e.local_name().as_ref()));
                read_attrs(want_attrs, &e, &mut attrs);
                on(Node::Start(&path), &attrs);
                on(Node::End(&path, ""), &[]);
                path.pop();
            }
            Event::End(_) => {
                let text = texts.pop().unwrap_or_default();
                if !path.is_empty() {
                    on(Node::End(&path, text.trim()), &[]);
                    path.pop();
                }
            }
            Event::Text(t) => push_text(&mut texts, &t.xml10_content()),
            Event::CData(c) => push_text(&mut texts, &c.into_inner()),
            Event::GeneralRef(r) => {
                let name = r.xml10_content();
                if let Some(c) = resolve_entity(&name) {
                    push_text(&mut texts, c.encode_utf8(&mut [0; 4]));
                }
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// Fill `out` with the element's attributes (cleared first; left empty unless wanted).
fn read_attrs(want: bool, e: &BytesStart<'_>, out: &mut Vec<Attr>) {
    out.clear();
    if !want {
        return;
    }
    for a in e.attributes().with_checks(false).take(MAX_ATTRS) {
        let Ok(a) = a else { break };
        let Ok(value) = a.normalized_value(XmlVersion::Implicit1_0) else {
            continue;
        };
        out.push(Attr {
            name: local(a.key.local_name().as_ref()),
            value: value.chars().take(MAX_ATTR_VALUE).collect(),
        });
    }
}

fn local(name: &str) -> String {
    name.chars().take(64).collect()
}

fn push_text(texts: &mut [String], s: &str) {
    if let Some(t) = texts.last_mut()
        && t.len() < MAX_TEXT
    {
        t.extend(s.chars().take(MAX_TEXT - t.len()));
    }
}

/// The five predefined entities and numeric character references.
fn resolve_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        n => {
            let num = n.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)?
        }
    })
}

/// The text of the first element whose local name is `name` (case-insensitive), anywhere.
pub fn first_text(xml: &str, name: &str) -> Option<String> {
    let mut found = None;
    walk(xml, |n| {
        if found.is_none()
            && let Node::End(path, text) = n
            && path.last().is_some_and(|l| l.eq_ignore_ascii_case(name))
        {
            found = Some(text.to_string());
        }
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_names_and_entities() {
        let xml = r#"<s:Envelope xmlns:s="x"><s:Body><d:Uri>rtsp://h/a?b=1&amp;c=2&#x21;</d:Uri><Empty/></s:Body></s:Envelope>"#;
        let mut ends = Vec::new();
        walk(xml, |n| {
            if let Node::End(p, t) = n {
                ends.push((p.join("/"), t.to_string()));
            }
        });
        assert_eq!(
            ends[0],
            ("Envelope/Body/Uri".into(), "rtsp://h/a?b=1&c=2!".into())
        );
        assert_eq!(ends[1].0, "Envelope/Body/Empty");
        assert_eq!(
            first_text(xml, "uri").as_deref(),
            Some("rtsp://h/a?b=1&c=2!")
        );
    }

    #[test]
    fn attributes_by_local_name() {
        let xml = r#"<m:MPD xmlns:m="urn:x" m:type='dynamic' profiles="a,b"><Set w="1&amp;2&#x21;" bad="&nope;"/><R
  id="7"
  x:id="8"/></m:MPD>"#;
        let mut seen = Vec::new();
        walk_with_attrs(xml, |n, attrs| {
            if let Node::Start(p) = n {
                seen.push((p.join("/"), attrs.to_vec()));
            } else {
                assert!(attrs.is_empty());
            }
        });
        assert_eq!(seen[0].0, "MPD");
        assert_eq!(attr(&seen[0].1, "type"), Some("dynamic"));
        assert_eq!(attr(&seen[0].1, "profiles"), Some("a,b"));
        assert_eq!(attr(&seen[1].1, "w"), Some("1&2!"));
        assert_eq!(
            attr(&seen[1].1, "bad"),
            None,
            "unknown entity: attribute dropped"
        );
        // Duplicate local names after prefix stripping: the first wins.
        assert_eq!(attr(&seen[2].1, "id"), Some("7"));
        // The plain walk sees the same elements.
        let mut n = 0;
        walk(xml, |_| n += 1);
        assert_eq!(n, 6);
    }

    #[test]
    fn attributes_are_bounded() {
        let many: String = (0..1000).map(|i| format!(" a{i}=\"v\"")).collect();
        let big = "x".repeat(1 << 20);
        let xml = format!("<r{many}><e v=\"{big}\"/><f a='1' a='2' =broken/></r>");
        let mut counts = Vec::new();
        walk_with_attrs(&xml, |n, attrs| {
            if let Node::Start(_) = n {
                counts.push((attrs.len(), attrs.iter().map(|a| a.value.len()).max()));
            }
        });
        assert_eq!(counts[0].0, MAX_ATTRS);
        assert_eq!(counts[1].1, Some(MAX_ATTR_VALUE));
    }

    #[test]
    fn hostile_documents_are_bounded() {
        // Deep nesting stops at MAX_DEPTH, and says so.
        let deep = "<a>".repeat(100_000);
        let mut n = 0;
        assert_eq!(walk(&deep, |_| n += 1), Some(Cut::TooDeep));
        assert!(n <= MAX_DEPTH);
        // A billion-laughs document: not read at all (its entities would never be expanded anyway).
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;&b;&b;</l>"#;
        assert_eq!(first_text(bomb, "l"), None);
        assert_eq!(walk(bomb, |_| {}), Some(Cut::EntityDeclarations));
        assert!(
            Cut::EntityDeclarations
                .to_string()
                .contains("declares entities")
        );
        // A document type without entity declarations is harmless.
        let plain = r#"<!DOCTYPE l SYSTEM "l.dtd"><l>x</l>"#;
        assert_eq!(first_text(plain, "l").as_deref(), Some("x"));
        // Too many elements.
        let wide = format!("<r>{}</r>", "<e/>".repeat(MAX_ELEMENTS + 10));
        assert_eq!(walk(&wide, |_| {}), Some(Cut::TooManyElements));
        // Malformed, and complete.
        assert!(matches!(walk("<a></b>", |_| {}), Some(Cut::Malformed(_))));
        assert_eq!(walk("<a><b/></a>", |_| {}), None);
        // Huge text is clipped.
        let big = format!("<t>{}</t>", "x".repeat(1 << 20));
        assert_eq!(first_text(&big, "t").unwrap().len(), MAX_TEXT);
        for junk in [
            "",
            "<",
            "</a>",
            "<a><b></a>",
            "&amp;",
            "<a>&#xFFFFFFFF;</a>",
            "<a b='>",
        ] {
            walk(junk, |_| {});
        }
    }
}
