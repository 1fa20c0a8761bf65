// The page's "Add to Frigate" in a real browser (Debian's Chromium, headless, driven by
// playwright-core), run by tests/push_page.rs, which owns the lab: an inventory of two cameras,
// `camscan serve --push frigate=URL` over it, and the fake Frigate of tests/servers/push/.
//
// Environment: CAMSCAN_BASE (the server), CAMSCAN_SHOTS (screenshot directory), BROWSER_NODE,
// CHROMIUM, CAMSCAN_DEVICE (the id of the camera named Front), CAMSCAN_NO_STREAM_DEVICE (a camera
// none of whose streams opened).
//
// What a user does: on Front's page, "Add to Frigate" shows the plan (front: add) and sends
// nothing (STEP untouched: the runner checks Frigate's file and requests); Apply adds it and
// shows "done, verified" (STEP added: the runner finds it in Frigate's file); its page again offers
// no second "Add to Frigate" and lists the push ledger's row, and a camera with no opened stream
// (CAMSCAN_NO_STREAM_DEVICE) is offered none, each with its reason; then on the list,
// Yard and Front ticked (the header's box under a filter, a row's box), "Add 2 selected to
// Frigate" plans Front kept and Yard added, and applies it. Prints `PASS`; any failed check
// throws.

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
const DEVICE = env("CAMSCAN_DEVICE");
const NO_STREAM = env("CAMSCAN_NO_STREAM_DEVICE");
const require = createRequire(join(env("BROWSER_NODE"), "package.json"));
const { chromium } = require("playwright-core");

setTimeout(() => {
  console.error("push.mjs: no result within 120 s");
  process.exit(3);
}, 120_000).unref();

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

const stdin = createInterface({ input: process.stdin });
const lines = stdin[Symbol.asyncIterator]();
async function step(what) {
  console.log(`STEP ${what}`);
  const { value } = await lines.next();
  check(value === "GO", `the runner's answer to ${what}: ${value}`);
}

const rows = (page) => page.$$eval("#push table.push-plan tbody tr", (trs) =>
  trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent.trim())));

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
  page.on("pageerror", (e) => errors.push(String(e)));

  // One camera, from its page.
  await page.goto(`${BASE}/devices/${DEVICE}`);
  const add = page.locator('button[data-push="frigate"]');
  await add.waitFor({ timeout: 15_000 });
  check((await add.textContent()).trim() === "Add to Frigate", "the button's label");
  await add.click();
  await page.locator("#push table.push-plan").waitFor({ timeout: 15_000 });
  let plan = await rows(page);
  check(plan.length === 1 && plan[0][0] === "front" && plan[0][1] === "add", `the plan: ${JSON.stringify(plan)}`);
  check((await page.textContent("#push .push-status")).includes("Nothing is sent before Apply"), "the plan says nothing is sent");
  await page.screenshot({ path: join(SHOTS, "push-plan.png") });
  await step("untouched");

  await page.click("#push-apply");
  await page.locator('#push .push-status[data-state]').waitFor({ timeout: 20_000 });
  const status = await page.textContent("#push .push-status");
  check(status.includes("0 refused, verified 1 of 1"), `the result: ${status}`);
  plan = await rows(page);
  check(plan[0][3] === "done, verified", `the row's result: ${JSON.stringify(plan)}`);
  await page.screenshot({ path: join(SHOTS, "push.png") });
  await step("added");

  // Issue 82: Front's page again: it is in Frigate now, so "Add to Frigate" is not offered (the
  // button disabled, the reason beside it), and the push ledger's row is shown: tool, entry,
  // when, state.
  await page.goto(`${BASE}/devices/${DEVICE}`);
  const there = page.locator('button[data-push="frigate"]');
  await there.waitFor({ timeout: 15_000 });
  check(await there.isDisabled(), "no second \u201cAdd to Frigate\u201d for a camera already there");
  check((await there.textContent()).trim() === "In Frigate", `the button says where it is: ${await there.textContent()}`);
  const why = await page.textContent("#push-why");
  check(why.includes("Already in Frigate as front (written"), `the reason: ${why}`);
  const pushed = await page.$$eval("#device-pushed table.pushed tbody tr", (trs) =>
    trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.innerText.trim())));
  check(pushed.length === 1 && pushed[0][0].startsWith("Frigate") && pushed[0][1] === "front" && pushed[0][3] === "written",
    `the push ledger's row: ${JSON.stringify(pushed)}`);
  const toolUrl = (await page.evaluate(() => fetch("/api/v1/push").then((r) => r.json()))).targets[0].url;
  check((await page.getAttribute("#device-pushed table.pushed tbody td", "title")) === toolUrl, "the row names the tool's URL");
  const [wide, room] = await page.$eval("#device-pushed", (b) => [b.scrollWidth, b.clientWidth]);
  check(wide <= room, `the ledger's table fits its panel: ${wide} > ${room}`);
  await page.screenshot({ path: join(SHOTS, "push-pushed.png"), fullPage: true });

  // A camera none of whose streams camscan opened: nothing to add, said so.
  await page.goto(`${BASE}/devices/${NO_STREAM}`);
  const none = page.locator('button[data-push="frigate"]');
  await none.waitFor({ timeout: 15_000 });
  check(await none.isDisabled(), "no \u201cAdd to Frigate\u201d for a camera with no stream");
  const noWhy = await page.textContent("#push-why");
  check(noWhy.includes("camscan has opened no stream of this device"), `the reason: ${noWhy}`);
  check((await page.textContent("#device-pushed")).includes("Not pushed into any tool"), "no ledger row for it");
  await page.screenshot({ path: join(SHOTS, "push-no-stream.png"), fullPage: true });

  // A selection on the list: the filter to Yard and the header's box (every shown row), then
  // the filter cleared and Front ticked too: two selected, whatever the filter shows.
  await page.goto(`${BASE}/`);
  await page.locator("table.devices tbody tr").first().waitFor({ timeout: 15_000 });
  const listButton = page.locator('button[data-push="frigate"]');
  check((await listButton.textContent()).trim() === "Add the shown to Frigate", "the list's button without a selection");
  await page.fill('input[type="search"]', "yard");
  await page.check('th.pick input[type="checkbox"]');
  await page.fill('input[type="search"]', "");
  await page.check('input[aria-label="Select Front"]');
  check(await page.isChecked('input[aria-label="Select Yard"]'), "Yard stays selected when the filter is cleared");
  check((await listButton.textContent()).trim() === "Add 2 selected to Frigate", `the list's button: ${await listButton.textContent()}`);
  await listButton.click();
  await page.locator("#push table.push-plan").waitFor({ timeout: 15_000 });
  plan = Object.fromEntries((await rows(page)).map((r) => [r[0], r[1]]));
  check(JSON.stringify(plan) === JSON.stringify({ front: "keep", yard: "add" }) || JSON.stringify(plan) === JSON.stringify({ yard: "add", front: "keep" }),
    `the list's plan: ${JSON.stringify(plan)}`);
  await page.click("#push-apply");
  await page.locator('#push .push-status[data-state="done"]').waitFor({ timeout: 20_000 });
  const listRows = await rows(page);
  check(listRows.every((r) => r[3] === "done, verified" || r[3] === "present, verified"), `the list's results: ${JSON.stringify(listRows)}`);
  await page.screenshot({ path: join(SHOTS, "push-list.png") });
  check(errors.length === 0, `page errors: ${errors.join("; ")}`);
  console.log("PASS");
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
  stdin.close();
}
