#!/usr/bin/env bash
# An isolated LAN for camscan's discovery tests, built from network namespaces.
#
#   tests/lab/lab.sh up PREFIX [N] build it (tearing down any leftover of the same PREFIX first); N extra
#                                 hosts x1..xN at 198.18.0.101.. (MAC 02:00:00:00:01:NN) for the bench
#   tests/lab/lab.sh down PREFIX   remove it, killing every process inside its namespaces
#
# Layout: namespace PREFIX-sw holds bridge br0, which has no link to any real interface. Each host is a
# namespace with one veth (eth0) on that bridge and an address in the benchmarking range 198.18.0.0/24:
#   PREFIX-scan  198.18.0.1   the scanner (camscan runs here, never in the machine's own namespace)
#   PREFIX-h1    198.18.0.11  44:19:b6:00:00:11 (a Hikvision OUI); the tests start an RTSP server here
#   PREFIX-h2    198.18.0.12  02:00:00:00:00:12; a plain web server
#   PREFIX-h3    198.18.0.13  02:00:00:00:00:13; up, answers ARP, every TCP port closed; also 198.18.0.23
#                             (one box, two addresses)
#   PREFIX-h4    198.18.0.14  02:00:00:00:00:14; answers ARP, drops every IP packet (nftables)
# Every other address of the /24 is silent. Needs root (ip netns) and nft. Names stay within 15 characters.
# The scanner's resolver is h2 (/etc/netns/PREFIX-scan/resolv.conf, which `ip netns exec` mounts over
# /etc/resolv.conf): reverse lookups stay in the lab, refused at once unless a test runs a DNS server
# there.
set -euo pipefail
cmd=${1:?usage: lab.sh up|down PREFIX [EXTRA]}
P=${2:?usage: lab.sh up|down PREFIX [EXTRA]}
EXTRA=${3:-0}
NODES=(scan h1 h2 h3 h4)
declare -A ADDR=([scan]=198.18.0.1 [h1]=198.18.0.11 [h2]=198.18.0.12 [h3]=198.18.0.13 [h4]=198.18.0.14)
declare -A MAC=([scan]=02:00:00:00:00:01 [h1]=44:19:b6:00:00:11 [h2]=02:00:00:00:00:12 [h3]=02:00:00:00:00:13 [h4]=02:00:00:00:00:14)

if ! [[ "$EXTRA" =~ ^[0-9]+$ ]] || [ "$EXTRA" -gt 99 ]; then
  echo "lab.sh: EXTRA must be 0..99" >&2
  exit 2
fi
for i in $(seq 1 "$EXTRA"); do
  NODES+=("x$i")
  ADDR[x$i]=198.18.0.$((100 + i))
  MAC[x$i]=$(printf '02:00:00:00:01:%02x' "$i")
done

down() {
  # Extra hosts of any earlier run of this prefix too.
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^$P-x[0-9]+$" || true); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  for n in "${NODES[@]}" sw; do
    ns="$P-$n"
    if ip netns list | grep -qw "$ns"; then
      # Only the processes inside our own namespaces: the servers the tests started there.
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
      ip netns del "$ns" 2>/dev/null || true
    fi
  done
  rm -rf "/etc/netns/$P-scan"
}

up() {
  down
  mkdir -p "/etc/netns/$P-scan"
  echo "nameserver ${ADDR[h2]}" > "/etc/netns/$P-scan/resolv.conf"
  ip netns add "$P-sw"
  ip -n "$P-sw" link set lo up
  ip -n "$P-sw" link add br0 type bridge
  ip -n "$P-sw" link set br0 up
  for n in "${NODES[@]}"; do
    ns="$P-$n"
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    # Both ends are created straight inside their namespaces: nothing touches the host's namespace.
    ip link add eth0 netns "$ns" type veth peer name "$n" netns "$P-sw"
    ip -n "$ns" link set eth0 address "${MAC[$n]}"
    ip -n "$ns" addr add "${ADDR[$n]}/24" dev eth0
    if [ "$n" = h3 ]; then ip -n "$ns" addr add 198.18.0.23/24 dev eth0; fi
    ip -n "$ns" link set eth0 up
    ip -n "$P-sw" link set "$n" master br0
    ip -n "$P-sw" link set "$n" up
  done
  # h4 is a firewalled host: ARP (not filtered by the inet family) answers, every IP packet is dropped.
  ip netns exec "$P-h4" nft -f - <<'NFT'
table inet camscan_lab {
  chain input { type filter hook input priority 0; policy drop; }
}
NFT
}

case "$cmd" in
  up) up ;;
  down) down ;;
  *) echo "usage: lab.sh up|down PREFIX" >&2; exit 2 ;;
esac
