#!/usr/bin/env python3
"""OUR FAKE: a picky WS-Discovery target service, for the edge cases real cameras show and no library
reproduces. Not camera firmware and not a library: written for camscan's tests (standard library only).

    python3 picky_wsd.py ADDRESS [--only-typed] [--only-compact-unicast] [--only-pretty-unicast]
                         [--xaddr URL] [--name NAME]

ADDRESS                 the host's own IPv4 address: it binds ADDRESS:3702 (unicast Probes) and
                        239.255.255.250:3702 joined on ADDRESS's interface (multicast Probes).
--only-typed            answer only a Probe whose Types names dn:NetworkVideoTransmitter or tds:Device
                        (devices that ignore a Probe without Types); a Probe with no Types is ignored.
--only-compact-unicast  answer only a Probe sent unicast to ADDRESS:3702 whose XML has no line break
                        (devices that answer a unicast Probe only when its XML is on one line); every
                        multicast Probe and every pretty-printed one is ignored.
--only-pretty-unicast   the other way round: answer only a unicast Probe with line breaks between its
                        elements (devices whose parser was only ever fed pretty-printed XML).
--xaddr URL             the XAddr announced (default http://ADDRESS:8000/onvif/device_service).
--name NAME             the ONVIF name scope (default "Picky Camera"), percent-encoded in the reply.

The reply is the ProbeMatches the real PyPI WSDiscovery 2.1.2 sends, captured byte for byte in
fixtures/wsdiscovery_probematches_unicast.xml (its toprettyxml() layout, prefixes and header), with this
device's values put in: MessageID (fresh), RelatesTo (the Probe's MessageID), the endpoint reference
(a UUID5 of ADDRESS), the name scope, the MAC scope and the XAddr. Like the library, it ignores a Probe
whose MessageID it has already seen and answers from an ephemeral port to the Probe's source address and
port; unlike it, it answers at once (no 0-500 ms random delay) and once (no second copy).

Contract (as the other lab responders): prints `READY` on stdout once both sockets are bound; then one
line per Probe it reads, on stdout:
    ANSWERED <multicast|unicast> <compact|pretty> <typed TYPES|untyped> <MessageID>
    IGNORED <multicast|unicast> <compact|pretty> <typed TYPES|untyped> <MessageID> (<why>)
(a repeated MessageID prints nothing); exits when stdin reaches EOF.
"""

import argparse
import os
import re
import select
import socket
import struct
import sys
import threading
import urllib.parse
import uuid

GROUP = "239.255.255.250"
PORT = 3702
FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures",
                       "wsdiscovery_probematches_unicast.xml")


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def text_of(xml, local):
    """The text of the first element whose local name is LOCAL, or None when there is none."""
    m = re.search(r"<(?:[\w.-]+:)?%s(?:\s[^>]*)?>(.*?)</(?:[\w.-]+:)?%s\s*>" % (local, local), xml, re.S)
    return m.group(1).strip() if m else None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("address")
    p.add_argument("--only-typed", action="store_true")
    p.add_argument("--only-compact-unicast", action="store_true")
    p.add_argument("--only-pretty-unicast", action="store_true")
    p.add_argument("--xaddr")
    p.add_argument("--name", default="Picky Camera")
    a = p.parse_args()
    xaddr = a.xaddr or f"http://{a.address}:8000/onvif/device_service"
    epr = uuid.uuid5(uuid.NAMESPACE_URL, "camscan-picky-" + a.address).urn
    mac = "02:00:00:00:00:%02x" % (int(a.address.rsplit(".", 1)[1]) & 0xFF)
    with open(FIXTURE, encoding="utf-8") as f:
        template = f.read()
    template = (template
                .replace("urn:uuid:bbb5242c-7a3c-5dac-9499-5d54f3d33f8c", epr)
                .replace("http://198.18.0.11:8000/onvif/device_service", xaddr)
                .replace("name/Lab%20Camera", "name/" + urllib.parse.quote(a.name))
                .replace("MAC/44:19:b6:00:00:11", "MAC/" + mac))

    multicast = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    multicast.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    multicast.bind((GROUP, PORT))  # the group's datagrams only
    mreq = struct.pack("4s4s", socket.inet_aton(GROUP), socket.inet_aton(a.address))
    multicast.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    unicast = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    unicast.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    unicast.bind((a.address, PORT))  # datagrams to ADDRESS only
    reply_from = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)

    def watch_stdin():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except Exception:
            pass
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    say("READY")
    seen = set()
    while True:
        ready, _, _ = select.select([multicast, unicast], [], [])
        for sock in ready:
            data, peer = sock.recvfrom(65536)
            xml = data.decode("utf-8", "replace")
            action = text_of(xml, "Action") or ""
            if not action.endswith("/discovery/Probe"):
                continue
            msg_id = text_of(xml, "MessageID") or ""
            if msg_id in seen:
                continue
            seen.add(msg_id)
            cast = "multicast" if sock is multicast else "unicast"
            layout = "pretty" if (b"\n" in data or b"\r" in data) else "compact"
            types = (text_of(xml, "Types") or "").split()
            what = f"{cast} {layout} " + ("typed " + ",".join(types) if types else "untyped")
            why = None
            if a.only_typed and not any(t.split(":")[-1] in ("NetworkVideoTransmitter", "Device")
                                        for t in types):
                why = "only typed Probes are answered"
            if a.only_compact_unicast and (cast != "unicast" or layout != "compact"):
                why = "only compact unicast Probes are answered"
            if a.only_pretty_unicast and (cast != "unicast" or layout != "pretty"):
                why = "only pretty unicast Probes are answered"
            if why:
                say(f"IGNORED {what} {msg_id} ({why})")
                continue
            reply = (template
                     .replace("urn:uuid:7563db54-c47c-4896-bb14-642c8c646857", uuid.uuid4().urn)
                     .replace("urn:uuid:d4c78c2c-0af9-44e9-ac40-064b73a96079", msg_id))
            reply_from.sendto(reply.encode("utf-8"), peer)
            say(f"ANSWERED {what} {msg_id}")


if __name__ == "__main__":
    main()
