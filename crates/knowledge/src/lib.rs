//! What camscan knows about cameras and video servers, as data rather than code.
//!
//! The vendor registry, the HTTP fingerprint signatures and the probe paths they read, the RTSP
//! paths per vendor, the HTTP media paths and folders, the RTMP application and stream names, the
//! camera vendors' MAC prefixes, the factory-default names and makers devices report
//! ([`placeholders`]), and what `camscan audit` judges with (published firmware advisories and
//! the makers' factory credentials, [`advisories`]) live in `data/*.yaml`, one file per kind. They are embedded in the
//! binary (`include_str!`) and parsed once, on first use. Every entry names its `source`; the unit
//! tests prove each embedded file parses, every entry has a source, and no entry is there twice.
//! Beside them, the whole IEEE MAC registry ([`oui`], `data/oui/registry.bin`, built by
//! `scripts/refresh-oui`) names the maker of every MAC; the vendors' `organisations` turn a camera
//! maker's registry name into its vendor.
//!
//! # User files
//!
//! A user extends the set without a rebuild: YAML files in the same format (any of the kinds'
//! top-level keys, e.g. `rtsp_paths:` and `signatures:` in one file) from, in this order:
//! 1. `scan --signatures FILE` (repeatable; or `CAMSCAN_SIGNATURES`, comma-separated), else the
//!    config file's `signatures:` list, in the order given;
//! 2. every `*.yaml` in the knowledge directory, `$XDG_CONFIG_HOME/camscan/knowledge.d/` (else
//!    `~/.config/camscan/knowledge.d/`), by file name. A directory of its own, so a config file kept
//!    in `~/.config/camscan/` is never read as knowledge.
//!
//! User entries come **before** the embedded ones of their kind: a path added for one's own camera
//! is tried early, a signature wins ties, an OUI or alias is matched first. A vendor entry whose id
//! already exists extends that vendor (its aliases are matched first, its name is shown). The
//! makers' factory credentials ([`advisories::DefaultCredential`]) are knowledge only for
//! `camscan audit --check-defaults`, which tries them through the scan's own login path and
//! budget; a scan tries only the credentials it is given (`--credentials`, the config file).
//!
//! A user file that does not parse, or names a vendor or probe path nobody defined, is an error
//! naming the file, the entry (`signatures[2]`, with its name) and the line; the scan stops before
//! it starts (exit code 2). A user entry that repeats another, and a knowledge directory that
//! cannot be listed (another user's `HOME`), are only warnings.
//!
//! # How code reaches the set
//!
//! One process-wide set: `main` loads the user's files and calls [`install`] once, before the
//! scan; [`get`] returns that set, or the embedded one when nothing was installed (unit tests,
//! fuzz targets, `camscan man`). The set never changes during a run, so a global read is all the
//! stages need, and it keeps their signatures (and every caller between `main` and a detector)
//! unchanged. Every set lives for the rest of the process (`&'static`), so entries are borrowed
//! as `&'static str` without copies.
//!
//! Depends only on `error` (and serde, and `table_writer` for the `camscan signatures` listing):
//! `detect`, `analyze`, `discovery` and `proto` use it, downward.

pub mod advisories;
mod entry;
pub mod firmware;
pub mod listing;
pub mod media;
pub mod naming;
pub mod oui;
pub mod placeholders;
pub mod signatures;
pub mod vendors;

use std::path::{Path, PathBuf};
use std::sync::{LazyLock, OnceLock};

use serde::Deserialize;

pub use advisories::{Advisory, DefaultCredential};
use entry::Context;
use entry::{Check, Entry};
use error::Error;
pub use media::{HttpFolder, HttpPath, Name, RtspPaths};
pub use naming::{Named, Said};
pub use placeholders::{Field, Placeholder};
pub use signatures::{Kind, Match, Model, Probe, Signature};
pub use vendors::{Oui, Vendor, VendorId};

/// The embedded data files, in the order their entries are merged.
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "data/vendors.yaml",
        include_str!("../../../data/vendors.yaml"),
    ),
    (
        "data/signatures.yaml",
        include_str!("../../../data/signatures.yaml"),
    ),
    (
        "data/rtsp_paths.yaml",
        include_str!("../../../data/rtsp_paths.yaml"),
    ),
    (
        "data/http_paths.yaml",
        include_str!("../../../data/http_paths.yaml"),
    ),
    ("data/rtmp.yaml", include_str!("../../../data/rtmp.yaml")),
    ("data/ouis.yaml", include_str!("../../../data/ouis.yaml")),
    (
        "data/placeholders.yaml",
        include_str!("../../../data/placeholders.yaml"),
    ),
    (
        "data/advisories.yaml",
        include_str!("../../../data/advisories.yaml"),
    ),
    (
        "data/default_credentials.yaml",
        include_str!("../../../data/default_credentials.yaml"),
    ),
];

/// Where entries came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A file of the repository's `data/`, embedded in the binary.
    Embedded(&'static str),
    /// A user file.
    User(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Embedded(name) => write!(f, "{name} (built in)"),
            Origin::User(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Everything known: each kind's entries in the order they are used (user files first).
#[derive(Debug, Clone, Default)]
pub struct Knowledge {
    /// The files read; each entry's `from` is an index into this list (embedded files first, then
    /// user files in the order they were given).
    pub files: Vec<Origin>,
    pub vendors: Vec<Vendor>,
    pub probes: Vec<Probe>,
    pub signatures: Vec<Signature>,
    pub rtsp_paths: Vec<RtspPaths>,
    pub http_paths: Vec<HttpPath>,
    pub http_folders: Vec<HttpFolder>,
    pub http_server_paths: Vec<HttpPath>,
    pub rtmp_apps: Vec<Name>,
    pub rtmp_streams: Vec<Name>,
    pub ouis: Vec<Oui>,
    pub placeholders: Vec<Placeholder>,
    /// Published firmware advisories (`camscan audit`'s `firmware-advisory`).
    pub advisories: Vec<Advisory>,
    /// The makers' documented factory credentials (`camscan audit --check-defaults`).
    pub default_credentials: Vec<DefaultCredential>,
}

/// One knowledge file: any of the kinds, each a list. Unknown keys are an error (a typo such as
/// `signature:` would otherwise add nothing, silently).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    vendors: Vec<Entry<Vendor>>,
    #[serde(default)]
    probes: Vec<Entry<Probe>>,
    #[serde(default)]
    signatures: Vec<Entry<Signature>>,
    #[serde(default)]
    rtsp_paths: Vec<Entry<RtspPaths>>,
    #[serde(default)]
    http_paths: Vec<Entry<HttpPath>>,
    #[serde(default)]
    http_folders: Vec<Entry<HttpFolder>>,
    #[serde(default)]
    http_server_paths: Vec<Entry<HttpPath>>,
    #[serde(default)]
    rtmp_apps: Vec<Entry<Name>>,
    #[serde(default)]
    rtmp_streams: Vec<Entry<Name>>,
    #[serde(default)]
    ouis: Vec<Entry<Oui>>,
    #[serde(default)]
    placeholders: Vec<Entry<Placeholder>>,
    #[serde(default)]
    advisories: Vec<Entry<Advisory>>,
    #[serde(default)]
    default_credentials: Vec<Entry<DefaultCredential>>,
}

/// Parse one file's text; `context` (known vendor ids and probe paths) turns on the checks that
/// need other entries. Errors carry serde_yaml's entry path (`signatures[2]`) and line.
fn parse(text: &str, context: Option<&Context>) -> Result<File, serde_yaml::Error> {
    // A file of comments only (or nothing) is an empty file, not an error.
    let file: Option<File> = entry::with_context(context, || serde_yaml::from_str(text))?;
    Ok(file.unwrap_or_default())
}

fn unwrap<T>(entries: Vec<Entry<T>>, from: usize) -> Vec<T>
where
    T: Check,
{
    entries
        .into_iter()
        .map(|e| {
            let mut t = e.0;
            t.set_from(from);
            t
        })
        .collect()
}

impl Knowledge {
    /// Append `file`'s entries (read from `files[from]`) after the current ones.
    fn append(&mut self, file: File, from: usize) {
        self.vendors.extend(unwrap(file.vendors, from));
        self.probes.extend(unwrap(file.probes, from));
        self.signatures.extend(unwrap(file.signatures, from));
        self.rtsp_paths.extend(unwrap(file.rtsp_paths, from));
        self.http_paths.extend(unwrap(file.http_paths, from));
        self.http_folders.extend(unwrap(file.http_folders, from));
        self.http_server_paths
            .extend(unwrap(file.http_server_paths, from));
        self.rtmp_apps.extend(unwrap(file.rtmp_apps, from));
        self.rtmp_streams.extend(unwrap(file.rtmp_streams, from));
        self.ouis.extend(unwrap(file.ouis, from));
        self.placeholders.extend(unwrap(file.placeholders, from));
        self.advisories.extend(unwrap(file.advisories, from));
        self.default_credentials
            .extend(unwrap(file.default_credentials, from));
    }

    /// The embedded files alone. They are checked by the unit tests, so a failure here is a bug
    /// in this build: it is reported, and the entries that did parse are kept.
    fn embedded() -> Knowledge {
        let mut k = Knowledge::default();
        for (i, (name, text)) in EMBEDDED.iter().enumerate() {
            k.files.push(Origin::Embedded(name));
            match parse(text, None) {
                Ok(file) => k.append(file, i),
                Err(e) => tracing::error!("built-in {name} is invalid: {e}"),
            }
        }
        k
    }

    /// The embedded set with user files (`(origin, text)`, in the order given) before it.
    pub fn with_user_files(files: &[(PathBuf, String)]) -> Result<Knowledge, Error> {
        let embedded = embedded();
        let bad = |path: &Path, e: &dyn std::fmt::Display| Error::KnowledgeFile {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        // First pass: every user file parses on its own; collect the vendors and probe paths
        // they define, which entries of any file may name.
        let mut context = Context::of(embedded);
        for (path, text) in files {
            let file = parse(text, None).map_err(|e| bad(path, &e))?;
            context.add(&file.vendors, &file.probes);
        }
        // Second pass: the checks that need the others, with serde_yaml's line numbers.
        let mut user = Knowledge {
            files: embedded.files.clone(),
            ..Default::default()
        };
        for (path, text) in files {
            let file = parse(text, Some(&context)).map_err(|e| bad(path, &e))?;
            user.files.push(Origin::User(path.clone()));
            let from = user.files.len() - 1;
            user.append(file, from);
        }
        user.warn_repeats(embedded);
        let mut all = user;
        all.vendors.extend(embedded.vendors.iter().cloned());
        all.probes.extend(embedded.probes.iter().cloned());
        all.signatures.extend(embedded.signatures.iter().cloned());
        all.rtsp_paths.extend(embedded.rtsp_paths.iter().cloned());
        all.http_paths.extend(embedded.http_paths.iter().cloned());
        all.http_folders
            .extend(embedded.http_folders.iter().cloned());
        all.http_server_paths
            .extend(embedded.http_server_paths.iter().cloned());
        all.rtmp_apps.extend(embedded.rtmp_apps.iter().cloned());
        all.rtmp_streams
            .extend(embedded.rtmp_streams.iter().cloned());
        all.ouis.extend(embedded.ouis.iter().cloned());
        all.placeholders
            .extend(embedded.placeholders.iter().cloned());
        all.advisories.extend(embedded.advisories.iter().cloned());
        all.default_credentials
            .extend(embedded.default_credentials.iter().cloned());
        Ok(all)
    }

    /// A user entry that repeats one seen before it (in user files or the embedded set) changes
    /// nothing but the order; say so, since it is usually a copy left behind after an upgrade.
    fn warn_repeats(&self, embedded: &Knowledge) {
        fn each<T: Check>(files: &[Origin], user: &[T], embedded: &[T], kind: &str) {
            for (i, e) in user.iter().enumerate() {
                let earlier = user[..i].iter().chain(embedded);
                if let Some(other) = earlier.into_iter().find(|o| o.key() == e.key()) {
                    tracing::warn!(
                        "{}: {kind} entry {} repeats one in {}",
                        files[e.from()],
                        e.label(),
                        files[other.from()]
                    );
                }
            }
        }
        let f = &self.files;
        // Vendors are left out: repeating an id is how a vendor is extended.
        each(f, &self.probes, &embedded.probes, "probes");
        each(f, &self.signatures, &embedded.signatures, "signatures");
        each(f, &self.rtsp_paths, &embedded.rtsp_paths, "rtsp_paths");
        each(f, &self.http_paths, &embedded.http_paths, "http_paths");
        each(
            f,
            &self.http_folders,
            &embedded.http_folders,
            "http_folders",
        );
        each(
            f,
            &self.http_server_paths,
            &embedded.http_server_paths,
            "http_server_paths",
        );
        each(f, &self.rtmp_apps, &embedded.rtmp_apps, "rtmp_apps");
        each(
            f,
            &self.rtmp_streams,
            &embedded.rtmp_streams,
            "rtmp_streams",
        );
        each(f, &self.ouis, &embedded.ouis, "ouis");
        each(f, &self.advisories, &embedded.advisories, "advisories");
        each(
            f,
            &self.default_credentials,
            &embedded.default_credentials,
            "default_credentials",
        );
    }

    /// The file an entry came from.
    pub fn origin(&self, from: usize) -> &Origin {
        &self.files[from]
    }

    /// The vendor with this id (its first entry: a user's, when a user file extends it).
    pub fn vendor(&'static self, id: &str) -> Option<VendorId> {
        self.vendors.iter().find(|v| v.id == id).map(VendorId::new)
    }

    /// The vendor an RTSP `Server` header or auth realm names ([`Knowledge::named_in`]): an alias
    /// in either as whole words or a realm prefix (`Dahua Rtsp Server` names Dahua), else the id
    /// or name of a maker with RTSP paths (`ABUS`); `Avigilon` does not name TP-Link's `vigi`.
    pub fn vendor_named_in(
        &'static self,
        server: Option<&str>,
        realm: Option<&str>,
    ) -> Option<VendorId> {
        let texts = rtsp_texts(server, realm);
        self.named_in(&texts).map(|n| n.vendor)
    }

    /// The platform (firmware family) `vendor`'s devices run, when the registry names one.
    pub fn platform_of(&'static self, vendor: VendorId) -> Option<VendorId> {
        self.vendors
            .iter()
            .filter(|v| v.id == vendor.as_str())
            .find_map(|v| v.platform.as_deref())
            .and_then(|p| self.vendor(p))
    }

    /// The vendor a device's own maker text names (a UPnP `<manufacturer>`, an ONVIF
    /// `Manufacturer`, a vendor protocol's name for itself): its id or name, one of its aliases
    /// or UPnP manufacturers as the whole text or its first word (`AXIS`, `Axis Communications
    /// AB`), or a UPnP manufacturer as whole words anywhere in it (`Hangzhou Hikvision`). Any case.
    pub fn vendor_for_text(&'static self, text: &str) -> Option<VendorId> {
        let t = text.trim().to_ascii_lowercase();
        if t.is_empty() {
            return None;
        }
        let words: Vec<&str> = t
            .split(|c: char| !c.is_alphanumeric() && c != '-')
            .filter(|w| !w.is_empty())
            .collect();
        let first = words.first().copied().unwrap_or_default();
        // The text's words, space-separated and padded, to find a name as whole words.
        let padded = format!(" {} ", words.join(" "));
        let hit = self.vendors.iter().find(|v| {
            std::iter::once(&v.id)
                .chain(std::iter::once(&v.name))
                .chain(&v.aliases)
                .chain(&v.upnp_manufacturers)
                .any(|a| {
                    let a = a.to_ascii_lowercase();
                    t == a || first == a
                })
                || v.upnp_manufacturers
                    .iter()
                    .any(|u| padded.contains(&format!(" {} ", u.to_ascii_lowercase())))
        })?;
        self.vendor(&hit.id)
    }

    /// `text` is a factory default in `field` (`data/placeholders.yaml`, compared whole in any
    /// case), or blank: empty or only zeros.
    pub fn is_placeholder(&self, field: Field, text: &str) -> bool {
        let t = text.trim();
        placeholders::is_blank(t)
            || self
                .placeholders
                .iter()
                .any(|p| p.fields.contains(&field) && p.text.trim().eq_ignore_ascii_case(t))
    }

    /// A UPnP `<manufacturer>` that names a camera maker.
    pub fn is_camera_maker(&self, manufacturer: &str) -> bool {
        let m = manufacturer.to_ascii_lowercase();
        self.vendors
            .iter()
            .flat_map(|v| &v.upnp_manufacturers)
            .any(|u| m.contains(&u.to_ascii_lowercase()))
    }

    /// The camera vendor owning this MAC's prefix, if known: [`Knowledge::mac_maker`]'s vendor.
    pub fn oui_vendor(&'static self, mac: &str) -> Option<VendorId> {
        self.mac_maker(mac).vendor
    }

    /// Who made the network card of `mac` (any spelling [`oui::parse_mac`] reads): the IEEE
    /// registry's organisation and, when it is a camera vendor, the vendor. The vendor comes from
    /// the `ouis` entries (user files first, then `data/ouis.yaml`), else from the organisation
    /// through the vendors' `organisations`. A locally administered (randomised) MAC has neither.
    pub fn mac_maker(&'static self, mac: &str) -> MacMaker {
        let Some(mac) = oui::parse_mac(mac) else {
            return MacMaker::default();
        };
        if oui::is_locally_administered(mac) {
            return MacMaker {
                randomized: true,
                ..MacMaker::default()
            };
        }
        let organisation = oui::organisation(mac);
        let listed = self
            .ouis
            .iter()
            .find(|o| oui_prefix(&o.prefix) == Some([mac[0], mac[1], mac[2]]))
            .and_then(|o| self.vendor(&o.vendor));
        MacMaker {
            organisation,
            randomized: false,
            vendor: listed.or_else(|| organisation.and_then(|o| self.organisation_vendor(o))),
        }
    }

    /// A MAC that names `vendor` from the IEEE registry alone: one in the first block of the
    /// first of its `organisations` whose blocks name it (a block listed for another vendor in
    /// `ouis` does not), with the organisation as the registry spells it. For tests and the maker
    /// zoo; reads the whole registry.
    pub fn a_mac_of(&'static self, vendor: VendorId) -> Option<([u8; 6], &'static str)> {
        let organisations = self
            .vendors
            .iter()
            .filter(|v| v.id == vendor.as_str())
            .flat_map(|v| &v.organisations);
        for o in organisations {
            for mac in oui::macs_of(o) {
                let text = mac.map(|b| format!("{b:02x}")).join(":");
                let m = self.mac_maker(&text);
                if m.vendor == Some(vendor)
                    && let Some(spelled) = m.organisation
                {
                    return Some((mac, spelled));
                }
            }
        }
        None
    }

    /// The vendor that is this organisation of the IEEE registry (compared whole, in any case,
    /// with runs of spaces as one), if any.
    pub fn organisation_vendor(&'static self, organisation: &str) -> Option<VendorId> {
        let hit = self
            .vendors
            .iter()
            .find(|v| v.organisations.iter().any(|o| same_words(o, organisation)))?;
        self.vendor(&hit.id)
    }

    /// The probe paths, each once, in order.
    pub fn probe_paths(&self) -> Vec<&str> {
        distinct(self.probes.iter().map(|p| p.path.as_str()))
    }

    /// The HTTP media paths asked on every HTTP port, each once, in order.
    pub fn http_paths(&self) -> Vec<&str> {
        distinct(self.http_paths.iter().map(|p| p.path.as_str()))
    }

    /// The HLS/DASH folders asked on every HTTP port, each once, in order.
    pub fn http_folders(&self) -> Vec<&str> {
        distinct(self.http_folders.iter().map(|f| f.folder.as_str()))
    }

    /// The names tried inside `folder` (from every entry for it), each once, in order.
    pub fn http_folder_names(&self, folder: &str) -> Vec<&str> {
        distinct(
            self.http_folders
                .iter()
                .filter(|f| f.folder == folder)
                .flat_map(|f| f.names.iter().map(String::as_str)),
        )
    }

    /// The paths tried on a port that answers like a media server, each once, in order.
    pub fn http_server_paths(&self) -> Vec<&str> {
        distinct(self.http_server_paths.iter().map(|p| p.path.as_str()))
    }

    /// RTMP application names, each once, in order.
    pub fn rtmp_apps(&self) -> Vec<&str> {
        distinct(self.rtmp_apps.iter().map(|n| n.name.as_str()))
    }

    /// RTMP stream names, each once, in order.
    pub fn rtmp_streams(&self) -> Vec<&str> {
        distinct(self.rtmp_streams.iter().map(|n| n.name.as_str()))
    }
}

/// What a MAC says about its maker ([`Knowledge::mac_maker`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MacMaker {
    /// The IEEE registry's organisation for the MAC's prefix.
    pub organisation: Option<&'static str>,
    /// The locally administered bit is set: randomised or set by software, no maker.
    pub randomized: bool,
    /// The camera vendor, when the prefix is one of theirs.
    pub vendor: Option<VendorId>,
}

/// The lowercase words of `text`: runs of ASCII letters and digits (`TP-LINK IPC/1.0` is `tp`,
/// `link`, `ipc`, `1`, `0`).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// An RTSP service's `Server` header and realm, as [`Knowledge::named_in`] reads them.
pub fn rtsp_texts<'a>(server: Option<&'a str>, realm: Option<&'a str>) -> Vec<Said<'a>> {
    let mut texts = Vec::new();
    if let Some(text) = server {
        texts.push(Said {
            what: "RTSP Server header",
            text,
            realm: false,
        });
    }
    if let Some(text) = realm {
        texts.push(Said {
            what: "RTSP realm",
            text,
            realm: true,
        });
    }
    texts
}

/// An `ouis` entry's `aa:bb:cc` as bytes.
fn oui_prefix(prefix: &str) -> Option<[u8; 3]> {
    let mut out = [0u8; 3];
    let mut parts = prefix.split(':');
    for b in &mut out {
        let p = parts.next().filter(|p| p.len() == 2)?;
        *b = u8::from_str_radix(p, 16).ok()?;
    }
    parts.next().is_none().then_some(out)
}

/// `a` and `b` are the same words, in any ASCII case.
fn same_words(a: &str, b: &str) -> bool {
    let mut x = a.split_whitespace();
    let mut y = b.split_whitespace();
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(p), Some(q)) if p.eq_ignore_ascii_case(q) => {}
            _ => return false,
        }
    }
}

fn distinct<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

static EMBEDDED_SET: LazyLock<Knowledge> = LazyLock::new(Knowledge::embedded);
static INSTALLED: OnceLock<Knowledge> = OnceLock::new();

/// The embedded set alone, parsed on first use.
pub fn embedded() -> &'static Knowledge {
    &EMBEDDED_SET
}

/// The set in use: the one [`install`]ed, else the embedded one.
pub fn get() -> &'static Knowledge {
    INSTALLED.get().unwrap_or_else(|| embedded())
}

/// Make `k` the set [`get`] returns for the rest of the process; call it before the scan starts.
/// Only the first call counts: `false` when a set was installed already (`k` is dropped).
pub fn install(k: Knowledge) -> bool {
    INSTALLED.set(k).is_ok()
}

/// A vendor's display name by id (`hikvision` -> `Hikvision`); an unknown id is shown as it is.
pub fn display_name(id: &str) -> String {
    get()
        .vendor(id)
        .map_or_else(|| id.to_string(), |v| v.display_name().to_string())
}

/// The user's knowledge directory: `$XDG_CONFIG_HOME/camscan/knowledge.d`, else
/// `$HOME/.config/camscan/knowledge.d`; `None` when neither variable is set.
pub fn user_dir(env: &input::environment::Environment) -> Option<PathBuf> {
    env.config_dir().map(|d| d.join("knowledge.d"))
}

/// The `*.yaml` files of `dir`, by name; none when it does not exist.
pub fn dir_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(Error::ReadFile {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// The set a scan uses: `files` (from the flag, env or config file) and the knowledge
/// directory's files, before the embedded set. A file that cannot be read is an error; a knowledge
/// directory that cannot be listed is skipped with a warning: it is the default place, not a file
/// the user named, and one run as another user (`setpriv`, `sudo -u`) keeps a `HOME` it may not read.
pub fn load(files: &[PathBuf], dir: Option<&Path>) -> Result<Knowledge, Error> {
    let mut paths = files.to_vec();
    if let Some(dir) = dir {
        match dir_files(dir) {
            Ok(found) => paths.extend(found),
            Err(e) => tracing::warn!("{e}: knowledge directory skipped"),
        }
    }
    let mut texts = Vec::with_capacity(paths.len());
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(|source| Error::ReadFile {
            path: path.clone(),
            source,
        })?;
        texts.push((path, text));
    }
    Knowledge::with_user_files(&texts)
}

#[cfg(test)]
mod tests;
