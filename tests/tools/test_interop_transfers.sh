#!/bin/sh
# synack and the Linux kernel's programs over a TAP device: curl downloads
# from `synack serve http`, `synack get` downloads from python3 -m http.server (bound to
# 198.18.0.1), `synack send` uploads to a socat listener, `synack recv`
# takes a stream from socat. The checksums match both ways, and tshark
# reads each capture clean, counting the retransmissions synack counted.
# With "impaired" as the third argument (test_interop_impaired.sh), synack
# loses 5% and reorders 2% of the frames in each direction.
set -eu
. "$(dirname "$0")/interop_lib.sh"
interop_init "$1" "$2" curl python3 socat tshark sha256sum
IMPAIR=""
SIZE=20
[ "$MODE" = quick ] && SIZE=5
WHAT="over a TAP device"
if [ "${3:-}" = impaired ]; then
  IMPAIR="--loss 5% --reorder 2%"
  SIZE=8
  [ "$MODE" = quick ] && SIZE=2
  WHAT="over a TAP device with 5% loss and 2% reordering both ways"
fi
MAC=02:53:4e:00:00:02

# With the impairment, synack (the sender) must have had to retransmit.
impaired_check() {
  [ -n "$IMPAIR" ] || return 0
  n=$(counter "$WORK/$1.log" TcpRetransSegs)
  [ "${n:-0}" -gt 0 ] || fail "synack $1 sent through 5% loss without a retransmission"
}

tap_ns xfer
mkdir "$WORK/srv"
make_file "$WORK/srv/file" $SIZE
LINK="--tap tap0 --ip $SYNACK_IP/24 --mac $MAC $IMPAIR"

# 0. curl <- synack serve http
start_synack "$NS" serve serve $LINK --pcap "$WORK/serve.pcap" http "$WORK/srv"
in_ns "$NS" curl -sS --fail --max-time 120 -o "$WORK/curl_got" \
  "http://$SYNACK_IP/file" || fail "curl could not download from synack serve"
stop_synack serve || fail "synack serve did not exit cleanly"
same "$WORK/srv/file" "$WORK/curl_got" "curl from synack serve"
check_pcap "$WORK/serve.pcap" "$(counter "$WORK/serve.log" TcpRetransSegs)"
impaired_check serve

# 1. synack get <- python3 http.server
bg http in_ns "$NS" python3 -m http.server --bind "$LINUX_IP" \
  --directory "$WORK/srv" 8000
wait_port "$NS" 8000
# shellcheck disable=SC2086
in_ns "$NS" "$SYNACK" get $LINK --pcap "$WORK/get.pcap" \
  "http://$LINUX_IP:8000/file" -o "$WORK/got" >"$WORK/get.log" 2>&1 ||
  fail "synack get failed"
same "$WORK/srv/file" "$WORK/got" "synack get from python3 http.server"
check_pcap "$WORK/get.pcap" "$(counter "$WORK/get.log" TcpRetransSegs)"

# 2. synack send -> socat listener
bg sink in_ns "$NS" socat -u "TCP-LISTEN:5001,bind=$LINUX_IP,reuseaddr" \
  "OPEN:$WORK/socat_got,creat,trunc"
wait_port "$NS" 5001
# shellcheck disable=SC2086
in_ns "$NS" "$SYNACK" send $LINK --pcap "$WORK/send.pcap" \
  "$LINUX_IP:5001" "$WORK/srv/file" >"$WORK/send.log" 2>&1 ||
  fail "synack send failed"
wait_bg sink 30 || fail "socat (receiving) failed"
same "$WORK/srv/file" "$WORK/socat_got" "synack send to socat"
check_pcap "$WORK/send.pcap" "$(counter "$WORK/send.log" TcpRetransSegs)"
impaired_check send

# 3. socat -> synack recv
# shellcheck disable=SC2086
start_synack "$NS" recv recv $LINK --pcap "$WORK/recv.pcap" --port 5002 \
  -o "$WORK/recv_got"
in_ns "$NS" socat -u "OPEN:$WORK/srv/file" "TCP:$SYNACK_IP:5002" ||
  fail "socat could not send to synack recv"
wait_synack recv || fail "synack recv failed"
same "$WORK/srv/file" "$WORK/recv_got" "socat to synack recv"
check_pcap "$WORK/recv.pcap" "$(counter "$WORK/recv.log" TcpRetransSegs)"
echo "PASS: synack get, send and recv against Linux $WHAT"
