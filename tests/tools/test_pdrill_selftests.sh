#!/bin/sh
# The interpreter's expected failures (../shared/conformance/packetdrill/
# interpreter_selftests): each script must FAIL, at the event right after
# its "// Failure:" comment, with the message that comment gives. The
# essential part is compared: the text before the errno's description in
# parentheses, which is the C library's wording.
set -eu
SYNACK=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
selftests="$root/../shared/conformance/packetdrill/interpreter_selftests"
if [ ! -d "$selftests" ]; then
  echo "skipped: the interpreter self-tests are not at $selftests"
  exit 77
fi
fail() { echo "FAIL: $*"; exit 1; }

n=0
for script in $(find "$selftests" -name '*.pkt' | sort); do
  n=$((n + 1))
  name=${script#"$selftests"/}
  comment_line=$(grep -n '// Failure:' "$script" | head -1 | cut -d: -f1)
  [ -n "$comment_line" ] || fail "$name has no '// Failure:' comment"
  want=$(sed -n "${comment_line}s/.*\/\/ Failure: *//p" "$script" | tr -d '\\')
  essential=${want%% (*}
  # The failing event is the first non-blank line after the comment.
  event_line=$(awk -v c="$comment_line" 'NR > c && NF { print NR; exit }' "$script")

  set +e
  out=$(cd "$(dirname "$script")" && "$SYNACK" pdrill "$(basename "$script")" 2>&1)
  rc=$?
  set -e
  [ "$rc" -eq 1 ] || fail "$name: exit status $rc, expected 1 (a failure)
$out"
  first=$(echo "$out" | head -1)
  case "$first" in
    FAIL*":$event_line "*) ;;
    *) fail "$name: expected a FAIL at line $event_line, got:
$out" ;;
  esac
  echo "$first" | grep -qF -- "$essential" ||
    fail "$name: the failure does not say '$essential':
$out"
  echo "ok: $name fails at line $event_line: $essential"
done
[ "$n" -eq 3 ] || fail "expected 3 self-test scripts, found $n"
