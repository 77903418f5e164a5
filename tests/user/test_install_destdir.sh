#!/usr/bin/env bash
# `meson install --destdir` puts the plugin in GStreamer's plugin directory
# (where gst-inspect-1.0 finds it without GST_PLUGIN_PATH), the library with
# its header and pkg-config file under the prefix; the plugin needs no
# libr128norm.so; a program builds and runs against the installed library.
#   test_install_destdir.sh BUILD_DIR
set -u
build="$1"
. "$(dirname "$0")/install_common.sh"
dest="$(mktemp -d)"
trap 'rm -rf "$dest"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

meson install -C "$build" --no-rebuild --quiet --destdir "$dest" >/dev/null \
  || fail "meson install --destdir failed"
paths="$(installed_paths)"
echo "$paths" | sed 's/^/expected: /'
for p in $paths; do
  [ -e "$dest$p" ] || fail "$p was not installed"
done
plugin="$dest$plugindir/libgstr128norm.so"
[ -f "$plugin" ] || fail "the plugin is not in GStreamer's plugin directory $plugindir"
for want in '/include/r128norm.h' '/pkgconfig/r128norm.pc' '/libr128norm.so.0' '/bin/r128norm-plot'; do
  echo "$paths" | grep -q -- "$want\$" || fail "nothing installed as *$want"
done
if readelf -d "$plugin" | grep NEEDED | grep -q libr128norm; then
  fail "the plugin needs libr128norm.so at run time"
fi
echo "ok: files in place, the plugin carries its own copy of the library"

# GStreamer finds it as it finds system plugins: through the system path
# (pointed at the staged directory), with no GST_PLUGIN_PATH.
out="$(env -u GST_PLUGIN_PATH_1_0 -u GST_PLUGIN_PATH \
  GST_PLUGIN_SYSTEM_PATH_1_0="$dest$plugindir" GST_REGISTRY_1_0="$dest/registry.bin" \
  gst-inspect-1.0 r128norm 2>&1)" || { echo "$out" | tail -5; fail "gst-inspect-1.0 does not find r128norm"; }
echo "$out" | grep -q "Filename *$plugin" || fail "gst-inspect-1.0 loaded another copy: $(echo "$out" | grep Filename)"
echo "ok: gst-inspect-1.0 r128norm finds $plugin"

# pkg-config and the library: the README's program, built and run.
pc="$(dirname "$(echo "$paths" | grep '/r128norm.pc$')")"
libdir="$(dirname "$(echo "$paths" | grep '/libr128norm.so.0$')")"
flags="$(PKG_CONFIG_PATH="$dest$pc" PKG_CONFIG_SYSROOT_DIR="$dest" pkg-config --cflags --libs r128norm)" \
  || fail "pkg-config does not know r128norm"
echo "pkg-config --cflags --libs r128norm: $flags"
write_app "$dest/app.c"
cc -o "$dest/app" "$dest/app.c" $flags || fail "the program does not build"
LD_LIBRARY_PATH="$dest$libdir" "$dest/app" >"$dest/app.out" || fail "the program failed"
cat "$dest/app.out"
app_ok "$dest/app.out" || fail "unexpected output"
echo "PASS: install --destdir"
