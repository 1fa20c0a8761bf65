//! Where streams are looked for, as data: RTSP paths per vendor (`data/rtsp_paths.yaml`), HTTP
//! media paths and folders (`data/http_paths.yaml`), RTMP application and stream names
//! (`data/rtmp.yaml`).

use serde::{Deserialize, Serialize};

use super::entry::{self, Check, Context};
use super::{VendorId, distinct};

/// A vendor's RTSP stream paths, channel 1: the main stream first, the sub stream second.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RtspPaths {
    pub vendor: String,
    pub paths: Vec<String>,
    /// The models these paths are for (patterns as advisories write them: `#` a digit, `?` a
    /// letter or digit, `@` letters, `*` anything, any case); none: every model of the vendor.
    /// Entries for the device's model go before the vendor's others.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<String>,
    /// The RTSP port the maker documents, when it is not 554.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    pub source: String,
    #[serde(skip)]
    pub from: usize,
}

impl Check for RtspPaths {
    fn label(&self) -> String {
        self.vendor.clone()
    }

    fn key(&self) -> String {
        format!("{} {}", self.vendor, self.paths.join(" "))
    }

    fn check(&self) -> Result<(), String> {
        entry::required("source", &self.source)?;
        entry::vendor_id(&self.vendor)?;
        if self.paths.is_empty() {
            return Err("`paths` is empty".into());
        }
        for m in &self.models {
            super::firmware::pattern_ok(m)?;
        }
        if self.port == Some(0) {
            return Err("`port` is 0".into());
        }
        self.paths
            .iter()
            .try_for_each(|p| entry::url_path("path", p))
    }

    fn check_in(&self, cx: &Context) -> Result<(), String> {
        cx.vendor(&self.vendor)
    }

    fn from(&self) -> usize {
        self.from
    }

    fn set_from(&mut self, from: usize) {
        self.from = from;
    }
}

/// An HTTP path where media may be served (and, as a [`super::signatures::Probe`], a path whose
/// answer names a vendor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpPath {
    pub path: String,
    /// The vendor whose devices serve it (or whose answer it reveals), if it is one vendor's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    pub source: String,
    #[serde(skip)]
    pub from: usize,
}

impl Check for HttpPath {
    fn label(&self) -> String {
        format!("{:?}", self.path)
    }

    fn key(&self) -> String {
        self.path.clone()
    }

    fn check(&self) -> Result<(), String> {
        entry::required("source", &self.source)?;
        entry::url_path("path", &self.path)?;
        self.vendor.as_deref().map_or(Ok(()), entry::vendor_id)
    }

    fn check_in(&self, cx: &Context) -> Result<(), String> {
        self.vendor.as_deref().map_or(Ok(()), |v| cx.vendor(v))
    }

    fn from(&self) -> usize {
        self.from
    }

    fn set_from(&mut self, from: usize) {
        self.from = from;
    }
}

/// A folder where streaming servers put HLS or DASH, and the names tried inside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpFolder {
    /// Starts and ends with `/`.
    pub folder: String,
    pub names: Vec<String>,
    pub source: String,
    #[serde(skip)]
    pub from: usize,
}

impl Check for HttpFolder {
    fn label(&self) -> String {
        format!("{:?}", self.folder)
    }

    fn key(&self) -> String {
        format!("{} {}", self.folder, self.names.join(" "))
    }

    fn check(&self) -> Result<(), String> {
        entry::required("source", &self.source)?;
        entry::url_path("folder", &self.folder)?;
        if !self.folder.ends_with('/') {
            return Err(format!("folder {:?} must end with `/`", self.folder));
        }
        if self.names.is_empty() {
            return Err("`names` is empty".into());
        }
        for n in &self.names {
            entry::url_path("name", &format!("/{n}"))?;
            if n.is_empty() || n.starts_with('/') {
                return Err(format!(
                    "name {n:?} is a file name inside the folder (no leading `/`)"
                ));
            }
        }
        Ok(())
    }

    fn from(&self) -> usize {
        self.from
    }

    fn set_from(&mut self, from: usize) {
        self.from = from;
    }
}

/// An RTMP application or stream name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Name {
    pub name: String,
    pub source: String,
    #[serde(skip)]
    pub from: usize,
}

impl Check for Name {
    fn label(&self) -> String {
        format!("{:?}", self.name)
    }

    fn key(&self) -> String {
        self.name.clone()
    }

    fn check(&self) -> Result<(), String> {
        entry::required("source", &self.source)?;
        entry::required("name", &self.name)?;
        if self
            .name
            .chars()
            .any(|c| c == '/' || c.is_whitespace() || c.is_control())
        {
            return Err(format!(
                "name {:?} has a `/`, a space or a control character",
                self.name
            ));
        }
        Ok(())
    }

    fn from(&self) -> usize {
        self.from
    }

    fn set_from(&mut self, from: usize) {
        self.from = from;
    }
}

/// What a focused analysis asks a web port whose device's maker is named (issue 83): that
/// maker's own entries of the web knowledge.
impl super::Knowledge {
    /// The probe paths of `makers` (their own device APIs, whose answers give the model and
    /// firmware), each once, in order: all a focused analysis asks a web port whose maker is
    /// known (issue 83).
    pub fn probe_paths_of(&self, makers: &[VendorId]) -> Vec<&str> {
        distinct(of_makers(&self.probes, makers).map(|p| p.path.as_str()))
    }

    /// The HTTP media paths `makers` document, each once, in order: the dictionary of a focused
    /// analysis of a web port whose maker is known.
    pub fn http_paths_of(&self, makers: &[VendorId]) -> Vec<&str> {
        distinct(of_makers(&self.http_paths, makers).map(|p| p.path.as_str()))
    }

    /// Whether one of `makers` documents anything for the web (a device API probe or a media
    /// path): what a focused analysis of a web port can keep to.
    pub fn documents_web(&self, makers: &[VendorId]) -> bool {
        of_makers(&self.probes, makers).next().is_some()
            || of_makers(&self.http_paths, makers).next().is_some()
    }
}

/// The entries of `paths` one of `makers` serves.
fn of_makers<'a>(paths: &'a [HttpPath], makers: &[VendorId]) -> impl Iterator<Item = &'a HttpPath> {
    paths.iter().filter(|p| {
        p.vendor
            .as_deref()
            .is_some_and(|v| makers.iter().any(|m| m.as_str() == v))
    })
}
