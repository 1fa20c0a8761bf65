#!/usr/bin/env bash
# Re-verify ssdp_device.py (GUPnP/GSSDP) in the namespace lab and (re)write its fixtures from real replies.
#
#   bash tests/lab/responders/capture_ssdp_fixtures.sh [PREFIX]      (root; PREFIX defaults to csg)
#
# Builds the lab with tests/lab/lab.sh, runs ssdp_device.py in PREFIX-h1 (198.18.0.11) with Debian's
# python3, M-SEARCHes from PREFIX-scan (198.18.0.1) with our own ssdp_probe.py (multicast
# upnp:rootdevice and ssdp:all, then unicast to 198.18.0.11:1900), fetches the description, writes
#   fixtures/ssdp_msearch_reply_rootdevice.txt   one reply datagram (ST: upnp:rootdevice)
#   fixtures/ssdp_msearch_reply_all.txt          every datagram of one ssdp:all answer, separated by `-----`
#   fixtures/upnp_description_axis.xml           the description body as served
# and tears the lab down on exit (also on failure). Every client waits a bounded time; nothing is sent
# outside the lab's namespaces. Needs: apt-get install python3-gi gir1.2-gupnp-1.6 gir1.2-gssdp-1.6
set -euo pipefail
P=${1:-csg}
HERE=$(cd "$(dirname "$0")" && pwd)
LAB="$HERE/../lab.sh"
PY=/usr/bin/python3
OUT="$HERE/fixtures"
TMP=$(mktemp -d)
mkdir -p "$OUT"
trap 'exec 9>&-; sleep 0.3; bash "$LAB" down "$P"; rm -rf "$TMP"' EXIT

bash "$LAB" up "$P"
inns() { local ns=$1; shift; ip netns exec "$P-$ns" "$@"; }
wait_ready() { for _ in $(seq 1 100); do grep -qx READY "$1" 2>/dev/null && return 0; sleep 0.1; done
               echo "no READY in $1" >&2; cat "${1%.out}.err" >&2; return 1; }

# The device's stdin is a FIFO whose only writer is this script (fd 9): when the script ends, it sees EOF.
mkfifo "$TMP/stdin"
inns h1 "$PY" "$HERE/ssdp_device.py" 198.18.0.11 <"$TMP/stdin" >"$TMP/ssdp.out" 2>"$TMP/ssdp.err" &
exec 9>"$TMP/stdin"
wait_ready "$TMP/ssdp.out"

echo "== multicast M-SEARCH ST: upnp:rootdevice, then GET the LOCATION"
inns scan "$PY" "$HERE/ssdp_probe.py" --iface 198.18.0.1 --st upnp:rootdevice \
    --save "$OUT/ssdp_msearch_reply_rootdevice.txt" --fetch --save-description "$OUT/upnp_description_axis.xml"
echo "== multicast M-SEARCH ST: ssdp:all"
inns scan "$PY" "$HERE/ssdp_probe.py" --iface 198.18.0.1 --st ssdp:all --save-all "$OUT/ssdp_msearch_reply_all.txt"
echo "== unicast M-SEARCH ST: ssdp:all to 198.18.0.11:1900"
inns scan "$PY" "$HERE/ssdp_probe.py" --iface 198.18.0.1 --to 198.18.0.11 --st ssdp:all
echo "== device stdout (READY)"
cat "$TMP/ssdp.out"
echo "== device stderr"
cat "$TMP/ssdp.err"
