#!/usr/bin/env bash
# Runs the libFuzzer targets (tests/fuzz/) on a clang build with
# AddressSanitizer + UndefinedBehaviorSanitizer (build-fuzz/).
#
#   bash scripts/fuzz-long.sh [-t SECONDS] [-j JOBS] [--ci] [TARGET...]
#
#   -t SECONDS  time per target (default 3600)
#   -j JOBS     parallel fuzzing processes per target (default 1)
#   --ci        bounded run for CI: works on a copy of the corpus and
#               leaves the tree untouched
#   TARGET      lib, statsfile, element, lib-portable, element-portable
#               (default: all five); -portable: the same fuzzer with
#               R128NORM_NO_AVX2=1, so that the kernels of a CPU without
#               AVX2 (the portable vectors, the u8 tables) meet its inputs
#
# Without --ci, new inputs are merged (minimized) into tests/fuzz/corpus/
# TARGET/, and every input that crashes or leaks is copied to
# tests/fuzz/crashes/ (not tracked by git; move it to tests/fuzz/
# regressions/TARGET/ with a name that says what it found once it is
# fixed: the normal suite then replays it).  The summary line per target
# gives the executions, their rate and the coverage reached.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=3600 jobs=1 ci=0 targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    -t) seconds=$2; shift 2 ;;
    -j) jobs=$2; shift 2 ;;
    --ci) ci=1; shift ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(lib statsfile element lib-portable \
  element-portable)
# the fuzzers the targets run (a -portable target: its base's)
fuzzers=$(printf '%s\n' "${targets[@]%-portable}" | sort -u)

if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang meson setup build-fuzz -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbuildtype=debugoptimized \
    -Dc_args="-fsanitize=fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer" \
    >/dev/null || { echo "fuzz: cannot configure build-fuzz with clang"; exit 1; }
fi
# only what fuzzing needs (clang 14 cannot build every test: _Float16)
ninja -C build-fuzz gst/libgstr128norm.so $(printf 'tests/fuzz/fuzz-%s ' \
  $fuzzers) >/dev/null || { echo "fuzz: build-fuzz does not build"; exit 1; }

export GST_PLUGIN_SYSTEM_PATH_1_0=
export GST_PLUGIN_PATH_1_0=$root/build-fuzz/gst
export GST_REGISTRY_1_0=$root/build-fuzz/fuzz-registry.bin
export GST_REGISTRY_FORK=no
export ASAN_OPTIONS=fast_unwind_on_malloc=0:malloc_context_size=30
export LSAN_OPTIONS=suppressions=$root/tests/fuzz/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

failed=0
work=$(mktemp -d)
for t in "${targets[@]}"; do
  base=${t%-portable}
  unset R128NORM_NO_AVX2
  [ "$base" != "$t" ] && export R128NORM_NO_AVX2=1
  bin=build-fuzz/tests/fuzz/fuzz-$base
  [ -x "$bin" ] || { echo "fuzz $t: no $bin (clang, libclang-rt-14-dev?)"; failed=$((failed + 1)); continue; }
  corpus=$work/corpus-$t
  mkdir -p "$corpus" "$work/artifacts-$t"
  cp tests/fuzz/corpus/$base/* "$corpus"/ 2>/dev/null
  [ -d tests/fuzz/regressions/$base ] && cp tests/fuzz/regressions/$base/* "$corpus"/
  max_len=512
  [ "$base" = statsfile ] && max_len=2048
  log=$work/fuzz-$t.log
  start=$(date +%s)
  if [ "$jobs" -gt 1 ]; then
    "$bin" -max_total_time="$seconds" -max_len=$max_len -jobs="$jobs" \
      -workers="$jobs" -artifact_prefix="$work/artifacts-$t/" \
      -print_final_stats=1 "$corpus" >"$log" 2>&1
  else
    "$bin" -max_total_time="$seconds" -max_len=$max_len \
      -artifact_prefix="$work/artifacts-$t/" -print_final_stats=1 \
      "$corpus" >"$log" 2>&1
  fi
  rc=$?
  [ "$jobs" -gt 1 ] && cat fuzz-*.log >>"$log" 2>/dev/null && rm -f fuzz-*.log
  execs=$(grep -h "stat::number_of_executed_units" "$log" | awk '{s += $2} END {print s + 0}')
  cov=$(grep -hoE "cov: [0-9]+" "$log" | tail -1)
  elapsed=$(( $(date +%s) - start ))
  artifacts=$(ls "$work/artifacts-$t" | wc -l)
  if [ $rc -ne 0 ] || [ "$artifacts" -gt 0 ]; then
    failed=$((failed + 1))
    echo "fuzz $t: FAIL after $execs executions in $elapsed s ($cov)"
    grep -E "ERROR|runtime error|broken promise|SUMMARY" "$log" | head -5
  else
    echo "fuzz $t: PASS, $execs executions in $elapsed s ($(( execs / (elapsed > 0 ? elapsed : 1) )) /s, $cov), no crash, leak or broken promise"
  fi
  if [ $ci -eq 0 ]; then
    mkdir -p tests/fuzz/crashes
    cp "$work/artifacts-$t"/* tests/fuzz/crashes/ 2>/dev/null
    "$bin" -merge=1 -max_len=$max_len tests/fuzz/corpus/$base "$corpus" \
      >/dev/null 2>&1
  else
    # CI keeps what broke in the log
    for a in "$work/artifacts-$t"/*; do
      [ -f "$a" ] && echo "  input: $(basename "$a") base64 $(base64 -w0 "$a")"
    done
  fi
done
rm -rf "$work"
exit $failed
