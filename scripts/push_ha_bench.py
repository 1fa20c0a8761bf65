#!/usr/bin/python3
"""`camscan push homeassistant` at a site's size (issue 73), run by `scripts/bench
--push-homeassistant [CAMERAS]` (root): CAMERAS cameras (default 100) pushed into a real Home
Assistant, three times, each timed.

    push_ha_bench.py --cameras N --camscan BIN --example BIN --venv HA_VENV --ns NAME [--keep]

What it builds (loopback only: everything runs in one network namespace, NAME, that has nothing
but its loopback, which this script creates and deletes)
    * Home Assistant (PyPI homeassistant 2025.4.4 in HA_VENV, which scripts/test makes) on
      127.0.0.1:8123 inside NAME, started, onboarded and given a long-lived token by
      tests/servers/homeassistant/ha.py, as tests/common/homeassistant.rs starts it (lo up,
      multicast on, 224.0.0.0/4 routed to lo: Home Assistant opens mDNS sockets).
    * The cameras: one tests/servers/rtsp_server.py process inside NAME serving every camera's
      address (examples/push_bench.rs `ha_site`: camera i on 127.0.0.(10 + i) for the first 200,
      RTSP on 554 behind Digest, /Streaming/Channels/101 H.264 640x360 25 fps and /102 320x180
      10 fps, each with shared media: one x264 encoder per stream, started by its first client and
      stopped after its last, with 2 B-frames and look-ahead as scripts/soak_watch.py's cameras,
      so a client's first packet comes ~1.5 s after its PLAY, about the wait for the next
      keyframe of an always-on camera with a 2 s GOP), and the addresses the moved cameras take.
    * The inventory: examples/push_bench --homeassistant-scan records scan 0 (every camera at its
      first address); before the third push it records scan 1, where 5 % of the cameras
      (i % 20 == 1) moved to 127.0.1.x (same MAC).

What it measures
    Three runs of `camscan push homeassistant http://127.0.0.1:8123 -f json` inside NAME (the
    token from a file, the cameras' login from the scan's credentials file, default settings):
        first push   every camera an add through the generic camera's config flow (Home Assistant
                     opens each stream before it confirms)
        second push  nothing changed: every camera a keep, nothing sent
        third push   after the rescan: the moved cameras updates (the options flow), the rest kept
    For each: wall time, camscan's CPU time and peak RSS (wait4's rusage of the camscan process:
    `ip netns exec` execs it in place), Home Assistant's RSS before and at most during the push
    (its VmRSS sampled every 100 ms) and its CPU seconds over the push, the steps by action, how
    many requests were sent and how many cameras verified, and the encoder starts and RTSP
    connections the cameras saw (with `ss` inside NAME every 0.25 s: the most open at once, how
    many of Home Assistant's stream tests ran side by side, and how long each stayed open). After the third push Home Assistant's own entry list is read
    (REST, with the token): one generic entry per camera, each loaded.

Exit status: 0 when every push exited 0, every camera verified in every push, the second push sent
nothing, the third updated exactly the moved cameras, and Home Assistant holds one loaded entry per
camera; 1 otherwise; 2 on a setup error. Everything it started is stopped by its PID (Home
Assistant through its launcher's stdin, as the tests stop it) and the namespace deleted on any
exit, Ctrl-C and SIGTERM included (scripts/bench also deletes the namespace if this script is
killed).
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HA_URL = "http://127.0.0.1:8123"
HA_START_LIMIT = 200.0
CAMERAS_START_LIMIT = 120.0
PUSH_LIMIT = 1800.0


def log(msg):
    print(f"push_ha_bench: {msg}", file=sys.stderr, flush=True)


def ip(*args):
    subprocess.run(["ip", *args], check=True)


class Proc:
    """A server started inside the namespace with a pipe on its stdin (EOF stops it) and its
    stdout read line by line until READY, then drained into `lines`."""

    def __init__(self, name, argv, stderr_path):
        self.name = name
        self.err = open(stderr_path, "wb")
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.err)
        self.lines = []
        self.ready = threading.Event()
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.p.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            if line.strip() == "READY":
                self.ready.set()
                continue
            with self.lock:
                self.lines.append(line)

    def wait_ready(self, limit):
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.ready.wait(0.5):
                return True
            if self.p.poll() is not None:
                return False
        return False

    def count(self, word):
        with self.lock:
            return sum(1 for l in self.lines if l.startswith(word + " "))

    def stop(self, limit):
        """EOF on its stdin, then SIGKILL of its PID after `limit` seconds."""
        if self.p.poll() is None:
            try:
                self.p.stdin.close()
            except OSError:
                pass
            try:
                self.p.wait(limit)
            except subprocess.TimeoutExpired:
                log(f"{self.name} (pid {self.p.pid}) still running after {limit:.0f} s: SIGKILL")
                self.p.kill()
                self.p.wait(10)
        self.err.close()


def children(pid):
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def status_kib(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid):
    """utime + stime of `pid` (its threads included), in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def clean_env(tmp):
    """camscan's environment: none of the caller's camscan variables or user files."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CAMSCAN_") and k not in ("RUST_LOG", "NO_COLOR", "COLUMNS")}
    env["XDG_CONFIG_HOME"] = os.path.join(tmp, "no-user-config")
    env["XDG_STATE_HOME"] = os.path.join(tmp, "no-user-state")
    return env


def push(a, tmp, db, ha_pid):
    """One `camscan push homeassistant` inside the namespace: its figures and its JSON."""
    env = clean_env(tmp)
    env["CAMSCAN_DB"] = db
    argv = ["ip", "netns", "exec", a.ns, a.camscan, "push", "homeassistant", HA_URL, "-f", "json",
            "--push-login-file", os.path.join(tmp, "ha", "token"),
            "--credentials", db[:-len(".db")] + ".creds"]
    out_path = os.path.join(tmp, f"push-{time.monotonic_ns()}.json")
    err_path = out_path[:-5] + ".err"
    ha_rss0 = status_kib(ha_pid, "VmRSS")
    ha_cpu0 = cpu_seconds(ha_pid)
    ha_peak = [ha_rss0]
    done = threading.Event()

    # The cameras' RTSP connections (ss inside the namespace every 0.25 s): the most open at
    # once (how many of Home Assistant's stream tests ran side by side) and how long each lasted.
    seen = {}
    most = [0]

    def sample():
        k = 0
        while not done.wait(0.1):
            ha_peak[0] = max(ha_peak[0], status_kib(ha_pid, "VmRSS"))
            k += 1
            if k % 2:
                continue
            ss = subprocess.run(["ip", "netns", "exec", a.ns, "ss", "-Htn", "state", "established",
                                 "( sport = :554 )"], capture_output=True, text=True, check=False)
            conns = [tuple(l.split()[-2:]) for l in ss.stdout.splitlines() if l.strip()]
            most[0] = max(most[0], len(conns))
            now = time.monotonic()
            for c in conns:
                seen.setdefault(c, [now, now])[1] = now

    sampler = threading.Thread(target=sample, daemon=True)
    started = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
        sampler.start()
        deadline = started + PUSH_LIMIT
        status = None
        while time.monotonic() < deadline:
            pid, st, ru = os.wait4(p.pid, os.WNOHANG)
            if pid == p.pid:
                status = os.waitstatus_to_exitcode(st)
                break
            time.sleep(0.02)
        if status is None:
            log(f"camscan push (pid {p.pid}) still running after {PUSH_LIMIT:.0f} s: SIGKILL")
            p.kill()
            _, st, ru = os.wait4(p.pid, 0)
            status = os.waitstatus_to_exitcode(st)
        p.returncode = status
    wall = time.monotonic() - started
    done.set()
    sampler.join()
    text = open(out_path, encoding="utf-8", errors="replace").read()
    try:
        doc = json.loads(text)
    except ValueError:
        doc = {}
    return {
        "status": status,
        "wall": wall,
        "cpu": ru.ru_utime + ru.ru_stime,
        "rss_mib": ru.ru_maxrss / 1024,
        "ha_before_mib": ha_rss0 / 1024,
        "ha_peak_mib": ha_peak[0] / 1024,
        "ha_cpu": cpu_seconds(ha_pid) - ha_cpu0,
        "doc": doc,
        "rtsp_at_once": most[0],
        "rtsp_lasted": sorted(b - a_ for a_, b in seen.values()),
        "stderr": open(err_path, encoding="utf-8", errors="replace").read(),
    }


def tally(doc):
    steps = doc.get("steps") or []
    results = doc.get("results") or []
    actions = {}
    for s in steps:
        actions[s.get("action", "?")] = actions.get(s.get("action", "?"), 0) + 1
    return {
        "steps": len(steps),
        "actions": actions,
        "sent": sum(1 for r in results if r.get("sent")),
        "verified": sum(1 for r in results if r.get("verified") is True),
        "not_verified": [(steps[k].get("name") if k < len(steps) else k, r.get("message"))
                         for k, r in enumerate(results) if r.get("verified") is not True],
        "refused": sum(1 for r in results if not r.get("accepted", True)),
    }


def ha_entries(a, tmp):
    """Home Assistant's own config entries (curl inside the namespace, the token from a file)."""
    with open(os.path.join(tmp, "ha", "token")) as f:
        token = f.read().strip()
    header = os.path.join(tmp, "curl-header")
    fd = os.open(header, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"Authorization: Bearer {token}\n")
    out = subprocess.run(["ip", "netns", "exec", a.ns, "curl", "-sS", "--max-time", "60", "-H",
                          f"@{header}", f"{HA_URL}/api/config/config_entries/entry"],
                         capture_output=True, check=False)
    os.remove(header)
    try:
        return json.loads(out.stdout)
    except ValueError:
        log(f"the entry list did not parse: {out.stdout[:200]!r} {out.stderr[:200]!r}")
        return []


def row(label, r, t):
    acts = ", ".join(f"{n} {w}" for w, n in sorted(t["actions"].items()))
    print(f"{label:<26} {r['wall']:>7.1f} s  CPU {r['cpu']:>5.2f} s  peak RSS {r['rss_mib']:>5.1f} MiB"
          f"  | HA RSS {r['ha_before_mib']:>5.0f} -> {r['ha_peak_mib']:>5.0f} MiB, CPU {r['ha_cpu']:>6.1f} s"
          f"  | {acts}; sent {t['sent']}, verified {t['verified']}/{t['steps']}, exit {r['status']}",
          flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cameras", type=int, default=100)
    ap.add_argument("--camscan", required=True)
    ap.add_argument("--example", required=True)
    ap.add_argument("--venv", required=True)
    ap.add_argument("--ns", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    a = ap.parse_args()
    if not os.access(os.path.join(a.venv, "bin", "python3"), os.X_OK):
        log(f"{a.venv}/bin/python3 missing: run scripts/test (it makes the Home Assistant venv)")
        return 2
    n = a.cameras
    moved = sum(1 for i in range(n) if i % 20 == 1)
    tmp = tempfile.mkdtemp(prefix="camscan-ha-bench-")
    os.chmod(tmp, 0o700)
    for d in ("no-user-config", "no-user-state", "ha"):
        os.makedirs(os.path.join(tmp, d))
    db = os.path.join(tmp, "inventory.db")
    servers_json = os.path.join(tmp, "cameras.json")
    procs = []
    ns_made = False
    bench_started = time.monotonic()
    try:
        subprocess.run([a.example, "--homeassistant-scan", db, str(n), "0", servers_json],
                       check=True)
        subprocess.run(["ip", "netns", "del", a.ns], stderr=subprocess.DEVNULL, check=False)
        ip("netns", "add", a.ns)
        ns_made = True
        ip("-n", a.ns, "link", "set", "lo", "up")
        ip("-n", a.ns, "link", "set", "lo", "multicast", "on")
        ip("-n", a.ns, "route", "add", "224.0.0.0/4", "dev", "lo")

        cams = Proc("rtsp_server.py",
                    ["ip", "netns", "exec", a.ns, "/usr/bin/python3",
                     os.path.join(ROOT, "tests/servers/rtsp_server.py"), servers_json],
                    os.path.join(tmp, "rtsp_server.err"))
        procs.append((cams, 15))
        t = time.monotonic()
        if not cams.wait_ready(CAMERAS_START_LIMIT):
            log("the cameras did not start:\n" + open(os.path.join(tmp, "rtsp_server.err")).read()[-3000:])
            return 2
        n_servers = len(json.load(open(servers_json)))
        log(f"{n_servers} camera addresses served by one rtsp_server.py (pid {cams.p.pid}) "
            f"after {time.monotonic() - t:.1f} s")

        ha = Proc("ha.py",
                  ["ip", "netns", "exec", a.ns, "/usr/bin/python3",
                   os.path.join(ROOT, "tests/servers/homeassistant/ha.py"),
                   "--bind", "127.0.0.1", "--port", "8123",
                   "--config-dir", os.path.join(tmp, "ha"), "--venv", a.venv],
                  os.path.join(tmp, "ha.err"))
        # Stopped first (it stops Home Assistant, up to 20 s).
        procs.insert(0, (ha, 30))
        t = time.monotonic()
        if not ha.wait_ready(HA_START_LIMIT):
            log("Home Assistant did not start:\n" + open(os.path.join(tmp, "ha.err")).read()[-3000:])
            return 2
        kids = children(ha.p.pid)
        if len(kids) != 1:
            log(f"ha.py (pid {ha.p.pid}) has children {kids}, not one Home Assistant")
            return 2
        ha_pid = kids[0]
        log(f"Home Assistant (pid {ha_pid}) ready after {time.monotonic() - t:.1f} s, "
            f"RSS {status_kib(ha_pid, 'VmRSS') / 1024:.0f} MiB")

        print(f"camscan push into a real Home Assistant 2025.4.4 ({n} cameras in the inventory, "
              f"{moved} of them moving before the third push)", flush=True)
        failures = []
        figures = {}
        for label, round_ in (("first push (adds)", None), ("second push (no change)", None),
                              ("after a rescan (5 % moved)", 1)):
            if round_ is not None:
                subprocess.run([a.example, "--homeassistant-scan", db, str(n), str(round_)],
                               check=True)
            media0, clients0 = cams.count("MEDIA"), cams.count("CLIENT")
            r = push(a, tmp, db, ha_pid)
            t = tally(r["doc"])
            row(label, r, t)
            lasted = r["rtsp_lasted"]
            median = f", each open {lasted[len(lasted) // 2]:.1f} s (median, sampled every 0.25 s)" if lasted else ""
            print(f"{'':<26} the cameras: {cams.count('MEDIA') - media0} encoder starts, "
                  f"{cams.count('CLIENT') - clients0} RTSP connections, at most "
                  f"{r['rtsp_at_once']} at once{median}", flush=True)
            figures[label] = (r, t)
            if r["status"] != 0:
                failures.append(f"{label}: camscan exited {r['status']}: {r['stderr'][-2000:]}")
            if t["not_verified"] or t["verified"] != n:
                failures.append(f"{label}: {t['verified']} of {n} cameras verified; not: "
                                f"{t['not_verified'][:10]}")
        _, first = figures["first push (adds)"]
        _, second = figures["second push (no change)"]
        _, third = figures["after a rescan (5 % moved)"]
        if first["actions"] != {"add": n}:
            failures.append(f"first push: {first['actions']}, not {n} adds")
        if second["sent"] != 0 or second["actions"] != {"keep": n}:
            failures.append(f"second push: sent {second['sent']}, {second['actions']}")
        want = {"update": moved, "keep": n - moved} if moved else {"keep": n}
        if third["actions"] != want:
            failures.append(f"third push: {third['actions']}, not {want}")
        entries = [e for e in ha_entries(a, tmp) if e.get("domain") in ("generic", "mjpeg", "onvif")]
        loaded = sum(1 for e in entries if e.get("state") == "loaded")
        titles = {e.get("title") for e in entries}
        print(f"Home Assistant holds {len(entries)} camera entries ({loaded} loaded, "
              f"{len(titles)} titles); HA peak RSS (VmHWM) {status_kib(ha_pid, 'VmHWM') / 1024:.0f} MiB",
              flush=True)
        if len(entries) != n or loaded != n or len(titles) != n:
            failures.append(f"Home Assistant holds {len(entries)} entries, {loaded} loaded, "
                            f"{len(titles)} titles, not {n}")
        for f in failures:
            print(f"FAIL {f}", flush=True)
        print(f"{'all ok' if not failures else 'FAILED'}; the bench took "
              f"{time.monotonic() - bench_started:.0f} s (Home Assistant's start included)", flush=True)
        return 1 if failures else 0
    finally:
        for p, limit in procs:
            p.stop(limit)
        if ns_made:
            subprocess.run(["ip", "netns", "del", a.ns], check=False)
        if a.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, _f: sys.exit(128 + s))
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
