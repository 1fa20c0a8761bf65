#!/usr/bin/env python3
"""A camera served by PyPI's rtsp-rs (its Python binding of the rtsp-rs server library), as its
README runs it: `rtsp.Server(ADDR).start()`, then H.264 access units pushed with
`send_frame(au, 90000 // fps)`. Its manners (rtsp-rs 0.1.8): SETUP over TCP is refused (`461
Unsupported Transport`, "use RTP/AVP (UDP), e.g. ffplay -rtsp_transport udp"), any path is
described, and the RTP of a UDP session comes from an ephemeral port, not the `server_port` its
SETUP answer names.

usage: rtsp_rs_camera.py ADDRESS:PORT

The frames: 10 s of ffmpeg's test pattern, 320x240 at 10 fps, x264 with an AUD before each access
unit (so the stream splits into access units at them), looped. READY once serving; exits when
stdin reaches EOF (the harness's contract).
"""

import os
import subprocess
import sys
import tempfile
import threading
import time

import rtsp

FPS = 10
AUD = b"\x00\x00\x00\x01\x09"


def access_units():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "pattern.h264")
        subprocess.run(
            ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi",
             "-i", f"testsrc=size=320x240:rate={FPS}", "-t", "10",
             "-c:v", "libx264", "-g", str(FPS), "-bf", "0", "-pix_fmt", "yuv420p",
             "-x264-params", "aud=1", "-f", "h264", path],
            check=True,
        )
        with open(path, "rb") as f:
            data = f.read()
    return [AUD + part for part in data.split(AUD) if part]


def main():
    units = access_units()
    server = rtsp.Server(sys.argv[1])
    server.start()
    stop = threading.Event()

    def feed():
        i = 0
        next_at = time.monotonic()
        while not stop.is_set():
            server.send_frame(units[i % len(units)], 90000 // FPS)
            i += 1
            next_at += 1 / FPS
            time.sleep(max(0.0, next_at - time.monotonic()))

    threading.Thread(target=feed, daemon=True).start()
    print("READY", flush=True)
    sys.stdin.read()
    stop.set()
    server.stop()


if __name__ == "__main__":
    main()
