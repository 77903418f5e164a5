/* Shared helpers of the core library tests: a CHECK macro that counts
 * failures, a seeded random generator, and an independent description of
 * the sample formats (SPEC section 3) used by the reference computations.
 *
 * Nothing here calls into the library's own conversions: half floats are
 * decoded and encoded through the compiler's _Float16, whose conversions
 * are correctly rounded (ties to even). */
#ifndef R128NORM_TEST_COMMON_H
#define R128NORM_TEST_COMMON_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "r128norm.h"

static unsigned long test_failures;
static unsigned long test_checks;

/* Prints the failing condition and a formatted explanation with values;
 * after 40 printed failures it only counts. */
#define CHECK(cond, ...)                                                  \
  do {                                                                    \
    test_checks++;                                                        \
    if (!(cond)) {                                                        \
      test_failures++;                                                    \
      if (test_failures <= 40) {                                          \
        fprintf (stderr, "%s:%d: FAILED: %s: ", __FILE__, __LINE__, #cond); \
        fprintf (stderr, __VA_ARGS__);                                    \
        fputc ('\n', stderr);                                             \
      }                                                                   \
    }                                                                     \
  } while (0)

static inline int
test_finish (const char *name)
{
  printf ("%s: %lu checks, %lu failures\n", name, test_checks, test_failures);
  return test_failures ? 1 : 0;
}

/* ---- random numbers (splitmix64) ----------------------------------- */

typedef struct {
  uint64_t s;
} rng_t;

static inline uint64_t
rng_u64 (rng_t *r)
{
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* uniform in [0, 1) */
static inline double
rng_uniform (rng_t *r)
{
  return (double) (rng_u64 (r) >> 11) * 0x1.0p-53;
}

/* integer in [lo, hi] */
static inline long
rng_int (rng_t *r, long lo, long hi)
{
  return lo + (long) (rng_u64 (r) % (uint64_t) (hi - lo + 1));
}

static inline double
rng_normal (rng_t *r)
{
  double u = rng_uniform (r), v = rng_uniform (r);
  return sqrt (-2.0 * log (1.0 - u)) * cos (6.283185307179586 * v);
}

/* Seed from R128NORM_TEST_SEED if set, else the fixed default; printed so
 * that a failure can be reproduced. */
static inline uint64_t
test_seed (uint64_t fixed)
{
  const char *env = getenv ("R128NORM_TEST_SEED");
  uint64_t seed = env ? strtoull (env, NULL, 0) : fixed;
  printf ("seed %llu (set R128NORM_TEST_SEED to change)\n",
      (unsigned long long) seed);
  return seed;
}

/* ---- formats (SPEC 3), written independently of lib/ ---------------- */

typedef struct {
  const char *name;
  size_t size;
  int is_float;
  double zero;     /* raw value of normalized 0 */
  double full;     /* normalized = (raw - zero) / full */
  double min, max; /* raw range integer output saturates to; float: largest finite */
} tfmt;

static const tfmt tfmts[R128NORM_N_FORMATS] = {
  [R128NORM_FORMAT_U8] = {"U8", 1, 0, 0.0, 255.0, 0.0, 255.0},
  [R128NORM_FORMAT_U8_CENTERED] = {"U8C", 1, 0, 128.0, 128.0, 0.0, 255.0},
  [R128NORM_FORMAT_S16] = {"S16", 2, 0, 0.0, 32768.0, -32768.0, 32767.0},
  [R128NORM_FORMAT_U16] = {"U16", 2, 0, 0.0, 65535.0, 0.0, 65535.0},
  [R128NORM_FORMAT_S32] = {"S32", 4, 0, 0.0, 2147483648.0, -2147483648.0,
      2147483647.0},
  [R128NORM_FORMAT_F16] = {"F16", 2, 1, 0.0, 1.0, -65504.0, 65504.0},
  [R128NORM_FORMAT_F32] = {"F32", 4, 1, 0.0, 1.0, -FLT_MAX, FLT_MAX},
  [R128NORM_FORMAT_F64] = {"F64", 8, 1, 0.0, 1.0, -DBL_MAX, DBL_MAX},
};

static inline double
half_bits_to_double (uint16_t bits)
{
  _Float16 h;
  memcpy (&h, &bits, sizeof h);
  return (double) h;
}

static inline uint16_t
double_to_half_bits (double d)
{
  _Float16 h = (_Float16) d;
  uint16_t bits;
  memcpy (&bits, &h, sizeof bits);
  return bits;
}

/* The raw value of one sample (integers exactly, floats as they are). */
static inline double
load_sample (int fmt, const void *p)
{
  switch (fmt) {
    case R128NORM_FORMAT_U8:
    case R128NORM_FORMAT_U8_CENTERED:
      return *(const uint8_t *) p;
    case R128NORM_FORMAT_S16: {
      int16_t v;
      memcpy (&v, p, 2);
      return v;
    }
    case R128NORM_FORMAT_U16: {
      uint16_t v;
      memcpy (&v, p, 2);
      return v;
    }
    case R128NORM_FORMAT_S32: {
      int32_t v;
      memcpy (&v, p, 4);
      return v;
    }
    case R128NORM_FORMAT_F16: {
      uint16_t v;
      memcpy (&v, p, 2);
      return half_bits_to_double (v);
    }
    case R128NORM_FORMAT_F32: {
      float v;
      memcpy (&v, p, 4);
      return v;
    }
    default: {
      double v;
      memcpy (&v, p, 8);
      return v;
    }
  }
}

/* Store a raw value, which must already be representable (integers in
 * range; floats are converted with round to nearest). */
static inline void
store_sample (int fmt, void *p, double raw)
{
  switch (fmt) {
    case R128NORM_FORMAT_U8:
    case R128NORM_FORMAT_U8_CENTERED: {
      uint8_t v = (uint8_t) raw;
      memcpy (p, &v, 1);
      break;
    }
    case R128NORM_FORMAT_S16: {
      int16_t v = (int16_t) raw;
      memcpy (p, &v, 2);
      break;
    }
    case R128NORM_FORMAT_U16: {
      uint16_t v = (uint16_t) raw;
      memcpy (p, &v, 2);
      break;
    }
    case R128NORM_FORMAT_S32: {
      int32_t v = (int32_t) raw;
      memcpy (p, &v, 4);
      break;
    }
    case R128NORM_FORMAT_F16: {
      uint16_t v = double_to_half_bits (raw);
      memcpy (p, &v, 2);
      break;
    }
    case R128NORM_FORMAT_F32: {
      float v = (float) raw;
      memcpy (p, &v, 4);
      break;
    }
    default:
      memcpy (p, &raw, 8);
      break;
  }
}

/* SPEC 3: normalized units of a raw value. */
static inline double
to_normalized (int fmt, double raw)
{
  return (raw - tfmts[fmt].zero) / tfmts[fmt].full;
}

/* The raw value the output format should hold for a normalized result:
 * integers rounded to nearest and saturated; floats saturated to the
 * largest finite value and rounded to the format. */
static inline double
encode_reference (int fmt, double y)
{
  const tfmt *f = &tfmts[fmt];
  double raw = y * f->full + f->zero;

  if (raw < f->min)
    raw = f->min;
  if (raw > f->max)
    raw = f->max;
  if (!f->is_float)
    return nearbyint (raw);
  if (fmt == R128NORM_FORMAT_F16)
    return half_bits_to_double (double_to_half_bits (raw));
  if (fmt == R128NORM_FORMAT_F32)
    return (float) raw;
  return raw;
}

/* One unit in the last place of a half at the magnitude of v. */
static inline double
half_ulp (double v)
{
  int e;

  v = fabs (v);
  if (v < 0x1.0p-14)
    return 0x1.0p-24;
  frexp (v, &e);                /* v in [2^(e-1), 2^e) */
  return ldexp (1.0, e - 1 - 10);
}

/* Whether an output sample (raw) matches the exact double-precision
 * reference y (normalized units) within the SPEC tolerances:
 * - integer output: within 1 LSB of the correctly rounded, saturated value;
 * - F32/F64 output: within 1e-5 relative.  The reference is a z-score-like
 *   quantity of order gamma, and it is computed from differences x - mean
 *   whose operands are of order 1 in normalized units, so an output near 0
 *   carries the absolute error of those order-1 operands: the floor is
 *   1e-5 in normalized units (1e-5 * max(1, |ref|));
 * - F16 output: the format itself only holds 11 significant bits, so the
 *   1e-5 rule applies to the value before it is rounded to half: the
 *   output is within half an ULP of that value, hence within one half ULP
 *   plus the F32 tolerance of the saturated reference. */
static inline int
output_matches (int fmt, double out_raw, double y, double *err)
{
  const tfmt *f = &tfmts[fmt];
  double raw = y * f->full + f->zero;

  if (isnan (out_raw) || isnan (y)) {
    *err = NAN;
    return 0;
  }
  if (raw < f->min)
    raw = f->min;
  if (raw > f->max)
    raw = f->max;
  if (!f->is_float) {
    *err = fabs (out_raw - nearbyint (raw));
    return *err <= 1.0;
  }
  if (fmt == R128NORM_FORMAT_F16) {
    *err = fabs (out_raw - raw);
    return *err <= half_ulp (raw) + 1e-5 * fmax (1.0, fabs (raw));
  }
  *err = fabs (out_raw - raw) / fmax (1.0, fabs (raw));
  return *err <= 1e-5;
}

/* Statistics tolerance of SPEC 3: 1e-6 relative plus 1e-12 absolute. */
static inline int
stat_close (double got, double want)
{
  return isfinite (got) && fabs (got - want) <= 1e-6 * fabs (want) + 1e-12;
}

/* every kernel choice the tests run under: C, ORC, and the x86 SIMD
 * kernels with the packed-row path (C and ORC where the CPU lacks AVX2) */
#define TEST_N_KERNELS 3
static const r128norm_kernels test_kernels[TEST_N_KERNELS] = {
  R128NORM_KERNELS_C, R128NORM_KERNELS_ORC, R128NORM_KERNELS_SIMD
};
static const char *const test_kernel_names[TEST_N_KERNELS] = {
  "C", "ORC", "SIMD"
};

#endif /* R128NORM_TEST_COMMON_H */
