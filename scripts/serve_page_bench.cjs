// scripts/serve_page_bench.cjs URL ROWS USER_DATA_DIR: the web page's time to interactive in
// headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core from
// target/browser-node), for examples/serve_bench.rs (scripts/bench --serve).
//
// Loads URL 5 times (the first with an empty cache) and prints, as JSON on stdout, per load and in
// milliseconds since navigation start (the browser's performance timing): domContentLoaded, when
// the device table first has ROWS rows (a MutationObserver set up before the page's own scripts),
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
  await ctx.addInitScript((rows) => {
    const seen = () => {
      if (window.__rowsAt === undefined && document.querySelectorAll("table.devices tbody tr").length >= rows) {
        window.__rowsAt = performance.now();
      }
    };
    new MutationObserver(seen).observe(document.documentElement, { childList: true, subtree: true });
  }, ROWS);
  const runs = [];
  try {
    for (let i = 0; i < LOADS; i++) {
      const page = await ctx.newPage();
      await page.goto(url, { waitUntil: "commit" });
      await page.waitForFunction(() => window.__rowsAt !== undefined, null, { timeout: 30000 });
      runs.push(await page.evaluate(() => {
        const nav = performance.getEntriesByType("navigation")[0];
        const mark = performance.getEntriesByName("camscan-ready-list")[0];
        return {
          dcl: nav ? nav.domContentLoadedEventEnd : null,
          rows: window.__rowsAt,
          ready: mark ? mark.startTime : null,
          count: document.querySelectorAll("table.devices tbody tr").length,
        };
      }));
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
