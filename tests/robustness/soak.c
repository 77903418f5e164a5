/* Soak: a million small buffers through a real pipeline,
 *
 *   audiotestsrc wave=silence samplesperbuffer=1000 ! F32LE stereo !
 *   r128norm post-messages=true ! fakesink
 *
 * with the signal written into each buffer by a probe (a noise and sine
 * pattern whose level sweeps over four decades, constant stretches of
 * variance 0, NaN/Inf/huge samples now and then, GAP buffers), properties
 * changed and `reset` emitted from the main thread while it flows.
 *
 * Passes when the resident set grows by less than 1 MiB between buffer
 * 50,000 (everything allocated once is allocated by then) and the end,
 * and every statistic seen on the way is finite: the running-mean and
 * running-var properties every 10,000 buffers, and every double of every
 * r128norm message.
 *
 *   soak [BUFFERS]    (default 1000000)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gst/gst.h>

#define SAMPLES 1000
#define CHANNELS 2
#define PATTERN 4096
#define BASELINE_AT 50000
#define CHECK_EVERY 10000
#define MAX_GROWTH_KIB 1024

/* A sanitizer's allocator keeps freed memory in quarantine and its shadow
 * grows with it: the resident set means nothing there (it is reported,
 * not judged) */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RSS_JUDGED 0
#else
#define RSS_JUDGED 1
#endif

static gfloat pattern[PATTERN + SAMPLES * CHANNELS];
static guint64 n_buffers, n_checked, n_messages, n_values;
static glong rss_baseline_kib = -1, rss_max_kib;
static gboolean failed;

static glong
rss_kib (void)
{
  gchar *status = NULL, *line;
  glong kib = -1;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmRSS:");
  if (line)
    kib = strtol (line + 6, NULL, 10);
  g_free (status);
  return kib;
}

static void
fail (const gchar * what, gdouble value)
{
  if (!failed)
    fprintf (stderr, "soak: FAIL at buffer %" G_GUINT64_FORMAT ": %s = %g\n",
        n_buffers, what, value);
  failed = TRUE;
}

/* The signal: the pattern at a moving offset and level, and the faults. */
static GstPadProbeReturn
write_signal (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER
      (info));
  guint64 k = n_buffers++;
  GstMapInfo map;
  gfloat level = (gfloat) pow (10.0, 2.0 * sin (k * 1e-4) - 1.0);
  gfloat *x;
  guint i;

  GST_PAD_PROBE_INFO_DATA (info) = buf;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  x = (gfloat *) map.data;
  memcpy (x, pattern + (k * 97) % PATTERN, map.size);
  if (k % 10007 < 30)           /* a constant stretch: variance 0 */
    memset (x, 0, map.size);
  else
    for (i = 0; i < map.size / 4; i++)
      x[i] *= level;
  if (k % 997 == 0) {
    x[k % 500] = NAN;
    x[(k + 1) % 500] = INFINITY;
    x[(k + 2) % 500] = -INFINITY;
    x[(k + 3) % 500] = 3e38f;
  }
  gst_buffer_unmap (buf, &map);
  /* audiotestsrc marks its silence GAP: this is signal now, but for
   * every 5003rd buffer */
  GST_BUFFER_FLAG_UNSET (buf, GST_BUFFER_FLAG_GAP);
  if (k % 5003 == 0)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_GAP);
  return GST_PAD_PROBE_OK;
}

static void
check_array_property (GstElement * el, const gchar * name)
{
  GValue v = G_VALUE_INIT;
  guint i;

  g_value_init (&v, GST_TYPE_ARRAY);
  g_object_get_property (G_OBJECT (el), name, &v);
  for (i = 0; i < gst_value_array_get_size (&v); i++) {
    gdouble d = g_value_get_double (gst_value_array_get_value (&v, i));
    if (!isfinite (d) || (strcmp (name, "running-var") == 0 && d < 0))
      fail (name, d);
  }
  g_value_unset (&v);
}

/* Every CHECK_EVERY buffers after the element: finite running values, and
 * the resident set. */
static GstPadProbeReturn
check_output (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstElement *norm = data;
  glong rss;

  if (n_buffers % CHECK_EVERY != 0 && n_buffers != BASELINE_AT)
    return GST_PAD_PROBE_OK;
  check_array_property (norm, "running-mean");
  check_array_property (norm, "running-var");
  n_checked++;
  rss = rss_kib ();
  if (n_buffers == BASELINE_AT)
    rss_baseline_kib = rss;
  if (n_buffers >= BASELINE_AT && rss > rss_max_kib)
    rss_max_kib = rss;
  return GST_PAD_PROBE_OK;
}

static void
check_value (const GValue * v)
{
  guint i;

  if (G_VALUE_HOLDS_DOUBLE (v)) {
    n_values++;
    if (!isfinite (g_value_get_double (v)))
      fail ("a message value", g_value_get_double (v));
  } else if (GST_VALUE_HOLDS_ARRAY (v)) {
    for (i = 0; i < gst_value_array_get_size (v); i++)
      check_value (gst_value_array_get_value (v, i));
  }
}

static gboolean
check_field (GQuark field, const GValue * value, gpointer data)
{
  check_value (value);
  return TRUE;
}

int
main (int argc, char **argv)
{
  guint64 total = argc > 1 ? g_ascii_strtoull (argv[1], NULL, 10) : 1000000;
  GstElement *pipeline, *norm;
  GstPad *sink, *src;
  GstBus *bus;
  GError *error = NULL;
  GRand *rand = g_rand_new_with_seed (7);
  gchar *desc;
  gboolean done = FALSE;
  gint64 start;
  guint i, tick = 0;
  glong growth;

  gst_init (&argc, &argv);
  for (i = 0; i < G_N_ELEMENTS (pattern); i++)
    pattern[i] = (gfloat) (0.3 * sin (i * 0.05) + g_rand_double_range (rand,
            -0.5, 0.5) + 0.1);

  desc = g_strdup_printf ("audiotestsrc wave=silence samplesperbuffer=%d "
      "num-buffers=%" G_GUINT64_FORMAT " ! audio/x-raw,format=F32LE,"
      "channels=%d,rate=48000,layout=interleaved ! r128norm name=norm "
      "post-messages=true interval=1000000000 time-constant=2000000000 ! "
      "fakesink sync=false", SAMPLES, total, CHANNELS);
  pipeline = gst_parse_launch (desc, &error);
  g_free (desc);
  if (!pipeline || error) {       /* a missing element is a non-fatal error */
    fprintf (stderr, "soak: %s\n", error->message);
    return 1;
  }
  norm = gst_bin_get_by_name (GST_BIN (pipeline), "norm");
  sink = gst_element_get_static_pad (norm, "sink");
  src = gst_element_get_static_pad (norm, "src");
  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER, write_signal, NULL,
      NULL);
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, check_output, norm,
      NULL);

  start = g_get_monotonic_time ();
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  bus = gst_element_get_bus (pipeline);
  while (!done) {
    GstMessage *msg = gst_bus_timed_pop (bus, 50 * GST_MSECOND);

    /* settings change and reset from this thread while buffers flow */
    tick++;
    g_object_set (norm, "strength", g_rand_double_range (rand, 0.5, 1.0),
        "momentum", g_rand_double_range (rand, 0.8, 0.999),
        "clip-sigma", tick % 3 ? 0.0 : 4.0,
        "stats", tick % 17 == 0 ? 0 : 1, NULL);
    if (tick % 40 == 0)
      g_signal_emit_by_name (norm, "reset");
    if (!msg)
      continue;
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_ELEMENT:
        if (gst_message_has_name (msg, "r128norm")) {
          n_messages++;
          gst_structure_foreach (gst_message_get_structure (msg),
              check_field, NULL);
        }
        break;
      case GST_MESSAGE_ERROR:{
        GError *err;
        gst_message_parse_error (msg, &err, NULL);
        fprintf (stderr, "soak: error: %s\n", err->message);
        g_error_free (err);
        failed = TRUE;
        done = TRUE;
        break;
      }
      case GST_MESSAGE_EOS:
        done = TRUE;
        break;
      default:
        break;
    }
    gst_message_unref (msg);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);

  growth = rss_max_kib - rss_baseline_kib;
  printf ("soak: %" G_GUINT64_FORMAT " buffers of %d x %d F32 samples in "
      "%.1f s; RSS %ld KiB at buffer %d, at most %ld KiB after: growth %ld "
      "KiB (limit %d); %" G_GUINT64_FORMAT " property checks, %"
      G_GUINT64_FORMAT " messages, %" G_GUINT64_FORMAT " message values, "
      "all finite: %s\n", n_buffers, SAMPLES, CHANNELS,
      (g_get_monotonic_time () - start) / 1e6, rss_baseline_kib, BASELINE_AT,
      rss_max_kib, growth, MAX_GROWTH_KIB, n_checked, n_messages, n_values,
      failed ? "NO" : "yes");
  if (n_buffers != total) {
    fprintf (stderr, "soak: only %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
        " buffers went through\n", n_buffers, total);
    failed = TRUE;
  }
  if (RSS_JUDGED && total > BASELINE_AT && (rss_baseline_kib < 0 || growth
          >= MAX_GROWTH_KIB)) {
    fprintf (stderr, "soak: FAIL: resident set grew by %ld KiB\n", growth);
    failed = TRUE;
  }
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (norm);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_rand_free (rand);
  return failed ? 1 : 0;
}
