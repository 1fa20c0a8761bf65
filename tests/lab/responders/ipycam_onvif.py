#!/usr/bin/env python3
"""ipycam's ONVIF server (PyPI `ipycam` 1.3.0, MIT), on ADDRESS:PORT only: a PTZ camera's device API.

    python3 ipycam_onvif.py ADDRESS [--port 8000] [--user U --password P] [--serial S] [--mac MAC]
                            [--ptz-namespaces]

Runs ipycam's own `IPCamera` (its ONVIFService with its PTZController) and its own HTTP handler
(`IPCameraHTTPHandler`: ONVIF SOAP on POST /onvif/*), unchanged. What `IPCamera.start()` also does is
left out: it binds every interface (`('', port)`), starts ipycam's own WS-Discovery responder and the
video pipeline (go2rtc or its native RTSP/MJPEG/WebRTC streamers). Here the server binds ADDRESS
only, WS-Discovery comes from `wsd_responder.py` (PyPI WSDiscovery) and no video runs: the ONVIF
answers do not depend on frames (GetStreamUri names rtsp://ADDRESS:8554/..., which nothing serves).

ipycam answers GetNetworkInterfaces with its fault "Action not supported" (it has no handler), which
Home Assistant's ONVIF flow refuses. `--mac MAC` adds the one operation ipycam lacks for it: a
GetNetworkInterfaces answer (ONVIF ver10 device WSDL, `tds:NetworkInterfaces`: one enabled eth0
whose `tt:Info/tt:HwAddress` is MAC, ADDRESS/24 manual), as cameras report their MAC there; every
other operation stays ipycam's. `--serial` sets GetDeviceInformation's SerialNumber (ipycam's
default is PY-000001 for every instance). ipycam's PTZ answers but GetNodes, GetNode and
GetServiceCapabilities use the `ptz:` and `tptz:` prefixes without declaring them, so a strict XML
reader (zeep, through lxml: Home Assistant's ONVIF integration fails setting up the camera on its
GetPresets answer, "Invalid tag name 'tptz:Preset'") refuses them; `--ptz-namespaces` declares both
(ONVIF ver20 PTZ WSDL) on the answer's envelope.

Contract as the other responders: `READY` on stdout once listening; exits at stdin EOF.
"""

import argparse
import os
import sys
import threading

from ipycam import CameraConfig, IPCamera
from ipycam.camera import ReusableThreadingTCPServer
from ipycam.http import IPCameraHTTPHandler


def answer_network_interfaces(camera, address, mac):
    """GetNetworkInterfaces answered with one enabled interface of MAC (see the module's docs)."""
    onvif = camera.onvif
    own = onvif.handle_action
    body = (
        '<tds:GetNetworkInterfacesResponse><tds:NetworkInterfaces token="eth0">'
        "<tt:Enabled>true</tt:Enabled>"
        f"<tt:Info><tt:Name>eth0</tt:Name><tt:HwAddress>{mac}</tt:HwAddress><tt:MTU>1500</tt:MTU></tt:Info>"
        "<tt:IPv4><tt:Enabled>true</tt:Enabled><tt:Config><tt:Manual>"
        f"<tt:Address>{address}</tt:Address><tt:PrefixLength>24</tt:PrefixLength></tt:Manual>"
        "<tt:DHCP>false</tt:DHCP></tt:Config></tt:IPv4>"
        "</tds:NetworkInterfaces></tds:GetNetworkInterfacesResponse>"
    )

    def handle_action(action, request):
        if "GetNetworkInterfaces" in action or "GetNetworkInterfaces" in request:
            return onvif._wrap_envelope(body)
        return own(action, request)

    onvif.handle_action = handle_action


PTZ_WSDL = "http://www.onvif.org/ver20/ptz/wsdl"


def declare_ptz_namespaces(camera):
    """Every envelope declares the `ptz` and `tptz` prefixes ipycam's PTZ templates use."""
    onvif = camera.onvif
    own = onvif._wrap_envelope

    def wrap(body):
        envelope = own(body)
        return envelope.replace(
            "<s:Envelope ", f'<s:Envelope xmlns:ptz="{PTZ_WSDL}" xmlns:tptz="{PTZ_WSDL}" ', 1
        )

    onvif._wrap_envelope = wrap


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("address")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--serial")
    ap.add_argument("--mac")
    ap.add_argument("--ptz-namespaces", action="store_true")
    a = ap.parse_args()
    config = CameraConfig(local_ip=a.address, onvif_port=a.port)
    if a.user:
        config.set_credentials(a.user, a.password or "")
    if a.serial:
        config.serial_number = a.serial
    camera = IPCamera(config)
    if a.mac:
        answer_network_interfaces(camera, a.address, a.mac)
    if a.ptz_namespaces:
        declare_ptz_namespaces(camera)
    IPCameraHTTPHandler.camera = camera
    server = ReusableThreadingTCPServer((a.address, a.port), IPCameraHTTPHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("READY", flush=True)
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    main()
