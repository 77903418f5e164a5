/* r128norm element: video output against the float64 reference, for every
 * format, with row padding, a GstVideoMeta of its own strides and offsets,
 * alpha and padding bytes that must stay as they came in. */
#include "r128norm_check.h"

static const GstVideoFormat video_formats[] = {
  GST_VIDEO_FORMAT_GRAY8, GST_VIDEO_FORMAT_GRAY16_LE, GST_VIDEO_FORMAT_RGB,
  GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_BGRA,
  GST_VIDEO_FORMAT_ARGB, GST_VIDEO_FORMAT_ABGR, GST_VIDEO_FORMAT_RGBx,
  GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_xRGB, GST_VIDEO_FORMAT_xBGR,
  GST_VIDEO_FORMAT_RGBP, GST_VIDEO_FORMAT_BGRP, GST_VIDEO_FORMAT_I420,
  GST_VIDEO_FORMAT_YV12, GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_NV21,
  GST_VIDEO_FORMAT_Y444, GST_VIDEO_FORMAT_Y42B
};

/* Colour samples of @out match @smp->y; every other byte equals @bytes. */
static void
assert_video (const VLayout * l, GstBuffer * out, const Samples * smp,
    const guint8 * bytes, const gchar * what)
{
  gboolean *colour = g_new0 (gboolean, l->size);
  gsize i, k, bps = tfmt_size (l->fmt);
  GstMapInfo map;
  guint c;

  fail_unless_equals_int (gst_buffer_get_size (out), l->size);
  fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
  for (c = 0; c < l->channels; c++) {
    gint x, y, w = comp_w (l, c), h = comp_h (l, c);
    i = 0;
    for (y = 0; y < h; y++)
      for (x = 0; x < w; x++, i++) {
        gsize a = vlayout_addr (l, c, x, y);
        assert_sample (l->fmt, map.data + a, smp->y[c][i],
            "%s: channel %u pixel (%d,%d)", what, c, x, y);
        for (k = 0; k < bps; k++)
          colour[a + k] = TRUE;
      }
  }
  for (i = 0; i < l->size; i++)
    if (!colour[i] && map.data[i] != bytes[i])
      fail ("%s: byte %" G_GSIZE_FORMAT " is no colour sample but changed "
          "from %u to %u", what, i, bytes[i], map.data[i]);
  gst_buffer_unmap (out, &map);
  g_free (colour);
}

/* Runs two frames of @l through an r128norm made with the NULL-terminated
 * property pairs, in place, against @ref. */
static void
run_video (const VLayout * l, Ref * ref, GstElement * el)
{
  GstHarness *h = harness_for (el, NULL);
  GstCaps *caps = gst_video_info_to_caps (&l->info);
  GRand *rand = g_rand_new_with_seed (GST_VIDEO_INFO_FORMAT (&l->info));
  Samples smp;
  guint b;

  gst_harness_set_caps (h, gst_caps_ref (caps), gst_caps_ref (caps));
  samples_init (&smp, l->channels, l->size);
  for (b = 0; b < 2; b++) {
    guint8 *bytes;
    GstBuffer *in = video_buffer (l, rand, &smp, &bytes), *out;
    gchar *what = g_strdup_printf ("%s %dx%d%s, frame %u",
        GST_VIDEO_INFO_NAME (&l->info), GST_VIDEO_INFO_WIDTH (&l->info),
        GST_VIDEO_INFO_HEIGHT (&l->info), l->meta ? " (own video meta)" : "",
        b);

    ref_process (ref, smp.x, smp.counts, smp.y, 1.0 / 30);
    out = gst_harness_push_and_pull (h, in);
    fail_unless (out == in, "%s: not processed in place", what);
    assert_video (l, out, &smp, bytes, what);
    gst_buffer_unref (out);
    g_free (bytes);
    g_free (what);
  }
  assert_running (h->element, ref->rmean, ref->rvar, l->channels);
  samples_clear (&smp);
  gst_caps_unref (caps);
  g_rand_free (rand);
  gst_harness_teardown (h);
}

/* Every format with the default settings (gamma 0.2, beta 0.5; YUV chroma
 * recentred with its gain capped at 1), in GStreamer's layout at two sizes
 * and in a layout of its own given by a GstVideoMeta. */
GST_START_TEST (test_video_formats_defaults)
{
  static const gint sizes[][2] = { {7, 5}, {16, 4}, {7, 5} };
  guint f, s;

  for (f = 0; f < G_N_ELEMENTS (video_formats); f++) {
    for (s = 0; s < G_N_ELEMENTS (sizes); s++) {
      VLayout l;
      Ref ref;
      guint c;

      vlayout_init (&l, video_formats[f], sizes[s][0], sizes[s][1], s == 2);
      ref_init (&ref, l.channels, 0.2, 0.5);
      if (GST_VIDEO_INFO_IS_YUV (&l.info))
        for (c = 1; c < l.channels; c++)
          ref.max_gain[c] = 1.0;
      run_video (&l, &ref, make_element (NULL));
    }
  }
}

GST_END_TEST;

/* GStreamer pads RGB rows of width 7 to 24 bytes: the 3 padding bytes of
 * each row are no samples (run_video checks them untouched). */
GST_START_TEST (test_video_rgb_row_padding)
{
  VLayout l;
  Ref ref;

  vlayout_init (&l, GST_VIDEO_FORMAT_RGB, 7, 6, FALSE);
  fail_unless_equals_int (l.stride[0], 24);
  ref_init (&ref, 3, 0.2, 0.5);
  run_video (&l, &ref, make_element (NULL));
}

GST_END_TEST;

/* Explicit gamma and beta, per channel: YUV chroma is then not capped. */
GST_START_TEST (test_video_yuv_explicit_gamma)
{
  static const GstVideoFormat yuv[] = { GST_VIDEO_FORMAT_I420,
    GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_Y42B
  };
  guint f;

  for (f = 0; f < G_N_ELEMENTS (yuv); f++) {
    VLayout l;
    Ref ref;

    vlayout_init (&l, yuv[f], 9, 7, f == 1);
    ref_init (&ref, 3, 0.3, 0.4);
    ref.gamma[1] = 0.25;
    ref.gamma[2] = 0.15;
    ref.beta[2] = 0.6;
    run_video (&l, &ref, make_element ("gamma", "<0.3, 0.25, 0.15>",
            "beta", "<0.4, 0.4, 0.6>", NULL));
  }
}

GST_END_TEST;

/* The default chroma rule seen from outside: a nearly grey picture keeps
 * its chroma spread (no garish colours) and is recentred on 128. */
GST_START_TEST (test_video_yuv_chroma_not_inflated)
{
  GstHarness *h = harness_for (make_element (NULL), NULL);
  GstVideoInfo info;
  GstVideoFrame frame;
  GstBuffer *buf;
  GRand *rand = g_rand_new_with_seed (7);
  gint x, y, c;
  double in_sd[3], out_sd[3], out_mean[3];

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, 32, 16);
  gst_harness_set_caps (h, gst_video_info_to_caps (&info),
      gst_video_info_to_caps (&info));
  buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  gst_video_frame_map (&frame, &info, buf, GST_MAP_WRITE);
  for (c = 0; c < 3; c++) {
    guint8 *d = GST_VIDEO_FRAME_COMP_DATA (&frame, c);
    gint st = GST_VIDEO_FRAME_COMP_STRIDE (&frame, c);
    double s = 0, s2 = 0, n = 0;
    for (y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&frame, c); y++)
      for (x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH (&frame, c); x++) {
        guint8 v = c == 0 ? g_rand_int_range (rand, 30, 90)
            : 120 + g_rand_int_range (rand, 0, 9) + 4 * c;
        d[y * st + x] = v;
        s += v, s2 += (double) v * v, n++;
      }
    in_sd[c] = sqrt (s2 / n - (s / n) * (s / n));
  }
  gst_video_frame_unmap (&frame);
  buf = gst_harness_push_and_pull (h, buf);
  gst_video_frame_map (&frame, &info, buf, GST_MAP_READ);
  for (c = 0; c < 3; c++) {
    const guint8 *d = GST_VIDEO_FRAME_COMP_DATA (&frame, c);
    gint st = GST_VIDEO_FRAME_COMP_STRIDE (&frame, c);
    double s = 0, s2 = 0, n = 0;
    for (y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&frame, c); y++)
      for (x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH (&frame, c); x++) {
        s += d[y * st + x], s2 += (double) d[y * st + x] * d[y * st + x];
        n++;
      }
    out_mean[c] = s / n;
    out_sd[c] = sqrt (s2 / n - out_mean[c] * out_mean[c]);
  }
  gst_video_frame_unmap (&frame);
  /* luma: auto-levelled to 0.2 * 255 around 0.5 * 255 */
  fail_unless (fabs (out_sd[0] - 0.2 * 255) < 1.0, "luma sd %g", out_sd[0]);
  fail_unless (fabs (out_mean[0] - 127.5) < 1.0, "luma mean %g",
      out_mean[0]);
  for (c = 1; c < 3; c++) {
    fail_unless (out_sd[c] <= in_sd[c] + 0.5, "chroma %d spread inflated "
        "from %g to %g", c, in_sd[c], out_sd[c]);
    fail_unless (out_sd[c] >= in_sd[c] - 0.5, "chroma %d spread shrunk "
        "from %g to %g", c, in_sd[c], out_sd[c]);
    fail_unless (fabs (out_mean[c] - 127.5) < 1.0, "chroma %d mean %g", c,
        out_mean[c]);
  }
  gst_buffer_unref (buf);
  g_rand_free (rand);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A frame the element may not write to (someone else holds it) is copied,
 * its own GstVideoMeta layout included, and left as it was. */
GST_START_TEST (test_video_shared_buffer)
{
  VLayout l;
  Ref ref;
  GstHarness *h = harness_for (make_element (NULL), NULL);
  GRand *rand = g_rand_new_with_seed (23);
  GstBuffer *in, *out;
  guint8 *bytes;
  Samples smp;

  vlayout_init (&l, GST_VIDEO_FORMAT_NV12, 9, 5, TRUE);
  gst_harness_set_caps (h, gst_video_info_to_caps (&l.info),
      gst_video_info_to_caps (&l.info));
  samples_init (&smp, l.channels, l.size);
  ref_init (&ref, l.channels, 0.2, 0.5);
  ref.max_gain[1] = ref.max_gain[2] = 1.0;
  in = video_buffer (&l, rand, &smp, &bytes);
  ref_process (&ref, smp.x, smp.counts, smp.y, 1.0 / 30);
  gst_buffer_ref (in);
  out = gst_harness_push_and_pull (h, in);
  fail_if (out == in);
  {
    GstMapInfo map;
    gst_buffer_map (in, &map, GST_MAP_READ);
    fail_unless (memcmp (map.data, bytes, l.size) == 0,
        "a shared frame was written to");
    gst_buffer_unmap (in, &map);
  }
  assert_video (&l, out, &smp, bytes, "shared NV12 frame");
  gst_buffer_unref (in);
  gst_buffer_unref (out);
  g_free (bytes);
  samples_clear (&smp);
  g_rand_free (rand);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
r128norm_video_suite (void)
{
  Suite *s = suite_create ("r128norm-video");
  TCase *tc = tcase_create ("video");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_video_formats_defaults);
  tcase_add_test (tc, test_video_rgb_row_padding);
  tcase_add_test (tc, test_video_yuv_explicit_gamma);
  tcase_add_test (tc, test_video_yuv_chroma_not_inflated);
  tcase_add_test (tc, test_video_shared_buffer);
  return s;
}

GST_CHECK_MAIN (r128norm_video);
