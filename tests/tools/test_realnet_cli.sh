#!/bin/sh
# The real-network commands (serve, get, send, recv, stat): help, and
# mistakes on the command line exit 2 saying what is accepted, before
# anything touches the network. No privilege needed.
set -eu
SYNACK=$1
fail() { echo "FAIL: $*"; exit 1; }

for c in serve get send recv stat; do
  "$SYNACK" --help | grep -q "^  $c " || fail "--help does not list $c"
  "$SYNACK" $c --help | grep -q "usage: synack $c" || fail "$c --help"
done
"$SYNACK" serve --help | grep -q -- "--vxlan" || fail "serve --help lacks --vxlan"
"$SYNACK" get --help | grep -q -- "--loss" || fail "get --help lacks the impairments"

expect_usage() {
  set +e
  out=$("$SYNACK" "$@" 2>&1 >/dev/null)
  rc=$?
  set -e
  [ "$rc" -eq 2 ] || fail "'$*' exited $rc, not 2: $out"
  echo "$out" | grep -Eq "accepted|needs|choose|belong|unexpected|cannot (read|write)" ||
    fail "'$*' did not say what is accepted: $out"
}
V="--vxlan 127.0.0.1:4789 --remote 127.0.0.1:4790 --vni 1"
expect_usage serve discard
expect_usage serve --tap tap0 discard
expect_usage serve --tap averyveryverylongname --ip 198.18.0.2/24 discard
expect_usage serve --tap tap0 --vxlan 127.0.0.1 --ip 198.18.0.2/24 discard
expect_usage serve --vxlan 127.0.0.1 --ip 198.18.0.2/24 discard
expect_usage serve --remote 127.0.0.1 --tap tap0 --ip 198.18.0.2/24 discard
expect_usage serve $V --vni 16777216 --ip 198.18.0.2/24 discard
expect_usage serve $V --ip 198.18.0.2 discard
expect_usage serve $V --ip 198.18.0.2/33 discard
expect_usage serve $V --ip 198.18.0.2/24 --mac 01:00:5e:00:00:01 discard
expect_usage serve $V --ip 198.18.0.2/24 --loss 2 discard
expect_usage serve $V --ip 198.18.0.2/24 --port 0 discard
expect_usage serve $V --ip 198.18.0.2/24 gopher
expect_usage serve $V --ip 198.18.0.2/24 http
expect_usage serve $V --ip 198.18.0.2/24 http /nonexistent/dir
expect_usage serve $V --ip 198.18.0.2/24 echo extra
expect_usage serve --vxlan 127.0.0.1:99999 --remote 127.0.0.1 --vni 1 --ip 198.18.0.2/24 echo
expect_usage get $V --ip 198.18.0.2/24
expect_usage get $V --ip 198.18.0.2/24 https://198.18.0.1/
expect_usage get $V --ip 198.18.0.2/24 http://example.org/
expect_usage get $V --ip 198.18.0.2/24 ftp://198.18.0.1/
expect_usage get $V --ip 198.18.0.2/24 http://198.18.0.1/ -o /nonexistent/dir/f
expect_usage send $V --ip 198.18.0.2/24 198.18.0.1:5001
expect_usage send $V --ip 198.18.0.2/24 198.18.0.1 /etc/hostname
expect_usage send $V --ip 198.18.0.2/24 198.18.0.1:5001 /nonexistent/file
expect_usage recv $V --ip 198.18.0.2/24
expect_usage recv $V --ip 198.18.0.2/24 --port 70000
expect_usage stat
expect_usage stat --control
set +e
"$SYNACK" stat --control /nonexistent/synack.ctl >/dev/null 2>&1
rc=$?
set -e
[ $rc -eq 1 ] || fail "stat on a missing socket exited $rc, not 1"
echo "PASS"
