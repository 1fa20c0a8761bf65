//! Fitting a table to a width: which columns are shown, how wide each is, and each cell's lines.
//!
//! A column has a priority: when even the narrowest comfortable table is wider than the width,
//! the least important columns are left out first (the caller names them in a footnote). A cell
//! is either words, wrapped at spaces and after commas and never inside a word, or whole (a URL,
//! an address: each of its lines kept on one line), shortened with `…` in the middle only when the
//! table cannot be made wide enough for it with every droppable column gone. Widths are display
//! columns (`unicode-width`: a CJK character takes two). Pure: no terminal, no I/O.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Columns the borders and padding of a table of `n` columns take (`│ a ┆ b │`: one rule before
/// each column and after the last, one space of padding on each side of every cell).
pub fn overhead(n: usize) -> usize {
    3 * n + 1
}

/// A column: its header, its priority (0: always shown; the higher, the sooner it is left out) and
/// the width under which its words are not squeezed unless nothing else is left to drop.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    pub priority: u8,
    pub soft_min: usize,
}

/// One cell's text (lines split at `\n`) and how it may be broken.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Text {
    pub text: String,
    /// Each line is one piece (a URL, an address): never wrapped, shortened in the middle.
    pub whole: bool,
}

impl Text {
    pub fn words(text: impl Into<String>) -> Self {
        Text {
            text: text.into(),
            whole: false,
        }
    }

    pub fn whole(text: impl Into<String>) -> Self {
        Text {
            text: text.into(),
            whole: true,
        }
    }
}

/// What [`fit`] decided: the columns shown (indexes into the columns given, in order) and the
/// width of each.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub shown: Vec<usize>,
    pub widths: Vec<usize>,
    /// The columns left out, in the order given.
    pub dropped: Vec<usize>,
    /// How wide the table is with every column at its natural width.
    pub natural: usize,
}

pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// The pieces a line of words may be broken into: after a space (the space is dropped) or after a
/// comma (kept at the end of its line: `80,554,` / `8080`); each with whether a space came before
/// it.
fn pieces(line: &str) -> Vec<(&str, bool)> {
    let mut out = Vec::new();
    for word in line.split(' ').filter(|w| !w.is_empty()) {
        let mut rest = word;
        let mut spaced = true;
        while let Some(i) = rest.find(',') {
            let (head, tail) = rest.split_at(i + 1);
            if tail.is_empty() {
                break;
            }
            out.push((head, spaced));
            spaced = false;
            rest = tail;
        }
        out.push((rest, spaced));
    }
    out
}

/// How narrow a cell can be without a piece broken or a whole line shortened.
fn min_width(t: &Text) -> usize {
    t.text
        .split('\n')
        .map(|l| {
            if t.whole {
                width(l)
            } else {
                pieces(l)
                    .into_iter()
                    .map(|(p, _)| width(p))
                    .max()
                    .unwrap_or(0)
            }
        })
        .max()
        .unwrap_or(0)
}

fn natural_width(t: &Text) -> usize {
    t.text.split('\n').map(width).max().unwrap_or(0)
}

/// The last resort for a column that must shrink past its pieces: `…` and a few characters each
/// side.
const FLOOR: usize = 9;

/// Decide columns and widths for `rows` (a cell per column, in order) within `limit` display
/// columns (`None`: every column at its natural width).
pub fn fit(columns: &[Column], rows: &[Vec<Text>], limit: Option<usize>) -> Layout {
    let n = columns.len();
    let header = |i: usize| Text::words(columns[i].header);
    let measure = |f: &dyn Fn(&Text) -> usize| -> Vec<usize> {
        (0..n)
            .map(|i| {
                rows.iter()
                    .filter_map(|r| r.get(i))
                    .map(f)
                    .chain([f(&header(i))])
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    };
    let natural = measure(&natural_width);
    let min = measure(&min_width);
    let soft: Vec<usize> = (0..n)
        .map(|i| min[i].max(natural[i].min(columns[i].soft_min)))
        .collect();
    let natural_total = overhead(n) + natural.iter().sum::<usize>();
    let Some(limit) = limit else {
        return Layout {
            shown: (0..n).collect(),
            widths: natural,
            dropped: Vec::new(),
            natural: natural_total,
        };
    };
    let total = |shown: &[usize], w: &dyn Fn(usize) -> usize| {
        overhead(shown.len()) + shown.iter().map(|&i| w(i)).sum::<usize>()
    };
    let mut shown: Vec<usize> = (0..n).collect();
    let mut dropped = Vec::new();
    // A column goes only when the others cannot make room for it even with their words wrapped
    // at their longest piece: a taller row is better than a fact left out.
    while total(&shown, &|i| soft[i]) > limit && total(&shown, &|i| min[i]) > limit {
        // The least important droppable column; of equals, the rightmost.
        let Some(pos) = (0..shown.len())
            .filter(|&p| columns[shown[p]].priority > 0)
            .max_by_key(|&p| (columns[shown[p]].priority, p))
        else {
            break;
        };
        dropped.push(shown.remove(pos));
    }
    dropped.sort_unstable();
    let mut widths: Vec<usize> = shown.iter().map(|&i| soft[i]).collect();
    if total(&shown, &|i| soft[i]) > limit {
        // Words at their longest piece; when nothing is left to drop and that is still too wide,
        // the widest column shrinks (its whole lines shortened, its pieces cut) until the table
        // fits or all are at the floor.
        widths = shown.iter().map(|&i| min[i]).collect();
        let room = limit.saturating_sub(overhead(shown.len()));
        while widths.iter().sum::<usize>() > room {
            let Some(widest) = (0..widths.len())
                .filter(|&p| widths[p] > FLOOR)
                .max_by_key(|&p| (widths[p], p))
            else {
                break;
            };
            widths[widest] -= 1;
        }
    }
    // Room left: to the columns still below their natural width, most important first.
    let mut room = limit.saturating_sub(overhead(shown.len()) + widths.iter().sum::<usize>());
    let mut order: Vec<usize> = (0..shown.len()).collect();
    order.sort_by_key(|&p| (columns[shown[p]].priority, p));
    while room > 0 {
        let mut gave = false;
        for &p in &order {
            if room > 0 && widths[p] < natural[shown[p]] {
                widths[p] += 1;
                room -= 1;
                gave = true;
            }
        }
        if !gave {
            break;
        }
    }
    Layout {
        shown,
        widths,
        dropped,
        natural: natural_total,
    }
}

/// `s` in at most `w` display columns: whole when it fits, else its start and end around `…`.
pub fn shorten_middle(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    let keep = w - 1;
    let tail_w = keep / 2;
    let head_w = keep - tail_w;
    let mut head = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if used + cw > head_w {
            break;
        }
        used += cw;
        head.push(c);
    }
    let mut tail: Vec<char> = Vec::new();
    let mut used = 0;
    for c in s.chars().rev() {
        let cw = c.width().unwrap_or(0);
        if used + cw > tail_w {
            break;
        }
        used += cw;
        tail.push(c);
    }
    tail.reverse();
    format!("{head}…{}", tail.into_iter().collect::<String>())
}

/// A cell's lines at width `w`, and whether any had to be shortened.
pub fn lines(t: &Text, w: usize) -> (Vec<String>, bool) {
    let mut out = Vec::new();
    let mut shortened = false;
    for line in t.text.split('\n') {
        if t.whole {
            let s = shorten_middle(line, w);
            shortened |= s != line;
            out.push(s);
            continue;
        }
        let mut current = String::new();
        for (piece, spaced) in pieces(line) {
            let piece = if width(piece) > w {
                shortened = true;
                shorten_middle(piece, w)
            } else {
                piece.to_string()
            };
            // A piece after a comma joins its line without a space (`80,` then `554`).
            let sep = if current.is_empty() || !spaced {
                ""
            } else {
                " "
            };
            if !current.is_empty() && width(&current) + sep.len() + width(&piece) > w {
                out.push(std::mem::take(&mut current));
                current = piece;
            } else {
                current.push_str(sep);
                current.push_str(&piece);
            }
        }
        out.push(current);
    }
    (out, shortened)
}

/// A paragraph wrapped at spaces into lines of at most `w` columns, the first starting with
/// `first` and the others indented as deep (`[2] text…` / `    more`). A word wider than the room
/// beside the indent gets a line of its own, from the left edge. A URL there is never cut (the
/// note exists to give it whole: wider than `w` only when it is wider than `w` itself); any other
/// word wider than `w` (an error's connection details) is shortened in the middle.
pub fn paragraph(first: &str, text: &str, w: usize) -> Vec<String> {
    let indent = width(first);
    let room = w.saturating_sub(indent).max(FLOOR);
    let mut out: Vec<String> = Vec::new();
    let mut current = first.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        let ww = width(word);
        if ww > room {
            if !empty || out.is_empty() {
                out.push(current.trim_end().to_string());
            }
            // On a line of its own, unindented; a word that is no URL shortened in the middle
            // when even that line is too narrow for it (the machine formats have it whole).
            if word.contains("://") {
                out.push(word.to_string());
            } else {
                out.push(shorten_middle(word, w.max(FLOOR)));
            }
            current = " ".repeat(indent);
            empty = true;
            continue;
        }
        if !empty && width(&current) + 1 + ww > indent.max(w) {
            out.push(std::mem::replace(&mut current, " ".repeat(indent)));
            empty = true;
        }
        if !empty {
            current.push(' ');
        }
        current.push_str(word);
        empty = false;
    }
    if !empty || out.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(header: &'static str, priority: u8) -> Column {
        Column {
            header,
            priority,
            soft_min: 12,
        }
    }

    #[test]
    fn words_wrap_at_spaces_and_commas_never_inside() {
        let (l, short) = lines(
            &Text::words("Hikvision DS-2CD2042WD (front-door, cam1.lan)"),
            12,
        );
        assert_eq!(
            l,
            ["Hikvision", "DS-2CD2042WD", "(front-door,", "cam1.lan)"]
        );
        assert!(!short);
        let (l, _) = lines(&Text::words("80,443,554,8000,8080"), 8);
        assert_eq!(l, ["80,443,", "554,", "8000,", "8080"]);
        let (l, _) = lines(&Text::words("a\nb c"), 10);
        assert_eq!(l, ["a", "b c"]);
    }

    #[test]
    fn whole_lines_are_shortened_in_the_middle() {
        let url = "rtsp://192.168.1.10:554/Streaming/Channels/101";
        let (l, short) = lines(&Text::whole(url), 30);
        assert!(short);
        assert_eq!(width(&l[0]), 30);
        assert_eq!(l[0], "rtsp://192.168.…g/Channels/101");
        assert_eq!(lines(&Text::whole(url), 80), (vec![url.to_string()], false));
        // Wide characters count twice and are never split.
        assert_eq!(shorten_middle("カメラカメラ", 5), "カ…ラ");
        assert_eq!(shorten_middle("abc", 0), "");
    }

    #[test]
    fn the_least_important_columns_go_first() {
        let columns = [
            col("Device", 0),
            col("Ports", 3),
            col("Identity", 1),
            col("URL", 0),
        ];
        let rows = vec![vec![
            Text::words("192.168.1.10"),
            Text::words("80,554"),
            Text::words("Hikvision DS-2CD2042WD"),
            Text::whole("rtsp://192.168.1.10:554/Streaming/Channels/101"),
        ]];
        let all = fit(&columns, &rows, None);
        assert_eq!(all.shown, [0, 1, 2, 3]);
        assert_eq!(all.natural, overhead(4) + 12 + 6 + 22 + 46);
        let wide = fit(&columns, &rows, Some(200));
        assert_eq!(wide.widths, all.widths, "no wider than it needs");
        let squeezed = fit(&columns, &rows, Some(90));
        assert!(
            squeezed.dropped.is_empty(),
            "the identity wrapped: {squeezed:?}"
        );
        assert_eq!(overhead(4) + squeezed.widths.iter().sum::<usize>(), 90);
        let mid = fit(&columns, &rows, Some(85));
        assert_eq!(mid.dropped, [1], "{mid:?}");
        assert!(overhead(3) + mid.widths.iter().sum::<usize>() <= 85);
        assert_eq!(mid.widths[2], 46, "the URL whole");
        let narrow = fit(&columns, &rows, Some(50));
        assert_eq!(narrow.shown, [0, 3]);
        assert_eq!(overhead(2) + narrow.widths.iter().sum::<usize>(), 50);
    }

    #[test]
    fn a_column_stays_when_wrapping_the_others_makes_room_for_it() {
        // tests/scan_rtsp.rs's table at 100 columns: at their comfortable widths Identity and
        // Video do not both fit beside the URL; with their words wrapped they do.
        let columns = [
            col("Device", 0),
            col("Identity", 1),
            col("Main stream", 0),
            col("Status", 0),
            col("Video", 2),
        ];
        let rows = vec![vec![
            Text::words("127.0.0.13"),
            Text::words("GStreamer RTSP server"),
            Text::whole("rtsp://127.0.0.13:8554/Streaming/Channels/101"),
            Text::words("ok"),
            Text::words("H.265 1080p15 Main"),
        ]];
        let l = fit(&columns, &rows, Some(100));
        assert!(l.dropped.is_empty(), "{l:?}");
        assert!(overhead(5) + l.widths.iter().sum::<usize>() <= 100);
        let (video, _) = lines(&rows[0][4], l.widths[4]);
        assert!(video.iter().any(|v| v.contains("1080p15")), "{video:?}");
        // Narrower than the wrapped cells: Video goes before Identity.
        let l = fit(&columns, &rows, Some(90));
        assert_eq!(l.dropped, [4], "{l:?}");
    }

    #[test]
    fn a_paragraph_never_overflows_but_for_a_url() {
        let text = "RTSP DESCRIBE failed; conn: 127.0.0.1:56996(me)->127.0.11.1:554@2026-11-25T18:30:44.385817803Z; msg: 0";
        for line in paragraph("  ", text, 60) {
            assert!(width(&line) <= 60, "{line}");
        }
        let url = "rtsp://127.0.11.1:554/h264.sdp?res=full&doublescan=0&ssn=1&x=yyyyyyyyyy";
        let lines = paragraph("[5] ", url, 60);
        assert_eq!(
            lines,
            ["[5]", url],
            "a URL is given whole on a line of its own"
        );
    }

    #[test]
    fn never_wider_than_asked_whatever_the_cells() {
        let columns = [col("A", 0), col("B", 0), col("C", 2)];
        let rows = vec![vec![
            Text::words("x".repeat(70)),
            Text::whole("y".repeat(90)),
            Text::words("z z z"),
        ]];
        for limit in [20, 40, 60, 80, 120] {
            let l = fit(&columns, &rows, Some(limit));
            for (p, &i) in l.shown.iter().enumerate() {
                let (ls, _) = lines(&rows[0][i], l.widths[p]);
                assert!(ls.iter().all(|s| width(s) <= l.widths[p]), "{limit} {ls:?}");
            }
            if limit >= overhead(2) + 2 * FLOOR {
                assert!(overhead(l.shown.len()) + l.widths.iter().sum::<usize>() <= limit);
            }
        }
    }

    #[test]
    fn a_word_too_wide_for_its_note_gets_a_line_of_its_own_whole() {
        let url = "rtsp://127.0.11.3:8554/cam/realmonitor?channel=1&subtype=0";
        assert_eq!(paragraph("[7] ", url, 60), ["[7]", url]);
        assert_eq!(
            paragraph("[7] ", url, 40),
            ["[7]", url],
            "whole, even wider"
        );
        assert_eq!(
            paragraph("[1] ", &format!("see {url} now"), 60),
            ["[1] see", url, "    now"]
        );
        assert_eq!(paragraph("", "", 60), [""]);
    }

    #[test]
    fn notes_hang_under_their_number() {
        let l = paragraph(
            "[12] ",
            "rtmp: application live accepted connect, stream key unknown",
            30,
        );
        assert_eq!(
            l,
            [
                "[12] rtmp: application live",
                "     accepted connect, stream",
                "     key unknown"
            ]
        );
    }
}
