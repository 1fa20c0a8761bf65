#!/usr/bin/env bash
# A namespace lab for camscan's announcement listener (tests/lab_listen.rs): a scanner with three
# interfaces on three isolated subnets, of which the tests listen on two.
#
#   tests/lab/listen_lab.sh up PREFIX     build it (tearing down any leftover of the same PREFIX first)
#   tests/lab/listen_lab.sh down PREFIX   remove it, killing every process inside its namespaces
#
# Namespace PREFIX-sw holds bridges br0, br1, br2, linked to no real interface. Hosts (one veth, eth0,
# each; the scanner one per bridge), addresses in the benchmarking range 198.18.0.0/15 only:
#   PREFIX-scan  eth0 198.18.16.1/24 (br0), eth1 198.18.17.1/24 (br1), eth2 198.18.18.1/24 (br2)
#   PREFIX-cam   198.18.16.11/24 (br0)   the tests start a WS-Discovery device here
#   PREFIX-upnp  198.18.17.13/24 (br1)   ... and an SSDP (GUPnP) device here
#   PREFIX-evil  198.18.16.66/24 and 198.19.99.9/32 (br0): a hostile peer, also sending from an address
#                outside br0's subnet
#   PREFIX-far   198.18.18.20/24 (br2)   on the interface the tests do not listen on
# Subnets 198.18.16-18.0/24 are used by no other lab (tests/lab/lab.sh uses 198.18.0.0/24). Needs root
# (ip netns). Names stay within 15 characters.
set -euo pipefail
cmd=${1:?usage: listen_lab.sh up|down PREFIX}
P=${2:?usage: listen_lab.sh up|down PREFIX}
NODES=(scan cam upnp evil far)

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

# link NODE IFACE BRIDGE ADDRESS/LEN [MAC]: a veth from NODE's namespace to the bridge.
link() {
  local n=$1 ifc=$2 br=$3 addr=$4 peer="$1-$2"
  ip link add "$ifc" netns "$P-$n" type veth peer name "$peer" netns "$P-sw"
  ip -n "$P-$n" addr add "$addr" dev "$ifc"
  ip -n "$P-$n" link set "$ifc" up
  ip -n "$P-sw" link set "$peer" master "$br"
  ip -n "$P-sw" link set "$peer" up
}

up() {
  down
  ip netns add "$P-sw"
  ip -n "$P-sw" link set lo up
  for br in br0 br1 br2; do
    ip -n "$P-sw" link add "$br" type bridge
    ip -n "$P-sw" link set "$br" up
  done
  for n in "${NODES[@]}"; do
    ip netns add "$P-$n"
    ip -n "$P-$n" link set lo up
  done
  # Both ends are created straight inside their namespaces: nothing touches the host's namespace.
  link scan eth0 br0 198.18.16.1/24
  link scan eth1 br1 198.18.17.1/24
  link scan eth2 br2 198.18.18.1/24
  link cam eth0 br0 198.18.16.11/24
  link upnp eth0 br1 198.18.17.13/24
  link evil eth0 br0 198.18.16.66/24
  ip -n "$P-evil" addr add 198.19.99.9/32 dev eth0
  link far eth0 br2 198.18.18.20/24
}

case "$cmd" in
  up) up ;;
  down) down ;;
  *) echo "usage: listen_lab.sh up|down PREFIX" >&2; exit 2 ;;
esac
