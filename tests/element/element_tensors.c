/* r128norm element: other/tensors in place for every type and both
 * layouts, and RGB/gray video to float32/float16 tensors, against the
 * float64 reference. */
#include "r128norm_check.h"

static gchar *
tensor_caps (const gchar * type, const gchar * dims)
{
  /* a dims text without ':' is written as a plain integer, as a caps
   * string makes it of a rank-1 tensor */
  return g_strdup_printf ("other/tensors, format=(string)static, "
      "num_tensors=(int)1, types=(string)%s, dimensions=%s%s, "
      "framerate=(fraction)30/1", type, strchr (dims, ':') ? "(string)"
      : "(int)", dims);
}

/* index of channel @c at spatial position @i (w + W * (h + H * n)) */
static gsize
tensor_index (gboolean chw, guint C, gsize plane, guint c, gsize i)
{
  if (!chw)
    return i * C + c;
  /* W:H:C:N: a plane per channel within each batch entry */
  return (i / plane) * plane * C + (gsize) c * plane + i % plane;
}

/* @n_buffers tensors of C channels, W x H, batch N, through r128norm
 * with tensor-layout hwc (dimensions C:W:H:N) or chw (W:H:C:N), in place,
 * gamma 1 and beta 0 (the tensor defaults), running statistics; @variant
 * as the property says it. */
static void
run_tensor_variant (TFmt fmt, const gchar * type, guint C, guint W, guint H,
    guint N, gboolean chw, guint n_buffers, const gchar * variant)
{
  gsize plane = (gsize) W * H, n = plane * N, bps = tfmt_size (fmt), i;
  gchar *dims = plane * N == 1 ? g_strdup_printf ("%u", C)
      : chw ? g_strdup_printf ("%u:%u:%u:%u", W, H, C, N)
      : g_strdup_printf ("%u:%u:%u:%u", C, W, H, N);
  gchar *caps = tensor_caps (type, dims);
  GstHarness *h = harness_for (make_element ("tensor-layout",
          chw ? "chw" : "hwc", "variant", variant, NULL), NULL);
  GRand *rand = g_rand_new_with_seed (fmt * 31 + C);
  Samples smp;
  guint b, c;
  Ref ref;

  gst_harness_set_caps_str (h, caps, caps);
  ref_init (&ref, C, 1.0, 0.0);
  ref.variant = strcmp (variant, "layer") == 0 ? REF_LAYER : REF_PER_CHANNEL;
  samples_init (&smp, C, n);
  for (b = 0; b < n_buffers; b++) {
    GstBuffer *in = gst_buffer_new_allocate (NULL, n * C * bps, NULL), *out;
    GstMapInfo map;
    gchar *what = g_strdup_printf ("%s %s %s, buffer %u", type, dims,
        chw ? "chw" : "hwc", b);

    gst_buffer_map (in, &map, GST_MAP_WRITE);
    for (c = 0; c < C; c++)
      for (i = 0; i < n; i++) {
        double v = 0.1 + 0.2 * c + (0.05 + 0.05 * c) *
            g_rand_double_range (rand, -1, 1) + 0.01 * b;
        smp.x[c][i] = tfmt_write (fmt, map.data + bps *
            tensor_index (chw, C, plane, c, i), v);
      }
    gst_buffer_unmap (in, &map);
    ref_process (&ref, smp.x, smp.counts, smp.y, 1.0 / 30);

    out = gst_harness_push_and_pull (h, in);
    fail_unless (out == in, "%s: not in place", what);
    gst_buffer_map (out, &map, GST_MAP_READ);
    fail_unless_equals_int (map.size, n * C * bps);
    for (c = 0; c < C; c++)
      for (i = 0; i < n; i++)
        assert_sample (fmt, map.data + bps * tensor_index (chw, C, plane, c,
                i), smp.y[c][i], "%s: channel %u element %" G_GSIZE_FORMAT,
            what, c, i);
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
    g_free (what);
  }
  assert_running (h->element, ref.rmean, ref.rvar, C);
  samples_clear (&smp);
  g_rand_free (rand);
  gst_harness_teardown (h);
  g_free (caps);
  g_free (dims);
}

static void
run_tensor (TFmt fmt, const gchar * type, guint C, guint W, guint H,
    guint N, gboolean chw, guint n_buffers)
{
  run_tensor_variant (fmt, type, C, W, H, N, chw, n_buffers, "per-channel");
}

GST_START_TEST (test_tensors_in_place)
{
  static const struct
  {
    TFmt fmt;
    const gchar *type;
  } types[] = {
    {FMT_U8V, "uint8"}, {FMT_S16, "int16"}, {FMT_U16V, "uint16"},
    {FMT_F16, "float16"}, {FMT_F32, "float32"}
  };
  guint t;

  for (t = 0; t < G_N_ELEMENTS (types); t++) {
    /* batch of 2 folded into the statistics */
    run_tensor (types[t].fmt, types[t].type, 3, 5, 4, 2, FALSE, 2);
    run_tensor (types[t].fmt, types[t].type, 3, 6, 5, 1, TRUE, 2);
    run_tensor (types[t].fmt, types[t].type, 1, 8, 3, 1, FALSE, 2);
  }
}

GST_END_TEST;

/* A rank-1 tensor, whose dimensions a caps string makes a plain integer
 * ("dimensions=8"): its one dimension holds the channels, one sample
 * each, normalized together with variant=layer. */
GST_START_TEST (test_tensor_rank1_integer_dimensions)
{
  run_tensor_variant (FMT_F32, "float32", 8, 1, 1, 1, FALSE, 3, "layer");
  run_tensor_variant (FMT_S16, "int16", 5, 1, 1, 1, TRUE, 2, "layer");
}

GST_END_TEST;

/* Video to a float tensor in one pass: colour components in R, G, B order
 * whatever the memory order, alpha, padding and row ends dropped. */
static void
run_video_tensor (GstVideoFormat format, gint w, gint hgt, gboolean custom,
    gboolean chw, TFmt out_fmt)
{
  VLayout l;
  GstHarness *h;
  GstCaps *in_caps;
  gchar *dims, *out_caps;
  GRand *rand = g_rand_new_with_seed (format * 7 + w);
  gsize plane = (gsize) w * hgt, i, bps = tfmt_size (out_fmt);
  Samples smp;
  guint b, c;
  Ref ref;

  vlayout_init (&l, format, w, hgt, custom);
  in_caps = gst_video_info_to_caps (&l.info);
  dims = chw ? g_strdup_printf ("%d:%d:%u:1", w, hgt, l.channels)
      : g_strdup_printf ("%u:%d:%d:1", l.channels, w, hgt);
  out_caps = tensor_caps (out_fmt == FMT_F16 ? "float16" : "float32", dims);
  h = harness_for (make_element ("tensor-layout", chw ? "chw" : "hwc",
          NULL), NULL);
  gst_harness_set_caps (h, in_caps, gst_caps_from_string (out_caps));
  ref_init (&ref, l.channels, 1.0, 0.0);
  samples_init (&smp, l.channels, l.size);
  for (b = 0; b < 2; b++) {
    guint8 *bytes;
    GstBuffer *in = video_buffer (&l, rand, &smp, &bytes), *out;
    GstMapInfo map;
    gchar *what = g_strdup_printf ("%s %dx%d%s -> %s, frame %u",
        GST_VIDEO_INFO_NAME (&l.info), w, hgt, custom ? " (own meta)" : "",
        out_caps, b);

    ref_process (&ref, smp.x, smp.counts, smp.y, 1.0 / 30);
    out = gst_harness_push_and_pull (h, in);
    gst_buffer_map (out, &map, GST_MAP_READ);
    fail_unless_equals_int (map.size, plane * l.channels * bps);
    for (c = 0; c < l.channels; c++)
      for (i = 0; i < plane; i++)
        assert_sample (out_fmt, map.data + bps * tensor_index (chw,
                l.channels, plane, c, i), smp.y[c][i], "%s: channel %u "
            "pixel %" G_GSIZE_FORMAT, what, c, i);
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
    g_free (bytes);
    g_free (what);
  }
  assert_running (h->element, ref.rmean, ref.rvar, l.channels);
  samples_clear (&smp);
  g_rand_free (rand);
  gst_harness_teardown (h);
  g_free (dims);
  g_free (out_caps);
}

GST_START_TEST (test_video_to_tensors)
{
  static const GstVideoFormat formats[] = { GST_VIDEO_FORMAT_RGB,
    GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_BGRA,
    GST_VIDEO_FORMAT_ARGB, GST_VIDEO_FORMAT_ABGR, GST_VIDEO_FORMAT_RGBx,
    GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_xRGB, GST_VIDEO_FORMAT_xBGR,
    GST_VIDEO_FORMAT_RGBP, GST_VIDEO_FORMAT_BGRP, GST_VIDEO_FORMAT_GRAY8,
    GST_VIDEO_FORMAT_GRAY16_LE
  };
  guint f;

  for (f = 0; f < G_N_ELEMENTS (formats); f++) {
    run_video_tensor (formats[f], 7, 5, FALSE, FALSE, FMT_F32);
    run_video_tensor (formats[f], 7, 5, FALSE, TRUE, FMT_F32);
    run_video_tensor (formats[f], 6, 3, TRUE, TRUE, FMT_F32);
    run_video_tensor (formats[f], 7, 4, FALSE, FALSE, FMT_F16);
  }
}

GST_END_TEST;

/* The error message of a stream of @in_caps to @out_caps whose caps the
 * element refuses: its first buffer (of @bytes) is not accepted.  NULL
 * without one. */
static gchar *
refusal_message (const gchar * in_caps, const gchar * out_caps, gsize bytes)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = harness_for (make_element (NULL), bus);
  GstSegment seg;
  gchar *text;

  gst_harness_set_sink_caps_str (h, out_caps);
  gst_harness_push_event (h, gst_event_new_stream_start ("refused"));
  /* a sticky event reads as pushed even when refused: the buffer and the
   * error tell */
  gst_harness_push_event (h, caps_event_take (gst_caps_from_string
          (in_caps)));
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_segment (&seg));
  fail_if (gst_harness_push (h, gst_buffer_new_allocate (NULL, bytes, NULL))
      == GST_FLOW_OK);
  text = pop_error (bus);
  gst_harness_teardown (h);
  gst_bus_set_flushing (bus, TRUE);   /* drops the messages: they hold the element, which holds the bus */
  gst_object_unref (bus);
  return text;
}

/* YUV cannot become one tensor: the caps are refused with an error that
 * says what can be produced. */
GST_START_TEST (test_yuv_to_tensors_refused)
{
  gchar *out = tensor_caps ("float32", "3:8:4:1");
  gchar *text = refusal_message ("video/x-raw, format=I420, width=8, "
      "height=4, framerate=30/1", out, 48);

  fail_unless (text != NULL, "no error message");
  fail_unless (strstr (text, "RGB") != NULL, "'%s' does not say what can be "
      "produced", text);
  g_free (text);
  g_free (out);
}

GST_END_TEST;

/* Caps of a tensor larger than the element takes (a uint8 tensor of 1 GiB
 * to float32: 4 GiB out, whose output pool would be allocated from the
 * caps) are refused with an error that gives the limit; found by fuzzing
 * as a 3.4 GB allocation. */
GST_START_TEST (test_huge_tensor_refused)
{
  gchar *in = tensor_caps ("uint8", "1024:1024:1024:1");
  gchar *out = tensor_caps ("float32", "1024:1024:1024:1");
  gchar *text = refusal_message (in, out, 64);

  fail_unless (text != NULL, "no error message");
  fail_unless (strstr (text, "at most") != NULL, "'%s' does not give the "
      "limit", text);
  g_free (text);
  g_free (in);
  g_free (out);
}

GST_END_TEST;

static Suite *
r128norm_tensors_suite (void)
{
  Suite *s = suite_create ("r128norm-tensors");
  TCase *tc = tcase_create ("tensors");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_tensors_in_place);
  tcase_add_test (tc, test_tensor_rank1_integer_dimensions);
  tcase_add_test (tc, test_video_to_tensors);
  tcase_add_test (tc, test_yuv_to_tensors_refused);
  tcase_add_test (tc, test_huge_tensor_refused);
  return s;
}

GST_CHECK_MAIN (r128norm_tensors);
