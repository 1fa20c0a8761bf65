//! The cameras a push would write, from the inventory: each as the tool's export writes it
//! ([`export`]'s per-camera builders, so `push` and `-f frigate` never disagree), its
//! name, and its password.
//!
//! Passwords: the inventory keeps only a keyed hash of the login that opened a stream. The push
//! finds the password among the entries of `--credentials FILE` (the file the scan used) whose
//! hash matches, else in `CAMSCAN_<NAME>_PASSWORD` (the variable the exports name), else the
//! camera is skipped with the reason, unless `--password-refs` writes the tool's own reference
//! (`{FRIGATE_<NAME>_PASSWORD}`, go2rtc's `${CAMSCAN_<NAME>_PASSWORD}`) for the tool's
//! environment to fill.

use serde_json::Value;

use super::plan::{Entry, Wanted};
use super::tools::EntryInput;
pub use super::tools::Password;
use super::{Options, Settings, ToolKind};
use export::cameras::{self, Camera};
use model::{Credential, Report, StreamStatus, encode_userinfo};
use store::{Store, StoredDevice};

/// The cameras of the inventory for one tool, with what each would be written as.
pub struct Cameras<'a> {
    pub tool: ToolKind,
    pub options: Options,
    pub cams: Vec<Camera<'a>>,
    pub ids: Vec<(i64, u32)>,
    pub passwords: Vec<Password>,
    pub wanted: Vec<Wanted>,
    /// The cameras of the inventory the tool cannot take, with why: each a step of the plan.
    pub left_out: Vec<LeftOut>,
}

/// A camera of the inventory a push leaves out, and why.
#[derive(Debug, Clone)]
pub struct LeftOut {
    pub device_id: i64,
    /// What the plan calls it: the name the exports gave it, else its own, else its address.
    pub name: String,
    /// Its first stream, without credentials (empty: none).
    pub label: String,
    pub why: String,
}

/// The inventory's devices as one report (for the exports' camera plan) and their store ids.
pub fn report(devices: Vec<StoredDevice>) -> (Report, Vec<i64>) {
    let ids = devices.iter().map(|d| d.id).collect();
    let devices = devices.into_iter().map(|d| d.device).collect();
    let now = jiff::Timestamp::now().to_string();
    (
        Report {
            schema_version: model::SCHEMA_VERSION,
            camscan_version: env!("CARGO_PKG_VERSION").to_string(),
            started_at: now.clone(),
            finished_at: now,
            complete: true,
            targets: Vec::new(),
            plan: None,
            coverage: None,
            devices,
        },
        ids,
    )
}

impl<'a> Cameras<'a> {
    /// The cameras of `report` (devices in the order of `ids`) the tool can take.
    pub fn new(
        report: &'a Report,
        ids: &[i64],
        settings: &Settings,
        store: &Store,
    ) -> Result<Cameras<'a>, super::PushError> {
        let tool = settings.target.tool;
        let plan = cameras::plan(report, tool.streams());
        let logins = store.stored_logins()?;
        let style = tool.style();
        let mut out = Cameras {
            tool,
            options: settings.options,
            cams: Vec::new(),
            ids: Vec::new(),
            passwords: Vec::new(),
            wanted: Vec::new(),
            left_out: Vec::new(),
        };
        for ip in &plan.skipped {
            let Some(index) = report.devices.iter().position(|d| d.ip == *ip) else {
                continue;
            };
            let id = ids[index];
            if settings.only.as_ref().is_some_and(|o| !o.contains(&id)) {
                continue;
            }
            out.left_out
                .push(left_out(&report.devices[index], id, tool));
        }
        for cam in plan.cameras {
            let Some(index) = report
                .devices
                .iter()
                .position(|d| std::ptr::eq(d, cam.device))
            else {
                continue;
            };
            let id = ids[index];
            if settings.only.as_ref().is_some_and(|o| !o.contains(&id)) {
                continue;
            }
            let channel = cameras::channel(&cam.main.url);
            let needs =
                cameras::needs_password(cam.main) || cam.sub.is_some_and(cameras::needs_password);
            let password = if !needs {
                Password::None
            } else if settings.password_refs && tool.expands_references() {
                Password::Reference
            } else if let Some(p) = find_password(store, &logins, id, &cam, &settings.credentials)
                .or_else(|| settings.env_passwords.0.get(&cam.names.env_key()).cloned())
            {
                Password::Known(p)
            } else {
                Password::Unknown
            };
            let blocked = match password {
                _ if cam.main.status != StreamStatus::Ok && !settings.unverified => Some(format!(
                    "its stream never played ({}): pushed once camscan has received its media, \
                     or now with --push-unverified",
                    cam.main
                        .unverified_reason(&cam.device.errors)
                        .unwrap_or_else(|| cam.main.status.as_str().to_string())
                )),
                Password::Unknown => Some(format!(
                    "its password is unknown: give --credentials FILE (the logins the scan used) \
                     or set CAMSCAN_{}_PASSWORD{}",
                    cam.names.env_key(),
                    if !tool.expands_references() {
                        ""
                    } else {
                        ", or write references with --password-refs"
                    }
                )),
                _ => None,
            };
            let mut addresses: Vec<String> = std::iter::once(cam.device.ip)
                .chain(cam.device.addresses.iter().copied())
                .map(|ip| match ip {
                    std::net::IpAddr::V4(a) => a.to_string(),
                    std::net::IpAddr::V6(a) => format!("[{a}]"),
                })
                .collect();
            addresses.extend(
                [Some(cam.main), cam.sub]
                    .into_iter()
                    .flatten()
                    .filter_map(|s| super::plan::url_host(&s.url)),
            );
            addresses.sort();
            addresses.dedup();
            out.wanted.push(Wanted {
                device_id: id,
                channel,
                proposed: cam.names.camera(style),
                addresses,
                label: cameras::safe_url(&cam.main.url),
                blocked,
            });
            out.ids.push((id, channel));
            out.passwords.push(password);
            out.cams.push(cam);
        }
        Ok(out)
    }

    /// Camera `i`'s entry under `name`; `written` is what camscan wrote for it before (the
    /// ledger's).
    pub fn entry(&self, i: usize, name: &str, written: Option<&Value>) -> Entry {
        let cam = &self.cams[i];
        let (in_url, raw) = match &self.passwords[i] {
            Password::Known(p) => (encode_userinfo(p), p.clone()),
            Password::Reference => {
                let (_, r) = self
                    .tool
                    .reference(&cam.names.env_key())
                    .unwrap_or_default();
                (r.clone(), r)
            }
            Password::None | Password::Unknown => (String::new(), String::new()),
        };
        self.tool.entry(&EntryInput {
            cam,
            name,
            password: &self.passwords[i],
            in_url: &in_url,
            raw: &raw,
            options: self.options,
            written,
        })
    }

    /// The MAC of camera `i`'s password under the inventory's key (`None`: it writes none).
    pub fn secret(&self, store: &Store, i: usize) -> Option<Vec<u8>> {
        match &self.passwords[i] {
            Password::Known(p) => {
                let user = self.cams[i].main.username.as_deref().unwrap_or("");
                Some(store.secret_mac(&format!("{user}:{p}")))
            }
            Password::Reference => Some(store.secret_mac("reference")),
            Password::None | Password::Unknown => None,
        }
    }

    /// The variables a tool needs set for the references written (`--password-refs`).
    pub fn references(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .cams
            .iter()
            .zip(&self.passwords)
            .filter(|(_, p)| matches!(p, Password::Reference))
            .filter_map(|(c, _)| self.tool.reference(&c.names.env_key()))
            .map(|(var, _)| var)
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// Why `tool` takes no stream of the camera `d` (a device the exports' camera plan leaves out).
fn left_out(d: &model::Device, id: i64, tool: ToolKind) -> LeftOut {
    let name = d
        .camera_name
        .clone()
        .or_else(|| d.name.clone())
        .unwrap_or_else(|| d.ip.to_string());
    let label = d
        .streams
        .first()
        .map(|s| cameras::safe_url(&s.url))
        .unwrap_or_default();
    let opened: Vec<&model::Stream> = d
        .streams
        .iter()
        .filter(|s| model::roles::exportable(s))
        .collect();
    let why = if d.streams.is_empty() {
        "camscan found no stream of it: nothing to push (give its path with --paths, or enable \
         ONVIF on it, and scan again)"
            .to_string()
    } else if opened.is_empty() {
        let mut states: Vec<&str> = d.streams.iter().map(|s| s.status.as_str()).collect();
        states.sort_unstable();
        states.dedup();
        format!(
            "camscan opened none of its streams ({}): nothing to push",
            states.join(", ")
        )
    } else {
        let mut kinds: Vec<&str> = opened.iter().map(|s| s.protocol.as_str()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        format!(
            "{} takes none of its streams ({})",
            tool.title(),
            kinds.join(", ")
        )
    };
    LeftOut {
        device_id: id,
        name: sanitize::terminal(&name).into_owned(),
        label,
        why,
    }
}

/// The password of `cam`'s main stream (else any of its device's streams with the same user)
/// among `creds`, by the inventory's keyed hash of the login that opened it.
fn find_password(
    store: &Store,
    logins: &[store::StoredLogin],
    device_id: i64,
    cam: &Camera<'_>,
    creds: &[Credential],
) -> Option<String> {
    let user = cam.main.username.as_deref()?;
    let mut candidates: Vec<&store::StoredLogin> = logins
        .iter()
        .filter(|l| l.device_id == device_id && l.username == user)
        .collect();
    // The main stream's own login first.
    candidates.sort_by_key(|l| l.url != cam.main.url);
    let ip = cam.device.ip;
    candidates.iter().find_map(|l| {
        creds
            .iter()
            .filter(|c| c.applies_to(ip))
            .find(|c| store.login_matches(l, &c.username, &c.password))
            .map(|c| c.password.clone())
    })
}
