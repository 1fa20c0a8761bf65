#!/usr/bin/python3
"""A webhook receiver for camscan's notify tests: CPython's http.server on one loopback address.

Usage: webhook_receiver.py ADDRESS PORT SECRET_FILE MODE
  MODE flaky:N  answer 500 to the first N POSTs, then 204
  MODE silent   accept the connection, read the request, never answer

Every POST is checked as a receiver in the wild would: the body's HMAC-SHA256 with the secret
(the file's bytes, one final newline dropped) against `X-Camscan-Signature: sha256=<hex>`,
compared in constant time. One JSON line per request on stdout:
{"t": <monotonic seconds>, "status": <answer>, "sig_ok": bool, "event": ..., "delivery": ...,
 "content_type": ..., "body": <the parsed body>}
Prints READY once listening; exits when stdin reaches EOF (the test harness holds the pipe).
"""

import hashlib
import hmac
import http.server
import json
import os
import sys
import threading
import time


def main():
    address, port, secret_file, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    with open(secret_file, "rb") as f:
        secret = f.read()
    if secret.endswith(b"\n"):
        secret = secret[:-1]
    failures_left = int(mode.split(":")[1]) if mode.startswith("flaky:") else 0
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            nonlocal failures_left
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            given = self.headers.get("X-Camscan-Signature", "")
            expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
            sig_ok = hmac.compare_digest(given, expected)
            if mode == "silent":
                record(self, body, sig_ok, None)
                time.sleep(3600)  # never answers; a daemon thread, gone at exit
                return
            with lock:
                if failures_left > 0:
                    failures_left -= 1
                    status = 500
                else:
                    status = 204 if sig_ok else 401
            record(self, body, sig_ok, status)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, fmt, *args):
            sys.stderr.write("webhook_receiver: " + (fmt % args) + "\n")

    def record(handler, body, sig_ok, status):
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        line = {
            "t": time.monotonic(),
            "status": status,
            "sig_ok": sig_ok,
            "event": handler.headers.get("X-Camscan-Event"),
            "delivery": handler.headers.get("X-Camscan-Delivery"),
            "content_type": handler.headers.get("Content-Type"),
            "body": parsed,
        }
        with lock:
            print(json.dumps(line), flush=True)

    server = http.server.ThreadingHTTPServer((address, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("READY", flush=True)
    sys.stdin.read()  # EOF: the harness is gone
    os._exit(0)


if __name__ == "__main__":
    main()
