#!/bin/sh
# Two synack processes joined by VXLAN over UDP on the loopback interface
# (no privilege needed): A (198.18.0.1) serves, B (198.18.0.2) fetches.
# Checks the event loop, the blocking calls, the VXLAN driver and the
# impairments on a real link end to end:
#   - synack get downloads from synack serve http, plain and through
#     3% loss, 2% reordering, 1% duplication and 0.5% corruption;
#   - synack send to the echo service gets every byte back before the
#     close; synack send to synack recv delivers the file;
#   - synack stat reads a running instance; SIGTERM ends it cleanly.
set -eu
SYNACK=$1
MODE=${2:-full}
SIZE=8
[ "$MODE" = quick ] && SIZE=2
command -v sha256sum >/dev/null || { echo "SKIP: no sha256sum"; exit 77; }
dir=$(mktemp -d)
pids=""
cleanup() {
  for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 0.2
  for p in $pids; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$dir"/*.log; do echo "--- $f"; tail -n 20 "$f"; done
  exit 1
}
# UDP ports from the process id, so parallel runs do not meet.
PA=$((20000 + ($$ % 10000) * 4))
PB=$((PA + 1))
A="--vxlan 127.0.0.1:$PA --remote 127.0.0.1:$PB --vni 7 --ip 198.18.0.1/24 --mac 02:53:4e:00:00:01 --seed 1"
B="--vxlan 127.0.0.1:$PB --remote 127.0.0.1:$PA --vni 7 --ip 198.18.0.2/24 --mac 02:53:4e:00:00:02 --seed 2"

start() { # NAME ARGS...: synack in the background, up when its control socket is
  name=$1
  shift
  "$SYNACK" "$@" --control "$dir/$name.ctl" >"$dir/$name.log" 2>&1 &
  pids="$pids $!"
  eval "pid_$name=$!"
  i=0
  while [ ! -S "$dir/$name.ctl" ]; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "$name did not start"
    sleep 0.1
  done
}
stop() {
  eval "p=\$pid_$1"
  kill -TERM "$p"
  wait "$p" || fail "$1 did not exit cleanly after SIGTERM"
}
same() {
  [ "$(sha256sum <"$1")" = "$(sha256sum <"$2")" ] || fail "$3: the bytes differ"
  echo "  $3: $(wc -c <"$2") bytes match"
}

mkdir "$dir/www"
head -c $((SIZE * 1048576)) /dev/urandom >"$dir/www/f"
# shellcheck disable=SC2086
start serve serve $A http "$dir/www"
# shellcheck disable=SC2086
"$SYNACK" get $B --pcap "$dir/get.pcapng" http://198.18.0.1/f -o "$dir/got" \
  2>"$dir/get.log" || fail "synack get"
same "$dir/www/f" "$dir/got" "get from serve over VXLAN"
if command -v tshark >/dev/null 2>&1; then
  c=$(tshark -r "$dir/get.pcapng" -T fields -e frame.comment 2>/dev/null |
    grep -c "^sent: ") || true
  [ "$c" -gt 10 ] || fail "the pcapng capture has $c 'sent: why' comments"
  echo "  the pcapng capture says why each frame was sent ($c comments)"
fi
# shellcheck disable=SC2086
# (MTU 1500 here: over a thousand frames each way, so that 3% loss is
# all but certain to hit some.)
"$SYNACK" get $B --mtu 1500 --loss 3% --reorder 2% --dup 1% --corrupt 0.5% \
  --trace "$dir/get2.jsonl" http://198.18.0.1/f -o "$dir/got2" \
  2>"$dir/get2.log" || fail "synack get through impairments"
same "$dir/www/f" "$dir/got2" "get through loss, reordering, duplication, corruption"
grep -Eq "impairment lost ([1-9][0-9]* out|[0-9]+ out, [1-9])" "$dir/get2.log" ||
  fail "the impairment lost nothing"
grep -q '"host":"impair","cat":"sim","ev":"drop"' "$dir/get2.jsonl" ||
  fail "the trace has no impairment drops"
grep -q '"cat":"tcp","ev":"state"' "$dir/get2.jsonl" ||
  fail "the trace has no TCP state changes"
echo "  the trace shows the impairment's drops and the TCP states"
out=$("$SYNACK" stat --control "$dir/serve.ctl")
echo "$out" | grep -q "^TcpPassiveOpens" || fail "synack stat: no counters: $out"
echo "$out" | grep -q "^LISTEN .*0.0.0.0:80" || fail "synack stat: no listener: $out"
echo "$out" | grep -q "^DrvRxFrames" || fail "synack stat: no driver counters"
echo "  synack stat reads the running server"
stop serve
grep -q "TcpRetransSegs" "$dir/serve.log" || fail "no summary from serve"

# shellcheck disable=SC2086
start echo serve $A echo
# shellcheck disable=SC2086
"$SYNACK" send $B 198.18.0.1:7 "$dir/www/f" 2>"$dir/send.log" ||
  fail "synack send to echo"
grep -q "the peer answered $((SIZE * 1048576)) bytes" "$dir/send.log" ||
  fail "echo did not return every byte"
echo "  send to echo: every byte came back before the close"
stop echo

# shellcheck disable=SC2086
start recv recv $A --port 5001 -o "$dir/recv_got"
# shellcheck disable=SC2086
"$SYNACK" send $B --loss 2% 198.18.0.1:5001 "$dir/www/f" 2>"$dir/send2.log" ||
  fail "synack send to recv"
eval "p=\$pid_recv"
wait "$p" || fail "synack recv failed"
same "$dir/www/f" "$dir/recv_got" "send to recv through 2% loss"
echo "PASS: two synacks over VXLAN on loopback"
