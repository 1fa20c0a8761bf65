#!/usr/bin/python3
"""Home Assistant's websocket API for the tests: commands in, answers out.

    ws.py --url http://127.0.0.1:8123 --token-file FILE < COMMANDS.json

COMMANDS.json is a JSON list of commands (`{"type": "config/entity_registry/list"}`, ...); each is
given the next id and sent in order over one connection authenticated with the token (read from
FILE, never from argv). Prints the JSON list of the answers (`{"id", "type": "result", "success",
"result" | "error"}`); events in between are skipped. Exit 1 when authentication fails.
"""

import argparse
import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ha import WebSocket  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token-file", required=True)
    a = ap.parse_args()
    commands = json.load(sys.stdin)
    with open(a.token_file, encoding="utf-8") as f:
        token = f.readline().strip()
    url = urllib.parse.urlsplit(a.url)
    ws = WebSocket(url.hostname, url.port or 80, "/api/websocket", timeout=60)
    ws.recv()
    ws.send({"type": "auth", "access_token": token})
    ok = ws.recv()
    if ok.get("type") != "auth_ok":
        print(f"ws.py: {ok}", file=sys.stderr)
        return 1
    answers = []
    for i, command in enumerate(commands, start=1):
        ws.send(dict(command, id=i))
        while True:
            answer = ws.recv()
            if answer.get("id") == i and answer.get("type") == "result":
                answers.append(answer)
                break
    ws.close()
    json.dump(answers, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
