#!/usr/bin/env bash
# Runs one pipelines/ script headless with a bounded number of buffers and
# checks that it ends with EOS and exit status 0.
set -u
script="$1"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
NUM_BUFFERS=20 VIDEO_SINK=fakesink AUDIO_SINK=fakesink STATS_DIR="${STATS_DIR:-$(mktemp -d)}" \
  R128NORM_NO_BUILD_PATH=1 timeout 120 bash "$script" >"$log" 2>&1
status=$?
if [ "$status" -ne 0 ]; then
  echo "FAIL: $script exited with $status"; tail -20 "$log"; exit 1
fi
if ! grep -q "Got EOS from element" "$log"; then
  echo "FAIL: $script did not reach EOS"; tail -20 "$log"; exit 1
fi
if grep -q -E "^(ERROR|WARNING):" "$log"; then
  echo "FAIL: $script reported an error or warning"; grep -E "^(ERROR|WARNING):" "$log"; exit 1
fi
echo "PASS: $script reached EOS"
