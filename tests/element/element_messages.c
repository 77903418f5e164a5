/* r128norm element: the `r128norm` element messages (SPEC section 5). */
#include "r128norm_check.h"

#define RATE 48000
#define N 480                   /* 10 ms */

/* Statistics of one interval gathered by the test, per channel. */
typedef struct
{
  double in_sum[REF_MAX_CHANNELS], in_sq[REF_MAX_CHANNELS];
  double out_sum[REF_MAX_CHANNELS], out_sq[REF_MAX_CHANNELS];
  guint64 n[REF_MAX_CHANNELS], hist[REF_MAX_CHANNELS][16];
  guint64 non_finite, saturated;
} Interval;

static GstMessage *
pop_r128norm (GstBus * bus)
{
  GstMessage *msg;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    if (gst_structure_has_name (gst_message_get_structure (msg), "r128norm"))
      return msg;
    gst_message_unref (msg);
  }
  return NULL;
}

static double
array_double (const GstStructure * s, const gchar * field, guint i,
    guint channels)
{
  const GValue *v = gst_structure_get_value (s, field);

  fail_unless (v != NULL, "no field %s", field);
  fail_unless (GST_VALUE_HOLDS_ARRAY (v), "%s is not a GstValueArray",
      field);
  fail_unless_equals_int (gst_value_array_get_size (v), channels);
  fail_unless (G_VALUE_HOLDS_DOUBLE (gst_value_array_get_value (v, i)),
      "%s holds no doubles", field);
  return g_value_get_double (gst_value_array_get_value (v, i));
}

static guint64
get_u64 (const GstStructure * s, const gchar * field)
{
  guint64 v;

  fail_unless (gst_structure_get_uint64 (s, field, &v),
      "no guint64 field %s", field);
  return v;
}

#define assert_close(got, expected, rel, ...) G_STMT_START {            \
  double g_ = (got), e_ = (expected);                                   \
  if (!(fabs (g_ - e_) <= (rel) * fabs (e_) + 1e-7))                    \
    fail ("%s: got %.9g, expected %.9g", g_strdup_printf (__VA_ARGS__), \
        g_, e_);                                                        \
} G_STMT_END

/* Checks one message against what the test gathered and the reference. */
static void
assert_message (GstMessage * msg, const Interval * iv, const Ref * ref,
    GstClockTime ts, GstClockTime duration, GstClockTime stream_offset,
    GstClockTime running_offset)
{
  const GstStructure *s = gst_message_get_structure (msg);
  const GValue *hist;
  guint c, b, C = ref->channels;

  fail_unless (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT);
  fail_unless_equals_string (gst_structure_get_name (s), "r128norm");
  fail_unless_equals_uint64 (get_u64 (s, "timestamp"), ts);
  fail_unless_equals_uint64 (get_u64 (s, "stream-time"), ts + stream_offset);
  fail_unless_equals_uint64 (get_u64 (s, "running-time"),
      ts + running_offset);
  fail_unless_equals_uint64 (get_u64 (s, "duration"), duration);
  fail_unless_equals_uint64 (get_u64 (s, "non-finite"), iv->non_finite);
  fail_unless_equals_uint64 (get_u64 (s, "saturated"), iv->saturated);

  hist = gst_structure_get_value (s, "histogram");
  fail_unless (hist && GST_VALUE_HOLDS_ARRAY (hist));
  fail_unless_equals_int (gst_value_array_get_size (hist), C);
  for (c = 0; c < C; c++) {
    double n = iv->n[c], in_mean = iv->in_sum[c] / n;
    double out_mean = iv->out_sum[c] / n;
    const GValue *bins = gst_value_array_get_value (hist, c);
    guint64 total = 0;

    assert_close (array_double (s, "mean", c, C), in_mean, 1e-6,
        "mean[%u]", c);
    assert_close (array_double (s, "stddev", c, C),
        sqrt (iv->in_sq[c] / n - in_mean * in_mean), 1e-5, "stddev[%u]", c);
    assert_close (array_double (s, "running-mean", c, C), ref->rmean[c],
        1e-6, "running-mean[%u]", c);
    assert_close (array_double (s, "running-stddev", c, C),
        sqrt (ref->rvar[c]), 1e-6, "running-stddev[%u]", c);
    assert_close (array_double (s, "out-mean", c, C), out_mean, 1e-5,
        "out-mean[%u]", c);
    assert_close (array_double (s, "out-stddev", c, C),
        sqrt (iv->out_sq[c] / n - out_mean * out_mean), 1e-4,
        "out-stddev[%u]", c);

    fail_unless (GST_VALUE_HOLDS_ARRAY (bins));
    fail_unless_equals_int (gst_value_array_get_size (bins), 16);
    for (b = 0; b < 16; b++) {
      const GValue *v = gst_value_array_get_value (bins, b);
      fail_unless (G_VALUE_HOLDS_UINT64 (v));
      total += g_value_get_uint64 (v);
      fail_unless_equals_uint64 (g_value_get_uint64 (v), iv->hist[c][b]);
    }
    fail_unless_equals_uint64 (total, iv->n[c]);
  }
}

/* Adds one buffer (input @x, reference output @y, element output read from
 * @out in @fmt) to @iv. */
static void
gather (Interval * iv, const Ref * ref, TFmt fmt, double **x, double **y,
    GstBuffer * out)
{
  GstMapInfo map;
  guint c, C = ref->channels;
  gsize i, bps = tfmt_size (fmt);

  fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
  for (c = 0; c < C; c++)
    for (i = 0; i < N; i++) {
      double v = x[c][i], o = tfmt_read (fmt, map.data + (i * C + c) * bps);
      double z;
      gint bin;
      if (!isfinite (v)) {
        iv->non_finite++;
        continue;
      }
      iv->n[c]++;
      iv->in_sum[c] += v;
      iv->in_sq[c] += v * v;
      iv->out_sum[c] += o;
      iv->out_sq[c] += o * o;
      z = (v - ref->nmean[c]) / sqrt (ref->nvar[c] + ref->epsilon);
      bin = (gint) floor ((z + 4.0) * 2.0);
      iv->hist[c][CLAMP (bin, 0, 15)]++;
      if (!tfmt_is_float (fmt)) {
        double scale, offset;
        gint64 lo, hi;
        tfmt_int_params (fmt, &scale, &offset, &lo, &hi);
        if (y[c][i] * scale + offset > hi || y[c][i] * scale + offset < lo)
          iv->saturated++;
      }
    }
  gst_buffer_unmap (out, &map);
}

/* Pushes @n_buffers 10 ms buffers of @fmt (2 channels) through @h; @bad
 * puts NaN and Inf into some.  Checks every message: one per @per buffers,
 * and one for the rest at EOS when @eos. */
static void
run_messages (GstHarness * h, GstBus * bus, Ref * ref, TFmt fmt, double amp,
    guint n_buffers, guint per, gboolean bad, gboolean eos,
    GstClockTime stream_offset, GstClockTime running_offset)
{
  AudioSpec s = { fmt, 2, FALSE, N, 0, RATE };
  GRand *rand = g_rand_new_with_seed (99);
  Interval iv;
  Samples smp;
  guint b, posted = 0;
  GstMessage *msg;

  memset (&iv, 0, sizeof iv);
  samples_init (&smp, 2, N);
  for (b = 0; b < n_buffers; b++) {
    GstBuffer *in, *out;

    samples_fill (&smp, rand, amp);
    if (bad && b % 2 == 1) {
      smp.x[0][10] = NAN;
      smp.x[0][200 + b] = NAN;
      smp.x[1][7] = INFINITY;
      smp.x[1][300] = -INFINITY;
      smp.x[1][301] = NAN;
    }
    in = audio_buffer (&s, smp.x);
    GST_BUFFER_PTS (in) = b * 10 * GST_MSECOND;
    GST_BUFFER_DURATION (in) = 10 * GST_MSECOND;
    ref_process (ref, smp.x, smp.counts, smp.y, 0.010);
    out = gst_harness_push_and_pull (h, in);
    {
      gchar *caps = audio_caps_str (fmt, 2, FALSE, RATE);
      GstCaps *c = gst_caps_from_string (caps);
      /* NaN and Inf come out as beta, like the reference */
      assert_audio (out, c, fmt, smp.y, N, "message run");
      gst_caps_unref (c);
      g_free (caps);
    }
    gather (&iv, ref, fmt, smp.x, smp.y, out);
    gst_buffer_unref (out);

    msg = pop_r128norm (bus);
    if ((b + 1) % per == 0) {
      fail_unless (msg != NULL, "no message after buffer %u", b);
      assert_message (msg, &iv, ref, (b + 1 - per) * 10 * GST_MSECOND,
          per * 10 * GST_MSECOND, stream_offset, running_offset);
      gst_message_unref (msg);
      memset (&iv, 0, sizeof iv);
      posted++;
    } else {
      fail_unless (msg == NULL, "a message after buffer %u of an interval "
          "of %u", b, per);
    }
  }
  if (eos) {
    gst_harness_push_event (h, gst_event_new_eos ());
    msg = pop_r128norm (bus);
    if (n_buffers % per) {
      fail_unless (msg != NULL, "no message for the last partial interval");
      assert_message (msg, &iv, ref, (n_buffers - n_buffers % per) * 10 *
          GST_MSECOND, (n_buffers % per) * 10 * GST_MSECOND, stream_offset,
          running_offset);
      gst_message_unref (msg);
    } else {
      fail_unless (msg == NULL, "a message at EOS for an empty interval");
    }
  }
  fail_unless_equals_int (posted, n_buffers / per);
  samples_clear (&smp);
  g_rand_free (rand);
}

static GstHarness *
messages_harness (GstBus * bus, TFmt fmt, const gchar * interval,
    const gchar * first, ...)
{
  GstElement *el = make_element ("post-messages", "true", "interval",
      interval, NULL);
  gchar *caps = audio_caps_str (fmt, 2, FALSE, RATE);
  const gchar *name;
  GstHarness *h;
  va_list ap;

  va_start (ap, first);
  for (name = first; name; name = va_arg (ap, const gchar *))
    gst_util_set_object_arg (G_OBJECT (el), name, va_arg (ap,
            const gchar *));
  va_end (ap);
  h = harness_for (el, bus);
  gst_harness_set_caps_str (h, caps, caps);
  g_free (caps);
  return h;
}

/* 10 ms buffers, interval 50 ms: one message per 5 buffers with every
 * field; a segment with time 5 s and base 2 s shows stream-time and
 * running-time are converted; NaN/Inf are counted and stay out of the
 * statistics and the histogram; the rest is reported at EOS. */
GST_START_TEST (test_messages_f32)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = messages_harness (bus, FMT_F32, "50000000", "momentum",
      "0.8", NULL);
  GstSegment seg;
  Ref ref;

  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.time = 5 * GST_SECOND;
  seg.base = 2 * GST_SECOND;
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  ref_init (&ref, 2, 0.1, 0.0);
  ref.momentum = 0.8;
  run_messages (h, bus, &ref, FMT_F32, 0.05, 13, 5, TRUE, TRUE,
      5 * GST_SECOND, 2 * GST_SECOND);
  gst_harness_teardown (h);
  gst_bus_set_flushing (bus, TRUE);   /* drops the messages: they hold the element, which holds the bus */
  gst_object_unref (bus);
}

GST_END_TEST;

/* interval 30 ms: one message per 3 buffers; S16 with a large beta counts
 * the saturated samples. */
GST_START_TEST (test_messages_s16_saturated)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = messages_harness (bus, FMT_S16, "30000000", "gamma",
      "<0.5>", "beta", "<0.7>", NULL);
  Ref ref;

  ref_init (&ref, 2, 0.5, 0.7);
  run_messages (h, bus, &ref, FMT_S16, 0.05, 9, 3, FALSE, TRUE, 0, 0);
  gst_harness_teardown (h);
  gst_bus_set_flushing (bus, TRUE);   /* drops the messages: they hold the element, which holds the bus */
  gst_object_unref (bus);
}

GST_END_TEST;

/* post-messages=false (the default) posts nothing */
GST_START_TEST (test_messages_off)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = harness_for (make_element ("interval", "10000000", NULL),
      bus);
  gchar *caps = audio_caps_str (FMT_F32, 2, FALSE, RATE);
  AudioSpec s = { FMT_F32, 2, FALSE, N, 0, RATE };
  Ref ref;

  gst_harness_set_caps_str (h, caps, caps);
  ref_init (&ref, 2, 0.1, 0.0);
  run_audio (h, &ref, &s, FMT_F32, caps, 4, 0.05, TRUE);
  gst_harness_push_event (h, gst_event_new_eos ());
  fail_unless (pop_r128norm (bus) == NULL);
  g_free (caps);
  gst_harness_teardown (h);
  gst_bus_set_flushing (bus, TRUE);   /* drops the messages: they hold the element, which holds the bus */
  gst_object_unref (bus);
}

GST_END_TEST;

/* Video at 30 fps stamped like videotestsrc (durations of 33333333 and
 * 33333334 ns): interval 100 ms gives one message per 3 frames; the
 * histogram of each channel counts that channel's pixels (I420 chroma
 * planes are a quarter of the picture). */
static void
video_cadence (gboolean with_durations)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = harness_for (make_element ("post-messages", "true",
          NULL), bus);
  GstVideoInfo info;
  GstMessage *msg;
  guint f, c, b;
  GRand *rand = g_rand_new_with_seed (17);
  static const guint64 pixels[3] = { 16 * 8 * 3, 8 * 4 * 3, 8 * 4 * 3 };

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, 16, 8);
  GST_VIDEO_INFO_FPS_N (&info) = 30;
  gst_harness_set_caps (h, gst_video_info_to_caps (&info),
      gst_video_info_to_caps (&info));
  for (f = 0; f < 9; f++) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL,
        GST_VIDEO_INFO_SIZE (&info), NULL);
    GstMapInfo map;
    gsize i;

    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    for (i = 0; i < map.size; i++)
      map.data[i] = g_rand_int_range (rand, 40, 200);
    gst_buffer_unmap (buf, &map);
    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (f, GST_SECOND, 30);
    if (with_durations)
      GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (f + 1, GST_SECOND,
          30) - GST_BUFFER_PTS (buf);
    gst_buffer_unref (gst_harness_push_and_pull (h, buf));
    msg = pop_r128norm (bus);
    if (f % 3 != 2) {
      fail_unless (msg == NULL, "a message after frame %u", f);
      continue;
    }
    fail_unless (msg != NULL, "no message after frame %u", f);
    {
      const GstStructure *s = gst_message_get_structure (msg);
      const GValue *hist = gst_structure_get_value (s, "histogram");
      fail_unless_equals_uint64 (get_u64 (s, "timestamp"),
          gst_util_uint64_scale (f - 2, GST_SECOND, 30));
      fail_unless (get_u64 (s, "duration") + 1 >= 100 * GST_MSECOND &&
          get_u64 (s, "duration") <= 100 * GST_MSECOND,
          "duration %" G_GUINT64_FORMAT, get_u64 (s, "duration"));
      fail_unless_equals_int (gst_value_array_get_size (hist), 3);
      for (c = 0; c < 3; c++) {
        const GValue *bins = gst_value_array_get_value (hist, c);
        guint64 total = 0;
        for (b = 0; b < 16; b++)
          total += g_value_get_uint64 (gst_value_array_get_value (bins, b));
        fail_unless_equals_uint64 (total, pixels[c]);
        /* uniform input in [40, 200): mean 119.5 / 255 */
        fail_unless (fabs (array_double (s, "mean", c, 3) - 119.5 / 255) <
            0.02, "mean[%u] = %g", c, array_double (s, "mean", c, 3));
      }
    }
    gst_message_unref (msg);
  }
  g_rand_free (rand);
  gst_harness_teardown (h);
  gst_bus_set_flushing (bus, TRUE);   /* drops the messages: they hold the element, which holds the bus */
  gst_object_unref (bus);
}

GST_START_TEST (test_messages_video)
{
  video_cadence (TRUE);
}

GST_END_TEST;

/* Frames without a duration last 1/framerate: still 3 frames per 100 ms,
 * although 3 x 33333333 ns falls 1 ns short of the interval. */
GST_START_TEST (test_messages_video_framerate)
{
  video_cadence (FALSE);
}

GST_END_TEST;

/* out-mean and out-stddev are those of the output buffer itself.  Y444
 * chroma with an integer mean and a gain capped at 1 lands on ties (beta
 * 0.5 is 127.5 codes), which the kernels round upwards: [100, 102] gives
 * [127, 129], mean 128, where rounding the double steps to even reported
 * 127.  One message a frame, each checked against the frame's bytes. */
GST_START_TEST (test_messages_out_moments_are_the_output)
{
  static const guint8 chroma[][8] = {
    {100, 102, 100, 102, 100, 102, 100, 102},
    {90, 100, 110, 120, 90, 100, 110, 120},
    {129, 95, 141, 104, 146, 87, 147, 119},
    {3, 250, 17, 200, 64, 128, 9, 31},
  };
  GstBus *bus = gst_bus_new ();
  GstHarness *h = harness_for (make_element ("post-messages", "true",
          "interval", "1", "stats", "frame", NULL), bus);
  GstVideoInfo info;
  guint f, c, x;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_Y444, 8, 1);
  gst_harness_set_caps (h, gst_video_info_to_caps (&info),
      gst_video_info_to_caps (&info));
  for (f = 0; f < G_N_ELEMENTS (chroma); f++) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL,
        GST_VIDEO_INFO_SIZE (&info), NULL), *out;
    const GstStructure *s;
    GstMessage *msg;
    GstMapInfo map;

    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    for (x = 0; x < 8; x++) {
      map.data[GST_VIDEO_INFO_PLANE_OFFSET (&info, 0) + x] = 50 + 7 * x;
      map.data[GST_VIDEO_INFO_PLANE_OFFSET (&info, 1) + x] = chroma[f][x];
      map.data[GST_VIDEO_INFO_PLANE_OFFSET (&info, 2) + x] =
          chroma[f][7 - x];
    }
    gst_buffer_unmap (buf, &map);
    GST_BUFFER_PTS (buf) = f * 40 * GST_MSECOND;
    GST_BUFFER_DURATION (buf) = 40 * GST_MSECOND;
    out = gst_harness_push_and_pull (h, buf);
    msg = pop_r128norm (bus);
    fail_unless (msg != NULL, "no message after frame %u", f);
    s = gst_message_get_structure (msg);
    gst_buffer_map (out, &map, GST_MAP_READ);
    for (c = 0; c < 3; c++) {
      double sum = 0.0, sq = 0.0, mean;
      for (x = 0; x < 8; x++) {
        double o = map.data[GST_VIDEO_INFO_PLANE_OFFSET (&info, c) + x]
            / 255.0;
        sum += o;
        sq += o * o;
      }
      mean = sum / 8;
      fail_unless (fabs (array_double (s, "out-mean", c, 3) - mean) < 1e-12,
          "frame %u channel %u: out-mean %.9f * 255, the output's %.9f", f,
          c, array_double (s, "out-mean", c, 3) * 255, mean * 255);
      fail_unless (fabs (array_double (s, "out-stddev", c, 3)
              - sqrt (MAX (sq / 8 - mean * mean, 0.0))) < 1e-9,
          "frame %u channel %u: out-stddev %.9f * 255, the output's %.9f", f,
          c, array_double (s, "out-stddev", c, 3) * 255,
          sqrt (MAX (sq / 8 - mean * mean, 0.0)) * 255);
    }
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
    gst_message_unref (msg);
  }
  gst_harness_teardown (h);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
}

GST_END_TEST;

/* Buffers of uneven length (48 kHz mono F32, interval 100 ms): a message
 * goes with the buffer end nearest to the interval's end.  10, 100 ms
 * make 110 (nearer than 10); 2, 50, 20, 1 ms make 73, which the next
 * 200 ms buffer would take to 273: 73 is posted before it, with the
 * running mean it left, and 200 alone is the next; 10 ms at EOS. */
GST_START_TEST (test_messages_uneven_buffers)
{
  static const guint ms[] = { 10, 100, 2, 50, 20, 1, 200, 10 };
  static const struct
  {
    guint pushed, first, last;  /* popped after @pushed buffers: [first, last] */
  } expected[] = { {2, 0, 1}, {7, 2, 5}, {7, 6, 6}, {8, 7, 7} };
  GstBus *bus = gst_bus_new ();
  GstHarness *h = harness_for (make_element ("post-messages", "true",
          "interval", "100000000", "momentum", "0.5", NULL), bus);
  double start_ms[G_N_ELEMENTS (ms) + 1], running[G_N_ELEMENTS (ms) + 1];
  double sum[G_N_ELEMENTS (ms)] = { 0 };
  guint b, e = 0, i;

  gst_harness_set_caps_str (h, "audio/x-raw,format=F32LE,layout=interleaved,"
      "channels=1,rate=48000", "audio/x-raw,format=F32LE,"
      "layout=interleaved,channels=1,rate=48000");
  start_ms[0] = 0;
  running[0] = 0;
  for (b = 0; b <= G_N_ELEMENTS (ms); b++) {
    GstMessage *msg;

    if (b < G_N_ELEMENTS (ms)) {
      guint n = 48 * ms[b];
      GstBuffer *buf = gst_buffer_new_allocate (NULL, n * 4, NULL);
      GstMapInfo map;
      GValue v = G_VALUE_INIT;

      gst_buffer_map (buf, &map, GST_MAP_WRITE);
      sum[b] = 0;
      for (i = 0; i < n; i++) {
        /* each buffer its own level, so each mean tells its buffers */
        float x = 0.1f * (b + 1) + 0.01f * (float) sin (i * 0.3);
        ((float *) map.data)[i] = x;
        sum[b] += x;
      }
      gst_buffer_unmap (buf, &map);
      GST_BUFFER_PTS (buf) = (GstClockTime) start_ms[b] * GST_MSECOND;
      start_ms[b + 1] = start_ms[b] + ms[b];
      gst_buffer_unref (gst_harness_push_and_pull (h, buf));
      g_object_get_property (G_OBJECT (h->element), "running-mean",
          g_value_init (&v, GST_TYPE_ARRAY));
      running[b + 1] = g_value_get_double (gst_value_array_get_value (&v, 0));
      g_value_unset (&v);
    } else {
      gst_harness_push_event (h, gst_event_new_eos ());
    }
    while ((msg = pop_r128norm (bus))) {
      const GstStructure *s = gst_message_get_structure (msg);
      double n = 0, total = 0;

      fail_unless (e < G_N_ELEMENTS (expected), "a message too many");
      fail_unless_equals_int (b + (b < G_N_ELEMENTS (ms)), expected[e].pushed);
      fail_unless_equals_uint64 (get_u64 (s, "timestamp"),
          (guint64) start_ms[expected[e].first] * GST_MSECOND);
      fail_unless_equals_uint64 (get_u64 (s, "duration"),
          (guint64) (start_ms[expected[e].last + 1]
              - start_ms[expected[e].first]) * GST_MSECOND);
      for (i = expected[e].first; i <= expected[e].last; i++) {
        n += 48 * ms[i];
        total += sum[i];
      }
      assert_close (array_double (s, "mean", 0, 1), total / n, 1e-6,
          "message %u mean", e);
      assert_close (array_double (s, "running-mean", 0, 1),
          running[expected[e].last + 1], 1e-9, "message %u running-mean", e);
      gst_message_unref (msg);
      e++;
    }
  }
  fail_unless_equals_int (e, G_N_ELEMENTS (expected));
  gst_harness_teardown (h);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
}

GST_END_TEST;

/* A reset ends the diagnostics interval: 3 buffers of 10 ms, a reset,
 * then 12 more (interval 100 ms).  The 30 ms before the reset are posted
 * at the next buffer, with the running mean they left (the level of
 * those buffers, not of the ones after), and the next interval starts at
 * the reset: 100 ms from 30 ms. */
GST_START_TEST (test_messages_reset_ends_interval)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = harness_for (make_element ("post-messages", "true",
          "interval", "100000000", NULL), bus);
  GstMessage *msg;
  guint b, i, posted = 0;

  gst_harness_set_caps_str (h, "audio/x-raw,format=F32LE,layout=interleaved,"
      "channels=1,rate=48000", "audio/x-raw,format=F32LE,"
      "layout=interleaved,channels=1,rate=48000");
  for (b = 0; b < 15; b++) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL, 480 * 4, NULL);
    GstMapInfo map;

    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    for (i = 0; i < 480; i++)     /* level 1 before the reset, 5 after */
      ((float *) map.data)[i] = (b < 3 ? 1.0f : 5.0f) + 0.1f * (i % 2);
    gst_buffer_unmap (buf, &map);
    GST_BUFFER_PTS (buf) = b * 10 * GST_MSECOND;
    if (b == 3)
      g_signal_emit_by_name (h->element, "reset");
    gst_buffer_unref (gst_harness_push_and_pull (h, buf));
    while ((msg = pop_r128norm (bus))) {
      const GstStructure *s = gst_message_get_structure (msg);
      if (posted == 0) {
        fail_unless_equals_int (b, 3);
        fail_unless_equals_uint64 (get_u64 (s, "timestamp"), 0);
        fail_unless_equals_uint64 (get_u64 (s, "duration"),
            30 * GST_MSECOND);
        assert_close (array_double (s, "mean", 0, 1), 1.05, 1e-6, "mean");
        assert_close (array_double (s, "running-mean", 0, 1), 1.05, 1e-6,
            "running-mean before the reset");
      } else {
        fail_unless_equals_int (b, 12);
        fail_unless_equals_uint64 (get_u64 (s, "timestamp"),
            30 * GST_MSECOND);
        fail_unless_equals_uint64 (get_u64 (s, "duration"),
            100 * GST_MSECOND);
        assert_close (array_double (s, "mean", 0, 1), 5.05, 1e-6, "mean");
      }
      gst_message_unref (msg);
      posted++;
    }
  }
  fail_unless_equals_int (posted, 2);
  gst_harness_teardown (h);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
}

GST_END_TEST;

static Suite *
r128norm_messages_suite (void)
{
  Suite *s = suite_create ("r128norm-messages");
  TCase *tc = tcase_create ("messages");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_messages_f32);
  tcase_add_test (tc, test_messages_s16_saturated);
  tcase_add_test (tc, test_messages_off);
  tcase_add_test (tc, test_messages_video);
  tcase_add_test (tc, test_messages_video_framerate);
  tcase_add_test (tc, test_messages_out_moments_are_the_output);
  tcase_add_test (tc, test_messages_uneven_buffers);
  tcase_add_test (tc, test_messages_reset_ends_interval);
  return s;
}

GST_CHECK_MAIN (r128norm_messages);
