# Sourced by the pipeline scripts: use this checkout's build of r128norm when
# there is one (an installed copy otherwise), and let the test suite run each
# script headless and bounded:
#   NUM_BUFFERS=30 VIDEO_SINK=fakesink AUDIO_SINK=fakesink pipelines/X.sh
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -f "$here/../build/gst/libgstr128norm.so" ] && [ -z "${R128NORM_NO_BUILD_PATH:-}" ]; then
  export GST_PLUGIN_PATH_1_0="$here/../build/gst${GST_PLUGIN_PATH_1_0:+:$GST_PLUGIN_PATH_1_0}"
fi
NUM_BUFFERS="${NUM_BUFFERS:--1}"
VIDEO_SINK="${VIDEO_SINK:-autovideosink}"
AUDIO_SINK="${AUDIO_SINK:-autoaudiosink}"
STATS_DIR="${STATS_DIR:-${TMPDIR:-/tmp}}"
