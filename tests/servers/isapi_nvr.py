#!/usr/bin/python3
"""The web API of a Hikvision NVR, for camscan's NVR test (tests/nvr.rs).

    isapi_nvr.py LISTEN_ADDR:PORT DIR --user USER --password PASSWORD --realm REALM

Every path asks for HTTP Digest (MD5, qop=auth, RFC 7616; the gate of tests/servers/digest_gate.py,
through tests/servers/nvr_web.py), as the ISAPI of a Hikvision NVR does. With --open-root
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

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nvr_web  # noqa: E402

FILES = {
    "/ISAPI/System/deviceInfo": "deviceInfo.xml",
    "/ISAPI/ContentMgmt/InputProxy/channels": "channels.xml",
    "/ISAPI/ContentMgmt/InputProxy/channels/status": "status.xml",
}


if __name__ == "__main__":
    # An unknown ISAPI path: 404, as the rest.
    nvr_web.main("/ISAPI/", FILES, "application/xml",
                 b"<html><head><title>NVR</title></head><body></body></html>",
                 (404, b""), "IP Camera")
