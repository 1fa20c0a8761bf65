#!/usr/bin/python3
"""A link delay for the namespace lab where the kernel has no sch_netem (tc qdisc ... netem).

    delay_link.py IN_IF OUT_IF DELAY_MS     every frame arriving on IN_IF leaves on OUT_IF DELAY_MS later
    delay_link.py --tx-csum-off IF          turn off IF's transmit checksum offload, then exit

What it is for: scripts/bench puts one lab host "behind a 20 ms link delay". With netem that is one
`tc qdisc add dev eth0 root netem delay 20ms` in the host's namespace (every frame the host sends
waits 20 ms). Kernels built without sch_netem (this project's CI sandbox) refuse that, so the bench
takes the host's switch port off the bridge and joins it to the bridge through this relay (frames
from the host, delayed) and a tc mirred redirect (frames to the host, undelayed): the same one-way
delay netem on the host's eth0 gives. It runs in the switch namespace on AF_PACKET sockets; the
order of frames is kept (one FIFO, one fixed delay).

Frames copied through a packet socket lose the kernel's "checksum not filled in yet" mark, so the
delayed host must send finished checksums and segments no larger than the MTU: the bench runs
`--tx-csum-off eth0` in the host's namespace (the legacy ETHTOOL_STXCSUM ioctl, which also turns
TSO off; no ethtool binary needed) and sets the link's gso_max_segs to 1.

Protocol (as the lab's other servers): "READY" on stdout once the sockets are bound; exits when stdin
reaches EOF or on SIGTERM. Needs root (CAP_NET_RAW, CAP_NET_ADMIN).
"""

import array
import collections
import fcntl
import os
import select
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SIOCETHTOOL = 0x8946
ETHTOOL_STXCSUM = 0x00000017
MAX_FRAME = 65536


def tx_csum_off(ifname):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        value = array.array("I", [ETHTOOL_STXCSUM, 0])  # struct ethtool_value {cmd, data}
        ifreq = struct.pack("16sP", ifname.encode(), value.buffer_info()[0])
        fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifreq)
    finally:
        s.close()


def relay(in_if, out_if, delay):
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    rx.bind((in_if, ETH_P_ALL))
    # Protocol 0: this socket only sends, it receives nothing.
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    tx.bind((out_if, 0))
    rx.setblocking(False)
    queue = collections.deque()
    dropped = 0
    sys.stdout.write("READY\n")
    sys.stdout.flush()
    while True:
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, frame = queue.popleft()
            try:
                tx.send(frame)
            except OSError as e:
                dropped += 1
                if dropped in (1, 10, 100, 1000):
                    sys.stderr.write("delay_link: %d frame(s) not sent (%s, %d bytes)\n"
                                     % (dropped, e, len(frame)))
        timeout = max(0.0, queue[0][0] - time.monotonic()) if queue else None
        ready, _, _ = select.select([rx, sys.stdin], [], [], timeout)
        if sys.stdin in ready and not os.read(sys.stdin.fileno(), 4096):
            return 0
        if rx in ready:
            while True:
                try:
                    frame, addr = rx.recvfrom(MAX_FRAME)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue
                queue.append((time.monotonic() + delay, frame))


def main(argv):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if len(argv) == 3 and argv[1] == "--tx-csum-off":
        tx_csum_off(argv[2])
        return 0
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    return relay(argv[1], argv[2], float(argv[3]) / 1000.0)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
