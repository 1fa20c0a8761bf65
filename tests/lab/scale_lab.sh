#!/usr/bin/env bash
# A LAN of up to a thousand hosts in a few network namespaces, for measuring camscan at a real
# network's size (issue 53): scripts/bench --scale builds it, and so can a person trying camscan by
# hand.
#
#   tests/lab/scale_lab.sh up PREFIX VARIANT N [RANGE [SPREAD]]
#                     build it (tearing down any leftover of the same PREFIX first); print READY once
#                     every server answers, nothing else but errors
#   tests/lab/scale_lab.sh down PREFIX
#                     remove it: kill the processes inside its namespaces (by PID, from
#                     `ip netns pids`), delete the namespaces, put the neighbour thresholds back
#
# N live hosts (60% cameras, 40% other hosts, interleaved: camera, camera, camera, other, other...)
# spread evenly over SPREAD (default RANGE; RANGE defaults to 198.19.0.0/20), from its 5th address
# on, (size - 8) / N apart: every 4th address of a /20 for N = 1000, every 102nd for N = 40. Camera
# k has MAC 44:19:b6:.. (a Hikvision prefix, as most of a real site's cameras have), other host k
# 02:19:..: (locally administered). /run/camscan-scale-PREFIX/hosts.txt lists them, one line each:
# `ADDR MAC camera|other`. Addresses are only ever in 198.19.0.0/16 (hosts) and 198.18.0.0/15
# (links); nothing touches the machine's own namespace or its interfaces: every veth is created with
# both ends already inside namespaces, and no bridge has a real interface on it.
#
# Namespaces:
#   PREFIX-scan   the scanner (camscan and nmap run here, never outside). Its resolver is its own
#                 loopback (/etc/netns/PREFIX-scan/resolv.conf): reverse lookups are refused at once
#                 instead of leaving the lab.
#   PREFIX-sw     bridge br0, the LAN's switch: the hosts' veths g0..g15, and the scanner's (attached,
#                 onemac) or the router's (routed).
#   PREFIX-hosts  plays all N hosts: one macvlan per address (h0, h1.., mode private, its own MAC, the
#                 address as a /32) on one of 16 veths u0..u15 (CAMSCAN_LAB_GROUPS; the hosts in
#                 order, N/16 to a veth), with net.ipv4.conf.all.arp_ignore=1 and arp_announce=2 so
#                 that each address answers ARP only on its own macvlan, with its own MAC. Private
#                 rather than bridge mode: the hosts never talk to each other, and in bridge mode
#                 every broadcast one of them sends (its ARP for the scanner) would be copied to all
#                 its siblings too. Replies leave by each group's first macvlan (the output route
#                 chain marks a packet with its source address's group, one ip rule and table per
#                 group), and a netdev egress rule on each veth (an nft map address -> MAC) writes
#                 the address's own MAC into the frame, so IP frames carry the MAC its ARP answer
#                 gave, as a real host's do, and the switch learns each MAC on its own port.
#                 One set of real servers, bound to 0.0.0.0, serves every address:
#                   GStreamer's RTSP server (tests/servers/rtsp_server.py) on 554, shared media,
#                   /Streaming/Channels/101 (H.264 320x240 10 fps) and /102 (160x120 10 fps): 600
#                   cameras cost two encoders, and only while someone watches; listen backlog 4096
#                   (the server's default of 5 drops the SYNs of a scanner connecting to 600 cameras);
#                   Debian's nginx on 80 (its own minimal config in /run/camscan-scale-PREFIX/nginx,
#                   not /etc/nginx's service), a one-line page.
#                 The other hosts refuse 554 (nftables: tcp dport 554 to their addresses -> reject
#                 with tcp reset); every other port of every host is closed (the kernel's RST).
#   VARIANT attached  the scanner is on br0 at RANGE's first address (.1): RANGE is on-link (ARP
#                 sweep, then ports).
#   VARIANT routed    scanner 198.18.0.2/30 -> router PREFIX-rt (198.18.0.1; RANGE's first address on
#                 br0; forwarding) -> hosts; the scanner's default route is the router. The router's
#                 nftables drop (no reject, no ICMP) every packet forwarded to an address of RANGE that
#                 is not a live host (a set of the live addresses), and every packet from the scanner
#                 to the router itself: a dead address costs a connect timeout, as behind a real
#                 router with a firewall. The router resolves new neighbours at a bounded rate
#                 (CAMSCAN_LAB_ARP_RATE a second, default 1500; 0: no bound): its ARP frames leave
#                 `lan` through an htb class of that rate (42-byte frames, a pfifo of 100,000
#                 behind it, nothing dropped), everything else through a 10 Gbit/s one. A router
#                 resolves neighbours in its slow path, one after another (Juniper's routers police
#                 all ARP to 150 kbit/s by default, __default_arp_policer__), so a sweep that asks
#                 a thousand new hosts within half a second makes the later ones wait behind the
#                 earlier ones' resolutions: issue 74 measured a quiet router answering a first
#                 ping in 0.3-1.6 ms and, under a /16's ping sweep, host discovery's connect
#                 deadline taken from those answers at 452 ms. 1,500 a second is 0.67 ms a
#                 resolution, within that range; the /20's thousand hosts on a routed /16 (asked
#                 at 10,000 pings a second, 2,440 new hosts a second) then wait up to a few hundred
#                 ms for their router's ARP (measured: first answers 127-170 ms on average, the
#                 slowest 263-329 ms; camscan's old deadline from them 426-550 ms, the issue's
#                 452 ms). Unbounded, the lab's router answered every first ping within 3.8 ms
#                 and the cold case never showed. Only the first packet to a host waits: the
#                 kernel holds it (unres_qlen) until the ARP answer; later packets, and a warm
#                 router's (its entries re-validated by unicast ARP while they keep being used),
#                 do not.
#   VARIANT onemac    attached, but all N addresses sit on u0 itself (one veth, no macvlans): one MAC
#                 answers ARP for every one, as behind a Wi-Fi extender's MAC-NAT or a proxy-ARP router.
# SPREAD lets a larger RANGE hold the same hosts: `up P attached 1000 198.19.0.0/16 198.19.0.0/20`
# is the /20's thousand hosts on an attached /16.
#
# The neighbour thresholds (net.ipv4.neigh.default.gc_thresh1/2/3) belong to the kernel's one ARP
# table, which every namespace shares: on this kernel (6.18) they exist only in the machine's own
# namespace (/proc/sys/net/ipv4/neigh/default/ is absent inside a namespace, so "write in one, read
# in another" cannot even be tried there; a namespace has only its per-device settings), and the
# entries of every namespace count against them. The lab alone fills the default 1,024: each
# macvlan that answers an ARP request keeps an entry for the asker (1,000), the router keeps one
# per live host (1,000), the scanner one per host it talks to. Past gc_thresh3 the kernel refuses
# new entries ("neighbour table overflow") and packets to hosts not yet resolved are dropped, in
# every namespace, the machine's own included. So `up` raises them to 8192/16384/32768
# (CAMSCAN_LAB_KEEP_THRESHOLDS=1 leaves them alone) after keeping the old values in
# /run/camscan-scale-PREFIX/gc_thresh, and `down` writes exactly those back. Two labs of different
# PREFIXes up at once would each keep what it found: take them down in the reverse order.
#
# What one kernel playing 1,000 hosts costs. A broadcast a veth receives is copied to every macvlan
# on it, and each copy runs through arp_rcv, where arp_ignore drops all but one. The copies are
# made by one kernel worker per veth from macvlan's broadcast queue (bcqueuelen, 1,000 frames by
# default; a frame beyond it is dropped, its ARP request never answered). Measured with
# tests/lab/arp_rate.py (ARP requests for the live hosts at a fixed rate from the scanner's
# namespace, answers counted for 10 s more), N = 1000 attached, on 2 cores shared with other work
# (load about 0.7):
#   all 1,000 macvlans on one veth (CAMSCAN_LAB_GROUPS=1; 1,000 copies of every request), default
#   bcqueuelen 1000: nothing lost up to 1,500 requests/s (p99 35 ms at 1,000/s, 250 ms at 1,500/s);
#   at 2,000/s 3% lost (rx_dropped on the veth), at 4,000/s 52%, at 8,000/s 74%; the worker answers
#   1,450-1,600 a second at most, some 1.5 million macvlan deliveries a second, one core's worth
#   (each copy's route lookup also walks the hosts' 17 ip rules; a single veth without them
#   answered 2,500-2,900 a second).
#   the same with bcqueuelen 100000: nothing lost at 4,000/s, but the answers come late (p50 2.7 s,
#   max 5.3 s): the queue only stores the excess.
#   16 veths (the default), the switch (an nft bridge rule on br0) passing an ARP request only to
#   the veth whose group holds its target, and to none for a dead address: 63 copies per request;
#   20,000 requests/s answered without loss (p99 1.7 ms), 30,000/s without loss (p99 210 ms).
#   nmap -sn -PR of the /20 then finds 1,000 of 1,000 in 6.7 s.
# A real LAN's hosts each take every broadcast on their own CPU; one kernel playing them all would,
# with a single veth, make the lab (not the scanner) the bottleneck of any sweep faster than about
# 1,500 requests a second, hence the default of 16 groups. `up` also sets bcqueuelen to
# CAMSCAN_LAB_BCQUEUELEN (default 100000) so that a burst waits instead of being lost. Every
# macvlan has IPv6 off (1,000 router solicitations and MLD reports otherwise).
#
# Needs root, iproute2, nftables, nginx, python3-gi with gst-rtsp-server (/usr/bin/python3). Names
# stay within 15 characters; keep PREFIX short (at most 8).
set -euo pipefail
usage() { echo "usage: scale_lab.sh up PREFIX attached|routed|onemac N [RANGE [SPREAD]] | down PREFIX" >&2; exit 2; }
cmd=${1:-}
P=${2:-}
[ -n "$cmd" ] && [ -n "$P" ] || usage
[[ "$P" =~ ^[a-z0-9]{1,8}$ ]] || { echo "scale_lab.sh: PREFIX must be 1-8 of a-z0-9" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")/../.." && pwd)
RUN=/run/camscan-scale-$P
NEIGH=/proc/sys/net/ipv4/neigh/default
PY=/usr/bin/python3
BCQUEUELEN=${CAMSCAN_LAB_BCQUEUELEN:-100000}
LAB_GROUPS=${CAMSCAN_LAB_GROUPS:-16}
ARP_RATE=${CAMSCAN_LAB_ARP_RATE:-1500}
[[ "$ARP_RATE" =~ ^[0-9]{1,6}$ ]] || { echo "scale_lab.sh: CAMSCAN_LAB_ARP_RATE must be 0-999999" >&2; exit 2; }
[[ "$LAB_GROUPS" =~ ^[1-9][0-9]?$ ]] || { echo "scale_lab.sh: CAMSCAN_LAB_GROUPS must be 1-99" >&2; exit 2; }

down() {
  local ns pid
  for ns in "$P-scan" "$P-hosts" "$P-rt" "$P-sw"; do
    ip netns list | awk '{print $1}' | grep -qx "$ns" || continue
    # Only the processes inside our own namespaces: the servers `up` started there, and whatever
    # a bench left running in the scanner's.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    for _ in $(seq 1 50); do [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break; sleep 0.1; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "/etc/netns/$P-scan"
  if [ -f "$RUN/gc_thresh" ]; then
    read -r t1 t2 t3 < "$RUN/gc_thresh"
    # gc_thresh3 first when lowering (the kernel keeps thresh1 <= thresh2 <= thresh3 only by
    # convention, but a reader in between should not see them crossed).
    echo "$t1" > "$NEIGH/gc_thresh1"
    echo "$t2" > "$NEIGH/gc_thresh2"
    echo "$t3" > "$NEIGH/gc_thresh3"
  fi
  rm -rf "$RUN"
}

# plan VARIANT N RANGE SPREAD BCQUEUELEN GROUPS: writes hosts.txt, the hosts' ip batch, the nft
# element lists, the groups' routes.
plan() {
  "$PY" - "$RUN" "$@" <<'PY'
import ipaddress, sys
run, variant, n, rng, spread, bcq, groups = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], int(sys.argv[7])
net = ipaddress.ip_network(rng, strict=True)
sp = ipaddress.ip_network(spread, strict=True)
lab = ipaddress.ip_network("198.19.0.0/16")
if not (net.subnet_of(lab) and sp.subnet_of(net)):
    sys.exit("scale_lab.sh: RANGE must lie in 198.19.0.0/16 and SPREAD in RANGE")
if net.prefixlen > 24:
    sys.exit("scale_lab.sh: RANGE must be a /24 or larger")
stride = (sp.num_addresses - 8) // n if n > 0 else 0
if n < 1 or stride < 1:
    sys.exit("scale_lab.sh: %d hosts do not fit in %s" % (n, sp))
groups = 1 if variant == "onemac" else max(1, min(groups, n))
first = sp.network_address + 4
hosts = []
for k in range(n):
    addr = first + k * stride
    camera = k % 5 < 3  # 60% cameras, interleaved
    if variant == "onemac":
        mac = "02:19:ff:00:00:02"  # u0's, set by up
    elif camera:
        mac = "44:19:b6:%02x:%02x:%02x" % ((k >> 16) & 255, (k >> 8) & 255, k & 255)
    else:
        mac = "02:19:00:%02x:%02x:%02x" % ((k >> 16) & 255, (k >> 8) & 255, k & 255)
    hosts.append((str(addr), mac, "camera" if camera else "other", k * groups // n))
with open(run + "/hosts.txt", "w") as f:
    for h in hosts:
        f.write("%s %s %s\n" % h[:3])
with open(run + "/hosts.batch", "w") as f:
    for k, (addr, mac, _, g) in enumerate(hosts):
        if variant == "onemac":
            f.write("addr add %s/32 dev u0\n" % addr)
        else:
            f.write("link add h%d link u%d address %s type macvlan mode private bcqueuelen %s\n"
                    % (k, g, mac, bcq))
            f.write("addr add %s/32 dev h%d\n" % (addr, k))
            f.write("link set h%d up\n" % k)
def elements(name, items):
    with open(run + "/" + name, "w") as f:
        f.write(",\n".join(items) + "\n")
elements("live.nft", [h[0] for h in hosts])
elements("others.nft", [h[0] for h in hosts if h[2] == "other"])
elements("macs.nft", ["%s : %s" % (h[0], h[1]) for h in hosts])
elements("route.nft", ['%s . "g%d"' % (h[0], h[3]) for h in hosts])
elements("marks.nft", ["%s : %d" % (h[0], h[3] + 1) for h in hosts])
# Each group's replies leave by its first host's device, from its first host's address.
with open(run + "/groups", "w") as f:
    for g in range(groups):
        k = next(i for i, h in enumerate(hosts) if h[3] == g)
        f.write("%d %s %s\n" % (g, "u0" if variant == "onemac" else "h%d" % k, hosts[k][0]))
# The first address of RANGE (the scanner's when attached, the router's when routed), the prefix
# length, RANGE, the number of groups.
with open(run + "/net", "w") as f:
    f.write("%s %d %s %d\n" % (net.network_address + 1, net.prefixlen, net, groups))
PY
}

up() {
  local variant=${1:-} n=${2:-} range=${3:-198.19.0.0/20}
  local spread=${4:-$range}
  case "$variant" in attached|routed|onemac) ;; *) usage ;; esac
  [[ "$n" =~ ^[0-9]+$ ]] || usage
  down
  mkdir -p "$RUN"
  plan "$variant" "$n" "$range" "$spread" "$BCQUEUELEN" "$LAB_GROUPS"
  local gw plen net groups
  read -r gw plen net groups < "$RUN/net"

  if [ "${CAMSCAN_LAB_KEEP_THRESHOLDS:-}" != 1 ]; then
    echo "$(cat "$NEIGH/gc_thresh1") $(cat "$NEIGH/gc_thresh2") $(cat "$NEIGH/gc_thresh3")" > "$RUN/gc_thresh.new"
    mv "$RUN/gc_thresh.new" "$RUN/gc_thresh"
    echo 32768 > "$NEIGH/gc_thresh3"
    echo 16384 > "$NEIGH/gc_thresh2"
    echo 8192 > "$NEIGH/gc_thresh1"
  fi

  mkdir -p "/etc/netns/$P-scan"
  echo "nameserver 127.0.0.1" > "/etc/netns/$P-scan/resolv.conf"
  local ns g
  for ns in scan hosts sw; do
    ip netns add "$P-$ns"
    ip -n "$P-$ns" link set lo up
  done
  # The hosts: sysctls first (a device copies the defaults when it is made); arp_ignore, arp_announce
  # and rp_filter take the larger of `all` and the device's value.
  ip netns exec "$P-hosts" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
    net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
    net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
    net.core.somaxconn=8192 net.ipv4.tcp_max_syn_backlog=8192
  ip netns exec "$P-scan" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  ip -n "$P-sw" link add br0 type bridge
  ip -n "$P-sw" link set br0 up

  # Both ends of every veth are created straight inside their namespaces. The hosts' groups: uG in
  # the hosts' namespace, gG on the switch.
  for g in $(seq 0 $((groups - 1))); do
    ip link add "u$g" netns "$P-hosts" type veth peer name "g$g" netns "$P-sw"
    ip -n "$P-sw" link set "g$g" master br0
    ip -n "$P-sw" link set "g$g" up
    ip -n "$P-hosts" link set "u$g" address "$(printf '02:19:ff:00:01:%02x' "$g")"
    ip -n "$P-hosts" link set "u$g" up
  done
  [ "$variant" = onemac ] && ip -n "$P-hosts" link set u0 address 02:19:ff:00:00:02
  if [ "$variant" = routed ]; then
    ip netns add "$P-rt"
    ip -n "$P-rt" link set lo up
    ip netns exec "$P-rt" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 \
      net.ipv4.conf.default.send_redirects=0 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
    ip link add eth0 netns "$P-scan" type veth peer name scan netns "$P-rt"
    ip link add lan netns "$P-rt" type veth peer name rt netns "$P-sw"
    ip -n "$P-sw" link set rt master br0
    ip -n "$P-sw" link set rt up
    ip -n "$P-rt" link set scan address 02:19:ff:00:00:03
    ip -n "$P-rt" link set lan address 02:19:ff:00:00:04
    ip -n "$P-rt" addr add 198.18.0.1/30 dev scan
    ip -n "$P-rt" addr add "$gw/$plen" dev lan
    ip -n "$P-rt" link set scan up
    ip -n "$P-rt" link set lan up
    ip -n "$P-scan" addr add 198.18.0.2/30 dev eth0
    if [ "$ARP_RATE" != 0 ]; then
      # The router's ARP resolutions, ARP_RATE a second (the header): 42-byte frames, so the
      # class's rate is ARP_RATE x 336 bits; its burst one MTU (a few dozen frames at once).
      ip netns exec "$P-rt" tc qdisc add dev lan root handle 1: htb default 20
      ip netns exec "$P-rt" tc class add dev lan parent 1: classid 1:10 htb \
        rate "$((ARP_RATE * 336))bit" ceil "$((ARP_RATE * 336))bit" burst 1600 cburst 1600 quantum 1514
      ip netns exec "$P-rt" tc class add dev lan parent 1: classid 1:20 htb rate 10gbit quantum 1514
      ip netns exec "$P-rt" tc qdisc add dev lan parent 1:10 handle 10: pfifo limit 100000
      ip netns exec "$P-rt" tc filter add dev lan parent 1: protocol arp prio 1 u32 match u32 0 0 classid 1:10
    fi
  else
    ip link add eth0 netns "$P-scan" type veth peer name scan netns "$P-sw"
    ip -n "$P-sw" link set scan master br0
    ip -n "$P-sw" link set scan up
    ip -n "$P-scan" addr add "$gw/$plen" dev eth0
  fi
  ip -n "$P-scan" link set eth0 address 02:19:ff:00:00:01
  ip -n "$P-scan" link set eth0 up
  if [ "$variant" = routed ]; then ip -n "$P-scan" route add default via 198.18.0.1; fi
  ip -n "$P-hosts" -batch "$RUN/hosts.batch"
  # Replies: a group's addresses leave by its first host's device (the output route chain below marks
  # each packet with its source address's group; one rule and table per group). Unmarked packets
  # take group 0's. The router (routed) is RANGE's first address on the same link.
  local dev src
  while read -r g dev src; do
    ip -n "$P-hosts" route add "$net" dev "$dev" src "$src" table $((100 + g))
    if [ "$variant" = routed ]; then
      ip -n "$P-hosts" route add default via "$gw" dev "$dev" src "$src" table $((100 + g))
    fi
    ip -n "$P-hosts" rule add fwmark $((g + 1)) lookup $((100 + g)) priority $((100 + g))
    if [ "$g" = 0 ]; then
      ip -n "$P-hosts" route add "$net" dev "$dev" src "$src"
      if [ "$variant" = routed ]; then ip -n "$P-hosts" route add default via "$gw" dev "$dev" src "$src"; fi
    fi
  done < "$RUN/groups"

  {
    echo "table inet camscan_scale {"
    if [ "$(head -c1 "$RUN/others.nft")" != $'\n' ]; then
      echo "  set others { type ipv4_addr; elements = {"; cat "$RUN/others.nft"; echo "  } }"
      echo "  chain input { type filter hook input priority 0; policy accept;"
      echo "    tcp dport 554 ip daddr @others reject with tcp reset; }"
    fi
    echo "}"
    if [ "$variant" != onemac ]; then
      echo "table ip camscan_scale_route {"
      echo "  map group { type ipv4_addr : mark; elements = {"; cat "$RUN/marks.nft"; echo "  } }"
      echo "  chain output { type route hook output priority 0; policy accept;"
      echo "    meta mark set ip saddr map @group; }"
      echo "}"
      echo "table netdev camscan_scale_mac {"
      echo "  map srcmac { type ipv4_addr : ether_addr; elements = {"; cat "$RUN/macs.nft"; echo "  } }"
      for g in $(seq 0 $((groups - 1))); do
        echo "  chain egress$g { type filter hook egress device \"u$g\" priority 0; policy accept;"
        echo "    meta protocol ip ether saddr set ip saddr map @srcmac; }"
      done
      echo "}"
    fi
  } > "$RUN/hosts.nft"
  ip netns exec "$P-hosts" nft -f "$RUN/hosts.nft"
  if [ "$groups" -gt 1 ]; then
    {
      echo "table bridge camscan_scale {"
      echo "  set route { type ipv4_addr . ifname; elements = {"; cat "$RUN/route.nft"; echo "  } }"
      echo "  chain flood { type filter hook forward priority 0; policy accept;"
      echo "    oifname \"g*\" arp operation request arp daddr ip . oifname != @route drop; }"
      echo "}"
    } > "$RUN/switch.nft"
    ip netns exec "$P-sw" nft -f "$RUN/switch.nft"
  fi
  if [ "$variant" = routed ]; then
    {
      echo "table inet camscan_scale {"
      echo "  set live { type ipv4_addr; elements = {"; cat "$RUN/live.nft"; echo "  } }"
      echo "  chain forward { type filter hook forward priority 0; policy accept;"
      echo "    ip daddr $net ip daddr != @live drop; }"
      echo "  chain input { type filter hook input priority 0; policy accept;"
      echo "    iifname \"scan\" drop; }"
      echo "}"
    } > "$RUN/router.nft"
    ip netns exec "$P-rt" nft -f "$RUN/router.nft"
  fi

  # The servers, each started inside the hosts' namespace (setsid: a Ctrl-C in the caller's
  # terminal does not reach them; `down` ends them by PID).
  cat > "$RUN/rtsp.json" <<JSON
[{"address": "0.0.0.0", "port": 554, "shared": true, "backlog": 4096, "auth": null,
  "mounts": [
    {"path": "/Streaming/Channels/101", "video": {"codec": "h264", "width": 320, "height": 240, "fps": 10,
     "profile": "main", "gop": 1}, "audio": null},
    {"path": "/Streaming/Channels/102", "video": {"codec": "h264", "width": 160, "height": 120, "fps": 10,
     "profile": "main", "gop": 1}, "audio": null}]}]
JSON
  # rtsp_server.py exits when its stdin ends: `sleep infinity` (inside the namespace too) holds it.
  ip netns exec "$P-hosts" setsid sh -c "sleep infinity | exec $PY '$HERE/tests/servers/rtsp_server.py' '$RUN/rtsp.json'" \
    > "$RUN/rtsp.out" 2> "$RUN/rtsp.log" < /dev/null &
  mkdir -p "$RUN/nginx/tmp"
  cat > "$RUN/nginx/nginx.conf" <<NGINX
worker_processes 2;
pid $RUN/nginx/nginx.pid;
error_log $RUN/nginx/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path $RUN/nginx/tmp/body;
  proxy_temp_path $RUN/nginx/tmp/proxy;
  fastcgi_temp_path $RUN/nginx/tmp/fastcgi;
  uwsgi_temp_path $RUN/nginx/tmp/uwsgi;
  scgi_temp_path $RUN/nginx/tmp/scgi;
  server {
    listen 80 default_server backlog=4096;
    default_type text/html;
    location / { return 200 "<html><head><title>lab host</title></head><body>lab host</body></html>\n"; }
  }
}
NGINX
  ip netns exec "$P-hosts" setsid nginx -p "$RUN/nginx" -e "$RUN/nginx/error.log" -c "$RUN/nginx/nginx.conf" \
    -g 'daemon off;' > "$RUN/nginx/stdout.log" 2>&1 < /dev/null &

  # READY when one camera's two streams and one web page answer from the scanner's namespace.
  local cam other
  cam=$(awk '$3 == "camera" {print $1; exit}' "$RUN/hosts.txt")
  other=$(awk '$3 == "other" {print $1; exit}' "$RUN/hosts.txt")
  if ! ip netns exec "$P-scan" "$PY" - "$cam" "${other:-$cam}" <<'PY'
import socket, sys, time
cam, web = sys.argv[1], sys.argv[2]
def ask(addr, port, req, want):
    try:
        with socket.create_connection((addr, port), 1) as s:
            s.settimeout(2)
            s.sendall(req.encode())
            return s.recv(4096).startswith(want)
    except OSError:
        return False
def ready():
    for ch in ("101", "102"):
        url = "rtsp://%s:554/Streaming/Channels/%s" % (cam, ch)
        if not ask(cam, 554, "DESCRIBE %s RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n" % url,
                   b"RTSP/1.0 200"):
            return False
    return ask(web, 80, "GET / HTTP/1.0\r\nHost: %s\r\n\r\n" % web, b"HTTP/1.1 200")
for _ in range(120):  # 60 s at most
    if ready():
        sys.exit(0)
    time.sleep(0.5)
sys.exit(1)
PY
  then
    echo "scale_lab.sh: the servers did not answer within 60 s; their logs:" >&2
    tail -n 20 "$RUN/rtsp.log" "$RUN/nginx/error.log" >&2 || true
    exit 1
  fi
  echo READY
}

case "$cmd" in
  up) shift 2; up "$@" ;;
  down) down ;;
  *) usage ;;
esac
