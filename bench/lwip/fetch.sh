#!/bin/sh
# fetch.sh DIR - put lwIP's source (Debian's source package "lwip") into
# DIR for the lwIP anchor benchmark. Nothing of lwIP is kept in this
# repository: it is downloaded at benchmark time.
#
# If DIR already holds an unpacked source tree (DIR/src/core/tcp.c, or a
# DIR/lwip-*/src/core/tcp.c from an earlier run), nothing is done.
# Otherwise apt-get downloads the source package with a private list of
# sources and a private package index under DIR/apt; the system's apt
# configuration is not touched. dpkg-source (package dpkg-dev) unpacks
# it; it is installed if missing and we are root.
#
# On success the last line on stdout is the unpacked source directory.
# On failure a message says why, on stderr, and the exit status is 1.
set -u

SUITE=${LWIP_DEBIAN_SUITE:-bookworm}
MIRROR=${LWIP_DEBIAN_MIRROR:-http://deb.debian.org/debian}

die() {
  echo "fetch.sh: $*" >&2
  exit 1
}

[ $# -eq 1 ] || die "usage: fetch.sh DIR"
dir=$1

found() {
  if [ -f "$dir/src/core/tcp.c" ]; then
    (cd "$dir" && pwd)
    return 0
  fi
  for d in "$dir"/lwip-*/; do
    if [ -f "$d/src/core/tcp.c" ]; then
      (cd "$d" && pwd)
      return 0
    fi
  done
  return 1
}

if found; then
  exit 0
fi

command -v apt-get >/dev/null 2>&1 ||
  die "apt-get not found: cannot download Debian's lwip source package"

if ! command -v dpkg-source >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "fetch.sh: installing dpkg-dev (for dpkg-source)" >&2
    apt-get install -y dpkg-dev >&2 ||
      { apt-get update >&2 && apt-get install -y dpkg-dev >&2; } ||
      die "could not install dpkg-dev (needed to unpack the source package)"
  else
    die "dpkg-source not found (install dpkg-dev) and not root to install it"
  fi
fi

mkdir -p "$dir/apt/lists/partial" || die "cannot create $dir"
abs=$(cd "$dir" && pwd)
echo "deb-src $MIRROR $SUITE main" >"$abs/apt/sources.list"
# apt drops privileges to _apt for downloads; let it write there.
chmod 755 "$abs" "$abs/apt" 2>/dev/null
chmod -R a+rwX "$abs/apt/lists" 2>/dev/null

set -- -o "Dir::Etc::sourcelist=$abs/apt/sources.list" \
  -o "Dir::Etc::sourceparts=/dev/null" \
  -o "Dir::State::Lists=$abs/apt/lists" \
  -o "Dir::Cache::archives=$abs/apt/archives" \
  -o "APT::Get::List-Cleanup=0"
if [ "$(id -u)" = 0 ]; then
  # Files under DIR need not be readable by apt's download user: download
  # as root, as apt would after a warning anyway.
  set -- "$@" -o "APT::Sandbox::User=root"
fi
mkdir -p "$abs/apt/archives/partial"
chmod -R a+rwX "$abs/apt/archives" 2>/dev/null

echo "fetch.sh: reading the source index of Debian $SUITE" >&2
apt-get "$@" update >&2 ||
  die "apt-get update of the private source list failed (no network to Debian's mirror?)"
# apt-get update exits 0 even when it could fetch nothing.
ls "$abs/apt/lists/"*Sources* >/dev/null 2>&1 ||
  die "could not read Debian's source index from $MIRROR (no network to the mirror?)"
echo "fetch.sh: downloading and unpacking the lwip source package" >&2
(cd "$abs" && apt-get "$@" source lwip) >&2 ||
  die "apt-get source lwip failed"

found || die "the lwip source package did not unpack into $dir/lwip-*/"
