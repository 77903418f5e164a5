/* SPEC 3 accuracy: the mean and variance of a buffer of 2^26 F32 samples
 * within 1e-6 relative (plus 1e-12 absolute) of a two-pass reference, for
 * mean 0 / std 1 and for mean 1e4 / std 1e-2 (where float32 running sums
 * would lose everything).  The second buffer follows the first on the same
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
