#!/usr/bin/env python3
"""A fake announcer for the listener's hostile-peer tests: multicasts the given datagrams, once each, to
239.255.255.250 from one address. Run it inside a lab host namespace (tests/lab/listen_lab.sh).

    python3 announce.py SOURCE_ADDRESS PORT FILE [FILE ...]

SOURCE_ADDRESS  the address to send from (bound; also IP_MULTICAST_IF), e.g. 198.18.16.66
PORT            3702 (WS-Discovery) or 1900 (SSDP)
FILE            each file's bytes are one datagram (up to 65 507 bytes), sent in order 20 ms apart

Prints `SENT <bytes> <file>` per datagram and exits. TTL 1: nothing leaves the segment.
"""

import socket
import sys
import time

GROUP = "239.255.255.250"


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    source, port, files = argv[0], int(argv[1]), argv[2:]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(source))
    s.bind((source, 0))
    for f in files:
        with open(f, "rb") as fh:
            data = fh.read()
        s.sendto(data, (GROUP, port))
        print(f"SENT {len(data)} {f}", flush=True)
        time.sleep(0.02)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
