#!/usr/bin/python3
"""How many ARP requests a second the scale lab answers (tests/lab/scale_lab.sh's header figures).

Usage (inside the lab's scanner namespace only, as root):
    ip netns exec PREFIX-scan tests/lab/arp_rate.py IFACE HOSTS_FILE RATE SECONDS

Sends broadcast ARP requests ("who has ADDR?") on IFACE at RATE a second for SECONDS, cycling
through the addresses of HOSTS_FILE (the lab's hosts.txt: `ADDR MAC kind`), from IFACE's own MAC
and IPv4 address; reads the replies on the same socket meanwhile and for 10 s after the last
request (a lab whose broadcast queue is long answers late rather than never). Prints one line:
    rate=R sent=S answered=A lost=L p50_ms=.. p99_ms=.. max_ms=.. answered_per_s=..
answered_per_s is the answers over the time from the first request to the last answer: what the
lab keeps up with. A request counts as answered when a reply for its address comes after it was
sent (one reply answers the oldest outstanding request for that address).
"""

import collections
import fcntl
import socket
import struct
import sys
import time

ETH_P_ARP = 0x0806
SIOCGIFADDR = 0x8915


def iface_ipv4(sock, name):
    req = struct.pack("256s", name.encode()[:15])
    return fcntl.ioctl(sock.fileno(), SIOCGIFADDR, req)[20:24]


def main(argv):
    if len(argv) != 5:
        sys.stderr.write(__doc__)
        return 2
    iface, hosts_file, rate, seconds = argv[1], argv[2], float(argv[3]), float(argv[4])
    targets = [socket.inet_aton(line.split()[0]) for line in open(hosts_file) if line.strip()]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    s.bind((iface, ETH_P_ARP))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 24)
    s.setblocking(False)
    mac = s.getsockname()[4]
    ip = iface_ipv4(socket.socket(socket.AF_INET, socket.SOCK_DGRAM), iface)
    head = b"\xff" * 6 + mac + struct.pack("!H", ETH_P_ARP)
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + ip + b"\x00" * 6
    outstanding = collections.defaultdict(collections.deque)  # target -> send times
    latencies = []
    total = int(rate * seconds)
    start = time.monotonic()
    last_answer = start
    sent = 0

    def read():
        nonlocal last_answer
        while True:
            try:
                f = s.recv(128)
            except BlockingIOError:
                return
            if len(f) < 42 or f[12:14] != b"\x08\x06" or f[20:22] != b"\x00\x02":
                continue
            q = outstanding.get(f[28:32])
            if q:
                now = time.monotonic()
                latencies.append(now - q.popleft())
                last_answer = now

    while sent < total:
        due = start + sent / rate
        now = time.monotonic()
        if now < due:
            read()
            time.sleep(min(due - now, 0.001))
            continue
        t = targets[sent % len(targets)]
        s.send(head + arp + t)
        outstanding[t].append(time.monotonic())
        sent += 1
    end = time.monotonic() + 10
    while time.monotonic() < end and len(latencies) < sent:
        read()
        time.sleep(0.005)
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0

    span = max(last_answer - start, 1e-9)
    print("rate=%g sent=%d answered=%d lost=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f answered_per_s=%.0f"
          % (rate, sent, len(latencies), sent - len(latencies), pct(0.5), pct(0.99), pct(1.0),
             len(latencies) / span))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
