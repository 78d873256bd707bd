#!/bin/sh
# anchor_linux.sh BUILD_DIR RUNS [quick] - the Linux kernel's figures for
# the benchmark table, as JSON lines on stdout (progress on stderr):
#   bulk_mtu1500  iperf3 over loopback (MTU 1500) in a fresh network
#                 namespace, client and server pinned to one core
#   short_conn    BUILD_DIR/bench/anchor_linux_shortconn in that namespace,
#                 pinned to one core, TIME-WAIT kept (tcp_tw_reuse 0)
#   mem_*         object sizes of the kernel's TCP socket, TIME-WAIT socket
#                 and request socket (/proc/slabinfo)
# Needs root (network namespaces); without it, says why and prints nothing.
set -u
BUILD=$1
RUNS=$2
QUICK=${3:-}
if [ "$(id -u)" != 0 ]; then
  echo "anchor_linux: not root: the Linux anchors need a network namespace" >&2
  exit 0
fi
NS=snbench$$
cleanup() { ip netns del "$NS" 2>/dev/null; }
trap cleanup EXIT INT TERM
ip netns add "$NS" || exit 0
ip -n "$NS" link set lo mtu 1500 up
in_ns() { ip netns exec "$NS" "$@"; }
in_ns sysctl -qw net.ipv4.tcp_tw_reuse=0
in_ns sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
in_ns sysctl -qw net.ipv4.tcp_max_tw_buckets=16777216 2>/dev/null ||
  in_ns sysctl -qw net.ipv4.tcp_max_tw_buckets=2000000 2>/dev/null
for i in $(seq 1 32); do
  in_ns ip addr add 127.0.1.$i/8 dev lo 2>/dev/null
done
CPU=$(($(nproc) - 1))
kernel=$(uname -r)

runs_json() { # values on stdin, one per line -> "[a,b,c]"
  awk 'BEGIN { printf "[" } { printf "%s%s", (NR > 1 ? "," : ""), $1 } END { printf "]" }'
}

# Bulk: iperf3, one stream, both ends on one core.
if command -v iperf3 >/dev/null 2>&1; then
  secs=5
  [ "$QUICK" = quick ] && secs=1
  out=$(mktemp)
  for r in $(seq 1 "$RUNS"); do
    in_ns taskset -c "$CPU" iperf3 -s -1 -B 127.0.0.1 -p 5201 >/dev/null 2>&1 &
    srv=$!
    sleep 0.3
    in_ns taskset -c "$CPU" iperf3 -c 127.0.0.1 -p 5201 -t "$secs" -J 2>/dev/null |
      python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["end"]["sum_received"]["bits_per_second"]/1e9)' >>"$out"
    wait "$srv" 2>/dev/null
    echo "linux bulk run $r: $(tail -n1 "$out") Gbit/s" >&2
  done
  printf '{"figure":"bulk_mtu1500","impl":"linux","unit":"Gbit/s","better":"higher","runs":%s,"conditions":"Linux %s TCP over loopback, MTU 1500, fresh network namespace, iperf3 -t %s, client and server pinned to one CPU"}\n' \
    "$(runs_json <"$out")" "$kernel" "$secs"
  rm -f "$out"
else
  echo "anchor_linux: iperf3 missing: no Linux bulk figure" >&2
fi

# Short connections.
SC="$BUILD/bench/anchor_linux_shortconn"
if [ -x "$SC" ]; then
  secs=3
  [ "$QUICK" = quick ] && secs=0.3
  out=$(mktemp)
  for r in $(seq 1 "$RUNS"); do
    in_ns taskset -c "$CPU" "$SC" "$secs" 64 32 | awk '{ print $1 }' >>"$out"
    echo "linux short_conn run $r: $(tail -n1 "$out") txn/s" >&2
  done
  tw=$(in_ns ss -tan state time-wait | tail -n +2 | wc -l)
  printf '{"figure":"short_conn","impl":"linux","unit":"txn/s","better":"higher","runs":%s,"conditions":"Linux %s over loopback in a fresh namespace: one epoll process (anchor_linux_shortconn) pinned to one CPU, 64 in flight from 32 client addresses, client closes first, tcp_tw_reuse 0 (%s TIME-WAIT sockets at the end)"}\n' \
    "$(runs_json <"$out")" "$kernel" "$tw"
  rm -f "$out"
fi

# Memory: the kernel's per-connection objects.
slab() { awk -v n="$1" '$1 == n { print $4 }' /proc/slabinfo 2>/dev/null; }
emit_slab() { # figure slab-name description
  v=$(slab "$2")
  [ -n "$v" ] && printf '{"figure":"%s","impl":"linux","unit":"bytes","better":"lower","runs":[%s],"conditions":"Linux %s: object size of the %s slab (%s), not counting buffers, file, inode or dentry"}\n' \
    "$1" "$v" "$kernel" "$2" "$3"
}
emit_slab mem_established TCP "struct tcp_sock"
emit_slab mem_timewait tw_sock_TCP "TIME-WAIT socket"
emit_slab mem_synrecv request_sock_TCP "request socket"
exit 0
