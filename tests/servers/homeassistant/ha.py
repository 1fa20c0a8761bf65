#!/usr/bin/python3
"""A real Home Assistant (PyPI homeassistant 2025.4.4, in the venv scripts/test makes) for camscan's
tests, onboarded, with a long-lived access token.

    ha.py --bind IP --port N --config-dir DIR --venv PATH

Run it only inside a network namespace with nothing but its loopback (tests/common/homeassistant.rs
makes one): Home Assistant opens mDNS and multicast sockets of its own.

What it does
    1. Writes DIR/configuration.yaml: a fixed home (location, time zone, metric units, name), `http:`
       on IP:N, `api:`, `config:` (the config-entry and flow API), `stream:` and `ffmpeg:` (what the
       generic camera's flow needs to open a stream). No `default_config:`: no recorder, no
       discovery, nothing else listening.
    2. Starts `PATH/bin/python3 -m homeassistant -c DIR --skip-pip` (never a pip install at run
       time: scripts/test installed every integration's packages), its own log in
       DIR/home-assistant.log, its stdout and stderr in DIR/ha.out. It dies with this launcher
       (PR_SET_PDEATHSIG).
    3. Waits (at most 120 s) for `GET /api/onboarding` to answer, onboards the owner
       (`POST /api/onboarding/users` -> an auth code -> `POST /auth/token`), asks the websocket for a
       long-lived access token (`auth/long_lived_access_token`) and writes it to DIR/token (0600).
    4. Prints READY.

Protocol with the test harness: `READY` on stdout once the token is written; the launcher stops Home
Assistant (SIGTERM, then SIGKILL after 20 s) and exits when its stdin reaches EOF. When Home
Assistant dies first, the last 50 lines of its log go to stderr and the launcher exits 1. The
owner's login is `owner` / `camscan-owner-password` (DIR/owner.json says so).
"""

import argparse
import base64
import ctypes
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

START_LIMIT = 120.0
OWNER = {"name": "Owner", "username": "owner", "password": "camscan-owner-password", "language": "en"}

CONFIGURATION = """\
homeassistant:
  name: camscan test home
  latitude: 48.8566
  longitude: 2.3522
  elevation: 35
  unit_system: metric
  time_zone: Europe/Paris
  country: FR
  currency: EUR
http:
  server_host: {bind}
  server_port: {port}
api:
config:
stream:
ffmpeg:
"""


def log(msg):
    print(f"ha.py: {msg}", file=sys.stderr, flush=True)


def die_with_parent():
    """In the child, before exec: SIGKILL when the launcher dies (prctl PR_SET_PDEATHSIG)."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)
    os.setpgrp()


def tail(path, n=50):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError as e:
        return f"({path}: {e})\n"


def http(base, method, path, body=None, form=None, token=None, timeout=10):
    """(status, parsed JSON or text) of one request; a refused connection raises OSError."""
    headers = {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


class WebSocket:
    """The least of RFC 6455 a client needs for Home Assistant's /api/websocket: text frames."""

    def __init__(self, host, port, path, timeout=20):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
             f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise OSError("websocket: connection closed during the handshake")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise OSError(f"websocket: {head[:200]!r}")

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise OSError("websocket: connection closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, obj):
        payload = json.dumps(obj).encode()
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            data = self._read(n)
            opcode = b0 & 0x0F
            if opcode == 0x8:
                raise OSError("websocket: closed by the server")
            if opcode in (0x9, 0xA):
                continue
            message += data
            if b0 & 0x80:
                return json.loads(message)

    def close(self):
        self.sock.close()


def wait_http(base, ha, deadline):
    while time.monotonic() < deadline:
        if ha.poll() is not None:
            return False
        try:
            status, _ = http(base, "GET", "/api/onboarding", timeout=5)
            if status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.25)
    return False


def onboard(base, host, port):
    """The owner's access token, then a long-lived one."""
    client_id = f"{base}/"
    status, answer = http(base, "POST", "/api/onboarding/users", body=dict(OWNER, client_id=client_id), timeout=60)
    if status != 200:
        raise RuntimeError(f"POST /api/onboarding/users: {status} {answer}")
    status, tokens = http(
        base, "POST", "/auth/token",
        form={"grant_type": "authorization_code", "code": answer["auth_code"], "client_id": client_id},
    )
    if status != 200:
        raise RuntimeError(f"POST /auth/token: {status} {tokens}")
    ws = WebSocket(host, port, "/api/websocket")
    try:
        if ws.recv().get("type") != "auth_required":
            raise RuntimeError("websocket: no auth_required")
        ws.send({"type": "auth", "access_token": tokens["access_token"]})
        ok = ws.recv()
        if ok.get("type") != "auth_ok":
            raise RuntimeError(f"websocket: {ok}")
        ws.send({"id": 1, "type": "auth/long_lived_access_token", "client_name": "camscan tests", "lifespan": 3650})
        answer = ws.recv()
        if not answer.get("success"):
            raise RuntimeError(f"auth/long_lived_access_token: {answer}")
        return answer["result"]
    finally:
        ws.close()


def stop(ha):
    if ha.poll() is None:
        ha.send_signal(signal.SIGTERM)
        try:
            ha.wait(20)
        except subprocess.TimeoutExpired:
            ha.kill()
            ha.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--config-dir", required=True)
    ap.add_argument("--venv", required=True)
    a = ap.parse_args()
    config = os.path.abspath(a.config_dir)
    os.makedirs(config, exist_ok=True)
    with open(os.path.join(config, "configuration.yaml"), "w", encoding="utf-8") as f:
        f.write(CONFIGURATION.format(bind=a.bind, port=a.port))
    with open(os.path.join(config, "owner.json"), "w", encoding="utf-8") as f:
        json.dump(OWNER, f)
    python = os.path.join(a.venv, "bin", "python3")
    if not os.access(python, os.X_OK):
        log(f"{python} missing: run scripts/test (it makes the Home Assistant venv)")
        return 2
    out = open(os.path.join(config, "ha.out"), "wb")
    started = time.monotonic()
    ha = subprocess.Popen(
        [python, "-m", "homeassistant", "-c", config, "--skip-pip"],
        stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, preexec_fn=die_with_parent,
    )
    base = f"http://{a.bind}:{a.port}"
    stopping = threading.Event()
    host_log = os.path.join(config, "home-assistant.log")
    try:
        if not wait_http(base, ha, started + START_LIMIT):
            why = f"exited with {ha.returncode}" if ha.poll() is not None else f"no HTTP within {START_LIMIT:.0f} s"
            log(f"Home Assistant {why}; the last lines of its log:")
            sys.stderr.write(tail(host_log) + tail(os.path.join(config, "ha.out")))
            return 1
        http_s = time.monotonic() - started
        token = onboard(base, a.bind, a.port)
        path = os.path.join(config, "token")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(token + "\n")
        log(f"Home Assistant on {base}: HTTP after {http_s:.1f} s, token after {time.monotonic() - started:.1f} s "
            f"(pid {ha.pid})")
        print("READY", flush=True)

        def watch():
            ha.wait()
            if stopping.is_set():
                return
            log(f"Home Assistant exited with {ha.returncode}; the last lines of its log:")
            sys.stderr.write(tail(host_log))
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
        sys.stdin.read()
        return 0
    except Exception as e:  # noqa: BLE001 - said, then Home Assistant is stopped
        log(f"{type(e).__name__}: {e}")
        sys.stderr.write(tail(host_log))
        return 1
    finally:
        stopping.set()
        stop(ha)


if __name__ == "__main__":
    sys.exit(main())
