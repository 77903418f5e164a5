/* r128norm-bench-peers: the element against what users would otherwise
 * pick, in one run on this machine.
 *
 * Each GStreamer element runs in a GstHarness over 8 distinct buffers
 * cycled (more bytes than the last-level cache, as in a live stream); its
 * cost per buffer is the time of the loop minus the same loop through
 * `identity`, median of the repetitions.  In-place elements get writable
 * buffers (no hidden copy).  Every loop starts from the same samples: the
 * buffers come back normalized (or scaled) in place, and fed in again they
 * would be a feedback loop, not a stream (`volume` at 0.5 turns them to
 * zeros within a few hundred passes, and running statistics of a constant
 * stream never change, which costs nothing to follow).  Audio buffers are
 * also refilled with their original samples before every push, as fresh
 * audio arrives; the refill (a map and a 4 KB copy) is in the identity
 * loop as well, so it cancels out.  PyTorch and FFmpeg are timed by
 * tools/r128norm-bench-peers.py, which also prints the verdicts.
 *
 *   build/tools/r128norm-bench-peers [--quick] [WORKLOAD...]
 *
 * WORKLOAD is rgba1080, rgba4k, tensor3x1080x1920, audio10ms,
 * audio10ms-s16, audio10ms-s32, audio10ms-f64, audio10ms-mono,
 * audio10ms-mono-s16 or audio10ms-planar (default: all of them).
 *
 * Prints lines "name ms_per_buffer" that the script reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gst/gst.h>
#include <gst/check/gstharness.h>

#define N_FRAMES 8

static int repetitions = 7;
static char **selected;         /* NULL-terminated workload names, or NULL */

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

static double
median (double *v, int n)
{
  qsort (v, n, sizeof *v, cmp_double);
  return v[n / 2];
}

typedef enum
{
  SAMPLES_U8,
  SAMPLES_S16,
  SAMPLES_S32,
  SAMPLES_F32,
  SAMPLES_F64
} Samples;

static GstBuffer **
make_frames (gsize size, Samples samples, guint seed)
{
  GstBuffer **frames = g_new (GstBuffer *, N_FRAMES);
  int f;

  srand (seed);
  for (f = 0; f < N_FRAMES; f++) {
    GstMapInfo map;
    gsize i;
    frames[f] = gst_buffer_new_allocate (NULL, size, NULL);
    gst_buffer_map (frames[f], &map, GST_MAP_WRITE);
    if (samples == SAMPLES_F32) {
      float *p = (float *) map.data;
      for (i = 0; i < size / 4; i++)
        p[i] = (float) (rand () % 1000) / 1000.0f;
    } else if (samples == SAMPLES_F64) {
      double *p = (double *) map.data;
      for (i = 0; i < size / 8; i++)
        p[i] = (double) (rand () % 1000) / 1000.0;
    } else if (samples == SAMPLES_S16) {
      gint16 *p = (gint16 *) map.data;
      for (i = 0; i < size / 2; i++)
        p[i] = (gint16) (rand () % 20000 - 10000);
    } else if (samples == SAMPLES_S32) {
      gint32 *p = (gint32 *) map.data;
      for (i = 0; i < size / 4; i++)
        p[i] = (gint32) (rand () % 20000 - 10000) * 65536;
    } else {
      for (i = 0; i < size; i++)
        map.data[i] = (guint8) (rand () >> 7);
    }
    gst_buffer_unmap (frames[f], &map);
    GST_BUFFER_DURATION (frames[f]) = GST_SECOND / 30;
  }
  return frames;
}

/* The frames' original samples (make_frames), copied back into them. */
typedef struct
{
  guint8 *samples[N_FRAMES];
  gsize size;
  gboolean every_push;          /* before each push, not only each loop */
} Originals;

static void
refill (GstBuffer * frame, const Originals * originals, int f)
{
  GstMapInfo map;

  gst_buffer_map (frame, &map, GST_MAP_WRITE);
  memcpy (map.data, originals->samples[f], MIN (map.size, originals->size));
  gst_buffer_unmap (frame, &map);
}

/* Seconds per buffer for @iterations pushes through @launch, starting
 * from the original samples. */
static double
time_loop (const char *launch, const char *caps, GstBuffer ** frames,
    const Originals * originals, int iterations)
{
  GstHarness *h = gst_harness_new_parse (launch);
  double t0, t1;
  int i;

  gst_harness_set_src_caps_str (h, caps);
  gst_harness_play (h);
  for (i = 0; i < N_FRAMES; i++)
    refill (frames[i], originals, i);
  /* warm up: negotiation, ORC compilation, the first (two-pass) buffer */
  for (i = 0; i < 2 * N_FRAMES + iterations / 4; i++) {
    GstBuffer *in = frames[i % N_FRAMES], *out;
    frames[i % N_FRAMES] = NULL;
    GST_BUFFER_PTS (in) = i * (GST_SECOND / 30);
    if (originals->every_push)
      refill (in, originals, i % N_FRAMES);
    gst_harness_push (h, in);
    out = gst_harness_pull (h);
    frames[i % N_FRAMES] = out;
  }
  if (!originals->every_push)
    for (i = 0; i < N_FRAMES; i++)
      refill (frames[i], originals, i);
  t0 = now ();
  for (i = 0; i < iterations; i++) {
    GstBuffer *in = frames[i % N_FRAMES], *out;
    frames[i % N_FRAMES] = NULL;
    if (originals->every_push)
      refill (in, originals, i % N_FRAMES);
    gst_harness_push (h, in);
    out = gst_harness_pull (h);
    frames[i % N_FRAMES] = out;
  }
  t1 = now ();
  gst_harness_teardown (h);
  return (t1 - t0) / iterations;
}

/* The second half of a copy, on a thread of its own. */
typedef struct
{
  guint8 *dst;
  const guint8 *src;
  gsize size;
} CopyJob;

static gpointer
copy_half (gpointer data)
{
  CopyJob *job = data;
  memcpy (job->dst, job->src, job->size);
  return NULL;
}

/* Seconds per memcpy of a frame, cycling through the frames; with
 * @two_threads each copy is split in halves on two threads (a thread
 * started per copy): how much a second core adds to the memory bandwidth
 * of this machine. */
static double
time_memcpy (GstBuffer ** frames, gsize size, int iterations,
    gboolean two_threads)
{
  guint8 *dst = g_malloc (size);
  GstMapInfo maps[N_FRAMES];
  double t0, t1;
  int i;

  for (i = 0; i < N_FRAMES; i++)
    gst_buffer_map (frames[i], &maps[i], GST_MAP_READ);
  memcpy (dst, maps[0].data, size);
  t0 = now ();
  for (i = 0; i < iterations; i++) {
    const guint8 *src = maps[i % N_FRAMES].data;
    if (two_threads) {
      CopyJob second = { dst + size / 2, src + size / 2, size - size / 2 };
      GThread *t = g_thread_new ("copy", copy_half, &second);
      memcpy (dst, src, size / 2);
      g_thread_join (t);
    } else {
      memcpy (dst, src, size);
    }
  }
  t1 = now ();
  for (i = 0; i < N_FRAMES; i++)
    gst_buffer_unmap (frames[i], &maps[i]);
  g_free (dst);
  return (t1 - t0) / iterations;
}

/* The memory traffic of stats=frame without its arithmetic: a pass that
 * reads the frame, then one that reads and writes it in place (in 8
 * blocks, last first, as the element's bands), on one thread, or on two
 * that each take half of each pass and meet (spinning) between the
 * passes.  What this machine allows the 4K row: what a second
 * core adds to the same traffic, with no arithmetic to share. */
typedef guint8 Vec64 __attribute__ ((vector_size (64)));

typedef struct
{
  GstMapInfo *maps;
  gsize size;
  int iterations, halves;
  gint arrived;                 /* both threads' passes done so far */
  guint64 sink[2];              /* keeps the read pass */
} Pattern;

static void
meet (Pattern * pt, gint passes)
{
  g_atomic_int_inc (&pt->arrived);
  while (g_atomic_int_get (&pt->arrived) < pt->halves * passes);
}

static inline __attribute__ ((always_inline)) void
pattern_passes (Pattern * pt, int half)
{
  const gsize lo = pt->size * half / pt->halves / 64 * 64;
  const gsize hi = half + 1 == pt->halves ? pt->size
      : pt->size * (half + 1) / pt->halves / 64 * 64;
  const int blocks = 8 / pt->halves;   /* the element's 8 bands */
  Vec64 acc = { 0 }, one;
  int it, b;
  gsize i;

  memset (&one, 1, sizeof one);
  for (it = 0; it < pt->iterations; it++) {
    guint8 *p = pt->maps[it % N_FRAMES].data;
    for (i = lo; i + 64 <= hi; i += 64) {
      Vec64 v;
      memcpy (&v, p + i, sizeof v);
      acc += v;
    }
    meet (pt, 2 * it + 1);
    /* the second pass in blocks, last first, as the element's bands: the
     * last bytes read are the likeliest still in the cache */
    for (b = blocks; b-- > 0;) {
      const gsize b0 = lo + (hi - lo) * b / blocks / 64 * 64;
      const gsize b1 = b + 1 == blocks ? hi
          : lo + (hi - lo) * (b + 1) / blocks / 64 * 64;
      for (i = b0; i + 64 <= b1; i += 64) {
        Vec64 v;
        memcpy (&v, p + i, sizeof v);
        v += one;
        memcpy (p + i, &v, sizeof v);
      }
    }
    meet (pt, 2 * it + 2);
  }
  memcpy (&pt->sink[half], &acc, sizeof pt->sink[half]);
}

/* compiled for the widest vectors the CPU has, as the element's kernels
 * are, so that one thread is bound by memory and not by its loop */
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__ ((target ("avx512bw")))
static void
pattern_half_avx512 (Pattern * pt, int half)
{
  pattern_passes (pt, half);
}
#endif

static void
pattern_half (Pattern * pt, int half)
{
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports ("avx512bw")) {
    pattern_half_avx512 (pt, half);
    return;
  }
#endif
  pattern_passes (pt, half);
}

static gpointer
pattern_second_half (gpointer data)
{
  pattern_half (data, 1);
  return NULL;
}

/* Seconds per frame of that traffic, cycling through the frames. */
static double
time_frame_pattern (GstBuffer ** frames, gsize size, int iterations,
    gboolean two_threads)
{
  GstMapInfo maps[N_FRAMES];
  Pattern pt = { maps, size, iterations, two_threads ? 2 : 1, 0, {0, 0} };
  GThread *second = NULL;
  double t0, t1;
  int i;

  for (i = 0; i < N_FRAMES; i++)
    gst_buffer_map (frames[i], &maps[i], GST_MAP_READWRITE);
  t0 = now ();
  if (two_threads)
    second = g_thread_new ("pattern", pattern_second_half, &pt);
  pattern_half (&pt, 0);
  if (second)
    g_thread_join (second);
  t1 = now ();
  for (i = 0; i < N_FRAMES; i++)
    gst_buffer_unmap (frames[i], &maps[i]);
  if (pt.sink[0] == 1 && pt.sink[1] == 1)
    printf ("# %d\n", (int) pt.sink[0]);        /* never: keeps the reads */
  return (t1 - t0) / iterations;
}

typedef struct
{
  const char *name;
  const char *launch;
} Element;

/* Prints the median cost per buffer of each element, identity subtracted. */
static void
measure (const char *workload, const char *caps, gsize size, Samples samples,
    const Element * elements, int n_elements, int iterations)
{
  GstBuffer **frames;
  Originals originals;
  double *times;
  int r, e, k;

  if (selected && !g_strv_contains ((const gchar * const *) selected,
          workload))
    return;
  frames = make_frames (size, samples, 1);
  originals.size = size;
  /* small buffers (audio): refilled before each push, where the copy is
   * cheap next to the loop's other costs and still in the cache */
  originals.every_push = size <= 64 * 1024;
  for (k = 0; k < N_FRAMES; k++) {
    GstMapInfo map;
    gst_buffer_map (frames[k], &map, GST_MAP_READ);
    originals.samples[k] = g_memdup2 (map.data, map.size);
    gst_buffer_unmap (frames[k], &map);
  }
  times = g_new (double, repetitions * (n_elements + 2));

  for (r = 0; r < repetitions; r++) {
    double base = time_loop ("identity", caps, frames, &originals,
        iterations);
    times[r] = time_memcpy (frames, size, iterations, FALSE);
    for (e = 0; e < n_elements; e++)
      times[(e + 1) * repetitions + r] = time_loop (elements[e].launch, caps,
          frames, &originals, iterations) - base;
    times[(n_elements + 1) * repetitions + r] = base;
  }
  printf ("%s/memcpy %.6f\n", workload, median (times, repetitions) * 1e3);
  if (size >= 16 * 1024 * 1024) {
    for (r = 0; r < repetitions; r++)
      times[r] = time_memcpy (frames, size, iterations, TRUE);
    printf ("%s/memcpy-2-threads %.6f\n", workload, median (times,
            repetitions) * 1e3);
    for (k = 0; k < 2; k++) {
      for (r = 0; r < repetitions; r++)
        times[r] = time_frame_pattern (frames, size, iterations, k == 1);
      printf ("%s/frame-traffic-%d-thread%s %.6f\n", workload, k + 1,
          k ? "s" : "", median (times, repetitions) * 1e3);
    }
  }
  for (e = 0; e < n_elements; e++)
    printf ("%s/%s %.6f\n", workload, elements[e].name,
        median (times + (e + 1) * repetitions, repetitions) * 1e3);
  printf ("%s/harness-overhead %.6f\n", workload,
      median (times + (n_elements + 1) * repetitions, repetitions) * 1e3);
  fflush (stdout);
  for (k = 0; k < N_FRAMES; k++) {
    gst_buffer_unref (frames[k]);
    g_free (originals.samples[k]);
  }
  g_free (frames);
  g_free (times);
}

int
main (int argc, char **argv)
{
  static const Element rgba[] = {
    {"r128norm-frozen", "r128norm stats=frozen"},
    {"r128norm-running", "r128norm stats=running"},
    {"r128norm-frame", "r128norm stats=frame"},
    {"videobalance", "videobalance brightness=0.1 contrast=1.2"},
  };
  static const Element tensor[] = {
    {"r128norm-frozen", "r128norm stats=frozen tensor-layout=chw"},
    {"r128norm-running", "r128norm stats=running tensor-layout=chw"},
    {"r128norm-frame", "r128norm stats=frame tensor-layout=chw"},
  };
  static const Element rgba4k[] = {
    {"r128norm-frame-1-thread", "r128norm stats=frame n-threads=1"},
    {"r128norm-frame-2-threads", "r128norm stats=frame n-threads=2"},
  };
  /* volume last: it takes interleaved samples only */
  static const Element audio[] = {
    {"r128norm-running", "r128norm"},
    {"r128norm-frozen", "r128norm stats=frozen"},
    {"volume", "volume volume=0.5"},
  };
  /* 10 ms of 48 kHz stereo in each sample format, of mono F32 and S16 (a
   * microphone), and of non-interleaved stereo F32 (what FFmpeg's AAC
   * decoder gives avdec_aac) */
  static const struct
  {
    const char *workload, *format;
    gsize size;
    Samples samples;
    guint channels;
    gboolean planar;
  } audio_formats[] = {
    {"audio10ms", "F32LE", 4, SAMPLES_F32, 2, FALSE},
    {"audio10ms-s16", "S16LE", 2, SAMPLES_S16, 2, FALSE},
    {"audio10ms-s32", "S32LE", 4, SAMPLES_S32, 2, FALSE},
    {"audio10ms-f64", "F64LE", 8, SAMPLES_F64, 2, FALSE},
    {"audio10ms-mono", "F32LE", 4, SAMPLES_F32, 1, FALSE},
    {"audio10ms-mono-s16", "S16LE", 2, SAMPLES_S16, 1, FALSE},
    {"audio10ms-planar", "F32LE", 4, SAMPLES_F32, 2, TRUE},
  };
  int quick = argc > 1 && strcmp (argv[1], "--quick") == 0;
  guint i;

  gst_init (&argc, &argv);
  if (quick)
    repetitions = 3;
  if (argc > 1 + quick)
    selected = argv + 1 + quick;

  measure ("rgba1080", "video/x-raw,format=RGBA,width=1920,height=1080,"
      "framerate=30/1", 1920 * 1080 * 4, SAMPLES_U8, rgba, G_N_ELEMENTS (rgba),
      quick ? 16 : 48);
  measure ("rgba4k", "video/x-raw,format=RGBA,width=3840,height=2160,"
      "framerate=30/1", 3840 * 2160 * 4, SAMPLES_U8, rgba4k,
      G_N_ELEMENTS (rgba4k),
      quick ? 8 : 24);
  measure ("tensor3x1080x1920", "other/tensors,format=static,num_tensors=1,"
      "types=float32,dimensions=1920:1080:3:1,framerate=30/1",
      3 * 1080 * 1920 * 4, SAMPLES_F32, tensor, G_N_ELEMENTS (tensor),
      quick ? 8 : 24);
  for (i = 0; i < G_N_ELEMENTS (audio_formats); i++) {
    gchar *caps = g_strdup_printf ("audio/x-raw,format=%s,"
        "layout=%s,rate=48000,channels=%u", audio_formats[i].format,
        audio_formats[i].planar ? "non-interleaved" : "interleaved",
        audio_formats[i].channels);
    measure (audio_formats[i].workload, caps, 480 * audio_formats[i].channels
        * audio_formats[i].size, audio_formats[i].samples, audio,
        G_N_ELEMENTS (audio) - (audio_formats[i].planar ? 1 : 0),
        quick ? 2000 : 20000);
    g_free (caps);
  }
  return 0;
}
