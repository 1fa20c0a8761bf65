#!/usr/bin/python3
"""Records the ARP requests one sender puts on the wire: what tests/scale.rs checks camscan's
broadcast budget against.

Usage (inside a lab namespace only, as root):
    ip netns exec PREFIX-sw tests/lab/arp_watch.py IFACE SENDER_IP SECONDS

Listens on IFACE (an AF_PACKET socket, ARP frames kept) for SECONDS and prints one JSON line: the
times, in seconds from the first, of every ARP request whose sender address is SENDER_IP, and
the number of requests seen. Prints `LISTENING` on stderr once the socket is open, so the caller
starts the sender after it.
"""

import json
import socket
import struct
import sys
import time

ETH_P_ARP = 0x0806
# Every protocol: on a bridge's port the bridge takes each frame before a socket for one protocol
# would see it; only the taps of every protocol see it first.
ETH_P_ALL = 0x0003


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    iface, sender, seconds = argv[1], socket.inet_aton(argv[2]), float(argv[3])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, ETH_P_ALL))
    s.settimeout(0.2)
    sys.stderr.write("LISTENING\n")
    sys.stderr.flush()
    end = time.monotonic() + seconds
    times = []
    while time.monotonic() < end:
        try:
            frame = s.recv(2048)
        except socket.timeout:
            continue
        # Ethernet header (14 bytes), then ARP: htype(2) ptype(2) hlen(1) plen(1) oper(2) sha(6)
        # spa(4) tha(6) tpa(4).
        if len(frame) < 42 or struct.unpack("!H", frame[12:14])[0] != ETH_P_ARP:
            continue
        arp = frame[14:]
        oper = struct.unpack("!H", arp[6:8])[0]
        if oper == 1 and arp[14:18] == sender:
            times.append(time.monotonic())
    first = times[0] if times else 0.0
    print(json.dumps({"requests": len(times), "times": [round(t - first, 6) for t in times]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
