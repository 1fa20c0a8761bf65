#!/usr/bin/python3
"""A Frigate 0.17 for camscan's push tests: the parts of Frigate's API a push uses, behaving as
Frigate's source says, failure modes included. Frigate itself (a Docker image with detectors,
nginx and go2rtc) cannot be installed here; this server follows blakeblackshear/frigate at tag
v0.17.2, file by file:

* `PUT /api/config/set` (`frigate/api/app.py` `config_set`, l.365-461; body
  `frigate/api/defs/request/app_body.py` `AppConfigSetBody`: `requires_restart` int default 1,
  `update_topic`, `config_data`):
  - a query string takes precedence over the body (`process_config_query_string`,
    `frigate/util/builtin.py`); `config_data` is flattened to dotted keys
    (`flatten_config_data`: nested dicts become keys, anything else, lists included, a value);
    neither: 400 "No configuration data provided";
  - every key is set in the YAML file in one rewrite (`update_yaml_file_bulk`: ruamel round trip,
    `indent(mapping=2, sequence=4, offset=2)`, so comments stay): a digit part of a dotted key
    becomes a list index of the part before it, which shifts the key list while it is being
    walked, so a key such as `cameras.x.ffmpeg.inputs.0.path` raises IndexError there, caught by
    `config_set`'s outer `except Exception`: 500 "Error updating config". `update_yaml`: missing
    parents are made as mappings; `""` deletes the key (a missing one raises: 500); a mapping
    given for a mapping is merged (`dict.update`), anything else replaces;
  - then the whole file is parsed and validated (`FrigateConfig.parse`); on any failure the old
    text is written back and the answer is 400 "Error parsing config. Check logs for error
    message." (the 0.17.2 text);
  - `requires_restart == 0 or update_topic`: the running config is replaced by the new one
    (`request.app.frigate_config = config`); otherwise the file changed and the running config
    did not (Frigate applies it at its next start). `update_topic` `config/cameras/<name>/add`
    starts the camera (recorded in `/_fake/state`), `.../remove` stops it.
* `GET /api/config` (`app.py` `config`): the running config as JSON, each camera's input paths
  and every go2rtc stream masked by `clean_camera_user_pass` (`REGEX_RTSP_CAMERA_USER_PASS`
  `://[a-zA-Z0-9_-]+:[\\S]+@` -> `://*:*@`, and `user=..&password=..`; a user name with other
  characters, `.` or `%`, is not masked: Frigate's own regex). Defaults are filled in for the
  fields camscan writes beside (input `global_args`, `hwaccel_args`, `input_args`; `detect`'s
  `stationary`, `record`'s `expire_interval`, the camera's `enabled`, `name`), as a model dump has more
  fields than the file; not every Frigate default is filled. A lone input's roles read back
  `["record", "detect"]` whatever was written (`frigate/config/camera/camera.py` l.154-164).
* Validation (`frigate/config/config.py`, `frigate/config/camera/*.py`, `frigate/config/base.py`
  `extra="forbid"`, `frigate/config/env.py`): `mqtt` required; camera names match
  `^[a-zA-Z0-9_-]+$` (`frigate/const.py` `REGEX_CAMERA_NAME`); unknown keys of a camera, its
  `ffmpeg`, an input, `detect`, `record` or `onvif` are refused; each input needs `path` and
  `roles` from detect/record/audio, each role on one input only, a `detect` role required
  (`ffmpeg.py` `validate_roles`: "Each input role may only be used once.", "The detect role is
  required."); `detect` width and height are integers; input paths and `onvif.user`/`password`
  and `onvif.host`/`user`/`password` are `EnvString`s, `str.format` over the server's
  `FRIGATE_*` environment (`frigate/config/env.py` l.18-22): a missing variable is a KeyError,
  a lone brace a ValueError, and the config fails; `{{` reads back as `{`.
* Values through `config_set` (`frigate/util/builtin.py` l.193-275): `""` deletes the key;
  `null` is written as a null (`key:`), `0` and `false` as themselves (`0 == ""` is false in
  Python); a list, of scalars or of mappings, replaces the old list whole; an empty mapping in
  `config_data` vanishes in `flatten_config_data` (nothing is set); a mapping merges key by key.
* nginx in front (`docker/main/rootfs/usr/local/nginx/conf/nginx.conf`, `location /api/`):
  answers 200 to a GET are cached 5 s per URL (`proxy_cache_valid 200 5s`) and served from the
  cache unless the request has `X-Cache-Bypass` (`proxy_cache_bypass $http_x_cache_bypass`),
  whose answer refreshes the cache.
* CSRF (`frigate/api/fastapi_app.py` `check_csrf`, every port): a request other than GET, HEAD,
  OPTIONS, TRACE with an `Origin` header and no `X-CSRF-TOKEN` answers 401 "Missing CSRF header".
* `--tls-port`: the authenticated port (8971 in Frigate, TLS): `POST /api/login` with
  `{"user", "password"}` (`frigate/api/auth.py` `login`) sets the JWT cookie `frigate_token`
  (`frigate/config/auth.py` `cookie_name` default) or answers 401 "Login failed"; any other
  request without a valid cookie is 401 (nginx `auth_request`). The plain `--port` is the
  internal 5000, which asks for nothing.
* `PUT /api/go2rtc/streams/{name}?src=` (`frigate/api/camera.py` `go2rtc_add_stream`): an
  `echo:`, `expr:` or `exec:` source is 400 "Restricted stream source type"; otherwise forwarded
  to go2rtc's `PUT /api/streams?name=&src=` (`--go2rtc-url`, else kept in `/_fake/state`).

Usage: frigate.py --bind ADDRESS --port PORT --config FILE [--tls-port P --cert C --key K
       --user U --password-file F] [--go2rtc-url URL] [--delay-ms N]
"""

import copy
import io
import json
import os
import re
import secrets
import sys
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

from ruamel.yaml import YAML  # noqa: E402

REGEX_CAMERA_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")
REGEX_RTSP_CAMERA_USER_PASS = re.compile(r":\/\/[a-zA-Z0-9_-]+:[\S]+@")
REGEX_HTTP_CAMERA_USER_PASS = re.compile(r"user=[a-zA-Z0-9_-]+&password=[\S]+")
FRIGATE_ENV_VARS = {k: v for k, v in os.environ.items() if k.startswith("FRIGATE_")}
ROLES = {"detect", "record", "audio"}
# The keys each model takes (frigate/config/camera/*.py at v0.17.2); anything else is refused.
CAMERA_KEYS = {
    "name", "friendly_name", "enabled", "audio", "audio_transcription", "birdseye", "detect",
    "face_recognition", "ffmpeg", "genai", "live", "lpr", "motion", "objects", "record", "review",
    "semantic_search", "snapshots", "timestamp_style", "best_image_timeout", "mqtt",
    "notifications", "onvif", "type", "ui", "webui_url", "zones", "enabled_in_config",
}
FFMPEG_KEYS = {"path", "global_args", "hwaccel_args", "input_args", "output_args",
               "retry_interval", "apple_compatibility", "gpu", "inputs"}
INPUT_KEYS = {"path", "roles", "global_args", "hwaccel_args", "input_args"}
DETECT_KEYS = {"enabled", "height", "width", "fps", "min_initialized", "max_disappeared",
               "stationary", "annotation_offset"}
ONVIF_KEYS = {"host", "port", "user", "password", "tls_insecure", "autotracking",
              "ignore_time_mismatch", "profile"}
RESTRICTED = ("echo:", "expr:", "exec:")
PARSE_FAILED = "Error parsing config. Check logs for error message."


class Invalid(Exception):
    pass


def yaml_rt():
    y = YAML()
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def clean_camera_user_pass(line):
    return REGEX_HTTP_CAMERA_USER_PASS.sub(
        "user=*&password=*", REGEX_RTSP_CAMERA_USER_PASS.sub("://*:*@", line))


def env_string(v, where):
    if not isinstance(v, str):
        raise Invalid(f"{where}: Input should be a valid string")
    return v.format(**FRIGATE_ENV_VARS)  # KeyError on a missing FRIGATE_ variable, as Frigate


def plain(v):
    """ruamel's round-trip types as plain JSON values."""
    return json.loads(json.dumps(v))


def extra(d, allowed, where):
    for k in d:
        if k not in allowed:
            raise Invalid(f"{where}.{k}: Extra inputs are not permitted")


def parse(text):
    """FrigateConfig.parse, for the parts a push writes: the running config as a plain dict with
    defaults, or an exception (Invalid, KeyError, a YAML error)."""
    doc = plain(YAML(typ="safe").load(text) or {})
    if not isinstance(doc, dict):
        raise Invalid("config: Input should be a valid dictionary")
    if "mqtt" not in doc:
        raise Invalid("mqtt: Field required")
    cams = doc.get("cameras") or {}
    if not isinstance(cams, dict):
        raise Invalid("cameras: Input should be a valid dictionary")
    out = copy.deepcopy(doc)
    out["cameras"] = {}
    for name, cam in cams.items():
        if not REGEX_CAMERA_NAME.match(str(name)):
            raise Invalid(f"cameras.{name}.name: String should match pattern")
        if not isinstance(cam, dict):
            raise Invalid(f"cameras.{name}: Input should be a valid dictionary")
        extra(cam, CAMERA_KEYS, f"cameras.{name}")
        ff = cam.get("ffmpeg")
        if not isinstance(ff, dict) or not isinstance(ff.get("inputs"), list) or not ff["inputs"]:
            raise Invalid(f"cameras.{name}.ffmpeg.inputs: Field required")
        extra(ff, FFMPEG_KEYS, f"cameras.{name}.ffmpeg")
        roles = []
        inputs = []
        # CameraConfig.__init__ (frigate/config/camera/camera.py l.154-164): a lone input's roles
        # become ["record", "detect"] (and "audio" when it had it), whatever was written.
        lone = len(ff["inputs"]) == 1 and isinstance(ff["inputs"][0], dict)
        if lone:
            had_audio = "audio" in (ff["inputs"][0].get("roles") or [])
            ff["inputs"][0]["roles"] = ["record", "detect"] + (["audio"] if had_audio else [])
        for i, inp in enumerate(ff["inputs"]):
            where = f"cameras.{name}.ffmpeg.inputs.{i}"
            if not isinstance(inp, dict) or "path" not in inp or "roles" not in inp:
                raise Invalid(f"{where}: path and roles: Field required")
            extra(inp, INPUT_KEYS, where)
            if not isinstance(inp["roles"], list) or any(r not in ROLES for r in inp["roles"]):
                raise Invalid(f"{where}.roles: Input should be 'audio', 'record' or 'detect'")
            roles += inp["roles"]
            inputs.append({"path": env_string(inp["path"], where + ".path"),
                           "roles": list(inp["roles"]),
                           "global_args": inp.get("global_args", []),
                           "hwaccel_args": inp.get("hwaccel_args", []),
                           "input_args": inp.get("input_args", "")})
        if len(roles) != len(set(roles)):
            raise Invalid("Each input role may only be used once.")
        if "detect" not in roles:
            raise Invalid("The detect role is required.")
        detect = cam.get("detect") or {}
        extra(detect, DETECT_KEYS, f"cameras.{name}.detect")
        for k in ("width", "height", "fps"):
            if k in detect and detect[k] is not None and not isinstance(detect[k], int):
                raise Invalid(f"cameras.{name}.detect.{k}: Input should be a valid integer")
        onvif = cam.get("onvif")
        if onvif is not None:
            extra(onvif, ONVIF_KEYS, f"cameras.{name}.onvif")
            # onvif.py l.75-78: host, user and password are EnvStrings (None skipped).
            for k in ("host", "user", "password"):
                if onvif.get(k) is not None:
                    onvif[k] = env_string(onvif[k], f"cameras.{name}.onvif.{k}")
        c = copy.deepcopy(cam)
        c["name"] = name
        c.setdefault("enabled", True)
        c["ffmpeg"] = dict(ff, inputs=inputs)
        c["detect"] = dict({"enabled": False, "fps": 5, "width": None, "height": None,
                            "stationary": {"interval": 50, "threshold": 50}}, **detect)
        c["record"] = dict({"enabled": False, "expire_interval": 60},
                           **(cam.get("record") or {}))
        if onvif is not None:
            c["onvif"] = dict({"port": 8000, "tls_insecure": False}, **onvif)
        out["cameras"][name] = c
    out.setdefault("go2rtc", {})
    return out


def set_dotted(data, key_str, value):
    """update_yaml_file_bulk's handling of one dotted key (see the module docs): digit parts
    become (list, index) pairs while the key list is walked by its original length."""
    key_path = key_str.split(".")
    for i in range(len(key_path)):
        try:
            index = int(key_path[i])  # IndexError once the list has shrunk: as Frigate
        except ValueError:
            continue
        key_path[i] = (key_path[i - 1], index)
        key_path.pop(i - 1)
    node = data
    for k in key_path[:-1]:
        if isinstance(k, tuple):
            lst = node.setdefault(k[0], [{}] * max(1, k[1] + 1))
            while len(lst) <= k[1]:
                lst.append({})
            node = lst[k[1]]
        else:
            if k not in node or node[k] is None:
                node[k] = {}
            node = node[k]
    last = key_path[-1]
    if value == "":
        if isinstance(last, tuple):
            del node[last[0]][last[1]]
        else:
            del node[last]  # KeyError on a key that is not there: as Frigate
    elif isinstance(last, tuple):
        lst = node.setdefault(last[0], [{}] * max(1, last[1] + 1))
        while len(lst) <= last[1]:
            lst.append({})
        lst[last[1]] = value
    elif last in node and isinstance(node[last], dict) and isinstance(value, dict):
        node[last].update(value)
    else:
        node[last] = value


def flatten(d, parent=""):
    items = {}
    for k, v in d.items():
        key = f"{parent}.{k}" if parent else k
        if isinstance(v, dict):
            items.update(flatten(v, key))
        else:
            items[key] = v
    return items


def query_updates(query):
    """process_config_query_string: one value as a Python literal when it has no comma."""
    import ast
    out = {}
    for k, values in urllib.parse.parse_qs(query, keep_blank_values=True).items():
        if not k:
            continue
        if len(values) > 1:
            out[k] = values
        else:
            v = values[0]
            try:
                v = ast.literal_eval(v) if "," not in v else v
            except (ValueError, SyntaxError):
                pass
            out[k] = v
    return out


def main():
    def more(p):
        p.add_argument("--tls-port", type=int)
        p.add_argument("--cert")
        p.add_argument("--key")
        p.add_argument("--go2rtc-url")

    args = common.arguments("a Frigate 0.17 API", more)
    path = args.config
    state = {"lock": threading.Lock(), "started": [], "go2rtc": {}, "cache": {},
             "tokens": set()}
    with open(path) as f:
        state["running"] = parse(f.read())

    def masked(cfg):
        c = copy.deepcopy(cfg)
        for cam in c.get("cameras", {}).values():
            for inp in cam.get("ffmpeg", {}).get("inputs", []):
                inp["path"] = clean_camera_user_pass(inp["path"])
        streams = (c.get("go2rtc") or {}).get("streams") or {}
        for name, s in list(streams.items()):
            if isinstance(s, str):
                streams[name] = clean_camera_user_pass(s)
            elif isinstance(s, list):
                streams[name] = [clean_camera_user_pass(x) for x in s]
        return c

    class Frigate(common.Handler):
        authenticated = False
        delay = args.delay_ms / 1000

        def refused_csrf(self):
            if self.command not in ("GET", "HEAD", "OPTIONS", "TRACE") \
                    and "origin" in self.headers and "x-csrf-token" not in self.headers:
                self.answer(401, {"success": False, "message": "Missing CSRF header"})
                return True
            return False

        def logged_in(self):
            if not self.authenticated:
                return True
            cookie = self.headers.get("Cookie", "")
            for part in cookie.split(";"):
                k, _, v = part.strip().partition("=")
                if k == "frigate_token" and v in state["tokens"]:
                    return True
            self.answer(401, "<html><body>401 Unauthorized</body></html>",
                        content_type="text/html")
            return False

        def do_GET(self):
            route, query = self.parsed()
            if route == "/_fake/state":
                return self.answer(200, {"started": state["started"], "go2rtc": state["go2rtc"]})
            if not self.logged_in():
                return
            if route != "/api/config":
                return self.answer(404, {"detail": "Not Found"})
            key = self.path
            now = time.monotonic()
            bypass = self.headers.get("X-Cache-Bypass", "") not in ("", "0")
            with state["lock"]:
                hit = state["cache"].get(key)
                cached = bool(hit) and now - hit[0] < 5 and not bypass
                if cached:
                    body = hit[1]
                else:
                    body = json.dumps(masked(state["running"]))
                    state["cache"][key] = (now, body)
            self.answer(200, body, headers={"X-Cache-Status": "HIT" if cached else "MISS"})

        def do_POST(self):
            route, _ = self.parsed()
            if self.refused_csrf():
                return
            if route == "/api/login" and self.authenticated:
                try:
                    body = json.loads(self.body() or b"{}")
                except ValueError:
                    return self.answer(422, {"detail": "invalid JSON"})
                if body.get("user") == args.user and body.get("password") == args.password:
                    token = secrets.token_urlsafe(24)
                    state["tokens"].add(token)
                    return self.answer(200, "", headers={
                        "Set-Cookie": f"frigate_token={token}; HttpOnly; Path=/; SameSite=lax"},
                        content_type="text/plain")
                return self.answer(401, {"message": "Login failed"})
            if not self.logged_in():
                return
            self.answer(404, {"detail": "Not Found"})

        def do_PUT(self):
            route, query = self.parsed()
            raw = self.body()
            if self.refused_csrf() or not self.logged_in():
                return
            if route.startswith("/api/go2rtc/streams/"):
                return self.go2rtc(route.rsplit("/", 1)[1], query)
            if route != "/api/config/set":
                return self.answer(404, {"detail": "Not Found"})
            # FastAPI: `body: AppConfigSetBody` is a required JSON body, checked before the
            # handler runs (422 without one), whether or not the query string carries the change.
            if not raw:
                return self.answer(422, {"detail": [{"type": "missing", "loc": ["body"],
                                                     "msg": "Field required"}]})
            try:
                body = json.loads(raw)
                requires_restart = int(body.get("requires_restart", 1))
                topic = body.get("update_topic")
                data = body.get("config_data")
            except (ValueError, TypeError, AttributeError):
                return self.answer(422, {"detail": "body: invalid"})
            with state["lock"]:
                with open(path) as f:
                    old = f.read()
                try:
                    updates = query_updates(query)
                    if not updates and isinstance(data, dict) and data:
                        updates = flatten(data)
                    if not updates:
                        return self.answer(400, {"success": False,
                                                 "message": "No configuration data provided"})
                    y = yaml_rt()
                    doc = y.load(old)
                    for k, v in updates.items():
                        set_dotted(doc, k, v)
                    out = io.StringIO()
                    y.dump(doc, out)
                    with open(path, "w") as f:
                        f.write(out.getvalue())
                    try:
                        config = parse(out.getvalue())
                    except Exception as e:  # noqa: BLE001 - Frigate catches every exception here
                        with open(path, "w") as f:
                            f.write(old)
                        print(json.dumps({"config_error": repr(e)}), flush=True)
                        return self.answer(400, {"success": False, "message": PARSE_FAILED})
                except Exception as e:  # noqa: BLE001
                    print(json.dumps({"update_error": repr(e)}), flush=True)
                    return self.answer(500, {"success": False,
                                             "message": "Error updating config"})
                if requires_restart == 0 or topic:
                    state["running"] = config
                    if topic and topic.startswith("config/cameras/"):
                        parts = topic.split("/")
                        if len(parts) == 4 and parts[3] == "add":
                            state["started"].append(parts[2])
                        elif len(parts) == 4 and parts[3] == "remove":
                            state["started"] = [c for c in state["started"] if c != parts[2]]
            self.answer(200, {"success": True,
                              "message": "Config successfully updated, restart to apply"})

        def go2rtc(self, name, query):
            src = urllib.parse.parse_qs(query).get("src", [""])[0]
            if src and src.startswith(RESTRICTED):
                return self.answer(400, {"success": False,
                                         "message": "Restricted stream source type"})
            if args.go2rtc_url:
                q = urllib.parse.urlencode({"name": name, **({"src": src} if src else {})})
                req = urllib.request.Request(f"{args.go2rtc_url}/api/streams?{q}", method="PUT")
                try:
                    with urllib.request.urlopen(req, timeout=10) as r:
                        r.read()
                except urllib.error.HTTPError as e:
                    text = e.read().decode(errors="replace")
                    return self.answer(e.code, {"success": False,
                                                "message": f"Failed to add stream: {text}"})
                except OSError as e:
                    return self.answer(500, {"success": False,
                                             "message": f"Error communicating with go2rtc: {e}"})
            else:
                state["go2rtc"][name] = src
            self.answer(200, {"success": True, "message": "Stream added successfully"})

    class FrigateAuth(Frigate):
        authenticated = True

    tls = None
    if args.tls_port:
        tls = (args.tls_port, args.cert, args.key, FrigateAuth)
    common.serve(Frigate, args.bind, args.port, tls)


if __name__ == "__main__":
    main()
