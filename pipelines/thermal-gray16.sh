#!/usr/bin/env bash
# Thermal-style 16-bit sensor to a viewable 8-bit picture: the raw GRAY16
# values sit in a narrow band of the 16-bit range (nearly black when viewed
# as is); r128norm stretches that band around mid-grey while still in 16 bits,
# and videoconvert then takes the top 8 bits.
set -eu
. "$(dirname "$0")/env.sh"
exec gst-launch-1.0 -e \
  videotestsrc num-buffers="$NUM_BUFFERS" pattern=ball foreground-color=0xff2a2a2a background-color=0xff202020 ! \
  video/x-raw,format=GRAY16_LE,width=640,height=512 ! \
  r128norm stats=running momentum=0.9 ! \
  videoconvert ! video/x-raw,format=GRAY8 ! videoconvert ! "$VIDEO_SINK"
