/* libFuzzer target: the core library with a random configuration, channel
 * count, formats, kernel set, channel layout (interleaved, planar, or each
 * channel with its own step and stride, negative and unaligned ones
 * included) and sample data (NaN, infinities, extremes, constants), for a
 * random sequence of process, reset, reconfigure and seed calls.
 *
 * Every buffer is allocated at exactly the size its description needs, so
 * AddressSanitizer sees any access outside it.  Besides not crashing, each
 * call must keep the library's promises (docs/library.md):
 *   - a failing call changes neither the buffers nor the running values;
 *   - bytes no output channel describes are never written, and out of
 *     place the input is never written;
 *   - float output, running values and reports are always finite;
 *   - every sample is counted once, as finite or non-finite.
 * A broken promise aborts, which libFuzzer reports like a crash. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "r128norm.h"
#include "fuzz_input.h"

#define FUZZ_MAX_CHANNELS 12
#define FUZZ_MAX_WIDTH 80
#define FUZZ_MAX_HEIGHT 5
#define FUZZ_MAX_STEPS 8

#define CHECK(cond) do {                                                \
    if (!(cond)) {                                                      \
      fprintf (stderr, "fuzz_lib: broken promise at %s:%d: %s\n",       \
          __FILE__, __LINE__, #cond);                                   \
      abort ();                                                         \
    }                                                                   \
  } while (0)

typedef struct
{
  r128norm_channel ch[FUZZ_MAX_CHANNELS];
  uint8_t *buf;
  size_t size;
  uint8_t *covered;             /* 1 where a channel describes a byte */
  int overlap;                  /* some byte is described twice */
} layout;

static uint64_t
prng_next (uint64_t * s)
{
  /* xorshift64*: the sample data costs no input bytes */
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 2685821657736338717ull;
}

static uint8_t *
sample_addr (const r128norm_channel * ch, size_t r, size_t i)
{
  return (uint8_t *) ch->data + (ptrdiff_t) r * ch->stride
      + (ptrdiff_t) i * ch->step;
}

/* Lays out @channels channels of @w x @h samples of @s bytes in one buffer
 * of exactly the size needed. */
static void
layout_make (fuzz_input * in, layout * l, unsigned channels, size_t s,
    const size_t * w, const size_t * h, int mode)
{
  size_t offsets[FUZZ_MAX_CHANNELS], total = fuzz_below (in, 8), c, r, i;
  ptrdiff_t step[FUZZ_MAX_CHANNELS], stride[FUZZ_MAX_CHANNELS];

  if (mode == 0) {
    /* interleaved: every channel w x h, one sample apart */
    size_t st = channels * s * (1 + fuzz_below (in, 2));
    size_t row = w[0] * st + fuzz_below (in, 16);
    for (c = 0; c < channels; c++) {
      offsets[c] = total + c * s;
      step[c] = st;
      stride[c] = row;
    }
    total += h[0] * row + channels * s;
  } else if (mode == 1) {
    /* planar: one contiguous plane per channel */
    size_t gap = fuzz_below (in, 3) * s;
    for (c = 0; c < channels; c++) {
      offsets[c] = total;
      step[c] = s;
      stride[c] = w[c] * s;
      total += w[c] * h[c] * s + gap;
    }
  } else {
    /* each channel its own step and stride, either sign, any alignment */
    for (c = 0; c < channels; c++) {
      size_t sm = s * (1 + fuzz_below (in, 3))
          + (fuzz_below (in, 4) == 0 ? fuzz_below (in, 3) : 0);
      size_t rm = w[c] ? (w[c] - 1) * sm + s + fuzz_below (in, 8) : 0;
      size_t foot;
      if (fuzz_below (in, 8) == 0)
        rm = fuzz_below (in, 2) ? 0 : sm;       /* rows that overlap */
      foot = w[c] && h[c] ? (w[c] - 1) * sm + (h[c] - 1) * rm + s : 0;
      step[c] = fuzz_below (in, 4) == 0 ? -(ptrdiff_t) sm : (ptrdiff_t) sm;
      stride[c] = fuzz_below (in, 4) == 0 ? -(ptrdiff_t) rm : (ptrdiff_t) rm;
      offsets[c] = total;
      if (w[c] && step[c] < 0)
        offsets[c] += (w[c] - 1) * sm;
      if (h[c] && stride[c] < 0)
        offsets[c] += (h[c] - 1) * rm;
      total += foot + fuzz_below (in, 4);
    }
  }
  l->size = total;
  l->overlap = 0;
  l->buf = malloc (total ? total : 1);
  l->covered = calloc (total ? total : 1, 1);
  CHECK (l->buf && l->covered);
  for (c = 0; c < channels; c++) {
    l->ch[c].data = l->buf + offsets[c];
    l->ch[c].step = step[c];
    l->ch[c].stride = stride[c];
    l->ch[c].width = w[c];
    l->ch[c].height = h[c];
    for (r = 0; r < h[c]; r++)
      for (i = 0; i < w[c]; i++) {
        uint8_t *p = sample_addr (&l->ch[c], r, i);
        CHECK (p >= l->buf && p + s <= l->buf + total);
        l->overlap |= memchr (l->covered + (p - l->buf), 1, s) != NULL;
        memset (l->covered + (p - l->buf), 1, s);
      }
  }
}

static void
layout_free (layout * l)
{
  free (l->buf);
  free (l->covered);
}

static uint16_t
half_bits (double v)
{
  /* enough for the fuzzer: the classes of values, not exact rounding */
  if (isnan (v))
    return 0x7e00;
  if (isinf (v))
    return v > 0 ? 0x7c00 : 0xfc00;
  if (fabs (v) > 65504.0)
    return v > 0 ? 0x7bff : 0xfbff;
  if (v == 0.0)
    return signbit (v) ? 0x8000 : 0;
  if (fabs (v) < 6e-8)
    return v > 0 ? 0x0001 : 0x8001;
  {
    int e;
    double m = frexp (fabs (v), &e);    /* 0.5 <= m < 1 */
    int he = e + 14;
    uint16_t sign = v < 0 ? 0x8000 : 0;
    if (he <= 0)
      return sign | (uint16_t) (fabs (v) / 5.960464477539063e-8);
    return sign | (uint16_t) (he << 10) | (uint16_t) ((m * 2 - 1) * 1024);
  }
}

static double
clampd (double v, double lo, double hi)
{
  if (isnan (v))
    return 0.0;
  return v < lo ? lo : (v > hi ? hi : v);
}

static void
store_value (r128norm_format f, uint8_t * p, double v)
{
  switch (f) {
    case R128NORM_FORMAT_U8:
    case R128NORM_FORMAT_U8_CENTERED:{
      uint8_t x = (uint8_t) clampd (v, 0, 255);
      memcpy (p, &x, 1);
      break;
    }
    case R128NORM_FORMAT_S16:{
      int16_t x = (int16_t) clampd (v, -32768, 32767);
      memcpy (p, &x, 2);
      break;
    }
    case R128NORM_FORMAT_U16:{
      uint16_t x = (uint16_t) clampd (v, 0, 65535);
      memcpy (p, &x, 2);
      break;
    }
    case R128NORM_FORMAT_S32:{
      int32_t x = (int32_t) clampd (v, -2147483648.0, 2147483647.0);
      memcpy (p, &x, 4);
      break;
    }
    case R128NORM_FORMAT_F16:{
      uint16_t x = half_bits (v);
      memcpy (p, &x, 2);
      break;
    }
    case R128NORM_FORMAT_F32:{
      float x = (float) v;
      memcpy (p, &x, 4);
      break;
    }
    default:
      memcpy (p, &v, 8);
      break;
  }
}

static int
sample_finite (r128norm_format f, const uint8_t * p)
{
  if (f == R128NORM_FORMAT_F32) {
    float x;
    memcpy (&x, p, 4);
    return isfinite (x);
  }
  if (f == R128NORM_FORMAT_F64) {
    double x;
    memcpy (&x, p, 8);
    return isfinite (x);
  }
  if (f == R128NORM_FORMAT_F16) {
    uint16_t x;
    memcpy (&x, p, 2);
    return (x & 0x7c00) != 0x7c00;
  }
  return 1;
}

/* Sample data: random bytes, small values, a constant, all non-finite, or a
 * ramp, with a few special values dropped in. */
static void
fill (fuzz_input * in, layout * l, unsigned channels, r128norm_format f)
{
  size_t s = r128norm_format_size (f), c, r, i, k, n_inject;
  uint64_t seed = fuzz_u32 (in) | 1;
  unsigned mode = fuzz_below (in, 6);
  double constant = fuzz_double (in);

  for (i = 0; i < l->size; i++)
    l->buf[i] = (uint8_t) prng_next (&seed);
  for (c = 0; c < channels; c++)
    for (r = 0; r < l->ch[c].height; r++)
      for (i = 0; i < l->ch[c].width; i++) {
        uint8_t *p = sample_addr (&l->ch[c], r, i);
        double v;
        switch (mode) {
          case 0:
            continue;           /* the random bytes */
          case 1:
            v = ((double) (prng_next (&seed) % 2001) - 1000.0) / 1000.0;
            if (f != R128NORM_FORMAT_F16 && f != R128NORM_FORMAT_F32
                && f != R128NORM_FORMAT_F64)
              v = v * 127.0 + 128.0;
            break;
          case 2:
            v = constant;
            break;
          case 3:
            v = (i + r) % 3 == 0 ? NAN : ((i + r) % 3 == 1 ? INFINITY
                : -INFINITY);
            break;
          default:
            v = (double) (i + r * l->ch[c].width) * constant;
            break;
        }
        store_value (f, p, v);
      }
  n_inject = fuzz_below (in, 8);
  for (k = 0; k < n_inject; k++) {
    c = fuzz_below (in, channels);
    if (l->ch[c].width == 0 || l->ch[c].height == 0)
      continue;
    r = fuzz_below (in, l->ch[c].height);
    i = fuzz_below (in, 256) % l->ch[c].width;
    store_value (f, sample_addr (&l->ch[c], r, i), fuzz_double (in));
  }
  (void) s;
}

static void
make_array (fuzz_input * in, double *values, unsigned *n, unsigned channels)
{
  unsigned i, choice = fuzz_below (in, 5);

  *n = choice == 0 ? 0 : choice == 1 ? 1 : choice == 2 ? channels
      : fuzz_below (in, channels + 2);
  for (i = 0; i < *n; i++)
    values[i] = fuzz_double (in);
}

/* A configuration with some fields left at their defaults and some fuzzed
 * (out-of-range values included: those calls must fail cleanly). */
static void
make_config (fuzz_input * in, r128norm_config * cfg, unsigned channels,
    double *gamma, double *beta, double *max_gain)
{
  uint32_t which = fuzz_u32 (in);

  r128norm_config_init (cfg);
  if (which & 1)
    cfg->variant = (r128norm_variant) fuzz_below (in, 5);
  if (which & 2)
    cfg->groups = fuzz_below (in, 5);
  if (which & 4)
    cfg->stats = (r128norm_stats_mode) fuzz_below (in, 4);
  if (which & 8)
    cfg->momentum = fuzz_double (in);
  if (which & 16)
    cfg->time_constant = fuzz_double (in);
  if (which & 32)
    cfg->epsilon = fuzz_double (in);
  if (which & 64)
    cfg->strength = fuzz_double (in);
  if (which & 128)
    cfg->warmup = fuzz_double (in);
  if (which & 256)
    cfg->clip_sigma = fuzz_double (in);
  if (which & 512)
    cfg->min_samples = fuzz_u8 (in);
  if (which & 1024) {
    make_array (in, gamma, &cfg->n_gamma, channels);
    cfg->gamma = cfg->n_gamma || fuzz_below (in, 2) ? gamma : NULL;
  }
  if (which & 2048) {
    make_array (in, beta, &cfg->n_beta, channels);
    cfg->beta = cfg->n_beta || fuzz_below (in, 2) ? beta : NULL;
  }
  if (which & 4096) {
    make_array (in, max_gain, &cfg->n_max_gain, channels);
    cfg->max_gain = max_gain;
  }
  cfg->diagnostics = (which >> 13) & 1;
}

static void
check_running (const r128norm_state * st, unsigned channels)
{
  double mean[FUZZ_MAX_CHANNELS], var[FUZZ_MAX_CHANNELS];
  unsigned c;
  int err = r128norm_get_running (st, mean, var, channels);

  CHECK (err == R128NORM_SUCCESS || err == R128NORM_ERROR_NO_STATISTICS);
  for (c = 0; c < channels; c++) {
    CHECK (isfinite (mean[c]));
    CHECK (isfinite (var[c]) && var[c] >= 0.0);
  }
}

static void
check_reports (const r128norm_state * st, const layout * l,
    unsigned channels)
{
  unsigned c, b;

  for (c = 0; c < channels; c++) {
    const r128norm_report *r = r128norm_get_report (st, c);
    uint64_t hist = 0;
    CHECK (r != NULL);
    CHECK (r->samples + r->non_finite
        == (uint64_t) l->ch[c].width * l->ch[c].height);
    CHECK (isfinite (r->mean) && isfinite (r->var) && r->var >= 0.0);
    CHECK (isfinite (r->norm_mean) && isfinite (r->norm_var)
        && r->norm_var >= 0.0);
    CHECK (isfinite (r->out_mean) && isfinite (r->out_var)
        && r->out_var >= 0.0);
    for (b = 0; b < R128NORM_HISTOGRAM_BINS; b++)
      hist += r->histogram[b];
    /* in place, samples described twice are read again after they were
     * written (garbage in, garbage out, but never a crash) */
    CHECK (l->overlap || hist <= r->samples);
  }
  CHECK (r128norm_get_report (st, channels) == NULL);
}

/* One buffer through the state, and every promise checked. */
static void
process_one (fuzz_input * in, r128norm_state * st, unsigned channels,
    r128norm_format fin, r128norm_format fout)
{
  size_t w[FUZZ_MAX_CHANNELS], h[FUZZ_MAX_CHANNELS], c, i;
  int uniform = fuzz_below (in, 3) != 0;
  int in_mode = uniform ? (int) fuzz_below (in, 3) : 2;
  int in_place = fin == fout && fuzz_below (in, 2);
  double before_mean[FUZZ_MAX_CHANNELS], before_var[FUZZ_MAX_CHANNELS];
  double after_mean[FUZZ_MAX_CHANNELS], after_var[FUZZ_MAX_CHANNELS];
  double duration = fuzz_below (in, 4) ? 0.01 : fuzz_double (in);
  layout lin, lout;
  uint8_t *in_copy, *out_copy = NULL;
  int err;

  for (c = 0; c < channels; c++) {
    if (uniform && c > 0) {
      w[c] = w[0];
      h[c] = h[0];
    } else {
      w[c] = fuzz_below (in, FUZZ_MAX_WIDTH + 1);
      h[c] = fuzz_below (in, FUZZ_MAX_HEIGHT + 1);
    }
  }
  layout_make (in, &lin, channels, r128norm_format_size (fin), w, h,
      in_mode);
  fill (in, &lin, channels, fin);
  if (!in_place) {
    layout_make (in, &lout, channels, r128norm_format_size (fout), w, h,
        uniform ? (int) fuzz_below (in, 3) : 2);
    for (i = 0; i < lout.size; i++)
      lout.buf[i] = (uint8_t) (i * 131 + 7);
    out_copy = malloc (lout.size ? lout.size : 1);
    CHECK (out_copy);
    memcpy (out_copy, lout.buf, lout.size);
  }
  in_copy = malloc (lin.size ? lin.size : 1);
  CHECK (in_copy);
  memcpy (in_copy, lin.buf, lin.size);

  r128norm_get_running (st, before_mean, before_var, channels);
  err = r128norm_process (st, lin.ch, in_place ? NULL : lout.ch, duration);
  r128norm_get_running (st, after_mean, after_var, channels);

  if (err != R128NORM_SUCCESS) {
    /* a refused call touches nothing */
    CHECK (memcmp (in_copy, lin.buf, lin.size) == 0);
    if (!in_place)
      CHECK (memcmp (out_copy, lout.buf, lout.size) == 0);
    CHECK (memcmp (before_mean, after_mean, channels * sizeof (double)) == 0);
    CHECK (memcmp (before_var, after_var, channels * sizeof (double)) == 0);
  } else {
    const layout *lo = in_place ? &lin : &lout;
    const uint8_t *ref = in_place ? in_copy : out_copy;
    size_t r;

    if (!in_place)
      CHECK (memcmp (in_copy, lin.buf, lin.size) == 0);
    for (i = 0; i < lo->size; i++)
      CHECK (lo->covered[i] || lo->buf[i] == ref[i]);
    for (c = 0; c < channels; c++)
      for (r = 0; r < lo->ch[c].height; r++)
        for (i = 0; i < lo->ch[c].width; i++)
          CHECK (sample_finite (fout, sample_addr (&lo->ch[c], r, i)));
    check_reports (st, &lin, channels);
  }
  check_running (st, channels);

  free (in_copy);
  free (out_copy);
  layout_free (&lin);
  if (!in_place)
    layout_free (&lout);
}

static r128norm_format
pick_out_format (fuzz_input * in, r128norm_format fin)
{
  switch (fuzz_below (in, 8)) {
    case 0:
      return R128NORM_FORMAT_F32;
    case 1:
      return R128NORM_FORMAT_F16;
    case 2:
      return (r128norm_format) fuzz_below (in, R128NORM_N_FORMATS + 1);
    default:
      return fin;
  }
}

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  fuzz_input in;
  r128norm_state *st;
  r128norm_config cfg;
  double gamma[FUZZ_MAX_CHANNELS + 2], beta[FUZZ_MAX_CHANNELS + 2];
  double max_gain[FUZZ_MAX_CHANNELS + 2];
  double seed_mean[FUZZ_MAX_CHANNELS], seed_var[FUZZ_MAX_CHANNELS];
  unsigned channels, steps, k, c;
  r128norm_format fin, fout;
  int err;

  fuzz_input_init (&in, data, size);
  channels = 1 + fuzz_below (&in, FUZZ_MAX_CHANNELS);
  st = r128norm_create (channels, &err);
  CHECK (st != NULL && err == R128NORM_SUCCESS);
  CHECK (r128norm_get_channels (st) == channels);

  err = r128norm_set_kernels (st, (r128norm_kernels) fuzz_below (&in, 4));
  CHECK (err == R128NORM_SUCCESS || err == R128NORM_ERROR_INVALID_ARGUMENT);
  fin = (r128norm_format) fuzz_below (&in, R128NORM_N_FORMATS);
  fout = pick_out_format (&in, fin);
  if (r128norm_set_formats (st, fin, fout) != R128NORM_SUCCESS) {
    fout = fin;
    CHECK (r128norm_set_formats (st, fin, fout) == R128NORM_SUCCESS);
  }
  CHECK (r128norm_get_kernel_name (st) != NULL);

  make_config (&in, &cfg, channels, gamma, beta, max_gain);
  r128norm_set_config (st, &cfg);

  steps = 1 + fuzz_below (&in, FUZZ_MAX_STEPS);
  for (k = 0; k < steps && !fuzz_input_empty (&in); k++) {
    switch (fuzz_below (&in, 10)) {
      case 0:
        r128norm_reset (st);
        CHECK (!r128norm_has_running (st));
        break;
      case 1:
        make_config (&in, &cfg, channels, gamma, beta, max_gain);
        r128norm_set_config (st, &cfg);
        break;
      case 2:{
        int ok = 1;
        for (c = 0; c < channels; c++) {
          seed_mean[c] = fuzz_double (&in);
          seed_var[c] = fuzz_double (&in);
          ok &= fabs (seed_mean[c]) <= 1e300 && seed_var[c] >= 0.0
              && seed_var[c] <= 1e300;
        }
        err = r128norm_set_running (st, seed_mean,
            fuzz_below (&in, 4) ? seed_var : NULL, channels);
        CHECK (!ok || err == R128NORM_SUCCESS);
        break;
      }
      case 3:{
        r128norm_format f2 = (r128norm_format) fuzz_below (&in,
            R128NORM_N_FORMATS), o2 = pick_out_format (&in, f2);
        if (r128norm_set_formats (st, f2, o2) == R128NORM_SUCCESS) {
          fin = f2;
          fout = o2;
        }
        break;
      }
      default:
        process_one (&in, st, channels, fin, fout);
        break;
    }
  }

  /* misuse is refused, never a crash */
  CHECK (r128norm_process (NULL, NULL, NULL, 0) != R128NORM_SUCCESS);
  CHECK (r128norm_process (st, NULL, NULL, 0) != R128NORM_SUCCESS);
  CHECK (r128norm_get_running (st, NULL, NULL, channels) != 0);
  CHECK (r128norm_set_running (st, seed_mean, NULL, channels + 1) != 0);
  CHECK (r128norm_set_config (st, NULL) != R128NORM_SUCCESS);
  r128norm_destroy (&st);
  CHECK (st == NULL);
  r128norm_destroy (&st);
  return 0;
}
