//! A port's media folders (HLS/DASH folders that exist, a root with no page: a media server)
//! and the stream names guessed in them; asked beside the well-known paths (`super::discover`).

use std::net::SocketAddr;

use futures::StreamExt;

use super::{
    HttpFindings, HttpSettings, IN_PARALLEL, fetch, http_url, probe_path, same_origin_path,
};
use error::AnalyzeError;
use model::Stream;
use proto::html::{self, LinkKind};

/// A path no server has, asked once a media folder seems to exist: a server that answers it
/// the same way answers every path so, and its folders prove nothing.
const ABSENT_FOLDER: &str = "/camscan-absent-folder-7f3a/";

/// Why a port looks like a media server (an HLS/DASH folder, a root with no page), which earns it
/// the `http_server_paths` of the knowledge set and the names of its `http_folders`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct MediaEvidence {
    /// Media folders that exist, with the status they answered.
    pub folders: Vec<(String, u16)>,
    /// What the root says: `403`/`404` (no page: a media-only server), a directory listing, or a
    /// streaming server's `Server` header.
    pub root: Option<String>,
}

impl MediaEvidence {
    pub fn any(&self) -> bool {
        !self.folders.is_empty() || self.root.is_some()
    }

    /// `media folder /hls/ answers (HTTP 403)` / `root: HTTP 404`: for the "no name" note.
    fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .folders
            .iter()
            .map(|(f, st)| format!("media folder {f} answers (HTTP {st})"))
            .collect();
        if let Some(r) = &self.root {
            parts.push(r.clone());
        }
        parts.join(", ")
    }
}

/// What the root answer says about the port being a media server (not a page server).
pub(super) fn root_evidence(root: &proto::response::ResponseHead, page: &[u8]) -> Option<String> {
    if matches!(root.status, 403 | 404) {
        return Some(format!("root answers HTTP {} (no page)", root.status));
    }
    // SRS names itself (`Server: SRS/5.0.213(Bee)`, SRS wiki "SampleHTTP").
    if let Some(server) = root.header("server")
        && server.to_ascii_lowercase().starts_with("srs/")
    {
        return Some(format!("Server: {server}"));
    }
    let start = String::from_utf8_lossy(&page[..page.len().min(4096)]).to_ascii_lowercase();
    // nginx autoindex / Apache ("Index of /"), Python's http.server ("Directory listing for /").
    if start.contains("<title>index of /") || start.contains("<title>directory listing for /") {
        return Some("root is a directory listing".into());
    }
    None
}

/// Ask the paths, and (unless the port is unchanged) the media folders beside them, side by
/// side. Returns the folders that exist.
pub(super) async fn paths_and_folders(
    addr: SocketAddr,
    paths: &[String],
    unchanged: bool,
    s: &HttpSettings,
    findings: &mut HttpFindings,
) -> Vec<(&'static str, Folder)> {
    enum Job {
        Path(String),
        Folder(&'static str),
    }
    enum Done {
        Path(Box<Result<Option<Stream>, AnalyzeError>>),
        Folder(&'static str, Option<Folder>),
    }
    let mut jobs: Vec<Job> = paths.iter().cloned().map(Job::Path).collect();
    for folder in knowledge::get().http_folders() {
        if !unchanged {
            jobs.push(Job::Folder(folder));
        }
    }
    let done: Vec<Done> = futures::stream::iter(jobs)
        .map(|job| async move {
            match job {
                Job::Path(p) => Done::Path(Box::new(probe_path(addr, &p, s).await)),
                Job::Folder(f) => Done::Folder(f, probe_folder(addr, f, s).await),
            }
        })
        .buffered(IN_PARALLEL)
        .collect()
        .await;
    let mut results = Vec::new();
    let mut found: Vec<(&'static str, Folder)> = Vec::new();
    for d in done {
        match d {
            Done::Path(r) => results.push(*r),
            Done::Folder(f, Some(folder)) => found.push((f, folder)),
            Done::Folder(_, None) => {}
        }
    }
    findings.take(results);
    found
}

/// On a port that answers like a media server ([`MediaEvidence`]: media folders, a media
/// server's root), guess stream names: the folders' links and known names, the server paths
/// where the root has no page, at most [`MEDIA_GUESSES`] not asked already (`asked`). A media
/// server where nothing was found gets a note saying to give the name with `--paths`.
pub(super) async fn media_guesses(
    addr: SocketAddr,
    root: &net::rtsp::Reply,
    asked: &[String],
    mut found: Vec<(&'static str, Folder)>,
    s: &HttpSettings,
    findings: &mut HttpFindings,
) {
    // A server that answers a folder nobody has as it answered ours proves nothing by them.
    if !found.is_empty()
        && let Some(absent) = probe_folder(addr, ABSENT_FOLDER, s).await
    {
        tracing::debug!(%addr, status = absent.status, "answers any folder: media folders ignored");
        found.clear();
    }
    let evidence = MediaEvidence {
        folders: found
            .iter()
            .map(|(f, folder)| (f.to_string(), folder.status))
            .collect(),
        root: root_evidence(&root.head, &findings.root_page),
    };
    if !evidence.any() {
        return;
    }
    let mut more: Vec<String> = Vec::new();
    let mut add = |p: String| {
        if !asked.contains(&p) && !more.contains(&p) {
            more.push(p);
        }
    };
    for (f, folder) in &found {
        folder.links.iter().cloned().for_each(&mut add);
        let names = knowledge::get().http_folder_names(f);
        names.iter().for_each(|n| add(format!("{f}{n}")));
    }
    // Names at the root and in path folders only where the root itself has no page.
    if evidence.root.is_some() {
        knowledge::get()
            .http_server_paths()
            .iter()
            .for_each(|p| add(p.to_string()));
    }
    more.truncate(MEDIA_GUESSES);
    let results = futures::stream::iter(more)
        .map(|path| async move { probe_path(addr, &path, s).await })
        .buffered(IN_PARALLEL)
        .collect()
        .await;
    findings.take(results);
    let plain_404 = evidence.folders.is_empty() && root.head.status == 404;
    if findings.streams.is_empty() && !plain_404 {
        findings.note = Some(format!(
            "{}, but no stream name could be guessed: give it with --paths (a line \
             /hls/<name>.m3u8, or <app>/<name> for an RTMP publisher)",
            evidence.describe()
        ));
    }
}

/// Most requests spent on a port that answers like a media server ([`MediaEvidence`]), beyond
/// the 15 every HTTP port gets: the names of its folders, then the `http_server_paths`.
pub const MEDIA_GUESSES: usize = 32;

/// A media folder's answer: it exists.
#[derive(Debug)]
pub(super) struct Folder {
    pub(super) status: u16,
    /// Media links of its listing (same host and port), when it lists.
    links: Vec<String>,
}

/// GET a folder: `Some` when it exists (`403`, as nginx answers for a folder it may not list, or
/// a `2xx` page, whose media links are kept); a `404`, a redirect or an error is no folder.
pub(super) async fn probe_folder(
    addr: SocketAddr,
    folder: &str,
    s: &HttpSettings,
) -> Option<Folder> {
    let got = fetch(addr, folder, s).await.ok()?;
    let status = got.head.status;
    if status != 403 && !(200..300).contains(&status) {
        return None;
    }
    let links = html::media_links(&got.body)
        .into_iter()
        .filter(|(_, kind)| *kind != LinkKind::Whep)
        .filter_map(|(link, _)| {
            // Relative links of a listing are relative to the folder.
            let url = url::Url::parse(&http_url(addr, folder, s.tls))
                .ok()?
                .join(&link)
                .ok()?;
            same_origin_path(addr, url.as_str(), s.tls)
        })
        .collect();
    Some(Folder { status, links })
}
