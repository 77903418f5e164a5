#!/usr/bin/env bash
# Install what is missing, build, and run every test against this build.
# With CI=true the reliability stages follow (docs/reliability.md): the
# suite under ASan+UBSan, the stress test under ThreadSanitizer, the
# element tests under valgrind, a bounded fuzz run, the 1,000,000-buffer
# soak, static analysis, and the library's C tests built for AArch64 and
# run under qemu; each stage counts as one test.
# The last line is "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

# a log of its own: another meson test run in the same tree (or a CI
# stage) must not change what is counted
rm -f build/meson-logs/test-sh.json
meson test -C build --print-errorlogs --num-processes 2 --logbase test-sh "$@"
status=$?

log=build/meson-logs/test-sh.json
passed=0; failed=0; skipped=0
if [ -f "$log" ]; then
  passed=$(grep -c '"result": "OK"' "$log" || true)
  skipped=$(grep -c '"result": "SKIP"' "$log" || true)
  failed=$(grep -c -E '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" || true)
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi

# CI only: each stage is one test in the count (times in docs/reliability.md)
stage () {
  local name=$1 start rc
  shift
  start=$(date +%s)
  echo "== stage $name: $*"
  "$@"
  rc=$?
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1))
    echo "== stage $name: PASS ($(( $(date +%s) - start )) s)"
  else
    failed=$((failed + 1))
    echo "== stage $name: FAIL ($(( $(date +%s) - start )) s)"
  fi
}
if [ "${CI:-}" = "true" ]; then
  stage sanitize-asan-ubsan bash scripts/sanitize.sh asan
  stage sanitize-tsan bash scripts/sanitize.sh tsan
  stage valgrind bash scripts/sanitize.sh valgrind
  stage fuzz bash scripts/fuzz-long.sh --ci -t 60
  stage soak-1000000 env GST_PLUGIN_SYSTEM_PATH_1_0= \
    GST_PLUGIN_PATH_1_0="$PWD/build/gst:$(pkg-config --variable=pluginsdir gstreamer-1.0)" \
    GST_REGISTRY_1_0="$PWD/build/tests/robustness/soak-registry.bin" \
    build/tests/robustness/robustness-soak 1000000
  stage static-analysis bash scripts/static-analysis.sh
  stage aarch64-qemu bash scripts/cross-aarch64.sh
fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ]
