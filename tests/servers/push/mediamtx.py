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
  - `PATCH /v3/config/paths/patch/{name}`: the fields given merged; 404 "path not found"
    (`conf.ErrPathNotFound`) for a name that is not there;
  - `DELETE /v3/config/paths/delete/{name}`: 404 likewise;
  - every success `{"status": "ok"}`, every error `{"status": "error", "error": TEXT}`
    (`api.go` `writeOK`, `writeError`).
* Validation (`internal/conf/path.go`): names match `^[0-9a-zA-Z_\\-/\\.]+$`, no leading or
  trailing slash, no `.` or `..` segment ("invalid path name"); a source URL with a user name and
  no password is "username and password must be both provided".
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


def check(conf):
    for k in conf:
        if k not in KNOWN:
            return f'json: unknown field "{k}"'
    src = conf.get("source", "")
    if isinstance(src, str) and "://" in src:
        u = urllib.parse.urlsplit(src)
        if u.username is not None and not u.password:
            return "username and password must be both provided"
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
            bad = check(conf)
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
