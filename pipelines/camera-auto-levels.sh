#!/usr/bin/env bash
# Camera auto-levels: a dim, blue-tinted, low-contrast picture (what a cheap
# camera gives in bad light) comes out with its levels and colour balance
# restored.  r128norm normalizes R, G and B each to mean 0.5 and spread 0.2
# (gray-world white balance plus auto-contrast), with running statistics so
# the picture does not pump from frame to frame.
set -eu
. "$(dirname "$0")/env.sh"
exec gst-launch-1.0 -e \
  videotestsrc num-buffers="$NUM_BUFFERS" pattern=smpte ! video/x-raw,width=640,height=360,format=RGBA ! \
  videobalance brightness=-0.35 contrast=0.4 hue=0.15 saturation=0.6 ! \
  r128norm ! videoconvert ! "$VIDEO_SINK"
