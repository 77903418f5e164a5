/* Concurrency stress: buffers flow through r128norm in a GstHarness while
 * two threads change every property that is mutable while playing (with
 * valid values, so the stream must never stop) and a third emits `reset`
 * and reads running-mean/running-var, all as fast as they can.  Every push
 * must succeed, every output sample and every running value read must be
 * finite.  Two phases: 4-channel F32 audio, then 1280x1024 RGBx frames
 * with n-threads=3, large enough that the element shares each frame
 * between its streaming thread and two workers.  Built with
 * -fsanitize=thread (scripts/sanitize.sh), this is the ThreadSanitizer
 * test: any data race in the element aborts it.
 *
 *   stress [BUFFERS]   (default 20000 audio buffers, and 1/400 as many
 *                       frames, at least 10)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gst/gst.h>
#include <gst/check/gstharness.h>

#define CHANNELS 4
#define FRAMES 240

static volatile gint stop;
static gint bad_values;

static void
set_array (GstElement * el, const gchar * name, const gdouble * d, guint n)
{
  GValue v = G_VALUE_INIT;
  guint i;

  g_value_init (&v, GST_TYPE_ARRAY);
  for (i = 0; i < n; i++) {
    GValue x = G_VALUE_INIT;
    g_value_init (&x, G_TYPE_DOUBLE);
    g_value_set_double (&x, d[i]);
    gst_value_array_append_and_take_value (&v, &x);
  }
  g_object_set_property (G_OBJECT (el), name, &v);
  g_value_unset (&v);
}

static void
read_array (GstElement * el, const gchar * name)
{
  GValue v = G_VALUE_INIT;
  guint i;

  g_value_init (&v, GST_TYPE_ARRAY);
  g_object_get_property (G_OBJECT (el), name, &v);
  for (i = 0; i < gst_value_array_get_size (&v); i++)
    if (!isfinite (g_value_get_double (gst_value_array_get_value (&v, i))))
      g_atomic_int_inc (&bad_values);
  g_value_unset (&v);
}

/* Every property that is GST_PARAM_MUTABLE_PLAYING, valid values only. */
static gpointer
setter (gpointer data)
{
  GstElement *el = data;
  GRand *rand = g_rand_new ();
  static const guint groups[] = { 1, 2, 4 };
  const guint channels = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (el),
          "stress-channels"));

  while (!g_atomic_int_get (&stop)) {
    gdouble d[CHANNELS];
    guint i, n = g_rand_boolean (rand) ? 1 : channels;

    switch (g_rand_int_range (rand, 0, 16)) {
      case 0:
        g_object_set (el, "variant", g_rand_int_range (rand, 0, 4), NULL);
        break;
      case 1:
        g_object_set (el, "groups", channels == CHANNELS
            ? groups[g_rand_int_range (rand, 0, 3)] : 3, NULL);
        break;
      case 2:
        g_object_set (el, "stats", g_rand_int_range (rand, 0, 3), NULL);
        break;
      case 3:
        g_object_set (el, "momentum", g_rand_double (rand), NULL);
        break;
      case 4:
        g_object_set (el, "time-constant", (guint64) g_rand_int_range (rand,
                0, 3) * GST_SECOND, NULL);
        break;
      case 5:
        g_object_set (el, "epsilon", g_rand_double_range (rand, 0, 1e-3),
            NULL);
        break;
      case 6:
        for (i = 0; i < n; i++)
          d[i] = g_rand_double_range (rand, -2, 2);
        set_array (el, "gamma", d, n);
        break;
      case 7:
        for (i = 0; i < n; i++)
          d[i] = g_rand_double_range (rand, -1, 1);
        set_array (el, "beta", d, g_rand_boolean (rand) ? n : 0);
        break;
      case 8:
        g_object_set (el, "strength", g_rand_double (rand), NULL);
        break;
      case 9:
        g_object_set (el, "warmup", (guint64) g_rand_int_range (rand, 0,
                100) * GST_MSECOND, NULL);
        break;
      case 10:
        g_object_set (el, "clip-sigma", g_rand_double_range (rand, 0, 5),
            NULL);
        break;
      case 11:
        g_object_set (el, "min-samples", g_rand_int_range (rand, 0, 1000),
            NULL);
        break;
      case 12:
        for (i = 0; i < channels; i++)
          d[i] = g_rand_double_range (rand, -1, 1);
        set_array (el, "running-mean", d, channels);
        break;
      case 13:
        for (i = 0; i < channels; i++)
          d[i] = g_rand_double_range (rand, 0, 2);
        set_array (el, "running-var", d, channels);
        break;
      case 14:
        g_object_set (el, "post-messages", g_rand_boolean (rand), NULL);
        break;
      default:
        g_object_set (el, "interval", (guint64) g_rand_int_range (rand, 1,
                50) * GST_MSECOND, NULL);
        break;
    }
  }
  g_rand_free (rand);
  return NULL;
}

static gpointer
resetter (gpointer data)
{
  GstElement *el = data;

  while (!g_atomic_int_get (&stop)) {
    g_signal_emit_by_name (el, "reset");
    read_array (el, "running-mean");
    read_array (el, "running-var");
    g_thread_yield ();
  }
  return NULL;
}

/* Pushes @total buffers of @caps through a fresh element while the three
 * threads work on it; counts what went wrong into the totals. */
static void
run_phase (const gchar * name, const gchar * caps, guint channels,
    gsize size, gboolean is_float, guint n_threads, guint total,
    guint * failed_pushes, guint * bad_out, guint * messages)
{
  GstElement *el = gst_element_factory_make ("r128norm", NULL);
  GRand *rand = g_rand_new_with_seed (3);
  GThread *threads[3];
  GstHarness *h;
  GstBus *bus;
  GstMessage *msg;
  guint k, i;

  if (!el) {
    fprintf (stderr, "stress: r128norm not found\n");
    exit (1);
  }
  gst_object_ref_sink (el);     /* ours too, for the threads */
  g_object_set_data (G_OBJECT (el), "stress-channels",
      GUINT_TO_POINTER (channels));
  g_object_set (el, "n-threads", n_threads, NULL);
  bus = gst_bus_new ();
  gst_element_set_bus (el, bus);
  h = gst_harness_new_with_element (el, "sink", "src");
  gst_harness_set_src_caps_str (h, caps);
  gst_harness_set_sink_caps_str (h, caps);

  g_atomic_int_set (&stop, 0);
  threads[0] = g_thread_new ("setter-1", setter, el);
  threads[1] = g_thread_new ("setter-2", setter, el);
  threads[2] = g_thread_new ("resetter", resetter, el);

  for (k = 0; k < total; k++) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL), *out;
    GstMapInfo map;

    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    if (is_float) {
      gfloat *x = (gfloat *) map.data;
      for (i = 0; i < size / 4; i++)
        x[i] = (gfloat) g_rand_double_range (rand, -1, 1) * (1 + k % 7);
      if (k % 101 == 0)
        x[k % (size / 4)] = NAN;
    } else {
      /* 64 KiB of noise, repeated: filling is not what is tested */
      guint32 r = g_rand_int (rand);
      for (i = 0; i < size && i < 65536; i++) {
        r = r * 1103515245u + 12345u;
        map.data[i] = (guint8) (r >> 24) / (1 + k % 3);
      }
      for (; i < size; i += 65536)
        memcpy (map.data + i, map.data, MIN (65536, size - i));
    }
    gst_buffer_unmap (buf, &map);
    GST_BUFFER_PTS (buf) = k * 5 * GST_MSECOND;
    GST_BUFFER_DURATION (buf) = 5 * GST_MSECOND;
    if (gst_harness_push (h, buf) != GST_FLOW_OK) {
      (*failed_pushes)++;
      continue;
    }
    out = gst_harness_pull (h);
    if (is_float) {
      gfloat *x;
      gst_buffer_map (out, &map, GST_MAP_READ);
      x = (gfloat *) map.data;
      for (i = 0; i < map.size / 4; i++)
        *bad_out += !isfinite (x[i]);
      gst_buffer_unmap (out, &map);
    }
    gst_buffer_unref (out);
    while ((msg = gst_bus_pop (bus))) {
      *messages += GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT;
      if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
        (*failed_pushes)++;
      gst_message_unref (msg);
    }
  }
  g_atomic_int_set (&stop, 1);
  for (i = 0; i < 3; i++)
    g_thread_join (threads[i]);
  gst_harness_teardown (h);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (el);
  gst_object_unref (bus);
  g_rand_free (rand);
  printf ("stress: %s: %u buffers\n", name, total);
}

int
main (int argc, char **argv)
{
  guint total = argc > 1 ? atoi (argv[1]) : 20000, bad_out = 0;
  guint failed_pushes = 0, messages = 0;

  gst_init (&argc, &argv);
  run_phase ("F32 audio, 4 channels", "audio/x-raw,format=F32LE,rate=48000,"
      "channels=4,layout=interleaved", CHANNELS, 4 * CHANNELS * FRAMES, TRUE,
      1, total, &failed_pushes, &bad_out, &messages);
  run_phase ("RGBx 1280x1024, n-threads=3", "video/x-raw,format=RGBx,"
      "width=1280,height=1024,framerate=30/1", 3, 1280 * 1024 * 4, FALSE, 3,
      MAX (total / 400, 10), &failed_pushes, &bad_out, &messages);

  printf ("stress: 3 threads changing properties and resetting; %u "
      "messages; %u failed pushes or errors, %u non-finite outputs, %d "
      "non-finite running values\n", messages, failed_pushes, bad_out,
      g_atomic_int_get (&bad_values));
  return failed_pushes || bad_out || bad_values ? 1 : 0;
}
