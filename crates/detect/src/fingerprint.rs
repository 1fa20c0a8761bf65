//! HTTP fingerprints: is this web server a camera, an NVR or a video server, and whose?
//!
//! The HTTP detector already holds the answer to `GET /` and may fetch a few [`probe_paths`]; each
//! answer becomes an [`Observation`] and [`classify`] matches them all against the signatures of
//! `data/signatures.yaml` (with the user's before them, [`knowledge`]). Pure: no I/O, no
//! tokio, never panics on any bytes.
//!
//! Why the table is strict: ordinary web sites say "camera" all the time (shops, blogs, a vendor's own
//! marketing site), and a scanner that calls a blog a camera is worse than one that stays quiet. So
//! only strings that device firmware or a video server itself emits count: `Server` headers, auth
//! realms, exact titles of device UIs, markers from their scripts, and answers of vendor API paths.
//! Every entry names where it was seen (`docs/design/protocols.md`, "Fingerprints" and "HTTP stream
//! types"; nmap's `nmap-service-probes` and NSE fingerprint files, Greenbone detection scripts as
//! mirrored in `mageni/mageni`, the projects' own source). A generic hint (the title "WEB SERVICE",
//! a 401 on a vendor path) is weak: it names a vendor only when other evidence agrees. Known
//! ordinary pages (nginx/Apache/IIS default pages, OpenWrt LuCI, RouterOS, Synology DSM) are in the
//! table too, as [`Kind::Generic`], so they outvote camera hints found in the same answer.
//!
//! A verdict names its vendor as a [`VendorId`] of the registry (`data/vendors.yaml`), the same
//! vendor the RTSP path dictionary and the OUI table refer to.

use crate::head;
use knowledge::Knowledge;
pub use knowledge::{Kind, Match, Model, Signature, VendorId};
use proto::auth::parse_challenges;
use proto::response::ResponseHead;

/// Most characters [`title`] returns.
pub const MAX_TITLE_CHARS: usize = 200;
/// Most body bytes examined per observation (callers should cap reads anyway; device UIs put their
/// markers in the first few KiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Confidence a camera/NVR/video-server call needs; weaker hints must be backed by others.
pub const CLAIM_CONFIDENCE: u8 = 60;
/// Added per further, independent signature that names the same vendor.
pub const AGREEMENT_BONUS: u8 = 10;
/// Highest confidence ever given: every string here can be imitated by a honeypot or a proxy.
pub const MAX_CONFIDENCE: u8 = 99;
/// Confidence of "an ordinary web server" when no signature matched at all: an unlisted camera
/// brand looks exactly like this.
pub const GENERIC_CONFIDENCE: u8 = 50;
/// Longest device-supplied text quoted in evidence.
const MAX_QUOTE_CHARS: usize = 80;
/// Longest model/product string taken from a device answer.
const MAX_MODEL_CHARS: usize = 64;
/// Raw bytes of a `<title>` element examined (200 characters plus entities and whitespace).
const MAX_TITLE_RAW_BYTES: usize = 8 * 1024;

/// One HTTP answer from the port being classified.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    /// The request path, e.g. `/` or `/ISAPI/System/deviceInfo`.
    pub path: &'a str,
    pub status: u16,
    /// `Server` header; when `None` it is looked up in `headers`.
    pub server: Option<&'a str>,
    /// Auth realm; when `None` it is taken from `WWW-Authenticate` in `headers`.
    pub realm: Option<&'a str>,
    /// `Content-Type`; when `None` it is looked up in `headers`.
    pub content_type: Option<&'a str>,
    /// HTML title; when `None` it is extracted from `body` with [`title`].
    pub title: Option<&'a str>,
    /// The first bytes of the body (only [`MAX_BODY_BYTES`] are examined).
    pub body: &'a [u8],
    /// All response headers, names as sent (some signatures look at their spelling).
    pub headers: &'a [(String, String)],
}

impl<'a> Observation<'a> {
    /// An observation of `GET path` answered with `head` and `body`; realm and title are derived.
    pub fn new(path: &'a str, head: &'a ResponseHead, body: &'a [u8]) -> Self {
        Observation {
            path,
            status: head.status,
            server: head.header("server"),
            realm: None,
            content_type: head.header("content-type"),
            title: None,
            body,
            headers: &head.headers,
        }
    }
}

/// The verdict on one port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// The vendor or project; `None` for generic servers.
    pub vendor: Option<VendorId>,
    /// Model when the device told it (realm, deviceInfo, brand JSON), else the signature's product.
    pub product: Option<String>,
    pub kind: Kind,
    /// 0-100.
    pub confidence: u8,
    /// Why, strongest first, e.g. `Server: App-webs/`, `realm "DS-2CD2143G2-I"`,
    /// `GET /ISAPI/System/deviceInfo -> 401`. Device text is quoted, clipped, not sanitised (exporters do).
    pub evidence: Vec<String>,
}

/// Harmless, unauthenticated GETs whose answers are distinctive (`probes:` of the knowledge set),
/// each once, in order. None sends credentials, so none counts against a lockout budget.
pub fn probe_paths() -> Vec<&'static str> {
    knowledge::get().probe_paths()
}

use Match::*;

/// The HTML `<title>` of a page: tag name case-insensitive, the five basic entities, `&nbsp;` and
/// numeric references decoded, whitespace collapsed, control characters dropped, at most
/// [`MAX_TITLE_CHARS`] characters. A missing `</title>` ends the title at the next tag or the end of
/// the bytes. Bytes that are not UTF-8 are replaced. `None` when there is no title or it is blank.
pub fn title(body: &[u8]) -> Option<String> {
    let start = title_content_start(body)?;
    let rest = &body[start..];
    let end = find_ci(rest, b"</title")
        .or_else(|| rest.iter().position(|&b| b == b'<'))
        .unwrap_or(rest.len())
        .min(MAX_TITLE_RAW_BYTES);
    let raw = String::from_utf8_lossy(&rest[..end]);
    normalize_text(&decode_entities(&raw), MAX_TITLE_CHARS)
}

/// Index just past the `>` of the first `<title ...>` tag.
fn title_content_start(body: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = find_ci(&body[from..], b"<title") {
        let after = from + i + b"<title".len();
        match body.get(after) {
            Some(b'>') => return Some(after + 1),
            Some(c) if c.is_ascii_whitespace() || *c == b'/' => {
                let close = body[after..].iter().position(|&b| b == b'>')?;
                return Some(after + close + 1);
            }
            // `<titlebar>` and friends: keep looking.
            Some(_) => from = after,
            None => return None,
        }
    }
    None
}

/// Collapse whitespace and drop controls; `None` when nothing is left.
fn normalize_text(s: &str, max_chars: usize) -> Option<String> {
    let mut out = String::new();
    for word in s
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
        if out.len() > max_chars * 4 {
            break;
        }
    }
    let out: String = out.chars().take(max_chars).collect();
    let out = out.trim_end();
    (!out.is_empty()).then(|| out.to_string())
}

/// Decode `&amp; &lt; &gt; &quot; &apos; &nbsp;` and `&#N;`/`&#xH;`; anything else stays as written.
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        // `;` is ASCII, so its byte index is a char boundary.
        let decoded = after
            .bytes()
            .take(12)
            .position(|b| b == b';')
            .and_then(|n| Some((n, entity(&after[..n])?)));
        match decoded {
            Some((n, c)) => {
                out.push(c);
                rest = &after[n + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        return char::from_u32(code).filter(|&c| c != '\0');
    }
    Some(match name.to_ascii_lowercase().as_str() {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        _ => return None,
    })
}

/// First index of `needle` in `hay`, ASCII case-insensitive.
fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    if needle.len() > hay.len() {
        return None;
    }
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// First index of `needle` (already lower case) in `hay` (already lower case).
fn find_lc(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() > hay.len() {
        return None;
    }
    let first = *needle.first()?;
    (0..=hay.len() - needle.len()).find(|&i| hay[i] == first && &hay[i..i + needle.len()] == needle)
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

fn contains_ci(s: &str, needle: &str) -> bool {
    find_ci(s.as_bytes(), needle.as_bytes()).is_some()
}

/// `s` starts with `word` (case-sensitive) and no letter or digit follows it.
fn starts_with_word(s: &str, word: &str) -> bool {
    s.strip_prefix(word)
        .is_some_and(|rest| !rest.starts_with(char::is_alphanumeric))
}

fn clip(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// An observation with everything derived once: fallbacks applied, body lower-cased for matching.
struct Seen<'o> {
    path: &'o str,
    status: u16,
    server: Option<&'o str>,
    realm: Option<String>,
    content_type: Option<&'o str>,
    title: Option<String>,
    headers: &'o [(String, String)],
    body: &'o [u8],
    body_lc: Vec<u8>,
}

impl<'o> Seen<'o> {
    fn new(o: &Observation<'o>) -> Self {
        let body = &o.body[..o.body.len().min(MAX_BODY_BYTES)];
        let realm = o.realm.map(str::to_string).or_else(|| {
            let challenges: Vec<_> = o
                .headers
                .iter()
                .filter(|(n, _)| n.trim().eq_ignore_ascii_case("www-authenticate"))
                .flat_map(|(_, v)| parse_challenges(v))
                .collect();
            head::realm(&challenges)
        });
        Seen {
            path: o.path,
            status: o.status,
            server: o
                .server
                .or_else(|| header(o.headers, "server"))
                .map(str::trim),
            realm,
            content_type: o.content_type.or_else(|| header(o.headers, "content-type")),
            title: match o.title {
                Some(t) => normalize_text(&decode_entities(t), MAX_TITLE_CHARS),
                None => title(body),
            },
            headers: o.headers,
            body,
            body_lc: body.to_ascii_lowercase(),
        }
    }

    fn body_has(&self, needle: &str) -> bool {
        find_lc(&self.body_lc, needle.to_ascii_lowercase().as_bytes()).is_some()
    }

    fn holds(&self, m: &Match, port: &[Seen]) -> bool {
        let server = self.server;
        let realm = self.realm.as_deref();
        let title = self.title.as_deref();
        match m {
            Path(p) => self.path == p,
            Status(s) => self.status == *s,
            StatusUnlikeOthers(s) => self.status == *s && port.iter().any(|o| o.status != *s),
            ServerIs(x) => server.is_some_and(|v| v.eq_ignore_ascii_case(x)),
            ServerPrefix(x) => server.is_some_and(|v| starts_with_ci(v, x)),
            ServerContains(x) => server.is_some_and(|v| contains_ci(v, x)),
            NoServer => server.is_none(),
            RealmPrefix(x) => realm.is_some_and(|v| starts_with_ci(v, x)),
            RealmContainsCase(x) => realm.is_some_and(|v| v.contains(x.as_str())),
            RealmModel(x) => realm.is_some_and(|v| {
                v.strip_prefix(x.as_str())
                    .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
            }),
            TitleIs(x) => title.is_some_and(|v| v.eq_ignore_ascii_case(x)),
            TitlePrefix(x) => title.is_some_and(|v| starts_with_ci(v, x)),
            TitleContains(x) => title.is_some_and(|v| contains_ci(v, x)),
            TitleStartsWordCase(x) => title.is_some_and(|v| starts_with_word(v, x)),
            Body(x) => self.body_has(x),
            ContentTypePrefix(x) => self
                .content_type
                .is_some_and(|v| starts_with_ci(v.trim(), x)),
            HeaderSpelledCase(x) => self.headers.iter().any(|(n, _)| n.trim() == x),
            Header(name, x) => self
                .headers
                .iter()
                .any(|(n, v)| n.trim().eq_ignore_ascii_case(name) && contains_ci(v, x)),
        }
    }

    /// The text a matched condition contributes to the evidence (`None`: only the request line).
    fn describe(&self, m: &Match) -> Option<String> {
        let quote = |s: &str| clip(s, MAX_QUOTE_CHARS);
        match m {
            Path(_) | Status(_) | StatusUnlikeOthers(_) => None,
            ServerIs(_) | ServerPrefix(_) | ServerContains(_) => Some(format!(
                "Server: {}",
                quote(self.server.unwrap_or_default())
            )),
            NoServer => Some("no Server header".to_string()),
            RealmPrefix(_) | RealmContainsCase(_) | RealmModel(_) => Some(format!(
                "realm \"{}\"",
                quote(self.realm.as_deref().unwrap_or_default())
            )),
            TitleIs(_) | TitlePrefix(_) | TitleContains(_) | TitleStartsWordCase(_) => {
                Some(format!(
                    "title \"{}\"",
                    quote(self.title.as_deref().unwrap_or_default())
                ))
            }
            Body(x) => Some(format!("body has {x:?}")),
            ContentTypePrefix(_) => Some(format!(
                "Content-Type: {}",
                quote(self.content_type.unwrap_or_default())
            )),
            HeaderSpelledCase(x) => Some(format!("header spelled {x:?}")),
            Header(name, _) => {
                let value = header(self.headers, name).unwrap_or_default();
                Some(format!("{name}: {}", quote(value)))
            }
        }
    }

    /// The model a signature reads from this answer, if any.
    fn model(&self, model: &Model) -> Option<String> {
        let text = match model {
            Model::None => return None,
            Model::Realm => self.realm.clone()?,
            Model::XmlTag(tag) => {
                let open = format!("<{}>", tag.to_ascii_lowercase());
                let start = find_lc(&self.body_lc, open.as_bytes())? + open.len();
                let len = self.body[start..]
                    .iter()
                    .position(|&b| b == b'<')
                    .unwrap_or(self.body.len() - start);
                String::from_utf8_lossy(&self.body[start..start + len]).into_owned()
            }
            Model::JsonString(key) => {
                let quoted = format!("\"{}\"", key.to_ascii_lowercase());
                let mut i = find_lc(&self.body_lc, quoted.as_bytes())? + quoted.len();
                let b = self.body;
                while b.get(i).is_some_and(u8::is_ascii_whitespace) {
                    i += 1;
                }
                if b.get(i) != Some(&b':') {
                    return None;
                }
                i += 1;
                while b.get(i).is_some_and(u8::is_ascii_whitespace) {
                    i += 1;
                }
                if b.get(i) != Some(&b'"') {
                    return None;
                }
                i += 1;
                let len = b[i..]
                    .iter()
                    .position(|&c| c == b'"' || c == b'\\')
                    .unwrap_or(b.len() - i);
                String::from_utf8_lossy(&b[i..i + len]).into_owned()
            }
        };
        normalize_text(&text, MAX_MODEL_CHARS)
    }
}

/// One signature that matched one observation.
struct Hit {
    sig: &'static Signature,
    /// Index of the observation it matched.
    at: usize,
    /// Request line (when the answer to a specific path matters) and matched parts.
    atoms: Vec<String>,
    model: Option<String>,
}

impl Hit {
    fn evidence(&self) -> String {
        self.atoms.join(", ")
    }

    /// Everything this hit shows is already shown by `other`: it adds no independent support.
    fn subsumed_by(&self, other: &Hit) -> bool {
        self.atoms.iter().all(|a| other.atoms.contains(a))
    }
}

fn hit(sig: &'static Signature, port: &[Seen]) -> Option<Hit> {
    let (at, seen) = port
        .iter()
        .enumerate()
        .find(|(_, s)| sig.all.iter().all(|m| s.holds(m, port)))?;
    let mut atoms = Vec::new();
    // The request line matters when the signature is about that path's answer, or reads a title
    // or body that is not the root page's.
    let about_answer = sig.all.iter().any(|m| {
        matches!(
            m,
            Path(_)
                | Status(_)
                | StatusUnlikeOthers(_)
                | Body(_)
                | TitleIs(_)
                | TitlePrefix(_)
                | TitleContains(_)
                | TitleStartsWordCase(_)
        )
    });
    let parts: Vec<String> = sig.all.iter().filter_map(|m| seen.describe(m)).collect();
    if (about_answer && seen.path != "/") || parts.is_empty() {
        atoms.push(format!(
            "GET {} -> {}",
            clip(seen.path, MAX_QUOTE_CHARS),
            seen.status
        ));
    }
    for p in parts {
        if !atoms.contains(&p) {
            atoms.push(p);
        }
    }
    Some(Hit {
        sig,
        at,
        atoms,
        model: seen.model(&sig.model),
    })
}

/// Judge one port from its HTTP answers (root page first, then probe paths, in any order). The
/// strongest evidence wins; further signatures naming the same vendor add [`AGREEMENT_BONUS`] each
/// and their evidence; signatures naming someone else are listed as "also matches". A camera,
/// recorder or video server is claimed only at [`CLAIM_CONFIDENCE`] or above and only when it beats
/// every ordinary-page signature of the same answer (an Apache default page at `/` does not
/// contradict ZoneMinder at `/zm/`); otherwise the port is [`Kind::Generic`] and weak hints are
/// listed.
pub fn classify(observations: &[Observation]) -> Fingerprint {
    classify_with(knowledge::get(), observations)
}

/// [`classify`] against the signatures of `k`.
pub fn classify_with(k: &'static Knowledge, observations: &[Observation]) -> Fingerprint {
    if observations.is_empty() {
        return Fingerprint {
            vendor: None,
            product: None,
            kind: Kind::Unknown,
            confidence: 0,
            evidence: Vec::new(),
        };
    }
    let port: Vec<Seen> = observations.iter().map(Seen::new).collect();
    let mut hits: Vec<Hit> = k.signatures.iter().filter_map(|s| hit(s, &port)).collect();
    // Strongest first; the table order breaks ties (sort is stable).
    hits.sort_by_key(|h| std::cmp::Reverse(h.sig.confidence));

    let (video, plain): (Vec<&Hit>, Vec<&Hit>) = hits.iter().partition(|h| h.sig.kind.is_video());
    let plain_at = |at: usize| {
        plain
            .iter()
            .filter(|h| h.at == at)
            .map(|h| h.sig.confidence)
            .max()
            .unwrap_or(0)
    };

    // Score each vendor: its strongest hit plus a bonus per independent agreeing hit.
    let mut best: Option<(u8, Vec<&Hit>)> = None;
    let mut vendors: Vec<Option<&str>> = Vec::new();
    for h in &video {
        if !vendors.contains(&h.sig.vendor.as_deref()) {
            vendors.push(h.sig.vendor.as_deref());
        }
    }
    for vendor in vendors {
        let group: Vec<&Hit> = video
            .iter()
            .copied()
            .filter(|h| h.sig.vendor.as_deref() == vendor)
            .collect();
        let top = group[0];
        let independent = group[1..].iter().filter(|h| !h.subsumed_by(top)).count();
        let bonus = u32::from(AGREEMENT_BONUS) * u32::try_from(independent).unwrap_or(u32::MAX);
        let score = u8::try_from(u32::from(top.sig.confidence) + bonus)
            .unwrap_or(MAX_CONFIDENCE)
            .min(MAX_CONFIDENCE);
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, group));
        }
    }

    let mut evidence: Vec<String> = Vec::new();
    let mut push = |line: String| {
        if !evidence.contains(&line) {
            evidence.push(line);
        }
    };
    match best {
        Some((score, group)) if score >= CLAIM_CONFIDENCE && score > plain_at(group[0].at) => {
            let top = group[0];
            for h in &group {
                push(h.evidence());
            }
            for h in hits
                .iter()
                .filter(|h| h.sig.vendor != top.sig.vendor || !h.sig.kind.is_video())
            {
                push(format!("also matches {}: {}", h.sig.product, h.evidence()));
            }
            let product = group
                .iter()
                .find_map(|h| h.model.clone())
                .unwrap_or_else(|| top.sig.product.to_string());
            Fingerprint {
                vendor: top.sig.vendor.as_deref().and_then(|v| k.vendor(v)),
                product: Some(product),
                kind: top.sig.kind,
                confidence: score,
                evidence,
            }
        }
        _ => {
            for h in &plain {
                push(h.evidence());
            }
            for h in &video {
                let who = h.sig.vendor.as_deref().unwrap_or(&h.sig.product);
                // A strong signature lands here only when an ordinary page of the same answer
                // matched as strongly.
                let label = if h.sig.confidence < CLAIM_CONFIDENCE {
                    "weak hint"
                } else {
                    "outvoted"
                };
                push(format!("{label} ({who}): {}", h.evidence()));
            }
            if plain.is_empty() {
                // Say what was seen, so an operator can judge an unlisted brand.
                let root = port.iter().find(|s| s.path == "/").unwrap_or(&port[0]);
                if let Some(s) = root.server {
                    push(format!("Server: {}", clip(s, MAX_QUOTE_CHARS)));
                }
                if let Some(t) = &root.title {
                    push(format!("title \"{}\"", clip(t, MAX_QUOTE_CHARS)));
                }
                push("no camera signature matched".to_string());
            }
            Fingerprint {
                vendor: None,
                product: plain.first().map(|h| h.sig.product.to_string()),
                kind: Kind::Generic,
                confidence: plain
                    .first()
                    .map_or(GENERIC_CONFIDENCE, |h| h.sig.confidence),
                evidence,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::response::parse_head;

    /// One recorded answer: the request path and the raw response, split into head and body.
    struct Answer {
        path: &'static str,
        head: ResponseHead,
        body: Vec<u8>,
    }

    fn answer(path: &'static str, raw: &[u8]) -> Answer {
        let (head, len) = parse_head(raw).unwrap().unwrap();
        Answer {
            path,
            head,
            body: raw[len..].to_vec(),
        }
    }

    /// The id of the vendor a verdict names.
    fn vendor_of(fp: &Fingerprint) -> Option<&'static str> {
        fp.vendor.map(VendorId::as_str)
    }

    fn judge(answers: &[Answer]) -> Fingerprint {
        let obs: Vec<Observation> = answers
            .iter()
            .map(|a| Observation::new(a.path, &a.head, &a.body))
            .collect();
        classify(&obs)
    }

    fn root(raw: &[u8]) -> Fingerprint {
        judge(&[answer("/", raw)])
    }

    fn has(fp: &Fingerprint, line: &str) -> bool {
        fp.evidence.iter().any(|e| e == line)
    }

    // ---------------------------------------------------------------------------------------------
    // Fixtures. Heads follow the nmap-service-probes match lines, Greenbone (mageni) detection
    // scripts and project sources cited in SIGNATURES; bodies carry just the cited markers.

    /// nmap-service-probes "Hikvision IP camera httpd": `HTTP/1.0 200 OK\r\nDate: ..\r\nServer: App-webs/`.
    const HIK_ROOT: &[u8] = b"HTTP/1.0 200 OK\r\nDate: Sat, 01 Aug 2026 10:00:00 GMT\r\nServer: App-webs/\r\nContent-Type: text/html\r\n\r\n<!DOCTYPE html><html><head><title></title><script>location.href='/doc/page/login.asp'</script></head></html>";
    /// Hikvision ISAPI developer guide, event arming example (unauthenticated ISAPI GET).
    const HIK_ISAPI_401: &[u8] = b"HTTP/1.1 401 Unauthorized\r\nDate: Sun, 01 Apr 2018 18:58:53 GMT\r\nContent-Length: 178\r\nContent-Type: text/html\r\nConnection: keep-alive\r\nKeep-Alive: timeout=10, max=99\r\nWWW-Authenticate: Digest qop=\"auth\", realm=\"IP Camera(C2183)\", nonce=\"4e5468694e7a42694e7a4d364f4449354d7a6b354d54513d\", stale=\"FALSE\"\r\n\r\n<!DOCTYPE html><html><head><title>Document Error: Unauthorized</title></head><body><h2>Access Error: 401 -- Unauthorized</h2></body></html>";
    /// kyhkl/face__check capture_thread1.c: newer firmware uses the model as Digest realm.
    const HIK_ISAPI_401_MODEL: &[u8] = b"HTTP/1.1 401 Unauthorized\r\nContent-Type: text/html\r\nWWW-Authenticate: Digest qop=\"auth\", realm=\"DS-2CD2520F\", nonce=\"4d6a46444d7a5a464e3045364e5449355a546c695932553d\", stale=\"FALSE\"\r\n\r\n";
    /// pyHik get_device_info parses this document (namespace from pyhik/constants.py).
    const HIK_DEVICE_INFO: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n\r\n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeviceInfo version=\"2.0\" xmlns=\"http://www.hikvision.com/ver20/XMLSchema\">\n<deviceName>IP CAMERA</deviceName>\n<deviceID>88b1a2c4-0000-0000-0000-bcad28000000</deviceID>\n<model>DS-2CD2143G2-I</model>\n<serialNumber>DS-2CD2143G2-I20230101AAWRJ00000000</serialNumber>\n<firmwareVersion>V5.7.3</firmwareVersion>\n</DeviceInfo>\n";
    /// nmap-service-probes "Hikvision Network Video Recorder http admin".
    const HIK_NVR: &[u8] = b"HTTP/1.0 200 OK\r\nDate: Sat, 01 Aug 2026 10:00:00 GMT\r\nServer: DNVRS-Webs\r\nETag: \"1a-2b-3c\"\r\nContent-Length: 10\r\nContent-Type: text/html\r\nConnection: close\r\nLast-Modified: Sat, 01 Aug 2026 10:00:00 GMT\r\n\r\n<html></html>";
    /// mageni gb_dahua_devices_http_detect.nasl: no Server header, title WEB SERVICE, ui-dialog-content.
    const DAHUA_ROOT: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<!DOCTYPE html><html><head><title>WEB SERVICE</title></head><body><div class=\"ui-dialog-content\"></div><script src=\"/jsBase/lib/jquery.js\"></script></body></html>";
    /// mageni gb_dahua_devices_http_detect.nasl, newer web UI.
    const DAHUA_RPC2: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><head><title></title></head><body><script>var req={\"method\":\"global.login\",\"params\":{}};post('/RPC2_Login',req);</script></body></html>";
    /// nmap-service-probes "Dahua webcam httpd": upper-case header names, BOM, XHTML doctype.
    const DAHUA_CAPS: &[u8] = b"HTTP/1.1 200 OK\r\nCONNECTION: close\r\nCONTENT-LENGTH: 200\r\nCACHE-CONTROL: max-age=0\r\nCONTENT-TYPE: text/html\r\n\r\n\xef\xbb\xbf<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\r\n<html>\r\n<head>\r\n<title>WEB SERVICE</title>";
    /// mageni gb_amcrest_ip_camera_http_detect.nasl.
    const AMCREST_LANG: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nw_camera_info=Camera Info\r\nw_copyright=Copyright 2019 Amcrest Technologies. All rights reserved.\r\n";
    /// nmap http-default-accounts-fingerprints.lua: Axis realm contains AXIS.
    const AXIS_401: &[u8] = b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"AXIS_ACCC8E012345\", nonce=\"000057c3Y810622bff50b36005eb5efeae118626a161bf\", stale=FALSE\r\nContent-Length: 0\r\n\r\n";
    /// mageni gb_axis_devices_http_detect.nasl (getbrand.cgi sample in its comment).
    const AXIS_BRAND: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\n  \"Brand\": {\n   \"Brand\": \"AXIS\",\n   \"ProdType\": \"Network Camera\",\n   \"ProdNbr\": \"M1125\",\n   \"ProdShortName\": \"AXIS M1125\",\n   \"ProdFullName\": \"AXIS M1125 Network Camera\"\n }\n}";
    /// mageni gb_axis_devices_http_detect.nasl: `Axis Communications AB` and `<title>AXIS</title>`.
    const AXIS_ROOT: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><head><meta http-equiv=\"refresh\" content=\"0; URL=/camera/index.html\"><title>AXIS</title></head><body>Axis Communications AB</body></html>";
    /// nmap-service-probes uc-httpd + mageni gb_xiongmai_net_surveillance_detect.nasl title.
    const XMEYE_ROOT: &[u8] = b"HTTP/1.0 200 OK\r\nContent-type: text/html\r\nServer: uc-httpd 1.0.0\r\nExpires: 0\r\n\r\n<html><head><title>NETSurveillance WEB</title></head><body></body></html>";
    /// nmap-service-probes "H264DVR rtspd" (an HTTP status line on the RTSP-over-HTTP port).
    const H264DVR: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-rtsp-tunnelled\r\nServer: H264DVR 1.0\r\nConnection: close\r\nCache-Control: private\r\n\r\n";
    /// nmap-service-probes "Hipcam RealServer rtspd".
    const HIPCAM: &[u8] =
        b"RTSP/1.0 400 Bad Request\r\nCSeq: 0\r\nServer: Hipcam RealServer/V1.0\r\n\r\n";
    /// nmap-service-probes "VCS-VideoJet-Webserver httpd" (Bosch VIP X1).
    const BOSCH: &[u8] = b"HTTP/1.1 200 OK\r\nServer: VCS-VideoJet-Webserver\r\nContent-Type: text/html\r\n\r\n<html><head><title>browser_capture</title>\r\n";
    /// nmap-service-probes "Vivotek 3102 Camera http config".
    const VIVOTEK: &[u8] = b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"Network Camera\"\r\nContent-Type: text/html\r\nServer: Network Camera\r\n\r\n<HTML>\n<HEAD>\n<TITLE>Protected Object</TITLE></HEAD><BODY>\n<H1>Protected Object</H1>This object is protected.<P>\n</BODY></HTML>";
    /// mageni gb_reolink_ip_cameras_detect.nasl ("please login first"), rspCode per reolink_aio.
    const REOLINK_API: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n[\n   {\n      \"cmd\" : \"GetDevInfo\",\n      \"code\" : 1,\n      \"error\" : {\n         \"detail\" : \"please login first\",\n         \"rspCode\" : -6\n      }\n   }\n]\n";
    /// mageni gb_samsung_ipolis_detect.nasl.
    const HANWHA_401: &[u8] = b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"iPolis_00:09:18:AA:BB:CC\", nonce=\"abc\", qop=\"auth\"\r\nContent-Length: 0\r\n\r\n";
    /// mageni gb_samsung_web_viewer_detect.nasl.
    const SAMSUNG_NVR: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><head><title>Web Viewer for Samsung NVR</title></head><body><a href=\"/js/boot_status.html\"></a></body></html>";
    /// mageni gb_foscam_ip_camera_detect.nasl.
    const FOSCAM_LANG: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n\r\n<?xml version=\"1.0\"?><resources><string id=\"IDS_DEV_NAME\">Camera Model</string><string id=\"IDS_HEARD_LIVE\">Live Video</string></resources>";
    /// nmap-service-probes "GeoVision GeoHttpServer for webcams".
    const GEOVISION: &[u8] =
        b"HTTP/1.0 200 OK\r\nServer: GeoHttpServer\r\nContent-Type: text/html\r\n\r\n<html></html>";
    /// mageni gb_geovision_ip_camera_remote_detect.nasl.
    const GEOVISION_LOGIN: &[u8] = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<script>document.write(\"<INPUT name=umd5 type=hidden>\");</script>";
    /// mageni gb_mobotix_webcam_detect.nasl.
    const MOBOTIX: &[u8] = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html><head><meta name=\"author\" content=\"MOBOTIX AG, Germany\"><title>M16</title></head><body><a href=\"/control/camerainfo\"><b>MOBOTIX M16</b></a></body></html>";
    /// nmap-service-probes "Mobotix Camera http config".
    const MOBOTIX_302: &[u8] = b"HTTP/1.0 302 Found\r\nLocation: /control/userimage.html\r\n\r\n";
    /// mageni gb_ubnt_unifi_video_detect.nasl.
    const UNIFI_VIDEO: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><head><meta name=\"apple-itunes-app\" content=\"app-id=com.ubnt.unifivideo\"><title>UniFi Video</title></head></html>";
    /// bluenviron/mediamtx handler_server_header.go (here the HLS listener's 404).
    const MEDIAMTX: &[u8] =
        b"HTTP/1.1 404 Not Found\r\nServer: mediamtx\r\nContent-Length: 0\r\n\r\n";
    /// AlexxIT/go2rtc www/index.html.
    const GO2RTC_ROOT: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n    <meta charset=\"UTF-8\">\n    <title>go2rtc</title>\n";
    /// AlexxIT/go2rtc internal/api/api.go apiHandler.
    const GO2RTC_API: &[u8] = b"HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\nContent-Type: application/json\r\n\r\n{\"config_path\":\"/config/go2rtc.yaml\",\"host\":\"192.168.1.10:1984\",\"revision\":\"a1b2c3d\",\"version\":\"1.9.9\"}\n";
    /// meetecho/janus-gateway: GET /janus/info.
    const JANUS_INFO: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\n   \"janus\": \"server_info\",\n   \"name\": \"Janus WebRTC Server\",\n   \"version\": 1300,\n   \"version_string\": \"1.3.0\"\n}";
    /// arut/nginx-rtmp-module ngx_rtmp_stat_module.c output, behind nginx.
    const NGINX_RTMP_STAT: &[u8] = b"HTTP/1.1 200 OK\r\nServer: nginx/1.24.0\r\nContent-Type: text/xml\r\n\r\n<?xml version=\"1.0\" encoding=\"utf-8\" ?>\r\n<?xml-stylesheet type=\"text/xsl\" href=\"stat.xsl\" ?>\r\n<rtmp>\r\n<nginx_version>1.24.0</nginx_version>\r\n<nginx_rtmp_version>1.1.4</nginx_rtmp_version>\r\n";
    /// mageni gb_wowza_streaming_engine_http_detect.nasl.
    const WOWZA: &[u8] = b"HTTP/1.1 200 OK\r\nServer: WowzaStreamingEngine/4.8.5\r\nContent-Type: text/plain\r\n\r\nWowza Streaming Engine 4.8.5 build 20200616153358";
    /// projectdiscovery/nuclei-templates ant-media-server-detect.yaml.
    const ANT_MEDIA: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><head><title>Management of Ant Media Server</title><link href=\"assets/css/ant-media.css\" rel=\"stylesheet\"></head></html>";
    /// nmap-service-probes "Motion Camera httpd".
    const MOTION: &[u8] =
        b"HTTP/1.1 200 OK\r\nServer: Motion/4.3.2\r\nContent-Type: text/html\r\n\r\n<html></html>";
    /// nmap-service-probes "VLC media player http interface".
    const VLC: &[u8] = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html><head><title>VLC media player</title>\n</head></html>";
    /// blakeblackshear/frigate web/index.html.
    const FRIGATE: &[u8] = b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\n\r\n<!doctype html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"UTF-8\" />\n    <link rel=\"icon\" href=\"/images/branding/favicon.ico\" />\n    <title>Frigate</title>\n";
    /// gaeldb/Shinobi web/pages/index.ejs.
    const SHINOBI: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<!DOCTYPE html>\n<!-- Powered by Shinobi, http://shinobi.video -->\n<html><head><title>Shinobi</title></head></html>";
    /// mageni gb_zoneminder_detect.nasl.
    const ZONEMINDER: &[u8] = b"HTTP/1.1 200 OK\r\nServer: Apache/2.4.57 (Debian)\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><head><title>ZM - Login</title><script>var skinPath = \"skins/classic\";</script></head><body><h1>ZoneMinder Login</h1></body></html>";
    /// nmap-service-probes "Blue Iris camera webserver".
    const BLUE_IRIS: &[u8] = b"HTTP/1.1 401 Unauthorized\r\nServer: BlueIris-HTTP/1.1\r\nDate: Sat, 01 Aug 2026 10:00:00 GMT\r\nP3P: CP=\"CAO PSA OUR\"\r\n\r\n";
    /// motioneye-project/motioneye handlers/base.py.
    const MOTIONEYE: &[u8] = b"HTTP/1.1 200 OK\r\nServer: motionEye/0.43.1\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<html><head><title>motionEye</title></head></html>";
    /// docs/design/protocols.md, "HTTP stream types": an MJPEG stream at the root.
    const MJPEG: &[u8] = b"HTTP/1.0 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=--myboundary\r\n\r\n--myboundary\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xdb";

    // Ordinary servers.

    /// Debian nginx package /usr/share/nginx/html/index.html (title, h1 and first paragraph lines).
    const NGINX_DEFAULT: &[u8] = b"HTTP/1.1 200 OK\r\nServer: nginx/1.24.0\r\nContent-Type: text/html\r\n\r\n<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully installed and\nworking. Further configuration is required.</p>\n</body>\n</html>\n";
    /// Debian apache2 default index.html (title per nuclei default-apache2-page.yaml).
    const APACHE_DEFAULT: &[u8] = b"HTTP/1.1 200 OK\r\nServer: Apache/2.4.62 (Debian)\r\nContent-Type: text/html\r\n\r\n<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n<html xmlns=\"http://www.w3.org/1999/xhtml\">\n  <head>\n    <meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\" />\n    <title>Apache2 Debian Default Page: It works</title>\n  </head>\n  <body>\n    <span>Apache2 Debian Default Page</span>\n    <p>It works!</p>\n  </body>\n</html>\n";
    const IIS_DEFAULT: &[u8] = b"HTTP/1.1 200 OK\r\nServer: Microsoft-IIS/10.0\r\nContent-Type: text/html\r\n\r\n<!DOCTYPE html><html><head><title>IIS Windows Server</title></head><body><img src=\"iisstart.png\" alt=\"IIS\"></body></html>";
    const CADDY: &[u8] = b"HTTP/1.1 200 OK\r\nServer: Caddy\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<!DOCTYPE html><html><head><title>Caddy works!</title></head><body><h1>Congratulations!</h1></body></html>";
    /// A shop/blog that talks about cameras all day.
    const CAMERA_BLOG: &[u8] = b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<!DOCTYPE html><html><head><title>Best IP cameras of 2026: Hikvision vs Dahua vs AXIS &amp; Reolink</title></head><body><h1>Security camera deals</h1><p>The Hikvision DS-2CD2143G2-I (App-webs firmware) and the Dahua WEB SERVICE UI compared; NETSurveillance WEB on cheap XMeye DVRs; stream them with go2rtc, MediaMTX or Frigate NVR. Axis Communications, Mobotix, Vivotek network camera reviews. RTSP, ONVIF, NVR, PTZ.</p></body></html>";
    /// Axis Communications' own marketing site: mixed-case "Axis", not the device title.
    const AXIS_MARKETING: &[u8] = b"HTTP/1.1 200 OK\r\nServer: cloudflare\r\nContent-Type: text/html\r\n\r\n<html><head><title>Network video solutions | Axis Communications</title></head><body>AXIS Camera Station, network cameras</body></html>";
    /// nmap-service-probes "Polycom RealPresence CloudAXIS" (entities in the title).
    const CLOUDAXIS: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<!doctype html>\r\n<html>\r\n<head>\r\n    <title>Polycom&reg; RealPresence&reg; CloudAXIS&trade;</title>";
    /// nmap http-default-accounts-fingerprints.lua "Apache Axis2".
    const AXIS2: &[u8] = b"HTTP/1.1 200 OK\r\nServer: Apache-Coyote/1.1\r\nContent-Type: text/html\r\n\r\n<html><head><title>Login to Axis2 :: Administration page</title></head></html>";
    /// nmap-service-probes LuCI refresh page.
    const LUCI: &[u8] = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<html><head><meta http-equiv=\"refresh\" content=\"0; URL=/cgi-bin/luci\" />\n</head><body><a href=\"/cgi-bin/luci\">LuCI - Lua Configuration Interface</a></body></html>";
    /// mageni gb_mikrotik_router_routeros_webui_detect.nasl.
    const ROUTEROS: &[u8] = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html><head><title>RouterOS router configuration page</title></head><body><h1>RouterOS v7.14</h1><div>mikrotik</div><a>Login</a></body></html>";
    /// mageni gb_synology_dsm_http_detect.nasl.
    const SYNOLOGY: &[u8] = b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\n\r\n<html><head><title>Synology&nbsp;DiskStation</title><meta name=\"description\" content=\"DiskStation provides a full-featured network attached storage (NAS) solution\"></head><body><script>SYNO.SDS.Session = {};</script></body></html>";
    const PRINTER: &[u8] = b"HTTP/1.1 200 OK\r\nServer: HP HTTP Server; HP LaserJet Pro M404dn - W1A53A; Serial Number: PHBXX00000\r\nContent-Type: text/html\r\n\r\n<html><head><title>HP LaserJet Pro M404dn</title></head><body>Device Status: Ready. Scan to camera roll app.</body></html>";
    /// nmap-service-probes TP-LINK router: 401 Basic to every path.
    const TPLINK_401: &[u8] = b"HTTP/1.1 401 N/A\r\nServer: TP-LINK Router\r\nConnection: close\r\nWWW-Authenticate: Basic realm=\"TP-LINK Router WR940N\"\r\n\r\n";
    /// A single-page app: every path answers 200 with the same index.
    const SPA: &[u8] = b"HTTP/1.1 200 OK\r\nServer: Vercel\r\nContent-Type: text/html\r\n\r\n<!doctype html><html><head><title>Acme Dashboard</title></head><body><div id=\"root\"></div></body></html>";

    /// Every fixture with the vendor and kind it must produce (`None`: generic).
    #[rustfmt::skip]
    fn verdicts() -> Vec<(&'static str, Vec<Answer>, Option<&'static str>, Kind)> {
        vec![
            ("hikvision root", vec![answer("/", HIK_ROOT)], Some("hikvision"), Kind::CameraUi),
            ("hikvision nvr", vec![answer("/", HIK_NVR)], Some("hikvision"), Kind::Nvr),
            ("hikvision deviceInfo", vec![answer("/", CADDY), answer("/ISAPI/System/deviceInfo", HIK_DEVICE_INFO)], Some("hikvision"), Kind::CameraUi),
            ("dahua", vec![answer("/", DAHUA_ROOT)], Some("dahua"), Kind::CameraUi),
            ("dahua rpc2", vec![answer("/", DAHUA_RPC2)], Some("dahua"), Kind::CameraUi),
            ("dahua caps", vec![answer("/", DAHUA_CAPS)], Some("dahua"), Kind::CameraUi),
            ("amcrest", vec![answer("/", CADDY), answer("/custom_lang/English.txt", AMCREST_LANG)], Some("dahua"), Kind::CameraUi),
            ("axis realm", vec![answer("/", AXIS_401)], Some("axis"), Kind::CameraUi),
            ("axis title", vec![answer("/", AXIS_ROOT)], Some("axis"), Kind::CameraUi),
            ("axis 205", vec![answer("/", b"HTTP/1.0 200 OK\r\nContent-Length: 60\r\n\r\n<TITLE>Live view / - AXIS 205 Network Camera version 4.03</TITLE>\n")], Some("axis"), Kind::CameraUi),
            ("xmeye", vec![answer("/", XMEYE_ROOT)], Some("xmeye"), Kind::CameraUi),
            ("h264dvr", vec![answer("/", H264DVR)], Some("xmeye"), Kind::Nvr),
            ("hipcam", vec![answer("/", HIPCAM)], Some("xmeye"), Kind::CameraUi),
            ("bosch", vec![answer("/", BOSCH)], Some("bosch"), Kind::CameraUi),
            ("vivotek", vec![answer("/", VIVOTEK)], Some("vivotek"), Kind::CameraUi),
            ("reolink", vec![answer("/", SPA), answer("/cgi-bin/api.cgi?cmd=GetDevInfo", REOLINK_API)], Some("reolink"), Kind::CameraUi),
            ("hanwha realm", vec![answer("/", CADDY), answer("/home/monitoring.cgi", HANWHA_401)], Some("hanwha"), Kind::CameraUi),
            ("samsung nvr", vec![answer("/", SAMSUNG_NVR)], Some("hanwha"), Kind::Nvr),
            ("foscam", vec![answer("/", CADDY), answer("/lg/ENU.xml", FOSCAM_LANG)], Some("foscam"), Kind::CameraUi),
            ("geovision", vec![answer("/", GEOVISION)], Some("geovision"), Kind::CameraUi),
            ("geovision login", vec![answer("/ssi.cgi/Login.htm", GEOVISION_LOGIN)], Some("geovision"), Kind::CameraUi),
            ("mobotix", vec![answer("/", MOBOTIX)], Some("mobotix"), Kind::CameraUi),
            ("mobotix 302", vec![answer("/", MOBOTIX_302)], Some("mobotix"), Kind::CameraUi),
            ("unifi video", vec![answer("/", UNIFI_VIDEO)], Some("ubiquiti"), Kind::Nvr),
            ("mediamtx", vec![answer("/", MEDIAMTX)], Some("mediamtx"), Kind::VideoServer),
            ("go2rtc root", vec![answer("/", GO2RTC_ROOT)], Some("go2rtc"), Kind::VideoServer),
            ("go2rtc api", vec![answer("/", SPA), answer("/api", GO2RTC_API)], Some("go2rtc"), Kind::VideoServer),
            ("janus", vec![answer("/", CADDY), answer("/janus/info", JANUS_INFO)], Some("janus"), Kind::VideoServer),
            ("nginx-rtmp", vec![answer("/", NGINX_DEFAULT), answer("/stat", NGINX_RTMP_STAT)], Some("nginx-rtmp"), Kind::VideoServer),
            ("wowza", vec![answer("/", WOWZA)], Some("wowza"), Kind::VideoServer),
            ("ant media", vec![answer("/", ANT_MEDIA)], Some("ant-media"), Kind::VideoServer),
            ("motion", vec![answer("/", MOTION)], Some("motion"), Kind::VideoServer),
            ("vlc", vec![answer("/", VLC)], Some("vlc"), Kind::VideoServer),
            ("frigate", vec![answer("/", FRIGATE)], Some("frigate"), Kind::Nvr),
            ("shinobi", vec![answer("/", SHINOBI)], Some("shinobi"), Kind::Nvr),
            ("zoneminder", vec![answer("/", APACHE_DEFAULT), answer("/zm/index.php", ZONEMINDER)], Some("zoneminder"), Kind::Nvr),
            ("blue iris", vec![answer("/", BLUE_IRIS)], Some("blue-iris"), Kind::Nvr),
            ("motioneye", vec![answer("/", MOTIONEYE)], Some("motioneye"), Kind::Nvr),
            ("mjpeg", vec![answer("/", MJPEG)], None, Kind::VideoServer),
            // Ordinary servers, alone and with the probe paths they answer like everyone else.
            ("nginx default", vec![answer("/", NGINX_DEFAULT), answer("/ISAPI/System/deviceInfo", b"HTTP/1.1 404 Not Found\r\nServer: nginx/1.24.0\r\n\r\n")], None, Kind::Generic),
            ("apache default", vec![answer("/", APACHE_DEFAULT)], None, Kind::Generic),
            ("iis default", vec![answer("/", IIS_DEFAULT)], None, Kind::Generic),
            ("caddy", vec![answer("/", CADDY)], None, Kind::Generic),
            ("camera blog", vec![answer("/", CAMERA_BLOG)], None, Kind::Generic),
            ("axis marketing", vec![answer("/", AXIS_MARKETING)], None, Kind::Generic),
            ("cloudaxis", vec![answer("/", CLOUDAXIS)], None, Kind::Generic),
            ("axis2", vec![answer("/", AXIS2)], None, Kind::Generic),
            ("luci", vec![answer("/", LUCI)], None, Kind::Generic),
            ("routeros", vec![answer("/", ROUTEROS)], None, Kind::Generic),
            ("synology", vec![answer("/", SYNOLOGY)], None, Kind::Generic),
            ("printer", vec![answer("/", PRINTER)], None, Kind::Generic),
            ("tp-link router", vec![answer("/", TPLINK_401), answer("/ISAPI/System/deviceInfo", TPLINK_401)], None, Kind::Generic),
            ("spa", probe_paths().into_iter().map(|p| answer(p, SPA)).chain([answer("/", SPA)]).collect(), None, Kind::Generic),
        ]
    }

    #[test]
    fn every_fixture_gets_its_verdict() {
        for (name, answers, vendor, kind) in verdicts() {
            let fp = judge(&answers);
            assert_eq!((vendor_of(&fp), fp.kind), (vendor, kind), "{name}: {fp:#?}");
            assert!(fp.confidence <= 100, "{name}");
            assert!(!fp.evidence.is_empty(), "{name}: no evidence");
            if kind.is_video() {
                assert!(fp.confidence >= CLAIM_CONFIDENCE, "{name}: {fp:#?}");
                assert!(fp.product.is_some(), "{name}");
            }
        }
    }

    #[test]
    fn hikvision_camera_with_isapi_challenge() {
        // Root page from App-webs, and ISAPI asking for Digest with the classic realm.
        let fp = judge(&[
            answer("/", HIK_ROOT),
            answer("/ISAPI/System/deviceInfo", HIK_ISAPI_401),
        ]);
        assert_eq!(vendor_of(&fp), Some("hikvision"));
        assert_eq!(fp.kind, Kind::CameraUi);
        assert_eq!(fp.confidence, 99);
        assert_eq!(fp.evidence[0], "Server: App-webs/");
        assert!(has(&fp, "realm \"IP Camera(C2183)\""), "{fp:#?}");
        assert!(has(&fp, "GET /ISAPI/System/deviceInfo -> 401"), "{fp:#?}");
        assert_eq!(
            fp.product.as_deref(),
            Some("Hikvision IP camera (App-webs)")
        );
    }

    #[test]
    fn hikvision_model_from_realm_and_device_info() {
        let fp = judge(&[
            answer("/", CADDY),
            answer("/ISAPI/System/deviceInfo", HIK_ISAPI_401_MODEL),
        ]);
        assert_eq!(vendor_of(&fp), Some("hikvision"));
        assert_eq!(fp.product.as_deref(), Some("DS-2CD2520F"));
        assert!(has(&fp, "realm \"DS-2CD2520F\""), "{fp:#?}");

        let fp = judge(&[answer("/ISAPI/System/deviceInfo", HIK_DEVICE_INFO)]);
        assert_eq!(fp.product.as_deref(), Some("DS-2CD2143G2-I"));
        assert_eq!(fp.confidence, 95);
        assert_eq!(
            fp.evidence[0],
            "GET /ISAPI/System/deviceInfo -> 200, body has \"<DeviceInfo\", body has \"hikvision.com/ver20/XMLSchema\""
        );
    }

    #[test]
    fn isapi_401_alone_is_only_a_hint() {
        // A 401 on the ISAPI path, no realm, while `/` answers 200: not enough to say Hikvision.
        let fp = judge(&[
            answer("/", CADDY),
            answer(
                "/ISAPI/System/deviceInfo",
                b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n",
            ),
        ]);
        assert_eq!(fp.kind, Kind::Generic);
        assert_eq!(vendor_of(&fp), None);
        assert!(
            has(
                &fp,
                "weak hint (hikvision): GET /ISAPI/System/deviceInfo -> 401"
            ),
            "{fp:#?}"
        );
    }

    #[test]
    fn a_server_that_401s_everything_says_nothing_by_401() {
        let fp = judge(&[
            answer("/", TPLINK_401),
            answer("/ISAPI/System/deviceInfo", TPLINK_401),
        ]);
        assert_eq!(fp.kind, Kind::Generic);
        assert!(
            !fp.evidence.iter().any(|e| e.contains("weak hint")),
            "{fp:#?}"
        );
        assert!(has(&fp, "Server: TP-LINK Router"), "{fp:#?}");
    }

    #[test]
    fn dahua_weak_hints_add_up() {
        // nmap's Dahua match: upper-case header spelling + the WEB SERVICE title, nothing else.
        let fp = root(DAHUA_CAPS);
        assert_eq!(vendor_of(&fp), Some("dahua"));
        assert_eq!(fp.confidence, 60);
        assert!(has(&fp, "title \"WEB SERVICE\""), "{fp:#?}");
        // The title alone, from a server that names itself, is a hint only.
        let fp = root(b"HTTP/1.1 200 OK\r\nServer: Apache\r\n\r\n<title>Web Service</title>");
        assert_eq!(fp.kind, Kind::Generic);
        assert!(
            has(&fp, "weak hint (dahua): title \"Web Service\""),
            "{fp:#?}"
        );
    }

    #[test]
    fn xmeye_title_and_server_agree() {
        let fp = root(XMEYE_ROOT);
        assert_eq!(vendor_of(&fp), Some("xmeye"));
        assert_eq!(fp.confidence, 99);
        assert_eq!(fp.evidence[0], "title \"NETSurveillance WEB\"");
        assert!(has(&fp, "Server: uc-httpd 1.0.0"), "{fp:#?}");
        // Case does not matter for the title.
        let fp = root(b"HTTP/1.0 200 OK\r\n\r\n<TITLE>NETSURVEILLANCE WEB</TITLE>");
        assert_eq!(vendor_of(&fp), Some("xmeye"));
        assert!(has(&fp, "title \"NETSURVEILLANCE WEB\""), "{fp:#?}");
    }

    #[test]
    fn axis_brand_json_names_the_model() {
        let fp = judge(&[
            answer("/", AXIS_401),
            answer("/axis-cgi/prod_brand_info/getbrand.cgi", AXIS_BRAND),
        ]);
        assert_eq!(vendor_of(&fp), Some("axis"));
        assert_eq!(fp.product.as_deref(), Some("AXIS M1125 Network Camera"));
        assert_eq!(fp.confidence, 99);
        assert!(has(&fp, "realm \"AXIS_ACCC8E012345\""), "{fp:#?}");
    }

    #[test]
    fn frigate_title_alone_is_a_ship() {
        let fp = root(b"HTTP/1.1 200 OK\r\n\r\n<title>Frigate</title><p>A warship.</p>");
        assert_eq!(fp.kind, Kind::Generic);
        let fp = root(FRIGATE);
        // Title + branding path; the title-only signature adds no independent support.
        assert_eq!((vendor_of(&fp), fp.confidence), (Some("frigate"), 90));
    }

    #[test]
    fn video_server_behind_nginx_beats_the_server_header() {
        let fp = judge(&[answer("/", NGINX_DEFAULT), answer("/stat", NGINX_RTMP_STAT)]);
        assert_eq!(vendor_of(&fp), Some("nginx-rtmp"));
        assert_eq!(
            fp.evidence[0],
            "GET /stat -> 200, body has \"<nginx_rtmp_version>\""
        );
        assert!(
            has(
                &fp,
                "also matches nginx default page: title \"Welcome to nginx!\""
            ),
            "{fp:#?}"
        );
    }

    #[test]
    fn ordinary_pages_say_what_they_are() {
        let fp = root(NGINX_DEFAULT);
        assert_eq!(fp.product.as_deref(), Some("nginx default page"));
        assert_eq!(fp.confidence, 90);
        assert_eq!(fp.evidence, ["title \"Welcome to nginx!\""]);
        let fp = root(SYNOLOGY);
        assert_eq!(fp.product.as_deref(), Some("Synology DSM"));
        // Nothing known: the server and title are reported for the operator.
        let fp = root(CADDY);
        assert_eq!((fp.product, fp.confidence), (None, GENERIC_CONFIDENCE));
        assert_eq!(
            fp.evidence,
            [
                "Server: Caddy",
                "title \"Caddy works!\"",
                "no camera signature matched"
            ]
        );
    }

    #[test]
    fn an_ordinary_page_as_strong_as_a_signature_wins_the_tie() {
        // Same answer, equally sure either way: stay quiet, but show what was outvoted.
        let fp = root(b"HTTP/1.1 200 OK\r\nServer: WowzaStreamingEngine/4.8.5\r\n\r\n<title>Welcome to nginx!</title>");
        assert_eq!((fp.kind, vendor_of(&fp)), (Kind::Generic, None));
        assert_eq!(fp.product.as_deref(), Some("nginx default page"));
        assert!(
            has(&fp, "outvoted (wowza): Server: WowzaStreamingEngine/4.8.5"),
            "{fp:#?}"
        );
    }

    #[test]
    fn no_observations_is_unknown() {
        let fp = classify(&[]);
        assert_eq!(fp.kind, Kind::Unknown);
        assert_eq!(fp.confidence, 0);
    }

    #[test]
    fn explicit_fields_win_over_headers() {
        // Callers may fill server/realm/title themselves (e.g. from an RTSP reply).
        let obs = Observation {
            path: "/",
            status: 401,
            server: None,
            realm: Some("IP Camera(C1234)"),
            content_type: None,
            title: Some("  NETSurveillance\n WEB "),
            body: b"",
            headers: &[],
        };
        let fp = classify(&[obs]);
        assert_eq!(vendor_of(&fp), Some("xmeye"), "{fp:#?}");
        assert!(has(
            &fp,
            "also matches Hikvision IP camera: realm \"IP Camera(C1234)\""
        ));
    }

    #[test]
    fn titles() {
        let t = |b: &[u8]| title(b);
        assert_eq!(t(b"<html><head><title>Hello</title>"), Some("Hello".into()));
        assert_eq!(
            t(b"<TITLE>NETSURVEILLANCE WEB</TITLE>").as_deref(),
            Some("NETSURVEILLANCE WEB")
        );
        assert_eq!(
            t(b"<TiTlE id=\"t\" lang=en>  a\r\n\t b  </tItLe>").as_deref(),
            Some("a b")
        );
        assert_eq!(
            t(b"<title>Polycom&reg; A &amp; B &lt;x&gt; &quot;q&quot; &apos;s&#39; &#x41;&#66;&nbsp;!</title>").as_deref(),
            Some("Polycom&reg; A & B <x> \"q\" 's' AB !")
        );
        assert_eq!(
            t(b"<title>&AMP; &#0; &#xD800; &#99999999; &#; &</title>").as_deref(),
            Some("& &#0; &#xD800; &#99999999; &#; &")
        );
        // Missing close tag: up to the next tag, or the end.
        assert_eq!(
            t(b"<title>Login page\n</head><body>x").as_deref(),
            Some("Login page")
        );
        assert_eq!(t(b"<title>Login page").as_deref(), Some("Login page"));
        // Not a title element.
        assert_eq!(
            t(b"<titlebar>x</titlebar><title>real</title>").as_deref(),
            Some("real")
        );
        assert_eq!(t(b"<titlebar>x</titlebar>"), None);
        assert_eq!(t(b"no title here"), None);
        assert_eq!(t(b"<title>   </title>"), None);
        assert_eq!(t(b"<title"), None);
        assert_eq!(t(b"<title x"), None);
        // Controls (even escaped ones) never reach the output; bad UTF-8 is replaced.
        assert_eq!(
            t(b"<title>a\x1b[31mred&#27;[0m\x07</title>").as_deref(),
            Some("a [31mred [0m")
        );
        assert_eq!(
            t(b"<title>\xc3\x28caf\xc3\xa9</title>").as_deref(),
            Some("\u{fffd}(caf\u{e9}")
        );
        // Capped at 200 characters.
        let long = format!("<title>{}</title>", "\u{e9}".repeat(500));
        assert_eq!(t(long.as_bytes()).unwrap().chars().count(), MAX_TITLE_CHARS);
    }

    /// xorshift64: fixed seed, reproducible junk.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn bytes(&mut self, max: usize, alphabet: &[u8]) -> Vec<u8> {
            let n = (self.next() % (max as u64 + 1)) as usize;
            (0..n)
                .map(|_| {
                    let r = self.next();
                    if alphabet.is_empty() || r.is_multiple_of(4) {
                        r as u8
                    } else {
                        alphabet[(r >> 8) as usize % alphabet.len()]
                    }
                })
                .collect()
        }
    }

    /// What must hold for any verdict on a non-empty set of observations.
    fn check(fp: &Fingerprint) {
        assert!(fp.confidence <= 100);
        assert_ne!(fp.kind, Kind::Unknown);
        if fp.kind == Kind::Generic {
            assert_eq!(vendor_of(fp), None);
        } else {
            assert!(
                fp.confidence >= CLAIM_CONFIDENCE && fp.product.is_some(),
                "{fp:?}"
            );
        }
        assert!(!fp.evidence.is_empty());
        for e in &fp.evidence {
            assert!(e.chars().count() < 400, "{e}");
        }
    }

    fn all_fixtures() -> Vec<&'static [u8]> {
        vec![
            HIK_ROOT,
            HIK_ISAPI_401,
            HIK_ISAPI_401_MODEL,
            HIK_DEVICE_INFO,
            HIK_NVR,
            DAHUA_ROOT,
            DAHUA_RPC2,
            DAHUA_CAPS,
            AMCREST_LANG,
            AXIS_401,
            AXIS_BRAND,
            AXIS_ROOT,
            XMEYE_ROOT,
            H264DVR,
            HIPCAM,
            BOSCH,
            VIVOTEK,
            REOLINK_API,
            HANWHA_401,
            SAMSUNG_NVR,
            FOSCAM_LANG,
            GEOVISION,
            GEOVISION_LOGIN,
            MOBOTIX,
            MOBOTIX_302,
            UNIFI_VIDEO,
            MEDIAMTX,
            GO2RTC_ROOT,
            GO2RTC_API,
            JANUS_INFO,
            NGINX_RTMP_STAT,
            WOWZA,
            ANT_MEDIA,
            MOTION,
            VLC,
            FRIGATE,
            SHINOBI,
            ZONEMINDER,
            BLUE_IRIS,
            MOTIONEYE,
            MJPEG,
            NGINX_DEFAULT,
            APACHE_DEFAULT,
            IIS_DEFAULT,
            CADDY,
            CAMERA_BLOG,
            AXIS_MARKETING,
            CLOUDAXIS,
            AXIS2,
            LUCI,
            ROUTEROS,
            SYNOLOGY,
            PRINTER,
            TPLINK_401,
            SPA,
        ]
    }

    #[test]
    fn every_prefix_of_every_fixture() {
        // The body of an answer may be cut anywhere by the caller's cap.
        for raw in all_fixtures() {
            let (head, len) = parse_head(raw).unwrap().unwrap();
            for cut in 0..=raw.len() {
                let _ = title(&raw[..cut]);
                let body = &raw[len.min(cut)..cut];
                for path in ["/", probe_paths()[0]] {
                    check(&classify(&[Observation::new(path, &head, body)]));
                }
            }
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let alphabet: &[u8] = b"<>/&;#x0123456789aAtTiIlLeE \"'=:\r\n\t{}[]";
        for _ in 0..3000 {
            let body = rng.bytes(300, alphabet);
            let t = title(&body);
            if let Some(t) = &t {
                assert!(!t.is_empty() && t.chars().count() <= MAX_TITLE_CHARS);
                assert!(!t.chars().any(char::is_control), "{t:?}");
                assert_eq!(t.trim(), t);
            }
            let text =
                |rng: &mut XorShift| String::from_utf8_lossy(&rng.bytes(40, alphabet)).into_owned();
            let (path, server, realm, ct, ttl) = (
                text(&mut rng),
                text(&mut rng),
                text(&mut rng),
                text(&mut rng),
                text(&mut rng),
            );
            let headers = vec![
                (text(&mut rng), text(&mut rng)),
                ("WWW-Authenticate".to_string(), text(&mut rng)),
                ("Content-Type".to_string(), text(&mut rng)),
            ];
            let status = (rng.next() % 600) as u16;
            let pick = rng.next();
            let obs = Observation {
                path: &path,
                status,
                server: (pick & 1 == 0).then_some(server.as_str()),
                realm: (pick & 2 == 0).then_some(realm.as_str()),
                content_type: (pick & 4 == 0).then_some(ct.as_str()),
                title: (pick & 8 == 0).then_some(ttl.as_str()),
                body: &body,
                headers: &headers,
            };
            check(&classify(&[
                obs,
                Observation {
                    path: "/",
                    status: 200,
                    ..obs
                },
            ]));
        }
        // Mutated fixtures: real markers with junk spliced in.
        for raw in all_fixtures() {
            let (head, len) = parse_head(raw).unwrap().unwrap();
            for _ in 0..20 {
                let mut body = raw[len..].to_vec();
                if !body.is_empty() {
                    let at = (rng.next() as usize) % body.len();
                    body.splice(at..at, rng.bytes(8, alphabet));
                }
                check(&classify(&[Observation::new("/", &head, &body)]));
            }
        }
    }

    #[test]
    fn the_table_is_well_formed() {
        // Every vendor is the registry's (one spelling: data/vendors.yaml), every `path` condition
        // is probed, and every probe reveals a vendor that has a signature.
        let k = knowledge::embedded();
        for s in &k.signatures {
            assert!(!s.source.trim().is_empty(), "{} has no source", s.product);
            assert!(!s.all.is_empty() && s.confidence <= 100, "{}", s.product);
            if let Some(v) = &s.vendor {
                assert!(k.vendor(v).is_some(), "vendor {v} is not in the registry");
            } else {
                assert!(
                    s.kind == Kind::Generic || s.kind == Kind::VideoServer,
                    "{}",
                    s.product
                );
            }
            for m in &s.all {
                if let Path(p) = m {
                    assert!(k.probe_paths().contains(&p.as_str()), "{p} is not probed");
                }
            }
        }
        assert!(k.probe_paths().len() <= 12);
        for p in &k.probes {
            assert!(p.path.starts_with('/'), "{}", p.path);
            let who = p.vendor.as_deref();
            assert!(
                who.is_some() && k.signatures.iter().any(|s| s.vendor.as_deref() == who),
                "{who:?} has no signature"
            );
        }
    }

    #[test]
    fn a_user_signature_is_matched_and_wins_ties() {
        // The same Server header as a built-in signature of the same confidence: the user's is
        // listed first, so it wins the tie; its vendor is one the user file adds.
        let file = "vendors:\n  - id: acme\n    name: ACME\n    source: lab\nsignatures:\n  - vendor: acme\n    product: ACME recorder\n    kind: nvr\n    confidence: 90\n    all:\n      - server_prefix: App-webs\n    source: our relabelled NVR\n";
        let k: &'static Knowledge = Box::leak(Box::new(
            Knowledge::with_user_files(&[("acme.yaml".into(), file.into())]).unwrap(),
        ));
        let (head, len) = parse_head(HIK_ROOT).unwrap().unwrap();
        let fp = classify_with(k, &[Observation::new("/", &head, &HIK_ROOT[len..])]);
        assert_eq!(vendor_of(&fp), Some("acme"));
        assert_eq!(fp.vendor.map(VendorId::display_name), Some("ACME"));
        assert_eq!(
            (fp.kind, fp.product.as_deref()),
            (Kind::Nvr, Some("ACME recorder"))
        );
        assert!(
            has(
                &fp,
                "also matches Hikvision IP camera (App-webs): Server: App-webs/"
            ),
            "{fp:#?}"
        );
        // The built-in set alone still says Hikvision.
        assert_eq!(vendor_of(&root(HIK_ROOT)), Some("hikvision"));
    }
}
