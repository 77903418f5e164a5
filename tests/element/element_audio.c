/* r128norm element: audio output against the float64 reference, for every
 * sample format, interleaved and planar, in place and converting. */
#include "r128norm_check.h"

static const TFmt audio_formats[] = { FMT_F32, FMT_F64, FMT_S16, FMT_S32,
  FMT_U8A
};

/* Pushes @n_buffers buffers of @s through @h, checks each output against
 * @ref, and returns nothing: any mismatch fails.  Planar gaps must stay
 * untouched.  @out_fmt/@out_caps describe what leaves the element.
 * Returns how many reference outputs lie outside [-1, 1]. */
static guint
run_audio (GstHarness * h, Ref * ref, const AudioSpec * s, TFmt out_fmt,
    const gchar * out_caps_str, guint n_buffers, double amp, gboolean
    expect_in_place)
{
  GRand *rand = g_rand_new_with_seed (1234 + s->fmt);
  GstCaps *out_caps = gst_caps_from_string (out_caps_str);
  Samples smp;
  guint b, c, outside = 0;
  gsize i;

  samples_init (&smp, s->channels, s->n);
  for (b = 0; b < n_buffers; b++) {
    GstBuffer *in, *out;
    gchar *what;
    double dur = (double) s->n / s->rate;

    samples_fill (&smp, rand, amp);
    in = audio_buffer (s, smp.x);
    GST_BUFFER_PTS (in) = gst_util_uint64_scale (b * s->n, GST_SECOND,
        s->rate);
    GST_BUFFER_DURATION (in) = gst_util_uint64_scale (s->n, GST_SECOND,
        s->rate);
    ref_process (ref, smp.x, smp.counts, smp.y, dur);
    for (c = 0; c < s->channels; c++)
      for (i = 0; i < s->n; i++)
        outside += fabs (smp.y[c][i]) > 1.0;

    out = gst_harness_push_and_pull (h, in);
    fail_unless (out != NULL);
    if (expect_in_place)
      fail_unless (out == in, "not processed in place");
    else
      fail_unless (out != in, "a converting element returned its input");
    what = g_strdup_printf ("%s %s -> %s, buffer %u",
        tfmt_audio_name (s->fmt), s->planar ? "planar" : "interleaved",
        tfmt_audio_name (out_fmt), b);
    assert_audio (out, out_caps, out_fmt, smp.y, s->n, what);

    if (s->planar && expect_in_place && s->gap > 0) {
      GstMapInfo map;
      fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
      for (c = 0; c + 1 < s->channels; c++)
        for (i = 0; i < s->gap; i++)
          fail_unless_equals_int (map.data[audio_plane_offset (s, c) +
                  s->n * tfmt_size (s->fmt) + i], 0xA5);
      gst_buffer_unmap (out, &map);
    }
    g_free (what);
    gst_buffer_unref (out);
  }
  assert_running (h->element, ref->rmean, ref->rvar,
      s->channels);
  samples_clear (&smp);
  gst_caps_unref (out_caps);
  g_rand_free (rand);
  return outside;
}

/* Every format and layout, in place, default settings: the first buffer
 * is normalized with its own statistics, the next ones with the running
 * values (momentum 0.95), gamma 0.1 and beta 0. */
GST_START_TEST (test_audio_formats_in_place)
{
  guint f, planar;

  for (f = 0; f < G_N_ELEMENTS (audio_formats); f++) {
    for (planar = 0; planar < 2; planar++) {
      AudioSpec s = { audio_formats[f], 3, planar, 480, planar ? 24 : 0,
        48000
      };
      gchar *caps = audio_caps_str (s.fmt, s.channels, s.planar, s.rate);
      GstHarness *h = harness_for (make_element (NULL), NULL);
      Ref ref;

      gst_harness_set_caps_str (h, caps, caps);
      ref_init (&ref, s.channels, 0.1, 0.0);
      run_audio (h, &ref, &s, s.fmt, caps, 3, 0.05, TRUE);
      gst_harness_teardown (h);
      g_free (caps);
    }
  }
}

GST_END_TEST;

/* Integer output is rounded to nearest and saturated. */
GST_START_TEST (test_audio_saturation)
{
  static const TFmt ints[] = { FMT_S16, FMT_S32, FMT_U8A };
  guint f;

  for (f = 0; f < G_N_ELEMENTS (ints); f++) {
    AudioSpec s = { ints[f], 2, FALSE, 256, 0, 48000 };
    gchar *caps = audio_caps_str (s.fmt, s.channels, FALSE, s.rate);
    GstHarness *h = harness_for (make_element ("gamma", "<0.5>", "beta",
            "<0.8>", NULL), NULL);
    Ref ref;

    gst_harness_set_caps_str (h, caps, caps);
    ref_init (&ref, s.channels, 0.5, 0.8);
    fail_unless (run_audio (h, &ref, &s, s.fmt, caps, 2, 0.2, TRUE) > 20,
        "the data does not reach saturation");
    gst_harness_teardown (h);
    g_free (caps);
  }
}

GST_END_TEST;

/* Integer audio in, F32LE out (the src caps ask for it): one converting
 * pass, values as the float reference. */
GST_START_TEST (test_audio_convert_to_f32)
{
  static const TFmt ints[] = { FMT_S16, FMT_S32, FMT_U8A };
  guint f, planar;

  for (f = 0; f < G_N_ELEMENTS (ints); f++) {
    for (planar = 0; planar < 2; planar++) {
      AudioSpec s = { ints[f], 2, planar, 441, 0, 44100 };
      gchar *in_caps = audio_caps_str (s.fmt, 2, planar, s.rate);
      gchar *out_caps = audio_caps_str (FMT_F32, 2, planar, s.rate);
      GstHarness *h = harness_for (make_element (NULL), NULL);
      Ref ref;

      gst_harness_set_caps_str (h, in_caps, out_caps);
      ref_init (&ref, s.channels, 0.1, 0.0);
      run_audio (h, &ref, &s, FMT_F32, out_caps, 3, 0.1, FALSE);
      gst_harness_teardown (h);
      g_free (in_caps);
      g_free (out_caps);
    }
  }
}

GST_END_TEST;

/* Planar audio whose planes are not back to back: the GstAudioMeta
 * offsets are honoured and the bytes between planes are never written. */
GST_START_TEST (test_audio_planar_meta_offsets)
{
  AudioSpec s = { FMT_S16, 4, TRUE, 100, 64, 16000 };
  gchar *caps = audio_caps_str (s.fmt, s.channels, TRUE, s.rate);
  GstHarness *h = harness_for (make_element ("stats", "frame", NULL), NULL);
  Ref ref;

  gst_harness_set_caps_str (h, caps, caps);
  ref_init (&ref, s.channels, 0.1, 0.0);
  ref.stats = REF_FRAME;
  run_audio (h, &ref, &s, s.fmt, caps, 2, 0.1, TRUE);
  gst_harness_teardown (h);
  g_free (caps);
}

GST_END_TEST;

static Suite *
r128norm_audio_suite (void)
{
  Suite *s = suite_create ("r128norm-audio");
  TCase *tc = tcase_create ("audio");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_audio_formats_in_place);
  tcase_add_test (tc, test_audio_saturation);
  tcase_add_test (tc, test_audio_convert_to_f32);
  tcase_add_test (tc, test_audio_planar_meta_offsets);
  return s;
}

GST_CHECK_MAIN (r128norm_audio);
