// scripts/serve_page_bench.cjs URL ROWS USER_DATA_DIR: the web page's time to interactive in
// headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core from
// target/browser-node), for examples/serve_bench.rs (scripts/bench --serve).
//
// Loads URL 5 times (the first with an empty cache) and prints, as JSON on stdout, per load and in
// milliseconds since navigation start (the browser's performance timing): domContentLoaded, when
// the device table first has ROWS rows (looked at on every animation frame),
// and the page's own `camscan-ready-list` mark.
"use strict";
const path = require("path");
const { chromium } = require(path.join(__dirname, "..", "target", "browser-node", "node_modules", "playwright-core"));

const [url, rowsArg, dataDir] = process.argv.slice(2);
const ROWS = Number(rowsArg || 1000);
const LOADS = 5;

(async () => {
  const ctx = await chromium.launchPersistentContext(dataDir, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--headless=new", "--no-sandbox", "--disable-gpu"],
  });
  const runs = [];
  try {
    for (let i = 0; i < LOADS; i++) {
      const page = await ctx.newPage();
      await page.goto(url, { waitUntil: "commit" });
      // Checked on every animation frame: the first frame that shows ROWS rows (within ~16 ms).
      const rowsAt = await page.waitForFunction((rows) => {
        if (document.querySelectorAll("table.devices tbody tr").length < rows) return false;
        return performance.now();
      }, ROWS, { timeout: 30000, polling: "raf" });
      const rows = await rowsAt.jsonValue();
      runs.push(Object.assign({ rows }, await page.evaluate(() => {
        const nav = performance.getEntriesByType("navigation")[0];
        const mark = performance.getEntriesByName("camscan-ready-list")[0];
        return {
          dcl: nav ? nav.domContentLoadedEventEnd : null,
          ready: mark ? mark.startTime : null,
          count: document.querySelectorAll("table.devices tbody tr").length,
        };
      })));
      await page.close();
    }
    process.stdout.write(JSON.stringify({ browser: ctx.browser() ? ctx.browser().version() : "chromium", runs }) + "\n");
  } finally {
    await ctx.close();
  }
})().catch((e) => {
  process.stdout.write(String(e && e.stack ? e.stack : e) + "\n");
  process.exit(1);
});
