#!/usr/bin/python3
"""HTTP Digest with SHA-256 (RFC 7616) in front of a real server, for camscan's login tests.

No Debian or PyPI package gives an RTSP server with SHA-256 Digest (GStreamer 1.22's RTSPAuth
challenges with `Digest realm=..., nonce=...` and computes MD5 only; nginx does Basic only;
Apache's mod_auth_digest implements MD5 only), so this gate, stdlib only, puts RFC 7616 Digest
in front of one:

    digest_gate.py rtsp LISTEN_ADDR:PORT UPSTREAM_ADDR:PORT [options]
        An RTSP proxy: every request must carry a valid Digest answer, which is removed before
        the request goes on to the upstream RTSP server (Debian's GStreamer, started without
        auth by tests/servers/rtsp_server.py); the upstream's answers and media (RTP
        interleaved over the TCP connection) come back unchanged.
    digest_gate.py http LISTEN_ADDR:PORT JPEG_FILE [options]
        A web server whose every path asks for Digest: `/` a small page, `/snapshot.jpg` the
        JPEG file, anything else 404.

Options:
    --algorithms SHA-256,MD5   the challenges offered, one WWW-Authenticate header each, in this
                               order (RFC 7616 §3.7: most preferred first); default SHA-256,MD5
    --user USER --password PASSWORD --realm REALM

At start-up its hash code is checked against RFC 7616 §3.9.1's example (user "Mufasa", password
"Circle of Life", realm "http-auth@example.org", GET /dir/index.html, with the RFC's nonce and
cnonce): it must compute the RFC's SHA-256 and MD5 `response=` values exactly, or it exits 1
without READY. Then it prints READY once listening, and one line per request that carried an
`Authorization`:

    AUTHOK <ALGORITHM> <METHOD> <URI>     the answer was right (ALGORITHM as the client named it)
    AUTHFAIL <ALGORITHM> <METHOD> <URI>   it was not (wrong password, unknown nonce, wrong uri)

and exits when its stdin reaches EOF (the harness holds the pipe), so it dies with the test.
"""

import hashlib
import http.server
import os
import secrets
import socket
import sys
import threading

HASHES = {
    "MD5": lambda b: hashlib.md5(b).hexdigest(),
    "SHA-256": lambda b: hashlib.sha256(b).hexdigest(),
    "SHA-512-256": lambda b: hashlib.new("sha512_256", b).hexdigest(),
}

OUT = threading.Lock()


def emit(line):
    with OUT:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def log(msg):
    sys.stderr.write("digest_gate: %s\n" % msg)


def response(algorithm, user, realm, password, method, uri, nonce, nc, cnonce, qop):
    """RFC 7616 §3.4.1: the `response=` value (qop auth; `-sess` per §3.4.2)."""
    base = algorithm[:-5] if algorithm.endswith("-sess") else algorithm
    h = HASHES[base]
    ha1 = h(("%s:%s:%s" % (user, realm, password)).encode())
    if algorithm.endswith("-sess"):
        ha1 = h(("%s:%s:%s" % (ha1, nonce, cnonce)).encode())
    ha2 = h(("%s:%s" % (method, uri)).encode())
    if qop:
        return h(("%s:%s:%s:%s:%s:%s" % (ha1, nonce, nc, cnonce, qop, ha2)).encode())
    return h(("%s:%s:%s" % (ha1, nonce, ha2)).encode())


def self_test():
    """RFC 7616 §3.9.1's example, both algorithms: the RFC's own response values."""
    args = ("Mufasa", "http-auth@example.org", "Circle of Life", "GET", "/dir/index.html",
            "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "00000001",
            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "auth")
    want = {
        "SHA-256": "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
        "MD5": "8ca523f5e9506fed4657c9700eebdbec",
    }
    for algorithm, value in want.items():
        got = response(algorithm, *args)
        if got != value:
            log("RFC 7616 §3.9.1 %s: computed %s, the RFC says %s" % (algorithm, got, value))
            return False
    return True


def parse_params(value):
    """`Digest k=v, k="v"...` -> dict (keys lowercased)."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        return None
    out, i = {}, 0
    while i < len(rest):
        while i < len(rest) and rest[i] in " ,\t":
            i += 1
        eq = rest.find("=", i)
        if eq < 0:
            break
        key = rest[i:eq].strip().lower()
        i = eq + 1
        if i < len(rest) and rest[i] == '"':
            j, val = i + 1, []
            while j < len(rest) and rest[j] != '"':
                if rest[j] == "\\" and j + 1 < len(rest):
                    j += 1
                val.append(rest[j])
                j += 1
            out[key] = "".join(val)
            i = j + 1
        else:
            j = rest.find(",", i)
            j = len(rest) if j < 0 else j
            out[key] = rest[i:j].strip()
            i = j
    return out


class Gate:
    def __init__(self, algorithms, user, password, realm):
        self.algorithms, self.user, self.password, self.realm = algorithms, user, password, realm
        self.nonces = set()
        self.lock = threading.Lock()

    def challenges(self):
        """One WWW-Authenticate value per algorithm, in the configured order (RFC 7616 §3.3)."""
        nonce = secrets.token_urlsafe(24)
        opaque = secrets.token_hex(8)
        with self.lock:
            self.nonces.add(nonce)
        return ['Digest realm="%s", qop="auth", algorithm=%s, nonce="%s", opaque="%s"'
                % (self.realm, a, nonce, opaque) for a in self.algorithms]

    def check(self, method, target, authorization):
        """True when `authorization` answers one of our challenges; prints AUTHOK / AUTHFAIL."""
        if not authorization:
            return False
        p = parse_params(authorization) or {}
        algorithm = p.get("algorithm", "MD5")
        uri = p.get("uri", "")
        with self.lock:
            known = p.get("nonce") in self.nonces
        ok = (known and algorithm in self.algorithms and uri == target
              and p.get("username") == self.user and p.get("realm") == self.realm)
        if ok:
            want = response(algorithm, self.user, self.realm, self.password, method, uri,
                            p["nonce"], p.get("nc", ""), p.get("cnonce", ""), p.get("qop", ""))
            ok = secrets.compare_digest(want, p.get("response", ""))
        emit("%s %s %s %s" % ("AUTHOK" if ok else "AUTHFAIL", algorithm, method, target))
        return ok


def read_head(sock, buf):
    """Bytes up to the end of one RTSP message head, or an interleaved frame; (item, rest)."""
    while True:
        if buf[:1] == b"$":
            if len(buf) >= 4:
                n = 4 + int.from_bytes(buf[2:4], "big")
                if len(buf) >= n:
                    return buf[:n], buf[n:]
        else:
            end = buf.find(b"\r\n\r\n")
            if end >= 0:
                head = buf[:end + 4]
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip() or 0)
                if len(buf) >= end + 4 + length:
                    return buf[:end + 4 + length], buf[end + 4 + length:]
        data = sock.recv(65536)
        if not data:
            return None, b""
        buf += data


def rtsp_client(gate, client, upstream_addr):
    try:
        upstream = socket.create_connection(upstream_addr, timeout=10)
        upstream.settimeout(None)
    except OSError as e:
        log("upstream: %s" % e)
        client.close()
        return
    send_lock = threading.Lock()

    def pipe():
        try:
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                with send_lock:
                    client.sendall(data)
        except OSError:
            pass
        finally:
            try:
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    threading.Thread(target=pipe, daemon=True).start()
    buf = b""
    try:
        while True:
            item, buf = read_head(client, buf)
            if item is None:
                break
            if item[:1] == b"$":
                upstream.sendall(item)
                continue
            head, _, body = item.partition(b"\r\n\r\n")
            lines = head.decode("utf-8", "replace").split("\r\n")
            method, target = (lines[0].split(" ") + ["", ""])[:2]
            auth, cseq, kept = None, "0", [lines[0]]
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "authorization":
                    auth = value.strip()
                    continue
                if name.strip().lower() == "cseq":
                    cseq = value.strip()
                kept.append(line)
            if gate.check(method, target, auth):
                upstream.sendall(("\r\n".join(kept) + "\r\n\r\n").encode() + body)
                continue
            reply = "RTSP/1.0 401 Unauthorized\r\nCSeq: %s\r\n" % cseq
            reply += "".join("WWW-Authenticate: %s\r\n" % c for c in gate.challenges())
            reply += "Content-Length: 0\r\n\r\n"
            with send_lock:
                client.sendall(reply.encode())
    except (OSError, ValueError):
        pass
    finally:
        for s in (client, upstream):
            try:
                s.close()
            except OSError:
                pass


def serve_rtsp(gate, listen, upstream):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(listen)
    server.listen(16)

    def accept():
        while True:
            client, _ = server.accept()
            threading.Thread(target=rtsp_client, args=(gate, client, upstream), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()


def serve_http(gate, listen, jpeg):
    with open(jpeg, "rb") as f:
        snapshot = f.read()
    page = (b"<!doctype html><html><head><title>Camera</title></head>"
            b"<body><img src=\"/snapshot.jpg\"></body></html>\n")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            if not gate.check("GET", self.path, self.headers.get("Authorization")):
                self.send_response(401)
                for c in gate.challenges():
                    self.send_header("WWW-Authenticate", c)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body, kind = {"/": (page, "text/html"),
                          "/snapshot.jpg": (snapshot, "image/jpeg")}.get(self.path, (None, None))
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):
            log(fmt % args)

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            log("connection from %s ended abruptly" % (client_address,))

    server = Server(listen, Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()


def addr(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


def main(argv):
    if len(argv) < 4 or argv[1] not in ("rtsp", "http"):
        sys.stderr.write(__doc__)
        return 2
    opts = {"--algorithms": "SHA-256,MD5", "--user": "admin", "--password": "s3cret",
            "--realm": "camscan digest"}
    rest = argv[4:]
    while rest:
        if rest[0] not in opts or len(rest) < 2:
            sys.stderr.write("unknown option %s\n" % rest[0])
            return 2
        opts[rest[0]] = rest[1]
        rest = rest[2:]
    algorithms = [a for a in opts["--algorithms"].split(",") if a]
    if not self_test():
        return 1
    for a in algorithms:
        if (a[:-5] if a.endswith("-sess") else a) not in HASHES:
            log("unknown algorithm %s" % a)
            return 2
    gate = Gate(algorithms, opts["--user"], opts["--password"], opts["--realm"])
    try:
        if argv[1] == "rtsp":
            serve_rtsp(gate, addr(argv[2]), addr(argv[3]))
        else:
            serve_http(gate, addr(argv[2]), argv[3])
    except OSError as e:
        log("error: %s" % e)
        return 1
    emit("READY")
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
