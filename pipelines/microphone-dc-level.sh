#!/usr/bin/env bash
# Microphone clean-up: a quiet 440 Hz tone riding on a DC offset (a cheap
# ADC's bias) comes out centred on zero at -20 dBFS RMS (gamma=0.1, the audio
# default).  time-constant=2s makes the smoothing independent of buffer size.
set -eu
. "$(dirname "$0")/env.sh"
exec gst-launch-1.0 -e \
  audiomixer name=mix ! audio/x-raw,format=S16LE,channels=1,rate=48000 ! \
  r128norm time-constant=2000000000 ! audioconvert ! "$AUDIO_SINK" \
  audiotestsrc num-buffers="$NUM_BUFFERS" freq=440 volume=0.02 ! mix. \
  audiotestsrc num-buffers="$NUM_BUFFERS" wave=square freq=0.01 volume=0.25 ! mix.
