//! The bounded XML walk (`proto::xml`) under every device XML reader: depth, element, attribute
//! and text caps hold on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::xml::{self, MAX_ATTR_VALUE, MAX_ATTRS, MAX_DEPTH, MAX_ELEMENTS, MAX_TEXT, Node};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut starts = 0usize;
    let mut open = 0usize;
    xml::walk_with_attrs(&text, |node, attrs| {
        assert!(attrs.len() <= MAX_ATTRS);
        for a in attrs {
            assert!(a.value.chars().count() <= MAX_ATTR_VALUE);
        }
        match node {
            Node::Start(path) => {
                starts += 1;
                open += 1;
                assert!(!path.is_empty() && path.len() <= MAX_DEPTH);
                assert_eq!(path.len(), open, "a start not nested in the open elements");
                let _ = xml::attr(attrs, "token");
            }
            Node::End(path, t) => {
                assert_eq!(path.len(), open, "an end that closes no open element");
                open -= 1;
                // MAX_TEXT counts characters.
                assert!(t.chars().count() <= MAX_TEXT);
            }
        }
    });
    assert!(starts <= MAX_ELEMENTS);
    xml::walk(&text, |_| {});
    let _ = xml::first_text(&text, "Uri");
});
