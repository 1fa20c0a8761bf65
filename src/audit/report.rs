//! The handover report (`camscan audit -f html`): one self-contained HTML file a customer reads:
//! no script, no font, no fetch (the pictures are inside it as `data:` URIs), so it opens from a
//! USB stick and prints to a clean PDF (a print style sheet: A4, one camera never split across
//! pages, colours kept).
//!
//! A summary first (cameras planned, found and verified; findings by severity), the
//! commissioning table, then each camera: its picture ([`super::thumbnail`]) or why it has none,
//! its identity, its streams with their facts and state, its findings with their fixes; then the
//! devices that are no cameras but have findings. Every string a device sent goes through
//! [`sanitize::html`] (a camera's name is as hostile as any other byte from the network).

use std::fmt::Write as _;
use std::io::{self, Write};

use base64::Engine as _;

use super::plan::{Commissioning, PlanResult, PlanState};
use super::thumbnail::{Pictures, Thumbnail};
use super::{AuditReport, Finding, Severity, is_camera};
use model::{Device, Stream, StreamStatus};
use sanitize::html as escape;

/// The page's look, screen and print.
const STYLE: &str = r#"
:root { --ink:#1d2430; --muted:#5b6575; --line:#d9dee6; --bg:#f6f7f9; --card:#fff;
  --critical:#7a0b1e; --high:#c0392b; --medium:#d68910; --low:#2e86c1; --info:#7f8c8d; --ok:#1e8449; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--ink); background: var(--bg); }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
header.report { border-bottom: 3px solid var(--ink); margin-bottom: 18px; padding-bottom: 10px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 28px 0 10px; }
h3 { font-size: 16px; margin: 0 0 6px; }
.meta { color: var(--muted); margin: 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(120px, 1fr)); gap: 10px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card .n { font-size: 26px; font-weight: 700; display: block; }
.card .l { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card.sev .n { color: var(--c); }
table { width: 100%; border-collapse: collapse; background: var(--card); }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
td.url, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; word-break: break-all; }
.badge { display: inline-block; border-radius: 4px; padding: 1px 7px; font-size: 12px; font-weight: 600;
  color: #fff; background: var(--c, var(--info)); white-space: nowrap; }
.critical { --c: var(--critical); } .high { --c: var(--high); } .medium { --c: var(--medium); }
.low { --c: var(--low); } .info { --c: var(--info); } .ok { --c: var(--ok); }
.state-ok { color: var(--ok); font-weight: 600; } .state-bad { color: var(--high); font-weight: 600; } .state-unverified { color: var(--medium); font-weight: 600; }
article.device { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px;
  margin: 0 0 14px; display: grid; grid-template-columns: 330px 1fr; gap: 16px; }
article.device.nocam { grid-template-columns: 1fr; }
figure { margin: 0; }
figure img { width: 320px; max-width: 100%; border-radius: 6px; border: 1px solid var(--line); display: block; background: #000; }
figcaption { color: var(--muted); font-size: 12px; margin-top: 4px; }
.nopic { width: 320px; height: 180px; border: 1px dashed var(--line); border-radius: 6px; display: flex;
  align-items: center; justify-content: center; text-align: center; padding: 10px; color: var(--muted);
  font-size: 12px; background: var(--bg); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0 0 10px; }
dt { color: var(--muted); } dd { margin: 0; }
.finding { border-left: 4px solid var(--c); padding: 4px 0 4px 10px; margin: 8px 0; }
.finding p { margin: 2px 0; }
.finding .k { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; margin-right: 4px; }
.clean { color: var(--ok); font-weight: 600; }
footer { color: var(--muted); font-size: 12px; margin-top: 30px; border-top: 1px solid var(--line); padding-top: 8px; }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { background: #fff; font-size: 11px; }
  main { max-width: none; padding: 0; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  article.device { break-inside: avoid; page-break-inside: avoid; border-color: #bbb; grid-template-columns: 250px 1fr; }
  figure img, .nopic { width: 240px; }
  .nopic { height: 135px; }
  h2 { break-after: avoid; page-break-after: avoid; }
  tr { break-inside: avoid; }
  .card { border-color: #bbb; }
}
"#;

fn esc_opt(s: Option<&str>) -> String {
    s.map(escape).unwrap_or_else(|| "—".into())
}

/// The report. `pictures` has each camera's picture or why there is none; `None` when no
/// picture was asked (`--from-db` sends nothing; `--no-thumbnails`), with the reason.
pub fn html(
    r: &AuditReport,
    pictures: Result<&Pictures, &str>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut h = String::with_capacity(64 * 1024);
    let site = r.site.as_deref().unwrap_or("");
    let when = r
        .report
        .finished_at
        .get(..16)
        .unwrap_or(&r.report.finished_at)
        .replace('T', " ");
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"camscan {}\">\n\
         <title>Camera installation report{}{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        escape(&r.camscan_version),
        if site.is_empty() { "" } else { ": " },
        escape(site),
    );
    let source = if r.source == "inventory" {
        "the inventory (nothing sent)"
    } else {
        "a scan"
    };
    let _ = write!(
        h,
        "<header class=\"report\"><h1>Camera installation report</h1>\n<p class=\"meta\">\
         Site <b>{}</b> · {} UTC · from {source} of {} · camscan {}{}</p></header>\n",
        escape(if site.is_empty() { "—" } else { site }),
        escape(&when),
        match r.report.targets.join(", ") {
            t if t.is_empty() => "the inventory".to_string(),
            t => escape(&t),
        },
        escape(&r.camscan_version),
        if r.report.complete {
            ""
        } else {
            " · <b>the scan was interrupted: this report is incomplete</b>"
        }
    );
    summary(&mut h, r);
    if let Some(c) = &r.commissioning {
        commissioning(&mut h, c);
    }
    findings_overview(&mut h, r);
    coverage(&mut h, r);

    let cameras: Vec<&Device> = r.report.devices.iter().filter(|d| is_camera(d)).collect();
    let _ = writeln!(h, "<h2 id=\"cameras\">Cameras ({})</h2>", cameras.len());
    if cameras.is_empty() {
        h.push_str("<p>No camera was found.</p>\n");
    }
    for d in &cameras {
        device(&mut h, r, d, Some(pictures.map(|p| p.get(&d.ip))));
    }
    let others: Vec<&Device> = r
        .report
        .devices
        .iter()
        .filter(|d| !is_camera(d) && r.findings.iter().any(|f| f.device.address == d.ip))
        .collect();
    if !others.is_empty() {
        let _ = writeln!(
            h,
            "<h2 id=\"others\">Other devices with findings ({})</h2>",
            others.len()
        );
        for d in others {
            device(&mut h, r, d, None);
        }
    }
    let _ = write!(
        h,
        "<footer>Made by camscan {} (read only: no setting of any device was changed). \
         Severities: critical and high want fixing before handover; medium soon; low and info are \
         for the record. Each finding names its source; the fixes are for any maker, with the \
         maker's own setting where known.</footer>\n</main>\n</body>\n</html>\n",
        escape(&r.camscan_version)
    );
    out.write_all(h.as_bytes())
}

/// What the audit could not judge: the advisories camscan checks only in part, and what the
/// inventory does not keep (an audit `--from-db`).
fn coverage(h: &mut String, r: &AuditReport) {
    let partial = super::render::partial_coverage(r);
    if !partial.is_empty() {
        h.push_str(
            "<h2 id=\"coverage\">Advisory coverage is partial</h2>\n<p>No firmware-advisory \
             finding does not mean not affected: these advisories list more than camscan \
             checks.</p>\n<ul class=\"coverage\">\n",
        );
        for p in &partial {
            let _ = writeln!(
                h,
                "<li><b>{}</b> ({}): {} leaves out {} <span class=\"source\">{}</span></li>",
                escape(&p.maker),
                escape(&p.addresses.join(", ")),
                escape(&p.advisory),
                escape(&p.left_out),
                escape(&p.source)
            );
        }
        h.push_str("</ul>\n");
    }
    if !r.not_checked.is_empty() {
        h.push_str(
            "<h2 id=\"not-checked\">Not checked</h2>\n<p>Judged from the inventory, which does \
             not keep everything a scan sees.</p>\n<ul class=\"coverage\">\n",
        );
        for n in &r.not_checked {
            let _ = writeln!(
                h,
                "<li><b>{}</b>: {}</li>",
                escape(&n.checks.join(", ")),
                escape(&n.why)
            );
        }
        h.push_str("</ul>\n");
    }
}

fn summary(h: &mut String, r: &AuditReport) {
    let s = &r.summary;
    h.push_str("<h2 id=\"summary\">Summary</h2>\n<div class=\"cards\">\n");
    let card = |h: &mut String, n: usize, label: &str, class: &str| {
        let _ = writeln!(
            h,
            "<div class=\"card {class}\"><span class=\"n\">{n}</span><span class=\"l\">{label}</span></div>"
        );
    };
    if let Some(c) = &r.commissioning {
        card(h, c.planned, "cameras planned", "");
    }
    card(h, s.cameras, "cameras found", "");
    card(h, s.verified, "verified playing", "");
    for level in Severity::DESCENDING {
        let n = match level {
            Severity::Critical => s.critical,
            Severity::High => s.high,
            Severity::Medium => s.medium,
            Severity::Low => s.low,
            Severity::Info => s.info,
        };
        card(h, n, level.as_str(), &format!("sev {}", level.as_str()));
    }
    h.push_str("</div>\n");
}

fn state_badge(state: PlanState) -> String {
    let class = match state {
        PlanState::Ok => "ok",
        PlanState::Mismatch => "medium",
        PlanState::Missing => "high",
    };
    format!("<span class=\"badge {class}\">{}</span>", state.as_str())
}

fn differences(p: &PlanResult) -> String {
    p.differences
        .iter()
        .map(|d| {
            format!(
                "{}: planned {}, found {}",
                escape(&d.fact),
                escape(&d.planned),
                escape(&d.found)
            )
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

fn commissioning(h: &mut String, c: &Commissioning) {
    let _ = writeln!(
        h,
        "<h2 id=\"commissioning\">Commissioning against the plan</h2>\n<p>{} planned: {} ok, {} \
         mismatch, {} missing; {} found that the plan does not name.</p>",
        c.planned,
        c.ok,
        c.mismatch,
        c.missing,
        c.unexpected.len()
    );
    h.push_str(
        "<table class=\"commissioning\"><thead><tr><th>Planned</th><th>Address</th><th>MAC</th>\
         <th>Result</th><th>Differences</th></tr></thead><tbody>\n",
    );
    for p in &c.cameras {
        let name = p
            .planned
            .name
            .as_deref()
            .map(escape)
            .unwrap_or_else(|| format!("plan line {}", p.planned.line));
        let address = p
            .planned
            .address
            .map(|a| a.to_string())
            .or_else(|| p.found.as_ref().map(|f| f.address.to_string()))
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<tr><td>{name}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td></tr>",
            escape(&address),
            esc_opt(p.planned.mac.as_deref()),
            state_badge(p.state),
            differences(p)
        );
    }
    for u in &c.unexpected {
        let who = model::maker_and_model(u.vendor.as_deref(), u.model.as_deref())
            .map(|w| format!("not in the plan: {}", escape(&w)))
            .unwrap_or_else(|| "not in the plan".into());
        let _ = writeln!(
            h,
            "<tr><td>—</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td>\
             <td><span class=\"badge low\">unexpected</span></td><td>{who}</td></tr>",
            u.address,
            esc_opt(u.mac.as_deref()),
        );
    }
    h.push_str("</tbody></table>\n");
}

fn findings_overview(h: &mut String, r: &AuditReport) {
    let _ = writeln!(
        h,
        "<h2 id=\"findings\">Findings ({})</h2>",
        r.findings.len()
    );
    if r.findings.is_empty() {
        h.push_str("<p class=\"clean\">No finding: nothing seen that anyone on the network could watch, log into or take over.</p>\n");
        return;
    }
    h.push_str(
        "<table class=\"findings\"><thead><tr><th>Severity</th><th>Finding</th><th>Device</th>\
         <th>Where</th></tr></thead><tbody>\n",
    );
    for f in &r.findings {
        let who = model::maker_and_model(f.device.vendor.as_deref(), f.device.model.as_deref())
            .or_else(|| f.device.name.clone())
            .map(|w| format!(" ({})", escape(&w)))
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<tr><td><span class=\"badge {sev}\">{sev}</span></td><td>{}<br><span class=\"mono\">{}</span></td>\
             <td><a href=\"#dev-{addr}\">{addr}</a>{who}</td><td class=\"url\">{}</td></tr>",
            escape(&f.title),
            f.id.as_str(),
            escape(&where_(f)),
            sev = f.severity.as_str(),
            addr = f.device.address,
        );
    }
    h.push_str("</tbody></table>\n");
}

fn where_(f: &Finding) -> String {
    match (&f.stream, f.port) {
        (Some(s), _) => s.clone(),
        (None, Some(p)) => format!("port {p}"),
        (None, None) => String::new(),
    }
}

/// One device's card. `picture`: `None` for a device that is no camera (no picture asked);
/// `Some(Err(why))` when no picture was asked for the report; `Some(Ok(None))` when the camera
/// was not asked (it should have been); `Some(Ok(Some(..)))` its picture or why it has none.
#[allow(clippy::type_complexity)]
fn device(
    h: &mut String,
    r: &AuditReport,
    d: &Device,
    picture: Option<Result<Option<&Result<Thumbnail, String>>, &str>>,
) {
    let class = if picture.is_some() {
        "device"
    } else {
        "device nocam"
    };
    let _ = writeln!(h, "<article class=\"{class}\" id=\"dev-{}\">", d.ip);
    if let Some(p) = picture {
        device_picture(h, d, p);
    }
    h.push_str("<div class=\"facts\">\n");
    device_facts(h, r, d);
    device_streams(h, d);
    device_findings(h, r, d);
    h.push_str("</div>\n</article>\n");
}

/// The picture column of a device's card (see [`device`] for what `p` says).
fn device_picture(h: &mut String, d: &Device, p: Result<Option<&Result<Thumbnail, String>>, &str>) {
    h.push_str("<div class=\"pic\">");
    match p {
        Ok(Some(Ok(t))) => {
            let data = base64::engine::general_purpose::STANDARD.encode(&t.bytes);
            let codec = t
                .codec
                .as_deref()
                .map(|c| format!(" ({})", escape(&c.to_uppercase())))
                .unwrap_or_default();
            let _ = write!(
                h,
                "<figure><img src=\"data:{};base64,{data}\" alt=\"Picture of the camera at {}\">\
                 <figcaption>{}{codec} · {:.1} s · <span class=\"mono\">{}</span></figcaption></figure>",
                t.media_type,
                d.ip,
                t.how.as_str(),
                t.took.as_secs_f64(),
                escape(&t.from)
            );
        }
        Ok(Some(Err(why))) => {
            let _ = write!(h, "<div class=\"nopic\">No picture: {}</div>", escape(why));
        }
        Ok(None) => h.push_str("<div class=\"nopic\">No picture was taken.</div>"),
        Err(why) => {
            let _ = write!(h, "<div class=\"nopic\">No picture: {}</div>", escape(why));
        }
    }
    h.push_str("</div>\n");
}

/// The title and facts list of a device's card: addresses, maker, model, ports, its plan.
fn device_facts(h: &mut String, r: &AuditReport, d: &Device) {
    let title = model::maker_and_model(d.vendor.as_deref(), d.model.as_deref())
        .or_else(|| d.name.clone())
        .or_else(|| d.hostname.clone())
        .unwrap_or_else(|| d.ip.to_string());
    let _ = writeln!(h, "<h3>{}</h3>", escape(&title));
    h.push_str("<dl>");
    let row = |h: &mut String, k: &str, v: String| {
        let _ = write!(h, "<dt>{k}</dt><dd>{v}</dd>");
    };
    let addresses = if d.addresses.len() > 1 {
        d.addresses
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        d.ip.to_string()
    };
    row(
        h,
        "Address",
        format!("<span class=\"mono\">{}</span>", escape(&addresses)),
    );
    row(
        h,
        "MAC",
        format!("<span class=\"mono\">{}</span>", esc_opt(d.mac.as_deref())),
    );
    if let Some(n) = &d.name {
        row(h, "Name", escape(n));
    }
    if let Some(n) = &d.hostname {
        row(h, "Host name", escape(n));
    }
    row(h, "Maker", esc_opt(d.vendor.as_deref()));
    row(h, "Model", esc_opt(d.model.as_deref()));
    row(h, "Firmware", esc_opt(d.firmware.as_deref()));
    if let Some(s) = &d.serial {
        row(h, "Serial", escape(s));
    }
    if !d.open_ports.is_empty() {
        let ports: Vec<String> = d.open_ports.iter().map(u16::to_string).collect();
        row(h, "Open ports", ports.join(", "));
    }
    if let Some(c) = &r.commissioning
        && let Some(p) = c
            .cameras
            .iter()
            .find(|p| p.found.as_ref().is_some_and(|f| f.address == d.ip))
    {
        let name = p.planned.name.as_deref().map(escape).unwrap_or_default();
        let diff = differences(p);
        row(
            h,
            "Plan",
            format!(
                "{} {name}{}",
                state_badge(p.state),
                if diff.is_empty() {
                    String::new()
                } else {
                    format!("<br>{diff}")
                }
            ),
        );
    } else if let Some(c) = &r.commissioning
        && c.unexpected.iter().any(|u| u.address == d.ip)
    {
        row(
            h,
            "Plan",
            "<span class=\"badge low\">unexpected</span> not in the plan".into(),
        );
    }
    h.push_str("</dl>\n");
}

/// The streams table of a device's card (copies of a stream left out).
fn device_streams(h: &mut String, d: &Device) {
    let streams: Vec<&Stream> = d.streams.iter().filter(|s| s.same_as.is_none()).collect();
    if !streams.is_empty() {
        h.push_str(
            "<table class=\"streams\"><thead><tr><th>Stream</th><th>Video</th><th>Audio</th>\
             <th>State</th></tr></thead><tbody>\n",
        );
        for s in streams {
            let _ = writeln!(
                h,
                "<tr><td class=\"url\">{} {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                s.protocol.as_str().to_uppercase(),
                escape(&s.url),
                video(s),
                s.audio
                    .as_ref()
                    .map(|a| escape(&a.codec.to_uppercase()))
                    .unwrap_or_else(|| "—".into()),
                stream_state(d, s)
            );
        }
        h.push_str("</tbody></table>\n");
    }
}

/// The findings of a device's card, one block per finding id.
fn device_findings(h: &mut String, r: &AuditReport, d: &Device) {
    let mine: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.device.address == d.ip)
        .collect();
    if mine.is_empty() {
        h.push_str("<p class=\"clean\">No finding.</p>\n");
    }
    // One block per finding id: its instances (where, what was seen), then why, fix and source
    // once (a device with four open streams has one explanation, not four).
    let mut ids: Vec<super::FindingId> = Vec::new();
    for f in &mine {
        if !ids.contains(&f.id) {
            ids.push(f.id);
        }
    }
    for id in ids {
        let group: Vec<&&Finding> = mine.iter().filter(|f| f.id == id).collect();
        let f = group[0];
        let sev = group.iter().map(|f| f.severity).max().unwrap_or(f.severity);
        let _ = writeln!(
            h,
            "<div class=\"finding {sev}\"><p><span class=\"badge {sev}\">{sev}</span> <b>{}</b> \
             <span class=\"mono\">{}</span></p>",
            escape(&f.title),
            id.as_str(),
            sev = sev.as_str(),
        );
        for g in &group {
            let place = match where_(g) {
                // The evidence names it already (it usually does).
                w if w.is_empty() || g.evidence.contains(&w) => String::new(),
                w => format!("<span class=\"mono\">{}</span>: ", escape(&w)),
            };
            let _ = writeln!(
                h,
                "<p><span class=\"k\">Seen</span>{place}{}</p>",
                escape(&g.evidence)
            );
        }
        let _ = write!(
            h,
            "<p><span class=\"k\">Why</span>{}</p>\n<p><span class=\"k\">Fix</span>{}</p>\n",
            escape(&f.why),
            escape(&f.fix.split_whitespace().collect::<Vec<_>>().join(" ")),
        );
        if let Some(v) = &f.vendor_fix {
            let _ = writeln!(
                h,
                "<p><span class=\"k\">Maker's setting</span>{}</p>",
                escape(v)
            );
        }
        let _ = writeln!(
            h,
            "<p><span class=\"k\">Source</span>{}</p></div>",
            escape(&f.source)
        );
    }
}

fn video(s: &Stream) -> String {
    let Some(v) = &s.video else {
        return "—".into();
    };
    let mut out = escape(&v.codec.to_uppercase());
    if let (Some(w), Some(hh)) = (v.width, v.height) {
        let _ = write!(out, " {w}×{hh}");
    }
    let fps = s.measured.as_ref().and_then(|m| m.fps).or(v.fps);
    if let Some(f) = fps {
        let _ = write!(out, " {f:.0} fps");
    }
    out
}

/// A stream's state cell: `ok` played (as whom), `unverified` with why it is not known to play,
/// else the refusal or failure in words.
fn stream_state(d: &Device, s: &Stream) -> String {
    match s.status {
        StreamStatus::Ok => {
            let user = s
                .username
                .as_deref()
                .map(|u| format!(" (as {})", escape(u)))
                .unwrap_or_else(|| " (no login)".into());
            format!("<span class=\"state-ok\">verified playing</span>{user}")
        }
        StreamStatus::Unverified => format!(
            "<span class=\"state-unverified\">unverified</span>: {}",
            escape(&s.unverified_reason(&d.errors).unwrap_or_default())
        ),
        other => format!(
            "<span class=\"state-bad\">{}</span>",
            other.as_str().replace('_', " ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Context, thumbnail::How};
    use model::{Protocol, Report, VideoInfo};

    fn report(devices: Vec<Device>) -> AuditReport {
        let report = Report {
            schema_version: 1,
            camscan_version: "0.0.0".into(),
            started_at: "2026-11-25T08:00:00Z".into(),
            finished_at: "2026-11-25T08:00:04Z".into(),
            complete: true,
            targets: vec!["10.0.0.0/24".into()],
            plan: None,
            coverage: None,
            devices,
        };
        let ctx = Context {
            site: Some("north <b>".into()),
            now: 1_795_000_000,
        };
        AuditReport::new(report, "scan", &ctx, None)
    }

    fn camera(ip: &str, name: &str) -> Device {
        let mut d = Device::new(ip.parse().unwrap());
        d.is_camera = true;
        d.name = Some(name.into());
        let mut s = Stream::new(format!("rtsp://{ip}:554/live"), Protocol::Rtsp, 554);
        s.verified = true;
        s.video = Some(VideoInfo::new("h264".into()));
        d.streams.push(s);
        d
    }

    #[test]
    fn a_hostile_name_is_text_and_the_picture_is_inside() {
        let r = report(vec![
            camera("10.0.0.5", "<script>alert(1)</script>"),
            camera("10.0.0.6", "Yard"),
        ]);
        let mut pictures = Pictures::new();
        pictures.insert(
            "10.0.0.5".parse().unwrap(),
            Ok(Thumbnail {
                media_type: "image/jpeg",
                bytes: vec![0xFF, 0xD8, 0xFF, 0xE0],
                how: How::Keyframe,
                from: "rtsp://10.0.0.5:554/live".into(),
                codec: Some("h264".into()),
                took: std::time::Duration::from_millis(1500),
            }),
        );
        pictures.insert(
            "10.0.0.6".parse().unwrap(),
            Err("RTSP rtsp://10.0.0.6:554/live: ffmpeg <gave> no picture".into()),
        );
        let mut out = Vec::new();
        html(&r, Ok(&pictures), &mut out).unwrap();
        let page = String::from_utf8(out).unwrap();
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("Site <b>north &lt;b&gt;</b>"));
        assert!(page.contains("src=\"data:image/jpeg;base64,/9j/4A==\""));
        assert!(page.contains("video keyframe (H264) · 1.5 s"));
        assert!(
            page.contains(
                "No picture: RTSP rtsp://10.0.0.6:554/live: ffmpeg &lt;gave&gt; no picture"
            )
        );
        // Self-contained: nothing to fetch.
        for fetch in ["src=\"http", "href=\"http", "<link", "<script", "url("] {
            assert!(!page.contains(fetch), "{fetch} in {page}");
        }
        assert!(page.contains("@media print"));
        assert_eq!(page.matches("<article class=\"device\"").count(), 2);
    }

    #[test]
    fn no_pictures_asked_says_why_on_every_camera() {
        let r = report(vec![camera("10.0.0.5", "Gate")]);
        let mut out = Vec::new();
        html(&r, Err("--from-db sends nothing"), &mut out).unwrap();
        let page = String::from_utf8(out).unwrap();
        assert!(page.contains("No picture: --from-db sends nothing"));
        assert!(page.contains("stream-unauthenticated"));
    }
}
