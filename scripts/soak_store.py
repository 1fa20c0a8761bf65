#!/usr/bin/env python3
"""The inventory under load (issue 72), run by `scripts/bench --store-soak [MINUTES]` (root).

Builds:
  * the scale lab (tests/lab/scale_lab.sh up PREFIX attached HOSTS; default 1,000 hosts, 600 of
    them GStreamer RTSP cameras, every host nginx on 80, spread over 198.19.0.0/20, each its own
    MAC). camscan runs only inside its scanner namespace PREFIX-scan (`ip netns exec`). Its one
    GStreamer RTSP server for the 600 cameras is watched every SAMPLE seconds: when it has ended
    by itself (GStreamer's RTSP server aborts now and then under this load, see
    Lab.restart_rtsp) it is started again, and the time and its last error are printed;
  * churn: an nftables set in the hosts' namespace (an `inet` table dropping IP to its addresses
    and an `arp` table dropping ARP requests for them), so that CHURN hosts (default 20, 2% of a
    thousand) chosen at random are silent for a round, then back while another CHURN go: every
    complete scan has device_offline and device_online events to record, send and replicate;
  * inside PREFIX-scan, on the namespace's own loopback: Debian's PostgreSQL (initdb in the temp
    dir, password logins: SCRAM over TCP, trust on its Unix socket for this script's psql), set up
    as docs/guide/fleet.md says (`camscan hub add-site soak` with the owner's login; the agent logs
    in as the site's own role, row-level security on); and tests/servers/webhook_receiver.py, which
    prints one JSON line per POST it is sent (its delivery id, the event id).

Runs, for MINUTES (default 10), each a release camscan on one SQLite inventory INV:
  watch  `camscan watch RANGE --every EVERY --db INV --site soak --notify webhook=...` (the rounds,
         the outbox to the receiver, signed)
  serve  `camscan serve --db INV --listen 127.0.0.1:18080`, read by a reader (this script's
         `reader` mode, in the namespace) that asks devices, one device, events, streams, scans,
         sites and diff in turn, every READ_PAUSE seconds, and logs each answer's status
  agent  `camscan serve --db INV --site soak --hub postgres://camscan_site_soak@... --listen
         127.0.0.1:18081` (camscan has no agent of its own: `serve --hub` without a schedule is
         the fleet's agent beside a server, `watch --hub` one beside the rounds; a process of its
         own so that it can be killed alone)
and a killer: at random moments (every KILL_MIN to KILL_MAX seconds, seeded by --seed, printed)
SIGKILL to one of the three, chosen at random (by PID, only processes this script started), then
`PRAGMA integrity_check` on INV (Python's sqlite3, in this process), then the killed one started
again.

Then, with kills and churn stopped and every host back: the outbox and the agent drained (waited
for, at most DRAIN seconds), every process stopped with SIGTERM, and checked:
  * integrity_check ok after every kill and at the end;
  * events in INV: ids unique (the primary key says so; counted anyway); no event twice, where
    twice means the same device, kind, scan, stream and detail recorded more than once; no device
    with two device_new, and per device device_offline and device_online alternate;
  * the hub's copy of site soak's events equals INV's by origin_id (none missing, none twice, the
    same kind each);
  * the receiver got every event the sink's cursor in INV has passed (lost: passed, never
    received); duplicates delivered are counted, and each is told apart by whether a kill of
    watch fell between its two deliveries (the outbox is at least once: a kill between a send
    and its cursor write sends it again) or not (a duplicate with no kill between is a bug);
  * serve's answers: non-2xx and failed requests, those while serve was down (from its kill to
    its first answer after) counted apart;
  * no line with ERROR or `disk I/O error` in any camscan log (every incarnation's stderr);
  * peak RSS (VmHWM) of each role, the highest of its incarnations (sampled every SAMPLE seconds
    and just before each kill);
  * replication lag: the age of the oldest event of INV the hub lacks, sampled every SAMPLE s.
Prints the figures and `ok` or the failed checks; exit 0 when every check holds, 1 otherwise.

Loopback and the lab's namespaces only. Everything it starts is stopped on exit (the camscan
processes, the reader, the receiver, PostgreSQL by PID, the lab's `down`, the temp dir unless
--keep).
"""

import argparse
import json
import os
import random
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAB = os.path.join(ROOT, "tests/lab/scale_lab.sh")
SITE = "soak"
# Ports on the scanner namespace's own loopback (a namespace of this script's: nothing else
# listens there).
SERVE_PORT, AGENT_PORT, HOOK_PORT, PG_PORT = 18080, 18081, 18090, 55432
# The lab's default range (scale_lab.sh: 198.19.0.0/20 unless told).
RANGE = "198.19.0.0/20"
# A PostgreSQL's own limit is 100 connections; three camscan processes need a handful.
PG_MAX_CONNECTIONS = 50
# The reader's pause between two requests: a page open in a browser polls about this often, and
# it leaves the 2-core machine to the scans.
READ_PAUSE = 0.2
# How often peak RSS and the hub's lag are sampled.
SAMPLE = 2.0
# The longest wait for the outbox and the agent to drain at the end, and for a stopped process.
DRAIN = 240
STOP_WAIT = 30
ENDPOINTS = ["/api/v1/devices?limit=100", "/api/v1/devices/{id}", "/api/v1/events?limit=100",
             "/api/v1/streams?limit=100", "/api/v1/scans", "/api/v1/sites", "/api/v1/diff"]


def log(msg):
    print("soak: " + msg, file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


# ---------------------------------------------------------------------------------------------
# The reader: a mode of its own, run inside the namespace, one JSON line per request.

def reader(args):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    base = "http://127.0.0.1:%d" % args.port
    ids = []
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    rng = random.Random(args.seed)
    with open(args.out, "a") as out:
        i = 0
        while not stop.is_set() and i < args.max_requests:
            path = ENDPOINTS[i % len(ENDPOINTS)]
            i += 1
            if "{id}" in path:
                if not ids:
                    continue
                path = path.replace("{id}", str(rng.choice(ids)))
            t0 = time.monotonic()
            status, err = None, None
            try:
                with opener.open(base + path, timeout=10) as r:
                    status = r.status
                    body = r.read()
                if path.startswith("/api/v1/devices?"):
                    try:
                        items = json.loads(body)
                        items = items.get("items", items) if isinstance(items, dict) else items
                        ids = [d["id"] for d in items if isinstance(d, dict) and "id" in d] or ids
                    except (ValueError, KeyError, TypeError):
                        pass
            except urllib.error.HTTPError as e:
                status = e.code
            except (OSError, urllib.error.URLError) as e:
                err = type(e).__name__ + ": " + str(getattr(e, "reason", e))
            out.write(json.dumps({"t": t0, "ms": round((time.monotonic() - t0) * 1000, 1),
                                  "path": path.split("?")[0], "status": status, "err": err}) + "\n")
            out.flush()
            stop.wait(READ_PAUSE)
    return 0


# ---------------------------------------------------------------------------------------------
# PostgreSQL, inside the namespace.

def pg_bin():
    base = "/usr/lib/postgresql"
    majors = sorted((int(v) for v in os.listdir(base) if v.isdigit()), reverse=True)
    for m in majors:
        b = os.path.join(base, str(m), "bin")
        if os.path.exists(os.path.join(b, "initdb")):
            return b
    raise SystemExit("soak: no PostgreSQL (apt-get install postgresql)")


AS_POSTGRES = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]


class Hub:
    def __init__(self, tmp, ns):
        self.bin = pg_bin()
        # The postgres user must reach its data directory (its files inside are 0600 anyway).
        os.chmod(tmp, 0o755)
        self.dir = os.path.join(tmp, "pg")
        self.data = os.path.join(self.dir, "data")
        os.makedirs(self.data)
        run(["chown", "-R", "postgres:postgres", self.dir])
        run(AS_POSTGRES + [os.path.join(self.bin, "initdb"), "--auth-local=trust",
                           "--auth-host=scram-sha-256", "-U", "camscan", "--locale=C", "-E",
                           "UTF8", "-N", "-D", self.data])
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns] + AS_POSTGRES + [
                os.path.join(self.bin, "postgres"), "-D", self.data,
                "-c", "listen_addresses=127.0.0.1", "-p", str(PG_PORT), "-k", self.dir,
                "-c", "max_connections=%d" % PG_MAX_CONNECTIONS],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.try_psql("postgres", "SELECT 1") is not None:
                break
            if self.proc.poll() is not None:
                raise SystemExit("soak: postgres exited: " + open(self.log.name).read())
            time.sleep(0.2)
        else:
            raise SystemExit("soak: postgres did not start in 30 s")
        self.owner_pw = os.path.join(tmp, "owner.pw")
        pw = secrets.token_hex(16)
        with open(self.owner_pw, "w") as f:
            f.write(pw + "\n")
        os.chmod(self.owner_pw, 0o600)
        self.psql("postgres", "ALTER ROLE camscan PASSWORD '%s'" % pw)
        self.psql("postgres", "CREATE DATABASE camscan")
        self.owner_url = "postgres://camscan@127.0.0.1:%d/camscan?sslmode=disable" % PG_PORT

    def try_psql(self, db, sql):
        r = subprocess.run([os.path.join(self.bin, "psql"), "-h", self.dir, "-p", str(PG_PORT),
                            "-U", "camscan", "-d", db, "-AtXqc", sql],
                           capture_output=True, text=True)
        return r.stdout if r.returncode == 0 else None

    def psql(self, db, sql):
        out = self.try_psql(db, sql)
        if out is None:
            raise SystemExit("soak: psql failed: " + sql)
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.proc.wait(STOP_WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ---------------------------------------------------------------------------------------------
# The lab and its churn.

class Lab:
    def __init__(self, prefix, hosts):
        self.prefix, self.ns, self.hosts_ns = prefix, prefix + "-scan", prefix + "-hosts"
        out = subprocess.run(["bash", LAB, "up", prefix, "attached", str(hosts)],
                             capture_output=True, text=True)
        if out.returncode != 0 or "READY" not in out.stdout.split():
            raise SystemExit("soak: the lab did not come up:\n" + out.stdout + out.stderr)
        with open("/run/camscan-scale-%s/hosts.txt" % prefix) as f:
            self.hosts = [line.split() for line in f if line.strip()]
        run(["ip", "netns", "exec", self.ns, "ip", "link", "set", "lo", "up"])
        # Requests only: each group's replies leave by its first macvlan (scale_lab.sh), which
        # must still learn the scanner's MAC from the scanner's ARP replies when its own address
        # is silenced; dropping those silenced a whole group's TCP (62 hosts) in a first run.
        run(["ip", "netns", "exec", self.hosts_ns, "nft", "-f", "-"], input="""
table inet soak {
  set down { type ipv4_addr; }
  chain pre { type filter hook prerouting priority -300; ip daddr @down drop; }
}
table arp soak {
  set down { type ipv4_addr; }
  chain in { type filter hook input priority 0; arp operation request arp daddr ip @down drop; }
}
""")
        self.down = []
        self.journal = None  # a file: each churn's time (monotonic) and silenced addresses

    def churn(self, addrs):
        """Bring back the silent hosts, silence `addrs`."""
        cmds = []
        for fam in ("inet", "arp"):
            cmds.append("flush set %s soak down" % fam)
            if addrs:
                cmds.append("add element %s soak down { %s }" % (fam, ", ".join(addrs)))
        run(["ip", "netns", "exec", self.hosts_ns, "nft", "-f", "-"], input="\n".join(cmds) + "\n")
        self.down = list(addrs)
        if self.journal:
            with open(self.journal, "a") as f:
                f.write("%.3f %s\n" % (time.monotonic(), " ".join(addrs)))

    def rtsp_up(self):
        out = subprocess.run(["ip", "netns", "exec", self.hosts_ns, "ss", "-Hltn", "sport", "=",
                              ":554"], capture_output=True, text=True).stdout
        return bool(out.strip())

    def restart_rtsp(self):
        """Start the lab's GStreamer RTSP server again, as scale_lab.sh's `up` does (its stdin
        held by `sleep infinity`; `down` ends both). GStreamer's RTSP server (1.22, Debian 12)
        aborts now and then under a scan of 600 cameras with shared media:
        `gst_rtsp_stream_transport_backlog_push: assertion failed: (queue_duration >= 0)`.
        Returns the last line of its log (why it ended)."""
        run_dir = "/run/camscan-scale-%s" % self.prefix
        with open(os.path.join(run_dir, "rtsp.log"), errors="replace") as f:
            why = ([l.strip() for l in f if "ERROR" in l or "assertion" in l] or ["?"])[-1]
        subprocess.Popen(
            ["ip", "netns", "exec", self.hosts_ns, "setsid", "sh", "-c",
             "sleep infinity | exec /usr/bin/python3 '%s' '%s'"
             % (os.path.join(ROOT, "tests/servers/rtsp_server.py"),
                os.path.join(run_dir, "rtsp.json"))],
            stdin=subprocess.DEVNULL, stdout=open(os.path.join(run_dir, "rtsp.out"), "a"),
            stderr=open(os.path.join(run_dir, "rtsp.log"), "a"))
        deadline = time.time() + 60
        while time.time() < deadline and not self.rtsp_up():
            time.sleep(0.5)
        return why

    def teardown(self):
        subprocess.run(["bash", LAB, "down", self.prefix], capture_output=True)


# ---------------------------------------------------------------------------------------------
# The camscan processes.

class Role:
    """One camscan process kept running: its command, its current Popen, every incarnation's
    log, and its figures."""

    def __init__(self, name, cmd, env, tmp):
        self.name, self.cmd, self.env, self.tmp = name, cmd, env, tmp
        self.proc = None
        self.logs = []
        self.kills = 0
        self.hwm_kb = 0
        self.crashes = []  # (time, exit code): exits nobody asked for
        self.killed_at = []  # monotonic times of kills

    def start(self):
        path = os.path.join(self.tmp, "%s.%d.log" % (self.name, len(self.logs)))
        self.logs.append(path)
        err = open(path, "w")
        self.proc = subprocess.Popen(self.cmd, env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=err)
        err.close()

    def sample(self):
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        self.hwm_kb = max(self.hwm_kb, int(line.split()[1]))
        except (OSError, AttributeError):
            pass

    def kill(self):
        self.sample()
        # Before the signal: a request the kill refuses is never older than its kill.
        self.killed_at.append(time.monotonic())
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.kills += 1

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.sample()
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(STOP_WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return "killed after %d s" % STOP_WAIT
        return None


def integrity(db):
    c = sqlite3.connect(db, timeout=60)
    try:
        return ";".join(r[0] for r in c.execute("PRAGMA integrity_check"))
    finally:
        c.close()


def inv_query(db, sql):
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=60)
    try:
        return c.execute(sql).fetchall()
    finally:
        c.close()


# ---------------------------------------------------------------------------------------------
# The soak.

def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="mode")
    r = sub.add_parser("reader", help="(internal) the serve reader, run inside the namespace")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--seed", type=int, default=0)
    # Bounded: at READ_PAUSE a request, a day's worth.
    r.add_argument("--max-requests", type=int, default=500000)
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--hosts", type=int, default=1000, help="lab hosts (default 1000)")
    p.add_argument("--seed", type=int, default=None, help="default: random, printed")
    p.add_argument("--every", default="30s",
                   help="watch's --every (default 30s: a 1,000-host round takes 10-15 s alone)")
    p.add_argument("--kill-min", type=float, default=10.0, help="seconds (default 10)")
    p.add_argument("--kill-max", type=float, default=30.0,
                   help="seconds (default 30: about 30 kills in 10 minutes, 10 each)")
    p.add_argument("--churn", type=int, default=20, help="hosts silenced at a time (default 20)")
    p.add_argument("--churn-every", type=float, default=45.0,
                   help="seconds between two churns (default 45: longer than a round and its"
                        " wait, so that most silences span one complete scan)")
    p.add_argument("--camscan", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release/camscan"))
    p.add_argument("--prefix", default=os.environ.get("CAMSCAN_SOAK_PREFIX", "cssoak"))
    p.add_argument("--keep", action="store_true", help="keep the temp dir (logs, INV)")
    return p.parse_args()


class Soak:
    def __init__(self, args):
        self.args = args
        self.seed = args.seed if args.seed is not None else random.randrange(1 << 31)
        self.kill_rng = random.Random(self.seed)
        self.churn_rng = random.Random(self.seed + 1)
        self.tmp = tempfile.mkdtemp(prefix="camscan-store-soak-")
        self.db = os.path.join(self.tmp, "inventory.db")
        self.lab = self.hub = self.receiver = self.reader = None
        self.roles = {}
        self.lock = threading.Lock()
        self.integrity = []  # (role, result, seconds)
        self.lag = []  # seconds, each sample
        self.stop_kills = threading.Event()
        self.stop_sampling = threading.Event()
        self.rtsp_restarts = []  # (seconds into the soak, why): the lab's, not camscan's

    def ns(self, cmd):
        return ["ip", "netns", "exec", self.lab.ns] + cmd

    def setup(self):
        a = self.args
        log("seed %d; temp dir %s" % (self.seed, self.tmp))
        self.lab = Lab(a.prefix, a.hosts)
        self.lab.journal = os.path.join(self.tmp, "churn.log")
        log("lab up: %d hosts" % len(self.lab.hosts))
        self.hub = Hub(self.tmp, self.lab.ns)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CAMSCAN_", "PG"))}
        env.update(XDG_CONFIG_HOME=os.path.join(self.tmp, "config"),
                   XDG_STATE_HOME=os.path.join(self.tmp, "state"), NO_COLOR="1")
        self.env = env
        site_pw = os.path.join(self.tmp, "site.pw")
        out = run(self.ns([a.camscan, "hub", "add-site", SITE, "--db", self.hub.owner_url,
                           "--db-password-file", self.hub.owner_pw, "--password-file", site_pw]),
                  env=env).stdout.strip().splitlines()
        agent_url = out[-1].strip()
        if "sslmode" not in agent_url:
            agent_url += ("&" if "?" in agent_url else "?") + "sslmode=disable"
        log("hub: %s" % agent_url)
        secret = os.path.join(self.tmp, "webhook.secret")
        with open(secret, "w") as f:
            f.write(secrets.token_hex(16) + "\n")
        os.chmod(secret, 0o600)
        self.hook_log = os.path.join(self.tmp, "receiver.jsonl")
        self.receiver = subprocess.Popen(
            self.ns(["/usr/bin/python3", os.path.join(ROOT, "tests/servers/webhook_receiver.py"),
                     "127.0.0.1", str(HOOK_PORT), secret, "ok"]),
            stdin=subprocess.PIPE, stdout=open(self.hook_log, "w"),
            stderr=open(os.path.join(self.tmp, "receiver.err"), "w"))
        deadline = time.time() + 30
        while time.time() < deadline and "READY" not in open(self.hook_log).read():
            time.sleep(0.2)
        cs = a.camscan
        self.roles = {
            "watch": Role("watch", self.ns([
                cs, "watch", RANGE, "--every", a.every, "--db", self.db, "--site", SITE,
                "--notify", "webhook=http://127.0.0.1:%d/hook" % HOOK_PORT,
                "--webhook-secret-file", secret]), env, self.tmp),
            "serve": Role("serve", self.ns([
                cs, "serve", "--db", self.db, "--listen", "127.0.0.1:%d" % SERVE_PORT]),
                env, self.tmp),
            "agent": Role("agent", self.ns([
                cs, "serve", "--db", self.db, "--site", SITE, "--hub", agent_url,
                "--hub-password-file", site_pw, "--listen", "127.0.0.1:%d" % AGENT_PORT]),
                env, self.tmp),
        }
        # The watch first: it makes the inventory (and its site) before the others open it.
        self.roles["watch"].start()
        deadline = time.time() + 60
        while time.time() < deadline and not os.path.exists(self.db):
            time.sleep(0.2)
        time.sleep(2)
        self.roles["serve"].start()
        self.roles["agent"].start()

    def start_reader(self):
        self.read_log = os.path.join(self.tmp, "reader.jsonl")
        self.reader = subprocess.Popen(
            self.ns(["/usr/bin/python3", os.path.abspath(__file__), "reader", "--port",
                     str(SERVE_PORT), "--out", self.read_log, "--seed", str(self.seed)]),
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.tmp, "reader.err"), "w"))

    # -- the threads ------------------------------------------------------------------------

    def killer(self, end):
        names = sorted(self.roles)
        # Bounded: at least kill_min between two kills.
        for _ in range(int((end - time.monotonic()) / self.args.kill_min) + 1):
            wait = self.kill_rng.uniform(self.args.kill_min, self.args.kill_max)
            if self.stop_kills.wait(max(0.0, min(wait, end - time.monotonic()))):
                return
            if time.monotonic() >= end:
                return
            name = self.kill_rng.choice(names)
            with self.lock:
                role = self.roles[name]
                role.kill()
                t0 = time.monotonic()
                result = integrity(self.db)
                self.integrity.append((name, result, time.monotonic() - t0))
                role.start()
            log("kill %d at %.3f (monotonic): %s (integrity_check: %s in %.2f s)"
                % (len(self.integrity), role.killed_at[-1], name, result, self.integrity[-1][2]))

    def sampler(self):
        for _ in range(int(24 * 3600 / SAMPLE)):
            if self.stop_sampling.wait(SAMPLE):
                return
            with self.lock:
                for role in self.roles.values():
                    role.sample()
                    code = role.proc.poll()
                    if code is not None:
                        role.crashes.append((time.monotonic(), code))
                        log("%s exited by itself (%s); started again" % (role.name, code))
                        role.start()
            self.lag.append(self.hub_lag())
            if not self.lab.rtsp_up():
                t = time.monotonic()
                why = self.lab.restart_rtsp()
                self.rtsp_restarts.append((t - self.t0, why))
                log("the lab's RTSP server was gone at %.0f s (%s); started again" % (t - self.t0,
                                                                                      why))

    def hub_lag(self):
        """Seconds since the oldest event of INV the hub lacks was recorded (0: none)."""
        got = self.hub.try_psql("camscan", "SELECT coalesce(max(origin_id), 0) FROM events "
                                           "WHERE site = '%s'" % SITE)
        try:
            at = int(got.strip()) if got else 0
            rows = inv_query(self.db, "SELECT min(at) FROM events WHERE id > %d" % at)
        except (ValueError, sqlite3.Error):
            return None
        if not rows or rows[0][0] is None:
            return 0.0
        return max(0.0, time.time() - rows[0][0] / 1000.0)

    def churner(self, end):
        addrs = [h[0] for h in self.lab.hosts]
        for _ in range(int((end - time.monotonic()) / self.args.churn_every) + 1):
            if time.monotonic() >= end or self.stop_kills.is_set():
                break
            self.lab.churn(self.churn_rng.sample(addrs, min(self.args.churn, len(addrs))))
            self.stop_kills.wait(max(0.0, min(self.args.churn_every, end - time.monotonic())))
        self.lab.churn([])

    # -- the run ----------------------------------------------------------------------------

    def wait_rounds(self):
        """Two complete rounds: every host known, and a diff to serve (/api/v1/diff answers 404
        until there are two complete scans to compare)."""
        deadline = time.time() + 600
        while time.time() < deadline:
            try:
                if inv_query(self.db, "SELECT count(*) FROM scans WHERE complete = 1")[0][0] >= 2:
                    return
            except sqlite3.Error:
                pass
            time.sleep(1)
        raise SystemExit("soak: not two complete rounds in 10 minutes")

    def drained(self):
        """True when the sinks' cursors and the hub hold every event of INV."""
        newest = inv_query(self.db, "SELECT coalesce(max(id), 0) FROM events")[0][0]
        sinks = inv_query(self.db, "SELECT coalesce(min(delivered), 0) FROM sinks")[0][0]
        hub = self.hub.try_psql("camscan", "SELECT coalesce(max(origin_id), 0) FROM events "
                                           "WHERE site = '%s'" % SITE)
        return newest > 0 and sinks >= newest and hub is not None and int(hub) >= newest

    def soak(self):
        a = self.args
        t_first = time.monotonic()
        self.wait_rounds()
        log("two complete rounds after %.0f s; soaking %.1f min" % (time.monotonic() - t_first,
                                                                    a.minutes))
        self.start_reader()
        self.t0 = time.monotonic()
        end = self.t0 + a.minutes * 60
        threads = [threading.Thread(target=self.killer, args=(end,), daemon=True),
                   threading.Thread(target=self.churner, args=(end,), daemon=True),
                   threading.Thread(target=self.sampler, daemon=True)]
        for t in threads:
            t.start()
        threads[0].join()
        threads[1].join()
        self.t_end = time.monotonic()
        log("kills and churn over; every host back; draining (at most %d s)" % DRAIN)
        # A round after the churn ended takes the last silent hosts online again; then the sinks
        # and the agent catch up.
        rounds0 = inv_query(self.db, "SELECT count(*) FROM scans WHERE complete = 1")[0][0]
        deadline = time.monotonic() + DRAIN
        self.drain_s = None
        while time.monotonic() < deadline:
            rounds = inv_query(self.db, "SELECT count(*) FROM scans WHERE complete = 1")[0][0]
            if rounds > rounds0 and self.drained():
                self.drain_s = time.monotonic() - self.t_end
                break
            time.sleep(1)
        self.stop_sampling.set()
        threads[2].join()
        self.exits = {}
        # The watch first (its last events reach the hub through the agent), then the others.
        self.exits["watch"] = self.roles["watch"].stop()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not self.drained():
            time.sleep(1)
        # The reader before serve: a request refused by a server stopping on purpose is none of
        # serve's failures.
        self.reader.stdin.close()
        self.reader.wait(STOP_WAIT)
        self.reader = None
        for name in ("agent", "serve"):
            self.exits[name] = self.roles[name].stop()

    # -- the checks -------------------------------------------------------------------------

    def report(self):
        a, fails = self.args, []
        db = self.db
        final = integrity(db)
        bad = [r for r in self.integrity if r[1] != "ok"]
        if bad or final != "ok":
            fails.append("integrity_check: %s; at the end %s" % (bad, final))
        events = inv_query(db, "SELECT id, device_id, kind, scan_id, stream_url, detail, at "
                               "FROM events ORDER BY id")
        ids = [e[0] for e in events]
        kinds = {}
        for e in events:
            kinds[e[2]] = kinds.get(e[2], 0) + 1
        seen, twice = {}, []
        for e in events:
            key = (e[1], e[2], e[3], e[4], e[5])
            if key in seen:
                twice.append((seen[key], e[0]))
            seen[key] = e[0]
        per_device, state_errors = {}, []
        for e in events:
            if e[2] in ("device_new", "device_offline", "device_online"):
                prev = per_device.get(e[1])
                if e[2] == "device_new" and prev is not None:
                    state_errors.append((e[0], e[1], "device_new after " + prev))
                if e[2] != "device_new" and prev == e[2]:
                    state_errors.append((e[0], e[1], e[2] + " twice in a row"))
                per_device[e[1]] = e[2]
        if len(set(ids)) != len(ids):
            fails.append("event ids not unique")
        if twice:
            fails.append("%d events recorded twice: %s" % (len(twice), twice[:10]))
        if state_errors:
            fails.append("%d device state events out of turn: %s" % (len(state_errors),
                                                                       state_errors[:10]))
        # The hub.
        hub_rows = [l.split("|") for l in self.hub.psql(
            "camscan", "SELECT origin_id, kind FROM events WHERE site = '%s'" % SITE).split()]
        hub_ids = [int(r[0]) for r in hub_rows]
        hub_kind = {int(r[0]): r[1] for r in hub_rows}
        inv_kind = {e[0]: e[2] for e in events}
        missing = sorted(set(ids) - set(hub_ids))
        extra = sorted(set(hub_ids) - set(ids))
        hub_twice = len(hub_ids) - len(set(hub_ids))
        wrong_kind = [i for i in ids if i in hub_kind and hub_kind[i] != inv_kind[i]]
        if missing or extra or hub_twice or wrong_kind:
            fails.append("hub: %d missing %s, %d not at the site %s, %d twice, %d of another kind"
                         % (len(missing), missing[:10], len(extra), extra[:10], hub_twice,
                            len(wrong_kind)))
        hub_scans = int(self.hub.psql("camscan", "SELECT count(*) FROM scans WHERE site = '%s'"
                                      % SITE).strip() or 0)
        # The receiver.
        got = {}
        for line in open(self.hook_log):
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if r.get("delivery"):
                got.setdefault(int(r["delivery"]), []).append(r["t"])
        cursor = inv_query(db, "SELECT coalesce(min(delivered), 0) FROM sinks")[0][0]
        lost = [i for i in ids if i <= cursor and i not in got]
        pending = [i for i in ids if i > cursor and i not in got]
        unknown = sorted(set(got) - set(ids))
        watch_kills = self.roles["watch"].killed_at
        dup_after_kill, dup_no_kill = [], []
        for i, ts in got.items():
            if len(ts) > 1:
                ts = sorted(ts)
                if any(ts[0] < k < ts[-1] for k in watch_kills):
                    dup_after_kill.append(i)
                else:
                    dup_no_kill.append(i)
        if lost or pending or unknown:
            fails.append("receiver: %d lost %s, %d never sent %s, %d unknown ids"
                         % (len(lost), lost[:10], len(pending), pending[:10], len(unknown)))
        if dup_no_kill:
            fails.append("receiver: %d duplicates with no kill of watch between: %s"
                         % (len(dup_no_kill), sorted(dup_no_kill)[:10]))
        # serve's answers.
        reqs = [json.loads(l) for l in open(self.read_log) if l.strip()]
        down = []  # (kill, first 2xx after)
        for k in self.roles["serve"].killed_at:
            after = [r["t"] for r in reqs if r["t"] > k and r["status"] and r["status"] < 300]
            down.append((k, min(after) if after else float("inf")))
        # A request in flight when serve was killed counts as during its restart too.
        in_down = lambda r: any(k <= r["t"] + r["ms"] / 1000.0 and r["t"] <= u for k, u in down)
        failed = [r for r in reqs if not (r["status"] and 200 <= r["status"] < 300)]
        during = [r for r in failed if in_down(r)]
        other = [r for r in failed if not in_down(r)]
        if other:
            fails.append("serve: %d requests failed while it ran: %s" % (len(other), other[:5]))
        ms = sorted(r["ms"] for r in reqs if r["status"] and r["status"] < 300)
        # Logs.
        bad_lines = []
        for role in self.roles.values():
            for path in role.logs:
                for line in open(path, errors="replace"):
                    if "ERROR" in line or "disk I/O error" in line:
                        bad_lines.append("%s: %s" % (os.path.basename(path), line.strip()))
        if bad_lines:
            fails.append("%d ERROR lines in the logs" % len(bad_lines))
        crashes = {n: r.crashes for n, r in self.roles.items() if r.crashes}
        if crashes:
            fails.append("exits nobody asked for: %s" % crashes)
        scans = inv_query(db, "SELECT count(*), coalesce(sum(complete), 0) FROM scans")[0]
        durs = [r[0] / 1000.0 for r in inv_query(
            db, "SELECT finished_at - started_at FROM scans WHERE complete = 1 ORDER BY id")]
        lags = [x for x in self.lag if x is not None]
        warn_lines = sum(1 for r in self.roles.values() for p in r.logs
                         for line in open(p, errors="replace") if " WARN " in line)

        print("store soak: %d hosts (%d cameras), watch --every %s, %.1f min of kills, seed %d"
              % (len(self.lab.hosts), sum(1 for h in self.lab.hosts if h[2] == "camera"),
                 a.every, (self.t_end - self.t0) / 60, self.seed))
        print("  camscan: %s" % a.camscan)
        print("  kills: %s (%d in all); integrity_check after each: %s (%.2f s at most); at the "
              "end: %s" % (", ".join("%s %d" % (n, r.kills) for n, r in sorted(self.roles.items())),
                           len(self.integrity),
                           "ok" if not bad else "%d not ok" % len(bad),
                           max((r[2] for r in self.integrity), default=0), final))
        print("  rounds: %d scans recorded, %d complete; complete round %.1f s median, %.1f s "
              "max (%d)" % (scans[0], scans[1], statistics.median(durs) if durs else 0,
                            max(durs, default=0), len(durs)))
        print("  churn: %d hosts silenced at a time, every %.0f s" % (a.churn, a.churn_every))
        print("  the lab's RTSP server (GStreamer) ended by itself %d times, started again: %s"
              % (len(self.rtsp_restarts), "; ".join("at %.0f s: %s" % r
                                                    for r in self.rtsp_restarts) or "-"))
        print("  events in INV: %d (%s); recorded twice: %d; device states out of turn: %d"
              % (len(ids), ", ".join("%s %d" % kv for kv in sorted(kinds.items())), len(twice),
                 len(state_errors)))
        print("  hub: %d events of site %s (missing %d, extra %d, twice %d, other kind %d); "
              "%d scans at the hub, %d at the site" % (len(hub_ids), SITE, len(missing),
                                                        len(extra), hub_twice, len(wrong_kind),
                                                        hub_scans, scans[0]))
        print("  receiver: %d of %d events received (cursor %d); lost %d; never sent %d; "
              "delivered twice or more: %d after a kill of watch between, %d with no kill "
              "between" % (len(set(got) & set(ids)), len(ids), cursor, len(lost), len(pending),
                           len(dup_after_kill), len(dup_no_kill)))
        print("  serve: %d requests, %d failed (%d during its %d restarts, %d otherwise); "
              "p50 %.0f ms, p95 %.0f ms, max %.0f ms"
              % (len(reqs), len(failed), len(during), len(down), len(other),
                 ms[len(ms) // 2] if ms else 0, ms[int(len(ms) * 0.95)] if ms else 0,
                 ms[-1] if ms else 0))
        print("  replication lag (oldest event the hub lacks, every %.0f s): p50 %.1f s, p95 "
              "%.1f s, max %.1f s; drained %s after the kills ended"
              % (SAMPLE, statistics.median(lags) if lags else 0,
                 sorted(lags)[int(len(lags) * 0.95)] if lags else 0, max(lags, default=0),
                 "%.0f s" % self.drain_s if self.drain_s is not None else "NOT"))
        print("  peak RSS (VmHWM, highest incarnation): %s"
              % ", ".join("%s %.1f MB" % (n, r.hwm_kb / 1024) for n, r in
                          sorted(self.roles.items())))
        print("  graceful stop: %s" % ", ".join("%s %s" % kv for kv in sorted(self.exits.items())))
        print("  logs: %d ERROR lines, %d WARN lines" % (len(bad_lines), warn_lines))
        for line in bad_lines[:10]:
            print("    " + line)
        if self.drain_s is None:
            fails.append("not drained in %d s" % DRAIN)
        print("  " + ("ok" if not fails else "FAILED:\n    " + "\n    ".join(fails)))
        return 0 if not fails else 1

    def teardown(self):
        for role in self.roles.values():
            try:
                role.stop()
            except Exception:  # noqa: BLE001 - teardown goes on
                pass
        for p in (self.reader, self.receiver):
            if p and p.poll() is None:
                try:
                    p.stdin.close()
                except OSError:
                    pass
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        if self.hub:
            self.hub.stop()
        if self.lab:
            self.lab.teardown()
        if self.args.keep:
            log("kept " + self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def main():
    args = parse()
    if args.mode == "reader":
        return reader(args)
    if os.geteuid() != 0:
        raise SystemExit("soak: needs root (network namespaces)")
    s = Soak(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        s.setup()
        s.soak()
        return s.report()
    finally:
        s.teardown()


if __name__ == "__main__":
    sys.exit(main())
