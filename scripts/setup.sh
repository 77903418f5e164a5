#!/usr/bin/env bash
# Install the Debian 12 packages r128norm needs (only those missing), then
# configure and build into ./build.  Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  gcc meson ninja-build pkg-config strace time
  liborc-0.4-dev liborc-0.4-dev-bin
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  python3-gi python3-gst-1.0 python3-numpy python3-torch
  clang libclang-rt-14-dev valgrind cppcheck clang-tidy
  python3-matplotlib python3-pil
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f build/build.ninja ]; then
  meson setup build ${R128NORM_MESON_ARGS:-} >/dev/null
fi
ninja -C build >/dev/null
echo "== built into ./build"
