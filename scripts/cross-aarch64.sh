#!/usr/bin/env bash
# The core library and its plain C tests built for AArch64 (Debian's cross
# gcc) and run under qemu-user: what an ARM board (Raspberry Pi, Jetson)
# runs, which is neither x86's SIMD kernels nor, here, ORC (built without
# it): C, the portable vector kernels (NEON through GCC's vector
# extensions), the u8 tables and the portable packed u8 rows.  Installs
# the cross compiler and qemu when missing.  Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

CC=aarch64-linux-gnu-gcc
out=build/aarch64
mkdir -p "$out"
flags=(-O2 -g -std=gnu11 -Wall -Ilib)
# the library warning-free; as lib/meson.build, the C and portable
# kernels without contraction into FMA (which AArch64's gcc does by default)
for f in r128norm r128norm_half r128norm_kernels_orc r128norm_packed \
    r128norm_kernels_x86 r128norm_kernels_c r128norm_kernels_vec; do
  extra=()
  case $f in r128norm_kernels_c|r128norm_kernels_vec) extra=(-ffp-contract=off) ;; esac
  $CC "${flags[@]}" -Wextra -Werror "${extra[@]}" -c "lib/$f.c" -o "$out/$f.o"
done
lib=("$out"/r128norm*.o)

run () {
  echo "== aarch64: $*"
  QEMU_LD_PREFIX=/usr/aarch64-linux-gnu "$@"
}

failed=0
# the kernels against C (R128NORM_NO_AVX2: the portable set; on AArch64
# the x86 probe finds nothing anyway)
$CC "${flags[@]}" -o "$out/test_simd_kernels" tests/lib/test_simd_kernels.c "${lib[@]}" -lm
run env R128NORM_NO_AVX2=1 qemu-aarch64 "$out/test_simd_kernels" || failed=1
# the library's plain C tests, whatever kernels it picks there
for t in test_lib test_edge test_bands test_steady test_half; do
  $CC "${flags[@]}" -o "$out/$t" "tests/lib/$t.c" "${lib[@]}" -lm -lpthread
  run qemu-aarch64 "$out/$t" > "$out/$t.log" 2>&1 || { failed=1; cat "$out/$t.log"; }
  tail -n 1 "$out/$t.log"
done
exit $failed
