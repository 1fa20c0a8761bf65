"""Writes fuzz/seeds/<target>/: each fuzz target's starting corpus, taken from the repository's
fixtures (tests/fixtures, tests/lab/responders/fixtures) and the device answers quoted in unit tests
(crates/proto/*.rs, crates/detect/src/fingerprint.rs). Rerun after changing those: python3 fuzz/seeds/make_seeds.py
"""
import os, re, struct, shutil, json
R = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
S = f"{R}/fuzz/seeds"
F = f"{R}/tests/fixtures"
L = f"{R}/tests/lab/responders/fixtures"
for t in os.listdir(S):
    if os.path.isdir(f"{S}/{t}"):
        shutil.rmtree(f"{S}/{t}")

def put(target, name, data):
    d = f"{S}/{target}"; os.makedirs(d, exist_ok=True)
    if isinstance(data, str): data = data.encode()
    open(f"{d}/{name}", "wb").write(data)

def cp(target, path, name=None):
    put(target, name or os.path.basename(path), open(path, "rb").read())

def rust_bytes(lit):
    """Unescape the body of a Rust b"..." literal."""
    out = bytearray(); i = 0
    while i < len(lit):
        c = lit[i]
        if c != '\\':
            out += c.encode(); i += 1; continue
        n = lit[i+1]
        if n == 'x': out.append(int(lit[i+2:i+4], 16)); i += 4
        elif n == 'n': out.append(10); i += 2
        elif n == 'r': out.append(13); i += 2
        elif n == 't': out.append(9); i += 2
        elif n == '0': out.append(0); i += 2
        elif n in '"\\\'': out += n.encode(); i += 2
        elif n == '\n':  # line continuation: skip the newline and leading whitespace
            i += 2
            while i < len(lit) and lit[i] in ' \t': i += 1
        else: raise ValueError(lit[i:i+4])
    return bytes(out)

fp_src = open(f"{R}/src/detect/fingerprint.rs").read()
FP = {m.group(1): rust_bytes(m.group(2)) for m in
      re.finditer(r'const ([A-Z0-9_]+): &\[u8\] = b"((?:[^"\\]|\\.)*)";', fp_src, re.S)}

# --- response_head: real device answers (RTSP from the unit tests, HTTP from the fingerprint tests)
put("response_head", "gstreamer_options", b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE, ANNOUNCE, GET_PARAMETER, PAUSE, PLAY, RECORD, SETUP, SET_PARAMETER, TEARDOWN\r\nServer: GStreamer RTSP server\r\nDate: Sun, 22 Nov 2026 05:00:00 GMT\r\n\r\n")
put("response_head", "hipcam_lf_only", b"RTSP/1.0 401\nCSeq: 2\nServer : Hipcam RealServer/V1.0\nWWW-Authenticate: Basic realm=\"x\"\n\nbody")
put("response_head", "hikvision_401_two_schemes", b"RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nWWW-Authenticate: Basic realm=\"IP Camera(C1234)\"\r\nWWW-Authenticate: Digest realm=\"IP Camera(C1234)\", nonce=\"x\"\r\n\r\n")
put("response_head", "latin1_folded", b"RTSP/1.0 200 OK\r\nServer: Cam\xe9ra\r\nX-Long: a\r\n b\r\n\r\n")
put("response_head", "axis_http_on_rtsp", b"HTTP/1.0 501 Not Implemented\r\n\r\n")
for k in ["HIK_ISAPI_401", "HIK_NVR", "DAHUA_CAPS", "AXIS_401", "XMEYE_ROOT", "VIVOTEK", "HANWHA_401"]:
    put("response_head", k.lower(), FP[k])
cp("response_head", f"{L}/ssdp_msearch_reply_rootdevice.txt")

# --- sdp
for f in os.listdir(f"{F}/sdp"):
    if f.endswith(".sdp"): cp("sdp", f"{F}/sdp/{f}")
sdp_src = open(f"{R}/src/proto/sdp.rs").read()
m = re.search(r'const GSTREAMER_H264_AAC: &str = "((?:[^"\\]|\\.)*)";', sdp_src)
put("sdp", "gstreamer_h264_aac.sdp", rust_bytes(m.group(1)))

# --- sdp_facts: the SDP fixtures (broken camera descriptions and their twins), and the parameter
# sets and configs in them as raw bytes
import base64
for f in sorted(os.listdir(f"{F}/sdp")):
    if not f.endswith(".sdp"): continue
    body = open(f"{F}/sdp/{f}", "rb").read()
    put("sdp_facts", f, body)
    for i, m in enumerate(re.finditer(rb"(sprop-(?:parameter-sets|vps|sps)|config)=([^;\r\n ]+)", body)):
        key, value = m.group(1).decode(), m.group(2).decode()
        for j, part in enumerate(value.split(",")):
            try:
                raw = bytes.fromhex(part) if key == "config" else base64.b64decode(part + "=" * (-len(part) % 4))
            except ValueError:
                continue
            put("sdp_facts", f"{f[:-4]}_{key}_{i}_{j}.bin", raw)

# --- h26x_sps: RFC 6381 strings retina derives from SPS, SDP profile-level-ids, HLS CODECS
for i, s in enumerate(["avc1.4D401F", "avc1.640028", "avc3.42E01E", "hvc1.1.6.L120.90", "hev1.2.4.L153.B0", "4d401f", "mp4a.40.2"]):
    put("h26x_sps", f"codec_{i}", s)

# --- wsd_probe_matches
for f in sorted(os.listdir(L)):
    if f.startswith("wsdiscovery_"): cp("wsd_probe_matches", f"{L}/{f}")

# --- wsd_announcement (Hello/Bye; the ProbeMatches too, which it must refuse)
for f in sorted(os.listdir(L)):
    if f.startswith("wsdiscovery_"): cp("wsd_announcement", f"{L}/{f}")

# --- ssdp_notify (NOTIFY alive/byebye; an M-SEARCH reply, which it must refuse)
for f in sorted(os.listdir(L)):
    if f.startswith("ssdp_notify_") or f == "ssdp_msearch_reply_rootdevice.txt": cp("ssdp_notify", f"{L}/{f}")

# --- soap_replies
for f in sorted(os.listdir(L)):
    if f.startswith("onvif_"): cp("soap_replies", f"{L}/{f}")

# --- ssdp_reply_and_description
for f in ["ssdp_msearch_reply_all.txt", "ssdp_msearch_reply_rootdevice.txt", "upnp_description_axis.xml"]:
    cp("ssdp_reply_and_description", f"{L}/{f}")

# --- sadp (tests of crates/proto/src/sadp.rs: hikvision-tooling's field set)
sadp_src = open(f"{R}/src/proto/sadp.rs").read()
m = re.search(r'const REPLY: &str = r#"(.*?)"#;', sadp_src, re.S)
put("sadp", "probe_match.xml", m.group(1))
put("sadp", "nvr_channels.xml", "<ProbeMatch><AnalogChannelNum>4</AnalogChannelNum><DigitalChannelNum>8</DigitalChannelNum><HttpPort>99999</HttpPort><MAC>nonsense</MAC><IPv4Address>not an ip</IPv4Address><Activated>FALSE</Activated></ProbeMatch>")

# --- backchannel: the DESCRIBE answers of tests/fixtures/backchannel, and what the target found:
# a sendonly section whose rtpmap names a codec of bytes that are not UTF-8 (a codec name once
# longer than 32 bytes; proto::backchannel's a_long_codec_name_stays_short)
for f in sorted(os.listdir(f"{F}/backchannel")):
    if f.endswith(".rtsp"): cp("backchannel", f"{F}/backchannel/{f}")
put("backchannel", "long-codec.rtsp", b"RTSP/1.0 200 OK\r\n\r\nm=audio 0 RTP/AVP 97\r\na=rtpmap:97 "
    + b"\xff" * 40 + b"/8000\r\na=sendonly\r\n")

# --- mdns (Avahi 0.8 answers captured in the namespace lab: tests/fixtures/mdns)
for f in sorted(os.listdir(f"{F}/mdns")):
    cp("mdns", f"{F}/mdns/{f}")

# --- dhip (tests of crates/proto/src/dhip.rs: UniversalScanner's field names)
dhip_src = open(f"{R}/src/proto/dhip.rs").read()
m = re.search(r'const ANSWER: &str = r#"(.*?)"#;', dhip_src, re.S)
def dhip(body):
    b = body.encode(); n = struct.pack("<I", len(b))
    return struct.pack("<I", 32) + b"DHIP" + b"\0"*8 + n + b"\0"*4 + n + b"\0"*4 + b
put("dhip", "notify_dev_info", dhip(m.group(1)) + b"\r\n\0")
put("dhip", "odd_types", dhip('{"method":"client.notifyDevInfo","params":{"deviceInfo":{"HttpPort":"8080","Port":70000,"VideoInputChannels":"4","SerialNo":"  ","IPv4Address":"198.18.0.12"}}}'))

# --- AMF0 bodies: connect's _result, onStatus, and ffmpeg's onMetaData
def a_num(x): return b"\x00" + struct.pack(">d", x)
def a_str(s): s = s.encode(); return b"\x02" + struct.pack(">H", len(s)) + s
def a_props(d):
    out = b""
    for k, v in d:
        k = k.encode(); out += struct.pack(">H", len(k)) + k + v
    return out + b"\x00\x00\x09"
def a_obj(d): return b"\x03" + a_props(d)
connect_result = a_str("_result") + a_num(1) + a_obj([("fmsVer", a_str("FMS/3,0,1,123")), ("capabilities", a_num(31))]) + \
    a_obj([("level", a_str("status")), ("code", a_str("NetConnection.Connect.Success")), ("description", a_str("Connection succeeded.")), ("objectEncoding", a_num(0))])
create_result = a_str("_result") + a_num(2) + b"\x05" + a_num(1)
on_status = a_str("onStatus") + a_num(0) + b"\x05" + a_obj([("level", a_str("status")), ("code", a_str("NetStream.Play.Start")), ("description", a_str("Start live"))])
metadata = open(f"{F}/rtmp/ffmpeg_onmetadata.amf0", "rb").read()
cp("amf0", f"{F}/rtmp/ffmpeg_onmetadata.amf0")
put("amf0", "connect_result", connect_result)
put("amf0", "create_stream_result", create_result)
put("amf0", "on_status_play_start", on_status)
put("amf0", "strict_array_date", b"\x0a\x00\x00\x00\x02" + a_num(1) + b"\x0b" + struct.pack(">d", 1.7e12) + b"\x00\x00" + b"\x0c\x00\x00\x00\x03abc" + b"\x08\x00\x00\x00\x01\x00\x01k\x01\x01")

# --- rtmp_chunks: what nginx-rtmp sends after the handshake, chunked as ffmpeg's rtmppkt.c does
def chunk(csid, ts, type_id, sid, payload, size):
    ext = ts >= 0xFFFFFF; tsf = 0xFFFFFF if ext else ts
    out = bytes([csid]) + tsf.to_bytes(3, "big") + len(payload).to_bytes(3, "big") + bytes([type_id]) + struct.pack("<I", sid)
    if ext: out += struct.pack(">I", ts)
    for i in range(0, max(len(payload), 1), size):
        if i: out += bytes([0xC0 | csid]) + (struct.pack(">I", ts) if ext else b"")
        out += payload[i:i+size]
    return out
control = chunk(2, 0, 5, 0, struct.pack(">I", 5000000), 128) + chunk(2, 0, 6, 0, struct.pack(">IB", 5000000, 2), 128)
put("rtmp_chunks", "connect_reply", b"\x05" + control + chunk(2, 0, 1, 0, struct.pack(">I", 4096), 128) + chunk(3, 0, 20, 0, connect_result, 4096))
put("rtmp_chunks", "play_metadata_128", b"\x00" + control + chunk(3, 0, 20, 0, create_result, 128) + chunk(5, 0, 20, 1, on_status, 128) + chunk(5, 0, 18, 1, metadata, 128))
# Format 1-3 headers and an extended timestamp: two video messages on one chunk stream.
video = chunk(6, 0x1000000, 9, 1, b"\x17\x00" + bytes(300), 128)
video += bytes([0x40 | 6]) + (40).to_bytes(3, "big") + (5).to_bytes(3, "big") + bytes([9]) + b"\x27\x01\x00\x00\x00"
video += bytes([0x80 | 6]) + (40).to_bytes(3, "big") + bytes([0xC0 | 6])  # fmt 2 then fmt 3 (no payload left)
put("rtmp_chunks", "video_fmt1_fmt2_extended", b"\x83" + video)

# --- rtmp_handshake
s1 = struct.pack(">I", 123456) + b"\0\0\0\0" + bytes((i * 7) & 0xFF for i in range(1528))
put("rtmp_handshake", "s0s1_simple", b"\x03" + s1)
put("rtmp_handshake", "s0s1_fms_version", b"\x03" + struct.pack(">I", 0) + bytes([4, 5, 0, 1]) + bytes(1528) + s1[:16])
put("rtmp_handshake", "rtmpe", b"\x06\x00\x00")
put("rtmp_handshake", "http_answer", b"HTTP/1.1 400 Bad Request\r\n\r\n")

# --- hls, mpd
for f in sorted(os.listdir(f"{F}/hls")):
    if f.endswith(".m3u8"): cp("hls", f"{F}/hls/{f}")
cp("mpd", f"{F}/dash/manifest.mpd")

# --- stun: RFC 5769 §2.2/§2.3 test vectors (as in crates/proto/src/stun.rs)
stun_src = open(f"{R}/src/proto/stun.rs").read()
for name in ["RFC5769_IPV4_RESPONSE", "RFC5769_IPV6_RESPONSE"]:
    m = re.search(name + r": &\[u8\] = &\[(.*?)\];", stun_src, re.S)
    put("stun", name.lower(), bytes(int(x, 16) for x in re.findall(r"0x([0-9a-f]{2})", m.group(1))))

# --- mjpeg_splitter: [piece-size byte][part-limit byte]Content-Type\n body
stream = open(f"{F}/mjpeg/stream.mjpeg", "rb").read()
put("mjpeg_splitter", "ffmpeg_mpjpeg_bytewise", b"\x00\x00multipart/x-mixed-replace;boundary=ffmpeg\n" + stream)
put("mjpeg_splitter", "ffmpeg_mpjpeg_no_ctype", b"\x0c\x00\n" + stream[:2800] + b"\r\n--ffmpeg--\r\n")
put("mjpeg_splitter", "quoted_dashes_no_headers", b"\x07\x00multipart/x-mixed-replace; boundary=\"--myboundary\"\n--myboundary\r\n\xff\xd8\xff\xc0\x00\x11\x08\x00\x40\x00\x60\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01\xff\xd9--myboundary\nContent-Length: 4\n\nabcd\n----myboundary--\n")

# --- jpeg_dimensions
cp("jpeg_dimensions", f"{F}/mjpeg/frame_160x120.jpg")
put("jpeg_dimensions", "junk_then_sof2", b"HTTP junk\xff\xd8\xff\xff\xe0\x00\x04ab\xff\xd0\xff\xc2\x00\x0b\x08\x02\xd0\x05\x00\x01\x01\x11\x00")

# --- html_links
put("html_links", "camera_page.html", b"<html><head><title>Live</title></head><body><video src=\"/hls/live.m3u8\"></video><img src='/mjpeg/video.mjpg?resolution=640x480'><a href=\"dash/manifest.mpd?a=1&amp;b=2\">DASH</a><script>var u = \"http://127.0.0.52/live/stream.flv\";</script></body></html>")
put("html_links", "dahua_caps.html", FP["DAHUA_CAPS"])

# --- xml_walk: one of each XML dialect
for f in ["onvif_GetProfiles.xml", "wsdiscovery_hello.xml", "upnp_description_axis.xml"]:
    cp("xml_walk", f"{L}/{f}")
cp("xml_walk", f"{F}/dash/manifest.mpd")
put("xml_walk", "entities_cdata", "<?xml version=\"1.0\"?><!DOCTYPE r><r a=\"&lt;x&#x41;&#66;\" b='1'><t>a &amp; b &#233; &bogus;</t><![CDATA[<raw>]]><e/><!-- c --></r>")

# --- http_dechunk: [limit u16 BE] body
put("http_dechunk", "wikipedia", b"\x00\x64" + b"4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\n\r\n")
put("http_dechunk", "truncated", b"\x00\x02" + b"4\r\nWiki\r\nzz\r\n")

# --- auth_challenges
for i, v in enumerate([r'Digest realm="GStreamer RTSP Server", nonce="abc123"',
        r'Digest realm="IP Camera(C1234)", nonce="4e5468694", stale="FALSE", algorithm=MD5',
        r'Digest realm="a", nonce="n", Basic realm="b"', r'Basic realm="a\"b"', 'NTLM']):
    put("auth_challenges", f"challenge_{i}", v)

# --- neigh: /proc/net/arp as the kernel prints it
put("neigh", "proc_net_arp", "IP address       HW type     Flags       HW address            Mask     Device\n"
    "198.18.0.11      0x1         0x2         44:19:B6:00:00:01     *        lab0\n"
    "198.18.0.99      0x1         0x0         00:00:00:00:00:00     *        lab0\n"
    "198.18.0.12      0x1         0x6         02:00:00:00:00:02     *        lab0\n")

# --- arp: a reply from 198.18.0.11, and MAC text as SADP sends it
put("arp", "reply", bytes([0, 1, 8, 0, 6, 4, 0, 2, 0x44, 0x19, 0xb6, 0, 0, 0x11, 198, 18, 0, 11, 2, 0, 0, 0, 0, 1, 198, 18, 0, 1]))
put("arp", "mac_text", "44-19-b6-00-00-11")

# --- mac_maker: MAC spellings (unit tests of knowledge::oui), an MA-S block, a randomised MAC.
for name, text in (("colons", "44:19:b6:00:00:11"), ("dashes", "E4-24-6C-01-02-03"),
                   ("cisco", "4419.b600.0011"), ("bare", "70b3d5f2f001"), ("short_groups", "0:3:c5:c:9f:25"),
                   ("randomised", "02:00:00:00:00:12")):
    put("mac_maker", name, text)

# --- ffprobe_json (ffprobe 6 on GStreamer's H.265 + PCMA, as in crates/proto/src/ffprobe.rs)
put("ffprobe_json", "h265_pcma.json", json.dumps({"streams": [
    {"index": 0, "codec_name": "hevc", "profile": "Main", "codec_type": "video", "width": 1920, "height": 1080, "r_frame_rate": "15/1", "avg_frame_rate": "15/1", "level": 120},
    {"index": 1, "codec_name": "pcm_alaw", "codec_type": "audio", "sample_rate": "8000", "channels": 1, "r_frame_rate": "0/0", "avg_frame_rate": "0/0"}]}))

# --- fingerprint: answers of one port, NUL-separated; slot n>0 answers PROBE_PATHS[n-1]
X = b"x"  # a failed fetch
def port(*answers): return b"\0".join(answers)
put("fingerprint", "hikvision", port(FP["HIK_ROOT"], FP["HIK_ISAPI_401"]))
put("fingerprint", "hikvision_model", port(FP["HIK_ROOT"], FP["HIK_DEVICE_INFO"]))
put("fingerprint", "axis", port(FP["AXIS_ROOT"], X, FP["AXIS_BRAND"]))
put("fingerprint", "reolink", port(FP["DAHUA_ROOT"], X, X, FP["REOLINK_API"]))
put("fingerprint", "dahua_amcrest", port(FP["DAHUA_ROOT"], X, X, X, FP["AMCREST_LANG"]))
put("fingerprint", "hanwha", port(FP["SAMSUNG_NVR"], X, X, X, X, FP["HANWHA_401"]))
for k in ["XMEYE_ROOT", "H264DVR", "BOSCH", "VIVOTEK", "HIK_NVR", "DAHUA_CAPS"]:
    put("fingerprint", k.lower(), FP[k])

# --- whep: replies to a POSTed offer (as in crates/proto/src/whep.rs), a preflight, a go2rtc stream list
put("whep", "mediamtx_style_answer", "HTTP/1.1 201 Created\r\nContent-Type: application/sdp\r\nLocation: /cam/whep/5f1c\r\n\r\n"
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
    "a=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1;profile-level-id=42e01f\r\na=sendonly\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n")
put("whep", "options_preflight", "HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Methods: OPTIONS, GET, POST, PATCH, DELETE\r\n"
    "Accept-Post: application/sdp\r\n\r\n")
put("whep", "go2rtc_streams", '{"front_door":{"producers":[]},"garage-2":{}}')
put("whep", "json_404", 'HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n\r\n{"error":"no stream is available on path"}')

# --- flv: the start of VLC's HTTP-FLV output in the media lab (header, onMetaData, AVC and AAC
# sequence headers), captured with curl from tests/servers/media_lab.py's flv unit.
cp("flv", f"{F}/flv/vlc_live_start.flv")

# --- mp4: ffmpeg's fMP4 HLS init segments, and each followed by the head of its first media
# segment (the target reads the same bytes as both, and each half as one).
for name in ("h264_aac", "hevc_opus"):
    init = open(f"{F}/mp4/{name}_init.mp4", "rb").read()
    seg = open(f"{F}/mp4/{name}_seg0.m4s", "rb").read()
    put("mp4", f"{name}_init.mp4", init)
    put("mp4", f"{name}_init_then_seg", init + seg)

# --- fmp4: the muxer's input layout (see fuzz/fuzz_targets/fmp4.rs): x264-like decode order with
# 2 B-frames at 25 fps and AAC frames, with the known-good configs; the same avcC read from the
# input; an HEVC stream (refused).
def fmp4_frame(op, pts_or_step, body):
    head = struct.pack(">Bq" if op & 4 == 0 else ">Bh", op, pts_or_step)
    return head + struct.pack(">H", len(body)) + body
AVCC = bytes([1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0, 0x1f, 1, 0, 2, 0x68, 0xee])
ops = fmp4_frame(0x0a, 1_000_000, b"\x65" + bytes(20)) + fmp4_frame(0x01, 533_333, bytes(6))
for step in [10800, -7200, 3600, 14400, -7200, 3600, 14400, -7200, 3600]:
    ops += fmp4_frame(0x0c, step, b"\x41" + bytes(8)) + fmp4_frame(0x05, 1024, bytes(6))
put("fmp4", "h264_b_frames_aac", bytes([0x3f, 0, 0]) + struct.pack(">II", 320, 240)
    + bytes([0]) + struct.pack(">IHI", 48000, 2, 1024) + ops)
put("fmp4", "avcc_from_input", bytes([0x21, len(AVCC), 11]) + b"avc1.64001F" + AVCC
    + struct.pack(">II", 1280, 720) + ops)
put("fmp4", "hevc", bytes([0x20, 0, 0]) + struct.pack(">II", 1920, 1080) + ops[:40])

# --- ts: the start of an ffmpeg/libx264 HLS segment (PAT, PMT, the first video PES with its SPS),
# and the SPS NAL unit alone.
seg = open(f"{F}/ts/x264_main_640x360_15fps.ts", "rb").read()
put("ts", "x264_main_640x360_15fps.ts", seg)
i = seg.find(b"\x00\x00\x01\x67")
put("ts", "sps_nal", seg[i + 3:seg.find(b"\x00\x00\x01", i + 4)].rstrip(b"\x00"))

# --- vendor_answers: every reply of tests/fixtures/vendor (each protocol's parser reads each seed);
# the DVRIP body also framed in its 20-byte reply header (message 1531), as replay.py sends it.
V = f"{F}/vendor"
for proto in sorted(os.listdir(V)):
    if os.path.isdir(f"{V}/{proto}"):
        for name in sorted(os.listdir(f"{V}/{proto}")):
            cp("vendor_answers", f"{V}/{proto}/{name}", f"{proto}_{name}")
body = open(f"{V}/dvrip/besder_xm530_ipsearch_rsp.json", "rb").read()
put("vendor_answers", "dvrip_framed", struct.pack("<BB2xIIBBHI", 0xFF, 1, 0, 0, 0, 0, 1531, len(body)) + body)

# --- icmp: an Echo Reply as a ping socket hands it (no IPv4 header) and as a raw socket does
# (behind a 20-byte header), the reply crates/proto/src/icmp.rs's unit test builds.
def icmp_checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF
reply = bytearray(b"\x00\x00\x00\x00\x12\x34\x00\x07camscan")
reply[2:4] = struct.pack("!H", icmp_checksum(bytes(reply)))
put("icmp", "reply", bytes(reply))
put("icmp", "reply_with_ip_header",
    bytes([0x45, 0, 0, 35, 0, 0, 0, 0, 64, 1, 0, 0, 198, 19, 0, 4, 198, 18, 0, 2]) + bytes(reply))
