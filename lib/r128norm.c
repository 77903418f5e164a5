/* r128norm core: configuration, statistics, running values, and the
 * per-buffer pass that drives the kernels.  See r128norm.h for the API and
 * docs/library.md for the numerics. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "r128norm.h"
#include "r128norm_kernels.h"
#include "r128norm_simd.h"

/* How a format's raw values map to normalized units:
 * normalized = (raw - zero) * scale, raw = normalized * unit + zero (unit
 * is the format's exact 1 / scale, 255 for u8: the per-buffer setup
 * multiplies where it would otherwise divide), and the range integer
 * output saturates to. */
typedef struct {
  size_t size;
  int is_float;
  double zero, scale, unit;
  double min, max;
} format_info;

static const format_info formats[R128NORM_N_FORMATS] = {
  [R128NORM_FORMAT_U8] = {1, 0, 0.0, 1.0 / 255.0, 255.0, 0.0, 255.0},
  [R128NORM_FORMAT_U8_CENTERED] = {1, 0, 128.0, 1.0 / 128.0, 128.0, 0.0,
      255.0},
  [R128NORM_FORMAT_S16] = {2, 0, 0.0, 1.0 / 32768.0, 32768.0, -32768.0,
      32767.0},
  [R128NORM_FORMAT_U16] = {2, 0, 0.0, 1.0 / 65535.0, 65535.0, 0.0, 65535.0},
  [R128NORM_FORMAT_S32] = {4, 0, 0.0, 1.0 / 2147483648.0, 2147483648.0,
      -2147483648.0, 2147483647.0},
  [R128NORM_FORMAT_F16] = {2, 1, 0.0, 1.0, 1.0, -65504.0, 65504.0},
  [R128NORM_FORMAT_F32] = {4, 1, 0.0, 1.0, 1.0, -FLT_MAX, FLT_MAX},
  [R128NORM_FORMAT_F64] = {8, 1, 0.0, 1.0, 1.0, -DBL_MAX, DBL_MAX},
};

/* Forced into their callers: the per-channel steps of a buffer, which the
 * steady stream's loops run with the F32 format's constants (their
 * arithmetic on zero and unit folds away only when inlined; gcc kept
 * them out of line, a call and a return per channel and step) */
#define R128NORM_INLINE __attribute__ ((always_inline))

/* Statistics and running values are kept within this magnitude, so that no
 * combination of them can overflow into Inf - Inf = NaN. */
#define STAT_LIMIT 1e300

/* Channels of at most this many samples a buffer may sum x without a
 * shift (shift_or_zero()). */
#define UNSHIFTED_MAX_SAMPLES 16384.0

/* A sample count and its mean and sum of squared deviations (M2). */
typedef struct {
  uint64_t n;
  double mean, m2;
} moments;

/* Diagnostic sums of one channel over one buffer. */
typedef struct {
  double shift, sum, sumsq;
  uint64_t n, saturated;
  uint64_t histogram[R128NORM_HISTOGRAM_BINS];
} diag_acc;

struct r128norm_state {
  unsigned channels;
  r128norm_format in_format, out_format;
  r128norm_kernels kernel_choice;
  r128norm_kernel_set kernels;
  r128norm_apply_contig_fn lut_source; /* C's u8 apply (its steps in vectors
                                        * where they are), when kernels
                                        * want tables */
  void (*lut_derive) (r128norm_affine *p); /* ... and what they derive from it */
  r128norm_packed packed;      /* interleaved u8 or F32 channels as one row */

  r128norm_config config;     /* gamma and beta point at the arrays below */
  double *gamma, *beta;       /* expanded to one value per channel */
  double *max_gain;           /* expanded; 0 = unlimited */

  double *running_mean, *running_var; /* normalized units */
  unsigned char *seen;                /* channel has a running value */
  int all_seen;                       /* every channel has one */
  int has_running;
  double elapsed;                     /* seconds since create or reset */

  /* per-call scratch, sized at creation: no allocation per buffer */
  r128norm_acc *acc;
  r128norm_clip *clip;
  r128norm_affine *affine;
  moments *batch;       /* per channel */
  /* per channel: the statistic of its group, written by finish_sums()
   * and read after it in the same call only (the steady path, whose
   * groups are single channels, has no use for it) */
  moments *group_batch;
  double *norm_mean, *norm_var;
  uint64_t *non_finite;         /* per channel: the apply's count */
  /* what affine[] was computed from: the same values again (frozen
   * statistics, every buffer) skip the computation and, through
   * affine_gen, the packed path's parameter setup */
  double *affine_mean, *affine_var;
  double affine_strength;
  int affine_valid;             /* cleared by a new config or formats */
  unsigned affine_gen;          /* counts the computations */
  diag_acc *diag;
  r128norm_report *reports;
  int histogram_filled;       /* some report's histogram may be non-zero */

  /* bands of rows (r128norm_set_parallel); per band: sums, counters, the
   * packed path's cache, and the band's channel descriptions */
  unsigned bands;
  r128norm_parallel_fn run;
  void *run_data;
  r128norm_acc *band_acc;
  uint64_t *band_non_finite;
  r128norm_packed *band_packed;
  r128norm_channel *band_in, *band_out;

  /* the u8 -> F32 tables of the kernels that want them, 256 a channel
   * (last, a cold field: above `packed` it moved the offsets of the
   * packed path's per-position arrays, which the audio stream reads) */
  float *lut_f32;
};

void
r128norm_get_version (int *major, int *minor, int *patch)
{
  if (major)
    *major = R128NORM_VERSION_MAJOR;
  if (minor)
    *minor = R128NORM_VERSION_MINOR;
  if (patch)
    *patch = R128NORM_VERSION_PATCH;
}

const char *
r128norm_strerror (int error)
{
  switch (error) {
    case R128NORM_SUCCESS:
      return "success";
    case R128NORM_ERROR_NOMEM:
      return "out of memory";
    case R128NORM_ERROR_INVALID_ARGUMENT:
      return "invalid argument (NULL pointer or value out of range)";
    case R128NORM_ERROR_INVALID_CHANNELS:
      return "invalid channel count";
    case R128NORM_ERROR_INVALID_GROUPS:
      return "groups does not divide the channel count";
    case R128NORM_ERROR_INVALID_FORMAT:
      return "unsupported input/output sample format pair";
    case R128NORM_ERROR_INVALID_LAYOUT:
      return "invalid channel layout (NULL data or mismatched sizes)";
    case R128NORM_ERROR_NO_STATISTICS:
      return "no running statistics yet";
    case R128NORM_ERROR_NO_CHANGE:
      return "nothing changed";
    default:
      return "unknown error";
  }
}

size_t
r128norm_format_size (r128norm_format format)
{
  if ((unsigned) format >= R128NORM_N_FORMATS)
    return 0;
  return formats[format].size;
}

void
r128norm_config_init (r128norm_config *cfg)
{
  if (!cfg)
    return;
  memset (cfg, 0, sizeof *cfg);
  cfg->variant = R128NORM_VARIANT_PER_CHANNEL;
  cfg->groups = 1;
  cfg->stats = R128NORM_STATS_RUNNING;
  cfg->momentum = 0.95;
  cfg->time_constant = 0.0;
  cfg->epsilon = 1e-5;
  cfg->strength = 1.0;
  cfg->warmup = 0.0;
  cfg->clip_sigma = 0.0;
  cfg->min_samples = 16;
}

/* ---- lifetime ------------------------------------------------------- */

r128norm_state *
r128norm_create (unsigned channels, int *error)
{
  r128norm_state *st;
  unsigned c;
  int err = R128NORM_SUCCESS;

  if (channels == 0 || channels > R128NORM_MAX_CHANNELS) {
    err = R128NORM_ERROR_INVALID_CHANNELS;
    goto out;
  }
  st = calloc (1, sizeof *st);
  if (!st) {
    err = R128NORM_ERROR_NOMEM;
    goto out;
  }
  st->channels = channels;
  st->gamma = calloc (channels, sizeof *st->gamma);
  st->beta = calloc (channels, sizeof *st->beta);
  st->max_gain = calloc (channels, sizeof *st->max_gain);
  st->running_mean = calloc (channels, sizeof *st->running_mean);
  st->running_var = calloc (channels, sizeof *st->running_var);
  st->seen = calloc (channels, sizeof *st->seen);
  st->acc = calloc (channels, sizeof *st->acc);
  st->clip = calloc (channels, sizeof *st->clip);
  st->affine = calloc (channels, sizeof *st->affine);
  st->batch = calloc (channels, sizeof *st->batch);
  st->group_batch = calloc (channels, sizeof *st->group_batch);
  st->norm_mean = calloc (channels, sizeof *st->norm_mean);
  st->norm_var = calloc (channels, sizeof *st->norm_var);
  st->non_finite = calloc (channels, sizeof *st->non_finite);
  st->affine_mean = calloc (channels, sizeof *st->affine_mean);
  st->affine_var = calloc (channels, sizeof *st->affine_var);
  st->diag = calloc (channels, sizeof *st->diag);
  st->reports = calloc (channels, sizeof *st->reports);
  if (!st->gamma || !st->beta || !st->max_gain || !st->running_mean
      || !st->running_var
      || !st->seen || !st->acc || !st->clip || !st->affine || !st->batch
      || !st->group_batch || !st->norm_mean || !st->norm_var
      || !st->non_finite
      || !st->affine_mean || !st->affine_var || !st->diag || !st->reports) {
    r128norm_destroy (&st);
    err = R128NORM_ERROR_NOMEM;
    goto out;
  }
  r128norm_config_init (&st->config);
  for (c = 0; c < channels; c++) {
    st->gamma[c] = 1.0;
    st->beta[c] = 0.0;
    st->running_var[c] = 1.0;
  }
  st->config.gamma = st->gamma;
  st->config.n_gamma = channels;
  st->config.beta = st->beta;
  st->config.n_beta = channels;
  st->config.max_gain = st->max_gain;
  st->config.n_max_gain = channels;
  st->kernel_choice = R128NORM_KERNELS_AUTO;
  r128norm_set_formats (st, R128NORM_FORMAT_F32, R128NORM_FORMAT_F32);

out:
  if (error)
    *error = err;
  return err == R128NORM_SUCCESS ? st : NULL;
}

void
r128norm_destroy (r128norm_state **st)
{
  r128norm_state *s;

  if (!st || !*st)
    return;
  s = *st;
  free (s->gamma);
  free (s->beta);
  free (s->max_gain);
  free (s->running_mean);
  free (s->running_var);
  free (s->seen);
  free (s->acc);
  free (s->clip);
  free (s->affine);
  free (s->lut_f32);
  free (s->batch);
  free (s->group_batch);
  free (s->norm_mean);
  free (s->norm_var);
  free (s->non_finite);
  free (s->affine_mean);
  free (s->affine_var);
  free (s->diag);
  free (s->reports);
  free (s->band_acc);
  free (s->band_non_finite);
  free (s->band_packed);
  free (s->band_in);
  free (s->band_out);
  free (s);
  *st = NULL;
}

unsigned
r128norm_get_channels (const r128norm_state *st)
{
  return st ? st->channels : 0;
}

/* ---- formats and kernels -------------------------------------------- */

static int
choose_kernels (r128norm_state *st, r128norm_format in, r128norm_format out)
{
  r128norm_kernel_set set;

  if (!r128norm_kernels_c (in, out, &set))
    return R128NORM_ERROR_INVALID_FORMAT;
  if (st->kernel_choice != R128NORM_KERNELS_C)
    r128norm_kernels_orc (in, out, &set);
  /* AVX2 beats ORC's SSE JIT wherever it has a kernel; without it (SSE
   * alone, ARM) u8 -> u8 by table beats ORC's single precision steps, and
   * the portable vectors beat ORC and C on float and 16-bit rows and the
   * sums of u8 rows (docs/performance.md) */
  if ((st->kernel_choice == R128NORM_KERNELS_AUTO
          || st->kernel_choice == R128NORM_KERNELS_SIMD)
      && !r128norm_kernels_x86 (in, out, &set)) {
    r128norm_kernels_table (in, out, &set);
    r128norm_kernels_vec (in, out, &set);
  }
  /* u8 -> F32 tables: allocated with the first kernels that want them,
   * before anything of the state changes (a failure leaves it as it was) */
  if (set.wants_lut && out == R128NORM_FORMAT_F32) {
    if (!st->lut_f32)
      st->lut_f32 = calloc ((size_t) st->channels * 256, sizeof (float));
    if (!st->lut_f32)
      return R128NORM_ERROR_NOMEM;
    for (unsigned c = 0; c < st->channels; c++)
      st->affine[c].lut_f32 = st->lut_f32 + 256 * (size_t) c;
  }
  r128norm_packed_init (&st->packed, in, out,
      st->kernel_choice == R128NORM_KERNELS_AUTO
      || st->kernel_choice == R128NORM_KERNELS_SIMD);
  for (unsigned b = 0; b < st->bands; b++)
    st->band_packed[b] = st->packed;
  st->kernels = set;
  st->lut_source = NULL;
  st->lut_derive = set.wants_lut ? set.lut_derive : NULL;
  if (set.wants_lut || st->packed.wants_lut) {
    st->lut_source = r128norm_u8_steps_vec (in, out);
    if (!st->lut_source) {
      r128norm_kernel_set c;
      r128norm_kernels_c (in, out, &c);
      st->lut_source = c.apply_contig;
    }
  }
  st->in_format = in;
  st->out_format = out;
  st->affine_valid = 0;
  return R128NORM_SUCCESS;
}

int
r128norm_set_formats (r128norm_state *st, r128norm_format in,
    r128norm_format out)
{
  if (!st)
    return R128NORM_ERROR_INVALID_ARGUMENT;
  if ((unsigned) in >= R128NORM_N_FORMATS
      || (unsigned) out >= R128NORM_N_FORMATS)
    return R128NORM_ERROR_INVALID_FORMAT;
  return choose_kernels (st, in, out);
}

int
r128norm_set_kernels (r128norm_state *st, r128norm_kernels kernels)
{
  if (!st || (unsigned) kernels > R128NORM_KERNELS_SIMD)
    return R128NORM_ERROR_INVALID_ARGUMENT;
  r128norm_kernels before = st->kernel_choice;
  int err;

  st->kernel_choice = kernels;
  err = choose_kernels (st, st->in_format, st->out_format);
  if (err != R128NORM_SUCCESS)
    st->kernel_choice = before; /* the kernels in use are still before's */
  return err;
}

const char *
r128norm_get_kernel_name (const r128norm_state *st)
{
  return st ? st->kernels.name : "none";
}

int
r128norm_set_parallel (r128norm_state *st, unsigned bands,
    r128norm_parallel_fn run, void *user_data)
{
  size_t n;
  r128norm_acc *acc;
  uint64_t *non_finite;
  r128norm_packed *packed;
  r128norm_channel *in, *out;

  if (!st || bands == 0 || bands > R128NORM_MAX_BANDS)
    return R128NORM_ERROR_INVALID_ARGUMENT;
  if (bands == st->bands) {
    st->run = run;
    st->run_data = user_data;
    return R128NORM_SUCCESS;
  }
  n = (size_t) bands * st->channels;
  acc = calloc (n, sizeof *acc);
  non_finite = calloc (n, sizeof *non_finite);
  packed = calloc (bands, sizeof *packed);
  in = calloc (n, sizeof *in);
  out = calloc (n, sizeof *out);
  if (!acc || !non_finite || !packed || !in || !out) {
    free (acc);
    free (non_finite);
    free (packed);
    free (in);
    free (out);
    return R128NORM_ERROR_NOMEM;
  }
  free (st->band_acc);
  free (st->band_non_finite);
  free (st->band_packed);
  free (st->band_in);
  free (st->band_out);
  st->band_acc = acc;
  st->band_non_finite = non_finite;
  st->band_packed = packed;
  st->band_in = in;
  st->band_out = out;
  st->bands = bands;
  st->run = run;
  st->run_data = user_data;
  for (unsigned b = 0; b < bands; b++)
    st->band_packed[b] = st->packed;
  return R128NORM_SUCCESS;
}

/* ---- configuration -------------------------------------------------- */

static int
in_range (double v, double lo, double hi)
{
  return v >= lo && v <= hi;    /* false for NaN */
}

static int
valid_array (const double *values, unsigned n, unsigned channels)
{
  unsigned i;

  if (n != 0 && n != 1 && n != channels)
    return 0;
  if (n > 0 && !values)
    return 0;
  for (i = 0; i < n; i++)
    if (!isfinite (values[i]))
      return 0;
  return 1;
}

static void
expand_array (double *dst, const double *values, unsigned n,
    unsigned channels, double fallback)
{
  unsigned c;

  for (c = 0; c < channels; c++)
    dst[c] = n == 0 ? fallback : values[n == 1 ? 0 : c];
}

static int
same_expanded (const double *current, const double *values, unsigned n,
    unsigned channels, double fallback)
{
  unsigned c;

  for (c = 0; c < channels; c++)
    if (current[c] != (n == 0 ? fallback : values[n == 1 ? 0 : c]))
      return 0;
  return 1;
}

int
r128norm_set_config (r128norm_state *st, const r128norm_config *cfg)
{
  const r128norm_config *old;
  unsigned c;

  if (!st || !cfg)
    return R128NORM_ERROR_INVALID_ARGUMENT;
  if ((unsigned) cfg->variant > R128NORM_VARIANT_AUTO
      || (unsigned) cfg->stats > R128NORM_STATS_FROZEN
      || !in_range (cfg->momentum, 0.0, 1.0)
      || !in_range (cfg->time_constant, 0.0, DBL_MAX)
      || !in_range (cfg->epsilon, 0.0, 1.0)
      || !in_range (cfg->strength, 0.0, 1.0)
      || !in_range (cfg->warmup, 0.0, DBL_MAX)
      || !in_range (cfg->clip_sigma, 0.0, DBL_MAX))
    return R128NORM_ERROR_INVALID_ARGUMENT;
  if (cfg->groups == 0 || (cfg->variant == R128NORM_VARIANT_GROUP
          && st->channels % cfg->groups != 0))
    return R128NORM_ERROR_INVALID_GROUPS;
  if (!valid_array (cfg->gamma, cfg->n_gamma, st->channels)
      || !valid_array (cfg->beta, cfg->n_beta, st->channels)
      || !valid_array (cfg->max_gain, cfg->n_max_gain, st->channels))
    return R128NORM_ERROR_INVALID_CHANNELS;
  for (c = 0; c < cfg->n_max_gain; c++)
    if (cfg->max_gain[c] < 0.0)
      return R128NORM_ERROR_INVALID_ARGUMENT;

  old = &st->config;
  if (old->variant == cfg->variant && old->groups == cfg->groups
      && old->stats == cfg->stats && old->momentum == cfg->momentum
      && old->time_constant == cfg->time_constant
      && old->epsilon == cfg->epsilon && old->strength == cfg->strength
      && old->warmup == cfg->warmup && old->clip_sigma == cfg->clip_sigma
      && old->min_samples == cfg->min_samples
      && !old->diagnostics == !cfg->diagnostics
      && same_expanded (st->gamma, cfg->gamma, cfg->n_gamma, st->channels, 1.0)
      && same_expanded (st->beta, cfg->beta, cfg->n_beta, st->channels, 0.0)
      && same_expanded (st->max_gain, cfg->max_gain, cfg->n_max_gain,
          st->channels, 0.0))
    return R128NORM_ERROR_NO_CHANGE;

  /* copy the arrays first: cfg may point into them */
  expand_array (st->gamma, cfg->gamma, cfg->n_gamma, st->channels, 1.0);
  expand_array (st->beta, cfg->beta, cfg->n_beta, st->channels, 0.0);
  expand_array (st->max_gain, cfg->max_gain, cfg->n_max_gain, st->channels,
      0.0);
  st->config = *cfg;
  st->affine_valid = 0;
  st->config.gamma = st->gamma;
  st->config.n_gamma = st->channels;
  st->config.beta = st->beta;
  st->config.n_beta = st->channels;
  st->config.max_gain = st->max_gain;
  st->config.n_max_gain = st->channels;
  return R128NORM_SUCCESS;
}

/* ---- running statistics --------------------------------------------- */

int
r128norm_get_running (const r128norm_state *st, double *mean, double *var,
    unsigned n)
{
  unsigned c;

  if (!st || (!mean && !var))
    return R128NORM_ERROR_INVALID_ARGUMENT;
  if (n != st->channels)
    return R128NORM_ERROR_INVALID_CHANNELS;
  /* copied in a loop: the element asks after every buffer, for a few
   * channels, where a call into libc's memcpy costs more than the copy */
  for (c = 0; c < n; c++) {
    if (mean)
      mean[c] = st->running_mean[c];
    if (var)
      var[c] = st->running_var[c];
  }
  return st->has_running ? R128NORM_SUCCESS : R128NORM_ERROR_NO_STATISTICS;
}

int
r128norm_set_running (r128norm_state *st, const double *mean,
    const double *var, unsigned n)
{
  unsigned c;

  if (!st || (!mean && !var))
    return R128NORM_ERROR_INVALID_ARGUMENT;
  if (n != st->channels)
    return R128NORM_ERROR_INVALID_CHANNELS;
  for (c = 0; c < n; c++) {
    if (mean && !in_range (mean[c], -STAT_LIMIT, STAT_LIMIT))
      return R128NORM_ERROR_INVALID_ARGUMENT;
    if (var && !in_range (var[c], 0.0, STAT_LIMIT))
      return R128NORM_ERROR_INVALID_ARGUMENT;
  }
  for (c = 0; c < n; c++) {
    if (mean)
      st->running_mean[c] = mean[c];
    if (var)
      st->running_var[c] = var[c];
    st->seen[c] = 1;
  }
  st->has_running = 1;
  st->all_seen = 1;
  return R128NORM_SUCCESS;
}

int
r128norm_has_running (const r128norm_state *st)
{
  return st ? st->has_running : 0;
}

void
r128norm_reset (r128norm_state *st)
{
  unsigned c;

  if (!st)
    return;
  for (c = 0; c < st->channels; c++) {
    st->running_mean[c] = 0.0;
    st->running_var[c] = 1.0;
    st->seen[c] = 0;
  }
  st->has_running = 0;
  st->all_seen = 0;
  st->elapsed = 0.0;
}

const r128norm_report *
r128norm_get_report (const r128norm_state *st, unsigned channel)
{
  if (!st || channel >= st->channels)
    return NULL;
  return &st->reports[channel];
}

/* ---- statistics helpers --------------------------------------------- */

R128NORM_HOT static double
clamp (double v, double lo, double hi)
{
  /* two statements, not one nested condition: maxsd and minsd, no branch
   * (the same value for every v, NaN included) */
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}

/* Chan et al.'s pairwise combination of two sets of moments. */
R128NORM_HOT static void
moments_combine (moments *a, const moments *b)
{
  uint64_t n;
  double delta;

  if (b->n == 0)
    return;
  if (a->n == 0) {
    *a = *b;
    return;
  }
  n = a->n + b->n;
  delta = b->mean - a->mean;
  a->mean += delta * ((double) b->n / (double) n);
  a->m2 += b->m2 + delta * delta * ((double) a->n * (double) b->n / (double) n);
  a->n = n;
}

/* The moments of a channel's sums, in normalized units. */
R128NORM_HOT static inline R128NORM_INLINE moments
acc_to_moments (const format_info *fi, const r128norm_acc *acc,
    const r128norm_clip *clip)
{
  moments m = { 0, 0.0, 0.0 };

  if (fi->is_float) {
    if (acc->n > 0) {
      double n = (double) acc->n;
      m.n = acc->n;
      m.mean = clip->shift + acc->fsum / n;
      m.m2 = acc->fsq - acc->fsum * (acc->fsum / n);
      /* sums without a shift (shift_or_zero()), F32 or F16: a variance
       * within their rounding (4 n u sum x^2) is 0, as a constant
       * channel's is, exactly, with a shift (and SPEC 4 then needs it to
       * be: epsilon alone).  Under that rule such a variance is at most
       * 0.5e-12, the true one at most 1e-12: within SPEC 3's absolute
       * tolerance */
      if (clip->shift == 0.0 && fi->size <= 4
          && acc->n + acc->non_finite <= UNSHIFTED_MAX_SAMPLES
          && m.m2 <= 2.0 * DBL_EPSILON * n * acc->fsq)
        m.m2 = 0.0;
    }
  } else {
    uint64_t n_in = acc->n - acc->n_lo - acc->n_hi;
    if (n_in > 0) {
      /* M2 = (n * sumsq - sum^2) / n, with an exact numerator whenever it
       * fits 128 bits (always below 2^40 samples of up to 16 bits, and
       * below 2^33 samples of 32 bits) */
      unsigned __int128 abs_sum = acc->sum < 0
          ? (unsigned __int128) (-(acc->sum + 1)) + 1
          : (unsigned __int128) acc->sum;
      unsigned __int128 sum2 = abs_sum * abs_sum;
      m.n = n_in;
      m.mean = (double) acc->sum / (double) n_in;
      if (acc->sumsq <= ~(unsigned __int128) 0 / n_in)
        m.m2 = (double) (acc->sumsq * n_in - sum2) / (double) n_in;
      else
        m.m2 = (double) ((long double) acc->sumsq
            - (long double) sum2 / (long double) n_in);
    }
    if (acc->n_lo > 0) {
      moments lo = { acc->n_lo, clip->lo, 0.0 };
      moments_combine (&m, &lo);
    }
    if (acc->n_hi > 0) {
      moments hi = { acc->n_hi, clip->hi, 0.0 };
      moments_combine (&m, &hi);
    }
  }
  m.mean = clamp ((m.mean - fi->zero) * fi->scale, -STAT_LIMIT, STAT_LIMIT);
  m.m2 = clamp (m.m2 * fi->scale * fi->scale, 0.0, STAT_LIMIT);
  if (isnan (m.mean))
    m.mean = 0.0;
  if (isnan (m.m2))
    m.m2 = STAT_LIMIT;
  return m;
}

R128NORM_HOT static double
moments_var (const moments *m)
{
  double v;

  if (m->n == 0)
    return 1.0;
  v = m->m2 / (double) m->n;
  return clamp (v, 0.0, STAT_LIMIT);
}

static double
raw_from_normalized (const format_info *fi, double v)
{
  return v * fi->unit + fi->zero;
}

/* One sample of any format, as a double in raw units (diagnostics only). */
static double
load_raw (r128norm_format format, const uint8_t *p)
{
  union {
    uint8_t u8;
    int16_t s16;
    uint16_t u16;
    int32_t s32;
    float f32;
    double f64;
  } v;

  memcpy (&v, p, formats[format].size);
  switch (format) {
    case R128NORM_FORMAT_U8:
    case R128NORM_FORMAT_U8_CENTERED:
      return v.u8;
    case R128NORM_FORMAT_S16:
      return v.s16;
    case R128NORM_FORMAT_U16:
      return v.u16;
    case R128NORM_FORMAT_S32:
      return v.s32;
    case R128NORM_FORMAT_F16:
      return r128norm_half_to_float (v.u16);
    case R128NORM_FORMAT_F32:
      return v.f32;
    default:
      return v.f64;
  }
}

/* ---- per-buffer setup ----------------------------------------------- */

R128NORM_HOT static unsigned
group_size (const r128norm_state *st, r128norm_variant variant)
{
  switch (variant) {
    case R128NORM_VARIANT_LAYER:
      return st->channels;
    case R128NORM_VARIANT_GROUP:
      return st->channels / st->config.groups;
    default:
      return 1;
  }
}

R128NORM_HOT static r128norm_variant
effective_variant (const r128norm_state *st, const r128norm_channel *in)
{
  unsigned c;

  if (st->config.variant != R128NORM_VARIANT_AUTO)
    return st->config.variant;
  for (c = 0; c < st->channels; c++)
    if (in[c].width * in[c].height < st->config.min_samples)
      return R128NORM_VARIANT_LAYER;
  return R128NORM_VARIANT_PER_CHANNEL;
}

/* First finite sample of a channel, a shift close enough to the mean to
 * keep the float sums free of cancellation. */
R128NORM_HOT static double
first_finite (r128norm_format format, const r128norm_channel *ch)
{
  size_t r, i;

  for (r = 0; r < ch->height; r++) {
    const uint8_t *row = (const uint8_t *) ch->data + (ptrdiff_t) r * ch->stride;
    for (i = 0; i < ch->width; i++) {
      const uint8_t *p = row + (ptrdiff_t) i * ch->step;
      double x;
      if (format == R128NORM_FORMAT_F32) {
        float f;                /* the common case without the switch */
        memcpy (&f, p, sizeof f);
        x = f;
      } else {
        x = load_raw (format, p);
      }
      if (isfinite (x))
        return x;
    }
  }
  return 0.0;
}

/* The shift of a channel's float sums: its first finite sample.  F32's
 * first sample, finite in nearly every buffer, is taken without the
 * search. */
R128NORM_HOT static inline R128NORM_INLINE double
sums_shift (r128norm_format format, const r128norm_channel *ch)
{
  float first;

  if (format == R128NORM_FORMAT_F32 && ch->width > 0 && ch->height > 0) {
    memcpy (&first, ch->data, sizeof first);
    if (isfinite (first))
      return first;
  }
  return first_finite (format, ch);
}

/* 0 in place of @shift where the sums of x itself are as exact as SPEC 3
 * asks, which spares the kernels a subtraction a sample (a third of the
 * statistics' arithmetic after the conversions; docs/library.md, "Sums
 * without a shift").  Unshifted, the sums of a channel's n samples err by
 * at most 4 n u (x-bar^2 + var) in the variance (u = 2^-53, any order of
 * addition), and x-bar^2 <= 2 n var + 2 x1^2 for any sample x1 (the
 * shift, a sample that enters the statistics): with n <= 16384 and
 * n x1^2 <= 512 that stays under 0.5e-6 var + 0.5e-12, half of SPEC 3's
 * 1e-6 relative plus 1e-12 absolute.  10 ms of audio in [-1, 1] at 48
 * kHz always qualifies; large frames and data far from 0 keep the shift.
 * F32 and F16 only: their samples have at most 24 bits, so the sum of a
 * constant channel is exact, and with it the mean (acc_to_moments()
 * makes its variance 0 again); F64 keeps the shift.  With clip-sigma, 0
 * must lie within the clamp bounds, as the shift does: the kernels sum
 * 0 - shift, clamped, for a NaN. */
R128NORM_HOT static inline R128NORM_INLINE double
shift_or_zero (r128norm_format format, double shift,
    const r128norm_channel *ch, const r128norm_clip *clip)
{
  const double n = (double) ch->width * (double) ch->height;

  if (format == R128NORM_FORMAT_F64
      || (clip->active && !(clip->lo <= 0.0 && 0.0 <= clip->hi)))
    return shift;
  return n <= UNSHIFTED_MAX_SAMPLES && n * shift * shift <= 512.0
      ? 0.0 : shift;
}

R128NORM_HOT static void
setup_sums (r128norm_state *st, const r128norm_channel *in)
{
  const format_info *fi = &formats[st->in_format];
  const double k = st->config.clip_sigma;
  unsigned c;

  for (c = 0; c < st->channels; c++) {
    r128norm_clip *clip = &st->clip[c];
    memset (&st->acc[c], 0, sizeof st->acc[c]);
    memset (clip, 0, sizeof *clip);
    if (st->seen[c] && k > 0.0) {
      /* finite: a running mean near the statistics' limit is beyond
       * double's range in raw S16 units, and Inf - Inf would make the
       * bounds NaN (found by fuzzing) */
      double mean = clamp (raw_from_normalized (fi, st->running_mean[c]),
          -DBL_MAX, DBL_MAX);
      /* sigma as the normalization sees it: with var + epsilon, a constant
       * start (black frames, silence) cannot pin every later sample to the
       * mean forever */
      double spread = k * sqrt (st->running_var[c] + st->config.epsilon)
          * fi->unit;
      clip->active = 1;
      clip->lo = clamp (mean - spread, -DBL_MAX, DBL_MAX);
      clip->hi = clamp (mean + spread, -DBL_MAX, DBL_MAX);
      if (!fi->is_float) {
        /* integer x < ilo exactly when x < lo; x > ihi when x > hi */
        clip->ilo = (int64_t) clamp (ceil (clip->lo), -4e18, 4e18);
        clip->ihi = (int64_t) clamp (floor (clip->hi), -4e18, 4e18);
      }
    }
    if (fi->is_float) {
      /* Shift by a sample that enters the statistics, not by the running
       * mean: (x1 - mean)^2 <= n * var for any sample x1, so the sums of
       * x - x1 lose at most a factor n to cancellation, while the running
       * mean can be arbitrarily far from this buffer's data. */
      clip->shift = sums_shift (st->in_format, &in[c]);
      if (clip->active)
        clip->shift = clamp (clip->shift, clip->lo, clip->hi);
      clip->shift = shift_or_zero (st->in_format, clip->shift, &in[c],
          clip);
    }
  }
}

R128NORM_HOT static void
finish_sums (r128norm_state *st, r128norm_variant variant)
{
  const format_info *fi = &formats[st->in_format];
  unsigned size = group_size (st, variant), c, g;

  for (c = 0; c < st->channels; c++)
    st->batch[c] = acc_to_moments (fi, &st->acc[c], &st->clip[c]);
  if (size == 1) {
    /* per channel: each its own group (moments of no samples are never
     * read, whatever their mean) */
    for (c = 0; c < st->channels; c++)
      st->group_batch[c] = st->batch[c];
    return;
  }
  for (g = 0; g < st->channels; g += size) {
    moments m = { 0, 0.0, 0.0 };
    for (c = g; c < g + size; c++)
      moments_combine (&m, &st->batch[c]);
    for (c = g; c < g + size; c++)
      st->group_batch[c] = m;
  }
}

R128NORM_HOT static int
same_bits (double a, double b)
{
  uint64_t x, y;

  memcpy (&x, &a, sizeof x);
  memcpy (&y, &b, sizeof y);
  return x == y;
}

/* Channel c's affine map from norm_mean and norm_var at @strength, for
 * input and output formats @fi and @fo (inlined with constant ones, the
 * arithmetic of the formats' zeros and units folds away, and only it). */
R128NORM_HOT static inline R128NORM_INLINE void
affine_of (r128norm_state *st, unsigned c, double strength,
    const format_info *fi, const format_info *fo)
{
  r128norm_affine *p = &st->affine[c];
  double mean = st->norm_mean[c];
  double denom = st->norm_var[c] + st->config.epsilon;
  double inv = denom > 0.0 ? 1.0 / sqrt (denom) : 0.0;
  double s = strength, gain, k, target, cr, a, b;

  st->affine_mean[c] = mean;
  st->affine_var[c] = st->norm_var[c];
  if (!isfinite (inv))
    inv = 0.0;
  /* a huge gamma over a tiny variance must not overflow into Inf,
   * which would meet a zero later and become NaN */
  gain = clamp (st->gamma[c] * inv, -STAT_LIMIT, STAT_LIMIT);
  if (st->max_gain[c] > 0.0 && fabs (gain) > st->max_gain[c])
    gain = copysign (st->max_gain[c], gain);
  /* out = x + s * (y - x) with y = gain * (x - mean) + beta, all linear
   * in x: out = k * (x - mean) + target */
  k = 1.0 - s + s * gain;
  /* not mean + s (beta - mean): beta - mean can overflow to Inf, and
   * strength 0 times Inf is NaN (found by fuzzing) */
  target = (1.0 - s) * mean + s * st->beta[c];
  cr = raw_from_normalized (fi, mean);
  if (!fi->is_float)
    cr = nearbyint (clamp (cr, fi->min, fi->max));
  a = k * fi->scale * fo->unit;
  b = (k * ((cr - fi->zero) * fi->scale - mean) + target) * fo->unit
      + fo->zero;
  p->c = cr;
  p->a = clamp (a, -STAT_LIMIT, STAT_LIMIT);
  p->b = clamp (b, -STAT_LIMIT, STAT_LIMIT);
  p->lo = fo->min;
  p->hi = fo->max;
  p->non_finite = clamp (target * fo->unit + fo->zero, fo->min, fo->max);
  p->cf = (float) cr;
  p->af = (float) clamp (a, -1e30, 1e30);
  p->bf = (float) clamp (b, -1e30, 1e30);
  p->lof = (float) fo->min;
  p->hif = (float) fo->max;
  p->has_lut = 0;
  if (st->lut_source) {
    /* every u8 value through the C kernel's steps: 256 samples, once a
     * buffer */
    uint8_t ramp[256];
    unsigned v;
    for (v = 0; v < 256; v++)
      ramp[v] = (uint8_t) v;
    st->lut_source (ramp, st->out_format == R128NORM_FORMAT_F32
        ? (void *) p->lut_f32 : (void *) p->lut, 256, p);
    p->has_lut = 1;
    /* u8 out: no map of integers but the one derived from this table
     * (the packed path takes it where its shift is the row's) */
    if (fo->size == 1)
      p->lut_fixed.shift = 0;
    if (st->lut_derive)
      st->lut_derive (p);
  }
}

/* A new generation of affine[], at @strength: what setup_affine()
 * compares with and the packed path's parameters follow (affine_gen).
 * affine_of() then fills each channel. */
R128NORM_HOT static void
new_affine (r128norm_state *st, double strength)
{
  st->affine_strength = strength;
  st->affine_valid = 1;
  st->affine_gen++;
}

/* affine[] from norm_mean and norm_var at @strength, whatever it was
 * computed from before. */
R128NORM_HOT static void
compute_affine (r128norm_state *st, double strength)
{
  unsigned c;

  new_affine (st, strength);
  if (st->in_format == R128NORM_FORMAT_F32
      && st->out_format == R128NORM_FORMAT_F32) {
    /* audio and float tensors: the maps of every buffer in running mode */
    for (c = 0; c < st->channels; c++)
      affine_of (st, c, strength, &formats[R128NORM_FORMAT_F32],
          &formats[R128NORM_FORMAT_F32]);
    return;
  }
  for (c = 0; c < st->channels; c++)
    affine_of (st, c, strength, &formats[st->in_format],
        &formats[st->out_format]);
}

/* affine[] for norm_mean and norm_var at @strength, unless it was
 * computed from the same values (frozen statistics: every buffer). */
R128NORM_HOT static void
setup_affine (r128norm_state *st, double strength)
{
  int same = st->affine_valid && strength == st->affine_strength;
  unsigned c;

  /* compared bit for bit, channel by channel: two channels are not worth
   * two calls into libc (affine_of() keeps the values it used) */
  for (c = 0; c < st->channels; c++)
    same &= same_bits (st->norm_mean[c], st->affine_mean[c])
        && same_bits (st->norm_var[c], st->affine_var[c]);
  if (!same)
    compute_affine (st, strength);
}

/* One output value (in the output's normalized units) into channel c's
 * output moments, shifted by the first for their precision. */
static void
diag_add_output (diag_acc *d, double o)
{
  if (d->n == 0)
    d->shift = o;
  o -= d->shift;
  d->sum += o;
  d->sumsq += o * o;
  d->n++;
}

/* Whether the output moments are read from the output row once written
 * (integer in and out: every sample is finite and its output is the
 * kernel's own rounding, which the double steps here would miss at a tie:
 * chroma's beta 127.5 with a gain of 1) rather than computed here. */
static int
diag_reads_output (const r128norm_state *st)
{
  return !formats[st->in_format].is_float
      && !formats[st->out_format].is_float;
}

/* Histogram and saturation of one row, and its output moments where the
 * output is float, computed from the input before it is overwritten, with
 * the arithmetic the kernels use. */
R128NORM_COLD static void
diagnose_row (const r128norm_state *st, unsigned c, const uint8_t *row,
    ptrdiff_t step, size_t width)
{
  const format_info *fi = &formats[st->in_format];
  const format_info *fo = &formats[st->out_format];
  const r128norm_affine *p = &st->affine[c];
  const int moments_here = !diag_reads_output (st);
  diag_acc *d = &st->diag[c];
  double denom = st->norm_var[c] + st->config.epsilon;
  double inv = denom > 0.0 ? 1.0 / sqrt (denom) : 0.0;
  size_t i;

  for (i = 0; i < width; i++) {
    double x = load_raw (st->in_format, row + (ptrdiff_t) i * step);
    double z, v;
    int bin;

    if (!isfinite (x))
      continue;
    /* clamped first: an infinite difference times a zero scale
     * (variance and epsilon 0) would make z NaN and the bin index garbage */
    z = clamp ((x - fi->zero) * fi->scale - st->norm_mean[c], -DBL_MAX,
        DBL_MAX) * inv;
    z = clamp ((z + 4.0) * (R128NORM_HISTOGRAM_BINS / 8.0), 0.0,
        R128NORM_HISTOGRAM_BINS - 1);
    bin = (int) z;
    d->histogram[bin]++;
    v = clamp (x - p->c, -DBL_MAX, DBL_MAX) * p->a + p->b;
    if (!fo->is_float) {
      if (v < fo->min || v > fo->max)
        d->saturated++;
    } else if (moments_here) {
      diag_add_output (d, (clamp (v, fo->min, fo->max) - fo->zero)
          * fo->scale);
    }
  }
}

/* The output moments of one integer row just written (diag_reads_output). */
R128NORM_COLD static void
diagnose_output_row (const r128norm_state *st, unsigned c,
    const uint8_t *row, ptrdiff_t step, size_t width)
{
  const format_info *fo = &formats[st->out_format];
  diag_acc *d = &st->diag[c];
  size_t i;

  for (i = 0; i < width; i++)
    diag_add_output (d, (load_raw (st->out_format, row + (ptrdiff_t) i
                * step) - fo->zero) * fo->scale);
}

/* ---- the pass over memory ------------------------------------------- */

static void
sum_row (const r128norm_state *st, unsigned c, const uint8_t *row,
    const r128norm_channel *ch, r128norm_acc *acc)
{
  if (ch->step == (ptrdiff_t) formats[st->in_format].size
      && st->kernels.stats_contig)
    st->kernels.stats_contig (row, ch->width, &st->clip[c], &acc[c]);
  else
    st->kernels.stats (row, ch->step, ch->width, &st->clip[c], &acc[c]);
}

static uint64_t
apply_row (const r128norm_state *st, unsigned c, const uint8_t *in_row,
    const r128norm_channel *in, uint8_t *out_row, const r128norm_channel *out)
{
  if (in->step == (ptrdiff_t) formats[st->in_format].size
      && out->step == (ptrdiff_t) formats[st->out_format].size
      && st->kernels.apply_contig)
    return st->kernels.apply_contig (in_row, out_row, in->width,
        &st->affine[c]);
  return st->kernels.apply (in_row, in->step, out_row, out->step, in->width,
      &st->affine[c]);
}

/* Channels that share rows are walked rows in the outer loop and channels
 * in the inner one, so that their rows stream through the cache once even
 * when they are visited channel by channel: each row is summed and
 * normalized while it is hot.  Channels in planes of their own (I420,
 * planar tensors) are walked one whole plane after the other: one stream
 * through memory at a time, which the measurements show is much faster
 * than a row of each plane in turn (frozen 3x1080x1920 F32: 1.19 -> 0.82
 * ms).  The packed path goes first, and the rows take what it left: all
 * channels, none, or a semi-planar buffer's first (NV12's Y).  Sums go
 * to @acc, non-finite counts to @non_finite. */
R128NORM_HOT static void
pass_rows (r128norm_state *st, const r128norm_channel *in,
    const r128norm_channel *out, int sum, int apply, r128norm_acc *acc,
    uint64_t *non_finite, r128norm_packed *packed)
{
  /* what the rows below take: the sums of channels [0, sum_end), the
   * apply of [0, apply_end) */
  unsigned c, first, end, sum_end = st->channels, apply_end = st->channels;
  unsigned packed_first, last;
  size_t r;

  if (!(apply && st->config.diagnostics)) {
    if (r128norm_packed_pass (packed, st->channels, in, out, sum, apply,
            st->clip, acc, st->affine, st->affine_gen, non_finite,
            &packed_first))
      sum_end = apply_end = packed_first;
    /* the packed path cannot write this output (out of place into another
     * layout: RGB to a chw tensor) but may still take the sums, in a pass
     * of their own at memory speed, where the rows below would gather
     * each channel's samples apart (1080p RGB u8 -> chw F32, running:
     * 2.09 -> 1.54 ms, r128norm-bench) */
    else if (sum && apply && r128norm_packed_pass (packed, st->channels, in,
            out, 1, 0, st->clip, acc, st->affine, st->affine_gen, NULL,
            &packed_first))
      sum_end = packed_first;
  }
  if (!sum)
    sum_end = 0;
  if (!apply)
    apply_end = 0;
  last = sum_end > apply_end ? sum_end : apply_end;

  for (first = 0; first < last; first = end) {
    size_t rows = 0;
    /* the run of channels sharing rows with the first of them */
    for (end = first + 1; end < last && r128norm_same_rows (&in[first],
            &in[end]);
        end++);
    for (c = first; c < end; c++)
      if (in[c].width > 0 && in[c].height > rows)
        rows = in[c].height;
    for (r = 0; r < rows; r++) {
      for (c = first; c < end; c++) {
        const r128norm_channel *ic = &in[c], *oc = &out[c];
        const uint8_t *in_row;
        uint8_t *out_row;

        if (r >= ic->height || ic->width == 0)
          continue;
        in_row = (const uint8_t *) ic->data + (ptrdiff_t) r * ic->stride;
        out_row = (uint8_t *) oc->data + (ptrdiff_t) r * oc->stride;
        if (c < sum_end)
          sum_row (st, c, in_row, ic, acc);
        if (c < apply_end) {
          if (st->config.diagnostics)
            diagnose_row (st, c, in_row, ic->step, ic->width);
          /* zeroed for every channel by r128norm_process(); the analyzer
           * cannot follow that through st->channels */
          /* NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign) */
          non_finite[c] += apply_row (st, c, in_row, ic, out_row, oc);
          if (st->config.diagnostics && diag_reads_output (st))
            diagnose_output_row (st, c, out_row, oc->step, oc->width);
        }
      }
    }
  }
}

/* Rows [h b / n, h (b + 1) / n) of a channel of h rows. */
static void
band_of (const r128norm_channel *whole, unsigned b, unsigned n,
    r128norm_channel *part)
{
  size_t r0 = whole->height * b / n, r1 = whole->height * (b + 1) / n;

  *part = *whole;
  part->data = (uint8_t *) whole->data + (ptrdiff_t) r0 * whole->stride;
  part->height = r1 - r0;
}

typedef struct {
  r128norm_state *st;
  const r128norm_channel *in, *out;
  int sum, apply;
  int last_first;       /* task i is band bands - 1 - i */
} band_job;

/* One band, on whatever thread the parallel runner chose: it touches only
 * its own rows and its own band's sums, counters and packed cache. */
static void
run_band (void *data, unsigned task)
{
  const band_job *job = data;
  r128norm_state *st = job->st;
  const unsigned b = job->last_first ? st->bands - 1 - task : task;
  const unsigned channels = st->channels;
  r128norm_channel *in = st->band_in + (size_t) b * channels;
  r128norm_channel *out = st->band_out + (size_t) b * channels;
  unsigned c;

  for (c = 0; c < channels; c++) {
    band_of (&job->in[c], b, st->bands, &in[c]);
    band_of (&job->out[c], b, st->bands, &out[c]);
  }
  pass_rows (st, in, job->out == job->in ? in : out, job->sum, job->apply,
      st->band_acc + (size_t) b * channels,
      st->band_non_finite + (size_t) b * channels, &st->band_packed[b]);
}

static void
acc_add (r128norm_acc *a, const r128norm_acc *b)
{
  a->n += b->n;
  a->non_finite += b->non_finite;
  a->sum += b->sum;
  a->sumsq += b->sumsq;
  a->n_lo += b->n_lo;
  a->n_hi += b->n_hi;
  a->fsum += b->fsum;
  a->fsq += b->fsq;
}

/* One pass over the buffer.  With bands (r128norm_set_parallel) the rows
 * are split into the same bands whatever runs them, and the bands' sums are
 * added in band order afterwards, so the result does not depend on the
 * number of threads.  Diagnostics gather into one place: no bands then.
 * @again: the pass before this one read the same buffer; its last bands
 * are the likeliest still in the cache, so they go first. */
R128NORM_HOT static void
pass (r128norm_state *st, const r128norm_channel *in,
    const r128norm_channel *out, int sum, int apply, int again,
    uint64_t *non_finite)
{
  const size_t n = (size_t) st->bands * st->channels;
  size_t rows = 0, i;
  band_job job = { st, in, out, sum, apply, again };
  unsigned b, c;

  for (c = 0; c < st->channels; c++)
    if (in[c].width > 0 && in[c].height > rows)
      rows = in[c].height;
  if (st->bands <= 1 || rows < 2 * (size_t) st->bands
      || (apply && st->config.diagnostics)) {
    pass_rows (st, in, out, sum, apply, st->acc, non_finite, &st->packed);
    return;
  }

  memset (st->band_acc, 0, n * sizeof *st->band_acc);
  memset (st->band_non_finite, 0, n * sizeof *st->band_non_finite);
  if (st->run)
    st->run (st->run_data, st->bands, run_band, &job);
  else
    for (b = 0; b < st->bands; b++)
      run_band (&job, b);
  for (i = 0; i < n; i++) {
    c = i % st->channels;
    acc_add (&st->acc[c], &st->band_acc[i]);
    /* zeroed for every channel by r128norm_process(), as in pass_rows() */
    /* NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign) */
    non_finite[c] += st->band_non_finite[i];
  }
}

R128NORM_HOT static int
check_layout (const r128norm_state *st, const r128norm_channel *in,
    const r128norm_channel *out)
{
  /* below 2^32 each (on 64 bits), the product fits: the division, which
   * costs more than the rest of this loop, only for huge ones */
  const size_t half = (size_t) 1 << (sizeof (size_t) * 4);
  unsigned c;

  for (c = 0; c < st->channels; c++) {
    if (in[c].width == 0 || in[c].height == 0)
      continue;
    if (!in[c].data || ((in[c].width >= half || in[c].height >= half)
            && in[c].width > SIZE_MAX / in[c].height))
      return R128NORM_ERROR_INVALID_LAYOUT;
    if (out && (!out[c].data || out[c].width != in[c].width
            || out[c].height != in[c].height))
      return R128NORM_ERROR_INVALID_LAYOUT;
  }
  return R128NORM_SUCCESS;
}

/* Channel c's running values with the statistic @m of its group folded
 * in; returns whether c had none before. */
R128NORM_HOT static inline R128NORM_INLINE int
update_channel (r128norm_state *st, unsigned c, const moments *m,
    double momentum)
{
  double var = moments_var (m);

  st->has_running = 1;
  if (st->seen[c]) {
    st->running_mean[c] = momentum * st->running_mean[c]
        + (1.0 - momentum) * m->mean;
    st->running_var[c] = momentum * st->running_var[c]
        + (1.0 - momentum) * var;
    return 0;
  }
  st->running_mean[c] = m->mean;
  st->running_var[c] = var;
  st->seen[c] = 1;
  return 1;
}

R128NORM_HOT static void
update_running (r128norm_state *st, double momentum, int only_unseen)
{
  int newly_seen = 0;
  unsigned c;

  for (c = 0; c < st->channels; c++) {
    const moments *m = &st->group_batch[c];

    if (m->n == 0 || (only_unseen && st->seen[c]))
      continue;
    newly_seen |= update_channel (st, c, m, momentum);
  }
  if (newly_seen) {
    st->all_seen = 1;
    for (c = 0; c < st->channels; c++)
      st->all_seen &= st->seen[c];
  }
}

/* Channel c's report of a buffer of @samples finite and @non_finite other
 * samples, from its batch moments, the statistics it was normalized with
 * and (with diagnostics) its diagnostic sums. */
R128NORM_HOT static void
report_channel (r128norm_state *st, unsigned c, uint64_t samples,
    uint64_t non_finite)
{
  r128norm_report *rep = &st->reports[c];
  const diag_acc *d = &st->diag[c];

  rep->samples = samples;
  rep->non_finite = non_finite;
  rep->mean = st->batch[c].mean;
  rep->var = moments_var (&st->batch[c]);
  rep->norm_mean = st->norm_mean[c];
  rep->norm_var = st->norm_var[c];
  rep->saturated = 0;
  rep->out_mean = 0.0;
  rep->out_var = 0.0;
  if (st->config.diagnostics) {
    rep->saturated = d->saturated;
    if (d->n > 0) {
      double mean = d->sum / (double) d->n;
      double var = d->sumsq / (double) d->n - mean * mean;
      /* F64 outputs near DBL_MAX overflow these sums (Inf - Inf): clamp
       * like the input statistics, never NaN */
      mean += d->shift;
      rep->out_mean = isnan (mean) ? 0.0
          : clamp (mean, -STAT_LIMIT, STAT_LIMIT);
      rep->out_var = isnan (var) ? STAT_LIMIT
          : clamp (var, 0.0, STAT_LIMIT);
    }
    memcpy (rep->histogram, d->histogram, sizeof rep->histogram);
  } else if (st->histogram_filled) {
    memset (rep->histogram, 0, sizeof rep->histogram);
  }
}

R128NORM_HOT static void
fill_reports (r128norm_state *st, const r128norm_channel *in, int summed,
    const uint64_t *non_finite)
{
  unsigned c;

  for (c = 0; c < st->channels; c++)
    /* without sums (frozen), the apply pass counted the non-finite ones */
    report_channel (st, c, summed ? st->acc[c].n
        /* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult) */
        : (uint64_t) (in[c].width * in[c].height) - non_finite[c],
        summed ? st->acc[c].non_finite : non_finite[c]);
  /* the histograms are zero (calloc) until a call with diagnostics */
  st->histogram_filled = st->config.diagnostics != 0;
}

/* The strength and momentum of a call of @duration seconds. */
R128NORM_HOT static void
call_factors (const r128norm_state *st, double duration, double *strength,
    double *momentum)
{
  const r128norm_config *cfg = &st->config;

  *strength = cfg->strength;
  if (cfg->warmup > 0.0 && st->elapsed < cfg->warmup)
    *strength *= st->elapsed / cfg->warmup;
  *momentum = cfg->momentum;
  if (cfg->time_constant > 0.0 && duration > 0.0)
    *momentum = exp (-duration / cfg->time_constant);
}

/* The steady stream's pass over a buffer in place, F32, F64 or S16 rows. */
R128NORM_HOT static inline R128NORM_INLINE void
stream_pass (r128norm_state *st, const r128norm_channel *in, int sum,
    uint64_t *non_finite, r128norm_format format)
{
  if (format == R128NORM_FORMAT_S16)
    r128norm_packed_stream_s16 (&st->packed, st->channels, in, sum,
        st->clip, st->acc, st->affine, st->affine_gen);
  else
    r128norm_packed_stream (&st->packed, st->channels, in, sum, st->clip,
        st->acc, st->affine, st->affine_gen, non_finite);
}

/* The running call of a steady stream (steady_process()): the general
 * path's steps for each channel in one loop before the pass (the
 * statistics it is normalized with, the sums' setup with no clip, and for
 * F32 and F64 the first sample as their shift, the affine map, computed without
 * comparing with the last: running values change every buffer) and one
 * after it (the buffer's moments, the running update, the report),
 * instead of a loop a step; the same arithmetic, bit for bit
 * (tests/lib/test_steady.c).  @format (F32, F64 or S16, in and out) a
 * constant, which the format's steps fold in; every channel its own group
 * and seen. */
R128NORM_HOT static inline R128NORM_INLINE void
steady_running_as (r128norm_state *st, const r128norm_channel *in,
    double strength, double momentum, uint64_t *non_finite,
    const r128norm_format format)
{
  const format_info *fi = &formats[format];
  unsigned c;

  new_affine (st, strength);
  for (c = 0; c < st->channels; c++) {
    r128norm_acc *acc = &st->acc[c];
    r128norm_clip *clip = &st->clip[c];

    st->norm_mean[c] = st->running_mean[c];
    st->norm_var[c] = st->running_var[c];
    non_finite[c] = 0;
    /* what the packed pass adds to and acc_to_moments() reads */
    acc->n = acc->non_finite = 0;
    clip->active = 0;
    if (format == R128NORM_FORMAT_F32 || format == R128NORM_FORMAT_F64) {
      acc->fsum = acc->fsq = 0.0;
      clip->shift = shift_or_zero (format, sums_shift (format, &in[c]),
          &in[c], clip);
    } else {
      acc->sum = 0;
      acc->sumsq = 0;
      acc->n_lo = acc->n_hi = 0;
    }
    affine_of (st, c, strength, fi, fi);
  }
  stream_pass (st, in, 1, non_finite, format);
  for (c = 0; c < st->channels; c++) {
    /* no copy into group_batch, which nothing reads before the next
     * finish_sums(): read back at once, the moments just stored waited
     * for those stores (8 ns of a 10 ms stereo buffer's 160, in cache) */
    st->batch[c] = acc_to_moments (fi, &st->acc[c], &st->clip[c]);
    if (st->batch[c].n > 0)
      update_channel (st, c, &st->batch[c], momentum);
    report_channel (st, c, st->acc[c].n, st->acc[c].non_finite);
  }
  st->histogram_filled = 0;     /* no diagnostics on this path */
}

R128NORM_HOT static void
steady_running (r128norm_state *st, const r128norm_channel *in,
    double strength, double momentum, uint64_t *non_finite)
{
  steady_running_as (st, in, strength, momentum, non_finite,
      R128NORM_FORMAT_F32);
}

/* Not inlined, and outside the hot section: inlined into
 * r128norm_process() it made that 3.3 KB larger, and the F32 stream paid
 * 9 to 13 ns a buffer in a pipeline for the code it brings back into the
 * caches (docs/performance.md). */
__attribute__ ((noinline)) static void
steady_running_s16 (r128norm_state *st, const r128norm_channel *in,
    double strength, double momentum, uint64_t *non_finite)
{
  steady_running_as (st, in, strength, momentum, non_finite,
      R128NORM_FORMAT_S16);
}

/* The same for F64 rows (audio). */
__attribute__ ((noinline)) static void
steady_running_f64 (r128norm_state *st, const r128norm_channel *in,
    double strength, double momentum, uint64_t *non_finite)
{
  steady_running_as (st, in, strength, momentum, non_finite,
      R128NORM_FORMAT_F64);
}

/* A steady stream of interleaved F32, F64 or S16 buffers (audio, hwc
 * tensors)
 * in place: running values for every channel, running or frozen statistics
 * per channel, no clipping, no diagnostics, the packed layout of the
 * buffers before.  The general path's steps for that case, without its
 * dispatch: a 10 ms buffer costs about what its code costs to come back
 * into the instruction cache after the rest of a pipeline has run
 * (docs/performance.md, "10 ms audio buffers").  Returns 0, having
 * changed nothing, when the buffer is not such a case. */
R128NORM_HOT static int
steady_process (r128norm_state *st, const r128norm_channel *in,
    double duration, uint64_t *non_finite)
{
  const r128norm_config *cfg = &st->config;
  const int sum = cfg->stats == R128NORM_STATS_RUNNING;
  double strength, momentum;
  unsigned c;

  if (cfg->stats == R128NORM_STATS_FRAME || cfg->diagnostics
      || !st->all_seen || (sum && cfg->clip_sigma > 0.0) || !in[0].data
      || (st->bands > 1 && in[0].height >= 2 * (size_t) st->bands)
      || group_size (st, effective_variant (st, in)) != 1
      || !r128norm_packed_can_stream (&st->packed, st->channels, in,
          sum))
    return 0;
  call_factors (st, duration, &strength, &momentum);
  if (sum && st->in_format == R128NORM_FORMAT_S16) {
    steady_running_s16 (st, in, strength, momentum, non_finite);
  } else if (sum && st->in_format == R128NORM_FORMAT_F64) {
    steady_running_f64 (st, in, strength, momentum, non_finite);
  } else if (sum) {
    steady_running (st, in, strength, momentum, non_finite);
  } else {
    for (c = 0; c < st->channels; c++) {
      st->norm_mean[c] = st->running_mean[c];
      st->norm_var[c] = st->running_var[c];
      non_finite[c] = 0;
    }
    setup_affine (st, strength);
    stream_pass (st, in, 0, non_finite, st->in_format);
    memset (st->batch, 0, st->channels * sizeof *st->batch);
    fill_reports (st, in, 0, non_finite);
  }
  st->elapsed += duration;
  return 1;
}

R128NORM_HOT int
r128norm_process (r128norm_state *st, const r128norm_channel *in,
    const r128norm_channel *out, double duration)
{
  const r128norm_config *cfg;
  r128norm_variant variant;
  uint64_t *const non_finite = st ? st->non_finite : NULL;
  int all_seen = 1, two_pass, summed, err;
  double strength, momentum;
  unsigned c;

  if (!st || !in)
    return R128NORM_ERROR_INVALID_ARGUMENT;
  if (!isfinite (duration) || duration < 0.0)
    duration = 0.0;
  if ((!out || out == in) && steady_process (st, in, duration, non_finite))
    return R128NORM_SUCCESS;
  if (!out && st->in_format != st->out_format)
    return R128NORM_ERROR_INVALID_FORMAT;
  err = check_layout (st, in, out);
  if (err != R128NORM_SUCCESS)
    return err;
  if (!out)
    out = in;

  cfg = &st->config;
  variant = effective_variant (st, in);
  for (c = 0; c < st->channels; c++) {
    all_seen &= st->seen[c];
    non_finite[c] = 0;
  }
  /* the diagnostic sums are read only with diagnostics on; the batch
   * moments are all written by finish_sums() whenever the buffer is summed */
  if (cfg->diagnostics)
    memset (st->diag, 0, st->channels * sizeof *st->diag);

  /* frame mode, and any mode before running values exist, needs this
   * buffer's statistics before it can normalize: two passes.  Otherwise
   * the normalization is known up front and statistics are gathered in the
   * same pass that writes the output. */
  two_pass = cfg->stats == R128NORM_STATS_FRAME || !all_seen;
  summed = cfg->stats != R128NORM_STATS_FROZEN || !all_seen
      || cfg->diagnostics;

  if (!summed)
    memset (st->batch, 0, st->channels * sizeof *st->batch);

  call_factors (st, duration, &strength, &momentum);

  if (summed)
    setup_sums (st, in);

  if (two_pass) {
    pass (st, in, out, 1, 0, 0, non_finite);
    finish_sums (st, variant);
    for (c = 0; c < st->channels; c++) {
      int use_batch = cfg->stats == R128NORM_STATS_FRAME || !st->seen[c];
      const moments *m = &st->group_batch[c];
      if (use_batch && m->n > 0) {
        st->norm_mean[c] = m->mean;
        st->norm_var[c] = moments_var (m);
      } else {
        st->norm_mean[c] = st->running_mean[c];
        st->norm_var[c] = st->running_var[c];
      }
    }
    setup_affine (st, strength);
    pass (st, in, out, 0, 1, 1, non_finite);
  } else {
    for (c = 0; c < st->channels; c++) {
      st->norm_mean[c] = st->running_mean[c];
      st->norm_var[c] = st->running_var[c];
    }
    setup_affine (st, strength);
    pass (st, in, out, summed, 1, 0, non_finite);
    if (summed)
      finish_sums (st, variant);
  }

  if (summed) {
    if (cfg->stats == R128NORM_STATS_FROZEN)
      update_running (st, momentum, 1);
    else
      update_running (st, momentum, 0);
  }
  fill_reports (st, in, summed, non_finite);
  st->elapsed += duration;
  return R128NORM_SUCCESS;
}
