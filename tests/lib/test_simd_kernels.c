/* Every x86 SIMD kernel against the C kernel it replaces, and the packed-row
 * path against the per-channel C path.
 *
 * Kernels: random rows of many lengths (0 to 2 vectors, odd tails, the
 * 32-bit flush points), unaligned starts, in place and out of place,
 * random and extreme affine parameters, full-scale integers, NaN/Inf/-0
 * floats, strided u8 statistics, and strided applies with input steps of
 * 1 to 5 bytes and output steps of 1 to 5 samples (the u8 -> f32 kernels
 * take input steps 2 to 4, u8 -> f16 input steps 1 to 4 and output steps
 * 1 to 4).
 *   u16, s16 and u8/s16 -> f32 output: bit-identical to C (same steps,
 *   no FMA)
 *   f16 output (from u8 by table, from s16, u16, f32 and f16) and f16 ->
 *   f32: bit-identical to C (C's double steps, one rounding to half),
 *   outputs down to half's subnormals
 *   f32 -> f32 output: single precision with FMA where that is accurate,
 *   so within 1e-5 of C (relative above 1), as SPEC 3 asks of the
 *   float64 reference
 *   u8 -> u8 output: fixed point by the table's map of integers
 *   (lut_fixed), so C's bytes; where a table has none, within 1 LSB of C,
 *   and different only where C's exact value lies within 2^-12 of a
 *   rounding tie (through the library: within 1 LSB, for at most 2 input
 *   values a lane)
 *   integer statistics: exactly equal; float statistics within 1e-12
 *   relative of C (partial sums change the order of additions)
 *
 * Packed rows (through r128norm_process, SIMD against C): u8 and
 * u8-centred channels interleaved with steps 2 to 32, every lane pattern
 * (channels on any subset of a pixel's bytes, in any order), untouched
 * bytes around them, odd widths, negative strides; frozen, running and
 * frame modes, clip-sigma, diagnostics, and the layout changing between
 * buffers.  Output and running statistics must be identical and the bytes
 * no channel describes unchanged.  And packed u8 to F32 interleaved alike
 * (RGB to an hwc tensor), bit-identical to C.  And interleaved F32
 * (audio) with 2 to 64 samples a pixel, SIMD against C within 1e-5
 * (test_packed_float), and interleaved F16 in place within one half ulp
 * of C (test_packed_half).  And interleaved S16 in place and to F32,
 * bit-identical to C (test_packed_int).  And planar u8 planes (I420,
 * GRAY8): byte for byte C's where u8 is applied by table (test_planar_u8).
 *
 * Usage: test_simd_kernels [seed].  Exits 77 (skip) without AVX2; with
 * R128NORM_NO_AVX2 set, checks what a CPU without AVX2 runs instead: the
 * u8 table kernels (r128norm_kernels_table, to u8, F32 and F16), the
 * portable vector kernels
 * of F32 and F64 rows (r128norm_kernels_vec: the apply within 1e-5 where
 * the map allows single precision, else bit for bit; the statistics
 * within 1e-12) and, through the library, the portable packed
 * u8 and S16 rows and planar u8 planes, against C, bit for bit, and the
 * portable packed F32 and F64 rows (interleaved audio, hwc tensors: the
 * output C's double steps, so within test_packed_float's bounds).
 *
 * test_simd_kernels --bench times the C, ORC and AVX2 kernel of each slot
 * the AVX2 set fills on a 1920-sample row in cache (the L1-resident cost
 * per sample, which decides which kernel AUTO should pick), and
 * r128norm_process on u8 buffers in cache with ORC and SIMD kernels. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define HAVE_MXCSR 1
#endif

#include "r128norm_simd.h"

static int failures, checks;
/* R128NORM_NO_AVX2 is set: the library's SIMD choice is the portable
 * packed u8 kernel, whose output must be C's exactly */
static int portable;

static void
check (int ok, const char *what)
{
  checks++;
  if (!ok && failures++ < 30)
    printf ("FAIL: %s\n", what);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng (void)
{
  uint64_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return rng_state = x;
}

static double
uniform (double lo, double hi)
{
  return lo + (hi - lo) * ((double) (rng () >> 11) / 9007199254740992.0);
}

static size_t
pick (size_t lo, size_t hi)
{
  return lo + (size_t) (rng () % (hi - lo + 1));
}

static const size_t lengths[] = {
  0, 1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 63, 64, 65, 95, 96,
  97, 127, 128, 129, 255, 1000, 1920, 4097, 131072 + 37, 262144 + 131
};
#define N_LENGTHS (sizeof lengths / sizeof lengths[0])

#define MAXN ((size_t) 262144 + 256)
#define PAD 64

static uint8_t *in_buf, *c_out, *s_out;

/* Affine parameters as the library makes them, random and extreme. */
static void
random_affine (r128norm_format in, r128norm_format out, r128norm_affine *p)
{
  const int u8_in = in == R128NORM_FORMAT_U8
      || in == R128NORM_FORMAT_U8_CENTERED;
  const int u8_out = out == R128NORM_FORMAT_U8
      || out == R128NORM_FORMAT_U8_CENTERED;
  double range = u8_in ? 255.0 : in == R128NORM_FORMAT_U16
      ? 65535.0 : in == R128NORM_FORMAT_S16 ? 32767.0 : in
      == R128NORM_FORMAT_S32 ? 2147483647.0 : 4.0;
  double lo = u8_out ? 0.0 : out == R128NORM_FORMAT_U16
      ? 0.0 : out == R128NORM_FORMAT_S16 ? -32768.0 : out
      == R128NORM_FORMAT_S32 ? -2147483648.0 : out
      == R128NORM_FORMAT_F16 ? -65504.0 : out == R128NORM_FORMAT_F64
      ? -DBL_MAX : -FLT_MAX;
  double hi = u8_out ? 255.0 : out == R128NORM_FORMAT_U16
      ? 65535.0 : out == R128NORM_FORMAT_S16 ? 32767.0 : out
      == R128NORM_FORMAT_S32 ? 2147483647.0 : out
      == R128NORM_FORMAT_F16 ? 65504.0 : out == R128NORM_FORMAT_F64
      ? DBL_MAX : FLT_MAX;
  const int float_in = in == R128NORM_FORMAT_F32 || in == R128NORM_FORMAT_F16
      || in == R128NORM_FORMAT_F64;
  /* a gain that maps the input's range onto the output's */
  const double unit = in == R128NORM_FORMAT_S32 && out == R128NORM_FORMAT_S32
      ? 1.0 : in == R128NORM_FORMAT_S32 ? 1.0 / 2147483648.0 : 1.0;
  int kind = (int) (rng () % 7);

  memset (p, 0, sizeof *p);
  p->c = float_in ? uniform (-range, range)
      : in == R128NORM_FORMAT_S16 || in == R128NORM_FORMAT_S32
      ? floor (uniform (-range, range)) : floor (uniform (0, range));
  p->a = uniform (-3, 3) * unit;
  p->b = uniform (lo > -1e30 ? lo : -10, hi < 1e30 ? hi : 10);
  if (kind == 1)
    p->a = uniform (-1e4, 1e4);         /* saturating */
  else if (kind == 2)
    p->a = 0.0;
  else if (kind == 3)
    p->a = 1e30;
  else if (kind == 4 && float_in) {
    p->c = uniform (-1e8, 1e8);         /* extreme means */
    p->a = uniform (-1e-6, 1e-6);
  }
  else if (kind == 6 && in == R128NORM_FORMAT_F64) {
    p->c = uniform (-1e300, 1e300);     /* x - c overflows */
    p->a = uniform (-1e10, 1e10);
  }
  else if (kind == 6 && in == R128NORM_FORMAT_S32)
    p->c = uniform (-1e10, 1e10);       /* not an integer, beyond s32 */
  else if (kind == 5 && out == R128NORM_FORMAT_F16) {
    /* outputs around half's subnormals (below 2^-14) */
    p->a = ldexp (uniform (-1, 1), -(int) (rng () % 30));
    p->b = ldexp (uniform (-1, 1), -(int) (rng () % 30));
  }
  p->lo = lo;
  p->hi = hi;
  if (kind == 5 && out == R128NORM_FORMAT_S32) {
    /* a range the S32 kernels' rounding does not take: C's steps */
    p->lo = floor (uniform (-1e6, 0.0)) - 0.25;
    p->hi = p->lo + uniform (0.0, 2e6);
  }
  p->non_finite = uniform (lo > -1e30 ? lo : -1, hi < 1e30 ? hi : 1);
  p->cf = (float) p->c;
  p->af = (float) p->a;
  p->bf = (float) p->b;
  p->lof = (float) lo;
  p->hif = (float) hi;
}

static void
fill (r128norm_format f, uint8_t *buf, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++) {
    if (f == R128NORM_FORMAT_U8 || f == R128NORM_FORMAT_U8_CENTERED) {
      buf[i] = (uint8_t) (rng () % 4 == 0 ? (rng () & 1) * 255 : rng ());
    } else if (f == R128NORM_FORMAT_U16) {
      uint16_t v = (uint16_t) (rng () % 4 == 0 ? (rng () & 1) * 65535
          : rng ());
      memcpy (buf + 2 * i, &v, 2);
    } else if (f == R128NORM_FORMAT_S16) {
      int16_t v = (int16_t) (rng () % 4 == 0 ? (rng () & 1) ? 32767 : -32768
          : (int) (rng () % 65536) - 32768);
      memcpy (buf + 2 * i, &v, 2);
    } else if (f == R128NORM_FORMAT_F16) {
      /* any half: NaN, infinities, subnormals, -0 and 65504 included */
      uint16_t v = (uint16_t) (rng () % 4 == 0 ? rng ()
          : r128norm_double_to_half (uniform (-5, 5)));
      memcpy (buf + 2 * i, &v, 2);
    } else if (f == R128NORM_FORMAT_S32) {
      int32_t v = (int32_t) (rng () % 4 == 0 ? (rng () & 1) ? INT32_MAX
          : INT32_MIN : (int32_t) (uint32_t) rng ());
      memcpy (buf + 4 * i, &v, 4);
    } else if (f == R128NORM_FORMAT_F64) {
      static const double specials[] = { NAN, INFINITY, -INFINITY, -0.0,
        1e-310, DBL_MAX, -DBL_MAX, 1e300, -1e300 };
      double v = uniform (-5, 5);
      if (rng () % 500 == 0)
        v = specials[rng () % 9];
      else if (rng () % 50 == 0)
        v = uniform (-1e9, 1e9);
      memcpy (buf + 8 * i, &v, 8);
    } else {
      static const float specials[] = { NAN, INFINITY, -INFINITY, -0.0f,
        1e-40f, FLT_MAX, -FLT_MAX };
      float v = (float) uniform (-5, 5);
      if (rng () % 500 == 0)
        v = specials[rng () % 7];
      else if (rng () % 50 == 0)
        v = (float) uniform (-1e9, 1e9);
      memcpy (buf + 4 * i, &v, 4);
    }
  }
}

static size_t differing_bytes, compared_bytes;

/* Packed u8 output through the library: every byte within 1 of C's; a
 * byte that differs is a (lane, input value) pair next to a rounding tie,
 * so it differs wherever that pair occurs, and few pairs do (2 a lane). */
static int
close_packed (const uint8_t *a, const uint8_t *b, const uint8_t *orig,
    size_t n, size_t row, unsigned step)
{
  static unsigned char seen[32][256];
  size_t i, diff = 0, pairs = 0;

  memset (seen, 0, sizeof seen);
  for (i = 0; i < n; i++) {
    int d = (int) a[i] - (int) b[i];
    unsigned lane = (unsigned) ((i % row) % step);
    if (d < -1 || d > 1)
      return 0;
    if (d != 0) {
      diff++;
      pairs += !seen[lane][orig[i]];
      seen[lane][orig[i]] = 1;
    }
  }
  differing_bytes += diff;
  compared_bytes += n;
  return pairs <= 2 * step;
}

/* Where the fixed-point u8 kernel may round differently from C: the exact
 * value of C's map lies within 2^-12 of a tie (its own float error and
 * the fixed point's are both below 2^-14 of 256). */
static int
near_tie (unsigned x, const r128norm_affine *p)
{
  double v = ((double) x - p->cf) * p->af + p->bf;
  return fabs (v - floor (v) - 0.5) <= ldexp (1.0, -12);
}

/* f32 -> f32 kernel output: within 1e-5 of C's (SPEC 3: C computes in
 * double), 1e-5 relative above 1; bit-identical outside [at, at + n). */
static double f32_worst;

static int
check_f32_kernel (size_t at, size_t n, size_t total)
{
  size_t i;

  if (memcmp (c_out, s_out, at * 4) || memcmp (c_out + (at + n) * 4,
          s_out + (at + n) * 4, total - (at + n) * 4))
    return 0;
  for (i = 0; i < n; i++) {
    float a, b;
    double err;
    memcpy (&a, c_out + (at + i) * 4, 4);
    memcpy (&b, s_out + (at + i) * 4, 4);
    if (isnan (a) || isnan (b) || isinf (a) || isinf (b))
      return 0;                 /* the kernels clamp to +-FLT_MAX */
    err = fabs ((double) a - (double) b) / fmax (1.0, fabs ((double) a));
    if (err > f32_worst)
      f32_worst = err;
    if (err > 1e-5)
      return 0;
  }
  return 1;
}

/* u8 -> u8 kernel output: C and SIMD differ by at most 1, and only near
 * ties; nothing outside [at, at + n) is touched. */
static int
check_u8_kernel (const uint8_t *src, size_t at, size_t n, size_t total,
    const r128norm_affine *p)
{
  size_t i, diff = 0;

  if (memcmp (c_out, s_out, at) || memcmp (c_out + at + n, s_out + at + n,
          total - at - n))
    return 0;
  for (i = 0; i < n; i++) {
    int d = (int) c_out[at + i] - (int) s_out[at + i];
    if (d == 0)
      continue;
    if (d < -1 || d > 1 || !near_tie (src[i], p))
      return 0;
    diff++;
  }
  differing_bytes += diff;
  compared_bytes += n;
  return 1;
}

static int
same_acc (const r128norm_acc *a, const r128norm_acc *b, int is_float)
{
  if (a->n != b->n || a->non_finite != b->non_finite || a->sum != b->sum
      || a->sumsq != b->sumsq || a->n_lo != b->n_lo || a->n_hi != b->n_hi)
    return 0;
  if (!is_float)
    return a->fsum == b->fsum && a->fsq == b->fsq;
  /* F64 samples near DBL_MAX make sums of squares that overflow, in
   * both; the sums are then meaningless, in any order of additions */
  if (!isfinite (b->fsq))
    return !isfinite (a->fsq);
  /* the sum's rounding errors scale with the sum of |x - shift|, which
   * sqrt (n * sum of squares) bounds */
  return fabs (a->fsum - b->fsum) <= 1e-12 * (fabs (b->fsum)
          + sqrt ((double) b->n * b->fsq)) + 1e-9
      && fabs (a->fsq - b->fsq) <= 1e-12 * fabs (b->fsq) + 1e-9;
}

/* The model of the kernels' lut_single check: the single precision map,
 * fmaf (x - cf, af, bf) (fmaf is correctly rounded, as the FMA
 * instruction is, and x - cf is exact for integer cf) clamped and rounded
 * once to half, against the table; usable where at most two values
 * differ, which are then fix[0..1] (one repeated). */
static int
model_lut_single (const r128norm_affine *p, unsigned *fixes, uint8_t fix[2])
{
  unsigned x;

  *fixes = 0;
  for (x = 0; x < 256; x++) {
    float v = fmaf ((float) x - p->cf, p->af, p->bf);
    uint16_t want;
    v = v < p->lof ? p->lof : v;
    v = v > p->hif ? p->hif : v;
    memcpy (&want, p->lut + 2 * x, sizeof want);
    if (r128norm_double_to_half (v) != want) {
      if (*fixes == 2)
        return 0;
      fix[(*fixes)++] = (uint8_t) x;
    }
  }
  if (*fixes == 1)
    fix[1] = fix[0];
  return 1;
}

/* The model of a u8 map of integers (r128norm_u8_fixed) at x */
static uint8_t
model_fixed (const r128norm_u8_fixed *f, unsigned x)
{
  /* an arithmetic shift, as floor division */
  int64_t v = (int64_t) x * f->fa + f->fb;
  v = v >= 0 ? v / ((int64_t) 1 << f->shift)
      : -((-v + ((int64_t) 1 << f->shift) - 1) / ((int64_t) 1 << f->shift));
  return (uint8_t) (v < 0 ? 0 : v > 255 ? 255 : v);
}

static int
model_fixed_is_table (const r128norm_u8_fixed *f, const uint8_t *table)
{
  unsigned x;

  for (x = 0; x < 256; x++)
    if (model_fixed (f, x) != table[x])
      return 0;
  return 1;
}

/* The u8 table of a kernel set that wants one, as the library fills it:
 * C's outputs for all 256 values (and, where the set asks, whether the
 * single precision map gives the same halves, which must be what the
 * model finds). */
static void
fill_lut (r128norm_format in, r128norm_format out,
    const r128norm_kernel_set *k, r128norm_affine *p)
{
  r128norm_kernel_set c;
  uint8_t ramp[256];
  static float lut_f32[256];
  unsigned v;

  r128norm_kernels_c (in, out, &c);
  for (v = 0; v < 256; v++)
    ramp[v] = (uint8_t) v;
  p->lut_f32 = lut_f32;
  c.apply_contig (ramp, out == R128NORM_FORMAT_F32 ? (void *) p->lut_f32
      : (void *) p->lut, 256, p);
  p->has_lut = 1;
  p->lut_single = 0;
  if (k->lut_derive && out != R128NORM_FORMAT_F16) {
    /* u8 out: the table's map of integers, which must be the table */
    p->lut_fixed.shift = -1;
    k->lut_derive (p);
    check (p->lut_fixed.shift == 0 || model_fixed_is_table (&p->lut_fixed,
            p->lut), "lut_fixed against the table");
  } else if (k->lut_derive) {
    unsigned fixes;
    uint8_t fix[2];
    const int single = model_lut_single (p, &fixes, fix);
    k->lut_derive (p);
    check (p->lut_single == single && (!single || (p->lut_fixes == fixes
                && !memcmp (p->lut_fix, fix, fixes ? 2 : 0))),
        "lut_single check against its model");
  }
}

/* Whether the portable F32 kernel takes its single precision steps for
 * this map (else C's double steps, so C's output bit for bit). */
static int
single_map (const r128norm_affine *p)
{
  float cf;
  double bb;
  return r128norm_single_precision (p, &cf, &bb);
}

static void
test_pair (r128norm_format in, r128norm_format out, const char *name)
{
  r128norm_kernel_set c, s;
  size_t isz = r128norm_format_size (in), osz = r128norm_format_size (out);
  char what[160];
  unsigned li, lut_exact = 0, lut_fixed = 0;

  r128norm_kernels_c (in, out, &c);
  s = c;
  if (portable) {
    r128norm_kernels_table (in, out, &s);
    r128norm_kernels_vec (in, out, &s);
  } else
    r128norm_kernels_x86 (in, out, &s);
  for (li = 0; li < N_LENGTHS; li++) {
    size_t n = lengths[li];
    int rep;
    for (rep = 0; rep < (n > 5000 ? 2 : 12); rep++) {
      size_t off = pick (0, 7), ooff = pick (0, 7);
      int inplace = in == out && rep % 3 == 0;
      r128norm_affine p;
      r128norm_clip clip;
      r128norm_acc ac, as;
      uint64_t nc, ns;

      random_affine (in, out, &p);
      if (s.wants_lut) {
        fill_lut (in, out, &s, &p);
        if (out == R128NORM_FORMAT_F16) {
          lut_exact += p.lut_single && !p.lut_fixes;
          lut_fixed += p.lut_single && p.lut_fixes;
        } else {
          /* u8 out: maps of integers found, and none */
          lut_exact += p.lut_fixed.shift != 0;
          lut_fixed += p.lut_fixed.shift == 0;
        }
        /* as a map that differs in more than two values (F16), or a
         * table with no map of integers (u8): looked up */
        if (rep % 5 == 4) {
          p.lut_single = 0;
          if (out != R128NORM_FORMAT_F16)
            p.lut_fixed.shift = 0;
        }
      }
      fill (in, in_buf + off * isz, n + PAD);
      /* statistics, with and without clipping */
      memset (&clip, 0, sizeof clip);
      clip.shift = uniform (-3, 3);
      if (rep % 4 == 3) {
        clip.active = 1;
        clip.lo = uniform (0, 100);
        clip.hi = clip.lo + uniform (0, 200);
        clip.ilo = (int64_t) ceil (clip.lo);
        clip.ihi = (int64_t) floor (clip.hi);
      }
      if (c.stats_contig != s.stats_contig) {
        memset (&ac, 0, sizeof ac);
        memset (&as, 0, sizeof as);
        ac.sum = as.sum = 5;    /* the kernels add to what is there */
        c.stats_contig (in_buf + off * isz, n, &clip, &ac);
        s.stats_contig (in_buf + off * isz, n, &clip, &as);
        snprintf (what, sizeof what, "stats %s n=%zu clip=%d", name, n,
            clip.active);
        check (same_acc (&as, &ac, in == R128NORM_FORMAT_F32
                || in == R128NORM_FORMAT_F16 || in == R128NORM_FORMAT_F64),
            what);
      }
      if (c.stats != s.stats) {
        ptrdiff_t step = (ptrdiff_t) pick (1, 5);
        size_t m = n > 20000 ? 20000 : n;
        fill (in, in_buf, (m + 1) * (size_t) step + PAD);
        memset (&ac, 0, sizeof ac);
        memset (&as, 0, sizeof as);
        c.stats (in_buf + off, step, m, &clip, &ac);
        s.stats (in_buf + off, step, m, &clip, &as);
        snprintf (what, sizeof what, "strided stats %s n=%zu step=%td clip=%d",
            name, m, step, clip.active);
        check (same_acc (&as, &ac, in == R128NORM_FORMAT_F16
                || in == R128NORM_FORMAT_F32 || in == R128NORM_FORMAT_F64),
            what);
      }
      if (c.apply_contig != s.apply_contig) {
        uint8_t *src = in_buf + off * isz;
        memset (c_out, 0xa5, (n + PAD) * osz + 64);
        memset (s_out, 0xa5, (n + PAD) * osz + 64);
        if (inplace) {
          memcpy (c_out + off * isz, src, n * isz);
          memcpy (s_out + off * isz, src, n * isz);
          nc = c.apply_contig (c_out + off * isz, c_out + off * isz, n, &p);
          ns = s.apply_contig (s_out + off * isz, s_out + off * isz, n, &p);
        } else {
          nc = c.apply_contig (src, c_out + ooff * osz, n, &p);
          ns = s.apply_contig (src, s_out + ooff * osz, n, &p);
        }
        snprintf (what, sizeof what, "apply %s n=%zu inplace=%d a=%g c=%g",
            name, n, inplace, p.a, p.c);
        /* u8 out, x86: by the table's map of integers (lut_fixed) C's
         * bytes, else the fixed point within 1 LSB next to ties */
        check (nc == ns && (out == R128NORM_FORMAT_U8 && !portable
                && !(p.has_lut && p.lut_fixed.shift)
                ? check_u8_kernel (src, inplace ? off : ooff, n,
                    (n + PAD) * osz + 64, &p)
                : in == R128NORM_FORMAT_F32 && out == R128NORM_FORMAT_F32
                && (!portable || single_map (&p))
                ? check_f32_kernel (inplace ? off : ooff, n,
                    (n + PAD) * osz + 64)
                : !memcmp (c_out, s_out, (n + PAD) * osz + 64)), what);
      }
      if (c.apply != s.apply) {
        /* the output strided too, as one channel of an hwc tensor: the
         * samples between must stay as they were */
        ptrdiff_t step = (ptrdiff_t) pick (1, 5);
        ptrdiff_t ostep = (ptrdiff_t) (osz * pick (1, 5));
        size_t m = n > 20000 ? 20000 : n;
        size_t span = m * (size_t) ostep + 64;
        /* the input in a block that ends at its last sample, so that
         * AddressSanitizer sees a read past it */
        size_t tight_bytes = m ? (m - 1) * (size_t) step + isz : 1;
        uint8_t *tight = malloc (tight_bytes);
        fill (in, in_buf, (m + 1) * (size_t) step + PAD);
        if (!tight)
          abort ();
        memcpy (tight, in_buf + off, tight_bytes);
        memset (c_out, 0xa5, span);
        memset (s_out, 0xa5, span);
        nc = c.apply (tight, step, c_out + ooff * osz, ostep, m, &p);
        ns = s.apply (tight, step, s_out + ooff * osz, ostep, m, &p);
        free (tight);
        snprintf (what, sizeof what, "strided apply %s n=%zu step=%td "
            "out step=%td", name, m, step, ostep);
        check (nc == ns && !memcmp (c_out, s_out, span), what);
      }
    }
  }
  /* a kernel that computes where the table allows it: maps without and
   * with values taken from the table both drawn */
  if (s.lut_derive) {
    /* F16: maps computed without and with values taken from the table;
     * u8: tables with maps of integers and without (the saturating gains
     * of random_affine, 1e4 and 1e30) */
    snprintf (what, sizeof what, "%s: maps computed %u, with fixes (or "
        "none) %u", name, lut_exact, lut_fixed);
    check (lut_exact > 0 && lut_fixed > 0, what);
  }
}

/* The tables' portable steps (r128norm_u8_steps_vec, what the library
 * makes the u8 tables with) against the C kernel they stand for, bit for
 * bit: random and extreme maps (random_affine), every input value and
 * random rows of every length, in place and not. */
static void
test_u8_steps (void)
{
  static const r128norm_format ins[] = { R128NORM_FORMAT_U8,
    R128NORM_FORMAT_U8_CENTERED
  };
  unsigned f, o, li;
  char what[160];

  for (f = 0; f < 2; f++)
    for (o = 0; o < 2; o++) {
      const r128norm_format in = ins[f], out = o ? R128NORM_FORMAT_F32 : in;
      const size_t osz = r128norm_format_size (out);
      r128norm_apply_contig_fn steps = r128norm_u8_steps_vec (in, out);
      r128norm_kernel_set c;
      r128norm_kernels_c (in, out, &c);
      check (steps != NULL, "u8 steps in vectors");
      if (!steps)
        return;
      for (li = 0; li < N_LENGTHS; li++) {
        const size_t n = lengths[li] > 4097 ? 4097 : lengths[li];
        int rep;
        for (rep = 0; rep < 20; rep++) {
          const size_t off = pick (0, 7);
          const int inplace = !o && rep % 2;
          r128norm_affine p;
          size_t i;
          random_affine (in, out, &p);
          if (rep % 4 == 0)
            for (i = 0; i < n + PAD; i++)
              in_buf[i] = (uint8_t) i;    /* every value, and on */
          else
            fill (in, in_buf, n + PAD);
          memset (c_out, 0xa5, (n + PAD) * osz);
          memset (s_out, 0xa5, (n + PAD) * osz);
          if (inplace) {
            memcpy (c_out + off, in_buf, n);
            memcpy (s_out + off, in_buf, n);
            c.apply_contig (c_out + off, c_out + off, n, &p);
            steps (s_out + off, s_out + off, n, &p);
          } else {
            c.apply_contig (in_buf, c_out + off * osz, n, &p);
            steps (in_buf, s_out + off * osz, n, &p);
          }
          snprintf (what, sizeof what, "u8 steps %u -> %u n=%zu inplace=%d "
              "a=%g c=%g", (unsigned) in, (unsigned) out, n, inplace,
              (double) p.af, p.c);
          check (!memcmp (c_out, s_out, (n + PAD) * osz), what);
        }
      }
    }
}

/* ---- packed rows through the library ------------------------------- */

/* lanes[0..n) a random permutation of 0..n - 1: a random lane for each
 * channel, in random order */
static void
shuffled_lanes (unsigned *lanes, unsigned n)
{
  unsigned c;

  for (c = 0; c < n; c++)
    lanes[c] = c;
  for (c = 0; c < n; c++) {
    unsigned k = (unsigned) pick (c, n - 1), t = lanes[c];
    lanes[c] = lanes[k];
    lanes[k] = t;
  }
}

/* Whether two states' running statistics are the same bits (the SIMD and
 * C paths with exact integer sums). */
static int
same_running (const r128norm_state *a, const r128norm_state *b, unsigned C)
{
  double ma[64], va[64], mb[64], vb[64];

  r128norm_get_running (a, ma, va, C);
  r128norm_get_running (b, mb, vb, C);
  return !memcmp (ma, mb, C * sizeof *ma) && !memcmp (va, vb, C * sizeof *va);
}

static r128norm_state *
make (unsigned C, r128norm_format f, r128norm_kernels k,
    r128norm_stats_mode mode, double clip_sigma, int diag)
{
  r128norm_config cfg;
  r128norm_state *st = r128norm_create (C, NULL);
  double gamma[64], beta[64];
  unsigned c;

  for (c = 0; c < C; c++) {
    gamma[c] = uniform (0.05, 2.0);
    beta[c] = uniform (0.2, 0.8);
  }
  r128norm_config_init (&cfg);
  cfg.stats = mode;
  cfg.gamma = gamma;
  cfg.n_gamma = C;
  cfg.beta = beta;
  cfg.n_beta = C;
  cfg.clip_sigma = clip_sigma;
  cfg.diagnostics = diag;
  cfg.variant = rng () % 3 ? R128NORM_VARIANT_PER_CHANNEL
      : R128NORM_VARIANT_LAYER;
  r128norm_set_formats (st, f, f);
  r128norm_set_kernels (st, k);
  r128norm_set_config (st, &cfg);
  return st;
}

static void
test_packed (int iter)
{
  static const unsigned steps[] = { 2, 3, 4, 6, 8, 12, 16, 24, 32 };
  unsigned step = steps[rng () % 9], C = (unsigned) pick (1, step);
  unsigned lanes[32], c, b;
  r128norm_format f = rng () % 4 ? R128NORM_FORMAT_U8
      : R128NORM_FORMAT_U8_CENTERED;
  r128norm_stats_mode mode = (r128norm_stats_mode) (rng () % 3);
  size_t w = pick (1, 300), h = pick (1, 9), pad = pick (0, 40);
  size_t row = w * step + pad, bytes = row * h;
  int neg = rng () % 5 == 0, diag = rng () % 8 == 0;
  double clip_sigma = rng () % 6 == 0 ? 1.5 : 0.0;
  r128norm_state *sc = make (C, f, R128NORM_KERNELS_C, mode, clip_sigma,
      diag);
  r128norm_state *ss;
  r128norm_channel ch[32], chs[32];
  uint8_t *bc = c_out, *bs = s_out, *orig = in_buf;
  char what[200];

  rng_state ^= 0x1234;          /* the same gamma/beta for both states */
  {
    uint64_t saved = rng_state;
    rng_state = saved;
    r128norm_destroy (&sc);
    sc = make (C, f, R128NORM_KERNELS_C, mode, clip_sigma, diag);
    rng_state = saved;
    ss = make (C, f, R128NORM_KERNELS_SIMD, mode, clip_sigma, diag);
  }
  shuffled_lanes (lanes, step);
  for (b = 0; b < 3; b++) {
    fill (R128NORM_FORMAT_U8, orig, bytes);
    if (b == 1)                 /* a dim second buffer moves the stats */
      for (size_t i = 0; i < bytes; i++)
        orig[i] = (uint8_t) (orig[i] / 3 + 20);
    memcpy (bc, orig, bytes);
    memcpy (bs, orig, bytes);
    for (c = 0; c < C; c++) {
      ptrdiff_t stride = neg ? -(ptrdiff_t) row : (ptrdiff_t) row;
      size_t first = neg ? (h - 1) * row : 0;
      ch[c].data = bc + first + lanes[c];
      chs[c].data = bs + first + lanes[c];
      ch[c].step = chs[c].step = step;
      ch[c].stride = chs[c].stride = stride;
      ch[c].width = chs[c].width = w;
      ch[c].height = chs[c].height = h;
    }
    if (b == 2 && w > 2)        /* a layout change: the cache must notice */
      for (c = 0; c < C; c++)
        ch[c].width = chs[c].width = w - 1;
    check (r128norm_process (sc, ch, NULL, 1 / 30.0) == R128NORM_SUCCESS
        && r128norm_process (ss, chs, NULL, 1 / 30.0) == R128NORM_SUCCESS,
        "process");
    snprintf (what, sizeof what, "packed iter %d buffer %u: step %u C %u "
        "w %zu h %zu neg %d mode %d clip %g diag %d %s", iter, b, step, C, w,
        h, neg, (int) mode, clip_sigma, diag, r128norm_get_kernel_name (ss));
    check (close_packed (bc, bs, orig, bytes, row, step)
        && (!portable || !memcmp (bc, bs, bytes)), what);
    /* bytes no channel describes are unchanged */
    {
      int touched[32] = { 0 }, ok = 1;
      for (c = 0; c < C; c++)
        touched[lanes[c]] = 1;
      for (size_t i = 0; i < bytes; i++) {
        size_t x = i % row, col = x / step;
        int described = x < w * step && touched[x % step]
            && col < ch[0].width;
        if (!described && bs[i] != orig[i])
          ok = 0;
      }
      check (ok, what);
    }
    {
      double mc[32], vc[32], ms[32], vs[32];
      r128norm_get_running (sc, mc, vc, C);
      r128norm_get_running (ss, ms, vs, C);
      check (!memcmp (mc, ms, C * sizeof *mc) && !memcmp (vc, vs,
              C * sizeof *vc), what);
      for (c = 0; c < C; c++) {
        const r128norm_report *rc = r128norm_get_report (sc, c);
        const r128norm_report *rs = r128norm_get_report (ss, c);
        check (!memcmp (rc, rs, sizeof *rc), what);
      }
    }
  }
  r128norm_destroy (&sc);
  r128norm_destroy (&ss);
}

/* One long packed u8 row (interleaved u8 audio, 3 s of stereo; RGB and
 * RGBA rows of 300,000 pixels) of loud samples: the kernels' 32-bit
 * partial sums must reach the running statistics whole, bit for bit C's
 * (a flush that added its 16 lanes in 32 bits wrapped past 264 KB). */
static void
test_packed_long_row (void)
{
  static const unsigned steps[] = { 2, 3, 4 };
  unsigned k;

  /* frame statistics (a pass of sums, then the apply), then running ones
   * (the second buffer: sums and apply in one pass) */
  for (k = 0; k < 6; k++) {
    const unsigned step = steps[k % 3], C = step == 4 ? 3 : step;
    const r128norm_stats_mode mode = k < 3 ? R128NORM_STATS_FRAME
        : R128NORM_STATS_RUNNING;
    const size_t w = step == 2 ? 144000 : 300000, bytes = w * step;
    r128norm_channel ch[4], chs[4];
    r128norm_state *sc, *ss;
    uint64_t saved;
    char what[160];
    size_t i;
    unsigned c;

    saved = rng_state;
    sc = make (C, R128NORM_FORMAT_U8, R128NORM_KERNELS_C, mode, 0.0, 0);
    rng_state = saved;
    ss = make (C, R128NORM_FORMAT_U8, R128NORM_KERNELS_SIMD, mode, 0.0, 0);
    /* loud: channel 0 all 255, whose squares fill 32 bits fastest */
    for (i = 0; i < bytes; i++)
      in_buf[i] = (uint8_t) (i % 7 == 0 && i % step != 0 ? 200 : 255);
    memcpy (c_out, in_buf, bytes);
    memcpy (s_out, in_buf, bytes);
    for (c = 0; c < C; c++) {
      ch[c].data = c_out + c;
      chs[c].data = s_out + c;
      ch[c].step = chs[c].step = step;
      ch[c].stride = chs[c].stride = (ptrdiff_t) bytes;
      ch[c].width = chs[c].width = w;
      ch[c].height = chs[c].height = 1;
    }
    check (r128norm_process (sc, ch, NULL, 1.0) == R128NORM_SUCCESS
        && r128norm_process (ss, chs, NULL, 1.0) == R128NORM_SUCCESS,
        "long row: process");
    if (mode == R128NORM_STATS_RUNNING) {
      memcpy (c_out, in_buf, bytes);
      memcpy (s_out, in_buf, bytes);
      check (r128norm_process (sc, ch, NULL, 1.0) == R128NORM_SUCCESS
          && r128norm_process (ss, chs, NULL, 1.0) == R128NORM_SUCCESS,
          "long row: process a second buffer");
    }
    snprintf (what, sizeof what, "long row: step %u, %zu bytes, mode %d, %s",
        step, bytes, (int) mode, r128norm_get_kernel_name (ss));
    check (same_running (sc, ss, C), what);
    /* by table, or by the table's map of integers: C's bytes */
    check (memcmp (c_out, s_out, bytes) == 0, what);
    r128norm_destroy (&sc);
    r128norm_destroy (&ss);
  }
}

/* Packed u8 to F32 or F16 through r128norm_process, SIMD against C: C
 * channels on bytes lanes[] of pixels of step bytes, channel c to sample
 * out_pos[c] of output pixels of out_samples samples, or (out_samples 0)
 * each to a plane of its own, as a chw tensor; random widths (tails) and
 * row padding in and out, a random mode, three buffers.  Output bit for
 * bit, output padding untouched, running statistics identical. */
static void
u8_to_float_case (int iter, r128norm_format out, unsigned step, unsigned C,
    const unsigned *lanes, const unsigned *out_pos, unsigned out_samples,
    const char *name)
{
  r128norm_stats_mode mode = (r128norm_stats_mode) (rng () % 3);
  const size_t osz = r128norm_format_size (out);
  size_t w = pick (1, 200), h = pick (1, 6), pad = pick (0, 9);
  size_t row = w * step + pad;
  size_t orow = ((out_samples ? w * out_samples : w) + pick (0, 9)) * osz;
  size_t obytes = orow * h * (out_samples ? 1 : C);
  r128norm_state *sc, *ss;
  r128norm_channel ch[32], oc[32], os[32];
  uint8_t *ic = in_buf, *fc = c_out, *fs = s_out;
  uint64_t saved = rng_state;
  unsigned c, b;
  char what[160];

  sc = make (C, R128NORM_FORMAT_U8, R128NORM_KERNELS_C, mode, 0.0, 0);
  rng_state = saved;
  ss = make (C, R128NORM_FORMAT_U8, R128NORM_KERNELS_SIMD, mode, 0.0, 0);
  r128norm_set_formats (sc, R128NORM_FORMAT_U8, out);
  r128norm_set_formats (ss, R128NORM_FORMAT_U8, out);
  for (b = 0; b < 3; b++) {
    fill (R128NORM_FORMAT_U8, ic, row * h);
    memset (fc, 0x5a, obytes);
    memset (fs, 0x5a, obytes);
    for (c = 0; c < C; c++) {
      size_t at = out_samples ? osz * out_pos[c] : orow * h * c;
      ch[c].data = ic + lanes[c];
      oc[c].data = fc + at;
      os[c].data = fs + at;
      ch[c].step = step;
      oc[c].step = os[c].step = (ptrdiff_t) (osz * (out_samples ?
              out_samples : 1));
      ch[c].stride = (ptrdiff_t) row;
      oc[c].stride = os[c].stride = (ptrdiff_t) orow;
      ch[c].width = oc[c].width = os[c].width = w;
      ch[c].height = oc[c].height = os[c].height = h;
    }
    check (r128norm_process (sc, ch, oc, 1 / 30.0) == R128NORM_SUCCESS
        && r128norm_process (ss, ch, os, 1 / 30.0) == R128NORM_SUCCESS,
        name);
    snprintf (what, sizeof what, "%s iter %d buffer %u: step %u channels "
        "%u w %zu h %zu mode %d", name, iter, b, step, C, w, h, (int) mode);
    check (!memcmp (fc, fs, obytes), what);
    check (same_running (sc, ss, C), what);
  }
  r128norm_destroy (&sc);
  r128norm_destroy (&ss);
}

/* Packed u8 to F32 interleaved alike (RGB to hwc), every lane a channel. */
static void
test_packed_f32 (int iter)
{
  static const unsigned steps[] = { 2, 3, 4, 6, 8, 12, 16, 24, 32 };
  unsigned step = steps[rng () % 9], lanes[32];

  shuffled_lanes (lanes, step);
  u8_to_float_case (iter, R128NORM_FORMAT_F32, step, step, lanes, lanes,
      step, "packed to f32");
}

/* Packed u8 to F32 pixels of the channels alone, in any order (RGBx, BGRA,
 * xRGB or BGR to an hwc tensor in R, G, B order: the compact kernel):
 * 2 to 4 bytes a pixel, 2 to all of them channels on random bytes, the
 * output floats in a random order of the channels. */
static void
test_packed_compact (int iter)
{
  unsigned step = (unsigned) pick (2, 4), C = (unsigned) pick (2, step);
  unsigned lanes[4], order[4];

  shuffled_lanes (lanes, step);
  shuffled_lanes (order, C);
  u8_to_float_case (iter, R128NORM_FORMAT_F32, step, C, lanes, order, C,
      "packed to compact f32");
}

/* Packed u8 to F16 (video to a float16 tensor, the table kernels):
 * 1 to 5 bytes a pixel, 1 to all of them channels on random bytes, to
 * an hwc tensor of the channels in a random order or to a chw one. */
static void
test_packed_to_half (int iter)
{
  unsigned step = (unsigned) pick (1, 5), C = (unsigned) pick (1, step);
  unsigned lanes[5], order[5];

  shuffled_lanes (lanes, step);
  shuffled_lanes (order, C);
  u8_to_float_case (iter, R128NORM_FORMAT_F16, step, C, lanes, order,
      rng () % 2 ? C : 0, "packed to f16");
}

/* Interleaved S16 or S32 (audio; s32 1) through r128norm_process, SIMD
 * (the packed S16 or S32 rows) against C: 1 to 24 samples a pixel (S32:
 * to 64; 9 and 11 take the per-channel path), in place with channels on
 * random lanes and untouched samples around them, or to F32 of the same
 * interleaving with every lane a channel; random widths, full-scale
 * samples, all three modes, clip-sigma now and then (the per-channel
 * path).  Output bit for bit, untouched samples unchanged, running
 * statistics identical (exact integer sums; S32: C's double steps). */
static void
test_packed_int (int iter, int s32)
{
  /* S16 draws the first 12 (1: mono, contiguous, the packed rows with a
   * period of 1, as S32's) */
  static const unsigned steps[] = { 2, 3, 4, 5, 6, 8, 9, 11, 12, 16, 24, 1,
    32, 64, 7, 14, 28, 48, 56 };
  const r128norm_format format = s32 ? R128NORM_FORMAT_S32
      : R128NORM_FORMAT_S16;
  const size_t size = s32 ? 4 : 2;
  unsigned step = steps[rng () % (s32 ? 19 : 12)], lanes[64], c, b, C;
  r128norm_stats_mode mode = (r128norm_stats_mode) (rng () % 3);
  int to_f32 = rng () % 3 == 0;
  double clip_sigma = rng () % 5 == 0 ? 2.0 : 0.0;
  size_t w = pick (1, 300), h = pick (1, 4), pad = pick (0, 5);
  size_t row = (w * step + pad) * size, orow = (w * step + pad) * (to_f32
      ? 4 : size);
  r128norm_state *sc, *ss;
  r128norm_channel ic[64], oc[64], os[64];
  uint64_t saved;
  char what[160];

  C = to_f32 ? step : (unsigned) pick (1, step);
  saved = rng_state;
  sc = make (C, format, R128NORM_KERNELS_C, mode, clip_sigma, 0);
  rng_state = saved;
  ss = make (C, format, R128NORM_KERNELS_SIMD, mode, clip_sigma, 0);
  if (to_f32) {
    r128norm_set_formats (sc, format, R128NORM_FORMAT_F32);
    r128norm_set_formats (ss, format, R128NORM_FORMAT_F32);
  }
  shuffled_lanes (lanes, step);
  for (b = 0; b < 3; b++) {
    uint8_t *src = in_buf, *fc = c_out, *fs = s_out;
    const size_t osize = to_f32 ? 4 : size;
    fill (format, src, row * h / size);
    if (to_f32) {
      memset (fc, 0x5a, orow * h);
      memset (fs, 0x5a, orow * h);
    } else {
      memcpy (fc, src, row * h);
      memcpy (fs, src, row * h);
    }
    for (c = 0; c < C; c++) {
      ic[c].data = (to_f32 ? src : fc) + size * lanes[c];
      ic[c].step = (ptrdiff_t) (size * step);
      ic[c].stride = (ptrdiff_t) row;
      ic[c].width = w;
      ic[c].height = h;
      oc[c] = os[c] = ic[c];
      oc[c].data = fc + osize * lanes[c];
      os[c].data = fs + osize * lanes[c];
      oc[c].step = os[c].step = (ptrdiff_t) (osize * step);
      oc[c].stride = os[c].stride = (ptrdiff_t) orow;
    }
    if (to_f32) {
      check (r128norm_process (sc, ic, oc, 0.01) == R128NORM_SUCCESS
          && r128norm_process (ss, ic, os, 0.01) == R128NORM_SUCCESS,
          "process packed integers to f32");
    } else {
      check (r128norm_process (sc, oc, NULL, 0.01) == R128NORM_SUCCESS
          && r128norm_process (ss, os, NULL, 0.01) == R128NORM_SUCCESS,
          "process packed integers in place");
    }
    snprintf (what, sizeof what, "packed %s iter %d buffer %u: step %u "
        "C %u w %zu h %zu mode %d f32 %d clip %g", s32 ? "s32" : "s16", iter,
        b, step, C, w, h, (int) mode, to_f32, clip_sigma);
    check (!memcmp (fc, fs, orow * h), what);
    check (same_running (sc, ss, C), what);
  }
  r128norm_destroy (&sc);
  r128norm_destroy (&ss);
}

/* The portable F16 conversions against C's, bit for bit: every half
 * through F16 -> F32 (and F16 -> F16), and to F16 from F32 every half's
 * value, the midpoints between neighbouring halves (ties, to even), a
 * float either side of each midpoint, and random floats across the
 * subnormal and normal ranges and beyond 65504 (clamped, or, with wider
 * bounds, infinite), through an identity map. */
static void
test_half_conversions (void)
{
  r128norm_kernel_set c, s;
  r128norm_affine p;
  float *f = (float *) (void *) in_buf;
  uint16_t *h = (uint16_t *) (void *) in_buf;
  size_t n = 0, i;
  uint64_t nc, ns;
  char what[80];
  unsigned k;

  memset (&p, 0, sizeof p);
  p.a = 1.0;
  p.lo = -65504.0;
  p.hi = 65504.0;
  p.non_finite = 0.25;
  /* every half, F16 -> F32 and F16 -> F16 */
  for (k = 0; k < 2; k++) {
    const r128norm_format out = k ? R128NORM_FORMAT_F16 : R128NORM_FORMAT_F32;
    const size_t osz = r128norm_format_size (out);
    r128norm_kernels_c (R128NORM_FORMAT_F16, out, &c);
    s = c;
    r128norm_kernels_vec (R128NORM_FORMAT_F16, out, &s);
    for (i = 0; i < 65536; i++)
      h[i] = (uint16_t) i;
    memset (c_out, 0x5a, 65536 * osz);
    memset (s_out, 0x5a, 65536 * osz);
    nc = c.apply_contig (h, c_out, 65536, &p);
    ns = s.apply_contig (h, s_out, 65536, &p);
    snprintf (what, sizeof what, "every half to %s", k ? "f16" : "f32");
    check (s.apply_contig != c.apply_contig && nc == ns
        && !memcmp (c_out, s_out, 65536 * osz), what);
  }
  /* F32 -> F16 */
  r128norm_kernels_c (R128NORM_FORMAT_F32, R128NORM_FORMAT_F16, &c);
  s = c;
  r128norm_kernels_vec (R128NORM_FORMAT_F32, R128NORM_FORMAT_F16, &s);
  for (i = 0; i < 0x7c00; i++) {
    const float x = r128norm_half_to_float ((uint16_t) i);
    const float next = r128norm_half_to_float ((uint16_t) (i + 1));
    const float mid = (float) (((double) x + next) / 2);
    const float sgn = i % 2 ? -1.0f : 1.0f;
    f[n++] = sgn * x;
    if (i + 1 < 0x7c00) {
      f[n++] = sgn * mid;
      f[n++] = sgn * nextafterf (mid, 0.0f);
      f[n++] = sgn * nextafterf (mid, 1e9f);
    }
  }
  for (i = 0; i < 100000; i++)
    f[n++] = (float) (i % 2 ? uniform (-1e-4, 1e-4) : uniform (-7e4, 7e4));
  for (k = 0; k < 2; k++) {
    /* the library's bounds, +-65504, and wider ones, where values from
     * 65520 on round to infinity */
    p.lo = k ? -1e6 : -65504.0;
    p.hi = k ? 1e6 : 65504.0;
    memset (c_out, 0x5a, n * 2);
    memset (s_out, 0x5a, n * 2);
    nc = c.apply_contig (f, c_out, n, &p);
    ns = s.apply_contig (f, s_out, n, &p);
    snprintf (what, sizeof what, "f32 -> f16 within +-%g: halves, ties, "
        "neighbours and random values", p.hi);
    check (s.apply_contig != c.apply_contig && nc == ns
        && !memcmp (c_out, s_out, n * 2), what);
  }
}

/* Long S16, U16 and S32 rows at full scale through the contiguous
 * statistics: the kernels' 32-bit partial sums must be flushed before
 * they overflow (S16: past 65536 units of -32768; U16: past 32768 units
 * of 65535), S32's 64-bit ones must hold, and the sums are C's, bit for
 * bit. */
static void
test_int16_long_row (void)
{
  static const r128norm_format formats[] = { R128NORM_FORMAT_S16,
    R128NORM_FORMAT_U16
  };
  const size_t n = 16 * 70000 + 5;
  unsigned k;

  for (k = 0; k < 2; k++) {
    const uint16_t v = k ? 65535 : 0x8000;
    r128norm_kernel_set c, s;
    r128norm_clip clip;
    r128norm_acc ac, as;
    char what[80];
    size_t i;

    r128norm_kernels_c (formats[k], formats[k], &c);
    s = c;
    if (portable)
      r128norm_kernels_vec (formats[k], formats[k], &s);
    else
      r128norm_kernels_x86 (formats[k], formats[k], &s);
    for (i = 0; i < n; i++)
      memcpy (in_buf + 2 * i, &v, sizeof v);
    memset (&clip, 0, sizeof clip);
    memset (&ac, 0, sizeof ac);
    memset (&as, 0, sizeof as);
    c.stats_contig (in_buf, n, &clip, &ac);
    s.stats_contig (in_buf, n, &clip, &as);
    snprintf (what, sizeof what, "long %s row: sums", k ? "u16" : "s16");
    check (same_acc (&as, &ac, 0), what);
  }
  /* S32: 250,000 samples a position of the contiguous kernels' units of
   * eight, random at full scale, and 65535 every third (a square whose
   * low 32 bits are near 2^32): the 64-bit sums of those low halves pass
   * 2^49 */
  {
    const size_t n32 = 8 * 250000 + 5;
    r128norm_kernel_set c, s;
    r128norm_clip clip;
    r128norm_acc ac, as;
    size_t i;

    r128norm_kernels_c (R128NORM_FORMAT_S32, R128NORM_FORMAT_S32, &c);
    s = c;
    if (portable)
      r128norm_kernels_vec (R128NORM_FORMAT_S32, R128NORM_FORMAT_S32, &s);
    else
      r128norm_kernels_x86 (R128NORM_FORMAT_S32, R128NORM_FORMAT_S32, &s);
    for (i = 0; i < n32; i++) {
      const int32_t x = i % 3 == 0 ? 65535 : (int32_t) (uint32_t) rng ();
      memcpy (in_buf + 4 * i, &x, sizeof x);
    }
    memset (&clip, 0, sizeof clip);
    memset (&ac, 0, sizeof ac);
    memset (&as, 0, sizeof as);
    c.stats_contig (in_buf, n32, &clip, &ac);
    s.stats_contig (in_buf, n32, &clip, &as);
    check (same_acc (&as, &ac, 0), "long s32 row: sums");
  }
}

/* Planar u8 channels (GRAY8, I420's planes) through r128norm_process, SIMD
 * against C, in place: 1 to 4 planes of their own sizes and strides, all
 * three modes.  Where the SIMD set applies u8 by table (AVX-512 VBMI: the
 * table holds the C kernel's outputs) the output must be C's byte for
 * byte; the fixed-point AVX2 kernel within 1.  Running statistics
 * identical either way (exact integer sums of the input). */
static void
test_planar_u8 (int iter)
{
  r128norm_kernel_set probe;
  unsigned C = (unsigned) pick (1, 4), c, b;
  r128norm_stats_mode mode = (r128norm_stats_mode) (rng () % 3);
  r128norm_channel cc[4], cs[4];
  size_t w[4], h[4], stride[4], off[4], total = 0;
  r128norm_state *sc, *ss;
  uint64_t saved;
  char what[160];
  int exact;

  r128norm_kernels_c (R128NORM_FORMAT_U8, R128NORM_FORMAT_U8, &probe);
  if (portable)
    r128norm_kernels_table (R128NORM_FORMAT_U8, R128NORM_FORMAT_U8, &probe);
  else
    r128norm_kernels_x86 (R128NORM_FORMAT_U8, R128NORM_FORMAT_U8, &probe);
  exact = probe.wants_lut;
  for (c = 0; c < C; c++) {
    w[c] = pick (1, 700);
    h[c] = pick (1, 5);
    stride[c] = w[c] + pick (0, 40);
    off[c] = total;
    total += stride[c] * h[c];
  }
  saved = rng_state;
  sc = make (C, R128NORM_FORMAT_U8, R128NORM_KERNELS_C, mode, 0.0, 0);
  rng_state = saved;
  ss = make (C, R128NORM_FORMAT_U8, R128NORM_KERNELS_SIMD, mode, 0.0, 0);
  for (b = 0; b < 3; b++) {
    size_t i;
    fill (R128NORM_FORMAT_U8, in_buf, total);
    memcpy (c_out, in_buf, total);
    memcpy (s_out, in_buf, total);
    for (c = 0; c < C; c++) {
      cc[c].data = c_out + off[c];
      cs[c].data = s_out + off[c];
      cc[c].step = cs[c].step = 1;
      cc[c].stride = cs[c].stride = (ptrdiff_t) stride[c];
      cc[c].width = cs[c].width = w[c];
      cc[c].height = cs[c].height = h[c];
    }
    check (r128norm_process (sc, cc, NULL, 1 / 30.0) == R128NORM_SUCCESS
        && r128norm_process (ss, cs, NULL, 1 / 30.0) == R128NORM_SUCCESS,
        "process planar u8");
    snprintf (what, sizeof what, "planar u8 iter %d buffer %u: %u planes "
        "mode %d table %d", iter, b, C, (int) mode, exact);
    if (exact) {
      check (!memcmp (c_out, s_out, total), what);
    } else {
      int ok = 1;
      for (i = 0; i < total; i++)
        ok &= abs ((int) c_out[i] - (int) s_out[i]) <= 1;
      check (ok, what);
    }
    check (same_running (sc, ss, C), what);
  }
  r128norm_destroy (&sc);
  r128norm_destroy (&ss);
}

/* Float statistics of SIMD and C (test_packed_float): within 1e-9
 * relative. */
static int
close_stat (double a, double b)
{
  return fabs (a - b) <= 1e-9 * fmax (fabs (a), fabs (b)) + 1e-15;
}

/* means: relative to their size or to the spread of the samples (a few
 * samples of 1e30 among ones of 1 leave the mean's last digits to the
 * order of additions) */
static int
close_mean (double a, double b, double var)
{
  return fabs (a - b) <= 1e-9 * (fmax (fabs (a), fabs (b)) + sqrt (var))
      + 1e-15;
}

/* Float statistics of two states (C and SIMD), per channel: running
 * values and reports close, counts equal. */
static int
close_states (const r128norm_state *sc, const r128norm_state *ss, unsigned C)
{
  double mc[64], vc[64], ms[64], vs[64];
  int ok = 1;
  unsigned c;

  r128norm_get_running (sc, mc, vc, C);
  r128norm_get_running (ss, ms, vs, C);
  for (c = 0; c < C; c++) {
    const r128norm_report *rc = r128norm_get_report (sc, c);
    const r128norm_report *rs = r128norm_get_report (ss, c);
    ok &= close_mean (mc[c], ms[c], vc[c]) && close_stat (vc[c], vs[c]);
    ok &= rc->samples == rs->samples && rc->non_finite == rs->non_finite
        && close_mean (rc->mean, rs->mean, rc->var)
        && close_stat (rc->var, rs->var)
        && close_mean (rc->norm_mean, rs->norm_mean, rc->norm_var)
        && close_stat (rc->norm_var, rs->norm_var);
  }
  return ok;
}

static r128norm_state *
make_fmt (unsigned C, r128norm_format format, r128norm_kernels k,
    r128norm_stats_mode mode, double clip_sigma, int layer)
{
  r128norm_config cfg;
  r128norm_state *st = r128norm_create (C, NULL);
  double gamma[64], beta[64];
  unsigned c;

  for (c = 0; c < C; c++) {
    gamma[c] = uniform (0.05, 2.0);
    beta[c] = rng () % 8 ? uniform (-0.5, 0.5) : uniform (-100.0, 100.0);
  }
  r128norm_config_init (&cfg);
  cfg.stats = mode;
  cfg.gamma = gamma;
  cfg.n_gamma = C;
  cfg.beta = beta;
  cfg.n_beta = C;
  cfg.clip_sigma = clip_sigma;
  cfg.variant = layer ? R128NORM_VARIANT_LAYER
      : R128NORM_VARIANT_PER_CHANNEL;
  r128norm_set_formats (st, format, format);
  r128norm_set_kernels (st, k);
  r128norm_set_config (st, &cfg);
  return st;
}

/* A sample of an interleaved F32 (f64 0) or F64 row, as a double. */
static double
get_sample (const uint8_t *buf, size_t i, int f64)
{
  float f;
  double d;

  if (f64) {
    memcpy (&d, buf + 8 * i, 8);
    return d;
  }
  memcpy (&f, buf + 4 * i, 4);
  return f;
}

static void
put_sample (uint8_t *buf, size_t i, double v, int f64)
{
  float f = (float) v;

  if (f64)
    memcpy (buf + 8 * i, &v, 8);
  else
    memcpy (buf + 4 * i, &f, 4);
}

/* Interleaved F32 (audio, hwc tensors) or F64 (audio) through the
 * library, SIMD (the packed rows) against C: 2 to 64 samples a pixel (9
 * and 11 take the per-channel path), channels on any subset of them in
 * place (the others written back bit for bit), every sample a channel's
 * out of place; random widths (tails), NaN, infinities, -0 and
 * subnormals among them, offsets that force F32's double precision
 * apply, clip-sigma, layer statistics, all three modes; sample and
 * non-finite counts equal, statistics within 1e-9 relative.  F32 output
 * within 1e-5 of C's
 * (relative above 1: single precision with FMA); F64 output is C's
 * double steps, so it differs only by what the statistics' order of
 * additions changes in the map: within 1e-9, and bit for bit frozen
 * (running values set: the same maps).  NaN and infinities become the
 * same values. */
static void
test_packed_float (int iter, int f64)
{
  /* 1: mono, contiguous (F32 rows of one channel take the packed path
   * too) */
  static const unsigned periods[] = { 2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 24,
    32, 64, 9, 11, 14, 28, 48, 56, 1 };
  const size_t size = f64 ? 8 : 4;
  unsigned P = periods[rng () % 20], lanes[64], c, b;
  int in_place = rng () % 4 != 0;
  unsigned C = in_place ? (unsigned) pick (1, P) : P;
  r128norm_stats_mode mode = (r128norm_stats_mode) (rng () % 3);
  size_t w = pick (1, 300), h = pick (1, 4), pad = pick (0, 5);
  size_t row = w * P + pad, n = row * h, i;
  double clip_sigma = rng () % 5 == 0 ? 1.5 : 0.0;
  double offset = rng () % 6 == 0 ? 1e3 : uniform (-0.2, 0.2);
  int specials = rng () % 3 == 0, layer = rng () % 4 == 0;
  const r128norm_format format = f64 ? R128NORM_FORMAT_F64
      : R128NORM_FORMAT_F32;
  const char *name = f64 ? "f64" : "f32";
  uint8_t *orig = in_buf, *fc = c_out, *fs = s_out;
  uint8_t *ic = fc + n * size, *is = fs + n * size;     /* out of place */
  r128norm_channel cc[64], cs[64], oc[64], os[64];
  r128norm_state *sc, *ss;
  uint64_t saved = rng_state;
  char what[200];

  sc = make_fmt (C, format, R128NORM_KERNELS_C, mode, clip_sigma, layer);
  rng_state = saved;
  ss = make_fmt (C, format, R128NORM_KERNELS_SIMD, mode, clip_sigma, layer);
  if (f64 && mode == R128NORM_STATS_FROZEN) {
    double mean[64], var[64];
    for (c = 0; c < C; c++) {
      mean[c] = offset + uniform (-0.1, 0.1);
      var[c] = uniform (0.05, 0.5);
    }
    check (r128norm_set_running (sc, mean, var, C) == R128NORM_SUCCESS
        && r128norm_set_running (ss, mean, var, C) == R128NORM_SUCCESS,
        "f64 running values");
  }
  shuffled_lanes (lanes, P);
  for (b = 0; b < 3; b++) {
    double scale = b == 1 ? 0.3 : 1.0;
    for (i = 0; i < n; i++) {
      double v = offset + scale * uniform (-1.0, 1.0);
      if (specials && rng () % 40 == 0) {
        /* (F64 values near DBL_MAX, whose squares overflow the sums, in
         * test_packed_f64_overflow) */
        static const double sp[] = { NAN, -NAN, INFINITY, -INFINITY, -0.0,
          1e-40, -1e-42, 1e30, -1e30, 1e-310, -4e-320 };
        v = sp[rng () % (f64 ? 11 : 9)];
      }
      put_sample (orig, i, v, f64);
    }
    if (in_place) {
      memcpy (fc, orig, n * size);
      memcpy (fs, orig, n * size);
    } else {
      memcpy (ic, orig, n * size);
      memcpy (is, orig, n * size);
      memset (fc, 0x5a, n * size);
      memset (fs, 0x5a, n * size);
    }
    for (c = 0; c < C; c++) {
      cc[c].data = (in_place ? fc : ic) + size * lanes[c];
      cs[c].data = (in_place ? fs : is) + size * lanes[c];
      oc[c].data = fc + size * lanes[c];
      os[c].data = fs + size * lanes[c];
      cc[c].step = cs[c].step = oc[c].step = os[c].step =
          (ptrdiff_t) (size * P);
      cc[c].stride = cs[c].stride = oc[c].stride = os[c].stride =
          (ptrdiff_t) (size * row);
      cc[c].width = cs[c].width = oc[c].width = os[c].width = w;
      cc[c].height = cs[c].height = oc[c].height = os[c].height = h;
    }
    check (r128norm_process (sc, cc, in_place ? NULL : oc, 0.01)
        == R128NORM_SUCCESS && r128norm_process (ss, cs, in_place ? NULL : os,
            0.01) == R128NORM_SUCCESS, "process interleaved floats");
    snprintf (what, sizeof what, "%s interleaved iter %d buffer %u: P %u "
        "C %u w %zu h %zu pad %zu %s mode %d clip %g offset %g specials %d "
        "layer %d", name, iter, b, P, C, w, h, pad, in_place ? "in place" :
        "out of place", (int) mode, clip_sigma, offset, specials, layer);
    {
      int described[64] = { 0 }, ok = 1;
      for (c = 0; c < C; c++)
        described[lanes[c]] = 1;
      for (i = 0; i < n && ok; i++) {
        size_t x = i % row;
        if (x < w * P && described[x % P]) {
          double a = get_sample (fc, i, f64), z = get_sample (fs, i, f64);
          if (f64) {
            ok = mode == R128NORM_STATS_FROZEN ? !memcmp (&a, &z, 8)
                : a == z || (isfinite (a) && isfinite (z)
                && fabs (a - z) <= 1e-9 * fmax (1.0, fabs (a)));
          } else {
            double e;
            if (isnan (a) || isnan (z) || isinf (a) || isinf (z)) {
              ok = 0;
              break;
            }
            e = fabs (a - z) / fmax (1.0, fabs (a));
            if (e > f32_worst)
              f32_worst = e;
            ok = e <= 1e-5;
          }
        } else {
          /* untouched: the input as it was, or the output's filling */
          ok = !memcmp (fc + i * size, fs + i * size, size) && (!in_place
              || !memcmp (fs + i * size, orig + i * size, size));
        }
      }
      check (ok, what);
      if (!in_place)
        check (!memcmp (ic, orig, n * size) && !memcmp (is, orig, n * size),
            what);
    }
    check (close_states (sc, ss, C), what);
  }
  r128norm_destroy (&sc);
  r128norm_destroy (&ss);
}


/* Channels 0 to C - 1 of one row of w pixels of P interleaved samples
 * of @size bytes. */
static void
interleaved_row (r128norm_channel *ch, void *row, size_t size, unsigned C,
    unsigned P, size_t w)
{
  unsigned c;

  for (c = 0; c < C; c++) {
    ch[c].data = (uint8_t *) row + size * c;
    ch[c].step = (ptrdiff_t) (size * P);
    ch[c].stride = 0;
    ch[c].width = w;
    ch[c].height = 1;
  }
}

/* A C state (st[0]) and a SIMD one (st[1]) of C channels of @format in
 * and out, with @cfg and the running values @mean, @var, which both must
 * take. */
static void
make_pair_running (r128norm_state **st, unsigned C, r128norm_format format,
    const r128norm_config *cfg, const double *mean, const double *var)
{
  int j;

  for (j = 0; j < 2; j++) {
    st[j] = r128norm_create (C, NULL);
    r128norm_set_formats (st[j], format, format);
    r128norm_set_kernels (st[j], j ? R128NORM_KERNELS_SIMD
        : R128NORM_KERNELS_C);
    r128norm_set_config (st[j], cfg);
    check (r128norm_set_running (st[j], mean, var, C) == R128NORM_SUCCESS,
        "running values of a C and SIMD pair");
  }
}

/* Interleaved F64 (and one channel, a contiguous row) with running
 * values of 0.9e300 and samples of
 * -DBL_MAX in the even channels, so that x - c overflows (C clamps it to
 * +-DBL_MAX), and ordinary ones in the odd channels:
 * frozen and running (both normalize with the running values set, so the
 * maps are the same), SIMD output bit for bit C's. */
static void
test_packed_f64_overflow (void)
{
  /* one channel: a contiguous row (the vector kernels without AVX2) */
  static const unsigned counts[] = { 1, 2, 3, 4 };
  static const r128norm_stats_mode modes[] = { R128NORM_STATS_FROZEN,
    R128NORM_STATS_RUNNING
  };
  double *simd = (void *) s_out, *ref = (void *) c_out;
  double mean[8], var[8], gamma[1] = { 0.7 }, beta[1] = { 0.1 };
  const size_t w = 160;
  unsigned k, mi, c;
  size_t i;

  for (k = 0; k < 4; k++)
    for (mi = 0; mi < 2; mi++) {
      const unsigned C = counts[k];
      r128norm_state *st[2];
      r128norm_channel ch[8];
      r128norm_config cfg;
      int overflows = 0;
      char what[120];

      /* even channels: x - c overflows; odd ones: an ordinary map, whose
       * rounding a multiply-add contracted into an FMA would change */
      for (c = 0; c < C; c++) {
        mean[c] = c % 2 ? 0.3 : 0.9e300;        /* within STAT_LIMIT */
        var[c] = 16.0;          /* a gain below 1: -DBL_MAX a is finite */
      }
      r128norm_config_init (&cfg);
      cfg.stats = modes[mi];
      /* a gain and an offset that are not powers of two or 0 */
      cfg.gamma = gamma;
      cfg.n_gamma = 1;
      cfg.beta = beta;
      cfg.n_beta = 1;
      make_pair_running (st, C, R128NORM_FORMAT_F64, &cfg, mean, var);
      for (i = 0; i < w * C; i++) {
        double x = uniform (-0.5, 0.5);
        if (i % 40 < 3 && (i % C) % 2 == 0)
          x = -DBL_MAX;
        overflows += fabs (x - mean[i % C]) > DBL_MAX;
        simd[i] = ref[i] = x;
      }
      interleaved_row (ch, ref, 8, C, C, w);
      check (r128norm_process (st[0], ch, NULL, 0.01) == R128NORM_SUCCESS,
          "process f64 interleaved overflow, C");
      interleaved_row (ch, simd, 8, C, C, w);
      check (r128norm_process (st[1], ch, NULL, 0.01) == R128NORM_SUCCESS,
          "process f64 interleaved overflow, SIMD");
      snprintf (what, sizeof what, "f64 interleaved %u channels, %s, x - c "
          "beyond double (%d samples): C's output", C,
          mi ? "running" : "frozen", overflows);
      check (overflows > 0 && !memcmp (simd, ref, w * C * 8), what);

      r128norm_destroy (&st[0]);
      r128norm_destroy (&st[1]);
    }
}

/* Contiguous F32 rows with single precision maps (r128norm_single_precision
 * holds) whose x - cf overflows float: a mean of -9e37 and samples of
 * 3e38, where C's double steps give a gain of 1e-38 times 3.9e38; and,
 * rounding upward, FLT_MAX minus a mean of -0.96.  The kernels' single
 * steps make an infinity there, and such a group must go to C's steps:
 * within 1e-5 of C, in place and out of place, the same non-finite count
 * (a NaN among them). */
static void
test_f32_single_overflow (const r128norm_kernel_set *k)
{
  static const struct { double c, a, b; int upward; } maps[] = {
    { -9e37, 1e-38, 0.0, 0 }, { 9e37, 1e-38, 0.5, 0 },
    { -0.96, 0.5, 0.1, 1 }, { 0.96, -0.5, 0.1, 1 },
  };
  r128norm_kernel_set c;
  unsigned mi, inplace;
  const size_t n = 100;

  r128norm_kernels_c (R128NORM_FORMAT_F32, R128NORM_FORMAT_F32, &c);
  for (mi = 0; mi < sizeof maps / sizeof maps[0]; mi++)
    for (inplace = 0; inplace < 2; inplace++) {
      float *x = (void *) in_buf, *ref = (void *) c_out, *out = (void *) s_out;
      r128norm_affine p;
      uint64_t nc, ns;
      size_t i;
      char what[120];

      memset (&p, 0, sizeof p);
      p.c = maps[mi].c;
      p.a = maps[mi].a;
      p.b = maps[mi].b;
      p.lo = -FLT_MAX;
      p.hi = FLT_MAX;
      p.non_finite = 0.25;
      for (i = 0; i < n; i++) {
        x[i] = (float) uniform (-2, 2);
        if (i % 7 == 3)
          x[i] = i % 2 ? -3e38f : 3e38f;
        if (i % 11 == 5)
          x[i] = i % 2 ? -FLT_MAX : FLT_MAX;
      }
      x[50] = NAN;
      memcpy (ref, x, n * 4);
      memcpy (out, x, n * 4);
#ifdef HAVE_MXCSR
      if (maps[mi].upward)
        _MM_SET_ROUNDING_MODE (_MM_ROUND_UP);
#endif
      nc = c.apply_contig (x, ref, n, &p);
      ns = k->apply_contig (inplace ? out : x, out, n, &p);
#ifdef HAVE_MXCSR
      _MM_SET_ROUNDING_MODE (_MM_ROUND_NEAREST);
#endif
      snprintf (what, sizeof what, "f32 single precision map c=%g a=%g%s, "
          "x - cf beyond float, inplace=%u: C's values", p.c, p.a,
          maps[mi].upward ? " rounding up" : "", inplace);
      check (single_map (&p) && nc == ns && nc == 1
          && check_f32_kernel (0, n, n * 4), what);
    }
}

/* Finite samples whose map overflows float, in place, single precision
 * parameters (a gain of 2, no offset): every output is finite, the
 * overflowing ones +-FLT_MAX exactly (C's clamp), the others within 1e-5
 * of C's double steps.  Stereo and 4 samples a pixel (one phase of 16
 * on AVX-512), frozen and running, a unit of samples near FLT_MAX every
 * few units and one in the middle of a unit. */
static void
test_packed_float_overflow (void)
{
  static const unsigned counts[] = { 2, 4 };
  static const r128norm_stats_mode modes[] = { R128NORM_STATS_FROZEN,
    R128NORM_STATS_RUNNING
  };
  float *simd = (void *) s_out, *ref = (void *) c_out;
  double mean[8], var[8];
  const size_t w = 160;
  unsigned k, mi, c;
  size_t i;

  for (k = 0; k < 2; k++)
    for (mi = 0; mi < 2; mi++) {
      const unsigned C = counts[k];
      r128norm_state *st[2];
      r128norm_channel ch[8];
      r128norm_config cfg;
      int finite = 1, clamped = 1, close = 1;
      char what[120];

      for (c = 0; c < C; c++) {
        mean[c] = 0.125 * c;
        var[c] = 0.25;
      }
      r128norm_config_init (&cfg);
      cfg.stats = modes[mi];
      cfg.epsilon = 0.0;
      make_pair_running (st, C, R128NORM_FORMAT_F32, &cfg, mean, var);
      for (i = 0; i < w * C; i++) {
        float x = (float) uniform (-0.5, 0.5);
        if (i % 96 < 3 || i == w * C / 2)
          x = i % 2 ? -3.0e38f : 3.0e38f;
        simd[i] = ref[i] = x;
      }
      interleaved_row (ch, ref, 4, C, C, w);
      check (r128norm_process (st[0], ch, NULL, 0.01) == R128NORM_SUCCESS,
          "process f32 interleaved overflow, C");
      interleaved_row (ch, simd, 4, C, C, w);
      check (r128norm_process (st[1], ch, NULL, 0.01) == R128NORM_SUCCESS,
          "process f32 interleaved overflow, SIMD");
      for (i = 0; i < w * C; i++) {
        finite &= isfinite (simd[i]);
        if (fabsf (ref[i]) == FLT_MAX)
          clamped &= simd[i] == ref[i];
        close &= fabs ((double) simd[i] - ref[i])
            <= 1e-5 * fmax (1.0, fabs ((double) ref[i]));
      }
      snprintf (what, sizeof what, "f32 interleaved %u channels, %s, maps "
          "beyond float: finite, clamped as C, close", C,
          mi ? "running" : "frozen");
      check (finite && clamped && close, what);
      r128norm_destroy (&st[0]);
      r128norm_destroy (&st[1]);
    }
}

#ifdef HAVE_MXCSR
/* Untouched samples of an interleaved F32 (F64: f64 1) row in place are
 * written back as they were, bit for bit, even when the caller runs with
 * flush-to-zero and denormals-are-zero set (as ORC's JIT leaves them),
 * where the identity map alone would flush their subnormals, or rounds
 * toward -infinity, where x - 0 of an untouched +0 would be -0.  Channels
 * on all but the last lane of 3, 4, 5 and 8 samples a pixel, every mode;
 * AVX-512, AVX2 (with and without FMA) through the test's environment
 * variants. */
static void
test_packed_untouched (int f64)
{
  static const unsigned periods[] = { 3, 4, 5, 8 };
  static const double untouched[2][4] = { { 1e-40, -3e-42, 0.0, -0.0 },
  { 1e-310, -3e-320, 0.0, -0.0 }
  };
  const unsigned int csr = _mm_getcsr ();
  const size_t size = f64 ? 8 : 4;
  uint8_t *buf = s_out, *orig = in_buf;
  size_t w = 200, n, i;
  unsigned p, b, mode, env;
  char what[120];

  for (env = 0; env < 2; env++)
    for (p = 0; p < 4; p++)
      for (mode = 0; mode < 3; mode++) {
        const unsigned P = periods[p], C = P - 1;
        r128norm_state *st = make_fmt (C, f64 ? R128NORM_FORMAT_F64
            : R128NORM_FORMAT_F32, R128NORM_KERNELS_SIMD,
            (r128norm_stats_mode) mode, 0.0, 0);
        r128norm_channel ch[8];
        int same = 1;

        n = w * P;
        for (b = 0; b < 4; b++) {
          for (i = 0; i < n; i++)
            put_sample (orig, i, i % P == C ? untouched[f64][i / P % 4]
                : uniform (-1.0, 1.0), f64);
          memcpy (buf, orig, n * size);
          interleaved_row (ch, buf, size, C, P, w);
          /* FTZ and DAZ, or rounding down */
          _mm_setcsr (env ? (csr & ~0x6000u) | 0x2000 : csr | 0x8040);
          check (r128norm_process (st, ch, NULL, 0.01) == R128NORM_SUCCESS,
              "process interleaved floats under DAZ or rounding down");
          _mm_setcsr (csr);
          for (i = C; i < n; i += P)
            same &= !memcmp (buf + i * size, orig + i * size, size);
        }
        snprintf (what, sizeof what, "%s interleaved P %u mode %u %s: "
            "untouched samples kept", f64 ? "f64" : "f32", P, mode, env
            ? "rounding down" : "under DAZ/FTZ");
        check (same, what);
        r128norm_destroy (&st);
      }
}
#endif /* HAVE_MXCSR */

/* A gain of 0 (gamma 0) with a mean far from samples near FLT_MAX: x - c
 * overflows float, and 0 * Inf must not become NaN (nor -FLT_MAX, as a
 * clamp of that NaN would make it): every output is beta, as C's double
 * steps give.  Stereo and 5 samples a pixel, in place, frozen. */
static void
test_packed_float_zero_gain (void)
{
  static const unsigned counts[] = { 2, 5 };
  float *buf = (void *) s_out;
  double gamma[8], beta[8], mean[8], var[8];
  const size_t w = 100;
  unsigned k, c;
  size_t i;

  for (k = 0; k < 2; k++) {
    const unsigned C = counts[k];
    r128norm_state *st = r128norm_create (C, NULL);
    r128norm_config cfg;
    r128norm_channel ch[8];
    int ok = 1;
    char what[100];

    for (c = 0; c < C; c++) {
      gamma[c] = 0.0;
      beta[c] = 0.25 * c - 0.5;
      mean[c] = c % 2 ? 9e37 : -9e37;
      var[c] = 1.0;
    }
    r128norm_config_init (&cfg);
    cfg.stats = R128NORM_STATS_FROZEN;
    cfg.gamma = gamma;
    cfg.n_gamma = C;
    cfg.beta = beta;
    cfg.n_beta = C;
    r128norm_set_formats (st, R128NORM_FORMAT_F32, R128NORM_FORMAT_F32);
    r128norm_set_kernels (st, R128NORM_KERNELS_SIMD);
    r128norm_set_config (st, &cfg);
    r128norm_set_running (st, mean, var, C);
    for (i = 0; i < w * C; i++)
      buf[i] = i % 3 ? (i % C % 2 ? -3.3e38f : 3.3e38f) : 1.0f;
    interleaved_row (ch, buf, 4, C, C, w);
    check (r128norm_process (st, ch, NULL, 0.01) == R128NORM_SUCCESS,
        "process f32 interleaved, gain 0");
    for (i = 0; i < w * C; i++)
      ok &= buf[i] == (float) beta[i % C];
    snprintf (what, sizeof what, "f32 interleaved %u channels, gain 0 and "
        "x - mean beyond float: beta", C);
    check (ok, what);
    r128norm_destroy (&st);
  }
}

/* Half ulps between two finite halves' values (1 ulp at the larger's
 * binade, 2^-24 below the normal range). */
static double
half_ulps (uint16_t x, uint16_t y)
{
  double a = r128norm_half_to_float (x), b = r128norm_half_to_float (y);
  double m = fmax (fabs (a), fabs (b));
  int e;

  frexp (m, &e);
  return fabs (a - b) / ldexp (1.0, (e - 1 < -14 ? -14 : e - 1) - 10);
}

/* Interleaved F16 (an hwc float16 tensor) in place through
 * r128norm_process, SIMD (packed rows) against C: 2 to 64 samples a
 * pixel, channels on random lanes with untouched samples around them,
 * NaN/Inf/subnormals/-0/65504 now and then, all three modes, clip-sigma,
 * layer statistics.  Outputs within one half ulp of C's (both round C's
 * double steps once; statistics that differ in the last bits can move a
 * tie), and the same bits where both hold the same statistics (frozen,
 * seeded with random ones), untouched samples unchanged, counts equal,
 * statistics within 1e-9. */
static void
test_packed_half (int iter)
{
  static const unsigned periods[] = { 2, 3, 4, 5, 6, 8, 12, 16, 24, 32, 64,
    9 };
  unsigned P = periods[rng () % 12], lanes[64], c, b;
  unsigned C = (unsigned) pick (1, P);
  r128norm_stats_mode mode = (r128norm_stats_mode) (rng () % 3);
  size_t w = pick (1, 300), h = pick (1, 4), pad = pick (0, 5);
  size_t row = w * P + pad, n = row * h, i;
  double clip_sigma = rng () % 5 == 0 ? 1.5 : 0.0;
  double offset = rng () % 6 == 0 ? 100.0 : uniform (-0.2, 0.2);
  int specials = rng () % 3 == 0, layer = rng () % 4 == 0;
  uint16_t *orig = (void *) in_buf, *hc = (void *) c_out, *hs = (void *) s_out;
  r128norm_channel cc[64], cs[64];
  r128norm_state *sc, *ss;
  uint64_t saved = rng_state;
  char what[200];

  sc = make_fmt (C, R128NORM_FORMAT_F16, R128NORM_KERNELS_C, mode,
      clip_sigma, layer);
  rng_state = saved;
  ss = make_fmt (C, R128NORM_FORMAT_F16, R128NORM_KERNELS_SIMD, mode,
      clip_sigma, layer);
  if (mode == R128NORM_STATS_FROZEN) {
    /* held statistics of their own: the same maps for both, so the
     * outputs must be the same bits */
    double mean[64], var[64];
    for (c = 0; c < C; c++) {
      mean[c] = offset + uniform (-0.3, 0.3);
      var[c] = uniform (0.001, 2.0);
    }
    r128norm_set_running (sc, mean, var, C);
    r128norm_set_running (ss, mean, var, C);
  }
  shuffled_lanes (lanes, P);
  for (b = 0; b < 3; b++) {
    double scale = b == 1 ? 0.3 : 1.0;
    for (i = 0; i < n; i++) {
      orig[i] = r128norm_double_to_half (offset + scale * uniform (-1, 1));
      if (specials && rng () % 40 == 0) {
        static const uint16_t sp[] = { 0x7e00, 0xfe00, 0x7c00, 0xfc00,
          0x8000, 0x0001, 0x83ff, 0x7bff, 0xfbff, 0x7d01 };
        orig[i] = sp[rng () % 10];
      }
    }
    memcpy (hc, orig, n * 2);
    memcpy (hs, orig, n * 2);
    for (c = 0; c < C; c++) {
      cc[c].data = hc + lanes[c];
      cs[c].data = hs + lanes[c];
      cc[c].step = cs[c].step = 2 * (ptrdiff_t) P;
      cc[c].stride = cs[c].stride = 2 * (ptrdiff_t) row;
      cc[c].width = cs[c].width = w;
      cc[c].height = cs[c].height = h;
    }
    check (r128norm_process (sc, cc, NULL, 0.01) == R128NORM_SUCCESS
        && r128norm_process (ss, cs, NULL, 0.01) == R128NORM_SUCCESS,
        "process f16 interleaved");
    snprintf (what, sizeof what, "f16 interleaved iter %d buffer %u: P %u "
        "C %u w %zu h %zu pad %zu mode %d clip %g offset %g specials %d "
        "layer %d", iter, b, P, C, w, h, pad, (int) mode, clip_sigma, offset,
        specials, layer);
    {
      int described[64] = { 0 }, ok = 1;
      for (c = 0; c < C; c++)
        described[lanes[c]] = 1;
      for (i = 0; i < n && ok; i++) {
        size_t x = i % row;
        if (x < w * P && described[x % P])
          ok = (hc[i] & 0x7c00) != 0x7c00 && (hs[i] & 0x7c00) != 0x7c00
              && (mode == R128NORM_STATS_FROZEN ? hc[i] == hs[i]
              : half_ulps (hc[i], hs[i]) <= 1.0);
        else
          ok = hs[i] == orig[i] && hc[i] == orig[i];
      }
      check (ok, what);
    }
    check (close_states (sc, ss, C), what);
  }
  r128norm_destroy (&sc);
  r128norm_destroy (&ss);
}

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ns per sample of one kernel slot: best of 15 runs of 2000 rows */
static double
bench_slot (const r128norm_kernel_set *k, int slot, r128norm_format in,
    r128norm_format out)
{
  const size_t n = 1920;
  r128norm_affine p;
  r128norm_clip clip;
  r128norm_acc acc;
  double best = 1e30;
  int run, r;

  random_affine (in, out, &p);
  if (k->wants_lut)
    fill_lut (in, out, k, &p);
  memset (&clip, 0, sizeof clip);
  memset (&acc, 0, sizeof acc);
  fill (in, in_buf, 4 * n);
  for (run = 0; run < 15; run++) {
    double t0 = now ();
    for (r = 0; r < 2000; r++) {
      if (slot == 0)
        k->stats_contig (in_buf, n, &clip, &acc);
      else if (slot == 1)
        k->apply_contig (in_buf, c_out, n, &p);
      else if (slot == 2)
        k->stats (in_buf, 3, n, &clip, &acc);
      else
        k->apply (in_buf, 3, c_out, 4, n, &p);
    }
    if (now () - t0 < best)
      best = now () - t0;
  }
  return best / 2000 / (double) n * 1e9;
}

/* ns per byte of r128norm_process on a buffer in cache: a 256x32 RGBA
 * frame (3 channels, step 4) or a 1920x16 u8 plane, best of 30 x 100 */
static double
bench_process (int rgba, r128norm_stats_mode mode, r128norm_kernels k)
{
  const size_t w = rgba ? 256 : 1920, h = rgba ? 32 : 16;
  const size_t bytes = w * h * (rgba ? 4 : 1);
  const unsigned C = rgba ? 3 : 1;
  r128norm_state *st;
  r128norm_config cfg;
  r128norm_channel ch[3];
  double best = 1e30, g = 0.2, b = 0.5;
  unsigned c;
  int run, i;

  fill (R128NORM_FORMAT_U8, in_buf, bytes);
  st = r128norm_create (C, NULL);
  r128norm_set_formats (st, R128NORM_FORMAT_U8, R128NORM_FORMAT_U8);
  r128norm_set_kernels (st, k);
  r128norm_config_init (&cfg);
  cfg.stats = mode;
  cfg.gamma = &g;
  cfg.n_gamma = 1;
  cfg.beta = &b;
  cfg.n_beta = 1;
  r128norm_set_config (st, &cfg);
  for (c = 0; c < C; c++) {
    ch[c].data = in_buf + c;
    ch[c].step = rgba ? 4 : 1;
    ch[c].stride = (ptrdiff_t) (w * (rgba ? 4 : 1));
    ch[c].width = w;
    ch[c].height = h;
  }
  for (run = 0; run < 30; run++) {
    double t0 = now (), t;
    for (i = 0; i < 100; i++)
      r128norm_process (st, ch, NULL, 1 / 30.0);
    t = now () - t0;
    if (t < best)
      best = t;
  }
  r128norm_destroy (&st);
  return best / 100 / (double) bytes * 1e9;
}

static void
bench (void)
{
  static const struct {
    r128norm_format in, out;
    const char *name;
  } pairs[] = {
    { R128NORM_FORMAT_U8, R128NORM_FORMAT_U8, "u8->u8" },
    { R128NORM_FORMAT_U8, R128NORM_FORMAT_F32, "u8->f32" },
    { R128NORM_FORMAT_U16, R128NORM_FORMAT_U16, "u16->u16" },
    { R128NORM_FORMAT_F32, R128NORM_FORMAT_F32, "f32->f32" },
    { R128NORM_FORMAT_U8, R128NORM_FORMAT_F16, "u8->f16" },
    { R128NORM_FORMAT_U16, R128NORM_FORMAT_F16, "u16->f16" },
    { R128NORM_FORMAT_F32, R128NORM_FORMAT_F16, "f32->f16" },
    { R128NORM_FORMAT_F16, R128NORM_FORMAT_F16, "f16->f16" },
    { R128NORM_FORMAT_F16, R128NORM_FORMAT_F32, "f16->f32" },
    { R128NORM_FORMAT_S32, R128NORM_FORMAT_S32, "s32->s32" },
    { R128NORM_FORMAT_S32, R128NORM_FORMAT_F32, "s32->f32" },
    { R128NORM_FORMAT_F64, R128NORM_FORMAT_F64, "f64->f64" },
  };
  static const char *const slots[] = { "stats contiguous", "apply contiguous",
    "stats step 3", "apply step 3 -> 4"
  };
  unsigned i;
  int slot;

  /* x86: the AVX2 kernels, or the AVX-512 ones where the CPU has them
   * (unless R128NORM_NO_AVX512 is set); u8 -> u8 apply by table needs the
   * library's table, so its row here is the fixed-point kernel */
  printf ("ns per sample, 1920-sample rows in cache, best of 15 x 2000 rows\n\n"
      "| pair     | kernel            |      C |    ORC |    x86 |\n"
      "|----------|-------------------|-------:|-------:|-------:|\n");
  for (i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
    r128norm_kernel_set c, o, x;
    r128norm_kernels_c (pairs[i].in, pairs[i].out, &c);
    o = c;
    r128norm_kernels_orc (pairs[i].in, pairs[i].out, &o);
    x = c;
    r128norm_kernels_x86 (pairs[i].in, pairs[i].out, &x);
    for (slot = 0; slot < 4; slot++) {
      int differs = slot == 0 ? x.stats_contig != c.stats_contig
          : slot == 1 ? x.apply_contig != c.apply_contig
          : slot == 2 ? x.stats != c.stats : x.apply != c.apply;
      if (!differs)
        continue;
      printf ("| %-8s | %-17s | %6.3f | %6.3f | %6.3f |\n", pairs[i].name,
          slots[slot], bench_slot (&c, slot, pairs[i].in, pairs[i].out),
          bench_slot (&o, slot, pairs[i].in, pairs[i].out),
          bench_slot (&x, slot, pairs[i].in, pairs[i].out));
    }
  }
  printf ("\nns per byte of r128norm_process, buffer in cache (256x32 RGBA, "
      "1920x16 u8), best of 30 x 100\n\n"
      "| buffer | kernels | frozen | running | frame |\n"
      "|--------|---------|-------:|--------:|------:|\n");
  for (i = 0; i < 4; i++) {
    r128norm_kernels k = i % 2 ? R128NORM_KERNELS_SIMD : R128NORM_KERNELS_ORC;
    printf ("| %-6s | %-7s | %6.3f | %7.3f | %5.3f |\n", i < 2 ? "rgba" : "u8",
        i % 2 ? "simd" : "orc",
        bench_process (i < 2, R128NORM_STATS_FROZEN, k),
        bench_process (i < 2, R128NORM_STATS_RUNNING, k),
        bench_process (i < 2, R128NORM_STATS_FRAME, k));
  }
}

/* F32 and F16 to F16 with samples whose exact map lands within a few
 * float ulps of a point halfway between two halves, where the AVX-512
 * kernels' single precision shortcut must give way to C's double steps
 * (one such sample a vector of 16, the others far from any midpoint):
 * random maps (gains from 2^-8 to 2^8, means of 0 or up to 1000, offsets
 * of 0 or up to 100), each sample aimed at the midpoint above a random half of 2^-13 to
 * 60000, or between two subnormal halves, and moved by up to 4 float ulps
 * (F32 in) or taken as the half nearest that (F16 in).  Output bit for
 * bit C's. */
static void
test_half_ties (void)
{
  static const r128norm_format ins[] = { R128NORM_FORMAT_F32,
    R128NORM_FORMAT_F16
  };
  const size_t n = 4096;
  unsigned f;
  int rep;

  for (f = 0; f < 2; f++) {
    const r128norm_format in = ins[f];
    r128norm_kernel_set c, s;
    r128norm_kernels_c (in, R128NORM_FORMAT_F16, &c);
    s = c;
    r128norm_kernels_x86 (in, R128NORM_FORMAT_F16, &s);
    for (rep = 0; rep < 300; rep++) {
      r128norm_affine p;
      size_t j;
      unsigned lane = 0;
      char what[160];
      memset (&p, 0, sizeof p);
      p.c = rep % 10 == 1 ? 0.0 : uniform (-1, 1) * (rep % 3 == 0 ? 1000.0
          : 2.0);
      p.a = ldexp (uniform (1, 2), (int) pick (0, 16) - 8)
          * (rng () % 2 ? 1 : -1);
      p.b = rep % 5 == 1 ? 0.0 : uniform (-1, 1) * (rep % 4 == 0 ? 100.0
          : 1.0);
      p.lo = -65504.0;
      p.hi = 65504.0;
      p.non_finite = 0.0;
      for (j = 0; j < n; j++) {
        /* a half of 2^-13 to 60000, either sign, and the midpoint above
         * its magnitude, or (a quarter of the vectors) a point between two
         * of half's subnormals; one lane of each vector of 16 aims at
         * that midpoint, the others at the half itself, far from any, so
         * that the one lane decides whether the vector takes the
         * shortcut */
        double h = ldexp (1.0 + (double) pick (0, 1023) / 1024.0,
            (int) pick (0, 28) - 13);
        double m = (h < 60000.0 ? h : 32768.0) + ldexp (1.0, ilogb (h) - 11);
        double x;
        if (j % 16 == 0)
          lane = (unsigned) pick (0, 15);
        if (j / 16 % 4 == 3)
          m = ldexp ((double) (2 * pick (0, 1023) + 1), -25);
        if (j % 16 != lane)
          m = h < 60000.0 ? h : 32768.0;
        x = ((rng () % 2 ? m : -m) - p.b) / p.a + p.c;
        if (in == R128NORM_FORMAT_F32) {
          float xf = (float) x;
          int k, steps = (int) pick (0, 8) - 4;
          for (k = 0; k < (steps < 0 ? -steps : steps); k++)
            xf = nextafterf (xf, steps < 0 ? -INFINITY : INFINITY);
          memcpy (in_buf + 4 * j, &xf, 4);
        } else {
          uint16_t xh = r128norm_double_to_half (x);
          memcpy (in_buf + 2 * j, &xh, 2);
        }
      }
      memset (c_out, 0xa5, 2 * n);
      memset (s_out, 0x5a, 2 * n);
      c.apply_contig (in_buf, c_out, n, &p);
      s.apply_contig (in_buf, s_out, n, &p);
      snprintf (what, sizeof what, "near half ties %s->f16 rep %d: a %g c %g "
          "b %g", f ? "f16" : "f32", rep, p.a, p.c, p.b);
      check (!memcmp (c_out, s_out, 2 * n), what);
    }
  }
}

/* u8 -> F16 maps whose table differs from the single precision map in
 * two values (one flipped bit each, as a tie the two sides round apart
 * would): the set's lut_derive must find both, and the
 * kernels that compute must take both from the table, contiguous (the
 * set's apply) and to hwc pixels (the compact kernel, 4 bytes a pixel in,
 * 2 or 3 channels out). */
static void
test_half_fixes (void)
{
  r128norm_kernel_set s;
  const r128norm_packed_compact_fn compact =
      r128norm_packed_u8_f16_compact_x86 ();
  unsigned iter, drawn = 0;
  char what[160];

  r128norm_kernels_c (R128NORM_FORMAT_U8, R128NORM_FORMAT_F16, &s);
  r128norm_kernels_x86 (R128NORM_FORMAT_U8, R128NORM_FORMAT_F16, &s);
  if (!s.lut_derive)
    return;
  for (iter = 0; iter < 200; iter++) {
    const unsigned C = (unsigned) pick (2, 3), P = 4;
    const size_t w = pick (1, 100), n = pick (1, 3000);
    r128norm_affine p[3];
    r128norm_packed_compact cp;
    unsigned c, f, k, ok = 1;
    size_t i;
    uint16_t *out = (uint16_t *) (void *) s_out;

    for (c = 0; c < C; c++) {
      unsigned v0 = (unsigned) pick (0, 255), v1 = (v0 + (unsigned) pick (1,
              255)) % 256;
      random_affine (R128NORM_FORMAT_U8, R128NORM_FORMAT_F16, &p[c]);
      fill_lut (R128NORM_FORMAT_U8, R128NORM_FORMAT_F16, &s, &p[c]);
      p[c].lut[2 * v0] ^= 1;
      p[c].lut[2 * v1] ^= 1;
      s.lut_derive (&p[c]);
      /* a map that differed already has a third value: looked up */
      ok &= p[c].lut_single && p[c].lut_fixes == 2
          && ((p[c].lut_fix[0] == v0 && p[c].lut_fix[1] == v1)
          || (p[c].lut_fix[0] == v1 && p[c].lut_fix[1] == v0));
    }
    if (!ok)
      continue;
    drawn++;
    /* contiguous: every output the table's */
    fill (R128NORM_FORMAT_U8, in_buf, n);
    for (i = 0; i < 256; i++)
      in_buf[i % n] = (uint8_t) i;
    s.apply_contig (in_buf, out, n, &p[0]);
    for (i = 0; i < n; i++)
      ok &= !memcmp (out + i, p[0].lut + 2 * in_buf[i], 2);
    snprintf (what, sizeof what, "two fixed values, contiguous n=%zu", n);
    check (ok, what);
    if (!compact)
      continue;
    /* pixels of 4 bytes, channel c on byte c, to C halves a pixel */
    memset (&cp, 0, sizeof cp);
    memset (cp.from_lo, 0x80, sizeof cp.from_lo);
    memset (cp.from_hi, 0x80, sizeof cp.from_hi);
    cp.period = P;
    cp.channels = C;
    cp.fixes = 1;
    for (f = 0; f < 16 * C; f++) {
      const unsigned ch = f % C, byte = P * (f / C) + ch;
      cp.index[f / 16][4 * (f % 16)] = (uint8_t) byte;
      if (f < 8 * C)
        (byte < 16 ? cp.from_lo : cp.from_hi)[f / 8][4 * (f % 8)] =
            (uint8_t) (byte % 16);
      cp.c[f] = p[ch].cf;
      cp.a[f] = p[ch].af;
      cp.b[f] = p[ch].bf;
      cp.lo[f] = p[ch].lof;
      cp.hi[f] = p[ch].hif;
      for (k = 0; k < 2; k++) {
        uint16_t h;
        memcpy (&h, p[ch].lut + 2 * p[ch].lut_fix[k], 2);
        cp.fix[k][f] = p[ch].lut_fix[k];
        cp.fixed[k][f] = r128norm_half_to_float (h);
      }
    }
    fill (R128NORM_FORMAT_U8, in_buf, P * w);
    for (i = 0; i < P * w; i++)
      if (i % 5 == 0)
        in_buf[i] = p[i % P < C ? i % P : 0].lut_fix[i % 2];
    memset (out, 0x5a, 2 * (C * w + 16));
    compact (in_buf, P * w, out, w, &cp);
    ok = 1;
    for (i = 0; i < w; i++)
      for (c = 0; c < C; c++)
        ok &= !memcmp (out + C * i + c, p[c].lut + 2 * in_buf[P * i + c], 2);
    ok &= out[C * w] == 0x5a5a;
    snprintf (what, sizeof what, "two fixed values, compact C=%u w=%zu", C,
        w);
    check (ok, what);
  }
  check (drawn > 100, "two fixed values: maps drawn");
}

/* Interleaved F32 and F64 rows through the packed kernels (AVX2 and
 * AVX-512, or the portable ones without AVX2) against C. */
/* The maps of integers of u8 tables (r128norm_u8_fit) and the portable
 * kernel that applies them.  Fits: C's tables of gains from 2^-8 to 64,
 * either sign, offsets to well past the range, each fit the table at
 * every value (test_pair checks the kernels' bytes); all but one in 2000
 * found (one in 200 at shift 14), none for a table that is no rounded
 * line.  The kernel: any map within the fit's bounds (r128norm_u8_fit; s
 * from 8 to 22, the bounds drawn often), different at every byte of a
 * unit, against the model, bytes past the units untouched, and its sums
 * per lane (rows past a block of 256 units, rows of 255) against C's. */
static void
test_u8_fixed (void)
{
  r128norm_kernel_set c;
  unsigned fits = 0, fits14 = 0, fits_wide = 0, i, x;
  char what[160];

  r128norm_kernels_c (R128NORM_FORMAT_U8, R128NORM_FORMAT_U8, &c);
  for (i = 0; i < 20000; i++) {
    r128norm_affine p;
    r128norm_u8_fixed f;
    uint8_t ramp[256];
    const double gain = ldexp (1.0, (int) pick (0, 13) - 8) * uniform (1, 2)
        * (rng () % 4 == 0 ? -1 : 1);
    const int shift = r128norm_u8_fit_shift (gain, 0);
    memset (&p, 0, sizeof p);
    p.cf = (float) pick (0, 255);
    p.af = (float) gain;
    p.bf = (float) uniform (-50, 300);
    p.lof = 0.0f;
    p.hif = 255.0f;
    for (x = 0; x < 256; x++)
      ramp[x] = (uint8_t) x;
    c.apply_contig (ramp, p.lut, 256, &p);
    snprintf (what, sizeof what, "u8 fit: gain %g: the table", gain);
    if (r128norm_u8_fit (p.lut, p.af, shift, 0, &f)) {
      check (model_fixed_is_table (&f, p.lut), what);
      fits++;
    }
    /* as a row with bytes of no channel (RGBA's alpha) fits it */
    if (r128norm_u8_fit (p.lut, p.af, shift < 14 ? shift : 14, 0, &f)) {
      check (model_fixed_is_table (&f, p.lut), what);
      fits14++;
    }
    /* as x86's kernels, which multiply in 32 bits, fit it: at the shift
     * of a channel with ten times the gain (a packed row's others) */
    if (r128norm_u8_fit (p.lut, p.af, r128norm_u8_fit_shift (10.0 * gain,
                1), 1, &f)) {
      check (model_fixed_is_table (&f, p.lut)
          && fabs ((double) f.fa) < 8388608.0
          && fabs (255.0 * f.fa + f.fb) < 2147483648.0
          && fabs ((double) f.fb) < 2147483648.0, what);
      fits_wide++;
    }
  }
  snprintf (what, sizeof what, "u8 fit: %u, %u (shift 14 at most) and %u "
      "(wide) of %u maps", fits, fits14, fits_wide, i);
  check (fits >= i - i / 2000 && fits14 >= i - i / 200
      && fits_wide >= i - i / 2000, what);
  {
    uint8_t table[256];
    r128norm_u8_fixed f;
    for (x = 0; x < 256; x++)
      table[x] = (uint8_t) (x * x / 255);
    check (!r128norm_u8_fit (table, 1.0, 14, 0, &f)
        && !r128norm_u8_fit (table, 1.0, 22, 1, &f), "u8 fit: no line");
    /* a table of one value past the bounds of a steep map's fb */
    memset (table, 255, sizeof table);
    check (r128norm_u8_fit (table, -0.0075, r128norm_u8_fit_shift (-0.0075,
                0), 0, &f) && model_fixed_is_table (&f, table),
        "u8 fit: all 255");
  }
  /* the tables of maps within the bounds, with the map's own gain: found
   * (the map itself is among the first tried) */
  for (i = 0; i < 2000; i++) {
    const int shift = (int) pick (8, 22);
    const int64_t one = (int64_t) 1 << shift;
    const int64_t grain = shift > 15 ? (int64_t) 1 << (shift - 15) : 1;
    r128norm_u8_fixed m, f;
    uint8_t table[256];
    m.shift = shift;
    m.fa = (int32_t) pick (0, 65534) - 32767;
    /* through [0, 255] from x = 0 or to x = 255, or anywhere */
    m.fb = (int32_t) (floor (uniform (-255.0 * m.fa, 255.0 * (double) one
                - 255.0 * (m.fa < 0 ? 0 : m.fa)) / (double) grain)
        * (double) grain);
    if (m.fb < -32768 * one || m.fb >= 32768 * one
        || fabs ((double) m.fb) >= 2147483648.0 - 8388608.0)
      continue;
    for (x = 0; x < 256; x++)
      table[x] = model_fixed (&m, x);
    snprintf (what, sizeof what, "u8 fit: the table of fa %d fb %d shift "
        "%d", m.fa, m.fb, shift);
    check (r128norm_u8_fit (table, (double) m.fa / (double) one, shift, 0,
            &f) && model_fixed_is_table (&f, table), what);
  }

  for (i = 0; i < 600; i++) {
    const unsigned unit = i % 2 ? 48 : 16;
    const int shift = (int) pick (8, 22);
    /* the fit's bounds on fb, and the grain of its part below 2^s */
    const int64_t one = (int64_t) 1 << shift;
    const int64_t bound = 32768 * one < (INT64_C (1) << 31) - (1 << 23)
        ? 32768 * one : (INT64_C (1) << 31) - (1 << 23);
    const int64_t grain = shift > 15 ? (int64_t) 1 << (shift - 15) : 1;
    /* past a block of 256 units now and then */
    const size_t n = (i % 10 == 9 ? pick (250, 600) : pick (0, 20)) * unit
        + pick (0, unit - 1);
    /* a period that divides the unit, and sums per lane (or none) */
    static const unsigned periods[2][4] = { {1, 2, 4, 16}, {3, 1, 6, 48} };
    const unsigned period = periods[unit == 48][i / 2 % 4];
    const int sum = i / 8 % 2 == 0;
    uint64_t sums[48] = { 0 }, sq[48] = { 0 }, want_s[48] = { 0 },
        want_q[48] = { 0 };
    r128norm_u8_fixed maps[48];
    _Alignas (16) unsigned char vecs[R128NORM_U8_FIXED_VECS];
    size_t done, j;
    int bad = 0;
    for (j = 0; j < unit; j++) {
      const int kind = (int) (rng () % 4);
      int64_t fb;
      maps[j].shift = shift;
      maps[j].fa = kind == 0 ? 32767 : kind == 1 ? -32767
          : (int32_t) pick (0, 65534) - 32767;
      if (rng () % 3 == 0)       /* a map that reaches [0, 255] */
        fb = (int64_t) uniform (-255.0 * maps[j].fa, 255.0 * (double) one
            - 255.0 * maps[j].fa);
      else if (rng () % 2)       /* the bounds */
        fb = rng () % 2 ? -bound : bound - 1;
      else
        fb = (int64_t) uniform (-(double) bound, (double) bound);
      fb = fb < -bound ? -bound : fb >= bound ? bound - 1 : fb;
      maps[j].fb = (int32_t) (-bound + (fb + bound) / grain * grain);
    }
    if (!r128norm_u8_fixed_prepare (vecs, maps, unit))
      return;
    for (j = 0; j < n + 16; j++)      /* and rows of 255 (the sums' bound) */
      in_buf[j] = (uint8_t) (i % 20 == 19 ? 255 : j < unit * 2 ? j * 37
          : rng ());
    memcpy (s_out, in_buf, n + 16);
    done = r128norm_u8_fixed_row_vec ((const uint8_t *) in_buf,
        (uint8_t *) s_out, n, vecs, unit, period, sum ? sums : NULL, sq);
    for (j = 0; j < done; j++) {
      const unsigned x = ((uint8_t *) in_buf)[j];
      bad += ((uint8_t *) s_out)[j] != model_fixed (&maps[j % unit], x);
      want_s[j % period] += x;
      want_q[j % period] += x * x;
    }
    snprintf (what, sizeof what, "u8 fixed row: unit %u shift %d n %zu "
        "period %u sums %d", unit, shift, n, period, sum);
    check (done == n / unit * unit && !bad
        && !memcmp (s_out + done, in_buf + done, n + 16 - done)
        && (sum ? !memcmp (sums, want_s, sizeof sums)
            && !memcmp (sq, want_q, sizeof sq) : sq[0] == 0), what);
  }
}

/* A u8 plane of 255s past two of the plane sums' blocks (16384 vectors,
 * whose squares then fill 32 bits but for 0.8%): C's sums */
static void
test_u8_plane_loud (void)
{
  r128norm_kernel_set c, v;
  r128norm_clip clip;
  r128norm_acc ac, av;
  const size_t n = 2 * 16 * 16384 + 21;

  r128norm_kernels_c (R128NORM_FORMAT_U8, R128NORM_FORMAT_U8, &c);
  v = c;
  if (!r128norm_kernels_vec (R128NORM_FORMAT_U8, R128NORM_FORMAT_U8, &v))
    return;
  memset (&clip, 0, sizeof clip);
  memset (&ac, 0, sizeof ac);
  memset (&av, 0, sizeof av);
  memset (in_buf, 255, n);
  c.stats_contig (in_buf, n, &clip, &ac);
  v.stats_contig (in_buf, n, &clip, &av);
  check (same_acc (&ac, &av, 0), "u8 plane of 255s: sums");
}

static void
test_packed_floats (void)
{
  int i;

  for (i = 0; i < 1500; i++)
    test_packed_float (i, 0);
  for (i = 0; i < 1000; i++)
    test_packed_float (i, 1);
#ifdef HAVE_MXCSR
  test_packed_untouched (0);
  test_packed_untouched (1);
#endif
  test_packed_float_zero_gain ();
  test_packed_float_overflow ();
}

int
main (int argc, char **argv)
{
  r128norm_kernel_set probe;
  unsigned long seed = argc > 1 ? strtoul (argv[1], NULL, 0) : 20261125;
  int i;

  portable = getenv ("R128NORM_NO_AVX2") != NULL;
  if (!r128norm_kernels_x86 (R128NORM_FORMAT_U8, R128NORM_FORMAT_U8,
          &probe) && !portable) {
    printf ("no x86 SIMD kernels on this CPU/build: skipped\n");
    return 77;
  }
  if (argc > 1 && !strcmp (argv[1], "--bench")) {
    in_buf = malloc (1 << 16);
    c_out = malloc (1 << 16);
    s_out = malloc (1 << 16);
    if (!in_buf || !c_out || !s_out)
      return 77;
    bench ();
    return 0;
  }
  rng_state ^= seed * 0x9e3779b97f4a7c15ULL;
  if (rng_state == 0)
    rng_state = 1;              /* seed 1: xorshift's one fixed point */
  printf ("seed %lu\n", seed);
  in_buf = malloc ((MAXN + 2 * PAD) * 8 * 4);
  c_out = malloc ((MAXN + 2 * PAD) * 8 * 4);
  s_out = malloc ((MAXN + 2 * PAD) * 8 * 4);
  if (!in_buf || !c_out || !s_out)
    return 77;

  if (portable) {
    /* what a CPU without AVX2 runs (R128NORM_NO_AVX2): u8 by table and
     * the portable packed u8 rows against C, C's bytes exactly */
    test_pair (R128NORM_FORMAT_U8, R128NORM_FORMAT_U8, "u8->u8 table");
    test_pair (R128NORM_FORMAT_U8_CENTERED, R128NORM_FORMAT_U8_CENTERED,
        "u8c->u8c table");
    test_pair (R128NORM_FORMAT_U8, R128NORM_FORMAT_F32, "u8->f32 table");
    test_pair (R128NORM_FORMAT_U8_CENTERED, R128NORM_FORMAT_F32,
        "u8c->f32 table");
    test_pair (R128NORM_FORMAT_U8, R128NORM_FORMAT_F16, "u8->f16 table");
    test_pair (R128NORM_FORMAT_U8_CENTERED, R128NORM_FORMAT_F16,
        "u8c->f16 table");
    test_pair (R128NORM_FORMAT_F32, R128NORM_FORMAT_F32, "f32->f32 vector");
    test_pair (R128NORM_FORMAT_F64, R128NORM_FORMAT_F64, "f64->f64 vector");
    test_pair (R128NORM_FORMAT_S16, R128NORM_FORMAT_S16, "s16->s16 vector");
    test_pair (R128NORM_FORMAT_S16, R128NORM_FORMAT_F32, "s16->f32 vector");
    test_pair (R128NORM_FORMAT_U16, R128NORM_FORMAT_U16, "u16->u16 vector");
    test_pair (R128NORM_FORMAT_U16, R128NORM_FORMAT_F32, "u16->f32 vector");
    test_pair (R128NORM_FORMAT_S32, R128NORM_FORMAT_S32, "s32->s32 vector");
    test_pair (R128NORM_FORMAT_S32, R128NORM_FORMAT_F32, "s32->f32 vector");
    test_pair (R128NORM_FORMAT_F16, R128NORM_FORMAT_F16, "f16->f16 vector");
    test_pair (R128NORM_FORMAT_F16, R128NORM_FORMAT_F32, "f16->f32 vector");
    test_pair (R128NORM_FORMAT_F32, R128NORM_FORMAT_F16, "f32->f16 vector");
    test_half_conversions ();
    test_u8_fixed ();
    test_u8_steps ();
    test_u8_plane_loud ();
    test_packed_f64_overflow ();
    {
      r128norm_kernel_set v;
      r128norm_kernels_c (R128NORM_FORMAT_F32, R128NORM_FORMAT_F32, &v);
      r128norm_kernels_vec (R128NORM_FORMAT_F32, R128NORM_FORMAT_F32, &v);
      test_f32_single_overflow (&v);
    }
    for (i = 0; i < 3000; i++)
      test_packed (i);
    test_packed_long_row ();
    test_packed_floats ();     /* the portable packed rows */
    for (i = 0; i < 1000; i++)
      test_packed_half (i);     /* the portable packed F16 rows */
    for (i = 0; i < 1500; i++)
      test_packed_int (i, 0);   /* the portable packed S16 rows */
    for (i = 0; i < 1000; i++)
      test_packed_int (i, 1);   /* the portable packed S32 rows */
    test_int16_long_row ();
    for (i = 0; i < 1000; i++)
      test_planar_u8 (i);
    printf ("%d checks, %d failures (portable kernels)\n", checks,
        failures);
    free (in_buf);
    free (c_out);
    free (s_out);
    return failures ? 1 : 0;
  }
  test_pair (R128NORM_FORMAT_U8, R128NORM_FORMAT_U8, "u8->u8");
  test_pair (R128NORM_FORMAT_U8, R128NORM_FORMAT_F32, "u8->f32");
  test_pair (R128NORM_FORMAT_U16, R128NORM_FORMAT_U16, "u16->u16");
  test_pair (R128NORM_FORMAT_U16, R128NORM_FORMAT_F32, "u16->f32");
  test_pair (R128NORM_FORMAT_S16, R128NORM_FORMAT_S16, "s16->s16");
  test_pair (R128NORM_FORMAT_S16, R128NORM_FORMAT_F32, "s16->f32");
  test_pair (R128NORM_FORMAT_F32, R128NORM_FORMAT_F32, "f32->f32");
  test_pair (R128NORM_FORMAT_F32, R128NORM_FORMAT_F16, "f32->f16");
  test_pair (R128NORM_FORMAT_U8, R128NORM_FORMAT_F16, "u8->f16");
  test_pair (R128NORM_FORMAT_S16, R128NORM_FORMAT_F16, "s16->f16");
  test_pair (R128NORM_FORMAT_U16, R128NORM_FORMAT_F16, "u16->f16");
  test_pair (R128NORM_FORMAT_F16, R128NORM_FORMAT_F16, "f16->f16");
  test_pair (R128NORM_FORMAT_F16, R128NORM_FORMAT_F32, "f16->f32");
  test_pair (R128NORM_FORMAT_S32, R128NORM_FORMAT_S32, "s32->s32");
  test_pair (R128NORM_FORMAT_S32, R128NORM_FORMAT_F32, "s32->f32");
  test_pair (R128NORM_FORMAT_F64, R128NORM_FORMAT_F64, "f64->f64");
  {
    r128norm_kernel_set x;
    r128norm_kernels_c (R128NORM_FORMAT_F32, R128NORM_FORMAT_F32, &x);
    r128norm_kernels_x86 (R128NORM_FORMAT_F32, R128NORM_FORMAT_F32, &x);
    test_f32_single_overflow (&x);
  }
  test_half_ties ();
  test_half_fixes ();
  test_u8_fixed ();
  test_u8_steps ();
  for (i = 0; i < 3000; i++)
    test_packed (i);
  test_packed_long_row ();
  for (i = 0; i < 500; i++)
    test_packed_f32 (i);
  for (i = 0; i < 500; i++)
    test_packed_compact (i);
  for (i = 0; i < 500; i++)
    test_packed_to_half (i);
  test_packed_floats ();
  test_packed_f64_overflow ();
  for (i = 0; i < 1000; i++)
    test_packed_half (i);
  for (i = 0; i < 1500; i++)
    test_packed_int (i, 0);
  for (i = 0; i < 1000; i++)
    test_packed_int (i, 1);
  test_int16_long_row ();
  for (i = 0; i < 1000; i++)
    test_planar_u8 (i);

  printf ("u8 output: %zu of %zu bytes differ from C by 1\n",
      differing_bytes, compared_bytes);
  printf ("f32 output: largest difference from C %.3g (relative above 1)\n",
      f32_worst);
  printf ("%d checks, %d failures\n", checks, failures);
  free (in_buf);
  free (c_out);
  free (s_out);
  return failures ? 1 : 0;
}
