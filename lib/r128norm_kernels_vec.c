/* Portable vector kernels: F32 and F64 rows with 16-byte vectors written
 * in GCC's vector extensions, so that one source compiles to SSE2 on any
 * x86-64 and to NEON on AArch64.  What CPUs without AVX2 run for float
 * rows instead of the C kernels, whose statistics add one sample at a
 * time into one double (an addition's latency per sample) and whose apply
 * converts one sample at a time.
 *
 * The statistics are C's sums with eight partial sums instead of one: the
 * same values, added in another order.  The apply takes C's double
 * precision steps two lanes at a time, so its output is C's bit for bit
 * (the file is built without contraction into FMA, see meson.build),
 * except F32 maps that allow the AVX2 kernels' single precision steps,
 * four lanes at a time, within SPEC 3's 1e-5.  A group of samples holding
 * a NaN or an infinity goes to the C kernel, as do clipped statistics and
 * the tail of a row.  And the packed rows of interleaved F32 and F64
 * (audio, hwc tensors), with the AVX2 kernels' per-position parameters:
 * C's double steps, bit for bit (r128norm_packed_float_vec).  F16 rows
 * take the float kernels' steps on doubles converted exactly from the
 * halves, the output rounded once to half by C's steps (load4_f16,
 * double_to_half2), so C's bit for bit.  And, exact,
 * the sums of u8 rows per lane (r128norm_u8_sums_vec: packed RGBA, RGB
 * and NV12 UV rows, and u8 planes), and u8 -> u8 by the tables' maps of
 * integers (r128norm_u8_fixed_row_vec), their bytes; S16, U16 and S32 rows, interleaved
 * (audio) and contiguous, their statistics and their apply in C's steps
 * bit for bit. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "r128norm_simd.h"

/* Samples [0, n) of an S16 (U16 where u16 is set) row piece from
 * position 0, one at a time with the C kernels' steps: the tail of a row,
 * for the x86 (r128norm_packed_s16_scalar) and the portable kernels
 * (here, where nothing is contracted into FMA). */
static inline void
int16_scalar (const int16_t *src, void *dst, size_t n,
    const r128norm_packed_sparams *sp, const int u16, int sum, int apply,
    int64_t *sums, uint64_t *sq)
{
  const unsigned m = 16 * sp->nph;
  unsigned pos = 0;
  size_t i;

  for (i = 0; i < n; i++) {
    int16_t raw;
    int32_t x;
    memcpy (&raw, src + i, sizeof raw);
    x = u16 ? (int32_t) (uint16_t) raw : raw;
    if (sum) {
      sums[pos] += x;
      sq[pos] += (uint64_t) ((int64_t) x * x);
    }
    if (apply) {
      const float lo = sp->lo[pos], hi = sp->hi[pos];
      float v = ((float) x - sp->c[pos]) * sp->a[pos] + sp->b[pos];
      v = v < lo ? lo : v;
      v = v > hi ? hi : v;
      if (sp->to_f32) {
        memcpy ((float *) dst + i, &v, sizeof v);
      } else {
        uint16_t y = (uint16_t) ((int32_t) (v - lo + 0.5f) + (int32_t) lo);
        memcpy ((int16_t *) dst + i, &y, sizeof y);
      }
    }
    pos = pos + 1 == m ? 0 : pos + 1;
  }
}

/* GCC 9 and clang have __builtin_convertvector; 32-bit x86 must do its
 * float arithmetic in SSE (not x87's extended precision, as C would) */
#if ((defined(__GNUC__) && __GNUC__ >= 9) || defined(__clang__)) \
    && (!defined(__i386__) || defined(__SSE2_MATH__))

typedef float v2sf __attribute__ ((vector_size (8)));
typedef float v4sf __attribute__ ((vector_size (16)));
typedef double v2df __attribute__ ((vector_size (16)));
typedef int32_t v4si __attribute__ ((vector_size (16)));
typedef int64_t v2di __attribute__ ((vector_size (16)));
typedef uint32_t v4su __attribute__ ((vector_size (16)));
typedef uint64_t v2du __attribute__ ((vector_size (16)));
typedef uint8_t v16qu __attribute__ ((vector_size (16)));
typedef uint16_t v8hu __attribute__ ((vector_size (16)));

static inline v2df
splat (double x)
{
  return (v2df) { x, x };
}

#if defined(__SSE2__)
/* x86: the instructions gcc does not pick from the generic code below
 * (cvtps2pd of a register's halves, minpd and maxpd, pmovmskb) */
#include <emmintrin.h>

static inline void
load4_f32 (const float *p, v2df *lo, v2df *hi)
{
  __m128 x = _mm_loadu_ps (p);
  *lo = (v2df) _mm_cvtps_pd (x);
  *hi = (v2df) _mm_cvtps_pd (_mm_movehl_ps (x, x));
}

/* two vectors of doubles as four floats, each rounded once */
static inline v4sf
pack4_f32 (v2df lo, v2df hi)
{
  return (v4sf) _mm_movelh_ps (_mm_cvtpd_ps ((__m128d) lo),
      _mm_cvtpd_ps ((__m128d) hi));
}

/* C's clamps, v < lo ? lo : v, then v > hi ? hi : v: maxpd and minpd
 * return their second operand where the two are equal, so the sample's
 * own zero where it equals a bound of the other sign, as C */
static inline v2df
clamp2 (v2df v, v2df lo, v2df hi)
{
  return (v2df) _mm_min_pd ((__m128d) hi, _mm_max_pd ((__m128d) lo,
          (__m128d) v));
}

static inline int
any_set (v4si mask)
{
  return _mm_movemask_epi8 ((__m128i) mask) != 0;
}

/* all ones where x is finite (x - x is 0, not NaN); cmpeqpd, since
 * gcc 12 stopped with an internal error on the generic comparison in
 * the unrolled F64 packed rows below */
static inline v2di
finite2 (v2df x)
{
  return (v2di) _mm_cmpeq_pd ((__m128d) (x - x), _mm_setzero_pd ());
}

/* C's clamps of floats, as clamp2 */
static inline v4sf
clamp4f (v4sf v, v4sf lo, v4sf hi)
{
  return (v4sf) _mm_min_ps ((__m128) hi, _mm_max_ps ((__m128) lo,
          (__m128) v));
}

/* Adds the squares of the eight 16-bit samples of x (S16, or U16 where
 * u16 is set) to 64-bit lanes: sq[0] those of samples 0 and 4, sq[1] 2
 * and 6, sq[2] 1 and 5, sq[3] 3 and 7.  S16: pmaddwd of each half of a
 * 32-bit lane alone (the other half 0), exact in 32 bits; U16, whose
 * squares need all 32: pmuludq, straight to 64 bits. */
static inline void
int16_squares (v4si x, const int u16, v2du *sq)
{
  const __m128i lo = _mm_and_si128 ((__m128i) x, _mm_set1_epi32 (0xffff));
  const __m128i hi = _mm_srli_epi32 ((__m128i) x, 16);

  if (u16) {
    const __m128i lo_odd = _mm_srli_epi64 (lo, 32);
    const __m128i hi_odd = _mm_srli_epi64 (hi, 32);
    sq[0] += (v2du) _mm_mul_epu32 (lo, lo);
    sq[1] += (v2du) _mm_mul_epu32 (lo_odd, lo_odd);
    sq[2] += (v2du) _mm_mul_epu32 (hi, hi);
    sq[3] += (v2du) _mm_mul_epu32 (hi_odd, hi_odd);
  } else {
    const v2du low = { 0xffffffffu, 0xffffffffu };
    const v2du e2 = (v2du) _mm_madd_epi16 (lo, lo);
    const v2du o2 = (v2du) _mm_madd_epi16 (hi, hi);
    sq[0] += e2 & low;
    sq[1] += e2 >> 32;
    sq[2] += o2 & low;
    sq[3] += o2 >> 32;
  }
}

/* eight floats to p: the even ones, then the odd ones, interleaved */
static inline void
store_interleaved_f32 (float *p, v4sf even, v4sf odd)
{
  _mm_storeu_ps (p, _mm_unpacklo_ps ((__m128) even, (__m128) odd));
  _mm_storeu_ps (p + 4, _mm_unpackhi_ps ((__m128) even, (__m128) odd));
}

/* four floats as two vectors of doubles */
static inline void
widen4 (v4sf f, v2df *lo, v2df *hi)
{
  *lo = (v2df) _mm_cvtps_pd ((__m128) f);
  *hi = (v2df) _mm_cvtps_pd (_mm_movehl_ps ((__m128) f, (__m128) f));
}

/* the low 16 bits of the four 64-bit lanes of lo and hi, in order */
static inline uint64_t
narrow4_u16 (v2di lo, v2di hi)
{
  /* the low 32 bits of each, sign-extended from 16 for the saturating
   * pack to keep them */
  __m128i w = _mm_castps_si128 (_mm_shuffle_ps ((__m128) lo, (__m128) hi,
          _MM_SHUFFLE (2, 0, 2, 0)));
  w = _mm_srai_epi32 (_mm_slli_epi32 (w, 16), 16);
  return (uint64_t) _mm_cvtsi128_si64 (_mm_packs_epi32 (w, w));
}

/* all ones where a < b */
static inline v2di
less2 (v2df a, v2df b)
{
  return (v2di) _mm_cmplt_pd ((__m128d) a, (__m128d) b);
}

/* the larger of a and b, neither a NaN */
static inline v2df
max2 (v2df a, v2df b)
{
  return (v2df) _mm_max_pd ((__m128d) a, (__m128d) b);
}

/* four 16-bit samples zero-extended to 32 bits */
static inline v4su
load4_u16 (const uint16_t *p)
{
  return (v4su) _mm_unpacklo_epi16 (_mm_loadl_epi64 ((const __m128i *) p),
      _mm_setzero_si128 ());
}

/* the products of the low 32 bits of a's and b's 64-bit lanes */
static inline v2du
mul_low32 (v2du a, v2du b)
{
  return (v2du) _mm_mul_epu32 ((__m128i) a, (__m128i) b);
}

/* Adds to sum the sums of the four pairs of S16 samples of x (32-bit
 * lanes; at most 2^16 each) and to sq[0] and sq[1] the sums of their
 * squares (at most 2^31, which unsigned 32 bits hold) as 64-bit lanes:
 * pmaddwd, the sum of two products, once with ones and once with x. */
static inline void
s16_pair_sums (v4si x, v4si *sum, v2du *sq)
{
  const v2du low = { 0xffffffffu, 0xffffffffu };
  const v2du q = (v2du) _mm_madd_epi16 ((__m128i) x, (__m128i) x);

  *sum += (v4si) _mm_madd_epi16 ((__m128i) x, _mm_set1_epi16 (1));
  sq[0] += q & low;
  sq[1] += q >> 32;
}

/* the four samples of x as doubles: 0 and 1, then 2 and 3 */
static inline void
s32_to_double (v4si x, v2df *lo, v2df *hi)
{
  *lo = (v2df) _mm_cvtepi32_pd ((__m128i) x);
  *hi = (v2df) _mm_cvtepi32_pd (_mm_unpackhi_epi64 ((__m128i) x,
          (__m128i) x));
}

/* C's (int64) w - 2^31 for four w in [0.5, 2^32 - 0.5] (w = v - lo + 0.5
 * with lo = -2^31; the int64 conversion truncates, and w > 0, so it is
 * floor (w)).  SSE2 converts no double to a 64-bit integer in vectors:
 * w + 2^52 rounds w to the nearest integer r, which is then the low bits
 * of its representation; r - 1 where r came out above w. */
static inline v4si
s32_round4 (v2df w_lo, v2df w_hi)
{
  const __m128d big = _mm_set1_pd (0x1p52);
  const __m128d m_lo = _mm_add_pd ((__m128d) w_lo, big);
  const __m128d m_hi = _mm_add_pd ((__m128d) w_hi, big);
  const v2di r_lo = (v2di) m_lo + (v2di) _mm_cmpgt_pd (_mm_sub_pd (m_lo,
          big), (__m128d) w_lo);
  const v2di r_hi = (v2di) m_hi + (v2di) _mm_cmpgt_pd (_mm_sub_pd (m_hi,
          big), (__m128d) w_hi);
  /* the low 32 bits of each, minus 2^31 */
  const v4su y = (v4su) _mm_shuffle_ps ((__m128) r_lo, (__m128) r_hi,
      _MM_SHUFFLE (2, 0, 2, 0));
  return (v4si) (y ^ 0x80000000u);
}

/* The maps of integers of a unit's bytes (r128norm_u8_fixed) as pmaddwd's
 * operands, SSE2 having no 32-bit multiply: for the four bytes of group
 * g, pairs (fa, (fb mod 2^s) / g) that multiply the pairs (x, g), g the
 * grain of fb mod 2^s, 2^(s - 15) or 1 (r128norm_u8_fit); for the eight
 * bytes of half h, fb >> s, which is added after the shift in 16 bits
 * with saturation.  x fa + (fb mod 2^s) is within 2^23 + 2^s, so its
 * shift packs to 16 bits exactly (s >= 8); and the sum saturates only
 * where it is outside 16 bits, beyond the clamp to [0, 255] either
 * way. */
typedef struct
{
  __m128i pair[12], high[6];
  __m128i grain, count;
  uint32_t grain2;              /* g^2 */
} u8_fixed_vecs;

/* The sums of a block of units of a map's bytes, per position of vector k
 * of the unit: s[2 k + h], of half h's bytes in 16 bits (at most 256
 * units: 255 * 256 fits); q[4 k + j], of group j's x^2 + g^2 in 32 bits,
 * what pmaddwd gives for the pairs (x, g) (at most 256 (255^2 + 128^2)).
 * Folded (a period that divides 4, one vector a unit): s[0] of both
 * halves, q[0] of the four groups, at most 128 units: two accumulators
 * instead of six, which SSE2's 16 registers hold beside the maps. */
typedef struct
{
  __m128i s[6], q[12];
} u8_fixed_acc;

/* The grain of fb mod 2^s at shift s, and the shift's vectors; returns
 * the grain */
static inline int
u8_fixed_vecs_shift (u8_fixed_vecs *v, int s)
{
  const int grain = s > 15 ? 1 << (s - 15) : 1;

  v->grain = _mm_set1_epi16 ((int16_t) grain);
  v->count = _mm_cvtsi32_si128 (s);
  v->grain2 = (uint32_t) (grain * grain);
  return grain;
}

static void
u8_fixed_vecs_init (u8_fixed_vecs *v, const r128norm_u8_fixed *maps,
    unsigned unit)
{
  const int s = maps[0].shift, grain = u8_fixed_vecs_shift (v, s);
  int16_t pair[2 * 48] = { 0 }, high[48] = { 0 };
  unsigned j;

  for (j = 0; j < unit; j++) {
    pair[2 * j] = (int16_t) maps[j].fa;
    pair[2 * j + 1] = (int16_t) ((maps[j].fb & ((1 << s) - 1)) / grain);
    high[j] = (int16_t) (maps[j].fb >> s);
  }
  memcpy (v->pair, pair, 4 * unit);
  memcpy (v->high, high, 2 * unit);
}

/* The same map at every byte of a 16-byte unit (a plane's): a row's
 * setup, so a few stores */
static inline void
u8_fixed_vecs_splat (u8_fixed_vecs *v, const r128norm_u8_fixed *map)
{
  const int s = map->shift, grain = u8_fixed_vecs_shift (v, s);
  const uint16_t low = (uint16_t) ((map->fb & ((1 << s) - 1)) / grain);
  unsigned k;

  for (k = 0; k < 4; k++)
    v->pair[k] = _mm_set1_epi32 ((int32_t) ((uint32_t) low << 16
            | (uint16_t) map->fa));
  v->high[0] = v->high[1] = _mm_set1_epi16 ((int16_t) (map->fb >> s));
}

static inline void
u8_fixed_acc_flush (u8_fixed_acc *acc, const u8_fixed_vecs *v,
    uint32_t units, const unsigned V, const int FOLD, uint64_t *pos_sum,
    uint64_t *pos_sq)
{
  unsigned k, j;

  if (FOLD) {
    uint16_t s16[8];
    uint32_t q32[4];
    memcpy (s16, &acc->s[0], sizeof s16);
    memcpy (q32, &acc->q[0], sizeof q32);
    for (j = 0; j < 8; j++)
      pos_sum[j] += s16[j];
    for (j = 0; j < 4; j++)
      pos_sq[j] += q32[j] - 4 * units * v->grain2;
    return;
  }
  for (k = 0; k < V; k++) {
    uint16_t s16[16];
    uint32_t q32[16];
    memcpy (s16, &acc->s[2 * k], sizeof s16);
    memcpy (q32, &acc->q[4 * k], sizeof q32);
    for (j = 0; j < 16; j++) {
      pos_sum[16 * k + j] += s16[j];
      pos_sq[16 * k + j] += q32[j] - units * v->grain2;
    }
  }
}

/* Vector k of a unit mapped, its sums added to acc where SUM is set */
static inline __attribute__ ((always_inline)) v16qu
u8_fixed_map (v16qu x, const u8_fixed_vecs *v, const unsigned k,
    const int SUM, const int FOLD, u8_fixed_acc *acc)
{
  const __m128i zero = _mm_setzero_si128 (), g = v->grain;
  const __m128i lo = _mm_unpacklo_epi8 ((__m128i) x, zero);
  const __m128i hi = _mm_unpackhi_epi8 ((__m128i) x, zero);
  const __m128i *pair = v->pair + 4 * k;
  const __m128i p0 = _mm_unpacklo_epi16 (lo, g);
  const __m128i p1 = _mm_unpackhi_epi16 (lo, g);
  const __m128i p2 = _mm_unpacklo_epi16 (hi, g);
  const __m128i p3 = _mm_unpackhi_epi16 (hi, g);
  __m128i d0 = _mm_madd_epi16 (p0, pair[0]);
  __m128i d1 = _mm_madd_epi16 (p1, pair[1]);
  __m128i d2 = _mm_madd_epi16 (p2, pair[2]);
  __m128i d3 = _mm_madd_epi16 (p3, pair[3]);
  if (SUM && FOLD) {
    acc->s[0] = _mm_add_epi16 (acc->s[0], _mm_add_epi16 (lo, hi));
    acc->q[0] = _mm_add_epi32 (acc->q[0], _mm_add_epi32 (_mm_add_epi32
            (_mm_madd_epi16 (p0, p0), _mm_madd_epi16 (p1, p1)),
            _mm_add_epi32 (_mm_madd_epi16 (p2, p2), _mm_madd_epi16 (p3,
                    p3))));
  } else if (SUM) {
    acc->s[2 * k] = _mm_add_epi16 (acc->s[2 * k], lo);
    acc->s[2 * k + 1] = _mm_add_epi16 (acc->s[2 * k + 1], hi);
    acc->q[4 * k] = _mm_add_epi32 (acc->q[4 * k], _mm_madd_epi16 (p0, p0));
    acc->q[4 * k + 1] = _mm_add_epi32 (acc->q[4 * k + 1],
        _mm_madd_epi16 (p1, p1));
    acc->q[4 * k + 2] = _mm_add_epi32 (acc->q[4 * k + 2],
        _mm_madd_epi16 (p2, p2));
    acc->q[4 * k + 3] = _mm_add_epi32 (acc->q[4 * k + 3],
        _mm_madd_epi16 (p3, p3));
  }
  d0 = _mm_sra_epi32 (d0, v->count);
  d1 = _mm_sra_epi32 (d1, v->count);
  d2 = _mm_sra_epi32 (d2, v->count);
  d3 = _mm_sra_epi32 (d3, v->count);
  return (v16qu) _mm_packus_epi16 (_mm_adds_epi16 (_mm_packs_epi32 (d0,
              d1), v->high[2 * k]), _mm_adds_epi16 (_mm_packs_epi32 (d2,
              d3), v->high[2 * k + 1]));
}

/* The sums of a u8 plane's bytes [0, n - n % 16) and of their squares
 * (one lane: positions need not be kept apart): psadbw sums 8 bytes into
 * 64 bits, pmaddwd squares and adds pairs of 16-bit bytes into 32 bits,
 * flushed to 64 bits every 16384 vectors (4 * 255^2 each a lane).  Nine
 * operations per 16 bytes, against the positions' sums' fifteen. */
#define HAVE_U8_PLANE_SUMS 1

static size_t
u8_plane_sums (const uint8_t *p, size_t n, uint64_t *sum, uint64_t *sq)
{
  const __m128i zero = _mm_setzero_si128 ();
  __m128i s = zero;
  size_t i = 0;

  while (i + 16 <= n) {
    const size_t end = n - i > 16 * 16384 ? i + 16 * 16384 : n;
    __m128i q = zero;
    uint32_t q32[4];
    for (; i + 16 <= end; i += 16) {
      const __m128i x = _mm_loadu_si128 ((const __m128i *) (p + i));
      const __m128i lo = _mm_unpacklo_epi8 (x, zero);
      const __m128i hi = _mm_unpackhi_epi8 (x, zero);
      s = _mm_add_epi64 (s, _mm_sad_epu8 (x, zero));
      q = _mm_add_epi32 (q, _mm_add_epi32 (_mm_madd_epi16 (lo, lo),
              _mm_madd_epi16 (hi, hi)));
    }
    _mm_storeu_si128 ((__m128i *) q32, q);
    *sq += (uint64_t) q32[0] + q32[1] + q32[2] + q32[3];
  }
  {
    uint64_t s64[2];
    _mm_storeu_si128 ((__m128i *) s64, s);
    *sum += s64[0] + s64[1];
  }
  return i;
}

#else

static inline void
load4_f32 (const float *p, v2df *lo, v2df *hi)
{
  v2sf x[2];
  memcpy (x, p, sizeof x);
  *lo = __builtin_convertvector (x[0], v2df);
  *hi = __builtin_convertvector (x[1], v2df);
}

static inline v4sf
pack4_f32 (v2df lo, v2df hi)
{
  v2sf f[2] = { __builtin_convertvector (lo, v2sf),
    __builtin_convertvector (hi, v2sf) };
  v4sf v;
  memcpy (&v, f, sizeof v);
  return v;
}

/* C's clamps by comparison and blend (NEON's fmax orders -0 below +0,
 * which C does not); both against v, which differs from C's order only
 * for lo > hi, which the library never asks for */
static inline v2df
clamp2 (v2df v, v2df lo, v2df hi)
{
  v2di below = v < lo, above = v > hi;
  v2di r = ((v2di) lo & below) | ((v2di) v & ~below);
  return (v2df) (((v2di) hi & above) | (r & ~above));
}

static inline int
any_set (v4si mask)
{
  uint64_t half[2];
  memcpy (half, &mask, sizeof half);
  return (half[0] | half[1]) != 0;
}

static inline v2di
finite2 (v2df x)
{
  return (v2di) ((x - x) == 0.0);
}

static inline v4sf
clamp4f (v4sf v, v4sf lo, v4sf hi)
{
  v4si below = v < lo, above = v > hi;
  v4si r = ((v4si) lo & below) | ((v4si) v & ~below);
  return (v4sf) (((v4si) hi & above) | (r & ~above));
}

static inline void
int16_squares (v4si x, const int u16, v2du *sq)
{
  const v2du low = { 0xffffffffu, 0xffffffffu };
  const v4su lo = u16 ? (v4su) x & 0xffff : (v4su) ((x << 16) >> 16);
  const v4su hi = u16 ? (v4su) x >> 16 : (v4su) (x >> 16);
  const v2du e2 = (v2du) (lo * lo), o2 = (v2du) (hi * hi);

  sq[0] += e2 & low;
  sq[1] += e2 >> 32;
  sq[2] += o2 & low;
  sq[3] += o2 >> 32;
}

static inline void
store_interleaved_f32 (float *p, v4sf even, v4sf odd)
{
  float e[4], o[4], out[8];
  int k;
  memcpy (e, &even, sizeof e);
  memcpy (o, &odd, sizeof o);
  for (k = 0; k < 4; k++) {
    out[2 * k] = e[k];
    out[2 * k + 1] = o[k];
  }
  memcpy (p, out, sizeof out);
}

static inline v2du
mul_low32 (v2du a, v2du b)
{
  const v2du low = { 0xffffffffu, 0xffffffffu };
  return (a & low) * (b & low);
}

static inline void
widen4 (v4sf f, v2df *lo, v2df *hi)
{
  v2sf h[2];
  memcpy (h, &f, sizeof h);
  *lo = __builtin_convertvector (h[0], v2df);
  *hi = __builtin_convertvector (h[1], v2df);
}

static inline uint64_t
narrow4_u16 (v2di lo, v2di hi)
{
  const uint16_t h[4] = { (uint16_t) lo[0], (uint16_t) lo[1],
    (uint16_t) hi[0], (uint16_t) hi[1]
  };
  uint64_t v;
  memcpy (&v, h, sizeof v);
  return v;
}

static inline v2di
less2 (v2df a, v2df b)
{
  return (v2di) (a < b);
}

static inline v2df
max2 (v2df a, v2df b)
{
  const v2di below = (v2di) (a < b);
  return (v2df) (((v2di) b & below) | ((v2di) a & ~below));
}

static inline v4su
load4_u16 (const uint16_t *p)
{
  typedef uint16_t v4hu __attribute__ ((vector_size (8)));
  v4hu raw;
  memcpy (&raw, p, sizeof raw);
  return __builtin_convertvector (raw, v4su);
}

static inline void
s16_pair_sums (v4si x, v4si *sum, v2du *sq)
{
  const v2du low = { 0xffffffffu, 0xffffffffu };
  const v4si even = (x << 16) >> 16, odd = x >> 16;
  const v2du q = (v2du) ((v4su) (even * even) + (v4su) (odd * odd));

  *sum += even + odd;
  sq[0] += q & low;
  sq[1] += q >> 32;
}

typedef int32_t v2si __attribute__ ((vector_size (8)));

static inline void
s32_to_double (v4si x, v2df *lo, v2df *hi)
{
  v2si h[2];
  memcpy (h, &x, sizeof h);
  *lo = __builtin_convertvector (h[0], v2df);
  *hi = __builtin_convertvector (h[1], v2df);
}

static inline v4si
s32_round4 (v2df w_lo, v2df w_hi)
{
  const v2di r_lo = __builtin_convertvector (w_lo, v2di) - 2147483648LL;
  const v2di r_hi = __builtin_convertvector (w_hi, v2di) - 2147483648LL;
  return (v4si) { (int32_t) r_lo[0], (int32_t) r_lo[1], (int32_t) r_hi[0],
    (int32_t) r_hi[1] };
}

/* The maps of integers of a unit's bytes (r128norm_u8_fixed): fa and fb
 * for the four bytes of group g, 32 bits each (x fa + fb is within
 * 2^31). */
typedef struct
{
  v4si fa[12], fb[12];
  v4si shift;
} u8_fixed_vecs;

/* The sums of a block of units (at most 256) of a map's bytes, per
 * position of group j of the unit, in 32 bits: s[j] of x, q[j] of x^2;
 * folded (a period that divides 4), s[0] and q[0] of all four groups */
typedef struct
{
  v4si s[12], q[12];
} u8_fixed_acc;

static inline void
u8_fixed_acc_flush (u8_fixed_acc *acc, const u8_fixed_vecs *v,
    uint32_t units, const unsigned V, const int FOLD, uint64_t *pos_sum,
    uint64_t *pos_sq)
{
  unsigned j, i;

  (void) v;
  (void) units;
  for (j = 0; j < (FOLD ? 1 : 4 * V); j++)
    for (i = 0; i < 4; i++) {
      pos_sum[4 * j + i] += (uint32_t) acc->s[j][i];
      pos_sq[4 * j + i] += (uint32_t) acc->q[j][i];
    }
}

static void
u8_fixed_vecs_init (u8_fixed_vecs *v, const r128norm_u8_fixed *maps,
    unsigned unit)
{
  unsigned j;

  for (j = 0; j < unit; j++) {
    v->fa[j / 4][j % 4] = maps[j].fa;
    v->fb[j / 4][j % 4] = maps[j].fb;
  }
  v->shift = (v4si) { 0 } + maps[0].shift;
}

static inline void
u8_fixed_vecs_splat (u8_fixed_vecs *v, const r128norm_u8_fixed *map)
{
  unsigned k;

  for (k = 0; k < 4; k++) {
    v->fa[k] = (v4si) { 0 } + map->fa;
    v->fb[k] = (v4si) { 0 } + map->fb;
  }
  v->shift = (v4si) { 0 } + map->shift;
}

/* GCC's and clang's names for a shuffle of two byte vectors */
#if defined(__clang__)
#define BYTE_SHUFFLE(a, b, ...) __builtin_shufflevector (a, b, __VA_ARGS__)
#else
#define BYTE_SHUFFLE(a, b, ...) \
  __builtin_shuffle (a, b, (v16qu) { __VA_ARGS__ })
#endif

/* Vector k of a unit mapped: the four bytes of each group widened to 32
 * bits by a shuffle with zeros (one NEON tbl: GCC 12 widens bytes by
 * __builtin_convertvector one at a time), clamped, and their low bytes
 * (a little-endian CPU's) shuffled back */
static inline __attribute__ ((always_inline)) v16qu
u8_fixed_map (v16qu x, const u8_fixed_vecs *v, const unsigned k,
    const int SUM, const int FOLD, u8_fixed_acc *acc)
{
  const v16qu zero = { 0 };
  v4si y[4];
  unsigned g;

  y[0] = (v4si) BYTE_SHUFFLE (x, zero, 0, 16, 16, 16, 1, 16, 16, 16, 2, 16,
      16, 16, 3, 16, 16, 16);
  y[1] = (v4si) BYTE_SHUFFLE (x, zero, 4, 16, 16, 16, 5, 16, 16, 16, 6, 16,
      16, 16, 7, 16, 16, 16);
  y[2] = (v4si) BYTE_SHUFFLE (x, zero, 8, 16, 16, 16, 9, 16, 16, 16, 10, 16,
      16, 16, 11, 16, 16, 16);
  y[3] = (v4si) BYTE_SHUFFLE (x, zero, 12, 16, 16, 16, 13, 16, 16, 16, 14,
      16, 16, 16, 15, 16, 16, 16);
#pragma GCC unroll 4
  for (g = 0; g < 4; g++) {
    v4si t = (y[g] * v->fa[4 * k + g] + v->fb[4 * k + g]) >> v->shift;
    if (SUM) {
      acc->s[FOLD ? 0 : 4 * k + g] += y[g];
      acc->q[FOLD ? 0 : 4 * k + g] += y[g] * y[g];
    }
    const v4si above = t > 255;
    t &= ~(t < 0);
    y[g] = (t & ~above) | (255 & above);
  }
  {
    const v16qu ab = BYTE_SHUFFLE ((v16qu) y[0], (v16qu) y[1], 0, 4, 8, 12,
        16, 20, 24, 28, 0, 0, 0, 0, 0, 0, 0, 0);
    const v16qu cd = BYTE_SHUFFLE ((v16qu) y[2], (v16qu) y[3], 0, 4, 8, 12,
        16, 20, 24, 28, 0, 0, 0, 0, 0, 0, 0, 0);
    return BYTE_SHUFFLE (ab, cd, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20,
        21, 22, 23);
  }
}

#endif

static inline void
store4_f32 (float *p, v2df lo, v2df hi)
{
  v4sf v = pack4_f32 (lo, hi);
  memcpy (p, &v, sizeof v);
}

static inline void
load4_f64 (const double *p, v2df *lo, v2df *hi)
{
  memcpy (lo, p, sizeof *lo);
  memcpy (hi, p + 2, sizeof *hi);
}

static inline void
store4_f64 (double *p, v2df lo, v2df hi)
{
  memcpy (p, &lo, sizeof lo);
  memcpy (p + 2, &hi, sizeof hi);
}

/* Non-zero when one of the n samples (n a multiple of 4) at p is a NaN or
 * an infinity: the exponent bits all set.  Always inlined: the packed
 * rows of three phases test four samples at a time with it, and gcc
 * called it there (8% slower). */
static inline __attribute__ ((always_inline)) int
any_non_finite_f32 (const float *p, size_t n)
{
  const v4si e = { 0x7f800000, 0x7f800000, 0x7f800000, 0x7f800000 };
  v4si bad = { 0, 0, 0, 0 };
  size_t i;

  for (i = 0; i < n; i += 4) {
    v4si x;
    memcpy (&x, p + i, sizeof x);
    bad |= (x & e) == e;
  }
  return any_set (bad);
}

static inline int
any_non_finite_f64 (const double *p, size_t n)
{
  const v2di e = { 0x7ff0000000000000LL, 0x7ff0000000000000LL };
  v2di bad = { 0, 0 };
  size_t i;

  for (i = 0; i < n; i += 2) {
    v2di x;
    memcpy (&x, p + i, sizeof x);
    bad |= (x & e) == e;
  }
  return any_set ((v4si) bad);
}

#define ALWAYS_INLINE inline __attribute__ ((always_inline))

/* mask ? a : b, lane by lane */
static inline v2df
select2 (v2di mask, v2df a, v2df b)
{
  return (v2df) (((v2di) a & mask) | ((v2di) b & ~mask));
}

/* Four finite halves (what any_non_finite_f16 passed) as doubles, exact,
 * as r128norm_half_to_float: normal ones by their bits (exponent rebiased
 * by 112), subnormal ones as their mantissa times 2^-24 (a float
 * multiply of normal numbers, so a flush of subnormals, were it set,
 * changes nothing). */
static inline void
load4_f16 (const uint16_t *p, v2df *lo, v2df *hi)
{
  const v4su h = load4_u16 (p);
  v4su bits;
  v4sf sub;
  v4si is_sub;

  sub = __builtin_convertvector ((v4si) (h & 0x3ff), v4sf) * 0x1p-24f;
  is_sub = (v4si) ((h & 0x7c00) == 0);
  bits = (((h & 0x7fff) << 13) + (112u << 23)) & (v4su) ~is_sub;
  bits |= ((v4su) sub & (v4su) is_sub) | ((h & 0x8000) << 16);
  widen4 ((v4sf) bits, lo, hi);
}

/* C's rounding of two doubles to half (r128norm_double_to_half, ties to
 * even), for any but NaN (bounded: within +-65504), the bits in the low
 * 16 bits of each lane: a + 1.5 * 2^52 q, q the last place of a half at
 * |v| (at least the subnormals' 2^-24), rounds |v| to a half r; a normal
 * r's bits are its double's shifted down by 42 less the exponents'
 * difference, a subnormal's those of r + 2^-14 (exact) less the same
 * for 2^-14. */
static ALWAYS_INLINE v2di
double_to_half2 (v2df v, const int bounded)
{
  const v2di sign_bit = { INT64_MIN, INT64_MIN };
  const v2di exponent = { 0x7ff0000000000000LL, 0x7ff0000000000000LL };
  const v2di bits = (v2di) v, sign = (v2di) ((v2du) (bits & sign_bit) >> 48);
  const v2df a = (v2df) (bits & ~sign_bit), min_q = splat (0x1p-24);
  const v2df normal_min = splat (0x1p-14);
  v2df q = (v2df) (bits & exponent) * 0x1p-10, big, r;
  v2di sub, h;

  q = max2 (q, min_q);
  big = q * 0x1.8p52;
  r = (a + big) - big;
  sub = less2 (r, normal_min);
  r = select2 (sub, r + normal_min, r);
  h = (v2di) ((v2du) r >> 42) - ((1008 << 10) + (sub & (1 << 10)));
  if (!bounded) {
    /* 65520, halfway between the largest half and 2^16, and beyond */
    const v2di finite = less2 (a, splat (65520.0));
    h = (h & finite) | (0x7c00 & ~finite);
  }
  return h | sign;
}

/* the four halves of lo and hi, in order, as 64 bits */
static ALWAYS_INLINE uint64_t
halves4 (v2df lo, v2df hi, const int bounded)
{
  return narrow4_u16 (double_to_half2 (lo, bounded), double_to_half2 (hi,
          bounded));
}

static ALWAYS_INLINE void
store4_f16 (uint16_t *p, v2df lo, v2df hi, const int bounded)
{
  const uint64_t h = halves4 (lo, hi, bounded);
  memcpy (p, &h, sizeof h);
}

/* all ones in the 32-bit lane of each of four halves that is a NaN or
 * an infinity (the exponent bits all set) */
static inline v4si
non_finite4_f16 (const uint16_t *p)
{
  return (v4si) ((load4_u16 (p) & 0x7c00) == 0x7c00);
}

static inline int
any_non_finite_f16 (const uint16_t *p, size_t n)
{
  v4si bad = { 0, 0, 0, 0 };
  size_t i;

  for (i = 0; i < n; i += 4)
    bad |= non_finite4_f16 (p + i);
  return any_set (bad);
}

/* Four halves of y (C's rounding, any bounds) to dst, those of no
 * channel (keep: kept, the positions' all-ones int32 masks) as src had
 * them */
static ALWAYS_INLINE void
store4_kept_f16 (uint16_t *dst, const uint16_t *src, v2df lo, v2df hi,
    const int32_t *keep, const int kept)
{
  uint64_t out = halves4 (lo, hi, 0);

  if (kept) {
    const uint64_t untouched = (uint64_t) (uint16_t) keep[0]
        | (uint64_t) (uint16_t) keep[1] << 16
        | (uint64_t) (uint16_t) keep[2] << 32
        | (uint64_t) (uint16_t) keep[3] << 48;
    uint64_t in;
    memcpy (&in, src, sizeof in);
    out = (out & ~untouched) | (in & untouched);
  }
  memcpy (dst, &out, sizeof out);
}

/* The float formats of the helpers below: F32, F64 (the packed rows' f64
 * flag: 0 and 1) and F16. */
#define VEC_F32 0
#define VEC_F64 1
#define VEC_F16 2

static ALWAYS_INLINE r128norm_format
vec_format (const int kind)
{
  return kind == VEC_F64 ? R128NORM_FORMAT_F64 : kind == VEC_F16
      ? R128NORM_FORMAT_F16 : R128NORM_FORMAT_F32;
}

static ALWAYS_INLINE size_t
vec_size (const int kind)
{
  return kind == VEC_F64 ? 8 : kind == VEC_F16 ? 2 : 4;
}

/* Four samples from p (kind: VEC_F32, VEC_F64 or VEC_F16) as two vectors
 * of doubles */
static ALWAYS_INLINE void
load4 (const void *p, size_t i, const int kind, v2df *lo, v2df *hi)
{
  if (kind == VEC_F64)
    load4_f64 ((const double *) p + i, lo, hi);
  else if (kind == VEC_F16)
    load4_f16 ((const uint16_t *) p + i, lo, hi);
  else
    load4_f32 ((const float *) p + i, lo, hi);
}

static ALWAYS_INLINE void
store4 (void *p, size_t i, const int kind, v2df lo, v2df hi)
{
  if (kind == VEC_F64)
    store4_f64 ((double *) p + i, lo, hi);
  else if (kind == VEC_F16)
    store4_f16 ((uint16_t *) p + i, lo, hi, 0);
  else
    store4_f32 ((float *) p + i, lo, hi);
}

/* n: a multiple of 8 (F16: of 4) */
static ALWAYS_INLINE int
any_non_finite (const void *p, size_t i, size_t n, const int kind)
{
  return kind == VEC_F64 ? any_non_finite_f64 ((const double *) p + i, n)
      : kind == VEC_F16 ? any_non_finite_f16 ((const uint16_t *) p + i, n)
      : any_non_finite_f32 ((const float *) p + i, n);
}

/* Samples a group: the partial sums (of x - shift, and of its square) are
 * eight wide, four vectors of two, so that four additions to each are in
 * flight (an addition's latency, not the number of them, bounds the
 * loop). */
#define GROUP 8

/* The statistics of [0, n): a group with a NaN or an infinity goes to C,
 * as does the tail.  clamp: x - shift may overflow and is clamped to the
 * doubles, as C does (F64, or a shift beyond float's range).  (Summing
 * unchecked and only checking a row whose sums came out non-finite saved
 * nothing: the loop is bound by the conversions and additions.) */
static ALWAYS_INLINE void
stats_groups (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc, const int kind, const int clamp)
{
  const size_t size = vec_size (kind);
  const v2df shift = splat (clip->shift);
  const v2df dlo = splat (-DBL_MAX), dhi = splat (DBL_MAX);
  r128norm_kernel_set c;
  v2df sum[4], sq[4];
  double lanes[2];
  size_t counted = 0, i;
  int j;

  r128norm_kernels_c (vec_format (kind), vec_format (kind), &c);
  for (j = 0; j < 4; j++)
    sum[j] = sq[j] = splat (0.0);
  for (i = 0; i + GROUP <= n; i += GROUP) {
    if (__builtin_expect (any_non_finite (in, i, GROUP, kind), 0)) {
      c.stats_contig ((const uint8_t *) in + i * size, GROUP, clip, acc);
      continue;
    }
    for (j = 0; j < 4; j += 2) {
      v2df d0, d1;
      load4 (in, i + 2 * (size_t) j, kind, &d0, &d1);
      d0 -= shift;
      d1 -= shift;
      if (clamp) {
        d0 = clamp2 (d0, dlo, dhi);
        d1 = clamp2 (d1, dlo, dhi);
      }
      sum[j] += d0;
      sq[j] += d0 * d0;
      sum[j + 1] += d1;
      sq[j + 1] += d1 * d1;
    }
    counted += GROUP;
  }
  for (j = 1; j < 4; j++) {
    sum[0] += sum[j];
    sq[0] += sq[j];
  }
  acc->n += counted;
  memcpy (lanes, &sum[0], sizeof lanes);
  acc->fsum += lanes[0] + lanes[1];
  memcpy (lanes, &sq[0], sizeof lanes);
  acc->fsq += lanes[0] + lanes[1];
  if (i < n)
    c.stats_contig ((const uint8_t *) in + i * size, n - i, clip, acc);
}

/* Clipped statistics go to C (as on AVX2: clipping is for outliers, the
 * rows that need it are few).  F32 and F16 samples minus a shift within
 * 1e300 cannot overflow (|x - shift| < FLT_MAX + 1e300). */
static ALWAYS_INLINE void
stats_contig_float (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc, const int kind)
{
  if (clip->active) {
    r128norm_stats_contig_c (vec_format (kind), in, n, clip, acc);
  } else if (kind != VEC_F64 && fabs (clip->shift) < 1e300) {
    stats_groups (in, n, clip, acc, kind, 0);
  } else {
    stats_groups (in, n, clip, acc, kind, 1);
  }
}

static void
stats_contig_f32 (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  stats_contig_float (in, n, clip, acc, VEC_F32);
}

static void
stats_contig_f64 (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  stats_contig_float (in, n, clip, acc, VEC_F64);
}

static void
stats_contig_f16 (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  stats_contig_float (in, n, clip, acc, VEC_F16);
}

/* The statistics of a strided row (a channel of interleaved audio or of
 * an hwc tensor), which vectors would have to gather: C's steps, four
 * samples at a time into sums of their own, so that four additions, not
 * one, are in flight, from sample i on (checked: while they are finite);
 * returns where it stopped, its sums added to acc.  No call in the loop
 * (gcc then kept the sums in memory, and the loop ran at 2.5 times C's
 * time). */
static ALWAYS_INLINE size_t
strided_run (const uint8_t *s, ptrdiff_t step, size_t i, size_t n,
    double shift, r128norm_acc *acc, const int f64, const int checked)
{
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
  const size_t start = i;

  for (; i + 4 <= n; i += 4) {
    const uint8_t *p = s + (ptrdiff_t) i * step;
    double x0, x1, x2, x3, d0, d1, d2, d3;
    if (f64) {
      memcpy (&x0, p, 8);
      memcpy (&x1, p + step, 8);
      memcpy (&x2, p + 2 * step, 8);
      memcpy (&x3, p + 3 * step, 8);
    } else {
      float f0, f1, f2, f3;
      memcpy (&f0, p, 4);
      memcpy (&f1, p + step, 4);
      memcpy (&f2, p + 2 * step, 4);
      memcpy (&f3, p + 3 * step, 4);
      x0 = f0;
      x1 = f1;
      x2 = f2;
      x3 = f3;
    }
    /* NaN or infinity among them: x - x is not 0 */
    if (checked && __builtin_expect (!((x0 - x0) + (x1 - x1) + (x2 - x2)
                + (x3 - x3) == 0.0), 0))
      break;
    d0 = x0 - shift;
    d1 = x1 - shift;
    d2 = x2 - shift;
    d3 = x3 - shift;
    if (f64) {
      /* C's clamp to the doubles (F32 samples cannot overflow here) */
      d0 = d0 < -DBL_MAX ? -DBL_MAX : d0 > DBL_MAX ? DBL_MAX : d0;
      d1 = d1 < -DBL_MAX ? -DBL_MAX : d1 > DBL_MAX ? DBL_MAX : d1;
      d2 = d2 < -DBL_MAX ? -DBL_MAX : d2 > DBL_MAX ? DBL_MAX : d2;
      d3 = d3 < -DBL_MAX ? -DBL_MAX : d3 > DBL_MAX ? DBL_MAX : d3;
    }
    s0 += d0;
    s1 += d1;
    s2 += d2;
    s3 += d3;
    q0 += d0 * d0;
    q1 += d1 * d1;
    q2 += d2 * d2;
    q3 += d3 * d3;
  }
  acc->n += i - start;
  acc->fsum += (s0 + s1) + (s2 + s3);
  acc->fsq += (q0 + q1) + (q2 + q3);
  return i;
}

/* Four samples with a NaN or an infinity, clipped statistics (as on AVX2)
 * and the tail go to C. */
static ALWAYS_INLINE void
stats_strided_float (const void *in, ptrdiff_t step, size_t n,
    const r128norm_clip *clip, r128norm_acc *acc, const int f64)
{
  const r128norm_format format = f64 ? R128NORM_FORMAT_F64
      : R128NORM_FORMAT_F32;
  const uint8_t *s = in;
  r128norm_kernel_set c;
  size_t i = 0;

  r128norm_kernels_c (format, format, &c);
  if (clip->active) {
    c.stats (in, step, n, clip, acc);
    return;
  }
  /* unchecked first, into a copy: a NaN or an infinity among the samples
   * leaves sums that are not finite, and only then are they summed again,
   * checked (which also gives C's sums where the squares overflow) */
  {
    r128norm_acc run = { 0 };
    i = strided_run (s, step, 0, n, clip->shift, &run, f64, 0);
    if (isfinite (run.fsum) && isfinite (run.fsq)) {
      acc->n += run.n;
      acc->fsum += run.fsum;
      acc->fsq += run.fsq;
      if (i < n)
        c.stats (s + (ptrdiff_t) i * step, step, n - i, clip, acc);
      return;
    }
    i = 0;
  }
  for (;;) {
    i = strided_run (s, step, i, n, clip->shift, acc, f64, 1);
    if (i + 4 > n)
      break;
    c.stats (s + (ptrdiff_t) i * step, step, 4, clip, acc);
    i += 4;
  }
  if (i < n)
    c.stats (s + (ptrdiff_t) i * step, step, n - i, clip, acc);
}

static void
stats_f32 (const void *in, ptrdiff_t step, size_t n,
    const r128norm_clip *clip, r128norm_acc *acc)
{
  stats_strided_float (in, step, n, clip, acc, 0);
}

static void
stats_f64 (const void *in, ptrdiff_t step, size_t n,
    const r128norm_clip *clip, r128norm_acc *acc)
{
  stats_strided_float (in, step, n, clip, acc, 1);
}

/* C's apply steps: t = x - c, clamped to the doubles (clamp: where that
 * can overflow); t * a + b; clamped to [lo, hi]; rounded once to the
 * output format.  Eight samples a group, from kind to out_kind. */
static ALWAYS_INLINE uint64_t
apply_double (const void *in, void *out, size_t n, const r128norm_affine *p,
    const int kind, const int out_kind, const int clamp,
    const int half_bounded)
{
  const size_t size = vec_size (kind), out_size = vec_size (out_kind);
  const v2df c = splat (p->c), a = splat (p->a), b = splat (p->b);
  const v2df lo = splat (p->lo), hi = splat (p->hi);
  const v2df dlo = splat (-DBL_MAX), dhi = splat (DBL_MAX);
  r128norm_kernel_set k;
  uint64_t non_finite = 0;
  size_t i = 0;
  int j;

  r128norm_kernels_c (vec_format (kind), vec_format (out_kind), &k);
  for (; i + GROUP <= n; i += GROUP) {
    if (__builtin_expect (any_non_finite (in, i, GROUP, kind), 0)) {
      non_finite += k.apply_contig ((const uint8_t *) in + i * size,
          (uint8_t *) out + i * out_size, GROUP, p);
      continue;
    }
    for (j = 0; j < GROUP; j += 4) {
      v2df v0, v1;
      load4 (in, i + (size_t) j, kind, &v0, &v1);
      v0 -= c;
      v1 -= c;
      if (clamp) {
        v0 = clamp2 (v0, dlo, dhi);
        v1 = clamp2 (v1, dlo, dhi);
      }
      v0 = clamp2 (v0 * a + b, lo, hi);
      v1 = clamp2 (v1 * a + b, lo, hi);
      if (out_kind == VEC_F16)
        store4_f16 ((uint16_t *) out + i + j, v0, v1, half_bounded);
      else
        store4 (out, i + (size_t) j, out_kind, v0, v1);
    }
  }
  if (i < n)
    non_finite += k.apply_contig ((const uint8_t *) in + i * size,
        (uint8_t *) out + i * out_size, n - i, p);
  return non_finite;
}

/* F32 where the map allows it (r128norm_single_precision): the AVX2
 * kernel's single precision steps without its FMA, d = x - cf, then
 * y = d * af + bf' (see r128norm_simd.h).  The product's rounding adds
 * 2^-24 |d af| <= 2^-24 (|y| + |bf'|) to the FMA's bound, so the error
 * stays below about 1.25 * 2^-22 (|y| + |bf'|) + 2^-24 |bf'|: within
 * 1e-5 max (1, |y|) for |bf'| <= 16 (SPEC 3). */
static uint64_t
apply_single_f32 (const float *s, float *d, size_t n,
    const r128norm_affine *p, float cf, double bb)
{
  const v4sf c = { cf, cf, cf, cf };
  const float af = (float) p->a, bf = (float) bb;
  const v4sf a = { af, af, af, af }, b = { bf, bf, bf, bf };
  r128norm_kernel_set k;
  uint64_t non_finite = 0;
  size_t i = 0;
  int j;

  r128norm_kernels_c (R128NORM_FORMAT_F32, R128NORM_FORMAT_F32, &k);
  for (; i + 16 <= n; i += 16) {
    v4sf y[4];
    for (j = 0; j < 4; j++) {
      memcpy (&y[j], s + i + 4 * j, sizeof y[j]);
      y[j] = (y[j] - c) * a + b;
    }
    /* the test on the map's values, not on x: a NaN or infinity in (the
     * gain is not 0 in float), and a finite x whose x - cf or map
     * overflows float, come out NaN or infinite, and the group goes to
     * C's double steps (x = 3e38 and c = -9e37 overflow in x - cf, where
     * C's steps give a finite value); a finite output needs no clamp */
    if (__builtin_expect (any_non_finite_f32 ((const float *) y, 16), 0)) {
      non_finite += k.apply_contig (s + i, d + i, 16, p);
      continue;
    }
    memcpy (d + i, y, sizeof y);
  }
  if (i < n)
    non_finite += k.apply_contig (s + i, d + i, n - i, p);
  return non_finite;
}

static uint64_t
apply_contig_f32 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  float cf;
  double bb;

  if (r128norm_single_precision (p, &cf, &bb))
    return apply_single_f32 (in, out, n, p, cf, bb);
  /* |x - c| < FLT_MAX + 1e300: no overflow */
  if (fabs (p->c) < 1e300)
    return apply_double (in, out, n, p, VEC_F32, VEC_F32, 0, 0);
  return apply_double (in, out, n, p, VEC_F32, VEC_F32, 1, 0);
}

static uint64_t
apply_contig_f64 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  return apply_double (in, out, n, p, VEC_F64, VEC_F64, 1, 0);
}

/* F16 in or out (float16 tensors): C's double steps, the halves rounded
 * once from them, so C's output bit for bit; the output's bounds those
 * of half, as the library sets them, need no test for infinities */
#define DEFINE_APPLY_HALF(NAME, KIND, OUT_KIND)                           \
  static uint64_t                                                         \
  NAME (const void *in, void *out, size_t n, const r128norm_affine *p)    \
  {                                                                       \
    if (OUT_KIND == VEC_F16 && p->lo >= -65504.0 && p->hi <= 65504.0)     \
      return fabs (p->c) < 1e300                                          \
          ? apply_double (in, out, n, p, KIND, OUT_KIND, 0, 1)            \
          : apply_double (in, out, n, p, KIND, OUT_KIND, 1, 1);           \
    if (fabs (p->c) < 1e300)                                              \
      return apply_double (in, out, n, p, KIND, OUT_KIND, 0, 0);          \
    return apply_double (in, out, n, p, KIND, OUT_KIND, 1, 0);            \
  }

DEFINE_APPLY_HALF (apply_contig_f16_f16, VEC_F16, VEC_F16)
DEFINE_APPLY_HALF (apply_contig_f16_f32, VEC_F16, VEC_F32)
DEFINE_APPLY_HALF (apply_contig_f32_f16, VEC_F32, VEC_F16)

/* ---- packed rows: interleaved channels ------------------------------- */

/* Interleaved F32 or F64 rows (audio, hwc tensors) as one flat row, as
 * the AVX2 packed kernels take them (r128norm_simd.h): sample i has
 * position i % m, m = 8 nph, with its lane's parameters at that position.
 * The steps are those kernels' scalar steps, which are C's, lane for
 * lane: d = x - shift (0 for NaN and infinities) clamped to [slo, shi]
 * (to the doubles for F64) into the position's sums; t = x - c clamped to
 * the doubles (where that can overflow), t * a + b clamped to [lo, hi],
 * nfv for NaN and infinities, rounded once to the output; samples of no
 * channel (keep) written back as they were.  So the output is C's bit for
 * bit; the sums are C's added in pieces.  NaN and infinities: one test
 * for four samples, and only four that hold one take the lane masks and
 * are counted. */

static inline v2df
load2 (const double *p)
{
  v2df v;
  memcpy (&v, p, sizeof v);
  return v;
}

/* Four floats to dst, those of no channel (keep) as src had them */
static ALWAYS_INLINE void
store4_kept_f32 (float *dst, const float *src, v4sf y, const int32_t *keep,
    const int kept)
{
  v4si out;

  memcpy (&out, &y, sizeof out);
  if (kept) {
    v4si untouched, in;
    memcpy (&untouched, keep, sizeof untouched);
    memcpy (&in, src, sizeof in);
    out = (out & ~untouched) | (in & untouched);
  }
  memcpy (dst, &out, sizeof out);
}

/* Positions [0, m) of one piece of a row from src to dst (m a multiple
 * of 4).  Only its first len samples are the row's (len < m: the row's
 * tail, in a copy padded with zeros), the others add nothing to the sums
 * ps and pq (a vector of two positions each).  keep: some position is no
 * channel's. */
static ALWAYS_INLINE void
packed_piece (const void *src, void *dst, const size_t m, const size_t len,
    const r128norm_packed_fparams *fp, const int sum, const int apply,
    const int kind, const int clip, const int clamp_t, const int keep,
    v2df *ps, v2df *pq, uint64_t *non_finite)
{
  const int f64 = kind == VEC_F64;
  const v2df zero = splat (0.0);
  const v2df dlo = splat (-DBL_MAX), dhi = splat (DBL_MAX);
  size_t j;
  int h;

  /* unrolled (two pieces of four with m = 8): the vectors stay in
   * registers */
#pragma GCC unroll 16
  for (j = 0; j < m; j += 4) {
    v2df x[2], y[2];
    v2di finite[2], ok[2];
    int masked;

    load4 (src, j, kind, &x[0], &x[1]);
    /* NaN, infinities or padding among the four: rare, a branch that
     * the common case does not take.  F32's test on the floats' exponent
     * bits (two operations for four), the lanes' masks only then; F16's
     * on the halves' (whose conversion takes finite ones alone) */
    if (f64) {
      finite[0] = finite2 (x[0]);
      finite[1] = finite2 (x[1]);
      masked = len < m || any_set ((v4si) ~(finite[0] & finite[1]));
    } else if (kind == VEC_F16) {
      const v4si bad = non_finite4_f16 ((const uint16_t *) src + j);
      masked = len < m || any_set (bad);
      if (masked) {
        finite[0] = (v2di) { ~bad[0], ~bad[1] };
        finite[1] = (v2di) { ~bad[2], ~bad[3] };
      }
    } else {
      masked = len < m || any_non_finite_f32 ((const float *) src + j, 4);
      if (masked) {
        finite[0] = finite2 (x[0]);
        finite[1] = finite2 (x[1]);
      }
    }
    if (__builtin_expect (masked, 0)) {
      double v[4];
      int k;
#pragma GCC unroll 2
      for (h = 0; h < 2; h++) {
        const size_t p = j + 2 * (size_t) h;
        const v2di in_row = { p < len ? -1 : 0, p + 1 < len ? -1 : 0 };
        ok[h] = finite[h] & in_row;
      }
      /* counted before the store, which in place overwrites them */
      memcpy (v, &x[0], sizeof x[0]);
      memcpy (v + 2, &x[1], sizeof x[1]);
      for (k = 0; k < 4; k++) {
        /* a half's exponent bits from src, which may be misaligned */
        uint16_t half = 0;
        if (kind == VEC_F16)
          memcpy (&half, (const uint16_t *) src + j + k, sizeof half);
        if (j + (size_t) k < len && fp->touched[j + (size_t) k]
            && (kind == VEC_F16 ? (half & 0x7c00) == 0x7c00
                : !(v[k] - v[k] == 0.0)))
          non_finite[j + (size_t) k]++;
      }
    }
#pragma GCC unroll 2
    for (h = 0; h < 2; h++) {
      const size_t p = j + 2 * (size_t) h;
      if (sum) {
        /* x + (-shift) is x - shift, the same rounding */
        v2df d = x[h] + load2 (fp->neg_shift + p);
        if (masked)
          d = select2 (ok[h], d, zero);
        if (clip)
          d = clamp2 (d, load2 (fp->slo + p), load2 (fp->shi + p));
        else if (f64)
          d = clamp2 (d, dlo, dhi);
        ps[p / 2] += d;
        pq[p / 2] += d * d;
      }
      if (apply) {
        v2df t = x[h] - load2 (fp->c + p);
        if (clamp_t)
          t = clamp2 (t, dlo, dhi);
        y[h] = clamp2 (t * load2 (fp->a + p) + load2 (fp->b + p),
            load2 (fp->lo + p), load2 (fp->hi + p));
        if (masked)
          y[h] = select2 (finite[h], y[h], load2 (fp->nfv + p));
      }
    }
    if (apply && f64) {
      if (keep)
#pragma GCC unroll 2
        for (h = 0; h < 2; h++) {
          v2di untouched;
          memcpy (&untouched, fp->keep64 + j + 2 * (size_t) h,
              sizeof untouched);
          y[h] = select2 (untouched, x[h], y[h]);
        }
      store4_f64 ((double *) dst + j, y[0], y[1]);
    } else if (apply && kind == VEC_F16) {
      store4_kept_f16 ((uint16_t *) dst + j, (const uint16_t *) src + j,
          y[0], y[1], fp->keep + j, keep);
    } else if (apply) {
      store4_kept_f32 ((float *) dst + j, (const float *) src + j,
          pack4_f32 (y[0], y[1]), fp->keep + j, keep);
    }
  }
}

/* F32 maps that allow it (fp->single: every channel's passes
 * r128norm_single_precision): the contiguous kernel's single precision
 * steps, y = (x - cf) * af + bf, four lanes at a time, into y; returns 0
 * where a value of the map is NaN or infinite (a NaN or an infinity in,
 * or a finite x whose map overflows float), and the piece then takes C's
 * double steps. */
static ALWAYS_INLINE int
single_map (const float *src, const size_t m,
    const r128norm_packed_fparams *fp, v4sf *y)
{
  const v4si e = { 0x7f800000, 0x7f800000, 0x7f800000, 0x7f800000 };
  v4si bad = { 0, 0, 0, 0 };
  size_t j;

  /* the test on each vector as it is made (any_non_finite_f32 on y after
   * the loop put y through memory: three phases 30% slower) */
#pragma GCC unroll 16
  for (j = 0; j < m; j += 4) {
    v4sf x, cf, af, bf;
    v4si bits;
    memcpy (&x, src + j, sizeof x);
    memcpy (&cf, fp->cf + j, sizeof cf);
    memcpy (&af, fp->af + j, sizeof af);
    memcpy (&bf, fp->bf + j, sizeof bf);
    y[j / 4] = (x - cf) * af + bf;
    memcpy (&bits, &y[j / 4], sizeof bits);
    bad |= (bits & e) == e;
  }
  return !any_set (bad);
}

/* y to dst, the samples of no channel (keep) as src had them */
static ALWAYS_INLINE void
single_store (const float *src, float *dst, const size_t m,
    const r128norm_packed_fparams *fp, const v4sf *y, const int keep)
{
  size_t j;

#pragma GCC unroll 16
  for (j = 0; j < m; j += 4)
    store4_kept_f32 (dst + j, src + j, y[j / 4], fp->keep + j, keep);
}

/* A row of n samples: whole pieces in place, the tail through a copy.
 * M: m when it is 8 (one phase: stereo, 4 and 8 channels), whose sums
 * the compiler keeps in registers, or 24 (three phases: RGB hwc tensors,
 * 3 and 6 channels; unrolled, the pieces' loads and sums have fixed
 * places: 1.5 to 1.8 times as fast); else 0, m from fp. */
static ALWAYS_INLINE void
packed_row (const void *src, void *dst, size_t n,
    const r128norm_packed_fparams *fp, const int sum, const int apply,
    double *sums, double *sq, uint64_t *non_finite, const int kind,
    const size_t M, const int keep, const int single)
{
  const size_t size = vec_size (kind), m = M ? M : 8 * (size_t) fp->nph;
  const int clip = sum && fp->clip;
  v2df ps[R128NORM_PACKED_F_POS / 2], pq[R128NORM_PACKED_F_POS / 2];
  int clamp_t = kind == VEC_F64;
  size_t i, k;

  /* F32 and F16 samples minus a c within 1e300 cannot overflow */
  for (k = 0; k < fp->period && !clamp_t; k++)
    clamp_t = !(fabs (fp->lane[k].c) < 1e300);
  for (k = 0; k < m / 2; k++)
    ps[k] = pq[k] = splat (0.0);
  for (i = 0; i + m <= n; i += m) {
    if (single) {
      /* the map first: a piece that takes it has no NaN, nothing to
       * count, and its sums are read before the store */
      v4sf y[R128NORM_PACKED_F_POS / 4];
      if (__builtin_expect (single_map ((const float *) src + i, m, fp, y),
              1)) {
        if (sum)
          packed_piece ((const float *) src + i, NULL, m, m, fp, 1, 0, 0,
              clip, 0, 0, ps, pq, non_finite);
        single_store ((const float *) src + i, (float *) dst + i, m, fp, y,
            keep);
        continue;
      }
    }
    packed_piece ((const uint8_t *) src + i * size, (uint8_t *) dst
        + i * size, m, m, fp, sum, apply, kind, clip, clamp_t, keep, ps, pq,
        non_finite);
  }
  if (i < n) {
    double in[R128NORM_PACKED_F_POS], out[R128NORM_PACKED_F_POS];
    memset (in, 0, m * size);
    memcpy (in, (const uint8_t *) src + i * size, (n - i) * size);
    packed_piece (in, out, m, n - i, fp, sum, apply, kind, clip, clamp_t,
        keep, ps, pq, non_finite);
    if (apply)
      memcpy ((uint8_t *) dst + i * size, out, (n - i) * size);
  }
  if (sum)
    for (k = 0; k < m / 2; k++) {
      double s[2], q[2];
      memcpy (s, &ps[k], sizeof s);
      memcpy (q, &pq[k], sizeof q);
      sums[2 * k] += s[0];
      sums[2 * k + 1] += s[1];
      sq[2 * k] += q[0];
      sq[2 * k + 1] += q[1];
    }
}

/* F32 rows whose maps allow single precision, with or without
 * statistics and samples of no channel */
static ALWAYS_INLINE void
packed_single (const void *src, void *dst, size_t n,
    const r128norm_packed_fparams *fp, int sum, double *sums, double *sq,
    uint64_t *non_finite, const size_t M, const int keep)
{
  if (sum && keep)
    packed_row (src, dst, n, fp, 1, 1, sums, sq, non_finite, 0, M, 1, 1);
  else if (sum)
    packed_row (src, dst, n, fp, 1, 1, sums, sq, non_finite, 0, M, 0, 1);
  else if (keep)
    packed_row (src, dst, n, fp, 0, 1, sums, sq, non_finite, 0, M, 1, 1);
  else
    packed_row (src, dst, n, fp, 0, 1, sums, sq, non_finite, 0, M, 0, 1);
}

/* Statistics alone, the apply alone or both; the apply with samples of no
 * channel (written back) or without. */
static ALWAYS_INLINE void
packed_float (const void *src, void *dst, size_t n,
    const r128norm_packed_fparams *fp, int sum, int apply, double *sums,
    double *sq, uint64_t *non_finite, const int kind, const size_t M)
{
  const int keep = fp->has_untouched;

  if (sum && !apply)
    packed_row (src, dst, n, fp, 1, 0, sums, sq, non_finite, kind, M, 0, 0);
  else if (apply && kind == VEC_F32 && fp->single)
    packed_single (src, dst, n, fp, sum, sums, sq, non_finite, M, keep);
  else if (sum && keep)
    packed_row (src, dst, n, fp, 1, 1, sums, sq, non_finite, kind, M, 1, 0);
  else if (sum)
    packed_row (src, dst, n, fp, 1, 1, sums, sq, non_finite, kind, M, 0, 0);
  else if (apply && keep)
    packed_row (src, dst, n, fp, 0, 1, sums, sq, non_finite, kind, M, 1, 0);
  else if (apply)
    packed_row (src, dst, n, fp, 0, 1, sums, sq, non_finite, kind, M, 0, 0);
}

/* three phases (F32 alone: 78 KB of code); a function of its own, away
 * from the stereo rows' code */
__attribute__ ((noinline)) static void
packed_f32_24 (const void *src, void *dst, size_t n,
    const r128norm_packed_fparams *fp, int sum, int apply, double *sums,
    double *sq, uint64_t *non_finite)
{
  packed_float (src, dst, n, fp, sum, apply, sums, sq, non_finite, 0, 24);
}

static void
packed_f32 (const void *src, void *dst, size_t n,
    const r128norm_packed_fparams *fp, int sum, int apply, double *sums,
    double *sq, uint64_t *non_finite)
{
  if (fp->nph == 1)
    packed_float (src, dst, n, fp, sum, apply, sums, sq, non_finite, 0, 8);
  else if (fp->nph == 3)
    packed_f32_24 (src, dst, n, fp, sum, apply, sums, sq, non_finite);
  else
    packed_float (src, dst, n, fp, sum, apply, sums, sq, non_finite, 0, 0);
}

static void
packed_f16 (const void *src, void *dst, size_t n,
    const r128norm_packed_fparams *fp, int sum, int apply, double *sums,
    double *sq, uint64_t *non_finite)
{
  if (fp->nph == 1)
    packed_float (src, dst, n, fp, sum, apply, sums, sq, non_finite, VEC_F16,
        8);
  else
    packed_float (src, dst, n, fp, sum, apply, sums, sq, non_finite, VEC_F16,
        0);
}

static void
packed_f64 (const void *src, void *dst, size_t n,
    const r128norm_packed_fparams *fp, int sum, int apply, double *sums,
    double *sq, uint64_t *non_finite)
{
  if (fp->nph == 1)
    packed_float (src, dst, n, fp, sum, apply, sums, sq, non_finite, 1, 8);
  else
    packed_float (src, dst, n, fp, sum, apply, sums, sq, non_finite, 1, 0);
}

/* ---- u8 sums ---------------------------------------------------------
 *
 * Exact sums and sums of squares of u8 samples per position of a unit of
 * 16 V bytes (V vectors).  The 16 bytes of a vector, as eight 16-bit
 * lanes, are split into the even bytes (the low halves, on a
 * little-endian CPU) and the odd ones (the high halves), each then
 * summed in 16 bits for a block of 256 units (255 * 257 would still fit);
 * their squares (at most 65025, a 16-bit multiply) are split again, as
 * four 32-bit lanes, and summed in 32 bits.  Masks, shifts, adds and
 * multiplies of 16 bits, which SSE2 and NEON both have; the block's
 * vectors are then added to the positions' 64-bit sums.  What C does a
 * byte at a time, 16 bytes in 15 operations. */


#define U8_SUM_BLOCK 256

static ALWAYS_INLINE void
u8_position_sums (const uint8_t *p, size_t units, const unsigned V,
    uint64_t *pos_sum, uint64_t *pos_sq)
{
  while (units > 0) {
    const size_t block = units < U8_SUM_BLOCK ? units : U8_SUM_BLOCK;
    /* [v][0]: the even bytes, [v][1]: the odd ones; q[v][2 o + h]: the
     * squares of bytes 4 k + o + 2 h */
    v8hu s[3][2];
    v4su q[3][4];
    size_t u;
    unsigned v, j, k;

    for (v = 0; v < V; v++) {
      s[v][0] = s[v][1] = (v8hu) { 0 };
      q[v][0] = q[v][1] = q[v][2] = q[v][3] = (v4su) { 0 };
    }
    for (u = 0; u < block; u++, p += 16 * V)
#pragma GCC unroll 3
      for (v = 0; v < V; v++) {
        v8hu x, even, odd;
        v4su e2, o2;
        memcpy (&x, p + 16 * v, sizeof x);
        even = x & 0xff;
        odd = x >> 8;
        s[v][0] += even;
        s[v][1] += odd;
        e2 = (v4su) (even * even);
        o2 = (v4su) (odd * odd);
        q[v][0] += e2 & 0xffff;
        q[v][1] += e2 >> 16;
        q[v][2] += o2 & 0xffff;
        q[v][3] += o2 >> 16;
      }
    for (v = 0; v < V; v++) {
      for (j = 0; j < 8; j++) {
        pos_sum[16 * v + 2 * j] += s[v][0][j];
        pos_sum[16 * v + 2 * j + 1] += s[v][1][j];
      }
      for (k = 0; k < 4; k++) {
        pos_sq[16 * v + 4 * k] += q[v][0][k];
        pos_sq[16 * v + 4 * k + 2] += q[v][1][k];
        pos_sq[16 * v + 4 * k + 1] += q[v][2][k];
        pos_sq[16 * v + 4 * k + 3] += q[v][3][k];
      }
    }
    units -= block;
  }
}

static void
u8_sums_16 (const uint8_t *p, size_t units, uint64_t *s, uint64_t *q)
{
  u8_position_sums (p, units, 1, s, q);
}

static void
u8_sums_32 (const uint8_t *p, size_t units, uint64_t *s, uint64_t *q)
{
  u8_position_sums (p, units, 2, s, q);
}

static void
u8_sums_48 (const uint8_t *p, size_t units, uint64_t *s, uint64_t *q)
{
  u8_position_sums (p, units, 3, s, q);
}

int
r128norm_u8_sums_vec (const uint8_t *row, size_t bytes, unsigned period,
    uint64_t *sums, uint64_t *sq)
{
  /* the unit: the fewest vectors whose bytes are whole pixels */
  const unsigned unit = period == 0 ? 0 : 16 % period == 0 ? 16
      : 32 % period == 0 ? 32 : 48 % period == 0 ? 48 : 0;
  uint64_t pos_sum[48] = { 0 }, pos_sq[48] = { 0 };
  size_t units, i;
  unsigned k;

  /* the even and odd bytes are the low and high halves of 16 bits */
  if (unit == 0 || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)
    return 0;
  units = bytes / unit;
  if (unit == 16)
    u8_sums_16 (row, units, pos_sum, pos_sq);
  else if (unit == 32)
    u8_sums_32 (row, units, pos_sum, pos_sq);
  else
    u8_sums_48 (row, units, pos_sum, pos_sq);
  for (k = 0; k < unit; k++) {
    sums[k % period] += pos_sum[k];
    sq[k % period] += pos_sq[k];
  }
  for (i = units * unit; i < bytes; i++) {
    const uint32_t x = row[i];
    sums[i % period] += x;
    sq[i % period] += x * x;
  }
  return 1;
}

/* ---- u8 maps ----------------------------------------------------------
 *
 * u8 -> u8 by each table's map of integers (r128norm_u8_fit), 16 bytes a
 * vector: the table's bytes exactly, where a byte lookup a sample (the
 * tables' apply) is 2 to 4 times the cost of a copy. */

_Static_assert (sizeof (u8_fixed_vecs) <= R128NORM_U8_FIXED_VECS,
    "r128norm_packed_params.fixed_vecs holds the maps");
_Static_assert (_Alignof (u8_fixed_vecs) <= 16,
    "r128norm_packed_params.fixed_vecs is aligned for the maps");

int
r128norm_u8_fixed_prepare (unsigned char *vecs,
    const r128norm_u8_fixed *maps, unsigned unit)
{
  /* the state's alignment is malloc's, which 32-bit ARM's glibc keeps
   * at 8 bytes; and the generic code widens bytes in a little-endian
   * CPU's order: elsewhere the tables apply */
  if ((uintptr_t) vecs % _Alignof (u8_fixed_vecs) != 0
      || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)
    return 0;
  u8_fixed_vecs_init ((u8_fixed_vecs *) vecs, maps, unit);
  return 1;
}

/* Whole units of a row mapped, from src to dst, and where SUM is set
 * their sums per position of the unit added to pos_sum and pos_sq, a
 * block of at most 256 units at a time; returns the bytes done */
static ALWAYS_INLINE size_t
u8_fixed_row (const uint8_t *src, uint8_t *dst, size_t bytes,
    const u8_fixed_vecs *v, const unsigned V, const int SUM,
    const int FOLD, uint64_t *pos_sum, uint64_t *pos_sq)
{
  const size_t units = bytes / (16 * V), most = FOLD ? 128 : 256;
  size_t u = 0;

  while (u < units) {
    const size_t block = units - u < most ? units - u : most;
    u8_fixed_acc acc;
    size_t b;
    unsigned k;
    if (SUM)
      memset (&acc, 0, sizeof acc);
    for (b = 0; b < block; b++, u++)
#pragma GCC unroll 3
      for (k = 0; k < V; k++) {
        const size_t i = 16 * (V * u + k);
        v16qu x;
        memcpy (&x, src + i, sizeof x);
        x = u8_fixed_map (x, v, k, SUM, FOLD, &acc);
        memcpy (dst + i, &x, sizeof x);
      }
    if (SUM)
      u8_fixed_acc_flush (&acc, v, (uint32_t) block, V, FOLD, pos_sum,
          pos_sq);
  }
  return units * 16 * V;
}

size_t
r128norm_u8_fixed_row_vec (const uint8_t *src, uint8_t *dst, size_t bytes,
    const unsigned char *vecs, unsigned unit, unsigned period,
    uint64_t *sums, uint64_t *sq)
{
  const u8_fixed_vecs *v = (const u8_fixed_vecs *) vecs;
  uint64_t pos_sum[48] = { 0 }, pos_sq[48] = { 0 };
  size_t done;
  unsigned k;

  if (!sums)
    return unit == 48 ? u8_fixed_row (src, dst, bytes, v, 3, 0, 0, NULL,
        NULL) : u8_fixed_row (src, dst, bytes, v, 1, 0, 0, NULL, NULL);
  if (unit == 48)
    done = u8_fixed_row (src, dst, bytes, v, 3, 1, 0, pos_sum, pos_sq);
  else if (4 % period == 0)
    done = u8_fixed_row (src, dst, bytes, v, 1, 1, 1, pos_sum, pos_sq);
  else
    done = u8_fixed_row (src, dst, bytes, v, 1, 1, 0, pos_sum, pos_sq);
  for (k = 0; k < unit; k++) {
    sums[k % period] += pos_sum[k];
    sq[k % period] += pos_sq[k];
  }
  return done;
}

/* A u8 plane (I420's, GRAY8) by its channel's map, the tail (and a
 * table with no map) by the table */
static uint64_t
apply_contig_u8_fixed (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  u8_fixed_vecs v;
  size_t i = 0;

  if (p->has_lut && p->lut_fixed.shift) {
    u8_fixed_vecs_splat (&v, &p->lut_fixed);
    i = u8_fixed_row (in, out, n, &v, 1, 0, 0, NULL, NULL);
  }
  if (i < n)
    r128norm_apply_contig_u8_table ((const uint8_t *) in + i,
        (uint8_t *) out + i, n - i, p);
  return 0;
}

/* ---- S16 and U16 rows -------------------------------------------------
 *
 * Interleaved S16 (audio, in place or to F32 of the same interleaving)
 * with the AVX2 kernel's per-position parameters (r128norm_packed_sparams:
 * position i % (16 nph)), in vectors of eight samples; and the apply of
 * contiguous S16 and U16 rows (mono audio, GRAY16 planes) as rows of one
 * lane (their statistics: stats_contig_int16).  Each
 * vector, as four 32-bit lanes, is split into its even samples (the low
 * halves, on a little-endian CPU) and its odd ones (the high halves),
 * sign- or zero-extended: the sums add them in 32 bits (flushed every
 * R128NORM_S16_FLUSH units), their squares go exactly to 64-bit lanes
 * (int16_squares); the apply converts them to floats and takes the C
 * kernel's single precision steps, separately rounded, so its output is
 * C's bit for bit.  No shuffles: the parameters are split the same way
 * once a call. */

/* most vectors of eight samples in a unit: 16 nph / 8 */
#define S16_VEC_MAX 16

/* one vector's parameters, its even and its odd positions ([0], [1]) */
typedef struct s16_vparams {
  v4sf c[2], a[2], b[2], lo[2], hi[2];
  v4si lo_int[2];               /* trunc (lo), C's rounding to S16 or U16
                                 * adds it (0 for F32 out) */
} s16_vparams;

static void
s16_split_params (const r128norm_packed_sparams *sp, unsigned vectors,
    s16_vparams *vp)
{
  unsigned v, h, k;

  for (v = 0; v < vectors; v++)
    for (h = 0; h < 2; h++) {
      float c[4], a[4], b[4], lo[4], hi[4];
      int32_t li[4];
      for (k = 0; k < 4; k++) {
        const unsigned pos = 8 * v + 2 * k + h;
        c[k] = sp->c[pos];
        a[k] = sp->a[pos];
        b[k] = sp->b[pos];
        lo[k] = sp->lo[pos];
        hi[k] = sp->hi[pos];
        /* S16 and U16 out only: F32's -FLT_MAX is no int */
        li[k] = sp->to_f32 ? 0 : (int32_t) sp->lo[pos];
      }
      memcpy (&vp[v].c[h], c, sizeof c);
      memcpy (&vp[v].a[h], a, sizeof a);
      memcpy (&vp[v].b[h], b, sizeof b);
      memcpy (&vp[v].lo[h], lo, sizeof lo);
      memcpy (&vp[v].hi[h], hi, sizeof hi);
      memcpy (&vp[v].lo_int[h], li, sizeof li);
    }
}

/* (x - c) * a + b, clamped: C's steps for four samples */
static ALWAYS_INLINE v4sf
s16_map4 (v4si x, const s16_vparams *p, const unsigned h)
{
  v4sf v = __builtin_convertvector (x, v4sf) - p->c[h];
  return clamp4f (v * p->a[h] + p->b[h], p->lo[h], p->hi[h]);
}

/* trunc (v - lo + 0.5) + lo, as C rounds to S16 */
static ALWAYS_INLINE v4si
s16_round4 (v4sf v, const s16_vparams *p, const unsigned h)
{
  return __builtin_convertvector ((v - p->lo[h]) + 0.5f, v4si)
      + p->lo_int[h];
}

/* Units of NV vectors (16 nph samples: NV = 2 nph; 0: read from sp) from
 * position 0 of S16 (U16 where u16 is set) samples; the tail in C's
 * steps. */
static ALWAYS_INLINE void
packed_int16_body (const void *src, void *dst, size_t n,
    const r128norm_packed_sparams *sp, const unsigned NV, const int u16,
    const int sum, const int apply, const int to_f32, int64_t *sums,
    uint64_t *sq)
{
  const unsigned nv = NV ? NV : 2 * sp->nph;
  s16_vparams vp[S16_VEC_MAX];
  /* sums of the even and the odd samples; squares of positions
   * 8 v + {0, 4}, {2, 6}, {1, 5}, {3, 7} */
  v4si s[S16_VEC_MAX][2];
  v2du q[S16_VEC_MAX][4];
  size_t i = 0, units = 0;
  unsigned v, h, k;

  if (apply)
    s16_split_params (sp, nv, vp);
  for (v = 0; v < nv; v++) {
    s[v][0] = s[v][1] = (v4si) { 0 };
    q[v][0] = q[v][1] = q[v][2] = q[v][3] = (v2du) { 0 };
  }
  for (; i + 8 * nv <= n; i += 8 * nv) {
#pragma GCC unroll 2
    for (v = 0; v < nv; v++) {
      v4si x, even, odd;
      memcpy (&x, (const int16_t *) src + i + 8 * v, sizeof x);
      even = u16 ? x & 0xffff : (x << 16) >> 16;
      odd = u16 ? (v4si) ((v4su) x >> 16) : x >> 16;
      if (sum) {
        s[v][0] += even;
        s[v][1] += odd;
        int16_squares (x, u16, q[v]);
      }
      if (apply) {
        const v4sf ve = s16_map4 (even, &vp[v], 0);
        const v4sf vo = s16_map4 (odd, &vp[v], 1);
        if (to_f32) {
          store_interleaved_f32 ((float *) dst + i + 8 * v, ve, vo);
        } else {
          const v4si y = (s16_round4 (ve, &vp[v], 0) & 0xffff)
              | (s16_round4 (vo, &vp[v], 1) << 16);
          memcpy ((int16_t *) dst + i + 8 * v, &y, sizeof y);
        }
      }
    }
    if (sum && (++units == R128NORM_S16_FLUSH || i + 16 * nv > n)) {
      for (v = 0; v < nv; v++) {
        for (h = 0; h < 2; h++) {
          int32_t lanes[4];
          memcpy (lanes, &s[v][h], sizeof lanes);
          for (k = 0; k < 4; k++)
            sums[8 * v + 2 * k + h] += lanes[k];
          s[v][h] = (v4si) { 0 };
        }
      }
      units = 0;
    }
  }
  if (sum)
    for (v = 0; v < nv; v++) {
      static const unsigned first[4] = { 0, 2, 1, 3 };
      for (h = 0; h < 4; h++) {
        uint64_t lanes[2];
        memcpy (lanes, &q[v][h], sizeof lanes);
        sq[8 * v + first[h]] += lanes[0];
        sq[8 * v + first[h] + 4] += lanes[1];
      }
    }
  if (i < n)
    int16_scalar ((const int16_t *) src + i, !apply ? dst : to_f32
        ? (void *) ((float *) dst + i) : (void *) ((int16_t *) dst + i),
        n - i, sp, u16, sum, apply, sums, sq);
}

/* One phase (mono, stereo, four channels) with its two vectors a unit
 * known; other phase counts read theirs. */
static void
int16_one_phase (const void *src, void *dst, size_t n,
    const r128norm_packed_sparams *sp, const int u16, int sum, int apply,
    int64_t *sums, uint64_t *sq)
{
  if (sp->to_f32)
    packed_int16_body (src, dst, n, sp, 2, u16, sum, apply, 1, sums, sq);
  else
    packed_int16_body (src, dst, n, sp, 2, u16, sum, apply, 0, sums, sq);
}

static void
packed_s16_vec (const void *src, void *dst, size_t n,
    const r128norm_packed_sparams *sp, int sum, int apply, int64_t *sums,
    uint64_t *sq)
{
  if (!sum && !apply)
    return;
  if (sp->nph == 1)
    int16_one_phase (src, dst, n, sp, 0, sum, apply, sums, sq);
  else if (sp->to_f32)
    packed_int16_body (src, dst, n, sp, 0, 0, sum, apply, 1, sums, sq);
  else
    packed_int16_body (src, dst, n, sp, 0, 0, sum, apply, 0, sums, sq);
}

/* Contiguous S16 and U16 rows (mono audio, GRAY16 planes, planar
 * channels): the statistics need no positions, so sums of pairs
 * (s16_pair_sums), two vectors a step, their 32-bit sums flushed every
 * R128NORM_S16_FLUSH steps; U16 samples biased to S16 (s = x - 32768,
 * whose sums give x's: sum x = sum s + 32768 n, sum x^2 = sum s^2 +
 * 65536 sum s + 2^30 n).  The apply: rows of one lane
 * (r128norm_packed_sparams_contig, as the x86 kernels do).  Clipped
 * statistics, and the last samples of a row, go to C. */
static ALWAYS_INLINE void
stats_contig_int16 (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc, const int u16)
{
  const r128norm_format format = u16 ? R128NORM_FORMAT_U16
      : R128NORM_FORMAT_S16;
  const int16_t *p = in;
  const v4si bias = { u16 ? (int32_t) 0x80008000u : 0,
    u16 ? (int32_t) 0x80008000u : 0, u16 ? (int32_t) 0x80008000u : 0,
    u16 ? (int32_t) 0x80008000u : 0 };
  int64_t sum = 0;
  unsigned __int128 sq = 0;
  size_t i = 0;

  if (clip->active) {
    r128norm_stats_contig_c (format, in, n, clip, acc);
    return;
  }
  while (n - i >= 16) {
    const size_t steps = (n - i) / 16 < R128NORM_S16_FLUSH ? (n - i) / 16
        : R128NORM_S16_FLUSH;
    v4si s[2] = { { 0 }, { 0 } };
    v2du q[2] = { { 0 }, { 0 } };
    size_t k;
    unsigned j;

    for (k = 0; k < steps; k++, i += 16) {
      v4si x[2];
      memcpy (x, p + i, sizeof x);
      s16_pair_sums (x[0] ^ bias, &s[0], q);
      s16_pair_sums (x[1] ^ bias, &s[1], q);
    }
    for (j = 0; j < 4; j++)
      sum += (int64_t) s[0][j] + s[1][j];
    sq += (unsigned __int128) q[0][0] + q[0][1] + q[1][0] + q[1][1];
  }
  if (u16) {
    sq += (unsigned __int128) ((__int128) sum * 65536
        + ((__int128) i << 30));
    sum += (int64_t) i * 32768;
  }
  acc->n += i;
  acc->sum += sum;
  acc->sumsq += sq;
  if (i < n)
    r128norm_stats_contig_c (format, p + i, n - i, clip, acc);
}

static void
stats_contig_s16 (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  stats_contig_int16 (in, n, clip, acc, 0);
}

static void
stats_contig_u16 (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  stats_contig_int16 (in, n, clip, acc, 1);
}

#define DEFINE_APPLY_CONTIG_INT16(NAME, U16, TO_F32)                      \
  static uint64_t                                                         \
  NAME (const void *in, void *out, size_t n, const r128norm_affine *p)    \
  {                                                                       \
    r128norm_packed_sparams sp;                                           \
    r128norm_packed_sparams_contig (&sp, p, TO_F32, 0);                   \
    int16_one_phase (in, out, n, &sp, U16, 0, 1, NULL, NULL);             \
    return 0;                                                             \
  }

DEFINE_APPLY_CONTIG_INT16 (apply_contig_s16_s16, 0, 0)
DEFINE_APPLY_CONTIG_INT16 (apply_contig_s16_f32, 0, 1)
DEFINE_APPLY_CONTIG_INT16 (apply_contig_u16_u16, 1, 0)
DEFINE_APPLY_CONTIG_INT16 (apply_contig_u16_f32, 1, 1)

r128norm_packed_s16_fn
r128norm_packed_s16_vec (void)
{
  /* the even and odd samples are the low and high halves of 32 bits */
  return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? packed_s16_vec : NULL;
}

/* A u8 plane (I420's, GRAY8) by the same sums (SSE2: by sums of bytes
 * and pairs, u8_plane_sums); clipped statistics go to C, as the float
 * ones do. */
static void
stats_contig_u8 (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  uint64_t sum = 0, sq = 0;

  if (clip->active) {
    r128norm_stats_contig_c (R128NORM_FORMAT_U8, in, n, clip, acc);
    return;
  }
#ifdef HAVE_U8_PLANE_SUMS
  {
    const size_t done = u8_plane_sums (in, n, &sum, &sq);
    r128norm_u8_sums_vec ((const uint8_t *) in + done, n - done, 1, &sum,
        &sq);
  }
#else
  r128norm_u8_sums_vec (in, n, 1, &sum, &sq);
#endif
  acc->n += n;
  acc->sum += (int64_t) sum;
  acc->sumsq += sq;
}

/* ---- S32 rows ---------------------------------------------------------
 *
 * Interleaved S32 (audio, in place or to F32 of the same interleaving)
 * with the AVX2 kernel's per-position parameters (r128norm_packed_fparams'
 * c, a and b: position i % (8 nph)), four samples a vector; and
 * contiguous S32 rows (mono) as rows of one lane.  The sums are exact, as
 * the AVX2 kernel's: each vector's samples, biased by 2^31 to unsigned
 * 32 bits (u = x + 2^31, SSE2 has no 64-bit arithmetic shift), are split
 * into its even and odd ones as 64-bit lanes and summed there, and so
 * are the high and low 32 bits of their squares (s32_squares, one
 * pmuludq for two), which holds for 2^31 samples a position.  The bias
 * comes off at the end: x^2 = u^2 - 2^32 u + 2^62, whose low 32 bits are
 * u^2's, and whose high ones (which x^2 >= 0 makes a whole non-negative
 * number) u^2's minus u plus 2^30.  The apply takes C's double steps
 * two samples at a time, so its output is C's bit for bit, for maps that
 * r128norm_s32_map_ok takes (S32 out: lo = -2^31). */

/* Adds the squares of four S32 samples biased to unsigned 32 bits (u = x
 * + 2^31, the even ones in the low halves of u's 64-bit lanes, the odd
 * ones in odd's), exact, to 64-bit lanes split at bit 32: q[0] and q[1]
 * the high and low halves of u^2 for samples 0 and 2, q[2] and q[3] for
 * 1 and 3 (s32_body makes x^2's of them). */
static inline void
s32_squares (v2du u, v2du odd, v2du *q)
{
  const v2du low = { 0xffffffffu, 0xffffffffu };
  const v2du e2 = mul_low32 (u, u), o2 = mul_low32 (odd, odd);

  q[0] += e2 >> 32;
  q[1] += e2 & low;
  q[2] += o2 >> 32;
  q[3] += o2 & low;
}

/* most vectors of four samples in a unit of the packed rows */
#define S32_VEC_MAX (R128NORM_PACKED_F_POS / 4)

/* Units of NV vectors (NV 0: nv) from position 0, parameters c, a and b
 * per position (4 nv of each), the output clamped to [lo, hi]: sums[],
 * sq_hi[] and sq_lo[] per position as r128norm_packed_s32_fn's.  Returns
 * where the units end. */
static ALWAYS_INLINE size_t
s32_body (const int32_t *src, void *dst, size_t n, const double *c,
    const double *a, const double *b, double lo, double hi,
    const unsigned NV, unsigned nv, const int sum, const int apply,
    const int to_f32, int64_t *sums, uint64_t *sq_hi, uint64_t *sq_lo)
{
  /* [v][0]: samples 0 and 1 of vector v, [v][1]: 2 and 3 */
  v2df vc[S32_VEC_MAX][2], va[S32_VEC_MAX][2], vb[S32_VEC_MAX][2];
  /* sums of the even and the odd u; u^2 as s32_squares adds them */
  v2du s[S32_VEC_MAX][2], q[S32_VEC_MAX][4];
  const v2df vlo = splat (lo), vhi = splat (hi), half = splat (0.5);
  size_t i = 0, units = 0;
  unsigned v, h, k;

  nv = NV ? NV : nv;
  for (v = 0; v < nv; v++) {
    for (h = 0; h < 2; h++) {
      memcpy (&vc[v][h], c + 4 * v + 2 * h, sizeof vc[v][h]);
      memcpy (&va[v][h], a + 4 * v + 2 * h, sizeof va[v][h]);
      memcpy (&vb[v][h], b + 4 * v + 2 * h, sizeof vb[v][h]);
    }
    s[v][0] = s[v][1] = (v2du) { 0 };
    q[v][0] = q[v][1] = q[v][2] = q[v][3] = (v2du) { 0 };
  }
  for (; i + 4 * nv <= n; i += 4 * nv, units++) {
#pragma GCC unroll 2
    for (v = 0; v < nv; v++) {
      v4si x;
      memcpy (&x, src + i + 4 * v, sizeof x);
      if (sum) {
        const v2du u = (v2du) ((v4su) x ^ 0x80000000u), odd = u >> 32;
        s[v][0] += u & 0xffffffffu;
        s[v][1] += odd;
        s32_squares (u, odd, q[v]);
      }
      if (apply) {
        v2df d[2];
        s32_to_double (x, &d[0], &d[1]);
        for (h = 0; h < 2; h++)
          d[h] = clamp2 ((d[h] - vc[v][h]) * va[v][h] + vb[v][h], vlo, vhi);
        if (to_f32) {
          store4_f32 ((float *) dst + i + 4 * v, d[0], d[1]);
        } else {
          const v4si y = s32_round4 ((d[0] - vlo) + half, (d[1] - vlo)
              + half);
          memcpy ((int32_t *) dst + i + 4 * v, &y, sizeof y);
        }
      }
    }
  }
  if (sum)
    for (v = 0; v < nv; v++)
      for (h = 0; h < 2; h++) {
        uint64_t lanes[2], hi_q[2], lo_q[2];
        memcpy (lanes, &s[v][h], sizeof lanes);
        memcpy (hi_q, &q[v][2 * h], sizeof hi_q);
        memcpy (lo_q, &q[v][2 * h + 1], sizeof lo_q);
        for (k = 0; k < 2; k++) {
          const unsigned pos = 4 * v + 2 * k + h;
          /* mod 2^64, which the true sums (below 2^62) fit */
          sums[pos] += (int64_t) (lanes[k] - (uint64_t) units
              * 2147483648u);
          sq_hi[pos] += hi_q[k] - lanes[k] + (uint64_t) units * 1073741824u;
          sq_lo[pos] += lo_q[k];
        }
      }
  return i;
}

/* A packed row: NV vectors a unit known for one phase (stereo, four and
 * eight channels), else read; the tail in C's steps. */
static ALWAYS_INLINE void
s32_packed_row (const void *src, void *dst, size_t n,
    const r128norm_packed_fparams *fp, const unsigned NV, const int to_f32,
    const int sum, const int apply, int64_t *sums, uint64_t *sq_hi,
    uint64_t *sq_lo)
{
  const double lo = to_f32 ? -FLT_MAX : -2147483648.0;
  const double hi = to_f32 ? FLT_MAX : 2147483647.0;
  const size_t i = s32_body (src, dst, n, fp->c, fp->a, fp->b, lo, hi, NV,
      2 * fp->nph, sum, apply, to_f32, sums, sq_hi, sq_lo);

  if (i < n)
    r128norm_packed_s32_scalar ((const int32_t *) src + i, (int32_t *) dst
        + i, n - i, fp, to_f32, sum, apply, sums, sq_hi, sq_lo);
}

static ALWAYS_INLINE void
s32_packed_nv (const void *src, void *dst, size_t n,
    const r128norm_packed_fparams *fp, const unsigned NV, int to_f32,
    int sum, int apply, int64_t *sums, uint64_t *sq_hi, uint64_t *sq_lo)
{
  if (sum && !apply)
    s32_packed_row (src, dst, n, fp, NV, 0, 1, 0, sums, sq_hi, sq_lo);
  else if (to_f32 && sum)
    s32_packed_row (src, dst, n, fp, NV, 1, 1, 1, sums, sq_hi, sq_lo);
  else if (to_f32)
    s32_packed_row (src, dst, n, fp, NV, 1, 0, 1, sums, sq_hi, sq_lo);
  else if (sum)
    s32_packed_row (src, dst, n, fp, NV, 0, 1, 1, sums, sq_hi, sq_lo);
  else if (apply)
    s32_packed_row (src, dst, n, fp, NV, 0, 0, 1, sums, sq_hi, sq_lo);
}

static void
packed_s32_vec (const void *src, void *dst, size_t n,
    const r128norm_packed_fparams *fp, int to_f32, int sum, int apply,
    int64_t *sums, uint64_t *sq_hi, uint64_t *sq_lo)
{
  if (fp->nph == 1)
    s32_packed_nv (src, dst, n, fp, 2, to_f32, sum, apply, sums, sq_hi,
        sq_lo);
  else
    s32_packed_nv (src, dst, n, fp, 0, to_f32, sum, apply, sums, sq_hi,
        sq_lo);
}

/* Contiguous S32 rows, eight samples a unit (every position the same
 * parameters); in blocks of R128NORM_S32_BLOCK samples for the sums of
 * the squares' low halves.  Clipped statistics, maps the steps do not
 * take, and the tails go to C. */

static void
stats_contig_s32 (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  static const double zero[8];
  const int32_t *s = in;
  size_t i = 0;

  if (clip->active) {
    r128norm_stats_contig_c (R128NORM_FORMAT_S32, in, n, clip, acc);
    return;
  }
  while (n - i >= 8) {
    const size_t len = n - i < R128NORM_S32_BLOCK ? n - i
        : R128NORM_S32_BLOCK;
    int64_t sums[8] = { 0 };
    uint64_t sq_hi[8] = { 0 }, sq_lo[8] = { 0 }, total_lo = 0;
    const size_t done = s32_body (s + i, NULL, len, zero, zero, zero, 0.0,
        0.0, 2, 2, 1, 0, 0, sums, sq_hi, sq_lo);
    unsigned k;
    for (k = 0; k < 8; k++) {
      acc->sum += sums[k];
      acc->sumsq += (unsigned __int128) sq_hi[k] << 32;
      total_lo += sq_lo[k];     /* 8 of at most 2^60 each */
    }
    acc->sumsq += total_lo;
    acc->n += done;
    i += done;
  }
  if (i < n)
    r128norm_stats_contig_c (R128NORM_FORMAT_S32, s + i, n - i, clip, acc);
}

static ALWAYS_INLINE uint64_t
apply_contig_s32 (const void *in, void *out, size_t n,
    const r128norm_affine *p, const int to_f32)
{
  r128norm_kernel_set c;
  size_t i = 0;

  if (r128norm_s32_map_ok (p, !to_f32)) {
    double vc[8], va[8], vb[8];
    unsigned k;
    for (k = 0; k < 8; k++) {
      vc[k] = p->c;
      va[k] = p->a;
      vb[k] = p->b;
    }
    i = s32_body (in, out, n, vc, va, vb, p->lo, p->hi, 2, 2, 0, 1, to_f32,
        NULL, NULL, NULL);
  }
  if (i < n) {
    r128norm_kernels_c (R128NORM_FORMAT_S32, to_f32 ? R128NORM_FORMAT_F32
        : R128NORM_FORMAT_S32, &c);
    c.apply_contig ((const int32_t *) in + i, (int32_t *) out + i, n - i, p);
  }
  return 0;
}

static uint64_t
apply_contig_s32_s32 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  return apply_contig_s32 (in, out, n, p, 0);
}

static uint64_t
apply_contig_s32_f32 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  return apply_contig_s32 (in, out, n, p, 1);
}

r128norm_packed_s32_fn
r128norm_packed_s32_vec (void)
{
  /* the even and odd samples are the low and high halves of 64 bits */
  return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? packed_s32_vec : NULL;
}

r128norm_packed_float_fn
r128norm_packed_float_vec (r128norm_format format)
{
  return format == R128NORM_FORMAT_F32 ? packed_f32
      : format == R128NORM_FORMAT_F64 ? packed_f64
      : format == R128NORM_FORMAT_F16 ? packed_f16 : NULL;
}

/* C's u8 -> u8 and u8 -> F32 steps (apply_u8_u8 and apply_u8_f32 in
 * r128norm_kernels_c.c: single precision, each step rounded, nothing
 * contracted), four samples at a time: the same values.  What the library
 * makes the u8 tables with every buffer (lut_source), where 256 samples
 * one at a time cost about 0.4 us a channel, more than the rest of a
 * 10 ms u8 audio buffer.  The parameters are copied first: the table
 * written is the affine map's own (lut), which they would otherwise be
 * read again from after every store. */
typedef struct
{
  v4sf c, a, b, lo, hi;
} u8_steps_params;

static inline u8_steps_params
u8_steps_params_of (const r128norm_affine *p)
{
  u8_steps_params q;

  q.c = (v4sf) { p->cf, p->cf, p->cf, p->cf };
  q.a = (v4sf) { p->af, p->af, p->af, p->af };
  q.b = (v4sf) { p->bf, p->bf, p->bf, p->bf };
  q.lo = (v4sf) { p->lof, p->lof, p->lof, p->lof };
  q.hi = (v4sf) { p->hif, p->hif, p->hif, p->hif };
  return q;
}

static ALWAYS_INLINE v4sf
u8_steps4 (v4si x, const u8_steps_params *q)
{
  return clamp4f ((__builtin_convertvector (x, v4sf) - q->c) * q->a + q->b,
      q->lo, q->hi);
}

/* trunc (v - lo + 0.5) + lo, as C rounds (lo_int: lo as an integer,
 * which only u8 out's bounds are) */
static ALWAYS_INLINE v4si
u8_round4 (v4sf v, const u8_steps_params *q, int32_t lo_int)
{
  return __builtin_convertvector ((v - q->lo) + 0.5f, v4si) + lo_int;
}

static ALWAYS_INLINE v4si
u8_widen4 (const uint8_t *s)
{
  return (v4si) { s[0], s[1], s[2], s[3] };
}

typedef uint8_t v4qu __attribute__ ((vector_size (4)));

/* Four bytes' outputs, the low byte of each as C's conversion to uint8_t
 * takes it */
static ALWAYS_INLINE v4qu
u8_u8_steps4 (const uint8_t *s, const u8_steps_params *q, int32_t lo_int)
{
  return __builtin_convertvector (u8_round4 (u8_steps4 (u8_widen4 (s), q), q,
          lo_int), v4qu);
}

static uint64_t
apply_contig_u8_u8_steps (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  const uint8_t *s = in;
  uint8_t *d = out;
  const u8_steps_params q = u8_steps_params_of (p);
  const int32_t lo_int = (int32_t) p->lof;
  size_t i = 0;

#if defined(__SSE2__)
  /* within [0, 255] (U8's bounds, always), packing with saturation keeps
   * every value, as C's conversion to uint8_t does */
  if (p->lof == 0.0f && p->hif <= 255.0f) {
    const __m128i zero = _mm_setzero_si128 ();
    for (; i + 16 <= n; i += 16) {
      const __m128i x = _mm_loadu_si128 ((const __m128i *) (s + i));
      const __m128i lo8 = _mm_unpacklo_epi8 (x, zero);
      const __m128i hi8 = _mm_unpackhi_epi8 (x, zero);
      __m128i y[4];
      y[0] = (__m128i) u8_round4 (u8_steps4 ((v4si) _mm_unpacklo_epi16 (lo8,
                  zero), &q), &q, lo_int);
      y[1] = (__m128i) u8_round4 (u8_steps4 ((v4si) _mm_unpackhi_epi16 (lo8,
                  zero), &q), &q, lo_int);
      y[2] = (__m128i) u8_round4 (u8_steps4 ((v4si) _mm_unpacklo_epi16 (hi8,
                  zero), &q), &q, lo_int);
      y[3] = (__m128i) u8_round4 (u8_steps4 ((v4si) _mm_unpackhi_epi16 (hi8,
                  zero), &q), &q, lo_int);
      _mm_storeu_si128 ((__m128i *) (d + i), _mm_packus_epi16
          (_mm_packs_epi32 (y[0], y[1]), _mm_packs_epi32 (y[2], y[3])));
    }
  }
#endif
  for (; i + 4 <= n; i += 4) {
    const v4qu y = u8_u8_steps4 (s + i, &q, lo_int);
    memcpy (d + i, &y, sizeof y);
  }
  if (i < n) {
    /* the last one to three samples: the same steps, on a group padded
     * with zeros */
    uint8_t x[4] = { 0 };
    v4qu y;
    memcpy (x, s + i, n - i);
    y = u8_u8_steps4 (x, &q, lo_int);
    memcpy (d + i, &y, n - i);
  }
  return 0;
}

static uint64_t
apply_contig_u8_f32_steps (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  const uint8_t *s = in;
  float *d = out;
  const u8_steps_params q = u8_steps_params_of (p);
  size_t i;

  for (i = 0; i + 4 <= n; i += 4) {
    const v4sf v = u8_steps4 (u8_widen4 (s + i), &q);
    memcpy (d + i, &v, sizeof v);
  }
  if (i < n) {
    /* as the u8 -> u8 steps' tail */
    uint8_t x[4] = { 0 };
    v4sf v;
    memcpy (x, s + i, n - i);
    v = u8_steps4 (u8_widen4 (x), &q);
    memcpy (d + i, &v, (n - i) * sizeof *d);
  }
  return 0;
}

r128norm_apply_contig_fn
r128norm_u8_steps_vec (r128norm_format in, r128norm_format out)
{
  if (in != R128NORM_FORMAT_U8 && in != R128NORM_FORMAT_U8_CENTERED)
    return NULL;
  return out == in ? apply_contig_u8_u8_steps
      : out == R128NORM_FORMAT_F32 ? apply_contig_u8_f32_steps : NULL;
}

int
r128norm_kernels_vec (r128norm_format in, r128norm_format out,
    r128norm_kernel_set *set)
{
  /* the integer rows split words in halves, by the bytes' order */
  const int little_endian = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

  if (in == R128NORM_FORMAT_F32) {
    set->stats = stats_f32;
    set->stats_contig = stats_contig_f32;
    if (out == in)
      set->apply_contig = apply_contig_f32;
    else if (out == R128NORM_FORMAT_F16)
      set->apply_contig = apply_contig_f32_f16;
  } else if (in == R128NORM_FORMAT_F16) {
    set->stats_contig = stats_contig_f16;
    if (out == in)
      set->apply_contig = apply_contig_f16_f16;
    else if (out == R128NORM_FORMAT_F32)
      set->apply_contig = apply_contig_f16_f32;
  } else if (in == R128NORM_FORMAT_F64) {
    set->stats = stats_f64;
    set->stats_contig = stats_contig_f64;
    if (out == in)
      set->apply_contig = apply_contig_f64;
  } else if (little_endian && (in == R128NORM_FORMAT_U8
          || in == R128NORM_FORMAT_U8_CENTERED)) {
    /* the planes' sums, and to u8 the apply by the tables' maps */
    set->stats_contig = stats_contig_u8;
    if (out != in)
      return 1;               /* the tables' kernels are the rest */
    set->apply_contig = apply_contig_u8_fixed;
    set->lut_derive = r128norm_u8_derive_fixed;
  } else if (little_endian && in == R128NORM_FORMAT_S32) {
    set->stats_contig = stats_contig_s32;
    if (out == in)
      set->apply_contig = apply_contig_s32_s32;
    else if (out == R128NORM_FORMAT_F32)
      set->apply_contig = apply_contig_s32_f32;
  } else if (little_endian && (in == R128NORM_FORMAT_S16
          || in == R128NORM_FORMAT_U16)) {
    const int u16 = in == R128NORM_FORMAT_U16;
    /* the pairs' sums beat ORC's (GRAY16: 0.03 ms of statistics against
     * 0.06 on SSE2) */
    set->stats_contig = u16 ? stats_contig_u16 : stats_contig_s16;
    if (out == in)
      set->apply_contig = u16 ? apply_contig_u16_u16 : apply_contig_s16_s16;
    else if (out == R128NORM_FORMAT_F32)
      set->apply_contig = u16 ? apply_contig_u16_f32 : apply_contig_s16_f32;
  } else {
    return 0;
  }
  set->name = "vector";
  return 1;
}

#else /* no __builtin_convertvector, or x87 arithmetic */

r128norm_packed_s16_fn
r128norm_packed_s16_vec (void)
{
  return NULL;
}

r128norm_packed_s32_fn
r128norm_packed_s32_vec (void)
{
  return NULL;
}

int
r128norm_u8_sums_vec (const uint8_t *row, size_t bytes, unsigned period,
    uint64_t *sums, uint64_t *sq)
{
  (void) row;
  (void) bytes;
  (void) period;
  (void) sums;
  (void) sq;
  return 0;
}

r128norm_packed_float_fn
r128norm_packed_float_vec (r128norm_format format)
{
  (void) format;
  return NULL;
}

int
r128norm_u8_fixed_prepare (unsigned char *vecs,
    const r128norm_u8_fixed *maps, unsigned unit)
{
  (void) vecs;
  (void) maps;
  (void) unit;
  return 0;
}

size_t
r128norm_u8_fixed_row_vec (const uint8_t *src, uint8_t *dst, size_t bytes,
    const unsigned char *vecs, unsigned unit, unsigned period,
    uint64_t *sums, uint64_t *sq)
{
  (void) src;
  (void) dst;
  (void) bytes;
  (void) vecs;
  (void) unit;
  (void) period;
  (void) sums;
  (void) sq;
  return 0;
}

r128norm_apply_contig_fn
r128norm_u8_steps_vec (r128norm_format in, r128norm_format out)
{
  (void) in;
  (void) out;
  return NULL;
}

int
r128norm_kernels_vec (r128norm_format in, r128norm_format out,
    r128norm_kernel_set *set)
{
  (void) in;
  (void) out;
  (void) set;
  return 0;
}

#endif

void
r128norm_packed_s16_scalar (const int16_t *src, void *dst, size_t n,
    const r128norm_packed_sparams *sp, int sum, int apply, int64_t *sums,
    uint64_t *sq)
{
  int16_scalar (src, dst, n, sp, 0, sum, apply, sums, sq);
}

/* Samples [0, n) of a packed S32 row from position 0, one at a time with
 * the C kernels' steps (nothing here is contracted into FMA): the tail of
 * a row, for the x86 and the portable kernels.  Samples of no channel are
 * left as they are (in place). */
void
r128norm_packed_s32_scalar (const int32_t *src, void *dst, size_t n,
    const r128norm_packed_fparams *fp, int to_f32, int sum, int apply,
    int64_t *sums, uint64_t *sq_hi, uint64_t *sq_lo)
{
  const unsigned m = 8 * fp->nph;
  unsigned pos = 0, lane = 0;
  size_t i;

  for (i = 0; i < n; i++) {
    const r128norm_packed_lane *ln = &fp->lane[lane];
    int32_t x;

    memcpy (&x, src + i, sizeof x);
    if (fp->touched[pos]) {
      if (sum) {
        const uint64_t q = (uint64_t) ((int64_t) x * x);
        sums[pos] += x;
        sq_hi[pos] += q >> 32;
        sq_lo[pos] += q & 0xffffffffu;
      }
      if (apply) {
        double v = ((double) x - ln->c) * ln->a + ln->b;
        v = v < ln->lo ? ln->lo : v;
        v = v > ln->hi ? ln->hi : v;
        if (to_f32) {
          float y = (float) v;
          memcpy ((float *) dst + i, &y, sizeof y);
        } else {
          int32_t y = (int32_t) ((int64_t) (v - ln->lo + 0.5)
              + (int64_t) ln->lo);
          memcpy ((int32_t *) dst + i, &y, sizeof y);
        }
      }
    }
    pos = pos + 1 == m ? 0 : pos + 1;
    lane = lane + 1 == fp->period ? 0 : lane + 1;
  }
}
