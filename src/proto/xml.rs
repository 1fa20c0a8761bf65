//! A bounded walk over device XML (WS-Discovery, SOAP, UPnP descriptions) by *local* names.
//!
//! Devices use any namespace prefix they like (`d:`, `wsdd:`, none) and some send documents that are
//! not quite XML; what we need is "the text of every element, with the path of local names that leads
//! to it". quick-xml never expands custom entities (no billion-laughs), and this walk also caps depth,
//! element count and text size, so a hostile document costs bounded time and memory. Malformed input
//! ends the walk; what was read before stays useful.

use quick_xml::events::Event;
use quick_xml::reader::Reader;

/// Deepest nesting followed; deeper elements are skipped.
pub const MAX_DEPTH: usize = 32;
/// Most elements read from one document.
pub const MAX_ELEMENTS: usize = 20_000;
/// Most text kept per element.
pub const MAX_TEXT: usize = 8 * 1024;

/// What the walk reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node<'a> {
    /// An element opened; the path ends with its local name.
    Start(&'a [String]),
    /// An element closed, with its text content (text of child elements not included).
    End(&'a [String], &'a str),
}

/// Walk `xml`, calling `on` for every element start and end. Stops quietly at the first error or limit.
pub fn walk(xml: &str, mut on: impl FnMut(Node<'_>)) {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut path: Vec<String> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let mut elements = 0usize;
    loop {
        let ev = match reader.read_event() {
            Ok(ev) => ev,
            Err(_) => return,
        };
        match ev {
            Event::Start(_) | Event::Empty(_)
                if path.len() >= MAX_DEPTH || elements >= MAX_ELEMENTS =>
            {
                return;
            }
            Event::Start(e) => {
                elements += 1;
                path.push(local(e.local_name().as_ref()));
                texts.push(String::new());
                on(Node::Start(&path));
            }
            Event::Empty(e) => {
                elements += 1;
                path.push(local(e.local_name().as_ref()));
                on(Node::Start(&path));
                on(Node::End(&path, ""));
                path.pop();
            }
            Event::End(_) => {
                let text = texts.pop().unwrap_or_default();
                if !path.is_empty() {
                    on(Node::End(&path, text.trim()));
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
            Event::Eof => return,
            _ => {}
        }
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
    fn hostile_documents_are_bounded() {
        // Deep nesting stops at MAX_DEPTH.
        let deep = "<a>".repeat(100_000);
        let mut n = 0;
        walk(&deep, |_| n += 1);
        assert!(n <= MAX_DEPTH);
        // A billion-laughs document: custom entities are never expanded.
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;&b;&b;</l>"#;
        assert_eq!(first_text(bomb, "l").as_deref(), Some(""));
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
