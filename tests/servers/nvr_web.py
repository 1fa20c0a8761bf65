"""The web API of an NVR behind HTTP Digest, shared by tests/servers/isapi_nvr.py (Hikvision) and
tests/servers/dahua_nvr.py (Dahua), which say what the maker serves where.

    PROG LISTEN_ADDR:PORT DIR --password PASSWORD [--user USER] [--realm REALM] [--open-root]

Every path asks for HTTP Digest (MD5, qop=auth, RFC 7616; the gate of tests/servers/digest_gate.py),
or, with --open-root, only the paths under the maker's API prefix, the web page being public as on
real NVRs. Behind the gate: each file of the maker's table sent byte for byte from DIR, `/` the
maker's page, any other path under the API prefix the maker's answer to an unknown request, and 404
for the rest. Prints READY once listening, the gate's AUTHOK/AUTHFAIL lines, and exits when stdin
reaches EOF.
"""

import argparse
import http.server
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import digest_gate  # noqa: E402


def main(api_prefix, files, content_type, root, unknown_api, realm):
    """Serve `files` (path -> file name in DIR, sent as `content_type`) under `api_prefix`, `root`
    (bytes, HTML) at `/`, `unknown_api` ((status, body)) for other API paths; `realm` is the
    default Digest realm."""
    ap = argparse.ArgumentParser()
    ap.add_argument("listen")
    ap.add_argument("dir")
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password", required=True)
    ap.add_argument("--open-root", action="store_true",
                    help="serve the web page without a login, as real NVRs do: only the API "
                    "(%s...) asks for Digest" % api_prefix)
    ap.add_argument("--realm", default=realm)
    a = ap.parse_args()
    gate = digest_gate.Gate(["MD5"], a.user, a.password, a.realm)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):
            pass

        def send(self, status, body, ctype, extra=()):
            self.send_response(status)
            for k, v in extra:
                self.send_header(k, v)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self):
            public = a.open_root and not self.path.startswith(api_prefix)
            if not public and not gate.check(self.command, self.path,
                                             self.headers.get("Authorization")):
                body = b"<html><body>401 Unauthorized</body></html>"
                self.send(401, body, "text/html",
                          [("WWW-Authenticate", c) for c in gate.challenges()])
                return
            name = files.get(self.path)
            if name:
                with open(os.path.join(a.dir, name), "rb") as f:
                    self.send(200, f.read(), content_type)
            elif self.path == "/":
                self.send(200, root, "text/html")
            elif self.path.startswith(api_prefix):
                self.send(unknown_api[0], unknown_api[1], "text/plain")
            else:
                self.send(404, b"", "text/html")

        do_HEAD = do_GET

    host, port = a.listen.rsplit(":", 1)

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            pass  # a client that hangs up (a port probe) is no error of the NVR

    server = Server((host, int(port)), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    digest_gate.emit("READY")
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    os._exit(0)
