#!/usr/bin/env python3
"""OUR FAKE: a small ONVIF Profile S *test double* for camscan's tests, written for this project on Python's
http.server. It is not a real camera firmware and not a third-party package (no usable ONVIF device
simulator exists on PyPI or npm; see README.md). Its replies follow the ONVIF ver10 device and media WSDLs
and SOAP 1.2, with identity values of a Hikvision DS-2CD2043G2-I. With --media2 it also serves the ONVIF
ver20 media service (tr2: GetProfiles, GetStreamUri, GetSnapshotUri) at /onvif/media2_service, listing a
third profile in H.265 that Media1 does not list.

With --sources NAME[,NAME...] it is an NVR (or video encoder) instead: one video source per name
(`tt:VideoSource` tokens VideoSource_1, VideoSource_2...), each with a main and a sub profile
(Profile_101, Profile_102, Profile_201...) whose video source configuration carries the source's
token and the NAME (`tt:VideoSourceConfiguration/SourceToken` and `Name`; Media2
`tr2:Configurations/tr2:VideoSource`). Written from the ONVIF Media Service Specification (§5.2.2
GetProfiles, §5.4 Video source configuration), the Media2 Service Specification (§5.1.2
GetProfiles, §5.2.2) and their schemas (`ver10/schema/onvif.xsd` `tt:Profile`,
`ver20/media/wsdl/media.wsdl` `tr2:ConfigurationSet`), not captured from a device: no public
capture of a multi-source GetProfiles with a licence that allows shipping it was found.
--stream-path TEMPLATE sets the path GetStreamUri names (`{channel}`: 101, 102, 201...).

    python3 onvif_device.py ADDRESS [--port 8000] [--user admin --password secret] [--stream-host HOST]
                            [--rtsp-port 554] [--fault-status 401|400] [--tz-hours 8] [--clock-offset SECONDS]
                            [--uri-query] [--manufacturer ..] [--model ..] [--firmware ..] [--serial ..]
                            [--hardware-id ..] [--media2] [--sources NAME,NAME] [--stream-path TEMPLATE]

Serves POST /onvif/device_service (tds: GetSystemDateAndTime, GetDeviceInformation, GetCapabilities,
GetServices) and POST /onvif/media_service (trt: GetProfiles, GetProfile, GetStreamUri, GetSnapshotUri) on
ADDRESS:PORT. An operation posted to the other service's path is refused (ter:ActionNotSupported), as
is any other operation.

Authentication (only when --user and --password are given): every operation but GetSystemDateAndTime needs
a WS-Security UsernameToken with a PasswordDigest = Base64(SHA1(Base64Decode(Nonce) + Created + Password)),
whose Created is within 300 s of the device's clock (as PyPI ipycam's `verify_ws_username_token` checks it:
`WSU_MAX_SKEW_SECONDS`; the clock is the device's own, --clock-offset included).
Failure: SOAP Fault env:Sender / ter:NotAuthorized with HTTP --fault-status (401 by default).

stdout contract: `READY` once listening; then `AUTHFAIL <client-ip>` for every request whose UsernameToken
was present but wrong (bad user, bad digest, PasswordText, missing Nonce/Created). A request with no token
at all is refused the same way but prints nothing on stdout (it is not a credential). Exits when stdin
reaches EOF. Every request is logged on stderr.
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import http.server
import os
import socketserver
import sys
import threading
import xml.etree.ElementTree as ET

NS_ENV = "http://www.w3.org/2003/05/soap-envelope"
NS_SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
NS_TDS = "http://www.onvif.org/ver10/device/wsdl"
NS_TRT = "http://www.onvif.org/ver10/media/wsdl"
NS_TR2 = "http://www.onvif.org/ver20/media/wsdl"
PASSWORD_DIGEST = ("http://docs.oasis-open.org/wss/2004/01/"
                   "oasis-200401-wss-username-token-profile-1.0#PasswordDigest")

ENVELOPE_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"'
    ' xmlns:soapenc="http://www.w3.org/2003/05/soap-encoding"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    ' xmlns:xs="http://www.w3.org/2001/XMLSchema"'
    ' xmlns:tt="http://www.onvif.org/ver10/schema"'
    ' xmlns:tds="http://www.onvif.org/ver10/device/wsdl"'
    ' xmlns:trt="http://www.onvif.org/ver10/media/wsdl"'
    ' xmlns:tr2="http://www.onvif.org/ver20/media/wsdl"'
    ' xmlns:ter="http://www.onvif.org/ver10/error">'
)

DEVICE_OPS = {"GetSystemDateAndTime", "GetDeviceInformation", "GetCapabilities", "GetServices"}
MEDIA_OPS = {"GetProfiles", "GetProfile", "GetStreamUri", "GetSnapshotUri"}
MEDIA2_OPS = {"GetProfiles", "GetStreamUri", "GetSnapshotUri"}
UNAUTHENTICATED_OPS = {"GetSystemDateAndTime"}
MAX_BODY = 1 << 20
MAX_SKEW_S = 300


def xml_escape(s):
    return (str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def envelope(body):
    return (ENVELOPE_OPEN + "<env:Body>" + body + "</env:Body></env:Envelope>\n").encode("utf-8")


class Fault(Exception):
    def __init__(self, status, code, subcodes, reason):
        super().__init__(reason)
        self.status, self.code, self.subcodes, self.reason = status, code, subcodes, reason

    def xml(self):
        sub = ""
        for s in reversed(self.subcodes):
            sub = "<env:Subcode><env:Value>" + s + "</env:Value>" + sub + "</env:Subcode>"
        return envelope("<env:Fault><env:Code><env:Value>env:" + self.code + "</env:Value>" + sub +
                        "</env:Code><env:Reason><env:Text xml:lang=\"en\">" + xml_escape(self.reason) +
                        "</env:Text></env:Reason></env:Fault>")


def local(tag):
    return tag.rsplit("}", 1)[-1]


def ns_of(tag):
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def find_local(root, name):
    for el in root.iter():
        if local(el.tag) == name:
            return el
    return None


def text_of(root, name):
    el = find_local(root, name)
    return (el.text or "").strip() if el is not None else None


class Profile:
    def __init__(self, token, name, enc_token, width, height, fps, bitrate, quality, channel, encoding="H264",
                 source=("VideoSourceToken", "VideoSourceConfig", "VideoSource_1")):
        self.token, self.name, self.enc_token = token, name, enc_token
        self.width, self.height, self.fps, self.bitrate = width, height, fps, bitrate
        self.quality, self.channel, self.encoding = quality, channel, encoding
        # The video source configuration: (its token, its Name, the SourceToken of the input).
        self.source = source


PROFILES = [
    Profile("Profile_1", "mainStream", "VideoEncoderToken_1", 1280, 720, 25, 2048, 3, 101),
    Profile("Profile_2", "subStream", "VideoEncoderToken_2", 640, 360, 15, 512, 3, 102),
]
# With --media2: a third stream in H.265, which Media1 cannot describe (its VideoEncoding enum has no
# H265), so it is listed only by the Media2 service, as on real cameras.
H265_PROFILE = Profile("Profile_3", "thirdStream", "VideoEncoderToken_3", 1280, 720, 15, 1024, 3, 103, "H265")


def nvr_profiles(names):
    """--sources: a main and a sub profile per video source, as an NVR lists its channels."""
    out = []
    for i, name in enumerate(names, 1):
        source = (f"VideoSourceConfigToken_{i}", name, f"VideoSource_{i}")
        out.append(Profile(f"Profile_{i}01", f"{name} main", f"VideoEncoderToken_{i}01", 640, 360, 15, 1024, 3,
                           i * 100 + 1, source=source))
        out.append(Profile(f"Profile_{i}02", f"{name} sub", f"VideoEncoderToken_{i}02", 640, 360, 15, 512, 3,
                           i * 100 + 2, source=source))
    return out


class Device:
    def __init__(self, a):
        self.a = a
        self.base = f"http://{a.address}:{a.port}"
        self.lock = threading.Lock()

    # ---- helpers -------------------------------------------------------------------------------------
    def now(self):
        return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=self.a.clock_offset)

    def check_auth(self, header, client):
        """None when accepted; raises Fault otherwise."""
        if not (self.a.user and self.a.password):
            return
        token = find_local(header, "UsernameToken") if header is not None else None
        if token is None:
            log(f"{client}: no UsernameToken")
            raise self.not_authorized()
        user = text_of(token, "Username")
        pw_el = find_local(token, "Password")
        nonce = text_of(token, "Nonce")
        created = text_of(token, "Created")
        ok, why = False, ""
        if user is None or pw_el is None:
            why = "token without Username/Password"
        elif pw_el.get("Type", PASSWORD_DIGEST) != PASSWORD_DIGEST:
            why = f"password type {pw_el.get('Type')} refused (PasswordDigest required)"
        elif not nonce or not created:
            why = "digest without Nonce/Created"
        else:
            try:
                raw = base64.b64decode(nonce, validate=True)
                want = base64.b64encode(hashlib.sha1(raw + created.encode() + self.a.password.encode())
                                        .digest()).decode()
                got = (pw_el.text or "").strip()
                ok = hmac.compare_digest(user, self.a.user) and hmac.compare_digest(want, got)
                why = "" if ok else f"wrong user or digest (user {user!r})"
                if ok and not self.fresh(created):
                    ok, why = False, f"Created {created} more than {MAX_SKEW_S} s from the device clock"
            except Exception as e:  # bad base64
                why = f"bad Nonce: {e}"
        if ok:
            return
        log(f"{client}: credential rejected: {why}")
        with self.lock:
            sys.stdout.write(f"AUTHFAIL {client}\n")
            sys.stdout.flush()
        raise self.not_authorized()

    def fresh(self, created):
        try:
            t = datetime.datetime.fromisoformat(created.strip().replace("Z", "+00:00"))
        except ValueError:
            return True  # as ipycam: an unreadable Created skips the freshness check only
        if t.tzinfo is None:
            t = t.replace(tzinfo=datetime.timezone.utc)
        return abs((self.now() - t).total_seconds()) <= MAX_SKEW_S

    def not_authorized(self):
        return Fault(self.a.fault_status, "Sender", ["ter:NotAuthorized"],
                     "The action requested requires authorization and the sender is not authorized")

    def media2_profiles(self):
        if not self.a.media2:
            return []
        return PROFILES + ([] if self.a.sources else [H265_PROFILE])

    def profile(self, req, media2=False):
        token = text_of(req, "ProfileToken")
        for p in self.media2_profiles() if media2 else PROFILES:
            if p.token == token:
                return p
        raise Fault(400, "Sender", ["ter:InvalidArgVal", "ter:NoProfile"], f"no profile with token {token!r}")

    # ---- dispatch ------------------------------------------------------------------------------------
    def handle(self, path, body, client):
        """(status, bytes, op) for one POST."""
        try:
            root = ET.fromstring(body)
        except ET.ParseError as e:
            raise Fault(400, "Sender", ["ter:InvalidArgs", "ter:WellFormed"], f"not well-formed XML: {e}")
        if local(root.tag) != "Envelope":
            raise Fault(400, "Sender", ["ter:InvalidArgs"], "not a SOAP Envelope")
        if ns_of(root.tag) != NS_ENV:
            raise Fault(500, "VersionMismatch", [], "SOAP 1.2 (http://www.w3.org/2003/05/soap-envelope) only")
        header = root.find(f"{{{NS_ENV}}}Header")
        bodyel = root.find(f"{{{NS_ENV}}}Body")
        if bodyel is None or len(bodyel) == 0:
            raise Fault(400, "Sender", ["ter:InvalidArgs"], "empty SOAP Body")
        req = bodyel[0]
        op, ns = local(req.tag), ns_of(req.tag)
        prefix = "op_"
        if path == "/onvif/device_service":
            known, want_ns = DEVICE_OPS, NS_TDS
        elif path == "/onvif/media2_service" and self.a.media2:
            known, want_ns, prefix = MEDIA2_OPS, NS_TR2, "op2_"
        else:
            known, want_ns = MEDIA_OPS, NS_TRT
        if op not in known or ns != want_ns:
            f = Fault(500, "Receiver", ["ter:ActionNotSupported"], f"{{{ns}}}{op} is not supported at {path}")
            f.op = op
            raise f
        try:
            if op not in UNAUTHENTICATED_OPS:
                self.check_auth(header, client)
            return 200, envelope(getattr(self, prefix + op)(req)), op
        except Fault as f:
            f.op = op
            raise

    # ---- device service ------------------------------------------------------------------------------
    def op_GetSystemDateAndTime(self, req):
        utc = self.now()
        loc = utc + datetime.timedelta(hours=self.a.tz_hours)
        h = self.a.tz_hours
        tz = f"CST{-h:+d}:00:00".replace("+", "") if h else "UTC0"

        def dt(t):
            return (f"<tt:Time><tt:Hour>{t.hour}</tt:Hour><tt:Minute>{t.minute}</tt:Minute>"
                    f"<tt:Second>{t.second}</tt:Second></tt:Time><tt:Date><tt:Year>{t.year}</tt:Year>"
                    f"<tt:Month>{t.month}</tt:Month><tt:Day>{t.day}</tt:Day></tt:Date>")
        return ("<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
                "<tt:DateTimeType>Manual</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>"
                f"<tt:TimeZone><tt:TZ>{tz}</tt:TZ></tt:TimeZone>"
                f"<tt:UTCDateTime>{dt(utc)}</tt:UTCDateTime><tt:LocalDateTime>{dt(loc)}</tt:LocalDateTime>"
                "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>")

    def op_GetDeviceInformation(self, req):
        a = self.a
        return ("<tds:GetDeviceInformationResponse>"
                f"<tds:Manufacturer>{xml_escape(a.manufacturer)}</tds:Manufacturer>"
                f"<tds:Model>{xml_escape(a.model)}</tds:Model>"
                f"<tds:FirmwareVersion>{xml_escape(a.firmware)}</tds:FirmwareVersion>"
                f"<tds:SerialNumber>{xml_escape(a.serial)}</tds:SerialNumber>"
                f"<tds:HardwareId>{xml_escape(a.hardware_id)}</tds:HardwareId>"
                "</tds:GetDeviceInformationResponse>")

    def op_GetCapabilities(self, req):
        cats = [(c.text or "").strip() for c in req if local(c.tag) == "Category"] or ["All"]
        if any(c not in ("All", "Device", "Media") for c in cats):
            raise Fault(500, "Receiver", ["ter:ActionNotSupported", "ter:NoSuchService"],
                        f"no such capability category: {' '.join(cats)}")
        out = ["<tds:GetCapabilitiesResponse><tds:Capabilities>"]
        if "All" in cats or "Device" in cats:
            out.append(
                f"<tt:Device><tt:XAddr>{self.base}/onvif/device_service</tt:XAddr>"
                "<tt:Network><tt:IPFilter>true</tt:IPFilter><tt:ZeroConfiguration>false</tt:ZeroConfiguration>"
                "<tt:IPVersion6>true</tt:IPVersion6><tt:DynDNS>false</tt:DynDNS></tt:Network>"
                "<tt:System><tt:DiscoveryResolve>false</tt:DiscoveryResolve><tt:DiscoveryBye>true</tt:DiscoveryBye>"
                "<tt:RemoteDiscovery>false</tt:RemoteDiscovery><tt:SystemBackup>false</tt:SystemBackup>"
                "<tt:SystemLogging>false</tt:SystemLogging><tt:FirmwareUpgrade>false</tt:FirmwareUpgrade>"
                "<tt:SupportedVersions><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tt:SupportedVersions>"
                "</tt:System><tt:Security><tt:TLS1.1>false</tt:TLS1.1><tt:TLS1.2>false</tt:TLS1.2>"
                "<tt:OnboardKeyGeneration>false</tt:OnboardKeyGeneration>"
                "<tt:AccessPolicyConfig>false</tt:AccessPolicyConfig><tt:X.509Token>false</tt:X.509Token>"
                "<tt:SAMLToken>false</tt:SAMLToken><tt:KerberosToken>false</tt:KerberosToken>"
                "<tt:RELToken>false</tt:RELToken></tt:Security></tt:Device>")
        if "All" in cats or "Media" in cats:
            out.append(
                f"<tt:Media><tt:XAddr>{self.base}/onvif/media_service</tt:XAddr>"
                "<tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP>"
                "<tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>")
        out.append("</tds:Capabilities></tds:GetCapabilitiesResponse>")
        return "".join(out)

    def op_GetServices(self, req):
        incl = (text_of(req, "IncludeCapability") or "false").lower() in ("true", "1")
        dev_caps = ("<tds:Capabilities><tds:Capabilities><tds:Network IPFilter=\"true\" ZeroConfiguration=\"false\""
                    " IPVersion6=\"true\" DynDNS=\"false\"/><tds:Security UsernameToken=\"true\" HttpDigest=\"false\"/>"
                    "<tds:System DiscoveryResolve=\"false\" DiscoveryBye=\"true\" RemoteDiscovery=\"false\"/>"
                    "</tds:Capabilities></tds:Capabilities>")
        med_caps = ("<tds:Capabilities><trt:Capabilities SnapshotUri=\"true\" Rotation=\"false\">"
                    f"<trt:ProfileCapabilities MaximumNumberOfProfiles=\"{len(PROFILES)}\"/>"
                    "<trt:StreamingCapabilities RTPMulticast=\"false\" RTP_TCP=\"true\" RTP_RTSP_TCP=\"true\"/>"
                    "</trt:Capabilities></tds:Capabilities>")

        def svc(ns, path, caps, minor):
            return (f"<tds:Service><tds:Namespace>{ns}</tds:Namespace><tds:XAddr>{self.base}{path}</tds:XAddr>"
                    + (caps if incl else "") +
                    f"<tds:Version><tt:Major>2</tt:Major><tt:Minor>{minor}</tt:Minor></tds:Version></tds:Service>")
        media2 = svc(NS_TR2, "/onvif/media2_service", "", 0) if self.a.media2 else ""
        return ("<tds:GetServicesResponse>" + svc(NS_TDS, "/onvif/device_service", dev_caps, 60)
                + svc(NS_TRT, "/onvif/media_service", med_caps, 60) + media2 + "</tds:GetServicesResponse>")

    # ---- media service -------------------------------------------------------------------------------
    def profile_xml(self, p, tag):
        return (f"<{tag} token=\"{p.token}\" fixed=\"true\"><tt:Name>{p.name}</tt:Name>"
                f"<tt:VideoSourceConfiguration token=\"{p.source[0]}\"><tt:Name>{xml_escape(p.source[1])}</tt:Name>"
                f"<tt:UseCount>2</tt:UseCount><tt:SourceToken>{p.source[2]}</tt:SourceToken>"
                "<tt:Bounds x=\"0\" y=\"0\" width=\"1280\" height=\"720\"/></tt:VideoSourceConfiguration>"
                f"<tt:VideoEncoderConfiguration token=\"{p.enc_token}\"><tt:Name>VideoEncoder_{p.channel % 100}"
                "</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>"
                f"<tt:Resolution><tt:Width>{p.width}</tt:Width><tt:Height>{p.height}</tt:Height></tt:Resolution>"
                f"<tt:Quality>{p.quality}</tt:Quality><tt:RateControl><tt:FrameRateLimit>{p.fps}"
                "</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>"
                f"<tt:BitrateLimit>{p.bitrate}</tt:BitrateLimit></tt:RateControl>"
                f"<tt:H264><tt:GovLength>{p.fps * 2}</tt:GovLength><tt:H264Profile>Main</tt:H264Profile></tt:H264>"
                "<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address>"
                "</tt:Address><tt:Port>8860</tt:Port><tt:TTL>128</tt:TTL><tt:AutoStart>false</tt:AutoStart>"
                "</tt:Multicast><tt:SessionTimeout>PT5S</tt:SessionTimeout></tt:VideoEncoderConfiguration>"
                f"</{tag}>")

    def op_GetProfiles(self, req):
        return ("<trt:GetProfilesResponse>" + "".join(self.profile_xml(p, "trt:Profiles") for p in PROFILES)
                + "</trt:GetProfilesResponse>")

    def op_GetProfile(self, req):
        return "<trt:GetProfileResponse>" + self.profile_xml(self.profile(req), "trt:Profile") + \
            "</trt:GetProfileResponse>"

    def media_uri(self, uri, timeout):
        return (f"<trt:MediaUri><tt:Uri>{xml_escape(uri)}</tt:Uri><tt:InvalidAfterConnect>false"
                "</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot>"
                f"<tt:Timeout>{timeout}</tt:Timeout></trt:MediaUri>")

    def op_GetStreamUri(self, req):
        p = self.profile(req)
        port = "" if self.a.rtsp_port is None else f":{self.a.rtsp_port}"
        uri = f"rtsp://{self.a.stream_host}{port}" + self.a.stream_path.format(channel=p.channel)
        if self.a.uri_query:
            uri += f"?transportmode=unicast&profile={p.token}"
        return "<trt:GetStreamUriResponse>" + self.media_uri(uri, "PT60S") + "</trt:GetStreamUriResponse>"

    def op_GetSnapshotUri(self, req):
        p = self.profile(req)
        uri = f"http://{self.a.stream_host}/onvif-http/snapshot?{p.token}"
        return "<trt:GetSnapshotUriResponse>" + self.media_uri(uri, "PT0S") + "</trt:GetSnapshotUriResponse>"

    # ---- media2 service (ver20) ----------------------------------------------------------------------
    def profile2_xml(self, p):
        return (f"<tr2:Profiles token=\"{p.token}\" fixed=\"true\"><tr2:Name>{p.name}</tr2:Name>"
                f"<tr2:Configurations><tr2:VideoSource token=\"{p.source[0]}\"><tt:Name>{xml_escape(p.source[1])}"
                f"</tt:Name><tt:UseCount>3</tt:UseCount><tt:SourceToken>{p.source[2]}</tt:SourceToken>"
                "<tt:Bounds x=\"0\" y=\"0\" width=\"1280\" height=\"720\"/></tr2:VideoSource>"
                f"<tr2:VideoEncoder token=\"{p.enc_token}\" GovLength=\"{p.fps * 2}\" Profile=\"Main\">"
                f"<tt:Name>VideoEncoder_{p.channel % 100}</tt:Name><tt:UseCount>1</tt:UseCount>"
                f"<tt:Encoding>{p.encoding}</tt:Encoding><tt:Resolution><tt:Width>{p.width}</tt:Width>"
                f"<tt:Height>{p.height}</tt:Height></tt:Resolution><tt:RateControl ConstantBitRate=\"false\">"
                f"<tt:FrameRateLimit>{p.fps}.000000</tt:FrameRateLimit><tt:BitrateLimit>{p.bitrate}</tt:BitrateLimit>"
                f"</tt:RateControl><tt:Quality>{p.quality}</tt:Quality></tr2:VideoEncoder></tr2:Configurations>"
                "</tr2:Profiles>")

    def op2_GetProfiles(self, req):
        return ("<tr2:GetProfilesResponse>" + "".join(self.profile2_xml(p) for p in self.media2_profiles())
                + "</tr2:GetProfilesResponse>")

    def op2_GetStreamUri(self, req):
        p = self.profile(req, media2=True)
        port = "" if self.a.rtsp_port is None else f":{self.a.rtsp_port}"
        uri = f"rtsp://{self.a.stream_host}{port}" + self.a.stream_path.format(channel=p.channel)
        return f"<tr2:GetStreamUriResponse><tr2:Uri>{xml_escape(uri)}</tr2:Uri></tr2:GetStreamUriResponse>"

    def op2_GetSnapshotUri(self, req):
        p = self.profile(req, media2=True)
        uri = f"http://{self.a.stream_host}/onvif-http/snapshot?{p.token}"
        return f"<tr2:GetSnapshotUriResponse><tr2:Uri>{xml_escape(uri)}</tr2:Uri></tr2:GetSnapshotUriResponse>"


def log(msg):
    sys.stderr.write("onvif_device: " + msg + "\n")
    sys.stderr.flush()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "camscan-onvif-test-double/1"
    sys_version = ""
    device = None  # set in main

    def log_message(self, fmt, *args):
        pass

    def send(self, status, data, ctype="application/soap+xml; charset=utf-8", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.send(405, b"POST only\n", "text/plain", [("Allow", "POST")])
        log(f"{self.client_address[0]} GET {self.path} -> 405")

    def do_POST(self):
        client = self.client_address[0]
        path = self.path.split("?", 1)[0]
        if path not in ("/onvif/device_service", "/onvif/media_service", "/onvif/media2_service"):
            self.send(404, b"not found\n", "text/plain")
            log(f"{client} POST {self.path} -> 404")
            return
        try:
            n = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self.send(411, b"Content-Length required\n", "text/plain", [("Connection", "close")])
            self.close_connection = True
            return
        if n < 0 or n > MAX_BODY:
            self.send(413, b"too large\n", "text/plain", [("Connection", "close")])
            self.close_connection = True
            return
        body = self.rfile.read(n)
        op = "?"
        try:
            status, data, op = self.device.handle(path, body, client)
        except Fault as f:
            status, data = f.status, f.xml()
            op = getattr(f, "op", "?") + " fault " + " ".join([f.code] + f.subcodes)
        except Exception as e:  # a bug of ours: say so loudly
            log(f"internal error: {e!r}")
            status, data = 500, Fault(500, "Receiver", [], "internal error").xml()
        self.send(status, data)
        log(f"{client} POST {path} {op} -> {status}")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def watch_stdin():
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except Exception:
        pass
    log("stdin closed: exiting")
    os._exit(0)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("address")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--stream-host", help="host in the stream/snapshot URIs (default: ADDRESS)")
    p.add_argument("--rtsp-port", type=int, default=554, help="port in the stream URI (0: leave it out)")
    p.add_argument("--uri-query", action="store_true",
                   help="append ?transportmode=unicast&profile=TOKEN to stream URIs, as Hikvision firmware does")
    p.add_argument("--media2", action="store_true",
                   help="also serve Media2 (ver20) at /onvif/media2_service, with a third, H.265 profile")
    p.add_argument("--sources", help="NAME,NAME...: an NVR with one video source per name, two profiles each")
    p.add_argument("--stream-path", default="/Streaming/Channels/{channel}",
                   help="the path GetStreamUri names; {channel} is 101, 102, 201...")
    p.add_argument("--fault-status", type=int, choices=[400, 401], default=401)
    p.add_argument("--tz-hours", type=int, default=8, help="LocalDateTime = UTC + this (TZ CST-8:00:00)")
    p.add_argument("--clock-offset", type=float, default=0.0, help="device clock minus true UTC, seconds")
    p.add_argument("--manufacturer", default="HIKVISION")
    p.add_argument("--model", default="DS-2CD2043G2-I")
    p.add_argument("--firmware", default="V5.7.3")
    p.add_argument("--serial", default="DS-2CD2043G2-I20230101AAWRJ12345678")
    p.add_argument("--hardware-id", default="88")
    a = p.parse_args()
    if bool(a.user) != bool(a.password):
        p.error("--user and --password go together")
    a.stream_host = a.stream_host or a.address
    if a.sources:
        global PROFILES
        PROFILES = nvr_profiles([n for n in a.sources.split(",") if n])
    if a.rtsp_port == 0:
        a.rtsp_port = None
    Handler.device = Device(a)
    srv = Server((a.address, a.port), Handler)
    log(f"listening on {a.address}:{a.port}; auth {'on for ' + a.user if a.user else 'off'}; "
        f"stream host {a.stream_host}")
    threading.Thread(target=watch_stdin, daemon=True).start()
    sys.stdout.write("READY\n")
    sys.stdout.flush()
    srv.serve_forever(poll_interval=0.2)


if __name__ == "__main__":
    main()
