/* r128norm element: audio output against the float64 reference, for every
 * sample format, interleaved and planar, in place and converting. */
#include "r128norm_check.h"

static const TFmt audio_formats[] = { FMT_F32, FMT_F64, FMT_S16, FMT_S32,
  FMT_U8A
};

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

/* 64 channels (the most the caps allow), positioned by an empty mask, and
 * 6 channels without any channel-mask (unpositioned). */
GST_START_TEST (test_audio_many_channels)
{
  AudioSpec s64 = { FMT_S16, 64, FALSE, 64, 0, 8000 };
  AudioSpec s6 = { FMT_F32, 6, TRUE, 100, 8, 8000 };
  gchar *caps = audio_caps_str (FMT_S16, 64, FALSE, 8000);
  gchar *plain = g_strdup ("audio/x-raw, format=F32LE, rate=8000, "
      "channels=6, layout=non-interleaved");
  gchar *masked = audio_caps_str (FMT_F32, 6, TRUE, 8000);
  GstHarness *h = harness_for (make_element (NULL), NULL);
  Ref ref;

  gst_harness_set_caps_str (h, caps, caps);
  ref_init (&ref, 64, 0.1, 0.0);
  run_audio (h, &ref, &s64, FMT_S16, caps, 2, 0.05, TRUE);
  gst_harness_teardown (h);

  h = harness_for (make_element (NULL), NULL);
  gst_harness_set_caps_str (h, plain, plain);
  ref_init (&ref, 6, 0.1, 0.0);
  run_audio (h, &ref, &s6, FMT_F32, masked, 2, 0.05, TRUE);
  gst_harness_teardown (h);
  g_free (caps);
  g_free (plain);
  g_free (masked);
}

GST_END_TEST;

/* A planar buffer the element may not write to is copied with its
 * GstAudioMeta (planes apart) and left as it was. */
GST_START_TEST (test_audio_planar_shared)
{
  AudioSpec s = { FMT_S32, 3, TRUE, 200, 40, 48000 };
  gchar *caps = audio_caps_str (FMT_S32, 3, TRUE, 48000);
  GstHarness *h = harness_for (make_element (NULL), NULL);
  GstCaps *c = gst_caps_from_string (caps);
  GRand *rand = g_rand_new_with_seed (77);
  GstBuffer *in, *out;
  GstMapInfo map;
  guint8 *bytes;
  Samples smp;
  Ref ref;

  gst_harness_set_caps_str (h, caps, caps);
  samples_init (&smp, 3, s.n);
  samples_fill (&smp, rand, 0.05);
  in = audio_buffer (&s, smp.x);
  gst_buffer_map (in, &map, GST_MAP_READ);
  bytes = g_memdup2 (map.data, map.size);
  gst_buffer_unmap (in, &map);
  ref_init (&ref, 3, 0.1, 0.0);
  ref_process (&ref, smp.x, smp.counts, smp.y, 200.0 / 48000);
  gst_buffer_ref (in);
  out = gst_harness_push_and_pull (h, in);
  fail_if (out == in);
  assert_audio (out, c, FMT_S32, smp.y, s.n, "shared planar S32");
  gst_buffer_map (in, &map, GST_MAP_READ);
  fail_unless (memcmp (map.data, bytes, map.size) == 0,
      "a shared buffer was written to");
  gst_buffer_unmap (in, &map);
  gst_buffer_unref (in);
  gst_buffer_unref (out);
  g_free (bytes);
  samples_clear (&smp);
  g_rand_free (rand);
  gst_caps_unref (c);
  g_free (caps);
  gst_harness_teardown (h);
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
  tcase_add_test (tc, test_audio_many_channels);
  tcase_add_test (tc, test_audio_planar_shared);
  return s;
}

GST_CHECK_MAIN (r128norm_audio);
