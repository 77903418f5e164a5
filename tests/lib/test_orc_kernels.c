/* Every ORC kernel against the C kernel it replaces: random rows of many
 * lengths (the chunk and accumulator-wrap cases included), random and
 * extreme affine parameters, full-scale integers, NaN/Inf/-0/subnormal
 * floats, unaligned and in-place rows.
 *
 *   integer output: within 1 LSB of C, and at most 1 sample in 1000 not
 *                   bit-identical (a compiler that fuses C's multiply-add
 *                   may round a rare tie differently; a lost rounding step
 *                   would miss half the samples).  On x86 all are exact.
 *   float output:   within 1e-6 relative + 1e-30 absolute of C; ORC runs
 *                   with denormals flushed, so for a subnormal input the C
 *                   result for a zero input is accepted as well
 *   statistics:     exactly equal; the non-finite count exactly equal
 *
 * Run under ORC_CODE=backup and ORC_CODE=emulate as well (meson does).
 * Usage: test_orc_kernels [seed].  Exits 77 (skip) without ORC.
 *
 * test_orc_kernels --bench [runs] times each ORC kernel against its C
 * kernel on a 1920x1080 plane, row by row and as one row, and on short
 * rows (docs/orc.md). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "r128norm_kernels.h"

static int failures;
static int checks;

static void
check (int ok, const char *what)
{
  checks++;
  if (!ok) {
    failures++;
    printf ("FAIL: %s\n", what);
  }
}

/* ---- random numbers -------------------------------------------------- */

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
below (size_t n)
{
  return (size_t) (rng () % n);
}

/* ---- formats --------------------------------------------------------- */

typedef struct {
  const char *name;
  size_t size;
  int is_float;
  double zero, scale, min, max;
} format_info;

static const format_info formats[R128NORM_N_FORMATS] = {
  [R128NORM_FORMAT_U8] = {"u8", 1, 0, 0.0, 1.0 / 255.0, 0.0, 255.0},
  [R128NORM_FORMAT_U8_CENTERED] = {"u8c", 1, 0, 128.0, 1.0 / 128.0, 0.0, 255.0},
  [R128NORM_FORMAT_S16] = {"s16", 2, 0, 0.0, 1.0 / 32768.0, -32768.0, 32767.0},
  [R128NORM_FORMAT_U16] = {"u16", 2, 0, 0.0, 1.0 / 65535.0, 0.0, 65535.0},
  [R128NORM_FORMAT_S32] = {"s32", 4, 0, 0.0, 1.0 / 2147483648.0,
      -2147483648.0, 2147483647.0},
  [R128NORM_FORMAT_F16] = {"f16", 2, 1, 0.0, 1.0, -65504.0, 65504.0},
  [R128NORM_FORMAT_F32] = {"f32", 4, 1, 0.0, 1.0, -FLT_MAX, FLT_MAX},
  [R128NORM_FORMAT_F64] = {"f64", 8, 1, 0.0, 1.0, -DBL_MAX, DBL_MAX},
};

static double
load (r128norm_format f, const uint8_t *p)
{
  switch (f) {
    case R128NORM_FORMAT_U8:
    case R128NORM_FORMAT_U8_CENTERED:
      return *p;
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
    case R128NORM_FORMAT_F32: {
      float v;
      memcpy (&v, p, 4);
      return v;
    }
    default:
      abort ();
  }
}

static void
store (r128norm_format f, uint8_t *p, double v)
{
  switch (f) {
    case R128NORM_FORMAT_U8:
    case R128NORM_FORMAT_U8_CENTERED:
      *p = (uint8_t) v;
      break;
    case R128NORM_FORMAT_S16: {
      int16_t x = (int16_t) v;
      memcpy (p, &x, 2);
      break;
    }
    case R128NORM_FORMAT_U16: {
      uint16_t x = (uint16_t) v;
      memcpy (p, &x, 2);
      break;
    }
    case R128NORM_FORMAT_F32: {
      float x = (float) v;
      memcpy (p, &x, 4);
      break;
    }
    default:
      abort ();
  }
}

/* ---- test data ------------------------------------------------------- */

static const size_t lengths[] = {
  0, 1, 2, 7, 15, 16, 17, 31, 32, 33, 35, 63, 127, 128, 129, 131, 1000,
  1920, 32767, 32768, 32769, 65536, 65537, 100003, 200000
};
#define N_LENGTHS (sizeof lengths / sizeof lengths[0])
#define MAX_LEN 200000
/* room for misaligning by up to 3 samples of 8 bytes plus one byte */
#define PAD 64

static const float float_specials[] = {
  NAN, INFINITY, -INFINITY, -0.0f, 0.0f, 1e-40f, -1e-40f, FLT_MIN,
  1.4e-45f, -1.4e-45f, FLT_MAX, -FLT_MAX, 1e30f, -1e30f, 1.0f, -1.0f
};
#define N_FLOAT_SPECIALS (sizeof float_specials / sizeof float_specials[0])

/* Fills n samples of format f with one of several value patterns. */
static void
fill (r128norm_format f, uint8_t *buf, size_t n, int pattern)
{
  const format_info *fi = &formats[f];
  size_t i;

  for (i = 0; i < n; i++) {
    double v;
    if (fi->is_float) {
      if (pattern == 0)
        v = uniform (-10.0, 10.0);
      else if (pattern == 1)
        v = below (8) == 0 ? float_specials[below (N_FLOAT_SPECIALS)]
            : uniform (-1e3, 1e3);
      else if (pattern == 2)
        v = float_specials[below (N_FLOAT_SPECIALS)];
      else
        v = uniform (-1.0, 1.0) * pow (10.0, uniform (-38.0, 38.0));
    } else {
      if (pattern == 0 || pattern == 1)
        v = fi->min + (double) below ((size_t) (fi->max - fi->min) + 1);
      else if (pattern == 2)
        v = fi->max;
      else
        v = fi->min;
    }
    store (f, buf + i * fi->size, v);
  }
}

/* Affine parameters as the core makes them (setup_affine), with a scale
 * picked from ordinary, zero, negative, tiny and saturating values. */
static void
make_affine (r128norm_format in, r128norm_format out, int kind,
    r128norm_affine *p)
{
  const format_info *fi = &formats[in], *fo = &formats[out];
  double c, a, b, unit = fi->scale / fo->scale;

  if (fi->is_float)
    c = kind == 7 ? 1e300 : kind == 8 ? -INFINITY : kind == 9 ? INFINITY
        : uniform (-2.0, 2.0);
  else
    c = nearbyint (uniform (fi->min, fi->max));
  switch (kind) {
    case 0: a = uniform (0.1, 8.0) * unit; break;
    case 1: a = -uniform (0.1, 8.0) * unit; break;
    case 2: a = 0.0; break;
    case 3: a = 1e30; break;
    case 4: a = -1e300; break;
    case 5: a = 1e-3 * unit; break;
    case 6: a = unit; break;
    case 8:                     /* x - c infinite, times 0 */
    case 9: a = fi->is_float ? 0.0 : unit; break;
    default: a = uniform (-3.0, 3.0) * unit; break;
  }
  if (fo->is_float)
    b = uniform (-1.0, 1.0);
  else
    b = uniform (fo->min, fo->max);
  if (kind == 6)
    b = fo->max + 0.5;            /* an output midpoint, rounding ties */
  p->c = c;
  p->a = a;
  p->b = b;
  p->lo = fo->min;
  p->hi = fo->max;
  p->non_finite = fo->is_float ? uniform (-1.0, 1.0) : nearbyint (b);
  p->cf = (float) c;
  p->af = (float) fmax (-1e30, fmin (1e30, a));
  p->bf = (float) fmax (-1e30, fmin (1e30, b));
  p->lof = (float) fo->min;
  p->hif = (float) fo->max;
}

#define N_AFFINE_KINDS 10

/* ---- comparisons ----------------------------------------------------- */

static uint8_t *in_buf, *flushed_buf, *c_out, *c_out_flushed, *orc_out;

static int
is_subnormal_input (r128norm_format f, const uint8_t *p)
{
  double x;
  if (f != R128NORM_FORMAT_F32)
    return 0;
  x = load (f, p);
  return x != 0.0 && fabs (x) < FLT_MIN;
}

/* Compares n ORC outputs at orc_p with the C ones; returns the worst
 * integer LSB difference, or -1 on a float mismatch. */
static double
compare_out (r128norm_format in, r128norm_format out, const uint8_t *in_p,
    const uint8_t *orc_p, size_t n, size_t *inexact)
{
  const format_info *fi = &formats[in], *fo = &formats[out];
  double worst = 0.0;
  size_t i;

  *inexact = 0;
  for (i = 0; i < n; i++) {
    double o = load (out, orc_p + i * fo->size);
    double c = load (out, c_out + i * fo->size);
    if (fo->is_float) {
      double tol = 1e-6 * fabs (c) + 1e-30;
      int ok = fabs (o - c) <= tol;
      if (!ok && is_subnormal_input (in, in_p + i * fi->size)) {
        double cz = load (out, c_out_flushed + i * fo->size);
        ok = fabs (o - cz) <= 1e-6 * fabs (cz) + 1e-30;
      }
      if (o != c)
        (*inexact)++;
      if (!ok) {
        printf ("  sample %zu: in %.9g out orc %.9g c %.9g\n", i,
            load (in, in_p + i * fi->size), o, c);
        return -1.0;
      }
    } else {
      double d = fabs (o - c);
      if (d > 0)
        (*inexact)++;
      if (d > worst)
        worst = d;
    }
  }
  return worst;
}

/* ---- the apply kernels ----------------------------------------------- */

static void
test_apply (r128norm_format in, r128norm_format out)
{
  const format_info *fi = &formats[in], *fo = &formats[out];
  r128norm_kernel_set c, o;
  size_t li, total_inexact = 0, total = 0;
  double worst = 0.0;
  int bad = 0, in_place;
  char what[200];

  r128norm_kernels_c (in, out, &c);
  o = c;
  r128norm_kernels_orc (in, out, &o);
  snprintf (what, sizeof what, "apply %s->%s is an ORC kernel", fi->name,
      fo->name);
  check (o.apply_contig && o.apply_contig != c.apply_contig, what);
  if (!o.apply_contig || o.apply_contig == c.apply_contig)
    return;

  for (in_place = 0; in_place <= (in == out); in_place++) {
    for (li = 0; li < N_LENGTHS; li++) {
      size_t n = lengths[li];
      int kind;
      for (kind = 0; kind < N_AFFINE_KINDS; kind++) {
        r128norm_affine p;
        /* misalign by whole samples (ORC's own head/tail) and, now and
         * then, by one byte (the C fallback) */
        size_t shift = below (4) * fi->size + (below (8) == 0);
        size_t oshift = in_place ? shift
            : below (4) * fo->size + (below (8) == 0);
        uint8_t *src = in_buf + shift, *dst = orc_out + oshift;
        uint64_t nf_c, nf_o;
        size_t inexact, i;
        double w;

        fill (in, src, n, (int) ((li + kind) % 4));
        make_affine (in, out, kind, &p);
        /* the C results, for the input as is and with subnormals
         * flushed to zero */
        nf_c = c.apply_contig (src, c_out, n, &p);
        memcpy (flushed_buf, src, n * fi->size);
        for (i = 0; i < n; i++)
          if (is_subnormal_input (in, flushed_buf + i * fi->size))
            store (in, flushed_buf + i * fi->size,
                signbit (load (in, flushed_buf + i * fi->size)) ? -0.0 : 0.0);
        c.apply_contig (flushed_buf, c_out_flushed, n, &p);
        /* in place: the input copied to the output buffer first */
        if (in_place) {
          memcpy (dst, src, n * fi->size);
          nf_o = o.apply_contig (dst, dst, n, &p);
        } else {
          nf_o = o.apply_contig (src, dst, n, &p);
        }
        w = compare_out (in, out, src, dst, n, &inexact);
        total_inexact += inexact;
        total += n;
        if (w < 0 || w > 1.0 || nf_o != nf_c) {
          printf ("  %s->%s n=%zu kind=%d shift=%zu/%zu%s: worst %g, "
              "non-finite orc %llu c %llu\n", fi->name, fo->name, n, kind,
              shift, oshift, in_place ? " in place" : "", w,
              (unsigned long long) nf_o, (unsigned long long) nf_c);
          bad++;
        }
        if (w > worst)
          worst = w;
      }
    }
  }
  if (!fo->is_float && total_inexact > total / 1000)
    bad++;
  snprintf (what, sizeof what, "apply %s->%s matches C (worst %g LSB, "
      "%zu of %zu samples not bit-identical)", fi->name, fo->name, worst,
      total_inexact, total);
  printf ("%s: %s\n", bad ? "FAIL" : "ok", what);
  check (!bad, what);
}

/* ---- the statistics kernels ------------------------------------------ */

static int
acc_equal (const r128norm_acc *a, const r128norm_acc *b)
{
  return a->n == b->n && a->non_finite == b->non_finite && a->sum == b->sum
      && a->sumsq == b->sumsq && a->n_lo == b->n_lo && a->n_hi == b->n_hi
      && a->fsum == b->fsum && a->fsq == b->fsq;
}

static void
test_stats (r128norm_format in)
{
  const format_info *fi = &formats[in];
  r128norm_kernel_set c, o;
  size_t li;
  int bad = 0, pattern, clipped;
  char what[200];

  r128norm_kernels_c (in, in, &c);
  o = c;
  r128norm_kernels_orc (in, in, &o);
  snprintf (what, sizeof what, "stats %s is an ORC kernel", fi->name);
  check (o.stats_contig && o.stats_contig != c.stats_contig, what);
  if (!o.stats_contig || o.stats_contig == c.stats_contig)
    return;

  for (li = 0; li < N_LENGTHS; li++) {
    size_t n = lengths[li];
    for (pattern = 0; pattern < 4; pattern++) {
      for (clipped = 0; clipped <= 1; clipped++) {
        size_t shift = below (4) * fi->size + (below (8) == 0);
        uint8_t *src = in_buf + shift;
        r128norm_clip clip;
        r128norm_acc ac, ao;

        fill (in, src, n, pattern);
        memset (&clip, 0, sizeof clip);
        if (clipped) {
          double m = uniform (fi->min, fi->max);
          double s = uniform (0.0, fi->max - fi->min);
          clip.active = 1;
          clip.lo = m - s;
          clip.hi = m + s;
          clip.ilo = (int64_t) ceil (clip.lo);
          clip.ihi = (int64_t) floor (clip.hi);
        }
        /* the kernels add to what is there */
        memset (&ac, 0, sizeof ac);
        ac.n = below (1000);
        ac.sum = (int64_t) below (1u << 30) - (1 << 29);
        ac.sumsq = below (1u << 30);
        ac.n_lo = below (10);
        ac.n_hi = below (10);
        ao = ac;
        c.stats_contig (src, n, &clip, &ac);
        o.stats_contig (src, n, &clip, &ao);
        if (!acc_equal (&ac, &ao)) {
          printf ("  %s n=%zu pattern=%d%s shift=%zu: n %llu/%llu "
              "sum %lld/%lld sumsq %llu/%llu (orc/c)\n", fi->name, n,
              pattern, clipped ? " clipped" : "", shift,
              (unsigned long long) ao.n, (unsigned long long) ac.n,
              (long long) ao.sum, (long long) ac.sum,
              (unsigned long long) ao.sumsq, (unsigned long long) ac.sumsq);
          bad++;
        }
      }
    }
  }
  snprintf (what, sizeof what, "stats %s equals C exactly", fi->name);
  printf ("%s: %s\n", bad ? "FAIL" : "ok", what);
  check (!bad, what);
}

/* Pairs ORC leaves to C keep the C kernels. */
static void
test_untouched (r128norm_format in, r128norm_format out)
{
  r128norm_kernel_set c, o;
  char what[200];
  int ok;

  r128norm_kernels_c (in, out, &c);
  o = c;
  r128norm_kernels_orc (in, out, &o);
  snprintf (what, sizeof what, "%s->%s keeps the C apply and strided kernels",
      formats[in].name, formats[out].name);
  ok = o.apply_contig == c.apply_contig && o.apply == c.apply
      && o.stats == c.stats;
  check (ok, what);
  printf ("%s: %s\n", ok ? "ok" : "FAIL", what);
}

/* ---- benchmark ------------------------------------------------------- */

#define BENCH_W 1920
#define BENCH_H 1080

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* Median milliseconds of one 1080p frame through one kernel, called per
 * row (rows == BENCH_H) or once for the whole plane (rows == 1). */
static double
bench_one (const r128norm_kernel_set *k, int stats, const uint8_t *src,
    uint8_t *dst, size_t in_size, size_t out_size, size_t rows,
    const r128norm_affine *p, int runs)
{
  double t[101];
  size_t w = (size_t) BENCH_W * BENCH_H / rows, r;
  int i;

  for (i = -2; i < runs; i++) {
    r128norm_clip clip;
    r128norm_acc acc;
    double t0;
    memset (&clip, 0, sizeof clip);
    memset (&acc, 0, sizeof acc);
    t0 = now ();
    for (r = 0; r < rows; r++) {
      if (stats)
        k->stats_contig (src + r * w * in_size, w, &clip, &acc);
      else
        k->apply_contig (src + r * w * in_size, dst + r * w * out_size, w, p);
    }
    if (i >= 0)
      t[i] = (now () - t0) * 1e3;
  }
  qsort (t, (size_t) runs, sizeof t[0], cmp_double);
  return t[runs / 2];
}

static void
bench_pair (r128norm_format in, r128norm_format out, int stats, int runs)
{
  const format_info *fi = &formats[in], *fo = &formats[out];
  r128norm_kernel_set c, o;
  r128norm_affine p;
  size_t rows[2] = { BENCH_H, 1 };
  char name[40];
  int j;

  r128norm_kernels_c (in, out, &c);
  o = c;
  r128norm_kernels_orc (in, out, &o);
  fill (in, in_buf, (size_t) BENCH_W * BENCH_H, 0);
  make_affine (in, out, 0, &p);
  if (stats)
    snprintf (name, sizeof name, "stats %s", fi->name);
  else
    snprintf (name, sizeof name, "apply %s->%s", fi->name, fo->name);
  for (j = 0; j < 2; j++) {
    double tc = bench_one (&c, stats, in_buf, orc_out, fi->size, fo->size,
        rows[j], &p, runs);
    double to = bench_one (&o, stats, in_buf, orc_out, fi->size, fo->size,
        rows[j], &p, runs);
    printf ("| %-14s | %-10s | %8.3f | %8.3f | %5.2f |\n", name,
        rows[j] == 1 ? "one row" : "1080 rows", tc, to, tc / to);
  }
}

/* Median nanoseconds per call on short rows, where the cost of an ORC call
 * matters (the wrappers send rows under 32 samples, F32 rows under 128,
 * to C). */
static void
bench_short (r128norm_format in, r128norm_format out, int stats, int runs)
{
  static const size_t widths[] = { 32, 128, 512 };
  const format_info *fi = &formats[in], *fo = &formats[out];
  r128norm_kernel_set k[2];
  r128norm_affine p;
  char name[40];
  size_t wi;

  r128norm_kernels_c (in, out, &k[0]);
  k[1] = k[0];
  r128norm_kernels_orc (in, out, &k[1]);
  fill (in, in_buf, 4096, 0);
  make_affine (in, out, 0, &p);
  if (stats)
    snprintf (name, sizeof name, "stats %s", fi->name);
  else
    snprintf (name, sizeof name, "apply %s->%s", fi->name, fo->name);
  printf ("| %-14s |", name);
  for (wi = 0; wi < sizeof widths / sizeof widths[0]; wi++) {
    double ns[2];
    int j;
    for (j = 0; j < 2; j++) {
      double t[101];
      int i, calls = 20000;
      for (i = -2; i < runs; i++) {
        r128norm_clip clip;
        r128norm_acc acc;
        double t0;
        int q;
        memset (&clip, 0, sizeof clip);
        memset (&acc, 0, sizeof acc);
        t0 = now ();
        for (q = 0; q < calls; q++) {
          if (stats)
            k[j].stats_contig (in_buf, widths[wi], &clip, &acc);
          else
            k[j].apply_contig (in_buf, orc_out, widths[wi], &p);
        }
        if (i >= 0)
          t[i] = (now () - t0) * 1e9 / calls;
      }
      qsort (t, (size_t) runs, sizeof t[0], cmp_double);
      ns[j] = t[runs / 2];
    }
    printf (" %6.0f | %6.0f |", ns[0], ns[1]);
  }
  printf ("\n");
}

static int
bench (int runs)
{
  size_t bytes = (size_t) BENCH_W * BENCH_H * 4 + PAD;

  if (runs < 1 || runs > 101)
    runs = 21;
  in_buf = malloc (bytes);
  orc_out = malloc (bytes);
  if (!in_buf || !orc_out)
    return 99;
  printf ("1920x1080 samples, median of %d runs, ms per frame "
      "(ORC_CODE=%s)\n\n", runs, getenv ("ORC_CODE") ? getenv ("ORC_CODE")
      : "(unset)");
  printf ("| kernel         | calls      |     C ms |   ORC ms | C/ORC |\n");
  printf ("|----------------|------------|----------|----------|-------|\n");
  bench_pair (R128NORM_FORMAT_U8, R128NORM_FORMAT_U8, 1, runs);
  bench_pair (R128NORM_FORMAT_S16, R128NORM_FORMAT_S16, 1, runs);
  bench_pair (R128NORM_FORMAT_U16, R128NORM_FORMAT_U16, 1, runs);
  bench_pair (R128NORM_FORMAT_U8, R128NORM_FORMAT_U8, 0, runs);
  bench_pair (R128NORM_FORMAT_S16, R128NORM_FORMAT_S16, 0, runs);
  bench_pair (R128NORM_FORMAT_U16, R128NORM_FORMAT_U16, 0, runs);
  bench_pair (R128NORM_FORMAT_U8, R128NORM_FORMAT_F32, 0, runs);
  bench_pair (R128NORM_FORMAT_S16, R128NORM_FORMAT_F32, 0, runs);
  bench_pair (R128NORM_FORMAT_U16, R128NORM_FORMAT_F32, 0, runs);
  bench_pair (R128NORM_FORMAT_F32, R128NORM_FORMAT_F32, 0, runs);

  printf ("\nshort rows, ns per call\n\n");
  printf ("| kernel         |  32: C |    ORC | 128: C |    ORC "
      "| 512: C |    ORC |\n");
  printf ("|----------------|--------|--------|--------|--------"
      "|--------|--------|\n");
  bench_short (R128NORM_FORMAT_U8, R128NORM_FORMAT_U8, 1, runs);
  bench_short (R128NORM_FORMAT_S16, R128NORM_FORMAT_S16, 1, runs);
  bench_short (R128NORM_FORMAT_U8, R128NORM_FORMAT_U8, 0, runs);
  bench_short (R128NORM_FORMAT_S16, R128NORM_FORMAT_S16, 0, runs);
  bench_short (R128NORM_FORMAT_U8, R128NORM_FORMAT_F32, 0, runs);
  bench_short (R128NORM_FORMAT_F32, R128NORM_FORMAT_F32, 0, runs);
  free (in_buf);
  free (orc_out);
  return 0;
}

int
main (int argc, char **argv)
{
  r128norm_kernel_set probe;
  const char *code = getenv ("ORC_CODE");

  setvbuf (stdout, NULL, _IOLBF, 0);
  if (argc > 1 && !strcmp (argv[1], "--bench")) {
    if (!r128norm_kernels_orc (R128NORM_FORMAT_U8, R128NORM_FORMAT_U8,
            &probe)) {
      printf ("built without ORC\n");
      return 77;
    }
    return bench (argc > 2 ? atoi (argv[2]) : 21);
  }
  if (argc > 1)
    rng_state = strtoull (argv[1], NULL, 0) | 1;
  printf ("seed 0x%llx, ORC_CODE=%s\n", (unsigned long long) rng_state,
      code ? code : "(unset)");

  if (!r128norm_kernels_orc (R128NORM_FORMAT_U8, R128NORM_FORMAT_U8, &probe)) {
    printf ("built without ORC: skipped\n");
    return 77;
  }

  in_buf = malloc (MAX_LEN * 8 + PAD);
  flushed_buf = malloc (MAX_LEN * 8 + PAD);
  c_out = malloc (MAX_LEN * 8 + PAD);
  c_out_flushed = malloc (MAX_LEN * 8 + PAD);
  orc_out = malloc (MAX_LEN * 8 + PAD);
  if (!in_buf || !flushed_buf || !c_out || !c_out_flushed || !orc_out)
    return 99;

  test_stats (R128NORM_FORMAT_U8);
  test_stats (R128NORM_FORMAT_U8_CENTERED);
  test_stats (R128NORM_FORMAT_S16);
  test_stats (R128NORM_FORMAT_U16);

  test_apply (R128NORM_FORMAT_U8, R128NORM_FORMAT_U8);
  test_apply (R128NORM_FORMAT_U8_CENTERED, R128NORM_FORMAT_U8_CENTERED);
  test_apply (R128NORM_FORMAT_S16, R128NORM_FORMAT_S16);
  test_apply (R128NORM_FORMAT_U16, R128NORM_FORMAT_U16);
  test_apply (R128NORM_FORMAT_U8, R128NORM_FORMAT_F32);
  test_apply (R128NORM_FORMAT_U8_CENTERED, R128NORM_FORMAT_F32);
  test_apply (R128NORM_FORMAT_S16, R128NORM_FORMAT_F32);
  test_apply (R128NORM_FORMAT_U16, R128NORM_FORMAT_F32);
  test_apply (R128NORM_FORMAT_F32, R128NORM_FORMAT_F32);

  test_untouched (R128NORM_FORMAT_U8, R128NORM_FORMAT_F16);
  test_untouched (R128NORM_FORMAT_F32, R128NORM_FORMAT_F16);
  test_untouched (R128NORM_FORMAT_S32, R128NORM_FORMAT_S32);
  test_untouched (R128NORM_FORMAT_F64, R128NORM_FORMAT_F32);

  free (in_buf);
  free (flushed_buf);
  free (c_out);
  free (c_out_flushed);
  free (orc_out);
  printf ("%d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
