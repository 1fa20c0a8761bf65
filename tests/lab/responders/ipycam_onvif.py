#!/usr/bin/env python3
"""ipycam's ONVIF server (PyPI `ipycam` 1.3.0, MIT), on ADDRESS:PORT only: a PTZ camera's device API.

    python3 ipycam_onvif.py ADDRESS [--port 8000] [--user U --password P]

Runs ipycam's own `IPCamera` (its ONVIFService with its PTZController) and its own HTTP handler
(`IPCameraHTTPHandler`: ONVIF SOAP on POST /onvif/*), unchanged. What `IPCamera.start()` also does is
left out: it binds every interface (`('', port)`), starts ipycam's own WS-Discovery responder and the
video pipeline (go2rtc or its native RTSP/MJPEG/WebRTC streamers). Here the server binds ADDRESS
only, WS-Discovery comes from `wsd_responder.py` (PyPI WSDiscovery) and no video runs: the ONVIF
answers do not depend on frames (GetStreamUri names rtsp://ADDRESS:8554/..., which nothing serves).

Contract as the other responders: `READY` on stdout once listening; exits at stdin EOF.
"""

import argparse
import os
import sys
import threading

from ipycam import CameraConfig, IPCamera
from ipycam.camera import ReusableThreadingTCPServer
from ipycam.http import IPCameraHTTPHandler


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("address")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--user")
    ap.add_argument("--password")
    a = ap.parse_args()
    config = CameraConfig(local_ip=a.address, onvif_port=a.port)
    if a.user:
        config.set_credentials(a.user, a.password or "")
    camera = IPCamera(config)
    IPCameraHTTPHandler.camera = camera
    server = ReusableThreadingTCPServer((a.address, a.port), IPCameraHTTPHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("READY", flush=True)
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    main()
