/* r128norm-bench: time per buffer of r128norm_process() for a few typical
 * streams, as a ratio to memcpy of the same bytes measured in the same run.
 *
 * Like a live stream, each measurement cycles through a pool of distinct
 * buffers larger than the last-level cache (at least 8 buffers and 64 MiB),
 * so every buffer comes from memory, for memcpy and the kernels alike.  One
 * repetition times, for every configuration in turn, one cycle of memcpy
 * and then one cycle of the configuration; the table shows the median
 * time per buffer and the median of the per-pair ratios.
 *
 * Each stream has the targets of issue #6 (ratio to memcpy per mode); the
 * row of the kernels AUTO picks says PASS or FAIL against them.  With
 * --cached the pool is 8 buffers whatever their size, so small buffers
 * (10 ms of audio) stay in the cache: the per-call cost without memory
 * (the targets are not judged then).
 *
 *   r128norm-bench [--quick] [--cached]
 *                  [--workload rgba|i420|nv12|gray16|tensor|rgb2chw|bgrx2hwc|
 *                   rgb2chw16|bgrx2hwc16|tensor16|hwc|hwc16|audio|audio64|
 *                   audio32]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "r128norm.h"

#define POOL_MIN_BYTES ((size_t) 64 << 20)
#define POOL_MIN_BUFFERS 8
#define MAX_CHANNELS 3
#define REPS 15
#define QUICK_REPS 5

typedef struct {
  const char *name, *what;
  r128norm_format format;
  unsigned channels;
  size_t bytes;       /* per buffer */
  double duration;    /* seconds per buffer */
  double gamma, beta; /* the format's defaults from SPEC section 3 */
  void (*describe) (uint8_t *buf, r128norm_channel *ch);
  /* out of place: the output format, bytes and layout (NULL: in place);
   * memcpy then copies the output's bytes */
  r128norm_format out_format;
  size_t out_bytes;
  void (*describe_out) (uint8_t *buf, r128norm_channel *ch);
  double target[3];   /* issue #6: frozen, running, frame; 0: none */
} workload;

static r128norm_channel
plane (void *data, ptrdiff_t step, ptrdiff_t stride, size_t width,
    size_t height)
{
  r128norm_channel ch = { data, step, stride, width, height };
  return ch;
}

/* 1920x1080 packed u8 pixels of @bytes bytes, R, G, B at bytes 0, 1, 2
 * (@bgr: 2, 1, 0); any other byte (alpha, padding) untouched. */
static void
packed_pixels (uint8_t *buf, r128norm_channel *ch, int bytes, int bgr)
{
  for (int c = 0; c < 3; c++)
    ch[c] = plane (buf + (bgr ? 2 - c : c), bytes, 1920 * bytes, 1920, 1080);
}

/* 1920x1080 RGBA: R, G, B are statistics channels, alpha is untouched. */
static void
describe_rgba (uint8_t *buf, r128norm_channel *ch)
{
  packed_pixels (buf, ch, 4, 0);
}

/* 1920x1080 I420: Y, then U and V at half resolution. */
static void
describe_i420 (uint8_t *buf, r128norm_channel *ch)
{
  ch[0] = plane (buf, 1, 1920, 1920, 1080);
  ch[1] = plane (buf + 1920 * 1080, 1, 960, 960, 540);
  ch[2] = plane (buf + 1920 * 1080 + 960 * 540, 1, 960, 960, 540);
}

/* 1920x1080 NV12: Y, then U and V interleaved at half resolution (what
 * most hardware decoders and cameras give). */
static void
describe_nv12 (uint8_t *buf, r128norm_channel *ch)
{
  ch[0] = plane (buf, 1, 1920, 1920, 1080);
  ch[1] = plane (buf + 1920 * 1080, 2, 1920, 960, 540);
  ch[2] = plane (buf + 1920 * 1080 + 1, 2, 1920, 960, 540);
}

/* 640x512 GRAY16, a thermal camera. */
static void
describe_gray16 (uint8_t *buf, r128norm_channel *ch)
{
  ch[0] = plane (buf, 2, 640 * 2, 640, 512);
}

/* A 3x1080x1920 tensor of samples of @size bytes: chw (a plane per
 * channel) or hwc (R, G, B interleaved). */
static void
chw_tensor (uint8_t *buf, r128norm_channel *ch, int size)
{
  for (int c = 0; c < 3; c++)
    ch[c] = plane (buf + (size_t) c * 1920 * 1080 * size, size, 1920 * size,
        1920, 1080);
}

static void
hwc_tensor (uint8_t *buf, r128norm_channel *ch, int size)
{
  for (int c = 0; c < 3; c++)
    ch[c] = plane (buf + size * c, 3 * size, 1920 * 3 * size, 1920, 1080);
}

static void
describe_tensor (uint8_t *buf, r128norm_channel *ch)
{
  chw_tensor (buf, ch, 4);
}

static void
describe_hwc (uint8_t *buf, r128norm_channel *ch)
{
  hwc_tensor (buf, ch, 4);
}

static void
describe_tensor16 (uint8_t *buf, r128norm_channel *ch)
{
  chw_tensor (buf, ch, 2);
}

static void
describe_hwc16 (uint8_t *buf, r128norm_channel *ch)
{
  hwc_tensor (buf, ch, 2);
}

/* 1920x1080 RGB u8 (in, for a chw tensor out). */
static void
describe_rgb (uint8_t *buf, r128norm_channel *ch)
{
  packed_pixels (buf, ch, 3, 0);
}

/* 1920x1080 BGRx: R, G, B at bytes 2, 1, 0 of each pixel, x untouched. */
static void
describe_bgrx (uint8_t *buf, r128norm_channel *ch)
{
  packed_pixels (buf, ch, 4, 1);
}

/* 10 ms of 48 kHz stereo F32, interleaved: one row of 480 frames. */
static void
describe_audio (uint8_t *buf, r128norm_channel *ch)
{
  for (int c = 0; c < 2; c++)
    ch[c] = plane (buf + 4 * c, 8, 480 * 8, 480, 1);
}

/* The same in F64 and in S32 (8 and 4 bytes a sample). */
static void
describe_audio64 (uint8_t *buf, r128norm_channel *ch)
{
  for (int c = 0; c < 2; c++)
    ch[c] = plane (buf + 8 * c, 16, 480 * 16, 480, 1);
}

static const workload workloads[] = {
  { "rgba", "1920x1080 RGBA u8 in place, 3 channels step 4, alpha untouched",
    R128NORM_FORMAT_U8, 3, 1920 * 1080 * 4, 1 / 30.0, 0.2, 0.5,
    describe_rgba, R128NORM_FORMAT_U8, 0, NULL, { 1.25, 1.5, 2.0 } },
  { "i420", "1920x1080 I420 u8 in place, Y + U, V at 960x540",
    R128NORM_FORMAT_U8, 3, 1920 * 1080 * 3 / 2, 1 / 30.0, 0.2, 0.5,
    describe_i420, R128NORM_FORMAT_U8, 0, NULL, { 1.25, 1.5, 2.0 } },
  { "nv12", "1920x1080 NV12 u8 in place, Y + UV interleaved at 960x540",
    R128NORM_FORMAT_U8, 3, 1920 * 1080 * 3 / 2, 1 / 30.0, 0.2, 0.5,
    describe_nv12, R128NORM_FORMAT_U8, 0, NULL, { 0, 0, 0 } },
  { "gray16", "640x512 GRAY16 (u16) in place, 1 channel (fits in cache)",
    R128NORM_FORMAT_U16, 1, 640 * 512 * 2, 1 / 30.0, 0.2, 0.5,
    describe_gray16, R128NORM_FORMAT_U16, 0, NULL, { 1.5, 2.0, 2.5 } },
  { "tensor", "3x1080x1920 f32 planar tensor in place",
    R128NORM_FORMAT_F32, 3, 3 * 1920 * 1080 * 4, 1 / 30.0, 1.0, 0.0,
    describe_tensor, R128NORM_FORMAT_F32, 0, NULL, { 1.25, 1.5, 2.0 } },
  { "rgb2chw", "1920x1080 RGB u8 -> 3x1080x1920 f32 chw tensor (memcpy: "
    "output bytes)",
    R128NORM_FORMAT_U8, 3, 1920 * 1080 * 3, 1 / 30.0, 1.0, 0.0,
    describe_rgb, R128NORM_FORMAT_F32, 3 * 1920 * 1080 * 4, describe_tensor,
    { 1.5, 1.75, 2.25 } },
  { "bgrx2hwc", "1920x1080 BGRx u8 -> 1080x1920x3 f32 hwc tensor in R, G, "
    "B order (memcpy: output bytes)",
    R128NORM_FORMAT_U8, 3, 1920 * 1080 * 4, 1 / 30.0, 1.0, 0.0,
    describe_bgrx, R128NORM_FORMAT_F32, 3 * 1920 * 1080 * 4, describe_hwc,
    { 0, 0, 0 } },
  { "rgb2chw16", "1920x1080 RGB u8 -> 3x1080x1920 f16 chw tensor (memcpy: "
    "output bytes)",
    R128NORM_FORMAT_U8, 3, 1920 * 1080 * 3, 1 / 30.0, 1.0, 0.0,
    describe_rgb, R128NORM_FORMAT_F16, 3 * 1920 * 1080 * 2, describe_tensor16,
    { 0, 0, 0 } },
  { "bgrx2hwc16", "1920x1080 BGRx u8 -> 1080x1920x3 f16 hwc tensor in R, G, "
    "B order (memcpy: output bytes)",
    R128NORM_FORMAT_U8, 3, 1920 * 1080 * 4, 1 / 30.0, 1.0, 0.0,
    describe_bgrx, R128NORM_FORMAT_F16, 3 * 1920 * 1080 * 2, describe_hwc16,
    { 0, 0, 0 } },
  { "tensor16", "3x1080x1920 f16 planar tensor in place",
    R128NORM_FORMAT_F16, 3, 3 * 1920 * 1080 * 2, 1 / 30.0, 1.0, 0.0,
    describe_tensor16, R128NORM_FORMAT_F16, 0, NULL, { 0, 0, 0 } },
  { "hwc", "1080x1920x3 f32 hwc tensor in place",
    R128NORM_FORMAT_F32, 3, 3 * 1920 * 1080 * 4, 1 / 30.0, 1.0, 0.0,
    describe_hwc, R128NORM_FORMAT_F32, 0, NULL, { 0, 0, 0 } },
  { "hwc16", "1080x1920x3 f16 hwc tensor in place",
    R128NORM_FORMAT_F16, 3, 3 * 1920 * 1080 * 2, 1 / 30.0, 1.0, 0.0,
    describe_hwc16, R128NORM_FORMAT_F16, 0, NULL, { 0, 0, 0 } },
  { "audio", "48 kHz stereo f32 interleaved in place, 480 frames (10 ms)",
    R128NORM_FORMAT_F32, 2, 480 * 2 * 4, 0.010, 0.1, 0.0,
    describe_audio, R128NORM_FORMAT_F32, 0, NULL, { 0, 0, 0 } },
  { "audio64", "48 kHz stereo f64 interleaved in place, 480 frames (10 ms)",
    R128NORM_FORMAT_F64, 2, 480 * 2 * 8, 0.010, 0.1, 0.0,
    describe_audio64, R128NORM_FORMAT_F64, 0, NULL, { 0, 0, 0 } },
  { "audio32", "48 kHz stereo s32 interleaved in place, 480 frames (10 ms)",
    R128NORM_FORMAT_S32, 2, 480 * 2 * 4, 0.010, 0.1, 0.0,
    describe_audio, R128NORM_FORMAT_S32, 0, NULL, { 0, 0, 0 } },
};
#define N_WORKLOADS (sizeof workloads / sizeof workloads[0])

static const struct {
  const char *name;
  r128norm_stats_mode mode;
} modes[] = {
  { "frozen", R128NORM_STATS_FROZEN },
  { "running", R128NORM_STATS_RUNNING },
  { "frame", R128NORM_STATS_FRAME },
};
#define N_MODES 3

static const struct {
  const char *name;
  r128norm_kernels kernels;
} kernel_sets[] = {
  { "c", R128NORM_KERNELS_C },
  { "orc", R128NORM_KERNELS_ORC },
  { "auto", R128NORM_KERNELS_AUTO },
};
#define N_KERNEL_SETS 3
#define AUTO_SET 2
#define N_CONFIGS (N_KERNEL_SETS * N_MODES)

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (double *v, int n)
{
  qsort (v, n, sizeof *v, compare_doubles);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Plausible content: a dim picture, a warm sensor, quiet audio. */
static void
fill (const workload *w, uint8_t *buf, uint32_t seed)
{
  uint32_t s = seed * 2654435761u + 1;
  size_t i;

  for (i = 0; i < w->bytes / r128norm_format_size (w->format); i++) {
    s = s * 1664525u + 1013904223u;
    if (w->format == R128NORM_FORMAT_U8 && w->out_format != w->format) {
      buf[i] = (s >> 24);       /* a camera frame into a model */
    } else if (w->format == R128NORM_FORMAT_U8) {
      buf[i] = 40 + (s >> 24) % 80;
    } else if (w->format == R128NORM_FORMAT_U16) {
      uint16_t v = 30000 + (s >> 16) % 1000;
      memcpy (buf + 2 * i, &v, 2);
    } else {
      float v = 0.01f + 0.05f * ((float) (s >> 8) / 16777216.0f - 0.5f);
      if (w->format == R128NORM_FORMAT_F16) {
        /* the half below v (v is within half's normal range) */
        uint32_t b;
        uint16_t h;
        memcpy (&b, &v, 4);
        h = (uint16_t) (((b >> 16) & 0x8000) | ((((b >> 23) & 0xff) - 112)
                << 10) | ((b >> 13) & 0x3ff));
        memcpy (buf + 2 * i, &h, 2);
      } else if (w->format == R128NORM_FORMAT_F64) {
        double d = v;
        memcpy (buf + 8 * i, &d, 8);
      } else if (w->format == R128NORM_FORMAT_S32) {
        int32_t x = (int32_t) (v * 2147483648.0f);
        memcpy (buf + 4 * i, &x, 4);
      } else {
        memcpy (buf + 4 * i, &v, 4);
      }
    }
  }
}

static r128norm_state *
make_state (const workload *w, r128norm_stats_mode mode,
    r128norm_kernels kernels)
{
  r128norm_config cfg;
  r128norm_state *st = r128norm_create (w->channels, NULL);
  int err;

  r128norm_config_init (&cfg);
  cfg.stats = mode;
  cfg.gamma = &w->gamma;
  cfg.n_gamma = 1;
  cfg.beta = &w->beta;
  cfg.n_beta = 1;
  if (!st || r128norm_set_formats (st, w->format, w->out_format)
      || r128norm_set_kernels (st, kernels)
      || ((err = r128norm_set_config (st, &cfg))
          && err != R128NORM_ERROR_NO_CHANGE)) {
    fprintf (stderr, "r128norm-bench: cannot set up %s\n", w->name);
    exit (1);
  }
  return st;
}

static size_t
out_bytes (const workload *w)
{
  return w->describe_out ? w->out_bytes : w->bytes;
}

/* Seconds for one cycle through the pool: memcpy of the output's bytes
 * (from the output pool into dst) when st is NULL. */
static double
cycle (const workload *w, r128norm_state *st, uint8_t *pool, uint8_t *opool,
    uint8_t *dst, size_t n)
{
  r128norm_channel ch[MAX_CHANNELS], och[MAX_CHANNELS];
  double t0 = now ();
  size_t i;

  for (i = 0; i < n; i++) {
    uint8_t *buf = pool + i * w->bytes;
    if (!st) {
      memcpy (dst + i * out_bytes (w), w->describe_out
          ? opool + i * out_bytes (w) : buf, out_bytes (w));
      continue;
    }
    w->describe (buf, ch);
    if (w->describe_out)
      w->describe_out (opool + i * out_bytes (w), och);
    if (r128norm_process (st, ch, w->describe_out ? och : NULL,
            w->duration) != R128NORM_SUCCESS) {
      fprintf (stderr, "r128norm-bench: process failed on %s\n", w->name);
      exit (1);
    }
  }
  return now () - t0;
}

static int cached;               /* --cached */

/* Buffers in the pool: enough to exceed the last-level cache (or, with
 * --cached, the fewest that still cycle). */
static size_t
pool_buffers (const workload *w)
{
  size_t big = w->bytes > out_bytes (w) ? w->bytes : out_bytes (w);
  size_t n = POOL_MIN_BYTES / big + 1;
  return n < POOL_MIN_BUFFERS || cached ? POOL_MIN_BUFFERS : n;
}

static void
run (const workload *w, int reps)
{
  size_t n = pool_buffers (w), i;
  r128norm_state *st[N_CONFIGS];
  double t[N_CONFIGS + 1][REPS], x[N_CONFIGS][REPS], ms[N_CONFIGS + 1];
  double ratio[N_CONFIGS];
  uint8_t *pool, *opool = NULL, *dst;
  int c, r;

  pool = malloc (n * w->bytes);
  dst = malloc (n * out_bytes (w));
  if (w->describe_out)
    opool = malloc (n * out_bytes (w));
  if (!pool || !dst || (w->describe_out && !opool)) {
    fprintf (stderr, "r128norm-bench: out of memory\n");
    exit (1);
  }
  for (i = 0; i < n; i++)
    fill (w, pool + i * w->bytes, (uint32_t) i);
  memset (dst, 0, n * out_bytes (w));
  if (opool)
    memset (opool, 0, n * out_bytes (w));

  /* config c: kernel set c / N_MODES, mode c % N_MODES; slot N_CONFIGS is
   * memcpy.  One untimed cycle each seeds the statistics. */
  for (c = 0; c < N_CONFIGS; c++)
    st[c] = make_state (w, modes[c % N_MODES].mode,
        kernel_sets[c / N_MODES].kernels);
  for (c = 0; c < N_CONFIGS; c++)
    cycle (w, st[c], pool, opool, dst, n);
  cycle (w, NULL, pool, opool, dst, n);

  /* each configuration's cycle follows a memcpy cycle, and its ratio is
   * taken to that one: the load of a shared machine drifts by tens of
   * percent within seconds, which these pairs see alike */
  for (r = 0; r < reps; r++) {
    double m = 0.0;
    for (c = 0; c < N_CONFIGS; c++) {
      double tm = cycle (w, NULL, pool, opool, dst, n);
      t[c][r] = cycle (w, st[c], pool, opool, dst, n);
      x[c][r] = t[c][r] / tm;
      m += tm / N_CONFIGS;
    }
    t[N_CONFIGS][r] = m;
  }
  for (c = 0; c <= N_CONFIGS; c++)
    ms[c] = median (t[c], reps) * 1e3 / (double) n;
  for (c = 0; c < N_CONFIGS; c++)
    ratio[c] = median (x[c], reps);

  for (int k = 0; k < N_KERNEL_SETS; k++) {
    printf ("| %-7s | %-6s | %-8s | %9.4g |", w->name, kernel_sets[k].name,
        r128norm_get_kernel_name (st[k * N_MODES]), ms[N_CONFIGS]);
    for (c = k * N_MODES; c < (k + 1) * N_MODES; c++)
      printf (" %9.4g | %5.2f |", ms[c], ratio[c]);
    if (k == AUTO_SET && w->target[0] > 0 && !cached) {
      printf (" %.2f/%.2f/%.2f |", w->target[0], w->target[1], w->target[2]);
      for (int m = 0; m < N_MODES; m++)
        printf (" %s", ratio[k * N_MODES + m] <= w->target[m]
            ? "PASS" : "FAIL");
      printf (" |");
    } else {
      printf ("                |                |");
    }
    printf ("\n");
  }
  fflush (stdout);

  for (c = 0; c < N_CONFIGS; c++)
    r128norm_destroy (&st[c]);
  free (pool);
  free (opool);
  free (dst);
}

static void
usage (FILE *f)
{
  fprintf (f, "usage: r128norm-bench [--quick] [--cached] [--workload NAME]\n"
      "  --quick          %d repetitions instead of %d\n"
      "  --cached         a pool of %d buffers, in cache if they fit (no "
      "verdicts)\n"
      "  --workload NAME  one of:", QUICK_REPS, REPS, POOL_MIN_BUFFERS);
  for (size_t i = 0; i < N_WORKLOADS; i++)
    fprintf (f, " %s", workloads[i].name);
  fprintf (f, "\n");
}

int
main (int argc, char **argv)
{
  const char *only = NULL;
  int reps = REPS, found = 0, major, minor, patch;

  for (int i = 1; i < argc; i++) {
    if (!strcmp (argv[i], "--quick")) {
      reps = QUICK_REPS;
    } else if (!strcmp (argv[i], "--cached")) {
      cached = 1;
    } else if (!strcmp (argv[i], "--workload") && i + 1 < argc) {
      only = argv[++i];
    } else if (!strcmp (argv[i], "--help") || !strcmp (argv[i], "-h")) {
      usage (stdout);
      return 0;
    } else {
      usage (stderr);
      return 2;
    }
  }

  for (size_t i = 0; i < N_WORKLOADS; i++)
    found |= !only || !strcmp (only, workloads[i].name);
  if (!found) {
    usage (stderr);
    return 2;
  }

  r128norm_get_version (&major, &minor, &patch);
  printf ("r128norm %d.%d.%d: ms per buffer (median of %d repetitions) "
      "and x = median ratio to a memcpy of the same bytes run just before; "
      "targets of issue #6 for "
      "frozen/running/frame, judged on the auto row\n\n",
      major, minor, patch, reps);
  for (size_t i = 0; i < N_WORKLOADS; i++)
    if (!only || !strcmp (only, workloads[i].name))
      printf ("- %-7s %s: %zu bytes, pool of %zu buffers\n",
          workloads[i].name, workloads[i].what, workloads[i].bytes,
          pool_buffers (&workloads[i]));
  printf ("\n| %-7s | %-6s | %-8s | %9s |", "stream", "asked", "kernels",
      "memcpy");
  for (int m = 0; m < N_MODES; m++)
    printf (" %9s |   x   |", modes[m].name);
  printf (" target x       | verdict        |");
  printf ("\n|---------|--------|----------|----------:|");
  for (int m = 0; m < N_MODES; m++)
    printf ("----------:|------:|");
  printf ("----------------|----------------|");
  printf ("\n");
  for (size_t i = 0; i < N_WORKLOADS; i++)
    if (!only || !strcmp (only, workloads[i].name))
      run (&workloads[i], reps);
  return 0;
}
