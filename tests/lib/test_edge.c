/* Edge cases of the core library, each asserted by value (SPEC section 4):
 * non-finite input, constant channels, epsilon 0, empty and one-sample
 * buffers, extreme magnitudes, exact integer statistics, warmup and
 * time_constant by value, frozen statistics that must follow every change
 * of settings, every error path (with "nothing changed"), a channel's
 * neighbours left alone while another thread writes them, and planes that
 * overlap walked as the C path walks them. */
#include <pthread.h>
#include <stdatomic.h>

#include "test_ref.h"

static int kern;  /* index into test_kernels, for every state made here */

static r128norm_state *
make_state (unsigned channels, int in, int out, const r128norm_config *cfg)
{
  int err;
  r128norm_state *st = r128norm_create (channels, &err);

  CHECK (st != NULL && err == R128NORM_SUCCESS, "create(%u) -> %d", channels, err);
  if (!st)
    exit (1);
  CHECK (r128norm_set_kernels (st, test_kernels[kern]) == R128NORM_SUCCESS,
      "set_kernels");
  err = r128norm_set_formats (st, in, out);
  CHECK (err == R128NORM_SUCCESS, "set_formats(%s, %s) -> %d", tfmts[in].name,
      tfmts[out].name, err);
  if (cfg) {
    err = r128norm_set_config (st, cfg);
    CHECK (err == R128NORM_SUCCESS || err == R128NORM_ERROR_NO_CHANGE,
        "set_config -> %d", err);
  }
  return st;
}

static r128norm_channel
contiguous (void *data, int fmt, size_t n)
{
  r128norm_channel ch = { data, (ptrdiff_t) tfmts[fmt].size, 0, n, 1 };
  return ch;
}

/* ---- non-finite input ----------------------------------------------- */

/* NaN/+Inf/-Inf never enter the statistics, come out as
 * mean + s * (beta - mean) (beta at strength 1), and are counted. */
static void
test_non_finite (void)
{
  static const int fmts[3] = { R128NORM_FORMAT_F16, R128NORM_FORMAT_F32,
    R128NORM_FORMAT_F64 };
  const size_t n = 64;
  int f, mode, o;

  for (f = 0; f < 3; f++)
    for (o = 0; o < 2; o++)
      for (mode = 0; mode < 3; mode++) {
        const int in_fmt = fmts[f];
        const int out_fmt = o ? R128NORM_FORMAT_F32 : in_fmt;
        const double strength = o ? 0.75 : 1.0;
        double beta = 0.25, gamma = 2.0, xs[64], sum = 0.0, sq = 0.0, mean, var;
        double rm, rv;
        size_t i, finite = 0;
        uint8_t in[64 * 8], out[64 * 8];
        r128norm_config cfg;
        r128norm_state *st;
        const r128norm_report *rep;
        r128norm_channel ic = contiguous (in, in_fmt, n);
        r128norm_channel oc = contiguous (out, out_fmt, n);

        r128norm_config_init (&cfg);
        cfg.stats = (r128norm_stats_mode) mode;
        cfg.gamma = &gamma;
        cfg.n_gamma = 1;
        cfg.beta = &beta;
        cfg.n_beta = 1;
        cfg.strength = strength;
        cfg.diagnostics = 1;
        st = make_state (1, in_fmt, out_fmt, &cfg);
        for (i = 0; i < n; i++) {
          double v = 3.0 + 0.5 * sin ((double) i);
          if (i == 0 || i % 7 == 3)
            v = NAN;            /* also the very first sample */
          else if (i % 11 == 5)
            v = INFINITY;
          else if (i % 13 == 6)
            v = -INFINITY;
          store_sample (in_fmt, in + i * tfmts[in_fmt].size, v);
          xs[i] = load_sample (in_fmt, in + i * tfmts[in_fmt].size);
          if (isfinite (xs[i])) {
            sum += xs[i];
            finite++;
          }
        }
        mean = sum / (double) finite;
        for (i = 0; i < n; i++)
          if (isfinite (xs[i]))
            sq += (xs[i] - mean) * (xs[i] - mean);
        var = sq / (double) finite;

        CHECK (r128norm_process (st, &ic, &oc, 0.01) == R128NORM_SUCCESS, "process");
        rep = r128norm_get_report (st, 0);
        CHECK (rep->non_finite == n - finite, "%s mode %d: non_finite %llu, "
            "expected %zu", tfmts[in_fmt].name, mode,
            (unsigned long long) rep->non_finite, n - finite);
        CHECK (rep->samples == finite, "samples %llu, expected %zu",
            (unsigned long long) rep->samples, finite);
        CHECK (stat_close (rep->mean, mean) && stat_close (rep->var, var),
            "%s: stats %.17g %.17g, finite reference %.17g %.17g",
            tfmts[in_fmt].name, rep->mean, rep->var, mean, var);
        r128norm_get_running (st, &rm, &rv, 1);
        CHECK (stat_close (rm, mean) && stat_close (rv, var),
            "%s: running %.17g %.17g, finite reference %.17g %.17g",
            tfmts[in_fmt].name, rm, rv, mean, var);
        for (i = 0; i < n; i++) {
          double got = load_sample (out_fmt, out + i * tfmts[out_fmt].size), e;
          double want = isfinite (xs[i])
              ? xs[i] + strength * (gamma * (xs[i] - mean) / sqrt (var + 1e-5)
                  + beta - xs[i])
              : mean + strength * (beta - mean);
          CHECK (output_matches (out_fmt, got, want, &e), "%s->%s mode %d "
              "sample %zu (x=%g): got %.9g, expected %.9g", tfmts[in_fmt].name,
              tfmts[out_fmt].name, mode, i, xs[i], got, want);
        }
        /* at strength 1 a non-finite sample is exactly beta */
        if (strength == 1.0)
          CHECK (load_sample (out_fmt, out) == encode_reference (out_fmt, beta),
              "NaN output %.9g, beta %.9g", load_sample (out_fmt, out), beta);

        /* second buffer: the one-pass path (running/frozen) */
        CHECK (r128norm_process (st, &ic, &oc, 0.01) == R128NORM_SUCCESS, "process");
        rep = r128norm_get_report (st, 0);
        CHECK (rep->non_finite == n - finite, "second buffer: non_finite %llu",
            (unsigned long long) rep->non_finite);
        for (i = 0; i < n; i++) {
          double got = load_sample (out_fmt, out + i * tfmts[out_fmt].size);
          CHECK (!isnan (got), "NaN in the output");
          if (!isfinite (xs[i]))
            CHECK (fabs (got - (mean + strength * (beta - mean))) < 1e-3,
                "non-finite sample output %.9g, expected %.9g", got,
                mean + strength * (beta - mean));
        }
        r128norm_destroy (&st);
      }

  /* a channel with no finite sample at all: counted, no statistics */
  {
    float buf[8];
    double rm, rv;
    int i;
    r128norm_state *st = make_state (1, R128NORM_FORMAT_F32, R128NORM_FORMAT_F32, NULL);
    r128norm_channel ch = contiguous (buf, R128NORM_FORMAT_F32, 8);
    for (i = 0; i < 8; i++)
      buf[i] = i & 1 ? NAN : INFINITY;
    CHECK (r128norm_process (st, &ch, NULL, 0.0) == R128NORM_SUCCESS, "process");
    CHECK (r128norm_get_report (st, 0)->non_finite == 8, "all non-finite counted");
    CHECK (r128norm_get_running (st, &rm, &rv, 1) == R128NORM_ERROR_NO_STATISTICS
        && rm == 0.0 && rv == 1.0, "no statistics from non-finite samples: "
        "%g %g", rm, rv);
    for (i = 0; i < 8; i++)
      CHECK (buf[i] == 0.0f, "output %g, expected beta 0", buf[i]);
    r128norm_destroy (&st);
  }
}

/* ---- constant channels and epsilon 0 -------------------------------- */

static void
test_constant (void)
{
  int fmt, eps0, mode, set;

  for (fmt = 0; fmt < R128NORM_N_FORMATS; fmt++)
    for (eps0 = 0; eps0 < 2; eps0++)
      for (mode = 0; mode < 3; mode++)
        for (set = 0; set < 2; set++) {
        const tfmt *f = &tfmts[fmt];
        double beta[2] = { 0.125, -0.25 }, gamma[2] = { 3.0, 0.5 };
        double values[2], stored[2], rm[2], rv[2];
        uint8_t buf[2 * 480 * 8];
        r128norm_channel ch[2];
        r128norm_config cfg;
        r128norm_state *st;
        int c, b;
        size_t i;

        /* one constant channel near the top of the range, one at the
         * bottom; interleaved.  Set 1, float formats: values whose
         * squares round, near 0, where the library sums x without a
         * shift (10 ms of 48 kHz: shift_or_zero() in r128norm.c); their
         * variance must be 0 all the same */
        if (set == 1 && !f->is_float)
          continue;
        r128norm_config_init (&cfg);
        cfg.stats = (r128norm_stats_mode) mode;
        cfg.epsilon = eps0 ? 0.0 : 1e-5;
        cfg.gamma = gamma;
        cfg.n_gamma = 2;
        cfg.beta = beta;
        cfg.n_beta = 2;
        st = make_state (2, fmt, fmt, &cfg);
        values[0] = set ? 0.3 : f->is_float ? 1234.0 : f->max - 3.0;
        values[1] = set ? -0.7 : f->is_float ? -0.5 : f->min;
        for (c = 0; c < 2; c++) {
          ch[c].data = buf + (size_t) c * f->size;
          ch[c].step = (ptrdiff_t) (2 * f->size);
          ch[c].stride = 0;
          ch[c].width = set ? 480 : 100;
          ch[c].height = 1;
        }
        for (b = 0; b < 3; b++) {
          for (c = 0; c < 2; c++)
            for (i = 0; i < ch[c].width; i++)
              store_sample (fmt, sample_ptr (&ch[c], 0, i), values[c]);
          for (c = 0; c < 2; c++)       /* as stored: F16 rounds 0.3 */
            stored[c] = load_sample (fmt, sample_ptr (&ch[c], 0, 0));
          CHECK (r128norm_process (st, ch, NULL, 0.02) == R128NORM_SUCCESS, "process");
          r128norm_get_running (st, rm, rv, 2);
          for (c = 0; c < 2; c++) {
            double want = encode_reference (fmt, beta[c]);
            CHECK (rv[c] == 0.0 && stat_close (rm[c], to_normalized (fmt, stored[c])),
                "%s: constant channel running %.17g %.17g", f->name, rm[c], rv[c]);
            for (i = 0; i < ch[c].width; i++) {
              double got = load_sample (fmt, sample_ptr (&ch[c], 0, i));
              CHECK (f->is_float ? fabs (got - want) <= 1e-6 : fabs (got - want) <= 1.0,
                  "%s eps %g mode %d buffer %d channel %d: constant -> %.9g, "
                  "expected beta %.9g", f->name, cfg.epsilon, mode, b, c, got, want);
            }
          }
        }
        r128norm_destroy (&st);
      }

  /* frozen, seeded variance 0, epsilon 0, samples away from the mean:
   * the scale is 0 and everything is beta (no Inf, no NaN) */
  {
    double m = 0.5, v = 0.0, beta = 0.75;
    double buf[5] = { 0.0, 0.5, 1.0, -1e300, 1e300 };
    r128norm_config cfg;
    r128norm_state *st;
    r128norm_channel ch = contiguous (buf, R128NORM_FORMAT_F64, 5);
    int i;
    r128norm_config_init (&cfg);
    cfg.stats = R128NORM_STATS_FROZEN;
    cfg.epsilon = 0.0;
    cfg.beta = &beta;
    cfg.n_beta = 1;
    cfg.diagnostics = 1;
    st = make_state (1, R128NORM_FORMAT_F64, R128NORM_FORMAT_F64, &cfg);
    CHECK (r128norm_set_running (st, &m, &v, 1) == R128NORM_SUCCESS, "set_running");
    CHECK (r128norm_process (st, &ch, NULL, 0.0) == R128NORM_SUCCESS, "process");
    for (i = 0; i < 5; i++)
      CHECK (buf[i] == beta, "eps 0, var 0: sample %d -> %g, expected beta", i, buf[i]);
    r128norm_destroy (&st);
  }
}

/* ---- empty and one-sample buffers ------------------------------------ */

static void
test_sizes (void)
{
  int fmt, mode;

  for (fmt = 0; fmt < R128NORM_N_FORMATS; fmt++)
    for (mode = 0; mode < 3; mode++) {
      const tfmt *f = &tfmts[fmt];
      uint8_t one[8], two[2][16];
      double rm[2], rv[2], v1, v2, seed_m[2] = { 0.25, 0.5 }, seed_v[2] = { 2.0, 3.0 };
      r128norm_channel ch[2];
      r128norm_config cfg;
      r128norm_state *st;
      double beta = -0.125;

      r128norm_config_init (&cfg);
      cfg.stats = (r128norm_stats_mode) mode;
      cfg.beta = &beta;
      cfg.n_beta = 1;
      cfg.diagnostics = 1;
      st = make_state (2, fmt, fmt, &cfg);

      /* zero width, zero height, NULL data: nothing happens */
      memset (ch, 0, sizeof ch);
      ch[0].width = 0;
      ch[0].height = 5;
      ch[1].width = 5;
      ch[1].height = 0;
      CHECK (r128norm_process (st, ch, NULL, 0.5) == R128NORM_SUCCESS, "empty buffer");
      CHECK (r128norm_process (st, ch, ch, 0.5) == R128NORM_SUCCESS, "empty buffer out");
      CHECK (!r128norm_has_running (st), "an empty buffer made statistics");
      CHECK (r128norm_get_report (st, 0)->samples == 0
          && r128norm_get_report (st, 1)->samples == 0, "empty: samples");

      /* one sample per channel: variance 0, output beta; running = x */
      v1 = f->is_float ? 7.0 : f->max;
      v2 = f->is_float ? -3.0 : f->min + 1.0;
      store_sample (fmt, one, v1);
      ch[0] = contiguous (one, fmt, 1);
      ch[1] = ch[0];
      ch[1].width = 0;          /* the second channel empty this time */
      ch[1].data = NULL;
      CHECK (r128norm_process (st, ch, NULL, 0.5) == R128NORM_SUCCESS, "one sample");
      CHECK (fabs (load_sample (fmt, one) - encode_reference (fmt, beta))
          <= (f->is_float ? 1e-6 : 1.0), "%s: one sample -> %g, expected %g",
          f->name, load_sample (fmt, one), encode_reference (fmt, beta));
      r128norm_get_running (st, rm, rv, 2);
      CHECK (stat_close (rm[0], to_normalized (fmt, v1)) && rv[0] == 0.0,
          "%s: one-sample running %.17g %.17g", f->name, rm[0], rv[0]);
      CHECK (rm[1] == 0.0 && rv[1] == 1.0, "empty channel got running values "
          "%g %g", rm[1], rv[1]);
      CHECK (r128norm_get_report (st, 0)->samples == 1, "one sample counted");

      /* seeded, then one sample each, interleaved out of place */
      CHECK (r128norm_set_running (st, seed_m, seed_v, 2) == R128NORM_SUCCESS, "seed");
      store_sample (fmt, two[0], v1);
      store_sample (fmt, two[0] + f->size, v2);
      ch[0].data = two[0];
      ch[0].step = (ptrdiff_t) (2 * f->size);
      ch[0].width = 1;
      ch[1] = ch[0];
      ch[1].data = two[0] + f->size;
      {
        r128norm_channel oc[2] = { ch[0], ch[1] };
        oc[0].data = two[1];
        oc[1].data = two[1] + f->size;
        CHECK (r128norm_process (st, ch, oc, 0.5) == R128NORM_SUCCESS, "one sample");
        if (mode != R128NORM_STATS_FRAME) {
          /* normalized with the seeded values */
          double x = to_normalized (fmt, v1), e;
          double want = (x - seed_m[0]) / sqrt (seed_v[0] + 1e-5) + beta;
          CHECK (output_matches (fmt, load_sample (fmt, two[1]), want, &e),
              "%s: seeded one sample -> %g, expected %g", f->name,
              load_sample (fmt, two[1]), want);
        }
      }
      r128norm_destroy (&st);
    }
}

/* ---- extreme magnitudes: nothing becomes NaN -------------------------- */

static void
check_no_nan (r128norm_state *st, unsigned channels, const char *what)
{
  double rm[4], rv[4];
  unsigned c;
  int b;

  r128norm_get_running (st, rm, rv, channels);
  for (c = 0; c < channels; c++) {
    const r128norm_report *r = r128norm_get_report (st, c);
    CHECK (!isnan (rm[c]) && !isnan (rv[c]) && rv[c] >= 0.0,
        "%s: running %g %g", what, rm[c], rv[c]);
    CHECK (isfinite (r->mean) && isfinite (r->var) && isfinite (r->norm_mean)
        && isfinite (r->norm_var) && isfinite (r->out_mean)
        && isfinite (r->out_var) && r->var >= 0.0 && r->out_var >= 0.0,
        "%s: report %g %g %g %g %g %g", what, r->mean, r->var, r->norm_mean,
        r->norm_var, r->out_mean, r->out_var);
    for (b = 0; b < R128NORM_HISTOGRAM_BINS; b++)
      CHECK (r->histogram[b] <= 1000000, "%s: histogram", what);
  }
}

static void
test_extremes (void)
{
  int mode, eps0, o;

  /* F32: +-1e30 (their squares overflow float but not double) */
  for (mode = 0; mode < 3; mode++) {
    float buf[64], out[64];
    double xs[64], sum = 0.0, sq = 0.0, mean, var, rm, rv;
    r128norm_config cfg;
    r128norm_state *st;
    r128norm_channel ch = contiguous (buf, R128NORM_FORMAT_F32, 64);
    r128norm_channel oc = contiguous (out, R128NORM_FORMAT_F32, 64);
    int i, b;
    r128norm_config_init (&cfg);
    cfg.stats = (r128norm_stats_mode) mode;
    cfg.diagnostics = 1;
    st = make_state (1, R128NORM_FORMAT_F32, R128NORM_FORMAT_F32, &cfg);
    for (b = 0; b < 3; b++) {
      sum = sq = 0.0;
      for (i = 0; i < 64; i++) {
        buf[i] = (float) ((i % 3 - 1) * 1e30 * (1.0 + 0.01 * b));
        xs[i] = buf[i];
        sum += xs[i];
      }
      mean = sum / 64.0;
      for (i = 0; i < 64; i++)
        sq += (xs[i] - mean) * (xs[i] - mean);
      var = sq / 64.0;
      CHECK (r128norm_process (st, &ch, &oc, 0.1) == R128NORM_SUCCESS, "process");
      CHECK (stat_close (r128norm_get_report (st, 0)->mean, mean)
          && stat_close (r128norm_get_report (st, 0)->var, var),
          "1e30: stats %g %g, reference %g %g", r128norm_get_report (st, 0)->mean,
          r128norm_get_report (st, 0)->var, mean, var);
      for (i = 0; i < 64; i++)
        CHECK (isfinite (out[i]) && fabs (out[i]) < 10.0, "1e30: output %g", out[i]);
      check_no_nan (st, 1, "f32 1e30");
    }
    r128norm_get_running (st, &rm, &rv, 1);
    (void) rm;
    (void) rv;
    r128norm_destroy (&st);
  }

  /* F64: 1e300, -1e300, DBL_MAX, -DBL_MAX, including constant buffers of
   * DBL_MAX followed by -DBL_MAX with epsilon 0, in every mode, to F64,
   * F32 and F16 */
  for (o = 0; o < 3; o++)
    for (eps0 = 0; eps0 < 2; eps0++)
      for (mode = 0; mode < 3; mode++) {
        static const int outs[3] = { R128NORM_FORMAT_F64, R128NORM_FORMAT_F32,
          R128NORM_FORMAT_F16 };
        const int out_fmt = outs[o];
        double buf[32];
        uint8_t out[32 * 8];
        r128norm_config cfg;
        r128norm_state *st;
        r128norm_channel ch = contiguous (buf, R128NORM_FORMAT_F64, 32);
        r128norm_channel oc = contiguous (out, out_fmt, 32);
        int i, b;
        static const double patterns[6][4] = {
          { 1e300, -1e300, 1e300, -1e300 },
          { DBL_MAX, DBL_MAX, DBL_MAX, DBL_MAX },
          { -DBL_MAX, -DBL_MAX, -DBL_MAX, -DBL_MAX },
          { DBL_MAX, -DBL_MAX, 0.0, 1.0 },
          { 1e300, 1e300, 1e300, 1e300 },
          { -DBL_MAX, 1e300, DBL_MAX, -1e300 },
        };
        r128norm_config_init (&cfg);
        cfg.stats = (r128norm_stats_mode) mode;
        cfg.epsilon = eps0 ? 0.0 : 1e-5;
        cfg.diagnostics = 1;
        cfg.clip_sigma = eps0 ? 0.0 : 3.0;
        st = make_state (1, R128NORM_FORMAT_F64, out_fmt, &cfg);
        for (b = 0; b < 12; b++) {
          char what[64];
          for (i = 0; i < 32; i++)
            buf[i] = patterns[b % 6][i % 4];
          snprintf (what, sizeof what, "f64 extremes mode %d eps0 %d pattern %d",
              mode, eps0, b % 6);
          CHECK (r128norm_process (st, &ch, &oc, 0.1) == R128NORM_SUCCESS, "process");
          for (i = 0; i < 32; i++) {
            double v = load_sample (out_fmt, out + i * tfmts[out_fmt].size);
            CHECK (!isnan (v) && fabs (v) <= tfmts[out_fmt].max, "%s: output %g",
                what, v);
          }
          check_no_nan (st, 1, what);
        }
        r128norm_destroy (&st);
      }

  /* running values of a constant DBL_MAX buffer (mean clamped to 1e300,
   * variance 0), epsilon 0: then -DBL_MAX is infinitely far from the mean
   * while the scale is 0; the histogram must still get a bin */
  for (mode = 1; mode < 3; mode++) {
    double buf[8];
    r128norm_config cfg;
    r128norm_state *st;
    r128norm_channel ch = contiguous (buf, R128NORM_FORMAT_F64, 8);
    const r128norm_report *r;
    uint64_t total = 0;
    int i, b;
    r128norm_config_init (&cfg);
    cfg.stats = (r128norm_stats_mode) mode;
    cfg.momentum = 0.0;
    cfg.epsilon = 0.0;
    cfg.diagnostics = 1;
    st = make_state (1, R128NORM_FORMAT_F64, R128NORM_FORMAT_F64, &cfg);
    for (i = 0; i < 8; i++)
      buf[i] = DBL_MAX;
    CHECK (r128norm_process (st, &ch, NULL, 0.1) == R128NORM_SUCCESS, "process");
    for (i = 0; i < 8; i++)
      buf[i] = i & 1 ? -DBL_MAX : DBL_MAX;
    CHECK (r128norm_process (st, &ch, NULL, 0.1) == R128NORM_SUCCESS, "process");
    r = r128norm_get_report (st, 0);
    for (b = 0; b < R128NORM_HISTOGRAM_BINS; b++)
      total += r->histogram[b];
    CHECK (total == 8, "DBL_MAX after a constant: histogram holds %llu of 8",
        (unsigned long long) total);
    for (i = 0; i < 8; i++)
      CHECK (!isnan (buf[i]), "output NaN");
    check_no_nan (st, 1, "DBL_MAX after a constant");
    r128norm_destroy (&st);
  }

  /* full-scale integers: exact statistics, outputs within 1 LSB */
  {
    static const int fmts[5] = { R128NORM_FORMAT_U8, R128NORM_FORMAT_U8_CENTERED,
      R128NORM_FORMAT_S16, R128NORM_FORMAT_U16, R128NORM_FORMAT_S32 };
    int f;
    for (f = 0; f < 5; f++)
      for (o = 0; o < 3; o++)
        for (mode = 0; mode < 3; mode++) {
          const int fmt = fmts[f];
          const int outs[3] = { fmt, R128NORM_FORMAT_F32, R128NORM_FORMAT_F16 };
          const int out_fmt = outs[o];
          const tfmt *fi = &tfmts[fmt];
          uint8_t buf[40 * 4], out[40 * 4];
          double xs[40], ys[40], rm, rv;
          size_t n = 40, i;
          r128norm_config cfg;
          r128norm_state *st;
          r128norm_channel ch = contiguous (buf, fmt, n);
          r128norm_channel oc = contiguous (out, out_fmt, n);
          ref_t ref;
          ref_result res;
          double *xp[1] = { xs }, *yp[1] = { ys };
          int b;

          r128norm_config_init (&cfg);
          cfg.stats = (r128norm_stats_mode) mode;
          cfg.diagnostics = 1;
          st = make_state (1, fmt, out_fmt, &cfg);
          ref_init (&ref, 1, &cfg);
          for (b = 0; b < 3; b++) {
            for (i = 0; i < n; i++) {
              /* mostly the extremes; the last buffer all at the maximum */
              double v = b == 2 ? fi->max : (i % 3 == 0 ? fi->min
                  : i % 3 == 1 ? fi->max : fi->zero);
              store_sample (fmt, buf + i * fi->size, v);
              xs[i] = to_normalized (fmt, v);
            }
            CHECK (r128norm_process (st, &ch, &oc, 0.0) == R128NORM_SUCCESS, "process");
            ref_process (&ref, xp, &n, 0.0, yp, &res);
            for (i = 0; i < n; i++) {
              double got = load_sample (out_fmt, out + i * tfmts[out_fmt].size), e;
              CHECK (output_matches (out_fmt, got, ys[i], &e), "%s->%s full "
                  "scale mode %d buffer %d: %g, expected %g", fi->name,
                  tfmts[out_fmt].name, mode, b, got, ys[i]);
            }
            r128norm_get_running (st, &rm, &rv, 1);
            CHECK (stat_close (rm, ref.rm[0]) && stat_close (rv, ref.rv[0]),
                "%s full scale running %.17g %.17g, reference %.17g %.17g",
                fi->name, rm, rv, ref.rm[0], ref.rv[0]);
            check_no_nan (st, 1, fi->name);
          }
          r128norm_destroy (&st);
        }
  }
}

/* ---- integer statistics are exact -------------------------------------- */

/* mean = sum / n / full, var = (n * sumsq - sum^2) / n^2 / full^2, with
 * the numerators exact in 128-bit integers and one final rounding. */
static void
exact_moments (const int64_t *v, size_t n, double zero, double full,
    double *mean, double *var)
{
  __int128 sum = 0, sumsq = 0, num;
  size_t i;

  for (i = 0; i < n; i++) {
    __int128 d = v[i] - (int64_t) zero;
    sum += d;
    sumsq += d * d;
  }
  num = (__int128) n * sumsq - sum * sum;
  *mean = (double) ((long double) sum / ((long double) n * full));
  *var = (double) ((long double) num / ((long double) n * (long double) n
          * full * full));
}

static void
test_exact_integers (void)
{
  static const int fmts[5] = { R128NORM_FORMAT_U8, R128NORM_FORMAT_U8_CENTERED,
    R128NORM_FORMAT_S16, R128NORM_FORMAT_U16, R128NORM_FORMAT_S32 };
  rng_t rng = { 99 };
  int f;

  for (f = 0; f < 5; f++) {
    const int fmt = fmts[f];
    const tfmt *fi = &tfmts[fmt];
    const size_t n = 100003;    /* odd, above the contiguous kernels' blocks */
    uint8_t *buf = malloc (n * fi->size);
    int64_t *v = malloc (n * sizeof *v);
    double mean, var, rm, rv;
    r128norm_state *st;
    r128norm_channel ch = contiguous (buf, fmt, n);
    size_t i;

    /* values at and near both ends of the range: the sums are large */
    for (i = 0; i < n; i++) {
      int64_t x = rng_int (&rng, 0, 1) ? (int64_t) fi->max - rng_int (&rng, 0, 3)
          : (int64_t) fi->min + rng_int (&rng, 0, 3);
      if (i % 5 == 0)
        x = (int64_t) fi->max;
      v[i] = x;
      store_sample (fmt, buf + i * fi->size, (double) x);
    }
    exact_moments (v, n, fi->zero, fi->full, &mean, &var);
    st = make_state (1, fmt, fmt, NULL);
    CHECK (r128norm_process (st, &ch, NULL, 0.0) == R128NORM_SUCCESS, "process");
    r128norm_get_running (st, &rm, &rv, 1);
    /* exact up to the few final roundings to double (< 10 ULP) */
    CHECK (fabs (rm - mean) <= 1e-15 * fabs (mean) && fabs (rv - var) <= 1e-15 * var,
        "%s: running mean %.17g var %.17g, exact %.17g %.17g", fi->name, rm, rv,
        mean, var);
    r128norm_destroy (&st);
    free (buf);
    free (v);
  }
}

/* Rows longer than the C kernels' 2^24-sample chunks and far beyond the
 * 65536 samples after which a 32-bit sum of 8-bit squares can wrap: one
 * data set per format, both kernel sets. */
static void
test_exact_large (void)
{
  static const int fmts[3] = { R128NORM_FORMAT_U8, R128NORM_FORMAT_U16,
    R128NORM_FORMAT_S32 };
  const size_t n = ((size_t) 1 << 24) + 5;
  rng_t rng = { 4242 };
  int f, k;

  for (f = 0; f < 3; f++) {
    const int fmt = fmts[f];
    const tfmt *fi = &tfmts[fmt];
    uint8_t *buf = malloc (n * fi->size);
    int64_t *v = malloc (n * sizeof *v);
    double mean, var, rm, rv;
    r128norm_channel ch = contiguous (buf, fmt, n);
    size_t i;

    for (i = 0; i < n; i++) {
      /* mostly near the top of the range: the largest squares */
      uint64_t r = rng_u64 (&rng);
      int64_t x = (r & 7) ? (int64_t) fi->max - (int64_t) ((r >> 8) & 15)
          : (int64_t) fi->min + (int64_t) ((r >> 8) & 15);
      v[i] = x;
      store_sample (fmt, buf + i * fi->size, (double) x);
    }
    exact_moments (v, n, fi->zero, fi->full, &mean, &var);
    for (k = 0; k < TEST_N_KERNELS; k++) {
      r128norm_state *st;
      kern = k;
      st = make_state (1, fmt, fmt, NULL);
      /* the first buffer: summed completely before anything is written */
      CHECK (r128norm_process (st, &ch, &ch, 0.0) == R128NORM_SUCCESS, "process");
      r128norm_get_running (st, &rm, &rv, 1);
      CHECK (fabs (rm - mean) <= 1e-15 * fabs (mean) && fabs (rv - var) <= 1e-15 * var,
          "%s, %zu samples, kernels %s: running mean %.17g var %.17g, exact "
          "%.17g %.17g", fi->name, n, test_kernel_names[k], rm, rv, mean, var);
      r128norm_destroy (&st);
      /* the output overwrote the input: restore it */
      for (i = 0; i < n; i++)
        store_sample (fmt, buf + i * fi->size, (double) v[i]);
    }
    free (buf);
    free (v);
  }
  kern = 0;
}

/* ---- warmup, time_constant and momentum by value ---------------------- */

static void
test_sequences (void)
{
  /* warmup 1 s, buffers of 0.25 s: strength 0, 0.25, 0.5, 0.75, 1, 1;
   * reset restarts it.  Frozen seeded statistics make y known. */
  double m = 1.0, v = 4.0, rm, rv;
  double buf[4];
  r128norm_config cfg;
  r128norm_state *st;
  r128norm_channel ch = contiguous (buf, R128NORM_FORMAT_F64, 4);
  static const double expect_s[8] = { 0, 0.25, 0.5, 0.75, 1, 1, 0, 0.25 };
  int b, i;

  r128norm_config_init (&cfg);
  cfg.stats = R128NORM_STATS_FROZEN;
  cfg.warmup = 1.0;
  cfg.strength = 0.8;
  cfg.epsilon = 0.0;
  st = make_state (1, R128NORM_FORMAT_F64, R128NORM_FORMAT_F64, &cfg);
  CHECK (r128norm_set_running (st, &m, &v, 1) == R128NORM_SUCCESS, "seed");
  for (b = 0; b < 8; b++) {
    double s = 0.8 * expect_s[b];
    if (b == 6) {
      r128norm_reset (st);
      CHECK (r128norm_set_running (st, &m, &v, 1) == R128NORM_SUCCESS, "seed");
    }
    for (i = 0; i < 4; i++)
      buf[i] = 3.0 * i - 2.0;
    CHECK (r128norm_process (st, &ch, NULL, 0.25) == R128NORM_SUCCESS, "process");
    for (i = 0; i < 4; i++) {
      double x = 3.0 * i - 2.0, y = (x - 1.0) / 2.0;
      CHECK (fabs (buf[i] - (x + s * (y - x))) <= 1e-12, "warmup buffer %d: "
          "%.17g, expected strength %g: %.17g", b, buf[i], s, x + s * (y - x));
    }
    r128norm_get_running (st, &rm, &rv, 1);
    CHECK (rm == 1.0 && rv == 4.0, "frozen changed the running values: %g %g", rm, rv);
  }
  r128norm_destroy (&st);

  /* time_constant: momentum exp(-duration / tc) per buffer; duration 0
   * falls back to the configured momentum */
  {
    static const double durations[4] = { 0.01, 0.2, 0.0, 0.05 };
    double em = 0.0, ev = 0.0;
    r128norm_config_init (&cfg);
    cfg.stats = R128NORM_STATS_RUNNING;
    cfg.time_constant = 0.1;
    cfg.momentum = 0.3;
    st = make_state (1, R128NORM_FORMAT_F64, R128NORM_FORMAT_F64, &cfg);
    for (b = 0; b < 5; b++) {
      double d = durations[b % 4], bm, bv, mo;
      for (i = 0; i < 4; i++)
        buf[i] = (i & 1 ? 1.0 : -1.0) * (b + 1) + b;
      bm = b;
      bv = (b + 1.0) * (b + 1.0);
      mo = d > 0.0 ? exp (-d / 0.1) : 0.3;
      CHECK (r128norm_process (st, &ch, NULL, d) == R128NORM_SUCCESS, "process");
      if (b == 0) {
        em = bm;
        ev = bv;
      } else {
        em = mo * em + (1.0 - mo) * bm;
        ev = mo * ev + (1.0 - mo) * bv;
      }
      r128norm_get_running (st, &rm, &rv, 1);
      CHECK (stat_close (rm, em) && stat_close (rv, ev), "time_constant "
          "buffer %d: %.17g %.17g, expected %.17g %.17g", b, rm, rv, em, ev);
    }
    r128norm_destroy (&st);
  }

  /* clip_sigma by value: running mean 0, var 1, k 2: the samples 10 and
   * -10 enter as 2 and -2; the output is not clipped */
  {
    double z = 0.0, one = 1.0, data[4] = { 10.0, -10.0, 1.0, 0.5 };
    r128norm_config_init (&cfg);
    cfg.stats = R128NORM_STATS_RUNNING;
    cfg.clip_sigma = 2.0;
    cfg.momentum = 0.0;         /* running = this buffer's statistics */
    cfg.epsilon = 0.0;
    st = make_state (1, R128NORM_FORMAT_F64, R128NORM_FORMAT_F64, &cfg);
    CHECK (r128norm_set_running (st, &z, &one, 1) == R128NORM_SUCCESS, "seed");
    memcpy (buf, data, sizeof buf);
    CHECK (r128norm_process (st, &ch, NULL, 0.0) == R128NORM_SUCCESS, "process");
    for (i = 0; i < 4; i++)
      CHECK (buf[i] == data[i], "clip: output %g, expected %g (unclipped)",
          buf[i], data[i]);
    r128norm_get_running (st, &rm, &rv, 1);
    {
      double cm = (2.0 - 2.0 + 1.0 + 0.5) / 4.0;
      double cv = ((2 - cm) * (2 - cm) + (-2 - cm) * (-2 - cm) + (1 - cm) * (1 - cm)
          + (0.5 - cm) * (0.5 - cm)) / 4.0;
      CHECK (stat_close (rm, cm) && stat_close (rv, cv), "clip: running %.17g "
          "%.17g, expected %.17g %.17g", rm, rv, cm, cv);
    }
    r128norm_destroy (&st);
  }

  /* clip_sigma's sigma is sqrt(var + epsilon): after a constant start
   * (running var 0) the bounds are +- k sqrt(eps), not pinned to the mean */
  {
    double z = 0.0, zero_var = 0.0, data[2] = { 10.0, -10.0 };
    r128norm_channel ch2 = { buf, sizeof (double), 0, 2, 1 };
    r128norm_config_init (&cfg);
    cfg.stats = R128NORM_STATS_RUNNING;
    cfg.clip_sigma = 2.0;
    cfg.momentum = 0.0;
    cfg.epsilon = 0.01;         /* sigma 0.1: bounds +- 0.2 */
    st = make_state (1, R128NORM_FORMAT_F64, R128NORM_FORMAT_F64, &cfg);
    CHECK (r128norm_set_running (st, &z, &zero_var, 1) == R128NORM_SUCCESS,
        "seed");
    memcpy (buf, data, sizeof data);
    CHECK (r128norm_process (st, &ch2, NULL, 0.0) == R128NORM_SUCCESS,
        "process");
    r128norm_get_running (st, &rm, &rv, 1);
    CHECK (stat_close (rm, 0.0) && stat_close (rv, 0.04), "clip after a "
        "constant start: running %.17g %.17g, expected 0 and 0.04", rm, rv);
    r128norm_destroy (&st);
  }
}

/* ---- diagnostics by value ------------------------------------------------ */

/* Frozen statistics reuse the last buffer's normalization (the affine
 * map and the packed rows' lane parameters are kept while their inputs
 * are the same): every change of gamma, beta, epsilon, strength, the
 * running values or the formats must still show in the next buffer.
 * Interleaved stereo F32 and S16 and RGBx-like U8 (the packed rows), by
 * value. */
static double
frozen_expect (int fmt, double x, double m, double v, double eps, double g,
    double b)
{
  double scale = fmt == R128NORM_FORMAT_S16 ? 32768.0
      : fmt == R128NORM_FORMAT_U8 ? 255.0 : 1.0;
  double y = g * (x / scale - m) / sqrt (v + eps) + b;
  if (fmt == R128NORM_FORMAT_F32)
    return y;
  y = nearbyint (y * scale);
  return fmt == R128NORM_FORMAT_S16 ? fmin (fmax (y, -32768), 32767)
      : fmin (fmax (y, 0), 255);
}

static void
test_frozen_changes (void)
{
  static const int fmts[3] = { R128NORM_FORMAT_F32, R128NORM_FORMAT_S16,
    R128NORM_FORMAT_U8 };
  int f;

  for (f = 0; f < 3; f++) {
    const int fmt = fmts[f];
    const unsigned step = fmt == R128NORM_FORMAT_U8 ? 4 : 2;
    const unsigned C = fmt == R128NORM_FORMAT_U8 ? 3 : 2;
    const size_t frames = 100, size = tfmts[fmt].size;
    uint8_t buf[100 * 4 * 4], orig[100 * 4 * 4];
    double m[3] = { 0.1, -0.05, 0.3 }, v[3] = { 0.04, 0.09, 0.01 };
    double g = 1.5, b = 0.2, eps = 1e-5;
    r128norm_channel ch[3];
    r128norm_config cfg;
    r128norm_state *st;
    size_t i;
    unsigned c;
    int round;

    for (i = 0; i < frames * step; i++) {
      if (fmt == R128NORM_FORMAT_F32) {
        float x = (float) (0.3 * sin (0.37 * (double) i));
        memcpy (orig + 4 * i, &x, 4);
      } else if (fmt == R128NORM_FORMAT_S16) {
        int16_t x = (int16_t) (9000.0 * sin (0.37 * (double) i));
        memcpy (orig + 2 * i, &x, 2);
      } else {
        orig[i] = (uint8_t) (128 + 100 * sin (0.37 * (double) i));
      }
    }
    for (c = 0; c < C; c++) {
      ch[c].data = buf + c * size;
      ch[c].step = (ptrdiff_t) (step * size);
      ch[c].stride = 0;
      ch[c].width = frames;
      ch[c].height = 1;
    }
    r128norm_config_init (&cfg);
    cfg.stats = R128NORM_STATS_FROZEN;
    cfg.gamma = &g;
    cfg.n_gamma = 1;
    cfg.beta = &b;
    cfg.n_beta = 1;
    st = make_state (C, fmt, fmt, &cfg);
    CHECK (r128norm_set_running (st, m, v, C) == R128NORM_SUCCESS, "seed");
    for (round = 0; round < 7; round++) {
      double strength = 1.0;
      /* each round changes one thing (round 1 changes nothing) */
      if (round == 2) {
        g = -0.7;
      } else if (round == 3) {
        b = 0.45;
      } else if (round == 4) {
        eps = 0.02;
      } else if (round == 5) {
        m[1] = 0.2;
        v[0] = 0.25;
        CHECK (r128norm_set_running (st, m, v, C) == R128NORM_SUCCESS,
            "reseed");
      } else if (round == 6) {
        strength = 0.5;
      }
      cfg.epsilon = eps;
      cfg.strength = strength;
      if (round >= 2 && round != 5)
        CHECK (r128norm_set_config (st, &cfg) == R128NORM_SUCCESS,
            "set_config round %d", round);
      memcpy (buf, orig, frames * step * size);
      CHECK (r128norm_process (st, ch, NULL, 0.01) == R128NORM_SUCCESS,
          "process");
      for (i = 0; i < frames * step; i++) {
        double x, y, e;
        c = (unsigned) (i % step);
        if (fmt == R128NORM_FORMAT_F32) {
          float xf, yf;
          memcpy (&xf, orig + 4 * i, 4);
          memcpy (&yf, buf + 4 * i, 4);
          x = xf;
          y = yf;
        } else if (fmt == R128NORM_FORMAT_S16) {
          int16_t xs, ys;
          memcpy (&xs, orig + 2 * i, 2);
          memcpy (&ys, buf + 2 * i, 2);
          x = xs;
          y = ys;
        } else {
          x = orig[i];
          y = buf[i];
        }
        if (c >= C) {
          CHECK (y == x, "%s round %d: untouched byte %zu changed",
              tfmts[fmt].name, round, i);
          continue;
        }
        e = frozen_expect (fmt, x, m[c], v[c], eps, g, b);
        if (strength != 1.0) {
          /* x + s (y - x) in normalized units */
          double scale = fmt == R128NORM_FORMAT_S16 ? 32768.0
              : fmt == R128NORM_FORMAT_U8 ? 255.0 : 1.0;
          double yn = g * (x / scale - m[c]) / sqrt (v[c] + eps) + b;
          e = (x / scale + strength * (yn - x / scale)) * scale;
          if (fmt == R128NORM_FORMAT_S16)
            e = fmin (fmax (nearbyint (e), -32768), 32767);
          else if (fmt == R128NORM_FORMAT_U8)
            e = fmin (fmax (nearbyint (e), 0), 255);
        }
        CHECK (fabs (y - e) <= (fmt == R128NORM_FORMAT_F32 ? 1e-5 * fmax (1.0,
                    fabs (e)) : 1.0), "%s round %d sample %zu: %.9g, "
            "expected %.9g", tfmts[fmt].name, round, i, y, e);
      }
    }
    r128norm_destroy (&st);
  }
}

static void
test_diagnostics (void)
{
  /* frozen at mean 0, variance 1, epsilon 0: z is the sample itself */
  {
    static const double xs[12] = { -5.0, -4.0, -3.9, -0.1, 0.0, 0.4, 0.5,
      3.99, 4.0, 100.0, NAN, -INFINITY };
    static const int bins[12] = { 0, 0, 0, 7, 8, 8, 9, 15, 15, 15, -1, -1 };
    uint64_t want[R128NORM_HISTOGRAM_BINS] = { 0 };
    double buf[12], m = 0.0, v = 1.0;
    r128norm_config cfg;
    r128norm_state *st;
    r128norm_channel ch = contiguous (buf, R128NORM_FORMAT_F64, 12);
    const r128norm_report *r;
    int i;
    r128norm_config_init (&cfg);
    cfg.stats = R128NORM_STATS_FROZEN;
    cfg.epsilon = 0.0;
    cfg.diagnostics = 1;
    st = make_state (1, R128NORM_FORMAT_F64, R128NORM_FORMAT_F64, &cfg);
    CHECK (r128norm_set_running (st, &m, &v, 1) == R128NORM_SUCCESS, "seed");
    memcpy (buf, xs, sizeof buf);
    CHECK (r128norm_process (st, &ch, NULL, 0.0) == R128NORM_SUCCESS, "process");
    r = r128norm_get_report (st, 0);
    for (i = 0; i < 12; i++)
      if (bins[i] >= 0)
        want[bins[i]]++;
    for (i = 0; i < R128NORM_HISTOGRAM_BINS; i++)
      CHECK (r->histogram[i] == want[i], "histogram bin %d: %llu, expected %llu",
          i, (unsigned long long) r->histogram[i], (unsigned long long) want[i]);
    CHECK (r->samples == 10 && r->non_finite == 2 && r->saturated == 0,
        "counters %llu %llu %llu", (unsigned long long) r->samples,
        (unsigned long long) r->non_finite, (unsigned long long) r->saturated);
    CHECK (r->norm_mean == 0.0 && r->norm_var == 1.0, "norm %g %g", r->norm_mean,
        r->norm_var);
    {
      /* y = x: the output moments are the input's (finite samples) */
      double sum = 0.0, sq = 0.0, mean;
      for (i = 0; i < 10; i++)
        sum += xs[i];
      mean = sum / 10.0;
      for (i = 0; i < 10; i++)
        sq += (xs[i] - mean) * (xs[i] - mean);
      CHECK (stat_close (r->mean, mean) && stat_close (r->var, sq / 10.0),
          "input moments %.17g %.17g, expected %.17g %.17g", r->mean, r->var,
          mean, sq / 10.0);
      CHECK (stat_close (r->out_mean, mean) && stat_close (r->out_var, sq / 10.0),
          "output moments %.17g %.17g, expected %.17g %.17g", r->out_mean,
          r->out_var, mean, sq / 10.0);
    }
    r128norm_destroy (&st);
  }

  /* U8: every value once, frozen at mean 0.5 variance 0.01, beta 0.5:
   * out = (x - 0.5) / 0.1 + 0.5 saturates below 114.75 and above 140.25 */
  {
    uint8_t buf[256], out[256];
    double m = 0.5, v = 0.01, beta = 0.5, sum = 0.0, sq = 0.0, mean;
    r128norm_config cfg;
    r128norm_state *st;
    r128norm_channel ch = contiguous (buf, R128NORM_FORMAT_U8, 256);
    r128norm_channel oc = contiguous (out, R128NORM_FORMAT_U8, 256);
    const r128norm_report *r;
    int i;
    r128norm_config_init (&cfg);
    cfg.stats = R128NORM_STATS_FROZEN;
    cfg.epsilon = 0.0;
    cfg.beta = &beta;
    cfg.n_beta = 1;
    cfg.diagnostics = 1;
    st = make_state (1, R128NORM_FORMAT_U8, R128NORM_FORMAT_U8, &cfg);
    CHECK (r128norm_set_running (st, &m, &v, 1) == R128NORM_SUCCESS, "seed");
    for (i = 0; i < 256; i++)
      buf[i] = (uint8_t) i;
    CHECK (r128norm_process (st, &ch, &oc, 0.0) == R128NORM_SUCCESS, "process");
    r = r128norm_get_report (st, 0);
    CHECK (r->saturated == 230, "saturated %llu, expected 115 + 115",
        (unsigned long long) r->saturated);
    for (i = 0; i < 256; i++) {
      double want = fmin (fmax (nearbyint (((i / 255.0 - 0.5) / 0.1 + 0.5) * 255.0),
              0.0), 255.0);
      CHECK (fabs (out[i] - want) <= 1.0, "u8 %d -> %d, expected %g", i, out[i], want);
      sum += out[i] / 255.0;
    }
    mean = sum / 256.0;
    for (i = 0; i < 256; i++)
      sq += (out[i] / 255.0 - mean) * (out[i] / 255.0 - mean);
    /* every unsaturated output here is an exact tie (10 i - 1147.5): the
     * kernels round half up, the diagnostics (recomputed in double) to
     * even, so the moments agree to one LSB, as the outputs do */
    CHECK (fabs (r->out_mean - mean) <= 1.0 / 255.0
        && fabs (r->out_var - sq / 256.0) <= 2.0 / 255.0 * sqrt (sq / 256.0) + 1e-4,
        "u8 output moments %.17g %.17g, expected %.17g %.17g", r->out_mean,
        r->out_var, mean, sq / 256.0);
    r128norm_destroy (&st);
  }
}

/* ---- errors --------------------------------------------------------------- */

static void
test_errors (void)
{
  r128norm_config good, bad;
  r128norm_state *st;
  double g3[3] = { 1, 2, 3 }, g2[2] = { 1, 2 }, nanv = NAN, m[6], v[6];
  float data[6] = { 1, 2, 3, 4, 5, 6 }, copy[6];
  r128norm_channel ch[6], och[6];
  int err, i, j, c;
  const char *seen[16];

  /* create */
  CHECK (r128norm_create (0, &err) == NULL && err == R128NORM_ERROR_INVALID_CHANNELS,
      "create(0) -> %d", err);
  CHECK (r128norm_create (R128NORM_MAX_CHANNELS + 1, &err) == NULL
      && err == R128NORM_ERROR_INVALID_CHANNELS, "create(max+1) -> %d", err);
  st = r128norm_create (R128NORM_MAX_CHANNELS, &err);
  CHECK (st && err == R128NORM_SUCCESS, "create(max) -> %d", err);
  r128norm_destroy (&st);
  r128norm_destroy (&st);       /* NULL is fine */
  r128norm_destroy (NULL);

  st = make_state (6, R128NORM_FORMAT_F32, R128NORM_FORMAT_F32, NULL);
  CHECK (r128norm_get_channels (st) == 6, "get_channels");
  r128norm_config_init (&good);
  good.variant = R128NORM_VARIANT_GROUP;
  good.groups = 3;
  good.momentum = 0.5;
  good.gamma = g3;
  good.n_gamma = 1;
  CHECK (r128norm_set_config (st, &good) == R128NORM_SUCCESS, "good config");
  CHECK (r128norm_set_config (st, &good) == R128NORM_ERROR_NO_CHANGE, "identical config");

#define EXPECT_CONFIG_ERROR(field_change, code)                             \
  do {                                                                      \
    bad = good;                                                             \
    field_change;                                                           \
    err = r128norm_set_config (st, &bad);                                   \
    CHECK (err == (code), "%s -> %d (%s), expected %d", #field_change, err, \
        r128norm_strerror (err), code);                                     \
    CHECK (r128norm_set_config (st, &good) == R128NORM_ERROR_NO_CHANGE,     \
        "%s changed the configuration", #field_change);                     \
  } while (0)

  EXPECT_CONFIG_ERROR (bad.groups = 4, R128NORM_ERROR_INVALID_GROUPS);
  EXPECT_CONFIG_ERROR (bad.groups = 5, R128NORM_ERROR_INVALID_GROUPS);
  EXPECT_CONFIG_ERROR (bad.groups = 0, R128NORM_ERROR_INVALID_GROUPS);
  EXPECT_CONFIG_ERROR (bad.groups = 12, R128NORM_ERROR_INVALID_GROUPS);
  EXPECT_CONFIG_ERROR ((bad.gamma = g2, bad.n_gamma = 2), R128NORM_ERROR_INVALID_CHANNELS);
  EXPECT_CONFIG_ERROR ((bad.beta = g3, bad.n_beta = 3), R128NORM_ERROR_INVALID_CHANNELS);
  EXPECT_CONFIG_ERROR ((bad.beta = g3, bad.n_beta = 7), R128NORM_ERROR_INVALID_CHANNELS);
  EXPECT_CONFIG_ERROR ((bad.gamma = NULL, bad.n_gamma = 6), R128NORM_ERROR_INVALID_CHANNELS);
  EXPECT_CONFIG_ERROR ((bad.gamma = &nanv, bad.n_gamma = 1), R128NORM_ERROR_INVALID_CHANNELS);
  EXPECT_CONFIG_ERROR (bad.momentum = -0.01, R128NORM_ERROR_INVALID_ARGUMENT);
  EXPECT_CONFIG_ERROR (bad.momentum = 1.01, R128NORM_ERROR_INVALID_ARGUMENT);
  EXPECT_CONFIG_ERROR (bad.momentum = NAN, R128NORM_ERROR_INVALID_ARGUMENT);
  EXPECT_CONFIG_ERROR (bad.epsilon = -1e-9, R128NORM_ERROR_INVALID_ARGUMENT);
  EXPECT_CONFIG_ERROR (bad.epsilon = 1.5, R128NORM_ERROR_INVALID_ARGUMENT);
  EXPECT_CONFIG_ERROR (bad.epsilon = NAN, R128NORM_ERROR_INVALID_ARGUMENT);
  EXPECT_CONFIG_ERROR (bad.strength = -0.5, R128NORM_ERROR_INVALID_ARGUMENT);
  EXPECT_CONFIG_ERROR (bad.strength = 1.0000001, R128NORM_ERROR_INVALID_ARGUMENT);
  EXPECT_CONFIG_ERROR (bad.strength = NAN, R128NORM_ERROR_INVALID_ARGUMENT);
  EXPECT_CONFIG_ERROR (bad.time_constant = -1.0, R128NORM_ERROR_INVALID_ARGUMENT);
  EXPECT_CONFIG_ERROR (bad.time_constant = NAN, R128NORM_ERROR_INVALID_ARGUMENT);
  EXPECT_CONFIG_ERROR (bad.warmup = -1.0, R128NORM_ERROR_INVALID_ARGUMENT);
  EXPECT_CONFIG_ERROR (bad.warmup = NAN, R128NORM_ERROR_INVALID_ARGUMENT);
  EXPECT_CONFIG_ERROR (bad.clip_sigma = -1.0, R128NORM_ERROR_INVALID_ARGUMENT);
  EXPECT_CONFIG_ERROR (bad.clip_sigma = NAN, R128NORM_ERROR_INVALID_ARGUMENT);
  EXPECT_CONFIG_ERROR (bad.variant = (r128norm_variant) 17, R128NORM_ERROR_INVALID_ARGUMENT);
  EXPECT_CONFIG_ERROR (bad.stats = (r128norm_stats_mode) 17, R128NORM_ERROR_INVALID_ARGUMENT);
  CHECK (r128norm_set_config (st, NULL) == R128NORM_ERROR_INVALID_ARGUMENT, "NULL config");
  CHECK (r128norm_set_config (NULL, &good) == R128NORM_ERROR_INVALID_ARGUMENT, "NULL state");
  /* groups need not divide when the variant is not GROUP */
  bad = good;
  bad.variant = R128NORM_VARIANT_LAYER;
  bad.groups = 4;
  CHECK (r128norm_set_config (st, &bad) == R128NORM_SUCCESS, "groups ignored by layer");
  CHECK (r128norm_set_config (st, &good) == R128NORM_SUCCESS, "back to good");

  /* formats: exactly (in, in), (in, F32), (in, F16) are supported */
  for (i = 0; i < R128NORM_N_FORMATS; i++)
    for (j = 0; j < R128NORM_N_FORMATS; j++) {
      int ok = j == i || j == R128NORM_FORMAT_F32 || j == R128NORM_FORMAT_F16;
      err = r128norm_set_formats (st, i, j);
      CHECK (err == (ok ? R128NORM_SUCCESS : R128NORM_ERROR_INVALID_FORMAT),
          "set_formats(%s, %s) -> %d", tfmts[i].name, tfmts[j].name, err);
    }
  CHECK (r128norm_set_formats (st, R128NORM_N_FORMATS, R128NORM_FORMAT_F32)
      == R128NORM_ERROR_INVALID_FORMAT, "unknown input format");
  CHECK (r128norm_set_formats (st, R128NORM_FORMAT_F32, (r128norm_format) -1)
      == R128NORM_ERROR_INVALID_FORMAT, "unknown output format");
  CHECK (r128norm_set_formats (st, R128NORM_FORMAT_U8, R128NORM_FORMAT_F32)
      == R128NORM_SUCCESS, "U8 -> F32");
  CHECK (r128norm_set_formats (st, R128NORM_FORMAT_U8, R128NORM_FORMAT_S16)
      == R128NORM_ERROR_INVALID_FORMAT, "U8 -> S16");
  for (c = 0; c < 6; c++) {
    ch[c] = contiguous (&data[c], R128NORM_FORMAT_F32, 1);
    och[c] = ch[c];
  }
  /* the failed call kept U8 -> F32: in place is refused */
  CHECK (r128norm_process (st, ch, NULL, 0.0) == R128NORM_ERROR_INVALID_FORMAT,
      "in place with different formats");
  CHECK (r128norm_set_formats (st, R128NORM_FORMAT_F32, R128NORM_FORMAT_F32)
      == R128NORM_SUCCESS, "F32");
  CHECK (r128norm_set_kernels (st, (r128norm_kernels) 9) == R128NORM_ERROR_INVALID_ARGUMENT,
      "unknown kernels");
  CHECK (r128norm_set_kernels (st, test_kernels[kern]) == R128NORM_SUCCESS, "kernels");
  CHECK (r128norm_get_kernel_name (st) && r128norm_get_kernel_name (st)[0],
      "kernel name");

  /* layout errors change nothing: no output, no statistics, no warmup time */
  memcpy (copy, data, sizeof data);
#define EXPECT_LAYOUT_ERROR(change, use_out)                                \
  do {                                                                      \
    r128norm_channel ich_[6], och_[6];                                      \
    memcpy (ich_, ch, sizeof ich_);                                         \
    memcpy (och_, och, sizeof och_);                                        \
    { r128norm_channel *in_ = ich_, *out_ = och_; (void) in_; (void) out_; change; } \
    err = r128norm_process (st, ich_, (use_out) ? och_ : NULL, 1.0);        \
    CHECK (err == R128NORM_ERROR_INVALID_LAYOUT, "%s -> %d", #change, err); \
    CHECK (memcmp (data, copy, sizeof data) == 0, "%s wrote output", #change); \
    CHECK (!r128norm_has_running (st), "%s made statistics", #change);      \
  } while (0)
  EXPECT_LAYOUT_ERROR (in_[2].data = NULL, 0);
  EXPECT_LAYOUT_ERROR (out_[5].data = NULL, 1);
  EXPECT_LAYOUT_ERROR (out_[1].width = 2, 1);
  EXPECT_LAYOUT_ERROR (out_[0].height = 2, 1);
  EXPECT_LAYOUT_ERROR (out_[3].width = 0, 1);
  EXPECT_LAYOUT_ERROR ((in_[4].width = SIZE_MAX / 2, in_[4].height = 4), 0);
  CHECK (r128norm_process (st, NULL, NULL, 0.0) == R128NORM_ERROR_INVALID_ARGUMENT,
      "NULL channels");
  CHECK (r128norm_process (NULL, ch, NULL, 0.0) == R128NORM_ERROR_INVALID_ARGUMENT,
      "NULL state");

  /* running values */
  CHECK (r128norm_get_running (st, m, v, 6) == R128NORM_ERROR_NO_STATISTICS,
      "no statistics yet");
  for (c = 0; c < 6; c++)
    CHECK (m[c] == 0.0 && v[c] == 1.0, "unseeded values %g %g", m[c], v[c]);
  CHECK (r128norm_get_running (st, m, v, 5) == R128NORM_ERROR_INVALID_CHANNELS, "n 5");
  CHECK (r128norm_get_running (st, NULL, NULL, 6) == R128NORM_ERROR_INVALID_ARGUMENT,
      "get NULL");
  for (c = 0; c < 6; c++) {
    m[c] = c;
    v[c] = c + 1;
  }
  CHECK (r128norm_set_running (st, m, v, 7) == R128NORM_ERROR_INVALID_CHANNELS, "n 7");
  CHECK (r128norm_set_running (st, NULL, NULL, 6) == R128NORM_ERROR_INVALID_ARGUMENT,
      "set NULL");
  v[3] = -1.0;
  CHECK (r128norm_set_running (st, m, v, 6) == R128NORM_ERROR_INVALID_ARGUMENT, "var < 0");
  v[3] = 4.0;
  m[2] = NAN;
  CHECK (r128norm_set_running (st, m, v, 6) == R128NORM_ERROR_INVALID_ARGUMENT, "NaN mean");
  m[2] = INFINITY;
  CHECK (r128norm_set_running (st, m, v, 6) == R128NORM_ERROR_INVALID_ARGUMENT, "Inf mean");
  m[2] = 2.0;
  v[0] = NAN;
  CHECK (r128norm_set_running (st, m, v, 6) == R128NORM_ERROR_INVALID_ARGUMENT, "NaN var");
  CHECK (!r128norm_has_running (st), "a refused set_running seeded values");
  v[0] = 1.0;
  CHECK (r128norm_set_running (st, NULL, v, 6) == R128NORM_SUCCESS, "var only");
  CHECK (r128norm_get_running (st, m, v, 6) == R128NORM_SUCCESS, "get");
  for (c = 0; c < 6; c++)
    CHECK (m[c] == 0.0 && v[c] == c + 1.0, "var only: %g %g", m[c], v[c]);
  r128norm_reset (st);
  CHECK (!r128norm_has_running (st) && r128norm_has_running (NULL) == 0, "reset");

  /* reports */
  CHECK (r128norm_get_report (st, 6) == NULL && r128norm_get_report (NULL, 0) == NULL,
      "report out of range");
  r128norm_destroy (&st);

  /* strerror: distinct and non-empty for every code */
  for (i = 0; i <= R128NORM_ERROR_NO_CHANGE; i++) {
    const char *s = r128norm_strerror (i);
    CHECK (s && s[0], "strerror(%d) empty", i);
    seen[i] = s;
    for (j = 0; j < i; j++)
      CHECK (strcmp (seen[j], s) != 0, "strerror(%d) == strerror(%d): %s", i, j, s);
  }
  CHECK (r128norm_strerror (-1) && r128norm_strerror (-1)[0]
      && r128norm_strerror (1000) && r128norm_strerror (1000)[0], "strerror unknown");

  /* version and sizes */
  {
    int ma = -1, mi = -1, pa = -1;
    r128norm_get_version (&ma, &mi, &pa);
    CHECK (ma == R128NORM_VERSION_MAJOR && mi == R128NORM_VERSION_MINOR
        && pa == R128NORM_VERSION_PATCH, "version %d.%d.%d", ma, mi, pa);
    r128norm_get_version (NULL, NULL, NULL);
    for (i = 0; i < R128NORM_N_FORMATS; i++)
      CHECK (r128norm_format_size (i) == tfmts[i].size, "format_size(%s)", tfmts[i].name);
    CHECK (r128norm_format_size (R128NORM_N_FORMATS) == 0, "format_size(unknown)");
  }

  /* config_init gives the documented defaults; a fresh state has them */
  {
    r128norm_config d;
    r128norm_config_init (&d);
    CHECK (d.variant == R128NORM_VARIANT_PER_CHANNEL && d.groups == 1
        && d.stats == R128NORM_STATS_RUNNING && d.momentum == 0.95
        && d.time_constant == 0.0 && d.epsilon == 1e-5 && d.strength == 1.0
        && d.warmup == 0.0 && d.clip_sigma == 0.0 && d.min_samples == 16
        && d.gamma == NULL && d.n_gamma == 0 && d.beta == NULL && d.n_beta == 0
        && d.diagnostics == 0, "config_init defaults");
    st = make_state (3, R128NORM_FORMAT_F32, R128NORM_FORMAT_F32, NULL);
    CHECK (r128norm_set_config (st, &d) == R128NORM_ERROR_NO_CHANGE,
        "defaults on a fresh state");
    r128norm_destroy (&st);
  }
}

/* ---- a channel's neighbours are never written ------------------------ */

typedef struct {
  r128norm_state *st;
  r128norm_channel ch;
  atomic_int done;
} neighbour_job;

static void *
neighbour_worker (void *data)
{
  neighbour_job *job = data;
  int k;

  for (k = 0; k < 200; k++)
    r128norm_process (job->st, &job->ch, NULL, 0.01);
  atomic_store (&job->done, 1);
  return NULL;
}

/* One channel of F32 or S16 described with a step of two samples (the
 * left channel of a stereo buffer, handed over alone) and normalized in
 * place, 200 times, while this thread keeps writing the samples between
 * (the right channel, which the caller kept): not one of those writes may
 * be lost.  Packed rows write back what they read where no channel is,
 * which loses some (when one channel took them, a7378b6 to this test). */
static void
test_neighbours (void)
{
  const size_t n = (size_t) 1 << 17;
  int f;

  for (f = 0; f < 2; f++) {
    const int fmt = f ? R128NORM_FORMAT_S16 : R128NORM_FORMAT_F32;
    const size_t size = f ? 2 : 4;
    void *mem = calloc (2 * n, size);
    uint8_t *buf = mem;
    volatile float *f32 = mem;
    volatile int16_t *s16 = mem;
    neighbour_job job;
    pthread_t thread;
    long lost = 0, v = 0;
    size_t i;

    if (!buf) {
      CHECK (0, "out of memory");
      return;
    }
    for (i = 0; i < n; i++) {
      if (f) {
        int16_t x = (int16_t) ((int) (i % 100) * 300 - 15000);
        memcpy (buf + 2 * i * size, &x, sizeof x);
      } else {
        float x = (float) (i % 100) / 100.0f;
        memcpy (buf + 2 * i * size, &x, sizeof x);
      }
    }
    job.st = make_state (1, fmt, fmt, NULL);
    job.ch = (r128norm_channel) { buf, (ptrdiff_t) (2 * size),
    (ptrdiff_t) (2 * n * size), n, 1 };
    atomic_init (&job.done, 0);
    CHECK (pthread_create (&thread, NULL, neighbour_worker, &job) == 0,
        "pthread_create");
    do {
      v = v % 30000 + 1;
      for (i = 0; i < n; i++) {
        if (f)
          s16[2 * i + 1] = (int16_t) v;
        else
          f32[2 * i + 1] = (float) v;
      }
      for (i = 0; i < n; i++)
        lost += f ? s16[2 * i + 1] != v : f32[2 * i + 1] != (float) v;
    } while (!atomic_load (&job.done));
    pthread_join (thread, NULL);
    CHECK (lost == 0, "%s, one channel of two in place: %ld writes to the "
        "other channel's samples lost", tfmts[fmt].name, lost);
    r128norm_destroy (&job.st);
    free (mem);
  }
}

/* ---- planes that overlap --------------------------------------------- */

/* A channel's place in a buffer, counted in samples. */
typedef struct {
  size_t offset;
  ptrdiff_t step, stride;
  size_t width, height;
} sample_layout;

/* Three running-mode buffers of @n samples of @fmt, whose @channels lie as
 * @layout says, in place through the C kernel set and through the SIMD
 * one: the outputs within rounding (1 LSB for integers), the running
 * values within SPEC 3.  @what names the case. */
static void
check_same_as_c (const char *what, int fmt, unsigned channels,
    const sample_layout *layout, size_t n)
{
  const size_t size = tfmts[fmt].size;
  const int is_float = tfmts[fmt].is_float;
  uint8_t *buf[2] = { malloc (n * size), malloc (n * size) };
  double mean[2][3], var[2][3];
  r128norm_channel ch[3];
  r128norm_config cfg;
  int set, call;
  size_t i;
  unsigned c;

  r128norm_config_init (&cfg);
  cfg.stats = R128NORM_STATS_RUNNING;
  for (set = 0; set < 2; set++) {
    r128norm_state *st = r128norm_create (channels, NULL);
    r128norm_set_kernels (st, set ? R128NORM_KERNELS_SIMD
        : R128NORM_KERNELS_C);
    r128norm_set_formats (st, fmt, fmt);
    r128norm_set_config (st, &cfg);
    for (c = 0; c < channels; c++)
      ch[c] = (r128norm_channel) { buf[set] + layout[c].offset * size,
        layout[c].step * (ptrdiff_t) size,
        layout[c].stride * (ptrdiff_t) size, layout[c].width,
        layout[c].height };
    for (call = 0; call < 3; call++) {
      for (i = 0; i < n; i++) {
        double x = sin ((double) i * 0.37 + call) * 0.3 + 0.1 * (i % 5);
        store_sample (fmt, buf[set] + i * size, is_float ? x
            : floor (tfmts[fmt].min + (x + 0.5) * 0.5 * (tfmts[fmt].max
                    - tfmts[fmt].min)));
      }
      CHECK (r128norm_process (st, ch, NULL, 0.01) == R128NORM_SUCCESS,
          "%s: process", what);
    }
    r128norm_get_running (st, mean[set], var[set], channels);
    r128norm_destroy (&st);
  }
  for (i = 0; i < n; i++) {
    double c0 = load_sample (fmt, buf[0] + i * size);
    double v = load_sample (fmt, buf[1] + i * size);
    if (is_float ? !(fabs (v - c0) <= 1e-5 * fmax (1.0, fabs (c0)))
        : !(fabs (v - c0) <= 1.0)) {
      CHECK (0, "%s: sample %zu %.9g against C's %.9g", what, i, v, c0);
      break;
    }
  }
  for (c = 0; c < channels; c++)
    CHECK (stat_close (mean[1][c], mean[0][c])
        && stat_close (var[1][c], var[0][c]), "%s: channel %u running "
        "%.9g %.9g against C's %.9g %.9g", what, c, mean[1][c], var[1][c],
        mean[0][c], var[0][c]);
  free (buf[0]);
  free (buf[1]);
}

/* Planes of one size and stride that start within one another's row (the
 * second channel half a row into the first, or on the same samples) are
 * walked a row of each at a time, as the C path does, not plane after
 * plane: in place, what the first writes the second reads.  The SIMD
 * kernel set against C, per format.  (Before the fix, F64 half a row in:
 * outputs 0.23 apart, channel 1's running mean 0.1834 against 0.1898.)
 * Planes a row or more apart, the control, take the packed planes.  And a
 * semi-planar buffer whose interleaved chroma starts within the first
 * channel's first row (on its samples): walked with it, a row of each at
 * a time, not chroma first (u8). */
static void
test_overlapping_planes (void)
{
  enum { W = 64, H = 4 };
  static const int fmts[] = { R128NORM_FORMAT_F32, R128NORM_FORMAT_F64,
    R128NORM_FORMAT_S16, R128NORM_FORMAT_S32 };
  static const size_t shifts[] = { W / 2, 0, W };
  const sample_layout chroma[3] = {
    {0, 1, W, W, H}, {W / 2, 2, W, W / 2, H}, {W / 2 + 1, 2, W, W / 2, H},
  };
  size_t f, k;

  for (f = 0; f < sizeof fmts / sizeof fmts[0]; f++)
    for (k = 0; k < sizeof shifts / sizeof shifts[0]; k++) {
      const sample_layout planes[2] = {
        {0, 1, W, W, H}, {shifts[k], 1, W, W, H},
      };
      char what[80];
      snprintf (what, sizeof what, "%s, planes %zu samples apart",
          tfmts[fmts[f]].name, shifts[k]);
      check_same_as_c (what, fmts[f], 2, planes, W * H + W);
    }
  check_same_as_c ("u8, chroma within the first row", R128NORM_FORMAT_U8, 3,
      chroma, W * H + W);
}

int
main (void)
{
  printf ("random data: fixed seeds 99 (exact integers) and 4242 (2^24+5 rows)\n");
  for (kern = 0; kern < TEST_N_KERNELS; kern++) {
    printf ("kernels %s\n", test_kernel_names[kern]);
    test_non_finite ();
    test_constant ();
    test_sizes ();
    test_extremes ();
    test_exact_integers ();
    test_sequences ();
    test_frozen_changes ();
    test_diagnostics ();
    test_errors ();
    test_neighbours ();
  }
  test_exact_large ();
  test_overlapping_planes ();
  return test_finish ("test_edge");
}
