/* r128norm element: statistics across stream events (GAP, DISCONT, flush,
 * caps changes, reset), the stats-file, errors for bad settings, zero-copy
 * and property changes from another thread. */
#include <glib/gstdio.h>

#include "r128norm_check.h"

#define RATE 48000
#define N 480                   /* 10 ms */

static gchar *
f32_caps (guint channels)
{
  return audio_caps_str (FMT_F32, channels, FALSE, RATE);
}

/* A harness around @el with F32 @channels caps set. */
static GstHarness *
f32_harness (GstElement * el, GstBus * bus, guint channels)
{
  GstHarness *h = harness_for (el, bus);
  gchar *caps = f32_caps (channels);

  gst_harness_set_caps_str (h, caps, caps);
  g_free (caps);
  return h;
}

/* @n_buffers F32 buffers through @h against @ref */
static void
push_f32 (GstHarness * h, Ref * ref, guint n_buffers)
{
  AudioSpec s = { FMT_F32, ref->channels, FALSE, N, 0, RATE };
  gchar *caps = f32_caps (ref->channels);

  run_audio (h, ref, &s, FMT_F32, caps, n_buffers, 0.05, TRUE);
  g_free (caps);
}

/* A buffer of @channels x N loud F32 samples with @flags. */
static GstBuffer *
loud_buffer (guint channels, GstBufferFlags flags)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, N * channels * 4, NULL);
  GstMapInfo map;
  gsize i;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < N * channels; i++) {
    gfloat v = 0.9f * (i % 7 == 0 ? 1.0f : -0.3f);
    memcpy (map.data + 4 * i, &v, 4);
  }
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_FLAG_SET (buf, flags);
  GST_BUFFER_DURATION (buf) = 10 * GST_MSECOND;
  return buf;
}

static gboolean
buffer_equals (GstBuffer * buf, const guint8 * bytes, gsize size)
{
  GstMapInfo map;
  gboolean same;

  gst_buffer_map (buf, &map, GST_MAP_READ);
  same = map.size == size && memcmp (map.data, bytes, size) == 0;
  gst_buffer_unmap (buf, &map);
  return same;
}

static guint8 *
buffer_bytes (GstBuffer * buf, gsize * size)
{
  GstMapInfo map;
  guint8 *bytes;

  gst_buffer_map (buf, &map, GST_MAP_READ);
  bytes = g_memdup2 (map.data, map.size);
  *size = map.size;
  gst_buffer_unmap (buf, &map);
  return bytes;
}

/* caps pushed by hand (they are to be refused) need their segment */
static void
push_time_segment (GstHarness * h)
{
  GstSegment seg;

  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_segment (&seg));
}

/* ---- stream events ------------------------------------------------- */

/* A GAP buffer passes through untouched (even holding loud data), keeps
 * its flag, does not enter the statistics and does not advance the
 * warmup. */
GST_START_TEST (test_gap)
{
  GstHarness *h = f32_harness (make_element ("warmup", "40000000", NULL),
      NULL, 2);
  GstBuffer *in, *out;
  guint8 *bytes;
  gsize size;
  Ref ref;

  ref_init (&ref, 2, 0.1, 0.0);
  ref.warmup = 0.040;
  push_f32 (h, &ref, 2);
  in = loud_buffer (2, GST_BUFFER_FLAG_GAP);
  bytes = buffer_bytes (in, &size);
  out = gst_harness_push_and_pull (h, in);
  fail_unless (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_GAP));
  fail_unless (buffer_equals (out, bytes, size), "a GAP buffer was changed");
  gst_buffer_unref (out);
  g_free (bytes);
  assert_running (h->element, ref.rmean, ref.rvar, 2);
  /* continues as if the gap was not there (warmup at 20 ms, not 30) */
  push_f32 (h, &ref, 2);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Converting S16 -> F32: a GAP stays a gap (silence) and is not learned. */
GST_START_TEST (test_gap_converting)
{
  GstHarness *h = harness_for (make_element (NULL), NULL);
  gchar *in_caps = audio_caps_str (FMT_S16, 2, FALSE, RATE);
  gchar *out_caps = f32_caps (2);
  AudioSpec s = { FMT_S16, 2, FALSE, N, 0, RATE };
  GstBuffer *in, *out;
  GstMapInfo map;
  gsize i;
  Ref ref;

  gst_harness_set_caps_str (h, in_caps, out_caps);
  ref_init (&ref, 2, 0.1, 0.0);
  run_audio (h, &ref, &s, FMT_F32, out_caps, 2, 0.05, FALSE);
  in = gst_buffer_new_allocate (NULL, N * 2 * 2, NULL);
  gst_buffer_memset (in, 0, 0x35, N * 2 * 2);
  GST_BUFFER_FLAG_SET (in, GST_BUFFER_FLAG_GAP);
  out = gst_harness_push_and_pull (h, in);
  fail_unless (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_GAP));
  gst_buffer_map (out, &map, GST_MAP_READ);
  fail_unless_equals_int (map.size, N * 2 * 4);
  for (i = 0; i < map.size; i++)
    fail_unless_equals_int (map.data[i], 0);
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);
  assert_running (h->element, ref.rmean, ref.rvar, 2);
  run_audio (h, &ref, &s, FMT_F32, out_caps, 1, 0.05, FALSE);
  gst_harness_teardown (h);
  g_free (in_caps);
  g_free (out_caps);
}

GST_END_TEST;

/* A DISCONT buffer is normalized like any other and keeps its flag. */
GST_START_TEST (test_discont)
{
  GstHarness *h = f32_harness (make_element (NULL), NULL, 1);
  GstBuffer *in, *out;
  double *x, *y, r0, v0;
  gsize i, one = N;
  GstMapInfo map;
  Ref ref;

  ref_init (&ref, 1, 0.1, 0.0);
  push_f32 (h, &ref, 2);
  in = loud_buffer (1, GST_BUFFER_FLAG_DISCONT);
  x = g_new (double, N);
  y = g_new (double, N);
  gst_buffer_map (in, &map, GST_MAP_READ);
  for (i = 0; i < N; i++)
    x[i] = tfmt_read (FMT_F32, map.data + 4 * i);
  gst_buffer_unmap (in, &map);
  r0 = ref.rmean[0];
  ref_process (&ref, &x, &one, &y, 0.010);
  out = gst_harness_push_and_pull (h, in);
  fail_unless (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_map (out, &map, GST_MAP_READ);
  for (i = 0; i < N; i++)
    assert_sample (FMT_F32, map.data + 4 * i, y[i], "discont sample %"
        G_GSIZE_FORMAT, i);
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);
  /* and it was learned */
  get_doubles (h->element, "running-mean", &v0, 1);
  fail_if (close_to (v0, r0, 1e-6), "the DISCONT buffer was not learned");
  assert_running (h->element, ref.rmean, ref.rvar, 1);
  g_free (x);
  g_free (y);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A flushing seek keeps the running statistics: the next buffer is
 * normalized with them, not with its own. */
GST_START_TEST (test_flush_keeps_statistics)
{
  GstHarness *h = f32_harness (make_element ("warmup", "60000000", NULL),
      NULL, 2);
  GstSegment seg;
  Ref ref;

  /* the warmup continues too */
  ref_init (&ref, 2, 0.1, 0.0);
  ref.warmup = 0.060;
  push_f32 (h, &ref, 3);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.start = seg.time = GST_SECOND;
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  assert_running (h->element, ref.rmean, ref.rvar, 2);
  push_f32 (h, &ref, 2);
  gst_harness_teardown (h);
}

GST_END_TEST;

static void
count_warnings (GstDebugCategory * cat, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer data)
{
  if (level == GST_LEVEL_WARNING
      && g_strcmp0 (gst_debug_category_get_name (cat), "r128norm") == 0
      && strstr (gst_debug_message_get (message), "reset"))
    g_atomic_int_inc ((gint *) data);
}

/* New caps with the same channel count keep the statistics (even with
 * another format and rate); another channel count starts afresh, with a
 * warning in the log. */
GST_START_TEST (test_caps_change)
{
  GstHarness *h = f32_harness (make_element ("warmup", "40000000", NULL),
      NULL, 2);
  gchar *caps = audio_caps_str (FMT_S16, 2, FALSE, 44100);
  AudioSpec s16 = { FMT_S16, 2, FALSE, 441, 0, 44100 };
  gint warnings = 0;
  double m[4];
  Ref ref;

  gst_debug_set_threshold_for_name ("r128norm", GST_LEVEL_WARNING);
  gst_debug_add_log_function (count_warnings, &warnings, NULL);

  /* the warmup continues over a caps change, restarts with new channels */
  ref_init (&ref, 2, 0.1, 0.0);
  ref.warmup = 0.040;
  push_f32 (h, &ref, 2);
  gst_harness_set_caps_str (h, caps, caps);
  assert_running (h->element, ref.rmean, ref.rvar, 2);
  run_audio (h, &ref, &s16, FMT_S16, caps, 2, 0.05, TRUE);
  g_free (caps);
  fail_unless_equals_int (g_atomic_int_get (&warnings), 0);

  caps = f32_caps (3);
  gst_harness_set_caps_str (h, caps, caps);
  fail_if (get_doubles (h->element, "running-mean", m, 4) == 2,
      "running-mean still reports the old channels");
  ref_init (&ref, 3, 0.1, 0.0);
  ref.warmup = 0.040;
  push_f32 (h, &ref, 2);
  g_free (caps);
  gst_harness_teardown (h);
  gst_debug_remove_log_function (count_warnings);
  fail_unless_equals_int (g_atomic_int_get (&warnings), 1);
}

GST_END_TEST;

/* The reset action signal forgets the statistics and restarts warmup: the
 * next buffer is normalized with its own statistics. */
GST_START_TEST (test_reset_signal)
{
  GstHarness *h = f32_harness (make_element ("warmup", "20000000", NULL),
      NULL, 2);
  double m[4];
  Ref ref;

  ref_init (&ref, 2, 0.1, 0.0);
  ref.warmup = 0.020;
  push_f32 (h, &ref, 4);
  g_signal_emit_by_name (h->element, "reset");
  fail_unless_equals_int (get_doubles (h->element, "running-mean", m, 4), 0);
  ref_init (&ref, 2, 0.1, 0.0);
  ref.warmup = 0.020;
  push_f32 (h, &ref, 3);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A new stream (STREAM_START with another stream-id) starts from the
 * seeds the user gave, or from nothing. */
static void
new_stream (GstHarness * h, guint channels)
{
  gchar *caps = f32_caps (channels);

  fail_unless (gst_harness_push_event (h,
          gst_event_new_stream_start ("another-stream")));
  fail_unless (gst_harness_push_event (h,
          caps_event_take (gst_caps_from_string (caps))));
  push_time_segment (h);
  g_free (caps);
}

GST_START_TEST (test_new_stream)
{
  static const double mean[2] = { 0.05, -0.05 }, var[2] = { 0.01, 0.02 };
  GstHarness *h = f32_harness (make_element (NULL), NULL, 2);
  GstElement *el;
  Ref ref;

  ref_init (&ref, 2, 0.1, 0.0);
  push_f32 (h, &ref, 3);
  new_stream (h, 2);
  ref_init (&ref, 2, 0.1, 0.0);
  push_f32 (h, &ref, 2);
  gst_harness_teardown (h);

  el = make_element (NULL);
  set_doubles (el, "running-mean", mean, 2);
  set_doubles (el, "running-var", var, 2);
  h = f32_harness (el, NULL, 2);
  ref_init (&ref, 2, 0.1, 0.0);
  ref_set_running (&ref, mean, var);
  push_f32 (h, &ref, 3);
  new_stream (h, 2);
  ref_init (&ref, 2, 0.1, 0.0);
  ref_set_running (&ref, mean, var);
  push_f32 (h, &ref, 2);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* An empty audio buffer passes and teaches nothing (no NaN from 0/0). */
GST_START_TEST (test_empty_buffer)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = f32_harness (make_element ("post-messages", "true",
          "stats", "frame", NULL), bus, 2);
  GstBuffer *out;
  Ref ref;

  ref_init (&ref, 2, 0.1, 0.0);
  ref.stats = REF_FRAME;
  push_f32 (h, &ref, 2);
  out = gst_harness_push_and_pull (h, gst_buffer_new ());
  fail_unless (out != NULL);
  fail_unless_equals_int (gst_buffer_get_size (out), 0);
  gst_buffer_unref (out);
  assert_running (h->element, ref.rmean, ref.rvar, 2);
  fail_if (pop_error (bus) != NULL);
  push_f32 (h, &ref, 1);
  gst_harness_teardown (h);
  gst_bus_set_flushing (bus, TRUE);   /* drops the messages: they hold the element, which holds the bus */
  gst_object_unref (bus);
}

GST_END_TEST;

/* ---- stats-file ---------------------------------------------------- */

static gchar *
tmp_path (const gchar * name)
{
  gchar *dir = g_dir_make_tmp ("r128norm-XXXXXX", NULL);
  gchar *path;

  fail_unless (dir != NULL);
  path = g_build_filename (dir, name, NULL);
  g_free (dir);
  return path;
}

static void
remove_tmp (gchar * path)
{
  gchar *dir = g_path_get_dirname (path);

  g_unlink (path);
  g_rmdir (dir);
  g_free (dir);
  g_free (path);
}

/* EOS writes the statistics; a new element with stats=frozen loads them
 * and normalizes with exactly those values; stopping without EOS writes
 * the file too. */
GST_START_TEST (test_stats_file_roundtrip)
{
  gchar *path = tmp_path ("cam.stats"), *path2 = tmp_path ("mic.stats");
  GstHarness *h;
  GstElement *el;
  GKeyFile *kf = g_key_file_new ();
  GError *err = NULL;
  double *mean, *var, m[2], v[2];
  gsize n_mean, n_var;
  guint c;
  Ref ref;

  el = make_element ("stats-file", path, "momentum", "0.7", NULL);
  h = f32_harness (el, NULL, 2);
  ref_init (&ref, 2, 0.1, 0.0);
  ref.momentum = 0.7;
  push_f32 (h, &ref, 3);
  fail_if (g_file_test (path, G_FILE_TEST_EXISTS), "written before EOS");
  gst_harness_push_event (h, gst_event_new_eos ());
  fail_unless (g_file_test (path, G_FILE_TEST_EXISTS), "not written at EOS");
  get_doubles (h->element, "running-mean", m, 2);
  get_doubles (h->element, "running-var", v, 2);
  gst_harness_teardown (h);

  fail_unless (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &err),
      "%s", err ? err->message : "");
  fail_unless_equals_int (g_key_file_get_integer (kf, "r128norm", "version",
          NULL), 1);
  fail_unless_equals_int (g_key_file_get_integer (kf, "r128norm", "channels",
          NULL), 2);
  mean = g_key_file_get_double_list (kf, "r128norm", "mean", &n_mean, NULL);
  var = g_key_file_get_double_list (kf, "r128norm", "var", &n_var, NULL);
  fail_unless_equals_int (n_mean, 2);
  fail_unless_equals_int (n_var, 2);
  for (c = 0; c < 2; c++) {
    fail_unless (close_to (mean[c], ref.rmean[c], 1e-9), "mean[%u]", c);
    fail_unless (close_to (var[c], ref.rvar[c], 1e-9), "var[%u]", c);
    fail_unless (close_to (mean[c], m[c], 1e-12));
    fail_unless (close_to (var[c], v[c], 1e-12));
  }
  g_key_file_unref (kf);

  /* frozen from the file: exactly the saved values, never updated */
  el = make_element ("stats", "frozen", "stats-file", path, NULL);
  h = f32_harness (el, NULL, 2);
  ref_init (&ref, 2, 0.1, 0.0);
  ref.stats = REF_FROZEN;
  ref_set_running (&ref, mean, var);
  push_f32 (h, &ref, 3);
  assert_running (h->element, mean, var, 2);
  gst_harness_teardown (h);

  /* the file wins over running-mean/running-var set before start */
  el = make_element ("stats", "frozen", "stats-file", path, NULL);
  m[0] += 0.5;                  /* other values than the file's */
  v[1] *= 4;
  set_doubles (el, "running-mean", m, 2);
  set_doubles (el, "running-var", v, 2);
  h = f32_harness (el, NULL, 2);
  ref_init (&ref, 2, 0.1, 0.0);
  ref.stats = REF_FROZEN;
  ref_set_running (&ref, mean, var);
  push_f32 (h, &ref, 1);
  /* and the learned values stay readable after the element stopped */
  gst_element_set_state (h->element, GST_STATE_NULL);
  assert_running (h->element, mean, var, 2);
  gst_harness_teardown (h);

  /* stopping without EOS saves too */
  h = f32_harness (make_element ("stats-file", path2, NULL), NULL, 1);
  ref_init (&ref, 1, 0.1, 0.0);
  push_f32 (h, &ref, 2);
  gst_harness_teardown (h);
  kf = g_key_file_new ();
  fail_unless (g_key_file_load_from_file (kf, path2, G_KEY_FILE_NONE, NULL),
      "not written when stopping");
  g_free (mean);
  mean = g_key_file_get_double_list (kf, "r128norm", "mean", &n_mean, NULL);
  fail_unless_equals_int (n_mean, 1);
  fail_unless (close_to (mean[0], ref.rmean[0], 1e-9));
  g_key_file_unref (kf);

  g_free (mean);
  g_free (var);
  remove_tmp (path);
  remove_tmp (path2);
}

GST_END_TEST;

/* A stats-file that cannot be used by itself: starting fails with an
 * error naming the file and the problem, and the file is not replaced. */
GST_START_TEST (test_stats_file_malformed)
{
  static const gchar *const bad[][2] = {
    {"this is ] not a key file\n\x01\x02", "stats-file"},
    {"[r128norm]\nversion=2\nchannels=2\nmean=0;0\nvar=1;1\n", "version"},
    {"[r128norm]\nversion=abc\nchannels=2\nmean=0;0\nvar=1;1\n", "abc"},
    {"[r128norm]\nversion=1\nchannels=2\nmean=0;0\nvar=1\n", "var"},
    {"[r128norm]\nversion=1\nchannels=2\nmean=0;x\nvar=1;1\n", "mean"},
    {"[r128norm]\nversion=1\nchannels=1\nmean=0\nvar=-1\n", "var"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    gchar *path = tmp_path ("cam.stats"), *text, *after;
    GstElement *el = make_element ("stats-file", path, NULL);
    GstBus *bus = gst_bus_new ();
    gsize len;

    fail_unless (g_file_set_contents (path, bad[i][0], -1, NULL));
    gst_element_set_bus (el, bus);
    fail_unless_equals_int (gst_element_set_state (el, GST_STATE_PAUSED),
        GST_STATE_CHANGE_FAILURE);
    text = pop_error (bus);
    fail_unless (text != NULL, "case %u: no error message", i);
    fail_unless (strstr (text, path) != NULL, "case %u: '%s' does not name "
        "the file", i, text);
    fail_unless (strstr (text, bad[i][1]) != NULL, "case %u: '%s' does not "
        "say '%s'", i, text, bad[i][1]);
    gst_element_set_state (el, GST_STATE_NULL);
    gst_object_unref (el);
    fail_unless (g_file_get_contents (path, &after, &len, NULL));
    fail_unless_equals_string (after, bad[i][0]);
    g_free (after);
    g_free (text);
    gst_bus_set_flushing (bus, TRUE);   /* drops the messages: they hold the element, which holds the bus */
    gst_object_unref (bus);
    remove_tmp (path);
  }
}

GST_END_TEST;

/* A valid file for 3 channels on a 2-channel stream: an error that names
 * the file, and the file is still the same after buffers (once running-mean
 * and running-var are given), EOS and stop. */
GST_START_TEST (test_stats_file_wrong_channels)
{
  static const gchar contents[] = "[r128norm]\nversion=1\nchannels=3\n"
      "mean=0.1;0.2;0.3\nvar=0.01;0.02;0.03\n";
  static const double good_mean[2] = { 0.0, 0.1 }, good_var[2] = { 1, 2 };
  gchar *path = tmp_path ("cam.stats"), *text, *after, *caps = f32_caps (2);
  GstBus *bus = gst_bus_new ();
  double m[4];
  GstHarness *h;
  GstFlowReturn ret;

  fail_unless (g_file_set_contents (path, contents, -1, NULL));
  h = harness_for (make_element ("stats-file", path, NULL), bus);
  gst_harness_set_sink_caps_str (h, caps);
  gst_harness_push_event (h, gst_event_new_stream_start ("wrong"));
  gst_harness_push_event (h, caps_event_take (gst_caps_from_string
          (caps)));
  push_time_segment (h);
  ret = gst_harness_push (h, loud_buffer (2, 0));
  fail_if (ret == GST_FLOW_OK, "a stream with the wrong file flowed");
  text = pop_error (bus);
  fail_unless (text != NULL, "no error message");
  fail_unless (strstr (text, path) != NULL || strstr (text, "stats-file"),
      "'%s' does not name the stats-file", text);
  fail_unless (strstr (text, "3") && strstr (text, "2"),
      "'%s' does not say 3 and 2", text);
  /* statistics given by property let the stream flow and learn: still,
   * the bad file is not replaced at EOS or stop */
  set_doubles (h->element, "running-mean", good_mean, 2);
  set_doubles (h->element, "running-var", good_var, 2);
  gst_harness_push_event (h, caps_event_take (gst_caps_from_string
          (caps)));
  fail_unless_equals_int (gst_harness_push (h, loud_buffer (2, 0)),
      GST_FLOW_OK);
  fail_unless_equals_int (get_doubles (h->element, "running-mean", m, 4), 2);
  fail_if (m[0] == good_mean[0], "nothing was learned");
  gst_harness_push_event (h, gst_event_new_eos ());
  gst_harness_teardown (h);
  fail_unless (g_file_get_contents (path, &after, NULL, NULL));
  fail_unless_equals_string (after, contents);
  g_free (after);
  g_free (text);
  g_free (caps);
  gst_bus_set_flushing (bus, TRUE);   /* drops the messages: they hold the element, which holds the bus */
  gst_object_unref (bus);
  remove_tmp (path);
}

GST_END_TEST;

/* ---- bad settings -------------------------------------------------- */

/* Caps for 3 channels against a bad setting: the caps are refused and an
 * error names the setting, its value and the channel count. */
static void
check_refused (GstElement * el, const gchar * const *words)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = harness_for (el, bus);
  gchar *caps = f32_caps (3), *text;
  guint i;

  gst_harness_set_sink_caps_str (h, caps);
  gst_harness_push_event (h, gst_event_new_stream_start ("bad"));
  gst_harness_push_event (h, caps_event_take (gst_caps_from_string
          (caps)));
  push_time_segment (h);
  fail_if (gst_harness_push (h, loud_buffer (3, 0)) == GST_FLOW_OK);
  text = pop_error (bus);
  fail_unless (text != NULL, "no error for '%s'", words[0]);
  for (i = 0; words[i]; i++)
    fail_unless (strstr (text, words[i]) != NULL, "'%s' does not say '%s'",
        text, words[i]);
  g_free (text);
  g_free (caps);
  gst_harness_teardown (h);
  gst_bus_set_flushing (bus, TRUE);   /* drops the messages: they hold the element, which holds the bus */
  gst_object_unref (bus);
}

GST_START_TEST (test_bad_settings)
{
  static const gchar *const groups[] = { "groups=2", "3", NULL };
  static const gchar *const gamma[] = { "gamma", "2 values", "3", NULL };
  static const gchar *const beta[] = { "beta", "4 values", "3", NULL };
  static const gchar *const mean[] = { "running-mean", "2 values", "3",
    NULL
  };
  static const gchar *const neg_var[] = { "running-var", "-0.5", ">= 0",
    NULL
  };
  static const double two[2] = { 0.0, 0.1 };
  static const double three[3] = { 0.0, 0.1, 0.2 };
  static const double bad_var[3] = { 0.1, -0.5, 0.2 };
  GstElement *el;

  check_refused (make_element ("variant", "group", "groups", "2", NULL),
      groups);
  check_refused (make_element ("gamma", "<1.0, 2.0>", NULL), gamma);
  check_refused (make_element ("beta", "<0.1, 0.2, 0.3, 0.4>", NULL), beta);
  el = make_element (NULL);
  set_doubles (el, "running-mean", two, 2);
  check_refused (el, mean);
  el = make_element (NULL);
  set_doubles (el, "running-mean", three, 3);
  set_doubles (el, "running-var", bad_var, 3);
  check_refused (el, neg_var);
}

GST_END_TEST;

/* A bad setting made while playing stops the stream with an error at the
 * next buffer; a good one lets it flow again. */
GST_START_TEST (test_bad_setting_while_playing)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = f32_harness (make_element (NULL), bus, 3);
  gchar *text;
  Ref ref;

  ref_init (&ref, 3, 0.1, 0.0);
  push_f32 (h, &ref, 1);
  gst_util_set_object_arg (G_OBJECT (h->element), "gamma", "<1.0, 2.0>");
  fail_unless_equals_int (gst_harness_push (h, loud_buffer (3, 0)),
      GST_FLOW_ERROR);
  text = pop_error (bus);
  fail_unless (text && strstr (text, "gamma") && strstr (text, "2 values"),
      "error '%s'", GST_STR_NULL (text));
  g_free (text);
  gst_util_set_object_arg (G_OBJECT (h->element), "gamma", "<1.0>");
  ref.gamma[0] = ref.gamma[1] = ref.gamma[2] = 1.0;
  push_f32 (h, &ref, 1);
  gst_harness_teardown (h);
  gst_bus_set_flushing (bus, TRUE);   /* drops the messages: they hold the element, which holds the bus */
  gst_object_unref (bus);
}

GST_END_TEST;

/* ---- zero-copy ----------------------------------------------------- */

static void
mark_freed (gpointer data)
{
  *(gboolean *) data = TRUE;
}

/* A writable input buffer comes out as the very same GstBuffer (and was
 * not freed on the way); a shared one is copied, never written to. */
GST_START_TEST (test_zero_copy)
{
  static GQuark q;
  GstHarness *h = f32_harness (make_element (NULL), NULL, 2);
  GstBuffer *in, *out;
  gboolean freed = FALSE;
  guint8 *bytes;
  gsize size;

  q = g_quark_from_static_string ("r128norm-test-freed");
  in = loud_buffer (2, 0);
  gst_mini_object_set_qdata (GST_MINI_OBJECT (in), q, &freed, mark_freed);
  out = gst_harness_push_and_pull (h, in);
  fail_if (freed, "the input buffer was freed");
  fail_unless (out == in, "in-place output is another buffer");
  gst_buffer_unref (out);
  fail_unless (freed);

  in = loud_buffer (2, 0);
  bytes = buffer_bytes (in, &size);
  gst_buffer_ref (in);
  out = gst_harness_push_and_pull (h, in);
  fail_if (out == in);
  fail_unless (buffer_equals (in, bytes, size), "a shared buffer was "
      "written to");
  fail_if (buffer_equals (out, bytes, size), "the copy was not normalized");
  gst_buffer_unref (in);
  gst_buffer_unref (out);
  g_free (bytes);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- threads ------------------------------------------------------- */

typedef struct
{
  GstElement *el;
  volatile gint stop;
  guint changes;
} Changer;

static gpointer
change_properties (gpointer data)
{
  Changer *ch = data;
  GRand *rand = g_rand_new_with_seed (5);
  double m[8];

  while (!g_atomic_int_get (&ch->stop)) {
    gchar *gamma = g_strdup_printf ("<%g, %g>", g_rand_double (rand),
        g_rand_double (rand));
    g_object_set (ch->el, "strength", g_rand_double (rand), "momentum",
        g_rand_double (rand), "epsilon", g_rand_double (rand) * 1e-3, NULL);
    gst_util_set_object_arg (G_OBJECT (ch->el), "gamma", ch->changes % 3 ?
        gamma : "<0.5>");
    get_doubles (ch->el, "running-mean", m, 8);
    get_doubles (ch->el, "running-var", m, 8);
    gst_util_set_object_arg (G_OBJECT (ch->el), "variant",
        ch->changes % 2 ? "layer" : "per-channel");
    gst_util_set_object_arg (G_OBJECT (ch->el), "stats",
        ch->changes % 5 ? "running" : "frame");
    if (ch->changes % 7 == 0)
      g_signal_emit_by_name (ch->el, "reset");
    if (ch->changes % 11 == 0) {
      static const double seed_mean[2] = { 0.01, -0.01 };
      static const double seed_var[2] = { 0.04, 0.02 };
      set_doubles (ch->el, "running-mean", seed_mean, 2);
      set_doubles (ch->el, "running-var", seed_var, 2);
    }
    g_free (gamma);
    ch->changes++;
    /* a pause, not a yield: under valgrind, which runs one thread at a
     * time, a thread that only yields kept the streaming thread waiting
     * for minutes on some machines */
    g_usleep (50);
  }
  g_rand_free (rand);
  return NULL;
}

GST_START_TEST (test_properties_from_another_thread)
{
  GstHarness *h = f32_harness (make_element (NULL), NULL, 2);
  AudioSpec s = { FMT_F32, 2, FALSE, 256, 0, RATE };
  Changer ch = { h->element, 0, 0 };
  GRand *rand = g_rand_new_with_seed (11);
  GThread *thread;
  Samples smp;
  guint b;
  gsize i;

  samples_init (&smp, 2, s.n);
  thread = g_thread_new ("changer", change_properties, &ch);
  for (b = 0; b < 400; b++) {
    GstBuffer *out;
    GstMapInfo map;
    samples_fill (&smp, rand, 0.2);
    out = gst_harness_push_and_pull (h, audio_buffer (&s, smp.x));
    gst_buffer_map (out, &map, GST_MAP_READ);
    for (i = 0; i < s.n * 2; i++) {
      double v = tfmt_read (FMT_F32, map.data + 4 * i);
      fail_unless (isfinite (v) && fabs (v) < 100.0, "buffer %u sample %"
          G_GSIZE_FORMAT " is %g", b, i, v);
    }
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
  }
  g_atomic_int_set (&ch.stop, 1);
  g_thread_join (thread);
  fail_unless (ch.changes > 10, "the other thread made %u changes",
      ch.changes);
  samples_clear (&smp);
  g_rand_free (rand);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
r128norm_state_suite (void)
{
  Suite *s = suite_create ("r128norm-state");
  TCase *tc = tcase_create ("state");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_gap);
  tcase_add_test (tc, test_gap_converting);
  tcase_add_test (tc, test_discont);
  tcase_add_test (tc, test_flush_keeps_statistics);
  tcase_add_test (tc, test_caps_change);
  tcase_add_test (tc, test_reset_signal);
  tcase_add_test (tc, test_new_stream);
  tcase_add_test (tc, test_empty_buffer);
  tcase_add_test (tc, test_stats_file_roundtrip);
  tcase_add_test (tc, test_stats_file_malformed);
  tcase_add_test (tc, test_stats_file_wrong_channels);
  tcase_add_test (tc, test_bad_settings);
  tcase_add_test (tc, test_bad_setting_while_playing);
  tcase_add_test (tc, test_zero_copy);
  tcase_add_test (tc, test_properties_from_another_thread);
  return s;
}

GST_CHECK_MAIN (r128norm_state);
