#!/bin/sh
# Linux's curl against `synack serve http` over a TAP device: 1 MiB and
# 100 MiB (20 MiB in the sanitizer build) arrive intact; one keep-alive
# connection carries two requests; HEAD gives the length; a missing file,
# paths that climb out of the directory (.., %2e%2e, a symbolic link out)
# are 404; tshark reads synack's capture: nothing malformed, every checksum
# good, and as many retransmissions as synack counted.
set -eu
. "$(dirname "$0")/interop_lib.sh"
interop_init "$@" curl tshark sha256sum
BIG=100
[ "$MODE" = quick ] && BIG=20

tap_ns http
mkdir "$WORK/www"
make_file "$WORK/www/1M" 1
make_file "$WORK/www/big" $BIG
echo "<p>synack</p>" >"$WORK/www/index.html"
ln -s /etc "$WORK/www/etc"
start_synack "$NS" serve serve --tap tap0 --ip "$SYNACK_IP/24" \
  --pcap "$WORK/serve.pcap" http "$WORK/www"
URL=http://$SYNACK_IP

in_ns "$NS" curl -sS --fail --max-time 60 -o "$WORK/got1M" "$URL/1M" ||
  fail "curl could not download 1 MiB"
same "$WORK/www/1M" "$WORK/got1M" "curl 1 MiB"
in_ns "$NS" curl -sS --fail --max-time 300 -o "$WORK/gotbig" "$URL/big" ||
  fail "curl could not download $BIG MiB"
same "$WORK/www/big" "$WORK/gotbig" "curl $BIG MiB"

# Two requests, one connection (HTTP/1.1 keep-alive).
conns=$(in_ns "$NS" curl -sS --fail -o /dev/null -o "$WORK/again1M" \
  -w '%{num_connects}\n' "$URL/" "$URL/1M" | awk '{s += $1} END {print s}')
[ "$conns" = 1 ] || fail "two requests took $conns connections, not 1"
same "$WORK/www/1M" "$WORK/again1M" "keep-alive, second request"

len=$(in_ns "$NS" curl -sS --fail -I "$URL/1M" | tr -d '\r' |
  awk 'tolower($1) == "content-length:" {print $2}')
[ "$len" = 1048576 ] || fail "HEAD /1M says Content-Length '$len'"

for path in /missing /../../../etc/passwd /%2e%2e/%2e%2e/etc/passwd \
  /etc/passwd /dir/../../1M; do
  code=$(in_ns "$NS" curl -s --path-as-is -o /dev/null -w '%{http_code}' "$URL$path")
  [ "$code" = 404 ] || fail "GET $path gave $code, not 404"
done
note "404 for a missing file and for paths out of the directory"

stop_synack serve || fail "synack serve did not exit cleanly"
grep -q "TcpRetransSegs" "$WORK/serve.log" || fail "no summary at exit"
check_pcap "$WORK/serve.pcap" "$(counter "$WORK/serve.log" TcpRetransSegs)"
echo "PASS: curl downloads from synack serve over TAP"
