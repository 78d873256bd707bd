#!/bin/sh
# tshark reads the demo's pcap and pcapng captures: no malformed packets, no
# expert warnings or errors, every IP, UDP and ICMP checksum verified good,
# and pcapng packets carry the reason they were sent.
set -eu
SYNACK=$1
if ! command -v tshark >/dev/null 2>&1; then
  echo "SKIP: tshark is not installed (apt-get install tshark)"
  exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$SYNACK" demo --pcap "$dir/demo.pcap" >/dev/null
"$SYNACK" demo --pcap "$dir/demo.pcapng" >/dev/null

for f in "$dir/demo.pcap" "$dir/demo.pcapng"; do
  opts="-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE"
  n=$(tshark -r "$f" 2>/dev/null | wc -l)
  [ "$n" -gt 40 ] || { echo "FAIL: $f has only $n packets"; exit 1; }
  expert=$(tshark -r "$f" $opts -q -z expert 2>/dev/null)
  if echo "$expert" | grep -Eq '^(Errors|Warnings) \(|Malformed'; then
    echo "FAIL: tshark expert information for $f:"; echo "$expert"; exit 1
  fi
  bad=$(tshark -r "$f" $opts -Y '_ws.malformed || ip.checksum.status == 0 ||
        udp.checksum.status == 0 || icmp.checksum.status == 0' 2>/dev/null | wc -l)
  [ "$bad" -eq 0 ] || { echo "FAIL: $f: $bad malformed or bad-checksum packets"; exit 1; }
  good=$(tshark -r "$f" $opts -Y 'ip.checksum.status == 1' 2>/dev/null | wc -l)
  [ "$good" -gt 30 ] || { echo "FAIL: $f: only $good verified IP checksums"; exit 1; }
done

# pcapng comments: why each frame was sent, and which frames the link lost.
comments=$(tshark -r "$dir/demo.pcapng" -T fields -e frame.comment 2>/dev/null)
echo "$comments" | grep -q "sent by A: ARP request" || { echo "FAIL: no ARP comment"; exit 1; }
echo "$comments" | grep -q "sent by B: ICMP port unreachable" || { echo "FAIL: no ICMP comment"; exit 1; }
echo "$comments" | grep -q "dropped by link: random loss" || { echo "FAIL: no drop comment"; exit 1; }
echo "PASS: tshark reads both captures cleanly"
