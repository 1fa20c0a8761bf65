// The live preview of `camscan serve` measured in a real browser (Debian's Chromium, headless,
// driven by playwright-core), run by tests/live.rs and scripts/bench --preview.
//
//   node live.mjs --url BASE/live/ID [--mode mse|webrtc[,..]] [--viewers N] [--seconds S]
//                 [--screenshot PATH] [--fps SOURCE_FPS] [--reconnect] [--isolated]
//   node live.mjs --whep BASE/api/v1/streams/ID/whep [--seconds S]
//
// Page mode: one browser, N pages of /live/ID (with ?mode=M when --mode is given; a list of modes
// is dealt to the pages in turn), as tabs of one profile, or with --isolated each in a context
// of its own (its own connection pool: viewers on different machines). Each page is followed from its load: its window.camscanLive
// states, every frame the video element presents (requestVideoFrameCallback), and for each frame
// the time stamped into it at the source (tests/servers/rtsp_server.py "stamp", read by
// stamp.mjs's decodeStamp from a canvas the frame is drawn into), so delay = Date.now() - stamp
// on the same machine's clock. Once every page plays, after a second to settle, S seconds are
// measured: frames (getVideoPlaybackQuality().totalVideoFrames and presented frames) per second,
// the delay's median, p95 and max, a canvas sample of the whole picture (mean luma and its
// spread: not black), WebRTC's inbound-rtp figures (framesDecoded, keyFramesDecoded, pliCount)
// from camscanLive.pc.getStats(), and the stream's preview JSON (viewers, webrtc_sessions) in
// the middle of the window. --reconnect then asks the runner (stdin/stdout, as page.mjs:
// `STEP <name>`, answered by a line `GO`) to stop the camera, watches the pages for 5 s, asks
// it to start the camera again (GO once the camera is READY) and times how long until each page
// presents a frame made by the camera after its return, and until it says "playing" again, then
// counts its frames for 2 s (the player's start over) and 3 s more (settled).
//
// WHEP mode (--whep): no page UI. In a page of the server's origin an RTCPeerConnection
// (recvonly video) POSTs its offer (application/sdp) to the URL: 201, a Location and an answer
// SDP are expected; the video plays into a <video> element for S seconds (framesDecoded,
// keyFramesDecoded, pliCount), the preview's webrtc_sessions is read while it plays, then DELETE
// on the Location must answer 200.
//
// Output: one JSON line on stdout with the figures and `errors` (what went wrong; the exit code is
// 1 when there are any); STEP lines only with --reconnect. Progress and the pages' console
// errors go to stderr. A hard limit ends the script (exit 3) if anything hangs.
//
// Environment: BROWSER_NODE (where playwright-core is installed; default target/browser-node of
// this repository), CHROMIUM (default /usr/bin/chromium).

import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { decodeStamp } from "./stamp.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const o = { viewers: 1, seconds: 10, mode: null, url: null, whep: null, screenshot: null, fps: null, reconnect: false, isolated: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case "--url": o.url = next(); break;
      case "--mode": o.mode = next().split(","); break;
      case "--viewers": o.viewers = Number(next()); break;
      case "--seconds": o.seconds = Number(next()); break;
      case "--screenshot": o.screenshot = next(); break;
      case "--whep": o.whep = next(); break;
      case "--fps": o.fps = Number(next()); break;
      case "--reconnect": o.reconnect = true; break;
      case "--isolated": o.isolated = true; break;
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  if (!o.url === !o.whep) throw new Error("give --url BASE/live/ID or --whep BASE/api/v1/streams/ID/whep");
  if (!(o.viewers >= 1 && o.viewers <= 100)) throw new Error("--viewers: 1 to 100");
  if (!(o.seconds > 0 && o.seconds <= 3600)) throw new Error("--seconds: more than 0, at most 3600");
  return o;
}

const opt = parseArgs(process.argv.slice(2));
const require = createRequire(join(process.env.BROWSER_NODE || join(HERE, "../../target/browser-node"), "package.json"));
const { chromium } = require("playwright-core");

// Bounds of every wait (ms).
const LOAD = 20_000; // a page loads and plays its first frame
const SETTLE = 1_000; // after every page plays, before the window
const OUTAGE = 5_000; // the camera is away this long (--reconnect)
const RESUME = 20_000; // a page shows the returned camera's pictures
const LIMIT = 90_000 + opt.seconds * 1_500 + opt.viewers * 3_000 + (opt.reconnect ? 60_000 : 0);
setTimeout(() => {
  console.error(`live.mjs: no result within ${LIMIT / 1000} s`);
  process.exit(3);
}, LIMIT).unref();

const log = (msg) => console.error(`live.mjs: ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const errors = [];

const lines = opt.reconnect ? createInterface({ input: process.stdin })[Symbol.asyncIterator]() : null;
async function step(name) {
  console.log(`STEP ${name}`);
  const { value, done } = await lines.next();
  if (done || value.trim() !== "GO") throw new Error(`runner did not say GO after ${name}: ${value}`);
}

// Injected into every page before its scripts (as source text, `decode` being stamp.mjs's
// decodeStamp, so nothing is evaluated from a string under the page's CSP): the probe that
// follows the page's video element.
function probe(decode) {
  const M = {
    frames: 0, // frames presented (requestVideoFrameCallback's presentedFrames, summed over elements)
    elements: 0, // video elements seen (a page may replace its element on reconnect)
    firstFrameAt: null, // Date.now() of the first presented frame
    lastFrameAt: null,
    delays: [], // [Date.now() at presentation, delay ms] for each decoded stamp
    stampFailures: 0,
    lastStamp: null,
    resumeAfter: null, // --reconnect: a stamp newer than this is the returned camera's
    resumedAt: null,
    states: [], // [Date.now(), mode, state] at every change of window.camscanLive
    events: [], // [Date.now(), what]: the element's seeks and stalls
    seeks: 0, // the element's `seeking` events (the player jumping to the live edge)
    waits: 0, // its `waiting` events (playback stalled for want of data)
    steps: [], // mediaTime step (ms) from each presented frame to the next
    consoleErrors: [],
  };
  window.__live = M;
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const hook = () => {
    const v = document.getElementById("live-video");
    if (v && !v.__probed) {
      v.__probed = true;
      M.elements++;
      let last = 0;
      let lastMedia = null;
      const note = (what) => {
        if (M.events.length < 200) {
          const b = v.buffered;
          const end = b.length ? b.end(b.length - 1) : null;
          M.events.push([Date.now(), `${what} at ${v.currentTime.toFixed(2)} s (buffered to ${end === null ? "-" : end.toFixed(2)} s in ${b.length} range(s))`]);
        }
      };
      v.addEventListener("seeking", () => { M.seeks++; note("seeking"); });
      v.addEventListener("waiting", () => { M.waits++; note("waiting"); });
      const onFrame = (_now, meta) => {
        const t = Date.now();
        if (lastMedia !== null && M.steps.length < 100_000) M.steps.push(Math.round((meta.mediaTime - lastMedia) * 1000));
        lastMedia = meta.mediaTime;
        const n = meta.presentedFrames || last + 1;
        M.frames += Math.max(1, n - last);
        last = n;
        if (M.firstFrameAt === null) M.firstFrameAt = t;
        M.lastFrameAt = t;
        const w = v.videoWidth;
        const h = v.videoHeight;
        if (w >= 80 && h > 0) {
          // Only the barcode's rows: two rows of blocks of width / 40 pixels.
          const strip = Math.min(h, Math.ceil((2 * w) / 40) + 1);
          if (canvas.width !== w || canvas.height !== strip) {
            canvas.width = w;
            canvas.height = strip;
          }
          ctx.drawImage(v, 0, 0, w, strip, 0, 0, w, strip);
          const stamp = decode(ctx.getImageData(0, 0, w, strip).data, w, strip);
          if (stamp === null) {
            M.stampFailures++;
          } else {
            M.lastStamp = stamp;
            if (M.delays.length < 100_000) M.delays.push([t, t - stamp]);
            if (M.resumeAfter !== null && M.resumedAt === null && stamp > M.resumeAfter) M.resumedAt = t;
          }
        }
        v.requestVideoFrameCallback(onFrame);
      };
      v.requestVideoFrameCallback(onFrame);
    }
    const live = window.camscanLive;
    if (live) {
      const prev = M.states[M.states.length - 1];
      if (!prev || prev[1] !== live.mode || prev[2] !== live.state) M.states.push([Date.now(), live.mode, live.state]);
    }
  };
  setInterval(hook, 50);
  // The whole picture (scaled down): mean luma and its standard deviation.
  M.picture = () => {
    const v = document.getElementById("live-video");
    if (!v || !v.videoWidth) return null;
    const w = Math.min(160, v.videoWidth);
    const h = Math.max(1, Math.round((w * v.videoHeight) / v.videoWidth));
    const c = document.createElement("canvas");
    c.width = w;
    c.height = h;
    const x = c.getContext("2d", { willReadFrequently: true });
    x.drawImage(v, 0, 0, w, h);
    const d = x.getImageData(0, 0, w, h).data;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < d.length; i += 4) {
      const y = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
      sum += y;
      sq += y * y;
    }
    const n = d.length / 4;
    const mean = sum / n;
    return { width: v.videoWidth, height: v.videoHeight, mean_luma: mean, luma_sd: Math.sqrt(Math.max(0, sq / n - mean * mean)) };
  };
  // What the page shows now: counters, the element's playback quality, WebRTC's inbound figures.
  M.snapshot = async () => {
    const v = document.getElementById("live-video");
    const q = v && v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : null;
    const live = window.camscanLive || {};
    let rtc = null;
    if (live.pc) {
      try {
        const stats = await live.pc.getStats();
        stats.forEach((s) => {
          if (s.type === "inbound-rtp" && s.kind === "video") {
            rtc = {
              framesDecoded: s.framesDecoded ?? 0, keyFramesDecoded: s.keyFramesDecoded ?? 0,
              pliCount: s.pliCount ?? 0, firCount: s.firCount ?? 0, nackCount: s.nackCount ?? 0,
              packetsLost: s.packetsLost ?? 0, framesDropped: s.framesDropped ?? 0,
              jitterBufferDelay: s.jitterBufferDelay ?? 0, jitterBufferEmittedCount: s.jitterBufferEmittedCount ?? 0,
            };
          }
        });
      } catch (e) {
        rtc = { error: String(e) };
      }
    }
    return {
      at: performance.now(), now: Date.now(), frames: M.frames,
      total: q ? q.totalVideoFrames : null, droppedVideo: q ? q.droppedVideoFrames : null,
      delays: M.delays.length, stampFailures: M.stampFailures, seeks: M.seeks, waits: M.waits, events: M.events.length,
      steps: M.steps.length, mode: live.mode ?? null, state: live.state ?? null,
      reason: live.reason ?? null, dropped: live.dropped ?? null, rtc,
    };
  };
}

function stats(values) {
  if (values.length === 0) return { n: 0, median: null, p95: null, max: null, min: null };
  const s = [...values].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, median: at(0.5), p95: at(0.95), max: s[s.length - 1], min: s[0] };
}

const round = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 10 ** d) / 10 ** d);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"],
});
const VIEWPORT = { viewport: { width: 960, height: 600 } };
// One context (one profile: its pages share cookies and the connection pool, as tabs of one
// browser do), or with --isolated one per page (as viewers on different machines).
const shared = await browser.newContext(VIEWPORT);
const newPage = async () => (opt.isolated ? (await browser.newContext(VIEWPORT)).newPage() : shared.newPage());
const result = { errors };
try {
  if (opt.whep) {
    result.whep = await whep(opt.whep);
  } else {
    await pages();
  }
} catch (e) {
  errors.push(String(e && e.stack ? e.stack : e));
} finally {
  await browser.close().catch(() => {});
  if (lines) {
    lines.return && lines.return();
    process.stdin.destroy();
  }
}
console.log(JSON.stringify(result));
process.exit(errors.length ? 1 : 0);

async function pages() {
  const url = new URL(opt.url);
  const id = url.pathname.split("/").filter(Boolean).pop();
  const previewUrl = `${url.origin}/api/v1/streams/${id}/preview`;
  const init = `(${probe.toString()})(${decodeStamp.toString()});`;
  const list = [];
  const t0 = Date.now();
  for (let i = 0; i < opt.viewers; i++) {
    const page = await newPage();
    const mode = opt.mode ? opt.mode[i % opt.mode.length] : null;
    const entry = { page, mode, errors: [] };
    page.on("pageerror", (e) => entry.errors.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") entry.errors.push(`console: ${m.text()}`);
    });
    await page.addInitScript({ content: init });
    const u = new URL(opt.url);
    if (mode) u.searchParams.set("mode", mode);
    entry.openedAt = Date.now();
    try {
      await page.goto(u.toString(), { timeout: LOAD });
    } catch (e) {
      // The rest would wait as long: measure the pages that loaded.
      errors.push(`page ${i} of ${opt.viewers} did not load within ${LOAD} ms (with ${i} open in this ${opt.isolated ? "browser" : "browser profile, which opens at most 6 HTTP/1.1 connections to one server"}): ${String(e).split("\n")[0]}`);
      await page.close().catch(() => {});
      break;
    }
    list.push(entry);
  }
  if (list.length === 0) return;
  log(`${list.length} page(s) opened in ${Date.now() - t0} ms`);

  // Every page plays: state "playing" and a frame presented.
  await Promise.all(list.map(async (e) => {
    try {
      await e.page.waitForFunction(() => window.__live && window.__live.firstFrameAt !== null
        && window.camscanLive && window.camscanLive.state === "playing", null, { timeout: LOAD, polling: 100 });
      e.playing = true;
    } catch {
      e.playing = false;
      const s = await e.page.evaluate(() => window.__live.snapshot()).catch((x) => String(x));
      errors.push(`page ${list.indexOf(e)} (${e.mode || "auto"}) not playing within ${LOAD} ms: ${JSON.stringify(s)}`);
    }
  }));
  await sleep(SETTLE);

  // The window: S seconds on every page at once; the preview JSON in its middle.
  const secs = opt.seconds;
  log(`window: ${secs} s on ${list.length} page(s)`);
  const windows = list.map((e) => e.page.evaluate(async (ms) => {
    const a = await window.__live.snapshot();
    const d0 = window.__live.delays.length;
    await new Promise((r) => setTimeout(r, ms));
    const b = await window.__live.snapshot();
    return { a, b, delays: window.__live.delays.slice(d0).map((x) => x[1]), steps: window.__live.steps.slice(a.steps), picture: window.__live.picture() };
  }, secs * 1000));
  await sleep((secs * 1000) / 2);
  result.preview = await fetchJson(list[0].page, previewUrl);
  const measured = await Promise.all(windows);
  log("window: end");
  if (opt.screenshot) {
    await list[0].page.screenshot({ path: opt.screenshot });
    result.screenshot = opt.screenshot;
  }

  result.pages = [];
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    const m = measured[i];
    const live = await e.page.evaluate(() => ({
      firstFrameAt: window.__live.firstFrameAt, states: window.__live.states, events: window.__live.events,
      stampFailures: window.__live.stampFailures, elements: window.__live.elements,
      info: document.getElementById("live-info")?.textContent ?? null,
      reason: document.getElementById("live-reason")?.textContent ?? null,
    }));
    const elapsed = (m.b.at - m.a.at) / 1000;
    const r = {
      asked: e.mode || "auto", mode: m.b.mode, state: m.b.state, reason: m.b.reason, dropped: m.b.dropped,
      playing: e.playing,
      first_frame_ms: live.firstFrameAt === null ? null : live.firstFrameAt - e.openedAt,
      seconds: round(elapsed),
      frames: m.b.total === null ? null : m.b.total - m.a.total,
      fps: m.b.total === null ? null : round((m.b.total - m.a.total) / elapsed),
      fps_presented: round((m.b.frames - m.a.frames) / elapsed),
      dropped_video_frames: m.b.droppedVideo === null ? null : m.b.droppedVideo - m.a.droppedVideo,
      seeks: m.b.seeks - m.a.seeks,
      stalls: m.b.waits - m.a.waits,
      // The picture's own clock between presented frames: the frame period when every frame
      // shows; more means frames were skipped (not fed, not decoded, or jumped over).
      media_step_ms: stats(m.steps.filter((x) => x >= 0)),
      delay_ms: stats(m.delays),
      stamps_unreadable: live.stampFailures,
      picture: m.picture ? { ...m.picture, mean_luma: round(m.picture.mean_luma, 1), luma_sd: round(m.picture.luma_sd, 1) } : null,
      states: live.states.map(([t, mode, state]) => `${t - e.openedAt}ms ${mode}/${state}`),
      video_events: live.events.map(([t, what]) => `${t - e.openedAt}ms ${what}`),
      video_elements: live.elements,
      info: live.info,
      page_errors: e.errors.slice(0, 10),
    };
    if (m.b.rtc) {
      const a = m.a.rtc || {};
      const b = m.b.rtc;
      r.webrtc = {
        frames_decoded: b.framesDecoded, key_frames_decoded: b.keyFramesDecoded,
        decoded_fps: round((b.framesDecoded - (a.framesDecoded || 0)) / elapsed),
        pli_count: b.pliCount, fir_count: b.firCount, nack_count: b.nackCount,
        packets_lost: b.packetsLost, frames_dropped: b.framesDropped,
        jitter_buffer_ms: b.jitterBufferEmittedCount ? round((1000 * b.jitterBufferDelay) / b.jitterBufferEmittedCount, 1) : null,
        error: b.error,
      };
    }
    if (opt.fps) r.fps_error = r.fps === null ? null : round(Math.abs(r.fps - opt.fps) / opt.fps, 3);
    result.pages.push(r);
  }
  const all = measured.flatMap((m) => m.delays);
  result.delay_ms = stats(all);
  result.viewers = list.length;

  if (opt.reconnect) result.reconnect = await reconnect(list);
  await Promise.all(list.map((e) => e.page.close().catch(() => {})));
}

async function reconnect(list) {
  await step("stop-camera");
  const stoppedAt = Date.now();
  const atStop = await Promise.all(list.map((e) => e.page.evaluate(() => window.__live.snapshot())));
  await Promise.all(list.map((e) => e.page.evaluate((t) => { window.__live.resumeAfter = t; }, stoppedAt)));
  // The outage: what each page says meanwhile.
  const seen = list.map(() => new Set());
  const until = stoppedAt + OUTAGE;
  while (Date.now() < until) {
    for (let i = 0; i < list.length; i++) {
      const s = await list[i].page.evaluate(() => window.camscanLive && window.camscanLive.state).catch(() => null);
      seen[i].add(s);
    }
    await sleep(200);
  }
  const during = await Promise.all(list.map((e) => e.page.evaluate(() => window.__live.snapshot())));
  await step("start-camera");
  const readyAt = Date.now();
  const out = list.map(() => null);
  await Promise.all(list.map(async (e, i) => {
    const r = {
      asked: e.mode || "auto", states_seen: [...seen[i]], state_after_outage: during[i].state,
      frames_during_outage: null, resumed_ms: null, playing_ms: null,
    };
    let playingAt = null;
    while (Date.now() < readyAt + RESUME) {
      const s = await e.page.evaluate(() => ({ resumedAt: window.__live.resumedAt, state: window.camscanLive && window.camscanLive.state, frames: window.__live.frames }));
      if (playingAt === null && s.state === "playing") playingAt = Date.now();
      if (s.resumedAt !== null && playingAt !== null) {
        r.resumed_ms = s.resumedAt - readyAt;
        r.playing_ms = playingAt - readyAt;
        break;
      }
      await sleep(50);
    }
    if (r.resumed_ms === null) {
      errors.push(`page ${i} (${r.asked}) did not show the returned camera's pictures within ${RESUME} ms`);
    } else {
      // Frames keep coming after the return: the first 2 s (the player's start over), then 3 s
      // once playback has settled, each with what the element did meanwhile.
      const a = await e.page.evaluate(() => window.__live.snapshot());
      await sleep(2000);
      const m = await e.page.evaluate(() => window.__live.snapshot());
      await sleep(3000);
      const b = await e.page.evaluate(() => window.__live.snapshot());
      // Frames per second as the window's own figure counts them: those the element decoded
      // (getVideoPlaybackQuality), not those requestVideoFrameCallback saw presented, which a
      // page that is not the browser's front tab sees in bursts (45 decoded, 33 presented and 5
      // callbacks in 3 s, measured here).
      const fps = (x, y) => round((y.total === null ? y.frames - x.frames : y.total - x.total) / ((y.at - x.at) / 1000));
      r.fps_first = fps(a, m);
      r.fps_after = fps(m, b);
      r.first = windowOf(a, m);
      r.settled = windowOf(m, b);
      r.state_after = b.state;
      r.mode_after = b.mode;
      const delays = await e.page.evaluate((t) => window.__live.delays.filter((x) => x[0] >= t).map((x) => x[1]), m.now);
      r.delay_after_ms = stats(delays);
      // The element's seeks and stalls from the return on (at most 200 are kept in all).
      r.events_after = await e.page.evaluate((t) => window.__live.events.filter((x) => x[0] >= t).map((x) => `+${x[0] - t} ms ${x[1]}`), a.now);
    }
    r.frames_during_outage = during[i].frames - atStop[i].frames;
    out[i] = r;
  }));
  return { outage_ms: readyAt - stoppedAt, pages: out };
}

// What a page's probe counted between two snapshots: frames presented and decoded, the element's
// dropped frames, stamps read and not read, seeks and stalls.
function windowOf(a, b) {
  const d = (k) => (a[k] === null || b[k] === null ? null : b[k] - a[k]);
  return {
    ms: round(b.at - a.at, 0), presented: d("frames"), decoded: d("total"), dropped: d("droppedVideo"),
    stamps: d("delays"), stamp_failures: d("stampFailures"), seeks: d("seeks"), waits: d("waits"),
  };
}

async function fetchJson(page, url) {
  return page.evaluate(async (u) => {
    const r = await fetch(u, { signal: AbortSignal.timeout(15_000) });
    const body = await r.text();
    try {
      return { status: r.status, ...JSON.parse(body) };
    } catch {
      return { status: r.status, body };
    }
  }, url).catch((e) => ({ error: String(e) }));
}

async function whep(endpoint) {
  const u = new URL(endpoint);
  const preview = endpoint.replace(/\/whep\/?$/, "/preview");
  const page = await newPage();
  await page.addInitScript({ content: `window.__decodeStamp = ${decodeStamp.toString()};` });
  await page.goto(preview, { timeout: LOAD });
  const r = await page.evaluate(async ({ endpoint, seconds, LOAD }) => {
    const out = { errors: [] };
    const pc = new RTCPeerConnection();
    pc.addTransceiver("video", { direction: "recvonly" });
    const video = document.createElement("video");
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    document.body.append(video);
    // The delay behind the source of each presented frame, from its stamp.
    const delays = [];
    const canvas = document.createElement("canvas");
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    const onFrame = () => {
      const w = video.videoWidth;
      const h = video.videoHeight;
      if (w >= 80 && h > 0) {
        const strip = Math.min(h, Math.ceil((2 * w) / 40) + 1);
        canvas.width = w;
        canvas.height = strip;
        ctx.drawImage(video, 0, 0, w, strip, 0, 0, w, strip);
        const stamp = window.__decodeStamp(ctx.getImageData(0, 0, w, strip).data, w, strip);
        if (stamp !== null) delays.push(Date.now() - stamp);
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    pc.ontrack = (e) => {
      video.srcObject = e.streams && e.streams[0] ? e.streams[0] : new MediaStream([e.track]);
      video.play().catch(() => {});
    };
    const t0 = performance.now();
    await pc.setLocalDescription(await pc.createOffer());
    // Non-trickle WHEP: the offer carries its candidates (at most 3 s of gathering).
    await Promise.race([
      new Promise((r) => {
        if (pc.iceGatheringState === "complete") r();
        pc.addEventListener("icegatheringstatechange", () => pc.iceGatheringState === "complete" && r());
      }),
      new Promise((r) => setTimeout(r, 3000)),
    ]);
    const bounded = { signal: AbortSignal.timeout(15_000) };
    const post = await fetch(endpoint, { method: "POST", headers: { "Content-Type": "application/sdp" }, body: pc.localDescription.sdp, ...bounded });
    const answer = await post.text();
    out.post_status = post.status;
    out.location = post.headers.get("location");
    out.content_type = post.headers.get("content-type");
    out.answer_is_sdp = answer.startsWith("v=0");
    out.answer_has_h264 = /a=rtpmap:\d+ H264\/90000/i.test(answer);
    if (post.status !== 201 || !out.answer_is_sdp) {
      out.errors.push(`POST ${endpoint}: ${post.status} ${answer.slice(0, 300)}`);
      pc.close();
      return out;
    }
    await pc.setRemoteDescription({ type: "answer", sdp: answer });
    const inbound = async () => {
      const s = await pc.getStats();
      let v = null;
      s.forEach((x) => {
        if (x.type === "inbound-rtp" && x.kind === "video") v = x;
      });
      return v;
    };
    // The first decoded frame.
    let first = null;
    while (performance.now() - t0 < LOAD) {
      const v = await inbound();
      if (v && v.framesDecoded > 0) {
        first = performance.now() - t0;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    out.first_frame_ms = first === null ? null : Math.round(first);
    out.ice_state = pc.iceConnectionState;
    if (first === null) {
      out.errors.push(`no frame decoded within ${LOAD} ms (ICE ${pc.iceConnectionState}, connection ${pc.connectionState})`);
    } else {
      const a = await inbound();
      const d0 = delays.length;
      const ta = performance.now();
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const b = await inbound();
      const secs = (performance.now() - ta) / 1000;
      out.frames_decoded = b.framesDecoded;
      out.decoded_fps = Math.round(((b.framesDecoded - a.framesDecoded) / secs) * 100) / 100;
      out.key_frames_decoded = b.keyFramesDecoded;
      out.pli_count = b.pliCount;
      out.video_size = [video.videoWidth, video.videoHeight];
      out.total_video_frames = video.getVideoPlaybackQuality().totalVideoFrames;
      out.delays = delays.slice(d0);
    }
    // While the session is open: the preview counts it.
    const p = await fetch(location.href, { signal: AbortSignal.timeout(15_000) }).then((x) => x.json()).catch(() => null);
    out.webrtc_sessions_open = p ? p.webrtc_sessions : null;
    if (out.location) {
      const del = await fetch(new URL(out.location, location.href).toString(), { method: "DELETE", signal: AbortSignal.timeout(15_000) });
      out.delete_status = del.status;
      // A second DELETE of the same session: it is gone.
      const again = await fetch(new URL(out.location, location.href).toString(), { method: "DELETE", signal: AbortSignal.timeout(15_000) });
      out.delete_again_status = again.status;
    }
    pc.close();
    return out;
  }, { endpoint: u.toString(), seconds: opt.seconds, LOAD });
  errors.push(...r.errors);
  delete r.errors;
  r.delay_ms = stats(r.delays || []);
  delete r.delays;
  return r;
}
