#!/usr/bin/env bash
# docs/reference.md must be what docs/gen-reference.py makes from the element
# as built.  When this fails, regenerate it (the command is printed).
set -u
src="$1"
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
/usr/bin/python3 "$src/docs/gen-reference.py" "$tmp" || { echo "FAIL: the generator failed"; exit 1; }
if ! diff -u "$src/docs/reference.md" "$tmp"; then
  echo "FAIL: docs/reference.md is stale; regenerate it with"
  echo "  GST_PLUGIN_SYSTEM_PATH_1_0= GST_PLUGIN_PATH_1_0=build/gst:\$(pkg-config --variable=pluginsdir gstreamer-1.0) /usr/bin/python3 docs/gen-reference.py docs/reference.md"
  exit 1
fi
echo "PASS: docs/reference.md is current ($(wc -l <"$tmp") lines)"
