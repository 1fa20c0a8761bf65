#!/usr/bin/env python3
"""The raw-client floor of each device of scripts/bench's lab: how soon a client that already knows
every stream of a device (its paths and its login) has all of them answered. camscan has to find
the paths; this client does not, so no scanner can be final on a device before its floor.

    raw_floor.py USER PASSWORD URL...

For each host, every URL of it is asked at once, one connection each (a server that answers one
request at a time then shows it): RTSP gets a DESCRIBE (with Basic, or Digest after the 401 that
names it; RFC 2326 / RFC 7826 and RFC 7616), HTTP a GET whose status line and headers are read
(an MJPEG or HLS answer starts at once; its body is not waited for), RTMP a TCP connect and the
C0/C1 -> S0/S1 handshake (RTMP 1.0 section 5.2). Prints one line per host, slowest first:

    HOST FLOOR_MS (URL: MS, ...)

where each URL's figure is from the moment the first request to that host was sent to its answer
(connect included). Standard library only; every socket has a 10 s deadline. Lab use only: the
bench runs it inside the lab's scanner namespace.
"""

import base64
import hashlib
import os
import re
import socket
import sys
import threading
import time
from urllib.parse import urlsplit

DEADLINE = 10.0


def read_head(sock):
    """Bytes up to and including the blank line ending a head (RTSP and HTTP alike)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
        if len(data) > 65536:
            break
    head, _, rest = data.partition(b"\r\n\r\n")
    return head.decode("latin-1"), rest


def digest(user, password, method, uri, challenge):
    realm = re.search(r'realm="([^"]*)"', challenge)
    nonce = re.search(r'nonce="([^"]*)"', challenge)
    if not realm or not nonce:
        return None
    ha1 = hashlib.md5(f"{user}:{realm.group(1)}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
    response = hashlib.md5(f"{ha1}:{nonce.group(1)}:{ha2}".encode()).hexdigest()
    return (f'Digest username="{user}", realm="{realm.group(1)}", nonce="{nonce.group(1)}", '
            f'uri="{uri}", response="{response}"')


def describe(url, user, password):
    u = urlsplit(url)
    sock = socket.create_connection((u.hostname, u.port or 554), timeout=DEADLINE)
    sock.settimeout(DEADLINE)
    auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    try:
        for cseq in (1, 2):
            req = (f"DESCRIBE {url} RTSP/1.0\r\nCSeq: {cseq}\r\nAccept: application/sdp\r\n"
                   f"Authorization: {auth}\r\n\r\n")
            sock.sendall(req.encode())
            head, _ = read_head(sock)
            status = head.split(" ", 2)[1] if head.count(" ") >= 1 else "?"
            if status != "401":
                return status
            challenge = next((line.split(":", 1)[1].strip() for line in head.split("\r\n")
                              if line.lower().startswith("www-authenticate:") and "digest" in line.lower()), "")
            auth = digest(user, password, "DESCRIBE", url, challenge) or auth
        return "401"
    finally:
        sock.close()


def get(url, user, password):
    u = urlsplit(url)
    sock = socket.create_connection((u.hostname, u.port or 80), timeout=DEADLINE)
    sock.settimeout(DEADLINE)
    path = u.path + ("?" + u.query if u.query else "")
    try:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {u.netloc}\r\nConnection: close\r\n\r\n".encode())
        head, _ = read_head(sock)
        return head.split(" ", 2)[1] if head.count(" ") >= 1 else "?"
    finally:
        sock.close()


def rtmp(url, user, password):
    u = urlsplit(url)
    sock = socket.create_connection((u.hostname, u.port or 1935), timeout=DEADLINE)
    sock.settimeout(DEADLINE)
    try:
        sock.sendall(b"\x03" + bytes(8) + os.urandom(1528))
        got = b""
        while len(got) < 1 + 1536:
            chunk = sock.recv(4096)
            if not chunk:
                break
            got += chunk
        return "S1" if len(got) >= 1537 else "short"
    finally:
        sock.close()


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    user, password, urls = sys.argv[1], sys.argv[2], sys.argv[3:]
    by_host = {}
    for url in urls:
        by_host.setdefault(urlsplit(url).hostname, []).append(url)
    results = {}
    lock = threading.Lock()

    def ask(host, url, start):
        scheme = urlsplit(url).scheme
        fn = {"rtsp": describe, "http": get, "rtmp": rtmp}.get(scheme)
        try:
            status = fn(url, user, password) if fn else "unsupported"
        except OSError as e:
            status = f"error {e}"
        took = (time.monotonic() - start) * 1000
        with lock:
            results.setdefault(host, []).append((url, took, status))

    threads = []
    for host, host_urls in by_host.items():
        start = time.monotonic()
        for url in host_urls:
            t = threading.Thread(target=ask, args=(host, url, start))
            t.start()
            threads.append(t)
    for t in threads:
        t.join()
    rows = sorted(((max(r[1] for r in rs), host, rs) for host, rs in results.items()), reverse=True)
    for floor, host, rs in rows:
        parts = ", ".join(f"{url}: {took:.0f} ms {status}" for url, took, status in sorted(rs))
        print(f"{host} {floor:.0f} ({parts})")


if __name__ == "__main__":
    main()
