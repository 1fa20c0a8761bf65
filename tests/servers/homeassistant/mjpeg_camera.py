#!/usr/bin/python3
"""An MJPEG-over-HTTP camera for the Home Assistant tests: frames made once by ffmpeg, served by
CPython's http.server on ADDRESS:PORT only.

    mjpeg_camera.py ADDRESS PORT [--auth basic|digest --user U --password P] [--fps 5]

Paths (Axis' names):
    /mjpg/video.mjpg        multipart/x-mixed-replace; boundary=camscanframe, one JPEG part per
                            frame at --fps, until the client leaves
    /jpg/image.jpg          one JPEG (image/jpeg), the snapshot
    anything else           404
With --auth every path asks for the login (Basic, or Digest MD5 with qop=auth, as cameras do).

Protocol with the test harness: "READY" on stdout once listening; "GET <path> <status>" for each
request answered; "AUTHFAIL <address>:<port>" for each request whose Authorization was wrong. The
process exits when its stdin reaches EOF.
"""

import argparse
import base64
import hashlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BOUNDARY = "camscanframe"
REALM = "camscan-mjpeg"
NONCE = "f1a9c0de5eed"


def frames(count, fps):
    """`count` 320x240 JPEGs of ffmpeg's testsrc (one second of video at `fps`)."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", f"testsrc=size=320x240:rate={fps}",
             "-frames:v", str(count), "-q:v", "5", os.path.join(tmp, "f%03d.jpg")],
            check=True,
        )
        names = sorted(os.listdir(tmp))
        return [open(os.path.join(tmp, n), "rb").read() for n in names]


def say(line):
    print(line, flush=True)


def make_handler(a, jpegs):
    def md5(s):
        return hashlib.md5(s.encode()).hexdigest()

    def digest_ok(header):
        f = {}
        for part in header[len("Digest "):].split(","):
            if "=" in part:
                k, v = part.strip().split("=", 1)
                f[k] = v.strip('"')
        ha1 = md5(f"{a.user}:{REALM}:{a.password}")
        ha2 = md5(f"GET:{f.get('uri', '')}")
        if f.get("qop"):
            want = md5(f"{ha1}:{f.get('nonce')}:{f.get('nc')}:{f.get('cnonce')}:{f['qop']}:{ha2}")
        else:
            want = md5(f"{ha1}:{f.get('nonce')}:{ha2}")
        return f.get("username") == a.user and f.get("response") == want

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, *args):
            pass

        def authorized(self):
            if not a.auth:
                return True
            header = self.headers.get("Authorization")
            if header is None:
                return False
            ok = False
            if a.auth == "basic" and header.startswith("Basic "):
                ok = base64.b64decode(header[6:]).decode(errors="replace") == f"{a.user}:{a.password}"
            elif a.auth == "digest" and header.startswith("Digest "):
                ok = digest_ok(header)
            if not ok:
                say(f"AUTHFAIL {a.address}:{a.port}")
            return ok

        def challenge(self):
            self.send_response(401)
            if a.auth == "basic":
                self.send_header("WWW-Authenticate", f'Basic realm="{REALM}"')
            else:
                self.send_header(
                    "WWW-Authenticate", f'Digest realm="{REALM}", nonce="{NONCE}", qop="auth", algorithm=MD5'
                )
            self.send_header("Content-Length", "0")
            self.end_headers()
            say(f"GET {self.path} 401")

        def do_GET(self):
            if not self.authorized():
                return self.challenge()
            path = self.path.split("?", 1)[0]
            if path == "/jpg/image.jpg":
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(jpegs[0])))
                self.end_headers()
                self.wfile.write(jpegs[0])
                say(f"GET {self.path} 200")
                return
            if path != "/mjpg/video.mjpg":
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                say(f"GET {self.path} 404")
                return
            self.send_response(200)
            self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            say(f"GET {self.path} 200")
            i = 0
            try:
                while True:
                    jpeg = jpegs[i % len(jpegs)]
                    self.wfile.write(
                        f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n".encode()
                        + jpeg + b"\r\n"
                    )
                    self.wfile.flush()
                    i += 1
                    time.sleep(1.0 / a.fps)
            except (BrokenPipeError, ConnectionResetError, OSError):
                return

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("address")
    ap.add_argument("port", type=int)
    ap.add_argument("--auth", choices=["basic", "digest"])
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password", default="")
    ap.add_argument("--fps", type=int, default=5)
    a = ap.parse_args()
    jpegs = frames(a.fps, a.fps)
    server = ThreadingHTTPServer((a.address, a.port), make_handler(a, jpegs))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    say("READY")
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    main()
