//! The one table writer: every table camscan prints for people (a scan's, the inventory's lists,
//! `camscan interfaces`, `camscan doctor`, a push's plan, `camscan signatures`) is drawn here,
//! so they share one look and one set of rules, and comfy-table is named in this file only.
//!
//! What a table is here: a header, rows of cells (a cell's lines split at `\n`), one preset
//! (comfy-table's `UTF8_FULL_CONDENSED`: `│ a ┆ b │`, a `╞═╪═╡` rule under the header), a width
//! and colour only when asked. Nothing is read from the terminal (house rule 8: snapshots never
//! depend on it): no width is looked up, and a cell is coloured only when the caller says
//! colour is wanted (`--color`, NO_COLOR, TERM=dumb: decided at the entrance). The width is
//! either each column's widest line ([`Table::new`]; the scan's table fits its cells itself,
//! `export::table::fit`) or a number of display columns comfy-table wraps the words to
//! ([`Table::wrap_to`]). Cells are drawn as given: the callers sanitise device strings.

/// `--width`: the table's width, declared once for every command that draws one (`scan`,
/// `audit`, `doctor`, `push` and the inventory's lists and documents); `None`: `$COLUMNS`, else
/// the terminal's, else 100 (the commands say which).
pub static WIDTH: input::setting::Setting<Option<u16>> = input::setting::Setting {
    key: "width",
    flag: "--width",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_WIDTH",
    value_name: "COLUMNS",
    help: "The table's width in columns; 0: as wide as its cells need [default: $COLUMNS, else \
           the terminal's width, else 100]",
    default: None,
    choices: None,
    parse: |t| input::setting::count(t, 0).map(Some),
};

/// The list of [`WIDTH`] alone, which the entrance flattens into each command that draws a table.
pub static WIDTH_LIST: &[&dyn input::setting::Declared] = &[&WIDTH];

use std::borrow::Cow;
use std::fmt;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ColumnConstraint, ContentArrangement, Width};

use input::setting::Repeat;

/// The colours a cell may have (its text's), drawn only when the table is [`Table::color`]ed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Green,
    Yellow,
    Red,
    Cyan,
    Magenta,
}

impl Color {
    fn comfy(self) -> comfy_table::Color {
        match self {
            Color::Green => comfy_table::Color::Green,
            Color::Yellow => comfy_table::Color::Yellow,
            Color::Red => comfy_table::Color::Red,
            Color::Cyan => comfy_table::Color::Cyan,
            Color::Magenta => comfy_table::Color::Magenta,
        }
    }
}

/// One cell: its text (lines split at `\n`) and, maybe, its colour.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cell {
    text: String,
    color: Option<Color>,
}

impl Cell {
    pub fn new(text: impl Into<String>) -> Self {
        Cell {
            text: text.into(),
            color: None,
        }
    }

    /// The cell with its text in `color` (when the table is coloured).
    pub fn fg(mut self, color: Color) -> Self {
        self.color = Some(color);
        self
    }

    fn comfy(self) -> comfy_table::Cell {
        let cell = comfy_table::Cell::new(self.text);
        match self.color {
            Some(c) => cell.fg(c.comfy()),
            None => cell,
        }
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell::new(text)
    }
}

impl From<&String> for Cell {
    fn from(text: &String) -> Self {
        Cell::new(text.as_str())
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::new(text)
    }
}

impl From<Cow<'_, str>> for Cell {
    fn from(text: Cow<'_, str>) -> Self {
        Cell::new(text.into_owned())
    }
}

/// A table being written: build it, then print it with `{}` (no final newline).
pub struct Table(comfy_table::Table);

impl Table {
    /// A table under `header`, each column as wide as its widest line, no colour.
    pub fn new<I>(header: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let mut t = comfy_table::Table::new();
        t.load_style(UTF8_FULL_CONDENSED);
        // Never from the terminal: neither the width nor whether to colour.
        t.force_no_tty();
        t.set_content_arrangement(ContentArrangement::Disabled);
        t.set_header(header.into_iter().map(Into::into).collect::<Vec<String>>());
        Table(t)
    }

    /// Words wrapped (by comfy-table) so the table is at most `width` display columns wide.
    pub fn wrap_to(&mut self, width: u16) -> &mut Self {
        self.0
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(width);
        self
    }

    /// Coloured cells drawn in their colours when `on` (plain text otherwise).
    pub fn color(&mut self, on: bool) -> &mut Self {
        if on {
            self.0.enforce_styling();
        }
        self
    }

    /// Column `index` (from 0) exactly `width` display columns wide inside its padding, whatever
    /// the others and the table's width: its cells are the caller's to make fit (a push's
    /// stream column, shortened in the middle).
    pub fn fixed_column(&mut self, index: usize, width: usize) -> &mut Self {
        if let Some(c) = self.0.column_mut(index) {
            // comfy-table's width of a column counts its padding, one space each side.
            let with_padding = u16::try_from(width + 2).unwrap_or(u16::MAX);
            c.set_constraint(ColumnConstraint::Absolute(Width::Fixed(with_padding)));
        }
        self
    }

    /// One row, a cell per column.
    pub fn row<I>(&mut self, cells: I) -> &mut Self
    where
        I: IntoIterator,
        I::Item: Into<Cell>,
    {
        self.0.add_row(
            cells
                .into_iter()
                .map(|c| c.into().comfy())
                .collect::<Vec<_>>(),
        );
        self
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preset_and_lines_split_at_newlines() {
        let mut t = Table::new(["A", "Bb"]);
        t.row(["x\ny", "z"]);
        assert_eq!(
            t.to_string(),
            "┌───┬────┐\n\
             │ A ┆ Bb │\n\
             ╞═══╪════╡\n\
             │ x ┆ z  │\n\
             │ y ┆    │\n\
             └───┴────┘"
        );
    }

    #[test]
    fn colour_only_when_asked() {
        let plain = || {
            let mut t = Table::new(["S"]);
            t.row([Cell::new("ok").fg(Color::Green)]);
            t
        };
        assert!(!plain().to_string().contains('\u{1b}'));
        let mut coloured = plain();
        coloured.color(true);
        assert!(coloured.to_string().contains("\u{1b}["), "{coloured}");
    }

    #[test]
    fn wrapped_to_a_width_and_a_fixed_column() {
        let mut t = Table::new(["Name", "Text"]);
        t.row(["a", "one two three four five six seven eight"]);
        t.wrap_to(24);
        let s = t.to_string();
        assert!(s.lines().all(|l| l.chars().count() <= 24), "{s}");
        let mut t = Table::new(["N", "URL"]);
        t.row(["a", "rtsp://x"]);
        t.fixed_column(1, 12);
        assert_eq!(t.to_string().lines().next(), Some("┌───┬──────────────┐"));
    }
}
