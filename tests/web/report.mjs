// The handover report (`camscan audit -f html`) in a real browser (Debian's Chromium, headless,
// driven by playwright-core), run by tests/handover.rs, which makes the report.
//
// Environment: CAMSCAN_REPORT (the HTML file), CAMSCAN_SHOTS (screenshot directory),
// CAMSCAN_PICTURES (pictures expected), CAMSCAN_CARDS (camera cards expected), BROWSER_NODE,
// CHROMIUM.
//
// Checks what a customer sees: the file opens with nothing fetched from anywhere (every request
// is the file itself or a data: URI), the summary and the camera cards are there, every picture
// decodes (a real image of some width, not a broken icon), and the print style sheet gives a PDF
// of A4 pages where no camera card is cut in two. Screenshots: handover.png (screen, the first
// screenful), handover-camera.png (one camera's card), handover-print.png (print media). Prints `PASS` at the end; any failed check throws.

import { createRequire } from "node:module";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const REPORT = env("CAMSCAN_REPORT");
const SHOTS = env("CAMSCAN_SHOTS");
const PICTURES = Number(env("CAMSCAN_PICTURES"));
const CARDS = Number(env("CAMSCAN_CARDS"));
const require = createRequire(join(env("BROWSER_NODE"), "package.json"));
const { chromium } = require("playwright-core");

setTimeout(() => {
  console.error("report.mjs: no result within 100 s");
  process.exit(3);
}, 100_000).unref();

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

const url = pathToFileURL(REPORT).href;
const browser = await chromium.launch({
  executablePath: env("CHROMIUM"),
  headless: true,
  args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors = [];
  const fetched = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && errors.push(`console: ${m.text()}`));
  page.on("request", (r) => {
    if (r.url() !== url && !r.url().startsWith("data:")) fetched.push(r.url());
  });
  await page.goto(url, { waitUntil: "load" });

  check((await page.title()).startsWith("Camera installation report"), `title: ${await page.title()}`);
  const cards = await page.$$eval("article.device:not(.nocam)", (a) => a.length);
  check(cards === CARDS, `${CARDS} camera cards, found ${cards}`);
  const summary = await page.$$eval(".cards .card", (cs) => cs.map((c) => c.innerText.replace(/\s+/g, " ")));
  check(summary.some((t) => /cameras found/i.test(t)), `a summary: ${JSON.stringify(summary)}`);

  // Every picture decoded: a real width, as ffmpeg scaled it (at most 480) or as the camera sent it.
  const imgs = await page.$$eval("article.device figure img", (is) =>
    is.map((i) => ({ ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth, h: i.naturalHeight, alt: i.alt })));
  check(imgs.length === PICTURES, `${PICTURES} pictures, found ${imgs.length}`);
  for (const i of imgs) check(i.ok && i.w >= 160 && i.h >= 90, `a decoded picture: ${JSON.stringify(i)}`);
  console.log(`pictures: ${imgs.map((i) => `${i.w}x${i.h}`).join(" ")}`);
  // The cameras without one say why, in words.
  const why = await page.$$eval(".nopic", (ns) => ns.map((n) => n.innerText));
  check(why.length === CARDS - PICTURES, `${CARDS - PICTURES} without a picture: ${JSON.stringify(why)}`);
  for (const w of why) check(/^No picture: .{10,}/.test(w), `a reason: ${w}`);

  await page.screenshot({ path: join(SHOTS, "handover.png") });
  // One camera as the customer reads it: the pictured card with the most said about it.
  const richest = await page.$$eval("article.device", (as) => {
    let best = -1, most = -1;
    as.forEach((a, i) => {
      const n = a.querySelectorAll(".finding p").length;
      if (a.querySelector("figure img") && n > most) [best, most] = [i, n];
    });
    return best;
  });
  check(richest >= 0, "a pictured camera card");
  await page.locator("article.device").nth(richest).screenshot({ path: join(SHOTS, "handover-camera.png") });

  // Print: A4 pages from the print style sheet; no camera card split across two pages.
  await page.emulateMedia({ media: "print" });
  await page.screenshot({ path: join(SHOTS, "handover-print.png"), fullPage: true });
  const pdf = await page.pdf({ format: "A4", printBackground: true, preferCSSPageSize: true });
  const pdfPath = join(mkdtempSync(join(tmpdir(), "camscan-report-")), "report.pdf");
  writeFileSync(pdfPath, pdf);
  const pages = (pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) || []).length;
  check(pages >= 2, `the PDF has pages: ${pages}`);
  const split = await page.$$eval("article.device", (as) =>
    as.map((a) => getComputedStyle(a).breakInside));
  check(split.every((b) => b === "avoid"), `cards are kept whole when printed: ${split}`);
  console.log(`pdf: ${pages} pages, ${pdf.length} bytes (${pdfPath})`);

  check(fetched.length === 0, `nothing fetched: ${JSON.stringify(fetched)}`);
  check(errors.length === 0, `no page error: ${JSON.stringify(errors)}`);
  console.log("PASS");
} finally {
  await browser.close();
}
