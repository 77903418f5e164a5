#!/usr/bin/env bash
# The embedding examples run and do what they say.
#   test_examples.sh c EMBED_BINARY     the C example (bus watch, properties)
#   test_examples.sh python SRCDIR      the Python example (appsink)
set -u
fail() { echo "FAIL: $*"; exit 1; }
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

case "$1" in
c)
  timeout 60 "$2" 300 >"$log" 2>&1 || { cat "$log"; fail "embed exited $?"; }
  cat "$log"
  grep -q '^30 r128norm messages$' "$log" || fail "expected 30 messages"
  grep -q '^set gamma=<0.05>$' "$log" || fail "gamma was not set"
  grep -q '^emitted reset$' "$log" || fail "reset was not emitted"
  # out-stddev (two channels) is gamma 0.1 before the change, 0.05 at the end
  before=$(grep '^message 5 ' "$log" | sed 's/.*out-stddev \([0-9.]*\)$/\1/')
  after=$(grep '^message 30 ' "$log" | sed 's/.*out-stddev \([0-9.]*\)$/\1/')
  awk -v b="$before" -v a="$after" 'BEGIN { exit !(b > 0.095 && b < 0.105 && a > 0.0475 && a < 0.0525) }' \
    || fail "out-stddev before $before, after $after: expected ~0.1 then ~0.05"
  echo "PASS: out-stddev $before with gamma 0.1, $after with gamma 0.05"
  ;;
python)
  timeout 60 /usr/bin/python3 "$2/examples/appsink.py" 60 >"$log" 2>&1 || { cat "$log"; fail "appsink.py exited $?"; }
  cat "$log"
  last=$(tail -1 "$log")
  # frames 60 mean R/G/B a/b/c (strength 1) d/e/f (strength 0.5), 20 r128norm messages
  echo "$last" | grep -q '^frames 60 mean R/G/B .*, 20 r128norm messages$' \
    || fail "unexpected last line: $last"
  /usr/bin/python3 - "$last" "$(grep '^frame  60:' "$log")" <<'PY' || fail "numbers"
import re, sys
last, f60 = sys.argv[1], sys.argv[2]
s1, s05 = re.findall(r"([\d.]+/[\d.]+/[\d.]+) \(strength", last)
s1 = [float(x) for x in s1.split("/")]
s05 = [float(x) for x in s05.split("/")]
rm = [float(x) for x in re.search(r"running-mean ([\d./]+)", f60).group(1).split("/")]
assert all(abs(v - 0.5) < 0.01 for v in s1), s1
# strength 0.5: halfway between the input (the running mean) and 0.5
for v, m in zip(s05, rm):
    assert abs(v - (m + 0.5 * (0.5 - m))) < 0.01, (v, m)
print("PASS: output means %s at strength 1, %s at 0.5 (halfway from %s)" % (s1, s05, rm))
PY
  ;;
*) fail "usage: $0 c EMBED | python SRCDIR" ;;
esac
