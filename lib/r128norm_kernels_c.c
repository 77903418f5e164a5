/* The portable C kernels: one statistics and one apply kernel per format
 * (pair), generated from the templates below.  Every other implementation
 * is tested against these.
 *
 * Samples are loaded and stored through memcpy so that any alignment the
 * caller hands us is valid C; compilers turn these into plain moves.  The
 * contiguous variants are the same code with the step a compile-time
 * constant, which lets the compiler vectorize them. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "r128norm_kernels.h"

/* Rows longer than this are summed in pieces, so that 64-bit partial sums
 * of squares of 16-bit samples can never wrap. */
#define CHUNK ((size_t) 1 << 24)

#define DEFINE_INT_LOAD(NAME, T)                                          \
  static inline int64_t load_##NAME (const uint8_t *p)                    \
  {                                                                       \
    T v;                                                                  \
    memcpy (&v, p, sizeof v);                                             \
    return (int64_t) v;                                                   \
  }

DEFINE_INT_LOAD (u8, uint8_t)
DEFINE_INT_LOAD (s16, int16_t)
DEFINE_INT_LOAD (u16, uint16_t)
DEFINE_INT_LOAD (s32, int32_t)

static inline double
load_f16 (const uint8_t *p)
{
  uint16_t v;
  memcpy (&v, p, sizeof v);
  return r128norm_half_to_float (v);
}

static inline double
load_f32 (const uint8_t *p)
{
  float v;
  memcpy (&v, p, sizeof v);
  return v;
}

static inline double
load_f64 (const uint8_t *p)
{
  double v;
  memcpy (&v, p, sizeof v);
  return v;
}

static inline void
store_f16 (uint8_t *p, double v)
{
  uint16_t h = r128norm_double_to_half (v);
  memcpy (p, &h, sizeof h);
}

static inline void
store_f32 (uint8_t *p, double v)
{
  float f = (float) v;
  memcpy (p, &f, sizeof f);
}

static inline void
store_f64 (uint8_t *p, double v)
{
  memcpy (p, &v, sizeof v);
}

/* ---- statistics ---------------------------------------------------- */

/* Integer samples: exact sums.  Squares of up to 16-bit values fit 32 bits,
 * so a chunk's sum of squares fits 64 bits; 32-bit samples sum their
 * squares in 128 bits. */
#define DEFINE_STATS_INT(NAME, LOAD, SQ_T)                                \
  static inline void                                                      \
  stats_##NAME##_inline (const void *in, ptrdiff_t step, size_t n,        \
      const r128norm_clip *clip, r128norm_acc *acc)                       \
  {                                                                       \
    const uint8_t *p = in;                                                \
    while (n > 0) {                                                       \
      size_t len = n < CHUNK ? n : CHUNK, i;                              \
      int64_t sum = 0;                                                    \
      SQ_T sumsq = 0;                                                     \
      if (!clip->active) {                                                \
        for (i = 0; i < len; i++) {                                       \
          int64_t x = LOAD (p + (ptrdiff_t) i * step);                    \
          sum += x;                                                       \
          sumsq += (SQ_T) (x * x);                                        \
        }                                                                 \
        acc->n += len;                                                    \
      } else {                                                            \
        uint64_t n_lo = 0, n_hi = 0;                                      \
        for (i = 0; i < len; i++) {                                       \
          int64_t x = LOAD (p + (ptrdiff_t) i * step);                    \
          int lo = x < clip->ilo, hi = x > clip->ihi;                     \
          n_lo += lo;                                                     \
          n_hi += hi;                                                     \
          x = (lo | hi) ? 0 : x;                                          \
          sum += x;                                                       \
          sumsq += (SQ_T) (x * x);                                        \
        }                                                                 \
        acc->n += len;                                                    \
        acc->n_lo += n_lo;                                                \
        acc->n_hi += n_hi;                                                \
      }                                                                   \
      acc->sum += sum;                                                    \
      acc->sumsq += sumsq;                                                \
      p += (ptrdiff_t) len * step;                                        \
      n -= len;                                                           \
    }                                                                     \
  }

/* Float samples: non-finite values are skipped and counted; the rest are
 * clamped (when clipping) and summed as x - shift in double precision. */
#define DEFINE_STATS_FLOAT(NAME, LOAD)                                    \
  static inline void                                                      \
  stats_##NAME##_inline (const void *in, ptrdiff_t step, size_t n,        \
      const r128norm_clip *clip, r128norm_acc *acc)                       \
  {                                                                       \
    const uint8_t *p = in;                                                \
    const double shift = clip->shift;                                     \
    const double lo = clip->active ? clip->lo - shift : -DBL_MAX;         \
    const double hi = clip->active ? clip->hi - shift : DBL_MAX;          \
    double sum = 0.0, sumsq = 0.0;                                        \
    uint64_t finite = 0;                                                  \
    size_t i;                                                             \
    for (i = 0; i < n; i++) {                                             \
      double x = LOAD (p + (ptrdiff_t) i * step);                         \
      int ok = (x - x == 0.0);                                            \
      double d = ok ? x - shift : 0.0;                                    \
      d = d < lo ? lo : d;                                                \
      d = d > hi ? hi : d;                                                \
      sum += d;                                                           \
      sumsq += d * d;                                                     \
      finite += ok;                                                       \
    }                                                                     \
    acc->n += finite;                                                     \
    acc->non_finite += n - finite;                                        \
    acc->fsum += sum;                                                     \
    acc->fsq += sumsq;                                                    \
  }

#define DEFINE_STATS_ENTRIES(NAME, SIZE)                                  \
  static void                                                             \
  stats_##NAME (const void *in, ptrdiff_t step, size_t n,                 \
      const r128norm_clip *clip, r128norm_acc *acc)                       \
  {                                                                       \
    stats_##NAME##_inline (in, step, n, clip, acc);                       \
  }                                                                       \
  static void                                                             \
  stats_contig_##NAME (const void *in, size_t n,                          \
      const r128norm_clip *clip, r128norm_acc *acc)                       \
  {                                                                       \
    stats_##NAME##_inline (in, SIZE, n, clip, acc);                       \
  }

DEFINE_STATS_INT (u8, load_u8, uint64_t)
DEFINE_STATS_INT (s16, load_s16, uint64_t)
DEFINE_STATS_INT (u16, load_u16, uint64_t)
DEFINE_STATS_INT (s32, load_s32, unsigned __int128)
DEFINE_STATS_FLOAT (f16, load_f16)
DEFINE_STATS_FLOAT (f32, load_f32)
DEFINE_STATS_FLOAT (f64, load_f64)

DEFINE_STATS_ENTRIES (u8, 1)
DEFINE_STATS_ENTRIES (s16, 2)
DEFINE_STATS_ENTRIES (u16, 2)
DEFINE_STATS_ENTRIES (s32, 4)
DEFINE_STATS_ENTRIES (f16, 2)
DEFINE_STATS_ENTRIES (f32, 4)
DEFINE_STATS_ENTRIES (f64, 8)

/* ---- apply ----------------------------------------------------------- */

/* 8/16-bit integer in, same format out, in single precision: x - c is
 * exact and the result needs 16 bits.  Rounding to nearest is done on the
 * value shifted to be non-negative, so truncation rounds. */
#define DEFINE_APPLY_SMALL_INT(NAME, T)                                   \
  static inline uint64_t                                                  \
  apply_##NAME##_inline (const void *in, ptrdiff_t in_step, void *out,    \
      ptrdiff_t out_step, size_t n, const r128norm_affine *p)             \
  {                                                                       \
    const uint8_t *s = in;                                                \
    uint8_t *d = out;                                                     \
    const float c = p->cf, a = p->af, b = p->bf;                          \
    const float lo = p->lof, hi = p->hif;                                 \
    size_t i;                                                             \
    for (i = 0; i < n; i++) {                                             \
      T x, y;                                                             \
      float v;                                                            \
      memcpy (&x, s + (ptrdiff_t) i * in_step, sizeof x);                 \
      v = ((float) x - c) * a + b;                                        \
      v = v < lo ? lo : v;                                                \
      v = v > hi ? hi : v;                                                \
      y = (T) ((int32_t) (v - lo + 0.5f) + (int32_t) lo);                 \
      memcpy (d + (ptrdiff_t) i * out_step, &y, sizeof y);                \
    }                                                                     \
    return 0;                                                             \
  }

static inline uint64_t
apply_s32_inline (const void *in, ptrdiff_t in_step, void *out,
    ptrdiff_t out_step, size_t n, const r128norm_affine *p)
{
  const uint8_t *s = in;
  uint8_t *d = out;
  size_t i;
  for (i = 0; i < n; i++) {
    int32_t x, y;
    double v;
    memcpy (&x, s + (ptrdiff_t) i * in_step, sizeof x);
    v = ((double) x - p->c) * p->a + p->b;
    v = v < p->lo ? p->lo : v;
    v = v > p->hi ? p->hi : v;
    y = (int32_t) ((int64_t) (v - p->lo + 0.5) + (int64_t) p->lo);
    memcpy (d + (ptrdiff_t) i * out_step, &y, sizeof y);
  }
  return 0;
}

/* Integer in, float out.  8/16-bit inputs compute in single precision,
 * 32-bit ones in double. */
#define DEFINE_APPLY_INT_TO_FLOAT(NAME, T, ARITH, C, A, B, LO, HI, STORE) \
  static inline uint64_t                                                  \
  apply_##NAME##_inline (const void *in, ptrdiff_t in_step, void *out,    \
      ptrdiff_t out_step, size_t n, const r128norm_affine *p)             \
  {                                                                       \
    const uint8_t *s = in;                                                \
    uint8_t *d = out;                                                     \
    const ARITH c = p->C, a = p->A, b = p->B, lo = p->LO, hi = p->HI;     \
    size_t i;                                                             \
    for (i = 0; i < n; i++) {                                             \
      T x;                                                                \
      ARITH v;                                                            \
      memcpy (&x, s + (ptrdiff_t) i * in_step, sizeof x);                 \
      v = ((ARITH) x - c) * a + b;                                        \
      v = v < lo ? lo : v;                                                \
      v = v > hi ? hi : v;                                                \
      STORE (d + (ptrdiff_t) i * out_step, v);                            \
    }                                                                     \
    return 0;                                                             \
  }

/* Float in, float out, in double precision.  x - c is clamped so that a
 * huge double cannot overflow to infinity and meet a zero scale. */
#define DEFINE_APPLY_FLOAT(NAME, LOAD, STORE)                             \
  static inline uint64_t                                                  \
  apply_##NAME##_inline (const void *in, ptrdiff_t in_step, void *out,    \
      ptrdiff_t out_step, size_t n, const r128norm_affine *p)             \
  {                                                                       \
    const uint8_t *s = in;                                                \
    uint8_t *d = out;                                                     \
    const double c = p->c, a = p->a, b = p->b, lo = p->lo, hi = p->hi;    \
    const double nf = p->non_finite;                                      \
    uint64_t non_finite = 0;                                              \
    size_t i;                                                             \
    for (i = 0; i < n; i++) {                                             \
      double x = LOAD (s + (ptrdiff_t) i * in_step);                      \
      int ok = (x - x == 0.0);                                            \
      double t = x - c, v;                                                \
      t = t < -DBL_MAX ? -DBL_MAX : t;                                    \
      t = t > DBL_MAX ? DBL_MAX : t;                                      \
      v = t * a + b;                                                      \
      v = v < lo ? lo : v;                                                \
      v = v > hi ? hi : v;                                                \
      v = ok ? v : nf;                                                    \
      non_finite += !ok;                                                  \
      STORE (d + (ptrdiff_t) i * out_step, v);                            \
    }                                                                     \
    return non_finite;                                                    \
  }

#define DEFINE_APPLY_ENTRIES(NAME, IN_SIZE, OUT_SIZE)                     \
  static uint64_t                                                         \
  apply_##NAME (const void *in, ptrdiff_t in_step, void *out,             \
      ptrdiff_t out_step, size_t n, const r128norm_affine *p)             \
  {                                                                       \
    return apply_##NAME##_inline (in, in_step, out, out_step, n, p);      \
  }                                                                       \
  static uint64_t                                                         \
  apply_contig_##NAME (const void *in, void *out, size_t n,               \
      const r128norm_affine *p)                                           \
  {                                                                       \
    return apply_##NAME##_inline (in, IN_SIZE, out, OUT_SIZE, n, p);      \
  }

#define STORE_F32_FROM_FLOAT(ptr, v) do { float f_ = (v); memcpy ((ptr), &f_, 4); } while (0)

DEFINE_APPLY_SMALL_INT (u8_u8, uint8_t)
DEFINE_APPLY_SMALL_INT (s16_s16, int16_t)
DEFINE_APPLY_SMALL_INT (u16_u16, uint16_t)
DEFINE_APPLY_INT_TO_FLOAT (u8_f32, uint8_t, float, cf, af, bf, lof, hif, STORE_F32_FROM_FLOAT)
DEFINE_APPLY_INT_TO_FLOAT (s16_f32, int16_t, float, cf, af, bf, lof, hif, STORE_F32_FROM_FLOAT)
DEFINE_APPLY_INT_TO_FLOAT (u16_f32, uint16_t, float, cf, af, bf, lof, hif, STORE_F32_FROM_FLOAT)
DEFINE_APPLY_INT_TO_FLOAT (s32_f32, int32_t, double, c, a, b, lo, hi, store_f32)
/* half output is rounded once, from double: a single-precision value
 * rounded again to half could land on the wrong side of a tie */
DEFINE_APPLY_INT_TO_FLOAT (u8_f16, uint8_t, double, c, a, b, lo, hi, store_f16)
DEFINE_APPLY_INT_TO_FLOAT (s16_f16, int16_t, double, c, a, b, lo, hi, store_f16)
DEFINE_APPLY_INT_TO_FLOAT (u16_f16, uint16_t, double, c, a, b, lo, hi, store_f16)
DEFINE_APPLY_INT_TO_FLOAT (s32_f16, int32_t, double, c, a, b, lo, hi, store_f16)
DEFINE_APPLY_FLOAT (f16_f16, load_f16, store_f16)
DEFINE_APPLY_FLOAT (f16_f32, load_f16, store_f32)
DEFINE_APPLY_FLOAT (f32_f32, load_f32, store_f32)
DEFINE_APPLY_FLOAT (f32_f16, load_f32, store_f16)
DEFINE_APPLY_FLOAT (f64_f64, load_f64, store_f64)
DEFINE_APPLY_FLOAT (f64_f32, load_f64, store_f32)
DEFINE_APPLY_FLOAT (f64_f16, load_f64, store_f16)

DEFINE_APPLY_ENTRIES (u8_u8, 1, 1)
DEFINE_APPLY_ENTRIES (s16_s16, 2, 2)
DEFINE_APPLY_ENTRIES (u16_u16, 2, 2)
DEFINE_APPLY_ENTRIES (s32, 4, 4)
DEFINE_APPLY_ENTRIES (u8_f32, 1, 4)
DEFINE_APPLY_ENTRIES (s16_f32, 2, 4)
DEFINE_APPLY_ENTRIES (u16_f32, 2, 4)
DEFINE_APPLY_ENTRIES (s32_f32, 4, 4)
DEFINE_APPLY_ENTRIES (u8_f16, 1, 2)
DEFINE_APPLY_ENTRIES (s16_f16, 2, 2)
DEFINE_APPLY_ENTRIES (u16_f16, 2, 2)
DEFINE_APPLY_ENTRIES (s32_f16, 4, 2)
DEFINE_APPLY_ENTRIES (f16_f16, 2, 2)
DEFINE_APPLY_ENTRIES (f16_f32, 2, 4)
DEFINE_APPLY_ENTRIES (f32_f32, 4, 4)
DEFINE_APPLY_ENTRIES (f32_f16, 4, 2)
DEFINE_APPLY_ENTRIES (f64_f64, 8, 8)
DEFINE_APPLY_ENTRIES (f64_f32, 8, 4)
DEFINE_APPLY_ENTRIES (f64_f16, 8, 2)

/* ---- the table ------------------------------------------------------- */

typedef struct {
  r128norm_stats_fn stats;
  r128norm_stats_contig_fn stats_contig;
  /* apply kernels to the same format, to F32 and to F16 */
  r128norm_apply_fn apply[3];
  r128norm_apply_contig_fn apply_contig[3];
} format_kernels;

#define ROW(S, SAME, TO_F32, TO_F16)                                      \
  { stats_##S, stats_contig_##S,                                          \
    { apply_##SAME, apply_##TO_F32, apply_##TO_F16 },                     \
    { apply_contig_##SAME, apply_contig_##TO_F32, apply_contig_##TO_F16 } }

static const format_kernels c_kernels[R128NORM_N_FORMATS] = {
  [R128NORM_FORMAT_U8] = ROW (u8, u8_u8, u8_f32, u8_f16),
  [R128NORM_FORMAT_U8_CENTERED] = ROW (u8, u8_u8, u8_f32, u8_f16),
  [R128NORM_FORMAT_S16] = ROW (s16, s16_s16, s16_f32, s16_f16),
  [R128NORM_FORMAT_U16] = ROW (u16, u16_u16, u16_f32, u16_f16),
  [R128NORM_FORMAT_S32] = ROW (s32, s32, s32_f32, s32_f16),
  [R128NORM_FORMAT_F16] = ROW (f16, f16_f16, f16_f32, f16_f16),
  [R128NORM_FORMAT_F32] = ROW (f32, f32_f32, f32_f32, f32_f16),
  [R128NORM_FORMAT_F64] = ROW (f64, f64_f64, f64_f32, f64_f16),
};

int
r128norm_kernels_c (r128norm_format in, r128norm_format out,
    r128norm_kernel_set *set)
{
  int which;

  if ((unsigned) in >= R128NORM_N_FORMATS)
    return 0;
  if (out == in)
    which = 0;
  else if (out == R128NORM_FORMAT_F32)
    which = 1;
  else if (out == R128NORM_FORMAT_F16)
    which = 2;
  else
    return 0;

  set->name = "c";
  set->stats = c_kernels[in].stats;
  set->stats_contig = c_kernels[in].stats_contig;
  set->apply = c_kernels[in].apply[which];
  set->apply_contig = c_kernels[in].apply_contig[which];
  set->wants_lut = 0;
  set->lut_derive = NULL;
  return 1;
}

void
r128norm_stats_contig_c (r128norm_format format, const void *in, size_t n,
    const r128norm_clip *clip, r128norm_acc *acc)
{
  c_kernels[format].stats_contig (in, n, clip, acc);
}

/* ---- u8 by table, where no SIMD kernel is --------------------------- */

/* u8 -> u8 through the channel's table (r128norm_affine.lut: this file's
 * kernel's output for every value, which the library makes once a buffer
 * when wants_lut is set), so exactly C's bytes: a load a sample instead of
 * the single precision steps.  What CPUs without AVX2 (SSE alone, ARM)
 * run instead of ORC's u8 apply (docs/performance.md). */
static uint64_t
apply_u8_table (const void *in, ptrdiff_t in_step, void *out,
    ptrdiff_t out_step, size_t n, const r128norm_affine *p)
{
  const uint8_t *s = in;
  uint8_t *d = out;
  size_t i;

  if (!p->has_lut)
    return apply_u8_u8 (in, in_step, out, out_step, n, p);
  for (i = 0; i < n; i++)
    d[(ptrdiff_t) i * out_step] = p->lut[s[(ptrdiff_t) i * in_step]];
  return 0;
}

uint64_t
r128norm_apply_contig_u8_table (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  const uint8_t *s = in;
  uint8_t *d = out;
  size_t i;

  if (!p->has_lut)
    return apply_contig_u8_u8 (in, out, n, p);
  /* eight bytes read, then their eight outputs written: a byte's load,
   * lookup and store at a time ran at 0.29 or 0.55 ns a byte depending on
   * where the loop fell in the code (its stores are to the next loads'
   * addresses, in place) */
  for (i = 0; i + 8 <= n; i += 8) {
    uint8_t x[8];
    unsigned k;
    memcpy (x, s + i, sizeof x);
#pragma GCC unroll 8
    for (k = 0; k < 8; k++)
      d[i + k] = p->lut[x[k]];
  }
  for (; i < n; i++)
    d[i] = p->lut[s[i]];
  return 0;
}

/* The table as a map of integers (r128norm_u8_fixed).  Each x bounds
 * x * fa + fb: from T 2^s up to (T + 1) 2^s - 1 where the table's byte
 * T is in (0, 255), only from above where it is 0 and only from below
 * where it is 255.  For a given fa the fb that satisfy all 256 bounds
 * form one range, found in a pass; the fa tried are a 2^s rounded, then
 * one unit either side, and so on.  C's bytes are the rounded values of a
 * line computed in float, so a line of fine enough steps through all of
 * them is found at once but for a value next to a rounding tie, where a
 * neighbouring fa fits.  At shift 14, about one in 1000 of the tests'
 * 20,000 random maps has none; at the largest shift each gain allows,
 * none of them. */
#define U8_FIT_TRIES 4

/* the largest |fa|: 16 bits (SSE2's pmaddwd), or where 255 fa is still
 * 2^23 inside 32 bits */
static int32_t
u8_fit_fa_max (int wide)
{
  return wide ? (1 << 23) - 1 : 32767;
}

int
r128norm_u8_fit_shift (double a, int wide)
{
  int shift;

  for (shift = 22; shift >= 8; shift--)
    if (fabs (a) * (double) (1 << shift) + U8_FIT_TRIES + 1
        <= u8_fit_fa_max (wide))
      return shift;
  return 0;                     /* also a NaN */
}

int
r128norm_u8_fit (const uint8_t *table, double a, int shift, int wide,
    r128norm_u8_fixed *fixed)
{
  const int64_t one = (int64_t) 1 << shift, fa_max = u8_fit_fa_max (wide);
  const int64_t top = (INT64_C (1) << 31) - 1;
  /* narrow, SSE2's operands: fb >> s within 16 bits, and the part of fb
   * below 2^s a multiple of 2^(s - 15), which pmaddwd multiplies by a
   * 16-bit factor; x fa + fb within 32 bits either way (below) */
  const int64_t bound = wide || 32768 * one > top ? top : 32768 * one;
  const int64_t grain = !wide && shift > 15 ? (int64_t) 1 << (shift - 15)
      : 1;
  const double nominal = nearbyint (a * (double) one);
  int d;

  if (shift < 8 || shift > 22 || !(fabs (nominal) <= (double) fa_max))
    return 0;
  for (d = 0; d <= 2 * U8_FIT_TRIES + 1; d++) {
    /* 0, +1, -1, +2, -2, ..., then 0 itself (a table of one value, which
     * a steep map may saturate to beyond its bounds) */
    const int64_t fa = d > 2 * U8_FIT_TRIES ? 0 : (int64_t) nominal
        + (d % 2 ? (d + 1) / 2 : -d / 2);
    /* fb and 255 fa + fb within 32 bits, and within the bound */
    int64_t lo = -top - (fa < 0 ? 255 * fa : 0);
    int64_t hi = top - (fa > 0 ? 255 * fa : 0);
    unsigned x;
    if (fa < -fa_max || fa > fa_max)
      continue;
    lo = lo > -bound ? lo : -bound;
    hi = hi < bound - 1 ? hi : bound - 1;
    /* branches, not a chain of selects: a bound moves at few of the
     * values, and the branches' pattern (the table's runs) is learnt */
    for (x = 0; x < 256 && lo <= hi; x++) {
      const int64_t t = table[x], at = (int64_t) x * fa;
      if (t > 0 && t * one - at > lo)
        lo = t * one - at;
      if (t < 255 && (t + 1) * one - 1 - at < hi)
        hi = (t + 1) * one - 1 - at;
    }
    /* the multiples of grain in [lo, hi] */
    lo = lo >= 0 ? (lo + grain - 1) / grain * grain : -(-lo / grain * grain);
    hi = hi >= 0 ? hi / grain * grain : -((-hi + grain - 1) / grain * grain);
    if (lo <= hi) {
      fixed->fa = (int32_t) fa;
      fixed->fb = (int32_t) (lo + (hi - lo) / grain / 2 * grain);
      fixed->shift = shift;
      fixed->wide = wide;
      return 1;
    }
  }
  return 0;
}

static void
derive_fixed (r128norm_affine *p, int wide)
{
  if (!r128norm_u8_fit (p->lut, p->af, r128norm_u8_fit_shift (p->af, wide),
          wide, &p->lut_fixed))
    p->lut_fixed.shift = 0;
}

void
r128norm_u8_derive_fixed (r128norm_affine *p)
{
  derive_fixed (p, 0);
}

void
r128norm_u8_derive_fixed_wide (r128norm_affine *p)
{
  derive_fixed (p, 1);
}

/* u8 -> F32 alike, through r128norm_affine.lut_f32: C's floats.  Video to
 * a planar float tensor (RGB to CHW) applies strided rows like this. */
static uint64_t
apply_u8_f32_table (const void *in, ptrdiff_t in_step, void *out,
    ptrdiff_t out_step, size_t n, const r128norm_affine *p)
{
  const uint8_t *s = in;
  uint8_t *d = out;
  const float *t = p->lut_f32;
  size_t i = 0;

  if (!p->has_lut)
    return apply_u8_f32 (in, in_step, out, out_step, n, p);
  if (out_step == 4)
    /* four lookups, one store */
    for (; i + 4 <= n; i += 4) {
      const uint8_t *x = s + (ptrdiff_t) i * in_step;
      const float v[4] = { t[x[0]], t[x[in_step]], t[x[2 * in_step]],
        t[x[3 * in_step]] };
      memcpy (d + 4 * i, v, sizeof v);
    }
  for (; i < n; i++)
    memcpy (d + (ptrdiff_t) i * out_step, t + s[(ptrdiff_t) i * in_step], 4);
  return 0;
}

static uint64_t
apply_contig_u8_f32_table (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  return apply_u8_f32_table (in, 1, out, 4, n, p);
}

/* u8 -> F16 alike, through r128norm_affine.lut's halves: C's halves,
 * each of which C computes in double and rounds in software (video to an
 * F16 tensor ran 17 to 20 times memcpy of its output) */
static uint64_t
apply_u8_f16_table (const void *in, ptrdiff_t in_step, void *out,
    ptrdiff_t out_step, size_t n, const r128norm_affine *p)
{
  const uint8_t *s = in;
  uint8_t *d = out;
  size_t i;

  if (!p->has_lut)
    return apply_u8_f16 (in, in_step, out, out_step, n, p);
  for (i = 0; i < n; i++)
    memcpy (d + (ptrdiff_t) i * out_step, p->lut + 2 * s[(ptrdiff_t) i
            * in_step], 2);
  return 0;
}

static uint64_t
apply_contig_u8_f16_table (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  return apply_u8_f16_table (in, 1, out, 2, n, p);
}

int
r128norm_kernels_table (r128norm_format in, r128norm_format out,
    r128norm_kernel_set *set)
{
  if (in != R128NORM_FORMAT_U8 && in != R128NORM_FORMAT_U8_CENTERED)
    return 0;
  if (out == in) {
    set->apply = apply_u8_table;
    set->apply_contig = r128norm_apply_contig_u8_table;
  } else if (out == R128NORM_FORMAT_F32) {
    set->apply = apply_u8_f32_table;
    set->apply_contig = apply_contig_u8_f32_table;
  } else if (out == R128NORM_FORMAT_F16) {
    set->apply = apply_u8_f16_table;
    set->apply_contig = apply_contig_u8_f16_table;
  } else {
    return 0;
  }
  set->wants_lut = 1;
  set->lut_derive = NULL;
  return 1;
}
