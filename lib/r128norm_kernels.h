/* Internal: the row kernels behind r128norm_process() and the table that
 * holds one implementation of each, chosen once per format pair. */
#ifndef R128NORM_KERNELS_H
#define R128NORM_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "r128norm.h"

/* The functions every buffer runs through (the per-buffer setup, the
 * passes, the packed path), placed together in one section.  A 10 ms
 * audio buffer is per-call work, and between two buffers a pipeline runs
 * enough other code to push ours out of the instruction caches and
 * branch predictors: scattered over the library, the same functions cost
 * 3 to 10 ns more a buffer and moved by up to 30 ns with the placement
 * of unrelated code (docs/performance.md, "10 ms audio buffers"). */
#if defined(__GNUC__) && defined(__ELF__)
#define R128NORM_HOT __attribute__ ((section (".text.hot.r128norm")))
#else
#define R128NORM_HOT
#endif
/* What they call only now and then (a new layout, diagnostics), kept out
 * of them and out of that section. */
#if defined(__GNUC__)
#define R128NORM_COLD __attribute__ ((cold, noinline))
#else
#define R128NORM_COLD
#endif

/* A u8 -> u8 table (r128norm_affine.lut) as a map of integers,
 * y = clamp ((x * fa + fb) >> shift, 0, 255) with an arithmetic shift,
 * equal to the table at every x (r128norm_u8_fit): what vector kernels
 * without byte lookups compute instead.  shift 0: no such map. */
typedef struct r128norm_u8_fixed {
  int32_t fa, fb;
  int shift;
  int wide;                     /* fitted for 32-bit operands */
} r128norm_u8_fixed;

/* out_raw = (x - c) * a + b, then clamped to [lo, hi] and, for integer
 * output, rounded to nearest.  Integer inputs of up to 16 bits use the float
 * copies (x - c is exact there); everything else uses double precision.
 * `non_finite` is what a NaN/Inf input sample becomes (float input only). */
typedef struct r128norm_affine {
  double c, a, b;
  double lo, hi;
  double non_finite;
  float cf, af, bf;
  float lof, hif;
  /* u8 in, when the kernels ask for it (wants_lut): the C kernel's output
   * for every input value, so a table lookup gives exactly its result;
   * 256 outputs of the output format, u8 or F16 (2 bytes each) in lut,
   * F32 in lut_f32 (the state's, set with the kernels).  The struct keeps
   * its size (600 bytes on 64-bit targets) whatever the tables: a larger
   * one (1 KB more, or 8 bytes) measured a 10 ms F32 audio buffer 8 and
   * 21 ns slower in a pipeline, one run each of scripts/bench-layouts.sh
   * (docs/performance.md, "CPUs without AVX2"). */
  int has_lut;
  float *lut_f32;
  union {
    uint8_t lut[256 * 2];
    /* u8 out, when the kernels ask for it (lut_derive): the table's 256
     * bytes, then its map of integers (set with the table, read only
     * with has_lut) */
    struct {
      uint8_t lut_u8[256];
      r128norm_u8_fixed lut_fixed;
    };
  };
  /* F16 out, when the kernels ask for it (lut_derive): the table
   * is also what the single precision map fmaf (x - cf, af, bf) clamped
   * to [lof, hif] and rounded once to half gives, for every input value
   * but lut_fix[0 .. lut_fixes), so a kernel may compute it and take those
   * one or two from the table (set with the table, read only with
   * has_lut) */
  uint8_t lut_single;
  uint8_t lut_fixes;
  uint8_t lut_fix[2];
} r128norm_affine;

/* Which input samples enter the statistics and how.  Integer formats clamp
 * by counting: x < ilo counts as the value lo, x > ihi as hi, so the sums
 * of the samples in between stay exact integers.  Float formats clamp
 * x to [lo, hi] and sum (x - shift) in double precision: the shift (a
 * value near the mean) keeps the variance free of cancellation. */
typedef struct r128norm_clip {
  int active;
  double lo, hi;
  int64_t ilo, ihi;
  double shift;
} r128norm_clip;

/* Sums of one channel over one buffer, raw units. */
typedef struct r128norm_acc {
  uint64_t n;          /* samples that entered (finite, any value) */
  uint64_t non_finite; /* NaN/Inf samples skipped */
  /* integer formats: exact sums of the samples within [ilo, ihi] */
  int64_t sum;
  unsigned __int128 sumsq;
  uint64_t n_lo, n_hi; /* integer samples clamped to lo / hi */
  /* float formats: sums of clamp(x) - shift */
  double fsum, fsq;
} r128norm_acc;

/* Statistics of n samples, step bytes apart. */
typedef void (*r128norm_stats_fn) (const void *in, ptrdiff_t step, size_t n,
    const r128norm_clip *clip, r128norm_acc *acc);

/* Normalize n samples; returns the number of non-finite inputs. */
typedef uint64_t (*r128norm_apply_fn) (const void *in, ptrdiff_t in_step,
    void *out, ptrdiff_t out_step, size_t n, const r128norm_affine *p);

/* Contiguous variants (step == sample size) that SIMD implementations may
 * provide; NULL where an implementation has none. */
typedef void (*r128norm_stats_contig_fn) (const void *in, size_t n,
    const r128norm_clip *clip, r128norm_acc *acc);
typedef uint64_t (*r128norm_apply_contig_fn) (const void *in, void *out,
    size_t n, const r128norm_affine *p);

typedef struct r128norm_kernel_set {
  const char *name;
  r128norm_stats_fn stats;
  r128norm_apply_fn apply;
  r128norm_stats_contig_fn stats_contig;
  r128norm_apply_contig_fn apply_contig;
  int wants_lut;        /* apply and apply_contig read r128norm_affine.lut
                         * (lut_f32 for F32 output) */
  /* ... and what this derives from the table once it is made (NULL:
   * nothing): lut_single (u8 -> F16) or lut_fixed (u8 -> u8) */
  void (*lut_derive) (struct r128norm_affine *p);
} r128norm_kernel_set;

/* The C kernels for a format pair; returns 0 if the pair is unsupported. */
int r128norm_kernels_c (r128norm_format in, r128norm_format out,
    r128norm_kernel_set *set);

/* The C kernel's statistics of a contiguous row of @format: what the ORC
 * and portable kernels leave to C (clipped statistics, short rows). */
void r128norm_stats_contig_c (r128norm_format format, const void *in,
    size_t n, const r128norm_clip *clip, r128norm_acc *acc);

/* The ORC kernels for a format pair: fills the slots ORC implements and
 * returns 1, or returns 0 (also when built without ORC). */
int r128norm_kernels_orc (r128norm_format in, r128norm_format out,
    r128norm_kernel_set *set);

/* The u8 -> u8, u8 -> F32 and u8 -> F16 kernels by table
 * (r128norm_affine.lut, C's bytes or halves, and lut_f32, C's floats) for
 * CPUs without SIMD kernels: fills the apply slots and wants_lut and
 * returns 1, or returns 0 for other pairs. */
int r128norm_kernels_table (r128norm_format in, r128norm_format out,
    r128norm_kernel_set *set);

/* The map of integers equal to a u8 -> u8 table (r128norm_u8_fixed) at
 * @shift (8 to 22), fa within a few units of a 2^shift (or 0), x fa + fb
 * within 32 bits; unless @wide (a kernel that multiplies in 32 bits), also
 * SSE2's 16-bit operands: fa and fb >> shift within 16 bits, and
 * fb mod 2^shift a multiple of 2^(shift - 15).  The first fa that some
 * fb fits, which is then the middle of its range.  Returns 0 where none
 * fits (a gain too large for the shift or far from a, a table that is
 * not a rounded line, or, rarely, one whose line the shift's steps miss). */
int r128norm_u8_fit (const uint8_t *table, double a, int shift, int wide,
    r128norm_u8_fixed *fixed);

/* The largest shift (22 at most) at which r128norm_u8_fit may fit a gain
 * a; 0 where none (|a| near 128 or above, or near 2^15 where @wide, or
 * not a number).
 * A row whose bytes of no channel SSE2 keeps as x 2^s >> s needs 2^s
 * within 16 bits: 14 at most. */
int r128norm_u8_fit_shift (double a, int wide);

/* Fills p->lut_fixed from p->lut, at r128norm_u8_fit_shift (p->af),
 * narrow (the portable kernels) or wide (x86's). */
void r128norm_u8_derive_fixed (r128norm_affine *p);
void r128norm_u8_derive_fixed_wide (r128norm_affine *p);

/* u8 -> u8 through p->lut (C's kernel where has_lut is not set): what the
 * vector kernels leave to the table. */
uint64_t r128norm_apply_contig_u8_table (const void *in, void *out,
    size_t n, const r128norm_affine *p);

/* The portable vector kernels of F32 and F64 rows (GCC vector
 * extensions: SSE2, NEON) for CPUs without the x86 SIMD kernels: fills
 * the statistics slots and the contiguous same-format apply (and F16's
 * contiguous statistics, and the contiguous apply of F16 to F16 or F32
 * and of F32 to F16), and returns 1, or returns 0 for other formats.
 * Little-endian CPUs also get u8's contiguous statistics and u8 -> u8's
 * contiguous apply by the tables' maps of integers (lut_derive), and S16's,
 * U16's and S32's contiguous statistics and apply (to the same format or
 * F32). */
int r128norm_kernels_vec (r128norm_format in, r128norm_format out,
    r128norm_kernel_set *set);

/* The C kernels' contiguous u8 -> u8 (U8 or U8_CENTERED, the same out)
 * and u8 -> F32 apply in portable vectors, their values exactly: what
 * the library makes the u8 tables with (wants_lut).  NULL for other pairs
 * and where GCC's vector extensions are not available. */
r128norm_apply_contig_fn r128norm_u8_steps_vec (r128norm_format in,
    r128norm_format out);

/* IEEE half conversions, exact and round-to-nearest-even. */
float r128norm_half_to_float (uint16_t h);
uint16_t r128norm_double_to_half (double d);

#endif /* R128NORM_KERNELS_H */
