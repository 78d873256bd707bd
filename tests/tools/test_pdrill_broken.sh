#!/bin/sh
# `synack pdrill` catches what it should: a script of ours passes as
# written; with one outbound line broken (an ack number, a flag) it FAILS
# at that line, showing the expected and the actual segment; a syntax
# error is a parse error naming its line; usage errors exit 2 and say
# what is accepted.
set -eu
SYNACK=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cat >"$dir/basic.pkt" <<'EOF'
// A passive open, data each way, and a close from the peer.
`../common/defaults.sh`
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
   +0 < S 0:0(0) win 65535 <mss 1000,sackOK,nop,nop,nop,wscale 8>
   +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>
   +0 < . 1:1(0) ack 1 win 257
   +0 accept(3, ..., ...) = 4
   +0 < P. 1:1001(1000) ack 1 win 257
   +0 > . 1:1(0) ack 1001
   +0 read(4, ..., 1000) = 1000
   +0 write(4, ..., 500) = 500
   +0 > P. 1:501(500) ack 1001
  +.1 < . 1001:1001(0) ack 501 win 257
   +0 close(4) = 0
   +0 > F. 501:501(0) ack 1001
   +0 < F. 1001:1001(0) ack 502 win 257
   +0 > . 502:502(0) ack 1002
EOF

run() {
  set +e
  out=$(cd "$dir" && "$SYNACK" pdrill "$@" 2>&1)
  rc=$?
  set -e
}

run basic.pkt
[ "$rc" -eq 0 ] || fail "the unbroken script does not pass:
$out"
echo "$out" | grep -q "^PASS *basic.pkt$" || fail "no PASS line: $out"
echo "$out" | tail -1 | grep -qx "1 passed, 0 failed, 0 skipped" || fail "summary: $out"

# Break the last ACK's number (line 20).
sed '20s/ack 1002/ack 1003/' "$dir/basic.pkt" >"$dir/bad_ack.pkt"
run bad_ack.pkt
[ "$rc" -eq 1 ] || fail "a wrong ack number: exit $rc, not 1"
echo "$out" | grep -q "^FAIL *bad_ack.pkt:20 (at 0.100000 s): bad outbound TCP ack number: expected 1003, actual 1002" ||
  fail "a wrong ack number is not reported at line 20: $out"
echo "$out" | grep -qF "expected: > . 502:502(0) ack 1003" || fail "no expected line: $out"
echo "$out" | grep -q "actual: *> \. 502:502(0) ack 1002 win [0-9]*$" || fail "no actual line: $out"
echo "$out" | tail -1 | grep -qx "0 passed, 1 failed, 0 skipped" || fail "summary: $out"

# Break a flag: the FIN (line 18) written as a PSH.
sed '18s/> F\. 501:501/> P. 501:501/' "$dir/basic.pkt" >"$dir/bad_flag.pkt"
run bad_flag.pkt
[ "$rc" -eq 1 ] || fail "a wrong flag: exit $rc, not 1"
echo "$out" | grep -q "^FAIL *bad_flag.pkt:18 .*bad outbound TCP flags: expected P\., actual F\." ||
  fail "a wrong flag is not reported at line 18: $out"
echo "$out" | grep -qF "actual:   > F. 501:501(0) ack 1001" || fail "no actual line: $out"

# A segment the stack never sends: a timeout at that line.
sed '12s/.*/   +0 > . 1:1(0) ack 1001\n   +0 > . 1:1(0) ack 1001/' "$dir/basic.pkt" >"$dir/extra.pkt"
run extra.pkt
echo "$out" | grep -q "^FAIL *extra.pkt:13 .*Timed out waiting for packet" ||
  fail "a missing segment is not a timeout at line 13: $out"

# A syntax error (line 9: no window on an inbound packet; line 6: junk).
sed '9s/ win 257//' "$dir/basic.pkt" >"$dir/syntax1.pkt"
run syntax1.pkt
[ "$rc" -eq 1 ] || fail "a syntax error: exit $rc, not 1"
echo "$out" | grep -q "^FAIL *syntax1.pkt:9: parse error: an inbound TCP packet needs 'win N'" ||
  fail "a missing win is not a parse error at line 9: $out"
sed '6s/.*/   +0 listen(3, 1) = 0 ]/' "$dir/basic.pkt" >"$dir/syntax2.pkt"
run syntax2.pkt
echo "$out" | grep -q "^FAIL *syntax2.pkt:6: parse error:" ||
  fail "junk is not a parse error at line 6: $out"

# Several scripts: one line each and a summary; a failure makes the exit 1.
run basic.pkt bad_ack.pkt syntax1.pkt
[ "$rc" -eq 1 ] || fail "a run with failures exited $rc"
echo "$out" | tail -1 | grep -qx "1 passed, 2 failed, 0 skipped" || fail "summary: $out"

# Usage errors: exit 2, with what is accepted.
expect_usage() {
  run "$@"
  [ "$rc" -eq 2 ] || fail "'pdrill $*' exited $rc, not 2: $out"
  echo "$out" | grep -q "$expect" || fail "'pdrill $*' does not say '$expect': $out"
}
expect="accepted"; expect_usage
expect="accepted: linux"; expect_usage --profile rfc basic.pkt
expect="accepted: --profile"; expect_usage --frobnicate basic.pkt
expect="needs a value"; expect_usage basic.pkt --pcap
expect="cannot read"; expect_usage no-such-script.pkt
expect="cannot write"; expect_usage --pcap /nonexistent/dir/x.pcapng basic.pkt
"$SYNACK" pdrill --help | grep -q -- "--strict_segments\|--pcap" || fail "pdrill --help"
echo "ok"
