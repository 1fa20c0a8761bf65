#!/usr/bin/env python3
"""A real WS-Discovery target service: PyPI `WSDiscovery` 2.1.2 (andreikop/python-ws-discovery) publishing
an ONVIF NetworkVideoTransmitter. Run it inside a lab host namespace (it joins 239.255.255.250 and binds
UDP 0.0.0.0:3702 there).

    python3 wsd_responder.py ADDRESS [options] [SCOPE_OR_XADDR ...]

ADDRESS            the host's own IPv4 address (e.g. 198.18.0.11): the only address whose interface joins
                   the multicast group; the default XAddr is built from it. An IPv6 address (e.g.
                   fd00:cafe::22, in an IPv6-only namespace) runs the library's own IPv6 networking
                   instead: it joins FF02::C on that address's interface and answers over IPv6.
SCOPE_OR_XADDR     each argument starting with http:// or https:// is an XAddr, every other one a scope.
                   With no scope given the ONVIF defaults below are published; with no XAddr given,
                   http://ADDRESS:8000/onvif/device_service.
--config FILE      JSON {"scopes": [...], "xaddrs": [...], "types": "nvt"|"nvt+device", "epr": "urn:uuid:..."};
                   command-line values are added to / override it.
--epr URN          endpoint reference (default: a UUID5 of ADDRESS, stable between runs).
--nvt-only         publish only dn:NetworkVideoTransmitter (default adds tds:Device, as real cameras do).

Contract: prints exactly `READY` on stdout (flushed) once the socket is bound and the group joined;
exits (os._exit(0), no Bye sent) when stdin reaches EOF; logs every Probe it handles to stderr.
On SIGTERM it shuts down as a device leaving the network gracefully does: the library multicasts a Bye
(clearLocalServices(): 4 copies, as the Hello) and stop() waits until they are sent; then it prints
`BYE` and exits.

What the library does (read from its source, verified in the lab; see README.md):
- the Probe is answered with one ProbeMatches, unicast to the probe's source address and port, sent
  TWICE (same MessageID: SOAP-over-UDP repetition), after a random 0..500 ms delay (APP_MAX_DELAY);
- the reply leaves from an unbound socket, i.e. an EPHEMERAL source port, not 3702;
- a Probe with no Types (or no Scopes) matches every service;
- a second Probe with an already seen MessageID is ignored.
"""

import argparse
import ipaddress
import json
import logging
import os
import signal
import socket
import sys
import threading
import uuid

import wsdiscovery.threaded as wsd_threaded
from wsdiscovery import QName, Scope
from wsdiscovery.publishing import ThreadedWSPublishing

NS_NETWORK_WSDL = "http://www.onvif.org/ver10/network/wsdl"
NS_DEVICE_WSDL = "http://www.onvif.org/ver10/device/wsdl"

DEFAULT_SCOPES = [
    "onvif://www.onvif.org/type/video_encoder",
    "onvif://www.onvif.org/Profile/Streaming",
    "onvif://www.onvif.org/name/Lab%20Camera",
    "onvif://www.onvif.org/hardware/DS-2CD2043G2-I",
    "onvif://www.onvif.org/location/lab",
    "onvif://www.onvif.org/MAC/44:19:b6:00:00:11",
]

log = logging.getLogger("wsd_responder")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("address")
    p.add_argument("items", nargs="*", metavar="SCOPE_OR_XADDR")
    p.add_argument("--config")
    p.add_argument("--epr")
    p.add_argument("--nvt-only", action="store_true")
    a = p.parse_args(argv)
    ip = ipaddress.ip_address(a.address)  # fail early on a bad address
    cfg = {}
    if a.config:
        with open(a.config, encoding="utf-8") as f:
            cfg = json.load(f)
    scopes = list(cfg.get("scopes", []))
    xaddrs = list(cfg.get("xaddrs", []))
    for item in a.items:
        (xaddrs if item.startswith(("http://", "https://")) else scopes).append(item)
    if not scopes:
        scopes = list(DEFAULT_SCOPES)
    if not xaddrs:
        host = f"[{a.address}]" if ip.version == 6 else a.address
        xaddrs = [f"http://{host}:8000/onvif/device_service"]
    nvt_only = a.nvt_only or cfg.get("types") == "nvt"
    epr = a.epr or cfg.get("epr") or uuid.uuid5(uuid.NAMESPACE_URL, "camscan-lab-" + a.address).urn
    return a.address, scopes, xaddrs, nvt_only, epr


def restrict_to(address):
    """Make the library see only ADDRESS (it would otherwise join the group on every non-loopback
    address, and watch them every 5 s), and run it IPv4-only: its IPv6 thread binds a dual-stack
    [::]:3702 socket and tries to answer IPv4 peers from it, which raises inside its thread.
    With an IPv6 ADDRESS, the other way round: the library's IPv6 thread (NetworkingThreadIPv6, as
    it is) sees only ADDRESS, scoped to its interface (the library joins FF02::C on the interface
    its address's scope id names; its own address lookup skips link-local addresses and gives a
    unique-local one scope id 0), and its IPv4 thread sees no address."""
    if ipaddress.ip_address(address).version == 6:
        import ifaddr
        index = next(a.index for a in ifaddr.get_adapters() for i in a.ips
                     if isinstance(i.ip, tuple) and ipaddress.ip_address(i.ip[0]) == ipaddress.ip_address(address))
        scoped = ipaddress.IPv6Address(f"{address}%{index}")
        wsd_threaded._getNetworkAddrs = lambda family: [scoped] if family == socket.AF_INET6 else []
        # The library queues every unicast reply on both its threads (ThreadedNetworking.
        # sendUnicastMessage); the IPv4 one's AF_INET socket raises socket.gaierror on an IPv6
        # peer and that thread dies (seen in the lab). Its IPv4 thread gets only IPv4 peers here;
        # the IPv6 thread, which delivers the reply, is left as it is.
        v4_add = wsd_threaded.NetworkingThreadIPv4.addUnicastMessage

        def add_unicast_v4_only(self, env, addr, port, *args, **kwargs):
            if ":" not in str(addr):
                v4_add(self, env, addr, port, *args, **kwargs)

        wsd_threaded.NetworkingThreadIPv4.addUnicastMessage = add_unicast_v4_only
        return
    only = ipaddress.IPv4Address(address)

    def addrs(family):
        return [only] if family == socket.AF_INET else []

    wsd_threaded._getNetworkAddrs = addrs

    class NoIPv6(wsd_threaded.NetworkingThreadIPv6):
        def __init__(self, observer):
            raise OSError("IPv6 disabled by wsd_responder")

    wsd_threaded.NetworkingThreadIPv6 = NoIPv6


class Responder(ThreadedWSPublishing):
    def _handle_probe(self, env, addr):
        types = " ".join(t.getFullname() for t in env.getTypes()) or "(none)"
        scopes = " ".join(s.getValue() for s in env.getScopes()) or "(none)"
        log.info("Probe %s from %s:%s types=%s scopes=%s", env.getMessageId(), addr[0], addr[1], types, scopes)
        super()._handle_probe(env, addr)

    def _handle_resolve(self, env, addr):
        log.info("Resolve %s from %s:%s epr=%s", env.getMessageId(), addr[0], addr[1], env.getEPR())
        super()._handle_resolve(env, addr)


def watch_stdin():
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except Exception:
        pass
    log.info("stdin closed: exiting")
    os._exit(0)


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="wsd_responder: %(message)s")
    address, scopes, xaddrs, nvt_only, epr = parse_args(sys.argv[1:])
    restrict_to(address)
    types = [QName(NS_NETWORK_WSDL, "NetworkVideoTransmitter", "dn")]
    if not nvt_only:
        types.append(QName(NS_DEVICE_WSDL, "Device", "tds"))
    wsd = Responder(uuid_=epr)
    wsd.start()  # binds 0.0.0.0:3702 and joins 239.255.255.250 on ADDRESS's interface before returning
    wsd.publishService(types, [Scope(s) for s in scopes], xaddrs)  # also multicasts a Hello (4 copies)
    log.info("publishing %s on %s: types=%s xaddrs=%s scopes=%s", epr, address,
             [t.getFullname() for t in types], xaddrs, scopes)
    threading.Thread(target=watch_stdin, daemon=True).start()

    def leave(_signum, _frame):
        # The library's Bye: clearLocalServices() queues one per published service (4 copies each).
        # Its stop() alone resolves to ThreadedNetworking.stop (method order) and sends none; it does
        # drain the send queue before its threads end.
        wsd.clearLocalServices()
        wsd.stop()
        log.info("SIGTERM: Bye sent, exiting")
        sys.stdout.write("BYE\n")
        sys.stdout.flush()
        os._exit(0)

    signal.signal(signal.SIGTERM, leave)
    sys.stdout.write("READY\n")
    sys.stdout.flush()
    threading.Event().wait()


if __name__ == "__main__":
    main()
