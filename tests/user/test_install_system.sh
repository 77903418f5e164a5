#!/usr/bin/env bash
# A real `meson install` into the system, as a user does it: then
# gst-inspect-1.0 r128norm works with no GST_PLUGIN_PATH, pkg-config knows
# r128norm, a program links against it; `ninja uninstall` then leaves
# nothing behind (no file, no directory the install made).  Cleans up
# after itself on failure too.  Skips (77) unless root, and never touches an
# r128norm that was installed before.
#   test_install_system.sh BUILD_DIR
set -u
build="$1"
. "$(dirname "$0")/install_common.sh"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: installing into the system needs root"; exit 77; }
paths="$(installed_paths)"
for p in $paths; do
  [ -e "$p" ] && { echo "SKIP: $p exists already (an installed r128norm?); not touching it"; exit 77; }
done
# Directories the install will create, to check that uninstall removes them.
newdirs=""
for p in $paths; do
  d="$(dirname "$p")"
  while [ ! -d "$d" ]; do newdirs="$newdirs $d"; d="$(dirname "$d")"; done
done
newdirs="$(echo $newdirs | tr ' ' '\n' | sort -u | tr '\n' ' ')"
newdirs="${newdirs% }"
tmp="$(mktemp -d)"
installed=0
cleanup() {
  if [ "$installed" = 1 ]; then
    ninja -C "$build" uninstall >/dev/null 2>&1
    command -v ldconfig >/dev/null && ldconfig
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

installed=1
meson install -C "$build" --no-rebuild --quiet >/dev/null || fail "meson install failed"
# As with any library installed under /usr/local: refresh the loader cache.
ldconfig
echo "installed:"; echo "$paths" | sed 's/^/  /'

out="$(env -u GST_PLUGIN_PATH_1_0 -u GST_PLUGIN_PATH -u GST_PLUGIN_SYSTEM_PATH_1_0 \
  -u GST_PLUGIN_SYSTEM_PATH GST_REGISTRY_1_0="$tmp/registry.bin" gst-inspect-1.0 r128norm 2>&1)" \
  || { echo "$out" | tail -5; fail "gst-inspect-1.0 r128norm does not find the installed plugin"; }
found="$(echo "$out" | sed -n 's/^ *Filename *//p')"
# /lib may be a link to /usr/lib: compare the files, not the spellings
[ "$(readlink -f "$found")" = "$(readlink -f "$plugindir/libgstr128norm.so")" ] \
  || fail "gst-inspect-1.0 loaded $found, not the installed plugin"
echo "ok: gst-inspect-1.0 r128norm (no GST_PLUGIN_PATH) finds $plugindir/libgstr128norm.so"

version="$(env -u PKG_CONFIG_PATH pkg-config --modversion r128norm)" || fail "pkg-config does not find r128norm"
echo "ok: pkg-config --modversion r128norm: $version"
write_app "$tmp/app.c"
cc -o "$tmp/app" "$tmp/app.c" $(env -u PKG_CONFIG_PATH pkg-config --cflags --libs r128norm) \
  || fail "the program does not build against the installed library"
env -u LD_LIBRARY_PATH "$tmp/app" >"$tmp/app.out" || fail "the program does not run"
cat "$tmp/app.out"
app_ok "$tmp/app.out" || fail "unexpected output"

ninja -C "$build" uninstall >/dev/null || fail "ninja uninstall failed"
installed=0
ldconfig
left=""
for p in $paths $newdirs; do [ -e "$p" ] && left="$left $p"; done
[ -z "$left" ] || fail "uninstall left:$left"
if ldconfig -p | grep -q libr128norm; then fail "the loader cache still lists libr128norm"; fi
echo "PASS: install, use, uninstall; nothing left ($(echo $paths | wc -w) files${newdirs:+; directories it made: $newdirs})"
