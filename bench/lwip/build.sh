#!/bin/sh
# build.sh SRC_DIR OUT_DIR - build synack's lwIP anchor benchmark.
#
# SRC_DIR is an unpacked lwIP source tree (what fetch.sh prints, or the
# directory given to fetch.sh). The core lwIP files a NO_SYS raw-API
# TCP/IPv4/ARP/Ethernet stack needs are compiled with this directory's
# lwipopts.h and arch/cc.h (never with the port files of the source
# package), twice:
#   OUT_DIR/bench_lwip       default configuration (malloc-backed pools)
#   OUT_DIR/bench_lwip_1024  -DBENCH_LWIP_1024=1: static pools with
#                            MEMP_NUM_TCP_PCB 1024 (short connections)
# Each prints its own figures: run both for the whole set (bench/run.sh
# runs every OUT/bench_lwip*).
#
# CC and CFLAGS may be overridden; the default is cc -O2 -g -std=gnu11.
set -eu

die() {
  echo "build.sh: $*" >&2
  exit 1
}

[ $# -eq 2 ] || die "usage: build.sh SRC_DIR OUT_DIR"
src=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -f "$src/src/core/tcp.c" ]; then
  # Also take the directory given to fetch.sh.
  for d in "$src"/lwip-*/; do
    if [ -f "$d/src/core/tcp.c" ]; then
      src=$d
      break
    fi
  done
fi
[ -f "$src/src/core/tcp.c" ] || die "$src is not an lwIP source tree (no src/core/tcp.c)"
src=$(cd "$src" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

CC=${CC:-cc}
CFLAGS=${CFLAGS:--O2 -g -std=gnu11}
# lwIP's own files are third-party code: build them without our warning set.
LWIP_WARN="-w"
OUR_WARN="-Wall -Wextra -Werror"

lwip_sources="$src/src/netif/ethernet.c"
for f in "$src"/src/core/*.c "$src"/src/core/ipv4/*.c; do
  lwip_sources="$lwip_sources $f"
done

version=$(tr -d '\r' <"$src/src/include/lwip/init.h" | awk '
  $1 == "#define" && $2 == "LWIP_VERSION_MAJOR" { a = $3 }
  $1 == "#define" && $2 == "LWIP_VERSION_MINOR" { b = $3 }
  $1 == "#define" && $2 == "LWIP_VERSION_REVISION" { c = $3 }
  END { if (a != "") print a "." b "." c }')
[ -n "$version" ] || version=unknown

flavour() {
  name=$1
  defs=$2
  # (not named bench_lwip*: a harness may run every OUT/bench_lwip* file)
  obj="$out/obj/$name"
  rm -rf "$obj"
  mkdir -p "$obj"
  incs="-I$here -I$src/src/include"
  objs=""
  for f in $lwip_sources; do
    base=$(echo "$f" | sed "s|^$src/src/||; s|/|_|g; s|\.c$|.o|")
    # shellcheck disable=SC2086
    $CC $CFLAGS $LWIP_WARN $defs $incs -c "$f" -o "$obj/$base" &
    objs="$objs $obj/$base"
  done
  # shellcheck disable=SC2086
  $CC $CFLAGS $OUR_WARN $defs -DBENCH_LWIP_VERSION="\"$version\"" $incs \
    -c "$here/bench_lwip.c" -o "$obj/bench_lwip.o" &
  wait
  for o in $objs "$obj/bench_lwip.o"; do
    [ -f "$o" ] || die "compilation failed ($o missing)"
  done
  # shellcheck disable=SC2086
  $CC $CFLAGS -o "$out/$name" "$obj/bench_lwip.o" $objs
  echo "build.sh: built $out/$name (lwIP $version)" >&2
}

flavour bench_lwip ""
flavour bench_lwip_1024 "-DBENCH_LWIP_1024=1"
