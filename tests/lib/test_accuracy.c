/* SPEC 3 accuracy: the mean and variance of a buffer of 2^26 F32 samples
 * within 1e-6 relative (plus 1e-12 absolute) of a two-pass reference, for
 * mean 0 / std 1 and for mean 1e4 / std 1e-2 (where float32 running sums
 * would lose everything); before them, short stereo F32 and F64 buffers
 * around the rule by which the sums go without a shift.  The second buffer follows the first on the same
 * state, so the running mean (0) is far from its data: the statistics must
 * not depend on it.  Both kernel sets; a few seconds. */
#include <time.h>

#include "test_common.h"

#define N ((size_t) 1 << 26)

/* Two passes over the float32 values in double precision, summed pairwise
 * in blocks so that the reference itself carries no visible rounding. */
static void
reference (const float *x, size_t n, double *mean, double *var)
{
  const size_t block = 4096;
  double total = 0.0, sq = 0.0;
  size_t i, j;

  for (i = 0; i < n; i += block) {
    double s = 0.0;
    for (j = i; j < i + block && j < n; j++)
      s += x[j];
    total += s;
  }
  *mean = total / (double) n;
  total = 0.0;
  for (i = 0; i < n; i += block) {
    double s = 0.0, s2 = 0.0;
    for (j = i; j < i + block && j < n; j++) {
      double d = x[j] - *mean;
      s += d;
      s2 += d * d;
    }
    total += s;
    sq += s2;
  }
  /* the corrected two-pass formula: removes the residual of the mean */
  *var = (sq - total * total / (double) n) / (double) n;
  *mean += total / (double) n;
}

static void
generate (float *x, size_t n, double mu, double sigma, uint64_t seed)
{
  rng_t rng = { seed };
  size_t i;

  for (i = 0; i + 1 < n; i += 2) {
    /* Box-Muller, both outputs */
    double r = sqrt (-2.0 * log (1.0 - rng_uniform (&rng)));
    double t = 6.283185307179586 * rng_uniform (&rng);
    x[i] = (float) (mu + sigma * r * cos (t));
    x[i + 1] = (float) (mu + sigma * r * sin (t));
  }
  for (; i < n; i++)
    x[i] = (float) mu;
}

/* Two passes in long double over @n samples @step apart. */
static void
reference_strided (const double *x, size_t n, size_t step, double *mean,
    double *var)
{
  long double s = 0.0L, d, sq = 0.0L, r = 0.0L;
  size_t i;

  for (i = 0; i < n; i++)
    s += x[i * step];
  s /= (long double) n;
  for (i = 0; i < n; i++) {
    d = x[i * step] - s;
    r += d;
    sq += d * d;
  }
  *var = (double) ((sq - r * r / (long double) n) / (long double) n);
  *mean = (double) (s + r / (long double) n);
}

/* Channel @shape of @n samples, first sample @x1: 0, the rest within a
 * few float steps of x1 (a variance near 0 beside a mean of x1: what sums
 * of x itself get most wrong); 1, the rest around -x1; 2, audio (a sine
 * and some DC), 3, the first sample and the rest 1000 times further
 * from 0 than the rule allows, spread 1e-3 (where the sums need the
 * shift). */
static void
short_channel (double *x, size_t n, size_t step, int shape, double x1,
    rng_t *rng)
{
  size_t i;

  if (shape == 3)
    x1 *= 1e3;
  for (i = 0; i < n; i++) {
    double u = rng_uniform (rng) - 0.5, v;
    switch (shape) {
      case 0:
        v = x1 * (1.0 + 4e-7 * u);
        break;
      case 1:
        v = -x1 + 1e-3 * u;
        break;
      case 2:
        v = 0.9 * sin (0.0627 * (double) i + x1) + 0.05;
        break;
      default:
        v = x1 + 1e-3 * u;
        break;
    }
    x[i * step] = i == 0 ? x1 : v;
  }
}

/* Short stereo buffers, where the library sums x itself instead of x
 * minus its first sample (shift_or_zero() in r128norm.c: n <= 16384 and
 * n x1^2 <= 512), at the edge of that rule and beyond it, F32 and F64 in
 * place, every kernel set, the first call (two passes) and a steady
 * running one. */
static void
short_buffers (uint64_t seed)
{
  static const size_t lengths[] = { 441, 480, 1024, 4096, 16384, 20000 };
  static const r128norm_format formats[2] = {
    R128NORM_FORMAT_F32, R128NORM_FORMAT_F64
  };
  rng_t rng = { seed };
  unsigned li, shape, f, k, call, c;

  for (li = 0; li < sizeof lengths / sizeof lengths[0]; li++)
    for (shape = 0; shape < 4; shape++)
      for (f = 0; f < 2; f++)
        for (k = 0; k < TEST_N_KERNELS; k++) {
          const size_t n = lengths[li], size = f ? 8 : 4;
          /* just inside the rule */
          const double x1 = sqrt (512.0 / (double) n) * (1.0 - 1e-6);
          double *x = calloc (2 * n, sizeof *x), mean[2], var[2];
          uint8_t *buf = calloc (2 * n, size), *work = calloc (2 * n, size);
          r128norm_state *st = r128norm_create (2, NULL);
          r128norm_config cfg;
          r128norm_channel in[2];
          size_t i;

          if (!x || !buf || !work || !st) {
            CHECK (0, "out of memory");
            free (x);
            free (buf);
            free (work);
            r128norm_destroy (&st);
            return;
          }

          for (c = 0; c < 2; c++)
            short_channel (x + c, n, 2, (int) (shape + c) % 4,
                c ? -x1 : x1, &rng);
          for (i = 0; i < 2 * n; i++) {
            if (f) {
              memcpy (buf + 8 * i, &x[i], 8);
            } else {
              float v = (float) x[i];
              memcpy (buf + 4 * i, &v, 4);
              x[i] = v;         /* the reference sees the float32 values */
            }
          }
          for (c = 0; c < 2; c++) {
            reference_strided (x + c, n, 2, &mean[c], &var[c]);
            in[c] = (r128norm_channel) { work + c * size, 2 * size,
            2 * n * size, n, 1 };
          }
          r128norm_config_init (&cfg);
          cfg.stats = R128NORM_STATS_RUNNING;
          cfg.momentum = 0.0;
          r128norm_set_config (st, &cfg);
          r128norm_set_kernels (st, test_kernels[k]);
          r128norm_set_formats (st, formats[f], formats[f]);
          for (call = 0; call < 2; call++) {
            memcpy (work, buf, 2 * n * size);
            CHECK (r128norm_process (st, in, NULL, 0.01) == R128NORM_SUCCESS,
                "process");
            for (c = 0; c < 2; c++) {
              const r128norm_report *rep = r128norm_get_report (st, c);
              CHECK (stat_close (rep->mean, mean[c])
                  && stat_close (rep->var, var[c]),
                  "short buffer: n %zu shape %u %s kernels %s call %u "
                  "channel %u: %.17g %.17g, reference %.17g %.17g", n,
                  (shape + c) % 4, f ? "F64" : "F32", test_kernel_names[k],
                  call, c, rep->mean, rep->var, mean[c], var[c]);
            }
          }
          r128norm_destroy (&st);
          free (x);
          free (buf);
          free (work);
        }
}

int
main (void)
{
  static const double mus[2] = { 0.0, 1e4 }, sigmas[2] = { 1.0, 1e-2 };
  uint64_t seed = test_seed (26);
  float *x = malloc (N * sizeof *x);
  uint16_t *out = malloc (N * sizeof *out);
  r128norm_state *st[TEST_N_KERNELS];
  r128norm_channel in = { x, 4, 0, N, 1 };
  r128norm_channel o = { out, 2, 0, N, 1 };
  clock_t t0 = clock ();
  int k, b;

  if (!x || !out) {
    fprintf (stderr, "out of memory\n");
    return 77;                  /* skipped */
  }
  short_buffers (seed);
  /* one state per kernel set, each fed the same two buffers in turn; the
   * output goes elsewhere (F16), so the input is generated once */
  for (k = 0; k < TEST_N_KERNELS; k++) {
    r128norm_config cfg;
    st[k] = r128norm_create (1, NULL);
    r128norm_config_init (&cfg);
    cfg.stats = R128NORM_STATS_RUNNING;
    cfg.momentum = 0.0;         /* running values = the last buffer's */
    r128norm_set_config (st[k], &cfg);
    r128norm_set_kernels (st[k], test_kernels[k]);
    CHECK (r128norm_set_formats (st[k], R128NORM_FORMAT_F32, R128NORM_FORMAT_F16)
        == R128NORM_SUCCESS, "formats");
  }
  for (b = 0; b < 2; b++) {
    double ref_mean, ref_var;
    generate (x, N, mus[b], sigmas[b], seed + (uint64_t) b);
    reference (x, N, &ref_mean, &ref_var);
    printf ("buffer %d: reference mean %.17g var %.17g\n", b, ref_mean, ref_var);
    for (k = 0; k < TEST_N_KERNELS; k++) {
      const r128norm_report *rep;
      double rm, rv;
      CHECK (r128norm_process (st[k], &in, &o, 0.0) == R128NORM_SUCCESS, "process");
      rep = r128norm_get_report (st[k], 0);
      r128norm_get_running (st[k], &rm, &rv, 1);
      printf ("kernels %s buffer %d: mean %.17g var %.17g (rel. err %.2g, %.2g)\n",
          test_kernel_names[k], b, rm, rv,
          fabs (rm - ref_mean) / fmax (fabs (ref_mean), 1e-300),
          fabs (rv - ref_var) / ref_var);
      CHECK (stat_close (rm, ref_mean) && stat_close (rv, ref_var),
          "kernels %s buffer %d (mean %g std %g): running %.17g %.17g, "
          "reference %.17g %.17g", test_kernel_names[k], b, mus[b], sigmas[b],
          rm, rv, ref_mean, ref_var);
      CHECK (stat_close (rep->mean, ref_mean) && stat_close (rep->var, ref_var),
          "kernels %s buffer %d: report %.17g %.17g", test_kernel_names[k], b,
          rep->mean, rep->var);
      CHECK (rep->samples == N, "samples");
    }
  }
  for (k = 0; k < TEST_N_KERNELS; k++)
    r128norm_destroy (&st[k]);
  printf ("%.2f s\n", (double) (clock () - t0) / CLOCKS_PER_SEC);
  free (x);
  free (out);
  return test_finish ("test_accuracy");
}
