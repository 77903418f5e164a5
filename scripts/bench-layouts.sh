#!/bin/bash
# bench-layouts.sh [-r ROUNDS] [-w WORKLOAD] [-e ELEMENT] REV...
#
# The element's cost per buffer for each git revision, as the mean over
# four code layouts: each revision is built four times, with 0, 64, 128
# and 320 bytes of never-executed padding at the start of lib/r128norm.c,
# and all builds run round-robin through build/tools/r128norm-bench-peers
# (ROUNDS times each, median per build).  For 10 ms audio buffers the
# placement of the code alone moves the cost by up to 30 ns, more than
# most changes to the per-buffer path (docs/performance.md, "10 ms audio
# buffers"): one build against another is a draw, the mean over layouts is
# not.  Needs the project's dependencies (scripts/setup.sh) and a built
# ./build for the bench tool; the builds go to a temporary directory.
#
#   scripts/bench-layouts.sh 05a2782 HEAD
set -euo pipefail

rounds=4
workload=audio10ms
element=r128norm-running
while getopts "r:w:e:" opt; do
  case $opt in
    r) rounds=$OPTARG ;;
    w) workload=$OPTARG ;;
    e) element=$OPTARG ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { sed -n '2,16p' "$0"; exit 2; }

repo=$(git rev-parse --show-toplevel)
bench=$repo/build/tools/r128norm-bench-peers
[ -x "$bench" ] || { echo "build ./build first (scripts/setup.sh)" >&2; exit 1; }
work=$(mktemp -d /tmp/r128norm-layouts.XXXXXX)
trap 'git -C "$repo" worktree prune; rm -rf "$work"' EXIT

builds=()
for rev in "$@"; do
  for pad in 0 64 128 320; do
    dir=$work/$(git -C "$repo" rev-parse --short "$rev")-$pad
    git -C "$repo" worktree add -f --detach "$dir" "$rev" >/dev/null 2>&1
    if [ "$pad" != 0 ]; then
      # a padding of whole cache lines, in the text section, never run
      sed -i "0,/^#include \"r128norm.h\"/s//&\n__asm__ (\".text\\\\n.skip $pad, 0x90\\\\n\");/" \
        "$dir/lib/r128norm.c"
    fi
    builds+=("$dir")
  done
done
for dir in "${builds[@]}"; do
  (cd "$dir" && meson setup build >/dev/null && ninja -C build >/dev/null) &
done
wait

for ((r = 0; r < rounds; r++)); do
  for dir in "${builds[@]}"; do
    GST_PLUGIN_SYSTEM_PATH_1_0= \
    GST_PLUGIN_PATH_1_0=$dir/build/gst:/usr/lib/x86_64-linux-gnu/gstreamer-1.0 \
    GST_REGISTRY_1_0=$dir/registry.bin \
      "$bench" "$workload" | awk -v d="$(basename "$dir")" -v e="$workload/$element" \
        '$1 == e { print d, $2 * 1e6 }'
  done
done | awk '
  { split($1, p, "-"); key[$1] = p[1]; v[$1, ++n[$1]] = $2 }
  END {
    for (b in n) {
      m = n[b]
      for (i = 1; i <= m; i++) a[i] = v[b, i]
      for (i = 2; i <= m; i++)          # insertion sort: median per build
        for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
      med = a[int((m + 1) / 2)]
      sum[key[b]] += med; cnt[key[b]]++; list[key[b]] = list[key[b]] sprintf(" %.1f", med)
    }
    for (k in sum)
      printf "%s: %.1f ns per buffer, mean over %d layouts (%s )\n", k, sum[k] / cnt[k], cnt[k], list[k]
  }'
