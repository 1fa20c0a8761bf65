#!/usr/bin/python3
"""A real UPnP root device: GUPnP 1.6 / GSSDP 1.6 (Debian packages, GObject introspection) publishing a
camera-like device description. Run it with Debian's /usr/bin/python3 inside a lab host namespace.

    /usr/bin/python3 ssdp_device.py ADDRESS [--friendly-name N] [--manufacturer M] [--model-name MN]
        [--model-number X] [--serial S] [--udn uuid:...] [--presentation-url URL] [--device-type URN]

ADDRESS   the host's own IPv4 address (e.g. 198.18.0.13): the GUPnP context is made for it (and the
          interface holding it), so SSDP and the HTTP server use that interface/address only.

Defaults describe an Axis P3301 (docs/design/protocols.md, "SSDP and UPnP"): deviceType
urn:schemas-upnp-org:device:Basic:1, friendlyName "AXIS P3301 - 00408CA45086", manufacturer AXIS,
modelName "AXIS P3301", modelNumber P3301, serialNumber 00408CA45086,
UDN uuid:Upnp-BasicDevice-1_0-00408CA45086, presentationURL http://ADDRESS/.

The description XML is written into a temporary directory at start; GUPnP serves it from its own
HTTP server (libsoup 3, a random port) and GSSDP announces the device (NOTIFY ssdp:alive) and answers
M-SEARCH for ssdp:all, upnp:rootdevice, uuid:..., and the device type.

Contract (as the other responders): prints exactly `READY` on stdout (flushed) once the HTTP server
listens and the first ssdp:alive round has gone out (about 0.75 s after start; see Readiness); exits
(os._exit(0), no ssdp:byebye, temp dir removed) when stdin reaches EOF; logs every M-SEARCH to stderr.
On SIGTERM it leaves as a device switched off gracefully does: the root device is made unavailable
(GSSDP multicasts ssdp:byebye for each of its NTs); once its own byebyes come back by multicast
loopback (or after READY_DEADLINE_MS) it prints `BYE` and exits.

Install (Debian 12): apt-get install -y python3-gi gir1.2-gupnp-1.6 gir1.2-gssdp-1.6
(these pull in libgupnp-1.6-0, libgssdp-1.6-0, gir1.2-soup-3.0 and libsoup-3.0).
"""

import argparse
import ipaddress
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
from xml.sax.saxutils import escape

import gi

gi.require_version("GLib", "2.0")
gi.require_version("Gio", "2.0")
gi.require_version("GSSDP", "1.6")
gi.require_version("GUPnP", "1.6")
gi.require_version("Soup", "3.0")
from gi.repository import Gio, GLib, GSSDP, GUPnP, Soup  # noqa: E402,F401  (Soup: the signal's headers)

DESCRIPTION_FILE = "description.xml"

log = logging.getLogger("ssdp_device")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("address")
    p.add_argument("--friendly-name", default="AXIS P3301 - 00408CA45086")
    p.add_argument("--manufacturer", default="AXIS")
    p.add_argument("--model-name", default="AXIS P3301")
    p.add_argument("--model-number", default="P3301")
    p.add_argument("--serial", default="00408CA45086")
    p.add_argument("--udn", default="uuid:Upnp-BasicDevice-1_0-00408CA45086")
    p.add_argument("--presentation-url", help="default: http://ADDRESS/")
    p.add_argument("--device-type", default="urn:schemas-upnp-org:device:Basic:1")
    a = p.parse_args(argv)
    ipaddress.IPv4Address(a.address)  # fail early on a bad address
    if not a.udn.startswith("uuid:"):
        p.error("--udn must start with uuid:")
    if a.presentation_url is None:
        a.presentation_url = f"http://{a.address}/"
    return a


def description_xml(a):
    fields = [
        ("deviceType", a.device_type),
        ("friendlyName", a.friendly_name),
        ("manufacturer", a.manufacturer),
        ("modelName", a.model_name),
        ("modelNumber", a.model_number),
        ("serialNumber", a.serial),
        ("UDN", a.udn),
        ("presentationURL", a.presentation_url),
    ]
    body = "".join(f"    <{k}>{escape(v)}</{k}>\n" for k, v in fields)
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<root xmlns="urn:schemas-upnp-org:device-1-0">\n'
            "  <specVersion>\n    <major>1</major>\n    <minor>0</minor>\n  </specVersion>\n"
            "  <device>\n" + body + "  </device>\n</root>\n")


# GSSDPClient::message-received message types (_GSSDPMessageType in gssdp-protocol.h).
MSG_DISCOVERY_REQUEST = 0
MSG_ANNOUNCEMENT = 2
READY_DEADLINE_MS = 5000


class Readiness:
    """READY once our own first round of ssdp:alive NOTIFYs (one per NT: upnp:rootdevice, the UDN, the
    device type) has come back to GSSDP's multicast socket (multicast loopback), i.e. has been sent.
    GSSDP first sends an ssdp:byebye round, then three alive rounds, one datagram per 120 ms. If the
    loop-back never shows them (IP_MULTICAST_LOOP off), READY anyway after READY_DEADLINE_MS."""

    def __init__(self, address, udn, device_type):
        self.address = address
        self.pending = {"upnp:rootdevice", udn, device_type}
        self.all_nts = set(self.pending)
        self.done = False
        self.leaving = None  # the NTs whose byebye has not come back yet, once SIGTERM arrived
        self.tmp = None  # the description's directory, removed on exit

    def leave(self, device):
        """SIGTERM: unannounce (ssdp:byebye), then BYE once they went out."""
        log.info("SIGTERM: leaving")
        self.leaving = set(self.all_nts)
        device.set_available(False)
        GLib.timeout_add(READY_DEADLINE_MS, self.bye_deadline)
        return GLib.SOURCE_REMOVE

    def bye_deadline(self):
        self.bye(f"own ssdp:byebye not heard back within {READY_DEADLINE_MS} ms; exiting anyway")
        return GLib.SOURCE_REMOVE

    def bye(self, why):
        log.info("left: %s", why)
        sys.stdout.write("BYE\n")
        sys.stdout.flush()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
        os._exit(0)

    def on_message(self, _client, from_ip, from_port, msg_type, headers):
        if self.leaving is not None:
            if (msg_type == MSG_ANNOUNCEMENT and from_ip == self.address
                    and headers.get_one("NTS") == "ssdp:byebye"):
                self.leaving.discard(headers.get_one("NT"))
                if not self.leaving:
                    self.bye("own ssdp:byebye round heard")
            return
        if msg_type == MSG_DISCOVERY_REQUEST:
            log.info("M-SEARCH from %s:%d ST=%s MX=%s MAN=%s", from_ip, from_port, headers.get_one("ST"),
                     headers.get_one("MX"), headers.get_one("MAN"))
        elif (msg_type == MSG_ANNOUNCEMENT and from_ip == self.address and not self.done
              and headers.get_one("NTS") == "ssdp:alive"):
            self.pending.discard(headers.get_one("NT"))
            if not self.pending:
                self.ready("own ssdp:alive round heard")

    def deadline(self):
        if not self.done:
            self.ready(f"own ssdp:alive not heard back within {READY_DEADLINE_MS} ms (still missing "
                       f"{sorted(self.pending)}); READY anyway")
        return GLib.SOURCE_REMOVE

    def ready(self, why):
        self.done = True
        log.info("announced: %s", why)
        sys.stdout.write("READY\n")
        sys.stdout.flush()


def watch_stdin(tmp):
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except Exception:
        pass
    log.info("stdin closed: exiting")
    shutil.rmtree(tmp, ignore_errors=True)
    os._exit(0)


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="ssdp_device: %(message)s")
    a = parse_args(sys.argv[1:])

    tmp = tempfile.mkdtemp(prefix="ssdp_device-")
    path = os.path.join(tmp, DESCRIPTION_FILE)
    with open(path, "w", encoding="utf-8") as f:
        f.write(description_xml(a))

    try:
        # Port 0: GUPnP's HTTP server takes a random port. The context binds to ADDRESS's interface only
        # (GSSDP joins 239.255.255.250 there; the HTTP server listens on ADDRESS).
        context = GUPnP.Context.new_for_address(Gio.InetAddress.new_from_string(a.address), 0,
                                                GSSDP.UDAVersion.VERSION_1_0)
    except GLib.Error as e:
        log.error("no GUPnP context for %s: %s", a.address, e.message)
        shutil.rmtree(tmp, ignore_errors=True)
        return 1
    log.info("context: interface=%s host-ip=%s http-port=%d server-id=%r", context.get_interface(),
             context.get_host_ip(), context.get_port(), context.get_server_id())

    try:
        device = GUPnP.RootDevice.new(context, DESCRIPTION_FILE, tmp)
    except GLib.Error as e:
        log.error("cannot load %s: %s", path, e.message)
        shutil.rmtree(tmp, ignore_errors=True)
        return 1
    readiness = Readiness(a.address, device.get_udn(), device.get_device_type())
    readiness.tmp = tmp
    context.connect("message-received", readiness.on_message)
    device.set_available(True)
    log.info("available: udn=%s type=%s location=%s (description %s)", device.get_udn(),
             device.get_device_type(), device.get_location(), path)

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, readiness.leave, device)
    threading.Thread(target=watch_stdin, args=(tmp,), daemon=True).start()
    GLib.timeout_add(READY_DEADLINE_MS, readiness.deadline)
    GLib.MainLoop().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
