/* embed.c: r128norm inside a C application.
 *
 * Builds a pipeline from a description with gst_parse_launch(), watches the
 * bus for the element messages r128norm posts (post-messages=true), reads
 * the per-channel arrays from them, and changes properties while the
 * pipeline plays: gamma after the 10th message, the "reset" action signal
 * after the 20th.  One line per message: stream time, running mean and
 * output stddev of each channel.
 *
 *   embed [BUFFERS]            (default 300 buffers of 10 ms: 3 s)
 *
 * Build against an installed r128norm plugin with
 *   cc embed.c $(pkg-config --cflags --libs gstreamer-1.0) -o embed
 * (the plugin is found at run time; no r128norm header is needed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <gst/gst.h>

typedef struct
{
  GMainLoop *loop;
  GstElement *norm;
  guint messages;
  int status;
} App;

/* Element i of a GST_TYPE_ARRAY field of doubles. */
static gdouble
array_double (const GstStructure * s, const gchar * field, guint i)
{
  const GValue *arr = gst_structure_get_value (s, field);

  if (arr == NULL || !GST_VALUE_HOLDS_ARRAY (arr)
      || i >= gst_value_array_get_size (arr))
    return 0.0;
  return g_value_get_double (gst_value_array_get_value (arr, i));
}

/* gamma as a GstValueArray of doubles, the way the property takes it. */
static void
set_gamma (GstElement * norm, gdouble gamma)
{
  GValue arr = G_VALUE_INIT, v = G_VALUE_INIT;

  g_value_init (&arr, GST_TYPE_ARRAY);
  g_value_init (&v, G_TYPE_DOUBLE);
  g_value_set_double (&v, gamma);
  gst_value_array_append_value (&arr, &v);
  g_object_set_property (G_OBJECT (norm), "gamma", &arr);
  g_value_unset (&v);
  g_value_unset (&arr);
}

static void
on_r128norm (App * app, const GstStructure * s)
{
  const GValue *mean = gst_structure_get_value (s, "running-mean");
  guint64 ts = 0;
  guint c, channels = mean ? gst_value_array_get_size (mean) : 0;

  gst_structure_get_uint64 (s, "timestamp", &ts);
  app->messages++;
  g_print ("message %u t=%.3f", app->messages, (double) ts / GST_SECOND);
  for (c = 0; c < channels; c++)
    g_print (" | ch%u running-mean %.4f out-stddev %.4f", c,
        array_double (s, "running-mean", c),
        array_double (s, "out-stddev", c));
  g_print ("\n");

  /* Properties may be set from any thread while playing; they take effect
   * at the next buffer. */
  if (app->messages == 10) {
    set_gamma (app->norm, 0.05);
    g_print ("set gamma=<0.05>\n");
  } else if (app->messages == 20) {
    g_signal_emit_by_name (app->norm, "reset");
    g_print ("emitted reset\n");
  }
}

static gboolean
on_bus (GstBus * bus, GstMessage * msg, gpointer data)
{
  App *app = data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:{
      const GstStructure *s = gst_message_get_structure (msg);
      if (s && gst_structure_has_name (s, "r128norm"))
        on_r128norm (app, s);
      break;
    }
    case GST_MESSAGE_ERROR:{
      GError *err = NULL;
      gchar *dbg = NULL;
      gst_message_parse_error (msg, &err, &dbg);
      g_printerr ("error from %s: %s\n", GST_OBJECT_NAME (msg->src),
          err->message);
      g_clear_error (&err);
      g_free (dbg);
      app->status = 1;
      g_main_loop_quit (app->loop);
      break;
    }
    case GST_MESSAGE_EOS:
      g_main_loop_quit (app->loop);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  App app = { 0 };
  GError *err = NULL;
  GstElement *pipeline;
  GstBus *bus;
  guint watch;
  gchar *desc;
  int buffers = argc > 1 ? atoi (argv[1]) : 300;

  gst_init (&argc, &argv);
  /* A quiet stereo tone (-32 dBFS RMS), normalized to -20 dBFS RMS, played
   * in real time (fakesink syncs to the clock, like an audio sink). */
  desc = g_strdup_printf ("audiotestsrc num-buffers=%d samplesperbuffer=480 "
      "volume=0.05 ! audio/x-raw,format=S16LE,rate=48000,channels=2 ! "
      "r128norm name=norm post-messages=true interval=100000000 ! "
      "fakesink sync=true", buffers);
  pipeline = gst_parse_launch (desc, &err);
  g_free (desc);
  if (pipeline == NULL) {
    g_printerr ("could not build the pipeline: %s\n", err->message);
    g_clear_error (&err);
    return 1;
  }
  app.norm = gst_bin_get_by_name (GST_BIN (pipeline), "norm");
  app.loop = g_main_loop_new (NULL, FALSE);

  bus = gst_element_get_bus (pipeline);
  watch = gst_bus_add_watch (bus, on_bus, &app);
  gst_object_unref (bus);

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_printerr ("could not start the pipeline\n");
    app.status = 1;
  } else {
    g_main_loop_run (app.loop);
  }

  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_source_remove (watch);
  gst_object_unref (app.norm);
  gst_object_unref (pipeline);
  g_main_loop_unref (app.loop);
  g_print ("%u r128norm messages\n", app.messages);
  return app.status;
}
