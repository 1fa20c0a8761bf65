#!/usr/bin/env bash
# scripts/bench --misaddressed [SCANS]: SCANS scans in a row (default 20) of an unchanged lab with
# a misaddressed camera, into one inventory. The lab is tests/lab/lab.sh (prefix csbm) with its
# host h1 moved to 198.19.1.64/24 (gateway 198.19.1.1, which does not exist) on the same bridge.
# The camera speaks only before the first scan (tests/lab/responders/offlink_talker.py makes its
# kernel ARP for the gateway; stopped once a scan has heard it), as a camera between its gateway
# retries does. Prints, per scan, whether the camera was in the report and what `camscan diff`
# of it and the scan before said (added, removed, changed, not seen); then the totals. Target
# (issue 62): the camera in every scan, every diff empty. Root; everything is torn down on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
SCANS=${1:-20}
P=csbm
CAMSCAN=${CAMSCAN_BIN:-target/release/camscan}
TMP=$(mktemp -d)
TALKER=""
cleanup() {
  [ -n "$TALKER" ] && kill "$TALKER" 2>/dev/null || true
  bash tests/lab/lab.sh down "$P" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
bash tests/lab/lab.sh up "$P" >/dev/null
ip -n "$P-h1" addr flush dev eth0
ip -n "$P-h1" addr add 198.19.1.64/24 dev eth0
ip -n "$P-h1" route add default via 198.19.1.1
scan() {
  ip netns exec "$P-scan" env CAMSCAN_DB="$TMP/inv.db" "$CAMSCAN" scan 198.18.0.0/24 -f json \
    -p 554 --discovery arp,ports 2>>"$TMP/err" || true
}
seen() { python3 -c 'import json,sys; r=json.load(sys.stdin); print(any(d["ip"]=="198.19.1.64" and d.get("misaddressed") for d in r["devices"]))'; }
# Talking until a scan hears it (at most 10 scans), then silent.
coproc TALK { ip netns exec "$P-h1" python3 tests/lab/responders/offlink_talker.py 198.18.0.250; }
TALKER=$TALK_PID
read -r _ <&"${TALK[0]}"
heard=False
for _ in $(seq 1 10); do
  heard=$(scan | seen)
  [ "$heard" = True ] && break
done
kill "$TALKER"; TALKER=""
echo "first scan heard the talking camera: $heard"
sleep 1
found=0; quiet=0
for i in $(seq 1 "$SCANS"); do
  s=$(scan | seen)
  d=$(ip netns exec "$P-scan" env CAMSCAN_DB="$TMP/inv.db" "$CAMSCAN" diff -f json 2>>"$TMP/err" \
      | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["added"]), len(d["removed"]), len(d["changed"]), len(d.get("not_seen", [])))')
  read -r a r c n <<<"$d"
  [ "$s" = True ] && found=$((found + 1))
  [ "$a$r$c" = 000 ] && quiet=$((quiet + 1))
  echo "scan $i: camera $s; diff added $a removed $r changed $c not_seen $n"
done
echo "misaddressed camera in $found of $SCANS scans; $quiet of $SCANS diffs with nothing added, removed or changed"
