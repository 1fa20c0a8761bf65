#!/usr/bin/env bash
# An isolated dual-stack LAN for camscan's IPv6 tests, built from network namespaces.
#
#   tests/lab/ipv6_lab.sh up PREFIX     build it (tearing down any leftover of the same PREFIX first)
#   tests/lab/ipv6_lab.sh down PREFIX   remove it, killing every process inside its namespaces
#
# Layout: namespace PREFIX-sw holds bridge br0 (IPv6 off there, so the switch itself answers no
# multicast ping), which has no link to any real interface. Each host is a namespace with one veth
# (eth0) on that bridge. Addresses are the benchmarking range 198.18.0.0/24, the unique-local
# fd00:cafe::/64 and fixed link-local addresses (addrgenmode none, DAD off: usable at once):
#   PREFIX-scan  198.18.0.1   fd00:cafe::1   fe80::1   02:00:00:00:06:01  the scanner
#   PREFIX-ds    198.18.0.21  fd00:cafe::21  fe80::21  02:00:00:00:06:21  a dual-stack camera
#   PREFIX-v6    (no IPv4)    fd00:cafe::22  fe80::22  02:00:00:00:06:22  an IPv6-only camera
# Needs root (ip netns). Names stay within 15 characters.
set -euo pipefail
cmd=${1:?usage: ipv6_lab.sh up|down PREFIX}
P=${2:?usage: ipv6_lab.sh up|down PREFIX}
NODES=(scan ds v6)
declare -A V4=([scan]=198.18.0.1 [ds]=198.18.0.21 [v6]=)
declare -A HOST=([scan]=1 [ds]=21 [v6]=22)
declare -A MAC=([scan]=02:00:00:00:06:01 [ds]=02:00:00:00:06:21 [v6]=02:00:00:00:06:22)

down() {
  for n in "${NODES[@]}" sw; do
    ns="$P-$n"
    if ip netns list | grep -qw "$ns"; then
      # Only the processes inside our own namespaces: the servers the tests started there.
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
      ip netns del "$ns" 2>/dev/null || true
    fi
  done
}

up() {
  down
  ip netns add "$P-sw"
  ip netns exec "$P-sw" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$P-sw" link set lo up
  ip -n "$P-sw" link add br0 type bridge mcast_snooping 0
  ip -n "$P-sw" link set br0 up
  for n in "${NODES[@]}"; do
    ns="$P-$n"
    ip netns add "$ns"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
      net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.accept_ra=0
    ip -n "$ns" link set lo up
    # Both ends are created straight inside their namespaces: nothing touches the host's namespace.
    ip link add eth0 netns "$ns" type veth peer name "$n" netns "$P-sw"
    ip -n "$ns" link set eth0 address "${MAC[$n]}" addrgenmode none
    if [ -n "${V4[$n]}" ]; then ip -n "$ns" addr add "${V4[$n]}/24" dev eth0; fi
    ip -n "$ns" addr add "fe80::${HOST[$n]}/64" dev eth0 nodad
    ip -n "$ns" addr add "fd00:cafe::${HOST[$n]}/64" dev eth0 nodad
    ip -n "$ns" link set eth0 up
    ip -n "$P-sw" link set "$n" master br0
    ip -n "$P-sw" link set "$n" up
  done
}

case "$cmd" in
  up) up ;;
  down) down ;;
  *) echo "usage: ipv6_lab.sh up|down PREFIX" >&2; exit 2 ;;
esac
