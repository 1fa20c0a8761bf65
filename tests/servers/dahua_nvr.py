#!/usr/bin/python3
"""The web API of a Dahua NVR, for camscan's NVR test (tests/nvr.rs).

    dahua_nvr.py LISTEN_ADDR:PORT DIR --user USER --password PASSWORD --realm REALM

Every path asks for HTTP Digest (MD5, qop=auth, RFC 7616; the gate of tests/servers/digest_gate.py,
whose code this reuses), as the CGI API of a Dahua NVR does (its realm is `Login to <serial>`). With --open-root
only the API asks and the web page is public, as on real NVRs (camscan must then log in on the
API's own path).
Behind it:

    /cgi-bin/configManager.cgi?action=getConfig&name=RemoteDevice                DIR/RemoteDevice.txt
    /cgi-bin/LogicDeviceManager.cgi?action=getCameraState&uniqueChannels[0]=-1   DIR/CameraState.txt
    /                                  the start of Dahua's web page (its RPC2 login script)
    anything else under /cgi-bin/      400 "Error\\r\\nBad Request!\\r\\n", as Dahua's CGIs answer
    anything else                      404

Each file is sent byte for byte as it is on disk (text/plain). Prints READY once listening, the
gate's AUTHOK/AUTHFAIL lines, and exits when stdin reaches EOF.
"""

import argparse
import http.server
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import digest_gate  # noqa: E402

FILES = {
    "/cgi-bin/configManager.cgi?action=getConfig&name=RemoteDevice": "RemoteDevice.txt",
    "/cgi-bin/LogicDeviceManager.cgi?action=getCameraState&uniqueChannels[0]=-1":
        "CameraState.txt",
    # The same, with the brackets percent-encoded as some clients send them.
    "/cgi-bin/LogicDeviceManager.cgi?action=getCameraState&uniqueChannels%5B0%5D=-1":
        "CameraState.txt",
}

# Dahua's web page asks its login over RPC2 (the markers of mageni's
# gb_dahua_devices_http_detect.nasl: "global.login" and /RPC2_Login).
ROOT = (b'<!DOCTYPE html><html><head><title>WEB SERVICE</title></head><body>'
        b'<script>var req={"method":"global.login","params":{}};post(\'/RPC2_Login\',req);'
        b'</script></body></html>')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("listen")
    ap.add_argument("dir")
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password", required=True)
    ap.add_argument("--open-root", action="store_true",
                    help="serve the web page without a login, as real NVRs do: only the API "
                    "(/cgi-bin/...) asks for Digest")
    ap.add_argument("--realm", default="Login to 6J0C2E4PAZ12345")
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
            public = a.open_root and not self.path.startswith("/cgi-bin/")
            if not public and not gate.check(self.command, self.path,
                                             self.headers.get("Authorization")):
                body = b"<html><body>401 Unauthorized</body></html>"
                self.send(401, body, "text/html",
                          [("WWW-Authenticate", c) for c in gate.challenges()])
                return
            name = FILES.get(self.path)
            if name:
                with open(os.path.join(a.dir, name), "rb") as f:
                    self.send(200, f.read(), "text/plain;charset=utf-8")
            elif self.path == "/":
                self.send(200, ROOT, "text/html")
            elif self.path.startswith("/cgi-bin/"):
                self.send(400, b"Error\r\nBad Request!\r\n", "text/plain")
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
