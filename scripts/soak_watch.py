#!/usr/bin/env python3
"""Soak of `camscan watch --check-streams` (issue 16), run by `scripts/bench --watch [MINUTES]`.

100 loopback streams, as GStreamer's RTSP server serves them in deployments (shared media, so a
client arriving while the previous one's media is torn down gets 503 now and then; x264 with
B-frames and look-ahead, so each stream's first packet takes ~1.5 s), are checked
every 5 s for MINUTES (default 10) by a release build of camscan watch on a fresh inventory:
25 devices on 127.0.2.1-25, 4 streams each. Halfway, one device's server (127.0.2.25, a process
of its own) is stopped, and started again two minutes later.

Printed: CPU seconds per check interval, peak RSS of camscan (VmHWM), the most connections camscan
ever had open to one device at a sample (every 100 ms, with ss), store size at the
start and the end, and the events: stream_down for devices that never stopped must be zero (a
false alarm is why users turn monitoring off), and the stopped device's streams must go down
within --down-after checks and come back up.

Loopback only. Everything it starts is stopped on exit.
"""

import json
import shutil
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEVICES = 25
PER_DEVICE = 4
EVERY = 5
DOWN_AFTER = 3
STOPPED = "127.0.2.25"


def server_config(addresses):
    return [
        {
            "address": a,
            "port": 8554,
            "shared": True,
            "auth": None,
            # A two-channel Hikvision-style device: main and sub stream of each channel (the
            # sizes differ, so a sub stream is no alias of its main one). camscan's channel walk
            # finds all four.
            "mounts": [
                {
                    "path": "/Streaming/Channels/%d0%d" % (ch, sub),
                    # x264 as deployments run it: main profile, B-frames, look-ahead (no
                    # zerolatency): the first packet of each check comes after ~1.5 s.
                    "video": {"codec": "h264", "width": 320 // sub, "height": 240 // sub,
                              "fps": 10, "profile": "main", "bframes": 2},
                    "audio": None,
                }
                for ch in (1, 2)
                for sub in (1, 2)
            ],
        }
        for a in addresses
    ]


def start_servers(tmp, name, addresses):
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        json.dump(server_config(addresses), f)
    p = subprocess.Popen(
        ["/usr/bin/python3", os.path.join(ROOT, "tests/servers/rtsp_server.py"), path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        line = p.stdout.readline()
        if line.strip() == "READY":
            threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()
            return p
        if not line and p.poll() is not None:
            break
    p.kill()
    raise SystemExit("rtsp_server.py did not start for " + name)


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
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def proc_hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def connections_per_device(pid):
    """Established TCP connections of `pid` to port 8554, by remote address: one `ss` snapshot
    (netlink sock_diag), which is consistent where reading /proc/PID/fd and then /proc/net/tcp is
    not (a socket closed and another opened between the two reads counted twice)."""
    out = subprocess.run(
        ["ss", "-Htnp", "state", "established", "dport", "=", ":8554"],
        capture_output=True, text=True,
    ).stdout
    counts = {}
    for line in out.splitlines():
        if "pid=%d," % pid not in line:
            continue
        parts = line.split()
        # Recv-Q Send-Q Local Peer Process
        peer = parts[3]
        ip = peer.rsplit(":", 1)[0]
        counts[ip] = counts.get(ip, 0) + 1
    return counts


def main():
    minutes = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
    camscan = os.path.join(ROOT, "target/release/camscan")
    tmp = tempfile.mkdtemp(prefix="camscan-soak-")
    db = os.path.join(tmp, "soak.db")
    addresses = ["127.0.2.%d" % i for i in range(1, DEVICES + 1)]
    steady = start_servers(tmp, "steady", addresses[:-1])
    stopped = start_servers(tmp, "stopped", addresses[-1:])
    watch = None
    events = []
    try:
        env = dict(os.environ, CAMSCAN_DB=db)
        env.setdefault("CAMSCAN_LOG", "warn")
        env.pop("CAMSCAN_NO_DB", None)
        watch = subprocess.Popen(
            [camscan, "watch", "127.0.2.1-127.0.2.%d" % DEVICES, "-p", "8554",
             "--every", "1d", "--check-streams", "%ds" % EVERY,
             "--down-after", str(DOWN_AFTER), "--no-listen"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )

        def read_events():
            for line in watch.stdout:
                try:
                    events.append((time.time(), json.loads(line)))
                except ValueError:
                    pass

        threading.Thread(target=read_events, daemon=True).start()
        errors = []
        def read_log():
            for line in watch.stderr:
                errors.append((time.time(), line))

        threading.Thread(target=read_log, daemon=True).start()
        # The first scan: every device new.
        deadline = time.time() + 300
        while time.time() < deadline:
            if sum(1 for _, e in events if e["kind"] == "device_new") >= DEVICES:
                break
            time.sleep(0.5)
        else:
            raise SystemExit("the first scan did not find the %d devices: %d events" % (DEVICES, len(events)))
        first_scan = time.time()
        out = subprocess.run([camscan, "devices", "-f", "json"], env=env, capture_output=True, text=True)
        known = sum(d["streams_total"] for d in json.loads(out.stdout or "[]"))
        print("soak: the first scan knows %d streams" % known, flush=True)
        size0 = os.path.getsize(db)
        cpu0 = proc_cpu(watch.pid)
        max_conn = 0
        samples = over = 0
        over_examples = []
        t_stop = first_scan + minutes * 30
        t_start = t_stop + 120
        stopped_at = started_at = None
        end = first_scan + minutes * 60
        while time.time() < end:
            now = time.time()
            if stopped_at is None and now >= t_stop:
                stop(stopped)
                stopped_at = now
            if started_at is None and stopped_at and now >= t_start:
                stopped = start_servers(tmp, "stopped", addresses[-1:])
                started_at = time.time()
            counts = connections_per_device(watch.pid)
            if counts:
                top = max(counts.values())
                max_conn = max(max_conn, top)
                samples += 1
                if top > 1:
                    over += 1
                    if len(over_examples) < 5:
                        over_examples.append((now - first_scan, {k: v for k, v in counts.items() if v > 1}))
                        if os.environ.get("SOAK_LOG"):
                            with open(os.environ["SOAK_LOG"], "a") as f:
                                f.write("=== %.3f over %s\n" % (now, counts))
            time.sleep(0.1)
        cpu = proc_cpu(watch.pid) - cpu0
        hwm = proc_hwm_kb(watch.pid)
        size1 = os.path.getsize(db)
        rounds = minutes * 60 / EVERY
        downs = [(t, e) for t, e in events if e["kind"] == "stream_down"]
        false_alarms = [e for _, e in downs if e["device"]["ip"] != STOPPED]
        real = [t for t, e in downs if e["device"]["ip"] == STOPPED]
        ups = [t for t, e in events if e["kind"] == "stream_up" and e["device"]["ip"] == STOPPED]
        print("soak: %d streams on %d devices, checked every %d s for %.1f min (%d intervals)"
              % (DEVICES * PER_DEVICE, DEVICES, EVERY, minutes, rounds))
        print("  CPU of camscan: %.1f s in all, %.3f s per %d s interval" % (cpu, cpu / rounds, EVERY))
        print("  peak RSS of camscan: %.1f MB (target < 50 MB)" % (hwm / 1024))
        print("  most connections open to one device at a sample: %d (target 1); samples with more "
              "than one: %d of %d" % (max_conn, over, samples))
        for t, c in over_examples:
            print("    at %.1f s: %s" % (t, c))
        print("  store: %.1f MB after the first scan, %.1f MB at the end" % (size0 / 1e6, size1 / 1e6))
        print("  stream_down of devices never stopped (false alarms): %d (target 0)" % len(false_alarms))
        if stopped_at:
            latest = max(real) - stopped_at if real else None
            print("  the stopped device: %d of %d streams down, the last %.1f s after the stop "
                  "(--down-after %d x %d s)" % (len(real), PER_DEVICE, latest or -1, DOWN_AFTER, EVERY))
        if started_at:
            print("  back up: %d of %d streams, the last %.1f s after the restart"
                  % (len(ups), PER_DEVICE, (max(ups) - started_at) if ups else -1))
        for e in false_alarms[:10]:
            print("  false alarm: %s %s" % (e["stream"], json.dumps(e["detail"])))
        kinds = {}
        for _, e in events:
            kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
        print("  events: %s" % json.dumps(kinds, sort_keys=True))
        ok = not false_alarms and max_conn <= 1 and hwm < 50 * 1024 and len(real) == PER_DEVICE
        return 0 if ok else 1
    finally:
        if os.environ.get("SOAK_LOG"):
            with open(os.environ["SOAK_LOG"], "a") as f:
                for t, line in errors:
                    f.write("%.3f %s" % (t, line))
        if watch and watch.poll() is None:
            watch.send_signal(signal.SIGTERM)
            try:
                watch.wait(20)
            except subprocess.TimeoutExpired:
                watch.kill()
        stop(steady)
        stop(stopped)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
