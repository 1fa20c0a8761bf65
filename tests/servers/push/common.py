"""What the three fake tools of camscan's push tests share (tests/servers/push/*.py).

Each fake is a ThreadingHTTPServer on one loopback address that prints READY on stdout once it
listens, one JSON line per request it answered ({"method", "path", "query", "status"}), and exits
when its stdin reaches EOF (the Rust test harness, tests/common/mod.rs `start`, holds the pipe).
`--delay-ms N` delays every answer (a slow tool).
"""

import argparse
import http.server
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse

LOCK = threading.Lock()


def arguments(description, extra=None):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--bind", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--config")
    p.add_argument("--user")
    p.add_argument("--password-file")
    p.add_argument("--delay-ms", type=int, default=0)
    if extra:
        extra(p)
    a = p.parse_args()
    a.password = None
    if a.password_file:
        with open(a.password_file) as f:
            a.password = f.read().splitlines()[0] if f else ""
    return a


class Handler(http.server.BaseHTTPRequestHandler):
    """Answers with JSON, logs each request, never lets an exception kill the server."""

    protocol_version = "HTTP/1.1"
    delay = 0.0

    def parsed(self):
        u = urllib.parse.urlsplit(self.path)
        return u.path, u.query

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def answer(self, status, payload, headers=None, content_type="application/json"):
        if self.delay:
            time.sleep(self.delay)
        if isinstance(payload, (bytes, str)):
            data = payload.encode() if isinstance(payload, str) else payload
        else:
            data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        path, query = self.parsed()
        with LOCK:
            print(json.dumps({"method": self.command, "path": path, "query": query,
                              "status": status}), flush=True)

    def log_message(self, fmt, *args):
        pass


def serve(handler, bind, port, tls=None):
    """Serve `handler` on bind:port (and a TLS server when `tls` = (port, cert, key, handler))
    until stdin closes."""
    servers = [http.server.ThreadingHTTPServer((bind, port), handler)]
    if tls:
        tport, cert, key, thandler = tls
        s = http.server.ThreadingHTTPServer((bind, tport), thandler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        s.socket = ctx.wrap_socket(s.socket, server_side=True)
        servers.append(s)
    for s in servers:
        s.daemon_threads = True
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print("READY", flush=True)
    sys.stdin.read()
    for s in servers:
        s.shutdown()
    os._exit(0)
