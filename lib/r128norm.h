/* r128norm — streaming normalization with running statistics.
 *
 *   y = gamma[c] * (x - mean) / sqrt(var + epsilon) + beta[c]
 *
 * A small C library with no dependencies: create a state for a channel
 * count, choose the sample formats and the configuration once, then hand it
 * buffers.  Each call describes where every channel's samples are (a base
 * pointer, the step between samples, the stride between rows, width and
 * height), so interleaved and planar audio, packed and planar video with
 * padding and chroma subsampling, and tensors all use the same call.
 * Samples that no channel describes (alpha, padding) are never changed:
 * the C and ORC kernels never touch them; the AVX2 kernels may read them,
 * and in place write their bytes back unchanged (docs/library.md).
 *
 * All statistics, gamma, beta and running values are in normalized units:
 * float samples as they are, unsigned integers v / max (u8 v/255, u16
 * v/65535), signed integers v / 2^(bits-1), and offset-binary u8 audio
 * (v - 128) / 128.  See docs/library.md.
 *
 * The state is not thread safe: one thread at a time per state.
 */
#ifndef R128NORM_H
#define R128NORM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define R128NORM_VERSION_MAJOR 0
#define R128NORM_VERSION_MINOR 1
#define R128NORM_VERSION_PATCH 0

/** Most channels one state can hold: a tensor's features (an embedding of
 *  up to 16384 values), far beyond audio's 64 and video's 3.  Memory is
 *  about 1.5 KB a channel (2.5 KB for u8 in to F32 out). */
#define R128NORM_MAX_CHANNELS 16384
/** Bins of the diagnostic histogram, equal width over [-4, 4] sigma. */
#define R128NORM_HISTOGRAM_BINS 16

/** Error codes; every function that can fail returns one. */
typedef enum {
  R128NORM_SUCCESS = 0,
  R128NORM_ERROR_NOMEM,            /**< memory allocation failed */
  R128NORM_ERROR_INVALID_ARGUMENT, /**< NULL pointer or value out of range */
  R128NORM_ERROR_INVALID_CHANNELS, /**< channel count 0, too large, or a mismatch */
  R128NORM_ERROR_INVALID_GROUPS,   /**< groups does not divide the channel count */
  R128NORM_ERROR_INVALID_FORMAT,   /**< unsupported input/output format pair */
  R128NORM_ERROR_INVALID_LAYOUT,   /**< a channel description that cannot be used */
  R128NORM_ERROR_NO_STATISTICS,    /**< no running statistics exist yet */
  R128NORM_ERROR_NO_CHANGE         /**< the call changed nothing (not a failure) */
} r128norm_error;

/** Sample formats, each with its mapping to normalized units. */
typedef enum {
  R128NORM_FORMAT_U8,          /**< unsigned 8-bit, v / 255 (video, tensors) */
  R128NORM_FORMAT_U8_CENTERED, /**< offset-binary 8-bit, (v - 128) / 128 (audio) */
  R128NORM_FORMAT_S16,         /**< signed 16-bit, v / 32768 */
  R128NORM_FORMAT_U16,         /**< unsigned 16-bit, v / 65535 */
  R128NORM_FORMAT_S32,         /**< signed 32-bit, v / 2147483648 */
  R128NORM_FORMAT_F16,         /**< IEEE half, as is */
  R128NORM_FORMAT_F32,         /**< IEEE single, as is */
  R128NORM_FORMAT_F64,         /**< IEEE double, as is */
  R128NORM_N_FORMATS
} r128norm_format;

/** Which samples share one statistic. */
typedef enum {
  R128NORM_VARIANT_PER_CHANNEL, /**< each channel its own */
  R128NORM_VARIANT_LAYER,       /**< one over all channels, each sample weighted once */
  R128NORM_VARIANT_GROUP,       /**< `groups` consecutive groups of equal size */
  R128NORM_VARIANT_AUTO         /**< per-channel if every channel has min_samples, else layer */
} r128norm_variant;

/** Where mean and variance come from. */
typedef enum {
  R128NORM_STATS_FRAME,   /**< this buffer's own, then update the running values */
  R128NORM_STATS_RUNNING, /**< running values before this buffer, then fold it in */
  R128NORM_STATS_FROZEN   /**< running values, never updated (seeded once if none) */
} r128norm_stats_mode;

/** Kernel implementations; AUTO picks the fastest available. */
typedef enum {
  R128NORM_KERNELS_AUTO,
  R128NORM_KERNELS_C,   /**< portable C, always available */
  R128NORM_KERNELS_ORC, /**< ORC where it has a kernel, C for the rest */
  R128NORM_KERNELS_SIMD /**< hand-vectorized x86 (AVX2, checked at run time)
                             where it has a kernel, else ORC, else C; AUTO
                             picks the same */
} r128norm_kernels;

/** Settings; r128norm_config_init() fills in the defaults given here. */
typedef struct r128norm_config {
  r128norm_variant variant;   /**< PER_CHANNEL */
  unsigned groups;            /**< 1; must divide the channel count for GROUP */
  r128norm_stats_mode stats;  /**< RUNNING */
  double momentum;            /**< 0.95: weight of the old running value, [0, 1] */
  double time_constant;       /**< 0 (off): seconds; > 0: momentum = exp(-duration / time_constant) */
  double epsilon;             /**< 1e-5: added to the variance, [0, 1] */
  double strength;            /**< 1: output = x + strength * (y - x), [0, 1] */
  double warmup;              /**< 0: seconds over which strength ramps up after reset */
  double clip_sigma;          /**< 0 (off): clamp samples to running mean +- k sigma in the statistics */
  unsigned min_samples;       /**< 16: AUTO's per-channel threshold */
  const double *gamma;        /**< NULL: all 1; else n_gamma values */
  unsigned n_gamma;           /**< 0, 1 (all channels) or the channel count */
  const double *beta;         /**< NULL: all 0; else n_beta values */
  unsigned n_beta;            /**< 0, 1 or the channel count */
  const double *max_gain;     /**< NULL: unlimited; else n_max_gain values: the
                                   largest |gamma / sqrt(var + eps)| a channel may
                                   use, 0 = unlimited (keeps chroma from being
                                   inflated) */
  unsigned n_max_gain;        /**< 0, 1 or the channel count */
  int diagnostics;            /**< 0: if set, each call also fills the channel reports */
} r128norm_config;

/** Where one channel's samples are: sample (row r, column i) is at
 *  (char *) data + r * stride + i * step.  Steps and strides are in bytes
 *  and may be negative. */
typedef struct r128norm_channel {
  void *data;       /**< first sample */
  ptrdiff_t step;   /**< bytes from one sample to the next in a row */
  ptrdiff_t stride; /**< bytes from one row to the next */
  size_t width;     /**< samples per row */
  size_t height;    /**< rows */
} r128norm_channel;

/** What one call did to one channel.  `samples`, `non_finite`,
 *  `norm_mean` and `norm_var` are always filled; `mean` and `var` whenever
 *  the buffer's statistics were gathered (every mode but frozen with
 *  running values, unless diagnostics are on; else 0 and 1); `saturated`,
 *  `out_mean`, `out_var` and `histogram` only when config.diagnostics is
 *  set.  Values in normalized units. */
typedef struct r128norm_report {
  uint64_t samples;    /**< finite input samples */
  uint64_t non_finite; /**< NaN/Inf input samples (output as mean + strength * (beta - mean): beta at strength 1) */
  uint64_t saturated;  /**< integer output samples clamped to the format's range */
  double mean, var;    /**< input statistics of this channel in this buffer (biased) */
  double norm_mean, norm_var; /**< the statistics the buffer was normalized with */
  double out_mean, out_var;   /**< statistics of the finite output samples */
  uint64_t histogram[R128NORM_HISTOGRAM_BINS]; /**< z = (x - norm_mean) / sqrt(norm_var + eps) in 16 bins over [-4, 4], outer bins open */
} r128norm_report;

typedef struct r128norm_state r128norm_state;

/** Library version. */
void r128norm_get_version(int *major, int *minor, int *patch);

/** A static English message for an error code. */
const char *r128norm_strerror(int error);

/** Fill @cfg with the defaults. */
void r128norm_config_init(r128norm_config *cfg);

/** Create a state for @channels statistics channels with the default
 *  configuration and F32 in and out.  Returns NULL on failure and sets
 *  *@error when @error is not NULL. */
r128norm_state *r128norm_create(unsigned channels, int *error);

/** Destroy the state and set *@st to NULL. */
void r128norm_destroy(r128norm_state **st);

/** Number of channels the state was created for. */
unsigned r128norm_get_channels(const r128norm_state *st);

/** Set input and output sample formats.  Output is the input format, F32 or
 *  F16.  Chooses the kernels; keeps the running statistics.  May allocate
 *  (u8 to F32 tables without AVX2): R128NORM_ERROR_NOMEM leaves the state
 *  as it was. */
int r128norm_set_formats(r128norm_state *st, r128norm_format in, r128norm_format out);

/** Choose the kernel implementation (for tests and benchmarks). */
int r128norm_set_kernels(r128norm_state *st, r128norm_kernels kernels);

/** Most bands r128norm_set_parallel() accepts. */
#define R128NORM_MAX_BANDS 64

/** Runs task(task_data, i) for every i in [0, n), in any order and possibly
 *  on several threads at once, and returns when all have finished. */
typedef void (*r128norm_parallel_fn) (void *user_data, unsigned n,
    void (*task) (void *task_data, unsigned i), void *task_data);

/** Split each buffer's rows into @bands bands (1: off, the default) and run
 *  the bands through @run (NULL: one after the other on the calling
 *  thread).  The bands, not the threads, fix the arithmetic: the same
 *  @bands gives bit-identical output whatever @run does, one thread or
 *  many.  Buffers with fewer than 2 * @bands rows, and every buffer while
 *  diagnostics are on, are processed whole.  Allocates once, here. */
int r128norm_set_parallel (r128norm_state *st, unsigned bands,
                           r128norm_parallel_fn run, void *user_data);

/** The implementation the last r128norm_set_formats() chose, as a short name
 *  ("c", "orc", "avx2", or "avx512" when an AVX-512 kernel is among the AVX2
 *  ones) for logs. */
const char *r128norm_get_kernel_name(const r128norm_state *st);

/** Validate and apply a configuration (gamma and beta are copied).  On error
 *  nothing changes.  Returns R128NORM_ERROR_NO_CHANGE when it is identical. */
int r128norm_set_config(r128norm_state *st, const r128norm_config *cfg);

/** Normalize one buffer.  @in holds one description per channel; @out is
 *  NULL to work in place (formats must then match), else one description per
 *  channel with the same width and height.  @duration in seconds drives
 *  time_constant and warmup (0 when unknown). */
int r128norm_process(r128norm_state *st, const r128norm_channel *in,
                     const r128norm_channel *out, double duration);

/** Running mean and variance, @n = channel count values each.  Returns
 *  R128NORM_ERROR_NO_STATISTICS before any exist (a channel that never saw a
 *  finite sample reads mean 0, variance 1). */
int r128norm_get_running(const r128norm_state *st, double *mean, double *var, unsigned n);

/** Seed the running statistics (variance must be >= 0, values finite).
 *  Either pointer may be NULL to keep that half (or 0 / 1 when unseeded). */
int r128norm_set_running(r128norm_state *st, const double *mean, const double *var, unsigned n);

/** Whether running statistics exist. */
int r128norm_has_running(const r128norm_state *st);

/** Forget the running statistics and restart the warmup. */
void r128norm_reset(r128norm_state *st);

/** Report of the last r128norm_process() for @channel, or NULL. */
const r128norm_report *r128norm_get_report(const r128norm_state *st, unsigned channel);

/** Bytes per sample of a format, 0 if unknown. */
size_t r128norm_format_size(r128norm_format format);

#ifdef __cplusplus
}
#endif

#endif /* R128NORM_H */
