#!/usr/bin/env bash
# The main job: install what is missing, build, then normalize a synthetic
# video and audio stream with the library and write the first video frame
# before and after to ./out (PPM).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p out
build/tools/r128norm-example out
