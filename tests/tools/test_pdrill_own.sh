#!/bin/sh
# Our own packetdrill scripts (tests/conformance/*.pkt) must all PASS.
set -eu
SYNACK=$1
here=$(cd "$(dirname "$0")" && pwd)
own="$here/../conformance"
if ! ls "$own"/*.pkt >/dev/null 2>&1; then
  echo "skipped: there are no scripts in tests/conformance/ yet"
  exit 77
fi
set +e
out=$(cd "$own" && "$SYNACK" pdrill ./*.pkt 2>&1)
rc=$?
set -e
echo "$out"
[ "$rc" -eq 0 ] || { echo "FAIL: synack pdrill exited $rc"; exit 1; }
if echo "$out" | grep -q "^SKIPPED"; then
  echo "FAIL: our own scripts must not need skipping"
  exit 1
fi
