//! A push's plan and results as people read them (a table, then one summary line) and as
//! programs read them (`-f json`: the [`Outcome`] itself).

use std::io::{self, Write};

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use super::Outcome;
use super::plan::Action;
use crate::export::table::fit;

/// The table: one row per entry (name, action, stream, why / result), then notes and a summary.
pub fn table(o: &Outcome, width: u16, out: &mut dyn Write) -> io::Result<()> {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    let done = !o.results.is_empty();
    t.set_header(vec![
        "Name",
        "Plan",
        "Camera stream",
        if done { "Result" } else { "Why" },
    ]);
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
        let cell = match o.results.get(i) {
            Some(r) if r.sent && !r.accepted => {
                format!("refused: {}", r.message.as_deref().unwrap_or(""))
            }
            Some(r) if r.verified == Some(true) && r.sent => {
                format!(
                    "{}done, verified",
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
        t.add_row(vec![
            crate::sanitize::terminal(&s.name).into_owned(),
            s.action.word().to_string(),
            fit::shorten_middle(&crate::sanitize::terminal(&s.stream), stream_w),
            crate::sanitize::terminal(&cell).into_owned(),
        ]);
    }
    if !o.steps.is_empty() {
        writeln!(out, "{t}")?;
    }
    for n in &o.notes {
        writeln!(out, "Note: {n}.")?;
    }
    if !o.references.is_empty() {
        writeln!(
            out,
            "Set in {}'s environment (each camera's password, URL-encoded): {}",
            o.tool.name(),
            o.references.join(", ")
        )?;
    }
    writeln!(out, "{}", summary(o))
}

/// `frigate http://h:5000: 3 to add, 1 to update, 5 kept, 2 left alone` (a dry run), or what
/// was done and verified.
pub fn summary(o: &Outcome) -> String {
    let mut parts = Vec::new();
    let verb = |word: &str, planned: &str, done: &str| {
        let n = o.count(word);
        (n > 0).then(|| format!("{n} {}", if o.dry_run { planned } else { done }))
    };
    parts.extend(verb("add", "to add", "added"));
    parts.extend(verb("update", "to update", "updated"));
    parts.extend(verb("remove", "to remove", "removed"));
    parts.extend(verb("keep", "already right", "already right"));
    parts.extend(verb("leave", "left alone", "left alone"));
    parts.extend(verb("skip", "skipped", "skipped"));
    if parts.is_empty() {
        parts.push("no camera to push".into());
    }
    let mut line = format!("{} {}: {}", o.tool.name(), o.target, parts.join(", "));
    if o.dry_run {
        line.push_str(" (dry run: nothing sent)");
    } else {
        let refused = o.results.iter().filter(|r| r.sent && !r.accepted).count();
        let checked: Vec<_> = o.results.iter().filter_map(|r| r.verified).collect();
        let ok = checked.iter().filter(|v| **v).count();
        line.push_str(&format!(
            "; {refused} refused; verified {ok}/{}",
            checked.len()
        ));
    }
    line
}

/// The outcome as one JSON document.
pub fn json(o: &Outcome, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, o)?;
    writeln!(out)
}
