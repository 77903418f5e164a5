/* Hand-vectorized x86 kernels (AVX2), chosen at run time with
 * __builtin_cpu_supports; without AVX2 (or on other CPUs) the ORC and C
 * kernels stay.  The kernels give the C kernel's result bit for bit (the
 * same single/double precision steps in the same order: multiply, then
 * add, no FMA; the same rounding; u8 -> u8 in fixed point by each table's
 * map of integers, r128norm_u8_fit, or 1 LSB next to a tie where a table
 * has none), except the F32 apply where single precision with FMA is
 * within 1e-5 (apply_contig_f32_f32_fma, the packed F32 rows).  The
 * order of the float statistics' additions differs (per-lane partial sums
 * in double).
 *
 * Loads and stores are unaligned; tails and rows with non-finite floats
 * go to the C kernels.  See docs/performance.md. */
#include "r128norm_simd.h"

#if defined(__x86_64__) && defined(__GNUC__)

#include <cpuid.h>
#include <float.h>
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define AVX2 __attribute__ ((target ("avx2")))
/* the single precision F16 kernels of AVX2 CPUs with FMA; their double
 * steps stay in AVX2_F16C functions that are never inlined into these,
 * where the compiler would contract their multiplies and adds */
#define AVX2_F16C_FMA __attribute__ ((target ("avx2,f16c,fma")))
#define INLINE static inline __attribute__ ((always_inline))

/* u8 rows: 32-bit partial sums of squares gain at most 4 * 255^2 per
 * block; this many blocks keep them below 2^32. */
#define U8_FLUSH ((size_t) 8192)
/* u16 rows: 32-bit partial sums of (x - 32768) gain at most 2^16 per
 * block of 16 samples; this many blocks keep them within 2^31. */
#define U16_FLUSH ((size_t) 16384)

static r128norm_kernel_set
c_set (r128norm_format in, r128norm_format out)
{
  r128norm_kernel_set c;

  r128norm_kernels_c (in, out, &c);
  return c;
}

/* ---- u8: packed rows with per-lane parameters ------------------------ */

/* 8 bytes as 8 int32 lanes */
AVX2 INLINE __m256i
load8_u8 (const uint8_t *p)
{
  return _mm256_cvtepu8_epi32 (_mm_loadl_epi64 ((const __m128i *) p));
}

/* The C kernel's steps: ((x - c) * a + b), clamped to [0, 255], rounded
 * half up by truncating v + 0.5.  min (v + 0.5, 255.5) equals
 * clamp (v) + 0.5 for every v <= 255 and gives 255 above; below zero the
 * truncation gives 0 or a negative that the packs saturate to 0. */
AVX2 INLINE __m256i
affine8_u8 (__m256i x, __m256 c, __m256 a, __m256 b, __m256 top)
{
  __m256 v = _mm256_sub_ps (_mm256_cvtepi32_ps (x), c);
  v = _mm256_add_ps (_mm256_mul_ps (v, a), b);
  v = _mm256_min_ps (_mm256_add_ps (v, _mm256_set1_ps (0.5f)), top);
  return _mm256_cvttps_epi32 (v);
}

/* The fixed-point form: (x * fa + fb) >> shift, saturated by the packs. */
AVX2 INLINE __m256i
fixed8_u8 (__m256i x, __m256i fa, __m256i fb, __m128i shift)
{
  return _mm256_sra_epi32 (_mm256_add_epi32 (_mm256_mullo_epi32 (x, fa), fb),
      shift);
}

/* 4 x 8 int32 in [-2^31, 2^31) to 32 saturated bytes, in order */
AVX2 INLINE __m256i
pack32_u8 (__m256i i0, __m256i i1, __m256i i2, __m256i i3)
{
  __m256i w01 = _mm256_packs_epi32 (i0, i1);
  __m256i w23 = _mm256_packs_epi32 (i2, i3);
  __m256i b = _mm256_packus_epi16 (w01, w23);
  return _mm256_permutevar8x32_epi32 (b,
      _mm256_setr_epi32 (0, 4, 1, 5, 2, 6, 3, 7));
}

/* Flushes the 32-bit partial sums of phase h into the per-lane sums. */
AVX2 INLINE void
flush_u8 (__m256i s, __m256i q, unsigned h, unsigned period,
    uint64_t *sums, uint64_t *sq)
{
  uint32_t vs[8], vq[8];
  unsigned j, lane = (8 * h) % period;

  _mm256_storeu_si256 ((__m256i *) vs, s);
  _mm256_storeu_si256 ((__m256i *) vq, q);
  for (j = 0; j < 8; j++) {
    sums[lane] += vs[j];
    sq[lane] += vq[j];
    lane = lane + 1 == period ? 0 : lane + 1;
  }
}

/* The body for NPH parameter phases: units of U = lcm (4, NPH) groups of 8
 * bytes, the group k of a unit using phase k % NPH. */
AVX2 INLINE void
packed_u8_body (const uint8_t *src, uint8_t *dst, size_t bytes,
    const r128norm_packed_params *pp, const int NPH, const int SUM,
    const int APPLY, const int FIXED, uint64_t *sums, uint64_t *sq)
{
  const unsigned U = NPH == 3 ? 12 : 4;
  const __m256 top = _mm256_set1_ps (255.5f);
  const __m128i shift = _mm_cvtsi32_si128 (pp->shift);
  __m256 c[4], a[4], b[4];
  __m256i fa[4], fb[4];
  __m256i s[4], q[4];
  size_t pos = 0, blocks = 0;
  unsigned h;

  for (h = 0; h < (unsigned) NPH; h++) {
    if (FIXED) {
      fa[h] = _mm256_loadu_si256 ((const __m256i *) pp->fa[h]);
      fb[h] = _mm256_loadu_si256 ((const __m256i *) pp->fb[h]);
    } else {
      c[h] = _mm256_loadu_ps (pp->c[h]);
      a[h] = _mm256_loadu_ps (pp->a[h]);
      b[h] = _mm256_loadu_ps (pp->b[h]);
    }
    s[h] = q[h] = _mm256_setzero_si256 ();
  }
  /* the last, partial unit goes through a zero-padded copy: zeros add
   * nothing to the sums, and only the row's bytes are copied back */
  while (pos < bytes) {
    uint8_t tmp[96];
    const uint8_t *sp = src + pos;
    uint8_t *dp = dst + pos;
    unsigned k;
    int last = pos + 8 * U > bytes;
    if (last) {
      memset (tmp, 0, sizeof tmp);
      memcpy (tmp, sp, bytes - pos);
      sp = dp = tmp;
    }
    /* unrolled, so that the phases are constants and x, y registers */
#pragma GCC unroll 12
    for (k = 0; k < U; k += 4) {
      const uint8_t *p = sp + 8 * k;
      if (k % 8 == 0)
        R128NORM_PREFETCH (p);
      __m256i x[4], y[4];
      unsigned t;
#pragma GCC unroll 4
      for (t = 0; t < 4; t++) {
        x[t] = load8_u8 (p + 8 * t);
        if (SUM) {
          s[(k + t) % NPH] = _mm256_add_epi32 (s[(k + t) % NPH], x[t]);
          q[(k + t) % NPH] = _mm256_add_epi32 (q[(k + t) % NPH],
              _mm256_madd_epi16 (x[t], x[t]));
        }
        if (APPLY && FIXED)
          y[t] = fixed8_u8 (x[t], fa[(k + t) % NPH], fb[(k + t) % NPH],
              shift);
        else if (APPLY)
          y[t] = affine8_u8 (x[t], c[(k + t) % NPH], a[(k + t) % NPH],
              b[(k + t) % NPH], top);
      }
      if (APPLY)
        _mm256_storeu_si256 ((__m256i *) (dp + 8 * k),
            pack32_u8 (y[0], y[1], y[2], y[3]));
    }
    if (last) {
      if (APPLY)
        memcpy (dst + pos, tmp, bytes - pos);
      break;
    }
    pos += 8 * U;
    if (SUM && ++blocks == U8_FLUSH) {
      for (h = 0; h < (unsigned) NPH; h++) {
        flush_u8 (s[h], q[h], h, pp->period, sums, sq);
        s[h] = q[h] = _mm256_setzero_si256 ();
      }
      blocks = 0;
    }
  }
  if (SUM)
    for (h = 0; h < (unsigned) NPH; h++)
      flush_u8 (s[h], q[h], h, pp->period, sums, sq);
}

#define DEFINE_PACKED(NPH)                                                \
  AVX2 static void                                                        \
  packed_u8_##NPH (uint8_t *row, size_t bytes,                            \
      const r128norm_packed_params *pp, int sum, int apply,               \
      uint64_t *sums, uint64_t *sq)                                       \
  {                                                                       \
    if (sum && apply && pp->shift)                                        \
      packed_u8_body (row, row, bytes, pp, NPH, 1, 1, 1, sums, sq);       \
    else if (sum && apply)                                                \
      packed_u8_body (row, row, bytes, pp, NPH, 1, 1, 0, sums, sq);       \
    else if (sum)                                                         \
      packed_u8_body (row, row, bytes, pp, NPH, 1, 0, 0, sums, sq);       \
    else if (apply && pp->shift)                                          \
      packed_u8_body (row, row, bytes, pp, NPH, 0, 1, 1, sums, sq);       \
    else if (apply)                                                       \
      packed_u8_body (row, row, bytes, pp, NPH, 0, 1, 0, sums, sq);       \
  }

DEFINE_PACKED (1)
DEFINE_PACKED (2)
DEFINE_PACKED (3)
DEFINE_PACKED (4)

static void
packed_u8 (uint8_t *row, size_t bytes, const r128norm_packed_params *pp,
    int sum, int apply, uint64_t *sums, uint64_t *sq)
{
  switch (pp->nph) {
    case 1:
      packed_u8_1 (row, bytes, pp, sum, apply, sums, sq);
      break;
    case 2:
      packed_u8_2 (row, bytes, pp, sum, apply, sums, sq);
      break;
    case 3:
      packed_u8_3 (row, bytes, pp, sum, apply, sums, sq);
      break;
    default:
      packed_u8_4 (row, bytes, pp, sum, apply, sums, sq);
      break;
  }
}

/* One channel, contiguous: the packed body with period 1. */
static void
broadcast_params (r128norm_packed_params *pp, const r128norm_affine *p)
{
  unsigned j;

  for (j = 0; j < 8; j++) {
    pp->c[0][j] = p->cf;
    pp->a[0][j] = p->af;
    pp->b[0][j] = p->bf;
  }
  pp->period = 1;
  pp->nph = 1;
}

/* Horizontal sums of 64-bit and of 32-bit lanes. */
AVX2 INLINE uint64_t
hsum_epi64 (__m256i v)
{
  uint64_t t[4];
  _mm256_storeu_si256 ((__m256i *) t, v);
  return t[0] + t[1] + t[2] + t[3];
}

AVX2 INLINE uint64_t
hsum_epu32 (__m256i v)
{
  uint32_t t[8];
  uint64_t s = 0;
  int j;
  _mm256_storeu_si256 ((__m256i *) t, v);
  for (j = 0; j < 8; j++)
    s += t[j];
  return s;
}

/* Contiguous u8: sums with vpsadbw, squares of 16-bit halves with
 * vpmaddwd (32-bit partial sums flushed before they can wrap). */
AVX2 static void
stats_contig_u8 (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  const uint8_t *s = in;
  const __m256i zero = _mm256_setzero_si256 ();
  __m256i sum = zero, sq = zero;
  uint64_t total_sq = 0;
  size_t i = 0, blocks = 0;

  if (clip->active) {
    c_set (R128NORM_FORMAT_U8, R128NORM_FORMAT_U8).stats_contig (in, n,
        clip, acc);
    return;
  }
  for (; i + 32 <= n; i += 32) {
    __m256i x = _mm256_loadu_si256 ((const __m256i *) (s + i));
    __m256i lo = _mm256_unpacklo_epi8 (x, zero);
    __m256i hi = _mm256_unpackhi_epi8 (x, zero);
    if (i % 64 == 0)
      R128NORM_PREFETCH (s + i);
    sum = _mm256_add_epi64 (sum, _mm256_sad_epu8 (x, zero));
    sq = _mm256_add_epi32 (sq, _mm256_add_epi32 (_mm256_madd_epi16 (lo, lo),
            _mm256_madd_epi16 (hi, hi)));
    if (++blocks == U8_FLUSH) {
      total_sq += hsum_epu32 (sq);
      sq = zero;
      blocks = 0;
    }
  }
  total_sq += hsum_epu32 (sq);
  acc->n += i;
  acc->sum += (int64_t) hsum_epi64 (sum);
  acc->sumsq += total_sq;
  if (i < n)
    c_set (R128NORM_FORMAT_U8, R128NORM_FORMAT_U8).stats_contig (s + i,
        n - i, clip, acc);
}

/* Shuffle masks that gather 8 samples `step` bytes apart (step 2 to 4)
 * from 16 + 16 bytes into the low 8 bytes. */
static void
gather_masks (ptrdiff_t step, __m128i *lo, __m128i *hi)
{
  int8_t mlo[16], mhi[16];
  int j;

  for (j = 0; j < 16; j++) {
    int at = j * (int) step;
    mlo[j] = (j < 8 && at < 16) ? (int8_t) at : (int8_t) -128;
    mhi[j] = (j < 8 && at >= 16) ? (int8_t) (at - 16) : (int8_t) -128;
  }
  memcpy (lo, mlo, 16);
  memcpy (hi, mhi, 16);
}

AVX2 INLINE __m128i
gather8_u8 (const uint8_t *g, ptrdiff_t step, __m128i shuf_lo,
    __m128i shuf_hi)
{
  __m128i xl = _mm_loadu_si128 ((const __m128i *) g), xh;

  if (step == 4)
    xh = _mm_loadu_si128 ((const __m128i *) (g + 16));
  else if (step == 3)
    xh = _mm_loadl_epi64 ((const __m128i *) (g + 16));
  else
    xh = _mm_setzero_si128 ();
  return _mm_or_si128 (_mm_shuffle_epi8 (xl, shuf_lo),
      _mm_shuffle_epi8 (xh, shuf_hi));
}

/* Strided u8 (step 2 to 4: one channel of packed pixels, where the packed
 * path does not apply, e.g. RGB in, a planar tensor out).  A group of 8 is
 * done here only while the next sample exists, so the bytes read past the
 * group's last sample lie before it, within the row. */
AVX2 static void
stats_u8 (const void *in, ptrdiff_t step, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  const uint8_t *s = in;
  __m128i shuf_lo, shuf_hi, sum = _mm_setzero_si128 (), sq = sum;
  uint64_t total_sq = 0, t64[2];
  uint32_t t32[4];
  size_t i = 0, blocks = 0;
  int j;

  if (clip->active || step < 2 || step > 4) {
    c_set (R128NORM_FORMAT_U8, R128NORM_FORMAT_U8).stats (in, step, n, clip,
        acc);
    return;
  }
  gather_masks (step, &shuf_lo, &shuf_hi);
  for (; i + 8 < n; i += 8) {
    __m128i x = gather8_u8 (s + (ptrdiff_t) i * step, step, shuf_lo,
        shuf_hi);
    __m128i x16 = _mm_cvtepu8_epi16 (x);
    sum = _mm_add_epi64 (sum, _mm_sad_epu8 (x, _mm_setzero_si128 ()));
    sq = _mm_add_epi32 (sq, _mm_madd_epi16 (x16, x16));
    if (++blocks == U8_FLUSH) {
      _mm_storeu_si128 ((__m128i *) t32, sq);
      for (j = 0; j < 4; j++)
        total_sq += t32[j];
      sq = _mm_setzero_si128 ();
      blocks = 0;
    }
  }
  _mm_storeu_si128 ((__m128i *) t32, sq);
  for (j = 0; j < 4; j++)
    total_sq += t32[j];
  _mm_storeu_si128 ((__m128i *) t64, sum);
  acc->n += i;
  acc->sum += (int64_t) (t64[0] + t64[1]);
  acc->sumsq += total_sq;
  if (i < n)
    c_set (R128NORM_FORMAT_U8, R128NORM_FORMAT_U8).stats (s
        + (ptrdiff_t) i * step, step, n - i, clip, acc);
}

AVX2 static uint64_t
apply_contig_u8_u8 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  r128norm_packed_params pp;
  uint64_t dummy = 0;
  unsigned j;

  broadcast_params (&pp, p);
  if (p->has_lut && p->lut_fixed.shift) {
    /* the table's map of integers: its bytes, C's */
    for (j = 0; j < 8; j++) {
      pp.fa[0][j] = p->lut_fixed.fa;
      pp.fb[0][j] = p->lut_fixed.fb;
    }
    pp.shift = p->lut_fixed.shift;
  } else {
    r128norm_packed_fixed (&pp);
  }
  if (pp.shift)
    packed_u8_body (in, out, n, &pp, 1, 0, 1, 1, &dummy, &dummy);
  else
    packed_u8_body (in, out, n, &pp, 1, 0, 1, 0, &dummy, &dummy);
  return 0;
}

/* u8 -> u8 by table (AVX-512 VBMI): the library fills r128norm_affine.lut
 * with the C kernel's output for all 256 inputs once a buffer, so this is
 * the C result exactly; two 128-entry permutes and a blend on the top bit
 * look 64 samples up at once. */
#define AVX512VBMI \
  __attribute__ ((target ("avx512f,avx512bw,avx512vbmi,avx2")))

/* 64 bytes x looked up in the 256-entry table t[0..3]; high: the bytes
 * of x with the top bit set */
AVX512VBMI INLINE __m512i
lookup64_u8 (__m512i x, __mmask64 high, const __m512i *t)
{
  return _mm512_mask_blend_epi8 (high, _mm512_permutex2var_epi8 (t[0], x,
          t[1]), _mm512_permutex2var_epi8 (t[2], x, t[3]));
}

AVX512VBMI static uint64_t
apply_contig_u8_u8_vbmi (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  const uint8_t *s = in;
  uint8_t *d = out;
  __m512i t[4];
  size_t i = 0;
  unsigned k;

  if (!p->has_lut)
    return apply_contig_u8_u8 (in, out, n, p);
  for (k = 0; k < 4; k++)
    t[k] = _mm512_loadu_si512 (p->lut + 64 * k);
  for (; i + 64 <= n; i += 64) {
    __m512i x = _mm512_loadu_si512 (s + i);
    R128NORM_PREFETCH (s + i);
    _mm512_storeu_si512 (d + i, lookup64_u8 (x, _mm512_movepi8_mask (x), t));
  }
  for (; i < n; i++)
    d[i] = p->lut[s[i]];
  return 0;
}

/* Packed u8 rows by table (AVX-512 VBMI), where the period divides 16 or
 * is 3 (RGB): the sums in dword lanes, and the apply as one lookup per
 * channel, each channel's table on its own bytes, so the output is the C
 * kernel's exactly.  Twice the samples per instruction of the AVX2 body
 * for the sums; for the apply, four instructions per channel and 64
 * bytes where the fixed-point map takes about forty.
 *
 * Byte 4 d + t of a vector goes to dword d of accumulator t.  Where the
 * period divides 16, every vector has the same lanes: byte 4 d + t is lane
 * (4 d + t) % period.  With period 3, 64 = 1 mod 3: vector v of a
 * 192-byte unit starts at lane v, byte 4 d + t is lane (v + d + t) % 3,
 * and it goes to accumulator u = (v + t) % 3, whose dword d is then
 * always lane (u + d) % 3. */
AVX512VBMI INLINE void
sum64_u8 (__m512i x, __m512i *s, __m512i *q, const unsigned NACC,
    const unsigned v, const unsigned USED)
{
  const __m512i low = _mm512_set1_epi32 (0xff);
  __m512i b[4];
  unsigned t;

  /* USED: the bytes t of each 4 that are some channel's (the others,
   * alpha or padding, are neither extracted nor summed: 4 operations of
   * RGBA's 31 a vector) */
  b[0] = _mm512_and_si512 (x, low);
  b[1] = _mm512_and_si512 (_mm512_srli_epi32 (x, 8), low);
  b[2] = _mm512_and_si512 (_mm512_srli_epi32 (x, 16), low);
  b[3] = _mm512_srli_epi32 (x, 24);
#pragma GCC unroll 4
  for (t = 0; t < 4; t++) {
    const unsigned u = (t + v) % NACC;
    if (!(USED >> t & 1))
      continue;
    s[u] = _mm512_add_epi32 (s[u], b[t]);
    q[u] = _mm512_add_epi32 (q[u], _mm512_madd_epi16 (b[t], b[t]));
  }
}

/* The sum of 16 unsigned dwords. */
AVX512VBMI INLINE uint64_t
sum16_u32 (__m512i v)
{
  return (uint64_t) _mm512_reduce_add_epi64 (_mm512_add_epi64
      (_mm512_cvtepu32_epi64 (_mm512_castsi512_si256 (v)),
          _mm512_cvtepu32_epi64 (_mm512_extracti64x4_epi64 (v, 1))));
}

/* Adds the NACC accumulators of s and q to the row's lanes (see above)
 * and clears them. */
AVX512VBMI INLINE void
flush64_u8 (__m512i *s, __m512i *q, const unsigned NACC, unsigned period,
    uint64_t *sums, uint64_t *sq)
{
  unsigned u, d;

  /* unrolled: an accumulator indexed by a variable anywhere keeps them all
   * in memory, and the vector loop then stored each one it updated (eight
   * 64-byte stores a vector of RGBA, on top of its own) */
#pragma GCC unroll 4
  for (u = 0; u < NACC; u++) {
    if (NACC == 4 && period <= 4) {
      /* the 16 lanes added in 64 bits: each is below 2^32, their sum not */
      sums[u & (period - 1)] += sum16_u32 (s[u]);
      sq[u & (period - 1)] += sum16_u32 (q[u]);
    } else {
      uint32_t vs[16], vq[16];
      unsigned lane = u;
      _mm512_storeu_si512 (vs, s[u]);
      _mm512_storeu_si512 (vq, q[u]);
      for (d = 0; d < 16; d++) {
        sums[lane] += vs[d];
        sq[lane] += vq[d];
        lane = NACC == 3 ? (lane + 1 == 3 ? 0 : lane + 1)
            : (lane + 4) & (period - 1);
      }
    }
    s[u] = q[u] = _mm512_setzero_si512 ();
  }
}

/* Vector v of a unit: 64 bytes (fewer at the row's end, where the masked
 * load reads zeros, which add nothing to the sums, and the masked store
 * writes only the row's bytes); mine[k] the bytes of table k. */
AVX512VBMI INLINE void
table64_u8 (uint8_t *p, __mmask64 in_row, const int SUM, const int APPLY,
    const unsigned NT, const __m512i (*t)[4], const __mmask64 *mine,
    __m512i *s, __m512i *q, const unsigned NACC, const unsigned v,
    const unsigned USED)
{
  const __m512i x = _mm512_maskz_loadu_epi8 (in_row, p);
  unsigned k;

  if (SUM)
    sum64_u8 (x, s, q, NACC, v, USED);
  if (APPLY) {
    const __mmask64 high = _mm512_movepi8_mask (x);
    __m512i y = x;
#pragma GCC unroll 4
    for (k = 0; k < NT; k++)
      y = _mm512_mask_mov_epi8 (y, mine[k], lookup64_u8 (x, high, t[k]));
    _mm512_mask_storeu_epi8 (p, in_row, y);
  }
}

/* PERIOD3: units of three vectors (RGB), else of one; USED: the bytes of
 * each 4 summed (sum64_u8). */
AVX512VBMI INLINE void
packed_u8_table_body (uint8_t *row, size_t bytes,
    const r128norm_packed_params *pp, const int SUM, const int APPLY,
    const unsigned NT, const int PERIOD3, const unsigned USED,
    uint64_t *sums, uint64_t *sq)
{
  const unsigned PH = PERIOD3 ? 3 : 1, NACC = PERIOD3 ? 3 : 4;
  const size_t unit = 64 * PH;
  __m512i t[R128NORM_PACKED_TABLES][4];
  __mmask64 mine[3][R128NORM_PACKED_TABLES];
  __m512i s[4], q[4];
  size_t pos = 0;
  unsigned k, v;

#pragma GCC unroll 4
  for (k = 0; k < NT; k++) {
    t[k][0] = _mm512_loadu_si512 (pp->table[k]);
    t[k][1] = _mm512_loadu_si512 (pp->table[k] + 64);
    t[k][2] = _mm512_loadu_si512 (pp->table[k] + 128);
    t[k][3] = _mm512_loadu_si512 (pp->table[k] + 192);
    for (v = 0; v < PH; v++)
      mine[v][k] = pp->table_bytes[v][k];
  }
#pragma GCC unroll 4
  for (k = 0; k < 4; k++)
    s[k] = q[k] = _mm512_setzero_si512 ();
  while (pos + unit <= bytes) {
    /* at most U8_FLUSH vectors between flushes */
    size_t end = pos + (bytes - pos) / unit * unit;
    if (SUM && end - pos > 64 * U8_FLUSH)
      end = pos + U8_FLUSH / PH * unit;
    for (; pos < end; pos += unit)
#pragma GCC unroll 3
      for (v = 0; v < PH; v++) {
        R128NORM_PREFETCH (row + pos + 64 * v);
        table64_u8 (row + pos + 64 * v, ~(__mmask64) 0, SUM, APPLY, NT,
            (const __m512i (*)[4]) t, mine[v], s, q, NACC, v, USED);
      }
    if (SUM && pos + unit <= bytes)
      flush64_u8 (s, q, NACC, pp->period, sums, sq);
  }
  /* what is left of the row: fewer than PH vectors, the last one partial
   * (or none) */
#pragma GCC unroll 3
  for (v = 0; v < PH && pos < bytes; v++, pos += 64)
    table64_u8 (row + pos, bytes - pos >= 64 ? ~(__mmask64) 0
        : ((__mmask64) 1 << (bytes - pos)) - 1, SUM, APPLY, NT,
        (const __m512i (*)[4]) t, mine[v], s, q, NACC, v, USED);
  if (SUM)
    flush64_u8 (s, q, NACC, pp->period, sums, sq);
}

/* The sums (and the apply of NT tables) where the period divides 16,
 * leaving out the byte of four that is no channel's where there is one:
 * RGBA's alpha or RGBx's padding (sum_positions 0x7) and ARGB's or xRGB's
 * (0xe).  1080p RGBA in place, library, on a Sapphire Rapids VM, three
 * runs alternating: `running` 0.99-1.05 -> 0.94-0.99 ms; `frame`
 * unchanged (its sums pass is bound by the reads).  Only with three
 * tables (those layouts) and for the sums alone: each variant is code. */
AVX512VBMI INLINE void
table_sums_body (uint8_t *row, size_t bytes,
    const r128norm_packed_params *pp, const int APPLY, const unsigned NT,
    uint64_t *sums, uint64_t *sq)
{
  if ((NT == 3 || !APPLY) && pp->sum_positions == 0x7)
    packed_u8_table_body (row, bytes, pp, 1, APPLY, NT, 0, 0x7, sums, sq);
  else if ((NT == 3 || !APPLY) && pp->sum_positions == 0xe)
    packed_u8_table_body (row, bytes, pp, 1, APPLY, NT, 0, 0xe, sums, sq);
  else
    packed_u8_table_body (row, bytes, pp, 1, APPLY, NT, 0, 0xf, sums, sq);
}

#define DEFINE_PACKED_TABLE(NT)                                           \
  AVX512VBMI static void                                                  \
  packed_u8_table_##NT (uint8_t *row, size_t bytes,                       \
      const r128norm_packed_params *pp, int sum, uint64_t *sums,          \
      uint64_t *sq)                                                       \
  {                                                                       \
    if (sum)                                                              \
      table_sums_body (row, bytes, pp, 1, NT, sums, sq);                  \
    else                                                                  \
      packed_u8_table_body (row, bytes, pp, 0, 1, NT, 0, 0xf, sums, sq);  \
  }                                                                       \
  AVX512VBMI static void                                                  \
  packed_u8_table3_##NT (uint8_t *row, size_t bytes,                      \
      const r128norm_packed_params *pp, int sum, uint64_t *sums,          \
      uint64_t *sq)                                                       \
  {                                                                       \
    if (sum)                                                              \
      packed_u8_table_body (row, bytes, pp, 1, 1, NT, 1, 0xf, sums, sq);  \
    else                                                                  \
      packed_u8_table_body (row, bytes, pp, 0, 1, NT, 1, 0xf, sums, sq);  \
  }

DEFINE_PACKED_TABLE (1)
DEFINE_PACKED_TABLE (2)
DEFINE_PACKED_TABLE (3)
DEFINE_PACKED_TABLE (4)

AVX512VBMI static void
packed_u8_sums_wide (uint8_t *row, size_t bytes,
    const r128norm_packed_params *pp, uint64_t *sums, uint64_t *sq)
{
  table_sums_body (row, bytes, pp, 0, 0, sums, sq);
}

AVX512VBMI static void
packed_u8_sums_wide3 (uint8_t *row, size_t bytes,
    const r128norm_packed_params *pp, uint64_t *sums, uint64_t *sq)
{
  packed_u8_table_body (row, bytes, pp, 1, 0, 0, 1, 0xf, sums, sq);
}

typedef void (*packed_u8_table_fn) (uint8_t *row, size_t bytes,
    const r128norm_packed_params *pp, int sum, uint64_t *sums,
    uint64_t *sq);

/* by table count, for periods dividing 16 and for period 3 */
static const packed_u8_table_fn packed_u8_tables[2][R128NORM_PACKED_TABLES] = {
  { packed_u8_table_1, packed_u8_table_2, packed_u8_table_3,
    packed_u8_table_4 },
  { packed_u8_table3_1, packed_u8_table3_2, packed_u8_table3_3,
    packed_u8_table3_4 },
};

/* r128norm_packed_fn on a CPU with AVX-512 VBMI: the table kernels where
 * they apply (the period divides 16 or is 3; to apply, the library made
 * tables), else the AVX2 ones. */
static void
packed_u8_wide (uint8_t *row, size_t bytes, const r128norm_packed_params *pp,
    int sum, int apply, uint64_t *sums, uint64_t *sq)
{
  const int period3 = pp->period == 3;

  if ((16 % pp->period != 0 && !period3) || (apply && pp->n_tables == 0)) {
    packed_u8 (row, bytes, pp, sum, apply, sums, sq);
    return;
  }
  if (!apply) {
    if (sum)
      (period3 ? packed_u8_sums_wide3 : packed_u8_sums_wide) (row, bytes, pp,
          sums, sq);
    return;
  }
  packed_u8_tables[period3][pp->n_tables - 1] (row, bytes, pp, sum, sums,
      sq);
}

/* ---- u8 -> f32 ------------------------------------------------------- */

/* The C kernel's single precision steps, clamped to the F32 range. */
AVX2 INLINE __m256
affine8_f32 (__m256i x, __m256 c, __m256 a, __m256 b, __m256 lo, __m256 hi)
{
  __m256 v = _mm256_sub_ps (_mm256_cvtepi32_ps (x), c);
  v = _mm256_add_ps (_mm256_mul_ps (v, a), b);
  /* v < lo ? lo : v, then v > hi ? hi : v, as the C kernel (no NaN here) */
  v = _mm256_max_ps (v, lo);
  return _mm256_min_ps (v, hi);
}

AVX2 static uint64_t
apply_contig_u8_f32 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  const uint8_t *s = in;
  float *d = out;
  const __m256 c = _mm256_set1_ps (p->cf), a = _mm256_set1_ps (p->af);
  const __m256 b = _mm256_set1_ps (p->bf), lo = _mm256_set1_ps (p->lof);
  const __m256 hi = _mm256_set1_ps (p->hif);
  size_t i = 0;

  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (d + i, affine8_f32 (load8_u8 (s + i), c, a, b, lo,
            hi));
  if (i < n)
    c_set (R128NORM_FORMAT_U8, R128NORM_FORMAT_F32).apply_contig (s + i,
        d + i, n - i, p);
  return 0;
}

/* Packed u8 rows to F32 interleaved alike (RGB to an hwc tensor): the
 * packed body's phases with C's single precision steps, 8 floats a group;
 * the last partial unit through zero-padded copies. */
AVX2 INLINE void
packed_u8_f32_body (const uint8_t *src, float *dst, size_t bytes,
    const r128norm_packed_params *pp, const int NPH, const int SUM,
    uint64_t *sums, uint64_t *sq)
{
  const unsigned U = NPH == 3 ? 12 : 4;
  __m256 c[4], a[4], b[4], lo[4], hi[4];
  __m256i s[4], q[4];
  size_t pos = 0, blocks = 0;
  unsigned h;

  for (h = 0; h < (unsigned) NPH; h++) {
    c[h] = _mm256_loadu_ps (pp->c[h]);
    a[h] = _mm256_loadu_ps (pp->a[h]);
    b[h] = _mm256_loadu_ps (pp->b[h]);
    lo[h] = _mm256_loadu_ps (pp->lo[h]);
    hi[h] = _mm256_loadu_ps (pp->hi[h]);
    s[h] = q[h] = _mm256_setzero_si256 ();
  }
  while (pos < bytes) {
    uint8_t tmp[96];
    float ftmp[96];
    const uint8_t *sp = src + pos;
    float *dp = dst + pos;
    unsigned k;
    int last = pos + 8 * U > bytes;
    if (last) {
      memset (tmp, 0, sizeof tmp);
      memcpy (tmp, sp, bytes - pos);
      sp = tmp;
      dp = ftmp;
    }
#pragma GCC unroll 12
    for (k = 0; k < U; k++) {
      __m256i x = load8_u8 (sp + 8 * k);
      if (k % 8 == 0)
        R128NORM_PREFETCH (sp + 8 * k);
      if (k % 2 == 0)
        R128NORM_PREFETCH_OUT (dp + 8 * k);
      if (SUM) {
        s[k % NPH] = _mm256_add_epi32 (s[k % NPH], x);
        q[k % NPH] = _mm256_add_epi32 (q[k % NPH], _mm256_madd_epi16 (x, x));
      }
      _mm256_storeu_ps (dp + 8 * k, affine8_f32 (x, c[k % NPH], a[k % NPH],
              b[k % NPH], lo[k % NPH], hi[k % NPH]));
    }
    if (last) {
      memcpy (dst + pos, ftmp, (bytes - pos) * sizeof *dst);
      break;
    }
    pos += 8 * U;
    if (SUM && ++blocks == U8_FLUSH) {
      for (h = 0; h < (unsigned) NPH; h++) {
        flush_u8 (s[h], q[h], h, pp->period, sums, sq);
        s[h] = q[h] = _mm256_setzero_si256 ();
      }
      blocks = 0;
    }
  }
  if (SUM)
    for (h = 0; h < (unsigned) NPH; h++)
      flush_u8 (s[h], q[h], h, pp->period, sums, sq);
}

#define DEFINE_PACKED_F32(NPH)                                            \
  AVX2 static void                                                        \
  packed_u8_f32_##NPH (const uint8_t *row, void *out, size_t bytes,       \
      const r128norm_packed_params *pp, int sum, uint64_t *sums,          \
      uint64_t *sq)                                                       \
  {                                                                       \
    if (sum)                                                              \
      packed_u8_f32_body (row, out, bytes, pp, NPH, 1, sums, sq);         \
    else                                                                  \
      packed_u8_f32_body (row, out, bytes, pp, NPH, 0, sums, sq);         \
  }

DEFINE_PACKED_F32 (1)
DEFINE_PACKED_F32 (2)
DEFINE_PACKED_F32 (3)
DEFINE_PACKED_F32 (4)

static void
packed_u8_f32 (const uint8_t *row, void *out, size_t bytes,
    const r128norm_packed_params *pp, int sum, uint64_t *sums, uint64_t *sq)
{
  switch (pp->nph) {
    case 1:
      packed_u8_f32_1 (row, out, bytes, pp, sum, sums, sq);
      break;
    case 2:
      packed_u8_f32_2 (row, out, bytes, pp, sum, sums, sq);
      break;
    case 3:
      packed_u8_f32_3 (row, out, bytes, pp, sum, sums, sq);
      break;
    default:
      packed_u8_f32_4 (row, out, bytes, pp, sum, sums, sq);
      break;
  }
}

/* Packed u8 rows to F32 (or F16) pixels of their channels alone
 * (r128norm_packed_compact).  AVX-512 VBMI: per 16 pixels one load of
 * their bytes (under a byte mask where fewer than 64 bytes of the row's
 * span are left, so nothing past it is read), and for each vector of 16
 * output samples a vpermb that puts each sample's byte in the low byte of
 * its dword.  AVX2: 8 pixels a step, 32 bytes loaded (their 16 to 32 and
 * what follows), each half in both lanes, and each vector of 8 output
 * samples picked from them by two vpshufb (one a half); where fewer than
 * 32 bytes of the row are left, through zero-padded copies.  The F32 and
 * F16 kernels share this, and differ in the map. */
typedef struct {
  __m512i index[4];
  __m512 c[4], a[4], b[4], lo[4], hi[4];
} compact_vectors16;

AVX512VBMI INLINE void
compact_load16 (const r128norm_packed_compact *cp, compact_vectors16 *v)
{
  unsigned j;

  for (j = 0; j < cp->channels; j++) {
    v->index[j] = _mm512_loadu_si512 (cp->index[j]);
    v->c[j] = _mm512_loadu_ps (cp->c + 16 * j);
    v->a[j] = _mm512_loadu_ps (cp->a + 16 * j);
    v->b[j] = _mm512_loadu_ps (cp->b + 16 * j);
    v->lo[j] = _mm512_loadu_ps (cp->lo + 16 * j);
    v->hi[j] = _mm512_loadu_ps (cp->hi + 16 * j);
  }
}

/* the bytes of pixels p .. p + 15 */
AVX512VBMI INLINE __m512i
compact_pixels16 (const uint8_t *row, size_t bytes, unsigned P, size_t p)
{
  const __mmask64 unit = 16 * P == 64 ? ~0ULL : (1ULL << (16 * P)) - 1;
  const size_t left = bytes - P * p;

  /* a plain load wherever 64 bytes of the row are left */
  return left >= 64 ? _mm512_loadu_si512 (row + P * p)
      : _mm512_maskz_loadu_epi8 (left >= 16 * P ? unit : (1ULL << left) - 1,
      row + P * p);
}

/* output vector j's bytes, each in the low byte of its dword */
AVX512VBMI INLINE __m512i
compact_pick16 (__m512i x, const compact_vectors16 *v, unsigned j)
{
  return _mm512_maskz_permutexvar_epi8 (0x1111111111111111ULL, v->index[j],
      x);
}

/* F32: C's single precision steps, each rounded on its own (the _round_
 * forms are never contracted into an FMA); the last vectors of a row
 * stored under a mask. */
AVX512VBMI static void
packed_u8_f32_compact (const uint8_t *row, size_t bytes, void *out_row,
    size_t pixels, const r128norm_packed_compact *cp)
{
  float *out = out_row;
  const unsigned C = cp->channels;
  compact_vectors16 cv;
  size_t p;
  unsigned j;

  compact_load16 (cp, &cv);
  for (p = 0; p < pixels; p += 16) {
    const __m512i x = compact_pixels16 (row, bytes, cp->period, p);
    R128NORM_PREFETCH (row + cp->period * p);
    const size_t floats = C * (pixels - p < 16 ? pixels - p : 16);
    float *o = out + C * p;
    for (j = 0; j < C; j++)
      R128NORM_PREFETCH_OUT (o + 16 * j);
    for (j = 0; j < C && 16 * j < floats; j++) {
      __m512 v = _mm512_cvtepi32_ps (compact_pick16 (x, &cv, j));
      v = _mm512_sub_round_ps (v, cv.c[j], _MM_FROUND_CUR_DIRECTION);
      v = _mm512_mul_round_ps (v, cv.a[j], _MM_FROUND_CUR_DIRECTION);
      v = _mm512_add_round_ps (v, cv.b[j], _MM_FROUND_CUR_DIRECTION);
      v = _mm512_min_ps (_mm512_max_ps (v, cv.lo[j]), cv.hi[j]);
      if (floats >= 16 * (j + 1))
        _mm512_storeu_ps (o + 16 * j, v);
      else
        _mm512_mask_storeu_ps (o + 16 * j, (__mmask16) ((1u << (floats - 16
                        * j)) - 1), v);
    }
  }
}

/* F16: fma (x - c, a, b) clamped and rounded once to half, the values
 * whose half is not C's (FIX) blended in from the table as floats (a half
 * converts to float and back exactly); the last vectors of a row stored
 * through a copy. */
AVX512VBMI INLINE void
u8_f16_compact_avx512 (const uint8_t *row, size_t bytes, uint16_t *out,
    size_t pixels, const r128norm_packed_compact *cp, const int FIX)
{
  const unsigned C = cp->channels;
  compact_vectors16 cv;
  __m512i fix0[4], fix1[4];
  __m512 fixed0[4], fixed1[4];
  size_t p;
  unsigned j;

  compact_load16 (cp, &cv);
  for (j = 0; FIX && j < C; j++) {
    fix0[j] = _mm512_loadu_si512 (cp->fix[0] + 16 * j);
    fix1[j] = _mm512_loadu_si512 (cp->fix[1] + 16 * j);
    fixed0[j] = _mm512_loadu_ps (cp->fixed[0] + 16 * j);
    fixed1[j] = _mm512_loadu_ps (cp->fixed[1] + 16 * j);
  }
  for (p = 0; p < pixels; p += 16) {
    const __m512i x = compact_pixels16 (row, bytes, cp->period, p);
    R128NORM_PREFETCH (row + cp->period * p);
    const size_t halves = C * (pixels - p < 16 ? pixels - p : 16);
    uint16_t *o = out + C * p;
    for (j = 0; j < C && 16 * j < halves; j++) {
      const __m512i d = compact_pick16 (x, &cv, j);
      __m512 v = _mm512_fmadd_ps (_mm512_sub_ps (_mm512_cvtepi32_ps (d),
              cv.c[j]), cv.a[j], cv.b[j]);
      __m256i h;
      v = _mm512_min_ps (_mm512_max_ps (v, cv.lo[j]), cv.hi[j]);
      if (FIX) {
        v = _mm512_mask_blend_ps (_mm512_cmpeq_epi32_mask (d, fix0[j]), v,
            fixed0[j]);
        v = _mm512_mask_blend_ps (_mm512_cmpeq_epi32_mask (d, fix1[j]), v,
            fixed1[j]);
      }
      h = _mm512_cvtps_ph (v, _MM_FROUND_TO_NEAREST_INT);
      if (halves >= 16 * (j + 1)) {
        _mm256_storeu_si256 ((__m256i *) (o + 16 * j), h);
      } else {
        uint16_t tmp[16];
        _mm256_storeu_si256 ((__m256i *) tmp, h);
        memcpy (o + 16 * j, tmp, (halves - 16 * j) * sizeof *o);
      }
    }
  }
}

AVX512VBMI static void
packed_u8_f16_compact (const uint8_t *row, size_t bytes, void *out,
    size_t pixels, const r128norm_packed_compact *cp)
{
  if (cp->fixes)
    u8_f16_compact_avx512 (row, bytes, out, pixels, cp, 1);
  else
    u8_f16_compact_avx512 (row, bytes, out, pixels, cp, 0);
}

typedef struct {
  __m256i from_lo[4], from_hi[4];
  __m256 c[4], a[4], b[4], lo[4], hi[4];
} compact_vectors8;

AVX2 INLINE void
compact_load8 (const r128norm_packed_compact *cp, compact_vectors8 *v)
{
  unsigned j;

  for (j = 0; j < cp->channels; j++) {
    v->from_lo[j] = _mm256_loadu_si256 ((const __m256i *) cp->from_lo[j]);
    v->from_hi[j] = _mm256_loadu_si256 ((const __m256i *) cp->from_hi[j]);
    v->c[j] = _mm256_loadu_ps (cp->c + 8 * j);
    v->a[j] = _mm256_loadu_ps (cp->a + 8 * j);
    v->b[j] = _mm256_loadu_ps (cp->b + 8 * j);
    v->lo[j] = _mm256_loadu_ps (cp->lo + 8 * j);
    v->hi[j] = _mm256_loadu_ps (cp->hi + 8 * j);
  }
}

/* the bytes of pixels p .. p + 7, each 16-byte half in both lanes (*xl,
 * *xh); returns 1 where they come from a zero-padded copy in tmp (fewer
 * than 32 bytes of the row left), whose output then goes through a copy
 * too */
AVX2 INLINE int
compact_pixels8 (const uint8_t *row, size_t bytes, unsigned P, size_t p,
    uint8_t tmp[32], __m256i *xl, __m256i *xh)
{
  const size_t left = bytes - P * p;
  const uint8_t *sp = row + P * p;
  __m256i x;

  if (left < 32) {
    memset (tmp, 0, 32);
    memcpy (tmp, sp, left);
    sp = tmp;
  }
  x = _mm256_loadu_si256 ((const __m256i *) sp);
  *xl = _mm256_permute2x128_si256 (x, x, 0x00);
  *xh = _mm256_permute2x128_si256 (x, x, 0x11);
  return left < 32;
}

AVX2 INLINE __m256i
compact_pick8 (__m256i xl, __m256i xh, const compact_vectors8 *v,
    unsigned j)
{
  return _mm256_or_si256 (_mm256_shuffle_epi8 (xl, v->from_lo[j]),
      _mm256_shuffle_epi8 (xh, v->from_hi[j]));
}

AVX2 static void
packed_u8_f32_compact_avx2 (const uint8_t *row, size_t bytes, void *out_row,
    size_t pixels, const r128norm_packed_compact *cp)
{
  float *out = out_row;
  const unsigned C = cp->channels;
  compact_vectors8 cv;
  size_t p;
  unsigned j;

  compact_load8 (cp, &cv);
  for (p = 0; p < pixels; p += 8) {
    uint8_t tmp[32];
    float ftmp[32];
    __m256i xl, xh;
    const int last = compact_pixels8 (row, bytes, cp->period, p, tmp, &xl,
        &xh);
    float *o = out + C * p, *dp = o;
    if (last)
      dp = ftmp;
    if (p % 16 == 0)
      R128NORM_PREFETCH (row + cp->period * p);
    for (j = 0; j < C; j++) {
      if (j % 2 == 0)
        R128NORM_PREFETCH_OUT (o + 8 * j);
      _mm256_storeu_ps (dp + 8 * j, affine8_f32 (compact_pick8 (xl, xh, &cv,
                  j), cv.c[j], cv.a[j], cv.b[j], cv.lo[j], cv.hi[j]));
    }
    if (last)
      memcpy (o, ftmp, C * (pixels - p < 8 ? pixels - p : 8) * sizeof *o);
  }
}

/* The single precision F16 map of u8 values (dwords d) with AVX2 (F16C,
 * FMA): fma (d - c, a, b) clamped to [lo, hi], to be rounded once to
 * half.  The AVX2 kernels and the check of their tables
 * (check_u8_f16_single) all go through it, so they compute the same bits. */
AVX2_F16C_FMA INLINE __m256
u8_half_map8 (__m256i d, __m256 c, __m256 a, __m256 b, __m256 lo, __m256 hi)
{
  const __m256 v = _mm256_fmadd_ps (_mm256_sub_ps (_mm256_cvtepi32_ps (d),
          c), a, b);
  return _mm256_min_ps (_mm256_max_ps (v, lo), hi);
}

/* v with the lanes whose u8 value d is fix0 (fix1) replaced by fixed0
 * (fixed1): the table's half of that value as a float, which converts
 * back exactly */
AVX2_F16C_FMA INLINE __m256
u8_half_fix8 (__m256 v, __m256i d, __m256i fix0, __m256 fixed0,
    __m256i fix1, __m256 fixed1)
{
  v = _mm256_blendv_ps (v, fixed0, _mm256_castsi256_ps (_mm256_cmpeq_epi32
          (d, fix0)));
  return _mm256_blendv_ps (v, fixed1, _mm256_castsi256_ps
      (_mm256_cmpeq_epi32 (d, fix1)));
}

/* The F16 map of u8_f16_compact_avx512 with AVX2 (F16C, FMA). */
AVX2_F16C_FMA INLINE void
u8_f16_compact_avx2 (const uint8_t *row, size_t bytes, uint16_t *out,
    size_t pixels, const r128norm_packed_compact *cp, const int FIX)
{
  const unsigned C = cp->channels;
  compact_vectors8 cv;
  __m256i fix0[4], fix1[4];
  __m256 fixed0[4], fixed1[4];
  size_t p;
  unsigned j;

  compact_load8 (cp, &cv);
  for (j = 0; FIX && j < C; j++) {
    fix0[j] = _mm256_loadu_si256 ((const __m256i *) (cp->fix[0] + 8 * j));
    fix1[j] = _mm256_loadu_si256 ((const __m256i *) (cp->fix[1] + 8 * j));
    fixed0[j] = _mm256_loadu_ps (cp->fixed[0] + 8 * j);
    fixed1[j] = _mm256_loadu_ps (cp->fixed[1] + 8 * j);
  }
  for (p = 0; p < pixels; p += 8) {
    uint8_t tmp[32];
    uint16_t htmp[32];
    __m256i xl, xh;
    const int last = compact_pixels8 (row, bytes, cp->period, p, tmp, &xl,
        &xh);
    uint16_t *o = out + C * p, *dp = o;
    if (last)
      dp = htmp;
    for (j = 0; j < C; j++) {
      const __m256i d = compact_pick8 (xl, xh, &cv, j);
      __m256 v = u8_half_map8 (d, cv.c[j], cv.a[j], cv.b[j], cv.lo[j],
          cv.hi[j]);
      if (FIX)
        v = u8_half_fix8 (v, d, fix0[j], fixed0[j], fix1[j], fixed1[j]);
      _mm_storeu_si128 ((__m128i *) (dp + 8 * j), _mm256_cvtps_ph (v,
              _MM_FROUND_TO_NEAREST_INT));
    }
    if (last)
      memcpy (o, htmp, C * (pixels - p < 8 ? pixels - p : 8) * sizeof *o);
  }
}

AVX2_F16C_FMA static void
packed_u8_f16_compact_avx2 (const uint8_t *row, size_t bytes, void *out,
    size_t pixels, const r128norm_packed_compact *cp)
{
  if (cp->fixes)
    u8_f16_compact_avx2 (row, bytes, out, pixels, cp, 1);
  else
    u8_f16_compact_avx2 (row, bytes, out, pixels, cp, 0);
}

/* Strided u8 in (step 2, 3 or 4: one channel of packed RGB/RGBA pixels)
 * to contiguous F32: 8 samples gathered as in stats_u8. */
AVX2 static uint64_t
apply_u8_f32 (const void *in, ptrdiff_t in_step, void *out,
    ptrdiff_t out_step, size_t n, const r128norm_affine *p)
{
  const uint8_t *s = in;
  float *d = out;
  const __m256 c = _mm256_set1_ps (p->cf), a = _mm256_set1_ps (p->af);
  const __m256 b = _mm256_set1_ps (p->bf), lo = _mm256_set1_ps (p->lof);
  const __m256 hi = _mm256_set1_ps (p->hif);
  __m128i shuf_lo, shuf_hi;
  size_t i = 0;

  if (in_step < 2 || in_step > 4 || out_step != 4)
    return c_set (R128NORM_FORMAT_U8, R128NORM_FORMAT_F32).apply (in,
        in_step, out, out_step, n, p);
  gather_masks (in_step, &shuf_lo, &shuf_hi);
  for (; i + 8 < n; i += 8) {
    __m128i x8 = gather8_u8 (s + (ptrdiff_t) i * in_step, in_step, shuf_lo,
        shuf_hi);
    R128NORM_PREFETCH (s + (ptrdiff_t) i * in_step);
    if (i % 16 == 0)
      R128NORM_PREFETCH_OUT (d + i);
    _mm256_storeu_ps (d + i, affine8_f32 (_mm256_cvtepu8_epi32 (x8), c, a,
            b, lo, hi));
  }
  if (i < n)
    c_set (R128NORM_FORMAT_U8, R128NORM_FORMAT_F32).apply (s
        + (ptrdiff_t) i * in_step, in_step, d + i, out_step, n - i, p);
  return 0;
}

/* ---- u16 --------------------------------------------------------------- */

/* Adds m samples x = y + 32768 to @acc from the sums of y and of y^2:
 * sum x = sum y + 32768 m; sum x^2 = sum y^2 + 65536 sum y + 2^30 m. */
static inline void
u16_add_sums (r128norm_acc *acc, uint64_t m, int64_t sum_y, uint64_t sum_q)
{
  acc->n += m;
  acc->sum += sum_y + 32768 * (int64_t) m;
  acc->sumsq += (unsigned __int128) ((__int128) sum_q
      + 65536 * (__int128) sum_y + ((__int128) m << 30));
}

/* Sums of y = x - 32768 as int16 lanes: pairs of y^2 fit 32 unsigned bits
 * (at most 2^31), pairs of y an int32. */
AVX2 static void
stats_contig_u16 (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  const uint8_t *s = in;
  const __m256i flip = _mm256_set1_epi16 ((short) 0x8000);
  const __m256i ones = _mm256_set1_epi16 (1);
  const __m256i zero = _mm256_setzero_si256 ();
  __m256i sy = zero, sq = zero;
  int64_t sum_y = 0;
  uint64_t sum_q = 0, m = 0;
  size_t i = 0, blocks = 0;
  int32_t vs[8];
  uint64_t vq[4];
  int j;

  if (clip->active) {
    c_set (R128NORM_FORMAT_U16, R128NORM_FORMAT_U16).stats_contig (in, n,
        clip, acc);
    return;
  }
  for (; i + 16 <= n; i += 16) {
    __m256i y = _mm256_xor_si256 (_mm256_loadu_si256 ((const __m256i *)
            (s + 2 * i)), flip);
    __m256i q = _mm256_madd_epi16 (y, y);
    sy = _mm256_add_epi32 (sy, _mm256_madd_epi16 (y, ones));
    sq = _mm256_add_epi64 (sq, _mm256_add_epi64 (_mm256_unpacklo_epi32 (q,
                zero), _mm256_unpackhi_epi32 (q, zero)));
    if (++blocks == U16_FLUSH || i + 32 > n) {
      _mm256_storeu_si256 ((__m256i *) vs, sy);
      for (j = 0; j < 8; j++)
        sum_y += vs[j];
      sy = zero;
      blocks = 0;
    }
  }
  _mm256_storeu_si256 ((__m256i *) vq, sq);
  for (j = 0; j < 4; j++)
    sum_q += vq[j];
  m = i;
  u16_add_sums (acc, m, sum_y, sum_q);
  if (i < n)
    c_set (R128NORM_FORMAT_U16, R128NORM_FORMAT_U16).stats_contig (s + 2 * i,
        n - i, clip, acc);
}

AVX2 static uint64_t
apply_contig_u16_u16 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  const uint8_t *s = in;
  uint8_t *d = out;
  const __m256 c = _mm256_set1_ps (p->cf), a = _mm256_set1_ps (p->af);
  const __m256 b = _mm256_set1_ps (p->bf);
  const __m256 top = _mm256_set1_ps (65535.5f), half = _mm256_set1_ps (0.5f);
  size_t i = 0;

  for (; i + 16 <= n; i += 16) {
    __m256i r[2];
    int t;
    for (t = 0; t < 2; t++) {
      __m256i x = _mm256_cvtepu16_epi32 (_mm_loadu_si128 ((const __m128i *)
              (s + 2 * i + 16 * t)));
      __m256 v = _mm256_sub_ps (_mm256_cvtepi32_ps (x), c);
      v = _mm256_add_ps (_mm256_mul_ps (v, a), b);
      v = _mm256_min_ps (_mm256_add_ps (v, half), top);
      r[t] = _mm256_cvttps_epi32 (v);
    }
    _mm256_storeu_si256 ((__m256i *) (d + 2 * i),
        _mm256_permute4x64_epi64 (_mm256_packus_epi32 (r[0], r[1]),
            _MM_SHUFFLE (3, 1, 2, 0)));
  }
  if (i < n)
    c_set (R128NORM_FORMAT_U16, R128NORM_FORMAT_U16).apply_contig (s + 2 * i,
        d + 2 * i, n - i, p);
  return 0;
}

/* The same with AVX-512BW, 32 samples an iteration.  The apply widens
 * with unpacks (in-lane, undone by the in-lane packus, so no permute) and
 * rounds each step as C does: the _round_ intrinsics are not contracted
 * into FMAs. */
#define AVX512BW __attribute__ ((target ("avx512f,avx512bw,avx2")))

/* The sum of 16 signed dwords, in 64 bits. */
AVX512BW INLINE int64_t
sum16_i32 (__m512i v)
{
  return _mm512_reduce_add_epi64 (_mm512_add_epi64 (_mm512_cvtepi32_epi64
          (_mm512_castsi512_si256 (v)), _mm512_cvtepi32_epi64
          (_mm512_extracti64x4_epi64 (v, 1))));
}

AVX512BW static void
stats_contig_u16_avx512 (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  const uint8_t *s = in;
  const __m512i flip = _mm512_set1_epi16 ((short) 0x8000);
  const __m512i ones = _mm512_set1_epi16 (1);
  const __m512i zero = _mm512_setzero_si512 ();
  __m512i sy = zero, sq = zero;
  int64_t sum_y = 0;
  size_t i = 0, blocks = 0, m;
  uint64_t sum_q;

  if (clip->active) {
    stats_contig_u16 (in, n, clip, acc);
    return;
  }
  for (; i + 32 <= n; i += 32) {
    __m512i y = _mm512_xor_si512 (_mm512_loadu_si512 (s + 2 * i), flip);
    __m512i q = _mm512_madd_epi16 (y, y);
    sy = _mm512_add_epi32 (sy, _mm512_madd_epi16 (y, ones));
    sq = _mm512_add_epi64 (sq, _mm512_add_epi64 (_mm512_unpacklo_epi32 (q,
                zero), _mm512_unpackhi_epi32 (q, zero)));
    if (++blocks == U16_FLUSH) {
      sum_y += sum16_i32 (sy);
      sy = zero;
      blocks = 0;
    }
  }
  sum_y += sum16_i32 (sy);
  sum_q = (uint64_t) _mm512_reduce_add_epi64 (sq);
  m = i;
  u16_add_sums (acc, m, sum_y, sum_q);
  if (i < n)
    stats_contig_u16 (s + 2 * i, n - i, clip, acc);
}

AVX512BW INLINE __m512i
affine16_u16 (__m512i x, __m512 c, __m512 a, __m512 b)
{
  const __m512 top = _mm512_set1_ps (65535.5f), half = _mm512_set1_ps (0.5f);
  __m512 v = _mm512_sub_round_ps (_mm512_cvtepi32_ps (x), c,
      _MM_FROUND_CUR_DIRECTION);
  v = _mm512_add_round_ps (_mm512_mul_round_ps (v, a,
          _MM_FROUND_CUR_DIRECTION), b, _MM_FROUND_CUR_DIRECTION);
  v = _mm512_min_ps (_mm512_add_round_ps (v, half, _MM_FROUND_CUR_DIRECTION),
      top);
  return _mm512_cvttps_epi32 (v);
}

AVX512BW static uint64_t
apply_contig_u16_u16_avx512 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  const uint8_t *s = in;
  uint8_t *d = out;
  const __m512 c = _mm512_set1_ps (p->cf), a = _mm512_set1_ps (p->af);
  const __m512 b = _mm512_set1_ps (p->bf);
  const __m512i zero = _mm512_setzero_si512 ();
  size_t i = 0;

  for (; i + 32 <= n; i += 32) {
    __m512i x = _mm512_loadu_si512 (s + 2 * i);
    __m512i lo = affine16_u16 (_mm512_unpacklo_epi16 (x, zero), c, a, b);
    __m512i hi = affine16_u16 (_mm512_unpackhi_epi16 (x, zero), c, a, b);
    _mm512_storeu_si512 (d + 2 * i, _mm512_packus_epi32 (lo, hi));
  }
  return apply_contig_u16_u16 (s + 2 * i, d + 2 * i, n - i, p);
}

/* ---- f32 --------------------------------------------------------------- */

/* Non-zero when any of 8 floats is NaN or infinite. */
AVX2 INLINE int
any_non_finite (__m256 x)
{
  const __m256i e = _mm256_set1_epi32 (0x7f800000);
  return _mm256_movemask_epi8 (_mm256_cmpeq_epi32 (_mm256_and_si256
          (_mm256_castps_si256 (x), e), e));
}

/* Sums of x - shift in double over vectors of 16 floats from sample i on,
 * 16 partial sums of each (two vectors in flight: the additions' latency,
 * not their number, bounds a loop with fewer), while no NaN or infinity
 * turns up; returns where it stopped, the partial sums added to acc.  No
 * call inside the loop (a call clobbers every vector register).  SHIFT 0:
 * a shift of 0 (short buffers, shift_or_zero() in r128norm.c), x itself,
 * which x - 0 is, bit for bit. */
AVX2 INLINE size_t
stats_f32_run (const float *s, size_t i, size_t n, double shift_value,
    const int SHIFT, r128norm_acc *acc)
{
  const __m256d shift = _mm256_set1_pd (shift_value);
  const __m256i e = _mm256_set1_epi32 (0x7f800000);
  __m256d sa[4], qa[4];
  double vs[4], vq[4];
  size_t start = i;
  int j;

#pragma GCC unroll 4
  for (j = 0; j < 4; j++)
    sa[j] = qa[j] = _mm256_setzero_pd ();
  for (; i + 16 <= n; i += 16) {
    __m256 x0 = _mm256_loadu_ps (s + i), x1 = _mm256_loadu_ps (s + i + 8);
    __m256d d[4];
    R128NORM_PREFETCH (s + i);
    if (__builtin_expect (_mm256_movemask_epi8 (_mm256_or_si256
                (_mm256_cmpeq_epi32 (_mm256_and_si256 (_mm256_castps_si256
                            (x0), e), e), _mm256_cmpeq_epi32
                    (_mm256_and_si256 (_mm256_castps_si256 (x1), e), e)))
            != 0, 0))
      break;
    d[0] = _mm256_cvtps_pd (_mm256_castps256_ps128 (x0));
    d[1] = _mm256_cvtps_pd (_mm256_extractf128_ps (x0, 1));
    d[2] = _mm256_cvtps_pd (_mm256_castps256_ps128 (x1));
    d[3] = _mm256_cvtps_pd (_mm256_extractf128_ps (x1, 1));
    /* unrolled: the partial sums stay in registers */
#pragma GCC unroll 4
    for (j = 0; j < 4; j++) {
      if (SHIFT)
        d[j] = _mm256_sub_pd (d[j], shift);
      sa[j] = _mm256_add_pd (sa[j], d[j]);
      /* one FMA in the FMA variant */
      qa[j] = _mm256_add_pd (qa[j], _mm256_mul_pd (d[j], d[j]));
    }
  }
  _mm256_storeu_pd (vs, _mm256_add_pd (_mm256_add_pd (sa[0], sa[1]),
          _mm256_add_pd (sa[2], sa[3])));
  _mm256_storeu_pd (vq, _mm256_add_pd (_mm256_add_pd (qa[0], qa[1]),
          _mm256_add_pd (qa[2], qa[3])));
  acc->n += i - start;
  for (j = 0; j < 4; j++) {
    acc->fsum += vs[j];
    acc->fsq += vq[j];
  }
  return i;
}

/* Vectors of 16 through stats_f32_run(); a vector with a non-finite
 * sample, and the tail, through the C kernel. */
AVX2 INLINE void
stats_contig_f32_body (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  const float *s = in;
  const r128norm_stats_contig_fn c_stats = c_set (R128NORM_FORMAT_F32,
      R128NORM_FORMAT_F32).stats_contig;
  size_t i = 0;

  if (clip->active) {
    c_stats (in, n, clip, acc);
    return;
  }
  for (;;) {
    i = clip->shift != 0.0 ? stats_f32_run (s, i, n, clip->shift, 1, acc)
        : stats_f32_run (s, i, n, 0.0, 0, acc);
    if (i + 16 > n)
      break;
    c_stats (s + i, 16, clip, acc);
    i += 16;
  }
  if (i < n)
    c_stats (s + i, n - i, clip, acc);
}

AVX2 static void
stats_contig_f32 (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  stats_contig_f32_body (in, n, clip, acc);
}

__attribute__ ((target ("avx2,fma"))) static void
stats_contig_f32_fma (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  stats_contig_f32_body (in, n, clip, acc);
}

/* The same with AVX-512 (where the CPU has AVX512F and AVX512DQ): 32
 * floats an iteration, 32 partial sums of each; vfpclassps finds NaN and
 * infinities in one instruction.  Same arithmetic as above, more partial
 * sums (so a different order of additions, nothing else). */
#define AVX512 __attribute__ ((target ("avx512f,avx512dq,avx2,fma")))

AVX512 INLINE size_t
stats_f32_run_avx512 (const float *s, size_t i, size_t n, double shift_value,
    const int SHIFT, r128norm_acc *acc)
{
  const __m512d shift = _mm512_set1_pd (shift_value);
  __m512d sa[4], qa[4];
  double vs[8], vq[8];
  size_t start = i;
  int j;

#pragma GCC unroll 4
  for (j = 0; j < 4; j++)
    sa[j] = qa[j] = _mm512_setzero_pd ();
  for (; i + 32 <= n; i += 32) {
    R128NORM_PREFETCH (s + i);
    R128NORM_PREFETCH (s + i + 16);
    /* NaN (quiet 0x01, signalling 0x80) or +-Inf (0x08, 0x10) */
    if (__builtin_expect ((_mm512_fpclass_ps_mask (_mm512_loadu_ps (s + i),
                    0x99) | _mm512_fpclass_ps_mask (_mm512_loadu_ps (s + i
                        + 16), 0x99)) != 0, 0))
      break;
#pragma GCC unroll 4
    for (j = 0; j < 4; j++) {
      __m512d d = _mm512_cvtps_pd (_mm256_loadu_ps (s + i + 8 * j));
      if (SHIFT)
        d = _mm512_sub_pd (d, shift);
      sa[j] = _mm512_add_pd (sa[j], d);
      qa[j] = _mm512_fmadd_pd (d, d, qa[j]);
    }
  }
  _mm512_storeu_pd (vs, _mm512_add_pd (_mm512_add_pd (sa[0], sa[1]),
          _mm512_add_pd (sa[2], sa[3])));
  _mm512_storeu_pd (vq, _mm512_add_pd (_mm512_add_pd (qa[0], qa[1]),
          _mm512_add_pd (qa[2], qa[3])));
  acc->n += i - start;
  for (j = 0; j < 8; j++) {
    acc->fsum += vs[j];
    acc->fsq += vq[j];
  }
  return i;
}

AVX512 static void
stats_contig_f32_avx512 (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  const float *s = in;
  const r128norm_stats_contig_fn c_stats = c_set (R128NORM_FORMAT_F32,
      R128NORM_FORMAT_F32).stats_contig;
  size_t i = 0;

  if (clip->active) {
    c_stats (in, n, clip, acc);
    return;
  }
  for (;;) {
    i = clip->shift != 0.0
        ? stats_f32_run_avx512 (s, i, n, clip->shift, 1, acc)
        : stats_f32_run_avx512 (s, i, n, 0.0, 0, acc);
    if (i + 32 > n)
      break;
    c_stats (s + i, 32, clip, acc);
    i += 32;
  }
  if (i < n)
    stats_contig_f32_fma (s + i, n - i, clip, acc);
}

/* The C kernel's double precision steps: t = x - c; t * a + b; clamped to
 * [lo, hi]; rounded once to float.  Groups of 8 with a non-finite sample
 * go to the C kernel. */
AVX2 static uint64_t
apply_contig_f32_f32 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  const float *s = in;
  float *d = out;
  const r128norm_apply_contig_fn c_apply = c_set (R128NORM_FORMAT_F32,
      R128NORM_FORMAT_F32).apply_contig;
  const __m256d c = _mm256_set1_pd (p->c), a = _mm256_set1_pd (p->a);
  const __m256d b = _mm256_set1_pd (p->b), lo = _mm256_set1_pd (p->lo);
  const __m256d hi = _mm256_set1_pd (p->hi);
  uint64_t non_finite = 0;
  size_t i = 0;

  for (; i + 8 <= n; i += 8) {
    __m256 x = _mm256_loadu_ps (s + i);
    __m256d v0, v1;
    if (i % 16 == 0)
      R128NORM_PREFETCH (s + i);
    if (any_non_finite (x)) {
      non_finite += c_apply (s + i, d + i, 8, p);
      continue;
    }
    v0 = _mm256_sub_pd (_mm256_cvtps_pd (_mm256_castps256_ps128 (x)), c);
    v1 = _mm256_sub_pd (_mm256_cvtps_pd (_mm256_extractf128_ps (x, 1)), c);
    v0 = _mm256_add_pd (_mm256_mul_pd (v0, a), b);
    v1 = _mm256_add_pd (_mm256_mul_pd (v1, a), b);
    v0 = _mm256_min_pd (_mm256_max_pd (v0, lo), hi);
    v1 = _mm256_min_pd (_mm256_max_pd (v1, lo), hi);
    _mm256_storeu_ps (d + i, _mm256_set_m128 (_mm256_cvtpd_ps (v1),
            _mm256_cvtpd_ps (v0)));
  }
  if (i < n)
    non_finite += c_apply (s + i, d + i, n - i, p);
  return non_finite;
}

/* The same map in single precision where that is accurate to 1e-5 of
 * the output (SPEC 3): d = x - cf (cf the float nearest c, and exact when
 * x is within a factor 2 of it), then y = fma (d, af, bf') with
 * bf' = b - a (c - cf) from double.  Each step errs by at most 2^-24 of
 * its value (a step that overflows float sends its samples to C's steps,
 * see r128norm_single_precision), so |y - exact| <= 2^-22 (|y| + |bf'|)
 * roughly: within
 * 1e-5 max (1, |y|) while |bf'| <= 16.  Larger offsets, gains beyond
 * float's range and a mean outside it use the double precision kernel. */
#define FMA __attribute__ ((target ("avx2,fma")))

FMA static uint64_t
apply_contig_f32_f32_fma (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  const float *s = in;
  float *d = out;
  const r128norm_apply_contig_fn c_apply = c_set (R128NORM_FORMAT_F32,
      R128NORM_FORMAT_F32).apply_contig;
  float cf;
  double bb;
  __m256 c, a, b;
  uint64_t non_finite = 0;
  size_t i = 0;

  if (!r128norm_single_precision (p, &cf, &bb))
    return apply_contig_f32_f32 (in, out, n, p);
  c = _mm256_set1_ps (cf);
  a = _mm256_set1_ps ((float) p->a);
  b = _mm256_set1_ps ((float) bb);
  for (; i + 8 <= n; i += 8) {
    /* the test on the map's values, not on x: a NaN or infinity in (the
     * gain is not 0 in float), and a finite x whose x - cf or map
     * overflows float, come out NaN or infinite, and go to C's double
     * steps (x = 3e38 and c = -9e37 overflow in x - cf, where C's steps
     * give a finite value; a finite output needs no clamp) */
    __m256 v = _mm256_fmadd_ps (_mm256_sub_ps (_mm256_loadu_ps (s + i), c),
        a, b);
    if (i % 16 == 0)
      R128NORM_PREFETCH (s + i);
    if (any_non_finite (v)) {
      non_finite += c_apply (s + i, d + i, 8, p);
      continue;
    }
    _mm256_storeu_ps (d + i, v);
  }
  if (i < n)
    non_finite += c_apply (s + i, d + i, n - i, p);
  return non_finite;
}


/* The same scheme with AVX-512: vectors of 16, vfpclassps for NaN/Inf in
 * the map's values (as above).  A vector with one goes to the C kernel,
 * outside the vector loop (which then holds no call). */
AVX512 static size_t
apply_f32_run_avx512 (const float *s, float *d, size_t i, size_t n,
    __m512 c, __m512 a, __m512 b)
{
  for (; i + 16 <= n; i += 16) {
    __m512 v = _mm512_fmadd_ps (_mm512_sub_ps (_mm512_loadu_ps (s + i), c),
        a, b);
    R128NORM_PREFETCH (s + i);
    if (__builtin_expect (_mm512_fpclass_ps_mask (v, 0x99) != 0, 0))
      break;
    _mm512_storeu_ps (d + i, v);
  }
  return i;
}

AVX512 static uint64_t
apply_contig_f32_f32_avx512 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  const float *s = in;
  float *d = out;
  r128norm_apply_contig_fn c_apply;
  float cf;
  double bb;
  __m512 c, a, b;
  uint64_t non_finite = 0;
  size_t i = 0;

  if (!r128norm_single_precision (p, &cf, &bb))
    return apply_contig_f32_f32 (in, out, n, p);
  c = _mm512_set1_ps (cf);
  a = _mm512_set1_ps ((float) p->a);
  b = _mm512_set1_ps ((float) bb);
  for (;;) {
    i = apply_f32_run_avx512 (s, d, i, n, c, a, b);
    if (i + 16 > n)
      break;
    c_apply = c_set (R128NORM_FORMAT_F32, R128NORM_FORMAT_F32).apply_contig;
    non_finite += c_apply (s + i, d + i, 16, p);
    i += 16;
  }
  if (i < n)
    non_finite += apply_contig_f32_f32_fma (s + i, d + i, n - i, p);
  return non_finite;
}

/* ---- f32 packed rows: interleaved channels with per-position params --- */

/* Samples [0, n) of a packed F32 row piece (F64: SIZE 8) starting at
 * position pos, one at a time with the C kernels' steps (double
 * precision): the tail of a row, and units with a NaN or Inf among them
 * (or, F64, a step that overflows).  Called from functions without FMA
 * only (below), so that its multiply and add are never contracted. */
INLINE void
packed_float_scalar (const uint8_t *src, uint8_t *dst, size_t n,
    unsigned pos, const r128norm_packed_fparams *fp, int sum, int apply,
    double *sums, double *sq, uint64_t *non_finite, const size_t SIZE)
{
  const unsigned m = 8 * fp->nph;
  const r128norm_packed_lane *ln;
  unsigned lane = pos % fp->period;
  size_t i;

  for (i = 0; i < n; i++) {
    double x;
    int ok;

    if (SIZE == 8) {
      memcpy (&x, src + 8 * i, sizeof x);
    } else {
      float xf;
      memcpy (&xf, src + 4 * i, sizeof xf);
      x = xf;
    }
    ok = (x - x == 0.0);
    ln = &fp->lane[lane];
    if (fp->touched[pos]) {
      non_finite[pos] += !ok;
      if (sum) {
        double d = ok ? x - ln->shift : 0.0;
        d = d < ln->slo ? ln->slo : d;
        d = d > ln->shi ? ln->shi : d;
        sums[pos] += d;
        sq[pos] += d * d;
      }
      if (apply) {
        double t = x - ln->c, v;
        t = t < -DBL_MAX ? -DBL_MAX : t;
        t = t > DBL_MAX ? DBL_MAX : t;
        v = t * ln->a + ln->b;
        v = v < ln->lo ? ln->lo : v;
        v = v > ln->hi ? ln->hi : v;
        v = ok ? v : ln->nf;
        if (SIZE == 8) {
          memcpy (dst + 8 * i, &v, sizeof v);
        } else {
          float y = (float) v;
          memcpy (dst + 4 * i, &y, sizeof y);
        }
      }
    } else if (apply && dst != src) {
      memcpy (dst + SIZE * i, src + SIZE * i, SIZE);
    }
    pos = pos + 1 == m ? 0 : pos + 1;
    lane = lane + 1 == fp->period ? 0 : lane + 1;
  }
}

__attribute__ ((noinline)) static void
packed_f32_scalar (const float *src, float *dst, size_t n, unsigned pos,
    const r128norm_packed_fparams *fp, int sum, int apply, double *sums,
    double *sq, uint64_t *non_finite)
{
  packed_float_scalar ((const uint8_t *) src, (uint8_t *) dst, n, pos, fp,
      sum, apply, sums, sq, non_finite, 4);
}

/* Units of U vectors of 8 floats (U = NPH, or 2 for one phase: two sets
 * of accumulators) from sample i on, while they hold no NaN or infinity;
 * returns where it stopped.  Vector k of a unit has the parameters of
 * positions [8 (k % NPH), 8 (k % NPH) + 8).  Statistics as
 * stats_contig_f32 with a shift and clamp bounds per position; the apply
 * is C's double precision steps (SINGLE 0, bit for bit) or
 * apply_contig_f32_f32_fma's single precision scheme (SINGLE 1: the
 * caller is compiled for FMA and the multiply-adds below contract into
 * one).  KEEP 0: every sample is a channel's and no statistics clamp
 * (nothing to blend back, no clamp to test). */
AVX2 INLINE size_t
packed_f32_body (const float *src, float *dst, size_t i, size_t n,
    const r128norm_packed_fparams *fp, const int NPH, const int SUM,
    const int APPLY, const int SINGLE, const int KEEP, const int SHIFT,
    double *sums, double *sq)
{
  const unsigned U = NPH == 1 ? 2 : NPH;
  const int clip = KEEP && fp->clip;
  __m256d s[8][2], q[8][2];
  __m256 cf[8], af[8], bf[8], keep[8];
  /* 1 that the compiler cannot fold away: x * one + (-shift) contracts
   * into one FMA in the SINGLE (FMA) variants, the same single rounding
   * as x - shift, on the FMA units, which the conversions and the sums
   * leave idle */
  __m256d one = _mm256_set1_pd (1.0);
  unsigned k;

  if (SINGLE)
    __asm__ ("" : "+x" (one));
  if (NPH == 1) {
    /* a period that divides 8: the vectors built from the lanes (each
     * broadcast into its positions), not loaded from per-position arrays
     * that the setup has just written one float at a time (a vector load
     * of those waits for the stores; a scalar one is forwarded) */
    const __m256i bit = _mm256_setr_epi32 (1, 2, 4, 8, 16, 32, 64, 128);
    __m256 c = _mm256_setzero_ps (), a = c, b = c;
    unsigned l;
    for (l = 0; l < fp->period; l++) {
      const r128norm_packed_lane *ln = &fp->lane[l];
      const int at = fp->lane_positions[l];
      if (APPLY && SINGLE) {
        const __m256 m = _mm256_castsi256_ps (_mm256_cmpeq_epi32
            (_mm256_and_si256 (_mm256_set1_epi32 (at), bit), bit));
        c = _mm256_blendv_ps (c, _mm256_set1_ps (ln->cf), m);
        a = _mm256_blendv_ps (a, _mm256_set1_ps (ln->af), m);
        b = _mm256_blendv_ps (b, _mm256_set1_ps (ln->bf), m);
      }
    }
    for (k = 0; k < U; k++) {
      cf[k] = c;
      af[k] = a;
      bf[k] = b;
    }
  } else {
    /* the parameters loaded here, since stores to dst could alias fp and
     * would make the compiler reload them in every unit */
#pragma GCC unroll 8
    for (k = 0; k < U; k++) {
      const unsigned o = 8 * (k % NPH);
      cf[k] = _mm256_loadu_ps (fp->cf + o);
      af[k] = _mm256_loadu_ps (fp->af + o);
      bf[k] = _mm256_loadu_ps (fp->bf + o);
    }
  }
  /* every loop over k unrolled: the accumulators and parameters stay in
   * registers (as far as they go) */
#pragma GCC unroll 8
  for (k = 0; k < U; k++) {
    s[k][0] = s[k][1] = q[k][0] = q[k][1] = _mm256_setzero_pd ();
    keep[k] = _mm256_castsi256_ps (_mm256_loadu_si256 ((const __m256i *)
            (fp->keep + 8 * (k % NPH))));
  }
  for (; i + 8 * U <= n; i += 8 * U) {
    /* the unit's samples loaded once: in place, dst is src, and a store
     * would make the compiler load them again */
    __m256 xs[8], vs[8];
#pragma GCC unroll 8
    for (k = 0; k < U; k++) {
      xs[k] = _mm256_loadu_ps (src + i + 8 * k);
      if (k % 2 == 0)
        R128NORM_PREFETCH (src + i + 8 * k);
    }
    /* one test for the unit, NaN or +-Inf anywhere.  SINGLE apply: the
     * map first, and the test on its values: a NaN or infinity in (the
     * gain is not 0 in float), and a finite x whose map overflows float,
     * both come out NaN or infinite, and the unit goes to C's double
     * steps, which clamp the latter to +-FLT_MAX (no clamp here, as in
     * the AVX-512 kernel).  SINGLE: the unit's vectors added, p - p is
     * NaN when the sum is NaN or infinite, so when any value is (a sum of
     * finite values beyond float's range sends its unit to C's steps
     * too: right, only slower); one add a vector and no constant, which
     * leaves a register for the accumulators (with v * 0 summed by FMAs,
     * as before, gcc kept five of them on the stack).  Else the exponent
     * all ones. */
    if (SINGLE) {
      __m256 probe;
#pragma GCC unroll 8
      for (k = 0; k < U; k++) {
        __m256 t = xs[k];
        if (APPLY) {
          vs[k] = _mm256_add_ps (_mm256_mul_ps (_mm256_sub_ps (xs[k], cf[k]),
                  af[k]), bf[k]);
          t = vs[k];
        }
        probe = k == 0 ? t : _mm256_add_ps (probe, t);
      }
      probe = _mm256_sub_ps (probe, probe);
      if (__builtin_expect (_mm256_movemask_ps (_mm256_cmp_ps (probe, probe,
                      _CMP_UNORD_Q)) != 0, 0))
        break;
    } else {
      const __m256i e = _mm256_set1_epi32 (0x7f800000);
      __m256i bad = _mm256_setzero_si256 ();
#pragma GCC unroll 8
      for (k = 0; k < U; k++) {
        __m256i xi = _mm256_castps_si256 (xs[k]);
        bad = _mm256_or_si256 (bad, _mm256_cmpeq_epi32 (_mm256_and_si256 (xi,
                    e), e));
      }
      if (__builtin_expect (_mm256_movemask_epi8 (bad) != 0, 0))
        break;
    }
#pragma GCC unroll 8
    for (k = 0; k < U; k++) {
      const unsigned o = 8 * (k % NPH);
      const float *sp = src + i + 8 * k;
      float *dp = dst + i + 8 * k;
      const __m256 x = xs[k];
      if (SUM) {
        __m256d d0 = _mm256_cvtps_pd (_mm_loadu_ps (sp));
        __m256d d1 = _mm256_cvtps_pd (_mm_loadu_ps (sp + 4));
        /* SHIFT 0: every shift 0 (fp->shifted), x itself */
        if (SHIFT && SINGLE) {
          d0 = _mm256_add_pd (_mm256_mul_pd (d0, one), _mm256_loadu_pd
              (fp->neg_shift + o));
          d1 = _mm256_add_pd (_mm256_mul_pd (d1, one), _mm256_loadu_pd
              (fp->neg_shift + o + 4));
        } else if (SHIFT) {
          d0 = _mm256_add_pd (d0, _mm256_loadu_pd (fp->neg_shift + o));
          d1 = _mm256_add_pd (d1, _mm256_loadu_pd (fp->neg_shift + o + 4));
        }
        if (clip) {
          d0 = _mm256_min_pd (_mm256_max_pd (d0, _mm256_loadu_pd (fp->slo
                      + o)), _mm256_loadu_pd (fp->shi + o));
          d1 = _mm256_min_pd (_mm256_max_pd (d1, _mm256_loadu_pd (fp->slo + o
                      + 4)), _mm256_loadu_pd (fp->shi + o + 4));
        }
        s[k][0] = _mm256_add_pd (s[k][0], d0);
        s[k][1] = _mm256_add_pd (s[k][1], d1);
        /* one FMA in the FMA variants */
        q[k][0] = _mm256_add_pd (q[k][0], _mm256_mul_pd (d0, d0));
        q[k][1] = _mm256_add_pd (q[k][1], _mm256_mul_pd (d1, d1));
      }
      if (APPLY && SINGLE) {
        _mm256_storeu_ps (dp, KEEP ? _mm256_blendv_ps (vs[k], x, keep[k])
            : vs[k]);
      } else if (APPLY) {
        __m256d v0 = _mm256_sub_pd (_mm256_cvtps_pd (_mm256_castps256_ps128
                (x)), _mm256_loadu_pd (fp->c + o));
        __m256d v1 = _mm256_sub_pd (_mm256_cvtps_pd (_mm256_extractf128_ps
                (x, 1)), _mm256_loadu_pd (fp->c + o + 4));
        v0 = _mm256_add_pd (_mm256_mul_pd (v0, _mm256_loadu_pd (fp->a + o)),
            _mm256_loadu_pd (fp->b + o));
        v1 = _mm256_add_pd (_mm256_mul_pd (v1, _mm256_loadu_pd (fp->a + o
                    + 4)), _mm256_loadu_pd (fp->b + o + 4));
        v0 = _mm256_min_pd (_mm256_max_pd (v0, _mm256_loadu_pd (fp->lo + o)),
            _mm256_loadu_pd (fp->hi + o));
        v1 = _mm256_min_pd (_mm256_max_pd (v1, _mm256_loadu_pd (fp->lo + o
                    + 4)), _mm256_loadu_pd (fp->hi + o + 4));
        _mm256_storeu_ps (dp, _mm256_blendv_ps (_mm256_set_m128
                (_mm256_cvtpd_ps (v1), _mm256_cvtpd_ps (v0)), x, keep[k]));
      }
    }
  }
  /* with one phase both units have the same positions: added here, not
   * one after the other to the same memory */
  const unsigned stored = NPH == 1 ? 1 : U;

  if (SUM && NPH == 1) {
    s[0][0] = _mm256_add_pd (s[0][0], s[1][0]);
    s[0][1] = _mm256_add_pd (s[0][1], s[1][1]);
    q[0][0] = _mm256_add_pd (q[0][0], q[1][0]);
    q[0][1] = _mm256_add_pd (q[0][1], q[1][1]);
  }
  if (SUM)
#pragma GCC unroll 8
    for (k = 0; k < stored; k++) {
      /* vector adds: 32 scalar ones through the stack were a tenth of a
       * 10 ms stereo buffer's cost */
      const unsigned o = 8 * (k % NPH);
      _mm256_storeu_pd (sums + o, _mm256_add_pd (_mm256_loadu_pd (sums + o),
              s[k][0]));
      _mm256_storeu_pd (sums + o + 4, _mm256_add_pd (_mm256_loadu_pd (sums
                  + o + 4), s[k][1]));
      _mm256_storeu_pd (sq + o, _mm256_add_pd (_mm256_loadu_pd (sq + o),
              q[k][0]));
      _mm256_storeu_pd (sq + o + 4, _mm256_add_pd (_mm256_loadu_pd (sq + o
                  + 4), q[k][1]));
    }
  return i;
}

/* A whole row: clean units through the vectors, each unit with a NaN or
 * an infinity (and the tail) through C's steps.  The vector loop holds no
 * call (a call clobbers every vector register, which would keep the
 * accumulators in memory): it stops at a unit it cannot do, and starts
 * again after it with fresh accumulators. */
AVX2 INLINE void
packed_f32_row (const float *src, float *dst, size_t n,
    const r128norm_packed_fparams *fp, const int NPH, const int SUM,
    const int APPLY, const int SINGLE, const int KEEP, const int SHIFT,
    double *sums, double *sq, uint64_t *non_finite)
{
  const size_t unit = 8 * (NPH == 1 ? 2 : NPH);
  size_t i = 0;

  for (;;) {
    i = packed_f32_body (src, dst, i, n, fp, NPH, SUM, APPLY, SINGLE, KEEP,
        SHIFT, sums, sq);
    if (i + unit > n)
      break;
    packed_f32_scalar (src + i, dst + i, unit, 0, fp, SUM, APPLY, sums, sq,
        non_finite);
    i += unit;
  }
  if (i < n)
    packed_f32_scalar (src + i, dst + i, n - i, 0, fp, SUM, APPLY, sums, sq,
        non_finite);
}

#define PACKED_F32_ARGS                                                   \
  const void *src, void *dst, size_t n, const r128norm_packed_fparams *fp, \
  double *sums, double *sq, uint64_t *nf

/* The variants of a row kernel, in the order of the tables below: sum,
 * apply, both (C's double steps for the apply), apply_single and
 * both_single (the single precision scheme, FMA), sum_fma (the FMA
 * probe), then apply_single_all and both_single_all for rows in which
 * every sample is a channel's and no statistics are clamped ("all":
 * nothing to write back, no clamp to test), and last both_single_all and
 * sum_fma again for sums without a shift (every channel's 0: short audio
 * buffers, see shift_or_zero() in r128norm.c), which spares the kernel
 * the subtraction, a third of the statistics' arithmetic after the
 * conversions. */
#define PACKED_F32_VARIANT(TARGET, NAME, NPH, SUM, APPLY, SINGLE, KEEP,   \
    SHIFT)                                                                \
  TARGET static void                                                      \
  packed_f32_##NAME##_##NPH (PACKED_F32_ARGS)                             \
  {                                                                       \
    packed_f32_row (src, dst, n, fp, NPH, SUM, APPLY, SINGLE, KEEP, SHIFT, \
        sums, sq, nf);                                                    \
  }

#define DEFINE_PACKED_FLOAT(NPH)                                          \
  PACKED_F32_VARIANT (AVX2, sum, NPH, 1, 0, 0, 1, 1)                      \
  PACKED_F32_VARIANT (AVX2, apply, NPH, 0, 1, 0, 1, 1)                    \
  PACKED_F32_VARIANT (AVX2, both, NPH, 1, 1, 0, 1, 1)                     \
  PACKED_F32_VARIANT (FMA, apply_single, NPH, 0, 1, 1, 1, 1)              \
  PACKED_F32_VARIANT (FMA, both_single, NPH, 1, 1, 1, 1, 1)               \
  PACKED_F32_VARIANT (FMA, sum_fma, NPH, 1, 0, 1, 1, 1)                   \
  PACKED_F32_VARIANT (FMA, apply_single_all, NPH, 0, 1, 1, 0, 1)          \
  PACKED_F32_VARIANT (FMA, both_single_all, NPH, 1, 1, 1, 0, 1)           \
  PACKED_F32_VARIANT (FMA, both_single_all_unshifted, NPH, 1, 1, 1, 0, 0) \
  PACKED_F32_VARIANT (FMA, sum_fma_unshifted, NPH, 1, 0, 1, 1, 0)

DEFINE_PACKED_FLOAT (1)
DEFINE_PACKED_FLOAT (2)
DEFINE_PACKED_FLOAT (3)
DEFINE_PACKED_FLOAT (4)
DEFINE_PACKED_FLOAT (5)
DEFINE_PACKED_FLOAT (6)
DEFINE_PACKED_FLOAT (7)
DEFINE_PACKED_FLOAT (8)

typedef void (*packed_f32_variant) (PACKED_F32_ARGS);

#define PACKED_FLOAT_ROW(NPH)                                             \
  { packed_f32_sum_##NPH, packed_f32_apply_##NPH, packed_f32_both_##NPH,  \
    packed_f32_apply_single_##NPH, packed_f32_both_single_##NPH,          \
    packed_f32_sum_fma_##NPH, packed_f32_apply_single_all_##NPH,          \
    packed_f32_both_single_all_##NPH,                                     \
    packed_f32_both_single_all_unshifted_##NPH,                           \
    packed_f32_sum_fma_unshifted_##NPH }

static const packed_f32_variant packed_f32_variants[8][10] = {
  PACKED_FLOAT_ROW (1), PACKED_FLOAT_ROW (2), PACKED_FLOAT_ROW (3),
  PACKED_FLOAT_ROW (4), PACKED_FLOAT_ROW (5), PACKED_FLOAT_ROW (6),
  PACKED_FLOAT_ROW (7), PACKED_FLOAT_ROW (8),
};

/* ---- f32 packed rows with AVX-512 ------------------------------------- */

/* packed_f32_body with vectors of 16 floats: NPH16 = nph / 2 distinct
 * vectors of parameters (the layout code makes nph even, lcm (period, 16)
 * floats, where this kernel runs), U = NPH16 vectors a unit (2 for one
 * phase).  The same steps lane by lane as the AVX2 body; NaN and
 * infinities found with vfpclassps. */
AVX512 INLINE size_t
packed_f32_body_avx512 (const float *src, float *dst, size_t i, size_t n,
    const r128norm_packed_fparams *fp, const int NPH16, const int SUM,
    const int APPLY, const int SINGLE, const int KEEP, const int SHIFT,
    double *sums, double *sq)
{
  const unsigned U = NPH16 == 1 ? 2 : NPH16;
  const __m512d one = _mm512_set1_pd (1.0);
  /* KEEP 0 rows (every sample a channel's, no statistics clamp): the
   * clamp is not even tested, one loop less in the code a 10 ms buffer
   * brings back into the caches */
  const int clip = KEEP && fp->clip;
  __m512d s[4][2], q[4][2], nsh[4][2];
  __m512 cf[4], af[4], bf[4];
  __mmask16 keep[4];
  unsigned k;

  if (NPH16 == 1) {
    /* a period that divides 16: the vectors built from the lanes (each
     * broadcast into its positions), not loaded from per-position arrays
     * that the setup has just written one float at a time (a vector load
     * of those waits for the stores; a scalar one is forwarded) */
    __m512 c = _mm512_setzero_ps (), a = c, b = c;
    __m512d sh0 = _mm512_setzero_pd (), sh1 = sh0;
    unsigned l;
    for (l = 0; l < fp->period; l++) {
      const r128norm_packed_lane *ln = &fp->lane[l];
      const __mmask16 at = fp->lane_positions[l];
      if (APPLY && SINGLE) {
        c = _mm512_mask_mov_ps (c, at, _mm512_set1_ps (ln->cf));
        a = _mm512_mask_mov_ps (a, at, _mm512_set1_ps (ln->af));
        b = _mm512_mask_mov_ps (b, at, _mm512_set1_ps (ln->bf));
      }
      if (SUM && SHIFT) {
        const __m512d shift = _mm512_set1_pd (ln->shift);
        sh0 = _mm512_mask_mov_pd (sh0, (__mmask8) at, shift);
        sh1 = _mm512_mask_mov_pd (sh1, (__mmask8) (at >> 8), shift);
      }
    }
#pragma GCC unroll 4
    for (k = 0; k < U; k++) {
      cf[k] = c;
      af[k] = a;
      bf[k] = b;
      nsh[k][0] = _mm512_sub_pd (_mm512_set1_pd (-0.0), sh0);
      nsh[k][1] = _mm512_sub_pd (_mm512_set1_pd (-0.0), sh1);
    }
  } else {
#pragma GCC unroll 4
    for (k = 0; k < U; k++) {
      const unsigned o = 16 * (k % NPH16);
      nsh[k][0] = _mm512_loadu_pd (fp->neg_shift + o);
      nsh[k][1] = _mm512_loadu_pd (fp->neg_shift + o + 8);
      cf[k] = _mm512_loadu_ps (fp->cf + o);
      af[k] = _mm512_loadu_ps (fp->af + o);
      bf[k] = _mm512_loadu_ps (fp->bf + o);
    }
  }
#pragma GCC unroll 4
  for (k = 0; k < U; k++) {
    const unsigned o = 16 * (k % NPH16);
    s[k][0] = s[k][1] = q[k][0] = q[k][1] = _mm512_setzero_pd ();
    keep[k] = _mm512_cmpneq_epi32_mask (_mm512_loadu_si512 (fp->keep + o),
        _mm512_setzero_si512 ());
  }
  for (; i + 16 * U <= n; i += 16 * U) {
    /* the unit's samples loaded once: in place, dst is src, and a store
     * would make the compiler load them again */
    __m512 xs[4], vs[4];
    __mmask16 bad = 0;
#pragma GCC unroll 4
    for (k = 0; k < U; k++) {
      xs[k] = _mm512_loadu_ps (src + i + 16 * k);
      R128NORM_PREFETCH (src + i + 16 * k);
      if (APPLY && SINGLE) {
        /* the single precision map first, and the test on its values: a
         * NaN or infinity in (the gain is not 0 in float), and a finite
         * x whose map overflows float, both come out NaN or infinite,
         * and the unit goes to C's double steps, which clamp the latter
         * to +-FLT_MAX.  One test a vector instead of a test of x and a
         * clamp of the map: 7.55 against 8.15 cycles a unit of stereo
         * running (Zen 5, where both take the same single port). */
        vs[k] = _mm512_fmadd_ps (_mm512_sub_ps (xs[k], cf[k]), af[k],
            bf[k]);
        bad |= _mm512_fpclass_ps_mask (vs[k], 0x99);
      } else {
        bad |= _mm512_fpclass_ps_mask (xs[k], 0x99);
      }
    }
    if (__builtin_expect (bad != 0, 0))
      break;
#pragma GCC unroll 4
    for (k = 0; k < U; k++) {
      const unsigned o = 16 * (k % NPH16);
      const float *sp = src + i + 16 * k;
      float *dp = dst + i + 16 * k;
      const __m512 x = xs[k];
      if (SUM) {
        /* x - shift as x * 1 + (-shift): the same single rounding, on
         * the FMA units, which the conversions and the sums leave idle
         * (stats alone: 6.9 -> 6.0 cycles per 32 floats on Zen 5) */
        __m512d d0 = _mm512_cvtps_pd (_mm256_loadu_ps (sp));
        __m512d d1 = _mm512_cvtps_pd (_mm256_loadu_ps (sp + 8));
        if (SHIFT) {
          d0 = _mm512_fmadd_pd (d0, one, nsh[k][0]);
          d1 = _mm512_fmadd_pd (d1, one, nsh[k][1]);
        }
        if (clip) {
          d0 = _mm512_min_pd (_mm512_max_pd (d0, _mm512_loadu_pd (fp->slo
                      + o)), _mm512_loadu_pd (fp->shi + o));
          d1 = _mm512_min_pd (_mm512_max_pd (d1, _mm512_loadu_pd (fp->slo + o
                      + 8)), _mm512_loadu_pd (fp->shi + o + 8));
        }
        s[k][0] = _mm512_add_pd (s[k][0], d0);
        s[k][1] = _mm512_add_pd (s[k][1], d1);
        q[k][0] = _mm512_fmadd_pd (d0, d0, q[k][0]);
        q[k][1] = _mm512_fmadd_pd (d1, d1, q[k][1]);
      }
      if (APPLY && SINGLE) {
        /* a blend, not a masked store: that costs 25 ns more a 10 ms
         * stereo buffer in a pipeline (Zen 5); none at all when every
         * sample is a channel's (8 ns less a stereo buffer) */
        _mm512_storeu_ps (dp, KEEP ? _mm512_mask_blend_ps (keep[k], vs[k],
                x) : vs[k]);
      } else if (APPLY) {
        /* C's double precision steps, no FMA: separately rounded */
        __m512d v0 = _mm512_sub_pd (_mm512_cvtps_pd (_mm256_loadu_ps (sp)),
            _mm512_loadu_pd (fp->c + o));
        __m512d v1 = _mm512_sub_pd (_mm512_cvtps_pd (_mm256_loadu_ps (sp
                    + 8)), _mm512_loadu_pd (fp->c + o + 8));
        v0 = _mm512_add_round_pd (_mm512_mul_round_pd (v0, _mm512_loadu_pd
                (fp->a + o), _MM_FROUND_CUR_DIRECTION), _mm512_loadu_pd (fp->b
                + o), _MM_FROUND_CUR_DIRECTION);
        v1 = _mm512_add_round_pd (_mm512_mul_round_pd (v1, _mm512_loadu_pd
                (fp->a + o + 8), _MM_FROUND_CUR_DIRECTION), _mm512_loadu_pd
            (fp->b + o + 8), _MM_FROUND_CUR_DIRECTION);
        v0 = _mm512_min_pd (_mm512_max_pd (v0, _mm512_loadu_pd (fp->lo + o)),
            _mm512_loadu_pd (fp->hi + o));
        v1 = _mm512_min_pd (_mm512_max_pd (v1, _mm512_loadu_pd (fp->lo + o
                    + 8)), _mm512_loadu_pd (fp->hi + o + 8));
        _mm512_storeu_ps (dp, _mm512_mask_blend_ps (keep[k],
                _mm512_insertf32x8 (_mm512_castps256_ps512 (_mm512_cvtpd_ps
                        (v0)), _mm512_cvtpd_ps (v1), 1), x));
      }
    }
  }
  /* the units whose sums go to memory: with one phase both units have
   * the same positions, and are added here, not one after the other to
   * the same memory */
  const unsigned stored = NPH16 == 1 ? 1 : U;

  if (SUM && NPH16 == 1) {
    s[0][0] = _mm512_add_pd (s[0][0], s[1][0]);
    s[0][1] = _mm512_add_pd (s[0][1], s[1][1]);
    q[0][0] = _mm512_add_pd (q[0][0], q[1][0]);
    q[0][1] = _mm512_add_pd (q[0][1], q[1][1]);
  }
  if (SUM)
#pragma GCC unroll 4
    for (k = 0; k < stored; k++) {
      const unsigned o = 16 * (k % NPH16);
      _mm512_storeu_pd (sums + o, _mm512_add_pd (_mm512_loadu_pd (sums + o),
              s[k][0]));
      _mm512_storeu_pd (sums + o + 8, _mm512_add_pd (_mm512_loadu_pd (sums
                  + o + 8), s[k][1]));
      _mm512_storeu_pd (sq + o, _mm512_add_pd (_mm512_loadu_pd (sq + o),
              q[k][0]));
      _mm512_storeu_pd (sq + o + 8, _mm512_add_pd (_mm512_loadu_pd (sq + o
                  + 8), q[k][1]));
    }
  return i;
}

AVX512 INLINE void
packed_f32_row_avx512 (const float *src, float *dst, size_t n,
    const r128norm_packed_fparams *fp, const int NPH16, const int SUM,
    const int APPLY, const int SINGLE, const int KEEP, const int SHIFT,
    double *sums, double *sq, uint64_t *non_finite)
{
  const size_t unit = 16 * (NPH16 == 1 ? 2 : NPH16);
  size_t i = 0;

  for (;;) {
    i = packed_f32_body_avx512 (src, dst, i, n, fp, NPH16, SUM, APPLY,
        SINGLE, KEEP, SHIFT, sums, sq);
    if (i + unit > n)
      break;
    packed_f32_scalar (src + i, dst + i, unit, 0, fp, SUM, APPLY, sums, sq,
        non_finite);
    i += unit;
  }
  if (i < n)
    packed_f32_scalar (src + i, dst + i, n - i, 0, fp, SUM, APPLY, sums, sq,
        non_finite);
}

#define PACKED_F32_VARIANT_AVX512(NAME, NPH16, SUM, APPLY, SINGLE, KEEP, \
    SHIFT)                                                                \
  AVX512 static void                                                      \
  packed_f32_512_##NAME##_##NPH16 (PACKED_F32_ARGS)                       \
  {                                                                       \
    packed_f32_row_avx512 (src, dst, n, fp, NPH16, SUM, APPLY, SINGLE,    \
        KEEP, SHIFT, sums, sq, nf);                                       \
  }

#define DEFINE_PACKED_FLOAT_AVX512(NPH16)                                 \
  PACKED_F32_VARIANT_AVX512 (sum, NPH16, 1, 0, 1, 1, 1)                   \
  PACKED_F32_VARIANT_AVX512 (apply, NPH16, 0, 1, 0, 1, 1)                 \
  PACKED_F32_VARIANT_AVX512 (both, NPH16, 1, 1, 0, 1, 1)                  \
  PACKED_F32_VARIANT_AVX512 (apply_single, NPH16, 0, 1, 1, 1, 1)          \
  PACKED_F32_VARIANT_AVX512 (both_single, NPH16, 1, 1, 1, 1, 1)           \
  PACKED_F32_VARIANT_AVX512 (apply_single_all, NPH16, 0, 1, 1, 0, 1)      \
  PACKED_F32_VARIANT_AVX512 (both_single_all, NPH16, 1, 1, 1, 0, 1)       \
  PACKED_F32_VARIANT_AVX512 (both_single_all_unshifted, NPH16, 1, 1, 1, 0, \
      0)                                                                  \
  PACKED_F32_VARIANT_AVX512 (sum_unshifted, NPH16, 1, 0, 1, 1, 0)

DEFINE_PACKED_FLOAT_AVX512 (1)
DEFINE_PACKED_FLOAT_AVX512 (2)
DEFINE_PACKED_FLOAT_AVX512 (3)
DEFINE_PACKED_FLOAT_AVX512 (4)

/* as packed_f32_variants (sum in the place of sum_fma: vfpclassps
 * needs no FMA probe) */
#define PACKED_FLOAT_ROW_AVX512(NPH16)                                    \
  { packed_f32_512_sum_##NPH16, packed_f32_512_apply_##NPH16,             \
    packed_f32_512_both_##NPH16, packed_f32_512_apply_single_##NPH16,     \
    packed_f32_512_both_single_##NPH16, packed_f32_512_sum_##NPH16,       \
    packed_f32_512_apply_single_all_##NPH16,                              \
    packed_f32_512_both_single_all_##NPH16,                               \
    packed_f32_512_both_single_all_unshifted_##NPH16,                     \
    packed_f32_512_sum_unshifted_##NPH16 }

static const packed_f32_variant packed_f32_variants_avx512[4][10] = {
  PACKED_FLOAT_ROW_AVX512 (1), PACKED_FLOAT_ROW_AVX512 (2),
  PACKED_FLOAT_ROW_AVX512 (3), PACKED_FLOAT_ROW_AVX512 (4),
};

static int have_fma (void);
static int have_avx512 (void);

static void
packed_f32 (const void *src, void *dst, size_t n,
    const r128norm_packed_fparams *fp, int sum, int apply, double *sums,
    double *sq, uint64_t *non_finite)
{
  int v;

  /* the CPU's features as r128norm_packed_init() found them (once, on one
   * thread), so that the bands' threads only read them */
  if (!apply)
    v = fp->fma ? 5 : 0;        /* SINGLE only picks the FMA probe here */
  else
    v = (sum ? 2 : 1) + (fp->single ? 2 : 0);
  if (!sum && !apply)
    return;
  /* an even nph: the pattern repeats within whole vectors of 16 */
  if (fp->single && apply && !fp->has_untouched && !fp->clip)
    v += 3;
  /* sums of x itself where every shift is 0 */
  if (sum && !fp->shifted && (v == 7 || v == 5))
    v = v == 7 ? 8 : 9;
  if (fp->avx512 && fp->nph % 2 == 0)
    packed_f32_variants_avx512[fp->nph / 2 - 1][v] (src, dst, n, fp, sums,
        sq, non_finite);
  else
    packed_f32_variants[fp->nph - 1][v] (src, dst, n, fp, sums, sq,
        non_finite);
}

/* ---- s16 packed rows: interleaved channels with per-position params --- */

/* The parameters of positions [o, o + 8), in registers: loaded once a
 * row (in place, every store might alias them in memory, and they were
 * loaded again with each vector).  c is an integer (the library rounds
 * it for integer input), so x - c is exact in 32 bits. */
typedef struct
{
  __m256 a, b, lo, hi;
  __m256i c_int, lo_int;
} s16_params8;

AVX2 INLINE s16_params8
s16_load_params8 (const r128norm_packed_sparams *sp, unsigned o)
{
  s16_params8 q;

  q.c_int = _mm256_cvttps_epi32 (_mm256_loadu_ps (sp->c + o));
  q.a = _mm256_loadu_ps (sp->a + o);
  q.b = _mm256_loadu_ps (sp->b + o);
  q.lo = _mm256_loadu_ps (sp->lo + o);
  q.hi = _mm256_loadu_ps (sp->hi + o);
  q.lo_int = _mm256_cvttps_epi32 (q.lo);
  return q;
}

/* 8 samples as floats through the map: the C kernels' single precision
 * steps, separately rounded (this function is compiled without FMA, so
 * nothing is contracted), clamped to [lo, hi] where CLAMP_HI (F32 out);
 * S16 out leaves the upper bound to s16_round8 and the saturating pack. */
AVX2 INLINE __m256
s16_map8 (__m256i x, const s16_params8 *q, const int CLAMP_HI)
{
  __m256 v = _mm256_cvtepi32_ps (_mm256_sub_epi32 (x, q->c_int));
  v = _mm256_max_ps (_mm256_add_ps (_mm256_mul_ps (v, q->a), q->b), q->lo);
  return CLAMP_HI ? _mm256_min_ps (v, q->hi) : v;
}

/* trunc (v - lo + 0.5) + lo, as the C kernel rounds, from v >= lo not
 * clamped to hi (S16's 32767 everywhere, a channel's or not): above it,
 * the sum is above 32767 or, where v - lo + 0.5 is 2^31 or more, the
 * conversion's 0x80000000 plus lo wraps to 2^31 - 32768, and the
 * saturating pack makes either 32767, which C's clamp gives. */
AVX2 INLINE __m256i
s16_round8 (__m256 v, const s16_params8 *q)
{
  __m256 t = _mm256_add_ps (_mm256_sub_ps (v, q->lo), _mm256_set1_ps (0.5f));
  return _mm256_add_epi32 (_mm256_cvttps_epi32 (t), q->lo_int);
}

/* Units of U vectors of 16 samples (U = NPH, or 2 for one phase); vector
 * k of a unit has the parameters of positions [16 (k % NPH), ... + 16).
 * Sums: each vector's two halves widened to 8 int32 lanes, added to int32
 * partial sums (flushed every R128NORM_S16_FLUSH units) and squared into
 * int64 lanes with mul_epi32 (even lanes, then odd ones shifted down):
 * exact. */
AVX2 INLINE void
packed_s16_body (const int16_t *src, void *dst, size_t n,
    const r128norm_packed_sparams *sp, const int NPH, const int SUM,
    const int APPLY, const int TO_F32, int64_t *sums, uint64_t *sq)
{
  const unsigned U = NPH == 1 ? 2 : NPH;
  __m256i s[8][2], qe[8][2], qo[8][2];
  s16_params8 params[8][2];
  size_t i = 0, units = 0;
  unsigned k, h, j;

#pragma GCC unroll 8
  for (k = 0; k < U; k++)
    for (h = 0; h < 2; h++)
      s[k][h] = qe[k][h] = qo[k][h] = _mm256_setzero_si256 ();
  if (APPLY)
#pragma GCC unroll 8
    for (k = 0; k < (unsigned) NPH; k++)
      for (h = 0; h < 2; h++)
        params[k][h] = s16_load_params8 (sp, 16 * k + 8 * h);
  for (; i + 16 * U <= n; i += 16 * U) {
#pragma GCC unroll 8
    for (k = 0; k < U; k++) {
      const s16_params8 *q0 = &params[k % NPH][0], *q1 = &params[k % NPH][1];
      const int16_t *p = src + i + 16 * k;
      __m256i x[2];
      x[0] = _mm256_cvtepi16_epi32 (_mm_loadu_si128 ((const __m128i *) p));
      x[1] = _mm256_cvtepi16_epi32 (_mm_loadu_si128 ((const __m128i *) (p
                  + 8)));
      for (h = 0; h < 2; h++) {
        if (SUM) {
          s[k][h] = _mm256_add_epi32 (s[k][h], x[h]);
          qe[k][h] = _mm256_add_epi64 (qe[k][h], _mm256_mul_epi32 (x[h],
                  x[h]));
          qo[k][h] = _mm256_add_epi64 (qo[k][h], _mm256_mul_epi32
              (_mm256_srli_epi64 (x[h], 32), _mm256_srli_epi64 (x[h], 32)));
        }
      }
      if (APPLY && TO_F32) {
        float *d = (float *) dst + i + 16 * k;
        _mm256_storeu_ps (d, s16_map8 (x[0], q0, 1));
        _mm256_storeu_ps (d + 8, s16_map8 (x[1], q1, 1));
      } else if (APPLY) {
        __m256i y0 = s16_round8 (s16_map8 (x[0], q0, 0), q0);
        __m256i y1 = s16_round8 (s16_map8 (x[1], q1, 0), q1);
        _mm256_storeu_si256 ((__m256i *) ((int16_t *) dst + i + 16 * k),
            _mm256_permute4x64_epi64 (_mm256_packs_epi32 (y0, y1),
                _MM_SHUFFLE (3, 1, 2, 0)));
      }
    }
    if (SUM && (++units == R128NORM_S16_FLUSH || i + 32 * U > n)) {
#pragma GCC unroll 8
      for (k = 0; k < U; k++)
        for (h = 0; h < 2; h++) {
          int32_t vs[8];
          const unsigned o = 16 * (k % NPH) + 8 * h;
          _mm256_storeu_si256 ((__m256i *) vs, s[k][h]);
          for (j = 0; j < 8; j++)
            sums[o + j] += vs[j];
          s[k][h] = _mm256_setzero_si256 ();
        }
      units = 0;
    }
  }
  if (SUM)
#pragma GCC unroll 8
    for (k = 0; k < U; k++)
      for (h = 0; h < 2; h++) {
        uint64_t ve[4], vo[4];
        const unsigned o = 16 * (k % NPH) + 8 * h;
        _mm256_storeu_si256 ((__m256i *) ve, qe[k][h]);
        _mm256_storeu_si256 ((__m256i *) vo, qo[k][h]);
        for (j = 0; j < 4; j++) {
          sq[o + 2 * j] += ve[j];
          sq[o + 2 * j + 1] += vo[j];
        }
      }
  /* dst is NULL for statistics alone: no arithmetic on it then (UB,
   * found by fuzzing) */
  if (i < n)
    r128norm_packed_s16_scalar (src + i, !APPLY ? dst : TO_F32
        ? (void *) ((float *) dst + i) : (void *) ((int16_t *) dst + i),
        n - i, sp, SUM, APPLY, sums, sq);
}

#define PACKED_S16_ARGS                                                   \
  const void *src, void *dst, size_t n, const r128norm_packed_sparams *sp, \
  int64_t *sums, uint64_t *sq

/* The five entries (sums, apply, both; apply and both to F32) of one
 * phase count for the body of a target: BODY (TARGET), names NAME_*. */
#define DEFINE_PACKED_S16_WITH(TARGET, BODY, NAME, NPH)                   \
  TARGET static void                                                      \
  NAME##_sum_##NPH (PACKED_S16_ARGS)                                      \
  {                                                                       \
    BODY (src, dst, n, sp, NPH, 1, 0, 0, sums, sq);                       \
  }                                                                       \
  TARGET static void                                                      \
  NAME##_apply_##NPH (PACKED_S16_ARGS)                                    \
  {                                                                       \
    BODY (src, dst, n, sp, NPH, 0, 1, 0, sums, sq);                       \
  }                                                                       \
  TARGET static void                                                      \
  NAME##_both_##NPH (PACKED_S16_ARGS)                                     \
  {                                                                       \
    BODY (src, dst, n, sp, NPH, 1, 1, 0, sums, sq);                       \
  }                                                                       \
  TARGET static void                                                      \
  NAME##_apply_f32_##NPH (PACKED_S16_ARGS)                                \
  {                                                                       \
    BODY (src, dst, n, sp, NPH, 0, 1, 1, sums, sq);                       \
  }                                                                       \
  TARGET static void                                                      \
  NAME##_both_f32_##NPH (PACKED_S16_ARGS)                                 \
  {                                                                       \
    BODY (src, dst, n, sp, NPH, 1, 1, 1, sums, sq);                       \
  }

#define DEFINE_PACKED_S16(NPH)                                            \
  DEFINE_PACKED_S16_WITH (AVX2, packed_s16_body, packed_s16, NPH)

DEFINE_PACKED_S16 (1)
DEFINE_PACKED_S16 (2)
DEFINE_PACKED_S16 (3)
DEFINE_PACKED_S16 (4)
DEFINE_PACKED_S16 (5)
DEFINE_PACKED_S16 (6)
DEFINE_PACKED_S16 (7)
DEFINE_PACKED_S16 (8)

/* The same with AVX-512: each vector of 16 samples one register, its
 * steps those of the AVX2 body lane for lane (the _round_ intrinsics: this
 * target has FMA, and C rounds each step), its parameters in registers
 * as there. */
typedef struct
{
  __m512 a, b, lo, hi;
  __m512i c_int, lo_int;
} s16_params16;

AVX512 INLINE s16_params16
s16_load_params16 (const r128norm_packed_sparams *sp, unsigned o)
{
  s16_params16 q;

  q.c_int = _mm512_cvttps_epi32 (_mm512_loadu_ps (sp->c + o));
  q.a = _mm512_loadu_ps (sp->a + o);
  q.b = _mm512_loadu_ps (sp->b + o);
  q.lo = _mm512_loadu_ps (sp->lo + o);
  q.hi = _mm512_loadu_ps (sp->hi + o);
  q.lo_int = _mm512_cvttps_epi32 (q.lo);
  return q;
}

AVX512 INLINE __m512
s16_map16 (__m512i x, const s16_params16 *q, const int CLAMP_HI)
{
  __m512 v = _mm512_cvtepi32_ps (_mm512_sub_epi32 (x, q->c_int));
  v = _mm512_add_round_ps (_mm512_mul_round_ps (v, q->a,
          _MM_FROUND_CUR_DIRECTION), q->b, _MM_FROUND_CUR_DIRECTION);
  v = _mm512_max_ps (v, q->lo);
  return CLAMP_HI ? _mm512_min_ps (v, q->hi) : v;
}

/* s16_round8's steps, narrowed with saturation */
AVX512 INLINE __m256i
s16_round16 (__m512 v, const s16_params16 *q)
{
  __m512 t = _mm512_add_round_ps (_mm512_sub_round_ps (v, q->lo,
          _MM_FROUND_CUR_DIRECTION), _mm512_set1_ps (0.5f),
      _MM_FROUND_CUR_DIRECTION);
  return _mm512_cvtsepi32_epi16 (_mm512_add_epi32 (_mm512_cvttps_epi32 (t),
          q->lo_int));
}

AVX512 INLINE void
s16_flush_sums16 (__m512i *s, unsigned o, int64_t *sums)
{
  int32_t vs[16];
  unsigned j;

  _mm512_storeu_si512 (vs, *s);
  for (j = 0; j < 16; j++)
    sums[o + j] += vs[j];
  *s = _mm512_setzero_si512 ();
}

AVX512 INLINE void
packed_s16_body_avx512 (const int16_t *src, void *dst, size_t n,
    const r128norm_packed_sparams *sp, const int NPH, const int SUM,
    const int APPLY, const int TO_F32, int64_t *sums, uint64_t *sq)
{
  const unsigned U = NPH == 1 ? 2 : NPH;
  __m512i s[8], qe[8], qo[8];
  s16_params16 params[8];
  size_t i = 0;
  unsigned k, j;

#pragma GCC unroll 8
  for (k = 0; k < U; k++)
    s[k] = qe[k] = qo[k] = _mm512_setzero_si512 ();
  if (APPLY)
#pragma GCC unroll 8
    for (k = 0; k < (unsigned) NPH; k++)
      params[k] = s16_load_params16 (sp, 16 * k);
  while (i + 16 * U <= n) {
    /* at most R128NORM_S16_FLUSH units between two flushes of the int32
     * sums */
    size_t end = i + (n - i) / (16 * U) * (16 * U);
    if (SUM && end - i > R128NORM_S16_FLUSH * 16 * U)
      end = i + R128NORM_S16_FLUSH * 16 * U;
    for (; i < end; i += 16 * U) {
#pragma GCC unroll 8
      for (k = 0; k < U; k++) {
        const s16_params16 *q = &params[k % NPH];
        const __m512i x = _mm512_cvtepi16_epi32 (_mm256_loadu_si256
            ((const __m256i *) (src + i + 16 * k)));
        if (SUM) {
          const __m512i odd = _mm512_srli_epi64 (x, 32);
          s[k] = _mm512_add_epi32 (s[k], x);
          qe[k] = _mm512_add_epi64 (qe[k], _mm512_mul_epi32 (x, x));
          qo[k] = _mm512_add_epi64 (qo[k], _mm512_mul_epi32 (odd, odd));
        }
        if (APPLY && TO_F32)
          _mm512_storeu_ps ((float *) dst + i + 16 * k, s16_map16 (x, q, 1));
        else if (APPLY)
          _mm256_storeu_si256 ((__m256i *) ((int16_t *) dst + i + 16 * k),
              s16_round16 (s16_map16 (x, q, 0), q));
      }
    }
    if (SUM)
#pragma GCC unroll 8
      for (k = 0; k < U; k++)
        s16_flush_sums16 (&s[k], 16 * (k % NPH), sums);
  }
  if (SUM)
#pragma GCC unroll 8
    for (k = 0; k < U; k++) {
      uint64_t ve[8], vo[8];
      const unsigned o = 16 * (k % NPH);
      _mm512_storeu_si512 (ve, qe[k]);
      _mm512_storeu_si512 (vo, qo[k]);
      for (j = 0; j < 8; j++) {
        sq[o + 2 * j] += ve[j];
        sq[o + 2 * j + 1] += vo[j];
      }
    }
  if (i < n)
    r128norm_packed_s16_scalar (src + i, !APPLY ? dst : TO_F32
        ? (void *) ((float *) dst + i) : (void *) ((int16_t *) dst + i),
        n - i, sp, SUM, APPLY, sums, sq);
}

#define DEFINE_PACKED_S16_AVX512(NPH)                                     \
  DEFINE_PACKED_S16_WITH (AVX512, packed_s16_body_avx512,                 \
      packed_s16_avx512, NPH)

DEFINE_PACKED_S16_AVX512 (1)
DEFINE_PACKED_S16_AVX512 (2)
DEFINE_PACKED_S16_AVX512 (3)
DEFINE_PACKED_S16_AVX512 (4)
DEFINE_PACKED_S16_AVX512 (5)
DEFINE_PACKED_S16_AVX512 (6)
DEFINE_PACKED_S16_AVX512 (7)
DEFINE_PACKED_S16_AVX512 (8)

typedef void (*packed_s16_variant) (PACKED_S16_ARGS);

#define PACKED_S16_ROW(NPH)                                               \
  { packed_s16_sum_##NPH, packed_s16_apply_##NPH, packed_s16_both_##NPH,  \
    packed_s16_apply_f32_##NPH, packed_s16_both_f32_##NPH }

static const packed_s16_variant packed_s16_variants[8][5] = {
  PACKED_S16_ROW (1), PACKED_S16_ROW (2), PACKED_S16_ROW (3),
  PACKED_S16_ROW (4), PACKED_S16_ROW (5), PACKED_S16_ROW (6),
  PACKED_S16_ROW (7), PACKED_S16_ROW (8),
};

#define PACKED_S16_ROW_AVX512(NPH)                                        \
  { packed_s16_avx512_sum_##NPH, packed_s16_avx512_apply_##NPH,           \
    packed_s16_avx512_both_##NPH, packed_s16_avx512_apply_f32_##NPH,      \
    packed_s16_avx512_both_f32_##NPH }

static const packed_s16_variant packed_s16_variants_avx512[8][5] = {
  PACKED_S16_ROW_AVX512 (1), PACKED_S16_ROW_AVX512 (2),
  PACKED_S16_ROW_AVX512 (3), PACKED_S16_ROW_AVX512 (4),
  PACKED_S16_ROW_AVX512 (5), PACKED_S16_ROW_AVX512 (6),
  PACKED_S16_ROW_AVX512 (7), PACKED_S16_ROW_AVX512 (8),
};

static void
packed_s16 (const void *src, void *dst, size_t n,
    const r128norm_packed_sparams *sp, int sum, int apply, int64_t *sums,
    uint64_t *sq)
{
  int v;

  if (!apply)
    v = 0;
  else
    v = (sum ? 2 : 1) + (sp->to_f32 ? 2 : 0);
  if (sum || apply)
    (sp->avx512 ? packed_s16_variants_avx512 : packed_s16_variants)[sp->nph
        - 1][v] (src, dst, n, sp, sums, sq);
}

/* Contiguous S16 rows (mono, planar channels) are packed rows of period
 * 1 (r128norm_packed_sparams_contig). */
static inline void
stats_contig_s16_with (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc, int avx512)
{
  r128norm_packed_sparams sp;
  int64_t sums[16] = { 0 };
  uint64_t sq[16] = { 0 };
  unsigned j;

  if (clip->active) {
    c_set (R128NORM_FORMAT_S16, R128NORM_FORMAT_S16).stats_contig (in, n,
        clip, acc);
    return;
  }
  r128norm_packed_sparams_contig (&sp, NULL, 0, avx512);
  packed_s16 (in, NULL, n, &sp, 1, 0, sums, sq);
  acc->n += n;
  for (j = 0; j < 16; j++) {
    acc->sum += sums[j];
    acc->sumsq += sq[j];
  }
}

static inline uint64_t
apply_contig_s16_with (const void *in, void *out, size_t n,
    const r128norm_affine *p, int to_f32, int avx512)
{
  r128norm_packed_sparams sp;

  r128norm_packed_sparams_contig (&sp, p, to_f32, avx512);
  packed_s16 (in, out, n, &sp, 0, 1, NULL, NULL);
  return 0;
}

/* the kernel set's entries, AVX2 and AVX-512 */
static void
stats_contig_s16 (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  stats_contig_s16_with (in, n, clip, acc, 0);
}

static void
stats_contig_s16_avx512 (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  stats_contig_s16_with (in, n, clip, acc, 1);
}

#define DEFINE_APPLY_CONTIG_S16(NAME, TO_F32, WIDE)                       \
  static uint64_t                                                         \
  NAME (const void *in, void *out, size_t n, const r128norm_affine *p)    \
  {                                                                       \
    return apply_contig_s16_with (in, out, n, p, TO_F32, WIDE);           \
  }

DEFINE_APPLY_CONTIG_S16 (apply_contig_s16_s16, 0, 0)
DEFINE_APPLY_CONTIG_S16 (apply_contig_s16_s16_avx512, 0, 1)
DEFINE_APPLY_CONTIG_S16 (apply_contig_s16_f32, 1, 0)
DEFINE_APPLY_CONTIG_S16 (apply_contig_s16_f32_avx512, 1, 1)

/* ---- half (F16) ------------------------------------------------------ */

/* F16 output: the C kernels compute in double and round once to half
 * (r128norm_double_to_half: nearest, ties to even).  These take the same
 * double steps and round the same way: adding and subtracting
 * 1.5 * 2^52 * q, where q is the last place of a half at |v| (2^-24 below
 * half's normal range), rounds |v| to a multiple of q, ties to even, in
 * one double addition; the result is a half exactly, so the conversions to
 * float and (F16C) to half that follow are exact.  Bit for bit C's.
 * (Rounding to float first and then to half, as vcvtps2ph alone would,
 * can land on the wrong side of a tie.) */
#define AVX2_F16C __attribute__ ((target ("avx2,f16c")))

AVX2_F16C INLINE __m256d
round_to_half (__m256d v)
{
  const __m256d sign = _mm256_set1_pd (-0.0);
  const __m256d exponent = _mm256_castsi256_pd (_mm256_set1_epi64x
      (0x7ff0000000000000LL));
  /* 2^16 and above are infinity as halves, as in C (which clamps first) */
  __m256d a = _mm256_min_pd (_mm256_andnot_pd (sign, v),
      _mm256_set1_pd (65536.0));
  /* 1.5 * 2^52 * q with q = 2^floor(log2 a) * 2^-10, at least 2^-24
   * (zero, and subnormals) */
  __m256d big = _mm256_max_pd (_mm256_mul_pd (_mm256_and_pd (a, exponent),
          _mm256_set1_pd (0x1.8p42)), _mm256_set1_pd (0x1.8p28));
  __m256d r = _mm256_sub_pd (_mm256_add_pd (a, big), big);
  return _mm256_or_pd (r, _mm256_and_pd (v, sign));
}

/* 8 doubles (already rounded to halves) as 8 halves */
AVX2_F16C INLINE __m128i
halves8 (__m256d lo, __m256d hi)
{
  return _mm256_cvtps_ph (_mm256_set_m128 (_mm256_cvtpd_ps (hi),
          _mm256_cvtpd_ps (lo)), _MM_FROUND_TO_NEAREST_INT);
}

/* 8 floats as 2 x 4 doubles */
AVX2_F16C INLINE void
widen8 (__m256 x, __m256d *lo, __m256d *hi)
{
  *lo = _mm256_cvtps_pd (_mm256_castps256_ps128 (x));
  *hi = _mm256_cvtps_pd (_mm256_extractf128_ps (x, 1));
}

/* C's double steps for one map: (x - c) * a + b, a multiply and then an
 * add (inlined only into functions without FMA, where they cannot be
 * contracted), clamped as C clamps, v < lo ? lo : v then v > hi ? hi : v
 * (max (lo, v) and min (hi, v) are those, NaN and -0 included).  The F16,
 * S32 and packed S32 kernels' map. */
AVX2 INLINE __m256d
affine4_double (__m256d x, __m256d c, __m256d a, __m256d b, __m256d lo,
    __m256d hi)
{
  __m256d v = _mm256_add_pd (_mm256_mul_pd (_mm256_sub_pd (x, c), a), b);
  return _mm256_min_pd (hi, _mm256_max_pd (lo, v));
}

/* C's float steps in double (affine4_double); non-finite x become nf.
 * x - c cannot overflow for a finite float x and the library's |c| <=
 * 1e300, so C's clamp of x - c to +-DBL_MAX changes nothing here. */
AVX2_F16C INLINE __m256d
affine4_float (__m256d x, __m256d c, __m256d a, __m256d b, __m256d lo,
    __m256d hi, __m256d nf)
{
  __m256d ok = _mm256_cmp_pd (_mm256_sub_pd (x, x), _mm256_setzero_pd (),
      _CMP_EQ_OQ);
  return _mm256_blendv_pd (nf, affine4_double (x, c, a, b, lo, hi), ok);
}

/* F32 or F16 (HALF_IN) samples to F16 or F32 (HALF_OUT 0), 8 at a time;
 * the tail through C.  Returns the non-finite samples. */
AVX2_F16C INLINE uint64_t
apply_float_f16 (const void *in, void *out, size_t n,
    const r128norm_affine *p, const int HALF_IN, const int HALF_OUT)
{
  const __m256d c = _mm256_set1_pd (p->c), a = _mm256_set1_pd (p->a);
  const __m256d b = _mm256_set1_pd (p->b), lo = _mm256_set1_pd (p->lo);
  const __m256d hi = _mm256_set1_pd (p->hi);
  const __m256d nf = _mm256_set1_pd (p->non_finite);
  const uint16_t *hs = in;
  const float *fs = in;
  uint16_t *hd = out;
  float *fd = out;
  uint64_t non_finite = 0;
  size_t i = 0;

  for (; i + 8 <= n; i += 8) {
    __m256 x = HALF_IN ? _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *)
            (hs + i))) : _mm256_loadu_ps (fs + i);
    __m256d x0, x1, v0, v1;
    non_finite += (uint64_t) __builtin_popcount (_mm256_movemask_ps
        (_mm256_cmp_ps (_mm256_sub_ps (x, x), _mm256_setzero_ps (),
                _CMP_NEQ_UQ)));
    widen8 (x, &x0, &x1);
    v0 = affine4_float (x0, c, a, b, lo, hi, nf);
    v1 = affine4_float (x1, c, a, b, lo, hi, nf);
    if (HALF_OUT)
      _mm_storeu_si128 ((__m128i *) (hd + i), halves8 (round_to_half (v0),
              round_to_half (v1)));
    else
      _mm256_storeu_ps (fd + i, _mm256_set_m128 (_mm256_cvtpd_ps (v1),
              _mm256_cvtpd_ps (v0)));
  }
  if (i < n)
    non_finite += c_set (HALF_IN ? R128NORM_FORMAT_F16 : R128NORM_FORMAT_F32,
        HALF_OUT ? R128NORM_FORMAT_F16 : R128NORM_FORMAT_F32).apply_contig
        (HALF_IN ? (const void *) (hs + i) : (const void *) (fs + i),
        HALF_OUT ? (void *) (hd + i) : (void *) (fd + i), n - i, p);
  return non_finite;
}

AVX2_F16C __attribute__ ((noinline)) static uint64_t
apply_contig_f32_f16 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  return apply_float_f16 (in, out, n, p, 0, 1);
}

AVX2_F16C __attribute__ ((noinline)) static uint64_t
apply_contig_f16_f16 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  return apply_float_f16 (in, out, n, p, 1, 1);
}

AVX2_F16C static uint64_t
apply_contig_f16_f32 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  return apply_float_f16 (in, out, n, p, 1, 0);
}

/* S16 or U16 to F16: C's steps in double (exact integers, no NaN). */
AVX2_F16C INLINE uint64_t
apply_int16_f16 (const void *in, void *out, size_t n,
    const r128norm_affine *p, const int SIGNED)
{
  const __m256d c = _mm256_set1_pd (p->c), a = _mm256_set1_pd (p->a);
  const __m256d b = _mm256_set1_pd (p->b), lo = _mm256_set1_pd (p->lo);
  const __m256d hi = _mm256_set1_pd (p->hi);
  const uint16_t *s = in;
  uint16_t *d = out;
  size_t i = 0;

  for (; i + 8 <= n; i += 8) {
    __m128i x16 = _mm_loadu_si128 ((const __m128i *) (s + i));
    __m256i x32 = SIGNED ? _mm256_cvtepi16_epi32 (x16)
        : _mm256_cvtepu16_epi32 (x16);
    __m256d v0 = _mm256_cvtepi32_pd (_mm256_castsi256_si128 (x32));
    __m256d v1 = _mm256_cvtepi32_pd (_mm256_extracti128_si256 (x32, 1));
    v0 = _mm256_add_pd (_mm256_mul_pd (_mm256_sub_pd (v0, c), a), b);
    v1 = _mm256_add_pd (_mm256_mul_pd (_mm256_sub_pd (v1, c), a), b);
    v0 = _mm256_min_pd (hi, _mm256_max_pd (lo, v0));
    v1 = _mm256_min_pd (hi, _mm256_max_pd (lo, v1));
    _mm_storeu_si128 ((__m128i *) (d + i), halves8 (round_to_half (v0),
            round_to_half (v1)));
  }
  if (i < n)
    c_set (SIGNED ? R128NORM_FORMAT_S16 : R128NORM_FORMAT_U16,
        R128NORM_FORMAT_F16).apply_contig (s + i, d + i, n - i, p);
  return 0;
}

AVX2_F16C __attribute__ ((noinline)) static uint64_t
apply_contig_s16_f16 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  return apply_int16_f16 (in, out, n, p, 1);
}

AVX2_F16C __attribute__ ((noinline)) static uint64_t
apply_contig_u16_f16 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  return apply_int16_f16 (in, out, n, p, 0);
}

/* The single precision shortcut of half_shortcut16 (its comment has the
 * error bound) on 8 lanes, for AVX2 CPUs with FMA: returns the lanes that
 * pass (bit j lane j), with the halves in *halves. */
AVX2_F16C_FMA INLINE int
half_shortcut8 (__m256 x, __m256 cf, __m256 af, __m256 bf, __m256 k,
    __m128i *halves)
{
  const __m256 sign = _mm256_set1_ps (-0.0f);
  const __m256 t = _mm256_sub_ps (x, cf);
  const __m256 v = _mm256_fmadd_ps (t, af, bf);
  const __m256 av = _mm256_andnot_ps (sign, v);
  const __m256 delta = _mm256_fmadd_ps (av, _mm256_set1_ps (0x1p-21f), k);
  const __m256i bits = _mm256_castps_si256 (v);
  const __m256 ulp = _mm256_mul_ps (_mm256_castsi256_ps (_mm256_and_si256
          (bits, _mm256_set1_epi32 (0x7f800000))), _mm256_set1_ps (0x1p-23f));
  const __m256 dist = _mm256_mul_ps (_mm256_cvtepi32_ps (_mm256_abs_epi32
          (_mm256_sub_epi32 (_mm256_and_si256 (bits, _mm256_set1_epi32
                      (0x1fff)), _mm256_set1_epi32 (0x1000)))), ulp);
  const __m256 top = _mm256_set1_ps (65504.0f);
  __m256 ok = _mm256_and_ps (_mm256_cmp_ps (av, _mm256_set1_ps (0x1p-14f),
          _CMP_GE_OQ), _mm256_cmp_ps (av, _mm256_set1_ps (65000.0f),
          _CMP_LE_OQ));

  ok = _mm256_and_ps (ok, _mm256_and_ps (_mm256_cmp_ps (delta, dist,
              _CMP_LT_OQ), _mm256_cmp_ps (delta, _mm256_mul_ps (ulp,
                  _mm256_set1_ps (1024.0f)), _CMP_LE_OQ)));
  /* and where d is beyond the largest half too, C's clamp gives it */
  ok = _mm256_or_ps (ok, _mm256_cmp_ps (_mm256_sub_ps (av, delta), top,
          _CMP_GT_OQ));
  *halves = _mm256_cvtps_ph (_mm256_min_ps (_mm256_max_ps (v,
              _mm256_sub_ps (_mm256_setzero_ps (), top)), top),
      _MM_FROUND_TO_NEAREST_INT);
  return _mm256_movemask_ps (ok);
}

/* F32, F16, S16 or U16 (KIND 0 to 3) to F16 with the shortcut: vectors of
 * 8 through it, each vector with a lane it does not take (NaN and
 * infinities among them) and the tail through the double steps of
 * DOUBLE_STEPS, an AVX2_F16C kernel (so C's bits), called for that
 * vector alone: about 1.5 % of vectors of z-scores.  Where most vectors
 * fail (random bit patterns) the calls make it slower than the double
 * steps alone (1.6 against 1.2 ns a sample); taking the next three
 * vectors through the same call after a failure cut that to 1.27 but
 * cost 10 to 15 % on data without NaN, which is what a stream is. */
AVX2_F16C_FMA INLINE uint64_t
apply_f16_shortcut_avx2 (const void *in, void *out, size_t n,
    const r128norm_affine *p, const int KIND,
    r128norm_apply_contig_fn double_steps)
{
  const float *fs = in;         /* KIND 0 */
  const uint16_t *hs = in;      /* the others: 2 bytes a sample */
  uint16_t *d = out;
  float cf, af, bf, k;
  __m256 vcf, vaf, vbf, vk;
  uint64_t non_finite = 0;
  size_t i = 0;

  if (!r128norm_half_shortcut (p, &cf, &af, &bf, &k))
    return double_steps (in, out, n, p);
  vcf = _mm256_set1_ps (cf);
  vaf = _mm256_set1_ps (af);
  vbf = _mm256_set1_ps (bf);
  vk = _mm256_set1_ps (k);
  for (; i + 8 <= n; i += 8) {
    const void *sp = KIND == 0 ? (const void *) (fs + i)
        : (const void *) (hs + i);
    __m256 x;
    __m128i h;
    if (KIND == 0)
      x = _mm256_loadu_ps (fs + i);
    else if (KIND == 1)
      x = _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (hs + i)));
    else if (KIND == 2)
      x = _mm256_cvtepi32_ps (_mm256_cvtepi16_epi32 (_mm_loadu_si128
              ((const __m128i *) (hs + i))));
    else
      x = _mm256_cvtepi32_ps (_mm256_cvtepu16_epi32 (_mm_loadu_si128
              ((const __m128i *) (hs + i))));
    if (half_shortcut8 (x, vcf, vaf, vbf, vk, &h) == 0xff)
      _mm_storeu_si128 ((__m128i *) (d + i), h);
    else
      non_finite += double_steps (sp, d + i, 8, p);
  }
  if (i < n)
    non_finite += double_steps (KIND == 0 ? (const void *) (fs + i)
        : (const void *) (hs + i), d + i, n - i, p);
  return non_finite;
}

AVX2_F16C_FMA static uint64_t
apply_contig_f32_f16_fma (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  return apply_f16_shortcut_avx2 (in, out, n, p, 0, apply_contig_f32_f16);
}

AVX2_F16C_FMA static uint64_t
apply_contig_f16_f16_fma (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  return apply_f16_shortcut_avx2 (in, out, n, p, 1, apply_contig_f16_f16);
}

AVX2_F16C_FMA static uint64_t
apply_contig_s16_f16_fma (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  return apply_f16_shortcut_avx2 (in, out, n, p, 2, apply_contig_s16_f16);
}

AVX2_F16C_FMA static uint64_t
apply_contig_u16_f16_fma (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  return apply_f16_shortcut_avx2 (in, out, n, p, 3, apply_contig_u16_f16);
}

/* The F16 kernels with AVX-512: 16 samples an iteration, the same steps.
 * Multiplies and adds go through the _round_ intrinsics, which the
 * compiler does not contract into FMAs (this target has FMA; C rounds
 * each step). */
AVX512 INLINE __m512d
round_to_half_avx512 (__m512d v)
{
  const __m512d sign = _mm512_set1_pd (-0.0);
  const __m512d exponent = _mm512_castsi512_pd (_mm512_set1_epi64
      (0x7ff0000000000000LL));
  __m512d a = _mm512_min_pd (_mm512_andnot_pd (sign, v),
      _mm512_set1_pd (65536.0));
  __m512d big = _mm512_max_pd (_mm512_mul_round_pd (_mm512_and_pd (a,
              exponent), _mm512_set1_pd (0x1.8p42),
          _MM_FROUND_CUR_DIRECTION), _mm512_set1_pd (0x1.8p28));
  __m512d r = _mm512_sub_round_pd (_mm512_add_round_pd (a, big,
          _MM_FROUND_CUR_DIRECTION), big, _MM_FROUND_CUR_DIRECTION);
  return _mm512_or_pd (r, _mm512_and_pd (v, sign));
}

/* C's steps in double, clamped: ((x - c) * a + b, v < lo ? lo : v, then
 * v > hi ? hi : v); for non-finite x the caller blends nf in */
AVX512 INLINE __m512d
affine8_double_avx512 (__m512d x, __m512d c, __m512d a, __m512d b,
    __m512d lo, __m512d hi)
{
  __m512d v = _mm512_add_round_pd (_mm512_mul_round_pd (_mm512_sub_round_pd
          (x, c, _MM_FROUND_CUR_DIRECTION), a, _MM_FROUND_CUR_DIRECTION), b,
      _MM_FROUND_CUR_DIRECTION);
  return _mm512_min_pd (hi, _mm512_max_pd (lo, v));
}

/* 16 doubles, each already a half, as 16 halves */
AVX512 INLINE __m256i
halves16 (__m512d lo, __m512d hi)
{
  return _mm512_cvtps_ph (_mm512_insertf32x8 (_mm512_castps256_ps512
          (_mm512_cvtpd_ps (lo)), _mm512_cvtpd_ps (hi), 1),
      _MM_FROUND_TO_NEAREST_INT);
}

/* Halves in single precision where they are C's: v = fma (x - cf, af, bf)
 * (r128norm_half_shortcut) differs from C's double result d by at most
 *   delta = 2^-21 |v| + k,   k = 2^-21 |bf| + 2^-49 (|b| + |a c|).
 * Each float step errs by at most u = 2^-24 of its result: the rounding of
 * x - cf and of a to af by u |(x - cf) a| each, of bf by u |bf|, the fma's
 * by u |v|; and |(x - cf) af| <= |v| / (1 - u) + |bf| (the fma is exact
 * before it rounds), so 3u (|v| + |bf|) and a little more bounds them;
 * 2^-21 is 8u.  k's second term holds the double steps' errors (2^-53 of
 * their results) and C's rounding of b - a (c - cf).  Underflow and flushed
 * subnormals err by at most 2^-126 |a| < 2^-66, below what the |v| term
 * leaves over (|v| >= 2^-14).  When v is in half's normal range (and below
 * 65000: no clamp) and no point halfway between two halves lies within
 * delta of it, d rounds to the same half as v, which vcvtps2ph gives.  The
 * halfway points of v's binade are where the 13 float bits below half's
 * precision read 0x1000, |bits - 0x1000| float ulps of v away; those of
 * the binades around it are at least 2048 ulps away, and delta must be
 * under 1024.  Where v is farther than delta beyond 65504, so is d, which
 * C clamps to +-65504.  Returns the lanes that pass; the caller takes C's
 * double steps for a vector with any other. */
AVX512 INLINE __mmask16
half_shortcut16 (__m512 x, __m512 cf, __m512 af, __m512 bf, __m512 k,
    __m256i *halves)
{
  const __m512 sign = _mm512_set1_ps (-0.0f);
  const __m512 t = _mm512_sub_ps (x, cf);
  const __m512 v = _mm512_fmadd_ps (t, af, bf);
  const __m512 av = _mm512_andnot_ps (sign, v);
  const __m512 delta = _mm512_fmadd_ps (av, _mm512_set1_ps (0x1p-21f), k);
  const __m512i bits = _mm512_castps_si512 (v);
  const __m512 ulp = _mm512_mul_ps (_mm512_castsi512_ps (_mm512_and_si512
          (bits, _mm512_set1_epi32 (0x7f800000))), _mm512_set1_ps (0x1p-23f));
  const __m512 dist = _mm512_mul_ps (_mm512_cvtepi32_ps (_mm512_abs_epi32
          (_mm512_sub_epi32 (_mm512_and_si512 (bits, _mm512_set1_epi32
                      (0x1fff)), _mm512_set1_epi32 (0x1000)))), ulp);
  const __m512 top = _mm512_set1_ps (65504.0f);
  __mmask16 ok = _mm512_cmp_ps_mask (av, _mm512_set1_ps (0x1p-14f),
      _CMP_GE_OQ);

  ok = _mm512_mask_cmp_ps_mask (ok, av, _mm512_set1_ps (65000.0f),
      _CMP_LE_OQ);
  ok = _mm512_mask_cmp_ps_mask (ok, delta, dist, _CMP_LT_OQ);
  ok = _mm512_mask_cmp_ps_mask (ok, delta, _mm512_mul_ps (ulp,
          _mm512_set1_ps (1024.0f)), _CMP_LE_OQ);
  /* and where d is beyond the largest half too, C's clamp gives it */
  ok |= _mm512_cmp_ps_mask (_mm512_sub_ps (av, delta), top, _CMP_GT_OQ);
  *halves = _mm512_cvtps_ph (_mm512_min_ps (_mm512_max_ps (v,
              _mm512_sub_ps (_mm512_setzero_ps (), top)), top),
      _MM_FROUND_TO_NEAREST_INT);
  return ok;
}

/* One channel's shortcut parameters as vectors (on: it applies) */
typedef struct {
  int on;
  __m512 cf, af, bf, k;
} half_shortcut;

AVX512 INLINE half_shortcut
half_shortcut_of (const r128norm_affine *p)
{
  float cf = 0, af = 0, bf = 0, k = 0;
  half_shortcut hs;

  hs.on = r128norm_half_shortcut (p, &cf, &af, &bf, &k);
  hs.cf = _mm512_set1_ps (cf);
  hs.af = _mm512_set1_ps (af);
  hs.bf = _mm512_set1_ps (bf);
  hs.k = _mm512_set1_ps (k);
  return hs;
}

/* Stores the 16 halves of x at dst and returns 1 where the shortcut gives
 * C's halves for all of them; else stores nothing and returns 0. */
AVX512 INLINE int
half_shortcut_store (__m512 x, const half_shortcut *hs, uint16_t *dst)
{
  __m256i h;

  if (!hs->on || half_shortcut16 (x, hs->cf, hs->af, hs->bf, hs->k, &h)
      != 0xffff)
    return 0;
  _mm256_storeu_si256 ((__m256i *) dst, h);
  return 1;
}

/* F32 or F16 in, F16 or F32 out; NaN and infinities (vfpclassps) become
 * nf, the tail goes through C.  F16 output takes the single precision
 * shortcut where it gives C's halves. */
AVX512 INLINE uint64_t
apply_float_f16_avx512 (const void *in, void *out, size_t n,
    const r128norm_affine *p, const int HALF_IN, const int HALF_OUT)
{
  const __m512d c = _mm512_set1_pd (p->c), a = _mm512_set1_pd (p->a);
  const __m512d b = _mm512_set1_pd (p->b), lo = _mm512_set1_pd (p->lo);
  const __m512d hi = _mm512_set1_pd (p->hi);
  const __m512d nf = _mm512_set1_pd (p->non_finite);
  const uint16_t *hs = in;
  const float *fs = in;
  uint16_t *hd = out;
  float *fd = out;
  uint64_t non_finite = 0;
  size_t i = 0;
  half_shortcut sc;

  sc = half_shortcut_of (p);
  sc.on &= HALF_OUT;
  for (; i + 16 <= n; i += 16) {
    __m512 x = HALF_IN ? _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i
                *) (hs + i))) : _mm512_loadu_ps (fs + i);
    __mmask16 bad;
    if (half_shortcut_store (x, &sc, hd + i))
      continue;
    bad = _mm512_fpclass_ps_mask (x, 0x99);
    __m512d v0 = affine8_double_avx512 (_mm512_cvtps_pd
        (_mm512_castps512_ps256 (x)), c, a, b, lo, hi);
    __m512d v1 = affine8_double_avx512 (_mm512_cvtps_pd
        (_mm512_extractf32x8_ps (x, 1)), c, a, b, lo, hi);
    v0 = _mm512_mask_blend_pd ((__mmask8) bad, v0, nf);
    v1 = _mm512_mask_blend_pd ((__mmask8) (bad >> 8), v1, nf);
    non_finite += (uint64_t) __builtin_popcount (bad);
    if (HALF_OUT)
      _mm256_storeu_si256 ((__m256i *) (hd + i), halves16
          (round_to_half_avx512 (v0), round_to_half_avx512 (v1)));
    else
      _mm512_storeu_ps (fd + i, _mm512_insertf32x8 (_mm512_castps256_ps512
              (_mm512_cvtpd_ps (v0)), _mm512_cvtpd_ps (v1), 1));
  }
  /* the tail: the AVX2 kernel (the same bits), which leaves C its own */
  return non_finite + (HALF_IN && HALF_OUT ? apply_contig_f16_f16 : HALF_IN
      ? apply_contig_f16_f32 : apply_contig_f32_f16) (HALF_IN ? (const void *)
      (hs + i) : (const void *) (fs + i), HALF_OUT ? (void *) (hd + i)
      : (void *) (fd + i), n - i, p);
}

AVX512 static uint64_t
apply_contig_f32_f16_avx512 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  return apply_float_f16_avx512 (in, out, n, p, 0, 1);
}

AVX512 static uint64_t
apply_contig_f16_f16_avx512 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  return apply_float_f16_avx512 (in, out, n, p, 1, 1);
}

AVX512 static uint64_t
apply_contig_f16_f32_avx512 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  return apply_float_f16_avx512 (in, out, n, p, 1, 0);
}

AVX512 INLINE uint64_t
apply_int16_f16_avx512 (const void *in, void *out, size_t n,
    const r128norm_affine *p, const int SIGNED)
{
  const __m512d c = _mm512_set1_pd (p->c), a = _mm512_set1_pd (p->a);
  const __m512d b = _mm512_set1_pd (p->b), lo = _mm512_set1_pd (p->lo);
  const __m512d hi = _mm512_set1_pd (p->hi);
  const uint16_t *s = in;
  uint16_t *d = out;
  size_t i = 0;
  const half_shortcut sc = half_shortcut_of (p);

  for (; i + 16 <= n; i += 16) {
    __m256i x16 = _mm256_loadu_si256 ((const __m256i *) (s + i));
    __m512i x32 = SIGNED ? _mm512_cvtepi16_epi32 (x16)
        : _mm512_cvtepu16_epi32 (x16);
    /* the samples are floats exactly */
    if (half_shortcut_store (_mm512_cvtepi32_ps (x32), &sc, d + i))
      continue;
    __m512d v0 = affine8_double_avx512 (_mm512_cvtepi32_pd
        (_mm512_castsi512_si256 (x32)), c, a, b, lo, hi);
    __m512d v1 = affine8_double_avx512 (_mm512_cvtepi32_pd
        (_mm512_extracti64x4_epi64 (x32, 1)), c, a, b, lo, hi);
    _mm256_storeu_si256 ((__m256i *) (d + i), halves16 (round_to_half_avx512
            (v0), round_to_half_avx512 (v1)));
  }
  /* the tail: the AVX2 kernel, as above */
  return (SIGNED ? apply_contig_s16_f16 : apply_contig_u16_f16) (s + i, d + i,
      n - i, p);
}

AVX512 static uint64_t
apply_contig_s16_f16_avx512 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  return apply_int16_f16_avx512 (in, out, n, p, 1);
}

AVX512 static uint64_t
apply_contig_u16_f16_avx512 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  return apply_int16_f16_avx512 (in, out, n, p, 0);
}

/* u8 to F16 by table: the library fills r128norm_affine.lut with the C
 * kernel's 256 outputs once a buffer (wants_lut), so each sample is one
 * lookup, any step, C's result exactly. */
static uint64_t
apply_u8_f16 (const void *in, ptrdiff_t in_step, void *out,
    ptrdiff_t out_step, size_t n, const r128norm_affine *p)
{
  const uint8_t *s = in;
  uint8_t *d = out;
  ptrdiff_t si = 0, di = 0;     /* offsets, not pointers run past the row */
  size_t i;

  if (!p->has_lut)
    return c_set (R128NORM_FORMAT_U8, R128NORM_FORMAT_F16).apply (in,
        in_step, out, out_step, n, p);
  for (i = 0; i < n; i++, si += in_step, di += out_step)
    memcpy (d + di, p->lut + 2 * s[si], 2);
  return 0;
}

static uint64_t
apply_contig_u8_f16 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  return apply_u8_f16 (in, 1, out, 2, n, p);
}

/* r128norm_affine.lut_single from the table: the map of the kernels
 * that follow on all 256 values, 8 at a time (the same instructions, so the
 * same bits), each half compared with the table's: 0.03 us a channel,
 * where fmaf and a scalar rounding took about 1 us
 * (tests/lib/test_simd_kernels.c has that model and checks this against
 * it).  A value differs when the float result and
 * C's double one round to different halves: in about 3 % of random
 * normalizations of u8 video one value of the 256 does. */
AVX2_F16C_FMA static void
check_u8_f16_single (r128norm_affine *p)
{
  const __m256 cf = _mm256_set1_ps (p->cf), af = _mm256_set1_ps (p->af);
  const __m256 bf = _mm256_set1_ps (p->bf), lof = _mm256_set1_ps (p->lof);
  const __m256 hif = _mm256_set1_ps (p->hif);
  const __m256i iota = _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7);
  unsigned x, fixes = 0, differ;

  p->lut_single = 0;
  for (x = 0; x < 256; x += 8) {
    const __m128i h = _mm256_cvtps_ph (u8_half_map8 (_mm256_add_epi32 (iota,
                _mm256_set1_epi32 ((int) x)), cf, af, bf, lof, hif),
        _MM_FROUND_TO_NEAREST_INT);
    /* two mask bits a half */
    differ = ~(unsigned) _mm_movemask_epi8 (_mm_cmpeq_epi16 (h,
            _mm_loadu_si128 ((const __m128i *) (p->lut + 2 * x)))) & 0xffff;
    while (differ) {
      const unsigned lane = (unsigned) __builtin_ctz (differ) / 2;
      if (fixes == 2)
        return;
      p->lut_fix[fixes++] = (uint8_t) (x + lane);
      differ &= ~(3u << (2 * lane));
    }
  }
  p->lut_single = 1;
  p->lut_fixes = fixes;
  /* one value repeated: the kernels compare with both */
  if (fixes == 1)
    p->lut_fix[1] = p->lut_fix[0];
}

/* u8 to F16 without VBMI (AVX2, F16C, FMA), where the table is the single
 * precision map's (r128norm_affine.lut_single, checked for all 256 values
 * once a buffer): the map computed 8 samples at a time, fma (x - cf, af,
 * bf) clamped to [lof, hif], rounded once to half by vcvtps2ph, so the
 * same bits as the lookup; the one or two values where the map's half is
 * not C's (FIX: about 3 % of maps have one) are compared for and taken
 * from the table.  The input 1 to 4 bytes a sample, the output a plane
 * (chw, 2 bytes a sample); other layouts, maps that differ in more
 * values, and the last samples of a row, go through the scalar lookup.
 * (A gather from the table was slower than scalar lookups on Zen 5.) */
AVX2_F16C_FMA INLINE size_t
u8_f16_single_body (const uint8_t *s, uint16_t *d, unsigned step, size_t n,
    const r128norm_affine *p, const int FIX)
{
  const __m256 cf = _mm256_set1_ps (p->cf), af = _mm256_set1_ps (p->af);
  const __m256 bf = _mm256_set1_ps (p->bf), lof = _mm256_set1_ps (p->lof);
  const __m256 hif = _mm256_set1_ps (p->hif);
  __m256i fix[2];
  __m256 fixed[2];
  __m128i mlo, mhi;
  uint8_t pick_lo[16], pick_hi[16];
  size_t i = 0;
  unsigned j;

  for (j = 0; FIX && j < 2; j++) {
    uint16_t h;
    memcpy (&h, p->lut + 2 * p->lut_fix[j], sizeof h);
    fix[j] = _mm256_set1_epi32 (p->lut_fix[j]);
    fixed[j] = _mm256_set1_ps (r128norm_half_to_float (h));
  }
  /* 8 samples' bytes (8 step bytes from a sample) from two 16-byte
   * loads, at 0 and at 8 step - 16 (steps 3 and 4): sample j from the
   * first where its byte lies in it, else from the second; a pshufb
   * index with the top bit set gives 0 */
  for (j = 0; j < 16; j++) {
    const unsigned at = step * j, second = 8 * step - 16;
    pick_lo[j] = j < 8 && at < 16 ? (uint8_t) at : 0x80;
    pick_hi[j] = j < 8 && at >= 16 ? (uint8_t) (at - second) : 0x80;
  }
  mlo = _mm_loadu_si128 ((const __m128i *) pick_lo);
  mhi = _mm_loadu_si128 ((const __m128i *) pick_hi);
  /* a step reads up to step - 1 bytes past its last sample's, short of
   * the next sample's: that one must exist */
  for (; i + 8 + (step > 1) <= n; i += 8) {
    const uint8_t *src = s + step * i;
    __m128i bytes;
    __m256i x;
    __m256 v;

    if (step == 1) {
      bytes = _mm_loadl_epi64 ((const __m128i *) src);
    } else {
      bytes = _mm_shuffle_epi8 (_mm_loadu_si128 ((const __m128i *) src),
          mlo);
      if (step > 2)
        bytes = _mm_or_si128 (bytes, _mm_shuffle_epi8 (_mm_loadu_si128
                ((const __m128i *) (src + 8 * step - 16)), mhi));
    }
    x = _mm256_cvtepu8_epi32 (bytes);
    v = u8_half_map8 (x, cf, af, bf, lof, hif);
    if (FIX)
      v = u8_half_fix8 (v, x, fix[0], fixed[0], fix[1], fixed[1]);
    _mm_storeu_si128 ((__m128i *) (d + i), _mm256_cvtps_ph (v,
            _MM_FROUND_TO_NEAREST_INT));
  }
  return i;
}

AVX2_F16C_FMA static uint64_t
apply_u8_f16_avx2 (const void *in, ptrdiff_t in_step, void *out,
    ptrdiff_t out_step, size_t n, const r128norm_affine *p)
{
  const uint8_t *s = in;
  uint16_t *d = out;
  const unsigned step = (unsigned) in_step;
  size_t i;

  if (!p->has_lut || !p->lut_single || in_step < 1 || in_step > 4
      || out_step != 2)
    return apply_u8_f16 (in, in_step, out, out_step, n, p);
  i = p->lut_fixes ? u8_f16_single_body (s, d, step, n, p, 1)
      : u8_f16_single_body (s, d, step, n, p, 0);
  if (i < n)
    apply_u8_f16 (s + step * i, in_step, d + i, out_step, n - i, p);
  return 0;
}

AVX2_F16C_FMA static uint64_t
apply_contig_u8_f16_avx2 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  return apply_u8_f16_avx2 (in, 1, out, 2, n, p);
}

/* u8 to F16 by table with AVX-512 VBMI, 64 samples a step: the input 1
 * to 4 bytes a sample (a plane, or one channel of RGB, RGBx or a
 * two-channel plane), the output 1 to 4 halves a sample (a chw plane, or
 * one channel of an hwc tensor of up to 4 channels).  The table's low and
 * high bytes are looked up apart, each as u8 -> u8 is (two 128-entry
 * permutes and a blend on the index's top bit), and a permute pairs them
 * into halves.  Output halves between samples (the other channels') are
 * left alone by masked stores.  Other steps, and the last samples of a
 * row, go through apply_u8_f16: the same table, so the same bits. */
AVX512VBMI static uint64_t
apply_u8_f16_vbmi (const void *in, ptrdiff_t in_step, void *out,
    ptrdiff_t out_step, size_t n, const r128norm_affine *p)
{
  static const uint8_t iota[64] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
    32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
    48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63
  };
  const uint8_t *s = in;
  uint16_t *d = out;
  const unsigned step = (unsigned) in_step, m = (unsigned) out_step / 2;
  __m512i lo[4], hi[4], bytes, even, pair0, pair1, spread[8];
  __mmask32 spread_mask[8];
  size_t i = 0;
  unsigned k, v;

  if (!p->has_lut || in_step < 1 || in_step > 4 || out_step < 2
      || out_step > 8 || out_step % 2)
    return apply_u8_f16 (in, in_step, out, out_step, n, p);
  bytes = _mm512_loadu_si512 (iota);
  even = _mm512_add_epi8 (bytes, bytes);
  /* the table's 256 halves (512 bytes) as its low and its high bytes */
  for (k = 0; k < 4; k++) {
    __m512i a = _mm512_loadu_si512 (p->lut + 128 * k);
    __m512i b = _mm512_loadu_si512 (p->lut + 128 * k + 64);
    lo[k] = _mm512_permutex2var_epi8 (a, even, b);
    hi[k] = _mm512_permutex2var_epi8 (a, _mm512_add_epi8 (even,
            _mm512_set1_epi8 (1)), b);
  }
  /* byte 2 j of pair0 takes low byte j (j < 32), byte 2 j + 1 high byte
   * j (index 64 + j); pair1 the same for j + 32 */
  pair0 = _mm512_or_si512 (_mm512_and_si512 (_mm512_srli_epi16 (bytes, 1),
          _mm512_set1_epi8 (0x7f)), _mm512_slli_epi16 (_mm512_and_si512
          (bytes, _mm512_set1_epi8 (1)), 6));
  pair1 = _mm512_add_epi8 (pair0, _mm512_set1_epi8 (32));
  /* sample j of a step at byte step * j (at most 252) */
  bytes = _mm512_setzero_si512 ();
  for (k = 0; k < step; k++)
    bytes = _mm512_add_epi8 (bytes, _mm512_loadu_si512 (iota));
  /* output vector v of a step: half w = 32 v + j is sample w / m where
   * w % m == 0 (w / m = (w * 21846) >> 16 for m = 3, w < 256) */
  for (v = 0; m > 1 && v < 2 * m; v++) {
    __m512i w = _mm512_add_epi16 (_mm512_cvtepu8_epi16 (_mm256_loadu_si256
            ((const __m256i *) iota)), _mm512_set1_epi16 ((short) (32 * v)));
    __m512i q = m == 2 ? _mm512_srli_epi16 (w, 1) : m == 4
        ? _mm512_srli_epi16 (w, 2) : _mm512_mulhi_epu16 (w,
        _mm512_set1_epi16 (21846));
    spread[v] = q;
    spread_mask[v] = _mm512_cmpeq_epi16_mask (w, _mm512_mullo_epi16 (q,
            _mm512_set1_epi16 ((short) m)));
  }
  /* a step reads up to step - 1 bytes past its last sample's, short of
   * the next sample's: that one must exist */
  for (; i + 64 + (step > 1) <= n; i += 64) {
    const uint8_t *src = s + step * i;
    __m512i x, l, h, w0, w1;
    __mmask64 top;

    if (step == 1) {
      x = _mm512_loadu_si512 (src);
    } else {
      __m512i z0 = _mm512_loadu_si512 (src);
      __m512i z1 = _mm512_loadu_si512 (src + 64);
      x = _mm512_permutex2var_epi8 (z0, bytes, z1);
      if (step > 2) {
        __m512i z2 = _mm512_loadu_si512 (src + 128);
        __m512i z3 = step == 4 ? _mm512_loadu_si512 (src + 192) : z2;
        x = _mm512_mask_blend_epi8 (_mm512_movepi8_mask (bytes), x,
            _mm512_permutex2var_epi8 (z2, bytes, z3));
      }
    }
    top = _mm512_movepi8_mask (x);
    l = lookup64_u8 (x, top, lo);
    h = lookup64_u8 (x, top, hi);
    w0 = _mm512_permutex2var_epi8 (l, pair0, h);
    w1 = _mm512_permutex2var_epi8 (l, pair1, h);
    if (m == 1) {
      _mm512_storeu_si512 (d + i, w0);
      _mm512_storeu_si512 (d + i + 32, w1);
    } else {
      for (v = 0; v < 2 * m; v++)
        _mm512_mask_storeu_epi16 (d + m * i + 32 * v, spread_mask[v],
            _mm512_permutex2var_epi16 (w0, spread[v], w1));
    }
  }
  return apply_u8_f16 (s + step * i, in_step, d + m * i, out_step, n - i, p);
}

AVX512VBMI static uint64_t
apply_contig_u8_f16_vbmi (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  return apply_u8_f16_vbmi (in, 1, out, 2, n, p);
}

/* n halves as floats (exactly) */
AVX2_F16C INLINE void
widen_halves (const uint16_t *s, size_t n, float *dst)
{
  size_t j;

  for (j = 0; j + 8 <= n; j += 8)
    _mm256_storeu_ps (dst + j, _mm256_cvtph_ps (_mm_loadu_si128
            ((const __m128i *) (s + j))));
  for (; j < n; j++) {
    uint16_t h;                 /* rows of halves need not be aligned */
    memcpy (&h, s + j, sizeof h);
    dst[j] = r128norm_half_to_float (h);
  }
}

/* F16 statistics: blocks of halves widened to floats (exactly) and summed
 * by the F32 kernel the CPU has. */
AVX2_F16C INLINE void
stats_contig_f16_via (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc, r128norm_stats_contig_fn f32_stats)
{
  const uint16_t *s = in;
  float block[256];
  size_t i = 0;

  while (i < n) {
    size_t len = n - i < 256 ? n - i : 256;
    widen_halves (s + i, len, block);
    f32_stats (block, len, clip, acc);
    i += len;
  }
}

AVX2_F16C static void
stats_contig_f16 (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  stats_contig_f16_via (in, n, clip, acc, stats_contig_f32);
}

AVX2_F16C static void
stats_contig_f16_fma (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  stats_contig_f16_via (in, n, clip, acc, stats_contig_f32_fma);
}

AVX2_F16C static void
stats_contig_f16_avx512 (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  stats_contig_f16_via (in, n, clip, acc, stats_contig_f32_avx512);
}

/* Strided rows (a channel of an hwc tensor, of interleaved audio the
 * packed rows do not take): blocks of samples gathered into a contiguous
 * row, through the contiguous kernel, and scattered back.  For halves the
 * C kernels are 5 times slower (a conversion call a sample), for F32
 * statistics 3 times, for F64 (a chain of dependent additions) 6 times. */
#define STRIDED_BLOCK 256

INLINE void
gather (const uint8_t *s, ptrdiff_t step, size_t n, uint8_t *dst,
    const size_t SIZE)
{
  ptrdiff_t si = 0;
  size_t i;

  for (i = 0; i < n; i++, si += step)
    memcpy (dst + i * SIZE, s + si, SIZE);
}

INLINE void
scatter (const uint8_t *src, size_t n, uint8_t *d, ptrdiff_t step,
    const size_t SIZE)
{
  ptrdiff_t di = 0;
  size_t i;

  for (i = 0; i < n; i++, di += step)
    memcpy (d + di, src + i * SIZE, SIZE);
}

INLINE void
stats_strided_via (const void *in, ptrdiff_t step, size_t n,
    const r128norm_clip *clip, r128norm_acc *acc,
    r128norm_stats_contig_fn contig, const size_t SIZE)
{
  const uint8_t *s = in;
  double block[STRIDED_BLOCK];  /* 8-byte samples at most */
  size_t i = 0;

  while (i < n) {
    size_t len = n - i < STRIDED_BLOCK ? n - i : STRIDED_BLOCK;
    gather (s + (ptrdiff_t) i * step, step, len, (uint8_t *) block, SIZE);
    contig (block, len, clip, acc);
    i += len;
  }
}

INLINE uint64_t
apply_strided_via (const void *in, ptrdiff_t in_step, void *out,
    ptrdiff_t out_step, size_t n, const r128norm_affine *p,
    r128norm_apply_contig_fn contig, const size_t IN_SIZE,
    const size_t OUT_SIZE)
{
  const uint8_t *s = in;
  uint8_t *d = out;
  double ib[STRIDED_BLOCK], ob[STRIDED_BLOCK]; /* 8-byte samples at most */
  uint64_t non_finite = 0;
  size_t i = 0;

  while (i < n) {
    size_t len = n - i < STRIDED_BLOCK ? n - i : STRIDED_BLOCK;
    gather (s + (ptrdiff_t) i * in_step, in_step, len, (uint8_t *) ib,
        IN_SIZE);
    non_finite += contig (ib, ob, len, p);
    scatter ((const uint8_t *) ob, len, d + (ptrdiff_t) i * out_step,
        out_step, OUT_SIZE);
    i += len;
  }
  return non_finite;
}

#define DEFINE_STATS_STRIDED(FORMAT, SUFFIX, SIZE)                        \
  static void                                                             \
  stats_##FORMAT##SUFFIX (const void *in, ptrdiff_t step, size_t n,       \
      const r128norm_clip *clip, r128norm_acc *acc)                       \
  {                                                                       \
    stats_strided_via (in, step, n, clip, acc,                            \
        stats_contig_##FORMAT##SUFFIX, SIZE);                             \
  }

DEFINE_STATS_STRIDED (f16, , 2)
DEFINE_STATS_STRIDED (f16, _fma, 2)
DEFINE_STATS_STRIDED (f16, _avx512, 2)
DEFINE_STATS_STRIDED (f32, , 4)
DEFINE_STATS_STRIDED (f32, _fma, 4)
DEFINE_STATS_STRIDED (f32, _avx512, 4)

#define DEFINE_APPLY_STRIDED(PAIR, IN_SIZE, OUT_SIZE)                     \
  static uint64_t                                                         \
  apply_##PAIR (const void *in, ptrdiff_t in_step, void *out,             \
      ptrdiff_t out_step, size_t n, const r128norm_affine *p)             \
  {                                                                       \
    return apply_strided_via (in, in_step, out, out_step, n, p,           \
        apply_contig_##PAIR, IN_SIZE, OUT_SIZE);                          \
  }                                                                       \
  static uint64_t                                                         \
  apply_##PAIR##_avx512 (const void *in, ptrdiff_t in_step, void *out,    \
      ptrdiff_t out_step, size_t n, const r128norm_affine *p)             \
  {                                                                       \
    return apply_strided_via (in, in_step, out, out_step, n, p,           \
        apply_contig_##PAIR##_avx512, IN_SIZE, OUT_SIZE);                 \
  }

DEFINE_APPLY_STRIDED (f16_f16, 2, 2)
DEFINE_APPLY_STRIDED (f16_f32, 2, 4)
DEFINE_APPLY_STRIDED (f32_f16, 4, 2)
DEFINE_APPLY_STRIDED (s16_f16, 2, 2)
DEFINE_APPLY_STRIDED (u16_f16, 2, 2)

/* and through the AVX2 single precision shortcut (FMA) */
#define DEFINE_APPLY_STRIDED_FMA(PAIR, IN_SIZE, OUT_SIZE)                 \
  static uint64_t                                                         \
  apply_##PAIR##_fma (const void *in, ptrdiff_t in_step, void *out,       \
      ptrdiff_t out_step, size_t n, const r128norm_affine *p)             \
  {                                                                       \
    return apply_strided_via (in, in_step, out, out_step, n, p,           \
        apply_contig_##PAIR##_fma, IN_SIZE, OUT_SIZE);                    \
  }

DEFINE_APPLY_STRIDED_FMA (f16_f16, 2, 2)
DEFINE_APPLY_STRIDED_FMA (f32_f16, 4, 2)
DEFINE_APPLY_STRIDED_FMA (s16_f16, 2, 2)
DEFINE_APPLY_STRIDED_FMA (u16_f16, 2, 2)

/* Packed F16 rows (an hwc float16 tensor, in place): blocks of whole
 * position patterns widened to floats (exactly), summed by the packed F32
 * kernel; the output from C's double steps with each position's
 * parameters, rounded once to half, and the samples of untouched
 * positions written back as they were. */
#define HALF_BLOCK 512

AVX2_F16C __attribute__ ((noinline)) static void
packed_half_apply (const uint16_t *src, uint16_t *dst, const float *x,
    size_t n, const r128norm_packed_fparams *fp, int count,
    uint64_t *non_finite, unsigned pos)
{
  const unsigned m = 8 * fp->nph;
  size_t i = 0;

  /* 8 samples from a multiple of 8: positions pos..pos + 7, one pattern */
  for (; i + 8 <= n; i += 8, pos = pos + 8 == m ? 0 : pos + 8) {
    const __m256 xv = _mm256_loadu_ps (x + i);
    const int bad = _mm256_movemask_ps (_mm256_cmp_ps (_mm256_sub_ps (xv,
                xv), _mm256_setzero_ps (), _CMP_NEQ_UQ));
    const __m128i keep = _mm_packs_epi32 (_mm_loadu_si128 ((const __m128i *)
            (fp->keep + pos)), _mm_loadu_si128 ((const __m128i *) (fp->keep
                + pos + 4)));
    __m256d x0, x1, v0, v1;
    int e;

    widen8 (xv, &x0, &x1);
    v0 = affine4_float (x0, _mm256_loadu_pd (fp->c + pos), _mm256_loadu_pd
        (fp->a + pos), _mm256_loadu_pd (fp->b + pos), _mm256_loadu_pd
        (fp->lo + pos), _mm256_loadu_pd (fp->hi + pos), _mm256_loadu_pd
        (fp->nfv + pos));
    v1 = affine4_float (x1, _mm256_loadu_pd (fp->c + pos + 4),
        _mm256_loadu_pd (fp->a + pos + 4), _mm256_loadu_pd (fp->b + pos + 4),
        _mm256_loadu_pd (fp->lo + pos + 4), _mm256_loadu_pd (fp->hi + pos
            + 4), _mm256_loadu_pd (fp->nfv + pos + 4));
    if (__builtin_expect (bad && count, 0))
      for (e = 0; e < 8; e++)
        non_finite[pos + e] += (uint64_t) ((bad >> e) & 1);
    _mm_storeu_si128 ((__m128i *) (dst + i), _mm_blendv_epi8 (halves8
            (round_to_half (v0), round_to_half (v1)), _mm_loadu_si128
            ((const __m128i *) (src + i)), keep));
  }
  for (; i < n; i++, pos++) {
    double v = x[i];
    uint16_t h;
    if (fp->keep[pos])
      continue;                 /* in place: the sample stays */
    if (v - v == 0.0) {
      v = (v - fp->c[pos]) * fp->a[pos] + fp->b[pos];
      v = v < fp->lo[pos] ? fp->lo[pos] : v;
      v = v > fp->hi[pos] ? fp->hi[pos] : v;
    } else {
      v = fp->nfv[pos];
      non_finite[pos] += (uint64_t) count;
    }
    h = r128norm_double_to_half (v);
    memcpy (dst + i, &h, sizeof h);
  }
}

/* The same with the single precision shortcut (fp->half_shortcut, AVX2
 * with FMA): 8 samples through half_shortcut8 with their positions'
 * parameters where every lane passes or is written back, else through
 * packed_half_apply's double steps (never inlined here, where the compiler
 * would contract them). */
AVX2_F16C_FMA static void
packed_half_apply_fma (const uint16_t *src, uint16_t *dst, const float *x,
    size_t n, const r128norm_packed_fparams *fp, int count,
    uint64_t *non_finite)
{
  const unsigned m = 8 * fp->nph;
  unsigned pos = 0;
  size_t i = 0;

  for (; i + 8 <= n; i += 8, pos = pos + 8 == m ? 0 : pos + 8) {
    const __m256i keep32 = _mm256_loadu_si256 ((const __m256i *) (fp->keep
            + pos));
    __m128i h;
    if ((half_shortcut8 (_mm256_loadu_ps (x + i), _mm256_loadu_ps (fp->cf
                    + pos), _mm256_loadu_ps (fp->af + pos),
                _mm256_loadu_ps (fp->bf + pos), _mm256_loadu_ps (fp->hk
                    + pos), &h) | _mm256_movemask_ps (_mm256_castsi256_ps
                (keep32))) == 0xff) {
      const __m128i keep = _mm_packs_epi32 (_mm256_castsi256_si128 (keep32),
          _mm256_extracti128_si256 (keep32, 1));
      _mm_storeu_si128 ((__m128i *) (dst + i), _mm_blendv_epi8 (h,
              _mm_loadu_si128 ((const __m128i *) (src + i)), keep));
    } else {
      packed_half_apply (src + i, dst + i, x + i, 8, fp, count, non_finite,
          pos);
    }
  }
  if (i < n)
    packed_half_apply (src + i, dst + i, x + i, n - i, fp, count,
        non_finite, pos);
}

/* The same 16 samples at a time, where the positions repeat within
 * vectors of 16 (nph even). */
AVX512 static void
packed_half_apply_avx512 (const uint16_t *src, uint16_t *dst, const float *x,
    size_t n, const r128norm_packed_fparams *fp, int count,
    uint64_t *non_finite)
{
  const unsigned m = 8 * fp->nph;
  unsigned pos = 0;
  size_t i = 0;

  for (; i + 16 <= n; i += 16, pos = pos + 16 == m ? 0 : pos + 16) {
    const __m512 xv = _mm512_loadu_ps (x + i);
    const __m512i keep32 = _mm512_loadu_si512 (fp->keep + pos);
    const __m256i keep = _mm512_cvtepi32_epi16 (keep32);
    __mmask16 bad;
    if (fp->half_shortcut) {
      /* the samples written back need not pass */
      __m256i h;
      if ((half_shortcut16 (xv, _mm512_loadu_ps (fp->cf + pos),
                  _mm512_loadu_ps (fp->af + pos), _mm512_loadu_ps (fp->bf
                      + pos), _mm512_loadu_ps (fp->hk + pos), &h)
              | _mm512_movepi32_mask (keep32)) == 0xffff) {
        _mm256_storeu_si256 ((__m256i *) (dst + i), _mm256_blendv_epi8 (h,
                _mm256_loadu_si256 ((const __m256i *) (src + i)), keep));
        continue;
      }
    }
    bad = _mm512_fpclass_ps_mask (xv, 0x99);
    __m512d v0 = affine8_double_avx512 (_mm512_cvtps_pd
        (_mm512_castps512_ps256 (xv)), _mm512_loadu_pd (fp->c + pos),
        _mm512_loadu_pd (fp->a + pos), _mm512_loadu_pd (fp->b + pos),
        _mm512_loadu_pd (fp->lo + pos), _mm512_loadu_pd (fp->hi + pos));
    __m512d v1 = affine8_double_avx512 (_mm512_cvtps_pd
        (_mm512_extractf32x8_ps (xv, 1)), _mm512_loadu_pd (fp->c + pos + 8),
        _mm512_loadu_pd (fp->a + pos + 8), _mm512_loadu_pd (fp->b + pos
            + 8), _mm512_loadu_pd (fp->lo + pos + 8), _mm512_loadu_pd (fp->hi
            + pos + 8));
    int e;

    v0 = _mm512_mask_blend_pd ((__mmask8) bad, v0, _mm512_loadu_pd (fp->nfv
            + pos));
    v1 = _mm512_mask_blend_pd ((__mmask8) (bad >> 8), v1, _mm512_loadu_pd
        (fp->nfv + pos + 8));
    if (__builtin_expect (bad && count, 0))
      for (e = 0; e < 16; e++)
        non_finite[pos + e] += (uint64_t) ((bad >> e) & 1);
    _mm256_storeu_si256 ((__m256i *) (dst + i), _mm256_blendv_epi8 (halves16
            (round_to_half_avx512 (v0), round_to_half_avx512 (v1)),
            _mm256_loadu_si256 ((const __m256i *) (src + i)), keep));
  }
  if (i < n)
    packed_half_apply (src + i, dst + i, x + i, n - i, fp, count, non_finite,
        pos);
}

AVX2_F16C static void
packed_f16 (const void *src, void *dst, size_t n,
    const r128norm_packed_fparams *fp, int sum, int apply, double *sums,
    double *sq, uint64_t *non_finite)
{
  const uint16_t *s = src;
  uint16_t *d = dst;
  const size_t m = 8 * fp->nph, block = HALF_BLOCK / m * m;
  float x[HALF_BLOCK];
  size_t i;

  for (i = 0; i < n; i += block) {
    const size_t len = n - i < block ? n - i : block;
    widen_halves (s + i, len, x);
    /* the NaN/Inf samples are counted once: by the statistics when there
     * are any, else by the apply */
    if (sum)
      packed_f32 (x, x, len, fp, 1, 0, sums, sq, non_finite);
    if (apply && fp->avx512 && m % 16 == 0)
      packed_half_apply_avx512 (s + i, d + i, x, len, fp, !sum, non_finite);
    else if (apply && fp->half_shortcut)
      packed_half_apply_fma (s + i, d + i, x, len, fp, !sum, non_finite);
    else if (apply)
      packed_half_apply (s + i, d + i, x, len, fp, !sum, non_finite, 0);
  }
}

/* ---- f64 packed rows: interleaved audio channels, per-position params -- */

__attribute__ ((noinline)) static void
packed_f64_scalar (const double *src, double *dst, size_t n, unsigned pos,
    const r128norm_packed_fparams *fp, int sum, int apply, double *sums,
    double *sq, uint64_t *non_finite)
{
  packed_float_scalar ((const uint8_t *) src, (uint8_t *) dst, n, pos, fp,
      sum, apply, sums, sq, non_finite, 8);
}

/* Units of NPH groups of 8 doubles (two vectors of 4; group g has the
 * parameters of positions [8 g, 8 g + 8)) from sample i on; returns where
 * it stopped: at a unit in which some x - shift (SUM) or some output
 * (APPLY) is not finite, which the caller sends through the scalar steps
 * (so no NaN reaches the sums, and with a finite output C's clamps of
 * x - c to +-DBL_MAX and of the output to F64's range change nothing).
 * The apply is C's steps in double (this function has no FMA to contract
 * them); the sums of squares are multiply and add too.  GENERAL 0: every
 * sample is a channel's and no statistics clamp. */
AVX2 INLINE size_t
packed_f64_body (const double *src, double *dst, size_t i, size_t n,
    const r128norm_packed_fparams *fp, const int PHASES, const int SUM,
    const int APPLY, const int GENERAL, double *sums, double *sq)
{
  /* PHASES 0: one phase whose two vectors have the same parameters (a
   * period that divides 4: stereo, quad), which then take half the
   * registers */
  const int NPH = PHASES ? PHASES : 1, ALIKE = PHASES == 0;
  const size_t unit = 8 * (size_t) NPH;
  const int clip = GENERAL && fp->clip;
  /* the parameters in registers where they fit (one phase): read from
   * the parameter block in the loop, they wait for the stores before
   * them whenever the block and the row meet at the same offset modulo
   * 4 KB, which made the loop 4 times slower */
  __m256d s[8][2], q[8][2], ns[8][2], c[8][2], a[8][2], b[8][2];
  double v[4];
  int g, k, j;

#pragma GCC unroll 8
  for (g = 0; g < NPH; g++)
#pragma GCC unroll 2
    for (k = 0; k < 2; k++) {
      const unsigned o = 8 * (unsigned) g + 4 * (unsigned) k;
      s[g][k] = q[g][k] = _mm256_setzero_pd ();
      if (ALIKE && k == 1) {
        ns[g][1] = ns[g][0];
        c[g][1] = c[g][0];
        a[g][1] = a[g][0];
        b[g][1] = b[g][0];
        continue;
      }
      ns[g][k] = _mm256_loadu_pd (fp->neg_shift + o);
      c[g][k] = _mm256_loadu_pd (fp->c + o);
      a[g][k] = _mm256_loadu_pd (fp->a + o);
      b[g][k] = _mm256_loadu_pd (fp->b + o);
    }
  for (; i + unit <= n; i += unit) {
    __m256i probe = _mm256_setzero_si256 ();
    __m256d x[8][2], d[8][2], y[8][2];
#pragma GCC unroll 8
    for (g = 0; g < NPH; g++)
#pragma GCC unroll 2
      for (k = 0; k < 2; k++) {
        const unsigned o = 8 * (unsigned) g + 4 * (unsigned) k;
        __m256d p;
        x[g][k] = _mm256_loadu_pd (src + i + o);
        if (SUM) {
          d[g][k] = _mm256_add_pd (x[g][k], ns[g][k]);
          if (clip)
            d[g][k] = _mm256_min_pd (_mm256_loadu_pd (fp->shi + o),
                _mm256_max_pd (_mm256_loadu_pd (fp->slo + o), d[g][k]));
        }
        if (APPLY)
          y[g][k] = _mm256_add_pd (_mm256_mul_pd (_mm256_sub_pd (x[g][k],
                      c[g][k]), a[g][k]), b[g][k]);
        /* p - p is +0 where p is finite, NaN elsewhere: a NaN or
         * infinite x, an x - shift or an x - c that overflows (which C
         * clamps to +-DBL_MAX), a y beyond DBL_MAX (which C clamps to
         * it: with a finite y, C's clamps change nothing) all show,
         * and so does a y + d that overflows (then C's steps run,
         * which is always right); a clamped d is finite */
        p = SUM && APPLY ? _mm256_add_pd (y[g][k], clip ? _mm256_add_pd
            (x[g][k], ns[g][k]) : d[g][k]) : SUM ? (clip ? _mm256_add_pd
            (x[g][k], ns[g][k]) : d[g][k]) : y[g][k];
        probe = _mm256_or_si256 (probe, _mm256_castpd_si256
            (_mm256_sub_pd (p, p)));
      }
    /* the sign bits aside: rounding toward -infinity makes p - p -0 */
    if (!_mm256_testz_si256 (probe, _mm256_set1_epi64x (INT64_MAX)))
      break;
#pragma GCC unroll 8
    for (g = 0; g < NPH; g++)
#pragma GCC unroll 2
      for (k = 0; k < 2; k++) {
        const unsigned o = 8 * (unsigned) g + 4 * (unsigned) k;
        if (SUM) {
          s[g][k] = _mm256_add_pd (s[g][k], d[g][k]);
          q[g][k] = _mm256_add_pd (q[g][k], _mm256_mul_pd (d[g][k],
                  d[g][k]));
        }
        if (APPLY) {
          if (GENERAL)
            /* the samples of no channel as they were */
            y[g][k] = _mm256_blendv_pd (y[g][k], x[g][k],
                _mm256_castsi256_pd (_mm256_loadu_si256 ((const __m256i *)
                        (fp->keep64 + o))));
          _mm256_storeu_pd (dst + i + o, y[g][k]);
        }
      }
  }
  if (SUM)
    for (g = 0; g < NPH; g++)
      for (k = 0; k < 2; k++) {
        const unsigned o = 8 * (unsigned) g + 4 * (unsigned) k;
        _mm256_storeu_pd (v, s[g][k]);
        for (j = 0; j < 4; j++)
          sums[o + (unsigned) j] += v[j];
        _mm256_storeu_pd (v, q[g][k]);
        for (j = 0; j < 4; j++)
          sq[o + (unsigned) j] += v[j];
      }
  return i;
}

/* A row: units through the vectors, a unit they stop at and the tail
 * through the scalar steps (which start at position 0: units are whole
 * patterns). */
AVX2 INLINE void
packed_f64_row (const double *src, double *dst, size_t n,
    const r128norm_packed_fparams *fp, const int PHASES, const int SUM,
    const int APPLY, const int GENERAL, double *sums, double *sq,
    uint64_t *non_finite)
{
  const size_t unit = 8 * (size_t) (PHASES ? PHASES : 1);
  size_t i = 0;

  for (;;) {
    i = packed_f64_body (src, dst, i, n, fp, PHASES, SUM, APPLY, GENERAL,
        sums, sq);
    if (i + unit > n)
      break;
    packed_f64_scalar (src + i, dst + i, unit, 0, fp, SUM, APPLY, sums, sq,
        non_finite);
    i += unit;
  }
  if (i < n)
    packed_f64_scalar (src + i, dst + i, n - i, 0, fp, SUM, APPLY, sums, sq,
        non_finite);
}

/* sum, apply, both; then the same for GENERAL rows */
#define DEFINE_PACKED_F64(NPH)                                            \
  AVX2 static void                                                        \
  packed_f64_sum_##NPH (PACKED_F32_ARGS)                                  \
  {                                                                       \
    packed_f64_row (src, dst, n, fp, NPH, 1, 0, 0, sums, sq, nf);         \
  }                                                                       \
  AVX2 static void                                                        \
  packed_f64_apply_##NPH (PACKED_F32_ARGS)                                \
  {                                                                       \
    packed_f64_row (src, dst, n, fp, NPH, 0, 1, 0, sums, sq, nf);         \
  }                                                                       \
  AVX2 static void                                                        \
  packed_f64_both_##NPH (PACKED_F32_ARGS)                                 \
  {                                                                       \
    packed_f64_row (src, dst, n, fp, NPH, 1, 1, 0, sums, sq, nf);         \
  }                                                                       \
  AVX2 static void                                                        \
  packed_f64_sum_general_##NPH (PACKED_F32_ARGS)                          \
  {                                                                       \
    packed_f64_row (src, dst, n, fp, NPH, 1, 0, 1, sums, sq, nf);         \
  }                                                                       \
  AVX2 static void                                                        \
  packed_f64_apply_general_##NPH (PACKED_F32_ARGS)                        \
  {                                                                       \
    packed_f64_row (src, dst, n, fp, NPH, 0, 1, 1, sums, sq, nf);         \
  }                                                                       \
  AVX2 static void                                                        \
  packed_f64_both_general_##NPH (PACKED_F32_ARGS)                         \
  {                                                                       \
    packed_f64_row (src, dst, n, fp, NPH, 1, 1, 1, sums, sq, nf);         \
  }

DEFINE_PACKED_F64 (0)
DEFINE_PACKED_F64 (1)
DEFINE_PACKED_F64 (2)
DEFINE_PACKED_F64 (3)
DEFINE_PACKED_F64 (4)
DEFINE_PACKED_F64 (5)
DEFINE_PACKED_F64 (6)
DEFINE_PACKED_F64 (7)
DEFINE_PACKED_F64 (8)

#define PACKED_F64_ROW(NPH)                                               \
  { packed_f64_sum_##NPH, packed_f64_apply_##NPH, packed_f64_both_##NPH,  \
    packed_f64_sum_general_##NPH, packed_f64_apply_general_##NPH,         \
    packed_f64_both_general_##NPH }

static const packed_f32_variant packed_f64_variants[9][6] = {
  PACKED_F64_ROW (0), PACKED_F64_ROW (1), PACKED_F64_ROW (2), PACKED_F64_ROW (3),
  PACKED_F64_ROW (4), PACKED_F64_ROW (5), PACKED_F64_ROW (6),
  PACKED_F64_ROW (7), PACKED_F64_ROW (8),
};


/* ---- s32 and f64 (audio) --------------------------------------------- */

/* Blocks of the f64 statistics: partial sums of a block are kept only
 * when they come out finite, else C sums the block again. */
#define F64_BLOCK ((size_t) 512)

/* Sums of clamp (x - shift) in double over one block of 16-sample steps,
 * 16 partial sums of each (four vectors in flight); returns whether they
 * are all finite, and then adds them to *sum, *sq.  A NaN or infinite
 * x, or an x - shift that overflows (which C clamps to +-DBL_MAX), makes
 * a partial sum non-finite: without clamping, d itself is summed; with
 * it, d * 0 is summed too, so that an infinite d that the clamp would
 * hide still shows.  (The sums of squares use FMA: any order and
 * rounding within SPEC 3 is allowed for statistics.) */
__attribute__ ((target ("avx2,fma"))) INLINE int
stats_f64_block (const double *s, size_t n, const r128norm_clip *clip,
    const int CLIP, __m256d *sum, __m256d *sq)
{
  const __m256d neg_shift = _mm256_set1_pd (-clip->shift);
  const __m256d lo = _mm256_set1_pd (clip->lo - clip->shift);
  const __m256d hi = _mm256_set1_pd (clip->hi - clip->shift);
  const __m256d zero = _mm256_setzero_pd ();
  __m256d sa[4], qa[4], probe = zero, all;
  size_t i;
  int j;

#pragma GCC unroll 4
  for (j = 0; j < 4; j++)
    sa[j] = qa[j] = zero;
  for (i = 0; i + 16 <= n; i += 16) {
#pragma GCC unroll 4
    for (j = 0; j < 4; j++) {
      __m256d d = _mm256_add_pd (_mm256_loadu_pd (s + i + 4 * j), neg_shift);
      if (CLIP) {
        probe = _mm256_fmadd_pd (d, zero, probe);
        d = _mm256_min_pd (hi, _mm256_max_pd (lo, d));
      }
      sa[j] = _mm256_add_pd (sa[j], d);
      qa[j] = _mm256_fmadd_pd (d, d, qa[j]);
    }
  }
  sa[0] = _mm256_add_pd (_mm256_add_pd (sa[0], sa[1]),
      _mm256_add_pd (sa[2], sa[3]));
  qa[0] = _mm256_add_pd (_mm256_add_pd (qa[0], qa[1]),
      _mm256_add_pd (qa[2], qa[3]));
  /* x * 0 is 0 for every finite x, NaN for the rest */
  all = _mm256_add_pd (_mm256_mul_pd (sa[0], zero),
      _mm256_mul_pd (qa[0], zero));
  all = _mm256_add_pd (all, probe);
  if (_mm256_movemask_pd (_mm256_cmp_pd (all, zero, _CMP_EQ_OQ)) != 0xf)
    return 0;
  *sum = _mm256_add_pd (*sum, sa[0]);
  *sq = _mm256_add_pd (*sq, qa[0]);
  return 1;
}

/* Blocks through stats_f64_block(); a block with a non-finite partial
 * sum, and the tail, through the C kernel, which then also counts the
 * NaN and infinities. */
__attribute__ ((target ("avx2,fma"))) INLINE void
stats_contig_f64_with (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc, const int CLIP)
{
  const double *s = in;
  const r128norm_stats_contig_fn c_stats = c_set (R128NORM_FORMAT_F64,
      R128NORM_FORMAT_F64).stats_contig;
  __m256d sum = _mm256_setzero_pd (), sq = _mm256_setzero_pd ();
  double vs[4], vq[4];
  size_t i = 0, done = 0;
  int j;

  while (i + 16 <= n) {
    size_t len = (n - i) / 16 * 16;
    len = len < F64_BLOCK ? len : F64_BLOCK;
    if (stats_f64_block (s + i, len, clip, CLIP, &sum, &sq))
      done += len;
    else
      c_stats (s + i, len, clip, acc);
    i += len;
  }
  _mm256_storeu_pd (vs, sum);
  _mm256_storeu_pd (vq, sq);
  acc->n += done;
  for (j = 0; j < 4; j++) {
    acc->fsum += vs[j];
    acc->fsq += vq[j];
  }
  if (i < n)
    c_stats (s + i, n - i, clip, acc);
}

__attribute__ ((target ("avx2,fma"))) static void
stats_contig_f64 (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  if (clip->active)
    stats_contig_f64_with (in, n, clip, acc, 1);
  else
    stats_contig_f64_with (in, n, clip, acc, 0);
}

/* The C kernel's steps for F64 -> F64: t = x - c clamped to +-DBL_MAX,
 * t * a + b (multiply, then add: this function has no FMA to contract
 * them into), clamped to [lo, hi]; NaN and infinities become
 * non_finite and are counted.  max (lo, v) is C's v < lo ? lo : v, NaN
 * and -0 included. */
AVX2 INLINE __m256d
affine4_f64 (__m256d x, __m256d c, __m256d a, __m256d b, __m256d lo,
    __m256d hi, __m256d nf, int *bad)
{
  const __m256d big = _mm256_set1_pd (DBL_MAX);
  __m256d t = _mm256_sub_pd (x, c), v;
  __m256d ok = _mm256_cmp_pd (_mm256_sub_pd (x, x), _mm256_setzero_pd (),
      _CMP_EQ_OQ);
  t = _mm256_max_pd (_mm256_sub_pd (_mm256_setzero_pd (), big), t);
  t = _mm256_min_pd (big, t);
  v = _mm256_add_pd (_mm256_mul_pd (t, a), b);
  v = _mm256_min_pd (hi, _mm256_max_pd (lo, v));
  *bad = 0xf & ~_mm256_movemask_pd (ok);
  return _mm256_blendv_pd (nf, v, ok);
}

AVX2 static uint64_t
apply_contig_f64_f64 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  const double *s = in;
  double *d = out;
  const __m256d c = _mm256_set1_pd (p->c), a = _mm256_set1_pd (p->a);
  const __m256d b = _mm256_set1_pd (p->b), lo = _mm256_set1_pd (p->lo);
  const __m256d hi = _mm256_set1_pd (p->hi);
  const __m256d nf = _mm256_set1_pd (p->non_finite);
  uint64_t non_finite = 0;
  size_t i;

  for (i = 0; i + 8 <= n; i += 8) {
    int bad0, bad1;
    __m256d y0 = affine4_f64 (_mm256_loadu_pd (s + i), c, a, b, lo, hi, nf,
        &bad0);
    __m256d y1 = affine4_f64 (_mm256_loadu_pd (s + i + 4), c, a, b, lo, hi,
        nf, &bad1);
    _mm256_storeu_pd (d + i, y0);
    _mm256_storeu_pd (d + i + 4, y1);
    if (__builtin_expect ((bad0 | bad1) != 0, 0))
      non_finite += (uint64_t) __builtin_popcount ((unsigned) (bad0
              | bad1 << 4));
  }
  if (i < n)
    non_finite += c_set (R128NORM_FORMAT_F64, R128NORM_FORMAT_F64)
        .apply_contig (s + i, d + i, n - i, p);
  return non_finite;
}

/* S32 statistics, exact: sums of x in 64-bit lanes; squares (up to 2^62)
 * as 64-bit products (vpmuldq) split into their high and low 32 bits,
 * each summed in 64-bit lanes; the 128-bit sum of squares is high * 2^32
 * + low.  Blocks of R128NORM_S32_BLOCK samples keep each lane of the low
 * halves below 2^61 (2^28 steps of 2 times less than 2^32), so their sum
 * over four lanes fits 64 bits.  Clipping goes to the C kernel. */

AVX2 static void
stats_contig_s32 (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  const int32_t *s = in;
  const __m256i low32 = _mm256_set1_epi64x (0xffffffff);
  size_t i = 0;

  if (clip->active) {
    c_set (R128NORM_FORMAT_S32, R128NORM_FORMAT_S32).stats_contig (in, n,
        clip, acc);
    return;
  }
  while (i + 8 <= n) {
    const size_t end = i + ((n - i) / 8 * 8 < R128NORM_S32_BLOCK
        ? (n - i) / 8 * 8 : R128NORM_S32_BLOCK);
    __m256i sum = _mm256_setzero_si256 (), qh = sum, ql = sum;
    for (; i < end; i += 8) {
      __m256i x = _mm256_loadu_si256 ((const __m256i *) (s + i));
      __m256i even = _mm256_mul_epi32 (x, x);
      __m256i odd = _mm256_srli_epi64 (x, 32);
      odd = _mm256_mul_epi32 (odd, odd);
      sum = _mm256_add_epi64 (sum, _mm256_cvtepi32_epi64
          (_mm256_castsi256_si128 (x)));
      sum = _mm256_add_epi64 (sum, _mm256_cvtepi32_epi64
          (_mm256_extracti128_si256 (x, 1)));
      qh = _mm256_add_epi64 (qh, _mm256_add_epi64 (_mm256_srli_epi64 (even,
                  32), _mm256_srli_epi64 (odd, 32)));
      ql = _mm256_add_epi64 (ql, _mm256_add_epi64 (_mm256_and_si256 (even,
                  low32), _mm256_and_si256 (odd, low32)));
    }
    acc->sum += (int64_t) hsum_epi64 (sum);
    acc->sumsq += ((unsigned __int128) hsum_epi64 (qh) << 32)
        + hsum_epi64 (ql);
  }
  acc->n += i;
  if (i < n)
    c_set (R128NORM_FORMAT_S32, R128NORM_FORMAT_S32).stats_contig (s + i,
        n - i, clip, acc);
}

/* v = (x - c) * a + b clamped to [lo, hi], in double as C (8 samples) */
AVX2 INLINE void
affine8_s32 (__m256i x, __m256d c, __m256d a, __m256d b, __m256d lo,
    __m256d hi, __m256d *v0, __m256d *v1)
{
  *v0 = affine4_double (_mm256_cvtepi32_pd (_mm256_castsi256_si128 (x)), c,
      a, b, lo, hi);
  *v1 = affine4_double (_mm256_cvtepi32_pd (_mm256_extracti128_si256 (x,
              1)), c, a, b, lo, hi);
}

/* C's (int64) (v - lo + 0.5) + (int64) lo for lo = -2^31 and v in
 * [lo, 2^31 - 1]: w = v - lo + 0.5 is in [0.5, 2^32 - 0.5] and a multiple
 * of 2^-22 (v + 2^31 is: below 2^30 it is exact, as v is a multiple of
 * 2^-22 there), so w - 2^31 is exact, and the result, trunc (w) - 2^31,
 * is floor (w - 2^31), which vcvttpd2dq converts exactly.  (Another lo
 * would leave finer bits in w, and w - 2^31 could round up across an
 * integer.) */
AVX2 INLINE __m128i
round4_s32 (__m256d v, __m256d lo)
{
  const __m256d half = _mm256_set1_pd (0.5), two31 = _mm256_set1_pd
      (2147483648.0);
  __m256d w = _mm256_add_pd (_mm256_sub_pd (v, lo), half);
  w = _mm256_round_pd (_mm256_sub_pd (w, two31), _MM_FROUND_TO_NEG_INF
      | _MM_FROUND_NO_EXC);
  return _mm256_cvttpd_epi32 (w);
}

AVX2 static uint64_t
apply_contig_s32_s32 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  const int32_t *s = in;
  int32_t *d = out;
  const __m256d c = _mm256_set1_pd (p->c), a = _mm256_set1_pd (p->a);
  const __m256d b = _mm256_set1_pd (p->b), lo = _mm256_set1_pd (p->lo);
  const __m256d hi = _mm256_set1_pd (p->hi);
  size_t i = 0;

  if (r128norm_s32_map_ok (p, 1))
    for (; i + 8 <= n; i += 8) {
      __m256d v0, v1;
      affine8_s32 (_mm256_loadu_si256 ((const __m256i *) (s + i)), c, a, b,
          lo, hi, &v0, &v1);
      _mm256_storeu_si256 ((__m256i *) (d + i), _mm256_set_m128i
          (round4_s32 (v1, lo), round4_s32 (v0, lo)));
    }
  if (i < n)
    c_set (R128NORM_FORMAT_S32, R128NORM_FORMAT_S32).apply_contig (s + i,
        d + i, n - i, p);
  return 0;
}

AVX2 static uint64_t
apply_contig_s32_f32 (const void *in, void *out, size_t n,
    const r128norm_affine *p)
{
  const int32_t *s = in;
  float *d = out;
  const __m256d c = _mm256_set1_pd (p->c), a = _mm256_set1_pd (p->a);
  const __m256d b = _mm256_set1_pd (p->b), lo = _mm256_set1_pd (p->lo);
  const __m256d hi = _mm256_set1_pd (p->hi);
  size_t i = 0;

  if (r128norm_s32_map_ok (p, 0))
    for (; i + 8 <= n; i += 8) {
      __m256d v0, v1;
      affine8_s32 (_mm256_loadu_si256 ((const __m256i *) (s + i)), c, a, b,
          lo, hi, &v0, &v1);
      _mm256_storeu_ps (d + i, _mm256_set_m128 (_mm256_cvtpd_ps (v1),
              _mm256_cvtpd_ps (v0)));
    }
  if (i < n)
    c_set (R128NORM_FORMAT_S32, R128NORM_FORMAT_F32).apply_contig (s + i,
        d + i, n - i, p);
  return 0;
}

/* ---- s32 packed rows: interleaved audio channels, per-position params -- */

/* Whole units of NPH vectors of 8 samples (vector g has positions
 * [8 g, 8 g + 8)): exact sums per position as stats_contig_s32 (x in
 * 64-bit lanes, x^2 as 64-bit products split into high and low 32 bits);
 * the apply in C's double steps (affine8_s32, round4_s32: S32 out with
 * lo = -2^31, which s32_pass checks).  The samples of no
 * channel need no blend: their identity map (c 0, a 1, b 0) gives every
 * int32 back exactly, as x + 2^31 + 0.5 is exact in double.  PHASES 0:
 * one phase whose two halves (4 samples each) have the same parameters,
 * as packed_f64_body.  Returns where the units end. */
AVX2 INLINE size_t
packed_s32_body (const int32_t *src, void *dst, size_t n,
    const r128norm_packed_fparams *fp, const int PHASES, const int TO_F32,
    const int SUM, const int APPLY, int64_t *sums, uint64_t *sq_hi,
    uint64_t *sq_lo)
{
  const int NPH = PHASES ? PHASES : 1, ALIKE = PHASES == 0;
  const size_t unit = 8 * (size_t) NPH;
  const __m256i low32 = _mm256_set1_epi64x (0xffffffff);
  const __m256d lo = _mm256_set1_pd (TO_F32 ? -FLT_MAX : -2147483648.0);
  const __m256d hi = _mm256_set1_pd (TO_F32 ? FLT_MAX : 2147483647.0);
  __m256i sl[8], sh[8], qhe[8], qle[8], qho[8], qlo[8];
  __m256d c[8][2], a[8][2], b[8][2];
  int64_t t64[4];
  size_t i;
  int g, k, j;

#pragma GCC unroll 8
  for (g = 0; g < NPH; g++) {
    sl[g] = sh[g] = qhe[g] = qle[g] = qho[g] = qlo[g] =
        _mm256_setzero_si256 ();
#pragma GCC unroll 2
    for (k = 0; k < 2; k++) {
      const unsigned o = 8 * (unsigned) g + 4 * (unsigned) (ALIKE ? 0 : k);
      c[g][k] = _mm256_loadu_pd (fp->c + o);
      a[g][k] = _mm256_loadu_pd (fp->a + o);
      b[g][k] = _mm256_loadu_pd (fp->b + o);
    }
  }
  for (i = 0; i + unit <= n; i += unit) {
#pragma GCC unroll 8
    for (g = 0; g < NPH; g++) {
      const unsigned o = 8 * (unsigned) g;
      const __m256i x = _mm256_loadu_si256 ((const __m256i *) (src + i + o));
      if (SUM) {
        __m256i even = _mm256_mul_epi32 (x, x);
        __m256i odd = _mm256_srli_epi64 (x, 32);
        odd = _mm256_mul_epi32 (odd, odd);
        sl[g] = _mm256_add_epi64 (sl[g], _mm256_cvtepi32_epi64
            (_mm256_castsi256_si128 (x)));
        sh[g] = _mm256_add_epi64 (sh[g], _mm256_cvtepi32_epi64
            (_mm256_extracti128_si256 (x, 1)));
        qhe[g] = _mm256_add_epi64 (qhe[g], _mm256_srli_epi64 (even, 32));
        qle[g] = _mm256_add_epi64 (qle[g], _mm256_and_si256 (even, low32));
        qho[g] = _mm256_add_epi64 (qho[g], _mm256_srli_epi64 (odd, 32));
        qlo[g] = _mm256_add_epi64 (qlo[g], _mm256_and_si256 (odd, low32));
      }
      if (APPLY) {
        const __m256d d0 = affine4_double (_mm256_cvtepi32_pd
            (_mm256_castsi256_si128 (x)), c[g][0], a[g][0], b[g][0], lo, hi);
        const __m256d d1 = affine4_double (_mm256_cvtepi32_pd
            (_mm256_extracti128_si256 (x, 1)), c[g][1], a[g][1], b[g][1], lo,
            hi);
        if (TO_F32) {
          /* out of place, every sample a channel's */
          _mm256_storeu_ps ((float *) dst + i + o, _mm256_set_m128
              (_mm256_cvtpd_ps (d1), _mm256_cvtpd_ps (d0)));
        } else {
          __m256i y = _mm256_set_m128i (round4_s32 (d1, lo),
              round4_s32 (d0, lo));
          _mm256_storeu_si256 ((__m256i *) ((int32_t *) dst + i + o), y);
        }
      }
    }
  }
  if (SUM)
    for (g = 0; g < NPH; g++) {
      const unsigned o = 8 * (unsigned) g;
      _mm256_storeu_si256 ((__m256i *) t64, sl[g]);
      for (j = 0; j < 4; j++)
        sums[o + (unsigned) j] += t64[j];
      _mm256_storeu_si256 ((__m256i *) t64, sh[g]);
      for (j = 0; j < 4; j++)
        sums[o + 4 + (unsigned) j] += t64[j];
      _mm256_storeu_si256 ((__m256i *) t64, qhe[g]);
      for (j = 0; j < 4; j++)
        sq_hi[o + 2 * (unsigned) j] += (uint64_t) t64[j];
      _mm256_storeu_si256 ((__m256i *) t64, qle[g]);
      for (j = 0; j < 4; j++)
        sq_lo[o + 2 * (unsigned) j] += (uint64_t) t64[j];
      _mm256_storeu_si256 ((__m256i *) t64, qho[g]);
      for (j = 0; j < 4; j++)
        sq_hi[o + 2 * (unsigned) j + 1] += (uint64_t) t64[j];
      _mm256_storeu_si256 ((__m256i *) t64, qlo[g]);
      for (j = 0; j < 4; j++)
        sq_lo[o + 2 * (unsigned) j + 1] += (uint64_t) t64[j];
    }
  return i;
}

#define PACKED_S32_ARGS                                                   \
  const void *src, void *dst, size_t n, const r128norm_packed_fparams *fp, \
  int64_t *sums, uint64_t *sq_hi, uint64_t *sq_lo

/* A row: whole units through the vectors, the tail through C's steps. */
#define DEFINE_PACKED_S32_ONE(NAME, PHASES, TO_F32, SUM, APPLY)            \
  AVX2 static void                                                        \
  NAME (PACKED_S32_ARGS)                                                  \
  {                                                                       \
    size_t i = packed_s32_body (src, dst, n, fp, PHASES, TO_F32, SUM,     \
        APPLY, sums, sq_hi, sq_lo);                                       \
    if (i < n)                                                            \
      r128norm_packed_s32_scalar ((const int32_t *) src + i,           \
          (int32_t *) dst + i, n - i, fp, TO_F32, SUM, APPLY, sums, sq_hi, \
          sq_lo);                                                         \
  }

/* sum; apply and both in place; apply and both to F32 */
#define DEFINE_PACKED_S32(PHASES)                                         \
  DEFINE_PACKED_S32_ONE (packed_s32_sum_##PHASES, PHASES, 0, 1, 0)        \
  DEFINE_PACKED_S32_ONE (packed_s32_apply_##PHASES, PHASES, 0, 0, 1)      \
  DEFINE_PACKED_S32_ONE (packed_s32_both_##PHASES, PHASES, 0, 1, 1)       \
  DEFINE_PACKED_S32_ONE (packed_s32_apply_f32_##PHASES, PHASES, 1, 0, 1)  \
  DEFINE_PACKED_S32_ONE (packed_s32_both_f32_##PHASES, PHASES, 1, 1, 1)

DEFINE_PACKED_S32 (0)
DEFINE_PACKED_S32 (1)
DEFINE_PACKED_S32 (2)
DEFINE_PACKED_S32 (3)
DEFINE_PACKED_S32 (4)
DEFINE_PACKED_S32 (5)
DEFINE_PACKED_S32 (6)
DEFINE_PACKED_S32 (7)
DEFINE_PACKED_S32 (8)

typedef void (*packed_s32_variant) (PACKED_S32_ARGS);

#define PACKED_S32_ROW(PHASES)                                            \
  { packed_s32_sum_##PHASES, packed_s32_apply_##PHASES,                   \
    packed_s32_both_##PHASES, packed_s32_apply_f32_##PHASES,              \
    packed_s32_both_f32_##PHASES }

static const packed_s32_variant packed_s32_variants[9][5] = {
  PACKED_S32_ROW (0), PACKED_S32_ROW (1), PACKED_S32_ROW (2),
  PACKED_S32_ROW (3), PACKED_S32_ROW (4), PACKED_S32_ROW (5),
  PACKED_S32_ROW (6), PACKED_S32_ROW (7), PACKED_S32_ROW (8),
};


/* ---- f64 and s32 packed rows with AVX-512 ---------------------------- */

/* The PHASES of the AVX2 F64 and S32 variants: 0 (one phase whose two
 * vectors have the same parameters) where the period divides 4, else
 * nph. */
static inline unsigned
avx2_phases (const r128norm_packed_fparams *fp)
{
  return 4 % fp->period == 0 ? 0 : fp->nph;
}

/* The packed F64 rows' units with AVX-512: one vector of 8 doubles a
 * group, the apply's multiply and add rounded each (the _round_
 * intrinsics are not contracted), the sums of squares by FMA, and
 * vfpclasspd for the probe; otherwise packed_f64_body. */
AVX512 INLINE size_t
packed_f64_body_avx512 (const double *src, double *dst, size_t i, size_t n,
    const r128norm_packed_fparams *fp, const int NPH, const int SUM,
    const int APPLY, const int GENERAL, double *sums, double *sq)
{
  const size_t unit = 8 * (size_t) NPH;
  const int clip = GENERAL && fp->clip;
  __m512d s[8], q[8], ns[8], c[8], a[8], b[8];
  __mmask8 keep[8];
  double v[8];
  int g, j;

#pragma GCC unroll 8
  for (g = 0; g < NPH; g++) {
    s[g] = q[g] = _mm512_setzero_pd ();
    ns[g] = _mm512_loadu_pd (fp->neg_shift + 8 * g);
    c[g] = _mm512_loadu_pd (fp->c + 8 * g);
    a[g] = _mm512_loadu_pd (fp->a + 8 * g);
    b[g] = _mm512_loadu_pd (fp->b + 8 * g);
    keep[g] = _mm512_movepi64_mask (_mm512_loadu_si512 (fp->keep64 + 8 * g));
  }
  for (; i + unit <= n; i += unit) {
    __mmask8 bad = 0;
    __m512d x[8], d[8], y[8];
#pragma GCC unroll 8
    for (g = 0; g < NPH; g++) {
      x[g] = _mm512_loadu_pd (src + i + 8 * g);
      if (SUM) {
        d[g] = _mm512_add_pd (x[g], ns[g]);
        /* NaN (0x01, 0x80) or infinite (0x08, 0x10) */
        bad |= _mm512_fpclass_pd_mask (d[g], 0x99);
        if (clip)
          d[g] = _mm512_min_pd (_mm512_loadu_pd (fp->shi + 8 * g),
              _mm512_max_pd (_mm512_loadu_pd (fp->slo + 8 * g), d[g]));
      }
      if (APPLY) {
        y[g] = _mm512_add_round_pd (_mm512_mul_round_pd (_mm512_sub_pd
                (x[g], c[g]), a[g], _MM_FROUND_CUR_DIRECTION), b[g],
            _MM_FROUND_CUR_DIRECTION);
        bad |= _mm512_fpclass_pd_mask (y[g], 0x99);
      }
    }
    if (bad)
      break;
#pragma GCC unroll 8
    for (g = 0; g < NPH; g++) {
      if (SUM) {
        s[g] = _mm512_add_pd (s[g], d[g]);
        q[g] = _mm512_fmadd_pd (d[g], d[g], q[g]);
      }
      if (APPLY) {
        if (GENERAL)
          y[g] = _mm512_mask_blend_pd (keep[g], y[g], x[g]);
        _mm512_storeu_pd (dst + i + 8 * g, y[g]);
      }
    }
  }
  if (SUM)
    for (g = 0; g < NPH; g++) {
      _mm512_storeu_pd (v, s[g]);
      for (j = 0; j < 8; j++)
        sums[8 * g + j] += v[j];
      _mm512_storeu_pd (v, q[g]);
      for (j = 0; j < 8; j++)
        sq[8 * g + j] += v[j];
    }
  return i;
}

AVX512 INLINE void
packed_f64_row_avx512 (const double *src, double *dst, size_t n,
    const r128norm_packed_fparams *fp, const int NPH, const int SUM,
    const int APPLY, const int GENERAL, double *sums, double *sq,
    uint64_t *non_finite)
{
  const size_t unit = 8 * (size_t) NPH;
  size_t i = 0;

  for (;;) {
    i = packed_f64_body_avx512 (src, dst, i, n, fp, NPH, SUM, APPLY,
        GENERAL, sums, sq);
    if (i + unit > n)
      break;
    packed_f64_scalar (src + i, dst + i, unit, 0, fp, SUM, APPLY, sums, sq,
        non_finite);
    i += unit;
  }
  if (i < n)
    packed_f64_scalar (src + i, dst + i, n - i, 0, fp, SUM, APPLY, sums, sq,
        non_finite);
}

#define DEFINE_PACKED_F64_AVX512_ONE(NAME, NPH, SUM, APPLY, GENERAL)       \
  AVX512 static void                                                      \
  NAME (PACKED_F32_ARGS)                                                  \
  {                                                                       \
    packed_f64_row_avx512 (src, dst, n, fp, NPH, SUM, APPLY, GENERAL,     \
        sums, sq, nf);                                                    \
  }

#define DEFINE_PACKED_F64_AVX512(NPH)                                     \
  DEFINE_PACKED_F64_AVX512_ONE (packed_f64_sum_avx512_##NPH, NPH, 1, 0, 0) \
  DEFINE_PACKED_F64_AVX512_ONE (packed_f64_apply_avx512_##NPH, NPH, 0, 1, \
      0)                                                                  \
  DEFINE_PACKED_F64_AVX512_ONE (packed_f64_both_avx512_##NPH, NPH, 1, 1, 0) \
  DEFINE_PACKED_F64_AVX512_ONE (packed_f64_sum_general_avx512_##NPH, NPH, \
      1, 0, 1)                                                            \
  DEFINE_PACKED_F64_AVX512_ONE (packed_f64_apply_general_avx512_##NPH,    \
      NPH, 0, 1, 1)                                                       \
  DEFINE_PACKED_F64_AVX512_ONE (packed_f64_both_general_avx512_##NPH,     \
      NPH, 1, 1, 1)

DEFINE_PACKED_F64_AVX512 (1)
DEFINE_PACKED_F64_AVX512 (2)
DEFINE_PACKED_F64_AVX512 (3)
DEFINE_PACKED_F64_AVX512 (4)
DEFINE_PACKED_F64_AVX512 (5)
DEFINE_PACKED_F64_AVX512 (6)
DEFINE_PACKED_F64_AVX512 (7)
DEFINE_PACKED_F64_AVX512 (8)

#define PACKED_F64_ROW_AVX512(NPH)                                        \
  { packed_f64_sum_avx512_##NPH, packed_f64_apply_avx512_##NPH,           \
    packed_f64_both_avx512_##NPH, packed_f64_sum_general_avx512_##NPH,    \
    packed_f64_apply_general_avx512_##NPH,                                \
    packed_f64_both_general_avx512_##NPH }

static const packed_f32_variant packed_f64_variants_avx512[8][6] = {
  PACKED_F64_ROW_AVX512 (1), PACKED_F64_ROW_AVX512 (2),
  PACKED_F64_ROW_AVX512 (3), PACKED_F64_ROW_AVX512 (4),
  PACKED_F64_ROW_AVX512 (5), PACKED_F64_ROW_AVX512 (6),
  PACKED_F64_ROW_AVX512 (7), PACKED_F64_ROW_AVX512 (8),
};

static void
packed_f64 (const void *src, void *dst, size_t n,
    const r128norm_packed_fparams *fp, int sum, int apply, double *sums,
    double *sq, uint64_t *non_finite)
{
  const int v = (sum && apply ? 2 : apply ? 1 : 0)
      + ((sum && fp->clip) || (apply && fp->has_untouched) ? 3 : 0);

  if (!sum && !apply)
    return;
  /* the CPU's features as r128norm_packed_init() found them */
  if (fp->avx512)
    packed_f64_variants_avx512[fp->nph - 1][v] (src, dst, n, fp, sums, sq,
        non_finite);
  else
    packed_f64_variants[avx2_phases (fp)][v] (src, dst, n,
        fp, sums, sq, non_finite);
}

/* The packed S32 rows' units with AVX-512: one vector of 8 a group, in
 * 64-bit lanes for the sums (position j of the group in lane j) and in
 * doubles for the apply; the truncation of C's w = v - lo + 0.5 (in
 * [0.5, 2^32 - 0.5]) in one conversion to unsigned 32 bits, which the
 * addition of lo = -2^31 turns into the sign bit's flip.  Otherwise
 * packed_s32_body. */
AVX512 INLINE size_t
packed_s32_body_avx512 (const int32_t *src, void *dst, size_t n,
    const r128norm_packed_fparams *fp, const int NPH, const int TO_F32,
    const int SUM, const int APPLY, int64_t *sums, uint64_t *sq_hi,
    uint64_t *sq_lo)
{
  const size_t unit = 8 * (size_t) NPH;
  const __m512i low32 = _mm512_set1_epi64 (0xffffffff);
  const __m512d lo = _mm512_set1_pd (TO_F32 ? -FLT_MAX : -2147483648.0);
  const __m512d hi = _mm512_set1_pd (TO_F32 ? FLT_MAX : 2147483647.0);
  const __m512d half = _mm512_set1_pd (0.5);
  const __m256i sign = _mm256_set1_epi32 (INT32_MIN);
  __m512i s[8], qh[8], ql[8];
  __m512d c[8], a[8], b[8];
  int64_t t64[8];
  size_t i;
  int g, j;

#pragma GCC unroll 8
  for (g = 0; g < NPH; g++) {
    s[g] = qh[g] = ql[g] = _mm512_setzero_si512 ();
    c[g] = _mm512_loadu_pd (fp->c + 8 * g);
    a[g] = _mm512_loadu_pd (fp->a + 8 * g);
    b[g] = _mm512_loadu_pd (fp->b + 8 * g);
  }
  for (i = 0; i + unit <= n; i += unit) {
#pragma GCC unroll 8
    for (g = 0; g < NPH; g++) {
      const __m256i x = _mm256_loadu_si256 ((const __m256i *) (src + i
              + 8 * g));
      if (SUM) {
        const __m512i x64 = _mm512_cvtepi32_epi64 (x);
        const __m512i q = _mm512_mul_epi32 (x64, x64);
        s[g] = _mm512_add_epi64 (s[g], x64);
        qh[g] = _mm512_add_epi64 (qh[g], _mm512_srli_epi64 (q, 32));
        ql[g] = _mm512_add_epi64 (ql[g], _mm512_and_si512 (q, low32));
      }
      if (APPLY) {
        __m512d v = affine8_double_avx512 (_mm512_cvtepi32_pd (x), c[g],
            a[g], b[g], lo, hi);
        if (TO_F32) {
          _mm256_storeu_ps ((float *) dst + i + 8 * g, _mm512_cvtpd_ps (v));
        } else {
          __m256i y = _mm256_xor_si256 (_mm512_cvtt_roundpd_epu32
              (_mm512_add_pd (_mm512_sub_pd (v, lo), half),
                  _MM_FROUND_NO_EXC), sign);
          _mm256_storeu_si256 ((__m256i *) ((int32_t *) dst + i + 8 * g),
              y);
        }
      }
    }
  }
  if (SUM)
    for (g = 0; g < NPH; g++) {
      _mm512_storeu_si512 (t64, s[g]);
      for (j = 0; j < 8; j++)
        sums[8 * g + j] += t64[j];
      _mm512_storeu_si512 (t64, qh[g]);
      for (j = 0; j < 8; j++)
        sq_hi[8 * g + j] += (uint64_t) t64[j];
      _mm512_storeu_si512 (t64, ql[g]);
      for (j = 0; j < 8; j++)
        sq_lo[8 * g + j] += (uint64_t) t64[j];
    }
  return i;
}

#define DEFINE_PACKED_S32_AVX512_ONE(NAME, NPH, TO_F32, SUM, APPLY)       \
  AVX512 static void                                                      \
  NAME (PACKED_S32_ARGS)                                                  \
  {                                                                       \
    size_t i = packed_s32_body_avx512 (src, dst, n, fp, NPH, TO_F32, SUM, \
        APPLY, sums, sq_hi, sq_lo);                                       \
    if (i < n)                                                            \
      r128norm_packed_s32_scalar ((const int32_t *) src + i,           \
          (int32_t *) dst + i, n - i, fp, TO_F32, SUM, APPLY, sums, sq_hi, \
          sq_lo);                                                         \
  }

#define DEFINE_PACKED_S32_AVX512(NPH)                                     \
  DEFINE_PACKED_S32_AVX512_ONE (packed_s32_sum_avx512_##NPH, NPH, 0, 1, 0) \
  DEFINE_PACKED_S32_AVX512_ONE (packed_s32_apply_avx512_##NPH, NPH, 0, 0, \
      1)                                                                  \
  DEFINE_PACKED_S32_AVX512_ONE (packed_s32_both_avx512_##NPH, NPH, 0, 1,  \
      1)                                                                  \
  DEFINE_PACKED_S32_AVX512_ONE (packed_s32_apply_f32_avx512_##NPH, NPH,   \
      1, 0, 1)                                                            \
  DEFINE_PACKED_S32_AVX512_ONE (packed_s32_both_f32_avx512_##NPH, NPH, 1, \
      1, 1)

DEFINE_PACKED_S32_AVX512 (1)
DEFINE_PACKED_S32_AVX512 (2)
DEFINE_PACKED_S32_AVX512 (3)
DEFINE_PACKED_S32_AVX512 (4)
DEFINE_PACKED_S32_AVX512 (5)
DEFINE_PACKED_S32_AVX512 (6)
DEFINE_PACKED_S32_AVX512 (7)
DEFINE_PACKED_S32_AVX512 (8)

#define PACKED_S32_ROW_AVX512(NPH)                                        \
  { packed_s32_sum_avx512_##NPH, packed_s32_apply_avx512_##NPH,           \
    packed_s32_both_avx512_##NPH, packed_s32_apply_f32_avx512_##NPH,      \
    packed_s32_both_f32_avx512_##NPH }

static const packed_s32_variant packed_s32_variants_avx512[8][5] = {
  PACKED_S32_ROW_AVX512 (1), PACKED_S32_ROW_AVX512 (2),
  PACKED_S32_ROW_AVX512 (3), PACKED_S32_ROW_AVX512 (4),
  PACKED_S32_ROW_AVX512 (5), PACKED_S32_ROW_AVX512 (6),
  PACKED_S32_ROW_AVX512 (7), PACKED_S32_ROW_AVX512 (8),
};

static void
packed_s32 (const void *src, void *dst, size_t n,
    const r128norm_packed_fparams *fp, int to_f32, int sum, int apply,
    int64_t *sums, uint64_t *sq_hi, uint64_t *sq_lo)
{
  const int v = !apply ? 0 : (to_f32 ? 3 : 1) + sum;

  if (!sum && !apply)
    return;
  if (fp->avx512)
    packed_s32_variants_avx512[fp->nph - 1][v] (src, dst, n, fp, sums,
        sq_hi, sq_lo);
  else
    packed_s32_variants[avx2_phases (fp)][v] (src, dst, n,
        fp, sums, sq_hi, sq_lo);
}

/* the strided rows of interleaved audio, through blocks (see
 * STRIDED_BLOCK) */
DEFINE_STATS_STRIDED (s32, , 4)
DEFINE_STATS_STRIDED (f64, , 8)

#define DEFINE_APPLY_STRIDED_ONE(PAIR, IN_SIZE, OUT_SIZE)                 \
  static uint64_t                                                         \
  apply_##PAIR (const void *in, ptrdiff_t in_step, void *out,             \
      ptrdiff_t out_step, size_t n, const r128norm_affine *p)             \
  {                                                                       \
    return apply_strided_via (in, in_step, out, out_step, n, p,           \
        apply_contig_##PAIR, IN_SIZE, OUT_SIZE);                          \
  }

DEFINE_APPLY_STRIDED_ONE (s32_s32, 4, 4)
DEFINE_APPLY_STRIDED_ONE (s32_f32, 4, 4)
DEFINE_APPLY_STRIDED_ONE (f64_f64, 8, 8)

/* ---- the table ------------------------------------------------------- */

/* AVX2, unless R128NORM_NO_AVX2 is set in the environment (so that what
 * a CPU without it runs, the ORC and C kernels and the portable packed
 * rows, can be tested and measured on one that has it). */
static int
have_avx2 (void)
{
  __builtin_cpu_init ();
  return __builtin_cpu_supports ("avx2") && !getenv ("R128NORM_NO_AVX2");
}

/* AVX512F and AVX512DQ, unless R128NORM_NO_AVX512 is set in the
 * environment (so the AVX2 kernels can be tested, and chosen, on such a
 * CPU too; likewise R128NORM_NO_FMA for the kernels without FMA). */
static int
have_avx512 (void)
{
  __builtin_cpu_init ();
  return have_avx2 () && __builtin_cpu_supports ("avx512f")
      && __builtin_cpu_supports ("avx512dq") && have_fma ()
      && !getenv ("R128NORM_NO_AVX512");
}

static int
have_avx512bw (void)
{
  return have_avx512 () && __builtin_cpu_supports ("avx512bw");
}

static int
have_avx512vbmi (void)
{
  return have_avx512bw () && __builtin_cpu_supports ("avx512vbmi");
}

/* the half conversions (every AVX2 CPU has them, but they are a CPUID
 * flag of their own) */
static int
have_f16c (void)
{
  unsigned eax, ebx, ecx, edx;

  /* CPUID leaf 1 (not __builtin_cpu_supports ("f16c"), which clang 14's
   * tools do not know) */
  return __get_cpuid (1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C);
}

static int
have_fma (void)
{
  __builtin_cpu_init ();
  return __builtin_cpu_supports ("fma") && !getenv ("R128NORM_NO_FMA");
}

int
r128norm_kernels_x86 (r128norm_format in, r128norm_format out,
    r128norm_kernel_set *set)
{
  const int f16c = have_f16c (), wide = have_avx512 ();
  int any = 0, uses_wide = 0;

  /* the AVX-512 kernel where the CPU has it, else the AVX2 one; the set's
   * name (r128norm_get_kernel_name) says when one of them is AVX-512 */
#define WIDE_OR(avx512, avx2) (wide ? (uses_wide = 1, (avx512)) : (avx2))
  /* the same for the kernels that also need AVX512BW */
#define WIDE_BW_OR(avx512, avx2) (wide && have_avx512bw () ? \
    (uses_wide = 1, (avx512)) : (avx2))

  if (!have_avx2 ())
    return 0;
  switch (in) {
    case R128NORM_FORMAT_U8:
    case R128NORM_FORMAT_U8_CENTERED:
      set->stats_contig = stats_contig_u8;
      set->stats = stats_u8;
      any = 1;
      if (out == in) {
        /* the tables: looked up with VBMI, else the fixed point kernels
         * take each one's map of integers (r128norm_u8_fit), so that
         * every CPU gives C's bytes */
        set->wants_lut = 1;
        if (have_avx512vbmi ()) {
          uses_wide = 1;
          set->apply_contig = apply_contig_u8_u8_vbmi;
        } else {
          set->apply_contig = apply_contig_u8_u8;
          set->lut_derive = r128norm_u8_derive_fixed_wide;
        }
      } else if (out == R128NORM_FORMAT_F32) {
        set->apply_contig = apply_contig_u8_f32;
        set->apply = apply_u8_f32;
        /* the packed rows' sums (r128norm_packed_u8_x86) */
        uses_wide |= have_avx512vbmi ();
      } else if (out == R128NORM_FORMAT_F16) {
        set->wants_lut = 1;
        /* the packed rows' kernel to hwc pixels computes where the
         * table allows it (r128norm_packed_u8_f16_compact_x86) */
        set->lut_derive = f16c && have_fma () ? check_u8_f16_single
            : NULL;
        if (have_avx512vbmi ()) {
          uses_wide = 1;
          set->apply_contig = apply_contig_u8_f16_vbmi;
          set->apply = apply_u8_f16_vbmi;
        } else if (f16c && have_fma ()) {
          set->apply_contig = apply_contig_u8_f16_avx2;
          set->apply = apply_u8_f16_avx2;
        } else {
          set->apply_contig = apply_contig_u8_f16;
          set->apply = apply_u8_f16;
        }
      }
      break;
    case R128NORM_FORMAT_S16:
      set->stats_contig = WIDE_OR (stats_contig_s16_avx512,
          stats_contig_s16);
      if (out == in)
        set->apply_contig = WIDE_OR (apply_contig_s16_s16_avx512,
            apply_contig_s16_s16);
      else if (out == R128NORM_FORMAT_F32)
        set->apply_contig = WIDE_OR (apply_contig_s16_f32_avx512,
            apply_contig_s16_f32);
      else if (out == R128NORM_FORMAT_F16 && f16c) {
        set->apply_contig = WIDE_OR (apply_contig_s16_f16_avx512,
            have_fma () ? apply_contig_s16_f16_fma : apply_contig_s16_f16);
        set->apply = WIDE_OR (apply_s16_f16_avx512, have_fma ()
            ? apply_s16_f16_fma : apply_s16_f16);
      }
      any = 1;
      break;
    case R128NORM_FORMAT_U16:
      set->stats_contig = WIDE_BW_OR (stats_contig_u16_avx512,
          stats_contig_u16);
      if (out == in)
        set->apply_contig = WIDE_BW_OR (apply_contig_u16_u16_avx512,
            apply_contig_u16_u16);
      else if (out == R128NORM_FORMAT_F16 && f16c) {
        set->apply_contig = WIDE_OR (apply_contig_u16_f16_avx512,
            have_fma () ? apply_contig_u16_f16_fma : apply_contig_u16_f16);
        set->apply = WIDE_OR (apply_u16_f16_avx512, have_fma ()
            ? apply_u16_f16_fma : apply_u16_f16);
      }
      any = 1;
      break;
    case R128NORM_FORMAT_F16:
      if (!f16c)
        break;
      set->stats_contig = WIDE_OR (stats_contig_f16_avx512, have_fma ()
          ? stats_contig_f16_fma : stats_contig_f16);
      set->stats = WIDE_OR (stats_f16_avx512, have_fma () ? stats_f16_fma
          : stats_f16);
      if (out == in) {
        set->apply_contig = WIDE_OR (apply_contig_f16_f16_avx512,
            have_fma () ? apply_contig_f16_f16_fma : apply_contig_f16_f16);
        set->apply = WIDE_OR (apply_f16_f16_avx512, have_fma ()
            ? apply_f16_f16_fma : apply_f16_f16);
      } else if (out == R128NORM_FORMAT_F32) {
        set->apply_contig = WIDE_OR (apply_contig_f16_f32_avx512,
            apply_contig_f16_f32);
        set->apply = WIDE_OR (apply_f16_f32_avx512, apply_f16_f32);
      }
      any = 1;
      break;
    case R128NORM_FORMAT_S32:
      set->stats_contig = stats_contig_s32;
      set->stats = stats_s32;
      /* the packed rows' (r128norm_packed_s32_x86) */
      uses_wide |= wide;
      if (out == in) {
        set->apply_contig = apply_contig_s32_s32;
        set->apply = apply_s32_s32;
      } else if (out == R128NORM_FORMAT_F32) {
        set->apply_contig = apply_contig_s32_f32;
        set->apply = apply_s32_f32;
      }
      any = 1;
      break;
    case R128NORM_FORMAT_F64:
      uses_wide |= wide;        /* the packed rows' */
      if (have_fma ()) {
        set->stats_contig = stats_contig_f64;
        set->stats = stats_f64;
      }
      if (out == in) {
        set->apply_contig = apply_contig_f64_f64;
        set->apply = apply_f64_f64;
      }
      any = 1;
      break;
    case R128NORM_FORMAT_F32:
      set->stats_contig = WIDE_OR (stats_contig_f32_avx512, have_fma ()
          ? stats_contig_f32_fma : stats_contig_f32);
      set->stats = WIDE_OR (stats_f32_avx512, have_fma () ? stats_f32_fma
          : stats_f32);
      if (out == in)
        set->apply_contig = WIDE_OR (apply_contig_f32_f32_avx512, have_fma ()
            ? apply_contig_f32_f32_fma : apply_contig_f32_f32);
      else if (out == R128NORM_FORMAT_F16 && f16c) {
        set->apply_contig = WIDE_OR (apply_contig_f32_f16_avx512,
            have_fma () ? apply_contig_f32_f16_fma : apply_contig_f32_f16);
        set->apply = WIDE_OR (apply_f32_f16_avx512, have_fma ()
            ? apply_f32_f16_fma : apply_f32_f16);
      }
      any = 1;
      break;
    default:
      break;
  }
#undef WIDE_OR
  if (any)
    set->name = uses_wide ? "avx512" : "avx2";
  return any;
}

r128norm_packed_fn
r128norm_packed_u8_x86 (void)
{
  return have_avx512vbmi ()? packed_u8_wide : have_avx2 ()? packed_u8 : NULL;
}

/* Whether r128norm_packed_u8_x86's kernel applies by the channels'
 * tables where table_params() gives them (VBMI) */
int
r128norm_packed_u8_looks_up_x86 (void)
{
  return have_avx512vbmi ();
}

r128norm_packed_f32_fn
r128norm_packed_u8_f32_x86 (void)
{
  return have_avx2 ()? packed_u8_f32 : NULL;
}

r128norm_packed_compact_fn
r128norm_packed_u8_f32_compact_x86 (void)
{
  return have_avx512vbmi ()? packed_u8_f32_compact : have_avx2 ()?
      packed_u8_f32_compact_avx2 : NULL;
}

r128norm_packed_compact_fn
r128norm_packed_u8_f16_compact_x86 (void)
{
  if (!have_avx2 () || !have_f16c () || !have_fma ())
    return NULL;
  return have_avx512vbmi ()? packed_u8_f16_compact
      : packed_u8_f16_compact_avx2;
}

r128norm_packed_float_fn
r128norm_packed_f32_x86 (void)
{
  return have_avx2 ()? packed_f32 : NULL;
}

r128norm_packed_float_fn
r128norm_packed_f16_x86 (void)
{
  return have_avx2 () && have_f16c ()? packed_f16 : NULL;
}

r128norm_packed_float_fn
r128norm_packed_f64_x86 (void)
{
  return have_avx2 ()? packed_f64 : NULL;
}

r128norm_packed_s16_fn
r128norm_packed_s16_x86 (void)
{
  return have_avx2 ()? packed_s16 : NULL;
}

r128norm_packed_s32_fn
r128norm_packed_s32_x86 (void)
{
  return have_avx2 ()? packed_s32 : NULL;
}

/* Whether AVX-512 is worth it for a pass of a few KB (10 ms of audio)
 * too: not on Intel's cores.  On a Sapphire Rapids VM, 10 ms of 48 kHz
 * F32 through the element (r128norm-bench-peers audio10ms, three runs
 * each) cost 267 to 313 ns running with the AVX-512 packed kernels and
 * 225 to 232 with the AVX2 ones, mono 181 to 195 against 126 to 135,
 * though warm, in a loop of library calls, AVX-512 was as fast or faster
 * (its 512-bit operations leave one vector port of three there, and the
 * first of them after other code pay more than they gain on 4 KB).  Long
 * rows keep AVX-512 (a 3x1080x1920 tensor, running: 2.41 to 2.55 ms
 * against 2.65 to 2.73).  R128NORM_AVX512_SHORT=1 or 0 forces the choice
 * (the tests take both paths on any CPU). */
static int
avx512_for_short_rows (void)
{
  const char *force = getenv ("R128NORM_AVX512_SHORT");
  unsigned eax, ebx, ecx, edx;

  if (force)
    return atoi (force) != 0;
  /* "GenuineIntel" in EBX, EDX, ECX of leaf 0 */
  return !(__get_cpuid (0, &eax, &ebx, &ecx, &edx) && ebx == 0x756e6547
      && edx == 0x49656e69 && ecx == 0x6c65746e);
}

void
r128norm_packed_f32_x86_features (int *fma, int *avx512, int *avx512_short)
{
  *fma = have_avx2 () && have_fma ();
  *avx512 = have_avx2 () && have_avx512 ();
  *avx512_short = *avx512 && avx512_for_short_rows ();
}

#else /* not x86-64 with GCC/Clang */

int
r128norm_kernels_x86 (r128norm_format in, r128norm_format out,
    r128norm_kernel_set *set)
{
  (void) in;
  (void) out;
  (void) set;
  return 0;
}

r128norm_packed_fn
r128norm_packed_u8_x86 (void)
{
  return NULL;
}

int
r128norm_packed_u8_looks_up_x86 (void)
{
  return 0;
}

r128norm_packed_f32_fn
r128norm_packed_u8_f32_x86 (void)
{
  return NULL;
}

r128norm_packed_compact_fn
r128norm_packed_u8_f32_compact_x86 (void)
{
  return NULL;
}

r128norm_packed_compact_fn
r128norm_packed_u8_f16_compact_x86 (void)
{
  return NULL;
}

r128norm_packed_float_fn
r128norm_packed_f32_x86 (void)
{
  return NULL;
}

r128norm_packed_float_fn
r128norm_packed_f16_x86 (void)
{
  return NULL;
}

r128norm_packed_float_fn
r128norm_packed_f64_x86 (void)
{
  return NULL;
}

r128norm_packed_s16_fn
r128norm_packed_s16_x86 (void)
{
  return NULL;
}

r128norm_packed_s32_fn
r128norm_packed_s32_x86 (void)
{
  return NULL;
}

void
r128norm_packed_f32_x86_features (int *fma, int *avx512, int *avx512_short)
{
  *fma = 0;
  *avx512 = 0;
  *avx512_short = 0;
}

#endif
