//! A push's plan and results as people read them (a table, then one summary line) and as
//! programs read them (`-f json`: the [`Outcome`] itself).

use std::io::{self, Write};

use super::Outcome;
use super::plan::Action;
use export::table::fit;
use table_writer::Table;

input::choices! {
    /// How `camscan push` prints its plan and results.
    pub enum PushFormat {
        /// A table for people, then a summary line.
        Table = "table",
        /// One JSON document: the plan's steps and each one's result.
        Json = "json",
    }
}

/// `camscan push -f`.
pub static FORMAT: input::setting::Setting<PushFormat> =
    input::choice::format_setting(PushFormat::Table);

/// The plan and results as `format` says, the table fitted to `width`.
pub fn write(o: &Outcome, format: PushFormat, width: u16, out: &mut dyn Write) -> io::Result<()> {
    match format {
        PushFormat::Table => table(o, width, out),
        PushFormat::Json => json(o, out),
    }
}

/// The table: one row per entry (name, action, stream, why / result), then notes and a summary.
pub fn table(o: &Outcome, width: u16, out: &mut dyn Write) -> io::Result<()> {
    let done = !o.results.is_empty();
    let mut t = Table::new([
        "Name",
        "Plan",
        "Camera stream",
        if done { "Result" } else { "Why" },
    ]);
    t.wrap_to(width);
    // The stream column: a URL is never wrapped, only shortened in its middle (the whole one is
    // in -f json), to what is left once the other columns have their room.
    let name_w = o
        .steps
        .iter()
        .map(|s| fit::width(&s.name))
        .max()
        .unwrap_or(4)
        .max(4);
    let stream_w = usize::from(width)
        .saturating_sub(fit::overhead(4) + name_w + 6 + 28)
        .max(24);
    let longest = o
        .steps
        .iter()
        .map(|s| fit::width(&s.stream))
        .max()
        .unwrap_or(0);
    let stream_col = longest.clamp(13, stream_w);
    for (i, s) in o.steps.iter().enumerate() {
        let why = match &s.action {
            Action::Update(r) => r.join("; "),
            Action::Leave(r) | Action::Skip(r) => r.clone(),
            Action::Add => match &s.instead_of {
                Some(p) => format!("{p} is a person's entry: named {}", s.name),
                None => String::new(),
            },
            _ => String::new(),
        };
        let why = match (&s.note, why.is_empty()) {
            (Some(n), true) => n.clone(),
            (Some(n), false) => format!("{why}; {n}"),
            (None, _) => why,
        };
        let cell = match o.results.get(i) {
            Some(r) if r.sent && !r.accepted => {
                format!("refused: {}", r.message.as_deref().unwrap_or(""))
            }
            Some(r) if r.verified == Some(true) && r.sent => {
                // How the tool took it, when not as planned (Home Assistant: through the generic
                // camera, and why).
                let how = r
                    .message
                    .as_deref()
                    .map(|m| format!(" {m}"))
                    .unwrap_or_default();
                format!(
                    "{}done{how}, verified",
                    if why.is_empty() {
                        String::new()
                    } else {
                        format!("{why}; ")
                    }
                )
            }
            Some(r) if r.verified == Some(true) => "present, verified".into(),
            Some(r) if r.verified == Some(false) => format!(
                "NOT verified: {}",
                r.message.as_deref().unwrap_or("not in the tool")
            ),
            _ => why,
        };
        t.row([
            sanitize::terminal(&s.name).into_owned(),
            s.action.word().to_string(),
            fit::shorten_middle(&sanitize::terminal(&s.stream), stream_col),
            sanitize::terminal(&cell).into_owned(),
        ]);
    }
    t.fixed_column(2, stream_col);
    if !o.steps.is_empty() {
        writeln!(out, "{t}")?;
    }
    let w = usize::from(width);
    let mut lines: Vec<String> = Vec::new();
    for n in &o.notes {
        lines.extend(fit::paragraph("Note: ", &format!("{n}."), w));
    }
    if !o.references.is_empty() {
        lines.extend(fit::paragraph(
            "",
            &format!(
                "Set in {}'s environment (each camera's password, URL-encoded): {}",
                o.tool.name(),
                o.references.join(", ")
            ),
            w,
        ));
    }
    lines.extend(fit::paragraph("", &summary(o), w));
    for l in lines {
        writeln!(out, "{l}")?;
    }
    Ok(())
}

/// `frigate http://h:5000: 3 to add, 1 to update, 5 already right, 2 left alone (dry run)`, or
/// what was done: each change counted once it was taken, refusals apart, and how many of the
/// cameras checked the tool holds as sent.
pub fn summary(o: &Outcome) -> String {
    let taken = |word: &str| {
        o.steps
            .iter()
            .enumerate()
            .filter(|(i, s)| {
                s.action.word() == word
                    && (o.dry_run || o.results.get(*i).is_none_or(|r| r.accepted))
            })
            .count()
    };
    let mut parts = Vec::new();
    for (word, planned, done) in [
        ("add", "to add", "added"),
        ("update", "to update", "updated"),
        ("remove", "to remove", "removed"),
        ("keep", "already right", "already right"),
        ("leave", "left alone", "left alone"),
        ("skip", "skipped", "skipped"),
    ] {
        let n = taken(word);
        if n > 0 {
            parts.push(format!("{n} {}", if o.dry_run { planned } else { done }));
        }
    }
    let refused = o.results.iter().filter(|r| r.sent && !r.accepted).count();
    if refused > 0 {
        parts.push(format!("{refused} refused"));
    }
    if parts.is_empty() {
        parts.push("no camera to push".into());
    }
    let mut line = format!("{} {}: {}", o.tool.name(), o.target, parts.join(", "));
    if o.dry_run {
        line.push_str(" (dry run: nothing sent)");
    } else {
        let checked: Vec<bool> = o.results.iter().filter_map(|r| r.verified).collect();
        let ok = checked.iter().filter(|v| **v).count();
        line.push_str(&format!("; verified {ok}/{}", checked.len()));
    }
    line
}

/// The outcome as one JSON document.
pub fn json(o: &Outcome, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, o)?;
    writeln!(out)
}
