#!/usr/bin/env python3
"""OUR FAKE: a tarpit. Accepts TCP connections on ADDRESS at each PORT and never sends a byte (the
connections stay open until the peer gives up). Prints READY once listening; exits on stdin EOF.

    python3 tarpit.py ADDRESS PORT [PORT...]
"""

import socket
import sys
import threading


def serve(sock, held):
    while True:
        conn, _ = sock.accept()
        held.append(conn)  # keep it open, say nothing
        if len(held) > 4096:
            held.pop(0).close()


def main():
    address, ports = sys.argv[1], [int(p) for p in sys.argv[2:]]
    held = []
    for port in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((address, port))
        s.listen(256)
        threading.Thread(target=serve, args=(s, held), daemon=True).start()
    print("READY", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
