#!/usr/bin/env bash
# Freeze and reuse statistics: learn running statistics on a first run and
# save them to a stats-file at EOS, then normalize a second run with those
# statistics held fixed (stats=frozen) -- the streaming form of training a
# BatchNorm layer and then running it in eval mode.
set -eu
. "$(dirname "$0")/env.sh"
stats="$STATS_DIR/r128norm-freeze-example.stats"
rm -f "$stats"
learn_buffers=$([ "$NUM_BUFFERS" -gt 0 ] && echo "$NUM_BUFFERS" || echo 100)
echo "== learning statistics from $learn_buffers frames into $stats"
gst-launch-1.0 -e -q \
  videotestsrc num-buffers="$learn_buffers" pattern=snow ! video/x-raw,format=RGB,width=320,height=240 ! \
  r128norm stats=running stats-file="$stats" ! fakesink
cat "$stats"
echo "== normalizing with the frozen statistics"
exec gst-launch-1.0 -e \
  videotestsrc num-buffers="$NUM_BUFFERS" pattern=ball ! video/x-raw,format=RGB,width=320,height=240 ! \
  r128norm stats=frozen stats-file="$stats" ! videoconvert ! "$VIDEO_SINK"
