//! Makes device-supplied strings safe to show on a terminal, in a spreadsheet or in HTML.
//!
//! An RTSP `Server:` header, an SDP `s=` line or (later) an ONVIF scope is as hostile as a file name: an
//! escape sequence in it can rewrite the operator's terminal (fd's `sanitize.rs` handles file names the
//! same way). Control characters, DEL, C1 controls and bidi overrides are shown escaped, never emitted.

use std::borrow::Cow;

fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// Escape every control, C1 and bidi-override character as `\u{..}`; borrow when nothing needs it.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_dangerous) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_dangerous(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Make a CSV cell safe for spreadsheets: a cell starting with `=`, `+`, `-`, `@`, tab or CR is a formula
/// to Excel/LibreOffice (OWASP "CSV injection"), so prefix it with a single quote. Also escapes controls.
pub fn spreadsheet(s: &str) -> Cow<'_, str> {
    let s = terminal(s);
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{s}")),
        _ => s,
    }
}

/// Text for HTML (element content and quoted attribute values): `& < > " '` as entities, and the
/// characters [`terminal`] escapes left out (a control or bidi override says nothing to a reader
/// and could reorder what the page shows).
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if is_dangerous(c) => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_text_has_no_markup_and_no_controls() {
        assert_eq!(
            html("<a href=\"x\">'&'</a>\u{1b}[2J\u{202E}"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;[2J"
        );
        assert_eq!(html("line\nnext"), "line\nnext");
    }

    #[test]
    fn escapes_terminal_sequences() {
        assert_eq!(terminal("GStreamer RTSP server"), "GStreamer RTSP server");
        assert_eq!(terminal("cam\x1b[2Jx"), "cam\\u{1b}[2Jx");
        assert_eq!(terminal("a\u{202E}b\u{9b}"), "a\\u{202e}b\\u{9b}");
        assert_eq!(terminal("tab\there"), "tab\\u{9}here");
    }

    #[test]
    fn spreadsheet_formulas_are_neutralised() {
        assert_eq!(spreadsheet("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet("-1+2"), "'-1+2");
        assert_eq!(spreadsheet("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet("+33"), "'+33");
        assert_eq!(spreadsheet("rtsp://x"), "rtsp://x");
        assert_eq!(spreadsheet(""), "");
    }
}
