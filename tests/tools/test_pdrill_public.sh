#!/bin/sh
# The public packetdrill corpus (../shared/conformance/packetdrill/public
# from the repository root): every script's verdict under `synack pdrill`
# must be the one tests/conformance/expected-public.txt records (path,
# PASS/FAIL/SKIP and, for FAIL and SKIP, the script line). Any difference,
# better or worse, fails the test until the file is updated.
set -eu
SYNACK=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
corpus="$root/../shared/conformance/packetdrill/public"
expected="$root/tests/conformance/expected-public.txt"
if [ ! -d "$corpus" ]; then
  echo "skipped: the packetdrill corpus is not at $corpus"
  exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# Run from inside public/ so that paths print as in the expected file.
set +e
(cd "$corpus" && "$SYNACK" pdrill * >"$dir/out.txt" 2>&1)
rc=$?
set -e
if [ "$rc" -gt 1 ]; then
  cat "$dir/out.txt"
  echo "FAIL: synack pdrill exited $rc"
  exit 1
fi

# "path VERDICT [LINE]" from the run and from the expected file.
sed -n -e 's/^PASS *\([^ ]*\.pkt\)$/\1 PASS/p' \
  -e 's/^FAIL *\([^: ]*\.pkt\):\([0-9]*\).*/\1 FAIL \2/p' \
  -e 's/^FAIL *\([^: ]*\.pkt\):.*/\1 FAIL 0/p' \
  -e 's/^SKIPPED *\([^: ]*\.pkt\):\([0-9]*\):.*/\1 SKIP \2/p' \
  "$dir/out.txt" | sort >"$dir/got.txt"
grep -v '^#' "$expected" | grep . |
  awk '{ if ($2 == "PASS") print $1, $2; else print $1, $2, $3 }' |
  sort >"$dir/want.txt"

if ! cmp -s "$dir/got.txt" "$dir/want.txt"; then
  echo "Verdicts differ from tests/conformance/expected-public.txt"
  echo "(< expected, > this run):"
  diff "$dir/want.txt" "$dir/got.txt" || true
  echo
  echo "Full output:"
  cat "$dir/out.txt"
  exit 1
fi
tail -1 "$dir/out.txt"
echo "all $(wc -l <"$dir/got.txt") verdicts as expected"
