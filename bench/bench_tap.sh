#!/bin/sh
# bench_tap.sh - synack against the Linux kernel over a TAP device, with the
# kernel against itself and the TAP device's own ceiling measured in the
# same run. Needs root (network namespaces, TAP devices), curl and socat.
# Not a test: the figures depend on the machine and its load.
#
#   curl <- synack serve http     Linux (curl) downloads from synack
#   socat -> synack recv          synack downloads from Linux (socat sends)
#   socat -> socat over veth      Linux to Linux, two namespaces
#   TAP write / TAP read          a trivial program writing frames into the
#                                 device / reading the frames a kernel UDP
#                                 socket floods out of it (tap_ceiling.c)
#
# All in Gbit/s (TCP payload; frame bytes for the TAP ceiling), MTU 1500,
# each run moving SIZE MiB from a sparse file.
#
#   bench/bench_tap.sh [RUNS [SIZE_MIB]]
#       builds build-bench/ (or $BENCH_BUILD) in Release and prints a
#       Markdown table: median, min and max of RUNS runs (default 5, 1 GiB)
#   bench/bench_tap.sh --json BUILD RUNS [quick]
#       for bench/run.sh: uses BUILD's binaries and prints one JSON line per
#       figure (tap_curl_from_synack, tap_synack_from_linux, veth_linux,
#       tap_ceiling, tap_ceiling_write, tap_ceiling_read); progress on
#       stderr; quick moves 256 MiB per run. tap_ceiling is the slower of
#       the write and read ceilings of each run.
set -eu
cd "$(dirname "$0")/.."
JSON=""
if [ "${1:-}" = --json ]; then
  JSON=1
  BUILD=$2
  RUNS=$3
  SIZE_MIB=1024
  [ "${4:-}" = quick ] && SIZE_MIB=256
else
  RUNS=${1:-5}
  SIZE_MIB=${2:-1024}
  BUILD=${BENCH_BUILD:-build-bench}
fi
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac

say() { echo "bench_tap: $*" >&2; }
if [ "$(id -u)" != 0 ]; then
  say "not root: TAP devices and network namespaces need root; no TAP figures"
  [ -n "$JSON" ] && exit 0
  exit 1
fi
for p in ip curl socat; do
  if ! command -v $p >/dev/null; then
    say "$p is missing; no TAP figures"
    [ -n "$JSON" ] && exit 0
    exit 1
  fi
done

if [ -z "$JSON" ]; then
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DSYNACK_TESTS=OFF \
    -DSYNACK_SANITIZE=OFF >/dev/null
  cmake --build "$BUILD" -j "$(nproc 2>/dev/null || echo 2)" \
    --target synack tap_ceiling >/dev/null
fi
SYNACK=$BUILD/synack
CEILING=$BUILD/bench/tap_ceiling
[ -x "$SYNACK" ] && [ -x "$CEILING" ] || { say "no $SYNACK or $CEILING"; exit 1; }

ID="snb$$"
WORK=$(mktemp -d)
PIDS=""
cleanup() {
  for p in $PIDS; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 0.3
  for p in $PIDS; do kill -KILL "$p" 2>/dev/null || true; done
  for ns in "$ID-tap" "$ID-va" "$ID-vb"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The TAP namespace: Linux is tap0 (198.18.0.1), synack 198.18.0.2.
T="$ID-tap"
ip netns add "$T"
ip netns exec "$T" ip link set lo up
ip netns exec "$T" ip tuntap add dev tap0 mode tap
ip netns exec "$T" ip addr add 198.18.0.1/24 dev tap0
ip netns exec "$T" ip link set tap0 up
MAC=02:53:4e:00:00:02
# The veth pair: two Linux hosts, 198.18.0.1 and 198.18.0.2.
A="$ID-va"
B="$ID-vb"
ip netns add "$A"
ip netns add "$B"
ip netns exec "$A" ip link add va type veth peer name vb netns "$B"
ip netns exec "$A" ip addr add 198.18.0.1/24 dev va
ip netns exec "$B" ip addr add 198.18.0.2/24 dev vb
for ns in "$A" "$B"; do ip netns exec "$ns" ip link set lo up; done
ip netns exec "$A" ip link set va up
ip netns exec "$B" ip link set vb up

mkdir "$WORK/www"
truncate -s "${SIZE_MIB}M" "$WORK/www/data" # sparse: reading it is cheap
BYTES=$((SIZE_MIB * 1048576))

now() { date +%s.%N; }
# gbps BYTES T0 T1: the rate in Gbit/s.
gbps() { awk -v b="$1" -v t0="$2" -v t1="$3" 'BEGIN { printf "%.3f\n", b * 8 / (t1 - t0) / 1e9 }'; }

# 1. Linux (curl) downloads from synack serve http.
ip netns exec "$T" "$SYNACK" serve --tap tap0 --ip 198.18.0.2/24 --mac $MAC \
  --quiet http "$WORK/www" >"$WORK/serve.log" 2>&1 &
SERVE=$!
PIDS="$SERVE"
until ip netns exec "$T" ping -c 1 -W 1 198.18.0.2 >/dev/null 2>&1; do sleep 0.1; done
: >"$WORK/r1"
for i in $(seq "$RUNS"); do
  bps=$(ip netns exec "$T" curl -s -o /dev/null -w '%{speed_download}' \
    http://198.18.0.2/data)
  awk -v b="$bps" 'BEGIN { printf "%.3f\n", b * 8 / 1e9 }' >>"$WORK/r1"
  say "curl from synack, run $i: $(tail -n1 "$WORK/r1") Gbit/s"
done
kill -TERM $SERVE
wait $SERVE || true
PIDS=""

# 2. synack downloads from Linux (socat sends, synack recv writes nowhere).
: >"$WORK/r2"
for i in $(seq "$RUNS"); do
  ip netns exec "$T" "$SYNACK" recv --tap tap0 --ip 198.18.0.2/24 --mac $MAC \
    --port 5001 -o /dev/null >"$WORK/recv.log" 2>&1 &
  R=$!
  PIDS="$R"
  until grep -q listening "$WORK/recv.log" 2>/dev/null; do sleep 0.05; done
  t0=$(now)
  ip netns exec "$T" socat -u "OPEN:$WORK/www/data" TCP:198.18.0.2:5001
  wait $R
  t1=$(now)
  gbps $BYTES "$t0" "$t1" >>"$WORK/r2"
  say "synack from Linux, run $i: $(tail -n1 "$WORK/r2") Gbit/s"
done
PIDS=""

# 3. Linux to Linux over veth, the same way.
: >"$WORK/r3"
for i in $(seq "$RUNS"); do
  ip netns exec "$B" socat -u TCP-LISTEN:5001,reuseaddr OPEN:/dev/null &
  R=$!
  PIDS="$R"
  until ip netns exec "$B" ss -Htln 'sport = :5001' | grep -q .; do sleep 0.05; done
  t0=$(now)
  ip netns exec "$A" socat -u "OPEN:$WORK/www/data" TCP:198.18.0.2:5001
  wait $R
  t1=$(now)
  gbps $BYTES "$t0" "$t1" >>"$WORK/r3"
  say "Linux to Linux, run $i: $(tail -n1 "$WORK/r3") Gbit/s"
done
PIDS=""

# 4. The TAP device itself: "frames/s Gbit/s" per run.
ip netns exec "$T" ip neigh replace 198.18.0.2 lladdr $MAC dev tap0
: >"$WORK/w"
: >"$WORK/r"
for i in $(seq "$RUNS"); do
  ip netns exec "$T" "$CEILING" write tap0 2 >>"$WORK/w"
  ip netns exec "$T" "$CEILING" read tap0 2 >>"$WORK/r"
  say "TAP ceiling, run $i: write $(tail -n1 "$WORK/w"), read $(tail -n1 "$WORK/r") (frames/s Gbit/s)"
done
paste -d' ' "$WORK/w" "$WORK/r" | awk '{ print ($2 < $4 ? $2 : $4) }' >"$WORK/c"

# Median, min and max of the numbers in column COL of a file.
summary() {
  awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '{ v[NR] = $1 } END {
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.2f | %.2f | %.2f", m, v[1], v[NR] }'
}
# The median of column COL, as a whole number (frames/s).
median() {
  awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '{ v[NR] = $1 } END {
    printf "%.0f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

if [ -n "$JSON" ]; then
  runs() { awk -v c="$2" 'BEGIN { printf "[" } { printf "%s%s", (NR > 1 ? "," : ""), $c } END { printf "]" }' "$1"; }
  kernel=$(uname -r)
  cond="$SIZE_MIB MiB per run, MTU 1500, Linux $kernel"
  fig() { # figure impl file column conditions
    printf '{"figure":"%s","impl":"%s","unit":"Gbit/s","better":"higher","runs":%s,"conditions":"%s"}\n' \
      "$1" "$2" "$(runs "$3" "$4")" "$5"
  }
  fig tap_curl_from_synack synack "$WORK/r1" 1 \
    "curl (Linux) downloads from synack serve http over a TAP device, $cond"
  fig tap_synack_from_linux synack "$WORK/r2" 1 \
    "synack recv takes a stream from socat (Linux) over a TAP device, $cond"
  fig veth_linux linux "$WORK/r3" 1 \
    "socat to socat between two namespaces over a veth pair (GSO/GRO on), $cond"
  fig tap_ceiling tap "$WORK/c" 1 \
    "the slower of a trivial TAP writer ($(median "$WORK/w" 1) frames/s) and reader ($(median "$WORK/r" 1) frames/s), 1514-byte frames"
  fig tap_ceiling_write tap "$WORK/w" 2 \
    "write(2) of 1514-byte frames into a TAP device, dropped by the kernel ($(median "$WORK/w" 1) frames/s)"
  fig tap_ceiling_read tap "$WORK/r" 2 \
    "read(2) of 1514-byte frames a kernel UDP socket floods out of a TAP device ($(median "$WORK/r" 1) frames/s)"
  exit 0
fi

echo "### bench_tap.sh"
echo
echo "$(uname -srm); $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null |
  sed 's/.*: //'); $(nproc 2>/dev/null || echo '?') CPUs; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "$RUNS runs of $SIZE_MIB MiB each, MTU 1500; Gbit/s"
echo
echo "| path | median | min | max |"
echo "|---|---|---|---|"
echo "| Linux (curl) downloads from synack serve http, TAP | $(summary "$WORK/r1" 1) |"
echo "| synack (recv) downloads from Linux (socat), TAP | $(summary "$WORK/r2" 1) |"
echo "| Linux to Linux (socat to socat), veth pair | $(summary "$WORK/r3" 1) |"
echo "| TAP ceiling: write(2) frames into the device | $(summary "$WORK/w" 2) |"
echo "| TAP ceiling: read(2) frames the kernel floods out | $(summary "$WORK/r" 2) |"
echo
echo "TAP ceiling in frames/s (1514-byte frames, medians): write $(median "$WORK/w" 1), read $(median "$WORK/r" 1)"
