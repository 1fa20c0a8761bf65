//! XML: the JSON document's fields as elements, written by quick-xml (which does the escaping).
//! Structure (docs/reference/formats.md, "XML output"):
//!
//! ```xml
//! <camscan schema_version="2" camscan_version="0.1.0" complete="true">
//!   <started_at>..</started_at> <finished_at>..</finished_at> <target>..</target>...
//!   <device ip="192.168.1.20"> one child element per JSON field of the device </device>...
//! </camscan>
//! ```
//!
//! The device is walked generically through its serde form, so every JSON field appears here under
//! the same name and in the same order, and a field added to the model appears without a change
//! here. A JSON object is an element with child elements; a list is the element repeated, under the
//! singular name [`item_name`] gives; `null` (and an empty list) is no element at all.
//!
//! XML 1.0 cannot carry most C0 control characters at all (`&#1;` is not well-formed either), and a
//! parser turns a CR into a LF, so those characters, which only hostile or broken devices send, are
//! written as `\u{1b}`-style text, as the table and CSV show them.

use std::borrow::Cow;
use std::io::{self, Write};

use quick_xml::Writer;
use quick_xml::escape::escape;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::name::QName;
use serde_yaml::Value;

use super::Exporter;
use model::Report;

pub struct XmlExporter;

/// Characters XML 1.0 cannot carry (and CR, which parsers normalise away) become `\u{..}` text.
fn is_unsafe(c: char) -> bool {
    (c.is_ascii_control() && c != '\t' && c != '\n' && c != '\x7f')
        || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

/// A device string made fit for an XML document; borrowed when it already is.
pub(crate) fn xml_safe(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The element name for each item of the JSON list `list`.
pub(crate) fn item_name(list: &str) -> &str {
    match list {
        "targets" => "target",
        "devices" => "device",
        "addresses" => "address",
        "open_ports" => "open_port",
        "services" => "service",
        "streams" => "stream",
        "errors" => "error",
        "notes" => "note",
        "methods" => "method",
        "types" => "type",
        "scopes" => "scope",
        "xaddrs" => "xaddr",
        // Not `profile`: a stream's `video` has a `profile` (main, high...).
        "profiles" => "media_profile",
        // The plan's and the coverage's lists.
        "interfaces" => "interface",
        "ranges" => "range",
        "ports" => "port",
        "warnings" => "warning",
        "shared_macs" => "shared_mac",
        "requests" => "device_requests",
        // `discovered_by`, `announced`, `discovery`, `lost`: already read as one item each; the
        // other lists of a device kept their names when XML output began, and keep them.
        other => other,
    }
}

/// The text of a scalar, as JSON writes it; `None` for null and for numbers JSON writes as null.
fn scalar_text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Number(n) if n.as_f64().is_some_and(|f| !f.is_finite()) => None,
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::String(s) => Some(xml_safe(s)),
        _ => None,
    }
}

fn key(k: &Value) -> Cow<'_, str> {
    match k {
        Value::String(s) => Cow::Borrowed(s),
        Value::Number(n) => Cow::Owned(n.to_string()),
        Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        _ => Cow::Borrowed("value"),
    }
}

/// The fields written as attributes of their element rather than as child elements: the root's
/// three scalars and a device's address.
pub(crate) const ATTRIBUTES: &[(&str, &[&str])] = &[
    (
        "camscan",
        &["schema_version", "camscan_version", "complete"],
    ),
    ("device", &["ip"]),
];

/// A JSON object whose keys are data (status codes, ports), not field names: written as one
/// element per entry, `<item key="...">value</item>`, since a key such as `404` is no XML name.
pub(crate) struct Dictionary {
    /// The field holding the map.
    pub field: &'static str,
    /// Each entry's element.
    pub item: &'static str,
    /// The attribute carrying the entry's key.
    pub key: &'static str,
}

/// Every map in the model (a unit test over the JSON Schema proves none is missing): `path_walk`'s
/// `answers`, status code to count, as `<answers><status code="404">38</status></answers>`.
pub(crate) const DICTIONARIES: &[Dictionary] = &[Dictionary {
    field: "answers",
    item: "status",
    key: "code",
}];

/// An attribute's value, escaped by hand: quick-xml escapes markup, and a parser normalises a tab
/// or line feed in an attribute to a space, so those are written as character references.
fn attribute<'a>(name: &'a str, text: &str) -> Attribute<'a> {
    let value = escape(xml_safe(text).as_ref())
        .replace('\t', "&#9;")
        .replace('\n', "&#10;");
    Attribute {
        key: QName(name),
        value: Cow::Owned(value),
    }
}

/// Write `value` as the element `name` with `attrs` (repeated for a list, nothing for null).
fn element<W: Write>(
    w: &mut Writer<W>,
    name: &str,
    attrs: Vec<Attribute<'_>>,
    value: &Value,
) -> io::Result<()> {
    match value {
        Value::Null => Ok(()),
        Value::Tagged(t) => element(w, name, attrs, &t.value),
        Value::Sequence(items) => {
            let item = item_name(name);
            items
                .iter()
                .try_for_each(|v| element(w, item, attrs.clone(), v))
        }
        Value::Mapping(m) => {
            if let Some(d) = DICTIONARIES.iter().find(|d| d.field == name) {
                w.create_element(name).write_inner_content(|w| {
                    m.iter().try_for_each(|(k, v)| {
                        element(w, d.item, vec![attribute(d.key, &key(k))], v)
                    })
                })?;
                return Ok(());
            }
            let as_attrs: &[&str] = ATTRIBUTES
                .iter()
                .find(|(el, _)| *el == name)
                .map_or(&[], |(_, fields)| fields);
            let mut attrs = attrs;
            for field in as_attrs {
                if let Some(text) = m.get(*field).and_then(scalar_text) {
                    attrs.push(attribute(field, &text));
                }
            }
            w.create_element(name)
                .with_attributes(attrs)
                .write_inner_content(|w| {
                    m.iter()
                        .filter(|(k, _)| !as_attrs.contains(&key(k).as_ref()))
                        .try_for_each(|(k, v)| element(w, &key(k), vec![], v))
                })?;
            Ok(())
        }
        scalar => {
            if let Some(text) = scalar_text(scalar) {
                w.create_element(name)
                    .with_attributes(attrs)
                    .write_text_content(BytesText::new(&text))?;
            }
            Ok(())
        }
    }
}

impl Exporter for XmlExporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let mut w = Writer::new_with_indent(&mut *out, b' ', 2);
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        let document = serde_yaml::to_value(report).map_err(io::Error::other)?;
        element(&mut w, "camscan", vec![], &document)?;
        out.write_all(b"\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::report;
    use model::PathWalk;
    use model::coverage::Coverage;
    use model::plan::{Plan, Warning};
    use quick_xml::events::Event as XmlEvent;
    use quick_xml::reader::Reader;

    fn render(report: &Report) -> String {
        crate::fixtures::render(&XmlExporter, report)
    }

    /// An element read back: name, attributes, text (entities resolved) and children.
    #[derive(Debug, Default)]
    struct Elem {
        name: String,
        attrs: Vec<(String, String)>,
        text: String,
        children: Vec<Elem>,
    }

    impl Elem {
        fn all(&self, name: &str) -> Vec<&Elem> {
            self.children.iter().filter(|c| c.name == name).collect()
        }
        fn one(&self, name: &str) -> &Elem {
            let found = self.all(name);
            assert_eq!(found.len(), 1, "<{}> in <{}>", name, self.name);
            found[0]
        }
        fn text_of(&self, name: &str) -> &str {
            &self.one(name).text
        }
        fn attr(&self, name: &str) -> &str {
            &self.attrs.iter().find(|(k, _)| k == name).unwrap().1
        }
    }

    /// Parse with quick-xml's reader, strictly: any error fails the test.
    fn parse(xml: &str) -> Elem {
        let mut reader = Reader::from_str(xml);
        let mut stack = vec![Elem::default()];
        let open = |e: &quick_xml::events::BytesStart<'_>| Elem {
            name: e.name().as_ref().to_string(),
            attrs: e
                .attributes()
                .map(|a| {
                    let a = a.unwrap();
                    let v = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .unwrap();
                    (a.key.as_ref().to_string(), v.into_owned())
                })
                .collect(),
            ..Default::default()
        };
        loop {
            match reader.read_event().unwrap() {
                XmlEvent::Start(e) => stack.push(open(&e)),
                XmlEvent::Empty(e) => {
                    let el = open(&e);
                    stack.last_mut().unwrap().children.push(el);
                }
                XmlEvent::End(_) => {
                    let el = stack.pop().unwrap();
                    stack.last_mut().unwrap().children.push(el);
                }
                XmlEvent::Text(t) => stack.last_mut().unwrap().text += &t.xml10_content(),
                XmlEvent::GeneralRef(r) => {
                    let c = match r.xml10_content().as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => panic!("unexpected entity {other}"),
                    };
                    stack.last_mut().unwrap().text.push(c);
                }
                XmlEvent::Eof => break,
                _ => {}
            }
        }
        assert_eq!(stack.len(), 1, "unclosed elements");
        let mut root = stack.pop().unwrap();
        assert_eq!(root.children.len(), 1, "one root element");
        root.children.pop().unwrap()
    }

    /// Turn an element back into JSON. Which child elements are items of a list is read from the
    /// JSON `shape` (a child `<x>` is an item of the list `xs` when `shape` has a list `xs` whose
    /// items [`item_name`] calls `x`); the values come from the XML alone.
    fn to_json(e: &Elem, shape: &serde_json::Value) -> serde_json::Value {
        use serde_json::Value as J;
        if e.children.is_empty() {
            return J::String(e.text.clone());
        }
        let mut map = serde_json::Map::new();
        for c in &e.children {
            let list = shape.as_object().and_then(|o| {
                o.iter()
                    .find(|(k, v)| v.is_array() && item_name(k) == c.name)
            });
            match list {
                Some((k, items)) => {
                    let J::Array(a) = map.entry(k.clone()).or_insert_with(|| J::Array(vec![]))
                    else {
                        unreachable!()
                    };
                    let item_shape = items.get(a.len()).unwrap_or(&J::Null);
                    a.push(to_json(c, item_shape));
                }
                None => {
                    let v = to_json(c, shape.get(&c.name).unwrap_or(&J::Null));
                    assert!(map.insert(c.name.clone(), v).is_none(), "{} twice", c.name);
                }
            }
        }
        J::Object(map)
    }

    /// The JSON document as XML carries it: nulls and empty lists dropped, scalars as text.
    fn as_xml_carries(v: &serde_json::Value) -> Option<serde_json::Value> {
        use serde_json::Value as J;
        match v {
            J::Null => None,
            J::Array(a) if a.is_empty() => None,
            J::Array(a) => Some(J::Array(a.iter().filter_map(as_xml_carries).collect())),
            J::Object(o) => Some(J::Object(
                o.iter()
                    .filter_map(|(k, v)| Some((k.clone(), as_xml_carries(v)?)))
                    .collect(),
            )),
            J::String(s) => Some(J::String(xml_safe(s).into_owned())),
            J::Bool(b) => Some(J::String(b.to_string())),
            J::Number(n) => Some(J::String(n.to_string())),
        }
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&report()));
    }

    #[test]
    fn parses_back_to_the_json_document() {
        let report = report();
        let root = parse(&render(&report));
        assert_eq!(root.name, "camscan");
        assert_eq!(
            root.attr("schema_version"),
            model::SCHEMA_VERSION.to_string()
        );
        assert_eq!(root.attr("complete"), "true");
        assert_eq!(root.attr("camscan_version"), "0.0.0-test");
        assert_eq!(root.text_of("started_at"), "2026-01-01T00:00:00Z");
        assert_eq!(root.all("target").len(), 1);
        let devices = root.all("device");
        assert_eq!(devices.len(), report.devices.len());
        let cam = devices[0];
        assert_eq!(cam.attr("ip"), "198.18.0.10");
        assert!(cam.all("ip").is_empty(), "ip is an attribute only");
        assert_eq!(cam.text_of("is_camera"), "true");
        let ports: Vec<&str> = cam
            .all("open_port")
            .iter()
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(ports, ["80", "554"]);
        assert!(cam.all("mac").is_empty(), "null is no element");
        let streams = cam.all("stream");
        assert_eq!(streams.len(), 4);
        assert_eq!(streams[3].text_of("status"), "unverified");
        assert_eq!(
            streams[0].text_of("url"),
            "rtsp://198.18.0.10:554/Streaming/Channels/101"
        );
        let video = streams[0].one("video");
        assert_eq!(video.text_of("codec"), "h264");
        assert_eq!(video.text_of("width"), "1280");
        assert_eq!(video.text_of("fps"), "25.0");
        assert_eq!(streams[0].one("measured").text_of("bitrate_kbps"), "187.5");
        // Markup in device strings is escaped by quick-xml and read back intact.
        let odd = devices[3];
        assert_eq!(
            odd.one("upnp").text_of("friendly_name"),
            "<Cam & \"Co\"> 'on'"
        );
        assert_eq!(odd.text_of("name"), "on");
        // Every device, field by field, is the JSON document's device.
        for (el, d) in devices.iter().zip(&report.devices) {
            let mut json = serde_json::to_value(d).unwrap();
            json.as_object_mut().unwrap().remove("ip");
            assert_eq!(
                to_json(el, &json),
                as_xml_carries(&json).unwrap(),
                "device {}",
                d.ip
            );
        }
    }

    #[test]
    fn any_string_stays_well_formed() {
        let mut report = report();
        let nasty: String = (0u32..0x80)
            .filter_map(char::from_u32)
            .chain(['\u{FFFE}', '\u{FFFF}', '\u{202E}', '\u{9b}', '\u{10FFFF}'])
            .collect();
        report.devices[0].name = Some(format!("a\u{0}b\u{1b}[31m{nasty}]]>&amp;</name>"));
        report.devices[0].services[0].server = Some(nasty.clone());
        report.camscan_version = "\u{0}\"<'&".into();
        report.targets = vec!["\r\n".into()];
        let text = render(&report);
        assert!(!text.contains('\u{0}') && !text.contains('\u{1b}'));
        let root = parse(&text);
        assert_eq!(root.attr("camscan_version"), "\\u{0}\"<'&");
        assert_eq!(root.text_of("target"), "\\u{d}\n");
        let cam = root.all("device")[0];
        let name = cam.text_of("name");
        assert!(
            name.starts_with("a\\u{0}b\\u{1b}[31m\\u{0}\\u{1}"),
            "{name}"
        );
        assert!(name.ends_with("]]>&amp;</name>"), "{name}");
        assert!(name.contains("\t\n"), "tab and LF are kept: {name}");
        assert!(name.contains("\u{202E}\u{9b}\u{10FFFF}"), "{name}");
        assert!(name.contains("\\u{fffe}\\u{ffff}"), "{name}");
        assert_eq!(cam.one("service").text_of("server"), xml_safe(&nasty));
    }

    /// A map keyed by data (status codes) is one element per entry with the key in an attribute;
    /// the plan and the coverage are there too, lists under singular names.
    #[test]
    fn maps_keyed_by_data_plan_and_coverage() {
        let mut report = report();
        let mut walk = PathWalk {
            asked: 40,
            ..PathWalk::default()
        };
        walk.answers.insert("404".into(), 38);
        walk.answers.insert("a\n\"b\"<&>".into(), 2);
        report.devices[0].services[0].path_walk = Some(Box::new(walk));
        report.plan = Some(Plan {
            ports: vec![80, 554],
            warnings: vec![Warning::new("neighbour-table", "full")],
            ..Plan::default()
        });
        report.coverage = Some(Coverage {
            lost: vec!["2 connects".into()],
            ..Coverage::default()
        });
        let text = render(&report);
        assert!(!text.contains("<404>"), "{text}");
        let root = parse(&text);
        let walk = root.all("device")[0].one("service").one("path_walk");
        let statuses = walk.one("answers").all("status");
        assert_eq!(statuses.len(), 2);
        assert_eq!(statuses[0].attr("code"), "404");
        assert_eq!(statuses[0].text, "38");
        assert_eq!(
            statuses[1].attr("code"),
            "a\n\"b\"<&>",
            "tab and LF kept in an attribute"
        );
        let plan = root.one("plan");
        let ports: Vec<&str> = plan.all("port").iter().map(|p| p.text.as_str()).collect();
        assert_eq!(ports, ["80", "554"]);
        assert_eq!(plan.one("warning").text_of("code"), "neighbour-table");
        assert_eq!(root.one("coverage").text_of("lost"), "2 connects");
        // In the JSON document's order: the plan and the coverage before the devices.
        let names: Vec<&str> = root.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            &names[..5],
            ["started_at", "finished_at", "target", "plan", "coverage"]
        );
    }
}
