#!/usr/bin/python3
"""The web API of a Hikvision NVR, for camscan's NVR test (tests/nvr.rs).

    isapi_nvr.py LISTEN_ADDR:PORT DIR --user USER --password PASSWORD --realm REALM

Every path asks for HTTP Digest (MD5, qop=auth, RFC 7616; the gate of tests/servers/digest_gate.py,
whose code this reuses), as the ISAPI of a Hikvision NVR does. With --open-root
only the API asks and the web page is public, as on real NVRs (camscan must then log in on the
API's own path). Behind it:

    /ISAPI/System/deviceInfo                         DIR/deviceInfo.xml
    /ISAPI/ContentMgmt/InputProxy/channels           DIR/channels.xml
    /ISAPI/ContentMgmt/InputProxy/channels/status    DIR/status.xml
    /                                                a small page
    anything else                                    404

Each file is sent byte for byte as it is on disk (application/xml). Prints READY once listening,
the gate's AUTHOK/AUTHFAIL lines, and exits when stdin reaches EOF.
"""

import argparse
import http.server
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import digest_gate  # noqa: E402

FILES = {
    "/ISAPI/System/deviceInfo": "deviceInfo.xml",
    "/ISAPI/ContentMgmt/InputProxy/channels": "channels.xml",
    "/ISAPI/ContentMgmt/InputProxy/channels/status": "status.xml",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("listen")
    ap.add_argument("dir")
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password", required=True)
    ap.add_argument("--open-root", action="store_true",
                    help="serve the web page without a login, as real NVRs do: only the API "
                    "(/ISAPI/...) asks for Digest")
    ap.add_argument("--realm", default="IP Camera")
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
            public = a.open_root and not self.path.startswith("/ISAPI/")
            if not public and not gate.check(self.command, self.path,
                                             self.headers.get("Authorization")):
                body = b"<html><body>401 Unauthorized</body></html>"
                self.send(401, body, "text/html",
                          [("WWW-Authenticate", c) for c in gate.challenges()])
                return
            name = FILES.get(self.path)
            if name:
                with open(os.path.join(a.dir, name), "rb") as f:
                    self.send(200, f.read(), "application/xml")
            elif self.path == "/":
                self.send(200, b"<html><head><title>NVR</title></head><body></body></html>",
                          "text/html")
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


if __name__ == "__main__":
    main()
