/* The steady stream's short path of r128norm_process() (interleaved,
 * mono or planar F32, F64 or S16, in place, every channel seen, running
 * or frozen statistics per channel) against the general path on the same
 * buffers: output, running values and reports bit for bit, buffer after
 * buffer.  The general path is reached with an output description of
 * the same memory (out != NULL and not the input's array), which the
 * short path leaves alone. */
#include "test_common.h"

#define MAX_CH 8

typedef struct {
  const char *name;
  unsigned channels;
  r128norm_stats_mode stats;
  r128norm_variant variant;
  double warmup, time_constant, strength;
  int gamma_beta, max_gain;
  int planar;           /* each channel's samples in a block of their own */
} steady_case;

static int
same_double (double a, double b)
{
  return memcmp (&a, &b, sizeof a) == 0;
}

static void
describe (void *data, size_t size, unsigned channels, size_t frames,
    int planar, r128norm_channel *ch)
{
  unsigned c;

  for (c = 0; c < channels; c++) {
    ch[c].data = (uint8_t *) data + c * size * (planar ? frames : 1);
    ch[c].step = (ptrdiff_t) (planar ? size : channels * size);
    ch[c].stride = (ptrdiff_t) (frames * channels * size);
    ch[c].width = frames;
    ch[c].height = 1;
  }
}

static void
run_case (const steady_case *k, r128norm_format format, rng_t *rng)
{
  r128norm_state *fast = r128norm_create (k->channels, NULL);
  r128norm_state *general = r128norm_create (k->channels, NULL);
  const int s16 = format == R128NORM_FORMAT_S16;
  const int f64 = format == R128NORM_FORMAT_F64;
  const size_t size = s16 ? sizeof (int16_t) : f64 ? sizeof (double)
      : sizeof (float);
  const char *fname = s16 ? "S16" : f64 ? "F64" : "F32";
  r128norm_config cfg;
  double gamma[MAX_CH], beta[MAX_CH], max_gain[MAX_CH];
  /* F64 samples: 8 bytes of these two floats' room each */
  float a[8192], b[8192];
  unsigned c, buf;
  int err;

  CHECK (r128norm_set_formats (fast, format, format) == R128NORM_SUCCESS
      && r128norm_set_formats (general, format, format) == R128NORM_SUCCESS,
      "%s %s: formats", k->name, fname);

  r128norm_config_init (&cfg);
  cfg.stats = k->stats;
  cfg.variant = k->variant;
  cfg.warmup = k->warmup;
  cfg.time_constant = k->time_constant;
  cfg.strength = k->strength;
  for (c = 0; c < k->channels; c++) {
    gamma[c] = 0.5 + c;
    beta[c] = 0.25 * c - 0.5;
    max_gain[c] = 3.0;
  }
  if (k->gamma_beta) {
    cfg.gamma = gamma;
    cfg.n_gamma = k->channels;
    cfg.beta = beta;
    cfg.n_beta = k->channels;
  }
  if (k->max_gain) {
    cfg.max_gain = max_gain;
    cfg.n_max_gain = k->channels;
  }
  /* (the defaults again: no change) */
  err = r128norm_set_config (fast, &cfg);
  CHECK (err == R128NORM_SUCCESS || err == R128NORM_ERROR_NO_CHANGE,
      "%s: %d", k->name, err);
  err = r128norm_set_config (general, &cfg);
  CHECK (err == R128NORM_SUCCESS || err == R128NORM_ERROR_NO_CHANGE,
      "%s: %d", k->name, err);

  for (buf = 0; buf < 40; buf++) {
    /* 10 ms at 48 kHz mostly; now and then another length (a new layout
     * for the short path to learn), and a few frames (below min-samples:
     * auto becomes layer) */
    size_t frames = buf % 13 == 7 ? 441 : buf % 17 == 9 ? 5 : 480;
    size_t n = frames * k->channels, i;
    r128norm_channel in_fast[MAX_CH], in_general[MAX_CH], out_general[MAX_CH];
    double offset = rng_normal (rng) * 0.1, scale = 0.05 + rng_uniform (rng);
    double mf[MAX_CH], vf[MAX_CH], mg[MAX_CH], vg[MAX_CH];
    int ef, eg;

    for (i = 0; i < n; i++) {
      double v = offset + scale * rng_normal (rng) + 0.01 * (i % k->channels);
      if (s16) {
        /* now and then beyond the range: the clamp at -32768 and 32767 */
        double x = floor (v * 32768.0 * (buf % 9 == 2 ? 4.0 : 1.0));
        int16_t y = (int16_t) (x < -32768.0 ? -32768.0 : x > 32767.0
            ? 32767.0 : x);
        memcpy ((uint8_t *) a + i * size, &y, size);
      } else if (f64) {
        memcpy ((uint8_t *) a + i * size, &v, size);
      } else {
        a[i] = (float) v;
      }
    }
    if (!s16) {
      double special[3] = { NAN, -INFINITY, NAN };
      float fspecial[3] = { NAN, -INFINITY, NAN };
      size_t at[3];
      int which[3] = { buf % 5 == 3, buf % 7 == 4, buf % 11 == 6 }, j;
      at[0] = (size_t) rng_int (rng, 0, (long) n - 1);
      at[1] = (size_t) rng_int (rng, 0, (long) n - 1);
      at[2] = 0;                /* channel 0's first sample: no shift there */
      for (j = 0; j < 3; j++)
        if (which[j])
          memcpy ((uint8_t *) a + at[j] * size, f64 ? (void *) &special[j]
              : (void *) &fspecial[j], size);
    }
    memcpy (b, a, n * size);
    describe (a, size, k->channels, frames, k->planar, in_fast);
    describe (b, size, k->channels, frames, k->planar, in_general);
    memcpy (out_general, in_general, sizeof out_general);

    ef = r128norm_process (fast, in_fast, NULL, frames / 48000.0);
    eg = r128norm_process (general, in_general, out_general,
        frames / 48000.0);
    CHECK (ef == R128NORM_SUCCESS && eg == R128NORM_SUCCESS,
        "%s %s buffer %u: %d %d", k->name, fname, buf, ef, eg);
    for (i = 0; i < n; i++)
      if (memcmp ((uint8_t *) a + i * size, (uint8_t *) b + i * size,
              size) != 0) {
        CHECK (0, "%s %s buffer %u sample %zu differs", k->name, fname, buf,
            i);
        break;
      }
    ef = r128norm_get_running (fast, mf, vf, k->channels);
    eg = r128norm_get_running (general, mg, vg, k->channels);
    CHECK (ef == eg, "%s %s buffer %u: %d %d", k->name, fname, buf, ef, eg);
    for (c = 0; c < k->channels; c++) {
      const r128norm_report *rf = r128norm_get_report (fast, c);
      const r128norm_report *rg = r128norm_get_report (general, c);
      CHECK (same_double (mf[c], mg[c]) && same_double (vf[c], vg[c]),
          "%s %s buffer %u channel %u: running %.17g %.17g against %.17g "
          "%.17g", k->name, fname, buf, c, mf[c], vf[c], mg[c], vg[c]);
      CHECK (rf->samples == rg->samples && rf->non_finite == rg->non_finite
          && same_double (rf->mean, rg->mean) && same_double (rf->var, rg->var)
          && same_double (rf->norm_mean, rg->norm_mean)
          && same_double (rf->norm_var, rg->norm_var),
          "%s %s buffer %u channel %u: report %llu %llu %.17g %.17g %.17g "
          "%.17g against %llu %llu %.17g %.17g %.17g %.17g", k->name, fname,
          buf, c,
          (unsigned long long) rf->samples,
          (unsigned long long) rf->non_finite, rf->mean, rf->var,
          rf->norm_mean, rf->norm_var, (unsigned long long) rg->samples,
          (unsigned long long) rg->non_finite, rg->mean, rg->var,
          rg->norm_mean, rg->norm_var);
    }
  }
  r128norm_destroy (&fast);
  r128norm_destroy (&general);
}

int
main (void)
{
  static const steady_case cases[] = {
    /* mono F32: one channel's contiguous rows, period 1 */
    {"mono running", 1, R128NORM_STATS_RUNNING, R128NORM_VARIANT_PER_CHANNEL,
        0.0, 0.0, 1.0, 0, 0, 0},
    {"mono frozen gamma", 1, R128NORM_STATS_FROZEN,
        R128NORM_VARIANT_PER_CHANNEL, 0.0, 0.0, 1.0, 1, 0, 0},
    {"stereo running", 2, R128NORM_STATS_RUNNING, R128NORM_VARIANT_PER_CHANNEL,
        0.0, 0.0, 1.0, 0, 0, 0},
    {"stereo running auto", 2, R128NORM_STATS_RUNNING,
        R128NORM_VARIANT_AUTO, 0.0, 0.0, 1.0, 0, 0, 0},
    {"stereo frozen", 2, R128NORM_STATS_FROZEN, R128NORM_VARIANT_PER_CHANNEL,
        0.0, 0.0, 1.0, 0, 0, 0},
    {"stereo warmup, time constant", 2, R128NORM_STATS_RUNNING,
        R128NORM_VARIANT_PER_CHANNEL, 0.2, 0.05, 0.8, 0, 0, 0},
    {"5.1 gamma, beta, max-gain", 6, R128NORM_STATS_RUNNING,
        R128NORM_VARIANT_PER_CHANNEL, 0.0, 0.0, 1.0, 1, 1, 0},
    {"4 channels frozen gamma", 4, R128NORM_STATS_FROZEN,
        R128NORM_VARIANT_AUTO, 0.1, 0.0, 0.5, 1, 0, 0},
    {"7.1 running", 8, R128NORM_STATS_RUNNING, R128NORM_VARIANT_PER_CHANNEL,
        0.0, 1.0, 1.0, 1, 1, 0},
    /* planar: F32, F64 and S16 planes through the packed kernels, one at a
     * time */
    {"stereo planar running", 2, R128NORM_STATS_RUNNING,
        R128NORM_VARIANT_PER_CHANNEL, 0.0, 0.0, 1.0, 0, 0, 1},
    {"stereo planar frozen", 2, R128NORM_STATS_FROZEN,
        R128NORM_VARIANT_PER_CHANNEL, 0.0, 0.0, 1.0, 1, 0, 1},
    {"5.1 planar warmup, gamma, beta, max-gain", 6, R128NORM_STATS_RUNNING,
        R128NORM_VARIANT_PER_CHANNEL, 0.2, 0.05, 0.8, 1, 1, 1},
  };
  rng_t rng = { 20261126 };
  unsigned i;

  printf ("seed %llu\n", (unsigned long long) rng.s);
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    run_case (&cases[i], R128NORM_FORMAT_F32, &rng);
    run_case (&cases[i], R128NORM_FORMAT_F64, &rng);
    run_case (&cases[i], R128NORM_FORMAT_S16, &rng);
  }
  return test_finish ("lib-steady");
}
