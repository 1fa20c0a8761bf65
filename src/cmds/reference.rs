//! The CLI reference (`docs/reference/cli.md`) as Markdown, rendered from the clap definitions
//! that `--help`, `camscan man` and the shell completions come from, so the page cannot drift:
//! `tests/docs.rs` compares the file with [`markdown`] (and rewrites it with `CAMSCAN_BLESS=1`).

use std::fmt::Write as _;

use clap::{Arg, ArgAction, Command, CommandFactory};

use super::Cli;

/// The whole command line: the global options, then each subcommand with its usage and every
/// argument (flags, value names, defaults, possible values, `CAMSCAN_*` variables).
pub fn markdown() -> String {
    let mut root = Cli::command();
    root.build();
    let mut out = String::new();
    let _ = writeln!(out, "# Command-line reference\n");
    let _ = writeln!(
        out,
        "Generated from camscan's argument definitions (the same as `--help` and `camscan man`); \
         `tests/docs.rs` fails when this page and the binary differ. Every option also reads the \
         environment variable named with it; precedence and the config file: \
         [Configuration](configuration.md).\n"
    );
    if let Some(about) = root.get_long_about().or(root.get_about()) {
        let _ = writeln!(out, "{}\n", text(&about.to_string()));
    }
    let _ = writeln!(out, "## Subcommands\n");
    for sub in visible_subcommands(&root) {
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        let _ = writeln!(
            out,
            "- [`camscan {name}`](#camscan-{name}): {}",
            first_sentence(&about),
            name = sub.get_name()
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "## Global options\n");
    arguments(&mut out, &root);
    for sub in visible_subcommands(&root) {
        section(&mut out, sub);
    }
    out
}

fn visible_subcommands(cmd: &Command) -> impl Iterator<Item = &Command> {
    cmd.get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
}

/// One subcommand: its heading, what it does, its usage and its arguments; then its own
/// subcommands (`camscan hub add-site`), each a section of its own.
fn section(out: &mut String, sub: &Command) {
    section_under(out, sub, "");
}

fn section_under(out: &mut String, sub: &Command, parent: &str) {
    let name = format!("{parent}{}", sub.get_name());
    let _ = writeln!(out, "## camscan {name}\n");
    if let Some(about) = sub.get_long_about().or(sub.get_about()) {
        let _ = writeln!(out, "{}\n", text(&about.to_string()));
    }
    let usage = sub
        .clone()
        .bin_name(format!("camscan {name}"))
        .render_usage();
    let usage = usage.to_string();
    let usage = usage.trim_start_matches("Usage: ").trim();
    let _ = writeln!(out, "```text\n{usage}\n```\n");
    let nested: Vec<&Command> = visible_subcommands(sub).collect();
    if nested.is_empty() {
        arguments(out, sub);
        return;
    }
    for n in &nested {
        let about = n.get_about().map(|a| a.to_string()).unwrap_or_default();
        let _ = writeln!(
            out,
            "- [`camscan {name} {sub}`](#camscan-{anchor}-{sub}): {}",
            first_sentence(&about),
            sub = n.get_name(),
            anchor = name.replace(' ', "-")
        );
    }
    let _ = writeln!(out);
    for n in nested {
        section_under(out, n, &format!("{name} "));
    }
}

/// Every argument of `cmd` (positionals first, as clap lists them), one bullet each.
fn arguments(out: &mut String, cmd: &Command) {
    let mut any = false;
    for arg in cmd.get_arguments().filter(|a| shown(a, cmd)) {
        any = true;
        let _ = writeln!(out, "- {}", argument(arg));
    }
    if any {
        let _ = writeln!(out);
    } else {
        let _ = writeln!(out, "No arguments.\n");
    }
}

/// Arguments a user gives: not hidden, not clap's own `--help`/`--version`, and the global ones
/// only where they are defined (the root).
fn shown(arg: &Arg, cmd: &Command) -> bool {
    let own = !matches!(
        arg.get_action(),
        ArgAction::Help | ArgAction::HelpShort | ArgAction::HelpLong | ArgAction::Version
    );
    own && !arg.is_hide_set() && (!arg.is_global_set() || cmd.get_name() == "camscan")
}

/// `` `-p`, `--ports <PORTS>` ``: the help, then `[env: ...]`, `[default: ...]` and the
/// possible values.
fn argument(arg: &Arg) -> String {
    let mut names = Vec::new();
    if let Some(s) = arg.get_short() {
        names.push(format!("-{s}"));
    }
    if let Some(l) = arg.get_long() {
        names.push(format!("--{l}"));
    }
    let value = value_names(arg);
    let spelled = if names.is_empty() {
        format!("`{value}`")
    } else {
        let last = names.pop().unwrap_or_default();
        let mut parts: Vec<String> = names.into_iter().map(|n| format!("`{n}`")).collect();
        parts.push(if value.is_empty() || !arg.get_action().takes_values() {
            format!("`{last}`")
        } else {
            format!("`{last} {value}`")
        });
        parts.join(", ")
    };
    let help = arg
        .get_long_help()
        .or(arg.get_help())
        .map(|h| text(&h.to_string()))
        .unwrap_or_default();
    let mut line = format!("{spelled}: {help}");
    if let Some(env) = arg.get_env() {
        let _ = write!(line, " [env: `{}`]", env.to_string_lossy());
    }
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if !defaults.is_empty() && arg.get_action().takes_values() {
        let _ = write!(line, " [default: `{}`]", defaults.join(","));
    }
    let possible: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|p| !p.is_hide_set())
        .map(|p| match p.get_help() {
            Some(h) => format!("`{}` ({})", p.get_name(), text(&h.to_string())),
            None => format!("`{}`", p.get_name()),
        })
        .collect();
    if !possible.is_empty() && arg.get_action().takes_values() {
        let _ = write!(line, " Values: {}.", possible.join(", "));
    }
    line
}

/// `<PORTS>`, `<TARGETS>...`, `[PATH]` as clap writes them.
fn value_names(arg: &Arg) -> String {
    let names: Vec<String> = arg
        .get_value_names()
        .map(|v| v.iter().map(|s| s.to_string()).collect())
        .unwrap_or_else(|| vec![arg.get_id().as_str().to_uppercase()]);
    let optional = arg.get_num_args().is_some_and(|n| n.min_values() == 0);
    let many = arg.get_num_args().is_some_and(|n| n.max_values() > 1)
        || matches!(arg.get_action(), ArgAction::Append) && arg.is_positional();
    let mut s = names
        .iter()
        .map(|n| {
            if optional {
                format!("[{n}]")
            } else {
                format!("<{n}>")
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    if many {
        s.push_str("...");
    }
    s
}

/// Help text as one Markdown paragraph: lines joined, blank lines kept as a space.
fn text(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Up to the first full stop followed by a space (or the whole text).
fn first_sentence(s: &str) -> String {
    let t = text(s);
    match t.find(". ") {
        Some(i) => t[..=i].to_string(),
        None => t,
    }
}
