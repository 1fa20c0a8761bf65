#!/usr/bin/env bash
# Re-verify the responders in the namespace lab and (re)write fixtures/ from their real replies.
#
#   bash tests/lab/responders/capture_fixtures.sh [PREFIX]      (root; PREFIX defaults to csr)
#
# Builds the lab with tests/lab/lab.sh, runs wsd_responder.py and onvif_device.py in PREFIX-h1
# (198.18.0.11), probes from PREFIX-scan (198.18.0.1) with our own clients, writes fixtures/, and tears
# the lab down on exit (also on failure). Every client waits a bounded time; nothing is sent outside the
# lab's namespaces. Needs: python3 -m pip install -r requirements.txt
set -euo pipefail
P=${1:-csr}
HERE=$(cd "$(dirname "$0")" && pwd)
LAB="$HERE/../lab.sh"
PY=${PYTHON:-python3}
OUT="$HERE/fixtures"
TMP=$(mktemp -d)
mkdir -p "$OUT"
trap 'exec 9>&-; sleep 0.3; bash "$LAB" down "$P"; rm -rf "$TMP"' EXIT

bash "$LAB" up "$P"
inns() { local ns=$1; shift; ip netns exec "$P-$ns" "$@"; }
wait_ready() { for _ in $(seq 1 100); do grep -qx READY "$1" 2>/dev/null && return 0; sleep 0.1; done
               echo "no READY in $1" >&2; cat "${1%.out}.err" >&2; return 1; }

echo "== Hello, heard by a listener in the scanner namespace"
inns scan "$PY" "$HERE/wsd_probe.py" --iface 198.18.0.1 --listen --wait 3 --save "$OUT/wsdiscovery_hello.xml" &
LISTENER=$!
sleep 0.5
# The servers' stdin is a FIFO whose only writer is this script (fd 9): when the script ends, they see EOF.
mkfifo "$TMP/stdin"
inns h1 "$PY" "$HERE/wsd_responder.py" 198.18.0.11 <"$TMP/stdin" >"$TMP/wsd.out" 2>"$TMP/wsd.err" &
inns h1 "$PY" "$HERE/onvif_device.py" 198.18.0.11 --user admin --password secret \
    <"$TMP/stdin" >"$TMP/onvif.out" 2>"$TMP/onvif.err" &
exec 9>"$TMP/stdin"
wait_ready "$TMP/wsd.out"
wait_ready "$TMP/onvif.out"
wait "$LISTENER"

echo "== Probe for dp0:NetworkVideoTransmitter, multicast then unicast"
inns scan "$PY" "$HERE/wsd_probe.py" --iface 198.18.0.1 --save "$OUT/wsdiscovery_probematches_multicast.xml"
inns scan "$PY" "$HERE/wsd_probe.py" --iface 198.18.0.1 --to 198.18.0.11 \
    --save "$OUT/wsdiscovery_probematches_unicast.xml"
echo "== Probe without Types, and for a type nobody has"
inns scan "$PY" "$HERE/wsd_probe.py" --iface 198.18.0.1 --types none --wait 2
inns scan "$PY" "$HERE/wsd_probe.py" --iface 198.18.0.1 --to 198.18.0.11 --types mismatch --wait 2 \
    --save "$OUT/wsdiscovery_probematches_nomatch.xml"

echo "== ONVIF device service"
inns scan "$PY" "$HERE/onvif_capture.py" http://198.18.0.11:8000 --user admin --password secret --save-dir "$OUT"
echo "== responder stdout (READY, AUTHFAIL lines)"
cat "$TMP/wsd.out" "$TMP/onvif.out"
echo "== responder stderr"
cat "$TMP/wsd.err" "$TMP/onvif.err"
