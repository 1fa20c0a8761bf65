// A fleet's hub page in a real browser (Debian's Chromium, headless, driven by playwright-core),
// run by tests/fleet.rs, which owns the lab: a hub serving its PostgreSQL inventory, two sites'
// agents (north: serve --hub, south: watch --hub) that both see one GStreamer camera.
//
// Environment: CAMSCAN_BASE (the hub's serve), CAMSCAN_SHOTS (screenshot directory), BROWSER_NODE,
// CHROMIUM, CAMSCAN_CAMERA (the camera's address).
//
// Checks what a user sees: the Sites tab, the overview (one row per site, its health, devices,
// streams, last scan, its agent's last contact), a click through to one site's devices, the site
// filter of the list, the site column, and the scan form asking a scan at a site (queued for its
// agent, its state read until it is done). Prints `PASS` at the end; any failed check throws.

import { createRequire } from "node:module";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const BASE = env("CAMSCAN_BASE");
const SHOTS = env("CAMSCAN_SHOTS");
const CAMERA = env("CAMSCAN_CAMERA");
const require = createRequire(join(env("BROWSER_NODE"), "package.json"));
const { chromium } = require("playwright-core");

setTimeout(() => {
  console.error("sites.mjs: no result within 150 s");
  process.exit(3);
}, 150_000).unref();

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
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  const ready = (kind) => page.waitForSelector(`body[data-view=${kind}]`, { timeout: 20_000 });

  // The list of every site: the Sites tab shows, and a site column.
  await page.goto(`${BASE}/`);
  await ready("list");
  await page.waitForSelector("#nav-sites:not([hidden])", { timeout: 10_000 });
  const heads = await page.$$eval("table.devices thead th", (ths) => ths.map((t) => t.textContent));
  check(heads.includes("Site"), `a site column: ${heads}`);
  const rows = await page.$$eval("table.devices tbody tr", (trs) => trs.map((tr) => tr.innerText));
  check(rows.length === 2 && rows.some((t) => t.includes("north")) && rows.some((t) => t.includes("south")),
    `one device per site at the same address: ${JSON.stringify(rows)}`);

  // The overview: one row per site with its health.
  await page.click("#nav-sites");
  await ready("sites");
  const sites = await page.$$eval("table.sites tbody tr", (trs) => trs.map((tr) => ({ site: tr.dataset.site, text: tr.innerText })));
  check(JSON.stringify(sites.map((s) => s.site)) === JSON.stringify(["north", "south"]), `the sites: ${JSON.stringify(sites)}`);
  for (const s of sites) {
    check(s.text.includes("healthy") && s.text.includes("1 / 1") && s.text.includes("camscan "), `${s.site}'s row: ${s.text}`);
  }
  check((await page.textContent(".toolbar .count")).includes("2 sites"), "the count");
  await page.screenshot({ path: join(SHOTS, "sites.png") });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: join(SHOTS, "sites-dark.png") });
  await page.emulateMedia({ colorScheme: "light" });

  // Click through to north's devices: the filter says north, one device, no site column.
  await page.click("table.sites a[href='/sites/north']");
  await ready("list");
  check(new URL(page.url()).pathname === "/sites/north", `the path: ${page.url()}`);
  check((await page.$eval("#site-filter", (s) => s.value)) === "north", "the filter shows north");
  check((await page.textContent("h1")).includes("north"), "the heading names the site");
  const north = await page.$$eval("table.devices tbody tr", (trs) => trs.map((tr) => tr.innerText));
  check(north.length === 1 && north[0].includes(CAMERA), `north's device: ${JSON.stringify(north)}`);
  await page.screenshot({ path: join(SHOTS, "site-devices.png") });
  // The filter changes the site.
  await page.selectOption("#site-filter", "south");
  await ready("list");
  check(new URL(page.url()).pathname === "/sites/south", `the filter's path: ${page.url()}`);

  // A scan asked at a site from the hub's page: queued, then run by south's agent.
  await page.waitForSelector("#scan-site", { state: "visible", timeout: 10_000 });
  const options = await page.$$eval("#scan-site option", (os) => os.map((o) => o.value));
  check(options.includes("north") && options.includes("south"), `the sites to scan at: ${options}`);
  await page.selectOption("#scan-site", "south");
  check((await page.textContent("#scan-hint")).includes("south"), "the hint names the site's rules");
  await page.fill("#scan-targets", CAMERA);
  await page.click(".scan-form button[type=submit]");
  await page.waitForSelector(".job[data-request]", { timeout: 10_000 });
  await page.waitForSelector(".job[data-state=done]", { timeout: 90_000 });
  await page.waitForSelector(".job a.scan-link", { timeout: 30_000 });
  const figures = await page.textContent(".job .figures");
  check(figures.includes("at south") && figures.includes("1 device found"), `the request's figures: ${figures}`);
  await page.screenshot({ path: join(SHOTS, "site-scan.png") });

  check(errors.length === 0, `no page errors: ${errors}`);
  console.log("PASS");
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
