/* The core library against the plain double-precision reference of
 * test_ref.h: every variant x every stats mode x every format pair x
 * both kernel sets, on random data in random layouts (interleaved, planar,
 * packed with padding lanes, semi-planar, bottom-up, chroma-subsampled),
 * in place and out of place, over sequences of buffers that exercise the
 * running update, frozen statistics, seeding, reset, time_constant,
 * warmup, clip_sigma and gamma/beta. */
#include <time.h>

#include "test_ref.h"

enum {
  V_PER_CHANNEL,
  V_LAYER,
  V_GROUP_ONE,      /* groups = 1 */
  V_GROUP_SOME,     /* groups = a divisor of the channel count */
  V_GROUP_ALL,      /* groups = channels */
  V_AUTO_PER_CHANNEL, /* min_samples small enough: per-channel */
  V_AUTO_LAYER,     /* min_samples above some channel's count: layer */
  N_VARIANT_CASES
};

static const char *const variant_names[N_VARIANT_CASES] = {
  "per-channel", "layer", "group(1)", "group(k)", "group(C)",
  "auto(per-channel)", "auto(layer)"
};

static const char *const stats_names[3] = { "frame", "running", "frozen" };

static int
random_channels (rng_t *rng)
{
  int pick = (int) rng_int (rng, 0, 9);

  if (pick < 5)
    return (int) rng_int (rng, 1, 4);
  if (pick < 8)
    return (int) rng_int (rng, 5, 16);
  return (int) rng_int (rng, 17, MAXC);
}

/* Equal sizes for every channel, or chroma-subsampled ones (I420-like
 * w/2 x h/2, or Y42B-like w/2 x h) with odd sizes rounded up. */
static void
random_dims (rng_t *rng, int C, dims_t *d)
{
  size_t budget = 2400 / (size_t) C + 1, w, h;
  int c, sub = C >= 2 && rng_int (rng, 0, 2) == 0;
  int half_height = (int) rng_int (rng, 0, 1);

  h = (size_t) rng_int (rng, 1, 6);
  if (rng_int (rng, 0, 3) == 0)
    h = 1;
  w = (size_t) rng_int (rng, 1, (long) (budget / h > 1 ? budget / h : 1));
  d->channels = C;
  for (c = 0; c < C; c++) {
    d->w[c] = w;
    d->h[c] = h;
    if (sub && c > 0) {
      d->w[c] = (w + 1) / 2;
      if (half_height)
        d->h[c] = (h + 1) / 2;
    }
  }
}

static void
random_config (rng_t *rng, int C, int vcase, r128norm_stats_mode stats,
    const dims_t *d, r128norm_config *cfg, double *gamma, double *beta,
    double *max_gain)
{
  size_t max_n = 0;
  int c;

  r128norm_config_init (cfg);
  for (c = 0; c < C; c++)
    if (d->w[c] * d->h[c] > max_n)
      max_n = d->w[c] * d->h[c];
  switch (vcase) {
    case V_PER_CHANNEL:
      cfg->variant = R128NORM_VARIANT_PER_CHANNEL;
      break;
    case V_LAYER:
      cfg->variant = R128NORM_VARIANT_LAYER;
      break;
    case V_GROUP_ONE:
      cfg->variant = R128NORM_VARIANT_GROUP;
      cfg->groups = 1;
      break;
    case V_GROUP_SOME: {
      int divisors[MAXC], nd = 0, k;
      for (k = 2; k < C; k++)
        if (C % k == 0)
          divisors[nd++] = k;
      cfg->variant = R128NORM_VARIANT_GROUP;
      cfg->groups = nd ? (unsigned) divisors[rng_int (rng, 0, nd - 1)] : 1;
      break;
    }
    case V_GROUP_ALL:
      cfg->variant = R128NORM_VARIANT_GROUP;
      cfg->groups = (unsigned) C;
      break;
    case V_AUTO_PER_CHANNEL: {
      size_t min_n = max_n;
      for (c = 0; c < C; c++)
        if (d->w[c] * d->h[c] < min_n)
          min_n = d->w[c] * d->h[c];
      cfg->variant = R128NORM_VARIANT_AUTO;
      cfg->min_samples = (unsigned) rng_int (rng, 0, (long) min_n);
      break;
    }
    default:
      cfg->variant = R128NORM_VARIANT_AUTO;
      cfg->min_samples = (unsigned) rng_int (rng, (long) max_n + 1,
          (long) max_n + 100);
      break;
  }
  cfg->stats = stats;
  switch (rng_int (rng, 0, 5)) {
    case 0:
      cfg->momentum = 0.0;
      break;
    case 1:
      cfg->momentum = 1.0;
      break;
    default:
      cfg->momentum = rng_uniform (rng);
  }
  switch (rng_int (rng, 0, 5)) {
    case 0:
      cfg->epsilon = 0.0;
      break;
    case 1:
    case 2:
      cfg->epsilon = pow (10.0, -8.0 + 7.0 * rng_uniform (rng));
      break;
    default:
      break;                    /* default 1e-5 */
  }
  if (rng_int (rng, 0, 2) == 0)
    cfg->strength = rng_int (rng, 0, 3) ? rng_uniform (rng) : 0.0;
  if (rng_int (rng, 0, 3) == 0)
    cfg->time_constant = 0.02 + 0.5 * rng_uniform (rng);
  if (rng_int (rng, 0, 3) == 0)
    cfg->warmup = 0.05 + 0.25 * rng_uniform (rng);
  if (rng_int (rng, 0, 3) == 0)
    cfg->clip_sigma = 0.5 + 2.5 * rng_uniform (rng);
  if (rng_int (rng, 0, 3) == 0)
    cfg->diagnostics = 1;
  if (rng_int (rng, 0, 6) == 0) {
    cfg->n_max_gain = rng_int (rng, 0, 1) ? 1 : (unsigned) C;
    for (c = 0; c < (int) cfg->n_max_gain; c++)
      max_gain[c] = rng_int (rng, 0, 4) ? 0.5 + 20.0 * rng_uniform (rng) : 0.0;
    cfg->max_gain = max_gain;
  }
  switch (rng_int (rng, 0, 2)) {
    case 0:
      break;                    /* NULL: gamma 1, beta 0 */
    case 1:
      gamma[0] = 4.0 * rng_uniform (rng) - 2.0;
      beta[0] = 2.0 * rng_uniform (rng) - 1.0;
      cfg->gamma = gamma;
      cfg->n_gamma = 1;
      cfg->beta = beta;
      cfg->n_beta = 1;
      break;
    default:
      for (c = 0; c < C; c++) {
        gamma[c] = 4.0 * rng_uniform (rng) - 2.0;
        beta[c] = 2.0 * rng_uniform (rng) - 1.0;
      }
      cfg->gamma = gamma;
      cfg->n_gamma = (unsigned) C;
      cfg->beta = beta;
      cfg->n_beta = (unsigned) C;
      /* sometimes only one of them per channel */
      if (rng_int (rng, 0, 2) == 0)
        cfg->n_beta = 1;
      break;
  }
}

typedef struct {
  unsigned long cases, buffers, samples;
} totals;

/* The diagnostic fields of a report against the reference: histogram of
 * z = (x - norm_mean) / sqrt(norm_var + eps) in 16 bins over [-4, 4] with
 * open outer bins, saturation of integer output, and the output moments.
 * A sample within 1e-9 of a bin edge (or of the saturation bound) may
 * land on either side; such samples are counted as ambiguous. */
static void
check_diagnostics (const r128norm_report *rep, const ref_t *ref,
    const ref_result *res, int c, const double *x, size_t n, int out_fmt,
    const r128norm_channel *oc)
{
  const tfmt *fo = &tfmts[out_fmt];
  uint64_t hist[R128NORM_HISTOGRAM_BINS] = { 0 }, total = 0;
  size_t ambiguous = 0, sat_sure = 0, sat_maybe = 0, i, k, r, cnt = 0;
  double den = res->norm_var[c] + ref->epsilon, diff = 0.0;
  double osum = 0.0, osq = 0.0, omean, ovar, q = 0.0, maxabs = 0.0;
  int b;

  for (i = 0; i < n; i++) {
    double z, pos, raw, y;
    if (!isfinite (x[i]))
      continue;
    z = den > 0.0 ? (x[i] - res->norm_mean[c]) / sqrt (den) : 0.0;
    pos = (z + 4.0) * 2.0;
    if (fabs (pos - nearbyint (pos)) < 1e-9 * (1.0 + fabs (pos))
        && pos > 0.5 && pos < 15.5)
      ambiguous++;
    b = pos < 0.0 ? 0 : pos >= 16.0 ? 15 : (int) floor (pos);
    if (b > 15)
      b = 15;
    hist[b]++;
    if (!fo->is_float) {
      /* the value before rounding, from the reference output */
      double gain = den > 0.0 ? ref->gamma[c] / sqrt (den) : 0.0;
      if (ref->max_gain[c] > 0.0 && fabs (gain) > ref->max_gain[c])
        gain = gain < 0.0 ? -ref->max_gain[c] : ref->max_gain[c];
      y = x[i] + res->strength * (gain * (x[i] - res->norm_mean[c])
          + ref->beta[c] - x[i]);
      raw = y * fo->full + fo->zero;
      if (raw < fo->min - 1e-6 * fmax (1.0, fabs (raw))
          || raw > fo->max + 1e-6 * fmax (1.0, fabs (raw)))
        sat_sure++;
      else if (raw < fo->min + 1e-6 * fmax (1.0, fabs (raw))
          || raw > fo->max - 1e-6 * fmax (1.0, fabs (raw)))
        sat_maybe++;
    }
  }
  for (b = 0; b < R128NORM_HISTOGRAM_BINS; b++) {
    diff += fabs ((double) rep->histogram[b] - (double) hist[b]);
    total += rep->histogram[b];
  }
  CHECK (total == res->finite[c], "channel %d: histogram holds %llu "
      "samples, %zu finite", c, (unsigned long long) total, res->finite[c]);
  CHECK (diff <= 2.0 * (double) ambiguous, "channel %d: histogram differs "
      "from the reference in %g counts (%zu samples on bin edges); "
      "bin 0 %llu/%llu, 8 %llu/%llu, 15 %llu/%llu", c, diff, ambiguous,
      (unsigned long long) rep->histogram[0], (unsigned long long) hist[0],
      (unsigned long long) rep->histogram[8], (unsigned long long) hist[8],
      (unsigned long long) rep->histogram[15], (unsigned long long) hist[15]);
  CHECK (rep->saturated >= sat_sure && rep->saturated <= sat_sure + sat_maybe,
      "channel %d: saturated %llu, reference %zu (+%zu on the bound)", c,
      (unsigned long long) rep->saturated, sat_sure, sat_maybe);

  /* output moments: of the output actually written, finite inputs only.
   * The library computes them from its own double-precision outputs, which
   * may differ from the stored ones by the output quantum q. */
  for (r = 0, k = 0; r < oc->height; r++)
    for (i = 0; i < oc->width; i++, k++) {
      double o;
      if (!isfinite (x[k]))
        continue;
      o = to_normalized (out_fmt, load_sample (out_fmt, sample_ptr (oc, r, i)));
      osum += o;
      cnt++;
      maxabs = fmax (maxabs, fabs (o));
    }
  if (cnt == 0)
    return;
  omean = osum / (double) cnt;
  for (r = 0, k = 0; r < oc->height; r++)
    for (i = 0; i < oc->width; i++, k++)
      if (isfinite (x[k])) {
        double o = to_normalized (out_fmt,
            load_sample (out_fmt, sample_ptr (oc, r, i))) - omean;
        osq += o * o;
      }
  ovar = osq / (double) cnt;
  if (!fo->is_float)
    q = 1.0 / fo->full;
  else if (out_fmt == R128NORM_FORMAT_F16)
    q = half_ulp (maxabs) + 1e-5 * fmax (1.0, maxabs);
  else
    q = 1e-5 * fmax (1.0, maxabs);
  CHECK (isfinite (rep->out_mean) && fabs (rep->out_mean - omean)
      <= q + 1e-6 * fabs (omean) + 1e-12, "channel %d: out_mean %.17g, "
      "output %.17g (q %g)", c, rep->out_mean, omean, q);
  CHECK (isfinite (rep->out_var) && fabs (rep->out_var - ovar)
      <= 2.0 * q * sqrt (ovar) + q * q + 1e-6 * ovar + 1e-12,
      "channel %d: out_var %.17g, output %.17g (q %g)", c, rep->out_var,
      ovar, q);
}

/* One case; @layout: the input's layout kind and the output's (planes
 * out: planes, or planar with a stride a plane), or -1 for random
 * ones. */
static void
run_case (rng_t *rng, int kern, int in_fmt, int out_fmt, int vcase,
    r128norm_stats_mode stats, int in_place, int layout, totals *tot)
{
  const size_t isz = tfmts[in_fmt].size, osz = tfmts[out_fmt].size;
  unsigned long failures_before = test_failures;
  r128norm_config cfg;
  double gamma[MAXC], beta[MAXC], max_gain[MAXC];
  double *x[MAXC], *y[MAXC];
  size_t n[MAXC];
  chan_dist dist[MAXC];
  dims_t dims;
  layout_t in, out;
  ref_t ref;
  ref_result res;
  r128norm_state *st;
  uint8_t *in_copy;
  int C = random_channels (rng), c, nbuf, reset_at, seeded, b, err;

  random_dims (rng, C, &dims);
  if (layout >= 0 && !layout_allowed (layout, &dims))
    for (c = 1; c < C; c++) {
      dims.w[c] = dims.w[0];
      dims.h[c] = dims.h[0];
    }
  random_config (rng, C, vcase, stats, &dims, &cfg, gamma, beta, max_gain);
  layout_build (rng, layout >= 0 ? layout : pick_layout (rng, &dims), &dims,
      isz, &in);
  if (!in_place)
    layout_build (rng, layout < 0 ? pick_layout (rng, &dims)
        : layout == L_PLANES && rng_int (rng, 0, 1) ? L_PLANAR : layout,
        &dims, osz, &out);
  in_copy = malloc (in.size);
  for (c = 0; c < C; c++) {
    n[c] = dims.w[c] * dims.h[c];
    x[c] = malloc ((n[c] + 1) * sizeof (double));
    y[c] = malloc ((n[c] + 1) * sizeof (double));
    dist_random (rng, in_fmt, &dist[c]);
  }

  st = r128norm_create ((unsigned) C, &err);
  CHECK (st && err == R128NORM_SUCCESS, "create(%d) -> %d", C, err);
  if (!st)
    return;
  CHECK (r128norm_set_kernels (st, test_kernels[kern]) == R128NORM_SUCCESS, "set_kernels");
  err = r128norm_set_formats (st, in_fmt, out_fmt);
  CHECK (err == R128NORM_SUCCESS, "set_formats(%s, %s) -> %d",
      tfmts[in_fmt].name, tfmts[out_fmt].name, err);
  err = r128norm_set_config (st, &cfg);
  CHECK (err == R128NORM_SUCCESS || err == R128NORM_ERROR_NO_CHANGE,
      "set_config -> %d", err);
  ref_init (&ref, C, &cfg);

  seeded = rng_int (rng, 0, 2) == 0;
  if (seeded) {
    double mean[MAXC], var[MAXC];
    for (c = 0; c < C; c++) {
      double mu = to_normalized (in_fmt, dist[c].mu);
      double sigma = dist[c].sigma / tfmts[in_fmt].full;
      mean[c] = mu + sigma * rng_normal (rng);
      var[c] = sigma * sigma * (0.5 + 1.5 * rng_uniform (rng))
          + (rng_int (rng, 0, 3) ? 1e-6 : 0.0);
      ref.rm[c] = mean[c];
      ref.rv[c] = var[c];
      ref.seen[c] = 1;
    }
    err = r128norm_set_running (st, mean, var, (unsigned) C);
    CHECK (err == R128NORM_SUCCESS, "set_running -> %d", err);
  }

  nbuf = (int) rng_int (rng, 1, 4);
  reset_at = nbuf >= 3 && rng_int (rng, 0, 4) == 0 ? 2 : -1;
  for (b = 0; b < nbuf; b++) {
    double duration = rng_int (rng, 0, 4) ? 0.005 + 0.1 * rng_uniform (rng) : 0.0;
    double mean[MAXC], var[MAXC];
    size_t i;

    if (b == reset_at) {
      r128norm_reset (st);
      ref_reset (&ref);
      CHECK (!r128norm_has_running (st), "running values after reset");
    }
    for (c = 0; c < C; c++) {
      fill_channel (rng, in_fmt, &in.ch[c], &dist[c]);
      read_channel (in_fmt, &in.ch[c], x[c]);
    }
    memcpy (in_copy, in.arena, in.size);
    if (!in_place)
      memset (out.arena, 0xa5, out.size);

    err = r128norm_process (st, in.ch, in_place ? NULL : out.ch, duration);
    CHECK (err == R128NORM_SUCCESS, "process -> %d", err);
    ref_process (&ref, x, n, duration, y, &res);

    /* every output sample, by value */
    for (c = 0; c < C; c++) {
      const r128norm_channel *oc = in_place ? &in.ch[c] : &out.ch[c];
      size_t r, k = 0, bad = 0;
      double worst = 0.0, worst_out = 0.0, worst_ref = 0.0, e;
      for (r = 0; r < oc->height; r++)
        for (i = 0; i < oc->width; i++, k++) {
          double o = load_sample (out_fmt, sample_ptr (oc, r, i));
          if (!output_matches (out_fmt, o, y[c][k], &e)) {
            if (bad++ == 0 || e > worst || isnan (e)) {
              worst = e;
              worst_out = o;
              worst_ref = y[c][k];
            }
          }
        }
      CHECK (bad == 0, "buffer %d channel %d: %zu of %zu outputs off, worst:"
          " got %.9g for reference %.9g (err %.3g); x[0]=%.9g; reference "
          "normalized with mean %.17g var %.17g, library with %.17g %.17g; "
          "gamma %g beta %g strength %g", b, c, bad, n[c], worst_out,
          worst_ref, worst, n[c] ? x[c][0] : 0.0, res.norm_mean[c],
          res.norm_var[c], r128norm_get_report (st, c)->norm_mean,
          r128norm_get_report (st, c)->norm_var, ref.gamma[c], ref.beta[c],
          res.strength);
    }

    /* bytes no channel describes are never written */
    if (in_place) {
      size_t diff = 0;
      for (i = 0; i < in.size; i++)
        diff += !in.owned[i] && in.arena[i] != in_copy[i];
      CHECK (diff == 0, "%zu padding bytes changed in place", diff);
    } else {
      size_t diff = 0;
      CHECK (memcmp (in.arena, in_copy, in.size) == 0,
          "out-of-place processing changed the input");
      for (i = 0; i < out.size; i++)
        diff += !out.owned[i] && out.arena[i] != 0xa5;
      CHECK (diff == 0, "%zu padding bytes of the output changed", diff);
    }

    /* running values and the counters */
    err = r128norm_get_running (st, mean, var, (unsigned) C);
    {
      int any = 0;
      for (c = 0; c < C; c++)
        any |= ref.seen[c];
      CHECK (err == (any ? R128NORM_SUCCESS : R128NORM_ERROR_NO_STATISTICS),
          "get_running -> %d", err);
      CHECK (r128norm_has_running (st) == any, "has_running");
    }
    for (c = 0; c < C; c++) {
      const r128norm_report *rep = r128norm_get_report (st, (unsigned) c);
      CHECK (stat_close (mean[c], ref.rm[c]), "buffer %d channel %d: running "
          "mean %.17g, reference %.17g", b, c, mean[c], ref.rm[c]);
      CHECK (stat_close (var[c], ref.rv[c]), "buffer %d channel %d: running "
          "var %.17g, reference %.17g", b, c, var[c], ref.rv[c]);
      CHECK (rep && rep->non_finite == res.non_finite[c], "channel %d: "
          "non_finite %llu, expected %zu", c,
          rep ? (unsigned long long) rep->non_finite : 0ull, res.non_finite[c]);
      CHECK (rep && rep->samples == res.finite[c], "channel %d: samples "
          "%llu, expected %zu", c,
          rep ? (unsigned long long) rep->samples : 0ull, res.finite[c]);
      if (rep && cfg.diagnostics) {
        CHECK (stat_close (rep->norm_mean, res.norm_mean[c]), "norm_mean %.17g"
            " vs %.17g", rep->norm_mean, res.norm_mean[c]);
        CHECK (stat_close (rep->norm_var, res.norm_var[c]), "norm_var %.17g"
            " vs %.17g", rep->norm_var, res.norm_var[c]);
        if (res.has_batch[c]) {
          CHECK (stat_close (rep->mean, res.mean[c]), "report mean %.17g vs "
              "%.17g", rep->mean, res.mean[c]);
          CHECK (stat_close (rep->var, res.var[c]), "report var %.17g vs "
              "%.17g", rep->var, res.var[c]);
        }
        check_diagnostics (rep, &ref, &res, c, x[c], n[c], out_fmt,
            in_place ? &in.ch[c] : &out.ch[c]);
      }
    }
    tot->buffers++;
    for (c = 0; c < C; c++)
      tot->samples += n[c];
  }
  tot->cases++;

  if (test_failures != failures_before && failures_before < 40)
    fprintf (stderr, "  in case: kernels %s, %s -> %s, %s, groups %u, "
        "min_samples %u, stats %s, %s, %d channels (%zux%zu, ch1 %zux%zu), "
        "layout %s -> %s, momentum %g, tc %g, eps %g, strength %g, warmup %g,"
        " clip %g, seeded %d, %d buffers, reset at %d, diag %d\n",
        test_kernel_names[kern], tfmts[in_fmt].name, tfmts[out_fmt].name,
        variant_names[vcase], cfg.groups, cfg.min_samples,
        stats_names[stats], in_place ? "in place" : "out of place", C,
        dims.w[0], dims.h[0], dims.w[C > 1], dims.h[C > 1],
        layout_names[in.kind], in_place ? "-" : layout_names[out.kind],
        cfg.momentum, cfg.time_constant, cfg.epsilon, cfg.strength,
        cfg.warmup, cfg.clip_sigma, seeded, nbuf, reset_at, cfg.diagnostics);

  r128norm_destroy (&st);
  CHECK (st == NULL, "destroy sets NULL");
  for (c = 0; c < C; c++) {
    free (x[c]);
    free (y[c]);
  }
  free (in_copy);
  layout_free (&in);
  if (!in_place)
    layout_free (&out);
}

int
main (void)
{
  rng_t rng = { test_seed (20261125) };
  totals tot = { 0, 0, 0 };
  clock_t t0 = clock ();
  int kern, in_fmt, o, vcase, stats, rep;

  for (kern = 0; kern < TEST_N_KERNELS; kern++)
    for (in_fmt = 0; in_fmt < R128NORM_N_FORMATS; in_fmt++)
      for (o = 0; o < 3; o++) {
        const int outs[3] = { in_fmt, R128NORM_FORMAT_F32, R128NORM_FORMAT_F16 };
        int out_fmt = outs[o];
        if (o > 0 && out_fmt == in_fmt)
          continue;
        for (vcase = 0; vcase < N_VARIANT_CASES; vcase++)
          for (stats = 0; stats < 3; stats++)
            for (rep = 0; rep < 2; rep++)
              run_case (&rng, kern, in_fmt, out_fmt, vcase,
                  (r128norm_stats_mode) stats, out_fmt == in_fmt && rep == 0,
                  -1, &tot);
      }
  /* planes of one size and stride (planar audio and tensors), which the
   * SIMD kernel set walks plane by plane through its packed kernels
   * (F32, F64, S16 and S32 in place, and S16 and S32 to F32), more often
   * than the random layouts above give them */
  for (kern = 0; kern < TEST_N_KERNELS; kern++)
    for (o = 0; o < 6; o++) {
      static const int pairs[6][2] = {
        {R128NORM_FORMAT_F32, R128NORM_FORMAT_F32},
        {R128NORM_FORMAT_S16, R128NORM_FORMAT_S16},
        {R128NORM_FORMAT_S16, R128NORM_FORMAT_F32},
        {R128NORM_FORMAT_F64, R128NORM_FORMAT_F64},
        {R128NORM_FORMAT_S32, R128NORM_FORMAT_S32},
        {R128NORM_FORMAT_S32, R128NORM_FORMAT_F32},
      };
      for (vcase = 0; vcase < N_VARIANT_CASES; vcase++)
        for (stats = 0; stats < 3; stats++)
          for (rep = 0; rep < 4; rep++)
            run_case (&rng, kern, pairs[o][0], pairs[o][1], vcase,
                (r128norm_stats_mode) stats, pairs[o][0] == pairs[o][1]
                && rep < 3, L_PLANES, &tot);
    }
  printf ("%lu cases, %lu buffers, %lu samples in %.2f s\n", tot.cases,
      tot.buffers, tot.samples, (double) (clock () - t0) / CLOCKS_PER_SEC);
  return test_finish ("test_lib");
}
