#!/bin/sh
# run.sh [--runs N] [--quick] [--only NAME] [--max-conns N] - every
# benchmark in one run, and the table comparing synack with its anchors
# (lwIP, the Linux kernel, memcpy, the TAP device) measured in that run.
#
#   1. installs what the anchors need when it is missing and we are root
#      (iperf3, python3, dpkg-dev for lwIP's Debian source package);
#   2. builds synack's benchmarks in a Release configuration (build-bench/,
#      or $BENCH_BUILD), and lwIP from its Debian source package with our
#      own lwipopts.h (bench/lwip/);
#   3. runs synack's figures, lwIP's, the Linux kernel's (root: network
#      namespaces) and the TAP figures (root), collecting their JSON lines
#      in build-bench/bench-runs.jsonl;
#   4. prints the Markdown table (bench/report.py) and writes every raw run
#      to build-bench/bench-results.json; then the checksum micro-benchmark.
# Benchmarks are not tests: the numbers depend on the machine and its load.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BENCH_BUILD:-build-bench}
JOBS=$(nproc 2>/dev/null || echo 2)
RUNS=5
QUICK=""
for a in "$@"; do
  case "$a" in
    --quick) QUICK=quick ;;
  esac
done
prev=""
for a in "$@"; do
  [ "$prev" = --runs ] && RUNS=$a
  prev=$a
done

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  need=""
  for p in iperf3 python3 dpkg-dev build-essential cmake; do
    dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
  done
  if [ -n "$need" ]; then
    echo "run.sh: installing$need" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq $need >/dev/null
  fi
fi

cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DSYNACK_TESTS=OFF \
  -DSYNACK_SANITIZE=OFF >/dev/null
cmake --build "$BUILD" -j "$JOBS" >/dev/null

OUT="$BUILD/bench-runs.jsonl"
: >"$OUT"

echo "== synack" >&2
"$BUILD/bench/bench_synack" "$@" >>"$OUT"

echo "== lwIP" >&2
LWIP_SRC="$BUILD/lwip-src"
if bench/lwip/fetch.sh "$LWIP_SRC" >&2; then
  src=$(find "$LWIP_SRC" -maxdepth 2 -name src -type d -path '*lwip-*' | head -n1)
  if [ -n "$src" ] && bench/lwip/build.sh "$(dirname "$src")" "$BUILD/lwip" >&2; then
    for b in "$BUILD"/lwip/bench_lwip*; do
      [ -x "$b" ] && "$b" --runs "$RUNS" ${QUICK:+--quick} >>"$OUT"
    done
  else
    echo "run.sh: lwIP could not be built: no lwIP figures" >&2
  fi
else
  echo "run.sh: lwIP's source package is not available: no lwIP figures" >&2
fi

echo "== Linux" >&2
bench/anchor_linux.sh "$BUILD" "$RUNS" $QUICK >>"$OUT"

if [ -x bench/bench_tap.sh ]; then
  echo "== TAP" >&2
  bench/bench_tap.sh --json "$BUILD" "$RUNS" $QUICK >>"$OUT" || true
fi

echo "# synack benchmarks"
echo
echo "$(uname -srm); $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null |
  sed 's/.*: //'); $(nproc 2>/dev/null || echo '?') CPUs; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "Medians of $RUNS runs [min-max], every figure and its anchor from this run."
echo
python3 bench/report.py "$OUT" --json "$BUILD/bench-results.json"
echo
echo "Raw runs: $BUILD/bench-results.json"
echo
echo "### checksum"
echo
"$BUILD/bench/bench_checksum" --runs "$RUNS"
