#!/bin/sh
# ICMP between Linux and synack over a TAP device: Linux's ping gets echo
# replies (and so does a large, fragmented ping), and a connected Linux
# UDP socket (python3) sending to a synack port with no socket gets
# ECONNREFUSED from synack's ICMP port unreachable.
set -eu
. "$(dirname "$0")/interop_lib.sh"
interop_init "$@" ping python3
tap_ns icmp
start_synack "$NS" host serve --tap tap0 --ip "$SYNACK_IP/24" discard
out=$(in_ns "$NS" ping -c 3 -i 0.2 -W 2 "$SYNACK_IP") || fail "ping: $out"
echo "$out" | grep -q "3 received" || fail "ping: $out"
note "ping: 3 of 3 echo requests answered"
out=$(in_ns "$NS" ping -c 2 -i 0.2 -W 2 -s 4000 "$SYNACK_IP") ||
  fail "ping -s 4000: $out"
echo "$out" | grep -q "2 received" || fail "ping -s 4000: $out"
note "ping -s 4000 (fragmented both ways): 2 of 2 answered"
in_ns "$NS" python3 - "$SYNACK_IP" <<'PY' || fail "no ECONNREFUSED"
import errno, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect((sys.argv[1], 9999))
s.send(b"anyone there?")
try:
    s.recv(100)
    print("FAIL: an answer from a closed port")
    sys.exit(1)
except ConnectionRefusedError:
    print("  UDP to a closed synack port: ECONNREFUSED")
except socket.timeout:
    print("FAIL: no ICMP port unreachable within 3 s")
    sys.exit(1)
PY
n=$(stat_counter "$WORK/host.ctl" IcmpOutDestUnreachs)
[ "$n" -ge 1 ] || fail "synack counted no ICMP destination unreachable sent"
stop_synack host || fail "synack did not exit cleanly"
echo "PASS: ping and ICMP port unreachable between Linux and synack"
