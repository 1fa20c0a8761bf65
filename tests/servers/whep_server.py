#!/usr/bin/env python3
"""A WHEP endpoint for camscan's media lab, on aiortc's WebRTC stack (PyPI aiortc).

No WHEP server is packaged for Debian 12 or PyPI here (MediaMTX and go2rtc are Go binaries from
GitHub releases; GStreamer's whepserversink lives in gst-plugins-rs, not in bookworm; crates.io's
srt_whep 2.x needs that same plugin). So the HTTP signalling is this script's, shaped after
MediaMTX's WebRTC listener (bluenviron/mediamtx internal/servers/webrtc/http_server.go):

    OPTIONS /<path>/whep   204, Access-Control-Allow-Methods: OPTIONS, GET, POST, PATCH, DELETE
    POST    /<path>/whep   an SDP offer -> 201 Created, application/sdp answer, Location of the session
                           (404 with a JSON error when <path> is not one this server has)
    DELETE  <Location>     ends the session
    GET     /              404 "404 page not found" (Go's default)

while the SDP answer (codecs chosen from the offer, ICE credentials, DTLS fingerprint) is made by
aiortc's RTCPeerConnection with a real video track (aiortc's VideoStreamTrack) and audio track
(AudioStreamTrack). No ICE candidates come in the offers camscan sends, so no media flows and no
packet leaves loopback.

GET /_lab/sessions answers {"created": N, "open": N, "deleted": N} for the tests: camscan must
delete every session it creates.

Usage: whep_server.py --listen 127.0.0.60:8889 [--path cam]
"""

import argparse
import asyncio
import json
import uuid

from aiohttp import web
from aiortc import AudioStreamTrack, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
import aiortc

SERVER = "camscan-lab-whep (aiortc %s)" % aiortc.__version__
ALLOW = "OPTIONS, GET, POST, PATCH, DELETE"


class Endpoint:
    def __init__(self, paths):
        self.paths = set(paths)
        self.sessions = {}
        self.created = 0
        self.deleted = 0

    def cors(self, resp):
        resp.headers["Server"] = SERVER
        resp.headers["Access-Control-Allow-Origin"] = "*"
        resp.headers["Access-Control-Allow-Credentials"] = "true"
        return resp

    async def options(self, request):
        resp = web.Response(status=204)
        resp.headers["Access-Control-Allow-Methods"] = ALLOW
        resp.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, If-Match"
        resp.headers["Access-Control-Expose-Headers"] = "Link"
        return self.cors(resp)

    async def offer(self, request):
        name = request.match_info["name"]
        if request.content_type != "application/sdp":
            return self.cors(web.json_response({"error": "invalid Content-Type"}, status=400))
        if name not in self.paths:
            return self.cors(web.json_response(
                {"error": "no stream is available on path '%s'" % name}, status=404))
        text = await request.text()
        pc = RTCPeerConnection()
        pc.addTrack(VideoStreamTrack())
        pc.addTrack(AudioStreamTrack())
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=text, type="offer"))
            answer = await pc.createAnswer()
            await pc.setLocalDescription(answer)
        except Exception as e:  # a broken offer: say so, as MediaMTX does
            await pc.close()
            return self.cors(web.json_response({"error": str(e)}, status=400))
        secret = str(uuid.uuid4())
        self.sessions[secret] = pc
        self.created += 1
        resp = web.Response(status=201, body=pc.localDescription.sdp.encode(),
                            content_type="application/sdp")
        resp.headers["Location"] = "/%s/whep/%s" % (name, secret)
        resp.headers["ETag"] = '"*"'
        resp.headers["Access-Control-Expose-Headers"] = "ETag, Link, Location"
        return self.cors(resp)

    async def delete(self, request):
        pc = self.sessions.pop(request.match_info["secret"], None)
        if pc is None:
            return self.cors(web.json_response({"error": "session not found"}, status=404))
        await pc.close()
        self.deleted += 1
        return self.cors(web.Response(status=200))

    async def not_found(self, request):
        return self.cors(web.Response(status=404, text="404 page not found\n"))

    async def stats(self, request):
        return web.json_response({"created": self.created, "open": len(self.sessions),
                                  "deleted": self.deleted})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True, help="IP:PORT (loopback)")
    ap.add_argument("--path", action="append", default=None, help="stream path name (repeatable)")
    args = ap.parse_args()
    host, port = args.listen.rsplit(":", 1)
    if not host.startswith("127."):
        raise SystemExit("whep_server.py listens on loopback only")
    ep = Endpoint(args.path or ["cam"])
    app = web.Application()
    app.router.add_route("OPTIONS", "/{name}/whep", ep.options)
    app.router.add_post("/{name}/whep", ep.offer)
    app.router.add_delete("/{name}/whep/{secret}", ep.delete)
    app.router.add_get("/_lab/sessions", ep.stats)
    app.router.add_route("*", "/{tail:.*}", ep.not_found)
    web.run_app(app, host=host, port=int(port), print=None, access_log=None,
                handle_signals=True)


if __name__ == "__main__":
    main()
