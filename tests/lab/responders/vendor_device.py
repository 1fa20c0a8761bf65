#!/usr/bin/env python3
"""OUR FAKE: the discovery agent of a Hikvision (SADP) or Dahua (DHIP) device, for camscan's lab tests.
No third-party SADP/DHIP responder is installable here (these agents live only in vendor firmware), so
this speaks the wire formats documented in docs/design/protocols.md, "Hikvision SADP" and "Dahua
DHIP" (hikvision-tooling's SADP `Device` fields, UniversalScanner's DHIP header and
`client.notifyDevInfo` body). Standard library only.

    python3 vendor_device.py sadp|dhip ADDRESS [--reply multicast|unicast] [--model M] [--serial S]
                             [--firmware F] [--channels N] [--activated true|false]
                             [--mask M] [--gateway G]

Listens on 0.0.0.0 at the protocol's port (SADP 37020, DHIP 37810), joined to its multicast group
(239.255.255.250 / 239.255.255.251) on ADDRESS's interface, so multicast, subnet broadcast and unicast
queries all arrive. Each query is answered once per datagram, either to the multicast group on the
protocol's port (what SADP devices do, so every SADP client on the LAN sees it) or unicast to the asking
socket. The MAC announced is the one of the interface that holds ADDRESS.

stdout contract: `READY` once listening; then `QUERY <sender-ip>` for every query answered. Exits when
stdin reaches EOF.
"""

import argparse
import json
import socket
import struct
import sys
import threading
import xml.etree.ElementTree as ET

PROTOCOLS = {
    "sadp": (37020, "239.255.255.250"),
    "dhip": (37810, "239.255.255.251"),
}


def own_mac(address):
    """MAC of the interface holding ADDRESS (lab hosts have one: eth0)."""
    import subprocess

    out = subprocess.run(["ip", "-o", "addr", "show", "to", address], capture_output=True, text=True).stdout
    dev = out.split()[1] if out.split() else "eth0"
    with open(f"/sys/class/net/{dev}/address") as f:
        return f.read().strip()


def sadp_answer(query, args, mac):
    try:
        root = ET.fromstring(query)
    except ET.ParseError:
        return None
    if root.tag != "Probe" or (root.findtext("Types") or "") not in ("inquiry", "inquiry_v32"):
        return None
    fields = [
        ("Uuid", root.findtext("Uuid") or ""),
        ("Types", root.findtext("Types")),
        ("DeviceType", "139331"),
        ("DeviceDescription", args.model),
        ("DeviceSN", args.serial),
        ("CommandPort", "8000"),
        ("HttpPort", "80"),
        ("MAC", mac.replace(":", "-")),
        ("IPv4Address", args.address),
        ("IPv4SubnetMask", args.mask),
        ("IPv4Gateway", args.gateway),
        ("IPv6Address", "::"),
        ("DHCP", "false"),
        ("AnalogChannelNum", "0"),
        ("DigitalChannelNum", str(args.channels)),
        ("SoftwareVersion", args.firmware),
        ("DSPVersion", "V7.3 build 220112"),
        ("BootTime", "2026-11-22 06:00:00"),
        ("Activated", args.activated),
        ("PasswordResetAbility", "true"),
    ]
    body = "".join(f"<{k}>{v}</{k}>" for k, v in fields)
    return f'<?xml version="1.0" encoding="UTF-8" ?><ProbeMatch>{body}</ProbeMatch>'.encode()


def dhip_frame(body):
    n = len(body)
    return struct.pack("<I4sIIIIII", 0x20, b"DHIP", 0, 0, n, 0, n, 0) + body


def dhip_answer(query, args, mac):
    if len(query) < 32 or query[4:8] != b"DHIP":
        return None
    try:
        req = json.loads(query[32:].decode("utf-8", "replace"))
    except ValueError:
        return None
    if req.get("method") != "DHDiscover.search":
        return None
    info = {
        "DeviceClass": "IPC",
        "DeviceType": args.model,
        "SerialNo": args.serial,
        "Vendor": "Dahua",
        "Version": args.firmware,
        "MachineName": args.serial,
        "HttpPort": 80,
        "Port": 37777,
        "IPv4Address": {
            "IPAddress": args.address,
            "SubnetMask": args.mask,
            "DefaultGateway": args.gateway,
            "DhcpEnable": False,
        },
        "VideoInputChannels": args.channels,
        "RemoteVideoInputChannels": 0,
        "AlarmInputChannels": 1,
    }
    body = {"mac": mac, "method": "client.notifyDevInfo", "params": {"deviceInfo": info}}
    return dhip_frame((json.dumps(body) + "\r\n").encode())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("protocol", choices=sorted(PROTOCOLS))
    ap.add_argument("address")
    ap.add_argument("--reply", choices=["multicast", "unicast"], default=None)
    ap.add_argument("--model", default=None)
    ap.add_argument("--serial", default=None)
    ap.add_argument("--firmware", default=None)
    ap.add_argument("--channels", type=int, default=1)
    ap.add_argument("--activated", default="true")
    # The mask and gateway the device says it has (SADP IPv4SubnetMask / IPv4Gateway; "0.0.0.0" is
    # what a device without a gateway sends).
    ap.add_argument("--mask", default="255.255.255.0")
    ap.add_argument("--gateway", default="0.0.0.0")
    args = ap.parse_args()
    sadp = args.protocol == "sadp"
    args.reply = args.reply or ("multicast" if sadp else "unicast")
    args.model = args.model or ("DS-7604NI-K1" if sadp else "IPC-HDW2431T-AS-S2")
    args.serial = args.serial or ("DS-7604NI-K10420231122CCRRJ00000001" if sadp else "7J0ABCD1234567")
    args.firmware = args.firmware or ("V4.74.010 build 231122" if sadp else "2.800.0000000.3.R")
    port, group = PROTOCOLS[args.protocol]
    mac = own_mac(args.address)

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", port))
    mreq = socket.inet_aton(group) + socket.inet_aton(args.address)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(args.address))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)

    def serve():
        while True:
            data, sender = sock.recvfrom(65535)
            if sender[0] == args.address:
                continue
            answer = (sadp_answer if sadp else dhip_answer)(data, args, mac)
            if answer is None:
                continue
            dest = (group, port) if args.reply == "multicast" else sender
            sock.sendto(answer, dest)
            print(f"QUERY {sender[0]}", flush=True)

    threading.Thread(target=serve, daemon=True).start()
    print("READY", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
