#!/usr/bin/python3
"""The web API of a Dahua NVR, for camscan's NVR test (tests/nvr.rs).

    dahua_nvr.py LISTEN_ADDR:PORT DIR --user USER --password PASSWORD --realm REALM

Every path asks for HTTP Digest (MD5, qop=auth, RFC 7616; the gate of tests/servers/digest_gate.py,
through tests/servers/nvr_web.py), as the CGI API of a Dahua NVR does (its realm is `Login to <serial>`). With --open-root
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

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nvr_web  # noqa: E402

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


if __name__ == "__main__":
    # Dahua's CGIs answer a request they do not know with a 400.
    nvr_web.main("/cgi-bin/", FILES, "text/plain;charset=utf-8", ROOT,
                 (400, b"Error\r\nBad Request!\r\n"), "Login to 6J0C2E4PAZ12345")
