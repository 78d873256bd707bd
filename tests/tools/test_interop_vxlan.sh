#!/bin/sh
# synack over VXLAN (RFC 7348) against a Linux `vxlan` interface: Linux's
# namespace holds vx0 (VNI 42, UDP 4789, 198.18.0.1/24) over a veth pair
# whose other end (198.19.0.2) is in synack's namespace, where synack's
# ordinary UDP socket is the other tunnel endpoint (198.18.0.2). curl
# downloads from `synack serve http`, `synack send` uploads to socat, and
# socat sends to `synack recv`; the checksums match and tshark reads each
# capture clean.
set -eu
. "$(dirname "$0")/interop_lib.sh"
interop_init "$@" curl socat tshark sha256sum ethtool
SIZE=20
[ "$MODE" = quick ] && SIZE=5

new_ns lnx
L="$ID-lnx"
new_ns syn
S="$ID-syn"
in_ns "$L" ip link add vl0 type veth peer name vs0 netns "$S" ||
  fail "cannot create a veth pair"
in_ns "$L" ip addr add 198.19.0.1/24 dev vl0
in_ns "$L" ip link set vl0 up
in_ns "$S" ip addr add 198.19.0.2/24 dev vs0
in_ns "$S" ip link set vs0 up
in_ns "$L" ip link add vx0 type vxlan id 42 local 198.19.0.1 \
  remote 198.19.0.2 dstport 4789 dev vl0 || fail "cannot create a vxlan interface"
in_ns "$L" ip addr add "$LINUX_IP/24" dev vx0
# Linux leaves the inner TCP checksum to the NIC (checksum offload); a
# veth pair has no NIC to fill it in, so the datagrams would reach synack's
# socket with partial checksums. Have vx0 compute them in software.
in_ns "$L" ethtool -K vx0 tx off >/dev/null || fail "cannot turn off vx0's checksum offload"
in_ns "$L" ip link set vx0 up
LINK="--vxlan 198.19.0.2:4789 --remote 198.19.0.1:4789 --vni 42 --ip $SYNACK_IP/24 --mac 02:53:4e:00:00:02"

mkdir "$WORK/www"
make_file "$WORK/www/file" $SIZE

# curl (Linux) <- synack serve http
# shellcheck disable=SC2086
start_synack "$S" serve serve $LINK --pcap "$WORK/serve.pcap" http "$WORK/www"
grep -q "MTU 1450" "$WORK/serve.log" ||
  fail "synack did not take the tunnel MTU (1500 - 50): $(head -1 "$WORK/serve.log")"
in_ns "$L" curl -sS --fail --max-time 120 -o "$WORK/curl_got" \
  "http://$SYNACK_IP/file" || fail "curl over VXLAN failed"
n=$(stat_counter "$WORK/serve.ctl" DrvRxFrames)
[ "$n" -gt 100 ] || fail "synack's VXLAN driver counted only $n frames in"
stop_synack serve || fail "synack serve did not exit cleanly"
same "$WORK/www/file" "$WORK/curl_got" "curl from synack serve over VXLAN"
check_pcap "$WORK/serve.pcap" "$(counter "$WORK/serve.log" TcpRetransSegs)"

# synack send -> socat (Linux)
bg sink in_ns "$L" socat -u "TCP-LISTEN:5001,bind=$LINUX_IP,reuseaddr" \
  "OPEN:$WORK/socat_got,creat,trunc"
wait_port "$L" 5001
# shellcheck disable=SC2086
in_ns "$S" "$SYNACK" send $LINK --pcap "$WORK/send.pcap" "$LINUX_IP:5001" \
  "$WORK/www/file" >"$WORK/send.log" 2>&1 || fail "synack send over VXLAN failed"
wait_bg sink 30 || fail "socat (receiving) failed"
same "$WORK/www/file" "$WORK/socat_got" "synack send to socat over VXLAN"
check_pcap "$WORK/send.pcap" "$(counter "$WORK/send.log" TcpRetransSegs)"

# socat (Linux) -> synack recv
# shellcheck disable=SC2086
start_synack "$S" recv recv $LINK --pcap "$WORK/recv.pcap" --port 5002 \
  -o "$WORK/recv_got"
in_ns "$L" socat -u "OPEN:$WORK/www/file" "TCP:$SYNACK_IP:5002" ||
  fail "socat could not send to synack recv over VXLAN"
wait_synack recv || fail "synack recv failed"
same "$WORK/www/file" "$WORK/recv_got" "socat to synack recv over VXLAN"
check_pcap "$WORK/recv.pcap" "$(counter "$WORK/recv.log" TcpRetransSegs)"
echo "PASS: curl and socat transfers between a Linux vxlan interface and synack"
