#!/usr/bin/python3
"""An Axis camera's web port, as far as camscan's web fingerprint looks: CPython's http.server on one
loopback address (tests/maker_paths.rs).

Usage: axis_web.py ADDRESS PORT
Prints READY once listening; exits when stdin reaches EOF (the test harness holds the pipe), so it dies
with the test process. Then prints `GET <path> <status>` on stdout for every request it answered.

What it answers (data/signatures.yaml, "Axis"):
    GET /                                       200, an index page titled `AXIS M3045-V Network Camera`
                                                (signature: title_starts_word_case AXIS)
    GET /axis-cgi/prod_brand_info/getbrand.cgi  200, the unauthenticated brand JSON of AXIS OS
                                                ({"Brand": {"Brand": "AXIS", "ProdNbr": ..,
                                                "ProdFullName": ..}}; mageni gb_axis_devices_http_detect)
    anything else                               404
No Server header names a maker (a real AXIS OS answers `Server: Apache`, which says nothing).
"""

import http.server
import json
import os
import sys
import threading

MODEL = "M3045-V"
INDEX = ("<!doctype html><html><head><title>AXIS %s Network Camera</title></head>"
         "<body><p>Live view</p></body></html>\n" % MODEL).encode()
BRAND = json.dumps({"Brand": {"Brand": "AXIS", "ProdNbr": MODEL,
                              "ProdFullName": "AXIS %s Network Camera" % MODEL,
                              "ProdShortName": "AXIS %s" % MODEL,
                              "ProdType": "Network Camera", "ProdVariant": "",
                              "WebURL": "http://www.axis.com"}}).encode()
LOCK = threading.Lock()


def emit(line):
    with LOCK:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def main():
    address, port = sys.argv[1], int(sys.argv[2])

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "Apache"
        sys_version = ""

        def answer(self, body):
            path = self.path.split("#", 1)[0]
            if path in ("/", "/index.html"):
                status, data, ctype = 200, INDEX, "text/html; charset=utf-8"
            elif path == "/axis-cgi/prod_brand_info/getbrand.cgi":
                status, data, ctype = 200, BRAND, "application/json"
            else:
                status, data, ctype = 404, b"<html><body>Not Found</body></html>\n", "text/html"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if body:
                self.wfile.write(data)
            emit("GET %s %d" % (path, status))

        def do_GET(self):
            self.answer(True)

        def do_HEAD(self):
            self.answer(False)

        def log_message(self, fmt, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            # Scanners close with RST (camscan's probes do): not worth a traceback.
            sys.stderr.write("axis_web: connection from %s ended abruptly\n" % (client_address,))

    server = Server((address, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("READY", flush=True)
    sys.stdin.read()  # EOF: the harness is gone
    os._exit(0)


if __name__ == "__main__":
    main()
