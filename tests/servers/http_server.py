#!/usr/bin/python3
"""A plain web site for camscan's negative tests: CPython's http.server on one loopback address.

Usage: http_server.py ADDRESS PORT [USER:PASSWORD]
With USER:PASSWORD every path asks for HTTP Basic (401 and a realm) until that login is given: a
device's web admin page behind a login wall. Prints READY once listening; exits when stdin reaches EOF (the test harness holds the pipe), so it dies
with the test process. Serves a small index page with a title and nothing camera-like.
"""

import http.server
import os
import sys
import tempfile
import threading


def main():
    address, port = sys.argv[1], int(sys.argv[2])
    login = sys.argv[3] if len(sys.argv) > 3 else None
    root = tempfile.mkdtemp(prefix="camscan-http-")
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write("<!doctype html><html><head><title>Plain site</title></head>"
                "<body><p>Nothing to see here.</p></body></html>\n")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=root, **kw)

        def do_GET(self):
            if login is not None:
                import base64
                want = "Basic " + base64.b64encode(login.encode()).decode()
                if self.headers.get("Authorization") != want:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="Web admin"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
            super().do_GET()

        def log_message(self, fmt, *args):
            sys.stderr.write("http_server: " + (fmt % args) + "\n")

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            # Scanners close with RST (camscan's probes do): not worth a traceback.
            sys.stderr.write("http_server: connection from %s ended abruptly\n" % (client_address,))

    server = Server((address, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("READY", flush=True)
    sys.stdin.read()  # EOF: the harness is gone
    os._exit(0)


if __name__ == "__main__":
    main()
