/* The packed-row path: when the u8 channels of a buffer are interleaved in
 * one plane (RGBA, BGRx, RGB, NV12's UV plane, interleaved u8 audio) and
 * the buffer is normalized in place, each row is processed once as a flat
 * array with per-lane parameters, instead of once per channel with a
 * strided kernel.  Bytes of the pixels that no channel describes (alpha,
 * padding) get identity parameters: (x - 0) * 1 + 0 reproduces every byte
 * exactly, so they are read and written back unchanged.  The layout is
 * recognized once and cached; the per-buffer check compares a few fields. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "r128norm_simd.h"

r128norm_packed_fn r128norm_packed_u8_x86 (void);
int r128norm_packed_u8_looks_up_x86 (void);
r128norm_packed_f32_fn r128norm_packed_u8_f32_x86 (void);

/* The packed u8 rows of a CPU without AVX2 (SSE alone, ARM): per lane,
 * exact sums, in portable vectors (r128norm_u8_sums_vec) where the
 * period allows, else in C (in 32 bits for a row's stretch of at most
 * 66051 samples, 255^2 each), and the apply in place by the channels'
 * tables (the C kernel's output for every value, so C's bytes): in
 * vectors by their maps of integers where they have them (fixed_unit),
 * the sums in the same pass, else a lane at a time, strided, after the
 * sums.  The row (one line of a frame) stays in the cache between the
 * sums and the apply. */
static void
packed_u8_portable (uint8_t *row, size_t bytes,
    const r128norm_packed_params *pp, int sum, int apply, uint64_t *sums,
    uint64_t *sq)
{
  const size_t period = pp->period, stretch = 66051 * period;
  unsigned lane;

  if (apply && pp->fixed_unit) {
    /* whole units by the tables' maps, with their sums, the rest by the
     * tables: a unit is whole pixels, so the rest starts at lane 0 */
    const size_t done = r128norm_u8_fixed_row_vec (row, row, bytes,
        pp->fixed_vecs, pp->fixed_unit, pp->period, sum ? sums : NULL, sq);
    row += done;
    bytes -= done;
  } else if (sum && r128norm_u8_sums_vec (row, bytes, pp->period, sums,
          sq)) {
    if (!apply)
      return;
    sum = 0;
  }
  for (lane = 0; lane < pp->period; lane++) {
    const unsigned t = pp->lane_table[lane];
    const uint8_t *table = t < R128NORM_PACKED_TABLES ? pp->table[t] : NULL;
    size_t start;
    if (!table && !sum)
      continue;                 /* bytes of no channel: left as they are */
    for (start = lane; start < bytes; start += stretch) {
      const size_t end = bytes - start < stretch ? bytes : start + stretch;
      uint32_t s = 0, q = 0;
      size_t i;
      if (sum && apply && table)
        for (i = start; i < end; i += period) {
          const uint32_t x = row[i];
          s += x;
          q += x * x;
          row[i] = table[x];
        }
      else if (sum)
        for (i = start; i < end; i += period) {
          const uint32_t x = row[i];
          s += x;
          q += x * x;
        }
      else
        for (i = start; i < end; i += period)
          row[i] = table[row[i]];
      sums[lane] += s;
      sq[lane] += q;
    }
  }
}

void
r128norm_packed_init (r128norm_packed *pk, r128norm_format in,
    r128norm_format out, int enable)
{
  memset (pk, 0, sizeof *pk);
  pk->size = 1;
  /* the rows laid out as F32 ones (fparams): F32, F64 and F16 to the
   * same format, S32 to S32 or F32 */
  if (enable && (in == R128NORM_FORMAT_F32 || in == R128NORM_FORMAT_F64
          || in == R128NORM_FORMAT_F16) && out == in) {
    pk->fn_float = in == R128NORM_FORMAT_F32 ? r128norm_packed_f32_x86 ()
        : in == R128NORM_FORMAT_F64 ? r128norm_packed_f64_x86 ()
        : r128norm_packed_f16_x86 ();
    /* without AVX2: F32 and F64 through the portable vectors */
    if (!pk->fn_float) {
      pk->fn_float = r128norm_packed_float_vec (in);
      pk->portable = pk->fn_float != NULL;
    }
    pk->half = in == R128NORM_FORMAT_F16;
  } else if (enable && in == R128NORM_FORMAT_S32
      && (out == R128NORM_FORMAT_S32 || out == R128NORM_FORMAT_F32)) {
    pk->fn_s32 = r128norm_packed_s32_x86 ();
    /* without AVX2: the portable vectors */
    if (!pk->fn_s32)
      pk->fn_s32 = r128norm_packed_s32_vec ();
    pk->s32_to_f32 = out == R128NORM_FORMAT_F32;
  }
  if (pk->fn_float || pk->fn_s32) {
    pk->size = r128norm_format_size (in);
    r128norm_packed_f32_x86_features (&pk->fparams.fma,
        &pk->fparams.cpu_avx512, &pk->fparams.cpu_avx512_short);
    pk->fparams.avx512 = pk->fparams.cpu_avx512;
    return;
  }
  if (enable && in == R128NORM_FORMAT_S16 && (out == R128NORM_FORMAT_S16
          || out == R128NORM_FORMAT_F32)) {
    pk->fn_s16 = r128norm_packed_s16_x86 ();
    /* without AVX2: the portable vectors */
    if (!pk->fn_s16)
      pk->fn_s16 = r128norm_packed_s16_vec ();
    pk->size = 2;
    pk->sparams.to_f32 = out == R128NORM_FORMAT_F32;
    {
      int fma, avx512_short;
      r128norm_packed_f32_x86_features (&fma, &pk->sparams.avx512,
          &avx512_short);
    }
    return;
  }
  if (!enable || (in != R128NORM_FORMAT_U8
          && in != R128NORM_FORMAT_U8_CENTERED))
    return;
  /* sums for any output; the apply in place (u8 out) */
  pk->fn = r128norm_packed_u8_x86 ();
  pk->looks_up = r128norm_packed_u8_looks_up_x86 ();
  if (!pk->fn) {
    pk->fn = packed_u8_portable;
    pk->portable = 1;
    pk->wants_lut = out == in;
    return;
  }
  if (out == R128NORM_FORMAT_F32) {
    pk->fn_f32 = r128norm_packed_u8_f32_x86 ();
    pk->fn_compact = r128norm_packed_u8_f32_compact_x86 ();
  } else if (out == R128NORM_FORMAT_F16) {
    pk->fn_compact = r128norm_packed_u8_f16_compact_x86 ();
    pk->compact_half = 1;
  }
}

void
r128norm_packed_sparams_contig (r128norm_packed_sparams *sp,
    const r128norm_affine *p, int to_f32, int avx512)
{
  unsigned j;

  sp->period = 1;
  sp->nph = 1;
  sp->to_f32 = to_f32;
  sp->avx512 = avx512;
  for (j = 0; j < 16; j++) {
    sp->c[j] = p ? p->cf : 0.0f;
    sp->a[j] = p ? p->af : 0.0f;
    sp->b[j] = p ? p->bf : 0.0f;
    sp->lo[j] = p ? p->lof : 0.0f;
    sp->hi[j] = p ? p->hif : 0.0f;
  }
}

void
r128norm_packed_fixed (r128norm_packed_params *pp)
{
  int shift;
  unsigned h, j;

  /* (x - c) * a + b + 0.5 = x * fa + fb with fa = a 2^s and
   * fb = (b + 0.5) 2^s - c fa: c is an integer, so the error is
   * |x - c| 2^-(s+1) + 2^-s, tiny wherever the result does not saturate */
  for (shift = 22; shift >= 8; shift--) {
    const double scale = (double) (1 << shift);
    int fits = 1;
    for (h = 0; h < pp->nph && fits; h++)
      for (j = 0; j < 8 && fits; j++) {
        double c = pp->c[h][j], fa, fb;
        if (j > 0 && c == pp->c[h][j - 1] && pp->a[h][j] == pp->a[h][j - 1]
            && pp->b[h][j] == pp->b[h][j - 1]) {
          /* the same lane parameters (every lane of a contiguous row) */
          pp->fa[h][j] = pp->fa[h][j - 1];
          pp->fb[h][j] = pp->fb[h][j - 1];
          continue;
        }
        fa = nearbyint (pp->a[h][j] * scale);
        fb = floor ((pp->b[h][j] + 0.5) * scale) - c * fa;
        fits = c == floor (c) && fabs (fb) < 2147483647.0
            && fabs (fb + 255.0 * fa) < 2147483647.0;
        if (fits) {
          pp->fa[h][j] = (int32_t) fa;
          pp->fb[h][j] = (int32_t) fb;
        }
      }
    if (fits) {
      pp->shift = shift;
      return;
    }
  }
  pp->shift = 0;
}

/* Whether @in is the layout learned (of its channels from pk->first). */
R128NORM_HOT static int
same_layout (const r128norm_packed *pk, unsigned channels,
    const r128norm_channel *in)
{
  unsigned c;

  in += pk->first;
  channels -= pk->first;

  if (!pk->known || pk->channels != channels || pk->step != in[0].step
      || pk->stride != in[0].stride || pk->width != in[0].width
      || pk->height != in[0].height)
    return 0;
  for (c = 1; c < channels; c++)
    if (in[c].step != pk->step || in[c].stride != pk->stride
        || in[c].width != pk->width || in[c].height != pk->height
        || (const char *) in[c].data - (const char *) in[0].data
        != pk->offset[c])
      return 0;
  return 1;
}

static unsigned
gcd (unsigned a, unsigned b)
{
  while (b) {
    unsigned t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/* The fewest channels of a packed layout: 1 for F32, F64, S16 and S32
 * rows (mono audio: a row of one channel's samples, period 1, through the
 * same fused kernels as interleaved ones, and the steady stream's short
 * path; planar audio too, a plane at a time), else 2 (one channel's rows
 * go to the contiguous kernels: u8, F16). */
static unsigned
mono_channels (const r128norm_packed *pk)
{
  return (pk->fn_float && pk->size >= 4) || pk->fn_s16 || pk->fn_s32 ? 1
      : 2;
}

/* Whether the channels tile one packed row: the same geometry, distinct
 * offsets within one step.  u8: a step of 2 to 32 bytes that divides 96
 * (so the lane pattern repeats within three 32-byte vectors).  F32 (S16):
 * a step of 2 to 64 samples whose pattern repeats within 8 vectors of 8
 * floats (16 samples), offsets whole samples apart, or one channel's
 * contiguous samples (a step of 1, mono_channels()), or several
 * channels' each in planes of their own (pk->planes). */
R128NORM_COLD static void
learn_rows (r128norm_packed *pk, unsigned channels,
    const r128norm_channel *in)
{
  const ptrdiff_t size = (ptrdiff_t) pk->size;
  ptrdiff_t step = in[0].step, lo = 0, hi = 0, period;
  /* F16 rows are laid out as F32 ones (their statistics run through the
   * F32 kernel on widened blocks), F64 rows too (groups of 8 doubles) */
  const unsigned per_vector = pk->half || size == 8 ? 8
      : 32 / (unsigned) size;
  unsigned c, j;

  pk->known = 1;
  pk->usable = 0;
  pk->apply_params_valid = 0;
  memset (pk->fsums, 0, sizeof pk->fsums);
  memset (pk->fsq, 0, sizeof pk->fsq);
  memset (pk->fnf, 0, sizeof pk->fnf);
  memset (pk->ssums, 0, sizeof pk->ssums);
  memset (pk->ssq, 0, sizeof pk->ssq);
  memset (pk->ssq_lo, 0, sizeof pk->ssq_lo);
  pk->channels = channels;
  pk->step = in[0].step;
  pk->stride = in[0].stride;
  pk->width = in[0].width;
  pk->height = in[0].height;
  pk->planes = 0;
  for (c = 0; c < channels && c < R128NORM_PACKED_MAX_LANES; c++)
    pk->offset[c] = (const char *) in[c].data - (const char *) in[0].data;
  /* one channel: its samples contiguous only (a strided one would have
   * the samples between its own written back, which it does not own) */
  if (channels < mono_channels (pk) || channels > R128NORM_PACKED_MAX_LANES
      || in[0].width == 0 || in[0].height == 0 || step < size
      || (channels == 1 && step != size) || step % size != 0)
    return;
  for (c = 0; c < channels; c++)
    if (in[c].step != step || in[c].stride != pk->stride
        || in[c].width != pk->width || in[c].height != pk->height)
      return;
  if (step == size && channels > 1) {
    /* planes: where mono rows take the packed path, so do several
     * channels' contiguous rows, each channel's whole plane in turn as
     * the rows of one lane (float_pass(), s16_pass(), s32_pass()); not
     * planes that start within another's row (but on the same samples),
     * which the general rows take a row of each at a time, so that what
     * one writes the other reads as it would there */
    unsigned d;
    if (mono_channels (pk) > 1)
      return;
    for (c = 0; c < channels; c++)
      for (d = c + 1; d < channels; d++)
        if (in[d].data != in[c].data && r128norm_same_rows (&in[c], &in[d]))
          return;
    pk->planes = 1;
    channels = 1;
  }
  period = step / size;
  if (size == 1 && (step > R128NORM_PACKED_MAX_PERIOD || 96 % step != 0))
    return;
  if (size > 1 && (period > R128NORM_PACKED_MAX_LANES
          || period / gcd ((unsigned) period, per_vector)
          > R128NORM_PACKED_F_PHASES))
    return;
  for (c = 0; c < channels; c++) {
    lo = pk->offset[c] < lo ? pk->offset[c] : lo;
    hi = pk->offset[c] > hi ? pk->offset[c] : hi;
  }
  if (hi - lo >= step)
    return;
  for (j = 0; j < (unsigned) period; j++)
    pk->lane_chan[j] = -1;
  for (c = 0; c < channels; c++) {
    unsigned lane;
    if ((pk->offset[c] - lo) % size != 0)
      return;                   /* not whole samples apart */
    lane = (unsigned) ((pk->offset[c] - lo) / size);
    if (pk->lane_chan[lane] != -1)
      return;                   /* two channels on one sample */
    pk->lane_chan[lane] = (int) c;
  }
  pk->base = lo;
  pk->row_bytes = (pk->width - 1) * (size_t) step + (size_t) (hi - lo)
      + (size_t) size;
  pk->row_samples = pk->row_bytes / (size_t) size;
  if (size == 1) {
    r128norm_packed_params *pp = &pk->params;
    unsigned v;
    pp->period = (unsigned) step;
    for (j = 0; j < (unsigned) step; j++)
      pp->lane_table[j] = (uint8_t) (pk->lane_chan[j] >= 0
          && pk->lane_chan[j] < R128NORM_PACKED_TABLES ? pk->lane_chan[j]
          : R128NORM_PACKED_TABLES);
    /* 8-byte groups k and k' share parameters when 8k = 8k' mod step */
    pp->nph = (unsigned) step / (step % 8 == 0 ? 8 : step % 4 == 0 ? 4
        : step % 2 == 0 ? 2 : 1);
    /* the bytes of each 64-byte vector that are each channel's, for the
     * table apply (table_params() decides whether it runs) */
    memset (pp->table_bytes, 0, sizeof pp->table_bytes);
    pp->sum_positions = 0;
    for (j = 0; j < 64; j++)
      if (pk->lane_chan[j % pp->period] >= 0)
        pp->sum_positions |= 1u << (j % 4);
    for (v = 0; v < 3; v++)
      for (j = 0; j < 64; j++) {
        int ch = pk->lane_chan[(64 * v + j) % pp->period];
        if (ch >= 0 && ch < R128NORM_PACKED_TABLES)
          pp->table_bytes[v][ch] |= (uint64_t) 1 << j;
      }
  } else if (size == 2 && !pk->half) {
    pk->sparams.period = (unsigned) period;
    pk->sparams.nph = (unsigned) period / gcd ((unsigned) period, 16);
  } else {
    r128norm_packed_fparams *fp = &pk->fparams;
    const unsigned nph16 = (unsigned) period / gcd ((unsigned) period, 16);
    fp->period = (unsigned) period;
    fp->nph = (unsigned) period / gcd ((unsigned) period, 8);
    /* the pattern over vectors of 16 floats, where the kernel has them
     * and it fits: the AVX2 kernel is as happy with it */
    /* (F64 and S32 rows: groups of 8 samples, parameters from memory) */
    const int groups_of_8 = size == 8 || pk->fn_s32;
    /* vectors of 16 unless the CPU's are not worth it for a pass this
     * short (each plane is a pass of its own) */
    fp->avx512 = fp->cpu_avx512 && (fp->cpu_avx512_short
        || pk->row_bytes * pk->height > R128NORM_PACKED_SHORT_BYTES);
    if (fp->avx512 && 2 * nph16 <= R128NORM_PACKED_F_PHASES && !groups_of_8)
      fp->nph = 2 * nph16;
    fp->lanes_direct = !groups_of_8 && (fp->nph == 1 || (fp->avx512
            && fp->nph == 2));
    memset (fp->lane_positions, 0, sizeof fp->lane_positions);
    if (fp->lanes_direct)
      for (j = 0; j < 16; j++)
        fp->lane_positions[j % fp->period] |= (uint16_t) (1u << j);
    fp->has_untouched = 0;
    for (j = 0; j < 8 * fp->nph; j++) {
      fp->pos_lane[j] = (unsigned char) (j % fp->period);
      fp->touched[j] = pk->lane_chan[j % fp->period] >= 0;
      fp->keep[j] = fp->touched[j] ? 0 : -1;
      fp->keep64[j] = fp->keep[j];
      fp->has_untouched |= !fp->touched[j];
    }
  }
  pk->usable = 1;
}

/* The layout of the channels, packed rows of all of them (learn_rows()),
 * or of all but the first: a semi-planar buffer (NV12, NV21), whose first
 * channel (Y) has a plane of its own and the others (UV) share rows.
 * Those then take the packed path only where every sample of their
 * pixels is theirs, so that the pass writes no byte of the first
 * channel, which the general rows take (in another band's thread,
 * maybe). */
R128NORM_COLD static void
learn_layout (r128norm_packed *pk, unsigned channels,
    const r128norm_channel *in)
{
  unsigned lane, period;

  pk->first = 0;
  learn_rows (pk, channels, in);
  /* nor where the others start within the first channel's first row,
   * which the general rows would walk with it, a row of each in turn */
  if (pk->usable || channels < 3 || !in[0].data || !in[1].data
      || r128norm_same_rows (&in[0], &in[1]))
    return;
  learn_rows (pk, channels - 1, in + 1);
  period = (unsigned) (pk->step / (ptrdiff_t) pk->size);
  for (lane = 0; lane < period && pk->usable; lane++)
    pk->usable = pk->lane_chan[lane] >= 0;
  if (pk->usable)
    pk->first = 1;
  else
    learn_rows (pk, channels, in);      /* the key of the whole again */
}

static void half_shortcut_params (r128norm_packed *pk,
    const r128norm_affine *affine);

/* The apply's parameters of a packed F32 (F16, F64) row from the
 * channels': each lane's, then each position's copy of its lane's, which
 * the vectors read.  (F64 rows leave out the clamp to [lo, hi]: F64
 * output's range is every finite double, and a non-finite result goes
 * through C's steps.) */
R128NORM_HOT static void
float_apply_params (r128norm_packed *pk, const r128norm_affine *affine)
{
  r128norm_packed_fparams *fp = &pk->fparams;
  const unsigned m = 8 * fp->nph;
  unsigned lane, pos;

  /* single precision needs the FMA kernels, which read only cf, af, bf,
   * or the portable one (which reads both sets: its groups with a NaN go
   * to C's steps); F32 rows alone (F16 and F64 output come from C's
   * double steps) */
  fp->single = (fp->fma || pk->portable) && pk->size == 4;
  for (lane = 0; lane < fp->period; lane++) {
    const int ch = pk->lane_chan[lane];
    r128norm_packed_lane *ln = &fp->lane[lane];
    if (ch < 0) {
      ln->c = 0.0;
      ln->a = 1.0;
      ln->b = -0.0;
      ln->lo = -FLT_MAX;
      ln->hi = FLT_MAX;
      ln->nf = 0.0;
      ln->cf = 0.0f;
      ln->af = 1.0f;
      ln->bf = -0.0f;
    } else {
      const r128norm_affine *p = &affine[ch];
      float cf;
      double bb;
      if (!r128norm_single_precision (p, &cf, &bb))
        fp->single = 0;
      ln->c = p->c;
      ln->a = p->a;
      ln->b = p->b;
      ln->lo = p->lo;
      ln->hi = p->hi;
      ln->nf = p->non_finite;
      ln->cf = cf;
      ln->af = (float) p->a;
      ln->bf = (float) bb;
    }
  }
  /* each position straight from its lane: no position waits for the
   * store of another (copied from the position a period before, they
   * made chains of store-to-load forwarding) */
  if (fp->single) {
    if (fp->lanes_direct && !pk->portable)
      return;
    for (pos = 0; pos < m; pos++) {
      const r128norm_packed_lane *ln = &fp->lane[fp->pos_lane[pos]];
      fp->cf[pos] = ln->cf;
      fp->af[pos] = ln->af;
      fp->bf[pos] = ln->bf;
    }
  }
  if (!fp->single || pk->portable) {
    for (pos = 0; pos < m; pos++) {
      const r128norm_packed_lane *ln = &fp->lane[fp->pos_lane[pos]];
      fp->c[pos] = ln->c;
      fp->a[pos] = ln->a;
      fp->b[pos] = ln->b;
      fp->lo[pos] = ln->lo;
      fp->hi[pos] = ln->hi;
      fp->nfv[pos] = ln->nf;
    }
  }
  if (pk->half)
    half_shortcut_params (pk, affine);
}

/* The F16 apply's single precision shortcut, per position, where every
 * channel allows it; positions of no channel (their samples are written
 * back) get the identity.  (F16 only: outside the per-buffer section.) */
static void
half_shortcut_params (r128norm_packed *pk, const r128norm_affine *affine)
{
  r128norm_packed_fparams *fp = &pk->fparams;
  const unsigned m = 8 * fp->nph;
  float cf[R128NORM_PACKED_MAX_LANES], af[R128NORM_PACKED_MAX_LANES];
  float bf[R128NORM_PACKED_MAX_LANES], k[R128NORM_PACKED_MAX_LANES];
  unsigned lane, pos;

  fp->half_shortcut = 0;
  if (!fp->avx512 && !fp->fma)
    return;
  for (lane = 0; lane < fp->period; lane++) {
    const int ch = pk->lane_chan[lane];
    cf[lane] = 0.0f;
    af[lane] = 1.0f;
    bf[lane] = 0.0f;
    k[lane] = 0.0f;
    if (ch >= 0 && !r128norm_half_shortcut (&affine[ch], &cf[lane],
            &af[lane], &bf[lane], &k[lane]))
      return;
  }
  for (pos = 0; pos < m; pos++) {
    lane = fp->pos_lane[pos];
    fp->cf[pos] = cf[lane];
    fp->af[pos] = af[lane];
    fp->bf[pos] = bf[lane];
    fp->hk[pos] = k[lane];
  }
  fp->half_shortcut = 1;
}

/* The statistics' parameters, as the apply's: each lane's shift and
 * clamp bounds, then the positions'. */
R128NORM_HOT static void
float_sum_params (r128norm_packed *pk, const r128norm_clip *clip)
{
  r128norm_packed_fparams *fp = &pk->fparams;
  const unsigned m = 8 * fp->nph;
  unsigned lane, pos;

  fp->clip = 0;
  fp->shifted = 0;
  for (lane = 0; lane < fp->period; lane++) {
    const int ch = pk->lane_chan[lane];
    r128norm_packed_lane *ln = &fp->lane[lane];
    ln->shift = 0.0;
    ln->slo = -DBL_MAX;
    ln->shi = DBL_MAX;
    if (ch >= 0) {
      ln->shift = clip[ch].shift;
      fp->shifted |= ln->shift != 0.0;
      if (clip[ch].active) {
        fp->clip = 1;
        ln->slo = clip[ch].lo - clip[ch].shift;
        ln->shi = clip[ch].hi - clip[ch].shift;
      }
    }
  }
  /* AVX2 reads them with lanes_direct too (r128norm_simd.h) */
  if (!fp->lanes_direct || !fp->avx512)
    for (pos = 0; pos < m; pos++)
      fp->neg_shift[pos] = -fp->lane[fp->pos_lane[pos]].shift;
  if (fp->clip)
    for (pos = 0; pos < m; pos++) {
      fp->slo[pos] = fp->lane[fp->pos_lane[pos]].slo;
      fp->shi[pos] = fp->lane[fp->pos_lane[pos]].shi;
    }
}

/* Whether @out, out of place, is the layout learned in samples of
 * @out_size bytes: every sample of the pixel a channel (@period, the
 * layout's), the same steps and offsets counted in samples, one stride;
 * planes each a plane with a stride of its own. */
static int
out_layout_fits (const r128norm_packed *pk, unsigned channels,
    unsigned period, const r128norm_channel *out, size_t out_size)
{
  const ptrdiff_t in_size = (ptrdiff_t) pk->size;
  const ptrdiff_t osz = (ptrdiff_t) out_size;
  unsigned c;

  if (channels != period && !pk->planes)
    return 0;
  for (c = 0; c < channels; c++)
    if (out[c].step * in_size != pk->step * osz || (!pk->planes
            && (out[c].stride != out[0].stride || ((const char *) out[c].data
                    - (const char *) out[0].data) * in_size
                != pk->offset[c] * osz)))
      return 0;
  return 1;
}

/* The rows of a packed F32 layout (of one plane with pk->planes, whose
 * channel is then lane 0 of @clip, @acc, @affine, @non_finite): the
 * per-position parameters from the channels' (the apply's only when they
 * are not those of the last buffer already), one call of the kernel per
 * row, the per-position sums added to the channels. */
R128NORM_HOT static void
float_rows (r128norm_packed *pk, const uint8_t *base, uint8_t *obase,
    ptrdiff_t ostride, int sum, int apply, const r128norm_clip *clip,
    r128norm_acc *acc, const r128norm_affine *affine,
    int apply_params_current, uint64_t *non_finite)
{
  r128norm_packed_fparams *fp = &pk->fparams;
  double *sums = pk->fsums, *sq = pk->fsq;
  uint64_t *nf = pk->fnf;
  const unsigned m = 8 * fp->nph;
  const size_t n = pk->row_samples;
  unsigned c, pos;
  size_t r;

  if (apply && !apply_params_current)
    float_apply_params (pk, affine);
  if (sum)
    float_sum_params (pk, clip);
  for (r = 0; r < pk->height; r++)
    pk->fn_float (base + (ptrdiff_t) r * pk->stride,
        obase + (ptrdiff_t) r * ostride, n, fp, sum, apply, sums, sq, nf);
  /* each lane's positions (lane, lane + period, ...) added up, and
   * zeroed for the next pass, then the lane's channel updated once */
  for (c = 0; c < fp->period; c++) {
    const int ch = pk->lane_chan[c];
    double fs = 0.0, fq = 0.0;
    uint64_t k = 0;
    for (pos = c; pos < m; pos += fp->period) {
      fs += sums[pos];
      fq += sq[pos];
      k += nf[pos];
      sums[pos] = sq[pos] = 0.0;
      nf[pos] = 0;
    }
    if (ch < 0)
      continue;
    if (sum) {
      acc[ch].n += (uint64_t) pk->width * pk->height - k;
      acc[ch].non_finite += k;
      acc[ch].fsum += fs;
      acc[ch].fsq += fq;
    }
    if (apply)
      non_finite[ch] += k;
  }
}

/* The F32 packed pass: the rows of the layout, or of each plane in turn
 * with its channel's parameters (made for every plane: one lane's cost
 * little).  Statistics alone write nothing: the input's rows then, not an
 * output whose layout was not checked. */
R128NORM_HOT static int
float_pass (r128norm_packed *pk, unsigned channels,
    const r128norm_channel *in, const r128norm_channel *out, int sum,
    int apply, const r128norm_clip *clip, r128norm_acc *acc,
    const r128norm_affine *affine, int apply_params_current,
    uint64_t *non_finite)
{
  const uint8_t *base = (const uint8_t *) in[0].data + pk->base;
  unsigned c;

  /* the same layout, no sample of the pixel untouched (not F16) */
  if (apply && out != in && (pk->half || !out_layout_fits (pk, channels,
              pk->fparams.period, out, pk->size)))
    return 0;
  if (pk->planes) {
    for (c = 0; c < channels; c++)
      float_rows (pk, in[c].data, apply ? out[c].data : (uint8_t *)
          in[c].data, apply ? out[c].stride : pk->stride, sum, apply,
          clip + c, acc + c, affine + c, 0, apply ? non_finite + c : NULL);
    return 1;
  }
  float_rows (pk, base, apply ? (uint8_t *) out[0].data + pk->base
      : (uint8_t *) base, apply ? out[0].stride : pk->stride, sum, apply,
      clip, acc, affine, apply_params_current, non_finite);
  return 1;
}

/* The rows of a packed S16 layout, as float_rows(). */
static void
s16_rows (r128norm_packed *pk, const uint8_t *base, uint8_t *obase,
    ptrdiff_t ostride, int sum, int apply, r128norm_acc *acc,
    const r128norm_affine *affine, int apply_params_current)
{
  r128norm_packed_sparams *sp = &pk->sparams;
  int64_t *sums = pk->ssums;
  uint64_t *sq = pk->ssq;
  const unsigned m = 16 * sp->nph;
  const size_t n = pk->row_samples;
  unsigned c, pos, lane;
  size_t r;

  for (pos = 0, lane = 0; pos < m; pos++, lane = lane + 1 == sp->period ? 0
      : lane + 1) {
    const int ch = pk->lane_chan[lane];
    if (apply && !apply_params_current) {
      const r128norm_affine *p = ch < 0 ? NULL : &affine[ch];
      sp->c[pos] = p ? p->cf : 0.0f;
      sp->a[pos] = p ? p->af : 1.0f;
      sp->b[pos] = p ? p->bf : 0.0f;
      sp->lo[pos] = p ? p->lof : -32768.0f;
      sp->hi[pos] = p ? p->hif : 32767.0f;
    }
  }
  for (r = 0; r < pk->height; r++)
    pk->fn_s16 (base + (ptrdiff_t) r * pk->stride,
        obase + (ptrdiff_t) r * ostride, n, sp, sum, apply, sums, sq);
  if (sum)
    for (c = 0; c < sp->period; c++) {
      /* every position read once and zeroed for the next pass */
      const int ch = pk->lane_chan[c];
      int64_t total = 0;
      unsigned __int128 total_sq = 0;
      for (pos = c; pos < m; pos += sp->period) {
        total += sums[pos];
        total_sq += sq[pos];
        sums[pos] = 0;
        sq[pos] = 0;
      }
      if (ch < 0)
        continue;
      acc[ch].n += (uint64_t) pk->width * pk->height;
      acc[ch].sum += total;
      acc[ch].sumsq += total_sq;
    }
}

/* The S16 packed pass, as the F32 one (float_pass()). */
static int
s16_pass (r128norm_packed *pk, unsigned channels,
    const r128norm_channel *in, const r128norm_channel *out, int sum,
    int apply, const r128norm_clip *clip, r128norm_acc *acc,
    const r128norm_affine *affine, int apply_params_current)
{
  const r128norm_packed_sparams *sp = &pk->sparams;
  const size_t out_size = sp->to_f32 ? 4 : 2;
  const uint8_t *base = (const uint8_t *) in[0].data + pk->base;
  unsigned c;

  if (sum)
    for (c = 0; c < channels; c++)
      if (clip[c].active)
        return 0;
  if (apply && out != in) {
    /* the same interleaving in the output's sample size */
    if (!out_layout_fits (pk, channels, sp->period, out, out_size))
      return 0;
  } else if (apply && sp->to_f32) {
    return 0;
  }
  if (pk->planes) {
    for (c = 0; c < channels; c++)
      s16_rows (pk, in[c].data, apply ? out[c].data : (uint8_t *)
          in[c].data, apply ? out[c].stride : pk->stride, sum, apply,
          acc + c, affine + c, 0);
    return 1;
  }
  /* as in float_pass() */
  s16_rows (pk, base, apply ? (uint8_t *) out[0].data + pk->base / 2
      * (ptrdiff_t) out_size : (uint8_t *) base, apply ? out[0].stride
      : pk->stride, sum, apply, acc, affine, apply_params_current);
  return 1;
}

/* Whether the S32 kernel reproduces C's steps for @p's map (a huge c, a
 * or b it does not: r128norm_s32_map_ok), which clamps to the output
 * format's range, as the kernel does itself. */
static int
s32_map_fits (const r128norm_affine *p, int to_f32)
{
  return r128norm_s32_map_ok (p, !to_f32) && p->lo == (to_f32 ? -FLT_MAX
      : -2147483648.0) && p->hi == (to_f32 ? FLT_MAX : 2147483647.0);
}

/* The S32 apply's parameters per lane and position (C's double map);
 * returns whether every channel's map fits the kernel. */
static int
s32_apply_params (r128norm_packed *pk, const r128norm_affine *affine)
{
  r128norm_packed_fparams *fp = &pk->fparams;
  const unsigned m = 8 * fp->nph;
  unsigned lane, pos;
  int fits = 1;

  for (lane = 0; lane < fp->period; lane++) {
    const int ch = pk->lane_chan[lane];
    r128norm_packed_lane *ln = &fp->lane[lane];
    const r128norm_affine *p = ch < 0 ? NULL : &affine[ch];
    ln->c = p ? p->c : 0.0;
    ln->a = p ? p->a : 1.0;
    ln->b = p ? p->b : 0.0;
    ln->lo = p ? p->lo : 0.0;
    ln->hi = p ? p->hi : 0.0;
    if (p && !s32_map_fits (p, pk->s32_to_f32))
      fits = 0;
  }
  for (pos = 0; pos < m; pos++) {
    const r128norm_packed_lane *ln = &fp->lane[fp->pos_lane[pos]];
    fp->c[pos] = ln->c;
    fp->a[pos] = ln->a;
    fp->b[pos] = ln->b;
  }
  return fits;
}

/* The rows of a packed S32 layout, as float_rows(), with the apply's
 * parameters made. */
static void
s32_rows (r128norm_packed *pk, const uint8_t *base, uint8_t *obase,
    ptrdiff_t ostride, int sum, int apply, r128norm_acc *acc)
{
  r128norm_packed_fparams *fp = &pk->fparams;
  const unsigned m = 8 * fp->nph;
  const size_t n = pk->row_samples;
  unsigned c, pos;
  size_t r;

  for (r = 0; r < pk->height; r++)
    pk->fn_s32 (base + (ptrdiff_t) r * pk->stride,
        obase + (ptrdiff_t) r * ostride, n, fp, pk->s32_to_f32, sum, apply,
        pk->ssums, pk->ssq, pk->ssq_lo);
  if (sum)
    for (c = 0; c < fp->period; c++) {
      /* every position read once and zeroed for the next pass */
      const int ch = pk->lane_chan[c];
      int64_t total = 0;
      unsigned __int128 total_sq = 0;
      for (pos = c; pos < m; pos += fp->period) {
        total += pk->ssums[pos];
        total_sq += ((unsigned __int128) pk->ssq[pos] << 32)
            + pk->ssq_lo[pos];
        pk->ssums[pos] = 0;
        pk->ssq[pos] = pk->ssq_lo[pos] = 0;
      }
      if (ch < 0)
        continue;
      acc[ch].n += (uint64_t) pk->width * pk->height;
      acc[ch].sum += total;
      acc[ch].sumsq += total_sq;
    }
}

/* The S32 packed pass: the apply's parameters (made only when the affine
 * values change, but for planes), the rows of the layout or of each plane
 * in turn.  Declines (the per-channel path runs) where a statistic
 * clamps, where the output is not the input's layout in place or F32 of
 * the same interleaving with every sample a channel's, and where a
 * channel's map is one the kernel's steps do not reproduce
 * (s32_map_fits()). */
static int
s32_pass (r128norm_packed *pk, unsigned channels,
    const r128norm_channel *in, const r128norm_channel *out, int sum,
    int apply, const r128norm_clip *clip, r128norm_acc *acc,
    const r128norm_affine *affine, int apply_params_current)
{
  const int to_f32 = pk->s32_to_f32;
  const uint8_t *base = (const uint8_t *) in[0].data + pk->base;
  unsigned c;

  if (sum) {
    for (c = 0; c < channels; c++)
      if (clip[c].active)
        return 0;
    /* the low halves of the squares, below 2^32 each, summed per position
     * in 64 bits: at most R128NORM_S32_BLOCK samples a channel */
    if ((uint64_t) pk->width * pk->height > (uint64_t) R128NORM_S32_BLOCK)
      return 0;
  }
  if (apply && out != in) {
    if (!to_f32 || !out_layout_fits (pk, channels, pk->fparams.period, out,
            4))
      return 0;
  } else if (apply && to_f32) {
    return 0;
  }
  if (pk->planes) {
    /* every plane's map checked before any plane is written */
    for (c = 0; c < channels && apply; c++)
      if (!s32_map_fits (&affine[c], to_f32))
        return 0;
    for (c = 0; c < channels; c++) {
      if (apply)
        s32_apply_params (pk, affine + c);
      s32_rows (pk, in[c].data, apply ? out[c].data : (uint8_t *)
          in[c].data, apply ? out[c].stride : pk->stride, sum, apply,
          acc + c);
    }
    return 1;
  }
  if (apply && !apply_params_current)
    pk->s32_map_ok = s32_apply_params (pk, affine);
  if (apply && !pk->s32_map_ok)
    return 0;
  s32_rows (pk, base, apply ? (uint8_t *) out[0].data + pk->base
      : (uint8_t *) base, apply ? out[0].stride : pk->stride, sum, apply,
      acc);
  return 1;
}

/* Whether a pass that sums (@sum) and applies (@apply) takes the packed
 * kernels in the layout learned: always, but for F32 and F64 rows of one
 * lane (mono, planes), whose statistics alone cost less in the
 * contiguous kernels, and F32 planes' apply alone too; S16's cost more
 * there.  10 ms of stereo, library, ns a call (docs/performance.md):
 * planar F32 frame mode 366 against 429, frozen 186 against 205; planar
 * F64 frame 532-545 against 631-640, frozen 358-361 (packed) against
 * 484-508; mono F64 frame 315-320 against 365-396; planar S16 frame 477
 * (packed) against 511, frozen 238 against 248. */
R128NORM_HOT static int
packed_takes (const r128norm_packed *pk, int sum, int apply)
{
  const int float_lane = pk->fn_float && pk->fparams.period == 1;

  return pk->usable && !(float_lane && sum && !apply)
      && !(float_lane && pk->planes && pk->size == 4 && apply && !sum);
}

/* The steady F32 stream's pass (r128norm_process()'s short path): in
 * place, in the layout learned before, straight to float_pass() without
 * the general pass's dispatch. */
R128NORM_HOT int
r128norm_packed_can_stream (const r128norm_packed *pk, unsigned channels,
    const r128norm_channel *in, int sum)
{
  return ((pk->fn_float && !pk->half) || (pk->fn_s16 && !pk->sparams.to_f32))
      && packed_takes (pk, sum, 1) && pk->first == 0
      && same_layout (pk, channels, in);
}

/* Whether the apply's parameters were made from this generation of the
 * affine values already, and, once a pass has applied, that they now are. */
R128NORM_HOT static int
apply_params_match (const r128norm_packed *pk, unsigned affine_gen)
{
  return pk->apply_params_valid && pk->apply_params_gen == affine_gen;
}

R128NORM_HOT static void
apply_params_set (r128norm_packed *pk, unsigned affine_gen)
{
  pk->apply_params_valid = 1;
  pk->apply_params_gen = affine_gen;
}

R128NORM_HOT void
r128norm_packed_stream (r128norm_packed *pk, unsigned channels,
    const r128norm_channel *in, int sum, const r128norm_clip *clip,
    r128norm_acc *acc, const r128norm_affine *affine, unsigned affine_gen,
    uint64_t *non_finite)
{
  float_pass (pk, channels, in, in, sum, 1, clip, acc, affine,
      apply_params_match (pk, affine_gen), non_finite);
  apply_params_set (pk, affine_gen);
}

/* The same for S16 rows in place; outside the hot section, as its caller
 * steady_running_s16(), away from the F32 stream's code. */
void
r128norm_packed_stream_s16 (r128norm_packed *pk, unsigned channels,
    const r128norm_channel *in, int sum, const r128norm_clip *clip,
    r128norm_acc *acc, const r128norm_affine *affine, unsigned affine_gen)
{
  s16_pass (pk, channels, in, in, sum, 1, clip, acc, affine,
      apply_params_match (pk, affine_gen));
  apply_params_set (pk, affine_gen);
}

/* Whether @out is F32 (F16) pixels of the channels alone, in some order,
 * that the compact kernel writes (RGBx, BGRA, BGR to an hwc tensor: 2 to
 * 4 bytes a pixel in); if so, its parameters for @affine and in *obase
 * where the output's rows start.  F16 needs each channel's table to be
 * the single precision map's but for one or two values
 * (r128norm_affine.lut_single). */
static int
compact_params (r128norm_packed *pk, unsigned channels,
    const r128norm_channel *out, const r128norm_affine *affine,
    uint8_t **obase)
{
  r128norm_packed_compact *cp = &pk->compact;
  const unsigned period = pk->params.period;
  const ptrdiff_t osz = pk->compact_half ? 2 : 4;
  int chan_at[4] = { -1, -1, -1, -1 };
  ptrdiff_t first = 0;
  unsigned c, f, k;

  if (!pk->fn_compact || period > 4 || channels > period)
    return 0;
  for (c = 0; c < channels; c++) {
    ptrdiff_t d = (const char *) out[c].data - (const char *) out[0].data;
    if (out[c].step != osz * (ptrdiff_t) channels
        || out[c].stride != out[0].stride || d % osz != 0
        || (pk->compact_half && !(affine[c].has_lut
                && affine[c].lut_single)))
      return 0;
    first = d < first ? d : first;
  }
  for (c = 0; c < channels; c++) {
    ptrdiff_t k = ((const char *) out[c].data - (const char *) out[0].data
        - first) / osz;
    if (k >= (ptrdiff_t) channels || chan_at[k] >= 0)
      return 0;                 /* not one float of the pixel each */
    chan_at[k] = (int) c;
  }
  cp->period = period;
  cp->channels = channels;
  cp->fixes = 0;
  memset (cp->index, 0, sizeof cp->index);
  memset (cp->from_lo, 0x80, sizeof cp->from_lo);
  memset (cp->from_hi, 0x80, sizeof cp->from_hi);
  for (f = 0; f < 16 * channels; f++) {
    const int ch = chan_at[f % channels];
    const r128norm_affine *p = &affine[ch];
    const unsigned byte = period * (f / channels)
        + (unsigned) (pk->offset[ch] - pk->base);
    cp->index[f / 16][4 * (f % 16)] = (uint8_t) byte;
    if (f < 8 * channels)
      /* both halves of a vector shuffle the same 16 bytes */
      (byte < 16 ? cp->from_lo : cp->from_hi)[f / 8][4 * (f % 8)] =
          (uint8_t) (byte % 16);
    cp->c[f] = p->cf;
    cp->a[f] = p->af;
    cp->b[f] = p->bf;
    cp->lo[f] = p->lof;
    cp->hi[f] = p->hif;
    for (k = 0; k < 2; k++) {
      cp->fix[k][f] = -1;
      cp->fixed[k][f] = 0.0f;
      if (pk->compact_half && k < p->lut_fixes) {
        uint16_t h;
        memcpy (&h, p->lut + 2 * p->lut_fix[k], 2);
        cp->fix[k][f] = p->lut_fix[k];
        cp->fixed[k][f] = r128norm_half_to_float (h);
        cp->fixes = 1;
      }
    }
  }
  *obase = (uint8_t *) out[0].data + first;
  return 1;
}

static int packed_pass (r128norm_packed *pk, unsigned channels,
    const r128norm_channel *in, const r128norm_channel *out, int sum,
    int apply, const r128norm_clip *clip, r128norm_acc *acc,
    const r128norm_affine *affine, int apply_params_current,
    uint64_t *non_finite);

R128NORM_HOT int
r128norm_packed_pass (r128norm_packed *pk, unsigned channels,
    const r128norm_channel *in, const r128norm_channel *out, int sum,
    int apply, const r128norm_clip *clip, r128norm_acc *acc,
    const r128norm_affine *affine, unsigned affine_gen,
    uint64_t *non_finite, unsigned *first)
{
  unsigned f, covered;
  int done;

  if ((!pk->fn && !pk->fn_float && !pk->fn_s16 && !pk->fn_s32)
      || channels < mono_channels (pk)
      || channels > R128NORM_PACKED_MAX_LANES)
    return 0;
  if (!same_layout (pk, channels, in))
    learn_layout (pk, channels, in);
  f = pk->first;
  covered = channels - f;
  if (covered == 0 || covered > channels)
    return 0;                   /* never: learn_layout() leaves some */
  done = packed_pass (pk, covered, in + f, out + f, sum, apply,
      clip + f, acc + f, affine + f, apply_params_match (pk, affine_gen),
      non_finite ? non_finite + f : NULL);
  if (done && apply)
    apply_params_set (pk, affine_gen);
  *first = f;
  return done;
}

/* Each channel's map of integers (r128norm_u8_fit) from its table, where
 * the library made them (u8 -> u8), all at the largest shift every
 * channel's gain allows: @wide for x86's kernels, which multiply in 32
 * bits, else SSE2's 16-bit operands, with which bytes of no channel kept
 * as x 2^s >> s need s <= 14.  Returns 0 where a channel has none. */
static int
fit_channels (const r128norm_packed *pk, unsigned channels,
    const r128norm_affine *affine, int wide, r128norm_u8_fixed *fit,
    int *shift)
{
  int common = 22;
  unsigned c, j;

  if (!wide)
    for (j = 0; j < pk->params.period; j++)
      if (pk->lane_chan[j] < 0)
        common = 14;
  for (c = 0; c < channels; c++) {
    const int s = r128norm_u8_fit_shift (affine[c].af, wide);
    if (!affine[c].has_lut)
      return 0;
    common = s < common ? s : common;
  }
  if (common == 0)
    return 0;                   /* a gain past every shift */
  for (c = 0; c < channels; c++) {
    /* the map the kernels derived with the table (lut_derive), where it
     * has the row's shift, else one fitted here */
    const r128norm_u8_fixed *derived = &affine[c].lut_fixed;
    if (derived->shift == common && derived->wide == wide)
      fit[c] = *derived;
    else if (!r128norm_u8_fit (affine[c].lut, affine[c].af, common, wide,
            &fit[c]))
      return 0;
  }
  *shift = common;
  return 1;
}

/* The portable kernel's maps for the tables of table_params, by byte of
 * a unit, the bytes of no channel kept; returns 0 where there are none
 * (fixed_unit 0), and the tables apply. */
static int
fixed_params (r128norm_packed *pk, unsigned channels,
    const r128norm_affine *affine)
{
  r128norm_packed_params *pp = &pk->params;
  r128norm_u8_fixed fit[R128NORM_PACKED_TABLES], maps[48];
  const unsigned unit = pp->period == 3 ? 48 : 16;
  int shift;
  unsigned j;

  if (pp->n_tables == 0 || !fit_channels (pk, channels, affine, 0, fit,
          &shift))
    return 0;
  for (j = 0; j < unit; j++) {
    const int ch = pk->lane_chan[j % pp->period];
    maps[j].fa = ch < 0 ? 1 << shift : fit[ch].fa;
    maps[j].fb = ch < 0 ? 0 : fit[ch].fb;
    maps[j].shift = shift;
  }
  if (r128norm_u8_fixed_prepare (pp->fixed_vecs, maps, unit))
    pp->fixed_unit = unit;
  return pp->fixed_unit != 0;
}

/* The x86 fixed point kernel's parameters (fa, fb, shift) from the same
 * maps, so that it gives C's bytes; returns 0 where there are none (or
 * the kernel applies by the tables), and r128norm_packed_fixed()'s
 * apply, within 1 LSB. */
static int
fitted_fixed_params (r128norm_packed *pk, unsigned channels,
    const r128norm_affine *affine)
{
  r128norm_packed_params *pp = &pk->params;
  r128norm_u8_fixed fit[R128NORM_PACKED_MAX_LANES];
  int shift;
  unsigned h, j;

  /* not where the kernel applies by the tables (table_params) */
  if (channels > R128NORM_PACKED_MAX_LANES
      || (pk->looks_up && pp->n_tables > 0)
      || !fit_channels (pk, channels, affine, 1, fit, &shift))
    return 0;
  for (h = 0; h < pp->nph; h++)
    for (j = 0; j < 8; j++) {
      const int ch = pk->lane_chan[(8 * h + j) % pp->period];
      pp->fa[h][j] = ch < 0 ? 1 << shift : fit[ch].fa;
      pp->fb[h][j] = ch < 0 ? 0 : fit[ch].fb;
    }
  pp->shift = shift;
  return 1;
}

/* The table apply's parameters, where the period divides 16 or is 3 and
 * each of at most R128NORM_PACKED_TABLES channels has its C output table
 * (the library makes them when the kernels ask for them: AVX-512 VBMI);
 * else none, and the kernel uses the map.  u8 rows only, not the F32
 * stream's code: outside the hot section. */
static void
table_params (r128norm_packed *pk, unsigned channels,
    const r128norm_affine *affine)
{
  r128norm_packed_params *pp = &pk->params;
  unsigned c;

  pp->n_tables = 0;
  pp->fixed_unit = 0;
  if ((16 % pp->period != 0 && pp->period != 3)
      || channels > R128NORM_PACKED_TABLES)
    return;
  for (c = 0; c < channels; c++)
    if (!affine[c].has_lut)
      return;
  /* the bytes each table applies to come with the layout (learn_layout) */
  for (c = 0; c < channels; c++)
    memcpy (pp->table[c], affine[c].lut, 256);
  pp->n_tables = channels;
}

R128NORM_HOT static int
packed_pass (r128norm_packed *pk, unsigned channels,
    const r128norm_channel *in, const r128norm_channel *out, int sum,
    int apply, const r128norm_clip *clip, r128norm_acc *acc,
    const r128norm_affine *affine, int apply_params_current,
    uint64_t *non_finite)
{
  r128norm_packed_params *pp = &pk->params;
  const int in_place = out == in;
  uint64_t sums[R128NORM_PACKED_MAX_PERIOD], sq[R128NORM_PACKED_MAX_PERIOD];
  uint8_t *base, *cbase = NULL;  /* set: the compact kernel's output */
  unsigned c, h, j, lane;
  size_t r;

  if (!packed_takes (pk, sum, apply))
    return 0;
  if (pk->fn_float)
    return float_pass (pk, channels, in, out, sum, apply, clip, acc, affine,
        apply_params_current, non_finite);
  if (pk->fn_s16)
    return s16_pass (pk, channels, in, out, sum, apply, clip, acc, affine,
        apply_params_current);
  if (pk->fn_s32)
    return s32_pass (pk, channels, in, out, sum, apply, clip, acc, affine,
        apply_params_current);
  if (channels > R128NORM_PACKED_MAX_PERIOD
      || (apply && !in_place && !pk->fn_f32 && !pk->fn_compact))
    return 0;
  if (apply && !in_place) {
    /* to F32 with the same interleaving, no byte of the pixel untouched
     * (the rows of floats are then written whole); else to F32 (F16)
     * pixels of the channels alone (compact_params()) */
    const int same = pk->fn_f32 && out_layout_fits (pk, channels,
        pk->params.period, out, 4);
    if (!same && !compact_params (pk, channels, out, affine, &cbase))
      return 0;
  }
  if (sum)
    for (c = 0; c < channels; c++)
      if (clip[c].active)
        return 0;

  if (apply && !apply_params_current) {
    for (h = 0; h < pp->nph; h++)
      for (j = 0; j < 8; j++) {
        int ch;
        lane = (8 * h + j) % pp->period;
        ch = pk->lane_chan[lane];
        pp->c[h][j] = ch < 0 ? 0.0f : affine[ch].cf;
        pp->a[h][j] = ch < 0 ? 1.0f : affine[ch].af;
        pp->b[h][j] = ch < 0 ? 0.0f : affine[ch].bf;
      }
    table_params (pk, channels, affine);
    /* in place (u8 out) the tables' maps of integers; else, or where a
     * table has none, the map from the parameters (u8 -> F16's tables
     * hold halves, no u8 bytes to fit) */
    if (!in_place || !(pk->portable ? fixed_params (pk, channels, affine)
            : fitted_fixed_params (pk, channels, affine)))
      r128norm_packed_fixed (pp);
  }
  /* the portable kernel applies by the tables alone */
  if (apply && pk->portable && pp->n_tables == 0)
    return 0;
  memset (sums, 0, sizeof sums);
  memset (sq, 0, sizeof sq);
  base = (uint8_t *) in[0].data + pk->base;
  if (cbase) {
    /* the sums of a row (the packed kernel's, apply off) while it is in
     * the cache for the apply */
    for (r = 0; r < pk->height; r++) {
      uint8_t *row = base + (ptrdiff_t) r * pk->stride;
      if (sum)
        pk->fn (row, pk->row_bytes, pp, 1, 0, sums, sq);
      pk->fn_compact (row, pk->row_bytes, cbase + (ptrdiff_t) r
          * out[0].stride, pk->width, &pk->compact);
    }
  } else if (apply && !in_place) {
    uint8_t *obase = (uint8_t *) out[0].data + 4 * pk->base;
    for (h = 0; h < pp->nph; h++)
      for (j = 0; j < 8; j++) {
        int ch = pk->lane_chan[(8 * h + j) % pp->period];
        pp->lo[h][j] = affine[ch].lof;
        pp->hi[h][j] = affine[ch].hif;
      }
    for (r = 0; r < pk->height; r++)
      pk->fn_f32 (base + (ptrdiff_t) r * pk->stride,
          obase + (ptrdiff_t) r * out[0].stride, pk->row_bytes,
          pp, sum, sums, sq);
  } else {
    for (r = 0; r < pk->height; r++)
      pk->fn (base + (ptrdiff_t) r * pk->stride, pk->row_bytes, pp, sum,
          apply, sums, sq);
  }
  if (sum)
    for (lane = 0; lane < pp->period; lane++) {
      int ch = pk->lane_chan[lane];
      if (ch < 0)
        continue;
      acc[ch].n += (uint64_t) pk->width * pk->height;
      acc[ch].sum += (int64_t) sums[lane];
      acc[ch].sumsq += sq[lane];
    }
  return 1;
}
