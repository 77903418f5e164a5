# Sourced by the install tests: what `meson install` of build dir $build
# puts where, from `meson introspect --installed`.
installed_paths() {
  meson introspect --installed "$build" | /usr/bin/python3 -c \
    'import json, sys; print("\n".join(sorted(json.load(sys.stdin).values())))'
}
plugindir="$(pkg-config --variable=pluginsdir gstreamer-1.0)"
# A minimal program against the installed library: the README's example.
write_app() {
  cat >"$1" <<'C'
#include <stdio.h>
#include <r128norm.h>
int main (void)
{
  static int16_t pcm[480 * 2];
  double mean[2], var[2];
  r128norm_channel ch[2];
  r128norm_config cfg;
  r128norm_state *st = r128norm_create (2, NULL);
  for (int i = 0; i < 480 * 2; i++)
    pcm[i] = (int16_t) (1000 + ((i / 2) % 48 < 24 ? 300 : -300));
  r128norm_set_formats (st, R128NORM_FORMAT_S16, R128NORM_FORMAT_S16);
  r128norm_config_init (&cfg);
  r128norm_set_config (st, &cfg);
  for (int c = 0; c < 2; c++)
    ch[c] = (r128norm_channel) { pcm + c, 2 * sizeof *pcm, 0, 480, 1 };
  if (r128norm_process (st, ch, NULL, 0.010) != 0)
    return 1;
  r128norm_get_running (st, mean, var, 2);
  printf ("running mean %.6f variance %.8f\n", mean[0], var[0]);
  r128norm_destroy (&st);
  return 0;
}
C
}
# mean 1000/32768, variance (300/32768)^2
app_ok() { grep -q '^running mean 0.030518 variance 0.00008382$' "$1"; }
