#!/usr/bin/env python3
"""Our own minimal SSDP prober (raw UDP, standard library only), used to verify ssdp_device.py and to
capture the fixture files. Run it inside the lab's scanner namespace.

    python3 ssdp_probe.py --iface 198.18.0.1 [--to 198.18.0.13] [--st ssdp:all] [--mx 1] [--wait 2.5]
                          [--save FILE] [--save-all FILE] [--fetch] [--save-description FILE]

Sends ONE M-SEARCH (exactly `M-SEARCH * HTTP/1.1\\r\\nHOST: 239.255.255.250:1900\\r\\nMAN: "ssdp:discover"
\\r\\nMX: 1\\r\\nST: ...\\r\\n\\r\\n`) from a socket bound to --iface (ephemeral port), to 239.255.255.250:1900
with IP_MULTICAST_IF = --iface and TTL 1, or unicast to --to:1900. Listens on that socket for --wait
seconds (bounded), prints one line per datagram (elapsed ms, source, size, ST, USN, LOCATION), then the
headers of the first one.

--save FILE          the first reply datagram, byte for byte
--save-all FILE      every reply datagram, byte for byte, in arrival order, separated by a line `-----`
                     (b"-----\\n" between datagrams, none after the last: each datagram ends with CRLF CRLF,
                     so the separator is a line of its own; split on it to get the exact datagrams)
--fetch              GET the first LOCATION (plain HTTP/1.1 over a socket, no library), print status line,
                     headers and body size; --save-description FILE writes the body, byte for byte
Exit status 0 if at least one reply came (and, with --fetch, the GET answered 200).
"""

import argparse
import re
import socket
import struct
import sys
import time
from urllib.parse import urlsplit

GROUP = "239.255.255.250"
PORT = 1900
SEPARATOR = b"-----\n"  # each datagram ends with CRLF CRLF, so this is a line of its own


def msearch(st, mx):
    return (f"M-SEARCH * HTTP/1.1\r\nHOST: {GROUP}:{PORT}\r\nMAN: \"ssdp:discover\"\r\nMX: {mx}\r\n"
            f"ST: {st}\r\n\r\n").encode("ascii")


def headers(data):
    out = {}
    for line in data.decode("utf-8", "replace").split("\r\n")[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            out.setdefault(k.strip().upper(), v.strip())
    return out


def http_get(url, timeout=3.0):
    """A plain HTTP/1.1 GET with Connection: close. Returns (head bytes, body bytes)."""
    u = urlsplit(url)
    if u.scheme != "http":
        raise ValueError(f"not an http URL: {url}")
    host, port = u.hostname, u.port or 80
    path = (u.path or "/") + (f"?{u.query}" if u.query else "")
    req = (f"GET {path} HTTP/1.1\r\nHost: {u.netloc}\r\nUser-Agent: ssdp_probe\r\nAccept: */*\r\n"
           f"Connection: close\r\n\r\n").encode("ascii")
    deadline = time.monotonic() + timeout
    chunks = []
    with socket.create_connection((host, port), timeout=timeout) as c:
        c.sendall(req)
        while time.monotonic() < deadline:
            c.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                b = c.recv(65536)
            except socket.timeout:
                break
            if not b:
                break
            chunks.append(b)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    h = headers(head)
    if "chunked" in h.get("TRANSFER-ENCODING", "").lower():
        body = dechunk(body)
    elif "CONTENT-LENGTH" in h:
        body = body[:int(h["CONTENT-LENGTH"])]
    return head, body


def dechunk(b):
    out = b""
    while b:
        size_line, _, rest = b.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        b = rest[size + 2:]
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--iface", required=True, help="our own address (bound, and IP_MULTICAST_IF)")
    p.add_argument("--to", help="unicast target (default: the multicast group)")
    p.add_argument("--st", default="ssdp:all")
    p.add_argument("--mx", type=int, default=1)
    p.add_argument("--wait", type=float, default=2.5)
    p.add_argument("--save")
    p.add_argument("--save-all")
    p.add_argument("--fetch", action="store_true")
    p.add_argument("--save-description")
    a = p.parse_args()
    wait = min(max(a.wait, 0.1), 30.0)

    data = msearch(a.st, a.mx)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.iface, 0))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, struct.pack("b", 1))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(a.iface))
    dest = (a.to, PORT) if a.to else (GROUP, PORT)
    t0 = time.monotonic()
    try:
        s.sendto(data, dest)
    except OSError as e:
        print(f"send to {dest[0]}:{dest[1]} failed: {e}")
        return 2
    print(f"sent M-SEARCH ST={a.st} MX={a.mx} from {s.getsockname()[0]}:{s.getsockname()[1]} "
          f"to {dest[0]}:{dest[1]} ({len(data)} bytes)")
    replies = []
    while True:
        left = t0 + wait - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            reply, src = s.recvfrom(65535)
        except socket.timeout:
            break
        ms = (time.monotonic() - t0) * 1000
        h = headers(reply)
        status = reply.split(b"\r\n", 1)[0].decode("utf-8", "replace")
        print(f"{ms:7.1f} ms  from {src[0]}:{src[1]}  {len(reply)} bytes  {status!r}  ST={h.get('ST')}  "
              f"USN={h.get('USN')}  LOCATION={h.get('LOCATION')}")
        replies.append(reply)
    print(f"{len(replies)} datagram(s) in {wait:.1f} s")
    if not replies:
        return 1
    print("first reply:\n  " + replies[0].decode("utf-8", "replace").rstrip("\r\n").replace("\r\n", "\n  "))
    if a.save:
        with open(a.save, "wb") as f:
            f.write(replies[0])
    if a.save_all:
        with open(a.save_all, "wb") as f:
            f.write(SEPARATOR.join(replies))
    if a.fetch:
        location = headers(replies[0]).get("LOCATION")
        try:
            head, body = http_get(location)
        except (OSError, ValueError) as e:
            print(f"GET {location} failed: {e}")
            return 3
        print(f"GET {location}:\n  " + head.decode("utf-8", "replace").replace("\r\n", "\n  "))
        print(f"  body: {len(body)} bytes")
        if a.save_description:
            with open(a.save_description, "wb") as f:
                f.write(body)
        if not re.match(rb"HTTP/1\.[01] 200 ", head):
            return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
