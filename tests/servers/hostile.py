#!/usr/bin/python3
"""Hostile peers for camscan's robustness tests (tests/hostile.rs, tests/lab_hostile.rs, tests/truth.rs): one process,
standard library only, each behaviour on its own address and ports.

Usage: hostile.py SPEC...     SPEC = BEHAVIOUR@ADDRESS:PORT[,PORT...]

Prints READY once every listener is bound; exits when stdin reaches EOF (the test harness holds the
pipe), so it dies with the test process. A connection ends when the peer goes away (camscan closes
with RST when its deadline passes) or stays idle for HOLD seconds, so nothing piles up. Lines printed after READY report what a peer did (the tests read them):
`FOLLOWED ADDRESS PATH` when camscan requested a path that only a redirect named, `SSDP ADDRESS FROM`
when an M-SEARCH was answered.

Behaviours (TCP unless said otherwise):
  garbage     random bytes on connect (first byte 0xFF: no protocol's greeting), and more for every
              chunk received
  tarpit      accepts and never says anything
  slowloris   answers in the request's protocol (RTSP or HTTP), one byte per second, a head that never
              ends
  slowbody    HTTP: GET answered at once with a head (200, Content-Length), then the body at one byte
              per second; other methods (and RTSP requests): 501
  slowsdp     RTSP: OPTIONS 200 at once; DESCRIBE's head at once, then its SDP at one byte per second
  headers     a status line, then header lines as fast as the peer reads, never a blank line
  bigbody     HTTP GET of any path: 200 with Content-Length 100 MB, streamed from a generator (never
              held in memory); other methods: 501
  xmlbomb     HTTP: a root page linking /live/manifest.mpd; that, /dash/stream.mpd and
              /ISAPI/System/deviceInfo answer a billion-laughs document (an MPD); the rest 404
  deepxml     the same, with an MPD nested 100 000 elements deep
  bigsdp      RTSP: OPTIONS 200; DESCRIBE of any path 200 with an SDP of 100 000 lines
  noboundary  HTTP: /mjpg/video.mjpg is multipart/x-mixed-replace with no boundary parameter and a body
              that never holds one (JPEG-looking parts, 8 KiB every 50 ms); / a plain page; the rest 404
  redirect    RTSP: every request answered 301/302 with a Location on the same server, a new path each
              time
  noplay      RTSP: a camera that answers and never sends media (issue 72): OPTIONS, DESCRIBE of
              /Streaming/Channels/101 (an H.264 SDP; other paths 404), SETUP (interleaved over TCP)
              and PLAY all 200, then not one RTP packet; later requests (GET_PARAMETER, TEARDOWN)
              200
  latestart   RTSP: a media server busy for its first LATE seconds (GStreamer answers no client while
              it prepares or tears down a shared media, issue 83): each request waits until LATE
              seconds after the first connection came, then OPTIONS 200 (Server: GStreamer RTSP
              server), DESCRIBE 404, anything else 405
  ssdp        UDP 1900 joined to 239.255.255.250 on ADDRESS: answers M-SEARCH with
              LOCATION http://ADDRESS:PORT/description.xml, and PORT is a tarpit (namespace lab only)
  ssdpaway    like ssdp, but LOCATION names PORT on another host, 198.18.0.99 (never contacted)
"""

import os
import random
import socket
import struct
import sys
import threading
import time

HOLD = 60  # seconds a connection may stay idle
GARBAGE_CHUNK = 4096
BIG_BODY = 100 * 1024 * 1024
SDP_LINES = 100_000
DEEP = 100_000

lock = threading.Lock()


def say(line):
    with lock:
        print(line, flush=True)


def log(msg):
    sys.stderr.write("hostile: " + msg + "\n")


def garbage(n):
    return b"\xff" + os.urandom(n - 1)


def read_request(conn, buf=b""):
    """Read one request head (up to a blank line); returns (head, rest) or (None, b"") at EOF."""
    while b"\r\n\r\n" not in buf and b"\n\n" not in buf:
        chunk = conn.recv(4096)
        if not chunk:
            return None, b""
        buf += chunk
        if len(buf) > 65536:
            return None, b""
    end = buf.find(b"\r\n\r\n")
    cut = end + 4 if end >= 0 else buf.find(b"\n\n") + 2
    return buf[:cut].decode("latin-1"), buf[cut:]


def request_line(head):
    parts = head.split("\r\n", 1)[0].split(" ")
    method = parts[0] if parts else ""
    target = parts[1] if len(parts) > 1 else "/"
    proto = "RTSP" if len(parts) > 2 and parts[2].startswith("RTSP/") else "HTTP"
    return method, target, proto


def cseq(head):
    for line in head.split("\r\n"):
        if line.lower().startswith("cseq:"):
            return line.split(":", 1)[1].strip()
    return "0"


def path_of(target):
    if "://" in target:
        rest = target.split("://", 1)[1]
        return "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    return target


def drip(conn, data, every=1.0):
    for i in range(len(data)):
        conn.sendall(data[i:i + 1])
        time.sleep(every)


# --- behaviours: each handles one accepted connection ---------------------------------------------


def h_garbage(conn, ctx):
    conn.sendall(garbage(GARBAGE_CHUNK))
    while True:
        if not conn.recv(65536):
            return
        conn.sendall(garbage(GARBAGE_CHUNK))


def h_tarpit(conn, ctx):
    while conn.recv(65536):
        pass


def h_slowloris(conn, ctx):
    head, _ = read_request(conn)
    if head is None:
        return
    _, _, proto = request_line(head)
    status = "RTSP/1.0 200 OK\r\nCSeq: %s\r\n" % cseq(head) if proto == "RTSP" else "HTTP/1.1 200 OK\r\n"
    drip(conn, status.encode())
    i = 0
    while True:  # a head that never ends
        drip(conn, b"X-Slow-%d: 1\r\n" % i)
        i += 1


SLOW_SDP = b"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=Slow\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\n" * 8


def h_slowbody(conn, ctx):
    head, _ = read_request(conn)
    if head is None:
        return
    method, _, proto = request_line(head)
    if proto == "RTSP" or method != "GET":
        conn.sendall(b"HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        return
    body = b"<html><head><title>Slow</title></head><body>" + b"z" * 400 + b"</body></html>"
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n"
                 b"Connection: close\r\n\r\n" % len(body))
    drip(conn, body)


def h_slowsdp(conn, ctx):
    rest = b""
    while True:
        head, rest = read_request(conn, rest)
        if head is None:
            return
        method, _, proto = request_line(head)
        if proto != "RTSP":
            return
        if method != "DESCRIBE":
            conn.sendall(b"RTSP/1.0 200 OK\r\nCSeq: %s\r\nPublic: OPTIONS, DESCRIBE\r\n\r\n" % cseq(head).encode())
            continue
        conn.sendall(b"RTSP/1.0 200 OK\r\nCSeq: %s\r\nContent-Type: application/sdp\r\n"
                     b"Content-Length: %d\r\n\r\n" % (cseq(head).encode(), len(SLOW_SDP)))
        drip(conn, SLOW_SDP)
        return


def h_headers(conn, ctx):
    head, _ = read_request(conn)
    if head is None:
        return
    _, _, proto = request_line(head)
    status = "RTSP/1.0 200 OK\r\nCSeq: %s\r\n" % cseq(head) if proto == "RTSP" else "HTTP/1.1 200 OK\r\n"
    conn.sendall(status.encode())
    line = b"X-Endless-%08d: " + b"a" * 64 + b"\r\n"
    i = 0
    while True:
        conn.sendall(b"".join(line % (i + k) for k in range(64)))
        i += 64


def h_bigbody(conn, ctx):
    head, _ = read_request(conn)
    if head is None:
        return
    method, _, _ = request_line(head)
    if method != "GET":
        conn.sendall(b"HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        return
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n"
                 b"Connection: close\r\n\r\n" % BIG_BODY)
    start = b"<!doctype html><html><head><title>Big</title></head><body>\n"
    block = (b"<p>" + b"x" * 1017 + b"</p>\n") * 64  # 64 KiB
    sent = 0
    for chunk in [start] + [block] * (BIG_BODY // len(block) + 1):
        chunk = chunk[:BIG_BODY - sent]
        if not chunk:
            return
        conn.sendall(chunk)
        sent += len(chunk)


BOMB = (
    '<?xml version="1.0"?>\n'
    '<!DOCTYPE MPD [\n'
    ' <!ENTITY lol "lol">\n'
    + "".join(' <!ENTITY lol%d "%s">\n' % (i, ("&lol%s;" % ("" if i == 1 else i - 1)) * 10)
              for i in range(1, 10))
    + ']>\n'
    '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic" profiles="&lol9;">'
    '<Period><AdaptationSet mimeType="video/mp4" codecs="avc1.64001f">'
    '<Representation id="&lol9;" width="1280" height="720" bandwidth="1000000"/>'
    '<BaseURL>&lol9;</BaseURL></AdaptationSet></Period></MPD>\n'
).encode()

DEEP_MPD = (
    b'<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic"><Period>'
    + b"<a>" * DEEP + b"</a>" * DEEP
    + b'<AdaptationSet mimeType="video/mp4" codecs="avc1.64001f">'
    b'<Representation id="1" width="1280" height="720" bandwidth="1000000"/>'
    b"</AdaptationSet></Period></MPD>\n"
)

XML_PATHS = ("/live/manifest.mpd", "/dash/stream.mpd", "/ISAPI/System/deviceInfo")


def http_reply(conn, status, ctype, body):
    conn.sendall(b"HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                 % (status.encode(), ctype.encode(), len(body)) + body)


def xml_server(document):
    def handle(conn, ctx):
        head, _ = read_request(conn)
        if head is None:
            return
        method, target, _ = request_line(head)
        path = path_of(target)
        if method != "GET":
            http_reply(conn, "501 Not Implemented", "text/plain", b"")
        elif path == "/":
            http_reply(conn, "200 OK", "text/html",
                       b'<html><head><title>Manifests</title></head><body>'
                       b'<a href="/live/manifest.mpd">live</a></body></html>')
        elif path in XML_PATHS:
            ctype = "application/xml" if path.startswith("/ISAPI") else "application/dash+xml"
            http_reply(conn, "200 OK", ctype, document)
        else:
            http_reply(conn, "404 Not Found", "text/plain", b"not here")
    return handle


def sdp_100k():
    lines = ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=Long", "t=0 0", "m=video 0 RTP/AVP 96",
             "a=rtpmap:96 H264/90000"]
    lines += ["a=x-filler-%d:%s" % (i, "y" * 8) for i in range(SDP_LINES - len(lines))]
    return ("\r\n".join(lines) + "\r\n").encode()


SDP = None


def h_bigsdp(conn, ctx):
    rest = b""
    while True:
        head, rest = read_request(conn, rest)
        if head is None:
            return
        method, _, proto = request_line(head)
        if proto != "RTSP":
            return
        if method == "DESCRIBE":
            conn.sendall(b"RTSP/1.0 200 OK\r\nCSeq: %s\r\nContent-Type: application/sdp\r\n"
                         b"Content-Length: %d\r\n\r\n" % (cseq(head).encode(), len(SDP)) + SDP)
        else:
            conn.sendall(b"RTSP/1.0 200 OK\r\nCSeq: %s\r\nServer: LongSdp/1.0\r\n"
                         b"Public: OPTIONS, DESCRIBE\r\n\r\n" % cseq(head).encode())


NOPLAY_PATH = "/Streaming/Channels/101"
NOPLAY_SDP = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=No media\r\nt=0 0\r\nc=IN IP4 0.0.0.0\r\n"
              "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
              "a=fmtp:96 packetization-mode=1;profile-level-id=4d401f;"
              "sprop-parameter-sets=Z01AH9oBQBbsBagICAoAAAMAAgAAAwBlHjBlQA==,aO88gA==\r\n"
              "a=control:trackID=0\r\n").encode()


def h_noplay(conn, ctx):
    rest = b""
    while True:
        head, rest = read_request(conn, rest)
        if head is None:
            return
        method, target, proto = request_line(head)
        if proto != "RTSP":
            return
        ok = b"RTSP/1.0 200 OK\r\nCSeq: %s\r\nServer: NoPlay/1.0\r\n" % cseq(head).encode()
        session = b"Session: 4242;timeout=60\r\n"
        if method == "OPTIONS":
            conn.sendall(ok + b"Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER\r\n\r\n")
        elif method == "DESCRIBE" and path_of(target).split("?")[0] != NOPLAY_PATH:
            conn.sendall(b"RTSP/1.0 404 Not Found\r\nCSeq: %s\r\n\r\n" % cseq(head).encode())
        elif method == "DESCRIBE":
            base = target if target.endswith("/") else target + "/"
            conn.sendall(ok + b"Content-Type: application/sdp\r\nContent-Base: %s\r\n"
                         b"Content-Length: %d\r\n\r\n" % (base.encode(), len(NOPLAY_SDP)) + NOPLAY_SDP)
        elif method == "SETUP":
            conn.sendall(ok + session + b"Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n")
        else:  # PLAY, GET_PARAMETER, TEARDOWN...: answered; media never comes
            conn.sendall(ok + session + b"\r\n")


def h_noboundary(conn, ctx):
    head, _ = read_request(conn)
    if head is None:
        return
    method, target, _ = request_line(head)
    path = path_of(target)
    if method != "GET":
        http_reply(conn, "501 Not Implemented", "text/plain", b"")
    elif path == "/":
        http_reply(conn, "200 OK", "text/html", b"<html><head><title>Cam</title></head><body></body></html>")
    elif path == "/mjpg/video.mjpg":
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: multipart/x-mixed-replace\r\n\r\n")
        part = b"\xff\xd8" + bytes(random.randrange(0x30, 0x7b) for _ in range(8188)) + b"\xff\xd9"
        while True:
            conn.sendall(part)
            time.sleep(0.05)
    else:
        http_reply(conn, "404 Not Found", "text/plain", b"not here")


def h_redirect(conn, ctx):
    rest = b""
    n = 0
    while True:
        head, rest = read_request(conn, rest)
        if head is None:
            return
        _, target, proto = request_line(head)
        if proto != "RTSP":
            return
        path = path_of(target)
        if path.startswith("/moved/"):
            say("FOLLOWED %s %s" % (ctx["address"], path))
        with lock:
            ctx["count"] += 1
            k = ctx["count"]
        code = b"301 Moved Permanently" if n % 2 else b"302 Moved Temporarily"
        n += 1
        conn.sendall(b"RTSP/1.0 %s\r\nCSeq: %s\r\nLocation: rtsp://%s:%d/moved/%d\r\n\r\n"
                     % (code, cseq(head).encode(), ctx["address"].encode(), ctx["port"], k))


LATE = 3.5  # seconds latestart is busy after its first connection


def h_latestart(conn, ctx):
    with lock:
        if "busy_until" not in ctx:
            ctx["busy_until"] = time.monotonic() + LATE
        busy_until = ctx["busy_until"]
    buf = b""
    while True:
        head, buf = read_request(conn, buf)
        if head is None:
            return
        time.sleep(max(0.0, busy_until - time.monotonic()))
        method, _, _ = request_line(head)
        status = {"OPTIONS": "200 OK", "DESCRIBE": "404 Not Found"}.get(method, "405 Method Not Allowed")
        extra = "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\n" if method == "OPTIONS" else ""
        conn.sendall(("RTSP/1.0 %s\r\nCSeq: %s\r\nServer: GStreamer RTSP server\r\n%s\r\n"
                      % (status, cseq(head), extra)).encode())


HANDLERS = {
    "garbage": h_garbage,
    "tarpit": h_tarpit,
    "slowloris": h_slowloris,
    "slowbody": h_slowbody,
    "slowsdp": h_slowsdp,
    "headers": h_headers,
    "bigbody": h_bigbody,
    "xmlbomb": xml_server(BOMB),
    "deepxml": xml_server(DEEP_MPD),
    "bigsdp": h_bigsdp,
    "noboundary": h_noboundary,
    "redirect": h_redirect,
    "noplay": h_noplay,
    "latestart": h_latestart,
}


def serve_tcp(address, port, handler, ctx):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((address, port))
    s.listen(128)

    def one(conn):
        conn.settimeout(HOLD)
        try:
            handler(conn, ctx)
        except (OSError, ValueError):
            pass  # the peer hung up (camscan closes with RST): expected
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def accept_loop():
        while True:
            conn, _ = s.accept()
            threading.Thread(target=one, args=(conn,), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()


def serve_ssdp(address, location):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 1900))
    mreq = struct.pack("4s4s", socket.inet_aton("239.255.255.250"), socket.inet_aton(address))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)

    def loop():
        while True:
            data, peer = s.recvfrom(8192)
            if not data.startswith(b"M-SEARCH"):
                continue
            st = "upnp:rootdevice"
            for line in data.decode("latin-1").split("\r\n"):
                if line.lower().startswith("st:"):
                    st = line.split(":", 1)[1].strip()
            reply = ("HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\n"
                     "LOCATION: %s\r\nSERVER: Linux/5.10 UPnP/1.0 Hostile/1.0\r\nST: %s\r\n"
                     "USN: uuid:hostile-%s::upnp:rootdevice\r\n\r\n" % (location, st, address))
            s.sendto(reply.encode(), peer)
            say("SSDP %s %s" % (address, peer[0]))

    threading.Thread(target=loop, daemon=True).start()


def main():
    global SDP
    specs = sys.argv[1:]
    if not specs:
        sys.exit(__doc__)
    for spec in specs:
        behaviour, where = spec.split("@", 1)
        address, ports = where.rsplit(":", 1)
        ports = [int(p) for p in ports.split(",")]
        if behaviour in ("ssdp", "ssdpaway"):
            port = ports[0]
            serve_tcp(address, port, h_tarpit, {})
            host = address if behaviour == "ssdp" else "198.18.0.99"
            serve_ssdp(address, "http://%s:%d/description.xml" % (host, port))
            continue
        if behaviour == "bigsdp" and SDP is None:
            SDP = sdp_100k()
        handler = HANDLERS[behaviour]
        for port in ports:
            serve_tcp(address, port, handler, {"address": address, "port": port, "count": 0})
    print("READY", flush=True)
    sys.stdin.read()  # EOF: the harness is gone
    os._exit(0)


if __name__ == "__main__":
    main()
