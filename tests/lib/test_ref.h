/* The plain double-precision reference of r128norm (SPEC sections 3 and 4)
 * and the random buffer layouts the tests feed to both it and the library.
 *
 * The reference is deliberately naive: it reads every sample into an
 * array of doubles in normalized units, computes each statistic group's
 * mean and biased variance with (corrected) two passes, and applies the formulas of
 * the SPEC one sample at a time. */
#ifndef R128NORM_TEST_REF_H
#define R128NORM_TEST_REF_H

#include "test_common.h"

#define MAXC 64

/* ---- the reference model ------------------------------------------- */

typedef struct {
  int channels;
  r128norm_variant variant;
  unsigned groups, min_samples;
  r128norm_stats_mode stats;
  double momentum, time_constant, epsilon, strength, warmup, clip_sigma;
  double gamma[MAXC], beta[MAXC]; /* one per channel */
  double max_gain[MAXC];          /* 0: unlimited */

  double rm[MAXC], rv[MAXC];      /* running mean / variance */
  int seen[MAXC];
  double elapsed;
} ref_t;

/* What the reference computed for one buffer, per channel. */
typedef struct {
  size_t finite[MAXC], non_finite[MAXC];
  double mean[MAXC], var[MAXC];   /* the channel's own (clipped) statistics */
  int has_batch[MAXC];
  double norm_mean[MAXC], norm_var[MAXC];
  double strength;
} ref_result;

static inline void
ref_reset (ref_t *r)
{
  int c;

  for (c = 0; c < r->channels; c++) {
    r->rm[c] = 0.0;
    r->rv[c] = 1.0;
    r->seen[c] = 0;
  }
  r->elapsed = 0.0;
}

/* Set up the reference from a library configuration (gamma/beta expanded
 * as the header documents: NULL -> 1 / 0, one value -> all channels). */
static inline void
ref_init (ref_t *r, int channels, const r128norm_config *cfg)
{
  int c;

  memset (r, 0, sizeof *r);
  r->channels = channels;
  r->variant = cfg->variant;
  r->groups = cfg->groups;
  r->min_samples = cfg->min_samples;
  r->stats = cfg->stats;
  r->momentum = cfg->momentum;
  r->time_constant = cfg->time_constant;
  r->epsilon = cfg->epsilon;
  r->strength = cfg->strength;
  r->warmup = cfg->warmup;
  r->clip_sigma = cfg->clip_sigma;
  for (c = 0; c < channels; c++) {
    r->gamma[c] = cfg->n_gamma == 0 ? 1.0 : cfg->gamma[cfg->n_gamma == 1 ? 0 : c];
    r->beta[c] = cfg->n_beta == 0 ? 0.0 : cfg->beta[cfg->n_beta == 1 ? 0 : c];
    r->max_gain[c] = cfg->n_max_gain == 0 ? 0.0
        : cfg->max_gain[cfg->n_max_gain == 1 ? 0 : c];
  }
  ref_reset (r);
}

/* Mean and biased variance, two passes, of the finite samples of the
 * channels [c0, c1), each clamped to its channel's clip bounds. */
static inline size_t
ref_moments (const ref_t *r, double *const *x, const size_t *n, int c0,
    int c1, const double *lo, const double *hi, double *mean, double *var)
{
  size_t count = 0, i;
  double sum = 0.0, sq = 0.0;
  int c;

  for (c = c0; c < c1; c++)
    for (i = 0; i < n[c]; i++)
      if (isfinite (x[c][i])) {
        sum += fmin (fmax (x[c][i], lo[c]), hi[c]);
        count++;
      }
  if (count == 0)
    return 0;
  *mean = sum / (double) count;
  /* the corrected two-pass mean: one more pass over the residuals makes
   * the mean of a constant exactly that constant (variance exactly 0) */
  sum = 0.0;
  for (c = c0; c < c1; c++)
    for (i = 0; i < n[c]; i++)
      if (isfinite (x[c][i]))
        sum += fmin (fmax (x[c][i], lo[c]), hi[c]) - *mean;
  *mean += sum / (double) count;
  for (c = c0; c < c1; c++)
    for (i = 0; i < n[c]; i++)
      if (isfinite (x[c][i])) {
        double d = fmin (fmax (x[c][i], lo[c]), hi[c]) - *mean;
        sq += d * d;
      }
  *var = sq / (double) count;
  return count;
}

/* One buffer: x[c] holds n[c] input samples of channel c in normalized
 * units; y[c] receives the exact outputs in normalized units. */
static inline void
ref_process (ref_t *r, double *const *x, const size_t *n, double duration,
    double *const *y, ref_result *res)
{
  const int C = r->channels;
  r128norm_variant variant = r->variant;
  double lo[MAXC], hi[MAXC], gm[MAXC], gv[MAXC], m, s;
  size_t gn[MAXC], i;
  int c, size;

  memset (res, 0, sizeof *res);
  if (variant == R128NORM_VARIANT_AUTO) {
    variant = R128NORM_VARIANT_PER_CHANNEL;
    for (c = 0; c < C; c++)
      if (n[c] < r->min_samples)
        variant = R128NORM_VARIANT_LAYER;
  }
  size = variant == R128NORM_VARIANT_PER_CHANNEL ? 1
      : variant == R128NORM_VARIANT_LAYER ? C : C / (int) r->groups;

  /* clip_sigma: clamp to running mean +- k sigma before the statistics */
  for (c = 0; c < C; c++) {
    if (r->clip_sigma > 0.0 && r->seen[c]) {
      lo[c] = r->rm[c] - r->clip_sigma * sqrt (r->rv[c] + r->epsilon);
      hi[c] = r->rm[c] + r->clip_sigma * sqrt (r->rv[c] + r->epsilon);
    } else {
      lo[c] = -INFINITY;
      hi[c] = INFINITY;
    }
    for (i = 0; i < n[c]; i++) {
      if (isfinite (x[c][i]))
        res->finite[c]++;
      else
        res->non_finite[c]++;
    }
    res->has_batch[c] = ref_moments (r, x, n, c, c + 1, lo, hi,
        &res->mean[c], &res->var[c]) > 0;
  }
  for (c = 0; c < C; c += size) {
    double mean = 0.0, var = 0.0;
    size_t count = ref_moments (r, x, n, c, c + size, lo, hi, &mean, &var);
    int k;
    for (k = c; k < c + size; k++) {
      gn[k] = count;
      gm[k] = mean;
      gv[k] = var;
    }
  }

  /* which statistics normalize this buffer */
  for (c = 0; c < C; c++) {
    int use_batch = (r->stats == R128NORM_STATS_FRAME || !r->seen[c])
        && gn[c] > 0;
    res->norm_mean[c] = use_batch ? gm[c] : r->rm[c];
    res->norm_var[c] = use_batch ? gv[c] : r->rv[c];
  }

  s = r->strength;
  if (r->warmup > 0.0 && r->elapsed < r->warmup)
    s = r->strength * (r->elapsed / r->warmup);
  res->strength = s;

  for (c = 0; c < C; c++) {
    double mean = res->norm_mean[c];
    double den = res->norm_var[c] + r->epsilon;
    /* var + eps == 0 (constant channel, epsilon 0): output beta */
    double gain = den > 0.0 ? r->gamma[c] / sqrt (den) : 0.0;
    if (r->max_gain[c] > 0.0 && fabs (gain) > r->max_gain[c])
      gain = gain < 0.0 ? -r->max_gain[c] : r->max_gain[c];
    for (i = 0; i < n[c]; i++) {
      double v = x[c][i];
      if (isfinite (v)) {
        double yy = gain * (v - mean) + r->beta[c];
        y[c][i] = v + s * (yy - v);
      } else {
        y[c][i] = mean + s * (r->beta[c] - mean);
      }
    }
  }

  /* running = m * running + (1 - m) * batch; the first buffer sets it */
  m = r->momentum;
  if (r->time_constant > 0.0 && duration > 0.0)
    m = exp (-duration / r->time_constant);
  for (c = 0; c < C; c++) {
    if (gn[c] == 0)
      continue;
    if (r->stats == R128NORM_STATS_FROZEN && r->seen[c])
      continue;
    if (r->seen[c]) {
      r->rm[c] = m * r->rm[c] + (1.0 - m) * gm[c];
      r->rv[c] = m * r->rv[c] + (1.0 - m) * gv[c];
    } else {
      r->rm[c] = gm[c];
      r->rv[c] = gv[c];
      r->seen[c] = 1;
    }
  }
  r->elapsed += duration;
}

/* ---- layouts --------------------------------------------------------- */

enum {
  L_INTERLEAVED,  /* all channels in one lane set, step = channels * size */
  L_PACKED,       /* like interleaved plus 1-2 padding lanes (RGBx), lanes permuted */
  L_PLANAR,       /* one plane per channel, padded rows */
  L_FLIPPED,      /* planar, bottom-up (negative stride), sometimes right-to-left */
  L_SEMIPLANAR,   /* channel 0 one plane, the others interleaved in a second (NV12) */
  L_PLANES,       /* planar, every plane one size and one stride (planar audio, tensors) */
  N_LAYOUTS
};

static const char *const layout_names[N_LAYOUTS] = {
  "interleaved", "packed", "planar", "flipped", "semiplanar", "planes"
};

typedef struct {
  int channels;
  size_t w[MAXC], h[MAXC];
} dims_t;

typedef struct {
  int kind;
  r128norm_channel ch[MAXC];
  uint8_t *arena;
  unsigned char *owned; /* 1 for each byte of a described sample */
  size_t size;
} layout_t;

static inline int
dims_equal (const dims_t *d, int from)
{
  int c;

  for (c = from + 1; c < d->channels; c++)
    if (d->w[c] != d->w[from] || d->h[c] != d->h[from])
      return 0;
  return 1;
}

static inline int
layout_allowed (int kind, const dims_t *d)
{
  switch (kind) {
    case L_INTERLEAVED:
    case L_PACKED:
    case L_PLANES:
      return dims_equal (d, 0);
    case L_SEMIPLANAR:
      return d->channels >= 2 && dims_equal (d, 1);
    default:
      return 1;
  }
}

static inline int
pick_layout (rng_t *rng, const dims_t *d)
{
  int kind;

  do
    kind = (int) rng_int (rng, 0, N_LAYOUTS - 1);
  while (!layout_allowed (kind, d));
  return kind;
}

/* Lay out channels whose samples are `sz` bytes; random padding between
 * rows and planes.  Every byte is random; owned marks the sample bytes. */
static inline void
layout_build (rng_t *rng, int kind, const dims_t *d, size_t sz, layout_t *l)
{
  const int C = d->channels;
  size_t offset[MAXC], plane_end = 0, i;
  ptrdiff_t step[MAXC] = { 0 }, stride[MAXC] = { 0 };
  int c;

  memset (l, 0, sizeof *l);
  l->kind = kind;
  if (kind == L_INTERLEAVED || kind == L_PACKED) {
    int lanes = C + (kind == L_PACKED ? (int) rng_int (rng, 1, 2) : 0);
    int lane_of[MAXC + 2], perm[MAXC + 2];
    for (c = 0; c < lanes; c++)
      perm[c] = c;
    if (kind == L_PACKED)
      for (c = lanes - 1; c > 0; c--) {
        int j = (int) rng_int (rng, 0, c), t = perm[c];
        perm[c] = perm[j];
        perm[j] = t;
      }
    for (c = 0; c < C; c++)
      lane_of[c] = perm[c];
    for (c = 0; c < C; c++) {
      offset[c] = (size_t) lane_of[c] * sz;
      step[c] = (ptrdiff_t) (lanes * sz);
      stride[c] = (ptrdiff_t) (d->w[0] * lanes * sz + (size_t) rng_int (rng, 0, 9));
    }
    for (c = 1; c < C; c++)
      stride[c] = stride[0];
    plane_end = (size_t) stride[0] * d->h[0] + 16;
  } else if (kind == L_SEMIPLANAR) {
    size_t s0 = d->w[0] * sz + (size_t) rng_int (rng, 0, 9);
    size_t s1 = d->w[1] * (size_t) (C - 1) * sz + (size_t) rng_int (rng, 0, 9);
    size_t base1 = s0 * d->h[0] + (size_t) rng_int (rng, 0, 7);
    offset[0] = 0;
    step[0] = (ptrdiff_t) sz;
    stride[0] = (ptrdiff_t) s0;
    for (c = 1; c < C; c++) {
      offset[c] = base1 + (size_t) (c - 1) * sz;
      step[c] = (ptrdiff_t) ((size_t) (C - 1) * sz);
      stride[c] = (ptrdiff_t) s1;
    }
    plane_end = base1 + s1 * d->h[1] + 16;
  } else {
    const size_t pad = kind == L_PLANES ? (size_t) rng_int (rng, 0, 9) : 0;
    for (c = 0; c < C; c++) {
      size_t s = d->w[c] * sz + (kind == L_PLANES ? pad
          : (size_t) rng_int (rng, 0, 9));
      offset[c] = plane_end + (size_t) rng_int (rng, 0, 5);
      step[c] = (ptrdiff_t) sz;
      stride[c] = (ptrdiff_t) s;
      plane_end = offset[c] + s * d->h[c];
    }
    plane_end += 16;
  }
  l->size = plane_end;
  l->arena = malloc (l->size);
  l->owned = calloc (l->size, 1);
  for (i = 0; i < l->size; i++)
    l->arena[i] = (uint8_t) rng_u64 (rng);

  for (c = 0; c < C; c++) {
    uint8_t *base = l->arena + offset[c];
    if (kind == L_FLIPPED && d->h[c] > 0 && d->w[c] > 0) {
      base += (d->h[c] - 1) * (size_t) stride[c];
      stride[c] = -stride[c];
      if (rng_int (rng, 0, 1)) {
        base += (d->w[c] - 1) * sz;
        step[c] = -step[c];
      }
    }
    l->ch[c].data = base;
    l->ch[c].step = step[c];
    l->ch[c].stride = stride[c];
    l->ch[c].width = d->w[c];
    l->ch[c].height = d->h[c];
  }
  for (c = 0; c < C; c++) {
    size_t r, k;
    for (r = 0; r < d->h[c]; r++)
      for (k = 0; k < d->w[c]; k++) {
        uint8_t *p = (uint8_t *) l->ch[c].data + (ptrdiff_t) r * l->ch[c].stride
            + (ptrdiff_t) k * l->ch[c].step;
        size_t b;
        for (b = 0; b < sz; b++) {
          if (l->owned[p - l->arena + b])
            fprintf (stderr, "test bug: overlapping layout\n"), abort ();
          l->owned[p - l->arena + b] = 1;
        }
      }
  }
}

static inline void
layout_free (layout_t *l)
{
  free (l->arena);
  free (l->owned);
  l->arena = NULL;
  l->owned = NULL;
}

static inline uint8_t *
sample_ptr (const r128norm_channel *ch, size_t r, size_t i)
{
  return (uint8_t *) ch->data + (ptrdiff_t) r * ch->stride
      + (ptrdiff_t) i * ch->step;
}

/* Samples of channel c in row-major order, in normalized units. */
static inline void
read_channel (int fmt, const r128norm_channel *ch, double *x)
{
  size_t r, i, k = 0;

  for (r = 0; r < ch->height; r++)
    for (i = 0; i < ch->width; i++)
      x[k++] = to_normalized (fmt, load_sample (fmt, sample_ptr (ch, r, i)));
}

/* Same, raw values. */
static inline void
read_channel_raw (int fmt, const r128norm_channel *ch, double *x)
{
  size_t r, i, k = 0;

  for (r = 0; r < ch->height; r++)
    for (i = 0; i < ch->width; i++)
      x[k++] = load_sample (fmt, sample_ptr (ch, r, i));
}

/* ---- random data ------------------------------------------------------ */

/* Where a channel's data lies, in raw units. */
typedef struct {
  double mu, sigma;
  int nonfinite;    /* float formats: sprinkle NaN and infinities */
} chan_dist;

static inline void
dist_random (rng_t *rng, int fmt, chan_dist *d)
{
  const tfmt *f = &tfmts[fmt];

  if (!f->is_float) {
    double range = f->max - f->min;
    d->mu = f->min + range * rng_uniform (rng);
    d->sigma = range * pow (10.0, -3.0 + 2.5 * rng_uniform (rng));
  } else {
    double scale = pow (10.0, (fmt == R128NORM_FORMAT_F16 ? -1.0 : -2.0)
        + 4.0 * rng_uniform (rng));
    d->mu = scale * (2.0 * rng_uniform (rng) - 1.0);
    d->sigma = scale * pow (10.0, -2.0 + 2.0 * rng_uniform (rng));
  }
  if (rng_int (rng, 0, 15) == 0)
    d->sigma = 0.0;             /* a constant channel */
  d->nonfinite = f->is_float && rng_int (rng, 0, 3) == 0;
}

static inline double
draw_raw (rng_t *rng, int fmt, const chan_dist *d)
{
  const tfmt *f = &tfmts[fmt];
  double v;

  if (d->nonfinite && rng_int (rng, 0, 40) == 0) {
    static const double specials[3] = { NAN, INFINITY, -INFINITY };
    return specials[rng_int (rng, 0, 2)];
  }
  v = d->mu + d->sigma * rng_normal (rng);
  if (!f->is_float)
    return fmin (fmax (nearbyint (v), f->min), f->max);
  if (fmt == R128NORM_FORMAT_F16)
    v = fmin (fmax (v, -60000.0), 60000.0);
  return v;
}

static inline void
fill_channel (rng_t *rng, int fmt, const r128norm_channel *ch,
    const chan_dist *d)
{
  size_t r, i;

  for (r = 0; r < ch->height; r++)
    for (i = 0; i < ch->width; i++)
      store_sample (fmt, sample_ptr (ch, r, i), draw_raw (rng, fmt, d));
}

#endif /* R128NORM_TEST_REF_H */
