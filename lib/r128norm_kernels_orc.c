/* The ORC kernels: contiguous statistics of 8/16-bit integer rows and the
 * fused apply of the common format pairs (see r128normorc.orc).  They fill
 * the stats_contig/apply_contig slots; everything else stays C.
 *
 * Each wrapper hands ORC its row in chunks, since ORC counts samples in an
 * int and sums in 32-bit accumulators.  What ORC does not do (clipped
 * statistics, rows not aligned to their sample size) and rows too short
 * to repay an ORC call go to the C kernel of the same format, looked up
 * where it is needed, so this file keeps no state. */
#include "r128norm_kernels.h"

#ifdef HAVE_ORC

#include <float.h>
#include <orc/orc.h>

#include "r128normorc.h"

/* Samples per ORC statistics call: keeps every 32-bit accumulator below
 * 2^31 (bounds in r128normorc.orc). */
#define STATS_CHUNK ((size_t) 32768)
/* Samples per ORC apply call: fits an int, and the non-finite count of
 * the float kernel fits its accumulator. */
#define APPLY_CHUNK ((size_t) 1 << 24)

/* Shorter rows go to C, where an ORC call (some 10-40 ns before its first
 * sample) would not pay: ORC saves 0.5-1 ns per sample on integers, only
 * about 0.35 ns on F32 (docs/orc.md). */
#define MIN_SAMPLES ((size_t) 32)
#define MIN_SAMPLES_F32 ((size_t) 128)

#define IS_ALIGNED(ptr, size) (((uintptr_t) (ptr)) % (size) == 0)

/* ORC 0.4.33's x86 JIT sets the flush-to-zero and denormals-are-zero bits
 * of the SSE control register for its kernels and leaves them set: every
 * later float operation of the whole process, the application's included,
 * would then treat subnormals as zero.  Each ORC call below is bracketed by
 * a save and a restore of the register (tests/lib/test_fp_state.c). */
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
typedef unsigned int fp_state;
static inline fp_state
fp_save (void)
{
  return _mm_getcsr ();
}

static inline void
fp_restore (fp_state state)
{
  _mm_setcsr (state);
}
#else
typedef int fp_state;
static inline fp_state
fp_save (void)
{
  return 0;
}

static inline void
fp_restore (fp_state state)
{
  (void) state;
}
#endif

static uint64_t
apply_c (r128norm_format in_format, r128norm_format out_format,
    const void *in, void *out, size_t n, const r128norm_affine *p)
{
  r128norm_kernel_set c;

  r128norm_kernels_c (in_format, out_format, &c);
  return c.apply_contig (in, out, n, p);
}

/* ---- statistics ------------------------------------------------------ */

static void
stats_u8 (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  const uint8_t *s = in;

  if (clip->active || n < MIN_SAMPLES) {
    r128norm_stats_contig_c (R128NORM_FORMAT_U8, in, n, clip, acc);
    return;
  }
  fp_state fp = fp_save ();
  acc->n += n;
  while (n > 0) {
    size_t len = n < STATS_CHUNK ? n : STATS_CHUNK;
    orc_uint32 sum, sumsq;

    r128norm_orc_stats_u8 (&sum, &sumsq, s, (int) len);
    acc->sum += sum;
    acc->sumsq += sumsq;
    s += len;
    n -= len;
  }
  fp_restore (fp);
}

static void
stats_s16 (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  const int16_t *s = in;

  if (clip->active || n < MIN_SAMPLES || !IS_ALIGNED (in, 2)) {
    r128norm_stats_contig_c (R128NORM_FORMAT_S16, in, n, clip, acc);
    return;
  }
  fp_state fp = fp_save ();
  acc->n += n;
  while (n > 0) {
    size_t len = n < STATS_CHUNK ? n : STATS_CHUNK;
    orc_int32 sum;
    orc_uint32 hi, lo;

    r128norm_orc_stats_s16 (&sum, &hi, &lo, s, (int) len);
    acc->sum += sum;
    acc->sumsq += ((uint64_t) hi << 16) + lo;
    s += len;
    n -= len;
  }
  fp_restore (fp);
}

static void
stats_u16 (const void *in, size_t n, const r128norm_clip *clip,
    r128norm_acc *acc)
{
  const uint16_t *s = in;

  if (clip->active || n < MIN_SAMPLES || !IS_ALIGNED (in, 2)) {
    r128norm_stats_contig_c (R128NORM_FORMAT_U16, in, n, clip, acc);
    return;
  }
  fp_state fp = fp_save ();
  acc->n += n;
  while (n > 0) {
    size_t len = n < STATS_CHUNK ? n : STATS_CHUNK;
    orc_uint32 sum, hi, lo;

    r128norm_orc_stats_u16 (&sum, &hi, &lo, s, (int) len);
    acc->sum += sum;
    acc->sumsq += ((uint64_t) hi << 16) + lo;
    s += len;
    n -= len;
  }
  fp_restore (fp);
}

/* ---- apply ------------------------------------------------------------- */

/* 8/16-bit integer in, the same format out: bit-identical to C. */
#define DEFINE_APPLY_INT(NAME, FORMAT, IN_T, OUT_T)                       \
  static uint64_t                                                         \
  apply_##NAME (const void *in, void *out, size_t n,                      \
      const r128norm_affine *p)                                           \
  {                                                                       \
    const IN_T *s = in;                                                   \
    OUT_T *d = out;                                                       \
    if (n < MIN_SAMPLES || !IS_ALIGNED (in, sizeof (IN_T))              \
        || !IS_ALIGNED (out, sizeof (OUT_T)))                             \
      return apply_c (FORMAT, FORMAT, in, out, n, p);                     \
    fp_state fp = fp_save ();                                             \
    while (n > 0) {                                                       \
      size_t len = n < APPLY_CHUNK ? n : APPLY_CHUNK;                     \
      r128norm_orc_apply_##NAME (d, s, p->cf, p->af, p->bf, p->lof,       \
          p->hif, (int32_t) p->lof, (int) len);                           \
      s += len;                                                           \
      d += len;                                                           \
      n -= len;                                                           \
    }                                                                     \
    fp_restore (fp);                                                      \
    return 0;                                                             \
  }

/* 8/16-bit integer in, F32 out: the same single precision steps as C. */
#define DEFINE_APPLY_INT_F32(NAME, FORMAT, IN_T)                          \
  static uint64_t                                                         \
  apply_##NAME (const void *in, void *out, size_t n,                      \
      const r128norm_affine *p)                                           \
  {                                                                       \
    const IN_T *s = in;                                                   \
    float *d = out;                                                       \
    if (n < MIN_SAMPLES || !IS_ALIGNED (in, sizeof (IN_T))              \
        || !IS_ALIGNED (out, 4))                                          \
      return apply_c (FORMAT, R128NORM_FORMAT_F32, in, out, n, p);        \
    fp_state fp = fp_save ();                                             \
    while (n > 0) {                                                       \
      size_t len = n < APPLY_CHUNK ? n : APPLY_CHUNK;                     \
      r128norm_orc_apply_##NAME (d, s, p->cf, p->af, p->bf, p->lof,       \
          p->hif, (int) len);                                             \
      s += len;                                                           \
      d += len;                                                           \
      n -= len;                                                           \
    }                                                                     \
    fp_restore (fp);                                                      \
    return 0;                                                             \
  }

DEFINE_APPLY_INT (u8, R128NORM_FORMAT_U8, uint8_t, uint8_t)
DEFINE_APPLY_INT (s16, R128NORM_FORMAT_S16, int16_t, int16_t)
DEFINE_APPLY_INT (u16, R128NORM_FORMAT_U16, uint16_t, uint16_t)
DEFINE_APPLY_INT_F32 (u8_f32, R128NORM_FORMAT_U8, uint8_t)
DEFINE_APPLY_INT_F32 (s16_f32, R128NORM_FORMAT_S16, int16_t)
DEFINE_APPLY_INT_F32 (u16_f32, R128NORM_FORMAT_U16, uint16_t)

/* F32 in, F32 out, in double precision; returns the non-finite count. */
static uint64_t
apply_f32 (const void *in, void *out, size_t n, const r128norm_affine *p)
{
  const float *s = in;
  float *d = out;
  uint64_t non_finite = 0;

  if (n < MIN_SAMPLES_F32 || !IS_ALIGNED (in, 4) || !IS_ALIGNED (out, 4))
    return apply_c (R128NORM_FORMAT_F32, R128NORM_FORMAT_F32, in, out, n, p);
  fp_state fp = fp_save ();
  while (n > 0) {
    size_t len = n < APPLY_CHUNK ? n : APPLY_CHUNK;
    orc_uint32 count;

    r128norm_orc_apply_f32 (d, &count, s, p->c, p->a, p->b, p->lo, p->hi,
        -DBL_MAX, DBL_MAX, (float) p->non_finite, (int) len);
    non_finite += count;
    s += len;
    d += len;
    n -= len;
  }
  fp_restore (fp);
  return non_finite;
}

/* ---- the table --------------------------------------------------------- */

typedef struct {
  r128norm_stats_contig_fn stats_contig;
  /* apply to the same format and to F32 */
  r128norm_apply_contig_fn apply_contig[2];
} orc_format_kernels;

static const orc_format_kernels orc_kernels[R128NORM_N_FORMATS] = {
  [R128NORM_FORMAT_U8] = { stats_u8, { apply_u8, apply_u8_f32 } },
  [R128NORM_FORMAT_U8_CENTERED] = { stats_u8, { apply_u8, apply_u8_f32 } },
  [R128NORM_FORMAT_S16] = { stats_s16, { apply_s16, apply_s16_f32 } },
  [R128NORM_FORMAT_U16] = { stats_u16, { apply_u16, apply_u16_f32 } },
  [R128NORM_FORMAT_F32] = { NULL, { apply_f32, apply_f32 } },
};

int
r128norm_kernels_orc (r128norm_format in, r128norm_format out,
    r128norm_kernel_set *set)
{
  const orc_format_kernels *k;
  r128norm_apply_contig_fn apply = NULL;

  if ((unsigned) in >= R128NORM_N_FORMATS)
    return 0;
  if (out != in && out != R128NORM_FORMAT_F32 && out != R128NORM_FORMAT_F16)
    return 0;
  k = &orc_kernels[in];
  if (out == in)
    apply = k->apply_contig[0];
  else if (out == R128NORM_FORMAT_F32)
    apply = k->apply_contig[1];
  if (!k->stats_contig && !apply)
    return 0;

  /* idempotent and thread safe; the kernels compile on first use */
  orc_init ();
  set->name = "orc";
  if (k->stats_contig)
    set->stats_contig = k->stats_contig;
  if (apply)
    set->apply_contig = apply;
  return 1;
}

#else /* !HAVE_ORC */

int
r128norm_kernels_orc (r128norm_format in, r128norm_format out,
    r128norm_kernel_set *set)
{
  (void) in;
  (void) out;
  (void) set;
  return 0;
}

#endif /* HAVE_ORC */
