#!/usr/bin/python3
"""Fake RTSP cameras for the camscan integration tests.

What it is
    A small launcher around GStreamer's gst-rtsp-server (GStreamer 1.22, Debian
    python3-gi). It starts one RTSP server per config entry, each bound to
    exactly one loopback address and port, serving synthetic test streams
    (videotestsrc / audiotestsrc) so the scanner can DESCRIBE them and check
    codec, resolution, frame rate and audio parameters.

    Must be run with the system interpreter (/usr/bin/python3); the pyenv
    python has no `gi` module.

Usage
    rtsp_server.py CONFIG.json

CONFIG.json is a list of servers:
    [{"address": "127.0.0.11", "port": 554,
      "auth": null | {"method": "digest"|"basic", "user": "admin", "password": "secret"},
      "mounts": [{"path": "/Streaming/Channels/101",
                  "video": {"codec": "h264"|"h265"|"mjpeg", "width": 1280, "height": 720,
                            "fps": 25, "profile": "main"|"baseline"|"high",
                            "claim_fps": null | 30},
                  "audio": null | {"codec": "aac"|"pcmu"|"pcma"|"opus",
                                   "rate": 16000, "channels": 1}}]}]
    "profile" only matters for h264 (h265 is always main). pcmu/pcma need rate 8000.
    A mount with "udp_only": true refuses TCP transport (SETUP over TCP gets 461).
    "claim_fps" makes a lying camera: frames come at "fps" but the SPS and SDP claim "claim_fps".
    "gop": SECONDS (h264/h265) sets the keyframe interval (x264/x265 key-int-max = fps * gop);
    default 2 s.
    "stamp": true paints the source's wall-clock time into every frame (see "Frame stamps"), so a
    viewer measures how far behind the source its picture is.
    "bframes": N (h264/h265) encodes as GStreamer servers and NVR re-streamers usually run x264/x265:
    without tune=zerolatency, so with look-ahead (the first packet comes ~1.5 s after PLAY) and N
    B-frames (RTP timestamps then arrive out of order: presentation order != transmission order).
    "lookahead": N (h264) also encodes without tune=zerolatency, with x264's rate-control
    look-ahead N frames deep (rc-lookahead, at most 250, and no further than the next keyframe:
    give a "gop" of N/fps seconds or more): the first frame leaves the encoder N
    frames after the source's first, so a media's preparation (and the answer to the DESCRIBE that
    starts it; GStreamer answers no client meanwhile) takes N/fps seconds at least, as an
    on-demand source's start does (MediaMTX waits up to 10 s for one before it answers).
    A server entry with "shared": true serves every mount with shared media (one encoder per mount
    for all clients, factory.set_shared(True)), as most deployments do; see "Shared media" below.
    A server entry's "server_header": TEXT sends `Server: TEXT` in every answer instead of
    GStreamer's own `GStreamer RTSP server`, as cameras name themselves there (`Server: ABUS`).
    A server entry with "describes": true prints the path of every DESCRIBE it is sent (see the
    harness protocol below), so a test sees which paths were asked, in the order they came.
    A server entry's "backlog": N sets its listening socket's backlog (gst-rtsp-server's default
    is 5; the kernel caps it at net.core.somaxconn). A server that many hosts share
    (tests/lab/scale_lab.sh: one server on 0.0.0.0 playing 600 cameras) needs room for a scanner's
    connects to all of them at once, else the SYNs beyond the backlog are dropped and each waits a
    retransmission (1 s, then 2 s...).
    A mount's "aliases": [PATH, ...] serves the same launch line under more paths (a server that
    gives the main stream for a Dahua-style subtype=1, or a second name for one stream).
    A mount's "relay": "rtsp://CAMERA/PATH" (instead of "video"/"audio") re-streams an H.264
    camera, as an NVR does with the cameras on its PoE ports.
    A mount "path" may carry a query string (/cam/realmonitor?channel=1&subtype=0); it is matched
    exactly, query included (DESCRIBE only: see QueryMountPoints for the PLAY limit).
    A server entry with "ignore_query": true is a camera whose server ignores the query string, as
    the Dahua-path GStreamer camera of issue 54 does: a mount's path is matched without its query
    (a mount at /cam/realmonitor?channel=1&subtype=0 also answers subtype=1, subtype=2, channel=7...,
    each the same media), and SETUP/PLAY of such a URL work (IgnoreQueryMountPoints).
    Opus is always signalled as opus/48000/2 in SDP (RFC 7587), whatever is configured.

Protocol with the test harness (stdout is line based, everything else goes to stderr)
    * After every server is listening, exactly one line "READY" is printed.
      If a server cannot be attached (e.g. port in use) a message goes to stderr
      and the process exits with status 1 without printing READY.
    * "CLIENT <address>:<port>" is printed each time an RTSP client connects to the server at
      that address (gst-rtsp-server's "client-connected": one per TCP connection; retina and
      ffmpeg use one connection per session, so a test counts the sessions a camera served).
    * "PLAY <address>:<port> range=<Range header or none> described=<0|1>" is printed for each
      PLAY request: whether it asked for a range (this server takes one as a seek, and prepares
      the media again before it answers), and whether the same connection had sent a DESCRIBE.
    * "MEDIA <address>:<port> <mount path>" is printed each time a media is made for a client
      (GStreamer's "media-configure"): its pipeline built, so its encoder started. With shared
      media that is once while any client holds it, and again after the last client left (the
      media is unprepared then); a test counts encoder starts by it.
    * "DESCRIBE <address>:<port> <path>" is printed for each DESCRIBE a server with "describes"
      is sent, before it is looked up (a path it does not serve too; the query string kept, as
      in /cam/realmonitor?channel=1&subtype=0), in the order the requests are read.
    * "AUTHFAIL <address>:<port>" is printed each time a request that carried an
      Authorization header is rejected because the credentials were wrong.
    * The process exits when its stdin reaches EOF, so the harness must give it a
      pipe on stdin and keep the write end open; when the harness dies, so does
      the server. SIGTERM / SIGINT also stop it cleanly.
    * Each client connection builds its own pipeline on DESCRIBE/SETUP
      (~10-200 ms, x264 720p and x265 1080p are the slow ones) and tears it
      down when it leaves; an idle server uses no CPU. Any number of clients
      may connect at the same time.
    * UDP clients get RTP/RTCP sockets bound to the server's own address
      (ports 40000-40999); TCP-interleaved clients need no extra sockets.

Frame stamps ("stamp": true, any video codec; width a multiple of 40 and at least 320)
    The source is then not videotestsrc but an appsrc fed by a Python thread at "fps" (live,
    do-timestamp: each frame's PTS is the pipeline's running time when it is pushed), with a gray
    gradient and a white square moving across it, and a barcode painted into the raw frame before
    the encoder, holding time.time() in milliseconds since the epoch at the moment the frame is
    made. Layout (block size s = width // 40 pixels, 16 at 640 wide, so every block is a whole
    16x16 macroblock at 640 and survives x264 at 1000 kbit/s):
        two rows of 40 square blocks across the top 2*s lines of the picture, luma only (chroma
        stays neutral 128 there); a block is white (Y 235) for 1 and black (Y 16) for 0.
        each row: blocks 0-3 guards 1,0,1,0; blocks 4-35 thirty-two data bits, most significant
        first; blocks 36-39 guards 0,1,0,1.
        data: 64 bits = row 0 then row 1: the 48-bit time in ms (bits 63..16) then a 16-bit check,
        (t ^ (t >> 16) ^ (t >> 32)) & 0xFFFF.
    A reader samples the middle half of each block, thresholds at the mean of the guards' white
    and black, checks the guards and the check bits, and only then trusts the time.

Shared media ("shared": true)
    With GStreamer 1.22, shared media are unprepared when their last client
    leaves (a DESCRIBE-only client counts) but stay in the factory cache until
    the teardown is over, so a client reconnecting meanwhile gets
    "503 Service Unavailable". Real deployments run shared media, so camscan
    must cope (it treats 503/453 as busy and asks again); the default here
    stays non-shared only so that older tests keep their exact shape.
"""

import faulthandler
import json
import os
import signal
import sys
import threading
import time
import traceback
import warnings

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

# Before any GstRtspServer subclass is registered (class init needs the core types).
Gst.init(None)

ROLE = "user"
UDP_PORT_MIN, UDP_PORT_MAX = 40000, 40999  # RTP/RTCP ports for UDP clients


def log(msg):
    sys.stderr.write("rtsp_server: %s\n" % msg)
    sys.stderr.flush()


def emit(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def die(msg):
    """A test server that cannot do what it was asked exits at once, loudly (exit 3), rather than
    serve without it: the test then fails on the server, not on camscan."""
    log("fatal: %s" % msg)
    os._exit(3)


def fatal_on_error(callback):
    """A request callback whose exception ends the process (PyGObject would print the traceback
    and let the request go on without what the callback adds)."""

    def run(*args):
        try:
            return callback(*args)
        except Exception:
            die("%s: %s" % (callback.__name__, traceback.format_exc()))

    run.__name__ = callback.__name__
    return run


# What the request callbacks use of GstRtsp's types. PyGObject makes a type's method wrappers when
# they are first looked up; once (CI, on a loaded machine) a server process answered every request
# with `RTSPMessage` lacking `remove_header` and `get_header` (AttributeError in each callback, on
# GStreamer's threads), so its Server header was never set. They are looked up here, on the main
# thread, before any server starts, and a missing one refuses the start.
BINDINGS = (
    (GstRtsp.RTSPMessage, ("add_header", "get_header", "remove_header")),
    (GstRtsp.RTSPHeaderField, ("AUTHORIZATION", "RANGE", "SERVER")),
    (GstRtsp.RTSPResult, ("OK",)),
    (GstRtsp.RTSPStatusCode, ("OK",)),
)


def check_bindings():
    missing = [
        "%s.%s" % (kind.__name__, name)
        for kind, names in BINDINGS
        for name in names
        if getattr(kind, name, None) is None
    ]
    if missing:
        die("GstRtsp's Python bindings lack %s" % ", ".join(missing))


STAMP_BLOCKS = 40  # blocks across the picture (see "Frame stamps")
STAMP_GUARD_LEFT, STAMP_GUARD_RIGHT = (1, 0, 1, 0), (0, 1, 0, 1)
STAMP_WHITE, STAMP_BLACK = 235, 16  # BT.601 studio-range luma extremes


def stamp_check(t):
    return (t ^ (t >> 16) ^ (t >> 32)) & 0xFFFF


def stamp_bits(ms):
    """The 80 block values (two rows of 40) carrying `ms`, see "Frame stamps"."""
    word = ((ms & ((1 << 48) - 1)) << 16) | stamp_check(ms & ((1 << 48) - 1))
    rows = []
    for r in range(2):
        half = (word >> (32 * (1 - r))) & 0xFFFFFFFF
        data = [(half >> (31 - i)) & 1 for i in range(32)]
        rows.append(list(STAMP_GUARD_LEFT) + data + list(STAMP_GUARD_RIGHT))
    return rows


class StampSource:
    """Feeds one appsrc named "stampsrc" with I420 frames carrying the wall-clock time."""

    def __init__(self, appsrc, width, height, fps):
        self.src, self.w, self.h, self.fps = appsrc, width, height, fps
        self.s = width // STAMP_BLOCKS
        w, h = width, height
        # A gray gradient (rows get lighter downwards), built once.
        self.base_y = bytearray(b"".join(bytes([40 + (150 * y) // h]) * w for y in range(h)))
        cw, ch = w // 2, h // 2
        self.u = bytes([128]) * (cw * ch)
        self.v = bytes(b"".join(bytes([128 if y < self.s else 150]) * cw for y in range(ch)))
        self.stop = threading.Event()
        threading.Thread(target=self.run, daemon=True).start()

    def frame(self, n, ms):
        w, h, s = self.w, self.h, self.s
        y = bytearray(self.base_y)
        # A white square moving left to right below the barcode (a picture that changes).
        side = max(16, h // 6)
        x0 = (n * 8) % max(1, w - side)
        top = 2 * s + (h - 2 * s - side) // 2
        white = bytes([STAMP_WHITE]) * side
        for row in range(top, top + side):
            y[row * w + x0: row * w + x0 + side] = white
        # The barcode.
        for r, blocks in enumerate(stamp_bits(ms)):
            line = b"".join(bytes([STAMP_WHITE if b else STAMP_BLACK]) * s for b in blocks)
            line += bytes([STAMP_BLACK]) * (w - len(line))
            for row in range(r * s, (r + 1) * s):
                y[row * w:(row + 1) * w] = line
        return bytes(y) + self.u + self.v

    def run(self):
        period = 1.0 / self.fps
        start = time.monotonic()
        n = 0
        while not self.stop.is_set():
            n += 1
            wait = start + n * period - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            elif wait < -1.0:
                # Far behind (the machine stalled this thread): restart pacing, and say so, since
                # the camera sent fewer frames than its rate (tests measuring the rate read this).
                log("stamp source stalled: %d ms behind its %g fps, frames skipped" % (-wait * 1000, self.fps))
                start, n = time.monotonic(), 0
            _, state, _ = self.src.get_state(0)
            if state != Gst.State.PLAYING:
                continue  # no running time yet (preroll, paused): a live source drops the frame
            data = self.frame(n, int(time.time() * 1000))
            ret = self.src.emit("push-buffer", Gst.Buffer.new_wrapped(data))
            if ret not in (Gst.FlowReturn.OK,):
                if ret in (Gst.FlowReturn.FLUSHING, Gst.FlowReturn.EOS):
                    # Flushing also happens around a seek/pause; stop only when unprepared.
                    continue
                log("stamp source stopped: %s" % ret)
                return


def video_launch(v):
    codec = v["codec"]
    fps = int(v["fps"])
    if v.get("stamp"):
        # stream-type=seekable with a no-op seek (see on_stamp_media): the media then seeks as a
        # videotestsrc one does; a non-seekable appsrc beside a seekable audiotestsrc makes the
        # PLAY's seek to its Range fail, and the server answers 503.
        src = ("appsrc name=stampsrc stream-type=seekable is-live=true do-timestamp=true "
               "format=time block=false max-buffers=3 leaky-type=downstream "
               "caps=\"video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1\""
               % (int(v["width"]), int(v["height"]), fps))
    else:
        src = ("videotestsrc is-live=true pattern=ball ! "
               "video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1"
               % (int(v["width"]), int(v["height"]), fps))
    gop = float(v.get("gop") or 2)
    keyint = max(1, int(round(fps * gop)))
    if v.get("claim_fps"):
        # A camera that lies: frames really come at `fps`, but the caps (hence the SPS timing
        # info and the SDP a=framerate) claim `claim_fps`.
        src += (" ! capssetter replace=false caps=\"video/x-raw,framerate=%d/1\""
                % int(v["claim_fps"]))
    bframes = v.get("bframes")
    if codec == "h264":
        # With "bframes": x264's defaults (look-ahead on) plus N B-frames; a B-frame needs
        # main or high profile.
        tune = ("bframes=%d" % int(bframes)) if bframes else "tune=zerolatency"
        if v.get("lookahead") is not None:
            tune = ("bframes=%d " % int(bframes or 0)) + ("rc-lookahead=%d" % int(v["lookahead"]))
        enc = ("x264enc %s bitrate=1000 key-int-max=%d ! "
               "video/x-h264,profile=%s ! rtph264pay name=pay0 pt=96 config-interval=1"
               % (tune, keyint, v.get("profile") or "main"))
    elif codec == "h265":
        tune = ("option-string=bframes=%d" % int(bframes)) if bframes else "tune=zerolatency"
        enc = ("x265enc %s bitrate=1000 key-int-max=%d speed-preset=ultrafast ! "
               "video/x-h265,profile=main ! rtph265pay name=pay0 pt=96 config-interval=1"
               % (tune, keyint))
    elif codec == "mjpeg":
        enc = "jpegenc quality=70 ! rtpjpegpay name=pay0 pt=26"
    else:
        raise ValueError("unknown video codec %r" % codec)
    return src + " ! " + enc


def audio_launch(a):
    codec = a["codec"]
    rate, channels = int(a["rate"]), int(a["channels"])
    src = ("audiotestsrc is-live=true wave=sine ! audio/x-raw,rate=%d,channels=%d"
           % (rate, channels))
    if codec == "aac":
        enc = "audioconvert ! avenc_aac ! rtpmp4gpay name=pay1 pt=97"
    elif codec == "pcmu":
        enc = "audioconvert ! audioresample ! mulawenc ! rtppcmupay name=pay1 pt=0"
    elif codec == "pcma":
        enc = "audioconvert ! audioresample ! alawenc ! rtppcmapay name=pay1 pt=8"
    elif codec == "opus":
        enc = "audioconvert ! audioresample ! opusenc ! rtpopuspay name=pay1 pt=98"
    else:
        raise ValueError("unknown audio codec %r" % codec)
    if codec in ("pcmu", "pcma") and rate != 8000:
        log("warning: %s with rate %d; G.711 RTP is 8000 Hz" % (codec, rate))
    return src + " ! " + enc


def mount_launch(m):
    if m.get("relay"):
        # An NVR re-streaming a camera it records: the camera's H.264 RTP taken with rtspsrc
        # (over TCP), depayloaded and payloaded again, as the NVR's own mount.
        return ("( rtspsrc location=%s protocols=tcp latency=0 ! rtph264depay ! h264parse ! "
                "rtph264pay name=pay0 pt=96 config-interval=1 )" % m["relay"])
    parts = [video_launch(m["video"])]
    if m.get("audio"):
        parts.append(audio_launch(m["audio"]))
    return "( " + " ".join(parts) + " )"


class CountingAuth(GstRtspServer.RTSPAuth):
    """RTSPAuth that reports requests rejected because of bad credentials."""

    def __init__(self, label):
        super().__init__()
        self.label = label

    def do_authenticate(self, ctx):
        ok = GstRtspServer.RTSPAuth.do_authenticate(self, ctx)
        if ctx.token is None and self._has_authorization(ctx):
            # Wrong user/password (or stale digest): the request gets a 401.
            emit("AUTHFAIL %s" % self.label)
        return ok

    @staticmethod
    def _has_authorization(ctx):
        req = ctx.request
        if req is None:
            return False
        try:
            res, _value = req.get_header(GstRtsp.RTSPHeaderField.AUTHORIZATION, 0)
        except Exception:
            die("cannot read the Authorization header: %s" % traceback.format_exc())
        return res == GstRtsp.RTSPResult.OK


def make_auth(cfg, label):
    auth = CountingAuth(label)
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, ROLE)
    method = cfg["method"]
    if method == "digest":
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        auth.add_digest(cfg["user"], cfg["password"], token)
    elif method == "basic":
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(cfg["user"], cfg["password"]), token)
    else:
        raise ValueError("unknown auth method %r" % method)
    return auth


_pools = {}


class QueryMountPoints(GstRtspServer.RTSPMountPoints):
    """Mount points keyed by path *and* query string."""

    def do_make_path(self, url):
        path = url.abspath or "/"
        # Known limit (GStreamer 1.22): the client code builds SETUP/PLAY paths itself, keeping the
        # "/" that ends a Content-Base inside the query, so an aggregate PLAY of
        # rtsp://host/cam/realmonitor?channel=1&subtype=0/ (retina's way) gets 460. DESCRIBE and
        # ffmpeg's PLAY of the URL as given work. Tests do not PLAY query paths on this server.
        query = (url.query or "").rstrip("/")
        return path + ("?" + query if query else "")


class IgnoreQueryMountPoints(GstRtspServer.RTSPMountPoints):
    """Mount points that ignore the query string (a mount's own query too): what a server that
    takes no parameters from its URL does. What follows a "/" inside the query is kept as the
    path's tail, since a client builds its SETUP and PLAY URLs by appending the control to the
    Content-Base, which GStreamer makes of the request URL, query included
    (rtsp://host/cam/realmonitor?channel=1&subtype=0/stream=0); the "/" that ends an aggregate
    control URL goes too, as GStreamer's own path matching drops it for a plain path."""

    def do_make_path(self, url):
        path = (url.abspath or "/").rstrip("/") or "/"
        _, slash, tail = (url.query or "").partition("/")
        tail = tail.rstrip("/")
        return path + ("/" + tail if slash and tail else "")


class IgnoreQueryFactory(GstRtspServer.RTSPMediaFactory):
    """A factory whose shared media is one for every query string (GStreamer keys its cache of
    shared media by the URL, query included): the server that ignores the query serves one media,
    one encoder, whatever query a client asks with."""

    def do_gen_key(self, url):
        return "%d%s" % (url.get_port()[1], url.abspath or "/")


def on_stamp_media(_factory, media, video):
    """A new media of a stamped mount: start its frame thread, stop it when unprepared."""
    appsrc = media.get_element().get_by_name("stampsrc")
    appsrc.connect("seek-data", lambda *_: True)  # a live source: a seek changes nothing
    feeder = StampSource(appsrc, int(video["width"]), int(video["height"]), int(video["fps"]))
    media.connect("unprepared", lambda *_: feeder.stop.set())


def build_server(entry):
    address, port = entry["address"], int(entry["port"])
    label = "%s:%d" % (address, port)
    server = GstRtspServer.RTSPServer()
    server.set_address(address)
    server.set_service(str(port))
    if entry.get("backlog"):
        server.set_backlog(int(entry["backlog"]))
    auth_cfg = entry.get("auth")
    if auth_cfg:
        server.set_auth(make_auth(auth_cfg, label))
    # UDP transport: bind the per-client RTP/RTCP sockets to the server's own
    # loopback address (without a pool gst-rtsp-server binds them to 0.0.0.0).
    # One pool per address, so servers sharing an address never hand out the same port.
    pool = _pools.get(address)
    if pool is None:
        pool = _pools[address] = GstRtspServer.RTSPAddressPool()
        if not pool.add_range(address, address, UDP_PORT_MIN, UDP_PORT_MAX, 0):
            raise RuntimeError("cannot create UDP address pool for %s" % address)
    # Match mount paths with their query string, so Dahua-style paths such as
    # /cam/realmonitor?channel=1&subtype=0 are distinct mounts (the default ignores the query).
    ignore_query = bool(entry.get("ignore_query"))
    mounts = IgnoreQueryMountPoints() if ignore_query else QueryMountPoints()
    server.set_mount_points(mounts)
    for m in entry["mounts"]:
        factory = IgnoreQueryFactory() if ignore_query else GstRtspServer.RTSPMediaFactory()
        launch = mount_launch(m)
        factory.set_launch(launch)
        factory.connect("media-configure", lambda _f, _m, path=m["path"]: emit(
            "MEDIA %s %s" % (label, path)))
        video = m.get("video") or {}
        if video.get("stamp"):
            if int(video["width"]) < 8 * STAMP_BLOCKS or int(video["width"]) % STAMP_BLOCKS:
                raise ValueError("stamp needs a width that is a multiple of %d, at least %d"
                                 % (STAMP_BLOCKS, 8 * STAMP_BLOCKS))
            factory.connect("media-configure", on_stamp_media, video)
        # Shared media only when asked, see the module docstring ("Shared media").
        factory.set_shared(bool(entry.get("shared")))
        factory.set_address_pool(pool)
        if m.get("udp_only"):
            # A camera that refuses interleaved TCP: SETUP over TCP gets 461 (retina#103).
            factory.set_protocols(GstRtsp.RTSPLowerTrans.UDP)
        else:
            factory.set_protocols(GstRtsp.RTSPLowerTrans.TCP | GstRtsp.RTSPLowerTrans.UDP)
        if auth_cfg:
            factory.add_role_from_structure(Gst.Structure.new_from_string(
                "%s, media.factory.access=(boolean)true, "
                "media.factory.construct=(boolean)true" % ROLE))
        for path in [m["path"]] + list(m.get("aliases") or []):
            mounts.add_factory(path.split("?", 1)[0] if ignore_query else path, factory)
            log("rtsp://%s%s -> %s" % (label, path, launch))
    options = {"server_header": entry.get("server_header"), "describes": bool(entry.get("describes"))}
    server.connect("client-connected", lambda _s, client: on_client(client, label, options))
    source_id = server.attach(None)
    if source_id == 0:
        raise RuntimeError("cannot listen on %s (address/port in use or not available?)" % label)
    return server


def on_client(client, label, options):
    """Say who connected; watch its DESCRIBE and PLAY requests (see the harness protocol)."""
    emit("CLIENT %s" % label)
    described = []

    @fatal_on_error
    def on_pre_describe(_client, ctx):
        uri = ctx.uri
        path = (uri.abspath or "/") + ("?" + uri.query if uri.query else "")
        emit("DESCRIBE %s %s" % (label, path))
        return GstRtsp.RTSPStatusCode.OK

    @fatal_on_error
    def on_send(_client, _ctx, message):
        message.remove_header(GstRtsp.RTSPHeaderField.SERVER, -1)
        message.add_header(GstRtsp.RTSPHeaderField.SERVER, options["server_header"])

    @fatal_on_error
    def on_describe(_client, _ctx):
        described.append(True)

    @fatal_on_error
    def on_play(_client, ctx):
        res, value = ctx.request.get_header(GstRtsp.RTSPHeaderField.RANGE, 0)
        got = value if res == GstRtsp.RTSPResult.OK and value else "none"
        emit("PLAY %s range=%s described=%d" % (label, got, 1 if described else 0))

    client.connect("describe-request", on_describe)
    if options["describes"]:
        client.connect("pre-describe-request", on_pre_describe)
    if options["server_header"]:
        # PyGObject warns (once per message) that it cannot read the signal's context argument,
        # which is not used here.
        warnings.filterwarnings("ignore", message="g_value_get_object")
        client.connect("send-message", on_send)
    client.connect("play-request", on_play)


def watch_stdin():
    """Exit as soon as stdin reaches EOF (the harness went away)."""
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    log("stdin closed, exiting")
    os._exit(0)


def main(argv):
    faulthandler.enable()
    if len(argv) != 2:
        sys.stderr.write("usage: %s CONFIG.json\n" % argv[0])
        return 2
    with open(argv[1]) as f:
        config = json.load(f)
    check_bindings()
    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, lambda *_: (loop.quit(), False)[1])
    servers = []
    try:
        for entry in config:
            servers.append(build_server(entry))
    except Exception as e:
        log("error: %s" % e)
        return 1
    # Watch stdin only now, so that a bind error is still reported (exit 1)
    # even when stdin is already at EOF.
    threading.Thread(target=watch_stdin, daemon=True).start()
    emit("READY")
    loop.run()
    log("signal received, exiting")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
