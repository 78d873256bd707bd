#!/bin/sh
# The synack command: help, version, usage errors (exit 2 with the accepted
# values), and deterministic runs (same seed -> same output and capture).
set -eu
SYNACK=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$SYNACK" --help | grep -q "demo" || fail "--help lists no commands"
"$SYNACK" --version | grep -Eq "^synack [0-9]+\.[0-9]+" || fail "--version"
"$SYNACK" demo --help | grep -q -- "--loss" || fail "demo --help"
"$SYNACK" ping --help | grep -q -- "--count" || fail "ping --help"

# Usage errors: exit 2, say what was wrong and what is accepted.
expect_usage() {
  set +e
  out=$("$SYNACK" "$@" 2>&1 >/dev/null)
  rc=$?
  set -e
  [ "$rc" -eq 2 ] || fail "'$*' exited $rc, not 2"
  echo "$out" | grep -q "accepted" || echo "$out" | grep -q "needs a value" ||
    fail "'$*' did not say what is accepted: $out"
}
expect_usage frobnicate
expect_usage demo --bogus
expect_usage demo --loss 1.5
expect_usage demo --loss abc
expect_usage demo --delay 10parsecs
expect_usage demo --seed -1
expect_usage demo --mtu 20
expect_usage demo --rate fast
expect_usage demo --burst 0.1
expect_usage ping --count 0
expect_usage ping --count
set +e
"$SYNACK" demo --pcap /nonexistent/dir/x.pcap >/dev/null 2>&1
[ $? -eq 2 ] || fail "unwritable --pcap did not exit 2"
set -e

# Determinism: the same seed gives the same bytes; another seed differs.
"$SYNACK" demo --seed 7 --trace "$dir/a.jsonl" --pcap "$dir/a.pcapng" >"$dir/a.txt"
"$SYNACK" demo --seed 7 --trace "$dir/b.jsonl" --pcap "$dir/b.pcapng" >"$dir/b.txt"
cmp -s "$dir/a.jsonl" "$dir/b.jsonl" || fail "traces differ for one seed"
cmp -s "$dir/a.pcapng" "$dir/b.pcapng" || fail "captures differ for one seed"
sed 's/a\.\(jsonl\|pcapng\)//' "$dir/a.txt" >"$dir/a2.txt"
sed 's/b\.\(jsonl\|pcapng\)//' "$dir/b.txt" >"$dir/b2.txt"
cmp -s "$dir/a2.txt" "$dir/b2.txt" || fail "output differs for one seed"
"$SYNACK" demo --seed 8 --trace "$dir/c.jsonl" >/dev/null
cmp -s "$dir/a.jsonl" "$dir/c.jsonl" && fail "seeds 7 and 8 gave the same trace"

# Every trace line is a JSON object with a time, host, category and event.
head -1 "$dir/a.jsonl" | grep -Eq '^\{"t":[0-9]+,"host":"[A-Z-]+","cat":"[a-z]+","ev":' ||
  fail "trace is not JSON lines"

# The demo tells the story it promises.
grep -q "ARP request" "$dir/a.txt" || fail "no ARP in the demo"
grep -q "ECONNREFUSED" "$dir/a.txt" || fail "no ICMP port unreachable in the demo"
grep -q "reassembled" "$dir/a.txt" || fail "no reassembly in the demo"
"$SYNACK" ping --count 2 | grep -q "2 received" || fail "ping"
echo "PASS"
