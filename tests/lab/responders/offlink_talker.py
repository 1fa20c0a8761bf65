#!/usr/bin/env python3
"""OUR FAKE: what a camera on the wrong subnet keeps doing: trying to reach a host beyond its gateway
(its NTP server, its NVR, its cloud). Sends one UDP datagram to DEST:PORT every INTERVAL seconds.
The datagram itself goes nowhere: DEST is off the camera's subnet, so the camera's own kernel has to
resolve its gateway first and broadcasts an ARP request "who has GATEWAY? tell CAMERA" (RFC 826),
which nobody answers when the gateway does not exist. Those kernel-made ARP requests are what
camscan's passive ARP listener hears. Standard library only.

    python3 offlink_talker.py DEST [--port 123] [--interval 0.3]

stdout contract: `READY` once the socket is open; exits when stdin reaches EOF.
"""

import argparse
import socket
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dest")
    ap.add_argument("--port", type=int, default=123)
    ap.add_argument("--interval", type=float, default=0.3)
    args = ap.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    done = threading.Event()

    def talk():
        while not done.is_set():
            try:
                sock.sendto(b"\x1b" + b"\0" * 47, (args.dest, args.port))  # an SNTP client request
            except OSError:
                pass  # EHOSTUNREACH once the gateway's resolution has failed: try again later
            time.sleep(args.interval)

    threading.Thread(target=talk, daemon=True).start()
    print("READY", flush=True)
    sys.stdin.read()
    done.set()


if __name__ == "__main__":
    main()
