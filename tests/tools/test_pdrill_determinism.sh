#!/bin/sh
# `synack pdrill` is deterministic: the same scripts run twice give the
# same output, verbose trace and capture, byte for byte (virtual time, a
# fixed seed, no real clock or network). Runs the packetdrill corpus in
# ../shared when it is there, and a script of ours in any case.
set -eu
SYNACK=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
corpus="$root/../shared/conformance/packetdrill"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

mkdir "$dir/own"
cat >"$dir/own/retransmit.pkt" <<'EOF'
// A lost segment sent again (a probe, then timeouts) at exact virtual times.
`../common/defaults.sh`
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
   +0 < S 0:0(0) win 65535 <mss 1000,sackOK,nop,nop,nop,wscale 8>
   +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>
  +.1 < . 1:1(0) ack 1 win 257
   +0 accept(3, ..., ...) = 4
   +0 write(4, ..., 1000) = 1000
   +0 > P. 1:1001(1000) ack 1
   *  > P. 1:1001(1000) ack 1
   *  > P. 1:1001(1000) ack 1
EOF

set -- "$dir/own"
if [ -d "$corpus" ]; then
  set -- "$@" "$corpus/public" "$corpus/interpreter_selftests"
else
  echo "note: $corpus is absent; checking our own script only"
fi

for run in 1 2; do
  "$SYNACK" pdrill --pcap "$dir/cap$run.pcapng" "$@" >"$dir/out$run.txt" 2>&1 || true
  "$SYNACK" pdrill --verbose "$@" >"$dir/verbose$run.txt" 2>&1 || true
done
cmp -s "$dir/out1.txt" "$dir/out2.txt" || {
  diff "$dir/out1.txt" "$dir/out2.txt" || true
  fail "two runs printed different verdicts"
}
cmp -s "$dir/verbose1.txt" "$dir/verbose2.txt" || {
  diff "$dir/verbose1.txt" "$dir/verbose2.txt" | head -20 || true
  fail "two verbose runs differ"
}
cmp -s "$dir/cap1.pcapng" "$dir/cap2.pcapng" || fail "two runs captured different bytes"
[ -s "$dir/cap1.pcapng" ] || fail "the capture is empty"
grep -q "retransmit.pkt" "$dir/out1.txt" || fail "our script did not run: $(cat "$dir/out1.txt")"
grep -q "passed, .* failed, .* skipped" "$dir/out1.txt" || fail "no summary"
echo "ok: $(tail -1 "$dir/out1.txt"), identical twice"
