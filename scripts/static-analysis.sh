#!/usr/bin/env bash
# Static analysis with Debian's cppcheck and clang-tidy; exits non-zero on
# any finding.  The choice of checks is explained in docs/reliability.md.
#
#   bash scripts/static-analysis.sh [cppcheck] [clang-tidy]   (default both)
#
# cppcheck   every C file of ours (lib/ without the generated ORC code,
#            gst/, tools/, examples/, tests/): warning, portability and
#            performance checks, with GLib's library description.
# clang-tidy the product code (lib/, gst/) and the reliability tests
#            (tests/fuzz/, tests/robustness/), through ./build's
#            compile_commands.json: the clang static analyzer and bugprone.
set -uo pipefail
cd "$(dirname "$0")/.."
tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(cppcheck clang-tidy)
failed=0

run_cppcheck () {
  local files
  files=$(ls lib/*.c gst/*.c tools/*.c examples/*.c tests/*/*.c 2>/dev/null \
    | grep -v -- '-dist\.c$')
  # varFuncNullUB: GLib's and GStreamer's NULL-terminated varargs APIs
  #   (G_GNUC_NULL_TERMINATED) are used as designed; NULL is a pointer on
  #   every platform GLib supports.
  # allocaCalled: g_newa() of at most R128NORM_MAX_CHANNELS doubles (8 KiB)
  #   in the element's message code; a VLA would be no different.
  # uninitvar in two kernel tests: the timing arrays are filled by a loop
  #   that runs at least once ("runs" is positive), which cppcheck cannot
  #   see; compareBoolExpressionWithInt there is the loop over in place =
  #   0 and (in == out).
  # GStreamer macros cppcheck cannot see into (it is not given the system
  # headers: they are not ours, and parsing them takes minutes)
  local cfg
  cfg=$(mktemp --suffix=.cfg)
  cat >"$cfg" <<'CFG'
<?xml version="1.0"?>
<def format="2">
  <define name="GST_VIDEO_CAPS_MAKE(format)" value="&quot;video/x-raw&quot;"/>
  <define name="GST_AUDIO_CAPS_MAKE(format)" value="&quot;audio/x-raw&quot;"/>
</def>
CFG
  # shellcheck disable=SC2086
  cppcheck --library="$cfg" --enable=warning,portability,performance --std=c11 \
    --library=gtk --inline-suppr --quiet --error-exitcode=1 -j 2 \
    --suppress=missingIncludeSystem --suppress=varFuncNullUB \
    --suppress=allocaCalled \
    --suppress=uninitvar:tests/lib/test_orc_kernels.c \
    --suppress=uninitvar:tests/lib/test_simd_kernels.c \
    --suppress=compareBoolExpressionWithInt:tests/lib/test_orc_kernels.c \
    -Ilib -Ibuild/lib $files
  local rc=$?
  rm -f "$cfg"
  return $rc
}

run_clang_tidy () {
  [ -f build/compile_commands.json ] || bash scripts/setup.sh >/dev/null \
    || return 1
  # Left out, each for a reason:
  #   bugprone-easily-swappable-parameters  numeric APIs take several
  #     values of one type; style, not bugs
  #   bugprone-reserved-identifier  GObject's struct tags (_GstR128Norm)
  #   bugprone-narrowing-conversions  deliberate double -> float in kernels
  #   bugprone-implicit-widening-of-multiplication-result  small bounded
  #     offsets (8 * lane) in the SIMD kernels; sizes are checked in
  #     size_t where they can grow
  #   bugprone-sizeof-expression  fires inside g_clear_pointer() and
  #     gst_clear_object()
  #   bugprone-macro-parentheses  the kernel templates take type names,
  #     which cannot be parenthesized
  #   clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling
  #     asks for C11 Annex K memcpy_s, which glibc does not have
  local checks='-*,clang-analyzer-*,bugprone-*'
  checks+=',-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier'
  checks+=',-bugprone-narrowing-conversions,-bugprone-sizeof-expression'
  checks+=',-bugprone-implicit-widening-of-multiplication-result'
  checks+=',-bugprone-macro-parentheses'
  checks+=',-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling'
  local files out
  files=$(ls lib/*.c gst/*.c tests/fuzz/*.c tests/robustness/*.c \
    | grep -v -- '-dist\.c$')
  out=$(echo "$files" | xargs -P 2 -n 3 clang-tidy -p build --quiet \
    --checks="$checks" --warnings-as-errors='*' 2>/dev/null)
  if echo "$out" | grep -qE "(warning|error):"; then
    echo "$out" | grep -E -A3 "(warning|error):"
    return 1
  fi
}

for t in "${tools[@]}"; do
  start=$(date +%s)
  case "$t" in
    cppcheck) run_cppcheck; rc=$? ;;
    clang-tidy) run_clang_tidy; rc=$? ;;
    *) echo "unknown tool $t"; rc=1 ;;
  esac
  if [ $rc -eq 0 ]; then r=PASS; else r=FAIL; failed=$((failed + 1)); fi
  echo "static $t: $r ($(( $(date +%s) - start )) s)"
done
exit $failed
