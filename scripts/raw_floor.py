#!/usr/bin/env python3
"""The raw-client floor of each device of scripts/bench's lab: how soon a client that already knows
every stream of a device (its paths and its login) has from each what camscan reports of it.
camscan has to find the paths; this client does not, so no scanner can be final on a device before
its floor.

    raw_floor.py [--sessions N] [--site] USER PASSWORD URL...

For each host, every URL of it is asked at once, one connection each (a server that answers one
request at a time then shows it); with --sessions N, at most N of a host's URLs at a time, the next
as soon as one is done, in the order given (the lockout-safe cap a scanner keeps: camscan's
--sessions-per-device, 2, so a device's floor at two sessions is --sessions 2). Each is done when
it has what a PLAY check reports:

- RTSP: DESCRIBE (Basic, or Digest after the 401 that names it; RFC 2326 / RFC 7826, RFC 7616),
  SETUP of the video track (else the first) over TCP, interleaved, PLAY, then RTP until a keyframe
  has come (H.264 IDR, RFC 6184; H.265 IRAP, RFC 7798; any JPEG frame) and the frame rate is known
  by camscan's rule (analyze::verify::RtpStats: six frame intervals within 2% of each other, or
  26 frames), then the connection is closed;
- HTTP: a GET; an MJPEG answer (multipart) is read until its rate is known by camscan's rule
  (analyze::http::live::rate_settled, the same arithmetic: the rate's error bound within 2% over
  at least six steady intervals after the server's opening burst, every part near one line or
  half of them on the lower line; a part counts when the next
  boundary comes, as camscan's splitter has it whole then);
  an HLS playlist is followed to its first media segment, whose answer head ends it; any other
  answer ends at its head;
- RTMP: a TCP connect and the C0/C1 -> S0/S1 handshake (RTMP 1.0 section 5.2).

Prints one line per host, slowest first:

    HOST FLOOR_MS (URL: MS STATUS, ...)

then, with --site, one more line for the whole run: every host started at once (a site's floor,
a raw client PLAY-checking every camera as fast as the servers allow; the open-file limit is
raised to its hard limit for that):

    SITE WALL_MS STREAMS_DONE/STREAMS HOSTS

where each URL's figure is from the moment the first request to that host was sent to the end
above (connect included). Standard library only; every socket has a 10 s deadline. Lab use only:
the bench runs it inside the lab's scanner namespace.
"""

import base64
import hashlib
import os
import re
import socket
import sys
import threading
import time
from urllib.parse import urljoin, urlsplit

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


def header(head, name):
    return next((line.split(":", 1)[1].strip() for line in head.split("\r\n")
                 if line.lower().startswith(name.lower() + ":")), None)


def status_of(head):
    return head.split(" ", 2)[1] if head.count(" ") >= 1 else "?"


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


def request(sock, method, url, cseq, auth, extra=""):
    """One RTSP request: its status, head, body, and what came after the body."""
    sock.sendall((f"{method} {url} RTSP/1.0\r\nCSeq: {cseq}\r\n{extra}"
                  + (f"Authorization: {auth}\r\n" if auth else "") + "\r\n").encode())
    head, rest, frames = read_reply_head(sock)
    length = int((header(head, "Content-Length") or "0").strip() or 0)
    while len(rest) < length:
        chunk = sock.recv(4096)
        if not chunk:
            break
        rest += chunk
    return status_of(head), head, rest[:length], frames + rest[length:]


def read_reply_head(sock):
    """An RTSP reply's head and what came after it, passing over the interleaved frames ($, channel,
    length; RFC 2326 section 10.12) a server may send before it (GStreamer's shared media can send
    a PLAY's first RTP before the PLAY's answer): those are returned apart, in order, as media."""
    data, frames = b"", b""
    while True:
        while data[:1] == b"$" and len(data) >= 4 and len(data) >= 4 + int.from_bytes(data[2:4], "big"):
            n = 4 + int.from_bytes(data[2:4], "big")
            frames, data = frames + data[:n], data[n:]
        if data[:1] not in (b"", b"$") and b"\r\n\r\n" in data:
            break
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        if len(data) > 1 << 20:
            break
    head, _, rest = data.partition(b"\r\n\r\n")
    return head.decode("latin-1"), rest, frames


def is_keyframe(codec, payload):
    if not payload:
        return False
    if codec == "jpeg":
        return True
    if codec == "h264":
        t = payload[0] & 0x1F
        if t == 5:
            return True
        if t == 28 and len(payload) > 1:
            return bool(payload[1] & 0x80) and payload[1] & 0x1F == 5
        if t == 24:
            i = 1
            while i + 2 < len(payload):
                n = int.from_bytes(payload[i:i + 2], "big")
                if payload[i + 2] & 0x1F == 5:
                    return True
                i += 2 + n
        return False
    if codec == "h265":
        t = (payload[0] >> 1) & 0x3F
        if 16 <= t <= 21:
            return True
        if t == 49 and len(payload) > 2:
            return bool(payload[2] & 0x80) and 16 <= (payload[2] & 0x3F) <= 21
        return False
    return False


def rate_known(stamps):
    """camscan's rule: six frame intervals within 2% of each other, or 26 frames."""
    ts = sorted(set(stamps))
    if len(ts) >= 26:
        return True
    steps = [b - a for a, b in zip(ts, ts[1:])]
    if len(steps) < 6:
        return False
    return max(steps) - min(steps) <= min(steps) * 0.02


def describe(url, user, password):
    """RTSP: DESCRIBE, SETUP, PLAY, then media until a keyframe and a known rate."""
    u = urlsplit(url)
    sock = socket.create_connection((u.hostname, u.port or 554), timeout=DEADLINE)
    sock.settimeout(DEADLINE)
    basic = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    accept = "Accept: application/sdp\r\n"
    try:
        challenge = None
        status, head, body, _ = request(sock, "DESCRIBE", url, 1, basic, accept)
        if status == "401":
            challenge = next((line.split(":", 1)[1].strip() for line in head.split("\r\n")
                              if line.lower().startswith("www-authenticate:")
                              and "digest" in line.lower()), "")
            auth = digest(user, password, "DESCRIBE", url, challenge) or basic
            status, head, body, _ = request(sock, "DESCRIBE", url, 2, auth, accept)
        if status != "200":
            return "DESCRIBE " + status

        def auth_for(method, uri):
            return (digest(user, password, method, uri, challenge) if challenge else None) or basic

        base = header(head, "Content-Base") or url
        media = body.decode("latin-1").split("\nm=")[1:]
        track_sdp = next((m for m in media if m.startswith("video")), media[0] if media else "")
        control = re.search(r"a=control:(\S+)", track_sdp)
        codec = re.search(r"a=rtpmap:\d+ ([A-Za-z0-9]+)/", track_sdp)
        codec = codec.group(1).lower() if codec else "?"
        track = control.group(1) if control else ""
        if not track.startswith("rtsp://"):
            track = base.rstrip("/") + "/" + track if track and track != "*" else base
        status, head, _, _ = request(sock, "SETUP", track, 3, auth_for("SETUP", track),
                                     "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n")
        if status != "200":
            return "SETUP " + status
        session = (header(head, "Session") or "").split(";")[0]
        status, _, _, buf = request(sock, "PLAY", base, 4, auth_for("PLAY", base),
                                    f"Session: {session}\r\n")
        if status != "200":
            return "PLAY " + status
        key, stamps = False, []
        while not (key and rate_known(stamps)):
            while len(buf) < 4 or (buf[0:1] == b"$" and len(buf) < 4 + int.from_bytes(buf[2:4], "big")):
                chunk = sock.recv(65536)
                if not chunk:
                    return "ended before a keyframe and a rate"
                buf += chunk
            if buf[0:1] != b"$":
                # An RTSP message between frames: skip its head.
                _, sep, after = buf.partition(b"\r\n\r\n")
                if not sep:
                    buf += sock.recv(65536)
                    continue
                buf = after
                continue
            channel, n = buf[1], int.from_bytes(buf[2:4], "big")
            packet, buf = buf[4:4 + n], buf[4 + n:]
            if channel != 0 or len(packet) < 12:
                continue
            offset = 12 + 4 * (packet[0] & 0x0F)
            if packet[0] & 0x10 and len(packet) >= offset + 4:
                offset += 4 + 4 * int.from_bytes(packet[offset + 2:offset + 4], "big")
            stamps.append(int.from_bytes(packet[4:8], "big"))
            key = key or is_keyframe(codec, packet[offset:])
        return "keyframe, rate"
    finally:
        sock.close()


def http_get(u, path):
    sock = socket.create_connection((u.hostname, u.port or 80), timeout=DEADLINE)
    sock.settimeout(DEADLINE)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {u.netloc}\r\nConnection: close\r\n\r\n".encode())
    head, rest = read_head(sock)
    return sock, head, rest


# camscan's MJPEG rule (crates/analyze/src/http/live.rs): parts read after the opening burst at most, the
# steady intervals needed at least, and the error bound on the rate that ends the measurement.
MJPEG_PARTS, MJPEG_SETTLED, MJPEG_AGREE = 15, 6, 0.02
# live::MAJORITY_MAX: twice MJPEG_MAX_PARTS (45).
MAJORITY_MAX = 90


def steady(t):
    """camscan's live::steady: the arrivals from the source's cadence on (the first part and the
    opening burst, leading gaps under half the median gap, cut off)."""
    if len(t) < 3:
        return []
    gaps = sorted(b - a for a, b in zip(t, t[1:]))
    median_gap = gaps[len(gaps) // 2]
    burst = 0
    for a, b in zip(t, t[1:]):
        if b - a >= median_gap / 2.0:
            break
        burst += 1
    return t[burst + 1:]


def rate_settled(t):
    """camscan's live::rate_settled: six steady intervals at least, and the rate's error bound
    within 2 %, read one of three ways (even_settled, lower_line_settled or majority_line)."""
    st = steady(t)
    return len(st) >= MJPEG_SETTLED + 1 and (
        even_settled(st) or lower_line_settled(st) or majority_line(st) is not None)


def even_settled(st):
    """camscan's live::even_settled: every steady part within e seconds of the Theil-Sen line
    through them, and 2e within 2 % of their span."""
    slopes = sorted((st[j] - st[i]) / (j - i) for i in range(len(st)) for j in range(i + 1, len(st)))
    n = len(slopes)
    period = slopes[n // 2] if n % 2 else (slopes[n // 2 - 1] + slopes[n // 2]) / 2.0
    if period <= 0:
        return False
    offsets = sorted(x - period * i for i, x in enumerate(st))
    start = offsets[len(offsets) // 2]
    off_line = max(abs(x - start - period * i) for i, x in enumerate(st))
    span = st[-1] - st[0]
    return span > 0 and 2.0 * off_line <= MJPEG_AGREE * span


def lower_edge(st):
    """camscan's live::lower_edge: the edge of the lower convex hull of (part number, arrival)
    over the middle part number, as (its first part number, its slope); None when not positive."""
    hull = []
    for i in range(len(st)):
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            if (st[b] - st[a]) * (i - b) >= (st[i] - st[b]) * (b - a):
                hull.pop()
            else:
                break
        hull.append(i)
    middle = (len(st) - 1) / 2.0
    for a, b in zip(hull, hull[1:]):
        if a <= middle <= b:
            period = (st[b] - st[a]) / (b - a)
            return (a, period) if period > 0 else None
    return None


def lower_line_settled(st):
    """camscan's live::lower_line_settled: the parts within 1 % of the span of the lower hull's
    line, at least half of the steady parts and seven at least, lie within e of it, and 2e is
    within 2 % of their own span."""
    edge = lower_edge(st)
    if edge is None:
        return False
    a, period = edge
    above = [x - st[a] - period * (i - a) for i, x in enumerate(st)]
    span = st[-1] - st[0]
    near = [i for i in range(len(st)) if above[i] <= MJPEG_AGREE * span / 2.0]
    if len(near) < MJPEG_SETTLED + 1 or 2 * len(near) < len(st):
        return False
    e = max(abs(above[i]) for i in near)
    near_span = st[near[-1]] - st[near[0]]
    return near_span > 0 and 2.0 * e <= MJPEG_AGREE * near_span


def majority_line(st):
    """camscan's live::majority_line: of the lines through two steady parts, the first with the
    most parts within a quarter of the bound's budget (MJPEG_AGREE * span / 4); when they are half
    of the steady parts and seven at least, the least-squares line through them, every one within
    e of it, and 2e within 2 % of their own span: its period, else None."""
    n = len(st)
    if n <= MJPEG_SETTLED or n > MAJORITY_MAX:
        return None
    span = st[-1] - st[0]
    if span <= 0:
        return None
    tolerance = MJPEG_AGREE * span / 4.0
    best = []
    for i in range(n):
        for j in range(i + 1, n):
            slope = (st[j] - st[i]) / (j - i)
            if slope <= 0:
                continue
            near = [k for k in range(n) if abs(st[k] - st[i] - slope * (k - i)) <= tolerance]
            if len(near) > len(best):
                best = near
    if len(best) < MJPEG_SETTLED + 1 or 2 * len(best) < n:
        return None
    mean_k = sum(best) / len(best)
    mean_t = sum(st[k] for k in best) / len(best)
    sxy = sum((k - mean_k) * (st[k] - mean_t) for k in best)
    sxx = sum((k - mean_k) ** 2 for k in best)
    period = sxy / sxx
    if period <= 0:
        return None
    e = max(abs(st[k] - mean_t - period * (k - mean_k)) for k in best)
    near_span = st[best[-1]] - st[best[0]]
    return period if near_span > 0 and 2.0 * e <= MJPEG_AGREE * near_span else None


def get(url, user, password):
    """HTTP: the answer's head; MJPEG until its rate is known by camscan's rule; HLS to its first
    segment's head."""
    u = urlsplit(url)
    path = u.path + ("?" + u.query if u.query else "")
    sock, head, rest = http_get(u, path)
    try:
        status = status_of(head)
        ctype = (header(head, "Content-Type") or "").lower()
        if status == "200" and "multipart" in ctype:
            boundary = re.search(r'boundary="?([^";]+)', header(head, "Content-Type"))
            mark = ("--" + boundary.group(1).lstrip("-")).encode() if boundary else b"--"
            # A part is whole when the next boundary comes: its arrival is that boundary's.
            started = time.monotonic()
            marks = [0.0] * rest.count(mark)
            buf = rest[-len(mark):]
            while not rate_settled(marks[1:]):
                if len(marks) > 1 + MJPEG_PARTS + 8:
                    return f"{status} MJPEG rate unsettled after {len(marks) - 1} parts"
                chunk = sock.recv(65536)
                if not chunk:
                    return f"{status} MJPEG ended after {max(len(marks) - 1, 0)} parts"
                buf += chunk
                now = time.monotonic() - started
                marks += [now] * buf.count(mark)
                buf = buf[-len(mark):]
            return f"{status} MJPEG rate settled after {len(marks) - 1} parts"
        if status == "200" and ("mpegurl" in ctype or path.endswith(".m3u8")):
            body = rest
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                body += chunk
            uri = next((x.strip() for x in body.decode("latin-1").splitlines()
                        if x.strip() and not x.startswith("#")), None)
            if uri is None:
                return status + " HLS without a segment"
            seg = urlsplit(urljoin(url, uri))
            s2, h2, _ = http_get(seg, seg.path + ("?" + seg.query if seg.query else ""))
            s2.close()
            return status + " HLS segment " + status_of(h2)
        return status
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
    args = sys.argv[1:]
    sessions, site = None, False
    while args[:1] in (["--sessions"], ["--site"]):
        if args[0] == "--site":
            site, args = True, args[1:]
        elif len(args) > 1 and args[1].isdigit() and int(args[1]) > 0:
            sessions, args = int(args[1]), args[2:]
        else:
            sys.exit(__doc__)
    if site:
        import resource
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    began = time.monotonic()
    if len(args) < 3:
        sys.exit(__doc__)
    user, password, urls = args[0], args[1], args[2:]
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
        except (OSError, ValueError, IndexError) as e:
            status = f"error {e}"
        took = (time.monotonic() - start) * 1000
        with lock:
            results.setdefault(host, []).append((url, took, status))

    def worker(host, queue, start):
        """One session of `host`: its next URL in the order given until none is left."""
        while True:
            with lock:
                if not queue:
                    return
                url = queue.pop(0)
            ask(host, url, start)

    threads = []
    for host, host_urls in by_host.items():
        start = time.monotonic()
        queue = list(host_urls)
        for _ in range(min(sessions or len(queue), len(queue))):
            t = threading.Thread(target=worker, args=(host, queue, start))
            t.start()
            threads.append(t)
    for t in threads:
        t.join()
    rows = sorted(((max(r[1] for r in rs), host, rs) for host, rs in results.items()), reverse=True)
    for floor, host, rs in rows:
        parts = ", ".join(f"{url}: {took:.0f} ms {status}" for url, took, status in sorted(rs))
        print(f"{host} {floor:.0f} ({parts})")
    if site:
        done = sum(1 for rs in results.values() for _, _, status in rs if played(status))
        print(f"SITE {(time.monotonic() - began) * 1000:.0f} {done}/{len(urls)} {len(by_host)}")


def played(status):
    """Whether a URL's status says it has what a PLAY check reports (a keyframe and the rate; an
    MJPEG rate; an HLS segment's answer; an RTMP handshake's S1)."""
    return status in ("keyframe, rate", "S1") or status.startswith(
        ("200 MJPEG rate settled", "200 HLS segment 200"))


if __name__ == "__main__":
    main()
