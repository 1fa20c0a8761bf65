#!/usr/bin/python3
"""A go2rtc for camscan's push tests: its streams API, as AlexxIT/go2rtc's source has it (read at
commit dc1685e9, release v1.9.14 or later). go2rtc is a Go binary from GitHub releases, not in
Debian, PyPI or npm; this server plays the contract a push relies on:

* `internal/streams/api.go` `apiStreams`, every answer through `creds.SecretResponse`
  (`pkg/creds/secrets.go`: each URL's userinfo written `://***@`):
  - `GET /api/streams` (no `src`): every stream, `{"name": {"producers": [{"url": SOURCE}],
    "consumers": null}}` (a stream nobody watches has a nil slice, which Go encodes as null) (`internal/streams/stream.go` and `producer.go` `MarshalJSON`: a producer
    not connected is its `url`); `GET ?src=NAME`: that stream, 404 when there is none;
  - `PUT ?name=N&src=URL[&src=URL2]` (`name` defaults to `src`; an empty or missing first
    `src` lists the streams and changes nothing, api.go l.19-23): `New` checks each source has a
    handler (`internal/streams/streams.go`: "streams: source not supported" is a 400) and passes
    `Validate` (`handlers.go` l.123-134: `echo:`, `exec:`, `expr:` "source from insecure
    producer", whitespace "source with spaces may be insecure"), makes the stream, then
    `app.PatchConfig(["streams", name], srcs)` writes it into the YAML file, always as a list
    (`internal/app/config.go`; "config file disabled" without one; a splice that does not parse
    again is a 400 and the file is kept, `pkg/yaml/yaml.go` l.26-38);
  - `DELETE ?src=NAME`: the stream deleted, and `PatchConfig` with nil removes its key;
  - `PATCH ?name=N&src=URL`: the running stream changed, the file not.
* `pkg/yaml/yaml.go` `Patch`: a textual splice, not a re-dump: the key's own lines (the key and
  the lines indented under it) are replaced by the new value encoded with a 2-space indent, a new
  key goes at the end of its parent's block, and every other byte of the file, comments
  included, stays; a file without the parent key gets `streams:` appended.
* `internal/api/api.go`: with `api.username` set every request needs HTTP Basic, else 401 with
  `Www-Authenticate: Basic realm="go2rtc"` and the body "Unauthorized".

Sources with a handler here: the schemes go2rtc registers (rtsp, rtsps, rtspx, rtmp, rtmps,
http, https, ffmpeg, onvif, exec, echo, expr, webrtc, homekit, isapi, dvrip, tapo, kasa, hass,
gopro, ivideon, roborock, bubble, nest, ring, tuya, v4l2, alsa, doorbird, flussonic, wyze, yandex).

Usage: go2rtc.py --bind ADDRESS --port PORT --config FILE [--user U --password-file F]
"""

import base64
import json
import os
import re
import sys
import threading
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

from ruamel.yaml import YAML  # noqa: E402

SCHEMES = {"rtsp", "rtsps", "rtspx", "rtmp", "rtmps", "http", "https", "ffmpeg", "onvif",
           "exec", "echo", "expr", "webrtc", "homekit", "isapi", "dvrip", "tapo", "kasa",
           "hass", "gopro", "ivideon", "roborock", "bubble", "nest", "ring", "tuya", "v4l2",
           "alsa", "doorbird", "flussonic", "wyze", "yandex"}
USERINFO = re.compile(r"://[A-Za-z0-9\-._~!$&'()*+,;=%:]+@")


def secret(text):
    return USERINFO.sub("://***@", text)


def has_producer(src):
    scheme = src.split(":", 1)[0].lower() if ":" in src else ""
    return scheme in SCHEMES


INSECURE = {"echo", "exec", "expr"}


def source_error(src):
    """streams.New / Patch on one source (`internal/streams/streams.go` l.53-62,
    `handlers.go` l.34-48 HasProducer and l.123-134 Validate): a scheme without a handler, a
    scheme marked insecure (`echo`, `exec`, `expr`: `MarkInsecure` in their modules), any
    whitespace."""
    if not has_producer(src):
        return "streams: source not supported"
    if src.split(":", 1)[0] in INSECURE:
        return "streams: source from insecure producer"
    if re.search(r"\s", src):
        return "streams: source with spaces may be insecure"
    return None


def encode(name, value):
    """yaml.Encode({name: value}, 2): the key and its value, a list one item a line."""
    if isinstance(value, list):
        lines = [f"{name}:"] + [f"  - {json.dumps(v) if needs_quote(v) else v}" for v in value]
    else:
        lines = [f"{name}: {json.dumps(value) if needs_quote(value) else value}"]
    return "\n".join(lines) + "\n"


def needs_quote(v):
    return not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_\-./:@%?=&+~,\[\]{}$*!#']*", str(v)) \
        or " #" in str(v)


def block_end(lines, i):
    """The index after key line `i`'s block: the following lines indented deeper (blank lines
    and comments inside it belong to it)."""
    indent = len(lines[i]) - len(lines[i].lstrip(" "))
    j = i + 1
    while j < len(lines):
        s = lines[j]
        if s.strip() and not s.lstrip().startswith("#") and len(s) - len(s.lstrip(" ")) <= indent:
            break
        if s.lstrip().startswith("#") and len(s) - len(s.lstrip(" ")) <= indent:
            break
        j += 1
    return j


def patch(text, name, value):
    """`PatchConfig(["streams", name], value)` on the file's text (see the module docs)."""
    lines = text.splitlines(keepends=True)
    top = next((i for i, l in enumerate(lines) if re.match(r"^streams:\s*(#.*)?$", l.rstrip("\n"))),
               None)
    if top is None:
        if value is None:
            raise ValueError("yaml: path not exist")
        if text and not text.endswith("\n"):
            text += "\n"
        return text + "streams:\n" + indent(encode(name, value), 2)
    end = block_end(lines, top)
    child = None
    child_indent = None
    for i in range(top + 1, end):
        s = lines[i]
        if not s.strip() or s.lstrip().startswith("#"):
            continue
        ind = len(s) - len(s.lstrip(" "))
        if child_indent is None:
            child_indent = ind
        if ind == child_indent and re.match(rf"^\s*{re.escape(name)}\s*:", s):
            child = i
            break
    paste = "" if value is None else indent(encode(name, value), child_indent or 2)
    if child is not None:
        return "".join(lines[:child]) + paste + "".join(lines[block_end(lines, child):])
    if value is None:
        return text
    before = "".join(lines[:end])
    if before and not before.endswith("\n"):
        before += "\n"
    return before + paste + "".join(lines[end:])


def indent(text, n):
    return "".join(" " * n + l if l.strip() else l for l in text.splitlines(keepends=True))


def main():
    args = common.arguments("a go2rtc streams API")
    lock = threading.Lock()
    with open(args.config) as f:
        doc = YAML(typ="safe").load(f.read()) or {}
    streams = {}
    for name, v in (doc.get("streams") or {}).items():
        streams[str(name)] = [v] if isinstance(v, str) else list(v or [])

    def write(name, value):
        """app.PatchConfig: the file spliced, then parsed whole; a splice that does not parse
        (a person's compact list `- x` under the key at the key's own indent is left behind,
        nodeBounds keeping only deeper lines) is an error and the file stays as it was
        (`pkg/yaml/yaml.go` l.26-38, `internal/app/config.go` l.24-41)."""
        with open(args.config) as f:
            text = f.read()
        out = patch(text, name, value)
        try:
            parsed = YAML(typ="safe").load(out)
        except Exception as e:  # noqa: BLE001 - any YAML error is yaml.v3's error here
            raise ValueError(f"yaml: {e}".splitlines()[0]) from e
        if parsed is not None and not isinstance(parsed, dict):
            raise ValueError("yaml: can't patch")
        with open(args.config, "w") as f:
            f.write(out)

    class Go2rtc(common.Handler):
        delay = args.delay_ms / 1000

        def authorized(self):
            if not args.user:
                return True
            got = self.headers.get("Authorization", "")
            want = "Basic " + base64.b64encode(f"{args.user}:{args.password}".encode()).decode()
            if got == want:
                return True
            self.answer(401, "Unauthorized\n", headers={"Www-Authenticate": 'Basic realm="go2rtc"'},
                        content_type="text/plain")
            return False

        def route(self):
            path, query = self.parsed()
            if not self.authorized():
                return None
            if path != "/api/streams":
                self.answer(404, "404 page not found\n", content_type="text/plain")
                return None
            return urllib.parse.parse_qs(query, keep_blank_values=True)

        def listing(self, names):
            return {n: {"producers": [{"url": s} for s in streams[n]], "consumers": None}
                    for n in names}

        def do_GET(self):
            q = self.route()
            if q is None:
                return
            src = q.get("src", [""])[0]
            with lock:
                if not src:
                    body = self.listing(sorted(streams))
                elif src in streams:
                    body = self.listing([src])[src]
                else:
                    return self.answer(404, "\n", content_type="text/plain")
            self.answer(200, secret(json.dumps(body)))

        def do_PUT(self):
            self.body()
            q = self.route()
            if q is None:
                return
            srcs = q.get("src", [])
            if not srcs or not srcs[0]:
                # apiStreams: without src, anything but POST lists the streams.
                with lock:
                    return self.answer(200, secret(json.dumps(self.listing(sorted(streams)))))
            name = q.get("name", [""])[0] or srcs[0]
            for s in srcs:
                bad = source_error(s)
                if bad:
                    return self.answer(400, f"{bad}\n", content_type="text/plain")
            with lock:
                # New() makes the running stream before PatchConfig writes the file: a write
                # that fails still answers 400 with the stream changed (api.go l.55-62).
                streams[name] = list(srcs)
                try:
                    write(name, list(srcs))
                except (OSError, ValueError) as e:
                    return self.answer(400, f"{e}\n", content_type="text/plain")
            self.answer(200, "", content_type="text/plain")

        def do_PATCH(self):
            self.body()
            q = self.route()
            if q is None:
                return
            name = q.get("name", [""])[0]
            src = q.get("src", [""])[0]
            if not name:
                return self.answer(400, "\n", content_type="text/plain")
            bad = source_error(src)
            if bad:
                return self.answer(400, f"{bad}\n", content_type="text/plain")
            with lock:
                streams[name] = [src]
            self.answer(200, "", content_type="text/plain")

        def do_DELETE(self):
            q = self.route()
            if q is None:
                return
            src = q.get("src", [""])[0]
            if not src:
                with lock:
                    return self.answer(200, secret(json.dumps(self.listing(sorted(streams)))))
            with lock:
                streams.pop(src, None)
                try:
                    write(src, None)
                except (OSError, ValueError) as e:
                    return self.answer(400, f"{e}\n", content_type="text/plain")
            self.answer(200, "", content_type="text/plain")

    common.serve(Go2rtc, args.bind, args.port)


if __name__ == "__main__":
    main()
