#!/usr/bin/env python3
"""Our own minimal ONVIF SOAP 1.2 client (urllib, no ONVIF library): calls every operation of onvif_device.py,
checks the answers, and with --save-dir writes each reply body byte for byte as onvif_<Call>.xml.

    python3 onvif_capture.py http://198.18.0.11:8000 [--user admin --password secret] [--save-dir DIR]

Also sends the failure cases (no token, wrong password, PasswordText, unknown profile, media call on the
device path) and saves their faults. Every request has a 5 s timeout; exit status 0 when every check held.
"""

import argparse
import base64
import datetime
import hashlib
import os
import sys
import time
import urllib.error
import urllib.request
import uuid

DIGEST = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
TEXT = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
B64 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"


def security(user, password, text=False):
    nonce = os.urandom(16)
    created = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if text:
        pw, ptype = password, TEXT
    else:
        pw = base64.b64encode(hashlib.sha1(nonce + created.encode() + password.encode()).digest()).decode()
        ptype = DIGEST
    return (f'<s:Header><wsse:Security xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}" s:mustUnderstand="1">'
            f'<wsse:UsernameToken><wsse:Username>{user}</wsse:Username>'
            f'<wsse:Password Type="{ptype}">{pw}</wsse:Password>'
            f'<wsse:Nonce EncodingType="{B64}">{base64.b64encode(nonce).decode()}</wsse:Nonce>'
            f'<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security></s:Header>')


def request(url, ns, op, inner="", header=""):
    body = (f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"'
            f' xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl"'
            f' xmlns:tt="http://www.onvif.org/ver10/schema">{header}<s:Body><{ns}:{op}>{inner}</{ns}:{op}>'
            f'</s:Body></s:Envelope>').encode()
    wsdl = {"tds": "device", "trt": "media"}[ns]
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": f'application/soap+xml; charset=utf-8; action="http://www.onvif.org/ver10/{wsdl}/wsdl/{op}"'})
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            status, data = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, data = e.code, e.read()
    return status, data, (time.monotonic() - t0) * 1000


def main():
    p = argparse.ArgumentParser()
    p.add_argument("base")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--save-dir")
    a = p.parse_args()
    dev, med = a.base + "/onvif/device_service", a.base + "/onvif/media_service"
    auth = (lambda: security(a.user, a.password)) if a.user else (lambda: "")
    tok1 = "<trt:ProfileToken>Profile_1</trt:ProfileToken>"
    setup = ("<trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol>"
             "</tt:Transport></trt:StreamSetup>")
    cases = [  # (file name, url, ns, op, inner, header, expected status, text that must appear)
        ("GetSystemDateAndTime", dev, "tds", "GetSystemDateAndTime", "", "", 200, "UTCDateTime"),
        ("GetDeviceInformation", dev, "tds", "GetDeviceInformation", "", auth(), 200, "<tds:SerialNumber>"),
        ("GetCapabilities", dev, "tds", "GetCapabilities", "<tds:Category>All</tds:Category>", auth(), 200,
         "/onvif/media_service</tt:XAddr>"),
        ("GetServices", dev, "tds", "GetServices", "<tds:IncludeCapability>false</tds:IncludeCapability>",
         auth(), 200, "http://www.onvif.org/ver10/media/wsdl</tds:Namespace>"),
        ("GetProfiles", med, "trt", "GetProfiles", "", auth(), 200, 'token="Profile_2"'),
        ("GetStreamUri", med, "trt", "GetStreamUri", setup + tok1, auth(), 200, "/Streaming/Channels/101"),
        ("GetStreamUri_Profile_2", med, "trt", "GetStreamUri",
         setup + "<trt:ProfileToken>Profile_2</trt:ProfileToken>", auth(), 200, "/Streaming/Channels/102"),
        ("GetSnapshotUri", med, "trt", "GetSnapshotUri", tok1, auth(), 200, "snapshot?Profile_1</tt:Uri>"),
        ("Fault_NoProfile", med, "trt", "GetStreamUri", setup + "<trt:ProfileToken>Nope</trt:ProfileToken>",
         auth(), 400, "ter:NoProfile"),
        ("Fault_ActionNotSupported", dev, "trt", "GetProfiles", "", auth(), 500, "ter:ActionNotSupported"),
    ]
    if a.user:
        cases += [
            ("Fault_NotAuthorized", dev, "tds", "GetDeviceInformation", "", security(a.user, a.password + "x"),
             None, "ter:NotAuthorized"),
            ("Fault_NotAuthorized_NoToken", med, "trt", "GetProfiles", "", "", None, "ter:NotAuthorized"),
            ("Fault_NotAuthorized_PasswordText", dev, "tds", "GetDeviceInformation", "",
             security(a.user, a.password, text=True), None, "ter:NotAuthorized"),
        ]
    failed = 0
    for name, url, ns, op, inner, header, want, must in cases:
        status, data, ms = request(url, ns, op, inner, header)
        text = data.decode("utf-8", "replace")
        ok = (status == want or (want is None and status in (400, 401))) and must in text
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name:34s} {ns}:{op} -> HTTP {status} {len(data)} bytes {ms:.0f} ms")
        if a.save_dir and ok:
            with open(os.path.join(a.save_dir, f"onvif_{name}.xml"), "wb") as f:
                f.write(data)
    print(f"checks: {len(cases) - failed} ok, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
