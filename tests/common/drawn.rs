//! camscan's table as a terminal shows it, read back: its headers and each row's cells, a cell's
//! lines joined by a space (`tests/table.rs`, `tests/scan_rtsp.rs`).

use unicode_width::UnicodeWidthStr;

/// A table read back from its lines: its headers, and each row's cells (a cell's lines joined by
/// a space), a row starting at a line whose first cell starts with an address.
#[derive(Debug)]
pub struct Drawn {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// The lines before and after the table.
    pub after: Vec<String>,
    /// The width of its top border.
    pub width: usize,
}

fn segments(line: &str) -> Vec<String> {
    let inner = line.trim_start_matches('│').trim_end_matches('│');
    inner.split('┆').map(|s| s.trim().to_string()).collect()
}

pub fn parse(lines: &[String]) -> Drawn {
    let top = lines
        .iter()
        .position(|l| l.starts_with('┌'))
        .unwrap_or_else(|| panic!("no table:\n{}", lines.join("\n")));
    let rule = top
        + lines[top..]
            .iter()
            .position(|l| l.starts_with('╞'))
            .unwrap();
    let bottom = top
        + lines[top..]
            .iter()
            .position(|l| l.starts_with('└'))
            .unwrap();
    let join = |cells: &mut Vec<String>, segs: Vec<String>| {
        for (i, s) in segs.into_iter().enumerate() {
            if cells.len() <= i {
                cells.push(String::new());
            }
            if !s.is_empty() {
                if !cells[i].is_empty() {
                    cells[i].push(' ');
                }
                cells[i].push_str(&s);
            }
        }
    };
    let mut headers = Vec::new();
    for l in &lines[top + 1..rule] {
        join(&mut headers, segments(l));
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    for l in &lines[rule + 1..bottom] {
        let segs = segments(l);
        let starts = segs[0]
            .split(' ')
            .next()
            .is_some_and(|w| w.parse::<std::net::IpAddr>().is_ok());
        if starts || rows.is_empty() {
            rows.push(Vec::new());
        }
        join(rows.last_mut().unwrap(), segs);
    }
    Drawn {
        headers,
        rows,
        after: lines[bottom + 1..].to_vec(),
        width: lines[top].width(),
    }
}

impl Drawn {
    /// The cell in column `header` of the first row of the device at `address`.
    pub fn cell(&self, address: &str, header: &str) -> Option<&str> {
        let column = self.headers.iter().position(|h| h == header)?;
        let row = self
            .rows
            .iter()
            .find(|r| r[0].split(' ').next() == Some(address))?;
        row.get(column).map(String::as_str)
    }
}
