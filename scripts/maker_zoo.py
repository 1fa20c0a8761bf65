#!/usr/bin/env python3
"""The maker zoo (`scripts/bench --zoo`): is a named maker's documented main path asked first?

One camera per maker with a documented main path (its own, or its platform's: the table
`examples/maker_zoo.rs` prints from camscan's knowledge), each GStreamer's RTSP server
(tests/servers/rtsp_server.py) serving that one path, at the port the maker documents (554 unless
its entry says otherwise), with no login. Two runs:

  (a) loopback: every camera on its own address of 127.0.54.0/24, its RTSP `Server` header naming
      its maker in plain words (`Server: ABUS`, the maker's name as data/vendors.yaml spells it),
      nothing else naming it; one camscan scan of them all (`--discovery ports`);
  (b) namespace lab: every maker that owns a block of the IEEE registry camscan ships (an
      organisation of its `organisations`) gets a host of its own in a lab of network namespaces
      (tests/lab/lab.sh, prefix cszoo, hosts at 198.18.0.101.., at most 99) whose MAC is in that
      block, and GStreamer's own `Server` header: nothing but the MAC names the maker; one camscan
      scan of them all from the lab's scanner namespace (`--discovery arp,ports`).

Each camera prints every DESCRIBE it is sent, in the order it reads them. A maker counts when its
main path is among the first two paths its camera was asked for, not counting `/` and camscan's
random baseline path (`/camscan-...`): the walk sends a few paths at once on parallel connections,
so the first two the camera reads are the walk's first two in either order. Prints, per maker, the
first two paths asked and what the RTSP service's `path_walk` says (maker, evidence, named_by),
then the share of each run. Makers with no block of their own are counted in (a) only; they are
listed.

    scripts/maker_zoo.py --table FILE [--camscan PATH] [--runs a,b] [--out DIR]

--out DIR keeps each run's camscan report (report-a.json, report-b.json), its log and what the
cameras printed (cameras-a.txt, cameras-b.txt) in DIR.

Needs root (port 554, ip netns), GStreamer (python3-gi, gst-rtsp-server) and nft (lab.sh). Everything
it starts is stopped and the lab removed on exit. Python 3 standard library only.
"""

import argparse
import ipaddress
import json
import os
import select
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = os.path.join(ROOT, "tests", "servers", "rtsp_server.py")
LAB = os.path.join(ROOT, "tests", "lab", "lab.sh")
PREFIX = "cszoo"
LOOPBACK = ipaddress.ip_address("127.0.54.1")
LAB_FIRST = 101  # lab.sh's extra host xN is 198.18.0.(100 + N)
# Small MJPEG: what is measured is the order of the DESCRIBEs, and a camera's encoder starts at
# each DESCRIBE of its path (x264's start is the slow one on a loaded machine).
VIDEO = {"codec": "mjpeg", "width": 160, "height": 120, "fps": 5}
# Loopback cameras per GStreamer process: one process (one main loop) answering a hundred cameras
# at once lets requests wait seconds, which is not how a LAN of cameras answers.
PER_PROCESS = 5
READY_WAIT = 120.0


def log(msg):
    print("maker_zoo: %s" % msg, file=sys.stderr, flush=True)


class Server:
    """A rtsp_server.py process (in a namespace or not), its stdout lines collected."""

    def __init__(self, config, netns=None, tmp=None):
        fd, path = tempfile.mkstemp(suffix=".json", dir=tmp)
        with os.fdopen(fd, "w") as f:
            json.dump(config, f)
        cmd = ["/usr/bin/python3", SERVER, path]
        if netns:
            cmd = ["ip", "netns", "exec", netns] + cmd
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self.lines = []
        self.buf = b""
        self.ready = False

    def pump(self, timeout):
        """Read what is there (waiting at most `timeout` s); False once the process has ended."""
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not r:
            return True
        chunk = os.read(self.proc.stdout.fileno(), 65536)
        if not chunk:
            return False
        self.buf += chunk
        *done, self.buf = self.buf.split(b"\n")
        for raw in done:
            line = raw.decode(errors="replace")
            if line == "READY":
                self.ready = True
            else:
                self.lines.append(line)
        return True

    def stop(self):
        """Close its stdin (it exits), read the rest, then make sure it is gone (by its pid)."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self.pump(0.2):
            pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def wait_ready(servers):
    deadline = time.monotonic() + READY_WAIT
    while not all(s.ready for s in servers):
        if time.monotonic() > deadline:
            raise SystemExit("maker_zoo: the cameras did not start within %.0f s" % READY_WAIT)
        for s in servers:
            if not s.ready and not s.pump(0.05):
                raise SystemExit("maker_zoo: a camera exited before READY (port in use?)")


def camera(address, maker, server_header):
    entry = {
        "address": address,
        "port": maker["port"],
        "auth": None,
        "describes": True,
        "backlog": 64,
        "mounts": [{"path": maker["main"], "video": VIDEO, "audio": None}],
    }
    if server_header:
        entry["server_header"] = server_header
    return entry


def asked(servers):
    """Per address: the paths DESCRIBEd, in order, without `/` and the random baseline."""
    out = {}
    for s in servers:
        for line in s.lines:
            parts = line.split(" ", 2)
            if len(parts) != 3 or parts[0] != "DESCRIBE":
                continue
            address, path = parts[1].rsplit(":", 1)[0], parts[2]
            if path == "/" or path.startswith("/camscan-"):
                continue
            out.setdefault(address, []).append(path)
    return out


def scan(cmd, what, out, run):
    log("scanning (%s): %s" % (what, " ".join(cmd)))
    started = time.monotonic()
    got = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    took = time.monotonic() - started
    if out:
        with open(os.path.join(out, "report-%s.json" % run), "wb") as f:
            f.write(got.stdout)
        with open(os.path.join(out, "camscan-%s.log" % run), "wb") as f:
            f.write(got.stderr)
    if got.returncode not in (0, 1):
        sys.stderr.write(got.stderr.decode(errors="replace")[-4000:])
        raise SystemExit("maker_zoo: camscan exited with %d" % got.returncode)
    return json.loads(got.stdout), took


def keep(servers, out, run):
    if out:
        with open(os.path.join(out, "cameras-%s.txt" % run), "w") as f:
            for s in servers:
                f.write("\n".join(s.lines) + "\n")


def walks(report):
    """Per device address: its RTSP service's path_walk (the first one)."""
    out = {}
    for d in report.get("devices", []):
        for s in d.get("services", []):
            if s.get("protocol") == "rtsp" and s.get("path_walk") is not None:
                out.setdefault(d.get("ip"), s["path_walk"])
    return out


def verdicts(makers, addresses, asked_by, walk_by):
    rows = []
    for m, a in zip(makers, addresses):
        first = asked_by.get(a, [])[:2]
        w = walk_by.get(a, {})
        rows.append(
            {
                "id": m["id"],
                "main": m["main"],
                "first": first,
                "ok": m["main"] in first,
                "maker": w.get("maker"),
                "by": w.get("by"),
                "named_by": w.get("named_by"),
            }
        )
    return rows


def print_run(title, rows, took):
    ok = sum(r["ok"] for r in rows)
    print("\n## %s: %d makers, scanned in %.1f s" % (title, len(rows), took))
    print("%-18s %-3s %-45s %-45s %s" % ("maker", "ok", "main path", "first two asked", "path_walk"))
    for r in rows:
        walk = "%s (%s)" % (r["maker"], r["by"]) if r["maker"] else "no maker"
        if r["named_by"]:
            walk += " named by %s" % r["named_by"]
        print(
            "%-18s %-3s %-45s %-45s %s"
            % (r["id"], "yes" if r["ok"] else "NO", r["main"][:45], " ".join(r["first"])[:45], walk)
        )
    pct = 100.0 * ok / len(rows) if rows else 0.0
    print("main path among the first two asked: %d of %d (%.0f%%)" % (ok, len(rows), pct))
    return ok, len(rows)


def ports_of(makers):
    return ",".join(str(p) for p in sorted({m["port"] for m in makers}))


def run_loopback(makers, camscan, tmp, out):
    addresses = [str(LOOPBACK + i) for i in range(len(makers))]
    config = [camera(a, m, m["name"]) for a, m in zip(addresses, makers)]
    servers = [
        Server(config[i : i + PER_PROCESS], tmp=tmp) for i in range(0, len(config), PER_PROCESS)
    ]
    try:
        wait_ready(servers)
        cmd = [camscan, "scan", "%s-%s" % (addresses[0], addresses[-1]), "-p", ports_of(makers),
               "--discovery", "ports", "--no-db", "-f", "json"]
        report, took = scan(cmd, "loopback, Server header", out, "a")
    finally:
        for s in servers:
            s.stop()
        keep(servers, out, "a")
    return verdicts(makers, addresses, asked(servers), walks(report)), took


def lab(cmd, *args):
    subprocess.run(["bash", LAB, cmd, PREFIX] + [str(a) for a in args], check=True)


def run_lab(makers, camscan, tmp, out):
    makers = makers[:99]
    addresses = ["198.18.0.%d" % (LAB_FIRST + i) for i in range(len(makers))]
    servers = []
    lab("up", len(makers))
    try:
        for i, (m, a) in enumerate(zip(makers, addresses), start=1):
            ns = "%s-x%d" % (PREFIX, i)
            subprocess.run(["ip", "-n", ns, "link", "set", "dev", "eth0", "address", m["mac"]],
                           check=True)
            servers.append(Server([camera(a, m, None)], netns=ns, tmp=tmp))
        wait_ready(servers)
        cmd = ["ip", "netns", "exec", "%s-scan" % PREFIX, camscan, "scan",
               "%s-%s" % (addresses[0], addresses[-1]), "-p", ports_of(makers),
               "--discovery", "arp,ports", "--no-db", "-f", "json"]
        report, took = scan(cmd, "namespace lab, MAC", out, "b")
    finally:
        for s in servers:
            s.stop()
        keep(servers, out, "b")
        lab("down")
    return verdicts(makers, addresses, asked(servers), walks(report)), took


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--table", required=True, help="examples/maker_zoo's JSON")
    ap.add_argument("--camscan", default=os.path.join(ROOT, "target", "release", "camscan"))
    ap.add_argument("--runs", default="a,b", help="a (Server header), b (MAC), or both")
    ap.add_argument("--out", help="keep the reports, logs and camera lines here")
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("maker_zoo: needs root (port 554, ip netns)")
    with open(args.table) as f:
        makers = json.load(f)
    runs = set(args.runs.split(","))
    camscan = os.path.abspath(args.camscan)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
    totals = []
    with tempfile.TemporaryDirectory(prefix="maker_zoo.") as tmp:
        if "a" in runs:
            rows, took = run_loopback(makers, camscan, tmp, args.out)
            totals.append(("(a) Server header", print_run("(a) loopback, `Server: <maker>`", rows, took)))
        if "b" in runs:
            owned = [m for m in makers if m.get("mac")]
            rows, took = run_lab(owned, camscan, tmp, args.out)
            totals.append(("(b) MAC", print_run("(b) namespace lab, a MAC in the maker's IEEE block", rows, took)))
            none = [m["id"] for m in makers if not m.get("mac")]
            print("\nmakers with no IEEE block of their own (counted in (a) only): %d: %s"
                  % (len(none), " ".join(none)))
    print("\ncamscan: %s" % camscan)
    for title, (ok, n) in totals:
        print("%s: %d of %d (%.0f%%)" % (title, ok, n, 100.0 * ok / n if n else 0.0))


if __name__ == "__main__":
    main()
