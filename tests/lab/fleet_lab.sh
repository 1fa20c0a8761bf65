#!/usr/bin/env bash
# A namespace lab for the fleet's outage test (tests/fleet_outage.rs): a hub and two sites on one
# isolated bridge, each site with a LAN of its own (its loopback: the same camera addresses at both,
# as private ranges overlap between real sites).
#
#   tests/lab/fleet_lab.sh up PREFIX     build it (tearing down any leftover of the same PREFIX first)
#   tests/lab/fleet_lab.sh down PREFIX   remove it, killing every process inside its namespaces
#   tests/lab/fleet_lab.sh cut PREFIX    cut the sites' link to the hub (iptables DROP in each site)
#   tests/lab/fleet_lab.sh mend PREFIX   restore it
#
# Namespace PREFIX-sw holds bridge br0, linked to no real interface. Hosts, addresses in the
# benchmarking range 198.18.0.0/15 only:
#   PREFIX-hub    eth0 198.18.20.1/24   PostgreSQL (the hub) and the hub's camscan serve
#   PREFIX-north  eth0 198.18.20.11/24  north's agent; its cameras on its own 127.0.0.0/8
#   PREFIX-south  eth0 198.18.20.12/24  south's agent; its cameras on its own 127.0.0.0/8
# The cut drops the sites' packets to and from the hub (no RST: a link that goes silent, as a WAN
# link does). 198.18.20.0/24 is used by no other lab. Needs root (ip netns, iptables). Names stay
# within 15 characters.
set -euo pipefail
cmd=${1:?usage: fleet_lab.sh up|down|cut|mend PREFIX}
P=${2:?usage: fleet_lab.sh up|down|cut|mend PREFIX}
NODES=(hub north south)
HUB=198.18.20.1

down() {
  for n in "${NODES[@]}" sw; do
    ns="$P-$n"
    if ip netns list | grep -qw "$ns"; then
      # Only the processes inside our own namespaces: the ones the tests started there.
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
      ip netns del "$ns" 2>/dev/null || true
    fi
  done
}

up() {
  down
  ip netns add "$P-sw"
  ip -n "$P-sw" link set lo up
  ip -n "$P-sw" link add br0 type bridge
  ip -n "$P-sw" link set br0 up
  local i=0
  for n in "${NODES[@]}"; do
    ip netns add "$P-$n"
    ip -n "$P-$n" link set lo up
    # Both ends are created straight inside their namespaces: nothing touches the host's.
    ip link add eth0 netns "$P-$n" type veth peer name "$n" netns "$P-sw"
    ip -n "$P-sw" link set "$n" master br0
    ip -n "$P-sw" link set "$n" up
    ip -n "$P-$n" link set eth0 up
  done
  ip -n "$P-hub" addr add "$HUB/24" dev eth0
  ip -n "$P-north" addr add 198.18.20.11/24 dev eth0
  ip -n "$P-south" addr add 198.18.20.12/24 dev eth0
}

cut() {
  for n in north south; do
    ip netns exec "$P-$n" iptables -w -A OUTPUT -d "$HUB" -j DROP
    ip netns exec "$P-$n" iptables -w -A INPUT -s "$HUB" -j DROP
  done
}

mend() {
  for n in north south; do
    ip netns exec "$P-$n" iptables -w -D OUTPUT -d "$HUB" -j DROP
    ip netns exec "$P-$n" iptables -w -D INPUT -s "$HUB" -j DROP
  done
}

case "$cmd" in
  up) up ;;
  down) down ;;
  cut) cut ;;
  mend) mend ;;
  *) echo "usage: fleet_lab.sh up|down|cut|mend PREFIX" >&2; exit 2 ;;
esac
