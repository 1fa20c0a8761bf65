#!/usr/bin/python3
"""Real third-party media servers on loopback, for camscan's integration tests.

What it starts (every socket is on one of 127.0.0.51 .. 127.0.0.62, nothing else, unless --bind)
    rtmp   nginx 1.22.1 + libnginx-mod-rtmp 1.2.2 on 127.0.0.51:1935, application "live". An
           ffmpeg publisher pushes lavfi testsrc (H.264 Main level 2.2, 640x360, 15 fps, GOP 15)
           + sine (AAC-LC, 44100 Hz, mono) to rtmp://127.0.0.51/live/stream while the lab runs.
           ffprobe lists the audio stream first (index 0) and needs ~4 s on this stream with its
           default frame-rate probing (about 1 s with -fpsprobesize 0 or -analyzeduration 1000000).
           (nginx's rtmp_stat page is on 127.0.0.59:8080/stat; the launcher uses it to see that the
           publisher is on air. It is lab plumbing, not something to test against.)
           nginx runs with the launcher's own config (daemon off, master_process off: one process
           to kill), as root; pid file, logs and *_temp_path dirs are in the temp dir.
    hls    Two ffmpeg processes (ffmpeg's own muxers, not nginx-rtmp's hls) write live HLS
           (MPEG-TS and fMP4) into the temp dir, and with dash a third writes DASH; the same nginx
           serves them on 127.0.0.52:80:
             /hls/cam.m3u8   master playlist, variants cam_360p.m3u8 (640x360,
                             avc1.4d4016) and cam_180p.m3u8 (320x180, avc1.4d400c), both with
                             mp4a.40.2; MPEG-TS segments of 1 s, 6 in the live window; H.264 Main
                             15 fps + AAC-LC 44100 Hz mono; application/vnd.apple.mpegurl,
                             video/mp2t
             /hls/cam_hevc.m3u8  master playlist without CODECS (ffmpeg 5.1 writes none for
                             HEVC), one variant hevc.m3u8: fMP4 (#EXT-X-MAP hevc_init.mp4,
                             .m4s segments of 1 s), H.265 Main 320x240 10 fps + Opus 48 kHz
                             stereo; video/mp4, video/iso.segment
             /dash/cam.mpd   (the dash unit) dynamic MPD, representations 640x360 and 320x180
                             (H.264 Main, 15 fps) + AAC-LC 44100 Hz mono; 1 s fMP4 segments
                             (.m4s); application/dash+xml, video/iso.segment
             /snapshot.jpg   a static 320x240 JPEG made by ffmpeg at start-up (image/jpeg)
             /live/          (with flv) a proxy to the flv unit's VLC: its FLV and TS streams
                             arrive in Transfer-Encoding: chunked, as from SRS
             /               a small HTML index (title "Media lab") linking what is served
    mjpeg  VLC 3.0 (Debian vlc-bin + vlc-plugin-base) serving MJPEG over HTTP on
           http://127.0.0.53:8080/mjpg/video.mjpg (Axis' path): multipart/x-mixed-replace (mpjpeg mux, boundary
           7b3cc56e5f51db803f790dad720ed50a), 320x240, 5 frames/s. VLC gets its frames from an
           ffmpeg (testsrc, -re, -c:v mjpeg -f mjpeg) through a pipe and only re-muxes them.
           The real rate has to be measured: ffprobe's mpjpeg demuxer reports 25/1 for any stream.
           Every other path on 127.0.0.53:8080 is a 404. VLC has no snapshot URL; the snapshot is
           the nginx one above (http://127.0.0.52/snapshot.jpg, same size and pattern).
           Why VLC: it serves any number of clients, one after another or at the same time, each
           at the source rate (5.0 parts/s measured) and binds exactly the address it is given.
           ffmpeg's "-f mpjpeg -listen 1" serves one client and exits (a restart loop leaves gaps
           with "connection refused" and refuses concurrent clients); motion can only bind all
           addresses or 127.0.0.1 (stream_localhost), which this lab must not touch.
           VLC refuses to run as root, so when the launcher is root VLC runs as nobody/nogroup.
    turn   coturn 4.6 (turnserver) on 127.0.0.54:3478, UDP and TCP, no TLS/DTLS, no CLI, relay
           ports 49152-49251 on 127.0.0.54, peers restricted to 127.0.0.54. Long-term credentials
           (user camscan / password camscan, realm camscan.test): a Binding request gets a 0x0101
           success with SOFTWARE "Coturn-4.6.1 'Gorst'"; an unauthenticated Allocate gets 0x0113
           error 401 with REALM camscan.test and a NONCE. A second coturn, STUN only and UDP only,
           on 127.0.0.54:19302 (for --stun-ports).
    web    A plain nginx site on 127.0.0.55:80: "/" is an HTML page with <title>Welcome</title>
           (the negative case: a web server that is not a camera). Server header "nginx/1.22.1".
    tls    HTTPS: nginx on 127.0.0.57:443 with a self-signed certificate made by openssl at start
           (TLS 1.2/1.3; "/" has <title>Secure lab</title>; with whep, /cam/whep is proxied to
           the WHEP endpoint below, so WHEP is also offered over HTTPS), and OpenSSL's s_server on
           127.0.0.58:8443 speaking only TLS 1.2 with AES128-SHA256 (RSA key exchange), like old
           camera firmware, which rustls refuses.
    janus  Janus WebRTC Server 1.1.2 (Debian janus), HTTP API on 127.0.0.56:8088, /janus/info,
           plugin janus.plugin.echotest only, server name "camscan-lab". Janus' HTTP transport
           can only bind an address that is configured on an interface, and 127.0.0.56 is not on
           this machine's lo (only 127.0.0.1/8 is). So Janus runs in a private network namespace
           (unshare) where 127.0.0.56 is added to that namespace's own lo, and a relay process
           (this script, --janus-relay) listening on the real 127.0.0.56:8088 copies bytes to it
           unchanged. Needs root (CAP_SYS_ADMIN) and iproute2. Inside, Janus uses 127.0.0.56 as
           its local IP and ICE address (no interface detection), mDNS resolution is off, no STUN
           server, no admin API, no event handlers.

    flv    HTTP-FLV: VLC 3.0 (Debian vlc-bin) re-serving an ffmpeg testsrc (H.264 640x360, 15 fps,
           AAC-LC 44100 Hz, as MPEG-TS on its stdin) with its HTTP output and libavformat's FLV
           muxer at http://127.0.0.61:8080/live/livestream.flv (SRS' default path); the stream
           starts with onMetaData. The same VLC also serves the input as HTTP-TS (VLC's own TS
           muxer, video/mp2t) at http://127.0.0.61:8080/live/livestream.ts (SRS' HTTP-TS path).
           Runs as nobody/nogroup like the MJPEG VLC.
    keyless  nginx-rtmp again, as its README configures HLS, on 127.0.0.62: RTMP on :1935,
           application "live" with `hls on` (hls_path in the temp dir, 1 s fragments), and nginx
           serving that folder on http://127.0.0.62:8080/hls/ (`location /hls`, no index, no
           listing: /hls/ answers 403, / answers 404). An ffmpeg publisher pushes lavfi testsrc
           (H.264 320x180, 10 fps + AAC) under a stream key no dictionary has
           (rtmp://127.0.0.62/live/cam-7Hq2x, HLS /hls/cam-7Hq2x.m3u8).
    whep   A WHEP endpoint on 127.0.0.60:8889 (MediaMTX's port and URL shape: /cam/whep):
           tests/servers/whep_server.py, run by the lab venv's python (target/lab-venv, made by
           scripts/test; $CAMSCAN_LAB_PYTHON overrides), whose SDP answers come from aiortc
           (PyPI). No WHEP server is packaged for Debian 12 or PyPI; see that script.

Usage
    /usr/bin/python3 tests/servers/media_lab.py [--only rtmp,hls,dash,mjpeg,turn,web,janus,tls,whep,
                                                        flv,keyless]
                                                 [--bind UNIT=ADDRESS]... [--rtmp-hls]
                                                [--timeout SECONDS] [--keep-tmp]
    Run as root (ports 80 and 1935, the Janus namespace). Debian packages: media_lab.packages.

    --bind UNIT=ADDRESS moves one unit's public sockets to ADDRESS (rtmp, hls, dash, mjpeg, turn,
    web, tls, whep, flv; not janus): scripts/bench runs one launcher per unit inside a namespace
    host of its lab (`--only dash --bind dash=198.18.0.104`). Lab plumbing (the rtmp_stat page,
    the snapshot of an MJPEG-only launcher) stays on the 127.0.0.x addresses, which inside such a
    namespace are its own loopback, out of the scanner's reach. On the host's loopback, where test
    files run their launchers at the same time, `--bind hls=ADDRESS` moves that snapshot server
    too (it is the hls unit's nginx), so each launcher stays on its own file's addresses.
    --rtmp-hls: nginx-rtmp also makes HLS of the published stream itself (hls on, 1 s fragments,
    6 s playlist), served by the same nginx on the rtmp address, port 80, at /hls/stream.m3u8
    (nginx-rtmp's documented layout): one box answering RTMP and HLS, as nginx-rtmp deployments do.

Protocol with the test harness (same as rtsp_server.py and http_server.py)
    * Once every selected server answers a real request, exactly one line "READY" is printed on
      stdout; nothing else is ever printed on stdout. Diagnostics go to stderr.
    * If a server does not come up before the deadline (--timeout, default 30 s; a normal start
      takes 2-3 s), the launcher prints what is missing and the tail of that server's log on
      stderr, kills everything it started and exits with status 1 without printing READY.
    * It then runs until its stdin reaches EOF (or SIGTERM / SIGINT / SIGHUP), then kills every
      process it started (each one leads its own process group: SIGTERM to the group, SIGKILL
      after 3 s) and removes its temp dir. Children also get PR_SET_PDEATHSIG=SIGKILL, so a
      SIGKILLed launcher does not leave them behind.
    * A child that dies after READY is restarted (with its partners: the MJPEG ffmpeg and VLC
      go together), at most 5 times; after that the launcher exits with status 1.

Everything lives in one temp dir: the nginx config, pid, logs and *_temp paths, the HLS and DASH
files, the snapshot, coturn's sqlite user db and pid file, Janus' config and plugin folders, and
one log file per child (logs/NAME.log; --keep-tmp keeps the directory for post-mortems).
"""

import argparse
import ctypes
import http.client
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

RTMP_IP, HTTP_IP, MJPEG_IP, TURN_IP, WEB_IP, JANUS_IP, CONTROL_IP = (
    "127.0.0.51", "127.0.0.52", "127.0.0.53", "127.0.0.54", "127.0.0.55", "127.0.0.56",
    "127.0.0.59")
OPENSSL = "/usr/bin/openssl"
RTMP_PORT, HTTP_PORT, MJPEG_PORT, TURN_PORT, WEB_PORT, JANUS_PORT, CONTROL_PORT = (
    1935, 80, 8080, 3478, 80, 8088, 8080)
SERVICES = ("rtmp", "hls", "dash", "mjpeg", "turn", "web", "janus", "tls", "whep", "flv", "keyless")
KEYLESS_IP, KEYLESS_HTTP_PORT, KEYLESS_KEY = "127.0.0.62", 8080, "cam-7Hq2x"
FLV_IP, FLV_PORT, FLV_PATH = "127.0.0.61", 8080, "/live/livestream.flv"
TS_PATH = "/live/livestream.ts"
WHEP_IP, WHEP_PORT = "127.0.0.60", 8889
DASH_IP = HTTP_IP
# --bind UNIT=ADDRESS: the module-level address each unit's public sockets use.
BIND_VARS = {"rtmp": "RTMP_IP", "hls": "HTTP_IP", "dash": "DASH_IP", "mjpeg": "MJPEG_IP",
             "turn": "TURN_IP", "web": "WEB_IP", "tls": "TLS_IP", "whep": "WHEP_IP", "flv": "FLV_IP",
             "keyless": "KEYLESS_IP", "control": "CONTROL_IP"}
STUN_ONLY_PORT = 19302
HERE = os.path.dirname(os.path.abspath(__file__))
LAB_PYTHON = os.environ.get("CAMSCAN_LAB_PYTHON") or os.path.join(
    HERE, "..", "..", "target", "lab-venv", "bin", "python3")
# HTTPS: nginx with a self-signed certificate (TLS 1.2/1.3), and an "old camera" that speaks only
# TLS 1.2 with RSA key exchange (OpenSSL's s_server), which rustls refuses.
TLS_IP, TLS_PORT, OLD_TLS_IP, OLD_TLS_PORT = "127.0.0.57", 443, "127.0.0.58", 8443
MJPEG_BOUNDARY = "7b3cc56e5f51db803f790dad720ed50a"  # VLC's fixed mpjpeg boundary
NOBODY_UID, NOGROUP_GID = 65534, 65534
MAX_RESTARTS = 5

FFMPEG = "/usr/bin/ffmpeg"
NGINX = "/usr/sbin/nginx"
NGINX_RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
TURNSERVER = "/usr/bin/turnserver"
VLC = "/usr/bin/vlc"
JANUS = "/usr/bin/janus"
JANUS_LIB = "/usr/lib/x86_64-linux-gnu/janus"
IP = "/usr/sbin/ip"

PR_SET_PDEATHSIG = 1
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def log(msg):
    sys.stderr.write("media_lab: %s\n" % msg)
    sys.stderr.flush()


def _die_with_parent():
    """preexec_fn: SIGKILL this child when the process that started it dies."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class Stop(Exception):
    """Raised by the signal handlers."""


# ---------------------------------------------------------------------------------------------
# Children


class Unit:
    """One or more processes that live and die together (each leads its own process group)."""

    def __init__(self, name, start):
        self.name, self._start = name, start
        self.procs = []
        self.restarts = 0

    def start(self):
        self.procs = self._start()

    def dead(self):
        return [p for p in self.procs if exit_status(p) is not None]


def exit_status(p):
    """The exit status of child `p` (negative: killed by that signal), or None while it runs.
    Does not reap it: while `p` is an unreaped zombie its pid, hence its process group id, cannot
    be reused, so signalling the group can only reach processes this launcher started."""
    if p.returncode is not None:
        return p.returncode
    try:
        info = os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return p.poll()
    if info is None:
        return None
    return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status


def stop_all(units, grace=3.0):
    """SIGTERM every group, SIGKILL what is left after `grace` seconds, then reap."""
    procs = [p for u in units for p in u.procs]
    for p in procs:
        _signal_group(p, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(exit_status(p) is None for p in procs):
        time.sleep(0.02)
    for p in procs:
        if exit_status(p) is None:
            log("%s (pid %d) ignored SIGTERM for %.0f s, killing it" % (
                os.path.basename(p.args[0]), p.pid, grace))
        # Also when the leader has exited: its group may still have members (Janus under the relay).
        _signal_group(p, signal.SIGKILL)
    for p in procs:
        try:
            p.wait(2)
        except subprocess.TimeoutExpired:
            log("%s (pid %d) does not die" % (p.args[0], p.pid))


def _signal_group(p, sig):
    if p.returncode is not None:
        return  # reaped: its id may belong to someone else by now
    try:
        os.killpg(p.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


# ---------------------------------------------------------------------------------------------
# Small clients for the readiness checks (always from the server's own address)


def http_get(ip, port, path, read_limit=1 << 20, timeout=2.0):
    conn = http.client.HTTPConnection(ip, port, timeout=timeout, source_address=(ip, 0))
    try:
        conn.request("GET", path, headers={"User-Agent": "media_lab"})
        resp = conn.getresponse()
        body = resp.read(read_limit)
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


def stun_binding(ip, port, proto, timeout=1.0):
    """Send a STUN Binding request; return (message type, {attr type: value})."""
    tid = os.urandom(12)
    req = struct.pack("!HHI", 0x0001, 0, 0x2112A442) + tid
    if proto == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind((ip, 0))
            s.settimeout(timeout)
            s.sendto(req, (ip, port))
            resp = s.recv(2048)
        finally:
            s.close()
    else:
        s = socket.create_connection((ip, port), timeout=timeout, source_address=(ip, 0))
        try:
            s.sendall(req)
            resp = b""
            while len(resp) < 20 or len(resp) < 20 + struct.unpack("!H", resp[2:4])[0]:
                chunk = s.recv(2048)
                if not chunk:
                    break
                resp += chunk
        finally:
            s.close()
    if len(resp) < 20 or resp[8:20] != tid:
        raise ValueError("not a STUN answer to our request")
    mtype, length = struct.unpack("!HH", resp[:4])
    attrs, i = {}, 20
    while i + 4 <= min(len(resp), 20 + length):
        atype, alen = struct.unpack("!HH", resp[i:i + 4])
        attrs[atype] = resp[i + 4:i + 4 + alen]
        i += 4 + ((alen + 3) & ~3)
    return mtype, attrs


def mjpeg_parts(ip, port, path, parts, timeout=3.0):
    """Read `parts` JPEG parts of a multipart stream; return the Content-Type."""
    s = socket.create_connection((ip, port), timeout=timeout, source_address=(ip, 0))
    try:
        s.sendall(("GET %s HTTP/1.0\r\nHost: %s:%d\r\n\r\n" % (path, ip, port)).encode())
        buf = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            if buf.count(b"Content-Type: image/jpeg") >= parts:
                head = buf.split(b"\r\n\r\n", 1)[0].decode("latin-1")
                for line in head.split("\r\n")[1:]:
                    k, _, v = line.partition(":")
                    if k.strip().lower() == "content-type":
                        return v.strip()
                return ""
        raise ValueError("got %d parts" % buf.count(b"Content-Type: image/jpeg"))
    finally:
        s.close()


# ---------------------------------------------------------------------------------------------
# Config files

MIME_TYPES = """
        text/html                       html htm;
        text/plain                      txt;
        image/jpeg                      jpg jpeg;
        application/vnd.apple.mpegurl   m3u8;
        video/mp2t                      ts;
        application/dash+xml            mpd;
        video/iso.segment               m4s;
        video/mp4                       mp4;
"""


def rtmp_server(ip, hls_path, playlist_length):
    """One nginx-rtmp server on ip:1935 with application "live" (publish from loopback, play by all);
    with hls_path, nginx-rtmp's own HLS as its README sets it up (`hls on; hls_path ...`)."""
    hls = ("\n            hls on;\n            hls_path %s;\n            hls_fragment 1s;"
           "\n            hls_playlist_length %s;" % (hls_path, playlist_length)) if hls_path else ""
    return """
    server {
        listen %(ip)s:%(port)d;
        chunk_size 4096;
        application live {
            live on;
            record off;
            allow publish 127.0.0.0/8;
            allow publish %(ip)s;
            deny publish all;
            allow play all;%(hls)s
        }
    }""" % {"ip": ip, "port": RTMP_PORT, "hls": hls}


def nginx_conf(tmp, sel, rtmp_hls=False):
    t = lambda p: os.path.join(tmp, p)  # noqa: E731
    out = [
        "# Written by media_lab.py; everything nginx writes stays in %s" % tmp,
        "load_module %s;" % NGINX_RTMP_MODULE if {"rtmp", "keyless"} & sel else "",
        # One process: it gets PR_SET_PDEATHSIG and nothing outlives it.
        "daemon off;",
        "master_process off;",
        "worker_processes 1;",
        "pid %s;" % t("nginx.pid"),
        "error_log %s info;" % t("logs/nginx-error.log"),
        "events { worker_connections 256; }",
    ]
    servers = []
    if "rtmp" in sel:
        servers.append(rtmp_server(RTMP_IP, t("rtmp-hls") if rtmp_hls else None, "6s"))
    if "keyless" in sel:
        servers.append(rtmp_server(KEYLESS_IP, t("keyless/hls"), "4s"))
    if servers:
        access = ("\n    access_log %s;" % t("logs/nginx-rtmp-access.log")) if "rtmp" in sel else ""
        out.append("\nrtmp {%s%s\n}" % (access, "".join(servers)))
    http = ["""
http {
    types {%(types)s    }
    default_type application/octet-stream;
    access_log %(access)s;
    client_body_temp_path %(tmp)s/nginx/client_body;
    proxy_temp_path %(tmp)s/nginx/proxy;
    fastcgi_temp_path %(tmp)s/nginx/fastcgi;
    uwsgi_temp_path %(tmp)s/nginx/uwsgi;
    scgi_temp_path %(tmp)s/nginx/scgi;
    sendfile on;
    keepalive_timeout 30;
""" % {"types": MIME_TYPES, "access": t("logs/nginx-access.log"), "tmp": tmp}]
    media_ips = [HTTP_IP] if "hls" in sel or "mjpeg" in sel else []
    if "dash" in sel and DASH_IP not in media_ips:
        media_ips.append(DASH_IP)
    if media_ips:
        http.append("""
    server {
        %(listen)s
        server_name media;
        root %(tmp)s/www-media;
        index index.html;
        location /hls/ {
            alias %(tmp)s/hls/;
            add_header Cache-Control no-cache;
            add_header Access-Control-Allow-Origin *;
        }
        location /dash/ {
            alias %(tmp)s/dash/;
            add_header Cache-Control no-cache;
            add_header Access-Control-Allow-Origin *;
        }%(live)s
    }""" % {"ip": HTTP_IP, "port": HTTP_PORT, "tmp": tmp, "live": (
        # VLC's HTTP-FLV and HTTP-TS through nginx: VLC answers in HTTP/1.0 with no length, so nginx
        # sends them to HTTP/1.1 clients chunked, as SRS and nginx-http-flv-module do.
        "\n        location /live/ { proxy_pass http://%s:%d; proxy_buffering off; }"
        % (FLV_IP, FLV_PORT) if "flv" in sel else ""),
        "listen": "\n        ".join("listen %s:%d;" % (ip, HTTP_PORT) for ip in media_ips)})
    if "keyless" in sel:
        http.append("""
    server {
        listen %(ip)s:%(port)d;
        server_name keyless;
        location /hls {
            types {
                application/vnd.apple.mpegurl m3u8;
                video/mp2t ts;
            }
            root %(tmp)s/keyless;
            add_header Cache-Control no-cache;
        }
        location / { return 404; }
    }""" % {"ip": KEYLESS_IP, "port": KEYLESS_HTTP_PORT, "tmp": tmp})
    if "web" in sel:
        http.append("""
    server {
        listen %(ip)s:%(port)d;
        server_name www;
        root %(tmp)s/www-plain;
        index index.html;
    }""" % {"ip": WEB_IP, "port": WEB_PORT, "tmp": tmp})
    if "tls" in sel:
        http.append("""
    server {
        listen %(ip)s:%(port)d ssl;
        server_name secure;
        ssl_certificate %(tmp)s/tls/cert.pem;
        ssl_certificate_key %(tmp)s/tls/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        root %(tmp)s/www-secure;
        index index.html;%(whep)s
    }""" % {"ip": TLS_IP, "port": TLS_PORT, "tmp": tmp, "whep": (
            # WHEP over HTTPS: nginx terminates TLS in front of the lab's WHEP endpoint, as a
            # MediaMTX behind a reverse proxy is deployed (offer, answer and DELETE all pass).
            "\n        location /cam/whep { proxy_pass http://%s:%d; }" % (WHEP_IP, WHEP_PORT)
            if "whep" in sel else "")})
    if rtmp_hls:
        http.append("""
    server {
        listen %(ip)s:%(port)d;
        server_name rtmp-hls;
        location /hls/ {
            alias %(dir)s/;
            add_header Cache-Control no-cache;
        }
        location / { return 404; }
    }""" % {"ip": RTMP_IP, "port": HTTP_PORT, "dir": t("rtmp-hls")})
    if "rtmp" in sel:
        http.append("""
    server {
        listen %(ip)s:%(port)d;
        server_name control;
        location = /stat { rtmp_stat all; }
        location / { return 404; }
    }""" % {"ip": CONTROL_IP, "port": CONTROL_PORT})
    http.append("}\n")
    return "\n".join(out) + "\n" + "".join(http)


MEDIA_LINKS = [
    ("hls", '<li><a href="/hls/cam.m3u8">HLS</a></li>'),
    ("hls", '<li><a href="/hls/cam_360p.m3u8">HLS 360p (media playlist, no CODECS)</a></li>'),
    ("hls", '<li><a href="/hls/cam_hevc.m3u8">HLS HEVC (fMP4, no CODECS)</a></li>'),
    ("dash", '<li><a href="/dash/cam.mpd">DASH</a></li>'),
    ("mjpeg", '<li><a href="/snapshot.jpg">Snapshot</a></li>'),
]


def media_index(sel):
    """The media site's index: links to what this launcher serves."""
    links = "\n".join(li for unit, li in MEDIA_LINKS if unit in sel)
    return ("<!doctype html>\n<html><head><title>Media lab</title></head>\n<body><ul>\n%s\n"
            "</ul></body></html>\n" % links)

WELCOME = """<!DOCTYPE html>
<html>
<head>
<title>Welcome</title>
</head>
<body>
<h1>Welcome</h1>
<p>This is a plain web site. Nothing to see here.</p>
</body>
</html>
"""


def janus_conf(tmp):
    d = os.path.join(tmp, "janus")
    return {
        "janus.jcfg": """general: {
	configs_folder = "%(d)s/conf"
	plugins_folder = "%(d)s/plugins"
	transports_folder = "%(d)s/transports"
	events_folder = "%(d)s/events"
	loggers_folder = "%(d)s/loggers"
	log_to_stdout = true
	debug_level = 4
	interface = "%(ip)s"
	server_name = "camscan-lab"
	session_timeout = 60
}
certificates: {
}
media: {
	rtp_port_range = "40100-40199"
}
nat: {
	nice_debug = false
	ignore_mdns = true
	ice_enforce_list = "%(ip)s"
}
plugins: {
}
transports: {
}
loggers: {
}
events: {
	broadcast = false
}
""" % {"d": d, "ip": JANUS_IP},
        "janus.transport.http.jcfg": """general: {
	json = "indented"
	base_path = "/janus"
	http = true
	port = %(port)d
	ip = "%(ip)s"
	https = false
}
admin: {
	admin_http = false
	admin_https = false
}
cors: {
}
""" % {"ip": JANUS_IP, "port": JANUS_PORT},
        "janus.plugin.echotest.jcfg": "general: {\n}\n",
    }


# ---------------------------------------------------------------------------------------------
# ffmpeg command lines

X264 = ["-c:v", "libx264", "-preset", "superfast", "-tune", "zerolatency", "-profile:v", "main",
        "-pix_fmt", "yuv420p", "-g", "15", "-keyint_min", "15", "-sc_threshold", "0"]
AAC = ["-c:a", "aac", "-b:a", "64k", "-ar", "44100", "-ac", "1"]


def lavfi(size, fps, audio=True, freq=440):
    graph = "testsrc=size=%s:rate=%d[out0]" % (size, fps)
    if audio:
        graph += ";sine=frequency=%d:sample_rate=44100[out1]" % freq
    return ["-re", "-f", "lavfi", "-i", graph]


def ffmpeg(*arg_lists, loglevel="warning"):
    cmd = [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", loglevel]
    return cmd + [a for args in arg_lists for a in args]


def keyless_publisher_cmd():
    return ffmpeg(lavfi("320x180", 10, freq=880), ["-map", "0:v", "-map", "0:a"],
                  ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
                   "-profile:v", "main", "-pix_fmt", "yuv420p", "-g", "10", "-b:v", "200k"], AAC,
                  ["-f", "flv", "rtmp://%s:%d/live/%s" % (KEYLESS_IP, RTMP_PORT, KEYLESS_KEY)])


def rtmp_publisher_cmd():
    return ffmpeg(lavfi("640x360", 15, freq=1000), ["-map", "0:v", "-map", "0:a"], X264,
                  ["-b:v", "800k"], AAC,
                  ["-f", "flv", "rtmp://%s:%d/live/stream" % (RTMP_IP, RTMP_PORT)])


LADDER = ["-filter_complex", "[0:v]split=2[hi][lo0];[lo0]scale=320:180[lo]",
          "-map", "[hi]", "-map", "[lo]"]
LADDER_RATES = ["-b:v:0", "800k", "-maxrate:v:0", "900k", "-bufsize:v:0", "1600k",
                "-b:v:1", "250k", "-maxrate:v:1", "300k", "-bufsize:v:1", "500k"]


def hls_cmd(tmp):
    d = os.path.join(tmp, "hls")
    return ffmpeg(lavfi("640x360", 15), LADDER, ["-map", "0:a", "-map", "0:a"], X264,
                  LADDER_RATES, AAC,
                  ["-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
                   "-hls_flags", "delete_segments+independent_segments",
                   "-master_pl_name", "cam.m3u8",
                   "-var_stream_map", "v:0,a:0,name:360p v:1,a:1,name:180p",
                   "-hls_segment_filename", os.path.join(d, "cam_%v_%05d.ts"),
                   os.path.join(d, "cam_%v.m3u8")])


def hls_hevc_cmd(tmp):
    """fMP4 HLS as MediaMTX-era servers make it: HEVC + Opus, a live window, and a master playlist
    in which ffmpeg 5.1 names no CODECS for HEVC (only the init segment says what is inside)."""
    d = os.path.join(tmp, "hls")
    graph = "testsrc=size=320x240:rate=10[out0];sine=frequency=660:sample_rate=48000[out1]"
    return ffmpeg(["-re", "-f", "lavfi", "-i", graph],
                  ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error",
                   "-tag:v", "hvc1", "-g", "10", "-pix_fmt", "yuv420p",
                   "-c:a", "libopus", "-b:a", "48k", "-ac", "2"],
                  ["-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
                   "-hls_flags", "delete_segments+independent_segments",
                   "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "hevc_init.mp4",
                   "-master_pl_name", "cam_hevc.m3u8",
                   "-hls_segment_filename", os.path.join(d, "hevc_%05d.m4s"),
                   os.path.join(d, "hevc.m3u8")])


def dash_cmd(tmp):
    return ffmpeg(lavfi("640x360", 15), LADDER, ["-map", "0:a"], X264, LADDER_RATES, AAC,
                  ["-f", "dash", "-seg_duration", "1", "-window_size", "6",
                   "-extra_window_size", "4", "-use_template", "1", "-use_timeline", "1",
                   "-adaptation_sets", "id=0,streams=v id=1,streams=a",
                   os.path.join(tmp, "dash", "cam.mpd")])


def mjpeg_source_cmd():
    # (loglevel error: swscale warns about the "deprecated" yuvj420p that MJPEG needs.)
    return ffmpeg(lavfi("320x240", 5, audio=False),
                  ["-c:v", "mjpeg", "-q:v", "5", "-pix_fmt", "yuvj420p", "-f", "mjpeg", "pipe:1"],
                  loglevel="error")


def vlc_cmd():
    sout = ("#standard{access=http{mime=\"multipart/x-mixed-replace; boundary=%s\"},"
            "mux=mpjpeg,dst=%s:%d/mjpg/video.mjpg}" % (MJPEG_BOUNDARY, MJPEG_IP, MJPEG_PORT))
    return vlc_argv(sout, "--demux=mjpeg", "--mjpeg-fps=5")


def vlc_argv(sout, *extra):
    """VLC reading stdin and serving it per `sout`, with no interface, config or audio/video out."""
    return [VLC, "-I", "dummy", "--no-dbus", "--ignore-config", "--no-metadata-network-access",
            "--no-stats", "--aout=adummy", "--vout=vdummy", "--play-and-exit",
            *extra, "--sout", sout, "fd://0"]


def flv_source_cmd():
    return ffmpeg(lavfi("640x360", 15),
                  ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "15",
                   "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "mpegts", "pipe:1"])


def vlc_flv_cmd():
    """One VLC, two HTTP outputs of the same input: FLV (libavformat's muxer) and MPEG-TS (VLC's
    own muxer), as SRS remuxes one stream to both."""
    sout = ("#duplicate{dst=standard{access=http{mime=video/x-flv},mux=avformat{mux=flv},"
            "dst=%s:%d%s},dst=standard{access=http{mime=video/mp2t},mux=ts,dst=%s:%d%s}}"
            % (FLV_IP, FLV_PORT, FLV_PATH, FLV_IP, FLV_PORT, TS_PATH))
    return vlc_argv(sout)


def turn_cmd(tmp):
    return [TURNSERVER, "-n",
            "--listening-ip=%s" % TURN_IP, "--relay-ip=%s" % TURN_IP,
            "--listening-port=%d" % TURN_PORT, "--min-port=49152", "--max-port=49251",
            "--no-tls", "--no-dtls", "--no-cli",
            "--log-file=stdout", "--simple-log",
            "--pidfile=%s" % os.path.join(tmp, "turnserver.pid"),
            "--userdb=%s" % os.path.join(tmp, "turndb"),
            "--lt-cred-mech", "--user=camscan:camscan", "--realm=camscan.test",
            "--no-multicast-peers",
            "--denied-peer-ip=0.0.0.0-255.255.255.255", "--allowed-peer-ip=%s" % TURN_IP]


def stun_only_cmd(tmp):
    """A second coturn on the TURN host: STUN only, UDP only, on 19302 (the port public STUN
    servers use), for `--stun-ports`: nothing answers on TCP 19302."""
    return [TURNSERVER, "-n", "--stun-only", "--no-tcp",
            "--listening-ip=%s" % TURN_IP, "--listening-port=%d" % STUN_ONLY_PORT,
            "--no-tls", "--no-dtls", "--no-cli", "--log-file=stdout", "--simple-log",
            "--pidfile=%s" % os.path.join(tmp, "turnserver-stun.pid")]


# ---------------------------------------------------------------------------------------------
# The lab


class Lab:
    def __init__(self, sel, keep_tmp, rtmp_hls=False):
        self.sel = sel
        self.rtmp_hls = rtmp_hls
        self.keep_tmp = keep_tmp
        self.root = os.geteuid() == 0
        self.tmp = tempfile.mkdtemp(prefix="camscan-media-lab-")
        self.units = []
        self.publisher = None
        self.keyless_publisher = None

    def path(self, *p):
        return os.path.join(self.tmp, *p)

    def logfile(self, name):
        return open(self.path("logs", name + ".log"), "ab", buffering=0)

    def spawn(self, name, argv, stdin=subprocess.DEVNULL, stdout=None, as_nobody=False, env=None):
        logf = self.logfile(name)
        kw = {}
        if as_nobody and self.root:
            kw = {"user": NOBODY_UID, "group": NOGROUP_GID, "extra_groups": []}
        try:
            return subprocess.Popen(argv, stdin=stdin, stdout=stdout if stdout else logf,
                                    stderr=logf, start_new_session=True,
                                    preexec_fn=_die_with_parent, cwd=self.tmp, env=env, **kw)
        finally:
            logf.close()

    def add(self, name, start):
        u = Unit(name, start)
        u.start()
        self.units.append(u)
        return u

    def log_tail(self, name, lines=15):
        try:
            with open(self.path("logs", name + ".log"), "rb") as f:
                text = f.read()[-4000:].decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join("    " + l for l in text.splitlines()[-lines:])

    # --- set-up ------------------------------------------------------------------------------

    def prepare(self):
        os.chmod(self.tmp, 0o755)
        for d in ("logs", "nginx", "hls", "dash", "rtmp-hls", "www-media", "www-plain",
                  "www-secure", "tls", "vlc-home", "keyless/hls"):
            os.makedirs(self.path(d), exist_ok=True)
        if self.root:
            os.chown(self.path("vlc-home"), NOBODY_UID, NOGROUP_GID)
        with open(self.path("www-media", "index.html"), "w") as f:
            f.write(media_index(self.sel))
        with open(self.path("www-plain", "index.html"), "w") as f:
            f.write(WELCOME)
        with open(self.path("www-secure", "index.html"), "w") as f:
            f.write("<!doctype html><html><head><title>Secure lab</title></head><body>tls</body></html>\n")
        if "tls" in self.sel:
            subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", "/CN=camscan-lab", "-keyout", self.path("tls", "key.pem"),
                            "-out", self.path("tls", "cert.pem")],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if self.uses_nginx():
            with open(self.path("nginx.conf"), "w") as f:
                f.write(nginx_conf(self.tmp, self.sel, self.rtmp_hls))

    def uses_nginx(self):
        return bool({"rtmp", "hls", "dash", "mjpeg", "web", "tls", "keyless"} & self.sel)

    def start(self, timeout):
        self.prepare()
        snapshot = None
        if "mjpeg" in self.sel:
            snapshot = self.spawn("snapshot", ffmpeg(
                ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=5"],
                ["-frames:v", "1", "-q:v", "3", "-pix_fmt", "yuvj420p", "-update", "1",
                 self.path("www-media", "snapshot.jpg")], loglevel="error"))
        if self.uses_nginx():
            self.add("nginx", lambda: [self.spawn("nginx", [
                NGINX, "-p", self.tmp + "/", "-c", self.path("nginx.conf"),
                "-e", self.path("logs", "nginx-error.log")])])
        if "turn" in self.sel:
            self.add("turnserver", lambda: [self.spawn("turnserver", turn_cmd(self.tmp))])
            self.add("stun-only", lambda: [self.spawn("stun-only", stun_only_cmd(self.tmp))])
        if "tls" in self.sel:
            self.add("old-tls", lambda: [self.spawn("old-tls", [
                OPENSSL, "s_server", "-quiet", "-www", "-accept", "%s:%d" % (OLD_TLS_IP, OLD_TLS_PORT),
                "-cert", self.path("tls", "cert.pem"), "-key", self.path("tls", "key.pem"),
                "-tls1_2", "-cipher", "AES128-SHA256:@SECLEVEL=0"])])
        if "mjpeg" in self.sel:
            self.add("mjpeg", self._start_mjpeg)
        if "hls" in self.sel:
            self.add("ffmpeg-hls", lambda: [self.spawn("ffmpeg-hls", hls_cmd(self.tmp))])
            self.add("ffmpeg-hls-hevc",
                     lambda: [self.spawn("ffmpeg-hls-hevc", hls_hevc_cmd(self.tmp))])
        if "dash" in self.sel:
            self.add("ffmpeg-dash", lambda: [self.spawn("ffmpeg-dash", dash_cmd(self.tmp))])
        if "janus" in self.sel:
            self._prepare_janus()
            self.add("janus", lambda: [self.spawn("janus-relay", [
                sys.executable, os.path.abspath(__file__), "--janus-relay", self.tmp])])
        if "flv" in self.sel:
            self.add("flv", self._start_flv)
        if "whep" in self.sel:
            self.add("whep", lambda: [self.spawn("whep", [
                LAB_PYTHON, os.path.join(HERE, "whep_server.py"),
                "--listen", "%s:%d" % (WHEP_IP, WHEP_PORT), "--path", "cam"])])
        # The whole start-up deadline, not a few seconds: on a cold machine (fresh page cache, every
        # server above starting at once on 2 cores) one ffmpeg frame has taken more than 10 s.
        try:
            rc = snapshot.wait(timeout) if snapshot is not None else 0
        except subprocess.TimeoutExpired:
            raise StartError("ffmpeg made no snapshot within %.0f s\n" % timeout
                             + self.log_tail("snapshot"))
        if rc != 0:
            raise StartError("ffmpeg could not make the snapshot\n" + self.log_tail("snapshot"))

    def _ffmpeg_into_vlc(self, src_name, src_cmd, vlc_name, vlc_argv):
        """ffmpeg's stdout piped into VLC's stdin (VLC as nobody when we are root)."""
        src = self.spawn(src_name, src_cmd, stdout=subprocess.PIPE)
        env = dict(os.environ, HOME=self.path("vlc-home"))
        try:
            vlc = self.spawn(vlc_name, vlc_argv, stdin=src.stdout, as_nobody=True, env=env)
        finally:
            src.stdout.close()
        return [src, vlc]

    def _start_mjpeg(self):
        return self._ffmpeg_into_vlc("ffmpeg-mjpeg", mjpeg_source_cmd(), "vlc", vlc_cmd())

    def _start_flv(self):
        return self._ffmpeg_into_vlc("ffmpeg-flv", flv_source_cmd(), "vlc-flv", vlc_flv_cmd())

    def _prepare_janus(self):
        for d in ("conf", "plugins", "transports", "events", "loggers"):
            os.makedirs(self.path("janus", d), exist_ok=True)
        for name, text in janus_conf(self.tmp).items():
            with open(self.path("janus", "conf", name), "w") as f:
                f.write(text)
        os.symlink(os.path.join(JANUS_LIB, "plugins", "libjanus_echotest.so"),
                   self.path("janus", "plugins", "libjanus_echotest.so"))
        os.symlink(os.path.join(JANUS_LIB, "transports", "libjanus_http.so"),
                   self.path("janus", "transports", "libjanus_http.so"))

    # --- readiness ---------------------------------------------------------------------------

    def checks(self):
        """name -> (unit whose log explains a failure, function raising unless ready)."""
        c = {}
        if "rtmp" in self.sel:
            c["rtmp"] = ("nginx", self.check_rtmp)
            if self.rtmp_hls:
                c["rtmp-hls"] = ("nginx", self.check_rtmp_hls)
        if "hls" in self.sel:
            c["hls"] = ("ffmpeg-hls", self.check_hls)
            c["hls-hevc"] = ("ffmpeg-hls-hevc", self.check_hls_hevc)
        if "dash" in self.sel:
            c["dash"] = ("ffmpeg-dash", self.check_dash)
        if "mjpeg" in self.sel:
            c["mjpeg"] = ("vlc", self.check_mjpeg)
            c["snapshot"] = ("nginx", self.check_snapshot)
        if "turn" in self.sel:
            c["turn"] = ("turnserver", self.check_turn)
            c["stun-only"] = ("stun-only", self.check_stun_only)
        if "web" in self.sel:
            c["web"] = ("nginx", self.check_web)
        if "janus" in self.sel:
            c["janus"] = ("janus-relay", self.check_janus)
        if "whep" in self.sel:
            c["whep"] = ("whep", self.check_whep)
        if "flv" in self.sel:
            c["flv"] = ("vlc-flv", self.check_flv)
        if "keyless" in self.sel:
            c["keyless"] = ("ffmpeg-keyless", self.check_keyless)
        if "tls" in self.sel:
            c["tls"] = ("nginx", self.check_tls)
            c["old-tls"] = ("old-tls", self.check_old_tls)
        return c

    def check_rtmp(self):
        if self.publisher is None:
            # Publish once nginx accepts RTMP connections.
            with socket.create_connection((RTMP_IP, RTMP_PORT), 1.0, (RTMP_IP, 0)):
                pass
            self.publisher = self.add(
                "ffmpeg-rtmp", lambda: [self.spawn("ffmpeg-rtmp", rtmp_publisher_cmd())])
        status, _, body = http_get(CONTROL_IP, CONTROL_PORT, "/stat")
        text = body.decode("utf-8", "replace")
        if status != 200 or "<name>stream</name>" not in text or "<publishing/>" not in text:
            raise ValueError("stream live/stream not published yet")
        if "<width>640</width>" not in text:
            raise ValueError("no video metadata yet")

    def check_keyless(self):
        if self.keyless_publisher is None:
            with socket.create_connection((KEYLESS_IP, RTMP_PORT), 1.0, (KEYLESS_IP, 0)):
                pass
            self.keyless_publisher = self.add(
                "ffmpeg-keyless", lambda: [self.spawn("ffmpeg-keyless", keyless_publisher_cmd())])
        status, _, body = http_get(KEYLESS_IP, KEYLESS_HTTP_PORT, "/hls/%s.m3u8" % KEYLESS_KEY)
        if status != 200 or body.count(b"#EXTINF") < 2:
            raise ValueError("HLS of live/%s: HTTP %d" % (KEYLESS_KEY, status))
        status, _, _ = http_get(KEYLESS_IP, KEYLESS_HTTP_PORT, "/hls/")
        if status != 403:
            raise ValueError("/hls/ answers HTTP %d, not 403" % status)

    def check_rtmp_hls(self):
        status, hdr, body = http_get(RTMP_IP, HTTP_PORT, "/hls/stream.m3u8")
        if status != 200 or b"#EXTINF" not in body:
            raise ValueError("nginx-rtmp HLS playlist: HTTP %d" % status)

    def check_hls(self):
        status, hdr, body = http_get(HTTP_IP, HTTP_PORT, "/hls/cam.m3u8")
        if status != 200 or body.count(b"#EXT-X-STREAM-INF") != 2:
            raise ValueError("master playlist: HTTP %d" % status)
        if hdr.get("content-type") != "application/vnd.apple.mpegurl":
            raise ValueError("master playlist Content-Type %r" % hdr.get("content-type"))
        for v in ("360p", "180p"):
            status, _, body = http_get(HTTP_IP, HTTP_PORT, "/hls/cam_%s.m3u8" % v)
            if status != 200 or b"#EXTINF" not in body:
                raise ValueError("variant %s: HTTP %d" % (v, status))

    def check_hls_hevc(self):
        status, _, body = http_get(HTTP_IP, HTTP_PORT, "/hls/cam_hevc.m3u8")
        if status != 200 or b"hevc.m3u8" not in body:
            raise ValueError("HEVC master playlist: HTTP %d" % status)
        status, _, body = http_get(HTTP_IP, HTTP_PORT, "/hls/hevc.m3u8")
        if status != 200 or b"#EXTINF" not in body or b"#EXT-X-MAP" not in body:
            raise ValueError("HEVC media playlist: HTTP %d" % status)
        status, hdr, body = http_get(HTTP_IP, HTTP_PORT, "/hls/hevc_init.mp4")
        if status != 200 or b"hvcC" not in body or hdr.get("content-type") != "video/mp4":
            raise ValueError("HEVC init segment: HTTP %d" % status)

    def check_dash(self):
        status, hdr, body = http_get(DASH_IP, HTTP_PORT, "/dash/cam.mpd")
        if status != 200 or b"<MPD" not in body or body.count(b"<Representation") < 3:
            raise ValueError("manifest: HTTP %d" % status)
        if hdr.get("content-type") != "application/dash+xml":
            raise ValueError("manifest Content-Type %r" % hdr.get("content-type"))

    def check_snapshot(self):
        status, hdr, body = http_get(HTTP_IP, HTTP_PORT, "/snapshot.jpg")
        if status != 200 or hdr.get("content-type") != "image/jpeg" or body[:2] != b"\xff\xd8":
            raise ValueError("snapshot: HTTP %d" % status)

    def check_mjpeg(self):
        ctype = mjpeg_parts(MJPEG_IP, MJPEG_PORT, "/mjpg/video.mjpg", 2)
        if not ctype.startswith("multipart/x-mixed-replace"):
            raise ValueError("Content-Type %r" % ctype)

    def check_turn(self):
        for proto in ("udp", "tcp"):
            mtype, attrs = stun_binding(TURN_IP, TURN_PORT, proto, timeout=0.3)
            if mtype != 0x0101 or 0x0020 not in attrs:
                raise ValueError("STUN/%s answer type 0x%04x" % (proto, mtype))

    def check_stun_only(self):
        mtype, attrs = stun_binding(TURN_IP, STUN_ONLY_PORT, "udp", timeout=0.3)
        if mtype != 0x0101 or 0x0020 not in attrs:
            raise ValueError("STUN/udp answer type 0x%04x" % mtype)

    def check_web(self):
        status, _, body = http_get(WEB_IP, WEB_PORT, "/")
        if status != 200 or b"<title>Welcome</title>" not in body:
            raise ValueError("HTTP %d" % status)

    def check_tls(self):
        import ssl
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with socket.create_connection((TLS_IP, TLS_PORT), 1.0, (TLS_IP, 0)) as raw:
            with ctx.wrap_socket(raw) as t:
                t.sendall(b"GET / HTTP/1.0\r\nHost: secure\r\n\r\n")
                if b"Secure lab" not in t.recv(4096) + t.recv(4096):
                    raise ValueError("no page over TLS")

    def check_old_tls(self):
        with socket.create_connection((OLD_TLS_IP, OLD_TLS_PORT), 1.0, (OLD_TLS_IP, 0)):
            pass

    def check_flv(self):
        status, hdr, body = http_get(FLV_IP, FLV_PORT, FLV_PATH, read_limit=4096)
        if status != 200 or not body.startswith(b"FLV\x01") or b"onMetaData" not in body:
            raise ValueError("HTTP %d, %r" % (status, body[:16]))
        status, hdr, body = http_get(FLV_IP, FLV_PORT, TS_PATH, read_limit=4096)
        if status != 200 or hdr.get("content-type") != "video/mp2t" or body[:1] != b"\x47":
            raise ValueError("HTTP-TS: HTTP %d, %r" % (status, body[:16]))

    def check_whep(self):
        status, _, body = http_get(WHEP_IP, WHEP_PORT, "/_lab/sessions")
        if status != 200 or json.loads(body).get("open") != 0:
            raise ValueError("HTTP %d" % status)

    def check_janus(self):
        status, _, body = http_get(JANUS_IP, JANUS_PORT, "/janus/info")
        if status != 200 or json.loads(body).get("janus") != "server_info":
            raise ValueError("HTTP %d" % status)

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        pending = self.checks()
        errors = {}
        while pending:
            for u in self.units:
                if u.dead():
                    raise StartError("%s exited during start-up (status %s)\n%s" % (
                        u.name, [exit_status(p) for p in u.procs],
                        "\n".join(self.log_tail(self._logname(u, p)) for p in u.procs)))
            for name, (unit, fn) in list(pending.items()):
                try:
                    fn()
                    del pending[name]
                except Exception as e:  # not ready yet
                    errors[name] = "%s: %s" % (type(e).__name__, e)
            if not pending:
                break
            if time.monotonic() > deadline:
                msg = ["not ready after %.0f s:" % timeout]
                for name, (unit, _) in pending.items():
                    msg.append("  %s: %s; log of %s:\n%s" % (
                        name, errors.get(name), unit, self.log_tail(unit)))
                raise StartError("\n".join(msg))
            time.sleep(0.1)

    @staticmethod
    def _logname(unit, proc):
        if unit.name == "mjpeg":
            return "vlc" if os.path.basename(proc.args[0]) == "vlc" else "ffmpeg-mjpeg"
        if unit.name == "flv":
            return "vlc-flv" if os.path.basename(proc.args[0]) == "vlc" else "ffmpeg-flv"
        return "janus-relay" if unit.name == "janus" else unit.name

    # --- after READY -------------------------------------------------------------------------

    def supervise(self):
        """Restart units whose processes died; raise StartError when one dies too often."""
        for u in self.units:
            dead = u.dead()
            if not dead:
                continue
            u.restarts += 1
            log("%s died (status %s), restart %d/%d; log:\n%s" % (
                u.name, [exit_status(p) for p in dead], u.restarts, MAX_RESTARTS,
                "\n".join(self.log_tail(self._logname(u, p), 8) for p in dead)))
            stop_all([u], grace=1.0)
            if u.restarts > MAX_RESTARTS:
                raise StartError("%s keeps dying" % u.name)
            u.start()

    def cleanup(self):
        stop_all(list(reversed(self.units)))
        self.units = []
        if self.keep_tmp:
            log("temp dir kept: %s" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


class StartError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Janus in a private network namespace, behind a byte relay on the real 127.0.0.56:8088


def _pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def _relay_conn(client):
    try:
        upstream = socket.create_connection((JANUS_IP, JANUS_PORT), 2.0, (JANUS_IP, 0))
    except OSError:
        client.close()
        return
    upstream.settimeout(None)
    t = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
    t.start()
    _pump(client, upstream)
    t.join()
    client.close()
    upstream.close()


def janus_relay_main(tmp):
    """Runs as a child of the launcher. Binds the host's 127.0.0.56:8088, then moves itself into
    a new network namespace, starts Janus there and copies every connection to it."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((JANUS_IP, JANUS_PORT))
    listener.listen(64)
    if _libc.unshare(CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        log("janus relay: unshare(CLONE_NEWNET): %s" % os.strerror(err))
        return 1
    # Sockets made from now on live in the new namespace; `listener` stays in the host's.
    for cmd in ([IP, "link", "set", "lo", "up"],
                [IP, "addr", "add", JANUS_IP + "/32", "dev", "lo"]):
        subprocess.run(cmd, check=True)
    conf = os.path.join(tmp, "janus", "conf")
    janus = subprocess.Popen([JANUS, "-F", conf, "-C", os.path.join(conf, "janus.jcfg"), "-o"],
                             stdin=subprocess.DEVNULL, stdout=sys.stderr, stderr=sys.stderr,
                             preexec_fn=_die_with_parent, cwd=tmp)

    def stop(signum, frame):
        # Janus' own SIGTERM shutdown takes over 2 s and it keeps nothing worth saving.
        # (Not janus.wait(): the main thread is inside it, holding its lock.)
        janus.kill()
        try:
            os.waitpid(janus.pid, 0)
        except ChildProcessError:
            pass
        os._exit(0)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, stop)

    def accept_loop():
        while True:
            client, _ = listener.accept()
            threading.Thread(target=_relay_conn, args=(client,), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    rc = janus.wait()
    log("janus relay: janus exited with status %d" % rc)
    return 1


# ---------------------------------------------------------------------------------------------


def main(argv):
    if len(argv) == 3 and argv[1] == "--janus-relay":
        return janus_relay_main(argv[2])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default=",".join(SERVICES),
                    help="comma-separated subset of %s (default: all)" % ",".join(SERVICES))
    ap.add_argument("--timeout", type=float, default=30.0,
                    help="seconds to wait for every server (default 30)")
    ap.add_argument("--keep-tmp", action="store_true", help="keep the temp dir (logs) at exit")
    ap.add_argument("--bind", action="append", default=[], metavar="UNIT=ADDRESS",
                    help="serve UNIT (%s) on ADDRESS instead of its 127.0.0.x one" % ",".join(BIND_VARS))
    ap.add_argument("--rtmp-hls", action="store_true",
                    help="nginx-rtmp also serves HLS of the stream on the rtmp address, port 80")
    args = ap.parse_args(argv[1:])
    for b in args.bind:
        unit, _, addr = b.partition("=")
        if unit not in BIND_VARS or not addr:
            ap.error("--bind %r: UNIT=ADDRESS with UNIT one of %s" % (b, ",".join(BIND_VARS)))
        globals()[BIND_VARS[unit]] = addr
    sel = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = sel - set(SERVICES)
    if unknown or not sel:
        ap.error("unknown service(s) %s; choose from %s" % (
            ",".join(sorted(unknown)) or "(none)", ",".join(SERVICES)))

    def on_signal(signum, frame):
        raise Stop(signal.Signals(signum).name)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)

    if "janus" in sel and os.geteuid() != 0:
        log("error: janus needs root (a private network namespace); leave it out with --only")
        return 1
    if args.rtmp_hls and "rtmp" not in sel:
        ap.error("--rtmp-hls needs rtmp in --only")
    lab = Lab(sel, args.keep_tmp, args.rtmp_hls)
    t0 = time.monotonic()
    try:
        deadline = time.monotonic() + args.timeout
        lab.start(args.timeout)
        lab.wait_ready(max(1.0, deadline - time.monotonic()))
        log("ready in %.1f s (%s); temp dir %s" % (
            time.monotonic() - t0, ",".join(s for s in SERVICES if s in sel), lab.tmp))
        sys.stdout.write("READY\n")
        sys.stdout.flush()
        while True:
            r, _, _ = select.select([0], [], [], 0.5)
            if r and not os.read(0, 4096):
                log("stdin closed, exiting")
                break
            lab.supervise()
        return 0
    except Stop as e:
        log("%s received, exiting" % e)
        return 0
    except StartError as e:
        log("error: %s" % e)
        return 1
    except Exception as e:
        log("error: %s: %s" % (type(e).__name__, e))
        return 1
    finally:
        # No second signal may interrupt the clean-up.
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        lab.cleanup()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
