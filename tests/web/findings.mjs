// The page's findings in a real browser (Debian's Chromium, headless, driven by playwright-core),
// run by tests/web_findings.rs, which owns the lab: GStreamer cameras on loopback that
// `camscan audit` judged into the inventory `camscan serve` serves.
//
// Environment: CAMSCAN_BASE (the server), CAMSCAN_SHOTS (screenshot directory), BROWSER_NODE,
// CHROMIUM, CAMSCAN_OPEN_CAMERA (the camera anyone can watch).
//
// Checks what a user sees against what the API says: the Findings view lists every open finding
// (rows = GET /api/v1/findings, grouped most severe first, each row's severity, device, id, title,
// evidence, fix and source), a device's page lists its own (= ?device=), and a finding an audit
// resolves while the page is open leaves it without a reload (STEP lock-camera: the runner makes
// the open camera ask for a password and audits again). Prints `PASS` at the end; any failed
// check throws.

import { createRequire } from "node:module";
import { mkdtempSync, rmSync } from "node:fs";
import { createInterface } from "node:readline";
import { tmpdir } from "node:os";
import { join } from "node:path";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const BASE = env("CAMSCAN_BASE");
const SHOTS = env("CAMSCAN_SHOTS");
const OPEN = env("CAMSCAN_OPEN_CAMERA");
const require = createRequire(join(env("BROWSER_NODE"), "package.json"));
const { chromium } = require("playwright-core");

setTimeout(() => {
  console.error("findings.mjs: no result within 200 s");
  process.exit(3);
}, 200_000).unref();

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

const stdin = createInterface({ input: process.stdin });
const lines = stdin[Symbol.asyncIterator]();
/** Ask the runner to change the world; wait for its GO. */
async function step(what) {
  console.log(`STEP ${what}`);
  const { value } = await lines.next();
  check(value === "GO", `the runner's answer to ${what}: ${value}`);
}

const ORDER = ["critical", "high", "medium", "low", "info"];

const profile = mkdtempSync(join(tmpdir(), "camscan-chromium-"));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: env("CHROMIUM"),
  headless: true,
  args: ["--headless=new", "--no-sandbox", "--disable-gpu"],
  viewport: { width: 1360, height: 900 },
});
try {
  const page = ctx.pages()[0] || (await ctx.newPage());
  const errors = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  const ready = (kind) => page.waitForSelector(`body[data-view=${kind}]`, { timeout: 20_000 });
  const apiFindings = (query) => page.evaluate(async (q) => (await (await fetch(`/api/v1/findings${q}`)).json()).items, query);
  const shown = (sel) => page.$$eval(`${sel} tbody tr[data-id]`, (trs) => trs.map((tr) => ({
    id: Number(tr.dataset.id), severity: tr.dataset.severity, finding: tr.dataset.finding, text: tr.innerText,
  })));

  // The Findings tab: every open finding the API has, most severe first, each as the API says.
  await page.goto(`${BASE}/`);
  await ready("list");
  await page.click("#nav-findings");
  await ready("findings");
  check(new URL(page.url()).pathname === "/findings", `the path: ${page.url()}`);
  const api = await apiFindings("");
  check(api.length >= 3, `the lab has findings: ${JSON.stringify(api)}`);
  const rows = await shown(".findings-body table.findings");
  check(rows.length === api.length, `one row per open finding: ${rows.length} shown, ${api.length} in the API`);
  const byId = new Map(api.map((f) => [f.id, f]));
  for (const r of rows) {
    const f = byId.get(r.id);
    check(f, `row ${r.id} is a finding of the API`);
    check(r.severity === f.severity && r.finding === f.finding, `row ${r.id}: ${r.severity} ${r.finding} vs ${f.severity} ${f.finding}`);
    for (const part of [f.title, f.finding, f.device.address, f.evidence.split("\n")[0], f.fix.split("\n")[0]]) {
      check(r.text.includes(part.trim()), `row ${r.id} shows ${JSON.stringify(part)}: ${r.text}`);
    }
    check(r.text.includes(f.source.split("\n")[0].trim()), `row ${r.id} names its source`);
  }
  const ranks = rows.map((r) => ORDER.indexOf(r.severity));
  check(ranks.every((v, i) => i === 0 || ranks[i - 1] <= v), `most severe first: ${rows.map((r) => r.severity)}`);
  const groups = await page.$$eval(".findings-body tbody.sev-group", (gs) => gs.map((g) => [g.dataset.severity, g.querySelectorAll("tr[data-id]").length]));
  check(groups.length === new Set(api.map((f) => f.severity)).size, `one group per severity: ${JSON.stringify(groups)}`);
  for (const [sev, n] of groups) {
    check(n === api.filter((f) => f.severity === sev).length, `the ${sev} group holds the API's ${sev} findings: ${n}`);
  }
  const count = await page.textContent(".toolbar .count");
  check(count.includes(`${api.length} open finding`), `the count: ${count}`);
  const unauth = api.find((f) => f.finding === "stream-unauthenticated" && f.device.address === OPEN);
  check(unauth, "the open camera's stream-unauthenticated is listed");
  await page.screenshot({ path: join(SHOTS, "findings.png"), fullPage: true });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: join(SHOTS, "findings-dark.png"), fullPage: true });
  await page.emulateMedia({ colorScheme: "light" });

  // A device's page: its own findings, as ?device= says.
  await page.click(`tr[data-id="${unauth.id}"] a.name`);
  await ready("device");
  const mine = await apiFindings(`?device=${unauth.device_id}`);
  const onDevice = await shown("#device-findings table.findings");
  check(JSON.stringify(onDevice.map((r) => r.id).sort()) === JSON.stringify(mine.map((f) => f.id).sort()),
    `the device's findings: ${JSON.stringify(onDevice)} vs ${JSON.stringify(mine)}`);
  await page.screenshot({ path: join(SHOTS, "device-findings.png"), fullPage: true });

  // Live: an audit resolves the open camera's finding; the row goes without a reload.
  await page.click("#nav-findings");
  await ready("findings");
  await page.waitForSelector(`tr[data-id="${unauth.id}"]`, { timeout: 10_000 });
  await page.waitForSelector("#live.on", { timeout: 10_000 });
  await page.evaluate(() => { window.__kept = true; });
  await step("lock-camera");
  await page.waitForSelector(`tr[data-id="${unauth.id}"]`, { state: "detached", timeout: 30_000 });
  check(await page.evaluate(() => window.__kept === true), "no reload");
  const after = await apiFindings("");
  const rowsAfter = await shown(".findings-body table.findings");
  check(rowsAfter.length === after.length && !after.some((f) => f.id === unauth.id),
    `after the audit: ${rowsAfter.length} shown, ${after.length} in the API`);

  check(errors.length === 0, `no page errors: ${errors}`);
  console.log("PASS");
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
  stdin.close();
}
