/* Internal: hand-vectorized kernels (x86 AVX2, chosen at run time) and the
 * packed-row path that feeds them: several u8 channels interleaved in one
 * plane (RGBA, RGBx, RGB, NV12's UV) processed as one flat row with
 * per-lane parameters, instead of one strided pass per channel. */
#ifndef R128NORM_SIMD_H
#define R128NORM_SIMD_H

#include <float.h>
#include <math.h>

#include "r128norm_kernels.h"

/* The single precision scheme of the F32 -> F32 FMA kernels (see
 * apply_contig_f32_f32_fma in r128norm_kernels_x86.c): cf, the float
 * nearest c, and bb = b - a (c - cf); returns whether it is within 1e-5 of
 * C's double precision steps for these parameters (a mean within float's
 * range, a finite float gain, an offset of at most 16, the full F32 output
 * range), else those steps must be used.  The kernels test the map's
 * values, not x: a NaN or infinity among them (from a NaN or infinite x,
 * or an x - cf or a map that overflows float) sends those samples to C's
 * steps, so the gain is not 0 in float either: 0 * Inf would hide the
 * overflow of x - cf. */
static inline int
r128norm_single_precision (const r128norm_affine *p, float *cf, double *bb)
{
  *cf = (float) p->c;
  *bb = p->b - p->a * (p->c - (double) *cf);
  return fabs (p->c) < 1e38 && fabs (p->a) < 1e30 && (float) p->a != 0.0f
      && fabs (*bb) <= 16.0 && p->lo == -FLT_MAX && p->hi == FLT_MAX;
}

/* How far ahead of a streaming loop (bytes) its software prefetch reads.
 * Some hosts' hardware prefetchers do not run ahead of a loop that also
 * computes, which then waits on every line: on a 2-vCPU Sapphire Rapids
 * VM, 1080p RGBA in place (the u8 table kernel, a pool of 9 frames) took
 * 0.91 ms frozen, 1.56 running and 2.0 frame against 0.65 for a memcpy,
 * and 0.65, 1.05 and 1.37 to 1.5 with a prefetch 512 to 4096 bytes ahead
 * (docs/performance.md, "An Intel host"). */
#define R128NORM_PREFETCH_AHEAD 1024

/* A hint to bring the line R128NORM_PREFETCH_AHEAD bytes after @p into
 * the caches: one a line of the stream (more cost a load slot each, and
 * nothing else); past the buffer's end it is a hint that does nothing. */
#define R128NORM_PREFETCH(p) \
  __builtin_prefetch ((const char *) (p) + R128NORM_PREFETCH_AHEAD, 0, 3)

/* The same for a stream that is written (out of place): the line is
 * brought in before the store that would otherwise wait for it (u8 to
 * F32 hwc output, four bytes out a byte in, ran 1.3 to 1.6 times faster
 * with it on that host). */
#define R128NORM_PREFETCH_OUT(p) \
  __builtin_prefetch ((const char *) (p) + R128NORM_PREFETCH_AHEAD, 1, 3)

/* Whether channel b starts within channel a's first row: the two share
 * rows (interleaved samples, as in RGB or NV12's UV plane) rather than
 * lying in planes of their own.  The general pass walks such channels a
 * row of each in turn, and the packed path takes no layout that would
 * walk them otherwise. */
static inline int
r128norm_same_rows (const r128norm_channel *a, const r128norm_channel *b)
{
  ptrdiff_t span = (ptrdiff_t) a->width * (a->step < 0 ? -a->step : a->step);
  ptrdiff_t d = (const uint8_t *) b->data - (const uint8_t *) a->data;

  return d > -span && d < span;
}

/* The single precision shortcut of the AVX-512 kernels with F16 output
 * (half_shortcut16 in r128norm_kernels_x86.c): cf, the float nearest c,
 * af, and bf = b - a (c - cf), as floats, and k, the part of its error
 * bound that is the same for every sample of the channel.  Returns
 * whether the parameters allow it (a mean within float's range, a gain
 * whose float is normal and far from overflow, the F16 clamp); where they
 * do not, C's double steps run. */
static inline int
r128norm_half_shortcut (const r128norm_affine *p, float *cf, float *af,
    float *bf, float *k)
{
  double bb;

  if (!(fabs (p->c) < 1e38 && fabs (p->a) < 1e18 && fabs (p->a) > 1e-18
          && fabs (p->b) < 1e30 && p->lo == -65504.0 && p->hi == 65504.0))
    return 0;
  *cf = (float) p->c;
  bb = p->b - p->a * (p->c - (double) *cf);
  *af = (float) p->a;
  *bf = (float) bb;
  *k = (float) (0x1p-49 * (fabs (p->b) + fabs (p->a * p->c))
      + 0x1p-21 * fabs ((double) *bf));
  return 1;
}

/* Whether the S32 kernels' double steps give C's result for a map
 * (apply_contig_s32_s32, the packed S32 rows): c, a and b of moderate
 * size, so that no step makes a NaN (x - c is finite, and its product
 * with a finite a is never 0 * Inf), and, for S32 output, the format's
 * range from lo = -2^31, which their rounding needs (round4_s32: the
 * library's S32 output always has it). */
static inline int
r128norm_s32_map_ok (const r128norm_affine *p, int to_s32)
{
  return fabs (p->c) < 1e300 && fabs (p->a) < 1e300 && fabs (p->b) < 1e300
      && (!to_s32 || (p->lo == -2147483648.0 && p->hi <= 2147483647.0
              && p->lo <= p->hi));
}

/* Most bytes per pixel of a packed row: the lane pattern must repeat
 * within 96 bytes (three 32-byte vectors), i.e. the period divides 96. */
#define R128NORM_PACKED_MAX_PERIOD 32
/* Most samples per pixel of a packed F32 row (interleaved audio of up to
 * 64 channels), and most distinct vectors of 8 floats its lane pattern
 * may need: lcm (period, 8) / 8 = period / gcd (period, 8) <= 8. */
#define R128NORM_PACKED_MAX_LANES 64
#define R128NORM_PACKED_F_PHASES 8
#define R128NORM_PACKED_F_POS (8 * R128NORM_PACKED_F_PHASES)

/* Most distinct channels a packed u8 row may have for the table apply
 * (RGBA's three, NV12's two): each takes four registers of 64 entries. */
#define R128NORM_PACKED_TABLES 4

/* Bytes of r128norm_packed_params.fixed_vecs: 25 vectors of 16 bytes. */
#define R128NORM_U8_FIXED_VECS 400

/* Per-lane parameters of a packed row, as NPH distinct vectors of 8
 * floats: the 8-byte group k of the row uses vector k % nph.  When shift
 * is not 0 the kernels use the fixed-point form of the same map,
 * y = (x * fa + fb) >> shift, made by r128norm_packed_fixed(). */
typedef struct r128norm_packed_params {
  float c[4][8], a[4][8], b[4][8];
  float lo[4][8], hi[4][8];     /* F32 output's clamp */
  int32_t fa[4][8], fb[4][8];
  int shift;
  unsigned period, nph;
  /* u8 -> u8 by table (the AVX-512 VBMI kernel, where the period divides
   * 16 or is 3): n_tables distinct channels (0: no tables, the map above),
   * each with the C kernel's output for every input value
   * (r128norm_affine.lut) and the bytes of each 64-byte vector of a unit
   * that are its (table_bytes[v][k], bit j for byte j; three vectors a
   * unit for period 3, one otherwise; made with the layout); bytes of no
   * table are written back as they were */
  unsigned n_tables;
  uint64_t table_bytes[3][R128NORM_PACKED_TABLES];
  uint8_t table[R128NORM_PACKED_TABLES][256];
  /* the portable kernel's: each lane's channel, whose table it is
   * (R128NORM_PACKED_TABLES: no channel's, or a channel past the tables) */
  uint8_t lane_table[R128NORM_PACKED_MAX_PERIOD];
  /* where the period divides 16: bit t set when byte t of some 4 (t =
   * 0..3) is a channel's somewhere in a vector, so the AVX-512 sums may
   * leave out the others (RGBA's alpha: 0x7, ARGB's: 0xe) */
  unsigned sum_positions;
  /* ... and, where every channel's table has a map of integers at one
   * shift (r128norm_u8_fixed), those maps for each byte of a unit of
   * fixed_unit bytes (16, or 48 for a period of 3; bytes of no channel
   * x 2^s >> s), in the form its vectors take them
   * (r128norm_u8_fixed_prepare); fixed_unit 0: the tables apply */
  unsigned fixed_unit;
  _Alignas (16) unsigned char fixed_vecs[R128NORM_U8_FIXED_VECS];
} r128norm_packed_params;

/* Fills fa, fb and shift from c, a, b for u8 -> u8: (x - c) * a + b + 0.5
 * scaled by 2^shift, with the largest shift (up to 22) at which
 * x * fa + fb fits 31 bits for every x in [0, 255]; its floor is the
 * rounded result, within about 2^-15 of the float map's value wherever
 * the output does not saturate (so 1 LSB at most, and different from the
 * C kernel only next to a rounding tie).  shift = 0 (float kernels) when
 * no shift of at least 8 fits or c is not an integer.  Where the library
 * made the channels' tables, their maps of integers (r128norm_u8_fit)
 * then take the place of these, and give C's bytes. */
void r128norm_packed_fixed (r128norm_packed_params *pp);

/* One packed row of `bytes` bytes: sums += per-lane sums, sq += per-lane
 * sums of squares (lane = byte index % period) when sum is set; normalizes
 * in place when apply is set. */
typedef void (*r128norm_packed_fn) (uint8_t *row, size_t bytes,
    const r128norm_packed_params *pp, int sum, int apply,
    uint64_t *sums, uint64_t *sq);

/* A packed u8 row to F32 (or F16) pixels of its channels alone, in any
 * order (RGBx, BGRA, xRGB or BGR to an hwc tensor in R, G, B order):
 * pixels of period bytes (2 to 4) in, of `channels` samples out, 16
 * pixels a step (AVX-512 VBMI) or 8 (AVX2).  Sample f of 16 pixels takes
 * byte index[f / 16][4 (f % 16)] of their bytes through the map c[f],
 * a[f], b[f], lo[f], hi[f] (its channel's, in C's single precision steps;
 * F16: fma (x - c, a, b) clamped and rounded once to half, which the
 * check of each channel's table found to be C's half but for the values
 * fix[k][f] (-1: none), whose halves are fixed[k][f], as floats, exact);
 * for 8 pixels, the vpshufb masks of vector f / 8 that pick that byte
 * into dword f % 8 from their first 16 bytes (from_lo) or the next 16
 * (from_hi), 0x80 (zero) elsewhere. */
typedef struct r128norm_packed_compact {
  unsigned period, channels;
  uint8_t index[4][64];
  uint8_t from_lo[4][32], from_hi[4][32];
  float c[64], a[64], b[64], lo[64], hi[64];
  int fixes;                    /* F16: some fix[][] is not -1 */
  int32_t fix[2][64];
  float fixed[2][64];
} r128norm_packed_compact;

/* One row of `bytes` bytes (the row's span: its last pixel may end before
 * its untouched bytes) and `pixels` pixels to `out`, as described above. */
typedef void (*r128norm_packed_compact_fn) (const uint8_t *row, size_t bytes,
    void *out, size_t pixels, const r128norm_packed_compact *cp);

/* One packed u8 row to F32 with the same interleaving (RGB u8 to an hwc
 * F32 tensor), every byte of the pixel a channel: out[i] = map (row[i]);
 * sums as above when sum is set. */
typedef void (*r128norm_packed_f32_fn) (const uint8_t *row, void *out,
    size_t bytes, const r128norm_packed_params *pp, int sum, uint64_t *sums,
    uint64_t *sq);

/* One lane's parameters of a packed F32 row (what the C steps use). */
typedef struct r128norm_packed_lane {
  double c, a, b, lo, hi, nf;   /* apply; nf: what NaN/Inf become */
  double shift, slo, shi;       /* statistics: x - shift in [slo, shi] */
  float cf, af, bf;             /* the single precision scheme's */
} r128norm_packed_lane;

/* Per-position parameters of a packed F32 row: float i of a row has
 * position i % (8 nph), the sample of lane i % period.  Positions of lanes
 * no channel describes have the identity map (c 0, a 1, b -0: every finite
 * float comes back bit for bit) and are not counted.  The vector kernels
 * read the per-position arrays, and only those a pass needs are filled:
 * cf, af, bf for the single precision apply, else c, a, b, lo, hi;
 * neg_shift (-shift, which the kernels add: x * 1 + (-shift) is one FMA
 * with the single rounding of x - shift) for statistics, slo and shi when
 * some channel clamps them.  The C steps
 * (tails, NaN/Inf) read the lanes.  Packed F16 rows use the same
 * positions, with c, a, b, lo, hi and nfv (what NaN/Inf become) always
 * (their output is rounded once from C's double steps). */
typedef struct r128norm_packed_fparams {
  unsigned period, nph;
  int fma;             /* the CPU's, found by r128norm_packed_init() */
  int avx512;           /* this layout's kernels: vectors of 16 */
  /* the CPU's, found by r128norm_packed_init(): AVX-512, and whether it
   * is worth it for short layouts too (R128NORM_PACKED_SHORT_BYTES) */
  int cpu_avx512, cpu_avx512_short;
  /* apply in single precision: with FMA (see x86), or in the portable
   * kernel (r128norm_kernels_vec.c), which reads both sets of
   * per-position parameters, always filled for it (r128norm_packed's
   * portable) */
  int single;
  int clip;             /* some channel's statistics clamp (clip-sigma) */
  int shifted;          /* some channel's statistics shift is not 0 */
  int has_untouched;    /* some position is no channel's (keep below) */
  float cf[R128NORM_PACKED_F_POS], af[R128NORM_PACKED_F_POS];
  float bf[R128NORM_PACKED_F_POS];
  double c[R128NORM_PACKED_F_POS], a[R128NORM_PACKED_F_POS];
  double b[R128NORM_PACKED_F_POS];
  double lo[R128NORM_PACKED_F_POS], hi[R128NORM_PACKED_F_POS];
  double neg_shift[R128NORM_PACKED_F_POS];
  double slo[R128NORM_PACKED_F_POS], shi[R128NORM_PACKED_F_POS];
  double nfv[R128NORM_PACKED_F_POS];
  r128norm_packed_lane lane[R128NORM_PACKED_MAX_LANES];
  unsigned char touched[R128NORM_PACKED_F_POS];
  unsigned char pos_lane[R128NORM_PACKED_F_POS]; /* position % period */
  /* nph 1 (AVX2, a period that divides 8) or AVX-512 with nph 2 (a
   * period that divides 16): the kernel builds its vectors of cf, af, bf
   * (AVX-512: and neg_shift) from the lanes (lane_positions[l]: lane l's
   * positions in a vector of 16, of which AVX2 reads the first 8), and
   * those positions are not written (the other per-position arrays still
   * are).  AVX2 reads neg_shift from memory: with its vectors in
   * registers too, gcc kept accumulators on the stack */
  int lanes_direct;
  uint16_t lane_positions[16];
  /* all ones where no channel is: the input is written back as it was
   * (the identity map alone would flush subnormals under DAZ/FTZ) */
  int32_t keep[R128NORM_PACKED_F_POS];
  /* F16: the AVX-512 apply's single precision shortcut
   * (r128norm_half_shortcut) holds for every channel; it reads cf, af, bf
   * and hk (the shortcut's k).  Last, so that the arrays the F32 stream
   * reads keep their offsets and alignment */
  int half_shortcut;
  float hk[R128NORM_PACKED_F_POS];
  /* F64: keep as 64-bit lanes */
  int64_t keep64[R128NORM_PACKED_F_POS];
} r128norm_packed_fparams;

/* One packed F32 row of n floats from src to dst (may be the same):
 * per position, sums[] += sum of clamp (x - shift), sq[] += its squares
 * (when sum is set), non_finite[] += NaN/Inf samples skipped (always);
 * normalizes when apply is set (NaN/Inf become nf). */
typedef void (*r128norm_packed_float_fn) (const void *src, void *dst,
    size_t n, const r128norm_packed_fparams *fp, int sum, int apply,
    double *sums, double *sq, uint64_t *non_finite);

/* Per-position parameters of a packed S16 row: sample i of a row has
 * position i % (16 nph), the sample of lane i % period; the map is the C
 * kernels' single precision one, step for step (so the output is bit for
 * bit theirs): v = (x - c) * a + b clamped to [lo, hi], then for S16 out
 * trunc (v - lo + 0.5) + lo.  Positions no channel describes have the
 * identity map, which gives every integer back. */
#define R128NORM_PACKED_S_POS (16 * R128NORM_PACKED_F_PHASES)
typedef struct r128norm_packed_sparams {
  unsigned period, nph;
  int to_f32;                   /* output F32 (same interleaving), else S16 */
  int avx512;                   /* the CPU's vectors of 16 (found once) */
  float c[R128NORM_PACKED_S_POS], a[R128NORM_PACKED_S_POS];
  float b[R128NORM_PACKED_S_POS], lo[R128NORM_PACKED_S_POS];
  float hi[R128NORM_PACKED_S_POS];
} r128norm_packed_sparams;

/* The parameters of a contiguous S16 or U16 row (mono audio, a GRAY16
 * plane) as a packed row of one lane: every position p's map (NULL: the
 * statistics alone), for the S16 kernels' contiguous entries. */
void r128norm_packed_sparams_contig (r128norm_packed_sparams *sp,
    const r128norm_affine *p, int to_f32, int avx512);

/* Units of 16-bit rows between two flushes of a kernel's 32-bit partial
 * sums: each unit adds one sample per lane, at most 2^15 in magnitude
 * (S16) or 65535 (U16), so 32768 of them stay within 2^31. */
#define R128NORM_S16_FLUSH ((size_t) 32768)

/* Most S32 samples whose squares' low 32 bits (each below 2^32) one
 * 64-bit sum takes: 2^31 keeps it below 2^63, so the kernels' sums of
 * such sums over a few lanes still fit 64 bits.  The S32 kernels take
 * contiguous rows in blocks of this many, and the packed pass at most
 * this many samples a channel. */
#define R128NORM_S32_BLOCK ((size_t) 1 << 31)

/* One packed S16 row of n samples from src to dst (may be the same, S16
 * out): per position, sums[] += sum of x, sq[] += sum of x^2 (when sum is
 * set, exact); normalizes when apply is set. */
typedef void (*r128norm_packed_s16_fn) (const void *src, void *dst,
    size_t n, const r128norm_packed_sparams *sp, int sum, int apply,
    int64_t *sums, uint64_t *sq);

/* One packed S32 row of n samples from src to dst (in place, or to F32
 * with the same interleaving when to_f32 is set), with the positions and
 * apply parameters (c, a, b) of the F32 rows: per position, sums[] +=
 * sum of x, sq_hi[] and sq_lo[] += sums of the high and low 32 bits of
 * x^2 (when sum is set; exact, the sum of squares is sq_hi 2^32 +
 * sq_lo); normalizes when apply is set, C's double steps bit for bit
 * (the output's clamp is the format's: -2^31 to 2^31 - 1 or +-FLT_MAX);
 * samples of no channel are written back (in place). */
typedef void (*r128norm_packed_s32_fn) (const void *src, void *dst,
    size_t n, const r128norm_packed_fparams *fp, int to_f32, int sum,
    int apply, int64_t *sums, uint64_t *sq_hi, uint64_t *sq_lo);

/* The layout of the last buffer and what the packed path makes of it. */
typedef struct r128norm_packed {
  r128norm_packed_fn fn;        /* NULL: no packed kernels for the formats */
  /* the kernels are the portable ones (CPUs without AVX2): fn, the u8
   * kernel, with statistics and the apply in place by the channels'
   * tables alone, which the library then makes (wants_lut); or fn_float,
   * F32 and F64 rows in vectors (r128norm_packed_float_vec) */
  int portable;
  int wants_lut;
  int looks_up;                 /* fn applies by the tables (VBMI) */
  r128norm_packed_f32_fn fn_f32; /* u8 in, F32 out; else NULL */
  /* u8 in, F32 (or F16: compact_half) out of the channels alone; else
   * NULL */
  r128norm_packed_compact_fn fn_compact;
  int compact_half;
  r128norm_packed_float_fn fn_float; /* F32 (or F16) in and out; else NULL */
  int half;                     /* fn_float's rows are F16 */
  r128norm_packed_s16_fn fn_s16; /* S16 in, S16 or F32 out; else NULL */
  /* S32 in, S32 or F32 (s32_to_f32) out, with fparams; else NULL */
  r128norm_packed_s32_fn fn_s32;
  int s32_to_f32;
  int s32_map_ok;               /* the apply parameters suit the kernel */
  size_t size;                  /* bytes per sample: 1, 2, 4 or 8 (F64) */
  /* layout key: channel 0's geometry and every channel's offset from it */
  int known;
  unsigned channels;
  ptrdiff_t step, stride;
  size_t width, height;
  ptrdiff_t offset[R128NORM_PACKED_MAX_LANES];
  /* what was found: the layout of channels [first, channels), where
   * first is 1 for a semi-planar buffer (learn_layout()) */
  unsigned first;
  int usable;
  /* channels in planes of their own, each channel's samples contiguous
   * (planar audio and tensors): the layout below is one channel's, lane
   * 0, which each plane takes in turn with its channel's parameters */
  int planes;
  ptrdiff_t base;               /* offset of the row start from channel 0 */
  size_t row_bytes;
  size_t row_samples;           /* row_bytes / size */
  int lane_chan[R128NORM_PACKED_MAX_LANES]; /* -1: untouched sample */
  /* the apply parameters below were made from this generation of the
   * affine values, for this layout */
  int apply_params_valid;
  unsigned apply_params_gen;
  r128norm_packed_params params;
  r128norm_packed_compact compact;
  r128norm_packed_fparams fparams;
  r128norm_packed_sparams sparams;
  /* the F32 and S16 kernels' sums per position, all zero between passes
   * (the pass that reads one zeroes it: cheaper than clearing them all
   * before each pass) */
  double fsums[R128NORM_PACKED_F_POS], fsq[R128NORM_PACKED_F_POS];
  uint64_t fnf[R128NORM_PACKED_F_POS];
  int64_t ssums[R128NORM_PACKED_S_POS];
  uint64_t ssq[R128NORM_PACKED_S_POS];
  uint64_t ssq_lo[R128NORM_PACKED_F_POS];       /* S32: x^2's low bits */
} r128norm_packed;

/* The x86 kernels for a format pair: fills the slots it implements and
 * returns 1, or returns 0 (not x86, no AVX2, or nothing for the pair). */
int r128norm_kernels_x86 (r128norm_format in, r128norm_format out,
    r128norm_kernel_set *set);

/* Chooses the packed kernels for a format pair (with AVX2: U8 or
 * U8_CENTERED in, in place only when the output is the same format, out
 * of place only to F32; or F32 to F32; or S16 to S16 or F32; or F16 to
 * F16 in place; F64 to F64; S32 to S32 or F32; without AVX2, the
 * portable u8, F32, F64, F16, S16 and S32 kernels) and forgets the cached
 * layout. */
void r128norm_packed_init (r128norm_packed *pk, r128norm_format in,
    r128norm_format out, int enable);

/* Runs one pass over a buffer as packed rows if the layout allows it
 * (returns 1), else does nothing and returns 0: over all its channels,
 * or (*first 1) all but the first (a semi-planar buffer's chroma), which
 * the caller then takes.  Applies in place
 * (out == in), or to F32 interleaved like the input with every byte of the
 * pixel a channel; sums (sum without apply) for any output.  F32 rows
 * apply in place, or out of place to the same layout when every sample of
 * the pixel is a channel; their NaN/Inf samples are added to acc (sum)
 * and to non_finite[channel] (apply). */
int r128norm_packed_pass (r128norm_packed *pk, unsigned channels,
    const r128norm_channel *in, const r128norm_channel *out, int sum,
    int apply, const r128norm_clip *clip, r128norm_acc *acc,
    const r128norm_affine *affine, unsigned affine_gen,
    uint64_t *non_finite, unsigned *first);

/* Whether a buffer is F32 or F64 rows (or S16 rows in place) in the layout
 * learned by an earlier r128norm_packed_pass() and usable, which
 * r128norm_packed_stream() (_s16()) then processes with statistics
 * (@sum) or without: the short path of a steady stream. */
int r128norm_packed_can_stream (const r128norm_packed *pk, unsigned channels,
    const r128norm_channel *in, int sum);

/* The same pass as r128norm_packed_pass() for such a buffer in place, sum
 * or not, without its checks. */
void r128norm_packed_stream (r128norm_packed *pk, unsigned channels,
    const r128norm_channel *in, int sum, const r128norm_clip *clip,
    r128norm_acc *acc, const r128norm_affine *affine, unsigned affine_gen,
    uint64_t *non_finite);

/* The same for S16 rows (their pass counts no NaN). */
void r128norm_packed_stream_s16 (r128norm_packed *pk, unsigned channels,
    const r128norm_channel *in, int sum, const r128norm_clip *clip,
    r128norm_acc *acc, const r128norm_affine *affine, unsigned affine_gen);

/* The u8 -> F32 kernel of the channels alone, or NULL without AVX2; the
 * u8 -> F16 one, or NULL without AVX2, F16C and FMA. */
r128norm_packed_compact_fn r128norm_packed_u8_f32_compact_x86 (void);
r128norm_packed_compact_fn r128norm_packed_u8_f16_compact_x86 (void);

/* The F32 packed kernel, or NULL without AVX2. */
r128norm_packed_float_fn r128norm_packed_f32_x86 (void);

/* What that kernel may use on this CPU: FMA (the single precision apply)
 * and AVX-512 (vectors of 16 floats, where nph is even: the layout code
 * then makes it lcm (period, 16) / 8 where that stays within
 * R128NORM_PACKED_F_PHASES); *avx512_short, whether AVX-512 is also the
 * better choice for layouts of at most R128NORM_PACKED_SHORT_BYTES a pass
 * (not on Intel's cores: see there). */
void r128norm_packed_f32_x86_features (int *fma, int *avx512,
    int *avx512_short);

/* A pass over at most this many bytes of packed float rows (F32, and the
 * F64, F16 and S32 rows that share their parameters; 10 ms of 8 channels
 * of F32 audio) takes the AVX2 kernels where the CPU's AVX-512 is not
 * worth it for short work (r128norm_packed_f32_x86_features()).  Their
 * outputs are the same bits either way; the statistics' sums, added in
 * another order, may differ in their last bits. */
#define R128NORM_PACKED_SHORT_BYTES 16384

/* The F16 packed kernel (in place), or NULL without AVX2 and F16C: rows
 * of halves as F32 rows for the statistics, C's double steps and one
 * rounding to half for the output. */
r128norm_packed_float_fn r128norm_packed_f16_x86 (void);

/* The F64 packed kernel (interleaved audio, in place or to the same
 * layout), or NULL without AVX2: groups of 8 doubles with the positions
 * of the F32 rows (vectors of 8), C's double steps bit for bit. */
r128norm_packed_float_fn r128norm_packed_f64_x86 (void);

/* The portable packed kernel of F32, F64 or F16 rows
 * (r128norm_kernels_vec.c, GCC vector extensions: SSE2, NEON), for CPUs
 * without AVX2: C's double steps bit for bit (F16: each half rounded
 * once), or for F32 maps that allow it (fparams.single) the single
 * precision steps without FMA, within 1e-5; the positions of the AVX2
 * kernels (vectors of 8: the features above both 0).  NULL for other
 * formats or without vector extensions. */
r128norm_packed_float_fn r128norm_packed_float_vec (r128norm_format format);

/* Exact sums and sums of squares per lane of a u8 row (byte i is lane
 * i % period) in portable vectors (r128norm_kernels_vec.c): sums[lane]
 * and sq[lane] += those of the lane's bytes.  Returns 1, or 0 having done
 * nothing where the period divides none of 16, 32 and 48, on a
 * big-endian CPU or without vector extensions. */
int r128norm_u8_sums_vec (const uint8_t *row, size_t bytes, unsigned period,
    uint64_t *sums, uint64_t *sq);

/* The maps of integers of the bytes of a unit (16 or 48 bytes; one
 * shift) into @vecs, the form r128norm_u8_fixed_row_vec() reads.
 * Returns 1, or 0 having done nothing without vector extensions. */
int r128norm_u8_fixed_prepare (unsigned char *vecs,
    const r128norm_u8_fixed *maps, unsigned unit);

/* Bytes [0, k unit) of a u8 row from src to dst (in place or not) by
 * the maps @vecs prepared for @unit bytes, k as large as @bytes allows:
 * the table's bytes, in portable vectors (r128norm_kernels_vec.c); with
 * @sums (not NULL), sums[lane] and sq[lane] += the exact sums of the
 * bytes and of their squares read, per lane (byte i is lane i % period,
 * period dividing unit).  Returns k unit, the bytes done. */
size_t r128norm_u8_fixed_row_vec (const uint8_t *src, uint8_t *dst,
    size_t bytes, const unsigned char *vecs, unsigned unit, unsigned period,
    uint64_t *sums, uint64_t *sq);

/* The S32 packed kernel, or NULL without AVX2. */
r128norm_packed_s32_fn r128norm_packed_s32_x86 (void);

/* The portable S32 packed kernel (r128norm_kernels_vec.c, GCC vector
 * extensions), for CPUs without AVX2: the same positions and output, C's
 * steps bit for bit.  NULL without vector extensions or on a big-endian
 * CPU. */
r128norm_packed_s32_fn r128norm_packed_s32_vec (void);

/* The S16 packed kernel, or NULL without AVX2. */
r128norm_packed_s16_fn r128norm_packed_s16_x86 (void);

/* The portable S16 packed kernel (r128norm_kernels_vec.c, GCC vector
 * extensions), for CPUs without AVX2: the same positions and output, C's
 * steps bit for bit.  NULL without vector extensions or on a big-endian
 * CPU. */
r128norm_packed_s16_fn r128norm_packed_s16_vec (void);

/* Samples [0, n) of a packed S16 row from position 0 in C's steps, one at
 * a time: the kernels' tails. */
void r128norm_packed_s16_scalar (const int16_t *src, void *dst, size_t n,
    const r128norm_packed_sparams *sp, int sum, int apply, int64_t *sums,
    uint64_t *sq);

/* Samples [0, n) of a packed S32 row from position 0 in C's steps, one at
 * a time: the kernels' tails. */
void r128norm_packed_s32_scalar (const int32_t *src, void *dst, size_t n,
    const r128norm_packed_fparams *fp, int to_f32, int sum, int apply,
    int64_t *sums, uint64_t *sq_hi, uint64_t *sq_lo);

#endif /* R128NORM_SIMD_H */
