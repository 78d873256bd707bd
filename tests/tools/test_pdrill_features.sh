#!/bin/sh
# The interpreter's own features, on small scripts run against the stack:
# the system calls beyond the public corpus (fcntl, ioctl, poll, readv,
# writev, recv flags, SO_LINGER, blocking write/poll/connect), timed and
# restored sysctls, time ranges, TS ecr mapping, inbound GSO (--mss),
# --strict_segments, ARP after a long idle; and the reasons given for
# what cannot be honoured (SKIPPED, never silently ignored).
set -eu
SYNACK=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cat >"$dir/calls.pkt" <<'EOF'
`../common/defaults.sh`
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
   +0 ioctl(3, SIOCINQ, [0]) = -1 EINVAL (Invalid argument)
   +0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
0.000~0.010 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>
  +.1 < . 1:1(0) ack 1 win 257
   +0 accept(3, ..., ...) = 4
   +0 fcntl(4, F_GETFL) = 0x2 (flags O_RDWR)
   +0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0
   +0 fcntl(4, F_GETFL) = 0x802 (flags O_RDWR|O_NONBLOCK)
   +0 read(4, ..., 1000) = -1 EAGAIN (Resource temporarily unavailable)
   +0 getsockopt(4, SOL_SOCKET, SO_SNDBUF, [262144], [4]) = 0
   +0 setsockopt(4, SOL_SOCKET, SO_SNDBUF, [21000], 4) = 0
   +0 getsockopt(4, SOL_SOCKET, SO_SNDBUF, [42000], [4]) = 0
   +0 poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 0) = 1
// A minute of silence: the stack's ARP entry for the peer goes stale.
  +60 write(4, ..., 100) = 100
   +0 > P. 1:101(100) ack 1
   +0 < P. 1:501(500) ack 101 win 257
   +0 > . 101:101(0) ack 501
   +0 ioctl(4, SIOCINQ, [500]) = 0
   +0 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 0) = 1
   +0 readv(4, [{..., 200}, {..., 100}], 2) = 300
   +0 recv(4, ..., 1000, MSG_PEEK) = 200
   +0 ioctl(4, FIONREAD, [200]) = 0
   +0 writev(4, [{..., 50}, {..., 50}], 2) = 100
   +0 > P. 101:201(100) ack 501
   +0 shutdown(4, SHUT_RD) = 0
   +0 read(4, ..., 1000) = 0
   +0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0
   +0 close(4) = 0
   +0 > R. 201:201(0) ack 501
   +0 close(3) = 0
   +0 close(3) = -1 EBADF (Bad file descriptor)
EOF

cat >"$dir/blocking.pkt" <<'EOF'
`../common/defaults.sh`
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
   +0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
   +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>
  +.1 < . 1:1(0) ack 1 win 257
   +0 accept(3, ..., ...) = 4
// 10000 bytes of send buffer: the write returns once the ACK frees room.
   +0 setsockopt(4, SOL_SOCKET, SO_SNDBUF, [5000], 4) = 0
   +0...0.100 write(4, ..., 15000) = 15000
   +0 > P. 1:10001(10000) ack 1
  +.1 < . 1:1(0) ack 10001 win 257
   +0 > P. 10001:15001(5000) ack 1
// poll() waits for data, then for its timeout.
   +0...0.050 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 1000) = 1
 +.05 < P. 1:11(10) ack 15001 win 257
   +0 > . 15001:15001(0) ack 11
   +0 read(4, ..., 100) = 10
   +0...0.300 poll([{fd=4, events=POLLIN, revents=0}], 1, 300) = 0
EOF

cat >"$dir/connect.pkt" <<'EOF'
`../common/defaults.sh`
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0...0.1 connect(3, ..., ...) = -1 ECONNREFUSED (Connection refused)
   +0 > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8>
  +.1 < R. 0:0(0) ack 1 win 0
   +0 socket(..., SOCK_STREAM|SOCK_NONBLOCK, IPPROTO_TCP) = 4
   +0 connect(4, ..., ...) = -1 EINPROGRESS (Operation now in progress)
   +0 > S 0:0(0) <mss 1460,sackOK,TS val 200 ecr 0,nop,wscale 8>
   +0 connect(4, ..., ...) = -1 EALREADY (Operation already in progress)
  +.1 < S. 0:0(0) ack 1 win 5792 <mss 1460,sackOK,TS val 700 ecr 200,nop,wscale 2>
   +0 > . 1:1(0) ack 1 <nop,nop,TS val 300 ecr 700>
   +0 connect(4, ..., ...) = -1 EISCONN (Transport endpoint is already connected)
   +0 getsockopt(4, SOL_TCP, TCP_MAXSEG, [1448], [4]) = 0
   +0 %{ assert tcpi_snd_mss == 1448 }%
   +0 %{ assert tcpi_state == TCP_ESTABLISHED; assert tcpi_ca_state == TCP_CA_Open }%
EOF

cat >"$dir/sysctl.pkt" <<'EOF'
// tcp_syn_retries=2 from set_sysctls.py, then 1 from a timed sysctl.
`../common/defaults.sh
../../tcp/common/set_sysctls.py /proc/sys/net/ipv4/tcp_syn_retries=2`
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 `sysctl -q net.ipv4.tcp_syn_retries=1`
   +0...3 connect(3, ..., ...) = -1 ETIMEDOUT (Connection timed out)
   +0 > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8>
   +1 > S 0:0(0) <mss 1460,sackOK,TS val 1100 ecr 0,nop,wscale 8>
   +2 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
`/tmp/sysctl_restore_${PPID}.sh`
EOF

cat >"$dir/gso.pkt" <<'EOF'
--mss=1000
`./defaults.sh`
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
   +0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
   +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>
  +.1 < . 1:1(0) ack 1 win 257
   +0 accept(3, ..., ...) = 4
// One GSO packet of three segments: one ACK.
   +0 < P. 1:3001(3000) ack 1 win 257
   +0 > . 1:1(0) ack 3001
   +0 ioctl(4, SIOCINQ, [3000]) = 0
EOF

run() {
  set +e
  out=$(cd "$dir" && "$SYNACK" pdrill "$@" 2>&1)
  rc=$?
  set -e
}

run calls.pkt blocking.pkt connect.pkt sysctl.pkt gso.pkt
[ "$rc" -eq 0 ] || fail "feature scripts do not all pass:
$out"
echo "$out"

# Without joining, one line cannot stand for two segments.
sed -n '1,9p' "$dir/blocking.pkt" >"$dir/strict.pkt"
cat >>"$dir/strict.pkt" <<'EOF'
   +0 write(4, ..., 2000) = 2000
   +0 > P. 1:2001(2000) ack 1
EOF
run strict.pkt
[ "$rc" -eq 0 ] || fail "two segments are not joined: $out"
sed '1i --strict_segments' "$dir/strict.pkt" >"$dir/strict2.pkt"
run strict2.pkt
echo "$out" | grep -q "^FAIL *strict2.pkt:12 .*live packet payload: expected 2000 bytes vs actual 1000 bytes" ||
  fail "--strict_segments still joins segments: $out"

# An inbound TS ecr must echo a TS val the stack sent.
sed 's/TS val 700 ecr 200/TS val 700 ecr 999/' "$dir/connect.pkt" >"$dir/ecr.pkt"
run ecr.pkt
echo "$out" | grep -q "^FAIL *ecr.pkt:10 .*unable to infer live TS ecr for script value 999" ||
  fail "an unknown TS ecr is not reported: $out"

# What cannot be honoured is SKIPPED, with the line and the reason.
expect_skip() { # name, line, reason, script text
  printf '%b' "$4" >"$dir/$1.pkt"
  run "$1.pkt"
  [ "$rc" -eq 0 ] || fail "$1: a skip must not fail the run (exit $rc): $out"
  echo "$out" | grep "^SKIPPED  $1.pkt:$2: " | grep -qF -- "$3" ||
    fail "$1: expected a skip at line $2 ($3): $out"
}
S='0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n'
expect_skip shell 1 "command 'ip route add 192.0.2.1 dev tun0 mtu lock 1200' is not supported" \
  '`../common/defaults.sh\nip route add 192.0.2.1 dev tun0 mtu lock 1200`\n'"$S"
expect_skip call 2 "system call sendfile() is not supported" "$S"'+0 sendfile(3, 4, 0, 10) = 10\n'
expect_skip option 2 "setsockopt SO_ZEROCOPY: synack does not implement this option" \
  "$S"'+0 setsockopt(3, SOL_SOCKET, SO_ZEROCOPY, [1], 4) = 0\n'
expect_skip code 2 "is not 'assert tcpi_X OP N'" "$S"'+0 %{ print(tcpi_rtt) }%\n'
expect_skip knob 2 "sysctl tcp_frobnicate=1: synack has no tcp_frobnicate knob" \
  "$S"'+0 `sysctl -q net.ipv4.tcp_frobnicate=1`\n'
expect_skip ipv6 1 "--ip_version=ipv6: synack has no IPv6" "--ip_version=ipv6\n$S"
expect_skip md5 2 "TCP option md5 is not supported" "$S"'+0 > S 0:0(0) <md5 0123,nop,nop>\n'
echo "ok"
