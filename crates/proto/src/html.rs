//! Media links in a web page: camera UIs and video servers name their playlists, manifests and MJPEG
//! streams in `<video src>`, `<a href>`, `<img src>` or in script strings. We do not parse HTML; we
//! read every quoted string and keep those whose path ends in a media extension. Bounded: the caller
//! caps the page, and at most [`MAX_LINKS`] distinct links of at most [`MAX_LINK`] bytes are kept.

/// Most links kept from one page.
pub const MAX_LINKS: usize = 16;
/// Longest link kept.
pub const MAX_LINK: usize = 1024;

/// What a link points at, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    Hls,
    Dash,
    Mjpeg,
    Flv,
    /// An MPEG transport stream (`.ts`).
    Ts,
    /// A WHEP endpoint (`.../whep`, or a relative `whep` as MediaMTX's reader page builds it).
    Whep,
    /// A path an open-source streamer's index page names its stream or snapshot by, without an
    /// extension: last segment `stream` or `snapshot` (µStreamer's `/stream`, `/snapshot`), or
    /// mjpg-streamer's `?action=stream`, `?action=snapshot`; its answer says which media it is.
    Named,
}

/// The last path segments (and mjpg-streamer `action=` values) a streamer's index page names its
/// media by: µStreamer's own page links `stream` and `snapshot` (ustreamer(1), "HTTP"), and its
/// mjpg-streamer compatibility layer `?action=stream` and `?action=snapshot` (mjpg-streamer's
/// README, plugins/output_http).
const STREAMER_NAMES: [&str; 2] = ["stream", "snapshot"];

/// `stream`, `/stream`, `./snapshot`, `/?action=stream`...: a link named by a streamer's word.
fn named_by_streamer(path: &str, query: Option<&str>) -> bool {
    let last = path.rsplit('/').next().unwrap_or("");
    if STREAMER_NAMES.contains(&last) {
        return true;
    }
    last.is_empty()
        && query.is_some_and(|q| {
            q.split('&').any(|kv| {
                kv.strip_prefix("action=")
                    .is_some_and(|v| STREAMER_NAMES.contains(&v))
            })
        })
}

/// The kind of media a URL's path names, by extension (case-insensitive, query ignored).
pub fn kind_of(url: &str) -> Option<LinkKind> {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if path.ends_with(".m3u8") {
        Some(LinkKind::Hls)
    } else if path.ends_with(".mpd") {
        Some(LinkKind::Dash)
    } else if path.ends_with(".mjpg") || path.ends_with(".mjpeg") {
        Some(LinkKind::Mjpeg)
    } else if path.ends_with(".flv") {
        Some(LinkKind::Flv)
    } else if path.ends_with(".ts") {
        Some(LinkKind::Ts)
    } else if path == "whep" || path.ends_with("/whep") || path.ends_with("/whep/") {
        Some(LinkKind::Whep)
    } else if !path.contains("://") && named_by_streamer(&path, query(url).as_deref()) {
        Some(LinkKind::Named)
    } else {
        None
    }
}

/// The query of a link, lowercased, fragment left out.
fn query(url: &str) -> Option<String> {
    let (_, q) = url.split_once('?')?;
    Some(q.split('#').next().unwrap_or("").to_ascii_lowercase())
}

/// Media links in `page`, in order of appearance, without duplicates.
pub fn media_links(page: &[u8]) -> Vec<(String, LinkKind)> {
    let text = String::from_utf8_lossy(page);
    let mut out: Vec<(String, LinkKind)> = Vec::new();
    let mut rest = text.as_ref();
    while let Some(open) = rest.find(['"', '\'']) {
        let quote = rest[open..].chars().next().unwrap_or('"');
        let after = &rest[open + 1..];
        let Some(close) = after.find(quote) else {
            break;
        };
        let value = after[..close].trim();
        rest = &after[close + 1..];
        if value.is_empty() || value.len() > MAX_LINK || value.contains(['<', '>', '\n', ' ']) {
            continue;
        }
        let value = value.replace("&amp;", "&");
        if let Some(kind) = kind_of(&value)
            && !out.iter().any(|(v, _)| *v == value)
        {
            out.push((value, kind));
            if out.len() >= MAX_LINKS {
                break;
            }
        }
    }
    drop_action_aliases(&mut out);
    out
}

/// µStreamer's page links `stream` and, for its mjpg-streamer compatibility layer,
/// `?action=stream` "as alias to the /stream" (its own words): a `?action=NAME` link is dropped
/// when the page links `NAME` itself, so one stream is not asked (and listed) twice.
fn drop_action_aliases(links: &mut Vec<(String, LinkKind)>) {
    let plain: Vec<&'static str> = STREAMER_NAMES
        .into_iter()
        .filter(|name| {
            links.iter().any(|(l, _)| {
                let path = l.split(['?', '#']).next().unwrap_or("");
                path.rsplit('/').next() == Some(*name)
            })
        })
        .collect();
    links.retain(|(l, kind)| {
        *kind != LinkKind::Named
            || !query(l).is_some_and(|q| {
                plain
                    .iter()
                    .any(|name| q.split('&').any(|kv| kv == format!("action={name}")))
            })
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_media_in_attributes_and_scripts() {
        let page = br#"<html><head><title>Player</title></head><body>
            <video src="/hls/cam.m3u8" controls></video>
            <a href='dash/cam.mpd?token=1&amp;x=2'>DASH</a>
            <img src="/mjpg/video.mjpg">
            <img src="/logo.png"><a href="/about.html">about</a>
            <script>var u = "http://10.0.0.9/live/a.flv"; var again = "/hls/cam.m3u8";</script>
            <a href="/live/cam.TS">transport stream</a>
            </body></html>"#;
        let links = media_links(page);
        assert_eq!(
            links,
            [
                ("/hls/cam.m3u8".to_string(), LinkKind::Hls),
                ("dash/cam.mpd?token=1&x=2".to_string(), LinkKind::Dash),
                ("/mjpg/video.mjpg".to_string(), LinkKind::Mjpeg),
                ("http://10.0.0.9/live/a.flv".to_string(), LinkKind::Flv),
                ("/live/cam.TS".to_string(), LinkKind::Ts),
            ]
        );
    }

    #[test]
    fn bounded_and_never_panics() {
        let mut page = Vec::new();
        for i in 0..100 {
            page.extend_from_slice(format!("\"/s{i}.m3u8\" ").as_bytes());
        }
        assert_eq!(media_links(&page).len(), MAX_LINKS);
        assert!(media_links(b"\"unterminated.m3u8").is_empty());
        assert!(media_links(b"\xff\xfe\"\xc3\x28.m3u8\"").len() <= 1);
        let long = format!("\"/{}.m3u8\"", "a".repeat(5000));
        assert!(media_links(long.as_bytes()).is_empty());
        assert_eq!(kind_of("/A.M3U8?x=.mpd"), Some(LinkKind::Hls));
        assert_eq!(kind_of("/index.html"), None);
        assert_eq!(kind_of("whep"), Some(LinkKind::Whep));
        assert_eq!(kind_of("/cam/WHEP?token=1"), Some(LinkKind::Whep));
        assert_eq!(kind_of("/whepless"), None);
    }

    /// µStreamer 4.9's index page (Debian 12's `ustreamer`), as it serves it: its stream and
    /// snapshot, once each (the `?action=` links are its aliases of them); its state page is no
    /// media, nor its link to its sources.
    #[test]
    fn ustreamer_index_page() {
        let page = br#"<title>uStreamer</title><a href="state"><b>/state</b></a>
            <a href="snapshot"><b>/snapshot</b></a> <a href="stream"><b>/stream</b></a>
            (like with the <a href="snapshot">/snapshot</a>).
            <li><a href="?action=snapshot">/?action=snapshot</a> as alias to the <a href="snapshot">/snapshot</a>.</li>
            <li><a href="?action=stream">/?action=stream</a> as alias to the <a href="stream">/stream</a>.</li>
            <a href="https://github.com/pikvm/ustreamer">Sources &amp; docs</a>"#;
        assert_eq!(
            media_links(page),
            [
                ("snapshot".to_string(), LinkKind::Named),
                ("stream".to_string(), LinkKind::Named)
            ]
        );
        // mjpg-streamer's page links only its actions: they are its streams.
        let mjpg = br#"<a href="/?action=stream">Stream</a> <img src="./?action=snapshot">"#;
        assert_eq!(
            media_links(mjpg),
            [
                ("/?action=stream".to_string(), LinkKind::Named),
                ("./?action=snapshot".to_string(), LinkKind::Named)
            ]
        );
        assert_eq!(kind_of("/live/stream"), Some(LinkKind::Named));
        assert_eq!(kind_of("/streams"), None);
        assert_eq!(kind_of("/?action=statistics"), None);
        assert_eq!(kind_of("http://elsewhere/stream"), None);
        assert_eq!(kind_of("/stream.m3u8"), Some(LinkKind::Hls));
    }
}
