#!/usr/bin/python3
"""A MediaMTX for camscan's push tests: its path-configuration API as bluenviron/mediamtx's source
has it (read at commit 3e09466c, release v1.20.1 or later). MediaMTX is a Go binary from GitHub
releases, not in Debian, PyPI or npm; this server plays the contract a push relies on:

* `api/openapi.yaml` and `internal/api/api_config_paths.go`:
  - `GET /v3/config/paths/list?page=&itemsPerPage=` (default 100 a page, `paginate.go`):
    `{"itemCount", "pageCount", "items": [PathConf with "name"]}`, sorted by name;
  - `GET /v3/config/paths/get/{name}`: 404 `{"status": "error", "error": "path configuration not
    found"}`;
  - `POST /v3/config/paths/add/{name}`: the body decoded strictly (`jsonwrapper.Decode`: an
    unknown field is a 400), then `Conf.AddPath` (`internal/conf/conf.go`): 400 "path already
    exists" for a name taken; the new configuration validated;
  - `PATCH /v3/config/paths/patch/{name}`: the fields given merged; a field left out or `null`
    keeps its old value, never the default (`internal/conf/conf.go` l.91-116
    `copyStructFields`, l.1163-1171 `PatchPath`; `optional_path.go` makes every field a pointer);
    404 "path not found" (`conf.ErrPathNotFound`) for a name that is not there;
  - add and patch: `null` for a field is no value (the default on add); `rtspTransport` one of
    udp, multicast, tcp, automatic (`rtsp_transport.go`: "invalid transport 'x'"); the merged
    path validated as a whole (`internal/core/core.go` l.1323-1351), every refusal a 400;
  - `DELETE /v3/config/paths/delete/{name}`: 404 likewise;
  - every success `{"status": "ok"}`, every error `{"status": "error", "error": TEXT}`
    (`api.go` `writeOK`, `writeError`).
* Validation (`internal/conf/path.go`): names match `^[0-9a-zA-Z_\\-/\\.]+$`, no leading or
  trailing slash, no `.` or `..` segment ("invalid path name"); a source of a scheme MediaMTX
  does not pull is "invalid source: 'x'"; a source URL without a host is "'x' is not a valid
  URL", one with a user name and no password (or a password and no user name) is "username and
  password must be both provided" (`validateURL`, l.83-106, on the URL as Go's `net/url` decodes
  it); `sourceOnDemand` with `source: publisher` is refused (l.796-799).
* Defaults on read (`Path.setDefaults`): `source: publisher`, `sourceOnDemand: false`,
  `sourceOnDemandStartTimeout: 10s`, `sourceOnDemandCloseAfter: 10s`, `rtspTransport:
  automatic`, `record: false`, `overridePublisher: true`, `maxReaders: 0` (the ones next to what
  camscan writes; not every default). Credentials in `source` are not redacted
  (`redactCredentials` covers only publish/read passwords and internal users).
* Kept in RAM only: nothing is written back to a file (the maintainers' choice); `--config`
  loads a file's `paths:` at start.
* Auth (`api.go` `middlewareAuth`, action `api`): with `--user`, HTTP Basic is required, else 401
  `authentication error` with `WWW-Authenticate: Basic realm="mediamtx"`; without it the default
  `authInternalUsers` allow the `api` action from 127.0.0.1 and ::1 only (403 otherwise).

Usage: mediamtx.py --bind ADDRESS --port PORT [--config FILE] [--user U --password-file F]
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

KNOWN = set("""alwaysAvailable alwaysAvailableFile alwaysAvailableTracks disablePublisherOverride
fallback forward maxReaders moqTransport mpegtsUDPReadBufferSize overridePublisher playback
publishIPs publishPass publishUser readIPs readPass readUser record recordDeleteAfter recordFormat
recordMaxPartSize recordPartDuration recordPath recordSegmentDuration rtpSDP rtpUDPReadBufferSize
rtspAnyPort rtspDemuxMpegts rtspRangeStart rtspRangeType rtspScale rtspTransport
rtspUDPReadBufferSize rtspUDPSourcePortRange runOnDemand runOnDemandCloseAfter runOnDemandRestart
runOnDemandStartTimeout runOnInit runOnInitRestart runOnNotReady runOnRead runOnReadRestart
runOnReady runOnReadyRestart runOnRecordSegmentComplete runOnRecordSegmentCreate runOnUnDemand
runOnUnread source sourceAnyPortEnable sourceFingerprint sourceOnDemand sourceOnDemandCloseAfter
sourceOnDemandStartTimeout sourceProtocol sourceRedirect srtPublishPassphrase srtReadPassphrase
useAbsoluteTimestamp whepBearerToken""".split())
DEFAULTS = {"source": "publisher", "sourceOnDemand": False, "sourceOnDemandStartTimeout": "10s",
            "sourceOnDemandCloseAfter": "10s", "rtspTransport": "automatic", "record": False,
            "overridePublisher": True, "maxReaders": 0}
NAME = re.compile(r"^[0-9a-zA-Z_\-/\.]+$")


def name_error(name):
    if not name:
        return "cannot be empty"
    if name[0] == "/":
        return "can't begin with a slash"
    if name[-1] == "/":
        return "can't end with a slash"
    if not NAME.match(name):
        return "can contain only alphanumeric characters, underscore, dot, minus, slash"
    if any(seg in (".", "..") for seg in name.split("/")):
        return "can't contain dot path segments"
    return None


TRANSPORTS = {"udp", "multicast", "tcp", "automatic"}
SCHEMES = ("rtsp://", "rtsps://", "rtsp+http://", "rtsps+http://", "rtsp+ws://", "rtsps+ws://",
           "rtmp://", "rtmps://", "http://", "https://", "udp://", "udp+mpegts://",
           "unix+mpegts://", "udp+rtp://", "unix+rtp://", "srt://", "moqt://", "whep://",
           "wheps://")


def decode(conf):
    """jsonwrapper.Decode into conf.OptionalPath: unknown fields refused, `null` a nil pointer
    (`internal/conf/jsonwrapper/unmarshal.go` l.49-54), which is no value at all: dropped here,
    so an add takes the default and a patch keeps the old value."""
    for k in conf:
        if k not in KNOWN:
            return None, f'json: unknown field "{k}"'
    conf = {k: v for k, v in conf.items() if v is not None}
    t = conf.get("rtspTransport")
    if t is not None and t not in TRANSPORTS:
        # internal/conf/rtsp_transport.go UnmarshalJSON
        return None, f"invalid transport '{t}'" if isinstance(t, str) else \
            "json: cannot unmarshal into string"
    for k in ("sourceOnDemand", "record", "overridePublisher"):
        if k in conf and not isinstance(conf[k], bool):
            return None, f"json: cannot unmarshal {type(conf[k]).__name__} into bool"
    return conf, None


def check(conf):
    """Path.validate (`internal/conf/path.go` l.436-805) on the parts a push writes."""
    src = conf.get("source", DEFAULTS["source"])
    if not isinstance(src, str):
        return "json: cannot unmarshal into string"
    if src != "publisher" and not src.startswith(SCHEMES) and src not in (
            "redirect", "rpiCamera"):
        return f"invalid source: '{src}'"
    if "://" in src:
        # validateURL (l.83-106): a scheme and a host; user and password both or neither.
        u = urllib.parse.urlsplit(src)
        if not u.scheme or not u.hostname:
            return f"'{src}' is not a valid URL"
        if (u.username or "") != "" and not u.password or \
                (u.username or "") == "" and u.password:
            return "username and password must be both provided"
    if conf.get("sourceOnDemand") and src == "publisher":
        return "'sourceOnDemand' is useless when source is 'publisher'"
    return None


def main():
    args = common.arguments("a MediaMTX path-configuration API")
    lock = threading.Lock()
    paths = {}
    if args.config:
        with open(args.config) as f:
            for name, conf in ((YAML(typ="safe").load(f.read()) or {}).get("paths") or {}).items():
                paths[str(name)] = dict(conf or {})

    def full(name):
        return dict(DEFAULTS, **paths[name], name=name)

    class Mediamtx(common.Handler):
        delay = args.delay_ms / 1000

        def err(self, status, text, headers=None):
            self.answer(status, {"status": "error", "error": text}, headers=headers)

        def allowed(self):
            if args.user:
                got = self.headers.get("Authorization", "")
                want = "Basic " + base64.b64encode(
                    f"{args.user}:{args.password}".encode()).decode()
                if got != want:
                    self.err(401, "authentication error",
                             headers={"WWW-Authenticate": 'Basic realm="mediamtx"'})
                    return False
                return True
            if self.client_address[0] not in ("127.0.0.1", "::1"):
                self.err(403, "authentication error")
                return False
            return True

        def name(self, prefix):
            path, _ = self.parsed()
            if not path.startswith(prefix):
                return None
            return urllib.parse.unquote(path[len(prefix):])

        def decoded(self):
            try:
                conf = json.loads(self.body() or b"{}")
            except ValueError as e:
                self.err(400, f"invalid JSON: {e}")
                return None
            if not isinstance(conf, dict):
                self.err(400, "json: cannot unmarshal into conf.OptionalPath")
                return None
            conf, bad = decode(conf)
            if bad:
                self.err(400, bad)
                return None
            return conf

        def do_GET(self):
            if not self.allowed():
                return
            path, query = self.parsed()
            if path == "/v3/config/paths/list":
                q = urllib.parse.parse_qs(query)
                try:
                    per = int(q.get("itemsPerPage", ["100"])[0])
                    page = int(q.get("page", ["0"])[0])
                    if per <= 0 or page < 0:
                        raise ValueError
                except ValueError:
                    return self.err(400, "invalid pagination")
                with lock:
                    items = [full(n) for n in sorted(paths)]
                pages = (len(items) + per - 1) // per
                return self.answer(200, {"itemCount": len(items), "pageCount": pages,
                                         "items": items[page * per:(page + 1) * per]})
            name = self.name("/v3/config/paths/get/")
            if name is None:
                return self.err(404, "not found")
            with lock:
                if name not in paths:
                    return self.err(404, "path configuration not found")
                self.answer(200, full(name))

        def do_POST(self):
            if not self.allowed():
                return
            name = self.name("/v3/config/paths/add/")
            if name is None:
                return self.err(404, "not found")
            conf = self.decoded()
            if conf is None:
                return
            bad = name_error(name)
            if bad:
                return self.err(400, f"invalid path name '{name}': {bad}")
            with lock:
                if name in paths:
                    return self.err(400, "path already exists")
                bad = check(conf)
                if bad:
                    return self.err(400, bad)
                paths[name] = conf
            self.answer(200, {"status": "ok"})

        def do_PATCH(self):
            if not self.allowed():
                return
            name = self.name("/v3/config/paths/patch/")
            if name is None:
                return self.err(404, "not found")
            conf = self.decoded()
            if conf is None:
                return
            with lock:
                if name not in paths:
                    return self.err(404, "path not found")
                merged = dict(paths[name], **conf)
                bad = check(merged)
                if bad:
                    return self.err(400, bad)
                paths[name] = merged
            self.answer(200, {"status": "ok"})

        def do_DELETE(self):
            if not self.allowed():
                return
            name = self.name("/v3/config/paths/delete/")
            if name is None:
                return self.err(404, "not found")
            with lock:
                if name not in paths:
                    return self.err(404, "path not found")
                del paths[name]
            self.answer(200, {"status": "ok"})

    common.serve(Mediamtx, args.bind, args.port)


if __name__ == "__main__":
    main()
