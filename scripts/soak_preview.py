#!/usr/bin/env python3
"""Soak of `camscan serve`'s live preview (issue 19), run by
`scripts/bench --preview [VIEWERS] [MINUTES] [MODE]`.

One GStreamer camera on 127.0.0.246:8554 (tests/servers/rtsp_server.py: H.264 Main 640x360 at
15 fps, zerolatency, shared media, every frame stamped with the source's wall-clock time; MODE
`mse-bframes` gives it 2 B-frames and x264's look-ahead instead) is scanned into a fresh inventory
and served by a release build of camscan serve on 127.0.0.247. VIEWERS pages (default 4) of
/live/ID in one headless Chromium (tests/web/live.mjs, playwright-core from target/browser-node;
each page in a context of its own, as viewers on different machines, so the browser's six
connections per server do not cap them) watch it for MINUTES (default 2): MODE `auto` (default: the page's own choice, WebRTC here),
`mse`, `webrtc`, `mixed` (half each) or `mse-bframes`.

Printed: frames a second per page (min / median / max against the camera's 15), the delay behind
the source read from the stamps in the pictures (median, p95, max over all pages), frames the
server dropped for a slow viewer, WebRTC's PLIs, the camera's RTSP connections during the soak
(target 1), and camscan's CPU over the measured window (% of one core) and RSS (idle after start,
when the viewers play, each minute, at the end, peak).

Loopback only. Everything it starts is stopped on exit. Not a pass/fail test: it prints figures
(exit 1 only when the soak could not run or a page did not play).
"""

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAMERA = "127.0.0.246"
SERVE = "127.0.0.247"
PORT = 8751
PATH = "/Streaming/Channels/101"
FPS = 15
MODES = {"auto": None, "mse": "mse", "webrtc": "webrtc", "mixed": "mse,webrtc", "mse-bframes": None}


def start_camera(tmp, bframes):
    video = {"codec": "h264", "width": 640, "height": 360, "fps": FPS, "profile": "main",
             "stamp": True}
    if bframes:
        video["bframes"] = 2
    config = [{"address": CAMERA, "port": 8554, "shared": True, "auth": None,
               "mounts": [{"path": PATH, "video": video, "audio": None}]}]
    path = os.path.join(tmp, "camera.json")
    with open(path, "w") as f:
        json.dump(config, f)
    p = subprocess.Popen(
        ["/usr/bin/python3", os.path.join(ROOT, "tests/servers/rtsp_server.py"), path],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    lines = []
    deadline = time.time() + 120
    while time.time() < deadline:
        line = p.stdout.readline()
        if line.strip() == "READY":
            threading.Thread(target=lambda: [lines.append(x.strip()) for x in p.stdout],
                             daemon=True).start()
            return p, lines
        if not line and p.poll() is not None:
            break
    p.kill()
    raise SystemExit("rtsp_server.py did not start")


def stop(p):
    if p and p.poll() is None:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def proc_cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def get_json(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.load(r)


def main():
    viewers = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    minutes = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    mode = sys.argv[3] if len(sys.argv) > 3 else "auto"
    if mode not in MODES:
        raise SystemExit("mode: one of %s" % ", ".join(MODES))
    camscan = os.environ.get("CAMSCAN_BIN") or os.path.join(ROOT, "target/release/camscan")
    tmp = tempfile.mkdtemp(prefix="camscan-preview-soak-")
    db = os.path.join(tmp, "inventory.db")
    env = dict(os.environ, CAMSCAN_DB=db, XDG_CONFIG_HOME=os.path.join(tmp, "no-config"))
    env.setdefault("CAMSCAN_LOG", "warn")
    env.pop("CAMSCAN_NO_DB", None)
    camera, camera_lines = start_camera(tmp, mode == "mse-bframes")
    serve = node = None
    try:
        scan = subprocess.run([camscan, "scan", CAMERA, "-p", "8554", "-q", "-f", "json"],
                              env=env, capture_output=True, text=True, timeout=120)
        if scan.returncode not in (0, 1):
            raise SystemExit("scan failed: %s" % scan.stderr[-2000:])
        serve = subprocess.Popen([camscan, "serve", "--listen", "%s:%d" % (SERVE, PORT)],
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = "http://%s:%d" % (SERVE, PORT)
        deadline = time.time() + 20
        while True:
            try:
                streams = get_json(base + "/api/v1/streams")["items"]
                break
            except OSError:
                if time.time() > deadline:
                    raise SystemExit("camscan serve did not answer on " + base)
                time.sleep(0.1)
        stream = next(s["id"] for s in streams if s["url"] == "rtsp://%s:8554%s" % (CAMERA, PATH))
        time.sleep(1)
        rss_idle = proc_status_kb(serve.pid, "VmRSS")
        connections_before = sum(1 for l in camera_lines if l.startswith("CLIENT "))

        args = ["node", os.path.join(ROOT, "tests/web/live.mjs"),
                "--url", "%s/live/%d" % (base, stream), "--viewers", str(viewers),
                "--seconds", str(int(minutes * 60)), "--fps", str(FPS), "--isolated"]
        if MODES[mode]:
            args += ["--mode", MODES[mode]]
        node = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=dict(env, BROWSER_NODE=os.path.join(ROOT, "target/browser-node")))
        marks = {}
        rss = []  # (seconds into the window, kB)

        def read_stderr():
            for line in node.stderr:
                if "window:" in line:
                    key = "end" if line.strip().endswith("end") else "start"
                    marks[key] = (time.time(), proc_cpu(serve.pid))
                    if key == "start":
                        rss.append((0.0, proc_status_kb(serve.pid, "VmRSS")))
                elif os.environ.get("SOAK_VERBOSE"):
                    sys.stderr.write(line)

        threading.Thread(target=read_stderr, daemon=True).start()
        out_lines = []
        threading.Thread(target=lambda: [out_lines.append(x) for x in node.stdout],
                         daemon=True).start()
        limit = time.time() + minutes * 60 * 1.5 + 180
        last = 0.0
        while node.poll() is None and time.time() < limit:
            if "start" in marks and "end" not in marks:
                t = time.time() - marks["start"][0]
                if t - last >= 60:
                    rss.append((t, proc_status_kb(serve.pid, "VmRSS")))
                    last = t
            time.sleep(0.5)
        if node.poll() is None:
            node.kill()
            raise SystemExit("live.mjs did not end")
        node.wait()
        time.sleep(0.5)
        rss_end = proc_status_kb(serve.pid, "VmRSS")
        rss_peak = proc_status_kb(serve.pid, "VmHWM")
        connections = sum(1 for l in camera_lines if l.startswith("CLIENT ")) - connections_before
        result = json.loads(next((l for l in reversed(out_lines) if l.startswith("{")), "{}"))
        pages = result.get("pages") or []

        print("camscan preview soak: %d viewer(s) (%s) of one camera (H.264 640x360 %d fps%s), "
              "%.1f min" % (viewers, mode, FPS, ", 2 B-frames" if mode == "mse-bframes" else "",
                            minutes))
        if result.get("errors"):
            for e in result["errors"]:
                print("  error: %s" % e)
        fps = sorted(p["fps"] for p in pages if p.get("fps") is not None)
        if fps:
            print("  fps per page: min %.2f, median %.2f, max %.2f (camera %d)"
                  % (fps[0], statistics.median(fps), fps[-1], FPS))
        modes = {}
        for p in pages:
            modes[p.get("mode")] = modes.get(p.get("mode"), 0) + 1
        print("  pages by mode: %s; playing: %d of %d" % (
            json.dumps(modes, sort_keys=True),
            sum(1 for p in pages if p.get("state") == "playing"), viewers))
        d = result.get("delay_ms") or {}
        print("  delay behind the source: median %s ms, p95 %s ms, max %s ms (%s stamps read)"
              % (d.get("median"), d.get("p95"), d.get("max"), d.get("n")))
        firsts = sorted(p["first_frame_ms"] for p in pages if p.get("first_frame_ms") is not None)
        if firsts:
            print("  first frame after the page opened: median %d ms, max %d ms"
                  % (statistics.median(firsts), firsts[-1]))
        print("  frames dropped by the server for a slow viewer (cut back to a keyframe): %s"
              % [p.get("dropped") for p in pages])
        plis = [p["webrtc"]["pli_count"] for p in pages if p.get("webrtc")]
        if plis:
            print("  WebRTC PLIs per page: %s" % plis)
        print("  the camera's RTSP connections during the soak: %d (target 1)" % connections)
        if "start" in marks and "end" in marks:
            (t0, c0), (t1, c1) = marks["start"], marks["end"]
            print("  camscan CPU over the window: %.1f%% of one core (%.1f s in %.0f s)"
                  % (100 * (c1 - c0) / (t1 - t0), c1 - c0, t1 - t0))
        print("  camscan RSS: idle %.1f MB; %s; after the viewers left %.1f MB; peak %.1f MB"
              % (rss_idle / 1024,
                 ", ".join("%.0f s %.1f MB" % (t, kb / 1024) for t, kb in rss),
                 rss_end / 1024, rss_peak / 1024))
        ok = not result.get("errors") and len(pages) == viewers
        return 0 if ok else 1
    finally:
        if node and node.poll() is None:
            node.kill()
        if serve and serve.poll() is None:
            serve.send_signal(signal.SIGTERM)
            try:
                serve.wait(15)
            except subprocess.TimeoutExpired:
                serve.kill()
        stop(camera)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
