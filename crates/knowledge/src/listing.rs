//! `camscan signatures`: what knowledge is loaded and from where, per kind: a summary of counts per
//! file, then every entry (a table for people, or JSON in the files' own field names).

use std::io::{self, Write};

use serde::Serialize;

use super::{Knowledge, Origin};
use input::setting::Repeat;
use table_writer::Table;

/// `camscan signatures`' settings, in `--help`'s order.
pub static LISTING: &[&dyn input::setting::Declared] = &[&SIGNATURES, &KIND, &FORMAT];

/// `signatures --kind`: one kind of entry listed.
pub static KIND: input::setting::Setting<Option<Section>> = input::setting::Setting {
    key: "kind",
    flag: "--kind",
    short: None,
    repeat: Repeat::Once,
    env: "",
    value_name: "KIND",
    help: "Only this kind of entry [default: every kind]",
    default: None,
    choices: Some(input::choice::named::<Section>),
    parse: input::choice::some::<Section>,
};

/// `signatures -f`.
pub static FORMAT: input::setting::Setting<ListFormat> =
    input::choice::format_setting(ListFormat::Table);

/// `signatures --signatures`: the knowledge files listed, as a scan reads them.
pub static SIGNATURES: input::setting::Setting<Vec<std::path::PathBuf>> = input::setting::Setting {
    key: "signatures",
    flag: "--signatures",
    short: None,
    repeat: Repeat::Commas,
    env: "CAMSCAN_SIGNATURES",
    value_name: "FILE",
    help: "Knowledge files, as `camscan scan --signatures` reads them (before the built-in \
               data)",
    default: Vec::new(),
    choices: None,
    parse: files,
};

/// Comma-separated files (`a.yaml,b.yaml`), none empty; empty: none.
fn files(text: &str) -> Result<Vec<std::path::PathBuf>, String> {
    let names = input::setting::list(text)?;
    if names.iter().any(String::is_empty) {
        return Err("names an empty file".into());
    }
    Ok(names.into_iter().map(Into::into).collect())
}

/// The kinds of knowledge, named as their top-level keys in the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Vendors,
    Probes,
    Signatures,
    RtspPaths,
    HttpPaths,
    HttpFolders,
    HttpServerPaths,
    RtmpApps,
    RtmpStreams,
    Ouis,
    Placeholders,
    Advisories,
}

/// `camscan signatures --section` names them as the files' keys.
impl input::choice::Choice for Section {
    fn choices() -> &'static [Self] {
        &Section::ALL
    }

    fn choice(self) -> &'static str {
        self.key()
    }
}

impl Section {
    pub const ALL: [Section; 12] = [
        Section::Vendors,
        Section::Probes,
        Section::Signatures,
        Section::RtspPaths,
        Section::HttpPaths,
        Section::HttpFolders,
        Section::HttpServerPaths,
        Section::RtmpApps,
        Section::RtmpStreams,
        Section::Ouis,
        Section::Placeholders,
        Section::Advisories,
    ];

    /// The top-level key of the files.
    pub fn key(self) -> &'static str {
        match self {
            Section::Vendors => "vendors",
            Section::Probes => "probes",
            Section::Signatures => "signatures",
            Section::RtspPaths => "rtsp_paths",
            Section::HttpPaths => "http_paths",
            Section::HttpFolders => "http_folders",
            Section::HttpServerPaths => "http_server_paths",
            Section::RtmpApps => "rtmp_apps",
            Section::RtmpStreams => "rtmp_streams",
            Section::Ouis => "ouis",
            Section::Placeholders => "placeholders",
            Section::Advisories => "advisories",
        }
    }

    /// The file index (`from`) of each entry of this kind, in order.
    fn froms(self, k: &Knowledge) -> Vec<usize> {
        match self {
            Section::Vendors => k.vendors.iter().map(|e| e.from).collect(),
            Section::Probes => k.probes.iter().map(|e| e.from).collect(),
            Section::Signatures => k.signatures.iter().map(|e| e.from).collect(),
            Section::RtspPaths => k.rtsp_paths.iter().map(|e| e.from).collect(),
            Section::HttpPaths => k.http_paths.iter().map(|e| e.from).collect(),
            Section::HttpFolders => k.http_folders.iter().map(|e| e.from).collect(),
            Section::HttpServerPaths => k.http_server_paths.iter().map(|e| e.from).collect(),
            Section::RtmpApps => k.rtmp_apps.iter().map(|e| e.from).collect(),
            Section::RtmpStreams => k.rtmp_streams.iter().map(|e| e.from).collect(),
            Section::Ouis => k.ouis.iter().map(|e| e.from).collect(),
            Section::Placeholders => k.placeholders.iter().map(|e| e.from).collect(),
            Section::Advisories => k.advisories.iter().map(|e| e.from).collect(),
        }
    }

    /// Column names and one row per entry (the last column is where it came from).
    fn table(self, k: &Knowledge) -> (Vec<&'static str>, Vec<Vec<String>>) {
        let from = |i: usize| short_origin(&k.files[i]);
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        match self {
            Section::Vendors => (
                vec!["Id", "Name", "Matched by", "From"],
                k.vendors
                    .iter()
                    .map(|v| vec![v.id.clone(), v.name.clone(), matched_by(v), from(v.from)])
                    .collect(),
            ),
            Section::Probes => (
                vec!["Path", "Vendor", "From"],
                k.probes
                    .iter()
                    .map(|p| vec![p.path.clone(), opt(&p.vendor), from(p.from)])
                    .collect(),
            ),
            Section::Signatures => (
                vec!["Vendor", "Product", "Kind", "Confidence", "All of", "From"],
                k.signatures
                    .iter()
                    .map(|s| {
                        let all: Vec<String> = s.all.iter().map(ToString::to_string).collect();
                        vec![
                            opt(&s.vendor),
                            s.product.clone(),
                            s.kind.as_str().to_string(),
                            s.confidence.to_string(),
                            all.join("\n"),
                            from(s.from),
                        ]
                    })
                    .collect(),
            ),
            Section::RtspPaths => (
                vec!["Vendor", "Paths", "From"],
                k.rtsp_paths
                    .iter()
                    .map(|r| vec![r.vendor.clone(), r.paths.join("\n"), from(r.from)])
                    .collect(),
            ),
            Section::HttpPaths => (
                vec!["Path", "Vendor", "From"],
                k.http_paths
                    .iter()
                    .map(|p| vec![p.path.clone(), opt(&p.vendor), from(p.from)])
                    .collect(),
            ),
            Section::HttpFolders => (
                vec!["Folder", "Names", "From"],
                k.http_folders
                    .iter()
                    .map(|f| vec![f.folder.clone(), f.names.join("\n"), from(f.from)])
                    .collect(),
            ),
            Section::HttpServerPaths => (
                vec!["Path", "From"],
                k.http_server_paths
                    .iter()
                    .map(|p| vec![p.path.clone(), from(p.from)])
                    .collect(),
            ),
            Section::RtmpApps => (
                vec!["Name", "From"],
                k.rtmp_apps
                    .iter()
                    .map(|n| vec![n.name.clone(), from(n.from)])
                    .collect(),
            ),
            Section::RtmpStreams => (
                vec!["Name", "From"],
                k.rtmp_streams
                    .iter()
                    .map(|n| vec![n.name.clone(), from(n.from)])
                    .collect(),
            ),
            Section::Ouis => (
                vec!["Prefix", "Vendor", "From"],
                k.ouis
                    .iter()
                    .map(|o| vec![o.prefix.clone(), o.vendor.clone(), from(o.from)])
                    .collect(),
            ),
            Section::Placeholders => (
                vec!["Text", "Fields", "From"],
                k.placeholders
                    .iter()
                    .map(|p| vec![p.text.clone(), fields_of(&p.fields), from(p.from)])
                    .collect(),
            ),
            Section::Advisories => (
                vec!["Id", "Vendor", "Affected", "Fixed", "KEV", "From"],
                k.advisories
                    .iter()
                    .map(|a| {
                        let lines: Vec<String> = a
                            .affected
                            .iter()
                            .map(|l| format!("{}: {}", l.series, l.describe()))
                            .collect();
                        let kev = if a.kev { "yes" } else { "" };
                        let (id, vendor) = (a.id.clone(), a.vendor.clone());
                        vec![
                            id,
                            vendor,
                            lines.join("\n"),
                            a.fixed.clone(),
                            kev.into(),
                            from(a.from),
                        ]
                    })
                    .collect(),
            ),
        }
    }

    /// Every entry in the files' own field names.
    fn json(self, k: &Knowledge) -> serde_json::Result<Vec<serde_json::Value>> {
        fn each<T: Serialize>(items: &[T]) -> serde_json::Result<Vec<serde_json::Value>> {
            items.iter().map(serde_json::to_value).collect()
        }
        match self {
            Section::Vendors => each(&k.vendors),
            Section::Probes => each(&k.probes),
            Section::Signatures => each(&k.signatures),
            Section::RtspPaths => each(&k.rtsp_paths),
            Section::HttpPaths => each(&k.http_paths),
            Section::HttpFolders => each(&k.http_folders),
            Section::HttpServerPaths => each(&k.http_server_paths),
            Section::RtmpApps => each(&k.rtmp_apps),
            Section::RtmpStreams => each(&k.rtmp_streams),
            Section::Ouis => each(&k.ouis),
            Section::Placeholders => each(&k.placeholders),
            Section::Advisories => each(&k.advisories),
        }
    }
}

/// `built in` for the embedded files, the path for a user's.
fn short_origin(o: &Origin) -> String {
    match o {
        Origin::Embedded(_) => "built in".to_string(),
        Origin::User(p) => p.display().to_string(),
    }
}

/// The file name for JSON: `data/x.yaml` or the user's path.
fn file_name(o: &Origin) -> String {
    match o {
        Origin::Embedded(name) => (*name).to_string(),
        Origin::User(p) => p.display().to_string(),
    }
}

fn sections(only: Option<Section>) -> Vec<Section> {
    only.map_or_else(|| Section::ALL.to_vec(), |s| vec![s])
}

/// `n` entries per file, user files first (the order they are used in).
fn counts(k: &Knowledge, s: Section) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for f in s.froms(k) {
        match out.iter_mut().find(|(file, _)| *file == f) {
            Some((_, n)) => *n += 1,
            None => out.push((f, 1)),
        }
    }
    out
}

fn table_of(header: &[&str], rows: Vec<Vec<String>>) -> Table {
    let mut t = Table::new(header.iter().copied());
    for row in rows {
        // User files may hold anything: keep escape sequences away from the terminal.
        t.row(row.iter().map(|c| {
            c.split('\n')
                .map(|l| sanitize::terminal(l).into_owned())
                .collect::<Vec<_>>()
                .join("\n")
        }));
    }
    t
}

input::choices! {
    /// What `camscan signatures` can print.
    pub enum ListFormat {
        /// A summary and a table per kind, for people.
        Table = "table",
        /// One JSON object: the files read, and each kind's entries with the file they came from.
        Json = "json",
    }
}

/// The knowledge (its section `only`, else all) as `format` says.
pub fn write(
    k: &Knowledge,
    only: Option<Section>,
    format: ListFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        ListFormat::Table => write_table(k, only, out),
        ListFormat::Json => write_json(k, only, out),
    }
}

/// The summary (entries per kind and file), then a table per kind (`only`: that kind alone).
pub fn write_table(k: &Knowledge, only: Option<Section>, out: &mut dyn Write) -> io::Result<()> {
    let summary: Vec<Vec<String>> = sections(only)
        .into_iter()
        .map(|s| {
            let from: Vec<String> = counts(k, s)
                .into_iter()
                .map(|(f, n)| format!("{n} from {}", k.files[f]))
                .collect();
            vec![
                s.key().to_string(),
                s.froms(k).len().to_string(),
                from.join("\n"),
            ]
        })
        .collect();
    writeln!(out, "{}", table_of(&["Kind", "Entries", "Files"], summary))?;
    if matches!(only, None | Some(Section::Ouis))
        && let (Some(date), Some(source), Some((l, m, s))) = (
            super::oui::registry_date(),
            super::oui::registry_source(),
            super::oui::registry_counts(),
        )
    {
        writeln!(
            out,
            "IEEE MAC registry of {date} (data/oui/registry.bin, built in, from {source}): {l} MA-L, \
             {m} MA-M, {s} MA-S and IAB blocks"
        )?;
    }
    for s in sections(only) {
        let (header, rows) = s.table(k);
        writeln!(out, "\n{} ({})", s.key(), rows.len())?;
        writeln!(out, "{}", table_of(&header, rows))?;
    }
    Ok(())
}

/// `{"files": [{"file", "built_in", "entries": {kind: n}}], kind: [entry + "from"], ...}`.
pub fn write_json(k: &Knowledge, only: Option<Section>, out: &mut dyn Write) -> io::Result<()> {
    use serde_json::{Map, Value, json};
    let mut doc = Map::new();
    let files: Vec<Value> = k
        .files
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let mut entries = Map::new();
            for s in sections(only) {
                let n = s.froms(k).into_iter().filter(|f| *f == i).count();
                if n > 0 {
                    entries.insert(s.key().into(), n.into());
                }
            }
            json!({
                "file": file_name(o),
                "built_in": matches!(o, Origin::Embedded(_)),
                "entries": entries,
            })
        })
        .collect();
    doc.insert("files".into(), files.into());
    for s in sections(only) {
        let froms = s.froms(k);
        let mut entries = s.json(k)?;
        for (e, f) in entries.iter_mut().zip(froms) {
            if let Value::Object(m) = e {
                m.insert("from".into(), file_name(&k.files[f]).into());
            }
        }
        doc.insert(s.key().into(), entries.into());
    }
    serde_json::to_writer_pretty(&mut *out, &Value::Object(doc))?;
    writeln!(out)
}
/// What matches a vendor besides its name: its aliases, realm prefixes, UPnP makers and MAC
/// registry organisations, a line each.
fn matched_by(v: &super::Vendor) -> String {
    let mut by = Vec::new();
    if !v.aliases.is_empty() {
        by.push(format!("aliases: {}", v.aliases.join(", ")));
    }
    if !v.realm_prefixes.is_empty() {
        by.push(format!("realm starts: {}", v.realm_prefixes.join(", ")));
    }
    if !v.upnp_manufacturers.is_empty() {
        by.push(format!("UPnP maker: {}", v.upnp_manufacturers.join(", ")));
    }
    if !v.organisations.is_empty() {
        by.push(format!("MAC registry: {}", v.organisations.join("; ")));
    }
    by.join("\n")
}

/// A placeholder's fields, as the files name them.
fn fields_of(fields: &[super::Field]) -> String {
    let names: Vec<&str> = fields
        .iter()
        .map(|f| match f {
            super::Field::Name => "name",
            super::Field::Vendor => "vendor",
        })
        .collect();
    names.join(", ")
}
