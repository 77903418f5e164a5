#!/usr/bin/env bash
# Diagnostics on the bus: with post-messages=true r128norm posts an element
# message named "r128norm" every interval (here 500 ms) with per-channel input,
# running and output mean/stddev, an output histogram and counters;
# gst-launch-1.0 -m prints them.
set -eu
. "$(dirname "$0")/env.sh"
exec gst-launch-1.0 -e -m \
  audiotestsrc num-buffers="$NUM_BUFFERS" wave=pink-noise volume=0.1 ! audio/x-raw,channels=2,format=F32LE ! \
  r128norm post-messages=true interval=500000000 ! fakesink
