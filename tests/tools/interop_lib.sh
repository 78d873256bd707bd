# interop_lib.sh - sourced by tests/tools/test_interop_*.sh: network
# namespaces with synack on a TAP device (or a VXLAN tunnel) facing the
# Linux kernel, the programs on the Linux side, and the checks every test
# shares. See docs/interop.md for the arrangement.
#
# Each test calls interop_init "$@" first. It skips (exit 77) with the
# reason when it cannot run (not root, no namespaces, no /dev/net/tun, a
# missing program), makes a work directory, and deletes on exit every
# namespace it made and every process it started (by pid).
#
# Addresses: Linux is 198.18.0.1/24 and synack 198.18.0.2/24 on the link
# under test; a VXLAN underlay uses 198.19.0.1/24 and 198.19.0.2/24. All
# of them are in the benchmarking range 198.18.0.0/15, inside namespaces
# the test made, so tests can run in parallel.

LINUX_IP=198.18.0.1
SYNACK_IP=198.18.0.2

skip() { echo "SKIP: $*"; exit 77; }

fail() {
  echo "FAIL: $*"
  for f in "$WORK"/*.log; do
    [ -f "$f" ] || continue
    echo "--- $(basename "$f") (last 40 lines)"
    tail -n 40 "$f"
  done
  exit 1
}

note() { echo "  $*"; }

# interop_init SYNACK MODE [PROGRAM...]: the programs the test needs.
interop_init() {
  SYNACK=$1
  # shellcheck disable=SC2034 # "full" or "quick": read by the tests
  MODE=${2:-full}
  shift 2 || true
  [ -x "$SYNACK" ] || { echo "FAIL: no synack binary at '$SYNACK'"; exit 1; }
  [ "$(id -u)" = 0 ] ||
    skip "interop tests need root (network namespaces, TAP devices); they run in CI"
  for p in ip "$@"; do
    command -v "$p" >/dev/null 2>&1 ||
      skip "'$p' is not installed (scripts/check.sh installs the test packages)"
  done
  [ -c /dev/net/tun ] || skip "no /dev/net/tun (the tun module is not loaded)"
  ID="sn$$"
  NAMESPACES=""
  PIDS=""
  WORK=$(mktemp -d)
  trap interop_cleanup EXIT
  trap 'exit 1' INT TERM
  ip netns add "$ID-probe" 2>/dev/null ||
    skip "cannot create network namespaces here"
  ip netns del "$ID-probe"
}

interop_cleanup() {
  for p in $PIDS; do
    kill -TERM "$p" 2>/dev/null || true
  done
  for p in $PIDS; do
    # Give each a moment to close its connections, then insist.
    i=0
    while kill -0 "$p" 2>/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$p" 2>/dev/null || true
  done
  for ns in $NAMESPACES; do
    ip netns del "$ns" 2>/dev/null || true
  done
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}

# new_ns NAME: a namespace with loopback up and IPv6 off (so the kernel's
# router solicitations do not clutter captures). Prints its full name.
new_ns() {
  ns="$ID-$1"
  ip netns add "$ns" || fail "cannot create namespace $ns"
  NAMESPACES="$NAMESPACES $ns"
  ip netns exec "$ns" ip link set lo up
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
    net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1 || true
}

# tap_ns NAME: a namespace whose tap0 is the Linux end of the wire
# (198.18.0.1/24); synack, started in the same namespace, attaches to tap0
# and is 198.18.0.2. Sets NS.
tap_ns() {
  new_ns "$1"
  NS=$ns
  ip netns exec "$NS" ip tuntap add dev tap0 mode tap ||
    fail "cannot create a TAP device in $NS"
  ip netns exec "$NS" ip addr add "$LINUX_IP/24" dev tap0
  ip netns exec "$NS" ip link set tap0 up
}

in_ns() { ns=$1; shift; ip netns exec "$ns" "$@"; }

# start_synack NS NAME ARGS...: run synack in NS in the background with a
# control socket $WORK/NAME.ctl and its output in $WORK/NAME.log; wait
# until it is up. Sets PID_<NAME>.
start_synack() {
  ns=$1
  name=$2
  shift 2
  ip netns exec "$ns" "$SYNACK" "$@" --control "$WORK/$name.ctl" \
    >"$WORK/$name.log" 2>&1 &
  pid=$!
  PIDS="$PIDS $pid"
  eval "PID_$name=$pid"
  i=0
  while [ ! -S "$WORK/$name.ctl" ]; do
    kill -0 "$pid" 2>/dev/null || fail "synack $name exited at start"
    i=$((i + 1))
    [ $i -lt 200 ] || fail "synack $name did not come up in 20 s"
    sleep 0.1
  done
}

# stop_synack NAME: SIGTERM, and wait for the orderly exit. Returns its
# exit status.
stop_synack() {
  eval "pid=\$PID_$1"
  kill -TERM "$pid" 2>/dev/null || true
  set +e
  wait "$pid"
  rc=$?
  set -e
  PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$pid" | tr '\n' ' ')
  return $rc
}

# wait_synack NAME: wait for a synack that ends by itself; its status.
wait_synack() {
  eval "pid=\$PID_$1"
  set +e
  wait "$pid"
  rc=$?
  set -e
  PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$pid" | tr '\n' ' ')
  return $rc
}

# bg NAME CMD...: run a Linux-side program in the background, output in
# $WORK/NAME.log. Sets PID_<NAME>.
bg() {
  name=$1
  shift
  "$@" >"$WORK/$name.log" 2>&1 &
  PIDS="$PIDS $!"
  eval "PID_$name=$!"
}

# wait_bg NAME [SECONDS]: wait for a background program (killing it after
# SECONDS, default 120); returns its status.
wait_bg() {
  eval "pid=\$PID_$1"
  limit=${2:-120}
  i=0
  while kill -0 "$pid" 2>/dev/null && [ $i -lt $((limit * 10)) ]; do
    sleep 0.1
    i=$((i + 1))
  done
  kill -KILL "$pid" 2>/dev/null || true
  set +e
  wait "$pid"
  rc=$?
  set -e
  PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$pid" | tr '\n' ' ')
  return $rc
}

# wait_port NS PORT: until something in NS listens on TCP PORT.
wait_port() {
  i=0
  until ip netns exec "$1" ss -Htln "sport = :$2" | grep -q .; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "nothing listens on port $2 in $1"
    sleep 0.1
  done
}

# make_file PATH SIZE_MIB: random contents.
make_file() {
  head -c $(($2 * 1048576)) /dev/urandom >"$1"
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# same FILE1 FILE2 WHAT: their SHA-256 must agree.
same() {
  [ -f "$2" ] || fail "$3: $2 was not written"
  a=$(sha "$1")
  b=$(sha "$2")
  [ "$a" = "$b" ] || fail "$3: checksums differ ($a sent, $b received; $(stat -c %s "$2") bytes)"
  note "$3: $(stat -c %s "$2") bytes, sha256 match"
}

# counter LOG NAME: a counter from the summary line synack prints at exit.
counter() {
  sed -n "s/.* $2 \([0-9]*\).*/\1/p" "$1" | tail -n 1
}

# stat_counter CTL NAME: a counter of a running synack (0 if absent).
stat_counter() {
  v=$("$SYNACK" stat --control "$1" --counters | awk -v n="$2" '$1 == n {print $2}')
  echo "${v:-0}"
}

# check_pcap FILE RETRANS: tshark reads synack's capture: no malformed
# packet, no bad IP or TCP checksum, and as many retransmissions from
# synack (198.18.0.2) as synack counted (TcpRetransSegs).
#
# tshark's verdict on a segment that repeats sequence space is
# tcp.analysis.retransmission, fast_retransmission (which implies the
# former), spurious_retransmission (already acknowledged) or out_of_order
# (it came within the first round-trip time of the highest segment, a few
# microseconds on a TAP link). synack captures what it sends before any
# impairment and never sends new data out of order, so each of these
# verdicts on a segment from synack is one retransmission.
check_pcap() {
  f=$1
  want=$2
  [ -s "$f" ] || fail "no capture $f"
  # The payload is read as plain data and TCP streams are not reassembled:
  # reassembling a 100 MiB HTTP body takes tshark minutes, reassembly
  # reports repacketized retransmissions as errors, and segment by segment
  # the HTTP (and iperf) dissectors read random file bytes as broken
  # messages. curl and synack get check the HTTP themselves.
  out=$(tshark -r "$f" -n -o tcp.desegment_tcp_streams:FALSE \
    -d tcp.port==80,data -d tcp.port==8000,data -d tcp.port==5001,data \
    -d tcp.port==5002,data \
    -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
    -o udp.check_checksum:TRUE \
    -T fields -E "separator=|" -e ip.src -e _ws.malformed \
    -e ip.checksum.status -e tcp.checksum.status \
    -e tcp.analysis.retransmission -e tcp.analysis.spurious_retransmission \
    -e tcp.analysis.out_of_order -e tcp.checksum -e tcp.checksum_calculated \
    2>"$WORK/tshark.err") ||
    fail "tshark cannot read $f: $(cat "$WORK/tshark.err")"
  grep -q "cut short\|appears to be damaged" "$WORK/tshark.err" &&
    fail "tshark: $f is truncated: $(cat "$WORK/tshark.err")"
  res=$(echo "$out" | awk -F"|" -v me="$SYNACK_IP" '
    { n++ }
    $2 != "" { malformed++ }
    $3 == "0" { badip++ }
    # 0xffff where the sum gives 0x0000: both are zero in ones complement
    # and verify alike (RFC 1624 section 3); Linux sends either.
    $4 == "0" && !($8 == "0xffff" && $9 == "0x0000") { badtcp++ }
    $4 == "1" { goodtcp++ }
    $1 == me && ($5 != "" || $6 != "" || $7 != "") { rtx++ }
    END { printf "%d %d %d %d %d %d\n", n, malformed, badip, badtcp, goodtcp, rtx }')
  set -- $res
  [ "$1" -gt 0 ] || fail "$f: no packets"
  [ "$2" -eq 0 ] || fail "$f: $2 malformed packets"
  [ "$3" -eq 0 ] || fail "$f: $3 packets with a bad IP checksum"
  [ "$4" -eq 0 ] || fail "$f: $4 packets with a bad TCP checksum"
  [ "$5" -gt 0 ] || fail "$f: no TCP checksum was verified"
  [ "$6" -eq "$want" ] ||
    fail "$f: tshark sees $6 retransmissions from synack, synack counted $want (TcpRetransSegs)"
  note "$(basename "$f"): $1 packets, $5 TCP checksums good, none malformed; $6 retransmissions from synack = TcpRetransSegs"
}
