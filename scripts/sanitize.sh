#!/usr/bin/env bash
# The test suite under the sanitizers and valgrind (docs/reliability.md).
#
#   bash scripts/sanitize.sh [asan] [tsan] [valgrind]     (default: all three)
#
# asan      build-asan/: gcc, AddressSanitizer + UndefinedBehaviorSanitizer
#           (every UB check fatal, float-cast-overflow added), then the whole
#           suite.  Our C programs run with LeakSanitizer on; Python, bash
#           and gst-launch get the runtime preloaded (leak checking off:
#           their own leaks are not ours).  Left out: the perf suite (it
#           counts allocations with its own malloc interposer) and the
#           system install test (it would install the instrumented plugin).
# tsan      build-tsan/: ThreadSanitizer over robustness-stress (every
#           mutable property and reset from other threads while buffers
#           flow).
# valgrind  memcheck over the gst-check element tests of ./build, in one
#           process (CK_FORK=no): no error, no definite leak.
#
# Each stage prints "stage NAME: PASS|FAIL (N s)"; the exit status is the
# number of failed stages.  Needs: clang is not needed; gcc's sanitizer
# runtimes and valgrind (scripts/setup.sh installs them).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(asan tsan valgrind)
failed=0

ubsan_flags="-fno-sanitize-recover=all -fsanitize=float-cast-overflow -fno-omit-frame-pointer"
# ASan/TSan runtimes must see the plugin load in-process: no registry fork
export GST_REGISTRY_FORK=no
lsan_supp="suppressions=$root/tests/fuzz/lsan.supp:print_suppressions=0"

configure () { # dir, meson args...
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >/dev/null || return 1
  fi
}

stage_asan () {
  configure build-asan -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debugoptimized -Dc_args="$ubsan_flags" || return 1
  ninja -C build-asan >/dev/null || return 1
  local ok=0
  ASAN_OPTIONS="detect_leaks=1:fast_unwind_on_malloc=0:abort_on_error=1" \
  LSAN_OPTIONS="$lsan_supp" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    meson test -C build-asan --no-rebuild --print-errorlogs \
      --num-processes 2 --timeout-multiplier 4 \
      --no-suite python --no-suite pipelines --no-suite user \
      --no-suite perf --no-suite install || ok=1
  cp build-asan/meson-logs/testlog.json build-asan/meson-logs/testlog-c.json
  local rt
  rt="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
  LD_PRELOAD="$rt" \
  ASAN_OPTIONS="detect_leaks=0:verify_asan_link_order=0:abort_on_error=1" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    meson test -C build-asan --no-rebuild --print-errorlogs \
      --num-processes 2 --timeout-multiplier 4 \
      --suite python --suite pipelines --suite user --no-suite install \
      || ok=1
  return $ok
}

stage_tsan () {
  configure build-tsan -Db_sanitize=thread -Db_lundef=false \
    -Dbuildtype=debugoptimized || return 1
  ninja -C build-tsan gst/libgstr128norm.so \
    tests/robustness/robustness-stress >/dev/null || return 1
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" \
    meson test -C build-tsan --no-rebuild --print-errorlogs \
      --timeout-multiplier 4 robustness-stress
}

stage_valgrind () {
  [ -f build/build.ninja ] || bash scripts/setup.sh >/dev/null || return 1
  ninja -C build >/dev/null || return 1
  local supp=/usr/share/glib-2.0/valgrind/glib.supp
  CK_FORK=no GST_REGISTRY_FORK=no G_SLICE=always-malloc \
    meson test -C build --no-rebuild --print-errorlogs --suite element \
      --num-processes 2 --timeout-multiplier 20 \
      --wrapper "valgrind --quiet --error-exitcode=1 --leak-check=full \
--errors-for-leak-kinds=definite --show-leak-kinds=definite \
--smc-check=all-non-file --suppressions=$supp \
--suppressions=$root/tests/robustness/valgrind.supp"
}

for s in "${stages[@]}"; do
  start=$(date +%s)
  if "stage_$s"; then result=PASS; else result=FAIL; failed=$((failed + 1)); fi
  echo "stage $s: $result ($(( $(date +%s) - start )) s)"
done
exit $failed
