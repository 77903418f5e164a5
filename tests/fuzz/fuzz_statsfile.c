/* libFuzzer target: the stats-file reader, through the element.  The input
 * (after one byte that picks the stream) is written as the stats-file and
 * the element is started with it.  Promises checked (SPEC section 4):
 *   - a file that is refused gives an error message that names the file,
 *     and the file is left exactly as it was, also after stopping;
 *   - a file that is accepted seeds running statistics that are finite,
 *     and a stream of another channel count is refused without the file
 *     being overwritten;
 *   - what the element saves at EOS is a file it accepts again. */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gst/check/gstharness.h>

#include "fuzz_gst_common.h"

static gchar *stats_dir, *stats_path;

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_gst_init ();
  /* not g_dir_make_tmp(), which leaks a string inside GLib 2.74 */
  stats_dir = g_strdup_printf ("%s/r128norm-fuzz-%d", g_get_tmp_dir (),
      (int) getpid ());
  FUZZ_CHECK (g_mkdir_with_parents (stats_dir, 0700) == 0);
  stats_path = g_build_filename (stats_dir, "fuzz.stats", NULL);
  return 0;
}

static gboolean
file_is (const gchar * path, const guint8 * data, gsize size)
{
  gchar *now;
  gsize len;
  gboolean same;

  if (!g_file_get_contents (path, &now, &len, NULL))
    return FALSE;
  same = len == size && memcmp (now, data, size) == 0;
  g_free (now);
  return same;
}

static gchar *
error_text (GstBus * bus)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  GError *err = NULL;
  gchar *text;

  if (!msg)
    return NULL;
  gst_message_parse_error (msg, &err, NULL);
  text = g_strdup (err->message);
  g_error_free (err);
  gst_message_unref (msg);
  return text;
}

static GstBuffer *
f32_buffer (guint channels, guint frames)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, channels * frames * 4,
      NULL);
  GstMapInfo map;
  guint i;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < channels * frames; i++) {
    gfloat v = (gfloat) ((i * 37) % 101) / 101.0f - 0.3f;
    memcpy (map.data + 4 * i, &v, 4);
  }
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = 0;
  return buf;
}

/* The accepted file on a stream of @channels: frozen statistics flow (or
 * the mismatch is refused, the file kept), and EOS saves a file that
 * loads again. */
static void
stream_with_file (const guint8 * file, gsize size, guint channels)
{
  GstElement *el = gst_element_factory_make ("r128norm", NULL);
  GstBus *bus = gst_bus_new ();
  GstHarness *h;
  GstSegment seg;
  GstFlowReturn ret;
  gchar *caps = g_strdup_printf ("audio/x-raw,format=F32LE,rate=48000,"
      "channels=%u,layout=interleaved", channels);
  GValue v = G_VALUE_INIT;
  guint i, n;

  g_object_set (el, "stats-file", stats_path, "stats", 2 /* frozen */ ,
      NULL);
  gst_element_set_bus (el, bus);
  h = gst_harness_new_with_element (el, "sink", "src");
  gst_object_unref (el);
  gst_harness_set_sink_caps_str (h, caps);
  gst_harness_push_event (h, gst_event_new_stream_start ("fuzz"));
  {
    GstCaps *c = gst_caps_from_string (caps);
    gst_harness_push_event (h, gst_event_new_caps (c));
    gst_caps_unref (c);         /* the event holds its own reference */
  }
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_segment (&seg));
  ret = gst_harness_push (h, f32_buffer (channels, 64));

  g_value_init (&v, GST_TYPE_ARRAY);
  g_object_get_property (G_OBJECT (h->element), "running-mean", &v);
  n = gst_value_array_get_size (&v);
  for (i = 0; i < n; i++)
    FUZZ_CHECK (isfinite (g_value_get_double (gst_value_array_get_value (&v,
                    i))));
  g_value_unset (&v);

  if (ret != GST_FLOW_OK) {
    /* refused (the channel count differs): said so, file kept */
    gchar *text = error_text (bus);
    FUZZ_CHECK (text != NULL && strstr (text, stats_path) != NULL);
    g_free (text);
    gst_harness_push_event (h, gst_event_new_eos ());
    gst_harness_teardown (h);
    FUZZ_CHECK (file_is (stats_path, file, size));
  } else {
    /* saved at EOS: a file the element accepts again */
    gst_harness_push_event (h, gst_event_new_eos ());
    gst_harness_teardown (h);
    el = gst_element_factory_make ("r128norm", NULL);
    g_object_set (el, "stats-file", stats_path, NULL);
    FUZZ_CHECK (gst_element_set_state (el, GST_STATE_PAUSED)
        == GST_STATE_CHANGE_SUCCESS);
    gst_element_set_state (el, GST_STATE_NULL);
    gst_object_unref (el);
  }
  fuzz_drain_bus (bus);
  gst_object_unref (bus);
  g_free (caps);
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  guint channels;
  const guint8 *file;
  gsize file_size;
  GstElement *el;
  GstBus *bus;
  GstStateChangeReturn ret;

  if (size < 1)
    return 0;
  channels = 1 + data[0] % 4;
  file = data + 1;
  file_size = size - 1;
  FUZZ_CHECK (g_file_set_contents (stats_path, (const gchar *) file,
          file_size, NULL));

  el = gst_element_factory_make ("r128norm", NULL);
  bus = gst_bus_new ();
  gst_element_set_bus (el, bus);
  g_object_set (el, "stats-file", stats_path, NULL);
  ret = gst_element_set_state (el, GST_STATE_PAUSED);
  if (ret == GST_STATE_CHANGE_FAILURE) {
    gchar *text = error_text (bus);
    FUZZ_CHECK (text != NULL);
    FUZZ_CHECK (strstr (text, stats_path) != NULL);
    g_free (text);
  }
  gst_element_set_state (el, GST_STATE_NULL);
  gst_object_unref (el);
  fuzz_drain_bus (bus);
  gst_object_unref (bus);
  /* loading, refusing and stopping never write the file */
  FUZZ_CHECK (file_is (stats_path, file, file_size));

  if (ret != GST_STATE_CHANGE_FAILURE)
    stream_with_file (file, file_size, channels);
  g_unlink (stats_path);
  return 0;
}
