#!/usr/bin/env bash
# The main job: install what is missing, build, then run r128norm on a dim,
# blue-cast, flickering video and a quiet audio signal with a DC offset
# (GStreamer's built-in sources) and write to ./out
#   demo-contact-sheet.png  input and stats=frame/running/frozen side by side
#   demo-stats.png          the statistics over time, from the bus messages
# and print a summary computed from those messages.  Arguments go to
# tools/r128norm-demo (e.g. --seconds 3 --out /tmp/demo).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# This checkout's build of r128norm, and GStreamer's own plugins; never an
# installed copy of r128norm.
export GST_PLUGIN_SYSTEM_PATH_1_0=
export GST_PLUGIN_PATH_1_0="$PWD/build/gst:$(pkg-config --variable=pluginsdir gstreamer-1.0)"
export GST_REGISTRY_1_0="$PWD/build/demo-registry.bin"
exec /usr/bin/python3 tools/r128norm-demo --out out "$@"
