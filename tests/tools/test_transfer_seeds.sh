#!/bin/sh
# synack transfer delivers byte-identical data across a lossy, delayed link
# for 20 seeds, and across a reordering, duplicating link. The sanitizer
# build (second argument "quick") moves 10 MB per run instead of 100 MB.
set -eu
SYNACK=$1
SIZE=100M
[ "${2:-}" = quick ] && SIZE=10M
fail=0
for seed in $(seq 1 20); do
  if ! out=$("$SYNACK" transfer --size $SIZE --loss 0.02 --delay 10ms --seed "$seed"); then
    echo "FAIL: seed $seed, 2% loss:"; echo "$out"; fail=1
  fi
  echo "$out" | grep -q "(match)" || { echo "FAIL: seed $seed: no match"; fail=1; }
done
for seed in 1 2 3; do
  if ! out=$("$SYNACK" transfer --size $SIZE --reorder 5% --dup 1% --delay 10ms --seed "$seed"); then
    echo "FAIL: seed $seed, reordering and duplication:"; echo "$out"; fail=1
  fi
done
# A broken transfer is reported: the link kills everything after a while.
set +e
"$SYNACK" transfer --size 1M --loss 100% --limit 5s >/dev/null
rc=$?
set -e
[ $rc -eq 1 ] || { echo "FAIL: an impossible transfer exited $rc, not 1"; fail=1; }
[ $fail -eq 0 ] && echo "PASS: $SIZE across loss for 20 seeds, and across reordering"
exit $fail
