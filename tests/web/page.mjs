// The web page of `camscan serve` in a real browser (Debian's Chromium, headless, driven by
// playwright-core over the DevTools protocol), run by tests/web.rs, which owns the lab.
//
// Environment: CAMSCAN_BASE (http://127.0.0.219:PORT), CAMSCAN_SHOTS (screenshot directory),
// BROWSER_NODE (the directory playwright-core is installed in), CHROMIUM (the browser binary),
// CAMSCAN_CAMERA_A / CAMSCAN_CAMERA_B (the lab cameras' addresses, in the inventory),
// CAMSCAN_CAMERA_C (a lab camera the inventory does not know: the scan form finds it),
// CAMSCAN_ALLOW (the server's --allow-targets).
//
// The test talks to its runner on stdin/stdout: it prints `STEP <name> <arg>` when it needs the
// runner to change the world (stop a camera, write hostile strings into the store) and waits for
// a line `GO`; it prints `FIGURE <name> <value>` for what it measured and `PASS` at the end. Any
// failed check throws: the exit code is not 0 and the reason is on stderr.

import { createRequire } from "node:module";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const BASE = env("CAMSCAN_BASE");
const SHOTS = env("CAMSCAN_SHOTS");
const A = env("CAMSCAN_CAMERA_A");
const B = env("CAMSCAN_CAMERA_B");
const NOT_A_CAMERA = env("CAMSCAN_NOT_A_CAMERA");
const HOSTNAME_A = env("CAMSCAN_HOSTNAME_A");
const C = env("CAMSCAN_CAMERA_C");
const ALLOW = env("CAMSCAN_ALLOW");
const require = createRequire(join(env("BROWSER_NODE"), "package.json"));
const { chromium } = require("playwright-core");

// A hard limit of its own, below the runner's.
setTimeout(() => {
  console.error("page.mjs: no result within 210 s");
  process.exit(3);
}, 210_000).unref();

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function step(name, arg) {
  console.log(`STEP ${name} ${arg}`);
  const { value, done } = await lines.next();
  if (done || value.trim() !== "GO") throw new Error(`runner did not say GO after ${name}: ${value}`);
}

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

const profile = mkdtempSync(join(tmpdir(), "camscan-chromium-"));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: env("CHROMIUM"),
  headless: true,
  args: ["--headless=new", "--no-sandbox", "--disable-gpu"],
  viewport: { width: 1360, height: 860 },
});
try {
  const page = ctx.pages()[0] || (await ctx.newPage());
  const errors = [];
  page.on("pageerror", (e) => {
    errors.push(`pageerror: ${e.message}`);
    console.error(`page.mjs: pageerror: ${e.message}`);
  });
  // Every Content-Security-Policy violation (inline script or style the page would need, or
  // markup a device string injected) is recorded on the page and read back at the end.
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  const ready = (view) => page.waitForSelector(`body[data-view=${view}]`, { timeout: 20_000 });

  // The list: both lab cameras, with their addresses, states and streams.
  await page.goto(`${BASE}/`);
  await ready("list");
  // Every device first: the two cameras and the web site that is none.
  const everything = await page.$$eval("table.devices tbody tr", (trs) => trs.map((tr) => tr.innerText));
  check(everything.length === 3 && everything.some((t) => t.includes(NOT_A_CAMERA)), `all three devices: ${JSON.stringify(everything)}`);
  // Cameras only, remembered across a reload (the rest of this script runs with it on).
  await page.click("button[data-cameras=true]");
  await page.reload();
  await ready("list");
  check((await page.getAttribute("button[data-cameras=true]", "aria-pressed")) === "true", "the Cameras filter is remembered");
  const rows = await page.$$eval("table.devices tbody tr", (trs) =>
    trs.map((tr) => ({ id: Number(tr.dataset.id), text: tr.innerText })));
  check(rows.length === 2, `two cameras listed: ${JSON.stringify(rows)}`);
  // The name a person reads: the label, else the host name (A), else the address (B).
  const names = await page.$$eval("table.devices a.name", (as) => as.map((a) => a.textContent));
  check(names.includes(HOSTNAME_A) && names.includes(B), `the names are the host name and the address: ${JSON.stringify(names)}`);
  const rowA = rows.find((r) => r.text.includes(A));
  const rowB = rows.find((r) => r.text.includes(B));
  check(rowA && rowB, `the list shows ${A} and ${B}: ${JSON.stringify(rows)}`);
  check(rows.every((r) => r.text.includes("online") && r.text.includes("1 / 1")), `online, one stream up each: ${JSON.stringify(rows)}`);
  const timing = await page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const mark = performance.getEntriesByName("camscan-ready-list")[0];
    return { dcl: nav.domContentLoadedEventEnd, ready: mark ? mark.startTime : null };
  });
  console.log(`FIGURE list_dom_content_loaded_ms ${timing.dcl.toFixed(0)}`);
  console.log(`FIGURE list_ready_ms ${timing.ready === null ? "none" : timing.ready.toFixed(0)}`);
  // Filtering and sorting without a request.
  await page.fill("input[type=search]", B);
  check((await page.$$("table.devices tbody tr")).length === 1, "the filter keeps one row");
  await page.fill("input[type=search]", "");
  await page.click("th[data-key=address]");
  let order = await page.$$eval("table.devices tbody tr", (trs) => trs.map((tr) => Number(tr.dataset.id)));
  check(order[0] === rowA.id, `sorted by address ascending: ${order}`);
  await page.click("th[data-key=address]");
  order = await page.$$eval("table.devices tbody tr", (trs) => trs.map((tr) => Number(tr.dataset.id)));
  check(order[0] === rowB.id, `then descending: ${order}`);
  await page.click("th[data-key=address]");
  await page.screenshot({ path: join(SHOTS, "list-light.png") });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: join(SHOTS, "list-dark.png") });
  await page.emulateMedia({ colorScheme: "light" });
  // The toggle overrides the system's preference, and is remembered across a reload.
  await page.click("#theme"); // auto -> light
  await page.click("#theme"); // light -> dark
  check((await page.getAttribute("html", "data-theme")) === "dark", "the toggle chose dark");
  await page.reload();
  await ready("list");
  check((await page.getAttribute("html", "data-theme")) === "dark", "dark remembered");
  await page.click("#theme"); // dark -> auto
  check((await page.getAttribute("html", "data-theme")) === null, "back to the system's");

  // Camera A's page, reached by its link (client-side routing): its stream with a copy button,
  // availability, and a chart per figure with the watcher's checks as points.
  await page.click(`tr[data-id="${rowA.id}"] a.name`);
  await ready("device");
  check(new URL(page.url()).pathname === `/devices/${rowA.id}`, `the URL is the device's: ${page.url()}`);
  const streams = await page.$$eval("table.streams tbody tr", (trs) => trs.map((tr) => tr.innerText));
  check(streams.length === 1 && streams[0].includes(`rtsp://${A}:8554/`), `A's stream: ${streams}`);
  check((await page.$$("table.streams button")).length === 1, "a copy button");
  const charts = await page.$$eval("svg.chart", (svgs) => svgs.map((s) => s.querySelectorAll("circle.pt").length));
  check(charts.length === 3 && charts.every((n) => n >= 2), `three charts with points: ${charts}`);
  check((await page.$$("svg.avail rect.online")).length >= 1, "an online span in the availability");
  check((await page.$$("li[data-kind=device_new]")).length === 1, "the device_new event");
  check((await page.textContent(".snapshot")).includes("No snapshot") || (await page.$(".snapshot img")) !== null, "a snapshot box");
  // What it can do: the stream that records and detects (the only one, so both), how a browser
  // plays it (GStreamer's H.264: everywhere), and what the talk-back check found.
  const caps = await page.$$eval("#device-capabilities dt", (dts) =>
    Object.fromEntries(dts.map((dt) => [dt.innerText.trim(), dt.nextElementSibling.innerText])));
  check((caps.Record || "").includes(`rtsp://${A}:8554/`) && (caps.Record || "").includes("the main stream"), `the record stream: ${JSON.stringify(caps)}`);
  check((caps.Detect || "").includes(`rtsp://${A}:8554/`), `the detect stream: ${JSON.stringify(caps)}`);
  check((caps["In a browser"] || "").startsWith("everywhere"), `browser playback: ${JSON.stringify(caps)}`);
  const deviceReady = await page.evaluate(() => performance.now());
  console.log(`FIGURE device_page_checks ${charts.join(",")}`);
  await page.screenshot({ path: join(SHOTS, "device.png"), fullPage: true });
  // A deep link answers the same page.
  const direct = await ctx.newPage();
  await direct.goto(`${BASE}/devices/${rowA.id}`);
  await direct.waitForSelector("body[data-view=device]", { timeout: 20_000 });
  check((await direct.$$("svg.chart")).length === 3, "the deep link shows the device");
  // The device's verified stream has a Live button; the live page plays it (an H.264 camera
  // without B-frames: WebRTC) full window, with its facts over the picture.
  await direct.click("table.streams a.btn[href^='/live/']");
  // (The body itself has no height there: the stage is fixed to the window.)
  await direct.waitForSelector("body[data-view=live]", { state: "attached", timeout: 20_000 });
  await direct.waitForFunction(() => window.camscanLive && window.camscanLive.state === "playing", null, { timeout: 30_000 });
  const live = await direct.evaluate(async () => ({ mode: window.camscanLive.mode, info: document.getElementById("live-info").textContent,
    why: document.getElementById("live-info").title,
    preview: await fetch(`/api/v1/streams/${location.pathname.split("/").pop()}/preview`).then((r) => r.text()) }));
  check(live.mode === "webrtc", `the live page prefers WebRTC for H.264 without B-frames: ${live.mode} ${live.why} ${live.preview}`);
  check(live.info.includes("H.264") && live.info.includes("640\u00d7360"), `the live facts: ${live.info}`);
  check(await direct.evaluate(() => getComputedStyle(document.querySelector(".topbar")).display === "none"), "the live page fills the window");
  await direct.screenshot({ path: join(SHOTS, "live-from-device.png") });
  await direct.close();

  // A camera stops while its page is open: the watcher's checks fail, the event arrives over
  // the event stream and shows without a reload.
  await page.evaluate(() => { window.__noReload = true; });
  await step("stop-camera", A);
  const t = Date.now();
  await page.waitForSelector("ol.timeline li[data-kind=stream_down], ol.timeline li[data-kind=device_offline]", { timeout: 60_000 });
  console.log(`FIGURE event_shown_after_stop_ms ${Date.now() - t}`);
  check(await page.evaluate(() => window.__noReload === true), "no reload");
  // The stream's state follows (read again after the event).
  await page.waitForFunction(() => {
    const b = document.querySelector("table.streams tbody .badge");
    return b && b.textContent === "down";
  }, null, { timeout: 20_000 });
  check(deviceReady > 0, "device page timing");

  // Hostile strings from a device: rendered as text, never as markup, nothing runs.
  await page.click("a#nav-devices");
  await ready("list");
  const hostileName = '<img src=x onerror="window.__xss=1">';
  await step("hostile", String(rowB.id));
  // The runner's event for B arrives live; its row is read again with the new name.
  await page.waitForFunction((name) => [...document.querySelectorAll("table.devices a.name")].some((a) => a.textContent === name), hostileName, { timeout: 30_000 });
  await page.click(`tr[data-id="${rowB.id}"] a.name`);
  await ready("device");
  check((await page.textContent("h1.device-title")) === hostileName, "the name is shown as text");
  check((await page.textContent("dl.facts:not(.capabilities)")).includes("<script>window.__xss=2</script>"), "the vendor is shown as text");
  const timeline = await page.textContent("ol.timeline");
  check(timeline.includes("<script>window.__xss=3</script>") && timeline.includes("<svg onload=window.__xss=5>"), "the event's strings as text");
  check((await page.$$("img[src=x], svg[onload], main script")).length === 0, "no element made from a device string");

  // The scan form above the list: the server's options (allowed targets, ports, credential
  // names) as it answers them.
  await page.click("a#nav-devices");
  await ready("list");
  check(await page.isVisible("#actions form.scan-form"), "the scan form is shown above the list");
  const opts = await page.evaluate(() => fetch("/api/v1/scans/options").then((r) => r.json()));
  check(JSON.stringify(opts.allow_targets) === JSON.stringify([ALLOW]) && opts.ports === "8554", `the server's options: ${JSON.stringify(opts)}`);
  await page.waitForFunction((a) => document.getElementById("scan-hint").textContent.includes(a), ALLOW, { timeout: 10_000 });
  check((await page.getAttribute("#scan-ports", "placeholder")) === "8554", "the server's ports as the placeholder");
  const credNames = await page.$$eval("#scan-credentials option", (os) => os.map((o) => o.value));
  check(credNames.length > 0 && JSON.stringify(credNames) === JSON.stringify(opts.credentials), `the credential names: ${credNames}`);
  // Issue 82: the server was started with --credentials, so the form starts on its set (what a
  // scan asked without one runs with), not on "none".
  const credChosen = await page.$eval("#scan-credentials", (s) => s.value);
  check(opts.default_credentials === "default" && credChosen === "default", `the form's credentials: ${credChosen} (options ${JSON.stringify(opts)})`);
  check(await page.isHidden(".job"), "no job shown before a scan");

  // A target outside --allow-targets: the server's 403 detail, shown as text.
  await page.fill("#scan-targets", "127.0.0.1");
  await page.click(".scan-form button[type=submit]");
  await page.waitForSelector(".form-error:not([hidden])", { timeout: 10_000 });
  const refused = await page.textContent(".form-error");
  check(refused.includes("outside what this server may scan") && refused.includes(ALLOW), `the 403 detail: ${refused}`);
  check((await page.getAttribute(".form-error", "data-status")) === "403", "status 403");
  check(await page.isHidden(".job"), "no job for a refused scan");
  check(await page.isEnabled(".scan-form button[type=submit]"), "the button is usable again");

  // A scan of camera C (not in the inventory): its progress from the event stream's `event: scan`
  // to "done", and the new device in the list, all without a reload.
  check(!(await page.textContent("table.devices tbody")).includes(C), `${C} is not listed before its scan`);
  await page.evaluate(() => {
    window.__noReload = "scan";
    window.__jobStates = [];
    const job = document.querySelector(".job");
    new MutationObserver(() => {
      const last = window.__jobStates[window.__jobStates.length - 1];
      const now = `${job.dataset.state} ${job.querySelector(".figures").textContent}`;
      if (now !== last) window.__jobStates.push(now);
    }).observe(job, { attributes: true, subtree: true, childList: true, characterData: true });
  });
  await page.fill("#scan-targets", ` ${C}, `);
  const scanStart = Date.now();
  await page.click(".scan-form button[type=submit]");
  await page.waitForSelector(".job[data-state]", { timeout: 10_000 });
  check(await page.isHidden(".form-error"), "the error is gone");
  check(await page.isDisabled(".scan-form button[type=submit]") || (await page.getAttribute(".job", "data-state")) !== "running", "no second scan while one runs");
  await page.waitForSelector(".job[data-state=done]", { timeout: 90_000 });
  console.log(`FIGURE scan_done_shown_ms ${Date.now() - scanStart}`);
  const states = await page.evaluate(() => window.__jobStates);
  console.log(`FIGURE scan_job_updates ${JSON.stringify(states)}`);
  check(states[0].startsWith("running") && states[states.length - 1].startsWith("done"), `running, then done: ${JSON.stringify(states)}`);
  // The counts only grow, whatever the order the POST's answer and the stream's messages came in.
  const done = states.map((x) => Number(/probes (\d+)/.exec(x)[1]));
  check(done.every((n, i) => i === 0 || n >= done[i - 1]), `progress never goes back: ${JSON.stringify(states)}`);
  const bar = await page.$eval(".job progress", (p) => ({ value: p.value, max: p.max }));
  // One host, one port: the job counts its probes (one at least) and the bar ends full.
  const jobId = await page.getAttribute(".job", "data-job");
  const job = await page.evaluate((id) => fetch(`/api/v1/scans/jobs/${id}`).then((r) => r.json()), jobId);
  check(job.state === "done" && job.probes_total >= 1 && bar.max === job.probes_total && bar.value === bar.max, `the bar at its end: ${JSON.stringify(bar)}, job ${JSON.stringify(job)}`);
  const figures = await page.textContent(".job .figures");
  check(figures.includes(`probes ${bar.max} / ${bar.max}`) && figures.includes("hosts 1 / 1") && figures.includes("1 device found"), `the job's figures: ${figures}`);
  const scanHref = await page.getAttribute(".job a.scan-link", "href");
  check(/^\/api\/v1\/diff\?to=\d+$/.test(scanHref || ""), `a link to the scan: ${scanHref}`);
  const diffStatus = await page.evaluate((h) => fetch(h).then((r) => r.status), scanHref);
  check(diffStatus === 200, `the scan's link answers: ${diffStatus}`);
  await page.waitForFunction((c) => [...document.querySelectorAll("table.devices tbody tr")].some((tr) => tr.innerText.includes(c)), C, { timeout: 30_000 });
  console.log(`FIGURE scan_device_listed_ms ${Date.now() - scanStart}`);
  check(await page.evaluate(() => window.__noReload === "scan"), "no reload during the scan");
  const after = await page.$$eval("table.devices tbody tr", (trs) => trs.map((tr) => tr.innerText));
  check(after.length === 3, `three devices listed: ${JSON.stringify(after)}`);
  check(after.some((t) => t.includes(C) && t.includes("online") && t.includes("1 / 1")), `${C} online with its stream: ${JSON.stringify(after)}`);
  await page.screenshot({ path: join(SHOTS, "scan.png") });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: join(SHOTS, "scan-dark.png") });
  await page.emulateMedia({ colorScheme: "light" });

  // Issue 82: a second scan of C from the page finds it unchanged (no event names it), and the
  // list is read again when the job ends: its "last seen" is the new scan's, without a reload.
  const seenOf = (c) => page.evaluate((c) => {
    const col = [...document.querySelectorAll("table.devices thead th")].findIndex((th) => th.textContent.trim() === "Last seen");
    const tr = [...document.querySelectorAll("table.devices tbody tr")].find((r) => r.innerText.includes(c));
    const span = tr && tr.children[col] && tr.children[col].querySelector("span.rel");
    return span ? span.dataset.ts : null;
  }, c);
  const seenBefore = await seenOf(C);
  check(seenBefore, `${C}'s last seen is shown`);
  // The server starts an API scan at most every 10 s (serve::scans::MIN_GAP).
  await page.waitForTimeout(Math.max(1100, 10_500 - (Date.now() - scanStart)));
  await page.fill("#scan-targets", C);
  await page.click(".scan-form button[type=submit]");
  await page.waitForFunction((old) => {
    const j = document.querySelector(".job");
    return j && j.dataset.job && j.dataset.job !== old && j.dataset.state === "done";
  }, jobId, { timeout: 90_000 });
  // The second scan began at least 10 s after the first: the row's time is the new scan's (or,
  // as the watcher's stream checks keep seeing C, later still), never the first's.
  try {
    await page.waitForFunction(([c, before]) => {
      const col = [...document.querySelectorAll("table.devices thead th")].findIndex((th) => th.textContent.trim() === "Last seen");
      const tr = [...document.querySelectorAll("table.devices tbody tr")].find((r) => r.innerText.includes(c));
      const span = tr && tr.children[col] && tr.children[col].querySelector("span.rel");
      return span && Date.parse(span.dataset.ts) > Date.parse(before) + 5000;
    }, [C, seenBefore], { timeout: 10_000 });
  } catch (_) {
    check(false, `the list shows ${C} seen by the page's second scan, not last seen ${await seenOf(C)} (before it: ${seenBefore})`);
  }
  check(await page.evaluate(() => window.__noReload === "scan"), "no reload after the second scan");

  // The download links: each a plain link with `download`, each answering its format.
  const TYPES = {
    json: "application/json", csv: "text/csv", xml: "application/xml", yaml: "application/yaml",
    ndjson: "application/x-ndjson", m3u: "audio/x-mpegurl", go2rtc: "application/yaml",
    frigate: "application/yaml", mediamtx: "application/yaml", "ha-sheet": "text/plain",
  };
  const links = await page.$$eval(".downloads a", (as) => as.map((a) => ({ href: a.getAttribute("href"), download: a.hasAttribute("download") })));
  check(links.length === Object.keys(TYPES).length && links.every((l) => l.download), `a download link per format: ${JSON.stringify(links)}`);
  const answers = await page.evaluate((hrefs) => Promise.all(hrefs.map(async (h) => {
    const r = await fetch(h, { credentials: "same-origin" });
    const body = await r.text();
    return { h, status: r.status, type: r.headers.get("content-type"), disposition: r.headers.get("content-disposition"), body };
  })), links.map((l) => l.href));
  for (const a of answers) {
    const format = a.h.split("/").pop();
    check(a.status === 200, `${a.h} answers 200: ${a.status}`);
    check((a.type || "").startsWith(TYPES[format]), `${a.h} is ${TYPES[format]}: ${a.type}`);
    check((a.disposition || "").startsWith("attachment"), `${a.h} is an attachment: ${a.disposition}`);
    check(a.body.includes(C), `${a.h} names the scanned camera ${C}`);
  }
  console.log(`FIGURE export_bytes ${answers.map((a) => `${a.h.split("/").pop()}=${a.body.length}`).join(",")}`);

  await page.waitForTimeout(500);
  check(await page.evaluate(() => window.__xss === undefined), "no script ran");
  const csp = await page.evaluate(() => window.__csp);
  check(csp.length === 0, `no CSP violations: ${JSON.stringify(csp)}`);
  check(errors.length === 0, `no page errors: ${errors}`);
  console.log("PASS");
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
  lines.return && lines.return();
  process.stdin.destroy();
}
