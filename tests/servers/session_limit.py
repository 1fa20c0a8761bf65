#!/usr/bin/python3
"""A camera that allows few RTSP sessions, for camscan's session-cap tests (tests/rtsp_manners.rs).

Cheap cameras and NVRs allow 2-4 RTSP sessions; beyond that they answer SETUP with
`453 Not Enough Bandwidth` and DESCRIBE with `503 Service Unavailable` (Dahua also does this while
its connection limit is full, rroller/dahua#603). This fake does exactly that, counting sessions:

    session_limit.py ADDRESS PORT LIMIT CHANNELS [BUSY_PLAYS]

serves Hikvision-style paths /Streaming/Channels/<ch>01 and <ch>02 for ch = 1..CHANNELS (every
other path 404), allows LIMIT sessions at once (a session lives from SETUP until TEARDOWN or its
connection closes), and streams H.264-shaped RTP over the RTSP connection (interleaved, RFC 2326
§10.12) at 25 fps after PLAY: an IDR slice every 25 frames, non-IDR slices between, timestamps
3600 ticks apart at 90 kHz. Standard library only.

With BUSY_PLAYS (default 0), the first BUSY_PLAYS PLAY requests it is sent are answered
`503 Service Unavailable` on a session set up and kept, as GStreamer's server answers a PLAY while
the shared media another client just left is being torn down (gst-rtsp-server rtsp-client.c,
handle_play_request: unsuspend_failed, or setup_play_mode's seek_failed); a PLAY sent again on that
session is served.

Prints READY once listening, then `SESSIONS N` every time the number of live sessions changes,
`REFUSED METHOD` for every 453/503 it answers, `SETUP <session>` for every session it sets up and
`PLAY <session> <status> <monotonic ms>` for every PLAY. Exits when stdin reaches EOF.
"""

import os
import random
import socket
import struct
import sys
import threading
import time

LOCK = threading.Lock()
ACTIVE = [0]


def emit(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def change(delta):
    with LOCK:
        ACTIVE[0] += delta
        emit("SESSIONS %d" % ACTIVE[0])


def sdp(address):
    return ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=Session\r\nt=0 0\r\n"
            "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
            "a=fmtp:96 packetization-mode=1;profile-level-id=42c01e\r\n"
            "a=control:trackID=0\r\n" % address).encode()


def serve(conn, address, limit, paths, busy_plays):
    buf = b""
    session = None  # our session id once SETUP succeeded
    playing = threading.Event()
    closed = threading.Event()
    wlock = threading.Lock()

    def send(data):
        with wlock:
            conn.sendall(data)

    def stream():
        seq, ts, frame = random.randrange(65536), random.randrange(1 << 32), 0
        ssrc = random.randrange(1 << 32)
        while not closed.is_set():
            if playing.is_set():
                nal = b"\x65" if frame % 25 == 0 else b"\x41"
                payload = nal + bytes(200)
                rtp = struct.pack("!BBHII", 0x80, 0x80 | 96, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + payload
                try:
                    send(b"$\x00" + struct.pack("!H", len(rtp)) + rtp)
                except OSError:
                    return
                seq, ts, frame = seq + 1, ts + 3600, frame + 1
            time.sleep(0.04)

    threading.Thread(target=stream, daemon=True).start()
    try:
        while True:
            # Interleaved frames from the client (RTCP receiver reports: '$', channel, length).
            while buf[:1] == b"$" and len(buf) >= 4 and len(buf) >= 4 + struct.unpack("!H", buf[2:4])[0]:
                buf = buf[4 + struct.unpack("!H", buf[2:4])[0]:]
            if buf[:1] == b"$" or b"\r\n\r\n" not in buf:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                buf += chunk
                continue
            head, _, buf = buf.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, url = (lines[0].split(" ") + ["", ""])[:2]
            cseq = next((l.split(":", 1)[1].strip() for l in lines if l.lower().startswith("cseq:")), "0")
            path = "/" + url.split("/", 3)[3] if url.count("/") >= 3 else "/"
            base = path.split("/trackID")[0]
            reply = "RTSP/1.0 %s\r\nCSeq: %s\r\n"
            if method == "OPTIONS":
                send((reply % ("200 OK", cseq) + "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\n\r\n").encode())
            elif method == "DESCRIBE":
                if base not in paths:
                    send((reply % ("404 Not Found", cseq) + "\r\n").encode())
                elif ACTIVE[0] >= limit and session is None:
                    emit("REFUSED DESCRIBE")
                    send((reply % ("503 Service Unavailable", cseq) + "\r\n").encode())
                else:
                    body = sdp(address)
                    send((reply % ("200 OK", cseq) + "Content-Base: rtsp://%s%s/\r\n"
                          "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n"
                          % (address, base, len(body))).encode() + body)
            elif method == "SETUP":
                with LOCK:
                    full = ACTIVE[0] >= limit and session is None
                if full:
                    emit("REFUSED SETUP")
                    send((reply % ("453 Not Enough Bandwidth", cseq) + "\r\n").encode())
                    continue
                if session is None:
                    session = "%08x" % random.randrange(1 << 32)
                    change(+1)
                    emit("SETUP %s" % session)
                send((reply % ("200 OK", cseq) + "Session: %s;timeout=60\r\n"
                      "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n" % session).encode())
            elif method == "PLAY":
                with LOCK:
                    busy = busy_plays[0] > 0
                    busy_plays[0] -= busy
                now = int(time.monotonic() * 1000)
                if busy:
                    emit("PLAY %s 503 %d" % (session, now))
                    emit("REFUSED PLAY")
                    send((reply % ("503 Service Unavailable", cseq) + "\r\n").encode())
                    continue
                emit("PLAY %s 200 %d" % (session, now))
                send((reply % ("200 OK", cseq) + "Session: %s\r\n\r\n" % session).encode())
                playing.set()
            elif method == "TEARDOWN":
                playing.clear()
                # The session ends before the answer leaves: a client that starts its next session
                # on the 200 must not be counted beside this one.
                if session is not None:
                    session = None
                    change(-1)
                send((reply % ("200 OK", cseq) + "\r\n").encode())
            else:
                send((reply % ("200 OK", cseq) + "\r\n").encode())
    except OSError:
        pass
    finally:
        closed.set()
        if session is not None:
            change(-1)
        conn.close()


def main(argv):
    if len(argv) not in (5, 6):
        sys.stderr.write("usage: %s ADDRESS PORT LIMIT CHANNELS [BUSY_PLAYS]\n" % argv[0])
        return 2
    address, port, limit, channels = argv[1], int(argv[2]), int(argv[3]), int(argv[4])
    busy_plays = [int(argv[5]) if len(argv) == 6 else 0]
    paths = {"/Streaming/Channels/%d%02d" % (ch, s) for ch in range(1, channels + 1) for s in (1, 2)}
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((address, port))
    lsock.listen(64)

    def accept():
        while True:
            conn, _ = lsock.accept()
            threading.Thread(target=serve, args=(conn, address, limit, paths, busy_plays), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    emit("READY")
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
