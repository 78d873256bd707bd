#!/bin/sh
# run.sh - build the benchmarks in a Release configuration (build-bench/,
# or $BENCH_BUILD) and run every bench_* program, printing their Markdown
# tables. Arguments are passed to each benchmark (e.g. --runs 9).
# Benchmarks are not tests: the numbers depend on the machine and its load.
set -eu
cd "$(dirname "$0")/.."

BUILD=${BENCH_BUILD:-build-bench}
JOBS=$(nproc 2>/dev/null || echo 2)

cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DSYNACK_TESTS=OFF \
  -DSYNACK_SANITIZE=OFF >/dev/null
cmake --build "$BUILD" -j "$JOBS" >/dev/null

echo "# synack benchmarks"
echo
echo "$(uname -srm); $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null |
  sed 's/.*: //'); $(nproc 2>/dev/null || echo '?') CPUs; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
status=0
found=0
for b in "$BUILD"/bench/bench_*; do
  if [ ! -f "$b" ] || [ ! -x "$b" ]; then
    continue
  fi
  found=1
  echo "### $(basename "$b")"
  echo
  "$b" "$@" || status=$?
  echo
done
if [ "$found" = 0 ]; then
  echo "run.sh: no benchmark programs in $BUILD/bench" >&2
  exit 1
fi
exit "$status"
