#!/usr/bin/python3
"""An ONVIF camera's RTSP server with a talk-back (audio backchannel), for camscan's tests.

What it is
    GStreamer's own ONVIF RTSP server (gst-rtsp-server 1.22 from Debian, through python3-gi and
    gir1.2-gst-rtsp-server-1.0): GstRtspServer.RTSPOnvifServer with one
    GstRtspServer.RTSPOnvifMediaFactory mount. The mount serves H.264 video (videotestsrc, x264)
    and PCMU audio (audiotestsrc) and has a backchannel: a client that sends
    `Require: www.onvif.org/ver20/backchannel` with its DESCRIBE gets one more audio section,
    `a=sendonly`, that it may send PCMU/8000 into (the server depayloads it into a fakesink).
    Nothing in the server is configured to suit camscan: the requirement handling is
    gst-rtsp-server's (RTSPOnvifClient's check-requirements).

    Must be run with the system interpreter (/usr/bin/python3).

Usage
    onvif_rtsp_server.py ADDRESS PORT [--path /onvif/main] [--auth USER:PASSWORD]
    PORT 0 lets the system choose; the port taken is printed before READY as "PORT <n>".
    --auth puts the mount behind Digest (as a camera's RTSP port is).

Protocol with the test harness (stdout is line based, everything else goes to stderr)
    * "PORT <n>" then "READY" once the server listens; exit status 1 without READY when it cannot.
    * "CLIENT <address>:<port>" each time an RTSP client connects.
    * "DESCRIBE require=<Require header or none>" for each DESCRIBE, so a test counts them.
    * "AUTHFAIL <address>:<port>" each time a request that carried an Authorization header is
      refused.
    * The process exits when its stdin reaches EOF; SIGTERM / SIGINT also stop it.
"""

import argparse
import faulthandler
import os
import signal
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

Gst.init(None)

ROLE = "user"

# The media: video and audio the camera sends. gst-rtsp-server pays out each `payN` element.
LAUNCH = (
    "( videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=10/1 "
    "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=10 ! rtph264pay name=pay0 pt=96 "
    "audiotestsrc is-live=true ! audio/x-raw,rate=8000,channels=1 ! mulawenc "
    "! rtppcmupay name=pay1 pt=0 )"
)

# The backchannel: what the client sends. RTSPOnvifMediaFactory's documented form: a bin whose
# element named `depay_backchannel` receives the client's RTP (gst-rtsp-server,
# rtsp-onvif-media-factory.c, gst_rtsp_onvif_media_factory_set_backchannel_launch).
BACKCHANNEL = (
    '( capsfilter caps="application/x-rtp, media=audio, payload=0, clock-rate=8000, '
    'encoding-name=PCMU" name=depay_backchannel ! rtppcmudepay ! fakesink async=false )'
)


def log(msg):
    sys.stderr.write("onvif_rtsp_server: %s\n" % msg)
    sys.stderr.flush()


def emit(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Auth(GstRtspServer.RTSPAuth):
    """Digest, saying AUTHFAIL for each request whose Authorization was refused."""

    def __init__(self, label):
        super().__init__()
        self.label = label

    def do_authenticate(self, ctx):
        ok = GstRtspServer.RTSPAuth.do_authenticate(self, ctx)
        if not ok:
            res, value = ctx.request.get_header(GstRtsp.RTSPHeaderField.AUTHORIZATION, 0)
            if res == GstRtsp.RTSPResult.OK and value:
                emit("AUTHFAIL %s" % self.label)
        return ok


def on_client(client, label):
    emit("CLIENT %s" % label)

    def on_describe(_client, ctx):
        res, value = ctx.request.get_header(GstRtsp.RTSPHeaderField.REQUIRE, 0)
        emit("DESCRIBE require=%s" % (value if res == GstRtsp.RTSPResult.OK and value else "none"))

    client.connect("describe-request", on_describe)


def watch_stdin():
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    log("stdin closed, exiting")
    os._exit(0)


def main():
    faulthandler.enable()
    p = argparse.ArgumentParser()
    p.add_argument("address")
    p.add_argument("port", type=int)
    p.add_argument("--path", default="/onvif/main")
    p.add_argument("--auth", default=None)
    args = p.parse_args()
    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, lambda *_: (loop.quit(), False)[1])

    server = GstRtspServer.RTSPOnvifServer.new()
    server.set_address(args.address)
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPOnvifMediaFactory.new()
    factory.set_launch(LAUNCH)
    factory.set_backchannel_launch(BACKCHANNEL)
    # The factory builds ONVIF media only (its construct returns nothing for another media type),
    # as GStreamer's own example, examples/test-onvif-backchannel.c, sets it.
    factory.set_media_gtype(GstRtspServer.RTSPOnvifMedia)
    factory.set_protocols(GstRtsp.RTSPLowerTrans.TCP | GstRtsp.RTSPLowerTrans.UDP)
    label_holder = {}
    if args.auth:
        user, _, password = args.auth.partition(":")
        auth = Auth(args.address)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, ROLE)
        auth.add_digest(user, password, token)
        server.set_auth(auth)
        label_holder["auth"] = auth
        factory.add_role_from_structure(Gst.Structure.new_from_string(
            "%s, media.factory.access=(boolean)true, "
            "media.factory.construct=(boolean)true" % ROLE))
    server.get_mount_points().add_factory(args.path, factory)
    source_id = server.attach(None)
    if source_id == 0:
        log("cannot listen on %s:%d" % (args.address, args.port))
        return 1
    port = server.get_bound_port()
    label = "%s:%d" % (args.address, port)
    if "auth" in label_holder:
        label_holder["auth"].label = label
    server.connect("client-connected", lambda _s, client: on_client(client, label))
    log("rtsp://%s%s -> %s; backchannel %s" % (label, args.path, LAUNCH, BACKCHANNEL))
    threading.Thread(target=watch_stdin, daemon=True).start()
    emit("PORT %d" % port)
    emit("READY")
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
