#!/usr/bin/env python3
"""Our own minimal WS-Discovery prober (raw UDP, no library), used to verify wsd_responder.py and to capture
the fixture files. Run it inside the lab's scanner namespace.

    python3 wsd_probe.py --iface 198.18.0.1 [--to 198.18.0.11] [--types nvt|none|mismatch] [--wait 3] [--save FILE]
    python3 wsd_probe.py --iface 198.18.0.1 --listen [--wait 3] [--save FILE]     (multicast listener)

Without --to the Probe goes to 239.255.255.250:3702 with IP_MULTICAST_IF = --iface (TTL 1); with --to it
is unicast to TO:3702. Sends ONE Probe (fresh MessageID), listens on the same socket for --wait seconds
(bounded), prints one line per datagram: elapsed ms, source address:port, size, Action, RelatesTo match.
--save writes the first ProbeMatches reply, byte for byte. Exit status 0 if at least one reply came.
"""

import argparse
import re
import socket
import struct
import sys
import time
import uuid

GROUP = "239.255.255.250"
PORT = 3702

TYPES_NVT = ('<d:Types xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" '
             'xmlns:dp0="http://www.onvif.org/ver10/network/wsdl">dp0:NetworkVideoTransmitter</d:Types>')


def probe_xml(message_id, types):
    return ('<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
            'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"><s:Header><a:Action s:mustUnderstand="1">'
            'http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action><a:MessageID>' + message_id +
            '</a:MessageID><a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous'
            '</a:Address></a:ReplyTo><a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>'
            '</s:Header><s:Body><Probe xmlns="http://schemas.xmlsoap.org/ws/2005/04/discovery">' + types +
            '</Probe></s:Body></s:Envelope>')


def listen(a, wait):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", PORT))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                 struct.pack("4s4s", socket.inet_aton(GROUP), socket.inet_aton(a.iface)))
    print(f"listening on 0.0.0.0:{PORT}, {GROUP} joined on {a.iface}, for {wait:.1f} s", flush=True)
    t0 = time.monotonic()
    got, saved = 0, False
    while True:
        left = t0 + wait - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            data, src = s.recvfrom(65535)
        except socket.timeout:
            break
        text = data.decode("utf-8", "replace")
        action = re.search(r"Action[^>]*>\s*([^<\s]+)", text)
        print(f"{(time.monotonic() - t0) * 1000:7.1f} ms  from {src[0]}:{src[1]}  {len(data)} bytes  "
              f"action={action.group(1) if action else '?'}")
        got += 1
        if a.save and not saved and "/discovery/Hello<" in text:
            with open(a.save, "wb") as f:
                f.write(data)
            saved = True
    print(f"{got} datagram(s) in {wait:.1f} s")
    return 0 if got else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--iface", required=True, help="our own address (bound, and IP_MULTICAST_IF)")
    p.add_argument("--to", help="unicast target (default: the multicast group)")
    p.add_argument("--types", choices=["nvt", "none", "mismatch"], default="nvt",
                   help="nvt: dp0:NetworkVideoTransmitter; none: no Types element; mismatch: a type nobody has")
    p.add_argument("--wait", type=float, default=3.0)
    p.add_argument("--save")
    p.add_argument("--no-multicast-if", action="store_true", help="do not set IP_MULTICAST_IF (route test)")
    p.add_argument("--listen", action="store_true",
                   help="send nothing: bind 0.0.0.0:3702, join the group on --iface, report what arrives "
                        "(Hello/Bye/Probe) for --wait seconds; --save keeps the first Hello")
    a = p.parse_args()
    wait = min(max(a.wait, 0.1), 30.0)
    if a.listen:
        return listen(a, wait)

    message_id = uuid.uuid4().urn
    types = {"nvt": TYPES_NVT, "none": "", "mismatch": TYPES_NVT.replace("NetworkVideoTransmitter", "NoSuchType")}
    data = probe_xml(message_id, types[a.types]).encode("utf-8")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.iface, 0))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, struct.pack("b", 1))
    if not a.no_multicast_if:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(a.iface))
    dest = (a.to, PORT) if a.to else (GROUP, PORT)
    t0 = time.monotonic()
    try:
        s.sendto(data, dest)
    except OSError as e:
        print(f"send to {dest[0]}:{dest[1]} failed: {e}")
        return 2
    print(f"sent Probe {message_id} types={a.types} from {s.getsockname()[0]}:{s.getsockname()[1]} "
          f"to {dest[0]}:{dest[1]} ({len(data)} bytes)")
    got = 0
    saved = False
    deadline = t0 + wait
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            reply, src = s.recvfrom(65535)
        except socket.timeout:
            break
        ms = (time.monotonic() - t0) * 1000
        text = reply.decode("utf-8", "replace")
        action = re.search(r"Action[^>]*>\s*([^<\s]+)", text)
        relates = message_id in text
        print(f"{ms:7.1f} ms  from {src[0]}:{src[1]}  {len(reply)} bytes  "
              f"action={action.group(1) if action else '?'}  relates_to_our_probe={relates}")
        got += 1
        if a.save and not saved and "ProbeMatches" in text:
            with open(a.save, "wb") as f:
                f.write(reply)
            saved = True
    print(f"{got} datagram(s) in {wait:.1f} s")
    return 0 if got else 1


if __name__ == "__main__":
    sys.exit(main())
