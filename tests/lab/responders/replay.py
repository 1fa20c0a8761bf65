#!/usr/bin/env python3
"""OUR REPLAYER: answers one vendor discovery query with a reply captured from a real device (or a
vendor tool's published sample), for camscan's lab tests. No server of these protocols is installable
(they live only in camera firmware), so this sends back exactly the bytes of a fixture from
tests/fixtures/vendor/ (see the README there for each one's source), unchanged. Standard library only.

    python3 replay.py ADDRESS PORT FIXTURE [--expect HEX] [--reply-port N] [--group G]
                      [--dvrip-header] [--delay-ms MS]

Listens on 0.0.0.0:PORT (joined to multicast group G on ADDRESS's interface when given), so
broadcast, multicast and unicast queries all arrive. A datagram whose first bytes match --expect (hex;
`..` matches any byte) is a query: it is answered once with the fixture's bytes, to the asker's
address at --reply-port (what DVRIP and Hanwha devices do) or, without it, to the asking socket.
--delay-ms answers each query MS milliseconds after it arrived (a late answer, on purpose: a
device that waits out most of an SSDP M-SEARCH's MX, or a slow link). --dvrip-header frames the fixture (a DVRIP body, which is all its source published) in the 20-byte
DVRIP reply header, message 1531, as a device framed the answer recorded in xyyangkun/python-dvr's
DeviceManager.py: ff 01 00 00, session 0, sequence 0, two zero bytes, the message id and the body
length (little-endian).

stdout contract: `READY` once listening; then `QUERY <sender-ip>` for every query answered. Exits when
stdin reaches EOF.
"""

import argparse
import socket
import struct
import sys
import threading


def matches(data, pattern):
    """Whether data starts with the hex pattern (`..` = any byte)."""
    pairs = [pattern[i : i + 2] for i in range(0, len(pattern), 2)]
    if len(data) < len(pairs):
        return False
    return all(p == ".." or data[i] == int(p, 16) for i, p in enumerate(pairs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("address")
    ap.add_argument("port", type=int)
    ap.add_argument("fixture")
    ap.add_argument("--expect", default="")
    ap.add_argument("--reply-port", type=int, default=None)
    ap.add_argument("--group", default=None)
    ap.add_argument("--dvrip-header", action="store_true")
    ap.add_argument("--delay-ms", type=int, default=0)
    args = ap.parse_args()
    with open(args.fixture, "rb") as f:
        answer = f.read()
    if args.dvrip_header:
        answer = struct.pack("<BB2xIIBBHI", 0xFF, 1, 0, 0, 0, 0, 1531, len(answer)) + answer

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    sock.bind(("0.0.0.0", args.port))
    if args.group:
        mreq = socket.inet_aton(args.group) + socket.inet_aton(args.address)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)

    def serve():
        while True:
            data, sender = sock.recvfrom(65535)
            if sender[0] == args.address or not matches(data, args.expect):
                continue
            dest = (sender[0], args.reply_port) if args.reply_port else sender
            if args.delay_ms:
                threading.Timer(args.delay_ms / 1000, sock.sendto, (answer, dest)).start()
            else:
                sock.sendto(answer, dest)
            print(f"QUERY {sender[0]}", flush=True)

    threading.Thread(target=serve, daemon=True).start()
    print("READY", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
